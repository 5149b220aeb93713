"""Commands that read: show, list, overdue, log, verify, catalog."""

from __future__ import annotations

import click

from jiesu import i18n, queries, safetext, terms, timeutil
from jiesu.cli.util import (
    command_registry,
    csv_text,
    emit_json,
    get_store,
    note,
    progress_factory,
    store_options,
    table_text,
)
from jiesu.handling_view import OUTCOMES
from jiesu.i18n import N_, _

COMMANDS, command = command_registry()


def _fmt_option(choices, default):
    return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=True, help="Output format.")


@command("show")
@click.argument("case_id", metavar="ID")
@_fmt_option(["text", "yaml", "json"], "text")
@click.option("--reveal", is_flag=True, help="Add the complainant's private data (local only).")
@store_options
@click.pass_context
def show(ctx, case_id, fmt, reveal, store_opt, actor_opt):
    """Show one case: header, clocks, description and events.

    \b
    Examples:
      jiesu show HL-2111-0069
      jiesu show HL-2111-0069 --format json
      jiesu show HL-2111-0069 --reveal      # with private data
    """
    from jiesu import views

    store = get_store(ctx, store_opt)
    case = store.load_case(case_id)
    private = None
    if reveal:
        case, private = store.private.reveal(case)
    member = None
    if store.settings.get("hub"):  # a hub names the member store the case lives in
        from jiesu.hub import member_of, offices

        member = member_of(case_id, offices(store))
        if fmt != "json":
            click.echo(_("member: {member}").format(member=member or "—"))
    if fmt == "yaml":
        text = store.case_file(case_id).read_text("utf-8")
        if reveal and store.private.texts(case_id):
            private = dict(private or {}, texts=store.private.texts(case_id))
        if private:
            from jiesu.store import yamlio

            text += "# private (from private/, never shared)\n" + "".join(
                f"# {line}\n" for line in yamlio.rt_dump({"private": private}).splitlines()
            )
        click.echo(safetext.block(text), nl=False)
    else:
        render = views.case_json if fmt == "json" else views.case_text
        try:
            shown = render(case, store, private)
        except views.SHAPE_ERRORS as exc:
            raise views.unshowable(store, case_id, case, exc) from None
        if fmt == "json":
            emit_json(dict(shown, **({"member": member} if member else {})))
        else:
            click.echo(safetext.block(shown), nl=False)


def _statuses(ctx, param, values):
    """Statuses by id or name (已派单, Dispatched); a misspelt one is a usage mistake (exit 2)."""
    from jiesu import resolve
    from jiesu.errors import InvalidInput

    try:
        return tuple(resolve.status(v) for v in values)
    except InvalidInput as exc:
        raise click.BadParameter(exc.message.removeprefix("--status: ").removeprefix("--status：")) from None


@command("list")
@click.option("--status", "statuses", multiple=True, callback=_statuses,
              help="Only this status (repeatable; id or name: dispatched, 已派单).")
@click.option("--unit", help="Lead or co-unit is this unit (or a unit under it).")
@click.option("--district", help="Located in this district.")
@click.option("--category", help="In this category or under it (e.g. env).")
@click.option("--since", metavar="DATE", help="Received on or after this day.")
@click.option("--until", metavar="DATE", help="Received on or before this day.")
@click.option("--overdue", is_flag=True, help="Only open cases past due now.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many rows.")
@_fmt_option(["table", "json", "csv"], "table")
@store_options
@click.pass_context
def list_(ctx, statuses, unit, district, category, since, until, overdue, limit, fmt, store_opt, actor_opt):
    """List cases, oldest first.

    JSON rows: id, status, title, type, category, district, street, lead, received, due, closed,
    overdue, clocks.

    \b
    Examples:
      jiesu list --status dispatched --unit dragon-gate
      jiesu list --overdue --format csv > overdue.csv
    """
    store = get_store(ctx, store_opt)
    rows = queries.list_cases(store, statuses, unit, district, category, since, until, overdue, limit,
                              with_clocks=(fmt == "json"), progress_factory=progress_factory())
    if fmt == "json":
        emit_json(rows)
    elif fmt == "csv":
        click.echo(csv_text(rows, list(queries.LIST_KEYS) + (["member"] if store.settings.get("hub") else [])), nl=False)
    else:
        from jiesu.textwidth import clip

        hub = bool(store.settings.get("hub"))
        table = [[r["id"], terms.status(r["status"]) + (" !" if r["overdue"] else "") + (" S" if r.get("supervised") else ""),
                  clip(r["title"] or "", 40), r["lead"] or "—",
                  timeutil.display(timeutil.load(r["received"]), store.tz),
                  timeutil.display(timeutil.load(r["due"]), store.tz)] + ([r.get("member") or "—"] if hub else [])
                 for r in rows]
        click.echo(table_text(table, [_("id"), _("status"), _("title"), _("lead"), _("received"), _("due")]
                              + ([_("member")] if hub else [])))
        click.echo(_("{n} case(s)").format(n=len(rows)) + (_("; ! = overdue") if any(r["overdue"] for r in rows) else "")
                   + (_("; S = supervised (first)") if any(r.get("supervised") for r in rows) else ""))


