"""The monthly assessment, checked against numbers worked out by hand.

November 2021 at street level, with assessment.yaml set to min_cases 3, top/bottom 2 and bands
advanced (top 2), special-measures (bottom 2), making-progress (improved by 2), restructuring
(score below 80), bands on rank alone (`evidence: none`; the funnel's evidence is tested in
test_assessment_evidence.py). Each case below is (contacted, resolved, satisfaction): with
contacted 1 the unit records a contact within the limit and the caller confirms it, with 0 there
is neither. Every case is accepted and closed in time except willow-grove's November cases
(accepted three hours after dispatch; the limit is 2 h), so a case's response value is
(accept + contact + complete)/3, and a daily case is worth 0.2·response + 0.4·resolved +
0.4·score/100, an epidemic one 0.4·response + 0.4·resolved + 0.2·score/100.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

import pytest
from conftest import REPO, git
from hypothesis import given, settings
from hypothesis import strategies as st

from jiesu import metrics, ops
from jiesu.ops.common import commit_batch
from jiesu.store import Store, yamlio

V, S, B, D, X = "very-satisfied", "satisfied", "basically-satisfied", "dissatisfied", "very-dissatisfied"
DG, BD = "dragon-gate/", "bell-drum/"
ASSESSMENT = """satisfaction:
- {code: very-satisfied, score: 100, name: {en: Very satisfied, zh: 非常满意}}
- {code: satisfied, score: 80, name: {en: Satisfied, zh: 满意}}
- {code: basically-satisfied, score: 60, name: {en: Basically satisfied, zh: 基本满意}}
- {code: dissatisfied, score: 20, name: {en: Dissatisfied, zh: 不满意}}
- {code: very-dissatisfied, score: 0, name: {en: Very dissatisfied, zh: 非常不满意}}
schemes:
- {code: daily, name: {en: Daily, zh: 日常}, weights: {response: 0.2, resolution: 0.4, satisfaction: 0.4}}
- {code: epidemic, name: {en: Epidemic, zh: 涉疫}, weights: {response: 0.4, resolution: 0.4, satisfaction: 0.2}}
default_scheme: daily
min_cases: 3
level: street
top: 2
bands:
- {code: advanced, name: {en: Advanced, zh: 先进}, rule: {top: 2}}
- {code: special-measures, name: {en: Special measures, zh: 重点治理}, rule: {bottom: 2}}
- {code: making-progress, name: {en: Making progress, zh: 进步}, rule: {improved_by: 2}}
- {code: restructuring, name: {en: Undergoing restructuring, zh: 整改}, rule: {score_below: 80}}
evidence: none
"""

# November: unit → follow-ups (contacted, resolved, level[, "epidemic"]); None = not reached
NOVEMBER = {
    DG + "eternal-town": [(1, 1, V)] * 10,                                    # A 100.00
    DG + "dragon-spring": [(1, 1, V)] * 3 + [(1, 1, S)],                      # B 98.00
    DG + "north-garden": [(1, 1, V)] * 3 + [(1, 1, S)],                       # C 98.00, tied with B
    DG + "west-hills": [(1, 1, V), (1, 1, V), (1, 1, X)],                     # E 86.67, resolution 1
    BD + "confucius-temple": [(1, 1, V), (1, 1, V), (1, 0, V)],               # F 86.67, resolution 2/3
    DG + "willow-grove": [(1, 1, V), (0, 1, S), (1, 0, B, "epidemic"), (1, 1, S, "epidemic")],  # G 73.33, two schemes, late
    DG + "twin-rivers": [(1, 1, S)] * 3 + [None],                             # H 92.00, n = 3 (= min_cases)
    DG + "stone-bridge": [(1, 1, V), (1, 1, S), (1, 1, B)],                   # M (+ reopened case, + exempt case)
    DG + "peach-orchard": [(1, 1, V), (1, 1, V)],                             # N (+ case re-assigned later)
    BD + "bell-tower": [(1, 1, V), (1, 1, V)],                                # I n = 2 < 3: not ranked
    BD + "drum-tower": [None, None],                                          # J nobody reached
    BD + "jade-river": [(1, 1, B)] * 2 + [(1, 0, D), (0, 1, X)] + [(0, 0, X)] * 4,  # K 37.83
    BD + "south-granary": [(1, 1, S), (1, 1, S), (1, 0, B)],                  # L 76.00
}
OCTOBER = {
    BD + "jade-river": [(1, 1, V)] * 3,        # 100   → October rank 1
    BD + "south-granary": [(1, 1, S)] * 3,     # 92    → 2
    DG + "eternal-town": [(1, 1, B)] * 3,      # 84    → 3
    DG + "peach-orchard": [(1, 0, B)] * 3,     # 44    → 4
    DG + "willow-grove": [(0, 0, X)] * 3,      # 0     → 5
}


def hand_value(c, r, level, scheme="daily", accept=1):
    score = {V: 100, S: 80, B: 60, D: 20, X: 0}[level] / 100
    w = (0.2, 0.4, 0.4) if scheme == "daily" else (0.4, 0.4, 0.2)
    return w[0] * (accept + c + 1) / 3 + w[1] * r + w[2] * score


def hand_wilson(p, n, z=1.959963984540054):
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return 100 * max(0, centre - half), 100 * min(1, centre + half)


def follow_up(store, tx, unit, outcome, received, *, tags=(), accept_after=timedelta(minutes=20), close_after=timedelta(days=2)):
    rec = {"title": "Assessment case", "type": "complaint", "category": "env.garbage.unregulated-collection",
           "tags": list(tags), "at": received.isoformat()}
    if unit == "housing":
        rec["district"] = "dragon-gate"
    else:
        rec["street"] = unit
    case_id = ops.intake(store, [rec], "op", tx=tx)[0].case_id
    ops.assign(store, case_id, "d", unit=unit, at=(received + timedelta(minutes=10)).isoformat(), tx=tx)
    accepted = received + timedelta(minutes=10) + accept_after
    ops.accept(store, case_id, "u", at=accepted.isoformat(), tx=tx)
    if outcome is not None and outcome[0]:
        ops.contact(store, case_id, "u", "called back", at=(accepted + timedelta(minutes=30)).isoformat(), tx=tx)
    closed = received + close_after
    ops.close(store, case_id, "u", True, "done", at=closed.isoformat(), tx=tx)
    when = (closed + timedelta(days=1)).isoformat()
    if outcome is None:
        ops.evaluate(store, case_id, "cb", False, at=when, tx=tx)
    else:
        c, r, level = outcome[:3]
        ops.evaluate(store, case_id, "cb", True, bool(c), bool(r), level, reason="why", at=when, tx=tx)
    return case_id


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """The store, built once: 70 cases in October and November 2021."""
    import os

    saved = {k: os.environ.get(k) for k in ("JIESU_NOW", "JIESU_ACTOR")}
    os.environ["JIESU_NOW"] = "2021-12-05T12:00:00"
    root = tmp_path_factory.mktemp("assess") / "store"
    store = ops.init_store(root, actor="admin")
    (root / "catalog" / "assessment.yaml").write_text(ASSESSMENT, "utf-8")
    git(root, "commit", "-qam", "assessment settings of the test")
    store = Store(root)
    ids = {}
    with store.transaction("build", batch=True) as tx:
        for unit, outcomes in OCTOBER.items():
            for i, outcome in enumerate(outcomes):
                follow_up(store, tx, unit, outcome, datetime(2021, 10, 5 + i, 9, 0))
        # M: evaluated dissatisfied in October, reopened, re-evaluated very satisfied in November
        m = follow_up(store, tx, DG + "stone-bridge", (0, 0, D), datetime(2021, 10, 20, 9, 0))
        ops.reopen(store, m, "cb", "dissatisfied", at="2021-11-02T09:00:00", tx=tx)
        ops.accept(store, m, "u", at="2021-11-02T09:20:00", tx=tx)
        ops.close(store, m, "u", True, "fixed", at="2021-11-04T09:00:00", tx=tx)
        ops.evaluate(store, m, "cb", True, True, True, V, at="2021-11-05T09:00:00", tx=tx)
        ids["reopened"] = m
        for unit, outcomes in NOVEMBER.items():
            for i, outcome in enumerate(outcomes):
                tags = ("epidemic",) if outcome and len(outcome) > 3 else ()
                accept_after = timedelta(hours=3) if unit == DG + "willow-grove" else timedelta(minutes=20)
                close_after = timedelta(days=8) if (unit == DG + "twin-rivers" and outcome is None) else timedelta(days=2)
                case_id = follow_up(store, tx, unit, outcome, datetime(2021, 11, 1 + i, 9, 0), tags=tags,
                                    accept_after=accept_after, close_after=close_after)
                if unit == DG + "willow-grove" and tags:
                    ids.setdefault("epidemic", case_id)
        # M: a very dissatisfied follow-up that was then exempted (confirmed unreasonable demand)
        ex = follow_up(store, tx, DG + "stone-bridge", (0, 0, X), datetime(2021, 11, 12, 9, 0))
        ops.exempt(store, ex, "lead", "Demand beyond any policy", at="2021-11-20T09:00:00", tx=tx, type="unreasonable")
        ops.decide_exemption(store, ex, "centre", True, at="2021-11-21T09:00:00", tx=tx)
        ids["exempt"] = ex
        # N: evaluated in November for peach-orchard, re-opened and re-assigned to eternal-town in December
        n = follow_up(store, tx, DG + "peach-orchard", (1, 1, S), datetime(2021, 11, 10, 9, 0))
        ops.reopen(store, n, "cb", "came back", at="2021-11-28T09:00:00", tx=tx)
        ops.assign(store, n, "d", unit=DG + "eternal-town", at="2021-12-01T09:00:00", tx=tx)
        ids["reassigned"] = n
        # a department (no population)
        for i, outcome in enumerate([(1, 1, V), (1, 1, S), (1, 0, S)]):
            follow_up(store, tx, "housing", outcome, datetime(2021, 11, 20 + i, 9, 0))
        # a rejected call and a merged duplicate: never assessed
        rej = ops.intake(store, [{"title": "no request", "type": "consultation", "at": "2021-11-03T02:00:00"}], "op", tx=tx)[0].case_id
        ops.reject(store, rej, "op", "invalid", at="2021-11-03T02:05:00", tx=tx)
        commit_batch(store, tx, "op", "assessment test data")
    yield store, ids
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def ranking(month, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2021-12-05T12:00:00")
    from jiesu import assessment

    store, _ = month
    return assessment.ranking(Store(store.root), "2021-11")


def test_scores_and_rates_by_hand(ranking):
    rows = {r["unit"]: r for r in ranking.ranked}
    # A: ten perfect follow-ups
    a = rows[DG + "eternal-town"]
    assert (a["score"], a["response_rate"], a["resolution_rate"], a["satisfaction_rate"]) == (100, 1, 1, 1)
    assert (a["assessed"], a["reached"]) == (10, 10)
    # B: 1, 1, 1, 0.92 → 98; satisfaction (300 + 80) / 400
    b = rows[DG + "dragon-spring"]
    assert b["score"] == pytest.approx(98.0) and b["satisfaction_rate"] == pytest.approx(0.95)
    # G: accepted late, so response 2/3 with a contact and 1/3 without; two schemes —
    # daily 0.2·2/3 + 0.4 + 0.4 = 0.9333 and 0.2·1/3 + 0.4 + 0.32 = 0.7867,
    # epidemic 0.4·2/3 + 0.12 = 0.3867 and 0.4·2/3 + 0.4 + 0.16 = 0.8267 → 2.9333 / 4 = 73.33
    g = rows[DG + "willow-grove"]
    assert g["score"] == pytest.approx(100 * 2.2 / 3)
    assert (g["response_rate"], g["resolution_rate"], g["satisfaction_rate"]) == (pytest.approx(7 / 12), 0.75, pytest.approx(0.8))
    assert (g["accept_rate"], g["contact_rate"], g["complete_rate"]) == (0, 0.75, 1)
    assert g["contact_confirmed_rate"] == 0.75 and g["discrepancies"] == 0
    weighted = 100 * (0.2 * 7 / 12 + 0.4 * 0.75 + 0.4 * 0.8)
    assert g["score"] != pytest.approx(weighted)  # not the daily weighted sum (73.67): two schemes apply
    assert g["acceptance_on_time_rate"] == 0  # accepted three hours after dispatch; the limit is 2 h
    # H: exactly min_cases reached (3 × 0.92) plus one unreached case closed late
    h = rows[DG + "twin-rivers"]
    assert h["score"] == pytest.approx(92.0) and (h["assessed"], h["reached"]) == (4, 3)
    assert h["on_time_rate"] == 0.75
    # M: three November cases (1, 0.92, 0.84) + the reopened case's latest evaluation (0.9333: never
    # contacted, so response 2/3, though the caller says he was); the approved exemption excluded
    m = rows[DG + "stone-bridge"]
    assert m["score"] == pytest.approx(100 * (2.76 + 2.8 / 3) / 4) and (m["assessed"], m["reached"]) == (4, 4)
    assert m["exemptions_approved"] == 1 and m["exemptions_pending"] == 0
    # N: 1, 1 and the case re-assigned in December after its November evaluation (0.92)
    n = rows[DG + "peach-orchard"]
    assert n["score"] == pytest.approx(100 * 2.92 / 3) and n["reached"] == 3
    # K: 0.84, 0.84, 0.28, 0.5333 and four of 0.1333 (accepted and closed in time, never contacted) → 3.0267 / 8
    k = rows[BD + "jade-river"]
    assert k["score"] == pytest.approx(100 * (1.68 + 0.28 + 0.4 + 0.4 / 3 + 4 * 0.4 / 3) / 8)
    assert k["score"] == pytest.approx(37.83, abs=0.005)
    # response: three cases 1, five 2/3 → 19/24; contact confirmed 3/8
    assert (k["response_rate"], k["resolution_rate"], k["satisfaction_rate"]) == (pytest.approx(19 / 24), 0.375, pytest.approx(0.175))
    assert k["contact_confirmed_rate"] == 0.375
    assert rows[BD + "south-granary"]["score"] == pytest.approx(76.0)
    for unit, outcomes in NOVEMBER.items():
        if unit in rows and unit not in (DG + "stone-bridge", DG + "peach-orchard"):
            reached = [o for o in outcomes if o]
            accept = 0 if unit == DG + "willow-grove" else 1
            expected = 100 * sum(hand_value(o[0], o[1], o[2], "epidemic" if len(o) > 3 else "daily", accept) for o in reached) / len(reached)
            assert rows[unit]["score"] == pytest.approx(expected), unit


def test_ranks_shared_ranks_and_order(ranking):
    order = [(r["unit"], r["rank"]) for r in ranking.ranked]
    assert order == [
        (DG + "eternal-town", 1),
        (DG + "dragon-spring", 2), (DG + "north-garden", 2),      # equal score: shared rank, then unit id
        (DG + "peach-orchard", 4),
        (DG + "stone-bridge", 5),
        (DG + "twin-rivers", 6),
        (DG + "west-hills", 7), (BD + "confucius-temple", 7),     # equal score: higher resolution first
        (BD + "south-granary", 9),
        (DG + "willow-grove", 10),
        (BD + "jade-river", 11),
    ]


def test_not_ranked_units_are_listed_with_why(ranking):
    why = {r["unit"]: r["why"] for r in ranking.not_ranked}
    assert why[BD + "bell-tower"] == "n = 2 < 3"
    assert why[BD + "drum-tower"] == "no reached follow-up"
    drum = next(r for r in ranking.not_ranked if r["unit"] == BD + "drum-tower")
    assert (drum["assessed"], drum["reached"], drum["score"]) == (2, 0, None)
    assert len(ranking.ranked) + len(ranking.not_ranked) == 36  # every street/town appears once


def test_previous_rank_change_and_bands(ranking):
    rows = {r["unit"]: r for r in ranking.ranked}
    # October: jade-river 1, south-granary 2, eternal-town 3, peach-orchard 4, willow-grove 5
    assert (rows[DG + "eternal-town"]["prev_rank"], rows[DG + "eternal-town"]["change"]) == (3, 2)
    assert (rows[DG + "peach-orchard"]["prev_rank"], rows[DG + "peach-orchard"]["change"]) == (4, 0)
    assert (rows[DG + "willow-grove"]["prev_rank"], rows[DG + "willow-grove"]["change"]) == (5, -5)
    assert (rows[BD + "south-granary"]["prev_rank"], rows[BD + "south-granary"]["change"]) == (2, -7)
    assert (rows[BD + "jade-river"]["prev_rank"], rows[BD + "jade-river"]["change"]) == (1, -10)
    assert rows[DG + "stone-bridge"]["prev_rank"] is None  # its October evaluation was superseded by November's
    bands = {u: r["band"] for u, r in rows.items()}
    assert bands == {
        DG + "eternal-town": "advanced",      # top 2 (nobody better)
        DG + "dragon-spring": "advanced",     # one unit better
        DG + "north-garden": "advanced",      # tied with dragon-spring at the edge: named together
        DG + "peach-orchard": None, DG + "stone-bridge": None, DG + "twin-rivers": None,
        DG + "west-hills": None, BD + "confucius-temple": None,
        BD + "south-granary": "restructuring",  # 76 < 80; two units worse: not in the bottom 2
        DG + "willow-grove": "special-measures",
        BD + "jade-river": "special-measures",
    }
    assert ranking.top == [DG + "eternal-town", DG + "dragon-spring", DG + "north-garden"]
    assert ranking.bottom == [BD + "jade-river", DG + "willow-grove"]


def test_statistical_ties(ranking):
    rows = {r["unit"]: r for r in ranking.ranked}
    n = {u: r["reached"] for u, r in rows.items()}
    intervals = {u: hand_wilson(r["score"] / 100, n[u]) for u, r in rows.items()}
    for unit, r in rows.items():
        assert r["score_ci"] == pytest.approx(list(intervals[unit]))
        expected = sorted(o for o in rows if o != unit and intervals[o][0] <= intervals[unit][1] and intervals[unit][0] <= intervals[o][1])
        assert sorted(r["tied_with"]) == expected, unit
    # by hand: A (p = 1, n = 10): centre (1 + 0.1921)/1.3842 = 0.8612, half 1.96·√0.009604/1.3842 = 0.1388 → 72.25
    # K (p = 0.37833, n = 8): centre (0.37833 + 0.24009)/1.48018 = 0.41780,
    # half 1.96·√(0.029400 + 0.015006)/1.48018 = 0.27904 → 69.68
    assert intervals[DG + "eternal-town"][0] == pytest.approx(72.25, abs=0.01)
    assert intervals[BD + "jade-river"][1] == pytest.approx(69.68, abs=0.01)
    assert BD + "jade-river" not in rows[DG + "eternal-town"]["tied_with"]
    assert DG + "north-garden" in rows[DG + "dragon-spring"]["tied_with"]
    # groups chain neighbours in rank order; south-granary (76 on n = 3: centre 0.6140, half 0.3518 → 26.2–96.6)
    # still overlaps jade-river, so one chain holds all eleven although A and K differ for real
    assert intervals[BD + "south-granary"] == pytest.approx((26.22, 96.58), abs=0.01)
    order = [r["unit"] for r in ranking.ranked]
    chain = all(intervals[a][0] <= intervals[b][1] and intervals[b][0] <= intervals[a][1] for a, b in zip(order, order[1:]))
    assert chain and ranking.tie_groups == [order]


def test_score_standard_error_by_hand(ranking):
    rows = {r["unit"]: r for r in ranking.ranked}
    values = [hand_value(1, 1, V, accept=0), hand_value(0, 1, S, accept=0), hand_value(1, 0, B, "epidemic", 0),
              hand_value(1, 1, S, "epidemic", 0)]  # willow-grove: 0.9333, 0.7867, 0.3867, 0.8267
    mean = sum(values) / 4
    se = 100 * math.sqrt(sum((v - mean) ** 2 for v in values) / 3 / 4)
    assert rows[DG + "willow-grove"]["score_se"] == pytest.approx(se)
    assert rows[DG + "eternal-town"]["score_se"] == 0


def test_volume_per_10k(ranking):
    units = yamlio.load((REPO / "catalog" / "units.yaml").read_text("utf-8"))["units"]
    population = next(u["population"] for u in units if u["id"] == DG + "eternal-town")
    a = next(r for r in ranking.ranked if r["unit"] == DG + "eternal-town")
    assert a["volume"] == 10 and a["volume_per_10k"] == pytest.approx(10 * 10000 / population)


def test_district_aggregation(month, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2021-12-05T12:00:00")
    from jiesu import assessment

    store, _ = month
    result = assessment.ranking(Store(store.root), "2021-11", "district")
    rows = {r["unit"]: r for r in result.ranked}
    dragon_values = [hand_value(o[0], o[1], o[2], "epidemic" if len(o) > 3 else "daily", 0 if u == DG + "willow-grove" else 1)
                     for u, outs in NOVEMBER.items() if u.startswith(DG) for o in outs if o]
    dragon_values += [hand_value(0, 1, V), hand_value(1, 1, S)]  # the reopened case (stone-bridge) and the re-assigned one
    # 10 + 4 + 4 + 3 + 4 + 3 + 3 + 2 = 33 November follow-ups, plus the two special cases
    assert rows["dragon-gate"]["reached"] == len(dragon_values) == 35
    assert rows["dragon-gate"]["score"] == pytest.approx(100 * sum(dragon_values) / len(dragon_values))
    bell = [o for u, outs in NOVEMBER.items() if u.startswith(BD) for o in outs if o]
    assert rows["bell-drum"]["reached"] == len(bell) == 16
    assert rows["bell-drum"]["assessed"] == len(bell) + 2  # drum-tower's two unreached
    assert rows["bell-drum"]["score"] == pytest.approx(100 * sum(hand_value(*o[:3]) for o in bell) / len(bell))
    # the department is not part of any district; ranked at department level, without population
    dept = assessment.ranking(Store(store.root), "2021-11", "department")
    housing = next(r for r in dept.ranked if r["unit"] == "housing")
    assert housing["score"] == pytest.approx(100 * (1.0 + 0.92 + hand_value(1, 0, S)) / 3)
    assert housing["population"] is None and housing["volume_per_10k"] is None and housing["volume"] == 3


def test_rank_command_json_and_table(month):
    from click.testing import CliRunner

    from jiesu.cli import cli

    store, _ = month
    env = {"JIESU_STORE": str(store.root), "JIESU_NOW": "2021-12-05T12:00:00"}
    out = CliRunner().invoke(cli, ["rank", "--month", "2021-11", "--format", "json"], env=env)
    data = json.loads(out.stdout)
    keys = {"unit", "name", "rank", "score", "response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate",
            "assessed", "reached", "prev_rank", "change", "band", "tied_with"}
    assert keys <= set(data["ranked"][0])
    table = CliRunner().invoke(cli, ["rank", "--month", "2021-11"], env=env).stdout
    assert "98.00" in table and "100.00%" in table and "↑2" in table and "↓10" in table
    assert "bell-drum/bell-tower — Bell Tower Street: not ranked (n = 2 < 3, assessed 2)" in table
    top = json.loads(CliRunner().invoke(cli, ["rank", "--month", "2021-11", "--top", "2", "--format", "json"], env=env).stdout)
    assert [r["unit"] for r in top["ranked"]] == [DG + "eternal-town", DG + "dragon-spring", DG + "willow-grove", BD + "jade-river"]
    bad = CliRunner().invoke(cli, ["rank", "--month", "2021-13"], env=env)
    assert bad.exit_code == 1 and "--month: '2021-13' is not a month" in bad.stderr


def test_records_kept_in_the_index_equal_records_worked_out_again(month, monkeypatch):
    """`rank` reads each case's assessment record from the index; a row without one (it could not
    be worked out when indexed) is worked out from the case again, with the same ranking."""
    import shutil
    import sqlite3

    from jiesu import assessment

    monkeypatch.setenv("JIESU_NOW", "2021-12-05T12:00:00")
    store, _ = month
    copy = month[0].root.parent / "copy-of-store"
    shutil.copytree(store.root, copy)
    kept = assessment.ranking(Store(copy), "2021-11").as_dict()
    db = sqlite3.connect(copy / ".jiesu" / "index.sqlite")
    with db:
        assert db.execute("UPDATE case_rows SET assess = NULL WHERE evaluated_ts IS NOT NULL").rowcount > 60
    db.close()
    again = assessment.ranking(Store(copy), "2021-11").as_dict()
    assert again == kept and len(kept["ranked"]) >= 10


def test_show_explains_the_contribution(month, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2021-12-05T12:00:00")
    from jiesu import assessment

    store, ids = month
    s = Store(store.root)
    lines = assessment.explain(s, s.load_case(ids["epidemic"]))
    assert lines[0] == "assessed in 2021-11 for dragon-gate/willow-grove (and dragon-gate)"
    assert lines[1] == "response (timeliness): accept 0.3333 × 0 + contact 0.3333 × 1 + complete 0.3333 × 1 = 0.6667"
    assert lines[2] == "scheme epidemic: response 0.4 × 0.6667 + resolution 0.4 × 0 + satisfaction 0.2 × 0.6 = 0.3867"
    assert assessment.explain(s, s.load_case(ids["exempt"]))[0].startswith("not assessed: exempt")
    assert assessment.explain(s, s.load_case(ids["reassigned"]))[0].startswith("assessed in 2021-11 for dragon-gate/peach-orchard")


def test_bad_assessment_yaml_is_refused_with_line(tmp_path):
    import shutil

    from jiesu.catalog import load_catalog
    from jiesu.errors import CatalogError

    folder = tmp_path / "catalog"
    shutil.copytree(REPO / "catalog", folder)
    (folder / "assessment.yaml").write_text(ASSESSMENT.replace("level: street", "level: galaxy").replace(
        "rule: {top: 2}", "rule: {luckiest: 2}"), "utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    text = "\n".join(info.value.problems)
    assert "catalog/assessment.yaml:12: level 'galaxy': allowed street, district, department" in text
    assert "advanced: rule must be one of top, bottom, improved_by, score_below, score_at_least" in text


record = st.fixed_dictionaries({
    "reached": st.booleans(), "contacted": st.booleans(), "resolved": st.booleans(),
    "response": st.sampled_from([0, 1 / 3, 2 / 3, 1]),
    "score": st.sampled_from([0, 20, 60, 80, 100]), "on_time": st.booleans(), "accepted_on_time": st.booleans(),
})
weights = st.tuples(st.integers(0, 10), st.integers(0, 10), st.integers(0, 10)).filter(lambda w: sum(w) > 0)


@settings(max_examples=300, deadline=None)
@given(records=st.lists(record, min_size=1, max_size=30), w=weights)
def test_composite_equals_weighted_rates_with_one_scheme(records, w):
    total = sum(w)
    scheme = {"response": w[0] / total, "resolution": w[1] / total, "satisfaction": w[2] / total}
    recs = [dict(r, weights=scheme, scheme="one") for r in records]
    s = metrics.score_unit("u", recs)
    if s.reached == 0:
        assert s.score is None and s.response_rate is None
        return
    weighted = 100 * (scheme["response"] * s.response_rate + scheme["resolution"] * s.resolution_rate
                      + scheme["satisfaction"] * s.satisfaction_rate)
    assert s.score == pytest.approx(weighted, abs=1e-9)
