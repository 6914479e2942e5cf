"""Multi-criteria decision analysis (MCDA): normalisations, weighted sum, TOPSIS, AHP, entropy.

Everything here is pure numpy on a *decision matrix*: one row per alternative (a vendor or a
model), one column per criterion (an indicator). The functions are small and explicit because an
analyst's score is only as credible as the arithmetic behind it, and that arithmetic must be
reproducible from the result alone: every result says which normalisation it used for every
criterion.

Conventions, chosen once and used everywhere:

* After normalisation **higher is always better**. A cost criterion (price, latency) is inverted
  by its normalisation, so weighted sums and TOPSIS ideals never need to know directions again.
* Weights are non-negative and sum to 1 (within 1e-6); they are never silently rescaled, because
  a weight that does not add up is usually a typo in a methodology, not a convention.
* Ranks are competition ranks ("1, 2, 2, 4"): alternatives whose scores are equal within a
  relative 1e-12 share the better rank, so float noise never decides a published position.

The conventions agree with ``pymcdm`` (checked by property tests) wherever pymcdm has the same
method, including its treatment of a constant column under min-max (all ones) and of cost
criteria under vector normalisation (``1 - x/‖x‖``, which leaves TOPSIS distances unchanged).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from baimo.errors import ConfigError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Direction = Literal["benefit", "cost"]
NormKind = Literal["minmax", "zscore", "vector", "scale", "none"]
TopsisNorm = Literal["vector", "minmax"]

WEIGHT_TOLERANCE = 1e-6
"""How far a weight vector's sum may stray from 1 before it is refused."""

TIE_RTOL = 1e-12
"""Relative tolerance under which two scores count as a tie when ranking."""

__all__ = [
    "SAATY_RI",
    "AhpResult",
    "Direction",
    "FloatArray",
    "IntArray",
    "McdaResult",
    "NormKind",
    "Normalisation",
    "TopsisNorm",
    "ahp",
    "check_weights",
    "entropy_weights",
    "fixed_scale",
    "minmax",
    "normalise",
    "normalise_matrix",
    "parse_judgement",
    "rank_descending",
    "topsis",
    "topsis_closeness",
    "vector",
    "weighted_sum",
    "zscore",
]


# --------------------------------------------------------------------------- normalisations


@dataclass(frozen=True)
class Normalisation:
    """How one criterion's raw values are brought onto a common, higher-is-better scale.

    Attributes:
        kind: ``minmax`` (relative to the alternatives compared), ``zscore`` (standard scores,
            population standard deviation), ``vector`` (divide by the column's Euclidean norm),
            ``scale`` (a fixed published scale such as 1–5, so one vendor's score does not
            depend on who else is compared) or ``none`` (values already comparable; benefit
            criteria only).
        min: Lower end of a fixed scale (``scale`` only).
        max: Upper end of a fixed scale (``scale`` only).
    """

    kind: NormKind = "minmax"
    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        if self.kind == "scale":
            if self.min is None or self.max is None:
                raise ValueError("a 'scale' normalisation needs both min and max")
            if not (math.isfinite(self.min) and math.isfinite(self.max)) or self.min >= self.max:
                raise ValueError(f"scale min ({self.min}) must be below max ({self.max})")
        elif self.min is not None or self.max is not None:
            raise ValueError(f"min/max only apply to kind 'scale', not {self.kind!r}")

    def describe(self, direction: Direction = "benefit") -> str:
        """A one-line formula a reader can recompute the normalised value from."""
        cost = direction == "cost"
        if self.kind == "minmax":
            formula = "(max - x) / (max - min)" if cost else "(x - min) / (max - min)"
            return f"minmax: {formula} over the alternatives compared; 1 if all are equal"
        if self.kind == "zscore":
            formula = "(mean - x) / sd" if cost else "(x - mean) / sd"
            return f"zscore: {formula}, population sd; 0 if all are equal"
        if self.kind == "vector":
            formula = "1 - x / ||x||" if cost else "x / ||x||"
            return f"vector: {formula}, ||x|| the Euclidean norm of the column"
        if self.kind == "scale":
            lo, hi = _fmt(self.min), _fmt(self.max)
            formula = f"({hi} - x) / ({hi} - {lo})" if cost else f"(x - {lo}) / ({hi} - {lo})"
            return f"scale {lo}-{hi}: {formula}"
        return "none: raw value used as is"


def _fmt(x: float | None) -> str:
    return "?" if x is None else f"{x:g}"


def _as_vector(x: Sequence[float] | FloatArray) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-d column of values, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("values must be finite numbers (no NaN or infinity)")
    return arr


