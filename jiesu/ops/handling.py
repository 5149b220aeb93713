"""Dispatch (派), handling (办) and evaluation (评): every action of the state machine after intake.

Each function validates its input against the catalog and the case, then hands one event to
`change`, which writes the file and makes the commit. Nothing is written when a check fails.
"""

from __future__ import annotations

from jiesu import model, skew, textcheck, timeutil, working_time
from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.ops.common import (
    Result,
    add_event,
    change,
    check_case_consistent,
    event_time,
    last_event_time,
)
from jiesu.store import Store, validate_id
from jiesu.store.gitwrite import commit_message

MERGE_NOTE = "{} merged into this case as a duplicate"  # the note a merge leaves on its target
WITHDRAWN_NOTE = "{} is not merged into this case after all: its merge was superseded by concurrent work"


def _unit(store: Store, unit_id: str, field: str):
    unit = store.catalog.unit(str(unit_id), field)
    if unit.kind == "centre":
        raise InvalidInput(_('{field}: {unit_id} is the hotline centre; dispatch to a district, street/town or department').format(field=field, unit_id=unit_id))
    return unit.id


def _reason(value, field: str = "--reason") -> str:
    return textcheck.text(value, field, required=True)


def assign(store: Store, case_id: str, actor: str, unit: str | None = None, co=(), at=None, tx=None) -> Result:
    """Dispatch to `unit` (lead) and co-units; without a unit, the category's rule decides."""

    def build(case, state, when):
        if unit:
            lead = _unit(store, unit, "UNIT")
            rule_co = []
        else:
            if not case.get("category"):
                raise InvalidInput(_('{case_id} has no category, so no dispatch rule applies; give the unit: jiesu assign {case_id} UNIT').format(case_id=case_id),
                                  hint=_('or correct the case first: jiesu amend {case_id} --category CODE --reason TEXT').format(case_id=case_id))
            lead, rule_co = store.catalog.dispatch(case["category"], case.get("location") or {})
            lead = _unit(store, lead, "dispatch rule")
        cos = []
        for u in list(rule_co) + list(co or ()):
            u = _unit(store, u, "--co")
            if u != lead and u not in cos:
                cos.append(u)
        return {"unit": lead, "co": cos or None}

    def detail(ev):
        return f"assign to {ev['unit']}" + (f" with {', '.join(ev['co'])}" if ev.get("co") else "")

    return change(store, case_id, "assign", actor, at, build, detail, tx=tx)


def _lead_unit(store, case_id, state, unit, what):
    lead = state.get("lead")
    if unit:
        unit = store.catalog.unit(unit, "--unit").id
    if unit and unit != lead:
        raise InvalidInput(_('--unit: {unit} is not the lead of {case_id} (the lead is {lead}); only the lead can {what}').format(unit=unit, case_id=case_id, lead=lead, what=what))
    return lead


def accept(store: Store, case_id: str, actor: str, unit: str | None = None, at=None, tx=None) -> Result:
    """The lead unit acknowledges the case (stops the acceptance clock)."""

    def build(case, state, when):
        return {"unit": _lead_unit(store, case_id, state, unit, _("accept it"))}

    return change(store, case_id, "accept", actor, at, build, lambda ev: f"accepted by {ev['unit']}", tx=tx)


def return_case(store: Store, case_id: str, actor: str, reason: str, unit: str | None = None, at=None, tx=None) -> Result:
    """The lead disputes the assignment; the case goes back to the centre for re-dispatch."""

    def build(case, state, when):
        return {"unit": _lead_unit(store, case_id, state, unit, _("return it")), "reason": _reason(reason)}

    return change(store, case_id, "return", actor, at, build, lambda ev: f"returned by {ev['unit']}", tx=tx)


def contact(store: Store, case_id: str, actor: str, note: str | None = None, at=None, tx=None) -> Result:
    """The unit reached the complainant."""
    return change(store, case_id, "contact", actor, at, lambda c, s, w: {"note": textcheck.text(note, "--note")}, tx=tx)


def note(store: Store, case_id: str, actor: str, text: str, at=None, tx=None) -> Result:
    """Add a remark to the case's history."""
    return change(store, case_id, "note", actor, at, lambda c, s, w: {"text": textcheck.text(text, "TEXT", required=True)}, tx=tx)


