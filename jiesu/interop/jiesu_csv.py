"""jiesu's own CSV: one row per case, documented columns, no personal data.

The columns (`COLUMNS`, documented in the README) carry the case header, its current state and
its handling result; `jiesu import --mapping jiesu-csv` reads them back, rebuilding each case's
events from the state times, so that an export → import → export keeps every column. Cells that
a spreadsheet would run as a formula are neutralised by the writer, and the importer undoes it.
"""

from __future__ import annotations

from jiesu import model, privacy, timeutil
from jiesu.workflow import OPEN

COLUMNS = (
    ("id", "case id (OFFICE-YYMM-NNNN)"),
    ("received", "when the request came in, ISO 8601 with offset"),
    ("title", "one line saying what it is about (phone numbers masked)"),
    ("type", "consultation, complaint, suggestion or emergency"),
    ("channel", "how it came in"),
    ("category", "leaf category code"),
    ("district", "district unit id"),
    ("street", "street/town unit id"),
    ("community", "community id within the street"),
    ("address", "address of the problem (phone numbers masked)"),
    ("zipcode", "postal code, as the source gave it"),
    ("lat", "latitude, when known (full precision)"),
    ("long", "longitude, when known (full precision)"),
    ("media_url", "link to a photo or file the source gave"),
    ("kind", "complainant kind: individual, enterprise, organization, anonymous"),
    ("frequent", "frequent caller (true/false)"),
    ("confidential", "confidential case (true/false)"),
    ("special_group", "special group (true/false)"),
    ("tags", "policy tags, separated by ;"),
    ("time_limit", "time-limit class"),
    ("status", "received, dispatched, accepted, closed, evaluated, rejected or merged"),
    ("lead", "lead unit"),
    ("co_units", "co-units, separated by ;"),
    ("due", "due time (empty when the case has no time limit)"),
    ("limit_from", "where the time limit came from: source (the source's due time), source:none (the source set none), "
                   "rules:CLASS (the office's class, by the import's mapping), category:CODE, tag:TAG, type:emergency, explicit, default"),
    ("dispatched", "last dispatch"),
    ("accepted", "acceptance of the last dispatch"),
    ("contacted", "first contact with the complainant"),
    ("closed", "last close"),
    ("resolved", "result of the last close (true/false)"),
    ("summary", "summary of the last close"),
    ("closed_late", "closed after the due time (true/false; empty while open)"),
    ("evaluated", "time of the last follow-up call"),
    ("reached", "follow-up: complainant reached (true/false)"),
    ("eval_contacted", "follow-up: says the unit made contact (true/false)"),
    ("eval_resolved", "follow-up: says the problem is solved (true/false)"),
    ("satisfaction", "follow-up: satisfaction level"),
    ("eval_reason", "follow-up: the reason given"),
    ("rejected_reason", "why the request was rejected"),
    ("merged_into", "the case this one was merged into"),
    ("exempt", "excluded from assessment (true/false)"),
    ("exempt_reason", "why it is exempt"),
    ("updated", "time of the last event"),
    ("description", "what the caller said (phone numbers masked)"),
    ("source_system", "the system the case was imported from"),
    ("source_id", "its id in that system"),
    ("source_status", "its status in that system"),
    ("anomalies", "anomalies of the source recorded at import, one a line"),
    ("category_name", "the category's name"),
    ("district_name", "the district's name"),
    ("street_name", "the street's name"),
    ("lead_name", "the lead unit's name"),
)
NAMES = tuple(name for name, _ in COLUMNS)
NUMBERS = ("lat", "long")  # written in full (repr), never through the spreadsheet guard


def number(value) -> str:
    return "" if value is None else repr(float(value))


def case_names(case: dict, catalog) -> dict:
    """The catalog's names of the units and the category a case refers to (English)."""
    loc = case.get("location") or {}
    units = [loc.get("district"), loc.get("street")]
    for event in case.get("events") or []:
        if isinstance(event, dict):
            units += [event.get("unit"), event.get("to"), *(event.get("co") or [])]
    names: dict = {"units": {}, "categories": {}}
    for unit in units:
        if _name(catalog, "units", unit) and unit not in names["units"]:
            names["units"][unit] = _name(catalog, "units", unit)
    category = case.get("category")
    if _name(catalog, "categories", category):
        names["categories"][category] = _name(catalog, "categories", category)
    return names


