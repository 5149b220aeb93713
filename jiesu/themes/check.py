"""What `verify` finds wrong in theme files: each problem as `path:line: message`."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from jiesu import model
from jiesu.i18n import _
from jiesu.problems import Problem
from jiesu.store import yamlio
from jiesu.themes import files, record, scope
from jiesu.verify import _normal, check_event_id, check_event_time, start_record_check

THEME_PATH = re.compile(r"^themes/(\d{4})/([^/]+)\.yaml$")
REQUIRED = {"id": str, "schema": int, "title": str, "year": int, "lead": str, "scope": dict, "state": dict, "events": list}
OPTIONAL = {"month": int, "co_units": list, "from_hotspot": str}


def check_theme(root: Path, path: str, theme, catalog, tz) -> list[Problem]:
    """Every problem of one loaded theme file."""
    problems, bad, ok = start_record_check(root, path, theme, "theme", REQUIRED, OPTIONAL)
    if not ok:
        return problems
    m = THEME_PATH.match(path)
    parsed = record.parse_id(theme["id"])
    if not parsed:
        bad(_('id {id!r} is not OFFICE-TYY-NN').format(id=theme['id']), "id")
    elif m and m.group(2) != theme["id"]:
        bad(_('id {id} does not match the file name {name}.yaml').format(id=theme['id'], name=m.group(2)), "id")
    elif m and (int(m.group(1)) % 100 != parsed[1] or int(m.group(1)) != theme["year"]):
        bad(_('year {year} does not match the id {id} and the folder {folder}').format(year=theme['year'], id=theme['id'], folder=m.group(1)), "year")
    if theme["schema"] != record.SCHEMA:
        bad(_('schema {schema} is not supported (expected {SCHEMA})').format(schema=theme['schema'], SCHEMA=record.SCHEMA), "schema")
    if not theme["title"].strip():
        bad(_('title is empty'), "title")
    if theme.get("month") is not None and not 1 <= theme["month"] <= 12:
        bad(_('month {month} is not 1–12').format(month=theme['month']), "month")
    if catalog is not None:
        for unit in [theme["lead"], *(theme.get("co_units") or [])]:
            if not isinstance(unit, str) or unit not in catalog.units:
                bad(_('unknown unit {unit!r} (lead or co-unit)').format(unit=unit), "lead" if unit == theme["lead"] else "co_units")
    for message in scope.check_stored(theme["scope"], catalog):
        bad(message, "scope")
    for i, e, action in check_events(theme["events"], record.TABLE, record.EVENT_FIELDS, bad):
        if action == "add":
            if catalog is not None and e.get("owner") not in catalog.units:
                bad(_('event {i} (add): unknown owner unit {owner!r}').format(i=i + 1, owner=e.get('owner')), "events", i)
            if e.get("due") is not None:
                try:
                    date.fromisoformat(str(e["due"]))
                except ValueError:
                    bad(_('event {i} (add): due {due!r} is not a date YYYY-MM-DD').format(i=i + 1, due=e['due']), "events", i)
        if action in ("link", "unlink") and (not isinstance(e.get("cases"), list)
                                             or not all(isinstance(c, str) and model.parse_id(c) for c in e["cases"])):
            bad(_('event {i} ({action}): `cases` must be a list of case ids').format(i=i + 1, action=action), "events", i)
    if not theme["events"] or not isinstance(theme["events"][0], dict) or theme["events"][0].get("action") != "new":
        bad(_('the first event must be `new`'), "events")
    if not any(p.severity == "error" for p in problems):
        check_projection(theme, record, bad)
    return problems


def check_events(events: list, table: dict, event_fields: dict, bad):
    """What every record's event list must be (ids, actor, time order, known actions and fields);
    yields (index, event, action) of each event fit for the kind's own checks."""
    seen: dict = {}
    previous = None
    for i, e in enumerate(events):
        if not isinstance(e, dict):
            bad(_('event {i} is not a mapping').format(i=i + 1), "events", i)
            continue
        action = e.get("action")
        if action not in table:
            bad(_('event {i}: unknown action {action!r}; allowed: {items}').format(i=i + 1, action=action, items=', '.join(table)), "events", i)
            continue
        check_event_id(e, i, seen, bad)
        extra = [k for k in e if k not in (*model.EVENT_KEYS, *event_fields[action], "superseded")]
        if extra:
            bad(_('event {i} ({action}): unexpected field(s) {items}').format(i=i + 1, action=action, items=', '.join(map(str, extra))), "events", i)
        timed, previous = check_event_time(e, i, action, previous, bad)
        if not timed:
            continue
        yield i, e, action
    if not events or not isinstance(events[0], dict) or events[0].get("action") != "new":
        bad(_('the first event must be `new`'), "events")


