"""Commands: eval, models, runs, report, serve-model (plus score, landscape, ... mounted)."""

from __future__ import annotations

import contextlib
import importlib
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click import Command, Context, HelpFormatter
from typer.core import TyperCommand

from baimo.cli.console import (
    BaimoGroup,
    Column,
    emit_json,
    emit_table,
    err,
    new_app,
    out,
    safe,
    setting_up,
    settled,
)

if TYPE_CHECKING:
    from baimo.runs.eval import Executor
    from baimo.runs.runner import ModelProgress
    from baimo.store.records import ResultRecord, ResultTally
    from baimo.store.store import Store

_LAZY: dict[str, tuple[str, str]] = {
    "score": ("baimo.cli.score", "Analyst methodologies: weighted indicators, gates, "
              "sensitivity."),
    "landscape": ("baimo.cli.landscape", "The market map: vendors, models, stages, filing."),
    "suites": ("baimo.cli.suites", "Built-in suites."),
    "perf": ("baimo.cli.perf", "API and engine performance under load."),
    "advise": ("baimo.cli.advise", "Which models win for an application."),
    "judge": ("baimo.cli.judge", "LLM-as-judge tools."),
    "arena": ("baimo.cli.arena", "Blind battles, human and judge votes, BT ratings."),
    "plan": ("baimo.cli.plan", "Requests, tokens, cost and wall time of a sweep, before "
             "running it."),
    "monitor": ("baimo.cli.monitor", "Stability over time; one model across vendors."),
}
"""Command groups imported only when run: ``baimo --help`` and ``baimo eval`` must not pay for
the imports of every other command (numpy, scipy, the methodology models, ...)."""


class _Root(BaimoGroup):
    """The ``baimo`` group: its own commands plus the lazily imported groups of ``_LAZY``.

    Typer (0.29) builds on its own copy of click (``typer._click``); these overrides use that
    copy's types, which Typer documents only through ``cls=``.
    """

    _help_only = False

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in _LAZY if n not in self.commands)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in _LAZY and cmd_name not in self.commands:
            module, help_text = _LAZY[cmd_name]
            if self._help_only:
                # Listing commands in --help needs their one-line help, not their code.
                return TyperCommand(cmd_name, help=help_text, short_help=help_text)
            sub = importlib.import_module(module).app
            cmd = typer.main.get_command(sub)
            cmd.help = cmd.help or help_text
            self.add_command(cmd, cmd_name)
            return cmd
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._help_only = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._help_only = False


app = new_app("baimo 百模: measure, compare and choose LLMs and their vendors.", cls=_Root)
models_app = new_app("List, show and check configured models.")
runs_app = new_app("List, show and diff stored runs.")
app.add_typer(models_app, name="models")
app.add_typer(runs_app, name="runs")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the table as JSON.")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Models file "
                                                "(default: ./baimo.yaml if present).")]


