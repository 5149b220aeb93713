"""The disposable read index: `.jiesu/index.sqlite`, one compact row per committed case.

The index mirrors the case files of HEAD. Each row names its file (by its id, see `PATH_SQL`) and
git blob id; the commit it reflects is kept in `meta.head`. A read compares HEAD with it — nothing to do when they agree; else
`git diff-tree` names the changed files, and only those are parsed (from git, in parallel when
many). jiesu's own writes update their rows as they commit, so the next read finds the index
current. Uncommitted edits in the work tree are not indexed: `verify` reports them.

A row holds typed columns for the queries and two packed records: the case's summary (see
`jiesu.summary`) and its assessment record. Each is kept as the tuple of its values in a fixed
order (no keys), a value its row's columns hold or give already as `SAME` (the summary's id,
status, title, dates, places, the caller's phone key, the time limit's source, an unextended due
time; the record's case id), `marshal`led and compressed with zstd against a dictionary trained on
the index's first cases (kept in `meta.zdict`): a summary costs about 150 bytes rather than two
kilobytes. Read them with `Index.unpack_row` (select `ROW_SQL`) and `unpack_assess` (select the
packed column and the case's id). What only one command reads is not kept: the event rows of the
Parquet export are read from the case files it writes (`jiesu.interop.parquet_events`).

Nothing is kept twice that a column gives: times are whole seconds where they are whole (4 bytes,
not 8), and the texts `received`, `due` and `closed` are kept only where they differ from what
their seconds give in the office's zone (select them as `DATE_SQL` gives them); `co_units` holds
the co-units alone (the lead is its own column: select with `scope_clause`); the blob id is kept
as its bytes (select `BLOB_SQL`); a path is kept only where the case's id does not give it (select
`PATH_SQL`, find a row with `path_where`); a caller's phone key as the integer its 16 hex digits
are (select `CALLER_SQL`, compare with `caller_value`). The title and the text duplicates are
compared on (without its title's part, see `textfold.kept`) are packed together in the column
`text`, against a dictionary of their own (`meta.tdict`): select the title as `TITLE_SQL`, read
both with `Index.texts`. Places, units, categories and kinds are kept as
numbers in the table `case_rows`, named in `names`; the view `cases`, which every query reads,
gives their texts back (`jiesu.index.names`); rows are written with `insert_rows`.

The index is a cache above the rules: the store knows nothing of it. Importing this module registers
`after_commit` in `jiesu.store.COMMIT_HOOKS`, so jiesu's own commits keep it current.

The file carries a format version (with the Python version, for `marshal`) and the catalog's
fingerprint; a mismatch, a corrupt file or any read error means: rebuild, and say so. Deleting it
is always safe.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import re
import sqlite3
import subprocess
import sys
from datetime import datetime

from jiesu import timeutil
from jiesu.governance.columns import governance_columns
from jiesu.governance.textfold import kept
from jiesu.i18n import N_, _
from jiesu.index import changes as commit_table
from jiesu.index import names
from jiesu.store import COMMIT_HOOKS, yamlio
from jiesu.store.case_layout import case_relpath, parse_id
from jiesu.store.catfile import committed
from jiesu.summary import ROW_KEYS, summarize

VERSION = f"25/{sys.version_info[0]}.{sys.version_info[1]}/{marshal.version}"
COLUMNS = (
    "file", "blob", "id", "status", "type", "channel", "category", "district", "street", "lead", "co_units", "text",
    "received", "due", "closed", "received_ts", "due_ts", "closed_ts", "evaluated_ts", "changed_ts", "closed_late",
    "exempt", "source_key", "community", "kind", "limit_class", "tags", "flags", "address_key", "caller", "dow", "hour",
    "supervised", "whistle", "read_at", "assess", "problem", "row",
)
SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE commits (n INTEGER PRIMARY KEY, sha TEXT UNIQUE);
CREATE TABLE case_rows ({", ".join(COLUMNS)});
{names.TABLE};
{names.view(COLUMNS)};
{commit_table.TABLE};
"""
# made after the rows of a new index are in (faster than keeping them up to date row by row); a no-op later.
# `cases_received` holds the id too: (received_ts, id) is the default order, read without a sort.
# `cases_late` answers `overdue`'s count of cases closed late alone (every read asks `problem IS NULL`:
# with that in the index's condition no row is looked up — 227 ms → 5 ms at 1,000,000 cases); it
# replaced `cases_closed_late`, dropped from an index made before. `cases_address` leaves out the
# cases that name no address (half of the benchmark's): every query of it compares the key.
# `cases_file` finds the few rows whose file is not where their id puts it (see `PATH_SQL`).
INDEXES = """
CREATE INDEX IF NOT EXISTS cases_id ON case_rows(id);
CREATE INDEX IF NOT EXISTS cases_status ON case_rows(status, due_ts);
CREATE INDEX IF NOT EXISTS cases_received ON case_rows(received_ts, id);
CREATE INDEX IF NOT EXISTS cases_evaluated ON case_rows(evaluated_ts);
CREATE INDEX IF NOT EXISTS cases_closed ON case_rows(closed_ts);
DROP INDEX IF EXISTS cases_closed_late;
CREATE INDEX IF NOT EXISTS cases_late ON case_rows(closed_ts) WHERE closed_late = 1 AND problem IS NULL;
CREATE INDEX IF NOT EXISTS cases_changed ON case_rows(changed_ts);
CREATE INDEX IF NOT EXISTS cases_source ON case_rows(source_key) WHERE source_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS cases_problem ON case_rows(file) WHERE problem IS NOT NULL;
CREATE INDEX IF NOT EXISTS cases_file ON case_rows(file) WHERE file IS NOT NULL;
CREATE INDEX IF NOT EXISTS cases_address ON case_rows(address_key, received_ts) WHERE address_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS cases_caller ON case_rows(caller, received_ts);
"""
OPEN = ("received", "dispatched", "accepted")
PARALLEL_FROM = 500
# a new index of this many cases or more reads the history for `jiesu log` in the background
# (jiesu.index.backfill): at 100,000 cases that is seconds the command need not wait for
HISTORY_INLINE_BELOW = 20_000
WORKERS = min(os.cpu_count() or 2, 8)  # processes that parse case files for a build
SPAWN_FROM = 20_000  # from this many files on, index workers are fresh interpreters (see `_pool`)
PAGE_SIZE = 16384  # of a new index file
SAMPLE = 256  # cases a new index learns its packing dictionary from (128 learned a few bytes a summary worse)
ZDICT_SIZE = 32768
TDICT_SIZE = 8192
ZDICT_MAGIC = b"\x37\xa4\x30\xec"  # how a trained zstd dictionary starts
# zstd against a trained dictionary: at level 3 as small as deflate at level 6 against the same
# cases' records, a ninth of the time to pack (6.5 µs a case, not 61) and half the time to unpack;
# level 5 packs a summary of the benchmark's store in 136 bytes, not 150 (1,000,000 cases), for 3-5 µs more
ZSTD_LEVEL = 5


