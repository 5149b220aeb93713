"""Catalog values typed by Chinese or English name as well as by id (DESIGN §10)."""

from __future__ import annotations

import yaml
from conftest import ETERNAL, GARBAGE


def case_file(store, case_id):
    return yaml.safe_load(next((store.root / "cases").rglob(f"{case_id}.yaml")).read_text(encoding="utf-8"))


def test_intake_by_chinese_names(run):
    out = run("intake", "--type", "投诉", "--street", "永安镇", "--title", "门口垃圾", "--category", "垃圾乱堆乱倒",
              "--channel", "12345热线", "--kind", "企业", "--time-limit", "疑难复杂",
              "--tag", "宜居").stdout.strip()
    case = case_file(run.store, out)
    assert case["type"] == "complaint"
    assert case["category"] == GARBAGE
    assert case["location"] == {"district": "dragon-gate", "street": ETERNAL}
    assert case["complainant"]["kind"] == "enterprise"
    assert case["time_limit"] == "complex"
    assert case["tags"] == ["livability"]


def test_intake_by_english_names_any_case(run):
    out = run("intake", "--type", "COMPLAINT", "--street", "eternal town", "--district", "Dragon Gate District",
              "--title", "Rubbish", "--category", GARBAGE, "--kind", "Anonymous").stdout.strip()
    case = case_file(run.store, out)
    assert case["location"]["street"] == ETERNAL
    assert case["complainant"]["kind"] == "anonymous"


def test_ambiguous_name_lists_candidates(run):
    result = run.fails("intake", "--type", "complaint", "--title", "x", "--category", "突发事件")
    line = result.stderr.splitlines()[0]
    assert "is ambiguous" in line
    assert "emergency (突发事件 / Emergencies)" in line
    assert line.count("突发事件 /") == 2


def test_unknown_name_names_what_is_allowed(run):
    run.fails("intake", "--type", "抱怨", "--title", "x", match="--type: unknown value '抱怨'; allowed: consultation, complaint")


def test_status_and_units_by_name_in_list_and_evaluate(run):
    case_id = run("intake", "--type", "投诉", "--street", "永安镇", "--title", "垃圾", "--category", GARBAGE).stdout.strip()
    run("assign", case_id, "永安镇")
    rows = run.json("list", "--status", "已派单", "--district", "龙门区")
    assert [r["id"] for r in rows] == [case_id]
    assert run.json("list", "--status", "Received") == []
    run("accept", case_id, "--unit", "Eternal Town")
    run("close", case_id, "--resolved", "--summary", "清理完毕")
    run("evaluate", case_id, "--reached", "--contacted", "--resolved", "--satisfaction", "非常满意")
    assert case_file(run.store, case_id)["events"][-1]["satisfaction"] == "very-satisfied"


def test_misspelt_status_is_a_usage_mistake(run):
    result = run.raw("list", "--status", "dispached")
    assert result.exit_code == 2
    assert "--status" in result.stderr and "dispatched" in result.stderr


def test_unknown_command_suggests_the_nearest(run):
    result = run.raw("lsit")
    assert result.exit_code == 2
    assert "no such command 'lsit'; did you mean list" in result.stderr


def test_export_out_is_silent_unless_verbose(run, tmp_path):
    run("intake", "--type", "投诉", "--street", "永安镇", "--title", "垃圾", "--category", GARBAGE)
    quiet = run("export", "--out", str(tmp_path / "a.csv"), check=False)
    assert (quiet.stdout, quiet.stderr) == ("", "")
    loud = run("export", "--out", str(tmp_path / "b.csv"), "-v", check=False)
    assert loud.stdout == "" and loud.stderr == f"wrote {tmp_path / 'b.csv'} (1 case(s))\n"
    assert (tmp_path / "a.csv").read_text(encoding="utf-8").count("\n") == 2


def test_units_by_name_are_kept_as_ids_in_themes_and_reports(run):
    theme = run("theme", "new", "--title", "门口垃圾", "--year", "2021", "--month", "11", "--lead", "永安镇",
                "--co", "Dragon Gate District", "--scope", "category=env.garbage").stdout.strip()
    doc = yaml.safe_load(next((run.store.root / "themes").rglob(f"{theme}.yaml")).read_text(encoding="utf-8"))
    assert (doc["lead"], doc["co_units"]) == ("dragon-gate/eternal-town", ["dragon-gate"])
    run("intake", "--type", "投诉", "--street", "永安镇", "--title", "垃圾", "--category", GARBAGE)
    sheet = run("report", "unit", "--unit", "永安镇", "--format", "json", check=False).stdout
    assert '"dragon-gate/eternal-town"' in sheet
