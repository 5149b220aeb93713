"""Any sequence of actions is either refused with the store unchanged, or leaves a valid case whose
state equals the replay of its events."""

from __future__ import annotations

from conftest import ETERNAL, GARBAGE, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiesu import model, ops, verify
from jiesu.errors import JiesuError
from jiesu.store import Store

UNITS = [ETERNAL, "dragon-gate/dragon-spring", "housing", "urban-management", "centre", "nowhere"]
LEVELS = ["very-satisfied", "satisfied", "dissatisfied", "bogus", None]

action = st.one_of(
    st.tuples(st.just("assign"), st.sampled_from([None, *UNITS])),
    st.tuples(st.just("accept"), st.sampled_from([None, ETERNAL, "housing"])),
    st.tuples(st.just("return"), st.sampled_from(["not ours", ""])),
    st.tuples(st.just("contact"), st.sampled_from([None, "called"])),
    st.tuples(st.just("note"), st.sampled_from(["a remark", ""])),
    st.tuples(st.just("escalate"), st.sampled_from(UNITS)),
    st.tuples(st.just("extend"), st.sampled_from(["1d", "20d", "1h"])),
    st.tuples(st.just("close"), st.sampled_from([True, False, None])),
    st.tuples(st.just("evaluate"), st.tuples(st.booleans(), st.sampled_from(LEVELS))),
    st.tuples(st.just("reopen"), st.just("again")),
    st.tuples(st.just("reject"), st.sampled_from(["invalid", ""])),
    st.tuples(st.just("exempt"), st.just("unreasonable")),
    st.tuples(st.just("merge"), st.sampled_from(["other", "self", "HL-2111-0999"])),
    st.tuples(st.just("amend"), st.sampled_from([("category", "env.noise.commercial-noise"), ("street", "dragon-gate/dragon-spring"),
                                                 ("tags", ["+livability"]), ("category", "nope"), ("stats", "env.garbage.sorting")])),
    st.tuples(st.just("supervise"), st.sampled_from(["urgent", "", None])),
    st.tuples(st.just("respond"), st.sampled_from(["housing", "urban-management", ETERNAL])),
    st.tuples(st.just("review"), st.sampled_from([True, False])),
)


def apply(store, case_id, other, name, arg, actor="tester"):
    if name == "assign":
        return ops.assign(store, case_id, actor, unit=arg)
    if name == "accept":
        return ops.accept(store, case_id, actor, unit=arg)
    if name == "return":
        return ops.return_case(store, case_id, actor, arg)
    if name == "contact":
        return ops.contact(store, case_id, actor, note=arg)
    if name == "note":
        return ops.note(store, case_id, actor, arg)
    if name == "escalate":
        return ops.escalate(store, case_id, actor, arg, "help needed")
    if name == "extend":
        return ops.extend(store, case_id, actor, "more time", by=arg)
    if name == "close":
        return ops.close(store, case_id, actor, arg, "done")
    if name == "evaluate":
        reached, level = arg
        if reached:
            return ops.evaluate(store, case_id, actor, True, True, True, level, reason="why")
        return ops.evaluate(store, case_id, actor, False)
    if name == "reopen":
        return ops.reopen(store, case_id, actor, arg)
    if name == "reject":
        return ops.reject(store, case_id, actor, arg)
    if name == "exempt":
        return ops.exempt(store, case_id, actor, arg)
    if name == "amend":
        field, value = arg
        if field == "stats":
            return ops.amend(store, case_id, actor, "for the record", {"category": value}, statistics_only=True)
        return ops.amend(store, case_id, actor, "wrong at intake", {field: value}, recompute_limit=field == "category")
    if name == "supervise":
        return ops.supervise(store, case_id, actor, clear=True) if arg is None else ops.supervise(store, case_id, actor, arg)
    if name == "respond":
        return ops.respond(store, case_id, actor, arg)
    if name == "review":
        return ops.review(store, case_id, actor, arg, None if arg else "not done")
    target = {"other": other, "self": case_id}.get(arg, arg)
    return ops.merge(store, case_id, actor, target)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(action, min_size=1, max_size=8),
       category=st.sampled_from([GARBAGE, "property.owners-committee.disputes"]), time_limit=st.sampled_from([None, "complex"]))
def test_any_sequence_is_refused_cleanly_or_valid(store, steps, category, time_limit):
    store = Store(store.root)
    record = {"title": "Property test", "type": "complaint", "category": category, "street": ETERNAL, "time_limit": time_limit}
    case_id, other = (r.case_id for r in ops.intake(store, [record, dict(record, title="Other")], "tester"))
    for name, arg in steps:
        before = snapshot(store.root)
        try:
            apply(store, case_id, other, name, arg)
        except JiesuError:
            assert snapshot(store.root) == before, f"refused {name} changed the store"
            continue
        case = store.load_case(case_id)
        assert case["state"] == model.state_block(case, store.catalog, store.tz)
        model.replay(case, strict=True)  # every event legal at its place
        problems = verify.check_case(store.root, store.case_relpath(case_id), case, store.catalog, store.tz)
        assert [p for p in problems if p.severity == "error"] == []
