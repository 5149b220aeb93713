"""Reading jiesu's own exports back: JSONL (whole cases) and CSV (one row per case).

A JSONL line is a case: its intake becomes the intake record (with the due time and its origin
as recorded), every later event is replayed through the operations with its own actor and time,
so the new case has the same events (new ids; a merge points at the new id of its target).
A CSV row has no events, only state: the events are rebuilt from its times — assignment at
`dispatched`, acceptance, first contact, close, follow-up, rejection, merge, exemption — so the
rebuilt case exports to the same row. Cases keep their source; a case without one gets
`{system: jiesu:<OFFICE>, id: <its id>}`, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import re

from jiesu import model, timeutil
from jiesu.interop.jiesu_csv import unguard
from jiesu.interop.plans import Action, Plan, Skip
from jiesu.interop.readers import SourceRow
from jiesu.ops import handling

IMPORTER = "import"
SOURCE_COLUMNS = (("status", "source_status"), ("zipcode", "zipcode"), ("media_url", "media_url"))
UNIT_NAMES = (("district", "district_name"), ("street", "street_name"), ("lead", "lead_name"))
LOCATION = ("district", "street", "community", "address", "lat", "long")
COMPLAINANT = ("kind", "confidential", "frequent", "special_group")
HEADER = ("title", "type", "channel", "category", "description", "tags", "time_limit")
# the note a merge leaves on its target: made again when the merge is replayed
MERGE_NOTE = re.compile("^" + re.escape(handling.MERGE_NOTE).replace(re.escape("{}"), r"[A-Z][A-Z0-9]{0,9}-\d{4}-\d{4,6}") + "$")


def _office(case_id) -> str | None:
    parsed = model.parse_id(str(case_id or ""))
    return parsed[0] if parsed else None


class OwnRows:
    """Turns rows of jiesu's own CSV or JSONL into plans."""

    def __init__(self, store, mapping, section):
        self.store = store
        self.m = mapping
        self.section = section

    def case(self, row: SourceRow) -> dict:
        if row.raw is None:
            row.raw = _case_from_csv(row.values)
        return row.raw

    def key(self, row: SourceRow) -> tuple | None:
        case = self.case(row)
        source = case.get("source") if isinstance(case.get("source"), dict) else None
        if source and source.get("system") and source.get("id") is not None:
            return str(source["system"]), str(source["id"])
        office = _office(case.get("id"))
        return (f"jiesu:{office}", str(case["id"])) if office else None

    def original(self, row: SourceRow) -> str | None:
        return self.case(row).get("id")

    def existing(self, row: SourceRow, present: dict) -> str | None:
        key = self.key(row)
        if key is None:
            return None
        if key in present:
            return present[key]
        if key[0] == f"jiesu:{self.store.office}" and model.parse_id(key[1]) and self.store.exists(key[1]):
            return key[1]
        return None

    def plan(self, row: SourceRow) -> Plan | Skip:
        case = self.case(row)
        case_id = case.get("id")
        if not isinstance(case_id, str) or not case_id:
            return Skip(row.line, "no case id")
        try:
            received = timeutil.load(case.get("received"))
        except (TypeError, ValueError):
            received = None
        if received is None:
            return Skip(row.line, f"{case_id}: received {case.get('received')!r} is not a time with offset")
        events = [e for e in case.get("events") or [] if isinstance(e, dict)]
        if not events or events[0].get("action") != "intake":
            return Skip(row.line, f"{case_id}: the first event is not the intake")
        intake = events[0]
        loc, comp = case.get("location") or {}, case.get("complainant") or {}
        record = {key: case.get(key) for key in HEADER}
        record.update({key: loc.get(key) for key in LOCATION if loc.get(key) is not None})
        record.update({key: comp.get(key) for key in COMPLAINANT if comp.get(key) is not None})
        record.update(at=case.get("received"), due=intake.get("due"), limit_from=intake.get("limit_from"))
        anomalies = list(case.get("anomalies") or [])
        actions = []
        for event in events[1:]:
            action = event.get("action")
            if action not in model.EVENT_FIELDS or action == "intake":
                anomalies.append(f"unknown-event: event {action!r} at {event.get('at')} left out")
                continue
            if event.get("superseded"):
                anomalies.append(f"superseded-event: {action} at {event.get('at')} (superseded by a merge) left out")
                continue
            if action == "note" and MERGE_NOTE.match(str(event.get("text") or "")):
                continue
            if action in ("amend", "attach"):  # the header carries the corrected values; exports omit attachments
                anomalies.append(f"{action}-event: {action} at {event.get('at')} left out")
                continue
            # due times and clocks the importing store works out again from its own catalog
            args = {k: event[k] for k in model.EVENT_FIELDS[action] if k in event and k not in ("due", "review_by", "respond_by")}
            actions.append(Action(action, str(event.get("at")), str(event.get("by") or IMPORTER), args))
        self._catalog_entries(record, actions, anomalies, case.get("names") if isinstance(case.get("names"), dict) else {})
        key = self.key(row)
        source = case.get("source") if isinstance(case.get("source"), dict) else {}
        record["source"] = {"system": key[0], "id": key[1], **{k: v for k, v in source.items() if k not in ("system", "id")}}
        record["anomalies"] = anomalies or None
        return Plan(row.line, key, received, record, str(intake.get("by") or IMPORTER), case_id, actions, [], replay=True)


    def _catalog_entries(self, record: dict, actions: list, anomalies: list, names: dict) -> None:
        """Units and categories the case names but this catalog lacks go to its import section,
        with the names the exporting office gave them; unknown tags (their effects cannot be
        guessed) are left out, and said so."""
        section, catalog = self.section, self.store.catalog
        units, categories = names.get("units") or {}, names.get("categories") or {}
        if record.get("district"):
            section.ensure_unit(record["district"], "district", units.get(record["district"]))
        if record.get("street"):
            section.ensure_unit(record["street"], "street", units.get(record["street"]))
        lead = None
        for action in actions:
            for unit in [action.args.get("unit"), action.args.get("to"), *(action.args.get("co") or [])]:
                if unit:
                    section.ensure_unit(unit, name=units.get(unit))
                    lead = lead or unit
        if record.get("category"):
            section.ensure_category(record["category"], record.get("time_limit"), lead, categories.get(record["category"]))
        tags = list(record.get("tags") or [])
        for tag in tags:
            if tag not in catalog.tags:
                anomalies.append(f"unknown-tag: tag {tag!r} is not in this catalog; left out")
        record["tags"] = [t for t in tags if t in catalog.tags]


