"""Whether answers work: per entry, the calls it answered in a period and how many came back.

A call answered from an entry (a consultation closed on the call whose close event names the
entry) *came back* when the same caller — the same phone, or the same private reference —
called again about the same category within 30 days after it was received, and was
*dissatisfied* when its follow-up recorded `dissatisfied` or `very-dissatisfied`. A high repeat
rate is the sign that the answer does not settle the question. Computed from the index and the
answered cases, never stored.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from jiesu import timeutil
from jiesu.knowledge import files, record

REPEAT_WINDOW = timedelta(days=30)
DISSATISFIED = ("dissatisfied", "very-dissatisfied")


def _answered(store, rows: list[dict]) -> list[tuple[dict, str, int]]:
    """(row, entry id, version) of every consultation among `rows` answered from an entry."""
    out = []
    for row in rows:
        if row.get("type") != "consultation" or not row.get("closed"):
            continue
        try:
            case = store.load_case(row["id"])
        except Exception:  # noqa: BLE001 — an unreadable case is verify's business
            continue
        for event in case.get("events") or []:
            if isinstance(event, dict) and event.get("action") == "close" and event.get("kb") and not event.get("superseded"):
                out.append((row, event["kb"], event.get("kb_version")))
    return out


def usage(store, since: date | None = None, until: date | None = None) -> dict:
    """{since, until, entries: [{id, question, status, review_by, answered, repeat, repeat_rate,
    dissatisfied, evaluated}]} for calls received from `since` to `until` (inclusive days, the
    store's zone), entries that answered none included with zeros, worst repeat rate first."""
    from jiesu.index import Index

    tz = store.tz
    start = timeutil.local(since, time(0), tz) if since else None
    end = timeutil.local(until + timedelta(days=1), time(0), tz) if until else None
    rows = Index(store).rows()
    by_caller: dict = {}
    for row in rows:
        if row.get("phone_key") and row.get("category"):
            by_caller.setdefault((row["phone_key"], row["category"]), []).append(timeutil.load(row["received"]))
    figures: dict = {}
    for row, entry_id, _version in _answered(store, rows):
        received = timeutil.load(row["received"])
        if (start and received < start) or (end and received >= end):
            continue
        item = figures.setdefault(entry_id, {"answered": 0, "repeat": 0, "dissatisfied": 0, "evaluated": 0})
        item["answered"] += 1
        later = by_caller.get((row.get("phone_key"), row.get("category")), []) if row.get("phone_key") else []
        if any(received < other <= received + REPEAT_WINDOW for other in later):
            item["repeat"] += 1
        satisfaction = (row.get("evaluation") or {}).get("satisfaction")
        if satisfaction is not None:
            item["evaluated"] += 1
            item["dissatisfied"] += satisfaction in DISSATISFIED
    out = []
    for entry in files.all_entries(store):
        state = record.project(entry)
        if not state["versions"]:
            continue
        item = figures.pop(entry["id"], {"answered": 0, "repeat": 0, "dissatisfied": 0, "evaluated": 0})
        rate = round(item["repeat"] / item["answered"], 4) if item["answered"] else None
        out.append({"id": entry["id"], "question": state["questions"][0], "status": state["status"],
                    "review_by": state.get("review_by"), **item, "repeat_rate": rate})
    out.sort(key=lambda r: (-(r["repeat_rate"] or 0), -r["answered"], r["id"]))
    return {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None, "entries": out}


def worst(figures: dict, count: int = 5) -> list[dict]:
    """The `count` entries with the highest repeat-call rate among those that answered calls."""
    return [r for r in figures["entries"] if r["answered"]][:count]


def past_review(store) -> list[dict]:
    """Active entries past their review date (or their validity), as `kb list --stale` rows."""
    from jiesu.knowledge.views import list_rows

    return list_rows(store, only_stale=True)
