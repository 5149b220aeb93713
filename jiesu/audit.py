"""Audit integrity: the event lists are append-only, whatever a commit's trailers say.

A jiesu operation only ever appends events to a case; a `sync` merge only unites both sides'
events (and its merge driver may mark one `superseded`). So, for **every** commit that touches
`cases/` — jiesu's own included, since trailers can be copied onto any commit — the audit checks:

- no event of the version before (of each parent, for a merge) is missing or altered in the
  version after, unless it moved to another case file in the same commit (`renumber`); the
  `superseded` mark may change only as the merge rule gives it;
- a plain commit appends: the events before keep their place and new ones come after them
  (before events stamped ahead of the commit's clock, see jiesu/skew.py), and they are of the
  action its `Jiesu-Action` trailer names (or a note); a merge brings no event neither parent had;
- events stamped more than skew.TOLERANCE ahead of the commit that brought them are named
  (a warning: another office's clock is fast);
- commits without jiesu's trailers are reported as warnings ("changed outside jiesu");
- HEAD still descends from the last head the audit verified (`.jiesu/verified-head`): a reset,
  amend, rebase or filter-branch that dropped verified commits is an error naming them.

A missing or altered event stays an error until the event is back; an inserted or foreign event
until it is gone. Restore hints name the parent that holds the event (`^2` for a merge's second).

Only stores made by `jiesu init` guard their events this way: a folder of case files kept by
ordinary commits (the project's own example store) gets the warnings alone.

The history is read once (`git log --raw --topo-order`, a `diff-tree` per parent of a merge, blobs through one `git cat-file
--batch`) and the result kept in `.jiesu/audit.json`; the next verify reads only the commits
since. The cache is disposable like the index: delete it and the next verify reads everything again.
"""

from __future__ import annotations

import json

from jiesu import skew, timeutil
from jiesu.i18n import _
from jiesu.store import yamlio
from jiesu.store.catfile import Blobs
from jiesu.verify import CASE_PATH, Problem

VERSION = 4
RS, US = "\x1e", "\x1f"
NULL = "0" * 40
FREE_ACTIONS = {"batch", "sync", "init"}  # commits that may add events of any action
VERIFIED = "verified-head"


def _event_list(data: bytes | None, path: str) -> list | None:
    """The events of a case file's content (dicts with a string id); None when absent or unreadable."""
    if data is None:
        return None
    try:
        case = yamlio.load(data.decode("utf-8", "replace"), path)
    except yamlio.YamlProblem:
        return None
    if not isinstance(case, dict) or not isinstance(case.get("events"), list):
        return None
    return [e for e in case["events"] if isinstance(e, dict) and isinstance(e.get("id"), str)]


def _events_of(data: bytes | None, path: str) -> dict | None:
    events = _event_list(data, path)
    return None if events is None else {e["id"]: _clean(e) for e in events}


def _clean(event: dict) -> dict:
    return {k: v for k, v in event.items() if k != "superseded"}  # checked on its own: see _marks


def _describe(event: dict) -> str:
    return f"{event.get('action')} by {event.get('by')} at {event.get('at')}"


def _marks(events: list) -> dict:
    """{event id: superseded?} as the merge rule gives it for this order of events."""
    from jiesu.merge_driver import merge_events

    try:
        return {e.get("id"): bool(e.get("superseded")) for e in merge_events(events, [])}
    except (ValueError, TypeError, KeyError):
        return {}


def _commits(store, span: str):
    """(sha, parent number, parent count, author, date, committed, action, entries) oldest first.

    A merge appears once per parent, each time with its diff against that parent (numbered as
    git numbers parents: `^1`, `^2`); the order is topological, so a commit with a wrong clock
    still comes after its parents.
    """
    fmt = (f"{RS}%H{US}%P{US}%an{US}%as{US}%cI{US}%(trailers:key=Jiesu-Action,valueonly,separator=%x2c)"
           f"{US}%(trailers:key=Jiesu-Archive,valueonly,separator=%x2c)")
    out = store.git.run("-c", "core.quotePath=false", "log", "--topo-order", "--no-renames", "--raw", "--no-abbrev",
                        f"--format={fmt}", span).stdout
    found = []
    for chunk in out.split(RS)[1:]:
        head, _, body = chunk.partition("\n")
        sha, parents, author, date, committed, action, archived = (head.split(US) + [""] * 7)[:7]
        parents = parents.split()
        if len(parents) <= 1:
            found.append([sha, 1, len(parents), author, date, committed, action.strip(), _entries(body), archived.strip()])
            continue
        for number, parent in reversed(list(enumerate(parents, 1))):  # reversed below: parent order
            body = store.git.run("-c", "core.quotePath=false", "diff-tree", "-r", "--no-renames", "--raw", "--no-abbrev",
                                 parent, sha, "--", "cases/").stdout
            found.append([sha, number, len(parents), author, date, committed, action.strip(), _entries(body), ""])
    found.reverse()
    return found


