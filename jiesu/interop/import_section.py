"""The catalog's import section: agencies, areas and request types that the office's catalog lacks.

An imported row names an agency (a handling unit), an area (a district, maybe a neighbourhood
within it) and a request type (a category). Each is looked up in the mapping's own table first,
then in the catalog under a predictable id (`<prefix>-<slug>` for units, `<system>.<slug>` for
categories), and added to `catalog/import.yaml` when missing, so nothing a row says is dropped.
Agencies become departments and areas districts (under the centre); neighbourhoods become
streets of their district; request types become leaves of one category per source system,
dispatched to the first agency seen handling them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from jiesu.catalog import CATEGORY_CODE, IMPORT_FILE, LOCAL_KINDS, UNIT_ID
from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.store import yamlio

HEADER = (
    "# Units and categories added by `jiesu import` for agencies, areas and request types that the\n"
    "# rest of the catalog lacked. Same format as units.yaml and categories.yaml; edit names freely,\n"
    "# but keep ids and codes: imported cases refer to them.\n"
)


def slug(text: str, limit: int = 48) -> str:
    """A lowercase code for any text (`HEAT/HOT WATER` → `heat-hot-water`)."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")
    return value or "x" + hashlib.sha1(str(text).encode("utf-8")).hexdigest()[:8]


def _name(text: str) -> dict:
    return {"en": text}


