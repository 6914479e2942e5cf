"""Active sampling: the next battle is the one that most sharpens the leaderboard.

Uniform random pairs spend most votes on pairs already told apart (the best model against the
worst). Instead, for every candidate pair (a, b), baimo asks how much one more battle (or
``battles`` more) would shrink the leaderboard's uncertainty, and picks the pair that shrinks
it most.

The measure of uncertainty is the mean width of the 95% intervals of all rating *differences*
R_i − R_j, from the BT fit's information matrix (the normal approximation). Differences, not
ratings, because a rating's interval depends on which model is the anchor while a difference's
does not. A battle between a and b adds information w·p(1 − p)·u uᵀ with u = e_a − e_b and p
the fitted chance that a wins; the covariance after it follows from Sherman–Morrison without
refitting (Σ from a fit with a weak prior, ``PRIOR_SD_ELO``, so that unmeasured models have a
finite uncertainty):

    Σ' = Σ − c (Σu)(Σu)ᵀ / (1 + c uᵀΣu),   c = battles · p(1 − p)

so Var'(R_i − R_j) = Var(R_i − R_j) − c ((Σu)_i − (Σu)_j)² / (1 + c uᵀΣu). A model with no
battles has (almost) no information, so the first battles go to it, as they should. Ties among
candidates are broken at random (seeded), so an empty arena does not always open with the same
pair.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from baimo.arena.ratings import ELO_SCALE, Comparison, Z, fit_bt
from baimo.errors import BaimoError

__all__ = ["PRIOR_SD_ELO", "PairChoice", "next_pair", "rank_pairs"]

PRIOR_SD_ELO = 350.0
"""The prior on each rating (relative to the anchor) used for planning only: without it, a
model with no battles, or one that lost every battle, has an unbounded interval, and the
"expected shrinkage" of battling it would be a number in the tens of thousands of Elo. With
it, an unmeasured pair's interval is about ±1,400 Elo, wide enough to be battled first and
still a meaningful figure. The leaderboard itself is maximum likelihood, without this prior."""


@dataclass(frozen=True)
class PairChoice:
    """A candidate pair and what battling it would do to the leaderboard's uncertainty.

    Attributes:
        width_now: Mean 95% interval width of all rating differences now (Elo).
        width_after: The same after ``battles`` more battles of this pair (expected).
        p_a: The fitted chance that ``model_a`` wins.
    """

    model_a: str
    model_b: str
    battles: int
    width_now: float
    width_after: float
    p_a: float

    @property
    def shrinkage(self) -> float:
        """Expected reduction of the mean interval width (Elo)."""
        return self.width_now - self.width_after


def rank_pairs(comps: Sequence[Comparison], models: Sequence[str], *, battles: int = 1
               ) -> list[PairChoice]:
    """Every pair of ``models``, the most useful battle first.

    Raises:
        BaimoError: Fewer than two models.
    """
    names = sorted(dict.fromkeys(models))
    if len(names) < 2:
        raise BaimoError("active sampling needs at least two models")
    known = set(names)
    comps = [c for c in comps if c.model_a in known and c.model_b in known]
    m = len(names)
    z = Z[0.05]
    fit = fit_bt(comps, names, sandwich=False, prior_sd_elo=PRIOR_SD_ELO)
    theta = fit.theta
    k = fit.fisher_cov.shape[0]
    cov = np.zeros((m, m))
    keep = [i for i in range(m) if i != fit.anchor]
    cov[np.ix_(keep, keep)] = fit.fisher_cov[:k, :k]
    diag = np.diag(cov)
    var = diag[:, None] + diag[None, :] - 2 * cov  # Var(θ_i − θ_j)
    iu = np.triu_indices(m, 1)
    base = np.sqrt(np.clip(var[iu], 0.0, None))
    width_now = float(2 * z * ELO_SCALE * base.mean())
    out: list[PairChoice] = []
    for a in range(m):
        for b in range(a + 1, m):
            p = 1.0 / (1.0 + math.exp(-(theta[a] - theta[b])))
            c = battles * p * (1.0 - p)
            su = cov[:, a] - cov[:, b]
            utsu = su[a] - su[b]
            d = su[:, None] - su[None, :]
            new = var - c * d * d / (1.0 + c * utsu)
            after = np.sqrt(np.clip(new[iu], 0.0, None))
            out.append(PairChoice(names[a], names[b], battles, width_now,
                                  float(2 * z * ELO_SCALE * after.mean()), p))
    out.sort(key=lambda pc: (-pc.shrinkage, pc.model_a, pc.model_b))
    return out


def next_pair(comps: Sequence[Comparison], models: Sequence[str], *,
              rng: random.Random | None = None, battles: int = 1) -> PairChoice:
    """The pair to battle next (ties broken at random), with its expected shrinkage.

    The two models are returned in random order: which side a model is shown on must not be
    predictable from the pairing.
    """
    rng = rng or random.Random()
    ranked = rank_pairs(comps, models, battles=battles)
    best = ranked[0].shrinkage
    tied = [pc for pc in ranked if pc.shrinkage >= best - 1e-9 * max(1.0, abs(best))]
    pick = rng.choice(tied)
    if rng.random() < 0.5:
        pick = PairChoice(pick.model_b, pick.model_a, pick.battles, pick.width_now,
                          pick.width_after, 1.0 - pick.p_a)
    return pick