def _entries(raw: str) -> list:
    """(old blob, new blob, path) of the case files in `git --raw` output."""
    entries = []
    for line in raw.splitlines():
        meta, _, path = line.partition("\t")
        fields = meta.split()
        if line.startswith(":") and len(fields) >= 5 and CASE_PATH.match(path):
            entries.append((fields[2], fields[3], path))
    return entries


def _events_text(data: bytes) -> str | None:
    """The `events:` section of a case file's text (None when it has none at the top level)."""
    text = data.decode("utf-8", "replace")
    start = text.find("\nevents:\n")
    if start < 0:
        return None
    start += len("\nevents:\n")
    end = start
    while end < len(text):
        nl = text.find("\n", end)
        line_end = len(text) if nl < 0 else nl + 1
        if text[end] not in " -#\n":
            break  # the next top-level key
        end = line_end
    return text[start:end]


def _appended(old: bytes | None, new: bytes | None, path: str) -> list | None:
    """The events `new` appends to `old`, when its event section is `old`'s followed by new items
    (every earlier event byte for byte in place); None when it is not that simple."""
    if not old or not new:
        return None
    before, after = _events_text(old), _events_text(new)
    if before is None or after is None or not before.endswith("\n") or not after.startswith(before):
        return None
    suffix = after[len(before):]
    if not suffix:
        return []
    if not suffix.startswith("- "):
        return None  # more lines of the last event: it changed
    try:
        events = yamlio.load(suffix, path)
    except yamlio.YamlProblem:
        return None
    if not isinstance(events, list) or not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in events):
        return None
    return events


def _hint(sha: str, parent: int, parents: int, path: str) -> str:
    rev = f"{sha[:10]}^{parent}" if parents > 1 else f"{sha[:10]}^"
    return f"git show {rev}:{path}"


