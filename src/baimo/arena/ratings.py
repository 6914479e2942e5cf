"""Bradley–Terry ratings of pairwise battles, with honest intervals and style control.

The model (MEASURE.md §3, §5): model *a* beats model *b* with probability

    p = 1 / (1 + 10^((R_b − R_a)/400)) = σ(θ_a − θ_b + β·s),   R = anchor + 400/ln10 · θ

fitted by maximum likelihood over every battle at once. Why not online Elo: its result depends
on the order of the battles (Open WebUI's arena keeps one); the likelihood does not. Choices,
each with its reason:

* **Ties are half a win** (``y = ½``): the fractional-outcome likelihood has the same maximum as
  FastChat's ``compute_mle_elo``, which writes a tie as one win for each side. "Both bad" is a
  tie (LMArena counts ``both_bad`` the same way).
* **One anchor model** sits at a fixed rating (θ = 0): ratings are only defined up to a shift,
  and an anchor makes them comparable across leaderboards that share it. Its interval is a
  point, by construction; every other interval is relative to it.
* **A tiny ridge** (``RIDGE``·Σ(θᵢ − θ̄)², in log-odds units) keeps a model that won every battle at a
  large but finite rating instead of sending Newton's method to infinity; such models are
  flagged (``undefeated``/``winless``) because their rating is a bound, not an estimate. With
  thousands of battles the ridge moves ratings by far less than 0.01 Elo.
* **Inverse pair-frequency weights** (on by default, as LMArena): each battle is weighted by
  ``n / (P · n_pair)`` so every observed pair counts as much as any other; an over-sampled pair
  (a popular model pair, or active sampling) would otherwise dominate the fit.
* **Style control** (on by default, raw ratings beside it): four covariates per battle, the
  LMArena features length (completion tokens), markdown headers, list items and bold spans,
  each as ``(a − b)/(a + b + 1)``, divided by their standard deviation over the battles. They
  are *not* centred: BT has no intercept, and subtracting a mean would add one (a spurious
  "position A" effect). Coefficients are reported per normalised unit and per raw unit.
* **Intervals**, stating which: a seeded percentile bootstrap over battles (default 1000
  rounds; at 100 rounds the 2.5/97.5% order statistics cover ~93%, at 1000 ~94.7%), or the
  sandwich (robust, CLT) estimator H⁻¹ (Σ gᵢgᵢᵀ) H⁻¹, which stays valid when ties make the
  outcome not Bernoulli. Both are two-sided 95% by default.
* **Rank** = 1 + the number of models whose lower bound is above this model's upper bound: a
  model shares a rank with everyone it cannot be told apart from.

Fitting is Newton–Raphson with step halving. Battles without style covariates are first
collapsed to one row per unordered pair (the likelihood depends only on the weighted win sums
per pair), so a bootstrap round on 5,000 battles of 10 models fits 45 rows, not 5,000.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from baimo.errors import BaimoError

__all__ = [
    "ELO_SCALE",
    "STYLE_FEATURES",
    "WINNERS",
    "CIMethod",
    "Comparison",
    "Fit",
    "Leaderboard",
    "Rating",
    "StyleCoef",
    "StyleCounts",
    "Winner",
    "fit_bt",
    "leaderboard",
    "win_rates",
]

Winner = Literal["model_a", "model_b", "tie", "tie (bothbad)"]
WINNERS: tuple[Winner, ...] = ("model_a", "model_b", "tie", "tie (bothbad)")
CIMethod = Literal["bootstrap", "sandwich"]
STYLE_FEATURES = ("length", "headers", "lists", "bold")
ELO_SCALE = 400.0 / math.log(10.0)
"""Elo points per unit of log-odds."""
RIDGE = 1e-6
Z = {0.05: 1.959963984540054, 0.1: 1.6448536269514722, 0.01: 2.5758293035489004}

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_HEADER = re.compile(r"^#{1,6}\s+\S", re.MULTILINE)
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)


@dataclass(frozen=True)
class StyleCounts:
    """The style of one side's answers in a battle (all assistant turns together)."""

    length: int
    headers: int = 0
    lists: int = 0
    bold: int = 0

    @classmethod
    def of(cls, texts: Iterable[str], tokens: int | None = None) -> StyleCounts:
        """Count the LMArena style markers in answer texts.

        Markdown inside fenced code blocks is not counted (a ``# comment`` in Python is not a
        header). ``tokens``: the completion tokens the server reported; without it, a rough
        count (whitespace words plus CJK characters) stands in.
        """
        joined = "\n".join(texts)
        prose = _FENCE.sub("", joined)
        if tokens is None:
            tokens = len(re.findall(r"[\u3400-\u9fff]|[^\s\u3400-\u9fff]+", joined))
        return cls(int(tokens), len(_HEADER.findall(prose)), len(_LIST.findall(prose)),
                   len(_BOLD.findall(prose)))

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.length, self.headers, self.lists, self.bold)


