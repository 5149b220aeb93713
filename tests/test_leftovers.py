"""What a killed git leaves behind: a stale index.lock, merge copies of case files, a lost index entry.

A `sync` killed while git merges (Ctrl-C reaches the whole process group) leaves git's
`index.lock` and the `.merge_file_*` copies of the case files it was merging. `verify` names them,
`verify --repair` and every later write clear them, git never shows them, and a write whose commit
landed never reports failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import test_sync
from conftest import event_ids, git, jiesu_proc, new_case, snapshot
from test_sync import intake, office

from jiesu import verify
from jiesu.store import Store, leftovers

bare, hl = test_sync.bare, test_sync.hl  # the shared remote and the first office (fixtures)


def killed_sync(root) -> int:
    """`jiesu sync` in its own process group, killed with it while git runs the merge driver."""
    env = dict(os.environ, JIESU_STORE=str(root), JIESU_CRASH_AT="merge-driver")
    proc = subprocess.run([sys.executable, "-m", "jiesu", "sync"], env=env, capture_output=True, text=True,
                          start_new_session=True, timeout=60, check=False)
    # a kill is delivered, not waited for: on a busy machine a killed git can still be going (and
    # holding its cwd) when sync's own end is seen; what it leaves is only stale once it is gone
    deadline = time.monotonic() + 30
    while leftovers.live_git(root) and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc.returncode


def two_offices_on_one_case(tmp_path, hl, bare):
    case_id = intake(hl, "Lamp out", "dragon-gate/eternal-town", "--surname", "Li", "--phone", "13912345678")
    hl("sync")
    xc = office(tmp_path, bare, "XC")
    xc("note", case_id, "from XC")
    xc("sync")
    hl("note", case_id, "from HL")
    return case_id, xc


def test_a_sync_killed_while_git_merges_is_seen_and_cleared(tmp_path, hl, bare):
    case_id, xc = two_offices_on_one_case(tmp_path, hl, bare)
    root = hl.store.root
    before = event_ids(root)
    assert killed_sync(root) == -9
    left = [p.relative_to(root).as_posix() for p in leftovers.stale(root)]
    assert ".git/index.lock" in left
    copies = [p for p in left if p.startswith(".merge_file_")]
    assert copies, left
    assert "13912345678" in "".join((root / p).read_text("utf-8") for p in copies)  # why they must go
    assert ".merge_file_" not in git(root, "status", "--porcelain", "--untracked-files=all")  # git ignores them
    proc = jiesu_proc(root, "verify")
    assert proc.returncode == 1
    assert ".git/index.lock:1: stale git lock left by a killed git" in proc.stdout
    assert f"{copies[0]}:1: copy of a case file left by an interrupted merge" in proc.stdout
    fixed = jiesu_proc(root, "verify", "--repair")
    assert fixed.returncode == 0 and "removed 1 stale git lock(s)" in fixed.stderr, fixed.stderr
    assert leftovers.stale(root) == [] and not list(root.glob(".merge_file_*"))
    assert jiesu_proc(root, "verify").returncode == 0
    assert jiesu_proc(root, "note", case_id, "after the crash").returncode == 0
    hl("sync")
    after = event_ids(root)
    assert before[case_id] < after[case_id] and len(after[case_id]) == len(before[case_id]) + 2  # XC's note and the new one


def test_the_next_write_after_a_killed_sync_clears_the_lock_itself(tmp_path, hl, bare):
    case_id, xc = two_offices_on_one_case(tmp_path, hl, bare)
    root = hl.store.root
    assert killed_sync(root) == -9
    proc = jiesu_proc(root, "note", case_id, "right after the crash")
    assert "Traceback" not in proc.stderr
    if proc.returncode != 0:  # git got far enough to leave a merge: the message names the one command to run
        assert proc.stderr.startswith("error: a merge was left half-done") and "jiesu verify --repair" in proc.stderr
        assert jiesu_proc(root, "verify", "--repair").returncode == 0
        proc = jiesu_proc(root, "note", case_id, "right after the crash")
    assert proc.returncode == 0, proc.stderr
    assert not (root / ".git" / "index.lock").exists() and not list(root.glob(".merge_file_*"))
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert jiesu_proc(root, "verify").returncode == 0


def test_a_stale_index_lock_before_a_write_is_removed_and_said(run, store):
    case_id = new_case(run)
    (store.root / ".git" / "index.lock").write_text("")
    assert "stale git lock" in run.raw("verify").stdout
    result = run("note", case_id, "the lock is stale")
    assert "removed 1 stale git lock(s) left by a killed git: .git/index.lock" in result.stderr
    assert not (store.root / ".git" / "index.lock").exists()


def test_a_write_whose_commit_landed_never_reports_failure(run, store):
    """A live git holds index.lock for the whole write: the commit still lands and the write says so."""
    case_id = new_case(run)
    lock = store.root / ".git" / "index.lock"
    holder = subprocess.Popen(["git", "hash-object", "--stdin"], cwd=store.root, stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL)  # a live git working in the store
    try:
        lock.write_text("")
        head = git(store.root, "rev-parse", "HEAD").strip()
        result = run.raw("note", case_id, "while git is busy")
        assert result.exit_code == 0, result.stderr
        assert "is saved, but git's index could not be brought in step" in result.stderr
        assert "run `jiesu verify --repair`" in result.stderr
        assert git(store.root, "rev-parse", "HEAD~1").strip() == head
        assert "while git is busy" in git(store.root, "show", "HEAD:" + store.case_relpath(case_id))
        assert not any(p.message.startswith("stale git lock") for p in verify.check_git(Store(store.root)))
    finally:
        holder.communicate(b"")
    lock.unlink()
    run("verify", "--repair", check=False)
    run.assert_clean()


def test_a_path_lost_from_the_index_is_reported_once_and_repaired(run, store):
    case_id = new_case(run)
    rel = store.case_relpath(case_id)
    git(store.root, "rm", "-q", "--cached", rel)
    problems = [str(p) for p in verify.verify(Store(store.root)) if p.path == rel]
    assert problems == [f"{rel}:1: case file is committed but git's index lost it (an interrupted git command); "
                        "`jiesu verify --repair` puts the index back"]
    before = snapshot(store.root)[0]
    run("verify", "--repair", check=False)
    run.assert_clean()
    assert (store.root / rel).is_file() and snapshot(store.root)[0] == before
