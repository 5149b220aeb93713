"""Themes (每月一题): records, commands, measured results, checklists, merges and refusals.

The elevator theme below covers two streets; its half-month counts, rates and target were worked
out by hand from the cases the fixture receives, and are cross-checked with `list --format json`.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from conftest import Cli, git

from jiesu import metrics, ops
from jiesu.cli import cli
from jiesu.ops.common import commit_batch
from jiesu.store import Store, yamlio

NOW = "2026-05-20T12:00:00"
A, B, C = "dragon-gate/eternal-town", "dragon-gate/peach-orchard", "dragon-gate/dragon-spring"
LIFT = "property.elevator.failure"
GARBAGE = "env.garbage.unregulated-collection"
T = "HL-T26-01"

# (received, street, category): the hand-computed half-month counts are in test_half_month_counts
CASES = [
    ("2025-11-20T10:00", A, LIFT),   # before the window (it starts 2025-12-01)
    ("2025-12-05T10:00", A, LIFT), ("2025-12-06T10:00", A, LIFT),                      # 2025-12-01…15: 2
    ("2025-12-20T10:00", B, LIFT),                                                       # 2025-12-16…31: 1
    ("2026-01-10T10:00", A, LIFT), ("2026-01-11T10:00", A, LIFT), ("2026-01-12T10:00", B, LIFT),  # 01-01…15: 3
    ("2026-02-03T10:00", B, LIFT), ("2026-02-04T10:00", B, LIFT),                      # 02-01…15: 2
    ("2026-02-20T10:00", A, LIFT), ("2026-02-21T10:00", A, LIFT), ("2026-02-22T10:00", B, LIFT),
    ("2026-02-28T23:30", A, LIFT),                                                       # 02-16…28: 4
    ("2026-03-05T10:00", A, LIFT),                                                       # 03-01…15: 1 (+1 linked)
    ("2026-03-18T10:00", B, LIFT), ("2026-03-19T10:00", B, LIFT),                      # 03-16…31: 2
    ("2026-04-25T10:00", A, LIFT),                                                       # 04-16…30: 1
    ("2026-05-10T10:00", B, LIFT),                                                       # 05-01…15: 1
    ("2026-05-18T10:00", A, LIFT),                                                       # 05-16…31: 1 (current)
    ("2026-03-06T10:00", C, LIFT),      # another street: out of scope
    ("2026-03-07T10:00", A, GARBAGE),   # another category: out of scope
    ("2026-03-08T10:00", C, GARBAGE),   # out of scope, linked by hand
]
SERIES = [2, 1, 3, 0, 2, 4, 2, 2, 0, 1, 1, 1]


def _evaluate(store, tx, case_id, when, resolved, level):
    t = when
    ops.assign(store, case_id, "d", A, at=(t := t + timedelta(minutes=30)).isoformat(), tx=tx)
    ops.accept(store, case_id, "u", at=(t := t + timedelta(minutes=30)).isoformat(), tx=tx)
    ops.close(store, case_id, "u", resolved, "done", at=(t := t + timedelta(hours=2)).isoformat(), tx=tx)
    ops.evaluate(store, case_id, "cb", True, True, resolved, level, reason="why", at=(t + timedelta(days=1)).isoformat(), tx=tx)


@pytest.fixture
def elevators(store, monkeypatch):
    """A store with the cases above, two evaluated before the start and one after."""
    from datetime import datetime

    monkeypatch.setenv("JIESU_NOW", NOW)
    store = Store(store.root)
    ids = []
    with store.transaction("build", batch=True) as tx:
        for received, street, category in CASES:
            rec = {"title": "Lift out of service" if category == LIFT else "Rubbish", "type": "complaint",
                   "category": category, "street": street, "at": received}
            ids.append(ops.intake(store, [rec], "op", tx=tx)[0].case_id)
        commit_batch(store, tx, "op", "cases")
    with store.transaction("evaluate", batch=True) as tx:
        _evaluate(store, tx, ids[4], datetime.fromisoformat("2026-01-10T10:00"), True, "very-satisfied")
        _evaluate(store, tx, ids[5], datetime.fromisoformat("2026-01-11T10:00"), False, "dissatisfied")
        _evaluate(store, tx, ids[14], datetime.fromisoformat("2026-03-18T10:00"), True, "satisfied")
        commit_batch(store, tx, "op", "evaluations")
    run = Cli(store)
    assert run("theme", "new", "--title", "Elevators in old buildings", "--year", "2026", "--month", "3",
               "--lead", "housing", "--co", "market-regulation", "--scope", "category=property.elevator",
               "--scope", f"street={A}", "--scope", f"street={B}", "--at", "2026-02-25T09:00").stdout.strip() == T
    run("theme", "plan", T, "--text", "Halve elevator calls in the two streets by mid-May.", "--target", "-50",
        "--by", "2026-05-15", "--at", "2026-02-26T09:00")
    run("theme", "start", T, "--at", "2026-03-01T09:00")
    run("theme", "link", T, ids[-1], "--at", "2026-03-09T09:00")
    return run, ids


def test_theme_file_events_commits_and_log(elevators):
    run, ids = elevators
    root = run.store.root
    theme = yamlio.load((root / "themes/2026/HL-T26-01.yaml").read_text("utf-8"))
    assert [e["action"] for e in theme["events"]] == ["new", "plan", "start", "link"]
    assert theme["scope"] == {"category": ["property.elevator"], "street": [A, B]}
    assert theme["state"]["status"] == "active" and theme["state"]["links"] == [ids[-1]]
    assert theme["state"]["plan"]["target"] == -50
    body = git(root, "log", "-1", "--format=%B")
    assert body.splitlines()[0] == "link HL-T26-01: Elevators in old buildings"
    assert f"Jiesu-Theme: {T}\nJiesu-Action: link\nJiesu-Actor: operator" in body
    assert "themes/**/*.yaml merge=jiesu" in (root / ".gitattributes").read_text()
    log = run("log", T).stdout
    assert [line.split()[2] for line in log.splitlines() if line[:2] == "20"] == ["new", "plan", "start", "link"]
    listed = run.json("theme", "list")
    assert [(r["id"], r["status"], r["lead"]) for r in listed] == [(T, "active", "housing")]


def test_half_month_counts(elevators):
    run, ids = elevators
    shown = run.json("theme", "show", T)
    series = shown["series"]
    assert [e["start"] for e in series][:3] == ["2025-12-01", "2025-12-16", "2026-01-01"]
    assert [e["count"] for e in series] == SERIES
    assert [e["phase"] for e in series] == ["before"] * 6 + ["during"] * 6
    # each half month since the start against the one at the same place in the three months before
    assert [e["compare"] for e in series[6:]] == [2, 1, 3, 0, 2, 4]
    assert [e["change"] for e in series[6:]] == [0.0, 1.0, -1.0, None, -0.5, -0.75]
    assert shown["baseline"] == 2.0 and shown["during_mean"] == 7 / 6
    assert [e["complete"] for e in series[-2:]] == [True, False]
    # target -50 % by 15 May: the last complete half month before it (1–15 May) had 1 = 2.0 × 0.5
    assert shown["target"] == {"target": -50.0, "by": "2026-05-15", "measured_on": "2026-05-01…15", "count": 1,
                               "change": -50.0, "met": True, "overdue": True}
    assert [c["id"] for c in shown["linked"]] == [ids[-1]]


def test_counts_match_list_json(elevators):
    """Every half month of the report equals what `list --format json` finds for the scope, plus the link."""
    run, ids = elevators
    report = json.loads(run("report", "theme", T, "--format", "json", check=False).stdout)
    for entry in report["series"]:
        first = date.fromisoformat(entry["start"])
        last = first.replace(day=15) if first.day == 1 else (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        rows = run.json("list", "--category", "property.elevator", "--since", first.isoformat(), "--until", last.isoformat())
        listed = [r for r in rows if r["street"] in (A, B)]
        linked = [r for r in run.json("list", "--since", first.isoformat(), "--until", last.isoformat()) if r["id"] == ids[-1]]
        assert entry["count"] == len(listed) + len(linked), entry


def test_report_formats_and_languages(elevators):
    run, _ = elevators
    csv_lines = run("report", "theme", T, "--format", "csv", check=False).stdout.splitlines()
    assert csv_lines[0] == "start,label,phase,count,compare,change" and len(csv_lines) == 1 + len(SERIES)
    assert csv_lines[7].startswith("2026-03-01,2026-03-01…15,during,2,2,")
    zh = run("report", "theme", T, "--lang", "zh", check=False).stdout
    assert zh.startswith("# 每月一题 HL-T26-01 — Elevators in old buildings") and "半月诉求量" in zh
    html = run("report", "theme", T, "--format", "html", check=False).stdout
    assert html.startswith("<!doctype html>") and "<table" in html and "Halve elevator calls" in html
    assert json.loads(run("report", "theme", T, "--format", "json", check=False).stdout)["in_scope"] == sum(SERIES)


def test_rates_before_and_during(elevators):
    run, _ = elevators
    rates = run.json("theme", "show", T)["rates"]
    before, during = rates["before"], rates["during"]
    assert (before["assessed"], before["reached"], during["assessed"], during["reached"]) == (2, 2, 1, 1)
    assert before["resolution_rate"] == 0.5 and before["satisfaction_rate"] == pytest.approx((100 + 20) / 200)
    assert during["resolution_rate"] == 1.0 and during["satisfaction_rate"] == pytest.approx(0.8)
    assert before["resolution_ci"] == pytest.approx(list(metrics.wilson(1, 2)))


def test_task_overdue_in_owner_sheet_and_overdue_tasks(elevators):
    run, _ = elevators
    out = run("theme", "task", "add", T, "--text", "Inspect every elevator", "--owner", A, "--due", "2026-04-30",
              "--at", "2026-03-10T09:00").stdout
    item = out.split()[2]
    run("theme", "duty", "add", T, "--text", "Street chief answers for the lifts", "--owner", A, "--at", "2026-03-10T09:05")
    late = run.json("overdue", "--tasks")
    assert [(t["theme"], t["item"], t["owner"], t["due"], t["days_late"]) for t in late["tasks"]] == [(T, item, A, "2026-04-30", 20)]
    assert run.json("overdue", "--tasks", "--as-of", "2026-04-30T23:00")["tasks"] == []
    assert run.json("overdue", "--tasks", "--unit", "housing")["tasks"] == []
    sheet = json.loads(run("report", "unit", "--unit", A, "--format", "json", check=False).stdout)
    assert [(t["item"], t["overdue"]) for t in sheet["tasks"]] == [(item, True), (sheet["tasks"][1]["item"], False)]
    assert "OVERDUE 20 d" in run("report", "unit", "--unit", A, check=False).stdout
    lists = {entry["list"]: entry for entry in run.json("theme", "show", T)["lists"]}
    assert (lists["task"]["open"], lists["task"]["overdue"], lists["duty"]["open"]) == (1, 1, 1)
    run("theme", "task", "done", T, item, "--evidence", "Inspection report 2026-05-19")
    assert run.json("overdue", "--tasks")["tasks"] == []
    monthly = json.loads(run("report", "monthly", "--month", "2026-04", "--format", "json", check=False).stdout)
    assert [(t["id"], t["requests"], t["done"], t["open"]) for t in monthly["themes"]] == [(T, 1, 1, 1)]


def test_refusals_write_nothing(elevators):
    run, ids = elevators
    base = ["theme", "new", "--title", "X", "--year", "2026", "--lead", "housing"]
    run.fails(*base, "--scope", "category=property.lifts", match="no category or category prefix 'property.lifts'")
    run.fails(*base, "--scope", "street=atlantis", match="street=atlantis: not a street or town")
    run.fails(*base, "--scope", "tag=no-such-tag", match="tag=no-such-tag: unknown tag")
    run.fails(*base, "--scope", "colour=red", match="expected KEY=VALUE with KEY one of category")
    run.fails(*base, match="a theme needs a scope")
    run.fails("theme", "new", "--title", "X", "--year", "2026", "--lead", "nobody", "--scope", "tag=enterprise", match="unknown unit 'nobody'")
    run.fails("theme", "task", "add", T, "--text", "Too early", "--due", "2026-02-27", match="before the theme's start on 2026-03-01")
    run.fails("theme", "task", "add", T, "--text", "No date", match="a task needs a due date")
    item = run("theme", "task", "add", T, "--text", "Inspect", "--due", "2026-06-30").stdout.split()[2]
    run("theme", "task", "done", T, item, "--evidence", "done")
    run.fails("theme", "task", "done", T, item, "--evidence", "again", match=f"task {item} is already done")
    run.fails("theme", "task", "drop", T, item, "--reason", "late", match="already done")
    run.fails("theme", "policy", "done", T, item, "--evidence", "x", match="is a task, not a policy")
    open_item = run("theme", "task", "add", T, "--text", "Repair", "--due", "2026-06-30").stdout.split()[2]
    run.fails("theme", "close", T, "--summary", "Done", match="1 task still open")
    run.fails("theme", "close", T, "--summary", "Done", "--force", match="1 task still open")
    run.fails("theme", "start", T, match="theme HL-T26-01 is active: start is not allowed")
    run.fails("theme", "show", "HL-2603-0001", match="theme id 'HL-2603-0001': expected OFFICE-TYY-NN")
    run.fails("theme", "note", "HL-T26-09", "x", match="no theme HL-T26-09")
    run.fails("theme", "link", T, ids[-1], match="already linked")
    run.fails("report", "theme", match="needs the theme's id")
    run("theme", "close", T, "--summary", "Calls halved", "--force", "--reason", "repairs go on under the street")
    theme = yamlio.load((run.store.root / "themes/2026/HL-T26-01.yaml").read_text("utf-8"))
    assert theme["state"]["status"] == "closed" and theme["events"][-1]["forced"].startswith("1 open item(s)")
    assert open_item in [t["id"] for t in theme["state"]["tasks"]]
    run.fails("theme", "task", "add", T, "--text", "After", "--due", "2026-06-30", match="closed: task-add is not allowed")


def test_from_hotspot_takes_its_scope(store, run):
    key = f"category=env.garbage,street={A.split('/')[1]}"
    theme_id = run("theme", "new", "--title", "Garbage", "--year", "2021", "--lead", A, "--from-hotspot", key).stdout.strip()
    assert theme_id == "HL-T21-01"
    theme = yamlio.load((store.root / "themes/2021/HL-T21-01.yaml").read_text("utf-8"))
    assert theme["scope"] == {"category": ["env.garbage"], "street": [A]} and theme["from_hotspot"] == key
    run.fails("theme", "new", "--title", "G", "--year", "2021", "--lead", A, "--from-hotspot", "category=env.rubbish",
              match="--from-hotspot: category=env.rubbish")


def test_verify_reports_hand_broken_theme_files(elevators):
    run, _ = elevators
    path = run.store.root / "themes/2026/HL-T26-01.yaml"
    good = path.read_text("utf-8")
    path.write_text(good.replace("  status: active", "  status: closed"), "utf-8")
    git(run.store.root, "commit", "-qam", "hand edit")
    result = run.raw("verify")
    assert result.exit_code == 1
    line = next(ln for ln in result.stdout.splitlines() if "state does not match" in ln)
    assert line.startswith("themes/2026/HL-T26-01.yaml:") and int(line.split(":")[1]) == good.splitlines().index("  status: active") + 1
    assert "themes/2026/HL-T26-01.yaml:1: warning: changed outside jiesu by 1 commit(s)" in result.stdout
    run.fails("theme", "note", T, "x", match="state does not match the events")
    path.write_text(good.replace("lead: housing", "lead: [housing"), "utf-8")
    result = run.raw("verify")
    assert result.exit_code == 1 and any(ln.startswith("themes/2026/HL-T26-01.yaml:") for ln in result.stdout.splitlines())
    path.write_text(good, "utf-8")


def test_two_clones_add_tasks_and_sync_without_conflict(tmp_path, store, run, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", NOW)
    bare = tmp_path / "shared.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(store.root, "remote", "add", "origin", str(bare))
    run("theme", "new", "--title", "Lifts", "--year", "2026", "--lead", "housing", "--scope", "category=property.elevator")
    run("sync")
    out = CliRunner().invoke(cli, ["init", str(tmp_path / "xc"), "--clone", str(bare), "--office", "XC"])
    assert out.exit_code == 0, out.output
    xc = Cli(Store(tmp_path / "xc"))
    first = run("theme", "task", "add", "HL-T26-01", "--text", "Inspect", "--due", "2026-06-30").stdout.split()[2]
    second = xc("theme", "task", "add", "HL-T26-01", "--text", "Repair", "--owner", A, "--due", "2026-07-31").stdout.split()[2]
    xc("theme", "task", "done", "HL-T26-01", second, "--evidence", "12 lifts repaired")
    xc("sync")
    run("sync")
    xc("sync")
    for clone in (run, xc):
        theme = yamlio.load((clone.store.root / "themes/2026/HL-T26-01.yaml").read_text("utf-8"))
        assert {t["id"]: t["status"] for t in theme["state"]["tasks"]} == {first: "open", second: "done"}
        clone.assert_clean()
    assert git(run.store.root, "rev-parse", "HEAD") == git(xc.store.root, "rev-parse", "HEAD")


def test_merge_driver_supersedes_a_second_completion(tmp_path):
    from jiesu.merge_driver import kind_for, merge_files
    from jiesu.themes import record

    def theme(*events):
        body = {"id": T, "schema": 1, "title": "Lifts", "year": 2026, "lead": "housing", "scope": {"tag": ["enterprise"]},
                "events": list(events)}
        body["state"] = record.state_block(body)
        return yamlio.rt_dump(body)

    new = {"id": "aaaaa1", "at": "2026-03-01T09:00:00+08:00", "by": "a", "action": "new"}
    add = {"id": "aaaaa2", "at": "2026-03-01T10:00:00+08:00", "by": "a", "action": "add", "list": "task", "text": "x", "owner": "housing", "due": "2026-04-01"}
    ours = {"id": "bbbbb1", "at": "2026-03-02T09:00:00+08:00", "by": "a", "action": "done", "item": "aaaaa2", "evidence": "ours"}
    theirs = {"id": "ccccc1", "at": "2026-03-03T09:00:00+08:00", "by": "b", "action": "drop-item", "item": "aaaaa2", "reason": "theirs"}
    paths = {}
    for name, text in (("base", theme(new, add)), ("ours", theme(new, add, ours)), ("theirs", theme(new, add, theirs))):
        paths[name] = tmp_path / name
        paths[name].write_text(text, "utf-8")
    clean, _ = merge_files(str(paths["base"]), str(paths["ours"]), str(paths["theirs"]), kind=kind_for("themes/2026/HL-T26-01.yaml"))
    merged = yamlio.load(paths["ours"].read_text("utf-8"))
    assert clean and [e.get("superseded", False) for e in merged["events"]] == [False, False, False, True]
    assert merged["state"]["tasks"][0]["status"] == "done"


def test_every_theme_command_has_help_with_an_example(run):
    from jiesu.cli.themes import theme

    def walk(group, path):
        for name, cmd in group.commands.items():
            yield [*path, name], cmd
            if hasattr(cmd, "commands"):
                yield from walk(cmd, [*path, name])

    seen = []
    for path, _ in walk(theme, ["theme"]):
        out = run(*path, "--help", check=False).stdout
        assert "Example" in out and "jiesu theme" in out, f"{' '.join(path)} help has no example"
        seen.append(" ".join(path))
    assert "theme task done" in seen and "theme duty drop" in seen and len(seen) == 22
