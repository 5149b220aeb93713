"""Beijing's real units: the catalog built from the NBS 2023 codes, dispatch to every unit, and a
ranking and monthly report across 343 streets and towns."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from conftest import GARBAGE, REPO, SHARED, Cli, git

from jiesu import ops, timeutil
from jiesu.ops.common import commit_batch
from jiesu.store import Store

SOURCE = SHARED / "data" / "beijing_divisions"
UNITS = REPO / "catalog" / "beijing" / "units.yaml"
# per district, from the source's SOURCE.md, less the development zones (大兴 4, 怀柔 1, 密云 1)
PER_DISTRICT = {"东城区": 17, "西城区": 15, "朝阳区": 43, "丰台区": 26, "石景山区": 9, "海淀区": 29, "门头沟区": 13,
                "房山区": 28, "通州区": 22, "顺义区": 25, "昌平区": 22, "大兴区": 22, "怀柔区": 16, "平谷区": 18,
                "密云区": 20, "延庆区": 18}


def source_rows(name):
    with (SOURCE / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def beijing(tmp_path_factory) -> Store:
    return ops.init_store(tmp_path_factory.mktemp("bj") / "store", office="BJ", catalog="beijing", actor="admin")


def test_the_catalog_file_is_what_the_script_builds_from_the_source(tmp_path):
    pytest.importorskip("pypinyin")
    out = tmp_path / "units.yaml"
    proc = subprocess.run([sys.executable, str(REPO / "catalog" / "beijing" / "build_units.py"), str(SOURCE), str(out)],
                          capture_output=True, text=True, check=True)
    assert "16 districts, 343 streets/towns/townships" in proc.stdout
    assert out.read_text("utf-8") == UNITS.read_text("utf-8")


def test_header_names_the_source_and_its_licence():
    head = UNITS.read_text("utf-8")[:1200]
    assert "National Bureau of Statistics" in head and "2023" in head
    assert "WTFPL" in head and "modood/Administrative-divisions-of-China" in head


def test_init_beijing_has_16_districts_and_343_real_township_units(beijing):
    cat = beijing.catalog
    districts = {u.id: u for u in cat.units.values() if u.kind == "district"}
    local = [u for u in cat.units.values() if u.is_local]
    assert len(districts) == 16 and len(local) == 343
    assert cat.units["dongcheng"].name == {"en": "Dongcheng District", "zh": "东城区"}
    assert cat.units["dongcheng"].code == "110101"
    assert cat.units["dongcheng/donghuamen"].name == {"en": "Donghuamen Street", "zh": "东华门街道"}
    assert cat.units["dongcheng/donghuamen"].code == "110101001"
    assert cat.units["chaoyang/sanlitun"].parent == "chaoyang"
    assert cat.units["tongzhou/yujiawu"].kind == "township"
    # every published row but the six development zones is a unit, with its code, Chinese name and district
    by_code = {u.code: u for u in local}
    kept = [r for r in source_rows("beijing_townships.csv") if r["kind"] != "类似乡级单位"]
    assert len(kept) == 343
    for row in kept:
        unit = by_code[row["code"]]
        assert unit.name["zh"] == row["name"]
        assert cat.units[unit.parent].name["zh"] == row["areaName"]
        assert unit.id.startswith(unit.parent + "/")
    assert not any(r["code"] in by_code for r in source_rows("beijing_townships.csv") if r["kind"] == "类似乡级单位")
    counts = {}
    for u in local:
        counts[districts[u.parent].name["zh"]] = counts.get(districts[u.parent].name["zh"], 0) + 1
    assert counts == PER_DISTRICT
    # categories, tags and the rest are the default catalog's
    for name in ("categories", "tags", "assessment", "time-limits", "calendar", "types"):
        assert (beijing.root / "catalog" / f"{name}.yaml").read_bytes() == (REPO / "catalog" / f"{name}.yaml").read_bytes()


def test_every_dispatch_rule_works_for_every_unit(beijing):
    cat = beijing.catalog
    leaves = [c.code for c in cat.categories.values() if c.is_leaf]
    for street in (u for u in cat.units.values() if u.is_local):
        for code in leaves:
            lead, co = cat.dispatch(code, {"street": street.id, "district": street.parent})
            assert lead in cat.units and all(u in cat.units for u in co)
            rule = cat.categories[code].dispatch or {}
            if rule.get("lead", "street") == "street":
                assert lead == street.id


def test_a_case_in_a_beijing_street_is_dispatched_there(tmp_path):
    store = ops.init_store(tmp_path / "bj", office="BJ", catalog="beijing", actor="admin")
    run = Cli(store)
    case_id = run("intake", "--type", "complaint", "--category", GARBAGE, "--title", "Rubbish in the hutong",
                  "--street", "xicheng/shichahai").stdout.strip()
    run("assign", case_id)
    assert run.json("show", case_id)["state"]["lead"] == "xicheng/shichahai"
    rows = run.json("catalog", "units")
    assert sum(1 for r in rows if r["kind"] in ("street", "town", "township")) == 343


def test_init_refuses_an_unknown_catalog(tmp_path):
    from click.testing import CliRunner

    from jiesu.cli import cli

    result = CliRunner().invoke(cli, ["init", str(tmp_path / "x"), "--catalog", "shanghai"])
    assert result.exit_code == 2 and not (tmp_path / "x").exists()
    with pytest.raises(Exception, match="--catalog"):
        ops.init_store(tmp_path / "y", catalog="shanghai")
    assert not (tmp_path / "y").exists()


def dissatisfied_cases(store: Store, k: int) -> int:
    """How many of unit k's five October cases end very dissatisfied (the rest very satisfied)."""
    return k % 4


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Store:
    """A Beijing store where each of the 343 streets and towns has five October cases, all handled on
    time and resolved; unit k's callers are very dissatisfied in k % 4 of them."""
    store = ops.init_store(tmp_path_factory.mktemp("city") / "store", office="BJ", catalog="beijing", actor="admin")
    streets = sorted(u.id for u in store.catalog.units.values() if u.is_local)
    day0 = timeutil.local(datetime(2021, 10, 4).date(), datetime.min.time(), store.tz)
    with store.transaction("seed", batch=True) as tx:
        for k, street in enumerate(streets):
            actor = street.split("/")[-1]
            for n in range(5):
                t0 = day0 + timedelta(days=n * 3, hours=9, minutes=k % 60)
                record = {"at": timeutil.fmt(t0), "type": "complaint", "category": GARBAGE, "title": f"Rubbish {n}",
                          "street": street, "channel": "hotline"}
                case_id = ops.intake(store, [record], "op-1", tx=tx)[0].case_id
                step = [timeutil.fmt(t0 + timedelta(minutes=m)) for m in (5, 20, 60, 600, 1500)]
                ops.assign(store, case_id, "dispatch-1", at=step[0], tx=tx)
                ops.accept(store, case_id, actor, at=step[1], tx=tx)
                ops.contact(store, case_id, actor, note="called", at=step[2], tx=tx)
                ops.close(store, case_id, actor, resolved=True, summary="Cleared", at=step[3], tx=tx)
                level = "very-dissatisfied" if n < dissatisfied_cases(store, k) else "very-satisfied"
                ops.evaluate(store, case_id, "callback-1", reached=True, contacted=True, resolved=True,
                             satisfaction=level, reason="Slow" if level == "very-dissatisfied" else None, at=step[4], tx=tx)
        commit_batch(store, tx, "seed", "seed: October in every street and town", at=day0 + timedelta(days=20))
    return store


