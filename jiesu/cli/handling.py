"""Commands of handling as it really runs (DESIGN §9): corrections, supervision, the whistle's
clock, the centre's review and attachments."""

from __future__ import annotations

import click

from jiesu.cli.casework import _done, at_option
from jiesu.cli.util import command_registry, open_for, store_options
from jiesu.i18n import _

COMMANDS, command = command_registry()


@command("amend")
@click.argument("case_id", metavar="ID")
@click.option("--category", help="Corrected leaf category code.")
@click.option("--type", "case_type", help="Corrected type (consultation, complaint, suggestion, emergency).")
@click.option("--district", help="Corrected district.")
@click.option("--street", help="Corrected street/town (implies its district).")
@click.option("--community", help="Corrected community within the street.")
@click.option("--address", help="Corrected address.")
@click.option("--tag", "tags", multiple=True, metavar="+T|-T", help="Add (+T) or remove (-T) a tag (repeatable).")
@click.option("--title", help="Corrected title.")
@click.option("--channel", help="Corrected channel.")
@click.option("--kind", help="Corrected complainant kind.")
@click.option("--reason", help="What was wrong (required).")
@click.option("--recompute-limit", is_flag=True, help="Recompute the deadline from the corrected classification.")
@click.option("--statistics-only", is_flag=True, help="After close: correct the classification for the record only.")
@at_option
@store_options
@click.pass_context
def amend(ctx, case_id, case_type, tags, reason, recompute_limit, statistics_only, at, store_opt, actor_opt, **values):
    """Correct a case's category, type, location, tags, title, channel or kind.

    The event records old and new values; volume and assessment follow the corrected values.
    The deadline stays as received unless --recompute-limit. After close, only with
    --statistics-only (flagged in `show`).

    \b
    Examples:
      jiesu amend HL-2111-0069 --category env.garbage.unregulated-collection --reason "Wrong category at intake"
      jiesu amend HL-2111-0069 --street dragon-gate/eternal-town --reason "Wrong jurisdiction" --recompute-limit
      jiesu amend HL-2111-0069 --tag +livability --tag -epidemic --reason "Tagged by mistake"
    """
    from jiesu.ops.amend import amend as run

    store, actor = open_for(ctx, store_opt, actor_opt)
    values.update(type=case_type, tags=list(tags))
    r = run(store, case_id, actor, reason, values, recompute_limit=recompute_limit, statistics_only=statistics_only, at=at)
    from jiesu.handling_view import value_text

    parts = [value_text(r.event["changes"])] if r.event.get("changes") else []
    if r.event.get("recompute_limit"):
        parts.append(_("due {time}").format(time=r.event["due"]))
    _done(r, (_("{case}: amended {changes} (for the record only)") if statistics_only else _("{case}: amended {changes}"))
          .format(case=r.case_id, changes=_("; ").join(parts)))


@command("review")
@click.argument("case_id", metavar="ID")
@click.option("--approve", "decision", flag_value="approve", help="The handling is complete: the case is closed.")
@click.option("--send-back", "decision", flag_value="send-back", help="Back to the unit (accepted again), with --reason.")
@click.option("--reason", help="What the unit must still do (required with --send-back).")
@at_option
@store_options
@click.pass_context
def review(ctx, case_id, decision, reason, at, store_opt, actor_opt):
    """The centre's review of a handled case (a close that the catalog has reviewed).

    Approving closes the case at the unit's close time and records the review time; sending it
    back returns it to the unit as accepted and counts against the unit in its sheet.

    \b
    Examples:
      jiesu review HL-2111-0070 --approve
      jiesu review HL-2111-0070 --send-back --reason "The recording shows the caller was never contacted"
    """
    if decision is None:
        raise click.UsageError(_('say --approve or --send-back --reason TEXT'))
    from jiesu import ops

    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.review(store, case_id, actor, decision == "approve", reason, at=at)
    _done(r, (_("{case}: review approved, closed") if decision == "approve" else _("{case}: sent back to the unit (accepted)"))
          .format(case=r.case_id))


