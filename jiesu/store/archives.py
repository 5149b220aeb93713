"""Archive stores as the store layer sees them: where they are, and their cases in the read index.

`jiesu archive` moves final cases of past years out of the store into `archive/<year>/`, a git
repository of its own (ignored by the store's git) holding `cases/YYYY/MM/<ID>.yaml` as they were.
Reads still find them: `case_file` looks there when a case is not in `cases/`, and
`refresh_index` adds their rows to the read index under the path `archive/<year>/cases/…`,
following each archive's HEAD by `git diff-tree` like the store's own rows.
"""

from __future__ import annotations

import re
from pathlib import Path

from jiesu.store import treediff
from jiesu.store.gitrepo import Git

FOLDER = "archive"
YEAR = re.compile(r"^\d{4}$")


def repos(root: Path) -> list[tuple[str, Path]]:
    """(year, folder) of every archive repository of the store at `root`."""
    base = Path(root) / FOLDER
    if not base.is_dir():
        return []
    return sorted((p.name, p) for p in base.iterdir() if YEAR.match(p.name) and (p / ".git").exists() and not p.is_symlink())


def case_file(root: Path, relpath: str) -> tuple[str, Path] | None:
    """(year, file) of an archived case whose store path is `relpath` (`cases/YYYY/MM/ID.yaml`)."""
    year = relpath.split("/")[1] if relpath.count("/") >= 3 else ""
    folder = Path(root) / FOLDER / year
    path = folder / relpath
    if YEAR.match(year) and path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(folder.resolve()):
        return year, path
    return None


def names_in(root: Path, year: int, month: int) -> list[str]:
    """Ids of the archived cases of one month (so a new case never takes an archived id)."""
    folder = Path(root) / FOLDER / f"{year:04d}" / "cases" / f"{year:04d}" / f"{month:02d}"
    return [p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")] if folder.is_dir() else []


def refresh_index(index, db) -> None:
    """Bring the archived cases' rows of the read index up to date with each archive's HEAD."""
    from jiesu.store.index import COLUMNS, parse_chunk

    store = index.store
    for year, folder in repos(store.root):
        git = Git(folder)
        head = git.head() or ""
        key = f"archive:{year}"
        found = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        old = found[0] if found else ""
        if old == head:
            continue
        prefix = f"{FOLDER}/{year}/"
        found, full = treediff.changes(git, old, head) if head else ([], True)
        gone = [prefix + p for p, b, _ in found if b is None]
        todo = [(prefix + p, b) for p, b, _ in found if b is not None]
        rows = parse_chunk(str(folder), git.env, store.catalog, store.settings["timezone"], todo) if todo else []
        with db:
            if full:
                db.execute("DELETE FROM cases WHERE path LIKE ?", (prefix + "%",))
            db.executemany("DELETE FROM cases WHERE path = ?", [(p,) for p in gone])
            db.executemany(f"INSERT OR REPLACE INTO cases VALUES ({','.join('?' * len(COLUMNS))})", rows)
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, head))



def adopt_rows(store, moved: dict, heads: dict) -> None:
    """Give the read index the rows of cases just moved into archives, copied from their rows in the
    store (same blob, same row, new path), so the next read does not parse them again.

    `moved`: store path → archive year; `heads`: year → the archive's new commit. Only an index
    that reflects the store's HEAD is touched; any other is brought up to date by the next read.
    """
    import sqlite3

    from jiesu.store.index import COLUMNS

    path = store.jiesu_dir / "index.sqlite"
    if not path.exists():
        return
    try:
        db = sqlite3.connect(path, timeout=30)
        try:
            meta = dict(db.execute("SELECT key, value FROM meta"))
            if meta.get("head") != (store.git.head() or "") or any(meta.get(f"archive:{y}", "") != _before(store, y)
                                                                    for y in heads):
                return
            rest = ", ".join(COLUMNS[1:])
            with db:
                db.executemany(f"INSERT OR REPLACE INTO cases SELECT ? || path, {rest} FROM cases WHERE path = ?",
                               [(f"{FOLDER}/{year}/", p) for p, year in moved.items()])
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(f"archive:{y}", sha) for y, sha in heads.items()])
        finally:
            db.close()
    except sqlite3.DatabaseError:
        path.unlink(missing_ok=True)


def _before(store, year: str) -> str:
    """The commit of an archive before this run (its parent), or "" for a new archive."""
    git = Git(Path(store.root) / FOLDER / year)
    proc = git.run("rev-parse", "-q", "--verify", "HEAD~1", check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""
