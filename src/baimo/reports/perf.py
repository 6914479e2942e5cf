"""Perf pages of the HTML report (a renderer: the numbers come from ``baimo.perf``): distributions, latency against load, throughput and knee,
model against model, stability over time, and the client's own health.

``perf_sections(report, runs, rows)`` is what the main report calls: it works from the
stored rows alone (recomputing every metric), and uses the stored level summaries when it is
given them (``levels=``), because only those carry the client-health verdicts.
``write_perf_report`` does both from a store.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from baimo.config import Pricing
from baimo.perf import knee, level_summaries, rows_from_store, summarize_level
from baimo.reports.html import Raw, Report, esc, table
from baimo.store.records import PerfRequestRecord, RunRecord
from baimo.tabular import write_user_file

__all__ = ["compare_table", "perf_report_sections", "perf_sections", "write_perf_report"]

_MAX_SERIES = 10


def _ms(v: float | None, digits: int = 1) -> str:
    return "—" if v is None else f"{v * 1e3:.{digits}f}"


def _num(v: float | None, fmt: str = "{:.1f}") -> str:
    return "—" if v is None else fmt.format(v)


def _load_of(label: str) -> dict[str, Any]:
    m = re.match(r"^c=(\d+)$", label)
    if m:
        return {"kind": "concurrency", "value": float(m.group(1))}
    m = re.match(r"^rate=([\d.]+)/s$", label)
    if m:
        return {"kind": "rate", "value": float(m.group(1))}
    return {"kind": "trace", "value": 1.0}


def summaries_from_rows(runs: Sequence[RunRecord], rows: Sequence[PerfRequestRecord]
                        ) -> list[dict[str, Any]]:
    """Level summaries recomputed from ``perf_requests`` rows (no client health)."""
    info = {r.id: r for r in runs}
    groups: dict[tuple[str, str, str], list[PerfRequestRecord]] = defaultdict(list)
    first: dict[tuple[str, str, str], int] = {}
    for i, row in enumerate(rows):
        key = (row.run_id, row.model_name, row.level)
        groups[key].append(row)
        first.setdefault(key, i)
    out = []
    for key in sorted(groups, key=lambda k: first[k]):
        run_id, model, label = key
        run = info.get(run_id)
        spec = run.spec if run is not None else {}
        mcfg = next((m.model for m in (run.models if run is not None else ())
                     if m.model_name == model), {})
        pricing = Pricing(**mcfg["pricing"]) if mcfg.get("pricing") else None
        limits = mcfg.get("limits") or {}
        s = summarize_level(rows_from_store(groups[key]), slo=spec.get("slo_s") or {},
                                    rpm_limit=limits.get("rpm"), tpm_limit=limits.get("tpm"),
                                    pricing=pricing)
        s.update(run_id=run_id, model=model, level=label, load=_load_of(label))
        out.append(s)
    return out


def _series_name(s: dict[str, Any], multi_run: bool) -> str:
    name = f"{s['model']} {s['level']}"
    return f"{name} ({s['run_id'][-6:]})" if multi_run else name


def _cdf(values: list[float], points: int = 60) -> list[list[float]]:
    if not values:
        return []
    arr = np.sort(np.asarray(values, dtype=np.float64))
    qs = np.linspace(0, 100, points)
    xs = np.percentile(arr, qs)
    return [[round(float(x) * 1e3, 3), round(float(q), 2)] for x, q in zip(xs, qs, strict=True)]


def _line_option(title_x: str, title_y: str, series: list[dict[str, Any]],
                 x_type: str = "value", x_log: bool = False) -> dict[str, Any]:
    return {"tooltip": {"trigger": "axis"}, "legend": {"type": "scroll", "top": 0},
            "grid": {"left": 60, "right": 30, "bottom": 50, "top": 60},
            "xAxis": {"type": "log" if x_log else x_type, "name": title_x,
                      "nameLocation": "middle", "nameGap": 28},
            "yAxis": {"type": "value", "name": title_y}, "series": series}


def perf_sections(report: Report, runs: Sequence[RunRecord], rows: Sequence[PerfRequestRecord],
                  levels: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Add the perf pages to ``report``; returns the level summaries they were built from.

    Args:
        report: The report being built.
        runs: ``store.runs.get`` of each run (for SLOs, prices and limits).
        rows: ``store.perf.requests`` of those runs (for distributions).
        levels: Stored summaries (``baimo.perf.level_summaries``), if available: they add the
            client-health verdicts. Without them the metrics are recomputed from ``rows``.
    """
    summaries = levels if levels is not None else summaries_from_rows(runs, rows)
    if not summaries:
        return []
    multi_run = len({s["run_id"] for s in summaries}) > 1
    by_key: dict[tuple[str, str, str], list[PerfRequestRecord]] = defaultdict(list)
    for r in rows:
        by_key[(r.run_id, r.model_name, r.level)].append(r)

    # Overview --------------------------------------------------------------------------
    head = ["model", "level", "ok / measured", "errors", "TTFT p50 ms", "TTFT p99 ms",
            "TTFT from sched. p99 ms", "ITL p50 ms", "TPOT p50 ms", "E2E p50 s",
            "output tok/s", "RPM (limit)", "goodput req/s", "cost / 1M out", "client"]
    body = []
    for s in summaries:
        m = s["metrics"]
        cost = s.get("cost") or {}
        client = s.get("client")
        verdict = "—" if client is None else (
            Raw('<span class="bad">client-limited</span>') if client["limited"] else "ok")
        rpm = _num(s["rate"]["rpm"], "{:.0f}")
        if s["rate"].get("rpm_limit"):
            rpm += f" ({s['rate']['rpm_limit']:g})"
        errs = ", ".join(f"{k} {v}" for k, v in sorted(s["errors"]["by_kind"].items())) or "0"
        body.append([
            s["model"] + (f" ({s['run_id'][-6:]})" if multi_run else ""), s["level"],
            f"{s['requests']['ok']} / {s['requests']['measured']}", errs,
            _ms(m["ttft_s"]["p50"]), _ms(m["ttft_s"]["p99"]),
            _ms(m["ttft_from_scheduled_s"]["p99"]), _ms(m["itl_s"]["p50"], 2),
            _ms(m["tpot_s"]["p50"], 2), _num(m["e2e_s"]["p50"], "{:.3f}"),
            _num(s["throughput"]["output_tokens_per_s"]), rpm,
            _num(s["goodput"]["requests_per_s"], "{:.2f}"),
            "—" if cost.get("per_1m_output_tokens") is None else
            f"{cost['per_1m_output_tokens']:.2f} {cost['currency']}", verdict])
    notes = ('<p class="note">TTFT = first content chunk − send; "from sched." counts from '
             "the time the request was due, so it includes client-side queueing (coordinated "
             "omission). ITL = pooled gaps between content chunks (per chunk, not per token); "
             "TPOT = (E2E − TTFT)/(output tokens − 1); E2E = send → last content chunk. "
             "Throughput = Σ output tokens / (first send → last completion of a measured "
             "request). Goodput = measured requests per second meeting every SLO. Cost per "
             "1M output tokens includes the prompt tokens at the configured prices.</p>")
    report.section("Performance overview", table(head, body, numeric_from=2) + notes)

    # Distributions ---------------------------------------------------------------------
    ttft_series, itl_series = [], []
    for s in summaries[:_MAX_SERIES]:
        rs = rows_from_store(by_key.get((s["run_id"], s["model"], s["level"]), []))
        ok = [r for r in rs if r["phase"] == "measure" and r["status"] == "ok"]
        ttft = [r["first_token"] - r["sent"] for r in ok]
        itl = [float(g) for r in ok for g in np.diff(r["chunk_times"])]
        name = _series_name(s, multi_run)
        if ttft:
            ttft_series.append({"name": name, "type": "line", "showSymbol": False,
                                "data": _cdf(ttft)})
        if itl:
            itl_series.append({"name": name, "type": "line", "showSymbol": False,
                               "data": _cdf(itl)})
    charts = []
    if ttft_series:
        charts.append((_line_option("TTFT (ms)", "percentile", ttft_series), 320))
    if itl_series:
        charts.append((_line_option("ITL, gap between chunks (ms)", "percentile",
                                    itl_series), 320))
    if charts:
        report.section("TTFT and ITL distributions", '<p class="note">Cumulative '
                       "distributions over the measured requests of each level: the "
                       "percentile (y) of requests (TTFT) or chunk gaps (ITL) at or below each "
                       "latency (x).</p>", charts=charts)

    # Latency against load, throughput against concurrency (knee) -------------------------
    models = list(dict.fromkeys((s["run_id"], s["model"]) for s in summaries))
    lat_series, thr_series = [], []
    knees = []
    for run_id, model in models:
        pts = [s for s in summaries if s["run_id"] == run_id and s["model"] == model
               and s["load"]["kind"] in ("concurrency", "rate")]
        if not pts:
            continue
        name = model + (f" ({run_id[-6:]})" if multi_run else "")
        kind = pts[0]["load"]["kind"]
        same = [p for p in pts if p["load"]["kind"] == kind]
        xs = [p["load"]["value"] for p in same]
        for label, key, q in (("TTFT p50", "ttft_s", "p50"), ("TTFT p99", "ttft_s", "p99"),
                              ("E2E p50", "e2e_s", "p50")):
            lat_series.append({"name": f"{name} {label}", "type": "line", "data": [
                [x, None if p["metrics"][key][q] is None else round(p["metrics"][key][q] * 1e3,
                                                                       2)]
                for x, p in zip(xs, same, strict=True)]})
        ys = [p["throughput"]["output_tokens_per_s"] for p in same]
        series: dict[str, Any] = {"name": name, "type": "line",
                                  "data": [[x, round(y, 2)] for x, y in zip(xs, ys, strict=True)]}
        k = knee(xs, ys) if kind == "concurrency" else None
        if k is not None:
            series["markPoint"] = {"data": [{"coord": [xs[k], round(ys[k], 2)],
                                             "value": "knee"}]}
            knees.append(f"{esc(name)}: knee at concurrency {xs[k]:g} "
                         f"({ys[k]:.1f} output tok/s)")
        thr_series.append(series)
    if lat_series:
        report.section("Latency against load", '<p class="note">Latency in ms at each load '
                       "level (concurrency or request rate).</p>",
                       charts=[(_line_option("load (concurrency or requests/s)", "ms",
                                             lat_series, x_log=True), 340)])
    if thr_series:
        text = ("<p>" + "<br>".join(knees) + "</p>") if knees else ""
        report.section("Throughput against load", text + '<p class="note">Output tokens per '
                       "second over the measured window. The knee (marked) is the level past "
                       "which more concurrency buys little throughput and mostly adds "
                       "latency.</p>",
                       charts=[(_line_option("load (concurrency or requests/s)",
                                             "output tokens/s", thr_series, x_log=True), 340)])

    # Model against model -----------------------------------------------------------------
    if len(models) > 1:
        by_level: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for s in summaries:
            by_level[s["level"]].append(s)
        comp_rows = []
        for label, group in by_level.items():
            if len(group) < 2:
                continue
            for s in group:
                m = s["metrics"]
                cost = s.get("cost") or {}
                comp_rows.append([label, s["model"] + (f" ({s['run_id'][-6:]})" if multi_run
                                                       else ""),
                                  _ms(m["ttft_s"]["p50"]), _ms(m["tpot_s"]["p50"], 2),
                                  _num(m["e2e_s"]["p50"], "{:.3f}"),
                                  _num(s["throughput"]["output_tokens_per_s"]),
                                  f"{s['errors']['rate']:.1%}",
                                  _num(s["goodput"]["requests_per_s"], "{:.2f}"),
                                  _num(cost.get("per_request"), "{:.6f}")])
        if comp_rows:
            report.section("Model against model", table(
                ["level", "model", "TTFT p50 ms", "TPOT p50 ms", "E2E p50 s", "output tok/s",
                 "error rate", "goodput req/s", "cost / request"], comp_rows, numeric_from=2)
                + '<p class="note">Models measured at the same load level, side by side.</p>')

    # Stability ----------------------------------------------------------------------------
    ts_series = []
    for s in summaries[:_MAX_SERIES]:
        ts = s.get("timeseries") or []
        if ts:
            ts_series.append({"name": _series_name(s, multi_run), "type": "line",
                              "showSymbol": False,
                              "data": [[p["t"], round(p["output_tokens_per_s"], 2)]
                                       for p in ts]})
    if ts_series:
        report.section("Stability over time", '<p class="note">Output tokens per second in '
                       "1-second buckets from the start of each level (warm-up and cool-down "
                       "included).</p>",
                       charts=[(_line_option("seconds from level start", "output tokens/s",
                                             ts_series), 320)])

    # Client health ------------------------------------------------------------------------
    health = [s for s in summaries if s.get("client")]
    if health:
        health_rows = [[s["model"], s["level"],
                        _num(s["client"].get("loop_lag_p99_ms"), "{:.2f}"),
                        "—" if s["client"].get("loop_cpu_max_mean") is None
                        else f"{s['client']['loop_cpu_max_mean']:.0%}",
                        "—" if s["client"].get("machine_busy_mean") is None
                        else f"{s['client']['machine_busy_mean']:.0%}",
                        s["client"]["processes"],
                        Raw('<span class="bad">client-limited</span>')
                        if s["client"]["limited"] else "ok"] for s in health]
        verdicts = "".join(
            f'<li><b>{esc(s["model"])} {esc(s["level"])}</b>: '
            + (f'<span class="bad">{esc(s["client"]["verdict"])}</span>'
               if s["client"]["limited"] else esc(s["client"]["verdict"])) + "</li>"
            for s in health)
        report.section("Client health", table(
            ["model", "level", "loop lag p99 ms", "loop CPU", "machine CPU", "processes",
             "client"], health_rows, numeric_from=2) + f"<ul>{verdicts}</ul>"
            + '<p class="note">The measuring client watches its own event loop (how late a '
            "10 ms timer fires) and CPU. When it could not keep up, its timestamps are late "
            "and the level is flagged.</p>")
    return summaries