@pytest.mark.slow
def test_rank_ranks_all_343_units_with_scores_computed_by_hand(city):
    rows = Cli(city).json("rank", "--month", "2021-10")
    rows = rows["ranked"]
    ranked = {r["unit"]: r for r in rows if r.get("rank") is not None}
    assert len(ranked) == 343
    streets = sorted(ranked)
    for k, unit in enumerate(streets):
        # response 1, resolved 1, satisfaction (5 - d)/5: 100·(0.2 + 0.4 + 0.4·(5 - d)/5) = 100 − 8d
        assert ranked[unit]["score"] == pytest.approx(100 - 8 * (k % 4))
    # equal scores share a rank: 86 units at 100, then 86 at 92 (rank 87), 86 at 84 (rank 173), 85 at 76
    assert {ranked[u]["rank"] for k, u in enumerate(streets) if k % 4 == 1} == {87}
    assert {ranked[u]["rank"] for k, u in enumerate(streets) if k % 4 == 3} == {259}


@pytest.mark.slow
def test_monthly_report_at_city_size_has_top_bottom_and_district_table(city):
    out = Cli(city)("report", "monthly", "--month", "2021-10", "--format", "md", check=False).stdout
    lines = out.splitlines()
    best = next(i for i, ln in enumerate(lines) if ln.startswith("## Best"))
    worst = next(i for i, ln in enumerate(lines) if ln.startswith("## Worst"))
    # ties at the edges are named together: 86 units share rank 1, 85 share the last rank (259)
    assert sum(ln.startswith("| 1 |") for ln in lines[best:worst]) == 86
    assert sum(ln.startswith("| 259 |") for ln in lines[worst:worst + 100]) == 85
    # a name two streets share carries its district: 八里庄街道 is in Chaoyang and in Haidian
    assert "| Balizhuang Street (Chaoyang District) |" in out and "| Balizhuang Street (Haidian District) |" in out
    # the statistically tied group of hundreds is cut to its first 20 names and a count
    ties = next(ln for ln in lines if ln.startswith("- ") and "(+" in ln)
    assert ties.count(", ") == 19
    district_head = next(i for i, ln in enumerate(lines) if ln.startswith("## Districts"))
    section = next((i for i in range(district_head + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    table = [ln for ln in lines[district_head + 1:section] if ln.startswith("|")]
    # header, rule and one row per district, each named in full
    assert len(table) == 2 + 16
    assert all(any(f"{name}" in ln for ln in table) for name in ("Dongcheng District", "Yanqing District"))
    # every ranked street appears once in the full ranking
    ranking = out.split("## ")[2]
    assert ranking.count("| Donghuamen Street |") == 1 and sum(ln.startswith("| ") for ln in ranking.splitlines()) >= 343
    assert git(city.root, "status", "--porcelain") == ""
