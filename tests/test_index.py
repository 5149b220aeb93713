"""The read index: identical answers with a fresh, stale, corrupt or missing index; incremental
refresh after edits, deletions and merges made outside jiesu; lazy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import git, load, new_case
from hypothesis import given, settings
from hypothesis import strategies as st

from jiesu.index import VERSION, Index, chunk_spans
from jiesu.store import Store


@pytest.fixture
def busy(run, store):
    """A store with cases in several states."""
    ids = [new_case(run, at=f"2021-11-0{d}T09:00") for d in range(1, 7)]
    run("assign", ids[0])
    run("assign", ids[1])
    run("accept", ids[1])
    run("close", ids[1], "--resolved", "--summary", "done")
    run("reject", ids[2], "--reason", "invalid")
    run("assign", ids[3], "dragon-gate/dragon-spring")
    return ids


def answers(run):
    return (run("list", "--format", "json", check=False).stdout,
            run("list", "--status", "dispatched", "--format", "csv", check=False).stdout,
            run("overdue", "--format", "json", check=False).stdout,
            run("overdue", "--as-of", "2021-11-09T12:00", "--unit", "dragon-gate", "--format", "json", check=False).stdout)


def test_same_answers_fresh_stale_corrupt_and_none(run, store, busy):
    index = store.root / ".jiesu" / "index.sqlite"
    reference = answers(run)
    assert json.loads(reference[0]) and index.exists()
    index.unlink()                                    # none
    assert answers(run) == reference
    index.write_bytes(b"this is not a database")      # corrupt
    result = run.raw("list", "--limit", "1")
    assert result.exit_code == 0 and "rebuilding the index because it could not be read" in result.stderr
    assert answers(run) == reference
    import sqlite3  # another format version
    db = sqlite3.connect(index)
    db.execute("UPDATE meta SET value = 'old' WHERE key = 'version'")
    db.commit()
    db.close()
    assert "rebuilding the index because its format changed" in run.raw("list").stderr
    assert answers(run) == reference
    index.write_bytes(b"this is not a database")      # told in the store's language
    assert "注意：正在重建索引：索引文件无法读取" in run.raw("--lang", "zh", "list").stderr
    assert answers(run) == reference
    # stale: the index was made before the last commits
    index.unlink()
    before = answers(run)
    run("contact", busy[0], "--note", "called")
    assert answers(run) != before
    fresh = answers(run)
    index.unlink()
    assert answers(run) == fresh


def test_jiesu_writes_keep_the_index_current(run, store, busy):
    run("list")
    head = git(store.root, "rev-parse", "HEAD").strip()
    import sqlite3

    def indexed_head():
        return dict(sqlite3.connect(store.root / ".jiesu/index.sqlite").execute("SELECT key, value FROM meta"))["head"]

    assert indexed_head() == head
    run("accept", busy[0])
    assert indexed_head() == git(store.root, "rev-parse", "HEAD").strip()  # updated by the write itself
    assert [r["status"] for r in run.json("list") if r["id"] == busy[0]] == ["accepted"]


def test_refresh_after_outside_edits_deletes_and_merges(run, store, busy):
    run("list")
    path = store.root / store.case_relpath(busy[4])
    path.write_text(path.read_text("utf-8").replace("title: Rubbish at the gate", "title: Renamed by hand"), "utf-8")
    git(store.root, "commit", "-qam", "hand edit")
    assert [r["title"] for r in run.json("list") if r["id"] == busy[4]] == ["Renamed by hand"]
    # a branch with another case, merged back
    git(store.root, "checkout", "-q", "-b", "side")
    side = new_case(run, title="From the side branch")
    git(store.root, "checkout", "-q", "main")
    git(store.root, "merge", "-q", "--no-edit", "side")
    assert side in [r["id"] for r in run.json("list")]
    git(store.root, "rm", "-q", store.case_relpath(busy[5]))
    git(store.root, "commit", "-qm", "remove a case")
    assert busy[5] not in [r["id"] for r in run.json("list")]
    # an uncommitted hand edit is not indexed (verify reports it)
    path = store.root / store.case_relpath(busy[3])
    path.write_text(path.read_text("utf-8").replace("title: Rubbish at the gate", "title: Not committed"), "utf-8")
    assert "Not committed" not in run("list", check=False).stdout
    report = run.raw("verify").stdout
    assert "uncommitted change" in report
    # the audit names the case deleted outside jiesu, and how to get it back
    deleted = store.case_relpath(busy[5])
    assert f"{deleted}:1: event " in report and "was removed by outside jiesu commit" in report and "git show" in report
    git(store.root, "checkout", "-q", "--", store.case_relpath(busy[3]))


def test_log_reads_the_rewritten_history_not_the_old_one(run, store, busy):
    """`log` starts at the commit the index read a case at; after a history rewrite that commit is
    gone from HEAD's history, so the index falls back to HEAD instead of walking the old commits."""
    run("list")
    before = [h["commit"] for h in run.json("log", busy[1])]
    assert len(before) == 4  # intake, assign, accept, close
    env = {"FILTER_BRANCH_SQUELCH_WARNING": "1"}
    subprocess.run(["git", "filter-branch", "-f", "--msg-filter", "cat; echo; echo Reworded: yes", "HEAD"],
                   cwd=store.root, env={**os.environ, **env}, check=True, capture_output=True)
    after = run.json("log", busy[1])
    assert len(after) == 4 and not set(before) & {h["commit"] for h in after}
    for h in after:
        assert subprocess.run(["git", "merge-base", "--is-ancestor", h["commit"], "HEAD"], cwd=store.root).returncode == 0
        assert "Reworded: yes" in git(store.root, "show", "-s", "--format=%B", h["commit"])


