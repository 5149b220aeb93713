"""Which open cases come first: those under a leader's supervision (督办), then those whose tags
carry `priority: high` (tags.yaml), then the rest — in `list`, `overdue`, the unit sheet and
the daily report."""

from __future__ import annotations

from jiesu import timeutil
from jiesu.handling_view import whistle_calls


def supervised(row: dict, now) -> dict | None:
    """The supervision of an index row still in force at `now` (its `until` not passed), or None."""
    sup = row.get("supervised")
    if not sup:
        return None
    until = timeutil.load(sup.get("until")) if sup.get("until") else None
    return sup if until is None or now <= until else None


def high(row: dict, catalog) -> bool:
    return any(getattr(catalog.tags.get(t), "priority", None) == "high" for t in row.get("tags") or [])


def rank(row: dict, catalog, now) -> int:
    """0 supervised, 1 high priority, 2 the rest."""
    if supervised(row, now):
        return 0
    return 1 if high(row, catalog) else 2


def whistle_for(row: dict, unit: str, now) -> str | None:
    """The report-for-duty clock of `unit` on this case (met / missed / running), if it was called."""
    state = {"whistle": row.get("whistle") or []}
    outcomes = [c["outcome"] for c in whistle_calls(state, now) if c.get("unit") == unit]
    return outcomes[-1] if outcomes else None
