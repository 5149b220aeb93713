"""Reading export files as they really come: rows with their line numbers, text repaired.

CSV: a UTF-8 byte-order mark, CRLF line ends (Excel), cp1252 files and rows whose field count
does not match the header are all handled; a row that cannot be read is reported with its line.
JSON: an Open311 `requests.json` (a list, or an object holding one), even with the leading-zero
numbers the GeoReport v2 spec's own examples use; JSONL: one object a line. Text that was UTF-8
decoded as Latin-1 somewhere upstream (`Transportationâ€™s`) is put back (`Transportation’s`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from jiesu.errors import InvalidInput
from jiesu.i18n import _

# a UTF-8 lead byte, then a continuation byte, as Latin-1 or Windows-1252 shows them
_CONTINUATION = "".join(sorted(set(bytes(range(0x80, 0xC0)).decode("latin-1")) | set(bytes(range(0x80, 0xC0)).decode("cp1252", "ignore"))))
_MOJIBAKE = re.compile("[\u00c2-\u00f4][" + re.escape(_CONTINUATION) + "]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LEADING_ZERO = re.compile(r'(:\s*)(-?0\d+)(\s*[,}\]])')


@dataclass
class SourceRow:
    """One record of a source file: where it starts and its fields (column → value)."""

    line: int
    values: dict
    raw: object = None  # the parsed JSON object, for formats that need more than flat fields
    problem: str | None = None  # set when the record cannot be read at all


@dataclass
class Source:
    """An opened source file: its rows and what reading it noticed."""

    path: Path
    columns: list
    rows: list
    notes: list = field(default_factory=list)
    repaired: int = 0


def repair(text: str) -> tuple[str, bool]:
    """Text with mis-encoded characters put back, and whether anything changed."""
    if not _MOJIBAKE.search(text):
        return text, False
    for codec in ("latin-1", "cp1252"):
        try:
            fixed = text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        return fixed, fixed != text
    return text, False


def clean(text: str) -> str:
    """Control characters (other than tab and newline) become spaces; CRLF becomes LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(" ", text)


def _decode(path: Path, data: bytes, notes: list) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        notes.append(f"{path.name} is not UTF-8 (byte {exc.start}); read as Windows-1252")
        return data.decode("cp1252", errors="replace")


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise InvalidInput(_('FILE: no such file {path}').format(path=path))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(_('FILE: cannot read {path}: {strerror}').format(path=path, strerror=exc.strerror)) from None


def read_csv(path: Path, check) -> Source:
    """A CSV export: header row, then one record per row (quoted fields may span lines).

    `check(header)` is called before any row is read (it raises when the header will not do).
    """
    notes: list = []
    text = _decode(path, _read_bytes(path), notes)
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(_('{path}: the file is empty (no header row)').format(path=path)) from None
    except csv.Error as exc:
        raise InvalidInput(_('{path}:1: cannot read the header: {exc}').format(path=path, exc=exc)) from None
    header = [h.strip() for h in header]
    check(header)
    rows, repaired = [], 0
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rows.append(SourceRow(start, {}, problem=f"cannot be read as CSV: {exc}"))
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            rows.append(SourceRow(line, {}, problem=f"{len(cells)} fields where the header has {len(header)}"))
            continue
        values = {}
        for name, cell in zip(header, cells):
            cell, fixed = repair(cell)
            repaired += fixed
            values[name] = cell
        rows.append(SourceRow(line, values))
    return Source(path, header, rows, notes, repaired)


def _json_load(text: str, path: Path):
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidInput(_('{path}:1: not JSON jiesu can read: nested too deeply').format(path=path)) from None
    except ValueError as exc:
        if not isinstance(exc, json.JSONDecodeError):  # a number of thousands of digits
            raise InvalidInput(_('{path}:1: not JSON jiesu can read: a number too long to read').format(path=path)) from None
        # the GeoReport v2 spec writes service codes as 001: accept them as text
        patched = _LEADING_ZERO.sub(lambda m: f'{m.group(1)}"{m.group(2)}"{m.group(3)}', text)
        if patched != text:
            try:
                return json.loads(patched)
            except json.JSONDecodeError:
                pass
        raise InvalidInput(_('{path}:{lineno}: not JSON: {msg}').format(path=path, lineno=exc.lineno, msg=exc.msg)) from None


def flatten(obj: dict, prefix: str = "") -> dict:
    """Nested keys as dotted paths (`extended_attributes.ward`), values as text."""
    out = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, list):
            continue
        elif value is None:
            out[name] = ""
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out


