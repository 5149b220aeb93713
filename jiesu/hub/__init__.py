"""A hub: one read-only store that shows the cases of many member stores (DESIGN §11).

A city runs one store per district or office, each with its own remote. The hub fetches every
member (`git fetch` of the member's HEAD into `refs/hub/<member>/head`; never a merge, never a
write to a member) and composes one tree of its own: the members' `cases/` side by side (case ids
carry the office code, so paths never collide), the catalog of the first member, and the hub's
own `jiesu.yaml`. That tree is the hub's HEAD commit and is checked out, so every reading command
(`list`, `show`, `overdue`, `rank`, `report`, `export`…) works unchanged, and the read index,
which follows HEAD by `git diff-tree`, is brought up to date incrementally after each refresh.

This module holds what reading and refusing need: the members of a hub and which member holds a
case. `jiesu.hub.compose` fetches and composes.
"""

from __future__ import annotations

import re

from jiesu.errors import StoreError
from jiesu.i18n import _

MEMBER = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STATE = "jiesu-hub.json"  # inside .git: the members' composed commits and office codes


class HubReadOnly(StoreError):
    """A write was attempted in a hub."""


def members(store) -> list[dict]:
    """The hub's members as [{name, url}] (empty for an ordinary store)."""
    hub = store.settings.get("hub")
    if not isinstance(hub, dict):
        return []
    return [m for m in hub.get("members") or [] if isinstance(m, dict) and m.get("name")]


def is_hub(store) -> bool:
    return bool(members(store))


def offices(store) -> dict:
    """office code → member name, as found at the last refresh."""
    import json

    path = store.root / ".git" / STATE
    try:
        state = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for name, info in (state.get("members") or {}).items():
        for office in info.get("offices") or []:
            out[office] = name
    return out


def member_of(case_id: str | None, table: dict) -> str | None:
    """The member holding case `case_id` (by its office code), from an `offices()` table."""
    if not case_id or "-" not in str(case_id):
        return None
    return table.get(str(case_id).split("-", 1)[0])


def refusal(store, case_ids=()) -> HubReadOnly:
    """The error for a write in a hub: which member to write in, and where it is."""
    urls = {m["name"]: m.get("url") for m in members(store)}
    table = offices(store)
    for case_id in case_ids:
        name = member_of(case_id, table)
        if name:
            return HubReadOnly(_('this store is a hub, a read-only view of its members; {case_id} belongs to member {name}: write there ({url})').format(case_id=case_id, name=name, url=urls.get(name)),
                               hint=_('then run `jiesu hub refresh` here to see the change'))
    names = ", ".join(f"{n} ({u})" for n, u in urls.items())
    return HubReadOnly(_('this store is a hub, a read-only view of its members; write in a member store: {names}').format(names=names),
                       hint=_('then run `jiesu hub refresh` here to see the change'))