@dataclass(frozen=True)
class Comparison:
    """One rated outcome of a battle: who met whom, who won, and how each side wrote."""

    model_a: str
    model_b: str
    winner: Winner
    style_a: StyleCounts | None = None
    style_b: StyleCounts | None = None
    category: str | None = None
    role: str = "human"

    @property
    def score_a(self) -> float:
        return 1.0 if self.winner == "model_a" else 0.0 if self.winner == "model_b" else 0.5


@dataclass(frozen=True)
class Fit:
    """A fitted BT model in log-odds units (θ per model, anchor at 0; β per style feature)."""

    models: tuple[str, ...]
    theta: F64
    beta: F64
    cov: F64 | None  # over (θ without the anchor, β): sandwich, or None
    fisher_cov: F64  # inverse observed information over the same parameters
    anchor: int
    iterations: int


@dataclass(frozen=True)
class Rating:
    """One model's row of a leaderboard."""

    model: str
    rating: float
    lower: float
    upper: float
    rank: int
    battles: int
    wins: int
    ties: int
    losses: int
    raw_rating: float | None = None
    raw_lower: float | None = None
    raw_upper: float | None = None
    raw_rank: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class StyleCoef:
    """A style feature's effect, in Elo points per normalised unit and per raw unit."""

    feature: str
    elo: float
    lower: float
    upper: float
    scale: float  # the feature's standard deviation over the battles (raw units)
    logit_raw: float  # log-odds per raw unit of (a − b)/(a + b + 1)
    logit_raw_lower: float
    logit_raw_upper: float


@dataclass
class Leaderboard:
    """Ratings with intervals, the style coefficients and how they were computed."""

    ratings: list[Rating]
    style: list[StyleCoef]
    method: dict[str, Any]
    battles: int
    excluded: int = 0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"ratings": [r.__dict__ for r in self.ratings],
                "style": [s.__dict__ for s in self.style], "method": self.method,
                "battles": self.battles, "excluded": self.excluded, "warnings": self.warnings}


# ----------------------------------------------------------------------------- design


@dataclass
class _Data:
    """Battles as arrays, oriented so that ``ia < ib`` (``y`` flipped to match)."""

    models: tuple[str, ...]
    ia: I64
    ib: I64
    y: F64
    w: F64
    style: F64 | None  # n × k, normalised (None without style control)
    scale: F64  # per feature std (raw units)
    features: tuple[str, ...]  # the style features that vary (a constant one is left out)
    group: I64  # pair index per battle (for collapsing)
    pairs: I64  # P × 2 model indices
    designs: dict[int, F64] = field(default_factory=dict)  # per anchor, per battle
    ridge: float = RIDGE  # penalty on θ (log-odds⁻²): 1/prior variance

    def design(self, anchor: int) -> F64:
        """The per-battle design for ``anchor``, built once (bootstrap rounds reuse it)."""
        if anchor not in self.designs:
            self.designs[anchor] = _design(self.ia, self.ib, len(self.models), anchor,
                                           self.style)
        return self.designs[anchor]


