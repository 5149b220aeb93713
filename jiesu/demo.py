"""A complete demo store, built through the real operations with a fixed seed.

A month (by default) of realistic traffic over the default catalog: requests arrive through the
day, weighted by street population; consultations are often answered on the call; invalid calls
are rejected and duplicates merged; the rest are dispatched by the catalog's rules, accepted,
contacted, closed and evaluated. Units differ on purpose — some fast, some late, some disliked —
so that rankings and overdue lists have something to say. Every simulated day is one commit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from jiesu import ops, timeutil
from jiesu.catalog import SATISFACTION_LEVELS
from jiesu.i18n import _
from jiesu.ops.common import commit_batch
from jiesu.workflow import OPEN

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
OPERATORS = ["op-101", "op-102", "op-103", "op-104", "op-105"]
CALLBACK = ["callback-201", "callback-202"]
TITLES = {
    "complaint": ["{} near {}", "Repeated problem: {} at {}", "{} — residents of {} complain"],
    "suggestion": ["Suggestion about {} in {}", "Please improve {} around {}"],
    "consultation": ["Question about {} ({})", "How does {} work? Caller from {}"],
    "emergency": ["URGENT: {} at {}", "Emergency — {} in {}"],
}


# the Beijing demo: enough requests a day that each of 343 streets and towns has a month to rank
CITY_PER_DAY = {"beijing": 300}
CITY_NAMES = {"beijing": "Beijing 12345 city hotline (demo)"}


@dataclass
class Profile:
    """How a unit behaves in the simulation."""

    accept_minutes: float
    late: float
    resolve: float
    mood: list = field(default_factory=list)  # weights over SATISFACTION_LEVELS
    kind: str = "normal"


def profiles(rng: random.Random, units) -> dict:
    """A behaviour for every unit: about a fifth fast, some late, some disliked, the rest normal."""
    profiles = {}
    for unit in units:
        roll = rng.random()
        if roll < 0.2:
            profiles[unit] = Profile(8, 0.03, 0.95, [60, 30, 8, 2, 0], "fast")
        elif roll < 0.35:
            profiles[unit] = Profile(150, 0.45, 0.75, [25, 35, 25, 10, 5], "late")
        elif roll < 0.5:
            profiles[unit] = Profile(45, 0.15, 0.6, [10, 20, 30, 25, 15], "disliked")
        else:
            profiles[unit] = Profile(35, 0.12, 0.88, [40, 35, 17, 6, 2], "normal")
    return profiles


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"


class Simulation:
    def __init__(self, store, rng: random.Random, start: datetime, end: datetime, per_day: int):
        self.store, self.rng, self.start, self.end, self.per_day = store, rng, start, end, per_day
        cat = store.catalog
        self.streets = [u for u in cat.units.values() if u.is_local]
        self.weights = [u.population or 30000 for u in self.streets]
        self.leaves = [c for c in cat.categories.values() if c.is_leaf]
        self.urgent = [c for c in self.leaves if c.time_limit == "urgent"]
        self.consult = [c for c in self.leaves if c.code.startswith(("policy.", "social.", "education.", "health."))] or self.leaves
        units = [u.id for u in cat.units.values() if u.kind != "centre"]
        self.profiles = profiles(rng, units)
        self.actions: list = []  # (time, order, case_key, op, kwargs)
        self.order = 0
        self.open_recent: list = []
        self.answers: dict = {}  # category → knowledge entry that answers it

    def plan(self) -> None:
        day = self.start
        key = 0
        while day < self.end:
            count = max(1, int(self.rng.gauss(self.per_day, self.per_day * 0.25)))
            for _request in range(count):
                minute = int(self.rng.triangular(7 * 60, 22 * 60, 10 * 60))
                at = day + timedelta(minutes=minute, seconds=self.rng.randint(0, 59))
                if at >= self.end:
                    continue
                key += 1
                self.plan_case(key, at)
            day += timedelta(days=1)

    def add(self, at: datetime, key: int, op: str, **kwargs) -> bool:
        if at >= self.end:
            return False
        self.order += 1
        self.actions.append((at, self.order, key, op, kwargs))
        return True

    def plan_case(self, key: int, t0: datetime) -> None:
        rng = self.rng
        roll = rng.random()
        street = rng.choices(self.streets, self.weights)[0]
        community = rng.choice(list(street.communities)) if street.communities else None
        if roll < 0.03:
            kind = "invalid"
            case_type, category = "consultation", None
        elif roll < 0.07:
            kind, case_type, category = "emergency", "emergency", rng.choice(self.urgent or self.leaves)
        elif roll < 0.30:
            kind, case_type, category = "consultation", "consultation", rng.choice(self.consult)
        elif roll < 0.40:
            kind, case_type, category = "suggestion", "suggestion", rng.choice(self.leaves)
        else:
            kind, case_type, category = "complaint", "complaint", rng.choice(self.leaves)
        place = street.name["en"]
        if kind == "invalid":
            title = "Silent call / caller made no request"
        else:
            title = rng.choice(TITLES[case_type]).format(category.name["en"].lower(), place)
        tags = []
        if rng.random() < 0.2:
            tags.append("seven-guarantees-five-qualities")
        if category is not None and category.code.startswith("epidemic."):
            tags.append("epidemic")
        record = {
            "at": timeutil.fmt(t0), "type": case_type, "title": title, "street": street.id,
            "channel": rng.choices(["hotline", "app", "wechat", "web", "grid", "enterprise-line"], [60, 15, 12, 6, 5, 2])[0],
            "surname": rng.choice(SURNAMES), "phone": _mobile(rng), "tags": tags,
        }
        if community:
            record["community"] = community
        if category is not None:
            record["category"] = category.code
        if rng.random() < 0.04:
            record["frequent"] = True
        if rng.random() < 0.03:
            record["confidential"] = True
        operator = rng.choice(OPERATORS)
        if kind == "consultation" and rng.random() < 0.65:
            if category.code in self.answers:
                record["kb"] = self.answers[category.code]
            else:
                record["answered"] = "Answered on the call with the applicable policy"
            self.add(t0, key, "intake", actor=operator, record=record)
            if rng.random() < 0.7:
                self.evaluate(key, t0 + timedelta(hours=rng.uniform(20, 50)), self.profiles[self.streets[0].id], contacted=True)
            return
        self.add(t0, key, "intake", actor=operator, record=record)
        if kind == "invalid":
            self.add(t0 + timedelta(minutes=rng.uniform(3, 15)), key, "reject", actor=operator, reason="Invalid call: no request made")
            return
        earlier = [k for k, t in self.open_recent[-30:] if timedelta(0) < t0 - t < timedelta(days=2)]
        if earlier and rng.random() < 0.03:
            self.add(t0 + timedelta(minutes=rng.uniform(5, 40)), key, "merge", actor=operator, into=rng.choice(earlier))
            return
        self.open_recent.append((key, t0))
        self.handle(key, t0, category, street)

    def handle(self, key, t0, category, street):
        rng, cat = self.rng, self.store.catalog
        tclass = cat.classes[cat.class_for(explicit=None, tags=[], case_type="complaint", category=category.code)[0]]
        if category.code in [c.code for c in self.urgent]:
            tclass = cat.classes["urgent"]
        lead, _co = cat.dispatch(category.code, {"street": street.id, "district": street.parent})
        t = t0 + timedelta(minutes=rng.uniform(2, 25 if tclass.code != "urgent" else 6))
        if not self.add(t, key, "assign", actor="dispatch-1"):
            return
        if rng.random() < 0.05 and lead == street.id:
            siblings = [u for u in self.streets if u.parent == street.parent and u.id != street.id]
            t += timedelta(minutes=rng.uniform(30, 300))
            if not self.add(t, key, "return", actor=lead.split("/")[-1], reason="The site is outside our area"):
                return
            if siblings:
                lead = rng.choice(siblings).id
            t += timedelta(minutes=rng.uniform(10, 60))
            if not self.add(t, key, "assign", actor="dispatch-1", unit=lead):
                return
        profile = self.profiles.get(lead) or self.profiles[street.id]
        limit = tclass.limit
        t += timedelta(minutes=rng.expovariate(1 / profile.accept_minutes) if tclass.code != "urgent" else rng.uniform(2, 20))
        actor = lead.split("/")[-1]
        if not self.add(t, key, "accept", actor=actor):
            return
        t += min(limit / 3, timedelta(hours=rng.uniform(0.3, 20)))
        if not self.add(t, key, "contact", actor=actor, note="Called the complainant and checked the site"):
            return
        if tclass.extendable_to and rng.random() < 0.4:
            at_ext = t0 + limit * 0.8
            if at_ext > t:
                t = at_ext
                if not self.add(t, key, "extend", actor=actor, by="10d", reason="Waiting for another department's review"):
                    return
                limit = limit + timedelta(days=10)
        late = rng.random() < profile.late
        fraction = rng.uniform(1.05, 1.9) if late else rng.uniform(0.15, 0.95)
        close_at = max(t + timedelta(minutes=5), t0 + limit * fraction)
        resolved = rng.random() < profile.resolve
        summary = "Problem solved on site" if resolved else "Could not be solved: explained the reasons to the complainant"
        if not self.add(close_at, key, "close", actor=actor, resolved=resolved, summary=summary):
            return
        self.evaluate(key, close_at + timedelta(hours=rng.uniform(18, 60)), profile, contacted=rng.random() < 0.95,
                      resolved=resolved)

    def evaluate(self, key, at, profile, contacted=True, resolved=True):
        rng = self.rng
        if rng.random() < 0.1:
            self.add(at, key, "evaluate", actor=rng.choice(CALLBACK), reached=False)
            return
        mood = list(profile.mood) or [40, 35, 17, 6, 2]
        if not resolved:
            mood = [w * f for w, f in zip(mood, (0.2, 0.5, 1, 2.5, 3))]
        level = rng.choices(SATISFACTION_LEVELS, mood)[0]
        reason = "Problem came back / slow handling" if level in ("dissatisfied", "very-dissatisfied") else None
        self.add(at, key, "evaluate", actor=rng.choice(CALLBACK), reached=True, contacted=contacted, resolved=resolved,
                 satisfaction=level, reason=reason)


def build_demo(directory: str | Path, days: int | None = None, seed: int = 12345, per_day: int | None = None, reports: bool = True,
               progress: bool = False, office: str = "HL", catalog: str = "default") -> list[str]:
    """Create the demo store in `directory`; return lines describing what was built.

    Traffic runs from the first day of the previous month (or `days` back) until now, so that the
    monthly report of the last complete month has a whole month to rank.
    """
    import click

    per_day = per_day or CITY_PER_DAY.get(catalog, 30)
    name = CITY_NAMES.get(catalog, "Dragon Gate pilot office (demo)")
    store = ops.init_store(directory, office=office, name=name, actor="demo", catalog=catalog)
    rng = random.Random(seed)
    now = store.now()
    end = now
    today = now.astimezone(store.tz).date()
    if days is None:
        first = today.replace(day=1) - timedelta(days=1)
        start_day = first.replace(day=1)
    else:
        start_day = today - timedelta(days=days)
    days = (today - start_day).days
    start = timeutil.local(start_day, time(0), store.tz)
    sim = Simulation(store, rng, start, end, per_day)
    from jiesu.knowledge.examples import add_for_demo

    sim.answers = add_for_demo(store, start)  # consultations answered on the call quote these entries
    sim.plan()
    sim.actions.sort(key=lambda a: (a[0], a[1]))
    ids: dict = {}
    by_day: dict = {}
    for action in sim.actions:
        by_day.setdefault(action[0].astimezone(store.tz).date(), []).append(action)
    bar = click.progressbar(length=len(sim.actions), label=_("building demo"), file=None) if progress else None
    done = 0
    with store.transaction("demo", batch=True) as tx:
        for day, actions in sorted(by_day.items()):
            for at, _order, key, op, kw in actions:
                _run_step(store, tx, ids, key, at, op, dict(kw))
                done += 1
            if bar:
                bar.update(len(actions))
            commit_batch(store, tx, "demo", f"demo: traffic of {day.isoformat()}", at=actions[-1][0])
    if bar:
        bar.render_finish()
    lines = [_("demo store built in {root}: {cases} cases, {operations} operations over {days} days (seed {seed})").format(
        root=store.root, cases=len(ids), operations=done, days=days, seed=seed)]
    from jiesu.themes import demo as theme_demo

    lines += theme_demo.build(store, start, end)
    if reports:
        lines += _render_reports(store)
    return lines


def _run_step(store, tx, ids, key, at, op, kw):
    actor = kw.pop("actor")
    when = timeutil.fmt(at)
    if op == "intake":
        record = dict(kw["record"], at=when)
        ids[key] = ops.intake(store, [record], actor, tx=tx)[0].case_id
        return
    case_id = ids.get(key)
    if case_id is None:
        return
    if op == "merge":
        target = ids.get(kw["into"])
        status = tx.case(target)[1]["state"]["status"] if target else None
        if target and status in OPEN:
            ops.merge(store, case_id, actor, target, at=when, tx=tx)
        else:  # the earlier report is already closed: the duplicate is not dispatched again
            ops.reject(store, case_id, actor, f"Duplicate of {target}, already handled", at=when, tx=tx)
        return
    func = {"assign": ops.assign, "accept": ops.accept, "return": ops.return_case, "contact": ops.contact,
            "extend": ops.extend, "close": ops.close, "evaluate": ops.evaluate, "reject": ops.reject}[op]
    status = tx.case(case_id)[1]["state"]["status"]
    if status == "merged":
        return
    if op == "evaluate" and status == "handled":  # the centre's review comes before the follow-up call
        ops.review(store, case_id, "centre-reviewer", approve=True, at=timeutil.fmt(at - timedelta(minutes=30)), tx=tx)
    func(store, case_id, actor, at=when, tx=tx, **kw)


def _render_reports(store) -> list[str]:
    """Render the store's reports (once the reports module exists); say where they are."""
    try:
        from jiesu import reporting
    except ImportError:
        from jiesu import queries

        rows = queries.list_cases(store)
        counts: dict = {}
        for row in rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        overdue = sum(1 for r in rows if r["overdue"])
        return [f"cases by status: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}; overdue now: {overdue}",
                f"try: jiesu --store {store.root} list --overdue"]
    return reporting.render_demo_reports(store)
