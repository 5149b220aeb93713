"""Handling as it really runs (DESIGN §9): corrections, the centre's review, supervision, the
whistle's clock, attachments and who may act for whom — through the command line on real stores."""

from __future__ import annotations

import json

import pytest
from conftest import ETERNAL, GARBAGE, git, load, new_case

SPRING = "dragon-gate/dragon-spring"
NOISE = "env.noise.commercial-noise"


def _rank_volume(run, unit):
    rows = json.loads(run("rank", "--month", "2021-11", "--format", "json", check=False).stdout)
    rows = rows["ranked"] + rows["not_ranked"]
    return next((r.get("volume") for r in rows if r["unit"] == unit), 0)


# --- corrections ---------------------------------------------------------------------------------

def test_amend_moves_the_case_to_its_corrected_street_and_category(run, store):
    case_id = new_case(run, at="2021-11-02T09:00", community="hege-village")
    before = (_rank_volume(run, ETERNAL), _rank_volume(run, SPRING))
    run("amend", case_id, "--street", SPRING, "--category", NOISE, "--reason", "Wrong jurisdiction at intake")
    case = load(store, case_id)
    assert case["category"] == NOISE
    assert case["location"] == {"district": "dragon-gate", "street": SPRING}  # the old street's community left with it
    event = case["events"][-1]
    assert event["action"] == "amend"
    assert event["changes"] == {"category": [GARBAGE, NOISE], "street": [ETERNAL, SPRING], "community": ["hege-village", None]}
    assert event["reason"] == "Wrong jurisdiction at intake"
    assert case["state"]["due"] == case["events"][0]["due"]  # the deadline stays as received
    assert case["state"]["amended"] == 1
    after = (_rank_volume(run, ETERNAL), _rank_volume(run, SPRING))
    assert after == (before[0] - 1, before[1] + 1)
    rows = run.json("list")
    assert [(r["id"], r["street"]) for r in rows] == [(case_id, SPRING)]
    shown = run("show", case_id).stdout
    assert "amended" in shown and f"category {GARBAGE} → {NOISE}" in shown
    assert "amend" in run("log", case_id).stdout
    assert git(store.root, "log", "-1", "--format=%s").startswith(f"amend {case_id}")


def test_amend_recompute_limit_and_tags(run, store):
    case_id = new_case(run, at="2021-11-08T09:00", category="property.owners-committee.disputes")
    old = load(store, case_id)
    run("amend", case_id, "--category", GARBAGE, "--tag", "+livability", "--reason", "Misfiled", "--recompute-limit")
    case = load(store, case_id)
    assert case["tags"] == ["livability"]
    ev = case["events"][-1]
    assert ev["recompute_limit"] is True
    assert ev["due"] == case["state"]["due"] == "2021-11-15T09:00:00+08:00"  # standard: received + 7 days
    assert case["time_limit"] == "standard"
    if old["time_limit"] != "standard":
        assert ev["changes"]["time_limit"] == [old["time_limit"], "standard"]
    run("amend", case_id, "--tag", "-livability", "--reason", "Tagged by mistake")
    assert load(store, case_id)["tags"] == []


def test_amend_after_close_only_for_the_record(run, store):
    case_id = new_case(run, at="2021-11-02T09:00")
    run("assign", case_id, ETERNAL, "--at", "2021-11-02T09:10")
    run("accept", case_id, "--at", "2021-11-02T09:20")
    run("close", case_id, "--resolved", "--summary", "Done", "--at", "2021-11-03T09:00")
    run.fails("amend", case_id, "--category", NOISE, "--reason", "x", match="--statistics-only")
    run("amend", case_id, "--category", NOISE, "--reason", "Classification for the record", "--statistics-only")
    case = load(store, case_id)
    assert case["category"] == NOISE and case["state"]["status"] == "closed"
    assert "[statistics only]" in run("show", case_id).stdout
    run.fails("amend", case_id, "--category", GARBAGE, "--reason", "x", "--statistics-only", "--recompute-limit")


