"""The two YAML loaders agree, and dangerous YAML is refused with a line number."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiesu.store import yamlio

TRICKY = ["no", "yes", "on", "off", "1:20", "0777", "0o17", "0x1F", "1_000", ".inf", "2021-11-02T10:02:02+08:00",
          "2021-11-02", "~", "null", "", "123", "+1", "1e3", "1.5", "=", "<<", "True", "y", "N", "15123456789",
          "- dash", "a: b", "# hash", "@at", "`tick", "'q'", '"dq"', "{x}", "[y]", "x, y", "a #b", "  pad  ", "多行\n文本",
          "\u200f右到左", "emoji 🚮", "<script>alert(1)</script>", "{{ 7*7 }}", "tab\there"]


def roundtrip(value):
    doc = yamlio.cmap([("title", value), ("events", yamlio.cseq([yamlio.cmap([("text", value)], flow=True)]))])
    text = yamlio.rt_dump(doc)
    return text, yamlio.load(text), yamlio.to_plain(yamlio.rt_load(text))


@pytest.mark.parametrize("value", TRICKY)
def test_strings_survive_both_loaders(value):
    text, fast, rt = roundtrip(value)
    assert fast["title"] == value and fast["events"][0]["text"] == value, text
    assert rt["title"] == value and rt["events"][0]["text"] == value, text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\x85\u2028\u2029\ufeff"), max_size=40))
def test_any_text_round_trips(value):
    text, fast, rt = roundtrip(value)
    assert fast["title"] == value, text
    assert rt["title"] == value, text


def test_timestamps_stay_strings():
    assert yamlio.load("at: 2021-11-02T10:02:02+08:00\nday: 2021-11-02\n") == {"at": "2021-11-02T10:02:02+08:00", "day": "2021-11-02"}


@pytest.mark.parametrize("text,message,line", [
    ("a: &x [1, 2]\nb: *x\n", "anchors and aliases", 1),
    ("a: 1\nb: 2\na: 3\n", "duplicate key 'a' (first on line 1)", 3),
    ("a: !!python/object:os.system ls\n", "custom tag not allowed", 1),
    ("a: !custom x\n", "custom tag not allowed", 1),
    ("a:\n  - b\n c: d\n", "", 3),
    ("x: {<<: {a: 1}}\n", "merge keys", 1),
])
def test_dangerous_or_broken_yaml_is_refused_with_line(text, message, line):
    with pytest.raises(yamlio.YamlProblem) as info:
        yamlio.load(text, "f.yaml")
    assert info.value.line == line
    assert message in info.value.problem
    assert str(info.value.message).startswith(f"f.yaml:{line}: ")


def test_alias_bomb_is_refused_fast():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    with pytest.raises(yamlio.YamlProblem, match="anchors and aliases"):
        yamlio.load("\n".join(lines))


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "x.yaml"
    yamlio.atomic_write(target, "a: 1\n")
    yamlio.atomic_write(target, "a: 2\n")
    assert target.read_text() == "a: 2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.yaml"]
