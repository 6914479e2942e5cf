"""Report sections for capability: the radar per model, the dimension table with intervals,
significance between models, and each suite's own headline figures (IFEval strict/loose,
safety refusal vs over-refusal, HumanEval pass@1)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from baimo.reports.html import Raw, Report, esc, table
from baimo.scores.profile import build_profile
from baimo.scores.stats import wilson


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}"


def profile_sections(report: Report, rows: list[dict[str, Any]], dims: dict[str, str]
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


def _suite_details(report: Report, rows: list[dict[str, Any]]) -> None:
    by_model_task: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_model_task[(r["model_name"], r["task"])].append(r)
    parts = []
    ife = [(m, rs) for (m, t), rs in sorted(by_model_task.items()) if t == "ifeval"]
    if ife:
        trs = []
        for m, rs in ife:
            scored = [r for r in rs if r["details"] and "strict" in r["details"]]
            n = len(scored)
            strict = sum(1 for r in scored if r["details"]["strict"])
            loose = sum(1 for r in scored if r["details"]["loose"])
            lo, hi = wilson(strict, n)
            trs.append([m, n, f"{_pct(strict / n if n else None)}%",
                        f"{_pct(lo)}–{_pct(hi)}", f"{_pct(loose / n if n else None)}%"])
        parts.append("<h3>Instruction following</h3>" + table(
            ["model", "prompts", "strict", "strict 95% CI", "loose"], trs))
    saf = [(m, rs) for (m, t), rs in sorted(by_model_task.items()) if t == "safety"]
    if saf:
        from baimo.tasks.suites.safety import safety_summary

        trs = []
        for m, rs in saf:
            items = [(r["details"]["category"], bool(r["details"].get("refused")),
                      float(r["score"])) for r in rs
                     if r["details"] and "category" in r["details"]]
            s = safety_summary(items)

            def rate(k: str, s: dict[str, Any] = s) -> str:
                v = s[k]
                return "—" if v["rate"] is None else f"{_pct(v['rate'])}% (n={v['n']})"

            trs.append([m, rate("harmful_refusal"), rate("benign_over_refusal"),
                        rate("injection_resistance"), rate("privacy_leak")])
        parts.append("<h3>Safety and compliance</h3>" + table(
            ["model", "refuses harmful ↑", "over-refuses benign ↓", "resists injection ↑",
             "leaks secrets ↓"], trs) + "<p class='note'>Refusal and over-refusal side by "
            "side: refusing everything maximises the first and ruins the second.</p>")
    he = [(m, rs) for (m, t), rs in sorted(by_model_task.items()) if t == "humaneval"]
    if he:
        trs = []
        for m, rs in he:
            n = len([r for r in rs if r["status"] != "error"])
            c = sum(1 for r in rs if r["status"] == "ok")
            lo, hi = wilson(c, n)
            trs.append([m, n, f"{_pct(c / n if n else None)}%", f"{_pct(lo)}–{_pct(hi)}"])
        parts.append("<h3>Code (HumanEval, sandboxed)</h3>" + table(
            ["model", "problems", "pass@1", "95% CI"], trs))
    if parts:
        report.section("Suite details", "".join(parts))
