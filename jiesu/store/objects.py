"""Writing git objects directly: blobs and the trees along the changed paths.

A jiesu commit changes a handful of files. Building its tree from HEAD's tree — reading only the
trees on the changed paths and writing new ones for them — costs the same in a store of a hundred
cases or a million, where `git write-tree` reads the whole index. Objects are written as loose
objects exactly as git writes them (zlib-deflated `<type> <size>\\0<content>`, named by SHA-1),
so git sees nothing unusual. Only SHA-1 repositories are handled; others fall back to git itself.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import zlib
from pathlib import Path

TREE_MODE = b"40000"


def object_id(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


class ObjectWriter:
    """Reads trees through one `git cat-file --batch` and writes loose objects."""

    def __init__(self, git):
        self.git = git
        self.objects = Path(git.out("rev-parse", "--git-path", "objects"))
        if not self.objects.is_absolute():
            self.objects = git.root / self.objects
        self._reader = None
        self._trees: dict = {}
        self._pending: dict | None = None  # object id → (kind, content) while collecting a pack

    # --- reading ----------------------------------------------------------------------------
    def _read(self, spec: str) -> tuple[str, bytes] | None:
        if self._reader is None:
            self._reader = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.git.root, env=self.git.env,
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._reader.stdin.write(spec.encode() + b"\n")
        self._reader.stdin.flush()
        header = self._reader.stdout.readline().split()
        if len(header) < 3 or header[-1] == b"missing":
            return None
        size = int(header[2])
        data = self._reader.stdout.read(size)
        self._reader.stdout.read(1)
        return header[1].decode(), data

    def tree_entries(self, tree: str | None) -> dict:
        """name → (mode, id) of a tree object (empty for None)."""
        if tree is None:
            return {}
        if tree not in self._trees:
            found = self._read(tree)
            if found is None or found[0] != "tree":
                raise ValueError(f"not a tree: {tree}")
            entries, data, i = {}, found[1], 0
            while i < len(data):
                space = data.index(b" ", i)
                nul = data.index(b"\0", space)
                mode, name = data[i:space], data[space + 1:nul].decode("utf-8", "surrogateescape")
                entries[name] = (mode, data[nul + 1:nul + 21].hex())
                i = nul + 21
            self._trees[tree] = entries
        return dict(self._trees[tree])

    def close(self) -> None:
        if self._reader is not None:
            self._reader.stdin.close()
            self._reader.wait()
            self._reader = None

    # --- writing ----------------------------------------------------------------------------
    def collect(self) -> None:
        """From now on keep new objects in memory, for `write_collected` to put into one pack."""
        self._pending = {}

    def write_collected(self) -> None:
        """Write the objects kept since `collect` as one pack; back to loose objects after."""
        pending, self._pending = self._pending, None
        if pending:
            from jiesu.store.packs import write_pack

            write_pack(self.objects, pending)

    def discard_collected(self) -> None:
        self._pending = None

    def write(self, kind: str, data: bytes) -> str:
        oid = object_id(kind, data)
        if self._pending is not None:
            self._pending.setdefault(oid, (kind, data))
            return oid
        folder = self.objects / oid[:2]
        target = folder / oid[2:]
        if target.exists():
            return oid
        folder.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix="tmp_obj_")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(zlib.compress(f"{kind} {len(data)}\0".encode() + data, 1))
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return oid

    def write_tree(self, entries: dict) -> str:
        def key(item):
            name, (mode, _) = item
            return name.encode("utf-8", "surrogateescape") + (b"/" if mode == TREE_MODE else b"")

        body = b"".join(
            mode + b" " + name.encode("utf-8", "surrogateescape") + b"\0" + bytes.fromhex(oid)
            for name, (mode, oid) in sorted(entries.items(), key=key)
        )
        oid = self.write("tree", body)
        if self._pending is not None:
            self._trees[oid] = dict(entries)  # the batch's next commit starts from this tree
        return oid

    def commit_tree(self, commit: str | None) -> str | None:
        """The tree of a commit (None for no commit)."""
        if commit is None:
            return None
        found = self._read(commit)
        if found is None or found[0] != "commit" or not found[1].startswith(b"tree "):
            raise ValueError(f"not a commit: {commit}")
        return found[1][5:45].decode()

    def apply(self, base_tree: str | None, changes: dict) -> str | None:
        """A new tree: `base_tree` with each path set to a blob id, or removed (None).

        Returns None when the result is empty (so the parent drops the folder, as git does).
        """
        entries = self.tree_entries(base_tree)
        groups: dict = {}
        for path, oid in changes.items():
            head, _, rest = path.partition("/")
            if rest:
                groups.setdefault(head, {})[rest] = oid
            elif oid is None:
                entries.pop(head, None)
            else:
                entries[head] = (b"100644", oid)
        for name, sub in groups.items():
            current = entries.get(name)
            base = current[1] if current and current[0] == TREE_MODE else None
            new = self.apply(base, sub)
            if new is None:
                entries.pop(name, None)
            else:
                entries[name] = (TREE_MODE, new)
        return self.write_tree(entries) if entries else None
