"""The fast case-file writer writes exactly what ruamel writes, or leaves the document to ruamel."""

from __future__ import annotations

import string

from hypothesis import example, given, settings
from hypothesis import strategies as st
from ruamel.yaml.scalarstring import LiteralScalarString

from jiesu.store import fastyaml, yamlio

TRICKY = string.ascii_letters + string.digits + " :#'\"-,[]{}&*!|>%@`?.~=<+/\\_\t" + "北京市投诉é’—\u00a0\u2028\ufeff"
MILD = string.ascii_letters + string.digits + "  .,:-'/#()北京投诉"
texts = st.one_of(st.text(alphabet=MILD, min_size=1, max_size=30).map(str.strip).filter(bool),
                  st.text(alphabet=MILD, min_size=1, max_size=30), st.text(alphabet=TRICKY, max_size=30))
scalars = st.one_of(texts, st.integers(-10**12, 10**12), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False, width=64))
keys = st.sampled_from(["id", "at", "by", "action", "title", "text", "unit", "co", "due", "lat", "long", "x1", "9", "no", "-k"])
literals = st.lists(st.text(alphabet=TRICKY + "\n", max_size=20), min_size=1, max_size=4).map(
    lambda lines: LiteralScalarString("\n".join(lines) + "\n"))


def flow_maps(values):
    return st.lists(st.tuples(keys, values), max_size=6).map(lambda pairs: yamlio.cmap(dict(pairs).items(), flow=True))


def block_maps(values):
    return st.lists(st.tuples(keys, values), min_size=1, max_size=6).map(lambda pairs: yamlio.cmap(dict(pairs).items()))


flow_seqs = st.lists(texts, max_size=4).map(lambda items: yamlio.cseq(items, flow=True))
leaf = st.one_of(scalars, literals, flow_seqs, flow_maps(st.one_of(scalars, flow_seqs)))
values = st.recursive(leaf, lambda inner: st.one_of(
    block_maps(inner),
    st.lists(st.one_of(scalars, flow_maps(scalars), block_maps(st.one_of(scalars, literals)), literals), min_size=1, max_size=4).map(yamlio.cseq),
), max_leaves=12)
documents = block_maps(values)


@settings(max_examples=300, deadline=None)
@given(documents)
@example(yamlio.cmap([("id", "'")]))
@example(yamlio.cmap([("id", "# it's")]))
@example(yamlio.cmap([("title", yamlio.cmap([("a", "'x'")], flow=True))]))
def test_the_fast_writer_writes_what_ruamel_writes(doc):
    fast = fastyaml.dump(doc)
    if fast is not None:
        assert fast == yamlio.rt_dump(doc)


def test_an_ordinary_case_document_takes_the_fast_path():
    event = yamlio.cmap([("id", "01a3f9"), ("at", "2021-11-02T10:02:02+08:00"), ("by", "123456"), ("action", "intake")], flow=True)
    doc = yamlio.cmap([
        ("id", "HL-2111-0069"), ("schema", 1), ("title", "Rubbish: at the gate, again"), ("received", "2021-11-02T10:02:02+08:00"),
        ("description", LiteralScalarString("Somebody disposed of garbage.\nSeveral times already.\n")),
        ("location", yamlio.cmap([("district", "dragon-gate"), ("lat", 40.71051892839852), ("long", -73.87862009301725)])),
        ("tags", yamlio.cseq([], flow=True)), ("source", yamlio.cmap([("system", "nyc311"), ("id", "40611598")], flow=True)),
        ("anomalies", yamlio.cseq(["closed-before-created: Closed Date is before Created Date", "It's odd"])),
        ("state", yamlio.cmap([("status", "closed"), ("co_units", yamlio.cseq([], flow=True)), ("resolved", True)])),
        ("events", yamlio.cseq([event])),
    ])
    fast = fastyaml.dump(doc)
    assert fast is not None and fast == yamlio.rt_dump(doc)
    assert yamlio.load(fast) == yamlio.to_plain(doc)


def test_what_it_does_not_handle_goes_to_ruamel():
    commented = yamlio.rt_load("a: 1  # a comment\nb: x\n")
    assert fastyaml.dump(commented) is None
    assert yamlio.dump_doc(commented) == "a: 1  # a comment\nb: x\n"
    assert fastyaml.dump(yamlio.cmap([("a", None)])) is None


def test_a_string_starting_with_a_quote_is_single_quoted_like_ruamel():
    for value in ("'", "'a'", "''", "\"it's\"", "@a'b"):
        doc = yamlio.cmap([("id", value)])
        assert fastyaml.dump(doc) == yamlio.rt_dump(doc)
        assert yamlio.load(fastyaml.dump(doc)) == {"id": value}


def test_a_quoted_string_holding_an_apostrophe_is_written_as_the_installed_ruamel_writes_it():
    """Real 311 notes (`Forwarded to City Attorney's Office, …: …`) take the fast path too."""
    for value in ("NSA mngr:  it's not an actionable complaint", "x 'y' #z", "it's: done", "a, b: it's [1]"):
        doc = yamlio.cmap([("text", value), ("event", yamlio.cmap([("text", value)], flow=True))])
        fast = fastyaml.dump(doc)
        assert fast is not None
        assert fast == yamlio.rt_dump(doc)
        assert yamlio.load(fast) == {"text": value, "event": {"text": value}}
    escaped = yamlio.cmap([("text", 'a: "q" it\'s')])  # a double quote to escape: left to ruamel
    assert fastyaml.dump(escaped) is None
    assert yamlio.dump_doc(escaped) == yamlio.rt_dump(escaped)


def plain_nodes(node, top: bool = True):
    """The same document made of plain nodes (as an import builds a new case)."""
    if isinstance(node, dict):
        pairs = [(k, plain_nodes(v, False)) for k, v in node.items()]
        return fastyaml.Document(pairs) if top else fastyaml.mapping(pairs, flow=bool(node.fa.flow_style()))
    if isinstance(node, list):
        return fastyaml.sequence([plain_nodes(v, False) for v in node], flow=bool(node.fa.flow_style()))
    return node


@settings(max_examples=300, deadline=None)
@given(documents)
@example(yamlio.cmap([("a", None)]))
@example(yamlio.cmap([("note", LiteralScalarString("x" * 3000 + "\n"))]))
def test_a_document_of_plain_nodes_is_written_as_ruamel_writes_it_built_of_its_nodes(doc):
    """Always written (by ruamel, through to_ruamel, where the fast writer leaves it), and the same
    text as the ruamel document: the plain nodes keep every style."""
    plain = plain_nodes(doc)
    assert fastyaml.dump(plain) == yamlio.dump_doc(plain) == yamlio.rt_dump(doc)
    assert yamlio.rt_dump(fastyaml.to_ruamel(plain)) == yamlio.rt_dump(doc)
