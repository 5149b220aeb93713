"""Commands that change cases: reception, dispatch, handling, evaluation."""

from __future__ import annotations

import sys

import click

from jiesu import ops, timeutil
from jiesu.cli.util import (
    command_registry,
    interactive,
    note,
    open_for,
    say,
    store_options,
)
from jiesu.i18n import _

at_option = click.option("--at", "at", metavar="TIME", help="When it happened (ISO 8601; naive = store time zone). Default: now.")
COMMANDS, command = command_registry()


def _done(result, text: str) -> None:
    for message in result.notes:
        note(message)
    say(text)


@command("intake")
@click.option("--title", help="One line saying what the request is about.")
@click.option("--type", "case_type", help="consultation, complaint, suggestion or emergency.")
@click.option("--category", help="Leaf category code (find one: jiesu catalog categories --search WORD).")
@click.option("--channel", help="How it came in (default hotline).")
@click.option("--description", help="What the caller said.")
@click.option("--district", help="District unit id.")
@click.option("--street", help="Street/town unit id (implies its district).")
@click.option("--community", help="Community id within the street.")
@click.option("--address", help="Address of the problem.")
@click.option("--kind", help="individual, enterprise, organization or anonymous (default individual).")
@click.option("--surname", help="Complainant's surname (kept in the case unless confidential).")
@click.option("--name", "full_name", help="Complainant's full name (kept only in private/).")
@click.option("--phone", help="Call-back phone number.")
@click.option("--confidential", is_flag=True, default=None, help="Keep surname and phone out of the shared case file.")
@click.option("--frequent/--not-frequent", default=None, help="Frequent caller (default: governance.yaml's rule decides).")
@click.option("--special-group", is_flag=True, default=None, help="Elderly, disabled or other special group.")
@click.option("--tag", "tags", multiple=True, help="Policy tag (repeatable).")
@click.option("--time-limit", help="Force a time-limit class (urgent, utility, standard, complex).")
@click.option("--answered", metavar="SUMMARY", help="Answered on the call: close at once with this summary.")
@click.option("--kb", metavar="ENTRY", help="Answered on the call from a knowledge entry (e.g. HL-K0042): close at once, recording the entry and its version; --answered beside it adds a note.")
@click.option("--from", "from_file", metavar="FILE|-", help="Read one or many requests (YAML or JSON) from a file or stdin.")
@at_option
@store_options
@click.pass_context
def intake(ctx, from_file, at, store_opt, actor_opt, **options):
    """Receive a request; prints the new case id.

    With a terminal on stdin, fills the rest of the form interactively (completion in Chinese or
    English, ranked category search, a summary to commit, edit or abort; prompts go to stderr, so
    ID=$(jiesu intake) works); without one it never asks, and a missing field is an error. Values
    from the catalog are given by id or by English or Chinese name (--type 投诉 --street 永安镇).
    On a terminal a consultation is offered the best current knowledge entries for its category
    and words: a number picks one (as --kb), or answer in your own words (as --answered).

    \b
    Examples:
      jiesu intake --type complaint --category env.garbage.unregulated-collection \\
        --title "Rubbish at the factory gate" --street dragon-gate/eternal-town \\
        --community hege-village --surname Wang --phone 15123456789
      jiesu intake --type consultation --category policy.hukou.registration \\
        --title "How to register a newborn" --answered "Explained the documents needed"
      jiesu intake --type consultation --category policy.residence.residence-permit \\
        --title "Residence permit renewal" --kb HL-K0003
      jiesu intake --from requests.yaml
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    if from_file:
        stdin_text = sys.stdin.read() if from_file == "-" else None
        records = ops.read_requests(from_file, stdin_text)
        if at:
            for record in records:
                record.setdefault("at", at)
    else:
        record = {
            "title": options["title"], "type": options["case_type"], "category": options["category"],
            "channel": options["channel"], "description": options["description"], "district": options["district"],
            "street": options["street"], "community": options["community"], "address": options["address"],
            "kind": options["kind"], "surname": options["surname"], "name": options["full_name"],
            "phone": options["phone"], "confidential": options["confidential"], "frequent": options["frequent"],
            "special_group": options["special_group"], "tags": list(options["tags"]),
            "time_limit": options["time_limit"], "answered": options["answered"], "kb": options["kb"], "at": at,
        }
        record = {k: v for k, v in record.items() if v not in (None, [], "")}
        if interactive():
            from jiesu.cli.prompts import complete_intake

            record = complete_intake(store, record, actor)
        records = [record]
    results = ops.intake(store, records, actor)
    for result in results:
        for message in result.notes:
            note(message)
        say(result.case_id)


@command("assign")
@click.argument("case_id", metavar="ID")
@click.argument("unit", required=False)
@click.option("--co", multiple=True, metavar="UNIT", help="Co-unit (repeatable).")
@at_option
@store_options
@click.pass_context
def assign(ctx, case_id, unit, co, at, store_opt, actor_opt):
    """Dispatch a case to its lead unit (and co-units).

    Without UNIT, the category's dispatch rule picks the unit for the case's location.

    \b
    Examples:
      jiesu assign HL-2111-0069                       # by the catalog's rule
      jiesu assign HL-2111-0069 dragon-gate/eternal-town --co urban-management
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.assign(store, case_id, actor, unit=unit, co=co, at=at)
    extra = f" with {', '.join(r.event['co'])}" if r.event.get("co") else ""
    _done(r, f"{r.case_id}: dispatched to {r.event['unit']}{extra}")


