"""The assessment ranking: `rank`."""

from __future__ import annotations

import click

from jiesu import codenames, terms
from jiesu.catalog import UNIT_LEVELS
from jiesu.cli.util import (
    command_registry,
    csv_text,
    emit_json,
    get_store,
    store_options,
    table_text,
)
from jiesu.i18n import N_, NP_, _, current, in_lang, pgettext

COMMANDS, command = command_registry()
CSV_COLUMNS = ["rank", "rank_low", "rank_high", "unit", "name", "score", "score_low", "score_high", "response_rate",
               "contact_confirmed_rate", "discrepancies", "resolution_rate", "satisfaction_rate", "on_time_rate",
               "acceptance_on_time_rate", "assessed", "reached", "prev_rank", "change", "signal", "band", "band_note",
               "tied_with", "exemptions_pending", "exemptions_approved", "volume", "volume_per_10k",
               "whistle_calls", "whistle_on_time_rate"]


def pct(value) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def num(value, digits=2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def arrow(change) -> str:
    if change is None:
        return pgettext("rank change", "new")
    return f"↑{change}" if change > 0 else (f"↓{-change}" if change < 0 else "=")


def rank_text(r) -> str:
    """`3 (1–7)`: the rank and its 95 % bootstrap interval."""
    interval = r.get("rank_interval")
    return f"{r['rank']} ({interval[0]}–{interval[1]})" if interval else str(r["rank"])


EXPLAIN_COLUMNS = ["id", "evaluated", "lead", "scheme", "reached", "accept", "contact", "complete", "response",
                   "resolved", "satisfaction", "w_response", "w_resolution", "w_satisfaction", "value", "contribution",
                   "contact_confirmed", "discrepancy", "exemption"]


EXPLAIN_HEADERS = [NP_("explain", "case"), NP_("explain", "scheme"), NP_("explain", "reached"), NP_("explain", "accept"),
                   NP_("explain", "contact"), NP_("explain", "complete"), NP_("explain", "response"), NP_("explain", "resolved"),
                   NP_("explain", "satisfaction"), NP_("explain", "weights"), NP_("explain", "value"),
                   NP_("explain", "contribution"), NP_("explain", "confirmed"), NP_("explain", "exemption")]


def _explain(store, unit, month, months, level, fmt):
    from jiesu import assessment

    data = assessment.explain_unit(store, unit, month, months, level)
    if fmt == "json":
        emit_json(data)
        return
    if fmt == "csv":
        click.echo(csv_text(data["cases"], EXPLAIN_COLUMNS), nl=False)
        return
    rw = data["response_weights"]
    level = _(data["level"]) if data["level"] in ("street", "district") else data["level"]
    click.echo(_("{unit} — {period}, {level} level: {assessed} assessed, {reached} reached").format(
        unit=codenames.shown(store.catalog, "unit", data["unit"], with_code=True), period=data["period"], level=level, assessed=data["assessed"], reached=data["reached"]))
    click.echo(_("response = {accept}·accept + {contact}·contact + {complete}·complete; "
                 "value = w_response·response + w_resolution·resolved + w_satisfaction·satisfaction; "
                 "contribution = 100·value / reached").format(
        accept=f"{rw['accept']:.4g}", contact=f"{rw['contact']:.4g}", complete=f"{rw['complete']:.4g}"))
    flag = {True: "1", False: "0", None: "—"}
    table = [[c["id"], codenames.scheme(store.catalog, c["scheme"]), _("yes") if c["reached"] else _("no"), flag[c["accept"]], flag[c["contact"]], flag[c["complete"]],
              num(c["response"], 4), flag[c["resolved"]], num(c["satisfaction"], 2),
              f"{c['w_response']:g}/{c['w_resolution']:g}/{c['w_satisfaction']:g}", num(c["value"], 4), num(c["contribution"], 4),
              flag[c["contact_confirmed"]] + (" ≠" if c["discrepancy"] else ""), _(c["exemption"]) if c["exemption"] in ("pending", "approved", "denied") else (c["exemption"] or "")]
             for c in data["cases"]]
    click.echo(table_text(table, [in_lang(current(), h) for h in EXPLAIN_HEADERS]))
    click.echo(_("score = Σ contribution = {score}").format(score=num(data["score"], 4)))


@command("rank")
@click.option("--month", metavar="YYYY-MM", help="The month assessed, or the last month of a pooled period (default: the last complete month).")
@click.option("--months", type=click.IntRange(1, 12), default=1, show_default=True, help="Pool this many months ending with --month.")
@click.option("--level", type=click.Choice(UNIT_LEVELS), help="Units ranked (default from assessment.yaml: street).")
@click.option("--top", "top", type=click.IntRange(min=1), help="Show only the best N and the worst N.")
@click.option("--explain", "explain_unit", metavar="UNIT", help="List every assessed case of UNIT with its values and contribution.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True, help="Output format.")
@store_options
@click.pass_context
def rank(ctx, month, months, level, top, explain_unit, fmt, store_opt, actor_opt):
    """Rank units on response, resolution and satisfaction for a month.

    Response is timeliness (accepted, contacted and closed in time); the caller's "were you
    contacted?" answer is shown beside it as contact confirmed, with the discrepancies. Scores use
    the weights of assessment.yaml; units with fewer reached cases than `min_cases` are listed as
    not ranked. Each rank carries its 95 % bootstrap interval, shown `3 (1–7)`; the funnel plot
    marks units significantly above or below the office score. JSON rows: unit, name, rank,
    score, response_rate, resolution_rate, satisfaction_rate, on_time_rate, assessed, reached,
    prev_rank, change, band, tied_with (and rank_interval, signal, band_note with its
    band_reasons [{rule, n, band, higher_above | low95}], contact_confirmed_rate, discrepancies, intervals, volume); the object also holds `funnel`.

    \b
    Examples:
      jiesu rank --month 2021-11
      jiesu rank --month 2021-11 --months 3
      jiesu rank --month 2021-11 --level district --format json
      jiesu rank --month 2021-11 --explain dragon-gate/eternal-town --format csv
      jiesu rank --top 10
    """
    from jiesu import assessment

    store = get_store(ctx, store_opt)
    if explain_unit:
        _explain(store, explain_unit, month, months, level, fmt)
        return
    result = assessment.ranking(store, month, level, months)
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
            rlow, rhigh = r["rank_interval"] or (None, None)
            flat.append(dict(r, name=r["name"]["en"], score_low=low, score_high=high, rank_low=rlow, rank_high=rhigh,
                             tied_with=" ".join(r["tied_with"])))
        click.echo(csv_text(flat, CSV_COLUMNS), nl=False)
        return
    _table(result, rows, current())


LEVEL_WORDS = (N_("street"), N_("district"), N_("department"))  # result.level, as the heading says it


def _table(result, rows, lang) -> None:
    click.echo(_("Assessment {period} — {level} level, previous period {previous}, "
                 "ranked when at least {n} follow-ups reached the complainant").format(
        period=result.period, level=_(result.level), previous=result.previous_period, n=result.min_cases))
    plot = result.funnel
    if plot:
        above = ", ".join(result.significant["above"]) or _("none")
        below = ", ".join(result.significant["below"]) or _("none")
        click.echo(_("Office score {score} over {n} reached cases. "
                     "Significantly above (funnel, {percent}): {above}. Significantly below: {below}.").format(
            score=f"{plot['target']:.2f}", n=plot["cases"], percent="95 %", above=above, below=below))
    table = []
    for r in rows:
        low, high = r["score_ci"]
        table.append([rank_text(r), r["unit"], r["name"].get(lang) or r["name"]["en"], num(r["score"]), f"{low:.1f}–{high:.1f}",
                      pct(r["response_rate"]), pct(r["contact_confirmed_rate"]), r["discrepancies"] or "",
                      pct(r["resolution_rate"]), pct(r["satisfaction_rate"]), pct(r["on_time_rate"]),
                      pct(r["whistle_on_time_rate"]) if r.get("whistle_calls") else "—",
                      f"{r['reached']}/{r['assessed']}", r["prev_rank"] or "—", arrow(r["change"]),
                      {"above": "▲", "below": "▼"}.get(r["signal"], ""), terms.band(r["band"]) or "", "≈" if r["tied_with"] else ""])
    headers = [NP_("rank column", "rank ({percent})"), NP_("rank column", "unit"), NP_("rank column", "name"), NP_("rank column", "score"), NP_("rank column", "{percent} CI"), NP_("rank column", "response"), NP_("rank column", "confirmed"), "≠",
               NP_("rank column", "resolution"), NP_("rank column", "satisfaction"), NP_("rank column", "on time"), NP_("rank column", "whistle"), NP_("number of reached cases", "n"), NP_("rank column", "prev"),
               NP_("rank column", "change"), NP_("rank column", "funnel"), NP_("rank column", "band"), NP_("rank column", "tie")]
    click.echo(table_text(table, [in_lang(current(), h).replace("{percent}", "95%") for h in headers]))
    notes = [r for r in rows if r["band_note"]]
    if notes:
        click.echo("\n" + _("No band for want of evidence:"))
        for r in notes:
            click.echo(f"  {r['unit']}: {r['band_note']}")
    if result.tie_groups:
        click.echo("\n" + _("Statistically tied (overlapping {percent} intervals):").format(percent="95%"))
        for group in result.tie_groups:
            click.echo("  " + ", ".join(group))
    if result.not_ranked:
        click.echo("\n" + _("Not ranked:"))
        for r in result.not_ranked:
            click.echo("  " + _("{unit} — {name}: not ranked ({why}, assessed {n})").format(
                unit=r["unit"], name=r["name"].get(lang) or r["name"]["en"], why=r["why"], n=r["assessed"]))
