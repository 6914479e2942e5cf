"""``baimo score``: rank vendors or models with an analyst methodology.

Thin on purpose: options are parsed here, the work is done by ``baimo.scores.methodology``,
``baimo.scores.fitweights`` and ``baimo.scores.sensitivity``, and the output is a Rich rendering
of their results (or the same results as JSON with ``--json``).

Measurements come from a JSON file (``--measured``) or straight from the store: ``--runs`` names
eval and perf runs, ``--latest`` takes the latest measurement of every model
(``baimo.scores.measured``). Every result is appended to the store's ``score_results`` table
(``--no-store`` to skip) so a published ranking can be found and audited later, and
``--report`` writes it as HTML with the quadrant, radar and sensitivity charts
(``baimo.reports.decision``).
"""

from __future__ import annotations

import json
import math
import shlex
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from baimo.cli.console import add_row, emit_table, error_exit, new_app, out, safe
from baimo.config import load_config
from baimo.errors import BaimoError, NotFound
from baimo.scores.fitweights import FitResult, fit_table
from baimo.scores.methodology import (
    FactsTable,
    Indicator,
    MeasuredSource,
    Method,
    Methodology,
    ScoreResult,
    SensitivityOptions,
    list_methodologies,
    load_methodology,
    score_methodology,
)
from baimo.tabular import write_user_file

__all__ = ["app"]

app = new_app("Analyst methodologies: gates, weighted indicators, TOPSIS, sensitivity, "
              "fit-weights.", no_args_is_help=False)

MethodologyOpt = Annotated[str | None, typer.Option(
    "--methodology", "-m", help="Built-in methodology id (see: baimo score methodologies) or a "
                                "methodology YAML file.")]
InputsOpt = Annotated[Path | None, typer.Option(
    "--inputs", "-i", help="Facts CSV with columns entity,indicator,value,source,as_of.")]
MeasuredOpt = Annotated[Path | None, typer.Option(
    "--measured", help="JSON file {entity: {\"suite:ifeval\": 0.8, \"perf:ttft_p95\": 0.4}} "
                       "with baimo measurements: the keys the methodology reads (baimo score "
                       "show ID), non-negative numbers.")]
MethodOpt = Annotated[str, typer.Option(
    "--method", help="weighted-sum (each indicator's normalisation) or topsis.")]
TopsisNormOpt = Annotated[str, typer.Option(
    "--topsis-normalisation", help="vector (Hwang & Yoon) or minmax (pymcdm's default).")]
ScenarioOpt = Annotated[str | None, typer.Option(
    "--scenario", help="Alternative dimension weights named by the methodology.")]
JsonOpt = Annotated[Path | None, typer.Option(
    "--json", help="Also write the full result as JSON to this file ('-' for stdout only).")]
SensOpt = Annotated[bool, typer.Option(
    "--sensitivity", help="Add one-at-a-time, Monte Carlo and smallest-flip analyses.")]
LevelOpt = Annotated[str, typer.Option(
    "--level", help="Weights to vary in the sensitivity analysis: dimensions or indicators.")]
DrawsOpt = Annotated[int, typer.Option("--draws", min=1, help="Monte Carlo draws.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Monte Carlo seed.")]
ConcOpt = Annotated[float, typer.Option(
    "--concentration", min=0.0, help="Dirichlet concentration around the stated weights "
                                     "(higher = closer to them).")]
UniformOpt = Annotated[bool, typer.Option(
    "--uniform", help="Draw Monte Carlo weights uniformly on the simplex instead.")]
RunsOpt = Annotated[list[str] | None, typer.Option(
    "--runs", help="Eval and perf run ids (or prefixes; repeat, or separate with commas) to take "
                   "measurements from.")]
LatestOpt = Annotated[bool, typer.Option(
    "--latest", help="Take the latest stored measurement of every model (all eval and perf "
                     "runs).")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", "-c", help="Models file for prices and the task-to-dimension mapping "
                           "(default: ./baimo.yaml if present).")]