def test_a_new_time_zone_rebuilds_the_index(run, store, busy):
    """Local dates and working time depend on the office's zone, so its rows are redone."""
    before = run.json("list")
    settings = store.root / "jiesu.yaml"
    settings.write_text(settings.read_text("utf-8").replace("timezone: Asia/Shanghai", "timezone: Europe/London"), "utf-8")
    git(store.root, "commit", "-qam", "the office moved")
    result = run("list", "--format", "json")
    assert "rebuilding the index because the catalog or the time zone changed" in result.stderr
    assert [r["id"] for r in json.loads(result.stdout)] == [r["id"] for r in before]
    assert "rebuilding" not in run("list").stderr  # once


def test_unreadable_case_file_is_listed_as_a_problem(run, store, busy):
    path = store.root / store.case_relpath(busy[4])
    path.write_text("id: [broken\n", "utf-8")
    git(store.root, "commit", "-qam", "break")
    assert busy[4] not in [r["id"] for r in run.json("list")]
    problems = Index(Store(store.root)).problems()
    assert len(problems) == 1 and problems[0].startswith(store.case_relpath(busy[4]) + ":")


def test_index_version_names_python_and_marshal():
    assert VERSION.split("/")[1] == f"{sys.version_info[0]}.{sys.version_info[1]}"


