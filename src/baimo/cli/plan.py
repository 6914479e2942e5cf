"""``baimo plan``: requests, tokens, cost and wall time of a sweep, before running it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from baimo.cli.console import Column, emit_json, emit_table, new_app, out, safe

app = new_app("Requests, tokens, cost and wall time of a sweep, before running it.",
              no_args_is_help=False)


def _secs(s: float | None) -> str:
    if s is None:
        return "—"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


@app.callback(invoke_without_command=True)
def plan(
    suite: Annotated[list[str] | None, typer.Option("--suite", "-s", help="Built-in suite(s)."
                                                    )] = None,
    task: Annotated[list[Path] | None, typer.Option("--task", "-t", help="Task YAML file(s).")
                    ] = None,
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Model name(s) from "
                                                    "the models file.")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Models file.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most N samples per task.")
                     ] = None,
    seed: Annotated[int, typer.Option(help="Seed for --limit sampling.")] = 0,
    tokenizer: Annotated[str | None, typer.Option(help="Count prompt tokens with this "
                                                  "tokenizer (gguf:PATH, hf:DIR); default: "
                                                  "a GGUF model's own chat template and "
                                                  "vocabulary, the byte estimate for others."
                                                  )] = None,
    history: Annotated[bool, typer.Option(help="Expect answers as long as this model's "
                                          "stored answers to the same task.")] = True,
    simulate: Annotated[int, typer.Option(min=0, max=1_000_000, help="Also simulate this "
                                          "many models (0: off; at most 1,000,000, and at "
                                          "most 5,000,000 shards in all).")] = 10_000,
    workers: Annotated[int, typer.Option(min=1, max=1_000_000, help="Workers of the "
                                         "simulated cluster (at most 1,000,000).")] = 64,
    latency: Annotated[float, typer.Option(help="Seconds per request in the simulation "
                                           "(more than 0).")] = 2.0,
    chunk: Annotated[int, typer.Option(min=1, help="Samples per shard.")] = 64,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Estimate a sweep (models × suites × limits); nothing is sent to any model."""
    if not (math.isfinite(latency) and latency > 0):
        raise typer.BadParameter(f"{latency:g} is not a time a request can take: give the "
                                 "seconds per request, more than 0 (e.g. 2)",
                                 param_hint="'--latency'")
    from baimo.config import EMBEDDED, load_config
    from baimo.perf.tokenizer import load_tokenizer
    from baimo.runs.eval import resolve_models
    from baimo.scale.plan import GGUFChatPrompt, PromptCounter, TextPrompt, estimate
    from baimo.scale.plan import simulate as run_simulation
    from baimo.store.store import Store
    from baimo.tasks.registry import SuiteOptions, build_suite
    from baimo.tasks.task import load_task

    cfg = load_config(config)
    models = resolve_models(cfg, model or [])
    opts = SuiteOptions(limit=limit, seed=seed)
    tasks = [load_task(p, cfg).limited(limit) for p in task or []]
    suites: dict[str, list[str]] = {}
    for name in suite or ([] if task else ["demo"]):
        built = build_suite(name, opts)
        suites[name] = [t.name for t in built]
        tasks.extend(built)
    counters: dict[str, PromptCounter] = {}
    for m in models:
        if tokenizer is not None:
            tok = load_tokenizer(tokenizer)
            if tok is not None:
                counters[m.name] = TextPrompt(tok)
        elif m.provider == EMBEDDED:
            from baimo.models.embedded import find_gguf

            counters[m.name] = GGUFChatPrompt(str(find_gguf(m.gguf_path)))
    store = Store() if history else None
    result = estimate(models, tasks, counters=counters, store=store, suites=suites)
    sim = run_simulation(result, models, n_models=simulate, workers=workers, latency_s=latency,
                         chunk=chunk) if simulate > 0 else None
    if as_json:
        emit_json({**result.as_json(), "simulation": sim.as_json() if sim else None})
        return
    emit_table([Column("model"), Column("task"), Column("requests", right=True),
                Column("prompt tok", right=True), Column("output tok", right=True),
                Column("output ceiling", right=True), Column("cost", right=True),
                Column("cost ceiling", right=True), Column("output basis")],
               [[r.model, r.task, r.requests, r.prompt_tokens, r.output_tokens,
                 r.output_ceiling, f"{r.cost:.4f} {r.currency}",
                 f"{r.cost_ceiling:.4f} {r.currency}", r.output_basis] for r in result.rows],
               title="baimo plan: per model and task (nothing sent)")
    emit_table([Column("model"), Column("requests", right=True),
                Column("prompt tok", right=True), Column("output tok", right=True),
                Column("cost", right=True), Column("cost ceiling", right=True)],
               [[name, m["requests"], m["prompt_tokens"], m["output_tokens"],
                 f"{m['cost']:.4f} {m['currency']}", f"{m['cost_ceiling']:.4f} {m['currency']}"]
                for name, m in result.per_model().items()], title="per model")
    emit_table([Column("endpoint models"), Column("requests", right=True),
                Column("RPM", right=True), Column("TPM", right=True),
                Column("wall time", right=True), Column("bound by")],
               [[", ".join(e.models), e.requests, e.rpm or "—", e.tpm or "—",
                 _secs(e.wall_s), e.binding] for e in result.endpoints],
               title="wall time the endpoints' limits allow")
    if sim is not None:
        costs = ", ".join(f"{v:,.2f} {k}" for k, v in sim.cost.items()) or "0"
        ceil = ", ".join(f"{v:,.2f} {k}" for k, v in sim.cost_ceiling.items()) or "0"
        out().print(
            f"simulated {sim.models:,} models on {sim.workers} workers: {sim.shards:,} shards, "
            f"{sim.requests:,} requests, {sim.prompt_tokens:,} prompt + {sim.output_tokens:,} "
            f"output tokens (ceiling {sim.output_ceiling:,}); cost {safe(costs)} (ceiling "
            f"{safe(ceil)}); schedule {_secs(sim.makespan_s)} with workers "
            f"{sim.busy_share:.0%} busy", highlight=False)
        for a in sim.assumptions:
            out().print(f"  assumes: {safe(a)}", highlight=False)
