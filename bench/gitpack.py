"""Writing a store's history into git quickly: a pack written directly, or `git fast-import`.

Both writers take the same calls — `commit(files, message, author, when, tz)` with case files
given as (year, month, file name, case) — so the generator does not care which one runs.

`PackWriter` builds the objects itself and writes them into one pack with its index: a case file
is stored as a delta against its previous version (the header is copied, the `state` block and the
new event lines are inserted), a month folder `cases/YYYY/MM` as a delta against its previous
tree (one entry replaced or inserted), and a full object every `MAX_DEPTH` versions, as git's own
delta chains are capped. Each commit costs tens of microseconds whatever the folder size.

`FastImportWriter` streams the same commits to one long-lived `git fast-import`. It is simpler,
but fast-import formats every entry of every tree it writes, so each commit costs time
proportional to the size of its month folder (about 1–1.5 ms for the 2,800 cases of a month in a
100,000-case store): fine for `--history batched`, minutes too slow for a history of 500,000
commits.
"""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import zlib
from array import array
from bisect import bisect_left
from itertools import accumulate
from pathlib import Path

from jiesu.store.gitwrite import entry_header as _obj_header

OBJ_COMMIT, OBJ_TREE, OBJ_BLOB, OBJ_OFS_DELTA = 1, 2, 3, 6
_TYPE_NAME = {OBJ_COMMIT: b"commit", OBJ_TREE: b"tree", OBJ_BLOB: b"blob"}
MAX_DEPTH = 50  # longest delta chain (git's pack.depth default)


def _ofs(distance: int) -> bytes:
    out = bytearray([distance & 0x7F])
    distance >>= 7
    while distance:
        distance -= 1
        out.insert(0, 0x80 | (distance & 0x7F))
        distance >>= 7
    return bytes(out)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _copy(out: bytearray, off: int, size: int) -> None:
    while size > 0:
        chunk = min(size, 0xFFFFFF)
        op, args = 0x80, bytearray()
        for i in range(4):
            b = (off >> (8 * i)) & 0xFF
            if b:
                op |= 1 << i
                args.append(b)
        for i in range(3):
            b = (chunk >> (8 * i)) & 0xFF
            if b:
                op |= 0x10 << i
                args.append(b)
        out.append(op)
        out += args
        off += chunk
        size -= chunk


def _insert(out: bytearray, data) -> None:
    for i in range(0, len(data), 127):
        chunk = data[i:i + 127]
        out.append(len(chunk))
        out += chunk


def apply_delta(base: bytes, delta: bytes) -> bytes:
    """Apply a git delta (used by the generator's self-check only)."""
    pos = 0

    def varint():
        nonlocal pos
        n = shift = 0
        while True:
            b = delta[pos]
            pos += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n

    if varint() != len(base):
        raise ValueError("delta base size mismatch")
    size = varint()
    out = bytearray()
    while pos < len(delta):
        op = delta[pos]
        pos += 1
        if op & 0x80:
            off = n = 0
            for i in range(4):
                if op & (1 << i):
                    off |= delta[pos] << (8 * i)
                    pos += 1
            for i in range(3):
                if op & (0x10 << i):
                    n |= delta[pos] << (8 * i)
                    pos += 1
            out += base[off:off + (n or 0x10000)]
        else:
            out += delta[pos:pos + op]
            pos += op
    if len(out) != size:
        raise ValueError("delta result size mismatch")
    return bytes(out)


class SmallTree:
    """A folder with few entries ({name: (mode, sha)}); git orders folders as if named with a '/'."""

    __slots__ = ("entries", "order")

    def __init__(self, entries=None):
        self.entries = dict(entries or {})
        self.order = None

    def set(self, name: bytes, mode: bytes, sha: bytes) -> None:
        if name not in self.entries:
            self.order = None
        self.entries[name] = (mode, sha)

    def bytes(self) -> bytes:
        entries = self.entries
        if self.order is None:
            self.order = sorted(entries, key=lambda n: n + b"/" if entries[n][0] == b"40000" else n)
        out = []
        for n in self.order:
            mode, sha = entries[n]
            out.append(mode + b" " + n + b"\0" + sha)
        return b"".join(out)


