"""Rendering reports: a Jinja environment over the store's own templates and the packaged ones.

A template in the store's `reports/` overrides the packaged one of the same name and may extend it
as `jiesu/<name>`. HTML templates are autoescaped; Markdown and text cells are escaped by the
`table` helper (links, images and URLs made inert, control characters shown as symbols: see
jiesu.safetext), so complaint text is always shown, never interpreted. `csv` prints the report's
main table, `json` its context.
"""

from __future__ import annotations

import json
from pathlib import Path

from jiesu import i18n, safetext, terms, timeutil
from jiesu.errors import InvalidInput
from jiesu.i18n import N_, _, in_lang
from jiesu.reporting import contexts, layout
from jiesu.safecsv import csv_text

KINDS = ("daily", "weekly", "monthly", "overdue", "unit", "theme")
FORMATS = ("md", "html", "txt", "csv", "json")
CSV = {
    "daily": ("top_streets", ["rank", "unit", "name", "district", "count", "prev_rank", "prev_count", "change"]),
    "monthly": ("ranking", ["rank", "unit", "name", "score", "response_rate", "resolution_rate", "satisfaction_rate",
                            "on_time_rate", "acceptance_on_time_rate", "volume_per_10k", "assessed", "reached",
                            "prev_rank", "change", "band", "rank_interval", "signal", "contact_confirmed_rate",
                            "discrepancies", "exemptions_pending", "exemptions_approved", "band_note"]),
    "overdue": ("cases", ["lead", "id", "title", "status", "due", "hours_late", "working_days_late", "street", "contact"]),
    "weekly": ("by_category", ["code", "name", "count", "prev_count", "change", "reached", "resolution_rate",
                               "satisfaction_rate", "dissatisfied_share"]),
    "unit": ("cases", ["id", "title", "role", "status", "category", "street", "received", "due", "hours_left",
                       "accepted", "contacted", "contact"]),
    "theme": ("series", ["start", "label", "phase", "count", "compare", "change"]),
}


def packaged_templates() -> Path:
    from jiesu.ops.setup import data_dir

    return data_dir("reports")


def environment(store, fmt: str, lang: str = "en"):
    """The Jinja environment: store templates first, then the packaged ones (also as `jiesu/…`)."""
    import jinja2
    import markupsafe

    from jiesu.textwidth import pad, width

    packaged = jinja2.FileSystemLoader(str(packaged_templates()))
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(str(store.root / "reports")),
        jinja2.PrefixLoader({"jiesu": packaged}),
        packaged,
    ])
    env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html")),
                             bytecode_cache=_bytecode_cache(fmt), trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined,
                             finalize=None if fmt == "html" else _inert)
    tz = store.tz

    def dt(value, seconds=False):
        text = timeutil.display(timeutil.load(value), tz, seconds) if value else "—"
        # in HTML a date and time never wraps mid-value
        return markupsafe.Markup('<span class="d">%s</span>') % text if fmt == "html" and value else text

    def pct(value):
        return "—" if value is None else f"{100 * value:.2f}%"

    def num(value, digits=2):
        return "—" if value is None else f"{value:.{digits}f}"

    def cell(value):
        text = "—" if value is None else str(value)
        text = " ".join(text.split())
        return safetext.markdown(text) if fmt == "md" else safetext.terminal(text)

    def table(headers, rows):
        headers = [cell(h) for h in headers]
        rows = [[cell(c) for c in row] for row in rows]
        if fmt == "md":
            lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
            lines += ["| " + " | ".join(row) + " |" for row in rows]
            return "\n".join(lines)
        widths = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(headers)]
        lines = ["  ".join(pad(h, widths[i]) for i, h in enumerate(headers)).rstrip(),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(pad(c, widths[i]) for i, c in enumerate(row)).rstrip() for row in rows]
        return "\n".join(lines)

    def heading(level, text):
        if fmt == "md":
            return "#" * level + " " + cell(text)
        rule = "=" if level == 1 else "-"
        text = safetext.terminal(text)
        return f"{text}\n{rule * max(width(text), 3)}"

    def pick(items, *specs):
        """Rows for `table`: for each item, the values of `key` or `key|filter` (a dotted key reads deeper)."""
        rows = []
        for item in items:
            row = []
            for spec in specs:
                key, _, flt = spec.partition("|")
                value = item
                for part in key.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                row.append(env.filters[flt](value) if flt else value)
            rows.append(row)
        return rows

    def band(code):
        """A band's name: the catalog's in the report's language, else the gettext word (or the code)."""
        if not code:
            return code
        names = next((b["name"] for b in store.catalog.assessment.bands if b["code"] == code), {})
        return names.get(lang) or terms.band(code, lang)

    def hours(value, late=False):
        """Hours left (or late) as a sentence says them: 剩余 111.7 小时, 111.7h left."""
        shown = num(value, 1)
        return in_lang(lang, N_("OVERDUE {hours}h") if late else N_("{hours}h left")).format(hours=shown)

    def day(value):
        """A day in a heading or a sentence: 2021年11月8日 in Chinese, 2021-11-08 in English (tables keep ISO)."""
        from datetime import date

        try:
            return i18n.prose_date(date.fromisoformat(str(value)), lang)
        except ValueError:
            return value

    env.filters.update(dt=dt, pct=pct, num=num, cell=cell, band=band, hours=hours, day=day,
                       status=lambda v: terms.status(v, lang), theme_status=lambda v: terms.theme_status(v, lang))
    env.globals.update(table=table, heading=heading, pick=pick, fmt=fmt)
    return env


