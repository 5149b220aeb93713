"""Texts folded for comparison: letters and digits only, one case and one width.

Duplicate detection compares the character bigrams of folded texts (`jiesu.governance.duplicates`);
the read index keeps each case's text folded already (packed with its title in the column `text`,
as `kept` makes it: nothing where it is the title's), so that a comparison folds at most the
titles, not whole descriptions.
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata

_NOT_WORD = re.compile(r"[\W_]+")
# what `_NOT_WORD` drops of ASCII: every character that is not a letter or a digit
_ASCII_NOT_WORD = str.maketrans({chr(code): None for code in range(128) if not chr(code).isalnum()})


def fold(text: str | None) -> str:
    """`text` with spaces and punctuation dropped, NFKC-normalized and lower-cased."""
    text = text or ""
    if text.isascii():  # (NFKC leaves ASCII as it is; a table drops the rest in a third of the time)
        return text.lower().translate(_ASCII_NOT_WORD)
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def kept(folded: str | None, title) -> str | None:
    """What the read index keeps of a case's folded text, which starts with its title's (folded
    texts hold letters and digits alone): nothing when it is the title's alone (a case with no
    description), "+" and the rest when the title's starts it, '' when there is none, else itself."""
    head = fold(title if isinstance(title, str) else None)
    if folded == head:
        return None
    if folded and head and folded.startswith(head):
        return "+" + folded[len(head):]
    return folded or ""


@functools.lru_cache(maxsize=8192)
def _folded_title(title: str | None) -> str:
    """`fold(title)`, remembered: a duplicate search folds the title of every case in its window,
    and many share their title (worded from the same template, or the same request again)."""
    return fold(title)


def unkept(stored: str | None, title: str | None) -> str | None:
    """The folded text of a case from what `kept` made of it and its title."""
    if stored is None:
        return _folded_title(title) or None
    if stored.startswith("+"):
        return _folded_title(title) + stored[1:]
    return stored or None


def pairs(folded: str | None) -> frozenset:
    """The set of adjacent character pairs of a folded text."""
    folded = folded or ""
    return frozenset(map(operator.add, folded, folded[1:]))  # each character and the next: a third quicker than slicing