class _ProgressView:
    """A Rich progress bar per model: done/total, rate, ETA and errors."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskID,
            TextColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}/s"), TimeRemainingColumn(),
            TextColumn("[red]{task.fields[errors]} err[/] {task.fields[cached]} cached"),
            console=err(), disable=not enabled, refresh_per_second=4)
        self.ids: dict[str, TaskID] = {}
        self.last = 0.0

    def __call__(self, p: ModelProgress) -> None:
        now = time.monotonic()
        if p.name not in self.ids:
            # The description is rendered as markup: a model name is data.
            self.ids[p.name] = self.progress.add_task(safe(p.name), total=p.total, rate="-",
                                                      errors=0, cached=0)
        elif now - self.last < 0.1 and p.done < p.total:
            return
        self.last = now
        elapsed = max(1e-6, now - p.started)
        rate = f"{(p.done - p.cached) / elapsed:.1f}"
        self.progress.update(self.ids[p.name], total=p.total, completed=p.done, rate=rate,
                             errors=p.errors, cached=p.cached)


def _refuse_unused_options(suites: list[str], **given: object) -> None:
    """Stop before anything runs when an option would change nothing: no suite asked for
    reads it (``--template`` on the demo, ``--judge`` with only task files)."""
    from baimo.errors import ConfigError
    from baimo.tasks.registry import options_unused

    unused = options_unused(suites, [k for k, v in given.items() if v not in (None, 0)])
    if not unused:
        return
    asked = ", ".join(suites) if suites else "task files only"
    lines = []
    for opt, readers in unused.items():
        flag = "--" + opt.replace("_", "-")
        lines.append(f"{flag} changes nothing here: no suite asked for ({asked}) reads it; it "
                     f"applies to {', '.join(readers)}. Drop it, or add one of those suites.")
    raise ConfigError("\n".join(lines))


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
    limit: Annotated[int | None, typer.Option(min=1, help="At most N samples per task.")
                     ] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, help="Override each model's "
                                                    "concurrency.")] = None,
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
    judge: Annotated[str | None, typer.Option("--judge", "-j", help="Judge model for judged "
                                              "suites (multiturn, eq).")] = None,
    bank: Annotated[str | None, typer.Option(help="Your own compliance banks: a JSONL file "
                                             "or a directory of them.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run's summary as JSON "
                                          "instead of a table.")] = False,
    executor: Annotated[str, typer.Option(help="Where the work runs: local, or ray (shards "
                                          "of model × task × chunk on a Ray cluster, "
                                          "writing to BAIMO_DB).")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster: auto or ray://HOST:PORT "
                                                "(with --executor ray; default: RAY_ADDRESS "
                                                "or a local Ray).")] = None,
    chunk: Annotated[int | None, typer.Option(min=1, help="Samples per shard (with "
                                              "--executor ray; default 64).")] = None,
) -> None:
    """Ask every model every question of the tasks; store and score each answer."""
    setting_up()
    from baimo.config import load_config
    from baimo.runs.eval import resolve_models, run_eval
    from baimo.store.store import Store
    from baimo.tasks.registry import SuiteOptions, build_suite
    from baimo.tasks.task import load_task

    # "-s ifeval,safety" is two suites, as in `baimo suites list` output pasted back.
    suites = [part.strip() for name in suite or [] for part in name.split(",") if part.strip()]
    if not suites and not task:
        suites = ["demo"]
    cfg = load_config(config)  # first: its plugins may register suites
    _refuse_unused_options(suites, source=source, subjects=subjects, few_shot=few_shot,
                           template=template, split=split, judge=judge, bank=bank)
    models = resolve_models(cfg, model or [])
    windows = [m.context_window for m in models if m.context_window]
    opts = SuiteOptions(limit=limit, seed=seed, source=source, few_shot=few_shot,
                        template=template, split=split,
                        context_window=max(windows) if windows else None,
                        judge=cfg.get(judge) if judge else None, bank=bank,
                        subjects=tuple(x.strip() for x in subjects.split(",") if x.strip())
                        if subjects else None)
    tasks = [load_task(p, cfg).limited(limit) for p in task or []]
    for name in suites:
        tasks.extend(build_suite(name, opts))
    if report is not None:  # refused now, not after a paid run
        from baimo.tabular import check_writable

        check_writable(report, "report")
    store = Store()
    # No bars (``--no-progress``, or standard error is not a terminal): no Rich progress
    # import and no per-sample callback at all.
    view = _ProgressView(True) if progress and err().is_terminal else None
    command = "baimo " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    settled()
    try:
        with view.progress if view is not None else contextlib.nullcontext():
            outcome = run_eval(store, models, tasks, command=command, resume=resume,
                               concurrency=concurrency, on_progress=view,
                               executor=_executor(executor, address, chunk))
    except KeyboardInterrupt:
        latest = store.runs.recent(1)
        rid = latest[0].id if latest else "RUN_ID"
        err().print(safe(f"interrupted: finished samples are stored. Continue with: "
                         f"baimo eval {' '.join(shlex.quote(a) for a in sys.argv[2:])} "
                         f"--resume {rid}" if "--resume" not in sys.argv
                         else "interrupted: finished samples are stored."))
        raise typer.Exit(130) from None
    if report is not None:
        from baimo.reports.build import write_report

        write_report(store, [outcome.run_id], report, "html", cfg.dimensions)
    failures = {p.name: p.failed_reason for p in outcome.progress.values() if p.failed_reason}
    if as_json:
        emit_json({"run": outcome.run_id, "status": outcome.status,
                   "summary": _summary_rows(store, outcome.run_id), "failed_models": failures,
                   "lost": outcome.lost,
                   "report": str(report.resolve()) if report is not None else None})
    else:
        _print_summary(store, outcome.run_id)
        for name, reason in failures.items():
            err().print(f"[red]model {safe(name)} failed:[/] {safe(reason)}")
        if report is not None:
            out().print(f"report: {safe(report.resolve())}", highlight=False)
        out().print(f"run: {safe(outcome.run_id)} ({safe(outcome.status)}) · store: "
                    f"{safe(store.safe_url)}", highlight=False)
    if outcome.lost:
        # Data the store could not keep: never report success over it.
        err().print(f"[red]{len(outcome.lost)} result(s) could not be stored[/] (first: "
                    f"{safe(outcome.lost[0])}); the run is marked failed. Check the database, "
                    f"then resume: baimo eval --resume {safe(outcome.run_id)}")
        raise typer.Exit(1)
    if outcome.status == "failed":
        # No model answered (each reason is printed above): a script must not read success.
        raise typer.Exit(1)


def _executor(kind: str, address: str | None, chunk: int | None) -> Executor | None:
    """``--executor``: None runs here; ``ray`` imports the scale-out package (and Ray) only
    when asked for. Ray's own options without it are refused, not ignored: a user who gave
    ``--chunk 5`` believes the work was sharded."""
    from baimo.errors import BaimoError

    if kind == "local":
        given = [o for o, v in (("--address", address), ("--chunk", chunk)) if v is not None]
        if given:
            raise BaimoError(f"{' and '.join(given)} {'needs' if len(given) == 1 else 'need'}"
                             " --executor ray (the work runs in this process otherwise)")
        return None
    if kind != "ray":
        raise BaimoError(f"unknown --executor '{kind}'; use local or ray")
    from baimo.scale.executor import RayExecutor

    return RayExecutor(address=address, chunk=64 if chunk is None else chunk)


_SUMMARY_COLUMNS = [Column("model"), Column("task"), Column("scored", right=True),
                    Column("accuracy", right=True), Column("95% CI", "ci95", right=True),
                    Column("no-answer", right=True), Column("truncated", right=True),
                    Column("errors", right=True), Column("not graded", "ungraded", right=True),
                    Column("cost", right=True)]


def _summary_rows(store: Store, run_id: str) -> list[dict[str, Any]]:
    """Per model and task: counts, accuracy with its 95% interval, outcomes and cost.

    Every row is counted somewhere: ``scored`` (graded: ok, wrong, no-answer, truncated),
    ``errors`` (no answer received), and ``ungraded`` for the rest, such as a judge verdict
    that did not parse or a task the model does not support, with ``ungraded_statuses`` saying
    which. Without that column a run of unparsed verdicts printed as all zeros.
    """
    from baimo.scores.summary import accuracy
    from baimo.store.records import GRADED_STATUSES

    groups: dict[tuple[str, str], list[ResultTally]] = {}
    for t in store.runs.tally(run_id):
        groups.setdefault((t.model_name, t.task), []).append(t)
    # Task by task, each task's models next to each other, both in the order the run was
    # given: the models are compared within a task, so their rows belong together.
    run = store.runs.get(run_id)
    task_order = {t.get("name"): i for i, t in enumerate(run.spec.get("tasks", []))}
    model_order = {name: i for i, name in enumerate(run.spec.get("models") or run.model_names)}
    keys = sorted(groups, key=lambda k: (task_order.get(k[1], len(task_order)), k[1],
                                         model_order.get(k[0], len(model_order)), k[0]))
    out_rows = []
    for name, task_name in keys:
        tallies = groups[(name, task_name)]
        acc = accuracy({t.status: t.n for t in tallies}, {t.status: t.score for t in tallies})
        out_rows.append({
            "model": name, "task": task_name, "scored": acc["scored"],
            "accuracy": acc["accuracy"], "ci_low": acc["ci_low"],
            "ci_high": acc["ci_high"],
            "no_answer": acc["statuses"].get("no-answer", 0),
            "truncated": acc["statuses"].get("truncated", 0),
            "errors": acc["statuses"].get("error", 0),
            "ungraded": acc["n"] - acc["scored"] - acc["statuses"].get("error", 0),
            "ungraded_statuses": {s: k for s, k in sorted(acc["statuses"].items())
                                  if s not in GRADED_STATUSES and s != "error"},
            "cost": sum(t.cost for t in tallies), "currency": tallies[0].currency})
    return out_rows


def _print_summary(store: Store, run_id: str) -> None:
    rows = []
    for r in _summary_rows(store, run_id):
        a = r["accuracy"]
        rows.append([r["model"], r["task"], r["scored"],
                     "—" if a is None else f"{100 * a:.1f}%",
                     "—" if a is None else f"{100 * r['ci_low']:.1f}–{100 * r['ci_high']:.1f}",
                     r["no_answer"], r["truncated"], r["errors"],
                     r["ungraded"] if not r["ungraded_statuses"] else
                     f"{r['ungraded']} ({', '.join(r['ungraded_statuses'])})",
                     f"{r['cost']:.4f} {r['currency']}"])
    emit_table(_SUMMARY_COLUMNS, rows, title=f"run {run_id}")


@models_app.command("list")
def models_list(config: ConfigOpt = None, as_json: JsonFlag = False) -> None:
    """The configured models and the built-in embedded model."""
    from baimo.config import EMBEDDED, load_config

    cfg = load_config(config)
    rows = []
    for m in cfg.models.values():
        price = f"{m.pricing.input_per_1m:g}/{m.pricing.output_per_1m:g} {m.pricing.currency}"
        rows.append([m.name, m.provider,
                     m.model_id if m.provider != EMBEDDED else "SmolLM2-135M-Instruct",
                     m.base_url or "(in-process llama.cpp)", m.api_key_env or "-", price])
    emit_table([Column("name"), Column("provider"), Column("model id"), Column("endpoint"),
                Column("key variable"), Column("price in/out per 1M", "price")], rows,
               as_json=as_json)


@models_app.command("show")
def models_show(name: str, config: ConfigOpt = None) -> None:
    """Everything baimo knows about one model (never the key's value), as JSON."""
    from baimo.config import load_config

    emit_json(load_config(config).get(name).public_dict())


@models_app.command("check")
def models_check(names: Annotated[list[str] | None, typer.Argument()] = None,
                 config: ConfigOpt = None, as_json: JsonFlag = False) -> None:
    """One tiny real request per model: reachability, streaming, usage, latency."""
    import asyncio

    from rich.text import Text

    from baimo.config import load_config

    cfg = load_config(config)
    targets = [cfg.get(n) for n in names] if names else list(cfg.models.values())

    from baimo.models.check import check_model

    async def all_() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(check_model(m) for m in targets)))

    results = asyncio.run(all_())
    if as_json:
        emit_json(results)
    else:
        emit_table(
            ["model", "ok", "latency s", "TTFT s", "streaming", "usage returned", "detail"],
            [[r["model"], Text("yes", "green") if r["ok"] else Text("no", "red"),
              r.get("latency_s", "-"), r.get("ttft_s", "-"), r.get("streaming", "-"),
              r.get("usage_returned", "-"),
              "; ".join([r.get("error") or repr(r.get("reply", "")), *r.get("warnings", [])])]
             for r in results])
    if not all(r["ok"] for r in results):
        raise typer.Exit(1)


