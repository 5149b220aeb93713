"""`jiesu verify`: every check runs, every problem is reported as `path:line: message`.

Each check is a function returning a list of Problems; none stops at the first. A case is valid
when its file parses, its fields fit the schema and the catalog, its events replay through the
state machine, its `state` equals the projection, and git has it committed as it is on disk.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import asdict
from pathlib import Path

from jiesu import model, privacy, safetext, timeutil
from jiesu.catalog import LOCAL_KINDS
from jiesu.errors import CatalogError, InvalidInput
from jiesu.i18n import _
from jiesu.problems import Problem
from jiesu.store import yamlio
from jiesu.workflow import TABLE

CASE_PATH = re.compile(r"^cases/(\d{4})/(\d{2})/([^/]+)\.yaml$")
REQUIRED = {"id": str, "schema": int, "title": str, "received": str, "channel": str, "type": str,
            "time_limit": str, "state": dict, "events": list}
OPTIONAL = {"category": str, "description": str, "location": dict, "complainant": dict, "tags": list,
            "source": dict, "anomalies": list, "attachments": list}


class _Lines:
    """Line numbers of a case file, computed only when a problem needs one."""

    def __init__(self, root: Path, path: str):
        self.root, self.path, self.doc = root, path, None

    def __call__(self, *keys) -> int:
        if self.doc is None:
            try:
                self.doc = yamlio.load_file(self.root / self.path, self.path, lines=True)
            except yamlio.YamlProblem:
                self.doc = {}
        node, line = self.doc, 1
        for key in keys:
            if isinstance(node, dict) and key in node:
                line = node.lines.get(key, line) if hasattr(node, "lines") else line
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                line = node.lines[key] if hasattr(node, "lines") else line
                node = node[key]
            else:
                break
        return line


def check_fields(doc: dict, required: dict, optional: dict, bad) -> None:
    """Report the record's missing fields and fields of the wrong type (`bad(message, key)`); a
    boolean is never taken for a number. Cases, themes and knowledge entries share this."""
    for key, kind in required.items():
        if key not in doc:
            bad(_('missing field `{key}`').format(key=key))
        elif not _typed(doc[key], kind):
            bad(_('`{key}` must be {type}').format(key=key, type=kind.__name__), key)
    for key, kind in optional.items():
        if doc.get(key) is not None and not _typed(doc[key], kind):
            bad(_('`{key}` must be {type}').format(key=key, type=kind.__name__), key)


def _typed(value, kind) -> bool:
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def start_record_check(root: Path, path: str, doc, what: str, required: dict, optional: dict):
    """What the checks of every record file (case, theme, knowledge entry) begin with:
    `(problems, bad, ok)`, where `bad(message, *keys, severity="error")` adds a problem at the line
    of those keys, and `ok` is False when the file is not a mapping with its required fields typed
    (then `problems` says why, and nothing else is worth checking)."""
    if not isinstance(doc, dict):
        return [Problem(path, 1, _('a {what} file must be a mapping').format(what=what))], None, False
    problems: list[Problem] = []
    at = _Lines(root, path)

    def bad(message, *keys, severity="error"):
        problems.append(Problem(path, at(*keys), message, severity))

    check_fields(doc, required, optional, bad)
    return problems, bad, not problems


def check_case(root: Path, path: str, case, catalog, tz) -> list[Problem]:
    """Every problem of one loaded case file."""
    problems, bad, ok = start_record_check(root, path, case, "case", REQUIRED, OPTIONAL)
    if not ok:
        return problems
    for check in CASE_CHECKS:
        check(case, path, catalog, tz, bad)
    return problems


def _header(case: dict, path: str, catalog, tz, bad) -> None:
    """Id, schema, received time (its month and folder), title."""
    m = CASE_PATH.match(path)
    parsed = model.parse_id(case["id"])
    if not parsed:
        bad(_('id {id!r} is not OFFICE-YYMM-NNNN').format(id=case['id']), "id")
    elif m and (m.group(3) != case["id"]):
        bad(_('id {id} does not match the file name {name}.yaml').format(id=case['id'], name=m.group(3)), "id")
    if case["schema"] != model.SCHEMA:
        bad(_('schema {schema} is not supported (expected {SCHEMA})').format(schema=case['schema'], SCHEMA=model.SCHEMA), "schema")
    try:
        received = timeutil.load(case["received"])
    except ValueError:
        bad(_('received {received!r} is not an ISO 8601 time with offset').format(received=case['received']), "received")
        received = None
    if received and m:
        local = received.astimezone(tz)
        if not model.FIRST_YEAR <= local.year <= model.LAST_YEAR:
            bad(_("received {received} is outside {FIRST_YEAR}–{LAST_YEAR}, the years a case id can carry; correct `received` (and the intake event's `at`), then `jiesu verify --repair` files the case").format(received=case['received'], FIRST_YEAR=model.FIRST_YEAR, LAST_YEAR=model.LAST_YEAR), "received")
        else:
            refile = _('; `jiesu verify --repair` moves it')
            if (local.year, local.month) != (int(m.group(1)), int(m.group(2))):
                bad(_('received {received} is not in the month of its folder {year}/{month}{refile}').format(received=case['received'], year=m.group(1), month=m.group(2), refile=refile), "received")
            if parsed and (parsed[1], parsed[2]) != (local.year % 100, local.month):
                bad(_('id {id} does not carry the month received ({local:%y%m}){refile}').format(id=case['id'], local=local, refile=refile), "id")
    if not case["title"].strip():
        bad(_('title is empty'), "title")


def _references(case: dict, path: str, catalog, tz, bad) -> None:
    """Every code the case names is in the catalog: type, channel, class, category, units, tags."""
    if catalog is None:
        return
    for key, table, name in (("type", catalog.types, "type"), ("channel", catalog.channels, "channel"),
                             ("time_limit", catalog.classes, "time-limit class")):
        if case[key] not in table:
            bad(_('unknown {name} {value!r}; allowed: {items}').format(name=name, value=case[key], items=', '.join(table)), key)
    if case.get("category") is not None:
        cat = catalog.categories.get(case["category"])
        if cat is None or not cat.is_leaf:
            bad(_('unknown leaf category {category!r}').format(category=case['category']), "category")
    loc = case.get("location") or {}
    if loc.get("district") and (not _known(loc["district"], catalog.units) or catalog.units[loc["district"]].kind != "district"):
        bad(_('location.district {district!r} is not a district of the catalog').format(district=loc['district']), "location", "district")
    if loc.get("street"):
        unit = catalog.units.get(loc["street"]) if isinstance(loc["street"], str) else None
        if unit is None or unit.kind not in LOCAL_KINDS:
            bad(_('location.street {street!r} is not a street/town of the catalog').format(street=loc['street']), "location", "street")
        elif loc.get("district") and unit.parent != loc["district"]:
            bad(_('location.street {street} is not in district {district}').format(street=loc['street'], district=loc['district']), "location", "street")
    for i, tag in enumerate(case.get("tags") or []):
        if not _known(tag, catalog.tags):
            bad(_('unknown tag {tag!r}').format(tag=tag), "tags")
    comp = case.get("complainant") or {}
    if comp.get("kind") is not None and not _known(comp["kind"], catalog.kinds):
        bad(_('unknown complainant kind {kind!r}').format(kind=comp['kind']), "complainant", "kind")


def _personal_data(case: dict, path: str, catalog, tz, bad) -> None:
    """Control characters, and no surname or phone in a confidential case's shared file."""
    hit = safetext.first_control(case)
    if hit:
        where, char = hit
        bad(_('`{where}` holds control character U+{char:04X}, which jiesu refuses on input; it is shown as a symbol').format(where=where, char=ord(char)),
            where.split(".")[0], severity="warning")
    comp = case.get("complainant") or {}
    if comp.get("confidential") and (comp.get("surname") or comp.get("phone")):
        bad(_('a confidential case must not carry surname or phone in the shared file'), "complainant")
    if comp.get("phone") is not None:
        try:
            privacy.normalize_phone(str(comp["phone"]), "complainant.phone")
        except InvalidInput:  # the message would repeat the number: verify output lands in cron logs
            bad(_('complainant.phone {phone!r} is not a phone number (Chinese mobile, landline with area code, or + international)').format(phone=privacy.mask_phone(str(comp['phone']))), "complainant", "phone")


