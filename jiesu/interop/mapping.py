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
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

from jiesu import timeutil
from jiesu.catalog import NO_LIMIT, SLUG
from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.store import yamlio

FORMATS = ("csv", "open311", "jiesu-csv", "jiesu-jsonl")  # open311: GeoReport v2 JSON or XML
CITY_FORMATS = ("csv", "open311")
HEADED_FORMATS = ("csv", "jiesu-csv")  # formats with a header row: every named column is checked against it
DUE_MODES = ("source", "class", "source-or-class", "none")
FIELDS = (
    "id", "created", "closed", "due", "updated", "status", "agency", "agency_name", "service", "detail",
    "resolution", "channel", "address", "area", "subarea", "lat", "long", "point", "notes",
    "text", "service_code", "zipcode", "media_url",
)
REQUIRED = ("id", "created", "service")
STATES = ("received", "dispatched", "accepted", "closed")
KEYS = (
    "system", "name", "format", "timezone", "time_formats", "missing", "prefix", "columns", "title", "description",
    "type", "channels", "default_channel", "statuses", "unresolved", "resolved_default", "agencies", "areas",
    "categories", "time_limit", "area_name", "subarea_name", "ignore_points", "due", "assume_offset",
)
# limit_from of imported cases: where their due time came from
FROM_SOURCE, SOURCE_NONE, RULES = "source", "source:none", "rules:"


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
    due: str = "source"  # source | class | source-or-class | none
    due_class: str | None = None
    assume_offset: object = None  # None, "local" or a fixed tzinfo
    zone_given: bool = True
    lines: dict = field(default_factory=dict)  # "columns.closed", "time_limit", … → line in the file

    def column(self, name: str) -> str | None:
        return self.columns.get(name)

    def at(self, key: str) -> str:
        """`file:line` of a key of the mapping (its first line when unknown)."""
        return f"{self.path}:{self.lines.get(key, 1)}"

    def named_columns(self) -> list:
        """(source column, mapping key) of every column the mapping names, optional or not."""
        named = [(column, f"columns.{key}") for key, column in self.columns.items()]
        named += [(column, f"description.{label}") for label, column in self.description]
        return named

    def check_header(self, header: list, file) -> None:
        """Refuse, naming the mapping's line, a column the file's header lacks."""
        if self.format not in HEADED_FORMATS:
            return
        present = set(header)
        for column, key in self.named_columns():
            if column not in present:
                shown = ", ".join(header[:12]) + (" …" if len(header) > 12 else "")
                raise InvalidInput(_('{at}: {key}: column {column!r} is not in the header of {file} ({shown})').format(at=self.at(key), key=key, column=column, file=file, shown=shown))

    def check_catalog(self, catalog) -> None:
        """Refuse, naming the mapping's line, a time-limit class this store's catalog lacks."""
        allowed = ", ".join(catalog.classes)
        wanted = [(self.time_limit, "time_limit")]
        wanted += [(rule["time_limit"], f"categories.{key}") for key, rule in self.categories.items() if rule.get("time_limit")]
        if self.due_class:
            wanted.append((self.due_class, "due"))
        if self.due != "class" and self.format in CITY_FORMATS:
            wanted.append((NO_LIMIT, "due"))  # rows the source gives no due time get the class without a limit
        for code, key in wanted:
            if code not in catalog.classes:
                hint = _('; add the class `none` (limit: none) to catalog/time-limits.yaml') if code == NO_LIMIT else ""
                raise InvalidInput(_("{at}: {key}: time limit {code!r} is not a class of this store's catalog; allowed: {allowed}{hint}").format(at=self.at(key), key=key, code=code, allowed=allowed, hint=hint))

    def limit(self, due: datetime | None) -> dict:
        """The intake fields that say a row's time limit: its due time and where it came from."""
        if due is not None and self.due in ("source", "source-or-class"):
            return {"due": timeutil.fmt(due), "limit_from": FROM_SOURCE}
        if self.due in ("class", "source-or-class"):
            return {"time_limit": self.due_class, "limit_from": RULES + self.due_class}
        return {"time_limit": NO_LIMIT, "limit_from": SOURCE_NONE}

    def parse_time(self, text: str) -> datetime:
        """A source time: ISO 8601 (with or without offset) or one of the mapping's formats.

        A time without offset is wall-clock time in the mapping's zone (DST gaps move forward).
        `assume_offset: local` reads every time as wall-clock time in the zone, whatever offset the
        source wrote; a fixed offset replaces the source's. Raises ValueError when no format fits.
        """
        raw = str(text).strip()
        value = None
        for fmt in self.time_formats:  # the mapping's formats first: they know the source
            try:
                value = datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
        if value is None:
            try:
                value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
            except ValueError:
                raise ValueError(f"{raw!r} is not a time") from None
        if self.assume_offset == "local":
            value = value.replace(tzinfo=None)
        elif self.assume_offset is not None:
            value = value.replace(tzinfo=self.assume_offset)
        if value.tzinfo is None:
            if not self.zone_given:
                raise NoZone(_('{at}: the time {raw!r} has no offset and the mapping names no time zone; give --timezone ZONE (e.g. America/Chicago) or `timezone:` in the mapping').format(at=self.at('timezone'), raw=raw))
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


