"""`jiesu theme …`: governance themes (每月一题) — one plan, three checklists, measured results."""

from __future__ import annotations

from pathlib import Path

import click

from jiesu import i18n, terms
from jiesu.cli import helptext
from jiesu.cli.util import (
    command_registry,
    emit_json,
    open_for,
    say,
    store_options,
    table_text,
)
from jiesu.i18n import N_, _, pgettext

COMMANDS, command = command_registry()
AT = click.option("--at", metavar="TIME", help="When it happened (ISO 8601; default now).")


@click.group("theme", cls=helptext.Group, context_settings={"help_option_names": ["-h", "--help"]})
def theme():
    """Themes (每月一题): a frequent problem run with a plan, three checklists and measured results.

    A theme is a record like a case: themes/YYYY/<OFFICE>-TYY-NN.yaml, one commit per change.
    Statuses: planned → active → closed (or dropped).

    \b
    Example:
      jiesu theme new --title "Elevators in old buildings" --year 2026 --month 3 \\
          --lead housing --co market-regulation --scope category=property.elevator
      jiesu theme task add HL-T26-01 --text "Inspect every elevator" --owner housing --due 2026-04-30
      jiesu theme start HL-T26-01
      jiesu theme show HL-T26-01
    """


COMMANDS["theme"] = theme


def _done(result, what: str) -> None:
    say(_("{id}: {what}").format(id=result.case_id, what=what) + (f" ({result.commit[:10]})" if result.commit else ""))


# the checklists and the words of their commands' help, which is built here for each list: every text
# is written out so that it is extracted and translated whole
CHECKLISTS = {
    "task": {
        "group": N_("The theme's tasks checklist: add, done, drop.\n\n\b\nExample:\n"
                    "  jiesu theme task add HL-T26-01 --text \"…\" --owner housing --due 2026-04-30"),
        "add": N_("Add an item to the tasks; prints its item id.\n\n\b\nExample:\n"
                  "  jiesu theme task add HL-T26-01 --text \"Inspect every elevator\" --owner housing --due 2026-04-30"),
        "done": N_("Mark an open item of the tasks done, with evidence.\n\n\b\nExample:\n"
                   "  jiesu theme task done HL-T26-01 3fa2c1 --evidence \"Inspection report 2026-04-12\""),
        "drop": N_("Drop an open item of the tasks, with the reason.\n\n\b\nExample:\n"
                   "  jiesu theme task drop HL-T26-01 3fa2c1 --reason \"Merged into another item\""),
        "due": N_("Due date (YYYY-MM-DD); required for a task."),
    },
    "policy": {
        "group": N_("The theme's policies checklist: add, done, drop.\n\n\b\nExample:\n"
                    "  jiesu theme policy add HL-T26-01 --text \"…\" --owner housing --due 2026-04-30"),
        "add": N_("Add an item to the policies; prints its item id.\n\n\b\nExample:\n"
                  "  jiesu theme policy add HL-T26-01 --text \"Inspect every elevator\" --owner housing --due 2026-04-30"),
        "done": N_("Mark an open item of the policies done, with evidence.\n\n\b\nExample:\n"
                   "  jiesu theme policy done HL-T26-01 3fa2c1 --evidence \"Inspection report 2026-04-12\""),
        "drop": N_("Drop an open item of the policies, with the reason.\n\n\b\nExample:\n"
                   "  jiesu theme policy drop HL-T26-01 3fa2c1 --reason \"Merged into another item\""),
        "due": N_("Due date (YYYY-MM-DD)."),
    },
    "duty": {
        "group": N_("The theme's duties checklist: add, done, drop.\n\n\b\nExample:\n"
                    "  jiesu theme duty add HL-T26-01 --text \"…\" --owner housing --due 2026-04-30"),
        "add": N_("Add an item to the duties; prints its item id.\n\n\b\nExample:\n"
                  "  jiesu theme duty add HL-T26-01 --text \"Inspect every elevator\" --owner housing --due 2026-04-30"),
        "done": N_("Mark an open item of the duties done, with evidence.\n\n\b\nExample:\n"
                   "  jiesu theme duty done HL-T26-01 3fa2c1 --evidence \"Inspection report 2026-04-12\""),
        "drop": N_("Drop an open item of the duties, with the reason.\n\n\b\nExample:\n"
                   "  jiesu theme duty drop HL-T26-01 3fa2c1 --reason \"Merged into another item\""),
        "due": N_("Due date (YYYY-MM-DD)."),
    },
}
ITEM_OPTIONS = {"done": ("evidence", N_("What shows it is done.")), "drop": ("reason", N_("Why it is dropped."))}


