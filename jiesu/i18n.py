"""Every word a person reads, in English or Chinese: gettext over Babel-managed catalogs.

The message ids are the English words; `jiesu/locale/zh_CN/LC_MESSAGES/jiesu.po` holds the
Chinese. The `.mo` is compiled when jiesu is installed (`make` runs `pybabel compile`); when it
is missing (a source tree, a copy without the build step) the `.po` is compiled here, in memory,
with no third-party code — so running jiesu never needs Babel.

The language, first that is set: `--lang` (`choose`), `JIESU_LANG`, the store's `lang` (set
when a store is opened), `LC_ALL` / `LC_MESSAGES` / `LANG`, then English. A value that is
neither English nor Chinese (`fr_FR.UTF-8`, `C`) passes the choice on to the next source.
Machine output (JSON and CSV keys, ids, enumerated values) never goes through here.
"""

from __future__ import annotations

import gettext
import os
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from pathlib import Path

DOMAIN = "jiesu"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGS = ("en", "zh")
FOLDERS = {"zh": "zh_CN"}

_explicit: str | None = None
_store: str | None = None
_using: list[str] = []


def normalize(value: str | None) -> str | None:
    """`zh`, `zh_CN.UTF-8`, `zh-Hans` → zh; `en…` → en; anything else → None."""
    if not value:
        return None
    value = value.strip().lower()
    if value.startswith("zh"):
        return "zh"
    if value.startswith("en"):
        return "en"
    return None


def choose(lang: str | None) -> None:
    """The language given on the command line (`--lang`); None leaves the choice to the others."""
    global _explicit
    _explicit = normalize(lang)


def start(lang: str | None) -> None:
    """A command begins: forget the last one's choices, take `--lang` (None: not given)."""
    reset()
    choose(lang)


def store_language(lang: str | None) -> None:
    """The open store's `lang` (jiesu.yaml), below `--lang` and JIESU_LANG."""
    global _store
    _store = normalize(lang)


def reset() -> None:
    """Forget `--lang` and the store's language (between commands run in one process)."""
    global _explicit, _store
    _explicit = _store = None


def current() -> str:
    """The language now: en or zh."""
    if _using:
        return _using[-1]
    for source in (_explicit, normalize(os.environ.get("JIESU_LANG")), _store, _locale()):
        if source:
            return source
    return "en"


@contextmanager
def using(lang: str):
    """Speak `lang` inside the block, whatever was chosen (a report rendered with --lang zh)."""
    _using.append(normalize(lang) or "en")
    try:
        yield
    finally:
        _using.pop()


def _locale() -> str | None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:  # the first one set decides, as the C library does
            return normalize(value)
    return None


@lru_cache(maxsize=None)
def translation(lang: str) -> gettext.NullTranslations:
    """The messages of one language (English: the message ids themselves)."""
    folder = FOLDERS.get(lang)
    if folder is None:
        return gettext.NullTranslations()
    mo = LOCALE_DIR / folder / "LC_MESSAGES" / f"{DOMAIN}.mo"
    po = mo.with_suffix(".po")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return gettext.GNUTranslations(fp)
    if po.exists():
        import io

        return gettext.GNUTranslations(io.BytesIO(compile_po(po.read_text("utf-8"))))
    return gettext.NullTranslations()


def _(message: str) -> str:
    """`message` (English) in the current language."""
    return translation(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translation(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A word whose translation depends on where it stands (`Theme` the report, `Theme` the column)."""
    return translation(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Marks a message for extraction; translated later, where it is shown."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:
    """Marks a message with a context for extraction."""
    return context, message


def in_lang(lang: str, message: str | tuple[str, str]) -> str:
    """`message` (or a (context, message) pair) in a given language, whatever the current one."""
    t = translation(lang if lang in LANGS else "en")
    if isinstance(message, tuple):
        return t.pgettext(*message)
    return t.gettext(message)


def prose_date(day: date, lang: str | None = None) -> str:
    """A date in a sentence: 2026年11月29日 in Chinese, 2026-11-29 in English."""
    if (lang or current()) == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


# -- compiling a .po without Babel ---------------------------------------------------------------

_ESCAPES = {"\\": "\\", "t": "\t", "r": "\r", "n": "\n", '"': '"'}


def _unquote(text: str) -> str:
    r"""A quoted .po string's text (the escapes Babel and msgfmt write: \\ \t \r \n \")."""
    import re

    return re.sub(r'\\(.)', lambda m: _ESCAPES.get(m.group(1), m.group(0)), text.strip()[1:-1])


def parse_po(text: str) -> dict[str, str | list[str]]:
    """{key: translation} of a .po file; the key is `msgctxt\\x04msgid` with a context and
    `msgid\\x00msgid_plural` for plurals (whose translation is a list). Fuzzy entries are left
    out, as msgfmt leaves them out."""
    entries: dict = {}
    fields: dict = {}
    fuzzy = False
    last = None

    def flush():
        nonlocal fields, fuzzy
        if "msgid" in fields and not fuzzy:
            key = fields["msgid"]
            if "msgid_plural" in fields:
                key += "\x00" + fields["msgid_plural"]
                value = [fields[k] for k in sorted(f for f in fields if f.startswith("msgstr["))]
                if any(value):
                    entries[(fields.get("msgctxt"), key)] = value
            elif fields.get("msgstr") or key == "":
                entries[(fields.get("msgctxt"), key)] = fields.get("msgstr", "")
        fields, fuzzy = {}, False

    for line in text.splitlines():
        line = line.strip()
        if not line:
            flush()
            last = None
        elif line.startswith("#,"):
            if "msgid" in fields:
                flush()
            fuzzy = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[last] += _unquote(line)
        else:
            name, _sep, rest = line.partition(" ")
            if name in ("msgctxt", "msgid") and "msgid" in fields:
                flush()
            last = name
            fields[name] = _unquote(rest)
    flush()
    return {(f"{ctx}\x04{key}" if ctx is not None else key): value for (ctx, key), value in entries.items()}


def compile_po(text: str) -> bytes:
    """The .mo file of a .po text (the GNU format gettext reads)."""
    import struct

    messages = parse_po(text)
    keys = sorted(messages)
    ids = b""
    strs = b""
    offsets = []
    for key in keys:
        value = messages[key]
        value = "\x00".join(value) if isinstance(value, list) else value
        k, v = key.encode("utf-8"), value.encode("utf-8")
        offsets.append((len(ids), len(k), len(strs), len(v)))
        ids += k + b"\x00"
        strs += v + b"\x00"
    n = len(keys)
    key_start = 7 * 4 + 16 * n
    value_start = key_start + len(ids)
    key_table, value_table = [], []
    for id_off, id_len, str_off, str_len in offsets:
        key_table += [id_len, id_off + key_start]
        value_table += [str_len, str_off + value_start]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, n, 7 * 4, 7 * 4 + n * 8, 0, 0)
    return header + struct.pack(f"{len(key_table)}i", *key_table) + struct.pack(
        f"{len(value_table)}i", *value_table) + ids + strs
