"""Recover the dimension weights behind a published ranking.

Analyst reports often publish each vendor's composite score and its dimension scores but not
how the dimensions were combined. Frost & Sullivan's 2023 large-model report is such a case: it
gives the weights of every first-level indicator *inside* each dimension, and SenseTime 4.65 =
f(4.79, 4.59, 4.57), but never the weights of the three dimensions. If the composite is a
weighted mean of the dimension scores, the weights can be recovered by constrained least
squares (non-negative, summing to 1), and the residuals tell whether that assumption holds.

Published numbers are rounded to two decimals. A composite computed exactly from the true
(unrounded) dimension scores can therefore differ from the weighted mean of the *published*
dimension scores by up to half a unit of the last decimal from the composite's own rounding plus
half a unit from the dimension scores' rounding (the weights sum to 1, so those errors average
rather than add up): 0.005 + 0.005 = 0.01 for two decimals. Residuals below 0.005 mean the fitted
weights reproduce every published composite exactly after rounding.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

from baimo.errors import DatasetError, NotFound
from baimo.scores.mcda import FloatArray
from baimo.tabular import read_csv

BUILTIN_RESULTS = "frost-sullivan-2023-results.csv"
"""The Frost & Sullivan 2023 published results, transcribed from the seed document."""

RESERVED_COLUMNS = ("entity", "label", "composite", "source", "as_of")
"""Columns of a results table that are not dimension scores."""

__all__ = [
    "BUILTIN_RESULTS",
    "FitResult",
    "PublishedTable",
    "fit_table",
    "fit_weights",
    "integer_percent_solutions",
    "load_results_table",
]


@dataclass(frozen=True)
class PublishedTable:
    """A published results table: composite and dimension scores per entity.

    Attributes:
        path: Where it was read from.
        entities: Entity identifiers, in file order.
        labels: Display names (e.g. the Chinese names used by the publisher).
        dimensions: Dimension column names, in file order.
        scores: Dimension scores, one row per entity.
        composites: Published composite scores.
        sources: Per entity, where the numbers come from.
        as_of: Per entity, the date the numbers refer to.
    """

    path: str
    entities: tuple[str, ...]
    labels: tuple[str, ...]
    dimensions: tuple[str, ...]
    scores: FloatArray
    composites: FloatArray
    sources: tuple[str, ...]
    as_of: tuple[str, ...]


def _builtin_path() -> Path:
    return Path(str(resources.files("baimo.scores").joinpath("data", BUILTIN_RESULTS)))


def load_results_table(path: Path | str | None = None) -> PublishedTable:
    """Read a results CSV; without a path, the built-in Frost & Sullivan 2023 table.

    The CSV needs ``entity``, ``composite``, ``source`` and ``as_of`` columns (``label`` is
    optional); every other column is read as a dimension score. Provenance columns are required
    because a number without a source cannot be checked.

    Raises:
        NotFound: If the file does not exist.
        DatasetError: Naming file, line and column for any malformed cell.
    """
    p = _builtin_path() if path is None else Path(path)
    if not p.is_file():
        raise NotFound(f"{p}: results table not found. Pass an existing CSV file.")
    # Read as every user CSV is (baimo.tabular.read_csv): Excel's BOM and GBK text, unclosed
    # quotes, and the line a row really starts on when a quoted cell spans lines.
    header, found = read_csv(p, "results table")
    missing = [c for c in ("entity", "composite", "source", "as_of") if c not in header]
    if missing:
        raise DatasetError(f"{p}:1: missing column(s) {', '.join(missing)}. The header "
                           f"needs entity, composite, source, as_of and one column per "
                           f"dimension.")
    dims = tuple(c for c in header if c and c not in RESERVED_COLUMNS)
    if not dims:
        raise DatasetError(f"{p}:1: no dimension columns. Add one column per dimension "
                           f"score besides {', '.join(RESERVED_COLUMNS)}.")
    entities: list[str] = []
    labels: list[str] = []
    rows: list[list[float]] = []
    comps: list[float] = []
    sources: list[str] = []
    as_of: list[str] = []
    for line_no, row in found:
        ent = (row.get("entity") or "").strip()
        if not ent:
            raise DatasetError(f"{p}:{line_no}: column 'entity' is empty. Name the entity.")
        if ent in entities:
            raise DatasetError(f"{p}:{line_no}: entity {ent!r} appears twice. Keep one row "
                               f"per entity.")
        for col in ("source", "as_of"):
            if not (row.get(col) or "").strip():
                raise DatasetError(f"{p}:{line_no}: column {col!r} is empty for {ent!r}. "
                                   f"Say where the numbers come from and when.")

        def number(col: str, ent: str = ent, row: dict[str, str] = row,
                   line_no: int = line_no) -> float:
            raw = (row.get(col) or "").strip()
            try:
                value = float(raw)
            except ValueError:
                raise DatasetError(f"{p}:{line_no}: column {col!r} of {ent!r} is {raw!r}, "
                                   f"not a number.") from None
            if not np.isfinite(value):
                raise DatasetError(f"{p}:{line_no}: column {col!r} of {ent!r} must be "
                                   f"finite.")
            return value

        entities.append(ent)
        labels.append((row.get("label") or ent).strip())
        comps.append(number("composite"))
        rows.append([number(d) for d in dims])
        sources.append((row.get("source") or "").strip())
        as_of.append((row.get("as_of") or "").strip())
    if not entities:
        raise DatasetError(f"{p}: no data rows. Add one row per entity.")
    return PublishedTable(
        path=str(p), entities=tuple(entities), labels=tuple(labels), dimensions=dims,
        scores=np.asarray(rows, dtype=np.float64), composites=np.asarray(comps, dtype=np.float64),
        sources=tuple(sources), as_of=tuple(as_of),
    )


@dataclass(frozen=True)
class FitResult:
    """Recovered weights and how well they explain the published composites.

    Attributes:
        dimensions: Dimension names, in weight order.
        entities: Entity names, in row order.
        weights: Non-negative weights summing to 1 minimising the squared residuals.
        published: The published composites.
        fitted: Weighted means of the published dimension scores under ``weights``.
        residuals: ``fitted - published``.
        r2: Coefficient of determination of the fit (1 − SS_res / SS_tot).
        rmse: Root mean squared residual.
        max_abs_residual: Largest absolute residual.
        decimals: Decimals the published numbers carry.
        tolerance: Worst-case rounding error (see module docstring): 10^-decimals.
        within_tolerance: Whether every residual is within ``tolerance``.
        reproduces_rounding: Whether every fitted composite rounds to the published one
            (all residuals strictly below half a unit of the last decimal).
        identifiable: Whether the data pin the weights down uniquely (enough entities and
            linearly independent dimension columns).
        integer_percent: Whole-percent weightings that also reproduce every published
            composite after rounding, best first (computed for up to four dimensions).
        source: Where the table came from.
    """

    dimensions: tuple[str, ...]
    entities: tuple[str, ...]
    weights: FloatArray
    published: FloatArray
    fitted: FloatArray
    residuals: FloatArray
    r2: float
    rmse: float
    max_abs_residual: float
    decimals: int
    tolerance: float
    within_tolerance: bool
    reproduces_rounding: bool
    identifiable: bool
    integer_percent: tuple[tuple[int, ...], ...]
    source: str = ""

    def summary(self) -> str:
        """One paragraph stating the finding in words, for humans and reports."""
        ws = ", ".join(f"{d} {w:.4f}" for d, w in zip(self.dimensions, self.weights, strict=True))
        verdict = (
            "every published composite follows from the dimension scores after rounding"
            if self.reproduces_rounding else
            f"every composite is within the rounding bound of {self.tolerance:g}"
            if self.within_tolerance else
            f"the composites do NOT follow from a weighted mean of the dimension scores: the "
            f"largest residual {self.max_abs_residual:.4f} exceeds the rounding bound "
            f"{self.tolerance:g}"
        )
        extra = "" if self.identifiable else (
            " The weights are not uniquely determined by these data.")
        return (f"Recovered weights: {ws}. Max |residual| {self.max_abs_residual:.4f}, "
                f"RMSE {self.rmse:.4f}, R² {self.r2:.4f}; {verdict}.{extra} "
                f"{len(self.integer_percent)} whole-percent weighting(s) also reproduce the "
                f"rounded composites.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {
            "dimensions": list(self.dimensions),
            "weights": {d: float(w) for d, w in zip(self.dimensions, self.weights, strict=True)},
            "entities": {
                e: {"published": float(p), "fitted": float(f), "residual": float(r)}
                for e, p, f, r in zip(self.entities, self.published, self.fitted,
                                      self.residuals, strict=True)
            },
            "r2": self.r2, "rmse": self.rmse, "max_abs_residual": self.max_abs_residual,
            "decimals": self.decimals, "tolerance": self.tolerance,
            "within_tolerance": self.within_tolerance,
            "reproduces_rounding": self.reproduces_rounding,
            "identifiable": self.identifiable,
            "integer_percent": [list(w) for w in self.integer_percent],
            "source": self.source,
            "summary": self.summary(),
        }


def _simplex_least_squares(a: FloatArray, b: FloatArray) -> FloatArray:
    """min ‖a w − b‖² subject to w ≥ 0, Σw = 1 (SLSQP with exact gradient)."""
    k = a.shape[1]
    ata, atb = a.T @ a, a.T @ b

    def objective(w: FloatArray) -> float:
        r = a @ w - b
        return float(r @ r)

    def gradient(w: FloatArray) -> FloatArray:
        return np.asarray(2.0 * (ata @ w - atb), dtype=np.float64)

    res = minimize(
        objective, np.full(k, 1.0 / k), jac=gradient, method="SLSQP",
        bounds=[(0.0, 1.0)] * k,
        constraints=[{"type": "eq", "fun": lambda w: float(np.sum(w) - 1.0),
                      "jac": lambda w: np.ones_like(w)}],
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    w = np.clip(np.asarray(res.x, dtype=np.float64), 0.0, None)
    return np.asarray(w / w.sum(), dtype=np.float64)


def integer_percent_solutions(
    scores: FloatArray, composites: FloatArray, decimals: int = 2, max_dims: int = 4
) -> tuple[tuple[int, ...], ...]:
    """All whole-percent weightings whose weighted means round to every published composite.

    Analysts usually pick round weights, so this lists the candidates the publisher may have
    used. Enumeration is exhaustive, hence limited to ``max_dims`` dimensions (C(103, 3) ≈ 177k
    candidates for four).
    """
    k = scores.shape[1]
    if k > max_dims:
        return ()
    half = 0.5 * 10.0 ** -decimals - 1e-9
    cands = np.array([c for c in itertools.product(range(101), repeat=k - 1) if sum(c) <= 100],
                     dtype=np.float64)
    grid = np.hstack([cands, 100.0 - cands.sum(axis=1, keepdims=True)])
    fitted = grid @ scores.T / 100.0
    err = np.abs(fitted - composites[None, :]).max(axis=1)
    ok = np.flatnonzero(err < half)
    order = ok[np.argsort(err[ok], kind="stable")]
    return tuple(tuple(int(x) for x in grid[i]) for i in order)


def fit_weights(
    scores: FloatArray,
    composites: FloatArray,
    *,
    dimensions: tuple[str, ...],
    entities: tuple[str, ...],
    decimals: int = 2,
    source: str = "",
) -> FitResult:
    """Fit non-negative dimension weights summing to 1 to published composites.

    Args:
        scores: Published dimension scores, one row per entity.
        composites: Published composite scores.
        dimensions: Column names.
        entities: Row names.
        decimals: Decimals the publication rounds to (sets the rounding tolerance).
        source: Provenance string carried into the result.
    """
    a = np.asarray(scores, dtype=np.float64)
    b = np.asarray(composites, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != b.shape[0] or a.shape[1] != len(dimensions):
        raise ValueError(f"shape mismatch: scores {a.shape}, composites {b.shape}, "
                         f"{len(dimensions)} dimensions")
    w = _simplex_least_squares(a, b)
    fitted = a @ w
    res = fitted - b
    ss_res = float(res @ res)
    ss_tot = float(np.sum((b - b.mean()) ** 2))
    tol = 10.0 ** -decimals
    half = 0.5 * tol
    # Weights on the simplex have k - 1 degrees of freedom; the sum constraint supplies the
    # last equation, so identifiability needs rank k of [A; 1ᵀ].
    identifiable = int(np.linalg.matrix_rank(np.vstack([a, np.ones(a.shape[1])]))) == a.shape[1]
    return FitResult(
        dimensions=dimensions,
        entities=entities,
        weights=w,
        published=b,
        fitted=fitted,
        residuals=res,
        r2=1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
        rmse=float(np.sqrt(ss_res / len(b))),
        max_abs_residual=float(np.max(np.abs(res))),
        decimals=decimals,
        tolerance=tol,
        within_tolerance=bool(np.all(np.abs(res) <= tol + 1e-12)),
        reproduces_rounding=bool(np.all(np.abs(res) < half - 1e-9)),
        identifiable=identifiable,
        integer_percent=integer_percent_solutions(a, b, decimals),
        source=source,
    )


def fit_table(path: Path | str | None = None, decimals: int = 2) -> FitResult:
    """Load a results table (default: the built-in F&S 2023 one) and fit its weights."""
    table = load_results_table(path)
    return fit_weights(table.scores, table.composites, dimensions=table.dimensions,
                       entities=table.entities, decimals=decimals, source=table.path)
