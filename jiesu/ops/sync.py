"""`jiesu sync`: pull a remote's cases (merged event by event) and push this store's.

Under the store lock for the whole run: fetch, merge with the jiesu merge driver (forced on the
command line, so a clone that lacks it in its config still merges by events), then push. Nothing
is left half-done: a merge that stops on a conflict is aborted and the conflicting files are named;
a push that is refused leaves a complete local merge commit. `private/` is a separate repository
ignored by the store, so it is never part of what is pushed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jiesu import skew, timeutil
from jiesu.errors import InvalidInput, JiesuError, StoreError
from jiesu.i18n import _
from jiesu.store import Store, leftovers, yamlio
from jiesu.store.gitwrite import author_identity

ATTEMPTS = 3  # a push refused because the remote moved on is retried after merging again


class SyncConflict(StoreError):
    """The remote's changes cannot be merged without a person; nothing was merged."""


@dataclass
class SyncResult:
    """What a sync did, for the command line to print."""

    remote: str
    branch: str
    merged: int = 0            # commits brought in from the remote
    fast_forward: bool = False
    cases: list = field(default_factory=list)   # case files the merge changed
    superseded: list = field(default_factory=list)  # (path, event id, action) now superseded
    pushed: int = 0            # commits the remote did not have
    notes: list = field(default_factory=list)
    ahead: int = 0             # events named as stamped ahead of their arrival (offices looked up for the first 20)


