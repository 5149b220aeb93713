"""Questions asked of many cases at once (`list`, `overdue`), answered from the index."""

from __future__ import annotations

import marshal
from datetime import datetime, time, timedelta

from jiesu import case_clocks, priority, resolve, timeutil, working_time
from jiesu.errors import InvalidInput
from jiesu.handling_view import whistle_calls
from jiesu.i18n import _
from jiesu.index import ROW_SQL, Index, date_sql, scope_clause
from jiesu.summary import status_at
from jiesu.workflow import OPEN

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
    return store.catalog.units_under(store.catalog.unit(unit, "--unit").id)


def list_cases(store, statuses=(), unit=None, district=None, category=None, since=None, until=None,
               overdue=False, limit=None, with_clocks=False, progress_factory=None) -> list[dict]:
    """Cases matching every filter, oldest first, as LIST_KEYS dicts (plus clocks if asked)."""
    statuses = [resolve.status(s) for s in statuses]
    if district:
        found = store.catalog.unit(district, "--district")
        if found.kind != "district":
            raise InvalidInput(_('--district: {district} is a {kind}, not a district').format(district=district, kind=found.kind))
        district = found.id
    if category:
        category = resolve.category(store.catalog, category)
        if category not in store.catalog.categories:
            raise InvalidInput(_('--category: unknown category {category!r}; see `jiesu catalog categories`').format(category=category))
    where, params = [], []
    scope, scope_params = scope_clause(unit_scope(store, unit))
    if scope:
        where.append(scope)
        params += scope_params
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
    columns = [k for k in LIST_KEYS if k != "overdue"]
    index = Index(store)
    # the order needs only the supervision and tags columns; the whole summary only for the clocks
    found = index.select(date_sql(columns) + ", due_ts, tags, supervised" + (", " + ROW_SQL if with_clocks else ""),
                         " AND ".join(where), params, limit=limit, progress_factory=progress_factory)
    t = now.timestamp()
    out, order = [], []
    for values in found:
        item = dict(zip(columns, values))
        due_ts, tags, supervised = values[len(columns):len(columns) + 3]
        item["overdue"] = bool(item["status"] in OPEN and due_ts is not None and t > due_ts)
        row = {"tags": tags.strip("|").split("|") if tags else [], "supervised": marshal.loads(supervised) if supervised else None}
        sup = priority.supervised(row, now) if item["status"] in OPEN or item["status"] == "handled" else None
        if sup:
            item["supervised"] = sup.get("reason")
        if with_clocks:
            item["clocks"] = case_clocks.row_clocks(index.unpack_row(values[len(columns) + 3:]) or {}, store.catalog, store.tz, now)
        order.append(priority.rank(row, store.catalog, now) if item["status"] in OPEN or item["status"] == "handled" else 2)
        out.append(item)
    # supervised cases first, then those a tag marks priority: high; otherwise the order found
    out = [item for _, _, item in sorted(zip(order, range(len(out)), out), key=lambda x: (x[0], x[1]))]
    if store.settings.get("hub"):  # a hub shows the member store each case lives in
        from jiesu.hub import member_of, offices

        table = offices(store)
        for item in out:
            item["member"] = member_of(item["id"], table)
    return out