def test_amend_refusals(run, store):
    case_id = new_case(run)
    run.fails("amend", case_id, "--category", "no.such.thing", "--reason", "x", match="--category")
    run.fails("amend", case_id, "--street", "nowhere", "--reason", "x", match="--street")
    run.fails("amend", case_id, "--tag", "+no-such-tag", "--reason", "x", match="--tag")
    run.fails("amend", case_id, "--category", NOISE, "--reason", "  ", match="--reason")
    run.fails("amend", case_id, "--category", NOISE, match="--reason")
    run.fails("amend", case_id, "--reason", "x", match="nothing to amend")
    run.fails("amend", case_id, "--category", GARBAGE, "--reason", "x", match="already has")
    run.fails("amend", case_id, "--category", NOISE, "--reason", "x", "--statistics-only", match="not closed")


# --- the centre's review ------------------------------------------------------------------------

def _complex_complaint(run, at="2021-11-02T09:00"):
    case_id = new_case(run, at=at, time_limit="complex")
    run("assign", case_id, ETERNAL, "--at", "2021-11-02T09:10")
    run("accept", case_id, "--at", "2021-11-02T09:20")
    return case_id


def test_review_round_trip(run, store):
    case_id = _complex_complaint(run)
    out = run("close", case_id, "--resolved", "--summary", "Cleared", "--at", "2021-11-03T10:00").stdout
    assert "handled" in out and "review" in out
    state = load(store, case_id)["state"]
    assert state["status"] == "handled"
    assert state["review_by"] == "2021-11-04T10:00:00+08:00"  # review_within 24h after the unit's close
    assert run.json("overdue", "--as-of", "2021-12-30T00:00")["overdue"] == []  # handled is not overdue
    run("review", case_id, "--send-back", "--reason", "The recording shows nobody called back", "--at", "2021-11-03T12:00")
    state = load(store, case_id)["state"]
    assert state["status"] == "accepted" and state["sent_back"] == 1 and "closed" not in state
    sheet = run("report", "unit", "--unit", ETERNAL).stdout
    assert "Sent back" in sheet and case_id in sheet
    run("close", case_id, "--resolved", "--summary", "Called back and cleared", "--at", "2021-11-04T09:00")
    run("review", case_id, "--approve", "--at", "2021-11-05T09:00")
    state = load(store, case_id)["state"]
    assert state["status"] == "closed"
    assert state["closed"] == "2021-11-04T09:00:00+08:00"  # the unit's close time
    assert state["reviewed"] == "2021-11-05T09:00:00+08:00"
    assert [e["decision"] for e in load(store, case_id)["events"] if e["action"] == "review"] == ["sent-back", "approved"]
    run("evaluate", case_id, "--reached", "--contacted", "--resolved", "--satisfaction", "satisfied")


def test_a_late_review_is_listed_apart_from_late_handling(run, store):
    case_id = _complex_complaint(run)
    run("close", case_id, "--resolved", "--summary", "Cleared", "--at", "2021-11-03T10:00")  # review by 11-04 10:00
    early = run.json("overdue", "--as-of", "2021-11-04T09:00")
    assert early["overdue"] == [] and early["review_overdue"] == []
    late = run.json("overdue", "--as-of", "2021-11-04T16:00")
    assert late["overdue"] == [] and late["due_soon"] == []  # a handled case is not overdue for handling
    [item] = late["review_overdue"]
    assert (item["id"], item["lead"], item["status"]) == (case_id, ETERNAL, "handled")
    assert item["review_by"] == "2021-11-04T10:00:00+08:00" and item["hours_late"] == 6.0
    table = run("overdue", "--as-of", "2021-11-04T16:00").stdout
    assert "Overdue as of 2021-11-04 16:00: 0 open case(s)" in table
    assert "Review overdue (handled by the unit, the centre's review is late): 1" in table
    assert case_id in table.split("Review overdue")[1]
    csv_rows = run("overdue", "--as-of", "2021-11-04T16:00", "--format", "csv").stdout.splitlines()
    assert csv_rows[0].startswith("section,id,lead,status,due,hours_late") and csv_rows[0].endswith(",review_by")
    assert csv_rows[1] == f"review_overdue,{case_id},{ETERNAL},handled,,6,0.25,,Rubbish at the gate,2021-11-04T10:00:00+08:00"  # 6 h of a working day
    assert len(csv_rows) == 2
    report = run("report", "overdue", "--as-of", "2021-11-04T16:00").stdout
    assert "Review overdue (handled by the unit, the centre's review is late): 1" in report and case_id in report
    data = json.loads(run("report", "overdue", "--as-of", "2021-11-04T16:00", "--format", "json").stdout)
    assert [c["id"] for c in data["review_overdue"]] == [case_id] and data["count"] == 0
    run("review", case_id, "--approve", "--at", "2021-11-04T17:00")
    assert run.json("overdue", "--as-of", "2021-11-04T18:00")["review_overdue"] == []
    assert [c["id"] for c in run.json("overdue", "--as-of", "2021-11-04T16:00")["review_overdue"]] == [case_id]  # as it was then


