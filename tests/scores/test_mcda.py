"""MCDA primitives: hand-checked examples, and property tests against pymcdm.

Hypothesis strategies are constrained so that both implementations are numerically well
defined, and the constraints are stated where they are made:

* decision-matrix values lie on a 0.1 grid in [0.1, 1000], so two distinct values in a column
  differ by at least 1e-4 relative to the largest (no catastrophic cancellation in min-max or
  in TOPSIS distances) and every value is strictly positive (pymcdm's sum normalisation, used
  by its entropy weights, refuses zeros);
* weights are drawn in [0.01, 1] and normalised, so none is zero;
* for TOPSIS at least one column is not constant; otherwise D⁺ + D⁻ = 0 and closeness is 0/0
  (pymcdm returns NaN, baimo 0.5 with a note);
* for entropy weights at least one column varies by a coefficient of variation of 1% or more;
  otherwise every divergence 1 − E is float noise and the weights are noise / noise;
* pymcdm is called with ``validation=False``: its validator only re-checks what the strategy
  guarantees, and warns (an error under this repo's pytest settings) about dominant
  alternatives, which random matrices often contain;
* AHP matrices are built from Saaty's 1–9 scale and its reciprocals (the values pymcdm's
  validator accepts), for n = 1..10.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from baimo.errors import ConfigError
from baimo.scores import mcda
from baimo.scores.mcda import Normalisation

pymcdm = pytest.importorskip("pymcdm")
from pymcdm import normalizations as pn  # noqa: E402
from pymcdm.methods import TOPSIS, WSM  # noqa: E402
from pymcdm.weights import entropy_weights as pymcdm_entropy  # noqa: E402
from pymcdm.weights.subjective import AHP  # noqa: E402

TOL = 1e-9
Problem = tuple[np.ndarray, np.ndarray, list[str], np.ndarray]
SAATY_SCALE = [1 / v for v in range(9, 1, -1)] + [float(v) for v in range(1, 10)]


# --------------------------------------------------------------------------- strategies


@st.composite
def decision_problems(draw: st.DrawFn) -> Problem:
    m = draw(st.integers(2, 8))
    n = draw(st.integers(1, 6))
    cells = draw(st.lists(st.integers(1, 10_000), min_size=m * n, max_size=m * n))
    matrix = np.array(cells, dtype=float).reshape(m, n) / 10.0
    raw_w = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n)))
    weights = raw_w / raw_w.sum()
    directions = draw(st.lists(st.sampled_from(["benefit", "cost"]), min_size=n, max_size=n))
    types = np.array([1 if d == "benefit" else -1 for d in directions])
    return matrix, weights, directions, types


@st.composite
def pairwise_matrices(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(1, 10))
    a = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            v = draw(st.sampled_from(SAATY_SCALE))
            a[i, j] = v
            a[j, i] = 1.0 / v
    return a


PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- normalisations


def test_minmax_benefit_cost_and_constant() -> None:
    assert mcda.minmax([1, 2, 3]).tolist() == [0.0, 0.5, 1.0]
    assert mcda.minmax([1, 2, 3], cost=True).tolist() == [1.0, 0.5, 0.0]
    assert mcda.minmax([4, 4]).tolist() == [1.0, 1.0]


def test_zscore_uses_population_sd() -> None:
    z = mcda.zscore([1.0, 3.0])
    assert z.tolist() == [-1.0, 1.0]
    assert mcda.zscore([1.0, 3.0], cost=True).tolist() == [1.0, -1.0]
    assert mcda.zscore([2.0, 2.0]).tolist() == [0.0, 0.0]


def test_vector_and_cost_reflection() -> None:
    assert np.allclose(mcda.vector([3, 4]), [0.6, 0.8])
    assert np.allclose(mcda.vector([3, 4], cost=True), [0.4, 0.2])
    assert mcda.vector([0, 0]).tolist() == [0.0, 0.0]


def test_fixed_scale_is_absolute_and_refuses_out_of_range() -> None:
    assert mcda.fixed_scale([1, 3, 5], 1, 5).tolist() == [0.0, 0.5, 1.0]
    assert mcda.fixed_scale([1, 3, 5], 1, 5, cost=True).tolist() == [1.0, 0.5, 0.0]
    # one alternative alone keeps its absolute position (min-max would give 1.0)
    assert mcda.fixed_scale([4.0], 1, 5).tolist() == [0.75]
    with pytest.raises(ValueError, match="outside the scale"):
        mcda.fixed_scale([0.5, 3], 1, 5)


def test_normalisation_spec_checks_and_describes() -> None:
    with pytest.raises(ValueError, match="needs both min and max"):
        Normalisation("scale")
    with pytest.raises(ValueError, match="below max"):
        Normalisation("scale", 5, 1)
    with pytest.raises(ValueError, match="only apply"):
        Normalisation("minmax", 0, 1)
    assert Normalisation("scale", 1, 5).describe() == "scale 1-5: (x - 1) / (5 - 1)"
    assert "(max - x)" in Normalisation("minmax").describe("cost")
    with pytest.raises(ValueError, match="cannot invert a cost"):
        mcda.normalise([1.0, 2.0], "cost", Normalisation("none"))


def test_rank_descending_competition_ranks_with_float_ties() -> None:
    assert mcda.rank_descending([0.3, 0.9, 0.3, 0.1]).tolist() == [2, 1, 2, 4]
    assert mcda.rank_descending([0.1 + 0.2, 0.3]).tolist() == [1, 1]


def test_check_weights_refuses_bad_sums() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        mcda.check_weights([0.5, 0.4], 2)
    with pytest.raises(ValueError, match="non-negative"):
        mcda.check_weights([1.5, -0.5], 2)


# --------------------------------------------------------------------------- aggregation


def test_weighted_sum_by_hand() -> None:
    matrix = [[10.0, 100.0], [20.0, 50.0], [30.0, 75.0]]
    res = mcda.weighted_sum(matrix, [0.5, 0.5], ["benefit", "cost"], Normalisation("minmax"))
    # benefit: 0, .5, 1; cost (price): 0, 1, .5
    assert np.allclose(res.scores, [0.0, 0.75, 0.75])
    assert res.ranks.tolist() == [3, 1, 1]
    assert res.normalisations[1].startswith("minmax: (max - x)")


def test_topsis_by_hand_vector() -> None:
    matrix = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0]])
    res = mcda.topsis(matrix, [0.5, 0.5], ["benefit", "benefit"], "vector")
    v = matrix / np.sqrt((matrix ** 2).sum(axis=0)) * 0.5
    dp = np.sqrt(((v - v.max(axis=0)) ** 2).sum(axis=1))
    dm = np.sqrt(((v - v.min(axis=0)) ** 2).sum(axis=1))
    assert np.allclose(res.scores, dm / (dp + dm))
    assert res.ranks.tolist() == [2, 2, 1]
    assert res.d_plus is not None and res.d_plus[2] == 0.0
    assert all(n.startswith("vector") for n in res.normalisations)


def test_topsis_all_identical_is_half_with_note() -> None:
    res = mcda.topsis([[1.0, 2.0], [1.0, 2.0]], [0.5, 0.5], ["benefit", "cost"])
    assert res.scores.tolist() == [0.5, 0.5]
    assert res.notes


def test_topsis_refuses_other_normalisations() -> None:
    with pytest.raises(ValueError, match="vector' or 'minmax"):
        mcda.topsis([[1.0]], [1.0], ["benefit"], "zscore")  # type: ignore[arg-type]


@PROPS
@given(decision_problems(), st.sampled_from(["minmax", "vector"]))
def test_weighted_sum_agrees_with_pymcdm(problem: Problem, norm: str) -> None:
    matrix, weights, directions, types = problem
    ours = mcda.weighted_sum(matrix, weights, directions, Normalisation(norm))  # type: ignore[arg-type]
    fn = pn.minmax_normalization if norm == "minmax" else pn.vector_normalization
    theirs = WSM(normalization_function=fn)(matrix, weights, types, validation=False)
    assert np.allclose(ours.scores, theirs, rtol=0, atol=TOL)


@PROPS
@given(decision_problems(), st.sampled_from(["minmax", "vector"]))
def test_topsis_agrees_with_pymcdm(problem: Problem, norm: str) -> None:
    matrix, weights, directions, types = problem
    assume(np.ptp(matrix, axis=0).max() > 0)
    ours = mcda.topsis(matrix, weights, directions, norm)  # type: ignore[arg-type]
    fn = pn.minmax_normalization if norm == "minmax" else pn.vector_normalization
    theirs = TOPSIS(normalization_function=fn)(matrix, weights, types, validation=False)
    assert np.allclose(ours.scores, theirs, rtol=0, atol=TOL)


def test_pymcdm_topsis_default_is_minmax_not_vector() -> None:
    """MEASURE.md warns about this default; pin it so a pymcdm change is noticed."""
    matrix = np.array([[1.0, 9.0], [4.0, 2.0], [6.0, 5.0]])
    w, types = np.array([0.7, 0.3]), np.array([1, 1])
    default = TOPSIS()(matrix, w, types)
    assert np.allclose(default, mcda.topsis(matrix, w, ["benefit"] * 2, "minmax").scores)
    assert not np.allclose(default, mcda.topsis(matrix, w, ["benefit"] * 2, "vector").scores)


# --------------------------------------------------------------------------- AHP


def test_ahp_consistent_matrix_recovers_weights() -> None:
    w = np.array([0.5, 0.3, 0.2])
    res = mcda.ahp(w[:, None] / w[None, :], name="test")
    assert np.allclose(res.weights, w)
    assert abs(res.lambda_max - 3) < 1e-9
    assert res.cr < 1e-9 and res.consistent


def test_ahp_accepts_fraction_text() -> None:
    res = mcda.ahp([[1, 3, 5], ["1/3", 1, 2], ["1/5", "1/2", 1]], name="fractions")
    assert res.weights[0] > res.weights[1] > res.weights[2]
    assert res.ri == 0.58 and res.cr < 0.1


def test_ahp_refuses_inconsistent_matrix_naming_it() -> None:
    bad: list[list[float | str]] = [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]
    with pytest.raises(ConfigError, match=r"AHP matrix 'dimension weights' is too inconsistent.*CR"):
        mcda.ahp(bad, name="dimension weights")
    res = mcda.ahp(bad, name="diagnostic", max_cr=None)
    assert res.cr > 0.1 and not res.consistent


@pytest.mark.parametrize("matrix, message", [
    ([[1, 2], [2, 1]], "not reciprocal"),
    ([[1, 2, 3], [0.5, 1, 1]], "square"),
    ([[1, -2], [-0.5, 1]], "positive"),
    ([[2, 1], [1, 1]], "diagonal"),
    ([[1, "x"], [1, 1]], "fraction"),
])
def test_ahp_refuses_malformed_matrices(matrix: list[list[float | str]], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        mcda.ahp(matrix, name="m")


def test_saaty_ri_table() -> None:
    assert [mcda.SAATY_RI[n] for n in range(1, 11)] == [
        0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49]


@PROPS
@given(pairwise_matrices())
def test_ahp_agrees_with_pymcdm(matrix: np.ndarray) -> None:
    """Weights agree; CR agrees once the two RI tables are accounted for.

    pymcdm divides CI by Tummala & Ling's RI (0.5799 for n = 3 ...), baimo by Saaty's (0.58
    ...), as the brief requires; so the comparison is on CI = CR · RI, which both share.
    """
    n = matrix.shape[0]
    ours = mcda.ahp(matrix, name="property", max_cr=None)
    ref = AHP(matrix=matrix)
    assert np.allclose(ours.weights, ref(), rtol=0, atol=TOL)
    if n >= 3:
        their_ci = ref.get_cr() * AHP.RI_M[n - 1]
        assert abs(ours.ci - their_ci) < TOL
        assert abs(ours.cr - ours.ci / mcda.SAATY_RI[n]) < 1e-12
    else:
        assert ours.cr == 0.0 and ref.get_cr() == 0


# --------------------------------------------------------------------------- entropy


def test_entropy_weights_ignore_constant_columns() -> None:
    w = mcda.entropy_weights([[1.0, 5.0, 2.0], [1.0, 1.0, 2.0], [1.0, 3.0, 2.0]])
    assert w[0] == 0.0 and w[2] == 0.0 and w[1] == pytest.approx(1.0)


def test_entropy_weights_all_constant_fall_back_to_equal() -> None:
    assert mcda.entropy_weights([[2.0, 3.0], [2.0, 3.0]]).tolist() == [0.5, 0.5]


def test_entropy_zero_share_convention() -> None:
    """0·ln 0 = 0: a zero is information, not a reason for maximal weight (pymcdm differs)."""
    w = mcda.entropy_weights([[0.0, 1.0], [10.0, 1.1], [10.0, 0.9]])
    assert 0 < w[0] < 1 and np.isclose(w.sum(), 1.0)
    with pytest.raises(ValueError, match="non-negative"):
        mcda.entropy_weights([[-1.0], [1.0]])
    with pytest.raises(ValueError, match="two alternatives"):
        mcda.entropy_weights([[1.0, 2.0]])


@PROPS
@given(decision_problems())
def test_entropy_weights_agree_with_pymcdm(problem: Problem) -> None:
    matrix = problem[0]
    cv = matrix.std(axis=0) / matrix.mean(axis=0)
    assume(cv.max() >= 0.01)
    assert np.allclose(mcda.entropy_weights(matrix), pymcdm_entropy(matrix), rtol=0, atol=TOL)
