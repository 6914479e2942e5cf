"""Recovering dimension weights from published results (Frost & Sullivan 2023)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import nnls

from baimo.errors import DatasetError, NotFound
from baimo.scores.fitweights import (
    fit_table,
    fit_weights,
    integer_percent_solutions,
    load_results_table,
)

# Seed 002, "综合竞争力表现": composite and (产品技术能力, 战略愿景能力, 生态开放能力).
PUBLISHED = {
    "SenseTime": (4.65, (4.79, 4.59, 4.57)),
    "Baidu": (4.56, (4.67, 4.41, 4.63)),
    "Alibaba": (4.48, (4.54, 4.35, 4.60)),
    "Huawei": (4.39, (4.52, 4.33, 4.32)),
    "Tencent": (3.99, (3.83, 3.93, 4.29)),
}


def test_builtin_table_transcribes_the_seed() -> None:
    t = load_results_table()
    assert t.entities == tuple(PUBLISHED)
    assert t.labels == ("商汤", "百度", "阿里巴巴", "华为", "腾讯")
    assert t.dimensions == ("product_technology", "strategic_vision", "ecosystem_openness")
    for ent, comp, dims in zip(t.entities, t.composites, t.scores, strict=True):
        assert comp == PUBLISHED[ent][0]
        assert tuple(dims) == PUBLISHED[ent][1]
    assert all("002_42bbc7321cf57f04.txt" in s for s in t.sources)
    assert set(t.as_of) == {"2023"}


def test_fs_weights_reproduce_every_composite() -> None:
    """The done criterion: recovered weights reproduce all five composites within 0.01."""
    fit = fit_table()
    assert fit.weights.min() >= 0 and fit.weights.sum() == pytest.approx(1.0)
    assert np.all(np.abs(fit.residuals) <= 0.01)
    assert fit.within_tolerance and fit.tolerance == pytest.approx(0.01)
    # ... and in fact every fitted composite rounds to the published one
    assert fit.reproduces_rounding and fit.max_abs_residual < 0.005
    assert fit.identifiable
    assert fit.weights == pytest.approx([0.3394, 0.3951, 0.2655], abs=5e-4)
    assert fit.r2 > 0.999
    assert (34, 39, 27) in fit.integer_percent
    assert fit.integer_percent[0] == (34, 39, 27)
    assert "follows from the dimension scores" in fit.summary()


def test_fit_agrees_with_nnls_on_the_augmented_system() -> None:
    """Independent solver: NNLS with the sum-to-one row weighted heavily."""
    t = load_results_table()
    big = 1e4
    a = np.vstack([t.scores, big * np.ones(3)])
    b = np.append(t.composites, big)
    w_nnls, _ = nnls(a, b)
    assert fit_table().weights == pytest.approx(w_nnls, abs=1e-5)


def test_equal_weights_do_not_reproduce_the_table() -> None:
    t = load_results_table()
    err = np.abs(t.scores.mean(axis=1) - t.composites)
    assert err.max() > 0.02  # Tencent: 4.017 against 3.99


def test_synthetic_exact_recovery() -> None:
    rng = np.random.default_rng(3)
    scores = rng.uniform(3, 5, size=(8, 3))
    w = np.array([0.2, 0.5, 0.3])
    fit = fit_weights(scores, scores @ w, dimensions=("a", "b", "c"),
                      entities=tuple("ABCDEFGH"), decimals=6)
    assert fit.weights == pytest.approx(w, abs=1e-7)
    assert fit.max_abs_residual < 1e-7 and fit.reproduces_rounding


def test_rounded_synthetic_stays_within_the_rounding_bound() -> None:
    rng = np.random.default_rng(11)
    true = rng.uniform(3, 5, size=(6, 3))
    w = np.array([0.35, 0.4, 0.25])
    fit = fit_weights(np.round(true, 2), np.round(true @ w, 2), dimensions=("a", "b", "c"),
                      entities=tuple("ABCDEF"))
    assert fit.within_tolerance


def test_non_weighted_mean_is_reported_as_such() -> None:
    scores = np.array([[4.0, 3.0], [3.0, 4.0], [3.5, 3.5]])
    composites = np.array([4.5, 4.5, 3.0])  # outside the range of any weighted mean
    fit = fit_weights(scores, composites, dimensions=("a", "b"), entities=("A", "B", "C"))
    assert not fit.within_tolerance and not fit.reproduces_rounding
    assert "do NOT follow" in fit.summary()
    assert fit.integer_percent == ()


def test_underdetermined_is_flagged() -> None:
    scores = np.array([[4.0, 3.0, 2.0]])
    fit = fit_weights(scores, np.array([3.0]), dimensions=("a", "b", "c"), entities=("A",))
    assert not fit.identifiable
    assert "not uniquely determined" in fit.summary()


def test_integer_percent_limits_dimensions() -> None:
    scores = np.ones((2, 5))
    assert integer_percent_solutions(scores, np.ones(2)) == ()


def test_to_dict_is_json() -> None:
    d = json.loads(json.dumps(fit_table().to_dict(), allow_nan=False))
    assert set(d["weights"]) == {"product_technology", "strategic_vision", "ecosystem_openness"}
    assert d["entities"]["Tencent"]["published"] == 3.99


def test_results_loader_errors(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_text("entity,composite,a,source\nX,1,1,doc\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"r.csv:1: missing column\(s\) as_of"):
        load_results_table(p)
    p.write_text("entity,composite,a,source,as_of\nX,1,one,doc,2024\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"r.csv:2: column 'a' of 'X' is 'one'"):
        load_results_table(p)
    p.write_text("entity,composite,source,as_of\nX,1,doc,2024\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no dimension columns"):
        load_results_table(p)
    p.write_text("entity,composite,a,source,as_of\nX,1,1,,2024\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"r.csv:2: column 'source' is empty"):
        load_results_table(p)
    with pytest.raises(NotFound):
        load_results_table(tmp_path / "absent.csv")
