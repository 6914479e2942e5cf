"""``baimo advise``: which measured model suits an application, and why.

The advisor (``baimo.advise``) is only as useful as its inputs are real, so this command never
takes numbers from the user: it reads baimo's own eval and perf runs from the store
(``baimo.scores.measured``), the prices and attributes from the models file, and the filing
status from the landscape catalog. What it prints is meant to be pasted into a decision memo:
the ranking with each model's deciding measurements, who was excluded by which constraint, who
could not be judged and what measurement would fix that, the Pareto frontier, and a paragraph
generated from the numbers. ``--report`` writes the same as HTML with the Pareto chart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from baimo.advise import (
    Advice,
    Profile,
    advise,
    builtin_scenarios,
    format_measurements,
    get_scenario,
    load_profile,
)
from baimo.cli.console import add_row, emit_json, error_exit, new_app, out, safe
from baimo.config import load_config
from baimo.errors import BaimoError
from baimo.scores.measured import (
    Measurements,
    collect_measurements,
    explain_missing,
    split_tried,
    to_model_measurements,
    tried_reason,
)

__all__ = ["app"]

app = new_app("Rank measured models for an application type (QbitAI's four scenarios or your "
              "own profile).", no_args_is_help=False)

_CRITERIA_ZH = {"capability": "模型能力", "speed": "生成速度", "cost": "应用成本",
                "safety": "安全合规"}


def _console() -> Console:
    return out()


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _print(console: Console, advice: Advice, profile: Profile,
           measured: dict[str, Measurements], runs: list[str],
           tried: dict[str, Measurements]) -> None:
    title = f"Scenario {profile.display_name}"
    if profile.name_en:
        title += f" ({profile.name_en})"
    console.print(f"[bold]{safe(title)}[/] — {safe(profile.priority_text())}", highlight=False)
    how = ("rank-order centroid weights of the stated order" if profile.criteria.priority
           else "weights as given, rescaled to sum to 1")
    console.print(safe("Weights: " + ", ".join(f"{k} {v:.3f}" for k, v in advice.weights.items())
                       + f" ({how})"), highlight=False)
    src = f"runs {', '.join(runs)}" if runs else "the latest eval and perf run of each model"
    console.print(safe(f"Measured models: {len(measured)} ({', '.join(measured)}), from {src}"),
                  highlight=False)
    if tried:
        console.print("[bold]Tried, nothing measured (not ranked):[/]")
        for name, only_tried in tried.items():
            console.print(safe(f"  {name}: {tried_reason(only_tried)}"), highlight=False)

    if advice.ranked:
        crits = [c for c, w in advice.weights.items() if w > 0]
        front = {p.name for p in advice.pareto}
        t = Table(title="Ranking")
        t.add_column("rank", justify="right")
        t.add_column("model")
        t.add_column("score", justify="right")
        for c in crits:
            t.add_column(safe(c), justify="right")
        t.add_column("deciding measurements")
        for r in advice.ranked:
            add_row(t, str(r.rank), r.name + (" ◆" if r.name in front else ""),
                      f"{r.score:.3f}", *[f"{r.criterion_scores.get(c, 0.0):.2f}" for c in crits],
                      format_measurements(r.measurements, advice.currency))
        console.print(t)
        console.print("◆ on the Pareto frontier. Criterion scores are min-max normalised across "
                      "the ranked models (1 = best of them).", highlight=False)
    else:
        console.print("[bold]No model could be ranked.[/]")
    if advice.excluded:
        console.print("[bold]Excluded by hard constraints:[/]")
        for e in advice.excluded:
            console.print(safe(f"  {e.name}: " + "; ".join(v.text() for v in e.violations)),
                          highlight=False)
    if advice.missing:
        console.print("[bold]Missing a required measurement (not ranked):[/]")
        for m in advice.missing:
            ms = measured.get(m.name)
            for metric in m.missing:
                need = ", ".join(m.needed_by.get(metric, ()))
                why = explain_missing(ms, metric) if ms is not None else "not measured"
                console.print(safe(f"  {m.name}: {metric} (needed by {need}) — {why}"),
                              highlight=False)
    if advice.pareto:
        console.print("[bold]Pareto frontier[/] (capability ↑, blended price ↓, TTFT p95 ↓): "
                      + safe("; ".join(f"{p.name} ({100 * p.capability:.1f}%, "
                                  f"{p.blended_price_per_1m:.3g}"
                                  f"{' ' + advice.currency if advice.currency else ''}/1M, "
                                  f"{p.ttft_p95_s:.3g} s)" for p in advice.pareto)),
                      highlight=False)
    elif advice.pareto_skipped:
        console.print(safe("Pareto frontier: not drawn (capability, price and TTFT p95 are not "
                           f"all measured for {', '.join(advice.pareto_skipped)})"),
                      highlight=False)
    console.print("[bold]Recommendation:[/] " + safe(advice.recommendation), highlight=False)


@app.callback(invoke_without_command=True)
def advise_cmd(
    ctx: typer.Context,
    scenario: Annotated[str | None, typer.Option(
        "--scenario", "-s", help="Built-in scenario id or Chinese name (see: baimo advise "
                                 "scenarios).")] = None,
    profile: Annotated[Path | None, typer.Option(
        "--profile", "-p", help="Your own profile YAML (criteria and constraints).")] = None,
    runs: Annotated[list[str] | None, typer.Option(
        "--runs", help="Eval and perf runs to read (repeat or comma-separate); default: the "
                       "latest measurement of every model.")] = None,
    models: Annotated[list[str] | None, typer.Option(
        "--model", "-m", help="Only these models (repeat or comma-separate).")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", help="Models file for prices and attributes (default: ./baimo.yaml "
                               "if present).")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Write the HTML report (with the Pareto chart) here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the advice, and the "
                                          "measurements it used, as JSON.")] = False,
) -> None:
    """Rank the measured models for a scenario; print ranking, gaps, frontier and advice."""
    if ctx.invoked_subcommand is not None:
        return
    if (scenario is None) == (profile is None):
        if scenario is None:
            typer.echo(ctx.get_help())
        error_exit("give exactly one of --scenario NAME or --profile FILE (list scenarios "
                   "with: baimo advise scenarios)")
    from baimo.store.store import Store

    run_refs = _split(runs)
    store = Store()
    try:
        if scenario is not None:
            prof = get_scenario(scenario)
        else:
            assert profile is not None
            prof = load_profile(profile)
        collected = collect_measurements(store, run_refs or None, load_config(config))
        wanted = _split(models)
        if wanted:
            unknown = [m for m in wanted if m not in collected]
            if unknown:
                raise BaimoError(f"no measurements of {', '.join(unknown)} in the selected "
                                 f"runs; measured: {', '.join(collected) or 'none'}")
            collected = {k: v for k, v in collected.items() if k in wanted}
        # "Measured" is the store's rule (store.runs.coverage(), via Measurements.measured),
        # the one the landscape map and the web use: a model whose every sample and request
        # failed was tried, not measured, and is listed apart rather than ranked as a gap.
        measured, tried = split_tried(collected)
        if not measured:
            why = "".join(f"; {k} was {tried_reason(v)}" for k, v in tried.items())
            raise BaimoError("no measured models" + (why or ": run an eval and a perf run "
                                                      "first (baimo eval --suite quick; "
                                                      "baimo perf)"))
        inputs = to_model_measurements(measured)
        advice = advise(inputs, prof)
        if report is not None:
            from baimo.reports.decision import write_advice_report
            from baimo.scores.sensitivity import linear_sensitivity

            sens = linear_sensitivity(advice.weights, {r.name: r.criterion_scores
                                                       for r in advice.ranked})
            write_advice_report(report, advice, prof, inputs, measured, sens)
    except (BaimoError, ValueError) as exc:
        error_exit(str(exc))
    finally:
        store.close()
    if as_json:
        payload: dict[str, Any] = {"advice": advice.to_dict(),
                                   "measurements": {k: v.to_dict() for k, v in measured.items()},
                                   "tried": {k: tried_reason(v) for k, v in tried.items()},
                                   "report": str(report) if report is not None else None}
        emit_json(payload)
        return
    console = _console()
    _print(console, advice, prof, measured, run_refs, tried)
    if report is not None:
        console.print(f"Report: {safe(report.resolve())}", highlight=False)


@app.command("scenarios")
def scenarios_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of "
                                                        "a table.")] = False) -> None:
    """The four built-in scenarios (QbitAI's application types), their weights and origin."""
    items = builtin_scenarios()
    if as_json:
        emit_json([{"id": p.id, "name_zh": p.name_zh, "name_en": p.name_en,
                    "priority": list(p.criteria.priority or []), "weights": p.weights,
                    "examples": list(p.examples), "quote": p.quote} for p in items.values()])
        return
    console = _console()
    t = Table(title="Built-in scenarios (QbitAI 量子位智库, 大模型落地与前沿趋势研究报告, seed 004)")
    for col in ("id", "名称", "priority (seed)", "weights", "examples"):
        t.add_column(col)
    for p in items.values():
        order = " > ".join(f"{c} {_CRITERIA_ZH.get(c, '')}".strip()
                           for c in (list(p.criteria.priority) if p.criteria.priority
                                                           else list(p.weights)))
        add_row(t, p.id, f"{p.name_zh or ''}\n{p.name_en or ''}", order,
                  "\n".join(f"{k} {v:.3f}" for k, v in p.weights.items()),
                  "\n".join(p.examples))
    console.print(t)
    console.print(
        "How the weights are derived: the seed gives each application type an order, not "
        "numbers (e.g. 高可靠+高复杂：模型能力>生成速度>应用成本). baimo turns the order into "
        "rank-order centroid (ROC) weights, w_i = (1/n)·Σ_{k=i..n} 1/k — for three criteria "
        "11/18, 5/18, 2/18 = 0.611, 0.278, 0.111. ROC is the average of every weighting that "
        "respects the order, so it adds nothing the report did not say. Speed mixes TTFT p95 "
        "and output tokens/s half and half; cost is the blended price (75% input, 25% output "
        "per 1M tokens).", highlight=False)
    for p in items.values():
        if p.quote:
            console.print(f"  {p.id}: 「{p.quote}」", highlight=False)
    console.print("Your own profile: baimo advise --profile my.yaml (same fields as the built-in "
                  "scenarios: criteria.priority or criteria.weights, and constraints such as "
                  "max_price_per_1m, min_context_window, max_ttft_p95_s, open_weights_only, "
                  "filed_only, deployment).", highlight=False)
