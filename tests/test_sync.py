"""`jiesu sync` against real bare repositories on the local disk.

Two and three clones of different offices act on shared cases between syncs; every event any of
them committed ends in every clone. Refusals (rejected push, unreachable remote, a conflict outside
cases/, one id given to two cases) leave nothing half-done, and `private/` never reaches the remote.
"""

from __future__ import annotations

import subprocess

import pytest
from click.testing import CliRunner
from conftest import ETERNAL, GARBAGE, Cli, event_ids, git, jiesu_proc, snapshot

from jiesu import ops
from jiesu.cli import cli
from jiesu.store import Store

pytestmark = pytest.mark.slow

SPRING = "dragon-gate/dragon-spring"


@pytest.fixture
def bare(tmp_path):
    path = tmp_path / "shared.git"
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    return path


@pytest.fixture
def hl(store, run, bare):
    """The first office: creates the store and pushes it to the empty remote."""
    git(store.root, "remote", "add", "origin", str(bare))
    out = run("sync").stdout
    assert "pushed 1 commit(s) to origin/main" in out
    return run


def office(tmp_path, bare, code: str | None) -> Cli:
    """Another office joins by cloning the shared store."""
    argv = ["init", str(tmp_path / f"office-{code or 'same'}"), "--clone", str(bare)]
    if code:
        argv += ["--office", code]
    out = CliRunner().invoke(cli, argv)
    assert out.exit_code == 0, out.output
    return Cli(Store(tmp_path / f"office-{code or 'same'}"))


def intake(run: Cli, title: str, street=ETERNAL, *extra) -> str:
    return run("intake", "--type", "complaint", "--category", GARBAGE, "--title", title, "--street", street, *extra).stdout.strip()


def test_two_offices_share_cases_between_syncs(tmp_path, hl, bare):
    xc = office(tmp_path, bare, "XC")
    assert xc.store.office == "XC"
    a = intake(hl, "Rubbish at the gate")
    b = intake(xc, "Blocked drain", SPRING)
    assert (a, b) == ("HL-2111-0001", "XC-2111-0001")
    hl("sync")
    xc("sync")
    hl("sync")
    # both act on both cases, then sync again
    hl("assign", b, SPRING)
    xc("assign", a, ETERNAL)
    xc("--as", "eternal-town", "accept", a)
    hl("note", a, "Caller rang again")
    hl("--as", "spring-town", "accept", b)
    xc("note", b, "Site visited")
    seen = {**event_ids(hl.store.root)}
    for cid, ids in event_ids(xc.store.root).items():
        seen[cid] = seen.get(cid, set()) | ids
    xc("sync")
    out = hl("sync").stdout
    assert out.startswith("merged 3 commit(s) from origin/main; 2 case file(s) changed\n") and "pushed 4 commit(s)" in out
    assert xc("sync").stdout.startswith("fast-forward 4 commit(s)")
    assert git(hl.store.root, "rev-parse", "HEAD") == git(xc.store.root, "rev-parse", "HEAD")
    final = event_ids(hl.store.root)
    assert final == seen  # every event of either office, exactly once
    for run in (hl, xc):
        run.assert_clean()
        case = Store(run.store.root).load_case(a)
        # one frozen clock: at equal times the merging side's own events (hl's note) come first
        assert case["state"]["status"] == "accepted" and [e["action"] for e in case["events"]] == [
            "intake", "note", "assign", "accept"]
    assert hl.json("list")[1]["status"] == "accepted"  # the index refreshed itself after the merge


def test_three_offices_and_a_district_that_pulls_everything(tmp_path, hl, bare):
    xc, dc = office(tmp_path, bare, "XC"), office(tmp_path, bare, "DC")
    clones = {"HL": hl, "XC": xc, "DC": dc}
    shared = intake(hl, "Street lamp out")
    hl("sync")
    for run in (xc, dc):
        run("sync")
    committed: dict = {}
    for round_ in range(3):
        for code, run in clones.items():
            own = intake(run, f"{code} request {round_}")
            run("note", shared, f"{code} looked at it in round {round_}")
            assert own.startswith(f"{code}-2111-")
            for cid, ids in event_ids(run.store.root).items():
                committed[cid] = committed.get(cid, set()) | ids
        for run in clones.values():
            run("sync")
    for run in clones.values():
        run("sync")
    heads = {git(run.store.root, "rev-parse", "HEAD") for run in clones.values()}
    assert len(heads) == 1
    final = event_ids(dc.store.root)
    assert final == committed
    assert len(final) == 1 + 9  # one shared case and three per office, no id taken twice
    notes = [e for e in Store(dc.store.root).load_case(shared)["events"] if e["action"] == "note"]
    assert len(notes) == 9
    for run in clones.values():
        run.assert_clean()


