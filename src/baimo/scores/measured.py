"""From stored runs to the numbers the decision layer compares: one ``Measurements`` per model.

The methodologies (``baimo score``) and the scenario advisor (``baimo advise``) judge models on
what baimo *measured*, not on what a vendor claims. This module is the one place that reads
those measurements out of the store, so both consumers see the same numbers and the same
explanation of every gap:

* **Capability** per dimension is ``build_profile``'s macro-average of task accuracies; per
  suite accuracy is the mean score of graded rows (a suite with several tasks, such as
  ``reasoning``, is the macro-average of its tasks). Overall capability is the mean of the
  dimension scores *without* safety, because safety is judged as its own criterion and would
  otherwise be counted twice.
* **Safety** is the safety suite's accuracy, i.e. the share of prompts where the model behaved
  safely (refused the harmful, helped the benign look-alike, resisted the injection, kept the
  secret).
* **Speed** comes from the most recent perf run of the model, at that run's *lightest* load
  level (lowest concurrency or rate): latency under load depends on the load chosen, and the
  lightest level is the one that is comparable between models swept differently. TTFT p95 is
  first content chunk − send; output speed is the median over requests of output tokens / E2E
  (``baimo.perf.metrics``' definitions, reused rather than recomputed).
* **Prices, context window, open weights and deployment** come from the model's config: the
  models file when one is given and names the model (the user's current price list), else the
  public config stored with the model's latest run. Local engines (the embedded model and the
  self-hosted presets) run *privately* and cost nothing per token; an API model whose file gives
  0/0 prices is treated as *unpriced*, not free, since 0 is the models file's default.
* **Filing (备案)** and, when the config is silent, open weights come from the landscape
  catalog record the model's name (or model id) links to.

When ``run_ids`` is None, the *latest* measurement per model is used: for every (model, task)
the most recent eval run that graded it, and the most recent perf run with a successful
request. So a model measured on ``demo`` last week and on ``ifeval`` today gets both.

Nothing is dropped silently: every model seen in a run is returned, and each measurement it
lacks is listed in ``Measurements.missing`` with the reason and the command that would fill
it. Whether a model was measured at all, or only tried (every sample and request failed), is
not decided here but by the store's one rule, ``store.runs.coverage()``, which the landscape
map and the web count by too; ``Measurements.measured`` carries it, and ``split_tried``
separates the two for ``score`` and ``advise``. ``to_methodology_inputs`` and ``to_model_measurements`` convert to what
``score_methodology`` and ``advise`` read. ``save_score``/``list_scores``/``get_score`` keep
``ScoreResult``\\ s in the store's ``score_results`` table, so a published ranking can be
found and audited later.
"""

from __future__ import annotations

import difflib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from baimo.advise.advisor import ModelMeasurements
from baimo.config import Config, default_embedded_model
from baimo.errors import BaimoError, DatasetError
from baimo.models.registry import is_local
from baimo.monitor.scorecard import (
    StabilityMeasurement,
    stability_measurement,
    vendor_stability,
)
from baimo.scores.methodology import (
    MeasuredSource,
    Methodology,
    ScoreResult,
    measured_value_problem,
)
from baimo.scores.profile import build_profile, task_dimensions
from baimo.scores.summary import newest_rows
from baimo.store.records import GRADED_STATUSES, ResultRecord, RunRecord, ScoreRecord
from baimo.store.store import Store
from baimo.tabular import decode_text, read_user_bytes
from baimo.yamlio import LocatedYaml

__all__ = [
    "BLEND_INPUT_SHARE",
    "NON_CAPABILITY_DIMENSIONS",
    "Measurements",
    "PerfMeasurement",
    "StoredScore",
    "collect_measurements",
    "collect_vendor_stability",
    "explain_missing",
    "get_score",
    "list_scores",
    "measured_keys",
    "read_measured_file",
    "save_score",
    "split_tried",
    "stability_inputs",
    "to_methodology_inputs",
    "to_model_measurements",
    "tried_reason",
]

BLEND_INPUT_SHARE = 0.75
"""Input share of the blended price (3 input tokens per output token, a usual chat mix)."""

NON_CAPABILITY_DIMENSIONS = frozenset({"safety"})
"""Dimensions left out of overall capability (judged as criteria of their own)."""


