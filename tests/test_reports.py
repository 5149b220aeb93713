"""Reports: golden files on a small hand-built store, numbers cross-checked with rank and overdue,
untrusted text escaped, documented contexts, overrides, atomic output, and a real browser."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import browser
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


def test_compiled_templates_are_kept_and_a_changed_or_damaged_one_is_compiled_again(small):
    """Templates compiled once are kept between runs (in Jinja's folder for this user); a store
    template changed since is compiled again, and a damaged compiled file is passed over."""
    from jiesu.reporting import _bytecode_cache

    cache = _bytecode_cache("md")
    folder = Path(cache.directory)
    for path in folder.glob("jiesu-md-*.cache"):
        path.unlink()
    reference = run(small, "report", "daily", "--date", "2021-11-08")
    kept = sorted(folder.glob("jiesu-md-*.cache"))
    assert kept and oct(folder.stat().st_mode & 0o777) == "0o700"
    for path in kept:  # damaged: read back as rubbish, the templates are compiled again
        path.write_bytes(b"not a compiled template")
    assert run(small, "report", "daily", "--date", "2021-11-08") == reference
    assert all(path.read_bytes() != b"not a compiled template" for path in kept)
    override = small.root / "reports" / "daily.md.j2"
    try:
        for word in ("FIRST", "SECOND"):  # the same name, another source: compiled again, not the kept one
            override.write_text('{% extends "jiesu/daily.md.j2" %}\n{% block report %}' + word +
                                '\n{{ super() }}{% endblock %}\n', "utf-8")
            assert run(small, "report", "daily", "--date", "2021-11-08").startswith(word + "\n# Daily hotline report")
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


PAGE = """(() => {
  // what sticks out: the page wider than the window, or any element whose right edge passes it
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const right = el.getBoundingClientRect().right;
    if (right > innerWidth + 0.5) out.push(el.tagName.toLowerCase() + "." + el.className + " ends at " + Math.round(right));
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth, out: out.slice(0, 5),
          cards: document.querySelectorAll("table.cards").length};
})()"""
A4_PORTRAIT_CONTENT = 718  # A4 is 210 mm wide, less the two 10 mm margins: 190 mm = 718 CSS px


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory):
    """Every kind of HTML report of a small demo store (a month of traffic, two themes), in English
    and in Chinese."""
    from jiesu.demo import build_demo

    saved = os.environ.get("JIESU_NOW")
    os.environ["JIESU_NOW"] = NOW
    try:
        root = tmp_path_factory.mktemp("demo") / "store"
        build_demo(root, seed=7, per_day=12, reports=False)
        store = Store(root)
        reports = [("daily", ["--date", "2021-11-29"]), ("weekly", ["--week", "2021-W47"]), ("monthly", ["--month", "2021-11"]),
                   ("overdue", []), ("unit", ["--unit", "bell-drum/jade-river"]), ("theme", ["HL-T21-01"])]
        out = tmp_path_factory.mktemp("pages")
        pages = []
        for kind, args in reports:
            for lang in ("en", "zh"):
                page = out / f"{kind}-{lang}.html"
                page.write_text(run(store, "report", kind, *args, "--format", "html", "--lang", lang), "utf-8")
                pages.append(page)
        yield pages
    finally:
        if saved is None:
            os.environ.pop("JIESU_NOW", None)
        else:
            os.environ["JIESU_NOW"] = saved


def test_html_reports_fit_phones_screens_and_a4(demo_pages, small, tmp_path, request):
    """In a real Chromium, each report in each language: (1) at 360 and 1280 CSS px no horizontal
    scroll and no element past the window's right edge (there is no inner side-scroller either:
    tables are laid out to fit, as cards on a phone); (2) under print media at the content width
    of a portrait A4 page (a landscape section has more room still) the same holds, so nothing
    is cut at the page's edge; (3) printed to PDF it makes A4 pages, the monthly ranking on
    landscape ones. The screenshots are for a person to look at: they go to tests/artifacts/ when
    missing or with --update-golden (the committed set), else to a temporary folder."""
    path = browser.find()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no Chromium on a CI machine: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium found (install Debian's chromium package to run the browser test)")
    ARTIFACTS.mkdir(exist_ok=True)
    update = request.config.getoption("--update-golden")
    hostile = tmp_path / "hostile.html"  # the work sheet whose case titles hold <script> and a formula
    hostile.write_text(run(small, "report", "unit", "--unit", "dragon-gate/north-garden", "--format", "html"), "utf-8")
    chrome = browser.Browser(path, tmp_path / "profile")
    try:
        for page in demo_pages + [hostile]:
            for width in (360, 1280):
                chrome.open(page, width)
                seen = chrome.eval(PAGE)
                assert seen["innerWidth"] == width, (page.name, seen)
                assert seen["scrollWidth"] <= width and seen["out"] == [], (page.name, width, seen)
                assert chrome.console() == [], (page.name, chrome.console())
                assert chrome.eval("document.querySelectorAll('script').length") == 0  # complaint text stays text
                if width == 360:  # a wide table is a stack of cards: its header row is not shown, each cell is labelled
                    assert chrome.eval("[...document.querySelectorAll('table.cards thead')].every(h => getComputedStyle(h).display == 'none')")
                    assert chrome.eval("[...document.querySelectorAll('table.cards td')].every(td => td.dataset.label)")
                if page != hostile:
                    shot = ARTIFACTS / f"{page.stem}-{width}.png"
                    if shot.exists() and not update:
                        shot = tmp_path / shot.name
                    chrome.screenshot(shot)
                    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            chrome.open(page, A4_PORTRAIT_CONTENT, media="print")
            seen = chrome.eval(PAGE)
            assert seen["scrollWidth"] <= A4_PORTRAIT_CONTENT and seen["out"] == [], (page.name, "print", seen)
            assert chrome.eval("[...document.querySelectorAll('thead')].every(h => getComputedStyle(h).display == 'table-header-group')")
            pdf = chrome.pdf()
            boxes = [tuple(round(float(v)) for v in box.split()) for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)]
            assert boxes and set(boxes) <= {(0, 0, 595, 842), (0, 0, 842, 595)}, (page.name, boxes)  # A4, either way
            if page.stem.startswith("monthly"):
                assert chrome.eval("document.querySelectorAll('.landscape table tbody tr').length") >= 2  # the ranking is there
                assert (0, 0, 842, 595) in boxes and (0, 0, 595, 842) in boxes, boxes  # the ranking on landscape pages
    finally:
        chrome.close()


def test_daily_layout_empty_day_and_periods_not_over(small):
    html = run(small, "report", "daily", "--date", "2021-11-08", "--format", "html")
    # one overdue table, grouped by lead unit by name; unit names (not ids) in the case tables
    overdue = html[html.index("<h2>Open overdue cases at the end of the day"):html.index("<h2>New overdue cases")]
    assert overdue.count("<table") == 1 and '<tr class="group"><th colspan="5">Lead unit: Jade River Street (1)</th></tr>' in overdue
    assert '<td data-label="Due" class="d"><span class="d">2021-11-06 15:00</span></td>' in overdue  # dates in cells that never wrap
    assert "bell-drum/jade-river" not in html
    assert 'class="sharebar" viewBox="0 0 1000 22" preserveAspectRatio="none"' in html  # the bar spans the width
    # the two dissatisfied follow-ups of 2 November are drawn in the warning colour, the others in green
    nov2 = run(small, "report", "daily", "--date", "2021-11-03", "--format", "html")
    bars = nov2[nov2.index("<h2>Follow-up calls"):]
    assert bars.count('fill="#c0392b"') == 2 and bars.count('fill="#28b463"') == 3
    # a day with no requests says so instead of drawing empty charts, and exits 0
    for fmt, said in (("md", "No requests were received on this day."), ("html", "No requests were received on this day.")):
        empty = run(small, "report", "daily", "--date", "2021-11-20", "--format", fmt)
        assert said in empty and "By channel" not in empty and "Share of each district" not in empty
    assert "当日无诉求。" in run(small, "report", "daily", "--date", "2021-11-20", "--lang", "zh")
    # a day or month not over yet says so in its heading (JIESU_NOW is 1 December 2021, 08:00)
    assert run(small, "report", "daily", "--date", "2021-12-01").startswith("# Daily hotline report — 2021-12-01 (in progress)\n")
    assert run(small, "report", "daily", "--date", "2021-12-02", "--lang", "zh").startswith("# 12345热线日报 — 2021年12月2日 (未来日期)\n")
    assert run(small, "report", "monthly", "--month", "2021-12").startswith("# Monthly assessment — 2021-12 (in progress)\n")
    assert run(small, "report", "monthly", "--month", "2022-01", "--lang", "zh").startswith("# 月度考评排名 — 2022-01 (未来日期)\n")
    assert "(进行中)</span></h1>" in run(small, "report", "weekly", "--week", "2021-W48", "--format", "html", "--lang", "zh")
    assert run(small, "report", "daily", "--date", "2021-11-08").startswith("# Daily hotline report — 2021-11-08\n")


def test_zh_reports_print_no_english_values(small):
    """Statuses, bands, reasons, units and notes printed from the data come in Chinese."""
    pages = {f"{kind}.{fmt}": run(small, "report", kind, *args, "--format", fmt, "--lang", "zh")
             for kind, args in REPORTS for fmt in ("md", "html")}
    for name, text in pages.items():
        for english in ("accepted", "dispatched", "advanced", "restructuring", "no reached follow-up", "min 5",
                        "evidence:", "OVERDUE", "h left", " vs ", "hot spot", "Lead unit"):
            assert english not in text.replace("band-advanced", "").replace("band-restructuring", ""), (name, english)
    assert "无接通的回访" in pages["monthly.md"] and "整改" in pages["monthly.html"] and "接通满5件参与排名" in pages["monthly.md"]
    assert "- 北苑街道: 排名后1，但未显著低于全办水平（95 %控制下限 61.72）：不列为重点治理" in pages["monthly.md"]
    assert "(接通件数 = " not in pages["monthly.md"] and "标准差 = 12.04" in pages["monthly.md"]
    assert "| 钟鼓楼区 |" not in pages["daily.md"] and "已接单" in pages["daily.md"] and "已超期" in pages["unit.md"]


def test_markdown_escapes_only_what_markdown_reads(small):
    from jiesu import safetext

    assert safetext.markdown("n = 4 < 5") == "n = 4 < 5"
    assert safetext.markdown("a > b & c") == "a > b & c"
    assert safetext.markdown("<b>x</b> &lt;") == "&lt;b&gt;x&lt;/b&gt; &amp;lt;"
    assert [safetext.markdown(t) for t in ("# x", "- x", "> x", "1. x", "-3", "12.5")] == ["\\# x", "\\- x", "\\> x", "1\\. x", "-3", "12.5"]
    for kind, args in REPORTS:
        for lang in ("en", "zh"):
            md = run(small, "report", kind, *args, "--lang", lang)
            headers = [line for i, line in enumerate(md.splitlines()[:-1]) if md.splitlines()[i + 1].startswith("|---")]
            assert headers, kind
            for line in headers:  # no table has a blank header
                assert all(cell.strip() for cell in line.strip("|").split(" | ")), (kind, lang, line)
