"""Governance commands (未诉先办): stats, hotspots, callers, similar."""

from __future__ import annotations

import click

from jiesu import codenames, terms
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
from jiesu.i18n import NP_, _, current, in_lang, pgettext

COMMANDS, command = command_registry()


def _fmt_option(func):
    return click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
                        show_default=True, help="Output format.")(func)


def dimension(dim: str) -> str:
    return terms.name("dimension", dim)


SHOWN_BY_NAME = ("type", "channel", "kind", "district", "street", "lead")  # in a Chinese table


def group_value(dim: str, value, catalog=None) -> str:
    """A group's value as a person reads it: statuses and weekdays in words, types, channels,
    complainant kinds and units by their Chinese names in Chinese, the rest (codes) as they are."""
    if value is None:
        return ""
    if dim == "status":
        return terms.status(value)
    if dim == "weekday":
        return terms.name("weekday", value)
    if dim in SHOWN_BY_NAME:
        return codenames.shown(catalog, dim, value)
    return value


def hotspot_key(catalog, row: dict) -> str:
    """A hot spot's key as a table shows it: in Chinese the names of its codes, then the key to
    type back (`jiesu theme new --from-hotspot KEY`) in parentheses; else the key."""
    names = [codenames.zh_name(catalog, dim, value) for dim, value in row["group"].items()]
    if not any(names):
        return row["key"]
    words = [name or str(value) for name, value in zip(names, row["group"].values())]
    return "，".join(words) + f"（{row['key']}）"


def _several(dims) -> str:
    """`tags`, `tags or flags`: the dimensions under which one case may count several times."""
    words = [terms.name("dimensions", d + "s") for d in dims]
    return _("{first} or {second}").format(first=words[0], second=words[1]) if len(words) == 2 else words[0]


def _instant(store, text: str) -> str:
    """An instant in a sentence: ISO 8601 as JSON has it in English, `2021-11-30 18:00` in Chinese."""
    if current() != "zh":
        return text
    from jiesu import timeutil

    return timeutil.display(timeutil.load(text), store.tz)


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
        note(_("a case with several {dimensions} counts once under each").format(dimensions=_several(result["multi"])))
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
    label = result["period"]["label"]
    click.echo(_("Requests received {period}: {n}, dissatisfied follow-ups: {dissatisfied}").format(
        period=pgettext("period", "all") if label == "all" else label.replace("..", _("..")), n=result["total"],
        dissatisfied=result["dissatisfied"]))
    if not result["total"]:
        click.echo(_("no requests"))
        return
    dims = result["by"]
    table = [([r["period"]] if result["trend"] else []) + [group_value(d, r["group"][d], store.catalog) for d in dims] +
             [r["received"], pct(r["share"]), r["closed"], r["closed_late"], r["open_overdue"], r["reached"],
              pct(r["response_rate"]), pct(r["resolution_rate"]), pct(r["satisfaction_rate"]), pct(r["dissatisfied_share"]),
              "—" if r["median_hours_to_close"] is None else f"{r['median_hours_to_close']:.1f}"] for r in rows]
    headers = ([dimension(result["trend"])] if result["trend"] else []) + [dimension(d) for d in dims] + [
        pgettext("stats", "received"), pgettext("stats", "share"), pgettext("stats", "closed"), pgettext("stats", "late"),
        pgettext("stats", "overdue"), pgettext("stats", "reached"), pgettext("stats", "response"),
        pgettext("stats", "resolution"), pgettext("stats", "satisfaction"), pgettext("stats", "dissatisfied"),
        pgettext("stats", "median h")]
    click.echo(table_text(table, headers))
    if result["multi"]:
        click.echo(_("A case with several {dimensions} counts once under each.").format(dimensions=_several(result["multi"])))


HOTSPOT_CSV = ["key", "count", "baseline", "expected", "ratio", "p_value", "q_value", "hot", "newest"]


def _newest(items) -> str:
    return " ".join(item["id"] for item in items)


@command("hotspots")
@click.option("--by", "by", metavar="DIMS", help="category,street (default), category, street, community, address, "
                                                 "category,community, … (one or two of category, district, street, community, address).")
