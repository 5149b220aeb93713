"""How `show` and `log` present the handling of DESIGN §9: amendments, supervision, the
whistle's report-for-duty clock, the centre's review and attachments."""

from __future__ import annotations

from jiesu import timeutil


def value_text(value) -> str:
    """One event field as text: yes/no, lists joined, an amendment's changes as `field old → new`."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {value_text(v[0])} → {value_text(v[1])}" if isinstance(v, list) and len(v) == 2
                         else f"{k} {value_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(value_text, value)) or "none"
    return str(value)


def whistle_calls(state: dict, now) -> list[dict]:
    """Each call for assistance with its report-for-duty clock: met, missed or running."""
    out = []
    for call in state.get("whistle") or []:
        by, responded = timeutil.load(call.get("respond_by")), timeutil.load(call.get("responded"))
        if responded is not None:
            outcome = "met" if by is None or responded <= by else "missed"
        else:
            outcome = "missed" if by is not None and now > by else "running"
        out.append(dict(call, outcome=outcome))
    return out


def case_rows(case: dict, tz, now) -> list[tuple[str, str]]:
    """(label, text) rows for `show`."""
    state = case.get("state") or {}
    events = [e for e in case.get("events") or [] if isinstance(e, dict) and not e.get("superseded")]
    rows = []
    sup = state.get("supervised")
    if sup:
        until = f", until {timeutil.display(timeutil.load(sup['until']), tz)}" if sup.get("until") else ""
        rows.append(("supervised", f"{sup.get('level', 'city')} level: {sup.get('reason')}{until}"))
    if state.get("review_by"):
        rows.append(("review", f"awaiting the centre's review, due {timeutil.display(timeutil.load(state['review_by']), tz)}"))
    if state.get("reviewed"):
        rows.append(("review", f"approved {timeutil.display(timeutil.load(state['reviewed']), tz)}"))
    if state.get("sent_back"):
        rows.append(("sent back", f"{state['sent_back']} time(s) by the centre's review"))
    for call in whistle_calls(state, now):
        when = f"responded {timeutil.display(timeutil.load(call['responded']), tz)}" if call.get("responded") else \
            f"due {timeutil.display(timeutil.load(call['respond_by']), tz)}"
        rows.append(("whistle", f"{call['unit']}: {call['outcome']} ({when})"))
    for e in events:
        if e.get("action") == "amend":
            flag = " [statistics only]" if e.get("statistics_only") else ""
            rows.append(("amended", f"{timeutil.display(timeutil.load(e.get('at')), tz)} by {e.get('by')}: "
                                    f"{value_text(e.get('changes') or {})}{'; due recomputed' if e.get('recompute_limit') else ''}"
                                    f" ({e.get('reason')}){flag}"))
        elif e.get("action") == "attach":
            where = "private" if e.get("private") else "shared"
            rows.append(("attachment", f"{e.get('name')} ({e.get('kind')}, {e.get('size')} bytes, {where}, "
                                       f"sha256 {str(e.get('sha256'))[:12]}…)"))
    return rows
