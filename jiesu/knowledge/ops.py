"""Knowledge operations: validate, then write the entry file and make one commit.

Each operation takes the store lock, reads the entry, checks the action against the table, builds
the event (a `new` or `edit` event holds the whole content), refreshes the projection, writes and
commits with the `Jiesu-Knowledge` / `Jiesu-Action` / `Jiesu-Actor` trailers. A refusal writes
nothing. `answer_for` is what intake asks before closing a consultation with an entry.
"""

from __future__ import annotations

from datetime import date, timedelta

from jiesu import textcheck, timeutil
from jiesu.errors import IllegalTransition, InvalidInput, StoreError
from jiesu.i18n import _
from jiesu.knowledge import files, record
from jiesu.ops.common import (
    Result,
    event_node,
    event_time,
    last_event_time,
)
from jiesu.store import records, yamlio
from jiesu.store.gitwrite import commit_message

TRAILER = "Jiesu-Knowledge"
ATTRIBUTES_LINE = "knowledge/*.yaml merge=jiesu"
REVIEW_AFTER = timedelta(days=365)  # review_by when none is given: a year after valid_from


def _make_event(entry: dict, action: str, actor: str, at, fields: dict) -> dict:
    from jiesu.model import new_event_id

    existing = [e.get("id") for e in entry.get("events") or [] if isinstance(e, dict)]
    event = {"id": new_event_id(existing), "at": timeutil.fmt(at), "by": actor, "action": action}
    for key in record.EVENT_FIELDS[action]:
        if fields.get(key) not in (None, [], False):
            event[key] = fields[key]
    return event


# --- the content ---------------------------------------------------------------------------------

def parse_source(value, field: str = "--source") -> dict:
    """A policy source from a mapping or from `TITLE|ISSUER|DATE|LINK` (only the title required)."""
    if isinstance(value, str):
        value = dict(zip(record.SOURCE_KEYS, (part.strip() for part in value.split("|"))))
    if not isinstance(value, dict):
        raise InvalidInput(_('{field}: expected TITLE|ISSUER|DATE|LINK or a mapping with title, issuer, date, link').format(field=field))
    extra = [k for k in value if k not in record.SOURCE_KEYS]
    if extra:
        raise InvalidInput(_('{field}: unknown key(s) {items}; allowed: {items2}').format(field=field, items=', '.join(map(str, extra)), items2=', '.join(record.SOURCE_KEYS)))
    out = {"title": textcheck.text(value.get("title"), f"{field} title", required=True, multiline=False, limit=300)}
    issuer = textcheck.text(value.get("issuer"), f"{field} issuer", multiline=False, limit=200)
    if issuer:
        out["issuer"] = issuer
    if value.get("date") not in (None, ""):
        raw = value["date"]
        out["date"] = raw.isoformat() if isinstance(raw, date) else timeutil.parse_date(str(raw), f"{field} date").isoformat()
    link = textcheck.text(value.get("link"), f"{field} link", multiline=False, limit=500)
    if link:
        if not link.startswith(("https://", "http://")):
            raise InvalidInput(_('{field} link: {value!r}; expected an http(s) address').format(field=field, value=link[:60]))
        out["link"] = link
    return out


def _date(value, field: str) -> str | None:
    if value in (None, ""):
        return None
    return value.isoformat() if isinstance(value, date) else timeutil.parse_date(str(value), field).isoformat()