def _split(text: str | None, sep: str) -> list:
    return [part for part in (text or "").split(sep) if part]


def _bool(text: str | None):
    return None if text is None else text == "true"


def _event(action: str, at, **fields) -> dict:
    return {"action": action, "at": at, "by": IMPORTER, **{k: v for k, v in fields.items() if v not in (None, [], "")}}


def _case_from_csv(values: dict) -> dict:
    """A case (header and rebuilt events) from a row of jiesu's CSV."""
    v = {key: (unguard(cell) if cell else None) for key, cell in values.items()}
    case = {key: v.get(key) for key in ("id", "received", "title", "type", "channel", "category", "description", "time_limit")}
    case["location"] = {key: v.get(key) for key in LOCATION if v.get(key)}
    for key in ("lat", "long"):
        if key in case["location"]:
            try:
                case["location"][key] = float(case["location"][key])
            except ValueError:
                pass
    case["complainant"] = {"kind": v.get("kind") or "individual", **{k: v.get(k) == "true" for k in COMPLAINANT[1:]}}
    case["tags"] = _split(v.get("tags"), ";")
    if v.get("source_system") and v.get("source_id"):
        case["source"] = {"system": v["source_system"], "id": v["source_id"],
                          **{key: v[column] for key, column in SOURCE_COLUMNS if v.get(column)}}
    names = {"units": {v[unit]: v[name] for unit, name in UNIT_NAMES if v.get(unit) and v.get(name)},
             "categories": {v["category"]: v["category_name"]} if v.get("category") and v.get("category_name") else {}}
    case["names"] = names
    case["anomalies"] = _split(v.get("anomalies"), "\n")
    events = [_event("intake", v.get("received"), due=v.get("due"), limit_from=v.get("limit_from"))]
    lead, status = v.get("lead"), v.get("status")
    if lead and v.get("dispatched"):
        co = _split(v.get("co_units"), ";")
        if v.get("contacted") and timeutil.load(v["contacted"]) < timeutil.load(v["dispatched"]):
            # first contact before the last dispatch (a re-dispatch or a reopening): dispatched then too
            events.append(_event("assign", v["contacted"], unit=lead, co=co))
        events.append(_event("assign", v["dispatched"], unit=lead, co=co))
        if v.get("accepted"):
            events.append(_event("accept", v["accepted"], unit=lead))
        if v.get("contacted"):
            events.append(_event("contact", v["contacted"]))
    if v.get("closed"):
        events.append(_event("close", v["closed"], resolved=_bool(v.get("resolved")), summary=v.get("summary") or "closed"))
    if v.get("evaluated"):
        events.append(_event("evaluate", v["evaluated"], reached=_bool(v.get("reached")), contacted=_bool(v.get("eval_contacted")),
                             resolved=_bool(v.get("eval_resolved")), satisfaction=v.get("satisfaction"), reason=v.get("eval_reason")))
    if status == "rejected":
        events.append(_event("reject", v.get("updated"), reason=v.get("rejected_reason") or "rejected"))
    if status == "merged" and v.get("merged_into"):
        events.append(_event("merge", v.get("updated"), into=v["merged_into"]))
    if v.get("exempt") == "true":
        events.append(_event("exempt", v.get("updated"), reason=v.get("exempt_reason") or "exempt"))
    head, rest = events[0], events[1:]
    try:
        rest.sort(key=lambda e: timeutil.load(e["at"]))
        last = timeutil.load(rest[-1]["at"] if rest else head["at"])
        if v.get("updated") and timeutil.load(v["updated"]) > last:
            # the row's last event was one the columns do not carry (a note, a contact…)
            rest.append(_event("note", v["updated"], text="Last activity of the exported case (not in the CSV)"))
    except (TypeError, ValueError):
        pass
    case["events"] = [head, *rest]
    return case