def test_private_data_never_reaches_the_remote(tmp_path, hl, bare):
    case_id = intake(hl, "Noise at night", ETERNAL, "--name", "Zhang Weiguo", "--surname", "Zhang", "--phone", "13812345678",
                     "--confidential")
    assert (hl.store.root / "private" / "people").is_dir()
    hl("sync")
    xc = office(tmp_path, bare, "XC")
    xc("sync")
    paths = git(bare, "ls-tree", "-r", "--name-only", "main").split()
    assert f"cases/2021/11/{case_id}.yaml" in paths
    assert not [p for p in paths if p.startswith("private")]
    objects = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=bare, capture_output=True).stdout
    assert b"Zhang Weiguo" not in objects and b"13812345678" not in objects and b"surname: Zhang" not in objects
    assert not (xc.store.root / "private" / "people").exists()
    assert git(hl.store.root, "check-ignore", "private/people/P-000001.yaml").strip() == "private/people/P-000001.yaml"


def test_one_id_given_to_two_cases_stops_the_sync_and_renumber_fixes_it(tmp_path, hl, bare):
    twin = office(tmp_path, bare, None)  # a second desk of office HL, numbering on its own
    mine = intake(hl, "Rubbish at the gate", ETERNAL, "--name", "Li Xiaoming", "--phone", "13912345678")
    theirs = intake(twin, "Dog barking", SPRING)
    assert mine == theirs == "HL-2111-0001"
    twin("sync")
    result = hl.fails("sync", match="case id HL-2111-0001 was given to two different cases, here and on origin; nothing was merged")
    assert "hint: renumber the case made here: jiesu renumber HL-2111-0001" in result.stderr
    assert not (hl.store.root / ".git" / "MERGE_HEAD").exists()
    hl.fails("renumber", "HL-2111-0009", match="no case HL-2111-0009")
    out = hl("renumber", mine).stdout
    assert out.strip() == "HL-2111-0001 is now HL-2111-0002"  # 0001 is taken on origin
    hl("sync")
    twin("sync")
    cases = {c["id"]: c["title"] for c in twin.json("list")}
    assert cases == {"HL-2111-0001": "Dog barking", "HL-2111-0002": "Rubbish at the gate"}
    moved = Store(hl.store.root).load_case("HL-2111-0002")
    assert moved["events"][-1]["text"] == "renumbered from HL-2111-0001: the id was taken by another case"
    assert "HL-2111-0002" in (hl.store.root / "private" / "people" / "P-000001.yaml").read_text("utf-8")
    # its history follows it back to the id it was received under, in both clones
    for run in (hl, twin):
        entries = run.json("log", "HL-2111-0002")
        assert [(e["action"], e["renumbered_from"], e["created"]) for e in entries] == [
            ("intake", None, True), ("renumber", "HL-2111-0001", False)]
        assert [e.split(":")[0] for e in entries[1]["events_added"]] == ["note by operator at 2021-11-10T12"]
        assert "~ renumbered from HL-2111-0001" in run("log", "HL-2111-0002").stdout
    twin.fails("renumber", "HL-2111-0002", match="HL-2111-0002 is already shared (origin/main has it)")


