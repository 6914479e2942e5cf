"""``baimo perf``: performance under load; ``perf calibrate``; ``perf compare RUN...``."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from baimo.cli.console import (
    Column,
    build_table,
    emit_json,
    emit_table,
    err,
    new_app,
    out,
    safe,
)
from baimo.errors import ConfigError
from baimo.signals import sigterm_as_interrupt
from baimo.tabular import write_user_file

if TYPE_CHECKING:
    from rich.table import Table

    from baimo.config import ModelConfig
    from baimo.store.records import RunRecord

app = new_app("API and engine performance under load.", no_args_is_help=False)


def _ms(v: float | None, digits: int = 1) -> str:
    return "—" if v is None else f"{v * 1e3:.{digits}f}"


def _print_level(model: str, s: dict[str, Any]) -> None:
    m = s["metrics"]
    req = s["requests"]
    errs = safe(", ".join(f"{k}={v}" for k, v in sorted(s["errors"]["by_kind"].items())))
    line = (f"[bold]{safe(model)}[/] {safe(s['level'])}: {req['ok']}/{req['measured']} ok"
            + (f" [red]({errs})[/]" if errs else "")
            + f" · TTFT p50 {_ms(m['ttft_s']['p50'])} ms p99 {_ms(m['ttft_s']['p99'])} ms"
            f" · ITL p50 {_ms(m['itl_s']['p50'], 2)} ms · TPOT p50 {_ms(m['tpot_s']['p50'], 2)}"
            f" ms · {s['throughput']['output_tokens_per_s']:.1f} out tok/s")
    out().print(line, highlight=False)
    client = s.get("client")
    if client and client["limited"]:
        out().print(f"  [red]{safe(client['verdict'])}[/]", highlight=False)


def _summary_table(levels: list[dict[str, Any]]) -> Table:
    """The run's headline numbers, narrow enough for an 80-column terminal (all of them are
    in --json and --csv)."""
    from rich.text import Text

    cols = [Column(h, right=h not in ("model", "level")) for h in (
        "model", "level", "ok", "TTFT p50", "p99", "ITL p50", "TPOT p50", "E2E p50",
        "out tok/s", "goodput/s", "client")]
    rows = []
    for s in levels:
        m = s["metrics"]
        client = s.get("client") or {}
        e2e = m["e2e_s"]["p50"]
        rows.append([s["model"], s["level"], f"{s['requests']['ok']}/{s['requests']['measured']}",
                     _ms(m["ttft_s"]["p50"]), _ms(m["ttft_s"]["p99"]), _ms(m["itl_s"]["p50"], 2),
                     _ms(m["tpot_s"]["p50"], 2), "—" if e2e is None else f"{e2e * 1e3:.0f}",
                     f"{s['throughput']['output_tokens_per_s']:.1f}",
                     f"{s['goodput']['requests_per_s']:.2f}",
                     "—" if not client else (Text("LIMITED", "red") if client.get("limited")
                                             else "ok")])
    return build_table(cols, rows, title="baimo perf (ms unless marked; TTFT from send)")


def _print_hosts(levels: list[dict[str, Any]]) -> None:
    """Per client host of a cluster run: its clock's offset from the driver and its own
    client-health verdict (the level's verdict above covers all of them)."""
    for s in levels:
        for w in (s.get("client") or {}).get("workers", []):
            if "host" not in w:
                continue
            out().print(safe(f"{s['model']} {s['level']} client {w['worker']} on {w['host']}: "
                             f"clock offset {w['clock_offset_ms']:+.3f} ms "
                             f"(± {w['clock_uncertainty_ms']:.3f} ms); {w['verdict']}"),
                        highlight=False)


def _models(config: Path | None, names: list[str], url: str | None, model_id: str | None
            ) -> list[ModelConfig]:
    from baimo.config import load_config, model_for_url

    if url:
        name = names[0] if names else (model_id or "target")
        return [model_for_url(name, url, model_id)]
    cfg = load_config(config)
    return [cfg.get(n) for n in names] if names else [cfg.get(cfg.default_model)]


@app.callback(invoke_without_command=True)
def perf(
    ctx: typer.Context,
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Model name(s) from "
                     "the models file (default: the embedded model).")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Models file.")] = None,
    url: Annotated[str | None, typer.Option(help="Measure any OpenAI-compatible server at "
                   "this base URL (e.g. http://127.0.0.1:8000/v1) without a models file.")
                   ] = None,
    model_id: Annotated[str | None, typer.Option(help="Model id to send with --url.")] = None,
    concurrency: Annotated[str | None, typer.Option(help="Closed-loop levels, e.g. 1,4,16,64 "
                           "(not with --trace).")] = None,
    rate: Annotated[str | None, typer.Option(help="Open-loop levels in requests/s, e.g. 5,10 "
                    "(not with --trace).")] = None,
    arrivals: Annotated[str, typer.Option(help="Open-loop arrivals: poisson, gamma or "
                        "constant.")] = "poisson",
    gamma_shape: Annotated[float, typer.Option(help="Gamma arrivals: shape (<1 burstier).")
                           ] = 0.5,
    max_concurrency: Annotated[int | None, typer.Option(help="Open loop (--rate, --trace): cap "
                               "on requests in flight (at least 1).")] = None,
    trace: Annotated[Path | None, typer.Option(help="Replay a JSONL trace as given, at its "
                     "own times: one request a line, with 'offset' (seconds from the start; "
                     "or 'timestamp' in ms; at most 24 h), 'prompt'/'messages' or "
                     "'input_tokens', and 'max_tokens' (a line's own wins over "
                     "--output-tokens). Not with --concurrency or --rate.")] = None,
    requests: Annotated[int | None, typer.Option(help="Measured requests per level (default "
                        "100; a trace: all its lines). With --duration: whichever comes "
                        "first.")] = None,
    duration: Annotated[float | None, typer.Option(help="Seconds measured per level. With "
                        "--requests: whichever comes first.")] = None,
    warmup: Annotated[str | None, typer.Option(help="Warm-up before measuring: requests (10) "
                      "or seconds (5s).")] = None,
    cooldown: Annotated[str | None, typer.Option(help="Cool-down after measuring: requests "
                        "or seconds.")] = None,
    input_tokens: Annotated[int, typer.Option(help="Synthetic prompt length in tokens.")
                            ] = 512,
    output_tokens: Annotated[int, typer.Option(help="max_tokens of every request whose "
                             "prompt does not set its own (a trace line's or a task's "
                             "max_tokens wins; the run's notes say how many did).")] = 256,
    shared_prefix: Annotated[int, typer.Option(help="Tokens shared at the start of every "
                             "prompt (0 = all unique).")] = 0,
    ignore_eos: Annotated[str, typer.Option(help="auto, on or off: send ignore_eos/"
                          "min_tokens.")] = "auto",
    suite: Annotated[str | None, typer.Option(help="Use a suite's prompts.")] = None,
    task: Annotated[Path | None, typer.Option(help="Use a task file's prompts.")] = None,
    dataset: Annotated[Path | None, typer.Option(help="Use a dataset file's prompts.")
                       ] = None,
    tokenizer: Annotated[str | None, typer.Option(help="Client tokenizer: gguf, gguf:PATH, "
                         "hf:DIR, words or none.")] = None,
    slo: Annotated[str | None, typer.Option(help="Goodput SLOs, e.g. ttft=1s,tpot=50ms (each "
                   "key once, each more than 0).")] = None,
    processes: Annotated[int, typer.Option(help="Client processes (one event loop each).")
                         ] = 1,
    endpoint: Annotated[str, typer.Option(help="chat or completions.")] = "chat",
    timeout: Annotated[float | None, typer.Option(help="Per-request time limit in seconds.")
                       ] = None,
    ignore_limits: Annotated[bool, typer.Option(help="Do not pace to the model's rpm/tpm.")
                             ] = False,
    seed: Annotated[int, typer.Option(help="Seed of prompts and arrivals.")] = 0,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the summary JSON to "
                        "this file ('-': print it instead of the tables).")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the summary CSV.")
                       ] = None,
    report: Annotated[Path | None, typer.Option(help="Write the HTML report.")] = None,
    executor: Annotated[str, typer.Option(help="Where the load comes from: local (client "
                                          "processes here) or ray (client actors on a Ray "
                                          "cluster, several hosts where it has them).")
                        ] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster: auto or ray://HOST:PORT "
                                                "(with --executor ray).")] = None,
    clients: Annotated[int | None, typer.Option(help="Client actors (with --executor ray; "
                       "default 2).")] = None,
) -> None:
    """Measure latency, throughput, errors and goodput under load, without client error."""
    if ctx.invoked_subcommand is not None:
        return
    from baimo.perf.loads import parse_levels, stop_rule
    from baimo.perf.metrics import parse_slo
    from baimo.perf.runner import PerfSpec, run_perf, summary_csv
    from baimo.store.store import Store

    # Option values are checked by the shared parsers and ``PerfSpec.check`` (one place for
    # the command line, web jobs and library callers), all before a run is recorded.
    if executor not in ("local", "ray"):
        raise ConfigError(f"unknown --executor '{executor}'; use local or ray")
    if executor == "ray":
        clients = 2 if clients is None else clients
        if clients < 1:
            raise ConfigError("--clients must be at least 1")
        processes = clients
    elif address is not None or clients is not None:
        # Refused, not ignored: "--clients 3" here would be read as three clients' load.
        given = [o for o, v in (("--address", address), ("--clients", clients)) if v is not None]
        raise ConfigError(f"{' and '.join(given)} {'needs' if len(given) == 1 else 'need'} "
                          "--executor ray (use --processes N for client processes here)")
    levels = parse_levels(concurrency, rate, trace is not None, max_concurrency)
    spec = PerfSpec(levels=levels, requests=requests, duration_s=duration, warmup=warmup,
                    cooldown=cooldown, arrivals=arrivals,  # type: ignore[arg-type]
                    gamma_shape=gamma_shape, input_tokens=input_tokens,
                    output_tokens=output_tokens, shared_prefix=shared_prefix,
                    ignore_eos=ignore_eos, suite=suite, task=task, dataset=dataset,
                    trace=trace, tokenizer=tokenizer, slo=parse_slo(slo),
                    processes=processes, endpoint=endpoint, timeout_s=timeout,
                    respect_limits=not ignore_limits, seed=seed)
    spec.check()
    models = _models(config, model or [], url, model_id)
    store = Store()
    command = "baimo " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    to_stdout = json_out is not None and str(json_out) == "-"
    if requests is not None and duration is not None and not to_stdout:
        # Said before the run: both stop conditions apply, and the user should not have to
        # guess which one will end a level (the JSON's settings.stop says it too).
        out().print(safe(stop_rule(requests, duration)), highlight=False)
    pool = None
    if executor == "ray":
        from baimo.scale.perf import RayPerfPool

        pool = RayPerfPool(processes, address)
    before = {r.id for r in store.runs.recent(5)}
    try:
        # SIGTERM (a web job's cancel) means what Ctrl-C means: keep what finished.
        with sigterm_as_interrupt():
            outcome = run_perf(store, spec, models, command=command,
                               on_level=None if to_stdout else _print_level, pool=pool)
    except KeyboardInterrupt:
        # This command's run, if it got as far as recording one: inputs are read before the
        # run exists, and the newest run of the store may be another command's.
        mine = [r for r in store.runs.recent(5) if r.id not in before and r.kind == "perf"
                and r.command == command]
        if mine:
            kept = sum(1 for _ in store.perf.requests([mine[0].id]))
            err().print(f"interrupted: run {safe(mine[0].id)} keeps the {kept} requests that "
                        "had finished (see: baimo runs show)", highlight=False)
        else:
            err().print("interrupted before the run was recorded: nothing was sent",
                        highlight=False)
        raise typer.Exit(130) from None
    finally:
        if pool is not None:
            pool.close()
    levels_out = [s for v in outcome.summaries.values() for s in v]
    if to_stdout:
        emit_json(outcome.as_json())
        _exit_if_failed(outcome.status)
        return
    con = out()
    con.print(_summary_table(levels_out))
    _print_hosts(levels_out)
    for name, notes in outcome.notes.items():
        for note in notes:
            con.print(f"[dim]{safe(name)}: {safe(note)}[/]", highlight=False)
    for summ in levels_out:
        cost = summ.get("cost") or {}
        got = summ["rate"]
        limits = ", ".join(f"{k.upper()} {got[k]:.0f} of limit {got[k + '_limit']:g}"
                           for k in ("rpm", "tpm") if got.get(k + "_limit"))
        if cost.get("total") or limits:
            con.print(safe(f"{summ['model']} {summ['level']}: "
                           + (f"cost {cost['per_1m_output_tokens']:.4f} {cost['currency']} per "
                              f"1M output tokens, {cost['per_request']:.6f} per request"
                              if cost.get("total") else "")
                           + ("; " if cost.get("total") and limits else "") + limits),
                      highlight=False)
    for name, lv in outcome.summaries.items():
        knee = next((s["knee"] for s in lv if "knee" in s), None)
        if knee:
            con.print(f"{safe(name)}: throughput knee at concurrency {knee['concurrency']:g} "
                      f"({knee['output_tokens_per_s']:.1f} output tok/s)", highlight=False)
    if json_out is not None:
        import orjson

        write_user_file(json_out, orjson.dumps(outcome.as_json(), option=orjson.OPT_INDENT_2
                                            | orjson.OPT_NON_STR_KEYS), "JSON result")
        con.print(f"json: {safe(json_out.resolve())}", highlight=False)
    if csv_out is not None:
        write_user_file(csv_out, summary_csv(levels_out), "CSV summary")
        con.print(f"csv: {safe(csv_out.resolve())}", highlight=False)
    if report is not None:
        from baimo.reports.perf import write_perf_report

        write_perf_report(store, [outcome.run_id], report)
        con.print(f"report: {safe(report.resolve())}", highlight=False)
    for name, why in outcome.failed.items():
        err().print(f"[red]model {safe(name)} failed:[/] {safe(why)}", highlight=False,
                    soft_wrap=True)
    con.print(f"run: {outcome.run_id} ({outcome.status}) · store: {safe(store.safe_url)}",
              highlight=False)
    _exit_if_failed(outcome.status)


