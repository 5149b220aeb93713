"""Ranked full-text search over knowledge entries: SQLite FTS5, BM25, Chinese and English.

The index is disposable, `.jiesu/knowledge.sqlite`, one row per entry, kept in step with the
committed `knowledge/` tree: its tree id is stored, and when it differs only the files that
`git diff-tree` names are read again. Text is indexed as terms: English words (Porter-stemmed by
FTS5) and, for Chinese, every pair of adjacent characters — callers say 社保, 户口, 供暖, and a
two-character word must be found as such. A query is cut into the same terms and any of them
may match; BM25 weighs questions above source titles above the answer, so the entries that
share the most (and the rarest) terms with what the caller said come first.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date

from jiesu.knowledge import files, record
from jiesu.store import yamlio

SCHEMA = 1
WEIGHTS = (0.0, 4.0, 1.0, 2.0, 2.0)  # id, questions, answer, sources, categories
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[A-Za-z0-9]+")
STOP = frozenset("""a an and are as at be by can do does did for from get got have how i if in is it its me my
need of on or our should so than that the their them then there this to us want was we what when where which
who why will with would you your am please tell about any""".split())
STOP_ZH = frozenset("怎么 什么 请问 如何 哪里 需要 可以 我想 想问 一下 咨询 问一 问问 我的 是否 多少 能不 不能 要什 么办 怎样 么样".split())


def terms(text: str, query: bool = False) -> list[str]:
    """English words and Chinese character pairs of `text` (a query drops common words)."""
    out = []
    for part in re.split(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)", text or ""):
        if not part:
            continue
        if _CJK.fullmatch(part):
            pairs = [part[i:i + 2] for i in range(len(part) - 1)] or [part]
            out += [p for p in pairs if not (query and p in STOP_ZH)]
        else:
            words = [w.lower() for w in _WORD.findall(part)]
            out += [w for w in words if not (query and (w in STOP or len(w) < 2))]
    return out


def _row(entry: dict) -> tuple | None:
    state = record.project(entry)
    if not state["versions"]:
        return None
    sources = " ; ".join(" ".join(str(s.get(k) or "") for k in ("title", "issuer")) for s in state.get("sources") or [])
    cats = state.get("categories") or []
    return (entry["id"], state["status"], state.get("valid_from"), state.get("valid_until"), " ".join(cats),
            state["version"], state["questions"][0],
            " ".join(terms("\n".join(state.get("questions") or []))), " ".join(terms(state.get("answer") or "")),
            " ".join(terms(sources)), " ".join(terms(" ".join(c.replace(".", " ").replace("-", " ") for c in cats))))


def _tree(store) -> str:
    if not store.git.head():
        return ""
    result = store.git.run("rev-parse", "--verify", "-q", "HEAD:knowledge", check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def _create(db) -> None:
    db.executescript(f"""
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE IF NOT EXISTS entries (id TEXT PRIMARY KEY, status TEXT, valid_from TEXT, valid_until TEXT,
            categories TEXT, version INTEGER, question TEXT);
        CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(id UNINDEXED, questions, answer, sources, categories,
            tokenize='porter unicode61 remove_diacritics 2');
        INSERT OR IGNORE INTO meta VALUES ('schema', '{SCHEMA}');
    """)


def _put(db, rows: list[tuple], gone: list[str]) -> None:
    for entry_id in gone + [r[0] for r in rows]:
        db.execute("DELETE FROM entries WHERE id = ?", (entry_id,))
        db.execute("DELETE FROM fts WHERE id = ?", (entry_id,))
    db.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?)", [r[:7] for r in rows])
    db.executemany("INSERT INTO fts VALUES (?,?,?,?,?)", [(r[0], *r[7:]) for r in rows])


def _load_rows(store, rels) -> tuple[list[tuple], list[str]]:
    rows, gone = [], []
    for rel in rels:
        path = store.root / rel
        entry_id = rel.rsplit("/", 1)[-1][:-5]
        try:
            data = yamlio.load_file(path, rel) if path.is_file() and not path.is_symlink() else None
        except (yamlio.YamlProblem, UnicodeDecodeError):
            data = None
        row = _row(data) if isinstance(data, dict) and record.is_entry_id(data.get("id")) and isinstance(data.get("events"), list) else None
        if row is None:
            gone.append(entry_id)
        else:
            rows.append(row)
    return rows, gone


def connect(store) -> sqlite3.Connection:
    """The search index, brought up to date with the committed entries (in memory when the
    store's index cannot be written, or is busy beyond the wait)."""
    tree = _tree(store)
    try:
        store.jiesu_dir.mkdir(exist_ok=True)
        db = sqlite3.connect(store.jiesu_dir / "knowledge.sqlite", timeout=30)
        _update(store, db, tree)
        return db
    except (OSError, sqlite3.Error):
        db = sqlite3.connect(":memory:")
        _update(store, db, tree)
        return db


def _update(store, db, tree: str) -> None:
    _create(db)
    known = dict(db.execute("SELECT key, value FROM meta").fetchall())
    if known.get("schema") != str(SCHEMA):
        db.executescript("DROP TABLE entries; DROP TABLE fts; DELETE FROM meta;")
        _create(db)
        known = {}
    if known.get("tree") == tree and tree:
        return
    old, rels = known.get("tree"), None
    if old and tree:
        out = store.git.run("diff-tree", "-r", "--name-only", old, tree, check=False)
        rels = [f"knowledge/{n}" for n in out.stdout.split() if n.endswith(".yaml")] if out.returncode == 0 else None
    with db:
        if rels is None:
            db.execute("DELETE FROM entries")
            db.execute("DELETE FROM fts")
            rels = [r for r in files.entry_files(store.root) if r.endswith(".yaml")]
        rows, gone = _load_rows(store, rels)
        _put(db, rows, gone)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('tree', ?)", (tree,))


def search(store, text: str, limit: int = 5, on: date | None = None, category: str | None = None,
           every: bool = False) -> list[dict]:
    """The entries best matching `text`, best first: {id, version, question, score, status,
    valid_from, valid_until, categories}. Only entries valid on `on` (default today) unless `every`;
    with `category`, only entries serving that category (a code or a prefix of one)."""
    wanted = list(dict.fromkeys(terms(text, query=True)))
    if not wanted:
        return []
    day = (on or store.now().date()).isoformat()
    match = " OR ".join('"' + t.replace('"', '""') + '"' for t in wanted)
    where, params = ["fts MATCH ?"], [match]
    if not every:
        where.append("e.status = 'active' AND (e.valid_from IS NULL OR e.valid_from <= ?) "
                     "AND (e.valid_until IS NULL OR e.valid_until >= ?)")
        params += [day, day]
    if category:
        where.append("(' ' || e.categories || ' ') GLOB ?")
        params.append(f"* {category}*")
    sql = (f"SELECT e.id, e.version, e.question, bm25(fts, {', '.join(map(str, WEIGHTS))}) AS score, e.status, "
           f"e.valid_from, e.valid_until, e.categories FROM fts JOIN entries e ON e.id = fts.id "
           f"WHERE {' AND '.join(where)} ORDER BY score, e.id LIMIT ?")
    db = connect(store)
    try:
        rows = db.execute(sql, (*params, int(limit))).fetchall()
    finally:
        db.close()
    keys = ("id", "version", "question", "score", "status", "valid_from", "valid_until", "categories")
    out = []
    for row in rows:
        hit = dict(zip(keys, row))
        hit["score"] = round(-hit["score"], 3)
        hit["categories"] = hit["categories"].split()
        out.append(hit)
    return out