@command("overdue")
@click.option("--as-of", "as_of", metavar="TIME", help="The instant to judge at (default now).")
@click.option("--unit", help="Only cases of this unit (or units under it).")
@click.option("--district", help="Only cases located in this district.")
@click.option("--tasks", is_flag=True, help="Instead of cases: open checklist items of themes (每月一题) past their due date, by owner.")
@_fmt_option(["table", "json", "csv"], "table")
@store_options
@click.pass_context
def overdue(ctx, as_of, unit, district, tasks, fmt, store_opt, actor_opt):
    """Open cases past their due time, most late first, by lead unit; then those due within 24 h.

    A case the lead closed that awaits the centre's review (`handled`) is not overdue for
    handling; once its review clock (`review_within`, default 24 h) has run out it is listed
    apart, as review overdue — the centre's delay, not the unit's.

    JSON: {as_of, overdue: [{id, lead, status, due, hours_late, working_days_late, …}],
    due_soon: [{…, hours_left}], closed_late, whistle: […], review_overdue: [{id, lead, status,
    review_by, hours_late, working_days_late, title, …}]}. CSV: one row per case, `section` is
    overdue, due_soon or review_overdue. With --tasks: {as_of, tasks: [{theme, theme_title,
    list, item, text, owner, due, days_late}]}.

    \b
    Examples:
      jiesu overdue
      jiesu overdue --as-of 2021-11-30T17:00 --unit dragon-gate --format json
      jiesu overdue --tasks --unit housing
    """
    store = get_store(ctx, store_opt)
    if tasks:
        _overdue_tasks(store, as_of, unit, district, fmt)
        return
    result = queries.overdue(store, as_of, unit, district, progress_factory=progress_factory())
    if fmt == "json":
        emit_json(result)
        return
    if fmt == "csv":
        rows = [dict(r, section="overdue") for r in result["overdue"]] + [dict(r, section="due_soon") for r in result["due_soon"]]
        rows += [dict(r, section="review_overdue") for r in result["review_overdue"]]
        cols = ["section", "id", "lead", "status", "due", "hours_late", "working_days_late", "hours_left", "title", "review_by"]
        click.echo(csv_text(rows, cols), nl=False)
        return
    from jiesu.textwidth import clip

    tz = store.tz
    click.echo(_("Overdue as of {time}: {n} open case(s)").format(
        time=timeutil.display(timeutil.load(result["as_of"]), tz), n=len(result["overdue"])))
    groups: dict = {}
    for r in result["overdue"]:
        groups.setdefault(r["lead"] or _("(not dispatched)"), []).append(r)
    lang = i18n.current()
    for lead, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        name = store.catalog.name("units", lead, lang) if lead in store.catalog.units else _("centre")
        click.echo(f"\n{lead} — {name} ({len(items)})")
        table = [[r["id"], terms.status(r["status"]), timeutil.display(timeutil.load(r["due"]), tz), f"{r['hours_late']:.1f}",
                  f"{r['working_days_late']:.2f}", clip(r["title"] or "", 40)] for r in items]
        click.echo(table_text(table, [_("id"), _("status"), _("due"), _("hours late"), _("work days"), _("title")]))
    click.echo("\n" + _("Due within 24 hours: {n}").format(n=len(result["due_soon"])))
    if result["due_soon"]:
        table = [[r["id"], r["lead"] or "—", timeutil.display(timeutil.load(r["due"]), tz), f"{r['hours_left']:.1f}",
                  clip(r["title"] or "", 40)] for r in result["due_soon"]]
        click.echo(table_text(table, [_("id"), _("lead"), _("due"), _("hours left"), _("title")]))
    click.echo("\n" + _("Closed late (so far): {n}").format(n=result["closed_late"]))
    if result["review_overdue"]:
        click.echo("\n" + _("Review overdue (handled by the unit, the centre's review is late): {n}").format(n=len(result["review_overdue"])))
        table = [[r["id"], r["lead"] or "—", timeutil.display(timeutil.load(r["review_by"]), tz), f"{r['hours_late']:.1f}",
                  clip(r["title"] or "", 40)] for r in result["review_overdue"]]
        click.echo(table_text(table, [_("id"), _("lead"), _("review by"), _("hours late"), _("title")]))
    supervised = [r for r in result["overdue"] + result["due_soon"] if r.get("supervised")]
    if supervised:
        click.echo("\n" + _("Supervised (督办): {n}").format(n=len(supervised)))
        click.echo(table_text([[r["id"], r["lead"] or "—", clip(r["supervised"], 50)] for r in supervised],
                              [_("id"), _("lead"), _("reason")]))
    if result.get("whistle"):
        click.echo("\n" + _("Called to assist (吹哨报到): {n}").format(n=len(result["whistle"])))
        table = [[w["id"], w["unit"], timeutil.display(timeutil.load(w["respond_by"]), tz), OUTCOMES.get(w["outcome"], w["outcome"])]
                 for w in result["whistle"]]
        click.echo(table_text(table, [_("id"), _("unit"), _("report by"), _("clock")]))


