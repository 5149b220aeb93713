"""`jiesu kb …`: the knowledge base (政策问答) — policy Q&A an operator answers calls with."""

from __future__ import annotations

import click

from jiesu import terms
from jiesu.cli import helptext
from jiesu.cli.util import (
    command_registry,
    emit_json,
    get_store,
    open_for,
    say,
    store_options,
    table_text,
)
from jiesu.i18n import _, ngettext, pgettext

COMMANDS, command = command_registry()
AT = click.option("--at", metavar="TIME", help="When it happened (ISO 8601; default now).")
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")


@click.group("kb", cls=helptext.Group, context_settings={"help_option_names": ["-h", "--help"]})
def kb():
    """The knowledge base (政策问答): policy answers to give on the call, versioned like cases.

    An entry is knowledge/<OFFICE>-KNNNN.yaml: questions (zh and/or en), the answer, the policy
    sources it rests on, categories, themes, owner unit, validity and review dates. Every change
    is one commit; an edit makes a new version and the old ones stay readable.

    \b
    Example:
      jiesu kb add --question "居住证到期了怎么续签？" --question "How do I renew a residence permit?" \\
          --answer "…" --source "北京市实施《居住证暂行条例》办法|北京市人民政府|2016-08-24" \\
          --category policy.residence.residence-permit --owner public-security
      jiesu kb search 居住证续签
      jiesu intake --type consultation --title "居住证续签" --kb HL-K0001
    """


COMMANDS["kb"] = kb


def _content(questions, answer, sources, categories, themes, owner, valid_from, valid_until, review_by, example) -> dict:
    given = {"questions": list(questions), "answer": answer, "sources": list(sources), "categories": list(categories),
             "themes": list(themes), "owner": owner, "valid_from": valid_from, "valid_until": valid_until,
             "review_by": review_by, "example": example}
    return {k: v for k, v in given.items() if v not in (None, [], ())}


def _content_options(func):
    for option in reversed((
        click.option("--question", "questions", multiple=True, help="A question as callers ask it, zh or en (repeatable)."),
        click.option("--answer", help="The answer to give on the call."),
        click.option("--source", "sources", multiple=True, metavar="TITLE|ISSUER|DATE|LINK",
                     help="A policy source it rests on (repeatable; only the title is required)."),
        click.option("--category", "categories", multiple=True, metavar="CODE", help="A category it serves (repeatable)."),
        click.option("--theme", "themes", multiple=True, metavar="THEME", help="A theme (每月一题) whose policy Q&A it belongs to (repeatable)."),
        click.option("--owner", metavar="UNIT", help="The unit that owns the answer and keeps it current."),
        click.option("--valid-from", metavar="DATE", help="First day it may be given (default today)."),
        click.option("--valid-until", metavar="DATE", help="Last day it may be given (default: open)."),
        click.option("--review-by", metavar="DATE", help="When it must be checked again (default a year after --valid-from)."),
        click.option("--example/--no-example", default=None, help="Mark it as an example an office replaces with its own."),
    )):
        func = option(func)
    return func


@kb.command("add")
@_content_options
@click.option("--from", "from_file", metavar="FILE|-", help="Add many entries from a YAML or JSON file (a list of mappings).")
@click.option("--examples", is_flag=True, help="Add the example entries shipped with the default catalog.")
@AT
@store_options
@click.pass_context
def add(ctx, questions, answer, sources, categories, themes, owner, valid_from, valid_until, review_by, example,
        from_file, examples, at, store_opt, actor_opt):
    """Add one entry (flags) or many (--from FILE, --examples) in one commit; prints the id(s).

    A file holds a list of mappings with the keys questions, answer, sources (title, issuer,
    date, link), categories, themes, owner, valid_from, valid_until, review_by, example.

    \b
    Examples:
      jiesu kb add --question "供暖费怎么交？" --answer "…" \\
          --source "北京市供热采暖管理办法|北京市人民政府|2010-11-25" \\
          --category utilities.heating.fees --owner heating-group --review-by 2027-06-30
      jiesu kb add --from answers.yaml
      jiesu kb add --examples
    """
    from jiesu.errors import InvalidInput
    from jiesu.knowledge import ops

    given = _content(questions, answer, sources, categories, themes, owner, valid_from, valid_until, review_by, example)
    if sum(bool(x) for x in (given, from_file, examples)) != 1:
        raise InvalidInput(_('kb add: give the entry with flags, or --from FILE, or --examples (one of them)'))
    store, actor = open_for(ctx, store_opt, actor_opt)
    if examples:
        from jiesu.knowledge.examples import example_entries

        items = example_entries()
    elif from_file:
        items = _read_file(from_file)
    else:
        items = [given]
    for result in ops.add(store, actor, items, at):
        say(result.case_id)


