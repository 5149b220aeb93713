"""The loader of `catalog/calendar.yaml`: work week, working hours, holidays, make-up working days."""

from __future__ import annotations

from datetime import date, time, timedelta

from jiesu.catalog.fields import Problems, line_of
from jiesu.catalog.model import WEEKDAYS, Calendar
from jiesu.i18n import _


def _parse_days(values, file, key, problems, doc) -> frozenset:
    days = set()
    for i, value in enumerate(values or []):
        line = values.lines[i] if hasattr(values, "lines") else line_of(doc, key)
        text = str(value)
        try:
            if ".." in text:
                start_s, end_s = text.split("..", 1)
                start, end = date.fromisoformat(start_s.strip()), date.fromisoformat(end_s.strip())
                if end < start:
                    problems.add(file, line, _('{key}: range {text} ends before it starts').format(key=key, text=text))
                    continue
                while start <= end:
                    days.add(start)
                    start += timedelta(days=1)
            else:
                days.add(date.fromisoformat(text.strip()))
        except ValueError:
            problems.add(file, line, _('{key}: {text!r} is not a date or range (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)').format(key=key, text=text))
    return frozenset(days)


def load_calendar(doc, problems: Problems) -> Calendar:
    """The calendar; a mistake is a problem and the default (Monday to Friday) stands in."""
    file = "calendar"
    if not isinstance(doc, dict):
        problems.add(file, 1, _('expected a mapping (work_week, working_hours, holidays, workdays)'))
        return Calendar()
    week = doc.get("work_week", list(WEEKDAYS[:5]))
    work_week = set()
    for day in week or []:
        if str(day).lower()[:3] not in WEEKDAYS:
            problems.add(file, line_of(doc, "work_week"), _('work_week: {day!r} is not a weekday; use {items}').format(day=day, items=', '.join(WEEKDAYS)))
        else:
            work_week.add(WEEKDAYS.index(str(day).lower()[:3]))
    hours = None
    raw = doc.get("working_hours")
    if raw:
        try:
            if isinstance(raw, dict):
                start, end = str(raw["start"]), str(raw["end"])
            else:
                start, end = (s.strip() for s in str(raw).replace("–", "-").split("-", 1))
            hours = (time.fromisoformat(start), time.fromisoformat(end))
            if hours[0] == hours[1]:
                problems.add(file, line_of(doc, "working_hours"), _('working_hours: start and end are the same'))
        except (KeyError, ValueError):
            problems.add(file, line_of(doc, "working_hours"), _("working_hours: {raw!r}; use {{start: '09:00', end: '17:00'}}").format(raw=raw))
    holidays = _parse_days(doc.get("holidays"), file, "holidays", problems, doc)
    workdays = _parse_days(doc.get("workdays"), file, "workdays", problems, doc)
    both = holidays & workdays
    if both:
        problems.add(file, line_of(doc, "workdays"), _('{day} is both a holiday and a make-up working day').format(day=min(both)))
    return Calendar(frozenset(work_week), hours, holidays, workdays)
