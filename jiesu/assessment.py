"""The monthly assessment of handling units: index rows → assessment records → a ranking.

`metrics` does the arithmetic; this module decides what enters it (DESIGN §3): a case enters
period P when its latest evaluation falls in P, for the unit that was its lead at that evaluation
(a district counts every unit under it), unless it is exempt, rejected or merged. Rates are over
the reached cases; on-time and acceptance-on-time over all assessed cases. Volume is the cases
received in P located in the unit (for a department: led by it).
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass, field
from datetime import datetime, time

from jiesu import evidence, i18n, metrics, timeutil, working_time
from jiesu.catalog import LOCAL_KINDS, UNIT_LEVELS
from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.terms import indicator
from jiesu.terms import status as status_name

EXCLUDED = ("rejected", "merged")


def month_range(store, year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month in the store's zone."""
    start = timeutil.local(datetime(year, month, 1).date(), time(0), store.tz)
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    return start, timeutil.local(datetime(ny, nm, 1).date(), time(0), store.tz)


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def default_month(store) -> tuple[int, int]:
    """The last complete month (what a ranking run on the 1st is about)."""
    today = store.now().astimezone(store.tz)
    return previous_month(today.year, today.month)


def unit_at_level(catalog, lead: str | None, level: str) -> str | None:
    """The unit of `level` a lead counts for (a street/town counts for its district)."""
    if not lead or lead not in catalog.units:
        return None
    kind = catalog.units[lead].kind
    if level == "street":
        return lead if kind in LOCAL_KINDS else None
    if level == "district":
        return catalog.district_of(lead)
    return lead if kind == "department" else None


def level_units(catalog, level: str) -> list[str]:
    kinds = {"street": LOCAL_KINDS, "district": ("district",), "department": ("department",)}[level]
    return [u.id for u in catalog.units.values() if u.kind in kinds]


def _within(start, end, limit, tclass, catalog, tz) -> bool:
    """Did `end` come within `limit` of `start` (working time when the class counts it)?"""
    if start is None or end is None or tclass is None:
        return False
    return working_time.elapsed(timeutil.load(start), timeutil.load(end), tclass, catalog.calendar, tz) <= limit


# the keys of a record, in the order `record` gives them (the index packs the values in this order)
RECORD_KEYS = (
    "id", "lead", "evaluated", "reached", "contacted", "resolved", "satisfaction", "score", "scheme", "weights",
    "category", "accept", "contact", "complete", "response", "discrepancy", "on_time", "accepted_on_time", "exemption",
)


def record(row: dict, catalog, tz) -> dict | None:
    """A case's assessment record for its latest evaluation (None when it is not assessed).

    The response value is timeliness (DESIGN §3): the weighted mean of three flags — accepted
    within `accept_within` of its last dispatch, first contact under that dispatch within
    `contact_within`, closed by its due time after extensions — all as they stood at the evaluation.
    """
    if row.get("exempt") or row.get("status") in EXCLUDED or not row.get("evaluations"):
        return None
    ev = row["evaluations"][-1]
    at = timeutil.load(ev["at"])
    scheme = catalog.scheme_for(row.get("tags") or [], row.get("category"))
    weights = catalog.assessment.schemes[scheme].weights if scheme in catalog.assessment.schemes else {}
    level = catalog.assessment.satisfaction.get(ev.get("satisfaction"))
    # the close before this evaluation, against the due time then
    closed_at, due_then = None, None
    for when, status, due, _note in row.get("timeline") or []:
        if timeutil.load(when) > at:
            break
        if status == "closed":
            closed_at, due_then = timeutil.load(when), timeutil.load(due)
    tclass = catalog.classes.get(row.get("time_limit"))
    assigns = [a for a in row.get("assigns") or [] if timeutil.load(a["at"]) <= at]
    last = assigns[-1] if assigns else {}
    accepted = last.get("accepted") if last.get("accepted") and timeutil.load(last["accepted"]) <= at else None
    contacted = last.get("contacted") if last.get("contacted") and timeutil.load(last["contacted"]) <= at else None
    flags = {
        "accept": _within(last.get("at"), accepted, tclass.accept_within if tclass else None, tclass, catalog, tz),
        "contact": _within(last.get("at"), contacted, tclass.contact_within if tclass else None, tclass, catalog, tz),
        # a class without a time limit (`none`) has no due time to miss: closing is completing
        "complete": closed_at is not None and (closed_at <= due_then if due_then is not None else untimed(tclass)),
    }
    rw = catalog.assessment.response
    said = ev.get("contacted")
    return {
        "id": row["id"], "lead": ev.get("lead"), "evaluated": ev["at"], "reached": bool(ev.get("reached")),
        "contacted": bool(said), "resolved": bool(ev.get("resolved")),
        "satisfaction": ev.get("satisfaction"), "score": level.score if level else None,
        "scheme": scheme, "weights": weights, "category": row.get("category"),
        "accept": flags["accept"], "contact": flags["contact"], "complete": flags["complete"],
        "response": sum(rw[k] * (1.0 if flags[k] else 0.0) for k in rw),
        # the unit's record has a contact while the caller, reached, says nobody contacted them
        "discrepancy": bool(ev.get("reached")) and contacted is not None and said is False,
        "on_time": flags["complete"], "accepted_on_time": flags["accept"],
        "exemption": row.get("exemption"),
    } | untimed_flags(tclass)


