"""Every real export in ../shared/data that a packaged mapping covers, imported and checked against
numbers computed straight from the file with the csv/json modules.

Each file is imported once per session (the imports are the slow part); the tests then read the
stores. They are skipped, with the reason shown, only when ../shared/data is absent.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import SHARED, Cli, git

from jiesu import ops, queries, verify
from jiesu.index import Index
from jiesu.interop import export
from jiesu.interop.importer import run_import
from jiesu.store import Store, yamlio

DATA = SHARED / "data"
NEEDS_DATA = pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not found: {DATA} is absent")
NY = ZoneInfo("America/New_York")
NOW = "2026-01-01T00:00:00+00:00"  # after every time in the files
NYC_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%y %H:%M")
BALTIMORE_FORMATS = ("%m/%d/%Y %I:%M:%S %p",)

pytestmark = NEEDS_DATA


def when(text: str, formats=NYC_FORMATS, missing=("",), zone=NY):
    """A wall-clock time of the file in its city's zone."""
    if text in missing:
        return None
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    raise AssertionError(f"unreadable time {text!r} in the test data")


def csv_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _import(tmp_path_factory, name, file, mapping, tz, office="HL", timezone=None):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JIESU_NOW", NOW)
        mp.setenv("JIESU_ACTOR", "importer")
        store = ops.init_store(tmp_path_factory.mktemp(name) / "store", office=office, tz=tz, actor="admin")
        summary = run_import(store, str(file), mapping, "importer", batch=1000, timezone=timezone)
    return Store(store.root), summary


# every real file, imported once per session by its built-in mapping into a store of this zone
# (nyc2023: an office in Beijing importing New York's data: ids and folders follow the store's zone)
IMPORTS = {
    "nyc2018": ("nyc311/nyc311_2018-10-21_sample.csv", "nyc311", "America/New_York", "NY"),
    "nyc2023": ("nyc311/nyc311_2023-02-28_sample5k.csv", "nyc311", "Asia/Shanghai", "HL"),
    "nyc1k": ("nyc311/nyc311_2014-2019_random1k.csv", "nyc311", "America/New_York", "NY"),
    "baltimore": ("baltimore311/baltimore311_2014-2019_sample10k.csv", "baltimore311", "America/New_York", "BA"),
    "chicago": ("open311/chicago_requests_2014_sample50.json", "chicago311", "America/Chicago", "CH"),
    "boston2022": ("boston311/boston311_2022-01_qsv100.csv", "boston311", "America/New_York", "BO"),
    "boston2025": ("boston311/boston311_2025_open_sidewalk_streetlight.csv", "boston311-2025", "America/New_York", "BO"),
    "sf": ("sf311/sf311_2008-2018_10k.csv", "sf311", "America/Los_Angeles", "SF"),
    "la": ("la311/la311_2018-12-27_to_31_last10k.csv", "la311", "America/Los_Angeles", "LA"),
    "sfxml": ("open311/sf_requests_2012_sample.xml", "open311", "America/Los_Angeles", "SF"),
}


def _imported(name):
    file, mapping, tz, office = IMPORTS[name]

    @pytest.fixture(scope="session", name=name)
    def fixture(tmp_path_factory):
        return _import(tmp_path_factory, name, DATA / file, mapping, tz, office, timezone=tz if mapping == "open311" else None)
    return fixture


for _name in IMPORTS:
    globals()[f"_{_name}_store"] = _imported(_name)


def nyc_expected(rows) -> dict:
    """What the CSV says: counts of rows, closes and the anomalies the city's data has."""
    closed_before = sum(1 for r in rows if r["Closed Date"] and when(r["Closed Date"]) < when(r["Created Date"]))
    return {
        "rows": len(rows),
        "closed": sum(1 for r in rows if r["Status"] == "Closed" and r["Closed Date"]),
        "anomalies": {k: v for k, v in {
            "closed-before-created": closed_before,
            "closed-date-on-open-status": sum(1 for r in rows if r["Status"] != "Closed" and r["Closed Date"]),
            "closed-without-date": sum(1 for r in rows if r["Status"] == "Closed" and not r["Closed Date"]),
        }.items() if v},
        # UTF-8 read as Latin-1 upstream: curly quotes as "â\x80\x99", no-break spaces as "Â\xa0"
        "mojibake": sum(1 for r in rows for v in r.values() if "â\x80" in v or "Â\xa0" in v),
    }


def imported_case(store, system: str, source_id: str) -> tuple[str, dict]:
    case_id = Index(store).sources()[(system, source_id)]
    return case_id, store.load_case(case_id)


