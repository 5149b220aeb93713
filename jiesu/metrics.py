"""Assessment arithmetic (DESIGN §3): pure functions over assessment records, no I/O.

A record is one case's part in one period's assessment (see `jiesu.assessment.record`):
`{id, reached, contacted (the caller's answer), resolved, score (0–100 or None), weights
{indicator: w}, response (timeliness, 0–1), accept, contact, complete, discrepancy, on_time,
accepted_on_time}`. Rates are fractions; the composite score is on 0–100.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

Z95 = 1.959963984540054
# the indicators a scheme may weigh (assessment.yaml `weights`); the one definition
INDICATORS = ("response", "resolution", "satisfaction", "on_time", "acceptance_on_time")


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The 95 % Wilson score interval of a proportion (None when n is 0)."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def response_value(record: dict) -> float:
    """A case's response value on 0–1: its timeliness (a record without one: the caller's answer)."""
    if "response" in record:
        return float(record["response"])
    return 1.0 if record["contacted"] else 0.0


def case_value(record: dict) -> float:
    """One reached case's composite value on 0–1: the weighted sum of its indicators."""
    w = record["weights"]
    parts = {
        "response": response_value(record),
        "resolution": 1.0 if record["resolved"] else 0.0,
        "satisfaction": (record["score"] or 0.0) / 100.0,
        "on_time": 1.0 if record.get("on_time") else 0.0,
        "acceptance_on_time": 1.0 if record.get("accepted_on_time") else 0.0,
    }
    return sum(w.get(k, 0.0) * parts[k] for k in INDICATORS)


@dataclass
class UnitScore:
    """Every number of one unit in one period."""

    unit: str
    assessed: int
    reached: int
    response_rate: float | None = None
    resolution_rate: float | None = None
    satisfaction_rate: float | None = None
    on_time_rate: float | None = None
    acceptance_on_time_rate: float | None = None
    score: float | None = None
    score_se: float | None = None
    response_ci: tuple | None = None
    resolution_ci: tuple | None = None
    satisfaction_ci: tuple | None = None
    on_time_ci: tuple | None = None
    score_ci: tuple | None = None
    schemes: dict = field(default_factory=dict)
    contact_confirmed_rate: float | None = None
    contact_confirmed_ci: tuple | None = None
    accept_rate: float | None = None
    contact_rate: float | None = None
    complete_rate: float | None = None
    discrepancies: int = 0
    exemptions_pending: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def score_unit(unit: str, records: list[dict]) -> UnitScore:
    """Rates, intervals and the composite score of one unit's assessed records.

    Rates are over the reached set R; with |R| = 0 they are undefined (None). On-time and
    acceptance-on-time rates are over the assessed set A, less cases without a time limit.
    """
    assessed = len(records)
    reached = [r for r in records if r["reached"]]
    n = len(reached)
    result = UnitScore(unit, assessed, n)
    schemes: dict = {}
    for r in records:
        schemes[r.get("scheme", "?")] = schemes.get(r.get("scheme", "?"), 0) + 1
    result.schemes = schemes
    result.exemptions_pending = sum(1 for r in records if r.get("exemption") == "pending")
    timed = [r for r in records if r.get("on_time") is not None]  # cases without a time limit are skipped
    if timed:
        on_time = sum(1 for r in timed if r.get("on_time"))
        accepted = sum(1 for r in timed if r.get("accepted_on_time"))
        result.on_time_rate = on_time / len(timed)
        result.acceptance_on_time_rate = accepted / len(timed)
        result.on_time_ci = wilson(on_time, len(timed))
    if n == 0:
        return result
    result.discrepancies = sum(1 for r in reached if r.get("discrepancy"))
    contacted = sum(1 for r in reached if r["contacted"])
    response = sum(response_value(r) for r in reached)
    resolved = sum(1 for r in reached if r["resolved"])
    satisfaction = sum((r["score"] or 0.0) for r in reached) / 100.0
    result.response_rate = response / n
    result.contact_confirmed_rate = contacted / n
    result.contact_confirmed_ci = wilson(contacted, n)
    result.accept_rate = sum(1 for r in reached if r.get("accept")) / n
    result.contact_rate = sum(1 for r in reached if r.get("contact")) / n
    result.complete_rate = sum(1 for r in reached if r.get("complete")) / n
    result.resolution_rate = resolved / n
    result.satisfaction_rate = satisfaction / n
    result.response_ci = wilson(response, n)
    result.resolution_ci = wilson(resolved, n)
    result.satisfaction_ci = wilson(satisfaction, n)
    values = [case_value(r) for r in reached]
    mean = sum(values) / n
    result.score = 100.0 * mean
    if n > 1:
        variance = sum((v - mean) ** 2 for v in values) / (n - 1)
        result.score_se = 100.0 * math.sqrt(variance / n)
    else:
        result.score_se = None
    low, high = wilson(mean * n, n)
    result.score_ci = (100.0 * low, 100.0 * high)
    return result


