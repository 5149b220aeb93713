"""A case's history read back from git (`jiesu log`): who did what, when, and what changed.

Commits are walked with gitpython (or listed by the read index), files read through the store's one
`git cat-file --batch` reader. Each commit that touched the case file is compared with its parent's version
of the file: the events it added or removed and the state fields it changed. A commit without
jiesu's trailers is flagged as a change made outside jiesu.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from jiesu import privacy, timeutil
from jiesu.errors import JiesuError
from jiesu.i18n import NP_
from jiesu.store import yamlio
from jiesu.store.catfile import Blobs
from jiesu.store.gitrepo import pinned_env, pinned_overrides


def open_repo(root):
    """A gitpython Repo pinned to `root`: its git commands run with this repository's settings in
    place of any inherited GIT_DIR and friends; the process environment is left as it is."""
    import git

    repo = git.Repo(str(root))
    repo.git.update_environment(**pinned_overrides(root))
    return repo


_BLOBS: dict = {}  # (commit, path) → what `_blob_data` found, for one history


def _blob_data(commit, path: str) -> bytes | None:
    """The file at `path` in `commit`, or None. Asked of one long-lived `git cat-file --batch`
    (by `<commit>:<path>`) rather than by parsing trees in Python, which costs a second per
    commit when a month folder holds tens of thousands of cases."""
    key = (commit.hexsha, path)
    if key not in _BLOBS:
        _BLOBS[key] = _read_blob(commit, path)
    return _BLOBS[key]


_READERS: dict = {}  # the repository folder last read → its `git cat-file --batch` (store/catfile.py)


def _read_blob(commit, path: str) -> bytes | None:
    root = commit.repo.working_tree_dir
    reader = _READERS.get(root)
    if reader is None:
        for other in _READERS.values():  # one reader at a time: a process that reads many stores keeps no git behind
            try:
                other.close()
            except OSError:  # it is gone already
                pass
        _READERS.clear()
        reader = _READERS[root] = Blobs(root, pinned_env(Path(root)))
    found = reader.object(f"{commit.hexsha}:{path}")
    if found is None:  # no such path in that commit
        return None
    return found[2] if found[1] == "blob" else b""


def _load_blob(commit, path: str):
    raw = _blob_data(commit, path)
    if raw is None:
        return None
    try:
        data = yamlio.load(raw.decode("utf-8"), path)
    except (yamlio.YamlProblem, UnicodeDecodeError):
        return {"__unreadable__": True}
    return data if isinstance(data, dict) else {"__unreadable__": True}


def _walk(repo, start: str, path: str, options: dict) -> list:
    """Commits from `start` that touched `path`, newest first, within `options` (a `since` bound)
    unless that bound ends git's walk before the commit that created the file (a clock more than
    two days behind somewhere in between): then the whole history."""
    commits = list(repo.iter_commits(start, paths=path, **options))
    if options and not _reaches_creation(commits, path):
        commits = list(repo.iter_commits(start, paths=path))
    return commits


def _trailers(commit) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in commit.message.splitlines():
        if line.startswith("Jiesu-") and ": " in line:
            key, value = line.split(": ", 1)
            found.setdefault(key, []).append(value.strip())
    return found


def _case_id(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".yaml")


def _reaches_creation(commits: list, path: str) -> bool:
    """Whether the oldest of `commits` (newest first) is the one that created the file."""
    return bool(commits) and _creates(commits[-1], path)


def _creates(commit, path: str) -> bool:
    """Whether `commit` created the file (its first parent has no such path)."""
    return not commit.parents or _blob_data(commit.parents[0], path) is None


def _events(case) -> dict:
    """Event id → event; a hand-made file's odd entries (no mapping, a list for an id) are skipped."""
    events = (case or {}).get("events")
    if not isinstance(events, list):
        return {}
    return {e.get("id"): e for e in events if isinstance(e, dict) and isinstance(e.get("id"), (str, int, type(None)))}


def _state(case) -> dict:
    state = (case or {}).get("state")
    return state if isinstance(state, dict) else {}


