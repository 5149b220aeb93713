"""The package's imports point one way: down this list of layers, never up (lazy imports included).

A module belongs to the layer of the longest prefix that names it. Within a layer any import is
allowed; an import of a higher layer fails this test, naming the file, the line and both layers.
Run it alone to see the layers and every edge between them:
`python -m pytest -q tests/test_layers.py -s`.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "jiesu"

# top first; each layer may import itself and the layers below it
LAYERS = [
    ("cli", ["jiesu.cli", "jiesu.__main__"]),
    ("operations", ["jiesu.ops", "jiesu.reporting", "jiesu.interop", "jiesu.demo", "jiesu.hub.compose", "jiesu.repair",
                    "jiesu.themes.ops", "jiesu.themes.demo", "jiesu.knowledge.ops", "jiesu.knowledge.examples"]),
    ("read side", ["jiesu.queries", "jiesu.views", "jiesu.assessment", "jiesu.summary", "jiesu.verify", "jiesu.audit",
                   "jiesu.history", "jiesu.index", "jiesu.catalog_listing", "jiesu.case_clocks", "jiesu.governance",
                   "jiesu.knowledge", "jiesu.themes", "jiesu.archive", "jiesu.actors", "jiesu.attachments", "jiesu.signatures"]),
    ("rules", ["jiesu.workflow", "jiesu.model", "jiesu.working_time", "jiesu.catalog", "jiesu.metrics", "jiesu.priority",
               "jiesu.handling_view", "jiesu.skew", "jiesu.resolve", "jiesu.search", "jiesu.textcheck", "jiesu.evidence",
               "jiesu.merge_driver"]),
    # files, git, lock, YAML; the private record (privacy.py) and a hub's members are kept by the store
    ("store", ["jiesu.store", "jiesu.privacy", "jiesu.hub"]),
    ("helpers", ["jiesu.timeutil", "jiesu.keys", "jiesu.errors", "jiesu.problems", "jiesu.faults", "jiesu.safetext", "jiesu.textwidth",
                 "jiesu.safecsv", "jiesu.redact", "jiesu"]),
]

PENDING: set = set()  # upward edges tolerated for now: none


def layer_of(module: str) -> int:
    best, found = -1, None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), rank
    assert found is not None, f"{module} is in no layer; add it to LAYERS"
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path):
    """(line, imported module) of every import in the file, at any depth."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            for alias in node.names:  # `from jiesu import ops` imports the module jiesu.ops
                sub = f"{name}.{alias.name}"
                yield node.lineno, sub if _is_module(sub) else name


def _is_module(name: str) -> bool:
    path = PACKAGE.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def edges():
    for path in sorted(PACKAGE.rglob("*.py")):
        source = module_name(path)
        for line, target in imports(path):
            if target == "jiesu" or target.startswith("jiesu."):
                yield path, line, source, target


def test_imports_point_down_the_layers():
    upward, between = [], Counter()
    for path, line, source, target in edges():
        low, high = layer_of(source), layer_of(target)
        between[(LAYERS[low][0], LAYERS[high][0])] += 1
        if high < low and (source, target) not in PENDING:
            upward.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {source} ({LAYERS[low][0]}) imports "
                          f"{target} ({LAYERS[high][0]})")
    print("\nimports between layers (from → to: count):")
    for (a, b), n in sorted(between.items(), key=lambda kv: ([n for n, _ in LAYERS].index(kv[0][0]), [n for n, _ in LAYERS].index(kv[0][1]))):
        print(f"  {a} → {b}: {n}")
    assert not upward, "imports that go up the layers:\n" + "\n".join(upward)


def test_pending_edges_still_exist():
    """A pending edge that is gone must leave the list, so that it cannot come back unnoticed."""
    present = {(source, target) for _, _, source, target in edges()}
    assert not PENDING - present, f"no longer imported, remove from PENDING: {sorted(PENDING - present)}"


def test_every_module_has_a_layer():
    for path in PACKAGE.rglob("*.py"):
        layer_of(module_name(path))