def untimed(tclass) -> bool:
    """Is this a class without a time limit (`none`)?"""
    return tclass is not None and tclass.limit is None


def untimed_flags(tclass) -> dict:
    """A case of a class without a time limit (`none`) is never late: it has no on-time flags,
    and the on-time rates leave it out (None is skipped by `metrics.score_unit`)."""
    if not untimed(tclass):
        return {}
    return {"on_time": None, "accepted_on_time": None}


def period_range(store, year: int, month: int, months: int = 1) -> tuple[datetime, datetime]:
    """[start, end) of the `months` calendar months ending with `month`, in the store's zone."""
    y, m = year, month
    for _step in range(months - 1):
        y, m = previous_month(y, m)
    return month_range(store, y, m)[0], month_range(store, year, month)[1]


def period_label(year: int, month: int, months: int = 1) -> str:
    """`2021-11`, or `2021-09…2021-11` for a pooled period."""
    y, m = year, month
    for _step in range(months - 1):
        y, m = previous_month(y, m)
    return f"{year:04d}-{month:02d}" if months == 1 else f"{y:04d}-{m:02d}…{year:04d}-{month:02d}"


def months_before(year: int, month: int, months: int) -> tuple[int, int]:
    """The last month of the period of `months` months before the one ending with `month`."""
    for _step in range(months):
        year, month = previous_month(year, month)
    return year, month


@dataclass
class Ranking:
    """One period's ranking at one level (the context of `rank` and of the monthly report).

    `funnel` is the funnel plot (see `jiesu.evidence.funnel`) with the ranked units' points;
    `months` > 1 pools that many months ending with `month` (`period` names them).
    """

    month: str
    level: str
    min_cases: int
    ranked: list = field(default_factory=list)
    not_ranked: list = field(default_factory=list)
    top: list = field(default_factory=list)
    bottom: list = field(default_factory=list)
    tie_groups: list = field(default_factory=list)
    previous_month: str = ""
    months: int = 1
    period: str = ""
    previous_period: str = ""
    evidence: str = "funnel"
    funnel: dict | None = None
    bootstrap: dict = field(default_factory=dict)
    significant: dict = field(default_factory=dict)
    exemptions: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "month": self.month, "level": self.level, "min_cases": self.min_cases, "months": self.months,
            "period": self.period, "previous_month": self.previous_month, "previous_period": self.previous_period,
            "ranked": self.ranked, "not_ranked": self.not_ranked, "top": self.top, "bottom": self.bottom,
            "tie_groups": self.tie_groups, "evidence": self.evidence, "funnel": self.funnel,
            "bootstrap": self.bootstrap, "significant": self.significant, "exemptions": self.exemptions,
        }


def period_records(store, index, span: tuple[float, float]) -> list[dict]:
    """The assessment records of the cases whose latest evaluation falls in [span), by case id."""
    catalog = store.catalog
    # records worked out when each case was indexed; a row whose record could not be is redone here
    found = index.select("assess, id", "evaluated_ts >= ? AND evaluated_ts < ?", span, order="")
    records = [index.unpack_assess(blob, case_id) for blob, case_id in found if blob is not None]
    if any(blob is None for blob, _ in found):
        redo = index.rows("evaluated_ts >= ? AND evaluated_ts < ? AND assess IS NULL", span, order="")
        records += [record(row, catalog, store.tz) for row in redo]
    return sorted((r for r in records if r is not None), key=lambda r: r["id"])


def _by_unit(catalog, records, level) -> dict:
    by_unit: dict = {u: [] for u in level_units(catalog, level)}
    for rec in records:
        unit = unit_at_level(catalog, rec["lead"], level)
        if unit is not None:
            by_unit.setdefault(unit, []).append(rec)
    return by_unit


