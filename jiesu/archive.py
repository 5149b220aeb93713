"""Years that end: final cases of the past move to archive stores, and come back on demand.

`archive(store, before)` moves every final case received before a date — evaluated, rejected,
merged, or closed longer than `archive_after` (jiesu.yaml, default 30d) — into `archive/<year>/`
(the year received), a git repository of its own that the store's git ignores. Each run makes one
commit in each archive it adds to, with a `Jiesu-Store:` trailer naming the store commit the
cases were taken from, and then one commit in the store removing them, with a `Jiesu-Archive:`
trailer naming each archive commit. If anything fails, archives made by the run are removed and
the others reset, and the store is left as it was.

Every read still finds archived cases (`jiesu.store.archives`: the read index spans the archives,
`show` and `log` find the file); a write to one is refused with the command that brings it back,
`unarchive(store, id)`, which again makes one commit on each side.
"""

from __future__ import annotations

import shutil
from datetime import time, timedelta

from jiesu import i18n, timeutil
from jiesu.errors import CaseNotFound, InvalidInput
from jiesu.i18n import _, pgettext
from jiesu.index import BLOB_SQL, IN_STORE, PATH_SQL, Index
from jiesu.index import archives as index_archives
from jiesu.store import SETTINGS, archives, yamlio
from jiesu.store.catfile import Blobs
from jiesu.store.gitwrite import Git

FINAL = ("evaluated", "rejected", "merged")
DEFAULT_AFTER = "30d"
IGNORE_LINE = f"/{archives.FOLDER}/"


def archive_after(store) -> timedelta:
    """How long a closed (not yet evaluated) case waits before it may be archived."""
    data = yamlio.load_file(store.root / SETTINGS, SETTINGS) or {}
    return timeutil.parse_duration(str(data.get("archive_after") or DEFAULT_AFTER), f"{SETTINGS}: archive_after")


def _identity(store, actor: str) -> dict:
    from jiesu.store.gitwrite import author_identity

    name, email = author_identity(store, actor)
    when = timeutil.fmt(store.now())
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}


def _why_not(status: str, closed_ts, now_ts: float, after: timedelta) -> str | None:
    if status in FINAL:
        return None
    if status == "closed":
        if closed_ts is not None and closed_ts + after.total_seconds() <= now_ts:
            return None
        return _("closed less than {duration} ago (archive_after)").format(duration=timeutil.format_duration(after))
    return _("still {status}").format(status=pgettext("status", status))


def select(store, before: str, ids=()) -> tuple[list[tuple[str, str, str]], int]:
    """([(id, path, blob)] to archive, count of cases received before the date left in place)."""
    day = timeutil.parse_date(before, "--before")
    now = store.now()
    if day > now.astimezone(store.tz).date():
        raise InvalidInput(_('--before: {day} is in the future; archive cases received before a past date').format(day=day))
    limit = timeutil.local(day, time(0), store.tz).timestamp()
    after = archive_after(store)
    index = Index(store)
    if ids:
        chosen = []
        for case_id in ids:
            found = index.select(f"id, {PATH_SQL}, {BLOB_SQL}, status, closed_ts, received_ts", f"id = ? AND {IN_STORE}", (case_id,))
            if not found:
                if archives.case_file(store.root, store.case_relpath(case_id)):
                    raise InvalidInput(_('{case_id} is already archived').format(case_id=case_id))
                raise CaseNotFound(i18n._("no case {case} in this store").format(case=case_id),
                                   hint=i18n._("list cases with `jiesu list`"))
            cid, path, blob, status, closed_ts, received_ts = found[0]
            if received_ts >= limit:
                raise InvalidInput(_('{case_id} was received on or after {day}; only cases received before --before are archived').format(case_id=case_id, day=day))
            why = _why_not(status, closed_ts, now.timestamp(), after)
            if why:
                raise InvalidInput(_('{case_id} is {why}: only final cases are archived (evaluated, rejected, merged, or closed longer than {duration})').format(case_id=case_id, why=why, duration=timeutil.format_duration(after)))
            chosen.append((cid, path, blob))
        return chosen, 0
    rows = index.select(f"id, {PATH_SQL}, {BLOB_SQL}, status, closed_ts", f"received_ts < ? AND {IN_STORE}", (limit,))
    chosen = [(cid, path, blob) for cid, path, blob, status, closed_ts in rows
              if _why_not(status, closed_ts, now.timestamp(), after) is None]
    return chosen, len(rows) - len(chosen)


