"""The state machine of a case: which action may follow which status.

This table is the contract of DESIGN §2; `check` refuses anything it does not allow, naming the
case, its status and the actions allowed next.
"""

from __future__ import annotations

from jiesu import i18n, terms
from jiesu.errors import IllegalTransition

STATUSES = ("received", "dispatched", "accepted", "handled", "closed", "evaluated", "rejected", "merged")
OPEN = ("received", "dispatched", "accepted")  # the statuses of a case still being handled; the one definition
_ALL_BUT_MERGED = frozenset(STATUSES) - {"merged"}

# action: (statuses it may follow, statuses it leads to). Of two, the action's apply function in
# `model.APPLY` picks one; with none, the status stays.
TABLE: dict[str, tuple[frozenset, tuple[str, ...]]] = {
    "intake": (frozenset(), ("received",)),
    "assign": (frozenset(OPEN), ("dispatched",)),
    "accept": (frozenset({"dispatched"}), ("accepted",)),
    "return": (frozenset({"dispatched", "accepted"}), ("received",)),
    "contact": (frozenset({"dispatched", "accepted"}), ()),
    "note": (_ALL_BUT_MERGED, ()),
    "escalate": (frozenset({"dispatched", "accepted"}), ()),
    "extend": (frozenset(OPEN), ()),
    "close": (frozenset({"accepted", "received"}), ("closed", "handled")),
    "evaluate": (frozenset({"closed"}), ("evaluated",)),
    "reopen": (frozenset({"closed", "evaluated", "rejected"}), ("dispatched", "received")),
    "reject": (frozenset({"received"}), ("rejected",)),
    "exempt": (_ALL_BUT_MERGED, ()),
    "merge": (frozenset(OPEN), ("merged",)),
    # DESIGN §9: corrections, supervision, the whistle's clock, the centre's review, attachments
    "amend": (frozenset({*OPEN, "handled", "closed", "evaluated"}), ()),
    "supervise": (frozenset({*OPEN, "handled"}), ()),
    "respond": (frozenset({"dispatched", "accepted"}), ()),
    "review": (frozenset({"handled"}), ("closed", "accepted")),
    "attach": (_ALL_BUT_MERGED, ()),
}
# amend after close only as a correction for the record (`statistics_only`)
AFTER_CLOSE = frozenset({"closed", "evaluated"})
ACTIONS = tuple(TABLE)


def allowed_next(status: str | None) -> list[str]:
    """Actions the table allows from `status`, in table order."""
    return [a for a, (sources, _) in TABLE.items() if status in sources and a != "intake"]


def is_allowed(action: str, status: str | None, event: dict | None = None) -> bool:
    """Whether `action` may follow `status` (with `event`: also its fields' conditions)."""
    if action == "intake":
        return status is None
    if action == "amend" and status in AFTER_CLOSE and event is not None and not event.get("statistics_only"):
        return False
    return action in TABLE and status in TABLE[action][0]


def check(case_id: str, action: str, status: str | None) -> None:
    """Raise IllegalTransition unless `action` may follow `status`."""
    if is_allowed(action, status):
        return
    nxt = allowed_next(status)
    allowed = ", ".join(nxt) if nxt else i18n._("nothing (the case is final)")
    raise IllegalTransition(i18n._("{case} is {status}: cannot {action}; allowed next: {allowed}").format(
        case=case_id, status=terms.status(status), action=action, allowed=allowed))
