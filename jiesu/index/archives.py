"""The rows of archived cases in the read index (see `jiesu.store.archives` for where archives are).

`refresh_index` adds their rows under the path `archive/<year>/cases/…`, following each archive's
HEAD by `git diff-tree` like the store's own rows; `adopt_rows` copies the rows of cases just moved.
"""

from __future__ import annotations

from jiesu.store import treediff
from jiesu.store.archives import FOLDER, head_before, repos
from jiesu.store.gitrepo import GitReader


def refresh_index(index, db) -> None:
    """Bring the archived cases' rows of the read index up to date with each archive's HEAD."""
    from jiesu.index import (
        DEFAULT_TDICT,
        DEFAULT_ZDICT,
        delete_paths,
        insert_rows,
        parse_chunk,
    )

    store = index.store
    for year, folder in repos(store.root):
        git = GitReader(folder)
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
        if index.zdict is None:
            index.zdict, index.tdict = DEFAULT_ZDICT, DEFAULT_TDICT
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                           [("zdict", index.zdict), ("tdict", index.tdict), ("learned", "0")])
        rows = (parse_chunk(str(folder), git.env, store.catalog, store.settings["timezone"], todo, index.zdict, index.tdict)
                if todo else [])
        with db:
            if full:  # an archived case's path is never where its id puts it: it is kept whole
                db.execute("DELETE FROM case_rows WHERE file LIKE ?", (prefix + "%",))
            delete_paths(db, gone + [p for p, _ in todo])
            insert_rows(db, rows)
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, head))



def adopt_rows(store, moved: dict, heads: dict) -> None:
    """Give the read index the rows of cases just moved into archives, copied from their rows in the
    store (same blob, same row, new path), so the next read does not parse them again.

    `moved`: store path → archive year; `heads`: year → the archive's new commit. Only an index
    that reflects the store's HEAD is touched; any other is brought up to date by the next read.
    """
    import sqlite3

    from jiesu.index import COLUMNS, PATH_SQL, PATH_WHERE, delete_paths, path_where

    path = store.jiesu_dir / "index.sqlite"
    if not path.exists():
        return
    try:
        db = sqlite3.connect(path, timeout=30)
        try:
            meta = dict(db.execute("SELECT key, value FROM meta"))
            if meta.get("head") != (store.git.head() or "") or any(meta.get(f"archive:{y}", "") != head_before(store, y)
                                                                    for y in heads):
                return
            rest = ", ".join(COLUMNS[1:])
            with db:
                delete_paths(db, (f"{FOLDER}/{year}/{p}" for p, year in moved.items()))
                db.executemany(f"INSERT INTO case_rows SELECT ? || {PATH_SQL}, {rest} FROM case_rows WHERE {PATH_WHERE}",
                               [(f"{FOLDER}/{year}/", *path_where(p)[1]) for p, year in moved.items()])
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(f"archive:{y}", sha) for y, sha in heads.items()])
        finally:
            db.close()
    except sqlite3.DatabaseError:
        path.unlink(missing_ok=True)