def archive(store, before: str, actor: str, ids=()) -> dict:
    """Move final cases received before `before` to archive stores: {"archived", "left", "archives", "commit"}."""
    chosen, left = select(store, before, ids)
    if not chosen:
        return {"archived": 0, "left": left, "archives": {}, "commit": None}
    by_year: dict = {}
    for case_id, path, blob in chosen:
        by_year.setdefault(path.split("/")[1], []).append((case_id, path, blob))
    made, reset, commits = [], {}, {}
    ident = _identity(store, actor)
    with store.transaction("archive") as tx:
        try:
            blobs = Blobs(str(store.root), store.git.env)
            try:
                for year, items in sorted(by_year.items()):
                    folder = store.root / archives.FOLDER / year
                    git = Git(folder)
                    if (folder / ".git").exists():
                        reset[year] = git.head()
                    else:
                        folder.mkdir(parents=True, exist_ok=True)
                        made.append(folder)
                        git.init("main")
                        git.set_config("core.quotePath", "false")
                    for _, path, blob in items:
                        target = folder / path
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(blobs.read(blob) or b"")
                    git.add("cases")
                    message = (f"archive {len(items)} case(s) of {year} from store {store.office}, received before {before}\n\n"
                               f"Jiesu-Action: archive\nJiesu-Actor: {actor}\nJiesu-Store: {store.office} {tx.head}\n")
                    git.commit_staged(message, env=ident)
                    commits[year] = git.head()
            finally:
                blobs.close()
            ignore = store.root / ".gitignore"
            text = ignore.read_text("utf-8") if ignore.exists() else ""
            if IGNORE_LINE not in text.splitlines():
                tx.write(".gitignore", text + ("" if text.endswith("\n") or not text else "\n") + IGNORE_LINE + "\n")
            paths = [path for _, path, _ in chosen]
            index_archives.adopt_rows(store, {path: path.split("/")[1] for path in paths}, commits)
            tx.paths.extend(paths)  # journaled once for the whole run, then removed
            tx._journal()
            for path in paths:
                (store.root / path).unlink(missing_ok=True)
            trailers = "".join(f"Jiesu-Archive: {archives.FOLDER}/{y} {sha}\n" for y, sha in sorted(commits.items()))
            counts = ", ".join(f"{len(v)} of {y}" for y, v in sorted(by_year.items()))
            sha = tx.commit(f"archive {len(chosen)} case(s) received before {before}\n\n{counts}\n\n"
                            f"Jiesu-Action: archive\nJiesu-Actor: {actor}\n{trailers}", actor)
        except BaseException:
            (store.jiesu_dir / "index.sqlite").unlink(missing_ok=True)  # it may hold rows of the archives undone
            for folder in made:
                shutil.rmtree(folder, ignore_errors=True)
            for year, head in reset.items():
                if head:
                    Git(store.root / archives.FOLDER / year).reset_hard(head)
            raise
    return {"archived": len(chosen), "left": left, "archives": {y: len(v) for y, v in by_year.items()}, "commit": sha}


def unarchive(store, case_id: str, actor: str) -> dict:
    """Bring one archived case back into the store: {"id", "archive", "commit"}."""
    rel = store.case_relpath(case_id)
    found = archives.case_file(store.root, rel)
    if found is None:
        if (store.root / rel).is_file():
            raise InvalidInput(_('{case_id} is not archived').format(case_id=case_id))
        raise CaseNotFound(i18n._("no case {case} in this store or its archives").format(case=case_id),
                           hint=i18n._("list cases with `jiesu list`"))
    year, path = found
    folder = store.root / archives.FOLDER / year
    git = Git(folder)
    data = path.read_bytes()
    case = yamlio.load(data.decode("utf-8"), rel) or {}
    with store.transaction("unarchive") as tx:
        tx.write(rel, data.decode("utf-8"))
        sha = tx.commit(f"unarchive {case_id}: {case.get('title') or ''}\n\nJiesu-Case: {case_id}\nJiesu-Action: unarchive\n"
                        f"Jiesu-Actor: {actor}\nJiesu-Archive: {archives.FOLDER}/{year} {git.head()}\n", actor)
    git.remove(rel)
    git.commit_staged(f"unarchive {case_id}: back in store {store.office}\n\n"
            f"Jiesu-Case: {case_id}\nJiesu-Action: unarchive\nJiesu-Actor: {actor}\nJiesu-Store: {store.office} {sha}\n",
            env=_identity(store, actor))
    return {"id": case_id, "archive": f"{archives.FOLDER}/{year}", "commit": sha}