def _ts(text):
    try:
        value = timeutil.load(text) if isinstance(text, str) and text else None
    except ValueError:
        return None
    if not value:
        return None
    seconds = value.timestamp()
    return int(seconds) if seconds.is_integer() else seconds  # an integer of 4 bytes, a float of 8


def time_text(ts, tz) -> str | None:
    """The stored form (`timeutil.fmt`) of an instant kept as seconds, in the office's zone (None
    for none, or for an instant that has no date there: year 1 at +14:00, year 9999 at -12:00)."""
    if ts is None:
        return None
    try:
        return timeutil.fmt(datetime.fromtimestamp(ts, tz))
    except (OverflowError, OSError, ValueError):
        return None


def _bare(text, ts, tz):
    """A date column's value: nothing when the text is what `time_text` makes of its seconds (the
    common case: 25 bytes a date saved), else the text itself (another offset, a hand edit).

    That is when the text is in the stored form and its offset is the zone's at that instant: told
    without formatting the instant again (`_ts` has read the text, so `load` finds it)."""
    if not isinstance(text, str) or ts is None or not timeutil.stored_form(text):
        return text
    try:
        same = datetime.fromtimestamp(ts, tz).utcoffset() == timeutil.load(text).utcoffset()
    except (OverflowError, OSError, ValueError):
        return text  # no date in the office's zone: `time_text` gives none
    return None if same else text


# the date columns as a query selects them: their text, or the text their seconds make
DATE_SQL = {name: f"coalesce({name}, jiesu_time({name}_ts))" for name in ("received", "due", "closed")}
# The caller column keeps a phone's key (`ph:` and 16 hex digits, see `jiesu.privacy.phone_key`) as
# the 64-bit integer those digits are (8 bytes, not 19, in the row and in `cases_caller`), a
# private reference (`ref:P-000123`) as its text. Select `CALLER_SQL`; compare with `caller_value`.
CALLER_SQL = "CASE WHEN typeof(caller) = 'integer' THEN 'ph:' || printf('%016x', caller) ELSE caller END"
# The column `text` keeps a case's title and its folded text (`textfold.kept`) packed (see
# `train_text`): select the title as `TITLE_SQL`, read both with `Index.texts`.
TITLE_SQL = "jiesu_title(text)"
_SELECT = {**DATE_SQL, "caller": CALLER_SQL, "title": TITLE_SQL}


def caller_value(key):
    """The `caller` column's value for a caller key."""
    if isinstance(key, str) and len(key) == 19 and key.startswith("ph:") and key.islower():
        try:
            return int.from_bytes(bytes.fromhex(key[3:]), "big", signed=True)
        except ValueError:
            pass
    return key


def date_sql(columns) -> str:
    """A select list of these column names, the dates as `DATE_SQL` gives them and the caller as
    `CALLER_SQL` does."""
    return ", ".join(_SELECT.get(c, c) for c in columns)


SAME = ...  # in a packed record: "the value of the row's column of that name"
# the columns a packed summary takes the values it shares with them from, and what to select for `unpack_row`
ROW = ("id", "status", "type", "channel", "category", "district", "street", "lead", "title", "received", "due",
       "closed", "community", "caller")
ROW_SQL = "row, " + date_sql(ROW)


def _hints(hints: dict) -> dict:
    """The values a packed summary shares with its row: the columns of `ROW`, and what follows from
    them (the caller's phone key, the time limit taken from the category, an unextended due time)."""
    caller, category = hints.get("caller"), hints.get("category")
    hints["phone_key"] = caller[3:] if isinstance(caller, str) and caller.startswith("ph:") else None
    hints["limit_from"] = "category:" + category if isinstance(category, str) else None
    hints["original_due"] = hints.get("due")
    return hints


def _shrink(record, keys: tuple, hints: dict):
    """`record` (a dict) as the tuple of its values in `keys` order, a value its hint holds already
    as SAME; the dict itself when its keys are other than `keys`."""
    if not isinstance(record, dict) or tuple(record) != keys:
        return record
    at = _PLACES.get(keys)
    if at is None:
        at = _PLACES[keys] = {k: i for i, k in enumerate(keys)}
    values = list(record.values())
    for key, hint in hints.items():  # (fewer than the keys: each is looked at once)
        i = at.get(key)
        if i is not None and type(hint) is type(values[i]) and hint == values[i]:
            values[i] = SAME
    return tuple(values)


_PLACES: dict[tuple, dict[str, int]] = {}  # keys → each key's place


def _grow(packed, keys: tuple, hints: dict):
    """The record `_shrink` made `packed` from."""
    if not isinstance(packed, tuple):
        return packed
    out = dict(zip(keys, packed))  # (a third of the time of a comprehension that tests each value)
    for key, value in hints.items():
        if out.get(key) is SAME:
            out[key] = value
    return out


def _oid(blob: str):
    """A git object id as the index keeps it: its bytes (20, not 40 as text); select `BLOB_SQL`."""
    try:
        return bytes.fromhex(blob)
    except (TypeError, ValueError):
        return blob


BLOB_SQL = "lower(hex(blob))"  # the column `blob` as git writes it
IN_STORE = "(file IS NULL OR file LIKE 'cases/%')"  # the store's own rows, not an archive's (`jiesu.index.archives`)

