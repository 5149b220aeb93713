"""Personal data inside free text: phone numbers, resident ID numbers, the complainant's name.

Every text a person types that reaches a shared file (titles, descriptions, addresses, notes,
summaries, reasons — typed, imported or merged) goes through `redact` before it is written, so
the shared case file, the commit message and everything built from them carry `139****6666`,
`110***********1234` and `张**` instead. Detection is made for recall: Google's libphonenumber
(`phonenumbers`) finds numbers in the office's region and abroad, a second pass finds what it
leaves next to CJK or Latin letters (`电话13955556666`, `tel13955556666`), local numbers without
an area code and extensions (`转123`); dates, times, case ids and decimals are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

DEFAULT_REGION = "CN"
# full-width ASCII (ＡＢＣ１２３（）－＋) and the ideographic space, one character for one
_HALF = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_DIGITS = re.compile(r"\d")
_MIN_DIGITS = 7  # the shortest number worth hiding: a local number without area code (555-0199)
# A run of digits with up to two separators between groups: 139 5555 6666, (010)6677-8899, +86-139…
_RUN = re.compile(r"\+?(?:\(\d{1,4}\)[ \-.]?)?\d(?:[ \-.()]{0,2}\d)*")
_EXTENSION = re.compile(r"\s?(?:转|分机|ext\.?|x|#)\s?\d{1,6}(?!\d)", re.IGNORECASE)
# what looks like a run of digits but is not a phone number: dates, times, case ids, decimals
_NOT_PHONES = re.compile(
    r"(?:19|20)\d\d[-./年]\d{1,2}[-./月]\d{1,2}(?!\d)"       # 2021-11-02, 2021.11.02, 2021年11月2
    r"|\d{1,2}[./]\d{1,2}[./](?:19|20)\d\d(?!\d)"            # 02.11.2021
    r"|(?<!\d)(?<!\d[ \-.])(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?![ \-.]?\d)"  # 20211102
    r"|\d{1,2}:\d\d(?::\d\d)?"                               # 10:02, 10:02:33
    r"|[A-Z][A-Z0-9]{0,9}-\d{4}-\d{4,}"                      # HL-2111-0069
    r"|(?<=#)\d[\d\-]*"                                       # #14-00649004 (a reference number)
    r"|(?<![\d.])\d{1,3}\.\d{3,}(?![\d.])"                   # 116.407526 (coordinates)
    r"|(?<![\d.])\d+\.\d{1,2}(?![\d.])"                      # 1234567.50 (amounts)
)
_ID = re.compile(r"(?<!\d)(\d{6})[ \-]?(\d{8})[ \-]?(\d{3}[\dXx])(?![\dA-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NAME_SEP = r"[\s\-'’·.,，_]*"
_NAME_SEP_NO_COMMA = r"[\s\-'’·._]*"


@dataclass
class Redacted:
    """A text with personal data masked, and what kinds were found (phone, id, name)."""

    text: str | None
    kinds: set = field(default_factory=set)

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def halfwidth(text: str) -> str:
    """`text` with full-width letters, digits and punctuation made ASCII (same length)."""
    return text.translate(_HALF)


def valid_resident_id(number: str) -> bool:
    """An 18-character Chinese resident ID whose last character is its ISO 7064 MOD 11-2 check."""
    if not re.fullmatch(r"\d{17}[\dXx]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17].upper()


def mask_digits(digits: str) -> str:
    """`139****6666`: the first three and last four digits of a number (a + form keeps four)."""
    keep = 4 if digits.startswith("+") else 3
    if len(digits) <= keep + 4:
        return digits[:2] + "*" * (len(digits) - 2)
    return digits[:keep] + "*" * (len(digits) - keep - 4) + digits[-4:]


def mask_span(text: str) -> str:
    """A found name reduced to its first character and stars (张** / Z***********)."""
    return text[:1] + "*" * max(len(text) - 1, 1)


def _ids(plain: str) -> list[tuple[int, int, str]]:
    found = []
    for m in _ID.finditer(plain):
        number = "".join(m.groups())
        if valid_resident_id(number):
            found.append((m.start(), m.end(), number[:3] + "*" * 11 + number[-4:].upper()))
    return found


def _phone_replacement(plain: str, start: int, end: int) -> tuple[int, str]:
    """The masked form of the number at plain[start:end], and where it ends with its extension."""
    digits = "".join(_DIGITS.findall(plain[start:end]))
    if plain[start:end].lstrip().startswith("+"):
        digits = "+" + digits
    masked = mask_digits(digits)
    ext = _EXTENSION.match(plain, end)
    if ext:
        marker = re.match(r"\s?(\D+?)\s?\d", ext.group(0)).group(1)
        masked += marker + "*" * len(_DIGITS.findall(ext.group(0)))
        end = ext.end()
    return end, masked


def _phones(plain: str, blanked: str, region: str, taken: list) -> list[tuple[int, int, str]]:
    """Phone numbers in `plain` (`blanked`: the same with dates, times and ids hidden)."""
    spans = []

    def free(start, end):
        return all(end <= s or start >= e for s, e, _ in taken + spans)

    try:
        import phonenumbers

        matches = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(plain, region, leniency=phonenumbers.Leniency.VALID)]
    except Exception:  # noqa: BLE001 — an unknown region or a library hiccup: the second pass still runs
        matches = []
    for start, end in matches:
        if free(start, end):
            end, masked = _phone_replacement(plain, start, end)
            spans.append((start, end, masked))
    for m in _RUN.finditer(blanked):
        start, end = m.start(), m.end()
        while end > start and not blanked[end - 1].isdigit():
            end -= 1
        if len(_DIGITS.findall(blanked[start:end])) >= _MIN_DIGITS and free(start, end):
            end, masked = _phone_replacement(plain, start, end)
            spans.append((start, end, masked))
    return spans


def _normalized(text: str) -> tuple[str, list[int]]:
    """`text` folded for name matching (no accents, no case, half-width), with each folded
    character's position in `text`."""
    out, where = [], []
    for index, char in enumerate(halfwidth(text)):
        for piece in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(piece):
                continue
            for folded in piece.casefold():
                out.append(folded)
                where.append(index)
    return "".join(out), where


