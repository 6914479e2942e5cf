"""Commands: eval, models, runs, report, serve-model (plus score, landscape, ... mounted)."""

from __future__ import annotations

import asyncio
import shlex
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from baimo.config import EMBEDDED, load_config
from baimo.errors import BaimoError
from baimo.paths import baimo_home
from baimo.runs.eval import resolve_models, run_eval
from baimo.runs.runner import ModelProgress
from baimo.store.store import Store, dumps

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="baimo 百模: measure, compare and choose LLMs and their vendors.",
                  pretty_exceptions_enable=False)
models_app = typer.Typer(no_args_is_help=True, help="List, show and check configured models.")
runs_app = typer.Typer(no_args_is_help=True, help="List, show and diff stored runs.")
app.add_typer(models_app, name="models")
app.add_typer(runs_app, name="runs")

console = Console()
if not console.is_terminal:
    # Piped or captured output: do not fold tables into 80 columns.
    console = Console(width=200)
err = Console(stderr=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Models file "
                                                "(default: ./baimo.yaml if present).")]


class _ProgressView:
    """A Rich progress bar per model: done/total, rate, ETA and errors."""

    def __init__(self, enabled: bool) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}/s"), TimeRemainingColumn(),
            TextColumn("[red]{task.fields[errors]} err[/] {task.fields[cached]} cached"),
            console=err, disable=not enabled, refresh_per_second=4)
        self.ids: dict[str, TaskID] = {}
        self.last = 0.0

    def __call__(self, p: ModelProgress) -> None:
        now = time.monotonic()
        if p.name not in self.ids:
            self.ids[p.name] = self.progress.add_task(p.name, total=p.total, rate="-",
                                                      errors=0, cached=0)
        elif now - self.last < 0.1 and p.done < p.total:
            return
        self.last = now
        elapsed = max(1e-6, now - p.started)
        rate = f"{(p.done - p.cached) / elapsed:.1f}"
        self.progress.update(self.ids[p.name], total=p.total, completed=p.done, rate=rate,
                             errors=p.errors, cached=p.cached)


@app.command("eval")
def eval_cmd(
    task: Annotated[list[Path] | None, typer.Option("--task", "-t", help="Task YAML file(s).")
                    ] = None,
    suite: Annotated[list[str] | None, typer.Option("--suite", "-s", help="Built-in suite(s)"
                                                    " (see: baimo suites list).")] = None,
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Model name(s) from"
                                                    " the models file (default: the embedded"
                                                    " model).")] = None,
    config: ConfigOpt = None,
    limit: Annotated[int | None, typer.Option(help="At most N samples per task.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Override each model's concurrency."
                                                    )] = None,
    resume: Annotated[str | None, typer.Option(help="Continue a stored run (id or prefix).")
                      ] = None,
    report: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
    source: Annotated[str | None, typer.Option(help="Benchmark data: a local directory "
                                               "(save_to_disk or release CSVs) or a hub id.")
                      ] = None,
    subjects: Annotated[str | None, typer.Option(help="Comma-separated subjects or groups.")
                        ] = None,
    seed: Annotated[int, typer.Option(help="Seed for --limit sampling and generated suites.")
                    ] = 0,
    few_shot: Annotated[int, typer.Option("--few-shot", help="Exemplars per prompt.")] = 0,
    template: Annotated[str | None, typer.Option(help="Prompt template id (benchmarks).")
                        ] = None,
    split: Annotated[str | None, typer.Option(help="Dataset split (benchmarks).")] = None,
) -> None:
    """Ask every model every question of the tasks; store and score each answer."""
    from baimo.tasks.registry import SuiteOptions, build_suite
    from baimo.tasks.task import load_task

    cfg = load_config(config)
    models = resolve_models(cfg, model or [])
    opts = SuiteOptions(limit=limit, seed=seed, source=source, few_shot=few_shot,
                        template=template, split=split,
                        subjects=tuple(x.strip() for x in subjects.split(",") if x.strip())
                        if subjects else None)
    tasks = [load_task(p, cfg).limited(limit) for p in task or []]
    for name in suite or []:
        tasks.extend(build_suite(name, opts))
    if not tasks:
        tasks = build_suite("demo", opts)
    store = Store()
    view = _ProgressView(progress and err.is_terminal)
    command = "baimo " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    try:
        with view.progress:
            outcome = run_eval(store, models, tasks, command=command, resume=resume,
                               concurrency=concurrency, on_progress=view)
    except KeyboardInterrupt:
        latest = store.list_runs(1)
        rid = latest[0]["id"] if latest else "RUN_ID"
        err.print(f"interrupted: finished samples are stored. Continue with: "
                  f"baimo eval {' '.join(shlex.quote(a) for a in sys.argv[2:])} --resume {rid}"
                  if "--resume" not in sys.argv else "interrupted: finished samples are stored.")
        raise typer.Exit(130) from None
    _print_summary(store, outcome.run_id)
    for p in outcome.progress.values():
        if p.failed_reason:
            err.print(f"[red]model {p.name} failed:[/] {p.failed_reason}")
    if report is not None:
        from baimo.reports.build import write_report

        write_report(store, [outcome.run_id], report, "html", cfg.dimensions)
        console.print(f"report: {report.resolve()}")
    console.print(f"run: {outcome.run_id} ({outcome.status}) · store: {store.safe_url}")


