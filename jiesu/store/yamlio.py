"""Reading and writing YAML: fast safe loading in bulk, round-trip editing of the file changed.

Both loaders see the same scalars the same way (YAML 1.2 core rules, and timestamps stay strings),
so a file written by ruamel reads back identically through PyYAML's C loader. Anchors, aliases,
custom tags and duplicate keys are refused: case and catalog files never need them, and refusing
them closes the door on alias bombs and object construction.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import yaml

from jiesu import faults
from jiesu.errors import StoreError
from jiesu.i18n import _

_CSafe = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# YAML 1.2 core-schema implicit types, as ruamel.yaml resolves them (timestamps excluded on purpose).
_IMPLICIT = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        "tag:yaml.org,2002:float",
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        "-+0123456789.",
    ),
    (
        "tag:yaml.org,2002:int",
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""",
        "-+0123456789",
    ),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:value", r"^(?:=)$", "="),
]


class YamlProblem(StoreError):
    """A YAML file that cannot be read; carries the 1-based line for `path:line: message`."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.problem = path, line, message


class LDict(dict):
    """A mapping that remembers the line of itself and of each key (for `file:line` messages)."""

    line = 0
    lines: dict


class LList(list):
    """A sequence that remembers the line of itself and of each item."""

    line = 0
    lines: list


def _install_resolvers(cls):
    cls.yaml_implicit_resolvers = {}
    for tag, pattern, first in _IMPLICIT:
        cls.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))


MAX_DIGITS = 100  # no field of a case or catalog holds a longer number; Python refuses > 4300


def _int(loader, node):
    value = loader.construct_scalar(node).replace("_", "")
    if len(value) > MAX_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"a number of {len(value):,} digits; at most {MAX_DIGITS} are allowed", node.start_mark)
    sign = -1 if value.startswith("-") else 1
    value = value.lstrip("+-")
    if value.startswith(("0b", "0x", "0o")):
        return sign * int(value, 0)
    if len(value) > 1 and value.startswith("0"):
        return sign * int(value[1:].lstrip("o") or "0", 8)
    return sign * int(value)


def _no_merge(loader, node):
    raise yaml.constructor.ConstructorError(None, None, "merge keys (<<) are not allowed", node.start_mark)


def _no_value(loader, node):
    return loader.construct_scalar(node)


class _Strict:
    """Mixin: duplicate keys, merge keys and non-string keys are errors."""

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, f"expected a mapping, found {node.id}", node.start_mark)
        seen = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, bool)) or key is None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"mapping keys must be plain text, found {key!r}", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


class SafeLoader(_Strict, _CSafe):
    """PyYAML's C safe loader with jiesu's scalar rules; the bulk reader."""


class LineLoader(_Strict, _CSafe):
    """Like SafeLoader, but mappings and sequences carry their line numbers."""

    def construct_mapping(self, node, deep=False):
        plain = super().construct_mapping(node, deep=True)
        result = LDict(plain)
        result.line = node.start_mark.line + 1
        result.lines = {}
        for key_node, _value in node.value:
            result.lines[self.construct_object(key_node, deep=True)] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node, deep=False):
        result = LList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.lines = [child.start_mark.line + 1 for child in node.value]
        return result


for _cls in (SafeLoader, LineLoader):
    _install_resolvers(_cls)
    _cls.add_constructor("tag:yaml.org,2002:int", _int)
    _cls.add_constructor("tag:yaml.org,2002:merge", _no_merge)
    _cls.add_constructor("tag:yaml.org,2002:value", _no_value)
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _no_value)
LineLoader.add_constructor("tag:yaml.org,2002:map", LineLoader.construct_mapping)
LineLoader.add_constructor("tag:yaml.org,2002:seq", LineLoader.construct_sequence)


def _check_aliases(text: str, path: str, loader) -> None:
    """Refuse anchors and aliases (cheap pre-check: only files containing & or * are parsed twice)."""
    if "*" not in text and "&" not in text:
        return
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise YamlProblem(path, event.start_mark.line + 1, _('anchors and aliases (&, *) are not allowed'))
    except yaml.YAMLError:
        return  # the real load reports the syntax error with its line


def load(text: str, path: str = "<input>", lines: bool = False):
    """Load YAML text safely; every problem becomes a `YamlProblem` with its line.

    Text in jiesu's own case-file layout is read by `fastread` (several times faster, same result)."""
    if not lines:
        from jiesu.store import fastread

        found = fastread.load(text)
        if found is not None:
            return found
    loader = LineLoader if lines else SafeLoader
    _check_aliases(text, path, loader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 — SafeLoader subclasses only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = (exc.problem or exc.context or "invalid YAML").strip()
        if "could not determine a constructor" in message:
            message = message.replace("could not determine a constructor for the tag", "custom tag not allowed:")
        raise YamlProblem(path, line, message) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(path, 1, str(exc).splitlines()[0]) from None
    except RecursionError:
        raise YamlProblem(path, 1, _('nesting too deep')) from None


def load_file(path: Path, display: str | None = None, lines: bool = False):
    """Read and load one YAML file; unreadable or non-UTF-8 files become a `YamlProblem`."""
    name = display or str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem(name, 1, _('not UTF-8 text ({reason} at byte {start})').format(reason=exc.reason, start=exc.start)) from None
    except OSError as exc:
        raise YamlProblem(name, 1, _('cannot read: {strerror}').format(strerror=exc.strerror)) from None
    return load(text, name, lines=lines)


# --- round trip (ruamel) -----------------------------------------------------------------------

_RT = None


def _rt():
    """The ruamel round-trip instance, built on first use (ruamel costs ~50 ms to import)."""
    global _RT
    if _RT is None:
        from ruamel.yaml import YAML
        from ruamel.yaml.resolver import VersionedResolver

        class Resolver(VersionedResolver):
            @property
            def versioned_resolver(self):
                if not hasattr(self, "_jiesu"):
                    full = super().versioned_resolver
                    self._jiesu = {
                        k: [(t, r) for t, r in v if t != "tag:yaml.org,2002:timestamp"] for k, v in full.items()
                    }
                return self._jiesu

        rt = YAML(typ="rt")
        rt.Resolver = Resolver
        rt.representer.add_representer(str, _represent_str)
        rt.width = 4096
        rt.allow_unicode = True
        rt.allow_duplicate_keys = False
        rt.indent(mapping=2, sequence=2, offset=0)
        rt.preserve_quotes = False
        _RT = rt
    return _RT


_INDICATORS = tuple("?:-,[]{}#&*!|>'\"%@`")


def _represent_str(representer, value: str):
    """Quote strings that start with a YAML indicator: libyaml and ruamel disagree on some of
    them as plain scalars (`?0` inside a flow mapping), so never leave them plain."""
    style = "'" if value.startswith(_INDICATORS) else None
    return representer.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def rt_load(text: str, path: str = "<input>"):
    """Load for editing: comments, key order and styles survive a later `rt_dump`."""
    _check_aliases(text, path, SafeLoader)
    try:
        return _rt().load(text)
    except Exception as exc:  # ruamel raises many types; all are a bad file here
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        message = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlProblem(path, line, str(message).strip()) from None


def rt_dump(doc) -> str:
    """Serialise a round-trip document."""
    out = io.StringIO()
    _rt().dump(doc, out)
    return out.getvalue()


def _styled(node, flow: bool):
    if flow:
        node.fa.set_flow_style()
    else:
        node.fa.set_block_style()
    return node


def cmap(pairs=(), flow: bool = False):
    """A ruamel mapping from (key, value) pairs, optionally in flow style `{a: 1, b: 2}`."""
    from ruamel.yaml.comments import CommentedMap

    return _styled(CommentedMap(pairs), flow)


def cseq(items=(), flow: bool = False):
    """A ruamel sequence, optionally in flow style `[a, b]`."""
    from ruamel.yaml.comments import CommentedSeq

    return _styled(CommentedSeq(items), flow)


def block_text(text: str):
    """A multi-line string shown as a `|` block (single lines stay plain).

    Text holding Unicode line or paragraph separators stays a quoted scalar (they are written
    escaped, `\\L`): inside a `|` block the round-trip parser would read them as line breaks.
    """
    if any(ch in text for ch in "\u2028\u2029\x85"):
        return text
    if "\n" in text.rstrip("\n"):
        from ruamel.yaml.scalarstring import LiteralScalarString

        return LiteralScalarString(text if text.endswith("\n") else text + "\n")
    return text


def to_plain(value):
    """Turn a ruamel document into plain dicts, lists and scalars."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, (int, bool)) else k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


# --- atomic files ------------------------------------------------------------------------------


def temp_files(path: Path) -> list[Path]:
    """Temporary files that `atomic_write` of `path` may have left behind when its process died."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    return [p for p in path.parent.glob(f".{glob_escape(path.name)}.*.tmp") if p.is_file() and not p.is_symlink()]


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def dump_doc(doc) -> str:
    """Serialise a round-trip document: the fast writer when it can, else ruamel (same text)."""
    from jiesu.store import fastyaml

    text = fastyaml.dump(doc)
    return text if text is not None else rt_dump(doc)


def create_file(path: Path, data: str | bytes) -> None:
    """Write a file that must not exist yet (no temporary file: there is nothing to replace)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def atomic_write(path: Path, data: str | bytes, sync: bool = True, mode: int | None = None) -> None:
    """Write via a temporary file in the same folder, fsync (unless told not to), then rename over `path`.

    The file keeps the mode of the one it replaces (a new one gets the umask's, as git gives it),
    not the owner-only mode of a temporary file: an office's operators share the store. Private
    data passes `mode=0o600`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    import tempfile  # here, not at the top: it pulls in shutil, bz2 and lzma, which a read never needs

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode if mode is not None else _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        faults.point("before-rename")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


_UMASK: list = []


def _mode_for(path: Path) -> int:
    """The mode a rewritten file should keep: its current one, else what the umask allows."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        if not _UMASK:
            current = os.umask(0o022)
            os.umask(current)
            _UMASK.append(current)
        return 0o666 & ~_UMASK[0]
