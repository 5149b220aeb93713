"""The README's generated tables: the state machine from `jiesu.workflow.TABLE` and the time-limit
classes from `catalog/time-limits.yaml`. Each sits between `<!-- generated: NAME -->` and
`<!-- end generated -->`; `python tools/readme_tables.py` rewrites them, and
`tests/test_docs.py` fails when the README differs from what this script writes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from jiesu import workflow

REPO = Path(__file__).resolve().parent.parent

# what a row says beyond the table's data: an annotation after a source status, after the target
FROM_NOTES = {("close", "received"): "(answered on the call)"}
AFTER_CLOSE_NOTE = "with `--statistics-only`"  # amend after close (workflow.AFTER_CLOSE)
ROW_NOTES = {
    "assign": "(a re-assignment starts a new acceptance clock)",
    "return": "(the unit disputes the assignment)",
    "extend": "— never past the class's `extendable_to`",
    "merge": "(the target case gets a note)",
    "respond": "— a unit called by `escalate` reports for duty",
}
# how the action's apply function (jiesu.model.APPLY) picks between its two targets
CHOICES = {
    "close": "{}, or **{}** when the class or type requires review",
    "review": "{} (`--approve`) or {} (`--send-back`)",
    "reopen": "{} (same lead, new time limit) or {}",
}


def _sources(action: str, sources: frozenset) -> str:
    if not sources:
        return "—"
    if sources == frozenset(workflow.STATUSES) - {"merged"}:
        return "any but merged"
    ordered = [s for s in workflow.STATUSES if s in sources]
    if action == "amend":
        before = [s for s in ordered if s not in workflow.AFTER_CLOSE]
        after = [s for s in ordered if s in workflow.AFTER_CLOSE]
        return f"{', '.join(before)}; {', '.join(after)} {AFTER_CLOSE_NOTE}"
    return ", ".join(f"{s} {FROM_NOTES[(action, s)]}" if (action, s) in FROM_NOTES else s for s in ordered)


def state_table() -> str:
    """| action | allowed from | to | — one row per action, actions with the same row joined."""
    rows: dict[tuple[str, str], list[str]] = {}
    for action, (sources, target) in workflow.TABLE.items():
        to = CHOICES[action].format(*target) if len(target) > 1 else target[0] if target else "(same)"
        if action in ROW_NOTES:
            to = f"{to} {ROW_NOTES[action]}"
        rows.setdefault((_sources(action, sources), to), []).append(action)
    lines = ["| action | allowed from | to |", "|---|---|---|"]
    lines += [f"| {', '.join(actions)} | {src} | {to} |" for (src, to), actions in rows.items()]
    return "\n".join(lines)


def time_limit_table(path: Path = REPO / "catalog" / "time-limits.yaml") -> str:
    """| class | limit | extendable to | accept within | contact within | — one row per class."""
    doc = yaml.safe_load(path.read_text("utf-8"))

    def cell(entry, key):
        value = entry.get(key)
        return "—" if value in (None, "none") else str(value)

    lines = ["| class | limit | extendable to | accept within | contact within |", "|---|---|---|---|---|"]
    for e in doc["classes"]:
        lines.append(f"| {e['code']} | {cell(e, 'limit')} | {cell(e, 'extendable_to')} | {cell(e, 'accept_within')} | "
                     f"{cell(e, 'contact_within')} |")
    return "\n".join(lines)


TABLES = {"state-machine": state_table, "time-limits": time_limit_table}
_BLOCK = re.compile(r"(<!-- generated: ([a-z-]+) -->\n).*?(\n<!-- end generated -->)", re.S)


def render(text: str) -> str:
    """`text` with every generated block rewritten from its source."""
    return _BLOCK.sub(lambda m: m.group(1) + TABLES[m.group(2)]() + m.group(3), text)


if __name__ == "__main__":
    readme = REPO / "README.md"
    old = readme.read_text("utf-8")
    new = render(old)
    if new != old:
        readme.write_text(new, "utf-8")
    print("README.md " + ("rewritten" if new != old else "unchanged"))
    sys.exit(0)