def check_event_id(e: dict, i: int, seen: dict, bad) -> None:
    """An event's id: 6–12 hex digits, once in its record (`seen` maps ids to event numbers)."""
    eid = e.get("id")
    if not isinstance(eid, str) or not model.EVENT_ID.match(eid):
        bad(_('event {i}: id {eid!r} must be 6–12 hex digits').format(i=i + 1, eid=eid), "events", i)
    elif eid in seen:
        bad(_('event {i}: duplicate event id {eid} (also event {seen})').format(i=i + 1, eid=eid, seen=seen[eid]), "events", i)
    else:
        seen[eid] = i + 1


def check_event_time(e: dict, i: int, action, previous, bad) -> tuple[bool, object]:
    """An event's actor and time, in any record: `by` given, `at` an ISO time with offset, not
    earlier than the event before it (a superseded event is exempt, and flagged for review).
    Returns (whether `at` could be read, the time the next event is compared with)."""
    if not isinstance(e.get("by"), str) or not e.get("by"):
        bad(_('event {i} ({action}): `by` (the actor) is missing').format(i=i + 1, action=action), "events", i)
    try:
        when = timeutil.load(e.get("at"))
        if when is None:
            raise ValueError
    except (ValueError, TypeError):
        bad(_('event {i} ({action}): `at` {at!r} is not an ISO 8601 time with offset').format(i=i + 1, action=action, at=e.get('at')), "events", i)
        return False, previous
    if previous is not None and when < previous and not e.get("superseded"):
        bad(_('event {i} ({action}) at {at} is earlier than the event before it').format(i=i + 1, action=action, at=e.get('at')), "events", i)
    if e.get("superseded"):
        bad(_('event {i} ({action} by {by}) was superseded by a merge; review it').format(i=i + 1, action=action, by=e.get('by')), "events", i, severity="warning")
        return True, previous
    return True, when