class MonthTree:
    """One `cases/YYYY/MM` folder: sorted names and the serialised tree, edited in place."""

    __slots__ = ("names", "data", "elen", "off", "depth")

    def __init__(self):
        self.names: list[bytes] = []
        self.data = bytearray()
        self.elen = None  # length of every entry while they are all alike, -1 once they differ
        self.off = None  # pack offset of the last version (delta base)
        self.depth = 0

    def update(self, pack: "PackWriter", changes: dict) -> bytes:
        names, data = self.names, self.data
        ops = []
        for name in sorted(changes):
            i = bisect_left(names, name)
            ops.append((i, i < len(names) and names[i] == name, name, b"100644 " + name + b"\0" + changes[name]))
        elen = self.elen
        if elen is not None and elen >= 0:
            def offset(i):
                return i * elen
        else:
            offset = list(accumulate((len(n) + 28 for n in names), initial=0)).__getitem__
        base_size = len(data)
        use_delta = self.off is not None and self.depth < MAX_DEPTH and len(ops) * 8 < len(names)
        delta = None
        if use_delta:
            pieces = bytearray()
            cur = 0
            for i, exists, name, entry in ops:
                o = offset(i)
                if o > cur:
                    _copy(pieces, cur, o - cur)
                _insert(pieces, entry)
                cur = o + (len(entry) if exists else 0)
            if cur < base_size:
                _copy(pieces, cur, base_size - cur)
            delta = pieces
        for i, exists, name, entry in reversed(ops):
            o = offset(i)
            if exists:
                data[o:o + len(entry)] = entry
            else:
                data[o:o] = entry
                names.insert(i, name)
            if self.elen is None:
                self.elen = len(entry)
            elif self.elen != len(entry):
                self.elen = -1
        h = hashlib.sha1(b"tree %d\0" % len(data))
        h.update(data)
        sha = h.digest()
        if delta is not None:
            self.off = pack.delta(self.off, _varint(base_size) + _varint(len(data)) + delta, sha, level=0)
            self.depth += 1
        else:
            _, self.off = pack.full(OBJ_TREE, bytes(data), sha, level=0)
            self.depth = 0
        if pack.check:
            pack.remember(self.off, bytes(data))
        return sha


