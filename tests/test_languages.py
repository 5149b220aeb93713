"""Every word a person reads, in English and Chinese (gettext over Babel-managed catalogs).

Three checks: the catalog is complete (Babel extracts the messages from the code; every one has a
Chinese translation, none is fuzzy, and jiesu.pot is what the code holds now); every report
rendered in Chinese has no run of ASCII letters that is not an id, a code, a number, a unit or a
proper name from the store's own data; and the command line speaks the chosen language.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import GARBAGE, NOW, REPO, Cli, new_case

from jiesu import i18n
from jiesu.cli import cli
from jiesu.store import Store, yamlio

babel = pytest.importorskip("babel")

LOCALE = REPO / "jiesu" / "locale"
PO = LOCALE / "zh_CN" / "LC_MESSAGES" / "jiesu.po"
POT = LOCALE / "jiesu.pot"


def extracted():
    """The catalog Babel extracts from the package now, as `make messages` does (babel.cfg)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(REPO / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None, "NP_": ((1, "c"), 2)}
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
            str(REPO), method_map, options_map, keywords=keywords):
        msgid = message[0] if isinstance(message, tuple) else message
        found.add((context, msgid))
    return found


def catalog(path):
    from babel.messages.pofile import read_po

    with open(path, "rb") as f:
        return read_po(f)


def test_every_message_has_a_chinese_translation_and_the_catalogs_are_current():
    code = extracted()
    assert len(code) > 300  # the report words, the command line's words, the terms
    template = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog(POT) if m.id}
    assert template == code, ("jiesu.pot is out of date with the code; run `make messages`: "
                              f"new {sorted(code - template)[:5]}, gone {sorted(template - code)[:5]}")
    po = catalog(PO)
    translated = {}
    for m in po:
        if not m.id:
            continue
        key = (m.context, m.id[0] if isinstance(m.id, tuple) else m.id)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert "fuzzy" not in m.flags, f"fuzzy translation of {key}: review it and drop the flag"
        assert all(strings), f"no Chinese for {key}"
        translated[key] = strings
    missing = code - set(translated)
    assert not missing, f"messages not in the .po (run `make messages`): {sorted(missing)[:10]}"
    # placeholders survive translation: `{hours}` in English is `{hours}` in Chinese
    for (context, msgid), strings in translated.items():
        wanted = sorted(set(re.findall(r"\{\w*\}", msgid)))
        for s in strings:
            assert sorted(set(re.findall(r"\{\w*\}", s))) == wanted, f"placeholders differ in {msgid!r} → {s!r}"


def test_without_a_compiled_catalog_the_po_is_compiled_in_memory(tmp_path):
    """The .po read by jiesu's own compiler gives what msgfmt (Babel) compiles."""
    import gettext

    from babel.messages.mofile import write_mo

    built = io.BytesIO()
    write_mo(built, catalog(PO))
    theirs = gettext.GNUTranslations(io.BytesIO(built.getvalue()))
    ours = gettext.GNUTranslations(io.BytesIO(i18n.compile_po(PO.read_text("utf-8"))))
    assert ours._catalog == theirs._catalog
    assert ours.pgettext("status", "dispatched") == "已派单"
    top = ("top {n} but {k} unit with a higher score is significantly above the office score and this one is not: no {band}",
           "top {n} but {k} units with a higher score are significantly above the office score and this one is not: no {band}")
    assert ours.ngettext(*top, 2).startswith("排名前{n}") and ours.ngettext(*top, 1) == ours.ngettext(*top, 2)
    # a fuzzy entry is left out, as msgfmt leaves it out
    text = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n#, fuzzy\nmsgid "Due"\nmsgstr "期限"\n\nmsgid "Case"\nmsgstr "工单"\n'
    fuzzy = gettext.GNUTranslations(io.BytesIO(i18n.compile_po(text)))
    assert fuzzy.gettext("Due") == "Due" and fuzzy.gettext("Case") == "工单"


