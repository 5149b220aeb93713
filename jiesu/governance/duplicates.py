"""Possible duplicates: an open request at the same address about the same thing, from the same
caller about the same thing, or with a similar text.

Text similarity is the Jaccard similarity of the sets of character bigrams of title and
description — it works for Chinese with no word segmenter: 小区垃圾没人清运 and 小区垃圾无人清运 share
most of their bigrams. Letters are folded to one case and width, and spaces and punctuation are
dropped, before the bigrams are taken. Nothing here refuses anything: intake only prints notes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from jiesu import timeutil
from jiesu.governance import settings
from jiesu.governance.callers import canonical
from jiesu.governance.textfold import fold, pairs, unkept
from jiesu.i18n import N_
from jiesu.index import CALLER_SQL, Index
from jiesu.workflow import OPEN

# the reasons are English in JSON; the table shows them in the current language
SAME_ADDRESS = N_("same address and category")
SAME_CALLER = N_("same caller and category")
SIMILAR = N_("similar text")


def bigrams(text: str | None) -> frozenset:
    """The set of adjacent character pairs of a text (letters and digits only, folded)."""
    return pairs(fold(text))


def jaccard(a: frozenset, b: frozenset) -> float:
    """|A ∩ B| / |A ∪ B| (0 when both are empty); the union counted, not built."""
    common = len(a & b)
    union = len(a) + len(b) - common
    return common / union if union else 0.0


def candidates(store, subject: dict, since: datetime, until: datetime, open_only: bool = True, db=None) -> list[dict]:
    """Cases received in [since, until] that may duplicate `subject` ({id?, category, address_key,
    callers (set of canonical caller keys), folded (its text, see `fold`)}), best first:
    [{id, title, status, score, reasons}]."""
    conf = settings.load(store)["duplicates"]
    where = "received_ts >= ? AND received_ts <= ?"
    if open_only:
        where += f" AND status IN ({','.join(repr(s) for s in OPEN)})"
    else:
        where += " AND status NOT IN ('rejected', 'merged')"
    index = Index(store)
    found = index.select(f"id, text, status, category, address_key, {CALLER_SQL}", where,
                         (since.timestamp(), until.timestamp()), order="", db=db)
    mine = pairs(subject.get("folded"))
    cache: dict = {}
    out = []
    for case_id, packed, status, category, address_key, caller in found:
        if case_id == subject.get("id"):
            continue
        title, text = index.texts(packed, db)
        reasons = []
        same_category = bool(category) and category == subject.get("category")
        if same_category and address_key and address_key == subject.get("address_key"):
            reasons.append(SAME_ADDRESS)
        if same_category and caller and canonical(store, caller, cache) in subject.get("callers", ()):
            reasons.append(SAME_CALLER)
        score = jaccard(mine, pairs(unkept(text, title)))
        if score >= conf["duplicate_similarity"]:
            reasons.append(SIMILAR)
        if reasons:
            out.append({"id": case_id, "title": title, "status": status, "score": round(score, 3), "reasons": reasons})
    out.sort(key=lambda c: (-len(c["reasons"]), -c["score"], c["id"]))
    return out


def similar(store, case_id: str) -> dict:
    """{id, days, threshold, candidates}: the cases received within duplicate_days of case
    `case_id` (before or after; not rejected or merged) that may be duplicates of it."""
    from jiesu.store import validate_id

    validate_id(case_id)
    conf = settings.load(store)["duplicates"]
    index = Index(store)
    columns = f"id, category, address_key, {CALLER_SQL}, text, received_ts"
    found = index.select(columns, "id = ?", (case_id,), order="")
    if not found:
        store.load_case(case_id)  # raises CaseNotFound with the usual message
        found = index.select(columns, "id = ?", (case_id,), order="")
    _, category, address_key, caller, packed, ts = found[0]
    title, text = index.texts(packed)
    text = unkept(text, title)
    cache: dict = {}
    subject = {"id": case_id, "category": category, "address_key": address_key, "folded": text,
               "callers": {canonical(store, caller, cache)} if caller else set()}
    when = datetime.fromtimestamp(ts, store.tz)
    span = timedelta(days=conf["duplicate_days"])
    return {"id": case_id, "received": timeutil.fmt(when), "days": conf["duplicate_days"],
            "threshold": conf["duplicate_similarity"],
            "candidates": candidates(store, subject, when - span, when + span, open_only=False)}
