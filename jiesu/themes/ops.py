"""Theme operations: validate, then write the theme file and make one commit.

Each operation goes through `change` (or `new_theme`): take the store lock, read the theme, check
the action against the table, build the event, refresh the projection, write, commit with the
`Jiesu-Theme` / `Jiesu-Action` / `Jiesu-Actor` trailers. A refusal writes nothing.
"""

from __future__ import annotations

from datetime import date

from jiesu import textcheck, timeutil
from jiesu.errors import IllegalTransition, InvalidInput, StoreError
from jiesu.i18n import _
from jiesu.ops.common import (
    Result,
    event_node,
    event_time,
    last_event_time,
)
from jiesu.store import records, yamlio
from jiesu.store.gitwrite import commit_message
from jiesu.themes import files, record, scope

TRAILER = "Jiesu-Theme"
ATTRIBUTES_LINE = "themes/**/*.yaml merge=jiesu"


def _make_event(theme: dict, action: str, actor: str, at, fields: dict) -> dict:
    from jiesu.model import new_event_id

    existing = [e.get("id") for e in theme.get("events") or [] if isinstance(e, dict)]
    event = {"id": new_event_id(existing), "at": timeutil.fmt(at), "by": actor, "action": action}
    for key in record.EVENT_FIELDS[action]:
        if fields.get(key) is not None:
            event[key] = fields[key]
    return event


def _check_consistent(store, rel: str, theme: dict) -> None:
    """Refuse to build on a theme file that `verify` finds wrong."""
    from jiesu.themes.check import check_theme

    errors = [p for p in check_theme(store.root, rel, theme, store.catalog, store.tz) if p.severity == "error"]
    if errors:
        more = _(' (and {n} more problem(s))').format(n=len(errors) - 1) if len(errors) > 1 else ""
        raise StoreError(f"{errors[0]}{more}", hint=_('run `jiesu verify` and repair the file first'))


def _allowed_next(status: str) -> str:
    return ", ".join(a for a, (before, _) in record.TABLE.items() if status in before) or "nothing"


def change(store, theme_id: str, action: str, actor: str, at, build, label: str | None = None, detail=None) -> Result:
    """Apply one action to one theme: lock, read, check, build the event, write, commit.

    `build(theme, state, when)` validates the input and returns the event's fields.
    `label` is the action named in the commit (e.g. `task-add` for the event `add`).
    """
    theme_id = record.validate_id(theme_id)
    store.check_catalog()  # a broken catalog refuses every write
    with store.transaction(f"{label or action} {theme_id}") as tx:
        doc, theme, rel = files.edit_theme(store, theme_id)
        _check_consistent(store, rel, theme)
        state = record.project(theme)
        if state["status"] not in record.TABLE[action][0]:
            raise IllegalTransition(_('theme {theme_id} is {status}: {value} is not allowed; allowed next: {allowed_next}').format(theme_id=theme_id, status=state['status'], value=label or action, allowed_next=_allowed_next(state['status'])))
        when = event_time(store, at, after=last_event_time(theme), record="theme")
        fields = build(theme, state, when)
        event = _make_event(theme, action, actor, when, fields)
        problem = record.check(state, event)
        if problem:
            raise InvalidInput(_('{theme_id}: {problem}').format(theme_id=theme_id, problem=problem))
        theme["events"].append(event)
        doc["events"].append(event_node(event))
        new_state = files.refresh_state(doc, theme)
        tx.write(rel, yamlio.dump_doc(doc))
        message = commit_message(label or action, theme_id, theme.get("title"), actor,
                                 detail(event) if detail else "", trailer=TRAILER)
        sha = tx.commit(message, actor, when)
    return Result(theme_id, label or action, new_state["status"], "", sha, event)


# --- creating ------------------------------------------------------------------------------------

