"""One compact row per case: what list, overdue, rank and the reports need, and nothing personal.

`summarize` is pure: one replay of the events (the truth) gives the state, the timeline and the
read side's counts (`model.ReadFacts`: assignments and their clocks, returns, the lead at each
evaluation), and this flattens them. The index stores
these rows so that reading commands never parse YAML for cases that did not change.
"""

from __future__ import annotations

from jiesu import model, privacy, timeutil

# the keys of a summary, in the order `summarize` gives them (the index packs the values in this order)
ROW_KEYS = (
    "id", "status", "title", "type", "channel", "category", "district", "street", "community", "lead",
    "co_units", "received", "due", "dispatched", "accepted", "contacted", "closed", "resolved", "exempt",
    "exemption", "merged_into", "tags", "time_limit", "limit_from", "frequent", "confidential",
    "special_group", "phone_key", "contact", "address", "assigns", "first_dispatched", "first_contact",
    "returns", "extensions", "original_due", "evaluation", "evaluated_at", "eval_lead", "evaluations",
    "reopened", "superseded", "source", "timeline", "changed", "supervised", "whistle", "sent_back",
    "review_by",
)


def _t(value):
    return timeutil.fmt(value) if value is not None else None


def summarize(case: dict, catalog=None, tz=None) -> dict:
    """The index row of one case (raises ValueError/TypeError on a malformed case).

    The catalog is only needed for cases whose intake event does not record its due time.
    """
    timeline, facts = [], model.ReadFacts()
    state = model.replay(case, catalog, tz, strict=False, trace=timeline, facts=facts)
    if state.get("due") is None and isinstance(case.get("state"), dict):
        state["due"] = timeutil.load(case["state"].get("due"))
    loc = case.get("location") or {}
    comp = case.get("complainant") or {}
    assigns, evaluations = facts.assigns, facts.evaluations
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
        "limit_from": facts.limit_from,
        "frequent": bool(comp.get("frequent")),
        "confidential": bool(comp.get("confidential")),
        "special_group": bool(comp.get("special_group")),
        "phone_key": privacy.phone_key(comp.get("phone")) or (("ref:" + comp["ref"]) if comp.get("ref") else None),
        "contact": None if comp.get("confidential") else " ".join(
            x for x in (str(comp.get("surname") or ""), privacy.mask_phone(comp.get("phone"))) if x) or None,
        "address": privacy.scrub(loc.get("address")) if loc.get("address") else None,
        "assigns": assigns,
        "first_dispatched": assigns[0]["at"] if assigns else None,
        "first_contact": facts.first_contact,
        "returns": facts.returns,
        "extensions": facts.extensions,
        "original_due": facts.original_due or _t(state.get("due")),
        "evaluation": state.get("evaluation"),
        "evaluated_at": last_eval["at"] if last_eval else None,
        "eval_lead": last_eval["lead"] if last_eval else None,
        "evaluations": evaluations,
        "reopened": facts.reopened,
        "superseded": facts.superseded,
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


def status_at(row: dict, when) -> tuple[str | None, str | None, str | None]:
    """(status, due, lead) of a case at instant `when`, from its timeline; Nones before intake."""
    found = (None, None, None)
    for at, status, due, lead in row.get("timeline") or []:
        if timeutil.load(at) <= when:
            found = (status, due, lead)
        else:
            break
    return found
