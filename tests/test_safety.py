"""What a hostile committed file, a hostile `--from` file, a permission or a full disk can do:
at most one `error:` line or a note — never a traceback, never a silently shorter answer.

Hostile case files are committed with plain git, the way they would arrive by sync. Permission
cases run jiesu as an unprivileged user (`setpriv`), because root ignores file modes; the full
disk is a real, small tmpfs. Both are skipped where the machine cannot provide them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import ETERNAL, GARBAGE, Cli, git, new_case

from jiesu.interop.readers import read_jsonl
from jiesu.store import Store

GOOD = "HL-2111-0001"
HOSTILE = {
    # name: (text of the case file, or a function of the good case's text)
    "huge-number": lambda t: t.replace("schema: 1", "schema: " + "9" * 5000),
    "invalid-yaml": lambda t: t + "  bad: [unclosed\n",
    "not-a-mapping": lambda t: "- a\n- b\n",
    "not-utf8": lambda t: t.encode() + b"x: \xff\xfe\n",
    "state-is-a-number": lambda t: t.replace("state:\n", "state: 5\nold_state:\n"),
    "location-is-text": lambda t: t.replace("location:\n", "location: nowhere\nold_location:\n"),
    "action-is-a-list": lambda t: t.replace("action: intake", "action: [intake]"),
    "received-is-no-time": lambda t: t.replace("received: 2021", "received: x2021").replace("received: '2021", "received: 'x2021"),
}


@pytest.fixture
def hostile_store(run, store):
    """One good case and one committed hostile file per entry of HOSTILE (HL-2111-0002…)."""
    new_case(run, surname="Wang", phone="15123456789", at="2021-11-08T10:00")
    run("assign", GOOD, "--at", "2021-11-08T11:00")
    good_text = (store.root / store.case_relpath(GOOD)).read_text("utf-8")
    ids = []
    for number, make in enumerate(HOSTILE.values(), 2):
        case_id = f"HL-2111-{number:04d}"
        body = make(good_text.replace(GOOD, case_id))
        path = store.root / store.case_relpath(case_id)
        path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
        ids.append(case_id)
    git(store.root, "add", "cases")
    git(store.root, "-c", "user.name=sync", "-c", "user.email=s@x", "commit", "-q", "-m", "arrived by sync")
    return ids


READERS = [
    ["list"], ["list", "--format", "json"], ["list", "--format", "csv"], ["overdue"], ["rank", "--month", "2021-11"],
    ["report", "daily", "--date", "2021-11-08"], ["report", "daily", "--date", "2021-11-08", "--format", "txt"],
    ["report", "monthly", "--month", "2021-11", "--format", "html"], ["report", "overdue"],
    ["report", "unit", "--unit", ETERNAL], ["export"], ["export", "--format", "jsonl"], ["export", "--format", "open311"],
]


def _no_traceback(result):
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr


def test_hostile_committed_files_break_no_reader_and_every_skip_is_said(run, store, hostile_store):
    count = len(HOSTILE)
    for argv in READERS:
        result = run.raw(*argv)
        _no_traceback(result)
        assert result.exit_code == 0, (argv, result.stderr)
        assert f"note: {count} case files could not be read and are left out; run `jiesu verify`" in result.stderr, argv
    listed = run.raw("list", "--format", "json")
    assert [row["id"] for row in json.loads(listed.stdout)] == [GOOD]  # the good case is still there
    problems = run.raw("verify")
    assert problems.exit_code == 1
    for case_id in hostile_store:
        rel = store.case_relpath(case_id)
        assert f"{rel}:" in problems.stdout, case_id
        shown = run.raw("show", case_id)
        _no_traceback(shown)
        assert shown.exit_code == 1 and shown.stderr.startswith(f"error: {rel}:"), shown.stderr
        history = run.raw("log", case_id)
        _no_traceback(history)
        assert history.exit_code == 0 and "(outside jiesu)" in history.stdout, history.stdout
    assert "5,000 digits; at most 100 are allowed" in problems.stdout
    _no_traceback(run.raw("show", GOOD))
    _no_traceback(run.raw("log", GOOD))


@pytest.mark.parametrize("body, message", [
    ('{"type": "complaint", "title": "a", "title": "b"}', "duplicate key 'title'"),
    ('{"type": "complaint", "title": "a", "location": {"street": "x", "street": "y"}}', "duplicate key 'street'"),
    ('{"type": "complaint", "title": "a", "lat": ' + "9" * 5000 + "}", "a number of 5,000 digits"),
    ('{"type": "complaint", "title": "a", "source": ' + "[" * 100000 + "]" * 100000 + "}", "nested too deeply"),
    ("type: complaint\ntitle: a\nsource: " + "[" * 100000 + "]" * 100000 + "\n", "exceeded maximum nesting depth"),
    ("type: complaint\ntitle: " + "9" * 5000 + "\n", "a number of 5,000 digits"),
])
def test_hostile_from_files_are_refused_with_one_line(run, tmp_path, body, message):
    source = tmp_path / "requests.txt"
    source.write_text(body, "utf-8")
    run.fails("intake", "--from", source, match=message)


def test_import_lines_with_absurd_numbers_or_nesting_are_row_problems(tmp_path):
    source = tmp_path / "rows.jsonl"
    source.write_text('{"a": 1}\n{"a": ' + "9" * 5000 + "}\n" + "[" * 100000 + "]" * 100000 + "\n", "utf-8")
    rows = read_jsonl(source).rows
    assert [r.problem for r in rows] == [None, "not JSON jiesu can read: a number too long to read",
                                         "not JSON jiesu can read: nested too deeply"]


def test_case_files_are_shared_with_the_umask_and_private_files_kept_to_the_owner(run, store):
    old = os.umask(0o022)
    try:
        case_id = new_case(run, name="王小明", phone="15123456789")
        run("note", case_id, "called back")
    finally:
        os.umask(old)
    assert (store.root / store.case_relpath(case_id)).stat().st_mode & 0o777 == 0o644
    people = [p for p in (store.root / "private").rglob("*.yaml") if ".git" not in p.parts]
    assert people and all(p.stat().st_mode & 0o777 == 0o600 for p in people)


# --- permissions and a full disk, for real ---------------------------------------------------

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _can_drop_privileges() -> bool:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return False
    probe = subprocess.run([*NOBODY, sys.executable, "-c", "import jiesu"], capture_output=True)
    return probe.returncode == 0


@pytest.fixture
def unprivileged(tmp_path_factory):
    """(run, make_store): jiesu as user nobody on stores it owns, in a folder it may enter."""
    if not _can_drop_privileges():
        pytest.skip("needs root and setpriv to run jiesu as an unprivileged user (root ignores file modes)")
    base = Path(tempfile.mkdtemp(dir="/tmp", prefix="jiesu-perm-"))
    os.chmod(base, 0o755)
    home = base / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[safe]\n\tdirectory = *\n[user]\n\tname = op\n\temail = op@example.org\n")
    env = dict(os.environ, HOME=str(home))
    subprocess.run(["chown", "-R", "nobody", str(home)], check=True)

    def run(root, *args):
        return subprocess.run([*NOBODY, sys.executable, "-m", "jiesu", "--store", str(root), *map(str, args)],
                              capture_output=True, text=True, env=env, cwd=base, check=False)

    def make_store(name):
        from jiesu import ops

        store = ops.init_store(base / name, office="HL", name="Test office", actor="admin")
        ops.intake(store, [{"type": "complaint", "category": GARBAGE, "title": "T", "street": ETERNAL,
                            "name": "王小明", "phone": "15123456789"}], "op")
        subprocess.run(["chown", "-R", "nobody", str(store.root)], check=True)
        return store

    yield run, make_store, base
    shutil.rmtree(base, ignore_errors=True)


PERMISSION_CASES = {
    "the whole store": "",
    ".git/objects": ".git/objects",
    "cases/": "cases",
    ".jiesu/": ".jiesu",
    "private/": "private",
}


def _git_as_root(root, *args) -> str:
    """git on a store owned by another user (git would otherwise call it dubious)."""
    return git(root, "-c", "safe.directory=*", *args)


@pytest.mark.slow
def test_permission_errors_are_one_error_line_and_change_nothing(unprivileged):
    run, make_store, base = unprivileged
    tried = 0
    for label, rel in PERMISSION_CASES.items():
        store = make_store("store-" + (label.strip("/ ").replace("/", "-").replace(".", "") or "whole"))
        (store.root / ".jiesu").mkdir(exist_ok=True)
        subprocess.run(["chown", "-R", "root", str(store.root / rel)], check=True)  # nobody may no longer write there
        head = _git_as_root(store.root, "rev-parse", "HEAD")
        for argv in (["intake", "--type", "complaint", "--title", "x", "--name", "李四", "--phone", "13912345678"],
                     ["note", "HL-2111-0001", "called"], ["verify", "--repair"]):
            result = run(store.root, *argv)
            tried += 1
            assert "Traceback" not in result.stderr, (label, argv, result.stderr)
            assert result.returncode == 1 and result.stderr.startswith("error: "), (label, argv, result.stderr)
            assert ("permission denied" in result.stderr.lower()
                    or "insufficient permission" in result.stderr), (label, argv, result.stderr)
        assert _git_as_root(store.root, "rev-parse", "HEAD") == head, label
        assert _git_as_root(store.root, "status", "--porcelain", "--untracked-files=all", "--", "cases") == "", label
        for argv in (["list"], ["show", "HL-2111-0001"]):
            result = run(store.root, *argv)
            assert "Traceback" not in result.stderr, (label, argv, result.stderr)
            if label != "cases/":  # a case file nobody may read is the one thing a reader cannot go around
                assert result.returncode == 0 and "HL-2111-0001" in result.stdout, (label, argv, result.stderr)
        assert "Traceback" not in run(store.root, "verify").stderr
    blocked = base / "blocked"
    blocked.mkdir()
    init = subprocess.run([*NOBODY, sys.executable, "-m", "jiesu", "init", str(blocked / "office")], capture_output=True, text=True)
    assert init.returncode == 1 and init.stderr.startswith("error: ") and "blocked/office: permission denied" in init.stderr, init.stderr
    assert "Traceback" not in init.stderr
    assert tried == 15


@pytest.fixture
def full_disk(tmp_path):
    """A store on a real 12 MB tmpfs, and a function that fills the disk to the last byte."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        from jiesu import ops

        store = ops.init_store(mnt / "store", office="HL", name="Test office", actor="admin")
        ops.intake(store, [{"type": "complaint", "category": GARBAGE, "title": "T", "street": ETERNAL,
                            "name": "王小明", "phone": "15123456789"}], "op")

        def fill():
            subprocess.run(["dd", "if=/dev/zero", f"of={mnt}/filler", "bs=64k"], capture_output=True)

        yield store, fill, mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.slow
