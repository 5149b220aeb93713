"""A fast reader for the YAML that jiesu itself writes (the layout of `fastyaml`), or None.

Case files written by jiesu use a small, regular part of YAML: block mappings indented by two
spaces, sequences of one-line flow mappings under `events:`, plain or quoted one-line scalars,
`|` blocks. `load` reads exactly that, several times faster than the C loader, and returns None
for anything else — comments, anchors, tags, multi-line plain scalars, floats, odd quoting, tabs —
so that the caller reads the text with `yamlio.load` instead. It never guesses: what it returns
equals what `yamlio.load` returns for the same text (tests/test_fastread.py holds it to that on
generated and real files).
"""

from __future__ import annotations

import re

from jiesu.store.yamlio import _IMPLICIT

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_INT = re.compile(r"(?:0|[1-9][0-9]{0,17})\Z")
_NULL = ("~", "null", "Null", "NULL")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_RESOLVERS: dict = {}
for _tag, _pattern, _first in _IMPLICIT:
    for _char in _first:
        _RESOLVERS.setdefault(_char, []).append(re.compile(_pattern, re.X))
# per first character, one pattern matching what any of its resolvers matches
_RESOLVE = {char: re.compile("|".join(f"(?:{r.pattern})" for r in found), re.X) for char, found in _RESOLVERS.items()}
_LEADING = set("-?:,[]{}#&*!|>'\"%@` ")
_FLOW_STOP = re.compile(r"[,\[\]{}?#]|: |:$|:[,\[\]{}]")
_BLOCK_STOP = re.compile(r": | #|:$|\t")
_SINGLE = re.compile(r"'((?:[^']|'')*)'")
_DOUBLE = re.compile(r'"([^"\\]*)"')
_CACHE: tuple[dict, dict] = ({}, {})  # plain scalars read before (in block, in flow context): text → (value,)
# an instant as jiesu writes it: text in either context (no resolver matches it, no indicator stops it);
# a case names a dozen, most of them once, so they are not cached
_ALWAYS_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:[+-][0-9]{2}:[0-9]{2}|Z)\Z"
                    r"|[a-e][0-9a-f]{5}\Z")  # …and most event ids, each named once (no resolver reads a-e)


class _No(Exception):
    """Outside the layout this reader knows."""


def _plain(text: str, flow: bool):
    """The value of a plain scalar (raises _No when unsure)."""
    cache = _CACHE[flow]
    found = cache.get(text)
    if found is not None:
        return found[0]
    if _ALWAYS_TEXT.match(text):
        return text
    if not text or text[0] in _LEADING or text[-1] == " " or not text.isprintable() or text.startswith("..."):
        raise _No
    if (_FLOW_STOP if flow else _BLOCK_STOP).search(text):
        raise _No
    value = text
    resolve = _RESOLVE.get(text[0])
    if resolve is not None and resolve.match(text):
        if text in _NULL:
            value = None
        elif text in _BOOL:
            value = _BOOL[text]
        elif _INT.match(text):
            value = int(text)
        else:
            raise _No  # floats, octal, hex, merge keys…: the C loader decides
    if len(cache) > 100_000:
        cache.clear()
    cache[text] = (value,)
    return value


def _scalar(text: str, flow: bool):
    if not text:
        raise _No
    first = text[0]
    if first == "'":
        m = _SINGLE.fullmatch(text)
        if not m or not text.isprintable():
            raise _No
        return m.group(1).replace("''", "'")
    if first == '"':
        m = _DOUBLE.fullmatch(text)
        if not m or not text.isprintable():
            raise _No
        return m.group(1)
    return _plain(text, flow)


_KEYS: dict = {}


def _key(text: str) -> str:
    if text in _KEYS:
        return text
    if not _KEY.match(text) or any(r.match(text) for r in _RESOLVERS.get(text[0], ())):
        raise _No
    if len(_KEYS) < 10_000:
        _KEYS[text] = True
    return text


_SPECIAL = re.compile(r"[,\[\]{}'\"]")


def _split_flow(body: str) -> list[str]:
    """The items of a flow collection's inside, split at top-level `, `."""
    if "'" not in body and '"' not in body and "[" not in body and "{" not in body:
        items = body.split(", ")
        if "," in body.replace(", ", "") or "]" in body or "}" in body:
            raise _No
        return items
    items, depth, start, i = [], 0, 0, 0
    while True:
        m = _SPECIAL.search(body, i)
        if m is None:
            break
        i = m.start()
        ch = body[i]
        if ch in "'\"":
            if i != start and body[i - 2:i] != ": " and body[i - 1:i] not in ("[", "{"):
                i += 1  # a quote inside a plain scalar is an ordinary character
                continue
            end = body.find(ch, i + 1)
            while ch == "'" and end != -1 and body[end + 1:end + 2] == "'":
                end = body.find(ch, end + 2)
            if end == -1:
                raise _No
            i = end + 1
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth < 0:
                raise _No
        elif depth == 0:
            if body[i + 1:i + 2] != " ":
                raise _No
            items.append(body[start:i])
            start = i + 2
            i += 1
        i += 1
    if depth:
        raise _No
    items.append(body[start:])
    return items