class PackWriter:
    """Objects straight into `.git/objects/pack`, one commit after another."""

    def __init__(self, root: Path, base_commit: str, level: int = 1, check: bool = False):
        self.root = Path(root)
        self.pack_dir = self.root / ".git" / "objects" / "pack"
        self.tmp = self.pack_dir / f"tmp_bench_{os.getpid()}.pack"
        self.f = open(self.tmp, "wb", buffering=4 << 20)
        self.f.write(b"PACK" + struct.pack(">II", 2, 0))
        self.pos = 12
        self.shas: list[bytes] = []
        self.offs = array("Q")
        self.crcs = array("I")
        self.level = level
        self.check = check
        self._seen: dict = {}  # offset -> content, for the self-check only
        self.head = bytes.fromhex(base_commit)
        self._load_base(base_commit)
        self.months: dict = {}
        self.released: set = set()
        self.commits = 0

    # --- the tree above the month folders -----------------------------------------------------
    def _load_base(self, commit: str) -> None:
        out = subprocess.run(["git", "ls-tree", "-z", commit], cwd=self.root, capture_output=True, check=True).stdout
        self.root_entries = SmallTree()
        for item in out.split(b"\0"):
            if not item:
                continue
            meta, name = item.split(b"\t", 1)
            mode, _, sha = meta.split(b" ")
            self.root_entries.set(name, mode.lstrip(b"0") if mode == b"040000" else mode, bytes.fromhex(sha.decode()))
        self.case_entries = SmallTree()
        if b"cases" in self.root_entries.entries:
            out = subprocess.run(["git", "ls-tree", "-z", f"{commit}:cases"], cwd=self.root, capture_output=True,
                                 check=True).stdout
            for item in out.split(b"\0"):
                if item:
                    meta, name = item.split(b"\t", 1)
                    mode, _, sha = meta.split(b" ")
                    if name.isdigit():
                        raise SystemExit("the base commit already has case folders; generate into a new store")
                    self.case_entries.set(name, mode, bytes.fromhex(sha.decode()))
        self.years: dict = {}

    # --- objects --------------------------------------------------------------------------------
    def _entry(self, head: bytes, payload: bytes, sha: bytes) -> int:
        entry = head + payload
        off = self.pos
        self.f.write(entry)
        self.pos += len(entry)
        self.shas.append(sha)
        self.offs.append(off)
        self.crcs.append(zlib.crc32(entry))
        return off

    def full(self, kind: int, data: bytes, sha: bytes | None = None, level: int | None = None):
        if sha is None:
            h = hashlib.sha1(b"%s %d\0" % (_TYPE_NAME[kind], len(data)))
            h.update(data)
            sha = h.digest()
        level = self.level if level is None else level
        payload = zlib.compress(data, level, 12) if level else zlib.compress(data, 0)
        off = self._entry(_obj_header(kind, len(data)), payload, sha)
        return sha, off

    def delta(self, base_off: int, delta: bytes, sha: bytes, level: int | None = None) -> int:
        head = _obj_header(OBJ_OFS_DELTA, len(delta)) + _ofs(self.pos - base_off)
        if self.check and base_off in self._seen:
            result = apply_delta(self._seen[base_off], bytes(delta))
            kind = b"tree" if result.startswith(b"100644 ") else b"blob"
            if hashlib.sha1(b"%s %d\0" % (kind, len(result)) + result).digest() != sha:
                raise AssertionError("delta does not reproduce the object it stands for")
        level = self.level if level is None else level
        return self._entry(head, zlib.compress(delta, level, 12) if level else zlib.compress(delta, 0), sha)

    def remember(self, off: int, content: bytes) -> None:
        self._seen[off] = content

    def case_blob(self, case) -> bytes:
        """The case file's blob: a delta on its last version (header kept, state and new events inserted)."""
        h_b, s_b, e_b = case.header_b, case.state_b, case.events_b
        size = len(h_b) + len(s_b) + len(e_b)
        h = hashlib.sha1(b"blob %d\0" % size)
        h.update(h_b)
        h.update(s_b)
        h.update(e_b)
        sha = h.digest()
        if case.w_off is not None and case.w_depth < MAX_DEPTH:
            hl, sl, el = case.w_lens
            d = bytearray(_varint(hl + sl + el))
            d += _varint(size)
            _copy(d, 0, hl)
            _insert(d, s_b)
            _copy(d, hl + sl, el)
            _insert(d, e_b[el:])
            case.w_off = self.delta(case.w_off, d, sha)
            case.w_depth += 1
        else:
            _, case.w_off = self.full(OBJ_BLOB, h_b + s_b + e_b, sha)
            case.w_depth = 0
        case.w_lens = (len(h_b), len(s_b), len(e_b))
        if self.check:
            self.remember(case.w_off, h_b + s_b + e_b)
        return sha

    # --- commits --------------------------------------------------------------------------------
    def commit(self, files, message, author: bytes, when: int, tz: bytes) -> None:
        """One commit of the case files `files` [(year, month, name, case)] on top of the last one."""
        by_month: dict = {}
        for year, month, name, case in files:
            by_month.setdefault((year, month), {})[name] = self.case_blob(case)
        for (year, month), changes in by_month.items():  # trees and commits are stored, not compressed: speed
            tree = self.months.get((year, month))
            if tree is None:
                if (year, month) in self.released:
                    raise AssertionError(f"cases/{year.decode()}/{month.decode()} changed after it was released")
                tree = self.months[(year, month)] = MonthTree()
            year_tree = self.years.get(year)
            if year_tree is None:
                year_tree = self.years[year] = SmallTree()
            year_tree.set(month, b"40000", tree.update(self, changes))
        for year in {y for y, _ in by_month}:
            sha, _ = self.full(OBJ_TREE, self.years[year].bytes(), level=0)
            self.case_entries.set(year, b"40000", sha)
        sha, _ = self.full(OBJ_TREE, self.case_entries.bytes(), level=0)
        self.root_entries.set(b"cases", b"40000", sha)
        root, _ = self.full(OBJ_TREE, self.root_entries.bytes(), level=0)
        person = b"%s %d %s" % (author, when, tz)
        body = b"tree %s\nparent %s\nauthor %s\ncommitter %s\n\n%s" % (
            root.hex().encode(), self.head.hex().encode(), person, person,
            message if isinstance(message, bytes) else message.encode("utf-8"))
        self.head, _ = self.full(OBJ_COMMIT, body, level=0)
        self.commits += 1

    def release(self, year: bytes, month: bytes) -> None:
        """Forget a month folder that will not change again (its tree stays in the pack)."""
        if self.months.pop((year, month), None) is not None:
            self.released.add((year, month))

    def stop_checking(self) -> None:
        self.check = False
        self._seen.clear()

    def forget(self, case) -> None:
        pass

    def finish(self) -> str:
        """Write the object count, the checksum and the index; return the new head commit."""
        count = len(self.shas)
        self.f.seek(8)
        self.f.write(struct.pack(">I", count))
        self.f.close()
        h = hashlib.sha1()
        with open(self.tmp, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 22), b""):
                h.update(chunk)
        trailer = h.digest()
        with open(self.tmp, "ab") as handle:
            handle.write(trailer)
        shas = self.shas
        order = sorted(range(count), key=shas.__getitem__)
        for a, b in zip(order, order[1:]):
            if shas[a] == shas[b]:
                raise AssertionError(f"object {shas[a].hex()} written twice")
        fanout = [0] * 256
        for sha in shas:
            fanout[sha[0]] += 1
        idx = bytearray(b"\xfftOc" + struct.pack(">I", 2))
        idx += struct.pack(">256I", *accumulate(fanout))
        idx += b"".join(shas[i] for i in order)
        crcs = array("I", (self.crcs[i] for i in order))
        small, large = array("I"), array("Q")
        for i in order:
            off = self.offs[i]
            if off < 0x80000000:
                small.append(off)
            else:
                small.append(0x80000000 | len(large))
                large.append(off)
        if sys.byteorder == "little":
            crcs.byteswap()
            small.byteswap()
            large.byteswap()
        idx += crcs.tobytes() + small.tobytes() + large.tobytes() + trailer
        idx += hashlib.sha1(idx).digest()
        name = f"pack-{trailer.hex()}"
        os.replace(self.tmp, self.pack_dir / f"{name}.pack")
        tmp_idx = self.pack_dir / f"tmp_bench_{os.getpid()}.idx"
        tmp_idx.write_bytes(idx)
        os.replace(tmp_idx, self.pack_dir / f"{name}.idx")
        self.shas, self.offs, self.crcs = [], array("Q"), array("I")
        return self.head.hex()

    def abort(self) -> None:
        try:
            self.f.close()
        finally:
            self.tmp.unlink(missing_ok=True)


