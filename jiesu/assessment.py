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

from jiesu import clock, metrics, timeutil
from jiesu.catalog import LOCAL_KINDS
from jiesu.errors import InvalidInput

LEVELS = ("street", "district", "department")
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


def record(row: dict, catalog, tz) -> dict | None:
    """A case's assessment record for its latest evaluation (None when it is not assessed)."""
    if row.get("exempt") or row.get("status") in EXCLUDED or not row.get("evaluations"):
        return None
    ev = row["evaluations"][-1]
    at = timeutil.load(ev["at"])
    scheme = catalog.scheme_for(row.get("tags") or [])
    weights = catalog.assessment.schemes[scheme].weights if scheme in catalog.assessment.schemes else {}
    level = catalog.assessment.satisfaction.get(ev.get("satisfaction"))
    # the close before this evaluation, against the due time then
    closed_at, due_then = None, None
    for when, status, due, _ in row.get("timeline") or []:
        if timeutil.load(when) > at:
            break
        if status == "closed":
            closed_at, due_then = timeutil.load(when), timeutil.load(due)
    tclass = catalog.classes.get(row.get("time_limit"))
    accepted_on_time = False
    assigns = [a for a in row.get("assigns") or [] if timeutil.load(a["at"]) <= at]
    if assigns and assigns[-1].get("accepted") and tclass and tclass.accept_within is not None:
        last = assigns[-1]
        spent = clock.elapsed(timeutil.load(last["at"]), timeutil.load(last["accepted"]), tclass, catalog.calendar, tz)
        accepted_on_time = spent <= tclass.accept_within
    return {
        "id": row["id"], "lead": ev.get("lead"), "evaluated": ev["at"], "reached": bool(ev.get("reached")),
        "contacted": bool(ev.get("contacted")), "resolved": bool(ev.get("resolved")),
        "satisfaction": ev.get("satisfaction"), "score": level.score if level else None,
        "scheme": scheme, "weights": weights,
        "on_time": closed_at is not None and due_then is not None and closed_at <= due_then,
        "accepted_on_time": accepted_on_time,
    } | untimed_flags(tclass)


def untimed_flags(tclass) -> dict:
    """A case of a class without a time limit (`none`) is never late: it has no on-time flags,
    and the on-time rates leave it out (None is skipped by `metrics.score_unit`)."""
    if tclass is None or tclass.limit is not None:
        return {}
    return {"on_time": None, "accepted_on_time": None}


@dataclass
class Ranking:
    """One month's ranking at one level (the context of `rank` and of the monthly report)."""

    month: str
    level: str
    min_cases: int
    ranked: list = field(default_factory=list)
    not_ranked: list = field(default_factory=list)
    top: list = field(default_factory=list)
    bottom: list = field(default_factory=list)
    tie_groups: list = field(default_factory=list)
    previous_month: str = ""

    def as_dict(self) -> dict:
        return {
            "month": self.month, "level": self.level, "min_cases": self.min_cases,
            "previous_month": self.previous_month, "ranked": self.ranked, "not_ranked": self.not_ranked,
            "top": self.top, "bottom": self.bottom, "tie_groups": self.tie_groups,
        }


def _scores(store, index, year, month, level) -> tuple[dict, dict]:
    catalog = store.catalog
    start, end = month_range(store, year, month)
    span = (start.timestamp(), end.timestamp())
    # records worked out when each case was indexed; a row whose record could not be is redone here
    found = [blob for (blob,) in index.select("assess", "evaluated_ts >= ? AND evaluated_ts < ?", span, order="")]
    records = [marshal.loads(blob) for blob in found if blob is not None]
    if None in found:
        redo = index.rows("evaluated_ts >= ? AND evaluated_ts < ? AND assess IS NULL", span, order="")
        records += [record(row, catalog, store.tz) for row in redo]
    records = sorted((r for r in records if r is not None), key=lambda r: r["id"])
    by_unit: dict = {u: [] for u in level_units(catalog, level)}
    for rec in records:
        unit = unit_at_level(catalog, rec["lead"], level)
        if unit is not None:
            by_unit.setdefault(unit, []).append(rec)
    return {u: metrics.score_unit(u, recs) for u, recs in by_unit.items()}, by_unit


def volumes(store, index, year, month, level) -> dict:
    """Cases received in the month located in each unit (departments: led by it)."""
    start, end = month_range(store, year, month)
    counts: dict = {}
    column = {"street": "street", "district": "district", "department": "lead"}[level]
    for unit, n in index.select(f"{column}, COUNT(*)", "received_ts >= ? AND received_ts < ?",
                                (start.timestamp(), end.timestamp()), order="", group=column):
        if unit:
            counts[unit] = n
    return counts