def _overdue_tasks(store, as_of, unit, district, fmt) -> None:
    from jiesu.errors import InvalidInput
    from jiesu.themes.results import open_items

    if district:
        raise InvalidInput(_('--district does not apply with --tasks (checklist items have an owner unit, not a place); use --unit'))
    when = timeutil.parse_time(as_of, store.tz, "--as-of") if as_of else store.now()
    items = [dict(i) for i in open_items(store, when, queries.unit_scope(store, unit)) if i["overdue"]]
    for i in items:
        i.pop("overdue")
    if fmt == "json":
        emit_json({"as_of": timeutil.fmt(when), "tasks": items})
        return
    cols = ["owner", "theme", "list", "item", "due", "days_late", "text"]
    if fmt == "csv":
        click.echo(csv_text(items, cols), nl=False)
        return
    click.echo(_("Overdue checklist items as of {time}: {n}").format(time=timeutil.display(when, store.tz), n=len(items)))
    if items:
        shown = [dict(i, list=terms.name("checklist", i["list"])) for i in items]
        click.echo(table_text([[i[c] for c in cols] for i in sorted(shown, key=lambda i: (i["owner"], -i["days_late"]))],
                              [_("owner"), _("theme"), _("list"), _("item"), _("due"), _("days late"), _("text")]))


@command("log")
@click.argument("case_id", metavar="ID")
@_fmt_option(["text", "json"], "text")
@store_options
@click.pass_context
def log(ctx, case_id, fmt, store_opt, actor_opt):
    """The history of a case (or a theme, or a knowledge entry) from git: commit, author, time,
    action, what changed.

    \b
    Examples:
      jiesu log HL-2111-0069
      jiesu log HL-T26-01
      jiesu log HL-K0042
    """
    from jiesu import history
    from jiesu.errors import StoreError
    from jiesu.knowledge import files as entry_files
    from jiesu.knowledge import record as entry_record
    from jiesu.themes import files, record

    store = get_store(ctx, store_opt)
    theme = record.is_theme_id(case_id)
    entry = entry_record.is_entry_id(case_id)
    if theme or entry:
        _path, rel = files.theme_path(store, case_id) if theme else entry_files.entry_path(store, case_id)
        entries = history.record_history(store, rel)
    else:
        try:
            store.load_case(case_id)
        except StoreError as exc:  # a broken file: its history is what tells how it broke
            note(_("{message}; run `jiesu verify`").format(message=exc.message))
        entries = history.case_history(store, case_id)
    if fmt == "json":
        emit_json([{k: v for k, v in h.items() if not k.startswith("_")} for h in entries])
    else:
        click.echo(safetext.block(history.history_text(entries, store.tz, N_("theme") if theme else N_("knowledge entry") if entry else N_("case"))), nl=False)