def test_a_source_tree_without_the_mo_speaks_chinese(tmp_path):
    """A copy of the package with no .mo (never built) reads the .po: no Babel needed at run time."""
    copy = tmp_path / "src"
    shutil.copytree(REPO / "jiesu", copy / "jiesu", ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    assert not list((copy / "jiesu" / "locale").rglob("*.mo"))
    code = ("import sys; sys.modules['babel'] = None\n"
            "from jiesu import i18n; i18n.choose('zh'); print(i18n._('Due'), i18n.pgettext('status', 'closed'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=copy, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["期限", "已办结"]


def test_language_precedence(monkeypatch):
    i18n.reset()
    assert i18n.current() == "en"  # LANG=C.UTF-8 (conftest)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.current() == "zh"
    monkeypatch.setenv("LC_MESSAGES", "en_GB.UTF-8")  # the first locale variable set decides
    assert i18n.current() == "en"
    monkeypatch.setenv("LC_ALL", "zh_TW.UTF-8")
    assert i18n.current() == "zh"
    i18n.store_language("en")  # the store's lang comes before the locale
    assert i18n.current() == "en"
    monkeypatch.setenv("JIESU_LANG", "zh")  # then JIESU_LANG
    assert i18n.current() == "zh"
    i18n.choose("en")  # then --lang
    assert i18n.current() == "en"
    monkeypatch.setenv("JIESU_LANG", "fr")  # a language jiesu does not speak passes the choice on
    i18n.choose(None)
    assert i18n.current() == "en"
    with i18n.using("zh"):
        assert i18n._("Due") == "期限"
    i18n.reset()
    assert i18n.prose_date(__import__("datetime").date(2026, 11, 29), "zh") == "2026年11月29日"


# -- reports ------------------------------------------------------------------------------------

WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.\-/]*")
# fields whose values are enumerations jiesu must translate, not data a person wrote
ENUMERATED = {"status", "action", "type", "channel", "kind", "satisfaction", "time_limit", "limit_from", "outcome",
              "role", "level", "days", "list", "state", "phase", "dispatch", "schema"}
UNITS = {"km", "m", "h", "kg"}  # units of measure
PRODUCT = {"jiesu"}  # the program's own name, in the HTML footer


def _data_words(node, key=None, out=None):
    if isinstance(node, dict):
        for k, v in node.items():
            _data_words(v, k, out)
    elif isinstance(node, list):
        for v in node:
            _data_words(v, key, out)
    elif isinstance(node, str) and key not in ENUMERATED:
        out.update(WORD.findall(node))
    return out


def allowed_words(store: Store) -> set:
    """What a zh report may show in ASCII letters: the data's own ids, codes and free text (case,
    theme and knowledge files, the office name) and the catalog's ids and Chinese names (北京12345 App)
    — never the catalog's English names, never an enumerated value."""
    out: set = set()
    for sub in ("cases", "themes", "knowledge"):
        for path in (store.root / sub).rglob("*.yaml"):
            _data_words(yamlio.load(path.read_text("utf-8"), str(path)), None, out)
    out.update(WORD.findall(str(store.settings.get("name", ""))))
    catalog = store.catalog
    for table in ("units", "categories", "tags", "types", "channels", "kinds"):
        for code, entry in getattr(catalog, table).items():
            out.update(WORD.findall(code))
            name = getattr(entry, "name", None) or (entry.get("name") if isinstance(entry, dict) else None) or {}
            out.update(WORD.findall(str(name.get("zh", "")) if isinstance(name, dict) else ""))
    return out | UNITS | PRODUCT


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import os

    saved = os.environ.get("JIESU_NOW")
    os.environ["JIESU_NOW"] = NOW
    try:
        from jiesu.demo import build_demo

        root = tmp_path_factory.mktemp("zh") / "demo"
        build_demo(root, per_day=8, reports=False)
        yield Store(root)
    finally:
        if saved is None:
            os.environ.pop("JIESU_NOW", None)
        else:
            os.environ["JIESU_NOW"] = saved


def visible_text(html: str) -> str:
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)  # markup and its attributes (class names) are not read
    return re.sub(r"&#?\w+;", " ", html)  # nor are entities (the Markdown escaping is the layout's matter)


def test_every_report_in_chinese_has_no_english_words(demo):
    from jiesu import reporting
    from jiesu.reporting.contexts import overdue
    from jiesu.themes.files import all_themes

    allowed = allowed_words(demo)
    busiest = overdue(demo, None, None, "zh").units[0]["unit"]
    theme = all_themes(demo)[0]["id"]
    runs = [("daily", {}), ("weekly", {}), ("monthly", {}), ("overdue", {}), ("unit", {"unit": busiest}),
            ("theme", {"theme_id": theme})]
    stray = {}
    for kind, params in runs:
        for fmt in ("md", "html", "txt"):
            text = reporting.render(demo, kind, fmt, "zh", **params)
            assert "报" in text or "单" in text, f"{kind}.{fmt} is not in Chinese"
            if fmt == "html":
                text = visible_text(text)
            else:
                text = re.sub(r"&#?\w+;", " ", text)
            for word in WORD.findall(text):
                if word not in allowed and not re.fullmatch(r"[A-Z]+-[\w-]+|W\d\d|[0-9a-f]{6}", word):
                    stray.setdefault(word, set()).add(f"{kind}.{fmt}")
    assert not stray, f"English left in Chinese reports: {sorted((w, sorted(k)) for w, k in stray.items())[:20]}"


def test_the_same_report_in_english_is_untouched_by_the_language(demo, monkeypatch):
    """JIESU_LANG and the locale do not change a report asked for in English, nor its JSON."""
    from jiesu import reporting

    english = reporting.render(demo, "monthly", "md", "en")
    monkeypatch.setenv("JIESU_LANG", "zh")
    assert reporting.render(demo, "monthly", "md", "en") == english
    assert "Monthly assessment" in english and "月度" not in english
    zh = reporting.render(demo, "monthly", "json", "zh")
    en = reporting.render(demo, "monthly", "json", "en")
    import json

    zh_rows, en_rows = json.loads(zh)["ranking"], json.loads(en)["ranking"]
    assert [r["band"] for r in zh_rows] == [r["band"] for r in en_rows]  # codes, not words
    assert [r["unit"] for r in zh_rows] == [r["unit"] for r in en_rows]