def escalate(store: Store, case_id: str, actor: str, to: str, reason: str, at=None, tx=None) -> Result:
    """Call for assistance (吹哨报到): add a higher or other unit as co-unit."""

    def build(case, state, when):
        target = _unit(store, to, "--to")
        if target == state.get("lead") or target in (state.get("co_units") or []):
            raise InvalidInput(_('--to: {target} already works on {case_id}').format(target=target, case_id=case_id))
        tclass = store.catalog.classes.get(case.get("time_limit")) or store.catalog.classes[store.catalog.default_class]
        # the called unit's report-for-duty clock (吹哨报到): respond_within of the class
        return {"to": target, "reason": _reason(reason), "respond_by": timeutil.fmt(when + tclass.respond_within)}

    return change(store, case_id, "escalate", actor, at, build, lambda ev: f"escalated to {ev['to']}", tx=tx)


def extend(store: Store, case_id: str, actor: str, reason: str, until: str | None = None, by: str | None = None, at=None, tx=None) -> Result:
    """Move the due time later, with a reason, never past the class's `extendable_to`."""
    if (until is None) == (by is None):
        raise InvalidInput(_('give exactly one of --until TIME or --by DURATION'))

    def build(case, state, when):
        catalog, tz = store.catalog, store.tz
        tclass = catalog.classes.get(case.get("time_limit"))
        if tclass is None:
            raise InvalidInput(_('{case_id} has unknown time-limit class {get!r}').format(case_id=case_id, get=case.get('time_limit')))
        if tclass.extendable_to is None:
            can = [c.code for c in catalog.classes.values() if c.extendable_to]
            raise InvalidInput(
                _('{case_id} has time limit {code}, which cannot be extended; extendable classes: {value}').format(case_id=case_id, code=tclass.code, value=', '.join(can) or _('none'))
            )
        current = state["due"]
        if until is not None:
            new_due = timeutil.parse_time(until, tz, "--until")
        else:
            new_due = working_time.deadline(current, timeutil.parse_duration(by, "--by"), tclass, catalog.calendar, tz)
        received = timeutil.load(case["received"])
        cap = working_time.deadline(received, tclass.extendable_to, tclass, catalog.calendar, tz)
        if new_due <= current:
            raise InvalidInput(_('--until: {time} is not after the current due time {time2}').format(time=timeutil.fmt(new_due), time2=timeutil.fmt(current)))
        if new_due > cap:
            raise InvalidInput(
                _('extension to {time} is past the cap of class {code}: received + {format_duration} = {time2}').format(time=timeutil.fmt(new_due), code=tclass.code, format_duration=timeutil.format_duration(tclass.extendable_to), time2=timeutil.fmt(cap))
            )
        return {"until": timeutil.fmt(new_due), "reason": _reason(reason)}

    return change(store, case_id, "extend", actor, at, build, lambda ev: f"due moved to {ev['until']}", tx=tx)


def close(store: Store, case_id: str, actor: str, resolved: bool, summary: str, at=None, tx=None,
          kb: str | None = None, kb_version: int | None = None) -> Result:
    """Record the handling result (`kb`, `kb_version`: the knowledge entry it was answered with,
    as an imported close event records it)."""
    if resolved is None:
        raise InvalidInput(_('say whether the problem was solved: --resolved or --unresolved'))

    def build(case, state, when):
        fields = {"resolved": bool(resolved), "summary": textcheck.text(summary, "--summary", required=True),
                  "kb": kb, "kb_version": kb_version}
        if state["status"] == "accepted" and store.catalog.needs_review(case.get("type"), case.get("time_limit")):
            tclass = store.catalog.classes[case["time_limit"]]
            fields["review_by"] = timeutil.fmt(when + tclass.review_within)  # handled: the centre reviews
        return fields

    def detail(ev):
        return ("resolved" if ev["resolved"] else "not resolved") + ("; awaiting the centre's review" if ev.get("review_by") else "")

    return change(store, case_id, "close", actor, at, build, detail, tx=tx)


def review(store: Store, case_id: str, actor: str, approve: bool, reason: str | None = None, at=None, tx=None) -> Result:
    """The centre's review of a handled case: approve (it is closed at the unit's close time) or
    send it back to the unit (accepted again, with the reason)."""
    if not approve and not (reason and str(reason).strip()):
        raise InvalidInput(_('--reason: required with --send-back (say what the unit must still do)'))

    def build(case, state, when):
        fields = {"decision": "approved" if approve else "sent-back"}
        if reason and str(reason).strip():
            fields["reason"] = _reason(reason)
        return fields

    return change(store, case_id, "review", actor, at, build,
                  lambda ev: "approved" if ev["decision"] == "approved" else "sent back to the unit", tx=tx)


