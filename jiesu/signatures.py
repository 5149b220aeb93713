"""`verify --signatures`: is each commit signed, and by a key listed for the actor it is by?

A commit's author is the actor who acted (`--as`). Once `actors.yaml` lists keys (`keys:` per
actor: SSH public keys and/or GPG fingerprints), every commit must carry a good signature made
with a key listed for its author in the file as it stood at that commit — for a commit that
changes actors.yaml, as it stood before (a key cannot vouch for the commit that lists it). git
does the cryptography: SSH signatures against an allowed-signers file built here from every key
the history ever listed, GPG signatures against the keyring of the machine that verifies.

Commits from before any key was listed are checked as they were before keys existed: once a
commit is signed, every later one must be signed too, with a good signature.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from jiesu import keys as signing_keys
from jiesu.actors import FILE, parse
from jiesu.errors import StoreError
from jiesu.i18n import N_, _
from jiesu.problems import Problem
from jiesu.store.catfile import Blobs

US = "\x1f"
_SIGNED = {"G", "U", "X", "Y", "R", "B", "E"}
_MEANING = {
    "B": ("error", N_("has a bad signature")), "R": ("error", N_("is signed with a revoked key")),
    "E": ("error", N_("has a signature that cannot be checked (missing key, or no gpg.ssh.allowedSignersFile)")),
    "U": ("warning", N_("has a good signature from a key that is not trusted")),
    "X": ("warning", N_("has a good signature that has expired")), "Y": ("warning", N_("is signed with a key that has expired")),
}
_FORMAT = US.join(["%H", "%P", "%an", "%G?", "%GK", "%GF", "%GP", "%s"])


def check(store) -> list[Problem]:
    """Every problem with the signatures of the history (errors and warnings)."""
    git = store.git
    if git.head() is None:
        return []
    tables, blobs = _actors_history(store)
    keyed_ever = any(t and any(a.keys for a in t.values()) for t in tables.values())
    with tempfile.TemporaryDirectory(prefix="jiesu-signers-") as tmp:
        config = []
        if keyed_ever:  # git checks SSH signatures against the keys actors.yaml lists (an empty file: none trusted)
            allowed = Path(tmp) / "allowed_signers"
            allowed.write_text("".join(f"* {k.public}\n" for t in tables.values() if t for a in t.values()
                                       for k in a.keys if k.kind == "ssh"), "utf-8")
            config = ["-c", f"gpg.ssh.allowedSignersFile={allowed}"]
        out = git.run(*config, "log", "--reverse", f"--format={_FORMAT}", "HEAD").stdout
    rows = [line.split(US, 7) for line in out.splitlines() if line.count(US) >= 7]
    problems, plain = [], []
    for sha, parents, author, status, *ids, subject in rows:
        parent = parents.split()[0] if parents.split() else None
        blob, before = blobs.get(sha), blobs.get(parent) if parent else None
        table = tables.get(before if (before and before != blob) else blob)
        if table and any(a.keys for a in table.values()):
            problems += _against_actor(sha, author, status, ids, subject, table)
        else:
            plain.append((sha, status, ids[0], subject))
    problems += _plain(store, plain, keyed_ever, bool(tables))
    if keyed_ever and blobs.get(rows[-1][0]) in tables and tables[blobs[rows[-1][0]]]:
        current = tables[blobs[rows[-1][0]]]
        bare = sorted(n for n, a in current.items() if not a.keys)
        if bare:
            problems.append(Problem(FILE, 1, _('no keys listed for {items}: their commits cannot be matched to a key and fail `verify --signatures`').format(items=', '.join(bare)), "warning"))
    return problems


def _actors_history(store) -> tuple[dict, dict]:
    """({actors.yaml blob: its actors, or None when it does not parse}, {commit: blob or None})."""
    git = store.git
    commits = git.run("rev-list", "HEAD").stdout.split()
    answer = git.run("cat-file", "--batch-check=%(objectname)", input="".join(f"{c}:{FILE}\n" for c in commits)).stdout.split("\n")
    blobs = {c: (a if a and not a.endswith("missing") else None) for c, a in zip(commits, answer)}
    tables = {}
    wanted = sorted(set(blobs.values()) - {None})
    reader = Blobs(str(store.root), git.env)
    try:
        for data, blob in zip(reader.stream(wanted), wanted):
            try:
                tables[blob] = parse((data or b"").decode("utf-8", "replace"), store.catalog)
            except StoreError:  # reported by the actors audit; commits under it are checked without keys
                tables[blob] = None
    finally:
        reader.close()
    return tables, blobs


def _against_actor(sha, author, status, ids, subject, table) -> list[Problem]:
    what = _('commit {sha} ({subject}) by {author}').format(sha=sha[:10], subject=subject[:60], author=author)
    shown = ids[0] or ids[1] or "?"
    if status == "N":
        return [Problem(".git", 1, _("{what} is not signed; actors.yaml lists keys, so every commit must be signed with its actor's key").format(what=what))]
    if status == "B":
        by = f" (key {shown})" if shown != "?" else ""
        return [Problem(".git", 1, _('{what} has a bad signature{by}: the commit was altered after signing, or forged').format(what=what, by=by))]
    if status == "E":
        return [Problem(".git", 1, _("{what}: the signature by key {shown} cannot be checked; a GPG key must be in this machine's keyring (gpg --import)").format(what=what, shown=shown))]
    if status == "R":
        return [Problem(".git", 1, _('{what} is signed with key {shown}, which has been revoked').format(what=what, shown=shown))]
    used = {signing_keys.normalise(i) for i in ids if i}
    actor = table.get(author)
    if actor is None:
        return [Problem(".git", 1, _('{what} is signed with key {shown}, but {author} is not in actors.yaml, so no key is listed for them').format(what=what, shown=shown, author=author))]
    if not used & {k.id for k in actor.keys}:
        owners = sorted(n for n, a in table.items() if used & {k.id for k in a.keys})
        whose = f" (it is listed for {', '.join(owners)})" if owners else " (actors.yaml lists it for nobody)"
        listed = "none" if not actor.keys else ", ".join(k.id for k in actor.keys)
        return [Problem(".git", 1, _("{what} is signed with key {shown}, which actors.yaml does not list for {author}{whose}; {author}'s keys: {listed}").format(what=what, shown=shown, author=author, whose=whose, listed=listed))]
    if status in ("X", "Y"):
        return [Problem(".git", 1, _('{what} (key {shown}) {meaning}').format(what=what, shown=shown, meaning=_(_MEANING[status][1])), "warning")]
    return []


def _plain(store, rows, keyed_ever: bool, has_actors: bool) -> list[Problem]:
    """Commits no listed key covers: once signing began, each must carry a good signature."""
    started, before, problems = False, 0, []
    for sha, status, signer, subject in rows:
        if status in _SIGNED:
            started = True
        if status == "G":
            continue
        if status == "N":
            if started:
                problems.append(Problem(".git", 1, _('commit {sha} ({subject}) is not signed, though commits before it are').format(sha=sha[:10], subject=subject[:60])))
            else:
                before += 1
            continue
        if status == "U" and keyed_ever:
            continue  # a good signature from before keys were listed: not matched to anyone, said below
        severity, meaning = _MEANING.get(status, ("error", None))
        meaning = _(meaning) if meaning else _("has signature status {status!r}").format(status=status)
        who = f" ({signer})" if signer else ""
        problems.append(Problem(".git", 1, _('commit {sha} ({subject}){who} {meaning}').format(sha=sha[:10], subject=subject[:60], who=who, meaning=meaning), severity))
    if not rows:
        return problems
    if keyed_ever:
        problems.append(Problem(".git", 1, _('{n} commit(s) from before actors.yaml listed keys were checked for a good signature only, not against the key of their actor').format(n=len(rows)), "warning"))
        return problems
    where = _('actors.yaml lists no keys') if has_actors else _('no actors.yaml')
    problems.append(Problem(".git", 1, _("{where}: signatures were checked for validity only, not matched to the actor of each commit (list each actor's SSH public keys or GPG fingerprints under `keys:`)").format(where=where), "warning"))
    if not started:
        hint = "" if store.git.signs() else _('; sign from now on with `git config commit.gpgsign true` and a signing key')
        problems.append(Problem(".git", 1, _('no commit is signed{hint}').format(hint=hint), "warning"))
    elif before:
        problems.append(Problem(".git", 1, _('{before} commit(s) from before signing began are unsigned').format(before=before), "warning"))
    return problems
