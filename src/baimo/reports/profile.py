"""Report sections for capability: the radar per model, the dimension table with intervals,
significance between models, and each suite's own headline figures.

The headline figures (IFEval strict/loose, safety refusal vs over-refusal, HumanEval pass@1)
are defined by the suites (``baimo.tasks.registry.Suite.headline``); this module renders
whatever a suite declares and names no suite itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from baimo.reports.html import Raw, Report, esc, table
from baimo.scores.profile import build_profile
from baimo.stats import wilson
from baimo.store.records import ResultRecord
from baimo.tasks.registry import Grid


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}"


def profile_sections(report: Report, rows: Sequence[ResultRecord], dims: dict[str, str]
                     ) -> dict[str, Any]:
    profile = build_profile(rows, dims)
    models = profile["models"]
    dimensions = profile["dimensions"]
    if not models or not dimensions:
        return profile
    radar = {
        "tooltip": {}, "legend": {"bottom": 0},
        "radar": {"indicator": [{"name": d, "max": 100} for d in dimensions],
                  "radius": "62%"},
        "series": [{"type": "radar", "data": [
            {"name": m, "value": [round(100 * prof[d]["score"], 1) if d in prof else 0
                                  for d in dimensions]} for m, prof in models.items()]}],
    }
    if len(dimensions) < 3:
        # A radar needs at least three axes to show a shape; bars say the same honestly.
        radar = {"tooltip": {}, "legend": {"top": 0},
                 "xAxis": {"type": "category", "data": dimensions},
                 "yAxis": {"type": "value", "max": 100, "name": "score %"},
                 "series": [{"name": m, "type": "bar", "data": [
                     round(100 * prof[d]["score"], 1) if d in prof else None
                     for d in dimensions]} for m, prof in models.items()]}
    header = ["model", *dimensions]
    body = []
    for m, prof in models.items():
        cells: list[Any] = [m]
        for d in dimensions:
            if d in prof:
                p = prof[d]
                cells.append(Raw(f"<b>{_pct(p['score'])}</b> <span class='note'>"
                                 f"{_pct(p['ci_low'])}–{_pct(p['ci_high'])}</span>"))
            else:
                cells.append("—")
        body.append(cells)
    mapping = sorted({(t, d) for prof in models.values() for d, p in prof.items()
                      for t in p["tasks"]})
    note = ("<p class='note'>Dimension score = mean of its tasks' accuracies (%), with a 95% "
            "bootstrap interval. Tasks per dimension: "
            + esc("; ".join(f"{t} → {d}" for t, d in mapping))
            + ". Change the mapping with <code>dimensions:</code> in baimo.yaml.</p>")
    report.section("Capability profile", table(header, body) + note,
                   charts=[(radar, 420)])
    sig = profile["significance"]
    if sig:
        sig_rows = [[s["task"], s["a"], s["b"], s["n"], f"{100 * s['diff']:+.1f}",
                     f"{100 * s['ci_low']:+.1f} … {100 * s['ci_high']:+.1f}",
                     Raw("<span class='sig'>significant</span>" if s["significant"]
                         else "<span class='note'>not significant</span>")]
                    for s in sig]
        report.section("Differences between models", table(
            ["task", "model A", "model B", "shared samples", "A − B (points)", "95% CI",
             "verdict"], sig_rows, numeric_from=3) + "<p class='note'>Paired bootstrap over "
            "the samples both models answered. 'significant' means the interval excludes 0."
            "</p>")
    _suite_details(report, rows)
    return profile


def named_profile_section(report: Report, rows: Sequence[ResultRecord], name: str) -> None:
    """The capability profile in a named profile's own dimensions (e.g. ``xinhua``), shown
    next to the default one when any of its tasks were run."""
    from baimo.scores.profile import profile_dimensions
    from baimo.tasks.registry import PROFILES

    dims = profile_dimensions(name)
    profile = build_profile([r for r in rows if r.task in dims], dims)
    models, order = profile["models"], [d for d in PROFILES[name][1]]
    if not models:
        return
    body = []
    for m, prof in models.items():
        cells: list[Any] = [m]
        for d in order:
            p = prof.get(d)
            cells.append(Raw(f"<b>{_pct(p['score'])}</b> <span class='note'>{_pct(p['ci_low'])}"
                             f"–{_pct(p['ci_high'])}</span>") if p else "—")
        body.append(cells)
    mapping = "; ".join(f"{d}: {', '.join(sorted(t for t, x in dims.items() if x == d))}"
                        for d in order)
    bars = {"tooltip": {}, "legend": {"top": 0},
            "xAxis": {"type": "category", "data": order},
            "yAxis": {"type": "value", "max": 100, "name": "score %"},
            "series": [{"name": m, "type": "bar", "data": [
                round(100 * prof[d]["score"], 1) if d in prof else None for d in order]}
                for m, prof in models.items()]}
    report.section(f"Capability profile ({PROFILES[name][2]})", table(["model", *order], body)
                   + f"<p class='note'>Same scores, grouped in the seed's terms (— where no "
                   f"task of the dimension was run). Tasks: {esc(mapping)}.</p>",
                   charts=[(bars, 320)])


def _suite_details(report: Report, rows: Sequence[ResultRecord]) -> None:
    """Each suite's own headline figures, as the suite defines them (``Suite.headline``)."""
    from baimo.tasks.registry import task_headline

    # The suites (tasks layer, which knows nothing of the store) count from plain mappings.
    by_task: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by_task[r.task][r.model_name].append(asdict(r))
    parts = []
    for task in sorted(by_task):
        headline = task_headline(task)
        if headline is None:
            continue
        header: list[str] = ["model"]
        body = []
        grids = []
        for model, model_rows in sorted(by_task[task].items()):
            figures = headline.figures(model_rows)
            facts = headline.facts(model_rows) if headline.facts is not None else []
            if len(header) == 1:
                header += [f.label for f in figures] + [label for label, _ in facts]
            body.append([model, *(_rate(f.hits, f.n) for f in figures),
                         *(text for _, text in facts)])
            grid = headline.grid(model_rows) if headline.grid is not None else None
            if grid is not None:
                grids.append(f"<h4>{esc(model)}</h4>" + _heatmap(grid))
        parts.append(f"<h3>{esc(headline.title)}</h3>" + table(header, body) + "".join(grids)
                     + (f"<p class='note'>{esc(headline.note)}</p>" if headline.note else ""))
    if parts:
        report.section("Suite details", "".join(parts) + "<p class='note'>Each figure: rate "
                       "(95% Wilson interval, count).</p>")


