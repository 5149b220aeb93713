"""The office's catalog as values: types, channels, time limits, calendar, categories, units, tags,
assessment, and the lookups every rule uses (a unit by id or name, a leaf category, the time-limit
class and assessment scheme of a case, the dispatch rule). Loading and validation: `load.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from jiesu.errors import InvalidInput
from jiesu.i18n import _, pgettext

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
NO_LIMIT = "none"  # a class whose cases have no due time (an import whose source set none)


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
                raise InvalidInput(_('{field_name}: {unit_id!r} is ambiguous; it names {listing}; give the id').format(field_name=field_name, unit_id=unit_id, listing=listing))
            raise InvalidInput(_('{field_name}: unknown unit {unit_id!r}; {suggest}').format(field_name=field_name, unit_id=unit_id, suggest=self.suggest(unit_id, self.units)))
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
            hint = _('did you mean {items}?').format(items=', '.join(c.code for c in hits)) if hits else _('see `jiesu catalog categories --search WORD`')
            raise InvalidInput(_('--category: unknown category {code!r}; {hint}').format(code=code, hint=hint))
        if not found.is_leaf:
            children = [c.code for c in self.categories.values() if c.parent == code][:6]
            raise InvalidInput(_('--category: {code!r} is not a leaf category; choose one of {items}').format(code=code, items=', '.join(children)))
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
                parents = [self.categories[p] for p in prefixes(cat.code)[:-1] if p in self.categories]
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
                raise InvalidInput(_('--time-limit: unknown class {explicit!r}; allowed: {items}').format(explicit=explicit, items=', '.join(self.classes)))
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
                where = pgettext('place', 'street/town') if target == "street" else pgettext('place', 'district')
                raise InvalidInput(
                    _('category {category} is dispatched to the {where} of the location, but the case has no {target}').format(category=category, where=where, target=target),
                    hint=_('give the unit explicitly: jiesu assign ID UNIT, or correct the location: jiesu amend ID --{target} UNIT --reason TEXT').format(target=target),
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


def prefixes(code: str) -> list[str]:
    """`a.b.c` → [`a`, `a.b`, `a.b.c`]: the codes of a category and its ancestors, root first."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]
