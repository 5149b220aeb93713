"""Retention: remove personal data of old, finished cases from `private/`.

A person's record goes when every case it serves is finished (closed, evaluated, rejected or
merged) and last changed before the cut-off; a record that still serves a newer or open case
only forgets the old case ids. Deleting files is not forgetting: the git history of `private/`
keeps every removed record until that history is rewritten, which `rewrite_history` does (and
which the command line explains every time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from jiesu import model, timeutil
from jiesu.errors import JiesuError, StoreError
from jiesu.i18n import _
from jiesu.privacy import PURGED, REF
from jiesu.store import Store, yamlio
from jiesu.store.gitwrite import author_identity

FINISHED = frozenset({"closed", "evaluated", "rejected", "merged"})


@dataclass
class PurgeResult:
    """What a purge removed and kept."""

    cutoff: str
    people: list = field(default_factory=list)     # refs whose record was removed
    cases: list = field(default_factory=list)      # case ids whose personal data is gone
    kept: list = field(default_factory=list)       # refs kept for a newer or open case
    unknown: list = field(default_factory=list)    # case ids named in private/ but not in the store
    commit: str | None = None
    branch: str = "master"


def _is_old(store: Store, case_id: str, cutoff: datetime) -> bool | None:
    """True if finished and last changed before `cutoff`; None if the store has no such case."""
    try:
        case = store.load_case(case_id)
    except JiesuError:
        return None
    status = model.replay(case, strict=False)["status"]
    times = [timeutil.load(e.get("at")) for e in case.get("events") or [] if isinstance(e, dict) and e.get("at")]
    return status in FINISHED and bool(times) and max(times) < cutoff


def purge(store: Store, before: str, actor: str) -> PurgeResult:
    """Remove from `private/` the personal data of cases finished before the day `before`."""
    day = timeutil.parse_date(before, "--before")
    cutoff = datetime.combine(day, time(0), store.tz)
    result = PurgeResult(timeutil.fmt(cutoff))
    private = store.private
    if not private.exists():
        return result
    with store.lock("purge-private"):
        store.recover()
        result.branch = private.git.run("symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip() or "master"
        changed: list[str] = []
        for path in sorted((private.root / "people").glob("P-*.yaml")):
            ref = path.stem
            if not REF.match(ref) or path.is_symlink():
                continue
            record = private.read(ref) or {}
            cases = [c for c in record.get("cases") or [] if isinstance(c, str)]
            verdict = {c: _is_old(store, c, cutoff) for c in cases}
            result.unknown += [c for c, old in verdict.items() if old is None]
            old = [c for c, is_old in verdict.items() if is_old]
            if not old:
                continue
            result.cases += old
            if len(old) == len(cases):
                result.people.append(ref)
                changed.append(private.person_path(ref))
                path.unlink()
                for phone in [record.get("phone"), *(record.get("other_phones") or [])]:
                    refs = private.refs_for_phone(str(phone)) if phone else []
                    if ref in refs:
                        changed.append(private.phone_path(str(phone)))
                        rest = [r for r in refs if r != ref]
                        if rest:  # a household phone: the others keep it
                            yamlio.atomic_write(private.root / private.phone_path(str(phone)), "".join(f"{r}\n" for r in rest))
                        else:
                            (private.root / private.phone_path(str(phone))).unlink()
            else:
                result.kept.append(ref)
                record["cases"] = [c for c in cases if c not in old]
                yamlio.atomic_write(path, private.dump(record), mode=0o600)
                changed.append(private.person_path(ref))
        # the full texts kept for masked free text go with the case's personal data
        for path in sorted((private.root / "texts").glob("*.yaml")):
            if not path.is_symlink() and _is_old(store, path.stem, cutoff):
                path.unlink()
                changed.append(f"texts/{path.name}")
                if path.stem not in result.cases:
                    result.cases.append(path.stem)
        if result.people:  # cases keep their ref: `verify` knows these were purged, not lost
            purged = private.root / PURGED
            known = purged.read_text("utf-8").split() if purged.is_file() else []
            yamlio.atomic_write(purged, "".join(f"{r}\n" for r in dict.fromkeys(known + result.people)))
            changed.append(PURGED)
        # a purge killed half-way left deletions behind: commit them now
        leftover = private.git.run("ls-files", "--deleted", "--modified", "-z", "--", "people/", "phones/", "texts/").stdout
        changed += [p for p in leftover.split("\0") if p and p not in changed]
        if changed:
            message = f"purge personal data of {len(result.cases)} case(s) finished before {day.isoformat()}"
            result.commit = private.git.commit(changed, message, author_identity(store, actor))
    return result


def history_steps(branch: str) -> list[str]:
    """The git commands that rewrite private/'s history to its present content (one commit)."""
    return [
        "git checkout --orphan jiesu-purged",
        "git commit -q -m 'private data after purge'",
        f"git branch -D {branch}",
        f"git branch -m {branch}",
        "git reflog expire --expire=now --all",
        "git gc -q --prune=now",
    ]


def rewrite_history(store: Store) -> str:
    """Replace private/'s history by one commit of its present content; return the branch name."""
    private = store.private
    with store.lock("purge-private --rewrite-history"):
        git = private.git
        branch = git.run("symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip() or "master"
        dirty = git.run("status", "--porcelain", "--untracked-files=no").stdout.strip()
        if dirty:
            raise StoreError(_('private/ has uncommitted changes; run `jiesu verify --repair` first'))
        git.rewrite_to_one_commit(branch, "private data after purge")
    return branch