def evaluate(store: Store, case_id: str, actor: str, reached: bool, contacted=None, resolved=None,
             satisfaction: str | None = None, reason: str | None = None, at=None, tx=None) -> Result:
    """Record the follow-up call: reached? contacted? resolved? how satisfied, and why."""
    if reached is None:
        raise InvalidInput(_('say whether the complainant was reached: --reached or --unreached'))
    levels = store.catalog.assessment.satisfaction
    if reached:
        missing = [n for n, v in (("--contacted/--not-contacted", contacted), ("--resolved/--unresolved", resolved), ("--satisfaction", satisfaction)) if v is None]
        if missing:
            raise InvalidInput(_('a reached follow-up records all three answers; missing {items}').format(items=', '.join(missing)))
        from jiesu.resolve import pick

        satisfaction = pick(satisfaction, levels, "--satisfaction", what="level")
        if levels[satisfaction].score < 60 and not (reason and str(reason).strip()):
            raise InvalidInput(_('--reason: required when the complainant is {satisfaction} (record why)').format(satisfaction=satisfaction))
    elif contacted is not None or resolved is not None or satisfaction is not None:
        raise InvalidInput(_('an unreached follow-up has no answers; drop --contacted/--resolved/--satisfaction'))

    def build(case, state, when):
        fields = {"reached": bool(reached), "reason": textcheck.text(reason, "--reason")}
        if reached:
            fields.update(contacted=bool(contacted), resolved=bool(resolved), satisfaction=satisfaction)
        return fields

    return change(store, case_id, "evaluate", actor, at, build, lambda ev: ev.get("satisfaction") or "not reached", tx=tx)


def reopen(store: Store, case_id: str, actor: str, reason: str, at=None, tx=None) -> Result:
    """Open a closed, evaluated or rejected case again (a new time limit starts)."""

    def build(case, state, when):
        due = model.reopen_due(case, when, store.catalog, store.tz)
        return {"reason": _reason(reason), "due": timeutil.fmt(due) if due else None}

    return change(store, case_id, "reopen", actor, at, build, tx=tx)


def reject(store: Store, case_id: str, actor: str, reason: str, at=None, tx=None) -> Result:
    """A plainly invalid request: not dispatched."""
    return change(store, case_id, "reject", actor, at, lambda c, s, w: {"reason": _reason(reason)}, tx=tx)


EXEMPTION_TYPES = ("unreasonable", "out-of-jurisdiction", "duplicate", "other")


def exempt(store: Store, case_id: str, actor: str, reason: str | None = None, at=None, tx=None, type: str | None = None,
           decision: str | None = None) -> Result:
    """Request exemption from assessment: a unit's request with its `type`; the case stays
    assessed until the centre approves it (`decide_exemption`, or `decision` approved/denied here).

    Without a type or a decision the exemption is recorded as already decided — how an import
    carries over a case that another system exempted, and how files written before requests
    existed read.
    """
    if decision is not None:
        if decision not in ("approved", "denied"):
            raise InvalidInput(_('decision: {decision!r}; allowed: approved, denied').format(decision=decision))
        return decide_exemption(store, case_id, actor, decision == "approved", reason, at=at, tx=tx)
    if type is not None and type not in EXEMPTION_TYPES:
        raise InvalidInput(_('--type: {type!r}; allowed: {items}').format(type=type, items=', '.join(EXEMPTION_TYPES)))

    def build(case, state, when):
        if state.get("exempt"):
            raise InvalidInput(_('{case_id} is already exempt from assessment').format(case_id=case_id))
        if state.get("exemption") == "pending":
            raise InvalidInput(_('{case_id} already has a pending exemption request; the centre decides it with `jiesu exempt ID --approve` or `--deny --reason`').format(case_id=case_id))
        return {"type": type, "reason": _reason(reason)} if type else {"reason": _reason(reason)}

    return change(store, case_id, "exempt", actor, at, build,
                  lambda ev: f"exemption requested ({ev['type']})" if ev.get("type") else "exempt from assessment", tx=tx)


def decide_exemption(store: Store, case_id: str, actor: str, approve: bool, reason: str | None = None, at=None,
                     tx=None) -> Result:
    """The centre's decision on a pending exemption request: approved (the case leaves the
    assessment) or denied (with a reason; it stays assessed)."""
    if not approve and not (reason and str(reason).strip()):
        raise InvalidInput(_('--reason: required with --deny (say why the case stays assessed)'))

    def build(case, state, when):
        if state.get("exemption") != "pending":
            raise InvalidInput(_('{case_id} has no pending exemption request; a unit requests one with `jiesu exempt ID --reason TEXT --type TYPE`').format(case_id=case_id))
        fields = {"decision": "approved" if approve else "denied"}
        if reason and str(reason).strip():
            fields["reason"] = _reason(reason)
        return fields

    return change(store, case_id, "exempt", actor, at, build, lambda ev: f"exemption {ev['decision']}", tx=tx)


