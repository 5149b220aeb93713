"""How `show` and `log` present the handling of DESIGN §9: amendments, supervision, the
whistle's report-for-duty clock, the centre's review and attachments."""

from __future__ import annotations

from jiesu import timeutil
from jiesu.i18n import N_, NP_, _, current, in_lang


class _Words(dict):
    """A table of enumerated values whose words are looked up when shown (in the language then)."""

    def get(self, key, default=None):
        return in_lang(current(), super().get(key)) if key in self else default


SUPERVISION_LEVELS = _Words(city=NP_("supervision level", "city"), district=NP_("supervision level", "district"))
OUTCOMES = _Words(met=N_("met"), missed=N_("missed"), running=N_("running"))


def value_text(value) -> str:
    """One event field as text: yes/no, lists joined, an amendment's changes as `field old → new`."""
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value is None:
        return _("none")
    if isinstance(value, dict):
        from jiesu.terms import field

        return ", ".join(f"{field(k)} {value_text(v[0])} → {value_text(v[1])}" if isinstance(v, list) and len(v) == 2
                         else f"{field(k)} {value_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(value_text, value)) or _("none")
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
        until = _(", until {time}").format(time=timeutil.display(timeutil.load(sup["until"]), tz)) if sup.get("until") else ""
        rows.append((_("supervised"), _("{level} level: {reason}{until}").format(
            level=SUPERVISION_LEVELS.get(sup.get("level", "city"), sup.get("level")), reason=sup.get("reason"), until=until)))
    if state.get("review_by"):
        rows.append((_("review"), _("awaiting the centre's review, due {time}").format(
            time=timeutil.display(timeutil.load(state["review_by"]), tz))))
    if state.get("reviewed"):
        rows.append((_("review"), _("approved {time}").format(time=timeutil.display(timeutil.load(state["reviewed"]), tz))))
    if state.get("sent_back"):
        rows.append((_("sent back"), _("{n} time(s) by the centre's review").format(n=state["sent_back"])))
    for call in whistle_calls(state, now):
        when = _("responded {time}").format(time=timeutil.display(timeutil.load(call["responded"]), tz)) if call.get("responded") else \
            _("due {time}").format(time=timeutil.display(timeutil.load(call["respond_by"]), tz))
        rows.append((_("whistle"), f"{call['unit']}: {OUTCOMES.get(call['outcome'], call['outcome'])} ({when})"))
    for e in events:
        if e.get("action") == "amend":
            flag = " " + _("[statistics only]") if e.get("statistics_only") else ""
            rows.append((_("amended"), _("{time} by {actor}: {changes}{recomputed} ({reason}){flag}").format(
                time=timeutil.display(timeutil.load(e.get("at")), tz), actor=e.get("by"),
                changes=value_text(e.get("changes") or {}),
                recomputed=_("; due recomputed") if e.get("recompute_limit") else "", reason=e.get("reason"), flag=flag)))
        elif e.get("action") == "attach":
            where = _("private") if e.get("private") else _("shared")
            rows.append((_("attachment"), _("{name} ({kind}, {size} bytes, {where}, sha256 {digest}…)").format(
                name=e.get("name"), kind=e.get("kind"), size=e.get("size"), where=where, digest=str(e.get("sha256"))[:12])))
    return rows