def _text(value) -> str | None:
    return privacy.scrub(value) if value else None


def _flag(value) -> str | None:
    return None if value is None else ("true" if value else "false")


def last_event(case: dict, action: str) -> dict:
    """The last live event of one action (or {})."""
    for event in reversed(case.get("events") or []):
        if isinstance(event, dict) and event.get("action") == action and not event.get("superseded"):
            return event
    return {}


def _time(value) -> str | None:
    return timeutil.fmt(value) if value is not None else None


def case_row(case: dict, catalog=None, tz=None) -> dict:
    """The CSV row of one case (text values, None for empty)."""
    state = model.replay(case, catalog, tz, strict=False)
    loc, comp, source = case.get("location") or {}, case.get("complainant") or {}, case.get("source") or {}
    close, evaluation = last_event(case, "close"), last_event(case, "evaluate")
    live = [e for e in case.get("events") or [] if isinstance(e, dict) and not e.get("superseded")]
    closed, due = state.get("closed"), state.get("due")
    open_now = state.get("status") in OPEN
    return {
        "id": case.get("id"), "received": case.get("received"), "title": _text(case.get("title")),
        "type": case.get("type"), "channel": case.get("channel"), "category": case.get("category"),
        "district": loc.get("district"), "street": loc.get("street"), "community": loc.get("community"),
        "address": _text(loc.get("address")), "zipcode": source.get("zipcode"), "lat": loc.get("lat"), "long": loc.get("long"),
        "media_url": source.get("media_url"),
        "kind": comp.get("kind"), "frequent": _flag(comp.get("frequent")), "confidential": _flag(comp.get("confidential")),
        "special_group": _flag(comp.get("special_group")), "tags": ";".join(case.get("tags") or []) or None,
        "time_limit": case.get("time_limit"), "status": state.get("status"), "lead": state.get("lead"),
        "co_units": ";".join(state.get("co_units") or []) or None, "due": _time(due),
        "limit_from": next((e.get("limit_from") for e in live if e.get("action") == "intake"), None),
        "dispatched": _time(state.get("dispatched")), "accepted": _time(state.get("accepted")),
        "contacted": _time(state.get("contacted")), "closed": _time(closed), "resolved": _flag(state.get("resolved")),
        "summary": _text(close.get("summary")) if closed else None,
        "closed_late": None if open_now or closed is None or due is None else _flag(closed > due),
        "evaluated": evaluation.get("at") if state.get("evaluation") else None,
        "reached": _flag(evaluation.get("reached")) if state.get("evaluation") else None,
        "eval_contacted": _flag(evaluation.get("contacted")) if state.get("evaluation") else None,
        "eval_resolved": _flag(evaluation.get("resolved")) if state.get("evaluation") else None,
        "satisfaction": evaluation.get("satisfaction") if state.get("evaluation") else None,
        "eval_reason": _text(evaluation.get("reason")) if state.get("evaluation") else None,
        "rejected_reason": _text(last_event(case, "reject").get("reason")) if state.get("status") == "rejected" else None,
        "merged_into": state.get("merged_into"), "exempt": _flag(bool(state.get("exempt"))),
        "exempt_reason": _text(last_event(case, "exempt").get("reason")) if state.get("exempt") else None,
        "updated": live[-1].get("at") if live else None, "description": _text(case.get("description")),
        "source_system": source.get("system"), "source_id": None if source.get("id") is None else str(source["id"]),
        "source_status": source.get("status"), "anomalies": "\n".join(case.get("anomalies") or []) or None,
        "category_name": _name(catalog, "categories", case.get("category")),
        "district_name": _name(catalog, "units", loc.get("district")), "street_name": _name(catalog, "units", loc.get("street")),
        "lead_name": _name(catalog, "units", state.get("lead")),
    }


def _name(catalog, table: str, code) -> str | None:
    entry = getattr(catalog, table).get(code) if catalog is not None and code else None
    return (entry.name.get("en") or code) if entry is not None else None


def unguard(cell: str) -> str:
    """A cell as written before `safecsv.safe_cell` guarded it against spreadsheet formulas."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r":
        return cell[1:]
    return cell
