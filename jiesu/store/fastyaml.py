"""A fast writer for the YAML that jiesu itself produces, byte for byte what ruamel would write.

ruamel's round-trip dumper is pure Python and costs several milliseconds a case file, which is
most of an import of thousands of cases. Case files use a small part of YAML: block and flow
mappings and sequences, plain/quoted one-line scalars, `|` blocks. For documents made only of
these, `dump` writes the text directly, choosing each scalar's style by ruamel's own rules (plain
when it reads back as the same string, else single-quoted; a quoted scalar holding `'` goes to ruamel);
for anything else (comments, odd characters, very long lines…) it returns None and the caller
uses ruamel.
"""

from __future__ import annotations

import re
import sys

WIDTH_LIMIT = 2000  # longer scalars may be folded by ruamel at its line width: leave them to it
_LEADING = "#,[]{}&*!|>'\"%@`"  # indicators a plain scalar cannot start with
_FLOW_CHARS = re.compile(r"[,\[\]{}]")
_RESOLVERS = None


class Unsupported(Exception):
    """The document holds something this writer leaves to ruamel."""


# A new file has no comments or styles to keep, so it need not be built of ruamel's nodes (which
# cost more to make than to write): a `Document` is a block mapping whose values are plain dicts
# and lists (block style), `FlowMap` and `FlowSeq` (flow style), literal `|` strings and scalars.
# `dump` writes it as ruamel would write the same document built of ruamel nodes (`to_ruamel`).


class Document(dict):
    """A new file's top-level mapping, made of plain nodes (see above)."""


class FlowMap(dict):
    """A mapping written in flow style: `{a: 1, b: 2}`."""


class FlowSeq(list):
    """A sequence written in flow style: `[a, b]`."""


def mapping(pairs=(), flow: bool = False):
    """A plain-node mapping from (key, value) pairs (as `yamlio.cmap` makes a ruamel one)."""
    return FlowMap(pairs) if flow else dict(pairs)


def sequence(items=(), flow: bool = False):
    """A plain-node sequence (as `yamlio.cseq` makes a ruamel one)."""
    return FlowSeq(items) if flow else list(items)


def to_ruamel(node):
    """The same document built of ruamel's nodes (to edit it, or for ruamel to write it)."""
    from jiesu.store.yamlio import cmap, cseq

    kind = type(node)
    if kind is dict or kind is Document or kind is FlowMap:
        return cmap([(k, to_ruamel(v)) for k, v in node.items()], flow=kind is FlowMap)
    if kind is list or kind is FlowSeq:
        return cseq([to_ruamel(v) for v in node], flow=kind is FlowSeq)
    return node


_PLAIN_NODES = {dict: False, list: False, Document: False, FlowMap: True, FlowSeq: True}


def _resolves_to_other(text: str) -> bool:
    """Would this text, written plain, read back as a number, boolean, null…? (YAML 1.2 core)"""
    global _RESOLVERS
    if _RESOLVERS is None:
        from jiesu.store.yamlio import _IMPLICIT

        _RESOLVERS = {}
        for _, pattern, first in _IMPLICIT:
            for char in first:
                _RESOLVERS.setdefault(char, []).append(re.compile(pattern, re.VERBOSE))
    return any(r.match(text) for r in _RESOLVERS.get(text[:1], ()))


_CACHES: tuple = ({}, {}, {}, {})  # written scalars by context: block, flow, block key, flow key


def _scalar(value, flow: bool, key: bool = False) -> str:
    """A scalar as ruamel writes it in this context (raises Unsupported for what it leaves to ruamel)."""
    if type(value) is str and len(value) < 80:
        cache = _CACHES[flow + 2 * key]
        cached = cache.get(value)
        if cached is None:
            if len(cache) > 20_000:
                cache.clear()
            cached = cache[value] = _style(value, flow, key)
        return cached
    return _style(value, flow, key)


def _style(value, flow: bool, key: bool) -> str:
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        text = repr(value).lower()
        if "." not in text or "e" in text or "n" in text:
            raise Unsupported(text)
        return text
    if kind is not str:
        raise Unsupported(kind.__name__)
    if not value or len(value) > WIDTH_LIMIT or not value.isprintable() or value != value.strip():
        raise Unsupported("scalar")
    if value[0] in "-?:" or any(ch > "\uffff" for ch in value):
        raise Unsupported("scalar")  # ruamel's rules for these depend on more than this writer checks
    # ruamel's analysis (Emitter.analyze_scalar) for one printable line without outer spaces
    block_indicators = (value[0] in _LEADING or value.startswith("...") or ": " in value or value.endswith(":")
                        or " #" in value)
    plain = not block_indicators and not (flow and _FLOW_CHARS.search(value))
    if plain and not _resolves_to_other(value):
        return value
    if key:
        raise Unsupported("key")  # keys are plain words in case files
    if value[0] in _LEADING:
        # jiesu's representer forces single quotes on strings that start with an indicator
        # (yamlio._represent_str), so ruamel never picks double quotes for them
        return "'" + value.replace("'", "''") + "'"
    if "'" in value:
        return _quoted_with_apostrophe(value)
    return "'" + value + "'"


