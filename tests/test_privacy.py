"""Personal data (DESIGN §5): full names and other numbers only in private/, masked everywhere else.

No full phone number or full name in `list`, `overdue`, `log`, `verify` or any commit message;
a confidential case carries neither surname nor phone in the shared store; `private/` is ignored
by the store and has its own history; `show --reveal` is the only way to see it; `purge-private`
removes old personal data and says that git history keeps it until rewritten.
"""

from __future__ import annotations

import subprocess

from conftest import git, load, new_case

from jiesu.store import Store

NAME, PHONE = "Zhang Weiguo", "13812345678"


def every_commit_message(root) -> str:
    return git(root, "log", "--all", "--format=%an %ae%n%B")


def all_objects(root) -> bytes:
    return subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=root, capture_output=True, check=True).stdout


def outputs(run, case_id) -> str:
    """Everything the reading commands print about the store, in every format."""
    parts = []
    for fmt in ("table", "json", "csv"):
        parts.append(run("list", "--format", fmt, check=False).stdout)
        parts.append(run("overdue", "--format", fmt, "--as-of", "2021-12-31T00:00", check=False).stdout)
    for fmt in ("text", "json"):
        parts.append(run("log", case_id, "--format", fmt, check=False).stdout)
    parts.append(run.raw("verify").stdout)
    return "\n".join(parts)


def test_no_full_phone_or_name_in_lists_logs_verify_or_commits(run, store):
    case_id = new_case(run, title=f"{NAME} calls from {PHONE} about rubbish", surname="Zhang", name=NAME, phone=PHONE,
                       description=f"Mr {NAME.upper()} says it happens daily; also try 010-62345678.", at="2021-11-01T09:00")
    run("assign", case_id, "--at", "2021-11-01T09:10")
    out = run("note", case_id, f"{NAME} rang again from 139 1234 5678", "--at", "2021-11-01T09:30")
    assert "masked the complainant's full name and phone numbers in text" in out.stderr
    run("accept", case_id, "--at", "2021-11-01T10:00")
    case = load(store, case_id)
    assert case["complainant"] == {"kind": "individual", "surname": "Zhang", "phone": PHONE, "confidential": False,
                                   "frequent": False, "special_group": False, "ref": "P-000001"}
    text = (store.root / store.case_relpath(case_id)).read_text("utf-8")
    assert NAME not in text and NAME.upper() not in text and "Z***********" in text  # the name lives in private/ only
    seen = outputs(run, case_id) + every_commit_message(store.root)
    for secret in (NAME, NAME.upper(), PHONE, "13912345678", "139 1234 5678", "62345678"):
        assert secret not in seen, secret
    assert "138****5678" in seen


def test_confidential_case_carries_neither_surname_nor_phone(run, store):
    case_id = new_case(run, title=f"Threats from a neighbour, call {PHONE}", surname="Zhang", name=NAME, phone=PHONE,
                       confidential=True, description="Call back on 13912345678 only after 6 pm.")
    case = load(store, case_id)
    assert case["complainant"] == {"kind": "individual", "confidential": True, "frequent": False, "special_group": False,
                                   "ref": "P-000001"}
    assert PHONE not in case["title"] and "13912345678" not in case["description"]
    objects = all_objects(store.root)
    for secret in (NAME.encode(), PHONE.encode(), b"13912345678", b"surname: Zhang"):
        assert secret not in objects
    run("note", case_id, "Reached her on 13912345678")
    assert "13912345678" not in load(store, case_id)["events"][-1]["text"]
    # show hides the private record; only --reveal joins it
    assert PHONE not in run("show", case_id).stdout and NAME not in run("show", case_id, "--format", "json").stdout
    revealed = run("show", case_id, "--reveal").stdout
    assert NAME in revealed and PHONE in revealed
    assert run.json("show", case_id, "--reveal")["private"]["name"] == NAME


def test_private_is_its_own_ignored_repository(run, store):
    new_case(run, name=NAME, phone=PHONE, surname="Zhang")
    private = store.root / "private"
    assert git(store.root, "check-ignore", "private/people/P-000001.yaml").strip() == "private/people/P-000001.yaml"
    assert not [p for p in git(store.root, "ls-files").split() if p.startswith("private")]
    assert git(private, "rev-parse", "--show-toplevel").strip() == str(private)
    assert "intake HL-2111-0001" in git(private, "log", "--format=%s")
    assert NAME in (private / "people" / "P-000001.yaml").read_text("utf-8")


def test_verify_masks_a_bad_phone_in_a_hand_edited_file(run, store):
    case_id = new_case(run, surname="Zhang", phone=PHONE)
    path = store.root / store.case_relpath(case_id)
    path.write_text(path.read_text("utf-8").replace(f"phone: '{PHONE}'", "phone: '1381234567'"), "utf-8")
    out = run.raw("verify").stdout
    assert "complainant.phone '138***4567' is not a phone number" in out and "1381234567" not in out


def test_purge_private_removes_old_data_and_says_history_keeps_it(run, store):
    old = new_case(run, name=NAME, phone=PHONE, surname="Zhang", at="2021-10-02T09:00", answered="Explained")
    still_open = new_case(run, name="Li Xiaoming", phone="13912345678", surname="Li", at="2021-10-03T09:00")
    repeat_old = new_case(run, name="Wang Fang", phone="13700001111", surname="Wang", at="2021-10-04T09:00", answered="Told")
    repeat_new = new_case(run, name="Wang Fang", phone="13700001111", surname="Wang", at="2021-11-08T09:00")
    private = store.root / "private"
    assert sorted(p.name for p in (private / "people").iterdir()) == ["P-000001.yaml", "P-000002.yaml", "P-000003.yaml"]
    run.fails("purge-private", "--before", "2021-13-01", match="--before")
    out = run("purge-private", "--before", "2021-11-01").stdout
    assert "removed the personal data of 2 case(s) (1 person) finished before 2021-11-01 from private/" in out
    assert "kept 1 person who also have newer or open cases" in out
    assert "the git history of private/ still holds the removed data until that history is rewritten" in out
    assert "git reflog expire --expire=now --all" in out and "git gc -q --prune=now" in out
    assert sorted(p.name for p in (private / "people").iterdir()) == ["P-000002.yaml", "P-000003.yaml"]
    assert (private / "people" / "P-000003.yaml").read_text("utf-8").count("HL-") == 1  # only the new case remains
    assert git(private, "status", "--porcelain") == ""
    assert NAME in git(private, "log", "-p")  # history still has it, as the message says
    assert NAME not in run("show", old, "--reveal").stdout
    assert "Li Xiaoming" in run("show", still_open, "--reveal").stdout
    assert "Wang Fang" in run("show", repeat_new, "--reveal").stdout and repeat_old
    out = run("purge-private", "--before", "2021-11-01", "--rewrite-history").stdout
    assert "rewrote the git history of private/" in out
    assert NAME.encode() not in all_objects(private)
    assert b"Wang Fang" in all_objects(private)
    assert Store(store.root).private.read("P-000002")["name"] == "Li Xiaoming"
