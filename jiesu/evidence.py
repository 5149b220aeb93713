"""What a ranking can bear (DESIGN §3): the funnel plot, bootstrap rank intervals, the named best
and worst lists, and bands that need evidence. Pure functions over case values, no I/O.

A case value is a reached case's composite value on 0–1 (`metrics.case_value`); a unit's score is
100 × the mean of its case values. Everything here is on that 0–100 scale.

Funnel plot (Spiegelhalter, "Funnel plots for comparing institutional performance", Statistics in
Medicine 24, 2005): the target θ₀ is the office score (mean of every reached case's value at the
level), s the observed standard deviation of those case values (N − 1 in the denominator), and a
unit with n reached cases has limits θ₀ ± z·s·√φ/√n, z = 1.96 (95 %) and 3.09 (99.8 %).
Over-dispersion: each ranked unit's z-score zᵢ = (yᵢ − θ₀)/(s/√nᵢ); the ⌊I/10⌋ lowest and highest
z-scores are Winsorised (set to the next value in), and φ̂ = Σ zᵢ²/I. Under the null hypothesis
I·φ̂ is about χ² with I degrees of freedom; when it exceeds that distribution's 95th percentile
the limits are widened by √φ̂, otherwise φ = 1.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left

from jiesu import i18n
from jiesu.terms import band as band_name

Z95 = 1.959963984540054
Z998 = 3.090232306167813
# units with more reached cases than this draw their resampled mean from the normal
# approximation (mean, s/√n) instead of n draws: the same distribution to well within a rank,
# and a ranking of a city's units stays fast
EXACT_UP_TO = 30


def _lower_gamma(a: float, x: float) -> float:
    """The regularised lower incomplete gamma function P(a, x) (series, or continued fraction)."""
    if x <= 0:
        return 0.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        k = a
        while abs(term) > abs(total) * 1e-15:
            k += 1
            term *= x / k
            total += term
        return total * math.exp(log_front)
    # Lentz's continued fraction for Q(a, x) = 1 − P(a, x)
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 500):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return 1 - math.exp(log_front) * h


def chi2_upper_95(df: int) -> float:
    """The 95th percentile of χ² with `df` degrees of freedom (bisection on its distribution)."""
    low, high = 0.0, df + 20 * math.sqrt(2 * df) + 20
    for _ in range(200):
        mid = (low + high) / 2
        if _lower_gamma(df / 2, mid / 2) < 0.95:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def winsorised(values: list[float], share: float = 0.1) -> list[float]:
    """The values with the ⌊share·I⌋ lowest and highest set to the nearest value kept."""
    ordered = sorted(values)
    k = int(share * len(ordered))
    if k == 0:
        return ordered
    return [ordered[k]] * k + ordered[k:len(ordered) - k] + [ordered[-k - 1]] * k


def _mean(values):
    return sum(values) / len(values)


def funnel(values_by_unit: dict[str, list[float]], all_values: list[float]) -> dict | None:
    """The funnel plot of the units in `values_by_unit` around the mean of `all_values`.

    Returns {target, sd, cases, units, phi, chi2, chi2_limit, overdispersed, inflation,
    points: {unit: {n, score, z, low95, high95, low998, high998, signal}}}; `signal` is "above",
    "below" (outside the 95 % limits) or None. None when fewer than two case values exist.
    """
    if len(all_values) < 2:
        return None
    target = _mean(all_values)
    sd = math.sqrt(sum((v - target) ** 2 for v in all_values) / (len(all_values) - 1))
    units = {u: v for u, v in values_by_unit.items() if v}
    z = {u: ((_mean(v) - target) / (sd / math.sqrt(len(v))) if sd > 0 else 0.0) for u, v in units.items()}
    count = len(z)
    phi = sum(x * x for x in winsorised(list(z.values()))) / count if count else 1.0
    limit = chi2_upper_95(count) if count else None
    overdispersed = count >= 2 and count * phi > limit
    inflation = phi if overdispersed else 1.0
    plot = {"target": 100 * target, "sd": 100 * sd, "cases": len(all_values), "units": count, "phi": phi,
            "chi2": count * phi, "chi2_limit": limit, "overdispersed": overdispersed, "inflation": inflation}
    points = {}
    for unit, values in units.items():
        n, y = len(values), 100 * _mean(values)
        lim = limits(plot, n)
        signal = "above" if round(y, 7) > round(lim["high95"], 7) else ("below" if round(y, 7) < round(lim["low95"], 7) else None)
        points[unit] = dict(lim, n=n, score=y, z=z[unit] / math.sqrt(inflation), signal=signal)
    plot["points"] = points
    return plot


def limits(plot: dict, n: int) -> dict:
    """The funnel's 95 % and 99.8 % limits (0–100) for a unit with n reached cases."""
    half = plot["sd"] * math.sqrt(plot["inflation"] / n)
    t = plot["target"]
    def clamp(v):  # a score lies on 0–100; the normal approximation's limits may not
        return min(100.0, max(0.0, v))

    return {"low95": clamp(t - Z95 * half), "high95": clamp(t + Z95 * half),
            "low998": clamp(t - Z998 * half), "high998": clamp(t + Z998 * half)}


