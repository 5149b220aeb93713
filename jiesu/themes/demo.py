"""Two themes for the demo store, run through the real theme operations.

The first is made from the demo data's hot spot — the category group and street with the most
requests in the first half of the traffic — the way an office turns a hot spot into a theme; the
second covers elevators in one district with a plan target. Both get tasks (one left overdue on
purpose, so the unit sheet and `overdue --tasks` have something to show), a policy and a duty.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from jiesu import timeutil
from jiesu.i18n import _
from jiesu.index import Index
from jiesu.themes import ops


def busiest_pair(store, start: datetime, end: datetime) -> tuple[str, str] | None:
    """(category group, street) with the most requests received in [start, end)."""
    counts: dict = {}
    for category, street in Index(store).select("category, street", "received_ts >= ? AND received_ts < ?",
                                                (start.timestamp(), end.timestamp()), order=""):
        if category and street and category.count(".") >= 1:
            key = (".".join(category.split(".")[:2]), street)
            counts[key] = counts.get(key, 0) + 1
    return max(sorted(counts), key=lambda k: counts[k]) if counts else None


def build(store, start: datetime, end: datetime, actor: str = "demo") -> list[str]:
    """Create, plan, start and work on two themes between `start` and `end`; describe them."""
    span = end - start
    if span < timedelta(days=8):
        return []
    middle = start + span / 2
    pair = busiest_pair(store, start, middle)
    if pair is None:
        return []
    category, street = pair
    catalog = store.catalog
    district = catalog.units[street].parent
    t = middle

    def at():
        nonlocal t
        t += timedelta(hours=1)
        return timeutil.fmt(t)

    hotspot = f"category={category},street={street}"
    year = middle.astimezone(store.tz).year
    month = middle.astimezone(store.tz).month
    first = ops.new_theme(store, actor, f"{catalog.name('categories', category)} in {catalog.name('units', street)}",
                          year, month, street, [district], (), hotspot, at()).case_id
    ops.plan(store, actor, first, "Cut the requests in scope by a third: weekly inspections, a hotline to the "
             "property companies, and a named official for each community.", -33, None, at())
    day = middle.astimezone(store.tz).date()
    done = ops.add_item(store, actor, first, "task", "Inspect every site named in the requests", street,
                        (day + timedelta(days=3)).isoformat(), at()).event["id"]
    ops.add_item(store, actor, first, "task", "Report the repeat sites to the district", street,
                 (day + timedelta(days=5)).isoformat(), at())  # left open: overdue in the demo
    ops.add_item(store, actor, first, "task", "Publish the results in every community", district,
                 (day + timedelta(days=60)).isoformat(), at())
    ops.add_item(store, actor, first, "policy", "Standing rules for property companies on this problem", district, None, at())
    ops.add_item(store, actor, first, "duty", "The street's deputy head answers for the theme", street, None, at())
    ops.start(store, actor, first, at())
    t = max(t, middle + timedelta(days=3))
    ops.complete_item(store, actor, first, "task", done, "Inspection log with photographs of each site", at())
    elevators = ops.new_theme(store, actor, "Elevators in old residential buildings", year, month, "housing",
                              ["market-regulation", district], ["category=property.elevator", f"district={district}"],
                              None, at()).case_id
    ops.plan(store, actor, elevators, "Halve the elevator requests in the district: repair the worst lifts, "
             "sign maintenance contracts, add elevators where owners agree.", -50, None, at())
    ops.add_item(store, actor, elevators, "task", "List every elevator older than 15 years", "market-regulation",
                 (day + timedelta(days=30)).isoformat(), at())
    ops.add_item(store, actor, elevators, "policy", "Subsidy for adding elevators to old buildings", "housing", None, at())
    ops.start(store, actor, elevators, at())
    return [_("themes: {first} (from the hot spot {hotspot}) and {second} (elevators in {district}); try: {command}").format(
        first=first, hotspot=hotspot, second=elevators, district=district, command=f"jiesu --store {store.root} theme show {first}")]
