"""How much a ranking depends on its weights.

Weights in an analyst's methodology are judgements, often rounded to 5% steps, and in the
Frost & Sullivan case the dimension weights were not even published. A ranking is worth
reporting only together with how easily it moves, so this module answers three questions:

* **One at a time (OAT):** if one weight moves by ±10/20/50% of itself, with the difference
  spread over its siblings in proportion to their weights (so the group still sums to 1), which
  ranks change? The rows are the data of a rank-flow chart.
* **Monte Carlo:** drawing weights at random, around the stated ones (Dirichlet with a
  concentration parameter) or uniformly on the simplex, how often does each alternative end up
  in each rank? That is the rank-acceptability matrix of SMAA.
* **Smallest flip:** what is the least total weight change that lets a competitor reach first
  place? Distances are **L1** (the sum of absolute weight changes, so moving 0.05 from one
  weight to another counts 0.10); the max-abs change of the same solution is reported too. For
  scores linear in the weights (weighted sum) this is an exact linear programme; otherwise
  (TOPSIS) it is found by searching along pairwise weight transfers and is an upper bound.

The functions work on one weight vector on the simplex and a ``score_fn`` that maps weights to
scores, so they serve any aggregation; ``baimo.scores.methodology`` wires them to methodologies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.optimize import linprog

from baimo.scores.mcda import WEIGHT_TOLERANCE, FloatArray, check_weights, rank_descending

ScoreFn = Callable[[FloatArray], FloatArray]
"""Maps a weight vector (summing to 1) to one score per alternative, higher is better."""

DEFAULT_CHANGES: tuple[float, ...] = (-0.5, -0.2, -0.1, 0.1, 0.2, 0.5)
"""Relative weight changes tried one at a time: ±10%, ±20%, ±50% of the weight itself."""

__all__ = [
    "DEFAULT_CHANGES",
    "FlipResult",
    "LinearSensitivity",
    "OatRow",
    "RankAcceptability",
    "ScoreFn",
    "linear_sensitivity",
    "one_at_a_time",
    "perturb_weight",
    "rank_acceptability",
    "smallest_flip_linear",
    "smallest_flip_search",
]


def perturb_weight(
    weights: Sequence[float] | FloatArray, index: int, change: float
) -> tuple[FloatArray, bool]:
    """Scale one weight by ``1 + change`` and take the difference from its siblings.

    The siblings give up (or receive) the difference in proportion to their own weights, so
    their ratios, which encode the analyst's other judgements, stay as they were.

    Returns:
        The new weights (summing to 1) and whether the change had to be capped (the weight
        would have exceeded 1 or fallen below 0, or it has no siblings to trade with).
    """
    w = check_weights(weights, len(weights))
    target = float(w[index]) * (1.0 + change)
    capped = False
    if target > 1.0:
        target, capped = 1.0, True
    elif target < 0.0:
        target, capped = 0.0, True
    rest = 1.0 - float(w[index])
    if rest <= WEIGHT_TOLERANCE:
        return w.copy(), True
    out = w * ((1.0 - target) / rest)
    out[index] = target
    return np.asarray(out / out.sum(), dtype=np.float64), capped


@dataclass(frozen=True)
class OatRow:
    """One one-at-a-time change and the ranking it produces.

    Attributes:
        group: Which sibling group the weight belongs to (e.g. a dimension's indicators).
        weight: The name of the weight changed.
        change: The relative change, e.g. -0.2 for "20% less".
        weights: The whole group's weights after the change.
        scores: Each alternative's score after the change.
        ranks: Each alternative's rank after the change.
        capped: Whether the change was cut short (see ``perturb_weight``).
        rank_changed: Whether any alternative's rank differs from the baseline.
    """

    group: str
    weight: str
    change: float
    weights: dict[str, float]
    scores: dict[str, float]
    ranks: dict[str, int]
    capped: bool
    rank_changed: bool

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {"group": self.group, "weight": self.weight, "change": self.change,
                "weights": dict(self.weights), "scores": dict(self.scores),
                "ranks": dict(self.ranks), "capped": self.capped,
                "rank_changed": self.rank_changed}


def one_at_a_time(
    names: Sequence[str],
    weights: Sequence[float] | FloatArray,
    score_fn: ScoreFn,
    alternatives: Sequence[str],
    changes: Sequence[float] = DEFAULT_CHANGES,
    group: str = "",
) -> list[OatRow]:
    """Change each weight of one sibling group by each relative amount; record the ranks."""
    w = check_weights(weights, len(names))
    baseline = rank_descending(score_fn(w))
    rows: list[OatRow] = []
    for i, name in enumerate(names):
        for change in changes:
            new, capped = perturb_weight(w, i, change)
            scores = score_fn(new)
            ranks = rank_descending(scores)
            rows.append(OatRow(
                group=group,
                weight=name,
                change=float(change),
                weights={n: float(x) for n, x in zip(names, new, strict=True)},
                scores={a: float(s) for a, s in zip(alternatives, scores, strict=True)},
                ranks={a: int(r) for a, r in zip(alternatives, ranks, strict=True)},
                capped=capped,
                rank_changed=bool(np.any(ranks != baseline)),
            ))
    return rows


@dataclass(frozen=True)
class RankAcceptability:
    """How often each alternative lands in each rank under random weights.

    Attributes:
        alternatives: Row labels.
        matrix: ``matrix[i][r]`` is the share of draws in which alternative i had rank r + 1.
            Tied alternatives share the better rank, so a column may sum to more than 1.
        mean_rank: Average rank per alternative.
        draws: Number of weight vectors drawn.
        seed: The random seed, so the matrix can be reproduced exactly.
        distribution: How weights were drawn, in words.
    """

    alternatives: tuple[str, ...]
    matrix: FloatArray
    mean_rank: FloatArray
    draws: int
    seed: int
    distribution: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view, keyed by alternative then by rank."""
        return {
            "draws": self.draws,
            "seed": self.seed,
            "distribution": self.distribution,
            "acceptability": {
                a: {str(r + 1): float(p) for r, p in enumerate(row)}
                for a, row in zip(self.alternatives, self.matrix, strict=True)
            },
            "mean_rank": {a: float(x)
                          for a, x in zip(self.alternatives, self.mean_rank, strict=True)},
        }


def rank_acceptability(
    weights: Sequence[float] | FloatArray,
    score_fn: ScoreFn,
    alternatives: Sequence[str],
    *,
    draws: int = 2000,
    seed: int = 0,
    concentration: float | None = 50.0,
) -> RankAcceptability:
    """Monte Carlo rank-acceptability matrix.

    Args:
        weights: The stated weights (the centre of the Dirichlet draws).
        score_fn: Weights → scores.
        alternatives: Names, in the order ``score_fn`` returns scores.
        draws: Number of weight vectors.
        seed: Seed for ``numpy.random.default_rng``; the same seed gives the same matrix.
        concentration: Dirichlet concentration c, drawing weights from Dirichlet(c·w): the
            expected weights are the stated ones and each weight's spread shrinks as c grows
            (sd ≈ sqrt(w(1−w)/(c+1)); c = 50 gives ±0.07 around a weight of 1/3). ``None``
            draws uniformly on the whole simplex (every weighting equally likely). Weights
            stated as 0 stay 0 under the Dirichlet option.
    """
    w = check_weights(weights, len(weights))
    if draws < 1:
        raise ValueError("draws must be at least 1")
    rng = np.random.default_rng(seed)
    k = len(w)
    if concentration is None:
        sample = rng.dirichlet(np.ones(k), size=draws)
        how = "uniform on the weight simplex (Dirichlet with all parameters 1)"
    else:
        if concentration <= 0:
            raise ValueError("concentration must be positive (or None for uniform draws)")
        positive = w > 0
        sample = np.zeros((draws, k))
        sample[:, positive] = rng.dirichlet(concentration * w[positive], size=draws)
        how = f"Dirichlet(concentration x stated weights), concentration = {concentration:g}"
    n = len(alternatives)
    counts = np.zeros((n, n))
    rank_sum = np.zeros(n)
    for row in sample:
        ranks = rank_descending(score_fn(np.asarray(row, dtype=np.float64)))
        counts[np.arange(n), ranks - 1] += 1
        rank_sum += ranks
    return RankAcceptability(
        alternatives=tuple(alternatives),
        matrix=counts / draws,
        mean_rank=rank_sum / draws,
        draws=draws,
        seed=seed,
        distribution=how,
    )


@dataclass(frozen=True)
class FlipResult:
    """The smallest weight change that lets a competitor reach first place.

    Attributes:
        winner: First place under the stated weights.
        competitor: Who reaches first place at the smallest change (None if nobody can).
        distance: L1 norm of the weight change (None if no weighting makes anyone tie).
        max_abs_change: The largest single weight change in that same solution.
        min_max_abs: For linear scores, the smallest possible max-abs change (its own LP).
        weights_before: The stated weights.
        weights_after: The weights at the flip point (where the competitor ties the winner).
        method: ``linear-program`` (exact) or ``search`` (upper bound).
        per_competitor: Smallest L1 distance for every competitor (None: cannot reach first
            place, or, for the search, was not found reaching it).
        note: Interpretation in words.
    """

    winner: str
    competitor: str | None
    distance: float | None
    max_abs_change: float | None
    min_max_abs: float | None
    weights_before: dict[str, float]
    weights_after: dict[str, float] | None
    method: Literal["linear-program", "search"]
    per_competitor: dict[str, float | None] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {"winner": self.winner, "competitor": self.competitor, "norm": "L1",
                "distance": self.distance, "max_abs_change": self.max_abs_change,
                "min_max_abs": self.min_max_abs, "weights_before": dict(self.weights_before),
                "weights_after": None if self.weights_after is None else dict(
                    self.weights_after),
                "method": self.method, "per_competitor": dict(self.per_competitor),
                "note": self.note}


def _winner(scores: FloatArray) -> tuple[int, bool]:
    ranks = rank_descending(scores)
    tops = np.flatnonzero(ranks == 1)
    return int(tops[0]), len(tops) > 1


def _lp_min_change(
    gap: FloatArray, w: FloatArray, norm: Literal["l1", "max"]
) -> tuple[float, FloatArray] | None:
    """min ‖w' − w‖ over the simplex subject to gap·w' ≥ 0 (the competitor ties or leads)."""
    k = len(w)
    eye = np.eye(k)
    if norm == "l1":
        # variables: w' (k), t (k);  |w' - w| <= t
        c = np.concatenate([np.zeros(k), np.ones(k)])
        a_ub = np.vstack([np.hstack([eye, -eye]), np.hstack([-eye, -eye]),
                          np.concatenate([-gap, np.zeros(k)])[None, :]])
        b_ub = np.concatenate([w, -w, [0.0]])
        a_eq = np.concatenate([np.ones(k), np.zeros(k)])[None, :]
        bounds = [(0.0, None)] * (2 * k)
    else:
        # variables: w' (k), s;  |w'_i - w_i| <= s
        c = np.concatenate([np.zeros(k), [1.0]])
        ones = np.ones((k, 1))
        a_ub = np.vstack([np.hstack([eye, -ones]), np.hstack([-eye, -ones]),
                          np.concatenate([-gap, [0.0]])[None, :]])
        b_ub = np.concatenate([w, -w, [0.0]])
        a_eq = np.concatenate([np.ones(k), [0.0]])[None, :]
        bounds = [(0.0, None)] * (k + 1)
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0], bounds=bounds,
                  method="highs")
    if res.status != 0:
        return None
    x = np.clip(np.asarray(res.x[:k], dtype=np.float64), 0.0, None) + 0.0  # no -0.0
    return float(res.fun), x


