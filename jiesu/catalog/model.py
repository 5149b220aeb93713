"""The office's catalog: types, channels, time limits, calendar, categories, units, tags, assessment.

`load_catalog(dir)` reads `catalog/*.yaml`, validates every cross-reference and returns a
`Catalog`; any problem (a missing parent, a duplicate code, a leaf without a time limit, a dispatch
rule naming a missing unit, a tag naming a missing scheme…) becomes one `file:line: message`, and
all of them are raised together as a `CatalogError`, so a broken catalog never lets a write through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path

from jiesu.errors import CatalogError, InvalidInput
from jiesu.metrics import INDICATORS
from jiesu.store import yamlio
from jiesu.timeutil import parse_duration

FILES = ("types", "time-limits", "calendar", "categories", "units", "tags", "assessment")
# optional: units and categories that `jiesu import` added for agencies, areas and request types
# that the office's own catalog lacked; merged into units and categories, validated alike
IMPORT_FILE = "import"
IMPORT_KEYS = ("units", "categories")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
UNIT_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)?$")
CATEGORY_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*){0,2}$")
UNIT_KINDS = ("centre", "district", "street", "town", "township", "department")
LOCAL_KINDS = ("street", "town", "township")
# the levels at which units are assessed and ranked (assessment.yaml `level`, `jiesu assess --level`)
UNIT_LEVELS = ("street", "district", "department")
# the satisfaction codes of the packaged catalog, best first (the demo and the generator draw from them)
SATISFACTION_LEVELS = ("very-satisfied", "satisfied", "basically-satisfied", "dissatisfied", "very-dissatisfied")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITIES = ("high", "normal")
BAND_RULES = ("top", "bottom", "improved_by", "score_below", "score_at_least")
RESPONSE_FLAGS = ("accept", "contact", "complete")
EVIDENCE = ("funnel", "none")


@dataclass
class Item:
    """A coded entry with names: a type, channel, complainant kind or satisfaction level."""

    code: str
    name: dict
    description: str = ""
    score: float | None = None
    review: bool = False


@dataclass
class Unit:
    """A handling unit: the centre, a district, a street/town, or a department."""

    id: str
    kind: str
    parent: str | None
    name: dict
    population: int | None = None
    communities: dict = field(default_factory=dict)
    code: str | None = None  # the official division code, where the catalog gives one

    @property
    def is_local(self) -> bool:
        return self.kind in LOCAL_KINDS


@dataclass
class Category:
    """A node of the three-level category tree; leaves carry time limit and dispatch rule."""

    code: str
    level: int
    parent: str | None
    name: dict
    time_limit: str | None = None
    dispatch: dict | None = None
    keywords: list = field(default_factory=list)
    regulations: str = ""
    is_leaf: bool = True


@dataclass
class TimeClass:
    """A time-limit class: how long a case may take, and its clocks' limits."""

    code: str
    name: dict
    limit: timedelta | None  # None: `limit: none`, no due time at all
    accept_within: timedelta | None
    contact_within: timedelta | None
    extendable_to: timedelta | None = None
    days: str = "calendar"
    used_for: str = ""
    review: bool | tuple = False  # the centre reviews closes: True, or the types it reviews
    review_within: timedelta = timedelta(hours=24)
    respond_within: timedelta = timedelta(minutes=30)  # a unit called by `escalate` reports for duty


@dataclass
class Tag:
    """A policy tag and its effects on the time limit, priority and assessment scheme."""

    code: str
    name: dict
    description: str = ""
    scheme: str | None = None
    time_limit: str | None = None
    priority: str | None = None


