"""Words for the enumerated values a person reads: case and theme statuses, bands, yes and no.

The id is what files, JSON and CSV hold and what English shows; `name` gives the word in the
current language (gettext, context "status", "theme status", "band"). A value with no
translation (a band an office added to its assessment.yaml) is shown as its id.
"""

from __future__ import annotations

from jiesu.i18n import N_, NP_, current, in_lang

TERMS = {
    "status": [NP_("status", "received"), NP_("status", "dispatched"), NP_("status", "accepted"),
               NP_("status", "handled"), NP_("status", "closed"), NP_("status", "evaluated"),
               NP_("status", "rejected"), NP_("status", "merged")],
    "theme status": [NP_("theme status", "planned"), NP_("theme status", "active"),
                     NP_("theme status", "closed"), NP_("theme status", "dropped")],
    "action": [NP_("action", "intake"), NP_("action", "assign"), NP_("action", "accept"), NP_("action", "return"), NP_("action", "contact"), NP_("action", "note"), NP_("action", "escalate"), NP_("action", "extend"), NP_("action", "close"), NP_("action", "evaluate"), NP_("action", "reopen"), NP_("action", "reject"), NP_("action", "exempt"), NP_("action", "merge"), NP_("action", "amend"), NP_("action", "supervise"), NP_("action", "respond"), NP_("action", "review"), NP_("action", "attach"), NP_("action", "batch")],
    "field": [NP_("field", "co"), NP_("field", "contacted"), NP_("field", "decision"), NP_("field", "into"), NP_("field", "kb"), NP_("field", "kb_version"), NP_("field", "note"), NP_("field", "reached"), NP_("field", "reason"), NP_("field", "resolved"), NP_("field", "review_by"), NP_("field", "satisfaction"), NP_("field", "summary"), NP_("field", "text"), NP_("field", "unit"), NP_("field", "until"), NP_("field", "level"), NP_("field", "changes"), NP_("field", "name"), NP_("field", "kind"), NP_("field", "size"), NP_("field", "sha256"), NP_("field", "private"), NP_("field", "days"), NP_("field", "hours"), NP_("field", "exemption"), NP_("field", "approved"), NP_("field", "respond_by"), NP_("field", "statistics_only"), NP_("field", "recompute_limit"), NP_("field", "title"), NP_("field", "channel"), NP_("field", "type"), NP_("field", "category"), NP_("field", "district"), NP_("field", "street"), NP_("field", "community"), NP_("field", "address"), NP_("field", "tags")],
    "indicator": [NP_("indicator", "accept"), NP_("indicator", "contact"), NP_("indicator", "complete"),
                  NP_("indicator", "response"), NP_("indicator", "resolution"), NP_("indicator", "satisfaction"),
                  NP_("indicator", "on_time"), NP_("indicator", "acceptance_on_time")],
    # the dimensions of `stats` and `hotspots` (a column header; "dimensions": several of them) and the weekdays
    "dimension": [NP_("dimension", "category"), NP_("dimension", "district"), NP_("dimension", "street"),
                  NP_("dimension", "community"), NP_("dimension", "lead"), NP_("dimension", "address"),
                  NP_("dimension", "type"), NP_("dimension", "channel"), NP_("dimension", "kind"), NP_("dimension", "tag"),
                  NP_("dimension", "limit"), NP_("dimension", "status"), NP_("dimension", "flag"),
                  NP_("dimension", "weekday"), NP_("dimension", "hour"), NP_("dimension", "day"), NP_("dimension", "week"),
                  NP_("dimension", "month")],
    "dimensions": [NP_("dimensions", "tags"), NP_("dimensions", "flags")],
    "weekday": [NP_("weekday", "mon"), NP_("weekday", "tue"), NP_("weekday", "wed"), NP_("weekday", "thu"),
                NP_("weekday", "fri"), NP_("weekday", "sat"), NP_("weekday", "sun")],
    "checklist": [NP_("checklist", "task"), NP_("checklist", "policy"), NP_("checklist", "duty")],
    "knowledge status": [NP_("knowledge status", "active"), NP_("knowledge status", "retired")],
    "stale": [NP_("stale", "expired"), NP_("stale", "review")],
    "band": [NP_("band", "advanced"), NP_("band", "making-progress"), NP_("band", "restructuring"),
             NP_("band", "special-measures")],
}


def name(kind: str, value, lang: str | None = None):
    """`value` (an id of `kind`) as a person reads it in `lang` (default: the current language)."""
    if not isinstance(value, str) or not value:
        return value
    return in_lang(lang or current(), (kind, value))


def status(value, lang: str | None = None):
    return name("status", value, lang)


def action(value, lang: str | None = None):
    return name("action", value, lang)


def field(value, lang: str | None = None):
    """A field of an event (`unit`, `reason`) as `show` labels it."""
    return name("field", value, lang)


def indicator(value, lang: str | None = None):
    return name("indicator", value, lang)


def band(value, lang: str | None = None):
    return name("band", value, lang)


def theme_status(value, lang: str | None = None):
    return name("theme status", value, lang)


def knowledge_status(value, stale=None, lang: str | None = None):
    """A knowledge entry's status, with why it is stale (`active (review)`) when it is."""
    shown = name("knowledge status", value, lang)
    if not stale:
        return shown
    return in_lang(lang or current(), N_("{status} ({stale})")).format(status=shown, stale=name("stale", stale, lang))
