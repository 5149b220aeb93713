"""The example entries shipped with the default catalog (`jiesu kb add --examples`, `jiesu demo`)."""

from __future__ import annotations

from jiesu.ops.setup import data_dir
from jiesu.store import yamlio


def example_entries() -> list[dict]:
    """The example entries as `kb add` takes them, each marked `example: true`."""
    path = data_dir("knowledge") / "examples.yaml"
    data = yamlio.load_file(path, "knowledge/examples.yaml")
    return [dict(item, example=True) for item in data["entries"]]


def add_for_demo(store, start) -> dict[str, str]:
    """Add the examples to a demo store, valid from the demo's first day (committed at `start`);
    return the entry that answers each category (the first entry naming it)."""
    from jiesu.knowledge import ops

    day = start.astimezone(store.tz).date().isoformat()
    items = [dict(item, valid_from=day) for item in example_entries()]
    answers: dict[str, str] = {}
    for result, item in zip(ops.add(store, "demo", items, at=start), items):
        for code in item.get("categories") or []:
            answers.setdefault(code, result.case_id)
    return answers
