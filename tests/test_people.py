"""Complainant data: surname and call-back phone in the case, the rest in private/, phones checked."""

from __future__ import annotations

import pytest
from conftest import git, load, new_case

from jiesu.errors import InvalidInput
from jiesu.privacy import mask_phone, normalize_phone, scrub


@pytest.mark.parametrize("raw,normal", [
    ("15123456789", "15123456789"),
    ("151 2345 6789", "15123456789"),
    ("+86 138 0013 8000", "13800138000"),
    ("010-12345678", "01012345678"),
    ("(0755) 8888 8888 ext 12", "075588888888ext12"),
    ("010-12345678转123", "01012345678ext123"),
    ("+1 212 555 0100", "+12125550100"),
    ("+44 20 7946 0958", "+442079460958"),
    ("12345", "12345"),
    ("400-810-1234", "4008101234"),
])
def test_phones_callers_really_give(raw, normal):
    assert normalize_phone(raw) == normal


@pytest.mark.parametrize("raw", ["12", "abc", "151234567890123456789", "+0 123", "1512345678x", "010-1234"])
def test_malformed_phones(raw):
    with pytest.raises(InvalidInput, match="is not a phone number"):
        normalize_phone(raw)


def test_masking():
    assert mask_phone("15123456789") == "151****6789"
    assert mask_phone("+12125550100") == "+121****0100"
    assert scrub("call 151-2345-6789 or 010 12345678, case HL-2111-0069") == "call 151****6789 or 010****5678, case HL-2111-0069"


def test_full_name_goes_to_private_only(run, store):
    case_id = new_case(run, name="王丽华", phone="15123456789")
    case = load(store, case_id)
    assert case["complainant"]["surname"] == "王"
    assert case["complainant"]["phone"] == "15123456789"
    ref = case["complainant"]["ref"]
    text = (store.root / store.case_relpath(case_id)).read_text("utf-8")
    assert "丽华" not in text
    person = (store.root / "private" / "people" / f"{ref}.yaml").read_text("utf-8")
    assert "王丽华" in person and case_id in person
    # private/ is its own repository, ignored by the store
    assert git(store.root / "private", "log", "--format=%s", "-1").startswith(f"intake {case_id}")
    assert git(store.root, "check-ignore", "private/people").strip() == "private/people"
    assert "丽华" not in git(store.root, "log", "-p", "--all")
    shown = run("show", case_id, check=False).stdout
    assert "丽华" not in shown
    revealed = run("show", case_id, "--reveal", check=False).stdout
    assert "name         王丽华" in revealed or "  name" in revealed and "王丽华" in revealed


def test_confidential_case_carries_neither_surname_nor_phone(run, store):
    case_id = new_case(run, surname="Zhao", phone="13911112222", confidential=True)
    case = load(store, case_id)
    assert "surname" not in case["complainant"] and "phone" not in case["complainant"]
    assert case["complainant"]["confidential"] is True
    person = (store.root / "private" / "people" / f"{case['complainant']['ref']}.yaml").read_text("utf-8")
    assert "13911112222" in person and "Zhao" in person
    assert "13911112222" not in git(store.root, "log", "-p", "--all")
    assert "13911112222" in run("show", case_id, "--reveal", "--format", "json", check=False).stdout


def test_repeat_caller_keeps_one_reference(run, store):
    a = new_case(run, name="李明", phone="13800001111")
    b = new_case(run, name="李明", phone="138 0000 1111", title="Again")
    assert load(store, a)["complainant"]["ref"] == load(store, b)["complainant"]["ref"]


def test_list_and_commit_messages_never_show_a_full_phone(run, store):
    case_id = new_case(run, title="Call me back on 15123456789", phone="15123456789")
    assert "15123456789" not in git(store.root, "log", "--format=%B")
    assert "15123456789" not in run("list", check=False).stdout
    assert "151****6789" in run("list", "--format", "csv", check=False).stdout
    assert "15123456789" not in run("log", case_id, check=False).stdout