@lru_cache(maxsize=256)
def _name_pattern(form: str):
    """One regular expression for a name form in its common spellings: any case, with or without
    spaces or hyphens, surname first or given name first (pinyin), accents or none."""
    if _CJK.search(form):
        chars = [c for c in form if not c.isspace() and c not in "·."]
        if len(chars) < 2:
            return None
        return re.compile(r"[\s·]*".join(re.escape(c) for c in chars))
    folded, _ = _normalized(form)
    tokens = [t for t in re.split(r"[^a-z0-9]+", folded) if t]
    if sum(len(t) for t in tokens) < 4:
        return None
    # as given (ZHANG, Weiguo: a comma may follow the surname), and given name first
    alternatives = {_NAME_SEP.join(re.escape(c) for c in "".join(tokens))}
    for order in (tokens[1:] + tokens[:1], tokens[-1:] + tokens[:-1]):
        alternatives.add(_NAME_SEP_NO_COMMA.join(re.escape(c) for c in "".join(order)))
    return re.compile(r"(?<![a-z])(?:" + "|".join(sorted(alternatives, key=len, reverse=True)) + r")(?![a-z])")


def _names(text: str, forms) -> list[tuple[int, int]]:
    patterns = [p for p in (_name_pattern(" ".join(str(f).split())) for f in forms if f and str(f).strip()) if p]
    if not patterns:
        return []
    folded, where = _normalized(text)
    spans = []
    for pattern in patterns:
        for m in pattern.finditer(folded):
            if m.end() > m.start():
                spans.append((where[m.start()], where[m.end() - 1] + 1))
    return spans


