"""`jiesu log` from the read index's commits per case: the same history, byte for byte, as git's
path-limited walk — after jiesu's own commands, a hand commit outside jiesu, a sync from another
office, `verify --reindex-history` and a deleted index."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest
from conftest import ETERNAL, GARBAGE, Cli, git, new_case

from jiesu import history
from jiesu.index import Index, changes
from jiesu.index.changes import file_key
from jiesu.store import Store


def walked(store, case_id: str) -> list[str]:
    """The commits of the case as git's own path-limited walk finds them, oldest first."""
    store = Store(store.root)
    steps = history._from_walk(history.open_repo(store.root), store, Index(store), store.case_relpath(case_id))
    return [c.hexsha for c, _, _ in reversed(steps)]


def from_table(store, case_id: str) -> list[str] | None:
    """The commits of the case as the index's table lists them, oldest first (None: it cannot tell)."""
    store = Store(store.root)
    index, rel = Index(store), store.case_relpath(case_id)
    steps = history._from_index(history.open_repo(store.root), index, rel, index.commits_of(rel))
    return None if steps is None else [c.hexsha for c, _, _ in reversed(steps)]


def forget_table(store) -> None:
    """Make the index's table unknown, so `log` walks git's history."""
    db = sqlite3.connect(store.root / ".jiesu" / "index.sqlite")
    with db:
        db.execute("DELETE FROM changes")
        db.execute("UPDATE meta SET value = '' WHERE key = 'log_head'")
    db.close()


def outputs(run: Cli, case_id: str) -> tuple:
    return tuple(run(*lang, "log", case_id, *fmt, check=False).stdout
                 for lang in ([], ["--lang", "zh"]) for fmt in ([], ["--format", "json"]))


def same_as_walk(run: Cli, case_id: str) -> tuple:
    """Assert the table answers for the case, as git's walk does, in text and JSON, English and
    Chinese; the outputs."""
    store = run.store
    listed = from_table(store, case_id)
    assert listed is not None and listed == walked(store, case_id)
    assert [h["commit"] for h in run.json("log", case_id)] == listed
    table = outputs(run, case_id)
    forget_table(store)
    assert from_table(store, case_id) is None
    assert outputs(run, case_id) == table
    Index(Store(store.root)).reindex_history()
    return table


@pytest.fixture
def worked(run, store):
    """Cases changed by many commands."""
    ids = [new_case(run, at=f"2021-11-0{d}T09:00") for d in range(1, 5)]
    run("assign", ids[0])
    run("accept", ids[0])
    run("contact", ids[0], "--note", "called back")
    run("close", ids[0], "--resolved", "--summary", "cleared")
    run("assign", ids[1])
    run("reject", ids[2], "--reason", "invalid")
    run("renumber", ids[3])
    return ids


def test_table_matches_the_walk_after_many_commands(run, store, worked):
    Index(store).connect().close()
    for case_id in worked[:3] + ["HL-2111-0005"]:
        text, _, zh_text, _ = same_as_walk(run, case_id)
        assert text.count("\n    + ") >= 2 and "登记" in zh_text
    assert "~ renumbered from HL-2111-0004" in run("log", "HL-2111-0005").stdout


def test_commits_after_a_cold_build_are_added_as_they_land(run, store, worked):
    index = store.root / ".jiesu" / "index.sqlite"
    index.unlink()
    run("list")  # a cold build reads the whole history
    run("contact", worked[1], "--note", "on the way")  # jiesu's own commit: the hook adds it
    db = sqlite3.connect(index)
    head = git(store.root, "rev-parse", "HEAD").strip()
    assert dict(db.execute("SELECT key, value FROM meta"))["log_head"] == head
    assert db.execute("SELECT sha FROM changes WHERE file = ? ORDER BY seq DESC", (file_key(store.case_relpath(worked[1])),)).fetchone()[0] == bytes.fromhex(head)[:8]
    db.close()
    same_as_walk(run, worked[1])


def test_a_hand_commit_outside_jiesu_is_shown(run, store, worked):
    Index(store).connect().close()
    path = store.root / store.case_relpath(worked[1])
    path.write_text(path.read_text("utf-8").replace("Rubbish at the gate", "Rubbish by the gate"), "utf-8")
    git(store.root, "commit", "-q", "-am", "fix the title by hand")
    text = same_as_walk(run, worked[1])[0]
    assert "fix the title by hand" in text and "edited title" in text
    assert "the file was changed outside jiesu" in text


def test_reindex_history_and_a_deleted_index(run, store, worked):
    result = run("verify", "--reindex-history")
    count = int(git(store.root, "rev-list", "--count", "HEAD"))
    assert f"read which cases each of {count} commits changed into the index" in result.stderr
    reference = same_as_walk(run, worked[0])
    run("verify", "--reindex-history")
    assert from_table(store, worked[0]) == walked(store, worked[0])
    (store.root / ".jiesu" / "index.sqlite").unlink()
    assert outputs(run, worked[0]) == reference
    assert from_table(store, worked[0]) == walked(store, worked[0])