def merge(store: Store, case_id: str, actor: str, into: str, at=None, tx=None) -> Result:
    """Mark a duplicate: the case joins `into`, which gets a note saying so (one commit)."""
    target = validate_id(into, "--into")
    if target == validate_id(case_id):
        raise InvalidInput(_('--into: a case cannot be merged into itself'))
    if not store.exists(target, tx):
        raise InvalidInput(_('--into: no case {target} in this store').format(target=target))

    def build(case, state, when):
        other = tx.case(target)[1] if tx is not None else store.load_case(target)
        check_case_consistent(store, store.case_relpath(target), other)
        other_state = model.replay(other, strict=False)
        if other_state["status"] == "merged":
            raise InvalidInput(_('--into: {target} is itself merged into {get}; merge into that case').format(target=target, get=other_state.get('merged_into')))
        return {"into": target}

    def extra(tx_, case, event):
        doc, other = tx_.case(target)
        when = max(timeutil.load(event["at"]), last_event_time(other, store.now()) or timeutil.load(event["at"]))
        add_event(store, tx_, target, doc, other, "note", actor, when, {"text": MERGE_NOTE.format(case["id"])},
                  skew.split(other.get("events") or [], store.now()))
        return [target]

    return change(store, case_id, "merge", actor, at, build, lambda ev: f"duplicate of {ev['into']}", extra, tx=tx)


__all__ = [
    "assign", "accept", "return_case", "contact", "note", "escalate", "extend", "close", "evaluate",
    "reopen", "reject", "exempt", "decide_exemption", "merge", "review", "supervise", "respond", "commit_message", "event_time",
]


SUPERVISION_LEVELS = ("city", "district")


def supervise(store: Store, case_id: str, actor: str, reason: str | None = None, level: str | None = None,
              until: str | None = None, clear: bool = False, at=None, tx=None) -> Result:
    """A leader's supervision (督办): the case comes first in every working list; `clear` ends it."""
    if clear and (level or until):
        raise InvalidInput(_('--clear ends a supervision; it takes no --level or --until'))
    if not clear and not (reason and str(reason).strip()):
        raise InvalidInput(_('--reason: required (say why the case is supervised)'))
    if level is not None and level not in SUPERVISION_LEVELS:
        raise InvalidInput(_('--level: {level!r}; allowed: {items}').format(level=level, items=', '.join(SUPERVISION_LEVELS)))

    def build(case, state, when):
        if clear:
            if not state.get("supervised"):
                raise InvalidInput(_('{case_id} is not supervised; nothing to clear').format(case_id=case_id))
            return {"clear": True, "reason": textcheck.text(reason, "--reason")}
        fields = {"level": level or "city", "reason": _reason(reason)}
        if until:
            end = timeutil.parse_time(until, store.tz, "--until")
            if end <= when:
                raise InvalidInput(_('--until: {time} is not after the supervision starts ({time2})').format(time=timeutil.fmt(end), time2=timeutil.fmt(when)))
            fields["until"] = timeutil.fmt(end)
        return fields

    return change(store, case_id, "supervise", actor, at, build,
                  lambda ev: "supervision cleared" if ev.get("clear") else f"supervised ({ev['level']} level)", tx=tx)


def respond(store: Store, case_id: str, actor: str, unit: str, at=None, tx=None) -> Result:
    """A unit called by `escalate` reports for duty (stops its report-for-duty clock)."""

    def build(case, state, when):
        target = store.catalog.unit(str(unit), "--unit").id
        calls = [c for c in state.get("whistle") or [] if c.get("unit") == target]
        if not calls:
            called = sorted({c.get("unit") for c in state.get("whistle") or []})
            raise InvalidInput(_('--unit: {target} was not called to assist on {case_id}; called: {value}').format(target=target, case_id=case_id, value=', '.join(called) or _('none')))
        if all("responded" in c for c in calls):
            raise InvalidInput(_('--unit: {target} already reported for duty on {case_id}').format(target=target, case_id=case_id))
        return {"unit": target}

    return change(store, case_id, "respond", actor, at, build, lambda ev: f"{ev['unit']} reported for duty", tx=tx)
