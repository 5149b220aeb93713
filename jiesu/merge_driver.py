"""The merge driver for case files: union of events by id, replayed, never a text conflict.

git calls `jiesu merge-driver %O %A %B %P` for `cases/**/*.yaml` and `themes/**/*.yaml` (see
`.gitattributes`; a theme is merged the same way, replayed by its own table). Events of both sides
are united by id and ordered by time (with its sub-second part `usec`, when recorded); events with
the same time keep the order in which their side wrote them (ours first). The union is replayed
through the state machine: an event that is illegal at its place is kept, marked `superseded`,
skipped by the projection and listed by `verify` for a person to review. Header fields merge three-way (a side that changed a field wins;
if both changed it, ours wins). Two different cases that received the same id are a real conflict.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jiesu import faults, i18n, model, timeutil, workflow
from jiesu.i18n import _
from jiesu.store import yamlio

HEADER_SKIP = ("state", "events")


def _load(path: str):
    p = Path(path)
    if not p.exists() or p.stat().st_size == 0:
        return None, None
    text = p.read_bytes().decode("utf-8")
    return yamlio.rt_load(text, path), yamlio.load(text, path)


def _usec(event: dict) -> int:
    """The sub-second part of an event's time (-1 when it has none: such events keep their side's order)."""
    value = event.get("usec")
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def kind_for(path: str):
    """The record kind of a file git asks to merge: a theme under `themes/`, a knowledge entry
    under `knowledge/`, else None (a case)."""
    from jiesu.store.records import kind_for as kind

    return kind(path)


def merge_events(ours: list, theirs: list, kind=None) -> list:
    """Union by id, stable by time (ours before theirs at equal times), superseded flags recomputed.

    `kind` replays another kind of record (a theme); None means a case."""
    seen = {e.get("id") for e in ours}
    union = [dict(e) for e in ours] + [dict(e) for e in theirs if e.get("id") not in seen]
    origin = {id(e): i for i, e in enumerate(union)}
    union.sort(key=lambda e: (timeutil.load(e.get("at")), _usec(e), origin[id(e)]))
    for e in union:
        e.pop("superseded", None)
    if kind is not None:
        state = kind.new_state()
        for e in union:
            if not kind.step(state, e):
                e["superseded"] = True
        return union
    status = None
    probe = {"events": []}
    for e in union:
        if workflow.is_allowed(e.get("action"), status, e):
            probe["events"].append(e)
            status = model.replay(probe, strict=False)["status"]
        else:
            e["superseded"] = True
    return union


def collides(base, ours, theirs, kind=None) -> bool:
    """Two different records that were both given one id: added on both sides (no base) with
    different opening events."""
    if base is not None or not isinstance(ours, dict) or not isinstance(theirs, dict):
        return False
    opening = kind.first_action if kind is not None else "intake"

    def first(record):
        return next((e.get("id") for e in record.get("events") or [] if isinstance(e, dict) and e.get("action") == opening), None)

    return first(ours) != first(theirs)


def merge_files(base_path: str, ours_path: str, theirs_path: str, store=None, kind=None) -> tuple[bool, str]:
    """Merge into `ours_path`; return (clean, message). `kind` as for `merge_events`."""
    from jiesu.store.case_layout import event_node, state_node

    base_doc, base = _load(base_path)
    ours_doc, ours = _load(ours_path)
    theirs_doc, theirs = _load(theirs_path)
    if ours is None or theirs is None:
        return False, _("one side deleted the case file; resolve by hand")
    if collides(base, ours, theirs, kind):
        if kind is None:
            return False, _("id collision: two different cases were both given id {id}; renumber one of them").format(id=ours.get("id"))
        return False, _("id collision: two different records ({kind}) were both given id {id}; renumber one of them").format(
            kind=kind.name, id=ours.get("id"))
    base = base or {}
    for key in dict.fromkeys([*ours, *theirs]):
        if key in HEADER_SKIP:
            continue
        o, t, b = ours.get(key), theirs.get(key), base.get(key)
        if o == b and t != b:
            if key in theirs_doc:
                ours_doc[key] = theirs_doc[key]
            else:
                del ours_doc[key]
    events = merge_events(ours.get("events") or [], theirs.get("events") or [], kind)
    ours_doc["events"] = yamlio.cseq([event_node(e) for e in events])
    merged = yamlio.to_plain(ours_doc)
    if kind is not None:
        ours_doc["state"] = kind.state_node(kind.state_block(merged))
    else:
        catalog, tz = (store.catalog, store.tz) if store is not None else (None, timeutil.zone(timeutil.DEFAULT_ZONE))
        ours_doc["state"] = state_node(model.state_block(merged, catalog, tz))
    yamlio.atomic_write(Path(ours_path), yamlio.rt_dump(ours_doc))
    superseded = sum(1 for e in events if e.get("superseded"))
    if superseded:
        return True, _("merged {n} events, {superseded} superseded (review with jiesu verify)").format(n=len(events), superseded=superseded)
    return True, _("merged {n} events").format(n=len(events))


def run(base: str, ours: str, theirs: str, path: str) -> int:
    """Entry point for git: exit 0 when merged, 1 on a real conflict."""
    store = None
    try:
        from jiesu.store import Store

        store = Store(Path.cwd())
        i18n.store_language(store.lang)  # git runs this in the store: speak its language
        store.check_catalog()
    except Exception:  # noqa: BLE001 — a merge must work even with a broken catalog
        store = None
    faults.point("merge-driver")
    try:
        clean, message = merge_files(base, ours, theirs, store, kind_for(path))
    except Exception as exc:  # noqa: BLE001 — report, let git mark the conflict
        print(f"jiesu merge-driver: {path}: {exc}", file=sys.stderr)
        return 1
    if not clean:
        print(f"jiesu merge-driver: {path}: {message}", file=sys.stderr)
        return 1
    return 0
