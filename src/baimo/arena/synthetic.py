"""Battles drawn from known ratings, to check the estimator against the truth.

Why it is part of the package: "how many battles do I need before the intervals separate my
two candidates?" is a planning question a team asks before collecting votes, and the same
generator is what the tests and ``benchmarks/arena.py`` use to show that the ratings recover
known values and that the intervals cover them as often as they claim.

The tie model keeps the expected score exactly BT's: with p = σ(θ_a − θ_b + β·s), a battle is
a tie with probability t = tie_rate · 2·min(p, 1 − p) (close battles tie more often, as in
real arenas), and otherwise model a wins with probability (p − t/2)/(1 − t). Then
E[score_a] = t/2 + (1 − t)·(p − t/2)/(1 − t) = p, so "a tie is half a win" is the correct
likelihood's mean, and the maximum-likelihood estimate is consistent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from baimo.arena.ratings import ELO_SCALE, Comparison, StyleCounts, Winner

__all__ = ["simulate"]


def simulate(ratings: Mapping[str, float], n: int, *, seed: int = 0, tie_rate: float = 0.3,
             lengths: Mapping[str, float] | None = None, length_effect: float = 0.0,
             pairs: Sequence[tuple[str, str]] | None = None,
             categories: Sequence[str] = ()) -> list[Comparison]:
    """Draw ``n`` battles between uniformly random pairs of models (or from ``pairs``).

    Args:
        ratings: True Elo ratings.
        n: Battles to draw.
        seed: Random seed.
        tie_rate: Scales the tie probability (0: no ties; 0.5: half of even battles tie).
        lengths: Mean answer length (tokens) per model; each answer's length is drawn
            log-normally around it. Without it, every answer has length 100.
        length_effect: Planted log-odds per raw unit of the length feature
            (L_a − L_b)/(L_a + L_b + 1): how much voters prefer longer answers beyond quality.
        pairs: Draw pairs uniformly from these instead of from all pairs.
        categories: Labels assigned to battles uniformly at random (none when empty).
    """
    if not 0.0 <= tie_rate <= 0.5:
        raise ValueError("tie_rate must be within [0, 0.5]")
    rng = np.random.default_rng(seed)
    names = sorted(ratings)
    all_pairs = list(pairs) if pairs else [(a, b) for i, a in enumerate(names)
                                           for b in names[i + 1:]]
    out: list[Comparison] = []
    for _ in range(n):
        a, b = all_pairs[int(rng.integers(len(all_pairs)))]
        if rng.random() < 0.5:
            a, b = b, a
        mean_a = (lengths or {}).get(a, 100.0)
        mean_b = (lengths or {}).get(b, 100.0)
        la = max(1, round(mean_a * math.exp(rng.normal(0.0, 0.3))))
        lb = max(1, round(mean_b * math.exp(rng.normal(0.0, 0.3))))
        eta = (ratings[a] - ratings[b]) / ELO_SCALE + length_effect * (la - lb) / (la + lb + 1)
        p = 1.0 / (1.0 + math.exp(-eta))
        t = tie_rate * 2.0 * min(p, 1.0 - p)
        u = rng.random()
        winner: Winner
        if u < t:
            winner = "tie (bothbad)" if rng.random() < 0.3 else "tie"
        elif rng.random() < (p - t / 2) / (1 - t):
            winner = "model_a"
        else:
            winner = "model_b"
        cat = categories[int(rng.integers(len(categories)))] if categories else None
        out.append(Comparison(a, b, winner, StyleCounts(la), StyleCounts(lb), cat))
    return out
