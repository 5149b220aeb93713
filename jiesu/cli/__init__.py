"""The `jiesu` command: a lazy click group over the library in jiesu.ops and friends.

Commands live in small modules and are imported only when run, so `jiesu accept` never pays for
jinja2, tabulate or gitpython. Every JiesuError becomes one `error: …` line and exit code 1.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

import click

import jiesu.catalog  # noqa: F401 — registers the catalog loader with the store
from jiesu import __version__, i18n
from jiesu.cli import clickwords, helptext
from jiesu.errors import JiesuError
from jiesu.i18n import N_, _

COMMANDS = {
    # reception, dispatch, handling, evaluation
    "intake": "casework", "assign": "casework", "accept": "casework", "return": "casework",
    "contact": "casework", "note": "casework", "escalate": "casework", "extend": "casework",
    "close": "casework", "evaluate": "casework", "reopen": "casework", "reject": "casework",
    "exempt": "casework", "merge": "casework",
    "amend": "handling", "review": "handling", "supervise": "handling", "respond": "handling",
    "attach": "handling", "attachment": "handling",
    # reading
    "show": "reading", "list": "reading", "overdue": "reading", "log": "reading", "verify": "reading",
    "catalog": "reading",
    # assessment
    "rank": "assess", "report": "reports",
    # governance
    "theme": "themes",
    "stats": "governance", "hotspots": "governance", "callers": "governance", "similar": "governance",
    # answers on the call
    "kb": "knowledge",
    # interchange
    "import": "interop", "export": "interop",
    # the store
    "init": "admin", "demo": "admin", "merge-driver": "admin",
    # sharing and retention
    "sync": "sync", "renumber": "sync", "purge-private": "sync",
    # city scale
    "hub": "city", "archive": "city", "unarchive": "city",
}
clickwords.install()

SECTIONS = (
    (N_("Case work"), ("intake", "assign", "accept", "return", "contact", "note", "escalate", "extend", "close",
                   "evaluate", "reopen", "reject", "exempt", "merge")),
    (N_("Handling: corrections, supervision, review"), ("amend", "review", "supervise", "respond", "attach", "attachment")),
    (N_("Reading"), ("show", "list", "overdue", "log", "catalog", "verify")),
    (N_("Assessment and reports"), ("rank", "report")),
    (N_("Governance"), ("stats", "hotspots", "callers", "similar", "theme")),
    (N_("Knowledge base"), ("kb",)),
    (N_("Interchange"), ("import", "export")),
    (N_("The store"), ("init", "sync", "renumber", "purge-private", "demo", "merge-driver")),
    (N_("City scale"), ("hub", "archive", "unarchive")),
)


def _speak_the_store_language(explicit: str | None) -> None:
    """The store's `lang`, read before a command is parsed, so that a usage mistake (an unknown
    command, a misspelt option) is told in the store's language as well; the command opens the
    store properly later. Nothing is said here when there is no store or its settings are unreadable."""
    import re

    from jiesu.store import SETTINGS, find_root

    try:
        text = (find_root(explicit) / SETTINGS).read_text("utf-8", "replace")
    except (JiesuError, OSError):
        return
    found = re.search(r"^lang:[ \t]*['\"]?([A-Za-z_-]+)", text, re.M)
    if found:
        i18n.store_language(found.group(1))


class LazyGroup(helptext.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx):
        return [name for _, names in SECTIONS for name in names if name in COMMANDS]

    def get_command(self, ctx, name):
        module = COMMANDS.get(name)
        if module is None:
            return None
        mod = importlib.import_module(f"jiesu.cli.{module}")
        return getattr(mod, "COMMANDS")[name]

    def resolve_command(self, ctx, args):
        """An unknown command is a usage mistake (exit 2) that names the nearest commands."""
        _speak_the_store_language(ctx.params.get("store"))
        name = click.utils.make_str(args[0]) if args else None
        if name is not None and name not in COMMANDS and not name.startswith("-"):
            import difflib

            near = difflib.get_close_matches(name, list(COMMANDS), n=3, cutoff=0.5)
            if near:
                ctx.fail(_("no such command {name}; did you mean {commands}?").format(
                    name=repr(name), commands=_(" or ").join(near)))
            ctx.fail(_("no such command {name}; see `jiesu --help`").format(name=repr(name)))
        return super().resolve_command(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except JiesuError as exc:
            if exc.hint is None:
                from jiesu.cli.failures import git_hint

                exc.hint = git_hint(exc.message)
            report(exc)
            ctx.exit(getattr(exc, "exit_code", 1))
        except Exception as exc:  # noqa: BLE001 — only what `describe` knows; the rest is re-raised
            from jiesu.cli.failures import describe

            error = describe(exc)
            if error is None:
                raise
            report(error)
            ctx.exit(1)

    def format_commands(self, ctx, formatter):
        for title, names in SECTIONS:
            rows = []
            for name in names:
                if name not in COMMANDS:
                    continue
                cmd = self.get_command(ctx, name)
                if cmd is None or cmd.hidden:
                    continue
                rows.append((name, helptext.short_help(cmd, limit=70)))
            if rows:
                with formatter.section(_(title)):
                    formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--store", "store", metavar="DIR", help="The store (else JIESU_STORE, else the nearest parent with jiesu.yaml).")
@click.option("--as", "actor", metavar="ACTOR", help="Who acts (else JIESU_ACTOR, else git's user.name).")
@click.option("--lang", "lang", type=click.Choice(["en", "zh"]), is_eager=True, expose_value=False,
              callback=lambda ctx, param, value: i18n.start(value),
              help="Language of what jiesu prints (else JIESU_LANG, the store's lang, LC_ALL/LC_MESSAGES/LANG, English).")
@click.version_option(__version__, prog_name="jiesu")
@click.pass_context
def cli(ctx, store, actor):
    """jiesu — run a citizen service-request office: receive, dispatch, handle, evaluate.

    Every case is a YAML file in a git repository and every change is one commit.

    \b
    Example:
      jiesu init office && cd office
      jiesu intake --type complaint --category env.garbage.unregulated-collection \\
          --title "Rubbish at the factory gate" --street dragon-gate/eternal-town
    """
    ctx.ensure_object(dict)
    ctx.obj.setdefault("store", store)
    ctx.obj.setdefault("actor", actor)


def main(argv=None) -> None:
    """Run the command line; user mistakes end as `error: …` with exit code 1, usage errors 2."""
    i18n.reset()
    try:
        cli.main(args=argv, prog_name="jiesu")
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except SystemExit as done:
        end_process(done.code)


def end_process(code) -> None:
    """End the process with `code` as `sys.exit` would, without tearing the interpreter down.

    Python's own exit frees every module and object one by one: about 10 ms of each command,
    where the kernel frees them at once. The exit handlers still run, and the output is flushed
    (a reader that stopped early, as `| head` does, is no error; a full disk is)."""
    import atexit

    if code is None or isinstance(code, bool):
        status = int(bool(code))
    elif isinstance(code, int):
        status = code & 0xFF
    else:
        sys.stderr.write(f"{code}\n")
        status = 1
    atexit._run_exitfuncs()  # what sys.exit would run: temporary folders, logging, weak finalizers
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        with contextlib.suppress(OSError, ValueError):
            report(JiesuError(_("cannot write the output ({why})").format(why=why)))
        status = status or 1
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(status)


def report(exc: JiesuError) -> None:
    """Print a JiesuError as `error: …` (and `hint: …`)."""
    from jiesu.safetext import terminal

    lines = getattr(exc, "problems", None)
    click.echo(_("error: {message}").format(message=terminal(exc.message)), err=True)
    if lines and len(lines) > 1:
        for line in lines[:20]:
            click.echo(f"  {terminal(line)}", err=True)
    if exc.hint:
        click.echo(_("hint: {hint}").format(hint=terminal(exc.hint)), err=True)