def _flow(text: str):
    """A flow mapping or sequence, or a scalar in flow context."""
    if text[:1] == "{":
        if text[-1:] != "}":
            raise _No
        out: dict = {}
        if text == "{}":
            return out
        flow_cache, keys = _CACHE[True], _KEYS
        items = _split_flow(text[1:-1])
        for item in items:
            key, _sep, value = item.partition(": ")
            if not value:
                raise _No  # no `: `, or nothing after it
            if key not in keys:
                _key(key)
            found = flow_cache.get(value)  # most values are plain scalars seen before, or instants
            if found is not None:
                out[key] = found[0]
            elif _ALWAYS_TEXT.match(value):
                out[key] = value
            elif value[0] in "[{'\"":
                out[key] = _flow(value)
            else:
                out[key] = _plain(value, True)
        if len(out) != len(items):
            raise _No  # a key twice
        return out
    if text[:1] == "[":
        if text[-1:] != "]":
            raise _No
        if text == "[]":
            return []
        flow_cache = _CACHE[True]
        return [found[0] if (found := flow_cache.get(item)) is not None else _flow(item)
                for item in _split_flow(text[1:-1])]
    return _scalar(text, True)


def _value(text: str):
    """The value after `key: ` or `- ` on one line (not a block)."""
    if text[0] in "[{":
        return _flow(text)
    return _scalar(text, False)


def _indent_of(line: str) -> int:
    rest = line.lstrip(" ")
    return len(line) - len(rest) if rest[:1] not in ("", "#") else -2


class _Lines:
    def __init__(self, text: str):
        if "\t" in text or "\r" in text or not text.endswith("\n") or "\n\n\n" in text:
            raise _No
        self.lines = text[:-1].split("\n")
        # each line's indent, worked out once (-2: blank or a comment, which the reader refuses where
        # it meets one; -1: past the end); most lines start at the margin or two spaces in, told by
        # their first characters
        self.indents = [0 if line[:1] not in " #" else 2 if line[:2] == "  " and line[2:3] not in " #"
                        else _indent_of(line) for line in self.lines] + [-1]
        self.i = 0

    def indent(self) -> int:
        """Indent of the current line (-1 at the end)."""
        at = self.indents[self.i] if self.i < len(self.lines) else -1
        if at == -2:
            raise _No
        return at


def _literal(lines: _Lines, indent: int) -> str:
    """A `|` block whose lines are indented by `indent`, clip chomping."""
    out, rows = [], lines.lines
    pad = " " * indent
    while lines.i < len(rows):
        line = rows[lines.i]
        if line == "":
            out.append("")
        elif line.startswith(pad) and line[indent] != " ":
            out.append(line[indent:])
        elif line.startswith(pad):
            raise _No  # more indented than the first line: leave it to the C loader
        else:
            break
        lines.i += 1
    while out and out[-1] == "":
        out.pop()  # clip: trailing empty lines are not content
        lines.i -= 1  # …and they belong to what follows (then refused there)
    if not out or not out[0]:
        raise _No
    if any(not line.isprintable() for line in out):
        raise _No
    return "\n".join(out) + "\n"


def _mapping(lines: _Lines, indent: int, first: str | None = None) -> dict:
    out: dict = {}
    # the reader's hottest loop: `lines.indent()`, `_key` and a plain value's way through `_value`
    # are inlined for what most lines are (a key seen before, a value seen before or an instant)
    rows, indents, cache, keys = lines.lines, lines.indents, _CACHE[False], _KEYS
    while True:
        if first is not None:
            line, first = first, None
        else:
            i = lines.i
            at = indents[i]
            if at != indent:
                if at < indent and at != -2:
                    return out
                raise _No  # a blank line, a comment, a stray block or a plain scalar continued
            line = rows[i][indent:] if indent else rows[i]
            lines.i = i + 1
        key, sep, rest = line.partition(":")
        if not sep:
            raise _No
        if key not in keys:
            _key(key)
        if key in out:
            raise _No
        if rest[:1] == " ":
            value = rest[1:]
            found = cache.get(value)  # (never holds "", a text that starts with a space, or "|")
            if found is not None:
                out[key] = found[0]
            elif _ALWAYS_TEXT.match(value):
                out[key] = value
            elif value == "|":
                at = lines.indent() if lines.i < len(rows) and rows[lines.i] else -1
                if at != indent + 2:
                    raise _No
                out[key] = _literal(lines, at)
            elif value[:1] not in ("", " "):
                out[key] = _value(value)
            else:
                raise _No
        elif rest == "":
            out[key] = _block(lines, indent)
        else:
            raise _No


def _block(lines: _Lines, indent: int):
    """What follows `key:` at `indent`: a nested mapping, a sequence, or nothing (null)."""
    at = lines.indent()
    if at == indent and lines.lines[lines.i][at:at + 2] == "- ":
        return _sequence(lines, indent)
    if at > indent:
        if lines.lines[lines.i][at:at + 2] == "- ":
            return _sequence(lines, at)
        return _mapping(lines, at)
    return None


def _sequence(lines: _Lines, indent: int) -> list:
    out = []
    rows, indents = lines.lines, lines.indents
    while True:
        i = lines.i
        at = indents[i]
        if at == -2:
            raise _No
        if at != indent or rows[i][indent:indent + 2] != "- ":
            return out
        rest = rows[i][indent + 2:]
        lines.i = i + 1
        first = rest[:1]
        if first == "{":
            out.append(_flow(rest))  # (an event: most items are)
        elif not first or first == " ":
            raise _No
        elif first not in "['\"" and ": " in rest or rest.endswith(":"):
            out.append(_mapping(lines, indent + 2, first=rest))  # a block mapping item
            continue
        else:
            out.append(_value(rest))
        at = indents[lines.i]
        if at > indent or at == -2:
            raise _No


def load(text: str) -> dict | None:
    """The mapping in `text` if it is in jiesu's own layout, else None (read it with yamlio)."""
    try:
        lines = _Lines(text)
        if lines.indent() != 0:
            raise _No
        first = lines.lines[0]
        if first.startswith(("---", "...", "%", "- ")):
            raise _No
        out = _mapping(lines, 0)
        if lines.i != len(lines.lines):
            raise _No
        return out
    except (_No, IndexError, RecursionError):
        return None