# The column `file` holds a row's path only where it is not `cases/20YY/MM/<id>.yaml` (a file named
# for another id, an archived case, a file that is not a readable case): the others' paths are
# made from their id, which saves 31 bytes a row and the path's own index (45 bytes a row).
PATH_SQL = ("coalesce(file, 'cases/20' || substr(id, instr(id, '-') + 1, 2) || '/' || substr(id, instr(id, '-') + 3, 2)"
            " || '/' || id || '.yaml')")


def canonical_id(path: str) -> str | None:
    """The case id whose own place `path` is (`cases/YYYY/MM/<id>.yaml`), or None."""
    name = path.rpartition("/")[2]
    case_id = name[:-5] if name.endswith(".yaml") else ""
    return case_id if parse_id(case_id) and case_relpath(case_id) == path else None


def _file(path: str, case_id) -> str | None:
    """The `file` column of a case read from `path`: nothing when `PATH_SQL` makes it from the id."""
    return None if isinstance(case_id, str) and canonical_id(path) == case_id else path


# "the row of a path", with the parameters `path_where` gives (an id of NULL matches no row)
PATH_WHERE = "(id = ? AND file IS NULL OR file = ?)"


def path_where(path: str) -> tuple[str, tuple]:
    """SQL (and its parameters) for "the row of `path`" (through `cases_id` and `cases_file`)."""
    return PATH_WHERE, (canonical_id(path), path)


def delete_paths(db: sqlite3.Connection, paths) -> None:
    """Delete the rows of these paths (before their new rows go in: a path is no key of the table)."""
    paths = list(paths)
    if paths and db.execute("SELECT 1 FROM case_rows LIMIT 1").fetchone():
        db.executemany(f"DELETE FROM case_rows WHERE {PATH_WHERE}", [path_where(p)[1] for p in paths])


INSERT = f"INSERT INTO case_rows VALUES ({','.join('?' * len(COLUMNS))})"


def insert_rows(db: sqlite3.Connection, rows: list[tuple], coder: names.Names | None = None) -> None:
    """Write rows made by `record` (their names as numbers: pass one `coder` for many calls)."""
    db.executemany(INSERT, (coder or names.Names(db, COLUMNS)).encode(rows))


def _text(value):
    """A column value: text, or nothing (a hand-edited file may put a list where a unit belongs)."""
    return value if isinstance(value, str) else None


_FIELDS: tuple = ()  # (key, type, required) of the fields `verify` checks the type of


def _schema_problem(case) -> str | None:
    global _FIELDS
    if not _FIELDS:
        from jiesu.verify import OPTIONAL, REQUIRED

        _FIELDS = tuple((key, kind, key in REQUIRED) for key, kind in (*REQUIRED.items(), *OPTIONAL.items()))
    if not isinstance(case, dict):
        return "a case file must be a mapping"
    for key, kind, required in _FIELDS:
        value = case.get(key)
        if type(value) is kind or (value is None and not required):
            continue  # (the common case, tested first: a bool is no int here either)
        if (value is not None or required) and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            return f"`{key}` is missing or not {kind.__name__}; run `jiesu verify`"
    return None


def record(path: str, blob: str, case, catalog, tz) -> tuple:
    """The table row of one case (or of a file that is not a readable case)."""
    try:
        problem = _schema_problem(case)
        if problem:
            raise ValueError(problem)
        row = summarize(case, catalog, tz)
        governance = governance_columns(case, row, tz)  # (an instant with no date in the office's zone fails here)
    except Exception as exc:  # noqa: BLE001 — any committed file, however hostile, becomes a problem row
        return problem_record(path, blob, f"{path}:1: {exc}")
    co_units = "|" + "|".join(str(u) for u in row["co_units"]) + "|" if row["co_units"] else None
    received, due, closed = _text(row["received"]), row["due"], row["closed"]
    received_ts, due_ts, closed_ts = _ts(received), _ts(due), _ts(closed)
    title = _text(row["title"])
    columns = (  # the typed columns, up to `whistle`
        _file(path, _text(row["id"])), _oid(blob), *(_text(row[k]) for k in ("id", "status", "type", "channel", "category", "district", "street", "lead")),
        co_units, marshal.dumps((title, kept(governance[_CALLER + 1], title))),
        _bare(received, received_ts, tz), _bare(due, due_ts, tz), _bare(closed, closed_ts, tz),
        received_ts, due_ts, closed_ts, _ts(row.get("evaluated_at")), _ts(row.get("changed")),
        int(bool(closed_ts and due_ts and closed_ts > due_ts)), int(row["exempt"]), _source_key(row.get("source")),
        *_governance(governance), marshal.dumps(row["supervised"]) if row.get("supervised") else None,
        marshal.dumps(row["whistle"]) if row.get("whistle") else None,  # rare: `rank` reads these alone
    )
    # the summary shares the dates' texts and the caller as `ROW_SQL` selects them, not as the columns keep them
    hints = _hints({k: columns[_AT[k]] for k in ROW if k != "title"}
                   | {"title": title, "received": received, "due": due, "closed": closed, "caller": governance[_CALLER]})
    case_id = hints["id"]
    return columns + (
        None,  # read_at: see `with_commit`
        _assessment(row, catalog, tz, case_id),
        None,  # problem
        marshal.dumps(_shrink(row, ROW_KEYS, hints)),
    )


