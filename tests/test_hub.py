"""A hub: many member stores read as one, never written; refreshed incrementally; all or nothing."""

from __future__ import annotations

import subprocess

import pytest
from conftest import ETERNAL, GARBAGE, Cli, git, new_case

from jiesu import ops
from jiesu.hub.compose import init_hub, refresh
from jiesu.store import Store


def member(tmp_path, name, office) -> Cli:
    return Cli(ops.init_store(tmp_path / name, office=office, name=f"{name} office", actor="admin"))


def refs(root) -> str:
    return git(root, "for-each-ref") + git(root, "rev-parse", "HEAD")


@pytest.fixture
def city(tmp_path):
    a, b = member(tmp_path, "dongcheng", "DC"), member(tmp_path, "xicheng", "XC")
    first = new_case(a, title="Rubbish in Dongcheng")
    a("assign", first)
    new_case(b, title="Noise in Xicheng")
    return a, b, first


def test_hub_reads_every_member_and_names_each_case_s_member(city, tmp_path):
    a, b, first = city
    before = (refs(a.store.root), refs(b.store.root))
    hub_store, summary = init_hub(tmp_path / "hub", [f"dongcheng={a.store.root}", f"xicheng={b.store.root}"])
    assert {n: i["cases_changed"] for n, i in summary["members"].items()} == {"dongcheng": 1, "xicheng": 1}
    hub = Cli(hub_store)
    rows = hub.json("list")
    assert {(r["id"], r["member"]) for r in rows} == {(first, "dongcheng"), ("XC-2111-0001", "xicheng")}
    shown = hub("show", "XC-2111-0001", check=False).stdout
    assert shown.splitlines()[0] == "member: xicheng" and "Noise in Xicheng" in shown
    assert hub.json("show", first)["member"] == "dongcheng"
    assert "dongcheng" in hub("list", check=False).stdout
    # nothing was written to the members: same refs, same HEAD, clean work trees
    assert (refs(a.store.root), refs(b.store.root)) == before
    assert git(a.store.root, "status", "--porcelain") == git(b.store.root, "status", "--porcelain") == ""
    assert git(hub_store.root, "status", "--porcelain") == ""
    # the hub keeps each member's commit in its own ref namespace
    assert git(hub_store.root, "rev-parse", "refs/hub/dongcheng/head").strip() == git(a.store.root, "rev-parse", "HEAD").strip()


def test_refresh_brings_only_what_changed(city, tmp_path):
    a, b, first = city
    hub_store, _ = init_hub(tmp_path / "hub", [f"dongcheng={a.store.root}", f"xicheng={b.store.root}"])
    a("accept", first, "--unit", ETERNAL)
    second = new_case(a, title="Broken lamp")
    summary = refresh(Store(hub_store.root))
    assert {n: i["cases_changed"] for n, i in summary["members"].items()} == {"dongcheng": 2, "xicheng": 0}
    hub = Cli(Store(hub_store.root))
    assert {r["id"]: r["status"] for r in hub.json("list")} == {first: "accepted", second: "received", "XC-2111-0001": "received"}
    again = refresh(Store(hub_store.root))
    assert not again["changed"] and {i["cases_changed"] for i in again["members"].values()} == {0}
    assert git(hub_store.root, "status", "--porcelain") == ""


def test_writes_in_a_hub_are_refused_naming_the_member(city, tmp_path):
    a, b, first = city
    hub_store, _ = init_hub(tmp_path / "hub", [f"dongcheng={a.store.root}", f"xicheng={b.store.root}"])
    hub = Cli(hub_store)
    result = hub.fails("note", first, "hello", match="belongs to member dongcheng")
    assert str(a.store.root) in result.stderr
    hub.fails("intake", "--type", "complaint", "--category", GARBAGE, "--title", "x", "--street", ETERNAL,
              match="write in a member store: dongcheng")


def test_a_member_that_does_not_answer_leaves_nothing(city, tmp_path):
    a, b, _ = city
    target = tmp_path / "hub"
    with pytest.raises(Exception, match="member ghost: cannot fetch"):
        init_hub(target, [f"dongcheng={a.store.root}", f"ghost={tmp_path / 'nowhere'}"])
    assert not target.exists()
    hub_store, _ = init_hub(target, [f"dongcheng={a.store.root}", f"xicheng={b.store.root}"])
    head = git(target, "rev-parse", "HEAD")
    new_case(a, title="Fetched, then thrown away")
    fresh = git(a.store.root, "rev-parse", "HEAD").strip()
    subprocess.run(["mv", str(b.store.root), str(tmp_path / "moved")], check=True)
    hub = Cli(Store(target))
    hub.fails("hub", "refresh", match="member xicheng: cannot fetch")
    assert git(target, "rev-parse", "HEAD") == head
    assert "hub-incoming" not in git(target, "for-each-ref")
    # member dongcheng's new commit was fetched before xicheng failed: it is gone again
    assert subprocess.run(["git", "cat-file", "-e", fresh], cwd=target, capture_output=True).returncode != 0


def test_a_conflicting_catalog_is_reported_member_by_member(city, tmp_path):
    a, b, _ = city
    units = b.store.root / "catalog" / "units.yaml"
    units.write_text(units.read_text("utf-8") + "- id: extra-district\n  kind: district\n  parent: centre\n"
                     "  name: {en: Extra District, zh: 额外区}\n", "utf-8")
    git(b.store.root, "commit", "-qam", "an extra district")
    result = Cli(a.store).runner.invoke(__import__("jiesu.cli", fromlist=["cli"]).cli,
                                        ["hub", "init", str(tmp_path / "hub"), "--member", f"dongcheng={a.store.root}",
                                         "--member", f"xicheng={b.store.root}"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: members disagree, nothing was changed: member xicheng: catalog disagrees "
                                    "with member dongcheng's: units only here: extra-district (1)")
    assert not (tmp_path / "hub").exists()


def test_one_office_in_two_members_is_refused(tmp_path):
    a, b = member(tmp_path, "one", "HL"), member(tmp_path, "two", "HL")
    new_case(a)
    new_case(b)
    with pytest.raises(Exception, match="members one and two both hold cases of office HL"):
        init_hub(tmp_path / "hub", [f"one={a.store.root}", f"two={b.store.root}"])
    assert not (tmp_path / "hub").exists()


def test_member_options_are_checked(tmp_path):
    for specs, match in (([], "at least one"), (["nourl"], "NAME=URL"), (["Bad Name=/x"], "lowercase"),
                         (["a=/x", "a=/y"], "given twice")):
        with pytest.raises(Exception, match=match):
            init_hub(tmp_path / "hub", specs)
        assert not (tmp_path / "hub").exists()


def test_a_member_with_an_unreadable_catalog_is_named(city, tmp_path):
    a, b, _ = city
    (b.store.root / "catalog" / "units.yaml").write_text("units: [unclosed\n", "utf-8")
    git(b.store.root, "commit", "-qam", "broken catalog")
    with pytest.raises(Exception, match="member xicheng: catalog/units.yaml is not readable YAML"):
        init_hub(tmp_path / "hub", [f"dongcheng={a.store.root}", f"xicheng={b.store.root}"])
    assert not (tmp_path / "hub").exists()
