"""A case's events as flat rows: the `events` dataset of the Parquet export.

The read index keeps these rows for every case (worked out when the case file is parsed), so the
export never parses a case file again. No free text: notes, summaries and reasons stay out.
"""

from __future__ import annotations

from jiesu import timeutil

# the order of a row's values; `jiesu.interop.parquet.EVENT_COLUMNS` documents each
FIELDS = ("case_id", "seq", "event_id", "action", "at", "utc_offset_min", "actor", "unit", "co_units", "to_unit",
          "into", "due", "resolved", "reached", "contacted", "satisfaction", "superseded")


def instant(text):
    """(UTC microseconds, offset minutes) of a stored time, or (None, None)."""
    try:
        value = timeutil.load(text) if text else None
    except (ValueError, TypeError):
        return None, None
    if value is None:
        return None, None
    offset = value.utcoffset()
    return int(value.timestamp() * 1_000_000), int(offset.total_seconds() // 60) if offset is not None else None


def _text(event: dict, key: str):
    value = event.get(key)
    return str(value) if value is not None and not isinstance(value, (dict, list)) else None


def _flag(event: dict, key: str):
    value = event.get(key)
    return value if isinstance(value, bool) else None


def event_rows(case: dict) -> list[tuple]:
    """One tuple (values in `FIELDS` order) per event of a parsed case file."""
    rows = []
    case_id = str(case.get("id"))
    for seq, event in enumerate(case.get("events") or []):
        if not isinstance(event, dict):
            continue
        at, offset = instant(event.get("at"))
        co, due = event.get("co"), event.get("due")
        rows.append((
            case_id, seq, _text(event, "id"), _text(event, "action"), at, offset, _text(event, "by"),
            _text(event, "unit"), [str(u) for u in co] if isinstance(co, list) else [], _text(event, "to"),
            _text(event, "into"), instant(due)[0] if isinstance(due, str) else None, _flag(event, "resolved"),
            _flag(event, "reached"), _flag(event, "contacted"), _text(event, "satisfaction"),
            bool(event.get("superseded")),
        ))
    return rows
