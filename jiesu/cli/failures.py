"""What the system, rather than the user, can make go wrong, said in one line.

A folder jiesu may not write, a read-only or full disk, an index it cannot open, input nested
deeper than Python can follow: none of these is a bug in jiesu, so none ends in a traceback.
`describe` turns such an exception into the `error:` line and the hint the command line prints;
the store is as it was (every write restores its files when it fails).
"""

from __future__ import annotations

import errno
import os
import sys

from jiesu.errors import JiesuError, StoreError
from jiesu.i18n import N_, _

_FULL = (errno.ENOSPC, errno.EDQUOT)
_DENIED = (errno.EACCES, errno.EPERM)
FULL_HINT = N_("free some space on that disk and try again (`jiesu verify` then says whether anything needs repair)")
ROFS_HINT = N_("the file system is mounted read-only; remount it read-write, or work on a copy of the store")


def denied_hint(path: str | None) -> str:
    where = f" `ls -ld {path}`" if path else ""
    return _("check the owner and mode of that file or folder{where}, or run jiesu as the user who owns the store").format(where=where)


def describe(exc: BaseException) -> JiesuError | None:
    """The JiesuError to report for an environmental failure, or None if `exc` is not one."""
    if isinstance(exc, BrokenPipeError):
        return None  # the reader went away; main() handles it quietly
    if isinstance(exc, OSError):
        path = exc.filename if isinstance(exc.filename, str) else None
        where = f"{_shown(path)}: " if path else ""
        reason = exc.strerror or exc.__class__.__name__
        if exc.errno in _FULL:
            return StoreError(_('{where}no space left on the disk; nothing was written').format(where=where), _(FULL_HINT))
        if exc.errno == errno.EROFS:
            return StoreError(_('{where}read-only file system; nothing was written').format(where=where), _(ROFS_HINT))
        if exc.errno in _DENIED:
            return StoreError(_('{where}permission denied').format(where=where), denied_hint(path))
        return StoreError(f"{where}{reason}", _("check that the store's disk and folders are usable, then run `jiesu verify`"))
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(exc, sqlite3.Error):
        text = str(exc)
        path = ".jiesu/index.sqlite"
        if "full" in text:
            return StoreError(_('{path}: no space left on the disk for the index').format(path=path), _(FULL_HINT))
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return StoreError(_('{path}: cannot write the index ({text})').format(path=path, text=text), denied_hint(".jiesu"))
        return StoreError(f"{path}: {text}", _("delete .jiesu/index.sqlite (it is rebuilt on the next read)"))
    if isinstance(exc, RecursionError):
        return StoreError(_('the input is nested too deeply to read'), _("flatten the file: requests and cases are a few levels deep"))
    if isinstance(exc, MemoryError):
        return StoreError(_('not enough memory to finish'), _("the input is too large; split it into smaller files"))
    return None


def git_hint(message: str) -> str | None:
    """A hint for a git failure that comes from the disk or the permissions, not from jiesu."""
    lowered = message.lower()
    if "no space left" in lowered or "out of diskspace" in lowered or "disk quota" in lowered:
        return _(FULL_HINT)
    if "read-only file system" in lowered:
        return _(ROFS_HINT)
    if "permission denied" in lowered or "insufficient permission" in lowered:
        return denied_hint(".git")
    return None


def _shown(path: str) -> str:
    """A path as the user knows it: relative to the current folder when it lies below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
