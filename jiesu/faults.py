"""Named points in a write where a test may kill the process, to prove crashes lose nothing.

Set `JIESU_CRASH_AT=<point>` (for example `after-rename`) and the process sends itself SIGKILL
the first time it reaches that point; `<point>@N` kills it the N-th time instead (a write passes
`before-rename` once for the journal and once per file, and a commit with private data passes
the commit points twice). Unset, each point costs one dictionary lookup.
"""

import os
import signal

POINTS = ("before-rename", "after-rename", "after-commit-object", "after-ref", "after-index")
# points where the whole process group dies, as it does when an operator presses Ctrl-C or closes
# the terminal: `merge-driver` kills sync, the git merge that runs the driver, and the driver
GROUP_POINTS = ("merge-driver",)
_seen: dict = {}


def point(name: str) -> None:
    """Die here, without any clean-up, if a test asked for it."""
    wanted = os.environ.get("JIESU_CRASH_AT")
    if not wanted:
        return
    target, _, nth = wanted.partition("@")
    if target != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] == (int(nth) if nth.isdigit() else 1):
        if name in GROUP_POINTS:
            os.killpg(os.getpgid(0), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
