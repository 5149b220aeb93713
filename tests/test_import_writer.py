"""A city's rows become case documents of plain nodes (`fastyaml.Document`: dicts, lists, flow
maps and sequences, `|` strings), written by the fast writer without ruamel's node types. On rows
of the real files in ../shared/data, every file such an import writes is byte for byte what ruamel
writes for the same document built of ruamel's nodes, and the documents are those that the
ruamel builders (`build_case`, `event_node`, `state_node`) make."""

from __future__ import annotations

import csv
import random

import pytest
from conftest import SHARED

from jiesu import model, ops
from jiesu.interop.importer import Summary, plan_file, run_import
from jiesu.interop.mapping import load_mapping
from jiesu.ops.new_cases import build_case, prepare
from jiesu.store import Store, fastyaml, yamlio
from jiesu.store.case_layout import event_node, state_node

DATA = SHARED / "data"
NOW = "2026-01-01T00:00:00+00:00"
FILES = {
    "sf311": ("sf311/sf311_2008-2018_10k.csv", "America/Los_Angeles"),
    "la311": ("la311/la311_2018-12-27_to_31_last10k.csv", "America/Los_Angeles"),
    "baltimore311": ("baltimore311/baltimore311_2014-2019_sample10k.csv", "America/New_York"),
}
# characters that change how YAML writes a scalar: quotes, indicators, line breaks, non-ASCII
TELLING = set("'\"#:{}[],&*!|>%@`?\n\\") | {chr(c) for c in range(128, 0x3000)}

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not found: {DATA} is absent")


def sample(name: str, folder) -> tuple:
    """The file's header and a few hundred of its rows: every row with a telling character in a
    cell (up to 200) and every 100th row; written as a CSV file in `folder`."""
    rel, tz = FILES[name]
    with open(DATA / rel, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows, telling = [], 0
        for number, row in enumerate(reader):
            odd = any(TELLING.intersection(cell) for cell in row)
            if (odd and telling < 200) or number % 100 == 0:
                rows.append(row)
                telling += odd
    path = folder / f"{name}-sample.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path, tz


def fresh_store(tmp_path, name, tz, monkeypatch) -> Store:
    monkeypatch.setenv("JIESU_NOW", NOW)
    monkeypatch.setenv("JIESU_ACTOR", "importer")
    return ops.init_store(tmp_path / name, office="HL", tz=tz, actor="admin")


@pytest.mark.parametrize("name", list(FILES))
def test_an_imported_case_file_is_what_ruamel_writes(name, tmp_path, monkeypatch):
    path, tz = sample(name, tmp_path)
    store = fresh_store(tmp_path, "store", tz, monkeypatch)
    written, fast_dump = [], yamlio.dump_doc

    def dump_doc(doc):  # the store's writer, checked against ruamel on every document it writes
        text = fast_dump(doc)
        if type(doc) is fastyaml.Document:
            written.append((text, yamlio.rt_dump(fastyaml.to_ruamel(doc))))
        return text

    monkeypatch.setattr(yamlio, "dump_doc", dump_doc)
    summary = run_import(store, str(path), name, "importer", batch=200)
    assert summary.imported > 100 and not summary.interrupted
    assert len(written) == summary.imported  # every new case was a document of plain nodes
    mismatched = [(fast, slow) for fast, slow in written if fast != slow]
    assert mismatched == []
    # the files are what was written, and every one reads back as its case
    files = sorted((store.root / "cases").rglob("*.yaml"))
    assert sorted(p.read_text("utf-8") for p in files) == sorted(fast for fast, _ in written)
    assert any("|\n" in fast for fast, _ in written) or name != "sf311"  # multi-line notes among them
    assert any("'" in fast for fast, _ in written)


@pytest.mark.parametrize("name", list(FILES))
def test_plain_nodes_build_the_documents_the_ruamel_builders_build(name, tmp_path, monkeypatch):
    path, tz = sample(name, tmp_path)
    store = fresh_store(tmp_path, "store", tz, monkeypatch)
    work = plan_file(store, path, load_mapping(name), Summary(path.name, name))
    assert len(work.plans) > 100
    (store.root / "catalog" / "import.yaml").write_text(work.section.text(store), "utf-8")  # the units the rows name
    store = Store(store.root)
    checked = 0
    for number, plan in enumerate(work.plans):
        prepared = prepare(store, plan.record, plan.by)
        built = {}
        for plain in (True, False):
            ids = random.Random(number)  # the same event ids for both documents
            monkeypatch.setattr(model.secrets, "token_hex", lambda n, ids=ids: ids.randbytes(n).hex())
            doc, case = build_case(store, f"HL-1801-{number + 1:04d}", prepared, "r1" if number % 7 == 0 else None, plain)
            built[plain] = (yamlio.rt_dump(fastyaml.to_ruamel(doc) if plain else doc), case)
        assert built[True] == built[False]
        case = built[True][1]
        for action in plan.actions:  # the row's later events (assign, close…), as the import makes them
            event = dict(action.args, id="0a1b2c", at=action.at, by=action.by, action=action.op)
            pair = [yamlio.rt_dump(yamlio.cmap([("events", yamlio.cseq([node]))]))
                    for node in (fastyaml.to_ruamel(event_node(event, plain=True)), event_node(event))]
            assert pair[0] == pair[1]
            checked += 1
        state = [yamlio.rt_dump(yamlio.cmap([("state", node)]))
                 for node in (fastyaml.to_ruamel(state_node(case["state"], plain=True)), state_node(case["state"]))]
        assert state[0] == state[1]
    assert checked > 0
