"""The governance parts of the reports: the daily early warning, the weekly summary, and the
office-wide rates, trend and dissatisfaction shares of the monthly report."""

from __future__ import annotations

from datetime import datetime, timedelta

from jiesu import metrics, queries, timeutil
from jiesu.governance import callers as callers_mod
from jiesu.governance import hotspots as spots
from jiesu.governance import periods, settings
from jiesu.governance.stats import assessment_records, stats
from jiesu.index import Index


def _hot(rows) -> list[dict]:
    return [{"key": r["key"], "count": r["count"], "expected": r["expected"], "ratio": r["ratio"],
             "q_value": r["q_value"], "newest": [n["id"] for n in r["newest"]]} for r in rows]


def _callers(rows, limit=None) -> list[dict]:
    """Repeat callers as reports show them: masked phone, counts, never a name or a reference."""
    return [{"caller": r["caller"], "requests": r["requests"], "open": len(r["open"]),
             "categories": r["categories"], "streets": r["streets"]} for r in rows[:limit]]


def early_warning(store, start: datetime, end: datetime) -> dict:
    """{hotspots, clusters, callers} of the day [start, end): hot spots at the day's end that were
    not hot at the end of the day before, address clusters and repeat callers with a request that day."""
    last = timeutil.fmt(end - timedelta(seconds=1))
    today = spots.hotspots(store, as_of=last)["rows"]
    before = {r["key"] for r in spots.hotspots(store, as_of=timeutil.fmt(start - timedelta(seconds=1)))["rows"]}
    ids = {i for (i,) in Index(store).select("id", "received_ts >= ? AND received_ts < ?",
                                             (start.timestamp(), end.timestamp()), order="")}
    clusters = [{"address": c["address"], "count": c["count"], "open": c["open"], "streets": c["streets"]}
                for c in spots.clusters(store, as_of=last)["rows"] if ids & {n["id"] for n in c["newest"]}]
    conf = settings.load(store)["callers"]
    repeat = callers_mod.day_callers(store, start, end, conf["window_days"], 3)
    return {"hotspots": _hot([r for r in today if r["key"] not in before]), "clusters": clusters,
            "callers": _callers(repeat)}


def _compare(now_rows, prev_rows, dim, name) -> list[dict]:
    prev = {r["group"][dim]: r["received"] for r in prev_rows}
    out = []
    for r in now_rows:
        code = r["group"][dim]
        out.append({"code": code, "name": name(code), "count": r["received"], "prev_count": prev.get(code, 0),
                    "change": r["received"] - prev.get(code, 0), "reached": r["reached"],
                    "resolution_rate": r["resolution_rate"], "satisfaction_rate": r["satisfaction_rate"],
                    "dissatisfied_share": r["dissatisfied_share"]})
    return out


def weekly(store, week: str | None, lang: str) -> dict:
    """The figures of the weekly summary of ISO week `week` (default: the last complete week)."""
    if week:
        monday = periods.parse_week(week)
    else:
        today = store.now().astimezone(store.tz).date()
        monday = today - timedelta(days=today.weekday() + 7)
    label, prev_label = periods.week_label(monday), periods.week_label(monday - timedelta(days=7))
    start, end, _ = periods.period(store, week=label)
    catalog = store.catalog

    def name(table):
        return lambda code: catalog.name(table, code, lang) if code and code != "—" else "—"

    out = {"week": label, "previous_week": prev_label, "start": timeutil.fmt(start), "end": timeutil.fmt(end)}
    for dim, table, kwargs in (("category", "categories", {"level": 1}), ("district", "units", {})):
        now_rows = stats(store, [dim], week=label, **kwargs)
        prev_rows = stats(store, [dim], week=prev_label, **kwargs)
        out["total"], out["total_prev"] = now_rows["total"], prev_rows["total"]
        out[f"by_{dim}"] = _compare(now_rows["rows"], prev_rows["rows"], dim, name(table))
    last = timeutil.fmt(end - timedelta(seconds=1))
    out["hotspots"] = _hot(spots.hotspots(store, as_of=last, days=7)["rows"])
    out["clusters"] = [{"address": c["address"], "count": c["count"], "open": c["open"], "streets": c["streets"]}
                       for c in spots.clusters(store, as_of=last, days=7)["rows"]]
    out["callers"] = _callers(callers_mod.callers(store, 7, 2, last)["rows"], 10)
    out["overdue"] = len(queries.overdue(store, as_of=last)["overdue"])
    out.update(_knowledge(store, monday))
    return out


def _knowledge(store, monday) -> dict:
    """The knowledge base's entries to review and those whose answers bring callers back."""
    from jiesu.knowledge import usage

    figures = usage.usage(store, since=monday - timedelta(days=21), until=monday + timedelta(days=6))
    stale = [{k: r[k] for k in ("id", "version", "question", "review_by", "valid_until")} for r in usage.past_review(store)]
    worst = [{k: r[k] for k in ("id", "question", "answered", "repeat", "repeat_rate", "dissatisfied")}
             for r in usage.worst(figures) if r["repeat"]]
    return {"kb_stale": stale, "kb_worst": worst}


def _office_month(store, index, year: int, month: int) -> dict:
    from jiesu.assessment import month_range

    start, end = month_range(store, year, month)
    found = index.select("id, assess", "evaluated_ts >= ? AND evaluated_ts < ?", (start.timestamp(), end.timestamp()), order="")
    score = metrics.score_unit("office", list(assessment_records(store, index, found).values()))
    return {"month": f"{year:04d}-{month:02d}", "reached": score.reached, "response_rate": score.response_rate,
            "resolution_rate": score.resolution_rate, "satisfaction_rate": score.satisfaction_rate}


def office(store, year: int, month: int) -> dict:
    """The office-wide rates of a month (DESIGN §3 over every assessed case) and the 12 months to it."""
    index = Index(store)
    months = []
    y, m = year, month
    for _ in range(12):
        months.append((y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    trend = [_office_month(store, index, y, m) for y, m in reversed(months)]
    return dict(trend[-1], trend=trend)


def shares(store, month: str, lang: str) -> dict:
    """{by_tag, by_category}: volume and share of the dissatisfied follow-ups of the requests
    received in the month, by tag and by level-1 category."""
    catalog = store.catalog
    out = {}
    for dim, table, level in (("tag", "tags", 3), ("category", "categories", 1)):
        rows = stats(store, [dim], level, month=month)["rows"]
        out[f"by_{dim}"] = [{"code": r["group"][dim],
                             "name": catalog.name(table, r["group"][dim], lang) if r["group"][dim] != "—" else "—",
                             "received": r["received"], "share": r["share"], "dissatisfied": r["dissatisfied"],
                             "dissatisfied_share": r["dissatisfied_share"]} for r in rows]
    return out
