"""The fast case-file reader reads exactly what the C YAML loader reads, or leaves the text to it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_fastyaml import TRICKY, documents

from jiesu.store import fastread, yamlio

REPO = Path(__file__).resolve().parent.parent


def _c_load(text: str):
    """What the C loader makes of `text` (the exception's type when it refuses it)."""
    try:
        return yaml.load(text, Loader=yamlio.SafeLoader)  # noqa: S506 — jiesu's strict safe loader
    except yaml.YAMLError as exc:
        return type(exc)


def _agrees(text: str) -> bool:
    fast = fastread.load(text)
    if fast is not None:
        assert fast == _c_load(text)
        assert type(fast) is dict
    return fast is not None


@settings(max_examples=300, deadline=None)
@given(documents)
def test_what_jiesu_writes_reads_back_the_same(doc):
    _agrees(yamlio.dump_doc(doc))


edits = st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["insert", "delete", "indent", "dedent", "double"]),
                           st.sampled_from(list(TRICKY) + [" ", "- ", ": ", ", ", "\n", "  ", "'", '"', "|", "#"])),
                 min_size=1, max_size=3)


@settings(max_examples=400, deadline=None)
@given(documents, edits)
@example(yamlio.cmap([("a", "x")]), [(3, "insert", "\n  b")])  # a plain scalar continued on the next line
@example(yamlio.cmap([("a", "x")]), [(0, "insert", "a: y\n")])  # a duplicate key
@example(yamlio.cmap([("text", yamlio.cseq(["0A"]))]), [(4, "delete", ":")])  # a key without its colon
def test_a_damaged_or_hand_edited_file_is_read_the_same_or_left_to_the_c_loader(doc, changes):
    text = yamlio.dump_doc(doc)
    for at, kind, piece in changes:
        at %= len(text) + 1
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + len(piece):]
        else:
            start = text.rfind("\n", 0, at) + 1
            if kind == "indent":
                text = text[:start] + "  " + text[start:]
            elif kind == "dedent" and text[start:start + 2] == "  ":
                text = text[:start] + text[start + 2:]
            elif kind == "double":
                end = text.find("\n", at)
                end = len(text) if end == -1 else end + 1
                text = text[:end] + text[start:end] + text[end:]
    _agrees(text)


def _real_files() -> list[Path]:
    files = sorted((REPO / "cases").rglob("*.yaml"))
    files += sorted((REPO / "jiesu" / "data").rglob("*.yaml"))
    files += sorted((REPO / "catalog").rglob("*.yaml"))
    return files


def test_real_files_read_the_same():
    files = _real_files()
    assert files
    for path in files:
        _agrees(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_a_demo_store_takes_the_fast_path_and_reads_the_same(tmp_path):
    from click.testing import CliRunner

    from jiesu.cli import cli

    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "demo" / "cases").rglob("*.yaml"))
    fast = sum(_agrees(path.read_text(encoding="utf-8")) for path in files)
    assert len(files) > 20
    assert fast == len(files)  # every case file jiesu wrote itself


def test_an_ordinary_case_file_is_read_by_the_fast_reader():
    text = (
        "id: HL-2207-0001\nschema: 1\ntitle: How does it work? Caller from Deer Park\n"
        "received: 2022-07-01T12:23:27+08:00\ndescription: |\n  Two lines.\n\n  After a blank one.\n"
        "location:\n  district: star-river\ncomplainant:\n  phone: \"18041695656\"\n  frequent: false\n"
        "tags: []\nstate:\n  co_units: [a, b]\n  evaluation: {reached: true, satisfaction: very-satisfied}\n"
        "  merged_into:\nevents:\n- {id: d2c9ed, at: 2022-07-01T12:23:27+08:00, action: intake, limit_from: category:x.y}\n"
        "- {id: b681a9, action: escalate, reason: Needs another department's powers, n: 3}\n"
        "- id: 0a0a0a\n  action: note\n  text: |\n    A long note.\n"
    )
    fast = fastread.load(text)
    assert fast == yamlio.load(text)
    assert fast["description"] == "Two lines.\n\nAfter a blank one.\n"
    assert fast["events"][1] == {"id": "b681a9", "action": "escalate", "reason": "Needs another department's powers", "n": 3}
    assert fast["state"]["merged_into"] is None and fast["complainant"]["phone"] == "18041695656"


@pytest.mark.parametrize("text", [
    "a: 1  # a comment\n", "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: 0o17\n", "a: 1.5\n", "a: x\n  y\n",
    "a: 1\na: 2\n", "a:\n\tb: 1\n", "---\na: 1\n", "a: |-\n  x\n", "a: {b: c\n", "- a\n", "true: 1\n",
])
def test_what_it_does_not_know_it_leaves_to_the_c_loader(text):
    assert fastread.load(text) is None


@pytest.mark.parametrize("value", [
    "2022-07-01T12:23:27+08:00", "2022-07-01T12:23:27Z", "2022-07-01T12:23:27-05:30", "2022-07-01 12:23:27+08:00",
    "2022-07-01T12:23:27.5+08:00", "2022-07-01T12:23:27+0800", "2022-07-01", "d2c9ed", "a0e123", "e12345", "abcdef",
    "b681a9x", "f3bc41", "12e456", "0a0a0a", "123456", "e1234", "E12345",
])
def test_instants_and_event_ids_read_as_the_c_loader_reads_them(value):
    """An instant as jiesu writes it and a six-digit hex id starting a-e skip the general checks of a
    plain scalar: they read as text, as the C loader reads them, in a block and in a flow mapping,
    seen for the first time or again; anything near them is read as before."""
    for text in (f"a: {value}\nb: x\n", f"a: {{k: {value}, at: {value}}}\n", f"a:\n- {{id: {value}}}\n- {value}\n"):
        for _ in range(2):
            fast = fastread.load(text)
            assert fast is None or fast == _c_load(text), text
            if value in ("2022-07-01T12:23:27+08:00", "d2c9ed", "e12345"):
                assert fast is not None and fast == yamlio.load(text)
