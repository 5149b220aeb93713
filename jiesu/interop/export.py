"""`jiesu export`: cases out as CSV, JSONL or Open311 GeoReport v2, never with personal data.

- CSV: one row per case, the columns of `csvio.COLUMNS`; formula-like cells neutralised.
- JSONL: one case per line, as stored, minus the complainant's surname, phone and private
  reference, with phone numbers in free text masked.
- Open311: `requests.json` with exactly the GeoReport v2 request fields of DESIGN §7 (status
  open/closed) and `services.json` built from the catalog's leaf categories.
Cases are chosen by the day they were received (`--since`/`--until`, store time zone).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from jiesu import model, privacy, timeutil
from jiesu.csvio import safe_cell
from jiesu.errors import InvalidInput
from jiesu.interop.csvio import NAMES, case_row, last_event
from jiesu.queries import received_between
from jiesu.safetext import json_text
from jiesu.store import yamlio
from jiesu.store.index import Index

FORMATS = ("csv", "jsonl", "open311")
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "lat", "long", "media_url",
)
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
OPEN = ("received", "dispatched", "accepted")
PUBLIC_COMPLAINANT = ("kind", "confidential", "frequent", "special_group")
TEXT_FIELDS = ("note", "text", "summary", "reason")


def select(store, since: str | None = None, until: str | None = None) -> list[dict]:
    """The cases received in [since, until] (days in the store zone), oldest first."""
    where, params = [], []
    received_between(store, since, until, where, params)
    return [store.load_case(case_id) for (case_id,) in Index(store).select("id", " AND ".join(where), params)]


def to_csv(cases: list[dict], catalog, tz) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(NAMES)
    for case in cases:
        row = case_row(case, catalog, tz)
        writer.writerow([safe_cell(row.get(name)) for name in NAMES])
    return out.getvalue()


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


def to_jsonl(cases: list[dict]) -> str:
    return "".join(json_text(json.dumps(public_case(case), ensure_ascii=False, separators=(",", ":"))) + "\n" for case in cases)


def open311_request(case: dict, catalog, tz) -> dict:
    """One GeoReport v2 request object (DESIGN §7 fields, in the spec's order)."""
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
    loc = case.get("location") or {}
    live = [e for e in case.get("events") or [] if isinstance(e, dict) and not e.get("superseded")]
    tclass = catalog.classes.get(case.get("time_limit")) if catalog else None
    lead = state.get("lead")
    text = "\n\n".join(t for t in (case.get("title"), case.get("description")) if t)
    return {
        "service_request_id": case.get("id"),
        "status": "open" if status in OPEN else "closed",
        "status_notes": privacy.scrub(notes) if notes else None,
        "service_name": catalog.name("categories", category) if category else None,
        "service_code": category,
        "description": privacy.scrub(text) if text else None,
        "agency_responsible": catalog.name("units", lead) if lead else None,
        "service_notice": f"{tclass.name.get('en', tclass.code)} time limit: {timeutil.format_duration(tclass.limit)}" if tclass else None,
        "requested_datetime": case.get("received"),
        "updated_datetime": live[-1].get("at") if live else case.get("received"),
        "expected_datetime": timeutil.fmt(state["due"]) if state.get("due") else None,
        "address": privacy.scrub(loc["address"]) if loc.get("address") else None,
        "lat": loc.get("lat"),
        "long": loc.get("long"),
        "media_url": None,
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


def _json(data) -> str:
    return json_text(json.dumps(data, ensure_ascii=False, indent=2)) + "\n"


def run_export(store, fmt: str, since: str | None = None, until: str | None = None, out: str | None = None) -> dict:
    """Export; return {"text": what to print (without --out), "files": [(path, count)], "cases": n}."""
    if fmt not in FORMATS:
        raise InvalidInput(f"--format: {fmt!r}; allowed: {', '.join(FORMATS)}")
    cases = select(store, since, until)
    catalog, tz = store.catalog, store.tz
    if fmt == "csv":
        outputs = [("cases.csv", to_csv(cases, catalog, tz))]
    elif fmt == "jsonl":
        outputs = [("cases.jsonl", to_jsonl(cases))]
    else:
        outputs = [("requests.json", _json([open311_request(c, catalog, tz) for c in cases])),
                   ("services.json", _json(open311_services(catalog)))]
    result = {"text": None, "files": [], "cases": len(cases)}
    if out is None:
        result["text"] = outputs[0][1]
        return result
    target = Path(out)
    if target.is_dir() or out.endswith(("/", "\\")):
        for name, text in outputs:
            _write(target / name, text)
            result["files"].append(str(target / name))
    else:
        _write(target, outputs[0][1])
        result["files"].append(str(target))
    return result


def _write(path: Path, text: str) -> None:
    if not path.parent.is_dir():
        raise InvalidInput(f"--out: no folder {path.parent}")
    try:
        yamlio.atomic_write(path, text)
    except OSError as exc:
        raise InvalidInput(f"--out: cannot write {path}: {exc.strerror}") from None
