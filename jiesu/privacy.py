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
from typing import TYPE_CHECKING

from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.store import yamlio
from jiesu.store.gitwrite import Git

if TYPE_CHECKING:
    from jiesu.redact import Redacted


def redact(text, names=(), region=None):
    """jiesu/redact.py's masking, imported when first needed (its patterns take a while to build)."""
    from jiesu.redact import redact as masked

    return masked(text, names, region)


def name_forms(name):
    from jiesu.redact import name_forms as forms

    return forms(name)


def same_name(forms, name) -> bool:
    from jiesu.redact import same_name as same

    return same(forms, name)


_SEPARATORS = re.compile(r"[\s().\-]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}(?:(?:ext|x|#|转)\d{1,6})?$")
_INTL = re.compile(r"^\+[1-9]\d{6,14}(?:(?:ext|x|#)\d{1,6})?$")
_SHORT = re.compile(r"^(?:110|119|120|122|12345|95\d{3,4}|400\d{7}|800\d{7})$")
REF = re.compile(r"^P-\d{6,}$")
PURGED = "purged"  # refs whose record retention removed (cases still name them)


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
        _('{field}: {text!r} is not a phone number; give a Chinese mobile (13812345678), a landline with area code (010-12345678, ext allowed) or an international number in + form (+1 212 555 0100)').format(field=field, text=text)
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


def scrub(text: str | None, names=(), region: str | None = None) -> str:
    """Free text with phone numbers, resident ID numbers and the given name forms masked
    (jiesu/redact.py); what every shared file, commit message, report and export carries."""
    return redact(text, names, region).text or ""