@dataclass(frozen=True)
class Calendar:
    """Work week, working hours, public holidays and make-up working days (hashable, so that
    working periods can be cached per day)."""

    work_week: frozenset = frozenset(range(5))
    working_hours: tuple[time, time] | None = None
    holidays: frozenset = frozenset()
    workdays: frozenset = frozenset()

    def is_working_day(self, day: date) -> bool:
        """A make-up day works; a holiday rests; otherwise the work week decides."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() in self.work_week


@dataclass
class Scheme:
    """Indicator weights of one assessment scheme."""

    code: str
    name: dict
    weights: dict
    categories: list = field(default_factory=list)


@dataclass
class Assessment:
    """Satisfaction scores, schemes, ranking and band rules."""

    satisfaction: dict
    schemes: dict
    default_scheme: str
    min_cases: int = 5
    level: str = "street"
    top: int = 10
    bands: list = field(default_factory=list)
    # weights of the three timeliness flags in a case's response value, normalised to sum to 1
    response: dict = field(default_factory=lambda: {k: 1 / 3 for k in RESPONSE_FLAGS})
    evidence: str = "funnel"
    bootstrap: dict = field(default_factory=lambda: {"resamples": 1000, "seed": 12345})


@dataclass
class Catalog:
    """Everything an office configures, validated and cross-linked."""

    types: dict
    channels: dict
    kinds: dict
    classes: dict
    default_class: str
    calendar: Calendar
    categories: dict
    units: dict
    tags: dict
    assessment: Assessment
    _local_names: dict | None = field(default=None, repr=False, compare=False)

    def __getstate__(self):
        """Pickled (for worker processes) without the search index, which is rebuilt on use."""
        state = dict(self.__dict__)
        state.pop("_category_index", None)
        return state

    # --- lookups ---------------------------------------------------------------------------
    def unit(self, unit_id: str, field_name: str = "unit") -> Unit:
        """The unit called `unit_id` (its id, or its English or Chinese name when that names one
        unit), or an InvalidInput naming close matches or the candidates."""
        found = self.units.get(unit_id)
        if found is None:
            from jiesu.resolve import candidates, label

            named = candidates(str(unit_id), self.units)
            if len(named) == 1:
                return self.units[named[0]]
            if named:
                listing = ", ".join(label(u, self.units) for u in named[:8])
                raise InvalidInput(f"{field_name}: {unit_id!r} is ambiguous; it names {listing}; give the id")
            raise InvalidInput(f"{field_name}: unknown unit {unit_id!r}; {self.suggest(unit_id, self.units)}")
        return found

    def suggest(self, text: str, table: dict, what: str = "see `jiesu catalog units`") -> str:
        text = str(text)
        close = [k for k in table if text and (text in k or k.split("/")[-1] == text.split("/")[-1])][:5]
        return f"did you mean {', '.join(close)}?" if close else what

    def ancestors(self, unit_id: str) -> list[str]:
        """`unit_id` and every unit above it, nearest first."""
        chain, current = [], unit_id
        while current and current not in chain:
            chain.append(current)
            current = self.units[current].parent if current in self.units else None
        return chain

    def units_under(self, unit_id: str) -> set[str]:
        """`unit_id` and every unit below it."""
        return {u for u in self.units if unit_id in self.ancestors(u)}

    def district_of(self, unit_id: str) -> str | None:
        for u in self.ancestors(unit_id):
            if u in self.units and self.units[u].kind == "district":
                return u
        return None

    def leaf(self, code: str) -> Category:
        """The leaf category `code`, or an InvalidInput that helps find the right one."""
        found = self.categories.get(code)
        if found is None:
            hits = self.search_categories(code.replace(".", " ").replace("-", " "))[:3]
            hint = f"did you mean {', '.join(c.code for c in hits)}?" if hits else "see `jiesu catalog categories --search WORD`"
            raise InvalidInput(f"--category: unknown category {code!r}; {hint}")
        if not found.is_leaf:
            children = [c.code for c in self.categories.values() if c.parent == code][:6]
            raise InvalidInput(f"--category: {code!r} is not a leaf category; choose one of {', '.join(children)}")
        return found

    def search_categories(self, text: str, limit: int | None = None) -> list[Category]:
        """Leaf categories matching `text`, best first (see `category_hits`)."""
        return self.category_hits(text, limit).keys

    def category_hits(self, text: str, limit: int | None = None):
        """Leaf categories ranked by BM25 over their names (weighted highest), keywords, code and
        parents' names; a `search.Hits` of Category objects whose `total` says how many matched."""
        index = self.__dict__.get("_category_index")
        if index is None:
            from jiesu.search import TextIndex

            index = TextIndex({"name": 10.0, "keywords": 6.0, "code": 3.0, "parents": 1.5})
            for cat in self.categories.values():
                if not cat.is_leaf:
                    continue
                parents = [self.categories[p] for p in _prefixes(cat.code)[:-1] if p in self.categories]
                index.add(cat.code, name=" ".join(cat.name.values()), keywords=" ".join(map(str, cat.keywords)),
                          code=cat.code.replace(".", " ").replace("-", " "),
                          parents=" ".join(v for p in parents for v in p.name.values()))
            self.__dict__["_category_index"] = index
        hits = index.search(text, limit)
        hits.keys = [self.categories[k] for k in hits.keys]
        return hits

    def class_for(self, *, explicit: str | None, tags: list, case_type: str, category: str | None) -> tuple[str, str]:
        """The time-limit class and why it applies (DESIGN §2 order)."""
        if explicit:
            if explicit not in self.classes:
                raise InvalidInput(f"--time-limit: unknown class {explicit!r}; allowed: {', '.join(self.classes)}")
            return explicit, "explicit"
        for tag in tags:
            if tag in self.tags and self.tags[tag].time_limit:
                return self.tags[tag].time_limit, f"tag:{tag}"
        if case_type == "emergency":
            return "urgent", "type:emergency"
        if category and category in self.categories and self.categories[category].time_limit:
            return self.categories[category].time_limit, f"category:{category}"
        return self.default_class, "default"

    def scheme_for(self, tags: list, category: str | None = None) -> str:
        """The assessment scheme of a case: its first tag naming one, else the scheme whose
        category prefix matches its category longest, else the default."""
        for tag in tags or ():
            if tag in self.tags and self.tags[tag].scheme:
                return self.tags[tag].scheme
        best, length = self.assessment.default_scheme, -1
        for scheme in self.assessment.schemes.values():
            for prefix in scheme.categories:
                if category and (category == prefix or category.startswith(prefix + ".")) and len(prefix) > length:
                    best, length = scheme.code, len(prefix)
        return best

    def needs_review(self, case_type: str | None, time_limit: str | None) -> bool:
        """Whether the centre reviews a close of this type and class before the case counts as done."""
        item, tclass = self.types.get(case_type), self.classes.get(time_limit)
        if item is not None and item.review:
            return True
        review = tclass.review if tclass else False
        return review is True or (isinstance(review, tuple) and case_type in review)

    def dispatch(self, category: str, location: dict) -> tuple[str, list[str]]:
        """The lead unit and co-units the category's rule names for this location."""
        cat = self.leaf(category)
        rule = cat.dispatch or {}

        def resolve(target: str) -> str:
            if target not in ("street", "district"):
                return target
            if not location.get(target):
                where = "street/town" if target == "street" else "district"
                raise InvalidInput(
                    f"category {category} is dispatched to the {where} of the location, but the case has no {target}",
                    hint=f"give the unit explicitly: jiesu assign ID UNIT, or correct the location: jiesu amend ID --{target} UNIT --reason TEXT",
                )
            return location[target]

        lead = resolve(rule.get("lead", "street"))
        co = []
        for target in rule.get("co") or ():
            unit = resolve(target)
            if unit != lead and unit not in co:
                co.append(unit)
        return lead, co

    def name(self, table: str, code: str | None, lang: str = "en") -> str:
        """A display name from one of the tables, falling back to the code."""
        if code is None:
            return "—"
        entry = getattr(self, table).get(code)
        if entry is None:
            return code
        return entry.name.get(lang) or entry.name.get("en") or code

    def unit_label(self, unit_id: str, lang: str = "en") -> str:
        """A unit's name, followed by its district's when another street or town has the same name
        (a city has two 八里庄街道), so that rankings of hundreds of units stay unambiguous."""
        name = self.name("units", unit_id, lang)
        unit = self.units.get(unit_id)
        if unit is None or not unit.is_local:
            return name
        if self._local_names is None:
            counts: dict = {}
            for u in self.units.values():
                if u.is_local:
                    for value in u.name.values():
                        counts[value] = counts.get(value, 0) + 1
            self._local_names = counts
        if self._local_names.get(name, 0) < 2:
            return name
        return f"{name} ({self.name('units', unit.parent, lang)})"


