"""Keys that name a slice of requests: `DIM=VALUE[,DIM=VALUE]`, e.g.
`category=env.garbage,street=dragon-gate/eternal-town`.

A hot spot is printed with its key, and a governance theme can be scoped by one. Dimension names
are those of `--by`; values are catalog ids (a category code selects every category under it) or,
for `address`, the normalised address key (see `jiesu.governance.addresses`). Within one key the
values of one dimension are alternatives and different dimensions must all match.
"""

from __future__ import annotations

from jiesu.errors import InvalidInput
from jiesu.governance.addresses import address_key
from jiesu.i18n import _

DIMENSIONS = ("category", "district", "street", "community", "address", "tag", "keyword")


def format_key(pairs) -> str:
    """`category=env.garbage,street=dragon-gate/eternal-town` from (dimension, value) pairs."""
    return ",".join(f"{dim}={value}" for dim, value in pairs)


def parse_key(text: str, allowed=DIMENSIONS, field: str = "key") -> list[tuple[str, str]]:
    """(dimension, value) pairs of a key; a malformed key or an unknown dimension is refused."""
    pairs = []
    for part in str(text or "").split(","):
        dim, sep, value = part.strip().partition("=")
        dim, value = dim.strip(), value.strip()
        if not sep or not dim or not value:
            raise InvalidInput(_('{field}: {text!r} is not DIM=VALUE[,DIM=VALUE]; e.g. category=env.garbage,street=dragon-gate/eternal-town').format(field=field, text=text))
        if dim not in allowed:
            raise InvalidInput(_('{field}: unknown dimension {dim!r}; allowed: {items}').format(field=field, dim=dim, items=', '.join(allowed)))
        if dim == "address":
            value = address_key(value) or value
        pairs.append((dim, value))
    return pairs


def category_under(category: str | None, code: str) -> bool:
    """Is `category` the category `code` or one under it?"""
    return bool(category) and (category == code or category.startswith(code + "."))


def _matches_one(case: dict, dim: str, value: str) -> bool:
    if dim == "category":
        return category_under(case.get("category"), value)
    if dim == "address":
        return (case.get("address_key") or address_key(case.get("address"))) == value
    if dim == "tag":
        return value in (case.get("tags") or [])
    if dim == "keyword":
        text = " ".join(str(case.get(k) or "") for k in ("title", "description"))
        return value.lower() in text.lower()
    return case.get(dim) == value


def matches(case: dict, pairs) -> bool:
    """Does a case (a mapping with category, district, street, community, address or address_key,
    tags, title, description) fall in the slice the pairs name?"""
    wanted: dict = {}
    for dim, value in pairs:
        wanted.setdefault(dim, []).append(value)
    return all(any(_matches_one(case, dim, v) for v in values) for dim, values in wanted.items())
