"""The loader of `catalog/assessment.yaml`: satisfaction scores, schemes and their weights, ranking and bands."""

from __future__ import annotations

from jiesu.catalog.fields import Problems, coded_entries, is_number, line_of, names_of
from jiesu.catalog.model import (
    BAND_RULES,
    CATEGORY_CODE,
    EVIDENCE,
    RESPONSE_FLAGS,
    UNIT_LEVELS,
    Assessment,
    Item,
    Scheme,
)
from jiesu.i18n import _
from jiesu.metrics import INDICATORS


def load_assessment(doc, problems: Problems) -> Assessment:
    """The assessment settings; scheme weights are known indicators summing to 1."""
    settings = doc if isinstance(doc, dict) else {}
    satisfaction = {}
    for e in coded_entries(doc, "satisfaction", "assessment", problems):
        score = e.get("score")
        if not isinstance(score, (int, float)) or isinstance(score, bool) or not 0 <= score <= 100:
            problems.add("assessment", line_of(e, "score"), _('{code}: score must be a number from 0 to 100').format(code=e['code']))
            score = 0
        satisfaction[e["code"]] = Item(e["code"], names_of(e, "assessment", problems), score=float(score))
    schemes = {}
    for e in coded_entries(doc, "schemes", "assessment", problems):
        weights = e.get("weights")
        if not isinstance(weights, dict) or not weights:
            problems.add("assessment", line_of(e), _('{code}: weights must map indicators to numbers').format(code=e['code']))
            continue
        clean = {}
        for key, value in weights.items():
            if key not in INDICATORS:
                problems.add("assessment", line_of(weights, key), _('{code}: unknown indicator {key!r}; allowed: {items}').format(code=e['code'], key=key, items=', '.join(INDICATORS)))
            elif not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                problems.add("assessment", line_of(weights, key), _('{code}: weight of {key} must be a number ≥ 0').format(code=e['code'], key=key))
            else:
                clean[key] = float(value)
        if clean and abs(sum(clean.values()) - 1) > 1e-9:
            problems.add("assessment", line_of(e, "weights"), _('{code}: weights sum to {sum:g}, not 1').format(code=e['code'], sum=sum(clean.values())))
        prefixes = e.get("categories") or []
        if not isinstance(prefixes, list) or not all(isinstance(c, str) and CATEGORY_CODE.match(c) for c in prefixes):
            problems.add("assessment", line_of(e, "categories"), _('{code}: categories must be a list of category codes (prefixes)').format(code=e['code']))
            prefixes = []
        schemes[e["code"]] = Scheme(e["code"], names_of(e, "assessment", problems), clean, [str(c) for c in prefixes])
    default_scheme = settings.get("default_scheme", "daily")
    if schemes and default_scheme not in schemes:
        problems.add("assessment", line_of(settings, "default_scheme"), _('default_scheme {default_scheme!r} is not a scheme').format(default_scheme=default_scheme))
    min_cases = settings.get("min_cases", 5)
    if not isinstance(min_cases, int) or isinstance(min_cases, bool) or min_cases < 1:
        problems.add("assessment", line_of(settings, "min_cases"), _('min_cases must be a whole number ≥ 1'))
        min_cases = 5
    level = settings.get("level", "street")
    if level not in UNIT_LEVELS:
        problems.add("assessment", line_of(settings, "level"), _('level {level!r}: allowed {items}').format(level=level, items=', '.join(UNIT_LEVELS)))
    top = settings.get("top", 10)
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        problems.add("assessment", line_of(settings, "top"), _('top must be a whole number ≥ 1'))
        top = 10
    bands = []
    for e in coded_entries(doc, "bands", "assessment", problems):
        rule = e.get("rule")
        if not isinstance(rule, dict) or len(rule) != 1 or next(iter(rule)) not in BAND_RULES:
            problems.add("assessment", line_of(e, "rule"), _('{code}: rule must be one of {items} with a number').format(code=e['code'], items=', '.join(BAND_RULES)))
            continue
        key, value = next(iter(rule.items()))
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.add("assessment", line_of(e, "rule"), _('{code}: {key} needs a number').format(code=e['code'], key=key))
            continue
        bands.append({"code": e["code"], "name": names_of(e, "assessment", problems), "rule": key, "value": value})
    assessment = Assessment(satisfaction, schemes, default_scheme, min_cases, level, top, bands,
                            _response_weights(settings, problems), _evidence(settings, problems),
                            _bootstrap(settings, problems))
    return assessment


def _response_weights(doc, problems) -> dict:
    """`response: {accept, contact, complete}`, normalised to sum to 1 (default equal thirds)."""
    given = doc.get("response")
    if given is None:
        return {k: 1 / 3 for k in RESPONSE_FLAGS}
    if not isinstance(given, dict) or not given:
        problems.add("assessment", line_of(doc, "response"), _('response must map {items} to weights').format(items=', '.join(RESPONSE_FLAGS)))
        return {k: 1 / 3 for k in RESPONSE_FLAGS}
    weights = {}
    for key, value in given.items():
        if key not in RESPONSE_FLAGS:
            problems.add("assessment", line_of(given, key), _('response: unknown flag {key!r}; allowed: {items}').format(key=key, items=', '.join(RESPONSE_FLAGS)))
        elif not is_number(value) or value < 0:
            problems.add("assessment", line_of(given, key), _('response: weight of {key} must be a number ≥ 0').format(key=key))
        else:
            weights[key] = float(value)
    total = sum(weights.values())
    if total <= 0:
        problems.add("assessment", line_of(doc, "response"), _('response: the weights must not all be 0'))
        return {k: 1 / 3 for k in RESPONSE_FLAGS}
    return {k: weights.get(k, 0.0) / total for k in RESPONSE_FLAGS}


def _evidence(doc, problems) -> str:
    value = doc.get("evidence", "funnel")
    if value not in EVIDENCE:
        problems.add("assessment", line_of(doc, "evidence"), _('evidence {value!r}: allowed {items}').format(value=value, items=', '.join(EVIDENCE)))
        return "funnel"
    return value


def _bootstrap(doc, problems) -> dict:
    given = doc.get("bootstrap") or {}
    out = {"resamples": 1000, "seed": 12345}
    if not isinstance(given, dict):
        problems.add("assessment", line_of(doc, "bootstrap"), _('bootstrap must be {resamples: N, seed: N}'))
        return out
    for key, value in given.items():
        if key not in out:
            problems.add("assessment", line_of(given, key), _('bootstrap: unknown key {key!r}; allowed: resamples, seed').format(key=key))
        elif not isinstance(value, int) or isinstance(value, bool) or value < (1 if key == "resamples" else 0):
            problems.add("assessment", line_of(given, key), f"bootstrap: {key} must be a whole number" + (" ≥ 1" if key == "resamples" else " ≥ 0"))
        else:
            out[key] = value
    return out

