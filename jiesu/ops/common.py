"""What every changing operation shares: time of the event, the event itself, the case file
rewrite, the commit message — validate first, then write, then commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jiesu.index  # noqa: F401 — registers the read index's commit hook, so jiesu's own commits keep it current
from jiesu import model, privacy, skew, timeutil, workflow
from jiesu.errors import InvalidInput, StoreError
from jiesu.i18n import _
from jiesu.store import Store, validate_id, yamlio
from jiesu.store.case_layout import FLOW_WIDTH, event_node, state_node  # noqa: F401 — re-exported for the writers
from jiesu.store.gitwrite import batch_message, commit_message

FUTURE_SLACK = timedelta(minutes=5)
FREE_TEXT = ("note", "text", "reason", "summary")  # event fields anyone may type anything into


@dataclass
class Result:
    """What an operation did, for the command line to print and for callers to inspect."""

    case_id: str
    action: str
    status: str
    message: str
    commit: str | None = None
    event: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


def event_time(store: Store, at, after: datetime | None = None, field_name: str = "--at", record: str = "case") -> datetime:
    """The time of an event: `at` (ISO 8601; naive means the store zone) or now.

    Refused when it lies in the future, or before the record's last event (events are in time order).
    """
    now = store.now()
    when = timeutil.parse_time(at, store.tz, field_name) if at not in (None, "") else now
    if when > now + FUTURE_SLACK:
        raise InvalidInput(_('{field_name}: {when} is in the future (now is {now})').format(field_name=field_name, when=timeutil.fmt(when), now=timeutil.fmt(now)))
    if after is not None and when < after:
        raise InvalidInput(
            _("{field_name}: {when} is before the {record}'s last event at {after}; events are recorded in time order").format(field_name=field_name, when=timeutil.fmt(when), record=record, after=timeutil.fmt(after))
        )
    return when


def last_event_time(case: dict, now: datetime | None = None) -> datetime | None:
    """The time a new event may not precede: the latest event, leaving out (with `now`) those
    stamped ahead of this clock by a fast one elsewhere (see jiesu/skew.py)."""
    events = case.get("events") or []
    if now is not None:
        events = events[:skew.split(events, now)]
    times = [timeutil.load(e.get("at")) for e in events if isinstance(e, dict) and e.get("at") and not e.get("superseded")]
    return max(times) if times else None


def make_event(case: dict, action: str, actor: str, at: datetime, fields: dict, usec: int | None = None) -> dict:
    """A new event: random id, time (`usec`: its sub-second part), actor, action, then the
    action's fields in table order.

    Within one second a case's events never go back in `usec` (an event without a clock reading
    takes its predecessor's), so ordering by (time, usec) keeps each office's own order.
    """
    events = [e for e in case.get("events") or [] if isinstance(e, dict)]
    stamp = timeutil.fmt(at)
    same = [e.get("usec") for e in events if e.get("at") == stamp and isinstance(e.get("usec"), int)]
    if same and (usec is None or usec < max(same)):
        usec = max(same)
    event = {"id": model.new_event_id([e.get("id") for e in events]), "at": stamp}
    if usec is not None:
        event["usec"] = usec
    event.update({"by": actor, "action": action})
    for key in model.EVENT_FIELDS[action]:
        if fields.get(key) is not None:
            event[key] = fields[key]
    return event


def refresh_state(store: Store, doc, case: dict) -> dict:
    """Recompute the projection from the events and put it into the document."""
    state = model.state_block(case, store.catalog, store.tz)
    case["state"] = state
    doc["state"] = state_node(state)
    return state


def masked_note(case_id: str, fields: list[str], kinds) -> str:
    """What the operator is told when personal data was kept out of the shared case file."""
    from jiesu.redact import describe

    return (f"{case_id}: masked {describe(kinds)} in {', '.join(fields)}: the shared case file must not carry them "
            f"(the full text stays in private/: jiesu show {case_id} --reveal)")


def check_case_consistent(store: Store, rel: str, case: dict) -> None:
    """Refuse to build on a case file that `verify` finds wrong (a hand-broken or foreign file)."""
    from jiesu.verify import check_case

    errors = [p for p in check_case(store.root, rel, case, store.catalog, store.tz) if p.severity == "error"]
    if errors:
        more = _(' (and {n} more problem(s))').format(n=len(errors) - 1) if len(errors) > 1 else ""
        raise StoreError(f"{errors[0]}{more}", hint=_('run `jiesu verify` and repair the file first'))


def change(store: Store, case_id: str, action: str, actor: str, at, build, detail=None, extra=None, tx=None) -> Result:
    """Apply one workflow action to one case: lock, read, check, build the event, write, commit.

    `build(case, state, when)` validates the action's input and returns its event fields.
    `extra(tx, case, event)` may change more cases in the same commit (merge does).
    With `tx` (a batch transaction) nothing is committed here: the batch commits once.
    """
    case_id = validate_id(case_id)
    store.check_catalog()  # a broken catalog refuses every write
    if tx is not None:
        return _change_in(store, tx, case_id, action, actor, at, build, detail, extra)
    with store.transaction(f"{action} {case_id}") as own:
        return _change_in(store, own, case_id, action, actor, at, build, detail, extra)


def _change_in(store, tx, case_id, action, actor, at, build, detail, extra) -> Result:
    rel = store.case_relpath(case_id)
    doc, case = tx.case(case_id)
    check_case_consistent(store, rel, case)
    now = store.now()
    events = case.get("events") or []
    place = skew.split(events, now)  # events stamped ahead of this clock come after the new one
    state = model.replay(dict(case, events=events[:place]) if place < len(events) else case, store.catalog, store.tz, strict=False)
    workflow.check(case_id, action, state["status"])
    when = event_time(store, at, after=last_event_time(case, now))
    fields = build(case, state, when)
    from jiesu.actors import permit

    permit(store, actor, action, case_id, state, fields)  # who may act for whom (actors.yaml)
    notes = list(tx.notes)
    fields, originals, kinds = shared_fields(store, case, fields)
    if originals:
        notes.append(masked_note(case_id, list(originals), kinds))
    usec = timeutil.clock_usec(when) if at in (None, "") else None
    event = add_event(store, tx, case_id, doc, case, action, actor, when, fields, place, usec)
    if originals:
        store.private.keep_texts(tx, case_id, event=event["id"], event_fields=originals)
    more_ids = extra(tx, case, event) if extra else ()
    result = Result(case_id, action, case["state"]["status"], "", None, event, notes)
    if tx.batch:
        tx.log.append((action, case_id))
        return result
    message = commit_message(action, case_id, case.get("title"), actor, detail(event) if detail else "", [case_id, *(more_ids or ())])
    result.commit = tx.commit(message, actor, when)
    return result


def shared_fields(store: Store, case: dict, fields: dict) -> tuple[dict, dict, set]:
    """An event's fields as the shared file may carry them (phone and ID numbers and the
    complainant's name masked in free text), the full texts that were masked, and what kinds."""
    texts = {k: v for k, v in fields.items() if k in FREE_TEXT and isinstance(v, str) and v}
    if not texts:
        return fields, {}, set()
    names = store.private.names_for(case)
    safe = {k: privacy.shared_text(v, names, store.region) for k, v in texts.items()}
    originals = {k: texts[k] for k, r in safe.items() if r.changed}
    kinds = set().union(*(r.kinds for r in safe.values()))
    return {k: safe[k].text if k in originals else v for k, v in fields.items()}, originals, kinds


