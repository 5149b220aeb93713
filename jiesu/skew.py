"""Events stamped ahead of the clock: another office's fast clock must never block this one.

An event's time is the time its office's clock gave it. An office whose clock runs 30 days fast
writes events 30 days "in the future"; once synced, every other office would be refused any
event before them ("before the case's last event"). So an event stamped more than `TOLERANCE`
after the commit that brought it into this store (or after now, for events this store has not
yet seen committed) is **ahead**: it never moves the local "not before" bound, a local event is
placed before it in the list (the order a merge would give both), and `sync` and `verify` name
it, with the office and actor that wrote it, for a person to look at that office's clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from jiesu import timeutil
from jiesu.i18n import _

TOLERANCE = timedelta(minutes=15)


def when(event) -> datetime | None:
    try:
        return timeutil.load(event.get("at")) if isinstance(event, dict) else None
    except (ValueError, TypeError):
        return None


def is_ahead(event, reference: datetime) -> bool:
    """Is `event` stamped more than TOLERANCE after `reference` (the time it arrived)?"""
    at = when(event)
    return at is not None and at > reference + TOLERANCE


def split(events: list, now: datetime) -> int:
    """The index where the trailing run of events stamped ahead of `now` begins (len when none)."""
    index = len(events)
    while index > 0 and isinstance(events[index - 1], dict) and is_ahead(events[index - 1], now):
        index -= 1
    return index


def office_of(store, path: str, event_id: str, rev: str = "HEAD") -> str:
    """The office whose commit first wrote `event_id` into `path` (its `Jiesu-Office` trailer,
    else the office in the author's jiesu address), or "?"."""
    fmt = "%(trailers:key=Jiesu-Office,valueonly,separator=%x2c)%x1f%ae"
    out = store.git.run("log", "--reverse", f"--format={fmt}", f"-Sid: {event_id}", rev, "--", path, check=False).stdout
    first = out.strip().splitlines()[0] if out.strip() else ""
    office, _, email = first.partition("\x1f")
    if office.strip():
        return office.strip()
    domain = email.rpartition("@")[2]
    if domain.endswith(".jiesu.invalid"):
        return domain.removesuffix(".jiesu.invalid").upper()
    return "?"


def describe(event: dict, office: str, reference: datetime) -> str:
    at = when(event)
    ahead = at - reference if at else timedelta(0)
    days, seconds = ahead.days, ahead.seconds
    span = (_("{days} day(s) {hours} h").format(days=days, hours=seconds // 3600) if days
            else _("{hours} h {minutes} min").format(hours=seconds // 3600, minutes=seconds % 3600 // 60))
    return (_("event {id} ({action} by {by} of office {office}) is stamped {at}, {span} ahead of the time it arrived here; that office's clock is probably fast — it does not hold back events here").format(id=event.get('id'), action=event.get('action'), by=event.get('by'), office=office, at=event.get('at'), span=span))