def _item_done(list_name: str, item: str, verb: str) -> str:
    """`task 3fa2c1 added` (done, dropped) in the current language."""
    what = {"added": N_("{list} {item} added"), "done": N_("{list} {item} done"), "dropped": N_("{list} {item} dropped")}[verb]
    return _(what).format(list=terms.name("checklist", list_name), item=item)


@theme.command("new")
@click.option("--title", required=True, help="What the theme is about.")
@click.option("--year", type=int, required=True, help="The year of the theme.")
@click.option("--month", type=int, help="The month it is the theme of (1–12).")
@click.option("--lead", required=True, metavar="UNIT", help="The lead department or unit.")
@click.option("--co", "co", multiple=True, metavar="UNIT", help="A co-operating unit (repeatable).")
@click.option("--scope", "scopes", multiple=True, metavar="KEY=VALUE",
              help="Requests that belong to it (repeatable): category (a code or prefix), district, street, community, tag, keyword.")
@click.option("--from-hotspot", "hotspot", metavar="KEY", help="Take the scope from a hot spot's key, e.g. category=env.garbage,street=dragon-gate/eternal-town.")
@AT
@store_options
@click.pass_context
def new(ctx, title, year, month, lead, co, scopes, hotspot, at, store_opt, actor_opt):
    """Create a theme (status planned); prints its id.

    Values of one scope key are alternatives; different keys must all match.

    \b
    Examples:
      jiesu theme new --title "Elevators in old buildings" --year 2026 --month 3 --lead housing \\
          --scope category=property.elevator --scope street=dragon-gate/eternal-town
      jiesu theme new --title "Garbage at Eternal Town" --year 2026 --lead dragon-gate/eternal-town \\
          --from-hotspot category=env.garbage,street=dragon-gate/eternal-town
    """
    from jiesu.themes import ops

    store, actor = open_for(ctx, store_opt, actor_opt)
    result = ops.new_theme(store, actor, title, year, month, lead, co, scopes, hotspot, at)
    say(result.case_id)


@theme.command("plan")
@click.argument("theme_id", metavar="ID")
@click.option("--text", help="The plan: goal, measures, target figures.")
@click.option("--file", "path", type=click.Path(dir_okay=False), help="Read the plan from this file ('-': stdin).")
@click.option("--target", metavar="PERCENT", help="Target change of requests in scope per half month against before the start (-50: halve them).")
@click.option("--by", "by", metavar="DATE", help="The day by which the target should be reached.")
@AT
@store_options
@click.pass_context
def plan(ctx, theme_id, text, path, target, by, at, store_opt, actor_opt):
    """Set the theme's plan (the latest plan counts).

    \b
    Examples:
      jiesu theme plan HL-T26-01 --text "Halve elevator calls in the scope by June" --target -50 --by 2026-06-30
      jiesu theme plan HL-T26-01 --file plan.md
    """
    from jiesu.errors import InvalidInput
    from jiesu.themes import ops

    if (text is None) == (path is None):
        raise InvalidInput(_('theme plan: give the plan with --text TEXT or --file PATH (one of them)'))
    if path is not None:
        try:
            text = click.get_text_stream("stdin").read() if path == "-" else Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(_('--file: cannot read {path}: {reason}').format(path=path, reason=getattr(exc, 'strerror', None) or exc)) from None
    store, actor = open_for(ctx, store_opt, actor_opt)
    _done(ops.plan(store, actor, theme_id, text, target, by, at), _("plan set"))


