"""A theme record: its id and file, the transition table, and the projection events → state.

The event list is the truth; `project` replays it and `state_block` is the one function that
writes `state`. Items of the three checklists (tasks, policies, duties) are named by the id of the
event that added them, which is random, so two offices can add items to one theme independently
and a merge takes the union.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from jiesu import timeutil
from jiesu.i18n import _
from jiesu.store import records
from jiesu.store.records import ReplayError  # noqa: F401 — named by verify as record.ReplayError

SCHEMA = 1
ID_PATTERN = re.compile(r"^([A-Z][A-Z0-9]{0,9})-T(\d{2})-(\d{2,4})$")
STATUSES = ("planned", "active", "closed", "dropped")
LISTS = {"task": "tasks", "policy": "policies", "duty": "duties"}  # list name → state key
ITEM_STATUSES = ("open", "done", "dropped")
_LIVE = frozenset({"planned", "active"})

# action: (statuses it may follow, status it leads to; none: the status stays)
TABLE: dict[str, tuple[frozenset, tuple[str, ...]]] = {
    "new": (frozenset(), ("planned",)),
    "plan": (_LIVE, ()),
    "add": (_LIVE, ()),
    "done": (_LIVE, ()),
    "drop-item": (_LIVE, ()),
    "start": (frozenset({"planned"}), ("active",)),
    "close": (frozenset({"active"}), ("closed",)),
    "drop": (_LIVE, ("dropped",)),
    "note": (frozenset(STATUSES), ()),
    "link": (frozenset({"planned", "active", "closed"}), ()),
    "unlink": (frozenset({"planned", "active", "closed"}), ()),
}
EVENT_FIELDS = {
    "new": (),
    "plan": ("text", "target", "target_by"),
    "add": ("list", "text", "owner", "due"),
    "done": ("item", "evidence"),
    "drop-item": ("item", "reason"),
    "start": (),
    "close": ("summary", "forced"),
    "drop": ("reason",),
    "note": ("text",),
    "link": ("cases",),
    "unlink": ("cases",),
}
THEME_KEYS = ("id", "schema", "title", "year", "month", "lead", "co_units", "scope", "from_hotspot", "state", "events")


def parse_id(theme_id: str):
    """(office, yy, nn) of a valid theme id, or None."""
    m = ID_PATTERN.match(theme_id or "")
    return (m.group(1), int(m.group(2)), int(m.group(3))) if m else None


def is_theme_id(text) -> bool:
    return isinstance(text, str) and parse_id(text.strip()) is not None


def validate_id(theme_id: str) -> str:
    """A theme id checked against the strict pattern before it touches a path."""
    return records.checked_id(theme_id, parse_id, "theme", "OFFICE-TYY-NN such as HL-T26-03")


def relpath(theme_id: str) -> str:
    """`themes/YYYY/<ID>.yaml` for a valid id (century 20xx)."""
    _, yy, _ = parse_id(validate_id(theme_id))
    return f"themes/{2000 + yy:04d}/{theme_id}.yaml"


def due_end(due_text, tz) -> datetime | None:
    """The instant a due date ends (the item is overdue after it): midnight after the day."""
    if not due_text:
        return None
    day = due_text if isinstance(due_text, date) else date.fromisoformat(str(due_text))
    return timeutil.local(day + timedelta(days=1), time(0), tz)


def nominal_start(theme: dict, tz) -> datetime:
    """Where a theme begins before `theme start` says so: the 1st of its month (or of its year)."""
    return timeutil.local(date(int(theme["year"]), int(theme.get("month") or 1), 1), time(0), tz)


# --- the projection ----------------------------------------------------------------------------

def check(state: dict, event: dict) -> str | None:
    """Why `event` cannot apply to `state` (None when it can)."""
    problem = records.check_transition(TABLE, state, event, "theme")
    if problem:
        return problem
    action = event["action"]
    if action == "add" and event.get("list") not in LISTS:
        return _('add: list {list!r}; allowed: {items}').format(list=event.get('list'), items=', '.join(LISTS))
    if action in ("done", "drop-item"):
        item = state["items"].get(event.get("item"))
        if item is None:
            return _("{action}: no item {item!r} in the theme's checklists").format(action=action, item=event.get('item'))
        if item["status"] != "open":
            return _('{action}: item {item} is already {status}').format(action=action, item=event.get('item'), status=item['status'])
    return None


def new_state() -> dict:
    return {"status": None, "items": {}, "links": []}


def apply(s: dict, event: dict) -> None:
    """Apply one event (already checked) to a projection in place."""
    action, at = event["action"], event.get("at")
    if action == "plan":
        s["plan"] = {k: event[k] for k in ("text", "target", "target_by") if event.get(k) is not None}
        s["plan"]["at"] = at
    elif action == "add":
        s["items"][event["id"]] = {"id": event["id"], "list": event["list"], "text": event.get("text"),
                                   "owner": event.get("owner"), "due": event.get("due"), "status": "open"}
    elif action == "done":
        s["items"][event["item"]].update(status="done", evidence=event.get("evidence"), at=at)
    elif action == "drop-item":
        s["items"][event["item"]].update(status="dropped", reason=event.get("reason"), at=at)
    elif action == "start":
        s["started"] = at
    elif action == "close":
        s["closed"] = at
        s["summary"] = event.get("summary")
    elif action == "drop":
        s["dropped"] = at
        s["reason"] = event.get("reason")
    elif action == "link":
        s["links"] += [c for c in event.get("cases") or [] if c not in s["links"]]
    elif action == "unlink":
        s["links"] = [c for c in s["links"] if c not in (event.get("cases") or [])]
    records.take_status(TABLE, s, action)


def project(theme: dict, strict: bool = False) -> dict:
    """The state that the theme's events produce (superseded events skipped; with `strict`, an
    event that cannot apply raises ReplayError naming it, for `verify`)."""
    return records.replay(theme, new_state, check, apply, strict)


def state_block(theme: dict) -> dict:
    """The `state` mapping to write, in file key order, empty values left out."""
    s = project(theme)
    out = {"status": s["status"]}
    for key in ("started", "closed", "dropped", "reason", "summary", "plan"):
        if s.get(key) is not None:
            out[key] = s[key]
    if s["links"]:
        out["links"] = list(s["links"])
    for name, key in LISTS.items():
        items = [dict(i) for i in s["items"].values() if i["list"] == name]
        for item in items:
            item.pop("list")
            for k in [k for k, v in item.items() if v is None]:
                item.pop(k)
        if items:
            out[key] = items
    return out


def items(state: dict) -> list[dict]:
    """Every checklist item of a `state` block, with its list name."""
    return [dict(i, list=name) for name, key in LISTS.items() for i in state.get(key) or []]


# --- the generic record layer: what the merge driver and the writer need to know -------------

def _state_node(state: dict):
    from jiesu.themes.files import state_node

    return state_node(state)


KIND = records.Kind("theme", new_state, check, apply, state_block, _state_node)
