"""Helpers shared by the command modules: the store, the actor, output formats."""

from __future__ import annotations

import json
import os
import sys

import click

from jiesu import i18n, textcheck
from jiesu.i18n import _
from jiesu.safecsv import csv_text, safe_cell  # noqa: F401 — re-exported for the commands
from jiesu.store import Store


def command_registry():
    """(COMMANDS, command): a module's table of click commands and the decorator that fills it."""
    commands: dict = {}

    def command(name, **kw):
        def wrap(func):
            from jiesu.cli.helptext import Command

            commands[name] = click.command(name, cls=Command, **kw)(func)
            return commands[name]

        return wrap

    return commands, command


def store_options(func):
    """`--store` and `--as` on a command, as well as on the group."""
    func = click.option("--as", "actor_opt", metavar="ACTOR", hidden=True, help="Who acts.")(func)
    func = click.option("--store", "store_opt", metavar="DIR", hidden=True, help="The store.")(func)
    return func


def get_store(ctx: click.Context, explicit: str | None = None) -> Store:
    """The store of this invocation; its notes are printed to stderr when the command ends."""
    root = ctx.find_root()
    chosen = explicit or (root.obj or {}).get("store")
    store = Store.open(chosen)
    i18n.store_language(store.lang)

    def tell():
        for message in dict.fromkeys(store.notes):
            note(message)

    root.call_on_close(tell)
    return store


def progress_factory():
    """A progress-bar maker for long work, on a terminal only (stderr), else None."""
    if not is_terminal(sys.stderr):
        return None

    def make(total: int):
        bar = click.progressbar(length=total, label=_("indexing cases"), file=sys.stderr)
        bar.__enter__()

        class Bar:
            def update(self, n):
                bar.update(n)

            def close(self):
                bar.__exit__(None, None, None)

        return Bar()

    return make


def get_actor(ctx: click.Context, store: Store, explicit: str | None = None) -> str:
    root = ctx.find_root()
    actor = explicit or (root.obj or {}).get("actor") or os.environ.get("JIESU_ACTOR") or store.git.identity()[0]
    return textcheck.actor(actor)


def open_for(ctx, store_opt, actor_opt=None, need_actor=True):
    store = get_store(ctx, store_opt)
    if need_actor and store.settings.get("hub"):  # a hub is read-only: name the member to write in
        from jiesu.hub import refusal

        raise refusal(store, [v for v in ctx.params.values() if isinstance(v, str) and v[:1].isupper() and "-" in v])
    actor = get_actor(ctx, store, actor_opt) if need_actor else None
    return store, actor


def is_terminal(stream=None) -> bool:
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


def interactive() -> bool:
    """May we ask questions? Whenever stdin is a terminal (stdout may be captured:
    `ID=$(jiesu intake)`), never without one; JIESU_INTERACTIVE=0 turns questions off."""
    if os.environ.get("JIESU_INTERACTIVE") == "0":
        return False
    return is_terminal(sys.stdin)


def say(result_line: str) -> None:
    click.echo(result_line)


def note(message: str) -> None:
    from jiesu.safetext import terminal

    click.echo(_("note: {message}").format(message=terminal(message)), err=True)


def emit_json(obj) -> None:
    from jiesu.safetext import json_text

    click.echo(json_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str)))


def table_text(rows: list[list], headers: list[str]) -> str:
    """An aligned plain table, East Asian wide characters counted as two columns."""
    from jiesu.safetext import terminal
    from jiesu.textwidth import pad, width

    cells = [[terminal(("" if c is None else str(c)).replace("\n", " ")) for c in row] for row in rows]
    widths = [width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], width(cell))
    lines = ["  ".join(pad(h, widths[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(pad(c, widths[i]) for i, c in enumerate(row)).rstrip())
    return "\n".join(lines)