def test_review_refusals_and_unreviewed_classes(run, store):
    plain = new_case(run)  # standard class: closes without review
    run("assign", plain, ETERNAL)
    run("accept", plain)
    run("close", plain, "--resolved", "--summary", "Done")
    assert load(store, plain)["state"]["status"] == "closed"
    run.fails("review", plain, "--approve", match="cannot review")
    case_id = _complex_complaint(run)
    run.fails("review", case_id, "--approve", match="cannot review")
    run("close", case_id, "--resolved", "--summary", "Cleared", "--at", "2021-11-03T10:00")
    run.fails("review", case_id, "--send-back", match="--reason")
    run.fails("review", case_id, code=2)


# --- supervision ----------------------------------------------------------------------------------

def test_supervised_and_high_priority_cases_come_first(run, store):
    first = new_case(run, at="2021-11-01T09:00", title="Oldest")
    second = new_case(run, at="2021-11-02T09:00", title="Middle")
    third = new_case(run, at="2021-11-03T09:00", title="Newest", tag="prioritize")
    assert [r["id"] for r in run.json("list")] == [third, first, second]  # priority: high first
    run("supervise", second, "--reason", "Third complaint this month", "--level", "district")
    rows = run.json("list")
    assert [r["id"] for r in rows] == [second, third, first]
    assert rows[0]["supervised"] == "Third complaint this month"
    assert load(store, second)["state"]["supervised"]["level"] == "district"
    overdue = run.json("overdue", "--as-of", "2021-11-20T00:00")
    assert [r["id"] for r in overdue["overdue"]][0] == second
    assert "Supervised" in run("overdue", "--as-of", "2021-11-20T00:00").stdout
    daily = json.loads(run("report", "daily", "--date", "2021-11-10", "--format", "json", check=False).stdout)
    assert [c["id"] for c in daily["supervised"]] == [second]
    run("assign", second, ETERNAL)
    sheet = json.loads(run("report", "unit", "--unit", ETERNAL, "--format", "json", check=False).stdout)
    assert sheet["cases"][0]["id"] == second and sheet["cases"][0]["supervised"] == "Third complaint this month"
    assert "supervised" in run("show", second).stdout
    run("supervise", second, "--clear")
    assert "supervised" not in load(store, second)["state"]
    assert [r["id"] for r in run.json("list")] == [third, first, second]


def test_supervise_refusals(run, store):
    case_id = new_case(run)
    run.fails("supervise", case_id, match="--reason")
    run.fails("supervise", case_id, "--clear", match="not supervised")
    run.fails("supervise", case_id, "--reason", "x", "--until", "2021-11-01T00:00", match="--until")
    run("reject", case_id, "--reason", "Invalid call")
    run.fails("supervise", case_id, "--reason", "x", match="cannot supervise")


# --- the whistle's clock ------------------------------------------------------------------------

