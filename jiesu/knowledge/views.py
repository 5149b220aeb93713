"""What `kb show` and `kb list` print, and the entry lines of a case answered from the base."""

from __future__ import annotations

from datetime import date

from jiesu.knowledge import files, record


def stale(state: dict, today: date) -> str | None:
    """"expired" past valid_until, "review" past review_by, else None (active entries only)."""
    if state.get("status") != "active":
        return None
    until, review = record.day(state.get("valid_until")), record.day(state.get("review_by"))
    if until and until < today:
        return "expired"
    if review and review < today:
        return "review"
    return None


def entry_text(data: dict, catalog) -> str:
    """An entry (one version of it) as text, in the current language."""
    from jiesu import terms
    from jiesu.i18n import _, current, pgettext

    none = "-"
    head = _("{id}  version {version} of {versions}  {status}").format(
        id=data["id"], version=data["version"], versions=data["versions"], status=terms.name("knowledge status", data["status"]))
    if data.get("example"):
        head += "  " + _("(example: replace it with your office's own answer)")
    lines = [head, "  " + _("changed {time} by {actor}").format(time=data.get("at"), actor=data.get("by"))]
    lines += ["", _("Questions:")] + [f"  - {q}" for q in data.get("questions") or []]
    lines += ["", _("Answer:")] + [f"  {line}" for line in str(data.get("answer") or "").splitlines()]
    lines += ["", _("Sources:")]
    for s in data.get("sources") or []:
        lines.append("  - " + ", ".join(str(s[k]) for k in record.SOURCE_KEYS if s.get(k)))
    cats = [_("{code} ({name})").format(code=c, name=catalog.name("categories", c, current())) if c in catalog.categories else c
            for c in data.get("categories") or []]
    lines += ["", _("Categories: {list}").format(list=_(", ").join(cats) or none),
              _("Themes: {list}").format(list=_(", ").join(data.get("themes") or []) or none),
              _("Owner: {unit}").format(unit=data.get("owner")),
              _("Valid: {start} to {end}; review by {day}").format(
                  start=data.get("valid_from"), end=data.get("valid_until") or pgettext("validity", "open"), day=data.get("review_by") or none)]
    if data.get("status") == "retired":
        retired = _("Retired {time}: {reason}").format(time=data.get("retired"), reason=data.get("reason"))
        if data.get("replaced_by"):
            retired += _("; replaced by {id}").format(id=data["replaced_by"])
        lines.append(retired)
    return "\n".join(lines) + "\n"


def list_rows(store, category=None, theme=None, only_stale=False, every=False) -> list[dict]:
    today = store.now().date()
    rows = []
    for entry in files.all_entries(store):
        state = record.project(entry)
        if not state["versions"]:
            continue
        if state["status"] != "active" and not every:
            continue
        if category and not any(c == category or c.startswith(category + ".") for c in state.get("categories") or []):
            continue
        if theme and theme not in (state.get("themes") or []):
            continue
        flag = stale(state, today)
        if only_stale and not flag:
            continue
        rows.append({"id": entry["id"], "version": state["version"], "status": state["status"],
                     "question": state["questions"][0], "categories": state.get("categories") or [],
                     "themes": state.get("themes") or [], "owner": state.get("owner"),
                     "valid_from": state.get("valid_from"), "valid_until": state.get("valid_until"),
                     "review_by": state.get("review_by"), "example": bool(state.get("example")), "stale": flag})
    return rows


def answered_from(store, case: dict) -> list[dict]:
    """The knowledge entries a case was answered with on the call: {id, version, question, answer}
    of the version given (its text as it was then, even after the entry changed)."""
    out = []
    for event in case.get("events") or []:
        if not isinstance(event, dict) or event.get("action") != "close" or not event.get("kb"):
            continue
        item = {"id": event["kb"], "version": event.get("kb_version"), "question": None, "answer": None}
        try:
            given = record.version(files.load_entry(store, event["kb"]), event.get("kb_version"))
            item.update(question=given["questions"][0], answer=given["answer"])
        except Exception:  # noqa: BLE001 — a missing or broken entry is verify's business; show says so
            item["question"] = "(the entry cannot be read; run `jiesu verify`)"
        out.append(item)
    return out
