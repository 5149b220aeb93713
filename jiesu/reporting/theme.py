"""What the theme report (`jiesu report theme ID`, `jiesu theme show ID`) says, and the one line per
active theme of the monthly report."""

from __future__ import annotations

from dataclasses import dataclass, field

from jiesu import timeutil
from jiesu.i18n import _
from jiesu.themes import files, results, scope


@dataclass
class ThemeContext:
    """One theme (每月一题): plan, checklists and measured results.

    Attributes:
        header: office, time of rendering, language, labels.
        as_of: the instant the results are measured at (ISO 8601).
        theme: {id, title, status, year, month, lead, lead_name, co_units [{unit, name}], scope (text),
            scope_keys {key: [values]}, from_hotspot, started, closed, dropped, summary, reason}.
        plan: {text, target, target_by, at} or null.
        target: {target (percent), by, measured_on (half month), count, change (percent), met
            (true | false | null), overdue} or null without a target.
        series: [{start, label, phase (before | during | current), count, complete, compare, change}]
            requests in scope by half month; `compare` is the half month at the same place before
            the start, `change` the fraction against it.
        baseline: mean requests per half month before the start (null if none).
        during_mean: mean requests per half month since the start (null before it).
        rates: {before, during}: each {assessed, reached, response_rate, response_ci, resolution_rate,
            resolution_ci, satisfaction_rate, satisfaction_ci} (during is null before the start).
        lists: [{list, name, done, open, overdue, dropped}] progress of the three checklists.
        owners: [{owner, name, done, open, overdue, dropped}] progress per owner unit.
        items: [{id, list, text, owner, owner_name, due, status, overdue, evidence, reason}] every checklist item.
        in_scope: requests of the theme (scope and links) received since the window began (the sum of `series`).
        linked: [{id, title, status, category, street, received}] cases linked by hand.
        newest: [{id, title, status, category, street, received}] the newest cases in scope.
        qa: [{id, version, question, answer}] the theme's policy Q&A: active knowledge entries
            that name the theme (`jiesu kb add --theme ID`).
    """

    header: object
    as_of: str
    theme: dict
    plan: dict | None
    target: dict | None
    series: list = field(default_factory=list)
    baseline: float | None = None
    during_mean: float | None = None
    rates: dict = field(default_factory=dict)
    lists: list = field(default_factory=list)
    owners: list = field(default_factory=list)
    items: list = field(default_factory=list)
    in_scope: int = 0
    linked: list = field(default_factory=list)
    newest: list = field(default_factory=list)
    qa: list = field(default_factory=list)


def theme_context(store, theme_id: str | None, as_of: str | None, lang: str) -> ThemeContext:
    """The report of one theme at `as_of` (default now)."""
    from jiesu.errors import InvalidInput
    from jiesu.reporting.contexts import header

    if not theme_id:
        raise InvalidInput(_('report theme: name the theme, e.g. jiesu report theme HL-T26-01'))
    catalog = store.catalog
    theme = files.load_theme(store, theme_id)
    when = timeutil.parse_time(as_of, store.tz, "--at") if as_of else store.now()
    state = theme.get("state") or {}
    measured = results.measure(store, theme, when)

    def name(unit):
        return catalog.name("units", unit, lang) if unit else "—"

    info = {k: theme.get(k) for k in ("id", "title", "year", "month", "lead", "from_hotspot")}
    info.update(status=state.get("status"), lead_name=name(theme.get("lead")),
                co_units=[{"unit": u, "name": name(u)} for u in theme.get("co_units") or []],
                scope=scope.describe(theme.get("scope")), scope_keys=theme.get("scope") or {},
                **{k: state.get(k) for k in ("started", "closed", "dropped", "summary", "reason")})
    progress = measured["checklist"]
    labels = header(store, lang).labels
    return ThemeContext(
        header=header(store, lang), as_of=measured["as_of"], theme=info, plan=state.get("plan"),
        target=measured["target"], series=measured["series"], baseline=measured["baseline"],
        during_mean=measured["during_mean"], rates=measured["rates"],
        lists=[dict(c, list=k, name=labels.get(f"list_{k}", k)) for k, c in progress["lists"].items()],
        owners=[dict(c, name=name(c["owner"])) for c in progress["owners"]],
        items=[dict({k: i.get(k) for k in ("id", "list", "text", "owner", "due", "status", "overdue", "evidence", "reason")},
                    owner_name=name(i.get("owner"))) for i in progress["items"]],
        in_scope=measured["in_scope"], linked=measured["linked"], newest=measured["newest"],
        qa=_policy_qa(store, theme["id"]),
    )


def _policy_qa(store, theme_id: str) -> list[dict]:
    """The active knowledge entries that name the theme: its published policy Q&A."""
    from jiesu.knowledge import files as knowledge
    from jiesu.knowledge import record

    out = []
    for entry in knowledge.all_entries(store):
        state = record.project(entry)
        if state["status"] == "active" and theme_id in (state.get("themes") or []):
            out.append({"id": entry["id"], "version": state["version"], "question": state["questions"][0],
                        "answer": state["answer"]})
    return out


def monthly_lines(store, start, end, lang: str) -> list[dict]:
    """One line per theme active in [start, end): requests in scope in the month, the mean half
    month before the theme's start, checklist progress and the target's state."""
    catalog = store.catalog
    out = []
    for theme in files.all_themes(store):
        state = theme.get("state") or {}
        began = timeutil.load(state.get("started")) if state.get("started") else None
        ended = timeutil.load(state.get("closed") or state.get("dropped")) if (state.get("closed") or state.get("dropped")) else None
        if began is None or began >= end or (ended is not None and ended < start):
            continue
        measured = results.measure(store, theme, min(end, store.now()))
        month = sum(1 for r in results.theme_rows(store, theme, start)
                    if scope.matches(theme.get("scope") or {}, r) and start <= timeutil.load(r["received"]) < end)
        lists = measured["checklist"]["lists"]
        target = measured["target"] or {}
        out.append({
            "id": theme["id"], "title": theme.get("title"), "status": state.get("status"),
            "lead": theme.get("lead"), "lead_name": catalog.name("units", theme.get("lead"), lang),
            "requests": month, "baseline": measured["baseline"],
            "done": sum(c["done"] for c in lists.values()), "open": sum(c["open"] for c in lists.values()),
            "overdue": sum(c["overdue"] for c in lists.values()), "target_met": target.get("met"),
        })
    return out


def unit_items(store, unit: str, when) -> list[dict]:
    """Open checklist items a unit owns in live themes, overdue first (for its work sheet)."""
    return results.open_items(store, when, unit)
