"""The eval report: which model answered best, how reliably, how fast and at what cost."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from baimo.reports.html import Raw, Report, esc, table
from baimo.scores.summary import summarize


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _ci(acc: dict[str, Any]) -> str:
    if acc["accuracy"] is None:
        return "—"
    return f"{100 * acc['ci_low']:.1f}–{100 * acc['ci_high']:.1f}"


def _num(v: float | None, fmt: str = "{:.3f}") -> str:
    return "—" if v is None else fmt.format(v)


def eval_sections(report: Report, runs: list[dict[str, Any]], rows: list[dict[str, Any]]
                  ) -> dict[str, Any]:
    """Add the eval sections to ``report``; returns the summary they were built from."""
    summary = summarize(rows)
    models = summary["models"]
    names = list(models)
    tasks = sorted({t for m in models.values() for t in m["tasks"]})

    kpis = []
    for name in names:
        m = models[name]
        kpis.append(f'<div class="kpi"><span>{esc(name)}</span><b>'
                    f'{_pct(m["overall"]["accuracy"])}</b><span>95% CI {_ci(m["overall"])} '
                    f'· n={m["overall"]["scored"]}</span></div>')
    overview_rows = []
    for name in names:
        m = models[name]
        o = m["overall"]
        overview_rows.append([
            name, o["n"], o["scored"], _pct(o["accuracy"]), _ci(o),
            m["statuses"].get("no-answer", 0), m["statuses"].get("truncated", 0),
            m["statuses"].get("error", 0), m["cached"]])
    report.section("Overview", '<div class="kpis">' + "".join(kpis) + "</div>" + table(
        ["model", "samples", "scored", "accuracy", "95% CI", "no answer", "truncated",
         "errors", "from cache"], overview_rows) + '<p class="note">Accuracy = correct / '
        "scored. Scored excludes errors (no answer was received) and includes no-answer and "
        "truncated outputs; unreadable judge verdicts are excluded too. Intervals are Wilson 95%.</p>")

    series = [{"name": n, "type": "bar", "data": [
        None if models[n]["tasks"].get(t, {}).get("accuracy") is None
        else round(100 * models[n]["tasks"][t]["accuracy"], 2) for t in tasks]}
        for n in names]
    task_rows = []
    for t in tasks:
        for n in names:
            acc = models[n]["tasks"].get(t)
            if acc:
                task_rows.append([t, n, acc["scored"], _pct(acc["accuracy"]), _ci(acc)])
    report.section("Score per task", table(["task", "model", "scored", "accuracy", "95% CI"],
                                            task_rows, numeric_from=2),
                   charts=[({"tooltip": {"trigger": "axis"}, "legend": {"top": 0},
                             "grid": {"left": 50, "right": 20, "top": 40, "bottom": 80},
                             "xAxis": {"type": "category", "data": tasks,
                                       "axisLabel": {"rotate": 20}},
                             "yAxis": {"type": "value", "max": 100, "name": "accuracy %"},
                             "series": series}, 320)])

    cat_rows = []
    for n in names:
        for c, acc in models[n]["categories"].items():
            cat_rows.append([n, c, acc["scored"], _pct(acc["accuracy"]), _ci(acc)])
    report.section("Score per category", table(["model", "task/category", "scored",
                                                 "accuracy", "95% CI"], cat_rows,
                                                numeric_from=2))

    reasons = sorted({r for m in models.values() for r in m["failure_reasons"]})
    fail_series = [{"name": r, "type": "bar", "stack": "f",
                    "data": [models[n]["failure_reasons"].get(r, 0) for n in names]}
                   for r in reasons]
    fail_rows = [[n, r, models[n]["failure_reasons"][r]] for n in names
                 for r in models[n]["failure_reasons"]]
    report.section("Failures by reason", table(["model", "reason", "samples"], fail_rows,
                                               numeric_from=2),
                   charts=[({"tooltip": {"trigger": "axis"}, "legend": {},
                             "xAxis": {"type": "category", "data": names},
                             "yAxis": {"type": "value", "name": "samples"},
                             "series": fail_series}, 280)] if reasons else None)

    perf_rows = []
    for n in names:
        m = models[n]
        lat, ttft, tok = m["latency_s"], m["ttft_s"], m["tokens"]
        perf_rows.append([n, tok["prompt"], tok["completion"],
                          "yes" if tok["estimated"] else "no", _num(ttft["p50"]),
                          _num(lat["p50"]), _num(lat["p90"]), _num(lat["p99"])])
    report.section("Tokens and latency", table(
        ["model", "prompt tokens", "completion tokens", "estimated", "TTFT p50 s",
         "latency p50 s", "p90 s", "p99 s"], perf_rows) + '<p class="note">Latency is per '
        "request from send to the last chunk, over requests answered in this run (cached "
        "answers excluded). 'estimated' means the server returned no usage and baimo counted."
        "</p>", charts=None if all(models[n]["latency_s"]["p50"] is None for n in names)
        else [({"tooltip": {"trigger": "axis"}, "legend": {},
                          "xAxis": {"type": "category", "data": names},
                          "yAxis": {"type": "value", "name": "seconds"},
                          "series": [{"name": q, "type": "bar", "data": [
                              None if models[n]["latency_s"][q] is None else
                              round(models[n]["latency_s"][q], 4) for n in names]}
                              for q in ("p50", "p90", "p99")]}, 260)])

    cost_rows = []
    for n in names:
        m = models[n]
        cost_rows.append([n, m["currency"], f"{m['cost']:.4f}",
                          _num(m["cost_per_100_correct"], "{:.4f}")])
    report.section("Cost", table(["model", "currency", "total cost",
                                  "cost per 100 correct"], cost_rows, numeric_from=2)
                   + '<p class="note">At the prices in the models file. A model with no '
                   "price configured costs 0.</p>")

    run_rows = [[r["id"], r["status"], r["command"] or "", Raw(esc(", ".join(
        m["model_name"] + ("" if m["status"] == "ok" else f" ({m['status']}: {m['reason']})")
        for m in r["models"])))] for r in runs]
    report.section("Runs", table(["run", "status", "command", "models"], run_rows,
                                 numeric_from=9))
    return summary


def summary_markdown(summary: dict[str, Any]) -> str:
    lines = ["| model | task | scored | accuracy | 95% CI |", "|---|---|---:|---:|---|"]
    for name, m in summary["models"].items():
        for t, acc in m["tasks"].items():
            lines.append(f"| {name} | {t} | {acc['scored']} | {_pct(acc['accuracy'])} | "
                         f"{_ci(acc)} |")
    lines += ["", "| model | cost | currency | cost per 100 correct | latency p50 s |",
              "|---|---:|---|---:|---:|"]
    for name, m in summary["models"].items():
        lines.append(f"| {name} | {m['cost']:.4f} | {m['currency']} | "
                     f"{_num(m['cost_per_100_correct'], '{:.4f}')} | "
                     f"{_num(m['latency_s']['p50'])} |")
    return "\n".join(lines) + "\n"


def summary_csv(summary: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["model", "task", "n", "scored", "correct", "accuracy", "ci_low", "ci_high"])
    for name, m in summary["models"].items():
        for t, acc in m["tasks"].items():
            w.writerow([name, t, acc["n"], acc["scored"], acc["correct"], acc["accuracy"],
                        acc["ci_low"], acc["ci_high"]])
    return buf.getvalue()


def summary_json(summary: dict[str, Any]) -> str:
    return orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode()
