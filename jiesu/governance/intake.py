"""What intake looks for before it writes: the caller's earlier requests (and the frequent-caller
rule of governance.yaml) and possible duplicates among the open requests of the last days.

It never refuses: it returns notes for stderr, and may set the `frequent` flag, which the intake
event then explains (`frequent_from: rule 5/30d`).
"""

from __future__ import annotations

from datetime import timedelta

from jiesu.governance import callers, duplicates, settings
from jiesu.governance.addresses import address_key
from jiesu.governance.textfold import fold
from jiesu.i18n import _
from jiesu.index import Index


def look(store, p: dict):
    """Check one prepared request (see `jiesu.ops.new_cases.prepare`); return a function that gives
    its notes once its case id is known."""
    comp = p["complainant"]
    db = Index(store).connect()  # one freshness check for both questions
    try:
        found, rule = callers.intake_check(store, comp.get("phone"), p["received"], p.get("frequent_given", False), db)
        matches = _duplicates(store, p, db)
    finally:
        db.close()
    if rule:
        comp["frequent"] = True
        p["frequent_from"] = rule

    def notes(case_id: str) -> list[str]:
        out = list(found)
        for match in matches[:3]:
            out.append(_("possible duplicate of {id} ({reasons}; similarity {score}); if so: {command}").format(
                id=match["id"], reasons=_(", ").join(_(r) for r in match["reasons"]), score=f"{match['score']:.2f}",
                command=f"jiesu merge {case_id} --into {match['id']}"))
        return out

    return notes


def _duplicates(store, p: dict, db) -> list[dict]:
    comp = p["complainant"]
    days = settings.load(store)["duplicates"]["duplicate_days"]
    subject = {
        "category": p.get("category"), "address_key": address_key((p.get("location") or {}).get("address")),
        "callers": callers.keys_for_phone(store, comp["phone"]) if comp.get("phone") else set(),
        "folded": fold(" ".join(t for t in (p.get("title"), p.get("description")) if t)),
    }
    return duplicates.candidates(store, subject, p["received"] - timedelta(days=days), p["received"], db=db)