_RUN_LIMIT = 1_000_000


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PerfMeasurement:
    """What one perf run measured for one model at the level used.

    Attributes:
        run_id: The perf run.
        level: The level's label, e.g. ``c=1``.
        load: ``{"kind": "concurrency"|"rate", "value": ...}`` when stored.
        ttft_p95_s: 95th percentile of first content chunk − send, seconds.
        ttft_p50_s: Median of the same.
        output_tps: Median over requests of output tokens / E2E.
        requests_ok: Successful measured requests the numbers come from.
        requests_measured: Measured requests (any outcome).
        created_at: When the run started (epoch seconds).
    """

    run_id: str
    level: str
    load: dict[str, Any]
    ttft_p95_s: float | None
    ttft_p50_s: float | None
    output_tps: float | None
    requests_ok: int
    requests_measured: int
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Measurements:
    """Everything baimo knows about one model, with the origin of each number and each gap.

    Attributes:
        model: The model's name in baimo.
        config: The public model config the prices and attributes were read from.
        config_source: ``models file PATH`` or ``run RUN_ID`` (the stored config).
        eval_runs: Eval runs whose rows were used, oldest first.
        task_runs: Task → the eval run its accuracy comes from.
        dimensions: Dimension → macro-averaged accuracy in [0, 1].
        dimension_ci: Dimension → 95% bootstrap interval.
        dimension_n: Dimension → graded samples behind it.
        suites: Suite or task name → accuracy in [0, 1].
        suite_n: Suite or task name → graded samples.
        capability: Mean of the non-safety dimensions, or None.
        safety: Share of safe behaviour on the safety suite, or None.
        perf: The perf measurement used, or None.
        stability: Uptime and TTFT CV from ``baimo monitor`` over 72 h, or None.
        price_input_per_1m: Input price per million tokens, or None when unpriced.
        price_output_per_1m: Output price per million tokens, or None when unpriced.
        currency: ``CNY`` or ``USD`` when priced.
        context_window: Tokens, when configured.
        open_weights: From the config, else the linked catalog record.
        filed: Generative-AI service filing (备案) per the linked catalog record.
        catalog_id: The landscape record the model links to, if any.
        vendor: From the config, else the catalog record.
        deployment: ``private`` (runs on the user's machines) or ``api``.
        missing: Measurement name → why it is missing and how to get it.
        sources: Measurement name → where the value came from.
        measured: Whether the store holds a scored result of the model (a graded eval row or
            a successful measured perf request): the store's one rule,
            ``store.runs.coverage()``, which the landscape map and the web also use. False:
            the model was only tried, every sample and request failed.
        runs: Every selected eval and perf run that names the model, oldest first.
    """

    model: str
    config: dict[str, Any]
    config_source: str
    eval_runs: tuple[str, ...] = ()
    task_runs: dict[str, str] = field(default_factory=dict)
    dimensions: dict[str, float] = field(default_factory=dict)
    dimension_ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    dimension_n: dict[str, int] = field(default_factory=dict)
    suites: dict[str, float] = field(default_factory=dict)
    suite_n: dict[str, int] = field(default_factory=dict)
    capability: float | None = None
    safety: float | None = None
    perf: PerfMeasurement | None = None
    stability: StabilityMeasurement | None = None
    price_input_per_1m: float | None = None
    price_output_per_1m: float | None = None
    currency: str | None = None
    context_window: int | None = None
    open_weights: bool | None = None
    filed: bool | None = None
    catalog_id: str | None = None
    vendor: str | None = None
    deployment: str = "api"
    missing: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    measured: bool = True
    runs: tuple[str, ...] = ()

    @property
    def ttft_p95_s(self) -> float | None:
        """TTFT p95 of the perf measurement, seconds."""
        return self.perf.ttft_p95_s if self.perf else None

    @property
    def output_tps(self) -> float | None:
        """Median output tokens per second per request."""
        return self.perf.output_tps if self.perf else None

    @property
    def blended_price_per_1m(self) -> float | None:
        """``BLEND_INPUT_SHARE`` x input + the rest x output price, when priced."""
        if self.price_input_per_1m is None or self.price_output_per_1m is None:
            return None
        return (BLEND_INPUT_SHARE * self.price_input_per_1m
                + (1 - BLEND_INPUT_SHARE) * self.price_output_per_1m)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view (what ``--json`` prints)."""
        return {
            "model": self.model, "config_source": self.config_source,
            "eval_runs": list(self.eval_runs), "task_runs": dict(self.task_runs),
            "dimensions": dict(self.dimensions),
            "dimension_ci": {k: list(v) for k, v in self.dimension_ci.items()},
            "dimension_n": dict(self.dimension_n),
            "suites": dict(self.suites), "suite_n": dict(self.suite_n),
            "capability": self.capability, "safety": self.safety,
            "perf": None if self.perf is None else self.perf.to_dict(),
            "stability": None if self.stability is None else self.stability.to_dict(),
            "ttft_p95_s": self.ttft_p95_s, "output_tps": self.output_tps,
            "price_input_per_1m": self.price_input_per_1m,
            "price_output_per_1m": self.price_output_per_1m,
            "blended_price_per_1m": self.blended_price_per_1m,
            "blend_input_share": BLEND_INPUT_SHARE, "currency": self.currency,
            "context_window": self.context_window, "open_weights": self.open_weights,
            "filed": self.filed, "catalog_id": self.catalog_id, "vendor": self.vendor,
            "deployment": self.deployment, "missing": dict(self.missing),
            "sources": dict(self.sources), "measured": self.measured,
            "runs": list(self.runs),
        }


# ---------------------------------------------------------------------------------------------
# Collecting
# ---------------------------------------------------------------------------------------------


def _select_runs(store: Store, run_ids: Sequence[str] | None
                 ) -> tuple[list[RunRecord], list[RunRecord]]:
    """Eval and perf runs (with their models), newest first."""
    if run_ids is None:
        return (store.runs.recent(_RUN_LIMIT, kind="eval"),
                store.runs.recent(_RUN_LIMIT, kind="perf"))
    evals: list[RunRecord] = []
    perfs: list[RunRecord] = []
    seen: set[str] = set()
    for ref in run_ids:
        rid = store.runs.resolve(ref)
        if rid in seen:
            continue
        seen.add(rid)
        run = store.runs.get(rid)
        if run.kind == "eval":
            evals.append(run)
        elif run.kind == "perf":
            perfs.append(run)
        else:
            raise BaimoError(f"run {rid} is a '{run.kind}' run; measurements come from "
                             f"'eval' and 'perf' runs. List them with: baimo runs list")
    evals.sort(key=lambda r: -r.created_at)
    perfs.sort(key=lambda r: -r.created_at)
    return evals, perfs


def _suite_of(evals: Sequence[RunRecord]) -> dict[str, str]:
    """Task name → the suite that built it (tasks built from a YAML file are their own)."""
    out: dict[str, str] = {}
    for run in reversed(evals):  # newest last, so it wins
        for t in run.spec.get("tasks", []):
            spec = t.get("spec") or {}
            suite = spec.get("suite") if isinstance(spec, dict) else None
            out[t["name"]] = str(suite) if suite else t["name"]
    return out


def _accuracies(rows: Iterable[ResultRecord]) -> dict[str, dict[str, tuple[float, int]]]:
    """Model → task → (accuracy, graded samples), over graded rows only."""
    sums: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r.status in GRADED_STATUSES and r.status != "judge-parse-error":
            sums[r.model_name][r.task].append(r.score)
    return {m: {t: (sum(v) / len(v), len(v)) for t, v in tasks.items() if v}
            for m, tasks in sums.items()}


def _lightest_level(summaries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The level with the lowest load that had a successful request, else None."""
    ok = [s for s in summaries if s.get("requests", {}).get("ok", 0) > 0]
    if not ok:
        return None
    return min(ok, key=lambda s: (float(s.get("load", {}).get("value") or 0.0),
                                  int(s.get("position", 0))))


