"""What every changing operation shares: time of the event, the event itself, the case file
rewrite, the commit message — validate first, then write, then commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jiesu import model, privacy, timeutil, workflow
from jiesu.errors import InvalidInput, StoreError
from jiesu.store import Store, validate_id, yamlio

FUTURE_SLACK = timedelta(minutes=5)
FLOW_WIDTH = 220
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
        raise InvalidInput(f"{field_name}: {timeutil.fmt(when)} is in the future (now is {timeutil.fmt(now)})")
    if after is not None and when < after:
        raise InvalidInput(
            f"{field_name}: {timeutil.fmt(when)} is before the {record}'s last event at {timeutil.fmt(after)}; events are recorded in time order"
        )
    return when


def last_event_time(case: dict) -> datetime | None:
    times = [timeutil.load(e.get("at")) for e in case.get("events") or [] if isinstance(e, dict) and e.get("at") and not e.get("superseded")]
    return max(times) if times else None


def make_event(case: dict, action: str, actor: str, at: datetime, fields: dict) -> dict:
    """A new event: random id, time, actor, action, then the action's fields in table order."""
    existing = [e.get("id") for e in case.get("events") or [] if isinstance(e, dict)]
    event = {"id": model.new_event_id(existing), "at": timeutil.fmt(at), "by": actor, "action": action}
    for key in model.EVENT_FIELDS[action]:
        if fields.get(key) is not None:
            event[key] = fields[key]
    return event


def event_node(event: dict):
    """An event for the file: one flow line when short and single-line, else a block."""
    single = all("\n" not in str(v) for v in event.values())
    length = sum(len(str(k)) + len(str(v)) + 4 for k, v in event.items())
    flow = single and length <= FLOW_WIDTH
    pairs = []
    for key, value in event.items():
        if isinstance(value, list):
            value = yamlio.cseq(value, flow=True)
        elif isinstance(value, str) and not flow:
            value = yamlio.block_text(value)
        pairs.append((key, value))
    return yamlio.cmap(pairs, flow=flow)


def state_node(state: dict):
    pairs = []
    for key, value in state.items():
        if key == "co_units":
            value = yamlio.cseq(value, flow=True)
        elif key == "evaluation":
            value = yamlio.cmap(value.items(), flow=True)
        pairs.append((key, value))
    return yamlio.cmap(pairs)


def refresh_state(store: Store, doc, case: dict) -> dict:
    """Recompute the projection from the events and put it into the document."""
    state = model.state_block(case, store.catalog, store.tz)
    case["state"] = state
    doc["state"] = state_node(state)
    return state


def commit_message(action: str, case_id: str, title: str, actor: str, detail: str = "", case_ids=None,
                   trailer: str = "Jiesu-Case") -> str:
    """Subject `<action> <ID>: <title>`, an optional detail line, and the jiesu trailers.

    `case_ids` names every record the commit touches (default: just `case_id`); `trailer` names
    the kind of record (`Jiesu-Case`, or `Jiesu-Theme` for a theme).
    """
    clean_title = privacy.scrub(" ".join(str(title or "").split()))[:72]
    lines = [f"{action} {case_id}: {clean_title}".rstrip(": ")]
    if detail:
        lines += ["", privacy.scrub(detail)]
    lines.append("")
    for cid in case_ids or [case_id]:
        lines.append(f"{trailer}: {cid}")
    lines += [f"Jiesu-Action: {action}", f"Jiesu-Actor: {actor}"]
    return "\n".join(lines) + "\n"


def masked_note(case_id: str, fields: list[str], confidential: bool) -> str:
    """What the operator is told when personal data was kept out of the shared case file."""
    what = "the complainant's full name" + (" and phone numbers (the case is confidential)" if confidential else "")
    return f"{case_id}: masked {what} in {', '.join(fields)}: the shared case file must not carry them"


def check_case_consistent(store: Store, rel: str, case: dict) -> None:
    """Refuse to build on a case file that `verify` finds wrong (a hand-broken or foreign file)."""
    from jiesu.verify import check_case

    errors = [p for p in check_case(store.root, rel, case, store.catalog, store.tz) if p.severity == "error"]
    if errors:
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise StoreError(f"{errors[0]}{more}", hint="run `jiesu verify` and repair the file first")


def change(store: Store, case_id: str, action: str, actor: str, at, build, detail=None, extra=None, tx=None) -> Result:
    """Apply one workflow action to one case: lock, read, check, build the event, write, commit.

    `build(case, state, when)` validates the action's input and returns its event fields.
    `extra(tx, case, event)` may change more cases in the same commit (merge does).
    With `tx` (a batch transaction) nothing is committed here: the batch commits once.
    """
    case_id = validate_id(case_id)
    store.catalog  # a broken catalog refuses every write
    if tx is not None:
        return _apply(store, tx, case_id, action, actor, at, build, detail, extra)
    with store.transaction(f"{action} {case_id}") as own:
        return _apply(store, own, case_id, action, actor, at, build, detail, extra)


def _apply(store, tx, case_id, action, actor, at, build, detail, extra) -> Result:
    rel = store.case_relpath(case_id)
    doc, case = tx.case(case_id)
    check_case_consistent(store, rel, case)
    state = model.replay(case, store.catalog, store.tz, strict=False)
    workflow.check(case_id, action, state["status"])
    when = event_time(store, at, after=last_event_time(case))
    fields = build(case, state, when)
    notes = list(tx.notes)
    names = store.private.names_for(case)
    confidential = bool((case.get("complainant") or {}).get("confidential"))
    if names or confidential:
        safe = {k: privacy.shared_text(v, names, confidential) if k in FREE_TEXT and isinstance(v, str) else v
                for k, v in fields.items()}
        masked = [k for k in fields if safe[k] != fields[k]]
        if masked:
            fields = safe
            notes.append(masked_note(case_id, masked, confidential))
    event = add_event(store, tx, case_id, doc, case, action, actor, when, fields)
    more_ids = extra(tx, case, event) if extra else ()
    result = Result(case_id, action, case["state"]["status"], "", None, event, notes)
    if tx.batch:
        tx.log.append((action, case_id))
        return result
    message = commit_message(action, case_id, case.get("title"), actor, detail(event) if detail else "", [case_id, *(more_ids or ())])
    result.commit = tx.commit(message, actor, when)
    return result


def add_event(store, tx, case_id, doc, case, action, actor, when, fields) -> dict:
    """Append one event to a case (document and plain twin) and refresh its state."""
    event = make_event(case, action, actor, when, fields)
    case.setdefault("events", []).append(event)
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
    ids = list(dict.fromkeys(case_id for _, case_id in tx.log))
    counts: dict = {}
    for action, _ in tx.log:
        counts[action] = counts.get(action, 0) + 1
    detail = ", ".join(f"{n} {a}" for a, n in counts.items())
    lines = [subject, "", f"{len(tx.log)} actions on {len(ids)} cases: {detail}", ""]
    lines += [f"Jiesu-Case: {cid}" for cid in ids]
    lines += ["Jiesu-Action: batch", f"Jiesu-Actor: {actor}"]
    sha = tx.commit("\n".join(lines) + "\n", actor, at)
    tx.log.clear()
    tx.allocated.clear()
    return sha