def _prefixes(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


# --- loading and validation ----------------------------------------------------------------------


class _Problems:
    def __init__(self):
        self.items: list[str] = []

    def add(self, file: str, line: int, message: str) -> None:
        self.items.append(f"catalog/{file}.yaml:{line}: {message}")


def _line(obj, key=None) -> int:
    if key is not None and hasattr(obj, "lines") and isinstance(obj.lines, dict) and key in obj.lines:
        return obj.lines[key]
    return getattr(obj, "line", 1) or 1


def _names(entry, file, problems) -> dict:
    name = entry.get("name")
    if isinstance(name, str):
        return {"en": name, "zh": name}
    if not isinstance(name, dict) or not name.get("en"):
        problems.add(file, _line(entry), f"{entry.get('code') or entry.get('id')}: name needs at least `en` (and `zh`)")
        return {"en": str(entry.get("code") or entry.get("id")), "zh": ""}
    return {"en": str(name.get("en")), "zh": str(name.get("zh") or name.get("en"))}


def _list(doc, key, file, problems) -> list:
    if not isinstance(doc, dict):
        problems.add(file, 1, f"expected a mapping with `{key}:` at the top")
        return []
    value = doc.get(key)
    if not isinstance(value, list):
        problems.add(file, _line(doc, key), f"`{key}` must be a list")
        return []
    good = []
    for i, entry in enumerate(value):
        if isinstance(entry, dict):
            good.append(entry)
        else:
            problems.add(file, value.lines[i] if hasattr(value, "lines") else 1, f"{key}[{i}] must be a mapping")
    return good


def _coded(entries, file, problems, key="code", pattern=SLUG) -> list:
    seen, result = {}, []
    for entry in entries:
        code = entry.get(key)
        if not isinstance(code, str) or not pattern.match(code):
            problems.add(file, _line(entry), f"{key} {code!r} is not a valid code (lowercase letters, digits, -)")
            continue
        if code in seen:
            problems.add(file, _line(entry), f"duplicate {key} {code!r} (first on line {seen[code]})")
            continue
        seen[code] = _line(entry)
        result.append(entry)
    return result


NO_LIMIT = "none"  # a class whose cases have no due time (an import whose source set none)


def _review(entry, file, problems, types):
    """`review: true|false`, or (time-limit classes) a list of the types whose closes are reviewed."""
    value = entry.get("review", False)
    if isinstance(value, bool):
        return value
    if types is not None and isinstance(value, list) and all(v in types for v in value):
        return tuple(value)
    allowed = "true, false or a list of types" if types is not None else "true or false"
    problems.add(file, _line(entry, "review"), f"{entry.get('code')}: review must be {allowed}, not {value!r}")
    return False


def _duration(entry, key, file, problems, required=True):
    value = entry.get(key)
    if isinstance(value, str) and value.strip().lower() == NO_LIMIT and key != "extendable_to":
        return NO_LIMIT
    if value is None:
        if required:
            problems.add(file, _line(entry), f"{entry.get('code')}: `{key}` is required (e.g. 2h, 7d)")
        return None
    try:
        return parse_duration(str(value), key)
    except InvalidInput as exc:
        problems.add(file, _line(entry, key), exc.message)
        return None


def _parse_days(values, file, key, problems, doc) -> frozenset:
    days = set()
    for i, value in enumerate(values or []):
        line = values.lines[i] if hasattr(values, "lines") else _line(doc, key)
        text = str(value)
        try:
            if ".." in text:
                start_s, end_s = text.split("..", 1)
                start, end = date.fromisoformat(start_s.strip()), date.fromisoformat(end_s.strip())
                if end < start:
                    problems.add(file, line, f"{key}: range {text} ends before it starts")
                    continue
                while start <= end:
                    days.add(start)
                    start += timedelta(days=1)
            else:
                days.add(date.fromisoformat(text.strip()))
        except ValueError:
            problems.add(file, line, f"{key}: {text!r} is not a date or range (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)")
    return frozenset(days)


def _calendar(doc, problems) -> Calendar:
    file = "calendar"
    if not isinstance(doc, dict):
        problems.add(file, 1, "expected a mapping (work_week, working_hours, holidays, workdays)")
        return Calendar()
    week = doc.get("work_week", list(WEEKDAYS[:5]))
    work_week = set()
    for day in week or []:
        if str(day).lower()[:3] not in WEEKDAYS:
            problems.add(file, _line(doc, "work_week"), f"work_week: {day!r} is not a weekday; use {', '.join(WEEKDAYS)}")
        else:
            work_week.add(WEEKDAYS.index(str(day).lower()[:3]))
    hours = None
    raw = doc.get("working_hours")
    if raw:
        try:
            if isinstance(raw, dict):
                start, end = str(raw["start"]), str(raw["end"])
            else:
                start, end = (s.strip() for s in str(raw).replace("–", "-").split("-", 1))
            hours = (time.fromisoformat(start), time.fromisoformat(end))
            if hours[0] == hours[1]:
                problems.add(file, _line(doc, "working_hours"), "working_hours: start and end are the same")
        except (KeyError, ValueError):
            problems.add(file, _line(doc, "working_hours"), f"working_hours: {raw!r}; use {{start: '09:00', end: '17:00'}}")
    holidays = _parse_days(doc.get("holidays"), file, "holidays", problems, doc)
    workdays = _parse_days(doc.get("workdays"), file, "workdays", problems, doc)
    both = holidays & workdays
    if both:
        problems.add(file, _line(doc, "workdays"), f"{min(both)} is both a holiday and a make-up working day")
    return Calendar(frozenset(work_week), hours, holidays, workdays)


def _file(entry, default: str) -> str:
    """The catalog file an entry came from (the import section, or `default`)."""
    return getattr(entry, "file", default)


def _load_import(directory: Path, problems: _Problems):
    """The optional import section, `catalog/import.yaml`: only `units:` and `categories:`."""
    path = directory / f"{IMPORT_FILE}.yaml"
    if not path.exists():
        return None
    try:
        doc = yamlio.load_file(path, f"catalog/{IMPORT_FILE}.yaml", lines=True) or {}
    except yamlio.YamlProblem as exc:
        problems.items.append(exc.message)
        return None
    if not isinstance(doc, dict):
        problems.add(IMPORT_FILE, 1, "expected a mapping with `units:` and/or `categories:`")
        return None
    for key in doc:
        if key not in IMPORT_KEYS:
            problems.add(IMPORT_FILE, _line(doc, key), f"unknown section {key!r}; the import section holds only units and categories")
    return doc


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _response_weights(doc, problems) -> dict:
    """`response: {accept, contact, complete}`, normalised to sum to 1 (default equal thirds)."""
    given = doc.get("response")
    if given is None:
        return {k: 1 / 3 for k in RESPONSE_FLAGS}
    if not isinstance(given, dict) or not given:
        problems.add("assessment", _line(doc, "response"), f"response must map {', '.join(RESPONSE_FLAGS)} to weights")
        return {k: 1 / 3 for k in RESPONSE_FLAGS}
    weights = {}
    for key, value in given.items():
        if key not in RESPONSE_FLAGS:
            problems.add("assessment", _line(given, key), f"response: unknown flag {key!r}; allowed: {', '.join(RESPONSE_FLAGS)}")
        elif not _number(value) or value < 0:
            problems.add("assessment", _line(given, key), f"response: weight of {key} must be a number ≥ 0")
        else:
            weights[key] = float(value)
    total = sum(weights.values())
    if total <= 0:
        problems.add("assessment", _line(doc, "response"), "response: the weights must not all be 0")
        return {k: 1 / 3 for k in RESPONSE_FLAGS}
    return {k: weights.get(k, 0.0) / total for k in RESPONSE_FLAGS}


def _evidence(doc, problems) -> str:
    value = doc.get("evidence", "funnel")
    if value not in EVIDENCE:
        problems.add("assessment", _line(doc, "evidence"), f"evidence {value!r}: allowed {', '.join(EVIDENCE)}")
        return "funnel"
    return value


def _bootstrap(doc, problems) -> dict:
    given = doc.get("bootstrap") or {}
    out = {"resamples": 1000, "seed": 12345}
    if not isinstance(given, dict):
        problems.add("assessment", _line(doc, "bootstrap"), "bootstrap must be {resamples: N, seed: N}")
        return out
    for key, value in given.items():
        if key not in out:
            problems.add("assessment", _line(given, key), f"bootstrap: unknown key {key!r}; allowed: resamples, seed")
        elif not isinstance(value, int) or isinstance(value, bool) or value < (1 if key == "resamples" else 0):
            problems.add("assessment", _line(given, key), f"bootstrap: {key} must be a whole number" + (" ≥ 1" if key == "resamples" else " ≥ 0"))
        else:
            out[key] = value
    return out


def load_catalog(directory: Path) -> Catalog:
    """Read and validate a catalog folder; raise CatalogError with every problem found."""
    problems = _Problems()
    docs = {}
    for file in FILES:
        path = Path(directory) / f"{file}.yaml"
        if not path.exists():
            problems.add(file, 1, "file is missing")
            docs[file] = {}
            continue
        try:
            docs[file] = yamlio.load_file(path, f"catalog/{file}.yaml", lines=True) or {}
        except yamlio.YamlProblem as exc:
            problems.items.append(exc.message)
            docs[file] = {}
    docs[IMPORT_FILE] = _load_import(Path(directory), problems)

    def items(file, list_key, **kw):
        return _coded(_list(docs[file], list_key, file, problems), file, problems, **kw)

    def with_import(file, list_key, **kw):
        """The entries of `file` followed by those the import section adds (each knows its file)."""
        base = items(file, list_key, **kw)
        extra_doc = docs[IMPORT_FILE]
        if not extra_doc or list_key not in extra_doc:
            return base
        key = kw.get("key", "code")
        known = {e[key]: _line(e) for e in base}
        merged = list(base)
        for e in _coded(_list(extra_doc, list_key, IMPORT_FILE, problems), IMPORT_FILE, problems, **kw):
            if e[key] in known:
                problems.add(IMPORT_FILE, _line(e), f"{key} {e[key]!r} is already defined in catalog/{file}.yaml (line {known[e[key]]})")
                continue
            e.file = IMPORT_FILE
            merged.append(e)
        return merged

    types = {e["code"]: Item(e["code"], _names(e, "types", problems), str(e.get("description", "")),
                             review=_review(e, "types", problems, None) is True) for e in items("types", "types")}
    channels = {e["code"]: Item(e["code"], _names(e, "types", problems)) for e in items("types", "channels")}
    kinds = {e["code"]: Item(e["code"], _names(e, "types", problems)) for e in items("types", "complainant_kinds")}
    for required in ("consultation", "complaint", "suggestion", "emergency"):
        if docs["types"] and required not in types:
            problems.add("types", 1, f"type {required!r} is missing")

    classes = {}
    for e in items("time-limits", "classes"):
        days = e.get("days", "calendar")
        if days not in ("calendar", "working"):
            problems.add("time-limits", _line(e, "days"), f"{e['code']}: days must be calendar or working, not {days!r}")
        limit = _duration(e, "limit", "time-limits", problems)
        ext = _duration(e, "extendable_to", "time-limits", problems, required=False)
        acc = _duration(e, "accept_within", "time-limits", problems)
        con = _duration(e, "contact_within", "time-limits", problems)
        if limit == NO_LIMIT and ext:
            problems.add("time-limits", _line(e, "extendable_to"), f"{e['code']}: a class without a limit cannot be extended")
        elif limit and ext and ext <= limit:
            problems.add("time-limits", _line(e, "extendable_to"), f"{e['code']}: extendable_to must be longer than limit")
        # `limit: none`: no due, never overdue, never late (so the clock limits are none too)
        def given(value, default):
            return None if value == NO_LIMIT else (value or default)

        classes[e["code"]] = TimeClass(
            e["code"], _names(e, "time-limits", problems), given(limit, timedelta(days=7)), given(acc, timedelta(hours=2)),
            given(con, timedelta(hours=24)), ext, days, str(e.get("used_for", "")), _review(e, "time-limits", problems, types),
            _duration(e, "review_within", "time-limits", problems, required=False) or timedelta(hours=24),
            _duration(e, "respond_within", "time-limits", problems, required=False) or timedelta(minutes=30),
        )
    default_class = (docs["time-limits"] or {}).get("default", "standard") if isinstance(docs["time-limits"], dict) else "standard"
    if classes and default_class not in classes:
        problems.add("time-limits", _line(docs["time-limits"], "default"), f"default class {default_class!r} is not defined")
    if classes and "urgent" not in classes:
        problems.add("time-limits", 1, "class 'urgent' is required (type emergency uses it)")

    calendar = _calendar(docs["calendar"], problems)

    units = {}
    unit_entries = with_import("units", "units", key="id", pattern=UNIT_ID)
    for e in unit_entries:
        kind = e.get("kind")
        if kind not in UNIT_KINDS:
            problems.add(_file(e, "units"), _line(e, "kind"), f"{e['id']}: kind {kind!r} is not one of {', '.join(UNIT_KINDS)}")
        pop = e.get("population")
        if pop is not None and (not isinstance(pop, int) or isinstance(pop, bool) or pop <= 0):
            problems.add(_file(e, "units"), _line(e, "population"), f"{e['id']}: population must be a positive whole number")
            pop = None
        communities = {}
        for c in e.get("communities") or []:
            if not isinstance(c, dict) or not isinstance(c.get("id"), str) or not SLUG.match(c["id"]):
                problems.add(_file(e, "units"), _line(e, "communities"), f"{e['id']}: each community needs a slug id")
                continue
            if c["id"] in communities:
                problems.add(_file(e, "units"), _line(c), f"{e['id']}: duplicate community {c['id']!r}")
            communities[c["id"]] = _names(c, _file(e, "units"), problems)
        code = str(e["code"]) if e.get("code") is not None else None
        units[e["id"]] = Unit(e["id"], kind, e.get("parent"), _names(e, _file(e, "units"), problems), pop, communities, code)
    for e in unit_entries:
        unit = units[e["id"]]
        if unit.parent is not None and unit.parent not in units:
            problems.add(_file(e, "units"), _line(e, "parent"), f"{unit.id}: parent {unit.parent!r} is not a unit")
        if unit.kind in LOCAL_KINDS:
            parent = units.get(unit.parent)
            if parent is None or parent.kind != "district":
                problems.add(_file(e, "units"), _line(e, "parent"), f"{unit.id}: a {unit.kind} must have a district as parent")
            elif not unit.id.startswith(parent.id + "/"):
                problems.add(_file(e, "units"), _line(e, "id"), f"{unit.id}: a street/town id is '<district>/<name>', here {parent.id}/…")
    # cycles
    for uid in units:
        seen, current = set(), uid
        while current in units and current not in seen:
            seen.add(current)
            current = units[current].parent
        if current in seen:
            problems.add("units", 1, f"{uid}: parents form a cycle")
            break

    tags_cat_assess = docs["assessment"] if isinstance(docs["assessment"], dict) else {}
    satisfaction = {}
    for e in items("assessment", "satisfaction"):
        score = e.get("score")
        if not isinstance(score, (int, float)) or isinstance(score, bool) or not 0 <= score <= 100:
            problems.add("assessment", _line(e, "score"), f"{e['code']}: score must be a number from 0 to 100")
            score = 0
        satisfaction[e["code"]] = Item(e["code"], _names(e, "assessment", problems), score=float(score))
    schemes = {}
    for e in items("assessment", "schemes"):
        weights = e.get("weights")
        if not isinstance(weights, dict) or not weights:
            problems.add("assessment", _line(e), f"{e['code']}: weights must map indicators to numbers")
            continue
        clean = {}
        for key, value in weights.items():
            if key not in INDICATORS:
                problems.add("assessment", _line(weights, key), f"{e['code']}: unknown indicator {key!r}; allowed: {', '.join(INDICATORS)}")
            elif not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                problems.add("assessment", _line(weights, key), f"{e['code']}: weight of {key} must be a number ≥ 0")
            else:
                clean[key] = float(value)
        if clean and abs(sum(clean.values()) - 1) > 1e-9:
            problems.add("assessment", _line(e, "weights"), f"{e['code']}: weights sum to {sum(clean.values()):g}, not 1")
        prefixes = e.get("categories") or []
        if not isinstance(prefixes, list) or not all(isinstance(c, str) and CATEGORY_CODE.match(c) for c in prefixes):
            problems.add("assessment", _line(e, "categories"), f"{e['code']}: categories must be a list of category codes (prefixes)")
            prefixes = []
        schemes[e["code"]] = Scheme(e["code"], _names(e, "assessment", problems), clean, [str(c) for c in prefixes])
    default_scheme = tags_cat_assess.get("default_scheme", "daily")
    if schemes and default_scheme not in schemes:
        problems.add("assessment", _line(tags_cat_assess, "default_scheme"), f"default_scheme {default_scheme!r} is not a scheme")
    min_cases = tags_cat_assess.get("min_cases", 5)
    if not isinstance(min_cases, int) or isinstance(min_cases, bool) or min_cases < 1:
        problems.add("assessment", _line(tags_cat_assess, "min_cases"), "min_cases must be a whole number ≥ 1")
        min_cases = 5
    level = tags_cat_assess.get("level", "street")
    if level not in UNIT_LEVELS:
        problems.add("assessment", _line(tags_cat_assess, "level"), f"level {level!r}: allowed {', '.join(UNIT_LEVELS)}")
    top = tags_cat_assess.get("top", 10)
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        problems.add("assessment", _line(tags_cat_assess, "top"), "top must be a whole number ≥ 1")
        top = 10
    bands = []
    for e in items("assessment", "bands"):
        rule = e.get("rule")
        if not isinstance(rule, dict) or len(rule) != 1 or next(iter(rule)) not in BAND_RULES:
            problems.add("assessment", _line(e, "rule"), f"{e['code']}: rule must be one of {', '.join(BAND_RULES)} with a number")
            continue
        key, value = next(iter(rule.items()))
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.add("assessment", _line(e, "rule"), f"{e['code']}: {key} needs a number")
            continue
        bands.append({"code": e["code"], "name": _names(e, "assessment", problems), "rule": key, "value": value})
    assessment = Assessment(satisfaction, schemes, default_scheme, min_cases, level, top, bands,
                            _response_weights(tags_cat_assess, problems), _evidence(tags_cat_assess, problems),
                            _bootstrap(tags_cat_assess, problems))

    tags = {}
    for e in items("tags", "tags"):
        effects = e.get("effects") or {}
        if not isinstance(effects, dict):
            problems.add("tags", _line(e, "effects"), f"{e['code']}: effects must be a mapping")
            effects = {}
        for key in effects:
            if key not in ("scheme", "time_limit", "priority"):
                problems.add("tags", _line(effects, key), f"{e['code']}: unknown effect {key!r}; allowed: scheme, time_limit, priority")
        scheme, limit, priority = effects.get("scheme"), effects.get("time_limit"), effects.get("priority")
        if scheme is not None and scheme not in schemes:
            problems.add("tags", _line(effects, "scheme"), f"{e['code']}: scheme {scheme!r} is not in assessment.yaml")
        if limit is not None and limit not in classes:
            problems.add("tags", _line(effects, "time_limit"), f"{e['code']}: time limit {limit!r} is not a class")
        if priority is not None and priority not in PRIORITIES:
            problems.add("tags", _line(effects, "priority"), f"{e['code']}: priority must be high or normal")
        tags[e["code"]] = Tag(e["code"], _names(e, "tags", problems), str(e.get("description", "")), scheme, limit, priority)

    categories = {}
    cat_entries = with_import("categories", "categories", pattern=CATEGORY_CODE)
    for e in cat_entries:
        code = e["code"]
        parts = code.split(".")
        categories[code] = Category(
            code, len(parts), ".".join(parts[:-1]) or None, _names(e, _file(e, "categories"), problems),
            e.get("time_limit"), e.get("dispatch"), [str(k) for k in e.get("keywords") or []], str(e.get("regulations", "")),
        )
    for e in cat_entries:
        cat = categories[e["code"]]
        if cat.parent and cat.parent not in categories:
            problems.add(_file(e, "categories"), _line(e), f"{cat.code}: parent {cat.parent!r} is not a category")
        elif cat.parent:
            categories[cat.parent].is_leaf = False
    for e in cat_entries:
        cat = categories[e["code"]]
        # inherit time limit and dispatch from the nearest ancestor that sets them
        for prefix in reversed(_prefixes(cat.code)[:-1]):
            parent = categories.get(prefix)
            if parent is None:
                continue
            cat.time_limit = cat.time_limit or parent.time_limit
            cat.dispatch = cat.dispatch or parent.dispatch
        if cat.time_limit is not None and cat.time_limit not in classes:
            problems.add(_file(e, "categories"), _line(e, "time_limit"), f"{cat.code}: time limit {cat.time_limit!r} is not a class")
        if not cat.is_leaf:
            continue
        if cat.time_limit is None:
            problems.add(_file(e, "categories"), _line(e), f"{cat.code}: leaf category has no time_limit")
        if cat.dispatch is None:
            problems.add(_file(e, "categories"), _line(e), f"{cat.code}: leaf category has no dispatch rule")
            continue
        if not isinstance(cat.dispatch, dict):
            problems.add(_file(e, "categories"), _line(e, "dispatch"), f"{cat.code}: dispatch must be {{lead: …, co: […]}}")
            cat.dispatch = None
            continue
        targets = [cat.dispatch.get("lead", "street")] + list(cat.dispatch.get("co") or [])
        for target in targets:
            if target not in ("street", "district") and target not in units:
                problems.add(_file(e, "categories"), _line(e, "dispatch"), f"{cat.code}: dispatch names unknown unit {target!r}")

    for scheme in schemes.values():
        for prefix in scheme.categories:
            if prefix not in categories:
                problems.add("assessment", 1, f"{scheme.code}: category {prefix!r} is not in categories.yaml")
    if problems.items:
        raise CatalogError(problems.items)
    return Catalog(types, channels, kinds, classes, default_class, calendar, categories, units, tags, assessment)
