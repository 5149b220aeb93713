"""The example entries shipped with the default catalog (`jiesu kb add --examples`, `jiesu demo`)."""

from __future__ import annotations

from jiesu.ops.setup import data_dir
from jiesu.store import yamlio


def example_entries() -> list[dict]:
    """The example entries as `kb add` takes them, each marked `example: true`."""
    path = data_dir("knowledge") / "examples.yaml"
    data = yamlio.load_file(path, "knowledge/examples.yaml")
    return [dict(item, example=True) for item in data["entries"]]