def minmax(x: Sequence[float] | FloatArray, cost: bool = False) -> FloatArray:
    """Min-max normalisation onto [0, 1], relative to the alternatives compared.

    A constant column carries no information to tell alternatives apart, so every alternative
    gets 1.0 (pymcdm's convention too): the criterion then shifts all scores equally and never
    changes a rank.
    """
    v = _as_vector(x)
    lo, hi = float(v.min(initial=np.inf)), float(v.max(initial=-np.inf))
    if v.size == 0 or lo == hi:
        return np.ones_like(v)
    if cost:
        return (hi - v) / (hi - lo)
    return (v - lo) / (hi - lo)


def zscore(x: Sequence[float] | FloatArray, cost: bool = False) -> FloatArray:
    """Standard scores with the population standard deviation (ddof=0).

    ddof=0 because the alternatives compared are the whole population being ranked, not a
    sample of a larger one. A constant column gives zeros (everybody is average).
    """
    v = _as_vector(x)
    if v.size == 0:
        return v.copy()
    sd = float(v.std())
    if sd == 0.0:
        return np.zeros_like(v)
    z = (v - v.mean()) / sd
    return np.asarray(-z if cost else z, dtype=np.float64)


def vector(x: Sequence[float] | FloatArray, cost: bool = False) -> FloatArray:
    """Vector normalisation ``x / ‖x‖``; a cost criterion becomes ``1 - x / ‖x‖``.

    The cost form is a reflection with slope -1, so TOPSIS distances are exactly those of the
    textbook form (raw ``x / ‖x‖`` with the ideal at the column minimum) while keeping the
    "higher is better" convention. An all-zero column is treated as ``0 / 0 = 0``.
    """
    v = _as_vector(x)
    norm = float(np.sqrt(np.sum(v * v)))
    r = v / norm if norm > 0 else np.zeros_like(v)
    return 1.0 - r if cost else r


def fixed_scale(
    x: Sequence[float] | FloatArray, lo: float, hi: float, cost: bool = False
) -> FloatArray:
    """Map a published scale (e.g. 1–5) linearly onto [0, 1].

    Unlike min-max, a vendor's normalised value does not move when another vendor is added,
    which is what an analyst's absolute rubric means. Values outside the scale are refused:
    they indicate a data-entry error, and clipping would hide it.
    """
    v = _as_vector(x)
    if lo >= hi:
        raise ValueError(f"scale min ({lo}) must be below max ({hi})")
    outside = v[(v < lo) | (v > hi)]
    if outside.size:
        raise ValueError(f"values {outside.tolist()} lie outside the scale {lo:g}-{hi:g}")
    r = (v - lo) / (hi - lo)
    return 1.0 - r if cost else r


def normalise(
    x: Sequence[float] | FloatArray, direction: Direction, normalisation: Normalisation
) -> FloatArray:
    """Normalise one criterion column according to its direction and normalisation."""
    cost = direction == "cost"
    kind = normalisation.kind
    if kind == "minmax":
        return minmax(x, cost)
    if kind == "zscore":
        return zscore(x, cost)
    if kind == "vector":
        return vector(x, cost)
    if kind == "scale":
        assert normalisation.min is not None and normalisation.max is not None
        return fixed_scale(x, normalisation.min, normalisation.max, cost)
    if cost:
        raise ValueError("normalisation 'none' cannot invert a cost criterion; use minmax or scale")
    return _as_vector(x).copy()


def _as_matrix(matrix: Sequence[Sequence[float]] | FloatArray) -> FloatArray:
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"a decision matrix must be 2-d (alternatives x criteria), got {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError("the decision matrix must contain finite numbers only")
    return m


def normalise_matrix(
    matrix: Sequence[Sequence[float]] | FloatArray,
    directions: Sequence[Direction],
    normalisations: Sequence[Normalisation] | Normalisation,
) -> FloatArray:
    """Normalise every column of a decision matrix; one normalisation or one per column."""
    m = _as_matrix(matrix)
    n = m.shape[1]
    norms = [normalisations] * n if isinstance(normalisations, Normalisation) else list(
        normalisations)
    if len(directions) != n or len(norms) != n:
        raise ValueError(
            f"{n} criteria but {len(directions)} directions and {len(norms)} normalisations")
    out = np.empty_like(m)
    for j in range(n):
        out[:, j] = normalise(m[:, j], directions[j], norms[j])
    return out