def check_projection(data: dict, kind_module, bad) -> None:
    """The events replay through the kind's table and the `state` block is what they give."""
    try:
        kind_module.project(data, strict=True)
    except kind_module.ReplayError as exc:
        bad(_('event {index}: {exc}').format(index=exc.index + 1, exc=exc), "events", exc.index)
        return
    expected = kind_module.state_block(data)
    actual = data.get("state") or {}
    if _normal(actual) != _normal(expected):
        diffs = [k for k in dict.fromkeys([*expected, *actual]) if _normal(expected.get(k)) != _normal(actual.get(k))]
        first = diffs[0] if diffs else "?"
        bad(_('state does not match the events ({items}): file says {actual!r}, events give {expected!r}').format(items=', '.join(diffs), actual=actual.get(first), expected=expected.get(first)),
            "state", first if first in actual else "status")


def check_themes(store, catalog) -> list[Problem]:
    """Every problem of every file under themes/, and theme files git does not have as they are."""
    problems: list[Problem] = []
    for rel in files.theme_files(store.root):
        path = store.root / rel
        if path.is_symlink():
            problems.append(Problem(rel, 1, _('symbolic link in themes/; theme files must be regular files')))
            continue
        if not THEME_PATH.match(rel):
            if not path.name.startswith("."):
                problems.append(Problem(rel, 1, _('not a theme file (expected themes/YYYY/<OFFICE>-TYY-NN.yaml)')))
            continue
        try:
            theme = yamlio.load_file(path, rel)
        except yamlio.YamlProblem as exc:
            problems.append(Problem(exc.path, exc.line, exc.problem))
            continue
        problems += check_theme(store.root, rel, theme, catalog, store.tz)
    return problems + folder_in_git(store, "themes", "theme")


def folder_in_git(store, folder: str, kind: str) -> list[Problem]:
    """Files of a record folder that git does not have as they are, and those changed outside jiesu."""
    if not (store.root / folder).exists():
        return []
    problems = changed_outside(store, folder)
    out = store.git.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", f"{folder}/").stdout
    for entry in out.split("\0"):
        if len(entry) < 4:
            continue
        code, rel = entry[:2], entry[3:]
        if code == "??" and rel.endswith(".tmp"):
            problems.append(Problem(rel, 1, _('temporary file of an interrupted write; the next write removes it')))
        elif code == "??":
            problems.append(Problem(rel, 1, _('untracked file in {folder}/ (not committed by jiesu)').format(folder=folder)))
        elif "U" in code or code in ("AA", "DD"):
            problems.append(Problem(rel, 1, _('unresolved merge conflict')))
        else:
            problems.append(Problem(rel, 1, _('{kind} file differs from the last commit (uncommitted change)').format(kind=kind)))
    return problems


def changed_outside(store, folder: str = "themes") -> list[Problem]:
    """Record files changed by commits without jiesu's trailers (merges aside): one warning per file."""
    if not store.git.head():
        return []
    out = store.git.run("log", "--no-merges", "--format=%x1e%H%x1f%B%x1f", "--name-only", "--", f"{folder}/").stdout
    found: dict = {}
    for entry in out.split("\x1e")[1:]:
        sha, body, names = (entry.split("\x1f") + ["", ""])[:3]
        if "\nJiesu-Action: " in "\n" + body:
            continue
        for rel in names.split():
            found.setdefault(rel, []).append(sha)
    return [Problem(rel, 1, _('changed outside jiesu by {n} commit(s), the latest {shas}; review it').format(n=len(shas), shas=shas[0][:10]), "warning")
            for rel, shas in sorted(found.items()) if (store.root / rel).exists()]
