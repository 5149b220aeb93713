"""The layout of a case file, shared by every writer and the merge driver: where a case lives
(`cases/YYYY/MM/<ID>.yaml`, from its id) and how its events and state block are written (an event
one flow line when short and single-line, else a block; the state's lists and maps in flow style)."""

from __future__ import annotations

import re

from jiesu.store import fastyaml, yamlio

ID_PATTERN = re.compile(r"^([A-Z][A-Z0-9]{0,9})-(\d{2})(\d{2})-(\d{4,6})$")
FLOW_WIDTH = 220  # the longest event written on one line


def parse_id(case_id: str):
    """(office, yy, mm, seq) of a valid case id, or None."""
    m = ID_PATTERN.match(case_id or "")
    if not m:
        return None
    office, yy, mm, seq = m.groups()
    if not 1 <= int(mm) <= 12:
        return None
    return office, int(yy), int(mm), int(seq)


def case_relpath(case_id: str) -> str:
    """`cases/YYYY/MM/<ID>.yaml` for a valid id (century 20xx)."""
    parsed = parse_id(case_id)
    assert parsed, case_id
    _, yy, mm, _ = parsed
    return f"cases/{2000 + yy:04d}/{mm:02d}/{case_id}.yaml"


def nodes(plain: bool = False) -> tuple:
    """(mapping, sequence) makers of a document: ruamel's nodes (to edit a file), or with `plain`
    the plain nodes a new file is built of (`fastyaml.Document`), written the same."""
    return (fastyaml.mapping, fastyaml.sequence) if plain else (yamlio.cmap, yamlio.cseq)


def event_node(event: dict, plain: bool = False):
    """An event for the file: one flow line when short and single-line, else a block."""
    cmap, cseq = nodes(plain)
    single = all("\n" not in str(v) for v in event.values())
    length = sum(len(str(k)) + len(str(v)) + 4 for k, v in event.items())
    flow = single and length <= FLOW_WIDTH
    pairs = []
    for key, value in event.items():
        if isinstance(value, list):
            value = cseq(value, flow=True)
        elif isinstance(value, dict):  # an amendment's changes: field -> [old, new]
            value = cmap([(k, cseq(v, flow=True) if isinstance(v, list) else v) for k, v in value.items()], flow=True)
        elif isinstance(value, str) and not flow:
            value = yamlio.block_text(value)
        pairs.append((key, value))
    return cmap(pairs, flow=flow)


def state_node(state: dict, plain: bool = False):
    cmap, cseq = nodes(plain)
    pairs = []
    for key, value in state.items():
        if key == "co_units":
            value = cseq(value, flow=True)
        elif key in ("evaluation", "supervised"):
            value = cmap(value.items(), flow=True)
        elif key == "whistle":
            value = cseq([cmap(call.items(), flow=True) for call in value])
        pairs.append((key, value))
    return cmap(pairs)
