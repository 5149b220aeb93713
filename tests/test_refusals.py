"""Every mistake a user can make: one `error:` line naming the field and what is allowed, exit 1,
and a store that did not change."""

from __future__ import annotations

import pytest
from conftest import ETERNAL, GARBAGE, new_case


@pytest.fixture
def case_id(run):
    return new_case(run)


BAD_INTAKE = [
    (["--category", "env.nonsense"], "--category: unknown category 'env.nonsense'"),
    (["--category", "env.garbage"], "is not a leaf category; choose one of"),
    (["--type", "gossip"], "--type: unknown value 'gossip'; allowed: consultation, complaint, suggestion, emergency"),
    (["--channel", "pigeon"], "--channel: unknown value 'pigeon'; allowed: hotline"),
    (["--tag", "vip"], "--tag: unknown value 'vip'; allowed:"),
    (["--street", "dragon-gate/atlantis"], "--street: unknown unit 'dragon-gate/atlantis'"),
    (["--street", "housing"], "--street: 'housing' is a department, not a street or town"),
    (["--district", "bell-drum", "--street", ETERNAL], "lies in dragon-gate, not in --district bell-drum"),
    (["--community", "atlantis"], "--community: 'atlantis' is not in dragon-gate/eternal-town; allowed:"),
    (["--phone", "12"], "--phone: '12' is not a phone number"),
    (["--phone", "call me maybe"], "is not a phone number"),
    (["--at", "yesterday"], "--at: 'yesterday' is not a time; use ISO 8601"),
    (["--at", "2031-01-01T00:00"], "is in the future"),
    (["--time-limit", "forever"], "--time-limit: unknown class 'forever'; allowed: urgent, utility, standard, complex"),
    (["--kind", "alien"], "--kind: unknown value 'alien'"),
    (["--title", "two\nlines"], "--title: must be one line"),
    (["--title", "bell\x07"], "contains control character U+0007"),
]


@pytest.mark.parametrize("extra,message", BAD_INTAKE, ids=[m[:30] for _, m in BAD_INTAKE])
def test_bad_intake(run, extra, message):
    base = {"--type": "complaint", "--category": GARBAGE, "--title": "Rubbish", "--street": ETERNAL}
    for i in range(0, len(extra), 2):
        base[extra[i]] = extra[i + 1]
    argv = [x for pair in base.items() for x in pair]
    run.fails("intake", *argv, match=message)


def test_intake_without_title_or_type_never_prompts_in_a_script(run):
    run.fails("intake", "--type", "complaint", match="--title: required")
    run.fails("intake", "--title", "x", match="--type: required")


BAD_IDS = ["../x", "HL-2111-0069/../../etc", "hl-2111-0001", "HL-2113-0001", "HL-2111-01", "HL\x00-2111-0001", "", "/etc/passwd"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_or_escaping_ids(run, bad):
    result = run.fails("show", bad) if bad else run.fails("show", bad)
    assert "expected OFFICE-YYMM-NNNN" in result.stderr
    run.fails("accept", bad, match="expected OFFICE-YYMM-NNNN")


def test_unknown_case(run):
    run.fails("accept", "HL-2111-9999", match="no case HL-2111-9999 in this store")


def test_illegal_transitions_name_status_and_next(run, case_id):
    run.fails("accept", case_id, match=f"{case_id} is received: cannot accept; allowed next: assign, note, extend, close, reject, exempt, merge")
    run.fails("evaluate", case_id, "--unreached", match="cannot evaluate")
    run("assign", case_id)
    run.fails("reject", case_id, "--reason", "x", match=f"{case_id} is dispatched: cannot reject")
    run.fails("assign", case_id, "centre", match="is the hotline centre")


def test_bad_handling_input(run, case_id):
    run.fails("assign", case_id, "nowhere", match="UNIT: unknown unit 'nowhere'")
    run.fails("assign", case_id, "--co", "nowhere", match="--co: unknown unit 'nowhere'")
    run("assign", case_id)
    run.fails("accept", case_id, "--unit", "housing", match="--unit: housing is not the lead")
    run.fails("return", case_id, "--reason", "   ", match="--reason: required and must not be empty")
    run.fails("extend", case_id, "--reason", "x", match="give exactly one of --until TIME or --by DURATION")
    run.fails("extend", case_id, "--by", "soon", "--reason", "x", match="cannot be extended")
    run.fails("note", case_id, "", match="TEXT: required")
    run.fails("accept", case_id, "--at", "2021-11-01T00:00", match="is before the case's last event")
    run("accept", case_id)
    run.fails("close", case_id, "--summary", "done", match="--resolved or --unresolved")
    run("close", case_id, "--resolved", "--summary", "done")
    run.fails("evaluate", case_id, "--reached", "--satisfaction", "satisfied", match="missing --contacted/--not-contacted, --resolved/--unresolved")
    run.fails("evaluate", case_id, "--reached", "--contacted", "--resolved", "--satisfaction", "ecstatic",
              match="--satisfaction: unknown level 'ecstatic'; allowed: very-satisfied, satisfied, basically-satisfied, dissatisfied, very-dissatisfied")
    run.fails("evaluate", case_id, "--reached", "--contacted", "--resolved", "--satisfaction", "dissatisfied",
              match="--reason: required when the complainant is dissatisfied")
    run.fails("evaluate", case_id, "--unreached", "--satisfaction", "satisfied", match="an unreached follow-up has no answers")


def test_merge_refusals(run, case_id):
    run.fails("merge", case_id, "--into", case_id, match="cannot be merged into itself")
    run.fails("merge", case_id, "--into", "HL-2111-0999", match="--into: no case HL-2111-0999")


def test_usage_errors_exit_2(run):
    run.fails("intake", "--no-such-option", code=2)
    run.fails("close", code=2)


def test_extension_without_reason_is_a_usage_error(run):
    case_id = new_case(run, category="property.owners-committee.disputes")
    run.fails("extend", case_id, "--by", "3d", code=2)


def test_hand_broken_case_file_is_reported_with_line(run, store, case_id):
    path = store.root / "cases/2021/11" / f"{case_id}.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("title: Rubbish at the gate", "title: [unclosed"), "utf-8")
    subprocess_git = __import__("conftest").git
    subprocess_git(store.root, "commit", "-qam", "hand edit")
    result = run.fails("assign", case_id)
    assert f"cases/2021/11/{case_id}.yaml:4: expected ',' or ']'" in result.stderr
    result = run.raw("verify")
    assert result.exit_code == 1
    assert f"cases/2021/11/{case_id}.yaml:" in result.stdout


def test_missing_store_and_missing_actor(run, store, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from jiesu.cli import cli

    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "nope"), "list"])
    assert result.exit_code == 1 and result.stderr.startswith("error: ") and "not a jiesu store" in result.stderr
    monkeypatch.delenv("JIESU_ACTOR")
    result = CliRunner().invoke(cli, ["--store", str(store.root), "intake", "--type", "complaint", "--title", "x"],
                                env={"HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"})
    assert result.exit_code == 1 and "who is acting? pass --as NAME" in result.stderr


def test_second_writer_waits_then_fails(run, store, case_id, monkeypatch):
    from jiesu.store import Store

    monkeypatch.setenv("JIESU_LOCK_TIMEOUT", "0.3")
    with Store(store.root).lock("a long job"):
        result = run.fails("assign", case_id, match="the store is locked by another writer (pid")
    assert "a long job" in result.stderr and "waited 0.3 s" in result.stderr
    run("assign", case_id)  # free again
