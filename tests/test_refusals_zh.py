"""Every refusal a user can cause reaches an operator in Chinese when the language is zh.

The message of every `raise`, every `verify` and catalog problem, every mapping-file problem and
every hint is an English message id wrapped in `_()` (placeholders named, `.format` after the
lookup), so the catalog translates it; a walk over the package's syntax keeps it so. The command
line, in a real store made by `jiesu init`, then speaks Chinese for refusals of the store, sync,
import mappings, times and theme scopes, with the same exit codes as in English.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from conftest import REPO

PACKAGE = REPO / "jiesu"

# the message argument of the calls that build a problem a person reads (position of the message)
MESSAGE_ARG = {"Problem": 2, "YamlProblem": 2, "bad": 0, "fail": 2}
# an exception made (raised, returned or kept) with a message and an optional hint
EXCEPTION = ("Error", "Input", "Conflict", "Mistake", "NotFound", "Locked", "Failed", "NoZone", "Transition",
             "Unsupported", "ReadOnly", "Aborted")

# raises left in English, by file:function, and why: none of them reaches a person
LEFT_IN_ENGLISH = {
    "store/fastyaml.py:*": "ValueError that makes the fast YAML reader fall back to the full parser",
    "store/gitwrite.py:tree_items": "ValueError of the git object reader on the store's own objects: a broken repository",
    "store/gitwrite.py:commit_tree": "ValueError of the git object reader on the store's own objects: a broken repository",
    "store/gitwrite.py:finish_staging": "git's own failure text, carried into a note that is translated where it is shown",
    "timeutil.py:load": "ValueError on a time verify already checked; verify reports the field itself",
    "interop/mapping.py:parse_time": "ValueError the importer catches and reports as the row's own problem",
    "store/__init__.py:catalog": "RuntimeError: a programming error (no catalog loader imported)",
    "working_time.py:add_working": "AssertionError: unreachable",
    "index/__init__.py:connect": "AssertionError: unreachable",
}


def _has_words(node) -> bool:
    """A text a person reads: a string with letters, or an f-string whose fixed parts have letters."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(c.isalpha() for c in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(_has_words(v) for v in node.values if isinstance(v, ast.Constant))
    return False