def _perf_summaries(store: Store, run_id: str, model: str) -> list[dict[str, Any]]:
    """Level summaries of one model in one perf run: stored ones, else recomputed from rows."""
    from baimo.perf import metrics
    from baimo.perf.runner import level_summaries, rows_from_store

    stored = [s for s in level_summaries(store, [run_id]) if s.get("model") == model]
    if stored:
        return stored
    by_level: dict[str, list[dict[str, Any]]] = defaultdict(list)
    order: list[str] = []
    for r in rows_from_store([r for r in store.perf.requests([run_id]) if r.model_name == model]):
        if r["level"] not in by_level:
            order.append(r["level"])
        by_level[r["level"]].append(r)
    out = []
    for pos, level in enumerate(order):
        s = metrics.summarize_level(by_level[level])
        s.update(level=level, position=pos, load={"kind": "unknown", "value": pos})
        out.append(s)
    return out


def _perf_for(store: Store, model: str, perfs: Sequence[RunRecord]
              ) -> tuple[PerfMeasurement | None, str | None]:
    """The newest perf run with a usable level for ``model``, or None and why not."""
    tried: list[str] = []
    for run in perfs:
        if model not in run.model_names:
            continue
        summaries = _perf_summaries(store, run.id, model)
        level = _lightest_level(summaries)
        if level is None:
            tried.append(run.id)
            continue
        m = level["metrics"]
        return PerfMeasurement(
            run_id=run.id, level=str(level.get("level")), load=dict(level.get("load", {})),
            ttft_p95_s=m["ttft_s"]["p95"], ttft_p50_s=m["ttft_s"]["p50"],
            output_tps=m["output_tokens_per_s_per_request"]["median"],
            requests_ok=int(level["requests"]["ok"]),
            requests_measured=int(level["requests"]["measured"]),
            created_at=run.created_at), None
    if tried:
        return None, (f"perf run(s) {', '.join(tried)} of {model} have no successful measured "
                      f"request; check the endpoint and run: baimo perf -m {model}")
    return None, f"no perf run of {model} in the selected runs (run: baimo perf -m {model})"


def _is_local(cfg: Mapping[str, Any]) -> bool:
    return is_local(str(cfg.get("provider") or ""))


def _catalog() -> tuple[Any, str | None]:
    """The landscape catalog (built-in plus the user's file), or None and why not."""
    from baimo.landscape import load_catalog

    try:
        return load_catalog(), None
    except BaimoError as exc:
        return None, f"the landscape catalog could not be read ({exc})"