def check_weights(weights: Sequence[float] | FloatArray, n: int) -> FloatArray:
    """Return weights as an array after checking there are ``n``, non-negative, summing to 1."""
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"expected {n} weights, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"weights must be finite and non-negative, got {w.tolist()}")
    total = float(w.sum())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ValueError(f"weights must sum to 1 (within {WEIGHT_TOLERANCE:g}); they sum to "
                         f"{total:.9g}: {w.tolist()}")
    return w


def rank_descending(scores: Sequence[float] | FloatArray, rtol: float = TIE_RTOL) -> IntArray:
    """Competition ranks, 1 = best; scores equal within ``rtol`` (relative) share a rank."""
    s = np.asarray(scores, dtype=np.float64)
    if s.size == 0:
        return np.zeros(0, dtype=np.int64)
    scale = max(1.0, float(np.max(np.abs(s))))
    better = s[None, :] > s[:, None] + rtol * scale
    return np.asarray(1 + better.sum(axis=1), dtype=np.int64)


# --------------------------------------------------------------------------- aggregation


@dataclass(frozen=True)
class McdaResult:
    """The outcome of one aggregation, carrying everything needed to recompute it.

    Attributes:
        method: ``weighted-sum`` or ``topsis``.
        scores: One score per alternative (higher is better).
        ranks: Competition ranks, 1 = best.
        normalised: The normalised (higher-is-better) decision matrix actually aggregated.
        normalisations: Per criterion, the formula used (see ``Normalisation.describe``).
        weights: The weights used.
        d_plus: TOPSIS only: distance of each alternative to the ideal point.
        d_minus: TOPSIS only: distance of each alternative to the anti-ideal point.
        notes: Anything a reader needs to know to interpret the scores (degenerate cases).
    """

    method: Literal["weighted-sum", "topsis"]
    scores: FloatArray
    ranks: IntArray
    normalised: FloatArray
    normalisations: tuple[str, ...]
    weights: FloatArray
    d_plus: FloatArray | None = None
    d_minus: FloatArray | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view (lists of floats, no numpy types)."""
        out: dict[str, Any] = {
            "method": self.method,
            "scores": self.scores.tolist(),
            "ranks": self.ranks.tolist(),
            "normalised": self.normalised.tolist(),
            "normalisations": list(self.normalisations),
            "weights": self.weights.tolist(),
            "notes": list(self.notes),
        }
        if self.d_plus is not None and self.d_minus is not None:
            out["d_plus"] = self.d_plus.tolist()
            out["d_minus"] = self.d_minus.tolist()
        return out


def weighted_sum(
    matrix: Sequence[Sequence[float]] | FloatArray,
    weights: Sequence[float] | FloatArray,
    directions: Sequence[Direction],
    normalisations: Sequence[Normalisation] | Normalisation,
) -> McdaResult:
    """Weighted sum of normalised criteria (simple additive weighting, WSM).

    Normalisation comes first because adding a price in yuan to an accuracy in percent is
    meaningless; the weights then express the trade-off between the normalised criteria.
    """
    m = _as_matrix(matrix)
    w = check_weights(weights, m.shape[1])
    norms = [normalisations] * m.shape[1] if isinstance(normalisations, Normalisation) else list(
        normalisations)
    nm = normalise_matrix(m, directions, norms)
    scores = nm @ w
    return McdaResult(
        method="weighted-sum",
        scores=scores,
        ranks=rank_descending(scores),
        normalised=nm,
        normalisations=tuple(nz.describe(d) for nz, d in zip(norms, directions, strict=True)),
        weights=w,
    )


def topsis(
    matrix: Sequence[Sequence[float]] | FloatArray,
    weights: Sequence[float] | FloatArray,
    directions: Sequence[Direction],
    normalisation: TopsisNorm = "vector",
) -> McdaResult:
    """TOPSIS: closeness ``C = D⁻ / (D⁺ + D⁻)`` to the ideal point.

    D⁺ and D⁻ are Euclidean distances of each weighted normalised alternative to the ideal
    (column maxima) and anti-ideal (column minima) points. Hwang & Yoon's original uses vector
    normalisation; pymcdm defaults to min-max. Both are offered and the result states which,
    because they can rank differently.

    If every alternative coincides with both the ideal and the anti-ideal point (all weighted
    columns constant) closeness is undefined; every alternative then gets 0.5 and a note says so.
    """
    m = _as_matrix(matrix)
    w = check_weights(weights, m.shape[1])
    if normalisation not in ("vector", "minmax"):
        raise ValueError(f"TOPSIS normalisation must be 'vector' or 'minmax', not {normalisation!r}")
    norm = Normalisation(kind=normalisation)
    nm = normalise_matrix(m, directions, norm)
    closeness, d_plus, d_minus = topsis_closeness(nm, w)
    notes: list[str] = []
    if np.any(d_plus + d_minus == 0):
        notes.append("some alternatives are both ideal and anti-ideal (no weighted criterion "
                     "varies); their closeness is set to 0.5")
    return McdaResult(
        method="topsis",
        scores=closeness,
        ranks=rank_descending(closeness),
        normalised=nm,
        normalisations=tuple(norm.describe(d) for d in directions),
        weights=w,
        d_plus=d_plus,
        d_minus=d_minus,
        notes=tuple(notes),
    )


def topsis_closeness(
    normalised: FloatArray, weights: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """TOPSIS closeness, D⁺ and D⁻ from an already normalised, higher-is-better matrix.

    Split out of ``topsis`` because the normalisation does not depend on the weights: weight
    sensitivity analyses re-weight the same normalised matrix thousands of times.
    """
    v = normalised * weights
    if v.shape[0] == 0:
        empty = np.zeros(0)
        return empty, empty, empty
    d_plus = np.sqrt(np.sum((v - v.max(axis=0)) ** 2, axis=1))
    d_minus = np.sqrt(np.sum((v - v.min(axis=0)) ** 2, axis=1))
    denom = d_plus + d_minus
    safe = np.where(denom > 0, denom, 1.0)
    closeness = np.where(denom > 0, d_minus / safe, 0.5)
    return (np.asarray(closeness, dtype=np.float64), np.asarray(d_plus, dtype=np.float64),
            np.asarray(d_minus, dtype=np.float64))


# --------------------------------------------------------------------------- weights


SAATY_RI: dict[int, float] = {
    1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49,
    11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59,
}
"""Saaty's random consistency index RI(n) (mean CI of random reciprocal matrices).

