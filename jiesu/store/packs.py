"""Writing many new git objects as one pack (with its `.idx`) instead of one loose file each.

A commit of thousands of new case files (an import's batch) would otherwise create a loose
object file per blob — each a temporary file, a rename and a folder check — which costs more
than everything else the commit does. The pack holds every object whole (no deltas), deflated
as git deflates loose objects; its index is version 2, exactly as `git index-pack` writes it,
so git reads these objects like any others (`git fsck --strict` passes). The pack is renamed
into place before its index, so git never sees an index without its pack.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import zlib
from itertools import accumulate
from pathlib import Path

TYPES = {"commit": 1, "tree": 2, "blob": 3, "tag": 4}


def entry_header(kind: int, size: int) -> bytes:
    """An object's header in a pack: type and size, seven bits at a time after the first four."""
    byte = (kind << 4) | (size & 15)
    size >>= 4
    out = bytearray()
    while size:
        out.append(byte | 0x80)
        byte = size & 0x7F
        size >>= 7
    out.append(byte)
    return bytes(out)


def write_pack(objects_dir: Path, objects: dict) -> str | None:
    """Write `objects` (object id → (kind, content)) into `objects_dir/pack`; return the pack's
    name (`pack-<checksum>`), or None when there is nothing to write."""
    if not objects:
        return None
    pack_dir = Path(objects_dir) / "pack"
    pack_dir.mkdir(parents=True, exist_ok=True)
    body = bytearray(b"PACK" + struct.pack(">II", 2, len(objects)))
    entries = []  # (binary id, crc32, offset)
    for oid, (kind, data) in objects.items():
        offset = len(body)
        chunk = entry_header(TYPES[kind], len(data)) + zlib.compress(data, 1)
        body += chunk
        entries.append((bytes.fromhex(oid), zlib.crc32(chunk), offset))
    checksum = hashlib.sha1(body).digest()
    body += checksum
    entries.sort()
    fanout = [0] * 256
    for sha, _, _ in entries:
        fanout[sha[0]] += 1
    large = [off for _, _, off in entries if off >= 0x80000000]
    small, next_large = [], 0
    for _, _, off in entries:
        if off < 0x80000000:
            small.append(off)
        else:
            small.append(0x80000000 | next_large)
            next_large += 1
    idx = bytearray(b"\xfftOc" + struct.pack(">I", 2))
    idx += struct.pack(">256I", *accumulate(fanout))
    idx += b"".join(sha for sha, _, _ in entries)
    idx += struct.pack(f">{len(entries)}I", *(crc for _, crc, _ in entries))
    idx += struct.pack(f">{len(small)}I", *small)
    idx += struct.pack(f">{len(large)}Q", *large)
    idx += checksum
    idx += hashlib.sha1(idx).digest()
    name = f"pack-{checksum.hex()}"
    _put(pack_dir / f"{name}.pack", bytes(body))
    _put(pack_dir / f"{name}.idx", bytes(idx))
    return name


def _put(target: Path, data: bytes) -> None:
    """A read-only file, written under a temporary name (`tmp_…`, as git's own) and renamed."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix="tmp_pack_")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