def _exit_if_failed(status: str) -> None:
    """Exit 1 when no model measured anything (as ``baimo eval`` does when no model
    answered): a script must not read a sweep of errors as a measurement. The reasons are
    printed above, and the errors are stored with the run."""
    if status == "failed":
        raise typer.Exit(1)


@app.command("calibrate")
def calibrate_cmd(
    requests: Annotated[int, typer.Option(help="Requests per overhead measurement.")] = 200,
    ttft: Annotated[float, typer.Option(help="Known-latency check: seconds to first chunk.")
                    ] = 0.2,
    itl: Annotated[float, typer.Option(help="Known-latency check: seconds between chunks.")
                   ] = 0.02,
    tokens: Annotated[int, typer.Option(help="Known-latency check: tokens (one per chunk).")
                      ] = 100,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the result JSON to "
                        "this file ('-': print it instead).")] = None,
) -> None:
    """Measure the harness's own overhead and error against baimo's test server, which runs
    as a separate program (python -m baimo.testing.mockserver)."""
    from baimo.perf.runner import calibrate

    res = calibrate(requests=requests, ttft_s=ttft, itl_s=itl, tokens=tokens)
    if json_out is not None and str(json_out) == "-":
        emit_json(res)
        return
    con = out()
    o = res["overhead"]
    con.print("[bold]harness overhead[/] (zero-latency mock server in its own process, "
              "closed loop, concurrency 1)")
    con.print(f"  per request: {o['client_cpu_per_request_ms']:.3f} ms client CPU; "
              f"TTFT floor p50 {o['ttft_floor_p50_ms']:.3f} ms, E2E floor p50 "
              f"{o['e2e_floor_p50_ms']:.3f} ms", highlight=False)
    if o.get("client_cpu_per_request_method", "").startswith("mean"):
        con.print("  (per request: the difference of the two run lengths was within noise; "
                  "this is the mean of the longer run, fixed costs included — use more "
                  "--requests)", highlight=False)
    con.print(f"  per chunk:   {o['client_cpu_per_chunk_us']:.2f} µs client CPU",
              highlight=False)
    k = res["known_latency"]
    c = k["config"]
    con.print(f"[bold]measured vs true[/] (ttft {c['ttft_s'] * 1e3:g} ms, itl "
              f"{c['itl_s'] * 1e3:g} ms, {c['tokens']} tokens, {c['requests']} requests "
              f"arriving {c['rate']:g}/s)")
    for key, label in (("ttft_s", "TTFT"), ("itl_s", "ITL"), ("e2e_s", "E2E")):
        m = k["metrics"][key]
        con.print(f"  {label:<4} true {m['true'] * 1e3:9.3f} ms  measured p50 "
                  f"{(m['measured_p50'] or 0) * 1e3:9.3f} ms  error "
                  f"{(m['error_p50_ms'] or 0):+.3f} ms", highlight=False)
    con.print(f"  (TTFT and E2E include the {o['ttft_floor_p50_ms']:.3f} ms floor above: "
              "loopback round trip and request handling, which any client sees)",
              highlight=False)
    con.print(f"  server's own lateness (mean): {k['server_lag_mean_ms']:.3f} ms",
              highlight=False)
    con.print(f"  {safe(k['client_verdict'])}", highlight=False)
    if json_out is not None:
        import orjson

        write_user_file(json_out, orjson.dumps(res, option=orjson.OPT_INDENT_2), "JSON result")
        con.print(f"json: {safe(json_out.resolve())}", highlight=False)