def overdue(store, as_of=None, unit=None, district=None, soon_hours: float = 24, progress_factory=None) -> dict:
    """Open cases past due at `as_of` (most late first), cases due soon, and closed-late counts.

    Status, due time and lead are taken as they were at `as_of` (from each case's timeline), so
    any past instant is reproducible.
    """
    when = timeutil.parse_time(as_of, store.tz, "--as-of") if as_of else store.now()
    scope = unit_scope(store, unit)
    if district:
        found = store.catalog.unit(district, "--district")
        if found.kind != "district":
            raise InvalidInput(_('--district: {district} is a {kind}, not a district').format(district=district, kind=found.kind))
        district = found.id
    t = when.timestamp()
    index = Index(store)
    # open now and due by the end of the window, or changed since `as_of` (then it may have differed)
    # (cases received after `as_of` come back as status None from status_at and drop out)
    # no ORDER BY: with one, SQLite walks the whole table in received order instead of the two
    # indexes of the OR (1.6 s instead of 13 ms at a million cases); the lists are sorted below
    rows = index.rows("(status IN ('received','dispatched','accepted') AND due_ts <= ?) OR status = 'handled' OR changed_ts > ?",
                      (t + soon_hours * 3600, t), order="", progress_factory=progress_factory)
    where, params = ["closed_late = 1 AND closed_ts <= ?"], [t]
    if district:
        where.append("district = ?")
        params.append(district)
    clause, clause_params = scope_clause(scope)
    if clause:
        where.append(clause)
        params += clause_params
    closed_late = index.select("COUNT(*)", " AND ".join(where), params, order="")[0][0]
    late, soon, review = [], [], []
    cal = store.catalog.calendar
    for row in rows:
        if district and row.get("district") != district:
            continue
        status, due_text, lead = status_at(row, when)
        if scope is not None and lead not in scope and not scope & set(row.get("co_units") or []):
            continue
        if status == "handled":  # closed by the unit, awaiting the centre's review: its own clock
            item = review_overdue(row, lead, due_text, when, cal, store.tz)
            if item:
                review.append(item)
            continue
        due = timeutil.load(due_text)
        if status not in OPEN or due is None:
            continue
        item = {
            "id": row["id"], "lead": lead, "status": status, "due": timeutil.fmt(due),
            "title": row.get("title"), "district": row.get("district"), "street": row.get("street"),
            "category": row.get("category"), "time_limit": row.get("time_limit"), "contact": row.get("contact"),
            "order": priority.rank(row, store.catalog, when),
        }
        sup = priority.supervised(row, when)
        if sup:
            item["supervised"] = sup.get("reason")
        if due < when:
            item["hours_late"] = round((when - due).total_seconds() / 3600, 1)
            item["working_days_late"] = round(working_time.working_days_between(due, when, cal, store.tz), 2)
            late.append(item)
        elif (due - when).total_seconds() <= soon_hours * 3600:
            item["hours_left"] = round((due - when).total_seconds() / 3600, 1)
            soon.append(item)
    late.sort(key=lambda r: (r["order"], -r["hours_late"], r["id"]))
    soon.sort(key=lambda r: (r["order"], r["hours_left"], r["id"]))
    review.sort(key=lambda r: (-r["hours_late"], r["id"]))
    for item in late + soon:
        del item["order"]
    whistle = []
    # only cases whose unit was called to report for duty have a `whistle` column
    for row in index.rows(f"status IN ({','.join('?' * len(OPEN))}) AND whistle IS NOT NULL", OPEN, order="id"):
        for call in whistle_calls({"whistle": row.get("whistle") or []}, when):
            if scope is not None and call["unit"] not in scope:
                continue
            whistle.append({"id": row["id"], "unit": call["unit"], "called": call["called"], "respond_by": call["respond_by"],
                            "responded": call.get("responded"), "outcome": call["outcome"], "title": row.get("title")})
    return {"as_of": timeutil.fmt(when), "overdue": late, "due_soon": soon, "closed_late": closed_late, "whistle": whistle,
            "review_overdue": review}


def review_overdue(row: dict, lead, review_by, when, cal, tz) -> dict | None:
    """A `handled` case whose review is past its clock (`review_by`, the timeline's due while
    handled) at `when`, as an overdue item; None while the centre still has time (a handled case
    is never overdue for handling)."""
    review_by = timeutil.load(review_by)
    if review_by is None or review_by >= when:
        return None
    return {"id": row["id"], "lead": lead, "status": "handled", "review_by": timeutil.fmt(review_by),
            "hours_late": round((when - review_by).total_seconds() / 3600, 1),
            "working_days_late": round(working_time.working_days_between(review_by, when, cal, tz), 2),
            "title": row.get("title"), "district": row.get("district"), "street": row.get("street"),
            "category": row.get("category")}