def _prepare(comps: Sequence[Comparison], models: Sequence[str], style: bool,
             reweight: bool) -> _Data:
    index = {m: i for i, m in enumerate(models)}
    n = len(comps)
    ia = np.fromiter((index[c.model_a] for c in comps), np.int64, n)
    ib = np.fromiter((index[c.model_b] for c in comps), np.int64, n)
    y = np.fromiter((c.score_a for c in comps), np.float64, n)
    raw: F64 | None = None
    if style:
        sa = np.array([c.style_a.as_tuple() if c.style_a else (0, 0, 0, 0) for c in comps],
                      np.float64).reshape(n, 4)
        sb = np.array([c.style_b.as_tuple() if c.style_b else (0, 0, 0, 0) for c in comps],
                      np.float64).reshape(n, 4)
        raw = (sa - sb) / (sa + sb + 1.0)
    flip = ia > ib
    ia, ib = np.where(flip, ib, ia), np.where(flip, ia, ib)
    y = np.where(flip, 1.0 - y, y)
    scale = np.ones(0)
    features: tuple[str, ...] = ()
    if raw is not None:
        raw = np.where(flip[:, None], -raw, raw)
        sd = raw.std(axis=0)
        # A feature that never varies (no answer used bold) has no coefficient to estimate.
        active = sd > 1e-12
        features = tuple(f for f, on in zip(STYLE_FEATURES, active, strict=True) if on)
        scale = sd[active]
        raw = raw[:, active] / scale if features else None
    m = len(models)
    key = ia * m + ib
    uniq, group = np.unique(key, return_inverse=True)
    pairs = np.stack([uniq // m, uniq % m], axis=1).astype(np.int64)
    w = np.ones(n)
    if reweight and n:
        counts = np.bincount(group).astype(np.float64)
        w = n / (len(uniq) * counts[group])
    return _Data(tuple(models), ia, ib, y, w, raw, scale, features, group.astype(np.int64),
                 pairs)


def _design(ia: I64, ib: I64, m: int, anchor: int, style: F64 | None) -> F64:
    """Rows x with x·params = θ_a − θ_b (+ β·s); the anchor's column is dropped."""
    n = len(ia)
    x = np.zeros((n, m))
    rows = np.arange(n)
    x[rows, ia] += 1.0
    x[rows, ib] -= 1.0
    x = np.delete(x, anchor, axis=1)
    return x if style is None else np.hstack([x, style])


def _newton(x: F64, y: F64, w: F64, ridge: F64, start: F64 | None = None,
            tol: float = 1e-10, max_iter: int = 200) -> tuple[F64, F64, int]:
    """Maximise Σ w (y·η − log(1+e^η)) − ½ bᵀ·ridge·b by Newton's method with step halving.

    Returns the estimate, the penalised Hessian (information) at it, and the iterations.
    """
    k = x.shape[1]
    b = np.zeros(k) if start is None else start.copy()

    def objective(beta: F64) -> float:
        eta = x @ beta
        return float(np.sum(w * (y * eta - np.logaddexp(0.0, eta)))
                     - 0.5 * float(beta @ ridge @ beta))

    value = objective(b)
    info = np.eye(k)
    for it in range(1, max_iter + 1):
        eta = x @ b
        p = 0.5 * (1.0 + np.tanh(0.5 * eta))
        grad = x.T @ (w * (y - p)) - ridge @ b
        info = (x.T * (w * p * (1.0 - p))) @ x + ridge
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, grad, rcond=None)[0]
        t = 1.0
        while True:
            cand = b + t * step
            new = objective(cand)
            if new >= value - 1e-12 or t < 1e-8:
                break
            t *= 0.5
        b, value = cand, new
        if float(np.max(np.abs(t * step), initial=0.0)) < tol:
            return b, info, it
    return b, info, max_iter


def _ridge(m: int, n_style: int, value: float = RIDGE) -> F64:
    """The penalty matrix ``value``·Σᵢ(θᵢ − θ̄)² over all m ratings (the anchor's θ = 0 is
    left out of the parameters), zero on the style coefficients.

    Why centred, not Σθᵢ²: a penalty on the parameters as such would treat the anchor
    specially (every other model shrunk towards it); the centred one is the same whichever
    model is the anchor and gives every rating difference the same prior variance.
    """
    k = m - 1 + n_style
    out = np.zeros((k, k))
    out[: m - 1, : m - 1] = value * (np.eye(m - 1) - 1.0 / m)
    return out


def _fit_arrays(d: _Data, anchor: int, weights: F64, start: F64 | None = None
                ) -> tuple[F64, F64, int]:
    """Fit on battle weights ``weights`` (bootstrap counts × pair weights)."""
    m = len(d.models)
    n_style = 0 if d.style is None else d.style.shape[1]
    if d.style is None:
        # Collapse to one row per pair: the likelihood depends only on Σw and Σw·y.
        wsum: F64 = np.bincount(d.group, weights=weights, minlength=len(d.pairs)).astype(
            np.float64)
        ysum: F64 = np.bincount(d.group, weights=weights * d.y,
                                minlength=len(d.pairs)).astype(np.float64)
        keep = wsum > 0
        x = _design(d.pairs[keep, 0], d.pairs[keep, 1], m, anchor, None)
        return _newton(x, ysum[keep] / wsum[keep], wsum[keep], _ridge(m, 0, d.ridge),
                       start)
    # Battles a bootstrap round did not draw keep their rows with weight 0.
    return _newton(d.design(anchor), d.y, weights, _ridge(m, n_style, d.ridge), start)


def _unpack(params: F64, m: int, anchor: int) -> tuple[F64, F64]:
    theta = np.insert(params[: m - 1], anchor, 0.0)
    return theta, params[m - 1:]


def fit_bt(comps: Sequence[Comparison], models: Sequence[str] | None = None, *,
           anchor: str | None = None, style: bool = False, reweight: bool = False,
           sandwich: bool = True, prior_sd_elo: float | None = None) -> Fit:
    """Fit Bradley–Terry (optionally with style covariates) by maximum likelihood.

    Args:
        comps: The battles.
        models: All model names (default: those in the battles, sorted).
        anchor: The model held at θ = 0 (default: the first of ``models``).
        style: Add the four style covariates.
        reweight: Inverse pair-frequency weights.
        sandwich: Also compute the sandwich covariance.
        prior_sd_elo: A normal prior on each rating (relative to the anchor) with this
            standard deviation, i.e. a maximum a posteriori fit; None: the tiny ``RIDGE``
            only (maximum likelihood). Active sampling uses a prior so that an unmeasured
            or never-beaten model has a finite, meaningful uncertainty.
    """
    models = tuple(models or sorted({c.model_a for c in comps} | {c.model_b for c in comps}))
    if len(models) < 2:
        raise BaimoError("ratings need battles between at least two models")
    a = models.index(anchor) if anchor is not None else 0
    d = _prepare(comps, models, style, reweight)
    if prior_sd_elo is not None:
        d.ridge = (ELO_SCALE / prior_sd_elo) ** 2
    params, info, its = _fit_arrays(d, a, d.w)
    return _finish(d, a, params, info, its, sandwich)


def _finish(d: _Data, a: int, params: F64, info: F64, its: int, sandwich: bool) -> Fit:
    m = len(d.models)
    theta, beta = _unpack(params, m, a)
    fisher: F64 = np.linalg.pinv(info).astype(np.float64)
    cov = None
    if sandwich:
        x = d.design(a)
        p = 0.5 * (1.0 + np.tanh(0.5 * (x @ params)))
        scores = x * (d.w * (d.y - p))[:, None]
        meat = scores.T @ scores
        cov = (fisher @ meat @ fisher).astype(np.float64)
    return Fit(d.models, theta, beta, cov, fisher, a, its)


# ----------------------------------------------------------------------------- intervals


def _bootstrap(d: _Data, a: int, start: F64, rounds: int, seed: int) -> F64:
    """Parameter draws (rounds × k) from resampling battles with replacement."""
    rng = np.random.default_rng(seed)
    n = len(d.y)
    draws = np.empty((rounds, len(start)))
    for r in range(rounds):
        counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        draws[r] = _fit_arrays(d, a, counts * d.w, start)[0]
    return draws


def _ranks(lower: Sequence[float], upper: Sequence[float]) -> list[int]:
    return [1 + sum(1 for lo in lower if lo > up) for up in upper]


@dataclass(frozen=True)
class _Board:
    rating: F64
    lower: F64
    upper: F64
    beta: F64
    beta_lower: F64
    beta_upper: F64
    fit: Fit
    data: _Data


def _separable(d: _Data, anchor: int) -> tuple[_Data, tuple[str, ...]]:
    """Keep only the style features that vary independently of the models and of each other.

    With few battles (or a model that always writes markdown) a feature can be a linear
    combination of the model columns: the likelihood then cannot tell "liked because of this
    model" from "liked because of its style", and the fit would report an arbitrary split with
    a falsely narrow interval. Features are kept in order (length first) while each adds a
    rank to the design; the others are returned as dropped.
    """
    if d.style is None:
        return d, ()
    base = _design(d.ia, d.ib, len(d.models), anchor, None)
    rank = int(np.linalg.matrix_rank(base))
    keep: list[int] = []
    for j in range(d.style.shape[1]):
        trial = np.hstack([base, d.style[:, [*keep, j]]])
        if int(np.linalg.matrix_rank(trial)) == rank + len(keep) + 1:
            keep.append(j)
    dropped = tuple(f for j, f in enumerate(d.features) if j not in keep)
    if not dropped:
        return d, ()
    return replace(d, style=d.style[:, keep] if keep else None, scale=d.scale[keep],
                   features=tuple(d.features[j] for j in keep), designs={}), dropped


def _board(comps: Sequence[Comparison], models: tuple[str, ...], anchor: int, style: bool,
           reweight: bool, ci: CIMethod, rounds: int, seed: int, alpha: float,
           anchor_rating: float, warnings: list[str] | None = None) -> _Board | None:
    d = _prepare(comps, models, style, reweight)
    if style:
        d, dropped = _separable(d, anchor)
        if d.style is None:
            return None
        if dropped and warnings is not None:
            warnings.append("style feature(s) " + ", ".join(dropped) + " left out: in these "
                            "battles they do not vary independently of the models")
    params, info, its = _fit_arrays(d, anchor, d.w)
    fit = _finish(d, anchor, params, info, its, ci == "sandwich")
    m = len(models)
    rating = anchor_rating + ELO_SCALE * fit.theta
    if ci == "bootstrap":
        draws = _bootstrap(d, anchor, params, rounds, seed)
        lo_p = np.quantile(draws, alpha / 2, axis=0)
        hi_p = np.quantile(draws, 1 - alpha / 2, axis=0)
    else:
        assert fit.cov is not None
        z = Z.get(alpha) or _z(alpha)
        se = np.sqrt(np.clip(np.diag(fit.cov), 0.0, None))
        lo_p, hi_p = params - z * se, params + z * se
    th_lo, b_lo = _unpack(lo_p, m, anchor)
    th_hi, b_hi = _unpack(hi_p, m, anchor)
    return _Board(rating, anchor_rating + ELO_SCALE * th_lo, anchor_rating + ELO_SCALE * th_hi,
                  fit.beta, b_lo, b_hi, fit, d)


def _z(alpha: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - alpha / 2))


