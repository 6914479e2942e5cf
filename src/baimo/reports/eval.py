"""The eval report: which model answered best, how reliably, how fast and at what cost."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from baimo.reports.html import Raw, Report, esc, table
from baimo.scores.summary import summarize
from baimo.store.records import ResultRecord, RunRecord
from baimo.tabular import csv_text, md_table
from baimo.tasks.extract import WEAK_METHODS, reading_counts, weak_readings


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _ci(acc: dict[str, Any]) -> str:
    if acc["accuracy"] is None:
        return "—"
    return f"{100 * acc['ci_low']:.1f}–{100 * acc['ci_high']:.1f}"


def _num(v: float | None, fmt: str = "{:.3f}") -> str:
    return "—" if v is None else fmt.format(v)


def set_aside(all_rows: Sequence[ResultRecord], rows: Sequence[ResultRecord],
              used: Mapping[tuple[str, str], Sequence[str]]) -> list[dict[str, Any]]:
    """The (model, task) pairs more than one run measured: the runs whose rows are counted
    (each sample once, its newest graded row: ``scores.summary.newest_rows``), the runs set
    aside whole, and how many rows were superseded, so a report of several runs says why it
    counts fewer rows than they hold."""
    present: dict[tuple[str, str], set[str]] = defaultdict(set)
    rows_of: dict[tuple[str, str], int] = defaultdict(int)
    for r in all_rows:
        present[(r.model_name, r.task)].add(r.run_id)
        rows_of[(r.model_name, r.task)] += 1
    counted_rows: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        counted_rows[(r.model_name, r.task)] += 1
    return [{"model": m, "task": t, "counted": list(used.get((m, t), ())),
             "set_aside": sorted(ids - set(used.get((m, t), ()))),
             "superseded_rows": rows_of[(m, t)] - counted_rows[(m, t)]}
            for (m, t), ids in sorted(present.items()) if len(ids) > 1]


def _aside_note(aside: Sequence[Mapping[str, Any]]) -> str:
    return ("Each sample is counted once, from the newest run that graded it. " + "; ".join(
        f"{a['model']} · {a['task']}: counted from run {', '.join(a['counted'])}"
        + (f", run {', '.join(a['set_aside'])} set aside" if a["set_aside"] else "")
        + f" ({a['superseded_rows']} older rows superseded)" for a in aside) + ".")


def run_item(run: RunRecord) -> dict[str, Any]:
    """A run as the JSON and Markdown reports list it: how it ended, and each model's."""
    return {"id": run.id, "status": run.status, "command": run.command,
            "models": {m.model_name: {"status": m.status, "reason": m.reason}
                       for m in run.models}}


def runs_markdown(runs: Sequence[RunRecord], aside: Sequence[Mapping[str, Any]]) -> str:
    """The runs a Markdown report covers, with their status (an interrupted run's figures
    are of the samples it reached), and the runs set aside."""
    lines = md_table(["run", "status", "models"], [[r.id, r.status, ", ".join(
        m.model_name + ("" if m.status == "ok" else f" ({m.status}"
                        + (f": {m.reason}" if m.reason else "") + ")") for m in r.models)]
        for r in runs])
    if aside:
        lines += ["", _aside_note(aside)]
    return "\n".join(lines) + "\n"


def eval_sections(report: Report, runs: Sequence[RunRecord], rows: Sequence[ResultRecord],
                  aside: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
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
        "truncated outputs; unreadable judge verdicts and 'unsupported' rows (the endpoint cannot "
        "take the request: no tools, a context beyond its window) are excluded too. Intervals "
        "are Wilson 95%.</p>")

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

    _reading_sections(report, rows)

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

    run_rows = [[r.id, r.status, r.command or "", Raw(esc(", ".join(
        m.model_name + ("" if m.status == "ok" else f" ({m.status}: {m.reason})")
        for m in r.models)))] for r in runs]
    report.section("Runs", table(["run", "status", "command", "models"], run_rows,
                                 numeric_from=9)
                   + (f'<p class="note">{esc(_aside_note(aside))}</p>' if aside else ""))
    return summary


_AUDIT_LIMIT = 200


