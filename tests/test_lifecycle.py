"""A case through all four stages from the shell, and every other row of the state machine."""

from __future__ import annotations

import json

from conftest import ETERNAL, GARBAGE, git, load, new_case

from jiesu.store import yamlio


def seed_case(run) -> str:
    case_id = run(
        "--as", "123456", "intake", "--at", "2021-11-02T10:02:02", "--type", "complaint", "--channel", "hotline",
        "--category", GARBAGE, "--title", "Rubbish dumping at the wood factory gate",
        "--description", "Somebody disposed of garbage at the east gate.\nSeveral times already.",
        "--street", ETERNAL, "--community", "hege-village", "--address", "East gate of the wood factory",
        "--surname", "Wang", "--phone", "151 2345 6789", "--tag", "seven-guarantees-five-qualities", "--tag", "livability",
    ).stdout.strip()
    run("--as", "dispatcher", "assign", case_id, ETERNAL, "--at", "2021-11-02T10:07")
    run("--as", "eternal-town", "accept", case_id, "--at", "2021-11-02T10:11")
    run("--as", "eternal-town", "contact", case_id, "--note", "Site inspected", "--at", "2021-11-03T09:30")
    run("--as", "eternal-town", "close", case_id, "--resolved", "--summary", "Garbage cleared, monitoring increased",
        "--at", "2021-11-07T14:57:22")
    run("--as", "654321", "evaluate", case_id, "--reached", "--contacted", "--resolved", "--satisfaction", "very-satisfied",
        "--at", "2021-11-08T16:20")
    return case_id


def test_seed_case_through_all_four_stages(run, store):
    case_id = seed_case(run)
    assert case_id == "HL-2111-0001"
    path = store.root / "cases/2021/11/HL-2111-0001.yaml"
    text = path.read_text("utf-8")
    case = yamlio.load(text)
    assert list(case)[:12] == ["id", "schema", "title", "received", "channel", "type", "category", "description",
                               "location", "complainant", "tags", "time_limit"]
    assert case["received"] == "2021-11-02T10:02:02+08:00"
    assert case["location"] == {"district": "dragon-gate", "street": ETERNAL, "community": "hege-village",
                                "address": "East gate of the wood factory"}
    assert case["complainant"]["phone"] == "15123456789"
    assert case["tags"] == ["seven-guarantees-five-qualities", "livability"]
    assert case["time_limit"] == "standard"
    assert case["state"] == {
        "status": "evaluated", "lead": ETERNAL, "co_units": [], "due": "2021-11-09T10:02:02+08:00",
        "dispatched": "2021-11-02T10:07:00+08:00", "accepted": "2021-11-02T10:11:00+08:00",
        "contacted": "2021-11-03T09:30:00+08:00", "closed": "2021-11-07T14:57:22+08:00", "resolved": True,
        "evaluation": {"reached": True, "contacted": True, "resolved": True, "satisfaction": "very-satisfied"},
    }
    assert [e["action"] for e in case["events"]] == ["intake", "assign", "accept", "contact", "close", "evaluate"]
    assert [e["by"] for e in case["events"]] == ["123456", "dispatcher", "eternal-town", "eternal-town", "eternal-town", "654321"]
    assert case["events"][4]["summary"] == "Garbage cleared, monitoring increased"  # the comma survives (quoted)
    assert len({e["id"] for e in case["events"]}) == 6
    # block style, readable, description as a literal block, events one line each
    assert "description: |\n  Somebody disposed" in text
    assert "\n- {id: " in text
    # one commit per operation, subject and trailers of DESIGN §5, author = actor, author date = event time
    log = git(store.root, "log", "--format=%an|%aI|%s|%(trailers:key=Jiesu-Action,valueonly)", "--", str(path)).splitlines()
    log = [line for line in log if line.strip()]
    assert [line.split("|")[2] for line in log] == [f"{a} HL-2111-0001: Rubbish dumping at the wood factory gate"
                                                     for a in ("evaluate", "close", "contact", "accept", "assign", "intake")]
    assert log[0].split("|")[0] == "654321"
    assert log[0].split("|")[1] == "2021-11-08T16:20:00+08:00"
    body = git(store.root, "log", "-1", "--format=%B", "--", str(path))
    assert "Jiesu-Case: HL-2111-0001" in body and "Jiesu-Action: evaluate" in body and "Jiesu-Actor: 654321" in body


def test_show_text_and_json(run):
    case_id = seed_case(run)
    text = run("show", case_id).stdout
    assert "status       evaluated" in text
    assert "time limit   standard (7d, calendar time; from category env.garbage.unregulated-collection)" in text
    assert "acceptance  4m of 2h — met" in text
    assert "contact     23h 23m of 1d — met" in text
    assert "resolution  5d 4h 55m of 7d — met" in text
    data = json.loads(run("show", case_id, "--format", "json").stdout)
    assert data["id"] == case_id and data["state"]["status"] == "evaluated"
    assert data["clocks"]["resolution"]["met"] is True
    assert data["clocks"]["acceptance"][0]["elapsed_s"] == 240
    raw = run("show", case_id, "--format", "yaml").stdout
    assert raw.startswith(f"id: {case_id}\n")


