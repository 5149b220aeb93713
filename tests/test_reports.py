"""Reports: golden files on a small hand-built store, numbers cross-checked with rank and overdue,
untrusted text escaped, documented contexts, overrides, atomic output, and a real browser."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, snapshot

from jiesu import ops
from jiesu.cli import cli
from jiesu.ops.common import commit_batch
from jiesu.reporting import contexts
from jiesu.store import Store

GOLDEN = Path(__file__).parent / "golden"
ARTIFACTS = Path(__file__).parent / "artifacts"
NOW = "2021-12-01T08:00:00"
HOSTILE = "<script>alert(1)</script> {{ 7*7 }} | pipe"
FORMULA = '=HYPERLINK("http://example.invalid","click")'


def case(store, tx, street, received, title="Rubbish at the gate", category="env.garbage.unregulated-collection",
         steps=(), **extra):
    rec = {"title": title, "type": extra.pop("type", "complaint"), "category": category, "street": street,
           "at": received.isoformat(), "surname": "Wang", "phone": "15123456789", **extra}
    case_id = ops.intake(store, [rec], "op", tx=tx)[0].case_id
    t = received
    for step in steps:
        t += timedelta(minutes=30)
        if step == "assign":
            ops.assign(store, case_id, "d", at=t.isoformat(), tx=tx)
        elif step == "accept":
            ops.accept(store, case_id, "u", at=t.isoformat(), tx=tx)
        elif step == "close":
            ops.close(store, case_id, "u", True, "done", at=t.isoformat(), tx=tx)
        elif step.startswith("evaluate"):
            level = step.split(":")[1]
            t += timedelta(days=1)
            ops.evaluate(store, case_id, "cb", True, True, True, level, reason="why", at=t.isoformat(), tx=tx)
    return case_id


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    saved = os.environ.get("JIESU_NOW")
    os.environ["JIESU_NOW"] = NOW
    root = tmp_path_factory.mktemp("reports") / "store"
    store = ops.init_store(root, actor="admin", name="Report test office")
    store = Store(root)
    done = ("assign", "accept", "close")
    with store.transaction("build", batch=True) as tx:
        # early November: five evaluated cases each for two streets, so both are ranked
        for i, level in enumerate(["very-satisfied", "satisfied", "very-satisfied", "satisfied", "very-satisfied"]):
            case(store, tx, "dragon-gate/eternal-town", datetime(2021, 11, 1 + i % 3, 9), steps=done + (f"evaluate:{level}",))
            case(store, tx, "dragon-gate/north-garden", datetime(2021, 11, 1 + i % 3, 10),
                 steps=done + (f"evaluate:{'dissatisfied' if i < 2 else 'basically-satisfied'}",))
        # an old open case: due 6 November, overdue on the day reported
        case(store, tx, "bell-drum/jade-river", datetime(2021, 10, 30, 15), steps=("assign", "accept"))
        # 7 November: the day before
        for street in ("dragon-gate/eternal-town", "dragon-gate/eternal-town", "dragon-gate/dragon-spring"):
            case(store, tx, street, datetime(2021, 11, 7, 11), steps=("assign",))
        # 8 November: the day reported
        case(store, tx, "dragon-gate/eternal-town", datetime(2021, 11, 8, 8, 15), steps=("assign",))
        case(store, tx, "dragon-gate/north-garden", datetime(2021, 11, 8, 9), title=HOSTILE, steps=("assign", "accept"),
             description="<img src=x onerror=alert(2)> {% if true %}x{% endif %}")
        case(store, tx, "dragon-gate/north-garden", datetime(2021, 11, 8, 10), title=FORMULA, channel="app", steps=("assign",))
        case(store, tx, "dragon-gate/dragon-spring", datetime(2021, 11, 8, 11), type="emergency",
             category="utilities.gas.leak", title="Gas smell in the stairwell", steps=("assign", "accept", "close"))
        case(store, tx, "bell-drum/jade-river", datetime(2021, 11, 8, 16), type="consultation",
             category="policy.residence.residence-permit", title="Residence permit", answered="Explained")
        commit_batch(store, tx, "op", "report test data")
    yield store
    if saved is None:
        os.environ.pop("JIESU_NOW", None)
    else:
        os.environ["JIESU_NOW"] = saved


def run(store, *args):
    result = CliRunner().invoke(cli, ["--store", str(store.root), *args], env={"JIESU_NOW": NOW})
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


REPORTS = [("daily", ["--date", "2021-11-08"]), ("monthly", ["--month", "2021-11"]),
           ("overdue", ["--as-of", "2021-11-08T18:00"]), ("unit", ["--unit", "dragon-gate/north-garden"])]


@pytest.mark.parametrize("kind,args", REPORTS, ids=[k for k, _ in REPORTS])
@pytest.mark.parametrize("fmt", ["md", "json"])
def test_golden(small, request, kind, args, fmt):
    text = run(small, "report", kind, *args, "--format", fmt)
    path = GOLDEN / f"{kind}.{fmt}"
    if request.config.getoption("--update-golden") or not path.exists():
        path.write_text(text, "utf-8")
    assert text == path.read_text("utf-8"), f"{path} differs; rerun with --update-golden if the change is intended"


def test_daily_numbers(small):
    data = json.loads(run(small, "report", "daily", "--date", "2021-11-08", "--format", "json"))
    assert data["total"] == 5 and data["total_prev"] == 3
    # 8 Nov: north-garden 2; then one each, in id order: bell-drum/jade-river, dragon-spring, eternal-town
    # 7 Nov: eternal-town 2 (rank 1), dragon-spring 1 (rank 2)
    assert [(s["unit"], s["count"], s["rank"], s["prev_rank"], s["change"]) for s in data["top_streets"]] == [
        ("dragon-gate/north-garden", 2, 1, None, "new"),
        ("bell-drum/jade-river", 1, 2, None, "new"),
        ("dragon-gate/dragon-spring", 1, 3, 2, "down"),
        ("dragon-gate/eternal-town", 1, 4, 1, "down"),
    ]
    assert {c["code"]: c["count"] for c in data["by_channel"]} == {"hotline": 4, "app": 1}
    assert {c["code"]: c["count"] for c in data["by_type"]} == {"complaint": 3, "emergency": 1, "consultation": 1}
    assert {d["unit"]: d["count"] for d in data["districts"] if d["count"]} == {"dragon-gate": 4, "bell-drum": 1}
    assert data["closed"] == {"count": 2, "resolved": 2}  # the gas leak and the consultation answered on the call
    # open overdue at the end of the day = `overdue --as-of` the last second of the day
    overdue = json.loads(run(small, "overdue", "--as-of", "2021-11-08T23:59:59", "--format", "json"))
    assert data["overdue"]["count"] == len(overdue["overdue"]) == 1
    assert data["overdue"]["units"][0]["cases"][0]["id"] == overdue["overdue"][0]["id"]
    assert [c["id"] for c in data["due_soon"]] == [c["id"] for c in overdue["due_soon"]]


def test_monthly_numbers_match_rank(small):
    data = json.loads(run(small, "report", "monthly", "--month", "2021-11", "--format", "json"))
    rank = json.loads(run(small, "rank", "--month", "2021-11", "--format", "json"))
    assert [(r["unit"], r["rank"], r["score"]) for r in data["ranking"]] == [(r["unit"], r["rank"], r["score"]) for r in rank["ranked"]]
    # by hand: nobody recorded a contact, so every response is (accept 1 + contact 0 + complete 1)/3 = 2/3;
    # eternal-town 3 × (0.2·2/3 + 0.8) + 2 × (0.2·2/3 + 0.72) = 2.8 + 1.7067 = 4.5067 / 5 → 90.13;
    # north-garden 2 × (0.2·2/3 + 0.48) + 3 × (0.2·2/3 + 0.64) = 1.2267 + 2.32 = 3.5467 / 5 → 70.93
    assert [(r["unit"], round(r["score"], 2)) for r in data["ranking"]] == [("dragon-gate/eternal-town", 90.13), ("dragon-gate/north-garden", 70.93)]
    assert [r["contact_confirmed_rate"] for r in data["ranking"]] == [1, 1]  # the callers all said they were contacted
    assert data["top"][0]["unit"] == "dragon-gate/eternal-town" and [r["unit"] for r in data["bottom"]] == ["dragon-gate/north-garden"]
    assert data["totals"]["evaluated"] == 10 and data["totals"]["reached"] == 10


def test_overdue_report_matches_overdue(small):
    data = json.loads(run(small, "report", "overdue", "--as-of", "2021-11-08T18:00", "--format", "json"))
    plain = json.loads(run(small, "overdue", "--as-of", "2021-11-08T18:00", "--format", "json"))
    assert data["count"] == len(plain["overdue"])
    assert [c["id"] for g in data["units"] for c in g["cases"]] == [c["id"] for c in plain["overdue"]]
    assert data["closed_late"] == plain["closed_late"]
    contact = data["units"][0]["cases"][0]["contact"]
    assert contact == "Wang 151****6789"


def test_untrusted_text_is_escaped_or_literal(small):
    html = run(small, "report", "unit", "--unit", "dragon-gate/north-garden", "--format", "html")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} | pipe" in html
    assert "alert(1)&lt;/script&gt; 49" not in html  # the template syntax was not evaluated
    md = run(small, "report", "unit", "--unit", "dragon-gate/north-garden")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} \\| pipe" in md
    txt = run(small, "report", "unit", "--unit", "dragon-gate/north-garden", "--format", "txt")
    assert HOSTILE in txt  # plain text shows it as typed
    csv_out = run(small, "report", "unit", "--unit", "dragon-gate/north-garden", "--format", "csv")
    assert "'=HYPERLINK(" in csv_out and ",=HYPERLINK" not in csv_out
    for kind, args in REPORTS:
        page = run(small, "report", kind, *args, "--format", "html")
        assert "15123456789" not in page and "<script" not in page


def test_every_context_field_is_documented_and_used():
    for kind, cls in contexts.CONTEXTS.items():
        documented = set(re.findall(r"^        (\w+):", cls.__doc__, re.M))
        fields = {f.name for f in dataclasses.fields(cls)}
        assert documented == fields, f"{cls.__name__}: documented {sorted(documented)} vs fields {sorted(fields)}"
        for fmt in ("md", "html"):
            template = (REPO / "reports" / f"{kind}.{fmt}.j2").read_text("utf-8")
            if fmt == "html":
                template += (REPO / "reports" / "base.html.j2").read_text("utf-8")
            for name in fields:  # as a variable of its own, not as a label (L.unit) or a row key (r.unit)
                assert re.search(rf"(?<![\w.\"']){name}\b(?!\s*=)", template), f"{kind}.{fmt}.j2 does not use {name}"
    header = {f.name for f in dataclasses.fields(contexts.Header)}
    assert header == set(re.findall(r"^        (\w+):", contexts.Header.__doc__, re.M))


def test_rendering_changes_nothing_and_out_is_atomic(small, tmp_path):
    before = snapshot(small.root)
    target = tmp_path / "daily.html"
    out = run(small, "report", "daily", "--date", "2021-11-08", "--format", "html", "--out", str(target))
    assert out == ""  # silent on success (cron mails every line)
    loud = CliRunner().invoke(cli, ["--store", str(small.root), "report", "daily", "--date", "2021-11-08", "--out",
                                    str(tmp_path / "d.md"), "-v"], env={"JIESU_NOW": NOW})
    assert (loud.exit_code, loud.stdout, loud.stderr) == (0, "", f"wrote {tmp_path / 'd.md'}\n")
    (tmp_path / "d.md").unlink()
    assert target.read_text("utf-8").startswith("<!doctype html>")
    assert [p.name for p in tmp_path.iterdir()] == ["daily.html"]  # no temporary file left
    assert snapshot(small.root) == before


def test_store_templates_override_and_extend(small):
    override = small.root / "reports" / "daily.md.j2"
    override.write_text('{% extends "jiesu/daily.md.j2" %}\n{% block report %}OFFICE VERSION\n{{ super() }}{% endblock %}\n', "utf-8")
    try:
        text = run(small, "report", "daily", "--date", "2021-11-08")
        assert text.startswith("OFFICE VERSION\n# Daily hotline report — 2021-11-08")
    finally:
        override.unlink()


def test_chinese_labels(small):
    text = run(small, "report", "daily", "--date", "2021-11-08", "--lang", "zh")
    assert text.startswith("# 12345热线日报 — 2021年11月8日") and "永安镇" in text  # a date in a heading reads as prose


def test_report_refusals(small):
    def fails(*args):
        result = CliRunner().invoke(cli, ["--store", str(small.root), "report", *args], env={"JIESU_NOW": NOW})
        assert result.exit_code == 1 and result.stderr.startswith("error: "), result.stderr
        return result.stderr

    assert "the unit report needs a unit" in fails("unit")
    assert "--month does not apply; it takes --date" in fails("daily", "--month", "2021-11")
    assert "unknown unit 'atlantis'" in fails("overdue", "--unit", "atlantis")
    assert "is not a date" in fails("daily", "--date", "yesterday")


def find_browser():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_html_reports_in_a_real_browser(small, tmp_path):
    browser = find_browser()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no Chromium on a CI machine: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium found (install Debian's chromium package to run the browser test)")
    ARTIFACTS.mkdir(exist_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    for kind, args in REPORTS:
        page = tmp_path / f"{kind}.html"
        page.write_text(run(small, "report", kind, *args, "--format", "html"), "utf-8")
        shot = ARTIFACTS / f"{kind}.png"
        shot.unlink(missing_ok=True)
        result = subprocess.run([browser, *flags, "--window-size=1000,1600", f"--screenshot={shot}", page.as_uri()],
                                capture_output=True, text=True, timeout=120)
        assert shot.exists() and shot.stat().st_size > 10_000, result.stderr[-2000:]
        console = [ln for ln in result.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
        assert console == [], console
        dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
        assert "<table" in dom and "<svg" in dom or kind in ("overdue", "unit")
        assert "<script" not in dom  # the complaint's <script> stayed text
