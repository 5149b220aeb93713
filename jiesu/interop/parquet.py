"""`jiesu export --format parquet`: the store as two Parquet datasets for a distributed engine.

    OUT/_jiesu_export.json                          what was written, and from which cases
    OUT/cases/year=2021/month=11/part-0.parquet     one row per case
    OUT/events/year=2021/month=11/part-0.parquet    one row per event

Both are partitioned Hive-style by the year and month a case was received (in the office's time
zone, like the case's id and folder), so Spark, DuckDB or Trino read `OUT/cases` as one table with
`year` and `month` columns. Every instant is a UTC timestamp; `utc_offset_min` carries the office's
offset at that instant, so local time is one addition away. No personal data: no surname, phone,
private reference, contact or free-text note; titles and addresses have phone numbers masked (as
in the CSV export).

The `cases` table is built from the read index, which keeps each case's summary and assessment;
the `events` table from the case files of the partitions rewritten (`jiesu.interop.parquet_events`,
read by worker processes while the case rows are built). Re-running rewrites only the partitions
whose cases changed: each partition's fingerprint is the hash of its cases' paths and git blob ids
(plus the schema and catalog versions), kept in `_jiesu_export.json`. The column lists
(`CASE_COLUMNS`, `EVENT_COLUMNS`) are the documented schema.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from datetime import datetime
from pathlib import Path

from jiesu import metrics, timeutil
from jiesu.assessment import unit_at_level
from jiesu.errors import InvalidInput
from jiesu.event_rows import instant
from jiesu.i18n import _
from jiesu.index import BLOB_SQL, PATH_SQL, ROW_SQL, Index
from jiesu.interop.parquet_events import EventReader
from jiesu.store import yamlio

MARKER = "_jiesu_export.json"
FORMAT = "jiesu-parquet"
SCHEMA_VERSION = 2  # 2: cases carry their blob id
INSTALL_HINT = "pip install 'jiesu[parquet]'"

# (column, Arrow type name, meaning) — the README's schema table is this list
CASE_COLUMNS = (
    ("id", "string", "case id (OFFICE-YYMM-NNNN)"),
    ("received", "timestamp", "when the request came in (UTC)"),
    ("utc_offset_min", "int16", "the office's UTC offset at `received`, in minutes (+480 for Beijing)"),
    ("status", "string", "received, dispatched, accepted, closed, evaluated, rejected or merged"),
    ("type", "string", "consultation, complaint, suggestion or emergency"),
    ("channel", "string", "how it came in"),
    ("category", "string", "leaf category code"),
    ("district", "string", "district unit id of the location"),
    ("street", "string", "street/town unit id of the location"),
    ("community", "string", "community id within the street"),
    ("title", "string", "one line (phone numbers masked)"),
    ("address", "string", "where the problem is (phone numbers masked)"),
    ("tags", "list<string>", "policy tags"),
    ("time_limit", "string", "time-limit class"),
    ("lead", "string", "lead unit now"),
    ("co_units", "list<string>", "co-units now"),
    ("due", "timestamp", "due time after extensions (UTC)"),
    ("dispatched", "timestamp", "last dispatch (UTC)"),
    ("accepted", "timestamp", "acceptance of the last dispatch (UTC)"),
    ("contacted", "timestamp", "first contact (UTC)"),
    ("closed", "timestamp", "close (UTC)"),
    ("closed_late", "bool", "closed after its due time"),
    ("resolved", "bool", "the handling result"),
    ("exempt", "bool", "exempt from assessment"),
    ("merged_into", "string", "the case this one was merged into"),
    ("frequent", "bool", "frequent caller"),
    ("confidential", "bool", "confidential case"),
    ("special_group", "bool", "special group"),
    ("returns", "int16", "times a unit returned it"),
    ("extensions", "int16", "time-limit extensions"),
    ("reopened", "int16", "times reopened"),
    ("evaluated", "timestamp", "the latest follow-up call (UTC)"),
    ("satisfaction", "string", "satisfaction level of the latest follow-up"),
    ("assess_month", "string", "YYYY-MM (office zone) the case is assessed in; null when not assessed"),
    ("assess_unit", "string", "the lead at the latest follow-up: the unit the case counts for"),
    ("assess_street", "string", "that unit as a street/town (null for departments)"),
    ("assess_district", "string", "the district it counts for"),
    ("assess_reached", "bool", "the follow-up call reached the complainant (rates are over reached cases)"),
    ("assess_contacted", "bool", "response: the complainant says they were contacted"),
    ("assess_resolved", "bool", "resolution: the complainant says it was resolved"),
    ("assess_score", "double", "satisfaction score 0–100 of the level"),
    ("assess_on_time", "bool", "closed by its due time"),
    ("assess_accepted_on_time", "bool", "accepted within its class's acceptance time"),
    ("assess_scheme", "string", "weight scheme"),
    ("assess_value", "double", "the case's composite value 0–1 (unit score = 100 × mean over reached cases)"),
    ("blob", "string", "git blob id of the case file the row was read from (what a re-run compares)"),
)
EVENT_COLUMNS = (
    ("case_id", "string", "the case"),
    ("seq", "int32", "position in the case's event list, from 0"),
    ("event_id", "string", "event id (unique within the case)"),
    ("action", "string", "intake, assign, accept, return, contact, note, escalate, extend, close, evaluate, reopen, reject, exempt, merge…"),
    ("at", "timestamp", "when it happened (UTC)"),
    ("utc_offset_min", "int16", "the UTC offset the event was recorded with, in minutes"),
    ("actor", "string", "who acted (operator or unit code)"),
    ("unit", "string", "the unit assigned or accepting (assign, accept)"),
    ("co_units", "list<string>", "the co-units named (assign)"),
    ("to_unit", "string", "the unit called in (escalate)"),
    ("into", "string", "the case merged into (merge)"),
    ("due", "timestamp", "the due time it set (intake, extend, reopen; UTC)"),
    ("resolved", "bool", "close and evaluate: resolved"),
    ("reached", "bool", "evaluate: complainant reached"),
    ("contacted", "bool", "evaluate: complainant says contacted"),
    ("satisfaction", "string", "evaluate: satisfaction level"),
    ("superseded", "bool", "kept by a merge of two offices' edits but skipped (see verify)"),
)


def _pa():
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise InvalidInput(_('--format parquet needs pyarrow, which is not installed; install it with: {INSTALL_HINT}').format(INSTALL_HINT=INSTALL_HINT)) from None
    return pyarrow


def _schema(pa, columns) -> object:
    kinds = {"string": pa.string(), "timestamp": pa.timestamp("us", tz="UTC"), "int16": pa.int16(), "int32": pa.int32(),
             "bool": pa.bool_(), "double": pa.float64(), "list<string>": pa.list_(pa.string())}
    return pa.schema([(name, kinds[kind]) for name, kind, _ in columns])


_instant = instant


def _micros(text):
    return _instant(text)[0]


def case_record(row: dict, assess, catalog, tz) -> dict:
    """One `cases` row from the index's summary row and assessment record."""
    received, offset = _instant(row.get("received"))
    out = {
        "id": row["id"], "received": received, "utc_offset_min": offset,
        **{k: row.get(k) for k in ("status", "type", "channel", "category", "district", "street", "community",
                                   "title", "address", "time_limit", "lead", "merged_into")},
        "tags": [str(t) for t in row.get("tags") or []], "co_units": [str(u) for u in row.get("co_units") or []],
        **{k: _micros(row.get(k)) for k in ("due", "dispatched", "accepted", "contacted", "closed")},
        "resolved": row.get("resolved"), "exempt": bool(row.get("exempt")),
        "frequent": bool(row.get("frequent")), "confidential": bool(row.get("confidential")),
        "special_group": bool(row.get("special_group")),
        "returns": row.get("returns") or 0, "extensions": row.get("extensions") or 0, "reopened": row.get("reopened") or 0,
        "evaluated": _micros(row.get("evaluated_at")),
        "satisfaction": (row.get("evaluation") or {}).get("satisfaction") if isinstance(row.get("evaluation"), dict) else None,
    }
    due, closed = out["due"], out["closed"]
    out["closed_late"] = bool(due and closed and closed > due)
    if assess:
        lead = assess.get("lead")
        out.update({
            "assess_month": timeutil.load(assess["evaluated"]).astimezone(tz).strftime("%Y-%m"),
            "assess_unit": lead,
            "assess_street": unit_at_level(catalog, lead, "street"),
            "assess_district": unit_at_level(catalog, lead, "district"),
            "assess_reached": assess["reached"], "assess_contacted": assess["contacted"],
            "assess_resolved": assess["resolved"], "assess_score": assess["score"],
            "assess_on_time": assess["on_time"], "assess_accepted_on_time": assess["accepted_on_time"],
            "assess_scheme": assess["scheme"], "assess_value": metrics.case_value(assess) if lead else None,
        })
    return out


