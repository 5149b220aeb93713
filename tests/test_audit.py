"""Audit integrity: changes made outside jiesu are reported, lost or altered events are errors,
`log` tells who did what and when from git, and `verify --signatures` checks signed history."""

from __future__ import annotations

import json
import os
import subprocess

from conftest import ETERNAL, git, new_case

from jiesu import audit
from jiesu.store import Store, yamlio


def hand_edit(store, case_id, change, message="hand edit"):
    path = store.root / store.case_relpath(case_id)
    path.write_text(change(path.read_text("utf-8")), "utf-8")
    git(store.root, "commit", "-q", "-am", message)


def worked_case(run) -> str:
    case_id = new_case(run, at="2021-11-02T09:00")
    run("--as", "dispatcher", "assign", case_id, ETERNAL, "--at", "2021-11-02T09:10")
    run("--as", "town", "accept", case_id, "--at", "2021-11-02T09:20")
    run("--as", "town", "note", case_id, "Inspected", "--at", "2021-11-02T10:00")
    return case_id


def test_outside_commit_is_a_warning_and_log_flags_it(run, store):
    case_id = worked_case(run)
    hand_edit(store, case_id, lambda t: t.replace("title: Rubbish at the gate", "title: Rubbish at the east gate"), "fix title")
    result = run.raw("verify")
    assert result.exit_code == 0
    assert (f"{store.case_relpath(case_id)}:1: warning: changed outside jiesu once (commits without jiesu's trailers; "
            "latest ") in result.stdout
    log = run("log", case_id, check=False).stdout
    assert "(outside jiesu)" in log and "! commit has no jiesu trailers: the file was changed outside jiesu" in log
    assert "edited title" in log


def test_removed_event_is_an_error_until_it_is_back(run, store):
    case_id = worked_case(run)
    rel = store.case_relpath(case_id)
    original = (store.root / rel).read_text("utf-8")
    note_line = next(line for line in original.splitlines() if "action: note" in line)
    hand_edit(store, case_id, lambda t: t.replace(note_line + "\n", ""), "tidy up")
    result = run.raw("verify")
    assert result.exit_code == 1
    assert f"{rel}:1: event " in result.stdout
    assert "(note by town at 2021-11-02T10:00:00+08:00) was removed by outside jiesu commit" in result.stdout
    assert "and is missing; restore it from `git show " in result.stdout
    log = run("log", case_id, check=False).stdout
    assert "- REMOVED note by town at 2021-11-02T10:00:00+08:00: text Inspected" in log
    hand_edit(store, case_id, lambda t: original, "put the note back")
    result = run.raw("verify")
    assert result.exit_code == 0 and "was removed" not in result.stdout
    assert "changed outside jiesu in 2 commits" in result.stdout


def test_altered_and_deleted_events_are_errors(run, store):
    case_id = worked_case(run)
    other = new_case(run, title="Another")
    hand_edit(store, case_id, lambda t: t.replace("by: town, action: accept", "by: someone-else, action: accept"))
    git(store.root, "rm", "-q", store.case_relpath(other))
    git(store.root, "commit", "-q", "-m", "remove a case")
    out = run.raw("verify").stdout
    assert "(accept by town at 2021-11-02T09:20:00+08:00) was altered by outside jiesu commit" in out
    assert f"{store.case_relpath(other)}:1: event " in out and "(intake by operator at" in out and "is missing" in out


def test_a_hand_resolved_merge_that_drops_an_event_is_caught(tmp_path, run, store):
    case_id = worked_case(run)
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(store.root, "remote", "add", "origin", str(bare))
    run("sync")
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", "-b", "main", str(bare), str(other)], check=True)
    run("--as", "town", "contact", case_id, "--note", "Called", "--at", "2021-11-02T11:00")
    from conftest import jiesu_proc

    assert jiesu_proc(other, "--as", "centre", "note", case_id, "Rang again", "--at", "2021-11-02T11:30").returncode == 0
    git(other, "push", "-q", "origin", "main")
    git(store.root, "fetch", "-q", "origin")
    # a person merges without the driver (a clone that lacks it) and keeps only their own side
    subprocess.run(["git", "-c", "merge.jiesu.driver=false", "merge", "-q", "origin/main"], cwd=store.root, capture_output=True, check=False)
    git(store.root, "checkout", "--ours", "--", store.case_relpath(case_id))
    git(store.root, "commit", "-q", "-am", "merge, keeping ours")
    out = run.raw("verify")
    assert out.exit_code == 1
    assert "(note by centre at 2021-11-02T11:30:00+08:00) was removed by merge commit" in out.stdout