def _describe_event(e: dict, names=(), tz=None) -> str:
    """One event as a line: English (as the JSON holds it), or the current language given `tz`
    (the action and field names translated, the time as tables show it)."""
    from jiesu import terms
    from jiesu.handling_view import value_text
    from jiesu.i18n import _, current, using

    lang = current() if tz is not None else "en"
    with using(lang):
        fields = {k: v for k, v in e.items() if k not in ("id", "at", "usec", "by", "action", "limit_from", "due", "superseded")}
        parts = []
        for k, v in fields.items():
            v = value_text(v)
            label = terms.field(k) if lang != "en" else k
            parts.append(f"{label} {privacy.scrub(str(v), names)[:120]}")
        at = e.get("at")
        if lang != "en":
            when = timeutil.load(at) if isinstance(at, str) else None
            at = timeutil.display(when, tz) if when is not None else at
        action = terms.action(e.get("action")) if lang != "en" else e.get("action")
        line = _("{action} by {actor} at {time}").format(action=action, actor=e.get("by"), time=at)
        return line + (_(": ") + _("; ").join(parts) if parts else "")


def case_history(store, case_id: str) -> list[dict]:
    """Every commit that touched the case, oldest first, with what it changed."""
    rel = store.case_relpath(case_id)
    repo = open_repo(store.root)
    _BLOBS.clear()
    if not store.git.head():
        return []
    try:
        names = store.private.names_for(store.load_case(case_id))
    except (JiesuError, ValueError, TypeError, AttributeError):  # a broken file: no names to hide
        names = []
    from jiesu.index import Index

    index = Index(store)
    listed = index.commits_of(rel)
    steps = _from_index(repo, index, rel, listed)
    if steps is None:
        # a merge changed the file (git decides which side's commits show) or the table does not
        # match the files: git's walk, from the last commit on HEAD's line that changed the file
        # when the table knows it (nothing later did: the file is the same at HEAD)
        last = git_commit(repo, listed[0][1]) if listed else None
        start = last.hexsha if last and _blob_data(last, rel) == _blob_data(repo.head.commit, rel) else None
        steps = _from_walk(repo, store, index, rel, start)
    steps.reverse()
    return _entries(steps, names)


def git_commit(repo, sha: str):
    """The commit `sha` (read when its fields are first asked for)."""
    import git

    return git.Commit(repo, bytes.fromhex(sha))


def _from_walk(repo, store, index, rel: str, start: str | None = None) -> list:
    """(commit, path, path before) newest first, from git's path-limited walk.

    Walk only the stretch of history that can hold this case: from the commit the index read it
    at (its last change is at or before that) back to shortly before it was received (a commit
    is recorded at or after its event; two days of slack for clocks that disagree)."""
    read_at, received = index.locate(rel)
    start = start or read_at
    options = {"since": (timeutil.load(received) - timedelta(days=2)).isoformat()} if received else {}
    steps = [(c, rel, rel) for c in _walk(repo, start or "HEAD", rel, options)]  # newest first
    # a case moved by `jiesu renumber` began under another id: follow it there
    seen = {rel}
    while steps and steps[-1][0].parents and _creates(steps[-1][0], steps[-1][1]):
        oldest, path, _ = steps[-1]
        old_rel = _renumbered_from(store, oldest, path, seen)
        if old_rel is None:
            break
        steps[-1] = (oldest, path, old_rel)
        steps += [(c, old_rel, old_rel) for c in _walk(repo, oldest.parents[0].hexsha, old_rel, options)]
    return steps


def _renumbered_from(store, commit, path: str, seen: set) -> str | None:
    """The file a `jiesu renumber` commit that created `path` moved the case from (None: not one)."""
    trailers = _trailers(commit)
    if trailers.get("Jiesu-Action") != ["renumber"]:
        return None
    older = [c for c in trailers.get("Jiesu-Case", []) if c != _case_id(path)]
    if not older:
        return None
    try:
        old_rel = store.case_relpath(older[0])
    except JiesuError:
        return None
    if old_rel in seen:
        return None
    seen.add(old_rel)
    return old_rel


