"""The state machine of a case: which action may follow which status.

This table is the contract of DESIGN §2; `check` refuses anything it does not allow, naming the
case, its status and the actions allowed next.
"""

from __future__ import annotations

from jiesu.errors import IllegalTransition

STATUSES = ("received", "dispatched", "accepted", "closed", "evaluated", "rejected", "merged")
OPEN = frozenset({"received", "dispatched", "accepted"})
SAME = "(same)"
REOPENED = "dispatched (same lead) or received"
_ALL_BUT_MERGED = frozenset(STATUSES) - {"merged"}

# action: (statuses it may follow, status it leads to)
TABLE: dict[str, tuple[frozenset, str]] = {
    "intake": (frozenset(), "received"),
    "assign": (frozenset({"received", "dispatched", "accepted"}), "dispatched"),
    "accept": (frozenset({"dispatched"}), "accepted"),
    "return": (frozenset({"dispatched", "accepted"}), "received"),
    "contact": (frozenset({"dispatched", "accepted"}), SAME),
    "note": (_ALL_BUT_MERGED, SAME),
    "escalate": (frozenset({"dispatched", "accepted"}), SAME),
    "extend": (frozenset({"received", "dispatched", "accepted"}), SAME),
    "close": (frozenset({"accepted", "received"}), "closed"),
    "evaluate": (frozenset({"closed"}), "evaluated"),
    "reopen": (frozenset({"closed", "evaluated", "rejected"}), REOPENED),
    "reject": (frozenset({"received"}), "rejected"),
    "exempt": (_ALL_BUT_MERGED, SAME),
    "merge": (frozenset({"received", "dispatched", "accepted"}), "merged"),
}
ACTIONS = tuple(TABLE)


def allowed_next(status: str | None) -> list[str]:
    """Actions the table allows from `status`, in table order."""
    return [a for a, (sources, _) in TABLE.items() if status in sources and a != "intake"]


def is_allowed(action: str, status: str | None) -> bool:
    if action == "intake":
        return status is None
    return action in TABLE and status in TABLE[action][0]


def check(case_id: str, action: str, status: str | None) -> None:
    """Raise IllegalTransition unless `action` may follow `status`."""
    if is_allowed(action, status):
        return
    nxt = allowed_next(status)
    allowed = ", ".join(nxt) if nxt else "nothing (the case is final)"
    raise IllegalTransition(f"{case_id} is {status}: cannot {action}; allowed next: {allowed}")
