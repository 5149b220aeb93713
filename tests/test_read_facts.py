"""The read side's counts come from the projection's one pass (`model.ReadFacts`): every row
`summarize` builds equals the row of the former two-walk summary (kept here as the oracle), for
any event list a case file can hold — illegal, unknown, superseded and malformed events included —
and for every case of the demo store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from conftest import ETERNAL, GARBAGE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiesu import model, privacy, timeutil
from jiesu.store import Store
from jiesu.summary import summarize


def _t(value):
    return timeutil.fmt(value) if value is not None else None


def old_summarize(case: dict, catalog=None, tz=None) -> dict:
    """The index row as summary.py built it with its own second walk over the events (the oracle)."""
    timeline = []
    state = model.replay(case, catalog, tz, strict=False, trace=timeline)
    if state.get("due") is None and isinstance(case.get("state"), dict):
        state["due"] = timeutil.load(case["state"].get("due"))
    loc = case.get("location") or {}
    comp = case.get("complainant") or {}
    events = [e for e in case.get("events") or [] if isinstance(e, dict)]
    live = [e for e in events if not e.get("superseded")]

    # dispatch history: each assignment with when it was accepted / returned / replaced
    assigns, current, lead_now = [], None, None
    first_contact, evaluations, reopened, returns, extensions = None, [], 0, 0, 0
    original_due = None
    for e in live:
        action, at = e.get("action"), e.get("at")
        if action == "intake":
            original_due = e.get("due")
        elif action == "assign":
            if current is not None and current["ended"] is None:
                current["ended"], current["end"] = at, "reassign"
            current = {"unit": e.get("unit"), "at": at, "accepted": None, "ended": None, "end": None}
            assigns.append(current)
            lead_now = e.get("unit")
        elif action == "accept" and current is not None and current["accepted"] is None:
            current["accepted"] = at
        elif action == "return":
            returns += 1
            if current is not None and current["ended"] is None:
                current["ended"], current["end"] = at, "return"
            lead_now = None
        elif action == "contact":
            first_contact = first_contact or at
            if current is not None and current.get("contacted") is None:
                current["contacted"] = at  # the first contact under this assignment (the contact clock)
        elif action == "extend":
            extensions += 1
        elif action == "reopen":
            reopened += 1
        elif action == "evaluate":
            evaluations.append({
                "at": at, "lead": lead_now, "reached": bool(e.get("reached")),
                "contacted": e.get("contacted"), "resolved": e.get("resolved"), "satisfaction": e.get("satisfaction"),
            })
    last_eval = evaluations[-1] if evaluations else None
    row = {
        "id": case.get("id"),
        "status": state.get("status"),
        "title": privacy.scrub(case.get("title")),
        "type": case.get("type"),
        "channel": case.get("channel"),
        "category": case.get("category"),
        "district": loc.get("district"),
        "street": loc.get("street"),
        "community": loc.get("community"),
        "lead": state.get("lead"),
        "co_units": list(state.get("co_units") or []),
        "received": case.get("received") if isinstance(case.get("received"), str) else _t(timeutil.load(case.get("received"))),
        "due": _t(state.get("due")),
        "dispatched": _t(state.get("dispatched")),
        "accepted": _t(state.get("accepted")),
        "contacted": _t(state.get("contacted")),
        "closed": _t(state.get("closed")),
        "resolved": state.get("resolved"),
        "exempt": bool(state.get("exempt")),
        "exemption": state.get("exemption"),
        "merged_into": state.get("merged_into"),
        "tags": list(case.get("tags") or []),
        "time_limit": case.get("time_limit"),
        "limit_from": next((e.get("limit_from") for e in live if e.get("action") == "intake"), None),
        "frequent": bool(comp.get("frequent")),
        "confidential": bool(comp.get("confidential")),
        "special_group": bool(comp.get("special_group")),
        "phone_key": privacy.phone_key(comp.get("phone")) or (("ref:" + comp["ref"]) if comp.get("ref") else None),
        "contact": None if comp.get("confidential") else " ".join(
            x for x in (str(comp.get("surname") or ""), privacy.mask_phone(comp.get("phone"))) if x) or None,
        "address": privacy.scrub(loc.get("address")) if loc.get("address") else None,
        "assigns": assigns,
        "first_dispatched": assigns[0]["at"] if assigns else None,
        "first_contact": first_contact,
        "returns": returns,
        "extensions": extensions,
        "original_due": original_due or _t(state.get("due")),
        "evaluation": state.get("evaluation"),
        "evaluated_at": last_eval["at"] if last_eval else None,
        "eval_lead": last_eval["lead"] if last_eval else None,
        "evaluations": evaluations,
        "reopened": reopened,
        "superseded": sum(1 for e in events if e.get("superseded")),
        "source": case.get("source"),
        "timeline": timeline,
        "changed": timeline[-1][0] if timeline else None,
        # DESIGN §9: supervision, the whistle's clock, the centre's review
        "supervised": state.get("supervised"),
        "whistle": model.format_state({"whistle": state["whistle"]})["whistle"] if state.get("whistle") else [],
        "sent_back": state.get("sent_back") or 0,
        "review_by": _t(state.get("review_by")),
    }
    return row


START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))
UNITS = [ETERNAL, "housing", "urban-management", None]
FIELDS = {
    "intake": st.fixed_dictionaries({}, optional={"due": st.just("2026-03-09T09:00:00+08:00"), "limit_from": st.sampled_from(["received", "2026-03-02"])}),
    "assign": st.fixed_dictionaries({"unit": st.sampled_from(UNITS)}, optional={"co": st.just(["housing"])}),
    "accept": st.fixed_dictionaries({}, optional={"unit": st.sampled_from(UNITS)}),
    "return": st.fixed_dictionaries({"reason": st.just("not ours")}),
    "contact": st.fixed_dictionaries({}, optional={"note": st.just("called")}),
    "escalate": st.fixed_dictionaries({"to": st.sampled_from(UNITS)}, optional={"respond_by": st.just("2026-03-04T09:00:00+08:00")}),
    "respond": st.fixed_dictionaries({"unit": st.sampled_from(UNITS)}),
    "extend": st.fixed_dictionaries({"until": st.just("2026-03-20T09:00:00+08:00")}),
    "close": st.fixed_dictionaries({"resolved": st.booleans()}, optional={"review_by": st.just("2026-03-12T09:00:00+08:00")}),
    "review": st.fixed_dictionaries({"decision": st.sampled_from(["approved", "sent back"])}),
    "evaluate": st.fixed_dictionaries({"reached": st.booleans()}, optional={
        "contacted": st.booleans(), "resolved": st.booleans(), "satisfaction": st.sampled_from(["satisfied", "dissatisfied", None])}),
    "reopen": st.fixed_dictionaries({}, optional={"due": st.just("2026-04-01T09:00:00+08:00")}),
    "exempt": st.fixed_dictionaries({}, optional={"decision": st.sampled_from(["approved", "denied"]), "type": st.just("unreasonable")}),
    "supervise": st.fixed_dictionaries({}, optional={"level": st.just("urgent"), "clear": st.booleans()}),
    "amend": st.fixed_dictionaries({}, optional={"statistics_only": st.booleans(), "due": st.just("2026-03-15T09:00:00+08:00")}),
    "merge": st.fixed_dictionaries({"into": st.just("HL-2603-0002")}),
    "note": st.just({}), "attach": st.just({}), "reject": st.just({}), "pause": st.just({}),
}
event = st.one_of(
    st.sampled_from(sorted(FIELDS)).flatmap(lambda action: st.tuples(st.just(action), FIELDS[action], st.booleans(), st.integers(0, 9))),
    st.sampled_from(["not an event", None, 7]),
)


def _case(drawn, time_limit, with_state):
    events, at = [], START
    for item in drawn:
        if not isinstance(item, tuple):
            events.append(item)
            continue
        action, fields, superseded, gap = item
        at += timedelta(hours=gap)
        ev = {"id": f"{len(events):06x}", "at": timeutil.fmt(at), "by": "tester", "action": action, **fields}
        if superseded and len(events) % 3 == 0:
            ev["superseded"] = True
        events.append(ev)
    case = {"id": "HL-2603-0001", "title": "Noise at night", "received": timeutil.fmt(START), "type": "complaint",
            "category": "env.garbage", "location": {"district": "dragon-gate", "street": ETERNAL},
            "complainant": {"phone": "13800000000", "surname": "Wang"}, "time_limit": time_limit, "events": events}
    if with_state:
        case["state"] = {"status": "received", "due": "2026-03-05T09:00:00+08:00"}
    return case


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=st.lists(event, max_size=14), time_limit=st.sampled_from([None, "complex", "nope"]), with_state=st.booleans())
def test_one_pass_equals_the_two_walks_for_any_event_list(store, drawn, time_limit, with_state):
    case = _case(drawn, time_limit, with_state)
    assert summarize(case, store.catalog, store.tz) == old_summarize(case, store.catalog, store.tz)
    assert summarize(case) == old_summarize(case)


def test_illegal_events_still_count_where_the_state_skips_them(store):
    """An accept before any assignment, an evaluation of an open case, a return of a received case:
    the projection skips them, the dispatch history records them, as it always did."""
    at = lambda h: timeutil.fmt(START + timedelta(hours=h))  # noqa: E731
    case = _case([], None, False)
    case["events"] = [
        {"at": at(0), "action": "intake"},
        {"at": at(1), "action": "assign", "unit": "housing"},
        {"at": at(2), "action": "evaluate", "reached": True, "satisfaction": "satisfied"},  # not allowed: dispatched
        {"at": at(3), "action": "return", "reason": "x"},
        {"at": at(4), "action": "return", "reason": "again"},  # not allowed: received
        {"at": at(5), "action": "assign", "unit": ETERNAL, "superseded": True},
    ]
    row = summarize(case, store.catalog, store.tz)
    assert row == old_summarize(case, store.catalog, store.tz)
    assert row["status"] == "received" and row["returns"] == 2 and row["superseded"] == 1
    assert row["evaluations"][0]["lead"] == "housing" and row["evaluation"] is None
    assert row["assigns"] == [{"unit": "housing", "at": at(1), "accepted": None, "ended": at(3), "end": "return"}]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from jiesu import demo

    root = tmp_path_factory.mktemp("demo") / "store"
    demo.build_demo(root, days=10, seed=7, reports=False)
    return Store(root)


def test_every_case_of_the_demo_store_summarizes_as_before(demo_store):
    cases = [demo_store.load_case(path.stem) for path in sorted((demo_store.root / "cases").glob("*/*/*.yaml"))]
    assert len(cases) > 50
    for case in cases:
        assert summarize(case, demo_store.catalog, demo_store.tz) == old_summarize(case, demo_store.catalog, demo_store.tz), case["id"]


def test_a_reopen_runs_to_the_one_rule_whether_recorded_or_replayed(store):
    from jiesu import ops

    record = {"title": "Broken lamp", "type": "complaint", "category": GARBAGE, "street": ETERNAL, "time_limit": "complex"}
    (case_id,) = (r.case_id for r in ops.intake(store, [record], "tester"))
    ops.assign(store, case_id, "tester", unit=ETERNAL)
    ops.accept(store, case_id, "tester")
    ops.close(store, case_id, "tester", True, "done")
    if store.load_case(case_id)["state"]["status"] == "handled":  # the class asks the centre to review first
        ops.review(store, case_id, "tester", True, None)
    ops.reopen(store, case_id, "tester", "lamp out again")
    case = store.load_case(case_id)
    reopen = case["events"][-1]
    expected = model.reopen_due(case, timeutil.load(reopen["at"]), store.catalog, store.tz)
    assert reopen["due"] == timeutil.fmt(expected)
    assert model.replay(case, store.catalog, store.tz)["due"] == expected
    del reopen["due"]  # an older file: the replay computes the same due time by the same rule
    assert model.replay(case, store.catalog, store.tz)["due"] == expected