def test_files_that_share_a_key_in_the_table_show_their_own_history(run, store, worked, monkeypatch):
    """The table keys a file by 48 bits of a hash of its path: where two paths share a key, each is
    listed the other's commits too, and `log` passes over those (they did not change the file)."""
    reference = {case_id: walked(store, case_id) for case_id in worked[:3]}
    monkeypatch.setattr(changes, "file_key", lambda path: 7)  # every file shares one key
    Index(Store(store.root)).reindex_history()
    for case_id in worked[:3]:
        assert len(Index(Store(store.root)).commits_of(store.case_relpath(case_id))) > len(reference[case_id])
        assert from_table(store, case_id) == reference[case_id]
        assert [h["commit"] for h in run.json("log", case_id)] == reference[case_id]


def table_state(store) -> tuple[str, int]:
    """(meta.log_head, rows in the table) of the store's index."""
    db = sqlite3.connect(store.root / ".jiesu" / "index.sqlite")
    try:
        return dict(db.execute("SELECT key, value FROM meta")).get("log_head", ""), db.execute("SELECT count(*) FROM changes").fetchone()[0]
    finally:
        db.close()


def test_a_large_cold_build_leaves_the_history_to_a_fill(run, store, worked, monkeypatch):
    import jiesu.index
    from jiesu.index import backfill

    reference = {case_id: outputs(run, case_id) for case_id in worked[:3]}
    started = []
    monkeypatch.setattr(jiesu.index, "HISTORY_INLINE_BELOW", 1)  # every new index counts as large
    monkeypatch.setattr(backfill, "start", lambda s: started.append(s.root) or True)
    (store.root / ".jiesu" / "index.sqlite").unlink()
    opened = Store(store.root)
    Index(opened).connect().close()
    assert started == [store.root]
    assert any("`jiesu log`" in n for n in opened.notes)  # (in the language the last command spoke)
    assert table_state(store) == ("", 0)  # not read yet: `log` walks git's history, and says the same
    assert from_table(store, worked[0]) is None
    assert {case_id: outputs(run, case_id) for case_id in worked[:3]} == reference
    head = git(store.root, "rev-parse", "HEAD").strip()
    assert backfill.fill(Store(store.root)) is True
    assert table_state(store)[0] == head and table_state(store)[1] >= 9
    assert not (store.root / ".jiesu" / backfill.SIDE).exists()
    for case_id in worked[:3]:
        assert from_table(store, case_id) == walked(store, case_id)
    assert backfill.fill(Store(store.root)) is False  # filled already: nothing is read again
    run("note", worked[0], "after the fill")  # jiesu's own commit goes on from the filled table
    assert table_state(store)[0] == git(store.root, "rev-parse", "HEAD").strip()
    same_as_walk(run, worked[0])


