"""Git, pinned to one repository and driven through its command line.

Commits go through plumbing (`update-index`, `write-tree`, `commit-tree`, `update-ref`) so that one
case change costs the same in a store of a hundred cases or a million, and only the named paths
can ever enter a jiesu commit. Inherited `GIT_DIR`, `GIT_WORK_TREE` and friends are ignored.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from jiesu import faults
from jiesu.errors import StoreError
from jiesu.i18n import _

_DROP = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
    "GIT_COMMITTER_DATE", "GIT_EDITOR", "GIT_QUARANTINE_PATH", "GIT_REPLACE_REF_BASE", "GIT_GRAFT_FILE",
    "GIT_SHALLOW_FILE", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_LITERAL_PATHSPECS",
)
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
PACK_AT = 64  # a commit of this many paths writes its new objects as one pack, not loose files


def pinned_overrides(root: Path) -> dict:
    """Values for a tool that adds to the process environment instead of replacing it (gitpython):
    each repository setting git could inherit is set to this repository's own, or to empty."""
    git_dir = Path(root).resolve() / ".git"
    own = {"GIT_DIR": git_dir, "GIT_WORK_TREE": Path(root).resolve(), "GIT_INDEX_FILE": git_dir / "index",
           "GIT_OBJECT_DIRECTORY": git_dir / "objects", "GIT_COMMON_DIR": git_dir, "GIT_CONFIG_COUNT": "0",
           "GIT_REPLACE_REF_BASE": "refs/replace/", "GIT_GRAFT_FILE": git_dir / "info" / "grafts",
           "GIT_SHALLOW_FILE": git_dir / "shallow", "GIT_LITERAL_PATHSPECS": "0", "GIT_DISCOVERY_ACROSS_FILESYSTEM": "0"}
    env = {k: str(own.get(k, "")) for k in _DROP if k in os.environ}
    env.update({k: v for k, v in pinned_env(root).items() if k.startswith(("GIT_", "LC_"))})
    return env


def pinned_env(root: Path) -> dict:
    """The environment for git in `root`: no inherited repository settings, no prompts, C locale."""
    env = {k: v for k, v in os.environ.items() if k not in _DROP and not k.startswith("GIT_TRACE")}
    env["GIT_CEILING_DIRECTORIES"] = str(Path(root).resolve().parent)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    env["GIT_OPTIONAL_LOCKS"] = "0"  # `git status` in a reader never takes index.lock from a writer
    env.pop("LANGUAGE", None)
    return env


class GitFailed(StoreError):
    """A git command failed; the message carries git's own first line of complaint."""