def smallest_flip_linear(
    values: Sequence[Sequence[float]] | FloatArray,
    weights: Sequence[float] | FloatArray,
    alternatives: Sequence[str],
    names: Sequence[str],
) -> FlipResult:
    """Exact smallest weight change for scores linear in the weights (``scores = values @ w``).

    For each competitor c the problem "minimise ‖w' − w‖₁ on the simplex such that
    (v_c − v_winner)·w' ≥ 0" is a linear programme; the smallest over competitors is reported.
    """
    v = np.asarray(values, dtype=np.float64)
    w = check_weights(weights, len(names))
    top, tied = _winner(v @ w)
    before = {n: float(x) for n, x in zip(names, w, strict=True)}
    if tied:
        return FlipResult(winner=alternatives[top], competitor=None, distance=0.0,
                          max_abs_change=0.0, min_max_abs=0.0, weights_before=before,
                          weights_after=before, method="linear-program",
                          note="first place is already shared; no change is needed")
    best: tuple[float, int, FloatArray] | None = None
    per: dict[str, float | None] = {}
    for c in range(len(alternatives)):
        if c == top:
            continue
        sol = _lp_min_change(v[c] - v[top], w, "l1")
        per[alternatives[c]] = None if sol is None else sol[0]
        if sol is not None and (best is None or sol[0] < best[0]):
            best = (sol[0], c, sol[1])
    if best is None:
        return FlipResult(winner=alternatives[top], competitor=None, distance=None,
                          max_abs_change=None, min_max_abs=None, weights_before=before,
                          weights_after=None, method="linear-program", per_competitor=per,
                          note="no weighting lets any competitor reach first place: the "
                               "winner is at least as good on every criterion")
    dist, c, after = best
    maxabs_sol = _lp_min_change(v[c] - v[top], w, "max")
    return FlipResult(
        winner=alternatives[top],
        competitor=alternatives[c],
        distance=dist,
        max_abs_change=float(np.max(np.abs(after - w))),
        min_max_abs=None if maxabs_sol is None else maxabs_sol[0],
        weights_before=before,
        weights_after={n: float(x) for n, x in zip(names, after, strict=True)},
        method="linear-program",
        per_competitor=per,
        note=(f"moving weights by {dist:.4f} in total (L1) lets {alternatives[c]} tie "
              f"{alternatives[top]} for first place; exact (linear programme)"),
    )