def content(store, given: dict, today: date) -> dict:
    """The checked content of an entry from `given` (keys of record.CONTENT)."""
    unknown = [k for k in given if k not in record.CONTENT]
    if unknown:
        raise InvalidInput(_('unknown field(s) {items}; allowed: {items2}').format(items=', '.join(map(str, unknown)), items2=', '.join(record.CONTENT)))
    catalog = store.catalog
    questions = [textcheck.text(q, "--question", required=True, multiline=False, limit=500)
                 for q in textcheck.text_list(given.get("questions"), "--question")]
    if not questions:
        raise InvalidInput(_('--question: an entry needs at least one question (zh or en), and none may be empty'))
    answer = textcheck.text(given.get("answer"), "--answer", required=True, limit=20000)
    raw_sources = given.get("sources") or []
    sources = [parse_source(s) for s in (raw_sources if isinstance(raw_sources, list) else [raw_sources])]
    if not sources:
        raise InvalidInput(_('--source: an entry needs at least one policy source it rests on (TITLE|ISSUER|DATE|LINK)'))
    categories = []
    for code in textcheck.text_list(given.get("categories"), "--category"):
        if code not in catalog.categories:
            raise InvalidInput(_('--category: unknown category {code!r}').format(code=code), hint=_('find codes with `jiesu catalog categories`'))
        if code not in categories:
            categories.append(code)
    themes = []
    for theme_id in textcheck.text_list(given.get("themes"), "--theme"):
        from jiesu.themes import files as theme_files

        theme_files.theme_path(store, theme_id)
        if theme_id not in themes:
            themes.append(theme_id)
    owner = textcheck.text(given.get("owner"), "--owner", required=True, multiline=False)
    catalog.unit(owner, "--owner")
    valid_from = _date(given.get("valid_from"), "--valid-from") or today.isoformat()
    valid_until = _date(given.get("valid_until"), "--valid-until")
    if valid_until and valid_until < valid_from:
        raise InvalidInput(_('--valid-until: {valid_until} is before --valid-from {valid_from}').format(valid_until=valid_until, valid_from=valid_from))
    review_by = _date(given.get("review_by"), "--review-by") or (date.fromisoformat(valid_from) + REVIEW_AFTER).isoformat()
    example = textcheck.boolean(given.get("example") or False, "--example")
    return {"questions": questions, "answer": answer, "sources": sources, "categories": categories,
            "themes": themes, "owner": owner, "valid_from": valid_from, "valid_until": valid_until,
            "review_by": review_by, "example": example}


# --- writing -------------------------------------------------------------------------------------

def next_ids(store, count: int) -> list[str]:
    """The next `count` free entry ids of this office (called under the lock)."""
    folder = store.root / files.FOLDER
    prefix = f"{store.office}-K"
    taken = [record.parse_id(p.stem)[1] for p in folder.glob(f"{prefix}*.yaml") if record.parse_id(p.stem)] if folder.is_dir() else []
    first = max(taken, default=0) + 1
    if first + count - 1 > 999999:
        raise StoreError(_('no knowledge entry number left for office {office}').format(office=store.office))
    return [f"{prefix}{n:04d}" for n in range(first, first + count)]


def _document(entry: dict, event: dict):
    doc = yamlio.cmap([("id", entry["id"]), ("schema", record.SCHEMA), ("state", None),
                       ("events", yamlio.cseq([event_node(event)]))])
    files.refresh_state(doc, entry)
    return doc


def add(store, actor: str, items: list[dict], at=None) -> list[Result]:
    """Create one or many entries in one commit; all are checked before anything is written."""
    if not items:
        raise InvalidInput(_('kb add: no entries to add'))
    today = store.now().date()
    checked = textcheck.each_checked(items, "entry", lambda given: content(store, given, today))
    results = []
    with store.transaction("kb add") as tx:
        when = event_time(store, at)
        ids = next_ids(store, len(checked))
        for entry_id, fields in zip(ids, checked):
            entry = {"id": entry_id, "schema": record.SCHEMA}
            event = _make_event({"events": []}, "new", actor, when, fields)
            entry["events"] = [event]
            tx.write(record.relpath(entry_id), yamlio.dump_doc(_document(entry, event)))
            results.append(Result(entry_id, "new", "active", "", None, event))
        attributes = records.attributes_with(store, ATTRIBUTES_LINE)
        if attributes is not None:
            tx.write(".gitattributes", attributes)
        if len(ids) == 1:
            message = commit_message("new", ids[0], checked[0]["questions"][0], actor, trailer=TRAILER)
        else:
            lines = "\n".join(f"{i}: {c['questions'][0][:60]}" for i, c in zip(ids, checked))
            message = commit_message("new", f"{len(ids)} entries", f"{ids[0]}..{ids[-1]}", actor, lines, ids, trailer=TRAILER)
        sha = tx.commit(message, actor, when)
    for r in results:
        r.commit = sha
    return results