def _detail(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for prefix in ("fatal:", "error:", "remote:", "!"):
        found = [ln for ln in lines if ln.startswith(prefix)]
        if found:
            return "; ".join(found[:3])
    return lines[0] if lines else _("no message")


def pick_remote(store: Store, branch: str, remote: str | None) -> str:
    """The remote to sync with: the one named, the branch's upstream, the only one, or origin."""
    remotes = store.git.out("remote").split()
    if remote:
        if remote not in remotes:
            known = ", ".join(remotes) or _("none")
            raise InvalidInput(_("REMOTE: no remote named {remote!r} (this store's remotes: {known})").format(remote=remote, known=known),
                               hint=_('add it with: git remote add {remote} URL').format(remote=remote))
        return remote
    upstream = store.git.config(f"branch.{branch}.remote")
    if upstream in remotes:
        return upstream
    if len(remotes) == 1:
        return remotes[0]
    if "origin" in remotes:
        return "origin"
    if not remotes:
        raise InvalidInput(_('this store has no remote to sync with'), hint=_('add one with: git remote add origin URL'))
    raise InvalidInput(_('this store has several remotes ({items}); name one: jiesu sync REMOTE').format(items=', '.join(remotes)))


def _check_ready(store: Store) -> str:
    git = store.git
    branch = git.run("symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip()
    if not branch:
        raise StoreError(_('HEAD is detached; sync needs a branch'), hint=_('git switch main'))
    if git.run("rev-parse", "-q", "--verify", "MERGE_HEAD", check=False).returncode == 0:
        raise StoreError(_('a merge is already half-done in this store'), hint=_('run `jiesu verify --repair`, then sync again'))
    dirty = [entry[3:] for entry in git.run("status", "--porcelain=v1", "-z", "--untracked-files=no").stdout.split("\0")
             if len(entry) > 3]
    if dirty:
        shown = ", ".join(dirty[:3]) + (_(" and {n} more").format(n=len(dirty) - 3) if len(dirty) > 3 else "")
        cases = all(p.startswith("cases/") for p in dirty)
        raise StoreError(
            _('uncommitted changes in {shown}; sync merges only committed work').format(shown=shown),
            hint=_("put case files back with `jiesu verify --repair`") if cases
            else _("commit them with git, or undo them, then sync again"),
        )
    return branch


def _fetch(store: Store, remote: str, branch: str) -> None:
    """Fetch `remote`; refuse (and keep the old view of it) when its branch's history was rewritten."""
    git = store.git
    theirs = f"refs/remotes/{remote}/{branch}"
    known = git.run("rev-parse", "-q", "--verify", theirs, check=False).stdout.strip()
    proc = git.fetch_remote(remote)
    if proc.returncode != 0:
        url = git.config(f"remote.{remote}.url") or "?"
        raise StoreError(_('cannot reach remote {remote} ({url}): {detail}; nothing was changed').format(remote=remote, url=url, detail=_detail(proc.stderr)),
                         hint=_('check the address and the network, then run jiesu sync again'))
    fetched = git.run("rev-parse", "-q", "--verify", theirs, check=False).stdout.strip()
    if known and fetched != known and git.run("merge-base", "--is-ancestor", known, fetched, check=False).returncode != 0:
        gone = git.out("log", "--format=%h %s", f"{fetched or known}..{known}" if fetched else known, check=False).splitlines()
        git.update_ref(theirs, known, message="jiesu sync: keep the view of a rewritten remote")
        shown = "; ".join(gone[:5]) + (f"; and {len(gone) - 5} more" if len(gone) > 5 else "")
        raise SyncConflict(
            _('the history of {remote}/{branch} was rewritten (a forced push): {n} commit(s) this store had from it vanished there ({shown}); nothing was merged').format(remote=remote, branch=branch, n=len(gone), shown=shown),
            hint=_('find out who rewrote it and why; this store keeps every one of them (git log {known}); once `git log {known}..{fetched}` shows nothing worth keeping, put them back with: git push --force {remote} {known}:refs/heads/{branch}').format(known=known[:10], fetched=fetched[:10], remote=remote, branch=branch),
        )


def _merge(store: Store, remote: str, branch: str, actor: str, result: SyncResult) -> None:
    """Merge `remote/branch` into HEAD, or leave HEAD exactly as it was and raise."""
    from jiesu.ops.setup import merge_driver_command

    git = store.git
    theirs = f"refs/remotes/{remote}/{branch}"
    if git.run("rev-parse", "-q", "--verify", theirs, check=False).returncode != 0:
        return  # the remote has no such branch yet: the push creates it
    head = git.head()
    if git.run("merge-base", "--is-ancestor", theirs, "HEAD", check=False).returncode == 0:
        return  # nothing new over there
    count = int(git.out("rev-list", "--count", f"HEAD..{theirs}"))
    fast = git.run("merge-base", "--is-ancestor", "HEAD", theirs, check=False).returncode == 0
    name, email = author_identity(store, actor)
    cname, cemail = git.identity()
    now = timeutil.fmt(store.now())
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": cname or name,
           "GIT_COMMITTER_EMAIL": cemail or email, "GIT_AUTHOR_DATE": now, "GIT_COMMITTER_DATE": now}
    message = f"sync: merge {remote}/{branch}\n\n{count} commit(s) from {remote}\n\nJiesu-Action: sync\nJiesu-Actor: {actor}\n"
    proc = git.merge(theirs, merge_driver_command(), None if fast else message, env)
    if proc.returncode != 0:
        conflicts = [p for p in git.out("diff", "--name-only", "--diff-filter=U", "-z", check=False).split("\0") if p]
        collisions = _collisions(store, head, theirs, conflicts)
        _undo(store, head)
        _refuse(proc, remote, branch, conflicts, collisions)
    result.merged += count
    result.fast_forward = fast
    store.git.keep_commit_graph(store.jiesu_dir / "commit-graph-counter", now=True)
    changed = [p for p in git.out("diff", "--name-only", "-z", head, "HEAD", "--", "cases/").split("\0") if p]
    result.cases += changed
    arrived = store.now()
    for path in changed:  # name the events this merge superseded (not those superseded before)
        old_blob, new_blob = git.show_file(head, path), git.show_file("HEAD", path)
        before = _superseded(old_blob, path)
        after = _superseded(new_blob, path)
        result.superseded += [(path, eid, action) for eid, action in after.items() if eid not in before]
        known = {e.get("id") for e in _events(old_blob, path)}
        for event in _events(new_blob, path):  # and those stamped ahead of this clock by a fast one elsewhere
            if event.get("id") not in known and skew.is_ahead(event, arrived):
                office = skew.office_of(store, path, event.get("id")) if result.ahead < 20 else "?"
                result.ahead += 1
                result.notes.append(f"{path}: {skew.describe(event, office, arrived)}")


def _withdraw_merge_notes(store: Store, actor: str, superseded: list, result: SyncResult) -> None:
    """A `merge` the merge superseded left "merged into this case" on its target: say it no longer holds.

    The note on the target was written with the merge, in another file, so the merge driver
    could not touch it; a second note (an event, appended as always) tells the reader.
    """
    from jiesu.ops.handling import MERGE_NOTE, WITHDRAWN_NOTE
    from jiesu.ops.handling import note as add_note

    for path, event_id, action in superseded:
        if action != "merge":
            continue
        events = _events(store.git.show_file("HEAD", path), path)
        event = next((e for e in events if e.get("id") == event_id), None)
        target = event.get("into") if event else None
        source = path.rsplit("/", 1)[-1].removesuffix(".yaml")
        if not isinstance(target, str) or not store.exists(target):
            continue
        texts = [e.get("text") for e in store.load_case(target).get("events") or [] if isinstance(e, dict) and e.get("action") == "note"]
        if MERGE_NOTE.format(source) not in texts or WITHDRAWN_NOTE.format(source) in texts:
            continue
        try:
            add_note(store, target, actor, WITHDRAWN_NOTE.format(source))
        except JiesuError as exc:
            result.notes.append(_("{target}: its note says {source} was merged into it, but that merge was superseded; "
                                  "could not note it ({reason})").format(target=target, source=source, reason=exc.message))
            continue
        result.notes.append(_("{target}: noted that {source} is not merged into it after all (its merge was superseded)").format(
            target=target, source=source))


def _events(blob: bytes | None, path: str) -> list:
    try:
        case = yamlio.load(blob.decode("utf-8", "replace"), path) if blob else None
    except yamlio.YamlProblem:
        return []
    events = case.get("events") if isinstance(case, dict) else None
    return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []


def _superseded(blob: bytes | None, path: str) -> dict:
    return {e.get("id"): e.get("action") for e in _events(blob, path) if e.get("superseded")}


def _undo(store: Store, head: str) -> None:
    """Leave no half-done merge behind: abort it, and make sure HEAD and the files are as before."""
    git = store.git
    if git.run("rev-parse", "-q", "--verify", "MERGE_HEAD", check=False).returncode == 0:
        git.abort_merge()
    if git.head() != head:
        git.reset_merge(head)
    leftovers.clear(store.root)  # copies of case files a killed merge (or merge driver) left at the top


def _collisions(store: Store, head: str, theirs: str, conflicts: list[str]) -> list[str]:
    """The conflicting files that are two different records given one id (read from the files, not
    from the merge driver's words, which are in the reader's language)."""
    from jiesu.merge_driver import collides, kind_for

    git = store.git
    base = git.run("merge-base", head, theirs, check=False).stdout.strip()
    found = []
    for path in conflicts:
        blobs = [git.show_file(rev, path) if rev else None for rev in (base, head, theirs)]
        docs = []
        for blob in blobs:
            try:
                docs.append(yamlio.load(blob.decode("utf-8", "replace"), path) if blob else None)
            except yamlio.YamlProblem:
                docs.append(None)
        if collides(*docs, kind_for(path)):
            found.append(path)
    return found


def _refuse(proc, remote: str, branch: str, conflicts: list[str], collisions: list[str]):
    text = proc.stdout + "\n" + proc.stderr
    if "unrelated histories" in text:
        raise SyncConflict(
            _("{remote}/{branch} has a history unrelated to this store's; nothing was merged").format(remote=remote, branch=branch),
            hint=_('a store joins a shared remote by cloning it: jiesu init DIR --office CODE --clone URL'),
        )
    if collisions:
        ids = [p.rsplit("/", 1)[-1].removesuffix(".yaml") for p in collisions]
        raise SyncConflict(
            _('case id {items} was given to two different cases, here and on {remote}; nothing was merged').format(items=', '.join(ids), remote=remote),
            hint=_('renumber the case made here: jiesu renumber {ids} (and give each clone of an office its own code: git config jiesu.office CODE), then run jiesu sync again').format(ids=ids[0]),
        )
    outside = [p for p in conflicts if not p.startswith("cases/")]
    if outside:
        raise SyncConflict(
            _('conflict outside cases/ in {items}: both sides changed the same lines; nothing was merged').format(items=', '.join(outside[:5])),
            hint=_('settle it with git (git merge {remote}/{branch}, edit, git commit), then run jiesu sync again').format(remote=remote, branch=branch),
        )
    if conflicts:
        said = re.findall(r"jiesu merge-driver: (\S+: .+)", text)
        files = ", ".join(conflicts[:5])
        raise SyncConflict(
            (_("the merge driver could not merge {files} ({said}); nothing was merged").format(files=files, said="; ".join(said[:2]))
             if said else _("the merge driver could not merge {files} (it stopped without a word); nothing was merged").format(files=files)),
            hint=_('check `jiesu verify` on both sides, then run jiesu sync again'),
        )
    raise SyncConflict(_('cannot merge {remote}/{branch}: {detail}; nothing was merged').format(remote=remote, branch=branch, detail=_detail(proc.stderr or proc.stdout)))


def _push(store: Store, remote: str, branch: str) -> bool:
    """True when pushed; False when refused because the remote moved on (merge again); else raise."""
    git = store.git
    upstream = git.config(f"branch.{branch}.remote")
    proc = git.push(remote, branch, set_upstream=not upstream)
    if proc.returncode == 0:
        return True
    text = proc.stdout + proc.stderr
    if "[rejected]" in text and ("fetch first" in text or "non-fast-forward" in text):
        return False
    if "[remote rejected]" in text and re.search(r"cannot lock ref|but expected|failed to update ref", text):
        return False  # someone pushed between our look at the remote and our update of it
    if "[remote rejected]" in text or "remote:" in proc.stderr or "[rejected]" in text:
        reason = re.findall(r"^remote: (.+)$", proc.stderr, re.MULTILINE) or re.findall(r"\[(?:remote )?rejected\].*\((.+)\)", text)
        raise StoreError(
            _('push to {remote} was rejected: {reason}').format(remote=remote, reason='; '.join(r.strip() for r in reason[:3]) or _detail(proc.stderr)),
            hint=_('this store keeps the merged result and loses nothing; fix what the remote objects to, then run jiesu sync again'),
        )
    url = git.config(f"remote.{remote}.url") or "?"
    raise StoreError(_('cannot push to {remote} ({url}): {detail}').format(remote=remote, url=url, detail=_detail(proc.stderr)),
                     hint=_('this store keeps the merged result and loses nothing; run jiesu sync again when the remote is reachable'))


def sync(store: Store, actor: str, remote: str | None = None, push: bool = True) -> SyncResult:
    """Fetch and merge `remote` (cases by events), then push; refuse cleanly if a person is needed."""
    from jiesu.index import Index

    with store.lock("sync", lend=True):
        notes = store.recover()
        branch = _check_ready(store)
        remote = pick_remote(store, branch, remote)
        result = SyncResult(remote, branch, notes=notes)
        for attempt in range(ATTEMPTS):
            _fetch(store, remote, branch)
            seen = len(result.superseded)
            _merge(store, remote, branch, actor, result)
            _withdraw_merge_notes(store, actor, result.superseded[seen:], result)
            Index(store).refresh_history()  # the commits the merge brought, for `jiesu log`
            if not push:
                return result
            theirs = f"refs/remotes/{remote}/{branch}"
            if store.git.run("rev-parse", "-q", "--verify", theirs, check=False).returncode == 0:
                ahead = int(store.git.out("rev-list", "--count", f"{theirs}..HEAD"))
            else:
                ahead = int(store.git.out("rev-list", "--count", "HEAD"))
            if ahead == 0:
                return result
            if _push(store, remote, branch):
                result.pushed = ahead
                return result
            result.notes.append(_("{remote} moved on while syncing (attempt {attempt}); merging again").format(remote=remote, attempt=attempt + 1))
        raise StoreError(_('push to {remote} was rejected {ATTEMPTS} times: others keep pushing to it').format(remote=remote, ATTEMPTS=ATTEMPTS),
                         hint=_('this store keeps everything merged so far; run jiesu sync again in a moment'))
