"""Intervals and profiles: known values, and significance that detects real differences."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from baimo.scores.profile import build_profile, task_dimensions
from baimo.scores.summary import summarize
from baimo.stats import bootstrap_mean, paired_bootstrap_diff, percentiles, wilson
from baimo.store.records import ResultRecord


def test_wilson_known_values() -> None:
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)
    lo, hi = wilson(0, 20)
    assert lo == 0.0 and 0.1 < hi < 0.2


def test_bootstrap_and_percentiles() -> None:
    lo, hi = bootstrap_mean([0, 1] * 50, seed=1)
    assert lo < 0.5 < hi and hi - lo < 0.25
    p = percentiles([1, 2, 3, 4])
    assert p["p50"] == 2.5 and p["mean"] == 2.5
    assert percentiles([])["p99"] is None
    d, lo, hi = paired_bootstrap_diff([1] * 30, [0] * 30)
    assert d == 1.0 and lo == hi == 1.0


def _rows(model: str, task: str, scores: list[float], status: str = "ok") -> list[ResultRecord]:
    return [ResultRecord(model_name=model, task=task, sample_id=f"s{i}", category=None,
                         status=status if s else ("wrong" if status == "ok" else status),
                         score=s, prompt_tokens=1, completion_tokens=1, usage_estimated=False,
                         latency_s=0.1, ttft_s=0.05, cost=0.01, currency="CNY", cached=False,
                         reason=None, run_id="r", task_version="1", key=f"k{i}", extracted=None,
                         details=None, attempts=1) for i, s in enumerate(scores)]


def test_profile_macro_averages_tasks_and_marks_significance() -> None:
    rows = (_rows("strong", "ifeval", [1.0] * 40) + _rows("strong", "demo", [1.0] * 10 + [0.0] * 10)
            + _rows("weak", "ifeval", [0.0] * 30 + [1.0] * 10)
            + _rows("weak", "demo", [1.0] * 10 + [0.0] * 10))
    dims = task_dimensions([], {"demo": "knowledge"})
    prof = build_profile(rows, dims)
    s = prof["models"]["strong"]
    assert s["instruction"]["score"] == 1.0 and s["knowledge"]["score"] == 0.5
    assert s["knowledge"]["ci_low"] < 0.5 < s["knowledge"]["ci_high"]
    sig = {(x["task"]): x for x in prof["significance"]}
    assert sig["ifeval"]["significant"] and sig["ifeval"]["diff"] == pytest.approx(0.75)
    assert not sig["demo"]["significant"]
    assert prof["dimensions"] == ["knowledge", "instruction"]


def test_errors_and_judge_parse_errors_are_not_scored() -> None:
    rows = (_rows("m", "t", [1.0, 1.0]) + _rows("m", "t", [0.0], status="error")
            + _rows("m", "t", [0.0], status="judge-parse-error"))
    rows = [replace(r, sample_id=f"x{i}") for i, r in enumerate(rows)]
    acc = summarize(rows)["models"]["m"]["overall"]
    assert acc["n"] == 4 and acc["scored"] == 2 and acc["accuracy"] == 1.0
    assert not math.isnan(acc["ci_low"])
    assert summarize(rows)["models"]["m"]["cost_per_100_correct"] == pytest.approx(2.0)
