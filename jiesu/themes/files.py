"""Theme files on disk: find, read for display, read for editing, and the YAML shape of `state`."""

from __future__ import annotations

from pathlib import Path

from jiesu.errors import CaseNotFound
from jiesu.i18n import _
from jiesu.store import records, yamlio
from jiesu.themes import record


class ThemeNotFound(CaseNotFound):
    """No theme with that id exists in the store."""


def theme_path(store, theme_id: str) -> tuple[Path, str]:
    """(path, store-relative path) of an existing theme file."""
    return store.checked_file(record.relpath(record.validate_id(theme_id)), "theme", _missing(theme_id))


def _missing(theme_id: str) -> ThemeNotFound:
    return ThemeNotFound(_('no theme {theme_id} in this store').format(theme_id=theme_id), hint=_('list themes with `jiesu theme list`'))


def load_theme(store, theme_id: str) -> dict:
    """A theme as plain data, through the fast safe loader."""
    rel = record.relpath(record.validate_id(theme_id))
    return records.load_plain(store, rel, "theme", _missing(theme_id))


def edit_theme(store, theme_id: str):
    """(round-trip document, plain data, store-relative path) of a theme, for editing."""
    path, rel = theme_path(store, theme_id)
    return (*store.edit_file(path, rel, "theme"), rel)


def theme_files(root: Path) -> list[str]:
    """Store-relative paths of every file under themes/ (sorted)."""
    return records.record_files(root, "themes")


def all_themes(store) -> list[dict]:
    """Every readable theme of the store (unreadable files are `verify`'s business)."""
    return records.readable_records(store, "themes", record.is_theme_id)


def state_node(state: dict):
    """The `state` block for the file: checklist items one flow line each, links in a flow list."""
    from jiesu.store.case_layout import event_node

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
    return records.refresh_state(doc, theme, record.state_block, state_node)
