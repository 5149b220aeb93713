"""The repository's top level is a valid example store, and `make example` rebuilds it."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

from jiesu.store import Store, yamlio


def strip_ids(case: dict) -> dict:
    return dict(case, events=[{k: v for k, v in e.items() if k != "id"} for e in case["events"]])


def test_verify_passes_at_the_top_of_the_repository(monkeypatch):
    monkeypatch.chdir(REPO)
    result = subprocess.run([sys.executable, "-m", "jiesu", "verify"], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "JIESU_NOW": "2021-11-30T18:00:00"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout.lower()


def test_example_cases_show_each_situation():
    store = Store(REPO)
    cases = {cid: store.load_case(cid) for cid in ("HL-2111-0069", "HL-2111-0070", "HL-2111-0071", "HL-2111-0072", "HL-2111-0073")}
    seed = cases["HL-2111-0069"]
    assert seed["title"] == "Rubbish dumping at the wood factory gate"
    assert [e["action"] for e in seed["events"]] == ["intake", "assign", "accept", "contact", "close", "evaluate"]
    assert seed["state"]["evaluation"] == {"reached": True, "contacted": True, "resolved": True, "satisfaction": "very-satisfied"}
    assert seed["complainant"]["ref"].startswith("P-")
    assert [e["action"] for e in cases["HL-2111-0070"]["events"]][:2] == ["intake", "close"]
    assert "return" in [e["action"] for e in cases["HL-2111-0071"]["events"]]
    assert cases["HL-2111-0071"]["state"]["lead"] == "dragon-gate/dragon-spring"
    assert "extend" in [e["action"] for e in cases["HL-2111-0072"]["events"]]
    assert cases["HL-2111-0072"]["time_limit"] == "complex"
    assert cases["HL-2111-0073"]["state"]["status"] == "rejected"


def test_rebuilding_the_example_gives_the_same_cases(tmp_path):
    sys.path.insert(0, str(REPO / "tests"))
    from make_example import build

    ids = build(tmp_path / "cases")
    assert ids == ["HL-2111-0069", "HL-2111-0070", "HL-2111-0071", "HL-2111-0072", "HL-2111-0073"]
    for case_id in ids:
        fresh = yamlio.load((tmp_path / "cases/2021/11" / f"{case_id}.yaml").read_text("utf-8"))
        committed = yamlio.load((REPO / "cases/2021/11" / f"{case_id}.yaml").read_text("utf-8"))
        assert strip_ids(fresh) == strip_ids(committed), case_id


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "jiesu", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("jiesu, version ")


def test_wheel_carries_the_defaults(tmp_path):
    """The installed package ships catalog/, reports/ and cases/ (symlinks in the source tree)."""
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    import zipfile

    wheel = next(tmp_path.glob("jiesu-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("units.yaml", "categories.yaml", "time-limits.yaml", "calendar.yaml", "tags.yaml", "types.yaml", "assessment.yaml"):
        assert f"jiesu/data/catalog/{name}" in names
    assert "jiesu/data/cases/2021/11/HL-2111-0069.yaml" in names