def rank_intervals(values_by_unit: dict[str, list[float]], resamples: int = 1000, seed: int = 12345) -> dict:
    """Each unit's 95 % rank interval (best, worst) from a bootstrap of its own case values.

    Every resample draws each unit's cases with replacement (one seeded generator, units in id
    order, so the result is the same on every run) and ranks the resampled means: rank = 1 + the
    units with a strictly higher mean. The interval is the 2.5th and 97.5th percentiles of a
    unit's ranks: the ⌊0.025·B⌋-th and (⌈0.975·B⌉ − 1)-th of the B sorted ranks (from 0).
    """
    rng = random.Random(seed)
    units = sorted(u for u, v in values_by_unit.items() if v)
    drawn = {}
    for u in units:  # each unit's B resampled means, drawn in one go (units in id order)
        v, n = values_by_unit[u], len(values_by_unit[u])
        if n <= EXACT_UP_TO:
            draws = rng.choices(v, k=n * resamples)
            drawn[u] = [round(sum(draws[i * n:(i + 1) * n]) / n, 9) for i in range(resamples)]
        else:
            m = _mean(v)
            se = math.sqrt(sum((x - m) ** 2 for x in v) / (n - 1) / n)
            drawn[u] = [round(rng.gauss(m, se), 9) for _ in range(resamples)]
    ranks: dict = {u: [] for u in units}
    for b in range(resamples):
        ordered = sorted(-drawn[u][b] for u in units)
        for u in units:
            # the units with a strictly higher mean are those before -mean in ascending order
            ranks[u].append(1 + bisect_left(ordered, -drawn[u][b]))
    low, high = int(0.025 * resamples), math.ceil(0.975 * resamples) - 1
    return {u: (sorted(r)[low], sorted(r)[high]) for u, r in ranks.items()}


def named(rows: list[dict], n: int) -> tuple[list[str], list[str]]:
    """The best and the worst N of ranked rows (each with unit, better, worse, equal).

    Each list holds at most ⌊ranked/2⌋ units, so they never overlap; units tied at the edge are
    named together when they all fit, else none of them is.
    """
    half = len(rows) // 2
    n = min(n, half)
    top = [r["unit"] for r in rows if r["better"] < n and r["better"] + r["equal"] <= half]
    bottom = [r["unit"] for r in reversed(rows) if r["worse"] < n and r["worse"] + r["equal"] <= half]
    return top, bottom


def band(row: dict, change: int | None, rules: list[dict], ranked: int, evidence: str,
         point: dict | None, higher_above: int) -> tuple[str | None, list[dict]]:
    """(band, why not) of a ranked unit: the first rule in assessment.yaml order that it meets.

    `row` has better, worse, equal (ranked units with a higher, lower, equal score) and score.
    Top and bottom rules are capped at ⌊ranked/2⌋ like the named lists. With evidence "funnel",
    a bottom rule also needs the score below the lower 95 % limit; a top rule is met by a score
    above the upper limit, or by a top-N place when no higher-scoring unit is above the limit.
    A rank rule that fails only for want of evidence gives no band; later rules still apply,
    and the reasons are returned: [{rule (top | bottom), n, band, higher_above | low95}]
    (`note_text` words them).
    """
    half = ranked // 2
    score = round(row["score"], 6)
    signal = point["signal"] if point else None
    why = []
    for rule in rules:
        kind, value, code = rule["rule"], rule["value"], rule["code"]
        if kind in ("top", "bottom"):
            n = min(int(value), half)
            place = row["better"] if kind == "top" else row["worse"]
            by_rank = place < n and place + row["equal"] <= half
            if evidence != "funnel":
                if by_rank:
                    return code, []
                continue
            if kind == "top":
                if signal == "above" or (by_rank and higher_above == 0):
                    return code, []
                if by_rank:
                    why.append({"rule": "top", "n": n, "band": code, "higher_above": higher_above})
            else:
                if by_rank and signal == "below":
                    return code, []
                if by_rank:
                    why.append({"rule": "bottom", "n": n, "band": code, "low95": point["low95"] if point else None})
        elif ((kind == "improved_by" and change is not None and change >= value)
              or (kind == "score_below" and score < value) or (kind == "score_at_least" and score >= value)):
            return code, why
    return None, why


def note_text(reasons: list[dict], name=band_name) -> str | None:
    """The reasons of `band` as one line in the current language (the `band_note` of `jiesu rank`),
    or None; `name` gives a band's name from its code."""
    out = []
    for r in reasons:
        if r["rule"] == "top":
            out.append(i18n.ngettext(
                "top {n} but {k} unit with a higher score is significantly above the office score "
                "and this one is not: no {band}",
                "top {n} but {k} units with a higher score are significantly above the office score "
                "and this one is not: no {band}", r["higher_above"]).format(n=r["n"], k=r["higher_above"], band=name(r["band"])))
        elif r.get("low95") is not None:
            out.append(i18n._("bottom {n} but not significantly below the office score "
                              "(lower {percent} limit {low}): no {band}").format(
                n=r["n"], percent="95 %", low=f"{r['low95']:.2f}", band=name(r["band"])))
        else:
            out.append(i18n._("bottom {n} but not significantly below the office score: no {band}").format(
                n=r["n"], band=name(r["band"])))
    return i18n._("; ").join(out) or None
