"""Help in the chosen language: click's help texts, looked up in the message catalog when shown.

A command's help is its docstring (cleaned as click cleans it) and each option's `help=`; the
message id is the English text itself, so nothing changes in the code that declares a command.
`extract` is the Babel extractor (see babel.cfg) that finds them, besides the ordinary `_()`
calls; `Formatter` looks each text up as click writes it. Usage errors from click itself
("No such option") are worded by `clickwords`.
"""

from __future__ import annotations

import ast
import inspect
import re

import click

from jiesu.i18n import N_, _

# click's own words on a help page
CLICK_WORDS = (N_("Usage:"), N_("Options"), N_("Commands"), N_("Show this message and exit."),
               N_("Show the version and exit."), N_("default"), N_("required"))
_EXTRA = re.compile(r"^(?P<text>.*?)(?P<extra>\s+\[[^\[\]]*\])?$", re.S)


def translate(text: str) -> str:
    """A help text in the current language (English when it has no translation)."""
    if not text:
        return text
    found = _(text)
    if found != text:
        return found
    match = _EXTRA.match(text)  # "Output format.  [default: text]": the help, then click's extras
    if match and match.group("extra"):
        extra = match.group("extra")
        for word in ("default", "required"):
            extra = extra.replace(word, _(word))
        return _(match.group("text")) + extra
    return text


class Formatter(click.HelpFormatter):
    """click's help formatter, translating each text it is given."""

    def write_usage(self, prog, args="", prefix=None):
        if prefix is None:
            prefix = _("Usage:")
            prefix += "" if prefix.endswith("：") else " "
        super().write_usage(prog, args, prefix=prefix)

    def write_heading(self, heading):
        heading = _(heading)
        colon = "：" if re.search(r"[\u4e00-\u9fff]", heading) else ":"
        self.write(f"{'':>{self.current_indent}}{heading}{colon}\n")

    def write_text(self, text):
        shown = translate(text)
        if shown != text:  # a line break next to a Chinese character is no space: join the lines
            shown = "\n\n".join(p if p.startswith("\b") else re.sub(r"(?<=[^\x00-\x7f])\n|\n(?=[^\x00-\x7f])", "", p)
                                for p in shown.split("\n\n"))
        super().write_text(shown)

    def write_dl(self, rows, col_max=30, col_spacing=2):
        super().write_dl([(term, translate(text)) for term, text in rows], col_max, col_spacing)


class Context(click.Context):
    formatter_class = Formatter


class Command(click.Command):
    context_class = Context

    def get_short_help_str(self, limit: int = 45) -> str:
        return short_help(self, limit)


class Group(click.Group):
    context_class = Context
    command_class = Command

    def get_short_help_str(self, limit: int = 45) -> str:
        return short_help(self, limit)


def short_help(cmd: click.Command, limit: int = 70) -> str:
    """A command's one-line summary in the current language (the first sentence of its help)."""
    if cmd.short_help:
        return translate(cmd.short_help)
    text = translate(inspect.cleandoc(cmd.help or "").partition("\f")[0])
    if text == inspect.cleandoc(cmd.help or "").partition("\f")[0]:  # no translation: click's own summary
        return click.Command.get_short_help_str(cmd, limit)
    from jiesu.textwidth import clip

    first = re.sub(r"\s*\n\s*", "", text.partition("\n\n")[0])  # a Chinese line break is no space
    first = first.split("。")[0] + ("。" if "。" in first else "")
    return clip(first, limit)


# -- extraction (used by pybabel, never at run time) ---------------------------------------------

def extract(fileobj, keywords, comment_tags, options):
    """Babel extractor: the module's `_()` messages, then its click help texts (docstrings of
    command functions and `help=` strings)."""
    from babel.messages.extract import extract_python

    source = fileobj.read()
    yield from extract_python(_Bytes(source), keywords, comment_tags, options)
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_command(node):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield node.lineno, "_", doc.partition("\f")[0], []
        elif isinstance(node, ast.keyword) and node.arg in ("help", "short_help"):
            text = _constant(node.value)
            if text:
                yield node.value.lineno, "_", text, []


class _Bytes:
    def __init__(self, data: bytes):
        import io

        self._io = io.BytesIO(data)

    def __getattr__(self, name):
        return getattr(self._io, name)


def _is_command(node) -> bool:
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in ("command", "group"):
            return True
    return False


def _constant(node):
    """A string constant, or an implicit concatenation of string constants."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _constant(node.left), _constant(node.right)
        if left is not None and right is not None:
            return left + right
    return None