def _read_file(source: str) -> list:
    from jiesu.errors import InvalidInput
    from jiesu.ops.new_cases import read_requests

    try:
        return read_requests(source, click.get_text_stream("stdin").read() if source == "-" else None)
    except InvalidInput as exc:
        raise InvalidInput(exc.message.replace("request", "entry"), exc.hint) from None


@kb.command("edit")
@click.argument("entry_id", metavar="ID")
@_content_options
@AT
@store_options
@click.pass_context
def edit(ctx, entry_id, questions, answer, sources, categories, themes, owner, valid_from, valid_until, review_by,
         example, at, store_opt, actor_opt):
    """Make a new version of an entry: the fields given replace the latest version's, the rest stay.

    Repeatable fields (--question, --source, --category, --theme) replace the whole list.
    Calls answered from an older version keep that version's text (`kb show ID --version N`).

    \b
    Example:
      jiesu kb edit HL-K0003 --answer "From 1 July the renewal is done online …" --review-by 2027-07-01
    """
    from jiesu.knowledge import ops

    store, actor = open_for(ctx, store_opt, actor_opt)
    given = _content(questions, answer, sources, categories, themes, owner, valid_from, valid_until, review_by, example)
    result = ops.edit(store, actor, entry_id, given, at)
    from jiesu.knowledge import files, record

    version = record.project(files.load_entry(store, result.case_id))["version"]
    say(_("{id}: version {version} ({commit})").format(id=result.case_id, version=version, commit=result.commit[:10]))


@kb.command("retire")
@click.argument("entry_id", metavar="ID")
@click.option("--reason", required=True, help="Why it is no longer given.")
@click.option("--replaced-by", metavar="ID", help="The entry to answer with instead.")
@AT
@store_options
@click.pass_context
def retire(ctx, entry_id, reason, replaced_by, at, store_opt, actor_opt):
    """Retire an entry: it is no longer offered or accepted as an answer.

    \b
    Example:
      jiesu kb retire HL-K0007 --reason "Replaced by the 2027 heating fee rules" --replaced-by HL-K0031
    """
    from jiesu.knowledge import ops

    store, actor = open_for(ctx, store_opt, actor_opt)
    result = ops.retire(store, actor, entry_id, reason, replaced_by, at)
    say(_("{id}: retired ({commit})").format(id=result.case_id, commit=result.commit[:10]))


@kb.command("show")
@click.argument("entry_id", metavar="ID")
@click.option("--version", "number", type=int, help="Show this version (default the latest).")
@FORMAT
@store_options
@click.pass_context
def show(ctx, entry_id, number, fmt, store_opt, actor_opt):
    """One entry: its questions, answer, sources, categories, validity and status.

    JSON: {id, status, versions, version, at, by, questions, answer, sources, categories, themes,
    owner, valid_from, valid_until, review_by, example, retired, reason, replaced_by}.

    \b
    Examples:
      jiesu kb show HL-K0003
      jiesu kb show HL-K0003 --version 1 --format json
    """
    from jiesu import safetext
    from jiesu.knowledge import files, record
    from jiesu.knowledge.views import entry_text

    store = get_store(ctx, store_opt)
    entry = files.load_entry(store, record.validate_id(entry_id))
    state = record.project(entry)
    chosen = record.version(entry, number)
    data = {"id": entry["id"], "status": state["status"], "versions": state["version"], **chosen,
            "retired": state.get("retired"), "reason": state.get("reason"), "replaced_by": state.get("replaced_by")}
    data.pop("event", None)
    if fmt == "json":
        emit_json(data)
    else:
        click.echo(safetext.block(entry_text(data, store.catalog)), nl=False)


