"""`catalog/governance.yaml`: the thresholds of the governance signals, with their defaults.

A store created before the file existed uses the defaults; a value of the wrong kind is refused
with the file, the key and what is allowed.
"""

from __future__ import annotations

from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.store import yamlio

FILE = "governance.yaml"
DEFAULTS = {
    "hotspots": {"window_days": 7, "baseline_weeks": 8, "min_count": 5, "q": 0.05, "level": 2},
    "clusters": {"cluster_count": 3, "cluster_days": 7},
    "callers": {"window_days": 30, "frequent_count": 5, "frequent_days": 30},
    "duplicates": {"duplicate_days": 7, "duplicate_similarity": 0.6},
}
# key → (lowest allowed, highest allowed, whether a fraction)
_BOUNDS = {"q": (0, 1, True), "duplicate_similarity": (0, 1, True), "level": (1, 3, False)}


def load(store) -> dict:
    """The store's governance settings: DEFAULTS overlaid with catalog/governance.yaml (read once
    per store object and file version)."""
    path = store.root / "catalog" / FILE
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    cached = store.__dict__.get("_governance")
    if cached and cached[0] == stamp:
        return {section: dict(values) for section, values in cached[1].items()}
    out = _read(path) if stamp is not None else {section: dict(values) for section, values in DEFAULTS.items()}
    store.__dict__["_governance"] = (stamp, out)
    return {section: dict(values) for section, values in out.items()}


def _read(path) -> dict:
    out = {section: dict(values) for section, values in DEFAULTS.items()}
    try:
        doc = yamlio.load_file(path, f"catalog/{FILE}") or {}
    except yamlio.YamlProblem as exc:
        raise InvalidInput(exc.message) from None
    if not isinstance(doc, dict):
        raise InvalidInput(_('catalog/{FILE}: expected a mapping of sections: {items}').format(FILE=FILE, items=', '.join(DEFAULTS)))
    for section, values in doc.items():
        if section not in DEFAULTS or not isinstance(values, dict):
            raise InvalidInput(_('catalog/{FILE}: unknown section {section!r}; allowed: {items}').format(FILE=FILE, section=section, items=', '.join(DEFAULTS)))
        for key, value in values.items():
            if key not in DEFAULTS[section]:
                raise InvalidInput(_('catalog/{FILE}: {section}.{key} is unknown; allowed: {items}').format(FILE=FILE, section=section, key=key, items=', '.join(DEFAULTS[section])))
            out[section][key] = check(f"catalog/{FILE}: {section}.{key}", key, value)
    return out


def check(label: str, key: str, value):
    """`value` if it is allowed for `key` (a positive whole number unless bounded otherwise)."""
    low, high, fraction = _BOUNDS.get(key, (1, None, False))
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (not fraction and not float(value).is_integer()):
        kind = "a number" if fraction else "a whole number"
        raise InvalidInput(_('{label}: {value!r} is not {kind}').format(label=label, value=value, kind=kind))
    if fraction and not low < value < high or (not fraction and (value < low or (high is not None and value > high))):
        allowed = f"between {low} and {high} (exclusive)" if fraction else (f"{low}–{high}" if high else f"at least {low}")
        raise InvalidInput(_('{label}: {value!r} is out of range; allowed: {allowed}').format(label=label, value=value, allowed=allowed))
    return value if fraction else int(value)