def _link(model: str, cfg: Mapping[str, Any], catalog: Any, catalog_error: str | None
          ) -> tuple[Any, str | None]:
    """(catalog record or None, why not) for a measured model name, then its model id."""
    from baimo.landscape import link_measured

    if catalog is None:
        return None, catalog_error
    candidates = [model, str(cfg["model"])] if cfg.get("model") else [model]
    links = link_measured(catalog, candidates)
    for name in candidates:
        rid = links.get(name)
        if rid is not None:
            return catalog.get(rid), None
    shown = " or ".join(f"'{c}'" for c in dict.fromkeys(candidates))
    return None, (f"no landscape catalog record matches {shown} (add one with: baimo "
                  f"landscape add ... --alias {model} --source ...)")


def _config_for(model: str, config: Config | None, runs: Sequence[RunRecord]
                ) -> tuple[dict[str, Any], str]:
    if config is not None and model in config.models:
        cfg = config.models[model]
        builtin = cfg == default_embedded_model()
        where = (f"models file {config.source}" if config.source and not builtin
                 else "built-in model config")
        return cfg.public_dict(), where
    for run in sorted(runs, key=lambda r: -r.created_at):
        for m in run.models:
            if m.model_name == model and isinstance(m.model, dict):
                return dict(m.model), f"run {run.id}"
    return {"name": model}, "nowhere (no stored config)"


def _fill_config(model: str, cfg: Mapping[str, Any], where: str, catalog: Any,
                 catalog_error: str | None) -> dict[str, Any]:
    """Prices, context window, open weights, deployment, filing from config and catalog."""
    out: dict[str, Any] = {"missing": {}, "sources": {}}
    local = _is_local(cfg)
    out["deployment"] = "private" if local else "api"
    out["sources"]["deployment"] = (f"provider '{cfg.get('provider')}' "
                                    f"({'local engine' if local else 'remote API'})")
    pricing = cfg.get("pricing") or {}
    p_in = float(pricing.get("input_per_1m") or 0.0)
    p_out = float(pricing.get("output_per_1m") or 0.0)
    if local or p_in > 0 or p_out > 0:
        out["price_input_per_1m"], out["price_output_per_1m"] = p_in, p_out
        out["currency"] = str(pricing.get("currency") or "CNY")
        out["sources"]["price"] = (f"{where} (local engine: no per-token price; hardware not "
                                   "included)" if local and not (p_in or p_out) else where)
    else:
        out["missing"]["price"] = (f"{where} gives {model} no pricing (0/0 is the default, "
                                   "read as unpriced, not free); add pricing: {input_per_1m, "
                                   "output_per_1m, currency} to the models file")
    ctx = cfg.get("context_window")
    if ctx:
        out["context_window"] = int(ctx)
        out["sources"]["context_window"] = where
    else:
        out["missing"]["context_window"] = (f"{where} gives no context_window for {model}; "
                                            "add it to the models file")
    record, why = _link(model, cfg, catalog, catalog_error)
    if record is not None:
        out["catalog_id"] = record.id
        out["sources"]["catalog"] = f"landscape record {record.id}"
    ow = cfg.get("open_weights")
    if isinstance(ow, bool):
        out["open_weights"] = ow
        out["sources"]["open_weights"] = where
    elif record is not None and record.weights in ("open", "closed"):
        out["open_weights"] = record.weights == "open"
        out["sources"]["open_weights"] = f"landscape record {record.id}"
    else:
        detail = why or f"landscape record {record.id} says weights: {record.weights}"
        out["missing"]["open_weights"] = (f"{where} does not set open_weights and {detail}")
    if record is not None and record.filing is not None:
        out["filed"] = record.filing == "filed"
        out["sources"]["filed"] = f"landscape record {record.id} (filing: {record.filing})"
    else:
        out["missing"]["filed"] = why or (f"landscape record {record.id} gives no filing "
                                          f"status; update it with: baimo landscape update "
                                          f"{record.id} --filing filed --source ...")
    vendor = cfg.get("vendor") or (record.vendor if record is not None else None)
    out["vendor"] = vendor
    return out


