"""``baimo perf`` end to end: targets, sweeps, storage, summaries, calibration, demo.

A run measures one or more models at one or more load levels. For each model the target is
made ready (the embedded engine is started as a *separate process*, ``baimo serve-model``,
so that its generation threads and HTTP handlers do not share the measuring client's event
loop and GIL), each level runs in turn (see ``client``), and after each level:

* the client tokenizer counts the output (outside the measured window, so it costs the
  measurement nothing),
* every request becomes a ``perf_requests`` row (times in seconds from the level's start),
* the level's summary (``metrics.summarize_level`` plus the client's health) becomes a
  ``perf_levels`` row.

A sweep stops early for a model whose every request failed with a fatal kind (cannot
connect, unknown model, bad key): more load would not change that.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import orjson

from baimo.config import ModelConfig, default_embedded_model
from baimo.errors import BaimoError, ConfigError
from baimo.models.registry import provider_kind
from baimo.perf import metrics
from baimo.perf.client import (
    UNLIMITED_POOL,
    LevelInterrupted,
    LevelOutcome,
    LevelPlan,
    RequestResult,
    WorkerPool,
    run_local,
)
from baimo.perf.loads import (
    ArrivalKind,
    Level,
    Stage,
    open_schedule,
    split_count,
    split_stages,
    stages,
    stop_rule,
    trace_schedule,
)
from baimo.perf.tokenizer import Tokenizer, load_tokenizer
from baimo.perf.workload import (
    ListPrompts,
    OutputControl,
    PromptSource,
    SyntheticPrompts,
    TracePrompts,
    check_replayed_span,
    default_words,
    load_trace,
    output_control,
    suite_prompts,
)
from baimo.store.records import PerfLevelRecord, PerfRequestRecord
from baimo.store.store import Store
from baimo.tabular import csv_text

__all__ = [
    "PerfOutcome",
    "PerfSpec",
    "calibrate",
    "level_summaries",
    "run_demo_sweep",
    "run_perf",
    "summary_csv",
    "summary_json",
]

FATAL_KINDS = frozenset({"connection", "auth", "not-found"})


@dataclass
class PerfSpec:
    """What to measure and how (the options of ``baimo perf``).

    Attributes:
        levels: Load levels to sweep, in order.
        requests: Measured requests per level (warm-up and cool-down come on top).
        duration_s: Or: measure for this many seconds per level.
        warmup, cooldown: Windows excluded from metrics: ``"10"`` requests or ``"5s"``.
        arrivals: Open loop inter-arrival law: ``poisson``, ``gamma`` or ``constant``.
        gamma_shape: Shape of gamma gaps (< 1 burstier than Poisson).
        input_tokens: Synthetic prompt length in client-tokenizer tokens.
        output_tokens: ``max_tokens`` of every request (None: the model's default).
        shared_prefix: Leading prompt tokens shared by all requests (0: all unique).
        ignore_eos: ``auto``, ``on`` or ``off`` (see ``workload.output_control``).
        suite, task, dataset: Use these prompts instead of synthetic ones.
        trace: Replay this JSONL trace (offset, prompt, max_tokens).
        tokenizer: Client tokenizer spec (``gguf``, ``gguf:PATH``, ``hf:DIR``, ``words``,
            ``none``).
        slo: Goodput targets in seconds (``ttft``, ``tpot``, ``itl``, ``e2e``).
        processes: Client processes (each its own event loop).
        endpoint: ``chat`` or ``completions``.
        timeout_s: Per-request limit (default: the model's ``limits.timeout_s``).
        respect_limits: Pace to the model's configured ``rpm``/``tpm``.
        seed: Seed of prompts and arrivals.
        spin_s: Open loop busy-wait before each send, for sub-millisecond send times.
    """

    levels: list[Level] = field(default_factory=lambda: [Level("concurrency", 1.0)])
    requests: int | None = None
    duration_s: float | None = None
    warmup: str | None = None
    cooldown: str | None = None
    arrivals: ArrivalKind = "poisson"
    gamma_shape: float = 0.5
    input_tokens: int = 512
    output_tokens: int | None = 256
    shared_prefix: int = 0
    ignore_eos: str = "auto"
    suite: str | None = None
    task: Path | None = None
    dataset: Path | None = None
    trace: Path | None = None
    tokenizer: str | None = None
    slo: dict[str, float] = field(default_factory=dict)
    processes: int = 1
    endpoint: str = "chat"
    timeout_s: float | None = None
    respect_limits: bool = True
    seed: int = 0
    spin_s: float = 0.0015

    def check(self) -> None:
        """Raise ``ConfigError`` for settings no run can use, before anything starts.

        Every setting that does not depend on a model is checked here, once, for every
        caller: the command line, a web job (which runs the command line) and library
        callers. Found after the run is recorded, a bad setting would leave a failed run
        behind that measured nothing.
        """
        if self.endpoint not in ("chat", "completions"):
            raise ConfigError("--endpoint must be chat or completions")
        if self.processes < 1:
            raise ConfigError("--processes must be at least 1")
        t = self.timeout_s
        if t is not None and not (math.isfinite(t) and t > 0):
            raise ConfigError(f"--timeout must be a number of seconds more than 0 (got {t:g});"
                              " leave it out to use each model's limits.timeout_s")
        self._check_load()
        self._check_requests()

    def _check_load(self) -> None:
        """Levels, prompt sources and stop conditions: what is sent when, and how many."""
        if not self.levels:
            raise ConfigError("give at least one load level (--concurrency, --rate or --trace)")
        given = [name for name, value in (("--trace", self.trace), ("--suite", self.suite),
                                          ("--task", self.task), ("--dataset", self.dataset))
                 if value]
        if len(given) > 1:
            raise ConfigError("give only one of --trace, --suite, --task and --dataset (got "
                              f"{' and '.join(given)}): each is the whole run's prompts")
        traced = sum(1 for lv in self.levels if lv.kind == "trace")
        if traced and self.trace is None:
            raise ConfigError("a trace level needs the trace to replay: give --trace FILE")
        if self.trace is not None and traced != len(self.levels):
            other = sorted({"--rate" if lv.kind == "rate" else "--concurrency"
                            for lv in self.levels if lv.kind != "trace"})
            raise ConfigError(
                f"--trace cannot be combined with {' or '.join(other)}: a trace is replayed "
                "as given, at its own offsets, and these would add levels that ignore them. "
                "To cap the requests in flight during the replay, use --max-concurrency N; "
                "to measure fixed loads too, run them as a separate baimo perf")
        if self.arrivals not in ("poisson", "gamma", "constant"):
            raise ConfigError(f"--arrivals must be poisson, gamma or constant, not "
                              f"'{self.arrivals}'")
        g = self.gamma_shape
        if self.arrivals == "gamma" and not (math.isfinite(g) and g > 0):
            raise ConfigError(f"--gamma-shape must be a number more than 0 (got {g:g})")
        stages(self.requests, self.duration_s, self.warmup, self.cooldown)

    def _check_requests(self) -> None:
        """What each request asks: prompt and answer lengths, length controls, SLOs."""
        if not (self.trace or self.suite or self.task or self.dataset):
            if self.input_tokens < 1:
                raise ConfigError("--input-tokens must be at least 1")
            if not 0 <= self.shared_prefix <= self.input_tokens:
                raise ConfigError("--shared-prefix must be between 0 and --input-tokens")
        if self.output_tokens is not None and self.output_tokens < 1:
            raise ConfigError(f"--output-tokens must be at least 1 (got {self.output_tokens})")
        if self.ignore_eos not in ("auto", "on", "off"):
            raise ConfigError("--ignore-eos must be auto, on or off")
        for key, value in self.slo.items():
            if key not in metrics.SLO_KEYS or not (math.isfinite(value) and value > 0):
                raise ConfigError(f"--slo: {key}={value!r} is not a target (give KEY=DURATION "
                                  f"more than 0, KEY one of {', '.join(metrics.SLO_KEYS)})")

    def describe(self) -> dict[str, Any]:
        """The settings as stored with the run and printed in the JSON."""
        return {
            "levels": [{"kind": lv.kind, "value": lv.value, "label": lv.label,
                        "max_concurrency": lv.max_concurrency} for lv in self.levels],
            "requests": self.requests, "duration_s": self.duration_s,
            "warmup": self.warmup, "cooldown": self.cooldown, "arrivals": self.arrivals,
            "gamma_shape": self.gamma_shape, "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens, "shared_prefix": self.shared_prefix,
            "ignore_eos": self.ignore_eos, "suite": self.suite,
            "task": str(self.task) if self.task else None,
            "dataset": str(self.dataset) if self.dataset else None,
            "trace": str(self.trace) if self.trace else None, "tokenizer": self.tokenizer,
            "stop": stop_rule(self.requests, self.duration_s),
            "slo_s": self.slo, "processes": self.processes, "endpoint": self.endpoint,
            "timeout_s": self.timeout_s, "respect_limits": self.respect_limits,
            "seed": self.seed,
        }


@dataclass
class PerfOutcome:
    """A finished run: its id and, per model, the summary of every level.

    ``failed`` names the models that measured nothing (every request failed, or the sweep
    stopped on errors that would not go away: see ``_run_model``) with the reason; ``status``
    is the run's: ``done``, ``partial`` (some models failed) or ``failed`` (all of them), as
    for an eval.
    """

    run_id: str
    summaries: dict[str, list[dict[str, Any]]]
    notes: dict[str, list[str]]
    settings: dict[str, Any]
    status: str = "done"
    failed: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {**summary_json(self.run_id, self.settings, self.summaries, self.notes),
                "status": self.status, "failed_models": dict(self.failed)}


# --------------------------------------------------------------------------- targets


def target(cfg: ModelConfig) -> contextlib.AbstractContextManager[str]:
    """The base URL to measure ``cfg`` at (its provider starts a local engine if needed)."""
    return provider_kind(cfg).serve(cfg)


# --------------------------------------------------------------------------- plans


def _max_tokens_note(spec: PerfSpec, prompts: TracePrompts | ListPrompts) -> str:
    """Which ``max_tokens`` the requests of a trace or prompt list get, in words: a line's
    (or task's) own value wins over ``--output-tokens``, and the user must see that rather
    than read the run's setting as every request's."""
    what = "trace lines" if isinstance(prompts, TracePrompts) else "prompts"
    total = len(prompts.entries) if isinstance(prompts, TracePrompts) else len(prompts.prompts)
    own = prompts.own_max_tokens()
    run = (f"--output-tokens {spec.output_tokens}" if spec.output_tokens is not None
           else "the model's default")
    if own == total:
        return (f"max_tokens: every one of the {total} {what} gives its own, and it is sent "
                f"as given ({run} is not used)")
    if own:
        return (f"max_tokens: {own} of {total} {what} give their own, sent as given; the "
                f"other {total - own} use {run}")
    return f"max_tokens: no {what[:-1]} gives its own; every request uses {run}"


def _prompt_source(spec: PerfSpec, tok: Tokenizer | None) -> tuple[PromptSource, list[str]]:
    """The run's prompts, and notes on them (e.g. verified lengths, whose max_tokens)."""
    notes: list[str] = []
    if spec.trace is not None:
        words = tok.words() if tok is not None else default_words()
        trace = load_trace(spec.trace, words, spec.seed)
        return trace, [_max_tokens_note(spec, trace)]
    if spec.suite or spec.task or spec.dataset:
        listed = suite_prompts(spec.suite, spec.task, spec.dataset)
        return listed, [_max_tokens_note(spec, listed)]
    words = tok.words() if tok is not None else default_words()
    name = tok.name if tok is not None else "none (word prompts; lengths approximate)"
    src = SyntheticPrompts(tuple(words), spec.input_tokens, spec.shared_prefix, spec.seed,
                           name)
    if tok is not None:
        counts = [tok.count(src.text(i)) for i in range(4)]
        if any(c != spec.input_tokens for c in counts):
            notes.append(f"synthetic prompts were {counts} tokens instead of "
                         f"{spec.input_tokens} by {tok.name}")
        else:
            notes.append(f"synthetic prompts verified at exactly {spec.input_tokens} tokens "
                         f"by {tok.name}")
    return src, notes


def _level_stages(spec: PerfSpec, level: Level, trace_len: int | None
                  ) -> tuple[Stage, Stage, Stage]:
    requests = spec.requests
    if level.kind == "trace" and requests is None and spec.duration_s is None:
        requests = trace_len
    return stages(requests, spec.duration_s, spec.warmup, spec.cooldown)


def build_plans(cfg: ModelConfig, base_url: str, spec: PerfSpec, level: Level,
                prompts: PromptSource, control: OutputControl) -> list[LevelPlan]:
    """One plan per client process that has work at this level."""
    trace_offsets = prompts.offsets() if isinstance(prompts, TracePrompts) else None
    st = _level_stages(spec, level, len(trace_offsets) if trace_offsets else None)
    timeout = spec.timeout_s or cfg.limits.timeout_s
    rpm = cfg.limits.rpm if spec.respect_limits else None
    tpm = cfg.limits.tpm if spec.respect_limits else None
    procs = max(1, spec.processes)
    base = LevelPlan(cfg=cfg, base_url=base_url, endpoint=spec.endpoint, level=level,
                     stages=st, arrivals=None, prompts=prompts, control=control,
                     timeout_s=timeout, spin_s=spec.spin_s, machine_cpu=procs == 1)
    plans: list[LevelPlan] = []
    if level.kind == "concurrency":
        conc = int(level.value)
        n = min(procs, conc)
        for i in range(n):
            share = split_count(conc, n, i) or 0
            plans.append(replace(base, stages=split_stages(st, n, i), concurrency=share,
                                 seq_start=i, seq_step=n, pool_size=share, worker=i,
                                 rpm=rpm / n if rpm else None, tpm=tpm / n if tpm else None))
        return plans
    if level.kind == "trace":
        assert trace_offsets is not None
        arrivals = trace_schedule(trace_offsets, st, level.value)
    else:
        arrivals = open_schedule(st, level.value, spec.arrivals, spec.seed, spec.gamma_shape)
    cap = level.max_concurrency
    n = max(1, min(procs, len(arrivals), cap or procs))
    for i in range(n):
        pool = split_count(cap, n, i) if cap else UNLIMITED_POOL
        share_cap = replace(level, max_concurrency=pool) if cap else level
        plans.append(replace(base, level=share_cap, arrivals=arrivals[i::n], worker=i,
                             pool_size=max(1, pool or 1),
                             rpm=rpm / n if rpm else None, tpm=tpm / n if tpm else None))
    return plans


def _max_seconds(plans: list[LevelPlan]) -> float:
    """A hang guard for a level: generous, but finite."""
    p = plans[0]
    secs = sum(s.seconds or 0.0 for s in p.stages)
    if p.arrivals is not None:
        secs += max((a.offset for pl in plans for a in pl.arrivals or []), default=0.0)
        return secs + p.timeout_s * 2 + 60.0
    count = sum(s.count or 0 for pl in plans for s in pl.stages)
    conc = max(1, sum(pl.concurrency for pl in plans))
    return secs + (count / conc + 2) * p.timeout_s + 60.0


class LevelPool(Protocol):
    """Client processes that run a level's plans together: ``WorkerPool`` on this machine,
    or actors on a cluster (``baimo.scale.perf``). ``run`` returns each plan's outcome, with
    times on this process's ``perf_counter`` clock, and the machine's CPU busy share."""

    @property
    def size(self) -> int: ...

    def run(self, plans: list[LevelPlan], max_seconds: float
            ) -> tuple[list[LevelOutcome], list[float | None]]: ...


def execute_level(plans: list[LevelPlan], pool: LevelPool | None
                  ) -> tuple[list[RequestResult], dict[str, Any], float]:
    """Run a level's plans (here, or on the worker pool); results, health, epoch."""
    if pool is None:
        if len(plans) != 1:
            raise ValueError("several plans need a worker pool")
        outcome: LevelOutcome = run_local(plans[0])
        return outcome.results, metrics.client_health([outcome.health], (),
                                                      os.cpu_count()), outcome.epoch
    active = list(plans)
    idle = pool.size - len(active)
    if idle > 0:  # fewer shares than processes at this level: the rest sit it out
        filler = replace(plans[0], arrivals=[], concurrency=0,
                         stages=(Stage("warmup"), Stage("measure", 0), Stage("cooldown")))
        active += [replace(filler, worker=len(plans) + k) for k in range(idle)]
    outcomes, busy = pool.run(active, _max_seconds(plans))
    used = outcomes[:len(plans)]
    results = [r for o in used for r in o.results]
    health = metrics.client_health([o.health for o in used], busy, os.cpu_count())
    return results, health, used[0].epoch


# --------------------------------------------------------------------------- rows


def _prompt_count(prompts: PromptSource, tok: Tokenizer | None, seq: int,
                  cache: dict[int, int]) -> int | None:
    if isinstance(prompts, SyntheticPrompts):
        return prompts.input_tokens if tok is not None else None
    if tok is None:
        return None
    key = seq % len(prompts.prompts) if isinstance(prompts, ListPrompts) else seq
    if key not in cache:
        msgs, _ = prompts.get(seq)
        cache[key] = sum(tok.count(m.get("content", "")) for m in msgs)
    return cache[key]


def result_rows(results: list[RequestResult], epoch: float, tok: Tokenizer | None,
                prompts: PromptSource) -> list[dict[str, Any]]:
    """Per-request rows with times from the level's start and client token counts.

    Runs after the level, so tokenizing costs the measurement nothing.
    """
    rows: list[dict[str, Any]] = []
    cache: dict[int, int] = {}

    def rel(t: float | None) -> float | None:
        return None if t is None else t - epoch

    for r in sorted(results, key=lambda x: x.seq):
        per: list[int] | None = None
        n_client: int | None = None
        if tok is not None and r.chunk_texts:
            per = tok.chunk_counts(r.chunk_texts)
            n_client = sum(per) if per is not None else tok.count("".join(r.chunk_texts))
        rows.append({
            "seq": r.seq, "phase": r.phase, "status": r.status, "error_kind": r.error_kind,
            "reason": r.reason, "scheduled": r.scheduled - epoch, "sent": rel(r.sent),
            "first_byte": rel(r.first_byte), "first_token": rel(r.first_token),
            "first_answer": rel(r.first_answer), "last_token": rel(r.last_token),
            "done": rel(r.done), "prompt_tokens": r.prompt_tokens,
            "output_tokens": r.output_tokens, "output_tokens_client": n_client,
            "prompt_tokens_client": _prompt_count(prompts, tok, r.seq, cache),
            "usage_from_server": r.usage_from_server, "finish_reason": r.finish_reason,
            "chunk_times": [t - epoch for t in r.chunk_times], "chunk_tokens": per,
        })
    return rows


def _db_rows(run_id: str, model: str, level: str, rows: list[dict[str, Any]]
             ) -> list[PerfRequestRecord]:
    out = []
    for r in rows:
        d = {k: v for k, v in r.items() if k not in ("chunk_times", "chunk_tokens")}
        out.append(PerfRequestRecord(**d, run_id=run_id, model_name=model, level=level,
                                     chunk_times=[round(t, 7) for t in r["chunk_times"]],
                                     chunk_tokens=r["chunk_tokens"]))
    return out


def rows_from_store(db_rows: Iterable[PerfRequestRecord]) -> list[dict[str, Any]]:
    """Stored request records back into the metric rows ``summarize_level`` reads."""
    return [dataclasses.asdict(d) for d in db_rows]


def write_level(store: Store, run_id: str, model: str, position: int, level: Level,
                started_at: float, summary: dict[str, Any]) -> None:
    """Store a level's summary: the one record that keeps the client's health verdict."""
    store.perf.write_level(PerfLevelRecord(
        run_id=run_id, model_name=model, level=level.label, position=position,
        load_kind=level.kind, load_value=level.value, started_at=started_at,
        client_limited=bool(summary.get("client", {}).get("limited", False)),
        summary=summary))


def level_summaries(store: Store, run_ids: list[str]) -> list[dict[str, Any]]:
    """Stored level summaries of the given runs, in run and sweep order."""
    out = []
    for r in store.perf.levels(run_ids):
        s = dict(r.summary)
        s.update(run_id=r.run_id, model=r.model_name, level=r.level,
                 load={"kind": r.load_kind, "value": r.load_value},
                 position=r.position, started_at=r.started_at)
        out.append(s)
    return out


# --------------------------------------------------------------------------- run


def _knee_info(levels: list[dict[str, Any]]) -> dict[str, Any] | None:
    pts = [(s["load"]["value"], s["throughput"]["output_tokens_per_s"]) for s in levels
           if s["load"]["kind"] == "concurrency"]
    if len(pts) < 3:
        return None
    i = metrics.knee([p[0] for p in pts], [p[1] for p in pts])
    if i is None:
        return None
    return {"concurrency": pts[i][0], "output_tokens_per_s": pts[i][1],
            "definition": "the point of the throughput/concurrency curve farthest above the "
                          "chord from the first to the last level (log concurrency): beyond "
                          "it, more concurrency adds latency more than throughput"}


def run_perf(store: Store, spec: PerfSpec, models: list[ModelConfig], command: str = "",
             on_level: Callable[[str, dict[str, Any]], None] | None = None,
             pool: LevelPool | None = None) -> PerfOutcome:
    """Measure every model at every level of ``spec``; store everything; return summaries.

    Args:
        store: Where rows and summaries go.
        spec: The settings.
        models: The targets.
        command: The command line, stored with the run.
        on_level: Called after each level with the model name and the level's summary.
        pool: Client processes to generate the load from (its owner closes it); by
            default ``spec.processes`` worker processes here.
    """
    if not models:
        raise ConfigError("no model to measure")
    spec.check()
    if pool is not None and pool.size != spec.processes:
        raise ConfigError(f"the client pool has {pool.size} clients but the spec asks for "
                          f"{spec.processes} processes")
    settings = spec.describe()
    # Every input is read and checked before the run is recorded (prompts, trace, tokenizer
    # asked for by name): a mistake in one is a clear error and no run, not a failed run.
    prepared = [(cfg, prepare_model(spec, cfg)) for cfg in models]
    run_id = store.runs.create("perf", {**settings, "models": [m.name for m in models]},
                               command, [(m.name, m.public_dict()) for m in models])
    summaries: dict[str, list[dict[str, Any]]] = {}
    notes: dict[str, list[str]] = {}
    failed: dict[str, str] = {}
    status = "failed"
    owned: WorkerPool | None = None
    started: list[str] = []
    try:
        if pool is None and spec.processes > 1:
            pool = owned = WorkerPool(spec.processes)
        for cfg, prep in prepared:
            started.append(cfg.name)
            summaries[cfg.name], notes[cfg.name], reason = _run_model(
                store, run_id, spec, cfg, prep, pool, on_level)
            if reason is not None:
                failed[cfg.name] = reason
        # As for an eval: a run in which no model measured anything has failed, one in
        # which only some did is partial.
        status = ("failed" if len(failed) == len(models) else "partial") if failed else "done"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        if owned is not None:
            owned.close()
        _end_unstarted(store, run_id, [m.name for m in models if m.name not in started],
                       status, started[-1] if started else None)
        store.runs.finish(run_id, status)
    return PerfOutcome(run_id, summaries, notes, settings, status, failed)


def _end_unstarted(store: Store, run_id: str, names: list[str], status: str,
                   last: str | None) -> None:
    """End the rows of models the run never reached (it stopped at ``last``), so that no
    model of an ended run still says ``pending``: each gets a status and the reason."""
    for name in names:
        where = f"at model {last}" if last else "before its first model"
        if status == "interrupted":
            store.runs.set_model_status(run_id, name, "interrupted",
                                        f"not measured: the run was interrupted {where}")
        elif status == "failed":
            store.runs.set_model_status(run_id, name, "failed",
                                        f"not measured: the run stopped {where} on an error")


@dataclass
class PreparedModel:
    """What one model's sweep needs, read and checked before the run is recorded.

    Attributes:
        tok: The client tokenizer (None: token counts from server usage only).
        prompts: The prompt source.
        control: The output-length parameters for the model's server.
        notes: What to tell the user about these choices.
    """

    tok: Tokenizer | None
    prompts: PromptSource
    control: OutputControl
    notes: list[str]


def prepare_model(spec: PerfSpec, cfg: ModelConfig) -> PreparedModel:
    """Load ``cfg``'s tokenizer, prompts and output control, raising ``BaimoError`` for any
    input that cannot be used: called for every model before the run is recorded."""
    missing: str | None = None
    try:
        tok = load_tokenizer(spec.tokenizer, provider_kind(cfg).weights(cfg))
    except BaimoError as exc:
        if spec.tokenizer is not None:  # asked for by name: that is an error
            raise
        # The default (the embedded model's vocabulary) is a convenience, not a requirement.
        tok, missing = None, f"no client tokenizer ({exc}); token counts from server usage only"
    prompts, notes = _prompt_source(spec, tok)
    if isinstance(prompts, TracePrompts):
        for level in spec.levels:  # the part each trace level will send
            st = _level_stages(spec, level, len(prompts.entries))
            check_replayed_span(prompts, len(trace_schedule(prompts.offsets(), st,
                                                            level.value)))
    if missing:
        notes.append(missing)
    control = output_control(cfg, spec.output_tokens, spec.ignore_eos)
    notes.append(control.note)
    notes.append("client tokenizer: " + (tok.name if tok is not None else "none"))
    return PreparedModel(tok, prompts, control, notes)


def _run_model(store: Store, run_id: str, spec: PerfSpec, cfg: ModelConfig,
               prep: PreparedModel, pool: LevelPool | None,
               on_level: Callable[[str, dict[str, Any]], None] | None
               ) -> tuple[list[dict[str, Any]], list[str], str | None]:
    """Sweep one model's levels; its summaries, notes, and why it failed (None: it did not).

    A model fails when the sweep stops because every request of a level failed in a way
    that more load cannot change (``FATAL_KINDS``: no connection, a refused key, an unknown
    model), when no measured request succeeded at any level (there is nothing to report but
    errors), or when its target could not be served (``BaimoError``, e.g. a local engine
    that did not start): then the run goes on with the next model, as an eval does. However
    the sweep ends, the model's row ends with a status and a reason; the levels measured
    before stay stored.
    """
    store.runs.set_model_status(run_id, cfg.name, "running")
    tok, prompts, control = prep.tok, prep.prompts, prep.control
    notes = list(prep.notes)
    out: list[dict[str, Any]] = []
    reason: str | None = None
    first_error: str | None = None  # the first measured failure, in the server's words
    try:
        with target(cfg) as base_url:
            for pos, level in enumerate(spec.levels):
                plans = build_plans(cfg, base_url, spec, level, prompts, control)
                started = time.time()
                try:
                    results, health, epoch = execute_level(plans, pool)
                except LevelInterrupted as stop:
                    # What finished before Ctrl-C or SIGTERM was measured and paid for: kept.
                    rows = result_rows(stop.outcome.results, stop.outcome.epoch, tok, prompts)
                    store.perf.write_requests(_db_rows(run_id, cfg.name, level.label, rows))
                    store.runs.set_model_status(
                        run_id, cfg.name, "interrupted",
                        f"stopped during {level.label}; its {len(rows)} finished requests "
                        "are kept, without a level summary")
                    raise
                rows = result_rows(results, epoch, tok, prompts)
                store.perf.write_requests(_db_rows(run_id, cfg.name, level.label, rows))
                summary = metrics.summarize_level(
                    rows, slo=spec.slo, rpm_limit=cfg.limits.rpm, tpm_limit=cfg.limits.tpm,
                    pricing=cfg.pricing, health=health)
                summary.update(model=cfg.name, level=level.label,
                               load={"kind": level.kind, "value": level.value,
                                     "max_concurrency": level.max_concurrency},
                               position=pos, started_at=started, run_id=run_id,
                               pool_size=sum(p.pool_size for p in plans),
                               workload=prompts.describe(), output_control=control.note)
                write_level(store, run_id, cfg.name, pos, level, started, summary)
                out.append(summary)
                if on_level is not None:
                    on_level(cfg.name, summary)
                if first_error is None:
                    first_error = next((r["reason"] for r in rows if r["status"] != "ok"
                                        and r["phase"] == "measure" and r["reason"]), None)
                req = summary["requests"]
                kinds = set(summary["errors"]["by_kind"])
                if req["measured"] and not req["ok"] and kinds and kinds <= FATAL_KINDS:
                    reason = (f"every request at {level.label} failed "
                              f"({', '.join(sorted(kinds))}); the sweep stopped there")
                    notes.append(reason)
                    break
    except LevelInterrupted:
        raise  # the row says where, and what was kept
    except KeyboardInterrupt:
        store.runs.set_model_status(
            run_id, cfg.name, "interrupted",
            f"interrupted after {len(out)} of {len(spec.levels)} levels (those are kept)")
        raise
    except BaimoError as exc:
        reason = f"stopped after {len(out)} of {len(spec.levels)} levels: {exc}"
        first_error = None  # the reason is the error itself, not a request's
    except Exception as exc:
        store.runs.set_model_status(
            run_id, cfg.name, "failed", f"stopped by an internal error after {len(out)} of "
            f"{len(spec.levels)} levels: {type(exc).__name__}: {exc}")
        raise
    knee = _knee_info(out)
    if knee is not None and out:
        out[-1]["knee"] = knee
    if reason is None and not any(s["requests"]["ok"] for s in out):
        seen = sorted({k for s in out for k in s["errors"]["by_kind"]})
        reason = ("no measured request succeeded at any level"
                  + (f" ({', '.join(seen)})" if seen else ""))
    if reason is not None and first_error:
        reason += f"; first error: {first_error}"
    store.runs.set_model_status(run_id, cfg.name, "failed" if reason else "done", reason)
    return out, notes, reason


# --------------------------------------------------------------------------- output


def summary_json(run_id: str, settings: dict[str, Any],
                 summaries: dict[str, list[dict[str, Any]]],
                 notes: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The JSON written by ``--json``: settings, then per model its levels and knee."""
    models = []
    for name, levels in summaries.items():
        knee = next((s["knee"] for s in levels if "knee" in s), None)
        models.append({"model": name, "notes": (notes or {}).get(name, []),
                       "knee": knee, "levels": levels})
    return {"run_id": run_id, "settings": settings, "models": models}


CSV_COLUMNS = [
    "model", "level", "load_kind", "load_value", "measured", "ok", "errors", "error_rate",
    "ttft_p50_s", "ttft_p90_s", "ttft_p99_s", "ttft_from_scheduled_p50_s",
    "ttft_from_scheduled_p99_s", "itl_p50_s", "itl_p99_s", "tpot_p50_s", "tpot_p99_s",
    "e2e_p50_s", "e2e_p99_s", "output_tokens_mean", "tokens_per_chunk_mean",
    "output_tokens_per_s", "total_tokens_per_s", "requests_per_s", "window_s", "rpm",
    "rpm_limit", "tpm", "tpm_limit", "goodput_requests_per_s", "goodput_fraction",
    "send_lag_p99_s", "token_source", "token_mismatch_rate", "cost_per_request",
    "cost_per_1m_output_tokens", "currency", "client_limited", "loop_lag_p99_ms",
    "loop_cpu", "verdict",
]


def csv_row(s: dict[str, Any]) -> dict[str, Any]:
    """One CSV row (the columns of ``CSV_COLUMNS``) from a level summary."""
    m = s["metrics"]
    cost = s.get("cost") or {}
    client = s.get("client") or {}
    return {
        "model": s["model"], "level": s["level"], "load_kind": s["load"]["kind"],
        "load_value": s["load"]["value"], "measured": s["requests"]["measured"],
        "ok": s["requests"]["ok"], "errors": s["requests"]["errors"],
        "error_rate": s["errors"]["rate"],
        "ttft_p50_s": m["ttft_s"]["p50"], "ttft_p90_s": m["ttft_s"]["p90"],
        "ttft_p99_s": m["ttft_s"]["p99"],
        "ttft_from_scheduled_p50_s": m["ttft_from_scheduled_s"]["p50"],
        "ttft_from_scheduled_p99_s": m["ttft_from_scheduled_s"]["p99"],
        "itl_p50_s": m["itl_s"]["p50"], "itl_p99_s": m["itl_s"]["p99"],
        "tpot_p50_s": m["tpot_s"]["p50"], "tpot_p99_s": m["tpot_s"]["p99"],
        "e2e_p50_s": m["e2e_s"]["p50"], "e2e_p99_s": m["e2e_s"]["p99"],
        "output_tokens_mean": m["output_tokens"]["mean"],
        "tokens_per_chunk_mean": m["tokens_per_chunk"]["mean"],
        "output_tokens_per_s": s["throughput"]["output_tokens_per_s"],
        "total_tokens_per_s": s["throughput"]["total_tokens_per_s"],
        "requests_per_s": s["throughput"]["requests_per_s"],
        "window_s": s["throughput"]["window_s"], "rpm": s["rate"]["rpm"],
        "rpm_limit": s["rate"]["rpm_limit"], "tpm": s["rate"]["tpm"],
        "tpm_limit": s["rate"]["tpm_limit"],
        "goodput_requests_per_s": s["goodput"]["requests_per_s"],
        "goodput_fraction": s["goodput"]["fraction"],
        "send_lag_p99_s": m["send_lag_s"]["p99"], "token_source": s["tokens"]["source"],
        "token_mismatch_rate": s["tokens"]["mismatch_rate"],
        "cost_per_request": cost.get("per_request"),
        "cost_per_1m_output_tokens": cost.get("per_1m_output_tokens"),
        "currency": cost.get("currency"), "client_limited": client.get("limited"),
        "loop_lag_p99_ms": client.get("loop_lag_p99_ms"),
        "loop_cpu": client.get("loop_cpu_max_mean"), "verdict": client.get("verdict"),
    }


def summary_csv(levels: list[dict[str, Any]]) -> str:
    """One line per (model, level) with the headline numbers (cells spreadsheet-safe)."""
    return csv_text(CSV_COLUMNS, [csv_row(s) for s in levels])


# --------------------------------------------------------------------------- demo


def run_demo_sweep(store: Store, model: ModelConfig | None = None, *, requests: int = 6,
                   input_tokens: int = 64, output_tokens: int = 32) -> str:
    """A short sweep on the embedded engine for ``make demo``; returns the run id.

    Concurrency 1 and 2, ``requests`` measured requests each after one warm-up request,
    prompts of ``input_tokens`` tokens and answers capped at ``output_tokens``. Every prompt
    is unique (no prefix-cache hits), so each request pays its full prompt processing: on
    two idle cores this takes well under a minute; on a busy machine it takes longer, and the
    client-health verdicts say so.
    """
    cfg = model or default_embedded_model()
    spec = PerfSpec(levels=[Level("concurrency", 1.0), Level("concurrency", 2.0)],
                    requests=requests, warmup="1", input_tokens=input_tokens,
                    output_tokens=output_tokens, slo={"ttft": 2.0, "tpot": 0.1})
    return run_perf(store, spec, [cfg], command="baimo perf (demo sweep)").run_id


# --------------------------------------------------------------------------- calibrate


def _calib_level(base_url: str, level: Level, requests: int, output_tokens: int,
                 warmup: int = 2) -> tuple[list[dict[str, Any]], float, dict[str, Any]]:
    """One level against the mock server; rows, client CPU seconds, health."""
    cfg = ModelConfig.model_validate({"name": "mock", "base_url": base_url,
                                      "limits": {"timeout_s": 60.0}})
    spec = PerfSpec(levels=[level], requests=requests, warmup=str(warmup), input_tokens=8,
                    output_tokens=output_tokens, ignore_eos="on", tokenizer="words",
                    arrivals="constant")
    tok = load_tokenizer("words")
    prompts, _ = _prompt_source(spec, tok)
    control = output_control(cfg, output_tokens, "on")
    plans = build_plans(cfg, base_url, spec, level, prompts, control)
    results, health, epoch = execute_level(plans, None)
    cpu = sum(w.get("loop_cpu_s") or 0.0 for w in health["workers"])  # the level only
    return result_rows(results, epoch, tok, prompts), cpu, health


class _ReferenceServer:
    """The reference server's address and counters (``GET /_stats``)."""

    def __init__(self, root_url: str) -> None:
        self.root_url = root_url
        self.base_url = root_url + "/v1"

    def stats(self) -> dict[str, Any]:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.root_url + "/_stats", timeout=30) as resp:
            data: dict[str, Any] = orjson.loads(resp.read())
        return data


@contextlib.contextmanager
def _reference_server(args: list[str], startup_timeout: float = 30.0
                      ) -> Iterator[_ReferenceServer]:
    """Run baimo's known-latency test server (``python -m baimo.testing.mockserver``) in a
    child process for the duration of a ``with`` block.

    Why a child process and not an import: the server must not share this process's GIL and
    event loop (it would be measured along with the client), and product code never imports
    ``baimo.testing``. The child prints ``listening URL`` once it accepts connections.
    """
    argv = [sys.executable, "-m", "baimo.testing.mockserver", "--host", "127.0.0.1",
            "--port", "0", *args]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        stdout = proc.stdout
        assert stdout is not None  # stdout=PIPE
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(startup_timeout)
        if not line or not line[0].startswith("listening "):
            raise BaimoError("the calibration server (python -m baimo.testing.mockserver) did "
                             f"not start (exit code {proc.poll()}): {line[0] if line else ''!r}")
        yield _ReferenceServer(line[0].removeprefix("listening ").strip().removesuffix("/v1"))
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def calibrate(requests: int = 200, ttft_s: float = 0.2, itl_s: float = 0.02,
              tokens: int = 100, known_requests: int = 8, known_rate: float = 4.0
              ) -> dict[str, Any]:
    """Measure the harness against the shipped mock server (in a separate process).

    1. Overhead: closed loop at concurrency 1 against a zero-latency server. The client's
       CPU per request is the CPU difference between runs of ``2 × requests`` and
       ``requests`` one-token answers, divided by ``requests`` (fixed costs such as
       start-up cancel out); per chunk, the same with ``tokens``-chunk answers, less the
       per-request part, per extra chunk. The TTFT floor is what a server that answers at
       once looks like through this client: loopback round trip and request handling.
    2. Error: a server with known latency (``ttft_s`` to the first chunk, ``itl_s`` between
       ``tokens`` one-token chunks), where TTFT, ITL and E2E have true values. Requests
       arrive at ``known_rate`` per second (an open loop, so they never reach the server in
       the same instant and queue there). Measured − true is the harness's error; the
       server's own lateness is reported next to it.
    """
    out: dict[str, Any] = {}
    c1 = Level("concurrency", 1.0)
    with _reference_server([]) as srv:
        _calib_level(srv.base_url, c1, 20, 1)  # warm: imports, first connections
        rows1, cpu1a, _ = _calib_level(srv.base_url, c1, requests, 1)
        _, cpu1b, _ = _calib_level(srv.base_url, c1, 2 * requests, 1)
        _, cpu_na, _ = _calib_level(srv.base_url, c1, requests, tokens)
        rows_n, cpu_nb, hn = _calib_level(srv.base_url, c1, 2 * requests, tokens)
    # The difference of two run lengths cancels fixed costs, but with few requests the
    # thread's CPU clock and a collector pause can make it come out at or below zero. A
    # client costs something per request, so "0" would be false: then the mean of the
    # longer run stands in (an upper bound that keeps the fixed costs), and says so.
    difference = (cpu1b - cpu1a) / requests
    per_req = difference if difference > 0 else cpu1b / (2 * requests)
    per_req_method = ("difference of two run lengths" if difference > 0
                      else "mean of the longer run (the difference was within noise)")
    per_chunk = max(0.0, ((cpu_nb - cpu_na) / requests - per_req) / max(1, tokens - 1))
    s1 = metrics.summarize_level(rows1)
    sn = metrics.summarize_level(rows_n)
    floor = s1["metrics"]["ttft_s"]["p50"] or 0.0
    out["overhead"] = {
        "requests": requests,
        "client_cpu_per_request_ms": per_req * 1e3,
        "client_cpu_per_request_method": per_req_method,
        "client_cpu_per_chunk_us": per_chunk * 1e6,
        "ttft_floor_p50_ms": floor * 1e3,
        "e2e_floor_p50_ms": (s1["metrics"]["e2e_s"]["p50"] or 0.0) * 1e3,
        "e2e_floor_p50_ms_n_tokens": (sn["metrics"]["e2e_s"]["p50"] or 0.0) * 1e3,
        "client_verdict": hn["verdict"],
        "definition": "client CPU = CPU time of the measuring thread (event loop, HTTP, "
                      "parsing, timing); per request from the difference of two run lengths, "
                      f"per chunk from {tokens}-chunk answers less the per-request part",
    }
    known = [f"--ttft={ttft_s!r}", f"--itl={itl_s!r}", f"--output-tokens={tokens}",
             "--spin=0.002"]
    e2e = ttft_s + (tokens - 1) * itl_s
    # Warm up until every connection the open loop needs is open: a request on a new
    # connection also pays the TCP handshake, which is not what is being calibrated.
    warm = math.ceil(known_rate * e2e) + 2
    with _reference_server(known) as srv:
        rows_k, _, hk = _calib_level(srv.base_url, Level("rate", known_rate),
                                     known_requests, tokens, warmup=warm)
        server_lag = float(srv.stats()["lag_mean_s"])
    sk = metrics.summarize_level(rows_k)
    truth = {"ttft_s": ttft_s, "itl_s": itl_s, "e2e_s": ttft_s + (tokens - 1) * itl_s}
    errors = {}
    for key in ("ttft_s", "itl_s", "e2e_s"):
        m = sk["metrics"][key]
        errors[key] = {"true": truth[key], "measured_p50": m["p50"], "measured_mean": m["mean"],
                       "error_p50_ms": (m["p50"] - truth[key]) * 1e3
                       if m["p50"] is not None else None}
    out["known_latency"] = {
        "config": {"ttft_s": ttft_s, "itl_s": itl_s, "tokens": tokens, "tokens_per_chunk": 1,
                   "requests": known_requests, "rate": known_rate},
        "metrics": errors, "server_lag_mean_ms": server_lag * 1e3,
        "client_verdict": hk["verdict"],
    }
    return out