def ranking(store, month: str | None = None, level: str | None = None) -> Ranking:
    """The assessment ranking of `month` (YYYY-MM; default the last complete month) at `level`."""
    from jiesu.store.index import Index

    catalog = store.catalog
    a = catalog.assessment
    level = level or a.level
    if level not in LEVELS:
        raise InvalidInput(f"--level: {level!r}; allowed: {', '.join(LEVELS)}")
    year, mon = timeutil.parse_month(month) if month else default_month(store)
    index = Index(store)
    scores, _ = _scores(store, index, year, mon, level)
    py, pm = previous_month(year, mon)
    prev_scores, _ = _scores(store, index, py, pm, level)
    prev_rows, _ = metrics.rank(list(prev_scores.values()), a.min_cases)
    prev_rank = {r["unit"]: r["rank"] for r in prev_rows}
    rows, not_ranked = metrics.rank(list(scores.values()), a.min_cases)
    tied_with, groups = metrics.ties(rows)
    volume = volumes(store, index, year, mon, level)
    out = Ranking(f"{year:04d}-{mon:02d}", level, a.min_cases, previous_month=f"{py:04d}-{pm:02d}", tie_groups=groups)
    for row in rows:
        s = row["scores"]
        unit = catalog.units[s.unit]
        prev = prev_rank.get(s.unit)
        change = prev - row["rank"] if prev is not None else None
        out.ranked.append({
            "unit": s.unit, "name": unit.name, "rank": row["rank"], "score": s.score,
            "response_rate": s.response_rate, "resolution_rate": s.resolution_rate,
            "satisfaction_rate": s.satisfaction_rate, "on_time_rate": s.on_time_rate,
            "assessed": s.assessed, "reached": s.reached, "prev_rank": prev, "change": change,
            "band": metrics.band(row["better"], row["worse"], change, s.score, a.bands),
            "tied_with": tied_with[s.unit],
            "acceptance_on_time_rate": s.acceptance_on_time_rate, "score_se": s.score_se,
            "score_ci": list(s.score_ci) if s.score_ci else None,
            "response_ci": list(s.response_ci) if s.response_ci else None,
            "resolution_ci": list(s.resolution_ci) if s.resolution_ci else None,
            "satisfaction_ci": list(s.satisfaction_ci) if s.satisfaction_ci else None,
            "volume": volume.get(s.unit, 0), "population": unit.population,
            "volume_per_10k": metrics.per_10k(volume.get(s.unit, 0), unit.population),
            "schemes": s.schemes,
        })
    for s in not_ranked:
        unit = catalog.units[s.unit]
        out.not_ranked.append({
            "unit": s.unit, "name": unit.name, "assessed": s.assessed, "reached": s.reached,
            "score": s.score, "volume": volume.get(s.unit, 0), "population": unit.population,
            "volume_per_10k": metrics.per_10k(volume.get(s.unit, 0), unit.population),
            "why": "no reached follow-up" if s.reached == 0 else f"n = {s.reached} < {a.min_cases}",
        })
    # the N best and N worst; units tied at the edge are named together
    out.top = [r["unit"] for r in rows if r["better"] < a.top]
    out.bottom = [r["unit"] for r in reversed(rows) if r["worse"] < a.top]
    return out


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
        return [f"not assessed: exempt from assessment (its evaluation of {month} does not count)"]
    if row.get("status") in EXCLUDED:
        return [f"not assessed: the case is {row['status']}"]
    rec = record(row, catalog, store.tz)
    lead = rec["lead"]
    if not lead:
        return [f"not assessed: no handling unit (answered by the centre); evaluated {month}"]
    units = [u for u in (unit_at_level(catalog, lead, lvl) for lvl in LEVELS) if u]
    lines = [f"assessed in {month} for {lead}" + (f" (and {', '.join(u for u in units if u != lead)})" if len(units) > 1 else "")]
    if not rec["reached"]:
        lines.append("complainant not reached: counts in the assessed cases, not in the rates")
        return lines
    w = rec["weights"]
    parts = [("response", "contacted", 1.0 if rec["contacted"] else 0.0),
             ("resolution", "resolved", 1.0 if rec["resolved"] else 0.0),
             ("satisfaction", rec["satisfaction"], (rec["score"] or 0) / 100),
             ("on_time", "closed on time", 1.0 if rec["on_time"] else 0.0),
             ("acceptance_on_time", "accepted on time", 1.0 if rec["accepted_on_time"] else 0.0)]
    terms = [f"{name} {w[name]:g} × {value:g}" for name, _, value in parts if w.get(name)]
    value = metrics.case_value(rec)
    lines.append(f"scheme {rec['scheme']}: " + " + ".join(terms) + f" = {value:.4f}")
    lines.append(f"contributes {100 * value:.2f} to the mean score of its unit (one of its reached cases)")
    lines.append(f"closed on time: {'yes' if rec['on_time'] else 'no'}; accepted on time: {'yes' if rec['accepted_on_time'] else 'no'}")
    return lines
