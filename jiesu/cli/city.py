"""City-scale commands: the Parquet export (reached through `export --format parquet`)."""

from __future__ import annotations

import sys

from jiesu.cli.util import command_registry, say
from jiesu.errors import InvalidInput

COMMANDS, command = command_registry()


def export_parquet_command(store, since, until, out) -> None:
    """`jiesu export --format parquet --out DIR`: write or update the datasets, say what changed."""
    from jiesu.interop.parquet import export_parquet

    if since or until:
        raise InvalidInput("--since/--until do not apply to --format parquet: it exports every case, by month "
                           "received, and rewrites only the months that changed")
    if not out:
        raise InvalidInput("--format parquet needs --out FOLDER (a new or empty folder, or an earlier export)")

    def progress(n, total, month):
        if sys.stderr.isatty():
            print(f"\rwriting month {month} ({n}/{total})", end="", file=sys.stderr, flush=True)

    result = export_parquet(store, out, progress=progress)
    if sys.stderr.isatty() and result["written"]:
        print(file=sys.stderr)
    say(f"wrote {result['written']} of {result['partitions']} month partition(s) to {result['folder']} "
         f"({result['cases']} case(s), {result['events']} event(s)); removed {result['removed']}")