def _events(case: dict, path: str, catalog, tz, bad) -> None:
    """Each event's id, action, fields, actor, time and the units it names."""
    seen_ids, previous = {}, None
    for i, e in enumerate(case["events"]):
        if not isinstance(e, dict):
            bad(_('event {i} is not a mapping').format(i=i + 1), "events", i)
            continue
        action = e.get("action")
        if not _known(action, TABLE):
            bad(_('event {i}: unknown action {action!r}').format(i=i + 1, action=action), "events", i)
            continue
        check_event_id(e, i, seen_ids, bad)
        allowed = set(model.EVENT_KEYS) | set(model.EVENT_FIELDS[action]) | {"superseded"}
        extra = [k for k in e if k not in allowed]
        if extra:
            bad(_('event {i} ({action}): unexpected field(s) {items}').format(i=i + 1, action=action, items=', '.join(map(str, extra))), "events", i)
        usec = e.get("usec")
        if usec is not None and (not isinstance(usec, int) or isinstance(usec, bool) or not 0 <= usec <= 999999):
            bad(_('event {i} ({action}): `usec` {usec!r} must be a whole number of microseconds, 0–999999').format(i=i + 1, action=action, usec=usec), "events", i)
        timed, previous = check_event_time(e, i, action, previous, bad)
        if not timed:
            continue
        if catalog is not None:
            for key in ("unit", "to"):
                if e.get(key) is not None and not _known(e[key], catalog.units):
                    bad(_('event {i} ({action}): unknown unit {unit!r}').format(i=i + 1, action=action, unit=e[key]), "events", i)
            co = e.get("co") or []
            if not isinstance(co, list):
                bad(_('event {i} ({action}): `co` must be a list of units').format(i=i + 1, action=action), "events", i)
                co = []
            for unit in co:
                if not _known(unit, catalog.units):
                    bad(_('event {i} ({action}): unknown co-unit {unit!r}').format(i=i + 1, action=action, unit=unit), "events", i)
            if action == "evaluate" and e.get("satisfaction") is not None and not _known(e["satisfaction"], catalog.assessment.satisfaction):
                bad(_('event {i} (evaluate): unknown satisfaction level {satisfaction!r}').format(i=i + 1, satisfaction=e['satisfaction']), "events", i)