def _scores(store, index, year, month, level, months: int = 1) -> tuple[dict, dict]:
    start, end = period_range(store, year, month, months)
    by_unit = _by_unit(store.catalog, period_records(store, index, (start.timestamp(), end.timestamp())), level)
    return {u: metrics.score_unit(u, recs) for u, recs in by_unit.items()}, by_unit


def volumes(store, index, year, month, level, months: int = 1) -> dict:
    """Cases received in the period located in each unit (departments: led by it)."""
    start, end = period_range(store, year, month, months)
    counts: dict = {}
    column = {"street": "street", "district": "district", "department": "lead"}[level]
    for unit, n in index.select(f"{column}, COUNT(*)", "received_ts >= ? AND received_ts < ?",
                                (start.timestamp(), end.timestamp()), order="", group=column):
        if unit:
            counts[unit] = n
    return counts


def approved_exemptions(store, index, year, month, level, months: int = 1) -> dict:
    """{unit: cases evaluated in the period for the unit and excluded by an approved exemption}."""
    start, end = period_range(store, year, month, months)
    counts: dict = {}
    for row in index.rows("evaluated_ts >= ? AND evaluated_ts < ? AND exempt = 1", (start.timestamp(), end.timestamp()), order=""):
        evaluations = row.get("evaluations") or []
        unit = unit_at_level(store.catalog, evaluations[-1].get("lead") if evaluations else None, level)
        if unit is not None:
            counts[unit] = counts.get(unit, 0) + 1
    return counts


def whistle_rates(store, index, year, month, level, months: int = 1) -> dict:
    """{unit: [met, calls]}: calls for assistance (吹哨报到) made in the period to each unit, and how
    many it answered within its report-for-duty clock. Reported beside the score; weight 0."""
    from jiesu.handling_view import whistle_calls

    start, end = period_range(store, year, month, months)
    counts: dict = {}
    for (packed,) in index.select("whistle", "changed_ts >= ? AND whistle IS NOT NULL", (start.timestamp(),), order=""):
        for call in whistle_calls({"whistle": marshal.loads(packed)}, min(end, store.now())):
            called = timeutil.load(call["called"])
            unit = unit_at_level(store.catalog, call.get("unit"), level)
            if unit is None or not start <= called < end or call["outcome"] == "running":
                continue
            entry = counts.setdefault(unit, [0, 0])
            entry[0] += call["outcome"] == "met"
            entry[1] += 1
    return counts


def _period(store, month, months) -> tuple[int, int]:
    if not isinstance(months, int) or months < 1 or months > 12:
        raise InvalidInput(_('--months: {months!r}; allowed: a whole number from 1 to 12').format(months=months))
    return timeutil.parse_month(month) if month else default_month(store)