def test_conflict_outside_cases_leaves_nothing_half_done(tmp_path, hl, bare):
    xc = office(tmp_path, bare, "XC")
    for run, name in ((hl, "Dragon Gate office"), (xc, "Xicheng office")):
        path = run.store.root / "jiesu.yaml"
        path.write_text(path.read_text("utf-8").replace("name: Test office", f"name: {name}"), "utf-8")
        git(run.store.root, "commit", "-q", "-am", f"rename the office to {name}")
    intake(hl, "A case on our side")
    hl("sync")
    before = snapshot(xc.store.root)
    result = xc.fails("sync", match="conflict outside cases/ in jiesu.yaml: both sides changed the same lines; nothing was merged")
    assert "hint: settle it with git" in result.stderr
    assert snapshot(xc.store.root) == before
    assert subprocess.run(["git", "rev-parse", "-q", "--verify", "MERGE_HEAD"], cwd=xc.store.root).returncode != 0
    assert not (xc.store.root / "cases" / "2021").exists()


def test_rejected_push_is_explained_and_keeps_the_merge(tmp_path, hl, bare):
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are frozen during the audit' >&2\nexit 1\n")
    hook.chmod(0o755)
    intake(hl, "Lamp out")
    remote_head = git(bare, "rev-parse", "main")
    result = hl.fails("sync", match="push to origin was rejected: pushes are frozen during the audit")
    assert "loses nothing" in result.stderr
    assert git(bare, "rev-parse", "main") == remote_head
    hook.unlink()
    assert "pushed 1 commit(s)" in hl("sync").stdout


def test_a_push_that_loses_a_race_merges_again_and_pushes(tmp_path, hl, bare):
    """Another office pushes between this sync's fetch and its push: the push is refused, so sync
    fetches, merges again and pushes; both offices' cases end on the remote."""
    xc = office(tmp_path, bare, "XC")
    theirs = intake(xc, "Blocked drain", SPRING)
    ours = intake(hl, "Lamp out")
    marker = tmp_path / "raced"
    hook = hl.store.root / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        f"[ -e '{marker}' ] && exit 0\n"
        f"touch '{marker}'\n"
        f"env -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE git -C '{xc.store.root}' push -q origin HEAD:refs/heads/main >&2\n")
    hook.chmod(0o755)
    result = hl("sync")
    assert marker.exists()
    assert "origin moved on while syncing (attempt 1); merging again" in result.stderr
    assert result.stdout == "merged 1 commit(s) from origin/main; 1 case file(s) changed\npushed 2 commit(s) to origin/main\n"
    remote_cases = git(bare, "ls-tree", "-r", "--name-only", "main", "--", "cases/")
    assert Store(hl.store.root).case_relpath(theirs) in remote_cases
    assert Store(hl.store.root).case_relpath(ours) in remote_cases
    assert git(bare, "rev-parse", "main") == git(hl.store.root, "rev-parse", "HEAD")


def test_sync_does_not_trip_over_a_commit_graph_being_written(tmp_path, hl, bare):
    """jiesu refreshes the commit-graph in the background; a fetch that wrote one as well would die
    on the graph's lock. Hold that lock (as a running `git commit-graph write` does) and sync."""
    xc = office(tmp_path, bare, "XC")
    theirs = intake(xc, "Blocked drain", SPRING)
    xc("sync")
    graphs = hl.store.root / ".git" / "objects" / "info" / "commit-graphs"
    graphs.mkdir(parents=True, exist_ok=True)
    lock = graphs / "commit-graph-chain.lock"
    lock.write_text("")
    git(hl.store.root, "config", "fetch.writeCommitGraph", "true")  # as stores made by older versions have it
    # a live git in the store, so the lock is held rather than stale (jiesu clears stale ones)
    holder = subprocess.Popen(["git", "hash-object", "--stdin"], cwd=hl.store.root, stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL)
    try:
        assert hl("sync", check=False).stdout.startswith("fast-forward 1 commit(s) from origin/main")
    finally:
        holder.communicate(b"")
        lock.unlink(missing_ok=True)
    hl.assert_clean()
    assert theirs in [c["id"] for c in hl.json("list")]
    assert "fetch.writecommitgraph" not in git(xc.store.root, "config", "--list", "--local")


def test_unreachable_remote_and_missing_remote(tmp_path, hl):
    git(hl.store.root, "remote", "add", "gone", str(tmp_path / "nowhere.git"))
    hl.fails("sync", "gone", match="cannot reach remote gone (")
    hl.fails("sync", "nosuch", match="REMOTE: no remote named 'nosuch' (this store's remotes: gone, origin)")
    lonely = Cli(ops.init_store(tmp_path / "lonely", office="LN", actor="admin"))
    lonely.fails("sync", match="this store has no remote to sync with")