@command("accept")
@click.argument("case_id", metavar="ID")
@click.option("--unit", help="The accepting unit (default: the lead).")
@at_option
@store_options
@click.pass_context
def accept(ctx, case_id, unit, at, store_opt, actor_opt):
    """The lead unit acknowledges the case.

    \b
    Example:
      jiesu --as eternal-town accept HL-2111-0069
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.accept(store, case_id, actor, unit=unit, at=at)
    _done(r, f"{r.case_id}: accepted by {r.event['unit']}")


@command("return")
@click.argument("case_id", metavar="ID")
@click.option("--reason", required=True, help="Why the case is not this unit's.")
@click.option("--unit", help="The returning unit (default: the lead).")
@at_option
@store_options
@click.pass_context
def return_(ctx, case_id, reason, unit, at, store_opt, actor_opt):
    """The lead disputes the assignment; the case goes back for re-dispatch.

    \b
    Example:
      jiesu return HL-2111-0069 --reason "The site belongs to the neighbouring town"
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.return_case(store, case_id, actor, reason, unit=unit, at=at)
    _done(r, f"{r.case_id}: returned by {r.event['unit']}; waiting for re-dispatch")


@command("contact")
@click.argument("case_id", metavar="ID")
@click.option("--note", "text", help="What was said or done.")
@at_option
@store_options
@click.pass_context
def contact(ctx, case_id, text, at, store_opt, actor_opt):
    """Record that the unit reached the complainant.

    \b
    Example:
      jiesu contact HL-2111-0069 --note "Site inspected with the complainant"
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.contact(store, case_id, actor, note=text, at=at)
    _done(r, f"{r.case_id}: contact recorded")


@command("note")
@click.argument("case_id", metavar="ID")
@click.argument("text")
@at_option
@store_options
@click.pass_context
def note_(ctx, case_id, text, at, store_opt, actor_opt):
    """Add a remark to a case.

    \b
    Example:
      jiesu note HL-2111-0069 "Caller rang again asking for progress"
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.note(store, case_id, actor, text, at=at)
    _done(r, f"{r.case_id}: note added")


@command("escalate")
@click.argument("case_id", metavar="ID")
@click.option("--to", "to", required=True, metavar="UNIT", help="The unit called in to help.")
@click.option("--reason", required=True, help="Why help is needed.")
@at_option
@store_options
@click.pass_context
def escalate(ctx, case_id, to, reason, at, store_opt, actor_opt):
    """Call for assistance (吹哨报到): add a unit as co-unit.

    \b
    Example:
      jiesu escalate HL-2111-0069 --to urban-management --reason "Needs law enforcement"
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.escalate(store, case_id, actor, to, reason, at=at)
    _done(r, f"{r.case_id}: {r.event['to']} called in; reports for duty by {r.event['respond_by']} "
             f"(jiesu respond {r.case_id} --unit {r.event['to']})")


@command("extend")
@click.argument("case_id", metavar="ID")
@click.option("--until", metavar="TIME", help="New due time.")
@click.option("--by", "by", metavar="DURATION", help="Move the due time by this much (e.g. 5d).")
@click.option("--reason", required=True, help="Why more time is needed.")
@at_option
@store_options
@click.pass_context
def extend(ctx, case_id, until, by, reason, at, store_opt, actor_opt):
    """Extend the time limit, within the class's cap.

    \b
    Example:
      jiesu extend HL-2111-0070 --by 10d --reason "Waiting for the district planning review"
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.extend(store, case_id, actor, reason, until=until, by=by, at=at)
    due = timeutil.display(timeutil.load(r.event["until"]), store.tz)
    _done(r, f"{r.case_id}: due {due}")


