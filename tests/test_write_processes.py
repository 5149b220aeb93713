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


def _tree_of(git: Git, rev: str = "HEAD") -> dict[str, str]:
    out = subprocess.run(["git", "ls-tree", "-r", "--full-tree", rev], cwd=git.root, capture_output=True, text=True, check=True).stdout
    return {line.split("\t", 1)[1]: line.split()[2] for line in out.splitlines()}


def test_a_file_changed_in_place_gives_the_tree_git_would_write(repo):
    """The splice of a month's tree (a file that exists, new contents) is the tree git writes."""
    folder = repo.root / "cases" / "2021" / "11"
    folder.mkdir(parents=True)
    for n in range(1, 40):
        (folder / f"HL-2111-{n:04d}.yaml").write_text(f"id: HL-2111-{n:04d}\n")
    repo.run("add", "-A")
    repo.run("commit", "-q", "-m", "cases")
    writer = repo.objects()
    month = repo.run("rev-parse", "HEAD:cases/2021/11").stdout.strip()
    blob = writer.write("blob", b"id: HL-2111-0007\nedited: true\n")
    spliced = writer._replace_in_place(month, {"HL-2111-0007.yaml": blob})
    whole = writer.apply(writer.commit_tree(repo.head()), {"cases/2021/11/HL-2111-0007.yaml": blob})
    (folder / "HL-2111-0007.yaml").write_text("id: HL-2111-0007\nedited: true\n")
    repo.run("add", "-A")
    expected = repo.run("write-tree").stdout.strip()
    assert whole == expected
    assert spliced == repo.run("rev-parse", f"{expected}:cases/2021/11").stdout.strip()
    assert writer._replace_in_place(month, {"HL-2111-0040.yaml": blob}) is None  # a new file: no splice


def test_a_name_that_ends_like_a_case_file_is_never_spliced(run, store):
    """A hand-committed file named `x100644 <case file>` beside the case: the case's own entry changes."""
    from conftest import git, new_case

    case_id = new_case(run)
    rel = store.case_relpath(case_id)
    folder = (store.root / rel).parent
    name = (store.root / rel).name
    decoy = folder / f"x100644 {name}"
    decoy.write_text("not a case\n")
    later = folder / f"x100644 {name[:-9]}{int(name[-9:-5]) + 1:04d}.yaml"  # ends like the next case's file
    later.write_text("not a case either\n")
    git(store.root, "add", "-A")
    git(store.root, "commit", "-q", "-m", "decoys")
    before = _tree_of(store.git)
    # (`run.raw`: the decoys are files verify refuses, and rightly)
    assert run.raw("note", case_id, "called back").exit_code == 0  # an existing file: two matches
    made = run.raw(*INTAKE)  # a new file: git finds no entry for it
    assert made.exit_code == 0, made.output
    second = made.stdout.split()[0]
    assert second == f"{name[:-9]}{int(name[-9:-5]) + 1:04d}"
    assert run.raw("note", second, "called too").exit_code == 0
    after = _tree_of(store.git)
    for path in (rel, store.case_relpath(second)):
        blob = subprocess.run(["git", "hash-object", path], cwd=store.root, capture_output=True, text=True, check=True).stdout.strip()
        assert after[path] == blob
    decoys = [str(p.relative_to(store.root)) for p in (decoy, later)]
    assert [after[d] for d in decoys] == [before[d] for d in decoys]
    assert subprocess.run(["git", "status", "--porcelain"], cwd=store.root, capture_output=True, text=True).stdout == ""