def test_one_fill_at_a_time_and_none_without_an_index(run, store, worked):
    import fcntl

    from jiesu.index import backfill

    forget_table(store)
    with open(store.root / ".jiesu" / backfill.LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another fill at work
        assert backfill.fill(Store(store.root)) is False
    assert table_state(store) == ("", 0)
    (store.root / ".jiesu" / "index.sqlite").unlink()
    assert backfill.fill(Store(store.root)) is False
    assert not (store.root / ".jiesu" / "index.sqlite").exists()


def test_an_index_deleted_during_a_fill_gets_the_rows_and_stays_sound(run, store, worked, monkeypatch):
    import jiesu.index
    from jiesu.index import backfill

    forget_table(store)
    head = git(store.root, "rev-parse", "HEAD").strip()
    read_history = changes.read_history
    path = store.root / ".jiesu" / "index.sqlite"

    def read_then_rebuild(*args, **kwargs):  # someone deletes the index while the history is read
        count = read_history(*args, **kwargs)
        path.unlink()
        monkeypatch.setattr(jiesu.index, "HISTORY_INLINE_BELOW", 1)
        monkeypatch.setattr(backfill, "start", lambda s: True)  # (this fill is the one at work)
        Index(Store(store.root)).connect().close()
        return count

    monkeypatch.setattr(changes, "read_history", read_then_rebuild)
    assert backfill.fill(Store(store.root)) is True
    assert table_state(store)[0] == head  # the new file took the rows, not the deleted one
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        files = git(store.root, "ls-tree", "-r", "--name-only", "HEAD", "--", "cases/").split()
        cases = [f for f in files if f.endswith(".yaml")]
        assert db.execute("SELECT count(*) FROM case_rows").fetchone()[0] == len(cases) == len(worked)
    finally:
        db.close()
    assert not (store.root / ".jiesu" / "index.sqlite-journal").exists()
    for case_id in worked[:3]:
        assert from_table(store, case_id) == walked(store, case_id)


def test_the_fill_runs_in_a_process_of_its_own(run, store, worked, monkeypatch):
    import time

    import jiesu.index

    monkeypatch.setattr(jiesu.index, "HISTORY_INLINE_BELOW", 1)
    (store.root / ".jiesu" / "index.sqlite").unlink()
    Index(Store(store.root)).connect().close()  # the command ends; the fill goes on without it
    head = git(store.root, "rev-parse", "HEAD").strip()
    deadline = time.monotonic() + 120
    while table_state(store)[0] != head and time.monotonic() < deadline:
        time.sleep(0.2)
    assert table_state(store)[0] == head
    for case_id in worked[:3]:
        assert from_table(store, case_id) == walked(store, case_id)


def test_a_rewritten_history_is_read_again(run, store, worked):
    Index(store).connect().close()
    git(store.root, "reset", "-q", "--hard", "HEAD~2")
    (store.root / ".jiesu" / "verified-head").unlink()  # the rewrite is accepted
    run("note", worked[0], "again")
    same_as_walk(run, worked[0])


@pytest.mark.slow
def test_after_sync_from_another_office(tmp_path, run, store):
    from click.testing import CliRunner

    from jiesu.cli import cli

    bare = tmp_path / "shared.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(store.root, "remote", "add", "origin", str(bare))
    a = new_case(run)
    run("sync")
    out = CliRunner().invoke(cli, ["init", str(tmp_path / "xc"), "--clone", str(bare), "--office", "XC"])
    assert out.exit_code == 0, out.output
    xc = Cli(Store(tmp_path / "xc"))
    Index(run.store).connect().close()
    Index(xc.store).connect().close()
    b = xc("intake", "--type", "complaint", "--category", GARBAGE, "--title", "Blocked drain", "--street", ETERNAL).stdout.strip()
    xc("assign", a)
    xc("sync")
    run("note", a, "called")  # both offices changed case a: the merge combines them
    run("sync")
    # the merges brought both cases' changes: git's walk decides which side's commits show, from
    # the last commit on this office's line that changed the file
    def check(case_id, count):
        assert from_table(run.store, case_id) is None
        rel = run.store.case_relpath(case_id)
        walk = git(run.store.root, "log", "--format=%H", "HEAD", "--", rel).split()[::-1]
        assert [h["commit"] for h in run.json("log", case_id)] == walk == walked(run.store, case_id) and len(walk) == count

    check(a, 4)
    check(b, 1)
    xc("note", b, "cleared")
    xc("sync")
    run("sync")  # a fast-forward onto the other office's line, where the case never met a merge
    assert len(same_as_walk(run, b)[1].split('"commit"')) == 3
    c = new_case(run)
    run("assign", c)
    same_as_walk(run, c)  # a case only this office changed since: the table answers
    # the other office fast-forwards onto a merge made here of its own last commit: its table keeps
    # its rows up to where the two lines part and reads the rest (not the whole history again)
    xc("sync")
    xc("note", b, "checked")
    xc("sync")
    run("note", c, "called")
    run("sync")
    before = git(xc.store.root, "rev-parse", "HEAD").strip()
    xc("sync")
    assert git(xc.store.root, "rev-parse", "HEAD^2").strip() == before
    db = sqlite3.connect(xc.store.root / ".jiesu" / "index.sqlite")
    assert int(dict(db.execute("SELECT key, value FROM meta"))["log_seq"]) > 2
    db.close()
    same_as_walk(xc, c)


def test_the_table_keeps_8_bytes_of_each_commit_and_git_names_the_rest(run, store, worked):
    """The table keeps the first 8 bytes of a commit id; `log` gets the whole ids from git. A key
    git cannot expand (two commits sharing it, or a commit that is gone) makes `log` walk git's
    history, with the same output."""
    Index(store).connect().close()
    case_id = worked[0]
    table = same_as_walk(run, case_id)
    db = sqlite3.connect(store.root / ".jiesu" / "index.sqlite")
    keys = [k for (k,) in db.execute("SELECT sha FROM changes WHERE file = ? ORDER BY seq", (file_key(store.case_relpath(case_id)),))]
    assert len(keys) >= 5 and all(len(k) == 8 for k in keys)
    assert [k.hex() for k in keys] == [c[:16] for c in walked(store, case_id)]
    with db:  # a key no commit of the store starts with
        db.execute("UPDATE changes SET sha = ? WHERE file = ? AND sha = ?", (b"\0" * 8, file_key(store.case_relpath(case_id)), keys[-1]))
    db.close()
    assert from_table(store, case_id) is None
    assert outputs(run, case_id) == table
