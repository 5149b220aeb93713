"""`jiesu stats`: counts and rates of the requests received in a period, grouped by any dimension.

The requests counted are those *received* in the period. For each group: how many were received
and their share of all received, how many are closed and closed late, how many are open and past
due now, how many follow-ups reached the caller, the response / resolution / satisfaction rates
over those (DESIGN §3, worked out by `jiesu.metrics` from each case's assessment record), the
group's share of all dissatisfied follow-ups, and the median hours from receipt to close. A case
with several tags (or flags) counts once under each.
"""

from __future__ import annotations

import statistics
from datetime import datetime

from jiesu import metrics
from jiesu.errors import UsageMistake
from jiesu.governance import periods
from jiesu.i18n import _
from jiesu.index import NOT_ASSESSED, Index
from jiesu.workflow import OPEN

DIMENSIONS = ("category", "district", "street", "community", "lead", "type", "channel", "kind", "tag", "limit",
              "status", "flag", "weekday", "hour")
MULTI = ("tag", "flag")  # a case may count under several values
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NONE = "—"
# the index columns read, in this order
_COLUMNS = ("id", "category", "district", "street", "community", "lead", "type", "channel", "kind", "tags",
            "limit_class", "status", "flags", "dow", "hour", "received_ts", "closed_ts", "closed_late", "due_ts", "assess")


def dissatisfied_levels(catalog) -> set[str]:
    """The satisfaction levels that count as dissatisfied: those scoring below 50 (by default
    dissatisfied and very dissatisfied)."""
    return {code for code, level in catalog.assessment.satisfaction.items() if level.score < 50}


def check_dimensions(by, level) -> tuple[list[str], int]:
    dims = [d.strip() for item in by for d in str(item).split(",") if d.strip()] or ["category"]
    for dim in dims:
        if dim not in DIMENSIONS:
            raise UsageMistake(_('--by: unknown dimension {dim!r}; allowed: {items}').format(dim=dim, items=', '.join(DIMENSIONS)))
    if len(set(dims)) != len(dims):
        raise UsageMistake(_('--by: {items} names a dimension twice').format(items=', '.join(dims)))
    if level not in (1, 2, 3):
        raise UsageMistake(_('--level: {level!r}; allowed: 1, 2, 3').format(level=level))
    return dims, level


def _values(dim: str, r: dict, level: int) -> list[str]:
    if dim == "category":
        code = r["category"]
        return [".".join(code.split(".")[:level]) if code else NONE]
    if dim in MULTI:
        text = r["tags"] if dim == "tag" else r["flags"]
        return [v for v in (text or "").split("|") if v] or [NONE]
    if dim == "weekday":
        return [WEEKDAYS[r["dow"]] if r["dow"] is not None else NONE]
    if dim == "hour":
        return [f"{r['hour']:02d}" if r["hour"] is not None else NONE]
    column = {"limit": "limit_class"}.get(dim, dim)
    return [r[column] or NONE]


def _combos(dims, r, level) -> list[tuple]:
    combos = [()]
    for dim in dims:
        combos = [c + (v,) for c in combos for v in _values(dim, r, level)]
    return combos


def _order(dim: str, value: str):
    if dim == "weekday" and value in WEEKDAYS:
        return (0, WEEKDAYS.index(value), "")
    return (1 if value == NONE else 0, 0, value)


