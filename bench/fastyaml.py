"""A small, fast YAML emitter for case files, with the layout jiesu writes.

Block style for the case and its `state`; `tags`, `co_units` and `evaluation` in flow style; each
event as one flow mapping `- {id: …, at: …}` unless it is long or multi-line (then a block
mapping, as jiesu's `event_node` decides). Strings stay plain when that is safe and otherwise
become JSON strings, which are valid YAML double-quoted scalars. Going through ruamel costs
10–16 ms per file; this costs a few microseconds.
"""

from __future__ import annotations

import json
import re

FLOW_WIDTH = 220  # jiesu.ops.common.FLOW_WIDTH: longer events are written as block mappings

# Everything a YAML 1.1 or 1.2 loader would read as something other than a string.
_NOT_STRING = re.compile(
    r"""^(?:
        ~|null|Null|NULL
      | true|True|TRUE|false|False|FALSE
      | yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N
      | [-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
      | [-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
      | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
      | [-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?0x[0-9a-fA-F_]+
      | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
      | <<|=
    )$""",
    re.X,
)
_FIRST = set("-?:,[]{}#&*!|>'\"%@` \t")
_FLOW_CHARS = set(",[]{}")


_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
_BLOCK: dict = {}
_FLOW: dict = {}
_CACHE_MAX = 1 << 17


def _quote(text: str, flow: bool) -> str:
    if (
        not text
        or text[0] in _FIRST
        or text[-1] in " \t:"
        or text.startswith("...")
        or ": " in text
        or " #" in text
        or not text.isprintable()
        or _NOT_STRING.match(text)
        or (flow and not _FLOW_CHARS.isdisjoint(text))
    ):
        quoted = json.dumps(text, ensure_ascii=False)
        # characters YAML counts as line breaks stay escaped
        return quoted.replace("\u0085", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text


def _str(text: str, flow: bool) -> str:
    cache = _FLOW if flow else _BLOCK
    found = cache.get(text)
    if found is None:
        if _TIME.fullmatch(text):  # times: plain, and too many to cache
            return text
        found = _quote(text, flow)
        if len(cache) < _CACHE_MAX:
            cache[text] = found
    return found


def scalar(value, flow: bool = False) -> str:
    """One scalar as YAML text (plain when safe, else a JSON string)."""
    if type(value) is str:
        return _str(value, flow)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return _str(str(value), flow)


def flow_seq(items) -> str:
    return "[" + ", ".join(scalar(v, True) for v in items) + "]"


def flow_map(mapping: dict) -> str:
    return "{" + ", ".join(f"{k}: {scalar(v, True)}" for k, v in mapping.items()) + "}"


def _block_value(key: str, value, indent: str) -> str:
    if isinstance(value, list):
        return f"{indent}{key}: {flow_seq(value)}\n"
    if isinstance(value, str) and "\n" in value.rstrip("\n"):
        text = value if value.endswith("\n") else value + "\n"
        body = "".join(f"{indent}  {line}\n" if line else "\n" for line in text[:-1].split("\n"))
        return f"{indent}{key}: |\n{body}"
    return f"{indent}{key}: {scalar(value)}\n"


def event_line(event: dict) -> str:
    """One event as an item of the `events:` list (flow when short and single-line, as jiesu's
    `event_node` decides)."""
    single = True
    length = 0
    for k, v in event.items():
        text = v if type(v) is str else str(v)
        if "\n" in text:
            single = False
        length += len(k) + len(text) + 4
    if single and length <= FLOW_WIDTH:
        parts = []
        for k, v in event.items():
            parts.append(f"{k}: {flow_seq(v) if type(v) is list else scalar(v, True)}")
        return "- {" + ", ".join(parts) + "}\n"
    lines = []
    for k, v in event.items():
        lines.append(_block_value(k, v, "  "))
    return "- " + "".join(lines)[2:]


def state_text(state: dict) -> str:
    """The `state:` block of a case."""
    out = ["state:\n"]
    for k, v in state.items():
        if k == "co_units":
            out.append(f"  co_units: {flow_seq(v)}\n")
        elif k == "evaluation":
            out.append(f"  evaluation: {flow_map(v)}\n")
        else:
            out.append(f"  {k}: {scalar(v)}\n")
    return "".join(out)


def header_text(case: dict) -> str:
    """Everything of a case file before `state:` (fixed once the case is received)."""
    out = []
    for key, value in case.items():
        if key in ("location", "complainant"):
            out.append(f"{key}:\n")
            for k, v in value.items():
                out.append(_block_value(k, v, "  "))
        elif key == "tags":
            out.append(f"tags: {flow_seq(value)}\n")
        else:
            out.append(_block_value(key, value, ""))
    return "".join(out)
