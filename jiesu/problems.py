"""One problem found in a file: where it is (path, line), what is wrong, and how bad it is.

The catalog loader and every check of `verify` return lists of these values; they are printed
as `path:line: message` (beancount's validation errors) and never parsed back from text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Problem:
    """A problem at `path:line`; `severity` is "error" (verify fails) or "warning" (it is shown)."""

    path: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self):
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"
