"""Knowledge files on disk: find, read for display, read for editing, and the YAML shape of `state`."""

from __future__ import annotations

from pathlib import Path

from jiesu.errors import CaseNotFound
from jiesu.i18n import _
from jiesu.knowledge import record
from jiesu.store import records, yamlio

FOLDER = "knowledge"


class EntryNotFound(CaseNotFound):
    """No knowledge entry with that id exists in the store."""


def entry_path(store, entry_id: str) -> tuple[Path, str]:
    """(path, store-relative path) of an existing entry file."""
    return store.checked_file(record.relpath(entry_id), "knowledge", _missing(entry_id))


def _missing(entry_id: str) -> EntryNotFound:
    return EntryNotFound(_('no knowledge entry {entry_id} in this store').format(entry_id=entry_id), hint=_('list entries with `jiesu kb list`'))


def load_entry(store, entry_id: str) -> dict:
    """An entry as plain data, through the fast safe loader."""
    return records.load_plain(store, record.relpath(entry_id), "knowledge", _missing(entry_id))


def edit_entry(store, entry_id: str):
    """(round-trip document, plain data, store-relative path) of an entry, for editing."""
    path, rel = entry_path(store, entry_id)
    return (*store.edit_file(path, rel, "knowledge"), rel)


def entry_files(root: Path) -> list[str]:
    return records.record_files(root, FOLDER)


def all_entries(store) -> list[dict]:
    """Every readable entry of the store, by id."""
    return records.readable_records(store, FOLDER, record.is_entry_id)


def state_node(state: dict):
    """The `state` block for the file: short lists in flow style, sources one flow line each."""
    pairs = []
    for key, value in state.items():
        if key == "sources":
            value = yamlio.cseq([yamlio.cmap(s.items(), flow=True) for s in value])
        elif key == "questions":
            value = yamlio.cseq(list(value))
        elif isinstance(value, list):
            value = yamlio.cseq(value, flow=True)
        elif isinstance(value, str) and "\n" in value:
            value = yamlio.block_text(value)
        pairs.append((key, value))
    return yamlio.cmap(pairs)


def refresh_state(doc, entry: dict) -> dict:
    return records.refresh_state(doc, entry, record.state_block, state_node)
