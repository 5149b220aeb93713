"""Cases and events: the event list is the truth, `state` is its projection.

A case is a plain dict as loaded from its file. `project` replays the events and returns the
state block; it is the one function that writes `state`, and `verify` checks that the file's
state equals it. Events marked `superseded` (by a merge) are kept but skipped.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from jiesu import clock, timeutil
from jiesu.workflow import CLOSED_OR_HANDLED, REOPENED, REVIEWED, SAME, TABLE, is_allowed

SCHEMA = 1
ID_PATTERN = re.compile(r"^([A-Z][A-Z0-9]{0,9})-(\d{2})(\d{2})-(\d{4,6})$")
EVENT_ID = re.compile(r"^[0-9a-f]{6,12}$")

# key order of a case file (DESIGN §2); unknown keys keep their place after these
CASE_KEYS = (
    "id", "schema", "title", "received", "channel", "type", "category", "description", "location",
    "complainant", "tags", "time_limit", "source", "anomalies", "state", "events", "attachments",
)
STATE_KEYS = (
    "status", "lead", "co_units", "due", "dispatched", "accepted", "contacted", "closed", "resolved",
    "evaluation", "exempt", "exemption", "merged_into",
    "review_by", "reviewed", "sent_back", "supervised", "whistle", "amended",
)
EVENT_FIELDS = {
    "intake": ("limit_from", "due", "frequent_from"),
    "assign": ("unit", "co"),
    "accept": ("unit",),
    "return": ("unit", "reason"),
    "contact": ("note",),
    "note": ("text",),
    "escalate": ("to", "reason", "respond_by"),
    "extend": ("until", "reason"),
    "close": ("resolved", "summary", "kb", "kb_version", "review_by"),  # kb: the knowledge entry (and version) answered with
    "evaluate": ("reached", "contacted", "resolved", "satisfaction", "reason"),
    "reopen": ("reason", "due"),
    "reject": ("reason",),
    "exempt": ("reason", "type", "decision"),
    "merge": ("into",),
    "amend": ("changes", "reason", "statistics_only", "recompute_limit", "time_limit", "due"),
    "supervise": ("level", "reason", "until", "clear"),
    "respond": ("unit",),
    "review": ("decision", "reason"),
    "attach": ("name", "kind", "size", "sha256", "private"),
}
EVENT_KEYS = ("id", "at", "usec", "by", "action")  # usec: sub-second part of `at`, when the clock gave one


def new_event_id(existing=()) -> str:
    """A random event id (random, so two offices can add events independently)."""
    taken = set(existing)
    while True:
        candidate = secrets.token_hex(3)
        # never an id that YAML would read as a number (123456, 12e456)
        if candidate not in taken and not re.fullmatch(r"[0-9]*e?[0-9]*", candidate):
            return candidate


class ReplayError(Exception):
    """An event that cannot apply at its place in the list (index, reason)."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index = index


def _due(case: dict, start: datetime, ctx) -> datetime | None:
    """The due time from the catalog — only for events that do not record their own `due`."""
    catalog, tz = ctx
    tclass = catalog.classes.get(case.get("time_limit")) if catalog else None
    if tclass is None or start is None:
        return None
    return clock.deadline(start, tclass.limit, tclass, catalog.calendar, tz)


def replay(case: dict, catalog=None, tz=None, strict: bool = True, trace: list | None = None) -> dict:
    """The state that the case's events produce.

    With `strict`, an event that the state machine does not allow at its place raises ReplayError;
    otherwise it is skipped (as superseded events always are). `trace`, when given, receives
    `[at, status, due, lead]` after every applied event (the case's timeline).
    """
    ctx = (catalog, tz)
    received = timeutil.load(case.get("received"))
    s: dict = {"status": None}
    s["due"] = _due(case, received, ctx)
    for index, event in enumerate(case.get("events") or []):
        if not isinstance(event, dict):
            if strict:
                raise ReplayError(index, "event is not a mapping")
            continue
        if event.get("superseded"):
            continue
        action = event.get("action")
        if action not in TABLE:
            if strict:
                raise ReplayError(index, f"unknown action {action!r}")
            continue
        if not is_allowed(action, s["status"], event):
            if strict:
                raise ReplayError(index, f"{action} is not allowed when the case is {s['status'] or 'new'}")
            continue
        at = timeutil.load(event.get("at"))
        _apply(s, action, event, at, case, ctx)
        if trace is not None:
            due = s.get("due")
            trace.append([event.get("at"), s["status"], timeutil.fmt(due) if due else None, s.get("lead")])
    return s


