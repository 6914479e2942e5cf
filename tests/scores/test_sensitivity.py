"""Weight sensitivity: one at a time, rank acceptability, smallest flip."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baimo.errors import ConfigError
from baimo.scores import mcda
from baimo.scores.methodology import (
    FactsTable,
    SensitivityOptions,
    load_methodology,
    parse_methodology,
    score_methodology,
)
from baimo.scores.sensitivity import (
    one_at_a_time,
    perturb_weight,
    rank_acceptability,
    smallest_flip_linear,
    smallest_flip_search,
)

EXAMPLE_FACTS = (Path(__file__).resolve().parents[2] / "src" / "baimo" / "scores" / "data"
                 / "frost-sullivan-2023-facts-example.csv")


def _linear(values: np.ndarray):  # type: ignore[no-untyped-def]
    return lambda w: values @ w


def test_perturb_spreads_proportionally_and_renormalises() -> None:
    w, capped = perturb_weight([0.5, 0.3, 0.2], 0, 0.2)
    assert w.tolist() == pytest.approx([0.6, 0.24, 0.16])
    assert not capped and w.sum() == pytest.approx(1.0)
    assert w[1] / w[2] == pytest.approx(0.3 / 0.2)  # siblings keep their ratio
    w, capped = perturb_weight([0.8, 0.2], 0, 0.5)
    assert w.tolist() == pytest.approx([1.0, 0.0]) and capped
    w, capped = perturb_weight([1.0], 0, -0.5)
    assert w.tolist() == [1.0] and capped


def test_one_at_a_time_rows_and_rank_changes() -> None:
    values = np.array([[1.0, 0.0], [0.0, 1.0]])
    rows = one_at_a_time(["x", "y"], [0.55, 0.45], _linear(values), ["A", "B"])
    assert len(rows) == 2 * 6
    by = {(r.weight, r.change): r for r in rows}
    assert not by[("x", 0.1)].rank_changed
    assert by[("x", -0.2)].ranks == {"A": 2, "B": 1}  # 0.44 vs 0.56
    assert by[("x", -0.2)].rank_changed
    assert by[("x", -0.1)].weights == pytest.approx({"x": 0.495, "y": 0.505})
    json.dumps([r.to_dict() for r in rows])


def test_rank_acceptability_is_seeded_and_sums_to_one() -> None:
    values = np.array([[0.9, 0.1, 0.5], [0.2, 0.8, 0.5], [0.5, 0.5, 0.4]])
    w = [0.4, 0.3, 0.3]
    a = rank_acceptability(w, _linear(values), ["A", "B", "C"], draws=500, seed=7)
    b = rank_acceptability(w, _linear(values), ["A", "B", "C"], draws=500, seed=7)
    assert np.array_equal(a.matrix, b.matrix)
    assert np.allclose(a.matrix.sum(axis=1), 1.0)
    u = rank_acceptability(w, _linear(values), ["A", "B", "C"], draws=500, seed=7,
                           concentration=None)
    assert "uniform" in u.distribution
    # more spread in the weights, less certainty about first place
    assert u.matrix[:, 0].max() <= a.matrix[:, 0].max() + 0.05
    d = a.to_dict()
    assert set(d["acceptability"]["A"]) == {"1", "2", "3"}


def test_rank_acceptability_dominant_alternative() -> None:
    values = np.array([[1.0, 1.0], [0.5, 0.2], [0.1, 0.9]])
    acc = rank_acceptability([0.5, 0.5], _linear(values), ["A", "B", "C"], draws=300,
                             concentration=None)
    assert acc.matrix[0, 0] == 1.0 and acc.mean_rank[0] == 1.0


def test_rank_acceptability_keeps_zero_weights_zero() -> None:
    seen: list[np.ndarray] = []

    def fn(w: np.ndarray) -> np.ndarray:
        seen.append(w)
        return np.array([w[0], w[1]])

    rank_acceptability([0.7, 0.3, 0.0], fn, ["A", "B"], draws=50)
    assert all(w[2] == 0.0 for w in seen)


def test_smallest_flip_linear_by_hand() -> None:
    values = np.array([[1.0, 0.0], [0.0, 1.0]])
    flip = smallest_flip_linear(values, [0.6, 0.4], ["A", "B"], ["x", "y"])
    assert flip.winner == "A" and flip.competitor == "B"
    assert flip.distance == pytest.approx(0.2)       # move 0.1 from x to y
    assert flip.max_abs_change == pytest.approx(0.1)
    assert flip.min_max_abs == pytest.approx(0.1)
    assert flip.weights_after == pytest.approx({"x": 0.5, "y": 0.5})
    assert flip.method == "linear-program"


def test_smallest_flip_cannot_flip_a_dominant_winner() -> None:
    values = np.array([[1.0, 1.0], [0.5, 0.9]])
    flip = smallest_flip_linear(values, [0.5, 0.5], ["A", "B"], ["x", "y"])
    assert flip.distance is None and flip.competitor is None
    assert "at least as good on every criterion" in flip.note
    search = smallest_flip_search([0.5, 0.5], _linear(values), ["A", "B"], ["x", "y"])
    assert search.distance is None


def test_smallest_flip_already_tied() -> None:
    values = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert smallest_flip_linear(values, [0.5, 0.5], ["A", "B"], ["x", "y"]).distance == 0.0


def test_search_matches_the_linear_programme_for_two_criteria() -> None:
    values = np.array([[0.9, 0.2], [0.4, 0.6], [0.1, 0.7]])
    w = [0.7, 0.3]
    exact = smallest_flip_linear(values, w, ["A", "B", "C"], ["x", "y"])
    found = smallest_flip_search(w, _linear(values), ["A", "B", "C"], ["x", "y"])
    assert exact.distance is not None and found.distance is not None
    assert found.distance == pytest.approx(exact.distance, abs=1e-9)
    assert found.competitor == exact.competitor


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=9, max_size=9),
       st.lists(st.integers(1, 10), min_size=3, max_size=3))
def test_linear_flip_is_minimal_on_a_grid(cells: list[int], raw_w: list[int]) -> None:
    """No weighting on a 1/40 grid of the simplex flips first place closer than the LP says,
    and the LP's own solution does flip (the competitor at least ties)."""
    values = np.array(cells, dtype=float).reshape(3, 3) / 10
    w = np.array(raw_w, dtype=float) / sum(raw_w)
    names, alts = ["x", "y", "z"], ["A", "B", "C"]
    flip = smallest_flip_linear(values, w, alts, names)
    top = int(np.argmax(values @ w))
    if flip.distance is None or flip.distance == 0.0:
        return
    assert flip.weights_after is not None
    after = np.array([flip.weights_after[n] for n in names])
    s = values @ after
    assert max(s[c] for c in range(3) if c != top) >= s[top] - 1e-9
    for i, j in itertools.product(range(41), repeat=2):
        if i + j > 40:
            continue
        g = np.array([i, j, 40 - i - j]) / 40
        sg = values @ g
        if max(sg[c] for c in range(3) if c != top) > sg[top] + 1e-9:
            assert np.abs(g - w).sum() >= flip.distance - 1e-7