def test_whistle_met_and_missed(run, store):
    case_id = new_case(run, at="2021-11-10T08:00")
    run("assign", case_id, ETERNAL, "--at", "2021-11-10T08:10")
    run("accept", case_id, "--at", "2021-11-10T08:20")
    out = run("escalate", case_id, "--to", "urban-management", "--reason", "Needs law enforcement", "--at", "2021-11-10T09:00").stdout
    assert "2021-11-10T09:30:00+08:00" in out  # respond_within 30m by default
    run("escalate", case_id, "--to", "housing", "--reason", "Building owner", "--at", "2021-11-10T09:05")
    state = load(store, case_id)["state"]
    assert [c["unit"] for c in state["whistle"]] == ["urban-management", "housing"]
    run.fails("respond", case_id, "--unit", SPRING, match="was not called")
    run("--as", "urban-management", "respond", case_id, "--unit", "urban-management", "--at", "2021-11-10T09:20")
    run.fails("respond", case_id, "--unit", "urban-management", match="already reported")
    run("--as", "urban-management", "note", case_id, "On site")
    shown = run("show", case_id).stdout  # now is 12:00: housing missed its 09:35 clock
    assert "urban-management: met" in shown and "housing: missed" in shown
    calls = {w["unit"]: w["outcome"] for w in run.json("overdue")["whistle"]}
    assert calls == {"urban-management": "met", "housing": "missed"}
    sheet = json.loads(run("report", "unit", "--unit", "housing", "--format", "json", check=False).stdout)
    assert sheet["cases"][0]["whistle"] == "missed"
    run("--as", "housing", "respond", case_id, "--unit", "housing", "--at", "2021-11-10T12:00")
    assert load(store, case_id)["state"]["whistle"][1]["responded"] == "2021-11-10T12:00:00+08:00"
    assert "housing: missed" in run("show", case_id).stdout  # late stays missed
    ranking = json.loads(run("rank", "--month", "2021-11", "--level", "department", "--format", "json", check=False).stdout)
    rows = {r["unit"]: r for r in ranking["ranked"] + ranking["not_ranked"]}
    assert (rows["urban-management"]["whistle_calls"], rows["urban-management"]["whistle_on_time_rate"]) == (1, 1.0)
    assert (rows["housing"]["whistle_calls"], rows["housing"]["whistle_on_time_rate"]) == (1, 0.0)


# --- attachments ----------------------------------------------------------------------------------

def test_attachments_shared_private_extract_verify(run, store, tmp_path):
    case_id = new_case(run)
    photo = tmp_path / "site.jpg"
    photo.write_bytes(b"\xff\xd8photo bytes")
    call = tmp_path / "callback.wav"
    call.write_bytes(b"RIFF recording")
    run("attach", case_id, photo)
    run("attach", case_id, call)
    events = [e for e in load(store, case_id)["events"] if e["action"] == "attach"]
    import hashlib

    photo_hash = hashlib.sha256(photo.read_bytes()).hexdigest()
    call_hash = hashlib.sha256(call.read_bytes()).hexdigest()
    assert events[0] == dict(events[0], name="site.jpg", kind="photo", size=len(photo.read_bytes()), sha256=photo_hash)
    assert "private" not in events[0] and events[1]["private"] is True and events[1]["kind"] == "audio"
    shared = f"attachments/{photo_hash[:2]}/{photo_hash}"
    assert git(store.root, "ls-files", "attachments").split() == [shared]
    assert (store.root / "private" / f"attachments/{call_hash[:2]}/{call_hash}").read_bytes() == call.read_bytes()
    shown = run("show", case_id).stdout
    assert "site.jpg (photo" in shown and "callback.wav (audio" in shown and "private" in shown
    out = tmp_path / "out.jpg"
    run("attachment", case_id, "site.jpg", "--out", out)
    assert out.read_bytes() == photo.read_bytes()
    run.fails("attachment", case_id, "nothing.jpg", "--out", tmp_path / "x", match="no attachment")
    exported = run("export", "--format", "jsonl", check=False).stdout
    assert "site.jpg" not in exported and photo_hash not in exported
    # an altered file is reported by verify
    (store.root / shared).write_bytes(b"tampered")
    result = run.raw("verify")
    assert result.exit_code == 1 and "was altered" in result.stdout + result.stderr


