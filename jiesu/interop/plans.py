"""What one row of a city's export says, as the plan of a jiesu case.

A plan is the intake record (the case header) and the events that reproduce the row, in time
order: intake at the created time; assignment to the agency and its acceptance (the source keeps
no separate times for them: both at the created time, or acceptance at the first activity note
when the source has a timeline); activity notes; and the close at the closed time, with the
resolution text as summary. What the city's own data gets wrong is kept, not corrected away:
each anomaly is recorded on the case (`anomalies:`) and counted in the import summary.
Only a row that cannot be read at all (no id, no created time) becomes a `Skip`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from jiesu import timeutil
from jiesu.interop.mapping import Mapping
from jiesu.interop.readers import SourceRow, clean
from jiesu.textcheck import MAX_LINE

NOTE_LIMIT = 4000
# Open311 note types that describe the request's own opening or closing, not an activity
OPENING_NOTES = ("opened",)
CLOSING_NOTES = ("closed",)
ACTIVITY_NOTES = ("activity",)  # the first one is when the agency took the request up (accept)
SOURCE_EXTRA = ("zipcode", "media_url")  # kept on the case's `source`, given back by the exports


@dataclass
class Action:
    """One operation after the intake: `op` is an ops function name; `at` ISO 8601."""

    op: str
    at: str
    by: str
    args: dict = field(default_factory=dict)


@dataclass
class Plan:
    """A case to create: where it came from, its intake record, its later events."""

    line: int
    key: tuple  # (source system, source id)
    created: datetime
    record: dict
    by: str  # who receives it (the intake event's actor)
    original: str  # its id in the source file (what other rows of the file call it)
    actions: list = field(default_factory=list)
    anomalies: list = field(default_factory=list)
    replay: bool = False  # replay through the operations (another store's events) rather than build at once


@dataclass
class Skip:
    """A row that cannot be imported, and why."""

    line: int
    reason: str


def anomaly_kind(text: str) -> str:
    return text.split(":", 1)[0]


class CityRows:
    """Turns rows of a city export (CSV or Open311 JSON) into plans."""

    def __init__(self, mapping: Mapping, section, now: datetime):
        self.m = mapping
        self.section = section
        self.now = now

    def get(self, row: SourceRow, name: str) -> str | None:
        column = self.m.column(name)
        if column is None:
            return None
        value = row.values.get(column)
        if value is None:
            return None
        value = clean(str(value)).strip()
        return None if value in self.m.missing else value

    def key(self, row: SourceRow) -> tuple | None:
        source_id = self.get(row, "id")
        return (self.m.system, source_id) if source_id is not None else None

    def original(self, row: SourceRow) -> str | None:
        return self.get(row, "id")

    def existing(self, row: SourceRow, present: dict) -> str | None:
        """The case already made from this row, if any."""
        return present.get(self.key(row))

    def updated_time(self, row: SourceRow) -> datetime | None:
        """When the source last changed the row (None when it does not say)."""
        return self._time(row, "updated", [])

    def update(self, row: SourceRow, case: dict):
        """What has changed since the row's case was imported (`updates.Changes`), None, or a Skip."""
        from jiesu.interop.updates import changes

        fresh = self.plan(row)
        return fresh if isinstance(fresh, Skip) else changes(self, row, case, fresh)

    def _time(self, row: SourceRow, name: str, anomalies: list) -> datetime | None:
        text = self.get(row, name)
        if text is None:
            return None
        try:
            return self.m.parse_time(text)
        except ValueError:
            anomalies.append(f"unreadable-time: {self.m.column(name)} {text!r} is not a time; left out")
            return None

    def plan(self, row: SourceRow) -> Plan | Skip:
        m = self.m
        source_id = self.get(row, "id")
        if source_id is None:
            return Skip(row.line, f"no id ({m.column('id')} is empty)")
        anomalies: list = []
        created_text = self.get(row, "created")
        if created_text is None:
            return Skip(row.line, f"{source_id}: no {m.column('created')}")
        try:
            created = m.parse_time(created_text)
        except ValueError:
            return Skip(row.line, f"{source_id}: {m.column('created')} {created_text!r} is not a time")
        if created > self.now:
            return Skip(row.line, f"{source_id}: {m.column('created')} {timeutil.fmt(created)} is in the future")
        closed = self._time(row, "closed", anomalies)
        due = self._time(row, "due", anomalies)
        updated = self._time(row, "updated", anomalies)
        status = self.get(row, "status")
        state, rule = self._state(status, closed, anomalies)
        self._before_created(closed, created, state, anomalies)

        agency = self.get(row, "agency")
        unit = self.section.agency(agency, self.get(row, "agency_name")) if agency else None
        service = self.get(row, "service") or "(no type given)"
        category = self.section.category(service, unit, self.get(row, "service_code"))
        record = self._record(row, source_id, status, created, due, category, anomalies)
        fmt = timeutil.fmt
        notes = self._notes(row, created, anomalies)
        close_at = self._close_time(row, created, closed, updated) if state == "closed" else None
        if state == "closed" and close_at is None:
            anomalies.append(f"closed-without-date: status {status} but no {m.column('closed')}; the close time is "
                             "unknown, so no close is recorded and the case stays open")
            state = "accepted"
        if close_at is not None and close_at > self.now:
            anomalies.append(f"future-time: the close at {fmt(close_at)} lies in the future; the case is left open")
            state, close_at = "accepted", None
        actions: list = []
        if unit is None:
            anomalies.append(f"unknown-agency: no {m.column('agency')}; the case is not dispatched")
        elif state != "received":
            actions.append(Action("assign", fmt(created), m.system, {"unit": unit}))
            if state in ("accepted", "closed"):
                accept_at = next((at for at, _, kind in notes if kind in ACTIVITY_NOTES), created)
                if close_at is not None:
                    accept_at = min(accept_at, close_at)
                actions.append(Action("accept", fmt(accept_at), unit, {}))
        by = unit or m.system
        actions += [Action("note", fmt(at), by, {"text": text}) for at, text, _ in notes]
        resolution = self.get(row, "resolution")
        if close_at is not None:
            summary = resolution or (rule.summary if rule and rule.summary else f"Closed in {m.title} (status {status or 'closed'})")
            resolved = rule.resolved if rule and rule.resolved is not None else m.is_resolved(resolution)
            actions.append(Action("close", fmt(close_at), by, {"resolved": resolved, "summary": summary[:NOTE_LIMIT]}))
        elif resolution and not any(resolution in text for _, text, _ in notes):
            at = min(max(updated or created, created), self.now)
            actions.append(Action("note", fmt(at), by, {"text": self.status_note(status, resolution)}))
        elif updated is not None and created < updated <= self.now and all(timeutil.load(a.at) < updated for a in actions):
            # an open row the source updated later than anything it tells: when is known, what is not
            actions.append(Action("note", fmt(updated), by, {"text": self.status_note(status, None)}))
        actions.sort(key=lambda a: timeutil.load(a.at))
        record["anomalies"] = anomalies or None
        return Plan(row.line, (m.system, source_id), created, record, m.system, source_id, actions, anomalies)

    def status_note(self, status: str | None, resolution: str | None) -> str:
        """The note an open row's status (and resolution text) becomes."""
        if resolution:
            return f"{self.m.title} status {status or 'open'}: {resolution}"[:NOTE_LIMIT]
        return f"{self.m.title} updated the request (status {status or 'open'})"

    def _state(self, status: str | None, closed: datetime | None, anomalies: list):
        """The state the case ends in, from the status (the city's latest word) and the closed time."""
        rule = self.m.status_rule(status)
        if rule is not None:
            state = rule.state
        else:
            state = "closed" if closed else "dispatched"
            what = f"status {status!r} is not in the mapping" if status else "no status"
            anomalies.append(f"unknown-status: {what}; taken as {'closed' if closed else 'open'}")
        if state != "closed" and closed is not None:
            anomalies.append(f"closed-date-on-open-status: status {status} with {self.m.column('closed')} {timeutil.fmt(closed)}; the case stays open")
        return state, rule

    def _before_created(self, closed: datetime | None, created: datetime, state: str, anomalies: list) -> None:
        if closed is not None and closed < created:
            then = "the close is recorded at the created time" if state == "closed" else "the case stays open"
            anomalies.append(f"closed-before-created: {self.m.column('closed')} {timeutil.fmt(closed)} is before "
                             f"{self.m.column('created')} {timeutil.fmt(created)}; {then}")

    def _close_time(self, row, created, closed, updated) -> datetime | None:
        """When the close happened (never before the created time), or None when the source does not say."""
        closing = [at for at, kind in self._raw_notes(row) if kind in CLOSING_NOTES]
        if closing:
            closed = closing[-1]
        if closed is None and self.m.format == "open311" and updated is not None:
            closed = updated  # GeoReport v2 has no close time: a closed request was last updated when it closed
        if closed is None:
            return None
        return max(closed, created)  # before the created time: an anomaly of the source, recorded by the caller

    def _raw_notes(self, row: SourceRow) -> list:
        """(time, type) of the source's own timeline (Open311 `notes`), when the mapping has one."""
        column = self.m.column("notes")
        items = row.raw.get(column) if column and isinstance(row.raw, dict) else None
        out = []
        for item in items or []:
            if isinstance(item, dict) and item.get("datetime"):
                try:
                    out.append((self.m.parse_time(item["datetime"]), str(item.get("type") or "")))
                except ValueError:
                    continue
        return out

    def _notes(self, row: SourceRow, created: datetime, anomalies: list) -> list:
        """(time, text, type) of the source timeline's notes, never before the intake."""
        column = self.m.column("notes")
        items = row.raw.get(column) if column and isinstance(row.raw, dict) else None
        out = []
        for item in items or []:
            if not isinstance(item, dict) or str(item.get("type") or "") in OPENING_NOTES + CLOSING_NOTES:
                continue
            text = " — ".join(clean(str(item[k])).strip() for k in ("summary", "description") if item.get(k))
            if item.get("type"):
                text = f"[{item['type']}] {text}"
            try:
                at = self.m.parse_time(item.get("datetime") or "")
            except ValueError:
                anomalies.append(f"unreadable-time: note {text[:60]!r} has no readable datetime; recorded at the created time")
                at = created
            if at < created:
                text += f" (at {timeutil.fmt(at)}, before the request was opened)"
                at = created
            if at > self.now:
                anomalies.append(f"future-time: note {text[:60]!r} at {timeutil.fmt(at)} lies in the future; left out")
                continue
            out.append((at, text[:NOTE_LIMIT], str(item.get("type") or "")))
        out.sort(key=lambda pair: pair[0])
        return out

    def _record(self, row, source_id, status, created, due, category, anomalies) -> dict:
        m = self.m
        parts = []
        for name in m.title_fields:
            value = self.get(row, name)
            if value and value not in parts:
                parts.append(value)
        title = ": ".join(parts) or f"{m.title} request {source_id}"
        lines = [text] if (text := self.get(row, "text")) else []
        for label, column in m.description:
            value = row.values.get(column)
            value = " ".join(clean(str(value)).split()) if value is not None else ""
            if value and value not in m.missing:
                lines.append(f"{label}: {value}")
        channel_text = self.get(row, "channel")
        channel = m.channels.get(channel_text, m.default_channel) if channel_text else m.default_channel
        extra = {key: value for key in SOURCE_EXTRA if (value := self.get(row, key))}
        record = {
            "at": timeutil.fmt(created), "title": " ".join(title.split())[:MAX_LINE], "type": m.type, "channel": channel,
            "category": category, "description": "\n".join(lines) or None,
            "source": {"system": m.system, "id": source_id, **({"status": status} if status else {}), **extra},
        }
        area = self.get(row, "area")
        if area:
            record["district"] = self.section.area(area)
            sub = self.get(row, "subarea")
            if sub:
                record["street"] = self.section.subarea(record["district"], sub)
        address = self.get(row, "address")
        if address:
            record["address"] = " ".join(address.split())[:MAX_LINE]
        point = self._point(row, anomalies)
        if point:
            record["lat"], record["long"] = point
        record.update(m.limit(due))
        return record

    def _point(self, row, anomalies) -> tuple | None:
        text = self.get(row, "point")
        pair = None
        if text:
            bits = text.strip("()[] ").split(",")
            if len(bits) == 2:
                pair = bits
        if pair is None:
            lat, long = self.get(row, "lat"), self.get(row, "long")
            if lat is None or long is None:
                return None
            pair = [lat, long]
        try:
            lat, long = (float(str(v).replace(",", "").strip()) for v in pair)
        except ValueError:
            anomalies.append(f"unreadable-point: coordinates {pair!r} are not numbers; left out")
            return None
        if (lat, long) in self.m.ignore_points:
            return None  # a placeholder the mapping names: no place, and nothing odd about it
        if not (-90 <= lat <= 90 and -180 <= long <= 180) or (lat, long) == (0.0, 0.0):
            anomalies.append(f"unreadable-point: coordinates ({lat}, {long}) are not a place; left out")
            return None
        return lat, long
