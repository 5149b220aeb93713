"""Instants, durations and their text forms.

Stored times are ISO 8601 strings with an offset (`2021-11-02T10:02:02+08:00`); input without an
offset is read in the store's time zone; "now" is the clock, or `JIESU_NOW` when set so that cron
jobs and tests are reproducible.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jiesu.errors import InvalidInput
from jiesu.i18n import _

# the time zone of a store whose settings name none, and of a new store unless told otherwise
DEFAULT_ZONE = "Asia/Shanghai"

_DURATION = re.compile(r"^\s*(?:(\d+)\s*w)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")


@lru_cache(maxsize=None)
def zone(name: str) -> tzinfo:
    """The time zone called `name` (an IANA name such as Asia/Shanghai)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(_('unknown time zone {name!r}; use an IANA name such as Asia/Shanghai').format(name=name)) from exc


def fixed(value: datetime) -> datetime:
    """The same instant with a fixed UTC offset.

    Python subtracts and adds two datetimes that share a ZoneInfo as *wall* times, which is wrong
    across a DST change; with fixed offsets every difference is elapsed time.
    """
    if type(value.tzinfo) is timezone:
        return value  # fixed already (what `load` gives): a new zone of the same offset costs a microsecond
    return value.replace(tzinfo=timezone(value.utcoffset()))


def local(day: date, moment, tz: tzinfo) -> datetime:
    """The instant of a wall time in `tz` (a time skipped by DST moves forward), fixed offset."""
    wall = datetime.combine(day, moment, tzinfo=tz)
    return fixed(wall.astimezone(timezone.utc).astimezone(tz))


def now(tz: tzinfo) -> datetime:
    """The current instant in `tz`: `JIESU_NOW` if set, else the clock, to whole seconds."""
    pinned = os.environ.get("JIESU_NOW")
    if pinned:
        try:
            return parse_time(pinned, tz, field="JIESU_NOW")
        except InvalidInput as exc:
            raise InvalidInput(exc.message.replace("--at", "JIESU_NOW")) from None
    return fixed(datetime.now(tz).replace(microsecond=0))


def clock_usec(when: datetime) -> int | None:
    """The microsecond of the real clock within `when`'s second, for an event stamped "now".

    Stored times are whole seconds (the format every file, report and export uses); the
    sub-second part goes into the event's own `usec` field so that two offices acting in one
    second are ordered by when they acted, not by who synced first. None when the clock is
    pinned (`JIESU_NOW`) or has moved on to another second.
    """
    if os.environ.get("JIESU_NOW"):
        return None
    precise = datetime.now(timezone.utc)
    return precise.microsecond if 0 <= (precise - when).total_seconds() < 1 else None


def parse_time(text: str, tz: tzinfo, field: str = "--at") -> datetime:
    """Parse ISO 8601 (`2021-11-02T10:02`, `2021-11-02 10:02:02+08:00`, `2021-11-02`).

    A time without offset is in `tz`; a bare date means its midnight.
    """
    if isinstance(text, datetime):
        value = text
    else:
        raw = str(text).strip()
        if not raw:
            raise InvalidInput(_('{field}: empty time; use ISO 8601 such as 2021-11-02T10:02 or 2021-11-02T10:02:00+08:00').format(field=field))
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
        except ValueError:
            raise InvalidInput(
                _('{field}: {raw!r} is not a time; use ISO 8601 such as 2021-11-02T10:02 or 2021-11-02T10:02:00+08:00').format(field=field, raw=raw)
            ) from None
    try:
        if value.tzinfo is None:
            # through UTC, so a wall time that does not exist (DST gap) is normalised
            value = value.replace(tzinfo=tz).astimezone(timezone.utc).astimezone(tz)
        value.astimezone(timezone.utc)  # a time at the very edge of the calendar cannot be compared
    except (OverflowError, ValueError):
        raise InvalidInput(_('{field}: {text!s:.40} is outside the calendar jiesu can handle').format(field=field, text=text)) from None
    return fixed(value.replace(microsecond=0))


