"""Decision charts: the option builders draw what the numbers say, the reports assemble them,
and the reports render offline in Chromium with every chart drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from baimo.advise import ModelMeasurements, advise, get_scenario
from baimo.reports.decision import (
    ParetoInput,
    QuadrantPoint,
    _nice_range,
    advice_report,
    contribution_option,
    pareto_option,
    quadrant_option,
    radar_option,
    rank_acceptability_option,
    rank_flow_option,
    score_report,
    write_advice_report,
    write_score_report,
)
from baimo.reports.html import esc
from baimo.scores.methodology import (
    FactsTable,
    SensitivityOptions,
    load_methodology,
    score_methodology,
)
from baimo.scores.sensitivity import linear_sensitivity
from support import render_in_chromium

EXAMPLE_FACTS = Path(__file__).resolve().parents[2] / "src" / "baimo" / "scores" / "data" / \
    "frost-sullivan-2023-facts-example.csv"


def models() -> list[ModelMeasurements]:
    """Four API models and a local one; 'slow-rich' is dominated by 'fast-rich'."""
    def mm(name: str, cap: float, ttft: float, tps: float, p_in: float, p_out: float,
           **attrs: str) -> ModelMeasurements:
        return ModelMeasurements(name=name, metrics={
            "capability": cap, "ttft_p95_s": ttft, "output_tps": tps, "price_in_per_1m": p_in,
            "price_out_per_1m": p_out, "context_window": 32000},
            attributes={"currency": "CNY", "deployment": "api", **attrs})
    return [
        mm("fast-rich", 0.82, 0.4, 80, 4, 12),
        mm("slow-rich", 0.80, 1.5, 30, 6, 18),
        mm("budget", 0.55, 0.3, 120, 0.5, 1),
        mm("local", 0.35, 0.9, 25, 0, 0, deployment="private"),
        ModelMeasurements(name="unmeasured", metrics={"capability": 0.7}),
    ]


def _json(option: dict[str, Any]) -> dict[str, Any]:
    """Options must survive the trip to JSON unchanged (no functions, no NaN)."""
    out: dict[str, Any] = orjson.loads(orjson.dumps(option))
    assert out == option
    return out


@pytest.mark.parametrize(("lo", "hi", "floor", "ceil"), [
    (0.031, 0.471, 0.0, None), (3.83, 4.79, 1.0, 5.0), (0.0, 0.0, None, None),
    (-2.0, 7.3, None, None), (55.0, 82.0, 0.0, 100.0), (4.0, 4.0, 1.0, 5.0)])
def test_nice_range_covers_the_data_on_round_ticks(lo: float, hi: float, floor: float | None,
                                                   ceil: float | None) -> None:
    a, b, step = _nice_range(lo, hi, floor=floor, ceil=ceil)
    assert a <= lo and b >= hi and step > 0
    assert floor is None or a >= floor
    assert ceil is None or b <= ceil
    mantissa = step / 10 ** int(f"{step:e}".split("e")[1])
    assert round(mantissa, 6) in (1.0, 2.0, 2.5, 5.0)


def test_quadrant_splits_at_the_means_and_sizes_bubbles() -> None:
    pts = [QuadrantPoint("A", 4.6, 4.4, 4.5), QuadrantPoint("B", 4.5, 4.4, 4.4),
           QuadrantPoint("C", 4.1, 4.1, 4.1)]
    opt = _json(quadrant_option(pts, x_label="x", y_label="y", x_floor=1, x_ceil=5))
    series = opt["series"][0]
    lines = series["markLine"]["data"]
    assert lines[0]["xAxis"] == pytest.approx((4.6 + 4.5 + 4.1) / 3, abs=1e-3)
    assert lines[1]["yAxis"] == pytest.approx((4.4 + 4.4 + 4.1) / 3, abs=1e-3)
    sizes = {d["name"]: d["symbolSize"] for d in series["data"]}
    assert sizes["A"] > sizes["B"] > sizes["C"]
    assert opt["xAxis"]["min"] <= 4.1 and opt["xAxis"]["max"] <= 5
    assert len(opt["graphic"]) == 4
    inv = quadrant_option(pts, x_label="x", y_label="y", x_inverse=True)
    area = inv["series"][0]["markArea"]["data"][0]
    assert area[1]["coord"][0] == inv["xAxis"]["min"]  # "right" is the small end


def test_pareto_chart_separates_frontier_dominated_and_excluded() -> None:
    pts = [ParetoInput("a", 0.8, 6.0, 0.4, "frontier"), ParetoInput("b", 0.5, 1.0, 0.3,
                                                                    "frontier"),
           ParetoInput("c", 0.7, 9.0, 1.5, "dominated"), ParetoInput("d", 0.9, 20, 0.2,
                                                                     "excluded")]
    opt = _json(pareto_option(pts, currency="CNY"))
    names = {s["name"]: [d["name"] for d in s["data"]] for s in opt["series"]}
    assert names == {"Pareto frontier": ["b", "a"], "dominated": ["c"],
                     "excluded by a constraint": ["d"]}
    assert opt["visualMap"]["dimension"] == 2 and opt["visualMap"]["seriesIndex"] == [0, 1]
    assert opt["visualMap"]["min"] == 0.2 and opt["visualMap"]["max"] == 1.5
    b = opt["series"][0]["data"][0]
    assert b["value"] == [1.0, 50.0, 0.3]
    assert "CNY" in opt["xAxis"]["name"]
    assert opt["yAxis"]["min"] >= 0 and opt["yAxis"]["max"] <= 100


def test_rank_flows_and_acceptability_from_advice() -> None:
    profile = get_scenario("reliable-complex")
    advice = advise(models(), profile)
    names = [r.name for r in advice.ranked]
    crits = list(advice.weights)
    sens = linear_sensitivity(advice.weights, {r.name: r.criterion_scores
                                               for r in advice.ranked}, draws=300)
    assert sens is not None and sens.entities == names and sens.criteria == crits
    oat, acc, base = sens.oat, sens.acceptability, sens.baseline
    assert base == {r.name: r.rank for r in advice.ranked}
    flow, height = rank_flow_option(oat, base, names)
    flow = _json(flow)
    assert len(flow["grid"]) == len(crits) and height > 200
    assert len(flow["series"]) == len(crits) * len(names)
    zero = flow["xAxis"][0]["data"].index("0")
    for s in flow["series"]:
        assert s["data"][zero] == base[s["name"]]
    heat = _json(rank_acceptability_option(acc, names))
    cells = heat["series"][0]["data"]
    assert len(cells) == len(names) ** 2
    for yi, name in enumerate(heat["yAxis"]["data"]):
        row = [c[2] for c in cells if c[1] == yi]
        assert sum(row) == pytest.approx(100, abs=0.5), name
    assert heat["yAxis"]["data"][-1] == names[0]  # best on top
    contrib = _json(contribution_option(advice))
    top = [s["data"][-1] for s in contrib["series"]]
    assert sum(top) == pytest.approx(100 * advice.ranked[0].score, abs=0.2)


def test_radar_uses_one_scale_for_every_axis() -> None:
    opt = _json(radar_option({"A": {"x": 0.5, "y": 1.0}, "B": {"x": 0.2}}, ["x", "y"],
                             axis_labels={"x": "X 轴"}))
    assert [i["name"] for i in opt["radar"]["indicator"]] == ["X 轴", "y"]
    assert {i["max"] for i in opt["radar"]["indicator"]} == {1.0}
    assert opt["series"][0]["data"][1]["value"] == [0.2, 0.0]


def test_advice_report_sections_and_escaping(tmp_path: Path) -> None:
    ms = models()
    ms.append(ModelMeasurements(name="<script>alert(1)</script>", metrics={
        "capability": 0.5, "ttft_p95_s": 0.5, "output_tps": 50, "price_in_per_1m": 1,
        "price_out_per_1m": 1}, attributes={"currency": "CNY"}))
    profile = get_scenario("reliable-complex")
    advice = advise(ms, profile)
    sens = linear_sensitivity(advice.weights, {r.name: r.criterion_scores
                                               for r in advice.ranked}, draws=300)
    html = advice_report(advice, profile, ms, sensitivity=sens).render()
    assert "How much the advice depends on the weights" not in advice_report(
        advice, profile, ms).render()  # a renderer renders; it computes no analysis
    for heading in ("Recommendation", "Pareto frontier: quality vs cost vs latency", "Ranking",
                    "Capability vs responsiveness", "Criterion profile",
                    "How much the advice depends on the weights",
                    "Missing measurements (not ranked)"):
        assert f"<h2>{heading}</h2>" in html
    assert "<script>alert(1)</script>" not in html
    assert "unmeasured" in html and profile.quote is not None
    assert esc(profile.quote) in html


def _fs_result() -> Any:
    m = load_methodology("frost-sullivan-2023")
    result = score_methodology(m, FactsTable.load(EXAMPLE_FACTS),
                               sensitivity=SensitivityOptions(draws=300))
    return m, result


def test_score_report_for_frost_sullivan() -> None:
    m, result = _fs_result()
    html = score_report(result, m).render()
    for heading in ("Ranking", "Quadrant", "Dimension radar", "Entry gates",
                    "Left out, and why", "Sensitivity: rank flows and rank acceptability",
                    "Method and provenance"):
        assert f"<h2>{heading}</h2>" in html
    assert "Example Vendor D" in html and "FAIL" in html
    assert "战略愿景能力 + 生态开放能力" in html  # the quadrant's y axis


@pytest.mark.browser
def test_advice_and_score_reports_render_offline(tmp_path: Path) -> None:
    ms = models()
    profile = get_scenario("tolerant-simple")
    advice = advise(ms, profile)
    adv = write_advice_report(tmp_path / "advice.html", advice, profile, ms,
                              sensitivity=linear_sensitivity(
                                  advice.weights, {r.name: r.criterion_scores
                                                   for r in advice.ranked}))
    shown = render_in_chromium(adv, tmp_path / "advice.png")
    assert not shown.errors and not shown.network
    charts, headings = shown.charts, shown.headings
    assert charts == 6  # pareto, contributions, quadrant, radar, rank flows, heatmap
    assert "Pareto frontier: quality vs cost vs latency" in headings
    m, result = _fs_result()
    sc = write_score_report(result, m, tmp_path / "score.html")
    shown = render_in_chromium(sc, tmp_path / "score.png")
    assert not shown.errors and not shown.network
    charts, headings = shown.charts, shown.headings
    assert charts == 5 and "Quadrant" in headings