@runs_app.command("list")
def runs_list(limit: Annotated[int, typer.Option(min=1, help="How many recent runs.")] = 20,
              as_json: JsonFlag = False) -> None:
    """Recent runs, newest first."""
    from baimo.store.store import Store

    rows = []
    for r in Store().runs.recent(limit):
        models = r.spec.get("models", [])
        rows.append([r.id, r.kind, r.status, r.n_results,
                     [str(m) for m in models] if as_json else ", ".join(str(m) for m in models),
                     r.created_at if as_json else
                     time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at))])
    emit_table(["run", "kind", "status", "results", "models", "created"], rows,
               as_json=as_json)


@runs_app.command("show")
def runs_show(run: str, as_json: JsonFlag = False) -> None:
    """A run's models, tasks and scores."""
    from baimo.store.store import Store

    store = Store()
    run_id = store.runs.resolve(run)
    info = store.runs.get(run_id)
    models = [{"model": m.model_name, "status": m.status, "reason": m.reason}
              for m in info.models]
    from baimo.tasks.extract import reading_counts, weak_readings

    results = store.runs.results([run_id]) if info.kind == "eval" else []
    errors = {m.model_name: store.runs.error_reasons(run_id, m.model_name)
              for m in info.models} if info.kind == "eval" else {}
    if as_json:
        emit_json({"run": run_id, "kind": info.kind, "status": info.status,
                   "command": info.command, "models": models,
                   "summary": _summary_rows(store, run_id) if info.kind == "eval" else [],
                   "errors": {m: [{"reason": r, "samples": k} for r, k in rs]
                              for m, rs in errors.items() if rs},
                   "readings": reading_counts(results), "weak_readings": weak_readings(results)})
        return
    con = out()
    con.print(f"[bold]{safe(run_id)}[/] {safe(info.kind)} · {safe(info.status)} · "
              f"{safe(info.command or '')}", highlight=False)
    for m in models:
        con.print(f"  model {safe(m['model'])}: {safe(m['status'])}"
                  + (f" — {safe(m['reason'])}" if m["reason"] else ""), highlight=False)
    if info.kind == "eval":
        _print_summary(store, run_id)
        shown = [[m, r if len(r) <= 160 else r[:157] + "…", k]
                 for m, rs in errors.items() for r, k in rs[:5]]
        if shown:  # the counts alone say that samples failed, not why
            emit_table(["model", "reason", "samples"], shown,
                       title="errors: samples that got no answer, by reason (most frequent 5)")
        _print_readings(results)


