"""Handling as it really runs (DESIGN §9): corrections, the centre's review, supervision, the
whistle's clock, attachments and who may act for whom — through the command line on real stores."""

from __future__ import annotations

import json

from conftest import ETERNAL, GARBAGE, git, load, new_case

from jiesu.store import yamlio

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
    assert f"amended" in shown and f"category {GARBAGE} → {NOISE}" in shown
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
