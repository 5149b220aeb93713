"""Catalog codes as a person reads them in Chinese: a type, channel, unit or category by its name.

English tables show the codes (they are what a command line takes); a Chinese table shows the
catalog's Chinese name, with the code after it in full-width parentheses where the reader may need
to type it back. JSON and CSV always hold the codes.
"""

from __future__ import annotations

from jiesu.i18n import current

TABLES = {"type": "types", "channel": "channels", "kind": "kinds", "category": "categories", "tag": "tags",
          "limit": "classes", "district": "units", "street": "units", "lead": "units", "unit": "units"}


def zh_name(catalog, dim: str, value) -> str | None:
    """The Chinese name of code `value` of dimension `dim`, or None (not Chinese now, no such code, no name)."""
    if current() != "zh" or catalog is None or not isinstance(value, str) or not value or dim not in TABLES:
        return None
    entry = (getattr(catalog, TABLES[dim], None) or {}).get(value)
    if entry is None or not entry.name.get("zh") or entry.name["zh"] == value:
        return None
    return catalog.unit_label(value, "zh") if TABLES[dim] == "units" else entry.name["zh"]


def shown(catalog, dim: str, value, with_code: bool = False):
    """`value` as a table shows it: its Chinese name in a Chinese table (`名称（code）` with
    `with_code`), else the code."""
    name = zh_name(catalog, dim, value)
    if name is None:
        return value
    return f"{name}（{value}）" if with_code else name


def scheme(catalog, code):
    """An assessment scheme's code as a Chinese table shows it: `名称（code）`."""
    entry = (catalog.assessment.schemes.get(code) if catalog is not None and isinstance(code, str) else None)
    if current() != "zh" or entry is None or not entry.name.get("zh"):
        return code
    return f"{entry.name['zh']}（{code}）"