def _projection(case: dict, path: str, catalog, tz, bad) -> None:
    """The events replay from the intake, and the state block is what they produce."""
    if not case["events"] or not isinstance(case["events"][0], dict) or case["events"][0].get("action") != "intake":
        bad(_('the first event must be the intake'), "events")
    try:
        model.replay(case, strict=True)
    except model.ReplayError as exc:
        bad(_('event {index}: {exc}; allowed next: see `jiesu show`').format(index=exc.index + 1, exc=exc), "events", exc.index)
    except (ValueError, TypeError) as exc:
        bad(_('events do not replay: {exc}').format(exc=exc), "events")
    else:
        expected = model.state_block(case, catalog, tz)
        actual = case.get("state") or {}
        if _normal(actual) != _normal(expected):
            diffs = [k for k in dict.fromkeys([*expected, *actual]) if _normal(expected.get(k)) != _normal(actual.get(k))]
            first = diffs[0] if diffs else "?"
            bad(_('state does not match the events ({items}): file says {actual!r}, events give {expected!r}').format(items=', '.join(diffs), actual=actual.get(first), expected=expected.get(first)),
                "state", first if first in actual else "status")


# what `verify` checks of each case file, in this order, once its fields have the right types
CASE_CHECKS = (_header, _references, _personal_data, _events, _projection)


def _known(value, table) -> bool:
    """`value` names an entry of `table` (a list or mapping in a hand-edited file names nothing)."""
    return isinstance(value, (str, int)) and not isinstance(value, bool) and value in table


def _normal(value):
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str):
        try:
            return timeutil.load(value).timestamp() if "T" in value and value[:4].isdigit() else value
        except ValueError:
            return value
    return value


def check_catalog(store) -> tuple[object, list[Problem]]:
    try:
        return store.catalog, []
    except CatalogError as exc:
        return None, list(exc.found)


TEMP_FILE = re.compile(r"(^|/)\.[^/]+\.tmp$")


def check_git(store) -> list[Problem]:
    """Case files must be committed exactly as they are on disk; no write or merge half-done."""
    from jiesu.store import leftovers

    problems = [Problem(p.relative_to(store.root).as_posix(), 1, leftovers.describe(p))
                for p in leftovers.stale(store.root)]
    entries = git_status(store)
    untracked = {path for code, path in entries if code == "??"}
    unindexed = {path for code, path in entries if code[0] == "D" and path in untracked}
    for code, path in entries:
        if code == "??" and path in unindexed:
            continue  # reported once, as lost from the index
        if path in unindexed:
            problems.append(Problem(path, 1, _("case file is committed but git's index lost it (an interrupted git command); `jiesu verify --repair` puts the index back")))
        elif code == "??" and TEMP_FILE.search(path):
            problems.append(Problem(path, 1, _('temporary file of an interrupted write; `jiesu verify --repair` (or the next write) removes it')))
        elif code == "??":
            problems.append(Problem(path, 1, _('untracked file in cases/ (not committed by jiesu)')))
        elif "U" in code or code in ("AA", "DD"):
            problems.append(Problem(path, 1, _('unresolved merge conflict')))
        elif "D" in code:
            problems.append(Problem(path, 1, _('case file deleted but the deletion is not committed')))
        else:
            problems.append(Problem(path, 1, _('case file differs from the last commit (uncommitted change)')))
    if (store.jiesu_dir / "journal").exists():
        problems.append(Problem(".jiesu/journal", 1, _('a write was interrupted; `jiesu verify --repair` (or the next write) finishes it')))
    if store.git.run("rev-parse", "-q", "--verify", "MERGE_HEAD", check=False).returncode == 0:
        problems.append(Problem(".git/MERGE_HEAD", 1, _('a merge was left half-done (an interrupted sync or pull); `jiesu verify --repair` aborts it, then run `jiesu sync` again')))
    problems += check_merge_driver(store)
    return problems


