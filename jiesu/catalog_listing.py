"""The catalog as rows, for `jiesu catalog` (JSON objects and table cells)."""

from __future__ import annotations

from jiesu import timeutil, working_time
from jiesu.i18n import N_, _, current

# how a time-limit class counts its days (the `days` of limits.yaml)
COUNTS = (N_("calendar"), N_("working"))


def section(store, name: str, search: str | None, year: int | None, limit: int | None = None):
    """(json rows, table headers, table rows) of one catalog section (categories found by a
    ranked search, best first, at most `limit` of them)."""
    cat, lang = store.catalog, current()
    words = [w.lower() for w in (search or "").split()]

    def match(*texts):
        hay = " ".join(str(t) for t in texts if t).lower()
        return all(w in hay for w in words)

    if name == "categories":
        items = cat.search_categories(search, limit) if search else list(cat.categories.values())
        rows = [{"code": c.code, "level": c.level, "parent": c.parent, "name": c.name, "time_limit": c.time_limit if c.is_leaf else None,
                 "dispatch": c.dispatch if c.is_leaf else None, "keywords": c.keywords, "regulations": c.regulations} for c in items]
        table = [["  " * (c.level - 1) + c.code, c.name.get(lang) or c.name["en"], c.time_limit if c.is_leaf else "",
                  _dispatch(c.dispatch) if c.is_leaf else ""] for c in items]
        return rows, [_("code"), _("name"), _("limit"), _("dispatch")], table
    if name == "units":
        items = [u for u in cat.units.values() if match(u.id, u.kind, *u.name.values())]
        rows = [{"id": u.id, "kind": u.kind, "parent": u.parent, "name": u.name, "population": u.population,
                 "communities": [{"id": k, "name": v} for k, v in u.communities.items()]} for u in items]
        table = [[u.id, u.kind, u.name.get(lang) or u.name["en"], u.population or ""] for u in items]
        return rows, [_("id"), _("kind"), _("name"), _("population")], table
    if name == "tags":
        items = [t for t in cat.tags.values() if match(t.code, *t.name.values(), t.description)]
        rows = [{"code": t.code, "name": t.name, "description": t.description, "scheme": t.scheme, "time_limit": t.time_limit,
                 "priority": t.priority} for t in items]
        table = [[t.code, t.name.get(lang) or t.name["en"], ", ".join(f"{k} {v}" for k, v in (("scheme", t.scheme), ("limit", t.time_limit), ("priority", t.priority)) if v)] for t in items]
        return rows, [_("code"), _("name"), _("effects")], table
    if name == "limits":
        items = list(cat.classes.values())
        def fmt(value, lang="en"):  # JSON in English whatever the language; the table in the reader's
            return timeutil.format_duration(value, lang)

        rows = [{"code": c.code, "name": c.name, "limit": fmt(c.limit), "extendable_to": fmt(c.extendable_to) if c.extendable_to else None,
                 "accept_within": fmt(c.accept_within), "contact_within": fmt(c.contact_within), "days": c.days,
                 "used_for": c.used_for} for c in items]
        shown = current()
        table = [[c.code, fmt(c.limit, shown), fmt(c.extendable_to, shown) if c.extendable_to else "—", fmt(c.accept_within, shown),
                  fmt(c.contact_within, shown), _(c.days), c.used_for] for c in items]
        return rows, [_("class"), _("limit"), _("extendable to"), _("accept within"), _("contact within"), _("counts"), _("used for")], table
    if name == "types":
        rows = [{"table": t, "code": i.code, "name": i.name} for t, d in (("type", cat.types), ("channel", cat.channels), ("kind", cat.kinds)) for i in d.values()]
        return rows, [_("table"), _("code"), _("name")], [[r["table"], r["code"], r["name"].get(lang) or r["name"]["en"]] for r in rows]
    if name == "assessment":
        a = cat.assessment
        rows = [{"kind": "satisfaction", "code": s.code, "value": s.score} for s in a.satisfaction.values()]
        rows += [{"kind": "scheme", "code": s.code, "value": dict(s.weights, **({"categories": s.categories} if s.categories else {}))}
                 for s in a.schemes.values()]
        rows += [{"kind": "band", "code": b["code"], "value": {b["rule"]: b["value"]}} for b in a.bands]
        rows += [{"kind": "setting", "code": k, "value": v} for k, v in (("default_scheme", a.default_scheme), ("min_cases", a.min_cases), ("level", a.level), ("top", a.top),
                                                                          ("response", a.response), ("evidence", a.evidence), ("bootstrap", a.bootstrap))]
        return rows, [_("kind"), _("code"), _("value")], [[r["kind"], r["code"], r["value"]] for r in rows]
    # calendar
    year = year or store.now().year
    days = working_time.year_table(year, cat.calendar)
    rows = days
    table = []
    for d in days:
        if d["why"] in ("public holiday", "make-up working day") or (search and match(d["date"], d["why"])):
            table.append([d["date"], d["weekday"], "work" if d["working"] else "rest", d["why"]])
    working = sum(1 for d in days if d["working"])
    table.append(["", "", "", f"{year}: {working} working days, {len(days) - working} rest days"])
    return rows, [_("date"), _("day"), "", _("why")], table


def _dispatch(rule) -> str:
    if not rule:
        return ""
    lead = rule.get("lead", "street")
    co = rule.get("co") or []
    return lead + (f" + {', '.join(co)}" if co else "")
