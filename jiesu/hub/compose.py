"""Making and refreshing a hub: fetch each member, check that they agree, compose one tree.

All or nothing: every member is fetched into `refs/hub-incoming/<member>` first; if one does not
answer, holds no store, or conflicts with the others (unit ids, time zone, an office code found in
two members), the incoming refs are deleted, the objects they brought are pruned and the hub is
left as it was. Then the changes of each member since the last refresh (`git diff-tree` of its
previous and new commits, under `cases/`) are applied to the hub's composing index
(`.git/jiesu-hub.index`), one tree is written and committed, and the work tree is moved to it
with `git read-tree -m -u` — so a refresh costs what changed, not what exists.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from jiesu import timeutil
from jiesu.errors import InvalidInput, StoreError
from jiesu.hub import MEMBER, STATE, members
from jiesu.i18n import _
from jiesu.store import SETTINGS, Store, treediff, yamlio
from jiesu.store.gitwrite import Git

INCOMING = "refs/hub-incoming"
FETCHED = "refs/hub"
INDEX = "jiesu-hub.index"
GITIGNORE = "/.jiesu/\n/private/\n/reports/out/\n"
ZERO = "0" * 40


class HubConflict(StoreError):
    """The members disagree (catalog, time zone, office codes); nothing was changed."""


def parse_members(specs) -> list[dict]:
    """`NAME=URL` options as [{name, url}], checked."""
    out, seen = [], set()
    for spec in specs:
        name, sep, url = str(spec).partition("=")
        name, url = name.strip(), url.strip()
        if not sep or not url:
            raise InvalidInput(_('--member: {spec!r} must be NAME=URL (e.g. dongcheng=ssh://hotline.example/dongcheng.git)').format(spec=spec))
        if not MEMBER.match(name):
            raise InvalidInput(_('--member: name {name!r} must be lowercase letters, digits and hyphens (e.g. dongcheng)').format(name=name))
        if name in seen:
            raise InvalidInput(_('--member: {name} is given twice').format(name=name))
        seen.add(name)
        out.append({"name": name, "url": url})
    if not out:
        raise InvalidInput(_('a hub needs at least one --member NAME=URL'))
    return out


def init_hub(directory, specs, name: str | None = None, lang: str = "en") -> tuple[Store, dict]:
    """Create the hub in `directory` (new or empty) and fetch its members; all or nothing."""
    root = Path(directory).expanduser()
    chosen = parse_members(specs)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise InvalidInput(_('{root} is not a new or empty folder; a hub needs one').format(root=root))
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    try:
        git = Git(root.resolve())
        git.init("main")
        for key, value in (("core.splitIndex", "true"), ("core.untrackedCache", "true"), ("index.version", "4"),
                           ("core.quotePath", "false")):
            git.set_config(key, value)
        settings = {"office": "HUB", "name": name or f"hub of {len(chosen)} member store(s)", "timezone": timeutil.DEFAULT_ZONE,
                    "lang": lang, "hub": {"members": chosen}}
        _write_settings(root, settings)
        (root / ".gitignore").write_text(GITIGNORE, "utf-8")
        summary = refresh(Store(root), first=True)
        return Store(root), summary
    except BaseException:
        if created:
            shutil.rmtree(root, ignore_errors=True)
        else:
            for child in root.iterdir():
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
        raise


def _write_settings(root: Path, settings: dict) -> None:
    text = ("# jiesu hub: a read-only view of member stores (jiesu hub refresh fetches them)\n"
            + yaml.safe_dump(settings, allow_unicode=True, sort_keys=False))
    yamlio.atomic_write(root / SETTINGS, text)


def _fetch(git: Git, member: dict) -> str:
    ref = f"{INCOMING}/{member['name']}"
    proc = git.fetch_into(member["url"], ref)
    if proc.returncode != 0:
        detail = next((ln.strip() for ln in proc.stderr.splitlines() if ln.startswith(("fatal:", "error:"))),
                      proc.stderr.strip()[:200])
        raise StoreError(_('member {name}: cannot fetch {url}: {detail}').format(name=member['name'], url=member['url'], detail=detail),
                         hint=_("check the address, or that the member's remote is reachable; nothing was fetched"))
    return git.out("rev-parse", ref).strip()


def _units(git: Git, commit: str, name: str) -> dict:
    data = git.show_file(commit, "catalog/units.yaml")
    try:
        doc = yaml.safe_load(data.decode("utf-8")) if data else None
    except (yaml.YAMLError, UnicodeDecodeError):
        raise HubConflict(_('member {name}: catalog/units.yaml is not readable YAML; nothing was changed').format(name=name)) from None
    entries = (doc or {}).get("units") if isinstance(doc, dict) else None
    return {str(u.get("id")): (u.get("kind"), u.get("parent")) for u in entries or [] if isinstance(u, dict)}


def _check_members(git: Git, heads: dict) -> tuple[str, list[str]]:
    """(the time zone, notes); raise HubConflict naming each member that disagrees with the first."""
    problems, zones, notes = [], {}, []
    for name, commit in heads.items():
        data = git.show_file(commit, SETTINGS)
        if data is None or git.show_file(commit, "catalog/units.yaml") is None:
            problems.append(_("member {name}: holds no jiesu store (no {SETTINGS} or catalog/units.yaml)").format(name=name, SETTINGS=SETTINGS))
            continue
        try:
            zones[name] = str((yaml.safe_load(data.decode("utf-8")) or {}).get("timezone", timeutil.DEFAULT_ZONE))
        except yaml.YAMLError:
            problems.append(_("member {name}: {SETTINGS} is not readable YAML").format(name=name, SETTINGS=SETTINGS))
    if problems:
        raise HubConflict(problems[0], hint="; ".join(problems[1:]) or None)
    first = next(iter(heads))
    reference = _units(git, heads[first], first)
    blobs = {name: git.out("rev-parse", f"{commit}:catalog").strip() for name, commit in heads.items()}
    for name, commit in heads.items():
        if name == first:
            continue
        if zones[name] != zones[first]:
            problems.append(_("member {name}: time zone {zone}, member {first}: {first_zone}").format(
                name=name, zone=zones[name], first=first, first_zone=zones[first]))
        if blobs[name] == blobs[first]:
            continue
        mine = _units(git, commit, name)
        extra = sorted(set(mine) - set(reference))
        missing = sorted(set(reference) - set(mine))
        moved = sorted(u for u in set(mine) & set(reference) if mine[u] != reference[u])
        if extra or missing or moved:
            labels = (_("units only here: {ids} ({n})"), _("units missing: {ids} ({n})"),
                      _("units with another kind or parent: {ids} ({n})"))
            parts = [label.format(ids=", ".join(ids[:5]) + (" …" if len(ids) > 5 else ""), n=len(ids))
                     for label, ids in zip(labels, (extra, missing, moved)) if ids]
            problems.append(_("member {name}: catalog disagrees with member {first}'s: {parts}").format(
                name=name, first=first, parts="; ".join(parts)))
        else:
            notes.append(_("member {name}'s catalog differs from member {first}'s beyond unit ids; the hub uses {first}'s").format(
                name=name, first=first))
    if problems:
        raise HubConflict(_("members disagree, nothing was changed: {problem}").format(problem=problems[0]),
                          hint=" | ".join(problems[1:]) or _("units must have the same ids, kinds and parents in every member"))
    return zones[first], notes


def _office(path: str) -> str:
    return path.rsplit("/", 1)[-1].split("-", 1)[0]


def _load_state(root: Path) -> dict:
    try:
        state = json.loads((root / ".git" / STATE).read_text("utf-8"))
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def _discard(git: Git, names) -> None:
    """Drop the incoming refs and the objects only they reached: nothing half-fetched stays."""
    for name in names:
        git.delete_ref(f"{INCOMING}/{name}")
    git.prune()


def refresh(store: Store, first: bool = False, progress=None) -> dict:
    """Fetch every member and bring the hub's tree and work tree up to date.

    Returns {"members": {name: {"commit", "added", "changed", "removed"}}, "cases", "commit", "notes"}.
    """
    chosen = members(store)
    if not chosen:
        raise InvalidInput(_('{root} is not a hub (its {SETTINGS} names no members)').format(root=store.root, SETTINGS=SETTINGS),
                           hint=_('make one with: jiesu hub init DIR --member NAME=URL …'))
    git = store.git
    with store.lock("hub refresh"):
        heads: dict = {}
        try:
            for member in chosen:
                if progress:
                    progress(_("fetching {name}").format(name=member["name"]))
                heads[member["name"]] = _fetch(git, member)
            zone, notes = _check_members(git, heads)
            state = _load_state(store.root)
            known = state.get("members") or {}
            index_file = store.root / ".git" / INDEX
            if not index_file.exists():
                known = {}  # compose from scratch
            changes = {}
            for name, commit in heads.items():
                found, full = treediff.changes(git, (known.get(name) or {}).get("commit"), commit)
                if full and known.get(name):
                    raise StoreError(_('member {name}: its earlier commit cannot be compared with the new one (was its history rewritten?)').format(name=name), hint=_('make the hub again with `jiesu hub init`'))
                changes[name] = found
            owner = {}
            for name in heads:
                found = set((known.get(name) or {}).get("offices") or [])
                found |= {_office(p) for p, b, _ in changes[name] if b}
                for office in found:
                    if office in owner and owner[office] != name:
                        raise HubConflict(_('members {owner} and {name} both hold cases of office {office}; nothing was changed').format(owner=owner[office], name=name, office=office),
                                          hint=_("each office's cases must live in one member store"))
                    owner[office] = name
        except BaseException:
            _discard(git, heads)
            raise
        settings_changed = _sync_timezone(store, zone)
        env = {"GIT_INDEX_FILE": str(index_file)}
        if not known:
            git.empty_index(env)
        lines = []
        counts = {}
        for name, items in changes.items():
            added = removed = 0
            for path, blob, mode in items:
                if blob is None:
                    lines.append(f"0 {ZERO}\t{path}")
                    removed += 1
                else:
                    lines.append(f"{mode} {blob}\t{path}")
                    added += 1
            counts[name] = {"commit": heads[name], "cases_changed": added, "cases_removed": removed}
        first_member = next(iter(heads))
        for entry in git.run("ls-tree", "-r", "-z", heads[first_member], "--", "catalog/").stdout.split("\0"):
            if entry:
                meta, path = entry.split("\t", 1)
                mode, _kind, blob = meta.split()
                lines.append(f"{mode} {blob}\t{path}")
        for own in (SETTINGS, ".gitignore"):
            blob = git.hash_file(own)
            lines.append(f"100644 {blob}\t{own}")
        git.index_info(lines, env)
        tree = git.write_tree(env)
        head = git.head()
        old_tree = git.out("rev-parse", f"{head}^{{tree}}").strip() if head else None
        commit = head
        if tree != old_tree:
            summary = ", ".join(f"{n} {c[:10]}" for n, c in heads.items())
            message = f"hub refresh: {summary}\n\nJiesu-Action: hub-refresh\nJiesu-Actor: hub\n"
            ident = {"GIT_AUTHOR_NAME": "jiesu hub", "GIT_AUTHOR_EMAIL": "hub@jiesu.invalid",
                     "GIT_COMMITTER_NAME": "jiesu hub", "GIT_COMMITTER_EMAIL": "hub@jiesu.invalid"}
            commit = git.commit_tree(tree, message, head, ident)
            git.check_out_tree(head, commit)
            git.update_ref("HEAD", commit)
            from jiesu.index import Index

            Index(store).refresh_history()  # the new tree's commit, for `jiesu log`
        for name, sha in heads.items():
            git.update_ref(f"{FETCHED}/{name}/head", sha)
            git.delete_ref(f"{INCOMING}/{name}")
        state = {"members": {name: {"commit": sha, "offices": sorted(o for o, m in owner.items() if m == name)}
                             for name, sha in heads.items()}}
        yamlio.atomic_write(store.root / ".git" / STATE, json.dumps(state, indent=1) + "\n")
    return {"members": counts, "commit": commit, "notes": notes, "changed": tree != old_tree or settings_changed,
            "first": first}


def _sync_timezone(store: Store, zone: str) -> bool:
    """The hub takes its members' time zone (they all share one)."""
    data = yaml.safe_load((store.root / SETTINGS).read_text("utf-8"))
    if data.get("timezone") == zone:
        return False
    data["timezone"] = zone
    _write_settings(store.root, data)
    return True
