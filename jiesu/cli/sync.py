"""Commands for sharing a store and keeping personal data no longer than needed:
sync, renumber, purge-private."""

from __future__ import annotations

import click

from jiesu import terms
from jiesu.cli.util import command_registry, note, open_for, say, store_options
from jiesu.i18n import _, ngettext

COMMANDS, command = command_registry()


@command("sync")
@click.argument("remote", required=False)
@click.option("--no-push", is_flag=True, help="Only fetch and merge; do not push.")
@store_options
@click.pass_context
def sync(ctx, remote, no_push, store_opt, actor_opt):
    """Pull a remote's cases (merged event by event), then push this store's.

    REMOTE is a git remote of the store (default: the branch's upstream, else origin). A case
    both sides changed is merged by the jiesu merge driver and never conflicts; anything that
    needs a person (a conflict outside cases/, one id given to two cases) stops the sync with
    nothing merged. private/ is never pushed.

    \b
    Examples:
      jiesu sync
      jiesu sync district --no-push
    """
    from jiesu.ops.sync import sync as run_sync

    store, actor = open_for(ctx, store_opt, actor_opt)
    r = run_sync(store, actor, remote, push=not no_push)
    for message in r.notes:
        note(message)
    if r.merged:
        how = (_("fast-forward {n} commit(s) from {branch}; {cases} case file(s) changed") if r.fast_forward else
               _("merged {n} commit(s) from {branch}; {cases} case file(s) changed"))
        say(how.format(n=r.merged, branch=f"{r.remote}/{r.branch}", cases=len(r.cases)))
    else:
        say(_("nothing new on {branch}").format(branch=f"{r.remote}/{r.branch}"))
    for path, event_id, action in r.superseded:
        note(_("{path}: event {event} ({action}) is superseded by the merge; review it (jiesu verify lists it)").format(
            path=path, event=event_id, action=terms.action(action)))
    if no_push:
        return
    say(_("pushed {n} commit(s) to {branch}").format(n=r.pushed, branch=f"{r.remote}/{r.branch}") if r.pushed
        else _("{branch} already has everything").format(branch=f"{r.remote}/{r.branch}"))


@command("renumber")
@click.argument("case_id", metavar="ID")
@click.option("--at", "at", metavar="TIME", help="When it happened (default now).")
@store_options
@click.pass_context
def renumber(ctx, case_id, at, store_opt, actor_opt):
    """Give a case made here a new id, when sync finds its id taken on the remote.

    Only a case that no fetched remote branch has yet can be renumbered. The new id uses this
    clone's office code (git config jiesu.office) when it has one.

    \b
    Example:
      jiesu renumber HL-2111-0003 && jiesu sync
    """
    from jiesu.ops.renumber import renumber as run

    store, actor = open_for(ctx, store_opt, actor_opt)
    r = run(store, case_id, actor, at=at)
    for message in r.notes:
        note(message)
    say(r.message)


@command("purge-private")
@click.option("--before", required=True, metavar="DATE", help="Cases finished before this day (YYYY-MM-DD).")
@click.option("--rewrite-history", is_flag=True, help="Then also rewrite private/'s git history so the data is really gone.")
@store_options
@click.pass_context
def purge_private(ctx, before, rewrite_history, store_opt, actor_opt):
    """Remove personal data of old cases from private/ (retention).

    A person's record is removed when every case it serves is finished (closed, evaluated,
    rejected or merged) and last changed before DATE; a record still needed by a newer case keeps
    only that case. The git history of private/ keeps removed data until it is rewritten
    (--rewrite-history, or the git commands printed). The shared case files are not touched.

    \b
    Example:
      jiesu purge-private --before 2023-01-01
    """
    from jiesu.ops import retention

    store, actor = open_for(ctx, store_opt, actor_opt)
    r = retention.purge(store, before, actor)
    say(_("removed the personal data of {n} case(s) ({people}) finished before {day} from private/").format(
        n=len(r.cases), people=_people(len(r.people)), day=before))
    if r.kept:
        say(_("kept {people} who also have newer or open cases (only the old case ids were dropped)").format(
            people=_people(len(r.kept))))
    if r.unknown:
        note(_("{n} case id(s) in private/ are not in this store and were left alone: {ids}").format(
            n=len(r.unknown), ids=", ".join(r.unknown[:5])))
    if rewrite_history:
        retention.rewrite_history(store)
        say(_("rewrote the git history of private/: the removed data is gone from this copy "
              "(copies and backups of private/ made earlier still hold it)"))
        return
    if r.commit:
        say(_("the git history of private/ still holds the removed data until that history is rewritten; "
              "run `{command}`, or in private/:").format(command="jiesu purge-private --before DATE --rewrite-history"))
        for step in retention.history_steps(r.branch):
            say(f"  {step}")



def _people(n: int) -> str:
    return ngettext("{n} person", "{n} people", n).format(n=n)
