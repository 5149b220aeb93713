"""Attachments (`jiesu attach`): call recordings, photos and documents kept with a case.

Content-addressed: the file is stored once as `attachments/<sha256[:2]>/<sha256>` in the store
(shared, synced with the cases) or as `private/attachments/<sha256[:2]>/<sha256>` in the private
repository (never synced; the default for audio, since a call recording is personal data). The
`attach` event records name, kind, size, hash and whether it is private; `verify` checks every
hash. The size is capped by `max_attachment_mb` in jiesu.yaml (default 20).
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from jiesu import textcheck
from jiesu.errors import InvalidInput, StoreError
from jiesu.ops.common import Result, change
from jiesu.store import Store, yamlio

KINDS = ("audio", "photo", "document")
SUFFIXES = {"audio": (".wav", ".mp3", ".m4a", ".amr", ".ogg", ".aac", ".flac"),
            "photo": (".jpg", ".jpeg", ".png", ".gif", ".heic", ".webp", ".bmp")}


def relpath(sha256: str, private: bool) -> str:
    """Where an attachment's content lives: in the store, or (private) in private/."""
    return f"attachments/{sha256[:2]}/{sha256}"


def guess_kind(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return next((k for k, ends in SUFFIXES.items() if suffix in ends), "document")


def _read(path: str, cap_mb: float) -> bytes:
    """The file's content; refused when it is missing, not a regular file, a link, or too large."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise InvalidInput(f"FILE: {path}: no such file") from None
    except OSError as exc:
        raise InvalidInput(f"FILE: {path}: cannot read ({exc.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        raise InvalidInput(f"FILE: {path} is a symbolic link; attach the file it points to")
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInput(f"FILE: {path} is a directory; attach one file")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput(f"FILE: {path} is not a regular file")
    if info.st_size > cap_mb * 1024 * 1024:
        raise InvalidInput(f"FILE: {path} is {info.st_size / 1048576:.1f} MB, over the cap of {cap_mb:g} MB "
                           "(max_attachment_mb in jiesu.yaml)")
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise InvalidInput(f"FILE: {path}: cannot read ({exc.strerror})") from None


def attach(store: Store, case_id: str, actor: str, path: str, kind: str | None = None, private: bool | None = None,
           name: str | None = None, at=None, tx=None) -> Result:
    """Keep a file with a case; the event records name, kind, size and sha256."""
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"--kind: {kind!r}; allowed: {', '.join(KINDS)}")
    data = _read(str(path), store.settings["max_attachment_mb"])
    label = textcheck.text(name or Path(path).name, "--name", required=True, multiline=False)
    if "/" in label or "\\" in label or label in (".", ".."):
        raise InvalidInput(f"--name: {label!r}: an attachment's name has no folders")
    kind = kind or guess_kind(label)
    private = (kind == "audio") if private is None else bool(private)
    digest = hashlib.sha256(data).hexdigest()

    def build(case, state, when):
        taken = [e for e in case.get("events") or [] if isinstance(e, dict) and e.get("action") == "attach"
                 and e.get("name") == label and not e.get("superseded")]
        if taken:
            raise InvalidInput(f"--name: {case_id} already has an attachment {label!r}; give another --name")
        return {"name": label, "kind": kind, "size": len(data), "sha256": digest, "private": True if private else None}

    def extra(tx_, case, event):
        rel = relpath(digest, private)
        if private:
            if not (store.private.root / rel).exists():
                tx_.write_private(rel, data)
        elif not (store.root / rel).exists():
            tx_.write(rel, data)
        return ()

    return change(store, case_id, "attach", actor, at, build,
                  lambda ev: f"{ev['name']} ({ev['kind']}, {ev['size']} bytes{', private' if ev.get('private') else ''})",
                  extra, tx=tx)


def find(case: dict, name: str) -> dict:
    events = [e for e in case.get("events") or [] if isinstance(e, dict) and e.get("action") == "attach" and not e.get("superseded")]
    for event in events:
        if event.get("name") == name:
            return event
    have = ", ".join(str(e.get("name")) for e in events) or "none"
    raise InvalidInput(f"NAME: {case.get('id')} has no attachment {name!r}; its attachments: {have}")


def content(store: Store, event: dict) -> bytes:
    """An attachment's bytes, checked against its recorded hash."""
    rel = relpath(str(event.get("sha256")), bool(event.get("private")))
    base = store.private.root if event.get("private") else store.root
    path = base / rel
    if not path.is_file():
        where = "private/ (private attachments stay in this office's private repository)" if event.get("private") else "the store"
        raise StoreError(f"attachment {event.get('name')}: {rel} is missing from {where}")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != event.get("sha256"):
        raise StoreError(f"attachment {event.get('name')}: {rel} was altered (its sha256 no longer matches the event)",
                         hint="run `jiesu verify`")
    return data


def extract(store: Store, case_id: str, name: str, out: str) -> Path:
    """Write one attachment to `out` (refused if `out` exists)."""
    from jiesu.store import validate_id

    case = store.load_case(validate_id(case_id))
    event = find(case, name)
    data = content(store, event)
    target = Path(out)
    if target.exists() or target.is_symlink():
        raise InvalidInput(f"--out: {out} already exists; choose a new path")
    if not target.parent.is_dir():
        raise InvalidInput(f"--out: folder {target.parent} does not exist")
    yamlio.atomic_write(target, data)
    return target


def check(store: Store, case: dict, rel: str) -> list[tuple[str, str]]:
    """(severity, message) for every attachment of a case whose content is missing or altered."""
    out = []
    for event in case.get("events") or []:
        if not isinstance(event, dict) or event.get("action") != "attach" or event.get("superseded"):
            continue
        try:
            content(store, event)
        except StoreError as exc:
            private_absent = event.get("private") and not (store.private.root / relpath(str(event.get("sha256")), True)).exists()
            out.append(("warning" if private_absent else "error", f"{rel}: {exc.message}"))
    return out


def verify_all(store: Store, files: list[str]) -> list:
    """Problems of every attachment in the store: a missing or altered shared file is an error; a
    private one absent from this clone (private data is never synced) is a warning."""
    from jiesu.verify import Problem

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
            problems += [Problem(rel, 1, message.split(": ", 1)[1], severity) for severity, message in check(store, case, rel)]
    return problems