class Git:
    """One repository, addressed by its work-tree path."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.env = pinned_env(self.root)
        self._identity = None
        self._objects = None
        self.last_blobs: dict = {}  # path → blob id (None: removed) of the last commit
        self.notes: list[str] = []  # what a landed commit could not finish (for the user)

    def run(self, *args: str, input: str | bytes | None = None, check: bool = True, env: dict | None = None,
            binary: bool = False) -> subprocess.CompletedProcess:
        """Run `git args…` in the repository and return the finished process."""
        full_env = dict(self.env, **(env or {}))
        data = input.encode("utf-8") if isinstance(input, str) else input
        proc = subprocess.run(
            ["git", *args], cwd=self.root, env=full_env, input=data, capture_output=True,
        )
        if not binary:
            proc.stdout = proc.stdout.decode("utf-8", "replace")
            proc.stderr = proc.stderr.decode("utf-8", "replace")
        if check and proc.returncode != 0:
            err = proc.stderr if isinstance(proc.stderr, str) else proc.stderr.decode("utf-8", "replace")
            lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
            detail = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), lines[0] if lines else "")
            raise GitFailed(_('git {command} failed: {detail}').format(command=args[0], detail=detail or 'exit code ' + str(proc.returncode)))
        return proc

    def out(self, *args: str, **kw) -> str:
        return self.run(*args, **kw).stdout.strip()

    def is_repo_root(self) -> bool:
        proc = self.run("rev-parse", "--show-toplevel", check=False)
        if proc.returncode != 0:
            return False
        return Path(proc.stdout.strip()).resolve() == self.root.resolve()

    def head(self) -> str | None:
        """The commit HEAD names, or None in a repository without commits."""
        proc = self.run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        return proc.stdout.strip() or None

    def config(self, key: str) -> str | None:
        proc = self.run("config", "--get", key, check=False)
        return proc.stdout.strip() or None

    def signs(self) -> bool:
        """Does this repository sign its commits (`commit.gpgSign`)?"""
        if not hasattr(self, "_signs"):
            proc = self.run("config", "--type=bool", "--get", "commit.gpgsign", check=False)
            self._signs = proc.stdout.strip() == "true"
        return self._signs

    def identity(self) -> tuple[str | None, str | None]:
        """git's configured user.name and user.email (either may be missing)."""
        if self._identity is None:
            proc = self.run("config", "--get-regexp", r"^user\.(name|email)$", check=False)
            values = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
            self._identity = (values.get("user.name"), values.get("user.email"))
        return self._identity

    def show_file(self, rev: str, path: str) -> bytes | None:
        """The content of `path` at `rev`, or None if it does not exist there."""
        proc = self.run("cat-file", "blob", f"{rev}:{path}", check=False, binary=True)
        return proc.stdout if proc.returncode == 0 else None

    # --- writing ----------------------------------------------------------------------------
    def stage(self, paths: list[str]) -> None:
        """Record the work-tree state of `paths` in the index (added, changed or removed)."""
        if paths:
            self.run("update-index", "--add", "--remove", "-z", "--stdin", input="\0".join(paths) + "\0")

    def objects(self):
        """The object writer for this repository (None if it is not a SHA-1 repository)."""
        if self._objects is None:
            from jiesu.store.objects import ObjectWriter

            fmt = self.run("rev-parse", "--show-object-format", check=False).stdout.strip() or "sha1"
            self._objects = ObjectWriter(self) if fmt == "sha1" else False
        return self._objects or None

    def commit(self, paths: list[str], message: str, author: tuple[str, str], author_date: str | None = None,
               committer_date: str | None = None, parent: str | None | bool = False,
               contents: dict | None = None) -> str | None:
        """Commit exactly `paths` as they are in the work tree; return the new commit (None if no change).

        `contents` (path → bytes) may give what the caller has just written to some of the paths,
        so they are not read back. From `PACK_AT` paths on, the new objects go into one pack.

        The tree is HEAD's tree with these paths replaced, so nothing else that may be staged in
        git's index can ever ride along in a jiesu commit. Afterwards git's index is brought in
        step with HEAD for these paths, so `git status` stays clean.
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
                tree = writer.apply(parent_tree, changes) or writer.write_tree({})
                writer.write_collected()
            finally:
                writer.discard_collected()
            parent_tree = parent_tree or EMPTY_TREE
        if tree == parent_tree:
            self.stage(paths)
            return None
        name, email = author
        cname, cemail = self.identity()
        env = {
            "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": cname or name, "GIT_COMMITTER_EMAIL": cemail or email,
        }
        if author_date:
            env["GIT_AUTHOR_DATE"] = author_date
        if committer_date:
            env["GIT_COMMITTER_DATE"] = committer_date
        args = ["commit-tree", tree, "-F", "-"]
        if parent:
            args[2:2] = ["-p", parent]
        if self.signs():
            args.insert(1, "-S")  # commit-tree ignores commit.gpgSign; porcelain commits would honour it
        commit = self.out(*args, input=message, env=env)
        faults.point("after-commit-object")
        self.run("update-ref", "-m", f"jiesu: {message.splitlines()[0]}", "HEAD", commit, parent or "0" * 40)
        faults.point("after-ref")
        self._stage_landed(paths, commit)
        faults.point("after-index")
        return commit

    def _stage_landed(self, paths: list[str], commit: str) -> None:
        """Bring git's index in step after the commit landed; never fail the write for it.

        The index may be locked for a moment by another git (a reader's or a person's), or for
        good by a git that was killed: wait a little, clear a stale lock, and if it still cannot
        be done say so — the commit is in the history either way.
        """
        from jiesu.store import leftovers

        delay = 0.02
        for attempt in range(8):
            try:
                self.stage(paths)
                return
            except GitFailed as exc:
                failure = exc
            leftovers.clear(self.root)
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        self.notes.append(f"commit {commit[:10]} is saved, but git's index could not be brought in step with it "
                          f"({failure.message}); run `jiesu verify --repair`")

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
        if self._objects:
            self._objects.close()

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
