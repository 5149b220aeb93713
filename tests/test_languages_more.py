"""The last English words in a Chinese store: sync's notes and the merge driver, the hub's
refresh, the codes in `stats`, `hotspots` and `rank --explain` tables, the report group rows,
and "none"-like fallbacks inside Chinese sentences. JSON stays the same in both languages."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import Cli, git
from test_hub import city  # noqa: F401 — two member stores (a fixture)
from test_languages import demo, invoke  # noqa: F401 — the demo store (a fixture)
from test_sync import bare, hl, intake, office  # noqa: F401 — the shared remote and the first office

from jiesu.cli import cli
from jiesu.store import Store

ZH = {"JIESU_LANG": "zh"}
FAST = {"JIESU_NOW": "2021-12-10T12:00:00"}  # 30 days ahead of conftest's NOW


@pytest.mark.slow
def test_sync_notes_in_chinese_and_the_fast_clock_counted_in_any_language(tmp_path, hl, bare):  # noqa: F811
    case_id = intake(hl, "Lamp out")
    hl("sync")
    xc = office(tmp_path, bare, "XC")
    xc("--as", "xc-clerk", "note", case_id, "Called back", env=FAST)
    xc("sync", env=FAST)
    synced = hl("sync", env=ZH)
    assert "比它到达这里的时间还晚 30 天 0 小时" in synced.stderr and "办公室 XC" in synced.stderr
    assert "ahead of the time it arrived" not in synced.stderr and "merged" not in synced.stdout
    assert "从 origin/main" in synced.stdout or "origin/main" in synced.stdout


@pytest.mark.slow
def test_one_id_given_twice_is_found_in_chinese_too(tmp_path, hl, bare):  # noqa: F811
    """The collision is read from the files, not from the merge driver's (now Chinese) words."""
    twin = office(tmp_path, bare, None)
    intake(hl, "Rubbish at the gate")
    intake(twin, "Dog barking", "dragon-gate/dragon-spring")
    twin("sync")
    before = git(hl.store.root, "rev-parse", "HEAD")
    refused = hl.raw("sync", env=ZH)
    assert refused.exit_code == 1
    first = refused.stderr.splitlines()[0]
    assert first == "错误：工单编号 HL-2111-0001 在本地和 origin 上分别给了两个不同的工单；未合并任何内容"
    assert "renumber" in refused.stderr and "id collision" not in refused.stderr
    assert git(hl.store.root, "rev-parse", "HEAD") == before and not (hl.store.root / ".git" / "MERGE_HEAD").exists()


def _merge_driver(root, base, ours, theirs, path, env):
    return subprocess.run([sys.executable, "-m", "jiesu", "merge-driver", str(base), str(ours), str(theirs), path],
                          cwd=root, capture_output=True, text=True, env=env)


