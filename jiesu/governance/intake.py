"""What intake looks for: the caller's earlier requests (and the frequent-caller rule of
governance.yaml) and possible duplicates among the open requests of the last days.

It never refuses: it returns notes for stderr, and may set the `frequent` flag, which the intake
event then explains (`frequent_from: rule 5/30d`). The duplicates are looked for after the write,
while git updates its own index (see `Look.find`): their notes do not change what is written.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from jiesu.errors import JiesuError
from jiesu.governance import callers, duplicates, settings
from jiesu.governance.addresses import address_key
from jiesu.governance.textfold import fold
from jiesu.i18n import _
from jiesu.index import Index


class Look:
    """What intake found for one prepared request: the caller's earlier requests (looked up
    before the write, since the frequent-caller rule may flag the request) and possible
    duplicates (looked up by `find`, which intake calls while git brings its index in step with
    the commit, or at the latest by `notes`)."""

    def __init__(self, store, p: dict, found: list[str], db):
        self.store, self.p, self.found, self.db = store, p, found, db
        self.matches: list[dict] | None = None
        self.failed: str | None = None

    def find(self, own_ids=()) -> None:
        """Look for possible duplicates among the cases of the index, leaving out `own_ids` (the
        cases this intake itself wrote), on the connection the caller check opened (jiesu's own
        commit has brought the index up to date meanwhile). Never raises: the case is committed
        already, and a lookup that fails is said in the notes."""
        if self.matches is not None:
            return
        try:
            matches = _duplicates(self.store, self.p, self.db)
        except (JiesuError, OSError, sqlite3.Error) as exc:
            self.matches, self.failed = [], str(getattr(exc, "message", None) or exc)
            return
        self.matches = [m for m in matches if m["id"] not in own_ids]

    def notes(self, case_id: str) -> list[str]:
        self.find({case_id})
        out = list(self.found)
        if self.failed:
            out.append(_("could not look for possible duplicates ({why})").format(why=self.failed))
        for match in self.matches[:3]:
            out.append(_("possible duplicate of {id} ({reasons}; similarity {score}); if so: {command}").format(
                id=match["id"], reasons=_(", ").join(_(r) for r in match["reasons"]), score=f"{match['score']:.2f}",
                command=f"jiesu merge {case_id} --into {match['id']}"))
        return out


class Looks(list):
    """The `Look`s of one intake, on one connection to the index (however many requests)."""

    def __init__(self, looks, db):
        super().__init__(looks)
        self.db = db

    def find(self, own_ids) -> None:
        """Every request's duplicate search (see `Look.find`), then the connection closed."""
        try:
            for found in self:
                found.find(own_ids)
        finally:
            self.db.close()


def look(store, prepared: list[dict]) -> Looks:
    """Check prepared requests (see `jiesu.ops.new_cases.prepare`) for their callers' earlier
    requests and the frequent-caller rule, on one connection to the index, left open for the
    duplicate search; their notes come once their case ids are known."""
    db = Index(store).connect()  # one freshness check for every question
    looks = []
    try:
        for p in prepared:
            comp = p["complainant"]
            found, rule = callers.intake_check(store, comp.get("phone"), p["received"], p.get("frequent_given", False), db)
            if rule:
                comp["frequent"] = True
                p["frequent_from"] = rule
            looks.append(Look(store, p, found, db))
    except BaseException:
        db.close()
        raise
    return Looks(looks, db)


def _duplicates(store, p: dict, db) -> list[dict]:
    comp = p["complainant"]
    days = settings.load(store)["duplicates"]["duplicate_days"]
    subject = {
        "category": p.get("category"), "address_key": address_key((p.get("location") or {}).get("address")),
        "callers": callers.keys_for_phone(store, comp["phone"]) if comp.get("phone") else set(),
        "folded": fold(" ".join(t for t in (p.get("title"), p.get("description")) if t)),
    }
    return duplicates.candidates(store, subject, p["received"] - timedelta(days=days), p["received"], db=db)
