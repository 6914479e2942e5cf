"""Arena ratings against the truth: agreement, interval coverage, style control.

Battles are drawn from known ratings (``baimo.arena.synthetic``: 10 models, 5,000 battles per
set, ties included, the expected score exactly BT's), then rated by ``baimo.arena.ratings``.

1. **Agreement** with an independent maximum-likelihood fit written here from the published
   description of FastChat's ``compute_mle_elo`` (every battle written twice, a tie as one win
   for each side, logistic regression without intercept or penalty on ±ln 10 columns, rating
   400·coef + 1000, shifted to the anchor), solved with SciPy's BFGS: the largest difference
   in Elo points, unweighted and with inverse pair-frequency weights.
2. **Coverage** over ``--seeds`` independent sets (200 by default): how often each 95%
   interval contains the true rating, pooled over the 9 non-anchor models (the anchor's
   interval is a point by construction), for the bootstrap (``--rounds``, default 1000) and
   the sandwich estimator. The binomial standard error at 1,800 intervals is about 0.5 points.
3. **Style control**: with a length preference planted in the votes (log-odds 1.2 per unit of
   (L_a − L_b)/(L_a + L_b + 1), better models writing longer), how often the length
   coefficient's 95% sandwich interval contains the planted value, and the mean absolute
   rating error with and without style control.

Usage::

    python benchmarks/arena.py                 # everything (about 5 minutes on 2 cores)
    python benchmarks/arena.py --seeds 50 --rounds 300
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
from scipy.optimize import minimize

from baimo.arena.ratings import Comparison, leaderboard
from baimo.arena.synthetic import simulate

TRUE = {f"model-{i:02d}": r for i, r in enumerate(
    [820.0, 860.0, 905.0, 940.0, 985.0, 1000.0, 1030.0, 1075.0, 1110.0, 1160.0])}
ANCHOR = "model-05"


def reference(comps: list[Comparison], weights: list[float] | None = None) -> dict[str, float]:
    names = sorted(TRUE)
    col = {n: i for i, n in enumerate(names)}
    n = len(comps)
    x = np.zeros((2 * n, len(names)))
    y = np.zeros(2 * n)
    for i, c in enumerate(comps):
        for row in (i, i + n):
            x[row, col[c.model_a]] = math.log(10)
            x[row, col[c.model_b]] = -math.log(10)
        if c.winner == "model_a":
            y[i] = y[i + n] = 1.0
        elif c.winner.startswith("tie"):
            y[i] = 1.0
    sw = np.ones(2 * n) if weights is None else np.concatenate([weights, weights])

    def loss(coef: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ coef
        p = 1.0 / (1.0 + np.exp(-z))
        return float(-(sw * (y * z - np.logaddexp(0.0, z))).sum()), -(x.T @ (sw * (y - p)))

    res = minimize(loss, np.zeros(len(names)), jac=True, method="BFGS",
                   options={"gtol": 1e-9, "maxiter": 10_000})
    elo = 400.0 * res.x + 1000.0
    return {m: float(elo[col[m]] - elo[col[ANCHOR]] + TRUE[ANCHOR]) for m in names}


def agreement(seed: int) -> tuple[float, float]:
    comps = simulate(TRUE, 5000, seed=seed)
    ours = {r.model: r.rating for r in leaderboard(
        comps, anchor=ANCHOR, anchor_rating=TRUE[ANCHOR], style_control=False,
        reweight=False, ci="sandwich").ratings}
    ref = reference(comps)
    plain = max(abs(ours[m] - ref[m]) for m in TRUE)
    counts: dict[frozenset[str], int] = {}
    for c in comps:
        k = frozenset((c.model_a, c.model_b))
        counts[k] = counts.get(k, 0) + 1
    w = [len(comps) / (len(counts) * counts[frozenset((c.model_a, c.model_b))])
         for c in comps]
    ours_w = {r.model: r.rating for r in leaderboard(
        comps, anchor=ANCHOR, anchor_rating=TRUE[ANCHOR], style_control=False,
        reweight=True, ci="sandwich").ratings}
    ref_w = reference(comps, w)
    return plain, max(abs(ours_w[m] - ref_w[m]) for m in TRUE)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=1000)
    ap.add_argument("--battles", type=int, default=5000)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    worst = [agreement(s) for s in range(5)]
    print(f"agreement with the independent compute_mle_elo fit (5 sets × {args.battles} "
          f"battles, 10 models): max |Δ| = {max(w[0] for w in worst):.2e} Elo unweighted, "
          f"{max(w[1] for w in worst):.2e} Elo reweighted")

    hits = {"bootstrap": 0, "sandwich": 0}
    ties = 0
    widths: dict[str, list[float]] = {"bootstrap": [], "sandwich": []}
    for seed in range(args.seeds):
        comps = simulate(TRUE, args.battles, seed=10_000 + seed)
        ties += sum(c.winner.startswith("tie") for c in comps)
        for ci in hits:
            board = leaderboard(comps, anchor=ANCHOR, anchor_rating=TRUE[ANCHOR],
                                style_control=False, ci=ci,  # type: ignore[arg-type]
                                rounds=args.rounds, seed=seed)
            for r in board.ratings:
                if r.model != ANCHOR:
                    hits[ci] += r.lower <= TRUE[r.model] <= r.upper
                    widths[ci].append(r.upper - r.lower)
    n = 9 * args.seeds
    print(f"coverage of the 95% intervals over {args.seeds} seeds × 9 models ({n} intervals; "
          f"{ties / (args.seeds * args.battles):.1%} ties):")
    for ci, h in hits.items():
        detail = f"{args.rounds} rounds" if ci == "bootstrap" else "robust normal"
        print(f"  {ci:9s} ({detail}): {h / n:.1%} ({h}/{n}); mean width "
              f"{np.mean(widths[ci]):.1f} Elo")

    lengths = {m: 60.0 + 40.0 * i for i, m in enumerate(sorted(TRUE))}
    planted = 1.2
    cover = 0
    err_styled: list[float] = []
    err_raw: list[float] = []
    seeds = max(20, args.seeds // 4)
    for seed in range(seeds):
        comps = simulate(TRUE, args.battles, seed=20_000 + seed, lengths=lengths,
                         length_effect=planted)
        board = leaderboard(comps, anchor=ANCHOR, anchor_rating=TRUE[ANCHOR], ci="sandwich",
                            reweight=False)
        (coef,) = board.style
        cover += coef.logit_raw_lower <= planted <= coef.logit_raw_upper
        err_styled += [abs(r.rating - TRUE[r.model]) for r in board.ratings]
        err_raw += [abs((r.raw_rating or 0.0) - TRUE[r.model]) for r in board.ratings]
    print(f"style control, planted length effect {planted} log-odds/unit over {seeds} seeds: "
          f"interval covers it {cover / seeds:.0%} ({cover}/{seeds}); mean |rating − truth| "
          f"{np.mean(err_styled):.1f} Elo style-controlled vs {np.mean(err_raw):.1f} Elo raw")
    print(f"elapsed {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
