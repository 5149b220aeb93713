"""Repeat callers: requests linked by the caller's private reference, phones never shown whole.

A case's caller is its private reference (`ref:P-000123`, set when intake recorded the caller in
`private/`) or else the non-reversible key of its phone (`ph:…`). A phone key that `private/phones/`
maps to a reference is that reference, so a caller's confidential requests (whose phone is not in
the shared file) and open ones are counted together. Only the local machine has `private/`; the
shared files never hold more than the masked phone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from jiesu import privacy, timeutil
from jiesu.governance import settings
from jiesu.i18n import _
from jiesu.index import CALLER_SQL, Index, caller_value
from jiesu.workflow import OPEN


def _ref_of_phone_key(store, key: str) -> str | None:
    path = store.private.root / "phones" / key
    try:
        ref = path.read_text("utf-8").strip()
    except OSError:
        return None
    return ref if privacy.REF.match(ref) else None


def canonical(store, caller: str, cache: dict) -> str:
    """`ref:…` for a phone key that private/ links to a reference; the key itself otherwise."""
    if not caller.startswith("ph:"):
        return caller
    if caller not in cache:
        ref = _ref_of_phone_key(store, caller[3:])
        cache[caller] = "ref:" + ref if ref else caller
    return cache[caller]


def keys_for_phone(store, phone: str) -> set[str]:
    """Every caller key under which this phone's earlier requests may be indexed."""
    keys = {"ph:" + privacy.phone_key(phone)}
    ref = store.private.lookup_phone(phone) if store.private.exists() else None
    if ref:
        keys.add("ref:" + ref)
        person = store.private.read(ref) or {}
        for other in [person.get("phone"), *(person.get("other_phones") or [])]:
            if other:
                keys.add("ph:" + privacy.phone_key(str(other)))
    return keys


def earlier(store, keys: set[str], since: datetime, until: datetime | None = None, db=None) -> list[tuple]:
    """(id, status, received_ts) of the requests of these caller keys received since `since`."""
    where = f"caller IN ({','.join('?' * len(keys))}) AND received_ts >= ?"
    params = [*map(caller_value, sorted(keys)), since.timestamp()]
    if until is not None:
        where += " AND received_ts < ?"
        params.append(until.timestamp())
    return Index(store).select("id, status, received_ts", where, params, db=db)


def intake_check(store, phone: str | None, received: datetime, frequent_given: bool, db=None) -> tuple[list[str], str | None]:
    """(notes, frequent_from) for a new request from `phone`: how many earlier requests the caller
    made in the window and which are open; and `rule N/Dd` when governance.yaml's frequent-caller
    rule holds (None when it does not, or when the operator decided with --frequent/--not-frequent)."""
    if not phone:
        return [], None
    conf = settings.load(store)["callers"]
    keys = keys_for_phone(store, phone)
    longest = max(conf["window_days"], conf["frequent_days"])
    found = earlier(store, keys, received - timedelta(days=longest), received + timedelta(seconds=1), db)
    notes = []
    window = [f for f in found if f[2] >= (received - timedelta(days=conf["window_days"])).timestamp()]
    if window:
        open_ids = [i for i, status, _at in window if status in OPEN]
        made = _("the caller made {n} earlier request(s) in {days} days").format(n=len(window), days=conf["window_days"])
        notes.append(made + (_("; open: {ids}").format(ids=", ".join(open_ids)) if open_ids else _("; none open")))
    recent = sum(1 for f in found if f[2] >= (received - timedelta(days=conf["frequent_days"])).timestamp()) + 1
    rule = None
    if not frequent_given and recent >= conf["frequent_count"]:
        rule = f"rule {conf['frequent_count']}/{conf['frequent_days']}d"
        notes.append(_("flagged frequent caller ({n} requests in {days} days; {rule})").format(
            n=recent, days=conf["frequent_days"], rule=rule))
    return notes, rule


