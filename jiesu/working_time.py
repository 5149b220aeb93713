"""Deadlines, elapsed time and the working calendar.

A time-limit class counts either calendar time or working time (`days: working`). Working time is
the union of the calendar's working periods: each working day (a make-up day works, a holiday
rests, else the work week decides) contributes its whole day, or only its working hours when
`working_hours` is set — an end before the start means the shift runs past midnight and belongs to
the day it started. In working mode one day of a limit is one working day: 7d from Friday 15:00
ends at 15:00 on the seventh working day after, whatever holidays lie between.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from jiesu.catalog import Calendar, TimeClass
from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.timeutil import fixed, local

_MAX_DAYS = 3 * 366  # a calendar with no working day in three years is a broken calendar


def day_length(calendar: Calendar) -> timedelta:
    """How long one working day lasts: 24 h, or the working hours."""
    if not calendar.working_hours:
        return timedelta(days=1)
    start, end = calendar.working_hours
    span = datetime.combine(date.min, end) - datetime.combine(date.min, start)
    return span if span > timedelta(0) else span + timedelta(days=1)


@lru_cache(maxsize=8192)
def _segment(day: date, calendar: Calendar, tz: tzinfo) -> tuple[datetime, datetime]:
    """The working period that belongs to working day `day`."""
    if not calendar.working_hours:
        return local(day, time(0), tz), local(day + timedelta(days=1), time(0), tz)
    start, end = calendar.working_hours
    end_day = day if end > start else day + timedelta(days=1)
    return local(day, start, tz), local(end_day, end, tz)


def segments(start: datetime, calendar: Calendar, tz: tzinfo):
    """Working periods, in order, from the one that contains or follows `start`."""
    day = start.astimezone(tz).date() - timedelta(days=1)  # an overnight shift may have begun yesterday
    misses = 0
    while True:
        if calendar.is_working_day(day):
            misses = 0
            seg_start, seg_end = _segment(day, calendar, tz)
            if seg_end > start:
                yield max(seg_start, start), seg_end
        else:
            misses += 1
            if misses > _MAX_DAYS:
                raise InvalidInput(_('calendar.yaml has no working day for three years; check work_week and holidays'))
        day += timedelta(days=1)


def working_amount(limit: timedelta, calendar: Calendar) -> timedelta:
    """A class limit in working time: each day (24 h) of the limit is one working day."""
    return limit.days * day_length(calendar) + timedelta(seconds=limit.seconds)


def add_working(start: datetime, amount: timedelta, calendar: Calendar, tz: tzinfo) -> datetime:
    """The instant when `amount` of working time has passed since `start`.

    A deadline that ends a working day at midnight is shown as 23:59:59 of that day, so that it
    never reads as falling on the (possibly non-working) next day.
    """
    remaining = amount
    if remaining <= timedelta(0):
        return start
    for seg_start, seg_end in segments(start, calendar, tz):
        span = seg_end - seg_start
        if span >= remaining:
            result = seg_start + remaining
            if result == seg_end and result.astimezone(tz).time() == time(0):
                result = result - timedelta(seconds=1)
            return result
        remaining -= span
    raise AssertionError("unreachable")  # pragma: no cover


def working_between(a: datetime, b: datetime, calendar: Calendar, tz: tzinfo) -> timedelta:
    """Working time between two instants (negative when b is before a).

    Whole days in the middle of a long span come from a running total of working time per day
    (built once per calendar), so a case months overdue costs as little as one a day late.
    """
    if b < a:
        return -working_between(b, a, calendar, tz)
    first = a.astimezone(tz).date()
    if _boundary(first, calendar, tz) < a:
        first += timedelta(days=1)
    last = b.astimezone(tz).date()
    if _boundary(last, calendar, tz) > b:
        last -= timedelta(days=1)
    if (last - first).days < _LONG_SPAN:
        return _working_by_segments(a, b, calendar, tz)
    return (_working_by_segments(a, _boundary(first, calendar, tz), calendar, tz)
            + _whole_days(first, last, calendar, tz)
            + _working_by_segments(_boundary(last, calendar, tz), b, calendar, tz))


_LONG_SPAN = 14  # days; shorter spans are summed period by period
_TOTALS: dict = {}  # (calendar, tz) → (first day's ordinal, running totals in seconds)


def _boundary(day: date, calendar: Calendar, tz: tzinfo) -> datetime:
    """Where `day`'s working period would begin: every period of an earlier day ends by then and
    every period of a later day begins after it (a period never exceeds 24 hours)."""
    return local(day, calendar.working_hours[0] if calendar.working_hours else time(0), tz)


def _whole_days(first: date, stop: date, calendar: Calendar, tz: tzinfo) -> timedelta:
    """Working time in the periods of the days from `first` up to, not including, `stop`."""
    key = (calendar, tz)
    base, totals = _TOTALS.get(key, (None, None))
    if base is None or first.toordinal() < base or stop.toordinal() >= base + len(totals):
        lo = min(first.toordinal(), base if base is not None else first.toordinal()) - 366
        hi = max(stop.toordinal(), base + len(totals) if base is not None else stop.toordinal()) + 366
        totals, running = [0.0], 0.0
        for ordinal in range(lo, hi):
            day = date.fromordinal(ordinal)
            if calendar.is_working_day(day):
                seg_start, seg_end = _segment.__wrapped__(day, calendar, tz)
                running += (seg_end - seg_start).total_seconds()
            totals.append(running)
        base = lo
        _TOTALS[key] = (base, totals)
    return timedelta(seconds=totals[stop.toordinal() - base] - totals[first.toordinal() - base])


def _working_by_segments(a: datetime, b: datetime, calendar: Calendar, tz: tzinfo) -> timedelta:
    total = timedelta(0)
    for seg_start, seg_end in segments(a, calendar, tz):
        if seg_start >= b:
            break
        total += min(seg_end, b) - seg_start
    return total


def add_calendar(start: datetime, limit: timedelta, tz: tzinfo) -> datetime:
    """Calendar time: each day of the limit is a calendar day in `tz` (same wall time, even
    across a DST change); hours and minutes are elapsed time."""
    wall = start.astimezone(tz)
    moved = local(wall.date() + timedelta(days=limit.days), wall.timetz().replace(tzinfo=None), tz)
    return fixed((moved + timedelta(seconds=limit.seconds)).astimezone(tz))


def deadline(start: datetime, limit: timedelta | None, tclass: TimeClass, calendar: Calendar, tz: tzinfo) -> datetime | None:
    """`start + limit`, counted in the class's kind of time (fixed-offset result); None without a limit."""
    if limit is None:
        return None
    start = fixed(start)
    if tclass.days == "working":
        return fixed(add_working(start, working_amount(limit, calendar), calendar, tz).astimezone(tz))
    return add_calendar(start, limit, tz)


def elapsed(a: datetime, b: datetime, tclass: TimeClass, calendar: Calendar, tz: tzinfo) -> timedelta:
    """Time from a to b as the class counts it (calendar time is plain elapsed time)."""
    if tclass.days == "working":
        return working_between(fixed(a), fixed(b), calendar, tz)
    return fixed(b) - fixed(a)


def working_days_between(a: datetime, b: datetime, calendar: Calendar, tz: tzinfo) -> float:
    """Working days between two instants (for "how late" in working days)."""
    return working_between(a, b, calendar, tz) / day_length(calendar)


def year_table(year: int, calendar: Calendar) -> list[dict]:
    """Every day of `year` with whether it works and why (for `catalog calendar`)."""
    rows, day = [], date(year, 1, 1)
    while day.year == year:
        if day in calendar.workdays:
            why = "make-up working day"
        elif day in calendar.holidays:
            why = "public holiday"
        elif day.weekday() in calendar.work_week:
            why = "work week"
        else:
            why = "weekend"
        rows.append({"date": day.isoformat(), "weekday": day.strftime("%a"), "working": calendar.is_working_day(day), "why": why})
        day += timedelta(days=1)
    return rows