def test_a_full_disk_is_one_error_line_and_the_store_works_once_space_is_freed(full_disk):
    store, fill, mnt = full_disk
    run = Cli(store)
    head = git(store.root, "rev-parse", "HEAD")
    (store.root / ".jiesu" / "index.sqlite").unlink(missing_ok=True)  # the next read must build it
    fill()
    listed = run.raw("list")  # reads go on without writing the index
    _no_traceback(listed)
    assert listed.exit_code == 0 and "HL-2111-0001" in listed.stdout
    assert "note: cannot write the index .jiesu/index.sqlite (database or disk is full); reading every case file instead" in listed.stderr
    for argv in (["intake", "--type", "complaint", "--title", "x", "--name", "李四", "--description", "d" * 100_000],
                 ["note", "HL-2111-0001", "n" * 50_000],
                 ["report", "daily", "--date", "2021-11-09", "--out", mnt / "daily.md"]):
        result = run.raw(*argv)
        _no_traceback(result)
        assert result.exit_code == 1 and result.stderr.startswith("error: "), (argv, result.stderr)
        assert "hint: free some space on that disk" in result.stderr, (argv, result.stderr)
    repaired = run.raw("verify", "--repair")  # nothing to repair: it reads, from an index in memory
    _no_traceback(repaired)
    assert repaired.exit_code == 0 and "note: nothing to repair" in repaired.stderr
    assert "reading every case file instead" in repaired.stderr
    assert git(store.root, "rev-parse", "HEAD") == head
    (mnt / "filler").unlink()
    assert git(store.root, "status", "--porcelain", "--untracked-files=all") == ""
    run("note", "HL-2111-0001", "space is back")
    assert "space is back" in (store.root / store.case_relpath("HL-2111-0001")).read_text("utf-8")
    Store(store.root)  # still opens


