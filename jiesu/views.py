"""How one case reads for people (`show`) and for scripts (`show --format json`)."""

from __future__ import annotations

from jiesu import case_clocks, timeutil
from jiesu.errors import StoreError
from jiesu.i18n import _, current, pgettext

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
    return StoreError(_('{first} — `show` cannot present it').format(first=first),
                      hint=_('run `jiesu verify`; `jiesu show {case_id} --format yaml` prints the file as stored').format(case_id=case_id))


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
    from jiesu import terms
    from jiesu.textwidth import pad

    catalog, tz, lang = store.catalog, store.tz, current()
    state = case.get("state") or {}
    loc = case.get("location") or {}
    comp = case.get("complainant") or {}
    out = []

    def row(label, value):
        if value not in (None, "", []):
            out.append(f"{pad(label, 12)} {value}")

    out.append(f"{case.get('id')}  {case.get('title')}")
    out.append("")
    status = terms.status(state.get("status"))
    if state.get("exempt"):
        status = _("{status} (exempt from assessment)").format(status=status)
    if state.get("merged_into"):
        status = _("{status} into {case}").format(status=status, case=state["merged_into"])
    row(_("status"), status)
    row(_("type"), _("{type} · via {channel}").format(type=catalog.name("types", case.get("type"), lang),
                                                       channel=catalog.name("channels", case.get("channel"), lang)))
    if case.get("category"):
        row(_("category"), f"{case['category']} — {catalog.name('categories', case['category'], lang)}")
    limit = case.get("time_limit")
    tclass = catalog.classes.get(limit)
    origin = next((e.get("limit_from") for e in case.get("events") or [] if isinstance(e, dict) and e.get("action") == "intake"), None)
    why = {"explicit": _("given at intake"), "default": _("the default class"),
           "type:emergency": _("type emergency")}.get(origin or "", origin or "")
    if why.startswith("tag:"):
        why = _("tag {tag}").format(tag=why[4:])
    elif why.startswith("category:"):
        why = _("category {code}").format(code=why[9:])
    kind = _("working time") if tclass and tclass.days == "working" else _("calendar time")
    row(_("time limit"), _("{limit} ({duration}, {kind}; from {why})").format(
        limit=(tclass.name.get("zh") or limit) if tclass and lang == "zh" else limit, duration=timeutil.format_duration(tclass.limit) if tclass else "?", kind=kind, why=why or _("unknown")))
    row(_("received"), timeutil.display(timeutil.load(case.get("received")), tz))
    due = timeutil.load(state.get("due"))
    original = next((e.get("due") for e in case.get("events") or [] if isinstance(e, dict) and e.get("action") == "intake" and e.get("due")), None)
    due_text = timeutil.display(due, tz)
    if original and timeutil.load(original) != due:
        due_text += "  " + _("(originally {due})").format(due=timeutil.display(timeutil.load(original), tz))
    row(_("due"), due_text)
    from jiesu.knowledge.views import answered_from

    for given in answered_from(store, case):
        row(_("answered"), _("from {entry} version {version}: {question}").format(
            entry=given["id"], version=given["version"], question=given["question"]))
    if state.get("lead"):
        lead = state["lead"]
        row(_("lead"), f"{lead} — {catalog.name('units', lead, lang)}")
        if state.get("co_units"):
            row(_("co-units"), ", ".join(state["co_units"]))
    place = " / ".join(catalog.name("units", loc[k], lang) for k in ("district", "street") if loc.get(k))
    if loc.get("community"):
        street = catalog.units.get(loc.get("street"))
        names = street.communities.get(loc["community"]) if street else None
        place += " / " + ((names or {}).get(lang) or loc["community"])
    if loc.get("address"):
        place = f"{place} — {loc['address']}" if place else loc["address"]
    row(_("location"), place)
    who = [catalog.name("kinds", comp.get("kind"), lang)]
    if comp.get("confidential"):
        who.append(_("confidential"))
    if comp.get("surname"):
        who.append(str(comp["surname"]))
    if comp.get("phone"):
        who.append(str(comp["phone"]))
    if comp.get("frequent"):
        who.append(_("frequent"))
    if comp.get("special_group"):
        who.append(_("special group"))
    if comp.get("ref"):
        who.append(_("ref {ref}").format(ref=comp["ref"]))
    row(_("complainant"), ", ".join(str(w) for w in who if w))
    if private:
        labels = {"name": pgettext("person", "name"), "phone": _("phone"), "other_phones": _("other phones"),
                  "id_document": _("id document"), "home_address": _("home address"), "household": _("household"),
                  "note": _("note")}
        for key, label in labels.items():
            if private.get(key):
                value = private[key]
                row(f"  {label}", ", ".join(value) if isinstance(value, list) else value)
    row(_("tags"), ", ".join(case.get("tags") or []))
    from jiesu.handling_view import case_rows, value_text

    for label, text in case_rows(case, tz, store.now()):
        row(label, text)
    if state.get("evaluation"):
        ev = state["evaluation"]
        if ev.get("reached"):
            yes, no = _("yes"), _("no")
            row(_("evaluation"), _("{level}; contacted {contacted}, resolved {resolved}").format(
                level=_level_name(catalog, ev.get("satisfaction"), lang),
                contacted=yes if ev.get("contacted") else no, resolved=yes if ev.get("resolved") else no))
        else:
            row(_("evaluation"), _("complainant not reached"))
    source = case.get("source")
    if source:
        row(_("source"), ", ".join(f"{k} {v}" for k, v in source.items()))
    for anomaly in case.get("anomalies") or []:
        row(_("anomaly"), anomaly)

    cl = case_clocks.case_clocks(case, catalog, tz, store.now())
    out.append("")
    out.append(_("clocks"))
    for line in case_clocks.describe(cl):
        out.append(f"  {line}")
    from jiesu.assessment import explain

    extra = explain(store, case)
    if extra:
        out.append("")
        out.append(_("assessment"))
        out.extend(f"  {line}" for line in extra)
    if case.get("description"):
        out.append("")
        out.append(_("description"))
        out.extend(f"  {line}" for line in str(case["description"]).rstrip().splitlines())
    out.append("")
    out.append(_("events"))
    for e in case.get("events") or []:
        if not isinstance(e, dict):
            continue
        when = timeutil.display(timeutil.load(e.get("at")), tz)
        fields = {k: v for k, v in e.items() if k not in ("id", "at", "usec", "by", "action", "superseded", "limit_from", "due")}
        text = _("; ").join(f"{terms.field(k)} {_level_name(catalog, v, lang) if k == 'satisfaction' else value_text(v)}"
                            for k, v in fields.items())
        mark = "  " + _("[superseded]") if e.get("superseded") else ""
        action = pad(str(terms.action(e.get("action"))), 9)
        by = _("by {actor}").format(actor=e.get("by"))
        out.append(f"  {when}  {action} {by}{'  ' + text if text else ''}{mark}")
    return "\n".join(out) + "\n"


def _level_name(catalog, level, lang: str):
    """A satisfaction level as the catalog names it in Chinese; its code in English (as always)."""
    item = catalog.assessment.satisfaction.get(level) if lang == "zh" else None
    return (item.name.get("zh") if item else None) or level