def _checklist(list_name: str):
    words = CHECKLISTS[list_name]
    group = helptext.Group(list_name, help=words["group"])

    @group.command("add")
    @click.argument("theme_id", metavar="ID")
    @click.option("--text", required=True, help="What is to be done.")
    @click.option("--owner", metavar="UNIT", help="The unit responsible (default: the theme's lead).")
    @click.option("--due", metavar="DATE", help=words["due"])
    @AT
    @store_options
    @click.pass_context
    def add(ctx, theme_id, text, owner, due, at, store_opt, actor_opt):
        from jiesu.themes import ops

        store, actor = open_for(ctx, store_opt, actor_opt)
        result = ops.add_item(store, actor, theme_id, list_name, text, owner, due, at)
        _done(result, _item_done(list_name, result.event["id"], "added"))

    add.help = words["add"]
    for verb, (option, help_text) in ITEM_OPTIONS.items():
        group.add_command(_item_command(list_name, verb, option, help_text, words[verb]))
    theme.add_command(group)


def _item_command(list_name: str, verb: str, option: str, option_help: str, doc: str) -> click.Command:
    """`theme LIST done|drop ID ITEM --evidence|--reason TEXT`."""

    @click.command(verb, cls=helptext.Command, help=doc)
    @click.argument("theme_id", metavar="ID")
    @click.argument("item", metavar="ITEM")
    @click.option(f"--{option}", "text", required=True, help=option_help)
    @AT
    @store_options
    @click.pass_context
    def change(ctx, theme_id, item, text, at, store_opt, actor_opt):
        from jiesu.themes import ops

        store, actor = open_for(ctx, store_opt, actor_opt)
        action = ops.complete_item if verb == "done" else ops.drop_item
        _done(action(store, actor, theme_id, list_name, item, text, at), _item_done(list_name, item, "done" if verb == "done" else "dropped"))

    return change


for _name in CHECKLISTS:
    _checklist(_name)


def _simple(name: str, doc: str, option=None):
    """`theme start|close|drop|note`: the theme id, maybe one text, --at."""

    def decorate(func):
        func.__doc__ = doc
        func = click.pass_context(store_options(AT(func)))
        if option:
            func = option(func)
        func = click.argument("theme_id", metavar="ID")(func)
        return theme.command(name)(func)

    return decorate


@_simple("start", N_("Start a planned theme: its results count from now (or --at).\n\n\b\nExample:\n  jiesu theme start HL-T26-01"))
def start(ctx, theme_id, at, store_opt, actor_opt):
    from jiesu.themes import ops

    store, actor = open_for(ctx, store_opt, actor_opt)
    _done(ops.start(store, actor, theme_id, at), _("started"))


@theme.command("close")
@click.argument("theme_id", metavar="ID")
@click.option("--summary", required=True, help="What the theme achieved.")
@click.option("--force", is_flag=True, help="Close although checklist items are still open (needs --reason).")
@click.option("--reason", help="Why open items are left (with --force).")
@AT
@store_options
@click.pass_context
def close(ctx, theme_id, summary, force, reason, at, store_opt, actor_opt):
    """Close an active theme; open checklist items refuse it unless --force --reason.

    \b
    Example:
      jiesu theme close HL-T26-01 --summary "Calls halved; 40 elevators repaired"
    """
    from jiesu.themes import ops

    store, actor = open_for(ctx, store_opt, actor_opt)
    _done(ops.close(store, actor, theme_id, summary, force, reason, at), pgettext("theme", "closed"))


@_simple("drop", N_("Drop a planned or active theme, with the reason.\n\n\b\nExample:\n  jiesu theme drop HL-T26-02 --reason \"Merged into HL-T26-01\""),
         click.option("--reason", required=True, help="Why the theme is dropped."))
def drop(ctx, theme_id, reason, at, store_opt, actor_opt):
    from jiesu.themes import ops

    store, actor = open_for(ctx, store_opt, actor_opt)
    _done(ops.drop(store, actor, theme_id, reason, at), pgettext("theme", "dropped"))


@_simple("note", N_("Add a note to a theme.\n\n\b\nExample:\n  jiesu theme note HL-T26-01 \"Half-month meeting: volume down 20%\""),
         click.argument("text", metavar="TEXT"))
def note(ctx, theme_id, text, at, store_opt, actor_opt):
    from jiesu.themes import ops

    store, actor = open_for(ctx, store_opt, actor_opt)
    _done(ops.note(store, actor, theme_id, text, at), _("noted"))


