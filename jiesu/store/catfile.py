"""Objects through one long-lived `git cat-file --batch` process: the one reader of many objects
that the index, the audit, the archive, `jiesu log`, the signatures and actors checks and the object
writer (trees along a commit's paths) share. One object now and then is read with
`GitReader.show_file` instead. `committed` reads many case files for the index and the Parquet
export from the work tree where the files there are the committed ones."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import subprocess
import time

from jiesu.i18n import _
from jiesu.store.gitrepo import GitFailed


class Blobs:
    """Blob contents (and, with `object`, any object) through one `git cat-file --batch`."""

    def __init__(self, root: str, env: dict):
        self.proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=root, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def read(self, oid: str) -> bytes | None:
        """The blob's content; None when the object is missing or is not a blob."""
        self._ask(oid)
        return self._next()

    def object(self, spec: str) -> tuple[str, str, bytes] | None:
        """(id, kind, content) of the object `spec` names (an id, `REV:PATH`, …); None when missing."""
        self._ask(spec)
        return self._next_object()

    def _ask(self, spec: str) -> None:
        try:
            self.proc.stdin.write(spec.encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            self._gone()

    def _next_object(self) -> tuple[str, str, bytes] | None:
        line = self.proc.stdout.readline()
        if not line:
            self._gone()
        header = line.split()
        if len(header) != 3 or not header[2].isdigit():  # "<name> missing" (a name may hold spaces)
            return None
        size = int(header[2])
        data = self.proc.stdout.read(size)
        if len(data) < size or self.proc.stdout.read(1) != b"\n":
            self._gone()
        return header[0].decode(), header[1].decode(), data

    def _gone(self):
        """git stopped (killed, interrupted, out of memory): an object it did not send is never
        taken for a missing one — a write would build a tree without it."""
        code = self.proc.poll()
        raise GitFailed(_("git cat-file stopped before it answered (exit code {code})").format(
            code=code if code is not None else "?"))

    def _next(self) -> bytes | None:
        found = self._next_object()
        return found[2] if found and found[1] == "blob" else None

    def stream(self, oids: list[str]):
        """The contents of many blobs, in order; the names are written from a thread, so git never
        waits for the reader (one round trip for all instead of one per blob)."""
        import threading

        def feed():
            with contextlib.suppress(BrokenPipeError, ValueError):  # git stopped: the reader says so
                for oid in oids:
                    self.proc.stdin.write(oid.encode() + b"\n")
                self.proc.stdin.flush()

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        for _oid in oids:
            yield self._next()
        writer.join()

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()
        self.proc.wait()


WORK_TREE_MAX = 16 << 20  # a bigger file is no case file jiesu wrote: git's copy is read
# a symbolic link is not followed, and a pipe or device never opened for reading (it could block)
_OPEN = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _from_work_tree(root: str, path: str, oid: str) -> bytes | None:
    """The work tree's copy of `path` when it is blob `oid` (its git hash says so), else None."""
    try:
        fd = os.open(os.path.join(root, path), _OPEN)
    except (OSError, ValueError):
        return None
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode) or found.st_size > WORK_TREE_MAX:
            return None
        data = os.read(fd, found.st_size + 1)  # one read, no file object
        if len(data) > found.st_size:
            return None  # it grew while read: git's copy is read
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    digest = hashlib.sha1(b"blob %d\0" % len(data))
    digest.update(data)
    return data if digest.hexdigest() == oid else None


def committed(root: str, env: dict, items: list[tuple[str, str]]) -> list[bytes | None]:
    """The contents of blobs named by (path, blob id) pairs, in order: the file in the work tree at
    `root` where its git hash is the blob's id (a read, no delta to resolve: 18 µs of CPU a case
    file, where `git cat-file` takes about 90 at 100,000 cases with one commit per operation), else
    the blob from git (an edit not committed, a file not checked out, a filter, a hash other than
    SHA-1). None for a blob git has not got.

    Where the work tree is not in the page cache, its files cost a disk read each (120-150 µs a
    case file at 1,000,000 cases), and git's pack, read in order, can be faster (about 45 µs at
    1,000,000 cases with batched history; 105 µs at 100,000 with one commit per operation): the
    files are read in parts of `PART`, from git where it proved `FASTER` times as fast, else from
    the work tree, the other timed again now and then (the cache fills as a build goes on). Git is
    only timed after a part of the work tree that read the disk (where the system says so): on a
    busy machine a part read from the page cache can take long too, waiting for the CPU, and git
    was then started for nothing (once in each part of 2,000 cases of a build)."""
    out: list[bytes | None] = [None] * len(items)
    reader = _Reader(root, env)
    try:
        for start in range(0, len(items), PART):
            reader.read(items, start, min(start + PART, len(items)), out)
        missing = [i for i, data in enumerate(out) if data is None]
        if missing:
            for i, data in zip(missing, reader.blobs().stream([items[i][1] for i in missing])):
                out[i] = data
    finally:
        reader.close()
    return out


PART = 64  # case files read from one source before the next choice
RETRY = 16  # parts read from the faster source before the other is timed again


class _Reader:
    """Reads parts of many case files from the work tree or from git, whichever is faster."""

    def __init__(self, root: str, env: dict):
        self.root, self.env = root, env
        self.rate: dict[str, float] = {}  # source → seconds a file, the last time it was timed
        self.since = 0  # parts read since the slower source was last timed
        self.from_disk: bool | None = None  # whether the last part from the work tree read the disk (None: unknown)
        self._blobs: Blobs | None = None

    def blobs(self) -> Blobs:
        if self._blobs is None:
            self._blobs = Blobs(self.root, self.env)
        return self._blobs

    def _choose(self) -> str:
        if "tree" not in self.rate:
            return "tree"
        if self.from_disk is False or self.rate["tree"] < SLOW_TREE:
            # read from the page cache: nothing is faster (a part that took long without reading
            # the disk was only kept waiting for the CPU, which a git reader would have to share)
            return "tree"
        if "git" not in self.rate:
            return "git"
        # git only when clearly faster: its time is another process's CPU, and what is read from the
        # work tree stays in the page cache for the next build (a pack whose newest blobs end long
        # delta chains takes as long as a cold work tree)
        best = "git" if self.rate["git"] * FASTER < self.rate["tree"] else "tree"
        if self.since >= RETRY:
            self.since = 0
            return "git" if best == "tree" else "tree"
        self.since += 1
        return best

    def read(self, items: list, start: int, end: int, out: list) -> None:
        source = self._choose()
        began = time.perf_counter()
        if source == "tree":
            root, before = self.root, _blocks()
            for i in range(start, end):
                out[i] = _from_work_tree(root, *items[i])
            after = _blocks()
            self.from_disk = None if before is None or after is None else after > before
        else:
            for i, data in zip(range(start, end), self.blobs().stream([items[i][1] for i in range(start, end)])):
                out[i] = data
        self.rate[source] = (time.perf_counter() - began) / (end - start)

    def close(self) -> None:
        if self._blobs is not None:
            self._blobs.close()


SLOW_TREE = 60e-6  # seconds a work-tree file: slower than this, and read from the disk, git is timed
FASTER = 2  # how much faster git must be to be read from


def _blocks() -> int | None:
    """Blocks this thread has read from a disk so far (None where the system does not say): a part
    read from the page cache alone reads none, however long it waited for the CPU."""
    import resource

    try:
        return resource.getrusage(resource.RUSAGE_THREAD).ru_inblock
    except (AttributeError, OSError, ValueError):
        return None
