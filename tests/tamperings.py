"""Nineteen ways to tamper with a store's history, each with what `verify` (or `sync`) must say.

Shared by tests/test_tamper.py (every one, against a copy of one worked store) and
bench/adversarial.py. Each tampering takes the store root (a store of two worked cases whose
head verify has already checked, with a bare remote `origin` it has pushed to) and returns the
text the detection must contain and the restore hint it must give; `sync` marks the one that
`jiesu sync` (not `verify`) must refuse.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

CASE = "cases/2021/11/HL-2111-0001.yaml"
OTHER = "cases/2021/11/HL-2111-0002.yaml"
TRAILERS = "\n\nJiesu-Case: HL-2111-0001\nJiesu-Action: {action}\nJiesu-Actor: town\n"


def git(root, *args, env=None) -> str:
    full = dict(os.environ, **(env or {}))
    for key in [k for k in full if k.startswith("GIT_") and k not in (env or {})]:
        full.pop(key)
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True, env=full).stdout


def jiesu(root, *args, env=None):
    full = dict(os.environ, JIESU_STORE=str(root), **(env or {}))
    return subprocess.run([sys.executable, "-m", "jiesu", *args], capture_output=True, text=True, env=full, check=False)


def _text(root, path=CASE) -> str:
    return (Path(root) / path).read_text("utf-8")


def _write(root, text, path=CASE) -> None:
    (Path(root) / path).write_text(text, "utf-8")


def _commit(root, action=None, message="edit") -> str:
    body = message + (TRAILERS.format(action=action) if action else "")
    git(root, "commit", "-q", "-a", "-m", body, "--author", "town <town@hl.jiesu.invalid>")
    return git(root, "rev-parse", "HEAD").strip()[:10]


def _event_lines(root, path=CASE) -> list[str]:
    return [ln for ln in _text(root, path).splitlines() if ln.startswith("- {id: ")]


def _event_id(line: str) -> str:
    return re.match(r"- \{id: ([0-9a-f]+)", line).group(1)


def edited_event_copied_trailers(root):
    line = _event_lines(root)[3]
    _write(root, _text(root).replace(line, line.replace("Inspected", "Inspected, all fine")))
    sha = _commit(root, "note", "note HL-2111-0001: Rubbish at the gate")
    return f"event {_event_id(line)} (note by town", f"was altered by jiesu commit {sha}", f"git show {sha}^:{CASE}"


def edited_time_outside(root):
    line = _event_lines(root)[2]
    _write(root, _text(root).replace(line, line.replace("09:20:00", "09:12:00")))
    sha = _commit(root)
    return f"event {_event_id(line)} (accept by town", f"was altered by outside jiesu commit {sha}", f"git show {sha}^:{CASE}"


def edited_actor_copied_trailers(root):
    line = _event_lines(root)[1]
    _write(root, _text(root).replace(line, line.replace("by: dispatcher", "by: someone")))
    sha = _commit(root, "assign")
    return f"event {_event_id(line)} (assign by dispatcher", f"was altered by jiesu commit {sha}", f"git show {sha}^:{CASE}"


def deleted_event_forged_trailers(root):
    line = _event_lines(root)[3]
    _write(root, _text(root).replace(line + "\n", ""))
    sha = _commit(root, "note")
    return f"event {_event_id(line)} (note by town", f"was removed by jiesu commit {sha} and is missing", f"git show {sha}^:{CASE}"


def deleted_event_outside(root):
    line = _event_lines(root, OTHER)[1]
    _write(root, _text(root, OTHER).replace(line + "\n", ""), OTHER)
    sha = _commit(root)
    return f"event {_event_id(line)} (assign by dispatcher", f"removed by outside jiesu commit {sha}", f"git show {sha}^:{OTHER}"


def deleted_file_forged_trailers(root):
    first = _event_id(_event_lines(root)[0])
    git(root, "rm", "-q", CASE)
    sha = _commit(root, "close")
    return f"event {first} (intake by operator", f"was removed by jiesu commit {sha} and is missing", f"git show {sha}^:{CASE}"


def deleted_file_outside(root):
    first = _event_id(_event_lines(root, OTHER)[0])
    git(root, "rm", "-q", OTHER)
    sha = _commit(root)
    return f"event {first} (intake by operator", f"removed by outside jiesu commit {sha}", f"git show {sha}^:{OTHER}"


def _exempt_line(eid="abc123", at="2021-11-02T10:30:00+08:00"):
    return f"- {{id: {eid}, at: {at}, by: town, action: exempt, reason: unreasonable demand}}"


def forged_exempt_other_trailer(root):
    _write(root, _text(root).rstrip("\n") + "\n" + _exempt_line() + "\n")
    sha = _commit(root, "note")
    return "event abc123 (exempt by town", f"was added by commit {sha}, whose trailer says note", f"git show {sha}^:{CASE}"


def forged_exempt_inserted(root):
    lines = _event_lines(root)
    _write(root, _text(root).replace(lines[3], _exempt_line(at="2021-11-02T09:50:00+08:00") + "\n" + lines[3]))
    sha = _commit(root, "exempt")
    return "event abc123 (exempt by town", f"was inserted among earlier events by commit {sha}", f"git show {sha}^:{CASE}"


def forged_superseded_mark(root):
    line = _event_lines(root)[3]
    _write(root, _text(root).replace(line, line.replace("action: note,", "action: note, superseded: true,")))
    sha = _commit(root, "sync")
    return f"event {_event_id(line)} (note by town", f"had its `superseded` mark changed by jiesu commit {sha}", f"git show {sha}^:{CASE}"


def _verified(root) -> str:
    return (Path(root) / ".jiesu" / "verified-head").read_text().strip()[:10]


def _rewritten(root, rewound=False):
    old = _verified(root)
    back = f"git merge --ff-only {old}" if rewound else f"git reset --hard {old}"
    return f"HEAD no longer descends from {old}", "history was rewritten", back


def reset_hard_three(root):
    expected = _rewritten(root, rewound=True)
    git(root, "reset", "-q", "--hard", "HEAD~3")
    return expected


def amend_content(root):
    expected = _rewritten(root)
    line = _event_lines(root)[-1]
    _write(root, _text(root).replace(line, line.replace("Inspected", "Nothing to see")))
    git(root, "commit", "-q", "-a", "--amend", "--no-edit")
    return expected


def amend_message(root):
    expected = _rewritten(root)
    git(root, "commit", "-q", "--amend", "-m", "note HL-2111-0001: reworded\n\nJiesu-Action: note\nJiesu-Actor: town\n")
    return expected


def rebase_drop_commit(root):
    expected = _rewritten(root)
    git(root, "rebase", "-q", "--onto", "HEAD~3", "HEAD~2")  # drops the note on the first case
    return expected


def filter_branch_event(root):
    expected = _rewritten(root)
    script = f"test -f {CASE} && sed -i 's/Inspected/Fine/' {CASE} || true"
    git(root, "filter-branch", "-f", "--tree-filter", script, "HEAD", env={"FILTER_BRANCH_SQUELCH_WARNING": "1"})
    return expected


def filter_branch_authors(root):
    expected = _rewritten(root)
    git(root, "filter-branch", "-f", "--env-filter", "GIT_AUTHOR_NAME=nobody", "HEAD",
        env={"FILTER_BRANCH_SQUELCH_WARNING": "1"})
    return expected


def _side_note(root, text: str) -> str:
    """A note made in another clone and fetched: (FETCH_HEAD ready); returns the note's event id."""
    other = Path(str(root) + "-side")
    git(Path(root).parent, "clone", "-q", str(root), str(other))
    git(other, "config", "user.name", "side")
    git(other, "config", "user.email", "side@example.invalid")
    proc = jiesu(other, "note", "HL-2111-0001", text)
    assert proc.returncode == 0, proc.stderr
    git(root, "fetch", "-q", str(other), "main")
    return _event_id(_event_lines(other)[-1])


