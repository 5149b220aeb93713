"""click's own words (usage errors: "No such option", "Missing option", "Try … for help") in the
chosen language.

click looks its messages up with the standard library's `gettext.gettext` and `ngettext`, bound
into each of its modules by name; `install` binds jiesu's catalog in their place, so a usage
error is worded in the current language while click does everything else as always. The message
ids are click's own English texts, listed here so that Babel extracts them into jiesu's catalog.
English stays click's text byte for byte (an English lookup gives back its message id).
"""

from __future__ import annotations

import importlib
import re

from jiesu.i18n import N_, _, current, ngettext

MODULES = ("click.exceptions", "click.core", "click.parser", "click.types", "click.termui",
           "click.decorators", "click.formatting", "click.utils")

WORDS = (
    N_("Error: {message}"), N_("Try '{command} {option}' for help."), N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"), N_("Missing argument"), N_("Missing option"),
    N_("Missing parameter"), N_("Missing {param_type}"), N_("Missing parameter: {param_name}"),
    N_("No such option {name!r}."), N_("No such command {name!r}."), N_("Missing command."),
    N_("Aborted!"), N_("Option {name!r} does not take a value."), N_("Argument {name!r} takes {nargs} values."),
    N_("{value!r} is not a valid {number_type}."), N_("{value} is not in the range {range}."),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is a file."), N_("file"), N_("directory"), N_("path"),
    N_("Could not open file {filename!r}: {message}"), N_("Positional arguments"),
    N_("Takes {nargs} values but 1 was given."), N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("{name} {filename!r} is not readable."), N_("{name} {filename!r} is not writable."),
    N_("Repeat for confirmation"), N_("Error: The two entered values do not match."), N_("Error: invalid input"),
    N_("Do you want to continue?"), N_("Press any key to continue..."), N_("Choose from:\n\t{choices}"),
)
# the names click puts into "'x' is not a valid {number_type}."
TYPE_NAMES = (N_("integer"), N_("integer range"), N_("float"), N_("float range"))


# click joins two sentences with a space ("No such option '--x'. Did you mean '--y'?"); after a Chinese
# full stop or question mark no space follows
_AFTER_FULL_WIDTH = re.compile(r"(?<=[。？！；])[ \t]+")


class _Words(str):
    """A message of click's in the current language; the type name it is formatted with is too, and
    the sentences of the message it shows are joined as the language joins them."""

    def format(self, *args, **kwargs):
        if isinstance(kwargs.get("number_type"), str):
            kwargs["number_type"] = _(kwargs["number_type"])
        if isinstance(kwargs.get("message"), str):
            kwargs["message"] = _AFTER_FULL_WIDTH.sub("", kwargs["message"])
        if current() == "zh":  # a list in a Chinese sentence: '--limit'、'--unit'
            for key in ("possibility", "possibilities", "choice", "choices"):
                if isinstance(kwargs.get(key), str):
                    kwargs[key] = kwargs[key].replace(", ", "、")
        return str.format(self, *args, **kwargs)


def _words(message: str) -> str:
    return _Words(_(message))


def _plural_words(singular: str, plural: str, n: int) -> str:
    return _Words(ngettext(singular, plural, n))


def _plurals():
    """Never called: it names click's plural messages for extraction."""
    return (ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1),
            ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1),
            ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1),
            ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1),
            ngettext("{value!r} does not match the format {format}.",
                     "{value!r} does not match the formats {formats}.", 1))


def install() -> None:
    """Bind jiesu's catalog in click's modules (once; harmless when repeated)."""
    for name in MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = _words
        if hasattr(module, "ngettext"):
            module.ngettext = _plural_words
