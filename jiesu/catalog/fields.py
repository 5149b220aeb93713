"""What every catalog file's loader shares: the problem collector, line numbers, names, lists of
coded entries and durations. Each loader adds a `Problem` per mistake and goes on, so that one
run reports them all."""

from __future__ import annotations

from jiesu.catalog.model import NO_LIMIT, SLUG
from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.problems import Problem
from jiesu.store import yamlio
from jiesu.timeutil import parse_duration


class Problems:
    """The problems found while loading a catalog, each a `Problem` at `catalog/<file>.yaml:line`."""

    def __init__(self):
        self.items: list[Problem] = []

    def add(self, file: str, line: int, message: str) -> None:
        self.items.append(Problem(f"catalog/{file}.yaml", line, message))

    def unreadable(self, exc: yamlio.YamlProblem) -> None:
        """A file YAML cannot read, at the line the parser names."""
        self.items.append(Problem(exc.path, exc.line, exc.problem))


def line_of(obj, key=None) -> int:
    if key is not None and hasattr(obj, "lines") and isinstance(obj.lines, dict) and key in obj.lines:
        return obj.lines[key]
    return getattr(obj, "line", 1) or 1


def names_of(entry, file, problems) -> dict:
    name = entry.get("name")
    if isinstance(name, str):
        return {"en": name, "zh": name}
    if not isinstance(name, dict) or not name.get("en"):
        problems.add(file, line_of(entry), _('{value}: name needs at least `en` (and `zh`)').format(value=entry.get('code') or entry.get('id')))
        return {"en": str(entry.get("code") or entry.get("id")), "zh": ""}
    return {"en": str(name.get("en")), "zh": str(name.get("zh") or name.get("en"))}


def entries(doc, key, file, problems) -> list:
    if not isinstance(doc, dict):
        problems.add(file, 1, _('expected a mapping with `{key}:` at the top').format(key=key))
        return []
    value = doc.get(key)
    if not isinstance(value, list):
        problems.add(file, line_of(doc, key), _('`{key}` must be a list').format(key=key))
        return []
    good = []
    for i, entry in enumerate(value):
        if isinstance(entry, dict):
            good.append(entry)
        else:
            problems.add(file, value.lines[i] if hasattr(value, "lines") else 1, _('{key}[{i}] must be a mapping').format(key=key, i=i))
    return good


def coded(entries, file, problems, key="code", pattern=SLUG) -> list:
    seen, result = {}, []
    for entry in entries:
        code = entry.get(key)
        if not isinstance(code, str) or not pattern.match(code):
            problems.add(file, line_of(entry), _('{key} {code!r} is not a valid code (lowercase letters, digits, -)').format(key=key, code=code))
            continue
        if code in seen:
            problems.add(file, line_of(entry), _('duplicate {key} {code!r} (first on line {seen})').format(key=key, code=code, seen=seen[code]))
            continue
        seen[code] = line_of(entry)
        result.append(entry)
    return result


def review(entry, file, problems, types):
    """`review: true|false`, or (time-limit classes) a list of the types whose closes are reviewed."""
    value = entry.get("review", False)
    if isinstance(value, bool):
        return value
    if types is not None and isinstance(value, list) and all(v in types for v in value):
        return tuple(value)
    allowed = "true, false or a list of types" if types is not None else "true or false"
    problems.add(file, line_of(entry, "review"), _('{code}: review must be {allowed}, not {value!r}').format(code=entry.get('code'), allowed=allowed, value=value))
    return False


def duration(entry, key, file, problems, required=True):
    value = entry.get(key)
    if isinstance(value, str) and value.strip().lower() == NO_LIMIT and key != "extendable_to":
        return NO_LIMIT
    if value is None:
        if required:
            problems.add(file, line_of(entry), _('{code}: `{key}` is required (e.g. 2h, 7d)').format(code=entry.get('code'), key=key))
        return None
    try:
        return parse_duration(str(value), key)
    except InvalidInput as exc:
        problems.add(file, line_of(entry, key), exc.message)
        return None


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def file_of(entry, default: str) -> str:
    """The catalog file an entry came from (the import section, or `default`)."""
    return getattr(entry, "file", default)


def coded_entries(doc, list_key: str, file: str, problems: Problems, **kw) -> list:
    """The mappings listed under `list_key`, each with a valid, unique code (or `key`)."""
    return coded(entries(doc, list_key, file, problems), file, problems, **kw)