def _from_index(repo, index, rel: str, listed) -> list | None:
    """(commit, path, path before) newest first, from the index's commits per case (`listed`), or
    None where the index cannot tell (a merge changed the file) or what it lists does not match
    the files: each listed commit changed the file, the file is the same from one to the next and
    at HEAD, and the oldest created it."""
    steps = []
    seen = {rel}
    path, newer_blob = rel, _blob_data(repo.head.commit, rel)
    while True:
        if listed is None or any(merge for _, _, merge in listed):
            return None
        oldest_seq = None
        for seq, sha, _ in listed:
            commit = git_commit(repo, sha)
            after = _blob_data(commit, path)
            if after != newer_blob or len(commit.parents) > 1:
                return None
            before = _blob_data(commit.parents[0], path) if commit.parents else None
            if after == before:
                continue  # named in its message, but the file did not change: git's walk passes it too
            steps.append((commit, path, path))
            newer_blob, oldest_seq = before, seq
        if newer_blob is not None:  # the oldest listed commit did not create the file
            return None
        if not steps or not steps[-1][0].parents or oldest_seq is None:
            return steps
        oldest = steps[-1][0]
        old_rel = _renumbered_from(index.store, oldest, path, seen)
        if old_rel is None:
            return steps
        listed = index.commits_of(old_rel, before=oldest_seq)
        steps[-1] = (oldest, path, old_rel)
        path, newer_blob = old_rel, _blob_data(oldest.parents[0], old_rel)


def record_history(store, rel: str) -> list[dict]:
    """Every commit that touched another kind of record (a theme file at `rel`), oldest first."""
    if not store.git.head():
        return []
    repo = open_repo(store.root)
    _BLOBS.clear()
    steps = [(c, rel, rel) for c in repo.iter_commits("HEAD", paths=rel)]
    steps.reverse()
    return _entries(steps, [])


def _entries(steps: list, names) -> list[dict]:
    """What each (commit, path, path before) changed: events added, removed, superseded, state."""
    out = []
    for commit, path, before_path in steps:
        after = _load_blob(commit, path)
        parent = commit.parents[0] if commit.parents else None
        before = _load_blob(parent, before_path) if parent is not None else None
        trailers = {k: v[0] for k, v in _trailers(commit).items()}
        merge = len(commit.parents) > 1
        old_events, new_events = _events(before), _events(after)
        added = [e for k, e in new_events.items() if k not in old_events]
        every_parent = dict(old_events)
        for other in commit.parents[1:]:
            every_parent.update(_events(_load_blob(other, path)))
        removed = [e for k, e in every_parent.items() if k not in new_events]
        superseded = [e for k, e in new_events.items() if e.get("superseded") and not old_events.get(k, {}).get("superseded")]
        old_state, new_state = _state(before), _state(after)
        changes = {}
        for key in list(dict.fromkeys([*old_state, *new_state])):
            if old_state.get(key) != new_state.get(key):
                changes[key] = [old_state.get(key), new_state.get(key)]
        edited = []
        if before and after:
            for key in dict.fromkeys([*before, *after]):
                if key in ("state", "events", "__unreadable__") or before.get(key) == after.get(key):
                    continue
                edited.append(key)
        out.append({
            "commit": commit.hexsha,
            "author": commit.author.name,
            "authored": commit.authored_datetime.isoformat(),
            "committed": commit.committed_datetime.isoformat(),
            "subject": privacy.scrub(commit.summary, names),
            "action": trailers.get("Jiesu-Action"),
            "actor": trailers.get("Jiesu-Actor"),
            "merge": merge,
            "outside_jiesu": "Jiesu-Action" not in trailers and not merge,
            "created": before is None and after is not None,
            "renumbered_from": _case_id(before_path) if before_path != path else None,
            "deleted": after is None,
            "events_added": [_describe_event(e, names) for e in added],
            "events_removed": [_describe_event(e, names) for e in removed],
            "events_superseded": [_describe_event(e, names) for e in superseded],
            "state_changes": changes,
            "fields_edited": edited,
            "_events": (added, removed, superseded, names),  # for history_text; never in JSON
        })
    return out


