"""Active sampling: the predicted shrinkage is right, and it beats uniform pairs."""

from __future__ import annotations

import random

import numpy as np
import pytest

from baimo.arena.ratings import ELO_SCALE, fit_bt
from baimo.arena.sampling import PRIOR_SD_ELO, next_pair, rank_pairs
from baimo.arena.synthetic import simulate
from baimo.errors import BaimoError

TRUE = {f"m{i}": 850.0 + 35.0 * i for i in range(8)}


def mean_width(cov: np.ndarray) -> float:
    """Mean 95% width of all rating differences, from a full m×m covariance (direct)."""
    m = cov.shape[0]
    widths = [2 * 1.959963984540054 * ELO_SCALE * np.sqrt(
        cov[i, i] + cov[j, j] - 2 * cov[i, j]) for i in range(m) for j in range(i + 1, m)]
    return float(np.mean(widths))


def test_predicted_shrinkage_matches_a_direct_inverse() -> None:
    comps = simulate(TRUE, 400, seed=5)
    names = sorted(TRUE)
    fit = fit_bt(comps, names, sandwich=False, prior_sd_elo=PRIOR_SD_ELO)
    keep = [i for i in range(len(names)) if i != fit.anchor]
    info = np.linalg.inv(fit.fisher_cov)
    for pc in rank_pairs(comps, names, battles=25)[:5]:
        a, b = names.index(pc.model_a), names.index(pc.model_b)
        u = np.zeros(len(names))
        u[a], u[b] = 1.0, -1.0
        u = u[keep]
        p = 1 / (1 + np.exp(-(fit.theta[a] - fit.theta[b])))
        new = np.linalg.inv(info + 25 * p * (1 - p) * np.outer(u, u))
        full = np.zeros((len(names), len(names)))
        full[np.ix_(keep, keep)] = new
        assert pc.width_after == pytest.approx(mean_width(full), rel=1e-9)
        before = np.zeros_like(full)
        before[np.ix_(keep, keep)] = fit.fisher_cov
        assert pc.width_now == pytest.approx(mean_width(before), rel=1e-9)


def test_an_unseen_model_is_battled_first_and_oversampled_pairs_last() -> None:
    comps = simulate(TRUE, 300, seed=1)
    ranked = rank_pairs(comps, [*TRUE, "newcomer"])
    assert "newcomer" in (ranked[0].model_a, ranked[0].model_b)
    crowded = simulate(TRUE, 300, seed=2) + simulate(TRUE, 2000, seed=3,
                                                     pairs=[("m3", "m4")])
    ranked = rank_pairs(crowded, list(TRUE))
    assert {ranked[-1].model_a, ranked[-1].model_b} == {"m3", "m4"}


def test_next_pair_is_random_among_equals_and_in_random_order() -> None:
    rng = random.Random(0)
    picks = {(p.model_a, p.model_b) for p in (next_pair([], ["a", "b", "c"], rng=rng)
                                              for _ in range(60))}
    assert len(picks) == 6  # every pair, both orders, from an empty arena
    with pytest.raises(BaimoError, match="at least two models"):
        rank_pairs([], ["a"])


def test_active_sampling_narrows_intervals_faster_than_uniform() -> None:
    """Same budget of battles; the active arena ends with narrower intervals. (Ratings spread
    90 Elo apart: with close ratings every pair is informative and uniform is near-optimal,
    about 2% behind.)"""
    spread = {f"m{i}": 850.0 + 90.0 * i for i in range(8)}
    start = simulate(spread, 120, seed=9)
    names = sorted(TRUE)
    active = list(start)
    rng = random.Random(1)
    for step in range(30):
        pc = next_pair(active, names, rng=rng, battles=10)
        active += simulate(spread, 10, seed=100 + step, pairs=[(pc.model_a, pc.model_b)])
    uniform = start + simulate(spread, 300, seed=500)

    def width(comps: list) -> float:  # type: ignore[type-arg]
        return rank_pairs(comps, names)[0].width_now

    assert width(active) < width(uniform) * 0.93, (width(active), width(uniform))