class _Blob:
    """What the pack process keeps of one open case file."""

    __slots__ = ("header_b", "state_b", "events_b", "w_off", "w_depth", "w_lens")

    def __init__(self, header_b: bytes):
        self.header_b, self.state_b, self.events_b = header_b, b"", b""
        self.w_off, self.w_depth, self.w_lens = None, 0, None


def _pack_worker(conn, root, base, level, check) -> None:
    """The pack process: receives commits as (parts of) case files, writes the pack."""
    import traceback

    writer = None
    try:
        writer = PackWriter(root, base, level, check)
        cases: dict = {}
        while True:
            for msg in conn.recv():
                kind = msg[0]
                if kind == "c":
                    _, recs, message, author, when, tz = msg
                    files = []
                    for year, month, name, head, state_b, tail in recs:
                        blob = cases.get(name)
                        if blob is None or head is not None:
                            blob = cases[name] = _Blob(head)
                        blob.state_b = state_b
                        blob.events_b += tail
                        files.append((year, month, name, blob))
                    writer.commit(files, message, author, when, tz)
                elif kind == "f":
                    cases.pop(msg[1], None)
                elif kind == "r":
                    writer.release(msg[1], msg[2])
                elif kind == "x":
                    writer.stop_checking()
                elif kind == "end":
                    head = writer.finish()
                    conn.send(("ok", head, writer.commits))
                    return
    except BaseException:
        if writer is not None:
            writer.abort()
        try:
            conn.send(("error", traceback.format_exc()))
        except OSError:
            pass