class _Walk:
    """One pass over new commits, adding to the cache what it finds."""

    def __init__(self, store, cache: dict, blobs, incremental: bool):
        self.store, self.cache, self.blobs = store, cache, blobs
        # commits new since the last verify arrived about now: a fast clock's own commits (a
        # fast-forward) are then ahead of it too; a first walk knows only each commit's time
        self.now = store.now() if incremental else None

    def commit(self, rows: list) -> None:
        """All rows (one per parent) of one commit."""
        sha, _, parents, author, date, committed, action, _, archived = rows[0]
        if not action and parents <= 1:
            for _, _, path in rows[0][7]:
                seen = self.cache["outside"].get(path)
                if not seen or seen[1] != sha:
                    self.cache["outside"][path] = [(seen[0] if seen else 0) + 1, sha, author, date]
        if self.blobs is None:
            return
        try:
            when = timeutil.load(committed)
        except (ValueError, TypeError):
            when = self.now or self.store.now()
        arrived = min(when, self.now) if self.now else when
        after_cache: dict = {}
        raw: dict = {}

        def read(oid):
            if oid not in raw:
                raw[oid] = self.blobs.read(oid) if oid != NULL else None
            return raw[oid]

        def after(new, path):
            if (new, path) not in after_cache:
                after_cache[(new, path)] = _event_list(read(new), path) if new != NULL else []
            return after_cache[(new, path)]

        moved = {}  # events of files this commit adds or changes: a deleted file's events may move there
        if any(new == NULL for row in rows for _, new, _ in row[7]):
            for row in rows:
                for old, new, path in row[7]:
                    for e in after(new, path) or []:
                        moved[e["id"]] = _clean(e)
            if action == "archive" and parents <= 1:
                for e in self._archived(archived, [path for old, new, path in rows[0][7] if new == NULL]):
                    moved[e["id"]] = _clean(e)
        kind = "merge" if parents > 1 else ("jiesu" if action else "outside jiesu")
        brought: dict = {}  # path -> {event id: count of parents lacking it}
        for row in rows:
            parent = row[1]
            for old, new, path in row[7]:
                if parents <= 1 and new != NULL:
                    if old == NULL and self.now is None:
                        continue  # a new file in a first walk: nothing before it, its own commit's time
                    fresh = _appended(read(old), read(new), path) if old != NULL else None
                    if fresh is not None:  # the common case, read without parsing the whole file
                        self._appended_actions(sha, action, path, fresh)
                        self._ahead(path, sha, fresh, arrived)
                        continue
                now_events = after(new, path)
                if now_events is None:
                    continue  # unreadable now: verify reports the file itself
                before_list = _event_list(self.blobs.read(old), path) if old != NULL else []
                if before_list is None:
                    continue
                self._drops(sha, parent, parents, kind, path, before_list, now_events, new == NULL and moved)
                before_ids = {e["id"] for e in before_list}
                fresh = [e for e in now_events if e["id"] not in before_ids]
                counts = brought.setdefault(path, {})
                for e in fresh:
                    counts[e["id"]] = (counts.get(e["id"], (0, e))[0] + 1, e)
                if parents <= 1 and old != NULL:
                    self._appended(sha, action, path, before_list, now_events, fresh, when)
                if parent == 1:
                    self._ahead(path, sha, fresh, arrived)
        if parents > 1:
            paths_per_parent = [{p for _, _, p in row[7]} for row in rows]
            for path, counts in brought.items():
                if all(path in listed for listed in paths_per_parent):
                    for eid, (count, event) in counts.items():
                        if count == parents:
                            self._forged(path, sha, eid, event, "appeared in merge commit", "which only unites its parents' events")

    def _archived(self, trailers: str, paths: list) -> list:
        """The events an `archive` commit's archive stores hold for the files it removed: an
        archived event has moved, not gone (the archive commits are named by `Jiesu-Archive`)."""
        from jiesu.store import archives
        from jiesu.store.gitrepo import GitReader

        events = []
        for item in filter(None, (t.strip() for t in trailers.split(","))):
            folder, _, commit = item.partition(" ")
            year = folder.rpartition("/")[2]
            if folder != f"{archives.FOLDER}/{year}" or not archives.YEAR.match(year) or not commit:
                continue
            root = self.store.root / folder
            if not (root / ".git").exists():
                continue
            git = GitReader(root)
            for path in paths:
                shown = git.run("show", f"{commit}:{path}", check=False)
                if shown.returncode == 0:
                    events += _event_list(shown.stdout.encode("utf-8"), path) or []
        return events

    def _ahead(self, path, sha, fresh, arrived) -> None:
        for e in fresh:
            if skew.is_ahead(e, arrived):
                self.cache["ahead"].append([path, e["id"], sha, timeutil.fmt(arrived), dict(e)])

    def _drops(self, sha, parent, parents, kind, path, before_list, now_events, moved) -> None:
        after_map = {e["id"]: e for e in now_events}
        forged = {(p, eid) for p, _, eid, *_ in self.cache["forged"]}
        marks = None
        for e in before_list:
            eid = e["id"]
            if (path, eid) in forged:
                continue  # taking out an event that was forged is a repair, not a loss
            now = after_map.get(eid)
            if now is None:
                if moved and moved.get(eid) == _clean(e):
                    continue  # moved to another case file by the same commit (renumber)
                self.cache["drops"].append([path, sha, kind, "removed", eid, _describe(e), _clean(e), parent, parents])
            elif _clean(now) != _clean(e):
                self.cache["drops"].append([path, sha, kind, "altered", eid, _describe(e), _clean(e), parent, parents])
            elif bool(now.get("superseded")) != bool(e.get("superseded")):
                marks = _marks(now_events) if marks is None else marks
                if marks.get(eid) != bool(now.get("superseded")):
                    self.cache["drops"].append([path, sha, kind, "marked", eid, _describe(e), bool(now.get("superseded")),
                                                parent, parents])

    def _appended(self, sha, action, path, before_list, now_events, fresh, when) -> None:
        """A plain commit appends, and only events of its own action (or notes)."""
        position = {e["id"]: i for i, e in enumerate(now_events)}
        old_ids = [e["id"] for e in before_list if e["id"] in position]
        fresh_ids = {e["id"] for e in fresh}
        if fresh_ids and old_ids:
            first_new = min(position[i] for i in fresh_ids)
            later_old = [e for e in now_events[first_new:] if e["id"] not in fresh_ids]
            if any(not skew.is_ahead(e, when) for e in later_old):
                for e in fresh:
                    self._forged(path, sha, e["id"], e, "was inserted among earlier events by commit",
                                 "jiesu only appends events")
                return
        self._appended_actions(sha, action, path, fresh)

    def _appended_actions(self, sha, action, path, fresh) -> None:
        if action and action not in FREE_ACTIONS:
            for e in fresh:
                if e.get("action") not in (action, "note"):
                    self._forged(path, sha, e["id"], e, "was added by commit",
                                 f"whose trailer says {action}: an event jiesu did not write")

    def _forged(self, path, sha, eid, event, what, why) -> None:
        self.cache["forged"].append([path, sha, eid, _describe(event), _clean(event), what, why])