def perf_report_sections(report: Report, store: Any, run_ids: list[str]
                         ) -> list[dict[str, Any]]:
    """``perf_sections`` from a store: rows, runs and the stored level summaries."""
    runs = [store.runs.get(r) for r in run_ids]
    perf_ids = [r.id for r in runs if r.kind == "perf"]
    if not perf_ids:
        return []
    levels = level_summaries(store, perf_ids) or None
    return perf_sections(report, runs, store.perf.requests(perf_ids), levels)


def write_perf_report(store: Any, run_ids: list[str], out: Path) -> Path:
    """A perf-only HTML report of the given runs."""
    report = Report("performance", f"perf runs {', '.join(run_ids)}")
    perf_report_sections(report, store, run_ids)
    write_user_file(out, report.render(), "report")
    return out


def compare_table(levels: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows comparing stored levels across runs and models (``perf compare``)."""
    head = ["run", "model", "level", "ok/meas.", "TTFT p50 ms", "TTFT p99 ms", "ITL p50 ms",
            "TPOT p50 ms", "E2E p50 s", "out tok/s", "goodput/s", "err %", "cost/1M out",
            "client"]
    rows = []
    for s in levels:
        m = s["metrics"]
        cost = s.get("cost") or {}
        client = s.get("client") or {}
        rows.append([s["run_id"], s["model"], s["level"],
                     f"{s['requests']['ok']}/{s['requests']['measured']}",
                     _ms(m["ttft_s"]["p50"]), _ms(m["ttft_s"]["p99"]),
                     _ms(m["itl_s"]["p50"], 2), _ms(m["tpot_s"]["p50"], 2),
                     _num(m["e2e_s"]["p50"], "{:.3f}"),
                     _num(s["throughput"]["output_tokens_per_s"]),
                     _num(s["goodput"]["requests_per_s"], "{:.2f}"),
                     f"{100 * s['errors']['rate']:.1f}",
                     "—" if cost.get("per_1m_output_tokens") is None
                     else f"{cost['per_1m_output_tokens']:.2f} {cost['currency']}",
                     "—" if not client else ("LIMITED" if client.get("limited") else "ok")])
    return head, rows
