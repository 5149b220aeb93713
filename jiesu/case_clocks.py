"""The three clocks of a case (DESIGN §2), each with its limit, elapsed time and whether it was met.

- acceptance — per dispatch: from each assignment to its acceptance; a re-dispatch starts a new
  clock, a return stops the running one;
- contact — from the first dispatch to the first contact with the complainant;
- resolution — from reception to close, against the due time (extensions included).

Times count as the case's class counts them (calendar or working time). `met` is True or False
once decided, None while a clock runs within its limit or after it was stopped in time.
A case imported from another system's export shows `unknown` for what that source did not
record: the first contact, and an acceptance the import could only put at the dispatch time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from jiesu import timeutil, working_time
from jiesu.i18n import _
from jiesu.summary import summarize
from jiesu.textwidth import pad


def _clock(start, end, limit: timedelta | None, tclass, calendar, tz, now: datetime, stopped: bool = False) -> dict:
    if start is None:
        return {"start": None, "end": None, "limit_s": limit.total_seconds() if limit else None, "elapsed_s": None, "met": None, "running": False}
    until = end or now
    spent = working_time.elapsed(start, until, tclass, calendar, tz) if tclass else until - start
    if end is not None and not stopped:
        met = spent <= limit if limit is not None else None
    else:
        met = False if (limit is not None and spent > limit) else None
    return {
        "start": timeutil.fmt(start), "end": timeutil.fmt(end) if end else None,
        "limit_s": limit.total_seconds() if limit is not None else None,
        "elapsed_s": spent.total_seconds(), "met": met, "running": end is None and not stopped,
    }


def _unknown(c: dict) -> dict:
    return dict(c, met=None, running=False, unknown=True)


def _from_source(row: dict) -> bool:
    """Whether the case came from another system's export (not from another jiesu office)."""
    system = str((row.get("source") or {}).get("system") or "")
    return bool(system) and not system.startswith("jiesu:")


def row_clocks(row: dict, catalog, tz, now: datetime) -> dict:
    """Clocks from an index row (see jiesu.summary)."""
    tclass = catalog.classes.get(row.get("time_limit"))
    cal = catalog.calendar
    load = timeutil.load
    acceptance = []
    for a in row.get("assigns") or []:
        end = load(a.get("accepted")) or load(a.get("ended"))
        c = _clock(load(a["at"]), end, tclass.accept_within if tclass else None, tclass, cal, tz, now,
                   stopped=a.get("accepted") is None and a.get("ended") is not None)
        c["unit"] = a.get("unit")
        c["ended_by"] = "accept" if a.get("accepted") else a.get("end")
        if _from_source(row) and (a.get("accepted") or a.get("ended")) in (None, a["at"]):
            c = _unknown(c)
        acceptance.append(c)
    contact = _clock(load(row.get("first_dispatched")), load(row.get("first_contact")),
                     tclass.contact_within if tclass else None, tclass, cal, tz, now)
    if _from_source(row) and row.get("first_contact") is None and contact["start"] is not None:
        contact = _unknown(contact)
    received, due, closed = load(row.get("received")), load(row.get("due")), load(row.get("closed"))
    status = row.get("status")
    final = status in ("rejected", "merged")
    resolution = _clock(received, closed, None, tclass, cal, tz, now, stopped=final and closed is None)
    if due is not None and received is not None:
        resolution["limit_s"] = (working_time.elapsed(received, due, tclass, cal, tz) if tclass else due - received).total_seconds()
        resolution["due"] = timeutil.fmt(due)
        if closed is not None:
            resolution["met"] = closed <= due
        elif not final:
            resolution["met"] = False if now > due else None
    return {"acceptance": acceptance, "contact": contact, "resolution": resolution}


def case_clocks(case: dict, catalog, tz, now: datetime) -> dict:
    return row_clocks(summarize(case), catalog, tz, now)


def _line(name: str, c: dict) -> str:
    name = pad(name, 11)
    if c.get("start") is None:
        return _("{name} not started").format(name=name)
    if c.get("unknown"):
        return _("{name} unknown (the source did not record it)").format(name=name)
    spent = timeutil.format_duration(timedelta(seconds=c["elapsed_s"]))
    limit = timeutil.format_duration(timedelta(seconds=c["limit_s"])) if c.get("limit_s") is not None else "—"
    if c.get("running"):
        state = _("running, over the limit") if c.get("met") is False else _("running")
    elif c.get("met") is True:
        state = _("met")
    elif c.get("met") is False:
        state = _("MISSED")
    else:
        state = _("stopped")
    return _("{name} {spent} of {limit} — {state}").format(name=name, spent=spent, limit=limit, state=state)


def describe(cl: dict) -> list[str]:
    """Lines for `show`: one per acceptance clock, then contact and resolution."""
    lines = []
    for i, a in enumerate(cl["acceptance"], 1):
        label = _("acceptance") if len(cl["acceptance"]) == 1 else _("accept #{i}").format(i=i)
        how = {"return": _(", returned"), "reassign": _(", re-dispatched")}.get(a.get("ended_by") or "", "")
        lines.append(_line(label, a) + f" ({a.get('unit')}{how})")
    if not cl["acceptance"]:
        lines.append(_("{name} not dispatched").format(name=pad(_("acceptance"), 11)))
    lines.append(_line(_("contact"), cl["contact"]))
    lines.append(_line(_("resolution"), cl["resolution"]))
    return lines