class NoZone(InvalidInput):
    """A time without offset, read through a mapping that names no time zone."""


def mappings_dir() -> Path:
    return Path(str(resources.files("jiesu.interop") / "mappings"))


def builtin_names() -> list[str]:
    return sorted(p.stem for p in mappings_dir().glob("*.yaml"))


def load_mapping(name_or_path: str, timezone: str | None = None) -> Mapping:
    """A packaged mapping by name (`nyc311`) or a mapping file by path; validated.

    `timezone` (the `--timezone` option) sets the zone of times written without an offset.
    """
    text = str(name_or_path)
    packaged = mappings_dir() / f"{text}.yaml"
    if re.fullmatch(r"[a-z0-9-]+", text) and packaged.is_file():
        path, shown, name = packaged, f"mappings/{text}.yaml", text
    else:
        path, shown, name = Path(text), text, Path(text).stem
        if not path.is_file():
            raise InvalidInput(
                _('--mapping: no mapping {text!r}; built in: {items} (or give the path of a mapping file)').format(text=text, items=', '.join(builtin_names()))
            )
    try:
        doc = yamlio.load_file(path, shown, lines=True)
    except yamlio.YamlProblem as exc:
        raise InvalidInput(exc.message) from None
    mapping = _validate(doc, shown, name)
    if timezone:
        mapping.tz, mapping.zone_given = timezone_option(timezone), True
    return mapping


def timezone_option(text: str):
    try:
        return timeutil.zone(text)
    except InvalidInput as exc:
        raise InvalidInput(_('--timezone: {message}').format(message=exc.message)) from None


def _lines(doc, prefix: str = "") -> dict:
    """Line of every key of a mapping file, as "columns.closed" → 12."""
    out = {}
    for key, line in (getattr(doc, "lines", None) or {}).items():
        out[f"{prefix}{key}"] = line
        value = doc.get(key)
        if isinstance(value, dict) and not prefix:
            out.update(_lines(value, f"{key}."))
    return out


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
                self.fail(doc, None, _('`{key}` is required').format(key=key))
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.fail(doc, key, _('`{key}` must be text').format(key=key))
        return str(value)

    def table(self, doc, key) -> dict:
        value = doc.get(key) or {}
        if not isinstance(value, dict):
            self.fail(doc, key, _('`{key}` must be a mapping').format(key=key))
        return value

    def strings(self, doc, key) -> list:
        value = doc.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
            self.fail(doc, key, _('`{key}` must be a list of texts').format(key=key))
        return [str(v) for v in value]


