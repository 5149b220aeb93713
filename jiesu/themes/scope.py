"""A theme's scope: which requests belong to it (DESIGN §8).

Given as repeatable `KEY=VALUE` specs (one spec may hold several pairs separated by commas, the
way a hot spot's key is written: `category=env.garbage,street=dragon-gate/eternal-town`). Keys:
`category` (a code or a prefix of codes), `district`, `street`, `community`, `tag`, `keyword`
(in the title or the address). Values of one key are alternatives; different keys must all match.
"""

from __future__ import annotations

import re

from jiesu.catalog import LOCAL_KINDS
from jiesu.errors import InvalidInput
from jiesu.i18n import _

KEYS = ("category", "district", "street", "community", "tag", "keyword")
_PAIR_START = re.compile(r",\s*(?=(?:" + "|".join(KEYS) + r")\s*=)")
MAX_KEYWORD = 60


def parse(specs, catalog, field: str = "--scope") -> dict:
    """{key: [values]} from `KEY=VALUE` specs, every value checked against the catalog."""
    scope: dict = {}
    for spec in specs or ():
        text = str(spec).strip()
        if not text:
            raise InvalidInput(_('{field}: empty; expected KEY=VALUE with KEY one of {items}').format(field=field, items=', '.join(KEYS)))
        for pair in _PAIR_START.split(text):
            key, sep, value = pair.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep or key not in KEYS:
                raise InvalidInput(_('{field}: {pair!r}: expected KEY=VALUE with KEY one of {items}').format(field=field, pair=pair.strip(), items=', '.join(KEYS)))
            if not value:
                raise InvalidInput(_('{field}: {key}= needs a value').format(field=field, key=key))
            value = _checked(key, value, catalog, field)
            values = scope.setdefault(key, [])
            if value not in values:
                values.append(value)
    return {k: scope[k] for k in KEYS if k in scope}


def _checked(key: str, value: str, catalog, field: str) -> str:
    if key == "category":
        if value.rstrip(".*") in catalog.categories:
            return value.rstrip(".*")
        close = [c for c in catalog.categories if value in c][:4]
        hint = _('did you mean {items}?').format(items=', '.join(close)) if close else _('see `jiesu catalog categories`')
        raise InvalidInput(_('{field}: category={value}: no category or category prefix {value!r}; {hint}').format(field=field, value=value, hint=hint))
    if key in ("district", "street"):
        unit = catalog.units.get(value)
        if unit is None and "/" not in value:  # a hot spot may name a street by its last part
            found = [u for u in catalog.units.values() if u.id.split("/")[-1] == value and u.kind in LOCAL_KINDS]
            unit = found[0] if len(found) == 1 else None
        kinds = ("district",) if key == "district" else LOCAL_KINDS
        if unit is None or unit.kind not in kinds:
            what = _('a district') if key == "district" else _('a street or town')
            raise InvalidInput(_('{field}: {key}={value}: not {what} of the catalog; {suggest}').format(field=field, key=key, value=value, what=what, suggest=catalog.suggest(value, catalog.units)))
        return unit.id
    if key == "community":
        if any(value in (u.communities or {}) for u in catalog.units.values()):
            return value
        raise InvalidInput(_('{field}: community={value}: no street of the catalog has this community; see `jiesu catalog units`').format(field=field, value=value))
    if key == "tag":
        if value in catalog.tags:
            return value
        raise InvalidInput(_('{field}: tag={value}: unknown tag; allowed: {items}').format(field=field, value=value, items=', '.join(catalog.tags)))
    if len(value) > MAX_KEYWORD or not value.isprintable():
        raise InvalidInput(_('{field}: keyword= must be printable text of at most {MAX_KEYWORD} characters').format(field=field, MAX_KEYWORD=MAX_KEYWORD))
    return value


def check_stored(scope, catalog) -> list[str]:
    """What is wrong with a scope as stored in a theme file (for `verify`)."""
    if not isinstance(scope, dict) or not scope:
        return ["`scope` must be a mapping of KEY: [values] with at least one key"]
    problems = []
    for key, values in scope.items():
        if key not in KEYS:
            problems.append(f"scope: unknown key {key!r}; allowed: {', '.join(KEYS)}")
            continue
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            problems.append(f"scope.{key} must be a list of text values")
            continue
        if catalog is None:
            continue
        for value in values:
            try:
                if _checked(key, value, catalog, "scope") != value:
                    raise InvalidInput(_('scope: {key}={value}: write the full id').format(key=key, value=value))
            except InvalidInput as exc:
                problems.append(exc.message)
    return problems


def sql(scope: dict) -> tuple[str, list]:
    """Index conditions for the keys the index has columns for (category, district, street)."""
    where, params = [], []
    if scope.get("category"):
        parts = []
        for code in scope["category"]:
            parts.append("(category = ? OR category LIKE ?)")
            params += [code, code + ".%"]  # codes are slugs: no LIKE wildcards in them
        where.append("(" + " OR ".join(parts) + ")" if len(parts) > 1 else parts[0])
    for key in ("district", "street"):
        if scope.get(key):
            where.append(f"{key} IN ({','.join('?' * len(scope[key]))})")
            params += list(scope[key])
    return " AND ".join(where), params


def matches(scope: dict, row: dict) -> bool:
    """Does a case (its index row) fall within the scope?"""
    if not scope:
        return False
    for key, values in scope.items():
        if key == "category":
            code = row.get("category") or ""
            if not any(code == v or code.startswith(v + ".") for v in values):
                return False
        elif key in ("district", "street", "community"):
            if row.get(key) not in values:
                return False
        elif key == "tag":
            if not set(values) & set(row.get("tags") or ()):
                return False
        elif key == "keyword":
            hay = f"{row.get('title') or ''} {row.get('address') or ''}".casefold()
            if not any(v.casefold() in hay for v in values):
                return False
    return True


def describe(scope: dict) -> str:
    """`category=a|b; street=c` — one line for people."""
    return "; ".join(f"{k}={'|'.join(v)}" for k, v in (scope or {}).items()) or "—"