def ranking(store, month: str | None = None, level: str | None = None, months: int = 1) -> Ranking:
    """The assessment ranking of `month` (YYYY-MM; default the last complete month) at `level`,
    pooling the `months` months that end with it."""
    from jiesu.index import Index

    catalog = store.catalog
    a = catalog.assessment
    level = level or a.level
    if level not in UNIT_LEVELS:
        raise InvalidInput(_('--level: {level!r}; allowed: {items}').format(level=level, items=', '.join(UNIT_LEVELS)))
    year, mon = _period(store, month, months)
    index = Index(store)
    scores, by_unit = _scores(store, index, year, mon, level, months)
    py, pm = months_before(year, mon, months)
    prev_scores, _units = _scores(store, index, py, pm, level, months)
    prev_rows, _unranked = metrics.rank(list(prev_scores.values()), a.min_cases)
    prev_rank = {r["unit"]: r["rank"] for r in prev_rows}
    rows, not_ranked = metrics.rank(list(scores.values()), a.min_cases)
    tied_with, groups = metrics.ties(rows)
    volume = volumes(store, index, year, mon, level, months)
    exempted = approved_exemptions(store, index, year, mon, level, months)
    whistle = whistle_rates(store, index, year, mon, level, months)
    out = Ranking(f"{year:04d}-{mon:02d}", level, a.min_cases, previous_month=f"{py:04d}-{pm:02d}", tie_groups=groups,
                  months=months, period=period_label(year, mon, months), previous_period=period_label(py, pm, months),
                  evidence=a.evidence, bootstrap=dict(a.bootstrap))
    values = {u: [metrics.case_value(r) for r in by_unit[u] if r["reached"]] for u in by_unit}
    ranked_values = {row["unit"]: values[row["unit"]] for row in rows}
    plot = evidence.funnel(ranked_values, [v for vs in values.values() for v in vs])
    points = plot["points"] if plot else {}
    intervals = evidence.rank_intervals(ranked_values, a.bootstrap["resamples"], a.bootstrap["seed"]) if rows else {}
    for row in rows:
        row["score"] = row["scores"].score
        row["equal"] = len(rows) - row["better"] - row["worse"]
    above = [r["unit"] for r in rows if (points.get(r["unit"]) or {}).get("signal") == "above"]
    for row in rows:
        s = row["scores"]
        unit = catalog.units[s.unit]
        prev = prev_rank.get(s.unit)
        change = prev - row["rank"] if prev is not None else None
        point = points.get(s.unit)
        higher_above = sum(1 for u in above if u != s.unit and round(scores[u].score, 9) > round(s.score, 9))
        code, reasons = evidence.band(row, change, a.bands, len(rows), a.evidence, point, higher_above)
        interval = intervals.get(s.unit)
        out.ranked.append({
            "unit": s.unit, "name": unit.name, "rank": row["rank"], "score": s.score,
            "response_rate": s.response_rate, "resolution_rate": s.resolution_rate,
            "satisfaction_rate": s.satisfaction_rate, "on_time_rate": s.on_time_rate,
            "assessed": s.assessed, "reached": s.reached, "prev_rank": prev, "change": change,
            "band": code, "tied_with": tied_with[s.unit],
            "band_note": evidence.note_text(reasons), "band_reasons": reasons, "signal": point["signal"] if point else None,
            "rank_interval": list(interval) if interval else None,
            "contact_confirmed_rate": s.contact_confirmed_rate, "discrepancies": s.discrepancies,
            "accept_rate": s.accept_rate, "contact_rate": s.contact_rate, "complete_rate": s.complete_rate,
            "exemptions_pending": s.exemptions_pending, "exemptions_approved": exempted.get(s.unit, 0),
            "acceptance_on_time_rate": s.acceptance_on_time_rate, "score_se": s.score_se,
            "score_ci": list(s.score_ci) if s.score_ci else None,
            "response_ci": list(s.response_ci) if s.response_ci else None,
            "resolution_ci": list(s.resolution_ci) if s.resolution_ci else None,
            "satisfaction_ci": list(s.satisfaction_ci) if s.satisfaction_ci else None,
            "volume": volume.get(s.unit, 0), "population": unit.population,
            "volume_per_10k": metrics.per_10k(volume.get(s.unit, 0), unit.population),
            "schemes": s.schemes,
            "whistle_calls": whistle.get(s.unit, [0, 0])[1],
            "whistle_on_time_rate": (whistle[s.unit][0] / whistle[s.unit][1]) if whistle.get(s.unit) else None,
        })
    for s in not_ranked:
        unit = catalog.units[s.unit]
        out.not_ranked.append({
            "unit": s.unit, "name": unit.name, "assessed": s.assessed, "reached": s.reached,
            "score": s.score, "volume": volume.get(s.unit, 0), "population": unit.population,
            "volume_per_10k": metrics.per_10k(volume.get(s.unit, 0), unit.population),
            "why": i18n._("no reached follow-up") if s.reached == 0 else i18n._("n = {reached} < {minimum}").format(
                reached=s.reached, minimum=a.min_cases),
            "discrepancies": s.discrepancies, "exemptions_pending": s.exemptions_pending,
            "exemptions_approved": exempted.get(s.unit, 0),
            "whistle_calls": whistle.get(s.unit, [0, 0])[1],
            "whistle_on_time_rate": (whistle[s.unit][0] / whistle[s.unit][1]) if whistle.get(s.unit) else None,
        })
    out.funnel = plot
    out.significant = {"above": [r["unit"] for r in out.ranked if r["signal"] == "above"],
                       "below": [r["unit"] for r in out.ranked if r["signal"] == "below"]}
    out.exemptions = {u: {"pending": scores[u].exemptions_pending, "approved": exempted.get(u, 0)}
                      for u in sorted(scores) if scores[u].exemptions_pending or exempted.get(u)}
    # the N best and N worst, each at most half the ranked units; units tied at the edge together
    out.top, out.bottom = evidence.named(rows, a.top)
    return out


