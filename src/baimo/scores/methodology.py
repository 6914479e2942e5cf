"""Analyst methodologies: indicator trees, entry gates, weights, and scoring entities with them.

A *methodology* is what an analyst report such as Frost & Sullivan's or EO Intelligence's
uses to rank vendors, written down as data (YAML) so that it can be checked, reused and
questioned:

* **gates** — entry baselines an entity must meet to be ranked at all; failing entities are
  listed with the reason, as analysts list who was left out and why;
* **dimensions → indicators → optional sub-indicators**, each with a weight inside its parent,
  a direction (benefit or cost), a normalisation and a source: a *manual* fact from a CSV
  (``entity, indicator, value, source, as_of``) or a *measured* value from baimo's own runs
  (``suite:ifeval``, ``dimension:reasoning``, ``perf:ttft_p95``, ``price:output_per_1m``,
  ``monitor:uptime``); an indicator marked ``optional`` may be missing for an entity, which is
  then scored on the rest with the weights renormalised within the parent and told so;
* **combine** — how dimensions make an overall score: a weighted sum with per-dimension
  weights (optionally named scenarios of alternative weights), or dimensions reported
  separately, as on a two-axis quadrant.

Methodology files are validated strictly; every problem is reported as ``file:line: field:
problem. what to do``. Weights inside a parent must sum to 1 (or be percentages summing to 100),
because a methodology whose weights do not add up is almost always mistranscribed.

``score_methodology`` applies a methodology to facts and measurements and returns a
self-contained, JSON-serialisable ``ScoreResult``: who passed the gates, who is missing what,
normalised indicator values, dimension scores, overall scores and ranks, and optionally the
weight-sensitivity analysis of ``baimo.scores.sensitivity``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    model_validator,
)

import baimo
from baimo.errors import ConfigError, DatasetError, NotFound
from baimo.scores import mcda
from baimo.scores.mcda import Direction, FloatArray, Normalisation, NormKind, TopsisNorm
from baimo.scores.sensitivity import (
    DEFAULT_CHANGES,
    FlipResult,
    OatRow,
    RankAcceptability,
    ScoreFn,
    one_at_a_time,
    rank_acceptability,
    smallest_flip_linear,
    smallest_flip_search,
)
from baimo.tabular import read_csv
from baimo.yamlio import LocatedYaml, parse_yaml

__all__ = [
    "FACT_COLUMNS",
    "AhpWeighting",
    "Combine",
    "Dimension",
    "EntityScore",
    "Fact",
    "FactsTable",
    "Gate",
    "GateOutcome",
    "Indicator",
    "IndicatorScore",
    "ManualSource",
    "MeasuredSource",
    "Method",
    "Methodology",
    "NormalisationSpec",
    "Provenance",
    "Scenario",
    "ScoreResult",
    "SensitivityOptions",
    "SensitivityReport",
    "builtin_methodologies",
    "list_methodologies",
    "load_methodology",
    "measured_value_problem",
    "parse_methodology",
    "resolve_weights",
    "score_methodology",
]

Method = Literal["weighted-sum", "topsis"]
METHODS: tuple[Method, ...] = ("weighted-sum", "topsis")
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
MEASURED_PATTERN = r"^(suite|dimension|perf|price|monitor):[A-Za-z0-9_.\-/]+$"
PERCENT_TOLERANCE = 1e-4

WeightValue = float | str


# =========================================================================== schema


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NormalisationSpec(_Strict):
    """How an indicator's raw values are normalised (``minmax`` by default for leaves).

    YAML accepts a bare kind (``normalisation: minmax``) or a mapping
    (``{kind: scale, min: 1, max: 5}``).
    """

    kind: NormKind
    min: float | None = None
    max: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"kind": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _check(self) -> NormalisationSpec:
        self.to_mcda()  # raises ValueError with a readable message
        return self

    def to_mcda(self) -> Normalisation:
        """The ``mcda.Normalisation`` this spec stands for."""
        return Normalisation(kind=self.kind, min=self.min, max=self.max)


class ManualSource(_Strict):
    """A value typed in by an analyst: the ``indicator`` column of a facts CSV names it."""

    manual: str = Field(min_length=1)

    def describe(self) -> str:
        """Human-readable origin."""
        return f"fact '{self.manual}'"


class MeasuredSource(_Strict):
    """A value baimo measured itself, keyed ``kind:name`` (e.g. ``perf:ttft_p95``)."""

    measured: str = Field(pattern=MEASURED_PATTERN)

    @property
    def kind(self) -> str:
        """``suite``, ``dimension``, ``perf``, ``price`` or ``monitor`` (``baimo monitor``'s
        ``monitor:uptime`` and ``monitor:ttft_cv``)."""
        return self.measured.split(":", 1)[0]

    @property
    def key(self) -> str:
        """The name after the kind."""
        return self.measured.split(":", 1)[1]

    def describe(self) -> str:
        """Human-readable origin."""
        return f"measured '{self.measured}'"


def _source_tag(value: Any) -> str | None:
    if isinstance(value, ManualSource):
        return "manual"
    if isinstance(value, MeasuredSource):
        return "measured"
    if isinstance(value, dict):
        if "manual" in value:
            return "manual"
        if "measured" in value:
            return "measured"
    return None


SourceSpec = Annotated[
    Annotated[ManualSource, Tag("manual")] | Annotated[MeasuredSource, Tag("measured")],
    Discriminator(
        _source_tag,
        custom_error_type="source_kind",
        custom_error_message="source must be `manual` or a mapping `{manual: FACT}` or "
                             "`{measured: \"kind:name\"}`",
    ),
]


class AhpWeighting(_Strict):
    """Children's weights from an AHP pairwise-comparison matrix, in the children's order.

    Entries may be written as fractions (``"1/3"``). Matrices with a consistency ratio above
    0.1 are refused.
    """

    ahp: list[list[float | str]]


Weighting = Literal["stated", "equal"] | AhpWeighting
"""``stated``: each child carries ``weight``; ``equal``: 1/n each; or an ``ahp`` matrix."""


class Indicator(_Strict):
    """One indicator: a leaf with a source, or a parent aggregating weighted sub-indicators.

    Attributes:
        id: Identifier, unique within the methodology (``lower_snake_case``).
        name: The publisher's name for it (e.g. ``训练数据``).
        name_en: An English name, for readers who need one.
        description: What it measures and anything about its transcription.
        weight: Weight within its parent: a fraction, a percentage (``"15%"``) or a fraction
            written as text (``"1/3"``); omitted under ``weighting: equal`` or ``ahp``.
        direction: ``benefit`` (higher is better) or ``cost`` (lower is better).
        normalisation: Leaves only; ``minmax`` if omitted.
        source: Leaves only: where the value comes from.
        criteria: Descriptive sub-criteria the publisher lists but does not score separately
            (e.g. Frost & Sullivan's second-level indicators).
        weighting: How ``sub_indicators`` are weighted.
        sub_indicators: Optional children; the indicator's value is their weighted sum.
        optional: An entity without a value for this indicator is still scored, on the
            indicator's siblings with their weights renormalised to sum to 1 within the parent,
            and the result names what it was scored without (see ``score_methodology``). For
            measurements that only some entities can have (``monitor:*`` needs
            ``baimo monitor`` probes); everything else stays required, so a gap in it still
            leaves the entity out as incomplete.
    """

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    name_en: str = ""
    description: str = ""
    weight: WeightValue | None = None
    direction: Direction = "benefit"
    normalisation: NormalisationSpec | None = None
    source: SourceSpec | None = None
    criteria: list[str] = Field(default_factory=list)
    weighting: Weighting = "stated"
    sub_indicators: list[Indicator] = Field(default_factory=list)
    optional: bool = False

    @model_validator(mode="before")
    @classmethod
    def _source_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("source") == "manual" and "id" in data:
            return {**data, "source": {"manual": data["id"]}}
        return data

    @property
    def is_leaf(self) -> bool:
        """Whether the indicator takes its value from a source (no sub-indicators)."""
        return not self.sub_indicators

    @property
    def effective_normalisation(self) -> Normalisation:
        """The normalisation applied to a leaf (``minmax`` when none is written)."""
        return self.normalisation.to_mcda() if self.normalisation else Normalisation("minmax")

    def sub_weights(self) -> dict[str, float]:
        """Resolved weights of the sub-indicators (fractions summing to 1)."""
        ws = resolve_weights([s.id for s in self.sub_indicators],
                             [s.weight for s in self.sub_indicators], self.weighting,
                             f"sub-indicators of '{self.id}'")
        return dict(zip([s.id for s in self.sub_indicators], ws, strict=True))

    def label(self) -> str:
        """``id (name)`` for messages."""
        return f"{self.id} ({self.name})"


class Dimension(_Strict):
    """A group of indicators scored together (e.g. 产品技术能力)."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    name_en: str = ""
    description: str = ""
    weight: WeightValue | None = None
    weighting: Weighting = "stated"
    indicators: list[Indicator] = Field(min_length=1)

    def indicator_weights(self) -> dict[str, float]:
        """Resolved weights of the dimension's indicators (fractions summing to 1)."""
        ws = resolve_weights([i.id for i in self.indicators], [i.weight for i in self.indicators],
                             self.weighting, f"indicators of dimension '{self.id}'")
        return dict(zip([i.id for i in self.indicators], ws, strict=True))


class Gate(_Strict):
    """An entry baseline: an entity must satisfy it to be scored at all.

    The condition reads one value (``fact`` from the facts CSV, or ``measured``) and requires
    it to equal ``equals`` (a boolean, number or text) or to lie within ``min``/``max``.
    """

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    name_en: str = ""
    description: str = ""
    fact: str | None = None
    measured: str | None = Field(None, pattern=MEASURED_PATTERN)
    equals: bool | float | str | None = None
    min: float | None = None
    max: float | None = None

    def requirement(self) -> str:
        """The condition in words, e.g. ``= true`` or ``>= 0.5``."""
        if self.equals is not None:
            shown = str(self.equals).lower() if isinstance(self.equals, bool) else self.equals
            return f"= {shown}"
        parts = []
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        return " and ".join(parts)

    @property
    def value_name(self) -> str:
        """The fact or measurement key the gate reads."""
        return self.fact if self.fact is not None else str(self.measured)


class Scenario(_Strict):
    """A named alternative set of dimension weights (e.g. one per application type)."""

    description: str = ""
    weights: dict[str, WeightValue]


class ReportScale(_Strict):
    """Scale to report dimension and overall scores on (weighted sum only), e.g. 1–5."""

    min: float
    max: float

    @model_validator(mode="after")
    def _check(self) -> ReportScale:
        if not self.min < self.max:
            raise ValueError(f"report_scale min ({self.min:g}) must be below max ({self.max:g})")
        return self


class Combine(_Strict):
    """How dimension scores become an overall score.

    Attributes:
        mode: ``weighted`` (an overall score from dimension weights) or ``separate`` (no
            overall score; dimensions are reported side by side, e.g. as quadrant axes).
        weighting: How dimension weights are given (``stated`` on each dimension, ``equal``,
            or an ``ahp`` matrix in dimension order).
        axes: Two dimension ids to plot as x and y of a quadrant chart.
        report_scale: Map weighted-sum scores from [0, 1] back onto a publisher's scale.
        scenarios: Named alternative dimension weights.
        note: Where the dimension weights come from, in words.
    """

    mode: Literal["weighted", "separate"] = "weighted"
    weighting: Weighting = "stated"
    axes: list[str] | None = None
    report_scale: ReportScale | None = None
    scenarios: dict[str, Scenario] = Field(default_factory=dict)
    note: str = ""


class Provenance(_Strict):
    """Where a methodology comes from, so a score can be traced to its document."""

    publisher: str = Field(min_length=1)
    title: str = Field(min_length=1)
    date: str = Field(min_length=1)
    seed_file: str | None = None
    section: str = ""
    notes: str = ""


class Methodology(_Strict):
    """A complete, validated methodology (see the module docstring).

    Build one with ``parse_methodology`` or ``load_methodology``: plain
    ``Methodology.model_validate`` checks the structure but not the cross-field rules (weights
    summing to 1, unique ids, ...), which need the YAML line numbers to be reported usefully.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    version: int = Field(1, ge=1)
    description: str = ""
    provenance: Provenance
    gates: list[Gate] = Field(default_factory=list)
    combine: Combine = Field(default_factory=Combine)
    dimensions: list[Dimension] = Field(min_length=1)

    _origin: str = PrivateAttr(default="<unsaved>")
    _sha256: str = PrivateAttr(default="")

    @property
    def origin(self) -> str:
        """The file (or ``builtin:NAME``) this methodology was read from."""
        return self._origin

    @property
    def sha256(self) -> str:
        """SHA-256 of the YAML text, so a stored score names exactly what produced it."""
        return self._sha256

    def dimension_weights(self, scenario: str | None = None) -> dict[str, float]:
        """Resolved dimension weights (empty in ``separate`` mode).

        Raises:
            NotFound: If ``scenario`` is not defined by the methodology.
        """
        if self.combine.mode == "separate":
            if scenario is not None:
                raise NotFound(f"methodology '{self.id}' reports dimensions separately and has "
                               f"no weight scenarios.")
            return {}
        ids = [d.id for d in self.dimensions]
        if scenario is not None:
            sc = self.combine.scenarios.get(scenario)
            if sc is None:
                known = ", ".join(sorted(self.combine.scenarios)) or "none"
                raise NotFound(f"methodology '{self.id}' has no scenario '{scenario}'. "
                               f"Scenarios: {known}.")
            ws = resolve_weights(ids, [sc.weights.get(i) for i in ids], "stated",
                                 f"scenario '{scenario}'")
        else:
            ws = resolve_weights(ids, [d.weight for d in self.dimensions],
                                 self.combine.weighting, "dimensions")
        return dict(zip(ids, ws, strict=True))

    def leaves(self) -> list[tuple[Dimension, Indicator]]:
        """Every leaf indicator with its dimension, in file order."""
        return self._leaves(required_only=False)

    def required_leaves(self) -> list[tuple[Dimension, Indicator]]:
        """Leaves an entity must have a value for to be scored: those with no optional
        indicator on their path (themselves included)."""
        return self._leaves(required_only=True)

    def _leaves(self, *, required_only: bool) -> list[tuple[Dimension, Indicator]]:
        out: list[tuple[Dimension, Indicator]] = []

        def walk(dim: Dimension, ind: Indicator) -> None:
            if required_only and ind.optional:
                return
            if ind.is_leaf:
                out.append((dim, ind))
            for sub in ind.sub_indicators:
                walk(dim, sub)

        for dim in self.dimensions:
            for ind in dim.indicators:
                walk(dim, ind)
        return out

    def indicators(self) -> dict[str, Indicator]:
        """Every indicator (leaves and parents) by id."""
        out: dict[str, Indicator] = {}

        def walk(ind: Indicator) -> None:
            out[ind.id] = ind
            for sub in ind.sub_indicators:
                walk(sub)

        for dim in self.dimensions:
            for ind in dim.indicators:
                walk(ind)
        return out

    def fact_names(self) -> set[str]:
        """Every fact name the methodology reads (indicator sources and gates)."""
        names = {ind.source.manual for _, ind in self.leaves()
                 if isinstance(ind.source, ManualSource)}
        names |= {g.fact for g in self.gates if g.fact is not None}
        return names


# =========================================================================== weights


def _parse_weight(value: WeightValue) -> tuple[float, bool]:
    """A written weight as (number, written-as-percentage)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a weight")
    if isinstance(value, int | float):
        number, percent = float(value), False
    else:
        text = value.strip()
        try:
            if text.endswith("%"):
                number, percent = float(text[:-1]), True
            else:
                number, percent = float(Fraction(text)), False
        except (ValueError, ZeroDivisionError, OverflowError):
            # OverflowError: "1e309" is a string to YAML and too large a float for Fraction.
            raise ValueError(f"{value!r} is not a number, a fraction like 1/3 or a percentage "
                             f"like 15%") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number; write a weight such as 0.2 or 20%")
    return number, percent


def resolve_weights(
    labels: Sequence[str],
    written: Sequence[WeightValue | None],
    weighting: Weighting,
    group: str,
) -> tuple[float, ...]:
    """Turn the weights written for one sibling group into fractions summing to 1.

    Accepted forms: fractions summing to 1 (±1e-6), percentages (``"15%"`` or plain numbers)
    summing to 100 (±1e-4), ``weighting: equal`` (1/n each, no weights written), or an AHP
    matrix (no weights written). A single child without a weight gets 1.

    Raises:
        ValueError: With the numbers involved and what to change, if the weights do not add up
            or are incomplete. (Wrapped into a located ``ConfigError`` by the loader.)
    """
    n = len(labels)
    given = [lab for lab, w in zip(labels, written, strict=True) if w is not None]
    if isinstance(weighting, AhpWeighting) or weighting == "equal":
        how = "an `ahp:` matrix" if isinstance(weighting, AhpWeighting) else "`weighting: equal`"
        if given:
            raise ValueError(f"{group} use {how}, but {', '.join(given)} also carry a weight. "
                             f"Remove those weights, or remove {how} to use the stated weights.")
        if weighting == "equal":
            return (1.0 / n,) * n
        assert isinstance(weighting, AhpWeighting)
        size = len(weighting.ahp)
        if size != n or any(len(row) != n for row in weighting.ahp):
            raise ValueError(f"{group}: the `ahp:` matrix must be {n}x{n} (one row and column per "
                             f"item, in order: {', '.join(labels)}).")
        try:
            result = mcda.ahp(weighting.ahp, name=group)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return tuple(float(x) for x in result.weights)
    if n == 1 and written[0] is None:
        return (1.0,)
    missing = [lab for lab, w in zip(labels, written, strict=True) if w is None]
    if missing:
        raise ValueError(f"{group}: {', '.join(missing)} {'has' if len(missing) == 1 else 'have'}"
                         f" no weight. Give every item a weight (fractions summing to 1 or "
                         f"percentages summing to 100%), or set `weighting: equal` or an `ahp:` "
                         f"matrix on the parent.")
    parsed: list[tuple[float, bool]] = []
    for lab, w in zip(labels, written, strict=True):
        assert w is not None
        try:
            parsed.append(_parse_weight(w))
        except ValueError as exc:
            raise ValueError(f"{group}: weight of {lab}: {exc}.") from None
    negative = [lab for lab, (x, _) in zip(labels, parsed, strict=True) if x < 0 or
                not math.isfinite(x)]
    if negative:
        raise ValueError(f"{group}: weights must be non-negative numbers ({', '.join(negative)} "
                         f"is not).")
    percents = [p for _, p in parsed]
    values = [x for x, _ in parsed]
    total = sum(values)
    listing = " + ".join(f"{lab} {w}" for lab, w in zip(labels, written, strict=True))
    if any(percents) and not all(percents):
        raise ValueError(f"{group}: mixes percentages and plain numbers ({listing}). Write all "
                         f"of them the same way.")
    if all(percents) or abs(total - 1.0) > mcda.WEIGHT_TOLERANCE:
        if abs(total - 100.0) <= PERCENT_TOLERANCE:
            return tuple(x / 100.0 for x in values)
        unit = "%" if all(percents) else ""
        raise ValueError(f"{group}: weights sum to {total:.10g}{unit} ({listing}); they must sum "
                         f"to 1, or to 100 when written as percentages. Adjust them so they add "
                         f"up.")
    return tuple(values)


# =========================================================================== loading


def _clean_path(data: Any, loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """Keep the parts of a pydantic location that index the YAML data (drop union tags)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        indexes = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        if indexes:
            assert isinstance(node, dict | list)
            node = node[part]  # type: ignore[index]
            out.append(part)
        elif isinstance(node, dict | list):
            out.append(part)
            node = None
    return tuple(out)


def _dotted(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _hint(err_type: str, path: Sequence[str | int]) -> str:
    last = str(path[-1]) if path else ""
    hints = {
        "missing": f"Add the field `{last}`.",
        "extra_forbidden": "Remove it or fix its spelling (see `baimo score show "
                           "frost-sullivan-2023` for a complete example).",
        "literal_error": "Use one of the values listed.",
        "string_pattern_mismatch": "Ids use lower-case letters, digits and _ (methodology ids "
                                   "use -); measured keys look like suite:NAME, dimension:NAME, "
                                   "perf:NAME or price:NAME.",
        "float_parsing": "Write a number.",
        "float_type": "Write a number.",
        "int_parsing": "Write a whole number.",
        "string_type": "Write text (quote it if YAML reads it as something else).",
        "list_type": "Write a YAML list (lines starting with '- ').",
        "dict_type": "Write a YAML mapping (key: value lines).",
        "model_type": "Write a YAML mapping (key: value lines).",
        "too_short": "Add at least one entry.",
        "source_kind": "For example `source: {manual: training_data}`.",
    }
    return hints.get(err_type, "")


def _located(doc: LocatedYaml, path: Sequence[str | int], message: str) -> str:
    line = doc.line_of(path)
    where = f"{doc.source}:{line}" if line else doc.source
    return f"{where}: {_dotted(path)}: {message}"


def _format_validation(exc: ValidationError, doc: LocatedYaml) -> list[str]:
    out = []
    for err in exc.errors():
        path = _clean_path(doc.data, err["loc"])
        msg = str(err["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        hint = _hint(str(err["type"]), path)
        out.append(_located(doc, path, f"{msg.rstrip('.')}." + (f" {hint}" if hint else "")))
    return out


def _semantic_problems(m: Methodology) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-field rules pydantic cannot express per field, each with the path to blame."""
    problems: list[tuple[tuple[str | int, ...], str]] = []

    def check(path: tuple[str | int, ...], fn: Callable[[], object]) -> None:
        try:
            fn()
        except ValueError as exc:
            problems.append((path, str(exc)))

    seen_dims: set[str] = set()
    seen_inds: dict[str, str] = {}

    def walk(ind: Indicator, path: tuple[str | int, ...]) -> None:
        if ind.id in seen_inds:
            problems.append(((*path, "id"), f"indicator id '{ind.id}' is already used at "
                                            f"{seen_inds[ind.id]}. Ids must be unique in a "
                                            f"methodology."))
        else:
            seen_inds[ind.id] = _dotted(path)
        if ind.is_leaf:
            if ind.source is None:
                problems.append((path, f"indicator '{ind.id}' has no source. Add `source: "
                                       f"{{manual: {ind.id}}}` (a fact in the facts CSV) or "
                                       f"`source: {{measured: \"suite:NAME\"}}`."))
            if ind.weighting != "stated":
                problems.append(((*path, "weighting"), "weighting applies to sub_indicators, "
                                                       "and this indicator has none. Remove it."))
            if ind.effective_normalisation.kind == "none" and ind.direction == "cost":
                problems.append(((*path, "normalisation"), "normalisation 'none' cannot invert "
                                 "a cost indicator. Use minmax or scale."))
        else:
            if ind.source is not None:
                problems.append(((*path, "source"), f"indicator '{ind.id}' takes its value "
                                 f"from its sub_indicators. Remove `source`, or the "
                                 f"sub_indicators."))
            if ind.normalisation is not None:
                problems.append(((*path, "normalisation"), "an indicator with sub_indicators "
                                 "combines already normalised values. Move the normalisation "
                                 "to its sub_indicators."))
            if ind.direction != "benefit":
                problems.append(((*path, "direction"), "set direction on the sub_indicators; "
                                 "their normalised values are already higher-is-better."))
            check((*path, "sub_indicators"), ind.sub_weights)
            if all(sub.optional for sub in ind.sub_indicators):
                problems.append(((*path, "sub_indicators"), f"every sub-indicator of "
                                 f"'{ind.id}' is optional, so it could have no value at all. "
                                 f"Make at least one of them required (remove `optional`), or "
                                 f"mark '{ind.id}' itself optional."))
            for k, sub in enumerate(ind.sub_indicators):
                walk(sub, (*path, "sub_indicators", k))

    for i, dim in enumerate(m.dimensions):
        dpath: tuple[str | int, ...] = ("dimensions", i)
        if dim.id in seen_dims:
            problems.append(((*dpath, "id"), f"dimension id '{dim.id}' is used twice. Ids must "
                                             f"be unique."))
        seen_dims.add(dim.id)
        check((*dpath, "indicators"), dim.indicator_weights)
        if all(ind.optional for ind in dim.indicators):
            problems.append(((*dpath, "indicators"), f"every indicator of dimension "
                             f"'{dim.id}' is optional, so an entity could have no score on it "
                             f"and the overall scores would no longer be comparable. Make at "
                             f"least one of them required (remove `optional`)."))
        for k, ind in enumerate(dim.indicators):
            walk(ind, (*dpath, "indicators", k))

    dim_ids = [d.id for d in m.dimensions]
    comb = m.combine
    if comb.mode == "weighted":
        check(("dimensions",), lambda: resolve_weights(
            dim_ids, [d.weight for d in m.dimensions], comb.weighting, "dimensions"))
        for name, sc in comb.scenarios.items():
            spath: tuple[str | int, ...] = ("combine", "scenarios", name, "weights")
            unknown = sorted(set(sc.weights) - set(dim_ids))
            absent = [d for d in dim_ids if d not in sc.weights]
            if unknown or absent:
                problems.append((spath, f"scenario '{name}' must give a weight for exactly the "
                                        f"dimensions {', '.join(dim_ids)}"
                                        + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                                        + (f"; missing: {', '.join(absent)}" if absent else "")
                                        + "."))
                continue

            def scenario_weights(sc: Scenario = sc, name: str = name) -> object:
                return resolve_weights(dim_ids, [sc.weights[d] for d in dim_ids], "stated",
                                       f"scenario '{name}'")

            check(spath, scenario_weights)
    else:
        weighted = [d.id for d in m.dimensions if d.weight is not None]
        if weighted:
            problems.append((("combine", "mode"), f"dimensions are reported separately, so the "
                             f"weights on {', '.join(weighted)} have no effect. Remove them, or "
                             f"set `combine.mode: weighted`."))
        if comb.weighting != "stated":
            problems.append((("combine", "weighting"), "weighting has no effect when "
                             "`combine.mode` is separate. Remove it."))
        if comb.scenarios:
            problems.append((("combine", "scenarios"), "scenarios need `combine.mode: "
                             "weighted`."))
        if comb.report_scale is not None:
            problems.append((("combine", "report_scale"), "report_scale applies to weighted "
                             "overall scores only. Remove it."))
    if comb.axes is not None:
        bad = [a for a in comb.axes if a not in dim_ids]
        if len(comb.axes) != 2 or len(set(comb.axes)) != 2 or bad:
            problems.append((("combine", "axes"), f"axes must name two different dimensions "
                             f"(x, y) among {', '.join(dim_ids)}."))

    seen_gates: set[str] = set()
    for i, gate in enumerate(m.gates):
        gpath: tuple[str | int, ...] = ("gates", i)
        if gate.id in seen_gates:
            problems.append(((*gpath, "id"), f"gate id '{gate.id}' is used twice."))
        seen_gates.add(gate.id)
        if (gate.fact is None) == (gate.measured is None):
            problems.append((gpath, f"gate '{gate.id}' must read exactly one value: `fact: NAME`"
                                    f" (facts CSV) or `measured: \"kind:name\"`."))
        has_range = gate.min is not None or gate.max is not None
        if gate.equals is None and not has_range:
            problems.append((gpath, f"gate '{gate.id}' has no condition. Add `equals: true` "
                                    f"(or a number or text), or `min:`/`max:`."))
        if gate.equals is not None and has_range:
            problems.append((gpath, f"gate '{gate.id}' has both `equals` and `min`/`max`. Keep "
                                    f"one kind of condition."))
        if gate.min is not None and gate.max is not None and gate.min > gate.max:
            problems.append((gpath, f"gate '{gate.id}': min {gate.min:g} is above max "
                                    f"{gate.max:g}."))
    return problems


def parse_methodology(text: str, source: str = "<string>") -> Methodology:
    """Parse and fully validate methodology YAML.

    Raises:
        ConfigError: Listing every problem as ``file:line: field: problem. what to do``.
    """
    doc = parse_yaml(text, source)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{source}:1: a methodology must be a YAML mapping with id, title, "
                          f"provenance, gates, combine and dimensions.")
    try:
        m = Methodology.model_validate(doc.data)
    except ValidationError as exc:
        lines = _format_validation(exc, doc)
        raise ConfigError(f"{source}: invalid methodology ({len(lines)} problem"
                          f"{'s' if len(lines) != 1 else ''}):\n  " + "\n  ".join(lines)) from None
    problems = _semantic_problems(m)
    if problems:
        lines = [_located(doc, path, msg) for path, msg in problems]
        raise ConfigError(f"{source}: invalid methodology ({len(lines)} problem"
                          f"{'s' if len(lines) != 1 else ''}):\n  " + "\n  ".join(lines))
    m._origin = source
    m._sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return m


def builtin_methodologies() -> dict[str, str]:
    """Built-in methodology ids mapped to their YAML text."""
    folder = resources.files("baimo.scores").joinpath("methodologies")
    out: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            out[entry.name[: -len(".yaml")]] = entry.read_text(encoding="utf-8")
    return out


def _load_builtin(name: str, text: str) -> Methodology:
    m = parse_methodology(text, f"builtin:{name}.yaml")
    if m.id != name:
        raise ConfigError(f"builtin:{name}.yaml: id '{m.id}' does not match the file name. "
                          f"Rename one of them.")
    return m


def list_methodologies() -> list[Methodology]:
    """Every built-in methodology, validated."""
    return [_load_builtin(name, text) for name, text in builtin_methodologies().items()]


def load_methodology(name_or_path: str | Path) -> Methodology:
    """A built-in methodology by id, or a methodology YAML file by path.

    Raises:
        NotFound: If it is neither a built-in id nor an existing file.
        ConfigError: If the file is invalid.
    """
    text_name = str(name_or_path)
    builtins = builtin_methodologies()
    if isinstance(name_or_path, str) and text_name in builtins:
        return _load_builtin(text_name, builtins[text_name])
    path = Path(name_or_path)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text ({exc.reason}). Save it as UTF-8.") from None
        return parse_methodology(text, str(path))
    raise NotFound(f"no methodology '{text_name}': not a built-in "
                   f"({', '.join(builtins)}) and not a file. Pass a built-in id or the path "
                   f"of a methodology YAML file (see: baimo score methodologies).")


# =========================================================================== facts


FACT_COLUMNS = ("entity", "indicator", "value", "source", "as_of")
"""Required columns of a facts CSV; further columns (notes, ...) are allowed and ignored."""

_TRUE = {"true", "yes", "y", "1", "是", "有", "通过"}
_FALSE = {"false", "no", "n", "0", "否", "无", "未通过"}
_AS_OF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Fact:
    """One analyst fact: an entity's value for an indicator, with source and date.

    Attributes:
        entity: The vendor or model it is about.
        indicator: The fact name a methodology's ``manual`` source or gate reads.
        value: The value as written (a number or a yes/no word).
        source: Where it comes from (a document, a URL, or "illustrative").
        as_of: The date the value refers to (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``).
        origin: ``file:line`` it was read from, for error messages.
    """

    entity: str
    indicator: str
    value: str
    source: str
    as_of: str
    origin: str

    def as_number(self) -> float:
        """The value as a number; yes/no words count as 1/0 (pass/fail indicators).

        Raises:
            DatasetError: Naming the file and line if the value is neither.
        """
        text = self.value.strip()
        low = text.lower()
        if low in _TRUE:
            return 1.0
        if low in _FALSE:
            return 0.0
        try:
            number = float(text)
        except ValueError:
            raise DatasetError(f"{self.origin}: column 'value' of {self.entity} / "
                               f"{self.indicator} is {self.value!r}, not a number. Write a "
                               f"number (or true/false).") from None
        if not math.isfinite(number):
            raise DatasetError(f"{self.origin}: column 'value' of {self.entity} / "
                               f"{self.indicator} must be a finite number.")
        return number

    def as_bool(self) -> bool:
        """The value as a yes/no answer.

        Raises:
            DatasetError: Naming the file and line if the value is not a yes/no word.
        """
        low = self.value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise DatasetError(f"{self.origin}: column 'value' of {self.entity} / {self.indicator} "
                           f"is {self.value!r}; this fact is a yes/no gate. Write true or false.")


@dataclass(frozen=True)
class FactsTable:
    """Analyst facts keyed by (entity, indicator), with their provenance."""

    facts: Mapping[tuple[str, str], Fact] = field(default_factory=dict)
    path: str | None = None

    @classmethod
    def empty(cls) -> FactsTable:
        """No facts (for methodologies that only use measurements)."""
        return cls({}, None)

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, str]], origin: str = "<rows>",
                  first_line: int = 2, lines: Sequence[int] | None = None) -> FactsTable:
        """Build from dict rows with the ``FACT_COLUMNS`` keys, validating each.

        ``lines`` are the file lines the rows start on (blank lines and cells spanning lines
        make them differ from ``first_line`` counted up); without them rows are numbered
        from ``first_line``.

        Raises:
            DatasetError: ``origin:line: column ...`` for the first bad row.
        """
        facts: dict[tuple[str, str], Fact] = {}
        rows = list(rows)
        numbers = list(lines) if lines is not None else \
            list(range(first_line, first_line + len(rows)))
        for line, row in zip(numbers, rows, strict=True):
            where = f"{origin}:{line}"
            cells = {c: (row.get(c) or "").strip() for c in FACT_COLUMNS}
            for col in FACT_COLUMNS:
                if not cells[col]:
                    what = {"source": "Say where the value comes from (a document, a URL, or "
                                      "'illustrative').",
                            "as_of": "Give the date the value refers to (YYYY, YYYY-MM or "
                                     "YYYY-MM-DD).",
                            "value": "Leave the row out if the value is unknown: baimo then "
                                     "reports the entity as incomplete."}.get(col, "Fill it in.")
                    raise DatasetError(f"{where}: column '{col}' is empty. {what}")
            if not _AS_OF.match(cells["as_of"]) or not _valid_date(cells["as_of"]):
                raise DatasetError(f"{where}: column 'as_of' is {cells['as_of']!r}. Write a date"
                                   f" as YYYY, YYYY-MM or YYYY-MM-DD.")
            key = (cells["entity"], cells["indicator"])
            if key in facts:
                raise DatasetError(f"{where}: {key[0]} / {key[1]} already has a value at "
                                   f"{facts[key].origin}. Keep one row per entity and "
                                   f"indicator.")
            facts[key] = Fact(entity=key[0], indicator=key[1], value=cells["value"],
                              source=cells["source"], as_of=cells["as_of"], origin=where)
        return cls(facts, origin)

    @classmethod
    def load(cls, path: Path | str) -> FactsTable:
        """Read a facts CSV (UTF-8, with header ``entity,indicator,value,source,as_of``).

        Raises:
            NotFound: If the file does not exist.
            DatasetError: ``file:line: column ...`` for a malformed header or row.
        """
        p = Path(path)
        if not p.is_file():
            raise NotFound(f"{p}: facts file not found. Pass an existing CSV file.")
        # UTF-8 or GBK (Excel), unclosed quotes and long cells: see baimo.tabular.read_csv
        header, found = read_csv(p, "facts file")
        missing = [c for c in FACT_COLUMNS if c not in header]
        if missing:
            raise DatasetError(f"{p}:1: missing column(s) {', '.join(missing)}. The "
                               f"header must include {','.join(FACT_COLUMNS)}.")
        return cls.from_rows([row for _, row in found], str(p),
                             lines=[line for line, _ in found])

    def get(self, entity: str, indicator: str) -> Fact | None:
        """The fact, or None if the table has no row for it."""
        return self.facts.get((entity, indicator))

    def entities(self) -> list[str]:
        """Entities in first-seen order."""
        return list(dict.fromkeys(e for e, _ in self.facts))

    def indicator_names(self) -> set[str]:
        """Every fact name present."""
        return {i for _, i in self.facts}


