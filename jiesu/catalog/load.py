"""`load_catalog(dir)`: read `catalog/*.yaml`, validate every cross-reference, return a `Catalog`.

One loader per file (`types.py`, `time_limits.py`, `calendar.py`, `units.py`, `assessment.py`,
`tags.py`, `categories.py`, and `import_section.py` for the optional `import.yaml`); each adds a
`Problem` per mistake and goes on. Any problem (a missing parent, a duplicate code, a leaf without
a time limit, a dispatch rule naming a missing unit, a tag naming a missing scheme…) refuses the
catalog: all of them are raised together as one `CatalogError`, so a broken catalog never lets a
write through.
"""

from __future__ import annotations

from pathlib import Path

from jiesu.catalog.assessment import load_assessment
from jiesu.catalog.calendar import load_calendar
from jiesu.catalog.categories import load_categories
from jiesu.catalog.fields import Problems
from jiesu.catalog.import_section import load_import
from jiesu.catalog.model import FILES, IMPORT_FILE, Catalog
from jiesu.catalog.tags import load_tags
from jiesu.catalog.time_limits import load_time_limits
from jiesu.catalog.types import load_types
from jiesu.catalog.units import load_units
from jiesu.errors import CatalogError
from jiesu.i18n import _
from jiesu.store import yamlio


def load_catalog(directory: Path) -> Catalog:
    """Read and validate a catalog folder; raise CatalogError with every problem found."""
    problems = Problems()
    docs = {}
    for file in FILES:
        path = Path(directory) / f"{file}.yaml"
        if not path.exists():
            problems.add(file, 1, _('file is missing'))
            docs[file] = {}
            continue
        try:
            docs[file] = yamlio.load_file(path, f"catalog/{file}.yaml", lines=True) or {}
        except yamlio.YamlProblem as exc:
            problems.unreadable(exc)
            docs[file] = {}
    imported = load_import(Path(directory), problems)

    types, channels, kinds = load_types(docs["types"], problems)
    classes, default_class = load_time_limits(docs["time-limits"], problems, types)
    calendar = load_calendar(docs["calendar"], problems)
    units = load_units(docs["units"], imported, problems)
    assessment = load_assessment(docs["assessment"], problems)
    tags = load_tags(docs["tags"], problems, assessment.schemes, classes)
    categories = load_categories(docs["categories"], imported, problems, classes, units)
    for scheme in assessment.schemes.values():
        for prefix in scheme.categories:
            if prefix not in categories:
                problems.add("assessment", 1, _('{code}: category {prefix!r} is not in categories.yaml').format(code=scheme.code, prefix=prefix))
    if problems.items:
        raise CatalogError(problems.items)
    return Catalog(types, channels, kinds, classes, default_class, calendar, categories, units, tags, assessment)


__all__ = ["load_catalog", "IMPORT_FILE"]
