"""Years that end: final cases move to archive stores, stay readable, and come back on demand."""

from __future__ import annotations

import re

from conftest import ETERNAL, git, new_case

from jiesu.store import Store


def handled(run, day: int, title: str, evaluate=True) -> str:
    case_id = new_case(run, "--at", f"2021-10-{day:02d}T09:00", title=title)
    run("assign", case_id, "--at", f"2021-10-{day:02d}T09:10")
    run("accept", case_id, "--unit", ETERNAL, "--at", f"2021-10-{day:02d}T09:20")
    run("contact", case_id, "--at", f"2021-10-{day:02d}T10:00")
    run("close", case_id, "--resolved", "--summary", "Cleared", "--at", f"2021-10-{day + 1:02d}T09:00")
    if evaluate:
        run("evaluate", case_id, "--reached", "--contacted", "--resolved", "--satisfaction", "satisfied",
            "--at", f"2021-10-{day + 2:02d}T09:00")
    return case_id


def trailer(message: str, key: str) -> list[str]:
    return re.findall(rf"^{key}: (.+)$", message, re.M)


def test_archive_moves_final_cases_with_a_commit_on_each_side(run):
    done = handled(run, 5, "Evaluated")
    rejected = new_case(run, "--at", "2021-10-06T09:00", title="Drunk call")
    run("reject", rejected, "--reason", "Invalid call", "--at", "2021-10-06T09:05")
    recent = handled(run, 20, "Closed 20 days ago", evaluate=False)  # closed 21 Oct: less than 30 days before now
    open_case = new_case(run, "--at", "2021-10-08T09:00", title="Still open")
    later = new_case(run, "--at", "2021-11-02T09:00", title="Received in November")
    root = run.store.root
    head = git(root, "rev-parse", "HEAD").strip()
    out = run("archive", "--before", "2021-11-01").stdout
    assert out.strip() == ("archived 2 case(s) (2 to archive/2021); 2 case(s) received before 2021-11-01 are not final "
                           "yet and stay")
    for case_id in (done, rejected):
        rel = Store(root).case_relpath(case_id)
        assert not (root / rel).exists() and (root / "archive" / "2021" / rel).is_file()
    for case_id in (recent, open_case, later):
        assert (root / Store(root).case_relpath(case_id)).is_file()
    # one commit in the store, one in the archive, each naming the other
    store_msg = git(root, "log", "-1", "--format=%B")
    archive_root = root / "archive" / "2021"
    archive_head = git(archive_root, "rev-parse", "HEAD").strip()
    assert trailer(store_msg, "Jiesu-Archive") == [f"archive/2021 {archive_head}"]
    assert trailer(git(archive_root, "log", "-1", "--format=%B"), "Jiesu-Store") == [f"HL {head}"]
    assert git(root, "rev-parse", "HEAD~1").strip() == head
    assert git(archive_root, "rev-list", "--count", "HEAD").strip() == "1"
    assert "/archive/" in (root / ".gitignore").read_text("utf-8").splitlines()
    assert git(archive_root, "status", "--porcelain") == ""


def test_archived_cases_are_still_read_and_refuse_writes_until_unarchived(run):
    done = handled(run, 5, "Evaluated")
    before_rank = run.json("rank", "--month", "2021-10", "--level", "district")
    run("archive", "--before", "2021-11-01", done)
    assert [r["id"] for r in run.json("list")] == [done]
    assert run.json("show", done)["id"] == done
    assert "Evaluated" in run("show", done, "--format", "yaml", check=False).stdout
    assert "evaluate" in run("log", done, check=False).stdout
    assert run.json("rank", "--month", "2021-10", "--level", "district") == before_rank
    result = run.fails("note", done, "called again", match=f"{done} is archived in archive/2021/")
    assert f"hint: bring it back first: jiesu unarchive {done}" in result.stderr
    # a new case of that month never takes the archived id
    assert new_case(run, "--at", "2021-10-30T09:00") == done[:-4] + "0002"
    assert run("unarchive", done).stdout.strip() == f"{done} is back in the store (from archive/2021)"
    root = run.store.root
    assert (root / Store(root).case_relpath(done)).is_file()
    assert trailer(git(root / "archive" / "2021", "log", "-1", "--format=%B"), "Jiesu-Store") == [
        "HL " + git(root, "rev-parse", "HEAD").strip()]
    run("note", done, "called again")
    assert len([r for r in run.json("list") if r["id"] == done]) == 1


def test_bad_archive_requests(run):
    open_case = new_case(run, "--at", "2021-10-08T09:00", title="Still open")
    run.fails("archive", "--before", "2021-12-01", match="--before: 2021-12-01 is in the future")
    run.fails("archive", "--before", "2021-11-01", open_case, match=f"{open_case} is still received: only final cases")
    run.fails("archive", "--before", "someday", match="--before")
    run.fails("unarchive", open_case, match=f"{open_case} is not archived")
    run.fails("unarchive", "HL-2110-0099", match="no case HL-2110-0099")
    assert run("archive", "--before", "2021-11-01").stdout.startswith("archived 0 case(s)")
    assert not (run.store.root / "archive").exists()


def test_archived_cases_stay_listed_when_the_index_reads_the_whole_tree_again(run):
    """An index whose commit git no longer knows compares every file of HEAD with its rows again;
    the rows of archived cases follow their archive, not the store's tree, and stay."""
    import sqlite3

    done = handled(run, 5, "Evaluated")
    kept = new_case(run, "--at", "2021-11-02T09:00", title="Received in November")
    run("archive", "--before", "2021-11-01", done)
    assert sorted(c["id"] for c in run.json("list")) == sorted([done, kept])
    index = run.store.root / ".jiesu" / "index.sqlite"
    db = sqlite3.connect(index)
    with db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'head'", ("0" * 40,))  # a commit git has not got
    db.close()
    assert sorted(c["id"] for c in run.json("list")) == sorted([done, kept])
    db = sqlite3.connect(index)
    files = [f for (f,) in db.execute("SELECT file FROM cases WHERE file IS NOT NULL")]
    db.close()
    assert files == [f"archive/2021/{Store(run.store.root).case_relpath(done)}"]
