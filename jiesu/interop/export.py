"""`jiesu export`: cases out as CSV, JSONL or Open311 GeoReport v2 (JSON or XML), never with
personal data.

- CSV: one row per case, the columns of `jiesu_csv.COLUMNS`; formula-like cells neutralised.
- JSONL: one case per line, as stored, minus the complainant's surname, phone and private
  reference, with phone numbers in free text masked, plus the names of the units and the
  category it refers to (so that an import elsewhere names them alike).
- Open311: requests with the GeoReport v2 request fields (status open/closed) and the services
  built from the catalog's leaf categories, as JSON (`open311`) or XML (`open311-xml`).
Cases are chosen by the day they were received (`--since`/`--until`, store time zone). Every
format streams: one case is read, written and let go at a time, so memory stays flat however
many cases there are. A format is one entry of `FORMATS` (`register` adds one).
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from jiesu import model, privacy, timeutil
from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.index import Index
from jiesu.interop.jiesu_csv import (
    NAMES,
    NUMBERS,
    case_names,
    case_row,
    last_event,
    number,
)
from jiesu.interop.mapping import FROM_SOURCE, SOURCE_NONE
from jiesu.queries import received_between
from jiesu.safecsv import safe_cell
from jiesu.safetext import json_text
from jiesu.workflow import OPEN

REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
)
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
PUBLIC_COMPLAINANT = ("kind", "confidential", "frequent", "special_group")
TEXT_FIELDS = ("note", "text", "summary", "reason")


@dataclass
class Format:
    """An export format: its files, in order (the first is what standard output and `--out FILE` get).

    Each file is (name, write), where `write(handle, cases, store)` writes the cases (an iterator
    of case dicts, read one at a time) to an open text handle — or a binary one when `binary`.
    """

    name: str
    help: str
    files: tuple
    binary: bool = False


FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> None:
    FORMATS[fmt.name] = fmt


def case_ids(store, since: str | None = None, until: str | None = None) -> list[str]:
    """The ids of the cases received in [since, until] (days in the store zone), oldest first."""
    where, params = [], []
    received_between(store, since, until, where, params)
    return [case_id for (case_id,) in Index(store).select("id", " AND ".join(where), params)]


def select(store, since: str | None = None, until: str | None = None) -> list[dict]:
    """The cases received in [since, until], oldest first (all in memory: for small selections)."""
    return [store.load_case(case_id) for case_id in case_ids(store, since, until)]


PARALLEL_FROM = 2000  # from this many cases on, worker processes read the case files
CHUNK = 250


def _load_chunk(root: str, ids: list[str]) -> list[dict]:
    from jiesu.store import Store

    store = Store(root)
    return [store.load_case(case_id) for case_id in ids]


def _cases(store, ids: list[str]):
    """The cases, in order, one at a time; many are read by worker processes, a few chunks ahead
    of the writer (so that memory holds only those chunks, whatever the number of cases)."""
    workers = min(os.cpu_count() or 1, 4)
    if len(ids) < PARALLEL_FROM or workers < 2:
        for case_id in ids:
            yield store.load_case(case_id)
        return
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        for start in range(0, len(ids), CHUNK):
            pending.append(pool.submit(_load_chunk, str(store.root), ids[start:start + CHUNK]))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


# --- CSV -------------------------------------------------------------------------------------

def write_csv(handle, cases, store) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(NAMES)
    for case in cases:
        row = case_row(case, store.catalog, store.tz)
        writer.writerow([number(row.get(name)) if name in NUMBERS else safe_cell(row.get(name)) for name in NAMES])


# --- JSONL -----------------------------------------------------------------------------------

def public_case(case: dict) -> dict:
    """The case without personal data: no surname, phone or private reference; phones in text masked."""
    data = {k: v for k, v in case.items()}
    comp = case.get("complainant") or {}
    data["complainant"] = {k: comp[k] for k in PUBLIC_COMPLAINANT if k in comp}
    for key in ("title", "description"):
        if data.get(key):
            data[key] = privacy.scrub(data[key])
    if (data.get("location") or {}).get("address"):
        data["location"] = dict(data["location"], address=privacy.scrub(data["location"]["address"]))
    events = []
    for event in case.get("events") or []:
        if isinstance(event, dict) and event.get("action") == "attach":
            continue  # attachments (call recordings, photos) stay in the store: exports omit them
        if isinstance(event, dict):
            event = {k: privacy.scrub(v) if k in TEXT_FIELDS and isinstance(v, str) else v for k, v in event.items()}
        events.append(event)
    data["events"] = events
    return data


def write_jsonl(handle, cases, store) -> None:
    for case in cases:
        data = public_case(case)
        data["names"] = case_names(case, store.catalog)
        handle.write(json_text(json.dumps(data, ensure_ascii=False, separators=(",", ":"))) + "\n")


# --- Open311 ---------------------------------------------------------------------------------

def _service_notice(case: dict, tclass) -> str | None:
    """What the time limit is: the source's due time, or the office's class; none without a limit."""
    origin = next((e.get("limit_from") for e in case.get("events") or [] if isinstance(e, dict) and e.get("action") == "intake"), None)
    if origin == SOURCE_NONE or (tclass is not None and tclass.limit is None):
        return None
    if origin == FROM_SOURCE:
        return "Due time as set by the source"
    if tclass is None:
        return None
    return f"{tclass.name.get('en', tclass.code)} time limit: {timeutil.format_duration(tclass.limit, 'en')}"


def open311_request(case: dict, catalog, tz) -> dict:
    """One GeoReport v2 request object (the spec's fields, in the spec's order)."""
    state = model.replay(case, catalog, tz, strict=False)
    status = state.get("status")
    notes = None
    if status in ("closed", "evaluated"):
        notes = last_event(case, "close").get("summary")
    elif status == "rejected":
        notes = "Rejected: " + str(last_event(case, "reject").get("reason") or "")
    elif status == "merged":
        notes = f"Duplicate of {state.get('merged_into')}"
    category = case.get("category")
    loc, source = case.get("location") or {}, case.get("source") or {}
    live = [e for e in case.get("events") or [] if isinstance(e, dict) and not e.get("superseded")]
    tclass = catalog.classes.get(case.get("time_limit")) if catalog else None
    lead = state.get("lead")
    service_name = catalog.name("categories", category) if category else None
    title, description = case.get("title"), case.get("description")
    # the title goes first unless the description already says it or it only names the service
    if title and title != service_name and not (description or "").startswith(title):
        text = "\n\n".join(t for t in (title, description) if t)
    else:
        text = description or title
    return {
        "service_request_id": case.get("id"),
        "status": "open" if status in OPEN else "closed",
        "status_notes": privacy.scrub(notes) if notes else None,
        "service_name": service_name,
        "service_code": category,
        "description": privacy.scrub(text).rstrip() if text else None,  # (a block's final newline is no text)
        "agency_responsible": catalog.name("units", lead) if lead else None,
        "service_notice": _service_notice(case, tclass),
        "requested_datetime": case.get("received"),
        "updated_datetime": live[-1].get("at") if live else case.get("received"),
        "expected_datetime": timeutil.fmt(state["due"]) if state.get("due") else None,
        "address": privacy.scrub(loc["address"]) if loc.get("address") else None,
        "address_id": None,
        "zipcode": source.get("zipcode"),
        "lat": loc.get("lat"),
        "long": loc.get("long"),
        "media_url": source.get("media_url"),
    }


def open311_services(catalog) -> list[dict]:
    """GeoReport v2 services: one per leaf category, grouped by its first-level category."""
    services = []
    for cat in catalog.categories.values():
        if not cat.is_leaf:
            continue
        root = catalog.categories.get(cat.code.split(".")[0])
        services.append({
            "service_code": cat.code,
            "service_name": cat.name.get("en") or cat.code,
            "description": cat.regulations or cat.name.get("en") or cat.code,
            "metadata": False,
            "type": "realtime",
            "keywords": ", ".join(cat.keywords),
            "group": (root.name.get("en") if root else None) or cat.code.split(".")[0],
        })
    return services


def _json_items(handle, items) -> None:
    """A JSON array written one item at a time, laid out as `json.dumps(list, indent=2)` would."""
    first = True
    for item in items:
        body = json_text(json.dumps(item, ensure_ascii=False, indent=2)).replace("\n", "\n  ")
        handle.write(("[\n  " if first else ",\n  ") + body)
        first = False
    handle.write("[]\n" if first else "\n]\n")


def write_open311_requests(handle, cases, store) -> None:
    _json_items(handle, (open311_request(case, store.catalog, store.tz) for case in cases))


def write_open311_services(handle, cases, store) -> None:
    _json_items(handle, open311_services(store.catalog))


def _xml_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return escape(str(value))


def _xml_items(handle, root: str, element: str, items) -> None:
    """GeoReport v2 XML: one element per item, one child per field (empty when null)."""
    handle.write(f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>\n')
    for item in items:
        handle.write(f"    <{element}>\n")
        for key, value in item.items():
            handle.write(f"        <{key}>{_xml_value(value)}</{key}>\n")
        handle.write(f"    </{element}>\n")
    handle.write(f"</{root}>\n")


def write_open311_xml_requests(handle, cases, store) -> None:
    _xml_items(handle, "service_requests", "request", (open311_request(case, store.catalog, store.tz) for case in cases))


def write_open311_xml_services(handle, cases, store) -> None:
    _xml_items(handle, "services", "service", open311_services(store.catalog))


register(Format("csv", "one row per case", (("cases.csv", write_csv),)))
register(Format("jsonl", "whole cases, one a line", (("cases.jsonl", write_jsonl),)))
register(Format("open311", "GeoReport v2 requests.json + services.json",
                (("requests.json", write_open311_requests), ("services.json", write_open311_services))))
register(Format("open311-xml", "GeoReport v2 requests.xml + services.xml",
                (("requests.xml", write_open311_xml_requests), ("services.xml", write_open311_xml_services))))


# --- writing ---------------------------------------------------------------------------------

def run_export(store, fmt: str, since: str | None = None, until: str | None = None, out: str | None = None,
               stdout=None) -> dict:
    """Export; without `out` the first file goes to `stdout` (a text stream, or a binary one for a
    binary format). Returns {"files": [paths written], "cases": n}."""
    spec = FORMATS.get(fmt)
    if spec is None:
        raise InvalidInput(_('--format: {fmt!r}; allowed: {items}').format(fmt=fmt, items=', '.join(FORMATS)))
    ids = case_ids(store, since, until)
    result = {"files": [], "cases": len(ids)}
    if out is None:
        spec.files[0][1](stdout, _cases(store, ids), store)
        return result
    target = Path(out)
    if target.is_dir() or out.endswith(("/", os.sep)):
        _folder(target)
        for name, write in spec.files:
            _write(target / name, write, store, ids, spec.binary)
            result["files"].append(str(target / name))
    else:
        _folder(target.parent)
        _write(target, spec.files[0][1], store, ids, spec.binary)
        result["files"].append(str(target))
    return result


def _folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(_('--out: cannot create the folder {path}: {strerror}').format(path=path, strerror=exc.strerror)) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write(path: Path, write, store, ids: list[str], binary: bool) -> None:
    """Stream into a temporary file beside `path`, then rename it over `path` (mode as the umask says)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InvalidInput(_('--out: cannot write in {parent}: {strerror}').format(parent=path.parent, strerror=exc.strerror)) from None
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as handle:
            write(handle, _cases(store, ids), store)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InvalidInput(_('--out: cannot write {path}: {strerror}').format(path=path, strerror=exc.strerror)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
