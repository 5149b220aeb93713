"""Several offices, one history: a fast clock elsewhere, and a merge that a merge superseded.

An office whose clock runs 30 days fast writes events stamped a month ahead; every other office
goes on working on those cases (its events go before them, as a merge would order them), and
`sync` and `verify` name the office and actor whose clock is wrong. A `merge` that concurrent
work superseded takes back the "merged into this case" note it left on its target.
"""

from __future__ import annotations

import test_sync
from conftest import ETERNAL, event_ids
from test_sync import intake, office

from jiesu import verify
from jiesu.store import Store

FAST = {"JIESU_NOW": "2021-12-10T12:00:00"}  # 30 days ahead of conftest's NOW

bare, hl = test_sync.bare, test_sync.hl  # the shared remote and the first office (fixtures)


def events_of(run, case_id):
    return [(e["id"], e["action"], e["at"]) for e in Store(run.store.root).load_case(case_id)["events"]]


def test_a_fast_clock_elsewhere_never_blocks_this_office(tmp_path, hl, bare):
    case_id = intake(hl, "Lamp out")
    hl("sync")
    xc = office(tmp_path, bare, "XC")
    xc("--as", "xc-clerk", "note", case_id, "Called back", env=FAST)
    xc("sync", env=FAST)
    synced = hl("sync")
    assert "of office XC" in synced.stderr and "note by xc-clerk" in synced.stderr
    assert "2021-12-10T12:00:00+08:00, 30 day(s) 0 h ahead of the time it arrived here" in synced.stderr
    hl("--as", "dispatcher", "assign", case_id, ETERNAL)  # before: "--at … is before the case's last event"
    hl("--as", "town", "accept", case_id, "--at", "2021-11-10T12:01")
    refused = hl.raw("note", case_id, "backdated", "--at", "2021-11-10T11:00")
    assert refused.exit_code == 1 and "is before the case's last event at 2021-11-10T12:01:00+08:00" in refused.stderr
    actions = [a for _, a, _ in events_of(hl, case_id)]
    assert actions == ["intake", "assign", "accept", "note"]  # the fast note stays last: its time is last
    warnings = [str(p) for p in verify.verify(Store(hl.store.root)) if p.severity == "warning" and "ahead" in p.message]
    assert len(warnings) == 1 and "of office XC" in warnings[0] and "xc-clerk" in warnings[0]
    hl("sync")
    xc("sync", env=FAST)
    assert events_of(xc, case_id) == events_of(hl, case_id)
    assert event_ids(xc.store.root) == event_ids(hl.store.root)
    assert Store(xc.store.root).load_case(case_id)["state"]["status"] == "accepted"


def test_a_superseded_merge_takes_back_its_note_on_the_target(tmp_path, hl, bare):
    dup = intake(hl, "Lamp out again", ETERNAL, "--at", "2021-11-10T09:00")
    main = intake(hl, "Lamp out", ETERNAL, "--at", "2021-11-10T09:00")
    hl("sync")
    xc = office(tmp_path, bare, "XC")
    hl("merge", dup, "--into", main, "--at", "2021-11-10T11:00")
    xc("reject", dup, "--reason", "a prank call", "--at", "2021-11-10T10:00")
    xc("sync")
    synced = hl("sync")
    assert f"{main}: noted that {dup} is not merged into it after all" in synced.stderr
    notes = [e.get("text") for e in Store(hl.store.root).load_case(main)["events"] if e["action"] == "note"]
    assert notes == [f"{dup} merged into this case as a duplicate",
                     f"{dup} is not merged into this case after all: its merge was superseded by concurrent work"]
    assert Store(hl.store.root).load_case(dup)["state"]["status"] == "rejected"
    xc("sync")
    assert "noted that" not in xc("sync").stderr  # said once, not again by every office
    assert event_ids(xc.store.root) == event_ids(hl.store.root)