Values for n = 1..10 are Saaty's classic table (The Analytic Hierarchy Process, 1980); 11..15
are the extension he published later. pymcdm uses Tummala & Ling's recomputed table instead
(e.g. 0.5799 for n = 3), so its CR differs from this one by the ratio of the two RIs while the
consistency index CI agrees.
"""

MAX_CR = 0.1
"""Saaty's acceptance threshold: judgements with CR above 10% are too inconsistent to use."""


@dataclass(frozen=True)
class AhpResult:
    """Weights from a pairwise-comparison matrix and how consistent the judgements were.

    Attributes:
        name: What the matrix compares, for messages and provenance.
        weights: The principal right eigenvector, scaled to sum to 1.
        lambda_max: The principal eigenvalue (≥ n for a reciprocal matrix).
        ci: Consistency index (λmax − n)/(n − 1); 0 for n ≤ 2.
        ri: Saaty's random index for n.
        cr: Consistency ratio CI/RI; 0 for n ≤ 2 (such matrices are always consistent).
    """

    name: str
    weights: FloatArray
    lambda_max: float
    ci: float
    ri: float
    cr: float

    @property
    def consistent(self) -> bool:
        """Whether CR is within Saaty's 0.1 threshold."""
        return self.cr <= MAX_CR

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {"name": self.name, "weights": self.weights.tolist(),
                "lambda_max": self.lambda_max, "ci": self.ci, "ri": self.ri, "cr": self.cr}


def parse_judgement(value: float | int | str) -> float:
    """Read one pairwise judgement: a number or a fraction written as text (``"1/3"``).

    Fractions are allowed because that is how pairwise judgements are written on paper, and a
    rounded 0.333 would make a perfectly consistent matrix look slightly inconsistent.
    """
    if isinstance(value, bool):
        raise ValueError(f"a pairwise judgement must be a number, not {value!r}")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(Fraction(value.strip()))
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{value!r} is not a number or a fraction like 1/3") from None