def callers(store, days: int | None = None, minimum: int = 3, as_of=None, reveal: bool = False, only=None) -> dict:
    """{as_of, days, min, rows}: callers with at least `minimum` requests in the `days` days up to
    `as_of`, most first: {caller (masked phone), ref, requests, open, categories, streets, cases}
    (and `name` with `reveal`, read from private/ on this machine); `only`: just these caller keys."""
    days = days or settings.load(store)["callers"]["window_days"]
    end = timeutil.parse_time(as_of, store.tz, "--as-of") if as_of else store.now()
    start = end - timedelta(days=days)
    index = Index(store)
    where, params = "caller IS NOT NULL AND received_ts > ? AND received_ts <= ?", [start.timestamp(), end.timestamp()]
    if only is not None:
        where += f" AND caller IN ({','.join('?' * len(only))})"
        params += map(caller_value, sorted(only))
    found = index.select(f"{CALLER_SQL}, id, status, category, street, received_ts", where, params) if only != set() else []
    cache: dict = {}
    groups: dict = {}
    for caller, case_id, status, category, street, ts in found:
        key = canonical(store, caller, cache)
        g = groups.setdefault(key, {"key": key, "requests": 0, "open": [], "categories": [], "streets": [], "cases": [],
                                    "raw": set()})
        g["requests"] += 1
        g["raw"].add(caller)
        g["cases"].append(case_id)
        if status in OPEN:
            g["open"].append(case_id)
        for field, value in (("categories", category), ("streets", street)):
            if value and value not in g[field]:
                g[field].append(value)
    rows = []
    for g in sorted(groups.values(), key=lambda g: (-g["requests"], g["cases"][0])):
        if g["requests"] < minimum:
            continue
        ref = g["key"][4:] if g["key"].startswith("ref:") else None
        person = (store.private.read(ref) or {}) if ref and store.private.exists() else {}
        phone = person.get("phone")
        if not phone:
            phone = _masked_phone_of(index, g["cases"])
        row = {"caller": privacy.mask_phone(phone) if phone and "*" not in str(phone) else (phone or "—"), "ref": ref,
               "requests": g["requests"], "open": g["open"], "categories": g["categories"], "streets": g["streets"],
               "cases": g["cases"]}
        if reveal:
            row["name"] = person.get("name") or person.get("surname")
        rows.append(row)
    return {"as_of": timeutil.fmt(end), "days": days, "min": minimum, "rows": rows}


def _masked_phone_of(index, ids: list[str]) -> str | None:
    """The masked phone a shared case file shows for this caller (None when all were confidential)."""
    marks = ",".join("?" * len(ids))
    for row in index.rows(f"id IN ({marks})", ids, order="received_ts DESC"):
        contact = row.get("contact") or ""
        masked = next((part for part in contact.split() if "*" in part), None)
        if masked:
            return masked
    return None


def day_callers(store, day_start: datetime, day_end: datetime, days: int, minimum: int) -> list[dict]:
    """Repeat callers who called on one day (for the daily report): callers of the `days` days up
    to the day's end with at least `minimum` requests and one of them received that day."""
    index = Index(store)
    today = index.select(f"id, {CALLER_SQL}", "received_ts >= ? AND received_ts < ? AND caller IS NOT NULL",
                         (day_start.timestamp(), day_end.timestamp()), order="")
    cache: dict = {}
    keys = set()
    for _case_id, caller in today:
        key = canonical(store, caller, cache)
        keys |= {caller, key}
        if key.startswith("ref:"):  # the person's other phones may have earlier requests
            person = (store.private.read(key[4:]) or {}) if store.private.exists() else {}
            keys |= {"ph:" + privacy.phone_key(str(p)) for p in [person.get("phone"), *(person.get("other_phones") or [])] if p}
    listed = callers(store, days, minimum, timeutil.fmt(day_end), only=keys)["rows"]
    ids = {case_id for case_id, _caller in today}
    return [row for row in listed if ids & set(row["cases"])]
