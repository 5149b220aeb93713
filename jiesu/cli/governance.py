"""Governance commands (未诉先办): stats, hotspots, callers, similar."""

from __future__ import annotations

import click

from jiesu.cli.util import (
    command_registry,
    csv_text,
    emit_json,
    get_store,
    note,
    progress_factory,
    store_options,
    table_text,
)

COMMANDS, command = command_registry()


def _fmt_option(func):
    return click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
                        show_default=True, help="Output format.")(func)


def pct(value) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _period_options(func):
    for option in reversed((
        click.option("--since", metavar="DATE", help="Received on or after this day."),
        click.option("--until", metavar="DATE", help="Received on or before this day."),
        click.option("--month", metavar="YYYY-MM", help="Received in this month."),
        click.option("--week", metavar="YYYY-Www", help="Received in this ISO week (e.g. 2026-W48)."),
        click.option("--days", type=click.IntRange(min=1), metavar="N", help="Received in the last N days (today included)."),
    )):
        func = option(func)
    return func


STATS_CSV = ["period", "group", "received", "share", "closed", "closed_late", "open_overdue", "reached", "response_rate",
             "response_low", "response_high", "resolution_rate", "resolution_low", "resolution_high", "satisfaction_rate",
             "satisfaction_low", "satisfaction_high", "dissatisfied", "dissatisfied_share", "median_hours_to_close"]


@command("stats")
@click.option("--by", "by", multiple=True, metavar="DIM",
              help="Group by: category, district, street, community, lead, type, channel, kind, tag, limit, status, "
                   "flag, weekday, hour (repeatable: two give a cross table; default category).")
@click.option("--level", type=int, default=3, show_default=True, help="Category level for --by category (1, 2 or 3).")
@_period_options
@click.option("--trend", type=click.Choice(["day", "week", "month"]), help="A series: the figures of each day, week or month.")
@_fmt_option
@store_options
@click.pass_context
def stats(ctx, by, level, since, until, month, week, days, trend, fmt, store_opt, actor_opt):
    """Counts and rates of the requests received in a period, by any dimension.

    Per group: received, share of all received, closed, closed late, open and overdue now,
    follow-ups that reached the caller, response / resolution / satisfaction rates (95 % Wilson
    intervals in JSON), share of all dissatisfied follow-ups, median hours to close. A case with
    several tags (or flags) counts once under each.

    \b
    Examples:
      jiesu stats --by category --level 1 --month 2021-11
      jiesu stats --by tag --by district --week 2021-W45 --format json
      jiesu stats --by street --days 30 --trend week
    """
    from jiesu.governance.stats import stats as run

    store = get_store(ctx, store_opt)
    result = run(store, by, level, since, until, month, week, days, trend, progress_factory())
    rows = result["rows"]
    if result["multi"]:
        note(f"a case with several {' or '.join(d + 's' for d in result['multi'])} counts once under each")
    if fmt == "json":
        emit_json(rows)
        return
    if fmt == "csv":
        flat = []
        for r in rows:
            item = dict(r, group=",".join(f"{d}={v}" for d, v in r["group"].items()))
            for name in ("response", "resolution", "satisfaction"):
                item[f"{name}_low"], item[f"{name}_high"] = r[f"{name}_ci"] or (None, None)
            flat.append(item)
        click.echo(csv_text(flat, STATS_CSV), nl=False)
        return
    click.echo(f"Requests received {result['period']['label']}: {result['total']}, "
               f"dissatisfied follow-ups: {result['dissatisfied']}")
    if not result["total"]:
        click.echo("no requests")
        return
    dims = result["by"]
    table = [([r["period"]] if result["trend"] else []) + [r["group"][d] if r["group"][d] is not None else "" for d in dims] +
             [r["received"], pct(r["share"]), r["closed"], r["closed_late"], r["open_overdue"], r["reached"],
              pct(r["response_rate"]), pct(r["resolution_rate"]), pct(r["satisfaction_rate"]), pct(r["dissatisfied_share"]),
              "—" if r["median_hours_to_close"] is None else f"{r['median_hours_to_close']:.1f}"] for r in rows]
    headers = ([result["trend"]] if result["trend"] else []) + dims + [
        "received", "share", "closed", "late", "overdue", "reached", "response", "resolution", "satisfaction",
        "dissatisfied", "median h"]
    click.echo(table_text(table, headers))
    if result["multi"]:
        click.echo(f"A case with several {' or '.join(d + 's' for d in result['multi'])} counts once under each.")