class PackProcess:
    """`PackWriter` in a second process: the generator renders cases while the pack is written.

    Only what changed travels: a case's header on its first write, then its new `state` block and
    the event lines added since the last write.
    """

    BATCH = 256

    def __init__(self, root: Path, base_commit: str, level: int = 1, check: bool = False):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_pack_worker, args=(child, Path(root), base_commit, level, check), daemon=True)
        self.proc.start()
        child.close()
        self.queue: list = []
        self.commits = 0
        self.root = Path(root)

    def _put(self, msg) -> None:
        self.queue.append(msg)
        if len(self.queue) >= self.BATCH:
            self._send()

    def _send(self) -> None:
        if self.queue:
            try:
                self.conn.send(self.queue)
            except (BrokenPipeError, ConnectionResetError):
                self._fail()
            self.queue = []

    def _fail(self):
        reply = self.conn.recv() if self.conn.poll(5) else ("error", "the pack process died")
        raise SystemExit(f"pack writer failed:\n{reply[1]}")

    def commit(self, files, message: str, author: bytes, when: int, tz: bytes) -> None:
        recs = []
        for year, month, name, case in files:
            sent = case.w_sent
            head = case.header_b if sent is None else None
            recs.append((year, month, name, head, case.state_b, case.events_b[sent or 0:]))
            case.w_sent = len(case.events_b)
        self._put(("c", recs, message.encode("utf-8"), author, when, tz))
        self.commits += 1

    def forget(self, case) -> None:
        """The case will not change again (if it does, it is sent whole)."""
        if case.w_sent is not None:
            self._put(("f", case.name))
            case.w_sent = None

    def release(self, year: bytes, month: bytes) -> None:
        self._put(("r", year, month))

    def stop_checking(self) -> None:
        self._put(("x",))

    def finish(self) -> str:
        self._put(("end",))
        self._send()
        reply = self.conn.recv()
        self.proc.join()
        if reply[0] != "ok":
            raise SystemExit(f"pack writer failed:\n{reply[1]}")
        return reply[1]

    def abort(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        for tmp in (self.root / ".git" / "objects" / "pack").glob(f"tmp_bench_{self.proc.pid}.*"):
            tmp.unlink(missing_ok=True)


class FastImportWriter:
    """The same commits streamed to one long-lived `git fast-import`."""

    def __init__(self, root: Path, base_commit: str, env: dict):
        self.root = Path(root)
        self.proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=self.root, env=env,
                                     stdin=subprocess.PIPE)
        self.out = self.proc.stdin
        self.base = base_commit.encode()
        self.commits = 0
        self.check = False

    def commit(self, files, message: str, author: bytes, when: int, tz: bytes) -> None:
        msg = message.encode("utf-8")
        person = b"%s %d %s" % (author, when, tz)
        w = self.out.write
        w(b"commit refs/heads/main\nauthor %s\ncommitter %s\ndata %d\n%s\n" % (person, person, len(msg), msg))
        if self.base:
            w(b"from %s\n" % self.base)
            self.base = b""
        for year, month, name, case in files:
            content = case.header_b + case.state_b + case.events_b
            w(b"M 100644 inline cases/%s/%s/%s\ndata %d\n" % (year, month, name, len(content)))
            w(content)
            w(b"\n")
        w(b"\n")
        self.commits += 1

    def release(self, year: bytes, month: bytes) -> None:
        pass

    def stop_checking(self) -> None:
        pass

    def forget(self, case) -> None:
        pass

    def finish(self) -> str:
        self.out.write(b"done\n")
        self.out.close()
        if self.proc.wait() != 0:
            raise SystemExit("git fast-import failed")
        return subprocess.run(["git", "rev-parse", "refs/heads/main"], cwd=self.root, capture_output=True, text=True,
                              check=True).stdout.strip()

    def abort(self) -> None:
        self.proc.kill()
        self.proc.wait()
