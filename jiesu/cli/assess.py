"""The assessment ranking: `rank`."""

from __future__ import annotations

import click

from jiesu.cli.util import (
    command_registry,
    csv_text,
    emit_json,
    get_store,
    store_options,
    table_text,
)

COMMANDS, command = command_registry()
CSV_COLUMNS = ["rank", "unit", "name", "score", "score_low", "score_high", "response_rate", "resolution_rate",
               "satisfaction_rate", "on_time_rate", "acceptance_on_time_rate", "assessed", "reached", "prev_rank",
               "change", "band", "tied_with", "volume", "volume_per_10k"]


def pct(value) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def num(value, digits=2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def arrow(change) -> str:
    if change is None:
        return "new"
    return f"↑{change}" if change > 0 else (f"↓{-change}" if change < 0 else "=")


@command("rank")
@click.option("--month", metavar="YYYY-MM", help="The month assessed (default: the last complete month).")
@click.option("--level", type=click.Choice(["street", "district", "department"]), help="Units ranked (default from assessment.yaml: street).")
@click.option("--top", "top", type=click.IntRange(min=1), help="Show only the best N and the worst N.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True, help="Output format.")
@store_options
@click.pass_context
def rank(ctx, month, level, top, fmt, store_opt, actor_opt):
    """Rank units on response, resolution and satisfaction for a month.

    Scores use the weights of assessment.yaml; units with fewer reached cases than `min_cases`
    are listed as not ranked. Each score carries a 95 % interval; units whose intervals overlap
    are statistically tied. JSON rows: unit, name, rank, score, response_rate, resolution_rate,
    satisfaction_rate, on_time_rate, assessed, reached, prev_rank, change, band, tied_with (and
    intervals, volume, volume_per_10k).

    \b
    Examples:
      jiesu rank --month 2021-11
      jiesu rank --month 2021-11 --level district --format json
      jiesu rank --top 10
    """
    from jiesu import assessment

    store = get_store(ctx, store_opt)
    result = assessment.ranking(store, month, level)
    rows = result.ranked
    if top and len(rows) > 2 * top:
        rows = rows[:top] + rows[-top:]
    if fmt == "json":
        data = result.as_dict()
        data["ranked"] = rows
        emit_json(data)
        return
    if fmt == "csv":
        flat = []
        for r in rows:
            low, high = r["score_ci"] or (None, None)
            flat.append(dict(r, name=r["name"]["en"], score_low=low, score_high=high, tied_with=" ".join(r["tied_with"])))
        click.echo(csv_text(flat, CSV_COLUMNS), nl=False)
        return
    lang = store.lang
    click.echo(f"Assessment {result.month} — {result.level} level, previous month {result.previous_month}, "
               f"ranked when at least {result.min_cases} follow-ups reached the complainant")
    table = []
    for r in rows:
        low, high = r["score_ci"]
        table.append([r["rank"], r["unit"], r["name"].get(lang) or r["name"]["en"], num(r["score"]), f"{low:.1f}–{high:.1f}",
                      pct(r["response_rate"]), pct(r["resolution_rate"]), pct(r["satisfaction_rate"]), pct(r["on_time_rate"]),
                      f"{r['reached']}/{r['assessed']}", r["prev_rank"] or "—", arrow(r["change"]), r["band"] or "",
                      "≈" if r["tied_with"] else ""])
    click.echo(table_text(table, ["rank", "unit", "name", "score", "95% CI", "response", "resolution", "satisfaction",
                                  "on time", "n", "prev", "change", "band", "tie"]))
    if result.tie_groups:
        click.echo("\nStatistically tied (overlapping 95% intervals):")
        for group in result.tie_groups:
            click.echo("  " + ", ".join(group))
    if result.not_ranked:
        click.echo("\nNot ranked:")
        for r in result.not_ranked:
            click.echo(f"  {r['unit']} — {r['name'].get(lang) or r['name']['en']}: not ranked ({r['why']}, assessed {r['assessed']})")