# --------------------------------------------------------------------------- methodology level


@pytest.fixture(scope="module")
def fs_facts() -> FactsTable:
    return FactsTable.load(EXAMPLE_FACTS)


@pytest.mark.parametrize("method", ["weighted-sum", "topsis"])
@pytest.mark.parametrize("level", ["dimensions", "indicators"])
def test_methodology_sensitivity(fs_facts: FactsTable, method: str, level: str) -> None:
    fs = load_methodology("frost-sullivan-2023")
    r = score_methodology(fs, fs_facts, method=method,  # type: ignore[arg-type]
                          sensitivity=SensitivityOptions(level=level, draws=200,  # type: ignore[arg-type]
                                                         seed=1))
    sens = r.sensitivity
    assert sens is not None
    n_ent = len(r.scores)
    assert sens.acceptability.matrix.shape == (n_ent, n_ent)
    assert np.allclose(sens.acceptability.matrix.sum(axis=1), 1.0)
    if level == "dimensions":
        assert sens.weight_names == ("product_technology", "strategic_vision",
                                     "ecosystem_openness")
        assert len(sens.oat) == 3 * 6
    else:
        assert len(sens.weight_names) == 16
        assert len(sens.oat) == 16 * 6
        groups = {row.group for row in sens.oat}
        assert groups == {"dimension:product_technology", "dimension:strategic_vision",
                          "dimension:ecosystem_openness"}
        for row in sens.oat:  # a group's weights still sum to 1 after the change
            assert sum(row.weights.values()) == pytest.approx(1.0)
    assert sens.flip.winner == r.ranking()[0]
    assert sens.flip.method == ("linear-program" if method == "weighted-sum" else "search")
    json.dumps(r.to_dict(), allow_nan=False)


def test_indicator_level_oat_matches_rescoring(fs_facts: FactsTable) -> None:
    """An OAT row's scores equal a full re-score with that changed local weight."""
    fs = load_methodology("frost-sullivan-2023")
    r = score_methodology(fs, fs_facts, sensitivity=SensitivityOptions(level="indicators",
                                                                        draws=10))
    assert r.sensitivity is not None
    row = next(x for x in r.sensitivity.oat
               if x.weight == "training_data" and x.change == 0.5)
    text = fs.model_dump()
    # recompute by hand: dimension score with the changed local weights, then overall
    dims = text["dimensions"]
    base = score_methodology(fs, fs_facts)
    for ent in r.ranking():
        s = base.score_of(ent)
        pt = sum(row.weights[i["id"]] * s.indicators[i["id"]].normalised
                 for i in dims[0]["indicators"])
        overall = (0.34 * pt + 0.39 * (s.dimensions["strategic_vision"] - 1) / 4
                   + 0.27 * (s.dimensions["ecosystem_openness"] - 1) / 4)
        assert row.scores[ent] == pytest.approx(overall)


def test_sensitivity_needs_an_overall_score() -> None:
    text = """\
    id: sep
    title: Separate
    provenance: {publisher: t, title: t, date: "2024"}
    combine: {mode: separate}
    dimensions:
      - {id: a, name: A, indicators: [{id: x, name: X, source: manual}]}
      - {id: b, name: B, indicators: [{id: y, name: Y, source: manual}]}
    """
    import textwrap

    m = parse_methodology(textwrap.dedent(text))
    facts = FactsTable.from_rows([
        {"entity": e, "indicator": i, "value": v, "source": "t", "as_of": "2024"}
        for e, i, v in [("P", "x", "1"), ("P", "y", "2"), ("Q", "x", "2"), ("Q", "y", "1")]])
    with pytest.raises(ConfigError, match="no overall score"):
        score_methodology(m, facts, sensitivity=SensitivityOptions())


def test_rank_descending_used_consistently() -> None:
    assert mcda.rank_descending(np.array([0.5, 0.5, 0.1])).tolist() == [1, 1, 3]
