"""The merge driver: union of events by id, time order (ours first at equal times), replayed.

Properties over random histories (hypothesis), and real git merges of two clones that act on
the same case: no text conflict, a valid case, superseded events kept and listed by verify.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from conftest import ETERNAL, git, jiesu_proc
from hypothesis import given, settings
from hypothesis import strategies as st

from jiesu import model, verify
from jiesu.merge_driver import merge_events, merge_files
from jiesu.store import Store, yamlio

T0 = datetime(2021, 11, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
FIELDS = {
    "assign": {"unit": ETERNAL}, "accept": {"unit": ETERNAL}, "contact": {"note": "called"}, "note": {"text": "n"},
    "close": {"resolved": True, "summary": "done"}, "evaluate": {"reached": False}, "reopen": {"reason": "again"},
    "return": {"unit": ETERNAL, "reason": "not ours"}, "reject": {"reason": "drunk"}, "exempt": {"reason": "x"},
}


def event(event_id: int, minute: int, action: str, side: str) -> dict:
    return {"id": f"{event_id:06x}", "at": (T0 + timedelta(minutes=minute)).isoformat(), "by": side, "action": action,
            **FIELDS.get(action, {})}


def legal_sequence(actions: list[str], start_status) -> list[str]:
    """Keep only the actions the state machine allows in this order (a side writes only legal events)."""
    from jiesu.workflow import TABLE, is_allowed

    out, status = [], start_status
    for a in actions:
        if is_allowed(a, status):
            out.append(a)
            target = TABLE[a][1]
            if a == "reopen":
                status = "received" if status == "rejected" else "dispatched"
            elif len(target) == 1:
                status = target[0]
    return out


side_actions = st.lists(st.sampled_from(sorted(FIELDS)), max_size=8)
side_minutes = st.lists(st.integers(0, 6), min_size=8, max_size=8)


@st.composite
def histories(draw):
    base_actions = ["intake"] + legal_sequence(draw(st.lists(st.sampled_from(["assign", "accept", "note"]), max_size=3)), "received")
    base = [event(0xb00000 + i, i, a, "base") for i, a in enumerate(base_actions)]
    status = model.replay({"events": base}, strict=False)["status"]
    sides = []
    for side, tag in (("ours", 0xa00000), ("theirs", 0xc00000)):
        actions = legal_sequence(draw(side_actions), status)
        steps = draw(side_minutes)
        minute, events = len(base), []
        for i, a in enumerate(actions):
            minute += steps[i]  # equal times happen (steps of 0), as with JIESU_NOW
            events.append(event(tag + i, minute, a, side))
        sides.append(base + events)
    return base, sides[0], sides[1]


@settings(max_examples=300, deadline=None)
@given(histories())
def test_union_order_and_replay(history):
    _, ours, theirs = history
    merged = merge_events(ours, theirs)
    ids = [e["id"] for e in merged]
    assert len(ids) == len(set(ids))
    assert set(ids) == {e["id"] for e in ours} | {e["id"] for e in theirs}
    times = [datetime.fromisoformat(e["at"]) for e in merged]
    assert times == sorted(times)
    # each side's own order is kept, and at equal times ours come before theirs
    for side in (ours, theirs):
        positions = [ids.index(e["id"]) for e in side]
        assert positions == sorted(positions)
    our_ids = {e["id"] for e in ours}
    for a, b in zip(merged, merged[1:]):
        if a["at"] == b["at"] and a["id"] not in our_ids:
            assert b["id"] not in our_ids
    # the projection skips superseded events; what is left replays strictly
    model.replay({"events": [e for e in merged if not e.get("superseded")]}, strict=True)
    # merging again changes nothing; superseded flags are recomputed, not inherited
    assert merge_events(merged, merged) == merged
    assert merge_events(merged, ours) == merged
    flagged = [dict(e, superseded=True) for e in ours]
    assert merge_events(flagged, theirs) == merged


def test_equal_times_never_reordered_by_id():
    at = T0.isoformat()
    ours = [{"id": "ffffff", "at": at, "by": "a", "action": "intake"}, {"id": "eeeeee", "at": at, "by": "a", "action": "assign", "unit": ETERNAL}]
    theirs = ours[:1] + [{"id": "000001", "at": at, "by": "b", "action": "note", "text": "t"}]
    assert [e["id"] for e in merge_events(ours, theirs)] == ["ffffff", "eeeeee", "000001"]
    assert [e["id"] for e in merge_events(theirs, ours)] == ["ffffff", "000001", "eeeeee"]


def test_illegal_event_is_kept_and_marked_superseded():
    def at(m):
        return (T0 + timedelta(minutes=m)).isoformat()

    base = [{"id": "a00001", "at": at(0), "by": "op", "action": "intake"},
            {"id": "a00002", "at": at(1), "by": "op", "action": "assign", "unit": ETERNAL},
            {"id": "a00003", "at": at(2), "by": "town", "action": "accept", "unit": ETERNAL}]
    ours = base + [{"id": "b00001", "at": at(5), "by": "town", "action": "contact", "note": "called"}]
    theirs = base + [{"id": "c00001", "at": at(4), "by": "town2", "action": "return", "unit": ETERNAL, "reason": "not ours"}]
    merged = merge_events(ours, theirs)
    assert [(e["action"], bool(e.get("superseded"))) for e in merged] == [
        ("intake", False), ("assign", False), ("accept", False), ("return", False), ("contact", True)]
    assert model.replay({"events": merged}, strict=False)["status"] == "received"


def two_clones(tmp_path, store):
    """A bare remote holding `store`, and a second clone (office XC) of it."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(store.root, "remote", "add", "origin", str(bare))
    assert jiesu_proc(store.root, "sync").returncode == 0
    proc = jiesu_proc(tmp_path, "init", str(tmp_path / "other"), "--office", "XC", "--clone", str(bare), env={"JIESU_STORE": ""})
    assert proc.returncode == 0, proc.stderr
    return bare, Store(tmp_path / "other")


