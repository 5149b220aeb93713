"""Re-importing a row whose case exists: what the source says has changed, as new events.

The row is planned as if it were new, then compared with the case as it stands: a closed row
whose case is open closes it (accepting it first if it was only dispatched); an open row whose
case is closed reopens it; another agency re-assigns it; a status or resolution text the case
has not heard of yet becomes a note. The case's `source` (status, zip code, media URL) follows
the row. Events are only ever added, at the source's times where it gives them (never before
the case's last event, never in the future) — nothing already recorded is rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from jiesu import timeutil
from jiesu.interop.plans import Action
from jiesu.store import yamlio
from jiesu.workflow import OPEN


@dataclass
class Changes:
    """The events to add to one case, and its new `source` (None when unchanged)."""

    actions: list = field(default_factory=list)
    source: dict | None = None
    said: list = field(default_factory=list)  # what changes, for people

    def describe(self) -> str:
        return "; ".join(self.said)


@dataclass
class Update:
    case_id: str
    line: int
    plan: Changes


def _texts(case: dict) -> set:
    return {str(e.get(k)) for e in case.get("events") or [] if isinstance(e, dict) for k in ("text", "summary", "reason") if e.get(k)}


def _last(case: dict) -> datetime:
    return max(timeutil.load(e["at"]) for e in case.get("events") or [] if isinstance(e, dict) and e.get("at"))


def changes(rows, row, case: dict, fresh) -> Changes | None:
    """What the row (planned afresh as `fresh` by `rows`, a CityRows) adds to `case`; None if nothing."""
    m, now = rows.m, rows.now
    state = case.get("state") or {}
    status = state.get("status")
    out = Changes()
    last = [_last(case)]

    def add(op: str, at: datetime | None, by: str, **args) -> None:
        when = min(max(at or now, last[0]), now)
        last[0] = when
        out.actions.append(Action(op, timeutil.fmt(when), by, args))

    by_op = {}
    for action in fresh.actions:
        by_op.setdefault(action.op, []).append(action)
    unit = by_op["assign"][0].args["unit"] if "assign" in by_op else None
    close = by_op["close"][-1] if "close" in by_op else None
    updated = rows.updated_time(row)
    source_status, old_status = fresh.record["source"].get("status"), (case.get("source") or {}).get("status")
    resolution = rows.get(row, "resolution")
    known = _texts(case)
    who = unit or state.get("lead") or m.system

    if close is not None and status in OPEN:
        if status == "dispatched":
            add("accept", timeutil.load(close.at), who)
        add("close", timeutil.load(close.at), who, **close.args)
        out.said.append(f"closed at {out.actions[-1].at}")
        status = "closed"
    elif close is None and status in ("closed", "evaluated"):
        add("reopen", updated, m.system, reason=f"{m.title} has the request open again (status {source_status or 'open'})")
        out.said.append(f"reopened at {out.actions[-1].at}")
        status = "dispatched" if state.get("lead") else "received"
    if status in OPEN and unit and unit != state.get("lead"):
        add("assign", updated, m.system, unit=unit)
        out.said.append(f"re-assigned to {unit}")
        status = "dispatched"
    if status == "dispatched" and "accept" in by_op:
        add("accept", updated, who)
    text = rows.status_note(source_status, resolution)
    if close is None and ((resolution and resolution not in " ".join(known)) or (source_status != old_status and text not in known)):
        add("note", updated, who, text=text)
        out.said.append(f"note: {text[:80]}")
    source = dict(fresh.record["source"])
    if source != dict(case.get("source") or {}):
        out.source = source
        if source_status != old_status:
            out.said.append(f"source status {old_status or '—'} → {source_status or '—'}")
        else:
            out.said.append("source details")
    if not out.actions and out.source is None:
        return None
    return out


def apply_update(store, tx, update: Update, ops: dict) -> None:
    """Add the update's events to its case through the operations, then its new source."""
    for action in update.plan.actions:
        ops[action.op](store, update.case_id, action.by, at=action.at, tx=tx, **action.args)
    if update.plan.source is not None:
        doc, case = tx.case(update.case_id)
        doc["source"] = yamlio.cmap(update.plan.source.items(), flow=True)
        case["source"] = dict(update.plan.source)
        tx.put_case(update.case_id, doc, case)
        if not update.plan.actions:
            tx.log.append(("source", update.case_id))
