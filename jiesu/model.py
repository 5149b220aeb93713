"""Cases and events: the event list is the truth, `state` is its projection.

A case is a plain dict as loaded from its file. `replay` applies the events in order and returns
the state; `state_block` formats it for the file, and `verify` checks that the file's state equals
it. Events marked `superseded` (by a merge) are kept but skipped.

Each action has one apply function in `APPLY`, beside `workflow.TABLE`: the transition table says
*which* status an action may follow, the apply table *what* it does to the state. Adding an action
is one row in each table (and its event fields in `EVENT_FIELDS`) and one apply function here,
then the operation that writes it (`jiesu/ops/handling.py`).

The same pass collects what the read side needs beyond the state (`ReadFacts`: assignments and
their acceptance and contact clocks, returns, extensions, reopenings, the lead at each evaluation),
so `summary.summarize` walks the events once. A reopened case's new due time has one rule,
`reopen_due`, for the command that records it and for the replay of an event that records none.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from jiesu import timeutil, working_time
from jiesu.i18n import _
from jiesu.store.case_layout import ID_PATTERN, case_relpath, parse_id  # noqa: F401 — the id rules live with the file layout
from jiesu.workflow import TABLE, is_allowed

SCHEMA = 1
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
    return working_time.deadline(start, tclass.limit, tclass, catalog.calendar, tz)


def replay(case: dict, catalog=None, tz=None, strict: bool = True, trace: list | None = None,
           facts: "ReadFacts | None" = None) -> dict:
    """The state that the case's events produce.

    With `strict`, an event that the state machine does not allow at its place raises ReplayError;
    otherwise it is skipped (as superseded events always are). `trace`, when given, receives
    `[at, status, due, lead]` after every applied event (the case's timeline); while the case is
    `handled` the clock that runs is the centre's review, so `due` is then its `review_by`.
    `facts`, when given, collects in the same pass what the read side counts (see `ReadFacts`).
    """
    ctx = (catalog, tz)
    received = timeutil.load(case.get("received"))
    s: dict = {"status": None}
    events = case.get("events") or []
    first = events[0] if isinstance(events, list) and events else None
    # the catalog's due time is not worked out when the intake records its own (as jiesu's does)
    recorded = isinstance(first, dict) and first.get("action") == "intake" and not first.get("superseded") and first.get("due")
    s["due"] = None if recorded else _due(case, received, ctx)
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            if strict:
                raise ReplayError(index, _('event is not a mapping'))
            continue
        if event.get("superseded"):
            if facts is not None:
                facts.superseded += 1
            continue
        action = event.get("action")
        if facts is not None:
            facts.observe(action, event)
        if action not in TABLE:
            if strict:
                raise ReplayError(index, _('unknown action {action!r}').format(action=action))
            continue
        if not is_allowed(action, s["status"], event):
            if strict:
                raise ReplayError(index, _('{action} is not allowed when the case is {status}').format(action=action, status=s['status'] or 'new'))
            continue
        at = timeutil.load(event.get("at"))
        _apply(s, action, event, at, case, ctx)
        if trace is not None:
            due = s.get("review_by") if s["status"] == "handled" else s.get("due")
            trace.append([event.get("at"), s["status"], timeutil.fmt(due) if due else None, s.get("lead")])
    return s


class ReadFacts:
    """What the read side needs beyond the state, collected by `replay` in its one pass.

    Every event that is not superseded counts here, including one the projection skips (unknown,
    or not allowed at its place in a non-strict replay): the dispatch history records what was
    written, the state what it amounts to. So `lead` here is the unit of the latest assignment not
    returned since, the lead each evaluation is credited to.
    """

    __slots__ = ("assigns", "current", "lead", "first_contact", "evaluations", "reopened", "returns",
                 "extensions", "original_due", "limit_from", "intakes", "superseded")

    def __init__(self):
        self.assigns: list[dict] = []  # each assignment: unit, at, accepted, ended, end (reassign/return), contacted
        self.current: dict | None = None
        self.lead = None
        self.first_contact = None
        self.evaluations: list[dict] = []  # each evaluation with the lead at its time
        self.reopened = self.returns = self.extensions = self.superseded = self.intakes = 0
        self.original_due = None  # the due time the (last) intake recorded
        self.limit_from = None  # the first intake's `limit_from`

    def observe(self, action, e: dict) -> None:
        at, current = e.get("at"), self.current
        if action == "intake":
            if not self.intakes:
                self.limit_from = e.get("limit_from")
            self.intakes += 1
            self.original_due = e.get("due")
        elif action == "assign":
            if current is not None and current["ended"] is None:
                current["ended"], current["end"] = at, "reassign"
            self.current = {"unit": e.get("unit"), "at": at, "accepted": None, "ended": None, "end": None}
            self.assigns.append(self.current)
            self.lead = e.get("unit")
        elif action == "accept" and current is not None and current["accepted"] is None:
            current["accepted"] = at
        elif action == "return":
            self.returns += 1
            if current is not None and current["ended"] is None:
                current["ended"], current["end"] = at, "return"
            self.lead = None
        elif action == "contact":
            self.first_contact = self.first_contact or at
            if current is not None and current.get("contacted") is None:
                current["contacted"] = at  # the first contact under this assignment (the contact clock)
        elif action == "extend":
            self.extensions += 1
        elif action == "reopen":
            self.reopened += 1
        elif action == "evaluate":
            self.evaluations.append({
                "at": at, "lead": self.lead, "reached": bool(e.get("reached")),
                "contacted": e.get("contacted"), "resolved": e.get("resolved"), "satisfaction": e.get("satisfaction"),
            })


def _intake(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """A recorded due time replaces the catalog's."""
    if ev.get("due"):
        s["due"] = timeutil.load(ev["due"])
    return None


def _assign(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """The unit leads (co-units assist); a new assignment starts a new acceptance clock."""
    s["lead"] = ev.get("unit")
    s["co_units"] = list(ev.get("co") or [])
    s["dispatched"] = at
    s.pop("accepted", None)
    return None


def _accept(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """The lead accepts: the acceptance clock stops."""
    s["accepted"] = at
    return None


def _return(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """The unit disputes the assignment: the case is undispatched."""
    s.pop("lead", None)
    s.pop("co_units", None)
    s.pop("accepted", None)
    s.pop("dispatched", None)
    return None


def _contact(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """The first contact with the complainant stops the contact clock."""
    s.setdefault("contacted", at)
    return None


def _escalate(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """A unit called to assist joins the co-units; with `respond_by`, its report-for-duty clock starts."""
    co = s.setdefault("co_units", [])
    if ev.get("to") and ev.get("to") not in co and ev.get("to") != s.get("lead"):
        co.append(ev.get("to"))
    if ev.get("respond_by"):  # the report-for-duty clock of the called unit (吹哨报到)
        s.setdefault("whistle", []).append({"unit": ev.get("to"), "called": at, "respond_by": timeutil.load(ev["respond_by"])})
    return None


def _respond(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """The called unit reports for duty: its report-for-duty clock stops."""
    for call in s.get("whistle") or []:
        if call["unit"] == ev.get("unit") and "responded" not in call:
            call["responded"] = at
            break
    return None


def _extend(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """A new due time."""
    s["due"] = timeutil.load(ev.get("until"))
    return None


def _close(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """Closed, or handled when the centre reviews the close first."""
    s["closed"] = at
    s["resolved"] = bool(ev.get("resolved"))
    status = "closed"
    if ev.get("review_by"):  # the centre reviews the handling before the case counts as done
        status = "handled"
        s["review_by"] = timeutil.load(ev["review_by"])
    return status


def _review(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """The centre approves the close, or sends the case back to the unit."""
    s.pop("review_by", None)
    if ev.get("decision") == "approved":
        status = "closed"
        s["reviewed"] = at
    else:
        status = "accepted"
        for key in ("closed", "resolved", "reviewed"):
            s.pop(key, None)
        s["sent_back"] = (s.get("sent_back") or 0) + 1
    return status


def _supervise(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """A leader's supervision starts (or is cleared)."""
    if ev.get("clear"):
        s.pop("supervised", None)
    else:
        s["supervised"] = {k: v for k, v in (("level", ev.get("level")), ("reason", ev.get("reason")),
                                             ("since", timeutil.fmt(at)), ("until", ev.get("until"))) if v is not None}
    return None


def _amend(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """A correction; it may recompute the due time."""
    s["amended"] = (s.get("amended") or 0) + 1
    if ev.get("due"):
        s["due"] = timeutil.load(ev["due"])
    return None


def _evaluate(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """The follow-up call's answers."""
    evaluation = {"reached": bool(ev.get("reached"))}
    if ev.get("reached"):
        for key in ("contacted", "resolved"):
            if key in ev:
                evaluation[key] = bool(ev[key])
        if ev.get("satisfaction") is not None:
            evaluation["satisfaction"] = ev["satisfaction"]
    s["evaluation"] = evaluation
    return None


def _reopen(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """Back to the lead (same unit, new time limit), or to reception when there is none."""
    for key in ("closed", "resolved", "evaluation", "accepted", "reviewed", "review_by"):
        s.pop(key, None)
    if s.get("lead") and s["status"] != "rejected":
        status = "dispatched"
        s["dispatched"] = at
    else:
        status = "received"
        s.pop("dispatched", None)
    s["due"] = timeutil.load(ev["due"]) if ev.get("due") else (reopen_due(case, at, *ctx, default=False) or s.get("due"))
    return status


def reopen_due(case: dict, at: datetime, catalog, tz, default: bool = True) -> datetime | None:
    """The new time limit a reopened case runs to: its class's limit from `at` — the one rule for
    `jiesu reopen` (which records it on the event) and for replaying a reopen that records none.

    With `default`, a case without a known class runs on the catalog's default class (a new event);
    replay leaves that out so that an older file's projection keeps its due time.
    """
    if catalog is None or at is None:
        return None
    tclass = catalog.classes.get(case.get("time_limit"))
    if tclass is None and default:
        tclass = catalog.classes.get(catalog.default_class)
    if tclass is None:
        return None
    return working_time.deadline(at, tclass.limit, tclass, catalog.calendar, tz)


def _exempt(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """An exemption request, its decision, or an exemption recorded outright."""
    decision = ev.get("decision")
    if decision in ("approved", "denied"):
        s["exemption"] = decision
        s["exempt"] = True if decision == "approved" else None
    elif ev.get("type"):
        s["exemption"] = "pending"  # a unit's request: the case stays assessed
    else:
        s["exempt"] = True  # an exemption recorded without a request (older files, imports)
    return None


def _merge(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """The case is a duplicate of another."""
    s["merged_into"] = ev.get("into")
    return None


def _fields_unchanged(s: dict, ev: dict, at, case: dict, ctx) -> str | None:
    """A note, an attachment, a rejection: recorded in the events, no field of the state changes
    (a rejection's status comes from the transition table)."""
    return None


# action: what it does to the projection (`workflow.TABLE` says which status it may follow).
# Each function changes the state in place and returns the new status when it picks one of the
# table's two targets (close, review, reopen), else None: the table's one target applies, or the
# status stays.
APPLY = {
    "intake": _intake,
    "assign": _assign,
    "accept": _accept,
    "return": _return,
    "contact": _contact,
    "escalate": _escalate,
    "respond": _respond,
    "extend": _extend,
    "close": _close,
    "review": _review,
    "supervise": _supervise,
    "amend": _amend,
    "evaluate": _evaluate,
    "reopen": _reopen,
    "exempt": _exempt,
    "merge": _merge,
    "note": _fields_unchanged,
    "attach": _fields_unchanged,
    "reject": _fields_unchanged,
}


def _apply(s: dict, action: str, ev: dict, at, case: dict, ctx) -> None:
    status = APPLY[action](s, ev, at, case, ctx)
    if status is None and len(TABLE[action][1]) == 1:
        status = TABLE[action][1][0]
    if status is not None:
        s["status"] = status


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
            _('--at: {at} is outside {FIRST_YEAR}–{LAST_YEAR}: a case id carries the year received in two digits (HL-YYMM-NNNN, read as 20YY), so jiesu receives cases from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31 (store time)').format(at=local.isoformat(), FIRST_YEAR=FIRST_YEAR, LAST_YEAR=LAST_YEAR),
            hint=_('check the year of --at (or of `at`/`received` in the file)'))
    return local.year, local.month