def _print_readings(results: list[ResultRecord]) -> None:
    """How each answer was read, per task and model, and the answers only weak rules read."""
    from baimo.tasks.extract import reading_counts, weak_readings

    counts = [[t, m, method, n] for t, per_model in reading_counts(results).items()
              for m, methods in per_model.items() for method, n in methods.items()]
    emit_table(["task", "model", "method", "answers"], counts, title="how answers were read")
    weak = weak_readings(results)
    if weak:
        emit_table(["task", "model", "sample", "method", "status", "read as"],
                   [[w["task"], w["model"], w["sample"], w["method"], w["status"],
                     w["extracted"] or "—"] for w in weak[:50]],
                   title=f"read only by the weakest rules ({len(weak)}; audit these)")


@runs_app.command("diff")
def runs_diff(run_a: str, run_b: str, as_json: JsonFlag = False) -> None:
    """Samples whose verdict differs between two runs (same model and task)."""
    from baimo.store.store import Store

    store = Store()
    a_id, b_id = store.runs.resolve(run_a), store.runs.resolve(run_b)
    a = {(r.model_name, r.task, r.sample_id): r for r in store.runs.results([a_id])}
    b = {(r.model_name, r.task, r.sample_id): r for r in store.runs.results([b_id])}
    rows = []
    for key in sorted(set(a) | set(b)):
        ra, rb = a.get(key), b.get(key)
        va = ra.status if ra else "—"
        vb = rb.status if rb else "—"
        if va != vb:
            rows.append([*key, va, vb])
    total = len(set(a) | set(b))
    columns = [Column("model"), Column("task"), Column("sample"), Column(a_id, "a"),
               Column(b_id, "b")]
    if as_json:
        emit_table(columns, rows, as_json=True,
                   extra={"run_a": a_id, "run_b": b_id, "changed": len(rows), "total": total})
        return
    emit_table(columns, rows, title=f"{a_id} → {b_id}")
    out().print(f"{len(rows)} of {total} samples changed", highlight=False)