def shared_text(text: str | None, names=(), region: str | None = None) -> Redacted:
    """Free text as the shared case file may carry it, for every case, confidential or not:
    the full text belongs in private/ only."""
    return redact(text, names, region)


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
            self.git.init(None)
            (self.root / "README.md").write_text(
                "# Private complainant data\n\nFull names, other phone numbers, ID documents and home addresses.\n"
                "This repository is ignored by the store and never pushed by `jiesu sync`.\n",
                "utf-8",
            )
            self.git.add("README.md")
            self.git.commit_staged("private data repository", config=("-c", "user.name=jiesu", "-c", "user.email=jiesu@localhost"), hooks=True)

    def head(self) -> str | None:
        return self.git.head()

    def commit(self, paths: list[str], message: str, author: tuple[str, str]) -> None:
        self.ensure()
        self.git.commit(paths, message, author)

    def undo(self, head: str | None, paths: list[str]) -> None:
        """Put `paths` back as they were at `head` (before a write that did not land), taking
        back the private commit that write made, if it made one."""
        if not self.exists():
            return
        current = self.head()
        if head and current and current != head:
            self.git.update_ref("HEAD", head, current, "jiesu: undo private data of a write that did not land")
        self.git.restore(paths)

    def person_path(self, ref: str) -> str:
        if not REF.match(ref or ""):
            raise InvalidInput(_('private reference {ref!r}: expected P- and six digits').format(ref=ref))
        return f"people/{ref}.yaml"

    def phone_path(self, phone: str) -> str:
        return f"phones/{phone_key(phone)}"

    def texts_path(self, case_id: str) -> str:
        return f"texts/{case_id}.yaml"

    def refs_for_phone(self, phone: str) -> list[str]:
        """Every person recorded with this phone (a household phone links several)."""
        path = self.root / self.phone_path(phone)
        if not path.is_file():
            return []
        return [line.strip() for line in path.read_text("utf-8").splitlines() if REF.match(line.strip())]

    def lookup_phone(self, phone: str) -> str | None:
        """The first person reference recorded for this phone, if any."""
        refs = self.refs_for_phone(phone)
        return refs[0] if refs else None

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

    def find(self, person: dict) -> str | None:
        """The person already on record: the same phone **and** the same name.

        A phone alone does not identify anyone (a household, a shop, an office share one): a
        different name on a known phone is a new person, linked to the others by that phone.
        Without a full name, the same surname decides, or — with no name at all — the one
        nameless record on that phone, or the only person recorded with it.
        """
        phone = person.get("phone")
        if not phone:
            return None
        people = [(ref, self.read(ref) or {}) for ref in self.refs_for_phone(phone)]
        name, surname = person.get("name"), str(person.get("surname") or "").casefold()
        if name:
            for ref, record in people:
                if record.get("name") and same_name(record.get("name_forms") or name_forms(record["name"]), name):
                    return ref
            for ref, record in people:
                if not record.get("name") and str(record.get("surname") or "").casefold() in ("", surname):
                    return ref
            return None
        if surname:
            matching = [ref for ref, record in people if str(record.get("surname") or "").casefold() == surname]
            return matching[0] if len(matching) == 1 else None
        nameless = [ref for ref, record in people if not record.get("name") and not record.get("surname")]
        if nameless:
            return nameless[0]
        return people[0][0] if len(people) == 1 else None

    def record(self, tx, case_id: str, person: dict) -> str:
        """Store a complainant's private data for a case (inside transaction `tx`); return the ref.

        A known person (same phone and name) gets the case added; their name is never replaced
        by another caller's. Anyone else gets a record of their own.
        """
        self.ensure()
        phone = person.get("phone")
        ref = self.find(person)
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
                elif key in ("name", "surname", "phone") and record.get(key):
                    continue  # who the record is about never changes
                record[key] = value
        if record.get("name") and not record.get("name_forms"):
            record["name_forms"] = name_forms(record["name"])
        cases = list(record.get("cases") or [])
        if case_id not in cases:
            cases.append(case_id)
        record["cases"] = cases
        tx.write_private(self.person_path(ref), self.dump(record))
        if phone:
            refs = self.refs_for_phone(phone)
            if ref not in refs:
                tx.write_private(self.phone_path(phone), "".join(f"{r}\n" for r in [*refs, ref]))
        return ref

    def household(self, ref: str) -> list[str]:
        """The other people recorded with one of this person's phones (`P-000002 李四`)."""
        record = self.read(ref) or {}
        others = []
        for phone in [record.get("phone"), *(record.get("other_phones") or [])]:
            for other in self.refs_for_phone(str(phone)) if phone else []:
                if other != ref and other not in others:
                    others.append(other)
        return [f"{other} {(self.read(other) or {}).get('name') or ''}".rstrip() for other in others]

    def names_for(self, case: dict) -> list[str]:
        """The name forms recorded in private/ for a case's complainant (empty when none)."""
        ref = (case.get("complainant") or {}).get("ref")
        if not ref or not REF.match(str(ref)) or not self.exists():
            return []
        record = self.read(str(ref)) or {}
        if not isinstance(record.get("name"), str) or not record["name"].strip():
            return []
        forms = record.get("name_forms")
        if isinstance(forms, list) and all(isinstance(f, str) for f in forms):
            return forms
        return name_forms(record["name"])

    def keep_texts(self, tx, case_id: str, fields: dict | None = None, event: str | None = None, event_fields: dict | None = None) -> None:
        """Keep the full text of what was masked in the shared file (inside transaction `tx`):
        case fields (title, description, address) or one event's fields, for `show --reveal`."""
        self.ensure()
        rel = self.texts_path(case_id)
        path = self.root / rel
        if rel in tx.private_texts:
            data = tx.private_texts[rel]
        else:
            data = (yamlio.load_file(path, f"private/{rel}") if path.is_file() else None) or {}
        data = dict(data) if isinstance(data, dict) else {}
        data["case"] = case_id
        if fields:
            data["fields"] = {**(data.get("fields") or {}), **fields}
        if event and event_fields:
            data["events"] = {**(data.get("events") or {}), event: dict(event_fields)}
        if tx.batch:
            tx.private_texts[rel] = data  # written with the batch's other files (Transaction.flush)
        else:
            tx.write_private(rel, self.texts_text(data))

    @staticmethod
    def texts_text(data: dict) -> str:
        """The text of a case's private texts file."""
        return yamlio.rt_dump(yamlio.cmap([(k, data[k]) for k in ("case", "fields", "events") if data.get(k)]))

    def texts(self, case_id: str) -> dict:
        """The full texts kept for a case (`fields`, `events`), empty when nothing was masked."""
        path = self.root / self.texts_path(case_id)
        if not path.is_file():
            return {}
        data = yamlio.load_file(path, f"private/{self.texts_path(case_id)}")
        return data if isinstance(data, dict) else {}

    def reveal(self, case: dict) -> tuple[dict, dict]:
        """(the case with its full texts put back, the complainant's private record)."""
        ref = (case.get("complainant") or {}).get("ref")
        person = dict((self.read(str(ref)) if ref and REF.match(str(ref)) and self.exists() else None) or {})
        if person and case.get("id") not in (person.get("cases") or []):
            # the same number given by another desk's private/: not this case's complainant
            person = {"note": f"the private data of this case is kept where it was received (this {ref} is someone else)"}
        elif person:
            person.pop("name_forms", None)
            household = self.household(str(ref))
            if household:
                person["household"] = household
        kept = self.texts(str(case.get("id"))) if self.exists() else {}
        if not kept:
            return case, person
        case = dict(case)
        for key, value in (kept.get("fields") or {}).items():
            if key == "address":
                case["location"] = dict(case.get("location") or {}, address=value)
            elif key in ("title", "description"):
                case[key] = value
        by_event = kept.get("events") or {}
        case["events"] = [dict(e, **by_event[e.get("id")]) if isinstance(e, dict) and isinstance(by_event.get(e.get("id")), dict) else e
                          for e in case.get("events") or []]
        return case, person

    def rename_case(self, tx, ref: str, old: str, new: str) -> None:
        """Point a person's record at a renumbered case (inside transaction `tx`)."""
        record = self.read(ref)
        if not record:
            return
        record["cases"] = [new if c == old else c for c in record.get("cases") or []]
        tx.write_private(self.person_path(ref), self.dump(record))

    def rename_texts(self, tx, old: str, new: str) -> None:
        """Move the full texts kept for a renumbered case (inside transaction `tx`)."""
        kept = self.texts(old)
        if kept:
            self.keep_texts(tx, new, kept.get("fields"))
            for event, fields in (kept.get("events") or {}).items():
                self.keep_texts(tx, new, event=event, event_fields=fields)
            tx.remove_private(self.texts_path(old))

    @staticmethod
    def dump(record: dict) -> str:
        order = ("ref", "name", "surname", "phone", "other_phones", "id_document", "home_address", "name_forms", "cases")
        return yamlio.rt_dump(yamlio.cmap([(k, record[k]) for k in order if k in record]))