# --- the century of a case id ----------------------------------------------------------------

@pytest.mark.parametrize("at", ["1970-01-01T00:00+00:00", "1960-01-01T00:00+00:00", "1999-12-31T23:59+08:00"])
def test_dates_no_case_id_can_carry_are_refused(run, at):
    run.fails("intake", "--type", "complaint", "--title", "t", "--at", at, match="is outside 2000–2099: a case id carries")


def test_the_first_day_a_case_id_can_carry_is_filed_in_its_century(run, store):
    case_id = new_case(run, at="1999-12-31T16:30+00:00")  # 2000-01-01 00:30 in Beijing
    assert case_id == "HL-0001-0001"
    assert (store.root / "cases/2000/01/HL-0001-0001.yaml").is_file()


def test_repair_refiles_a_case_moved_by_hand_and_renumbers_one_whose_id_names_another_month(run, store):
    first = new_case(run, at="2021-11-02T10:00", name="王小明", phone="15123456789")
    second = new_case(run, at="2021-11-03T10:00")
    # a hand move into the wrong month folder, and a case an old version filed as HL-7001-0001
    (store.root / "cases/2021/10").mkdir(parents=True)
    git(store.root, "mv", f"cases/2021/11/{second}.yaml", "cases/2021/10/")
    old = (store.root / store.case_relpath(first)).read_text("utf-8")
    (store.root / "cases/2070/01").mkdir(parents=True)
    (store.root / "cases/2070/01/HL-7001-0001.yaml").write_text(
        old.replace(first, "HL-7001-0001").replace("2021-11-02T10:00:00+08:00", "1970-01-01T08:00:00+08:00"), "utf-8")
    git(store.root, "add", "-A")
    git(store.root, "commit", "-q", "-m", "by hand")
    found = run.raw("verify").stdout
    assert f"cases/2021/10/{second}.yaml:4: received 2021-11-03T10:00:00+08:00 is not in the month of its folder 2021/10" in found
    assert "cases/2070/01/HL-7001-0001.yaml:4: received 1970-01-01T08:00:00+08:00 is outside 2000–2099" in found
    repaired = run.raw("verify", "--repair")
    assert f"note: moved cases/2021/10/{second}.yaml to cases/2021/11/{second}.yaml" in repaired.stderr
    assert "HL-7001-0001" not in repaired.stderr  # no id can carry 1970: left for a person
    # the person corrects the received time; the next repair gives the case an id of its month
    path = store.root / "cases/2070/01/HL-7001-0001.yaml"
    path.write_text(path.read_text("utf-8").replace("1970-01-01T08:00:00+08:00", "2021-11-04T09:00:00+08:00"), "utf-8")
    git(store.root, "commit", "-q", "-am", "received corrected")
    repaired = run.raw("verify", "--repair")
    assert "note: moved cases/2070/01/HL-7001-0001.yaml to cases/2021/11/HL-2111-0003.yaml as HL-2111-0003" in repaired.stderr
    assert sorted(p.relative_to(store.root).as_posix() for p in (store.root / "cases").rglob("*.yaml")) == [
        f"cases/2021/11/{first}.yaml", f"cases/2021/11/{second}.yaml", "cases/2021/11/HL-2111-0003.yaml"]
    assert "Jiesu-Action: refile" in git(store.root, "log", "-1", "--format=%B")
    from jiesu import verify

    errors = [str(p) for p in verify.verify(Store(store.root)) if p.severity == "error"]
    # the hand correction of the intake's time altered a committed event: the audit keeps naming it
    assert len(errors) == 1 and "altered by outside jiesu commit" in errors[0], errors