def collect_measurements(store: Store, run_ids: Sequence[str] | None = None,
                         config: Config | None = None) -> dict[str, Measurements]:
    """Every model measured in the selected runs, with what it lacks and why.

    Args:
        store: The store to read.
        run_ids: Eval and perf runs to read (ids, unique prefixes or ``latest``); None reads
            every run and keeps the latest measurement per model (see the module docstring).
        config: The models file: its prices and attributes win over the stored configs, and
            its ``dimensions:`` mapping overrides the task → dimension mapping.

    Returns:
        Model name → ``Measurements``, in name order.

    Raises:
        BaimoError: A selected run is neither an eval nor a perf run.
        NotFound: A run id does not exist.
    """
    evals, perfs = _select_runs(store, run_ids)
    all_rows = store.runs.results([r.id for r in evals]) if evals else []
    rows, chosen = newest_rows(evals, all_rows)
    graded = {(r.model_name, r.task) for r in rows if r.status in GRADED_STATUSES}
    rows = [r for r in rows if (r.model_name, r.task) in graded]
    chosen = {k: v for k, v in chosen.items() if k in graded}
    dims = task_dimensions(evals, config.dimensions if config is not None else None)
    profile = build_profile(rows, dims)["models"]
    acc = _accuracies(rows)
    suite_of = _suite_of(evals)

    names: set[str] = {n for r in evals for n in r.model_names}
    names |= {n for r in perfs for n in r.model_names}
    selected = sorted([*evals, *perfs], key=lambda r: r.created_at)
    # Measured in the runs the numbers come from, not anywhere in the store.
    scored = set(store.runs.coverage([r.id for r in selected]).measured)
    catalog, catalog_error = _catalog()
    out: dict[str, Measurements] = {}
    for model in sorted(names):
        cfg, where = _config_for(model, config, [*evals, *perfs])
        missing: dict[str, str] = {}
        sources: dict[str, str] = {"config": where}

        prof = profile.get(model, {})
        dimensions = {d: float(p["score"]) for d, p in prof.items()}
        tasks = acc.get(model, {})
        suites: dict[str, float] = {}
        suite_n: dict[str, int] = {}
        by_suite: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for task, (a, n) in tasks.items():
            suites[task], suite_n[task] = a, n
            by_suite[suite_of.get(task, task)].append((a, n))
        for suite, parts in by_suite.items():
            if suite not in suites:
                suites[suite] = sum(a for a, _ in parts) / len(parts)
                suite_n[suite] = sum(n for _, n in parts)
        task_runs = {t: ids[0] for (m, t), ids in chosen.items() if m == model}
        contributing = {i for (m, _), ids in chosen.items() if m == model for i in ids}
        eval_ids = tuple(r.id for r in reversed(evals) if r.id in contributing)

        cap_dims = [v for d, v in dimensions.items() if d not in NON_CAPABILITY_DIMENSIONS]
        capability = sum(cap_dims) / len(cap_dims) if cap_dims else None
        tried_evals = [r.id for r in evals if model in r.model_names]
        if capability is None:
            missing["capability"] = (
                f"no graded eval results for {model} outside the safety dimension "
                f"(run: baimo eval -m {model} --suite quick)" if tasks else
                f"eval run(s) {', '.join(tried_evals)} have no graded result for {model}: "
                f"every sample failed (see why with: baimo runs show {tried_evals[0]})"
                if tried_evals else
                f"no eval run of {model} in the selected runs (run: baimo eval -m {model} "
                "--suite quick)")
        else:
            sources["capability"] = (f"mean of dimensions "
                                     f"{', '.join(d for d in dimensions if d not in NON_CAPABILITY_DIMENSIONS)}"
                                     f" from eval run(s) {', '.join(eval_ids)}")
        safety = suites.get("safety", dimensions.get("safety"))
        if safety is None:
            missing["safety"] = (f"no safety suite results for {model} (run: baimo eval -m "
                                 f"{model} --suite safety)")
        else:
            sources["safety"] = f"safety suite, eval run {task_runs.get('safety', '?')}"

        perf, why = _perf_for(store, model, perfs)
        if perf is None:
            missing["perf"] = why or "no perf run"
        else:
            sources["perf"] = (f"perf run {perf.run_id}, level {perf.level} (lightest load), "
                               f"{perf.requests_ok} successful requests")
            if perf.ttft_p95_s is None:
                missing["perf"] = f"perf run {perf.run_id} recorded no first token for {model}"

        stab = stability_measurement(store.engine, model)
        if stab is not None:
            sources["stability"] = (f"baimo monitor: {stab.requests} timed probes in the last "
                                    f"{stab.window_s / 3600:g} h")
        filled = _fill_config(model, cfg, where, catalog, catalog_error)
        missing.update(filled.pop("missing"))
        sources.update(filled.pop("sources"))
        out[model] = Measurements(
            model=model, config=cfg, config_source=where, eval_runs=eval_ids,
            task_runs=task_runs, dimensions=dimensions,
            dimension_ci={d: (float(p["ci_low"]), float(p["ci_high"])) for d, p in prof.items()},
            dimension_n={d: int(p["n"]) for d, p in prof.items()},
            suites=suites, suite_n=suite_n, capability=capability, safety=safety, perf=perf,
            stability=stab, missing=missing, sources=sources, measured=model in scored,
            runs=tuple(r.id for r in selected if model in r.model_names), **filled)
    return out


def split_tried(measurements: Mapping[str, Measurements]
                ) -> tuple[dict[str, Measurements], dict[str, Measurements]]:
    """(measured, only tried) by ``Measurements.measured``: what the advisor ranks and
    ``score`` scores, and what they list apart as tried without a result."""
    return ({k: v for k, v in measurements.items() if v.measured},
            {k: v for k, v in measurements.items() if not v.measured})