def _reading_sections(report: Report, rows: Sequence[ResultRecord]) -> None:
    """How every answer was read (per task, model and method) and the weakly read ones."""
    counts = reading_counts(rows)
    count_rows = [[t, m, method, n] for t, per_model in counts.items()
                  for m, methods in per_model.items() for method, n in methods.items()]
    weak = weak_readings(rows)
    audit = [[w["task"], w["model"], w["sample"], w["method"], w["status"],
              w["extracted"] or "—"] for w in weak[:_AUDIT_LIMIT]]
    more = (f" The first {_AUDIT_LIMIT} of {len(weak)} are listed." if len(weak) > _AUDIT_LIMIT
            else "")
    report.section("How answers were read", table(
        ["task", "model", "method", "answers"], count_rows, numeric_from=3)
        + '<p class="note">The rule (or reader) that found each answer: an answer marker, '
        "<code>\\boxed{}</code>, a lone letter line… <code>model</code> answers were read by "
        "the task's fallback judge model and <code>model-parse-error</code> ones are its "
        "unreadable replies; both are counted here apart from rule-read answers. "
        f"{', '.join(sorted(WEAK_METHODS))} are the weakest rules.</p>"
        + (table(["task", "model", "sample", "method", "status", "read as"], audit)
           + f'<p class="note">Answers read only by the weakest rules, to audit.{more}</p>'
           if audit else '<p class="note">No answer was read by the weakest rules alone.</p>'))


def readings_markdown(rows: Sequence[ResultRecord]) -> str:
    """The Markdown of how answers were read: counts per method, and the weak readings.

    Every cell goes through ``md_cell``: names and the text read from answers are model or
    user output and may hold ``|`` or HTML.
    """
    lines = md_table(["task", "model", "method", "answers"],
                     [[t, m, method, n] for t, per_model in reading_counts(rows).items()
                      for m, methods in per_model.items() for method, n in methods.items()],
                     align="lllr")
    weak = weak_readings(rows)
    if weak:
        lines += ["", f"Answers read only by the weakest rules ({len(weak)}):", ""]
        lines += md_table(["task", "model", "sample", "method", "status", "read as"],
                          [[w["task"], w["model"], w["sample"], w["method"], w["status"],
                            w["extracted"] or "—"] for w in weak[:_AUDIT_LIMIT]])
    return "\n".join(lines) + "\n"


def summary_markdown(summary: dict[str, Any]) -> str:
    """Two Markdown tables: accuracy per model and task, then cost and latency per model.

    Names are other people's text; ``md_cell`` keeps a ``|`` or HTML in them from breaking
    the table or reaching a page that renders the Markdown.
    """
    models = summary["models"]
    lines = md_table(["model", "task", "scored", "accuracy", "95% CI", "errors"],
                     [[name, t, acc["scored"], _pct(acc["accuracy"]), _ci(acc),
                       acc["statuses"].get("error", 0)]
                      for name, m in models.items() for t, acc in m["tasks"].items()],
                     align="llrrlr")
    lines.append("")
    lines += md_table(["model", "cost", "currency", "cost per 100 correct", "latency p50 s"],
                      [[name, f"{m['cost']:.4f}", m["currency"],
                        _num(m["cost_per_100_correct"], "{:.4f}"), _num(m["latency_s"]["p50"])]
                       for name, m in models.items()],
                      align="lrlrr")
    # Why samples were not right: "0 scored" alone does not say the endpoint was down.
    outcomes = [[name, reason, k] for name, m in models.items()
                for reason, k in m["failure_reasons"].items()]
    if outcomes:
        lines.append("")
        lines += md_table(["model", "outcome other than right", "samples"], outcomes,
                          align="llr")
    return "\n".join(lines) + "\n"


def summary_csv(summary: dict[str, Any],
                runs: Mapping[tuple[str, str], Sequence[str]] | None = None) -> str:
    """Accuracy per model and task, with the runs each row's samples come from; text cells
    are made safe to open in a spreadsheet."""
    runs = runs or {}
    return csv_text(["model", "task", "n", "scored", "correct", "accuracy", "ci_low", "ci_high",
                     "errors", "no_answer", "truncated", "run"],
                    [[name, t, acc["n"], acc["scored"], acc["correct"], acc["accuracy"],
                      acc["ci_low"], acc["ci_high"], acc["statuses"].get("error", 0),
                      acc["statuses"].get("no-answer", 0), acc["statuses"].get("truncated", 0),
                      " ".join(runs.get((name, t), ()))]
                     for name, m in summary["models"].items() for t, acc in m["tasks"].items()])


def summary_json(summary: dict[str, Any]) -> str:
    return orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode()
