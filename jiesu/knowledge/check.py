"""What `verify` finds wrong in knowledge files: each problem as `path:line: message`.

Beside the checks every record gets (events, replay, state), an entry's references must resolve
(categories, owner unit, themes, the replacement of a retired entry), and an active entry past
its `valid_until` or its `review_by` date is flagged (a warning: it needs a person).
"""

from __future__ import annotations

import re

from jiesu.i18n import _
from jiesu.knowledge import files, record
from jiesu.problems import Problem
from jiesu.store import yamlio
from jiesu.themes.check import check_events, check_projection, folder_in_git
from jiesu.verify import start_record_check

ENTRY_PATH = re.compile(r"^knowledge/([^/]+)\.yaml$")


def check_entry(store, path: str, entry, today=None) -> list[Problem]:
    """Every problem of one loaded entry file (with `today`: also validity and review dates)."""
    problems, bad, ok = start_record_check(store.root, path, entry, "knowledge",
                                           {"id": str, "schema": int, "state": dict, "events": list}, {})
    if not ok:
        return problems
    extra = [k for k in entry if k not in record.ENTRY_KEYS]
    if extra:
        bad(_('unexpected field(s) {items}; allowed: {items2}').format(items=', '.join(map(str, extra)), items2=', '.join(record.ENTRY_KEYS)), extra[0])
    m = ENTRY_PATH.match(path)
    if not record.parse_id(entry["id"]):
        bad(_('id {id!r} is not OFFICE-KNNNN').format(id=entry['id']), "id")
    elif m and m.group(1) != entry["id"]:
        bad(_('id {id} does not match the file name {name}.yaml').format(id=entry['id'], name=m.group(1)), "id")
    if entry["schema"] != record.SCHEMA:
        bad(_('schema {schema} is not supported (expected {SCHEMA})').format(schema=entry['schema'], SCHEMA=record.SCHEMA), "schema")
    catalog = store.catalog
    for i, e, action in check_events(entry["events"], record.TABLE, record.EVENT_FIELDS, bad):
        if action in ("new", "edit"):
            if not e.get("questions") or not e.get("answer"):
                bad(_('event {i} ({action}): an entry needs a question and an answer').format(i=i + 1, action=action), "events", i)
            for code in e.get("categories") or []:
                if code not in catalog.categories:
                    bad(_('event {i} ({action}): unknown category {code!r}').format(i=i + 1, action=action, code=code), "events", i)
            if e.get("owner") not in catalog.units:
                bad(_('event {i} ({action}): unknown owner unit {owner!r}').format(i=i + 1, action=action, owner=e.get('owner')), "events", i)
    if not any(p.severity == "error" for p in problems):
        check_projection(entry, record, bad)
    if any(p.severity == "error" for p in problems):
        return problems
    state = record.project(entry)
    for theme_id in state.get("themes") or []:
        if not (store.root / _theme_rel(theme_id)).is_file():
            bad(_('theme {theme_id!r} named by the entry does not exist').format(theme_id=theme_id), "state", "themes")
    replacement = state.get("replaced_by")
    if replacement and not (record.is_entry_id(replacement) and (store.root / record.relpath(replacement)).is_file()):
        bad(_('replacement {replacement!r} of the retired entry does not exist').format(replacement=replacement), "state", "replaced_by")
    if today is not None and state["status"] == "active":
        until, review = record.day(state.get("valid_until")), record.day(state.get("review_by"))
        if until and until < today:
            bad(_('{id} is past its valid_until {until}: retire it or edit it to a current answer').format(id=entry['id'], until=until),
                "state", "valid_until", severity="warning")
        elif review and review < today:
            bad(_('{id} is past its review_by {review}: check it against the policy and edit it').format(id=entry['id'], review=review),
                "state", "review_by", severity="warning")
    return problems


def _theme_rel(theme_id: str) -> str:
    from jiesu.themes import record as theme_record

    return theme_record.relpath(theme_id) if theme_record.is_theme_id(theme_id) else "themes/-"


def check_knowledge(store) -> list[Problem]:
    """Every problem of every file under knowledge/, and entry files git does not have as they are."""
    problems: list[Problem] = []
    today = store.now().date()
    for rel in files.entry_files(store.root):
        path = store.root / rel
        if path.is_symlink():
            problems.append(Problem(rel, 1, _('symbolic link in knowledge/; entry files must be regular files')))
            continue
        if not ENTRY_PATH.match(rel):
            if not path.name.startswith("."):
                problems.append(Problem(rel, 1, _('not a knowledge file (expected knowledge/<OFFICE>-KNNNN.yaml)')))
            continue
        try:
            entry = yamlio.load_file(path, rel)
        except yamlio.YamlProblem as exc:
            problems.append(Problem(exc.path, exc.line, exc.problem))
            continue
        problems += check_entry(store, rel, entry, today)
    return problems + folder_in_git(store, "knowledge", "knowledge")
