"""What each report says, as documented dataclasses built from the index.

Templates only present these fields; `--format json` prints them as they are. Every field is
listed under `Attributes` in its class's docstring, and a test checks that each one is used by
the report's templates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta

from jiesu import assessment, evidence, privacy, queries, timeutil
from jiesu.errors import InvalidInput
from jiesu.governance import reports as governance_reports
from jiesu.i18n import _
from jiesu.index import Index, scope_clause
from jiesu.reporting import theme as theme_report
from jiesu.workflow import OPEN


def _name(catalog, table, code, lang):
    return catalog.name(table, code, lang) if code else "—"


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _day(store, day) -> tuple[datetime, datetime]:
    return timeutil.local(day, time(0), store.tz), timeutil.local(day + timedelta(days=1), time(0), store.tz)


@dataclass
class Header:
    """What every report starts with.

    Attributes:
        office: the office's name (jiesu.yaml).
        generated_at: when the report was rendered (ISO 8601; JIESU_NOW when set).
        lang: the language of labels and names (en or zh).
        labels: the report's words in that language.
    """

    office: str
    generated_at: str
    lang: str
    labels: dict


@dataclass
class DailyContext:
    """The daily report of one day.

    Attributes:
        header: office, time of rendering, language, labels.
        date: the day reported (YYYY-MM-DD, in the store's time zone).
        state: complete, in-progress (the day is today) or future (the day has not begun).
        total: requests received that day.
        total_prev: requests received the day before.
        by_channel: [{code, name, count, share}] for each channel that received requests.
        by_type: [{code, name, count, share}] for each type.
        top_streets: the ten streets/towns with most requests: [{rank, unit, name, district, count,
            prev_rank, prev_count, change (up | down | same | new), moved (places)}].
        districts: [{unit, name, count, share}] each district's share of the day.
        top_categories: [{code, name, parent, count}] the ten leaf categories with most requests.
        closed: {count, resolved} cases closed that day.
        evaluated: {count, reached, levels: [{code, name, count, dissatisfied}]} follow-up calls made
            that day (`dissatisfied`: a level scored below 50, or the lowest).
        overdue: {count, units: [{unit, name, count, cases: [{id, title, due, hours_late, status}]}]}
            cases still open and past due at the end of the day, by lead unit.
        new_overdue: [{id, title, lead, lead_name, due}] cases whose due time fell in the day and that
            were open at its end.
        due_soon: [{id, title, lead, lead_name, due, hours_left}] open cases due within 24 hours after the day.
        early_warning: {hotspots: [{key, count, expected, ratio, q_value, newest}] hot spots at the
            day's end that were not at the end of the day before, clusters: [{address, count, open,
            streets}] address clusters with a request that day, callers: [{caller (masked phone),
            requests, open, categories, streets}] repeat callers who called that day}.
        supervised: [{id, title, lead, lead_name, level, reason, until}] open cases under supervision (督办) at
            the end of the day (the section is left out when there are none).
    """

    header: Header
    date: str
    state: str
    total: int
    total_prev: int
    by_channel: list = field(default_factory=list)
    by_type: list = field(default_factory=list)
    top_streets: list = field(default_factory=list)
    districts: list = field(default_factory=list)
    top_categories: list = field(default_factory=list)
    closed: dict = field(default_factory=dict)
    evaluated: dict = field(default_factory=dict)
    overdue: dict = field(default_factory=dict)
    new_overdue: list = field(default_factory=list)
    due_soon: list = field(default_factory=list)
    early_warning: dict = field(default_factory=dict)
    supervised: list = field(default_factory=list)


@dataclass
class MonthlyContext:
    """The monthly assessment report.

    Attributes:
        header: office, time of rendering, language, labels.
        month: the month assessed (YYYY-MM).
        state: complete, in-progress (the month is the current one) or future.
        previous_month: the month compared with (YYYY-MM).
        min_cases: reached follow-ups a unit needs to be ranked.
        ranking: the rows of `jiesu rank` at street level (unit, name, rank, score, score_ci, rates,
            on_time_rate, acceptance_on_time_rate, volume_per_10k, assessed, reached, prev_rank,
            change, band, band_name, tied_with).
        top: the units named best (rows of `ranking`).
        bottom: the units named worst, worst first (rows of `ranking`).
        tie_groups: [[unit names]] runs of units whose 95 % intervals overlap.
        not_ranked: [{unit, name, assessed, reached, why}] units below min_cases.
        districts: the rows of `jiesu rank --level district`.
        totals: {received, closed, closed_late, evaluated, reached} for the whole period.
        months: months pooled (1: the month alone).
        period: the months assessed, `2021-11` or `2021-09…2021-11`.
        evidence: `funnel` (bands need the funnel's evidence) or `none`.
        funnel: the funnel plot at street level — {target, sd, cases, units, phi, chi2,
            chi2_limit, overdispersed, inflation, points: [{unit, name, n, score, low95, high95,
            low998, high998, signal}], curve: [{n, low95, high95, low998, high998}]} — or null.
        above: the ranked units significantly above the office score (rows of `ranking`).
        below: the ranked units significantly below the office score (rows of `ranking`).
        band_notes: [{unit, name, note}] units that a rank rule named but the evidence did not, and
            why, in the report's language.
        exemptions: [{unit, name, pending, approved, assessed, share}] per unit with any; share =
            approved / (assessed + approved).
        themes: [{id, title, status, lead, lead_name, requests, baseline, done, open, overdue,
            target_met}] one line per theme (每月一题) under way in the month: requests in its scope
            received in the month, the mean half month before its start, checklist progress.
        office: the office-wide {month, reached, response_rate, resolution_rate, satisfaction_rate}
            of the month and `trend`, the same for each of the 12 months to it, oldest first.
        by_tag: [{code, name, received, share, dissatisfied, dissatisfied_share}] requests received
            in the month by tag (a case with several tags counts under each; — for none).
        by_category: the same by level-1 category.
    """

    header: Header
    month: str
    state: str
    previous_month: str
    min_cases: int
    ranking: list = field(default_factory=list)
    top: list = field(default_factory=list)
    bottom: list = field(default_factory=list)
    tie_groups: list = field(default_factory=list)
    not_ranked: list = field(default_factory=list)
    districts: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    months: int = 1
    period: str = ""
    evidence: str = "funnel"
    funnel: dict | None = None
    above: list = field(default_factory=list)
    below: list = field(default_factory=list)
    band_notes: list = field(default_factory=list)
    exemptions: list = field(default_factory=list)
    themes: list = field(default_factory=list)
    office: dict = field(default_factory=dict)
    by_tag: list = field(default_factory=list)
    by_category: list = field(default_factory=list)


@dataclass
class WeeklyContext:
    """The weekly summary of one ISO week.

    Attributes:
        header: office, time of rendering, language, labels.
        week: the week (YYYY-Www) and previous_week, the one compared with.
        state: complete, in-progress (the week is the current one) or future.
        previous_week: the week before.
        start: the week's first instant (Monday 00:00, ISO 8601).
        end: the instant after its last (the next Monday 00:00).
        total: requests received in the week.
        total_prev: requests received in the previous week.
        by_category: [{code, name, count, prev_count, change, reached, resolution_rate,
            satisfaction_rate, dissatisfied_share}] by level-1 category, most requests first
            (rates over the reached follow-ups of the week's requests).
        by_district: the same by district.
        hotspots: [{key, count, expected, ratio, q_value, newest}] hot spots of the 7 days.
        clusters: [{address, count, open, streets}] address clusters of the 7 days.
        callers: [{caller (masked phone), requests, open, categories, streets}] the ten callers
            with most requests in the week (at least two).
        overdue: open cases past due at the end of the week.
        kb_stale: [{id, version, question, review_by, valid_until}] knowledge-base entries in force
            that are past their review date (or their validity) — to be checked.
        kb_worst: [{id, question, answered, repeat, repeat_rate, dissatisfied}] the five entries
            whose callers most often called again about the same category within 30 days, over the
            calls they answered in the four weeks ending with this one.
    """

    header: Header
    week: str
    state: str
    previous_week: str
    start: str
    end: str
    total: int
    total_prev: int
    by_category: list = field(default_factory=list)
    by_district: list = field(default_factory=list)
    hotspots: list = field(default_factory=list)
    clusters: list = field(default_factory=list)
    callers: list = field(default_factory=list)
    overdue: int = 0
    kb_stale: list = field(default_factory=list)
    kb_worst: list = field(default_factory=list)


@dataclass
class OverdueContext:
    """The overdue list.

    Attributes:
        header: office, time of rendering, language, labels.
        as_of: the instant judged at (ISO 8601).
        unit: the unit the list is limited to, or null.
        unit_name: its name, or null.
        count: open cases past due.
        units: [{unit, name, count, cases: [{id, title, status, due, hours_late, working_days_late,
            street, contact}]}] by lead unit, most cases first.
        due_soon: [{id, title, lead, lead_name, due, hours_left, contact}] open cases due within 24 hours.
        closed_late: cases closed after their due time, up to `as_of`.
        review_overdue: [{id, title, lead, lead_name, review_by, hours_late}] cases the lead closed
            (`handled`) whose review by the centre is past its clock; not overdue for handling.
    """

    header: Header
    as_of: str
    unit: str | None
    unit_name: str | None
    count: int
    units: list = field(default_factory=list)
    due_soon: list = field(default_factory=list)
    closed_late: int = 0
    review_overdue: list = field(default_factory=list)


@dataclass
class UnitContext:
    """A unit's work sheet: its open cases with due times and clocks.

    Attributes:
        header: office, time of rendering, language, labels.
        as_of: the instant of the sheet (ISO 8601).
        unit: the unit's id.
        unit_name: the unit's name.
        count: open cases where the unit is lead or co-unit.
        overdue: how many of them are past due.
        cases: [{id, title, role (lead | co), status, category, street, received, due, overdue,
            hours_left, accepted, contacted, contact}] most urgent first; `contact` is the surname
            and masked phone (never for confidential cases).
        since: start of the previous month: the window of the two lists below.
        discrepancies: [{id, title, evaluated, contacted}] cases led by the unit, evaluated since
            `since`, whose record has a contact while the caller said nobody contacted them.
        exemptions: [{id, title, status (pending | approved | denied), type, requested, reason}]
            the unit's exemption requests: every pending one, and those requested since `since`.
        tasks: [{theme, theme_title, list, item, text, owner, due, overdue, days_late}] open
            checklist items of themes (每月一题) the unit owns, overdue first.
        sent_back: [{id, title, status, times}] cases the unit leads that the centre's review sent
            back (counts against the unit).
        cases also carry `supervised` (the reason, or None) and `whistle` (met | missed | running
        when the unit was called to assist, else None); supervised cases come first.
    """

    header: Header
    as_of: str
    unit: str
    unit_name: str
    count: int
    overdue: int
    cases: list = field(default_factory=list)
    since: str = ""
    discrepancies: list = field(default_factory=list)
    exemptions: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    sent_back: list = field(default_factory=list)


def header(store, lang: str) -> Header:
    from jiesu.reporting.labels import labels

    name = store.settings.get("name")
    if isinstance(name, dict):
        name = name.get(lang) or name.get("en")
    return Header(str(name or store.office), timeutil.fmt(store.now()), lang, labels(lang))


def daily(store, day: str | None, lang: str) -> DailyContext:
    """The day's report (default: yesterday in the store's zone)."""
    catalog = store.catalog
    d = timeutil.parse_date(day) if day else (store.now().astimezone(store.tz).date() - timedelta(days=1))
    start, end = _day(store, d)
    prev_start, _ = _day(store, d - timedelta(days=1))
    index = Index(store)
    today = index.select("id, channel, type, category, district, street", "received_ts >= ? AND received_ts < ?",
                         (start.timestamp(), end.timestamp()))
    before = index.select("street", "received_ts >= ? AND received_ts < ?", (prev_start.timestamp(), start.timestamp()))
    total = len(today)

    def counted(values, table):
        counts: dict = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        return [{"code": k, "name": _name(catalog, table, k, lang), "count": n, "share": _share(n, total)}
                for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))]

    streets_today: dict = {}
    for row in today:
        if row[5]:
            streets_today[row[5]] = streets_today.get(row[5], 0) + 1
    streets_before: dict = {}
    for (street,) in before:
        if street:
            streets_before[street] = streets_before.get(street, 0) + 1
    order_before = sorted(streets_before, key=lambda u: (-streets_before[u], u))
    rank_before = {u: i + 1 for i, u in enumerate(order_before)}
    top = []
    for i, unit in enumerate(sorted(streets_today, key=lambda u: (-streets_today[u], u))[:10], 1):
        prev = rank_before.get(unit)
        change = "new" if prev is None else ("up" if prev > i else "down" if prev < i else "same")
        top.append({"rank": i, "unit": unit, "name": _name(catalog, "units", unit, lang),
                    "district": _name(catalog, "units", catalog.units[unit].parent if unit in catalog.units else None, lang),
                    "count": streets_today[unit], "prev_rank": prev, "prev_count": streets_before.get(unit, 0),
                    "change": change, "moved": (prev - i) if prev else None})
    districts = [{"unit": u.id, "name": u.name.get(lang) or u.name["en"], "count": 0} for u in catalog.units.values() if u.kind == "district"]
    for entry in districts:
        entry["count"] = sum(1 for row in today if row[4] == entry["unit"])
        entry["share"] = _share(entry["count"], total)
    categories: dict = {}
    for row in today:
        if row[3]:
            categories[row[3]] = categories.get(row[3], 0) + 1
    top_categories = [{"code": c, "name": _name(catalog, "categories", c, lang),
                       "parent": _name(catalog, "categories", c.split(".")[0], lang), "count": n}
                      for c, n in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
    closed_rows = index.rows("closed_ts >= ? AND closed_ts < ?", (start.timestamp(), end.timestamp()))
    evaluated_rows = index.rows("evaluated_ts >= ? AND evaluated_ts < ?", (start.timestamp(), end.timestamp()))
    levels: dict = {}
    reached = 0
    for row in evaluated_rows:
        ev = row["evaluations"][-1]
        if ev.get("reached"):
            reached += 1
            levels[ev.get("satisfaction")] = levels.get(ev.get("satisfaction"), 0) + 1
    at_end = queries.overdue(store, as_of=timeutil.fmt(end - timedelta(seconds=1)))
    groups: dict = {}
    for item in at_end["overdue"]:
        groups.setdefault(item["lead"], []).append(item)
    units = [{"unit": lead, "name": _name(catalog, "units", lead, lang) if lead else "—", "count": len(items),
              "cases": [{k: c[k] for k in ("id", "title", "due", "hours_late", "status")} for c in items]}
             for lead, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0] or ""))]
    new = [{"id": c["id"], "title": c["title"], "lead": c["lead"], "lead_name": _name(catalog, "units", c["lead"], lang),
            "due": c["due"]} for c in at_end["overdue"] if start <= timeutil.load(c["due"]) < end]
    worst = min((item.score for item in catalog.assessment.satisfaction.values()), default=0)
    return DailyContext(
        header=header(store, lang), date=d.isoformat(), state=_state(store, start, end), total=total, total_prev=len(before),
        by_channel=counted([r[1] for r in today], "channels"), by_type=counted([r[2] for r in today], "types"),
        top_streets=top, districts=districts, top_categories=top_categories,
        closed={"count": len(closed_rows), "resolved": sum(1 for r in closed_rows if r.get("resolved"))},
        evaluated={"count": len(evaluated_rows), "reached": reached,
                   "levels": [{"code": c, "name": item.name.get(lang) or item.name["en"], "count": levels.get(c, 0),
                               "dissatisfied": item.score < 50 or item.score == worst}
                              for c, item in catalog.assessment.satisfaction.items()]},
        overdue={"count": len(at_end["overdue"]), "units": units},
        new_overdue=new,
        due_soon=[dict({k: c[k] for k in ("id", "title", "lead", "due", "hours_left")},
                       lead_name=_name(catalog, "units", c["lead"], lang)) for c in at_end["due_soon"]],
        early_warning=governance_reports.early_warning(store, start, end),
        supervised=[dict(c, lead_name=_name(catalog, "units", c["lead"], lang)) for c in _supervised(store, index, end)],
    )


def _state(store, start, end) -> str:
    """`complete` for a period that has ended, `in-progress` for the current one, `future` for one
    that has not begun (by the store's clock)."""
    now = store.now()
    return "future" if now < start else ("in-progress" if now < end else "complete")


def _supervised(store, index, end) -> list:
    """Open cases under supervision at `end`."""
    from jiesu import priority

    out = []
    # only supervised cases have a `supervised` column
    for row in index.rows(f"status IN ({','.join('?' * len(OPEN))}, 'handled') AND supervised IS NOT NULL", OPEN,
                          order="id"):
        sup = priority.supervised(row, end)
        if sup and timeutil.load(sup["since"]) <= end:
            out.append({"id": row["id"], "title": row.get("title"), "lead": row.get("lead"), "level": sup.get("level"),
                        "reason": sup.get("reason"), "until": sup.get("until")})
    return out


def monthly(store, month: str | None, lang: str, months: int = 1) -> MonthlyContext:
    """The month's assessment report (default: the last complete month), or that of the
    `months` months ending with it."""
    streets = assessment.ranking(store, month, "street", months)
    districts = assessment.ranking(store, streets.month, "district", months)
    year, mon = timeutil.parse_month(streets.month)
    start, end = assessment.period_range(store, year, mon, months)
    index = Index(store)
    lo, hi = start.timestamp(), end.timestamp()

    def count(where, params=()):
        return index.select("COUNT(*)", where, (lo, hi, *params), order="")[0][0]

    evaluated = index.rows("evaluated_ts >= ? AND evaluated_ts < ?", (lo, hi))
    reached = sum(1 for row in evaluated if row["evaluations"][-1].get("reached"))
    totals = {
        "received": count("received_ts >= ? AND received_ts < ?"),
        "closed": count("closed_ts >= ? AND closed_ts < ?"),
        "closed_late": count("closed_ts >= ? AND closed_ts < ? AND closed_late = 1"),
        "evaluated": len(evaluated),
        "reached": reached,
    }

    bands = {b["code"]: b["name"].get(lang) or b["name"]["en"] for b in store.catalog.assessment.bands}

    def named(rows):
        for r in rows:
            r = dict(r)
            r["name"] = store.catalog.unit_label(r["unit"], lang)
            if "band" in r:
                r["band_name"] = bands.get(r["band"], r["band"]) if r["band"] else None
            yield r

    ranking = list(named(streets.ranked))
    by_unit = {r["unit"]: r for r in ranking}
    return MonthlyContext(
        header=header(store, lang), month=streets.month, state=_state(store, start, end), previous_month=streets.previous_month,
        min_cases=streets.min_cases, ranking=ranking,
        top=[by_unit[u] for u in streets.top], bottom=[by_unit[u] for u in streets.bottom],
        tie_groups=[[by_unit[u]["name"] for u in group] for group in streets.tie_groups],
        not_ranked=[{k: r[k] for k in ("unit", "name", "assessed", "reached", "why")} for r in named(streets.not_ranked)],
        districts=list(named(districts.ranked)) + [
            dict({k: None for k in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")}, **r, rank=None)
            for r in named(districts.not_ranked)],
        totals=totals, months=months, period=streets.period, evidence=streets.evidence,
        funnel=_funnel(streets, by_unit),
        above=[by_unit[u] for u in streets.significant["above"]], below=[by_unit[u] for u in streets.significant["below"]],
        band_notes=[{"unit": r["unit"], "name": r["name"], "note": _band_note(r["band_reasons"], bands, lang)}
                    for r in ranking if r["band_reasons"]],
        exemptions=_exemptions(streets, lang),
        themes=theme_report.monthly_lines(store, start, end, lang),
        office=governance_reports.office(store, year, mon),
        **governance_reports.shares(store, streets.month, lang),
    )


def _band_note(reasons, bands, lang) -> str:
    """Why a rank rule gave no band, in the report's language."""
    from jiesu import evidence, i18n

    with i18n.using(lang):
        return evidence.note_text(reasons, lambda code: bands.get(code, code)) or ""


def _funnel(result, by_unit) -> dict | None:
    """The funnel plot with names and the limit curves, for the chart."""
    plot = result.funnel
    if not plot:
        return None
    top = max([p["n"] for p in plot["points"].values()] + [result.min_cases])
    steps = sorted({max(1, round(top * i / 40)) for i in range(41)} | {result.min_cases})
    return dict({k: v for k, v in plot.items() if k != "points"},
                points=[dict(p, unit=u, name=by_unit[u]["name"]) for u, p in sorted(plot["points"].items())],
                curve=[dict(evidence.limits(plot, n), n=n) for n in steps])


def _exemptions(result, lang) -> list:
    rows = {r["unit"]: r for r in result.ranked + result.not_ranked}
    out = []
    for unit, counts in result.exemptions.items():
        assessed = rows[unit]["assessed"] if unit in rows else 0
        approved = counts["approved"]
        name = rows[unit]["name"] if unit in rows else {"en": unit}
        out.append({"unit": unit, "name": name.get(lang) or name["en"],
                    "pending": counts["pending"], "approved": approved, "assessed": assessed,
                    "share": approved / (assessed + approved) if assessed + approved else None})
    return out


def weekly(store, week: str | None, lang: str) -> WeeklyContext:
    """The weekly summary of ISO week `week` (default: the last complete week)."""
    figures = governance_reports.weekly(store, week, lang)
    state = _state(store, timeutil.load(figures["start"]), timeutil.load(figures["end"]))
    return WeeklyContext(header=header(store, lang), state=state, **figures)


def overdue(store, as_of: str | None, unit: str | None, lang: str) -> OverdueContext:
    """The overdue list at `as_of` (default now), optionally for one unit and those under it."""
    catalog = store.catalog
    result = queries.overdue(store, as_of=as_of, unit=unit)
    groups: dict = {}
    for item in result["overdue"]:
        groups.setdefault(item["lead"], []).append(item)
    keys = ("id", "title", "status", "due", "hours_late", "working_days_late", "street", "contact")
    units = [{"unit": lead, "name": _name(catalog, "units", lead, lang) if lead else "—", "count": len(items),
              "cases": [{k: c.get(k) for k in keys} for c in items]}
             for lead, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0] or ""))]
    return OverdueContext(
        header=header(store, lang), as_of=result["as_of"], unit=unit,
        unit_name=_name(catalog, "units", unit, lang) if unit else None, count=len(result["overdue"]), units=units,
        due_soon=[dict({k: c.get(k) for k in ("id", "title", "lead", "due", "hours_left", "contact")},
                       lead_name=_name(catalog, "units", c.get("lead"), lang)) for c in result["due_soon"]],
        closed_late=result["closed_late"],
        review_overdue=[dict({k: c.get(k) for k in ("id", "title", "lead", "review_by", "hours_late")},
                            lead_name=_name(catalog, "units", c.get("lead"), lang)) for c in result["review_overdue"]],
    )


def unit_sheet(store, unit: str | None, as_of: str | None, lang: str) -> UnitContext:
    """A unit's open cases, most urgent first (as of now: the sheet is a working list)."""
    if not unit:
        raise InvalidInput(_('--unit: the unit report needs a unit, e.g. --unit dragon-gate/eternal-town'))
    catalog = store.catalog
    unit = catalog.unit(unit, "--unit").id
    when = timeutil.parse_time(as_of, store.tz, "--as-of") if as_of else store.now()
    where, params = scope_clause({unit})
    rows = Index(store).rows(f"status IN ({','.join('?' * len(OPEN))}) AND {where}", (*OPEN, *params))
    from jiesu import priority

    cases = []
    sent_back = [{"id": row["id"], "title": row.get("title"), "status": row.get("status"), "times": row.get("sent_back")}
                 for row in Index(store).rows(where, params, order="id")
                 if row.get("sent_back") and row.get("lead") == unit]
    for row in rows:
        due = timeutil.load(row.get("due"))
        left = (due - when).total_seconds() / 3600 if due else None
        cases.append({
            "id": row["id"], "title": row.get("title"), "role": "lead" if row.get("lead") == unit else "co",
            "status": row.get("status"), "category": _name(catalog, "categories", row.get("category"), lang),
            "street": _name(catalog, "units", row.get("street"), lang), "received": row.get("received"),
            "due": row.get("due"), "overdue": left is not None and left < 0,
            "hours_left": round(left, 1) if left is not None else None,
            "accepted": bool(row.get("accepted")), "contacted": bool(row.get("first_contact")),
            "contact": row.get("contact"),
            "supervised": (priority.supervised(row, when) or {}).get("reason"), "whistle": priority.whistle_for(row, unit, when),
            "order": priority.rank(row, catalog, when),
        })
    cases.sort(key=lambda c: (c["order"], c["hours_left"] if c["hours_left"] is not None else 1e9, c["id"]))
    since = assessment.month_range(store, *assessment.previous_month(*_year_month(when, store.tz)))[0]
    discrepancies, exemptions = _unit_checks(store, unit, since)
    return UnitContext(
        header=header(store, lang), as_of=timeutil.fmt(when), unit=unit, unit_name=_name(catalog, "units", unit, lang),
        count=len(cases), overdue=sum(1 for c in cases if c["overdue"]), cases=cases,
        since=timeutil.fmt(since), discrepancies=discrepancies, exemptions=exemptions, sent_back=sent_back,
        tasks=theme_report.unit_items(store, unit, when),
    )


def _year_month(when, tz) -> tuple[int, int]:
    local = when.astimezone(tz)
    return local.year, local.month


def _unit_checks(store, unit: str, since) -> tuple[list, list]:
    """What an auditor looks at on a unit's sheet: discrepancies between its record and the
    caller's answer, and its exemption requests."""
    discrepancies, exemptions = [], []
    where, params = scope_clause({unit})
    for row in Index(store).rows(where, params, order="id"):
        last = (row.get("evaluations") or [{}])[-1]
        if last.get("lead") == unit and row.get("evaluated_at") and timeutil.load(row["evaluated_at"]) >= since:
            rec = assessment.record(row, store.catalog, store.tz)
            if rec and rec["discrepancy"]:
                discrepancies.append({"id": row["id"], "title": row.get("title"), "evaluated": row["evaluated_at"],
                                      "contacted": (row.get("assigns") or [{}])[-1].get("contacted")})
        if row.get("exemption") and (row.get("lead") == unit or last.get("lead") == unit):
            requests = [e for e in store.load_case(row["id"]).get("events") or [] if e.get("action") == "exempt" and e.get("type")]
            request = requests[-1] if requests else {}
            requested = timeutil.load(request.get("at")) if request.get("at") else None
            if row["exemption"] == "pending" or (requested and requested >= since):
                exemptions.append({"id": row["id"], "title": row.get("title"), "status": row["exemption"],
                                   "type": request.get("type"), "requested": timeutil.fmt(requested) if requested else None,
                                   "reason": privacy.scrub(request.get("reason"))})
    return discrepancies, exemptions


CONTEXTS = {"daily": DailyContext, "monthly": MonthlyContext, "overdue": OverdueContext, "unit": UnitContext,
            "theme": theme_report.ThemeContext, "weekly": WeeklyContext}


def as_dict(context) -> dict:
    return asdict(context)
