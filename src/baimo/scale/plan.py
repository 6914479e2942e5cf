"""``baimo plan``: what a sweep will ask, cost and take, before a single request is sent.

For every model × task of a sweep the plan counts:

* **requests** — one per sample (a log-likelihood question is one request too);
* **prompt tokens** — the task's messages as the model will see them: for a GGUF model
  (the embedded one), rendered with the file's own chat template and counted with its
  vocabulary, exactly as the engine does (a template may add a default system prompt);
  otherwise counted with ``--tokenizer`` or the client's byte-based estimate, plus a few
  template tokens per message;
* **output tokens** — two numbers, because the bill's ceiling and its likely value differ:
  the *ceiling* is every sample's ``max_tokens``; the *expected* value is the mean answer
  length this model gave on this task before (the store's results, same task version), or,
  with no history, the ceiling (said as such: a plan never guesses low);
* **cost** — from the model's configured prices, for both;
* **wall time** — per endpoint, the longer of requests ÷ RPM and tokens ÷ TPM (the
  client's TPM counts prompt + ``max_tokens`` before the answer and corrects it after).

``simulate`` scales a plan to many models (10,000 by default) without sending anything: the
cost, and a schedule of the shards on a cluster of W workers (longest shards first onto the
worker free soonest), assuming each model has its own endpoint with the template's limits.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from baimo.config import ModelConfig
from baimo.errors import BaimoError, MissingDependency
from baimo.models.base import estimate_tokens
from baimo.scale.limiter import endpoint_key
from baimo.scale.shards import DEFAULT_CHUNK
from baimo.store.store import Store
from baimo.tasks.task import Task

__all__ = ["MAX_SIMULATED_MODELS", "MAX_SIMULATED_SHARDS", "MAX_SIMULATED_WORKERS",
           "GGUFChatPrompt", "Plan", "PromptCounter", "Simulation", "TaskEstimate", "TextPrompt",
           "estimate", "simulate"]

MESSAGE_OVERHEAD = 5
"""Template tokens around each message (role markers, separators): 5 in ChatML (SmolLM2,
Qwen), 3-4 in OpenAI's; a plan errs high."""
REPLY_OVERHEAD = 3
"""Template tokens that open the assistant's reply."""
DEFAULT_MAX_TOKENS = 512
"""What the client budgets for a request without ``max_tokens`` (as ``ModelClient``)."""


class TextCounter(Protocol):
    """A tokenizer (``perf.tokenizer``): tokens of a text."""

    @property
    def name(self) -> str: ...

    def count(self, text: str) -> int: ...


class PromptCounter(Protocol):
    """Tokens of a request's messages as the model will be sent them."""

    @property
    def name(self) -> str: ...

    def prompt(self, messages: Sequence[dict[str, Any]]) -> int: ...


class _Estimate:
    """The client's own fallback (~4 bytes a token, one per CJK character)."""

    name = "estimate (~4 bytes/token)"

    def count(self, text: str) -> int:
        return estimate_tokens(text)


class TextPrompt:
    """Messages counted text by text, plus ``MESSAGE_OVERHEAD``/``REPLY_OVERHEAD``."""

    def __init__(self, tok: TextCounter) -> None:
        self.tok = tok
        self.name = tok.name

    def prompt(self, messages: Sequence[dict[str, Any]]) -> int:
        return prompt_tokens(messages, self.tok)


class GGUFChatPrompt:
    """Messages rendered with a GGUF file's chat template and counted with its vocabulary,
    as the embedded engine counts them (``models.embedded.Engine.count_prompt_tokens``); the
    file is opened without its weights."""

    def __init__(self, path: str) -> None:
        try:
            import llama_cpp
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError:
            raise MissingDependency("llama-cpp-python", "local", "counting GGUF prompts"
                                    ) from None
        from baimo.perf.tokenizer import gguf_vocabulary

        self._llm = gguf_vocabulary(llama_cpp, path)
        self.name = f"gguf chat template: {Path(path).name}"
        template = self._llm.metadata().get("tokenizer.chat_template")
        self._format: Any = None
        if template:
            eos = self._llm.detokenize([self._llm.token_eos()]).decode("utf-8", "ignore")
            bos = self._llm.detokenize([self._llm.token_bos()]).decode("utf-8", "ignore")
            self._format = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)

    def prompt(self, messages: Sequence[dict[str, Any]]) -> int:
        if self._format is not None:
            text = self._format(messages=[dict(m) for m in messages]).prompt
        else:
            text = "\n".join(str(m.get("content", "")) for m in messages)
        return len(self._llm.tokenize(str(text).encode("utf-8"), add_bos=False, special=True))


