"""The loader of `catalog/categories.yaml` (and the import section's categories): the three-level tree;
leaves inherit time limit and dispatch rule from the nearest ancestor that sets them."""

from __future__ import annotations

from jiesu.catalog.fields import Problems, coded_entries, file_of, line_of, names_of
from jiesu.catalog.import_section import with_import
from jiesu.catalog.model import CATEGORY_CODE, Category, prefixes
from jiesu.i18n import _


def load_categories(doc, import_doc, problems: Problems, classes: dict, units: dict) -> dict:
    """Categories by code; every leaf has a time-limit class and a dispatch rule naming known units."""
    categories = {}
    cat_entries = with_import(coded_entries(doc, "categories", "categories", problems, pattern=CATEGORY_CODE), import_doc, "categories",
                              "categories", problems, pattern=CATEGORY_CODE)
    for e in cat_entries:
        code = e["code"]
        parts = code.split(".")
        categories[code] = Category(
            code, len(parts), ".".join(parts[:-1]) or None, names_of(e, file_of(e, "categories"), problems),
            e.get("time_limit"), e.get("dispatch"), [str(k) for k in e.get("keywords") or []], str(e.get("regulations", "")),
        )
    for e in cat_entries:
        cat = categories[e["code"]]
        if cat.parent and cat.parent not in categories:
            problems.add(file_of(e, "categories"), line_of(e), _('{code}: parent {parent!r} is not a category').format(code=cat.code, parent=cat.parent))
        elif cat.parent:
            categories[cat.parent].is_leaf = False
    for e in cat_entries:
        cat = categories[e["code"]]
        # inherit time limit and dispatch from the nearest ancestor that sets them
        for prefix in reversed(prefixes(cat.code)[:-1]):
            parent = categories.get(prefix)
            if parent is None:
                continue
            cat.time_limit = cat.time_limit or parent.time_limit
            cat.dispatch = cat.dispatch or parent.dispatch
        if cat.time_limit is not None and cat.time_limit not in classes:
            problems.add(file_of(e, "categories"), line_of(e, "time_limit"), _('{code}: time limit {time_limit!r} is not a class').format(code=cat.code, time_limit=cat.time_limit))
        if not cat.is_leaf:
            continue
        if cat.time_limit is None:
            problems.add(file_of(e, "categories"), line_of(e), _('{code}: leaf category has no time_limit').format(code=cat.code))
        if cat.dispatch is None:
            problems.add(file_of(e, "categories"), line_of(e), _('{code}: leaf category has no dispatch rule').format(code=cat.code))
            continue
        if not isinstance(cat.dispatch, dict):
            problems.add(file_of(e, "categories"), line_of(e, "dispatch"), _('{code}: dispatch must be {{lead: …, co: […]}}').format(code=cat.code))
            cat.dispatch = None
            continue
        targets = [cat.dispatch.get("lead", "street")] + list(cat.dispatch.get("co") or [])
        for target in targets:
            if target not in ("street", "district") and target not in units:
                problems.add(file_of(e, "categories"), line_of(e, "dispatch"), _('{code}: dispatch names unknown unit {target!r}').format(code=cat.code, target=target))
    return categories