# -- the command line ---------------------------------------------------------------------------

def invoke(store, *args, env=None):
    return CliRunner().invoke(cli, ["--store", str(store.root), *map(str, args)], env=env)


def test_show_list_overdue_in_chinese(run, store):
    case_id = new_case(run)
    run("assign", case_id, "dragon-gate/eternal-town")
    zh = invoke(store, "--lang", "zh", "show", case_id)
    assert zh.exit_code == 0, zh.output
    assert "状态" in zh.stdout and "已派单" in zh.stdout and "时限" in zh.stdout and "计时中" in zh.stdout
    assert "status" not in zh.stdout and "dispatched" not in zh.stdout
    listed = invoke(store, "list", env={"JIESU_LANG": "zh"})
    assert listed.exit_code == 0
    assert listed.stdout.splitlines()[0].split() == ["编号", "状态", "标题", "主办单位", "受理时间", "期限"]
    assert "已派单" in listed.stdout and "共 1 件" in listed.stdout
    english = invoke(store, "list")
    assert english.stdout.splitlines()[0].split() == ["id", "status", "title", "lead", "received", "due"]
    assert "1 case(s)" in english.stdout
    # machine output is the same in both languages
    assert invoke(store, "--lang", "zh", "list", "--format", "json").stdout == invoke(store, "list", "--format", "json").stdout
    assert invoke(store, "--lang", "zh", "list", "--format", "csv").stdout == invoke(store, "list", "--format", "csv").stdout
    late = invoke(store, "--lang", "zh", "overdue", "--as-of", "2021-12-30T12:00")
    assert late.exit_code == 0 and "超期" in late.stdout and "小时" in late.stdout


def test_errors_in_chinese_keep_the_exit_code(store):
    zh = invoke(store, "--lang", "zh", "show", "HL-2111-9999")
    en = invoke(store, "show", "HL-2111-9999")
    assert zh.exit_code == en.exit_code == 1
    assert en.stderr.startswith("error: ")
    assert zh.stderr.startswith("错误：") and "HL-2111-9999" in zh.stderr
    assert len(zh.stderr.strip().splitlines()) == len(en.stderr.strip().splitlines())


def test_help_in_chinese(store):
    zh = CliRunner().invoke(cli, ["--lang", "zh", "--help"])
    assert zh.exit_code == 0 and "受理" in zh.stdout and "查阅" in zh.stdout
    shown = CliRunner().invoke(cli, ["--lang", "zh", "show", "--help"], env={})
    assert shown.exit_code == 0 and "显示一件工单" in shown.stdout and "jiesu show HL-2111-0069" in shown.stdout
    assert "Show one case" in CliRunner().invoke(cli, ["show", "--help"]).stdout
    intake = CliRunner().invoke(cli, ["intake", "--help"], env={"JIESU_LANG": "zh"})
    assert "受理一条诉求" in intake.stdout and "用法：" in intake.stdout and "选项：" in intake.stdout
    assert "jiesu intake --from requests.yaml" in intake.stdout  # the examples stay runnable
    # the store's examples are the same commands in both languages
    english = CliRunner().invoke(cli, ["intake", "--help"]).stdout
    assert [ln for ln in english.splitlines() if ln.strip().startswith("jiesu ")] == \
        [ln for ln in intake.stdout.splitlines() if ln.strip().startswith("jiesu ")]


def test_the_store_language_is_the_default(tmp_path):
    from jiesu import ops

    root = tmp_path / "zh-store"
    ops.init_store(root, office="HL", name="试点", actor="admin", lang="zh")
    result = invoke(Store(root), "list")
    assert result.exit_code == 0 and "共 0 件" in result.stdout
    assert "0 case(s)" in invoke(Store(root), "list", env={"JIESU_LANG": "en"}).stdout
    assert "0 case(s)" in invoke(Store(root), "--lang", "en", "list").stdout
    assert GARBAGE  # the shared fixtures' category exists in the default catalog


def test_usage_mistakes_in_a_chinese_store_are_told_in_chinese(tmp_path):
    """The store's language is known before the command is parsed: an unknown command or option."""
    from jiesu import ops

    root = tmp_path / "zh-store"
    ops.init_store(root, office="HL", name="试点", actor="admin", lang="zh")
    typo = invoke(Store(root), "lsit")
    assert typo.exit_code == 2 and "没有命令 'lsit'" in typo.output and "list" in typo.output
    assert "no such command" not in typo.output
    option = invoke(Store(root), "list", "--bogus")
    assert option.exit_code == 2 and "没有选项 '--bogus'" in option.output
    english = invoke(Store(root), "lsit", env={"JIESU_LANG": "en"})
    assert english.exit_code == 2 and "no such command 'lsit'; did you mean list" in english.output