def explain_unit(store, unit: str, month: str | None = None, months: int = 1, level: str | None = None) -> dict:
    """Every assessed case of `unit` in the period with its scheme, its three values and its
    contribution to the score, so the score can be recomputed by hand."""
    from jiesu.index import Index

    catalog = store.catalog
    unit = catalog.unit(unit, "--explain").id
    if level is not None and unit_at_level(catalog, unit, level) != unit:
        raise InvalidInput(_('--explain: {unit} is not ranked at {level} level; leave out --level or give its own').format(unit=unit, level=level))
    level = level or next((lvl for lvl in UNIT_LEVELS if unit_at_level(catalog, unit, lvl) == unit), None)
    if level is None:
        raise InvalidInput(_('--explain: {unit} is not assessed at any level (the centre is not ranked)').format(unit=unit))
    year, mon = _period(store, month, months)
    start, end = period_range(store, year, mon, months)
    recs = _by_unit(catalog, period_records(store, Index(store), (start.timestamp(), end.timestamp())), level).get(unit, [])
    reached = sum(1 for r in recs if r["reached"])
    cases = []
    for r in recs:
        w = r["weights"]
        value = metrics.case_value(r) if r["reached"] else None
        cases.append({
            "id": r["id"], "evaluated": r["evaluated"], "lead": r["lead"], "scheme": r["scheme"], "reached": r["reached"],
            "accept": r.get("accept"), "contact": r.get("contact"), "complete": r.get("complete"),
            "response": metrics.response_value(r) if r["reached"] else None,
            "resolved": r["resolved"] if r["reached"] else None,
            "satisfaction": (r["score"] or 0) / 100 if r["reached"] else None,
            "w_response": w.get("response", 0.0), "w_resolution": w.get("resolution", 0.0),
            "w_satisfaction": w.get("satisfaction", 0.0), "value": value,
            "contribution": 100 * value / reached if value is not None else None,
            "contact_confirmed": r["contacted"] if r["reached"] else None, "discrepancy": bool(r.get("discrepancy")),
            "exemption": r.get("exemption"),
        })
    score = sum(c["contribution"] for c in cases if c["contribution"] is not None) if reached else None
    return {"unit": unit, "level": level, "period": period_label(year, mon, months), "assessed": len(recs),
            "reached": reached, "score": score, "response_weights": dict(catalog.assessment.response), "cases": cases}


def explain(store, case: dict) -> list[str]:
    """How an evaluated case entered its unit's assessment (for `show`)."""
    from jiesu.summary import summarize

    catalog = store.catalog
    row = summarize(case, catalog, store.tz)
    if not row.get("evaluations"):
        return []
    ev = row["evaluations"][-1]
    month = timeutil.load(ev["at"]).astimezone(store.tz).strftime("%Y-%m")
    if row.get("exempt"):
        return [i18n._("not assessed: exempt from assessment (its evaluation of {month} does not count)").format(month=month)]
    if row.get("status") in EXCLUDED:
        return [i18n._("not assessed: the case is {status}").format(status=status_name(row["status"]))]
    rec = record(row, catalog, store.tz)
    lead = rec["lead"]
    if not lead:
        return [i18n._("not assessed: no handling unit (answered by the centre); evaluated {month}").format(month=month)]
    units = [u for u in (unit_at_level(catalog, lead, lvl) for lvl in UNIT_LEVELS) if u]
    lines = [i18n._("assessed in {month} for {unit}").format(month=month, unit=lead)
             + (i18n._(" (and {units})").format(units=", ".join(u for u in units if u != lead)) if len(units) > 1 else "")]
    if not rec["reached"]:
        lines.append(i18n._("complainant not reached: counts in the assessed cases, not in the rates"))
        return lines
    w = rec["weights"]
    rw = catalog.assessment.response
    flags = " + ".join(f"{indicator(k)} {rw[k]:.4g} × {1 if rec[k] else 0}" for k in ("accept", "contact", "complete") if rw.get(k))
    lines.append(i18n._("response (timeliness): {terms} = {value}").format(terms=flags, value=f"{rec['response']:.4f}"))
    parts = [("response", rec["response"]),
             ("resolution", 1.0 if rec["resolved"] else 0.0),
             ("satisfaction", (rec["score"] or 0) / 100),
             ("on_time", 1.0 if rec["on_time"] else 0.0),
             ("acceptance_on_time", 1.0 if rec["accepted_on_time"] else 0.0)]
    terms = [f"{indicator(name)} {w[name]:g} × {value:.4g}" for name, value in parts if w.get(name)]
    value = metrics.case_value(rec)
    lines.append(i18n._("scheme {scheme}: {terms} = {value}").format(scheme=rec["scheme"], terms=" + ".join(terms), value=f"{value:.4f}"))
    lines.append(i18n._("contributes {points} to the mean score of its unit (one of its reached cases)").format(points=f"{100 * value:.2f}"))
    said = i18n._("yes") if rec["contacted"] else i18n._("no")
    lines.append(i18n._("contact confirmed by the caller: {said}").format(said=said)
                 + (i18n._("; the record has a contact: a discrepancy") if rec["discrepancy"] else ""))
    if rec.get("exemption") == "pending":
        lines.append(i18n._("an exemption request is pending: the case counts until the centre approves it"))
    return lines