_AT = {c: i for i, c in enumerate(COLUMNS)}
_CALLER = _AT["caller"] - _AT["community"]  # its place among the governance columns (the folded text follows)
NOT_ASSESSED = marshal.dumps(None)
_PACKED = (COLUMNS.index("assess"), COLUMNS.index("row"))
_TEXT = COLUMNS.index("text")  # packed against a dictionary of its own (`train_text`)
# the dictionary of an index created with no case to learn from (raw content to zstd): the words every summary repeats
DEFAULT_ZDICT = marshal.dumps((
    "id", "status", "title", "type", "channel", "category", "district", "street", "community", "lead", "co_units",
    "received", "due", "dispatched", "accepted", "contacted", "closed", "resolved", "exempt", "exemption",
    "merged_into", "tags", "time_limit", "limit_from", "frequent", "confidential", "special_group", "phone_key",
    "contact", "address", "assigns", "unit", "at", "ended", "end", "first_dispatched", "first_contact", "returns",
    "extensions", "original_due", "evaluation", "evaluated_at", "eval_lead", "evaluations", "reached",
    "satisfaction", "satisfied", "reopened", "superseded", "source", "timeline", "changed", "supervised",
    "whistle", "sent_back", "review_by", "evaluated", "on_time", "accepted_on_time", "scheme", "score", "weights",
    "response", "resolution", "daily", "standard", "complex", "complaint", "request", "hotline", "+08:00",
))


# the same for the texts (title and folded text) of an index created with no case to learn from
DEFAULT_TDICT = marshal.dumps(("问题反映", "+来电人反映", "problem", "+callersays"))


def _samples(rows: list[tuple]) -> list[bytes]:
    return [row[i] for row in rows for i in _PACKED if row[i] and row[i] != NOT_ASSESSED]


def _train(samples: list[bytes], size: int, default: bytes) -> bytes:
    """A zstd dictionary of `size` bytes trained on `samples`; from too few of them to train on,
    the samples themselves after `default` (the last `size` bytes)."""
    import zstandard

    if len(samples) >= 64:
        try:
            return zstandard.train_dictionary(size, samples).as_bytes()
        except zstandard.ZstdError:
            pass  # records too few or too alike to learn from
    raw = (default + b"".join(samples))[-size:]
    return raw[1:] if raw.startswith(ZDICT_MAGIC) else raw  # raw content must not read as a trained one


def train(rows: list[tuple]) -> bytes:
    """The dictionary (32 KB) the packed records of an index are compressed against, trained on
    those of some rows (see `_train`)."""
    return _train(_samples(rows), ZDICT_SIZE, DEFAULT_ZDICT)


def train_text(rows: list[tuple]) -> bytes:
    """The dictionary (8 KB) the `text` column is compressed against, trained on that of some rows.
    Titles and folded texts learn little from the summaries' dictionary: one of their own, smaller
    (trained on 256 cases, 8 KB fit better than 32), packs them in 35 bytes a case, not 98 as text
    (the benchmark's store at 1,000,000 cases); a dictionary shared with the summaries, in 53."""
    return _train([row[_TEXT] for row in rows if row[_TEXT]], TDICT_SIZE, DEFAULT_TDICT)


_CODECS: dict = {}  # packing dictionary → (compressor, decompressor)


def _codec(zdict: bytes) -> tuple:
    """The zstd compressor and decompressor of a packing dictionary (a trained one, or any bytes as
    raw content), made once per process: a record is a frame without the magic number, checksum or
    dictionary id, which the index's format fixes (12 bytes a case less)."""
    codec = _CODECS.get(zdict)
    if codec is None:
        import zstandard

        params = zstandard.ZstdCompressionParameters.from_level(
            ZSTD_LEVEL, format=zstandard.FORMAT_ZSTD1_MAGICLESS, write_checksum=0, write_dict_id=0, write_content_size=1)
        data = zstandard.ZstdCompressionDict(zdict)
        codec = _CODECS[zdict] = (zstandard.ZstdCompressor(dict_data=data, compression_params=params),
                                  zstandard.ZstdDecompressor(dict_data=data, format=zstandard.FORMAT_ZSTD1_MAGICLESS))
    return codec


def pack(rows: list[tuple], zdict: bytes, tdict: bytes) -> list[tuple]:
    """Rows with their packed records compressed against `zdict`, their text against `tdict`."""
    compress, compress_text = _codec(zdict)[0].compress, _codec(tdict)[0].compress
    out = []
    for row in rows:
        row = list(row)
        for i in _PACKED:
            if row[i] is not None and row[i] != NOT_ASSESSED:
                row[i] = compress(row[i])
        if row[_TEXT] is not None:
            row[_TEXT] = compress_text(row[_TEXT])
        out.append(tuple(row))
    return out


def unpack(data: bytes | None, zdict: bytes):
    """The record packed by `pack` (None for none)."""
    if data is None or data == NOT_ASSESSED:
        return None
    return marshal.loads(_codec(zdict)[1].decompress(data))


def unpack_text(data: bytes | None, tdict: bytes) -> tuple:
    """(title, folded text as `textfold.kept` keeps it) from a row's `text` column, as `pack` made it."""
    return (None, None) if data is None else marshal.loads(_codec(tdict)[1].decompress(data))


def _assessment(row: dict, catalog, tz, case_id) -> bytes | None:
    """The case's assessment record (see `jiesu.assessment.record`), worked out once when the case
    is indexed (the index is rebuilt when the catalog changes); None when it could not be."""
    if not row.get("evaluations"):
        return NOT_ASSESSED
    from jiesu.assessment import RECORD_KEYS
    from jiesu.assessment import record as assessment_record

    try:
        return marshal.dumps(_shrink(assessment_record(row, catalog, tz), RECORD_KEYS, {"id": case_id}))
    except Exception:  # noqa: BLE001 — worked out again (and reported) by `rank`
        return None  # `rank` works it out from the row again


def _governance(values: tuple) -> tuple:
    """The governance columns (`jiesu.governance.columns`), the caller as `caller_value` keeps it; the
    folded text goes into the column `text` (see `record`)."""
    return (*values[:_CALLER], caller_value(values[_CALLER]), *values[_CALLER + 2:])


def _source_key(source) -> str | None:
    """`system<US>id` of an imported case (the unit separator cannot occur in either)."""
    if not isinstance(source, dict) or source.get("id") is None:
        return None
    return f"{source.get('system')}\x1f{source.get('id')}"


_COMMIT = COLUMNS.index("read_at")


def commit_number(db: sqlite3.Connection, sha: str) -> int:
    """The number of a commit in the index's `commits` table (rows name it by number: 4 bytes, not 40)."""
    db.execute("INSERT OR IGNORE INTO commits (sha) VALUES (?)", (sha,))
    return db.execute("SELECT n FROM commits WHERE sha = ?", (sha,)).fetchone()[0]


