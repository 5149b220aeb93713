"""The intake form an operator fills on a call, on a terminal (prompt_toolkit).

Asked only when stdin is a terminal (see `util.interactive`); a script never sees a prompt, and
the prompts go to stderr, so `ID=$(jiesu intake)` captures just the new id. Every answer is
checked as it is given, by the same library code that checks a command-line intake
(`ops.new_cases.prepare`), and a refused answer stays in the line with the error under it. Values
complete as they are typed, by id or by English or Chinese name; the category completes with
the ranked search and, once chosen, shows its time limit, dispatch rule and regulations. A
consultation then lists the knowledge entries that best answer it (the category's, and the words
of title and description) and takes a number or an entry id (answered on the call from that entry,
as `--kb`), the operator's own words (as `--answered`) or nothing (dispatched as usual). The form
ends with a summary and `commit`, `edit FIELD` or `abort`; Ctrl-C, Ctrl-D or abort write nothing.
"""

from __future__ import annotations

import sys

import click
from prompt_toolkit import PromptSession
from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.output import create_output
from prompt_toolkit.validation import ValidationError, Validator

from jiesu import i18n
from jiesu.catalog import LOCAL_KINDS
from jiesu.errors import InvalidInput, JiesuError
from jiesu.i18n import NP_, _

FLAGS = {"confidential": ("保密", "confidential"), "frequent": ("多次来电", "frequent caller"),
         "special_group": ("特殊群体", "special group")}
# (field, label); the order an operator fills the form in; the labels are shown in the chosen language
FORM = (
    ("type", NP_("intake form", "type")), ("channel", NP_("intake form", "channel")),
    ("title", NP_("intake form", "title")), ("description", NP_("intake form", "description")),
    ("category", NP_("intake form", "category")), ("answer", NP_("intake form", "answer")),
    ("street", NP_("intake form", "street/town")), ("district", NP_("intake form", "district")),
    ("community", NP_("intake form", "community")), ("address", NP_("intake form", "address")),
    ("kind", NP_("intake form", "complainant")), ("surname", NP_("intake form", "surname")),
    ("phone", NP_("intake form", "phone")), ("flags", NP_("intake form", "flags")), ("tags", NP_("intake form", "tags")),
)
# the three answers at the end of the form, in either language
VERBS = {"commit": NP_("intake form", "commit"), "abort": NP_("intake form", "abort"), "edit": NP_("intake form", "edit")}
EDITABLE = [name for name, _ in FORM]
DEFAULTS = {"channel": "hotline", "kind": "individual"}  # what the library assumes when not given


class Aborted(JiesuError):
    """The operator left the form; nothing was written."""


class _Names(Completer):
    """Completes ids of a table by id or by any of their names (a word anywhere in it)."""

    def __init__(self, rows):
        self.rows = rows  # [(id, shown name)]

    def get_completions(self, document, complete_event):
        word = document.text_before_cursor.split(",")[-1].strip().casefold()
        for code, name in self.rows:
            if not word or word in code.casefold() or word in name.casefold():
                yield Completion(code, start_position=-len(document.text_before_cursor.split(",")[-1].lstrip()),
                                 display=code, display_meta=name)


class _Categories(Completer):
    """Completes a leaf category from the ranked search of what was typed."""

    def __init__(self, catalog, lang):
        self.catalog, self.lang = catalog, lang

    def get_completions(self, document, complete_event):
        text = document.text_before_cursor.strip()
        if not text:
            return
        for cat in self.catalog.search_categories(text, 12):
            yield Completion(cat.code, start_position=-len(document.text_before_cursor), display=cat.code,
                             display_meta=f"{_name(cat.name, self.lang)} [{cat.time_limit}]")


def _name(names: dict, lang: str) -> str:
    return names.get(lang) or names.get("en") or ""


def _both(names: dict) -> str:
    return " / ".join(n for n in (names.get("zh"), names.get("en")) if n)


