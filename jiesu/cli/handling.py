"""Commands of handling as it really runs (DESIGN §9): corrections, supervision, the whistle's
clock, the centre's review and attachments."""

from __future__ import annotations

import click

from jiesu.cli.casework import at_option
from jiesu.cli.util import command_registry, note, open_for, say, store_options

COMMANDS, command = command_registry()


def _done(result, text: str) -> None:
    for message in result.notes:
        note(message)
    say(text)


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
        parts.append(f"due {r.event['due']}")
    _done(r, f"{r.case_id}: amended " + "; ".join(parts) + (" (for the record only)" if statistics_only else ""))