PROBE = """
import sys
from jiesu.cli import cli
try:
    cli.main(args=sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print("HEAVY", sorted(m for m in ("jinja2", "tabulate", "git", "ruamel.yaml") if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize("args,heavy", [
    (["--help"], []),
    (["list"], []),
    (["show", "{id}"], []),
    (["overdue"], []),
    (["accept", "{id}"], ["ruamel.yaml"]),
    (["log", "{id}"], ["git"]),
])
def test_lazy_imports(run, store, args, heavy):
    case_id = new_case(run)
    run("assign", case_id)
    argv = [a.replace("{id}", case_id) for a in args]
    env = {"JIESU_STORE": str(store.root), "JIESU_ACTOR": "x", "JIESU_NOW": "2021-11-10T12:00:00", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env)
    line = [ln for ln in out.stderr.splitlines() if ln.startswith("HEAVY")][0]
    assert line == f"HEAVY {heavy}", out.stderr


def test_init_sets_git_for_large_stores(store):
    config = git(store.root, "config", "--list", "--local")
    for setting in ("core.splitindex=true", "core.untrackedcache=true", "index.version=4", "core.commitgraph=true"):
        assert setting in config


def test_commits_never_carry_foreign_staged_files(run, store, busy):
    (store.root / "stray.txt").write_text("staged by someone else\n")
    git(store.root, "add", "stray.txt")
    run("note", busy[0], "a remark", check=False)
    assert "stray.txt" not in git(store.root, "show", "--stat", "HEAD")
    assert git(store.root, "status", "--porcelain").strip() == "A  stray.txt"


def _read_events(store, case_ids, extra=()):
    from jiesu.interop.parquet_events import EventReader

    paths = [store.case_relpath(case_id) for case_id in case_ids]
    blobs = [git(store.root, "rev-parse", f"HEAD:{path}").strip() for path in paths]
    reader = EventReader(store)
    try:
        return reader.start([*zip(paths, blobs), *extra])()
    finally:
        reader.close()


def test_the_export_reads_each_cases_event_rows_from_git(run, store, busy, monkeypatch):
    """The index keeps no event rows: the Parquet export reads them from the case files in git, in
    this process or (many cases) in worker processes, the same rows either way."""
    import jiesu.interop.parquet_events as parquet_events
    from jiesu.event_rows import FIELDS, event_rows
    from jiesu.index import COLUMNS

    assert "events" not in COLUMNS
    found = _read_events(store, busy, extra=[("cases/2021/11/missing.yaml", "0" * 40)])
    rows = found[1]
    assert [r[FIELDS.index("action")] for r in rows] == ["intake", "assign", "accept", "close"]
    assert [r[FIELDS.index("seq")] for r in rows] == [0, 1, 2, 3]
    assert {r[FIELDS.index("case_id")] for r in rows} == {busy[1]}
    # the intake at 2021-11-02T09:00 Beijing time is 01:00 UTC: microseconds since the epoch, +480
    assert rows[0][FIELDS.index("at")] == 1635814800 * 1_000_000
    assert rows[0][FIELDS.index("utc_offset_min")] == 480
    assert rows[1][FIELDS.index("unit")] == load(store, busy[1])["events"][1]["unit"]
    assert rows[3][FIELDS.index("resolved")] is True
    assert found[:-1] == [event_rows(load(store, case_id)) for case_id in busy] and found[-1] == []
    monkeypatch.setattr(parquet_events, "PARALLEL_FROM", 1)
    monkeypatch.setattr(parquet_events, "PART", 2)
    assert _read_events(store, busy, extra=[("cases/2021/11/missing.yaml", "0" * 40)]) == found


def test_worker_processes_build_the_same_index(run, store, busy, monkeypatch):
    """Many case files are parsed by worker processes (forks, or fresh interpreters for a large
    store): the rows they send back are the rows this process makes; a new index file has 16 KB
    pages."""
    import sqlite3

    import jiesu.index

    def rows():
        db = sqlite3.connect(store.root / ".jiesu" / "index.sqlite")
        try:
            assert db.execute("PRAGMA page_size").fetchone()[0] == jiesu.index.PAGE_SIZE == 16384
            zdict = db.execute("SELECT value FROM meta WHERE key = 'zdict'").fetchone()[0]
            query = f"SELECT {jiesu.index.PATH_SQL}, blob, id, status, co_units, assess, row FROM cases ORDER BY 1"
            return [(*plain, *(jiesu.index.unpack(p, zdict) for p in packed)) for *plain, packed in
                    ((*r[:5], r[5:]) for r in db.execute(query))]
        finally:
            db.close()

    index = store.root / ".jiesu" / "index.sqlite"
    index.unlink()
    Index(Store(store.root)).connect().close()
    in_process = rows()
    assert len(in_process) == len(busy)
    monkeypatch.setattr(jiesu.index, "PARALLEL_FROM", 2)   # every new index is parsed by workers
    monkeypatch.setattr(jiesu.index, "SAMPLE", 1)          # …all but the one case the dictionary learns from
    for spawn_from in (10**9, 0):                          # forked workers (Linux), then fresh interpreters
        monkeypatch.setattr(jiesu.index, "SPAWN_FROM", spawn_from)
        index.unlink()
        Index(Store(store.root)).connect().close()
        assert rows() == in_process


def test_packed_records_read_back_as_the_case_files_give_them(run, store, busy):
    """A row keeps its summary and assessment record as value tuples whose values shared
    with the row's columns are left out: read back, they are what the case file gives, field for
    field (after jiesu's writes, and built again from git)."""
    import sqlite3

    from jiesu import assessment
    from jiesu.summary import ROW_KEYS, summarize

    run("accept", busy[0])
    run("close", busy[0], "--resolved", "--summary", "cleared")
    run("evaluate", busy[0], "--reached", "--contacted", "--resolved", "--satisfaction", "satisfied")

    def expected(opened):
        out = {}
        for case_id in busy:
            case = load(opened, case_id)
            row = summarize(case, opened.catalog, opened.tz)
            out[case_id] = (row, assessment.record(row, opened.catalog, opened.tz))
        return out

    def indexed(opened):
        index = Index(opened)
        rows = {row["id"]: row for row in index.rows()}
        found = index.select("id, assess", order="id")
        return {case_id: (rows[case_id], index.unpack_assess(assess, case_id)) for case_id, assess in found}

    for rebuilt in (False, True):
        if rebuilt:
            (store.root / ".jiesu" / "index.sqlite").unlink()
        opened = Store(store.root)
        reference = expected(opened)
        assert indexed(opened) == reference
        assert tuple(reference[busy[0]][0]) == ROW_KEYS and reference[busy[0]][1]["satisfaction"] == "satisfied"
        assert tuple(reference[busy[0]][1]) == assessment.RECORD_KEYS
    # the values the columns hold are not kept twice: the packed summary leaves them out
    db = sqlite3.connect(store.root / ".jiesu" / "index.sqlite")
    zdict, packed = (db.execute("SELECT value FROM meta WHERE key = 'zdict'").fetchone()[0],
                     db.execute("SELECT row FROM cases WHERE id = ?", (busy[0],)).fetchone()[0])
    # times of whole seconds are integers (4 bytes, not a float's 8): 2021-11-01T09:00+08:00
    assert db.execute("SELECT typeof(received_ts), received_ts, typeof(evaluated_ts) FROM cases WHERE id = ?",
                      (busy[0],)).fetchone() == ("integer", 1635728400, "integer")
    db.close()
    import jiesu.index

    values = jiesu.index.unpack(packed, zdict)
    assert isinstance(values, tuple) and len(values) == len(ROW_KEYS)
    assert values[ROW_KEYS.index("id")] is ... and values[ROW_KEYS.index("title")] is ...
    assert values[ROW_KEYS.index("evaluated_at")] == reference[busy[0]][0]["evaluated_at"]


def test_a_record_of_another_shape_or_type_is_packed_whole():
    from jiesu.index import _grow, _shrink

    keys = ("id", "flag", "n")
    hints = {"id": "HL-1", "flag": 1, "n": 2}
    record = {"id": "HL-1", "flag": True, "n": 2}
    packed = _shrink(record, keys, hints)
    assert packed == (..., True, ...)                       # True is not the column's 1: kept
    assert _grow(packed, keys, hints) == record and type(_grow(packed, keys, hints)["flag"]) is bool
    other = {"n": 2, "id": "HL-1", "flag": True}           # keys in another order: kept as it is
    assert _shrink(other, keys, hints) is other and _grow(other, keys, hints) is other
    assert _shrink(None, keys, hints) is None and _grow(None, keys, hints) is None


def test_an_index_made_before_gets_the_late_cases_index_and_counts_the_same(run, store, busy):
    """`overdue` counts cases closed late from an index whose condition holds `problem IS NULL`
    (`cases_late`); an index file that has the older `cases_closed_late` gets the new one at its
    next refresh, and the count is the same either way — an unreadable file is never counted."""
    import sqlite3

    late = {"JIESU_NOW": "2021-11-30T09:00:00+08:00"}
    run("accept", busy[0], env=late)
    run("close", busy[0], "--resolved", "--summary", "late", env=late)
    (store.root / "cases" / "2021" / "11" / "HL-2111-9999.yaml").write_text("id: [broken\n", "utf-8")
    git(store.root, "add", "-A")
    git(store.root, "commit", "-q", "-m", "a broken file")
    counted = run.json("overdue", "--as-of", "2021-12-01T09:00")["closed_late"]
    states = [load(store, case_id)["state"] for case_id in busy]
    by_files = sum(1 for s in states if s.get("closed") and s["closed"] > s["due"])  # one zone: text order is time order
    assert counted == by_files >= 1
    index = store.root / ".jiesu" / "index.sqlite"
    db = sqlite3.connect(index)
    with db:
        db.execute("DROP INDEX cases_late")
        db.execute("CREATE INDEX cases_closed_late ON case_rows(closed_ts) WHERE closed_late = 1")
    db.close()
    assert run.json("overdue", "--as-of", "2021-12-01T09:00")["closed_late"] == counted
    (store.root / "note.txt").write_text("a change by hand\n", "utf-8")
    git(store.root, "add", "note.txt")
    git(store.root, "commit", "-q", "-m", "a hand commit")  # the next read refreshes the index
    assert run.json("overdue", "--as-of", "2021-12-01T09:00")["closed_late"] == counted
    db = sqlite3.connect(index)
    names = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    db.close()
    assert "cases_late" in names and "cases_closed_late" not in names


@pytest.mark.parametrize("total, size, workers", [(100_000, 2000, 2), (16_000, 2000, 2), (15_999, 2000, 2),
                                                  (500, 200, 2), (7, 200, 2), (1_000_001, 2000, 8)])
def test_parts_cover_every_file_once_and_end_small(total, size, workers):
    spans = chunk_spans(total, size, workers)
    covered = [i for start, end in spans for i in range(start, end)]
    assert covered == list(range(total))  # every file once, in order
    assert max(end - start for start, end in spans) <= size
    sizes = [end - start for start, end in spans]
    if total >= 4 * size * workers:  # many parts: the last `workers` parts' worth (or a little more) in quarters
        quarters = [n for n in sizes if n <= size // 4]
        assert sizes == [size] * (len(sizes) - len(quarters)) + quarters
        assert quarters[:-1] == [size // 4] * (len(quarters) - 1)
        assert size * workers <= sum(quarters) < size * (workers + 1)
    else:
        assert [end - start for start, end in spans[:-1]] == [size] * (len(spans) - 1)


@pytest.mark.parametrize("records", [
    [("HL-2111-%04d" % i, "accepted", i, ["dragon-gate/eternal-town"], None) for i in range(300)],  # enough to train on
    [("HL-2111-0001", 1)],  # too few: raw content after DEFAULT_ZDICT
    [0] * 64,  # alike and tiny
])
def test_packed_records_come_back_as_they_went_in(records):
    import marshal

    from jiesu.index import (
        _PACKED,
        _TEXT,
        TDICT_SIZE,
        ZDICT_MAGIC,
        ZDICT_SIZE,
        pack,
        train,
        train_text,
        unpack,
        unpack_text,
    )

    rows, texts = [], []
    for n, record in enumerate(records):
        row = [None] * 40
        for i in _PACKED:
            row[i] = marshal.dumps(record)
        texts.append((f"第{n}号 垃圾清运不及时", "+来电人反映已持续三天" if n % 2 else None))
        row[_TEXT] = marshal.dumps(texts[-1])
        rows.append(tuple(row))
    zdict, tdict = train(rows), train_text(rows)
    assert 0 < len(zdict) <= ZDICT_SIZE and 0 < len(tdict) <= TDICT_SIZE
    assert zdict.startswith(ZDICT_MAGIC) == (len(records) >= 64)  # trained, or raw content
    assert tdict.startswith(ZDICT_MAGIC) == (len(records) >= 64)
    packed = pack(rows, zdict, tdict)
    for record, text, row in zip(records, texts, packed):
        for i in _PACKED:
            assert unpack(row[i], zdict) == record
        assert unpack_text(row[_TEXT], tdict) == text
    # a trained dictionary makes many records small: a third of their marshalled size or less
    if len(records) >= 300:
        assert sum(len(row[_PACKED[0]]) for row in packed) * 3 < sum(len(marshal.dumps(r)) for r in records)


def test_a_row_keeps_no_value_it_can_work_out(run, store, busy):
    """Dates whose text is what their seconds give in the office's zone, the lead among the units,
    the phone key of the caller column, the time limit's source and an unextended due time are not
    kept a second time, and the blob id is kept as its bytes; every reader still gets them, and a
    date written with another offset keeps its own text."""
    import sqlite3

    import jiesu.index
    from jiesu import privacy
    from jiesu.summary import ROW_KEYS, summarize

    phoned = new_case(run, phone="13800138000", surname="王", at="2021-11-07T10:00")
    run("assign", phoned, "dragon-gate/eternal-town", "--co", "urban-management")
    # a hand edit writes the received time of one case in UTC (the same instant, another text)
    path = store.case_path(busy[4])
    text = path.read_text(encoding="utf-8")
    assert "received: 2021-11-05T09:00:00+08:00" in text
    path.write_text(text.replace("received: 2021-11-05T09:00:00+08:00", "received: 2021-11-05T01:00:00+00:00"), encoding="utf-8")
    git(store.root, "commit", "-qam", "received in UTC")
    for rebuilt in (False, True):
        if rebuilt:
            (store.root / ".jiesu" / "index.sqlite").unlink()
        opened = Store(store.root)
        rows = {row["id"]: row for row in Index(opened).rows()}
        for case_id in [*busy, phoned]:
            assert rows[case_id] == summarize(load(opened, case_id), opened.catalog, opened.tz)
        assert rows[busy[4]]["received"] == "2021-11-05T01:00:00+00:00"
        assert rows[phoned]["phone_key"] and rows[phoned]["co_units"] == ["urban-management"]
        listed = {c["id"]: c for c in json.loads(run("list", "--format", "json").stdout)}
        assert listed[busy[4]]["received"] == "2021-11-05T01:00:00+00:00"
        assert listed[busy[0]]["received"] == "2021-11-01T09:00:00+08:00"
        scoped = json.loads(run("list", "--unit", "urban-management", "--format", "json").stdout)
        assert [c["id"] for c in scoped] == [phoned]
        db = sqlite3.connect(store.root / ".jiesu" / "index.sqlite")
        kept = dict(((i, (received, co, blob)) for i, received, co, blob in
                     db.execute("SELECT id, received, co_units, blob FROM cases")))
        zdict, packed = (db.execute("SELECT value FROM meta WHERE key = 'zdict'").fetchone()[0],
                         db.execute("SELECT row FROM cases WHERE id = ?", (phoned,)).fetchone()[0])
        db.close()
        values = dict(zip(ROW_KEYS, jiesu.index.unpack(packed, zdict)))
        assert all(values[k] is ... for k in ("phone_key", "limit_from", "original_due", "received", "due", "id"))
        assert kept[busy[0]][:2] == (None, None) and kept[busy[4]][0] == "2021-11-05T01:00:00+00:00"
        assert kept[phoned][1] == "|urban-management|"
        db = sqlite3.connect(store.root / ".jiesu" / "index.sqlite")
        stored, selected = db.execute(f"SELECT caller, {jiesu.index.CALLER_SQL} FROM cases WHERE id = ?", (phoned,)).fetchone()
        db.close()
        assert isinstance(stored, int) and selected == "ph:" + privacy.phone_key("13800138000") == "ph:" + rows[phoned]["phone_key"]
        ls = git(store.root, "ls-tree", "HEAD", str(store.case_path(phoned).relative_to(store.root))).split()
        assert kept[phoned][2] == bytes.fromhex(ls[2]) and len(kept[phoned][2]) == 20


def test_the_address_index_leaves_out_cases_without_an_address_yet_serves_the_clusters(run, store, busy):
    import sqlite3

    new_case(run, address="Yongding Road 94", at="2021-11-08T10:00")
    run("hotspots", "--as-of", "2021-11-09T12:00")
    db = sqlite3.connect(store.root / ".jiesu" / "index.sqlite")
    try:
        made = db.execute("SELECT sql FROM sqlite_master WHERE name = 'cases_address'").fetchone()[0]
        assert made.endswith("WHERE address_key IS NOT NULL")
        assert db.execute("SELECT count(address_key), count(*) FROM cases").fetchone() == (1, len(busy) + 1)
        plan = " ".join(r[-1] for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM cases WHERE problem IS NULL AND received_ts > ? AND received_ts <= ? AND "
            "address_key IN (SELECT address_key FROM cases WHERE address_key IS NOT NULL GROUP BY address_key)", (0, 1)))
        assert "USING INDEX cases_address" in plan
    finally:
        db.close()


@pytest.mark.parametrize("edge", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_a_time_with_no_date_in_the_office_zone_keeps_its_text(run, store, busy, edge):
    """A hand edit may write an instant that has no date in the office's zone (year 0 or 10000
    there): a row keeps its text as written, and nothing fails — the case is listed or, when its
    times cannot be worked with, left out with the usual note."""
    from jiesu.index import _bare, _ts, time_text

    assert time_text(_ts(edge), store.tz) is None and _bare(edge, _ts(edge), store.tz) == edge
    assert _bare("2021-11-01T09:00:00+08:00", 1635728400, store.tz) is None
    assert _bare("2021-11-01T01:00:00+00:00", 1635728400, store.tz) == "2021-11-01T01:00:00+00:00"
    for key, case_id in (("received", busy[5]), ("closed", busy[1])):
        path = store.case_path(case_id)
        text = path.read_text(encoding="utf-8")
        old = next(line for line in text.splitlines() if line.lstrip().startswith(f"{key}: "))
        path.write_text(text.replace(old, old.split(": ")[0] + f": {edge}"), encoding="utf-8")
    git(store.root, "commit", "-qam", "times at the edge of the calendar")
    for rebuilt in (False, True):
        if rebuilt:
            (store.root / ".jiesu" / "index.sqlite").unlink()
        result = run.raw("list", "--format", "json")
        assert result.exit_code == 0 and "Traceback" not in result.stderr and result.exception is None
        listed = {c["id"]: c for c in json.loads(result.stdout)}
        assert listed[busy[0]]["received"] == "2021-11-01T09:00:00+08:00"
        for case_id in (busy[5], busy[1]):
            assert case_id in listed or "could not be read and" in result.stderr


def test_a_row_keeps_its_path_only_where_its_id_does_not_give_it(run, store, busy):
    """A case in its own place (`cases/YYYY/MM/<id>.yaml`) keeps no path: `PATH_SQL` makes it
    from the id. A file moved by hand to another folder, or a copy under another name, keeps its
    path; each is found, replaced and deleted by its path, on an index kept current and on one
    built again, and `refile` finds the misplaced file."""
    import sqlite3

    from jiesu.index import PATH_SQL, canonical_id
    from jiesu.ops.refile import misfiled

    assert canonical_id("cases/2021/11/HL-2111-0001.yaml") == "HL-2111-0001"
    assert canonical_id("cases/2021/12/HL-2111-0001.yaml") is None  # the id says November
    assert canonical_id("archive/2021/cases/2021/11/HL-2111-0001.yaml") is None
    assert canonical_id("cases/2021/11/HL-2111-0001.yml") is None and canonical_id("cases/x.yaml") is None
    run("list")
    before = git(store.root, "rev-parse", "HEAD").strip()
    moved, copied = busy[4], busy[5]
    here = store.case_relpath(moved)
    away = here.replace("/11/", "/12/")
    (store.root / away).parent.mkdir(parents=True)
    git(store.root, "mv", here, away)
    copy = store.case_relpath(copied).replace(".yaml", "-copy.yaml")
    (store.root / copy).write_bytes((store.root / store.case_relpath(copied)).read_bytes())
    git(store.root, "add", copy)
    git(store.root, "commit", "-qm", "moved and copied by hand")

    def rows():
        db = sqlite3.connect(store.root / ".jiesu" / "index.sqlite")
        try:
            return db.execute(f"SELECT file, {PATH_SQL}, id FROM cases ORDER BY 2").fetchall()
        finally:
            db.close()

    for rebuilt in (False, True):
        if rebuilt:
            (store.root / ".jiesu" / "index.sqlite").unlink()
        assert sorted(r["id"] for r in run.json("list")) == sorted([*busy, copied])
        found = rows()
        listed = sorted(p for p in git(store.root, "ls-tree", "-r", "--name-only", "HEAD", "cases").split() if p.endswith(".yaml"))
        assert sorted(path for _, path, _ in found) == listed
        assert {(f, i) for f, _, i in found if f} == {(away, moved), (copy, copied)}
        assert sum(f is None for f, _, _ in found) == len(busy) - 1
    assert sorted(m[0] for m in misfiled(Store(store.root))) == sorted([away, copy])
    # the moved file edited by hand, then removed: its row follows
    (store.root / away).write_text((store.root / away).read_text("utf-8").replace(
        "title: Rubbish at the gate", "title: Edited where it was moved"), "utf-8")
    git(store.root, "commit", "-qam", "edit the moved file")
    assert [r["title"] for r in run.json("list") if r["id"] == moved] == ["Edited where it was moved"]
    assert len([r for r in rows() if r[2] == moved]) == 1
    git(store.root, "rm", "-q", away, copy)
    git(store.root, "commit", "-qm", "remove both")
    assert sorted(r["id"] for r in run.json("list")) == sorted(busy[:4] + [copied])
    assert all(f is None for f, _, _ in rows())
    git(store.root, "reset", "-q", "--hard", before)  # (the history goes back to before the hand work)
    assert sorted(r["id"] for r in run.json("list")) == sorted(busy) and all(f is None for f, _, _ in rows())
    # jiesu's own write to a case in its place replaces its row, not adds one
    run("accept", busy[3])
    assert [r[2] for r in rows()].count(busy[3]) == 1


@pytest.mark.parametrize("key", ["ph:0000000000000000", "ph:7fffffffffffffff", "ph:8000000000000000", "ph:ffffffffffffffff",
                                 "ph:0123456789abcdef", "ref:P-000123", "ph:0123456789ABCDEF", "ph:short", "ph:0123456789abcdeg"])
def test_a_caller_key_comes_back_as_it_went_in(key):
    """A phone key is kept as the 64-bit integer of its 16 hex digits; anything else as its text;
    `CALLER_SQL` gives back the key, and `caller_value` finds the row."""
    import sqlite3

    from jiesu.index import CALLER_SQL, caller_value

    value = caller_value(key)
    assert isinstance(value, int) == (key.startswith("ph:") and len(key) == 19 and key[3:] == key[3:].lower() and key[-1] != "g")
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE cases (caller)")
    db.execute("INSERT INTO cases VALUES (?)", (value,))
    assert db.execute(f"SELECT {CALLER_SQL} FROM cases WHERE caller = ?", (caller_value(key),)).fetchall() == [(key,)]
    db.close()


def test_case_files_are_read_from_the_work_tree_only_where_it_holds_the_committed_ones(run, store, busy, monkeypatch):
    """The index and the Parquet export read a committed case file from the work tree when its git
    hash is the committed blob's, else from git: an uncommitted edit or a deleted file in the work
    tree never reaches the index."""
    from jiesu.store import catfile

    asked = []
    stream = catfile.Blobs.stream

    def recording(self, oids):
        asked.extend(oids)
        return stream(self, oids)

    monkeypatch.setattr(catfile.Blobs, "stream", recording)
    paths = [store.case_relpath(case_id) for case_id in busy[:3]]
    blobs = [git(store.root, "rev-parse", f"HEAD:{path}").strip() for path in paths]
    before = [git(store.root, "show", f"HEAD:{path}") for path in paths]
    edited, deleted = store.root / paths[0], store.root / paths[1]
    edited.write_text(edited.read_text("utf-8").replace("title: Rubbish at the gate", "title: Not committed"), "utf-8")
    deleted.unlink()
    found = catfile.committed(str(store.root), Store(store.root).git.env, [*zip(paths, blobs), ("cases/none.yaml", "0" * 40)])
    assert [data.decode("utf-8") for data in found[:3]] == before and found[3] is None
    assert asked == [blobs[0], blobs[1], "0" * 40]  # the third came from the work tree
    # a cold build: the committed title, and the case whose file is gone from the work tree
    (store.root / ".jiesu" / "index.sqlite").unlink()
    listed = {c["id"]: c["title"] for c in run.json("list")}
    assert set(listed) == set(busy) and listed[busy[0]] == "Rubbish at the gate"
    git(store.root, "checkout", "-q", "--", paths[0], paths[1])


def test_a_pipe_or_link_in_the_work_tree_is_never_read(run, store, busy):
    """Where the work tree holds a named pipe or a symbolic link instead of a committed case file,
    the index reads git's copy: no read blocks, no link is followed."""
    from jiesu.store import catfile

    paths = [store.case_relpath(case_id) for case_id in busy[:2]]
    blobs = [git(store.root, "rev-parse", f"HEAD:{path}").strip() for path in paths]
    before = [git(store.root, "show", f"HEAD:{path}") for path in paths]
    piped, linked = store.root / paths[0], store.root / paths[1]
    piped.unlink()
    os.mkfifo(piped)
    copy = store.root.parent / "copy.yaml"
    copy.write_bytes(linked.read_bytes())
    linked.unlink()
    linked.symlink_to(copy)
    try:
        found = catfile.committed(str(store.root), Store(store.root).git.env, list(zip(paths, blobs)))
        assert [data.decode("utf-8") for data in found] == before
        assert catfile._from_work_tree(str(store.root), paths[1], blobs[1]) is None  # the link, not followed
    finally:
        piped.unlink()
        linked.unlink()
        git(store.root, "checkout", "-q", "--", *paths)


def test_names_are_kept_as_numbers_and_read_back_as_texts(run, store, busy):
    """The table keeps a number for each place, unit, category and kind; the view `cases` gives the
    texts back, the same as the case files give them, for rows of a cold build and of jiesu's own
    writes (which add the names they bring); each text is kept once."""
    import sqlite3

    from jiesu.index.names import NAMED
    from jiesu.summary import summarize

    run("list")  # the index is current
    # a write after the build brings a co-unit no row named before
    run("assign", busy[5], "dragon-gate/eternal-town", "--co", "housing")
    path = store.root / ".jiesu" / "index.sqlite"
    for rebuilt in (False, True):
        if rebuilt:
            path.unlink()
            run("list")
        db = sqlite3.connect(path)
        shown = ", ".join(NAMED)
        stored = {r[0]: r[1:] for r in db.execute(f"SELECT id, {shown} FROM case_rows")}
        viewed = {r[0]: r[1:] for r in db.execute(f"SELECT id, {shown} FROM cases")}
        names = [n for (n,) in db.execute("SELECT name FROM names")]
        db.close()
        assert len(names) == len(set(names))
        assert all(isinstance(v, int) or v is None for values in stored.values() for v in values)
        opened = Store(store.root)
        for case_id in busy:
            summary = summarize(load(opened, case_id), opened.catalog, opened.tz)
            row = dict(zip(NAMED, viewed[case_id]))
            for key in ("type", "channel", "category", "district", "street", "community", "lead"):
                assert row[key] == summary[key]
            assert row["co_units"] == ("|" + "|".join(summary["co_units"]) + "|" if summary["co_units"] else None)
            assert row["street"] and row["category"] and row["type"] == "complaint"
        assert dict(zip(NAMED, viewed[busy[5]]))["co_units"] == "|housing|"
        scoped = json.loads(run("list", "--unit", "housing", "--format", "json").stdout)
        assert [c["id"] for c in scoped] == [busy[5]]


@pytest.mark.parametrize("title, description", [
    ("Rubbish at the gate", None), ("小区门口垃圾堆放多日", "已经十天了，没有人清运"), ("!!!", None), ("!!!", "smell"),
    ("Call 13800138000 now", None), ("", "only a description"), ("Ｗｉｄｅ　ＴＥＸＴ", "more"), (None, None)])
def test_the_folded_text_is_kept_without_its_title_and_read_back_whole(title, description):
    """The duplicate check's text starts with the title's; the index keeps only what follows it
    (nothing for a case with no description), and `unkept` gives back the whole folded text."""
    from jiesu import privacy
    from jiesu.governance.textfold import fold, kept, unkept

    text = " ".join(t for t in (title, description) if isinstance(t, str))
    folded = fold(privacy.scrub(text)) or None
    stored = kept(folded, title)
    assert unkept(stored, title) == folded
    if folded and title and description is None and fold(title) == folded:
        assert stored is None
    if description and title and fold(title):
        assert stored == "+" + fold(description)


def test_a_name_another_process_added_meanwhile_is_found_not_added_twice(tmp_path):
    """Two commands refreshing one index: a name the other added after this one read the names
    gets the other's number (no second row, no failure)."""
    import sqlite3

    from jiesu.index import COLUMNS, SCHEMA
    from jiesu.index.names import Names

    path = tmp_path / "index.sqlite"
    mine, other = sqlite3.connect(path), sqlite3.connect(path)
    mine.executescript(SCHEMA)
    coder = Names(mine, COLUMNS)
    coder.known = dict(mine.execute("SELECT name, n FROM names"))  # read: none yet
    with other:
        other.execute("INSERT INTO names (name) VALUES ('urban-management'), ('housing')")
    row = tuple("housing" if c == "lead" else "complaint" if c == "type" else None for c in COLUMNS)
    with mine:
        encoded = coder.encode([row] * 201)  # many rows: the names read before are used
    assert {r[COLUMNS.index("lead")] for r in encoded} == {2}
    assert mine.execute("SELECT n, name FROM names ORDER BY n").fetchall() == [(1, "urban-management"), (2, "housing"), (3, "complaint")]
    mine.close()
    other.close()


def test_an_index_begun_on_an_empty_store_learns_to_pack_again_once(run, store, monkeypatch):
    """An office's index is usually made when its store is new: its packing dictionaries are learned
    from no case at all. Once the store has LEARN_AGAIN_FROM cases it is rebuilt once, learning them
    from its first SAMPLE cases, and reads the same."""
    import sqlite3

    import jiesu.index

    assert jiesu.index.LEARN_AGAIN_FROM >= jiesu.index.SAMPLE  # else it would be rebuilt on every read
    run("list")
    path = store.root / ".jiesu" / "index.sqlite"

    def learned():
        db = sqlite3.connect(path)
        try:
            return dict(db.execute("SELECT key, value FROM meta WHERE key IN ('learned', 'zdict')"))
        finally:
            db.close()

    assert learned()["learned"] == "0"
    ids = [new_case(run, at=f"2021-11-0{1 + n % 9}T09:{n:02d}") for n in range(12)]
    before = run("list", "--format", "json", check=False).stdout
    assert "rebuilding" not in run("list").stderr  # 12 cases: fewer than LEARN_AGAIN_FROM
    monkeypatch.setattr(jiesu.index, "LEARN_AGAIN_FROM", 10)
    monkeypatch.setattr(jiesu.index, "SAMPLE", 8)
    result = run("list", "--format", "json", check=False)
    assert "rebuilding the index because it learned to pack cases from too few of them" in result.stderr
    assert result.stdout == before and sorted(r["id"] for r in json.loads(result.stdout)) == sorted(ids)
    assert learned()["learned"] == "8"
    assert "rebuilding" not in run("list").stderr  # once


def test_archived_cases_alone_never_make_the_index_learn_again(run, store, monkeypatch):
    """The count that makes an index learn its packing again is of the store's own cases: with every
    case moved to an archive the rebuild would learn from none and come back on every read."""
    import jiesu.index

    ids = [new_case(run, "--at", f"2021-10-0{1 + n % 9}T09:{n:02d}") for n in range(12)]
    for case_id in ids:
        run("reject", case_id, "--reason", "Invalid call", "--at", "2021-10-20T09:00")
    assert run("archive", "--before", "2021-11-01").stdout.startswith("archived 12 case(s)")
    monkeypatch.setattr(jiesu.index, "LEARN_AGAIN_FROM", 10)
    monkeypatch.setattr(jiesu.index, "SAMPLE", 8)
    (store.root / ".jiesu" / "index.sqlite").unlink()
    first = run("list", "--format", "json", check=False)
    assert sorted(r["id"] for r in json.loads(first.stdout)) == sorted(ids)  # read from the archive
    for _ in range(2):
        again = run("list", "--format", "json", check=False)
        assert "rebuilding" not in again.stderr and again.stdout == first.stdout


@settings(max_examples=800, deadline=None)
@given(text=st.one_of(st.text(st.characters(max_codepoint=127), max_size=60),
                      st.sampled_from(["Rubbish at gate_3, No. 12!", "A-B c\td\n", "___", "MiXeD 123 case"])))
def test_an_ascii_text_folds_as_the_general_way_folds_it(text):
    """`fold` takes a quicker way for ASCII text; it gives what the way for any text gives."""
    import re
    import unicodedata

    from jiesu.governance.textfold import fold

    assert fold(text) == re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())