def _heatmap(grid: Grid) -> str:
    """A grid of rates as a table whose cells are shaded from red (0%) to green (100%)."""
    head = "".join(f"<th>{esc(c)}</th>" for c in grid.cols)
    body = []
    for r in grid.rows:
        cells = []
        for c in grid.cols:
            hits, n = grid.cells.get((r, c), (0, 0))
            if not n:
                cells.append("<td class='num'>—</td>")
                continue
            rate = hits / n
            cells.append(f"<td class='num heat' style='background:hsl({round(120 * rate)},"
                         f"60%,80%)' title='{hits}/{n}'>{_pct(rate)}</td>")
        note = grid.notes.get(r)
        if note:
            cells.append(f"<td class='note'>{esc(note)}</td>")
        body.append(f"<tr><th>{esc(r)}</th>{''.join(cells)}</tr>")
    return (f"<table class='heatmap'><thead><tr><th>{esc(grid.row_label)} \\ "
            f"{esc(grid.col_label)}</th>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            "</table>")


def _rate(hits: int, n: int) -> Raw | str:
    if not n:
        return "—"
    lo, hi = wilson(hits, n)
    return Raw(f"<b>{_pct(hits / n)}%</b> <span class='note'>{_pct(lo)}–{_pct(hi)}, "
               f"n={n}</span>")
