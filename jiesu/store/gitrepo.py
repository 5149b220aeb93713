"""Git, pinned to one repository and driven through its command line: the reading side.

`GitReader` runs git in one repository with inherited `GIT_DIR`, `GIT_WORK_TREE` and friends
ignored, and answers what jiesu asks of it (HEAD, config, identity, a file at a commit). Every
git write — objects, refs, git's index, config, merges, fetches — lives in `jiesu.store.gitwrite`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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


def config_bool(value: str | None) -> bool:
    """A config value read as git's `--type=bool` reads it (a key without `=` is true); a value
    git would refuse counts as false."""
    if value is None:
        return True
    text = value.strip().lower()
    if text in ("true", "yes", "on"):
        return True
    try:
        return int(text, 0) != 0
    except ValueError:
        return False


class GitFailed(StoreError):
    """A git command failed; the message carries git's own first line of complaint."""


class GitReader:
    """One repository, addressed by its work-tree path, for reading (`gitwrite.Git` also writes)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.env = pinned_env(self.root)
        self._settings: dict | None = None

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

    def settings(self) -> dict:
        """Every config value git sees for this repository (system, global, the repository's own,
        includes followed), read once per process with one `git config -z --list`: key → its
        last value (None for a key written without `=`). Section and variable names come lowercase,
        as git prints them."""
        if self._settings is None:
            proc = self.run("config", "-z", "--list", check=False, binary=True)
            values: dict = {}
            for entry in proc.stdout.split(b"\0"):
                if not entry:
                    continue
                key, newline, value = entry.decode("utf-8", "replace").partition("\n")
                values[key] = value if newline else None
            self._settings = values
        return self._settings

    def signs(self) -> bool:
        """Does this repository sign its commits (`commit.gpgSign`)?"""
        return config_bool(self.settings().get("commit.gpgsign", "false"))

    def identity(self) -> tuple[str | None, str | None]:
        """git's configured user.name and user.email (either may be missing)."""
        values = self.settings()
        return values.get("user.name"), values.get("user.email")

    def show_file(self, rev: str, path: str) -> bytes | None:
        """The content of `path` at `rev`, or None if it does not exist there."""
        proc = self.run("cat-file", "blob", f"{rev}:{path}", check=False, binary=True)
        return proc.stdout if proc.returncode == 0 else None