def _object_lines(text: str, count: int) -> list[int]:
    """The line on which each top-level object of a JSON array starts (best effort)."""
    lines, depth, in_string, escape, line = [], 0, False, False, 1
    for ch in text:
        if ch == "\n":
            line += 1
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            if ch == "{" and depth == 1:
                lines.append(line)
            depth += 1
        elif ch in "]}":
            depth -= 1
    return lines if len(lines) == count else list(range(1, count + 1))


def _body(text: str) -> str:
    """The payload without an HTTP status line and headers (the spec's examples keep them)."""
    if text.lstrip().startswith("HTTP/"):
        return text[text.find("\n\n") + 2:] if "\n\n" in text else text
    return text


def read_open311(path: Path) -> Source:
    """GeoReport v2 requests, as JSON or as XML (told apart by the first character)."""
    notes: list = []
    text = _body(_decode(path, _read_bytes(path), notes))
    if text.lstrip().startswith("<"):
        return read_xml(path, text, notes)
    return read_json(path, text, notes)


def _xml_value(element) -> object:
    """An element as a value: its text, or a dict of its children (repeated children: a list)."""
    children = list(element)
    if not children:
        return (element.text or "").strip()
    out: dict = {}
    for child in children:
        tag = child.tag.rsplit("}", 1)[-1]
        value = _xml_value(child)
        if tag in out:
            out[tag] = (out[tag] if isinstance(out[tag], list) else [out[tag]]) + [value]
        else:
            out[tag] = value
    return out


def read_xml(path: Path, text: str, notes: list) -> Source:
    """A GeoReport v2 `requests.xml`: `<service_requests>` holding `<request>` elements."""
    import xml.etree.ElementTree as ET

    if re.search(r"<!(DOCTYPE|ENTITY)", text):
        raise InvalidInput(_('{path}: XML with a DOCTYPE or entities is not read (GeoReport v2 has none)').format(path=path))
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise InvalidInput(_('{path}:{position}: not XML: {reason}').format(path=path, position=exc.position[0], reason=str(exc).split(':')[0])) from None
    tag = root.tag.rsplit("}", 1)[-1]
    if tag == "error" or tag == "errors":
        raise InvalidInput(_('{path}:1: an Open311 error response, not requests').format(path=path))
    requests = [root] if tag == "request" else [child for child in root if child.tag.rsplit("}", 1)[-1] == "request"]
    starts = [m.start() for m in re.finditer(r"<request[\s>]", text)]
    lines = [text.count("\n", 0, at) + 1 for at in starts] if len(starts) == len(requests) else list(range(1, len(requests) + 1))
    items = [_xml_value(element) for element in requests]
    return _rows(path, lines, items, notes)


def read_json(path: Path, text: str, notes: list) -> Source:
    """An Open311 requests.json: a list of requests, or an object holding one (or a single request)."""
    data = _json_load(text, path)
    if isinstance(data, dict):
        for key in ("service_requests", "requests", "request"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            data = [data]
    if not isinstance(data, list):
        raise InvalidInput(_('{path}:1: expected a list of requests').format(path=path))
    lines = _object_lines(text, len(data)) if text.lstrip().startswith("[") else list(range(1, len(data) + 1))
    return _rows(path, lines, data, notes)


def _rows(path: Path, lines: list, data: list, notes: list) -> Source:
    rows, repaired = [], 0
    for line, item in zip(lines, data):
        if not isinstance(item, dict):
            rows.append(SourceRow(line, {}, problem="not a JSON object"))
            continue
        values = {}
        for key, value in flatten(item).items():
            value, fixed = repair(value)
            repaired += fixed
            values[key] = value
        rows.append(SourceRow(line, values, raw=item))
    return Source(path, sorted({k for r in rows for k in r.values}), rows, notes, repaired)


def read_jsonl(path: Path) -> Source:
    """One JSON object a line (blank lines are skipped)."""
    notes: list = []
    text = _decode(path, _read_bytes(path), notes)
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append(SourceRow(number, {}, problem=f"not JSON: {exc.msg}"))
            continue
        except (ValueError, RecursionError) as exc:  # thousands of digits, or nesting Python cannot follow
            reason = "a number too long to read" if isinstance(exc, ValueError) else "nested too deeply"
            rows.append(SourceRow(number, {}, problem=f"not JSON jiesu can read: {reason}"))
            continue
        if not isinstance(item, dict):
            rows.append(SourceRow(number, {}, problem="not a JSON object"))
            continue
        rows.append(SourceRow(number, {}, raw=item))
    return Source(path, [], rows, notes)