def leaderboard(comps: Sequence[Comparison], *, anchor: str | None = None,
                anchor_rating: float = 1000.0, style_control: bool = True,
                ci: CIMethod = "bootstrap", rounds: int = 1000, seed: int = 0,
                reweight: bool = True, alpha: float = 0.05) -> Leaderboard:
    """Ratings of every model in ``comps``, with intervals and ranks.

    With ``style_control`` the headline ratings are style-controlled and the raw ratings are
    given beside them; battles missing style counts are then rated with zero style difference
    (a warning says how many).

    Args:
        comps: The rated battles (callers drop parse failures and unvoted battles first).
        anchor: The model held at ``anchor_rating`` (default: the model with the most battles,
            ties by name).
        anchor_rating: The anchor's fixed rating.
        style_control: Headline ratings controlled for style (LMArena's default).
        ci: ``bootstrap`` (percentile, seeded) or ``sandwich`` (robust normal).
        rounds: Bootstrap rounds (at least 100).
        seed: Bootstrap seed.
        reweight: Inverse pair-frequency weights.
        alpha: 1 − the interval's coverage.

    Raises:
        BaimoError: Fewer than two models, an unknown anchor, or too few rounds.
    """
    if ci not in ("bootstrap", "sandwich"):
        raise BaimoError(f"--ci must be bootstrap or sandwich, not '{ci}'")
    if ci == "bootstrap" and rounds < 100:
        raise BaimoError(f"bootstrap rounds must be at least 100 (got {rounds}); fewer "
                         "rounds give intervals that cover less than they claim")
    counts: dict[str, list[int]] = {}
    for c in comps:
        for name, s in ((c.model_a, c.score_a), (c.model_b, 1.0 - c.score_a)):
            row = counts.setdefault(name, [0, 0, 0, 0])
            row[0] += 1
            row[1 if s == 1.0 else 2 if s == 0.5 else 3] += 1
    models = tuple(sorted(counts))
    if len(models) < 2:
        raise BaimoError("ratings need battles between at least two models; "
                         f"found {len(models)} model(s) in {len(comps)} battle(s)")
    if anchor is None:
        anchor = max(models, key=lambda n: (counts[n][0], [-ord(ch) for ch in n]))
    if anchor not in counts:
        raise BaimoError(f"anchor model '{anchor}' has no battles here; choose one of: "
                         + ", ".join(models))
    a = models.index(anchor)
    warnings: list[str] = []
    _connected(comps, models, warnings)
    separated = _separation(comps, models, anchor, warnings)
    raw = _board(comps, models, a, False, reweight, ci, rounds, seed, alpha, anchor_rating)
    assert raw is not None
    styled = None
    if style_control:
        missing = sum(1 for c in comps if c.style_a is None or c.style_b is None)
        if missing:
            warnings.append(f"{missing} battle(s) have no style counts; rated with no style "
                            "difference")
        styled = _board(comps, models, a, True, reweight, ci, rounds, seed, alpha,
                        anchor_rating, warnings)
        if styled is None:
            warnings.append("style control is off: no style feature varies independently of "
                            "the models in these battles; the ratings are raw")
    head = styled or raw
    ranks = _ranks(head.lower.tolist(), head.upper.tolist())
    raw_ranks = _ranks(raw.lower.tolist(), raw.upper.tolist())
    rows = []
    for i, name in enumerate(models):
        n, w, t, lo = counts[name]
        notes = ["anchor: fixed rating, zero-width interval"] if i == a else []
        if name in separated:
            notes.append(separated[name])
        note = "; ".join(notes) or None
        rows.append(Rating(
            name, float(head.rating[i]), float(head.lower[i]), float(head.upper[i]), ranks[i],
            n, w, t, lo,
            raw_rating=float(raw.rating[i]) if styled else None,
            raw_lower=float(raw.lower[i]) if styled else None,
            raw_upper=float(raw.upper[i]) if styled else None,
            raw_rank=raw_ranks[i] if styled else None, note=note))
    rows.sort(key=lambda r: (-r.rating, r.model))
    style_rows: list[StyleCoef] = []
    if styled is not None:
        d = styled.data
        for j, feat in enumerate(d.features):
            sc = float(d.scale[j])
            style_rows.append(StyleCoef(
                feat, ELO_SCALE * float(styled.beta[j]), ELO_SCALE * float(styled.beta_lower[j]),
                ELO_SCALE * float(styled.beta_upper[j]), sc, float(styled.beta[j]) / sc,
                float(styled.beta_lower[j]) / sc, float(styled.beta_upper[j]) / sc))
    level = f"{100 * (1 - alpha):g}%"
    method = {
        "model": "Bradley–Terry maximum likelihood, ties = ½ win, both bad = tie",
        "scale": "Elo: p(a beats b) = 1/(1+10^((R_b−R_a)/400))",
        "anchor": anchor, "anchor_rating": anchor_rating,
        "style_control": styled is not None,
        "style_requested": style_control,
        "style_features": [s.feature for s in style_rows],
        "reweight": "inverse pair frequency" if reweight else "none",
        "ci": ci, "level": level,
        "ci_detail": (f"percentile bootstrap over battles, {rounds} rounds, seed {seed}"
                      if ci == "bootstrap" else
                      "sandwich (robust, CLT) covariance H⁻¹(Σgᵢgᵢᵀ)H⁻¹, normal interval"),
        "rank": "1 + number of models whose lower bound is above this model's upper bound",
    }
    return Leaderboard(rows, style_rows, method, len(comps), warnings=warnings)