def _print_summary(store: Store, run_id: str) -> None:
    from baimo.scores.summary import summarize

    rows = store.results([run_id])
    summary = summarize(rows)
    task_cost: dict[tuple[str, str], float] = {}
    for r in rows:
        key = (r["model_name"], r["task"])
        task_cost[key] = task_cost.get(key, 0.0) + float(r["cost"])
    t = Table(title=f"run {run_id}")
    for col in ("model", "task", "scored", "accuracy", "95% CI", "no-answer", "truncated",
                "errors", "cost"):
        t.add_column(col, justify="left" if col in ("model", "task") else "right")
    for name, m in summary["models"].items():
        for task_name, acc in m["tasks"].items():
            a = acc["accuracy"]
            t.add_row(name, task_name, str(acc["scored"]),
                      "—" if a is None else f"{100 * a:.1f}%",
                      "—" if a is None else f"{100 * acc['ci_low']:.1f}–"
                      f"{100 * acc['ci_high']:.1f}",
                      str(acc["statuses"].get("no-answer", 0)),
                      str(acc["statuses"].get("truncated", 0)),
                      str(acc["statuses"].get("error", 0)),
                      f"{task_cost[(name, task_name)]:.4f} {m['currency']}")
    console.print(t)


@models_app.command("list")
def models_list(config: ConfigOpt = None) -> None:
    """The configured models and the built-in embedded model."""
    cfg = load_config(config)
    t = Table()
    for col in ("name", "provider", "model id", "endpoint", "key variable",
                "price in/out per 1M"):
        t.add_column(col)
    for m in cfg.models.values():
        price = f"{m.pricing.input_per_1m:g}/{m.pricing.output_per_1m:g} {m.pricing.currency}"
        t.add_row(m.name, m.provider,
                  m.model_id if m.provider != EMBEDDED else "SmolLM2-135M-Instruct",
                  m.base_url or "(in-process llama.cpp)", m.api_key_env or "-", price)
    console.print(t)


@models_app.command("show")
def models_show(name: str, config: ConfigOpt = None) -> None:
    """Everything baimo knows about one model (never the key's value)."""
    console.print_json(dumps(load_config(config).get(name).public_dict()))


@models_app.command("check")
def models_check(names: Annotated[list[str] | None, typer.Argument()] = None,
                 config: ConfigOpt = None) -> None:
    """One tiny real request per model: reachability, streaming, usage, latency."""
    from baimo.models.openai import check_model

    cfg = load_config(config)
    targets = [cfg.get(n) for n in names] if names else list(cfg.models.values())

    async def one(m: Any) -> dict[str, Any]:
        if m.provider == EMBEDDED:
            from baimo.models.embedded import EmbeddedServer

            server = EmbeddedServer(gguf_path=m.gguf_path, model_name=m.name)
            try:
                await server.astart()
            except BaimoError as exc:
                return {"model": m.name, "ok": False, "error": str(exc)}
            try:
                return await check_model(m, base_url=server.base_url)
            finally:
                await server.astop()
        return await check_model(m)

    async def all_() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(one(m) for m in targets)))

    results = asyncio.run(all_())
    t = Table()
    for col in ("model", "ok", "latency s", "TTFT s", "streaming", "usage returned", "detail"):
        t.add_column(col)
    for r in results:
        t.add_row(r["model"], "[green]yes[/]" if r["ok"] else "[red]no[/]",
                  str(r.get("latency_s", "-")), str(r.get("ttft_s", "-")),
                  str(r.get("streaming", "-")), str(r.get("usage_returned", "-")),
                  r.get("error") or repr(r.get("reply", "")))
    console.print(t)
    if not all(r["ok"] for r in results):
        raise typer.Exit(1)


@runs_app.command("list")
def runs_list(limit: int = 20) -> None:
    """Recent runs, newest first."""
    store = Store()
    t = Table()
    for col in ("run", "kind", "status", "results", "models", "created"):
        t.add_column(col)
    for r in store.list_runs(limit):
        models = r["spec"].get("models", [])
        t.add_row(r["id"], r["kind"], r["status"], str(r["n_results"]),
                  ", ".join(str(m) for m in models),
                  time.strftime("%Y-%m-%d %H:%M", time.localtime(r["created_at"])))
    console.print(t)


@runs_app.command("show")
def runs_show(run: str) -> None:
    """A run's models, tasks and scores."""
    store = Store()
    run_id = store.resolve_run(run)
    info = store.get_run(run_id)
    console.print(f"[bold]{run_id}[/] {info['kind']} · {info['status']} · {info['command']}")
    for m in info["models"]:
        console.print(f"  model {m['model_name']}: {m['status']}"
                      + (f" — {m['reason']}" if m["reason"] else ""))
    if info["kind"] == "eval":
        _print_summary(store, run_id)


