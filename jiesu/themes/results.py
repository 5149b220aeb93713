"""A theme's measured results, computed from the index at read time (never stored on cases).

- the cases of a theme: those its scope matches, plus the linked ones;
- requests by **half month** (the 1st–15th, the 16th to the month's end, by the time received in
  the store's zone) from six half months (three months) before the start to now; each half
  month from the start on is compared with the half month at the same place in the three months
  before the start (the first half of the start month with the first of those six, and so on,
  round again after three months);
- response, resolution and satisfaction rates (DESIGN §3, with 95 % Wilson intervals) of the
  cases evaluated in the three months before the start and of those evaluated since;
- checklist progress (done / open / overdue / dropped) per list and per owner;
- the plan and whether its target is met: the last complete half month against the mean half
  month before the start.
Before `theme start` the six half months before now are "before" and this one is "current".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from jiesu import assessment, metrics, timeutil
from jiesu.index import Index
from jiesu.themes import record, scope

BEFORE = 6  # half months before the start
NEWEST = 10


def half_month(day: date) -> date:
    """The first day of the half month holding `day` (the 1st or the 16th)."""
    return day.replace(day=1 if day.day <= 15 else 16)


def next_half(first: date) -> date:
    if first.day == 1:
        return first.replace(day=16)
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_half(first: date) -> date:
    if first.day == 16:
        return first.replace(day=1)
    return (first - timedelta(days=1)).replace(day=16)


def half_months(start: date, stop: date) -> list[date]:
    """First days of the half months from the one holding `start` to the one holding `stop`."""
    out, current = [], half_month(start)
    while current <= stop:
        out.append(current)
        current = next_half(current)
    return out


def _label(first: date) -> str:
    last = next_half(first) - timedelta(days=1)
    return f"{first.isoformat()}…{last.day:02d}"


def _rates(records: list[dict]) -> dict:
    s = metrics.score_unit("theme", records)

    def ci(value):
        return list(value) if value else None

    return {"assessed": s.assessed, "reached": s.reached,
            "response_rate": s.response_rate, "response_ci": ci(s.response_ci),
            "resolution_rate": s.resolution_rate, "resolution_ci": ci(s.resolution_ci),
            "satisfaction_rate": s.satisfaction_rate, "satisfaction_ci": ci(s.satisfaction_ci)}


def theme_rows(store, theme: dict, since: datetime | None = None) -> list[dict]:
    """Index rows of the theme's cases: the scope's (received or evaluated since `since`) and the linked."""
    index = Index(store)
    clause, params = scope.sql(theme.get("scope") or {})
    where = [clause] if clause else []
    if since is not None:
        where.append("(received_ts >= ? OR evaluated_ts >= ?)")
        params = [*params, since.timestamp(), since.timestamp()]
    rows = [r for r in index.rows(" AND ".join(where), params, order="") if scope.matches(theme.get("scope") or {}, r)]
    links = [c for c in (theme.get("state") or {}).get("links") or [] if isinstance(c, str)]
    have = {r["id"] for r in rows}
    wanted = [c for c in links if c not in have]
    if wanted:
        rows += index.rows(f"id IN ({','.join('?' * len(wanted))})", wanted, order="")
    return rows


def checklist(state: dict, now: datetime, tz) -> dict:
    """Progress of the three lists: per list and per owner {done, open, overdue, dropped}, and the items."""
    lists = {name: {"done": 0, "open": 0, "overdue": 0, "dropped": 0} for name in record.LISTS}
    owners: dict = {}
    items = []
    for item in record.items(state):
        due = record.due_end(item.get("due"), tz)
        overdue = item.get("status") == "open" and due is not None and now >= due
        counts = [lists[item["list"]], owners.setdefault(item.get("owner"), {"done": 0, "open": 0, "overdue": 0, "dropped": 0})]
        for c in counts:
            c[item.get("status", "open")] = c.get(item.get("status", "open"), 0) + 1
            c["overdue"] += int(overdue)
        items.append(dict(item, overdue=overdue))
    return {"lists": lists, "owners": [dict(c, owner=o) for o, c in sorted(owners.items(), key=lambda kv: str(kv[0]))],
            "items": items}


def measure(store, theme: dict, now: datetime | None = None) -> dict:
    """Every measured result of one theme at `now` (default the store's now)."""
    tz = store.tz
    now = now or store.now()
    state = theme.get("state") or record.state_block(theme)
    started = timeutil.load(state.get("started")) if state.get("started") else None
    reference = started or now
    first_during = half_month(reference.astimezone(tz).date())
    window = first_during
    for _ in range(BEFORE):
        window = previous_half(window)
    lo = timeutil.local(window, time(0), tz)
    rows = theme_rows(store, theme, lo)
    links = set(state.get("links") or [])
    today = now.astimezone(tz).date()
    halves = half_months(window, today)
    counts = {h: 0 for h in halves}
    for row in rows:
        received = timeutil.load(row.get("received"))
        if received is not None and received >= lo:
            h = half_month(received.astimezone(tz).date())
            if h in counts:
                counts[h] += 1
    before = [h for h in halves if h < first_during]
    series = []
    for position, h in enumerate(halves):
        end = timeutil.local(next_half(h), time(0), tz)
        phase = "before" if h < first_during else ("during" if started else "current")
        entry = {"start": h.isoformat(), "label": _label(h), "phase": phase,
                 "count": counts[h], "complete": end <= now, "compare": None, "change": None}
        if entry["phase"] == "during":
            twin = before[(position - len(before)) % len(before)] if before else None
            if twin is not None:
                entry["compare"] = counts[twin]
                entry["change"] = (counts[h] - counts[twin]) / counts[twin] if counts[twin] else None
        series.append(entry)
    baseline = sum(counts[h] for h in before) / len(before) if before else None
    during = [e for e in series if e["phase"] == "during"]
    # rates: cases evaluated before the start (within the window) and since
    records_before, records_during = [], []
    for row in rows:
        if not row.get("evaluations"):
            continue
        rec = assessment.record(row, store.catalog, tz)
        if rec is None:
            continue
        at = timeutil.load(rec["evaluated"])
        if started is not None and at >= started:
            records_during.append(rec)
        elif at >= lo:
            records_before.append(rec)
    newest = sorted((r for r in rows if scope.matches(theme.get("scope") or {}, r)),
                    key=lambda r: (r.get("received") or "", r["id"]), reverse=True)[:NEWEST]
    return {
        "started": state.get("started"),
        "window_start": timeutil.fmt(lo),
        "as_of": timeutil.fmt(now),
        "series": series,
        "baseline": baseline,
        "during_mean": sum(e["count"] for e in during) / len(during) if during else None,
        "rates": {"before": _rates(records_before), "during": _rates(records_during) if started else None},
        "checklist": checklist(state, now, tz),
        "target": target_status(state.get("plan") or {}, series, baseline, now, tz),
        "linked": [_case(r) for r in sorted((r for r in rows if r["id"] in links), key=lambda r: r["id"])],
        "newest": [_case(r) for r in newest],
        "in_scope": sum(counts.values()),
    }


def _case(row: dict) -> dict:
    return {k: row.get(k) for k in ("id", "title", "status", "category", "street", "received")}


def target_status(plan: dict, series: list[dict], baseline, now: datetime, tz) -> dict | None:
    """Whether the plan's target (a change in percent of requests per half month) is met.

    Measured on the last complete half month since the start (up to the target's day): met when
    its change against the mean half month before the start reaches the target. None without a target.
    """
    if plan.get("target") is None:
        return None
    target = float(plan["target"])
    by = plan.get("target_by")
    limit = timeutil.local(date.fromisoformat(by) + timedelta(days=1), time(0), tz) if by else None
    done = [e for e in series if e["phase"] == "during" and e["complete"]
            and (limit is None or date.fromisoformat(e["start"]) < limit.astimezone(tz).date())]
    if not done or not baseline:
        return {"target": target, "by": by, "measured_on": None, "count": None, "change": None, "met": None,
                "overdue": bool(limit and now >= limit)}
    last = done[-1]
    change = 100.0 * (last["count"] - baseline) / baseline
    met = change <= target if target <= 0 else change >= target
    return {"target": target, "by": by, "measured_on": last["label"], "count": last["count"], "change": change,
            "met": met, "overdue": bool(limit and now >= limit)}


def open_items(store, when: datetime, units=None) -> list[dict]:
    """Open checklist items of live themes (owned by one of `units`, a unit id or a set; all when
    None), overdue first, with how many days late."""
    from jiesu.themes import files

    wanted = {units} if isinstance(units, str) else units
    out = []
    for theme in files.all_themes(store):
        state = theme.get("state") or {}
        if state.get("status") not in ("planned", "active"):
            continue
        for item in record.items(state):
            if item.get("status") != "open" or (wanted is not None and item.get("owner") not in wanted):
                continue
            due = record.due_end(item.get("due"), store.tz)
            late = due is not None and when >= due
            out.append({"theme": theme["id"], "theme_title": theme.get("title"), "list": item["list"],
                        "item": item["id"], "text": item.get("text"), "owner": item.get("owner"), "due": item.get("due"),
                        "overdue": late, "days_late": (when - due).days + 1 if late else None})
    out.sort(key=lambda i: (not i["overdue"], i["due"] or "9999", i["theme"], i["item"]))
    return out