@command("verify")
@_fmt_option(["text", "json"], "text")
@click.option("--repair", is_flag=True, help="Finish interrupted writes, put uncommitted case files back to the last commit.")
@click.option("--signatures", is_flag=True, help="Also check commit signatures: each commit signed by a key actors.yaml lists "
              "for its actor (without keys: a good signature on every commit since signing began).")
@click.option("--reindex-history", is_flag=True, help="First read again, from the whole git history, which commits changed "
              "each case (the read index's table behind `jiesu log`).")
@store_options
@click.pass_context
def verify(ctx, fmt, repair, signatures, reindex_history, store_opt, actor_opt):
    """Check every case against the catalog, the state machine and git.

    Prints each problem as `path:line: message`; exits 1 if there is any error. Warnings (a
    case changed outside jiesu, an event superseded by a merge, a clone without the merge
    driver) are for a person to review and do not fail. The history is audited too: an event
    jiesu committed that is now missing or altered is an error.

    With --signatures, each commit must be signed (git verifies it) by a key listed under
    `keys:` for its actor in actors.yaml as it stood then; unsigned commits, bad signatures and
    keys not listed for the actor are errors naming commit, actor and key.

    With --reindex-history, the read index's table of the commits that changed each case (what
    `jiesu log` reads instead of walking git's history) is first built again from the whole
    history, for commits it may have missed; the index is a cache, so this changes no file.

    \b
    Examples:
      jiesu verify
      jiesu verify --format json
      jiesu verify --repair
      jiesu verify --signatures
      jiesu verify --reindex-history
    """
    from jiesu import repair as repairing
    from jiesu import verify as verifying

    store = get_store(ctx, store_opt)
    if repair:
        for line in repairing.repair(store):
            note(line)
    if reindex_history:
        from jiesu.index import Index

        count = Index(store).reindex_history()
        note(_("read which cases each of {count} commits changed into the index").format(count=f"{count:,}"))
    if fmt == "json":  # machine output does not change with the language: its messages stay English
        from jiesu import i18n

        with i18n.using("en"):
            problems = verifying.verify(store, signatures=signatures)
    else:
        problems = verifying.verify(store, signatures=signatures)
    errors = [p for p in problems if p.severity == "error"]
    if fmt == "json":
        emit_json({"ok": not errors, "problems": verifying.as_json(problems)})
    else:
        for p in problems:
            click.echo(safetext.block(f"{p.path}:{p.line}: " + (_("warning: ") if p.severity == "warning" else "") + p.message))
        from jiesu.actors import FILE as ACTORS

        if not [p for p in problems if not (p.path == ACTORS and p.severity == "warning")]:
            click.echo(_("ok: every case is valid and committed"))
    if errors:
        ctx.exit(1)


@command("catalog")
@click.argument("section", type=click.Choice(["categories", "units", "tags", "limits", "types", "calendar", "assessment"]), default="categories")
@click.option("--search", metavar="TEXT", help="Only entries matching these words (names, codes, keywords); "
              "categories are ranked, best first, and typos are forgiven.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most this many categories found by --search.")
@click.option("--year", type=int, help="For `calendar`: the year to show (default this year).")
@_fmt_option(["table", "json"], "table")
@store_options
@click.pass_context
def catalog(ctx, section, search, limit, year, fmt, store_opt, actor_opt):
    """Browse the catalog.

    JSON: units {id, kind, parent, name {en, zh}, population}; categories {code, level, parent,
    name {en, zh}, time_limit, dispatch}.

    \b
    Examples:
      jiesu catalog categories --search garbage
      jiesu catalog categories --search 噪音扰民
      jiesu catalog units --format json
      jiesu catalog calendar --year 2026
    """
    from jiesu import catalog_listing

    store = get_store(ctx, store_opt)
    rows, headers, table = catalog_listing.section(store, section, search, year, limit)
    if search and section == "categories":
        total = store.catalog.category_hits(search).total
        if total > len(rows):
            note(_("showing the best {shown} of {total} categories that match; add words or raise --limit").format(
                shown=len(rows), total=total))
        elif not rows:
            note(_("no category matches {words!r}; try other words (English or Chinese)").format(words=search))
    if fmt == "json":
        emit_json(rows)
    else:
        click.echo(table_text(table, headers))
