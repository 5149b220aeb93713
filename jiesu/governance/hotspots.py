"""Hot spots and address clusters: what is rising, and where.

For each key (category × street by default) the requests received in the window — the
`window_days` days up to and including the instant `--as-of` — are counted and set against the count the baseline leads us
to expect. With a window of at most a week the baseline is the same span in each of the
`baseline_weeks` weeks before (so the same weekdays), and expected = baseline count ÷ weeks;
with a longer window it is the `baseline_weeks` × 7 days before the window, scaled by
window days ÷ baseline days. A key never seen in the baseline is taken to have had half a request
there, so a first appearance is not infinitely surprising.

A key is a hot spot when its count is at least `min_count`, and the exact one-sided Poisson test
P(X ≥ count | expected) is small enough after the Benjamini–Hochberg procedure over every key
tested (every key with a request in the window or the baseline) to keep the false discovery
rate at `q`. Rejected and merged requests are not counted.

An address cluster is an address (by its normalised key) with at least `cluster_count` requests
in the last `cluster_days` days.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from jiesu import timeutil
from jiesu.errors import InvalidInput, UsageMistake
from jiesu.governance import settings
from jiesu.governance.keys import format_key
from jiesu.i18n import _
from jiesu.index import TITLE_SQL, Index

DIMENSIONS = ("category", "district", "street", "community", "address")
DEFAULT_BY = ("category", "street")
_COLUMN = {"address": "address_key"}
COUNTED = "status NOT IN ('rejected', 'merged')"
NEWEST = 5


def poisson_sf(count: int, mean: float) -> float:
    """P(X ≥ count) for X ~ Poisson(mean), exact (summed term by term in log space)."""
    if count <= 0:
        return 1.0
    if mean <= 0:
        return 0.0

    def term(k):
        return math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1))

    if count <= mean:  # the lower part is the shorter sum
        return max(0.0, min(1.0, 1.0 - sum(term(k) for k in range(count))))
    total, k, t = 0.0, count, term(count)
    while t > 0 and (t > total * 1e-17 or k < mean):
        total += t
        k += 1
        t *= mean / k
    return min(1.0, total)


def bh_qvalues(pvalues: list[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (q-values), in the order given."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    q = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        q[i] = min(1.0, running)
    return q


def parse_by(by: str | None) -> tuple[str, ...]:
    dims = tuple(d.strip() for d in (by or ",".join(DEFAULT_BY)).split(",") if d.strip())
    for dim in dims:
        if dim not in DIMENSIONS:
            raise UsageMistake(_('--by: unknown dimension {dim!r}; allowed: {items} (one or two, comma-separated)').format(dim=dim, items=', '.join(DIMENSIONS)))
    if not 1 <= len(dims) <= 2 or len(set(dims)) != len(dims):
        raise UsageMistake(_('--by: {by!r}; give one or two different dimensions, e.g. category,street').format(by=by))
    return dims


def options(store, as_of=None, days=None, weeks=None, min_count=None, q=None, level=None) -> dict:
    """The parameters of a run: governance.yaml's, overridden by what was given, checked."""
    conf = dict(settings.load(store)["hotspots"])
    for key, value in (("window_days", days), ("baseline_weeks", weeks), ("min_count", min_count), ("q", q), ("level", level)):
        if value is not None:
            try:
                conf[key] = settings.check(f"--{key.replace('_', '-')}", key, value)
            except InvalidInput as exc:
                raise UsageMistake(exc.message) from None
    if conf["window_days"] > 7 * conf["baseline_weeks"]:
        raise UsageMistake(_('--days: a window of {window_days} days is longer than the baseline of {baseline_weeks} weeks; allowed: at most {n} days').format(window_days=conf['window_days'], baseline_weeks=conf['baseline_weeks'], n=7 * conf['baseline_weeks']))
    conf["as_of"] = timeutil.parse_time(as_of, store.tz, "--as-of") if as_of else store.now()
    return conf


def _spans(end: datetime, days: int, weeks: int) -> tuple[datetime, list[tuple[float, float]], float]:
    """(window start, baseline spans as timestamps, factor turning a baseline count into an expectation)."""
    start = end - timedelta(days=days)
    week = timedelta(days=7)
    if days <= 7:
        spans = [((start - k * week).timestamp(), (end - k * week).timestamp()) for k in range(1, weeks + 1)]
        return start, spans, 1.0 / weeks
    return start, [((start - weeks * week).timestamp(), start.timestamp())], days / (7.0 * weeks)


def _value(dim, level, values):
    if dim == "category" and values["category"]:
        return ".".join(values["category"].split(".")[:level])
    return values[_COLUMN.get(dim, dim)]