class Form:
    """One intake form: the record so far, the questions, and the checks."""

    def __init__(self, store, record: dict, actor: str):
        self.store, self.catalog, self.lang = store, store.catalog, store.lang
        self.record = dict(record)
        self.actor = actor
        self.session = PromptSession(output=create_output(stdout=sys.stderr))

    # --- checks ---------------------------------------------------------------------------------
    def probe(self, field: str, value) -> dict:
        """The library's verdict on one answer: the prepared request, or InvalidInput."""
        from jiesu.ops.new_cases import prepare

        trial = {"title": "probe", "type": next(iter(self.catalog.types))}
        for key in ("street", "district") if field in ("community", "street", "district") else ():
            if key != field and self.record.get(key):
                trial[key] = self.record[key]
        if field == "flags":
            for flag in value:
                trial[flag] = True
        else:
            trial[field if field != "tags" else "tags"] = value
        return prepare(self.store, trial, self.actor)

    def checked(self, field: str, text: str):
        """The value to keep for an answer (ids resolved); raises InvalidInput."""
        text = text.strip()
        if not text:
            if field == "title":
                raise InvalidInput(_('title: required; one line saying what the request is about'))
            if field == "type":
                raise InvalidInput(_('type: required; allowed: {items}').format(items=', '.join(self.catalog.types)))
            return None
        if field == "flags":
            value = self._flags(text)
        elif field == "tags":
            value = [t.strip() for t in text.replace("，", ",").split(",") if t.strip()]
        else:
            value = text
        p = self.probe(field, value)
        location, person = p["location"], p["complainant"]
        resolved = {
            "type": p["type"], "channel": p["channel"], "category": p["category"], "kind": person["kind"],
            "street": location.get("street"), "district": location.get("district"), "community": location.get("community"),
            "phone": person["phone"], "tags": p["tags"], "flags": value,
        }
        return resolved.get(field, value)

    def _flags(self, text: str) -> list:
        chosen = []
        for word in text.replace("，", ",").replace(",", " ").split():
            key = next((k for k, names in FLAGS.items() if word.casefold() in (k, k.replace("_", "-"), *names)), None)
            if key is None:
                raise InvalidInput(_('flags: unknown flag {word!r}; allowed: confidential, frequent, special-group (保密, 多次来电, 特殊群体)').format(word=word))
            chosen.append(key)
        return list(dict.fromkeys(chosen))

    # --- questions ------------------------------------------------------------------------------
    def completer(self, field: str):
        cat, lang = self.catalog, self.lang
        tables = {"type": cat.types, "channel": cat.channels, "kind": cat.kinds, "tags": cat.tags}
        if field in tables:
            return _Names([(k, _both(v.name)) for k, v in tables[field].items()])
        if field == "street":
            return _Names([(u.id, _both(u.name)) for u in cat.units.values() if u.kind in LOCAL_KINDS])
        if field == "district":
            return _Names([(u.id, _both(u.name)) for u in cat.units.values() if u.kind == "district"])
        if field == "community" and self.record.get("street"):
            return _Names([(k, _both(v)) for k, v in cat.units[self.record["street"]].communities.items()])
        if field == "flags":
            return _Names([(k.replace("_", "-"), " / ".join(v)) for k, v in FLAGS.items()])
        if field == "category":
            return _Categories(cat, lang)
        return None

    def shown(self, field: str) -> str:
        if field == "answer":
            return self.record.get("kb") or self.record.get("answered") or ""
        value = self.record.get(field)
        if value in (None, [], ""):
            return ""
        if field == "flags":
            return " ".join(v.replace("_", "-") for v in value)
        if field == "tags":
            return ", ".join(value)
        return str(value)

    def ask(self, field: str, label: tuple[str, str]) -> None:
        """Ask one question until the answer passes its check; keep the answer in the record."""
        if field == "community" and not (self.record.get("street") and self.catalog.units[self.record["street"]].communities):
            return
        if field == "district" and self.record.get("street"):
            self.record.pop("district", None)
            return
        if field == "answer":
            return self.ask_answer(label)
        form = self

        class Check(Validator):
            def validate(self, document):
                try:
                    form.checked(field, document.text)
                except InvalidInput as exc:
                    if field == "category" and form.catalog.category_hits(document.text, 1).keys:
                        return  # words to search by: the matches are listed next
                    raise ValidationError(message=exc.message, cursor_position=len(document.text)) from None

        multiline = field == "description"
        hint = "  " + i18n._("(Esc Enter to finish)") if multiline else ""
        if field == "category":
            hint = "  " + i18n._("(code or words; Tab lists the best matches)")
        text = self.session.prompt(f"{i18n.pgettext(*label)}{hint}{_colon()}", default=self.shown(field) or DEFAULTS.get(field, ""), completer=self.completer(field),
                                   complete_while_typing=field != "description", multiline=multiline,
                                   validator=Check(), validate_while_typing=False)
        try:
            if field == "category" and text.strip() and text.strip() not in self.catalog.categories:
                text = self.pick_category(text.strip())
            value = self.checked(field, text)
        except InvalidInput as exc:  # words that matched nothing after all: ask again, with why
            click.echo(f"  {exc.message}", err=True)
            return self.ask(field, label)
        if value in (None, [], ""):
            self.record.pop(field, None)
        else:
            self.record[field] = value
        if field == "street" and value:
            self.record.pop("district", None)
        if field == "category" and value:
            self.describe_category(value)

    def pick_category(self, words: str) -> str:
        """Words that are not a code: list the ranked matches and take a number (or a code)."""
        try:
            from jiesu import resolve

            code = resolve.category(self.catalog, words)
            if code in self.catalog.categories:
                return code
        except InvalidInput:
            pass
        hits = self.catalog.category_hits(words, 9)
        if not hits.keys:
            return words
        for number, cat in enumerate(hits.keys, 1):
            click.echo(f"  {number}. {cat.code}  {_both(cat.name)} [{cat.time_limit}]", err=True)
        if hits.cut:
            click.echo("  " + i18n._("… {n} more; add words to narrow").format(n=hits.total - len(hits.keys)), err=True)

        class Number(Validator):
            def validate(self, document):
                pick = document.text.strip()
                if pick and not (pick.isdigit() and 1 <= int(pick) <= len(hits.keys)):
                    raise ValidationError(message=i18n._("a number from 1 to {n}, or blank to search again").format(n=len(hits.keys)))

        pick = self.session.prompt(i18n.pgettext("intake form", "number") + _colon(), validator=Number(), validate_while_typing=False).strip()
        if not pick:
            self.record.pop("category", None)
            return self.ask_again_category()
        return hits.keys[int(pick) - 1].code

    def ask_again_category(self) -> str:
        text = self.session.prompt(i18n.pgettext("intake form", "category") + _colon(), completer=self.completer("category")).strip()
        return self.pick_category(text) if text and text not in self.catalog.categories else text

    def ask_answer(self, label: tuple[str, str]) -> None:
        """A consultation: offer the best knowledge entries; keep a chosen entry (`kb`), the
        operator's own words (`answered`) or nothing (the request is dispatched)."""
        from jiesu.knowledge import record as entries
        from jiesu.knowledge.ops import answer_for
        from jiesu.knowledge.suggest import answer_text, suggestions
        from jiesu.safetext import terminal

        if self.record.get("type") != "consultation":
            self.record.pop("kb", None)
            return
        words = " ".join(str(self.record.get(k) or "") for k in ("title", "description"))
        hits = suggestions(self.store, words, self.record.get("category"))
        if hits:
            click.echo("  " + i18n._("knowledge base:"), err=True)
            for number, hit in enumerate(hits, 1):
                other = "" if hit["in_category"] else "  " + i18n._("(other category)")
                click.echo(f"  {number}. {hit['id']} v{hit['version']}  {terminal(hit['question'])}{other}", err=True)
        else:
            click.echo("  " + i18n._("knowledge base:") + " " + i18n._("no current entry matches; answer in your own words or leave blank"),
                       err=True)
        store = self.store

        def entry_of(text: str) -> str | None:
            if text.isdigit() and hits:
                if not 1 <= int(text) <= len(hits):
                    raise InvalidInput(_('a number from 1 to {n}, an entry id, your own words, or blank').format(n=len(hits)))
                return hits[int(text) - 1]["id"]
            if entries.is_entry_id(text):
                answer_for(store, text, store.now())  # refuses a retired or expired entry
                return text
            return None

        class Check(Validator):
            def validate(self, document):
                try:
                    entry_of(document.text.strip())
                except JiesuError as exc:  # a retired entry: the hint names its replacement
                    hint = f" ({exc.hint})" if getattr(exc, "hint", None) else ""
                    raise ValidationError(message=exc.message + hint, cursor_position=len(document.text)) from None

        hint = "  " + i18n._("(number or entry id: answer from it; your own words; blank: dispatch)")
        text = self.session.prompt(f"{i18n.pgettext(*label)}{hint}{_colon()}", default=self.shown("answer"), validator=Check(), completer=None,
                                   multiline=False, validate_while_typing=False).strip()
        self.record.pop("kb", None)
        self.record.pop("answered", None)
        entry = entry_of(text) if text else None
        if entry:
            self.record["kb"] = entry
            click.echo(f"  {entry} → {terminal(answer_text(store, entry))}", err=True)
        elif text:
            self.record["answered"] = text

    def describe_category(self, code: str) -> None:
        from jiesu.catalog_listing import _dispatch

        cat = self.catalog.categories[code]
        tclass = self.catalog.classes.get(cat.time_limit)
        from jiesu.timeutil import format_duration

        limit = f"{cat.time_limit} ({_both(tclass.name)}, {format_duration(tclass.limit)})" if tclass else str(cat.time_limit)
        click.echo(f"  {_both(cat.name)}", err=True)
        click.echo("  " + i18n._("time limit: {limit}").format(limit=limit), err=True)
        click.echo("  " + i18n._("dispatch: {rule}").format(rule=_dispatch(cat.dispatch) or 'street'), err=True)
        if cat.regulations:
            click.echo("  " + i18n._("regulations: {text}").format(text=cat.regulations), err=True)

    def summary(self) -> str | None:
        """Print the case as it would be written; return the library's objection, if any."""
        from jiesu.ops.new_cases import prepare

        click.echo("", err=True)
        for field, label in FORM:
            value = self.shown(field)
            if value:
                click.echo(f"  {i18n.pgettext(*label):<28} {value}", err=True)
        try:
            prepare(self.store, self.intake_record(), self.actor)
        except InvalidInput as exc:
            return exc.message
        return None

    def intake_record(self) -> dict:
        record = {k: v for k, v in self.record.items() if k != "flags"}
        for flag in self.record.get("flags") or ():
            record[flag] = True
        return record

    def run(self) -> dict:
        for field, label in FORM:
            given = self.record.get(field)
            if field == "answer" and (self.record.get("kb") or self.record.get("answered")):
                continue  # given on the command line: checked with the rest at the summary
            if given not in (None, "", []):
                try:  # what the command line gave, as ids; a wrong value is asked again
                    text = ", ".join(given) if field == "tags" else " ".join(given) if field == "flags" else str(given)
                    self.record[field] = self.checked(field, text)
                    continue
                except InvalidInput as exc:
                    click.echo(i18n._("error: {message}").format(message=exc.message), err=True)
            self.ask(field, label)
        choices = ["commit", "abort"] + [f"edit {f}" for f in EDITABLE]
        shown = [i18n.pgettext(*VERBS["commit"]), i18n.pgettext(*VERBS["abort"])] + [
            i18n.pgettext(*VERBS["edit"]) + " " + i18n.pgettext(*label) for _f, label in FORM]

        class Choice(Validator):
            def validate(self, document):
                if _final_choice(document.text) is None:
                    raise ValidationError(message=i18n._("commit, edit FIELD ({fields}) or abort").format(fields=", ".join(EDITABLE)))

        while True:
            problem = self.summary()
            if problem:
                click.echo(i18n._("error: {message}").format(message=problem), err=True)
            typed = self.session.prompt(i18n._("commit / edit FIELD / abort: "), completer=_Names([(c, "") for c in choices + shown]),
                                        validator=Choice(), validate_while_typing=False)
            answer = _final_choice(typed)
            if answer == "abort":
                raise Aborted(i18n._("intake aborted; nothing was written"))
            if answer == "commit":
                if problem:
                    click.echo("  " + i18n._("fix the field named above first (edit FIELD)"), err=True)
                    continue
                return self.intake_record()
            field = answer.split(" ", 1)[1]
            self.ask(field, dict(FORM)[field])