def ahp(
    matrix: Sequence[Sequence[float | str]] | FloatArray,
    *,
    name: str = "pairwise matrix",
    max_cr: float | None = MAX_CR,
) -> AhpResult:
    """AHP weights from a reciprocal pairwise-comparison matrix (principal eigenvector).

    ``matrix[i][j]`` says how much more important criterion i is than j (Saaty's 1–9 scale);
    the matrix must be positive with ``matrix[j][i] = 1 / matrix[i][j]``. By Perron–Frobenius a
    positive matrix has a real, simple, dominant eigenvalue whose eigenvector can be taken
    positive; that vector, scaled to sum 1, is the weight vector.

    Args:
        matrix: The n×n judgements; fractions may be given as text such as ``"1/3"``.
        name: What the matrix compares; every error message names it.
        max_cr: Refuse matrices whose consistency ratio exceeds this (Saaty: 0.1). ``None``
            computes the result without refusing, for diagnostics.

    Raises:
        ConfigError: If the matrix is not square, not positive, not reciprocal, larger than the
            RI table, or (with ``max_cr``) too inconsistent.
    """
    try:
        m = np.array([[parse_judgement(v) for v in row] for row in matrix], dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"AHP matrix '{name}': {exc}") from None
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ConfigError(f"AHP matrix '{name}' must be square and non-empty, got shape "
                          f"{m.shape}. Give one row per criterion, one column per criterion.")
    n = m.shape[0]
    if n > max(SAATY_RI):
        raise ConfigError(f"AHP matrix '{name}' has {n} criteria; Saaty's RI table stops at "
                          f"{max(SAATY_RI)}. Group the criteria into a hierarchy.")
    if not np.all(np.isfinite(m)) or np.any(m <= 0):
        raise ConfigError(f"AHP matrix '{name}': every judgement must be a positive number.")
    for i in range(n):
        if abs(m[i, i] - 1.0) > 1e-9:
            raise ConfigError(f"AHP matrix '{name}': the diagonal must be 1 (row {i + 1} has "
                              f"{m[i, i]:g}).")
        for j in range(i + 1, n):
            if abs(m[i, j] * m[j, i] - 1.0) > 1e-6:
                raise ConfigError(
                    f"AHP matrix '{name}' is not reciprocal: entry ({i + 1},{j + 1}) is "
                    f"{m[i, j]:g} so entry ({j + 1},{i + 1}) must be {1 / m[i, j]:g}, not "
                    f"{m[j, i]:g}. Write the lower triangle as 1/x of the upper one.")
    eigenvalues, eigenvectors = np.linalg.eig(m)
    k = int(np.argmax(eigenvalues.real))
    lam = float(eigenvalues[k].real)
    vec = np.abs(eigenvectors[:, k].real)
    weights = np.asarray(vec / vec.sum(), dtype=np.float64)
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = SAATY_RI[n]
    cr = ci / ri if ri > 0 else 0.0
    result = AhpResult(name=name, weights=weights, lambda_max=lam, ci=ci, ri=ri, cr=cr)
    if max_cr is not None and cr > max_cr:
        raise ConfigError(
            f"AHP matrix '{name}' is too inconsistent: consistency ratio CR = {cr:.3f} "
            f"(λmax = {lam:.4f}, n = {n}, CI = {ci:.4f}, RI = {ri}) exceeds {max_cr:g}. "
            f"Revisit the judgements: if A > B and B > C, A should be preferred to C by "
            f"roughly the product of the two.")
    return result


def entropy_weights(matrix: Sequence[Sequence[float]] | FloatArray) -> FloatArray:
    """Shannon-entropy weights: criteria whose values vary more across alternatives weigh more.

    Each column is turned into shares ``p_ij = x_ij / Σ_i x_ij``; its entropy
    ``E_j = −Σ p ln p / ln m`` is 1 when all alternatives are equal (the criterion cannot tell
    them apart) and falls as the values spread. Weights are ``(1 − E_j) / Σ (1 − E)``.

    ``0 · ln 0`` is taken as 0, the information-theoretic limit. (pymcdm instead sets a
    column's entropy to 0 as soon as it contains a zero, which gives that column the largest
    possible weight; the two agree on strictly positive data.) If no criterion varies at all,
    the data say nothing about importance and equal weights are returned.

    Raises:
        ValueError: On negative values, fewer than two alternatives, or an all-zero column.
    """
    m = _as_matrix(matrix)
    rows, cols = m.shape
    if rows < 2:
        raise ValueError("entropy weights need at least two alternatives")
    if np.any(m < 0):
        raise ValueError("entropy weights need non-negative values (shares of a column total)")
    totals = m.sum(axis=0)
    if np.any(totals == 0):
        raise ValueError("entropy weights are undefined for an all-zero column")
    p = m / totals
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    entropy = -plogp.sum(axis=0) / math.log(rows)
    divergence = np.clip(1.0 - entropy, 0.0, None)
    # A constant column has entropy exactly 1; float rounding would leave ~1e-16 weight on it.
    divergence[np.ptp(m, axis=0) == 0] = 0.0
    total = float(divergence.sum())
    if total <= 0:
        return np.full(cols, 1.0 / cols)
    return np.asarray(divergence / total, dtype=np.float64)
