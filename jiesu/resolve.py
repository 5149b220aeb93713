"""Catalog values as an operator types them: by id, English name or Chinese name.

Every option that picks a value from the catalog (type, channel, complainant kind, status,
satisfaction level, time-limit class, tag, unit, category) goes through `pick`: an exact id wins;
otherwise a name (English, case-insensitive, or Chinese) that names exactly one entry; a name that
names several is refused with the candidates listed, an unknown one with the allowed values.
"""

from __future__ import annotations

from jiesu import i18n
from jiesu.errors import InvalidInput
from jiesu.i18n import _

# case statuses are not in the catalog; their names live here
STATUS_NAMES = {
    "received": {"en": "Received", "zh": "已登记"},
    "dispatched": {"en": "Dispatched", "zh": "已派单"},
    "accepted": {"en": "Accepted", "zh": "已接单"},
    "closed": {"en": "Closed", "zh": "已办结"},
    "evaluated": {"en": "Evaluated", "zh": "已回访"},
    "rejected": {"en": "Rejected", "zh": "不予受理"},
    "merged": {"en": "Merged", "zh": "已合并"},
}


# what `pick` calls the value it looks for, in its messages
WHATS = (i18n.N_("value"), i18n.N_("status"), i18n.N_("unit"), i18n.N_("class"), i18n.N_("level"))


def _key(text: str) -> str:
    return " ".join(str(text).casefold().replace("_", "-").split())


def _names(entry) -> dict:
    if isinstance(entry, dict):
        return entry.get("name", entry) if "name" in entry else entry
    return getattr(entry, "name", None) or {}


def candidates(text: str, table: dict, aliases=None) -> list[str]:
    """Ids of `table` whose id, last id segment or any name equals `text` (case- and space-insensitive)."""
    wanted = _key(text)
    found = []
    for code, entry in table.items():
        forms = {_key(code), _key(code.rsplit("/", 1)[-1]).replace(" ", "-")}
        forms.update(_key(v) for v in _names(entry).values() if isinstance(v, str))
        if aliases:
            forms.update(_key(a) for a in aliases(code, entry))
        if wanted in forms:
            found.append(code)
    return found


def label(code: str, table: dict) -> str:
    names = _names(table.get(code)) or {}
    zh, en = names.get("zh"), names.get("en")
    shown = " / ".join(n for n in (zh, en) if n)
    return f"{code} ({shown})" if shown else code


def pick(value, table: dict, field: str, *, what: str = "value", aliases=None, allowed: str | None = None) -> str:
    """The id `value` stands for in `table`; InvalidInput naming candidates or the allowed ids."""
    text = str(value).strip()
    if text in table:
        return text
    found = candidates(text, table, aliases)
    if len(found) == 1:
        return found[0]
    if found:
        listing = ", ".join(label(c, table) for c in found[:8])
        raise InvalidInput(i18n._("{field}: {text!r} is ambiguous; it names {listing}; give the id").format(
            field=field, text=text, listing=listing))
    if allowed is None:
        allowed = i18n._("allowed: {ids} (or their names)").format(ids=", ".join(table)) if len(table) <= 30 else _close(text, table)
    raise InvalidInput(i18n._("{field}: unknown {what} {text!r}; {allowed}").format(
        field=field, what=i18n._(what), text=text, allowed=allowed))


def _close(text: str, table: dict) -> str:
    import difflib

    wanted = _key(text)
    pool = {}
    for code, entry in table.items():
        for form in (code, code.rsplit("/", 1)[-1], *[v for v in _names(entry).values() if isinstance(v, str)]):
            pool.setdefault(_key(form), code)
    near = difflib.get_close_matches(wanted, list(pool), n=8, cutoff=0.6)
    near += [form for form in pool if wanted and wanted in form and form not in near]
    codes = list(dict.fromkeys(pool[f] for f in near))[:5]
    return f"did you mean {', '.join(label(c, table) for c in codes)}?" if codes else f"{len(table)} known; see `jiesu catalog`"


def status(value, field: str = "--status") -> str:
    return pick(value, STATUS_NAMES, field, what="status")


def unit(catalog, value, field: str, kinds: tuple | None = None) -> str:
    """A unit id from an id, a name (永安镇, Eternal Town) or a street's last id segment."""
    text = str(value).strip()
    if text in catalog.units:
        return text  # an id (of another kind than `kinds`: the caller says what kind it is not)
    table = catalog.units if kinds is None else {k: u for k, u in catalog.units.items() if u.kind in kinds}
    return pick(text, table, field, what="unit")


def category(catalog, value, field: str = "--category") -> str:
    """A category code from a code or the exact name of a category (a leaf is checked by the caller)."""
    text = str(value).strip()
    if text in catalog.categories:
        return text
    found = candidates(text, catalog.categories)
    if len(found) == 1:
        return found[0]
    if found:
        listing = ", ".join(label(c, catalog.categories) for c in found[:8])
        raise InvalidInput(_('{field}: {text!r} is ambiguous; it names {listing}; give the code').format(field=field, text=text, listing=listing))
    return text  # unknown: the caller's own message searches for close matches


def community(catalog, street: str, value, field: str = "--community") -> str:
    known = catalog.units[street].communities
    text = str(value).strip()
    if not known or text in known:
        return text
    found = candidates(text, known)
    if len(found) == 1:
        return found[0]
    if found:
        raise InvalidInput(_('{field}: {text!r} is ambiguous in {street}; it names {items}; give the id').format(field=field, text=text, street=street, items=', '.join(found)))
    return text