def stats(store, by=(), level: int = 3, since=None, until=None, month=None, week=None, days=None,
          trend: str | None = None, progress_factory=None) -> dict:
    """{period, by, trend, total, dissatisfied, rows: [...]}: the figures of every group (and, with
    `trend`, of every group in every day, ISO week or month of the period)."""
    dims, level = check_dimensions(by, level)
    if trend is not None and trend not in periods.TRENDS:
        raise UsageMistake(_('--trend: {trend!r}; allowed: {items}').format(trend=trend, items=', '.join(periods.TRENDS)))
    start, end, label = periods.period(store, since, until, month, week, days)
    where, params = [], []
    if start is not None:
        where.append("received_ts >= ?")
        params.append(start.timestamp())
    if end is not None:
        where.append("received_ts < ?")
        params.append(end.timestamp())
    index = Index(store)
    found = index.select_named(_COLUMNS, " AND ".join(where), params, order="", progress_factory=progress_factory)
    records = assessment_records(store, index, found)
    bad = dissatisfied_levels(store.catalog)
    now = store.now().timestamp()
    tz = store.tz
    groups: dict = {}
    total = dissatisfied_total = 0
    for values in found:
        r = dict(zip(_COLUMNS, values))
        total += 1
        rec = records.get(r["id"])
        unhappy = bool(rec and rec["reached"] and rec["satisfaction"] in bad)
        dissatisfied_total += unhappy
        bucket = periods.bucket_label(datetime.fromtimestamp(r["received_ts"], tz), trend) if trend else None
        for combo in _combos(dims, r, level):
            g = groups.get((bucket, combo))
            if g is None:
                g = groups[(bucket, combo)] = {"received": 0, "closed": 0, "closed_late": 0, "open_overdue": 0,
                                               "records": [], "dissatisfied": 0, "hours": []}
            g["received"] += 1
            if r["closed_ts"] is not None:
                g["closed"] += 1
                g["closed_late"] += r["closed_late"] or 0
                g["hours"].append((r["closed_ts"] - r["received_ts"]) / 3600)
            if r["status"] in OPEN and r["due_ts"] is not None and r["due_ts"] < now:
                g["open_overdue"] += 1
            if rec is not None:
                g["records"].append(rec)
                g["dissatisfied"] += unhappy
    rows = [_row(dims, bucket, combo, g, total, dissatisfied_total) for (bucket, combo), g in groups.items()]
    rows.sort(key=lambda row: (row.get("period") or "", -row["received"] if not trend else 0,
                               [_order(d, row["group"][d]) for d in dims]))
    if trend and start is not None and end is not None:
        rows = _fill(rows, dims, periods.buckets(start, end, trend, tz))
    return {"period": {"label": label, "since": start.isoformat() if start else None,
                       "until": end.isoformat() if end else None},
            "by": dims, "level": level, "trend": trend, "total": total, "dissatisfied": dissatisfied_total,
            "multi": [d for d in dims if d in MULTI], "rows": rows}


def assessment_records(store, index, found, id_at: int = 0, blob_at: int = -1) -> dict:
    """id → assessment record (see `jiesu.assessment.record`) of index rows holding a case id and
    its `assess` column, for the cases whose follow-up is assessed; a record the index could not
    work out is worked out again from the case's row."""
    from jiesu import assessment

    out, redo = {}, []
    for values in found:
        blob = values[blob_at]
        if blob == NOT_ASSESSED:
            continue
        if blob is None:
            redo.append(values[id_at])
            continue
        rec = index.unpack_assess(blob, values[id_at])
        if rec is not None:
            out[values[id_at]] = rec
    for start in range(0, len(redo), 500):
        part = redo[start:start + 500]
        for row in index.rows(f"id IN ({','.join('?' * len(part))})", part, order=""):
            rec = assessment.record(row, store.catalog, store.tz)
            if rec is not None:
                out[row["id"]] = rec
    return out


def _row(dims, bucket, combo, g, total, dissatisfied_total) -> dict:
    score = metrics.score_unit("|".join(combo), g["records"])
    row = {"period": bucket} if bucket is not None else {}
    row.update({
        "group": dict(zip(dims, combo)),
        "received": g["received"], "share": g["received"] / total if total else None,
        "closed": g["closed"], "closed_late": g["closed_late"], "open_overdue": g["open_overdue"],
        "reached": score.reached,
        "response_rate": score.response_rate, "resolution_rate": score.resolution_rate,
        "satisfaction_rate": score.satisfaction_rate,
        "response_ci": list(score.response_ci) if score.response_ci else None,
        "resolution_ci": list(score.resolution_ci) if score.resolution_ci else None,
        "satisfaction_ci": list(score.satisfaction_ci) if score.satisfaction_ci else None,
        "dissatisfied": g["dissatisfied"],
        "dissatisfied_share": g["dissatisfied"] / dissatisfied_total if dissatisfied_total else None,
        "median_hours_to_close": round(statistics.median(g["hours"]), 2) if g["hours"] else None,
    })
    return row


def _fill(rows, dims, labels) -> list[dict]:
    """A series with every bucket of the period, a bucket without requests as a row of zeros."""
    by_bucket: dict = {}
    for row in rows:
        by_bucket.setdefault(row["period"], []).append(row)
    out = []
    for label in labels:
        out += by_bucket.get(label) or [{"period": label, "group": {d: None for d in dims}, "received": 0, "share": None,
                                        "closed": 0, "closed_late": 0, "open_overdue": 0, "reached": 0,
                                        "response_rate": None, "resolution_rate": None, "satisfaction_rate": None,
                                        "response_ci": None, "resolution_ci": None, "satisfaction_ci": None,
                                        "dissatisfied": 0, "dissatisfied_share": None, "median_hours_to_close": None}]
    return out
