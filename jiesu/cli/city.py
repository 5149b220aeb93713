"""City-scale commands: hub, archive, unarchive, and the Parquet export (`export --format parquet`)."""

from __future__ import annotations

import sys

import click

from jiesu import i18n
from jiesu.cli import helptext
from jiesu.cli.util import (
    command_registry,
    get_store,
    note,
    open_for,
    say,
    store_options,
)
from jiesu.errors import InvalidInput
from jiesu.i18n import _

COMMANDS, command = command_registry()


def export_parquet_command(store, since, until, out) -> None:
    """`jiesu export --format parquet --out DIR`: write or update the datasets, say what changed."""
    from jiesu.interop.parquet import export_parquet

    if since or until:
        raise InvalidInput(_('--since/--until do not apply to --format parquet: it exports every case, by month received, and rewrites only the months that changed'))
    if not out:
        raise InvalidInput(_('--format parquet needs --out FOLDER (a new or empty folder, or an earlier export)'))

    def progress(n, total, month):
        if sys.stderr.isatty():
            print("\r" + _("writing month {month} ({n}/{total})").format(month=month, n=n, total=total), end="", file=sys.stderr,
                  flush=True)

    result = export_parquet(store, out, progress=progress)
    if sys.stderr.isatty() and result["written"]:
        print(file=sys.stderr)
    say(_("wrote {written} of {partitions} month partition(s) to {folder} ({cases} case(s), {events} event(s)); "
          "removed {removed}").format(**{k: result[k] for k in ("written", "partitions", "folder", "cases", "events", "removed")}))


@click.group("hub", cls=helptext.Group)
def hub():
    """A hub: one read-only view of many member stores (one per district or office).

    \b
    Examples:
      jiesu hub init city-hub --member dongcheng=ssh://hotline.example/dongcheng.git \\
                              --member xicheng=ssh://hotline.example/xicheng.git
      jiesu --store city-hub hub refresh
      jiesu --store city-hub rank --month 2021-10
    """


COMMANDS["hub"] = hub


@hub.command("init")
@click.argument("directory", metavar="DIR")
@click.option("--member", "specs", multiple=True, metavar="NAME=URL", required=True,
              help="A member store: its name in the hub and the address git fetches it from (repeat).")
@click.option("--name", help="The hub's name.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Language of reports.")
def hub_init(directory, specs, name, lang):
    """Make a hub in DIR (new or empty) and fetch its members.

    Each member is fetched with plain `git fetch` into the hub's own refs; nothing is merged and
    nothing is ever written to a member. Members must agree on unit ids and time zone, and each
    office's cases must live in one member; otherwise nothing is made and each disagreement is
    named.

    \b
    Example:
      jiesu hub init city-hub --member dongcheng=/srv/jiesu/dongcheng --member xicheng=/srv/jiesu/xicheng
    """
    from jiesu.hub.compose import init_hub

    store, summary = init_hub(directory, specs, name=name, lang=lang)
    i18n.store_language(store.lang)  # the hub's language: every later command in it speaks it
    _tell(summary)
    say(_("hub made in {root} with {n} member(s); read it with `{command}`").format(
        root=store.root, n=len(summary["members"]), command=f"jiesu --store {store.root} list"))


@hub.command("refresh")
@store_options
@click.pass_context
def hub_refresh(ctx, store_opt, actor_opt):
    """Fetch every member and bring the hub up to date (only what changed since the last refresh).

    \b
    Example:
      jiesu --store city-hub hub refresh
    """
    from jiesu.hub.compose import refresh

    store = get_store(ctx, store_opt)
    summary = refresh(store, progress=(lambda text: note(text)) if sys.stderr.isatty() else None)
    _tell(summary)
    say(_("hub up to date") if summary["changed"] else _("hub up to date (no member changed)"))


def _tell(summary: dict) -> None:
    for text in summary["notes"]:
        note(text)
    for name, info in summary["members"].items():
        say(_("{member}: {commit}, {changed} case file(s) new or changed, {removed} removed").format(
            member=name, commit=info["commit"][:10], changed=info["cases_changed"], removed=info["cases_removed"]))


@command("archive")
@click.option("--before", required=True, metavar="DATE", help="Archive final cases received before this day (YYYY-MM-DD).")
@click.argument("case_ids", nargs=-1, metavar="[ID]...")
@store_options
@click.pass_context
def archive(ctx, before, case_ids, store_opt, actor_opt):
    """Move final cases received before DATE into archive stores (archive/<year>/).

    Final: evaluated, rejected, merged, or closed longer than `archive_after` (jiesu.yaml, default
    30d). With IDs, only those cases, each of which must be final. Archived cases are still found
    by show, log, list, rank and the reports; `jiesu unarchive ID` brings one back.

    \b
    Examples:
      jiesu archive --before 2025-01-01
      jiesu archive --before 2025-01-01 HL-2411-0007
    """
    from jiesu.archive import archive as run

    store, actor = open_for(ctx, store_opt, actor_opt)
    result = run(store, before, actor, case_ids)
    where = _(", ").join(_("{n} to {folder}").format(n=n, folder=f"archive/{y}") for y, n in sorted(result["archives"].items()))
    say(_("archived {n} case(s)").format(n=result["archived"]) + (_(" ({where})").format(where=where) if where else "")
        + (_("; {n} case(s) received before {day} are not final yet and stay").format(n=result["left"], day=before)
           if result["left"] else ""))


@command("unarchive")
@click.argument("case_id", metavar="ID")
@store_options
@click.pass_context
def unarchive(ctx, case_id, store_opt, actor_opt):
    """Bring an archived case back into the store, so that it can change again.

    \b
    Example:
      jiesu unarchive HL-2111-0069
    """
    from jiesu.archive import unarchive as run

    store, actor = open_for(ctx, store_opt, actor_opt)
    result = run(store, case_id, actor)
    say(_("{id} is back in the store (from {archive})").format(id=result["id"], archive=result["archive"]))
