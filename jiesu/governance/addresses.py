"""Address keys: one spelling for the many ways a caller gives the same address.

`address_key` folds what differs between spellings and not between places: letter case, the width
of digits and letters (full-width `１２号` is `12号`), traditional forms of the few characters
addresses use, spaces and punctuation, and common suffix variants (`号院` and `号`, `Road` and
`Rd`, a trailing `附近` "nearby"). Two requests whose keys are equal are at one address. Pure
functions: the index stores the key of every case.
"""

from __future__ import annotations

import re
import unicodedata

# traditional or variant characters → the form used in the key
_CHARS = str.maketrans({"號": "号", "樓": "楼", "棟": "栋", "幢": "栋", "區": "区", "門": "门", "東": "东",
                        "車": "车", "單": "单", "〇": "0", "－": "-", "—": "-"})
# words that vary after a number or a place name, folded to one form (applied in order)
_SUFFIXES = (
    (re.compile(r"号院"), "号"),
    (re.compile(r"号楼"), "栋"),
    (re.compile(r"单元门"), "单元"),
    (re.compile(r"\b(street|str)\b"), "st"),
    (re.compile(r"\broad\b"), "rd"),
    (re.compile(r"\bavenue\b"), "ave"),
    (re.compile(r"\b(lane)\b"), "ln"),
    (re.compile(r"\b(building|bldg)\b"), "bldg"),
    (re.compile(r"\b(number|no)\b"), ""),
)
# words at the end that say "around here" rather than name a place
_TRAILING = re.compile(r"(附近|旁边|旁|对面|门口|周边|一带|处|nearby|near|area|vicinity)+$")


def address_key(address: str | None) -> str | None:
    """The normalised key of an address (None when there is nothing to key)."""
    if not address or not isinstance(address, str):
        return None
    text = unicodedata.normalize("NFKC", address).translate(_CHARS).lower()
    for pattern, replacement in _SUFFIXES:
        text = pattern.sub(replacement, text)
    # keep letters and digits (any script); spaces, punctuation and symbols go
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")
    text = _TRAILING.sub("", text)
    return text or None
