"""Questions asked of many cases at once (`list`, `overdue`), answered from the index."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from jiesu import clock, clocks, timeutil
from jiesu.errors import InvalidInput
from jiesu.store.index import OPEN, Index
from jiesu.summary import status_at
from jiesu.workflow import STATUSES

LIST_KEYS = ("id", "status", "title", "type", "category", "district", "street", "lead", "received", "due", "closed", "overdue")


def day_bounds(store, since, until):
    lo = hi = None
    if since:
        lo = datetime.combine(timeutil.parse_date(since, "--since"), time(0), store.tz).timestamp()
    if until:
        hi = datetime.combine(timeutil.parse_date(until, "--until") + timedelta(days=1), time(0), store.tz).timestamp()
    return lo, hi


def received_between(store, since, until, where: list, params: list) -> None:
    """Add the index conditions for "received on a day from `since` to `until`" (either may be None)."""
    lo, hi = day_bounds(store, since, until)
    if lo is not None:
        where.append("received_ts >= ?")
        params.append(lo)
    if hi is not None:
        where.append("received_ts < ?")
        params.append(hi)


def unit_scope(store, unit: str | None) -> set[str] | None:
    if not unit:
        return None
    store.catalog.unit(unit, "--unit")
    return store.catalog.units_under(unit)


def list_cases(store, statuses=(), unit=None, district=None, category=None, since=None, until=None,
               overdue=False, limit=None, with_clocks=False) -> list[dict]:
    """Cases matching every filter, oldest first, as LIST_KEYS dicts (plus clocks if asked)."""
    for s in statuses:
        if s not in STATUSES:
            raise InvalidInput(f"--status: unknown status {s!r}; allowed: {', '.join(STATUSES)}")
    if district:
        found = store.catalog.unit(district, "--district")
        if found.kind != "district":
            raise InvalidInput(f"--district: {district} is a {found.kind}, not a district")
    if category:
        if category not in store.catalog.categories:
            raise InvalidInput(f"--category: unknown category {category!r}; see `jiesu catalog categories`")
    scope = unit_scope(store, unit)
    where, params = [], []
    if statuses:
        where.append(f"status IN ({','.join('?' * len(statuses))})")
        params += list(statuses)
    if district:
        where.append("district = ?")
        params.append(district)
    if category:
        where.append("(category = ? OR category LIKE ?)")
        params += [category, category + ".%"]
    received_between(store, since, until, where, params)
    now = store.now()
    if overdue:
        where.append(f"status IN ({','.join('?' * len(OPEN))}) AND due_ts < ?")
        params += list(OPEN) + [now.timestamp()]
    rows = Index(store).rows(" AND ".join(where), params)
    out = []
    for row in rows:
        if scope is not None and row.get("lead") not in scope and not scope & set(row.get("co_units") or []):
            continue
        item = {k: row.get(k) for k in LIST_KEYS if k != "overdue"}
        due = timeutil.load(row.get("due"))
        item["overdue"] = bool(row.get("status") in OPEN and due is not None and now > due)
        if with_clocks:
            item["clocks"] = clocks.row_clocks(row, store.catalog, store.tz, now)
        out.append(item)
        if limit and len(out) >= limit:
            break
    return out


def overdue(store, as_of=None, unit=None, district=None, soon_hours: float = 24) -> dict:
    """Open cases past due at `as_of` (most late first), cases due soon, and closed-late counts."""
    when = timeutil.parse_time(as_of, store.tz, "--as-of") if as_of else store.now()
    scope = unit_scope(store, unit)
    if district:
        found = store.catalog.unit(district, "--district")
        if found.kind != "district":
            raise InvalidInput(f"--district: {district} is a {found.kind}, not a district")
    t = when.timestamp()
    rows = Index(store).rows(
        "received_ts <= ? AND (status IN ('received','dispatched','accepted') OR changed_ts > ? OR closed_ts IS NOT NULL)",
        (t, t),
    )
    late, soon, closed_late = [], [], 0
    cal = store.catalog.calendar
    for row in rows:
        if district and row.get("district") != district:
            continue
        status, due_text, lead = status_at(row, when)
        if scope is not None and lead not in scope and not scope & set(row.get("co_units") or []):
            continue
        due = timeutil.load(due_text)
        closed, final_due = timeutil.load(row.get("closed")), timeutil.load(row.get("due"))
        if closed is not None and closed <= when and final_due is not None and closed > final_due:
            closed_late += 1
        if status not in OPEN or due is None:
            continue
        item = {
            "id": row["id"], "lead": lead, "status": status, "due": timeutil.fmt(due),
            "title": row.get("title"), "district": row.get("district"), "street": row.get("street"),
            "category": row.get("category"), "time_limit": row.get("time_limit"),
        }
        if due < when:
            item["hours_late"] = round((when - due).total_seconds() / 3600, 1)
            item["working_days_late"] = round(clock.working_days_between(due, when, cal, store.tz), 2)
            late.append(item)
        elif (due - when).total_seconds() <= soon_hours * 3600:
            item["hours_left"] = round((due - when).total_seconds() / 3600, 1)
            soon.append(item)
    late.sort(key=lambda r: (-r["hours_late"], r["id"]))
    soon.sort(key=lambda r: (r["hours_left"], r["id"]))
    return {"as_of": timeutil.fmt(when), "overdue": late, "due_soon": soon, "closed_late": closed_late}
