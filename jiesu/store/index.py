"""The disposable read index: `.jiesu/index.sqlite`, one compact row per case.

Rows are keyed by path and git blob hash (or a content hash for a file that differs from the git
index), so a refresh re-parses only what changed. The file carries a format version and the
catalog's fingerprint; a mismatch, a corrupt file or any read error means: rebuild, and say so.
Deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

from jiesu import timeutil
from jiesu.store import yamlio
from jiesu.summary import summarize

VERSION = "1"
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE cases (
  path TEXT PRIMARY KEY, key TEXT NOT NULL, id TEXT, status TEXT, lead TEXT, district TEXT, street TEXT,
  category TEXT, received_ts REAL, due_ts REAL, closed_ts REAL, evaluated_ts REAL, changed_ts REAL,
  problem TEXT, row TEXT
);
CREATE INDEX cases_id ON cases(id);
CREATE INDEX cases_status ON cases(status, due_ts);
CREATE INDEX cases_received ON cases(received_ts);
CREATE INDEX cases_evaluated ON cases(evaluated_ts);
"""
OPEN = ("received", "dispatched", "accepted")


def _ts(text):
    value = timeutil.load(text) if text else None
    return value.timestamp() if value else None


_WORKER: dict = {}


def _init_worker(catalog, tz_name):
    _WORKER["catalog"], _WORKER["tz"] = catalog, timeutil.zone(tz_name)


def parse_file(root: str, path: str) -> tuple[dict | None, str | None]:
    """(row, None) for a readable case file, (None, problem) otherwise."""
    try:
        data = yamlio.load_file(Path(root) / path, path)
        if not isinstance(data, dict):
            return None, f"{path}:1: a case file must be a mapping"
        return summarize(data, _WORKER.get("catalog"), _WORKER.get("tz")), None
    except yamlio.YamlProblem as exc:
        return None, exc.message
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        return None, f"{path}:1: {exc}"


def _parse_many(root: str, paths: list[str], catalog, tz_name: str, progress=None) -> list:
    _init_worker(catalog, tz_name)
    if len(paths) < 400:
        out = []
        for p in paths:
            out.append(parse_file(root, p))
            if progress:
                progress(1)
        return out
    from concurrent.futures import ProcessPoolExecutor

    workers = min(os.cpu_count() or 2, 8)
    out = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(catalog, tz_name)) as pool:
        for result in pool.map(parse_file, [root] * len(paths), paths, chunksize=200):
            out.append(result)
            if progress:
                progress(1)
    return out