def hotspots(store, by: str | None = None, as_of=None, days=None, weeks=None, min_count=None, q=None, level=None,
             everything: bool = False) -> dict:
    """{as_of, window, baseline, by, tested, rows}: the hot spots (or, with `everything`, every
    key tested), most significant first."""
    dims = parse_by(by)
    conf = options(store, as_of, days, weeks, min_count, q, level)
    end = conf["as_of"]
    start, spans, factor = _spans(end, conf["window_days"], conf["baseline_weeks"])
    grouped = sorted({_COLUMN.get(d, d) for d in dims})
    index = Index(store)
    t0, t1 = start.timestamp(), end.timestamp()
    db = index.connect()
    try:
        # the window's requests one by one (their ids name the newest); the baseline's, which are
        # weeks of them, counted by SQLite per value of the columns (the spans never meet the window)
        columns = ["id", "received_ts"] + grouped
        found = index.select(", ".join(columns), f"{COUNTED} AND received_ts > ? AND received_ts <= ?", (t0, t1),
                             order="", db=db)
        spans_sql = " OR ".join(["(received_ts > ? AND received_ts <= ?)"] * len(spans))
        counted = index.select(", ".join(grouped) + ", COUNT(*)", f"{COUNTED} AND ({spans_sql})",
                               [t for span in spans for t in span], order="", group=", ".join(grouped), db=db)
    finally:
        db.close()
    window: dict = {}
    baseline: dict = {}
    for values in found:
        r = dict(zip(columns, values))
        key = tuple(_value(d, conf["level"], r) for d in dims)
        if any(v is None for v in key):
            continue  # a request without a category or location cannot be placed
        window.setdefault(key, []).append((r["received_ts"], r["id"]))
    for *values, n in counted:
        r = dict(zip(grouped, values))
        key = tuple(_value(d, conf["level"], r) for d in dims)
        if not any(v is None for v in key):
            baseline[key] = baseline.get(key, 0) + n
    keys = sorted(set(window) | set(baseline))
    rows = []
    for key in keys:
        count = len(window.get(key, ()))
        seen = baseline.get(key, 0)
        expected = max(seen, 0.5) * factor
        rows.append({"key": format_key(zip(dims, key)), "group": dict(zip(dims, key)), "count": count,
                     "baseline": seen, "expected": round(expected, 4), "ratio": round(count / expected, 2),
                     "p_value": poisson_sf(count, expected)})
    for row, qv in zip(rows, bh_qvalues([r["p_value"] for r in rows])):
        row["q_value"] = qv
        row["hot"] = row["count"] >= conf["min_count"] and qv <= conf["q"] and row["count"] > row["expected"]
    rows.sort(key=lambda r: (r["q_value"], r["p_value"], -r["count"], r["key"]))
    rows = rows if everything else [r for r in rows if r["hot"]]
    newest = {row["key"]: [i for _, i in sorted(window.get(tuple(row["group"].values()), ()), reverse=True)[:NEWEST]]
              for row in rows}
    wanted = sorted({i for ids in newest.values() for i in ids})
    titles = {}
    for at in range(0, len(wanted), 500):
        part = wanted[at:at + 500]
        titles.update(index.select(f"id, {TITLE_SQL}", f"id IN ({','.join('?' * len(part))})", part, order=""))
    for row in rows:
        row["newest"] = [{"id": i, "title": titles.get(i)} for i in newest[row["key"]]]
    return {
        "as_of": timeutil.fmt(end), "by": list(dims), "level": conf["level"],
        "window": {"start": timeutil.fmt(start), "end": timeutil.fmt(end), "days": conf["window_days"]},
        "baseline": {"weeks": conf["baseline_weeks"], "same_weekdays": conf["window_days"] <= 7},
        "min_count": conf["min_count"], "q": conf["q"], "tested": len(window.keys() | baseline.keys()),
        "rows": rows,
    }


def clusters(store, as_of=None, days=None, count=None) -> dict:
    """{as_of, days, min_count, rows}: addresses with at least `count` requests in the `days` days
    up to `as_of`, most requests first (defaults from governance.yaml)."""
    conf = settings.load(store)["clusters"]
    days = days if days is not None else conf["cluster_days"]
    count = count if count is not None else conf["cluster_count"]
    end = timeutil.parse_time(as_of, store.tz, "--as-of") if as_of else store.now()
    start = end - timedelta(days=days)
    found = Index(store).select(
        f"address_key, id, received_ts, {TITLE_SQL}, street, category, status",
        f"{COUNTED} AND received_ts > ? AND received_ts <= ? AND address_key IN "
        f"(SELECT address_key FROM cases WHERE {COUNTED} AND received_ts > ? AND received_ts <= ? AND address_key IS NOT NULL "
        f"GROUP BY address_key HAVING COUNT(*) >= ?)",
        (start.timestamp(), end.timestamp(), start.timestamp(), end.timestamp(), count), order="received_ts DESC, id DESC")
    groups: dict = {}
    for key, case_id, ts, title, street, category, status in found:
        g = groups.setdefault(key, {"address": key, "key": format_key([("address", key)]), "count": 0, "streets": [],
                                    "categories": [], "open": 0, "newest": []})
        g["count"] += 1
        g["open"] += status in ("received", "dispatched", "accepted")
        for field, value in (("streets", street), ("categories", category)):
            if value and value not in g[field]:
                g[field].append(value)
        if len(g["newest"]) < NEWEST:
            g["newest"].append({"id": case_id, "title": title, "received": timeutil.fmt(datetime.fromtimestamp(ts, store.tz))})
    rows = sorted(groups.values(), key=lambda g: (-g["count"], g["address"]))
    return {"as_of": timeutil.fmt(end), "days": days, "min_count": count, "rows": rows}
