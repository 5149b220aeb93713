"""Who may act for whom: the optional `actors.yaml` at the store's top level.

```yaml
actors:
  '123456': {roles: [operator]}
  dispatcher: {roles: [dispatcher]}
  eternal-town: {units: [dragon-gate/eternal-town]}
  lead-reviewer: {roles: [reviewer, assessor]}
  admin: {roles: [admin]}
```

Roles: operator, dispatcher, reviewer, assessor, admin. Units: catalog units whose staff the actor
is (a district's staff act for its streets and towns too). Keys (optional): the SSH public keys
and GPG fingerprints the actor signs commits with (`verify --signatures`, jiesu/signatures.py). When the file exists, every write is
checked (`permit`); without it anyone may act as any unit, and `verify` says so once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jiesu import keys
from jiesu.errors import StoreError
from jiesu.i18n import _
from jiesu.store import yamlio

FILE = "actors.yaml"
ROLES = ("operator", "dispatcher", "reviewer", "assessor", "admin")
CENTRE = {"intake": ("operator",), "assign": ("operator", "dispatcher"), "evaluate": ("operator",),
          "reject": ("operator",), "amend": ("operator", "dispatcher"), "supervise": ("operator", "reviewer"),
          "reopen": ("operator",), "merge": ("operator", "dispatcher")}
LEAD = ("accept", "return", "close", "extend", "escalate")  # the lead's staff
WORKERS = ("contact", "note", "attach")  # lead or co-unit staff, or the centre's operators


@dataclass
class Actor:
    name: str
    roles: set = field(default_factory=set)
    units: set = field(default_factory=set)
    keys: list = field(default_factory=list)


def parse(text: str, catalog) -> dict[str, Actor]:
    """The actors of an actors.yaml text; StoreError `actors.yaml:line: message` when it is wrong."""
    try:
        data = yamlio.load(text, FILE, lines=True)
    except yamlio.YamlProblem as exc:
        raise StoreError(str(exc.message) if hasattr(exc, "message") else str(exc),
                         hint=_('fix actors.yaml: the store refuses writes until then')) from None
    if not isinstance(data, dict) or not isinstance(data.get("actors"), dict):
        raise StoreError(_('{FILE}:1: expected `actors:` mapping each actor to roles and units').format(FILE=FILE),
                         hint=_('fix actors.yaml: the store refuses writes until then'))
    table = data["actors"]
    lines = getattr(table, "lines", {}) or {}
    out = {}
    for name, entry in table.items():
        line = lines.get(name, 1)

        def bad(message):
            return StoreError(f"{FILE}:{line}: {name}: {message}", hint=_('fix actors.yaml: the store refuses writes until then'))

        if not isinstance(entry, dict):
            raise bad(_('expected {roles: [...], units: [...]}'))
        unknown_keys = set(entry) - {"roles", "units", "keys"}
        if unknown_keys:
            raise bad(_('unknown key(s) {items}; allowed: roles, units, keys').format(items=', '.join(sorted(map(str, unknown_keys)))))
        roles, units = entry.get("roles") or [], entry.get("units") or []
        if not isinstance(roles, list) or not isinstance(units, list):
            raise bad(_('roles and units are lists'))
        for role in roles:
            if role not in ROLES:
                raise bad(_('unknown role {role!r}; allowed: {items}').format(role=role, items=', '.join(ROLES)))
        for unit in units:
            if unit not in catalog.units:
                raise bad(_('unknown unit {unit!r}; see `jiesu catalog units`').format(unit=unit))
        out[str(name)] = Actor(str(name), set(roles), set(units), _keys(entry, name, line))
    return out


def _keys(entry: dict, name, line: int) -> list:
    """The actor's signing keys (jiesu.keys.Key), each checked; `actors.yaml:line: …` when one is not a key."""
    listed = entry.get("keys") or []
    if isinstance(listed, str):
        listed = [listed]
    if not isinstance(listed, list):
        raise StoreError(_('{FILE}:{line}: {name}: keys is a list of SSH public keys or GPG fingerprints').format(FILE=FILE, line=line, name=name),
                         hint=_('fix actors.yaml: the store refuses writes until then'))
    lines = getattr(listed, "lines", None) or [getattr(entry, "lines", {}).get("keys", line)] * len(listed)
    out = []
    for text, at in zip(listed, lines):
        try:
            out.append(keys.parse(text))
        except ValueError as exc:
            raise StoreError(f"{FILE}:{at}: {name}: {exc}", hint=_('fix actors.yaml: the store refuses writes until then')) from None
    return out


def load(store) -> dict[str, Actor] | None:
    """The store's actors, or None when it has no actors.yaml."""
    path = store.root / FILE
    if not path.is_file():
        return None
    return parse(path.read_text("utf-8"), store.catalog)


def _staff(actor: Actor, unit: str | None, catalog) -> bool:
    """Whether the actor works for `unit` (or for a unit above it)."""
    while unit:
        if unit in actor.units:
            return True
        found = catalog.units.get(unit)
        unit = found.parent if found else None
    return False


