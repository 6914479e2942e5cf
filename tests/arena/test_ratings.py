"""Ratings: agreement with an independent MLE, interval coverage, style control, ranks.

The reference below is written from the published description of FastChat's
``compute_mle_elo`` (a logistic regression without intercept or penalty on a design with
+ln(10) in the winner-side column and −ln(10) in the other, every battle written twice and a
tie written once as a win for each side, rating = 400·coef + 1000, then shifted so the anchor
sits at its rating). It shares no code with ``baimo.arena.ratings``: it minimises the
duplicated-ties log-loss with SciPy's BFGS instead of Newton on fractional outcomes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from baimo.arena.ratings import Comparison, StyleCounts, fit_bt, leaderboard, win_rates
from baimo.arena.synthetic import simulate
from baimo.errors import BaimoError

TRUE = {f"model-{i:02d}": r for i, r in enumerate(
    [820.0, 860.0, 905.0, 940.0, 985.0, 1000.0, 1030.0, 1075.0, 1110.0, 1160.0])}
ANCHOR = "model-05"


def reference_mle_elo(comps: list[Comparison], anchor: str, anchor_rating: float,
                      weights: list[float] | None = None) -> dict[str, float]:
    """FastChat's compute_mle_elo, re-derived: duplicated design, ties as one win each."""
    names = sorted({c.model_a for c in comps} | {c.model_b for c in comps})
    col = {n: i for i, n in enumerate(names)}
    n = len(comps)
    x = np.zeros((2 * n, len(names)))
    y = np.zeros(2 * n)
    sw = np.ones(2 * n) if weights is None else np.concatenate([weights, weights])
    for i, c in enumerate(comps):
        for row in (i, i + n):
            x[row, col[c.model_a]] = math.log(10)
            x[row, col[c.model_b]] = -math.log(10)
        if c.winner == "model_a":
            y[i] = y[i + n] = 1.0
        elif c.winner in ("tie", "tie (bothbad)"):
            y[i] = 1.0  # the first copy is a win for a, the second a win for b
    def loss(coef: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ coef
        ll = sw * (y * z - np.logaddexp(0.0, z))
        p = 1.0 / (1.0 + np.exp(-z))
        return float(-ll.sum()), -(x.T @ (sw * (y - p)))

    res = minimize(loss, np.zeros(len(names)), jac=True, method="BFGS",
                   options={"gtol": 1e-9, "maxiter": 10_000})
    elo = 400.0 * res.x + 1000.0
    shift = anchor_rating - elo[col[anchor]]
    return {name: float(elo[col[name]] + shift) for name in names}


@pytest.fixture(scope="module")
def battles() -> list[Comparison]:
    comps = simulate(TRUE, 5000, seed=7, tie_rate=0.3)
    ties = sum(c.winner.startswith("tie") for c in comps)
    assert 600 < ties < 1500, ties  # the synthetic set really has ties
    return comps


def test_agrees_with_reference_within_one_elo(battles: list[Comparison]) -> None:
    ref = reference_mle_elo(battles, ANCHOR, 1000.0)
    board = leaderboard(battles, anchor=ANCHOR, anchor_rating=1000.0, style_control=False,
                        reweight=False, ci="sandwich")
    ours = {r.model: r.rating for r in board.ratings}
    worst = max(abs(ours[m] - ref[m]) for m in TRUE)
    assert worst < 1.0, (worst, ours, ref)
    # and both recover the truth to within sampling error (±~35 Elo at 5,000 battles)
    assert max(abs(ours[m] - TRUE[m]) for m in TRUE) < 60


def test_reweighted_agrees_with_weighted_reference(battles: list[Comparison]) -> None:
    # Over-sample one pair tenfold; inverse pair-frequency weights undo it.
    extra = [c for c in simulate(TRUE, 20_000, seed=8)
             if {c.model_a, c.model_b} == {"model-00", "model-09"}][:1000]
    comps = battles + extra
    pair_n: dict[frozenset[str], int] = {}
    for c in comps:
        key = frozenset((c.model_a, c.model_b))
        pair_n[key] = pair_n.get(key, 0) + 1
    w = [len(comps) / (len(pair_n) * pair_n[frozenset((c.model_a, c.model_b))])
         for c in comps]
    ref = reference_mle_elo(comps, ANCHOR, 1000.0, w)
    board = leaderboard(comps, anchor=ANCHOR, style_control=False, reweight=True,
                        ci="sandwich")
    ours = {r.model: r.rating for r in board.ratings}
    assert max(abs(ours[m] - ref[m]) for m in TRUE) < 1.0
    assert board.method["reweight"] == "inverse pair frequency"


def test_bootstrap_and_sandwich_intervals_are_close_and_say_which(
        battles: list[Comparison]) -> None:
    boot = leaderboard(battles, anchor=ANCHOR, style_control=False, rounds=300, seed=3)
    sand = leaderboard(battles, anchor=ANCHOR, style_control=False, ci="sandwich")
    assert "bootstrap" in boot.method["ci_detail"] and "300 rounds" in boot.method["ci_detail"]
    assert "sandwich" in sand.method["ci_detail"]
    b = {r.model: r for r in boot.ratings}
    for r in sand.ratings:
        if r.model == ANCHOR:
            assert r.lower == r.upper == r.rating == 1000.0
            continue
        wb, ws = b[r.model].upper - b[r.model].lower, r.upper - r.lower
        assert 0.75 < wb / ws < 1.33, (r.model, wb, ws)
        assert r.lower < r.rating < r.upper
    again = leaderboard(battles, anchor=ANCHOR, style_control=False, rounds=300, seed=3)
    assert again.as_dict() == boot.as_dict()  # seeded


def test_rank_is_one_plus_models_clearly_above() -> None:
    board = leaderboard(simulate(TRUE, 5000, seed=1), anchor=ANCHOR, style_control=False,
                        ci="sandwich")
    rows = board.ratings
    for r in rows:
        above = sum(1 for o in rows if o.lower > r.upper)
        assert r.rank == 1 + above
    assert rows[0].rank == 1
    assert rows[-1].rank > 1


def test_style_control_recovers_a_planted_length_effect() -> None:
    lengths = {m: 60.0 + 40.0 * i for i, m in enumerate(sorted(TRUE))}  # better = longer
    planted = 1.2  # log-odds per raw unit of (La − Lb)/(La + Lb + 1)
    comps = simulate(TRUE, 8000, seed=11, lengths=lengths, length_effect=planted)
    for ci in ("sandwich", "bootstrap"):
        board = leaderboard(comps, anchor=ANCHOR, style_control=True, ci=ci,  # type: ignore[arg-type]
                            rounds=200, reweight=False)
        (length,) = board.style
        assert length.feature == "length"
        assert length.logit_raw_lower < planted < length.logit_raw_upper, (ci, length)
        assert length.lower > 0  # the effect is detected, not just bracketed
        # Style-controlled ratings recover the truth; raw ones are inflated by length.
        err_styled = max(abs(r.rating - TRUE[r.model]) for r in board.ratings)
        err_raw = max(abs((r.raw_rating or 0) - TRUE[r.model]) for r in board.ratings)
        assert err_styled < 45, board.ratings
        assert err_raw > err_styled + 20, (err_raw, err_styled)
        covered = sum(r.lower <= TRUE[r.model] <= r.upper for r in board.ratings)
        assert covered >= 8


def test_style_features_are_counted_outside_code() -> None:
    text = "# Title\n\nSome **bold** and __also__.\n\n- one\n- two\n1. first\n```py\n# no\n- no\n```"
    s = StyleCounts.of([text], tokens=42)
    assert (s.length, s.headers, s.lists, s.bold) == (42, 1, 3, 2)
    assert StyleCounts.of(["你好世界 hello"]).length == 5


def test_undefeated_model_is_flagged_not_infinite() -> None:
    comps = [Comparison("a", "b", "model_a")] * 5 + [Comparison("b", "c", "tie")] * 4 + \
            [Comparison("c", "b", "model_a"), Comparison("b", "c", "model_a")]
    board = leaderboard(comps, anchor="b", style_control=False, ci="sandwich")
    top = board.ratings[0]
    assert top.model == "a" and "lower bound" in (top.note or "")
    assert math.isfinite(top.rating)
    assert any("do not exist" in w and "a | b, c" in w for w in board.warnings)
    assert all(r.note is None for r in board.ratings if r.model == "c")
    # a model that lost everything, seen from an anchor above it
    board = leaderboard(comps, anchor="a", style_control=False, ci="sandwich")
    assert "upper bound" in (next(r for r in board.ratings if r.model == "b").note or "")


def test_bad_requests_are_refused_plainly() -> None:
    comps = simulate(TRUE, 50, seed=1)
    with pytest.raises(BaimoError, match="at least 100"):
        leaderboard(comps, rounds=20)
    with pytest.raises(BaimoError, match="anchor model 'nope'"):
        leaderboard(comps, anchor="nope", ci="sandwich")
    with pytest.raises(BaimoError, match="at least two models"):
        leaderboard([], ci="sandwich")


def test_split_graph_is_warned() -> None:
    comps = [Comparison("a", "b", "model_a"), Comparison("b", "a", "model_a"),
             Comparison("c", "d", "tie"), Comparison("d", "c", "model_b")]
    board = leaderboard(comps, style_control=False, ci="sandwich")
    assert any("never met" in w for w in board.warnings)


def test_win_rate_matrix() -> None:
    comps = [Comparison("a", "b", "model_a"), Comparison("b", "a", "tie"),
             Comparison("a", "b", "model_b"), Comparison("a", "c", "tie (bothbad)")]
    m = win_rates(comps)
    assert m["a"]["b"] == {"rate": 0.5, "battles": 3}
    assert m["b"]["a"]["rate"] == 0.5
    assert m["c"]["a"] == {"rate": 0.5, "battles": 1}


def test_fit_exposes_covariances() -> None:
    fit = fit_bt(simulate(TRUE, 2000, seed=2), anchor=ANCHOR)
    assert fit.cov is not None and fit.cov.shape == (9, 9)
    assert fit.theta[fit.models.index(ANCHOR)] == 0.0


@pytest.mark.slow
def test_intervals_cover_the_truth() -> None:
    """A smaller version of benchmarks/arena.py: 40 seeds × 9 rated models."""
    hits = {"bootstrap": 0, "sandwich": 0}
    total = 0
    for seed in range(40):
        comps = simulate(TRUE, 5000, seed=1000 + seed)
        for ci in hits:
            board = leaderboard(comps, anchor=ANCHOR, anchor_rating=TRUE[ANCHOR],
                                style_control=False, ci=ci, rounds=300,  # type: ignore[arg-type]
                                seed=seed)
            hits[ci] += sum(r.lower <= TRUE[r.model] <= r.upper
                            for r in board.ratings if r.model != ANCHOR)
        total += 9
    for ci, h in hits.items():
        assert 0.90 <= h / total <= 0.99, (ci, h / total)


def test_style_features_tied_to_a_model_are_left_out_with_a_warning() -> None:
    """A model that always writes headers: "headers" is the model's identity, not a style
    effect the battles can separate, so it is dropped (length still varies and stays)."""
    comps = [Comparison(c.model_a, c.model_b, c.winner,
                        StyleCounts(c.style_a.length if c.style_a else 1,
                                    headers=int(c.model_a == "model-09")),
                        StyleCounts(c.style_b.length if c.style_b else 1,
                                    headers=int(c.model_b == "model-09")))
             for c in simulate(TRUE, 3000, seed=5)]
    board = leaderboard(comps, anchor=ANCHOR, ci="sandwich")
    assert [s.feature for s in board.style] == ["length"]
    assert any("headers left out" in w for w in board.warnings)
    assert board.method["style_control"] is True
    only = [Comparison(c.model_a, c.model_b, c.winner, StyleCounts(1, headers=int(
        c.model_a == "model-09")), StyleCounts(1, headers=int(c.model_b == "model-09")))
        for c in comps]
    board = leaderboard(only, anchor=ANCHOR, ci="sandwich")
    assert board.style == [] and board.method["style_control"] is False
    assert board.method["style_requested"] is True
    assert any("style control is off" in w for w in board.warnings)
    assert all(r.raw_rating is None for r in board.ratings)