def tried_reason(m: Measurements) -> str:
    """Why a model that was only tried has no measurement, and where to look."""
    runs = ", ".join(m.runs) or "no selected run"
    first = m.runs[-1] if m.runs else "RUN"
    return (f"tried in run(s) {runs}, but no sample was graded and no request succeeded "
            f"(see why with: baimo runs show {first})")


# ---------------------------------------------------------------------------------------------
# Converters
# ---------------------------------------------------------------------------------------------


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def to_methodology_inputs(measurements: Mapping[str, Measurements]
                          ) -> dict[str, dict[str, float]]:
    """``{model: {"dimension:knowledge": 0.8, "perf:ttft_p95": 0.4, ...}}`` for ``score``.

    Keys: ``dimension:NAME`` per capability dimension, ``dimension:capability`` (overall
    capability), ``suite:NAME`` per suite
    and task, ``suite:safety``, ``perf:ttft_p95``/``perf:ttft_p50`` (seconds),
    ``perf:output_tokens_per_s``, ``price:input_per_1m``/``price:output_per_1m``/
    ``price:blended_per_1m``, ``price:context_window``. A measurement a model lacks is simply
    absent, so the methodology lists the model as incomplete rather than scoring it on fewer
    indicators.
    """
    out: dict[str, dict[str, float]] = {}
    for name, m in measurements.items():
        vals: dict[str, float] = {}
        for d, v in m.dimensions.items():
            vals[f"dimension:{d}"] = v
        if m.capability is not None:
            vals["dimension:capability"] = m.capability
        for s, v in m.suites.items():
            vals[f"suite:{s}"] = v
        if m.safety is not None:
            vals["suite:safety"] = m.safety
        if m.perf is not None:
            for key, x in (("perf:ttft_p95", m.perf.ttft_p95_s),
                           ("perf:ttft_p50", m.perf.ttft_p50_s),
                           ("perf:output_tokens_per_s", m.perf.output_tps)):
                if x is not None and _finite(x):
                    vals[key] = float(x)
        if m.price_input_per_1m is not None and m.price_output_per_1m is not None:
            vals["price:input_per_1m"] = m.price_input_per_1m
            vals["price:output_per_1m"] = m.price_output_per_1m
            blended = m.blended_price_per_1m
            assert blended is not None
            vals["price:blended_per_1m"] = blended
        if m.context_window is not None:
            vals["price:context_window"] = float(m.context_window)
        vals.update(stability_inputs(m.stability))
        out[name] = {k: v for k, v in vals.items() if _finite(v)}
    return out


def stability_inputs(stab: StabilityMeasurement | None) -> dict[str, float]:
    """``monitor:uptime`` and ``monitor:ttft_cv`` of a stability measurement (the keys a
    methodology's stability indicators read); a value not measured is absent."""
    if stab is None:
        return {}
    out = {"monitor:uptime": stab.uptime}
    if stab.ttft_cv is not None:
        out["monitor:ttft_cv"] = stab.ttft_cv
    return {k: v for k, v in out.items() if _finite(v)}


def collect_vendor_stability(config: Config, store: Store, *, now: float | None = None
                             ) -> dict[str, StabilityMeasurement | None]:
    """Each vendor named in the models file (``vendor:``) → the monitor's stability of its
    endpoints over the last 72 h (``baimo.monitor.scorecard.vendor_stability``), or None when
    none of them was probed. For vendor methodologies whose entities are vendors."""
    endpoints: dict[str, list[str]] = defaultdict(list)
    for mc in config.models.values():
        if mc.vendor:
            endpoints[mc.vendor].append(mc.name)
    return {vendor: vendor_stability(store.engine, names, now=now)
            for vendor, names in endpoints.items()}


def to_model_measurements(measurements: Mapping[str, Measurements]) -> list[ModelMeasurements]:
    """The advisor's input: metrics and attributes per model (absent when not measured).

    Input and output prices are passed, not the blend, so that each profile's own
    ``blend_input_share`` applies.
    """
    out: list[ModelMeasurements] = []
    for name, m in measurements.items():
        metrics: dict[str, float] = {}
        if m.capability is not None:
            metrics["capability"] = m.capability
        if m.safety is not None:
            metrics["safety"] = m.safety
        if m.ttft_p95_s is not None and _finite(m.ttft_p95_s):
            metrics["ttft_p95_s"] = float(m.ttft_p95_s)
        if m.output_tps is not None and _finite(m.output_tps):
            metrics["output_tps"] = float(m.output_tps)
        if m.price_input_per_1m is not None and m.price_output_per_1m is not None:
            metrics["price_in_per_1m"] = m.price_input_per_1m
            metrics["price_out_per_1m"] = m.price_output_per_1m
        if m.context_window is not None:
            metrics["context_window"] = float(m.context_window)
        if m.open_weights is not None:
            metrics["open_weights"] = 1.0 if m.open_weights else 0.0
        if m.filed is not None:
            metrics["filed"] = 1.0 if m.filed else 0.0
        if m.stability is not None:
            metrics["uptime"] = m.stability.uptime
            if m.stability.ttft_cv is not None and _finite(m.stability.ttft_cv):
                metrics["ttft_cv"] = m.stability.ttft_cv
        attributes = {"deployment": m.deployment}
        if m.currency:
            attributes["currency"] = m.currency
        if m.catalog_id:
            attributes["catalog_id"] = m.catalog_id
        if m.vendor:
            attributes["vendor"] = str(m.vendor)
        out.append(ModelMeasurements(name=name, metrics=metrics, attributes=attributes))
    return out


