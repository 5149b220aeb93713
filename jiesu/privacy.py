"""Personal data: what stays in the shared case file, what lives only in `private/`, and masking.

A case file carries the complainant's surname and the call-back phone a unit needs — neither when
the case is confidential. Full names, other numbers, ID documents and home addresses live only in
`private/people/<ref>.yaml`, a separate git repository that the store ignores and `sync` never
pushes. Reports, exports, `list`, `log` and commit messages show phones masked (`151****6789`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from jiesu.errors import InvalidInput
from jiesu.store import yamlio
from jiesu.store.gitrepo import Git

_SEPARATORS = re.compile(r"[\s().\-]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}(?:(?:ext|x|#|转)\d{1,6})?$")
_INTL = re.compile(r"^\+[1-9]\d{6,14}(?:(?:ext|x|#)\d{1,6})?$")
_SHORT = re.compile(r"^(?:110|119|120|122|12345|95\d{3,4}|400\d{7}|800\d{7})$")
# phone numbers inside free text: international, Chinese mobile, landline with area code
_TEXT_PHONE = re.compile(
    r"(?<![\w+])(\+\d[\d \-]{6,16}\d"
    r"|1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}"
    r"|0\d{2,3}[ \-]?\d{7,8})(?![\w])"
)
REF = re.compile(r"^P-\d{6,}$")


def normalize_phone(raw: str, field: str = "--phone") -> str:
    """A phone number as callers give it, checked and normalised.

    Accepted: Chinese mobiles (13812345678, +86 138 1234 5678), landlines with area code and an
    optional extension (010-12345678, 0755 8888 8888 ext 12, 010-12345678转123), service
    numbers (12345, 400/800 lines), and international numbers in + form (+1 212 555 0100).
    """
    text = str(raw).strip()
    compact = _SEPARATORS.sub("", text).replace("转", "ext").replace("EXT", "ext").replace("X", "x")
    compact = compact.replace("ext", "ext")
    if compact.startswith("+86") and _MOBILE.match(compact[3:]):
        compact = compact[3:]
    elif compact.startswith("+86") and re.match(r"^\d{9,11}", compact[3:]):
        compact = "0" + compact[3:] if not compact[3:].startswith("0") else compact[3:]
    if _MOBILE.match(compact) or _LANDLINE.match(compact) or _INTL.match(compact) or _SHORT.match(compact):
        return compact
    raise InvalidInput(
        f"{field}: {text!r} is not a phone number; give a Chinese mobile (13812345678), a landline with "
        "area code (010-12345678, ext allowed) or an international number in + form (+1 212 555 0100)"
    )


def mask_phone(phone: str | None) -> str:
    """`151****6789`: enough to recognise, not enough to call."""
    if not phone:
        return ""
    digits = str(phone)
    ext = ""
    for marker in ("ext", "x", "#"):
        if marker in digits:
            digits, ext = digits.split(marker, 1)[0], "ext…"
            break
    if len(digits) <= 5:
        return digits[:1] + "*" * (len(digits) - 1)
    keep = 3 if not digits.startswith("+") else 4
    return digits[:keep] + "*" * max(len(digits) - keep - 4, 2) + digits[-4:] + (f" {ext}" if ext else "")


def mask_name(name: str | None) -> str:
    """A full name reduced to its first character and stars (王** / W***)."""
    if not name:
        return ""
    name = str(name).strip()
    return name[:1] + "*" * max(len(name) - 1, 1)


def scrub(text: str | None, names=()) -> str:
    """Free text with phone-like numbers masked and the given full names reduced."""
    if not text:
        return text or ""
    result = _TEXT_PHONE.sub(lambda m: mask_phone(re.sub(r"[\s\-]", "", m.group(1))), str(text))
    return hide_names(result, names)


def hide_names(text: str | None, names=()) -> str | None:
    """`text` with each full name in `names` reduced to 王** / Z*** (any case, any spacing)."""
    if not text:
        return text
    for name in names:
        if name and len(str(name).strip()) >= 2:
            pattern = r"\s+".join(re.escape(part) for part in str(name).split())
            text = re.sub(pattern, mask_name(" ".join(str(name).split())), text, flags=re.IGNORECASE)
    return text


def shared_text(text: str | None, names=(), confidential: bool = False) -> str | None:
    """Free text as the shared case file may carry it: full names (and, for a confidential
    complainant, phone numbers) belong in private/ only."""
    if not text:
        return text
    return scrub(text, names) if confidential else hide_names(text, names)


def phone_key(phone: str | None) -> str | None:
    """A stable, non-reversible key for grouping repeat callers (not stored in reports)."""
    if not phone:
        return None
    return hashlib.sha256(("jiesu-phone:" + phone).encode()).hexdigest()[:16]


class Private:
    """The `private/` repository of a store."""

    def __init__(self, store):
        self.store = store
        self.root = Path(store.root) / "private"
        self.git = Git(self.root)

    def exists(self) -> bool:
        return (self.root / ".git").exists()

    def ensure(self) -> None:
        if not self.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            self.git.run("init", "-q")
            (self.root / "README.md").write_text(
                "# Private complainant data\n\nFull names, other phone numbers, ID documents and home addresses.\n"
                "This repository is ignored by the store and never pushed by `jiesu sync`.\n",
                "utf-8",
            )
            self.git.run("add", "README.md")
            self.git.run("-c", "user.name=jiesu", "-c", "user.email=jiesu@localhost", "commit", "-q", "-m", "private data repository")

    def head(self) -> str | None:
        return self.git.head()

    def commit(self, paths: list[str], message: str, author: tuple[str, str]) -> None:
        self.ensure()
        self.git.commit(paths, message, author)

    def person_path(self, ref: str) -> str:
        if not REF.match(ref or ""):
            raise InvalidInput(f"private reference {ref!r}: expected P- and six digits")
        return f"people/{ref}.yaml"

    def phone_path(self, phone: str) -> str:
        return f"phones/{phone_key(phone)}"

    def lookup_phone(self, phone: str) -> str | None:
        """The person reference already recorded for this phone, if any."""
        path = self.root / self.phone_path(phone)
        if path.is_file():
            ref = path.read_text("utf-8").strip()
            return ref if REF.match(ref) else None
        return None

    def next_ref(self) -> str:
        folder = self.root / "people"
        numbers = [int(p.stem[2:]) for p in folder.glob("P-*.yaml") if p.stem[2:].isdigit()] if folder.is_dir() else []
        return f"P-{(max(numbers) + 1) if numbers else 1:06d}"

    def read(self, ref: str) -> dict | None:
        path = self.root / self.person_path(ref)
        if not path.is_file():
            return None
        data = yamlio.load_file(path, f"private/{self.person_path(ref)}")
        return data if isinstance(data, dict) else None

    def record(self, tx, case_id: str, person: dict) -> str:
        """Store a complainant's private data for a case (inside transaction `tx`); return the ref."""
        self.ensure()
        phone = person.get("phone")
        ref = self.lookup_phone(phone) if phone else None
        existing = self.read(ref) if ref else None
        if ref is None:
            ref = self.next_ref()
        record = dict(existing or {"ref": ref})
        for key in ("name", "surname", "phone", "other_phones", "id_document", "home_address"):
            value = person.get(key)
            if value:
                if key == "other_phones":
                    merged = list(record.get(key) or [])
                    merged += [v for v in value if v not in merged]
                    value = merged
                record[key] = value
        cases = list(record.get("cases") or [])
        if case_id not in cases:
            cases.append(case_id)
        record["cases"] = cases
        tx.write_private(self.person_path(ref), self.dump(record))
        if phone:
            tx.write_private(self.phone_path(phone), ref + "\n")
        return ref

    def names_for(self, case: dict) -> list[str]:
        """The full name recorded in private/ for a case's complainant (empty when none)."""
        ref = (case.get("complainant") or {}).get("ref")
        if not ref or not REF.match(str(ref)) or not self.exists():
            return []
        record = self.read(str(ref)) or {}
        return [record["name"]] if isinstance(record.get("name"), str) and record["name"].strip() else []

    def rename_case(self, tx, ref: str, old: str, new: str) -> None:
        """Point a person's record at a renumbered case (inside transaction `tx`)."""
        record = self.read(ref)
        if not record:
            return
        record["cases"] = [new if c == old else c for c in record.get("cases") or []]
        tx.write_private(self.person_path(ref), self.dump(record))

    @staticmethod
    def dump(record: dict) -> str:
        order = ("ref", "name", "surname", "phone", "other_phones", "id_document", "home_address", "cases")
        return yamlio.rt_dump(yamlio.cmap([(k, record[k]) for k in order if k in record]))