@command("supervise")
@click.argument("case_id", metavar="ID")
@click.option("--reason", help="Why the case is supervised (required unless --clear).")
@click.option("--level", type=click.Choice(["city", "district"]), help="Who supervises (default city).")
@click.option("--until", metavar="TIME", help="The supervision ends at this time (default: until cleared).")
@click.option("--clear", is_flag=True, help="End the supervision.")
@at_option
@store_options
@click.pass_context
def supervise(ctx, case_id, reason, level, until, clear, at, store_opt, actor_opt):
    """A leader's supervision (督办): the case comes first in list, overdue, the unit sheet and the daily report.

    \b
    Examples:
      jiesu supervise HL-2111-0069 --reason "Third complaint this month" --level district
      jiesu supervise HL-2111-0069 --clear
    """
    from jiesu import ops

    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.supervise(store, case_id, actor, reason, level=level, until=until, clear=clear, at=at)
    _done(r, _("{case}: supervision cleared").format(case=r.case_id) if clear else
          _("{case}: supervised ({level} level)").format(case=r.case_id, level=_(r.event["level"])))


@command("respond")
@click.argument("case_id", metavar="ID")
@click.option("--unit", required=True, help="The unit called by `escalate` that reports for duty.")
@at_option
@store_options
@click.pass_context
def respond(ctx, case_id, unit, at, store_opt, actor_opt):
    """A unit called to assist (吹哨报到) reports for duty; stops its report-for-duty clock.

    \b
    Example:
      jiesu --as urban-management respond HL-2111-0069 --unit urban-management
    """
    from jiesu import ops

    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.respond(store, case_id, actor, unit, at=at)
    _done(r, _("{case}: {unit} reported for duty").format(case=r.case_id, unit=r.event["unit"]))


@command("attach")
@click.argument("case_id", metavar="ID")
@click.argument("file", metavar="FILE")
@click.option("--kind", type=click.Choice(["audio", "photo", "document"]), help="Default: from the file's extension.")
@click.option("--private/--shared", "private", default=None,
              help="Keep it in private/ (never synced) — the default for audio — or in the shared store.")
@click.option("--name", help="The attachment's name in the case (default: the file's name).")
@at_option
@store_options
@click.pass_context
def attach(ctx, case_id, file, kind, private, name, at, store_opt, actor_opt):
    """Keep a call recording, photo or document with a case (content-addressed, hash recorded).

    \b
    Examples:
      jiesu attach HL-2111-0069 site.jpg
      jiesu attach HL-2111-0069 callback.wav            # audio is private by default
      jiesu attach HL-2111-0069 report.pdf --kind document --name unit-report.pdf
    """
    from jiesu.ops.attach import attach as run

    store, actor = open_for(ctx, store_opt, actor_opt)
    r = run(store, case_id, actor, file, kind=kind, private=private, name=name, at=at)
    e = r.event
    where = _("private") if e.get("private") else _("shared")
    _done(r, _("{case}: attached {name} ({kind}, {size} bytes, {where}, sha256 {sha}…)").format(
        case=r.case_id, name=e["name"], kind=e["kind"], size=e["size"], where=where, sha=e["sha256"][:12]))


@command("attachment")
@click.argument("case_id", metavar="ID")
@click.argument("name", metavar="NAME")
@click.option("--out", required=True, metavar="PATH", help="Where to write it (must not exist).")
@store_options
@click.pass_context
def attachment(ctx, case_id, name, out, store_opt, actor_opt):
    """Extract one attachment of a case to a file (its hash is checked first).

    \b
    Example:
      jiesu attachment HL-2111-0069 site.jpg --out /tmp/site.jpg
    """
    from jiesu.cli.util import get_store, say
    from jiesu.ops.attach import extract

    store = get_store(ctx, store_opt)
    target = extract(store, case_id, name, out)
    say(f"{target}")