@dataclass
class TaskEstimate:
    """One model × task."""

    model: str
    task: str
    requests: int
    prompt_tokens: int
    output_tokens: int
    output_ceiling: int
    output_basis: str
    cost: float
    cost_ceiling: float
    currency: str
    tokenizer: str


@dataclass
class EndpointTime:
    """The wall time an endpoint's limits allow for everything the sweep asks it."""

    endpoint: str
    models: list[str]
    requests: int
    budget_tokens: int
    rpm: float | None
    tpm: float | None
    rpm_s: float | None
    tpm_s: float | None

    @property
    def wall_s(self) -> float | None:
        times = [t for t in (self.rpm_s, self.tpm_s) if t is not None]
        return max(times) if times else None

    @property
    def binding(self) -> str:
        if self.wall_s is None:
            return "no RPM/TPM configured: bound by latency and concurrency only"
        return "RPM" if self.wall_s == self.rpm_s else "TPM"


@dataclass
class Plan:
    rows: list[TaskEstimate]
    endpoints: list[EndpointTime]
    suites: dict[str, list[str]] = field(default_factory=dict)

    def per_model(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for r in self.rows:
            m = out.setdefault(r.model, {"requests": 0, "prompt_tokens": 0, "output_tokens": 0,
                                         "output_ceiling": 0, "cost": 0.0, "cost_ceiling": 0.0,
                                         "currency": r.currency})
            for k in ("requests", "prompt_tokens", "output_tokens", "output_ceiling", "cost",
                      "cost_ceiling"):
                m[k] += getattr(r, k)
        return out

    def as_json(self) -> dict[str, Any]:
        return {"tasks": [vars(r) for r in self.rows], "models": self.per_model(),
                "suites": self.suites,
                "endpoints": [{**vars(e), "wall_s": e.wall_s, "binding": e.binding}
                              for e in self.endpoints]}


def _max_tokens(cfg: ModelConfig, task: Task) -> int:
    params = {**cfg.params, **task.params}
    value = params.get("max_tokens", params.get("max_completion_tokens", cfg.max_tokens))
    return value if isinstance(value, int) else DEFAULT_MAX_TOKENS


def prompt_tokens(messages: Sequence[dict[str, Any]], counter: TextCounter) -> int:
    text = sum(counter.count(m["content"]) for m in messages
               if isinstance(m.get("content"), str))
    return text + MESSAGE_OVERHEAD * len(messages) + REPLY_OVERHEAD


def history(store: Store | None, model: str, task: Task) -> tuple[float, int] | None:
    """Mean answer tokens of this model on this task (same version) in stored results, and
    how many answers that mean is over; None without any."""
    if store is None:
        return None
    lengths = _answer_lengths(store, model, task)
    if not lengths:
        return None
    return sum(lengths) / len(lengths), len(lengths)


def _answer_lengths(store: Store, model: str, task: Task) -> list[int]:
    """Completion tokens of this model's answered samples of this task, one per sample."""
    seen: dict[str, int] = {}
    for run in store.runs.recent(200, "eval"):
        if model not in run.model_names:
            continue
        for r in store.runs.results([run.id]):
            if (r.model_name == model and r.task == task.name and r.status != "error"
                    and r.task_version == task.result_version and not r.usage_estimated):
                seen.setdefault(r.sample_id, r.completion_tokens)
    return list(seen.values())


def estimate(models: Sequence[ModelConfig], tasks: Sequence[Task], *,
             counters: dict[str, PromptCounter] | None = None, store: Store | None = None,
             suites: dict[str, list[str]] | None = None) -> Plan:
    """The plan of a sweep (see the module docstring). ``counters`` maps model names to
    prompt counters; others use the byte-based estimate."""
    rows: list[TaskEstimate] = []
    fallback = TextPrompt(_Estimate())
    budgets: dict[str, EndpointTime] = {}
    for cfg in models:
        counter = (counters or {}).get(cfg.name, fallback)
        tok_name = counter.name
        for task in tasks:
            cap = _max_tokens(cfg, task)
            prompts = [counter.prompt(s.messages) for s in task.samples]
            n = len(prompts)
            prompt = sum(prompts)
            past = history(store, cfg.name, task)
            if past is not None:
                expected = min(float(cap), past[0]) * n
                basis = f"mean of {past[1]} stored answers ({past[0]:.1f} tokens)"
            else:
                expected = float(cap * n)
                basis = "no stored answers: the ceiling (max_tokens)"
            price = cfg.pricing
            rows.append(TaskEstimate(
                model=cfg.name, task=task.name, requests=n, prompt_tokens=prompt,
                output_tokens=round(expected), output_ceiling=cap * n, output_basis=basis,
                cost=price.cost(prompt, round(expected)), cost_ceiling=price.cost(prompt, cap * n),
                currency=price.currency, tokenizer=tok_name))
            key = endpoint_key(cfg)
            ep = budgets.get(key)
            if ep is None:
                ep = budgets[key] = EndpointTime(key, [], 0, 0, cfg.limits.rpm, cfg.limits.tpm,
                                                 None, None)
            if cfg.name not in ep.models:
                ep.models.append(cfg.name)
            ep.requests += n
            ep.budget_tokens += prompt + cap * n
    for ep in budgets.values():
        ep.rpm_s = ep.requests / ep.rpm * 60.0 if ep.rpm else None
        ep.tpm_s = ep.budget_tokens / ep.tpm * 60.0 if ep.tpm else None
    return Plan(rows, list(budgets.values()), suites or {})


@dataclass
class Simulation:
    """A sweep scaled to ``models`` models on ``workers`` workers, nothing sent."""

    models: int
    workers: int
    shards: int
    requests: int
    prompt_tokens: int
    output_tokens: int
    output_ceiling: int
    cost: dict[str, float]
    cost_ceiling: dict[str, float]
    makespan_s: float
    busy_share: float
    slowest_model_s: float
    assumptions: list[str]

    def as_json(self) -> dict[str, Any]:
        return vars(self)


MAX_SIMULATED_MODELS = 1_000_000
"""The most models ``simulate`` (``baimo plan --simulate``) scales a plan to: a hundred times
the default, and its schedule still takes seconds; beyond it, the shard list alone would
outgrow the machine."""
MAX_SIMULATED_WORKERS = 1_000_000
"""The most workers of a simulated cluster (``--workers``): larger than any Ray cluster; the
schedule only ever keeps as many workers as there are shards, so this bound is for sense,
not memory."""
MAX_SIMULATED_SHARDS = 5_000_000
"""The most shards a simulation schedules (each is a float and a heap operation): about ten
seconds and a few hundred MB; more models or smaller chunks are refused, naming both."""


def simulate(plan: Plan, models: Sequence[ModelConfig], *, n_models: int = 10_000,
             workers: int = 64, latency_s: float = 2.0, chunk: int = DEFAULT_CHUNK) -> Simulation:
    """Scale ``plan`` to ``n_models`` models: model ``i`` is a copy of configured model
    ``i mod len(models)`` (its tasks, prices and limits) on an endpoint of its own.

    A shard of ``k`` samples takes the longer of its latency-bound time (``k × latency_s ÷
    concurrency``) and its share of its endpoint's RPM/TPM time; shards are placed longest
    first on the worker that frees soonest (one shard per worker at a time).

    Totals are counted per configured model times its copies, and only as many workers as
    there are shards are scheduled (the others stay idle), so the cost is the shard count
    alone; ``n_models``, ``workers`` and that count are bounded (``MAX_SIMULATED_*``).
    """
    if not 1 <= n_models <= MAX_SIMULATED_MODELS:
        raise BaimoError(f"--simulate {n_models}: simulate 1 to {MAX_SIMULATED_MODELS:,} "
                         "models (0 turns the simulation off)")
    if not 1 <= workers <= MAX_SIMULATED_WORKERS:
        raise BaimoError(f"--workers {workers}: a simulated cluster has 1 to "
                         f"{MAX_SIMULATED_WORKERS:,} workers")
    per_task = {(r.model, r.task): r for r in plan.rows}
    ep_of = {m: ep for ep in plan.endpoints for m in ep.models}
    totals = {"requests": 0, "prompt": 0, "out": 0, "ceil": 0}
    cost: dict[str, float] = {}
    ceiling: dict[str, float] = {}
    by_template: dict[str, list[float]] = {}
    for cfg in models:
        shards: list[float] = []
        rows = [r for (m, _t), r in per_task.items() if m == cfg.name]
        ep = ep_of[cfg.name]
        n_model = sum(r.requests for r in rows)
        limit_s = ep.wall_s or 0.0
        # An endpoint of its own: its limit applies to this model's requests only.
        own_limit = limit_s * n_model / ep.requests if ep.requests else 0.0
        conc = cfg.limits.concurrency
        for r in rows:
            for start in range(0, r.requests, chunk):
                k = min(chunk, r.requests - start)
                shards.append(max(math.ceil(k / conc) * latency_s,
                                  own_limit * k / n_model if n_model else 0.0))
        by_template[cfg.name] = shards
    # Model i is configured model i mod len(models): each is copied this many times.
    copies = {cfg.name: 0 for cfg in models}
    for i, cfg in enumerate(models):
        copies[cfg.name] += n_models // len(models) + (i < n_models % len(models))
    n_shards = sum(len(by_template[name]) * n for name, n in copies.items())
    if n_shards > MAX_SIMULATED_SHARDS:
        raise BaimoError(f"simulating {n_models:,} models makes {n_shards:,} shards, more "
                         f"than the {MAX_SIMULATED_SHARDS:,} a simulation schedules: lower "
                         "--simulate or raise --chunk")
    durations: list[float] = []
    slowest = 0.0
    for name, n in copies.items():
        if n == 0:
            continue
        durations.extend(by_template[name] * n)
        slowest = max(slowest, sum(by_template[name]))
        for (m, _t), r in per_task.items():
            if m != name:
                continue
            totals["requests"] += r.requests * n
            totals["prompt"] += r.prompt_tokens * n
            totals["out"] += r.output_tokens * n
            totals["ceil"] += r.output_ceiling * n
            cost[r.currency] = cost.get(r.currency, 0.0) + r.cost * n
            ceiling[r.currency] = ceiling.get(r.currency, 0.0) + r.cost_ceiling * n
    # A worker beyond the shard count never gets one: it is idle, not scheduled.
    free = [0.0] * max(1, min(workers, len(durations)))
    for d in sorted(durations, reverse=True):
        heapq.heapreplace(free, free[0] + d)
    makespan = max(free)
    busy = sum(durations) / (makespan * workers) if makespan > 0 else 0.0
    return Simulation(
        models=n_models, workers=workers, shards=len(durations), requests=totals["requests"],
        prompt_tokens=totals["prompt"], output_tokens=totals["out"],
        output_ceiling=totals["ceil"], cost=cost, cost_ceiling=ceiling, makespan_s=makespan,
        busy_share=busy, slowest_model_s=slowest,
        assumptions=[f"model i is configured model i mod {len(models)} on an endpoint of its "
                     "own (same limits and prices)",
                     f"{latency_s:g} s per request, each model's concurrency as configured",
                     f"shards of {chunk} samples, one per worker at a time, longest first",
                     "a shard on a model's endpoint runs alone: its share of the RPM/TPM time"
                     " is in proportion to its samples"])
