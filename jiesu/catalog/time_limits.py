"""The loader of `catalog/time-limits.yaml`: the time-limit classes and the default class."""

from __future__ import annotations

from datetime import timedelta

from jiesu.catalog.fields import (
    Problems,
    coded_entries,
    duration,
    line_of,
    names_of,
    review,
)
from jiesu.catalog.model import NO_LIMIT, TimeClass
from jiesu.i18n import _


def load_time_limits(doc, problems: Problems, types: dict) -> tuple[dict, str]:
    """(classes by code, the default class); `urgent` is required, for emergencies."""
    classes = {}
    for e in coded_entries(doc, "classes", "time-limits", problems):
        days = e.get("days", "calendar")
        if days not in ("calendar", "working"):
            problems.add("time-limits", line_of(e, "days"), _('{code}: days must be calendar or working, not {days!r}').format(code=e['code'], days=days))
        limit = duration(e, "limit", "time-limits", problems)
        ext = duration(e, "extendable_to", "time-limits", problems, required=False)
        acc = duration(e, "accept_within", "time-limits", problems)
        con = duration(e, "contact_within", "time-limits", problems)
        if limit == NO_LIMIT and ext:
            problems.add("time-limits", line_of(e, "extendable_to"), _('{code}: a class without a limit cannot be extended').format(code=e['code']))
        elif limit and ext and ext <= limit:
            problems.add("time-limits", line_of(e, "extendable_to"), _('{code}: extendable_to must be longer than limit').format(code=e['code']))
        # `limit: none`: no due, never overdue, never late (so the clock limits are none too)
        def given(value, default):
            return None if value == NO_LIMIT else (value or default)

        classes[e["code"]] = TimeClass(
            e["code"], names_of(e, "time-limits", problems), given(limit, timedelta(days=7)), given(acc, timedelta(hours=2)),
            given(con, timedelta(hours=24)), ext, days, str(e.get("used_for", "")), review(e, "time-limits", problems, types),
            duration(e, "review_within", "time-limits", problems, required=False) or timedelta(hours=24),
            duration(e, "respond_within", "time-limits", problems, required=False) or timedelta(minutes=30),
        )
    default_class = (doc or {}).get("default", "standard") if isinstance(doc, dict) else "standard"
    if classes and default_class not in classes:
        problems.add("time-limits", line_of(doc, "default"), _('default class {default_class!r} is not defined').format(default_class=default_class))
    if classes and "urgent" not in classes:
        problems.add("time-limits", 1, _("class 'urgent' is required (type emergency uses it)"))
    return classes, default_class
