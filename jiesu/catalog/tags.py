"""The loader of `catalog/tags.yaml`: policy tags and their effects on scheme, time limit and priority."""

from __future__ import annotations

from jiesu.catalog.fields import Problems, coded_entries, line_of, names_of
from jiesu.catalog.model import PRIORITIES, Tag
from jiesu.i18n import _


def load_tags(doc, problems: Problems, schemes: dict, classes: dict) -> dict:
    """Tags by code; each effect names an existing scheme or class."""
    tags = {}
    for e in coded_entries(doc, "tags", "tags", problems):
        effects = e.get("effects") or {}
        if not isinstance(effects, dict):
            problems.add("tags", line_of(e, "effects"), _('{code}: effects must be a mapping').format(code=e['code']))
            effects = {}
        for key in effects:
            if key not in ("scheme", "time_limit", "priority"):
                problems.add("tags", line_of(effects, key), _('{code}: unknown effect {key!r}; allowed: scheme, time_limit, priority').format(code=e['code'], key=key))
        scheme, limit, priority = effects.get("scheme"), effects.get("time_limit"), effects.get("priority")
        if scheme is not None and scheme not in schemes:
            problems.add("tags", line_of(effects, "scheme"), _('{code}: scheme {scheme!r} is not in assessment.yaml').format(code=e['code'], scheme=scheme))
        if limit is not None and limit not in classes:
            problems.add("tags", line_of(effects, "time_limit"), _('{code}: time limit {limit!r} is not a class').format(code=e['code'], limit=limit))
        if priority is not None and priority not in PRIORITIES:
            problems.add("tags", line_of(effects, "priority"), _('{code}: priority must be high or normal').format(code=e['code']))
        tags[e["code"]] = Tag(e["code"], names_of(e, "tags", problems), str(e.get("description", "")), scheme, limit, priority)
    return tags