@app.command("report")
def report_cmd(
    runs: Annotated[list[str], typer.Argument(help="Run ids (or prefixes, or 'latest').")],
    out_path: Annotated[Path | None, typer.Option("--out", "-o")] = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="html, md, csv or json "
                                            "(default: from -o's suffix, else html)")] = None,
    config: ConfigOpt = None,
) -> None:
    """Write one report comparing the models of the given runs."""
    from baimo.config import load_config
    from baimo.errors import BaimoError
    from baimo.paths import baimo_home
    from baimo.reports.build import write_report
    from baimo.store.store import Store

    formats = {"html": "html", "htm": "html", "md": "md", "markdown": "md", "csv": "csv",
               "json": "json"}
    written = out_path.suffix.lower().lstrip(".") if out_path else ""
    suffix = formats.get(written)
    if fmt is not None and fmt not in {"html", "md", "csv", "json"}:
        raise BaimoError(f"unknown format '{fmt}'; use html, md, csv or json")
    if fmt is not None and suffix is not None and fmt != suffix:
        raise BaimoError(f"-f {fmt} but -o {out_path} names a .{written} file; drop -f to "
                         f"write {suffix}, or give -o a .{fmt} name.")
    if str(out_path) == "-":
        raise BaimoError("-o -: reports are written to files; give a file name (e.g. "
                         "report.html), or use 'baimo runs show' to print to the terminal.")
    fmt = fmt or suffix or "html"
    store = Store()
    ids = [store.runs.resolve(r) for r in runs]
    target = out_path or (baimo_home() / "reports" / f"{ids[0]}.{fmt}")
    write_report(store, ids, target, fmt, load_config(config).dimensions)
    out().print(f"report: {safe(target.resolve())}", highlight=False)


