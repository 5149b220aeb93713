"""Checks for text typed by anyone: one-line fields, free text, actors and slugs.

Text is stored faithfully (HTML, template syntax, emoji, right-to-left marks all survive) but
control characters other than tab and newline are refused, as is text too long to be a request.
"""

from __future__ import annotations

import re

from jiesu.errors import InvalidInput
from jiesu.i18n import _

MAX_TEXT = 200_000
MAX_LINE = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def text(value, field: str, required: bool = False, multiline: bool = True, limit: int = MAX_TEXT) -> str | None:
    """A free-text field, normalised (CRLF → LF, trailing spaces trimmed) and checked."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(_('{field}: required and must not be empty').format(field=field))
        return None
    value = scalar(value, field)
    if _SURROGATE.search(value):
        raise InvalidInput(_('{field}: is not valid UTF-8 text (a byte sequence that is no character)').format(field=field))
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    bad = _CONTROL.search(value)
    if bad:
        raise InvalidInput(_('{field}: contains control character U+{code:04X}; only text, tabs and newlines are allowed').format(field=field, code=ord(bad.group())))
    if not multiline and "\n" in value:
        raise InvalidInput(_('{field}: must be one line').format(field=field))
    cap = limit if multiline else min(limit, MAX_LINE)
    if len(value) > cap:
        raise InvalidInput(_('{field}: {n:,} characters; at most {cap:,} allowed').format(field=field, n=len(value), cap=cap))
    return value


def scalar(value, field: str):
    """A value from a file that must be one piece of text: text as is, a whole number as written.

    Lists, mappings, yes/no and fractions are refused rather than turned into text that nobody
    wrote (`[1, 2]`, `True`, `1000.0`).
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InvalidInput(_('{field}: expected text, found {kind}').format(field=field, kind=kind_of(value)))


def text_list(value, field: str) -> list[str]:
    """One piece of text or a list of them (a tag, a phone number…)."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else [value]
    return [scalar(item, field) for item in items if item is not None]


def kind_of(value) -> str:
    return {bool: "yes/no", dict: "a mapping", list: "a list", float: "a number with a fraction"}.get(type(value), type(value).__name__)


def actor(value: str | None) -> str:
    """Who acts: printable, one line, at most 64 characters."""
    if value is None or not str(value).strip():
        raise InvalidInput(
            _("who is acting? pass --as NAME (or set JIESU_ACTOR, or git's user.name)"),
        )
    value = str(value).strip()
    if len(value) > 64 or not value.isprintable():
        raise InvalidInput(_('--as: {value!r} must be printable text of at most 64 characters').format(value=value[:70]))
    return value


def boolean(value, field: str) -> bool:
    """A yes/no value from a file: true/false (or yes/no, 1/0 as text)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "y"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "0", "n"):
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise InvalidInput(_('{field}: {value!r} is not true or false').format(field=field, value=value))


def each_checked(items: list, noun: str, check) -> list:
    """`check(item)` for every item of a list, all before anything is written; with several, a
    refusal names the item by its number (`request 3: …`)."""
    out = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise InvalidInput(_('{noun} {number}: expected a mapping of fields').format(noun=noun, number=number))
        try:
            out.append(check(item))
        except InvalidInput as exc:
            if len(items) > 1:
                raise InvalidInput(f"{noun} {number}: {exc.message}", exc.hint) from None
            raise
    return out
