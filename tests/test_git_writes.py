"""Every git write lives in one module, `jiesu/store/gitwrite.py`; the rest of the package only reads git.

The test reads each module's source (ast) and finds every git command it runs — `x.run(…)`,
`x.out(…)`, a local `run(…)`, or `subprocess.run/Popen(["git", …])` — with its subcommand
(after any `-c key=value`), also through a list named by `*args` when that list is written out
in the same function. A subcommand that writes (objects, refs, git's index, config, the work
tree, another repository) outside the write module fails, unless `EXCEPTIONS` names it with
the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "jiesu"
WRITE_MODULE = "jiesu/store/gitwrite.py"

# subcommands that always write
WRITES = {
    "add", "am", "apply", "checkout", "cherry-pick", "clone", "commit", "commit-graph", "commit-tree", "fetch",
    "gc", "index-pack", "init", "merge", "mktag", "mktree", "mv", "notes", "pack-objects", "prune", "pull", "push",
    "read-tree", "rebase", "repack", "replace", "reset", "restore", "revert", "rm", "stash", "switch", "tag",
    "unpack-objects", "update-index", "update-ref", "write-tree",
}
CONFIG_READS = {"--get", "--get-all", "--get-regexp", "--list", "-l", "--show-origin"}
BRANCH_WRITES = {"-d", "-D", "-m", "-M", "-c", "-C", "--delete", "--move", "--copy", "-u", "--set-upstream-to",
                 "--unset-upstream", "-f", "--force"}

# (module, subcommand) → why that write stays outside the write module: none today
EXCEPTIONS: dict = {}


def writes(args: list) -> bool:
    """Does `git args…` write? `args` holds strings, and None where the value is not written out."""
    if not args or not isinstance(args[0], str):
        return False
    sub, rest = args[0], args[1:]
    if sub in WRITES:
        return True
    if sub == "hash-object":
        return "-w" in rest
    if sub == "config":
        return not CONFIG_READS & set(rest) and len([a for a in rest if a is None or not a.startswith("-")]) >= 2
    if sub == "branch":
        return bool(BRANCH_WRITES & set(rest)) or any(a is None or not a.startswith("-") for a in rest)
    if sub == "symbolic-ref":
        return "-d" in rest or "--delete" in rest or len([a for a in rest if a is None or not a.startswith("-")]) >= 2
    if sub == "reflog":
        return bool(rest) and rest[0] in ("expire", "delete")
    if sub == "remote":
        return bool(rest) and rest[0] in ("add", "remove", "rm", "rename", "set-url", "set-head", "set-branches", "prune")
    return False


def _literal(node) -> list:
    """The elements of a list or tuple written out: strings, or None for any other value."""
    return [e.value if isinstance(e, ast.Constant) and isinstance(e.value, str) else None for e in node.elts]


def _lists(scope) -> dict:
    """name → elements of the first list or tuple literal (or sum starting with one) assigned to it in this function."""
    found: dict = {}
    for node in ast.walk(scope):
        if not isinstance(node, ast.Assign):
            continue
        value = node.value
        while isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):  # ["push", …] + […]: its start
            value = value.left
        if isinstance(value, (ast.List, ast.Tuple)):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, _literal(value))
    return found


def _git_args(call: ast.Call, lists: dict) -> list | None:
    """The arguments after `git` of a call that runs git, or None if it is no such call."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name in ("Popen", "check_output", "check_call", "call") or (name == "run" and call.args
                                                                     and isinstance(call.args[0], ast.List)):
        first = call.args[0] if call.args else None
        if not isinstance(first, ast.List) or not first.elts or _literal(first)[0] != "git":
            return None
        parts = first.elts[1:]
    elif name in ("run", "out"):
        parts = call.args
    else:
        return None
    args: list = []
    for part in parts:
        if isinstance(part, ast.Starred):
            if isinstance(part.value, ast.Name) and part.value.id in lists:
                args += lists[part.value.id]
            else:
                args.append(None)
        elif isinstance(part, ast.Constant) and isinstance(part.value, str):
            args.append(part.value)
        else:
            args.append(None)
    while len(args) >= 2 and args[0] in ("-c", "-C"):
        args = args[2:]
    return args


def git_writes(source: str) -> list[tuple[int, str]]:
    """(line, subcommand) of every git write the source runs."""
    tree = ast.parse(source)
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    owner = {}
    for scope in scopes:  # the innermost function holding each call (walk order: outer before inner)
        for node in ast.walk(scope):
            owner[node] = scope
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            args = _git_args(node, _lists(owner.get(node, tree)))
            if args is not None and writes(args):
                found.append((node.lineno, args[0]))
    return found


def test_only_the_write_module_writes_to_git():
    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel == WRITE_MODULE:
            continue
        for line, sub in git_writes(path.read_text(encoding="utf-8")):
            if (rel, sub) not in EXCEPTIONS:
                outside.append(f"{rel}:{line}: git {sub}")
    assert not outside, "git writes outside jiesu/store/gitwrite.py (move them there):\n" + "\n".join(outside)


def test_the_exceptions_are_still_needed():
    present = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        present |= {(rel, sub) for _, sub in git_writes(path.read_text(encoding="utf-8"))}
    assert not set(EXCEPTIONS) - present, f"no longer written there, remove: {sorted(set(EXCEPTIONS) - present)}"


def test_the_scan_sees_the_write_module_write():
    """The scan is not blind: it finds the writes the write module makes, in each form they take."""
    subs = {sub for _, sub in git_writes((PACKAGE.parent / WRITE_MODULE).read_text(encoding="utf-8"))}
    assert {"update-index", "update-ref", "commit-tree", "init", "config", "fetch", "merge", "push", "reset",
            "read-tree", "hash-object", "commit", "commit-graph", "checkout", "branch", "reflog", "gc"} <= subs


def test_the_scan_reads_each_way_of_running_git():
    source = '''
import subprocess
def f(git, store, remote):
    git.run("status", "--porcelain")
    git.run("config", "--get", "user.name")
    store.git.out("-c", "core.quotePath=false", "update-ref", "HEAD", "abc")
    args = ["push", "--porcelain"] + [remote]
    git.run(*args, check=False)
    subprocess.Popen(["git", "commit-graph", "write"])
    git.run("config", "jiesu.office", remote)
    git.run("branch", "-r")
    git.run("symbolic-ref", "-q", "--short", "HEAD")
'''
    assert git_writes(source) == [(6, "update-ref"), (8, "push"), (9, "commit-graph"), (10, "config")]