def _bytecode_cache(fmt: str):
    """Templates compiled once and kept between runs (compiling the daily report's took about 40 ms
    of every run), in Jinja's folder for this user's compiled templates (`_jinja2-cache-UID` in the
    temporary directory, readable by this user alone: Jinja refuses one that is not), one set per
    output format (the format changes the compiled code). A template changed since is compiled
    again (Jinja compares a checksum of its source); a cache that cannot be read or written is
    passed over, never an error; None where there is no such folder."""
    import jinja2

    class Quiet(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket):
            try:
                super().load_bytecode(bucket)
            except Exception:  # noqa: BLE001 — a damaged file: compile the template again
                bucket.reset()

        def dump_bytecode(self, bucket):
            try:
                super().dump_bytecode(bucket)
            except Exception:  # noqa: BLE001 — a full disk, a folder of another user: keep going
                pass

    try:
        return Quiet(pattern=f"jiesu-{fmt}-%s.cache")
    except Exception:  # noqa: BLE001 — no private folder for it: compile every time
        return None


def _inert(value):
    """Every value a text or Markdown template prints: control characters shown as symbols
    (cells and headings are made fully safe by `cell`; this catches the rest)."""
    return safetext.controls(value) if isinstance(value, str) else value


def context(store, kind: str, lang: str, date=None, month=None, unit=None, as_of=None, months=None, theme_id=None, week=None):
    if kind == "daily":
        return contexts.daily(store, date, lang)
    if kind == "weekly":
        return contexts.weekly(store, week, lang)
    if kind == "monthly":
        return contexts.monthly(store, month, lang, months or 1)
    if kind == "overdue":
        return contexts.overdue(store, as_of, unit, lang)
    if kind == "theme":
        from jiesu.reporting.theme import theme_context

        return theme_context(store, theme_id, as_of, lang)
    return contexts.unit_sheet(store, unit, as_of, lang)


def render(store, kind: str, fmt: str = "md", lang: str | None = None, **params) -> str:
    """The report `kind` in format `fmt` as text."""
    if kind not in KINDS:
        raise InvalidInput(_('report: unknown report {kind!r}; allowed: {items}').format(kind=kind, items=', '.join(KINDS)))
    if fmt not in FORMATS:
        raise InvalidInput(_('--format: {fmt!r}; allowed: {items}').format(fmt=fmt, items=', '.join(FORMATS)))
    lang = lang or store.lang
    if lang not in ("en", "zh"):
        raise InvalidInput(_('--lang: {lang!r}; allowed: en, zh').format(lang=lang))
    with i18n.using(lang):
        return _render(store, kind, fmt, lang, params)


def _render(store, kind, fmt, lang, params) -> str:
    ctx = context(store, kind, lang, **params)
    data = contexts.as_dict(ctx)
    if fmt == "json":
        data["header"].pop("labels", None)
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        key, columns = CSV[kind]
        if kind == "overdue":
            rows = [dict(case, lead=group["unit"]) for group in data["units"] for case in group["cases"]]
        else:
            rows = data[key]
        return csv_text(rows, columns)
    labels = data["header"]["labels"]
    env = environment(store, fmt, lang)
    names = [f"{kind}.{fmt}.j2"] + ([f"{kind}.md.j2"] if fmt == "txt" else [])
    template = env.select_template(names)
    text = template.render(**data, L=labels)
    return layout.cards(text) if fmt == "html" else text


def render_demo_reports(store) -> list[str]:
    """Render the four reports and each theme's in md and html into the store's reports/out/ (used by `demo`)."""
    from jiesu.store import yamlio

    out = store.root / "reports" / "out"
    out.mkdir(parents=True, exist_ok=True)
    busiest = contexts.overdue(store, None, None, store.lang)
    unit = busiest.units[0]["unit"] if busiest.units and busiest.units[0]["unit"] else "dragon-gate/eternal-town"
    written = []
    from jiesu.themes.files import all_themes

    for theme in all_themes(store):
        for fmt in ("md", "html"):
            path = out / f"theme-{theme['id']}.{fmt}"
            yamlio.atomic_write(path, render(store, "theme", fmt, theme_id=theme["id"]))
            written.append(path)
    for kind in KINDS:
        if kind == "theme":
            continue
        for fmt in ("md", "html"):
            path = out / f"{kind}.{fmt}"
            yamlio.atomic_write(path, render(store, kind, fmt, unit=unit if kind == "unit" else None))
            written.append(path)
    return [_("reports rendered in {folder}: {files}").format(folder=out, files=", ".join(p.name for p in written))]