_ADVISOR_METRIC_GAP: dict[str, str] = {
    "capability": "capability", "safety": "safety", "ttft_p95_s": "perf", "output_tps": "perf",
    "price_in_per_1m": "price", "price_out_per_1m": "price", "blended_price_per_1m": "price",
    "context_window": "context_window", "open_weights": "open_weights", "filed": "filed",
    "uptime": "stability", "ttft_cv": "stability",
}


def _suite_hint(model: str, kind: str, name: str) -> str:
    """The command that would measure a dimension or suite, from the suite registry."""
    from baimo.tasks.registry import SUITES

    if kind == "dimension":
        names = [s.name for s in SUITES.values() if s.dimension == name and not s.members]
    else:
        names = [name] if name in SUITES else []
    if names:
        return f"run: baimo eval -m {model} --suite {names[0]}"
    return "run the suite that measures it; see: baimo suites list"


def explain_missing(m: Measurements, key: str) -> str:
    """Why ``m`` lacks ``key`` (an advisor metric or a methodology ``kind:name`` key).

    Used by the CLIs to turn "no measured value 'perf:ttft_p95'" into the reason and the
    command that fills the gap.
    """
    gap = _ADVISOR_METRIC_GAP.get(key)
    if gap is None and ":" in key:
        kind, name = key.split(":", 1)
        gap = {"perf": "perf", "price": "price", "monitor": "stability"}.get(kind)
        if gap is None and kind == "suite" and name == "safety":
            gap = "safety"
        if gap is None:
            what = "dimension" if kind == "dimension" else "suite or task"
            hint = _suite_hint(m.model, kind, name)
            if not m.eval_runs:
                return f"no eval run of {m.model} in the selected runs ({hint})"
            have = sorted(m.dimensions if kind == "dimension" else m.suites)
            return (f"no graded results for {what} '{name}' in eval run(s) "
                    f"{', '.join(m.eval_runs)} (it has: {', '.join(have) or 'none'}; {hint})")
    if gap == "stability" and gap not in m.missing:
        return (f"no monitor probes of {m.model} in the last 72 h (run: baimo monitor once "
                f"-m {m.model})" if m.stability is None else
                f"too few TTFT probes of {m.model} for a CV (it needs two or more)")
    if gap is not None and gap in m.missing:
        return m.missing[gap]
    if gap == "price" and key == "price:context_window":
        return m.missing.get("context_window", "not configured")
    return "not measured"


# ---------------------------------------------------------------------------------------------
# Stored score results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredScore:
    """One stored ``baimo score`` result.

    Attributes:
        id: ``score-YYYYmmdd-HHMMSS-xxxxxx``.
        methodology: The methodology id.
        method: ``weighted-sum`` or ``topsis``.
        scenario: Named dimension weights, if any.
        created_at: Epoch seconds.
        command: The command line.
        inputs: What was scored: facts file, measured file, run ids.
        result: ``ScoreResult.to_dict()``.
    """

    id: str
    methodology: str
    method: str
    scenario: str | None
    created_at: float
    command: str
    inputs: dict[str, Any]
    result: dict[str, Any]


def save_score(store: Store, result: ScoreResult, inputs: Mapping[str, Any],
               command: str = "") -> str:
    """Append a score result to ``score_results``; returns its id.

    Stored self-contained (the methodology's id, version and SHA-256 travel inside the
    result), so a ranking can be audited after the inputs changed.
    """
    return store.scores.add(
        methodology=result.methodology, methodology_sha256=result.methodology_sha256,
        method=result.method, scenario=result.scenario, inputs=dict(inputs),
        result=result.to_dict(), command=command)


def _stored(rec: ScoreRecord) -> StoredScore:
    return StoredScore(id=rec.id, methodology=rec.methodology, method=rec.method,
                       scenario=rec.scenario, created_at=rec.created_at,
                       command=rec.command or "", inputs=rec.inputs, result=rec.result)


def list_scores(store: Store, methodology: str | None = None, limit: int = 50
                ) -> list[StoredScore]:
    """Stored score results, newest first."""
    return [_stored(r) for r in store.scores.recent(methodology, limit)]