class Section:
    """The ids an import uses, and the catalog entries it must add (nothing is written here)."""

    def __init__(self, catalog, mapping):
        self.catalog = catalog
        self.mapping = mapping
        self.units: dict = {}  # new unit id → entry
        self.categories: dict = {}  # new category code → entry
        self.parent = "centre" if "centre" in catalog.units else None
        self.root = slug(mapping.system)
        existing = catalog.categories.get(self.root)
        if existing is not None and existing.is_leaf:
            raise InvalidInput(_("category {root!r} is a leaf of the catalog; the import needs it as the root of {title}'s request types").format(root=self.root, title=mapping.title))

    def _known(self, unit_id: str, kinds, what: str) -> bool:
        unit = self.catalog.units.get(unit_id)
        if unit is None:
            return unit_id in self.units
        if unit.kind not in kinds:
            raise InvalidInput(_('{what}: unit {unit_id} exists as a {kind}; map it in the mapping file instead').format(what=what, unit_id=unit_id, kind=unit.kind))
        return True

    def _mapped(self, table: dict, value: str, kinds, what: str) -> str | None:
        target = table.get(value)
        if target is None:
            return None
        unit = self.catalog.units.get(target)
        if unit is None or unit.kind not in kinds:
            raise InvalidInput(_("{path}: {what} {value!r} is mapped to {target!r}, which is not a {items} of this store's catalog").format(path=self.mapping.path, what=what, value=value, target=target, items='/'.join(kinds)))
        return target

    def agency(self, value: str, name: str | None = None) -> str:
        """The unit that handles rows of agency `value` (a department unless mapped)."""
        mapped = self._mapped(self.mapping.agencies, value, ("department", "district", *LOCAL_KINDS), "agency")
        if mapped:
            return mapped
        unit_id = f"{self.mapping.prefix}-{slug(value)}"
        if not self._known(unit_id, ("department",), f"agency {value!r}"):
            label = f"{name} ({value})" if name and name != value else value
            self.units[unit_id] = {"id": unit_id, "kind": "department", "parent": self.parent, "name": _name(label)}
        return unit_id

    def area(self, value: str) -> str:
        """The district of area `value`."""
        mapped = self._mapped(self.mapping.areas, value, ("district",), "area")
        if mapped:
            return mapped
        label = self.mapping.area_name.replace("{value}", value.title() if value.isupper() else value)
        unit_id = f"{self.mapping.prefix}-{slug(label)}"
        if not self._known(unit_id, ("district",), f"area {value!r}"):
            self.units[unit_id] = {"id": unit_id, "kind": "district", "parent": self.parent, "name": _name(label)}
        return unit_id

    def subarea(self, district: str, value: str) -> str:
        """The street (neighbourhood) `value` within `district`."""
        label = self.mapping.subarea_name.replace("{value}", value.title() if value.isupper() else value)
        unit_id = f"{district}/{slug(label)}"
        if not self._known(unit_id, LOCAL_KINDS, f"area {value!r}"):
            self.units[unit_id] = {"id": unit_id, "kind": "street", "parent": district, "name": _name(label)}
        return unit_id

    def category(self, service: str, lead: str | None, code: str | None = None) -> str:
        """The leaf category of request type `service` (dispatched to `lead` when new).

        A service `code` shaped like a catalog code with a dot (as jiesu's own Open311 export
        writes them) is kept as the category's code, so that a round trip keeps it.
        """
        rule = self.mapping.categories.get(service) or {}
        if not rule and code and "." in code and CATEGORY_CODE.match(code):
            found = self.catalog.categories.get(code)
            if found is None or found.is_leaf:
                self.ensure_category(code, self.mapping.time_limit, lead, service)
                if code in self.catalog.categories or code in self.categories:
                    return code
        if rule.get("code"):
            found = self.catalog.categories.get(rule["code"])
            if found is None or not found.is_leaf:
                raise InvalidInput(_("{path}: categories: {service!r} is mapped to {code!r}, which is not a leaf category of this store's catalog").format(path=self.mapping.path, service=service, code=rule['code']))
            return rule["code"]
        code = f"{self.root}.{slug(service)}"
        found = self.catalog.categories.get(code)
        if found is not None or code in self.categories:
            return code
        if self.root not in self.catalog.categories and self.root not in self.categories:
            self.categories[self.root] = {"code": self.root, "name": _name(self.mapping.title)}
        limit = rule.get("time_limit") or self.mapping.time_limit
        if limit not in self.catalog.classes:
            raise InvalidInput(_("{path}: time limit {limit!r} is not a class of this store's catalog; allowed: {items}").format(path=self.mapping.path, limit=limit, items=', '.join(self.catalog.classes)))
        self.categories[code] = {
            "code": code, "name": _name(service), "time_limit": limit,
            "dispatch": {"lead": lead or "district", "co": []}, "keywords": [service.lower()],
        }
        return code

    def ensure_unit(self, unit_id: str, kind: str = "department", name: str | None = None) -> None:
        """A unit another jiesu store named: added, if missing, with its name there (else its id)."""
        if unit_id in self.catalog.units or unit_id in self.units or not UNIT_ID.match(str(unit_id)):
            return
        parent = self.parent
        if "/" in unit_id:
            parent, kind = unit_id.split("/")[0], "street"
            self.ensure_unit(parent, "district")
        self.units[unit_id] = {"id": unit_id, "kind": kind, "parent": parent, "name": _name(name or unit_id)}

    def ensure_category(self, code: str, time_limit: str | None, lead: str | None, name: str | None = None) -> None:
        """A category another jiesu store used: added, with its parents, if missing (named by its code
        unless the other store gave its name)."""
        known = {**self.catalog.categories, **self.categories}
        if code in known or not CATEGORY_CODE.match(str(code)):
            return
        parts = code.split(".")
        for depth in range(1, len(parts)):
            prefix = ".".join(parts[:depth])
            if prefix in self.catalog.categories and self.catalog.categories[prefix].is_leaf:
                return  # would turn a leaf into a parent: leave the code unknown
            if prefix not in known:
                self.categories[prefix] = {"code": prefix, "name": _name(prefix)}
        limit = time_limit if time_limit in self.catalog.classes else self.catalog.default_class
        self.categories[code] = {"code": code, "name": _name(name or code), "time_limit": limit,
                                 "dispatch": {"lead": lead if lead and UNIT_ID.match(lead) else "district", "co": []}}

    @property
    def changed(self) -> bool:
        return bool(self.units or self.categories)

    def text(self, store) -> str:
        """The new content of catalog/import.yaml: what it held, plus this import's additions."""
        path = store.root / "catalog" / f"{IMPORT_FILE}.yaml"
        if path.exists():
            doc = yamlio.rt_load(path.read_text("utf-8"), f"catalog/{IMPORT_FILE}.yaml") or yamlio.cmap()
            prefix = ""
        else:
            doc, prefix = yamlio.cmap(), HEADER
        for key, entries in (("units", self.units), ("categories", self.categories)):
            if not entries:
                continue
            if doc.get(key) is None:
                doc[key] = yamlio.cseq()
            for entry in entries.values():
                doc[key].append(_flow(entry))
        return prefix + yamlio.dump_doc(doc)  # the fast writer where it can: the same text


def _flow(entry: dict):
    pairs = []
    for key, value in entry.items():
        if value is None:
            continue
        if isinstance(value, dict):
            value = yamlio.cmap([(k, yamlio.cseq(v, flow=True) if isinstance(v, list) else v) for k, v in value.items()], flow=True)
        elif isinstance(value, list):
            value = yamlio.cseq(value, flow=True)
        pairs.append((key, value))
    return yamlio.cmap(pairs, flow=True)
