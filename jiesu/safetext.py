"""Text from case files made inert for a terminal, a text file or a Markdown report.

The command line refuses control characters, but a case file can arrive by sync with anything
in it: an escape sequence that clears the screen or retitles the terminal, a carriage return
that overwrites a line, a right-to-left override that reorders what follows. Files keep what
they hold; every output for people passes through here:

- control characters (C0 but tab and newline, DEL, C1) are shown as visible symbols (`␛`);
- a bidirectional control left open (or a closer without its opener) is isolated: stray closers
  are dropped and the text is wrapped in FSI … PDI, so it cannot reorder the text around it;
  balanced right-to-left text passes unchanged;
- in Markdown, HTML, the brackets of links and images, code spans and the schemes of bare URLs
  are escaped, so complaint text is shown as typed and never becomes a live link or image.

JSON keeps the exact text: `json_text` writes these characters as `\\uXXXX` escapes, which any
JSON reader decodes back to the same string.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_EMBED = "\u202a\u202b\u202d\u202e"  # LRE RLE LRO RLO, closed by PDF
_ISOLATE = "\u2066\u2067\u2068"  # LRI RLI FSI, closed by PDI
PDF, PDI, FSI = "\u202c", "\u2069", "\u2068"
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_EITHER = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # CONTROL or BIDI
_JSON_ESCAPE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_MD_SPECIAL = re.compile(r"([\\`\[\]|])")  # no link, image or code can form without these
_URL = re.compile(r"(?i)\b(https?|ftp|mailto|javascript|vbscript|data|file)(:)|\b(www)(\.)")
_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])[^<>]*>?")  # what Markdown would take for HTML or an autolink
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")  # what Markdown would decode as an entity
_BLOCK_MARK = re.compile(r"^(\s*)([#*+-](?=\s|$)|>)")  # a heading, list item or quote at the start
_NUMBER_MARK = re.compile(r"^(\s*)(\d{1,9})([.)])(?=\s|$)")  # an ordered list item at the start


def _picture(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (␛ for ESC)
    return "\u2421" if code == 0x7F else "\ufffd"


def controls(text: str) -> str:
    """Control characters (but tab and newline) as visible symbols."""
    return CONTROL.sub(_picture, text) if CONTROL.search(text) else text


def isolate(text: str) -> str:
    """`text` unchanged if its bidirectional controls are balanced; else with stray closers
    dropped and wrapped in FSI … PDI, which closes whatever it left open."""
    if not BIDI.search(text):
        return text
    stack: list[str] = []
    out = []
    stray = False
    for ch in text:
        if ch in _EMBED or ch in _ISOLATE:
            stack.append(ch)
        elif ch == PDF:
            if not stack or stack[-1] not in _EMBED:
                stray = True
                continue
            stack.pop()
        elif ch == PDI:
            if not any(c in _ISOLATE for c in stack):
                stray = True
                continue
            while stack and stack.pop() not in _ISOLATE:
                pass
        out.append(ch)
    if not stack and not stray:
        return text
    return FSI + "".join(out) + PDI


def terminal(value) -> str:
    """One value for a terminal or a text file: controls visible, lone bidi controls isolated."""
    text = "" if value is None else str(value)
    if not _EITHER.search(text):
        return text  # nothing to show or isolate (most text): one search instead of two
    return isolate(controls(text))


def block(text: str) -> str:
    """Many lines for a terminal or a text file, each made safe on its own."""
    if not CONTROL.search(text) and not BIDI.search(text):
        return text
    return "\n".join(terminal(line) for line in text.split("\n"))


def markdown(text: str) -> str:
    """A Markdown cell shown as typed: HTML, links, images, code spans, URLs and block marks inert.

    Only what Markdown would read differently is escaped: `n = 4 < 5` stays as it is, `<b>` and
    `&amp;` are written as entities, `|`, brackets and backquotes and a leading `#`, `-`, `>` or
    `1.` get a backslash."""
    text = terminal(text)
    text = _ENTITY_LIKE.sub("&amp;", text)
    text = _TAG_LIKE.sub(lambda m: m.group().replace("<", "&lt;").replace(">", "&gt;"), text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _NUMBER_MARK.sub(r"\1\2\\\3", _BLOCK_MARK.sub(r"\1\\\2", text))
    return _URL.sub(lambda m: (m.group(1) or m.group(3)) + "\\" + (m.group(2) or m.group(4)), text)


def json_text(text: str) -> str:
    """JSON text with C1 controls, bidi controls and line separators as `\\uXXXX` escapes
    (valid inside JSON strings, where alone they can occur; decoded, the text is the same)."""
    return _JSON_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def first_control(value, path: str = "") -> tuple[str, str] | None:
    """(where, character) of the first control character in any text of `value`, or None."""
    if isinstance(value, str):
        found = CONTROL.search(value.replace("\t", " ").replace("\n", " "))
        return (path, found.group()) if found else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        hit = first_control(item, f"{path}.{key}" if path else str(key))
        if hit:
            return hit
    return None