def test_log_tells_who_did_what_and_when_including_merges(tmp_path, run, store):
    case_id = worked_case(run)
    entries = run.json("log", case_id)
    assert [(e["action"], e["author"], e["authored"]) for e in entries] == [
        ("intake", "operator", "2021-11-02T09:00:00+08:00"), ("assign", "dispatcher", "2021-11-02T09:10:00+08:00"),
        ("accept", "town", "2021-11-02T09:20:00+08:00"), ("note", "town", "2021-11-02T10:00:00+08:00")]
    assert all(not e["outside_jiesu"] and not e["merge"] for e in entries)
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(store.root, "remote", "add", "origin", str(bare))
    run("sync")
    other = tmp_path / "other"
    from conftest import jiesu_proc

    assert jiesu_proc(tmp_path, "init", str(other), "--office", "XC", "--clone", str(bare)).returncode == 0
    assert jiesu_proc(other, "--as", "centre", "note", case_id, "Rang again", "--at", "2021-11-02T11:30").returncode == 0
    assert jiesu_proc(other, "sync").returncode == 0
    run("--as", "town", "contact", case_id, "--note", "Called", "--at", "2021-11-02T11:00")
    run("--as", "syncer", "sync")
    text = run("log", case_id, check=False).stdout
    assert "sync      syncer" in text
    assert "+ (merged) note by centre at 2021-11-02T11:30:00+08:00: text Rang again" in text
    assert "outside jiesu" not in text


def test_log_survives_a_commit_dated_long_before_the_case(run, store):
    """`log` stops two days before the case was received, by committer date; a commit from a clock
    far behind in between would end git's walk early, so log walks the whole history instead."""
    case_id = worked_case(run)
    (store.root / "NOTES.txt").write_text("office notes\n", "utf-8")
    git(store.root, "add", "NOTES.txt")
    env = {**os.environ, "GIT_COMMITTER_DATE": "2020-01-01T00:00:00+08:00", "GIT_AUTHOR_DATE": "2020-01-01T00:00:00+08:00"}
    subprocess.run(["git", "commit", "-qm", "notes from a machine with a wrong clock"], cwd=store.root, env=env, check=True)
    run("--as", "town", "contact", case_id, "--note", "Called back", "--at", "2021-11-02T11:00")
    entries = run.json("log", case_id)
    assert [e["action"] for e in entries] == ["intake", "assign", "accept", "note", "contact"]
    assert entries[0]["created"]


def test_the_audit_walks_history_once_and_then_only_what_is_new(run, store):
    case_id = worked_case(run)
    hand_edit(store, case_id, lambda t: t.replace("Rubbish at the gate", "Rubbish!"))
    first = [str(p) for p in audit.audit(Store(store.root))]
    cache = json.loads((store.root / ".jiesu" / "audit.json").read_text("utf-8"))
    assert cache["head"] == git(store.root, "rev-parse", "HEAD").strip()
    run("note", case_id, "More")
    assert [str(p) for p in audit.audit(Store(store.root))] == first
    (store.root / ".jiesu" / "audit.json").unlink()
    assert [str(p) for p in audit.audit(Store(store.root))] == first
    git(store.root, "reset", "-q", "--hard", "HEAD~2")  # history rewound: the cache is not trusted, and it is said
    assert [p.message.split(":")[0] for p in audit.audit(Store(store.root))] == ["history was rewritten"]
    (store.root / ".jiesu" / "verified-head").unlink()  # the rewrite accepted: walked again from the start
    assert audit.audit(Store(store.root)) == []


def test_signed_history_is_checked(tmp_path, run, store):
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "office", "-f", str(key)], check=True)
    allowed = tmp_path / "allowed_signers"
    email = "operator@hl.jiesu.invalid"
    allowed.write_text(f"* {(tmp_path / 'key.pub').read_text()}")
    for k, v in (("gpg.format", "ssh"), ("user.signingkey", str(tmp_path / "key.pub")), ("commit.gpgsign", "true"),
                 ("gpg.ssh.allowedSignersFile", str(allowed))):
        git(store.root, "config", k, v)
    case_id = new_case(run)
    run("assign", case_id)
    assert git(store.root, "log", "-1", "--format=%G?").strip() == "G", "jiesu's plumbing commits are signed"
    result = run.raw("verify", "--signatures")
    assert result.exit_code == 0 and "1 commit(s) from before signing began are unsigned" in result.stdout
    git(store.root, "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "sneaky unsigned commit")
    run("note", case_id, "after the unsigned one")
    result = run.raw("verify", "--signatures")
    assert result.exit_code == 1
    assert "(sneaky unsigned commit) is not signed, though commits before it are" in result.stdout
    assert email  # the principal is `*`: any committer may sign with this key
    plain = Store(store.root)
    assert not [p for p in audit.audit(plain) if p.severity == "error"]
    assert yamlio.load((store.root / store.case_relpath(case_id)).read_text("utf-8"))["events"][-1]["text"] == "after the unsigned one"