def name_forms(name: str | None) -> list[str]:
    """A full name and its pinyin readings (for a name in Chinese characters): what to look for.

    `张伟国` gives `张伟国`, `zhang wei guo`; a surname or given name with several readings gives
    each (曾 zeng/ceng, 单 shan/dan/chan), at most eight in all.
    """
    if not name or not str(name).strip():
        return []
    name = " ".join(str(name).split())
    forms = [name]
    chars = [c for c in name if _CJK.match(c)]
    if chars:
        from itertools import islice, product

        readings = [_readings(c) for c in chars]
        for combo in islice(product(*readings), 8):
            syllables = list(combo)
            forms.append(" ".join(syllables))
            if any("v" in s for s in syllables):  # lü is written lv, lu or lyu
                forms.append(" ".join(s.replace("v", "u") for s in syllables))
                forms.append(" ".join(s.replace("v", "yu") for s in syllables))
    return list(dict.fromkeys(forms))


def _readings(char: str) -> list[str]:
    """The pinyin readings of one character without tones (`曾` → zeng, ceng), from pypinyin's
    table (read per character: a name is no phrase, and the phrase model costs a second to load)."""
    from pypinyin.pinyin_dict import pinyin_dict

    marked = pinyin_dict.get(ord(char), "")
    out = []
    for reading in marked.split(","):
        plain = ""
        for piece in unicodedata.normalize("NFKD", reading):
            if piece == "\u0308":  # ü is written v in plain pinyin (lv); name_forms adds lu and lyu
                plain = plain[:-1] + "v"
            elif not unicodedata.combining(piece):
                plain += piece
        if plain and plain not in out:
            out.append(plain)
    return out or [char]


def same_name(forms, candidate: str | None) -> bool:
    """True when `candidate` is one of the spellings of the name given by `forms`."""
    if not candidate or not str(candidate).strip():
        return False
    text = " ".join(str(candidate).split())
    folded, _ = _normalized(text)
    for form in forms:
        pattern = _name_pattern(" ".join(str(form).split()))
        if pattern is not None and pattern.fullmatch(folded.strip()):
            return True
    return False


def redact(text: str | None, names=(), region: str | None = None) -> Redacted:
    """`text` with phone numbers, resident ID numbers and the given name forms masked."""
    if not text:
        return Redacted(text)
    text = str(text)
    if not names and len(_DIGITS.findall(text)) < _MIN_DIGITS:  # (`halfwidth` makes no digit, unmakes none)
        return Redacted(text)  # no name to look for, and too few digits for a number to hide
    plain = halfwidth(text)
    spans: list[tuple[int, int, str, str]] = []
    blanked = _NOT_PHONES.sub(lambda m: "\0" * len(m.group()), plain)
    if any(len(_DIGITS.findall(m.group())) >= _MIN_DIGITS for m in _RUN.finditer(blanked)):  # else nothing to find
        ids = _ids(plain)
        spans += [(s, e, r, "id") for s, e, r in ids]
        spans += [(s, e, r, "phone") for s, e, r in _phones(plain, blanked, region or DEFAULT_REGION, ids)]
    merged: list[list[int]] = []
    for start, end in sorted(_names(text, names)):  # two spellings may overlap: mask their union
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        if all(end <= s or start >= e for s, e, _, _ in spans):
            spans.append((start, end, mask_span(text[start:end]), "name"))
    if not spans:
        return Redacted(text)
    out, last, kinds = [], 0, set()
    for start, end, replacement, kind in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], replacement]
        last = end
        kinds.add(kind)
    out.append(text[last:])
    return Redacted("".join(out), kinds)


KIND_WORDS = {"name": "the complainant's full name", "phone": "phone numbers", "id": "ID numbers"}


def describe(kinds) -> str:
    """`the complainant's full name and phone numbers`: what was masked, for a note."""
    words = [KIND_WORDS[k] for k in ("name", "phone", "id") if k in kinds]
    return " and ".join(filter(None, [", ".join(words[:-1]), words[-1]])) if words else "nothing"