def _check_target(out: Path) -> dict:
    """The previous export's marker (empty for a new folder); refuse a folder jiesu did not write."""
    if out.exists() and not out.is_dir():
        raise InvalidInput(_('--out: {out} exists and is not a folder; parquet writes a folder of datasets').format(out=out))
    if not out.exists():
        if not out.parent.is_dir():
            raise InvalidInput(_('--out: no folder {parent}').format(parent=out.parent))
        return {}
    marker = out / MARKER
    if not marker.is_file():
        if any(out.iterdir()):
            raise InvalidInput(_('--out: {out} is not empty and holds no jiesu Parquet export ({MARKER}); give a new or empty folder, or the folder of an earlier export').format(out=out, MARKER=MARKER))
        return {}
    try:
        data = json.loads(marker.read_text("utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InvalidInput(_('--out: {marker} is not a jiesu Parquet export marker; give a new or empty folder').format(marker=marker))
    return data


def _month(ts: float, tz) -> str:
    day = datetime.fromtimestamp(ts, tz)
    return f"{day.year:04d}-{day.month:02d}"


def _partition(out: Path, dataset: str, month: str) -> Path:
    year, mon = month.split("-")
    return out / dataset / f"year={int(year)}" / f"month={int(mon)}"


def _event_table(pa, stored: list, schema):
    """The month's `events` table from the event rows of its cases (see `jiesu.event_rows`),
    ordered by case and position, built column by column."""
    flat = sorted((row for rows in stored if rows for row in rows), key=lambda r: (r[0], r[1]))
    columns = list(zip(*flat)) if flat else [()] * len(schema)
    return pa.Table.from_arrays([pa.array(col, type=field.type) for col, field in zip(columns, schema)], schema=schema)


def _write_table(pa, path: Path, rows, schema) -> None:
    import pyarrow.parquet as pq

    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=schema)
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / ".part-0.parquet.tmp"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path / "part-0.parquet")