def test_log_in_chinese_and_the_json_unchanged(run, store):
    case_id = new_case(run)
    run("assign", case_id, "dragon-gate/eternal-town")
    zh = invoke(store, "--lang", "zh", "log", case_id)
    assert zh.exit_code == 0, zh.output
    assert "登记，操作人" in zh.stdout and "派单，操作人" in zh.stdout and "单位 dragon-gate/eternal-town" in zh.stdout
    assert "状态：已登记 → 已派单" in zh.stdout and "state.status" not in zh.stdout
    events = [ln for ln in zh.stdout.splitlines() if ln.startswith("    + ")]
    assert len(events) == 3 and not any(" by " in ln or " at " in ln for ln in events)  # created, intake, assign
    en = invoke(store, "log", case_id)
    assert "state.status: received → dispatched" in en.stdout
    assert re.search(r"\+ assign by \S+ at \d{4}-\d\d-\d\dT[\d:]+\+08:00: unit dragon-gate/eternal-town", en.stdout)
    # the JSON is the same whatever the language, and holds no private working keys
    zh_json = invoke(store, "--lang", "zh", "log", case_id, "--format", "json").stdout
    assert zh_json == invoke(store, "log", case_id, "--format", "json").stdout and '"_' not in zh_json


def test_a_library_refusal_in_chinese(run, store):
    case_id = new_case(run)
    before = store.git.head()
    zh = invoke(store, "--lang", "zh", "amend", case_id, "--title", "New title", "--reason", " ")
    en = invoke(store, "amend", case_id, "--title", "New title", "--reason", " ")
    assert zh.exit_code == en.exit_code == 1
    assert en.stderr == "error: --reason: required (say what was wrong)\n"
    assert zh.stderr == "错误：--reason：必填（说明哪里错了）\n"
    assert Store(store.root).git.head() == before


@pytest.mark.parametrize("argv, english, chinese", [
    (["show", "--nope", "X"], "Error: No such option '--nope'", "错误：没有选项 '--nope'"),
    (["amend"], "Error: Missing argument 'ID'", "错误：缺少参数 'ID'"),
    (["lsit"], "Error: no such command 'lsit'; did you mean list", "错误：没有命令 'lsit'；您是不是要用 list"),
])
def test_click_usage_errors_in_chinese_exit_2(argv, english, chinese):
    zh = CliRunner().invoke(cli, ["--lang", "zh", *argv], prog_name="jiesu")
    en = CliRunner().invoke(cli, argv, prog_name="jiesu")
    assert zh.exit_code == en.exit_code == 2
    assert english in en.stderr and "Try 'jiesu" in en.stderr and en.stderr.startswith("Usage: jiesu")
    assert chinese in zh.stderr and "查看帮助" in zh.stderr and zh.stderr.startswith("用法：jiesu")
    assert "Error" not in zh.stderr and "Try" not in zh.stderr


@pytest.mark.parametrize("argv, words", [
    (["theme", "--help"], "每月一题"), (["kb", "--help"], "政策问答知识库"), (["stats", "--help"], "受理诉求的数量和比率"),
    (["amend", "--help"], "更正工单的分类"), (["supervise", "--help"], "领导督办"), (["hotspots", "--help"], "热点"),
])
def test_help_of_governance_and_handling_in_chinese(argv, words):
    zh = CliRunner().invoke(cli, ["--lang", "zh", *argv])
    en = CliRunner().invoke(cli, argv)
    assert zh.exit_code == en.exit_code == 0
    assert words in zh.stdout and "示例：" in zh.stdout and "Examples:" not in zh.stdout and "Example:" not in zh.stdout
    # the examples are the same commands in both languages
    assert [ln for ln in en.stdout.splitlines() if ln.strip().startswith("jiesu ")] == \
        [ln for ln in zh.stdout.splitlines() if ln.strip().startswith("jiesu ")]


def test_theme_and_knowledge_lists_in_chinese(demo):
    themes = invoke(demo, "--lang", "zh", "theme", "list")
    assert themes.exit_code == 0, themes.output
    assert themes.stdout.split()[:5] == ["编号", "状态", "标题", "主办单位", "范围"] and "进行中" in themes.stdout
    n = len(json.loads(invoke(demo, "theme", "list", "--format", "json").stdout))
    assert themes.stdout.rstrip().endswith(f"共 {n} 个主题")
    assert invoke(demo, "theme", "list").stdout.rstrip().endswith(f"{n} theme(s)")
    entries = invoke(demo, "--lang", "zh", "kb", "list")
    assert entries.exit_code == 0 and re.search(r"共 \d+ 条$", entries.stdout.rstrip())
    assert "复核日期" in entries.stdout.splitlines()[0]


# -- the plain output of every command, in a Chinese store --------------------------------------

def english_left(text: str, allowed: set, also=()) -> list[str]:
    """The ASCII words of `text` a Chinese reader should not meet: not an id, a code, a number, a
    unit, a data value of the store or a piece of a command line shown to be typed (`also`)."""
    words = set()
    for line in text.splitlines():
        line = re.sub(r"jiesu [^，；。（）“”]*", " ", line)  # a command to type stays a command
        line = re.sub(r"(/[\w.\-]+)+/?", " ", line)  # paths
        for word in WORD.findall(line):
            if word in allowed or word in also or re.fullmatch(r"[A-Z]+-[\w-]+|W\d\d|[0-9a-f]{6,40}", word):
                continue
            words.add(word)
    return sorted(words)