ReportOpt = Annotated[Path | None, typer.Option(
    "--report", help="Write an HTML report (quadrant, radar, rank flows) to this file.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
StoreOpt = Annotated[bool, typer.Option(
    "--store/--no-store", help="Append the result to the store's score_results table.")]
MonitorVendorsOpt = Annotated[bool, typer.Option(
    "--monitor-vendors", help="Add each vendor's measured stability (monitor:uptime, "
                              "monitor:ttft_cv) from baimo monitor's probes of its endpoints "
                              "over the last 72 h; a vendor's endpoints are the models-file "
                              "entries whose `vendor:` is the entity's name.")]


def _console() -> Console:
    return out()


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}"


def _split_runs(runs: list[str] | None) -> list[str]:
    return [r.strip() for item in runs or [] for r in item.split(",") if r.strip()]


def _run(
    methodology: str, inputs: Path | None, measured: Path | None, method: str,
    topsis_normalisation: str, scenario: str | None, json_out: Path | None, sensitivity: bool,
    level: str, draws: int, seed: int, concentration: float, uniform: bool,
    runs: list[str] | None = None, latest: bool = False, config: Path | None = None,
    report: Path | None = None, store_result: bool = True, monitor_vendors: bool = False,
) -> None:
    if method not in ("weighted-sum", "topsis"):
        raise typer.BadParameter("use weighted-sum or topsis", param_hint="--method")
    if topsis_normalisation not in ("vector", "minmax"):
        raise typer.BadParameter("use vector or minmax", param_hint="--topsis-normalisation")
    if level not in ("dimensions", "indicators"):
        raise typer.BadParameter("use dimensions or indicators", param_hint="--level")
    run_refs = _split_runs(runs)
    if run_refs and latest:
        raise typer.BadParameter("give --runs or --latest, not both", param_hint="--latest")
    from_store = bool(run_refs) or latest
    store: Any = None
    collected: dict[str, Any] = {}
    tried_lines: list[str] = []
    vendor_lines: list[str] = []
    try:
        m = load_methodology(methodology)
        facts = FactsTable.load(inputs) if inputs is not None else FactsTable.empty()
        if measured is not None:
            from baimo.scores.measured import read_measured_file

            meas: dict[str, dict[str, float]] | None = read_measured_file(measured, m)
        else:
            meas = None
        if from_store or store_result or monitor_vendors:
            from baimo.store.store import Store

            store = Store()
        if from_store:
            from baimo.scores.measured import (
                collect_measurements,
                split_tried,
                to_methodology_inputs,
                tried_reason,
            )

            # Measured by the store's rule (store.runs.coverage(), as advise and the web):
            # a model whose every sample and request failed is listed apart, not scored.
            collected, tried = split_tried(
                collect_measurements(store, run_refs or None, load_config(config)))
            tried_lines = [f"  {k}: {tried_reason(v)}" for k, v in tried.items()]
            if not collected:
                raise NotFound("the selected runs measured no model"
                               + "".join(f"; {k} was {tried_reason(v)}"
                                         for k, v in tried.items())
                               + ". List runs with: baimo runs list")
            merged = to_methodology_inputs(collected)
            for entity, values in (meas or {}).items():
                merged.setdefault(entity, {}).update(values)
            meas = merged
        if monitor_vendors:
            meas, vendor_lines = _vendor_stability(store, load_config(config), facts, meas)
        if not facts.entities() and not meas:
            raise BaimoError(_nothing_to_score(m, inputs, measured))
        opts = SensitivityOptions(
            level="dimensions" if level == "dimensions" else "indicators", draws=draws,
            seed=seed, concentration=None if uniform or concentration == 0 else concentration,
        ) if sensitivity else None
        meth: Method = "topsis" if method == "topsis" else "weighted-sum"
        result = score_methodology(
            m, facts, meas, method=meth,
            topsis_normalisation="minmax" if topsis_normalisation == "minmax" else "vector",
            scenario=scenario, sensitivity=opts)
        score_id = None
        # Nothing scored (every entity failed a gate or lacks a required value): the tables
        # below say why, but an empty ranking is not stored or reported as a result.
        nothing_scored = not result.scores
        if store_result and not nothing_scored:
            from baimo.scores.measured import save_score

            used_runs = sorted({rid for ms in collected.values()
                                for rid in (*ms.eval_runs, *([ms.perf.run_id] if ms.perf
                                                             else []))})
            score_id = save_score(store, result, {
                "facts": str(inputs) if inputs else None,
                "measured_file": str(measured) if measured else None,
                "runs": used_runs, "latest": latest, "runs_asked": run_refs,
            }, command="baimo " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
        if report is not None and not nothing_scored:
            from baimo.reports.decision import write_score_report

            write_score_report(result, m, report, measurements=collected or None)
    except BaimoError as exc:
        error_exit(exc)
    finally:
        if store is not None:
            store.close()
    payload = json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
    if json_out is not None and str(json_out) == "-":
        typer.echo(payload)
        if nothing_scored:
            error_exit(_nothing_scored(result))
        return
    if json_out is not None:
        write_user_file(json_out, payload + "\n", "JSON result")
    console = _console()
    if collected:
        console.print(safe(f"Measurements of {len(collected)} model(s) from "
                           + (f"runs {', '.join(run_refs)}" if run_refs else
                              "the latest eval and perf runs of each model")), highlight=False)
    if tried_lines:
        console.print("Tried, nothing measured (not scored):", highlight=False)
        for line in tried_lines:
            console.print(safe(line), highlight=False)
    _print_result(console, m, result)
    for line in vendor_lines:
        console.print(safe(line), highlight=False)
    if collected:
        _print_missing_reasons(console, m, result, collected)
    if json_out is not None:
        console.print(f"\nFull result written to {safe(json_out)}", highlight=False)
    if score_id is not None:
        console.print(f"Stored as {score_id} (table score_results)", highlight=False)
    if report is not None and not nothing_scored:
        console.print(f"Report: {safe(report.resolve())}", highlight=False)
    if nothing_scored:
        error_exit(_nothing_scored(result))


def _nothing_to_score(m: Methodology, inputs: Path | None, measured: Path | None) -> str:
    """Why there is nothing to score (no entity at all), and what the methodology reads."""
    from baimo.scores.measured import measured_keys

    given = [f"{p} has no rows" for p in (inputs, measured) if p is not None]
    lines = [f"nothing to score with '{m.id}': no entity has a fact or a measurement"
             + (f" ({'; '.join(given)})" if given else "") + "."]
    facts = sorted(m.fact_names())
    if facts:
        lines.append(f"Give its facts in a CSV with --inputs FILE (header "
                     f"entity,indicator,value,source,as_of; one row per entity and fact): "
                     f"{', '.join(facts)}.")
    keys = measured_keys(m, required_only=True)
    if keys:
        lines.append(f"Give its measurements with --runs RUN, --latest or --measured FILE: "
                     f"{', '.join(keys)}.")
    lines.append(f"'baimo score show {m.id}' shows what each one means.")
    return " ".join(lines)


def _nothing_scored(r: ScoreResult) -> str:
    n = len(r.entities)
    return (f"nothing was scored: of {n} entit{'y' if n == 1 else 'ies'}, {len(r.excluded)} "
            f"failed an entry gate and {len(r.incomplete)} lack(s) a required value (see "
            "above), so no result was stored or reported. Add the missing facts or "
            "measurements and run again.")


def _vendor_stability(store: Any, config: Any, facts: FactsTable,
                      meas: dict[str, dict[str, float]] | None
                      ) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Merge each entity's vendor stability (``--monitor-vendors``) into the measurements,
    with one line per entity saying what was found, so a vendor scored without it is explained.
    """
    from baimo.scores.measured import collect_vendor_stability, stability_inputs

    found = collect_vendor_stability(config, store)
    merged = {k: dict(v) for k, v in (meas or {}).items()}
    entities = list(dict.fromkeys([*facts.entities(), *merged]))
    lines = ["Vendor stability from baimo monitor (last 72 h, endpoints by the models file's "
             "`vendor:`):"]
    for ent in entities:
        if ent not in found:
            lines.append(f"  {ent}: no endpoint in the models file has `vendor: {ent}`")
            continue
        stab = found[ent]
        if stab is None:
            lines.append(f"  {ent}: none of its endpoints was probed in the last 72 h (run: "
                         f"baimo monitor once)")
            continue
        merged.setdefault(ent, {}).update(stability_inputs(stab))
        cv = "no TTFT CV (fewer than two TTFTs)" if stab.ttft_cv is None else \
            f"mean TTFT CV {stab.ttft_cv:.3g}"
        lines.append(f"  {ent}: uptime {stab.uptime:.2%} over {stab.requests} probes, {cv} "
                     f"({len(stab.endpoints)} endpoint(s): {', '.join(stab.endpoints)})")
    return merged, lines


def _print_missing_reasons(console: Console, m: Methodology, r: ScoreResult,
                           collected: dict[str, Any]) -> None:
    """For models the methodology could not score, why each required measurement is missing;
    for models scored without an optional indicator, why its measurements are missing."""
    from baimo.scores.measured import explain_missing, measured_keys

    def keys_under(ind: Indicator) -> list[str]:
        if ind.is_leaf:
            return [ind.source.measured] if isinstance(ind.source, MeasuredSource) else []
        return [k for sub in ind.sub_indicators for k in keys_under(sub)]

    required = measured_keys(m, required_only=True)
    asked = {e: required for e in r.incomplete}
    indicators = m.indicators()
    for s in r.scores:
        if s.scored_without:
            asked[s.entity] = list(dict.fromkeys(
                k for iid in s.scored_without for k in keys_under(indicators[iid])))
    lines = []
    for entity, keys in asked.items():
        ms = collected.get(entity)
        if ms is None:
            continue
        have = set(_measured_of(ms))
        for key in keys:
            if key not in have:
                lines.append(f"  {entity}: {key}: {explain_missing(ms, key)}")
    if lines:
        console.print("[bold]Why measurements are missing:[/]")
        for line in lines:
            console.print(safe(line), highlight=False)


def _measured_of(ms: Any) -> dict[str, float]:
    from baimo.scores.measured import to_methodology_inputs

    return to_methodology_inputs({ms.model: ms})[ms.model]


@app.callback(invoke_without_command=True)
def score(
    ctx: typer.Context,
    methodology: MethodologyOpt = None,
    inputs: InputsOpt = None,
    measured: MeasuredOpt = None,
    method: MethodOpt = "weighted-sum",
    topsis_normalisation: TopsisNormOpt = "vector",
    scenario: ScenarioOpt = None,
    json_out: JsonOpt = None,
    sensitivity: SensOpt = False,
    level: LevelOpt = "dimensions",
    draws: DrawsOpt = 2000,
    seed: SeedOpt = 0,
    concentration: ConcOpt = 50.0,
    uniform: UniformOpt = False,
    runs: RunsOpt = None,
    latest: LatestOpt = False,
    config: ConfigOpt = None,
    report: ReportOpt = None,
    store_result: StoreOpt = True,
    monitor_vendors: MonitorVendorsOpt = False,
) -> None:
    """Score entities with a methodology (same as ``baimo score run``)."""
    if ctx.invoked_subcommand is not None:
        return
    if methodology is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    _run(methodology, inputs, measured, method, topsis_normalisation, scenario, json_out,
         sensitivity, level, draws, seed, concentration, uniform, runs, latest, config, report,
         store_result, monitor_vendors)


@app.command("run")
def run(
    methodology: Annotated[str, typer.Option(
        "--methodology", "-m", help="Built-in methodology id or a methodology YAML file.")],
    inputs: InputsOpt = None,
    measured: MeasuredOpt = None,
    method: MethodOpt = "weighted-sum",
    topsis_normalisation: TopsisNormOpt = "vector",
    scenario: ScenarioOpt = None,
    json_out: JsonOpt = None,
    sensitivity: SensOpt = False,
    level: LevelOpt = "dimensions",
    draws: DrawsOpt = 2000,
    seed: SeedOpt = 0,
    concentration: ConcOpt = 50.0,
    uniform: UniformOpt = False,
    runs: RunsOpt = None,
    latest: LatestOpt = False,
    config: ConfigOpt = None,
    report: ReportOpt = None,
    store_result: StoreOpt = True,
    monitor_vendors: MonitorVendorsOpt = False,
) -> None:
    """Gates, per-dimension and overall scores and ranks (optionally with sensitivity)."""
    _run(methodology, inputs, measured, method, topsis_normalisation, scenario, json_out,
         sensitivity, level, draws, seed, concentration, uniform, runs, latest, config, report,
         store_result, monitor_vendors)


@app.command("methodologies")
def methodologies(as_json: JsonFlag = False) -> None:
    """List the built-in methodologies."""
    items = list_methodologies()
    emit_table(["id", "title", "publisher", "date", "dimensions", "indicators", "gates"],
               [[m.id, m.title, m.provenance.publisher, m.provenance.date, len(m.dimensions),
                 len(m.indicators()), len(m.gates)] for m in items],
               title="Built-in methodologies", as_json=as_json)


def _indicator_node(parent: Tree, ind: Indicator, weights: dict[str, float]) -> None:
    written = "" if ind.weight is None else f" [dim]({ind.weight})[/]"
    label = f"[bold]{safe(ind.name)}[/] {safe(ind.id)} — {weights[ind.id]:.2%}{written}"
    if ind.optional:
        label += " [italic]optional: when missing, scored without it, siblings renormalised[/]"
    if ind.is_leaf:
        src = ind.source.describe() if ind.source is not None else "?"
        label += safe(f"  {ind.direction}, "
                      f"{ind.effective_normalisation.describe(ind.direction)}, {src}")
    node = parent.add(label)
    for crit in ind.criteria:
        node.add(f"[dim]{safe(crit)}[/]")
    if ind.sub_indicators:
        sub_w = ind.sub_weights()
        for sub in ind.sub_indicators:
            _indicator_node(node, sub, sub_w)


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="Built-in id or YAML file.")]) -> None:
    """Show a methodology: provenance, gates, the weighted indicator tree, scenarios."""
    try:
        m = load_methodology(name)
    except BaimoError as exc:
        error_exit(exc)
    console = _console()
    p = m.provenance
    console.print(f"[bold]{safe(m.title)}[/] ({safe(m.id)} v{safe(m.version)})")
    console.print(safe(f"Source: {p.publisher}, {p.title}, {p.date}"
                       + (f"; seed {p.seed_file}" if p.seed_file else "")
                       + (f"; {p.section}" if p.section else "")), highlight=False)
    console.print(safe(f"Origin: {m.origin}  sha256 {m.sha256[:12]}"), highlight=False)
    if m.description:
        console.print(safe(m.description.rstrip()), highlight=False)
    if m.gates:
        console.print("\n[bold]Entry gates[/] (all must be met)")
        for g in m.gates:
            console.print(safe(f"  {g.name} ({g.id}): {g.value_name} {g.requirement()}"),
                          highlight=False)
    dw = m.dimension_weights()
    head = ("Dimensions, combined by weighted sum" if m.combine.mode == "weighted" else
            "Dimensions, reported separately")
    tree = Tree(f"[bold]{head}[/]")
    for d in m.dimensions:
        wtxt = f" — {dw[d.id]:.2%}" if d.id in dw else ""
        written = "" if d.weight is None else f" [dim]({d.weight})[/]"
        node = tree.add(f"[bold]{safe(d.name)}[/] {safe(d.id)}{wtxt}{written}")
        iw = d.indicator_weights()
        for ind in d.indicators:
            _indicator_node(node, ind, iw)
    console.print(tree)
    if m.combine.note:
        console.print(safe(f"Note: {m.combine.note}"), highlight=False)
    for sname, sc in m.combine.scenarios.items():
        ws = ", ".join(f"{k} {v:.2%}" for k, v in m.dimension_weights(sname).items())
        console.print(f"Scenario [bold]{safe(sname)}[/]: {safe(ws)}. {safe(sc.description)}",
                      highlight=False)
    facts = sorted(m.fact_names())
    if facts:
        console.print(safe(f"\nFacts CSV indicator names read: {', '.join(facts)}"),
                      highlight=False)


@app.command("fit-weights")
def fit_weights_cmd(
    table: Annotated[Path | None, typer.Option(
        "--table", help="Results CSV: entity,composite,<dimension columns>,source,as_of "
                        "(default: the built-in Frost & Sullivan 2023 results).")] = None,
    decimals: Annotated[int, typer.Option("--decimals", min=0, max=6,
                                          help="Decimals the publication rounds to.")] = 2,
    json_out: JsonOpt = None,
) -> None:
    """Recover dimension weights from published composite and dimension scores."""
    try:
        fit = fit_table(table, decimals)
    except BaimoError as exc:
        error_exit(exc)
    payload = json.dumps(_jsonable(fit.to_dict()), ensure_ascii=False, indent=2)
    if json_out is not None and str(json_out) == "-":
        typer.echo(payload)
        return
    if json_out is not None:
        write_user_file(json_out, payload + "\n", "JSON result")
    _print_fit(_console(), fit)


def _jsonable(value: Any) -> Any:
    """NaN/inf become null: JSON has no representation for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _print_fit(console: Console, fit: FitResult) -> None:
    console.print(safe(f"Source: {fit.source}"), highlight=False)
    wt = Table(title="Recovered dimension weights (non-negative, sum 1, least squares)")
    wt.add_column("dimension")
    wt.add_column("weight", justify="right")
    for d, w in zip(fit.dimensions, fit.weights, strict=True):
        add_row(wt, d, f"{w:.4f}")
    console.print(wt)
    rt = Table(title="Composites: published vs weighted mean of published dimension scores")
    for col in ("entity", "published", "fitted", "residual", "rounds to published"):
        rt.add_column(col, justify="left" if col == "entity" else "right")
    half = 0.5 * 10.0 ** -fit.decimals
    for e, p, f, r in zip(fit.entities, fit.published, fit.fitted, fit.residuals, strict=True):
        add_row(rt, e, f"{p:.{fit.decimals}f}", f"{f:.4f}", f"{r:+.4f}",
                   "yes" if abs(r) < half - 1e-9 else "no")
    console.print(rt)
    console.print(safe(fit.summary()), highlight=False)
    if fit.integer_percent:
        shown = "; ".join("/".join(str(x) for x in w) for w in fit.integer_percent[:10])
        console.print(safe(f"Whole-percent weightings ({'/'.join(fit.dimensions)}) reproducing "
                           f"every rounded composite: {shown}"), highlight=False)


def _print_result(console: Console, m: Methodology, r: ScoreResult) -> None:
    p = m.provenance
    console.print(f"[bold]{safe(m.title)}[/] ({safe(m.id)} v{safe(m.version)}, sha256 "
                  f"{m.sha256[:12]})")
    console.print(safe(f"Source: {p.publisher}, {p.title}, {p.date}"), highlight=False)
    how = r.method + (f" ({r.topsis_normalisation} normalisation)" if r.topsis_normalisation
                      else "")
    if r.scenario:
        how += f", scenario {r.scenario}"
    if r.report_scale:
        how += f", scores on the {r.report_scale[0]:g}-{r.report_scale[1]:g} scale"
    console.print(safe(f"Method: {how}"), highlight=False)
    if r.weights.get("dimensions"):
        console.print(safe("Dimension weights: " + ", ".join(
            f"{r.dimension_names[k]} {v:.2%}" for k, v in r.weights["dimensions"].items())),
            highlight=False)

    if m.gates and r.entities:
        gt = Table(title="Entry gates")
        gt.add_column("entity")
        for g in m.gates:
            gt.add_column(safe(g.name), justify="center")
        marks = {"pass": Text("pass", "green"), "fail": Text("FAIL", "red"),
                 "missing": Text("?", "yellow")}
        by = {(o.entity, o.gate): o.status for o in r.gates}
        for e in r.entities:
            add_row(gt, e, *[marks[by[(e, g.id)]] for g in m.gates])
        console.print(gt)
    for title, group in (("Excluded by a gate", r.excluded), ("Incomplete (not scored)",
                                                                r.incomplete)):
        if group:
            console.print(f"[bold]{title}:[/]")
            for e, reasons in group.items():
                for reason in reasons:
                    console.print(safe(f"  {e}: {reason}"), highlight=False)

    if r.scores:
        st = Table(title="Scores", caption="* scored without an optional indicator (below)"
                   if any(s.scored_without for s in r.scores) else None)
        if r.combine_mode == "weighted":
            st.add_column("rank", justify="right")
        st.add_column("entity")
        for d in m.dimensions:
            st.add_column(safe(d.name), justify="right")
        if r.combine_mode == "weighted":
            st.add_column("overall", justify="right")
        for s in r.scores:
            row = [] if r.combine_mode != "weighted" else [str(s.rank)]
            row.append(s.entity + (" *" if s.scored_without else ""))
            row += [f"{_fmt(s.dimensions[d.id])} (#{s.dimension_ranks[d.id]})"
                    for d in m.dimensions]
            if r.combine_mode == "weighted":
                row.append(_fmt(s.overall))
            add_row(st, *row)
        console.print(st)
    _print_scored_without(console, r)
    for note in r.notes:
        console.print(safe(f"Note: {note}"), highlight=False)
    if r.sensitivity is not None:
        _print_sensitivity(console, r)


def _print_scored_without(console: Console, r: ScoreResult) -> None:
    """Entities scored without an optional indicator: which, why, and the weights applied."""
    rows = [s for s in r.scores if s.scored_without]
    if not rows:
        return
    console.print("[bold]Scored without optional indicators[/] (the weights of the others are "
                  "renormalised within their parent):")
    for s in rows:
        for iid, why in s.scored_without.items():
            console.print(safe(f"  {s.entity}: without {iid} ({r.indicator_names.get(iid, iid)})"
                               f": {why}"), highlight=False)
        for group, ws in s.weights_used.items():
            console.print(safe(f"    weights used in {group}: " + ", ".join(
                f"{k} {v:.2%}" for k, v in ws.items())), highlight=False)


def _print_sensitivity(console: Console, r: ScoreResult) -> None:
    sens = r.sensitivity
    assert sens is not None
    base = {s.entity: s.rank for s in r.scores}
    changes = sorted({row.change for row in sens.oat})
    ot = Table(title=f"One at a time ({sens.level}): ranking after each change "
                     f"('=' unchanged)")
    ot.add_column("weight")
    for c in changes:
        ot.add_column(f"{c:+.0%}", justify="center")
    cells: dict[tuple[str, str], dict[float, str]] = {}
    for row in sens.oat:
        order = sorted(row.ranks, key=lambda e: (row.ranks[e], r.entities.index(e)))
        text = "=" if all(row.ranks[e] == base[e] for e in row.ranks) else " > ".join(order)
        if row.capped:
            text += " (capped)"
        cells.setdefault((row.group, row.weight), {})[row.change] = text
    for (group, weight), by_change in cells.items():
        label = weight if sens.level == "dimensions" else f"{group} / {weight}"
        add_row(ot, label, *[by_change.get(c, "") for c in changes])
    console.print(ot)
    acc = sens.acceptability
    at = Table(title=safe(f"Rank acceptability ({acc.draws} draws, seed {acc.seed}; "
                          f"{acc.distribution})"))
    at.add_column("entity")
    for k in range(len(acc.alternatives)):
        at.add_column(f"P(rank {k + 1})", justify="right")
    at.add_column("mean rank", justify="right")
    for name, row, mean in zip(acc.alternatives, acc.matrix, acc.mean_rank, strict=True):
        add_row(at, name, *[f"{p:.1%}" for p in row], f"{mean:.2f}")
    console.print(at)
    flip = sens.flip
    console.print(safe(f"Smallest change that flips first place (L1 = sum of absolute weight "
                       f"changes, {flip.method}): {flip.note}"), highlight=False)
    if flip.weights_after is not None and flip.distance:
        console.print(safe("  weights at the flip: " + ", ".join(
            f"{k} {flip.weights_before[k]:.3f}→{v:.3f}" for k, v in flip.weights_after.items())),
            highlight=False)
    for note in sens.notes:
        console.print(safe(f"Note: {note}"), highlight=False)


@app.command("history")
def history(
    score_id: Annotated[str | None, typer.Argument(
        help="A stored result's id (or prefix) to print as JSON; omit to list them.")] = None,
    methodology: Annotated[str | None, typer.Option(
        "--methodology", "-m", help="Only results of this methodology.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Results to list.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Stored score results (table score_results), newest first, or one of them in full."""
    from baimo.scores.measured import get_score, list_scores
    from baimo.store.store import Store

    store = Store()
    try:
        if score_id is not None:
            s = get_score(store, score_id)
            typer.echo(json.dumps({"id": s.id, "created_at": s.created_at, "command": s.command,
                                   "inputs": s.inputs, "result": s.result},
                                  ensure_ascii=False, indent=2))
            return
        items = list_scores(store, methodology, limit)
    except BaimoError as exc:
        error_exit(exc)
    finally:
        store.close()
    rows = []
    for s in items:
        ranking = s.result.get("ranking") or []
        first = ", ".join(r["entity"] for r in ranking if r.get("rank") == 1) or "-"
        src = s.inputs.get("facts") or s.inputs.get("measured_file") or ""
        runs = s.inputs.get("runs") or []
        if runs:
            src = (src + "; " if src else "") + f"runs {', '.join(runs)}"
        rows.append([s.id, s.created_at if as_json else
                     time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created_at)),
                     s.methodology, s.method, s.scenario or "-", first,
                     f"{len(ranking)}/{len(s.result.get('entities') or [])}", src or "-"])
    emit_table(["id", "when", "methodology", "method", "scenario", "first", "scored", "inputs"],
               rows, title=f"Stored score results ({len(items)})", as_json=as_json)
