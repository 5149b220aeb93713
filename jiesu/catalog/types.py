"""The loader of `catalog/types.yaml`: case types, channels and complainant kinds."""

from __future__ import annotations

from jiesu.catalog.fields import Problems, coded_entries, names_of, review
from jiesu.catalog.model import Item
from jiesu.i18n import _


def load_types(doc, problems: Problems) -> tuple[dict, dict, dict]:
    """(types, channels, complainant kinds) by code; the four case types are required."""
    types = {e["code"]: Item(e["code"], names_of(e, "types", problems), str(e.get("description", "")),
                             review=review(e, "types", problems, None) is True) for e in coded_entries(doc, "types", "types", problems)}
    channels = {e["code"]: Item(e["code"], names_of(e, "types", problems)) for e in coded_entries(doc, "channels", "types", problems)}
    kinds = {e["code"]: Item(e["code"], names_of(e, "types", problems)) for e in coded_entries(doc, "complainant_kinds", "types", problems)}
    for required in ("consultation", "complaint", "suggestion", "emergency"):
        if doc and required not in types:
            problems.add("types", 1, _('type {required!r} is missing').format(required=required))
    return types, channels, kinds