def test_sync_refuses_uncommitted_work_and_a_stray_history(tmp_path, hl, bare):
    case_id = intake(hl, "Lamp out")
    path = hl.store.root / hl.store.case_relpath(case_id)
    path.write_text(path.read_text("utf-8").replace("Lamp out", "Lamp OUT"), "utf-8")
    result = hl.raw("sync")
    assert result.exit_code == 1 and result.stderr.startswith(f"error: uncommitted changes in {hl.store.case_relpath(case_id)}")
    assert "jiesu verify --repair" in result.stderr
    hl("verify", "--repair", check=False)
    stray = Cli(ops.init_store(tmp_path / "stray", office="ST", actor="admin"))
    git(stray.store.root, "remote", "add", "origin", str(bare))
    stray.fails("sync", match="origin/main has a history unrelated to this store's; nothing was merged")


def leave_a_merge_half_done(first: Cli, second: Cli) -> None:
    """Both edit one file outside cases/; `first` pushes; `second` starts a plain git merge that stops."""
    for run, name in ((first, "A"), (second, "B")):
        (run.store.root / "reports" / "README.md").write_text(name, "utf-8")
        git(run.store.root, "commit", "-q", "-am", "edit")
    first("sync")
    git(second.store.root, "fetch", "-q", "origin")
    subprocess.run(["git", "merge", "origin/main"], cwd=second.store.root, capture_output=True, check=False)


def test_half_done_merge_is_diagnosed_and_repaired(tmp_path, hl, bare):
    xc = office(tmp_path, bare, "XC")
    leave_a_merge_half_done(hl, xc)
    result = xc.raw("verify")
    assert result.exit_code == 1
    assert ".git/MERGE_HEAD:1: a merge was left half-done" in result.stdout
    fixed = xc.raw("verify", "--repair")
    assert fixed.exit_code == 0 and "aborted a merge that was left half-done" in fixed.stderr
    xc.assert_clean()


def test_a_merge_driver_killed_mid_merge_leaves_nothing_half_done(tmp_path, hl, bare):
    case_id = intake(hl, "Lamp out")
    hl("sync")
    xc = office(tmp_path, bare, "XC")
    xc("note", case_id, "from XC")
    xc("sync")
    hl("note", case_id, "from HL")
    before = snapshot(hl.store.root)
    proc = jiesu_proc(hl.store.root, "sync", env={"JIESU_CRASH_AT": "before-rename"})  # kills the driver git runs
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: the merge driver could not merge {hl.store.case_relpath(case_id)}")
    assert snapshot(hl.store.root) == before and not (hl.store.root / ".git" / "MERGE_HEAD").exists()
    assert "merged 1 commit(s)" in hl("sync").stdout


def test_writes_wait_for_a_half_done_merge_to_be_repaired(tmp_path, hl, bare):
    xc = office(tmp_path, bare, "XC")
    case_id = intake(hl, "Lamp out")
    leave_a_merge_half_done(xc, hl)
    result = hl.raw("note", case_id, "while merging")
    assert result.exit_code == 1 and result.stderr.startswith("error: a merge was left half-done in this store")
    hl("verify", "--repair", check=False)
    hl("note", case_id, "after the repair")


def test_joining_needs_a_reachable_store(tmp_path, bare):
    empty = CliRunner().invoke(cli, ["init", str(tmp_path / "a"), "--clone", str(bare), "--office", "XC"])
    assert empty.exit_code == 1 and empty.stderr.startswith(f"error: {bare} holds no jiesu store (no jiesu.yaml at its top)")
    assert not (tmp_path / "a").exists()
    gone = CliRunner().invoke(cli, ["init", str(tmp_path / "b"), "--clone", str(tmp_path / "nowhere.git")])
    assert gone.exit_code == 1 and gone.stderr.startswith(f"error: cannot clone {tmp_path / 'nowhere.git'}: fatal:")
    bad = CliRunner().invoke(cli, ["init", str(tmp_path / "c"), "--clone", str(bare), "--office", "x-1"])
    assert bad.exit_code == 1 and "--office: 'x-1' must be 1–10 capital letters" in bad.stderr
