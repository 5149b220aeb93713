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
from jiesu.attachments import content, find, relpath  # noqa: F401 — the reading side, used here and re-exported
from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.ops.common import Result, change
from jiesu.store import Store, yamlio

KINDS = ("audio", "photo", "document")
SUFFIXES = {"audio": (".wav", ".mp3", ".m4a", ".amr", ".ogg", ".aac", ".flac"),
            "photo": (".jpg", ".jpeg", ".png", ".gif", ".heic", ".webp", ".bmp")}


def guess_kind(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return next((k for k, ends in SUFFIXES.items() if suffix in ends), "document")


def _read(path: str, cap_mb: float) -> bytes:
    """The file's content; refused when it is missing, not a regular file, a link, or too large."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise InvalidInput(_('FILE: {path}: no such file').format(path=path)) from None
    except OSError as exc:
        raise InvalidInput(_('FILE: {path}: cannot read ({strerror})').format(path=path, strerror=exc.strerror)) from None
    if stat.S_ISLNK(info.st_mode):
        raise InvalidInput(_('FILE: {path} is a symbolic link; attach the file it points to').format(path=path))
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInput(_('FILE: {path} is a directory; attach one file').format(path=path))
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput(_('FILE: {path} is not a regular file').format(path=path))
    if info.st_size > cap_mb * 1024 * 1024:
        raise InvalidInput(_('FILE: {path} is {value:.1f} MB, over the cap of {cap_mb:g} MB (max_attachment_mb in jiesu.yaml)').format(path=path, value=info.st_size / 1048576, cap_mb=cap_mb))
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise InvalidInput(_('FILE: {path}: cannot read ({strerror})').format(path=path, strerror=exc.strerror)) from None


def attach(store: Store, case_id: str, actor: str, path: str, kind: str | None = None, private: bool | None = None,
           name: str | None = None, at=None, tx=None) -> Result:
    """Keep a file with a case; the event records name, kind, size and sha256."""
    if kind is not None and kind not in KINDS:
        raise InvalidInput(_('--kind: {kind!r}; allowed: {items}').format(kind=kind, items=', '.join(KINDS)))
    data = _read(str(path), store.settings["max_attachment_mb"])
    label = textcheck.text(name or Path(path).name, "--name", required=True, multiline=False)
    if "/" in label or "\\" in label or label in (".", ".."):
        raise InvalidInput(_("--name: {label!r}: an attachment's name has no folders").format(label=label))
    kind = kind or guess_kind(label)
    private = (kind == "audio") if private is None else bool(private)
    digest = hashlib.sha256(data).hexdigest()

    def build(case, state, when):
        taken = [e for e in case.get("events") or [] if isinstance(e, dict) and e.get("action") == "attach"
                 and e.get("name") == label and not e.get("superseded")]
        if taken:
            raise InvalidInput(_('--name: {case_id} already has an attachment {label!r}; give another --name').format(case_id=case_id, label=label))
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


def extract(store: Store, case_id: str, name: str, out: str) -> Path:
    """Write one attachment to `out` (refused if `out` exists)."""
    from jiesu.store import validate_id

    case = store.load_case(validate_id(case_id))
    event = find(case, name)
    data = content(store, event)
    target = Path(out)
    if target.exists() or target.is_symlink():
        raise InvalidInput(_('--out: {out} already exists; choose a new path').format(out=out))
    if not target.parent.is_dir():
        raise InvalidInput(_('--out: folder {parent} does not exist').format(parent=target.parent))
    yamlio.atomic_write(target, data)
    return target
