"""Questions `intake` asks on a terminal for what the operator did not give on the command line.

Only used when both stdin and stdout are terminals (see `util.interactive`); a script never sees a
prompt. The category is found by keyword: type words, pick a number from the matches.
"""

from __future__ import annotations

import click

from jiesu.catalog import LOCAL_KINDS


def _choose(label: str, table: dict, lang: str, default: str | None = None) -> str:
    codes = list(table)
    listing = ", ".join(f"{c} ({table[c].name.get(lang) or table[c].name['en']})" for c in codes)
    click.echo(f"{label}: {listing}", err=True)
    return click.prompt(label, type=click.Choice(codes), default=default, show_choices=False, err=True)


def choose_category(store) -> str | None:
    """Keyword search of leaf categories; returns a code, or None when the operator skips."""
    catalog, lang = store.catalog, store.lang
    while True:
        words = click.prompt("category — keywords or code (blank to skip)", default="", show_default=False, err=True).strip()
        if not words:
            return None
        if words in catalog.categories and catalog.categories[words].is_leaf:
            return words
        hits = catalog.search_categories(words)[:12]
        if not hits:
            click.echo(f"  no category matches {words!r}; try other words (English or Chinese)", err=True)
            continue
        for number, cat in enumerate(hits, 1):
            parent = catalog.categories.get(cat.parent)
            trail = f"{parent.name.get(lang) or parent.name['en']} › " if parent else ""
            click.echo(f"  {number:>2}. {cat.code:<48} {trail}{cat.name.get(lang) or cat.name['en']} [{cat.time_limit}]", err=True)
        pick = click.prompt("number (blank to search again)", default="", show_default=False, err=True).strip()
        if pick.isdigit() and 1 <= int(pick) <= len(hits):
            chosen = hits[int(pick) - 1]
            if chosen.regulations:
                click.echo(f"  regulations: {chosen.regulations}", err=True)
            return chosen.code


def choose_street(store) -> str | None:
    catalog = store.catalog
    while True:
        text = click.prompt("street/town — name or id (blank to skip)", default="", show_default=False, err=True).strip()
        if not text:
            return None
        if text in catalog.units and catalog.units[text].kind in LOCAL_KINDS:
            return text
        words = text.lower().split()
        hits = [u for u in catalog.units.values() if u.kind in LOCAL_KINDS
                and all(w in " ".join([u.id, *u.name.values()]).lower() for w in words)][:12]
        if not hits:
            click.echo(f"  no street or town matches {text!r}", err=True)
            continue
        for number, unit in enumerate(hits, 1):
            click.echo(f"  {number:>2}. {unit.id:<36} {unit.name.get(store.lang) or unit.name['en']}", err=True)
        pick = click.prompt("number", default="", show_default=False, err=True).strip()
        if pick.isdigit() and 1 <= int(pick) <= len(hits):
            return hits[int(pick) - 1].id


def complete_intake(store, record: dict) -> dict:
    """Ask for the missing title, type, category and location; return the completed record."""
    record = dict(record)
    if not record.get("title"):
        record["title"] = click.prompt("title", err=True)
    if not record.get("type"):
        record["type"] = _choose("type", store.catalog.types, store.lang, default="complaint")
    if not record.get("category"):
        code = choose_category(store)
        if code:
            record["category"] = code
    if not record.get("street") and not record.get("district"):
        street = choose_street(store)
        if street:
            record["street"] = street
    if not record.get("phone") and record.get("kind", "individual") != "anonymous":
        phone = click.prompt("call-back phone (blank for none)", default="", show_default=False, err=True).strip()
        if phone:
            record["phone"] = phone
    missing = [w for w, have in (("category", record.get("category")), ("location", record.get("street") or record.get("district"))) if not have]
    if missing:
        click.echo(f"note: no {' and no '.join(missing)} given; correct it later with "
                   "`jiesu amend ID --category CODE --street UNIT --reason TEXT`", err=True)
    return record
