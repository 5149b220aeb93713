"""The few exceptions jiesu raises for things a user can cause.

The command line turns every `JiesuError` into one `error: …` line on stderr and exit code 1;
anything else is a bug and keeps its traceback.
"""

from jiesu.i18n import _


class JiesuError(Exception):
    """A refusal or failure the user can act on; `hint` is an optional second line."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInput(JiesuError):
    """A value given on the command line or in a file is not allowed."""


class CaseNotFound(JiesuError):
    """No case with that id exists in the store."""


class IllegalTransition(JiesuError):
    """The state machine does not allow that action from the case's current status."""


class StoreLocked(JiesuError):
    """Another writer held the store lock for longer than we were willing to wait."""


class StoreError(JiesuError):
    """The store is missing, broken or inconsistent (catalog errors, git failures, bad files)."""


class CatalogError(StoreError):
    """The catalog failed validation; `found` holds every problem (`jiesu.problems.Problem`
    values), `problems` the same as `file:line: message` lines."""

    def __init__(self, found: list):
        problems = [str(p) for p in found]
        first = problems[0] if problems else _("catalog is invalid")
        more = _(" (and {n} more problem(s); run `jiesu verify`)").format(n=len(problems) - 1) if len(problems) > 1 else ""
        super().__init__(_("catalog: {first}{more}").format(first=first, more=more))
        self.found, self.problems = list(found), problems


class UsageMistake(InvalidInput):
    """An option the command cannot use (an unknown dimension, a malformed period): exit code 2."""

    exit_code = 2
