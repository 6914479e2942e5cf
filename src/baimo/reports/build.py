"""Assemble a report from stored runs, in HTML, Markdown, CSV or JSON."""

from __future__ import annotations

from pathlib import Path

from baimo.errors import BaimoError
from baimo.reports.eval import (
    eval_sections,
    readings_markdown,
    run_item,
    runs_markdown,
    set_aside,
    summary_csv,
    summary_json,
    summary_markdown,
)
from baimo.reports.html import Report
from baimo.reports.profile import named_profile_section, profile_sections
from baimo.scores.profile import task_dimensions
from baimo.scores.summary import newest_rows, summarize
from baimo.store.store import Store
from baimo.tabular import write_user_file


def write_report(store: Store, run_ids: list[str], out: Path, fmt: str,
                 dimensions: dict[str, str] | None = None) -> Path:
    """Write the report for ``run_ids`` to ``out`` in ``fmt`` (html, md, csv, json).

    ``dimensions`` overrides the task → capability-dimension mapping of the profile.
    """
    runs = list({r.id: r for r in (store.runs.get(ref) for ref in run_ids)}.values())
    eval_runs = [r for r in runs if r.kind == "eval"]
    all_rows = store.runs.results([r.id for r in eval_runs])
    rows, chosen = newest_rows(eval_runs, all_rows)
    aside = set_aside(all_rows, rows, chosen)
    perf_runs = [r for r in runs if r.kind == "perf"]
    if fmt == "html":
        models = sorted({m.model_name for r in runs for m in r.models})
        report = Report("model comparison", f"runs {', '.join(run_ids)} · models "
                        f"{', '.join(models)}")
        if rows:
            eval_sections(report, eval_runs, rows, aside)
            profile_sections(report, rows, task_dimensions(eval_runs, dimensions))
            named_profile_section(report, rows, "xinhua")
            report.order(["Overview", "Capability profile", "Differences between models",
                          "Suite details"])
        if perf_runs:
            from baimo.perf import level_summaries
            from baimo.reports.perf import perf_sections

            ids = [r.id for r in perf_runs]
            perf_sections(report, perf_runs, store.perf.requests(ids),
                          level_summaries(store, ids))
        write_user_file(out, report.render(), "report")
        return out
    if perf_runs:
        raise BaimoError(f"{', '.join(r.id for r in perf_runs)}: perf runs have no {fmt} "
                         "report (md, csv and json summarise eval runs); use -f html, or "
                         "'baimo perf compare' for their figures"
                         + (", and report the eval runs on their own." if eval_runs else "."))
    summary = summarize(rows)
    if fmt == "md":
        text = (runs_markdown(eval_runs, aside) + "\n" + summary_markdown(summary) + "\n"
                + readings_markdown(rows))
    elif fmt == "csv":
        text = summary_csv(summary, chosen)
    else:
        text = summary_json({**summary, "runs": [run_item(r) for r in eval_runs],
                             "set_aside": aside})
    write_user_file(out, text, "report")
    return out
