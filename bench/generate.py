#!/usr/bin/env python3
"""Generate a realistic synthetic jiesu store of N cases, fast.

    python bench/generate.py DIR --cases N [--seed S] [--history full|batched] [--office HL]

The store is created by `jiesu.ops.init_store` (real settings, catalog and git configuration),
then N cases arrive over the last ~3 years up to "now" (`JIESU_NOW` if set): weighted by street
population, more on weekdays, slowly growing, with the status mix and event histories of
`jiesu.demo` (consultations answered on the call, invalid calls rejected, duplicates merged,
returns and re-dispatches, escalations, extensions, late and disliked units, follow-up calls,
reopened and exempted cases, cases still open at every stage, overdue ones among them).

Events are simulated in global time order with only the open cases in memory. Each case file is
written by jiesu's own writer in jiesu's layout (`yamlio.dump_doc` over `case_layout`'s
nodes, as `jiesu.ops` writes), its `state` kept equal to
`jiesu.model.state_block`, and committed in jiesu's form (subject `<action> <ID>: <title>`,
`Jiesu-*` trailers, the actor as author, the event time as date):

  --history full      one commit per operation (≈5.5 per case: 100,000 cases → ≈550,000 commits)
  --history batched   one commit per simulated day

`--writer pack` (default) writes the objects straight into a pack; `--writer fast-import` streams
the same commits to `git fast-import` (slower for full histories, see gitpack.py). Then the work
tree is checked out and the commit-graph written with changed-path Bloom filters.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import random
import re
import subprocess
import sys
import time
from collections import deque
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gitpack  # noqa: E402

from jiesu import model, timeutil, working_time  # noqa: E402
from jiesu.catalog import SATISFACTION_LEVELS  # noqa: E402
from jiesu.demo import CALLBACK, OPERATORS, SURNAMES, TITLES, profiles  # noqa: E402
from jiesu.ops import init_store  # noqa: E402
from jiesu.store import case_layout, yamlio  # noqa: E402
from jiesu.store.gitrepo import pinned_env  # noqa: E402
from jiesu.store.gitwrite import commit_message  # noqa: E402
from jiesu.workflow import OPEN  # noqa: E402

# the demo's people, titles and satisfaction levels, so both kinds of synthetic store read alike
DISPATCHERS = ["dispatch-1", "dispatch-2"]
TITLES_ZH = {
    "complaint": ["{1}{0}问题反映", "{1}：{0}，多次反映未解决"],
    "suggestion": ["建议改善{1}的{0}"],
    "consultation": ["咨询{0}相关政策（{1}）"],
    "emergency": ["紧急：{1}{0}"],
}
DESCRIPTIONS = [
    "The caller says the problem has lasted for about {n} days and affects the whole building.",
    "Residents reported it {n} times already; please inform the complainant about the handling in due time.",
    "来电人反映该问题已持续{n}天，影响周边居民正常生活，希望尽快处理。",
    "Caller asks for a site visit.\nThe problem is worst in the evening, after 8 p.m.\n",
    "市民来电反映：{n}号楼附近情况严重。\n请承办单位及时与来电人联系并反馈办理结果。\n",
]
ADDRESSES = ["No. {n} {road} Road", "Building {n}, {road} Garden compound", "{road}路{n}号", "{road}小区{n}号楼"]
ROADS = ["Xinhua", "Heping", "Jianshe", "Renmin", "Chaoyang", "Guangming", "Wenhua", "Shengli", "Yongding", "Qinghe"]
ACCEPT_NOTES = ["Called the complainant and checked the site", "Site inspected with the property company",
                "已与来电人电话联系，约定上门查看", "Contacted the caller; the problem is confirmed"]
CLOSE_OK = ["Problem solved on site", "Cleared and monitoring increased", "已现场处置完毕，来电人表示认可",
            "Repaired; the property company will check weekly"]
CLOSE_BAD = ["Could not be solved: explained the reasons to the complainant", "Outside our powers; explained the policy",
             "涉及历史遗留问题，已向来电人解释说明"]
DISLIKE = ["Problem came back / slow handling", "Nobody came to the site", "处理不及时，问题依旧"]
MOOD_CENTRE = [40, 35, 17, 6, 2]
HISTORY = ("full", "batched")


_NUMERIC_ID = re.compile(r"[0-9]*e?[0-9]*")


# --- case-file text: jiesu's writer, in the layout jiesu.ops writes -----------------------------
def header_text(header: dict) -> str:
    """Everything of a case file before `state:` (fixed once the case is received), as
    `jiesu.ops.new_cases.build_case` lays it out."""
    pairs = []
    for key, value in header.items():
        if key in ("location", "complainant"):
            value = yamlio.cmap(value.items())
        elif key == "tags":
            value = yamlio.cseq(value, flow=True)
        elif key == "description":
            value = yamlio.block_text(value)
        pairs.append((key, value))
    return yamlio.dump_doc(yamlio.cmap(pairs))


def state_text(state: dict) -> str:
    """The `state:` block of a case."""
    return yamlio.dump_doc(yamlio.cmap([("state", case_layout.state_node(state))]))


_EVENTS = "events:\n"


def event_line(event: dict) -> str:
    """One event as an item of the `events:` list (a flow line when short and single-line)."""
    return yamlio.dump_doc(yamlio.cmap([("events", yamlio.cseq([case_layout.event_node(event)]))]))[len(_EVENTS):]


class Case:
    """An open case: its header, events, projection, rendered parts and planned operations."""

    __slots__ = ("id", "year", "month", "name", "header", "header_b", "events", "events_b", "s", "state",
                 "state_b", "ops", "title", "frequent", "w_off", "w_depth", "w_lens", "w_sent", "mkey", "ids")

    def __init__(self):
        self.events, self.events_b, self.ids = [], b"", set()
        self.s = {"status": None}
        self.w_off, self.w_depth, self.w_lens, self.w_sent = None, 0, None, None


class Generator:
    def __init__(self, store, n: int, seed: int, history: str, writer, years: float, check: int, progress: bool):
        self.store, self.n, self.history, self.writer = store, n, history, writer
        self.rng = random.Random(seed)
        self.tz = store.tz
        self.cat = store.catalog
        self.check_left = check
        self.progress = progress
        self.end = int(store.now().timestamp())
        end_day = datetime.fromtimestamp(self.end, self.tz).date()
        self.start_day = end_day - timedelta(days=int(round(365 * years)))
        cat = self.cat
        self.streets = [u for u in cat.units.values() if u.is_local]
        self.street_weights = [u.population or 30000 for u in self.streets]
        self.departments = [u.id for u in cat.units.values() if u.kind == "department"]
        leaves = [c for c in cat.categories.values() if c.is_leaf]
        # a few categories are hot, most are rare (Zipf-like, order fixed by the seed)
        order = leaves[:]
        self.rng.shuffle(order)
        self.leaves = order
        self.leaf_weights = [1 / (rank + 4) for rank in range(len(order))]
        self.urgent = [c for c in leaves if c.time_limit == "urgent"] or leaves
        consult = [c for c in order if c.code.startswith(("policy.", "social.", "education.", "health."))] or order
        self.consult, self.consult_weights = consult, [1 / (r + 4) for r in range(len(consult))]
        self.profiles = profiles(self.rng, [u.id for u in cat.units.values() if u.kind != "centre"])
        self.heap: list = []
        self.seq = 0
        self.recent: deque = deque(maxlen=20)
        self.month_seq: dict = {}
        self.live: dict = {}
        self.authors: dict = {}
        self.stats = {"cases": 0, "events": 0, "commits": 0, "merged": 0, "merge_fallback": 0}
        self.day_cases: dict = {}
        self.day_log: list = []
        self.day_done: list = []
        self.day_key = None
        self.last_at = 0
        off = datetime.fromtimestamp(self.end, self.tz).utcoffset()
        minutes = int(off.total_seconds() // 60)
        self.tz_text = b"%s%02d%02d" % (b"+" if minutes >= 0 else b"-", abs(minutes) // 60, abs(minutes) % 60)
        self.git_name, self.git_email = store.git.identity()
        self.office = store.office

    # --- small helpers --------------------------------------------------------------------------
    def fmt(self, ts: int) -> str:
        return datetime.fromtimestamp(ts, self.tz).isoformat()

    def deadline(self, ts: int, limit: timedelta, tclass) -> int:
        due = working_time.deadline(datetime.fromtimestamp(ts, self.tz), limit, tclass, self.cat.calendar, self.tz)
        return int(due.timestamp())

    def event_id(self, case: Case) -> str:
        rng = self.rng
        while True:
            candidate = "%06x" % rng.getrandbits(24)
            if candidate not in case.ids and not _NUMERIC_ID.fullmatch(candidate):
                case.ids.add(candidate)
                return candidate

    def author(self, actor: str) -> bytes:
        """`name <email>` as jiesu.store.author_identity makes it."""
        found = self.authors.get(actor)
        if found is None:
            if self.git_name and actor == self.git_name and self.git_email:
                email = self.git_email
            else:
                local = re.sub(r"[^A-Za-z0-9._-]+", "-", actor).strip("-.") or "actor"
                email = f"{local}@{self.office.lower()}.jiesu.invalid"
            found = self.authors[actor] = f"{actor} <{email}>".encode()
        return found

    # --- arrivals -------------------------------------------------------------------------------
    def daily_counts(self) -> list[tuple[int, int, int]]:
        """(day start, day end, arrivals) for every simulated day, summing to exactly N."""
        rng, tz = self.rng, self.tz
        days = []
        day = self.start_day
        total_days = None
        while True:
            start = int(datetime.combine(day, dtime(0), tz).timestamp())
            if start > self.end:
                break
            stop = min(int(datetime.combine(day + timedelta(days=1), dtime(0), tz).timestamp()), self.end + 1)
            days.append((day, start, stop))
            day += timedelta(days=1)
        total_days = len(days)
        weights = []
        for i, (d, start, stop) in enumerate(days):
            w = 0.8 if d.weekday() >= 5 else 1.0
            w *= 0.85 + 0.3 * i / max(total_days - 1, 1)  # volume grows over the years
            w *= 1.15 if d.month in (7, 8) else 1.2 if d.month in (12, 1) else 1.0  # summer heat, heating season
            w *= max(0.5, rng.gauss(1.0, 0.08))
            w *= (stop - start) / 86400
            weights.append(w)
        total = sum(weights)
        exact = [self.n * w / total for w in weights]
        counts = [math.floor(x) for x in exact]
        rest = self.n - sum(counts)
        for i in sorted(range(len(days)), key=lambda i: counts[i] - exact[i])[:rest]:
            counts[i] += 1
        return [(start, stop, c) for (d, start, stop), c in zip(days, counts)]

    def arrival_times(self, start: int, stop: int, count: int) -> list[int]:
        rng = self.rng
        out = []
        while len(out) < count:
            if rng.random() < 0.06:
                minute = rng.uniform(0, 24 * 60)
            else:
                minute = rng.triangular(7 * 60, 22 * 60, 10 * 60)
            t = start + int(minute * 60) + rng.randint(0, 59)
            if t < stop:
                out.append(t)
            elif stop - start < 86400 and rng.random() < 0.5:
                out.append(rng.randint(start, stop - 1))
        out.sort()
        return out

    # --- a new case and its plan ----------------------------------------------------------------
    def new_case(self, t0: int) -> Case:
        rng, cat = self.rng, self.cat
        local = datetime.fromtimestamp(t0, self.tz)
        mkey = (local.year, local.month)
        seq = self.month_seq[mkey] = self.month_seq.get(mkey, 0) + 1
        case = Case()
        case.id = f"{self.office}-{local.year % 100:02d}{local.month:02d}-{seq:04d}"
        case.year, case.month = b"%04d" % local.year, b"%02d" % local.month
        case.name = case.id.encode() + b".yaml"
        case.mkey = mkey
        roll = rng.random()
        street = rng.choices(self.streets, self.street_weights)[0]
        community = rng.choice(list(street.communities)) if street.communities else None
        if roll < 0.03:
            kind, case_type, category = "invalid", "consultation", None
        elif roll < 0.07:
            kind, case_type, category = "emergency", "emergency", rng.choice(self.urgent)
        elif roll < 0.30:
            kind, case_type, category = "consultation", "consultation", rng.choices(self.consult, self.consult_weights)[0]
        elif roll < 0.40:
            kind, case_type, category = "suggestion", "suggestion", rng.choices(self.leaves, self.leaf_weights)[0]
        else:
            kind, case_type, category = "complaint", "complaint", rng.choices(self.leaves, self.leaf_weights)[0]
        if kind == "invalid":
            title = "Silent call / caller made no request"
        elif rng.random() < 0.35:
            title = rng.choice(TITLES_ZH[case_type]).format(category.name.get("zh") or category.name["en"], street.name.get("zh") or street.name["en"])
        else:
            title = rng.choice(TITLES[case_type]).format(category.name["en"].lower(), street.name["en"])
        tags = []
        if rng.random() < 0.2:
            tags.append("seven-guarantees-five-qualities")
        if category is not None and category.code.startswith("epidemic."):
            tags.append("epidemic")
        if rng.random() < 0.03:
            tags.append("elderly-friendly")
        if rng.random() < 0.004:
            tags.append("collective")
        channel = rng.choices(["hotline", "app", "wechat", "web", "grid", "enterprise-line"], [60, 15, 12, 6, 5, 2])[0]
        confidential = rng.random() < 0.03
        frequent = rng.random() < 0.04
        special = rng.random() < 0.02
        tclass_code, limit_from = cat.class_for(explicit=None, tags=tags, case_type=case_type,
                                                category=category.code if category else None)
        tclass = cat.classes[tclass_code]
        header = {"id": case.id, "schema": model.SCHEMA, "title": title, "received": self.fmt(t0),
                  "channel": channel, "type": case_type}
        if category is not None:
            header["category"] = category.code
        if kind != "invalid" and rng.random() < 0.5:
            text = rng.choice(DESCRIPTIONS).format(n=rng.randint(2, 30))
            header["description"] = text
        location = {"district": street.parent, "street": street.id}
        if community:
            location["community"] = community
        if kind != "invalid" and rng.random() < 0.5:
            location["address"] = rng.choice(ADDRESSES).format(n=rng.randint(1, 120), road=rng.choice(ROADS))
        header["location"] = location
        complainant = {"kind": "enterprise" if channel == "enterprise-line" else "individual"}
        if not confidential:
            complainant["surname"] = rng.choice(SURNAMES)
            complainant["phone"] = f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
        complainant.update(confidential=confidential, frequent=frequent, special_group=special)
        header["complainant"] = complainant
        header["tags"] = tags
        header["time_limit"] = tclass_code
        case.header = header
        case.header_b = header_text(header).encode("utf-8")
        case.title = title
        case.frequent = frequent
        due = self.deadline(t0, tclass.limit, tclass)
        operator = rng.choice(OPERATORS)
        ops: list = []
        intake = {"limit_from": limit_from, "due": self.fmt(due)}
        detail = f"{case_type} via {channel}" + (f", {category.code}" if category else "")
        if kind == "consultation" and rng.random() < 0.65:
            ops.append((t0, "intake", operator, intake, "Answered on the call with the applicable policy",
                        detail + ", answered on the call"))
            if rng.random() < 0.7:
                self.plan_evaluation(ops, t0 + rng.uniform(20, 50) * 3600, MOOD_CENTRE, True, True, case, tclass)
        else:
            ops.append((t0, "intake", operator, intake, None, detail))
            if kind == "invalid":
                ops.append((t0 + rng.uniform(3, 15) * 60, "reject", operator, {"reason": "Invalid call: no request made"}))
            elif self.recent and rng.random() < 0.03:
                ops.append((t0 + rng.uniform(5, 40) * 60, "merge", operator, {"into": rng.choice(self.recent)}))
            else:
                self.plan_handling(ops, case, t0, category, street, tclass, due)
                self.recent.append(case)
        # times as whole seconds, never going back, nothing after now
        out, last = [], t0
        for op in ops:
            t = max(last, int(op[0]))
            if t > self.end:
                break
            out.append((t,) + op[1:])
            last = t
        out.reverse()
        case.ops = out
        return case

    def plan_handling(self, ops, case, t0, category, street, tclass, due) -> None:
        rng, cat = self.rng, self.cat
        lead, co = cat.dispatch(category.code, case.header["location"])
        limit = tclass.limit.total_seconds()
        urgent = tclass.code == "urgent"
        t = t0 + rng.uniform(2, 6 if urgent else 25) * 60
        dispatcher = rng.choice(DISPATCHERS)
        ops.append((t, "assign", dispatcher, {"unit": lead, "co": co or None}))
        if lead == street.id and rng.random() < 0.05:
            siblings = [u for u in self.streets if u.parent == street.parent and u.id != street.id]
            t += rng.uniform(30, 300) * 60
            ops.append((t, "return", lead.split("/")[-1], {"unit": lead, "reason": "The site is outside our area"}))
            if siblings:
                lead = rng.choice(siblings).id
            t += rng.uniform(10, 60) * 60
            ops.append((t, "assign", dispatcher, {"unit": lead, "co": None}))
            co = []
        profile = self.profiles.get(lead) or self.profiles[street.id]
        actor = lead.split("/")[-1]
        t += rng.uniform(2, 20) * 60 if urgent else rng.expovariate(1 / profile.accept_minutes) * 60
        ops.append((t, "accept", actor, {"unit": lead}))
        t += min(limit / 3, rng.uniform(0.3, 20) * 3600)
        ops.append((t, "contact", actor, {"note": rng.choice(ACCEPT_NOTES)}))
        if rng.random() < (0.25 if tclass.extendable_to else 0.02):
            helpers = [d for d in self.departments if d != lead and d not in co]
            t += min(limit * 0.3, rng.uniform(2, 72) * 3600)
            ops.append((t, "escalate", actor, {"to": rng.choice(helpers), "reason": "Needs another department's powers"}))
        if rng.random() < 0.04:
            t += rng.uniform(0.5, 24) * 3600
            ops.append((t, "note", rng.choice(OPERATORS), {"text": "Complainant called again asking about progress"}))
        if rng.random() < 0.001:
            return  # stuck: never closed (a long-overdue case)
        if tclass.extendable_to and rng.random() < 0.4:
            at_ext = t0 + limit * 0.8
            if at_ext > t:
                t = at_ext
                new_due = self.deadline(due, timedelta(days=10), tclass)
                ops.append((t, "extend", actor, {"until": self.fmt(new_due), "reason": "Waiting for another department's review"}))
                limit += 10 * 86400
        late = rng.random() < profile.late
        fraction = rng.uniform(1.05, 1.9) if late else rng.uniform(0.15, 0.95)
        close_at = max(t + 300, t0 + limit * fraction)
        resolved = rng.random() < profile.resolve
        ops.append((close_at, "close", actor, {"resolved": resolved, "summary": rng.choice(CLOSE_OK if resolved else CLOSE_BAD)}))
        level = self.plan_evaluation(ops, close_at + rng.uniform(18, 60) * 3600, profile.mood, rng.random() < 0.95,
                                     resolved, case, tclass)
        if level in ("dissatisfied", "very-dissatisfied") and rng.random() < 0.2:
            t = ops[-1][0] + rng.uniform(2, 48) * 3600
            new_due = self.deadline(int(t), tclass.limit, tclass)
            ops.append((t, "reopen", rng.choice(OPERATORS), {"reason": "The complainant disputes the result", "due": self.fmt(new_due)}))
            t += rng.expovariate(1 / profile.accept_minutes) * 60
            ops.append((t, "accept", actor, {"unit": lead}))
            t += rng.uniform(0.5, 10) * 3600
            ops.append((t, "contact", actor, {"note": rng.choice(ACCEPT_NOTES)}))
            t = max(t + 300, t + tclass.limit.total_seconds() * rng.uniform(0.1, 0.8))
            resolved = rng.random() < 0.7
            ops.append((t, "close", actor, {"resolved": resolved, "summary": rng.choice(CLOSE_OK if resolved else CLOSE_BAD)}))
            self.plan_evaluation(ops, t + rng.uniform(18, 60) * 3600, profile.mood, True, resolved, case, tclass, exempt=False)

    def plan_evaluation(self, ops, at, mood, contacted, resolved, case, tclass, exempt=True):
        rng = self.rng
        if rng.random() < 0.1:
            ops.append((at, "evaluate", rng.choice(CALLBACK), {"reached": False}))
            return None
        weights = list(mood)
        if not resolved:
            weights = [w * f for w, f in zip(weights, (0.2, 0.5, 1, 2.5, 3))]
        level = rng.choices(SATISFACTION_LEVELS, weights)[0]
        reason = rng.choice(DISLIKE) if level in ("dissatisfied", "very-dissatisfied") else None
        ops.append((at, "evaluate", rng.choice(CALLBACK), {"reached": True, "contacted": contacted, "resolved": resolved,
                                                           "satisfaction": level, "reason": reason}))
        if exempt and level == "very-dissatisfied" and case.frequent and rng.random() < 0.5:
            ops.append((at + rng.uniform(1, 5) * 86400, "exempt", "office-lead",
                        {"reason": "Confirmed unreasonable demand of a frequent caller"}))
            return "exempt"
        return level

    # --- applying events ------------------------------------------------------------------------
    def add_event(self, case: Case, action: str, actor: str, at: int, fields: dict) -> dict:
        at_text = self.fmt(at)
        event = {"id": self.event_id(case), "at": at_text, "by": actor, "action": action}
        for key in model.EVENT_FIELDS[action]:
            if fields.get(key) is not None:
                event[key] = fields[key]
        case.events.append(event)
        case.events_b += event_line(event).encode("utf-8")
        model.apply_event(case.s, event, None)
        self.stats["events"] += 1
        return event

    def render(self, case: Case) -> None:
        case.state = model.format_state(case.s)
        case.state_b = (state_text(case.state) + "events:\n").encode("utf-8")
        if self.check_left > 0:
            self.check_left -= 1
            self.self_check(case)
            if self.check_left == 0:
                self.writer.stop_checking()

    def self_check(self, case: Case) -> None:
        """The file reads back (jiesu's loader) as the data meant, and its state is jiesu's projection."""
        text = (case.header_b + case.state_b + case.events_b).decode("utf-8")
        plain = dict(case.header)
        plain["state"] = case.state
        plain["events"] = case.events
        loaded = yamlio.load(text, case.id)
        if loaded != plain or list(loaded) != [k for k in model.CASE_KEYS if k in loaded]:
            raise AssertionError(f"{case.id}: the emitted YAML does not read back as written:\n{text}")
        expected = model.state_block(loaded, self.cat, self.tz)
        if expected != case.state:
            raise AssertionError(f"{case.id}: state {case.state} differs from jiesu's projection {expected}")
        if model.replay(loaded, strict=True)["status"] != case.state["status"]:
            raise AssertionError(f"{case.id}: events do not replay strictly")

    # --- the main loop --------------------------------------------------------------------------
    def run(self) -> dict:
        started = time.perf_counter()
        plan = self.daily_counts()
        done_cases = 0
        next_report = max(self.n // 10, 1)
        for start, stop, count in plan:
            for t in self.arrival_times(start, stop, count):
                self.drain(t)
                case = self.new_case(t)
                self.stats["cases"] += 1
                self.live[case.mkey] = self.live.get(case.mkey, 0) + 1
                self.apply_next(case)
                done_cases += 1
                if self.progress and done_cases >= next_report:
                    next_report += max(self.n // 10, 1)
                    print(f"  {done_cases:,} cases, {self.stats['events']:,} events, {self.writer.commits:,} commits, "
                          f"{len(self.heap):,} open, {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
            self.release_months(stop)
        self.drain(self.end + 1)
        self.flush_day()
        return self.stats

    def drain(self, until: int) -> None:
        heap = self.heap
        while heap and heap[0][0] < until:
            _, _, case = heapq.heappop(heap)
            self.apply_next(case)

    def apply_next(self, case: Case) -> None:
        op = case.ops.pop()
        t, action, actor = op[0], op[1], op[2]
        if self.history == "batched":
            day = datetime.fromtimestamp(t, self.tz).date()
            if day != self.day_key:
                self.flush_day()
                self.day_key = day
        files = [case]
        ids = None
        if action == "intake":
            self.add_event(case, "intake", actor, t, op[3])
            if op[4]:
                self.add_event(case, "close", actor, t, {"resolved": True, "summary": op[4]})
            detail = op[5]
        elif action == "merge":
            target = op[3]["into"]
            if target.s.get("status") in OPEN and target is not case:
                ev = self.add_event(case, "merge", actor, t, {"into": target.id})
                self.add_event(target, "note", actor, t, {"text": f"{case.id} merged into this case as a duplicate"})
                files.append(target)
                ids = [case.id, target.id]
                detail = f"duplicate of {ev['into']}"
                self.stats["merged"] += 1
            else:
                action = "reject"
                self.add_event(case, "reject", actor, t, {"reason": "Duplicate of a request already handled"})
                detail = ""
                self.stats["merge_fallback"] += 1
        else:
            ev = self.add_event(case, action, actor, t, op[3])
            detail = _detail(action, ev)
        if self.history == "full":
            for c in files:
                self.render(c)
            message = commit_message(action, case.id, case.title, actor, detail, ids)
            self.writer.commit([(c.year, c.month, c.name, c) for c in files], message, self.author(actor), t, self.tz_text)
        else:
            for c in files:
                self.day_cases[c.id] = c
            self.day_log.append((action, case.id))
            if ids:
                self.day_log.append(("note", ids[1]))
            self.last_at = t
        if case.ops:
            self.seq += 1
            heapq.heappush(self.heap, (case.ops[-1][0], self.seq, case))
        elif self.history == "full":
            self.live[case.mkey] -= 1
            self.writer.forget(case)
        else:
            self.day_done.append(case)  # its last version is committed with the day

    def flush_day(self) -> None:
        """One commit for the simulated day (as jiesu.ops.commit_batch words it)."""
        if not self.day_cases:
            return
        counts: dict = {}
        for action, _ in self.day_log:
            counts[action] = counts.get(action, 0) + 1
        detail = ", ".join(f"{n} {a}" for a, n in counts.items())
        ids = list(self.day_cases)
        lines = [f"bench: traffic of {self.day_key.isoformat()}", "", f"{len(self.day_log)} actions on {len(ids)} cases: {detail}", ""]
        lines += [f"Jiesu-Case: {cid}" for cid in ids]
        lines += ["Jiesu-Action: batch", "Jiesu-Actor: bench"]
        for case in self.day_cases.values():
            self.render(case)  # once per case and day: only the day's last version is committed
        files = [(c.year, c.month, c.name, c) for c in self.day_cases.values()]
        self.writer.commit(files, "\n".join(lines) + "\n", self.author("bench"), self.last_at, self.tz_text)
        self.day_cases = {}
        self.day_log = []
        for case in self.day_done:
            self.live[case.mkey] -= 1
            self.writer.forget(case)
        self.day_done = []

    def release_months(self, now: int) -> None:
        """Let the writer forget month folders that can no longer change."""
        local = datetime.fromtimestamp(now, self.tz)
        horizon = (local.year * 12 + local.month - 1) - 2
        for key, live in list(self.live.items()):
            if live == 0 and key[0] * 12 + key[1] - 1 < horizon:
                self.writer.release(b"%04d" % key[0], b"%02d" % key[1])
                del self.live[key]


def _detail(action: str, ev: dict) -> str:
    """The detail line jiesu's commands write into the commit message."""
    if action == "assign":
        return f"assign to {ev['unit']}" + (f" with {', '.join(ev['co'])}" if ev.get("co") else "")
    if action == "accept":
        return f"accepted by {ev['unit']}"
    if action == "return":
        return f"returned by {ev['unit']}"
    if action == "escalate":
        return f"escalated to {ev['to']}"
    if action == "extend":
        return f"due moved to {ev['until']}"
    if action == "close":
        return "resolved" if ev["resolved"] else "not resolved"
    if action == "evaluate":
        return ev.get("satisfaction") or "not reached"
    return ""


def git(root: Path, *args: str, env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(["git", *args], cwd=root, env=env, check=True)
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("directory", type=Path)
    ap.add_argument("--cases", type=int, required=True, help="number of cases")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--history", choices=HISTORY, default="full", help="one commit per operation, or per day")
    ap.add_argument("--office", default="HL")
    ap.add_argument("--years", type=float, default=3.0, help="span of the history, ending now (default 3)")
    ap.add_argument("--writer", choices=("pack", "fast-import"), default="pack")
    ap.add_argument("--jobs", type=int, choices=(1, 2), default=2,
                    help="pack writer: 2 = write the pack in a second process while cases are rendered")
    ap.add_argument("--checkout", choices=("reset", "read-tree"), default="reset",
                    help="populate work tree and index with `git reset --hard` or `git read-tree -u --reset HEAD`")
    ap.add_argument("--check", type=int, default=2000, help="self-check the first N writes (YAML read-back, projection, deltas)")
    ap.add_argument("--no-commit-graph", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.cases < 1:
        ap.error("--cases must be at least 1")
    root = args.directory.expanduser().resolve()
    if root.exists() and any(root.iterdir()):
        ap.error(f"{root} exists and is not empty")
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    phases = {}
    t0 = time.perf_counter()

    # "now" is JIESU_NOW (or the clock); the init commit is dated just before the simulated history
    saved_now = os.environ.get("JIESU_NOW")
    end = timeutil.now(timeutil.zone("Asia/Shanghai"))
    try:
        os.environ["JIESU_NOW"] = timeutil.fmt(end - timedelta(days=int(round(365 * args.years)) + 1))
        store = init_store(root, office=args.office, name=f"{args.office} benchmark office ({args.cases:,} cases)",
                           actor="bench")
    finally:
        os.environ["JIESU_NOW"] = timeutil.fmt(end)
    base = store.git.head()
    env = pinned_env(root)
    phases["init"] = time.perf_counter() - t0

    t = time.perf_counter()
    if args.writer == "pack" and args.jobs == 2:
        writer = gitpack.PackProcess(root, base, check=args.check > 0)
    elif args.writer == "pack":
        writer = gitpack.PackWriter(root, base, check=args.check > 0)
    else:
        writer = gitpack.FastImportWriter(root, base, env)
    gen = Generator(store, args.cases, args.seed, args.history, writer, args.years, args.check, not args.quiet)
    say(f"generating {args.cases:,} cases ({args.history} history, {args.writer}) into {root}")
    try:
        stats = gen.run()
        phases["simulate+write"] = time.perf_counter() - t
        t = time.perf_counter()
        head = writer.finish()
        phases["pack index" if args.writer == "pack" else "fast-import finish"] = time.perf_counter() - t
    except BaseException:
        writer.abort()
        raise
    finally:
        if saved_now is None:
            os.environ.pop("JIESU_NOW", None)
        else:
            os.environ["JIESU_NOW"] = saved_now
    if args.writer == "pack":
        git(root, "update-ref", "-m", "bench: generated history", "refs/heads/main", head, base, env=env)
    # the work tree and the commit-graph are independent: build them side by side
    t = time.perf_counter()
    graph = None
    if not args.no_commit_graph:
        graph = subprocess.Popen(["git", "commit-graph", "write", "--reachable", "--changed-paths"], cwd=root, env=env)
    if args.checkout == "reset":
        phases["checkout (reset --hard)"] = git(root, "reset", "--hard", "-q", env=env)
    else:
        phases["checkout (read-tree -u)"] = git(root, "read-tree", "-u", "--reset", "HEAD", env=env)
    if graph is not None:
        if graph.wait() != 0:
            raise SystemExit("git commit-graph write failed")
        phases["commit-graph (alongside)"] = time.perf_counter() - t
    total = time.perf_counter() - t0
    meta = {
        "cases": args.cases, "seed": args.seed, "history": args.history, "writer": args.writer, "office": args.office,
        "now": timeutil.fmt(end), "commits": writer.commits + 1, "events": stats["events"],
        "merged": stats["merged"], "phases": {k: round(v, 2) for k, v in phases.items()}, "total_seconds": round(total, 2),
    }
    (root / ".jiesu").mkdir(exist_ok=True)
    (root / ".jiesu" / "bench.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    pack_bytes = sum(p.stat().st_size for p in (root / ".git" / "objects" / "pack").glob("*.pack"))
    say(f"done: {args.cases:,} cases, {stats['events']:,} events, {writer.commits:,} commits, pack {pack_bytes / 1e6:,.0f} MB")
    for name, seconds in phases.items():
        say(f"  {name:<26} {seconds:8.1f} s")
    say(f"  {'total':<26} {total:8.1f} s")
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
