"""What the kinds of record other than the case (themes, knowledge entries) share: which folder
holds each kind, listing and reading its files, and the merge-driver line of `.gitattributes`."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from jiesu.i18n import _
from jiesu.store import yamlio

# folder → module holding the kind's `KIND` (first action, replay, state) for the merge driver
FOLDERS = {"themes": "jiesu.themes.record", "knowledge": "jiesu.knowledge.record"}


def kind_for(path: str):
    """The record kind of a store-relative path, or None (a case)."""
    top = str(path).replace("\\", "/").split("/", 1)[0]
    module = FOLDERS.get(top)
    return import_module(module).KIND if module else None


def record_files(root: Path, folder: str) -> list[str]:
    """Store-relative paths of every file under `folder` (sorted)."""
    base = root / folder
    if not base.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in base.rglob("*")
                  if (p.is_file() or p.is_symlink()) and p.name != ".gitkeep")


def readable_records(store, folder: str, is_id) -> list[dict]:
    """Every readable record under `folder` whose `id` passes `is_id` (unreadable files are
    `verify`'s business), sorted by id."""
    out = []
    for rel in record_files(store.root, folder):
        path = store.root / rel
        if path.is_symlink() or not rel.endswith(".yaml"):
            continue
        try:
            data = yamlio.load_file(path, rel)
        except (yamlio.YamlProblem, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and is_id(data.get("id")) and isinstance(data.get("events"), list):
            out.append(data)
    return sorted(out, key=lambda r: r["id"])


def attributes_with(store, line: str) -> str | None:
    """`.gitattributes` with `line` added, or None when it is there already."""
    path = store.root / ".gitattributes"
    text = path.read_text("utf-8") if path.is_file() else ""
    if any(existing.strip() == line for existing in text.splitlines()):
        return None
    return text + ("" if not text or text.endswith("\n") else "\n") + line + "\n"


# --- replaying events -------------------------------------------------------------------------------

class ReplayError(ValueError):
    """An event that cannot apply at its place in the list (index, reason)."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index = index


def check_transition(table: dict, state: dict, event: dict, noun: str) -> str | None:
    """Why `event`'s action may not follow the record's status by the kind's transition `table`
    (action: (statuses it may follow, statuses it leads to)); None when it may."""
    action = event.get("action")
    if action not in table:
        return _('unknown action {action!r}').format(action=action)
    allowed = table[action][0]
    if state["status"] not in allowed and not (action == "new" and state["status"] is None):
        refused = {"entry": _('{action} is not allowed when the entry is {status}'),
                   "theme": _('{action} is not allowed when the theme is {status}')}[noun]
        return refused.format(action=action, status=state['status'] or 'new')
    return None


def take_status(table: dict, state: dict, action: str) -> None:
    """The status after `action` (applied): the one its table row leads to; with none, it stays."""
    targets = table[action][1]
    if targets:
        state["status"] = targets[0]


def replay(data: dict, new_state, check, apply, strict: bool = False) -> dict:
    """The state a record's events produce (superseded events skipped): `check(state, event)` says
    why an event cannot apply (None when it can), `apply` applies it. With `strict`, an event that
    cannot apply raises ReplayError naming it (for `verify`); otherwise it is skipped."""
    state = new_state()
    for index, event in enumerate(data.get("events") or []):
        if not isinstance(event, dict) or event.get("superseded"):
            continue
        problem = check(state, event)
        if problem:
            if strict:
                raise ReplayError(index, problem)
            continue
        apply(state, event)
    return state


class Kind:
    """A kind of record for the merge driver: its first action, replay step and `state` block."""

    first_action = "new"

    def __init__(self, name: str, new_state, check, apply, state_block, state_node):
        self.name = name
        self.new_state = new_state
        self._check, self._apply, self._block, self.state_node = check, apply, state_block, state_node

    def step(self, state: dict, event: dict) -> bool:
        """Apply `event` if it may follow `state`; False when it may not (then it is superseded)."""
        if self._check(state, event) is not None:
            return False
        self._apply(state, event)
        return True

    def state_block(self, data: dict, store=None) -> dict:
        return self._block(data)


def load_plain(store, rel: str, kind: str, missing: Exception) -> dict:
    """A record file as plain data, through the fast safe loader (a mapping, or StoreError)."""
    from jiesu.errors import StoreError

    path, rel = store.checked_file(rel, kind, missing)
    data = yamlio.load_file(path, rel)
    if not isinstance(data, dict):
        raise StoreError(_('{rel}:1: a {kind} file must be a mapping').format(rel=rel, kind=kind))
    return data


def checked_id(value, parse, what: str, form: str) -> str:
    """An id checked by `parse` (None when it does not fit) before it touches a path."""
    from jiesu.errors import InvalidInput

    text = str(value).strip()
    if not parse(text):
        shown = text if len(text) < 60 and text.isprintable() else repr(text[:60])
        raise InvalidInput(_('{what} id {shown!r}: expected {form}').format(what=what, shown=shown, form=form))
    return text


def refresh_state(doc, data: dict, state_block, state_node) -> dict:
    """Recompute a record's projection from its events and put it into the document."""
    state = state_block(data)
    data["state"] = state
    doc["state"] = state_node(state)
    return state
