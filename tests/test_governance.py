"""Governance signals on stores built through the real commands, with answers worked out by hand:
stats, hot spots (Poisson p-values and Benjamini–Hochberg), address clusters, repeat callers,
possible duplicates."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

import pytest
from conftest import ETERNAL, GARBAGE, git, load, new_case

from jiesu.governance.addresses import address_key
from jiesu.governance.duplicates import bigrams, jaccard
from jiesu.governance.hotspots import bh_qvalues, poisson_sf
from jiesu.governance.keys import format_key, matches, parse_key

AS_OF = "2021-11-10T12:00:00"  # the frozen clock of the tests (a Wednesday)
NOISE = "env.noise.neighbourhood-noise"
QUIET = "bell-drum/drum-tower"
PHONE = "15123456789"


def _at(days_before: float, hour: int = 9) -> str:
    moment = datetime.fromisoformat(AS_OF) - timedelta(days=days_before)
    return moment.replace(hour=hour, minute=0, second=0).isoformat()


def _request(category, street, at, title="Rubbish at the gate", **extra):
    return {"type": "complaint", "category": category, "street": street, "title": title, "at": at, **extra}


@pytest.fixture
def rising(run, tmp_path):
    """Garbage at Eternal Town: 2 a week for 8 weeks, then 11 in the last week. Noise at Drum
    Tower: 3 a week, then 5 — natural variation. All received in one `intake --from` commit."""
    requests = []
    for week in range(1, 9):
        for day in (1, 3):  # two garbage calls a week, on the weekdays the window also covers
            requests.append(_request(GARBAGE, ETERNAL, _at(7 * week + day)))
        for day in (1, 2, 4):
            requests.append(_request(NOISE, QUIET, _at(7 * week + day), "Loud music upstairs"))
    for i in range(11):
        requests.append(_request(GARBAGE, ETERNAL, _at(1 + i % 6, 8 + i % 8)))
    for day in (1, 2, 3, 4, 5):
        requests.append(_request(NOISE, QUIET, _at(day), "Loud music upstairs"))
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(requests), "utf-8")
    run("intake", "--from", path)
    return run


def test_poisson_tail_and_bh_by_hand():
    # P(X >= 11 | 2) = 1 - sum_{k=0}^{10} e^-2 2^k / k!
    by_hand = 1 - sum(math.exp(-2) * 2 ** k / math.factorial(k) for k in range(11))
    assert poisson_sf(11, 2.0) == pytest.approx(by_hand, rel=1e-9)
    assert by_hand == pytest.approx(8.3082e-06, rel=1e-4)
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(5, 3.0) == pytest.approx(1 - math.exp(-3) * (1 + 3 + 4.5 + 4.5 + 3.375), rel=1e-12)
    # Benjamini–Hochberg: q_i = min over j >= i of p_(j) * m / j
    assert bh_qvalues([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])


def test_hotspot_found_and_noise_not(rising):
    rows = rising.json("hotspots", "--all", "--level", "3")
    assert [r["key"] for r in rows] == [f"category={GARBAGE},street={ETERNAL}", f"category={NOISE},street={QUIET}"]
    hot, noise = rows
    assert (hot["count"], hot["baseline"], hot["expected"]) == (11, 16, 2.0)
    p_hot = 1 - sum(math.exp(-2) * 2 ** k / math.factorial(k) for k in range(11))
    assert hot["p_value"] == pytest.approx(p_hot, rel=1e-9)
    assert (noise["count"], noise["baseline"], noise["expected"]) == (5, 24, 3.0)
    p_noise = 1 - math.exp(-3) * (1 + 3 + 9 / 2 + 27 / 6 + 81 / 24)
    assert noise["p_value"] == pytest.approx(p_noise, rel=1e-9)
    # two keys tested: q = p * 2 / rank
    assert hot["q_value"] == pytest.approx(p_hot * 2)
    assert noise["q_value"] == pytest.approx(p_noise)
    assert hot["hot"] and not noise["hot"]
    assert len(hot["newest"]) == 5
    # without --all only the hot spot is listed; the default category level is 2
    listed = rising.json("hotspots")
    assert [r["key"] for r in listed] == [f"category=env.garbage,street={ETERNAL}"]
    table = rising("hotspots", check=False).stdout
    assert f"category=env.garbage,street={ETERNAL}" in table and "11" in table


def test_hotspot_key_round_trip_and_scope_matching():
    pairs = parse_key(f"category=env.garbage,street={ETERNAL}")
    assert format_key(pairs) == f"category=env.garbage,street={ETERNAL}"
    case = {"category": GARBAGE, "street": ETERNAL, "address": "永安路 12 号院", "tags": ["livability"], "title": "Rubbish"}
    assert matches(case, pairs)
    assert not matches(dict(case, category="env.garbagex.y"), pairs)
    assert matches(case, parse_key("address=永安路１２號,tag=livability,keyword=rubbish"))
    assert matches(case, parse_key("street=other,street=" + ETERNAL))  # alternatives of one dimension
    for bad in ("category", "colour=red", "category=,street=x"):
        with pytest.raises(Exception, match="key"):
            parse_key(bad)


def test_stats_agree_with_list(rising):
    # some handling: close and evaluate three of the garbage cases
    ids = [r["id"] for r in rising.json("list", "--category", GARBAGE)][-3:]
    outcomes = [("--resolved", "very-satisfied"), ("--resolved", "satisfied"), ("--unresolved", "dissatisfied")]
    for case_id, (resolved, level) in zip(ids, outcomes):
        rising("assign", case_id, ETERNAL)
        rising("accept", case_id)
        rising("contact", case_id, "--note", "called back")
        rising("close", case_id, resolved, "--summary", "done")
        args = ["--reached", "--contacted", resolved, "--satisfaction", level]
        rising("evaluate", case_id, *args, *(["--reason", "still there"] if level == "dissatisfied" else []))
    listed = rising.json("list", "--since", "2021-11-01", "--until", "2021-11-30")
    rows = rising.json("stats", "--by", "street", "--month", "2021-11")
    by_street = {r["group"]["street"]: r for r in rows}
    total = len(listed)
    for street, row in by_street.items():
        mine = [c for c in listed if c["street"] == street]
        assert row["received"] == len(mine)
        assert row["share"] == pytest.approx(len(mine) / total)
        assert row["closed"] == sum(1 for c in mine if c["closed"])
        assert row["open_overdue"] == sum(1 for c in mine if c["overdue"])
    garbage = by_street[ETERNAL]
    assert garbage["reached"] == 3
    assert garbage["resolution_rate"] == pytest.approx(2 / 3)
    assert garbage["satisfaction_rate"] == pytest.approx((100 + 80 + 20) / 300)
    assert garbage["dissatisfied"] == 1 and garbage["dissatisfied_share"] == 1.0
    low, high = garbage["resolution_ci"]
    assert low < 2 / 3 < high
    assert by_street[QUIET]["reached"] == 0 and by_street[QUIET]["resolution_rate"] is None
    # a cross table and a series
    cross = rising.json("stats", "--by", "category", "--by", "street", "--level", "2", "--month", "2021-11")
    assert {(r["group"]["category"], r["group"]["street"]) for r in cross} == {("env.garbage", ETERNAL), ("env.noise", QUIET)}
    series = rising.json("stats", "--by", "street", "--since", "2021-11-01", "--until", "2021-11-10", "--trend", "day")
    assert sum(r["received"] for r in series) == total
    assert sorted({r["period"] for r in series}) == [f"2021-11-{d:02d}" for d in range(1, 11)]  # empty days too
    csv = rising("stats", "--by", "weekday", "--format", "csv", check=False).stdout
    assert csv.splitlines()[0].startswith("period,group,received,share")


def test_stats_by_tag_counts_a_case_under_each_tag(run):
    new_case(run, tag="livability")
    new_case(run, "--tag", "livability", "--tag", "prioritize")
    result = run("stats", "--by", "tag", "--format", "json", check=False)
    rows = {r["group"]["tag"]: r["received"] for r in json.loads(result.stdout)}
    assert rows == {"livability": 2, "prioritize": 1}
    assert "counts once under each" in result.stderr


def test_address_written_three_ways_clusters(run):
    for address in ("永安路１２号", "永安路 12 号院", "永安路12號附近"):
        new_case(run, address=address)
    new_case(run, address="永安路14号")
    assert address_key("永安路１２号") == address_key("永安路 12 号院") == address_key("永安路12號附近") == "永安路12号"
    rows = run.json("hotspots", "--by", "address", "--all")
    cluster = [r for r in rows if r.get("kind") == "cluster"]
    assert [(c["address"], c["count"]) for c in cluster] == [("永安路12号", 3)]
    tested = {r["key"]: r["count"] for r in rows if r.get("kind") != "cluster"}
    assert tested == {"address=永安路12号": 3, "address=永安路14号": 1}


def test_repeat_caller_linked_across_a_confidential_call(run, store):
    ids, notes = [], []
    for i in range(6):
        extra = ["--confidential"] if i == 2 else []
        result = run("intake", "--type", "complaint", "--category", GARBAGE, "--title", f"Rubbish again {i}",
                     "--street", ETERNAL, "--phone", PHONE, "--at", _at(6 - i), *extra)
        ids.append(result.stdout.strip())
        notes.append(result.stderr)
    assert "earlier request" not in notes[0]
    assert "5 earlier request(s) in 30 days" in notes[5] and ids[2] in notes[5]
    # the rule (5 in 30 days) flags the fifth call; the intake event says why
    assert "flagged" not in notes[3] and "flagged frequent caller" in notes[4]
    fifth = load(store, ids[4])
    assert fifth["complainant"]["frequent"] is True
    assert fifth["events"][0]["frequent_from"] == "rule 5/30d"
    assert load(store, ids[3])["complainant"]["frequent"] is False
    # the confidential call carries no phone, yet is linked
    confidential = load(store, ids[2])
    assert confidential["complainant"].get("phone") is None
    assert PHONE not in (store.root / store.case_relpath(ids[2])).read_text("utf-8")
    rows = run.json("callers")
    assert len(rows) == 1
    row = rows[0]
    assert row["requests"] == 6 and sorted(row["cases"]) == sorted(ids)
    assert row["caller"] == "151****6789" and row["ref"]
    table = run("callers", check=False).stdout
    assert PHONE not in table and "151****6789" in table
    # an operator may still decide
    kept = run("intake", "--type", "complaint", "--category", GARBAGE, "--title", "Rubbish once more",
               "--street", ETERNAL, "--phone", PHONE, "--not-frequent").stdout.strip()
    case = load(store, kept)
    assert case["complainant"]["frequent"] is False and "frequent_from" not in case["events"][0]


def test_chinese_duplicate_found_and_unrelated_not(run, store):
    a, b = "小区门口垃圾堆放多日无人清运", "小区门口垃圾堆放多日没有人清运"
    # 13 and 14 bigrams, 11 shared: 11 / 16
    assert jaccard(bigrams(a), bigrams(b)) == pytest.approx(11 / 16)
    first = new_case(run, title=a)
    result = run("intake", "--type", "complaint", "--category", GARBAGE, "--title", b, "--street", ETERNAL)
    second = result.stdout.strip()
    assert f"possible duplicate of {first} (similar text; similarity 0.69)" in result.stderr
    assert f"jiesu merge {second} --into {first}" in result.stderr
    unrelated = run("intake", "--type", "complaint", "--category", GARBAGE,
                    "--title", "路灯坏了晚上出行很不安全", "--street", ETERNAL)
    assert "possible duplicate" not in unrelated.stderr
    found = run.json("similar", first)
    assert [(c["id"], c["reasons"]) for c in found] == [(second, ["similar text"])]
    assert found[0]["score"] == pytest.approx(0.688, abs=1e-3)
    assert run.json("similar", unrelated.stdout.strip()) == []
    run.fails("similar", "HL-2111-0999", match="no case HL-2111-0999")


def test_cases_with_descriptions_are_compared_on_title_and_description(run, store):
    """The index keeps the folded description apart from the title's; the check still compares
    the whole text of each case (the score is that of the two texts folded here)."""
    said = "The bins at the north gate have not been emptied for ten days and smell badly"
    first = new_case(run, title="Bins overflowing", description=said)
    second = new_case(run, title="垃圾桶满了", description=said + " again")
    other = new_case(run, title="Bins overflowing", description="A street light is broken near the school")
    whole = [bigrams(t + " " + d) for t, d in (("Bins overflowing", said), ("垃圾桶满了", said + " again"),
                                                 ("Bins overflowing", "A street light is broken near the school"))]
    found = {c["id"]: c for c in run.json("similar", first)}
    assert found[second]["score"] == pytest.approx(jaccard(whole[0], whole[1]), abs=1e-3) and found[second]["score"] > 0.7
    assert other not in found or found[other]["score"] == pytest.approx(jaccard(whole[0], whole[2]), abs=1e-3)
    assert jaccard(whole[0], whole[2]) < 0.5


def test_same_address_and_category_is_a_duplicate(run):
    first = new_case(run, title="Bins overflowing", address="永安路１２号")
    result = run("intake", "--type", "complaint", "--category", GARBAGE, "--title", "Smell from the bins",
                 "--street", ETERNAL, "--address", "永安路12號")
    assert f"possible duplicate of {first} (same address and category" in result.stderr


@pytest.mark.parametrize("args,match", [
    (["stats", "--by", "colour"], "--by: unknown dimension 'colour'"),
    (["stats", "--level", "4"], "--level"),
    (["stats", "--week", "2021-W60"], "--week"),
    (["stats", "--month", "2021-11", "--days", "3"], "give one period"),
    (["stats", "--since", "2021-11-05", "--until", "2021-11-01"], "--until"),
    (["hotspots", "--by", "tag"], "--by: unknown dimension 'tag'"),
    (["hotspots", "--days", "60"], "longer than the baseline"),
    (["hotspots", "--q", "0"], "--q"),
    (["hotspots", "--q", "1.5"], "--q"),
])
def test_usage_mistakes(run, args, match):
    result = run.fails(*args, code=2)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0]


def test_empty_store_gives_empty_output(run):
    assert run.json("stats") == []
    assert run.json("hotspots") == []
    assert run.json("callers") == []
    assert "no requests" in run("stats", check=False).stdout
    assert "no requests" in run("hotspots", check=False).stdout
    assert git(run.store.root, "status", "--porcelain") == ""


def test_weekly_and_daily_reports_agree_with_the_commands(rising):
    week = json.loads(rising("report", "weekly", "--week", "2021-W44", "--format", "json", check=False).stdout)
    assert (week["week"], week["previous_week"]) == ("2021-W44", "2021-W43")
    listed = rising.json("list", "--since", "2021-11-01", "--until", "2021-11-07")
    assert week["total"] == len(listed)
    stats = rising.json("stats", "--by", "district", "--week", "2021-W44")
    assert {r["code"]: r["count"] for r in week["by_district"]} == {r["group"]["district"]: r["received"] for r in stats}
    spots = rising.json("hotspots", "--as-of", "2021-11-07T23:59:59")
    assert [h["key"] for h in week["hotspots"]] == [r["key"] for r in spots]
    for fmt in ("md", "html", "txt", "csv"):
        assert rising("report", "weekly", "--week", "2021-W44", "--format", fmt, check=False).stdout
    daily = json.loads(rising("report", "daily", "--date", "2021-11-09", "--format", "json", check=False).stdout)
    today = rising.json("hotspots", "--as-of", "2021-11-09T23:59:59")
    before = {r["key"] for r in rising.json("hotspots", "--as-of", "2021-11-08T23:59:59")}
    assert [h["key"] for h in daily["early_warning"]["hotspots"]] == [r["key"] for r in today if r["key"] not in before]
    rising.fails("report", "weekly", "--week", "2021-W54", code=2)


def test_monthly_office_rates_and_shares(rising):
    ids = [r["id"] for r in rising.json("list", "--category", GARBAGE)][-2:]
    for case_id, level in zip(ids, ("satisfied", "very-dissatisfied")):
        rising("close", case_id, "--resolved", "--summary", "answered", "--at", "2021-11-10T11:00")
        rising("evaluate", case_id, "--reached", "--contacted", "--resolved", "--satisfaction", level,
               "--reason", "why", "--at", "2021-11-10T11:30")
    data = json.loads(rising("report", "monthly", "--month", "2021-11", "--format", "json", check=False).stdout)
    office = data["office"]
    assert office["reached"] == 2 and office["satisfaction_rate"] == pytest.approx((80 + 0) / 200)
    assert [t["month"] for t in office["trend"]][-2:] == ["2021-10", "2021-11"] and len(office["trend"]) == 12
    garbage = next(r for r in data["by_category"] if r["code"] == "env")
    assert garbage["dissatisfied"] == 1 and garbage["dissatisfied_share"] == 1.0
    assert "<svg" in rising("report", "monthly", "--month", "2021-11", "--format", "html", check=False).stdout


def test_the_requests_of_one_intake_are_not_duplicates_of_each_other_but_of_what_came_before(run, tmp_path):
    """The duplicate search runs once the cases are committed (while git updates its index); the
    cases of the same intake are left out of it, as when it ran before the write."""
    first = new_case(run, title="小区门口垃圾堆放多日无人清运")
    both = [{"type": "complaint", "category": GARBAGE, "street": ETERNAL, "title": "小区门口垃圾堆放多日没有人清运"},
            {"type": "complaint", "category": GARBAGE, "street": ETERNAL, "title": "小区门口垃圾堆放多日没人清运"}]
    path = tmp_path / "two.json"
    path.write_text(json.dumps(both, ensure_ascii=False), "utf-8")
    result = run("intake", "--from", path)
    made = result.stdout.split()
    assert len(made) == 2 and first not in made
    found = [line for line in result.stderr.splitlines() if "possible duplicate" in line]
    assert len(found) == 2 and all(f"possible duplicate of {first} (similar text" in line for line in found)
    assert not any(f"possible duplicate of {m}" in result.stderr for m in made)


def test_a_duplicate_search_that_fails_after_the_commit_is_a_note_not_an_error(run, store, monkeypatch):
    import sqlite3

    from jiesu.governance import duplicates

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(duplicates, "candidates", locked)
    result = run("intake", "--type", "complaint", "--category", GARBAGE, "--title", "Rubbish at the gate", "--street", ETERNAL)
    case_id = result.stdout.strip()
    assert load(store, case_id)["title"] == "Rubbish at the gate"
    assert "could not look for possible duplicates (database is locked)" in result.stderr
    result = run("--lang", "zh", "intake", "--type", "complaint", "--category", GARBAGE, "--title", "Rubbish again",
                 "--street", ETERNAL)
    assert "未能查找可能重复的诉求（database is locked）" in result.stderr


def test_the_checks_of_many_requests_share_one_connection_to_the_index(run, store):
    """`intake --from` of many requests looks them up on one connection, closed once the
    duplicates are found (not one open file each until the end of the command)."""
    from jiesu.governance.intake import look
    from jiesu.ops.new_cases import prepare
    from jiesu.store import Store

    new_case(run, title="小区门口垃圾堆放多日无人清运")
    opened = Store(store.root)
    prepared = [prepare(opened, {"type": "complaint", "category": GARBAGE, "street": ETERNAL,
                                 "title": f"小区门口垃圾堆放多日没有人清运{i}"}, "op-101") for i in range(40)]
    looks = look(opened, prepared)
    assert len(looks) == 40 and {id(found.db) for found in looks} == {id(looks.db)}
    looks.find(set())
    assert all(found.matches and found.matches[0]["reasons"] == ["similar text"] for found in looks)
    import sqlite3

    with pytest.raises(sqlite3.ProgrammingError):
        looks.db.execute("SELECT 1")  # closed