@kb.command("list")
@click.option("--category", metavar="CODE", help="Only entries serving this category (a code or a prefix).")
@click.option("--theme", metavar="THEME", help="Only entries of this theme's policy Q&A.")
@click.option("--stale", is_flag=True, help="Only active entries past their valid_until or review_by date.")
@click.option("--all", "every", is_flag=True, help="Retired entries too.")
@FORMAT
@store_options
@click.pass_context
def list_(ctx, category, theme, stale, every, fmt, store_opt, actor_opt):
    """List entries: id, version, status, review date, first question.

    JSON rows: id, version, status, question, categories, themes, owner, valid_from, valid_until,
    review_by, example, stale (null, "expired" or "review").

    \b
    Examples:
      jiesu kb list --category policy.hukou
      jiesu kb list --stale --format json
    """
    from jiesu.knowledge.views import list_rows

    store = get_store(ctx, store_opt)
    rows = list_rows(store, category, theme, stale, every)
    if fmt == "json":
        emit_json(rows)
        return
    from jiesu.textwidth import clip

    click.echo(table_text([[r["id"], r["version"], terms.knowledge_status(r["status"], r["stale"]),
                            r["review_by"], clip(r["question"], 60)] for r in rows],
                          [_("id"), _("v"), _("status"), pgettext("knowledge", "review by"), _("question")]))
    click.echo(ngettext("{n} entry", "{n} entries", len(rows)).format(n=len(rows)))


@kb.command("search")
@click.argument("text", nargs=-1, required=True)
@click.option("--category", metavar="CODE", help="Only entries serving this category (a code or a prefix).")
@click.option("--limit", type=click.IntRange(1, 100), default=5, show_default=True, help="How many to show.")
@click.option("--all", "every", is_flag=True, help="Retired and expired entries too.")
@FORMAT
@store_options
@click.pass_context
def search(ctx, text, category, limit, every, fmt, store_opt, actor_opt):
    """Ranked full-text search over questions, answers and source titles (Chinese and English),
    among the entries valid today.

    JSON rows: id, version, question, score (higher is better), status, valid_from, valid_until, categories.

    \b
    Examples:
      jiesu kb search 居住证到期了怎么续
      jiesu kb search "how do I pay the heating fee" --limit 3
    """
    from jiesu.knowledge.search import search as run

    store = get_store(ctx, store_opt)
    hits = run(store, " ".join(text), limit, category=category, every=every)
    if fmt == "json":
        emit_json(hits)
        return
    from jiesu.textwidth import clip

    click.echo(table_text([[h["id"], h["version"], f"{h['score']:.2f}", clip(h["question"], 70)] for h in hits],
                          [_("id"), _("v"), _("score"), _("question")]))
    click.echo(_("{n} match(es)").format(n=len(hits)))


@kb.command("usage")
@click.option("--since", metavar="DATE", help="Calls received from this day (default: all).")
@click.option("--until", metavar="DATE", help="Calls received up to this day, inclusive (default: all).")
@FORMAT
@store_options
@click.pass_context
def usage(ctx, since, until, fmt, store_opt, actor_opt):
    """Whether answers work: per entry, the calls it answered and how many came back.

    A call came back when the same caller called again about the same category within 30 days;
    dissatisfied counts follow-ups rated dissatisfied or very dissatisfied. Worst repeat rate
    first; then the entries past their review date.

    JSON: {since, until, entries: [{id, question, status, review_by, answered, repeat,
    dissatisfied, evaluated, repeat_rate}], past_review: [kb list rows]}.

    \b
    Examples:
      jiesu kb usage --since 2026-01-01 --until 2026-03-31
      jiesu kb usage --format json
    """
    from jiesu import timeutil
    from jiesu.knowledge import usage as figures

    store = get_store(ctx, store_opt)
    data = figures.usage(store, timeutil.parse_date(since, "--since") if since else None,
                         timeutil.parse_date(until, "--until") if until else None)
    data["past_review"] = figures.past_review(store)
    if fmt == "json":
        emit_json(data)
        return
    from jiesu.textwidth import clip

    rate = lambda r: "-" if r["repeat_rate"] is None else f"{r['repeat_rate']:.0%}"  # noqa: E731
    click.echo(table_text([[r["id"], r["answered"], r["repeat"], rate(r), f"{r['dissatisfied']}/{r['evaluated']}",
                            clip(r["question"], 50)] for r in data["entries"]],
                          [_("id"), pgettext("knowledge", "answered"), pgettext("knowledge", "came back"),
                           pgettext("knowledge", "rate"), pgettext("knowledge", "dissatisfied/rated"), _("question")]))
    for r in data["past_review"]:
        click.echo(_("review due: {id} ({stale}; review by {day}): {question}").format(
            id=r["id"], stale=terms.name("stale", r["stale"]), day=r["review_by"], question=clip(r["question"], 60)))
