"""Same-second events: their sub-second part is recorded (`usec`) and orders them in every merge.

Two offices acting in one second used to be ordered by who synced first. Times in files stay
whole seconds (the format of every file, report and export); the clock's microseconds go into
the event's `usec`, and the merge orders by (time, usec), the same on every side.
"""

from __future__ import annotations

from conftest import new_case

from jiesu.merge_driver import merge_events
from jiesu.ops.common import make_event
from jiesu.store import Store
from jiesu.timeutil import load

T = "2021-11-10T12:00:00+08:00"


def ev(eid, action, usec=None, at=T):
    event = {"id": eid, "at": at, "by": "x", "action": action}
    if usec is not None:
        event["usec"] = usec
    return event


def test_same_second_events_merge_in_one_order_whoever_merges():
    base = [ev("aaaaaa", "intake", at="2021-11-10T11:00:00+08:00")]
    ours = base + [ev("bbbbbb", "note", 900_000)]
    theirs = base + [ev("cccccc", "note", 100_000)]
    one = [e["id"] for e in merge_events(ours, theirs)]
    other = [e["id"] for e in merge_events(theirs, ours)]
    assert one == other == ["aaaaaa", "cccccc", "bbbbbb"]


def test_events_without_usec_keep_their_sides_order():
    base = [ev("aaaaaa", "intake", at="2021-11-10T11:00:00+08:00")]
    ours = base + [ev("bbbbbb", "note"), ev("dddddd", "note")]
    theirs = base + [ev("cccccc", "note")]
    assert [e["id"] for e in merge_events(ours, theirs)] == ["aaaaaa", "bbbbbb", "dddddd", "cccccc"]


def test_a_later_event_of_the_same_second_never_sorts_before_its_predecessor():
    case = {"events": [ev("aaaaaa", "intake", 700_000)]}
    later = make_event(case, "note", "x", load(T), {"text": "t"}, usec=200_000)  # the clock stepped back
    assert later["usec"] == 700_000
    pinned = make_event(case, "note", "x", load(T), {"text": "t"})  # --at or JIESU_NOW: no reading
    assert pinned["usec"] == 700_000
    other_second = make_event(case, "note", "x", load("2021-11-10T12:00:01+08:00"), {"text": "t"})
    assert "usec" not in other_second
    assert list(later) == ["id", "at", "usec", "by", "action", "text"]


def test_the_real_clock_records_usec_and_readers_do_not_show_it(run, store, monkeypatch):
    monkeypatch.delenv("JIESU_NOW")
    case_id = new_case(run)
    run("note", case_id, "on the real clock")
    note = Store(store.root).load_case(case_id)["events"][-1]
    assert note["action"] == "note" and isinstance(note.get("usec"), int) and 0 <= note["usec"] <= 999_999
    assert "usec" not in run("show", case_id).stdout and "usec" not in run("log", case_id).stdout


def test_verify_refuses_a_usec_that_is_not_microseconds(run, store):
    case_id = new_case(run)
    path = store.root / store.case_relpath(case_id)
    text = path.read_text("utf-8")
    path.write_text(text.replace("by: operator, action: intake", "usec: 1000000, by: operator, action: intake"), "utf-8")
    result = run.raw("verify")
    assert result.exit_code == 1 and "`usec` 1000000 must be a whole number of microseconds, 0–999999" in result.stdout