def smallest_flip_search(
    weights: Sequence[float] | FloatArray,
    score_fn: ScoreFn,
    alternatives: Sequence[str],
    names: Sequence[str],
    *,
    steps: int = 50,
) -> FlipResult:
    """Smallest flip found by searching pairwise weight transfers (for non-linear scores).

    Along every direction "move weight from criterion j to criterion i" the first point where a
    competitor reaches the winner's score is located on a grid of ``steps`` (after a coarse pass
    that bounds the search) and refined by bisection. The smallest L1 distance found is an upper bound on the true minimum.
    """
    w = check_weights(weights, len(names))
    base = score_fn(w)
    top, tied = _winner(base)
    before = {n: float(x) for n, x in zip(names, w, strict=True)}
    if tied:
        return FlipResult(winner=alternatives[top], competitor=None, distance=0.0,
                          max_abs_change=0.0, min_max_abs=None, weights_before=before,
                          weights_after=before, method="search",
                          note="first place is already shared; no change is needed")

    def flipped(t: float, i: int, j: int) -> int | None:
        x = w.copy()
        x[i] += t
        x[j] -= t
        x = np.clip(x, 0.0, None)
        s = score_fn(x / x.sum())
        scale = max(1.0, float(np.max(np.abs(s))))
        ahead = [c for c in range(len(s)) if c != top and s[c] >= s[top] - 1e-12 * scale]
        if not ahead:
            return None
        return max(ahead, key=lambda c: float(s[c]))

    best: tuple[float, int, FloatArray] | None = None
    per: dict[str, float | None] = {a: None for k, a in enumerate(alternatives) if k != top}
    k = len(w)
    # A coarse pass first finds an upper bound cheaply; the fine pass then stops scanning each
    # direction once its transfers exceed that bound, which prunes most of the work.
    for n_steps in sorted({max(2, steps // 10), steps}):
        for i in range(k):
            for j in range(k):
                if i == j or w[j] <= 0:
                    continue
                prev = 0.0
                for t in np.linspace(0.0, float(w[j]), n_steps + 1)[1:]:
                    if best is not None and 2 * prev >= best[0]:
                        break
                    if flipped(float(t), i, j) is None:
                        prev = float(t)
                        continue
                    lo, hi = prev, float(t)
                    for _ in range(40):
                        mid = 0.5 * (lo + hi)
                        if flipped(mid, i, j) is None:
                            lo = mid
                        else:
                            hi = mid
                    winner = flipped(hi, i, j)
                    assert winner is not None
                    dist = 2 * hi
                    name = alternatives[winner]
                    if per[name] is None or dist < (per[name] or np.inf):
                        per[name] = dist
                    if best is None or dist < best[0]:
                        x = w.copy()
                        x[i] += hi
                        x[j] -= hi
                        best = (dist, winner, x)
                    break
    if best is None:
        return FlipResult(winner=alternatives[top], competitor=None, distance=None,
                          max_abs_change=None, min_max_abs=None, weights_before=before,
                          weights_after=None, method="search", per_competitor=per,
                          note="no pairwise weight transfer lets a competitor reach first place")
    dist, c, after = best
    return FlipResult(
        winner=alternatives[top],
        competitor=alternatives[c],
        distance=dist,
        max_abs_change=float(np.max(np.abs(after - w))),
        min_max_abs=None,
        weights_before=before,
        weights_after={n: float(x) for n, x in zip(names, after, strict=True)},
        method="search",
        per_competitor=per,
        note=(f"moving weights by {dist:.4f} in total (L1) lets {alternatives[c]} reach first "
              f"place; found by search along pairwise transfers, so an upper bound"),
    )


@dataclass(frozen=True)
class LinearSensitivity:
    """How a ranking by a weighted sum of criterion scores depends on the weights.

    Attributes:
        criteria: The weighted criteria, in the order of the weights.
        entities: The ranked entities, best first.
        oat: One-at-a-time rows (``one_at_a_time``).
        acceptability: Rank acceptability over random weightings (``rank_acceptability``).
        baseline: Each entity's rank under the stated weights (1 = best).
    """

    criteria: list[str]
    entities: list[str]
    oat: list[OatRow]
    acceptability: RankAcceptability
    baseline: dict[str, int]


def linear_sensitivity(weights: Mapping[str, float],
                       criterion_scores: Mapping[str, Mapping[str, float]], *,
                       draws: int = 2000, seed: int = 0) -> LinearSensitivity | None:
    """One-at-a-time changes and rank acceptability for a weighted-sum ranking.

    Used for the advisor's ranking, whose score is ``sum(weight[c] * score[c])`` over the
    criteria with a positive weight (a missing criterion score counts 0).

    Args:
        weights: Criterion weights; criteria weighted 0 take no part.
        criterion_scores: Each entity's criterion scores, entities in rank order.
        draws: Monte Carlo draws of the rank acceptability.
        seed: Their seed.

    Returns:
        None when there is nothing to vary: fewer than two entities or two weighted criteria.
    """
    criteria = [c for c, w in weights.items() if w > 0]
    entities = list(criterion_scores)
    if len(entities) < 2 or len(criteria) < 2:
        return None
    matrix = np.asarray([[criterion_scores[e].get(c, 0.0) for c in criteria] for e in entities],
                        dtype=np.float64)
    w = np.asarray([weights[c] for c in criteria], dtype=np.float64)

    def score_fn(x: FloatArray) -> FloatArray:
        return np.asarray(matrix @ x, dtype=np.float64)

    oat = one_at_a_time(criteria, w, score_fn, entities)
    acc = rank_acceptability(w, score_fn, entities, draws=draws, seed=seed)
    base = rank_descending(score_fn(w))
    return LinearSensitivity(criteria=criteria, entities=entities, oat=oat, acceptability=acc,
                             baseline={e: int(r) for e, r in zip(entities, base, strict=True)})