def _colon() -> str:
    """What ends a question: a full-width colon in Chinese."""
    return "：" if i18n.current() == "zh" else ": "


def _final_choice(text: str) -> str | None:
    """`commit`, `abort` or `edit FIELD` for what the operator typed at the end of the form, in
    either language (提交, 放弃, 修改 标题 or edit title); None for anything else."""
    words = text.split()
    if not words:
        return None
    verbs = {"commit": "commit", "abort": "abort", "edit": "edit"}
    verbs.update({i18n.in_lang("zh", mark): verb for verb, mark in VERBS.items()})
    verb = verbs.get(words[0])
    if verb in ("commit", "abort"):
        return verb if len(words) == 1 else None
    if verb != "edit" or len(words) != 2:
        return None
    for field, label in FORM:
        if words[1] in (field, label[1], i18n.in_lang("zh", label)):
            return f"edit {field}"
    return None


def complete_intake(store, record: dict, actor: str) -> dict:
    """Fill the intake form on the terminal, starting from what the command line gave."""
    flags = [k for k in FLAGS if record.pop(k, None)]
    if flags:
        record["flags"] = flags
    try:
        record = Form(store, record, actor).run()
    except (KeyboardInterrupt, EOFError):
        raise Aborted(i18n._("intake aborted; nothing was written")) from None
    missing = [w for w, have in ((i18n._("category"), record.get("category")),
                                 (i18n._("location"), record.get("street") or record.get("district"))) if not have]
    if missing:
        click.echo(i18n._("note: {message}").format(message=i18n._(
            "no {what} given; correct it later with `jiesu amend ID --category CODE --street UNIT --reason TEXT`").format(
                what=i18n._(" and no ").join(missing))), err=True)
    return record
