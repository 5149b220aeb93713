"""Reading attachments back: where an attachment's content lives, its bytes checked against the
recorded sha256, and `verify`'s check of every attachment of every case (writing them:
`jiesu.ops.attach`)."""

from __future__ import annotations

import hashlib

from jiesu.errors import InvalidInput, StoreError
from jiesu.i18n import _
from jiesu.problems import Problem
from jiesu.store import Store, yamlio


def relpath(sha256: str, private: bool) -> str:
    """Where an attachment's content lives: in the store, or (private) in private/."""
    return f"attachments/{sha256[:2]}/{sha256}"


def find(case: dict, name: str) -> dict:
    events = [e for e in case.get("events") or [] if isinstance(e, dict) and e.get("action") == "attach" and not e.get("superseded")]
    for event in events:
        if event.get("name") == name:
            return event
    have = ", ".join(str(e.get("name")) for e in events) or _("none")
    raise InvalidInput(_('NAME: {id} has no attachment {name!r}; its attachments: {have}').format(id=case.get('id'), name=name, have=have))


def content(store: Store, event: dict) -> bytes:
    """An attachment's bytes, checked against its recorded hash."""
    rel = relpath(str(event.get("sha256")), bool(event.get("private")))
    base = store.private.root if event.get("private") else store.root
    path = base / rel
    if not path.is_file():
        where = _("private/ (private attachments stay in this office's private repository)") if event.get("private") else _('the store')
        raise StoreError(_('attachment {name}: {rel} is missing from {where}').format(name=event.get('name'), rel=rel, where=where))
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != event.get("sha256"):
        raise StoreError(_('attachment {name}: {rel} was altered (its sha256 no longer matches the event)').format(name=event.get('name'), rel=rel),
                         hint=_('run `jiesu verify`'))
    return data


def check(store: Store, case: dict, rel: str) -> list[Problem]:
    """A problem for every attachment of a case whose content is missing or altered: an error, or
    a warning for a private one absent from this clone (private data is never synced)."""
    out = []
    for event in case.get("events") or []:
        if not isinstance(event, dict) or event.get("action") != "attach" or event.get("superseded"):
            continue
        try:
            content(store, event)
        except StoreError as exc:
            private_absent = event.get("private") and not (store.private.root / relpath(str(event.get("sha256")), True)).exists()
            out.append(Problem(rel, 1, exc.message, "warning" if private_absent else "error"))
    return out


def check_all(store: Store, files: list[str]) -> list[Problem]:
    """Problems of every attachment in the store (see `check`)."""
    problems = []
    for rel in files:
        try:
            text = (store.root / rel).read_text("utf-8", "replace")
        except OSError:
            continue
        if "action: attach" not in text:
            continue
        try:
            case = yamlio.load(text, rel)
        except yamlio.YamlProblem:
            continue
        if isinstance(case, dict):
            problems += check(store, case, rel)
    return problems