# --- terminal escapes and live links from files ----------------------------------------------

ESCAPES = "Rubbish\x1b[2J\x1b]0;owned\x07 \x9b31m\r gate \u202eevil"


def test_control_characters_from_a_file_are_shown_as_symbols_everywhere_and_verify_reports_them(run, store):
    case_id = new_case(run, surname="Wang", phone="15123456789", description="first line")
    run("assign", case_id, ETERNAL)
    path = store.root / store.case_relpath(case_id)
    text = path.read_text("utf-8").replace("title: Rubbish at the gate", 'title: "' + ESCAPES.encode("unicode_escape").decode("ascii") + '"')
    path.write_text(text, "utf-8")
    git(store.root, "commit", "-q", "-am", "arrived by sync")
    shown_title = "Rubbish␛[2J␛]0;owned␇ \ufffd31m"  # reports then fold the carriage return into a space
    for argv in (["list"], ["list", "--format", "csv"], ["show", case_id],
                 ["report", "unit", "--unit", ETERNAL, "--format", "txt"], ["report", "unit", "--unit", ETERNAL],
                 ["export"]):
        out = run.raw(*argv)
        assert out.exit_code == 0, (argv, out.stderr)
        assert "\x1b" not in out.stdout and "\x07" not in out.stdout and "\x9b" not in out.stdout and "\r" not in out.stdout, argv
        expected = shown_title.replace("[", "\\[").replace("]", "\\]") if argv[-1] == ETERNAL else shown_title  # Markdown
        assert expected in out.stdout, (argv, out.stdout)
        assert "\u2068" in out.stdout and "\u2069" in out.stdout, argv  # the lone override is isolated
    assert run.raw("log", case_id).exit_code == 0
    exported = run.raw("export", "--format", "jsonl").stdout
    assert "\\u009b" in exported and "\\u202e" in exported and "\x9b" not in exported
    assert json.loads(exported)["title"] == ESCAPES  # the data itself is exact
    found = run.raw("verify").stdout
    assert f"{store.case_relpath(case_id)}:3: warning: `title` holds control character U+001B" in found


def test_markdown_reports_leave_no_link_or_image_live(run, store):
    hostile = "![x](http://evil.example/p.png) [a](javascript:alert(1)) <https://evil.example> `code` www.evil.example"
    run("assign", new_case(run, title=hostile[:200], surname="Wang", phone="15123456789"), ETERNAL)
    md = run.raw("report", "unit", "--unit", ETERNAL, "--format", "md").stdout
    assert ("!\\[x\\](http\\://evil.example/p.png) \\[a\\](javascript\\:alert(1)) &lt;https\\://evil.example&gt; "
            "\\`code\\` www\\.evil.example") in md
    assert re.search(r"(?<!\\)\]\(", md) is None and re.search(r"(?<!\\)https?:", md) is None  # nothing unescaped
