"""The loader of `catalog/units.yaml` (and the import section's units): the handling units and their tree."""

from __future__ import annotations

from jiesu.catalog.fields import (
    Problems,
    coded_entries,
    file_of,
    line_of,
    names_of,
)
from jiesu.catalog.import_section import with_import
from jiesu.catalog.model import LOCAL_KINDS, SLUG, UNIT_ID, UNIT_KINDS, Unit
from jiesu.i18n import _


def load_units(doc, import_doc, problems: Problems) -> dict:
    """Units by id; a street or town sits under a district and is named `<district>/<name>`; no cycles."""
    units = {}
    unit_entries = with_import(coded_entries(doc, "units", "units", problems, key="id", pattern=UNIT_ID), import_doc, "units", "units", problems,
                               key="id", pattern=UNIT_ID)
    for e in unit_entries:
        kind = e.get("kind")
        if kind not in UNIT_KINDS:
            problems.add(file_of(e, "units"), line_of(e, "kind"), _('{id}: kind {kind!r} is not one of {items}').format(id=e['id'], kind=kind, items=', '.join(UNIT_KINDS)))
        pop = e.get("population")
        if pop is not None and (not isinstance(pop, int) or isinstance(pop, bool) or pop <= 0):
            problems.add(file_of(e, "units"), line_of(e, "population"), _('{id}: population must be a positive whole number').format(id=e['id']))
            pop = None
        communities = {}
        for c in e.get("communities") or []:
            if not isinstance(c, dict) or not isinstance(c.get("id"), str) or not SLUG.match(c["id"]):
                problems.add(file_of(e, "units"), line_of(e, "communities"), _('{id}: each community needs a slug id').format(id=e['id']))
                continue
            if c["id"] in communities:
                problems.add(file_of(e, "units"), line_of(c), _('{id}: duplicate community {community!r}').format(id=e['id'], community=c['id']))
            communities[c["id"]] = names_of(c, file_of(e, "units"), problems)
        code = str(e["code"]) if e.get("code") is not None else None
        units[e["id"]] = Unit(e["id"], kind, e.get("parent"), names_of(e, file_of(e, "units"), problems), pop, communities, code)
    for e in unit_entries:
        unit = units[e["id"]]
        if unit.parent is not None and unit.parent not in units:
            problems.add(file_of(e, "units"), line_of(e, "parent"), _('{id}: parent {parent!r} is not a unit').format(id=unit.id, parent=unit.parent))
        if unit.kind in LOCAL_KINDS:
            parent = units.get(unit.parent)
            if parent is None or parent.kind != "district":
                problems.add(file_of(e, "units"), line_of(e, "parent"), _('{id}: a {kind} must have a district as parent').format(id=unit.id, kind=unit.kind))
            elif not unit.id.startswith(parent.id + "/"):
                problems.add(file_of(e, "units"), line_of(e, "id"), _("{id}: a street/town id is '<district>/<name>', here {parent}/…").format(id=unit.id, parent=parent.id))
    # cycles
    for uid in units:
        seen, current = set(), uid
        while current in units and current not in seen:
            seen.add(current)
            current = units[current].parent
        if current in seen:
            problems.add("units", 1, _('{uid}: parents form a cycle').format(uid=uid))
            break
    return units