@command("close")
@click.argument("case_id", metavar="ID")
@click.option("--resolved/--unresolved", "resolved", default=None, help="Was the problem solved?")
@click.option("--summary", required=True, help="What was done.")
@at_option
@store_options
@click.pass_context
def close(ctx, case_id, resolved, summary, at, store_opt, actor_opt):
    """Close a case with its result.

    \b
    Example:
      jiesu close HL-2111-0069 --resolved --summary "Garbage cleared, monitoring increased"
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.close(store, case_id, actor, resolved, summary, at=at)
    if r.status == "handled":
        _done(r, f"{r.case_id}: handled, {'resolved' if r.event['resolved'] else 'not resolved'}; awaiting the centre's "
                 f"review by {r.event['review_by']} (jiesu review {r.case_id} --approve)")
        return
    _done(r, f"{r.case_id}: closed, {'resolved' if r.event['resolved'] else 'not resolved'}")


@command("evaluate")
@click.argument("case_id", metavar="ID")
@click.option("--reached/--unreached", "reached", default=None, help="Did the follow-up call reach the complainant?")
@click.option("--contacted/--not-contacted", "contacted", default=None, help="Had the unit contacted them?")
@click.option("--resolved/--unresolved", "resolved", default=None, help="Is it resolved, in their view?")
@click.option("--satisfaction", metavar="LEVEL", help="very-satisfied, satisfied, basically-satisfied, dissatisfied, very-dissatisfied.")
@click.option("--reason", help="Why (required when dissatisfied).")
@at_option
@store_options
@click.pass_context
def evaluate(ctx, case_id, reached, contacted, resolved, satisfaction, reason, at, store_opt, actor_opt):
    """Record the follow-up call.

    \b
    Example:
      jiesu evaluate HL-2111-0069 --reached --contacted --resolved --satisfaction very-satisfied
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.evaluate(store, case_id, actor, reached, contacted, resolved, satisfaction, reason, at=at)
    _done(r, f"{r.case_id}: evaluated ({r.event.get('satisfaction') or 'not reached'})")


@command("reopen")
@click.argument("case_id", metavar="ID")
@click.option("--reason", required=True, help="Why the case is opened again.")
@at_option
@store_options
@click.pass_context
def reopen(ctx, case_id, reason, at, store_opt, actor_opt):
    """Open a closed, evaluated or rejected case again.

    \b
    Example:
      jiesu reopen HL-2111-0069 --reason "Garbage dumped again the next day"
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.reopen(store, case_id, actor, reason, at=at)
    _done(r, f"{r.case_id}: reopened ({r.status})")


@command("reject")
@click.argument("case_id", metavar="ID")
@click.option("--reason", required=True, help="Why the request is invalid.")
@at_option
@store_options
@click.pass_context
def reject(ctx, case_id, reason, at, store_opt, actor_opt):
    """Reject an invalid request (it is not dispatched).

    \b
    Example:
      jiesu reject HL-2111-0071 --reason "Drunk caller, no request"
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.reject(store, case_id, actor, reason, at=at)
    _done(r, f"{r.case_id}: rejected")


@command("exempt")
@click.argument("case_id", metavar="ID")
@click.option("--reason", help="Why the case should not count (required for a request and for --deny).")
@click.option("--type", "kind", type=click.Choice(["unreasonable", "out-of-jurisdiction", "duplicate", "other"]),
              help="What kind of exemption a unit requests (default: other).")
@click.option("--approve", "decision", flag_value="approve", help="The centre approves the pending request.")
@click.option("--deny", "decision", flag_value="deny", help="The centre denies the pending request (with --reason).")
@at_option
@store_options
@click.pass_context
def exempt(ctx, case_id, reason, kind, decision, at, store_opt, actor_opt):
    """Request, approve or deny exemption of a case from assessment.

    A unit's request (--reason, --type) leaves the case assessed until the centre approves it;
    a denied request keeps it assessed. Pending and approved exemptions are listed per unit in
    the monthly report and the unit sheet. The store has no actors file yet, so any actor may
    approve; only a reviewer will, once actors.yaml exists.

    \b
    Examples:
      jiesu exempt HL-2111-0072 --type unreasonable --reason "Demands compensation beyond any policy"
      jiesu exempt HL-2111-0072 --approve
      jiesu exempt HL-2111-0072 --deny --reason "The demand is within the unit's duties"
    """
    if decision and kind:
        raise click.UsageError(_('--type belongs to a request; --approve/--deny decide one'))
    if not decision and not reason:
        raise click.UsageError(_('a request needs --reason (and --type); the centre decides with --approve or --deny'))
    store, actor = open_for(ctx, store_opt, actor_opt)
    if decision:
        r = ops.decide_exemption(store, case_id, actor, decision == "approve", reason, at=at)
        _done(r, f"{r.case_id}: exemption {r.event['decision']}" + (" (not assessed)" if decision == "approve" else " (still assessed)"))
        return
    r = ops.exempt(store, case_id, actor, reason, at=at, type=kind or "other")
    _done(r, f"{r.case_id}: exemption requested ({r.event['type']}); assessed until the centre approves it")


@command("merge")
@click.argument("case_id", metavar="ID")
@click.option("--into", "into", required=True, metavar="ID", help="The case this one duplicates.")
@at_option
@store_options
@click.pass_context
def merge(ctx, case_id, into, at, store_opt, actor_opt):
    """Merge a duplicate into another case.

    \b
    Example:
      jiesu merge HL-2111-0073 --into HL-2111-0069
    """
    store, actor = open_for(ctx, store_opt, actor_opt)
    r = ops.merge(store, case_id, actor, into, at=at)
    _done(r, f"{r.case_id}: merged into {r.event['into']}")
