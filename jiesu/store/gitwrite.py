"""Every git write jiesu makes, in one module; everything else only reads git (`gitrepo`).

What is written, and where below:
- objects: a commit's blobs and the trees along its changed paths, as loose objects or, for a
  large commit, one pack with its `.idx` (`ObjectWriter`, `write_pack`); the commit object, as
  `git commit-tree` writes it (`commit_body`; a signed one by `commit-tree -S`); a hub's own
  files and tree (`hash-object -w`, `write-tree`, `commit-tree`);
- refs: HEAD after each commit and after a private commit is taken back (`update-ref`); a
  remote's view kept when its history was rewritten; a hub's fetched and incoming refs;
- git's index: the committed paths brought in step (`update-index`), paths put back to HEAD;
  a hub's own index (`read-tree`, `update-index --index-info`);
- config: a store's merge driver and speed settings, a clone's `jiesu.office`, an archive's
  `core.quotePath`;
- whole repositories: `init`, `clone` and its first branch; the plain commits of `private/` and of
  the year archives (`add`, `rm`, `commit`); `private/`'s history rewritten to one commit;
- exchange: `fetch`, `merge` (and its abort), `push`; a hub's fetch of a member and `prune`;
- the commit-graph, refreshed in the background;
- what a commit says: its subject and `Jiesu-*` trailers, and the author it names.

Commits go through plumbing (objects, `update-ref`, `update-index`) so that one case change
costs the same in a store of a hundred cases or a million, and only the named paths can ever
enter a jiesu commit. A jiesu commit changes a handful of files: its tree is built from HEAD's
tree — reading only the trees on the changed paths and writing new ones for them — where `git
write-tree` would read the whole index. Objects are written exactly as git writes them
(zlib-deflated `<type> <size>\\0<content>`, named by SHA-1), so git sees nothing unusual; other
object formats fall back to git itself. A commit of thousands of new case files (an import's
batch) writes its objects as one pack: every object whole (no deltas), its index version 2 as
`git index-pack` writes it, the pack renamed into place before its index.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import struct
import subprocess
import time
import zlib
from datetime import datetime
from itertools import accumulate
from operator import itemgetter
from pathlib import Path

from jiesu import faults
from jiesu.errors import StoreError
from jiesu.i18n import _
from jiesu.store.catfile import Blobs
from jiesu.store.gitrepo import EMPTY_TREE, GitFailed, GitReader

PACK_AT = 64  # a commit of this many paths writes its new objects as one pack, not loose files


# --- objects ---------------------------------------------------------------------------------
TREE_MODE = b"40000"
TREE_ENTRY = re.compile(rb"([0-7]+) ([^\0]+)\0(.{20})", re.S)  # mode, name, binary id


def object_id(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


class ObjectWriter:
    """Reads trees through the one `git cat-file --batch` reader (`catfile.Blobs`) and writes loose objects."""

    def __init__(self, git):
        self.git = git
        self.objects = git.objects_dir()
        self._trees: dict = {}
        self._pending: dict | None = None  # object id → (kind, content) while collecting a pack

    # --- reading ----------------------------------------------------------------------------
    def _read(self, spec: str) -> tuple[str, bytes] | None:
        found = self.git.reader().object(spec)
        return found[1:] if found else None

    def tree_items(self, tree: str | None) -> list:
        """The entries of a tree object in git's order (empty for None), each (sort key, name,
        mode, the entry's bytes): a folder's key is its name and `/`, as git sorts them. Kept per
        tree, never changed in place."""
        if tree is None:
            return []
        items = self._trees.get(tree)
        if items is None:
            found = self._read(tree)
            if found is None or found[0] != "tree":
                raise ValueError(f"not a tree: {tree}")
            data = found[1]
            items = [(m[2] + b"/" if m[1] == TREE_MODE else m[2], m[2], m[1], m[0]) for m in TREE_ENTRY.finditer(data)]
            if sum(len(item[3]) for item in items) != len(data):
                raise ValueError(f"unreadable tree: {tree}")
            self._trees[tree] = items
        return items

    # --- writing ----------------------------------------------------------------------------
    def collect(self) -> None:
        """From now on keep new objects in memory, for `write_collected` to put into one pack."""
        self._pending = {}

    def write_collected(self) -> None:
        """Write the objects kept since `collect` as one pack; back to loose objects after."""
        pending, self._pending = self._pending, None
        if pending:
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
        import tempfile  # here: it pulls in shutil, bz2 and lzma, which a read never needs

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

    def write_tree(self, items: list) -> str:
        """Write a tree of `items` (as `tree_items` gives them, in git's order)."""
        oid = self.write("tree", b"".join(item[3] for item in items))
        if self._pending is not None:
            self._trees[oid] = items  # the batch's next commit starts from this tree
        return oid

    def _replace_in_place(self, tree: str | None, changes: dict) -> str | None:
        """The common write in a month's folder of thousands of cases — new contents for files it
        has — as a splice of the tree's bytes: each file's entry `100644 NAME\0` is found once,
        and its 20-byte id replaced, with no parsing of the other entries. None when the change is
        anything else (a new, removed or executable file, a folder, several matches, a batch)."""
        if tree is None or self._pending is not None or not changes:
            return None
        if any(oid is None or "/" in path or "\n" in path for path, oid in changes.items()):
            return None
        found = self._read(tree)
        if found is None or found[0] != "tree":
            return None
        data = found[1]
        reader = self.git.reader()
        for path, oid in changes.items():
            present = reader.object(f"{tree}:{path}")  # git finds the entry (a new file: none)
            if present is None or present[1] != "blob":
                return None
            entry = b"100644 " + path.encode("utf-8", "surrogateescape") + b"\0"
            # the file has an entry, so one match is that entry; a name that ends in this one's
            # `100644 NAME` would make a second (and an executable file, none)
            if data.count(entry) != 1:
                return None
            at = data.find(entry) + len(entry)
            data = data[:at] + bytes.fromhex(oid) + data[at + 20:]
        return self.write("tree", data)

    def commit_tree(self, commit: str | None) -> str | None:
        """The tree of a commit (None for no commit)."""
        if commit is None:
            return None
        if commit in self.git.commit_trees:
            return self.git.commit_trees[commit]
        found = self._read(commit)
        if found is None or found[0] != "commit" or not found[1].startswith(b"tree "):
            raise ValueError(f"not a commit: {commit}")
        return found[1][5:45].decode()

    def apply(self, base_tree: str | None, changes: dict) -> str | None:
        """A new tree: `base_tree` with each path set to a blob id, or removed (None).

        Returns None when the result is empty (so the parent drops the folder, as git does). Only
        the entries on the changed paths are made anew; the others are kept as read (a month's
        folder of thousands of cases is not parsed into names and ids, nor sorted again).
        """
        quick = self._replace_in_place(base_tree, changes)
        if quick is not None:
            return quick
        files: dict = {}
        groups: dict = {}
        for path, oid in changes.items():
            head, _, rest = path.partition("/")
            name = head.encode("utf-8", "surrogateescape")
            if rest:  # a folder of that name wins over a file
                files.pop(name, None)
                groups.setdefault(name, {})[rest] = oid
            elif name not in groups:
                files[name] = oid
        items = self.tree_items(base_tree)
        current = {item[1]: item for item in items if item[1] in files or item[1] in groups}
        fresh = []
        for name, oid in files.items():
            if oid is not None:
                fresh.append((name, name, b"100644", b"100644 " + name + b"\0" + bytes.fromhex(oid)))
        for name, sub in groups.items():
            old = current.get(name)
            new = self.apply(old[3][-20:].hex() if old and old[2] == TREE_MODE else None, sub)
            if new is not None:
                fresh.append((name + b"/", name, TREE_MODE, TREE_MODE + b" " + name + b"\0" + bytes.fromhex(new)))
        if current:
            items = [item for item in items if item[1] not in current]
        if fresh:
            items = sorted(items + fresh, key=itemgetter(0))  # the kept part is in order already
        return self.write_tree(items) if items else None


# --- packs -----------------------------------------------------------------------------------
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
    for sha, _crc, _offset in entries:
        fanout[sha[0]] += 1
    large = [off for _, _, off in entries if off >= 0x80000000]
    small, next_large = [], 0
    for _sha, _crc, off in entries:
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
    import tempfile  # here: it pulls in shutil, bz2 and lzma, which a read never needs

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix="tmp_pack_")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- jiesu's commits, and every other write to a repository ----------------------------------
class Git(GitReader):
    """One repository that jiesu reads and writes."""

    def __init__(self, root: Path):
        super().__init__(root)
        self._objects = None
        self._reader: Blobs | None = None
        self.commit_trees: dict = {}  # commit id → its tree, for the commits this process read whole or wrote
        self._staging = None  # (paths, commit, the running `update-index`) of a commit that landed
        self.last_blobs: dict = {}  # path → blob id (None: removed) of the last commit
        self.notes: list[str] = []  # what a landed commit could not finish (for the user)

    def stage(self, paths: list[str]) -> None:
        """Record the work-tree state of `paths` in the index (added, changed or removed)."""
        if paths:
            self.run("update-index", "--add", "--remove", "-z", "--stdin", input="\0".join(paths) + "\0")

    def reader(self) -> Blobs:
        """The one `git cat-file --batch` of this repository's writes: HEAD at the start of a write,
        and the trees along a commit's paths (started on first use, ended by `close`)."""
        if self._reader is None:
            self._reader = Blobs(self.root, self.env)
        return self._reader

    def write_head(self) -> str | None:
        """HEAD's commit as a write starts under the store lock (None in a repository without commits).

        Asked of the batch reader that the write's commit reads its trees with, so it needs no
        process of its own, and the commit's tree comes with it."""
        found = self.reader().object("HEAD^{commit}")
        if found is None or found[1] != "commit":
            return None
        oid, _, data = found
        if data.startswith(b"tree "):
            self.commit_trees[oid] = data[5:data.index(b"\n")].decode()
        return oid

    def objects_dir(self) -> Path:
        """Where this repository's objects are written: `.git/objects`, or where git says for a
        repository whose `.git` is a file (a linked work tree, a separate git folder)."""
        git_dir = self.root / ".git"
        if git_dir.is_dir() and not (git_dir / "commondir").exists():
            return git_dir / "objects"
        path = Path(self.out("rev-parse", "--git-path", "objects"))
        return path if path.is_absolute() else self.root / path

    def objects(self):
        """The object writer for this repository (None if it is not a SHA-1 repository)."""
        if self._objects is None:
            fmt = (self.settings().get("extensions.objectformat") or "sha1").lower()
            if fmt != "sha1":  # the config names another format: let git itself say which one is in use
                fmt = self.run("rev-parse", "--show-object-format", check=False).stdout.strip() or "sha1"
            self._objects = ObjectWriter(self) if fmt == "sha1" else False
        return self._objects or None

    def commit(self, paths: list[str], message: str, author: tuple[str, str], author_date: str | None = None,
               committer_date: str | None = None, parent: str | None | bool = False,
               contents: dict | None = None, stage_later: bool = False) -> str | None:
        """Commit exactly `paths` as they are in the work tree; return the new commit (None if no change).

        `contents` (path → bytes) may give what the caller has just written to some of the paths,
        so they are not read back. From `PACK_AT` paths on, the new objects go into one pack.

        The tree is HEAD's tree with these paths replaced, so nothing else that may be staged in
        git's index can ever ride along in a jiesu commit. Afterwards git's index is brought in
        step with HEAD for these paths, so `git status` stays clean. With `stage_later` that
        `update-index` (which reads all of git's index: 7 MB at 100,000 cases) runs while the caller
        does its own work after the commit, and `finish_staging` waits for it.
        """
        if parent is False:
            parent = self.head()
        writer = self.objects()
        self.last_blobs = {}
        if writer is None:
            tree, parent_tree = self._tree_by_index(paths, parent)
        else:
            changes = self.last_blobs
            contents = contents or {}
            if len(paths) >= PACK_AT:
                writer.collect()
            try:
                for path in paths:
                    data = contents.get(path)
                    if data is None:
                        full = self.root / path
                        data = full.read_bytes() if full.is_file() else None
                    changes[path] = writer.write("blob", data) if data is not None else None
                parent_tree = writer.commit_tree(parent) if parent else None
                tree = writer.apply(parent_tree, changes) or writer.write_tree([])
                writer.write_collected()
            finally:
                writer.discard_collected()
            parent_tree = parent_tree or EMPTY_TREE
        if tree == parent_tree:
            self.stage(paths)
            return None
        name, email = author
        cname, cemail = self.identity()
        committer = (cname or name, cemail or email)
        signs = self.signs()
        body = None
        if writer is not None and not signs:
            body = commit_body(tree, parent, message, (author, author_date), (committer, committer_date),
                               self.settings().get("i18n.commitencoding"))
        if body is not None:
            commit = writer.write("commit", body)
        else:
            env = {
                "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
                "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1],
            }
            if author_date:
                env["GIT_AUTHOR_DATE"] = author_date
            if committer_date:
                env["GIT_COMMITTER_DATE"] = committer_date
            args = ["commit-tree", tree, "-F", "-"]
            if parent:
                args[2:2] = ["-p", parent]
            if signs:
                args.insert(1, "-S")  # commit-tree ignores commit.gpgSign; porcelain commits would honour it
            commit = self.out(*args, input=message, env=env)
        self.commit_trees[commit] = tree
        faults.point("after-commit-object")
        self.run("update-ref", "-m", f"jiesu: {message.splitlines()[0]}", "HEAD", commit, parent or "0" * 40)
        faults.point("after-ref")
        paths = list(paths)
        proc = subprocess.Popen(["git", "update-index", "--add", "--remove", "-z", "--stdin"], cwd=self.root, env=self.env,
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._staging = (paths, commit, proc)
        try:
            proc.stdin.write("".join(p + "\0" for p in paths).encode("utf-8"))
            proc.stdin.close()
        except BrokenPipeError:  # git stopped before reading them (the index was locked): retried below
            with contextlib.suppress(OSError):
                proc.stdin.close()
        if not stage_later:
            self.finish_staging()
        return commit

    def finish_staging(self) -> None:
        """Wait for the `update-index` of the commit that landed last (if one runs), and retry it
        if it failed (see `_stage_landed`)."""
        if self._staging is None:
            return
        paths, commit, proc = self._staging
        self._staging = None
        err = proc.stderr.read().decode("utf-8", "replace")
        proc.stderr.close()
        if proc.wait() != 0:
            lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
            detail = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), lines[0] if lines else "")
            self._stage_landed(paths, commit, GitFailed(f"git update-index failed: {detail or 'exit code ' + str(proc.returncode)}"))
        faults.point("after-index")

    def _stage_landed(self, paths: list[str], commit: str, failure: GitFailed) -> None:
        """Bring git's index in step after the commit landed, when the first `update-index` failed;
        never fail the write for it.

        The index may be locked for a moment by another git (a reader's or a person's), or for
        good by a git that was killed: wait a little, clear a stale lock, and if it still cannot
        be done say so — the commit is in the history either way.
        """
        from jiesu.store import leftovers

        delay = 0.02
        for attempt in range(7):
            leftovers.clear(self.root)
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
            try:
                self.stage(paths)
                return
            except GitFailed as exc:
                failure = exc
        self.notes.append(_("commit {commit} is saved, but git's index could not be brought in step with it "
                            "({detail}); run `jiesu verify --repair`").format(commit=commit[:10], detail=failure.message))

    def _tree_by_index(self, paths, parent):
        """Fallback for non-SHA-1 repositories: stage, write-tree, and refuse foreign staged changes."""
        self.stage(paths)
        tree = self.out("write-tree")
        parent_tree = self.out("rev-parse", f"{parent}^{{tree}}") if parent else EMPTY_TREE
        changed = set(self.out("diff-tree", "-r", "--name-only", "--no-renames", parent_tree, tree).splitlines())
        extra = changed - set(paths)
        if extra:
            raise StoreError(
                _('the git index holds changes jiesu did not make: {items}').format(items=', '.join(sorted(extra)[:3])),
                hint=_('commit or unstage them (git restore --staged PATH) and try again'),
            )
        return tree, parent_tree

    def close(self) -> None:
        self.finish_staging()
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def keep_commit_graph(self, counter: Path, every: int = 200, now: bool = False) -> bool:
        """Every `every` commits (or `now`, after a merge brought many), refresh the commit-graph
        with changed-path Bloom filters in the background (so `git log -- PATH` and `jiesu log`
        stay fast); True when one was started."""
        try:
            count = int(counter.read_text() or 0) + 1 if counter.exists() else every
        except (OSError, ValueError):
            count = every
        if count < every and not now:
            counter.write_text(str(count))
            return False
        counter.parent.mkdir(parents=True, exist_ok=True)
        counter.write_text("0")
        subprocess.Popen(
            ["git", "commit-graph", "write", "--reachable", "--changed-paths", "--split", "--size-multiple=4"],
            cwd=self.root, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
        return True

    def restore(self, paths: list[str]) -> None:
        """Put `paths` back to HEAD in the work tree and the index (remove those HEAD lacks)."""
        from jiesu.store.yamlio import atomic_write

        head = self.head()
        for path in paths:
            content = self.show_file(head, path) if head else None
            target = self.root / path
            if content is None:
                try:
                    target.unlink()
                except FileNotFoundError:
                    pass
            else:
                atomic_write(target, content)
        self.stage(paths)


    # --- repositories and their config ---------------------------------------------------------
    def init(self, branch: str | None = "main") -> None:
        """Make the repository (its first branch `branch`, or git's default)."""
        self.run("init", "-q", *(["-b", branch] if branch else []))

    def set_config(self, key: str, value: str) -> None:
        """Set one value in the repository's own config."""
        self.run("config", key, value)
        self._settings = None

    def clone(self, url: str, into: Path) -> subprocess.CompletedProcess:
        """Clone `url` into the folder `into` (run from its parent); the finished process."""
        return self.run("clone", "-q", "--", str(url), str(into), check=False)

    def track_branch(self, name: str, remote: str = "origin") -> None:
        """Check out a new branch `name` that follows `remote`'s."""
        self.run("checkout", "-q", "-b", name, "--track", f"{remote}/{name}")

    # --- refs ----------------------------------------------------------------------------------
    def update_ref(self, ref: str, new: str, old: str | None = None, message: str | None = None) -> None:
        """Point `ref` at `new` (only if it still points at `old`, when given)."""
        self.run("update-ref", *(["-m", message] if message else []), ref, new, *([old] if old else []))

    def delete_ref(self, ref: str) -> None:
        self.run("update-ref", "-d", ref, check=False)

    def prune(self) -> None:
        """Drop the objects no ref reaches any more."""
        self.run("prune", "--expire=now", check=False)

    # --- exchange with other repositories ------------------------------------------------------
    def fetch_remote(self, remote: str) -> subprocess.CompletedProcess:
        """Fetch `remote`'s branches; the finished process."""
        # jiesu refreshes the commit-graph in the background; a fetch that wrote one too would die on
        # the graph's lock while that runs
        return self.run("-c", "fetch.writeCommitGraph=false", "fetch", "--quiet", remote, check=False)

    def fetch_into(self, url: str, ref: str) -> subprocess.CompletedProcess:
        """Fetch the HEAD of `url` into `ref` (forced); the finished process."""
        return self.run("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", url, f"+HEAD:{ref}", check=False)

    def merge(self, theirs: str, driver: str, message: str | None, env: dict) -> subprocess.CompletedProcess:
        """Merge `theirs` into HEAD with jiesu's merge driver (`driver`, forced on the command line,
        so a clone that lacks it in its config still merges by events): a merge commit saying
        `message`, or a fast-forward only when `message` is None. The finished process."""
        args = ["-c", "merge.jiesu.name=jiesu case merge (union of events)", "-c", f"merge.jiesu.driver={driver}",
                "merge", "--no-edit", "--quiet"]
        args += ["--ff-only"] if message is None else ["--no-ff", "-m", message]
        return self.run(*args, theirs, env=env, check=False)

    def abort_merge(self, check: bool = False) -> None:
        self.run("merge", "--abort", check=check)

    def reset_merge(self, head: str) -> None:
        """Put HEAD, the index and the files a merge touched back to `head`."""
        self.run("reset", "--quiet", "--merge", head, check=False)

    def push(self, remote: str, branch: str, set_upstream: bool) -> subprocess.CompletedProcess:
        """Push HEAD to `remote`'s `branch`; the finished process."""
        args = ["push", "--porcelain"] + (["--set-upstream"] if set_upstream else []) + [remote, f"HEAD:refs/heads/{branch}"]
        return self.run(*args, check=False)

    # --- plain commits of a side repository (private/, the year archives) ----------------------
    def add(self, *paths: str) -> None:
        self.run("add", "-A", "--", *paths)

    def remove(self, *paths: str) -> None:
        self.run("rm", "-q", "--", *paths)

    def commit_staged(self, message: str, env: dict | None = None, config: tuple = (), hooks: bool = False) -> None:
        """Commit what is staged (`config`: `-c key=value` settings for this commit)."""
        self.run(*config, "commit", "-q", *([] if hooks else ["--no-verify"]), "-m", message, env=env)

    def reset_hard(self, head: str) -> None:
        self.run("reset", "-q", "--hard", head, check=False)

    def rewrite_to_one_commit(self, branch: str, message: str) -> None:
        """Replace `branch`'s history by one commit of its present content, and drop the old objects."""
        ident = ["-c", "user.name=jiesu", "-c", "user.email=jiesu@localhost", "-c", "commit.gpgsign=false"]
        self.run("checkout", "-q", "--orphan", "jiesu-purged")
        self.run(*ident, "commit", "-q", "--allow-empty", "-m", message)
        self.run("branch", "-D", branch)
        self.run("branch", "-m", branch)
        self.run("reflog", "expire", "--expire=now", "--all")
        self.run("gc", "-q", "--prune=now")

    # --- a hub's tree, composed in its own index -----------------------------------------------
    def empty_index(self, env: dict) -> None:
        self.run("read-tree", "--empty", env=env)

    def hash_file(self, path: str) -> str:
        """Store a work-tree file as a blob; its id."""
        return self.out("hash-object", "-w", "--", path).strip()

    def index_info(self, lines: list[str], env: dict) -> None:
        """Set index entries from `<mode> <blob><TAB><path>` lines (mode 0 removes)."""
        self.run("update-index", "-z", "--index-info", input="".join(ln + "\0" for ln in lines), env=env)

    def write_tree(self, env: dict) -> str:
        return self.out("write-tree", env=env).strip()

    def commit_tree(self, tree: str, message: str, parent: str | None, env: dict) -> str:
        args = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
        return self.out(*args, env=env).strip()

    def check_out_tree(self, head: str | None, commit: str) -> None:
        """Bring the index and work tree from `head` (None: from nothing) to `commit`."""
        if head:
            self.run("read-tree", "-m", "-u", head, commit)
        else:
            self.run("read-tree", "-u", "--reset", commit)


# --- a commit object, as `git commit-tree` writes it --------------------------------------------
GIT_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
CRUD = set(".,:;<>\"\\'")  # what git trims from the ends of a name or email


def git_date(text: str | None) -> str | None:
    """`<seconds> <+hhmm>` for an ISO 8601 time with offset, as git records it; None for any
    other form (git parses those itself)."""
    if not text or not GIT_DATE.fullmatch(text) or text.endswith("-00:00") or not "1970" <= text[:4] <= "2099":
        return None  # (git refuses a year from 2100 on)
    when = datetime.fromisoformat(text)
    minutes = int(when.utcoffset().total_seconds()) // 60
    seconds = int(when.timestamp())
    if seconds < 0:
        return None
    sign = "-" if minutes < 0 else "+"
    return f"{seconds} {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def plain_ident(text: str | None) -> bool:
    """A name or email git records exactly as given (nothing to trim or drop)."""
    return bool(text) and not set("<>\n") & set(text) and all(ord(c) > 32 and c not in CRUD for c in (text[0], text[-1]))


def commit_body(tree: str, parent: str | None, message: str, author: tuple, committer: tuple,
                encoding: str | None = None) -> bytes | None:
    """The content of the commit object `git commit-tree` writes for `tree`, `parent` and
    `message` (`author`, `committer`: ((name, email), ISO 8601 time)); None where git must write
    it itself: a name or email git would clean up, a time in another form, a message encoding
    other than UTF-8."""
    if encoding is not None and encoding.lower().replace("-", "") != "utf8":
        return None
    lines = [f"tree {tree}"] + ([f"parent {parent}"] if parent else [])
    for role, ((name, email), when) in (("author", author), ("committer", committer)):
        stamp = git_date(when)
        if stamp is None or not plain_ident(name) or not plain_ident(email):
            return None
        lines.append(f"{role} {name} <{email}> {stamp}")
    return ("\n".join(lines) + "\n\n" + message).encode("utf-8")


# --- what a commit says ----------------------------------------------------------------------
def commit_message(action: str, case_id: str, title: str, actor: str, detail: str = "", case_ids=None,
                   trailer: str = "Jiesu-Case") -> str:
    """Subject `<action> <ID>: <title>`, an optional detail line, and the jiesu trailers.

    `case_ids` names every record the commit touches (default: just `case_id`); `trailer` names
    the kind of record (`Jiesu-Case`, or `Jiesu-Theme` for a theme).
    """
    from jiesu.privacy import scrub

    clean_title = scrub(" ".join(str(title or "").split()))[:72]
    lines = [f"{action} {case_id}: {clean_title}".rstrip(": ")]
    if detail:
        lines += ["", scrub(detail)]
    lines.append("")
    for cid in case_ids or [case_id]:
        lines.append(f"{trailer}: {cid}")
    lines += [f"Jiesu-Action: {action}", f"Jiesu-Actor: {actor}"]
    return "\n".join(lines) + "\n"


def batch_message(subject: str, log: list, actor: str) -> str:
    """The message of a batch commit: `subject`, what the batch did (`log`: (action, case id)),
    and a `Jiesu-Case` trailer for every case it touched."""
    ids = list(dict.fromkeys(case_id for _action, case_id in log))
    counts: dict = {}
    for action, _case in log:
        counts[action] = counts.get(action, 0) + 1
    detail = ", ".join(f"{n} {a}" for a, n in counts.items())
    lines = [subject, "", f"{len(log)} actions on {len(ids)} cases: {detail}", ""]
    lines += [f"Jiesu-Case: {cid}" for cid in ids]
    lines += ["Jiesu-Action: batch", f"Jiesu-Actor: {actor}"]
    return "\n".join(lines) + "\n"


def with_office(message: str, office: str) -> str:
    """A jiesu commit's message with the `Jiesu-Office` trailer naming the office that wrote it
    (see jiesu/skew.py)."""
    if "\nJiesu-Action: " in message and "\nJiesu-Office: " not in message:
        message = message.rstrip("\n") + f"\nJiesu-Office: {office}\n"
    return message


def author_identity(store, actor: str) -> tuple[str, str]:
    """(name, email) for a commit by `actor`: git's email when the actor is git's user."""
    name, email = store.git.identity()
    if name and actor == name and email:
        return actor, email
    local = re.sub(r"[^A-Za-z0-9._-]+", "-", actor).strip("-.") or "actor"
    return actor, f"{local}@{store.office.lower()}.jiesu.invalid"
