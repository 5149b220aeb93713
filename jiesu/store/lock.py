"""The store's write lock: an exclusive `fcntl` lock on `.jiesu/lock`.

The kernel drops the lock when its holder dies, so a killed process never leaves the store
locked. A second writer waits up to `JIESU_LOCK_TIMEOUT` seconds (default 30), then gives up with
a message naming the holder.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from jiesu.errors import StoreLocked
from jiesu.i18n import _


def timeout() -> float:
    try:
        return float(os.environ.get("JIESU_LOCK_TIMEOUT", "30"))
    except ValueError:
        return 30.0


_HELD: dict = {}  # lock path -> nesting depth, while this process holds it lending (see Lock)


class Lock:
    """Context manager holding the store lock.

    With `lend`, operations this process runs while holding it (sync correcting a case after its
    merge) go ahead inside it instead of waiting for themselves.
    """

    def __init__(self, path: Path, what: str = "jiesu", wait: float | None = None, lend: bool = False):
        self.path = Path(path)
        self.what = what
        self.wait = timeout() if wait is None else wait
        self.fd = None
        self.nested = False
        self.lend = lend

    def __enter__(self):
        key = str(self.path.absolute())
        if _HELD.get(key):
            _HELD[key] += 1
            self.nested = True
            return self
        self._take()
        if self.lend:
            _HELD[key] = 1
        return self

    def _take(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = ""
                    try:
                        holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                    except OSError:
                        pass
                    os.close(fd)
                    raise StoreLocked(
                        _('the store is locked by another writer{holder}; waited {wait:g} s').format(holder=' (' + holder + ')' if holder else '', wait=self.wait),
                        hint=_('try again in a moment, or wait longer with JIESU_LOCK_TIMEOUT=SECONDS'),
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        self.fd = fd
        try:  # who holds it, for the message of a writer that waits; a full disk leaves it unsaid
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}: {self.what}".encode("utf-8", "replace")[:200], 0)
        except OSError:
            pass

    def __exit__(self, *exc):
        key = str(self.path.absolute())
        if key in _HELD:
            _HELD[key] -= 1
            if _HELD[key] <= 0:
                del _HELD[key]
        if self.nested:
            self.nested = False
            return False
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
                os.close(self.fd)
                self.fd = None
        return False