def change(store, entry_id: str, action: str, actor: str, at, build) -> Result:
    """Apply one action to one entry: lock, read, check, build the event, write, commit."""
    entry_id = record.validate_id(entry_id)
    store.check_catalog()  # a broken catalog refuses every write
    with store.transaction(f"kb {action} {entry_id}") as tx:
        doc, entry, rel = files.edit_entry(store, entry_id)
        from jiesu.knowledge.check import check_entry

        errors = [p for p in check_entry(store, rel, entry) if p.severity == "error"]
        if errors:
            raise StoreError(str(errors[0]), hint=_('run `jiesu verify` and repair the file first'))
        state = record.project(entry)
        if state["status"] not in record.TABLE[action][0]:
            raise IllegalTransition(_('knowledge entry {entry_id} is {status}: {action} is not allowed').format(entry_id=entry_id, status=state['status'], action=action))
        when = event_time(store, at, after=last_event_time(entry), record="knowledge entry")
        event = _make_event(entry, action, actor, when, build(entry, state, when))
        entry["events"].append(event)
        doc["events"].append(event_node(event))
        new_state = files.refresh_state(doc, entry)
        tx.write(rel, yamlio.dump_doc(doc))
        detail = f"version {new_state['version']}" if action == "edit" else (event.get("reason") or "")
        message = commit_message(action, entry_id, (new_state.get("questions") or [""])[0], actor, detail, trailer=TRAILER)
        sha = tx.commit(message, actor, when)
    return Result(entry_id, action, new_state["status"], "", sha, event)


def _meaningful(fields: dict) -> dict:
    return {k: v for k, v in fields.items() if v not in (None, [], False)}


def edit(store, actor: str, entry_id: str, given: dict, at=None) -> Result:
    """A new version: the fields given replace those of the latest version; the rest stay."""
    given = {k: v for k, v in given.items() if v not in (None, [], ())}
    if not given:
        raise InvalidInput(_('kb edit: nothing to change; give at least one field (--answer, --question, --source…)'))

    def build(entry, state, when):
        latest = {k: state.get(k) for k in record.CONTENT}
        fields = content(store, {**latest, **given}, when.date())
        if _meaningful(fields) == _meaningful(latest):
            raise InvalidInput(_('kb edit: {entry_id} already reads like that; nothing changed').format(entry_id=entry_id))
        return fields

    return change(store, entry_id, "edit", actor, at, build)


def retire(store, actor: str, entry_id: str, reason: str, replaced_by: str | None = None, at=None) -> Result:
    """Retire an entry (it is no longer given as an answer); name its replacement if there is one."""
    reason = textcheck.text(reason, "--reason", required=True, limit=2000)
    if replaced_by:
        replaced_by = record.validate_id(replaced_by)
        if replaced_by == record.validate_id(entry_id):
            raise InvalidInput(_('--replaced-by: an entry cannot replace itself'))
        files.entry_path(store, replaced_by)
    return change(store, entry_id, "retire", actor, at, lambda e, s, w: {"reason": reason, "replaced_by": replaced_by})


# --- answering a call ----------------------------------------------------------------------------

def answer_for(store, entry_id: str, when) -> dict:
    """The version of an entry to answer a call with at `when`; a retired or expired entry is
    refused, naming its replacement when one is linked."""
    entry = files.load_entry(store, record.validate_id(entry_id))
    state = record.project(entry)
    day = when.astimezone(store.tz).date() if hasattr(when, "astimezone") else when
    if not record.valid_on(state, day):
        if state["status"] == "retired":
            why = _('was retired ({reason})').format(reason=state.get('reason') or _('no reason given'))
        elif record.day(state.get("valid_from")) and day < record.day(state["valid_from"]):
            why = _('is valid only from {valid_from}').format(valid_from=state['valid_from'])
        else:
            why = _('expired on {valid_until}').format(valid_until=state.get('valid_until'))
        replacement = state.get("replaced_by")
        hint = _('answer with {replacement} instead').format(replacement=replacement) if replacement else _('find a current entry with `jiesu kb search TEXT`')
        raise InvalidInput(_('--kb: {entry_id} {why}; it cannot be given as an answer').format(entry_id=entry_id, why=why), hint=hint)
    latest = state["versions"][-1]
    return {"id": entry["id"], "version": latest["version"], "question": latest["questions"][0]}