@runs_app.command("diff")
def runs_diff(run_a: str, run_b: str) -> None:
    """Samples whose verdict differs between two runs (same model and task)."""
    store = Store()
    a_id, b_id = store.resolve_run(run_a), store.resolve_run(run_b)
    a = {(r["model_name"], r["task"], r["sample_id"]): r for r in store.results([a_id])}
    b = {(r["model_name"], r["task"], r["sample_id"]): r for r in store.results([b_id])}
    t = Table(title=f"{a_id} → {b_id}")
    for col in ("model", "task", "sample", a_id, b_id):
        t.add_column(col)
    changed = 0
    for key in sorted(set(a) | set(b)):
        ra, rb = a.get(key), b.get(key)
        va = ra["status"] if ra else "—"
        vb = rb["status"] if rb else "—"
        if va != vb:
            changed += 1
            t.add_row(*key, va, vb)
    console.print(t)
    console.print(f"{changed} of {len(set(a) | set(b))} samples changed")


@app.command("report")
def report_cmd(
    runs: Annotated[list[str], typer.Argument(help="Run ids (or prefixes, or 'latest').")],
    out: Annotated[Path | None, typer.Option("--out", "-o")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="html, md, csv or json")] = "html",
    config: ConfigOpt = None,
) -> None:
    """Write one report comparing the models of the given runs."""
    from baimo.reports.build import write_report

    if fmt not in {"html", "md", "csv", "json"}:
        raise BaimoError(f"unknown format '{fmt}'; use html, md, csv or json")
    store = Store()
    ids = [store.resolve_run(r) for r in runs]
    target = out or (baimo_home() / "reports" / f"{ids[0]}.{fmt}")
    write_report(store, ids, target, fmt, load_config(config).dimensions)
    console.print(f"report: {target.resolve()}")


@app.command("demo")
def demo_cmd(
    report: Annotated[Path, typer.Option(help="Where to write the HTML report.")] = Path(
        "build/demo-report.html"),
    perf: Annotated[bool, typer.Option(help="Also run a short perf sweep.")] = True,
) -> None:
    """The main job on the embedded defaults: the demo task, a short perf sweep, one report."""
    from baimo.config import default_embedded_model
    from baimo.reports.build import write_report
    from baimo.tasks.registry import build_suite

    store = Store()
    model = default_embedded_model()
    view = _ProgressView(err.is_terminal)
    with view.progress:
        outcome = run_eval(store, [model], build_suite("demo"), command="baimo demo",
                           on_progress=view)
    _print_summary(store, outcome.run_id)
    run_ids = [outcome.run_id]
    if perf:
        from baimo.perf import run_demo_sweep

        console.print("perf: short sweep on the embedded engine (concurrency 1 and 2) …")
        perf_id = run_demo_sweep(store, model)
        run_ids.append(perf_id)
        from baimo.perf.runner import level_summaries

        for lv in level_summaries(store, [perf_id]):
            m = lv["metrics"]
            console.print(
                f"  {lv['level']}: TTFT p50 {1000 * m['ttft_s']['p50']:.0f} ms · TPOT p50 "
                f"{1000 * (m['tpot_s']['p50'] or 0):.1f} ms · output "
                f"{lv['throughput']['output_tokens_per_s']:.1f} tok/s · "
                f"{lv['requests']['ok']}/{lv['requests']['measured']} ok")
            console.print(f"    {lv['client']['verdict']}")
    write_report(store, run_ids, report, "html")
    console.print(f"report: {report.resolve()}")
    console.print(f"runs: {', '.join(run_ids)} · store: {store.safe_url}")


@app.command("serve-model")
def serve_model_cmd(
    host: str = "127.0.0.1", port: int = 8080,
    name: Annotated[str, typer.Option(help="Model id the server answers to.")] = "smollm2-135m",
    gguf: Annotated[str | None, typer.Option(help="Another GGUF file to serve.")] = None,
) -> None:
    """Serve the embedded llama.cpp model as an OpenAI-compatible API."""
    from baimo.models.embedded import serve_model

    serve_model(host, port, name, gguf)


def _mount_optional() -> None:
    """Sub-apps of other layers; each module exposes ``app``."""
    import importlib

    for module, name, help_text in (
        ("baimo.cli.score", "score", "Analyst methodologies: weighted indicators, gates, "
         "sensitivity."),
        ("baimo.cli.landscape", "landscape", "The market map: vendors, models, stages, filing."),
        ("baimo.cli.suites", "suites", "Built-in suites."),
        ("baimo.cli.perf", "perf", "API and engine performance under load."),
        ("baimo.cli.advise", "advise", "Which models win for an application."),
        ("baimo.cli.judge", "judge", "LLM-as-judge tools."),
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue
            raise
        app.add_typer(mod.app, name=name, help=help_text)


_mount_optional()