def _connected(comps: Sequence[Comparison], models: tuple[str, ...],
               warnings: list[str]) -> None:
    """Warn when the comparison graph splits: ratings across the parts are not comparable."""
    parent = {m: m for m in models}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for c in comps:
        parent[find(c.model_a)] = find(c.model_b)
    parts = {find(m) for m in models}
    if len(parts) > 1:
        warnings.append(f"the battles split into {len(parts)} groups of models that never "
                        "met each other, even indirectly; ratings across groups are not "
                        "comparable")


def _separation(comps: Sequence[Comparison], models: tuple[str, ...], anchor: str,
                warnings: list[str]) -> dict[str, str]:
    """Models the maximum likelihood cannot place relative to the anchor.

    The MLE is finite only when every model reaches every other through "scored against"
    links (a win; a tie counts both ways). When a group of models never scored against
    another group (a model that lost every battle), the gap between the groups is unbounded:
    the fitted numbers are held finite by ``RIDGE`` and are bounds, not estimates. Returns a
    note per model outside the anchor's group (empty when the estimate exists).
    """
    scored: dict[str, set[str]] = {m: set() for m in models}
    for c in comps:
        if c.score_a > 0:
            scored[c.model_a].add(c.model_b)
        if c.score_a < 1:
            scored[c.model_b].add(c.model_a)

    def reach(start: str) -> set[str]:
        seen = {start}
        todo = [start]
        while todo:
            for nxt in scored[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reaches = {m: reach(m) for m in models}
    groups: list[list[str]] = []
    for m in models:
        if not any(m in g for g in groups):
            groups.append(sorted(x for x in reaches[m] if m in reaches[x]))
    if len(groups) < 2:
        return {}
    warnings.append("the maximum-likelihood ratings do not exist for these battles: the "
                    "groups " + " | ".join(", ".join(g) for g in groups) + " are separated "
                    "(one never won or tied against another), so the gaps between groups are "
                    "unbounded and the numbers shown are bounds held finite by a tiny penalty; "
                    "more battles between the groups fix this")
    out: dict[str, str] = {}
    for m in models:
        below = m in reaches[anchor]  # the anchor's side scored against m …
        above = anchor in reaches[m]  # … or m's side scored against the anchor
        if below and above:
            continue
        out[m] = ("lower bound: never lost to the anchor's group" if above else
                  "upper bound: never won or tied against the anchor's group" if below else
                  "unbounded: never met the anchor's group with a decided result")
    return out


def win_rates(comps: Sequence[Comparison]) -> dict[str, dict[str, dict[str, float]]]:
    """Observed win rate of each row model against each column model (ties as ½), with the
    number of battles: ``out[a][b] = {"rate": …, "battles": …}``."""
    acc: dict[str, dict[str, list[float]]] = {}
    for c in comps:
        for me, other, s in ((c.model_a, c.model_b, c.score_a),
                             (c.model_b, c.model_a, 1.0 - c.score_a)):
            cell = acc.setdefault(me, {}).setdefault(other, [0.0, 0.0])
            cell[0] += s
            cell[1] += 1
    return {a: {b: {"rate": v[0] / v[1], "battles": v[1]} for b, v in sorted(row.items())}
            for a, row in sorted(acc.items())}