@click.option("--as-of", "as_of", metavar="TIME", help="The end of the window (default now).")
@click.option("--days", type=int, metavar="N", help="Window length in days (default 7, governance.yaml).")
@click.option("--weeks", type=int, metavar="N", help="Baseline weeks before the window (default 8).")
@click.option("--min-count", "min_count", type=int, metavar="N", help="Fewest requests in the window for a hot spot (default 5).")
@click.option("--q", "q", type=float, metavar="Q", help="False discovery rate, 0 < q < 1 (default 0.05).")
@click.option("--level", type=int, help="Category level keys use (1, 2 or 3; default 2).")
@click.option("--all", "everything", is_flag=True, help="List every key tested, not only the hot spots.")
@_fmt_option
@store_options
@click.pass_context
def hotspots(ctx, by, as_of, days, weeks, min_count, q, level, everything, fmt, store_opt, actor_opt):
    """What is rising, and where: counts in the window against a weekday-matched baseline.

    A key (e.g. category=env.garbage,street=dragon-gate/eternal-town) is a hot spot when it has
    at least --min-count requests in the window and the exact one-sided Poisson test, adjusted
    by Benjamini–Hochberg over all keys tested, gives q ≤ --q. With --by address, addresses
    with at least cluster_count requests in cluster_days days are listed too. JSON: a list of
    {key, group, count, baseline, expected, ratio, p_value, q_value, hot, newest}.

    \b
    Examples:
      jiesu hotspots
      jiesu hotspots --by community --as-of 2021-11-30T24:00 --format json
      jiesu hotspots --by address --days 3 --all
    """
    from jiesu.governance import hotspots as spots

    store = get_store(ctx, store_opt)
    result = spots.hotspots(store, by, as_of, days, weeks, min_count, q, level, everything)
    found = spots.clusters(store, as_of) if result["by"] == ["address"] else None
    rows = result["rows"]
    if fmt == "json":
        emit_json(rows + ([dict(c, kind="cluster") for c in found["rows"]] if found else []))
        return
    if fmt == "csv":
        click.echo(csv_text([dict(r, newest=_newest(r["newest"])) for r in rows], HOTSPOT_CSV), nl=False)
        return
    w = result["window"]
    click.echo(_("Hot spots by {by}: {days} day(s) to {end} against the {weeks} weeks before; {tested} key(s) tested, "
                 "min {min} requests, q ≤ {q}").format(
        by=_(",").join(dimension(d) for d in result["by"]), days=w["days"], end=_instant(store, w["end"]), weeks=result["baseline"]["weeks"],
        tested=result["tested"], min=result["min_count"], q=f"{result['q']:g}"))
    if rows:
        table = [[hotspot_key(store.catalog, r), r["count"], f"{r['expected']:.2f}", f"{r['ratio']:.1f}", f"{r['p_value']:.2g}",
                  f"{r['q_value']:.2g}", _("yes") if r["hot"] else "", _newest(r["newest"][:3])] for r in rows]
        click.echo(table_text(table, [pgettext("hotspots", "key"), pgettext("hotspots", "count"), pgettext("hotspots", "expected"),
                                      pgettext("hotspots", "ratio"), "p", "q", pgettext("hotspots", "hot"),
                                      pgettext("hotspots", "newest")]))
    else:
        click.echo(_("no hot spots") if result["tested"] else _("no requests"))
    if found is not None:
        click.echo("\n" + _("Addresses with at least {min} requests in {days} day(s):").format(min=found["min_count"], days=found["days"]))
        if found["rows"]:
            click.echo(table_text([[c["address"], c["count"], c["open"], " ".join(c["streets"]), _newest(c["newest"][:3])]
                                   for c in found["rows"]], [pgettext("hotspots", "address"), pgettext("hotspots", "requests"),
                                                       pgettext("hotspots", "open"), pgettext("hotspots", "street"),
                                                       pgettext("hotspots", "newest")]))
        else:
            click.echo(_("no address clusters"))