def test_merge_driver_speaks_the_store_language(tmp_path):
    """git runs the driver in the store: it reads JIESU_LANG, else the store's lang (jiesu.yaml)."""
    out = CliRunner().invoke(cli, ["init", str(tmp_path / "zh"), "--office", "HL", "--lang", "zh"])
    assert out.exit_code == 0, out.output
    run = Cli(Store(tmp_path / "zh"))
    case_id = intake(run, "路灯不亮")
    rel = Store(tmp_path / "zh").case_relpath(case_id)
    text = (tmp_path / "zh" / rel).read_text("utf-8")
    base = tmp_path / "base.yaml"
    ours, theirs = tmp_path / "ours.yaml", tmp_path / "theirs.yaml"
    base.write_text("", "utf-8")
    ours.write_text(text, "utf-8")
    first = Store(tmp_path / "zh").load_case(case_id)["events"][0]["id"]
    assert f"{{id: {first}," in text
    theirs.write_text(text.replace(f"{{id: {first},", "{id: 000000,"), "utf-8")  # another intake under the same id
    env = {k: v for k, v in os.environ.items() if k not in ("JIESU_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    proc = _merge_driver(tmp_path / "zh", base, ours, theirs, rel, env)
    assert proc.returncode == 1
    assert f"jiesu merge-driver: {rel}: 编号冲突：两个不同的工单都用了编号 {case_id}；请给其中一个重新编号" in proc.stderr
    assert "id collision" not in proc.stderr and "注意：工单文件留待人工处理" in proc.stderr
    proc = _merge_driver(tmp_path / "zh", base, ours, theirs, rel, dict(env, JIESU_LANG="en"))
    assert f"{rel}: id collision: two different cases were both given id {case_id}" in proc.stderr


def test_stats_tables_name_types_channels_kinds_and_units_in_chinese(demo):  # noqa: F811
    for by, zh_word, code in (("type", "投诉", "complaint"), ("channel", "热线", "hotline"), ("street", "街道", "dragon-gate/")):
        zh = invoke(demo, "--lang", "zh", "stats", "--by", by)
        en = invoke(demo, "--lang", "en", "stats", "--by", by)
        assert zh.exit_code == en.exit_code == 0, zh.output
        assert zh_word in zh.stdout and code not in zh.stdout, (by, zh.stdout)
        assert code in en.stdout
        assert invoke(demo, "--lang", "zh", "stats", "--by", by, "--format", "json").stdout == \
            invoke(demo, "stats", "--by", by, "--format", "json").stdout
    zh = invoke(demo, "--lang", "zh", "stats", "--by", "kind", "--by", "district").stdout
    assert "individual" not in zh and "dragon-gate" not in zh and "区" in zh


def test_hotspot_keys_name_their_codes_in_chinese(demo):  # noqa: F811
    args = ("hotspots", "--all", "--as-of", "2021-11-10T12:00")
    zh = invoke(demo, "--lang", "zh", *args).stdout.splitlines()
    row = zh[3]
    key = invoke(demo, *args, "--format", "json")
    first = json.loads(key.stdout)[0]
    assert f"（{first['key']}）" in row  # the key to type back, after the names
    street = first["group"]["street"]
    assert Store(demo.root).catalog.units[street].name["zh"] in row
    assert invoke(demo, "--lang", "zh", *args, "--format", "json").stdout == key.stdout


def test_report_group_rows_use_chinese_punctuation(demo):  # noqa: F811
    from jiesu import reporting

    html = reporting.render(demo, "overdue", "html", "zh")
    assert '<tr class="group"><th colspan="7">主办单位：' in html and "主办单位: " not in html
    row = html.split('<tr class="group"><th colspan="7">', 1)[1].split("</th>", 1)[0]
    assert row.endswith("）") and "（" in row
    daily = reporting.render(demo, "daily", "html", "zh")
    assert "主办单位: " not in daily
    english = reporting.render(demo, "overdue", "html", "en")
    assert '<tr class="group"><th colspan="7">Lead unit: ' in english


def test_none_and_case_id_inside_chinese_sentences(run, store):
    case_id = intake(run, "路灯不亮")
    refused = invoke(store, "--lang", "zh", "amend", case_id, "--tag", "-epidemic", "--reason", "录错了")
    assert refused.exit_code == 1 and "现有标签：无" in refused.stderr, refused.stderr
    assert "none" not in refused.stderr
    refused = invoke(store, "--lang", "zh", "show", "NOPE")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("错误：工单编号 'NOPE'") and "case id" not in refused.stderr


def test_hub_refusals_and_notes_in_chinese(city, tmp_path):  # noqa: F811
    a, b, _first = city
    types = b.store.root / "catalog" / "types.yaml"
    types.write_text(types.read_text("utf-8") + "# xicheng's own remark\n", "utf-8")
    git(b.store.root, "commit", "-qam", "a remark in the catalog")
    members = ["--member", f"dongcheng={a.store.root}", "--member", f"xicheng={b.store.root}"]
    made = CliRunner().invoke(cli, ["hub", "init", str(tmp_path / "hub"), *members], env=ZH)
    assert made.exit_code == 0, made.output
    assert "注意：成员 xicheng 的目录与成员 dongcheng 的目录在单位编号之外还有差别；汇总库采用 dongcheng 的目录" in made.stderr
    assert "beyond unit ids" not in made.stderr
    units = b.store.root / "catalog" / "units.yaml"
    units.write_text(units.read_text("utf-8") + "- id: extra-district\n  kind: district\n  parent: centre\n"
                     "  name: {en: Extra District, zh: 额外区}\n", "utf-8")
    git(b.store.root, "commit", "-qam", "an extra district")
    refused = CliRunner().invoke(cli, ["--store", str(tmp_path / "hub"), "hub", "refresh"], env=ZH)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("错误：成员之间不一致，未做任何改动：成员 xicheng：目录与成员 dongcheng 的不一致："
                                     "只在此处的单位：extra-district（1 个）")
