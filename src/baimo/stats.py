"""Small-sample statistics: the one place intervals, percentiles and agreement are computed.

Accuracy always comes with a 95% interval: Wilson's score interval for a proportion (exact
enough at small n, never outside [0, 1]) and a seeded percentile bootstrap for graded scores
and differences between models.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Literal, cast

Z95 = 1.959963984540054


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when n == 0."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At p = 0 (or 1) the bound is exactly 0 (or 1); computed, it came out as 5.6e-17 and
    # showed up as such in CSV and JSON.
    lo = 0.0 if successes <= 0 else max(0.0, centre - half)
    hi = 1.0 if successes >= n else min(1.0, centre + half)
    return (lo, hi)


def bootstrap_mean(values: Sequence[float], rounds: int = 1000, seed: int = 0,
                   alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean."""
    import numpy as np  # only here: most commands never bootstrap

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
    import numpy as np

    x = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if x.size == 0:
        return (0.0, 0.0, 0.0)
    lo, hi = bootstrap_mean(x.tolist(), rounds, seed)
    return (float(x.mean()), lo, hi)


def percentiles(values: Sequence[float | None], qs: Sequence[float] = (50, 90, 95, 99)
                ) -> dict[str, float | None]:
    """Named percentiles (``p50`` …) plus ``mean``; None when there are no values.

    Linear interpolation between closest ranks (numpy's default method), in plain Python:
    a summary of a few thousand latencies should not pay numpy's import at start-up.
    """
    data = sorted(float(v) for v in values if v is not None)
    out: dict[str, float | None] = {}
    if not data:
        out["mean"] = None
        for q in qs:
            out[f"p{q:g}"] = None
        return out
    out["mean"] = math.fsum(data) / len(data)
    last = len(data) - 1
    for q in qs:
        pos = last * q / 100.0
        lo = math.floor(pos)
        hi = min(lo + 1, last)
        out[f"p{q:g}"] = data[lo] + (data[hi] - data[lo]) * (pos - lo)
    return out


def is_binary(values: Sequence[float]) -> bool:
    """True when every value is 0 or 1 (accuracy-like scores)."""
    return all(v in (0.0, 1.0) for v in values)


def mean_interval(values: Sequence[float], rounds: int = 1000, seed: int = 0
                  ) -> tuple[float, float]:
    """The 95% interval of a mean score, the same way on every page.

    Correct/incorrect scores get Wilson's interval: a bootstrap of five zeros claims the
    certainty 0.0–0.0, while Wilson says 0–43%, which is what five samples can tell.
    Graded scores get the seeded percentile bootstrap.
    """
    if not values:
        return (0.0, 1.0)
    if is_binary(values):
        return wilson(sum(values), len(values))
    return bootstrap_mean(values, rounds, seed)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable], *,
                labels: Sequence[Hashable] | None = None,
                weights: Literal["linear", "quadratic"] | None = None) -> float | None:
    """Cohen's kappa between two raters: agreement corrected for the agreement of chance.

    κ = 1 − Σ w·O / Σ w·E, with O the observed and E the chance (product of the marginals)
    proportions over label pairs, and w = 0 on the diagonal and 1 elsewhere (unweighted), or
    |i − j|/(k − 1) (linear) or ((i − j)/(k − 1))² (quadratic) for ordered labels, i and j
    being positions in ``labels``. Unweighted, this is the familiar (p_o − p_e)/(1 − p_e).

    Args:
        a: The first rater's labels.
        b: The second rater's labels, item by item.
        labels: All possible labels in order (needed for weights: a rating scale 1..10 must
            be given whole so that distances are right); default: the labels seen, sorted.
        weights: None (nominal labels), ``linear`` or ``quadratic`` (ordinal labels).

    Returns:
        Kappa, or None when it is undefined (no items, or chance agreement is total, e.g.
        both raters always gave the same single label).

    Raises:
        ValueError: The sequences differ in length, or a label is not in ``labels``.
    """
    if len(a) != len(b):
        raise ValueError(f"rater sequences differ in length: {len(a)} and {len(b)}")
    n = len(a)
    if n == 0:
        return None
    cats = list(labels) if labels is not None else sorted(set(a) | set(b), key=repr)
    if labels is None and all(isinstance(c, int | float) for c in cats):
        cats = sorted(cats, key=lambda c: float(cast(float, c)))
    index = {c: i for i, c in enumerate(cats)}
    missing = (set(a) | set(b)) - set(index)
    if missing:
        raise ValueError(f"labels {sorted(map(repr, missing))} are not in the label list")
    k = len(cats)
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b, strict=True):
        observed[index[x]][index[y]] += 1 / n
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]

    def weight(i: int, j: int) -> float:
        if weights is None:
            return 0.0 if i == j else 1.0
        d = abs(i - j) / (k - 1) if k > 1 else 0.0
        return d if weights == "linear" else d * d

    num = sum(weight(i, j) * observed[i][j] for i in range(k) for j in range(k))
    den = sum(weight(i, j) * rows[i] * cols[j] for i in range(k) for j in range(k))
    if den <= 1e-15:
        return None
    return 1.0 - num / den
