"""Assemble a report from stored runs, in HTML, Markdown, CSV or JSON."""

from __future__ import annotations

from pathlib import Path

from baimo.errors import BaimoError
from baimo.reports.eval import (
    eval_sections,
    readings_markdown,
    summary_csv,
    summary_json,
    summary_markdown,
)
from baimo.reports.html import Report
from baimo.reports.profile import named_profile_section, profile_sections
from baimo.scores.profile import task_dimensions
from baimo.scores.summary import summarize
from baimo.store.store import Store
from baimo.tabular import write_user_file


def write_report(store: Store, run_ids: list[str], out: Path, fmt: str,
                 dimensions: dict[str, str] | None = None) -> Path:
    """Write the report for ``run_ids`` to ``out`` in ``fmt`` (html, md, csv, json).

    ``dimensions`` overrides the task → capability-dimension mapping of the profile.
    """
    runs = [store.runs.get(r) for r in run_ids]
    rows = store.runs.results([r.id for r in runs if r.kind == "eval"])
    perf_runs = [r for r in runs if r.kind == "perf"]
    if fmt == "html":
        models = sorted({m.model_name for r in runs for m in r.models})
        report = Report("model comparison", f"runs {', '.join(run_ids)} · models "
                        f"{', '.join(models)}")
        if rows:
            eval_runs = [r for r in runs if r.kind == "eval"]
            eval_sections(report, eval_runs, rows)
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
    if perf_runs and not rows:
        raise BaimoError(f"{', '.join(r.id for r in perf_runs)}: perf runs have no {fmt} "
                         "report (md, csv and json summarise eval runs); use -f html, or "
                         "'baimo perf compare' for their figures.")
    summary = summarize(rows)
    text = {"md": summary_markdown, "csv": summary_csv, "json": summary_json}[fmt](summary)
    if fmt == "md":
        text += "\n" + readings_markdown(rows)
    write_user_file(out, text, "report")
    return out