def zh_and_en(store, *args):
    """The same command in Chinese and in English (JIESU_LANG); both must succeed."""
    zh = invoke(store, *args, env={"JIESU_LANG": "zh"})
    en = invoke(store, *args, env={"JIESU_LANG": "en"})
    assert zh.exit_code == en.exit_code == 0, (zh.output, en.output)
    return zh, en


def test_stats_in_chinese(demo):
    allowed = allowed_words(demo)
    zh, en = zh_and_en(demo, "stats", "--by", "status", "--month", "2021-10")
    assert zh.stdout.startswith("受理诉求（2021-10）：") and "件，回访不满意：" in zh.stdout
    assert zh.stdout.splitlines()[1].split()[:4] == ["状态", "受理", "占比", "办结"] and "已回访" in zh.stdout
    assert en.stdout.startswith("Requests received 2021-10: ") and en.stdout.splitlines()[1].split()[:3] == ["status", "received", "share"]
    assert english_left(zh.stdout, allowed) == []
    zh, en = zh_and_en(demo, "stats", "--by", "tag", "--by", "weekday", "--trend", "week")
    assert zh.stdout.startswith("受理诉求（全部）：") and zh.stdout.splitlines()[1].split()[:3] == ["周", "标签", "星期"]
    assert "周一" in zh.stdout and "一件工单有多个标签时，在每个下各计一次。" in zh.stdout
    assert "注意：一件工单有多个标签时" in zh.stderr and "note: a case with several tags counts once" in en.stderr
    assert english_left(zh.stdout, allowed) == [] and "mon" in en.stdout
    zh, en = zh_and_en(demo, "stats", "--since", "2021-10-01", "--until", "2021-10-31")
    assert zh.stdout.startswith("受理诉求（2021-10-01 至 2021-10-31）：") and en.stdout.startswith("Requests received 2021-10-01..2021-10-31: ")
    for fmt in ("json", "csv"):
        assert invoke(demo, "--lang", "zh", "stats", "--by", "status", "--format", fmt).stdout == \
            invoke(demo, "stats", "--by", "status", "--format", fmt).stdout


def test_hotspots_in_chinese(demo):
    allowed = allowed_words(demo)
    zh, en = zh_and_en(demo, "hotspots", "--all", "--as-of", "2021-11-10T12:00")
    assert zh.stdout.startswith("按分类、街道乡镇的热点：截至 ") and "检验" in zh.stdout
    assert zh.stdout.splitlines()[1].split() == ["键", "件数", "期望", "倍数", "p", "q", "热点", "最新工单"]
    assert en.stdout.startswith("Hot spots by category,street: 7 day(s) to ")
    assert english_left(zh.stdout, allowed, also={"p", "q", "category", "street"}) == []
    assert "截至 2021-11-10 12:00 的 7 天" in zh.stdout and "7 day(s) to 2021-11-10T12:00:00+08:00 " in en.stdout
    zh, en = zh_and_en(demo, "hotspots", "--by", "address", "--all", "--as-of", "2021-11-10T12:00")
    assert zh.stdout.startswith("按地址的热点") and "天内诉求不少于" in zh.stdout
    assert english_left(zh.stdout, allowed, also={"p", "q", "address"}) == []
    args = ("hotspots", "--by", "address", "--all", "--as-of", "2021-11-10T12:00", "--format", "json")
    assert invoke(demo, "--lang", "zh", *args).stdout == invoke(demo, *args).stdout


def test_callers_and_similar_in_chinese(run, store):
    ids = [run("intake", "--type", "complaint", "--category", GARBAGE, "--title", f"小区门口垃圾堆放多日无人清运{i}",
               "--street", "dragon-gate/eternal-town", "--phone", "15112346789").stdout.strip() for i in range(3)]
    allowed = allowed_words(store)
    zh, en = zh_and_en(store, "callers")
    assert "天内诉求不少于 3 件的来电人：" in zh.stdout
    assert zh.stdout.splitlines()[1].split() == ["来电人", "引用号", "诉求数", "未办结", "分类", "街道乡镇"]
    assert en.stdout.splitlines()[1].split() == ["caller", "ref", "requests", "open", "categories", "streets"]
    assert english_left(zh.stdout, allowed) == []
    assert invoke(store, "--lang", "zh", "callers", "--format", "json").stdout == invoke(store, "callers", "--format", "json").stdout
    zh, en = zh_and_en(store, "similar", ids[0])
    assert zh.stdout.splitlines()[0].split() == ["编号", "状态", "相似度", "理由", "标题"]
    assert "已登记" in zh.stdout and "同一来电人、同一分类；文字相似" in zh.stdout and "合并重复工单：jiesu merge" in zh.stdout
    assert "same caller and category; similar text" in en.stdout and "received" in en.stdout
    assert english_left(zh.stdout, allowed) == []
    assert invoke(store, "--lang", "zh", "similar", ids[0], "--format", "json").stdout == \
        invoke(store, "similar", ids[0], "--format", "json").stdout
    fourth = invoke(store, "--lang", "zh", "intake", "--type", "complaint", "--category", GARBAGE, "--title", "小区门口垃圾堆放多日无人清运",
                    "--street", "dragon-gate/eternal-town", "--phone", "15112346789")
    assert fourth.exit_code == 0, fourth.output
    assert f"注意：来电人 30 天内已有 3 件诉求；未办结：{', '.join(ids)}\n" in fourth.stderr
    assert f"注意：可能与 {ids[0]} 重复（同一来电人、同一分类、文字相似；相似度 " in fourth.stderr
    assert f"如是，运行：jiesu merge {fourth.stdout.strip()} --into {ids[0]}" in fourth.stderr
    zh = invoke(store, "--lang", "zh", "similar", run("intake", "--type", "complaint", "--category", GARBAGE, "--title",
                                                      "路灯坏了", "--street", "bell-drum/jade-river").stdout.strip())
    assert re.fullmatch(r"7 天内没有 HL-\d{4}-\d{4} 的疑似重复工单\n", zh.stdout)