def _valid_date(text: str) -> bool:
    parts = [int(x) for x in text.split("-")]
    try:
        dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True


# =========================================================================== results


@dataclass(frozen=True)
class GateOutcome:
    """Whether one entity passed one gate, and why."""

    entity: str
    gate: str
    name: str
    status: Literal["pass", "fail", "missing"]
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {"entity": self.entity, "gate": self.gate, "name": self.name,
                "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class IndicatorScore:
    """One entity's value for one indicator: raw (leaves), normalised, and where it came from."""

    indicator: str
    raw: float | None
    normalised: float
    source: str
    as_of: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {"raw": self.raw, "normalised": self.normalised, "source": self.source,
                "as_of": self.as_of}


@dataclass(frozen=True)
class EntityScore:
    """One scored entity.

    Attributes:
        scored_without: Optional indicators this entity was scored without, each with the
            reason (the value it lacks); empty when it was scored on every indicator.
        weights_used: For each parent (``dimension:ID`` or ``indicator:ID``) whose weights
            were renormalised for this entity because of ``scored_without``, the weights
            actually applied to the children it has; empty when none were.
    """

    entity: str
    rank: int | None
    overall: float | None
    dimensions: dict[str, float]
    dimension_ranks: dict[str, int]
    indicators: dict[str, IndicatorScore]
    scored_without: dict[str, str] = field(default_factory=dict)
    weights_used: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {"entity": self.entity, "rank": self.rank, "overall": self.overall,
                "dimensions": dict(self.dimensions),
                "dimension_ranks": dict(self.dimension_ranks),
                "indicators": {k: v.to_dict() for k, v in self.indicators.items()},
                "scored_without": dict(self.scored_without),
                "weights_used": {k: dict(v) for k, v in self.weights_used.items()}}


@dataclass(frozen=True)
class SensitivityOptions:
    """What sensitivity analysis to run alongside a score.

    Attributes:
        level: ``dimensions`` varies the dimension weights (indicator weights fixed);
            ``indicators`` varies indicator weights (OAT within each sibling group; Monte Carlo
            and the flip search on the global leaf weights).
        changes: Relative one-at-a-time changes.
        draws: Monte Carlo draws.
        seed: Monte Carlo seed.
        concentration: Dirichlet concentration around the stated weights; None for uniform.
    """

    level: Literal["dimensions", "indicators"] = "dimensions"
    changes: tuple[float, ...] = DEFAULT_CHANGES
    draws: int = 2000
    seed: int = 0
    concentration: float | None = 50.0


@dataclass(frozen=True)
class SensitivityReport:
    """The sensitivity of a ranking to its weights (see ``baimo.scores.sensitivity``)."""

    level: str
    weight_names: tuple[str, ...]
    weights: tuple[float, ...]
    oat: tuple[OatRow, ...]
    acceptability: RankAcceptability
    flip: FlipResult
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {
            "level": self.level,
            "weights": dict(zip(self.weight_names, self.weights, strict=True)),
            "one_at_a_time": [r.to_dict() for r in self.oat],
            "rank_acceptability": self.acceptability.to_dict(),
            "smallest_flip": self.flip.to_dict(),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ScoreResult:
    """Everything a methodology run produced, self-contained and JSON-serialisable.

    It names the methodology by id, origin and SHA-256 of its text, carries the weights and
    normalisations actually used, and keeps entities that failed a gate or lack a value in
    ``excluded`` and ``incomplete`` rather than dropping them, so a stored result can be
    audited without the inputs at hand.
    """

    methodology: str
    methodology_title: str
    methodology_version: int
    methodology_origin: str
    methodology_sha256: str
    provenance: dict[str, Any]
    method: Method
    topsis_normalisation: TopsisNorm | None
    combine_mode: str
    scenario: str | None
    report_scale: tuple[float, float] | None
    axes: tuple[str, str] | None
    weights: dict[str, dict[str, float]]
    normalisations: dict[str, str]
    entities: tuple[str, ...]
    gates: tuple[GateOutcome, ...]
    excluded: dict[str, list[str]]
    incomplete: dict[str, list[str]]
    scores: tuple[EntityScore, ...]
    dimension_names: dict[str, str]
    indicator_names: dict[str, str]
    notes: tuple[str, ...] = ()
    sensitivity: SensitivityReport | None = None
    baimo_version: str = baimo.__version__

    def ranking(self) -> list[str]:
        """Scored entities, best first (ties keep input order)."""
        return [s.entity for s in self.scores]

    def score_of(self, entity: str) -> EntityScore:
        """The score of one entity.

        Raises:
            NotFound: If the entity was not scored (see ``excluded``/``incomplete``).
        """
        for s in self.scores:
            if s.entity == entity:
                return s
        raise NotFound(f"'{entity}' was not scored by {self.methodology}.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view (schema ``baimo.score/1``)."""
        return {
            "schema": "baimo.score/1",
            "baimo_version": self.baimo_version,
            "methodology": {
                "id": self.methodology, "title": self.methodology_title,
                "version": self.methodology_version, "origin": self.methodology_origin,
                "sha256": self.methodology_sha256, "provenance": dict(self.provenance),
            },
            "method": {
                "name": self.method, "topsis_normalisation": self.topsis_normalisation,
                "combine": self.combine_mode, "scenario": self.scenario,
                "report_scale": None if self.report_scale is None else list(self.report_scale),
                "axes": None if self.axes is None else list(self.axes),
            },
            "weights": {k: dict(v) for k, v in self.weights.items()},
            "normalisations": dict(self.normalisations),
            "names": {"dimensions": dict(self.dimension_names),
                      "indicators": dict(self.indicator_names)},
            "entities": list(self.entities),
            "gates": [g.to_dict() for g in self.gates],
            "excluded": {k: list(v) for k, v in self.excluded.items()},
            "incomplete": {k: list(v) for k, v in self.incomplete.items()},
            "ranking": [s.to_dict() for s in self.scores],
            "notes": list(self.notes),
            "sensitivity": None if self.sensitivity is None else self.sensitivity.to_dict(),
        }


# =========================================================================== scoring


GroupKey = tuple[Literal["dimension", "indicator"], str]


def _leaf_weights_in_dimensions(
    m: Methodology, overrides: Mapping[GroupKey, Mapping[str, float]] | None = None
) -> dict[str, tuple[str, float]]:
    """Each leaf's weight within its dimension (product of local weights), with its dimension."""
    overrides = overrides or {}
    out: dict[str, tuple[str, float]] = {}

    def walk(dim: Dimension, ind: Indicator, w: float) -> None:
        if ind.is_leaf:
            out[ind.id] = (dim.id, w)
            return
        ws = overrides.get(("indicator", ind.id)) or ind.sub_weights()
        for sub in ind.sub_indicators:
            walk(dim, sub, w * ws[sub.id])

    for dim in m.dimensions:
        ws = overrides.get(("dimension", dim.id)) or dim.indicator_weights()
        for ind in dim.indicators:
            walk(dim, ind, ws[ind.id])
    return out


def _global_weights(
    m: Methodology, leaf_ids: Sequence[str], dim_weights: Mapping[str, float],
    overrides: Mapping[GroupKey, Mapping[str, float]] | None = None,
) -> FloatArray:
    inner = _leaf_weights_in_dimensions(m, overrides)
    return np.array([dim_weights[inner[i][0]] * inner[i][1] for i in leaf_ids], dtype=np.float64)


# --- optional indicators
#
# An optional indicator an entity has no value for is left out of *that entity's* score, and
# the weights of the siblings it has are renormalised to sum to 1 within the parent (the
# dimension, or the indicator with sub-indicators). This is the usual treatment of a missing
# criterion in a weighted sum: the entity is judged on what was measured, in the proportions
# the methodology gives those criteria, rather than being given an invented value (a 0 would
# punish it for not being measured; a mean would credit it with a measurement it never had).
# It does make scores rest on different evidence, so each entity lists what it was scored
# without and the weights applied instead. Every dimension and every parent keeps at least one
# required child (checked when the file is loaded), so no score is ever left without evidence.
# An indicator no entity has is left out of the run altogether, which makes a methodology with
# an unmeasured optional indicator score exactly as it would without that indicator.


def _presence(m: Methodology, have: Mapping[str, float], why: Mapping[str, str]
              ) -> tuple[set[str], dict[str, str]]:
    """Which indicators one entity has a value for, and the optional ones it lacks (why).

    A leaf is present with a value; a parent when all its required children are. An optional
    indicator nested in a missing one is not listed separately (the outer one is).
    """
    present: set[str] = set()
    dropped: dict[str, str] = {}

    def walk(ind: Indicator) -> tuple[bool, list[str], dict[str, str], set[str]]:
        if ind.is_leaf:
            ok = ind.id in have
            return ok, ([] if ok else [why[ind.id]]), {}, ({ind.id} if ok else set())
        ok, reasons, drops, pres = True, [], {}, set()
        for sub in ind.sub_indicators:
            s_ok, s_why, s_drops, s_pres = walk(sub)
            if s_ok:
                drops.update(s_drops)
                pres |= s_pres
            elif sub.optional:
                drops[sub.id] = "; ".join(s_why)
            else:
                ok = False
                reasons += s_why
        if ok:
            pres.add(ind.id)
        return ok, reasons, drops, pres

    for dim in m.dimensions:
        for ind in dim.indicators:
            ok, reasons, drops, pres = walk(ind)
            if ok:
                dropped.update(drops)
                present |= pres
            else:  # a missing required indicator made the entity incomplete before this
                assert ind.optional, ind.id
                dropped[ind.id] = "; ".join(reasons)
    return present, dropped


def _topmost(m: Methodology, ids: set[str]) -> list[str]:
    """The indicators of ``ids`` whose parent is not in ``ids``, in file order."""
    out: list[str] = []

    def walk(ind: Indicator, parent_in: bool) -> None:
        inside = ind.id in ids
        if inside and not parent_in:
            out.append(ind.id)
        for sub in ind.sub_indicators:
            walk(sub, inside)

    for dim in m.dimensions:
        for ind in dim.indicators:
            walk(ind, False)
    return out


def _stated_groups(m: Methodology, active: set[str]) -> list[tuple[GroupKey, dict[str, float]]]:
    """Every dimension, and every parent indicator kept in the run, with its stated local
    weights."""
    groups: list[tuple[GroupKey, dict[str, float]]] = [
        (("dimension", d.id), d.indicator_weights()) for d in m.dimensions]
    groups += [(("indicator", i.id), i.sub_weights()) for i in m.indicators().values()
               if not i.is_leaf and i.id in active]
    return groups


def _run_weights(m: Methodology, active: set[str]) -> dict[GroupKey, dict[str, float]]:
    """Local weights of the parents that lose a child for the whole run (no entity has it):
    the remaining children's stated weights renormalised to sum to 1, the lost ones 0."""
    out: dict[GroupKey, dict[str, float]] = {}
    for key, stated in _stated_groups(m, active):
        kept = [k for k in stated if k in active]
        if len(kept) == len(stated):
            continue
        total = sum(stated[k] for k in kept)
        out[key] = {k: (stated[k] / total if k in kept and total > 0 else 0.0) for k in stated}
    return out


def _local(run: Mapping[GroupKey, Mapping[str, float]], kind: Literal["dimension", "indicator"],
           ident: str, stated: Callable[[], dict[str, float]]) -> Mapping[str, float]:
    """A parent's local weights for this run: renormalised if it lost a child, else stated."""
    return run.get((kind, ident)) or stated()


def _normalise_present(matrix: FloatArray, directions: Sequence[Direction],
                       normalisations: Sequence[Normalisation]) -> FloatArray:
    """Normalise each column over the entities that have a value (NaN elsewhere stays NaN):
    min-max bounds come from the entities measured, not from those without a measurement."""
    out = np.full_like(matrix, math.nan)
    for j in range(matrix.shape[1]):
        ok = ~np.isnan(matrix[:, j])
        if ok.any():
            out[ok, j] = mcda.normalise(matrix[ok, j], directions[j], normalisations[j])
    return out


def _renormalising_score(m: Methodology, leaf_ids: Sequence[str], normalised: FloatArray,
                         active: set[str]) -> ScoreFn:
    """Overall weighted-sum scores as a function of the global leaf weights, renormalising
    within each parent for the entities that lack an optional child (NaN in ``normalised``).

    A parent's local weights are its children's shares of the parent's global mass, so with
    every value present this equals ``normalised @ g``; sensitivity analysis uses it when some
    entity lacks an optional value, since the score is then no longer linear in the weights.
    """
    col = {lid: normalised[:, j] for j, lid in enumerate(leaf_ids)}
    n = normalised.shape[0]

    def fn(g: FloatArray) -> FloatArray:
        gl = dict(zip(leaf_ids, g.tolist(), strict=True))

        def agg(kids: Sequence[Indicator]) -> tuple[float, FloatArray]:
            parts = [(*node(k), k.optional) for k in kids if k.id in active]
            mass = sum(p[0] for p in parts)
            num, den = np.zeros(n), np.zeros(n)
            lacking = np.zeros(n, dtype=bool)
            for w, v, optional in parts:
                ok = ~np.isnan(v)
                num = num + np.where(ok, w * np.nan_to_num(v), 0.0)
                den = den + np.where(ok, w, 0.0)
                if not optional:
                    lacking |= ~ok
            val = np.divide(num, den, out=np.zeros(n), where=den > 0)
            return mass, np.where(lacking, math.nan, val)

        def node(ind: Indicator) -> tuple[float, FloatArray]:
            if ind.is_leaf:
                return gl[ind.id], col[ind.id]
            return agg(ind.sub_indicators)

        total = np.zeros(n)
        for dim in m.dimensions:
            mass, val = agg(dim.indicators)
            total = total + mass * val
        return total

    return fn


def measured_value_problem(key: str, value: object) -> str | None:
    """What is wrong with one measured value, or None; the one rule for every source of
    measurements (a ``--measured`` file, the store).

    Why a lower bound: every measurement is a latency (seconds), a speed (tokens per
    second), a price (per million tokens), a count, a coefficient of variation or a share
    (accuracy, uptime), none of which can be negative. A negative value is a typo, and
    scored as given it would not fail: a negative price or latency simply wins its
    indicator. (No upper bound: a methodology may read a ``suite:`` key on its own scale.)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"is {value!r}, not a number; measured values must be finite numbers"
    try:
        x = float(value)
    except OverflowError:
        return "is too large; measured values must be finite numbers"
    if not math.isfinite(x):
        return f"is {value!r}; measured values must be finite numbers"
    if x < 0:
        return (f"is {value!r}, below 0; no measurement can be negative (latencies are "
                "seconds, speeds tokens per second, prices per million tokens, accuracies "
                "shares from 0 to 1)")
    return None


def _check_measured(measured: Mapping[str, Mapping[str, float]]) -> None:
    for entity, values in measured.items():
        for key, value in values.items():
            problem = measured_value_problem(key, value)
            if problem is not None:
                raise DatasetError(f"measured value {key} of {entity} {problem}.")


def _evaluate_gate(
    gate: Gate, entity: str, facts: FactsTable, measured: Mapping[str, Mapping[str, float]]
) -> GateOutcome:
    def outcome(status: Literal["pass", "fail", "missing"], detail: str) -> GateOutcome:
        return GateOutcome(entity, gate.id, gate.name, status, detail)

    fact: Fact | None = None
    value: float = math.nan
    if gate.fact is not None:
        fact = facts.get(entity, gate.fact)
        if fact is None:
            return outcome("missing", f"no fact '{gate.fact}' (needed by gate {gate.name}; "
                                      f"required {gate.requirement()})")
    else:
        found = measured.get(entity, {}).get(str(gate.measured))
        if found is None:
            return outcome("missing", f"no measured value '{gate.measured}' (needed by gate "
                                      f"{gate.name}; required {gate.requirement()})")
        value = float(found)
    shown: str
    ok: bool
    if isinstance(gate.equals, bool):
        actual_b = fact.as_bool() if fact is not None else bool(value)
        shown, ok = str(actual_b).lower(), actual_b == gate.equals
    elif isinstance(gate.equals, str):
        actual_s = fact.value.strip() if fact is not None else f"{value:g}"
        shown, ok = actual_s, actual_s.casefold() == gate.equals.strip().casefold()
    else:
        x = fact.as_number() if fact is not None else value
        shown = f"{x:g}"
        if gate.equals is not None:
            ok = math.isclose(x, float(gate.equals), rel_tol=1e-9, abs_tol=1e-12)
        else:
            ok = (gate.min is None or x >= gate.min) and (gate.max is None or x <= gate.max)
    src = f" [{fact.source}, {fact.as_of}]" if fact is not None else ""
    text = f"{gate.value_name} = {shown} (required {gate.requirement()}){src}"
    return outcome("pass" if ok else "fail", text)


def score_methodology(
    methodology: Methodology,
    facts: FactsTable | None = None,
    measured: Mapping[str, Mapping[str, float]] | None = None,
    *,
    method: Method = "weighted-sum",
    topsis_normalisation: TopsisNorm = "vector",
    scenario: str | None = None,
    sensitivity: SensitivityOptions | None = None,
) -> ScoreResult:
    """Apply a methodology to analyst facts and baimo measurements.

    Entities are everyone named in ``facts`` or ``measured``. Each is checked against the gates
    (failing → ``excluded`` with reasons; a gate value absent → ``incomplete``), then every leaf
    indicator value is looked up (a required one absent → ``incomplete`` with the list). The
    remaining entities are normalised together and scored.

    An ``optional`` indicator an entity lacks is left out of that entity's score: its siblings'
    weights are renormalised to sum to 1 within the parent, normalisation (min-max, ...) uses
    only the entities that have the value, and the entity's ``scored_without`` and
    ``weights_used`` say what was left out and which weights were applied (see the comment on
    ``_presence``). An optional indicator no entity has is left out of the run, so the scores
    equal those of the methodology without it. TOPSIS measures everyone against one ideal
    point, so under TOPSIS an optional indicator any scored entity lacks is left out for all.

    Args:
        methodology: A validated methodology.
        facts: Analyst facts (``manual`` sources and fact gates).
        measured: ``{entity: {"suite:ifeval": 0.81, "perf:ttft_p95": 0.42, ...}}``.
        method: ``weighted-sum`` (each indicator's own normalisation) or ``topsis`` (all
            leaves normalised by ``topsis_normalisation``; dimension scores are TOPSIS on that
            dimension's leaves, the overall score TOPSIS on all leaves with global weights).
        topsis_normalisation: ``vector`` (Hwang & Yoon) or ``minmax`` (pymcdm's default).
        scenario: Name of alternative dimension weights defined by the methodology.
        sensitivity: Also analyse how the ranking depends on the weights.

    Raises:
        DatasetError: A value is not a number, or lies outside its indicator's fixed scale.
        NotFound: ``scenario`` is not defined.
        ConfigError: Sensitivity was asked of a methodology without an overall score.
    """
    facts = facts or FactsTable.empty()
    measured = measured or {}
    _check_measured(measured)
    if method not in METHODS:
        raise ConfigError(f"unknown method '{method}'. Use one of: {', '.join(METHODS)}.")
    m = methodology
    dim_weights = m.dimension_weights(scenario)
    weighted = m.combine.mode == "weighted"
    entities = list(dict.fromkeys([*facts.entities(), *measured.keys()]))
    leaves = m.leaves()
    leaf_ids = [ind.id for _, ind in leaves]
    notes: list[str] = []

    # --- gates
    gate_outcomes: list[GateOutcome] = []
    excluded: dict[str, list[str]] = {}
    incomplete: dict[str, list[str]] = {}
    admitted: list[str] = []
    for ent in entities:
        outs = [_evaluate_gate(g, ent, facts, measured) for g in m.gates]
        gate_outcomes.extend(outs)
        fails = [f"gate {o.name} ({o.gate}) not met: {o.detail}" for o in outs
                 if o.status == "fail"]
        gaps = [f"gate {o.name} ({o.gate}): {o.detail}" for o in outs if o.status == "missing"]
        if fails:
            excluded[ent] = fails + gaps
        elif gaps:
            incomplete[ent] = gaps
        else:
            admitted.append(ent)

    # --- values
    raw: dict[str, dict[str, float]] = {}
    prov: dict[str, dict[str, tuple[str, str | None]]] = {}
    lacking: dict[str, dict[str, str]] = {}
    required = {ind.id for _, ind in m.required_leaves()}
    for ent in admitted:
        values: dict[str, float] = {}
        origins: dict[str, tuple[str, str | None]] = {}
        why: dict[str, str] = {}
        for _, ind in leaves:
            src = ind.source
            origin: tuple[str, str | None]
            if isinstance(src, ManualSource):
                fact = facts.get(ent, src.manual)
                if fact is None:
                    where = facts.path or "the facts"
                    why[ind.id] = (f"indicator {ind.label()}: no row with indicator "
                                   f"'{src.manual}' in {where}")
                    continue
                x = fact.as_number()
                origin = (f"{fact.source} ({fact.origin})", fact.as_of)
                # The file and line first: the source is the user's free text.
                place = f"{fact.origin}: (source: {fact.source})"
            else:
                assert isinstance(src, MeasuredSource)
                mv = measured.get(ent, {}).get(src.measured)
                if mv is None:
                    why[ind.id] = f"indicator {ind.label()}: no measured value '{src.measured}'"
                    continue
                x, origin = float(mv), (f"measured {src.measured}", None)
                place = f"measured {src.measured}:"
            norm = ind.effective_normalisation
            if norm.kind == "scale":
                assert norm.min is not None and norm.max is not None
                if not norm.min <= x <= norm.max:
                    raise DatasetError(f"{place} {ent} / {ind.label()} = {x:g} lies outside "
                                       f"the scale {norm.min:g}-{norm.max:g} declared by "
                                       f"methodology '{m.id}'. Fix the value.")
            values[ind.id] = x
            origins[ind.id] = origin
        gaps = [text for lid, text in why.items() if lid in required]
        if gaps:
            incomplete[ent] = gaps
        else:
            raw[ent], prov[ent], lacking[ent] = values, origins, why
    scored = [e for e in admitted if e in raw]

    # --- optional indicators: which an entity has, and which are kept for the run
    present: dict[str, set[str]] = {}
    without: dict[str, dict[str, str]] = {}
    for ent in scored:
        present[ent], without[ent] = _presence(m, raw[ent], lacking[ent])
    all_ids = set(m.indicators())
    if not scored:
        active = all_ids
    elif method == "topsis":
        # TOPSIS measures every entity against one ideal point, so all need the same criteria
        active = set.intersection(*(present[e] for e in scored))
    else:
        active = set.union(*(present[e] for e in scored))
    kept_out = _topmost(m, all_ids - active)
    if method == "topsis" and kept_out:
        for ent in scored:
            for iid in kept_out:
                if iid in present[ent]:
                    lack = [e for e in scored if iid not in present[e]]
                    without[ent][iid] = (f"left out for every entity: TOPSIS compares all on one "
                                         f"set of criteria, and {', '.join(lack)} "
                                         f"{'lacks' if len(lack) == 1 else 'lack'} it")
    run_local = _run_weights(m, active)

    unused = sorted(facts.indicator_names() - m.fact_names())
    if unused:
        notes.append(f"facts not used by this methodology (check the spelling): "
                     f"{', '.join(unused)}")
    if method == "topsis":
        notes.append(f"TOPSIS with {topsis_normalisation} normalisation on all leaf indicators; "
                     f"the indicators' own normalisations are not used. Dimension scores are "
                     f"TOPSIS closeness on each dimension's indicators, the overall score TOPSIS "
                     f"on all indicators with global weights (not a weighted sum of dimension "
                     f"scores).")
    if weighted and m.combine.note:
        notes.append(m.combine.note)
    if not scored:
        notes.append("no entity passed the gates with complete values; nothing was scored")
    if kept_out:
        names = ", ".join(f"{i} ({m.indicators()[i].name})" for i in kept_out)
        why_out = ("TOPSIS compares every entity on one set of criteria and at least one "
                   "entity lacks them" if method == "topsis" else "no entity scored has a "
                   "value for them")
        notes.append(f"optional indicator(s) {names} left out for every entity ({why_out}); "
                     f"the weights of their siblings are renormalised within their parent, and "
                     f"the weights below are those used")
    partly = {e: w for e, w in without.items() if w and not set(w) <= set(kept_out)}
    if partly:
        listed = "; ".join(f"{e} without {', '.join(sorted(set(w) - set(kept_out)))}"
                           for e, w in partly.items())
        notes.append(f"scored without optional indicator(s), with the weights of the others "
                     f"renormalised within their parent (see each entity's scored_without and "
                     f"weights_used): {listed}")

    act_leaves = [(d, ind) for d, ind in leaves if ind.id in active]
    leaf_ids = [ind.id for _, ind in act_leaves]
    inner = _leaf_weights_in_dimensions(m, run_local)
    global_w = (_global_weights(m, leaf_ids, dim_weights, run_local) if weighted
                else np.zeros(len(leaf_ids)))
    weights_out: dict[str, dict[str, float]] = {
        "dimensions": dict(dim_weights),
        "indicators": {k: v for d in m.dimensions
                       for k, v in _local(run_local, "dimension", d.id,
                                          d.indicator_weights).items() if k in active},
        "within_dimension": {k: inner[k][1] for k in leaf_ids},
    }
    for ind in m.indicators().values():
        if not ind.is_leaf and ind.id in active:
            weights_out["indicators"].update(
                {k: v for k, v in _local(run_local, "indicator", ind.id,
                                         ind.sub_weights).items() if k in active})
    if weighted:
        weights_out["global"] = dict(zip(leaf_ids, global_w.tolist(), strict=True))

    directions: list[Direction] = [ind.direction for _, ind in act_leaves]
    if method == "topsis":
        tn = Normalisation(kind=topsis_normalisation)
        normalisations = {ind.id: tn.describe(ind.direction) for _, ind in act_leaves}
    else:
        normalisations = {ind.id: ind.effective_normalisation.describe(ind.direction)
                          for _, ind in act_leaves}

    scale = (m.combine.report_scale.min, m.combine.report_scale.max) \
        if (m.combine.report_scale and method == "weighted-sum" and weighted) else None

    entity_scores: list[EntityScore] = []
    sens_report: SensitivityReport | None = None
    if scored:
        # NaN where an entity lacks an optional value (weighted sum only; TOPSIS keeps none)
        r = np.array([[raw[e][lid] if lid in present[e] else math.nan for lid in leaf_ids]
                      for e in scored], dtype=np.float64).reshape(len(scored), len(leaf_ids))
        n_ent = len(scored)
        if method == "weighted-sum":
            try:
                norm_m = _normalise_present(
                    r, directions, [ind.effective_normalisation for _, ind in act_leaves])
            except ValueError as exc:
                raise DatasetError(f"cannot normalise the values for methodology '{m.id}': "
                                   f"{exc}") from None
        else:
            norm_m = mcda.normalise_matrix(r, directions, Normalisation(kind=topsis_normalisation))
        leaf_col = {lid: norm_m[:, j] for j, lid in enumerate(leaf_ids)}
        has = {iid: np.array([iid in present[e] for e in scored], dtype=bool) for iid in active}
        used: list[dict[str, dict[str, float]]] = [{} for _ in scored]

        def combine(label: str, kids: Sequence[Indicator], ws: Mapping[str, float],
                    parent_has: np.ndarray[Any, np.dtype[np.bool_]] | None) -> FloatArray:
            """Weighted sum of the children each entity has; an entity lacking an optional
            child gets the others' weights renormalised to sum to 1 (recorded in ``used``)."""
            kids = [k for k in kids if k.id in active]
            cols = [value_of(k) for k in kids]
            w = [ws[k.id] for k in kids]
            mask = np.column_stack([has[k.id] for k in kids])
            complete = mask.all(axis=1)
            den = mask.astype(np.float64) @ np.array(w, dtype=np.float64)
            s = np.zeros(n_ent)
            effs = []
            for k, col in enumerate(cols):
                part = np.divide(w[k], den, out=np.zeros(n_ent), where=den > 0)
                eff = np.where(complete, w[k], part)
                effs.append(eff)
                s = s + np.where(mask[:, k], eff * np.nan_to_num(col), 0.0)
            ok = np.ones(n_ent, dtype=bool) if parent_has is None else parent_has
            for i in np.flatnonzero(ok & ~complete):
                used[i][label] = {kid.id: float(effs[k][i]) for k, kid in enumerate(kids)
                                  if mask[i, k]}
            return np.where(ok, s, math.nan)

        # indicator values up the tree (weighted sums of normalised children)
        ind_vals: dict[str, FloatArray] = dict(leaf_col)

        def value_of(ind: Indicator) -> FloatArray:
            if ind.id in ind_vals:
                return ind_vals[ind.id]
            v = combine(f"indicator:{ind.id}", ind.sub_indicators,
                        _local(run_local, "indicator", ind.id, ind.sub_weights), has[ind.id])
            ind_vals[ind.id] = v
            return v

        dim_scores: dict[str, FloatArray] = {}
        for dim in m.dimensions:
            cols = [j for j, (d, _) in enumerate(act_leaves) if d.id == dim.id]
            if method == "weighted-sum":
                dim_scores[dim.id] = combine(
                    f"dimension:{dim.id}", dim.indicators,
                    _local(run_local, "dimension", dim.id, dim.indicator_weights), None)
            else:
                for ind in dim.indicators:
                    if ind.id in active:
                        value_of(ind)
                w_in = np.array([inner[leaf_ids[j]][1] for j in cols])
                res = mcda.topsis(r[:, cols], w_in / w_in.sum(),
                                  [directions[j] for j in cols], topsis_normalisation)
                dim_scores[dim.id] = res.scores
                notes.extend(f"dimension {dim.id}: {n}" for n in res.notes)
        overall: FloatArray | None = None
        if weighted:
            if method == "weighted-sum":
                overall = np.zeros(n_ent)
                for dim in m.dimensions:
                    overall = overall + dim_weights[dim.id] * dim_scores[dim.id]
            else:
                res = mcda.topsis(r, global_w, directions, topsis_normalisation)
                overall = res.scores
                notes.extend(res.notes)

        def shown(x: FloatArray) -> FloatArray:
            return x if scale is None else scale[0] + (scale[1] - scale[0]) * x

        dim_ranks = {d: mcda.rank_descending(v) for d, v in dim_scores.items()}
        overall_ranks = mcda.rank_descending(overall) if overall is not None else None
        for i, ent in enumerate(scored):
            inds: dict[str, IndicatorScore] = {}
            for ind_id in m.indicators():
                if ind_id not in active or ind_id not in present[ent]:
                    continue
                if ind_id in leaf_col:
                    j = leaf_ids.index(ind_id)
                    inds[ind_id] = IndicatorScore(ind_id, float(r[i, j]), float(norm_m[i, j]),
                                                  prov[ent][ind_id][0], prov[ent][ind_id][1])
                else:
                    inds[ind_id] = IndicatorScore(ind_id, None, float(ind_vals[ind_id][i]),
                                                  "weighted sum of sub-indicators", None)
            entity_scores.append(EntityScore(
                entity=ent,
                rank=None if overall_ranks is None else int(overall_ranks[i]),
                overall=None if overall is None else float(shown(overall)[i]),
                dimensions={d: float(shown(v)[i]) for d, v in dim_scores.items()},
                dimension_ranks={d: int(v[i]) for d, v in dim_ranks.items()},
                indicators=inds,
                scored_without=dict(without[ent]),
                weights_used=used[i],
            ))
        if overall_ranks is not None:
            entity_scores.sort(key=lambda s: (s.rank or 0))

        if sensitivity is not None:
            if not weighted:
                raise ConfigError(f"methodology '{m.id}' reports dimensions separately (no "
                                  f"overall score), so there is no ranking whose weight "
                                  f"sensitivity could be analysed.")
            if n_ent < 2:
                notes.append("sensitivity analysis skipped: fewer than two entities scored")
            else:
                renorm = (_renormalising_score(m, leaf_ids, norm_m, active)
                          if bool(np.isnan(r).any()) else None)
                sens_report = _sensitivity(m, sensitivity, method, scored, leaf_ids, norm_m,
                                           dim_weights, dim_scores, run_local, active, renorm)
    elif sensitivity is not None:
        notes.append("sensitivity analysis skipped: nothing was scored")

    return ScoreResult(
        methodology=m.id,
        methodology_title=m.title,
        methodology_version=m.version,
        methodology_origin=m.origin,
        methodology_sha256=m.sha256,
        provenance=m.provenance.model_dump(),
        method=method,
        topsis_normalisation=topsis_normalisation if method == "topsis" else None,
        combine_mode=m.combine.mode,
        scenario=scenario,
        report_scale=scale,
        axes=(m.combine.axes[0], m.combine.axes[1]) if m.combine.axes else None,
        weights=weights_out,
        normalisations=normalisations,
        entities=tuple(entities),
        gates=tuple(gate_outcomes),
        excluded=excluded,
        incomplete=incomplete,
        scores=tuple(entity_scores),
        dimension_names={d.id: d.name for d in m.dimensions},
        indicator_names={i.id: i.name for i in m.indicators().values()},
        notes=tuple(notes),
        sensitivity=sens_report,
    )


def _linear(values: FloatArray) -> ScoreFn:
    """Scores linear in the weights: ``values @ w``."""
    def fn(w: FloatArray) -> FloatArray:
        return np.asarray(values @ w, dtype=np.float64)
    return fn


def _sensitivity(
    m: Methodology,
    opts: SensitivityOptions,
    method: Method,
    entities: list[str],
    leaf_ids: list[str],
    normalised: FloatArray,
    dim_weights: Mapping[str, float],
    dim_scores: Mapping[str, FloatArray],
    run: Mapping[GroupKey, Mapping[str, float]] | None = None,
    active: set[str] | None = None,
    renormalising: ScoreFn | None = None,
) -> SensitivityReport:
    """Wire the generic sensitivity functions to one scored methodology.

    ``run`` are the local weights of parents that lost an optional child for the whole run and
    ``active`` the indicators kept (see ``_run_weights``); ``renormalising`` is the non-linear
    score function used at indicator level when some entity lacks an optional value.
    """
    run = run or {}
    active = set(m.indicators()) if active is None else active
    dim_ids = [d.id for d in m.dimensions]
    notes: list[str] = []
    oat: list[OatRow] = []

    # In TOPSIS mode ``normalised`` is already the TOPSIS-normalised leaf matrix, and it does
    # not depend on the weights, so only the distances are recomputed per weighting.
    def topsis_global(g: FloatArray) -> FloatArray:
        return mcda.topsis_closeness(normalised, g)[0]

    def topsis_dims(x: FloatArray) -> FloatArray:
        dw = dict(zip(dim_ids, x.tolist(), strict=True))
        return topsis_global(_global_weights(m, leaf_ids, dw, run))

    score_fn: ScoreFn
    if opts.level == "dimensions":
        names = dim_ids
        w = np.array([dim_weights[d] for d in dim_ids], dtype=np.float64)
        values = np.column_stack([dim_scores[d] for d in dim_ids])
        score_fn = _linear(values) if method == "weighted-sum" else topsis_dims
        oat = one_at_a_time(names, w, score_fn, entities, opts.changes, group="dimensions")
    else:
        names = leaf_ids
        w = _global_weights(m, leaf_ids, dim_weights, run)
        values = normalised
        score_fn = (topsis_global if method == "topsis" else
                    renormalising if renormalising is not None else _linear(values))
        groups: list[tuple[GroupKey, Mapping[str, float]]] = [
            (key, run.get(key) or stated) for key, stated in _stated_groups(m, active)]
        for key, full in groups:
            local = {k: v for k, v in full.items() if k in active}
            if len(local) < 2:
                notes.append(f"{key[0]} {key[1]}: a single weight, nothing to vary")
                continue
            ids = list(local)

            def group_fn(x: FloatArray, key: GroupKey = key, ids: list[str] = ids,
                         full: Mapping[str, float] = full) -> FloatArray:
                changed = {**dict.fromkeys(full, 0.0), **dict(zip(ids, x.tolist(), strict=True))}
                g = _global_weights(m, leaf_ids, dim_weights, {**run, key: changed})
                return score_fn(g)

            oat.extend(one_at_a_time(ids, np.array(list(local.values())), group_fn, entities,
                                     opts.changes, group=f"{key[0]}:{key[1]}"))
        notes.append("Monte Carlo draws and the flip search vary the global indicator weights "
                     "jointly, so dimension totals may change too.")
    acc = rank_acceptability(w, score_fn, entities, draws=opts.draws, seed=opts.seed,
                             concentration=opts.concentration)
    if method == "weighted-sum" and (opts.level == "dimensions" or renormalising is None):
        flip = smallest_flip_linear(values, w, entities, names)
    else:
        flip = smallest_flip_search(w, score_fn, entities, names)
    return SensitivityReport(level=opts.level, weight_names=tuple(names),
                             weights=tuple(float(x) for x in w), oat=tuple(oat),
                             acceptability=acc, flip=flip, notes=tuple(notes))
