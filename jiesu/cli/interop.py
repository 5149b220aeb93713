"""Commands that move cases between jiesu and other systems: import, export."""

from __future__ import annotations

import sys

import click

from jiesu.cli.util import (
    command_registry,
    emit_json,
    open_for,
    say,
    store_options,
)
from jiesu.i18n import _

COMMANDS, command = command_registry()


class _Bar:
    """A progress bar on stderr, only on a terminal, started when the total is known."""

    def __init__(self):
        self.bar, self.shown = None, 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=_("importing"), file=sys.stderr)
            self.bar.render_progress()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()


@command("import")
@click.argument("file", metavar="FILE")
@click.option("--mapping", "mapping", required=True, metavar="NAME|PATH",
              help="A built-in mapping (nyc311, baltimore311, boston311, boston311-2025, sf311, la311, chicago311, "
                   "open311, jiesu-csv, jiesu-jsonl) or a mapping file.")
@click.option("--timezone", "timezone", metavar="ZONE",
              help="Zone of times written without an offset (the open311 mapping needs it for such times).")
@click.option("--dry-run", is_flag=True, help="Read, check and plan every row; show what would change; write nothing.")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(min=1), help="Cases per commit.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Summary format.")
@store_options
@click.pass_context
def import_(ctx, file, mapping, timezone, dry_run, batch, fmt, store_opt, actor_opt):
    """Import service requests from another system's export, many cases per commit.

    Each row becomes a case whose events reproduce it (intake, assignment to the agency, close
    with the resolution text). Importing a file again adds what changed in the source since
    (a close, a reopening, a status note, another agency) as new events, and leaves unchanged
    rows alone; anomalies of the source are recorded on the case and counted; rows that cannot
    be read are listed with their line. Ctrl-C keeps every batch committed so far.

    \b
    Examples:
      jiesu import 311_Service_Requests.csv --mapping nyc311 --batch 1000
      jiesu import 311_Service_Requests.csv --mapping nyc311 --dry-run
      jiesu import requests.xml --mapping open311 --timezone America/Los_Angeles
      jiesu import other-office.jsonl --mapping jiesu-jsonl
    """
    from jiesu.interop.importer import run_import

    store, actor = open_for(ctx, store_opt, actor_opt)
    bar = _Bar() if sys.stderr.isatty() and not dry_run else None
    try:
        summary = run_import(store, file, mapping, actor, batch, progress=bar, dry_run=dry_run, timezone=timezone)
    finally:
        if bar:
            bar.close()
    if fmt == "json":
        emit_json(summary.as_json())
    else:
        for line in summary.lines():
            say(line)
    if summary.interrupted:
        ctx.exit(130)




def _export_formats() -> list[str]:
    from jiesu.interop.export import FORMATS

    return list(FORMATS)


@command("export")
@click.option("--format", "fmt", type=click.Choice(_export_formats() + ["parquet"]), default="csv", show_default=True,
              help="csv: one row per case; jsonl: whole cases; open311 / open311-xml: GeoReport v2 requests and services; "
                   "parquet: cases/ and events/ datasets in the --out folder.")
@click.option("--since", metavar="DATE", help="Only cases received on or after this day (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Only cases received on or before this day.")
@click.option("--out", metavar="PATH", help="Write here (atomically) instead of to standard output; a folder (created if "
                                            "missing) gets every file of the format. Prints nothing on success.")
@click.option("-v", "--verbose", is_flag=True, help="With --out: name the files written (on stderr).")
@store_options
@click.pass_context
def export(ctx, fmt, since, until, out, verbose, store_opt, actor_opt):
    """Export cases for other tools, without personal data.

    CSV columns and the Open311 fields are listed in the README. Without --out the CSV, the
    JSONL or Open311's requests go to standard output; with --out FOLDER/ open311 writes
    requests.json and services.json into the folder (open311-xml: requests.xml, services.xml).
    Cases are read and written one at a time, so any number of them fits in memory.

    \b
    Examples:
      jiesu export --format csv --since 2021-11-01 --until 2021-11-30 --out november.csv
      jiesu export --format open311 --out open311/
      jiesu export --format open311-xml --out georeport/
      jiesu export --format parquet --out /data/hotline-parquet
    """
    from jiesu.interop.export import FORMATS, run_export

    store, _actor = open_for(ctx, store_opt, actor_opt, need_actor=False)
    if fmt == "parquet":
        from jiesu.cli.city import export_parquet_command

        return export_parquet_command(store, since, until, out)
    stdout = sys.stdout.buffer if FORMATS[fmt].binary else sys.stdout
    result = run_export(store, fmt, since, until, out, stdout=stdout)
    if out is None:
        stdout.flush()
    for path in result["files"] if verbose else ():
        click.echo(_("wrote {path} ({n} case(s))").format(path=path, n=result["cases"]), err=True)