def _units(store, lead: str, co) -> tuple[str, list[str]]:
    catalog = store.catalog
    lead = catalog.unit(lead, "--lead").id
    out = []
    for unit in co or ():
        unit = catalog.unit(unit, "--co").id
        if unit != lead and unit not in out:
            out.append(unit)
    return lead, out


def next_id(store, year: int) -> str:
    """The next free theme id of this office and year (called under the lock)."""
    folder = store.root / "themes" / f"{year:04d}"
    prefix = f"{store.office}-T{year % 100:02d}-"
    taken = [record.parse_id(p.stem)[2] for p in folder.glob(f"{prefix}*.yaml") if record.parse_id(p.stem)] if folder.is_dir() else []
    number = max(taken, default=0) + 1
    if number > 9999:
        raise StoreError(_('{year}: no theme number left for office {office}').format(year=year, office=store.office))
    return f"{prefix}{number:02d}"


def _attributes(store) -> str | None:
    """`.gitattributes` with the theme line added, or None when it is there already."""
    return records.attributes_with(store, ATTRIBUTES_LINE)


def new_theme(store, actor: str, title: str, year: int, month: int | None, lead: str, co=(), scope_specs=(),
              from_hotspot: str | None = None, at=None) -> Result:
    """Create a theme (status planned) and print its id; the scope is checked against the catalog."""
    catalog = store.catalog
    title = textcheck.text(title, "--title", required=True, multiline=False, limit=200)
    if not isinstance(year, int) or not 2000 <= year <= 2099:
        raise InvalidInput(_('--year: {year!r}; expected a year from 2000 to 2099').format(year=year))
    if month is not None and not 1 <= int(month) <= 12:
        raise InvalidInput(_('--month: {month!r}; expected 1 to 12').format(month=month))
    lead, co_units = _units(store, lead, co)
    specs = list(scope_specs or ())
    if from_hotspot:
        specs.append(from_hotspot)
    found = scope.parse(specs, catalog, "--from-hotspot" if from_hotspot and not scope_specs else "--scope")
    if not found:
        raise InvalidInput(_('--scope: a theme needs a scope, e.g. --scope category=property.elevator (or --from-hotspot KEY)'))
    with store.transaction("theme new") as tx:
        when = event_time(store, at)
        theme_id = next_id(store, year)
        rel = record.relpath(theme_id)
        theme = {"id": theme_id, "schema": record.SCHEMA, "title": title, "year": year}
        if month is not None:
            theme["month"] = int(month)
        theme.update(lead=lead, co_units=co_units, scope=found)
        if from_hotspot:
            theme["from_hotspot"] = from_hotspot.strip()
        event = _make_event({"events": []}, "new", actor, when, {})
        theme["events"] = [event]
        pairs = []
        for key, value in theme.items():
            if key == "co_units":
                value = yamlio.cseq(value, flow=True)
            elif key == "scope":
                value = yamlio.cmap([(k, yamlio.cseq(v, flow=True)) for k, v in value.items()])
            elif key == "events":
                value = yamlio.cseq([event_node(event)])
            pairs.append((key, value))
        doc = yamlio.cmap(pairs)
        files.refresh_state(doc, theme)
        doc.move_to_end("events")
        attributes = _attributes(store)
        if attributes is not None:
            tx.write(".gitattributes", attributes)
        tx.write(rel, yamlio.dump_doc(doc))
        message = commit_message("new", theme_id, title, actor, f"scope: {scope.describe(found)}", trailer=TRAILER)
        sha = tx.commit(message, actor, when)
    return Result(theme_id, "new", "planned", "", sha, event)


# --- the plan, the checklists ------------------------------------------------------------------------