def history_text(entries: list[dict], tz, noun: str = "case") -> str:
    """The history for people, in the current language (`noun`: case, theme or knowledge entry)."""
    from jiesu.i18n import _, current
    from jiesu.terms import action as action_name
    from jiesu.terms import field as field_name
    from jiesu.terms import status as status_name
    from jiesu.textwidth import pad

    noun = _(noun)
    lines = []
    for h in entries:
        when = timeutil.display(timeutil.load(h["authored"]), tz)
        action = action_name(h["action"]) if h["action"] else (_("merge") if h.get("merge") else _("(outside jiesu)"))
        lines.append(f"{when}  {pad(action, 9)} {h['author']:<16} {h['commit'][:10]}  {h['subject']}")
        if h["outside_jiesu"]:
            lines.append("    ! " + _("commit has no jiesu trailers: the file was changed outside jiesu"))
        if h["created"]:
            lines.append("    + " + _("{noun} created").format(noun=noun))
        if h.get("renumbered_from"):
            lines.append("    ~ " + _("renumbered from {case}").format(case=h["renumbered_from"]))
        if h["deleted"]:
            lines.append("    - " + _("{noun} file deleted").format(noun=noun))
        raw = h.get("_events")
        added, removed, superseded = (h["events_added"], h["events_removed"], h.get("events_superseded", []))
        if raw and current() != "en":
            added, removed, superseded = ([_describe_event(e, raw[3], tz) for e in events] for events in raw[:3])
        for e in added:
            lines.append(f"    + {_('(merged) ') if h.get('merge') else ''}{e}")
        for e in removed:
            lines.append("    - " + _("REMOVED {event}").format(event=e))
        for e in superseded:
            lines.append("    ~ " + _("superseded by the merge: {event}").format(event=e))
        for key, (old, new) in h["state_changes"].items():
            if key == "evaluation":
                old = (old or {}).get("satisfaction") if isinstance(old, dict) else old
                new = (new or {}).get("satisfaction") if isinstance(new, dict) else new
            if key == "status":
                old, new = status_name(old), status_name(new)
            if current() != "en":
                old, new = _time_shown(old, tz), _time_shown(new, tz)
            lines.append(f"    {_state_label(key)}{_(': ')}{_short(old)} → {_short(new)}")
        for key in h["fields_edited"]:
            lines.append("    " + _("edited {field}").format(field=field_name(key)))
    return "\n".join(lines) + ("\n" if lines else "")


STATE_KEYS = {pair[1]: pair for pair in (
    NP_("state", "status"),
    NP_("state", "due"),
    NP_("state", "closed"),
    NP_("state", "resolved"),
    NP_("state", "lead"),
    NP_("state", "co_units"),
    NP_("state", "dispatched"),
    NP_("state", "accepted"),
    NP_("state", "contacted"),
    NP_("state", "evaluation"),
    NP_("state", "reviewed"),
    NP_("state", "merged_into"),
    NP_("state", "handled"),
    NP_("state", "supervision"),
    NP_("state", "whistle"),
    NP_("state", "exemption"),
    NP_("state", "extended"),
    NP_("state", "amended"),
)}


def _state_label(key: str) -> str:
    """`state.status` in English (as always); the field's name in another language."""
    from jiesu.i18n import current, in_lang

    if current() == "en" or key not in STATE_KEYS:
        return f"state.{key}"
    return in_lang(current(), STATE_KEYS[key])


def _time_shown(value, tz):
    """A recorded time as tables show it (`2026-11-01 08:20`); anything else as it is."""
    import re

    if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", value):
        when = timeutil.load(value)
        return timeutil.display(when, tz) if when is not None else value
    return value


def _short(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)
