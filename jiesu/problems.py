"""One problem found in a file: where it is (path, line), what is wrong, and how bad it is.

The catalog loader and every check of `verify` return lists of these values; they are printed
as `path:line: message` (beancount's validation errors) and never parsed back from text.
"""

from __future__ import annotations

from dataclasses import dataclass

from jiesu.i18n import _


@dataclass
class Problem:
    """A problem at `path:line`; `severity` is "error" (verify fails) or "warning" (it is shown)."""

    path: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self):
        if self.severity == "warning":
            return f"{self.path}:{self.line}: " + _("warning: {message}").format(message=self.message)
        return f"{self.path}:{self.line}: {self.message}"