def get_score(store: Store, score_id: str) -> StoredScore:
    """One stored score result by id or unique prefix.

    Raises:
        NotFound: No (or more than one) result matches.
    """
    return _stored(store.scores.get(score_id))


def measured_keys(methodology: Methodology, *, required_only: bool = False) -> list[str]:
    """Every ``kind:name`` key a methodology reads from measurements (indicators and gates);
    with ``required_only``, without those of optional indicators (which a model may lack and
    still be scored)."""
    leaves = methodology.required_leaves() if required_only else methodology.leaves()
    keys = [ind.source.measured for _, ind in leaves if isinstance(ind.source, MeasuredSource)]
    keys += [g.measured for g in methodology.gates if g.measured is not None]
    return list(dict.fromkeys(keys))


MAX_FILE_PROBLEMS = 20
"""Problems of a measurements file listed at once (the rest are counted)."""


def read_measured_file(path: Path, methodology: Methodology) -> dict[str, dict[str, float]]:
    """The measurements of a ``--measured`` JSON file ``{entity: {"kind:name": number}}``,
    every key and value checked against ``methodology`` before anything is scored.

    Why so strict: scoring reads only the keys the methodology names, so a misspelt key
    (``perf:ttft_p59``) is not an error there but a silent gap (the entity is called
    incomplete, or an optional indicator is dropped), and a negative latency or price is
    not refused but wins its indicator. The file is read like every user file (a UTF-8 BOM
    from Windows editors, GBK text; ``baimo.tabular``), and a key written twice, which JSON
    readers resolve by keeping the last, is refused too.

    Raises:
        DatasetError: Naming ``file:line``, the entity and the key of each problem, with the
            nearest key the methodology reads for an unknown one; nothing is scored.
    """
    source = str(path)
    text, _ = decode_text(read_user_bytes(path, "measurements file"), source)
    twice: list[tuple[str, ...]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for k, v in items:
            if k in seen:
                twice.append((k,))
            seen[k] = v
        return seen

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column "
                           f"{exc.colno}). The file must be one JSON object "
                           '{"entity": {"kind:name": number}}.') from None
    except RecursionError:
        raise DatasetError(f"{path}: JSON nested too deeply; the file must be one JSON object "
                           '{"entity": {"kind:name": number}}.') from None
    if not isinstance(data, dict):
        raise DatasetError(f"{path}:1: expected a JSON object "
                           '{"entity": {"kind:name": number}}, e.g. {"model-a": '
                           '{"perf:ttft_p95": 0.4}}.')
    # JSON is YAML flow text (tabs aside), so yamlio's line map finds each key's line.
    located = LocatedYaml(data=None, source=source, text=text.replace("\t", " "))

    def where(*keys: str) -> str:
        try:
            line = located.line_of(keys)
        except yaml.YAMLError:  # JSON that YAML cannot read: the message names no line
            line = None
        return f"{path}:{line}" if line else source

    known = measured_keys(methodology)
    problems: list[str] = []
    if twice:
        problems.append(f"{path}: key '{twice[0][0]}' appears twice in one object; JSON "
                        "readers keep only the last value. Keep one.")
    out: dict[str, dict[str, float]] = {}
    for entity, values in data.items():
        if not isinstance(values, dict):
            problems.append(f"{where(entity)}: {entity}: expected an object of measurements "
                            f'{{"kind:name": number}}, not {type(values).__name__}.')
            continue
        for key, value in values.items():
            if key not in known:
                problems.append(f"{where(entity, key)}: {entity}: key '{key}' "
                                + _unknown_key(key, known, methodology))
                continue
            problem = measured_value_problem(key, value)
            if problem is not None:
                problems.append(f"{where(entity, key)}: {entity}: '{key}' {problem}.")
                continue
            out.setdefault(entity, {})[key] = float(value)
        out.setdefault(entity, {})
    if problems:
        more = (f"\n... and {len(problems) - MAX_FILE_PROBLEMS} more"
                if len(problems) > MAX_FILE_PROBLEMS else "")
        if known and any(k not in known for v in data.values() if isinstance(v, dict)
                         for k in v):
            more += (f"\nThe measurements methodology '{methodology.id}' reads: "
                     f"{', '.join(known)}.")
        raise DatasetError(f"{path}: {len(problems)} problem(s) with the measurements; nothing "
                           "was scored:\n" + "\n".join(problems[:MAX_FILE_PROBLEMS]) + more)
    return out


def _unknown_key(key: str, known: Sequence[str], methodology: Methodology) -> str:
    """Why a key of a measurements file is refused, with the nearest key that is read."""
    if not known:
        return (f"is not read: methodology '{methodology.id}' reads no measurements at all. "
                "Give its facts with --inputs FILE instead (see: baimo score show "
                f"{methodology.id}).")
    near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" Did you mean '{near[0]}'?" if near else ""
    return f"is not a measurement methodology '{methodology.id}' reads.{hint} Fix or remove it."
