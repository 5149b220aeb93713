"""Periods of analysis: `--since/--until`, `--month`, `--week YYYY-Www`, `--days N`, and the
buckets of a `--trend` series, all in the store's time zone."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from jiesu import timeutil
from jiesu.errors import InvalidInput, UsageMistake
from jiesu.i18n import _

TRENDS = ("day", "week", "month")


def parse_week(text: str, field: str = "--week") -> date:
    """The Monday of ISO week `YYYY-Www`."""
    m = re.fullmatch(r"(\d{4})-?W(\d{2})", str(text).strip(), re.I)
    try:
        if not m:
            raise ValueError
        return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise UsageMistake(_('{field}: {text!r} is not an ISO week; use YYYY-Www such as 2026-W48').format(field=field, text=text)) from None


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _midnight(store, day: date) -> datetime:
    return timeutil.local(day, time(0), store.tz)


def period(store, since=None, until=None, month=None, week=None, days=None) -> tuple[datetime | None, datetime | None, str]:
    """[start, end) of the period asked for (None = open) and a label for it."""
    given = [name for name, value in (("--month", month), ("--week", week), ("--days", days)) if value]
    if len(given) > 1 or (given and (since or until)):
        raise UsageMistake(_('give one period: {items}, not several').format(items=' or '.join(given + (['--since/--until'] if since or until else []))))
    try:
        if month:
            year, mon = timeutil.parse_month(month)
            ny, nm = (year + 1, 1) if mon == 12 else (year, mon + 1)
            return _midnight(store, date(year, mon, 1)), _midnight(store, date(ny, nm, 1)), f"{year:04d}-{mon:02d}"
        if week:
            monday = parse_week(week)
            return _midnight(store, monday), _midnight(store, monday + timedelta(days=7)), week_label(monday)
        if days:
            today = store.now().astimezone(store.tz).date()
            first = today - timedelta(days=int(days) - 1)
            return _midnight(store, first), _midnight(store, today + timedelta(days=1)), f"{first}..{today}"
        lo = timeutil.parse_date(since, "--since") if since else None
        hi = timeutil.parse_date(until, "--until") if until else None
    except UsageMistake:
        raise
    except InvalidInput as exc:
        raise UsageMistake(exc.message) from None
    if lo and hi and hi < lo:
        raise UsageMistake(_('--until {hi} is before --since {lo}').format(hi=hi, lo=lo))
    label = f"{lo or '…'}..{hi or '…'}" if lo or hi else "all"
    return (_midnight(store, lo) if lo else None), (_midnight(store, hi + timedelta(days=1)) if hi else None), label


def bucket_label(local: datetime, trend: str) -> str:
    """The trend bucket an instant (already in the store zone) falls in."""
    if trend == "day":
        return local.date().isoformat()
    if trend == "week":
        return week_label(local.date())
    return f"{local.year:04d}-{local.month:02d}"


def buckets(start: datetime, end: datetime, trend: str, tz) -> list[str]:
    """Every bucket label from `start` to just before `end`, in order (empty buckets included)."""
    out, day = [], start.astimezone(tz).date()
    last = (end - timedelta(seconds=1)).astimezone(tz).date()
    while day <= last:
        label = bucket_label(datetime.combine(day, time(12)), trend)
        if not out or out[-1] != label:
            out.append(label)
        day += timedelta(days=1)
    return out