def with_commit(rows: list[tuple], commit: int) -> list[tuple]:
    """Rows with (the number of) the commit they were read at: the last commit that changed the case
    is at or before it, which bounds the history `jiesu log` must walk."""
    return [row[:_COMMIT] + (commit,) + row[_COMMIT + 1:] for row in rows]


def problem_record(path: str, blob: str, message: str) -> tuple:
    return (path, _oid(blob)) + (None,) * (len(COLUMNS) - 4) + (message, None)


def _ready() -> None:
    """Run first by a new worker: what parsing imports when first needed, imported now."""
    import jiesu.assessment  # noqa: F401
    import jiesu.redact  # noqa: F401
    import jiesu.verify  # noqa: F401


def parse_chunk(root: str, env: dict, catalog, tz_name: str, items: list, zdict: bytes | None = None,
                tdict: bytes | None = None) -> list:
    """Rows for (path, blob) pairs of the repository at `root`, read as `catfile.committed` reads
    them (runs in worker processes); packed with `zdict` and `tdict` when given."""
    tz = timeutil.zone(tz_name)
    out = []
    # the work tree's files where they are the committed ones, the rest from git (all names at once:
    # one round trip, not one per blob, which under load costs milliseconds each)
    for (path, blob), data in zip(items, committed(root, env, items)):
        try:
            text = (data or b"").decode("utf-8")
            case = yamlio.load(text, path)
        except UnicodeDecodeError:
            out.append(problem_record(path, blob, f"{path}:1: not UTF-8 text"))
            continue
        except yamlio.YamlProblem as exc:
            out.append(problem_record(path, blob, exc.message))
            continue
        out.append(record(path, blob, case, catalog, tz))
    return pack(out, zdict, tdict) if zdict is not None else out


LEARN_AGAIN_FROM = 2000  # cases: an index that learned its dictionaries from fewer than SAMPLE is rebuilt


def _learn_again(db: sqlite3.Connection, meta: dict) -> bool:
    """Whether an index learned its packing dictionaries from fewer than `SAMPLE` cases (made when
    the store was new or nearly empty: an office's usual start) and the store now has
    `LEARN_AGAIN_FROM` cases: rebuilt once then, it packs them in about 60 % of the room (15,000
    imported New York and San Francisco 311 requests: 12.2 MB with the dictionaries of an empty
    store, 8.6 MB rebuilt)."""
    try:
        learned = int(meta.get("learned") or 0)
    except ValueError:
        learned = 0
    if learned >= SAMPLE:
        return False
    # the store's own cases, which a rebuild learns from (archived ones alone would rebuild it on every read)
    found = db.execute(f"SELECT count(*) >= {LEARN_AGAIN_FROM} FROM (SELECT 1 FROM case_rows WHERE {IN_STORE} "
                       f"LIMIT {LEARN_AGAIN_FROM})").fetchone()
    return bool(found and found[0])