@app.command("demo")
def demo_cmd(
    report: Annotated[Path, typer.Option(help="Where to write the HTML report.")] = Path(
        "build/demo-report.html"),
    perf: Annotated[bool, typer.Option(help="Also run a short perf sweep.")] = True,
) -> None:
    """The main job on the embedded defaults: the demo task, a short perf sweep, one report."""
    from baimo.config import default_embedded_model
    from baimo.reports.build import write_report
    from baimo.runs.eval import run_eval
    from baimo.store.store import Store
    from baimo.tasks.registry import build_suite

    store = Store()
    model = default_embedded_model()
    view = _ProgressView(err().is_terminal)
    with view.progress:
        outcome = run_eval(store, [model], build_suite("demo"), command="baimo demo",
                           on_progress=view)
    _print_summary(store, outcome.run_id)
    run_ids = [outcome.run_id]
    con = out()
    if perf:
        from baimo.perf import level_summaries, run_demo_sweep

        con.print("perf: short sweep on the embedded engine (concurrency 1 and 2) …")
        perf_id = run_demo_sweep(store, model)
        run_ids.append(perf_id)
        for lv in level_summaries(store, [perf_id]):
            m = lv["metrics"]
            con.print(
                f"  {safe(lv['level'])}: TTFT p50 {1000 * m['ttft_s']['p50']:.0f} ms · TPOT p50 "
                f"{1000 * (m['tpot_s']['p50'] or 0):.1f} ms · output "
                f"{lv['throughput']['output_tokens_per_s']:.1f} tok/s · "
                f"{lv['requests']['ok']}/{lv['requests']['measured']} ok", highlight=False)
            con.print(f"    {safe(lv['client']['verdict'])}", highlight=False)
    write_report(store, run_ids, report, "html")
    con.print(f"report: {safe(report.resolve())}", highlight=False)
    con.print(f"runs: {', '.join(run_ids)} · store: {safe(store.safe_url)}", highlight=False)


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback unless --auth).")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    auth: Annotated[bool, typer.Option("--auth", help="Team mode: require API tokens "
                                       "(create them with --add-user).")] = False,
    config: ConfigOpt = None,
    workers: Annotated[int, typer.Option(min=1, help="Jobs run at the same time (at least "
                                         "1).")] = 1,
    add_user: Annotated[str | None, typer.Option("--add-user", help="Create a user (or a new "
                        "token for one), print its token once, and exit.")] = None,
    role: Annotated[str, typer.Option(help="Role of --add-user: viewer, voter, runner or "
                                      "admin.")] = "viewer",
) -> None:
    """The team's workspace in the browser: leaderboards, runs, compare, perf, jobs."""
    from baimo.web.serve import add_user as create_user
    from baimo.web.serve import check_host, serve

    if add_user is not None:
        token = create_user(add_user, role)
        out().print(f"token for {safe(add_user)} ({safe(role)}): {token}", highlight=False)
        out().print("Shown once; the store keeps only its hash.", highlight=False)
        return
    check_host(host, auth)
    cfg = config or (Path("baimo.yaml") if Path("baimo.yaml").exists() else None)
    err().print(f"baimo serve: http://{safe(host)}:{port}/ "
                f"({'team mode' if auth else 'single-user, loopback only'})", highlight=False)
    serve(host, port, auth=auth, config=cfg, slots=workers)


@app.command("serve-model")
def serve_model_cmd(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
    name: Annotated[str, typer.Option(help="Model id the server answers to.")] = "smollm2-135m",
    gguf: Annotated[str | None, typer.Option(help="Another GGUF file to serve.")] = None,
) -> None:
    """Serve the embedded llama.cpp model as an OpenAI-compatible API."""
    from baimo.models.embedded import serve_model

    serve_model(host, port, name, gguf)