def plan(store, actor: str, theme_id: str, text: str, target=None, target_by=None, at=None) -> Result:
    """Set the plan: its text (goal, measures, figures) and optionally a target for requests in scope:
    `target` is the change in requests per half month against before the start, in percent (-50:
    halve them), `target_by` the day by which it should be reached."""
    text = textcheck.text(text, "--text", required=True, limit=20000)
    if target is not None:
        try:
            target = float(str(target).rstrip("%"))
        except ValueError:
            raise InvalidInput(_('--target: {target!r}; expected a change in percent such as -50').format(target=target)) from None
        if not -100 <= target <= 1000:
            raise InvalidInput(_('--target: {target:g}; expected a change in percent from -100 to 1000').format(target=target))
        target = int(target) if target == int(target) else target
    by = timeutil.parse_date(target_by, "--by").isoformat() if target_by else None
    if by and target is None:
        raise InvalidInput(_('--by: needs --target (the change in percent to reach by that day)'))
    return change(store, theme_id, "plan", actor, at, lambda t, s, w: {"text": text, "target": target, "target_by": by})


def _start_day(theme: dict, state: dict, tz) -> date:
    start = timeutil.load(state.get("started")) if state.get("started") else record.nominal_start(theme, tz)
    return start.astimezone(tz).date()


def add_item(store, actor: str, theme_id: str, list_name: str, text: str, owner=None, due=None, at=None) -> Result:
    """Add an item to one of the three checklists (task, policy, duty); tasks need a due date."""
    if list_name not in record.LISTS:
        raise InvalidInput(_('checklist {list_name!r}; allowed: {items}').format(list_name=list_name, items=', '.join(record.LISTS)))
    text = textcheck.text(text, "--text", required=True, limit=2000)
    due_day = timeutil.parse_date(due, "--due") if due else None
    if list_name == "task" and due_day is None:
        raise InvalidInput(_('--due: a task needs a due date (YYYY-MM-DD)'))

    def build(theme, state, when):
        unit = store.catalog.unit(owner or theme.get("lead"), "--owner").id
        if due_day is not None:
            start = _start_day(theme, state, store.tz)
            if due_day < start:
                raise InvalidInput(_("--due: {due_day} is before the theme's start on {start}; a {list_name} is due during the theme").format(due_day=due_day, start=start, list_name=list_name))
        return {"list": list_name, "text": text, "owner": unit, "due": due_day.isoformat() if due_day else None}

    return change(store, theme_id, "add", actor, at, build, label=f"{list_name}-add", detail=lambda e: f"item {e['id']}: {e['text']}")


def _item(state: dict, theme_id: str, list_name: str, item: str) -> dict:
    """The checklist item named by `item` (its id, or a unique start of it of 4+ characters)."""
    key = str(item or "").strip().lower()
    hits = [i for i in state["items"].values() if i["id"] == key] or (
        [i for i in state["items"].values() if len(key) >= 4 and i["id"].startswith(key)])
    if len(hits) != 1:
        mine = [i["id"] for i in state["items"].values() if i["list"] == list_name]
        known = f"its {record.LISTS[list_name]}: {', '.join(mine)}" if mine else f"it has no {record.LISTS[list_name]}"
        raise InvalidInput(_('{theme_id}: no {list_name} {item!r}; {known}').format(theme_id=theme_id, list_name=list_name, item=item, known=known))
    found = hits[0]
    if found["list"] != list_name:
        raise InvalidInput(_('{theme_id}: item {id} is a {list}, not a {list_name}').format(theme_id=theme_id, id=found['id'], list=found['list'], list_name=list_name))
    if found["status"] != "open":
        raise InvalidInput(_('{theme_id}: {list_name} {id} is already {status}; only open items can change').format(theme_id=theme_id, list_name=list_name, id=found['id'], status=found['status']))
    return found


def complete_item(store, actor: str, theme_id: str, list_name: str, item: str, evidence: str, at=None) -> Result:
    """Mark a checklist item done, with the evidence that it is."""
    evidence = textcheck.text(evidence, "--evidence", required=True, limit=4000)
    return change(store, theme_id, "done", actor, at,
                  lambda t, s, w: {"item": _item(s, theme_id, list_name, item)["id"], "evidence": evidence},
                  label=f"{list_name}-done", detail=lambda e: f"item {e['item']}")