def _digests(store, index, db) -> dict:
    """Each month's fingerprint: the hash of its cases' paths and blob ids, streamed from the
    index (nothing of the whole store is held in memory)."""
    tz = store.tz
    stamp = f"{SCHEMA_VERSION}|{store.catalog_key}|{store.settings.get('timezone')}"
    index.select("count(*)", order="", db=db)  # says (once) when unreadable case files are left out
    hashes: dict = {}
    sql = f"SELECT {PATH_SQL}, {BLOB_SQL}, received_ts FROM cases WHERE problem IS NULL AND received_ts IS NOT NULL ORDER BY 1"
    for path, blob, ts in db.execute(sql):
        month = _month(ts, tz)
        h = hashes.get(month) or hashes.setdefault(month, hashlib.sha1(stamp.encode()))
        h.update(f"{path}\0{blob}\n".encode())
    return {month: h.hexdigest() for month, h in hashes.items()}


def _export(pa, store, index, db, reader, target: Path, previous: dict, progress) -> tuple:
    catalog, tz = store.catalog, store.tz
    digests = _digests(store, index, db)
    old = previous.get("partitions") if isinstance(previous.get("partitions"), dict) else {}
    todo = sorted(m for m in digests if old.get(m) != digests[m]
                  or not (_partition(target, "cases", m) / "part-0.parquet").is_file()
                  or not (_partition(target, "events", m) / "part-0.parquet").is_file())
    gone = sorted(m for m in old if m not in digests)
    case_schema, event_schema = _schema(pa, CASE_COLUMNS), _schema(pa, EVENT_COLUMNS)
    target.mkdir(exist_ok=True)
    written_cases = written_events = 0

    def begin(month: str) -> tuple:
        """The month's rows, and its cases' event rows as they are read (by workers, meanwhile)."""
        year, mon = (int(x) for x in month.split("-"))
        lo = timeutil.local(datetime(year, mon, 1).date(), datetime.min.time(), tz).timestamp()
        ny, nm = (year + 1, 1) if mon == 12 else (year, mon + 1)
        hi = timeutil.local(datetime(ny, nm, 1).date(), datetime.min.time(), tz).timestamp()
        rows = index.select(f"assess, {BLOB_SQL}, {PATH_SQL}, {ROW_SQL}", "received_ts >= ? AND received_ts < ?", (lo, hi),
                            order="received_ts, id", db=db)
        return rows, reader.start([(path, blob) for _a, blob, path, *_rest in rows])

    following = begin(todo[0]) if todo else None
    for n, month in enumerate(todo, 1):
        rows, case_events = following
        # the next month's files are read while this month's tables are built and written
        following = begin(todo[n]) if n < len(todo) else None
        cases = []
        for a, b, _path, *summary in rows:
            case_id = summary[1]  # the `id` column
            cases.append(dict(case_record(index.unpack_row(summary), index.unpack_assess(a, case_id) if a else None,
                                          catalog, tz), blob=b))
        events = _event_table(pa, case_events(), event_schema)
        _write_table(pa, _partition(target, "cases", month), cases, case_schema)
        _write_table(pa, _partition(target, "events", month), events, event_schema)
        written_cases += len(cases)
        written_events += events.num_rows
        if progress:
            progress(n, len(todo), month)
    for month in gone:
        for dataset in ("cases", "events"):
            shutil.rmtree(_partition(target, dataset, month), ignore_errors=True)
    return digests, todo, gone, written_cases, written_events


def export_parquet(store, out: str, progress=None) -> dict:
    """Write or bring up to date the Parquet export in folder `out`.

    Returns {"cases", "events", "partitions", "written", "removed", "folder"}: counts of cases and
    events written this time, partitions in the export, partitions rewritten and removed.
    """
    pa = _pa()
    target = Path(out).expanduser()
    previous = _check_target(target)
    index = Index(store)
    with contextlib.ExitStack() as stack:
        db = stack.enter_context(contextlib.closing(index.connect()))
        reader = stack.enter_context(contextlib.closing(EventReader(store)))  # its workers stop at the end
        digests, todo, gone, written_cases, written_events = _export(pa, store, index, db, reader, target, previous, progress)
    marker = {"format": FORMAT, "version": SCHEMA_VERSION, "office": store.office,
              "timezone": store.settings.get("timezone"), "head": store.git.head(),
              "partitions": dict(sorted(digests.items()))}
    yamlio.atomic_write(target / MARKER, json.dumps(marker, indent=1) + "\n")
    return {"cases": written_cases, "events": written_events, "partitions": len(digests), "written": len(todo),
            "removed": len(gone), "folder": str(target)}