def check_store(store, summary, rows, id_column, expected):
    assert summary.rows == expected["rows"] and summary.imported == expected["rows"]
    assert summary.skipped == [] and summary.present == 0 and not summary.interrupted
    assert dict(summary.anomalies) == expected["anomalies"]
    cases = Index(store).rows()
    assert len(cases) == expected["rows"]
    assert sorted(c["source"]["id"] for c in cases) == sorted(r[id_column] for r in rows)
    assert sum(1 for c in cases if c["status"] == "closed") == expected["closed"]
    problems = [str(p) for p in verify.verify(store) if p.severity == "error"]
    assert problems == []
    assert git(store.root, "status", "--porcelain") == ""


@pytest.mark.parametrize("which, file", [("nyc2018", "nyc311_2018-10-21_sample.csv"), ("nyc2023", "nyc311_2023-02-28_sample5k.csv"),
                                          ("nyc1k", "nyc311_2014-2019_random1k.csv")])
def test_every_nyc_file_imports_with_its_quirks(request, which, file):
    store, summary = request.getfixturevalue(which)
    rows = csv_rows(DATA / "nyc311" / file)
    expected = nyc_expected(rows)
    check_store(store, summary, rows, "Unique Key", expected)
    assert summary.repaired == expected["mojibake"]
    # batched: 1000 cases per commit, plus nothing else
    commits = git(store.root, "log", "--format=%s").splitlines()
    assert len(commits) == 1 + -(-expected["rows"] // 1000)


def test_a_nyc_row_is_reproduced_by_its_events(nyc2018):
    store, _ = nyc2018
    # 40611598,10/21/18 0:00,10/21/18 0:59,NYPD,…,Derelict Vehicle,With License Plate,…,Closed,10/21/18 8:00,
    # The Police Department responded to the complaint and took action to fix the condition.
    case_id, case = imported_case(store, "nyc311", "40611598")
    assert case_id.startswith("NY-1810-") and store.case_relpath(case_id).startswith("cases/2018/10/")
    assert case["title"] == "Derelict Vehicle: With License Plate"
    assert case["received"] == "2018-10-21T00:00:00-04:00"
    assert case["source"] == {"system": "nyc311", "id": "40611598", "status": "Closed"}
    assert case["channel"] == "hotline" and case["location"]["district"] == "nyc-queens"
    # the Location column's full precision, not the 8-decimal Latitude; "1,017,901" X/Y never break the row
    assert case["location"]["lat"] == 40.71051892839852
    events = [(e["action"], e["at"], e.get("unit")) for e in case["events"]]
    assert events == [
        ("intake", "2018-10-21T00:00:00-04:00", None), ("assign", "2018-10-21T00:00:00-04:00", "nyc-nypd"),
        ("accept", "2018-10-21T00:00:00-04:00", "nyc-nypd"), ("close", "2018-10-21T00:59:00-04:00", None),
    ]
    assert case["events"][0]["due"] == "2018-10-21T08:00:00-04:00" and case["events"][0]["limit_from"] == "source"
    assert case["events"][-1]["summary"] == "The Police Department responded to the complaint and took action to fix the condition."
    assert case["events"][-1]["resolved"] is True
    assert case["state"]["status"] == "closed" and case["state"]["due"] == "2018-10-21T08:00:00-04:00"
    # written by the fast writer, byte for byte what ruamel writes for the same document
    for path in sorted((store.root / "cases/2018/10").glob("*.yaml"))[:300]:
        text = path.read_text("utf-8")
        doc = yamlio.rt_load(text)
        location = doc.get("location") or {}
        for key in ("lat", "long"):
            if key in location:
                location[key] = float(location[key])  # as built at import (ruamel reads a ScalarFloat back)
        assert yamlio.rt_dump(doc) == text, path.name
    units = store.catalog.units
    assert units["nyc-nypd"].kind == "department" and units["nyc-queens"].kind == "district"
    assert store.catalog.categories["nyc311.derelict-vehicle"].dispatch == {"lead": "nyc-nypd", "co": []}


def test_closed_before_created_goes_in_with_the_anomaly(nyc2023):
    store, _ = nyc2023
    # 56923577: created 02/28/2023 11:45:00 PM, "closed" 01/01/2023 01:00:00 AM
    case_id, case = imported_case(store, "nyc311", "56923577")
    # 23:45 in New York is 12:45 the next day in a Beijing store: March, not February
    assert case_id.startswith("HL-2303-") and store.case_relpath(case_id).startswith("cases/2023/03/")
    assert case["received"] == "2023-02-28T23:45:00-05:00"
    assert [a.split(":")[0] for a in case["anomalies"]] == ["closed-before-created"]
    assert "2023-01-01T01:00:00-05:00" in case["anomalies"][0]
    assert case["state"]["closed"] == "2023-02-28T23:45:00-05:00"
    # the mis-encoded apostrophe is repaired
    assert "Transportation’s website" in case["events"][-1]["summary"]


def test_reimport_changes_nothing_and_says_so(nyc1k):
    store, _ = nyc1k
    head = git(store.root, "rev-parse", "HEAD")
    cli = Cli(store)
    result = cli("import", str(DATA / "nyc311/nyc311_2014-2019_random1k.csv"), "--mapping", "nyc311",
                 env={"JIESU_NOW": NOW})
    assert "0 new, 0 updated, 1000 unchanged, 0 skipped" in result.stdout and "nothing changed" in result.stdout
    assert git(store.root, "rev-parse", "HEAD") == head


def test_no_deadline_is_invented(nyc1k):
    """NYC 2014–2019: 514 of 1,000 rows have no Due Date; closed late counts only the city's own."""
    store, _ = nyc1k
    rows = csv_rows(DATA / "nyc311/nyc311_2014-2019_random1k.csv")
    closed_late = sum(1 for r in rows if r["Due Date"] and r["Closed Date"] and r["Status"] == "Closed"
                      and max(when(r["Closed Date"], NYC_FORMATS), when(r["Created Date"], NYC_FORMATS)) > when(r["Due Date"], NYC_FORMATS))
    cases = {c["source"]["id"]: c for c in Index(store).rows()}
    assert sum(1 for c in cases.values() if c["time_limit"] == "none") == sum(1 for r in rows if not r["Due Date"]) == 514
    assert all(c["due"] is None and c["limit_from"] == "source:none" for c in cases.values() if c["time_limit"] == "none")
    assert Cli(store).json("overdue", "--as-of", NOW)["closed_late"] == closed_late


def test_overdue_and_closed_late_match_the_csv(nyc2018):
    """NYC 2018: open past Due Date at T, and closed after Due Date, counted straight from the CSV."""
    store, _ = nyc2018
    rows = csv_rows(DATA / "nyc311/nyc311_2018-10-21_sample.csv")
    by_key = Index(store).sources()
    # only the city's own Due Dates count: a row without one has no time limit
    for as_of in ("2018-10-21T12:00:00-04:00", "2018-10-22T03:00:00-04:00"):
        t = datetime.fromisoformat(as_of)
        late_now = {r["Unique Key"] for r in rows if r["Due Date"] and when(r["Due Date"]) < t and when(r["Created Date"]) <= t
                    and not (r["Closed Date"] and when(r["Closed Date"]) <= t)}
        closed_late = sum(1 for r in rows if r["Due Date"] and r["Closed Date"] and when(r["Closed Date"]) <= t
                          and when(r["Closed Date"]) > when(r["Due Date"]))
        result = Cli(store).json("overdue", "--as-of", as_of)
        assert {by_key[("nyc311", key)] for key in late_now} == {item["id"] for item in result["overdue"]}
        assert result["closed_late"] == closed_late
    assert closed_late == 124  # SOURCE.md: 2,188 rows have both Due and Closed, 124 closed after due
    assert len(late_now) == 41
    direct = queries.overdue(store, as_of="2018-10-22T03:00:00-04:00")
    assert direct["closed_late"] == 124 and len(direct["overdue"]) == 41


def test_baltimore_imports_with_its_quirks(baltimore):
    store, summary = baltimore
    missing = ("NA",)
    rows = csv_rows(DATA / "baltimore311/baltimore311_2014-2019_sample10k.csv")
    expected = {
        "rows": len(rows),
        "closed": sum(1 for r in rows if r["SRStatus"].startswith("Closed") and r["CloseDate"] != "NA"),
        "anomalies": {},
    }
    check_store(store, summary, rows, "ServiceRequestNum", expected)
    cases = {c["source"]["id"]: c for c in Index(store).rows()}
    # the city's own due dates are kept; NA means none
    with_due = [r for r in rows if r["DueDate"] not in missing]
    assert sum(1 for c in cases.values() if c["limit_from"] == "source") == len(with_due) == 9714
    late = sum(1 for r in with_due if r["CloseDate"] not in missing and r["SRStatus"].startswith("Closed")
               and when(r["CloseDate"], BALTIMORE_FORMATS) > when(r["DueDate"], BALTIMORE_FORMATS))
    assert late == 1567  # SOURCE.md
    assert sum(1 for r in with_due if cases[r["ServiceRequestNum"]]["closed"]
               and datetime.fromisoformat(cases[r["ServiceRequestNum"]]["closed"]) > datetime.fromisoformat(cases[r["ServiceRequestNum"]]["due"])) == late
    # duplicates close unresolved; the placeholder point (39, -77) is left out
    duplicate = next(r for r in rows if r["SRStatus"] == "Closed (Duplicate)")
    assert cases[duplicate["ServiceRequestNum"]]["resolved"] is False
    placeholder = next(r for r in rows if (r["Latitude"], r["Longitude"]) == ("39", "-77"))
    assert "lat" not in store.load_case(cases[placeholder["ServiceRequestNum"]]["id"])["location"]
    assert Counter(c["status"] for c in cases.values())["closed"] == expected["closed"]


def test_open311_chicago_keeps_the_notes_timeline(chicago):
    store, summary = chicago
    data = json.loads((DATA / "open311/chicago_requests_2014_sample50.json").read_text("utf-8"))
    assert summary.rows == summary.imported == len(data) == 50 and summary.skipped == []
    index = Index(store).sources()
    for request in data:
        case = store.load_case(index[("chicago311", request["service_request_id"])])
        activity = [n for n in request["notes"] if n["type"] not in ("opened", "closed")]
        notes = [e for e in case["events"] if e["action"] == "note"]
        if request["status"] == "open" and request["updated_datetime"] > max(n["datetime"] for n in request["notes"]):
            assert notes[-1]["at"] == request["updated_datetime"]  # the source's last update of an open request
            notes.pop()
        assert len(notes) == len(activity)
        closing = [n["datetime"] for n in request["notes"] if n["type"] == "closed"]
        if request["status"] == "closed":
            assert case["state"]["closed"] == closing[-1]
            close = [e for e in case["events"] if e["action"] == "close"]
            assert len(close) == 1 and close[0]["summary"] == request["status_notes"]
        else:
            assert case["state"]["status"] == "dispatched" and not closing
        assert case["received"] == request["requested_datetime"]
    assert sum(1 for r in data if r["status"] == "closed") == 49


# --- every other city's export, through its built-in mapping ----------------------------------

LA = ZoneInfo("America/Los_Angeles")
ISO_FORMATS = ("%Y-%m-%d %H:%M:%S",)
LA_FORMATS = ("%m/%d/%Y %I:%M:%S %p",)


def local(text: str, zone=NY, formats=ISO_FORMATS):
    """A wall-clock time of the file in its city's zone (an offset the file writes is ignored)."""
    return when(re.sub(r"[+-]\d\d:\d\d$", "", text), formats, zone=zone)


def counts(store, as_of: str) -> dict:
    """open, closed, closed late and overdue at `as_of`, as jiesu reports them."""
    rows = Index(store).rows()
    overdue = Cli(store).json("overdue", "--as-of", as_of)
    return {"open": sum(1 for r in rows if r["status"] in ("received", "dispatched", "accepted")),
            "closed": sum(1 for r in rows if r["status"] == "closed"),
            "closed_late": overdue["closed_late"], "overdue": len(overdue["overdue"])}


def expected_counts(rows, is_closed, created, closed, due, as_of: datetime) -> dict:
    """The same numbers straight from the file: a close before the creation counts at the creation."""
    out = {"open": 0, "closed": 0, "closed_late": 0, "overdue": 0}
    for r in rows:
        end = max(closed(r), created(r)) if is_closed(r) else None
        out["closed" if end else "open"] += 1
        if due(r) is not None and end is not None and end > due(r):
            out["closed_late"] += 1
        if due(r) is not None and end is None and as_of > due(r):
            out["overdue"] += 1
    return out


def boston_rows(name):
    return csv_rows(DATA / "boston311" / name)


def test_boston_2022_counts_and_its_own_flags(boston2022):
    store, summary = boston2022
    rows = boston_rows("boston311_2022-01_qsv100.csv")
    assert summary.rows == summary.imported == len(rows) == 100 and summary.skipped == []
    expected = expected_counts(rows, lambda r: r["case_status"] == "Closed" and r["closed_dt"], lambda r: local(r["open_dt"]),
                               lambda r: local(r["closed_dt"]), lambda r: local(r["target_dt"]), datetime.fromisoformat(NOW))
    assert counts(store, NOW) == expected == {"open": 15, "closed": 85, "closed_late": 5, "overdue": 12}
    # Boston's own flag: OVERDUE is a closed-late or an overdue case, ONTIME every other one
    by_key = Index(store).sources()
    cases = {c["id"]: c for c in Index(store).rows()}
    overdue = {item["id"] for item in Cli(store).json("overdue", "--as-of", NOW)["overdue"]}
    exported = {r["id"]: r for r in csv.DictReader(io.StringIO(Cli(store)("export").stdout))}
    for r in rows:
        case_id = by_key[("boston311", r["case_enquiry_id"])]
        late = exported[case_id]["closed_late"] == "true" or case_id in overdue
        assert ("OVERDUE" if late else "ONTIME") == r["ontime"], r["case_enquiry_id"]
        assert (cases[case_id]["time_limit"] == "none") == (not r["target_dt"])
    # the source records neither acceptance nor contact: those clocks are unknown, not running for years
    shown = Cli(store)("show", by_key[("boston311", rows[0]["case_enquiry_id"])]).stdout
    assert "contact     unknown (the source did not record it)" in shown
    assert "acceptance  unknown (the source did not record it)" in shown


def test_boston_2025_reproduces_its_ontime_and_overdue_flags(boston2025):
    store, summary = boston2025
    rows = boston_rows("boston311_2025_open_sidewalk_streetlight.csv")
    assert summary.rows == summary.imported == len(rows) == 2424 and summary.skipped == []
    # the file was pulled on 19 May 2025 (its last request came in at 18:27 that day)
    as_of = "2025-05-20T00:00:00-04:00"
    by_key = Index(store).sources()
    overdue = {item["id"] for item in Cli(store).json("overdue", "--as-of", as_of)["overdue"]}
    assert overdue == {by_key[("boston311", r["case_enquiry_id"])] for r in rows if r["on_time"] == "OVERDUE"}
    assert len(overdue) == 2268
    expected = expected_counts(rows, lambda r: False, lambda r: local(r["open_dt"]), None, lambda r: local(r["sla_target_dt"]),
                               datetime.fromisoformat(as_of))
    assert counts(store, as_of) == expected == {"open": 2424, "closed": 0, "closed_late": 0, "overdue": 2268}


@pytest.mark.slow
def test_san_francisco_counts_and_local_times(sf):
    store, summary = sf
    rows = csv_rows(DATA / "sf311/sf311_2008-2018_10k.csv")
    assert summary.rows == summary.imported == len(rows) and summary.skipped == []
    expected = expected_counts(rows, lambda r: r["status"] == "Closed" and r["closed_date"], lambda r: local(r["created_date"], LA),
                               lambda r: local(r["closed_date"], LA), lambda r: None, datetime.fromisoformat(NOW))
    assert counts(store, NOW) == expected == {"open": 370, "closed": 9630, "closed_late": 0, "overdue": 0}
    # no SLA column: no due time anywhere; times are San Francisco wall-clock times, whatever +00:00 says
    cases = {c["source"]["id"]: c for c in Index(store).rows()}
    assert {(c["time_limit"], c["due"], c["limit_from"]) for c in cases.values()} == {("none", None, "source:none")}
    for r in rows:
        assert datetime.fromisoformat(cases[r["unique_key"]]["received"]) == local(r["created_date"], LA)
        assert cases[r["unique_key"]]["received"][19:] in ("-07:00", "-08:00")
    # the 0, 0 placeholder is left out without an anomaly; media URLs are kept
    assert dict(summary.anomalies) == {"closed-before-created": 17}
    with_media = next(r for r in rows if r["media_url"])
    assert store.load_case(cases[with_media["unique_key"]]["id"])["source"]["media_url"] == with_media["media_url"]


@pytest.mark.slow
def test_los_angeles_counts(la):
    store, summary = la
    rows = csv_rows(DATA / "la311/la311_2018-12-27_to_31_last10k.csv")
    assert summary.rows == summary.imported == len(rows) and summary.skipped == []
    closing = ("Closed", "Cancelled", "Referred Out")
    expected = expected_counts(rows, lambda r: r["Status"] in closing and r["ClosedDate"],
                               lambda r: local(r["CreatedDate"], LA, LA_FORMATS), lambda r: local(r["ClosedDate"], LA, LA_FORMATS),
                               lambda r: None, datetime.fromisoformat(NOW))
    assert counts(store, NOW) == expected
    assert expected["closed"] == sum(1 for r in rows if r["Status"] in closing) - sum(1 for r in rows if r["Status"] in closing and not r["ClosedDate"])
    assert dict(summary.anomalies).get("closed-before-created") == 23  # SOURCE.md


def test_open311_xml_from_san_francisco(sfxml):
    import xml.etree.ElementTree as ET

    store, summary = sfxml
    requests = ET.parse(DATA / "open311/sf_requests_2012_sample.xml").getroot().findall("request")
    assert summary.rows == summary.imported == len(requests) == 3 and summary.skipped == []
    by_key = Index(store).sources()
    for request in requests:
        case = store.load_case(by_key[("open311", request.findtext("service_request_id"))])
        # "2012-05-25 21:32:53.917": no offset, read in the zone given with --timezone
        assert case["received"] == "2012-05-25T21:32:53-07:00"
        assert case["source"].get("zipcode") == request.findtext("zipcode")
        assert case["location"]["lat"] == float(request.findtext("lat"))
        assert case["time_limit"] == "none"  # expected_datetime is nil
        # no agency_responsible: an open request that nobody was sent (and a status that is empty)
        assert not request.findtext("agency_responsible") and case["state"]["status"] == "received"
        assert case["source"].get("status") == (request.findtext("status") or None)
    assert counts(store, NOW) == {"open": 3, "closed": 0, "closed_late": 0, "overdue": 0}


def test_open311_without_a_zone_asks_for_one(tmp_path):
    store = ops.init_store(tmp_path / "s", office="SF", tz="America/Los_Angeles", actor="admin")
    Cli(store).fails("import", str(DATA / "open311/sf_requests_2012_sample.xml"), "--mapping", "open311",
                     match="mappings/open311.yaml:1: the time '2012-05-25 21:32:53.917' has no offset")


# --- round trips: export → import → export keeps what the export carries ---------------------

ROUND_TRIP = 60  # cases of each file, spread over it, carried through the round trips
ALL = ["nyc2018", "nyc2023", "nyc1k", "baltimore", "chicago", "boston2022", "boston2025", "sfxml",
       pytest.param("sf", marks=pytest.mark.slow), pytest.param("la", marks=pytest.mark.slow)]


def _render(write, cases, store) -> str:
    out = io.StringIO()
    write(out, iter(cases), store)
    return out.getvalue()


def _all_cases(store) -> list:
    return [store.load_case(case_id) for case_id in export.case_ids(store)]


def _without_ids(case: dict) -> dict:
    return {**{k: v for k, v in case.items() if k != "id"}, "events": [{k: v for k, v in e.items() if k != "id"} for e in case["events"]]}


@pytest.mark.parametrize("which", ALL)
def test_round_trips_keep_names_places_media_and_due_times(request, which, tmp_path, monkeypatch):
    store, _ = request.getfixturevalue(which)
    monkeypatch.setenv("JIESU_NOW", NOW)
    ids = export.case_ids(store)
    cases = [store.load_case(case_id) for case_id in ids[::max(1, len(ids) // ROUND_TRIP)][:ROUND_TRIP]]
    tz = store.settings["timezone"]
    for name, write, mapping in (("requests.json", export.write_open311_requests, "open311"),
                                 ("requests.xml", export.write_open311_xml_requests, "open311"),
                                 ("cases.jsonl", export.write_jsonl, "jiesu-jsonl")):
        first = _render(write, cases, store)
        (tmp_path / name).write_text(first, "utf-8")
        other = ops.init_store(tmp_path / name.replace(".", "-"), office="RT", tz=tz, actor="admin")
        summary = run_import(other, str(tmp_path / name), mapping, "importer")
        assert summary.imported == len(cases) and summary.skipped == [], (name, summary.skipped[:3])
        other = Store(other.root)
        again = _all_cases(other)
        if mapping == "jiesu-jsonl":
            # equal, ids aside: every field, every event, the names of units and categories
            assert [_without_ids(json.loads(line)) for line in _render(write, again, other).splitlines()] == \
                   [_without_ids(json.loads(line)) for line in first.splitlines()]
            continue
        # byte for byte, once the new store's case ids are put back
        second = _render(write, again, other)
        for case in again:
            second = second.replace(case["id"], case["source"]["id"])
        assert second == first, name
    carried = json.loads(_render(export.write_open311_requests, cases, store))
    assert any(r["expected_datetime"] for r in carried) == any(c["state"].get("due") for c in cases)
