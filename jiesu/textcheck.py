"""Checks for text typed by anyone: one-line fields, free text, actors and slugs.

Text is stored faithfully (HTML, template syntax, emoji, right-to-left marks all survive) but
control characters other than tab and newline are refused, as is text too long to be a request.
"""

from __future__ import annotations

import re

from jiesu.errors import InvalidInput

MAX_TEXT = 200_000
MAX_LINE = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def text(value, field: str, required: bool = False, multiline: bool = True, limit: int = MAX_TEXT) -> str | None:
    """A free-text field, normalised (CRLF → LF, trailing spaces trimmed) and checked."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{field}: required and must not be empty")
        return None
    if not isinstance(value, str):
        value = str(value)
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    bad = _CONTROL.search(value)
    if bad:
        raise InvalidInput(f"{field}: contains control character U+{ord(bad.group()):04X}; only text, tabs and newlines are allowed")
    if not multiline and "\n" in value:
        raise InvalidInput(f"{field}: must be one line")
    cap = limit if multiline else min(limit, MAX_LINE)
    if len(value) > cap:
        raise InvalidInput(f"{field}: {len(value):,} characters; at most {cap:,} allowed")
    return value


def actor(value: str | None) -> str:
    """Who acts: printable, one line, at most 64 characters."""
    if value is None or not str(value).strip():
        raise InvalidInput(
            "who is acting? pass --as NAME (or set JIESU_ACTOR, or git's user.name)",
        )
    value = str(value).strip()
    if len(value) > 64 or not value.isprintable():
        raise InvalidInput(f"--as: {value[:70]!r} must be printable text of at most 64 characters")
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
    raise InvalidInput(f"{field}: {value!r} is not true or false")


CSV_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (a leading ' guards it)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v) for v in value)
    text = str(value)
    if text.startswith(CSV_DANGEROUS):
        return "'" + text
    return text