def refusal(actors: dict, catalog, name: str, action: str, state: dict, fields: dict) -> str | None:
    """Why `name` may not do `action` on a case in `state` (None when allowed)."""
    actor = actors.get(name)
    if actor is None:
        return _('{name} is not in {FILE}; allowed actors: {actors}').format(name=name, FILE=FILE, actors=', '.join(sorted(actors)) or _('none'))
    if "admin" in actor.roles:
        return None
    lead = state.get("lead")
    units = ", ".join(sorted(actor.units)) or _("no unit")
    if action in CENTRE:
        need = CENTRE[action]
        if actor.roles & set(need):
            return None
        return _('{name} (unit {units}) may not {action}: needs role {items} at the centre').format(name=name, units=units, action=action, items=' or '.join(need))
    if action == "review" or (action == "exempt" and fields.get("decision")):
        if "reviewer" in actor.roles:
            return None
        return _('{name} (unit {units}) may not {what}: needs role reviewer').format(name=name, units=units, what='review' if action == 'review' else 'decide an exemption')
    if action in LEAD or action == "exempt":
        if _staff(actor, lead, catalog):
            return None
        return _("{name} (unit {units}) may not {action}: only the lead's staff may (lead: {lead})").format(name=name, units=units, action=action, lead=lead or _('none'))
    if action == "respond":
        if _staff(actor, fields.get("unit"), catalog):
            return None
        return _('{name} (unit {units}) may not respond for {unit}: needs to be its staff').format(name=name, units=units, unit=fields.get('unit'))
    if action in WORKERS:
        if actor.roles & {"operator", "dispatcher", "reviewer"} or any(_staff(actor, u, catalog) for u in [lead, *(state.get("co_units") or [])]):
            return None
        return _("{name} (unit {units}) may not {action}: only the lead's or a co-unit's staff or the centre may").format(name=name, units=units, action=action)
    return None


def permit(store, name: str, action: str, case_id: str, state: dict, fields: dict) -> None:
    """Refuse (StoreError) unless actors.yaml, when present, lets `name` do `action`."""
    actors = load(store)
    if actors is None:
        return
    why = refusal(actors, store.catalog, name, action, state, fields)
    if why:
        raise StoreError(f"{case_id}: {why}", hint=_('see {FILE}; act as someone allowed with --as ACTOR').format(FILE=FILE))


def audit(store) -> list:
    """Every commit checked against actors.yaml as it stood then: an author acting outside their
    role is an error. Without the file: one warning that anyone may act as any unit."""
    import subprocess

    from jiesu import model
    from jiesu.problems import Problem
    from jiesu.store.catfile import Blobs

    git = store.git.env

    def run(*args) -> str:
        return subprocess.run(["git", *args], cwd=store.root, env=git, capture_output=True, text=True).stdout

    ever = run("log", "--format=%H", "-1", "--", FILE).strip()
    if not ever:
        return [Problem(FILE, 1, _('no {FILE}: anyone may act as any unit (add one to say who acts for whom)').format(FILE=FILE), "warning")]
    problems, cache = [], {}
    reader = Blobs(str(store.root), git)

    def read(spec: str) -> tuple[str, str]:
        """(blob id, text) of a file at a commit; ("", "") when it is not there."""
        found = reader.object(spec)
        if found is None or found[1] != "blob":
            return "", ""
        return found[0], found[2].decode("utf-8", "replace")

    def actors_at(rev: str):
        blob, text = read(f"{rev}:{FILE}")
        if not blob:
            return None
        if blob not in cache:
            try:
                cache[blob] = parse(text, store.catalog)
            except StoreError as exc:
                problems.append(Problem(FILE, 1, _('at {rev}: {message}').format(rev=rev[:10], message=exc.message)))
                cache[blob] = None
        return cache[blob]

    def events_at(rev: str, path: str) -> list:
        text = read(f"{rev}:{path}")[1]
        try:
            case = yamlio.load(text, path) if text else None
        except yamlio.YamlProblem:
            return []
        return [e for e in (case or {}).get("events") or [] if isinstance(e, dict)] if isinstance(case, dict) else []

    log = run("log", "--no-merges", "--format=%x1e%H%x1f%an%x1f%P", "--name-only", "--", "cases/", "catalog/", FILE)
    try:
        for chunk in log.split("\x1e")[1:]:
            head, _sep, names = chunk.partition("\n")
            sha, author, parents = head.split("\x1f")
            parent = parents.split()[0] if parents.split() else None
            paths = [p for p in names.split("\n") if p.strip()]
            actors = actors_at(sha)
            before = actors_at(parent) if parent else None
            for path in paths:
                if path == FILE or path.startswith("catalog/"):
                    table = before or actors
                    if table is not None and "admin" not in getattr(table.get(author), "roles", set()):
                        problems.append(Problem(path, 1, _('commit {sha} by {author} changed {path}: needs role admin').format(sha=sha[:10], author=author, path=path)))
                    continue
                if actors is None or not path.startswith("cases/"):
                    continue
                old_ids = {e.get("id") for e in events_at(parent, path)} if parent else set()
                events = events_at(sha, path)
                for index, event in enumerate(events):
                    if event.get("id") in old_ids or event.get("superseded"):
                        continue
                    state = model.replay({"events": events[:index]}, strict=False)
                    why = refusal(actors, store.catalog, author, str(event.get("action")), state, event)
                    if why:
                        problems.append(Problem(path, 1, _('commit {sha} by {author}: {why}').format(sha=sha[:10], author=author, why=why)))
    finally:
        reader.close()
    return problems
