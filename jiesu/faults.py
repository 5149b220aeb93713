"""Named points in a write where a test may kill the process, to prove crashes lose nothing.

Set `JIESU_CRASH_AT=<point>` (for example `after-rename`) and the process sends itself SIGKILL
when it reaches that point. Unset, each point costs one dictionary lookup.
"""

import os
import signal

POINTS = ("before-rename", "after-rename", "after-commit-object", "after-ref", "after-index")


def point(name: str) -> None:
    """Die here, without any clean-up, if a test asked for it."""
    if os.environ.get("JIESU_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
