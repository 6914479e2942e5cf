"""Small-sample statistics used everywhere a number is reported.

Accuracy always comes with a 95% interval: Wilson's score interval for a proportion (exact
enough at small n, never outside [0, 1]) and a seeded percentile bootstrap for graded scores
and differences between models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Z95 = 1.959963984540054


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when n == 0."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_mean(values: Sequence[float], rounds: int = 1000, seed: int = 0,
                   alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return (0.0, 0.0)
    if arr.size == 1:
        return (float(arr[0]), float(arr[0]))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, arr.size, size=(rounds, arr.size))
    means = arr[idx].mean(axis=1)
    return (float(np.quantile(means, alpha / 2)), float(np.quantile(means, 1 - alpha / 2)))


def paired_bootstrap_diff(a: Sequence[float], b: Sequence[float], rounds: int = 2000,
                          seed: int = 0) -> tuple[float, float, float]:
    """Mean difference a − b over paired samples, with a 95% interval.

    Returns (diff, low, high); the difference is significant when the interval excludes 0.
    """
    x = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if x.size == 0:
        return (0.0, 0.0, 0.0)
    lo, hi = bootstrap_mean(x.tolist(), rounds, seed)
    return (float(x.mean()), lo, hi)


def percentiles(values: Sequence[float], qs: Sequence[float] = (50, 90, 95, 99)
                ) -> dict[str, float | None]:
    """Named percentiles (``p50`` …) plus ``mean``; None when there are no values."""
    arr = np.asarray([v for v in values if v is not None], dtype=np.float64)
    out: dict[str, float | None] = {}
    if arr.size == 0:
        out["mean"] = None
        for q in qs:
            out[f"p{q:g}"] = None
        return out
    out["mean"] = float(arr.mean())
    for q, v in zip(qs, np.percentile(arr, qs), strict=True):
        out[f"p{q:g}"] = float(v)
    return out
