"""Mapping files: how another system's export becomes jiesu cases.

A mapping is a small YAML file (the format is documented in the README, "Import mappings"):
which column holds the id, the times, the status, the agency, the request type and the place;
which time formats and zone the times use; which statuses mean closed; which resolution texts
mean "not resolved". jiesu ships mappings for NYC 311, Baltimore 311, Open311 GeoReport v2 and
its own CSV and JSONL (`mappings/*.yaml`); `--mapping PATH` reads an office's own file. Every
problem in a mapping is reported as `file:line: message`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from jiesu import timeutil
from jiesu.catalog import SLUG
from jiesu.errors import InvalidInput
from jiesu.store import yamlio

FORMATS = ("csv", "open311", "jiesu-csv", "jiesu-jsonl")
CITY_FORMATS = ("csv", "open311")
FIELDS = (
    "id", "created", "closed", "due", "updated", "status", "agency", "agency_name", "service", "detail",
    "resolution", "channel", "address", "area", "subarea", "lat", "long", "point", "notes",
)
REQUIRED = ("id", "created", "service")
STATES = ("received", "dispatched", "accepted", "closed")
KEYS = (
    "system", "name", "format", "timezone", "time_formats", "missing", "prefix", "columns", "title", "description",
    "type", "channels", "default_channel", "statuses", "unresolved", "resolved_default", "agencies", "areas",
    "categories", "time_limit", "area_name", "subarea_name", "ignore_points",
)


@dataclass
class StatusRule:
    """What a source status means: the state the case ends in, and for a close its result."""

    state: str
    resolved: bool | None = None
    summary: str | None = None


@dataclass
class Mapping:
    """A validated mapping file."""

    name: str
    path: str
    system: str
    title: str
    format: str
    tz: object
    time_formats: list = field(default_factory=list)
    missing: frozenset = frozenset({""})
    prefix: str = ""
    columns: dict = field(default_factory=dict)
    title_fields: list = field(default_factory=list)
    description: list = field(default_factory=list)  # (label, column)
    type: str = "complaint"
    channels: dict = field(default_factory=dict)
    default_channel: str = "import"
    statuses: dict = field(default_factory=dict)
    unresolved: list = field(default_factory=list)
    resolved_default: bool = True
    agencies: dict = field(default_factory=dict)
    areas: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    time_limit: str = "standard"
    area_name: str = "{value}"
    subarea_name: str = "{value}"
    ignore_points: list = field(default_factory=list)

    def column(self, name: str) -> str | None:
        return self.columns.get(name)

    def parse_time(self, text: str) -> datetime:
        """A source time: ISO 8601 (with or without offset) or one of the mapping's formats.

        A time without offset is wall-clock time in the mapping's zone (DST gaps move forward).
        Raises ValueError when no format fits.
        """
        raw = str(text).strip()
        value = None
        try:
            value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
        except ValueError:
            for fmt in self.time_formats:
                try:
                    value = datetime.strptime(raw, fmt)
                    break
                except ValueError:
                    continue
        if value is None:
            raise ValueError(f"{raw!r} is not a time")
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz).astimezone(UTC).astimezone(self.tz)
        return value.replace(microsecond=0)

    def status_rule(self, status: str | None) -> StatusRule | None:
        if status is None:
            return None
        return self.statuses.get(status.strip().lower())

    def is_resolved(self, text: str | None) -> bool:
        if text and any(p.search(text) for p in self.unresolved):
            return False
        return self.resolved_default


def mappings_dir() -> Path:
    return Path(str(resources.files("jiesu.interop") / "mappings"))


def builtin_names() -> list[str]:
    return sorted(p.stem for p in mappings_dir().glob("*.yaml"))


def load_mapping(name_or_path: str) -> Mapping:
    """A packaged mapping by name (`nyc311`) or a mapping file by path; validated."""
    text = str(name_or_path)
    packaged = mappings_dir() / f"{text}.yaml"
    if re.fullmatch(r"[a-z0-9-]+", text) and packaged.is_file():
        path, shown, name = packaged, f"mappings/{text}.yaml", text
    else:
        path, shown, name = Path(text), text, Path(text).stem
        if not path.is_file():
            raise InvalidInput(
                f"--mapping: no mapping {text!r}; built in: {', '.join(builtin_names())} (or give the path of a mapping file)"
            )
    try:
        doc = yamlio.load_file(path, shown, lines=True)
    except yamlio.YamlProblem as exc:
        raise InvalidInput(exc.message) from None
    return _validate(doc, shown, name)


class _Checker:
    def __init__(self, shown: str):
        self.shown = shown

    def fail(self, obj, key, message: str):
        line = 1
        if key is not None and hasattr(obj, "lines") and isinstance(obj.lines, dict):
            line = obj.lines.get(key, getattr(obj, "line", 1))
        elif hasattr(obj, "line"):
            line = obj.line
        raise InvalidInput(f"{self.shown}:{line or 1}: {message}")

    def text(self, doc, key, default=None, required=False) -> str | None:
        value = doc.get(key, default)
        if value is None:
            if required:
                self.fail(doc, None, f"`{key}` is required")
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.fail(doc, key, f"`{key}` must be text")
        return str(value)

    def table(self, doc, key) -> dict:
        value = doc.get(key) or {}
        if not isinstance(value, dict):
            self.fail(doc, key, f"`{key}` must be a mapping")
        return value

    def strings(self, doc, key) -> list:
        value = doc.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
            self.fail(doc, key, f"`{key}` must be a list of texts")
        return [str(v) for v in value]


def _validate(doc, shown: str, name: str) -> Mapping:
    check = _Checker(shown)
    if not isinstance(doc, dict):
        check.fail(doc, None, "a mapping file must be a YAML mapping (system:, format:, columns: …)")
    for key in doc:
        if key not in KEYS:
            check.fail(doc, key, f"unknown key {key!r}; allowed: {', '.join(KEYS)}")
    system = check.text(doc, "system", required=True)
    if not SLUG.match(system):
        check.fail(doc, "system", f"system {system!r} must be a code of lowercase letters, digits and -")
    fmt = check.text(doc, "format", "csv")
    if fmt not in FORMATS:
        check.fail(doc, "format", f"format {fmt!r}; allowed: {', '.join(FORMATS)}")
    try:
        tz = timeutil.zone(check.text(doc, "timezone", "UTC"))
    except InvalidInput as exc:
        check.fail(doc, "timezone", exc.message)
    prefix = check.text(doc, "prefix", system)
    if not SLUG.match(prefix):
        check.fail(doc, "prefix", f"prefix {prefix!r} must be a code of lowercase letters, digits and -")
    columns = check.table(doc, "columns")
    for key, value in columns.items():
        if key not in FIELDS:
            check.fail(columns, key, f"columns: unknown field {key!r}; allowed: {', '.join(FIELDS)}")
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            check.fail(columns, key, f"columns.{key}: the name of a source column")
    if fmt in CITY_FORMATS:
        for key in REQUIRED:
            if key not in columns:
                check.fail(columns or doc, None if columns else "columns", f"columns.{key} is required")
    title_fields = check.strings(doc, "title") or ["service", "detail"]
    for item in title_fields:
        if item not in FIELDS:
            check.fail(doc, "title", f"title: {item!r} is not a field of columns; allowed: {', '.join(FIELDS)}")
    description = check.table(doc, "description")
    mapping = Mapping(
        name=name, path=shown, system=system, title=check.text(doc, "name", system), format=fmt, tz=tz,
        time_formats=check.strings(doc, "time_formats"), missing=frozenset(check.strings(doc, "missing") or [""]) | {""},
        prefix=prefix, columns={k: str(v) for k, v in columns.items()}, title_fields=title_fields,
        description=[(str(k), str(v)) for k, v in description.items()], type=check.text(doc, "type", "complaint"),
        channels={str(k): str(v) for k, v in check.table(doc, "channels").items()},
        default_channel=check.text(doc, "default_channel", "import"),
        agencies={str(k): str(v) for k, v in check.table(doc, "agencies").items()},
        areas={str(k): str(v) for k, v in check.table(doc, "areas").items()},
        time_limit=check.text(doc, "time_limit", "standard"),
        area_name=check.text(doc, "area_name", "{value}"), subarea_name=check.text(doc, "subarea_name", "{value}"),
    )
    statuses = check.table(doc, "statuses")
    for key, value in statuses.items():
        mapping.statuses[str(key).strip().lower()] = _status_rule(check, statuses, key, value)
    for i, pattern in enumerate(check.strings(doc, "unresolved")):
        try:
            mapping.unresolved.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            check.fail(doc, "unresolved", f"unresolved[{i}]: {pattern!r} is not a regular expression ({exc})")
    resolved_default = doc.get("resolved_default", True)
    if not isinstance(resolved_default, bool):
        check.fail(doc, "resolved_default", "resolved_default must be true or false")
    mapping.resolved_default = resolved_default
    categories = check.table(doc, "categories")
    for key, value in categories.items():
        if isinstance(value, str):
            mapping.categories[str(key)] = {"code": value}
        elif isinstance(value, dict) and set(value) <= {"code", "time_limit"} and value:
            mapping.categories[str(key)] = {k: str(v) for k, v in value.items()}
        else:
            check.fail(categories, key, f"categories.{key}: a catalog leaf code, or {{time_limit: CLASS}}")
    points = doc.get("ignore_points") or []
    if not isinstance(points, list) or not all(isinstance(p, list) and len(p) == 2 for p in points):
        check.fail(doc, "ignore_points", "ignore_points: a list of [lat, long] pairs (placeholder coordinates)")
    mapping.ignore_points = [(float(a), float(b)) for a, b in points]
    return mapping


def _status_rule(check: _Checker, table, key, value) -> StatusRule:
    if isinstance(value, str):
        value = {"state": value}
    if not isinstance(value, dict):
        check.fail(table, key, f"statuses.{key}: a state ({', '.join(STATES)}) or {{state, resolved, summary}}")
    unknown = set(value) - {"state", "resolved", "summary"}
    if unknown:
        check.fail(table, key, f"statuses.{key}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; allowed: state, resolved, summary")
    state = value.get("state")
    if state not in STATES:
        check.fail(table, key, f"statuses.{key}: state {state!r}; allowed: {', '.join(STATES)}")
    resolved = value.get("resolved")
    if resolved is not None and not isinstance(resolved, bool):
        check.fail(table, key, f"statuses.{key}: resolved must be true or false")
    summary = value.get("summary")
    return StatusRule(state, resolved, str(summary) if summary is not None else None)