class Index:
    """The index of one store."""

    def __init__(self, store):
        self.store = store
        self.path = store.jiesu_dir / "index.sqlite"
        self.notes: list[str] = []

    def _fingerprint(self) -> str:
        h = hashlib.sha256(VERSION.encode())
        for name in sorted((self.store.root / "catalog").glob("*.yaml")):
            h.update(name.name.encode())
            h.update(name.read_bytes())
        return h.hexdigest()[:16]

    def _connect(self) -> sqlite3.Connection:
        self.store.jiesu_dir.mkdir(exist_ok=True)
        fingerprint = self._fingerprint()
        reason = None
        if self.path.exists():
            try:
                db = sqlite3.connect(self.path)
                meta = dict(db.execute("SELECT key, value FROM meta"))
                if meta.get("version") != VERSION:
                    reason = f"its format changed ({meta.get('version')} → {VERSION})"
                elif meta.get("catalog") != fingerprint:
                    reason = "the catalog changed"
                else:
                    return db
                db.close()
            except sqlite3.DatabaseError:
                reason = "it was unreadable"
            self.notes.append(f"rebuilding the index because {reason}")
            self.path.unlink(missing_ok=True)
        db = sqlite3.connect(self.path)
        db.executescript(SCHEMA)
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("version", VERSION), ("catalog", fingerprint)])
        db.commit()
        return db

    def refresh(self, progress_factory=None) -> sqlite3.Connection:
        """Bring the index up to date with the work tree and return a connection to it."""
        try:
            db = self._connect()
            self._refresh(db, progress_factory)
            return db
        except sqlite3.DatabaseError:
            self.notes.append("rebuilding the index because it was unreadable")
            self.path.unlink(missing_ok=True)
            db = self._connect()
            self._refresh(db, progress_factory)
            return db

    def _current_keys(self) -> dict[str, str]:
        git = self.store.git
        keys = {}
        out = git.run("ls-files", "-s", "-z", "--", "cases/").stdout
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            if path.endswith(".yaml"):
                keys[path] = meta.split()[1]
        dirty = git.run("diff-files", "--name-only", "-z", "--", "cases/").stdout.split("\0")
        for path in dirty:
            if path.endswith(".yaml"):
                full = self.store.root / path
                if full.is_file() and not full.is_symlink():
                    keys[path] = "work:" + hashlib.sha1(full.read_bytes()).hexdigest()
                else:
                    keys.pop(path, None)
        return keys

    def _refresh(self, db: sqlite3.Connection, progress_factory) -> None:
        current = self._current_keys()
        known = dict(db.execute("SELECT path, key FROM cases"))
        gone = [p for p in known if p not in current]
        changed = [p for p, k in current.items() if known.get(p) != k]
        if not gone and not changed:
            return
        progress = progress_factory(len(changed)) if progress_factory and len(changed) > 2000 else None
        try:
            parsed = _parse_many(str(self.store.root), changed, self.store.catalog, self.store.settings["timezone"],
                                 progress.update if progress else None)
        finally:
            if progress:
                progress.close()
        rows = []
        for path, (row, problem) in zip(changed, parsed):
            if row is None:
                rows.append((path, current[path], None, None, None, None, None, None, None, None, None, None, None, problem, None))
                continue
            ev = row.get("evaluated_at")
            rows.append((
                path, current[path], row["id"], row["status"], row["lead"], row["district"], row["street"],
                row["category"], _ts(row["received"]), _ts(row["due"]), _ts(row["closed"]), _ts(ev), _ts(row["changed"]), None,
                json.dumps(row, ensure_ascii=False, separators=(",", ":")),
            ))
        with db:
            db.executemany("DELETE FROM cases WHERE path = ?", [(p,) for p in gone])
            db.executemany("INSERT OR REPLACE INTO cases VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)

    # --- queries ----------------------------------------------------------------------------
    def rows(self, where: str = "", params=(), order: str = "received_ts, id") -> list[dict]:
        db = self.refresh()
        try:
            sql = "SELECT row FROM cases WHERE row IS NOT NULL" + (f" AND ({where})" if where else "") + f" ORDER BY {order}"
            return [json.loads(r[0]) for r in db.execute(sql, params)]
        finally:
            db.close()

    def sources(self) -> dict:
        """(source system, source id) → case id, for every case that came from another system."""
        db = self.refresh()
        try:
            sql = ("SELECT id, json_extract(row, '$.source.system'), json_extract(row, '$.source.id') FROM cases "
                   "WHERE row IS NOT NULL AND json_extract(row, '$.source.id') IS NOT NULL")
            try:
                found = list(db.execute(sql))
            except sqlite3.OperationalError:  # an SQLite without its JSON functions
                rows = (json.loads(r[0]) for r in db.execute("SELECT row FROM cases WHERE row IS NOT NULL"))
                found = [(r["id"], r["source"].get("system"), r["source"].get("id")) for r in rows
                         if isinstance(r.get("source"), dict) and r["source"].get("id") is not None]
            return {(str(system), str(source_id)): case_id for case_id, system, source_id in found}
        finally:
            db.close()

    def problems(self) -> list[str]:
        db = self.refresh()
        try:
            return [r[0] for r in db.execute("SELECT problem FROM cases WHERE problem IS NOT NULL ORDER BY path")]
        finally:
            db.close()
