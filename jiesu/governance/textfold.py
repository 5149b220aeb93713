"""Texts folded for comparison: letters and digits only, one case and one width.

Duplicate detection compares the character bigrams of folded texts (`jiesu.governance.duplicates`);
the read index keeps each case's text folded already (its `dup_text` column), so that a comparison
folds one text rather than hundreds.
"""

from __future__ import annotations

import operator
import re
import unicodedata

_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str | None) -> str:
    """`text` with spaces and punctuation dropped, NFKC-normalized and lower-cased."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text or "").lower())


def pairs(folded: str | None) -> frozenset:
    """The set of adjacent character pairs of a folded text."""
    folded = folded or ""
    return frozenset(map(operator.add, folded, folded[1:]))  # each character and the next: a third quicker than slicing