def _key(s: UnitScore):
    return (-round(s.score, 9), -round(s.resolution_rate, 9), -round(s.satisfaction_rate, 9), s.unit)


def rank(scores: list[UnitScore], min_cases: int) -> tuple[list[dict], list[UnitScore]]:
    """(ranked rows in order, units not ranked): score ↓, resolution ↓, satisfaction ↓, unit id;
    equal scores share a rank (1, 2, 2, 4)."""
    eligible = sorted((s for s in scores if s.reached >= min_cases and s.score is not None), key=_key)
    rows, previous_score, previous_rank = [], None, 0
    for position, s in enumerate(eligible, 1):
        shared = previous_score is not None and round(s.score, 9) == round(previous_score, 9)
        number = previous_rank if shared else position
        rows.append({"unit": s.unit, "rank": number, "position": position, "scores": s})
        previous_score, previous_rank = s.score, number
    for row in rows:
        mine = round(row["scores"].score, 9)
        row["better"] = sum(1 for o in rows if round(o["scores"].score, 9) > mine)
        row["worse"] = sum(1 for o in rows if round(o["scores"].score, 9) < mine)
    not_ranked = [s for s in scores if not (s.reached >= min_cases and s.score is not None)]
    return rows, sorted(not_ranked, key=lambda s: s.unit)


def overlaps(a: tuple | None, b: tuple | None) -> bool:
    return a is not None and b is not None and a[0] <= b[1] and b[0] <= a[1]


def ties(rows: list[dict]) -> tuple[dict, list[list[str]]]:
    """Which ranked units are statistically tied (their 95 % score intervals overlap).

    Returns ({unit: [units whose interval overlaps it]}, groups): a group is a run of
    consecutive units in rank order, each overlapping the next; groups of one are left out.
    """
    tied_with = {}
    for row in rows:
        mine = row["scores"].score_ci
        tied_with[row["unit"]] = [o["unit"] for o in rows if o is not row and overlaps(mine, o["scores"].score_ci)]
    groups, current = [], []
    for row in rows:
        if current and overlaps(current[-1]["scores"].score_ci, row["scores"].score_ci):
            current.append(row)
        else:
            if len(current) > 1:
                groups.append([r["unit"] for r in current])
            current = [row]
    if len(current) > 1:
        groups.append([r["unit"] for r in current])
    return tied_with, groups


def band(better: int, worse: int, change: int | None, score: float, rules: list[dict]) -> str | None:
    """The first band rule (in assessment.yaml order) that a ranked unit matches.

    `better`/`worse` count the ranked units with a strictly higher/lower score, so units tied at
    the edge of the top or bottom N are treated alike. Scores compare at 6 decimals.
    """
    score = round(score, 6)
    for rule in rules:
        kind, value = rule["rule"], rule["value"]
        if kind == "top" and better < value:
            return rule["code"]
        if kind == "bottom" and worse < value:
            return rule["code"]
        if kind == "improved_by" and change is not None and change >= value:
            return rule["code"]
        if kind == "score_below" and score < value:
            return rule["code"]
        if kind == "score_at_least" and score >= value:
            return rule["code"]
    return None


def per_10k(volume: int, population: int | None) -> float | None:
    return None if not population else volume * 10000 / population