@_simple("link", N_("Count cases outside the scope rule in the theme (nothing is written on the cases).\n\n\b\n"
         "Example:\n  jiesu theme link HL-T26-01 HL-2603-0012 HL-2603-0040"), click.argument("case_ids", metavar="CASE...", nargs=-1, required=True))
def link(ctx, theme_id, case_ids, at, store_opt, actor_opt):
    from jiesu.themes import ops

    store, actor = open_for(ctx, store_opt, actor_opt)
    _done(ops.link(store, actor, theme_id, case_ids, at), _("linked {ids}").format(ids=", ".join(case_ids)))


@_simple("unlink", N_("Take linked cases out of the theme again.\n\n\b\nExample:\n  jiesu theme unlink HL-T26-01 HL-2603-0012"),
         click.argument("case_ids", metavar="CASE...", nargs=-1, required=True))
def unlink(ctx, theme_id, case_ids, at, store_opt, actor_opt):
    from jiesu.themes import ops

    store, actor = open_for(ctx, store_opt, actor_opt)
    _done(ops.unlink(store, actor, theme_id, case_ids, at), _("unlinked {ids}").format(ids=", ".join(case_ids)))


@theme.command("list")
@click.option("--year", type=int, help="Only themes of this year.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(["planned", "active", "closed", "dropped"]), help="Only this status (repeatable).")
@click.option("--at", metavar="TIME", help="Count overdue items as of this instant (default now).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format.")
@store_options
@click.pass_context
def list_(ctx, year, statuses, at, fmt, store_opt, actor_opt):
    """List themes: id, status, title, lead, scope, checklist progress.

    JSON rows: id, title, status, year, month, lead, scope, started, done, open, overdue.

    \b
    Examples:
      jiesu theme list --year 2026 --status active
      jiesu theme list --format json
    """
    from jiesu import timeutil
    from jiesu.themes import files, results, scope

    store, _actor = open_for(ctx, store_opt, need_actor=False)
    when = timeutil.parse_time(at, store.tz, "--at") if at else store.now()
    rows = []
    for t in files.all_themes(store):
        state = t.get("state") or {}
        if (year and t.get("year") != year) or (statuses and state.get("status") not in statuses):
            continue
        lists = results.checklist(state, when, store.tz)["lists"].values()
        rows.append({"id": t["id"], "title": t.get("title"), "status": state.get("status"), "year": t.get("year"),
                     "month": t.get("month"), "lead": t.get("lead"), "scope": scope.describe(t.get("scope")),
                     "started": state.get("started"), **{k: sum(c[k] for c in lists) for k in ("done", "open", "overdue")}})
    if fmt == "json":
        emit_json(rows)
        return
    from jiesu.terms import theme_status
    from jiesu.textwidth import clip

    click.echo(table_text([[r["id"], theme_status(r["status"]), clip(r["title"] or "", 36), r["lead"], clip(r["scope"], 40),
                            f"{r['done']}/{r['open']}/{r['overdue']}"] for r in rows],
                          [_("id"), _("status"), _("title"), _("lead"), _("scope"), _("done/open/overdue")]))
    click.echo(_("{n} theme(s)").format(n=len(rows)))


@theme.command("show")
@click.argument("theme_id", metavar="ID")
@click.option("--at", metavar="TIME", help="Measure the results as of this instant (default now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "yaml"]), default="text", show_default=True, help="Output format.")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Language (default from jiesu.yaml).")
@store_options
@click.pass_context
def show(ctx, theme_id, at, fmt, lang, store_opt, actor_opt):
    """One theme with its measured results: requests by half month before and during, rates
    before and during, checklist progress, the plan and its target, linked and newest cases.

    `--format json` prints the context of `jiesu report theme ID` (documented there); `yaml` the file.

    \b
    Examples:
      jiesu theme show HL-T26-01
      jiesu theme show HL-T26-01 --format json
    """
    from jiesu import reporting
    from jiesu.themes import files

    store, _actor = open_for(ctx, store_opt, need_actor=False)
    if fmt == "yaml":
        path, _rel = files.theme_path(store, theme_id)
        click.echo(path.read_text("utf-8"), nl=False)
        return
    click.echo(reporting.render(store, "theme", "json" if fmt == "json" else "txt", lang or i18n.current(), theme_id=theme_id, as_of=at), nl=False)
