"""The index columns the governance signals read: one tuple per case, worked out when it is indexed.

community, complainant kind, time-limit class, tags and flags as `|a|b|` (so `instr` finds one), the normalised
address key, the caller (`ref:P-000123` when the case has a private reference, else `ph:` and the
non-reversible key of its phone), the text duplicates are compared on (title and description,
phone numbers masked), and the weekday (0 = Monday) and hour received in the store's zone.
"""

from __future__ import annotations

from jiesu import privacy, timeutil
from jiesu.governance.addresses import address_key
from jiesu.governance.textfold import fold

FLAGS = ("frequent", "special_group", "confidential")


def _bars(values) -> str | None:
    values = [str(v) for v in values if v]
    return "|" + "|".join(values) + "|" if values else None


def caller_of(complainant: dict, key: str | None = None) -> str | None:
    """The caller key of a case's complainant (None for an anonymous request); `key`, when given,
    is `privacy.phone_key` of its phone, worked out already (the summary's `phone_key`)."""
    ref = complainant.get("ref")
    if isinstance(ref, str) and privacy.REF.match(ref):
        return "ref:" + ref
    phone = complainant.get("phone")
    if not phone:
        return None
    return "ph:" + (key if key and isinstance(phone, str) else privacy.phone_key(str(phone)))


def governance_columns(case: dict, row: dict, tz) -> tuple:
    comp = case.get("complainant") if isinstance(case.get("complainant"), dict) else {}
    received = timeutil.load(row["received"]) if row.get("received") else None
    local = received.astimezone(tz) if received and tz else received
    text = " ".join(str(case.get(k) or "") for k in ("title", "description") if isinstance(case.get(k), str))
    return (
        row.get("community") if isinstance(row.get("community"), str) else None,
        comp.get("kind") if isinstance(comp.get("kind"), str) else None,
        row.get("time_limit") if isinstance(row.get("time_limit"), str) else None,
        _bars(t for t in row.get("tags") or [] if isinstance(t, str)),
        _bars(f.replace("_", "-") for f in FLAGS if row.get(f)),
        address_key(row.get("address")),
        caller_of(comp, row.get("phone_key")),  # (the summary's key of the phone: one hash a case, not two)
        fold(privacy.scrub(text)) or None,  # folded for the duplicate check (jiesu.governance.textfold)
        local.weekday() if local else None,
        local.hour if local else None,
    )