def _apply(s: dict, action: str, ev: dict, at, case: dict, ctx) -> None:
    target = TABLE[action][1]
    if action == "intake":
        if ev.get("due"):
            s["due"] = timeutil.load(ev["due"])
    elif action == "assign":
        s["lead"] = ev.get("unit")
        s["co_units"] = list(ev.get("co") or [])
        s["dispatched"] = at
        s.pop("accepted", None)
    elif action == "accept":
        s["accepted"] = at
    elif action == "return":
        s.pop("lead", None)
        s.pop("co_units", None)
        s.pop("accepted", None)
        s.pop("dispatched", None)
    elif action == "contact":
        s.setdefault("contacted", at)
    elif action == "escalate":
        co = s.setdefault("co_units", [])
        if ev.get("to") and ev.get("to") not in co and ev.get("to") != s.get("lead"):
            co.append(ev.get("to"))
        if ev.get("respond_by"):  # the report-for-duty clock of the called unit (吹哨报到)
            s.setdefault("whistle", []).append({"unit": ev.get("to"), "called": at, "respond_by": timeutil.load(ev["respond_by"])})
    elif action == "respond":
        for call in s.get("whistle") or []:
            if call["unit"] == ev.get("unit") and "responded" not in call:
                call["responded"] = at
                break
    elif action == "extend":
        s["due"] = timeutil.load(ev.get("until"))
    elif action == "close":
        s["closed"] = at
        s["resolved"] = bool(ev.get("resolved"))
        target = "closed"
        if ev.get("review_by"):  # the centre reviews the handling before the case counts as done
            target = "handled"
            s["review_by"] = timeutil.load(ev["review_by"])
    elif action == "review":
        s.pop("review_by", None)
        if ev.get("decision") == "approved":
            target = "closed"
            s["reviewed"] = at
        else:
            target = "accepted"
            for key in ("closed", "resolved", "reviewed"):
                s.pop(key, None)
            s["sent_back"] = (s.get("sent_back") or 0) + 1
    elif action == "supervise":
        if ev.get("clear"):
            s.pop("supervised", None)
        else:
            s["supervised"] = {k: v for k, v in (("level", ev.get("level")), ("reason", ev.get("reason")),
                                                 ("since", timeutil.fmt(at)), ("until", ev.get("until"))) if v is not None}
    elif action == "amend":
        s["amended"] = (s.get("amended") or 0) + 1
        if ev.get("due"):
            s["due"] = timeutil.load(ev["due"])
    elif action == "evaluate":
        evaluation = {"reached": bool(ev.get("reached"))}
        if ev.get("reached"):
            for key in ("contacted", "resolved"):
                if key in ev:
                    evaluation[key] = bool(ev[key])
            if ev.get("satisfaction") is not None:
                evaluation["satisfaction"] = ev["satisfaction"]
        s["evaluation"] = evaluation
    elif action == "reopen":
        for key in ("closed", "resolved", "evaluation", "accepted", "reviewed", "review_by"):
            s.pop(key, None)
        if s.get("lead") and s["status"] != "rejected":
            target = "dispatched"
            s["dispatched"] = at
        else:
            target = "received"
            s.pop("dispatched", None)
        s["due"] = timeutil.load(ev["due"]) if ev.get("due") else (_due(case, at, ctx) or s.get("due"))
    elif action == "exempt":
        decision = ev.get("decision")
        if decision in ("approved", "denied"):
            s["exemption"] = decision
            s["exempt"] = True if decision == "approved" else None
        elif ev.get("type"):
            s["exemption"] = "pending"  # a unit's request: the case stays assessed
        else:
            s["exempt"] = True  # an exemption recorded without a request (older files, imports)
    elif action == "merge":
        s["merged_into"] = ev.get("into")
    if target not in (SAME, REOPENED, CLOSED_OR_HANDLED, REVIEWED):
        s["status"] = target


def new_projection() -> dict:
    """An empty projection, to which `apply_event` adds one event at a time."""
    return {"status": None}


def apply_event(s: dict, event: dict, case: dict, catalog=None, tz=None) -> None:
    """Apply one event to a projection in place, without the state machine's check (see `replay`)."""
    _apply(s, event["action"], event, timeutil.load(event.get("at")), case, (catalog, tz))


def format_state(s: dict) -> dict:
    """The `state` mapping of a projection: file key order, times as text, empty values left out."""
    out = {}
    for key in STATE_KEYS:
        value = s.get(key)
        if value is None and key not in ("status",):
            continue
        if key == "co_units" and "lead" not in s:
            continue
        if isinstance(value, datetime):
            value = timeutil.fmt(value)
        elif key == "whistle":
            value = [{k: timeutil.fmt(v) if isinstance(v, datetime) else v for k, v in call.items()} for call in value]
        out[key] = value
    if "lead" in out and "co_units" not in out:
        out["co_units"] = []
    # keep DESIGN's order: co_units right after lead
    return {k: out[k] for k in STATE_KEYS if k in out}


def state_block(case: dict, catalog, tz) -> dict:
    """The `state` mapping to write: the replay, in file key order, times as text."""
    return format_state(replay(case, catalog, tz, strict=False))


def event_order_key(event: dict):
    return timeutil.load(event.get("at"))


def parse_id(case_id: str):
    """(office, yy, mm, seq) of a valid case id, or None."""
    m = ID_PATTERN.match(case_id or "")
    if not m:
        return None
    office, yy, mm, seq = m.groups()
    if not 1 <= int(mm) <= 12:
        return None
    return office, int(yy), int(mm), int(seq)


# A case id carries the year received in two digits (HL-2111-0069): read as 20YY, each id names
# one month, and its folder cases/20YY/MM/ follows from it. So a case is received in 2000–2099.
FIRST_YEAR, LAST_YEAR = 2000, 2099


def id_month(received: datetime, tz) -> tuple[int, int]:
    """(year, month) a case received at `received` is numbered and filed under (store time);
    InvalidInput when no id can carry that year."""
    from jiesu.errors import InvalidInput

    local = received.astimezone(tz)
    if not FIRST_YEAR <= local.year <= LAST_YEAR:
        raise InvalidInput(
            f"--at: {local.isoformat()} is outside {FIRST_YEAR}–{LAST_YEAR}: a case id carries the year received "
            f"in two digits (HL-YYMM-NNNN, read as 20YY), so jiesu receives cases from {FIRST_YEAR}-01-01 "
            f"to {LAST_YEAR}-12-31 (store time)",
            hint="check the year of --at (or of `at`/`received` in the file)")
    return local.year, local.month


def case_relpath(case_id: str) -> str:
    """`cases/YYYY/MM/<ID>.yaml` for a valid id (century 20xx)."""
    parsed = parse_id(case_id)
    assert parsed, case_id
    _, yy, mm, _ = parsed
    return f"cases/{2000 + yy:04d}/{mm:02d}/{case_id}.yaml"