def test_two_clones_act_on_one_case_and_git_merges_without_conflict(tmp_path, store, run):
    case_id = run("intake", "--type", "complaint", "--title", "Lamp out", "--street", ETERNAL, "--at", "2021-11-02T09:00").stdout.strip()
    run("assign", case_id, ETERNAL, "--at", "2021-11-02T09:10")
    _, other = two_clones(tmp_path, store)
    # here: the town accepts and contacts; there: the centre adds a note and escalates
    run("--as", "town", "accept", case_id, "--at", "2021-11-02T09:20")
    run("--as", "town", "contact", case_id, "--note", "Called back", "--at", "2021-11-02T09:40")
    assert jiesu_proc(other.root, "--as", "centre", "note", case_id, "Caller rang again", "--at", "2021-11-02T09:30").returncode == 0
    assert jiesu_proc(other.root, "--as", "centre", "escalate", case_id, "--to", "urban-management", "--reason", "Needs enforcement",
                      "--at", "2021-11-02T09:50").returncode == 0
    assert jiesu_proc(other.root, "sync").returncode == 0
    # a plain `git pull` uses the driver that init registered
    proc = subprocess.run(["git", "pull", "-q", "--no-rebase", "--no-edit", "origin", "main"], cwd=store.root, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    case = Store(store.root).load_case(case_id)
    assert [(e["action"], e["by"]) for e in case["events"]] == [
        ("intake", "operator"), ("assign", "operator"), ("accept", "town"), ("note", "centre"), ("contact", "town"),
        ("escalate", "centre")]
    assert case["state"]["status"] == "accepted" and case["state"]["co_units"] == ["urban-management"]
    assert "<<<<<<<" not in (store.root / store.case_relpath(case_id)).read_text("utf-8")
    assert [p for p in verify.verify(Store(store.root)) if p.severity == "error"] == []


def test_concurrent_escalate_and_return_leave_a_superseded_event_for_review(tmp_path, store, run):
    case_id = run("intake", "--type", "complaint", "--title", "Noise", "--street", ETERNAL, "--at", "2021-11-02T09:00").stdout.strip()
    run("assign", case_id, ETERNAL, "--at", "2021-11-02T09:10")
    run("accept", case_id, "--at", "2021-11-02T09:20")
    _, other = two_clones(tmp_path, store)
    run("--as", "town", "escalate", case_id, "--to", "urban-management", "--reason", "Help", "--at", "2021-11-03T10:00")
    assert jiesu_proc(other.root, "--as", "town2", "return", case_id, "--reason", "Wrong town", "--at", "2021-11-03T09:00").returncode == 0
    assert jiesu_proc(other.root, "sync").returncode == 0
    out = jiesu_proc(store.root, "sync")
    assert out.returncode == 0, out.stderr
    assert "is superseded by the merge; review it" in out.stderr
    case = Store(store.root).load_case(case_id)
    assert [(e["action"], bool(e.get("superseded"))) for e in case["events"]][-2:] == [("return", False), ("escalate", True)]
    assert case["state"]["status"] == "received"
    result = jiesu_proc(store.root, "verify")
    assert result.returncode == 0  # a superseded event is a warning: the case is valid, a person should look
    assert "warning: event 5 (escalate by town) was superseded by a merge; review it" in result.stdout
    shown = jiesu_proc(store.root, "show", case_id).stdout
    assert "[superseded]" in shown


def test_merge_driver_refuses_two_cases_with_one_id(tmp_path):
    def case(intake_id):
        return yamlio.rt_dump({"id": "HL-2111-0001", "schema": 1, "title": "x", "received": T0.isoformat(), "channel": "hotline",
                               "type": "complaint", "time_limit": "standard", "state": {"status": "received"},
                               "events": [{"id": intake_id, "at": T0.isoformat(), "by": "a", "action": "intake"}]})
    (tmp_path / "ours").write_text(case("aaaaaa"))
    (tmp_path / "theirs").write_text(case("bbbbbb"))
    (tmp_path / "base").write_text("")
    clean, message = merge_files(str(tmp_path / "base"), str(tmp_path / "ours"), str(tmp_path / "theirs"))
    assert not clean and "id collision" in message
    proc = subprocess.run([sys.executable, "-m", "jiesu", "merge-driver", "base", "ours", "theirs", "cases/2021/11/HL-2111-0001.yaml"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "cases/2021/11/HL-2111-0001.yaml: id collision" in proc.stderr


@pytest.mark.parametrize("broken", ["{unclosed", "a: &x 1\nb: *x\n", "- just\n- a list\n"])
def test_merge_driver_reports_broken_files_without_traceback(tmp_path, broken):
    for name in ("base", "ours"):
        (tmp_path / name).write_text("id: HL-2111-0001\nevents: []\n")
    (tmp_path / "theirs").write_text(broken)
    proc = subprocess.run([sys.executable, "-m", "jiesu", "merge-driver", "base", "ours", "theirs", "cases/x.yaml"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "jiesu merge-driver: cases/x.yaml:" in proc.stderr
    assert (tmp_path / "ours").read_text() == "id: HL-2111-0001\nevents: []\n"