def chunk_spans(total: int, size: int, workers: int) -> list[tuple[int, int]]:
    """(start, end) of the parts `total` items are parsed in: `size` items each, but the last
    `workers` parts' worth (and the remainder) cut in quarters, so that at the end no worker parses
    a long part alone while the others wait (a part of 2,000 cases is half a second)."""
    # the body in whole parts; few parts: all of one size
    body = (total - size * workers) // size * size if total >= 4 * size * workers else total
    small = max(1, size // 4)
    return ([(start, min(start + size, body)) for start in range(0, body, size)]
            + [(start, min(start + small, total)) for start in range(body, total, small)])


# an entry of `git ls-tree -r -z` that is a file (not a link, a submodule): its blob id and path
_LISTED = re.compile(r"(?:(?<=\0)|\A)(?:100644|100755) blob ([0-9a-f]+)\t([^\0]*)")


class Index:
    """The index of one store."""

    def __init__(self, store):
        self.store = store
        self.path = store.jiesu_dir / "index.sqlite"
        self.notes: list[str] = getattr(store, "notes", [])
        self.zdict: bytes | None = None  # the packing dictionary of the open index (`meta.zdict`)
        self.tdict: bytes | None = None  # and that of its texts (`meta.tdict`)
        self.history_later = False  # a new index whose history is left to a fill in the background

    # --- opening ----------------------------------------------------------------------------
    def _fingerprint(self, catalog_key: str | None) -> str:
        return f"{catalog_key or 'unreadable'}|{self.store.settings.get('timezone')}"

    def _open(self, create: bool) -> sqlite3.Connection | None:
        # rows depend on the catalog and on the office's time zone (local dates, working time)
        fingerprint = self._fingerprint(self.store.catalog_key)
        reason = None
        if self.path.exists():
            try:
                db = sqlite3.connect(self.path, timeout=30)
                meta = dict(db.execute("SELECT key, value FROM meta"))
                if meta.get("version") != VERSION:
                    reason = N_("its format changed")
                elif meta.get("catalog") != fingerprint:
                    reason = N_("the catalog or the time zone changed")
                elif _learn_again(db, meta):
                    reason = N_("it learned to pack cases from too few of them")
                else:
                    db.execute("PRAGMA synchronous=OFF")
                    self.zdict, self.tdict = meta.get("zdict"), meta.get("tdict")
                    return self._functions(db)
                db.close()
            except sqlite3.DatabaseError:
                reason = N_("it could not be read")
            if not create:
                return None
            self.notes.append(_("rebuilding the index because {reason}").format(reason=_(reason)))
            self.path.unlink(missing_ok=True)
        elif not create:
            return None
        self.store.jiesu_dir.mkdir(exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA synchronous=OFF")
        # rows of about a kilobyte: 4 KB pages left 16 % of the cases table empty, 16 KB pages 3 %
        db.execute(f"PRAGMA page_size={PAGE_SIZE}")
        db.executescript(SCHEMA)
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("version", VERSION), ("catalog", fingerprint), ("head", "")])
        db.commit()
        self.zdict = self.tdict = None
        return self._functions(db)

    def _functions(self, db: sqlite3.Connection) -> sqlite3.Connection:
        """`db` with the SQL functions `jiesu_time(seconds)` (see `DATE_SQL`) in the office's zone
        and `jiesu_title(text)` (see `TITLE_SQL`)."""
        tz = self.store.tz
        db.create_function("jiesu_time", 1, lambda ts: time_text(ts, tz), deterministic=True)
        db.create_function("jiesu_title", 1, lambda data: self.texts(data)[0], deterministic=True)
        return db

    def connect(self, progress_factory=None) -> sqlite3.Connection:
        """A connection to an index that reflects HEAD (refreshed or rebuilt as needed).

        Where the index cannot be written (a read-only store, a folder of another user, a full
        disk), reads go on from an index in memory, built for this command only, and say so."""
        for attempt in (1, 2):
            try:
                db = self._open(create=True)
            except (OSError, sqlite3.OperationalError) as exc:
                return self._in_memory(exc, progress_factory)
            try:
                self._refresh(db, progress_factory)
                from jiesu.index import archives

                archives.refresh_index(self, db)  # cases moved to archive stores stay readable
                if self.history_later:
                    self.history_later = False
                    from jiesu.index import backfill

                    if backfill.start(self.store):
                        self.notes.append(_("reading which commits changed each case in the background; "
                                            "until then `jiesu log` reads git's history"))
                return db
            except sqlite3.OperationalError as exc:
                db.close()
                if not _unwritable(exc):
                    raise
                return self._in_memory(exc, progress_factory)
            except sqlite3.DatabaseError:
                db.close()
                if attempt == 2:
                    raise
                self.notes.append(_("rebuilding the index because {reason}").format(reason=_("it could not be read")))
                self.path.unlink(missing_ok=True)
        raise AssertionError("unreachable")

    def _in_memory(self, exc: Exception, progress_factory) -> sqlite3.Connection:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        self.notes.append(_("cannot write the index .jiesu/index.sqlite ({why}); reading every case file instead").format(why=why))
        db = self._functions(sqlite3.connect(":memory:"))
        db.executescript(SCHEMA)
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("version", VERSION), ("catalog", ""), ("head", "")])
        self.zdict = self.tdict = None
        self._refresh(db, progress_factory, history=False)
        return db

    # --- refreshing -------------------------------------------------------------------------
    def _changes(self, old: str, head: str | None) -> list[tuple[str, str | None]] | None:
        """(path, new blob or None) under cases/ between two commits; None if unknown."""
        git = self.store.git
        if not head:
            return []
        if old:
            proc = git.run("diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", old, head, "--", "cases/", check=False)
            if proc.returncode == 0:
                fields = proc.stdout.split("\0")
                out = []
                for i in range(0, len(fields) - 1, 2):
                    meta, path = fields[i], fields[i + 1]
                    parts = meta.split()
                    if len(parts) >= 5 and path.endswith(".yaml"):
                        regular = parts[1] in ("100644", "100755")  # a symbolic link (120000) is never read
                        out.append((path, parts[3] if parts[4] != "D" and regular else None))
                return out
        return None

    def _all(self, head: str | None) -> dict[str, str]:
        if not head:
            return {}
        out = self.store.git.run("ls-tree", "-r", "-z", "--full-tree", head, "--", "cases/").stdout
        # a symbolic link (120000) is never read: verify reports it (one pattern over the whole
        # listing: a third of the time of splitting its entries, 1.5 s at 1,000,000 cases)
        return {path: oid for oid, path in _LISTED.findall(out) if path.endswith(".yaml")}

    def _refresh(self, db: sqlite3.Connection, progress_factory, history: bool = True) -> None:
        head = self.store.git.head() or ""
        old = db.execute("SELECT value FROM meta WHERE key = 'head'").fetchone()[0]
        if old == head:
            return
        with contextlib.ExitStack() as stack:
            # a new index of a large store: its workers start, and import what parsing needs, while
            # this process lists the store (at 100,000 cases the first rows came back 0.8 s after
            # the parse began, not 1.1 s)
            early = self._pool(stack, spawn=True) if not old and self._tracked() >= SPAWN_FROM else None
            self._fill(db, old, head, progress_factory, history, stack, early)

    def _fill(self, db: sqlite3.Connection, old: str, head: str, progress_factory, history: bool,
              stack: contextlib.ExitStack, pool) -> None:
        changes = self._changes(old, head)
        if changes is None:
            current = self._all(head)
            # the store's own rows (an archived case's row follows its archive's HEAD)
            known = dict(db.execute(f"SELECT {PATH_SQL}, {BLOB_SQL} FROM cases WHERE {IN_STORE}"))
            changes = [(p, None) for p in known if p not in current]
            changes += [(p, b) for p, b in current.items() if known.get(p) != b]
        todo = [(p, b) for p, b in changes if b is not None]
        read_history = not old and history  # a new index: which commits changed each case
        if read_history and len(todo) >= HISTORY_INLINE_BELOW:
            read_history, self.history_later = False, True
        first = []
        if self.zdict is None:  # a new index: learn the packing dictionary from its first cases
            first = parse_chunk(*self._args(), todo[:SAMPLE])
            self.zdict, self.tdict = train(first), train_text(first)
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                           [("zdict", self.zdict), ("tdict", self.tdict), ("learned", str(len(first)))])
            first, todo = pack(first, self.zdict, self.tdict), todo[SAMPLE:]
        # After a history rewrite (reset, rebase, purge) the commit a row was read at may no longer
        # lead to HEAD; HEAD itself is then the only start `jiesu log` can trust.
        rewritten = bool(old and head) and self.store.git.run("merge-base", "--is-ancestor", old, head, check=False).returncode != 0
        parts = self._parse(todo, progress_factory, stack, pool)  # the workers start at once…
        if read_history:
            # …while this process reads which commits changed each case, from the whole history
            with db:
                commit_table.rebuild(db, self.store, head)
        with db:
            number = commit_number(db, head)
            delete_paths(db, (p for p, _ in changes))
            if rewritten:
                db.execute("UPDATE case_rows SET read_at = ?", (number,))
            coder = names.Names(db, COLUMNS)
            insert_rows(db, with_commit(first, number), coder)
            for part in parts:  # rows go in as workers finish: none held
                insert_rows(db, with_commit(part, number), coder)
            for sql in INDEXES.strip().split(";"):
                if sql.strip():
                    db.execute(sql)
            db.execute("UPDATE meta SET value = ? WHERE key = 'head'", (head,))

    def _tracked(self) -> int:
        """How many files git's index of the work tree lists (its header says; 0 when it cannot tell)."""
        try:
            with open(self.store.root / ".git" / "index", "rb") as file:
                header = file.read(12)
        except OSError:
            return 0
        return int.from_bytes(header[8:12], "big") if len(header) == 12 and header[:4] == b"DIRC" else 0

    @staticmethod
    def _pool(stack: contextlib.ExitStack, spawn: bool):
        """Worker processes for parsing case files, started now (they stop with `stack`)."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Many files: fresh interpreters, not forks — a fork would carry this process's listing of
        # the store (every path and blob id, ~450 MB at 1,000,000 cases) into each worker. Few:
        # the platform's default (forks on Linux, which start at once; a fresh interpreter costs
        # ~0.15 s to start and import).
        context = multiprocessing.get_context("spawn" if spawn else None)
        pool = stack.enter_context(ProcessPoolExecutor(max_workers=WORKERS, mp_context=context))
        for _worker in range(WORKERS):
            pool.submit(_ready)  # each submission starts a worker while none is idle
        return pool

    def _args(self) -> tuple:
        store = self.store
        return str(store.root), store.git.env, store.catalog, store.settings["timezone"]

    def _parse(self, items: list, progress_factory, stack: contextlib.ExitStack, pool=None):
        """The rows of `items`, part by part; many are parsed by worker processes (`pool`, or ones
        that start at once), which stop with `stack`."""
        args = self._args()
        if len(items) < PARALLEL_FROM:
            return iter([parse_chunk(*args, items, self.zdict, self.tdict)] if items else [])
        import collections
        import itertools

        if len(items) > 5000:
            self.notes.append(_("indexing {count} case files").format(count=f"{len(items):,}"))
        progress = progress_factory(len(items)) if progress_factory else None
        if progress:
            stack.callback(progress.close)
        size = max(200, min(2000, len(items) // ((os.cpu_count() or 2) * 4) or 1))
        pool = pool or self._pool(stack, spawn=len(items) >= SPAWN_FROM)
        spans = iter(chunk_spans(len(items), size, WORKERS))

        def submit(count: int) -> list:
            return [pool.submit(parse_chunk, *args, items[start:end], self.zdict, self.tdict)
                    for start, end in itertools.islice(spans, count)]

        pending = collections.deque(submit(4 * WORKERS))  # they start at once

        def parts():
            while pending:  # a few chunks ahead of the inserts, no more: rows are not held
                part = pending.popleft().result()
                pending.extend(submit(1))
                if progress:
                    progress.update(len(part))
                yield part

        return parts()

    def _on_file(self, work) -> None:
        """`work(db)` on the index file, if there is one of this format and catalog; a file that
        cannot be read is deleted (the next read rebuilds it)."""
        if not self.path.exists():
            return
        try:
            db = self._open(create=False)
            if db is None:
                return
            try:
                work(db)
            finally:
                db.close()
        except sqlite3.DatabaseError:
            self.path.unlink(missing_ok=True)

    def after_commit(self, old_head: str | None, new_head: str | None, cases: dict, blobs: dict) -> None:
        """Record what jiesu itself just committed (path → plain case), if the index was current."""
        if new_head:
            self._on_file(lambda db: self._record_commit(db, old_head, new_head, cases, blobs))

    def _record_commit(self, db, old_head: str | None, new_head: str, cases: dict, blobs: dict) -> None:
        with db:
            commit_table.after_commit(db, old_head, new_head, blobs)
        current = db.execute("SELECT value FROM meta WHERE key = 'head'").fetchone()[0]
        if current != (old_head or "") or self.zdict is None:
            return
        tz = self.store.tz
        rows = pack([record(path, blobs[path], case, self.store.catalog, tz) for path, case in cases.items()
                     if path in blobs], self.zdict, self.tdict)
        gone = [path for path, blob in blobs.items() if blob is None]
        with db:
            delete_paths(db, gone + [path for path in cases if path in blobs])
            insert_rows(db, with_commit(rows, commit_number(db, new_head)))
            db.execute("UPDATE meta SET value = ? WHERE key = 'head'", (new_head,))

    def carry_over(self, old_catalog_key: str | None) -> None:
        """Keep the index across a catalog change that only added entries (an import's section):
        restamp it with the new catalog rather than rebuild it on the next read."""
        if not self.path.exists() or old_catalog_key is None:
            return
        try:
            db = sqlite3.connect(self.path, timeout=30)
            try:
                with db:
                    db.execute("UPDATE meta SET value = ? WHERE key = 'catalog' AND value = ?",
                               (self._fingerprint(self.store.catalog_key), self._fingerprint(old_catalog_key)))
            finally:
                db.close()
        except sqlite3.DatabaseError:
            self.path.unlink(missing_ok=True)

    # --- queries ----------------------------------------------------------------------------
    def select(self, columns: str, where: str = "", params=(), order: str = "received_ts, id", limit: int | None = None,
               progress_factory=None, group: str = "", db: sqlite3.Connection | None = None,
               source: str = "cases") -> list[tuple]:
        """Rows of the given columns for readable cases matching `where` (optionally grouped); with
        `db`, a connection from `connect()` that several queries share, left open; from `source`
        "case_rows", the numbered names as their numbers (see `select_named`)."""
        own = db is None
        db = self.connect(progress_factory) if own else db
        try:
            self._tell_unreadable(db)
            sql = f"SELECT {columns} FROM {source} WHERE problem IS NULL" + (f" AND ({where})" if where else "")
            sql += f" GROUP BY {group}" if group else ""
            sql += f" ORDER BY {order}" if order else ""
            sql += f" LIMIT {int(limit)}" if limit else ""
            return db.execute(sql, params).fetchall()
        finally:
            if own:
                db.close()

    def select_named(self, columns: tuple, where: str = "", params=(), order: str = "received_ts, id",
                     progress_factory=None) -> list[tuple]:
        """`select` of these plain column names for many rows: the numbered names (see
        `jiesu.index.names`) looked up here, not by the view (`stats` of a month at 1,000,000 cases:
        0.63 s, against 0.72 s through the view)."""
        db = self.connect(progress_factory)
        try:
            rows = self.select(", ".join(columns), where, params, order, db=db, source="case_rows")
            return names.decode(db, columns, rows)
        finally:
            db.close()

    def _tell_unreadable(self, db) -> None:
        """Say (once) that a reader leaves out case files it could not read."""
        count = db.execute("SELECT count(*) FROM cases WHERE problem IS NOT NULL").fetchone()[0]
        if count:
            files = "case file" if count == 1 else "case files"
            message = f"{count:,} {files} could not be read and {'is' if count == 1 else 'are'} left out; run `jiesu verify`"
            if message not in self.notes:
                self.notes.append(message)

    def rows(self, where: str = "", params=(), order: str = "received_ts, id", limit: int | None = None,
             progress_factory=None) -> list[dict]:
        """Full summary rows (see jiesu.summary) of matching cases."""
        return [self.unpack_row(r) for r in self.select(ROW_SQL, where, params, order, limit, progress_factory)]

    def _dictionaries(self, db: sqlite3.Connection | None) -> None:
        """The packing dictionaries, for rows selected on a connection another Index opened: read
        from `db`'s meta when given, else by opening the index."""
        if db is None:
            self.connect().close()
        else:
            meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('zdict', 'tdict')"))
            self.zdict, self.tdict = meta.get("zdict"), meta.get("tdict")

    def unpack(self, data: bytes | None):
        """A packed record as `select` returned it, as it was packed (None for none)."""
        if self.zdict is None and data is not None and data != NOT_ASSESSED:
            self._dictionaries(None)
        return unpack(data, self.zdict)

    def texts(self, data: bytes | None, db: sqlite3.Connection | None = None) -> tuple:
        """(title, folded text as `textfold.kept` keeps it) from a `text` column `select` returned
        (on `db`, when a connection another Index opened)."""
        if self.tdict is None and data is not None:
            self._dictionaries(db)
        return unpack_text(data, self.tdict)

    def unpack_row(self, values) -> dict | None:
        """The summary of a case (see `jiesu.summary`) from the values `ROW_SQL` selects."""
        return _grow(self.unpack(values[0]), ROW_KEYS, _hints(dict(zip(ROW, values[1:]))))

    def unpack_assess(self, data: bytes | None, case_id) -> dict | None:
        """The assessment record of a case from its `assess` and `id` columns (None: not assessed)."""
        from jiesu.assessment import RECORD_KEYS

        return _grow(self.unpack(data), RECORD_KEYS, {"id": case_id})

    def locate(self, path: str) -> tuple[str | None, str | None]:
        """(commit at or after the case's last change, received) of one case, or (None, None)."""
        found = self.select("(SELECT sha FROM commits WHERE n = read_at), " + DATE_SQL["received"], *path_where(path), order="")
        return found[0] if found else (None, None)

    def commits_of(self, path: str, before: int | None = None) -> list[tuple[int, str, bool]] | None:
        """(place on HEAD's first-parent line, commit, is a merge) of each commit on that line that
        changed `path`, newest first, older than `before` when given; None where the index cannot
        tell (see `jiesu.index.changes`): git's own walk answers then."""
        db = self.connect()
        try:
            commit_table.catch_up(db, self.store, self.store.git.head())
            return commit_table.commits_of(db, self.store, path, before)
        except (OSError, sqlite3.OperationalError, subprocess.CalledProcessError):
            return None
        finally:
            db.close()

    def reindex_history(self) -> int:
        """Read which commits changed each case again, from the whole history; the commits read."""
        db = self.connect()
        try:
            with db:
                return commit_table.rebuild(db, self.store, self.store.git.head())
        finally:
            db.close()

    def refresh_history(self) -> None:
        """Bring the table of commits per case up to HEAD (after commits jiesu did not make itself)."""
        def work(db):
            try:
                commit_table.catch_up(db, self.store, self.store.git.head())
            except (OSError, subprocess.CalledProcessError):
                pass  # `log` tries again, or walks git's history

        self._on_file(work)

    def sources(self) -> dict:
        """(source system, source id) → case id, for every case that came from another system."""
        found = self.select("id, source_key", "source_key IS NOT NULL", order="")
        return {tuple(key.split("\x1f", 1)): case_id for case_id, key in found}

    def problems(self) -> list[str]:
        db = self.connect()
        try:
            return [r[0] for r in db.execute("SELECT problem FROM cases WHERE problem IS NOT NULL ORDER BY file")]
        finally:
            db.close()


def _unwritable(exc: sqlite3.OperationalError) -> bool:
    """Does sqlite say the index file cannot be written (rather than that it is broken)?"""
    text = str(exc).lower()
    return any(word in text for word in ("readonly", "read-only", "unable to open", "disk is full", "disk i/o"))


def scope_clause(units: set[str] | None) -> tuple[str, list]:
    """SQL for "lead or co-unit is one of `units`" (empty when no scope). The column `co_units`
    holds a case's co-units as `|a|b|` (nothing when it has none), so that `instr` finds one."""
    if units is None:
        return "", []
    units = sorted(units)
    return (f"(lead IN ({','.join('?' * len(units))}) OR " + " OR ".join(["instr(co_units, ?) > 0"] * len(units)) + ")",
            [*units, *(f"|{u}|" for u in units)])



def after_commit(store, old_head: str | None, new_head: str | None, cases: dict, blobs: dict) -> None:
    """The store's commit hook: record jiesu's own commits in the index."""
    Index(store).after_commit(old_head, new_head, cases, blobs)


if after_commit not in COMMIT_HOOKS:
    COMMIT_HOOKS.append(after_commit)
