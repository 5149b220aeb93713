"""The library API: every operation a command offers, callable from Python without click.

Each changing operation validates its input, then writes one case file (or a batch) and makes
one commit, under the store lock; on any failure the store is left exactly as it was.
"""

from jiesu.ops.amend import amend
from jiesu.ops.common import Result, commit_batch
from jiesu.ops.handling import (
    accept,
    assign,
    close,
    contact,
    decide_exemption,
    escalate,
    evaluate,
    exempt,
    extend,
    merge,
    note,
    reject,
    reopen,
    return_case,
    respond,
    review,
    supervise,
)
from jiesu.ops.intake import intake, read_requests
from jiesu.ops.setup import init_store

__all__ = [
    "Result", "commit_batch", "intake", "read_requests", "init_store", "assign", "accept", "return_case", "contact", "note",
    "escalate", "extend", "close", "evaluate", "reopen", "reject", "exempt", "decide_exemption", "merge",
    "review", "supervise", "respond", "amend",
]
