"""`jiesu export --format parquet`: datasets a distributed engine reads, checked with pyarrow and
DuckDB against jiesu's own ranking and counts; incremental re-runs; refusals."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import Cli, git, jiesu_proc

from jiesu.demo import build_demo
from jiesu.store import Store

pa = pytest.importorskip("pyarrow")
ds = pytest.importorskip("pyarrow.dataset")
duckdb = pytest.importorskip("duckdb")
pytestmark = pytest.mark.slow  # the module builds a demo store of 500 cases


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Store:
    """A demo store from 1 October to 10 November 2021 (JIESU_NOW), 12 requests a day."""
    import os

    saved = os.environ.get("JIESU_NOW")
    os.environ["JIESU_NOW"] = "2021-11-10T12:00:00"
    try:
        root = tmp_path_factory.mktemp("pq") / "store"
        build_demo(root, seed=7, per_day=12, reports=False)
    finally:
        if saved is None:
            os.environ.pop("JIESU_NOW", None)
        else:
            os.environ["JIESU_NOW"] = saved
    return Store(root)


@pytest.fixture(scope="module")
def exported(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "parquet"
    proc = jiesu_proc(demo.root, "export", "--format", "parquet", "--out", out, env={"JIESU_NOW": "2021-11-10T12:00:00"})
    assert proc.returncode == 0, proc.stderr
    assert re.match(r"wrote 2 of 2 month partition\(s\) to .* \((\d+) case\(s\), (\d+) event\(s\)\)", proc.stdout)
    return out


def listed(store) -> list[dict]:
    return Cli(store).json("list")


def test_hive_partitions_hold_every_case_once_with_utc_instants(demo, exported):
    assert sorted(p.name for p in (exported / "cases").iterdir()) == ["year=2021"]
    assert sorted(p.name for p in (exported / "cases" / "year=2021").iterdir()) == ["month=10", "month=11"]
    table = ds.dataset(exported / "cases", format="parquet", partitioning="hive").to_table()
    rows = table.to_pylist()
    cases = listed(demo)
    assert sorted(r["id"] for r in rows) == sorted(c["id"] for c in cases)
    assert table.schema.field("received").type == pa.timestamp("us", tz="UTC")
    for row in rows:
        # the id's YYMM is the partition, and the UTC instant plus the office offset is the stored local time
        assert (row["year"] % 100, row["month"]) == (int(row["id"][3:5]), int(row["id"][5:7]))
        assert row["utc_offset_min"] == 480
    by_id = {c["id"]: c for c in cases}
    sample = rows[0]
    from datetime import timedelta, timezone

    local = sample["received"].astimezone(timezone(timedelta(minutes=sample["utc_offset_min"])))
    assert local.isoformat() == by_id[sample["id"]]["received"]


def test_events_match_the_case_files(demo, exported):
    events = ds.dataset(exported / "events", format="parquet", partitioning="hive").to_table().to_pylist()
    case_id = listed(demo)[0]["id"]
    mine = sorted((e for e in events if e["case_id"] == case_id), key=lambda e: e["seq"])
    stored = demo.load_case(case_id)["events"]
    assert [e["action"] for e in mine] == [e["action"] for e in stored]
    assert [e["event_id"] for e in mine] == [e["id"] for e in stored]
    assert sum(len(demo.load_case(c["id"])["events"]) for c in listed(demo)) == len(events)


def test_event_rows_are_the_documented_columns_with_every_field_of_the_case_file(demo, exported):
    from jiesu.event_rows import FIELDS, event_rows
    from jiesu.interop.parquet import EVENT_COLUMNS

    assert FIELDS == tuple(name for name, _, _ in EVENT_COLUMNS)
    table = ds.dataset(exported / "events", format="parquet", partitioning="hive").to_table()
    case_id = next(c["id"] for c in listed(demo) if c["status"] == "evaluated")
    mine = sorted((e for e in table.to_pylist() if e["case_id"] == case_id), key=lambda e: e["seq"])
    expected = event_rows(demo.load_case(case_id))
    assert len(mine) == len(expected) > 3
    for got, want in zip(mine, expected):
        for name, value in zip(FIELDS, want):
            found = got[name]
            if name in ("at", "due") and found is not None:
                found = int(found.timestamp()) * 1_000_000 + found.microsecond
            assert found == value, (name, got, want)


def test_no_personal_data(demo, exported):
    columns = {f.name for f in ds.dataset(exported / "cases", partitioning="hive").schema}
    columns |= {f.name for f in ds.dataset(exported / "events", partitioning="hive").schema}
    assert not columns & {"surname", "phone", "name", "contact", "phone_key", "ref", "note", "summary", "reason", "description"}
    phones = set()
    for c in listed(demo):
        comp = demo.load_case(c["id"]).get("complainant") or {}
        if comp.get("phone"):
            phones.add(str(comp["phone"]))
    assert phones
    raw = b"".join(p.read_bytes() for p in exported.rglob("*.parquet"))
    text = json.dumps(ds.dataset(exported / "cases", partitioning="hive").to_table().to_pylist(), default=str)
    assert not any(phone in text or phone.encode() in raw for phone in phones)


RANK_SQL = """
    WITH unit AS (
      SELECT assess_{level} AS unit, 100 * avg(assess_value) AS score, count(*) AS reached
      FROM read_parquet('{folder}/cases/**/*.parquet', hive_partitioning = true)
      WHERE assess_month = '2021-10' AND assess_{level} IS NOT NULL AND assess_reached
      GROUP BY assess_{level})
    SELECT unit, CASE WHEN reached >= 5 THEN rank() OVER (PARTITION BY reached >= 5 ORDER BY round(score, 9) DESC) END,
           score, reached
    FROM unit ORDER BY unit"""


@pytest.mark.parametrize("level", ["street", "district"])
def test_duckdb_recomputes_the_monthly_ranking(demo, exported, level):
    ours = Cli(demo).json("rank", "--month", "2021-10", "--level", level)
    assert len(ours["ranked"]) >= 2
    expected = [(o["unit"], o["rank"], o["reached"]) for o in ours["ranked"]]
    expected += [(o["unit"], None, o["reached"]) for o in ours["not_ranked"] if o["reached"]]
    theirs = duckdb.sql(RANK_SQL.format(level=level, folder=exported)).fetchall()
    assert [(u, r, n) for u, r, _, n in theirs] == sorted(expected)
    scores = {o["unit"]: o["score"] for o in ours["ranked"] + ours["not_ranked"]}
    for unit, _, score, _ in theirs:
        assert score == pytest.approx(scores[unit], abs=1e-9)


def test_duckdb_counts_by_category_and_district_equal_jiesu_list(demo, exported):
    cases = listed(demo)
    for column in ("category", "district"):
        mine: dict = {}
        for c in cases:
            mine[c[column]] = mine.get(c[column], 0) + 1
        rows = duckdb.sql(f"SELECT {column}, count(*) FROM read_parquet('{exported}/cases/*/*/*.parquet', "
                          f"hive_partitioning = true) GROUP BY {column}").fetchall()
        assert dict(rows) == mine


@pytest.mark.slow
def test_rerun_rewrites_only_the_changed_month(demo, tmp_path):
    out = tmp_path / "pq"
    env = {"JIESU_NOW": "2021-11-10T12:00:00"}
    assert jiesu_proc(demo.root, "export", "--format", "parquet", "--out", out, env=env).returncode == 0
    october = out / "cases" / "year=2021" / "month=10" / "part-0.parquet"
    november = out / "events" / "year=2021" / "month=11" / "part-0.parquet"
    before = (october.stat().st_mtime_ns, october.read_bytes(), november.read_bytes())
    again = jiesu_proc(demo.root, "export", "--format", "parquet", "--out", out, env=env)
    assert again.stdout.startswith("wrote 0 of 2 month partition(s)")
    nov_case = next(c["id"] for c in listed(demo) if c["id"][3:7] == "2111")
    # a copy of the store, so the module's store stays as the other tests expect it
    copy = tmp_path / "copy"
    subprocess.run(["git", "clone", "-q", str(demo.root), str(copy)], check=True)
    subprocess.run([sys.executable, "-m", "jiesu", "--store", str(copy), "--as", "op-1", "note", nov_case, "Called again"],
                   check=True, capture_output=True, env=dict(__import__("os").environ, **env))
    third = jiesu_proc(copy, "export", "--format", "parquet", "--out", out, env=env)
    assert third.stdout.startswith("wrote 1 of 2 month partition(s)"), third.stdout + third.stderr
    assert (october.stat().st_mtime_ns, october.read_bytes()) == before[:2]
    assert november.read_bytes() != before[2]
    events = ds.dataset(out / "events", partitioning="hive").to_table().to_pylist()
    assert [e["action"] for e in events if e["case_id"] == nov_case][-1] == "note"
    # the rows kept from the earlier run and the rows read again make up every event, once
    copied = Store(copy)
    expected = sorted((c["id"], i) for c in listed(copied) for i in range(len(copied.load_case(c["id"])["events"])))
    assert sorted((e["case_id"], e["seq"]) for e in events) == expected


def test_refuses_a_folder_it_did_not_write(demo, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.txt").write_text("my work", "utf-8")
    proc = jiesu_proc(demo.root, "export", "--format", "parquet", "--out", folder)
    assert proc.returncode == 1 and proc.stderr.startswith("error: --out:") and "Traceback" not in proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["thesis.txt"]
    assert jiesu_proc(demo.root, "export", "--format", "parquet").returncode == 1
    assert jiesu_proc(demo.root, "export", "--format", "parquet", "--since", "2021-10-01", "--out", tmp_path / "x").returncode == 1
    assert not (tmp_path / "x").exists()
    assert git(demo.root, "status", "--porcelain") == ""


def test_without_pyarrow_says_how_to_install(demo, tmp_path):
    blocker = tmp_path / "block"
    (blocker / "pyarrow").mkdir(parents=True)
    (blocker / "pyarrow" / "__init__.py").write_text("raise ImportError('pyarrow is not installed')\n", "utf-8")
    proc = jiesu_proc(demo.root, "export", "--format", "parquet", "--out", tmp_path / "out", env={"PYTHONPATH": str(blocker)})
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == ("error: --format parquet needs pyarrow, which is not installed; "
                                          "install it with: pip install 'jiesu[parquet]'")
    assert not (tmp_path / "out").exists()


def test_archived_cases_events_are_read_from_their_archive_by_workers(demo, exported, tmp_path, monkeypatch):
    """The index keeps no event rows: the export reads them from the case files, an archived case's
    from its archive's repository, in worker processes when many; the tables are the ones the store
    gave before its cases were archived."""
    import os

    import jiesu.interop.parquet_events as parquet_events
    from jiesu.interop.parquet import export_parquet

    env = {"JIESU_NOW": "2021-11-10T12:00:00"}
    copy = tmp_path / "copy"
    subprocess.run(["git", "clone", "-q", str(demo.root), str(copy)], check=True)
    moved = subprocess.run([sys.executable, "-m", "jiesu", "--store", str(copy), "--as", "op-1", "archive", "--before", "2021-11-01"],
                           capture_output=True, text=True, env=dict(os.environ, **env))
    assert moved.returncode == 0, moved.stderr
    archived = git(copy / "archive" / "2021", "ls-tree", "-r", "--name-only", "HEAD", "cases").split()
    assert len([p for p in archived if p.endswith(".yaml")]) > 100
    reader = parquet_events.EventReader(Store(copy))  # an archived case is read from its archive
    assert reader._source("archive/2021/" + archived[-1])[0] == str(copy / "archive" / "2021")
    assert reader._source("cases/2021/11/HL-2111-0001.yaml")[0] == str(copy)
    monkeypatch.setenv("JIESU_NOW", env["JIESU_NOW"])
    monkeypatch.setattr(parquet_events, "PARALLEL_FROM", 1)
    monkeypatch.setattr(parquet_events, "PART", 40)
    out = tmp_path / "pq"
    done = export_parquet(Store(copy), str(out))
    assert done["written"] == 2 and done["events"] > done["cases"] > 400

    def table(folder, name):
        rows = ds.dataset(folder / name, format="parquet", partitioning="hive").to_table().to_pylist()
        return sorted(rows, key=lambda r: (r.get("case_id") or r["id"], r.get("seq", 0)))

    assert table(out, "events") == table(exported, "events")
    assert table(out, "cases") == table(exported, "cases")