def parse_date(text: str, field: str = "--date") -> date:
    """Parse a calendar date `YYYY-MM-DD`."""
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise InvalidInput(_('{field}: {text!r} is not a date; use YYYY-MM-DD such as 2021-11-02').format(field=field, text=text)) from None


def parse_month(text: str, field: str = "--month") -> tuple[int, int]:
    """Parse `YYYY-MM` into (year, month)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvalidInput(_('{field}: {text!r} is not a month; use YYYY-MM such as 2021-11').format(field=field, text=text))
    return int(m.group(1)), int(m.group(2))


_FORMATTED: dict[int, tuple[datetime, str]] = {}  # id → (instant, its text): held, so the id stays its own


def fmt(value: datetime) -> str:
    """The stored form of an instant: ISO 8601 with offset, whole seconds."""
    found = _FORMATTED.get(id(value))
    if found is not None:
        return found[1]  # (an instant `load` returned: a case formats the same ones many times)
    text = (value.replace(microsecond=0) if value.microsecond else value).isoformat()  # (half the time when whole)
    _remember(value, text)
    return text


def _remember(value: datetime, text: str) -> None:
    if len(_FORMATTED) >= 20_000:
        _FORMATTED.clear()
    _FORMATTED[id(value)] = (value, text)


def stored_form(text: str) -> bool:
    """Whether `text`, which `datetime.fromisoformat` reads, is what `fmt` makes of what it reads
    (`2021-11-02T10:02:02+08:00`: ASCII, a `T`, whole seconds, an offset of hours and minutes that is
    not `-00:00`). Told from its shape alone: 0.3 µs, where formatting the instant again takes 0.8–1.1."""
    return (len(text) == 25 and text[10] == "T" and text[19] in "+-" and text[4] == "-" and text[7] == "-"
            and text[13] == ":" and text[16] == ":" and text[22] == ":" and text.isascii() and text[19:] != "-00:00")


_LOADED: dict[str, datetime] = {}  # text → instant: a case names the same instants many times


def load(value) -> datetime | None:
    """An instant read from a case file (a string, or a datetime from a permissive loader)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return fixed(value) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    found = _LOADED.get(value) if type(value) is str else None
    if found is not None:
        return found
    result = datetime.fromisoformat(str(value))
    if result.tzinfo is None:
        raise ValueError(f"time {value!r} has no offset")
    if type(value) is str:
        if len(_LOADED) >= 50_000:
            _LOADED.clear()
        _LOADED[value] = result
        if stored_form(value):
            _remember(result, value)  # so that `fmt` of it costs a lookup: a case formats most of its instants
    return result


def display(value: datetime | None, tz: tzinfo, seconds: bool = False) -> str:
    """A time for people: in the store zone, `2021-11-02 10:02`."""
    if value is None:
        return "—"
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def parse_duration(text: str, field: str = "duration") -> timedelta:
    """Parse `15m`, `2h`, `7d`, `1w`, `1d12h` into a timedelta."""
    m = _DURATION.match(str(text)) if text is not None else None
    if not m or not any(m.groups()) or str(text).strip() == "":
        raise InvalidInput(_('{field}: {text!r} is not a duration; use forms such as 15m, 2h, 7d, 1d12h').format(field=field, text=text))
    w, d, h, mi = (int(g) if g else 0 for g in m.groups())
    return timedelta(weeks=w, days=d, hours=h, minutes=mi)


def format_duration(delta: timedelta | None, lang: str | None = None) -> str:
    """A duration for people: `5d 4h 55m`, `-2h 10m` when negative (`5天4小时55分` in Chinese;
    `lang` None is the current language, "en" for files and JSON)."""
    if delta is None:
        return "—"
    from jiesu.i18n import N_, current, in_lang

    lang = lang or current()
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [in_lang(lang, N_("{n}d")).format(n=days)] if days else []
    if hours:
        parts.append(in_lang(lang, N_("{n}h")).format(n=hours))
    if minutes or not parts:
        parts.append(in_lang(lang, N_("{n}m")).format(n=minutes))
    return sign + ("" if lang == "zh" else " ").join(parts)