def merge_dropping_their_event(root):
    eid = _side_note(root, "from the other side")
    _write(root, _text(root).replace("Inspected", "Inspected "))  # a change of ours, so the merge is real
    git(root, "commit", "-q", "-a", "-m", "ours")
    git(root, "merge", "-q", "-s", "ours", "-m", "merge", "FETCH_HEAD")
    sha = git(root, "rev-parse", "HEAD").strip()[:10]
    return f"event {eid} (note by operator", f"was removed by merge commit {sha} and is missing", f"git show {sha}^2:{CASE}"


def merge_adding_an_event(root):
    _side_note(root, "from the other side")
    git(root, "merge", "-q", "--no-ff", "--no-commit", "FETCH_HEAD")
    _write(root, _text(root).rstrip("\n") + "\n" + _exempt_line("def456", "2021-11-10T11:00:00+08:00") + "\n")
    git(root, "add", CASE)
    git(root, "commit", "-q", "--no-edit")
    sha = git(root, "rev-parse", "HEAD").strip()[:10]
    return "event def456 (exempt by town", f"appeared in merge commit {sha}", f"take it out (the parents' versions: `git show {sha}^1:{CASE}`"


def remote_force_pushed(root):
    """Someone rewrites the shared remote: `sync` refuses, naming the commits that vanished."""
    remote = git(root, "config", "remote.origin.url").strip()
    gone = git(root, "log", "-2", "--format=%h").split()
    other = Path(str(root) + "-rewriter")
    git(Path(root).parent, "clone", "-q", "-b", "main", remote, str(other))
    git(other, "reset", "-q", "--hard", "HEAD~2")
    git(other, "push", "-q", "--force", "origin", "HEAD:main")
    return "was rewritten (a forced push)", gone[0], "git push --force origin"


