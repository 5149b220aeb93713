"""Rendered reports: `report daily|monthly|overdue|unit`."""

from __future__ import annotations

import click

from jiesu import i18n
from jiesu.cli.util import command_registry, get_store, store_options
from jiesu.i18n import _

COMMANDS, command = command_registry()


@command("report")
@click.argument("kind", type=click.Choice(["daily", "weekly", "monthly", "overdue", "unit", "theme"]))
@click.argument("theme_id", metavar="[ID]", required=False)
@click.option("--date", "date", metavar="YYYY-MM-DD", help="daily: the day (default: yesterday).")
@click.option("--week", metavar="YYYY-Www", help="weekly: the ISO week (default: the last complete week).")
@click.option("--month", metavar="YYYY-MM", help="monthly: the month (default: the last complete month).")
@click.option("--months", type=click.IntRange(1, 12), help="monthly: pool this many months ending with --month (default 1).")
@click.option("--unit", metavar="UNIT", help="overdue: only this unit (and those under it); unit: the unit (required).")
@click.option("--as-of", "--at", "as_of", metavar="TIME", help="overdue, unit, theme: the instant (default: now).")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "txt", "csv", "json"]), default="md", show_default=True,
              help="md, html (one self-contained file), txt, csv (the main table) or json (the context).")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Language of labels and names (default from jiesu.yaml).")
@click.option("--out", "out", metavar="PATH", help="Write here (atomically) instead of to stdout; prints nothing on success.")
@click.option("-v", "--verbose", is_flag=True, help="With --out: name the file written (on stderr).")
@store_options
@click.pass_context
def report(ctx, kind, theme_id, date, week, month, months, unit, as_of, fmt, lang, out, verbose, store_opt, actor_opt):
    """Render a report: daily, weekly summary, monthly (assessment), overdue list, a unit's work sheet, or a theme.

    Reports read the store and change nothing in it. A template in the store's reports/ folder
    overrides the packaged one of the same name (e.g. reports/daily.html.j2).

    \b
    Examples:
      jiesu report daily --date 2021-11-08 --format html --out daily.html
      jiesu report weekly --week 2021-W45 --lang zh
      jiesu report monthly --month 2021-11 --lang zh
      jiesu report monthly --month 2021-11 --months 3 --format html --out q4.html
      jiesu report overdue --unit dragon-gate
      jiesu report unit --unit dragon-gate/eternal-town --format csv
      jiesu report theme HL-T26-01 --format html --out theme.html
    """
    from jiesu import reporting
    from jiesu.errors import InvalidInput

    store = get_store(ctx, store_opt)
    given = {"date": date, "week": week, "month": month, "months": months, "unit": unit, "as_of": as_of}
    allowed = {"daily": {"date"}, "weekly": {"week"}, "monthly": {"month", "months"}, "overdue": {"unit", "as_of"},
               "unit": {"unit", "as_of"}, "theme": {"as_of"}}[kind]
    if (theme_id is not None) != (kind == "theme"):
        raise InvalidInput("report theme needs the theme's id: jiesu report theme HL-T26-01" if kind == "theme"
                           else f"report {kind}: unexpected argument {theme_id!r}")
    wrong = [f"--{k.replace('_', '-')}" for k, v in given.items() if v is not None and k not in allowed]
    if wrong:
        raise InvalidInput(_('report {kind}: {items} does not apply; it takes {items2}').format(kind=kind, items=', '.join(wrong), items2=', '.join('--' + a.replace('_', '-') for a in sorted(allowed))))
    params = {k: v for k, v in given.items() if k in allowed}
    if kind == "theme":
        params["theme_id"] = theme_id
    text = reporting.render(store, kind, fmt, lang or i18n.current(), **params)
    if out:
        from pathlib import Path

        from jiesu.store.yamlio import atomic_write

        target = Path(out)
        if target.is_dir():
            raise InvalidInput(_('--out: {out} is a folder; give a file name such as {folder}/{kind}.{fmt}').format(out=out, folder=out.rstrip('/'), kind=kind, fmt=fmt))
        try:
            atomic_write(target, text)
        except OSError as exc:
            raise InvalidInput(_('--out: cannot write {out}: {strerror}').format(out=out, strerror=exc.strerror)) from None
        if verbose:
            click.echo(i18n._("wrote {path}").format(path=target), err=True)
    else:
        click.echo(text, nl=False)