def _call_name(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _messages(tree, catalog=False):
    """(node, message node, what) for every raise, problem, mapping failure and hint in a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            yield node, node.exc.args[0], "raise"
        if isinstance(node, ast.Call):
            name = _call_name(node)
            at = MESSAGE_ARG.get(name)
            if catalog and name == "add" and len(node.args) == 3:
                at = 2  # the catalog loader's problems.add(file, line, message)
            if at is not None and len(node.args) > at:
                yield node, node.args[at], name
            if name and name.endswith(EXCEPTION) and name not in MESSAGE_ARG:
                for arg, what in zip(node.args[:2], (name, "hint")):
                    yield node, arg, what
            for kw in node.keywords:
                if kw.arg == "hint":
                    yield node, kw.value, "hint"


def _functions(tree) -> dict:
    """{node: name of the innermost function holding it}."""
    owner = {}

    def visit(node, name):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else name
            owner[child] = inner
            visit(child, inner)

    visit(tree, "<module>")
    return owner


def untranslated():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text("utf-8"))
        owner = _functions(tree)
        for node, message, what in _messages(tree, catalog=rel.startswith("catalog/")):
            if not _has_words(message):
                continue  # `_()`, a variable, or only placeholders and punctuation
            where = f"{rel}:{owner.get(node, '<module>')}"
            if where in LEFT_IN_ENGLISH or f"{rel}:*" in LEFT_IN_ENGLISH:
                continue
            found.append(f"{rel}:{node.lineno} ({what} in {where})")
    return found


def test_every_message_a_user_can_cause_goes_through_the_catalog():
    assert untranslated() == [], "wrap these in _('english {name}').format(name=...) or list them in LEFT_IN_ENGLISH"


def test_the_english_list_names_real_functions_that_still_raise_english():
    for where in LEFT_IN_ENGLISH:
        rel, function = where.split(":")
        tree = ast.parse((PACKAGE / rel).read_text("utf-8"))
        owner = _functions(tree)
        raising = {owner[n] for n, m, what in _messages(tree) if what != "hint" and _has_words(m)}
        assert raising and (function == "*" or function in raising), f"{where}: nothing left in English there"


def test_a_function_that_translates_never_binds_the_name_underscore():
    """`for _, x in …` inside a function that calls `_()` makes `_` local: the refusal would crash."""
    import symtable

    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text("utf-8")
        tree = ast.parse(source)
        functions = {n.lineno: n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}

        def walk(table):
            if table.get_type() == "function" and table.get_lineno() in functions:
                try:
                    local = table.lookup("_").is_assigned() and not table.lookup("_").is_imported()
                except KeyError:
                    local = False
                fn = functions[table.get_lineno()]
                calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
                            for n in ast.walk(fn))
                if local and calls:
                    wrong.append(f"{path.relative_to(REPO)}:{fn.name}")
            for child in table.get_children():
                walk(child)

        walk(symtable.symtable(source, str(path), "exec"))
    assert wrong == []


# -- the command line, in a real store ------------------------------------------------------------


def jiesu(cwd, *args, lang="zh"):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "JIESU_ACTOR": "admin", "JIESU_LANG": lang,
           "JIESU_NOW": "2021-11-10T12:00:00", "LANG": "C.UTF-8"}
    return subprocess.run([sys.executable, "-m", "jiesu", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def office(tmp_path):
    made = jiesu(tmp_path, "init", "office", "--office", "HL")
    assert made.returncode == 0, made.stderr
    return tmp_path / "office"


def both(cwd, *args, refused=True):
    zh, en = jiesu(cwd, *args), jiesu(cwd, *args, lang="en")
    assert en.stderr.startswith("error: ") or not refused
    assert "Traceback" not in en.stderr + zh.stderr
    assert zh.returncode == en.returncode
    return zh, en


def test_store_refusals_in_chinese(office):
    zh, en = both(office, "show", "HL-2111-0001")
    assert zh.returncode == 1
    assert zh.stderr.splitlines()[0] == "错误：本存储库中没有工单 HL-2111-0001"
    zh, _en = both(office.parent, "--store", office.parent / "nowhere", "list")
    assert zh.returncode == 1 and zh.stderr.startswith("错误：") and "不是 jiesu 存储库（没有 jiesu.yaml）" in zh.stderr
    assert "提示：创建方法：`jiesu init DIR`" in zh.stderr


def test_sync_with_an_unknown_remote_in_chinese(office):
    zh, en = both(office, "sync", "nosuch")
    assert zh.returncode == en.returncode == 1
    assert en.stderr.splitlines()[0] == "error: REMOTE: no remote named 'nosuch' (this store's remotes: none)"
    assert zh.stderr.splitlines() == ["错误：REMOTE：没有名为 'nosuch' 的远程库（本存储库的远程库：无）",
                                      "提示：添加方法：git remote add nosuch URL"]


def test_a_bad_mapping_line_in_chinese_keeps_its_file_and_line(office, tmp_path):
    (tmp_path / "map.yaml").write_text("system: foo\nformat: csv\nbogus: 1\n", encoding="utf-8")
    (tmp_path / "in.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    zh, en = both(office, "import", tmp_path / "in.csv", "--mapping", tmp_path / "map.yaml")
    assert zh.returncode == 1
    assert en.stderr.startswith(f"error: {tmp_path / 'map.yaml'}:3: unknown key 'bogus'; allowed: system, ")
    assert zh.stderr.startswith(f"错误：{tmp_path / 'map.yaml'}:3: 未知的键 'bogus'；可选：system, ")
    assert not list((office / "cases").rglob("*.yaml"))


def test_a_bad_time_in_chinese(office):
    zh, en = both(office, "overdue", "--as-of", "garbage")
    assert zh.returncode == 1
    assert zh.stderr == ("错误：--as-of：'garbage' 不是时间；请使用 ISO 8601，如 2021-11-02T10:02 "
                         "或 2021-11-02T10:02:00+08:00\n")


def test_theme_scope_refusals_in_chinese(office):
    argv = ("theme", "new", "--title", "Garbage", "--year", "2026", "--month", "1", "--lead", "dragon-gate/eternal-town")
    zh, en = both(office, *argv, "--scope", "foo")
    assert zh.returncode == 1
    assert en.stderr.startswith("error: --scope: 'foo': expected KEY=VALUE with KEY one of category, district")
    assert zh.stderr.startswith("错误：--scope：'foo'：应为 KEY=VALUE，KEY 为 category, district")
    zh, en = both(office, *argv, "--scope", "tag=nosuch")
    assert zh.stderr.startswith("错误：--scope：tag=nosuch：未知标签；可选：")
    assert not (office / "themes").exists() or not list((office / "themes").rglob("*.yaml"))


def test_verify_problems_in_chinese_keep_path_and_line(office):
    stray = office / "cases" / "2021" / "11" / "notes.txt"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text("x\n", encoding="utf-8")
    zh, en = both(office, "verify", refused=False)
    assert zh.returncode == en.returncode == 1
    assert "cases/2021/11/notes.txt:1: 不是工单文件（应为 cases/YYYY/MM/<ID>.yaml）\n" in zh.stdout
    assert "cases/2021/11/notes.txt:1: not a case file (expected cases/YYYY/MM/<ID>.yaml)\n" in en.stdout
    assert "actors.yaml:1: 警告：没有 actors.yaml：任何人都可以代表任何单位操作" in zh.stdout
    assert "actors.yaml:1: warning: no actors.yaml: anyone may act as any unit" in en.stdout