def test_log_lists_every_commit_with_what_changed(run):
    case_id = seed_case(run)
    text = run("log", case_id).stdout
    lines = [ln for ln in text.splitlines() if not ln.startswith("    ")]
    assert [ln.split()[2] for ln in lines] == ["intake", "assign", "accept", "contact", "close", "evaluate"]
    assert "state.status: accepted → closed" in text
    assert "+ assign by dispatcher at 2021-11-02T10:07:00+08:00: unit dragon-gate/eternal-town" in text
    entries = json.loads(run("log", case_id, "--format", "json").stdout)
    assert entries[-1]["actor"] == "654321" and entries[-1]["action"] == "evaluate"
    assert entries[0]["created"] is True and entries[0]["outside_jiesu"] is False


def test_answered_on_the_call_is_closed_at_once(run, store):
    case_id = new_case(run, type="consultation", category="policy.residence.residence-permit",
                       title="How to get a residence permit", answered="Explained the documents needed")
    case = load(store, case_id)
    assert [e["action"] for e in case["events"]] == ["intake", "close"]
    assert case["state"]["status"] == "closed" and case["state"]["resolved"] is True
    assert "lead" not in case["state"]
    # one commit for intake + close
    assert git(store.root, "rev-list", "--count", "HEAD").strip() == "2"


def test_assign_by_catalog_rule_with_co_units(run, store):
    case_id = new_case(run, category="property.owners-committee.disputes", title="Fund accounts")
    out = run("assign", case_id).stdout
    assert out.strip() == f"{case_id}: dispatched to {ETERNAL} with housing"
    state = load(store, case_id)["state"]
    assert state["lead"] == ETERNAL and state["co_units"] == ["housing"]
    assert load(store, case_id)["time_limit"] == "complex"


def test_return_and_reassign_starts_a_new_acceptance_clock(run, store):
    case_id = new_case(run, at="2021-11-05T19:40")
    run("assign", case_id, "--at", "2021-11-05T19:52")
    run("return", case_id, "--reason", "Not ours", "--at", "2021-11-06T08:40")
    state = load(store, case_id)["state"]
    assert state["status"] == "received" and "lead" not in state
    run("assign", case_id, "dragon-gate/dragon-spring", "--at", "2021-11-06T09:05")
    run("accept", case_id, "--at", "2021-11-06T09:30")
    clocks = run.json("show", case_id)["clocks"]["acceptance"]
    assert [(c["unit"], c["elapsed_s"], c["met"], c["ended_by"]) for c in clocks] == [
        (ETERNAL, 12 * 3600 + 48 * 60, False, "return"),
        ("dragon-gate/dragon-spring", 25 * 60, True, "accept"),
    ]


def test_escalate_extend_and_caps(run, store):
    case_id = new_case(run, category="property.owners-committee.disputes", title="Fund", at="2021-11-01T09:00")
    run("assign", case_id, "--at", "2021-11-01T09:10")
    run("accept", case_id, "--at", "2021-11-01T09:20")
    run("escalate", case_id, "--to", "urban-management", "--reason", "Needs enforcement")
    assert load(store, case_id)["state"]["co_units"] == ["housing", "urban-management"]
    run.fails("escalate", case_id, "--to", "housing", "--reason", "again", match="already works on")
    # complex: 15d, extendable to 30d from reception → cap 2021-12-01T09:00
    run("extend", case_id, "--by", "10d", "--reason", "Audit")
    assert load(store, case_id)["state"]["due"] == "2021-11-26T09:00:00+08:00"
    run.fails("extend", case_id, "--until", "2021-12-02T09:00", "--reason", "More", match="past the cap of class complex")
    run("extend", case_id, "--until", "2021-12-01T09:00", "--reason", "To the cap")
    run.fails("extend", case_id, "--by", "1h", "--reason", "x", match="past the cap")
    text = run("show", case_id).stdout
    assert "due          2021-12-01 09:00  (originally 2021-11-16 09:00)" in text


def test_standard_class_cannot_be_extended(run):
    case_id = new_case(run)
    run.fails("extend", case_id, "--by", "1d", "--reason", "x", match="cannot be extended; extendable classes: complex")