def _walk(store, since: str | None, cache: dict) -> None:
    if not cache.get("guard"):
        init = store.git.run("log", "-1", "--format=%H", "--grep=^Jiesu-Action: init$", "HEAD", check=False).stdout
        cache["guard"] = bool(init.strip())
    blobs = Blobs(str(store.root), store.git.env) if cache["guard"] else None
    walk = _Walk(store, cache, blobs, incremental=since is not None)
    try:
        rows = _commits(store, f"{since}..HEAD" if since else "HEAD")
        i = 0
        while i < len(rows):
            j = i
            while j < len(rows) and rows[j][0] == rows[i][0]:
                j += 1
            walk.commit(rows[i:j])
            i = j
    finally:
        if blobs is not None:
            blobs.close()


def _fresh() -> dict:
    return {"version": VERSION, "head": None, "outside": {}, "drops": [], "forged": [], "ahead": []}


def _load_cache(store, head: str) -> dict:
    path = store.jiesu_dir / "audit.json"
    try:
        cache = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return _fresh()
    if not isinstance(cache, dict) or cache.get("version") != VERSION or not isinstance(cache.get("head"), str):
        return _fresh()
    if cache["head"] != head and not _descends(store, cache["head"], head):
        return _fresh()  # history was rewritten or reset: walk it all again (and rewritten() says so)
    return cache


def _descends(store, old: str, head: str) -> bool:
    return store.git.run("merge-base", "--is-ancestor", old, head, check=False).returncode == 0


def rewritten(store, head: str) -> list[Problem]:
    """An error when HEAD no longer descends from the last head the audit verified."""
    path = store.jiesu_dir / VERIFIED
    try:
        old = path.read_text("utf-8").strip()
    except OSError:
        old = ""
    if old and old != head and len(old) == 40 and not _descends(store, old, head):
        known = store.git.run("cat-file", "-e", f"{old}^{{commit}}", check=False).returncode == 0
        if known:
            gone = store.git.run("log", "--format=%h %s", f"{head}..{old}", check=False).stdout.splitlines()
            shown = "; ".join(gone[:5]) + (f"; and {len(gone) - 5} more" if len(gone) > 5 else "")
            if _descends(store, head, old):  # rewound: nothing new on top, the way back loses nothing
                back = f"put them back with `git merge --ff-only {old[:10]}`"
            else:
                back = (f"put them back with `git reset --hard {old[:10]}` (redo any commit made since, "
                        f"`git log {old[:10]}..HEAD`)")
            message = (_('history was rewritten: HEAD no longer descends from {old}, the last head verify checked; {n} verified commit(s) vanished ({shown}); {back}, or accept the rewrite with `rm .jiesu/{VERIFIED}`').format(old=old[:10], n=len(gone), shown=shown, back=back, VERIFIED=VERIFIED))
        else:
            message = (_('history was rewritten: HEAD no longer descends from {old}, the last head verify checked, and that commit is gone from this repository; restore it from another clone or the remote, or accept the rewrite with `rm .jiesu/{VERIFIED}`').format(old=old[:10], VERIFIED=VERIFIED))
        return [Problem(".git", 1, message)]
    try:
        yamlio.atomic_write(path, head + "\n")
    except OSError:
        pass
    return []


