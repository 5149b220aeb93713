"""Theme files on disk: find, read for display, read for editing, and the YAML shape of `state`."""

from __future__ import annotations

from pathlib import Path

from jiesu.errors import CaseNotFound, StoreError
from jiesu.store import yamlio
from jiesu.themes import record


class ThemeNotFound(CaseNotFound):
    """No theme with that id exists in the store."""


def theme_path(store, theme_id: str) -> tuple[Path, str]:
    """(path, store-relative path) of an existing theme file."""
    rel = record.relpath(record.validate_id(theme_id))
    missing = ThemeNotFound(f"no theme {theme_id} in this store", hint="list themes with `jiesu theme list`")
    return store.checked_file(rel, "theme", missing)


def load_theme(store, theme_id: str) -> dict:
    """A theme as plain data, through the fast safe loader."""
    path, rel = theme_path(store, theme_id)
    data = yamlio.load_file(path, rel)
    if not isinstance(data, dict):
        raise StoreError(f"{rel}:1: a theme file must be a mapping")
    return data


def edit_theme(store, theme_id: str):
    """(round-trip document, plain data, store-relative path) of a theme, for editing."""
    path, rel = theme_path(store, theme_id)
    return (*store.edit_file(path, rel, "theme"), rel)


def theme_files(root: Path) -> list[str]:
    """Store-relative paths of every file under themes/ (sorted)."""
    base = root / "themes"
    if not base.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in base.rglob("*") if (p.is_file() or p.is_symlink()) and p.name != ".gitkeep")


def all_themes(store) -> list[dict]:
    """Every readable theme of the store (unreadable files are `verify`'s business)."""
    out = []
    for rel in theme_files(store.root):
        path = store.root / rel
        if path.is_symlink() or not rel.endswith(".yaml"):
            continue
        try:
            data = yamlio.load_file(path, rel)
        except (yamlio.YamlProblem, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and record.is_theme_id(data.get("id")) and isinstance(data.get("events"), list):
            out.append(data)
    return sorted(out, key=lambda t: t["id"])


def state_node(state: dict):
    """The `state` block for the file: checklist items one flow line each, links in a flow list."""
    from jiesu.ops.common import event_node

    pairs = []
    for key, value in state.items():
        if key == "links":
            value = yamlio.cseq(value, flow=True)
        elif key in record.LISTS.values():
            value = yamlio.cseq([event_node(item) for item in value])
        elif key == "plan":
            value = event_node(value)
        elif isinstance(value, str):
            value = yamlio.block_text(value)
        pairs.append((key, value))
    return yamlio.cmap(pairs)


def refresh_state(doc, theme: dict) -> dict:
    """Recompute the projection from the events and put it into the document."""
    state = record.state_block(theme)
    theme["state"] = state
    doc["state"] = state_node(state)
    return state