def add_event(store, tx, case_id, doc, case, action, actor, when, fields, place: int | None = None,
              usec: int | None = None) -> dict:
    """Append one event to a case (document and plain twin) and refresh its state.

    With `place` before the end (events stamped ahead of this clock follow), the event goes
    there, and the later events are replayed after it as a merge would: one that is no longer
    allowed at its place is marked `superseded`.
    """
    event = make_event(case, action, actor, when, fields, usec)
    events = case.setdefault("events", [])
    if place is not None and place < len(events):
        from jiesu.merge_driver import merge_events

        events.insert(place, event)
        case["events"] = merge_events(events, [])
        event = case["events"][place]
        doc["events"] = yamlio.cseq([event_node(e) for e in case["events"]])
        refresh_state(store, doc, case)
        tx.put_case(case_id, doc, case)
        return event
    events.append(event)
    if doc.get("events") is None:
        doc["events"] = yamlio.cseq()
    doc["events"].append(event_node(event))
    refresh_state(store, doc, case)
    tx.put_case(case_id, doc, case)
    return event


def commit_batch(store: Store, tx, actor: str, subject: str, at=None) -> str | None:
    """Commit a batch transaction once, naming every case it touched."""
    if not tx.log and not any(entry[2] for entry in tx.docs.values()):
        return None
    sha = tx.commit(batch_message(subject, tx.log, actor), actor, at)
    tx.log.clear()
    tx.allocated.clear()
    return sha