def git_status(store) -> list[tuple[str, str]]:
    """(status code, path) of every case file git sees as changed, deleted or untracked."""
    out = store.git.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "cases/",
                        env={"GIT_OPTIONAL_LOCKS": "0"}).stdout  # reading only: works on a read-only or full disk
    found = []
    for entry in out.split("\0"):
        if len(entry) >= 4:
            found.append((entry[:2], entry[3:]))
    return found


_REF_LINE = re.compile(r"^(cases/[^:]+\.yaml):(\d+):\s+ref:\s*['\"]?([^'\"\s]+)")


def check_private_refs(store) -> list[Problem]:
    """Every case this office received that names a private record (`ref`) finds it committed in
    private/ (or removed there by `purge-private`). Refs are numbered in order by each private/,
    so a missing number at or below the highest one it holds was lost; a higher one, or a record
    that does not name the case, belongs to another desk with the same office code."""
    out = store.git.run("grep", "-n", "-I", "--no-color", "-e", "^  ref: ", "--", "cases/", check=False).stdout
    own = [(m.group(1), int(m.group(2)), m.group(3)) for m in map(_REF_LINE.match, out.splitlines())
           if m and Path(m.group(1)).name.startswith(f"{store.office}-")]
    if not own:
        return []
    private = store.private
    if not private.exists():
        return [Problem("private/", 1, _('private/ is missing: {n} case(s) of office {office} refer to records in it').format(n=len(own), office=store.office), "warning")]
    listing = private.git.run("ls-tree", "-r", "--name-only", "HEAD", "--", "people/", check=False).stdout.split()
    committed = {Path(p).stem for p in listing}
    purged_file = private.root / privacy.PURGED
    purged = set(purged_file.read_text("utf-8").split()) if purged_file.is_file() else set()
    numbers = [int(r[2:]) for r in committed | purged if privacy.REF.match(r)]
    highest = max(numbers) if numbers else 0
    problems = []
    for path, line, ref in own:
        if ref in purged:
            continue
        if ref not in committed:
            if (private.root / private.person_path(ref)).is_file():
                problems.append(Problem(path, line, _('complainant.ref {ref}: its record in private/ was never committed; `jiesu verify --repair` commits it').format(ref=ref)))
            elif privacy.REF.match(ref) and int(ref[2:]) <= highest:
                problems.append(Problem(path, line, _('complainant.ref {ref} has no record in private/ (the personal data of this case was lost); restore private/ from a backup').format(ref=ref)))
            continue
        record = private.read(ref) or {}
        if Path(path).stem not in (record.get("cases") or []):
            problems.append(Problem(path, line, _('complainant.ref {ref}: the record in private/ does not name this case (it belongs to another desk with the same office code, or was changed by hand)').format(ref=ref), "warning"))
    return problems


def check_merge_driver(store) -> list[Problem]:
    """A clone without the merge driver would turn concurrent edits of a case into text conflicts."""
    command = store.git.config("merge.jiesu.driver")
    fix = _("run `jiesu verify --repair` (or: git config merge.jiesu.driver 'jiesu merge-driver %O %A %B %P')")
    if not command:
        return [Problem(".git/config", 1, _('the jiesu merge driver is not configured in this clone; {fix}').format(fix=fix), "warning")]
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        program = ""
    if program.startswith("/") and not os.access(program, os.X_OK):
        return [Problem(".git/config", 1, _('the jiesu merge driver runs {program}, which no longer exists; {fix}').format(program=program, fix=fix), "warning")]
    return []


