"""The loader of the optional `catalog/import.yaml`: units and categories that `jiesu import`
added for agencies, areas and request types the office's catalog lacked, merged into the units
and categories and validated alike."""

from __future__ import annotations

from pathlib import Path

from jiesu.catalog.fields import Problems, coded_entries, line_of
from jiesu.catalog.model import IMPORT_FILE, IMPORT_KEYS
from jiesu.i18n import _
from jiesu.store import yamlio


def load_import(directory: Path, problems: Problems):
    """The optional import section, `catalog/import.yaml`: only `units:` and `categories:`."""
    path = directory / f"{IMPORT_FILE}.yaml"
    if not path.exists():
        return None
    try:
        doc = yamlio.load_file(path, f"catalog/{IMPORT_FILE}.yaml", lines=True) or {}
    except yamlio.YamlProblem as exc:
        problems.unreadable(exc)
        return None
    if not isinstance(doc, dict):
        problems.add(IMPORT_FILE, 1, _('expected a mapping with `units:` and/or `categories:`'))
        return None
    for key in doc:
        if key not in IMPORT_KEYS:
            problems.add(IMPORT_FILE, line_of(doc, key), _('unknown section {key!r}; the import section holds only units and categories').format(key=key))
    return doc



def with_import(base: list, import_doc, file: str, list_key: str, problems: Problems, **kw) -> list:
    """The entries of `file` followed by those the import section adds (each knows its file)."""
    if not import_doc or list_key not in import_doc:
        return base
    key = kw.get("key", "code")
    known = {e[key]: line_of(e) for e in base}
    merged = list(base)
    for e in coded_entries(import_doc, list_key, IMPORT_FILE, problems, **kw):
        if e[key] in known:
            problems.add(IMPORT_FILE, line_of(e), _('{key} {value!r} is already defined in catalog/{file}.yaml (line {known})').format(key=key, value=e[key], file=file, known=known[e[key]]))
            continue
        e.file = IMPORT_FILE
        merged.append(e)
    return merged
