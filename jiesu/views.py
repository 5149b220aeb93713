"""How one case reads for people (`show`) and for scripts (`show --format json`)."""

from __future__ import annotations

from jiesu import case_clocks, timeutil
from jiesu.errors import StoreError

# what a case file of the wrong shape (a list where text belongs, a time that is no time) raises
SHAPE_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError)


def unshowable(store, case_id: str, case, exc: Exception) -> StoreError:
    """The error for a case whose file is valid YAML but not a case jiesu can present: the
    first problem `verify` finds in it, with how to see the file as stored."""
    from jiesu import verify

    rel = store.case_relpath(case_id)
    try:
        catalog = store.catalog
    except StoreError:
        catalog = None
    errors = [p for p in verify.check_case(store.root, rel, case, catalog, store.tz) if p.severity == "error"]
    first = str(errors[0]) if errors else f"{rel}:1: {exc.__class__.__name__}: {exc}"
    return StoreError(f"{first} — `show` cannot present it",
                      hint=f"run `jiesu verify`; `jiesu show {case_id} --format yaml` prints the file as stored")


def case_json(case: dict, store, private: dict | None = None) -> dict:
    """The case as stored, plus its clocks and (with --reveal) the private record."""
    data = dict(case)
    from jiesu.assessment import explain

    data["clocks"] = case_clocks.case_clocks(case, store.catalog, store.tz, store.now())
    data["assessment"] = explain(store, case)
    from jiesu.knowledge.views import answered_from

    given = answered_from(store, case)
    if given:
        data["answered_from"] = given
    if private is not None:
        data["private"] = private
    return data


def case_text(case: dict, store, private: dict | None = None) -> str:
    """A readable page about one case: header, people, clocks, description, timeline."""
    catalog, tz, lang = store.catalog, store.tz, store.lang
    state = case.get("state") or {}
    loc = case.get("location") or {}
    comp = case.get("complainant") or {}
    out = []

    def row(label, value):
        if value not in (None, "", []):
            out.append(f"{label:<12} {value}")

    out.append(f"{case.get('id')}  {case.get('title')}")
    out.append("")
    status = state.get("status")
    if state.get("exempt"):
        status = f"{status} (exempt from assessment)"
    if state.get("merged_into"):
        status = f"{status} into {state['merged_into']}"
    row("status", status)
    row("type", f"{catalog.name('types', case.get('type'), lang)} · via {catalog.name('channels', case.get('channel'), lang)}")
    if case.get("category"):
        row("category", f"{case['category']} — {catalog.name('categories', case['category'], lang)}")
    limit = case.get("time_limit")
    tclass = catalog.classes.get(limit)
    origin = next((e.get("limit_from") for e in case.get("events") or [] if isinstance(e, dict) and e.get("action") == "intake"), None)
    why = {"explicit": "given at intake", "default": "the default class", "type:emergency": "type emergency"}.get(origin or "", origin or "")
    if why.startswith("tag:"):
        why = f"tag {why[4:]}"
    elif why.startswith("category:"):
        why = f"category {why[9:]}"
    kind = f"{'working' if tclass and tclass.days == 'working' else 'calendar'} time"
    row("time limit", f"{limit} ({timeutil.format_duration(tclass.limit) if tclass else '?'}, {kind}; from {why or 'unknown'})")
    row("received", timeutil.display(timeutil.load(case.get("received")), tz))
    due = timeutil.load(state.get("due"))
    original = next((e.get("due") for e in case.get("events") or [] if isinstance(e, dict) and e.get("action") == "intake" and e.get("due")), None)
    due_text = timeutil.display(due, tz)
    if original and timeutil.load(original) != due:
        due_text += f"  (originally {timeutil.display(timeutil.load(original), tz)})"
    row("due", due_text)
    from jiesu.knowledge.views import answered_from

    for given in answered_from(store, case):
        row("answered", f"from {given['id']} version {given['version']}: {given['question']}")
    if state.get("lead"):
        lead = state["lead"]
        row("lead", f"{lead} — {catalog.name('units', lead, lang)}")
        if state.get("co_units"):
            row("co-units", ", ".join(state["co_units"]))
    place = " / ".join(catalog.name("units", loc[k], lang) for k in ("district", "street") if loc.get(k))
    if loc.get("community"):
        street = catalog.units.get(loc.get("street"))
        names = street.communities.get(loc["community"]) if street else None
        place += " / " + ((names or {}).get(lang) or loc["community"])
    if loc.get("address"):
        place = f"{place} — {loc['address']}" if place else loc["address"]
    row("location", place)
    who = [catalog.name("kinds", comp.get("kind"), lang)]
    if comp.get("confidential"):
        who.append("confidential")
    if comp.get("surname"):
        who.append(str(comp["surname"]))
    if comp.get("phone"):
        who.append(str(comp["phone"]))
    for flag in ("frequent", "special_group"):
        if comp.get(flag):
            who.append(flag.replace("_", " "))
    if comp.get("ref"):
        who.append(f"ref {comp['ref']}")
    row("complainant", ", ".join(str(w) for w in who if w))
    if private:
        for key in ("name", "phone", "other_phones", "id_document", "home_address", "household", "note"):
            if private.get(key):
                value = private[key]
                row(f"  {key.replace('_', ' ')}", ", ".join(value) if isinstance(value, list) else value)
    row("tags", ", ".join(case.get("tags") or []))
    from jiesu.handling_view import case_rows, value_text

    for label, text in case_rows(case, tz, store.now()):
        row(label, text)
    if state.get("evaluation"):
        ev = state["evaluation"]
        if ev.get("reached"):
            row("evaluation", f"{ev.get('satisfaction')}; contacted {'yes' if ev.get('contacted') else 'no'}, resolved {'yes' if ev.get('resolved') else 'no'}")
        else:
            row("evaluation", "complainant not reached")
    source = case.get("source")
    if source:
        row("source", ", ".join(f"{k} {v}" for k, v in source.items()))
    for anomaly in case.get("anomalies") or []:
        row("anomaly", anomaly)

    cl = case_clocks.case_clocks(case, catalog, tz, store.now())
    out.append("")
    out.append("clocks")
    for line in case_clocks.describe(cl):
        out.append(f"  {line}")
    from jiesu.assessment import explain

    extra = explain(store, case)
    if extra:
        out.append("")
        out.append("assessment")
        out.extend(f"  {line}" for line in extra)
    if case.get("description"):
        out.append("")
        out.append("description")
        out.extend(f"  {line}" for line in str(case["description"]).rstrip().splitlines())
    out.append("")
    out.append("events")
    for e in case.get("events") or []:
        if not isinstance(e, dict):
            continue
        when = timeutil.display(timeutil.load(e.get("at")), tz)
        fields = {k: v for k, v in e.items() if k not in ("id", "at", "usec", "by", "action", "superseded", "limit_from", "due")}
        text = "; ".join(f"{k} {value_text(v)}" for k, v in fields.items())
        mark = "  [superseded]" if e.get("superseded") else ""
        out.append(f"  {when}  {e.get('action'):<9} by {e.get('by')}{'  ' + text if text else ''}{mark}")
    return "\n".join(out) + "\n"