def audit(store) -> list[Problem]:
    """Warnings for files changed outside jiesu and clocks running ahead; errors for committed
    events now missing, altered or forged, and for verified history that vanished."""
    head = store.git.head()
    if head is None:
        return []
    problems = rewritten(store, head)
    cache = _load_cache(store, head)
    if cache["head"] != head:
        _walk(store, cache["head"], cache)
        cache["head"] = head
        try:
            yamlio.atomic_write(store.jiesu_dir / "audit.json", json.dumps(cache, ensure_ascii=False))
        except OSError:
            pass  # a read-only store still gets its answer
    for path, (count, sha, author, date) in sorted(cache["outside"].items()):
        times = "once" if count == 1 else f"in {count} commits"
        problems.append(Problem(path, 1, _("changed outside jiesu {times} (commits without jiesu's trailers; latest {sha} by {author} on {date}); see `jiesu log`").format(times=times, sha=sha[:10], author=author, date=date), "warning"))
    current: dict = {}

    def now_of(path):
        if path not in current:
            current[path] = _current_events(store, path)
        return current[path]

    first: dict = {}  # (path, event id) -> the first record: its "before" is the event as appended
    for record in cache["drops"]:
        if record[3] != "marked":
            first.setdefault((record[0], record[4]), record)
    for path, sha, kind, what, eid, desc, event, parent, parents in cache["drops"]:
        now = now_of(path)
        if now is None:
            continue  # unreadable now: verify reports the file itself
        hint = _hint(sha, parent, parents, path)
        if what == "marked":
            if eid in now and bool(now[eid].get("superseded")) == event:
                problems.append(Problem(path, 1, _('event {eid} ({desc}) had its `superseded` mark changed by {kind} commit {sha} against the merge rule; the committed version is in `{hint}`').format(eid=eid, desc=desc, kind=kind, sha=sha[:10], hint=hint)))
        elif first[(path, eid)][1] != sha:
            continue  # a later change of an event already changed: judged against the first
        elif eid not in now:
            problems.append(Problem(path, 1, _('event {eid} ({desc}) was {what} by {kind} commit {sha} and is missing; restore it from `{hint}`').format(eid=eid, desc=desc, what=what, kind=kind, sha=sha[:10], hint=hint)))
        elif _clean(now[eid]) != event:
            problems.append(Problem(path, 1, _('event {eid} ({desc}) was {what} by {kind} commit {sha}; the committed version is in `{hint}`').format(eid=eid, desc=desc, what=what, kind=kind, sha=sha[:10], hint=hint)))
    for path, sha, eid, desc, event, what, why in cache["forged"]:
        now = now_of(path)
        if now is not None and eid in now and _clean(now[eid]) == event:
            where = (_("take it out (the parents' versions: `git show {sha}^1:{path}`, `git show {sha}^2:{path}`)").format(sha=sha[:10], path=path)
                     if what.startswith("appeared in merge") else _('the version before is `git show {sha}^:{path}`').format(sha=sha[:10], path=path))
            problems.append(Problem(path, 1, _('event {eid} ({desc}) {what} {sha}, {why}; {where}').format(eid=eid, desc=desc, what=what, sha=sha[:10], why=why, where=where)))
    offices: dict = {}
    for path, eid, sha, arrived, event in cache["ahead"]:
        now = now_of(path)
        if now is None or eid not in now:
            continue
        if (path, eid) not in offices:  # one git lookup each: only for the first few
            offices[(path, eid)] = skew.office_of(store, path, eid) if len(offices) < 20 else "?"
        problems.append(Problem(path, 1, skew.describe(event, offices[(path, eid)], timeutil.load(arrived)), "warning"))
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
    return {e["id"]: e for e in case["events"] if isinstance(e, dict) and isinstance(e.get("id"), str)}
