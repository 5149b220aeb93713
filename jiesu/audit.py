"""Audit integrity: case files changed outside jiesu, and committed events that went missing.

jiesu's own commits carry the `Jiesu-Action` trailer and never remove or alter an event (a `sync`
merge goes through the merge driver, which keeps the union). So the audit looks closely only at
commits that touch `cases/` without that trailer:

- a plain commit (someone edited and committed by hand) is reported as a warning per file
  ("changed outside jiesu"), with the latest such commit and a count;
- for such a commit, and for a merge made outside `jiesu sync` (a plain `git pull`, perhaps
  resolved by hand), every event of the version before (of each parent, for a merge) must still
  be in the version after, unchanged. Events that are not are recorded, and at every `verify` a
  recorded event still missing from the file (or still altered) is an error.

Only stores made by `jiesu init` guard their events this way: a folder of case files kept by
ordinary commits (the project's own example store) gets the warnings alone.

The history is read once (`git log --raw -m`, blobs through one `git cat-file --batch`) and the
result kept in `.jiesu/audit.json`; the next verify reads only the commits since. The cache is
disposable like the index: delete it and the next verify reads everything again.
"""

from __future__ import annotations

import json
import subprocess

from jiesu.store import yamlio
from jiesu.verify import CASE_PATH, Problem

VERSION = 2
RS, US = "\x1e", "\x1f"
NULL = "0" * 40