_APOSTROPHE: list = []  # how the installed ruamel quotes a string holding ' (asked once)
_PROBE = "a: it's"


def _quoted_with_apostrophe(value: str) -> str:
    """A quoted scalar holding `'`, as the installed ruamel writes it: some versions double-quote
    it, others double the quote inside single quotes. Which one is asked of ruamel once, with a
    probe; a style this writer does not know, or a `"` or `\\` to escape, goes to ruamel."""
    if not _APOSTROPHE:
        from jiesu.store.yamlio import cmap, rt_dump

        probe = rt_dump(cmap([("k", _PROBE)]))
        _APOSTROPHE.append({f'k: "{_PROBE}"\n': "double", "k: 'a: it''s'\n": "single"}.get(probe))
    style = _APOSTROPHE[0]
    if style == "double" and '"' not in value and "\\" not in value:
        return '"' + value + '"'
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    raise Unsupported("quote")


def _literal(value: str, indent: int) -> str:
    if not value.endswith("\n") or value.endswith("\n\n") or value[0] in " \n" or len(value) > 200_000:
        raise Unsupported("literal")
    lines = value[:-1].split("\n")
    if any(not line.isprintable() for line in lines):
        raise Unsupported("literal")
    pad = " " * indent
    return "|\n" + "".join((pad + line if line else "") + "\n" for line in lines)


def _is_flow(node) -> bool:
    flow = _PLAIN_NODES.get(type(node))
    return flow if flow is not None else bool(node.fa.flow_style())


def _has_comments(node) -> bool:
    if type(node) in _PLAIN_NODES:
        return False
    ca = getattr(node, "ca", None)
    return bool(ca and (ca.comment or ca.items or getattr(ca, "end", None)))


def _flow(node) -> str:
    if _has_comments(node):
        raise Unsupported("comment")
    if isinstance(node, dict):
        return "{" + ", ".join(f"{_scalar(k, True, key=True)}: {_flow_value(v)}" for k, v in node.items()) + "}"
    return "[" + ", ".join(_flow_value(v) for v in node) + "]"


def _flow_value(value) -> str:
    if isinstance(value, (dict, list)):
        return _flow(value)
    if _literal_type(value):
        raise Unsupported("literal in flow")
    return _scalar(value, True)


_LITERAL: list = []


def _literal_type(value) -> bool:
    if not _LITERAL:
        module = sys.modules.get("ruamel.yaml.scalarstring")
        if module is None:
            return False  # nothing is one before ruamel is imported (a command that needs none saves 11 ms)
        _LITERAL.append(module.LiteralScalarString)
    return type(value) is _LITERAL[0]


def _value(value, indent: int, out: list, prefix: str) -> None:
    """`prefix` (a `key:` or `- ` already placed) followed by the value at `indent`."""
    if isinstance(value, (dict, list)):
        if _has_comments(value):
            raise Unsupported("comment")
        if not value or _is_flow(value):
            out.append(f"{prefix} {_flow(value)}\n" if prefix.endswith(":") else f"{prefix}{_flow(value)}\n")
            return
        if isinstance(value, dict):
            if prefix.endswith(":"):
                out.append(prefix + "\n")
                _mapping(value, indent + 2, out)
            else:
                _mapping(value, indent, out, first=prefix)
            return
        if prefix.endswith(":"):
            out.append(prefix + "\n")
            _sequence(value, indent, out)
        else:
            raise Unsupported("nested sequence")
        return
    if _literal_type(value):
        text = _literal(str(value), indent + 2 if prefix.endswith(":") else indent)
        out.append(f"{prefix} {text}" if prefix.endswith(":") else f"{prefix}{text}")
        return
    out.append(f"{prefix} {_scalar(value, False)}\n" if prefix.endswith(":") else f"{prefix}{_scalar(value, False)}\n")


def _mapping(node: dict, indent: int, out: list, first: str | None = None) -> None:
    pad = " " * indent
    for number, (key, value) in enumerate(node.items()):
        lead = first if (number == 0 and first is not None) else pad
        _value(value, indent, out, f"{lead}{_scalar(key, False, key=True)}:")


def _sequence(node: list, indent: int, out: list) -> None:
    pad = " " * indent
    for item in node:
        _value(item, indent + 2, out, f"{pad}- ")


def dump(doc) -> str | None:
    """The text ruamel would write for `doc`, or None when this writer does not handle it.

    tests/test_fastyaml.py holds it to ruamel's output, byte for byte, on generated documents.
    A `Document` of plain nodes is always written: by ruamel, through `to_ruamel`, where this
    writer leaves it.
    """
    try:
        if not isinstance(doc, dict) or not doc or _is_flow(doc) or _has_comments(doc):
            raise Unsupported("top level")
        out: list = []
        _mapping(doc, 0, out)
        if any(len(line) > WIDTH_LIMIT * 2 for line in out):
            raise Unsupported("long line")
    except Unsupported:
        if type(doc) is Document:
            from jiesu.store.yamlio import rt_dump

            return rt_dump(to_ruamel(doc))
        return None
    return "".join(out)
