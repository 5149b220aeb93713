"""Import and export without the real data: quirky files, mistakes, interrupts, round trips, Open311."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from conftest import ETERNAL, GARBAGE, NOW, SHARED, Cli, git, new_case, snapshot

from jiesu import ops
from jiesu.demo import build_demo
from jiesu.index import Index
from jiesu.interop import importer
from jiesu.interop.export import REQUEST_FIELDS, SERVICE_FIELDS
from jiesu.interop.readers import _json_load
from jiesu.store import Store

HEADER = ("Unique Key,Created Date,Closed Date,Agency,Agency Name,Complaint Type,Descriptor,Status,Due Date,"
          "Resolution Description,Borough,X Coordinate (State Plane),Location")
ROWS = [
    # 2: closed after its due time; "1,017,901" in a quoted cell; the point from Location
    ('1001,10/21/18 0:00,10/21/18 9:59,NYPD,New York City Police Department,Noise - Residential,Loud Music/Party,Closed,'
     '10/21/18 8:00,The Police Department responded and upon arrival those responsible for the condition were gone.,'
     'BROOKLYN,"1,017,901","(40.71051892839852, -73.87862009301725)"'),
    # 3: closed the day before it was created; mis-encoded apostrophe
    ('1002,10/21/18 1:00,10/20/18 1:00,DOT,Department of Transportation,Street Light Condition,Street Light Out,Closed,,'
     'Service Request status for this request is available on the Department of Transportationâ€™s website.,QUEENS,,'),
    # 4: no agency; "Unspecified" borough
    '1003,10/21/18 2:00,,,,Illegal Parking,Blocked Hydrant,Open,,,Unspecified,,',
    # 5: Closed without a closed date
    ('1004,10/21/18 3:00,,HPD,Department of Housing Preservation and Development,HEAT/HOT WATER,ENTIRE BUILDING,Closed,,'
     'The complaint has been closed.,BRONX,,'),
    # 6: no id
    ',10/21/18 3:00,,HPD,HPD,HEAT/HOT WATER,ENTIRE BUILDING,Open,,,BRONX,,',
    # 7: unreadable created time
    '1006,yesterday,,HPD,HPD,HEAT/HOT WATER,ENTIRE BUILDING,Open,,,BRONX,,',
    # 8: too few fields
    '1007,10/21/18 4:00,too,few',
    # 9-10: one record over two lines; open with a closed date
    '1008,10/21/18 5:00,10/21/18 6:00,DSNY,Department of Sanitation,Dirty Condition,Trash,Open,,"Inspected.\nWill return.",MANHATTAN,,',
    # 11: the same id again
    '1001,10/21/18 0:00,,NYPD,New York City Police Department,Noise - Residential,Loud Music/Party,Open,,,BROOKLYN,,',
]


NYC_HEADER = (
    "Unique Key,Created Date,Closed Date,Agency,Agency Name,Complaint Type,Descriptor,Location Type,Incident Zip,"
    "Incident Address,Street Name,Cross Street 1,Cross Street 2,Intersection Street 1,Intersection Street 2,Address Type,"
    "City,Landmark,Facility Type,Status,Due Date,Resolution Description,Resolution Action Updated Date,Community Board,BBL,"
    "Borough,X Coordinate (State Plane),Y Coordinate (State Plane),Open Data Channel Type,Park Facility Name,Park Borough,"
    "Vehicle Type,Taxi Company Borough,Taxi Pick Up Location,Bridge Highway Name,Bridge Highway Direction,Road Ramp,"
    "Bridge Highway Segment,Latitude,Longitude,Location").split(",")


def quirky_csv(path, rows=ROWS):
    """NYC's export as Excel re-saves it: byte-order mark, CRLF, two-digit years; all 41 standard
    columns, those of HEADER filled from the rows (a row of another length is kept as it is)."""
    short = HEADER.split(",")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(NYC_HEADER)
    for row in rows:
        cells = next(csv.reader([row]))
        if len(cells) == len(short):
            values = dict(zip(short, cells))
            cells = [values.get(name, "") for name in NYC_HEADER]
        writer.writerow(cells)
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    return str(path)


def by_source(store) -> dict:
    return {key[1]: Store(store.root).load_case(case_id) for key, case_id in Index(Store(store.root)).sources().items()}


def test_a_quirky_export_imports_and_every_row_is_accounted_for(run, store, tmp_path):
    result = run("import", quirky_csv(tmp_path / "311.csv"), "--mapping", "nyc311", "--format", "json")
    summary = json.loads(result.stdout)
    assert summary["rows"] == 9 and summary["new"] == 5 and summary["updated"] == summary["unchanged"] == 0
    assert [(s["line"], s["reason"].split(":")[0]) for s in summary["skipped"]] == [
        (6, "no id (Unique Key is empty)"), (7, "1006"), (8, "4 fields where the header has 41"), (11, "1001")]
    assert "the same nyc311 id as line 2" in summary["skipped"][-1]["reason"]
    assert summary["anomalies"] == {"closed-before-created": 1, "closed-date-on-open-status": 1, "closed-without-date": 1,
                                    "unknown-agency": 1}
    assert summary["repaired"] == 1
    cases = by_source(store)
    late = cases["1001"]
    assert late["received"] == "2018-10-21T00:00:00-04:00"  # the source's own offset is kept
    assert late["state"]["closed"] == "2018-10-21T09:59:00-04:00" and late["state"]["due"] == "2018-10-21T08:00:00-04:00"
    assert late["state"]["resolved"] is False  # "those responsible … were gone"
    assert late["location"]["lat"] == 40.71051892839852 and late["location"]["district"] == "nyc-brooklyn"
    # an Asia/Shanghai store: 00:00 in New York is 12:00 in Beijing, same month
    assert late["id"] == "HL-1810-0001"
    before = cases["1002"]
    assert before["anomalies"][0].startswith("closed-before-created: Closed Date 2018-10-20T01:00:00-04:00 is before")
    assert before["state"]["closed"] == before["received"]
    assert "Transportation’s website" in before["events"][-1]["summary"]
    orphan = cases["1003"]
    assert orphan["state"]["status"] == "received" and "district" not in (orphan.get("location") or {})
    assert orphan["anomalies"] == ["unknown-agency: no Agency; the case is not dispatched"]
    unknown_close = cases["1004"]
    assert unknown_close["state"]["status"] == "accepted" and "closed" not in unknown_close["state"]
    assert unknown_close["events"][-1] == {**unknown_close["events"][-1], "action": "note",
                                           "text": "NYC 311 status Closed: The complaint has been closed."}
    reopened = cases["1008"]
    assert reopened["state"]["status"] == "dispatched"
    assert "Inspected.\nWill return." in reopened["events"][-1]["text"]
    # re-import: nothing changes, and it says so
    head = git(store.root, "rev-parse", "HEAD")
    again = run("import", str(tmp_path / "311.csv"), "--mapping", "nyc311")
    assert "0 new, 0 updated, 5 unchanged, 4 skipped" in again.stdout and "nothing changed" in again.stdout
    assert git(store.root, "rev-parse", "HEAD") == head


def test_ids_follow_the_month_received_in_the_store_zone(run, store, tmp_path):
    rows = ['2001,10/31/18 20:00,,NYPD,NYPD,Noise - Street/Sidewalk,Loud Talking,Open,,,QUEENS,,']
    run("import", quirky_csv(tmp_path / "a.csv", rows), "--mapping", "nyc311")
    case = by_source(store)["2001"]
    assert case["id"] == "HL-1811-0001"  # 20:00 on 31 October in New York is 1 November in Beijing
    assert (store.root / "cases/2018/11/HL-1811-0001.yaml").is_file()
    assert case["received"] == "2018-10-31T20:00:00-04:00"


def test_mistakes_are_one_line_errors_and_change_nothing(run, tmp_path):
    good = quirky_csv(tmp_path / "311.csv")
    run.fails("import", str(tmp_path / "missing.csv"), "--mapping", "nyc311", match="no such file")
    run.fails("import", good, "--mapping", "paris311", match="no mapping 'paris311'; built in: baltimore311")
    run.fails("import", good, "--mapping", "baltimore311", match="mappings/baltimore311.yaml:16: columns.id: column 'ServiceRequestNum' is not in the header")
    bad = tmp_path / "mine.yaml"
    bad.write_text("system: mine\nformat: csv\ncolumns:\n  id: Unique Key\n  created: Created Date\n  service: Complaint Type\n"
                   "statuses:\n  Closed: finished\n", "utf-8")
    run.fails("import", good, "--mapping", str(bad), match=f"{bad}:8: statuses.Closed: state 'finished'")
    bad.write_text("system: mine\ncolumns: [oops\n", "utf-8")
    run.fails("import", good, "--mapping", str(bad), match=f"{bad}:3:")
    bad.write_text("system: mine\nformat: csv\ncolums: {}\n", "utf-8")
    run.fails("import", good, "--mapping", str(bad), match=f"{bad}:3: unknown key 'colums'")
    run.fails("import", good, "--mapping", "nyc311", "--batch", "0", code=2)
    run.fails("export", "--since", "2021-13-45", match="--since: '2021-13-45' is not a date")
    (tmp_path / "file").write_text("", "utf-8")
    run.fails("export", "--out", str(tmp_path / "file/x.csv"), match="--out: cannot create the folder")


def test_an_office_mapping_can_send_rows_to_its_own_catalog(run, store, tmp_path):
    mapping = tmp_path / "mine.yaml"
    mapping.write_text(
        "system: mine\nname: My city\nformat: csv\ntimezone: Asia/Shanghai\ntime_formats: ['%m/%d/%y %H:%M']\n"
        "columns: {id: Unique Key, created: Created Date, closed: Closed Date, agency: Agency, service: Complaint Type,"
        " status: Status, resolution: Resolution Description}\n"
        "statuses: {Closed: closed, Open: accepted}\n"
        f"agencies: {{DSNY: {ETERNAL}}}\ncategories: {{Dirty Condition: {GARBAGE}}}\n", "utf-8")
    rows = ['3001,10/21/18 5:00,10/21/18 6:00,DSNY,Department of Sanitation,Dirty Condition,Trash,Closed,,Cleaned.,,,']
    run("import", quirky_csv(tmp_path / "a.csv", rows), "--mapping", str(mapping))
    case = by_source(store)["3001"]
    assert case["category"] == GARBAGE and case["state"]["lead"] == ETERNAL
    assert case["received"] == "2018-10-21T05:00:00+08:00"
    assert not (store.root / "catalog/import.yaml").exists()  # nothing the catalog lacked


def test_ctrl_c_keeps_every_committed_batch(run, store, tmp_path, monkeypatch):
    rows = [f'{4000 + n},10/21/18 {n}:00,,NYPD,NYPD,Noise - Residential,Loud Music/Party,Open,,,BROOKLYN,,' for n in range(5)]
    path = quirky_csv(tmp_path / "a.csv", rows)
    real, calls = importer.commit_batch, []

    def interrupted(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(importer, "commit_batch", interrupted)
    result = run.raw("import", path, "--mapping", "nyc311", "--batch", "2")
    assert result.exit_code == 130, result.stderr
    assert "interrupted: 2 rows committed, 3 not written" in result.stdout
    run.assert_clean()
    assert sorted(by_source(store)) == ["4000", "4001"]
    monkeypatch.setattr(importer, "commit_batch", real)
    again = run("import", path, "--mapping", "nyc311", "--batch", "2")
    assert "3 new, 0 updated, 2 unchanged" in again.stdout
    assert sorted(by_source(store)) == [str(4000 + n) for n in range(5)]


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """Six demo days plus the rarer paths: escalation, extension, reopening, exemption, formulas, phones.

    Shared by the tests of this module, which only read it.
    """
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {"JIESU_NOW": NOW, "JIESU_ACTOR": "operator", "JIESU_INTERACTIVE": "0"}.items():
            mp.setenv(key, value)
        root = tmp_path_factory.mktemp("office") / "office"
        build_demo(root, days=6, per_day=15, reports=False)
        store = Store(root)
        _extra_cases(Cli(store))
    return store


def _extra_cases(run):
    one = new_case(run, title="=HYPERLINK(\"http://x\")", description="Call me on 13812345678 please",
                   surname="Li", phone="13812345678", at="2021-11-09T08:00")
    run("assign", one, ETERNAL, "--at", "2021-11-09T08:05")
    run("escalate", one, "--to", "urban-management", "--reason", "needs enforcement", "--at", "2021-11-09T08:10")
    run("accept", one, "--at", "2021-11-09T08:20")
    run("contact", one, "--note", "Reached the caller at 13812345678", "--at", "2021-11-09T09:00")
    run("close", one, "--resolved", "--summary", "Cleared", "--at", "2021-11-09T10:00")
    run("reopen", one, "--reason", "It came back", "--at", "2021-11-09T11:00")
    two = new_case(run, "--time-limit", "complex", title="Long job", at="2021-11-09T08:00", name="Zhang Wei", phone="010-12345678")
    run("assign", two, ETERNAL, "--at", "2021-11-09T08:30")
    run("extend", two, "--by", "5d", "--reason", "waiting for a permit", "--at", "2021-11-09T09:00")
    run("exempt", two, "--reason", "unreasonable demand", "--at", "2021-11-09T09:30")


def _other(tmp_path, name="RT"):
    return ops.init_store(tmp_path / name, office=name, name="other office", actor="admin")


def test_csv_round_trip_keeps_every_column(office, tmp_path):
    first = Cli(office)("export", "--format", "csv").stdout
    rows_a = list(csv.DictReader(io.StringIO(first)))
    assert any(r["title"].startswith("'=HYPERLINK") for r in rows_a)  # no formula reaches a spreadsheet
    assert "13812345678" not in first and "Zhang" not in first
    (tmp_path / "a.csv").write_text(first, "utf-8")
    other = _other(tmp_path)
    result = Cli(other)("import", str(tmp_path / "a.csv"), "--mapping", "jiesu-csv")
    assert f"{len(rows_a)} new" in result.stdout
    rows_b = list(csv.DictReader(io.StringIO(Cli(other)("export", "--format", "csv").stdout)))
    new_id = {r["source_id"]: r["id"] for r in rows_b}
    assert {r["source_system"] for r in rows_b} == {"jiesu:HL"}
    for a in rows_a:
        b = next(r for r in rows_b if r["source_id"] == a["id"])
        for column in a:
            if column in ("id", "source_system", "source_id"):
                continue
            expected = new_id.get(a[column], a[column]) if column == "merged_into" else a[column]
            assert b[column] == expected, (a["id"], column)
    # the office's own export, imported back into itself: nothing changes
    head = git(office.root, "rev-parse", "HEAD")
    assert f"all {len(rows_a)} rows already present and unchanged" in Cli(office)("import", str(tmp_path / "a.csv"), "--mapping", "jiesu-csv").stdout
    assert git(office.root, "rev-parse", "HEAD") == head


def _comparable(case: dict, ids: dict) -> dict:
    data = {k: v for k, v in case.items() if k not in ("id", "source")}
    data["state"] = {k: ids.get(v, v) if k == "merged_into" else v for k, v in case["state"].items()}
    events = []
    for event in case["events"]:
        event = {k: v for k, v in event.items() if k != "id"}
        if event.get("into"):
            event["into"] = ids.get(event["into"], event["into"])
        if str(event.get("text", "")).endswith("merged into this case as a duplicate"):
            first = event["text"].split()[0]
            event["text"] = event["text"].replace(first, ids.get(first, first))
        events.append(event)
    data["events"] = events
    return data


def test_jsonl_round_trip_keeps_every_field_but_personal_data(office, tmp_path):
    text = Cli(office)("export", "--format", "jsonl").stdout
    cases_a = [json.loads(line) for line in text.splitlines()]
    assert all(set(c["complainant"]) <= {"kind", "confidential", "frequent", "special_group"} for c in cases_a)
    assert "13812345678" not in text and "138****5678" in text and "Zhang" not in text and "P-0000" not in text
    (tmp_path / "a.jsonl").write_text(text, "utf-8")
    other = _other(tmp_path)
    Cli(other)("import", str(tmp_path / "a.jsonl"), "--mapping", "jiesu-jsonl")
    cases_b = [json.loads(line) for line in Cli(other)("export", "--format", "jsonl").stdout.splitlines()]
    ids = {c["source"]["id"]: c["id"] for c in cases_b}
    assert len(cases_b) == len(cases_a)
    by_origin = {c["source"]["id"]: c for c in cases_b}
    for a in cases_a:
        assert _comparable(by_origin[a["id"]], {}) == _comparable(a, ids), a["id"]
    assert any(e["action"] == "merge" for c in cases_a for e in c["events"])


def test_open311_export_follows_georeport_v2(office, tmp_path):
    out = tmp_path / "open311"
    out.mkdir()
    before = snapshot(office.root)
    Cli(office)("export", "--format", "open311", "--out", f"{out}/", "--since", "2021-11-05", "--until", "2021-11-09")
    assert snapshot(office.root) == before
    requests = json.loads((out / "requests.json").read_text("utf-8"))
    services = json.loads((out / "services.json").read_text("utf-8"))
    assert requests and all(tuple(r) == REQUEST_FIELDS for r in requests)
    assert {r["status"] for r in requests} == {"open", "closed"}
    codes = {s["service_code"] for s in services}
    for r in requests:
        assert r["service_code"] is None or r["service_code"] in codes
        for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert r[key] is None or r[key][19] in "+-"  # ISO 8601 with offset, as the spec writes them
        assert "2021-11-05" <= r["requested_datetime"][:10] <= "2021-11-09"
    assert all(tuple(s) == SERVICE_FIELDS and s["type"] in ("realtime", "batch", "blackbox")
               and isinstance(s["metadata"], bool) for s in services)
    assert "13812345678" not in (out / "requests.json").read_text("utf-8")
    spec = SHARED / "data/open311/spec_examples"
    if not spec.is_dir():
        pytest.skip(f"GeoReport v2 spec examples not found: {spec} is absent")
    example = _json_load((spec / "json-service-requests.json").read_text("utf-8"), spec)
    assert set(REQUEST_FIELDS) <= set(example[0]) and {e["status"] for e in example} <= {"open", "closed"}
    assert set(SERVICE_FIELDS) == set(_json_load((spec / "json-service-list.json").read_text("utf-8"), spec)[0])
    # and jiesu reads the spec's own (leading-zero) example back in
    result = Cli(_other(tmp_path))("import", str(spec / "json-service-requests.json"), "--mapping", "open311")
    assert "2 new" in result.stdout


def test_a_broken_import_section_is_reported_with_its_line(run, store):
    (store.root / "catalog/import.yaml").write_text(
        "units:\n- {id: eternal-town, kind: department, name: {en: Twin}}\n- {id: x-y, kind: planet, name: {en: X}}\n", "utf-8")
    result = run.raw("verify")
    assert "catalog/import.yaml:3: x-y: kind 'planet'" in result.stdout
    assert result.exit_code == 1


def test_import_section_units_and_categories_work_like_the_catalogs_own(run, store):
    (store.root / "catalog/import.yaml").write_text(
        "units:\n- {id: nyc-nypd, kind: department, parent: centre, name: {en: NYPD}}\n"
        "categories:\n- {code: nyc311, name: {en: NYC 311}}\n"
        "- {code: nyc311.noise, name: {en: Noise}, time_limit: urgent, dispatch: {lead: nyc-nypd, co: []}}\n", "utf-8")
    git(store.root, "add", "catalog/import.yaml")
    git(store.root, "commit", "-qm", "import section")
    case_id = new_case(run, category="nyc311.noise", title="Loud music")
    run("assign", case_id)
    assert Store(store.root).load_case(case_id)["state"]["lead"] == "nyc-nypd"
    assert Store(store.root).load_case(case_id)["time_limit"] == "urgent"


# --- re-import, mapping checks, due times and time zones ------------------------------------

def _row(key, created, closed="", agency="NYPD", status="Open", due="", resolution=""):
    return f'{key},{created},{closed},{agency},{agency},Noise - Residential,Loud Music/Party,{status},{due},{resolution},BROOKLYN,,'


def test_a_reimport_adds_what_changed_as_new_events(run, store, tmp_path):
    first = [_row(5001, "10/21/18 1:00"), _row(5002, "10/21/18 2:00", "10/21/18 3:00", status="Closed", resolution="Fixed."),
             _row(5003, "10/21/18 4:00", agency="DOT"), _row(5005, "10/21/18 5:00")]
    run("import", quirky_csv(tmp_path / "a.csv", first), "--mapping", "nyc311")
    before = by_source(store)
    # the city's next export: 5001 closed, 5002 open again, 5003 sent to another agency, 5004 new
    second = [_row(5001, "10/21/18 1:00", "10/22/18 9:00", status="Closed", resolution="Officers responded; condition corrected."),
              _row(5002, "10/21/18 2:00", status="Open"), _row(5003, "10/21/18 4:00", agency="DSNY"), _row(5004, "10/21/18 6:00"),
              _row(5005, "10/21/18 5:00")]
    path = quirky_csv(tmp_path / "b.csv", second)
    head = git(store.root, "rev-parse", "HEAD")
    dry = run("import", path, "--mapping", "nyc311", "--dry-run")
    assert "5 rows: 1 new, 3 updated, 1 unchanged, 0 skipped (dry run: nothing written)" in dry.stdout
    assert "would be updated" in dry.stdout and git(store.root, "rev-parse", "HEAD") == head
    result = run("import", path, "--mapping", "nyc311", "--format", "json")
    summary = json.loads(result.stdout)
    assert (summary["new"], summary["updated"], summary["unchanged"], summary["skipped"]) == (1, 3, 1, [])
    after = by_source(store)
    for key in ("5001", "5002", "5003"):  # history is never rewritten: the old events stay as they were
        assert after[key]["events"][:len(before[key]["events"])] == before[key]["events"]
    added = {key: [(e["action"], e["at"]) for e in after[key]["events"][len(before[key]["events"]):]] for key in ("5001", "5002", "5003")}
    assert added["5001"] == [("accept", "2018-10-22T09:00:00-04:00"), ("close", "2018-10-22T09:00:00-04:00")]
    assert after["5001"]["events"][-1]["summary"] == "Officers responded; condition corrected."
    assert after["5001"]["state"]["status"] == "closed" and after["5001"]["source"]["status"] == "Closed"
    assert [a for a, _ in added["5002"]] == ["reopen", "note"] and after["5002"]["state"]["status"] == "dispatched"
    assert added["5003"][0][0] == "assign" and after["5003"]["state"]["lead"] == "nyc-dsny"
    assert after["5005"] == before["5005"]
    assert git(store.root, "log", "-1", "--format=%s").strip() == "update 3 case(s) from b.csv (nyc311)"
    again = run("import", path, "--mapping", "nyc311")
    assert "0 new, 0 updated, 5 unchanged" in again.stdout and "nothing changed" in again.stdout


def _mapping(tmp_path, extra="", columns="closed: Closed Date, due: Due Date"):
    path = tmp_path / "mine.yaml"
    path.write_text("system: mine\nformat: csv\ntimezone: America/New_York\ntime_formats: ['%m/%d/%y %H:%M']\n"
                    f"columns: {{id: Unique Key, created: Created Date, service: Complaint Type, status: Status, {columns}}}\n"
                    f"statuses: {{Closed: closed, Open: dispatched}}\n{extra}", "utf-8")
    return str(path)


def test_a_mapping_naming_a_missing_optional_column_is_refused_with_its_line(run, tmp_path):
    path = quirky_csv(tmp_path / "a.csv", [_row(6001, "10/21/18 1:00", "10/21/18 2:00", status="Closed")])
    mapping = _mapping(tmp_path, columns="closed: ClosedDt")
    run.fails("import", path, "--mapping", mapping,
              match=f"{mapping}:5: columns.closed: column 'ClosedDt' is not in the header of {path}")
    mapping = _mapping(tmp_path, extra="description:\n  Zip: Zip Code\n")
    run.fails("import", path, "--mapping", mapping, match=f"{mapping}:8: description.Zip: column 'Zip Code' is not in the header")
    run.fails("import", path, "--mapping", _mapping(tmp_path, extra="due: class weekly\n"),
              match=f"{mapping}:7: due: time limit 'weekly' is not a class of this store's catalog")
    run.fails("import", path, "--mapping", _mapping(tmp_path, extra="due: sometimes\n"), match=f"{mapping}:7: due: 'sometimes'; allowed")
    run.fails("import", path, "--mapping", _mapping(tmp_path, extra="assume_offset: +25:00\n"), match=f"{mapping}:7: assume_offset")
    run.fails("import", path, "--mapping", _mapping(tmp_path, extra="ignore_points: [[a, b]]\n"), match=f"{mapping}:7: ignore_points")


def test_due_times_come_only_from_where_the_mapping_says(run, store, tmp_path):
    rows = [_row(7001, "10/21/18 1:00", due="10/21/18 9:00"), _row(7002, "10/21/18 2:00")]
    path = quirky_csv(tmp_path / "a.csv", rows)
    modes = {"source": {"7001": ("standard", "source", "2018-10-21T09:00:00-04:00"), "7002": ("none", "source:none", None)},
             "class utility": {"7001": ("utility", "rules:utility", "2018-10-22T01:00:00-04:00"),
                               "7002": ("utility", "rules:utility", "2018-10-22T02:00:00-04:00")},
             "source-or-class complex": {"7001": ("standard", "source", "2018-10-21T09:00:00-04:00"),
                                         "7002": ("complex", "rules:complex", "2018-11-05T14:00:00+08:00")}}  # 15 days in the store zone
    for number, (mode, expected) in enumerate(modes.items()):
        mapping = _mapping(tmp_path, extra=f"due: {mode}\n").replace("system: mine", f"system: mine{number}")
        (tmp_path / "mine.yaml").write_text(open(mapping).read().replace("system: mine", f"system: mine{number}"), "utf-8")
        run("import", path, "--mapping", mapping)
        index = Index(Store(store.root))
        for key, (limit, origin, due) in expected.items():
            case = Store(store.root).load_case(index.sources()[(f"mine{number}", key)])
            got = case["state"].get("due")
            assert (case["time_limit"], case["events"][0]["limit_from"]) == (limit, origin), (mode, key)
            assert (got and datetime.fromisoformat(got)) == (due and datetime.fromisoformat(due)), (mode, key)
    rows = {r["source_id"]: r for r in csv.DictReader(io.StringIO(run("export").stdout)) if r["source_system"] == "mine0"}
    assert rows["7002"]["due"] == "" and rows["7002"]["limit_from"] == "source:none" and rows["7002"]["time_limit"] == "none"
    requests = {r["service_request_id"]: r for r in json.loads(run("export", "--format", "open311").stdout)}
    assert requests[rows["7002"]["id"]]["expected_datetime"] is None
    assert requests[rows["7001"]["id"]]["expected_datetime"] == "2018-10-21T09:00:00-04:00"
    # a case without a time limit is never overdue, and never late
    overdue = run.json("overdue", "--as-of", "2021-11-10T12:00")
    assert rows["7002"]["id"] not in {o["id"] for o in overdue["overdue"]} and rows["7001"]["id"] in {o["id"] for o in overdue["overdue"]}


def test_offsets_a_mapping_corrects(run, store, tmp_path):
    path = tmp_path / "iso.csv"
    path.write_text("id,created,type\nA1,2016-07-13 15:11:07+00:00,Odor\nA2,2016-01-13 15:11:07,Odor\n", "utf-8")
    base = "system: {}\nformat: csv\ntimezone: America/Los_Angeles\ncolumns: {{id: id, created: created, service: type}}\n"
    for system, extra, expected in (("plain", "", ("2016-07-13T15:11:07+00:00", "2016-01-13T15:11:07-08:00")),
                                    ("local", "assume_offset: local\n", ("2016-07-13T15:11:07-07:00", "2016-01-13T15:11:07-08:00")),
                                    ("fixed", "assume_offset: '+08:00'\n", ("2016-07-13T15:11:07+08:00", "2016-01-13T15:11:07+08:00"))):
        mapping = tmp_path / f"{system}.yaml"
        mapping.write_text(base.format(system) + extra, "utf-8")
        run("import", str(path), "--mapping", str(mapping))
        index = Index(Store(store.root)).sources()
        got = tuple(Store(store.root).load_case(index[(system, key)])["received"] for key in ("A1", "A2"))
        assert got == expected, system


def test_exports_stream_into_a_new_folder_and_honour_the_umask(office, tmp_path):
    import os
    import stat

    old = os.umask(0o027)
    try:
        Cli(office)("export", "--format", "open311-xml", "--out", f"{tmp_path}/new/folder/")
    finally:
        os.umask(old)
    for name in ("requests.xml", "services.xml"):
        mode = stat.S_IMODE((tmp_path / "new/folder" / name).stat().st_mode)
        assert mode == 0o640, (name, oct(mode))
    import xml.etree.ElementTree as ET

    requests = ET.parse(tmp_path / "new/folder/requests.xml").getroot()
    assert requests.tag == "service_requests" and [c.tag for c in requests[0]] == list(REQUEST_FIELDS)
    services = ET.parse(tmp_path / "new/folder/services.xml").getroot()
    assert services.tag == "services" and [c.tag for c in services[0]] == list(SERVICE_FIELDS)
    as_json = json.loads(Cli(office)("export", "--format", "open311").stdout)
    assert len(requests) == len(as_json) and requests[0].findtext("service_request_id") == as_json[0]["service_request_id"]
    spec = SHARED / "data/open311/spec_examples"
    if not spec.is_dir():
        pytest.skip(f"GeoReport v2 spec examples not found: {spec} is absent")
    example = ET.parse(spec / "xml-service-requests.xml").getroot()
    assert example.tag == requests.tag and [c.tag for c in example[0]] == [c.tag for c in requests[0]]
    example = ET.parse(spec / "xml-service-list.xml").getroot()
    assert example.tag == services.tag and sorted(c.tag for c in example[0]) == sorted(c.tag for c in services[0])
    # and the spec's own XML requests come in through the open311 mapping
    other = _other(tmp_path)
    result = Cli(other)("import", str(spec / "xml-service-requests.xml"), "--mapping", "open311")
    assert "2 new" in result.stdout
    cases = by_source(other)
    assert cases["638344"]["state"]["status"] == "closed" and cases["638344"]["source"]["media_url"].startswith("http://city.gov")
    assert cases["638344"]["state"]["due"] == "2010-04-15T06:37:38-08:00" and cases["638349"]["state"]["status"] == "received"


def test_the_on_time_rate_skips_cases_without_a_time_limit(office):
    from jiesu import assessment, metrics

    catalog = office.catalog
    records = [{"reached": True, "contacted": True, "resolved": True, "score": 100, "weights": {}, "on_time": flag,
                "accepted_on_time": flag} for flag in (True, False)]
    records += [{"reached": True, "contacted": True, "resolved": True, "score": 100, "weights": {},
                 **assessment.untimed_flags(catalog.classes["none"])}]
    assert assessment.untimed_flags(catalog.classes["standard"]) == {}
    score = metrics.score_unit("u", records)
    assert score.assessed == 3 and score.on_time_rate == 0.5 and score.acceptance_on_time_rate == 0.5