def test_reject_reopen_exempt_merge(run, store):
    drunk = new_case(run, type="consultation", category=None, title="Caller made no request", street=None)
    run("reject", drunk, "--reason", "Drunk caller")
    assert load(store, drunk)["state"]["status"] == "rejected"
    run("reopen", drunk, "--reason", "He called back sober with a real request")
    assert load(store, drunk)["state"]["status"] == "received"

    case_id = new_case(run)
    run("assign", case_id)
    run("accept", case_id)
    run("close", case_id, "--unresolved", "--summary", "Could not find the site")
    run("evaluate", case_id, "--reached", "--not-contacted", "--unresolved", "--satisfaction", "dissatisfied", "--reason", "Nobody came")
    run("reopen", case_id, "--reason", "Complainant dissatisfied")
    state = load(store, case_id)["state"]
    assert state["status"] == "dispatched" and state["lead"] == ETERNAL and "evaluation" not in state
    assert state["due"] == "2021-11-17T12:00:00+08:00"  # a new standard limit from the reopening
    run("exempt", case_id, "--type", "unreasonable", "--reason", "Demands beyond policy")
    state = load(store, case_id)["state"]
    assert state["exemption"] == "pending" and "exempt" not in state  # still assessed until the centre decides
    run.fails("exempt", case_id, "--reason", "again", match="already has a pending exemption request")
    run("exempt", case_id, "--approve")
    state = load(store, case_id)["state"]
    assert state["exemption"] == "approved" and state["exempt"] is True
    run.fails("exempt", case_id, "--reason", "again", match="already exempt")
    run.fails("exempt", case_id, "--deny", "--reason", "late", match="no pending exemption request")

    dup = new_case(run, title="Same rubbish, second caller")
    run("merge", dup, "--into", case_id)
    assert load(store, dup)["state"] == {"status": "merged", "due": "2021-11-17T12:00:00+08:00", "merged_into": case_id}
    notes = [e for e in load(store, case_id)["events"] if e["action"] == "note"]
    assert notes[-1]["text"] == f"{dup} merged into this case as a duplicate"
    body = git(store.root, "log", "-1", "--format=%B")
    assert f"Jiesu-Case: {dup}" in body and f"Jiesu-Case: {case_id}" in body
    run.fails("note", dup, "too late", match=f"{dup} is merged: cannot note; allowed next: nothing")


def test_unreached_evaluation(run, store):
    case_id = new_case(run, answered="Explained")
    run("evaluate", case_id, "--unreached")
    assert load(store, case_id)["state"]["evaluation"] == {"reached": False}


def test_intake_from_file_is_one_commit(run, store, tmp_path):
    requests = tmp_path / "requests.yaml"
    requests.write_text(
        "- {title: One, type: complaint, category: env.garbage.unregulated-collection, street: dragon-gate/eternal-town}\n"
        "- title: Two\n  type: suggestion\n  location: {district: dragon-gate}\n  complainant: {surname: Li, phone: '13912345678'}\n"
        "- {title: Three, type: consultation, answered: Told them, received: '2021-10-31T23:00:00'}\n",
        "utf-8",
    )
    before = git(store.root, "rev-list", "--count", "HEAD").strip()
    ids = run("intake", "--from", str(requests)).stdout.split()
    assert ids == ["HL-2111-0001", "HL-2111-0002", "HL-2110-0001"]
    assert int(git(store.root, "rev-list", "--count", "HEAD")) == int(before) + 1
    assert load(store, "HL-2111-0002")["complainant"]["surname"] == "Li"
    ids2 = run("intake", "--from", "-", input='{"title": "Four", "type": "complaint"}').stdout.split()
    assert ids2 == ["HL-2111-0003"]


def test_intake_from_file_all_or_nothing(run, tmp_path):
    requests = tmp_path / "bad.yaml"
    requests.write_text("- {title: One, type: complaint}\n- {title: Two, type: gossip}\n", "utf-8")
    run.fails("intake", "--from", str(requests), match="request 2: --type: unknown value 'gossip'")


def test_list_and_filters(run, store):
    a = new_case(run, at="2021-11-01T09:00")
    b = new_case(run, at="2021-11-05T09:00", street="dragon-gate/dragon-spring")
    run("assign", a)
    rows = run.json("list")
    assert [r["id"] for r in rows] == [a, b]
    assert set(rows[0]) == {"id", "status", "title", "type", "category", "district", "street", "lead", "received", "due",
                            "closed", "overdue", "clocks"}
    assert rows[0]["overdue"] is True and rows[1]["overdue"] is False  # due 11-08 < now 11-10
    assert [r["id"] for r in run.json("list", "--status", "dispatched")] == [a]
    assert [r["id"] for r in run.json("list", "--unit", "dragon-gate")] == [a]
    assert [r["id"] for r in run.json("list", "--overdue")] == [a]
    assert [r["id"] for r in run.json("list", "--since", "2021-11-02")] == [b]
    assert [r["id"] for r in run.json("list", "--until", "2021-11-01")] == [a]
    assert [r["id"] for r in run.json("list", "--category", "env")] == [a, b]
    csv_out = run("list", "--format", "csv", check=False).stdout.splitlines()
    assert csv_out[0] == "id,status,title,type,category,district,street,lead,received,due,closed,overdue"
    table = run("list", check=False).stdout
    assert "dispatched !" in table and "2 case(s)" in table


def test_every_command_has_help_with_an_example_and_a_readme_line(run):
    from jiesu.cli import COMMANDS

    readme = (__import__("conftest").REPO / "README.md").read_text("utf-8")
    for name in COMMANDS:
        out = run(name, "--help", check=False).stdout
        assert "Example" in out, f"{name} help has no example"
        assert f"`jiesu {name}" in readme, f"{name} missing from the README command reference"