def case_files(root: Path) -> tuple[list[str], list[Problem]]:
    """Every file under cases/, as store-relative paths, and problems with the tree itself."""
    files, problems = [], []
    base = root / "cases"
    for folder, dirs, names in os.walk(base):
        rel_folder = Path(folder).relative_to(root).as_posix()
        for d in list(dirs):
            if (Path(folder) / d).is_symlink():
                problems.append(Problem(f"{rel_folder}/{d}", 1, _('symbolic link in cases/; case folders must be real folders')))
                dirs.remove(d)
        for name in names:
            rel = f"{rel_folder}/{name}"
            full = Path(folder) / name
            if name == ".gitkeep":
                continue
            if full.is_symlink():
                problems.append(Problem(rel, 1, _('symbolic link in cases/; case files must be regular files')))
            elif not CASE_PATH.match(rel):
                if not name.startswith("."):
                    problems.append(Problem(rel, 1, _('not a case file (expected cases/YYYY/MM/<ID>.yaml)')))
            else:
                files.append(rel)
    return sorted(files), problems


def _check_one(args):
    root, path, catalog, tz_name = args
    tz = timeutil.zone(tz_name)
    try:
        case = yamlio.load_file(Path(root) / path, path)
    except yamlio.YamlProblem as exc:
        return [Problem(exc.path, exc.line, exc.problem)]
    return check_case(Path(root), path, case, catalog, tz)


class _Run:
    """What the store's checks share: the store, its catalog (None when broken), its case files."""

    def __init__(self, store, progress, signatures):
        self.store, self.progress, self.signatures = store, progress, signatures
        self.catalog, self.files = None, []


def _catalog(run: _Run) -> list[Problem]:
    run.catalog, found = check_catalog(run.store)
    return found


def _tree(run: _Run) -> list[Problem]:
    run.files, found = case_files(run.store.root)
    return found


def _cases(run: _Run) -> list[Problem]:
    """Each case file: header, references, personal data, events, projection (`CASE_CHECKS`)."""
    problems: list[Problem] = []
    jobs = [(str(run.store.root), p, run.catalog, run.store.settings["timezone"]) for p in run.files]
    if len(jobs) > 2000:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(os.cpu_count() or 2, 8)) as pool:
            for found in pool.map(_check_one, jobs, chunksize=200):
                problems += found
                if run.progress:
                    run.progress(1)
    else:
        for job in jobs:
            problems += _check_one(job)
            if run.progress:
                run.progress(1)
    return problems


def _themes(run: _Run) -> list[Problem]:
    from jiesu.themes.check import check_themes

    return check_themes(run.store, run.catalog)


def _knowledge(run: _Run) -> list[Problem]:
    from jiesu.knowledge.check import check_knowledge

    return check_knowledge(run.store)


def _attachments(run: _Run) -> list[Problem]:
    from jiesu.attachments import check_all

    return check_all(run.store, run.files)


def _actors(run: _Run) -> list[Problem]:
    from jiesu.actors import audit as audit_actors

    return audit_actors(run.store)


def _audit(run: _Run) -> list[Problem]:
    from jiesu import audit

    return audit.audit(run.store)


def _signatures(run: _Run) -> list[Problem]:
    from jiesu.signatures import check as check_signatures

    return check_signatures(run.store) if run.signatures else []


# what `verify` checks, in this order (the catalog and the file tree first: the others use them)
CHECKS = (
    ("catalog", _catalog),
    ("tree", _tree),
    ("cases", _cases),
    ("git state and merge driver", lambda run: check_git(run.store)),
    ("private references", lambda run: check_private_refs(run.store)),
    ("themes", _themes),
    ("knowledge base", _knowledge),
    ("attachments", _attachments),
    ("actors", _actors),
    ("audit", _audit),
    ("signatures", _signatures),
)


def verify(store, progress=None, signatures: bool = False) -> list[Problem]:
    """All problems of the store (errors and warnings), sorted by path and line: every check of
    `CHECKS` runs, none stops the others.

    Includes the audit of the history (jiesu/audit.py); with `signatures`, every commit's
    signature is checked too, against the keys actors.yaml lists for its actor (jiesu/signatures.py;
    slow: git asks gpg or ssh-keygen about each one).
    """
    run = _Run(store, progress, signatures)
    problems: list[Problem] = []
    for _name, check in CHECKS:
        problems += check(run)
    problems.sort(key=lambda p: (p.path, p.line))
    return problems


def as_json(problems: list[Problem]) -> list[dict]:
    return [asdict(p) for p in problems]
