"""A knowledge entry: its id and file, the transition table, the projection and its versions.

Every `new` and `edit` event holds the entry's complete content; the projection takes the latest
one, and version N is the content of the N-th (superseded events skipped).
"""

from __future__ import annotations

import copy
import re
from datetime import date

from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.store import records
from jiesu.store.records import ReplayError  # noqa: F401 — named by verify as record.ReplayError

SCHEMA = 1
ID_PATTERN = re.compile(r"^([A-Z][A-Z0-9]{0,9})-K(\d{4,6})$")
STATUSES = ("active", "retired")
# the content every new/edit event carries, in file order
CONTENT = ("questions", "answer", "sources", "categories", "themes", "owner",
           "valid_from", "valid_until", "review_by", "example")
SOURCE_KEYS = ("title", "issuer", "date", "link")

# action: (statuses it may follow, status it leads to; none: the status stays)
TABLE: dict[str, tuple[frozenset, tuple[str, ...]]] = {
    "new": (frozenset(), ("active",)),
    "edit": (frozenset({"active"}), ()),
    "retire": (frozenset({"active"}), ("retired",)),
}
EVENT_FIELDS = {
    "new": CONTENT,
    "edit": CONTENT,
    "retire": ("reason", "replaced_by"),
}
ENTRY_KEYS = ("id", "schema", "state", "events")


def parse_id(entry_id: str):
    """(office, number) of a valid entry id, or None."""
    m = ID_PATTERN.match(entry_id or "")
    return (m.group(1), int(m.group(2))) if m else None


def is_entry_id(text) -> bool:
    return isinstance(text, str) and parse_id(text.strip()) is not None


def validate_id(entry_id: str) -> str:
    """An entry id checked against the strict pattern before it touches a path."""
    return records.checked_id(entry_id, parse_id, "knowledge entry", "OFFICE-KNNNN such as HL-K0042")


def relpath(entry_id: str) -> str:
    return f"knowledge/{validate_id(entry_id)}.yaml"


def day(value) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _plain(value):
    """Dates as ISO text (a loader may have read them as dates)."""
    return value.isoformat() if isinstance(value, date) else value


def valid_on(state: dict, when: date) -> bool:
    """Whether an entry may be given as an answer on `when`: active and inside its validity."""
    if state.get("status") != "active":
        return False
    start, end = day(state.get("valid_from")), day(state.get("valid_until"))
    return (start is None or start <= when) and (end is None or when <= end)


# --- the projection ----------------------------------------------------------------------------

def check(state: dict, event: dict) -> str | None:
    """Why `event` cannot apply to `state` (None when it can)."""
    return records.check_transition(TABLE, state, event, "entry")


def new_state() -> dict:
    return {"status": None, "version": 0, "versions": []}


def apply(s: dict, event: dict) -> None:
    """Apply one event (already checked) to a projection in place."""
    action = event["action"]
    if action in ("new", "edit"):
        content = {k: _plain(copy.deepcopy(event.get(k))) for k in CONTENT}  # never shared with the event
        s["version"] += 1
        s["versions"].append({"version": s["version"], "event": event.get("id"), "at": event.get("at"),
                              "by": event.get("by"), **content})
        s.update(content)
        s["changed"] = event.get("at")
    elif action == "retire":
        s["retired"] = event.get("at")
        s["reason"] = event.get("reason")
        s["replaced_by"] = event.get("replaced_by")
    records.take_status(TABLE, s, action)


def project(entry: dict, strict: bool = False) -> dict:
    """The state that the entry's events produce (superseded events skipped; with `strict`, an
    event that cannot apply raises ReplayError naming it, for `verify`)."""
    return records.replay(entry, new_state, check, apply, strict)


def state_block(entry: dict) -> dict:
    """The `state` mapping to write, in file key order, empty values left out."""
    s = project(entry)
    out = {"status": s["status"], "version": s["version"]}
    for key in (*CONTENT, "changed", "retired", "reason", "replaced_by"):
        value = s.get(key)
        if value not in (None, [], False):
            out[key] = value
    return out


def version(entry: dict, number: int | None = None) -> dict:
    """The content of version `number` (default: the latest) with its number, time and author."""
    versions = project(entry)["versions"]
    if not versions:
        raise InvalidInput(_('{id}: the entry has no readable version').format(id=entry.get('id')))
    if number is None:
        return versions[-1]
    if not 1 <= number <= len(versions):
        raise InvalidInput(_('--version: {id} has version(s) 1 to {n}, not {number}').format(id=entry.get('id'), n=len(versions), number=number))
    return versions[number - 1]


# --- the generic record layer: what the merge driver and the writer need to know -------------

def _state_node(state: dict):
    from jiesu.knowledge.files import state_node

    return state_node(state)


KIND = records.Kind("knowledge entry", new_state, check, apply, state_block, _state_node)