class _Blobs:
    """Blob contents by object id through one `git cat-file --batch` process."""

    def __init__(self, store):
        self.proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=store.root, env=store.git.env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def read(self, oid: str) -> bytes | None:
        self.proc.stdin.write(oid.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            return None
        data = self.proc.stdout.read(int(header[2]))
        self.proc.stdout.read(1)
        return data

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def _events_of(data: bytes | None, path: str) -> dict | None:
    """{event id: event} of a case file's content; None when absent or unreadable."""
    if data is None:
        return None
    try:
        case = yamlio.load(data.decode("utf-8", "replace"), path)
    except yamlio.YamlProblem:
        return None
    if not isinstance(case, dict) or not isinstance(case.get("events"), list):
        return None
    return {e["id"]: _clean(e) for e in case["events"] if isinstance(e, dict) and isinstance(e.get("id"), str)}


def _clean(event: dict) -> dict:
    return {k: v for k, v in event.items() if k != "superseded"}  # a merge may set or clear the flag


def _describe(event: dict) -> str:
    return f"{event.get('action')} by {event.get('by')} at {event.get('at')}"


def _compare(before: dict, after: dict | None, path: str, sha: str, kind: str) -> list[list]:
    after = after or {}
    drops = []
    for eid, event in before.items():
        if eid not in after:
            drops.append([path, sha, kind, "removed", eid, _describe(event), event])
        elif after[eid] != event:
            drops.append([path, sha, kind, "altered", eid, _describe(event), event])
    return drops


def _commits(store, span: str):
    """(sha, parent count, author, date, jiesu action, [(old blob, new blob, path)]) oldest first.

    A merge appears once per parent (`-m`), each time with its diff against that parent.
    """
    fmt = f"{RS}%H{US}%P{US}%an{US}%as{US}%(trailers:key=Jiesu-Action,valueonly,separator=%x2c)"
    out = store.git.run("-c", "core.quotePath=false", "log", "--no-renames", "--raw", "--no-abbrev", "-m",
                        f"--format={fmt}", span, "--", "cases/").stdout
    found = []
    for chunk in out.split(RS)[1:]:
        head, _, body = chunk.partition("\n")
        sha, parents, author, date, action = (head.split(US) + [""] * 5)[:5]
        entries = []
        for line in body.splitlines():
            meta, _, path = line.partition("\t")
            fields = meta.split()
            if line.startswith(":") and len(fields) >= 5 and CASE_PATH.match(path):
                entries.append((fields[2], fields[3], path))
        found.append((sha, len(parents.split()), author, date, action.strip(), entries))
    found.reverse()
    return found


def _walk(store, since: str | None, cache: dict) -> None:
    if not cache.get("guard"):
        init = store.git.run("log", "-1", "--format=%H", "--grep=^Jiesu-Action: init$", "HEAD", check=False).stdout
        cache["guard"] = bool(init.strip())
    blobs = _Blobs(store) if cache["guard"] else None
    try:
        for sha, parents, author, date, action, entries in _commits(store, f"{since}..HEAD" if since else "HEAD"):
            if action:
                continue  # jiesu's own commit (a sync merge included)
            if parents <= 1:
                for _, _, path in entries:
                    seen = cache["outside"].get(path)
                    if not seen or seen[1] != sha:
                        cache["outside"][path] = [(seen[0] if seen else 0) + 1, sha, author, date]
            if blobs is None:
                continue
            kind = "merge" if parents > 1 else "outside jiesu"
            for old, new, path in entries:
                if old == NULL:
                    continue  # the file is new here: nothing was there to lose
                before = _events_of(blobs.read(old), path)
                if before:
                    after = _events_of(blobs.read(new), path) if new != NULL else {}
                    cache["drops"] += _compare(before, after, path, sha, kind)
    finally:
        if blobs is not None:
            blobs.close()


def _load_cache(store, head: str) -> dict:
    path = store.jiesu_dir / "audit.json"
    fresh = {"version": VERSION, "head": None, "outside": {}, "drops": []}
    try:
        cache = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return fresh
    if not isinstance(cache, dict) or cache.get("version") != VERSION or not isinstance(cache.get("head"), str):
        return fresh
    if cache["head"] != head and store.git.run("merge-base", "--is-ancestor", cache["head"], head, check=False).returncode != 0:
        return fresh  # history was rewritten or reset: walk it all again
    return cache


def audit(store) -> list[Problem]:
    """Warnings for files changed outside jiesu; errors for committed events now missing or altered."""
    head = store.git.head()
    if head is None:
        return []
    cache = _load_cache(store, head)
    if cache["head"] != head:
        _walk(store, cache["head"], cache)
        cache["head"] = head
        try:
            yamlio.atomic_write(store.jiesu_dir / "audit.json", json.dumps(cache, ensure_ascii=False))
        except OSError:
            pass  # a read-only store still gets its answer
    problems = []
    for path, (count, sha, author, date) in sorted(cache["outside"].items()):
        times = "once" if count == 1 else f"in {count} commits"
        problems.append(Problem(path, 1, f"changed outside jiesu {times} (commits without jiesu's trailers; latest "
                                         f"{sha[:10]} by {author} on {date}); see `jiesu log`", "warning"))
    current: dict = {}
    for path, sha, kind, what, eid, desc, event in cache["drops"]:
        if path not in current:
            current[path] = _current_events(store, path)
        now = current[path]
        if now is None:
            continue  # unreadable now: verify reports the file itself
        if what == "removed" and eid not in now:
            problems.append(Problem(path, 1, f"event {eid} ({desc}) was removed by {kind} commit {sha[:10]} and is missing; "
                                             f"restore it from `git show {sha[:10]}^:{path}`"))
        elif what == "altered" and eid in now and now[eid] != event:
            problems.append(Problem(path, 1, f"event {eid} ({desc}) was altered by {kind} commit {sha[:10]}; "
                                             f"the committed version is in `git show {sha[:10]}^:{path}`"))
    return problems


def _current_events(store, path: str) -> dict | None:
    full = store.root / path
    if not full.exists():
        return {}
    if full.is_symlink():
        return None
    try:
        case = yamlio.load_file(full, path)
    except yamlio.YamlProblem:
        return None
    if not isinstance(case, dict) or not isinstance(case.get("events"), list):
        return None
    return {e["id"]: _clean(e) for e in case["events"] if isinstance(e, dict) and isinstance(e.get("id"), str)}


# --- signatures -------------------------------------------------------------------------------

_SIGNED = {"G", "U", "X", "Y", "R", "B", "E"}
_MEANING = {
    "B": ("error", "has a bad signature"), "R": ("error", "is signed with a revoked key"),
    "E": ("error", "has a signature that cannot be checked (missing key, or no gpg.ssh.allowedSignersFile)"),
    "U": ("warning", "has a good signature from a key that is not trusted"),
    "X": ("warning", "has a good signature that has expired"), "Y": ("warning", "is signed with a key that has expired"),
}


def signatures(store) -> list[Problem]:
    """Every commit since signing began must carry a good signature (`verify --signatures`)."""
    if store.git.head() is None:
        return []
    out = store.git.run("log", "--reverse", f"--format=%H{US}%G?{US}%GS{US}%s", "HEAD").stdout
    rows = [line.split(US, 3) for line in out.splitlines() if line.count(US) >= 3]
    started, before, problems = False, 0, []
    for sha, status, signer, subject in rows:
        if status in _SIGNED:
            started = True
        if status == "G":
            continue
        if status == "N":
            if started:
                problems.append(Problem(".git", 1, f"commit {sha[:10]} ({subject[:60]}) is not signed, though commits before it are"))
            else:
                before += 1
            continue
        severity, meaning = _MEANING.get(status, ("error", f"has signature status {status!r}"))
        who = f" ({signer})" if signer else ""
        problems.append(Problem(".git", 1, f"commit {sha[:10]} ({subject[:60]}){who} {meaning}", severity))
    if not started:
        hint = "" if store.git.signs() else "; sign from now on with `git config commit.gpgsign true` and a signing key"
        problems.append(Problem(".git", 1, f"no commit is signed{hint}", "warning"))
    elif before:
        problems.append(Problem(".git", 1, f"{before} commit(s) from before signing began are unsigned", "warning"))
    return problems

