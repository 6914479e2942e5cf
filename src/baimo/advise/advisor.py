"""Scenario advice: rank measured models for an application type, with reasons.

QbitAI's deployment report (seed 004) sorts applications into four types by how reliable and
how complex they must be, and gives each a priority order over model capability, generation
speed and cost (e.g. 高可靠+高复杂: 模型能力 > 生成速度 > 应用成本). A user choosing a model
for such an application wants that order applied to *their own measurements*, and wants to see
why a model won, which models were ruled out and why, and which ones could not be judged.

The method, kept deliberately simple so every number in the advice can be checked by hand:

1. **Weights.** A profile gives either weights or a priority order; an order is converted with
   rank-order centroid (ROC) weights, ``w_i = (1/n) * sum_{k=i..n} 1/k`` (0.611, 0.278, 0.111
   for three criteria). ROC is the average of all weightings that respect the order, so it
   assumes nothing beyond the order the report states.
2. **Hard constraints** (price, context window, TTFT, open weights, filing, deployment) are
   checked first. A model that breaks one on a measured value is *excluded*, with the
   constraint named. A model that lacks a measurement some criterion or constraint needs is
   listed as *missing* with what is missing: an unknown is never treated as a pass, and never
   silently dropped.
3. **Normalisation.** Each metric is min-max normalised across the remaining candidates, 1 for
   the best and 0 for the worst (inverted for latency and price). Scores therefore rank *this*
   candidate set; they are not absolute grades. When all candidates share a value, everyone
   gets 1 for it, since nobody is worse.
4. **Criteria.** capability ← ``capability``; speed ← the mean of normalised TTFT p95 (lower
   is better) and normalised output tokens/s (higher is better), because the report's
   "生成速度" covers both waiting for the first token and waiting for the rest and gives no
   split; cost ← ``blended_price_per_1m`` (derived as 3:1 input:output when only the two
   prices are given, the usual chat-traffic mix); safety ← ``safety``; stability ← the mean of
   normalised ``uptime`` (higher is better) and ``ttft_cv`` (the coefficient of variation of
   TTFT, lower is better), both measured by ``baimo monitor`` over its window.
5. **Score** = sum of weight x normalised criterion score; ties share a rank.
6. **Pareto frontier** of quality (capability, higher) vs cost (blended price, lower) vs
   latency (TTFT p95, lower), computed exactly by pairwise dominance over the candidates, so a
   user can see which models no other candidate beats on all three at once.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baimo.errors import ConfigError, NotFound
from baimo.yamlio import load_yaml, parse_yaml, validate

Criterion = Literal["capability", "speed", "cost", "safety", "stability"]
CRITERIA: tuple[Criterion, ...] = ("capability", "speed", "cost", "safety", "stability")

CRITERION_METRICS: dict[str, tuple[str, ...]] = {
    "capability": ("capability",),
    "speed": ("ttft_p95_s", "output_tps"),
    "cost": ("blended_price_per_1m",),
    "safety": ("safety",),
    "stability": ("uptime", "ttft_cv"),
}
"""The measurements each criterion is computed from."""

STABILITY_SHARES: dict[str, float] = {"uptime": 0.5, "ttft_cv": 0.5}
"""How ``stability`` mixes its two normalised metrics: equally, as nothing says one matters
more. The ``stability`` indicators of the methodologies (``model-selection``,
``eo-five-forces-2024``) use the same shares and directions; a test holds them together."""

HIGHER_IS_BETTER: dict[str, bool] = {
    "capability": True, "safety": True, "output_tps": True,
    "ttft_p95_s": False, "blended_price_per_1m": False,
    "uptime": True, "ttft_cv": False,
}

KNOWN_METRICS: frozenset[str] = frozenset({
    "capability", "ttft_p95_s", "output_tps", "price_in_per_1m", "price_out_per_1m",
    "blended_price_per_1m", "context_window", "open_weights", "filed", "safety",
    "uptime", "ttft_cv",
})
_UNIT_INTERVAL = ("capability", "safety", "uptime")
_FLAGS = ("open_weights", "filed")
_EPS = 1e-9

METRIC_LABELS: dict[str, str] = {
    "capability": "capability {:.3g}",
    "ttft_p95_s": "TTFT p95 {:.3g} s",
    "output_tps": "{:.3g} output tokens/s",
    "blended_price_per_1m": "blended price {:.3g} per 1M tokens",
    "safety": "safety {:.3g}",
    "context_window": "context window {:,.0f}",
    "open_weights": "open weights {:.0f}",
    "filed": "filed {:.0f}",
    "uptime": "uptime {:.2%}",
    "ttft_cv": "TTFT CV {:.3g}",
}


def roc_weights(n: int) -> list[float]:
    """Rank-order centroid weights for ``n`` ranked criteria (most important first).

    ``w_i = (1/n) * sum_{k=i}^{n} 1/k``. For n = 3 this is 11/18, 5/18, 2/18
    (0.611, 0.278, 0.111).

    Raises:
        ValueError: if ``n`` < 1.
    """
    if n < 1:
        raise ValueError("ROC weights need at least one criterion")
    return [sum(1.0 / k for k in range(i, n + 1)) / n for i in range(1, n + 1)]


# ---------------------------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CriteriaSpec(_Strict):
    """Either a priority order (converted with ROC weights) or explicit weights."""

    priority: tuple[Criterion, ...] | None = None
    weights: dict[Criterion, float] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> CriteriaSpec:
        if (self.priority is None) == (self.weights is None):
            raise ValueError("give exactly one of `priority` (an order) or `weights`")
        if self.priority is not None:
            if not self.priority:
                raise ValueError("`priority` must name at least one criterion")
            if len(set(self.priority)) != len(self.priority):
                raise ValueError("`priority` names a criterion twice")
        if self.weights is not None:
            for name, w in self.weights.items():
                if not math.isfinite(w) or w < 0:
                    raise ValueError(f"weight of {name} must be a finite number >= 0")
            if sum(self.weights.values()) <= 0:
                raise ValueError("at least one weight must be positive")
        return self

    def resolved(self) -> dict[str, float]:
        """Weights by criterion, summing to 1, in priority order (or as given)."""
        if self.priority is not None:
            return dict(zip(self.priority, roc_weights(len(self.priority)), strict=True))
        assert self.weights is not None
        total = sum(self.weights.values())
        return {k: v / total for k, v in self.weights.items()}


class Constraints(_Strict):
    """Hard limits; a model that breaks one on a measured value is excluded.

    Attributes:
        max_price_per_1m: Highest acceptable blended price per 1M tokens.
        min_context_window: Smallest acceptable context window in tokens.
        max_ttft_p95_s: Highest acceptable 95th-percentile time to first token, in seconds.
        open_weights_only: Only models whose weights can be downloaded.
        filed_only: Only models with a generative-AI service filing (备案).
        deployment: ``api`` or ``private``; the model's ``deployment`` attribute (a
            comma-separated list such as ``api,private``) must include it.
    """

    max_price_per_1m: float | None = Field(default=None, ge=0)
    min_context_window: int | None = Field(default=None, gt=0)
    max_ttft_p95_s: float | None = Field(default=None, gt=0)
    open_weights_only: bool = False
    filed_only: bool = False
    deployment: Literal["api", "private"] | None = None

    def needed_metrics(self) -> dict[str, str]:
        """Metric (or ``attribute:`` name) each active constraint needs → constraint name."""
        need: dict[str, str] = {}
        if self.max_price_per_1m is not None:
            need["blended_price_per_1m"] = "max_price_per_1m"
        if self.min_context_window is not None:
            need["context_window"] = "min_context_window"
        if self.max_ttft_p95_s is not None:
            need["ttft_p95_s"] = "max_ttft_p95_s"
        if self.open_weights_only:
            need["open_weights"] = "open_weights_only"
        if self.filed_only:
            need["filed"] = "filed_only"
        if self.deployment is not None:
            need["attribute:deployment"] = "deployment"
        return need


class Profile(_Strict):
    """A scenario: how to weigh the criteria and which limits are hard.

    ``blend_input_share`` is the input share used to derive a blended price from input and
    output prices (0.75 = 3 input tokens per output token); ``speed_ttft_share`` is the share of
    TTFT (vs output tokens/s) in the speed criterion.
    """

    id: str = Field(min_length=1)
    name_zh: str | None = None
    name_en: str | None = None
    description: str | None = None
    quote: str | None = None
    source: str | None = None
    examples: tuple[str, ...] = ()
    criteria: CriteriaSpec
    constraints: Constraints = Constraints()
    blend_input_share: float = Field(default=0.75, ge=0, le=1)
    speed_ttft_share: float = Field(default=0.5, ge=0, le=1)

    @property
    def weights(self) -> dict[str, float]:
        """Resolved weights (sum to 1)."""
        return self.criteria.resolved()

    @property
    def display_name(self) -> str:
        """The Chinese scenario name when there is one."""
        return self.name_zh or self.id

    def priority_text(self) -> str:
        """``capability > speed > cost`` for an order, ``capability 0.50, cost 0.50`` else."""
        if self.criteria.priority is not None:
            return " > ".join(self.criteria.priority)
        return ", ".join(f"{k} {v:.2f}" for k, v in self.weights.items())


class _ScenarioFile(_Strict):
    schema_version: Literal[1] = 1
    source: str | None = None
    scenarios: list[Any]


def builtin_scenarios() -> dict[str, Profile]:
    """The four QbitAI application types, keyed by id.

    Raises:
        ConfigError: if the packaged file is malformed (a packaging bug).
    """
    return dict(_builtin_scenarios())


@functools.lru_cache(maxsize=1)
def _builtin_scenarios() -> dict[str, Profile]:
    # Parsed once per process: profiles are immutable, callers get a fresh dict.
    text = resources.files("baimo.advise").joinpath("scenarios.yaml").read_text(encoding="utf-8")
    doc = parse_yaml(text, "baimo/advise/scenarios.yaml (built-in)")
    top = validate(_ScenarioFile, doc)
    out: dict[str, Profile] = {}
    for i, raw in enumerate(top.scenarios):
        prof = validate(Profile, doc, raw, prefix=("scenarios", i))
        out[prof.id] = prof
    return out


def get_scenario(name: str) -> Profile:
    """A built-in scenario by id (``reliable-complex``) or Chinese name (``高可靠+高复杂``).

    Raises:
        NotFound: listing the available scenarios.
    """
    scenarios = builtin_scenarios()
    for prof in scenarios.values():
        if name in (prof.id, prof.name_zh):
            return prof
    known = ", ".join(f"{p.id} ({p.name_zh})" for p in scenarios.values())
    raise NotFound(f"no scenario named '{name}'. Built-in scenarios: {known}")


def load_profile(path: Path) -> Profile:
    """Load a user profile from YAML.

    Raises:
        ConfigError: naming the file, line and field of each problem.
    """
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{path}:1: a profile must be a mapping with at least 'id' and "
                          "'criteria' (see baimo/advise/scenarios.yaml for examples).")
    return validate(Profile, doc)


# ---------------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------------


class ModelMeasurements(_Strict):
    """What baimo measured (or was told) about one model.

    Attributes:
        name: The model's name in baimo (unique within one call to ``advise``).
        metrics: Numbers keyed by metric: ``capability`` (0-1), ``ttft_p95_s``,
            ``output_tps``, ``price_in_per_1m``, ``price_out_per_1m``,
            ``blended_price_per_1m``, ``context_window``, ``open_weights`` (0/1),
            ``filed`` (0/1), ``safety`` (0-1). Other keys are kept but unused.
        attributes: Strings such as ``deployment`` (``api``, ``private`` or ``api,private``)
            and ``currency`` (all candidates' prices must share one currency).
    """

    name: str = Field(min_length=1)
    metrics: dict[str, float] = Field(default_factory=dict)
    attributes: dict[str, str] = Field(default_factory=dict)

    @field_validator("metrics")
    @classmethod
    def _sane(cls, v: dict[str, float]) -> dict[str, float]:
        for key, value in v.items():
            if not math.isfinite(value):
                raise ValueError(f"metric {key} must be a finite number, got {value}")
            if key in KNOWN_METRICS and value < 0:
                raise ValueError(f"metric {key} cannot be negative, got {value}")
            if key in _UNIT_INTERVAL and value > 1:
                raise ValueError(f"metric {key} is a 0-1 score, got {value}")
            if key in _FLAGS and value not in (0, 1):
                raise ValueError(f"metric {key} must be 0 or 1, got {value}")
        return v


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """A hard constraint a model broke, with the limit and the measured value."""

    constraint: str
    limit: float | str
    actual: float | str

    def text(self) -> str:
        """e.g. ``max_ttft_p95_s: 3.5 > 2``."""
        if self.constraint.startswith("max_"):
            return f"{self.constraint}: {_fmt(self.actual)} > {_fmt(self.limit)}"
        if self.constraint.startswith("min_"):
            return f"{self.constraint}: {_fmt(self.actual)} < {_fmt(self.limit)}"
        return f"{self.constraint}: {self.actual} (needs {self.limit})"


def _fmt(x: float | str) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class RankedModel:
    """A candidate's place, score and the numbers behind it.

    Attributes:
        rank: 1 is best; tied models share a rank (1, 1, 3).
        score: Weighted sum of the normalised criterion scores, 0-1.
        criterion_scores: Normalised 0-1 score per weighted criterion.
        measurements: The raw values that decided the score and passed the constraints.
        derived: Metrics baimo derived rather than received (e.g. a blended price).
    """

    name: str
    rank: int
    score: float
    criterion_scores: dict[str, float]
    measurements: dict[str, float | str]
    derived: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExcludedModel:
    """A model ruled out by one or more hard constraints."""

    name: str
    violations: tuple[Violation, ...]


@dataclass(frozen=True)
class MissingModel:
    """A model that could not be judged: ``needed_by`` maps each missing metric to the
    criteria or constraints that need it."""

    name: str
    missing: tuple[str, ...]
    needed_by: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class ParetoPoint:
    """A candidate's position on the three trade-off axes."""

    name: str
    capability: float
    blended_price_per_1m: float
    ttft_p95_s: float

    def dominates(self, other: ParetoPoint) -> bool:
        """At least as good on all three axes and strictly better on one."""
        ge = (self.capability >= other.capability
              and self.blended_price_per_1m <= other.blended_price_per_1m
              and self.ttft_p95_s <= other.ttft_p95_s)
        gt = (self.capability > other.capability
              or self.blended_price_per_1m < other.blended_price_per_1m
              or self.ttft_p95_s < other.ttft_p95_s)
        return ge and gt


def pareto_frontier(points: Sequence[ParetoPoint]) -> list[ParetoPoint]:
    """The non-dominated points, in input order.

    Pairwise comparison is exact and, for the tens of models a user compares, cheap. Points
    with identical coordinates do not dominate each other, so both stay on the frontier.
    """
    return [p for p in points if not any(q.dominates(p) for q in points if q is not p)]


@dataclass(frozen=True)
class Advice:
    """The result of ``advise``: ranking, exclusions, gaps, frontier and a summary."""

    profile_id: str
    scenario: str
    weights: dict[str, float]
    ranked: tuple[RankedModel, ...]
    excluded: tuple[ExcludedModel, ...]
    missing: tuple[MissingModel, ...]
    pareto: tuple[ParetoPoint, ...]
    pareto_skipped: tuple[str, ...]
    recommendation: str
    currency: str | None = None
    method: str = field(default=(
        "ROC weights from the priority order (or the given weights); hard constraints first; "
        "min-max normalisation across the candidates; speed = mix of inverse TTFT p95 and "
        "output tokens/s; Pareto frontier over capability, blended price and TTFT p95."))

    @property
    def best(self) -> tuple[RankedModel, ...]:
        """The model(s) ranked first (several when tied)."""
        return tuple(r for r in self.ranked if r.rank == 1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (plain types only)."""
        return {
            "profile_id": self.profile_id,
            "scenario": self.scenario,
            "weights": dict(self.weights),
            "currency": self.currency,
            "ranked": [{"name": r.name, "rank": r.rank, "score": r.score,
                        "criterion_scores": dict(r.criterion_scores),
                        "measurements": dict(r.measurements), "derived": list(r.derived)}
                       for r in self.ranked],
            "excluded": [{"name": e.name, "violations": [
                {"constraint": v.constraint, "limit": v.limit, "actual": v.actual,
                 "text": v.text()} for v in e.violations]} for e in self.excluded],
            "missing": [{"name": m.name, "missing": list(m.missing),
                         "needed_by": {k: list(v) for k, v in m.needed_by.items()}}
                        for m in self.missing],
            "pareto": [{"name": p.name, "capability": p.capability,
                        "blended_price_per_1m": p.blended_price_per_1m,
                        "ttft_p95_s": p.ttft_p95_s} for p in self.pareto],
            "pareto_skipped": list(self.pareto_skipped),
            "recommendation": self.recommendation,
            "method": self.method,
        }


# ---------------------------------------------------------------------------------------------
# The advisor
# ---------------------------------------------------------------------------------------------


def _effective_metrics(m: ModelMeasurements, input_share: float) -> tuple[dict[str, float],
                                                                         tuple[str, ...]]:
    """Metrics with the blended price derived when only input/output prices are given."""
    metrics = dict(m.metrics)
    derived: list[str] = []
    if ("blended_price_per_1m" not in metrics and "price_in_per_1m" in metrics
            and "price_out_per_1m" in metrics):
        metrics["blended_price_per_1m"] = (input_share * metrics["price_in_per_1m"]
                                           + (1 - input_share) * metrics["price_out_per_1m"])
        derived.append("blended_price_per_1m")
    return metrics, tuple(derived)


def _violations(metrics: Mapping[str, float], attributes: Mapping[str, str],
                c: Constraints) -> list[Violation]:
    out: list[Violation] = []
    price = metrics.get("blended_price_per_1m")
    if c.max_price_per_1m is not None and price is not None and price > c.max_price_per_1m:
        out.append(Violation("max_price_per_1m", float(c.max_price_per_1m), float(price)))
    ctx = metrics.get("context_window")
    if c.min_context_window is not None and ctx is not None and ctx < c.min_context_window:
        out.append(Violation("min_context_window", float(c.min_context_window), float(ctx)))
    ttft = metrics.get("ttft_p95_s")
    if c.max_ttft_p95_s is not None and ttft is not None and ttft > c.max_ttft_p95_s:
        out.append(Violation("max_ttft_p95_s", float(c.max_ttft_p95_s), float(ttft)))
    ow = metrics.get("open_weights")
    if c.open_weights_only and ow is not None and ow != 1:
        out.append(Violation("open_weights_only", "open weights", "closed"))
    filed = metrics.get("filed")
    if c.filed_only and filed is not None and filed != 1:
        out.append(Violation("filed_only", "filed (已备案)", "not filed"))
    dep = attributes.get("deployment")
    if c.deployment is not None and dep is not None:
        offered = {d.strip() for d in dep.split(",") if d.strip()}
        if c.deployment not in offered:
            out.append(Violation("deployment", c.deployment, dep))
    return out


def _minmax(values: Mapping[str, float], higher_is_better: bool) -> dict[str, float]:
    lo, hi = min(values.values()), max(values.values())
    span = hi - lo
    if span <= _EPS * max(1.0, abs(hi)):
        return dict.fromkeys(values, 1.0)
    if higher_is_better:
        return {k: (v - lo) / span for k, v in values.items()}
    return {k: (hi - v) / span for k, v in values.items()}


def advise(models: Iterable[ModelMeasurements], profile: Profile) -> Advice:
    """Rank ``models`` for ``profile``; see the module docstring for the method.

    Raises:
        ValueError: two models share a name, or models' prices are in different currencies
            (comparing CNY with USD prices would rank on the exchange rate).
    """
    models = list(models)
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"model names must be unique; repeated: {', '.join(dupes)}")
    # Checked over every model, not just the survivors: the price constraint compares prices
    # too, and a CNY/USD mix would make both it and the ranking depend on the exchange rate.
    currencies = {m.attributes["currency"] for m in models if "currency" in m.attributes}
    if len(currencies) > 1:
        raise ValueError("models' prices are in different currencies "
                         f"({', '.join(sorted(currencies))}); convert them to one first")
    currency = next(iter(currencies)) if currencies else None
    weights = profile.weights
    active = [c for c, w in weights.items() if w > 0]

    needed: dict[str, list[str]] = {}
    for crit in active:
        for metric in CRITERION_METRICS[crit]:
            needed.setdefault(metric, []).append(f"criterion {crit}")
    for metric, constraint in profile.constraints.needed_metrics().items():
        needed.setdefault(metric, []).append(f"constraint {constraint}")

    excluded: list[ExcludedModel] = []
    missing: list[MissingModel] = []
    candidates: list[tuple[ModelMeasurements, dict[str, float], tuple[str, ...]]] = []
    for m in models:
        metrics, derived = _effective_metrics(m, profile.blend_input_share)
        viol = _violations(metrics, m.attributes, profile.constraints)
        if viol:
            excluded.append(ExcludedModel(m.name, tuple(viol)))
            continue
        lacks = [k for k in needed
                 if (k[len("attribute:"):] not in m.attributes if k.startswith("attribute:")
                     else k not in metrics)]
        if lacks:
            missing.append(MissingModel(m.name, tuple(lacks),
                                        {k: tuple(needed[k]) for k in lacks}))
            continue
        candidates.append((m, metrics, derived))

    norm: dict[str, dict[str, float]] = {}
    for metric in {mt for crit in active for mt in CRITERION_METRICS[crit]}:
        if candidates:
            norm[metric] = _minmax({m.name: met[metric] for m, met, _ in candidates},
                                   HIGHER_IS_BETTER[metric])

    scored: list[tuple[str, float, dict[str, float], dict[str, float | str], tuple[str, ...]]] = []
    for m, metrics, derived in candidates:
        crit_scores: dict[str, float] = {}
        for crit in active:
            if crit == "speed":
                s = profile.speed_ttft_share
                crit_scores[crit] = (s * norm["ttft_p95_s"][m.name]
                                     + (1 - s) * norm["output_tps"][m.name])
            elif crit == "stability":
                crit_scores[crit] = sum(share * norm[metric][m.name]
                                        for metric, share in STABILITY_SHARES.items())
            else:
                crit_scores[crit] = norm[CRITERION_METRICS[crit][0]][m.name]
        score = sum(weights[c] * crit_scores[c] for c in active)
        shown: dict[str, float | str] = {k: metrics[k] for k in needed
                                         if not k.startswith("attribute:")}
        for k in needed:
            if k.startswith("attribute:"):
                shown[k] = m.attributes[k[len("attribute:"):]]
        scored.append((m.name, score, crit_scores, shown, derived))

    scored.sort(key=lambda t: (-t[1], t[0]))
    ranked: list[RankedModel] = []
    for i, (name, score, crit_scores, shown, derived) in enumerate(scored):
        tied = ranked and abs(ranked[-1].score - score) <= _EPS
        rank = ranked[-1].rank if tied else i + 1
        ranked.append(RankedModel(name, rank, score, crit_scores, shown, derived))

    points: list[ParetoPoint] = []
    skipped: list[str] = []
    for m, metrics, _ in candidates:
        axes = ("capability", "blended_price_per_1m", "ttft_p95_s")
        if all(a in metrics for a in axes):
            points.append(ParetoPoint(m.name, metrics["capability"],
                                      metrics["blended_price_per_1m"], metrics["ttft_p95_s"]))
        else:
            skipped.append(m.name)
    frontier = pareto_frontier(points)

    advice = Advice(profile_id=profile.id, scenario=profile.display_name, weights=weights,
                    ranked=tuple(ranked), excluded=tuple(excluded), missing=tuple(missing),
                    pareto=tuple(frontier), pareto_skipped=tuple(skipped), recommendation="",
                    currency=currency)
    return replace(advice, recommendation=_recommendation(advice, profile, points, len(models)))


# ---------------------------------------------------------------------------------------------
# The paragraph
# ---------------------------------------------------------------------------------------------


def _names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _measure_text(r: RankedModel, currency: str | None, input_share: float) -> str:
    parts = []
    for key, value in r.measurements.items():
        if isinstance(value, str):
            parts.append(f"{key.split(':', 1)[-1]} {value}")
            continue
        label = METRIC_LABELS.get(key)
        text = label.format(value) if label else f"{key} {value:g}"
        if key == "blended_price_per_1m":
            if currency:
                text = text.replace("per 1M", f"{currency} per 1M")
            if key in r.derived:
                text += (f" (derived as {input_share:.0%} input / {1 - input_share:.0%} output "
                         "price)")
        parts.append(text)
    return ", ".join(parts)


def _recommendation(advice: Advice, profile: Profile, points: Sequence[ParetoPoint],
                    n_models: int) -> str:
    """One paragraph from the numbers; every figure in it is in ``advice``."""
    head = f"For the {profile.display_name} scenario"
    if profile.name_en:
        head += f" ({profile.name_en})"
    order = profile.priority_text()
    weights = ", ".join(f"{k} {v:.3f}" for k, v in advice.weights.items())
    head += f", with priorities {order} (weights {weights})" if profile.criteria.priority \
        else f", with weights {weights}"

    gaps = []
    if advice.excluded:
        detail = "; ".join(f"{e.name}: {', '.join(v.text() for v in e.violations)}"
                           for e in advice.excluded)
        n = len(advice.excluded)
        gaps.append(f"{n} of {n_models} models {'was' if n == 1 else 'were'} excluded by hard "
                    f"constraints ({detail})")
    if advice.missing:
        detail = "; ".join(f"{m.name} lacks {', '.join(m.missing)}" for m in advice.missing)
        gaps.append(f"{len(advice.missing)} could not be judged for missing measurements "
                    f"({detail})")
    gap_text = (" " + "; ".join(gaps) + ".") if gaps else ""

    if not advice.ranked:
        if n_models == 0:
            return f"{head}, there are no measured models to compare."
        return (f"{head}, no model can be recommended.{gap_text} Relax a constraint or "
                "measure what is missing, then ask again.")

    best = advice.best
    top = best[0]
    if len(best) > 1:
        lead = (f"{head}, {_names([b.name for b in best])} tie for first place with a score "
                f"of {top.score:.3f} out of 1")
    else:
        lead = f"{head}, {top.name} ranks first with a score of {top.score:.3f} out of 1"
    runners = [r for r in advice.ranked if r.rank > 1]
    if runners:
        lead += f", ahead of {runners[0].name} ({runners[0].score:.3f})"
    lead += "."
    strongest = max(top.criterion_scores.items(), key=lambda kv: (advice.weights[kv[0]]
                                                                  * kv[1], kv[1]))
    crit_text = ", ".join(f"{k} {v:.2f}" for k, v in top.criterion_scores.items())
    body = (f" Its normalised criterion scores are {crit_text}, with {strongest[0]} "
            f"contributing most; it measured "
            f"{_measure_text(top, advice.currency, profile.blend_input_share)}.")
    if advice.pareto:
        on = {p.name for p in advice.pareto}
        front = _names([p.name for p in advice.pareto])
        body += (f" The quality/cost/latency Pareto frontier holds {len(advice.pareto)} "
                 f"model{'s' if len(advice.pareto) != 1 else ''} ({front})")
        if top.name in on:
            body += f", {top.name} included."
        else:
            beaters = [p.name for p in points if p.name != top.name and any(
                q.name == top.name and p.dominates(q) for q in points)]
            body += (f"; {top.name} is not on it because {_names(beaters[:3])} "
                     "matches or beats it on capability, price and latency at once.")
    elif advice.pareto_skipped:
        body += (" No Pareto frontier was drawn because capability, blended price and TTFT "
                 "p95 were not all measured.")
    if len(advice.ranked) == 1:
        # Min-max over one model gives it 1 on every criterion: say so rather than let a
        # perfect score read as a verdict ("these 1 candidate" once did).
        tail = (" With a single candidate, min-max normalisation gives it 1 on every criterion, "
                "so its score compares it with nothing; measure more models to rank them.")
    else:
        tail = (f" Scores are min-max normalised across these {len(advice.ranked)} candidates, "
                "so they rank this set only.")
    return lead + body + gap_text + tail



def format_measurements(values: Mapping[str, float | str], currency: str | None, *,
                        compact: bool = False) -> str:
    """A model's deciding measurements as one line (``compact`` for narrow table cells)."""
    parts = []
    for key, v in values.items():
        if isinstance(v, str):
            parts.append(f"{key.split(':', 1)[-1]} {v}")
        elif key in ("capability", "safety"):
            parts.append(f"{key} {100 * v:.1f}%")
        elif key == "ttft_p95_s":
            parts.append(f"TTFT p95 {v:.3g} s")
        elif key == "output_tps":
            parts.append(f"{v:.3g} tok/s")
        elif key == "blended_price_per_1m":
            parts.append(f"{v:.3g} {currency or ''}/1M".replace(" /", "/") if compact else
                         f"{v:.3g} {currency + ' ' if currency else ''}per 1M (blended)")
        elif key == "context_window":
            parts.append(f"{'ctx' if compact else 'context'} {v:,.0f}")
        else:
            parts.append(f"{key} {v:g}")
    return " · ".join(parts)

__all__ = [
    "CRITERIA",
    "STABILITY_SHARES",
    "Advice",
    "Constraints",
    "CriteriaSpec",
    "ExcludedModel",
    "MissingModel",
    "ModelMeasurements",
    "ParetoPoint",
    "Profile",
    "RankedModel",
    "Violation",
    "advise",
    "builtin_scenarios",
    "format_measurements",
    "get_scenario",
    "load_profile",
    "pareto_frontier",
    "roc_weights",
]