@app.command("compare")
def compare_cmd(
    runs: Annotated[list[str], typer.Argument(help="Perf run ids (or prefixes, or 'latest').")],
    report: Annotated[Path | None, typer.Option(help="Write an HTML comparison report.")
                      ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the levels as JSON to "
                        "this file ('-': print them instead of the table).")] = None,
) -> None:
    """Compare stored perf runs level by level, model against model.

    A run with no measured level (it failed, or was interrupted before its first level
    ended) has nothing to compare: it is named with its status and the command exits 1 (no
    result, as baimo perf does when nothing was measured), after showing the other runs'
    levels, so that a script never reads an empty table as a comparison."""
    from baimo.perf import level_summaries
    from baimo.reports.perf import compare_table, write_perf_report
    from baimo.store.store import Store

    store = Store()
    ids = [store.runs.resolve(r) for r in runs]
    records = {rid: store.runs.get(rid) for rid in ids}
    for rid, rec in records.items():
        if rec.kind != "perf":
            raise ConfigError(f"run {rid} is not a perf run")
    levels = level_summaries(store, ids)
    measured = {s["run_id"] for s in levels}
    empty = [rid for rid in dict.fromkeys(ids) if rid not in measured]
    if json_out is not None and str(json_out) == "-":
        emit_json(levels)
        _exit_if_unmeasured(records, empty, levels)
        return
    if levels:
        head, rows = compare_table(levels)
        emit_table([Column(h, right=i >= 3) for i, h in enumerate(head)], rows,
                   title="perf compare")
    con = out()
    if json_out is not None:
        import orjson

        write_user_file(json_out, orjson.dumps(levels, option=orjson.OPT_INDENT_2),
                     "JSON result")
        con.print(f"json: {safe(json_out.resolve())}", highlight=False)
    if report is not None:
        write_perf_report(store, ids, report)
        con.print(f"report: {safe(report.resolve())}", highlight=False)
    _exit_if_unmeasured(records, empty, levels)


def _exit_if_unmeasured(records: dict[str, RunRecord], empty: list[str],
                        levels: list[dict[str, Any]]) -> None:
    """Name each run with no measured level, with its status and its models' reasons, and
    exit 1: the comparison is missing them (or is empty), which is no result. A model
    missing from a run that has other levels is named too, without changing the exit."""
    have = {(s["run_id"], s["model"]) for s in levels}
    for rid, rec in records.items():
        if rid in empty:
            continue
        for m in rec.models:
            if (rid, m.model_name) not in have:
                err().print(safe(f"run {rid}: model {m.model_name} ({m.status}) has no "
                                 "measured levels" + (f": {m.reason}" if m.reason else "")),
                            highlight=False, soft_wrap=True)
    for rid in empty:
        rec = records[rid]
        whys = "; ".join(f"{m.model_name}: {m.reason}" for m in rec.models if m.reason)
        err().print(safe(f"run {rid} ({rec.status}) has no measured levels to compare"
                         + (f" ({whys})" if whys else "")
                         + ". Compare runs whose levels finished (see: baimo runs list)"),
                    highlight=False, soft_wrap=True)
    if empty:
        raise typer.Exit(1)