def drop_item(store, actor: str, theme_id: str, list_name: str, item: str, reason: str, at=None) -> Result:
    """Drop a checklist item, with the reason."""
    reason = textcheck.text(reason, "--reason", required=True, limit=4000)
    return change(store, theme_id, "drop-item", actor, at,
                  lambda t, s, w: {"item": _item(s, theme_id, list_name, item)["id"], "reason": reason},
                  label=f"{list_name}-drop", detail=lambda e: f"item {e['item']}")


# --- the life of a theme --------------------------------------------------------------------------

def start(store, actor: str, theme_id: str, at=None) -> Result:
    return change(store, theme_id, "start", actor, at, lambda t, s, w: {})


def close(store, actor: str, theme_id: str, summary: str, force: bool = False, reason=None, at=None) -> Result:
    """Close an active theme; open checklist items refuse it unless forced with a reason."""
    summary = textcheck.text(summary, "--summary", required=True, limit=20000)
    reason = textcheck.text(reason, "--reason") if reason else None

    def build(theme, state, when):
        still = [i for i in state["items"].values() if i["status"] == "open"]
        if still and not (force and reason):
            counts = {}
            for i in still:
                counts[i["list"]] = counts.get(i["list"], 0) + 1
            what = ", ".join(f"{n} {record.LISTS[k] if n > 1 else k}" for k, n in counts.items())
            raise InvalidInput(_('{theme_id}: {what} still open; finish or drop them, or close with --force --reason TEXT').format(theme_id=theme_id, what=what))
        return {"summary": summary, "forced": f"{len(still)} open item(s): {reason}" if still else None}

    return change(store, theme_id, "close", actor, at, build)


def drop(store, actor: str, theme_id: str, reason: str, at=None) -> Result:
    reason = textcheck.text(reason, "--reason", required=True)
    return change(store, theme_id, "drop", actor, at, lambda t, s, w: {"reason": reason})


def note(store, actor: str, theme_id: str, text: str, at=None) -> Result:
    text = textcheck.text(text, "TEXT", required=True)
    return change(store, theme_id, "note", actor, at, lambda t, s, w: {"text": text})


def _case_ids(store, case_ids) -> list[str]:
    from jiesu.store import validate_id

    out = []
    for cid in case_ids:
        cid = validate_id(cid)
        if not store.exists(cid):
            raise InvalidInput(_('no case {cid} in this store').format(cid=cid), hint=_('list cases with `jiesu list`'))
        if cid not in out:
            out.append(cid)
    if not out:
        raise InvalidInput(_('CASE: name at least one case id'))
    return out


def link(store, actor: str, theme_id: str, case_ids, at=None) -> Result:
    """Count cases outside the scope rule in the theme (nothing is written on the cases)."""
    wanted = _case_ids(store, case_ids)

    def build(theme, state, when):
        already = [c for c in wanted if c in state["links"]]
        if already:
            raise InvalidInput(_('{theme_id}: {items} already linked').format(theme_id=theme_id, items=', '.join(already)))
        return {"cases": wanted}

    return change(store, theme_id, "link", actor, at, build, detail=lambda e: "cases: " + ", ".join(e["cases"]))


def unlink(store, actor: str, theme_id: str, case_ids, at=None) -> Result:
    from jiesu.store import validate_id

    wanted = list(dict.fromkeys(validate_id(c) for c in case_ids))

    def build(theme, state, when):
        missing = [c for c in wanted if c not in state["links"]]
        if missing or not wanted:
            raise InvalidInput(_('{theme_id}: {value} not linked; linked: {value2}').format(theme_id=theme_id, value=', '.join(missing) or _('nothing'), value2=', '.join(state['links']) or _('none')))
        return {"cases": wanted}

    return change(store, theme_id, "unlink", actor, at, build, detail=lambda e: "cases: " + ", ".join(e["cases"]))