SYNC = {"remote_force_pushed"}
TAMPERINGS = [
    edited_event_copied_trailers, edited_time_outside, edited_actor_copied_trailers, deleted_event_forged_trailers,
    deleted_event_outside, deleted_file_forged_trailers, deleted_file_outside, forged_exempt_other_trailer,
    forged_exempt_inserted, forged_superseded_mark, reset_hard_three, amend_content, amend_message,
    rebase_drop_commit, filter_branch_event, filter_branch_authors, merge_dropping_their_event,
    merge_adding_an_event, remote_force_pushed,
]


def build_base(root: Path, remote: Path, env: dict) -> None:
    """The worked store every tampering starts from: two cases, verified, pushed to `remote`."""
    from jiesu import ops

    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        ops.init_store(root, office="HL", name="Test office", actor="admin")
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    git(root, "config", "user.name", "operator")
    git(root, "config", "user.email", "operator@example.invalid")
    steps = [
        ["intake", "--type", "complaint", "--category", "env.garbage.unregulated-collection", "--title", "Rubbish at the gate",
         "--street", "dragon-gate/eternal-town", "--at", "2021-11-02T09:00"],
        ["--as", "dispatcher", "assign", "HL-2111-0001", "dragon-gate/eternal-town", "--at", "2021-11-02T09:10"],
        ["--as", "town", "accept", "HL-2111-0001", "--at", "2021-11-02T09:20"],
        ["--as", "town", "note", "HL-2111-0001", "Inspected", "--at", "2021-11-02T10:00"],
        ["intake", "--type", "complaint", "--category", "env.garbage.unregulated-collection", "--title", "Blocked drain",
         "--street", "dragon-gate/eternal-town", "--at", "2021-11-03T09:00"],
        ["--as", "dispatcher", "assign", "HL-2111-0002", "dragon-gate/eternal-town", "--at", "2021-11-03T09:10"],
    ]
    for argv in steps:
        proc = jiesu(root, *argv, env=env)
        assert proc.returncode == 0, (argv, proc.stderr)
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(root, "remote", "add", "origin", str(remote))
    for argv in (["sync"], ["verify"]):
        proc = jiesu(root, *argv, env=env)
        assert proc.returncode == 0, (argv, proc.stdout, proc.stderr)


NO_RESTORE = {"merge_adding_an_event", "remote_force_pushed"}  # a person edits the file / settles the remote


def restore(root: Path, line: str) -> None:
    """Follow the restore hint of a detection line: the first backquoted git command in it."""
    command = re.search(r"`(git [^`]+)`", line).group(1)
    if command.startswith("git show "):
        rev_path = command.split(" ", 2)[2]
        target = Path(root) / rev_path.split(":", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(git(root, "show", rev_path), "utf-8")
        git(root, "add", str(target.relative_to(root)))
        git(root, "commit", "-q", "-m", "restore what the audit named")
    else:
        git(root, *command.split()[1:])


def detect(root: Path, name: str) -> str:
    """What jiesu says after the tampering: verify's errors, or sync's refusal (in this process;
    the clock must be pinned with JIESU_NOW as for the base)."""
    from click.testing import CliRunner

    from jiesu import verify
    from jiesu.cli import cli
    from jiesu.store import Store

    if name in SYNC:
        result = CliRunner().invoke(cli, ["--store", str(root), "sync"])
        assert not result.exception or isinstance(result.exception, SystemExit), result.exception
        return (result.stdout + result.stderr) if result.exit_code else ""
    return "\n".join(str(p) for p in verify.verify(Store(root)) if p.severity == "error")
