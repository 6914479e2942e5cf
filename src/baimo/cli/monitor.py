"""``baimo monitor``: probe endpoints on a schedule; stability, fidelity, alerts, vendors."""

from __future__ import annotations

import time
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from baimo.cli.console import Column, emit_json, emit_table, err, new_app, out, safe
from baimo.signals import sigterm_as_interrupt

if TYPE_CHECKING:
    from baimo.config import Config, ModelConfig
    from baimo.monitor.scheduler import CycleOutcome
    from baimo.monitor.settings import MonitorSettings

app = new_app("Stability over time, and the same model compared across vendors.")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Models file "
                                                "(default: ./baimo.yaml if present).")]
MonitorFileOpt = Annotated[Path | None, typer.Option("--monitor-file", help="Monitor settings "
                                                     "file (default: the models file's "
                                                     "monitor: block).")]
ModelOpt = Annotated[list[str] | None, typer.Option("--model", "-m", help="Endpoints to "
                                                    "monitor (default: monitor.models, else "
                                                    "every configured model; the built-in "
                                                    "embedded model only when named).")]
EveryOpt = Annotated[str | None, typer.Option("--every", help="Cycle interval, e.g. 3h, 15m, "
                                              "30s (default: monitor.every, 3h).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _when(t: float | None) -> str:
    return "—" if t is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def _dur(seconds: float) -> str:
    for unit, n in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= n and seconds % n == 0:
            return f"{seconds / n:g} {unit}"
    return f"{seconds:g} s"


def _num(x: Any, fmt: str = "{:.3g}") -> str:
    return "—" if x is None else fmt.format(x)


def _pct(x: Any) -> str:
    return "—" if x is None else f"{100 * x:.2f}%"


def _setup(config: Path | None, monitor_file: Path | None, every: str | None,
           models: list[str] | None, probed: Collection[str] = ()
           ) -> tuple[Config, MonitorSettings, list[ModelConfig]]:
    """The models file, the monitor settings and the endpoints: ``-m``, else
    ``monitor.models``, else every configured model but the built-in embedded one. That one
    is probed only when named (``-m smollm2-135m``): a local test model is not an endpoint
    to watch unasked. Once it has been (``probed``: endpoints with stored cycles, passed by
    the commands that read the store), it is listed like any other."""
    from baimo.config import DEFAULT_MODEL_NAME, load_config
    from baimo.errors import ConfigError
    from baimo.monitor.settings import load_settings, parse_duration

    cfg = load_config(config)
    settings = load_settings(config, monitor_file, config=cfg)
    if every is not None:
        try:
            seconds = parse_duration(every, "--every")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if seconds < 1:
            raise ConfigError("--every: the shortest interval is 1s")
        settings = settings.model_copy(update={"every": seconds})
    names = models or settings.models or [
        *(n for n in cfg.models if n != DEFAULT_MODEL_NAME),
        *([DEFAULT_MODEL_NAME] if DEFAULT_MODEL_NAME in probed else [])]
    if not names:
        raise ConfigError("no models to monitor: add endpoints to the models file "
                          "(baimo.yaml) or name them with -m")
    return cfg, settings, [cfg.get(n) for n in names]


def _print_plan(settings: MonitorSettings, models: list[ModelConfig], as_json: bool) -> None:
    from baimo.monitor.scheduler import describe_plan

    rows = describe_plan(settings, models)
    if as_json:
        emit_json({"every_s": settings.every, "sizes": list(settings.sizes),
                   "output_tokens": settings.output_tokens, "parallel": settings.parallel,
                   "endpoints": rows})
        return
    emit_table([Column("model"), Column("cycles/day", right=True),
                Column("input tok/day", right=True), Column("output tok/day (max)",
                                                            right=True),
                Column("cost/day", right=True)],
               [[r["model"], f"{r['cycles_per_day']:g}", f"{r['input_tokens_per_day']:,}",
                 f"{r['output_tokens_per_day']:,}",
                 f"{r['cost_per_day']:.4f} {r['currency']}"] for r in rows],
               title=f"probe cost: every {_dur(settings.every)}, prompts "
                     f"{'/'.join(str(n) for n in settings.sizes)} tokens, "
                     f"{settings.output_tokens} out, {settings.parallel} parallel "
                     f"every {_dur(settings.parallel_every)}, fidelity every "
                     f"{_dur(settings.fidelity_every)}")


def _monitor(settings: MonitorSettings, models: list[ModelConfig], tokenizer: str | None
             ) -> Any:
    from baimo.monitor.scheduler import Monitor
    from baimo.perf.tokenizer import load_tokenizer
    from baimo.store.store import Store

    tok = load_tokenizer(tokenizer or settings.tokenizer)
    return Monitor(Store(), models, settings, tokenizer=tok)


def _print_outcomes(outcomes: list[CycleOutcome]) -> None:
    for o in outcomes:
        line = (f"{_when(o.slot)} {safe(o.model)}: {o.status}" +
                (f" · {o.probes_sent} probes sent" if o.status == "done" else "") +
                (f" ({o.probes_resumed} already stored)" if o.probes_resumed else "") +
                (f" · {o.failed} failed" if o.failed else "") +
                (f" · {o.empty} empty (answered without content: up, not timed)"
                 if o.empty else "") +
                (f" · {safe(o.detail)}" if o.detail else ""))
        out().print(line, highlight=False)
        for c in o.changes:
            err().print(f"  {safe(c)}", highlight=False)
    _print_alert_errors(outcomes)


def _print_alert_errors(outcomes: list[CycleOutcome]) -> None:
    """Undelivered alerts on standard error, whatever the output format: a monitor run from
    cron is read by its mail, and an alert that did not go out is what matters most."""
    for o in outcomes:
        for e in o.alert_errors:
            err().print(f"error: {safe(e)}", highlight=False)


TokOpt = Annotated[str | None, typer.Option("--tokenizer", help="Client tokenizer: gguf, "
                                            "gguf:PATH, hf:DIR, words or none (default: "
                                            "monitor.tokenizer).")]


@app.command("plan")
def plan_cmd(config: ConfigOpt = None, monitor_file: MonitorFileOpt = None,
             model: ModelOpt = None, every: EveryOpt = None, as_json: JsonFlag = False) -> None:
    """Tokens and cost per endpoint per day of the probes, before anything is sent."""
    _, settings, models = _setup(config, monitor_file, every, model)
    _print_plan(settings, models, as_json)


@app.command("once")
def once_cmd(config: ConfigOpt = None, monitor_file: MonitorFileOpt = None,
             model: ModelOpt = None, every: EveryOpt = None, tokenizer: TokOpt = None,
             as_json: JsonFlag = False) -> None:
    """Run the current slot's cycle of every endpoint (for cron); a done cycle is skipped."""
    _, settings, models = _setup(config, monitor_file, every, model)
    mon = _monitor(settings, models, tokenizer)
    try:
        with sigterm_as_interrupt():
            outcomes = mon.tick()
    except KeyboardInterrupt:
        _interrupted(True)
    finally:
        mon.close()
    if as_json:
        emit_json([o.__dict__ for o in outcomes])
        _print_alert_errors(outcomes)
    else:
        _print_outcomes(outcomes)


@app.command("run")
def run_cmd(config: ConfigOpt = None, monitor_file: MonitorFileOpt = None,
            model: ModelOpt = None, every: EveryOpt = None, tokenizer: TokOpt = None) -> None:
    """Probe every endpoint every --every until stopped (state in the store: restart-safe)."""
    _, settings, models = _setup(config, monitor_file, every, model)
    _print_plan(settings, models, False)
    mon = _monitor(settings, models, tokenizer)
    err().print(f"monitoring {len(models)} endpoint(s) every {_dur(settings.every)}; Ctrl-C "
                "stops (a killed cycle resumes on the next start)", highlight=False)
    try:
        with sigterm_as_interrupt():  # a service manager's stop: as Ctrl-C
            mon.run_forever(on_tick=_print_outcomes)
    except KeyboardInterrupt:
        _interrupted(mon.interrupted_mid_cycle)


def _interrupted(mid_cycle: bool) -> NoReturn:
    """Ctrl-C: say what was kept, and exit 130 as every interrupted command does."""
    err().print("interrupted; the probes already finished are stored and the cycle resumes "
                "on the next start" if mid_cycle else "interrupted between cycles",
                highlight=False)
    raise typer.Exit(130)


def _repo() -> Any:
    from baimo.store.monitor import MonitorRepository
    from baimo.store.store import Store

    return MonitorRepository(Store().engine)


@app.command("status")
def status_cmd(config: ConfigOpt = None, monitor_file: MonitorFileOpt = None,
               model: ModelOpt = None, as_json: JsonFlag = False) -> None:
    """Per endpoint over the window: TTFT and speed with their spread, uptime, failures,
    canaries, failed checks and open incidents (the embedded model too, once probed)."""
    from baimo.monitor.scorecard import endpoint_status

    repo = _repo()
    _, settings, models = _setup(config, monitor_file, None, model, probed=repo.models())
    now = time.time()
    rows = [endpoint_status(repo, m.name, m.family, settings, now) for m in models]
    if as_json:
        emit_json(rows)
        return
    table = []
    for r in rows:
        st, t, v = r["stability"], r["ttft_s"] or {}, r["output_tps"] or {}
        last = _when(r["last_cycle"]) + (f" ({r['last_status']})" if r["last_status"]
                                         not in (None, "done") else "")
        table.append([r["model"], last,
                      _num(t.get("median"), "{:.3f}"),
                      f"{_num(t.get('p5'), '{:.3f}')}–{_num(t.get('p95'), '{:.3f}')}",
                      _num(t.get("cv"), "{:.2f}"), _num(v.get("median"), "{:.1f}"),
                      _pct(st["uptime"]), str(st["empty"]),
                      _num(st["failures_per_day"], "{:.2f}"),
                      _num(st["longest_outage_s"], "{:.0f}"), _pct(st["canary_accuracy"]),
                      ", ".join(r["checks_failed"]) or "—",
                      ", ".join(i["metric"] for i in r["open_incidents"]) or "—"])
    emit_table([Column("model"), Column("last cycle (UTC)"), Column("TTFT p50 s", right=True),
                Column("TTFT p5–p95", right=True), Column("TTFT CV", right=True),
                Column("tok/s p50", right=True), Column("uptime", right=True),
                Column("empty", right=True),
                Column("failures/day", right=True), Column("longest outage s", right=True),
                Column("canaries", right=True), Column("failed checks"),
                Column("open incidents")], table,
               title=f"last {settings.window / 3600:g} h · headline prompt "
                     f"{settings.headline_size} tokens")


@app.command("history")
def history_cmd(name: Annotated[str, typer.Argument(help="The endpoint (model name).")],
                since: Annotated[str, typer.Option(help="How far back, e.g. 72h, 7d.")] = "72h",
                as_json: JsonFlag = False) -> None:
    """One endpoint's cycles (values per cycle) and its incidents, oldest first."""
    from baimo.errors import ConfigError
    from baimo.monitor.scorecard import cycle_state
    from baimo.monitor.settings import parse_duration

    try:
        back = parse_duration(since, "--since")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    repo = _repo()
    now = time.time()
    start = now - back
    cycles = repo.cycles(name, since=start)
    states = [cycle_state(repo, c, now, latest=i == len(cycles) - 1)
              for i, c in enumerate(cycles)]
    incidents = repo.incidents(name, since=start)
    if not cycles and not incidents and name not in (known := repo.models()):
        # A typo or an endpoint never probed: say so, rather than print two empty tables.
        raise ConfigError(
            f"no monitor history for {name!r}: it has never been probed; endpoints with "
            + (f"history: {', '.join(known)}" if known
               else "history: none yet (run `baimo monitor once -c MODELS`)"))
    if as_json:
        emit_json({"model": name,
                   "cycles": [{"slot": c.slot, "status": st, "values": c.values}
                              for c, st in zip(cycles, states, strict=True)],
                   "incidents": [i.__dict__ for i in incidents]})
        return
    emit_table([Column("slot (UTC)"), Column("status"), Column("TTFT s", right=True),
                Column("tok/s", right=True), Column("uptime", right=True),
                Column("empty", right=True),
                Column("canaries", right=True), Column("failed checks")],
               [[_when(c.slot), st, _num(c.values.get("ttft_s"), "{:.3f}"),
                 _num(c.values.get("output_tps"), "{:.1f}"), _pct(c.values.get("uptime")),
                 _num(c.values.get("empty"), "{:d}"),
                 _pct(c.values.get("canary_accuracy")),
                 ", ".join(k[6:] for k, v in c.values.items()
                           if k.startswith("check:") and v == 0.0) or "—"]
                for c, st in zip(cycles, states, strict=True)],
               title=f"{name}: cycles")
    emit_table([Column("#", right=True), Column("metric"), Column("started (UTC)"),
                Column("resolved (UTC)"), Column("detail"), Column("notified")],
               [[i.id, i.metric, _when(i.started_at), _when(i.resolved_at), i.detail or "",
                 "yes" if i.notified_at else ("error: " + i.notify_error if i.notify_error
                                               else "no")] for i in incidents],
               title=f"{name}: incidents")


@app.command("vendors")
def vendors_cmd(config: ConfigOpt = None, monitor_file: MonitorFileOpt = None,
                family: Annotated[str | None, typer.Option(help="Only this family.")] = None,
                as_json: JsonFlag = False) -> None:
    """The same model at different vendors: speed and its stability, uptime, price,
    fidelity checks and canary agreement with the reference deployment."""
    from baimo.monitor.scorecard import vendor_scorecard

    cfg, settings, _ = _setup(config, monitor_file, None, None)
    models = [m for m in cfg.models.values() if m.family and (family is None
                                                               or m.family == family)]
    card = vendor_scorecard(_repo(), models, settings, time.time())
    if as_json:
        emit_json(card)
        return
    if not card:
        out().print("no model has a family: add e.g. `family: deepseek-v3` to the endpoints "
                    "of one model in the models file", highlight=False)
        return
    for fam, rows in card.items():
        emit_table([Column("vendor endpoint"), Column("TTFT p50 s", right=True),
                    Column("TTFT CV", right=True), Column("tok/s p50", right=True),
                    Column("uptime", right=True), Column("failures/day", right=True),
                    Column("blended price/1M", right=True), Column("checks", right=True),
                    Column("failed"), Column("canary agreement", right=True)],
                   [[r["model"] + (" (reference)" if r["reference"] else ""),
                     _num(r["ttft_median_s"], "{:.3f}"), _num(r["ttft_cv"], "{:.2f}"),
                     _num(r["output_tps_median"], "{:.1f}"), _pct(r["uptime"]),
                     _num(r["failures_per_day"], "{:.2f}"),
                     "unpriced" if r["blended_price_per_1m"] is None else
                     f"{r['blended_price_per_1m']:.3g} {r['currency']}",
                     f"{r['checks_passed']}/{r['checks_judged']}",
                     ", ".join(r["checks_failed"]) or "—", _pct(r["canary_agreement"])]
                    for r in rows], title=f"family {fam}")