def test_attach_refusals(run, store, tmp_path):
    case_id = new_case(run)
    run.fails("attach", case_id, tmp_path / "missing.pdf", match="no such file")
    run.fails("attach", case_id, tmp_path, match="directory")
    target = tmp_path / "real.pdf"
    target.write_bytes(b"%PDF")
    link = tmp_path / "link.pdf"
    link.symlink_to(target)
    run.fails("attach", case_id, link, match="symbolic link")
    settings = store.root / "jiesu.yaml"
    settings.write_text(settings.read_text("utf-8") + "max_attachment_mb: 0.001\n", "utf-8")
    git(store.root, "commit", "-qam", "smaller cap")
    big = tmp_path / "big.pdf"
    big.write_bytes(b"x" * 2000)
    run.fails("attach", case_id, big, match="over the cap")


@pytest.mark.slow
def test_attachments_travel_with_sync_but_private_ones_stay(tmp_path, store, run):
    import subprocess

    from click.testing import CliRunner
    from conftest import Cli

    from jiesu.cli import cli
    from jiesu.store import Store

    bare = tmp_path / "shared.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(store.root, "remote", "add", "origin", str(bare))
    case_id = new_case(run)
    photo, call = tmp_path / "site.jpg", tmp_path / "callback.wav"
    photo.write_bytes(b"photo")
    call.write_bytes(b"recording")
    run("attach", case_id, photo)
    run("attach", case_id, call)
    run("sync")
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "other"), "--clone", str(bare), "--office", "XC"])
    assert result.exit_code == 0, result.output
    other = Cli(Store(tmp_path / "other"))
    out = tmp_path / "copy.jpg"
    other("attachment", case_id, "site.jpg", "--out", out)
    assert out.read_bytes() == b"photo"
    other.fails("attachment", case_id, "callback.wav", "--out", tmp_path / "copy.wav", match="missing")
    assert not list((tmp_path / "other").rglob("*.wav"))
    verify = other.raw("verify")
    assert verify.exit_code == 0 and "private attachments" in verify.stdout + verify.stderr


# --- who may act for whom -----------------------------------------------------------------------

ACTORS = """actors:
  operator: {roles: [operator]}
  reviewer: {roles: [reviewer]}
  admin: {roles: [admin]}
  eternal-town: {units: [dragon-gate/eternal-town]}
  spring-town: {units: [dragon-gate/dragon-spring]}
"""


def _with_actors(store, text=ACTORS):
    (store.root / "actors.yaml").write_text(text, "utf-8")
    git(store.root, "add", "actors.yaml")
    git(store.root, "-c", "user.name=admin", "-c", "user.email=a@b", "commit", "-qm", "who may act for whom")


def test_actors_refuse_a_wrong_unit_and_verify_audits_plain_git(run, store):
    assert "anyone may act as any unit" in run("verify").stdout
    case_id = new_case(run)
    _with_actors(store)
    run("--as", "operator", "assign", case_id, ETERNAL)
    result = run.fails("--as", "spring-town", "accept", case_id, match="spring-town")
    assert "lead" in result.stderr
    run.fails("--as", "eternal-town", "intake", "--type", "complaint", "--title", "x", "--street", ETERNAL, match="operator")
    run.fails("--as", "nobody", "note", case_id, "hi", match="not in actors.yaml")
    run("--as", "eternal-town", "accept", case_id)
    out = run("verify").stdout
    assert "anyone may act" not in out and "ok: every case" in out
    # a commit made with plain git under the wrong name: jiesu writes the contact, the commit is
    # redone by hand as spring-town (not the lead's staff); verify names it
    run("--as", "eternal-town", "contact", case_id, "--note", "called")
    git(store.root, "reset", "-q", "--soft", "HEAD~1")
    git(store.root, "-c", "user.name=spring-town", "-c", "user.email=s@t", "commit", "-qm", "contact by hand")
    result = run.raw("verify")
    assert result.exit_code == 1 and "by spring-town" in result.stdout


def test_broken_actors_file_refuses_writes(run, store):
    case_id = new_case(run)
    _with_actors(store, "actors:\n  operator: {roles: [operator]}\n  boss: {roles: [emperor]}\n")
    run.fails("note", case_id, "hi", match="actors.yaml:3: boss: unknown role 'emperor'")
    _with_actors(store, "actors:\n  operator: {roles: [operator], units: [atlantis]}\n")
    run.fails("note", case_id, "hi", match="actors.yaml:2: operator: unknown unit 'atlantis'")
