"""The knowledge entries an operator is offered while a consultation is on the line.

Used by the interactive intake: the best matches for the words typed so far (title and
description) among the entries serving the chosen category first, then — marked as such — among
the other entries when the category's are fewer than asked; only entries that may be given as an answer now (active, inside their
validity) — a retired or expired entry is never offered.
"""

from __future__ import annotations

from jiesu.knowledge import files, record
from jiesu.knowledge.search import search


def suggestions(store, words: str, category: str | None = None, limit: int = 5) -> list[dict]:
    """[{id, version, question, categories, in_category}] best first, at most `limit`."""
    found = search(store, words, limit, category=category) if category else []
    for hit in found:
        hit["in_category"] = True
    if len(found) < limit:
        seen = {h["id"] for h in found}
        more = [h for h in search(store, words, limit + len(found)) if h["id"] not in seen]
        for hit in more:
            hit["in_category"] = False
        found += more[: limit - len(found)]
    return found


def answer_text(store, entry_id: str) -> str:
    """The latest version's answer of an entry, as the operator reads it to the caller."""
    return str(record.version(files.load_entry(store, entry_id)).get("answer") or "")