@pytest.fixture
def zh_store(tmp_path):
    from jiesu import ops

    return ops.init_store(tmp_path / "zh", office="ZH", name="试点", actor="admin", lang="zh")


def test_import_and_export_in_chinese(demo, zh_store, tmp_path):
    source = tmp_path / "cases.jsonl"
    zh = invoke(demo, "--lang", "zh", "export", "--format", "jsonl", "--since", "2021-11-09", "--out", str(source), "-v")
    en = invoke(demo, "export", "--format", "jsonl", "--since", "2021-11-09", "--out", str(tmp_path / "en.jsonl"), "-v")
    n = len(source.read_text("utf-8").splitlines())
    assert zh.stderr == f"已写入 {source}（{n} 件工单）\n" and en.stderr.endswith(f"en.jsonl ({n} case(s))\n")
    assert source.read_bytes() == (tmp_path / "en.jsonl").read_bytes()
    assert invoke(demo, "--lang", "zh", "export", "--since", "2021-11-09").stdout == invoke(demo, "export", "--since", "2021-11-09").stdout
    # the store speaks Chinese: no --lang, no JIESU_LANG
    dry = invoke(zh_store, "import", str(source), "--mapping", "jiesu-jsonl", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout == f"cases.jsonl：{n} 行：新增 {n}，更新 0，未变 0，跳过 0（试运行：未写入任何内容）\n"
    english = invoke(zh_store, "--lang", "en", "import", str(source), "--mapping", "jiesu-jsonl", "--dry-run")
    assert english.stdout == f"cases.jsonl: {n} rows: {n} new, 0 updated, 0 unchanged, 0 skipped (dry run: nothing written)\n"
    as_json = [json.loads(invoke(zh_store, *lang, "import", str(source), "--mapping", "jiesu-jsonl", "--dry-run",
                                 "--format", "json").stdout) for lang in (["--lang", "zh"], ["--lang", "en"])]
    for data in as_json:
        data.pop("seconds")
    assert as_json[0] == as_json[1]
    done = invoke(zh_store, "import", str(source), "--mapping", "jiesu-jsonl")
    assert re.fullmatch(rf"cases\.jsonl：{n} 行：新增 {n}，更新 0，未变 0，跳过 0；1 个提交(（每秒 \d+ 行）)?\n", done.stdout), done.stdout
    again = invoke(zh_store, "import", str(source), "--mapping", "jiesu-jsonl")
    assert again.stdout.splitlines() == [f"cases.jsonl：{n} 行：新增 0，更新 0，未变 {n}，跳过 0；0 个提交",
                                         f"全部 {n} 行均已存在且无变化，未做任何改动"]


def test_init_demo_and_verify_in_chinese(tmp_path):
    made = CliRunner().invoke(cli, ["init", str(tmp_path / "a"), "--lang", "zh", "--office", "ZH"])
    assert made.exit_code == 0 and made.stdout == f"已在 {tmp_path / 'a'} 建立存储库 ZH\n"
    made = CliRunner().invoke(cli, ["init", str(tmp_path / "b")])
    assert made.stdout == f"initialised store HL in {tmp_path / 'b'}\n"
    clone = CliRunner().invoke(cli, ["init", str(tmp_path / "c"), "--clone", str(tmp_path / "a"), "--office", "ZC"])
    assert clone.stdout == f"已在 {tmp_path / 'c'} 建立存储库 ZC（克隆自 {tmp_path / 'a'}）\n"
    built = CliRunner().invoke(cli, ["demo", str(tmp_path / "d"), "--days", "2", "--per-day", "3", "--no-reports"],
                               env={"JIESU_LANG": "zh"})
    assert built.exit_code == 0, built.output
    assert re.match(rf"演示存储库已建于 {tmp_path / 'd'}：2 天内 \d+ 件工单、\d+ 次操作（随机种子 12345）\n", built.stdout)
    checked = invoke(Store(tmp_path / "a"), "verify")
    assert checked.stdout.splitlines() == ["actors.yaml:1: 警告：" + checked.stdout.split("警告：")[1].splitlines()[0],
                                           "正常：所有工单有效且已提交"]
    repaired = invoke(Store(tmp_path / "a"), "verify", "--repair")
    assert "注意：没有需要修复的\n" in repaired.stderr
    english = invoke(Store(tmp_path / "a"), "--lang", "en", "verify").stdout
    assert english.startswith("actors.yaml:1: warning: ") and english.endswith("ok: every case is valid and committed\n")
    assert invoke(Store(tmp_path / "a"), "verify", "--format", "json").stdout == \
        invoke(Store(tmp_path / "a"), "--lang", "en", "verify", "--format", "json").stdout


def test_sync_hub_and_archive_in_chinese(tmp_path, monkeypatch):
    from jiesu import ops

    monkeypatch.setenv("JIESU_NOW", "2021-11-10T12:00:00")
    origin = ops.init_store(tmp_path / "origin", office="ZH", name="试点", actor="admin", lang="zh")
    made = CliRunner().invoke(cli, ["init", str(tmp_path / "desk"), "--clone", str(origin.root), "--office", "ZD"])
    assert made.exit_code == 0, made.output
    desk = Store(tmp_path / "desk")
    first = invoke(desk, "sync")
    assert first.stdout == "origin/main 没有新内容\norigin/main 已是最新，无需推送\n", first.output
    case_id = new_case(Cli(origin))
    pulled = invoke(desk, "sync")
    assert pulled.stdout == "快进合入 origin/main 的 1 个提交；1 个工单文件有变化\norigin/main 已是最新，无需推送\n"
    assert invoke(desk, "--lang", "en", "sync").stdout == "nothing new on origin/main\norigin/main already has everything\n"
    other = ops.init_store(tmp_path / "other", office="OT", actor="admin")
    hub = CliRunner().invoke(cli, ["hub", "init", str(tmp_path / "hub"), "--member", f"a={origin.root}",
                                   "--member", f"b={other.root}", "--lang", "zh"])
    assert hub.exit_code == 0, hub.output
    lines = hub.stdout.splitlines()
    assert re.fullmatch(r"a：[0-9a-f]{10}，新增或变化工单文件 1 个，删除 0 个", lines[0])
    assert lines[-1] == f"汇总库已建于 {tmp_path / 'hub'}，含 2 个成员；用“jiesu --store {tmp_path / 'hub'} list”查阅"
    refreshed = invoke(Store(tmp_path / "hub"), "hub", "refresh")
    assert refreshed.stdout.splitlines()[-1] == "汇总库已是最新（没有成员变化）"
    assert invoke(Store(tmp_path / "hub"), "--lang", "en", "hub", "refresh").stdout.endswith("hub up to date (no member changed)\n")
    run = Cli(origin)
    run("reject", case_id, "--reason", "重复")
    monkeypatch.setenv("JIESU_NOW", "2022-03-01T12:00:00")
    archived = invoke(origin, "archive", "--before", "2022-01-01")
    assert archived.exit_code == 0, archived.output
    assert archived.stdout == "已归档 1 件工单（1 件归入 archive/2021）\n"
    back = invoke(origin, "unarchive", case_id)
    assert back.stdout == f"{case_id} 已回到存储库（来自 archive/2021）\n", back.output


def test_theme_checklists_and_kb_in_chinese(demo, zh_store):
    zh = CliRunner().invoke(cli, ["--lang", "zh", "theme", "task", "--help"])
    assert "主题的任务清单：添加、完成、撤销。" in zh.stdout and "示例：" in zh.stdout and "选项：" in zh.stdout
    assert "向任务清单添加一项" in zh.stdout and "checklist" not in zh.stdout
    en = CliRunner().invoke(cli, ["theme", "task", "--help"])
    assert "The theme's tasks checklist: add, done, drop." in en.stdout
    assert [ln for ln in en.stdout.splitlines() if ln.strip().startswith("jiesu ")] == \
        [ln for ln in zh.stdout.splitlines() if ln.strip().startswith("jiesu ")]
    for list_name, word in (("policy", "政策"), ("duty", "责任")):
        for verb, text in (("done", "标为已完成"), ("drop", "撤销")):
            shown = CliRunner().invoke(cli, ["--lang", "zh", "theme", list_name, verb, "--help"]).stdout
            assert f"{word}清单" in shown and text in shown and "[必填]" in shown, shown
        assert "期限（YYYY-MM-DD）" in CliRunner().invoke(cli, ["--lang", "zh", "theme", list_name, "add", "--help"]).stdout
    run = Cli(zh_store)
    theme_id = run("theme", "new", "--title", "电梯", "--year", "2021", "--lead", "housing",
                   "--scope", "category=property.elevator").stdout.strip()
    added = run("theme", "task", "add", theme_id, "--text", "检查电梯", "--due", "2021-12-31")
    item = re.fullmatch(rf"{theme_id}：已添加任务 ([0-9a-f]{{6}}) \([0-9a-f]{{10}}\)\n", added.stdout).group(1)
    assert run("theme", "task", "done", theme_id, item, "--evidence", "报告").stdout.startswith(f"{theme_id}：任务 {item} 已完成")
    assert run("theme", "start", theme_id).stdout.startswith(f"{theme_id}：已启动")
    assert run("--lang", "en", "theme", "note", theme_id, "会议").stdout.startswith(f"{theme_id}: noted (")
    # kb: statuses and the usage table
    allowed = allowed_words(demo)
    zh, en = zh_and_en(demo, "kb", "list", "--all")
    assert zh.stdout.splitlines()[0].split() == ["编号", "版本", "状态", "复核日期", "问题"] and "有效" in zh.stdout
    assert english_left(zh.stdout, allowed) == [] and "active" in en.stdout
    entry = json.loads(invoke(demo, "kb", "list", "--format", "json").stdout)[0]["id"]
    zh, en = zh_and_en(demo, "kb", "show", entry)
    assert re.match(rf"{entry}  第 1 版（共 1 版）  有效", zh.stdout) and "\n答复：\n" in zh.stdout and "有效期：" in zh.stdout
    assert re.match(rf"{entry}  version 1 of 1  active", en.stdout) and "\nAnswer:\n" in en.stdout
    assert invoke(demo, "--lang", "zh", "kb", "show", entry, "--format", "json").stdout == \
        invoke(demo, "kb", "show", entry, "--format", "json").stdout
    zh, en = zh_and_en(demo, "kb", "usage")
    assert zh.stdout.splitlines()[0].split() == ["编号", "答复次数", "再次来电", "再次来电率", "不满意/评价", "问题"]
    assert en.stdout.splitlines()[0].split()[:3] == ["id", "answered", "came"]
    assert english_left(zh.stdout, allowed) == []
    assert invoke(demo, "--lang", "zh", "kb", "usage", "--format", "json").stdout == invoke(demo, "kb", "usage", "--format", "json").stdout


def test_the_overdue_report_is_one_table_grouped_by_unit(demo):
    from jiesu import reporting

    for lang, lead, colon in (("en", "Lead unit", ": "), ("zh", "主办单位", "：")):
        html = reporting.render(demo, "overdue", "html", lang)
        body = html[html.index("<div class=\"kpis\">"):]
        first = body[:body.index("<h2>")]  # the overdue cases, before the due-soon section
        groups = re.findall(r'<tr class="group"><th colspan="7">([^<]*)</th></tr>', first)
        assert first.count("<table") == 1 and len(groups) > 1 and all(g.startswith(lead + colon) for g in groups)
        assert all(g.endswith(")" if lang == "en" else "）") for g in groups)
        md = reporting.render(demo, "overdue", "md", lang).splitlines()
        header = next(i for i, ln in enumerate(md) if ln.startswith("| "))
        assert md[header].startswith(f"| {lead} |") and md[header + 1].startswith("|---|")
        data = json.loads(reporting.render(demo, "overdue", "json", lang))
        rows = md[header + 2:header + 2 + data["count"]]
        assert [r.split(" | ")[1] for r in rows] == [c["id"] for g in data["units"] for c in g["cases"]]
        assert [r.split(" | ")[0][2:] for r in rows] == [g["name"] for g in data["units"] for _c in g["cases"]]
        assert not md[header + 2 + data["count"]].startswith("| ")  # one table for every unit
        assert not [ln for ln in md[:header] if ln.startswith("## ")]  # no heading per unit


def test_click_sentences_in_chinese_are_joined_without_a_space(store):
    zh = invoke(store, "--lang", "zh", "list", "--limt", "3")
    assert zh.exit_code == 2 and "错误：没有选项 '--limt'。您是不是要用 '--limit'、'--unit'？" in zh.stderr
    en = invoke(store, "list", "--limt", "3")
    assert "Error: No such option '--limt'. (Did you mean one of: '--limit', '--unit'?)" in en.stderr
    zh = invoke(store, "--lang", "zh", "list", "--format", "nope")
    assert "'nope' 不是可选值之一：'table'、'json'、'csv'。" in zh.stderr
    zh = invoke(store, "--lang", "zh", "list", "--limit", "x")
    assert "'x' 不是有效的整数范围。" in zh.stderr and "integer" not in zh.stderr
    assert "'x' is not a valid integer range." in invoke(store, "list", "--limit", "x").stderr


def test_rank_explain_in_chinese(demo):
    data = json.loads(invoke(demo, "rank", "--month", "2021-10", "--format", "json").stdout)
    unit = max(data["ranked"] + data["not_ranked"], key=lambda r: r["assessed"])["unit"]
    zh, en = zh_and_en(demo, "rank", "--month", "2021-10", "--explain", unit)
    lines = zh.stdout.splitlines()
    name = demo.catalog.units[unit].name["zh"]
    assert lines[0].startswith(f"{name}（{unit}） — 2021-10，街乡镇级考核：考核 ") and lines[1].startswith("响应 = ")
    assert "日常诉求（daily）" in zh.stdout and "  daily  " not in zh.stdout  # the scheme by its name
    assert lines[2].split()[:4] == ["工单", "方案", "回访接通", "签收"] and lines[-1].startswith("得分 = Σ 贡献 = ")
    assert "是" in zh.stdout and " yes " not in zh.stdout
    assert en.stdout.startswith(f"{unit} — 2021-10, street level: ") and en.stdout.splitlines()[-1].startswith("score = Σ contribution = ")
    args = ("rank", "--month", "2021-10", "--explain", unit, "--format", "json")
    assert invoke(demo, "--lang", "zh", *args).stdout == invoke(demo, *args).stdout
