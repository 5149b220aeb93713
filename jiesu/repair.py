"""`verify --repair`: bring a store back to its last commit without losing a committed event.

Clears stale git locks and the case-file copies a killed merge left (store/leftovers.py), aborts a
merge left half-done, finishes or rolls back an interrupted write (the journal), puts modified or
deleted case files back to HEAD, removes temporary files of dead writes, moves other
untracked files out of cases/ into `.jiesu/rescued/` (never deletes them), registers the merge
driver in a clone that lacks it (or whose driver points at an interpreter that is gone), and
moves a case filed under the wrong month to the folder of the month it was received.
"""

from __future__ import annotations

import os
import shutil

from jiesu.i18n import _
from jiesu.ops.refile import refile
from jiesu.ops.setup import configure_git
from jiesu.store import leftovers
from jiesu.verify import TEMP_FILE, check_merge_driver


def commit_private_leftovers(store) -> list[str]:
    """Commit personal data a failed write left in private/ uncommitted (a case names it)."""
    private = store.private
    if not private.exists():
        return []
    out = private.git.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "people/", "phones/", "texts/").stdout
    paths = [entry[3:] for entry in out.split("\0") if len(entry) > 3]
    if not paths:
        return []
    private.commit(paths, "keep personal data a failed write left uncommitted", ("jiesu", "jiesu@localhost"))
    return [f"committed {len(paths)} file(s) of personal data left uncommitted in private/"]


def repair(store) -> list[str]:
    notes = []
    with store.lock("verify --repair"):
        notes += leftovers.clear(store.root)  # first: a stale index.lock would stop every git step below
        leftovers.ensure_excluded(store.root)
        if store.git.run("rev-parse", "-q", "--verify", "MERGE_HEAD", check=False).returncode == 0:
            store.git.abort_merge(check=True)
            notes.append(_("aborted a merge that was left half-done; run `{command}` again").format(command="jiesu sync"))
        notes += store.recover()
        out = store.git.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "cases/").stdout
        restore, rescue = [], []
        for entry in out.split("\0"):
            if len(entry) < 4:
                continue
            code, path = entry[:2], entry[3:]
            if code == "??" and TEMP_FILE.search(path):
                (store.root / path).unlink(missing_ok=True)
                notes.append(_("removed {path}, a temporary file of an interrupted write").format(path=path))
            else:
                (rescue if code == "??" else restore).append(path)
        rescue = [p for p in rescue if p not in restore]  # lost from git's index only: restored, not moved away
        if restore:
            store.git.restore(restore)
            notes.append(_("restored {n} case file(s) to the last commit: {paths}").format(n=len(restore), paths=", ".join(restore[:5])))
        if rescue:
            stamp = store.now().strftime("%Y%m%dT%H%M%S")  # JIESU_NOW pins it, as every stamp
            target = store.jiesu_dir / "rescued" / stamp
            for path in rescue:
                dest = target / path
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(store.root / path), dest)
            notes.append(_("moved {n} untracked file(s) out of cases/ into {folder}").format(n=len(rescue), folder=target.relative_to(store.root)))
        notes += commit_private_leftovers(store)
        if check_merge_driver(store):
            configure_git(store.git)
            notes.append(_("registered the jiesu merge driver in this clone's git config"))
    notes += refile(store, _actor(store))
    return notes or [_("nothing to repair")]


def _actor(store) -> str:
    """Who the refile commits name: the acting user if known, else jiesu itself."""
    actor = os.environ.get("JIESU_ACTOR") or store.git.identity()[0] or "jiesu"
    return actor if actor.isprintable() and len(actor) <= 64 else "jiesu"
