"""Reading which commits changed each case, in the background, for a large new index.

A new index of many cases is built without its table of commits per case (`jiesu.index.changes`):
reading the whole history costs seconds at 100,000 cases, which the command that built the index
should not wait for. That command starts this module in a process of its own, which outlives it:

    python -m jiesu.index.backfill STORE

It reads the history into a side file (`.jiesu/history-fill.sqlite`), so the index stays free for
other commands meanwhile, then copies the rows with one short transaction into the index then at its
path (one deleted and built again meanwhile is never written to) — unless the table was filled in
the meantime (`jiesu verify --reindex-history`). Until then `jiesu log` walks git's
history, with the same result. One fill runs at a time (a lock on `.jiesu/history-fill.lock`); a fill
that fails leaves the table empty, and the next large cold build or `verify --reindex-history` tries
again. It prints nothing, and runs at a lower priority than the commands of the people at work.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from jiesu.index import changes as commit_table

SIDE = "history-fill.sqlite"
LOCK = "history-fill.lock"


def start(store) -> bool:
    """Start the fill for `store` in a detached process; False when it could not be started."""
    package_parent = str(Path(__file__).resolve().parents[2])  # jiesu as this process imported it
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p))
    try:
        subprocess.Popen([sys.executable, "-m", "jiesu.index.backfill", str(store.root)], cwd=store.root, env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
    except OSError:
        return False  # `jiesu log` walks git's history; `verify --reindex-history` fills the table
    return True


def fill(store) -> bool:
    """Fill the index's table of commits per case if it is still empty; True if this call filled it."""
    from jiesu.index import Index

    jiesu_dir = store.jiesu_dir
    with open(jiesu_dir / LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # another fill is at work
        index = Index(store)
        db = index._open(create=False)
        if db is None:
            return False  # no index (deleted, or of another format): its next build starts a fill
        try:
            if commit_table.filled(db):
                return False
        finally:
            db.close()
        head = store.git.head()
        if not head:
            return False
        side_path = jiesu_dir / SIDE
        try:
            side_path.unlink(missing_ok=True)
            side = sqlite3.connect(side_path)
            try:
                side.execute("PRAGMA synchronous=OFF")
                side.execute(f"CREATE TABLE changes ({commit_table.ROWS})")
                with side:
                    commit_table.read_history(side, store, head)
            finally:
                side.close()
            # The index is opened again by its path: deleted and built again meanwhile, it is the new
            # file that takes the rows (the table is the history up to `head`, whatever the rows), never
            # the deleted one, whose transaction would share the new one's journal file.
            db = index._open(create=False)
            if db is None:
                return False
            try:
                return _take(db, side_path, head)
            finally:
                db.close()
        finally:
            side_path.unlink(missing_ok=True)


def _take(db: sqlite3.Connection, side_path: Path, head: str) -> bool:
    """Copy the side file's rows into the index's table, unless it was filled meanwhile."""
    db.execute("ATTACH DATABASE ? AS side", (str(side_path),))
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            if commit_table.filled(db):
                db.rollback()
                return False
            commit_table.take_rows(db, "side.changes", head)
            db.commit()
        except BaseException:
            db.rollback()
            raise
    finally:
        db.execute("DETACH DATABASE side")
    return True


def main(argv: list[str]) -> int:
    try:
        os.nice(10)
    except OSError:
        pass
    try:
        from jiesu.store import Store

        fill(Store(Path(argv[0])))
    except Exception:  # noqa: BLE001 — nobody reads this process's output; the table stays empty
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