def _validate(doc, shown: str, name: str) -> Mapping:
    check = _Checker(shown)
    if not isinstance(doc, dict):
        check.fail(doc, None, _('a mapping file must be a YAML mapping (system:, format:, columns: …)'))
    for key in doc:
        if key not in KEYS:
            check.fail(doc, key, _('unknown key {key!r}; allowed: {items}').format(key=key, items=', '.join(KEYS)))
    system = check.text(doc, "system", required=True)
    if not SLUG.match(system):
        check.fail(doc, "system", _('system {system!r} must be a code of lowercase letters, digits and -').format(system=system))
    fmt = check.text(doc, "format", "csv")
    if fmt not in FORMATS:
        check.fail(doc, "format", _('format {fmt!r}; allowed: {items}').format(fmt=fmt, items=', '.join(FORMATS)))
    zone_text = check.text(doc, "timezone")
    try:
        tz = timeutil.zone(zone_text or "UTC")
    except InvalidInput as exc:
        check.fail(doc, "timezone", exc.message)
    prefix = check.text(doc, "prefix", system)
    if not SLUG.match(prefix):
        check.fail(doc, "prefix", _('prefix {prefix!r} must be a code of lowercase letters, digits and -').format(prefix=prefix))
    columns = check.table(doc, "columns")
    for key, value in columns.items():
        if key not in FIELDS:
            check.fail(columns, key, _('columns: unknown field {key!r}; allowed: {items}').format(key=key, items=', '.join(FIELDS)))
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            check.fail(columns, key, _('columns.{key}: the name of a source column').format(key=key))
    if fmt in CITY_FORMATS:
        for key in REQUIRED:
            if key not in columns:
                check.fail(columns or doc, None if columns else "columns", _('columns.{key} is required').format(key=key))
    title_fields = check.strings(doc, "title") or ["service", "detail"]
    for item in title_fields:
        if item not in FIELDS:
            check.fail(doc, "title", _('title: {item!r} is not a field of columns; allowed: {items}').format(item=item, items=', '.join(FIELDS)))
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
            check.fail(doc, "unresolved", _('unresolved[{i}]: {pattern!r} is not a regular expression ({exc})').format(i=i, pattern=pattern, exc=exc))
    resolved_default = doc.get("resolved_default", True)
    if not isinstance(resolved_default, bool):
        check.fail(doc, "resolved_default", _('resolved_default must be true or false'))
    mapping.resolved_default = resolved_default
    categories = check.table(doc, "categories")
    for key, value in categories.items():
        if isinstance(value, str):
            mapping.categories[str(key)] = {"code": value}
        elif isinstance(value, dict) and set(value) <= {"code", "time_limit"} and value:
            mapping.categories[str(key)] = {k: str(v) for k, v in value.items()}
        else:
            check.fail(categories, key, _('categories.{key}: a catalog leaf code, or {{time_limit: CLASS}}').format(key=key))
    points = doc.get("ignore_points") or []
    try:
        if not isinstance(points, list) or not all(isinstance(p, list) and len(p) == 2 for p in points):
            raise ValueError
        mapping.ignore_points = [(float(a), float(b)) for a, b in points]
    except (TypeError, ValueError):
        check.fail(doc, "ignore_points", _('ignore_points: a list of [lat, long] pairs of numbers (placeholder coordinates)'))
    mapping.zone_given = zone_text is not None
    mapping.lines = _lines(doc)
    _due(check, doc, mapping)
    _offset(check, doc, mapping)
    return mapping


def _due(check: _Checker, doc, mapping: Mapping) -> None:
    """`due: source | class NAME | source-or-class NAME | none` (default: source with a due column, else none)."""
    text = check.text(doc, "due")
    if text is None:
        mapping.due = "source" if "due" in mapping.columns else "none"
        return
    words = text.split()
    mode = words[0] if words else ""
    if mode not in DUE_MODES or len(words) != (2 if mode in ("class", "source-or-class") else 1):
        check.fail(doc, "due", _('due: {text!r}; allowed: source, class NAME, source-or-class NAME, none').format(text=text))
    if mode in ("source", "source-or-class") and "due" not in mapping.columns and mapping.format in CITY_FORMATS:
        check.fail(doc, "due", _("due: {mode} needs columns.due (the source's due-time column); without one: due: none or due: class NAME").format(mode=mode))
    mapping.due, mapping.due_class = mode, (words[1] if len(words) == 2 else None)


def _offset(check: _Checker, doc, mapping: Mapping) -> None:
    """`assume_offset: local` or a fixed offset such as `+08:00`."""
    text = check.text(doc, "assume_offset")
    if text is None:
        return
    if text == "local":
        if not mapping.zone_given:
            check.fail(doc, "assume_offset", _('assume_offset: local reads wall-clock times in `timezone`, which the mapping must name'))
        mapping.assume_offset = "local"
        return
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text.strip())
    if not match or int(match[2]) > 14 or int(match[3]) > 59:
        check.fail(doc, "assume_offset", _('assume_offset: {text!r}; allowed: local, or an offset such as +08:00 or -05:00').format(text=text))
    sign = 1 if match[1] == "+" else -1
    mapping.assume_offset = timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3])))


def _status_rule(check: _Checker, table, key, value) -> StatusRule:
    if isinstance(value, str):
        value = {"state": value}
    if not isinstance(value, dict):
        check.fail(table, key, _('statuses.{key}: a state ({items}) or {{state, resolved, summary}}').format(key=key, items=', '.join(STATES)))
    unknown = set(value) - {"state", "resolved", "summary"}
    if unknown:
        check.fail(table, key, _('statuses.{key}: unknown key(s) {items}; allowed: state, resolved, summary').format(key=key, items=', '.join(sorted(map(str, unknown)))))
    state = value.get("state")
    if state not in STATES:
        check.fail(table, key, _('statuses.{key}: state {state!r}; allowed: {items}').format(key=key, state=state, items=', '.join(STATES)))
    resolved = value.get("resolved")
    if resolved is not None and not isinstance(resolved, bool):
        check.fail(table, key, _('statuses.{key}: resolved must be true or false').format(key=key))
    summary = value.get("summary")
    return StatusRule(state, resolved, str(summary) if summary is not None else None)