@command("callers")
@click.option("--days", type=click.IntRange(min=1), metavar="N", help="Look back N days (default 30, governance.yaml).")
@click.option("--min", "minimum", type=click.IntRange(min=1), default=3, show_default=True, help="Fewest requests listed.")
@click.option("--as-of", "as_of", metavar="TIME", help="The end of the window (default now).")
@click.option("--reveal", is_flag=True, help="Add names from private/ (this machine only).")
@_fmt_option
@store_options
@click.pass_context
def callers(ctx, days, minimum, as_of, reveal, fmt, store_opt, actor_opt):
    """Repeat callers, linked by private reference; phones masked.

    Lists who made at least --min requests in the last --days days. Callers are linked by their private reference (private/people), so confidential requests
    count with the others. Phones are masked (151****6789); names only with --reveal. JSON: a
    list of {caller, ref, requests, open, categories, streets, cases}.

    \b
    Examples:
      jiesu callers
      jiesu callers --days 7 --min 2 --format json
    """
    from jiesu.governance.callers import callers as run

    store = get_store(ctx, store_opt)
    result = run(store, days, minimum, as_of, reveal)
    rows = result["rows"]
    if fmt == "json":
        emit_json(rows)
        return
    flat = [dict(r, open=" ".join(r["open"]), categories=" ".join(r["categories"]), streets=" ".join(r["streets"]),
                 cases=" ".join(r["cases"])) for r in rows]
    columns = ["caller", "ref", "requests", "open", "categories", "streets", "cases"] + (["name"] if reveal else [])
    if fmt == "csv":
        click.echo(csv_text(flat, columns), nl=False)
        return
    click.echo(_("Callers with at least {min} requests in the {days} days to {as_of}:").format(
        min=result["min"], days=result["days"], as_of=_instant(store, result["as_of"])))
    if not rows:
        click.echo(_("no repeat callers"))
        return
    shown = [c for c in columns if c != "cases"]  # the table names the open cases; JSON and CSV all of them
    click.echo(table_text([[r[c] or "—" for c in shown] for r in flat], [in_lang(current(), CALLER_WORDS[c]) for c in shown]))


CALLER_WORDS = {"caller": NP_("callers", "caller"), "ref": NP_("callers", "ref"), "requests": NP_("callers", "requests"),
                "open": NP_("callers", "open"), "categories": NP_("callers", "categories"),
                "streets": NP_("callers", "streets"), "name": NP_("callers", "name")}


@command("similar")
@click.argument("case_id", metavar="ID")
@_fmt_option
@store_options
@click.pass_context
def similar(ctx, case_id, fmt, store_opt, actor_opt):
    """Possible duplicates of a case, with their scores and reasons.

    Cases received within duplicate_days of it (governance.yaml, default 7) at the same
    address with the same category, from the same caller with the same category, or whose
    title and description share enough character bigrams (Jaccard ≥ duplicate_similarity).

    \b
    Example:
      jiesu similar HL-2111-0069
    """
    from jiesu.governance.duplicates import similar as run

    store = get_store(ctx, store_opt)
    result = run(store, case_id)
    rows = result["candidates"]
    if fmt == "json":
        emit_json(rows)
        return
    flat = [dict(r, reasons="; ".join(r["reasons"])) for r in rows]
    if fmt == "csv":
        click.echo(csv_text(flat, ["id", "status", "score", "reasons", "title"]), nl=False)
        return
    if not rows:
        click.echo(_("no possible duplicates of {id} within {days} days").format(id=case_id, days=result["days"]))
        return
    from jiesu.textwidth import clip

    click.echo(table_text([[r["id"], terms.status(r["status"]), f"{r['score']:.2f}", _("; ").join(_(x) for x in r["reasons"]),
                            clip(r["title"] or "", 40)] for r in rows],
                          [_("id"), _("status"), pgettext("similar", "similarity"), pgettext("similar", "reasons"), _("title")]))
    click.echo(_("merge a duplicate with: {command} (or the other way round)").format(
        command=f"jiesu merge {rows[0]['id']} --into {case_id}"))
