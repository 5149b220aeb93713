"""The default catalog's content, and validation that reports every problem as file:line."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import REPO

from jiesu.catalog import load_catalog
from jiesu.errors import CatalogError


@pytest.fixture(scope="module")
def default():
    return load_catalog(REPO / "catalog")


def test_default_catalog_content(default):
    levels = [c.level for c in default.categories.values()]
    assert levels.count(1) >= 15
    leaves = [c for c in default.categories.values() if c.is_leaf]
    assert len(leaves) >= 80 and all(c.level == 3 for c in leaves)
    assert all(c.time_limit and c.dispatch and c.regulations and c.name["zh"] for c in leaves)
    kinds = [u.kind for u in default.units.values()]
    assert kinds.count("centre") == 1 and kinds.count("district") >= 3
    assert sum(k in ("street", "town", "township") for k in kinds) >= 30
    assert kinds.count("department") >= 8
    assert all(u.population for u in default.units.values() if u.is_local)
    assert default.units["dragon-gate/eternal-town"].name == {"en": "Eternal Town", "zh": "永安镇"}
    assert "hege-village" in default.units["dragon-gate/eternal-town"].communities
    for tag in ("seven-guarantees-five-qualities", "epidemic", "emergency", "instability", "prioritize",
                "representative", "valuable-information"):
        assert tag in default.tags
    assert default.tags["epidemic"].scheme == "epidemic"
    assert default.assessment.schemes["daily"].weights == {"response": 0.2, "resolution": 0.4, "satisfaction": 0.4}
    assert default.assessment.schemes["epidemic"].weights == {"response": 0.4, "resolution": 0.4, "satisfaction": 0.2}
    assert [c.code for c in default.classes.values()] == ["urgent", "utility", "standard", "complex", "none"]
    none = default.classes["none"]  # no due time at all (imports whose source set none)
    assert (none.limit, none.accept_within, none.contact_within, none.extendable_to) == (None, None, None, None)
    assert str(default.classes["complex"].extendable_to) == "30 days, 0:00:00"


def test_category_search_finds_by_english_and_chinese(default):
    assert "env.garbage.unregulated-collection" in [c.code for c in default.search_categories("garbage dumping")]
    assert "env.garbage.unregulated-collection" in [c.code for c in default.search_categories("乱倒")]


def test_class_selection_order(default):
    cf = default.class_for
    assert cf(explicit="complex", tags=["emergency"], case_type="emergency", category=None) == ("complex", "explicit")
    assert cf(explicit=None, tags=["livability", "emergency"], case_type="complaint", category=None) == ("urgent", "tag:emergency")
    assert cf(explicit=None, tags=[], case_type="emergency", category="env.garbage.unregulated-collection") == ("urgent", "type:emergency")
    assert cf(explicit=None, tags=[], case_type="complaint", category="property.owners-committee.disputes") == (
        "complex", "category:property.owners-committee.disputes")
    assert cf(explicit=None, tags=[], case_type="complaint", category=None) == ("standard", "default")


def broken(tmp_path, file, old, new):
    folder = tmp_path / "catalog"
    shutil.copytree(REPO / "catalog", folder)
    path = folder / f"{file}.yaml"
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    return info.value.problems


def line_of(tmp_path, file, needle):
    for number, line in enumerate((tmp_path / "catalog" / f"{file}.yaml").read_text("utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_unknown_parent(tmp_path):
    problems = broken(tmp_path, "units", "  parent: dragon-gate\n  name: {en: Eternal Town", "  parent: dragon-gates\n  name: {en: Eternal Town")
    line = line_of(tmp_path, "units", "parent: dragon-gates")
    assert f"catalog/units.yaml:{line}: dragon-gate/eternal-town: parent 'dragon-gates' is not a unit" in problems


def test_duplicate_code(tmp_path):
    problems = broken(tmp_path, "tags", "- code: livability", "- code: epidemic")
    assert any("duplicate code 'epidemic' (first on line" in p and p.startswith("catalog/tags.yaml:") for p in problems)


def test_leaf_without_time_limit(tmp_path):
    problems = broken(tmp_path, "categories", "  name: {en: Unregulated garbage dumping, zh: 垃圾乱堆乱倒}\n  time_limit: standard\n",
                      "  name: {en: Unregulated garbage dumping, zh: 垃圾乱堆乱倒}\n")
    assert any(p.endswith("env.garbage.unregulated-collection: leaf category has no time_limit") for p in problems)


def test_dispatch_to_missing_unit_and_tag_to_missing_scheme(tmp_path):
    folder = tmp_path / "catalog"
    shutil.copytree(REPO / "catalog", folder)
    cats = folder / "categories.yaml"
    cats.write_text(cats.read_text("utf-8").replace("dispatch: {lead: street, co: [housing]}", "dispatch: {lead: street, co: [ministry-of-magic]}", 1), "utf-8")
    tags = folder / "tags.yaml"
    tags.write_text(tags.read_text("utf-8").replace("scheme: epidemic", "scheme: pandemic", 1), "utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    text = "\n".join(info.value.problems)
    assert "dispatch names unknown unit 'ministry-of-magic'" in text
    assert "epidemic: scheme 'pandemic' is not in assessment.yaml" in text
    assert all(p.split(":")[1].isdigit() for p in info.value.problems)


def test_bad_weights_and_yaml_syntax(tmp_path):
    problems = broken(tmp_path, "assessment", "weights: {response: 0.2, resolution: 0.4, satisfaction: 0.4}",
                      "weights: {response: 0.3, resolution: 0.4, satisfaction: 0.4, charm: 0.1}")
    assert any("daily: unknown indicator 'charm'" in p for p in problems)
    assert any("daily: weights sum to 1.1, not 1" in p for p in problems)
    problems = broken(tmp_path / "x", "types", "types:\n", "types:\n  - [\n")
    assert problems[0].startswith("catalog/types.yaml:")


def test_broken_catalog_refuses_writes(run, store):
    path = store.root / "catalog" / "units.yaml"
    path.write_text(path.read_text("utf-8").replace("parent: dragon-gate\n", "parent: nowhere\n", 1), "utf-8")
    __import__("conftest").git(store.root, "commit", "-qam", "break the catalog")
    result = run.fails("intake", "--type", "complaint", "--title", "x")
    assert "catalog: catalog/units.yaml:" in result.stderr and "parent 'nowhere' is not a unit" in result.stderr
    out = run.raw("verify")
    assert out.exit_code == 1 and "catalog/units.yaml:" in out.stdout


def test_catalog_command_json_keys(run):
    units = json.loads(run("catalog", "units", "--format", "json", check=False).stdout)
    assert {"id", "kind", "parent", "name", "population"} <= set(units[0])
    eternal = next(u for u in units if u["id"] == "dragon-gate/eternal-town")
    assert eternal["kind"] == "town" and eternal["parent"] == "dragon-gate" and eternal["name"]["zh"] == "永安镇"
    cats = json.loads(run("catalog", "categories", "--search", "garbage", "--format", "json", check=False).stdout)
    first = next(c for c in cats if c["code"] == "env.garbage.unregulated-collection")
    assert {"code", "level", "parent", "name", "time_limit", "dispatch"} <= set(first)
    assert first["level"] == 3 and first["parent"] == "env.garbage" and first["dispatch"]["lead"] == "street"
    table = run("catalog", "limits", check=False).stdout
    assert "complex" in table and "30d" in table
