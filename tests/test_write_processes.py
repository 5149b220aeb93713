"""A write runs few git processes, whatever the store's size: each one costs a few milliseconds
and a write's floor is a handful of them. A `git` first on PATH logs every command it is given
and runs the real git (git still does all the work); the test counts what one write asks for.

jiesu writes a commit object itself, as `git commit-tree` writes it, unless the commit is signed
(then git writes it) — the second half checks the two give the same object, byte for byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ETERNAL, GARBAGE

from jiesu.store.gitwrite import Git, commit_body, git_date, object_id

INTAKE = ["intake", "--type", "complaint", "--category", GARBAGE, "--title", "Rubbish at the gate", "--street", ETERNAL]
# what one write asks of git: HEAD, its tree and the trees along the case's path through one
# cat-file, the config once, the ref, git's index; an intake also refreshes the read index
# (HEAD, outside the store lock) for its duplicate check
WRITE = ["cat-file", "config", "update-ref", "update-index"]


@pytest.fixture
def logged(tmp_path):
    """(environment whose `git` logs its arguments, the log)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "git.log"
    shim = folder / "git"
    shim.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{log}'\nexec '{shutil.which('git')}' \"$@\"\n")
    shim.chmod(0o755)
    return dict(os.environ, PATH=f"{folder}{os.pathsep}{os.environ['PATH']}"), log


def git_commands(store, env, log: Path, *args) -> list[str]:
    """The git subcommands that `jiesu ARGS` ran (the background commit-graph refresh left out)."""
    log.write_text("")
    proc = subprocess.run([sys.executable, "-m", "jiesu", *args], env=dict(env, JIESU_STORE=str(store.root)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    subs = [line.split()[0] for line in log.read_text().splitlines() if line.strip()]
    return [s for s in subs if s != "commit-graph"], proc.stdout.strip()


@pytest.mark.slow
def test_a_write_runs_four_git_processes_and_an_intake_five(store, logged):
    env, log = logged
    git_commands(store, env, log, *INTAKE)  # the first write builds the read index
    subs, case_id = git_commands(store, env, log, *INTAKE)
    assert sorted(subs) == sorted(["rev-parse", *WRITE])
    for args in (["assign", case_id], ["note", case_id, "called back"]):
        subs, _ = git_commands(store, env, log, *args)
        assert sorted(subs) == sorted(WRITE), args
    head = subprocess.run(["git", "log", "-3", "--format=%s"], cwd=store.root, capture_output=True, text=True).stdout
    assert head.splitlines() == [f"note {case_id}: Rubbish at the gate", f"assign {case_id}: Rubbish at the gate",
                                 f"intake {case_id}: Rubbish at the gate"]
    assert subprocess.run(["git", "status", "--porcelain"], cwd=store.root, capture_output=True, text=True).stdout == ""
    fsck = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=store.root, capture_output=True, text=True)
    assert fsck.returncode == 0 and "error" not in fsck.stderr, fsck.stderr


@pytest.fixture
def repo(tmp_path) -> Git:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    git = Git(root)
    (root / "a.txt").write_text("hello\n")
    git.run("add", "a.txt")
    return git


@pytest.mark.parametrize("author, committer, message", [
    (("operator", "operator@hl.jiesu.invalid", "2021-11-10T12:00:00+08:00"),
     ("Wang Fang", "wang@example.org", "2021-11-10T12:00:05+08:00"), "intake HL-2111-0001: Rubbish\n"),
    (("街道 办事处", "jd@example.org", "2025-03-30T01:30:00-04:00"),
     ("x", "y@z", "2025-03-30T06:30:00+05:45"), "note HL-2503-0001: 门口垃圾\n\nJiesu-Case: HL-2503-0001\n"),
    (("a", "b@c", "1970-01-01T00:00:00+00:00"), ("a", "b@c", "2099-12-31T23:59:59-12:00"), "no newline at the end"),
])
def test_a_commit_object_is_what_git_commit_tree_writes(repo, author, committer, message):
    tree = repo.out("write-tree")
    for parent in (None, repo.out("commit-tree", tree, "-m", "first", env={
            "GIT_AUTHOR_NAME": "p", "GIT_AUTHOR_EMAIL": "p@q", "GIT_COMMITTER_NAME": "p", "GIT_COMMITTER_EMAIL": "p@q"})):
        env = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": author[2],
               "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1], "GIT_COMMITTER_DATE": committer[2]}
        by_git = repo.out("commit-tree", tree, *(["-p", parent] if parent else []), "-F", "-", input=message, env=env)
        body = commit_body(tree, parent, message, (author[:2], author[2]), (committer[:2], committer[2]))
        assert object_id("commit", body) == by_git
        assert repo.run("cat-file", "commit", by_git, binary=True).stdout == body


@pytest.mark.parametrize("ident, date, encoding", [
    (("Ann.", "ann@example.org"), "2021-11-10T12:00:00+08:00", None),  # git trims the dot
    (("Ann <x>", "ann@example.org"), "2021-11-10T12:00:00+08:00", None),  # git drops the brackets
    ((" Ann", "ann@example.org"), "2021-11-10T12:00:00+08:00", None),
    (("Ann", ""), "2021-11-10T12:00:00+08:00", None),
    (("Ann", "ann@example.org"), "2021-11-10 12:00:00", None),  # git parses other forms itself
    (("Ann", "ann@example.org"), "2021-11-10T12:00:00-00:00", None),
    (("Ann", "ann@example.org"), None, None),
    (("Ann", "ann@example.org"), "2100-01-01T00:00:00+08:00", None),  # git refuses it
    (("Ann", "ann@example.org"), "2021-11-10T12:00:00+08:00", "GBK"),  # a message encoding git must record
])
def test_git_writes_the_commits_jiesu_would_not_write_exactly(ident, date, encoding):
    assert commit_body("4b825dc642cb6eb9a060e54bf8d69288fbee4904", None, "m\n", (ident, date), (ident, date), encoding) is None


def test_a_date_is_recorded_as_git_records_it():
    assert git_date("2021-11-10T12:00:00+08:00") == "1636516800 +0800"
    assert git_date("2021-11-10T04:00:00+00:00") == "1636516800 +0000"
    assert git_date("2021-11-09T23:00:00-05:00") == "1636516800 -0500"
    assert git_date("2021-11-10T12:00:00.5+08:00") is None
