"""Decision charts and reports: quadrants, radars, rank flows, rank acceptability, the advisor's
Pareto chart and the landscape map (图谱).

Analysts do not publish a ranking as a bare table. Frost & Sullivan and Gartner place vendors on
a two-axis quadrant; EO Intelligence draws a radar per vendor and a 图谱 of models by type and
stage. baimo's rankings should be read the same way, with one addition analysts leave out: how
much the ranking depends on the weights (rank flows and the rank-acceptability matrix). Every
chart here is built from numbers in a ``ScoreResult``, an ``Advice`` or the landscape catalog,
so what is drawn can be checked against the tables printed next to it.

The option builders (``*_option``) return plain ECharts option dicts (no JavaScript functions,
so they serialise to JSON and render offline through ``baimo.reports.html.Report``); the report
builders (``advice_report``, ``score_report``, ``landscape_report``) assemble them into
sections, and the ``write_*`` functions write the HTML file.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from baimo.advise.advisor import format_measurements
from baimo.reports.html import Raw, Report, esc, table
from baimo.tabular import write_user_file

if TYPE_CHECKING:
    from baimo.advise.advisor import Advice, ModelMeasurements, Profile
    from baimo.landscape.catalog import Catalog, CatalogRecord, CensusReport
    from baimo.scores.measured import Measurements
    from baimo.scores.methodology import Methodology, ScoreResult
    from baimo.scores.sensitivity import LinearSensitivity, OatRow, RankAcceptability

__all__ = [
    "ParetoInput",
    "QuadrantPoint",
    "advice_report",
    "contribution_option",
    "landscape_grid_html",
    "landscape_report",
    "landscape_sunburst_option",
    "pareto_option",
    "quadrant_option",
    "radar_option",
    "rank_acceptability_option",
    "rank_flow_option",
    "score_report",
    "vendor_treemap_option",
    "write_advice_report",
    "write_landscape_map",
    "write_score_report",
]

INK = "#1d2433"
MUTED = "#687089"
LINE = "#e3e6ee"
ACCENT = "#c2410c"
PALETTE = ["#c2410c", "#2563eb", "#15803d", "#7c3aed", "#db2777", "#0891b2", "#ca8a04",
           "#4b5563"]
STAGE_COLOURS = {"deployed": "#c2410c", "pilot": "#2563eb", "research": "#15803d",
                 None: "#9ca3af"}
KIND_COLOURS = {"internet-cloud": "#2563eb", "ai-startup": "#c2410c", "tech-vendor": "#7c3aed",
                "research": "#15803d", "inference-platform": "#0891b2", "telecom": "#ca8a04",
                "industry": "#db2777", "unknown": "#9ca3af"}
KIND_SHORT = {"internet-cloud": "互联网/云厂商", "ai-startup": "AI 创业公司",
              "tech-vendor": "技术类厂商", "research": "研究机构/高校",
              "inference-platform": "推理服务平台", "telecom": "运营商",
              "industry": "行业企业", "unknown": "类型未注明"}
INDUSTRY_ZH = {"education": "教育", "finance": "金融", "marketing": "营销",
               "meteorology": "气象", "mining": "矿山", "healthcare": "医疗", "medical": "医疗",
               "legal": "法律", "government": "政务", "manufacturing": "制造",
               "automotive": "汽车", "media": "文化传媒", "office": "办公",
               "document processing (OCR)": "文档处理 (OCR)",
               "multiple (行业大模型)": "多行业 (行业大模型)"}
CRITERION_ZH = {"capability": "模型能力 capability", "speed": "生成速度 speed",
                "cost": "应用成本 cost", "safety": "安全合规 safety"}
_AXIS = {"axisLine": {"lineStyle": {"color": "#c7ccd8"}},
         "axisLabel": {"color": MUTED}, "nameTextStyle": {"color": MUTED, "fontSize": 12},
         "splitLine": {"lineStyle": {"color": "#eef0f5"}}}


def _axis(**kw: Any) -> dict[str, Any]:
    return {**_AXIS, **kw}


def _r(x: float, digits: int = 3) -> float:
    return float(round(x, digits))


# ---------------------------------------------------------------------------------------------
# Quadrant
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuadrantPoint:
    """One bubble on a quadrant chart.

    Attributes:
        name: Label drawn next to the bubble.
        x: Position on the horizontal axis.
        y: Position on the vertical axis.
        size: Drives the bubble area (None: all bubbles the same size).
        group: Legend group (colour); None puts every point in one series.
    """

    name: str
    x: float
    y: float
    size: float | None = None
    group: str | None = None


def _nice_range(lo: float, hi: float, *, floor: float | None = None,
                ceil: float | None = None, ticks: int = 5) -> tuple[float, float, float]:
    """Axis bounds on round numbers around [lo, hi] with ~``ticks`` intervals, and the step.

    Readers of an analyst chart compare positions against gridlines; bounds such as 0.471 or
    -6 make that hard (and a negative capability is meaningless, hence ``floor``/``ceil``).
    """
    if hi <= lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    span = hi - lo
    raw = span * 1.25 / ticks
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw)
    a = math.floor((lo - 0.08 * span) / step) * step
    b = math.ceil((hi + 0.08 * span) / step) * step
    if floor is not None:
        a = max(a, floor)
    if ceil is not None:
        b = min(b, ceil)
    return _r(a, 6), _r(b, 6), _r(step, 6)


def quadrant_option(
    points: Sequence[QuadrantPoint], *, x_label: str, y_label: str,
    x_split: float | None = None, y_split: float | None = None,
    quadrant_labels: tuple[str, str, str, str] | None = None,
    x_inverse: bool = False, size_label: str = "", title: str = "",
    x_floor: float | None = None, x_ceil: float | None = None,
    y_floor: float | None = None, y_ceil: float | None = None,
) -> dict[str, Any]:
    """A two-axis quadrant with bubbles, split at ``x_split``/``y_split`` (default: the means).

    The splits default to the means of the plotted points because that is how analyst quadrants
    are read: "above the field" and "below the field", not above an absolute bar. The
    upper-right quadrant is tinted, and ``quadrant_labels`` (top-right, top-left, bottom-left,
    bottom-right) name the four regions. With ``x_inverse`` smaller x is drawn to the right (for
    latency, where less is better).
    """
    xs = [p.x for p in points] or [0.0]
    ys = [p.y for p in points] or [0.0]
    xm = statistics.fmean(xs) if x_split is None else x_split
    ym = statistics.fmean(ys) if y_split is None else y_split
    x0, x1, xstep = _nice_range(min([*xs, xm]), max([*xs, xm]), floor=x_floor, ceil=x_ceil)
    y0, y1, ystep = _nice_range(min([*ys, ym]), max([*ys, ym]), floor=y_floor, ceil=y_ceil)
    sizes = [p.size for p in points if p.size is not None]
    s_lo, s_hi = (min(sizes), max(sizes)) if sizes else (0.0, 0.0)

    def bubble(p: QuadrantPoint) -> float:
        if p.size is None or s_hi <= s_lo:
            return 26.0
        return 16.0 + 34.0 * (p.size - s_lo) / (s_hi - s_lo)

    groups = list(dict.fromkeys(p.group or "" for p in points))
    series: list[dict[str, Any]] = []
    for gi, g in enumerate(groups):
        data = [{"name": p.name, "value": [_r(p.x), _r(p.y), _r(p.size or 0.0)],
                 "symbolSize": _r(bubble(p), 1),
                 **({} if len(groups) > 1 else
                    {"itemStyle": {"color": PALETTE[i % len(PALETTE)]}})}
                for i, p in enumerate(points) if (p.group or "") == g]
        s: dict[str, Any] = {
            "name": g or "entities", "type": "scatter", "data": data,
            "itemStyle": {"opacity": 0.85, "borderColor": "#fff", "borderWidth": 1.5,
                          "shadowBlur": 6, "shadowColor": "rgba(0,0,0,0.15)"},
            "label": {"show": True, "position": "top", "distance": 6, "formatter": "{b}",
                      "color": INK, "fontSize": 12, "fontWeight": 600},
            "labelLayout": {"hideOverlap": False, "moveOverlap": "shiftY"},
            "emphasis": {"focus": "self", "scale": 1.15},
        }
        if gi == 0:
            s["markArea"] = {"silent": True, "data": [
                [{"coord": [_r(xm), _r(ym)], "itemStyle": {"color": "rgba(194,65,12,0.07)"}},
                 {"coord": [_r(x0 if x_inverse else x1), _r(y1)]}]]}
            s["markLine"] = {"silent": True, "symbol": "none",
                             "lineStyle": {"color": "#9aa3b5", "type": "dashed", "width": 1},
                             "label": {"show": False},
                             "data": [{"xAxis": _r(xm)}, {"yAxis": _r(ym)}]}
        series.append(s)
    labels = quadrant_labels or ("领先 ahead on both", f"{y_label} 见长", "追赶 behind on both",
                                 f"{x_label} 见长")
    corner = {"fontSize": 13, "fontWeight": 700, "fill": "#b8bfcc"}
    graphic = [
        {"type": "text", "right": "9%", "top": 46, "style": {**corner, "text": labels[0]}},
        {"type": "text", "left": "10%", "top": 46, "style": {**corner, "text": labels[1]}},
        {"type": "text", "left": "10%", "bottom": 64, "style": {**corner, "text": labels[2]}},
        {"type": "text", "right": "9%", "bottom": 64, "style": {**corner, "text": labels[3]}},
    ]
    # Tooltip templates are HTML: names pasted into them are escaped (values are by ECharts).
    size_txt = f"<br/>{esc(size_label)} {{@[2]}}" if size_label else ""
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14, "color": INK}},
        "tooltip": {"trigger": "item",
                    "formatter": f"<b>{{b}}</b><br/>{esc(x_label)} {{@[0]}}<br/>"
                                 f"{esc(y_label)} {{@[1]}}"
                                 f"{size_txt}"},
        "legend": {"show": len(groups) > 1, "bottom": 0},
        "grid": {"left": 70, "right": 60, "top": 40, "bottom": 60},
        "xAxis": _axis(type="value", name=x_label, nameLocation="middle", nameGap=30,
                       min=x0, max=x1, interval=xstep, inverse=x_inverse,
                       splitLine={"show": False}),
        "yAxis": _axis(type="value", name=y_label, nameLocation="middle", nameGap=48,
                       min=y0, max=y1, interval=ystep, splitLine={"show": False}),
        "graphic": graphic,
        "series": series,
    }


# ---------------------------------------------------------------------------------------------
# Radar
# ---------------------------------------------------------------------------------------------


def radar_option(series: Mapping[str, Mapping[str, float]], axes: Sequence[str], *,
                 max_value: float = 1.0, min_value: float = 0.0,
                 axis_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One polygon per entity over ``axes`` (missing values drawn at ``min_value``).

    A shared fixed scale (not one per axis) keeps shapes comparable: a radar whose axes are
    rescaled separately makes any small difference look like a spike.
    """
    labels = axis_labels or {}
    return {
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0, "type": "scroll"},
        "radar": {"indicator": [{"name": labels.get(a, a), "max": max_value, "min": min_value}
                                for a in axes],
                  "radius": "64%", "center": ["50%", "50%"], "splitNumber": 4,
                  "axisName": {"color": INK, "fontSize": 12},
                  "splitArea": {"areaStyle": {"color": ["#fbfbfa", "#f4f5f8"]}},
                  "splitLine": {"lineStyle": {"color": LINE}}},
        "series": [{"type": "radar", "symbolSize": 5,
                    "areaStyle": {"opacity": 0.08}, "lineStyle": {"width": 2},
                    "data": [{"name": name, "value": [_r(vals.get(a, min_value)) for a in axes]}
                             for name, vals in series.items()]}],
    }


# ---------------------------------------------------------------------------------------------
# Rank flows and rank acceptability
# ---------------------------------------------------------------------------------------------


def _change_label(c: float) -> str:
    return "0" if c == 0 else f"{c * 100:+.0f}%".replace("-", "−")


def rank_flow_option(oat: Sequence[OatRow], baseline: Mapping[str, int],
                     entities: Sequence[str], *, weight_labels: Mapping[str, str] | None = None,
                     per_row: int = 2) -> tuple[dict[str, Any], int]:
    """Small multiples, one per weight: each entity's rank as that weight moves by ±p%.

    A flat line means the entity's place does not depend on that weight within the range
    tried; a crossing is a rank reversal. Returns the option and the height it needs.
    """
    labels = weight_labels or {}
    groups: dict[tuple[str, str], dict[float, Mapping[str, int]]] = {}
    for row in oat:
        groups.setdefault((row.group, row.weight), {})[row.change] = row.ranks
    keys = list(groups)
    changes = sorted({c for g in groups.values() for c in g} | {0.0})
    cats = [_change_label(c) for c in changes]
    n = max(1, len(entities))
    cols = max(1, min(per_row, len(keys)))
    rows = max(1, math.ceil(len(keys) / cols))
    cell_h = 180
    top0, gap = 76, 84
    height = top0 + rows * (cell_h + gap) + 10
    grids, xaxes, yaxes, titles, series = [], [], [], [], []
    width = 100.0 / cols
    for i, key in enumerate(keys):
        r, c = divmod(i, cols)
        left = c * width + 6.0
        top = top0 + r * (cell_h + gap)
        grids.append({"left": f"{left:.1f}%", "width": f"{width - 17.0:.1f}%",
                      "top": top, "height": cell_h})
        name = labels.get(key[1], key[1])
        titles.append({"text": f"weight of {name}", "subtext": "rank (1 = first) as the "
                       "weight changes", "left": f"{left - 2:.1f}%", "top": top - 46,
                       "itemGap": 2,
                       "textStyle": {"fontSize": 12.5, "fontWeight": 700, "color": INK},
                       "subtextStyle": {"fontSize": 11, "color": MUTED}})
        xaxes.append(_axis(type="category", data=cats, gridIndex=i, boundaryGap=False,
                           axisTick={"show": False}))
        yaxes.append(_axis(type="value", gridIndex=i, inverse=True, min=1, max=n,
                           interval=1))
        for ent in entities:
            data = [groups[key].get(ch, baseline).get(ent, baseline.get(ent)) if ch != 0
                    else baseline.get(ent) for ch in changes]
            series.append({"name": ent, "type": "line", "xAxisIndex": i, "yAxisIndex": i,
                           "data": data, "symbolSize": 6, "lineStyle": {"width": 2.5},
                           "endLabel": {"show": len(entities) <= 6, "formatter": "{a}",
                                        "fontSize": 11, "color": INK},
                           "emphasis": {"focus": "series"}})
    option = {"title": titles, "tooltip": {"trigger": "axis"},
              "legend": {"top": 0, "data": list(entities), "type": "scroll"},
              "grid": grids, "xAxis": xaxes, "yAxis": yaxes, "series": series}
    return option, height


def rank_acceptability_option(acc: RankAcceptability,
                              order: Sequence[str] | None = None) -> dict[str, Any]:
    """Heatmap of P(entity takes rank k) under random weights, best-ranked entity on top.

    Read a row: a leader whose mass is spread over several ranks is a leader only under the
    stated weights; one with ~100% in its column keeps its place whatever reasonable weights
    are used.
    """
    names = list(order) if order is not None else list(acc.alternatives)
    idx = {a: i for i, a in enumerate(acc.alternatives)}
    k = len(acc.alternatives)
    rows = list(reversed(names))  # ECharts draws the first category at the bottom
    data = []
    for yi, name in enumerate(rows):
        for r in range(k):
            data.append([r, yi, _r(100.0 * float(acc.matrix[idx[name]][r]), 1)])
    return {
        "title": {"text": "Rank acceptability: P(rank) under random weights", "left": 140,
                  "top": 0, "textStyle": {"fontSize": 12.5, "fontWeight": 700, "color": INK}},
        "tooltip": {"position": "top", "formatter": "{b}: {@[2]}%"},
        "grid": {"left": 140, "right": 30, "top": 30, "bottom": 80},
        "xAxis": _axis(type="category", data=[f"rank {r + 1}" for r in range(k)],
                       splitArea={"show": True}),
        "yAxis": _axis(type="category", data=rows, splitArea={"show": True}),
        "visualMap": {"min": 0, "max": 100, "calculable": False, "orient": "horizontal",
                      "left": "center", "bottom": 8, "itemHeight": 160,
                      "text": ["100%", "0%"], "textStyle": {"color": MUTED},
                      "inRange": {"color": ["#ffffff", "#fde6d8", "#f59e6b", "#c2410c"]}},
        "series": [{"type": "heatmap", "data": data,
                    "label": {"show": True, "formatter": "{@[2]}%", "fontSize": 11},
                    "itemStyle": {"borderColor": "#fff", "borderWidth": 2}}],
    }


# ---------------------------------------------------------------------------------------------
# Pareto chart (advisor)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParetoInput:
    """A model on the quality/cost/latency plane.

    Attributes:
        name: Model name.
        capability: 0-1.
        price: Blended price per 1M tokens.
        ttft_p95_s: 95th-percentile time to first token, seconds.
        status: ``frontier``, ``dominated`` or ``excluded`` (broke a hard constraint).
    """

    name: str
    capability: float
    price: float
    ttft_p95_s: float
    status: str


def pareto_option(points: Sequence[ParetoInput], *, currency: str | None = None,
                  blend_note: str = "") -> dict[str, Any]:
    """Capability against blended price, bubble size and colour = TTFT p95.

    Frontier models (no other candidate is at least as good on all three axes and better on
    one) are drawn solid with a dark ring and a label; dominated ones are faded; models
    excluded by a hard constraint appear as grey triangles so the reader sees what the
    constraint cost. The frontier is three-dimensional, so a frontier model may look beaten in
    this two-axis view: it is then faster than whatever beats it here.
    """
    cur = currency or "currency units"
    ttfts = [p.ttft_p95_s for p in points] or [0.0]
    t_lo, t_hi = min(ttfts), max(ttfts)

    def size(t: float) -> float:
        return 18.0 if t_hi <= t_lo else 16.0 + 30.0 * (t - t_lo) / (t_hi - t_lo)

    def item(p: ParetoInput) -> dict[str, Any]:
        return {"name": p.name, "value": [_r(p.price, 4), _r(100 * p.capability, 1),
                                          _r(p.ttft_p95_s, 3)],
                "symbolSize": _r(size(p.ttft_p95_s), 1)}

    front = sorted([p for p in points if p.status == "frontier"], key=lambda p: p.price)
    dom = [p for p in points if p.status == "dominated"]
    exc = [p for p in points if p.status == "excluded"]
    tip = (f"<b>{{b}}</b><br/>capability {{@[1]}}%<br/>blended price {{@[0]}} {cur}/1M"
           f"<br/>TTFT p95 {{@[2]}} s")
    series: list[dict[str, Any]] = [
        {"name": "Pareto frontier", "type": "scatter", "data": [item(p) for p in front],
         "z": 4, "itemStyle": {"borderColor": INK, "borderWidth": 2.5, "opacity": 0.95},
         "label": {"show": True, "position": "top", "formatter": "{b}", "color": INK,
                   "fontWeight": 700, "fontSize": 12},
         "tooltip": {"formatter": tip + "<br/><i>on the Pareto frontier</i>"}},
        {"name": "dominated", "type": "scatter", "data": [item(p) for p in dom], "z": 3,
         "itemStyle": {"opacity": 0.45, "borderColor": "#fff", "borderWidth": 1},
         "label": {"show": True, "position": "bottom", "formatter": "{b}", "color": MUTED,
                   "fontSize": 11},
         "tooltip": {"formatter": tip + "<br/><i>dominated</i>"}},
    ]
    if exc:
        series.append({"name": "excluded by a constraint", "type": "scatter", "z": 1,
                       "symbol": "triangle", "data": [item(p) for p in exc],
                       "itemStyle": {"color": "#b6bcc8", "opacity": 0.8},
                       "label": {"show": True, "position": "bottom", "formatter": "{b}",
                                 "color": "#9aa3b5", "fontSize": 11},
                       "tooltip": {"formatter": tip + "<br/><i>excluded by a hard "
                                                      "constraint</i>"}})
    prices = [p.price for p in points] or [0.0]
    caps = [100 * p.capability for p in points] or [0.0]
    x0, x1, xstep = _nice_range(min(prices), max(prices), floor=0.0 if min(prices) >= 0
                                else None)
    y0, y1, ystep = _nice_range(min(caps), max(caps), floor=0.0, ceil=100.0)
    return {
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0, "data": ["Pareto frontier", "dominated",
                                         *(["excluded by a constraint"] if exc else [])]},
        "grid": {"left": 70, "right": 150, "top": 40, "bottom": 70},
        "xAxis": _axis(type="value", name=f"blended price, {cur} per 1M tokens  (← cheaper)"
                       + (f"  {blend_note}" if blend_note else ""),
                       nameLocation="middle", nameGap=32, min=x0, max=x1, interval=xstep),
        "yAxis": _axis(type="value", name="capability, %  (better ↑)", nameLocation="middle",
                       nameGap=45, min=y0, max=y1, interval=ystep),
        "visualMap": {"type": "continuous", "dimension": 2, "seriesIndex": [0, 1],
                      "min": _r(t_lo, 3), "max": _r(t_hi if t_hi > t_lo else t_lo + 1e-3, 3),
                      "orient": "vertical", "right": 10, "top": "middle", "itemHeight": 140,
                      "text": [f"TTFT p95 {t_hi:.3g} s (slow)", f"{t_lo:.3g} s (fast)"],
                      "calculable": False,
                      "textStyle": {"color": MUTED},
                      "inRange": {"color": ["#15803d", "#ca8a04", "#c2410c", "#9f1239"]}},
        "series": series,
    }


def contribution_option(advice: Advice) -> dict[str, Any]:
    """Stacked bars: each ranked model's score split into weight x criterion score.

    Shows *why* a model ranks where it does: which criterion carried it, which held it back.
    """
    names = [r.name for r in advice.ranked]
    crits = [c for c, w in advice.weights.items() if w > 0]
    series = [{"name": CRITERION_ZH.get(c, c), "type": "bar", "stack": "score",
               "barWidth": 18, "emphasis": {"focus": "series"},
               "data": [_r(100 * advice.weights[c] * r.criterion_scores.get(c, 0.0), 1)
                        for r in reversed(advice.ranked)]} for c in crits]
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 130, "right": 40, "top": 34, "bottom": 44},
        "xAxis": _axis(type="value", max=100, name="score = Σ weight × normalised criterion "
                                                   "score (points of 100)",
                       nameLocation="middle", nameGap=28),
        "yAxis": _axis(type="category", data=list(reversed(names))),
        "series": series,
    }


# ---------------------------------------------------------------------------------------------
# Landscape
# ---------------------------------------------------------------------------------------------

_STAGES: tuple[str | None, ...] = ("deployed", "pilot", "research", None)
_STAGE_HEAD = {"deployed": ("业务落地", "in business use"), "pilot": ("业务试点", "in pilots"),
               "research": ("概念与研发", "concept and R&D"), None: ("阶段未注明", "stage not stated")}


def _row_key(r: CatalogRecord) -> tuple[int, str]:
    if r.domain == "general":
        return 0, "general"
    if r.domain == "vertical":
        return 1, r.industry or "?"
    return 2, "other"


_MAP_CSS = """<style>
.bm-legend{display:flex;flex-wrap:wrap;gap:14px;align-items:center;font-size:12.5px;
  color:#687089;margin:2px 0 10px}
.bm-legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;
  vertical-align:-1px}
.bm-panel{border:1px solid #e3e6ee;border-radius:10px;margin:14px 0;overflow:hidden}
.bm-panel>h3{margin:0;padding:10px 16px;background:#1d2433;color:#fff;font-size:15px;
  letter-spacing:1px;display:flex;justify-content:space-between;align-items:baseline}
.bm-panel>h3 small{color:#c6cad6;font-weight:400;font-size:12px;letter-spacing:0}
.bm-band{display:flex;border-top:1px solid #eef0f5}
.bm-band:first-of-type{border-top:none}
.bm-band>.bm-head{flex:0 0 132px;color:#fff;padding:10px 12px;font-weight:700;
  font-size:14px;display:flex;flex-direction:column;justify-content:center}
.bm-band>.bm-head small{font-weight:400;font-size:11px;opacity:.85}
.bm-band>.bm-head b{font-size:20px;line-height:1.1;margin-top:2px}
.bm-band>.bm-cells{flex:1;padding:8px 10px;background:#fafbfc}
.bm-chip{display:inline-block;margin:3px;padding:3px 8px 3px 7px;background:#fff;
  border:1px solid #e3e6ee;border-left:4px solid #9ca3af;border-radius:5px;font-size:12.5px;
  line-height:1.3;box-shadow:0 1px 1px rgba(0,0,0,.04)}
.bm-chip em{font-style:normal;color:#8a91a5;font-size:11px;margin-left:4px}
.bm-chip sup{font-size:9.5px;font-weight:700;margin-left:3px;padding:0 3px;border-radius:3px}
.bm-chip sup.o{background:#dcfce7;color:#166534}.bm-chip sup.f{background:#dbeafe;color:#1e40af}
.bm-chip sup.i{background:#f3f4f6;color:#4b5563;font-weight:600}
.bm-chip.measured{box-shadow:0 0 0 2px #c2410c}
.bm-chip.tried{outline:2px dashed #9ca3af;outline-offset:1px}
.bm-vgrid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:1px;
  background:#eef0f5}
.bm-card{background:#fafbfc;padding:8px 10px}
.bm-card h4{margin:0 0 4px;font-size:13.5px;color:#5b21b6;display:flex;
  justify-content:space-between}
.bm-card h4 small{color:#8a91a5;font-weight:400}
</style>"""


def _chip(r: CatalogRecord, colour: str, measured: Mapping[str, Sequence[str]],
          tried: Mapping[str, Sequence[str]], tag: str = "") -> str:
    name = r.model or r.model_en or "(model not named)"
    vendor = r.vendor or r.vendor_en or ""
    badges = f'<sup class="i">{esc(tag)}</sup>' if tag else ""
    if r.weights in ("open", "mixed"):
        badges += '<sup class="o">开</sup>'
    if r.filing == "filed":
        badges += '<sup class="f">备</sup>'
    tip = (f"{r.label} · {KIND_SHORT.get(r.vendor_kind, r.vendor_kind)} · stage "
           f"{_STAGE_HEAD[r.stage][0]} · weights {r.weights} · filing {r.filing or 'unknown'} "
           f"· region {r.region or 'unknown'} · sources: {', '.join(r.sources)} · id {r.id}")
    cls = "bm-chip"
    if r.id in measured:
        cls += " measured"
        tip += f" · measured by baimo as {', '.join(measured[r.id])}"
    elif r.id in tried:
        cls += " tried"
    if r.id in tried:
        tip += f" · tried by baimo as {', '.join(tried[r.id])}, no scored results"
    vend = f"<em>{esc(vendor)}</em>" if vendor and vendor not in name else ""
    return (f'<span class="{cls}" style="border-left-color:{colour}" title="{esc(tip)}">'
            f"{esc(name)}{vend}{badges}</span>")


def _band(head_zh: str, head_en: str, colour: str, chips: Sequence[str]) -> str:
    return (f'<div class="bm-band"><div class="bm-head" style="background:{colour}">'
            f"{esc(head_zh)}<small>{esc(head_en)}</small><b>{len(chips)}</b></div>"
            f'<div class="bm-cells">{"".join(chips)}</div></div>')


def _sort_key(r: CatalogRecord) -> tuple[str, str, str]:
    return (r.vendor_kind, r.vendor or r.vendor_en or "", r.model or r.model_en or "")


def landscape_grid_html(records: Sequence[CatalogRecord],
                        measured: Mapping[str, Sequence[str]] | None = None,
                        tried: Mapping[str, Sequence[str]] | None = None) -> str:
    """The 图谱 in the seed's two maps: 通用 by stage, 垂类 by industry coloured by stage.

    EO Intelligence draws general-purpose models in stage sections (业务落地 / 业务试点 /
    概念与研发) and vertical models by industry with the stage as a colour; the same here, so a
    reader can hold this map next to the seed's. Chips of general models are edged in the
    vendor kind's colour, chips of vertical models in the stage's colour; ``开`` marks open
    weights, ``备`` a filing, and a ring the models baimo has measured (``measured``: record
    id → measured model names) and a dashed outline those it only tried (``tried``: record
    id → model names with no scored result; see ``baimo.store.runs.model_coverage``). Records
    without a stated stage or type get their own band rather than being guessed into one.
    """
    measured = measured or {}
    tried = tried or {}
    general = sorted([r for r in records if r.domain == "general"], key=_sort_key)
    vertical = [r for r in records if r.domain == "vertical"]
    other = sorted([r for r in records if r.domain not in ("general", "vertical")],
                   key=_sort_key)
    kinds = Counter(r.vendor_kind for r in records)
    legend = "".join(f'<span><i style="background:{KIND_COLOURS.get(k, "#9ca3af")}"></i>'
                     f"{esc(KIND_SHORT.get(k, k))} {n}</span>" for k, n in kinds.most_common())
    legend += ('<span><sup style="background:#dcfce7;color:#166534;padding:0 3px;'
               'border-radius:3px;font-weight:700">开</sup> open weights</span>'
               '<span><sup style="background:#dbeafe;color:#1e40af;padding:0 3px;'
               'border-radius:3px;font-weight:700">备</sup> filed (已备案)</span>')
    if measured:
        legend += ('<span><i style="background:#fff;box-shadow:0 0 0 2px #c2410c"></i>'
                   "measured by baimo</span>")
    if any(rid not in measured for rid in tried):
        legend += ('<span><i style="background:#fff;outline:2px dashed #9ca3af"></i>'
                   "tried by baimo, no scored results</span>")
    parts = [_MAP_CSS, f'<div class="bm-legend"><b>Edge colour = vendor kind:</b>{legend}</div>']
    if general:
        bands = []
        for st in _STAGES:
            recs = [r for r in general if r.stage == st]
            if recs:
                zh, en = _STAGE_HEAD[st]
                bands.append(_band(zh, en, STAGE_COLOURS[st], [
                    _chip(r, KIND_COLOURS.get(r.vendor_kind, "#9ca3af"), measured, tried)
                    for r in recs]))
        parts.append(f'<div class="bm-panel"><h3>通用大模型图谱<small>general-purpose models by '
                     f"stage · {len(general)}</small></h3>{''.join(bands)}</div>")
    if vertical:
        by_ind: dict[str, list[CatalogRecord]] = defaultdict(list)
        for r in vertical:
            by_ind[r.industry or "?"].append(r)
        stage_legend = " ".join(
            f'<span style="color:{STAGE_COLOURS[st]}">■</span> {esc(_STAGE_HEAD[st][0])}'
            for st in _STAGES)
        cards = []
        for ind, recs in sorted(by_ind.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            recs.sort(key=lambda r: (_STAGES.index(r.stage), *_sort_key(r)))
            card = "".join(_chip(r, STAGE_COLOURS[r.stage], measured, tried) for r in recs)
            cards.append(f'<div class="bm-card"><h4>{esc(INDUSTRY_ZH.get(ind, ind))}'
                         f"<small>{esc(ind)} · {len(recs)}</small></h4>{card}</div>")
        parts.append(f'<div class="bm-panel"><h3>垂类大模型图谱<small>vertical models by industry;'
                     f" edge colour = stage: {stage_legend} · {len(vertical)}</small></h3>"
                     f'<div class="bm-vgrid">{"".join(cards)}</div></div>')
    if other:
        chips = [_chip(r, KIND_COLOURS.get(r.vendor_kind, "#9ca3af"), measured, tried,
                       _STAGE_HEAD[r.stage][0] if r.stage else "") for r in other]
        parts.append('<div class="bm-panel"><h3>类型未注明<small>records whose sources do not '
                     "say general or vertical: multimodal tools, inference platforms, vendors "
                     f"without a named model · {len(other)}</small></h3>"
                     + _band("未注明", "type not stated", "#6b7280", chips) + "</div>")
    return "".join(parts)


def landscape_sunburst_option(records: Sequence[CatalogRecord]) -> dict[str, Any]:
    """Type → stage → vendor kind, sized by record count: the map's composition at a glance."""
    tree: dict[tuple[int, str], dict[str | None, Counter[str]]] = defaultdict(
        lambda: defaultdict(Counter))
    for r in records:
        key = _row_key(r)
        tree[(key[0], "vertical" if key[0] == 1 else key[1])][r.stage][r.vendor_kind] += 1
    names = {0: "通用", 1: "垂类", 2: "未注明"}
    ring_colours = {0: "#1d2433", 1: "#7c3aed", 2: "#9ca3af"}
    data = []
    for key in sorted(tree):
        children = []
        for st in _STAGES:
            kinds = tree[key].get(st)
            if not kinds:
                continue
            children.append({"name": _STAGE_HEAD[st][0],
                             "itemStyle": {"color": STAGE_COLOURS[st]},
                             "children": [{"name": KIND_SHORT.get(k, k), "value": n,
                                           "itemStyle": {"color": KIND_COLOURS.get(k,
                                                                                  "#9ca3af")}}
                                          for k, n in kinds.most_common()]})
        data.append({"name": names[key[0]], "itemStyle": {"color": ring_colours[key[0]]},
                     "children": children})
    return {
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} record(s)"},
        "series": [{
            "type": "sunburst", "data": data, "radius": ["10%", "95%"], "sort": None,
            "emphasis": {"focus": "ancestor"},
            "itemStyle": {"borderColor": "#fff", "borderWidth": 2},
            "label": {"minAngle": 7},
            "levels": [{}, {"r0": "10%", "r": "38%", "label": {"rotate": 0, "fontSize": 14,
                                                              "minAngle": 7,
                                                              "fontWeight": 700,
                                                              "color": "#fff"}},
                       {"r0": "38%", "r": "64%", "label": {"rotate": "tangential",
                                                          "minAngle": 10,
                                                          "fontSize": 12, "color": "#fff",
                                                          "fontWeight": 600}},
                       {"r0": "64%", "r": "95%", "itemStyle": {"opacity": 0.85},
                        "label": {"rotate": "radial", "fontSize": 11, "color": "#fff",
                                  "minAngle": 7}}],
        }],
    }


def vendor_treemap_option(records: Sequence[CatalogRecord]) -> dict[str, Any]:
    """Vendor kind → vendor, area = models in the catalog: who builds China's models."""
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for r in records:
        by_kind[r.vendor_kind][r.vendor or r.vendor_en or "(vendor not named)"] += 1
    data = []
    for kind, vendors in sorted(by_kind.items(), key=lambda kv: -sum(kv[1].values())):
        data.append({"name": f"{KIND_SHORT.get(kind, kind)} {sum(vendors.values())}",
                     "itemStyle": {"color": KIND_COLOURS.get(kind, "#9ca3af")},
                     "children": [{"name": v, "value": n} for v, n in vendors.most_common()]})
    return {
        "tooltip": {"formatter": "{b}: {c} record(s)"},
        "series": [{
            "type": "treemap", "data": data, "roam": False, "nodeClick": False,
            "breadcrumb": {"show": False}, "left": 0, "right": 0, "top": 0, "bottom": 0,
            "squareRatio": 1.2,
            "upperLabel": {"show": True, "height": 24, "color": "#fff", "fontWeight": 700},
            "label": {"show": True, "formatter": "{b}", "fontSize": 11.5},
            "levels": [{"itemStyle": {"borderColor": "#fff", "borderWidth": 3, "gapWidth": 3}},
                       {"colorSaturation": [0.35, 0.6],
                        "itemStyle": {"borderColorSaturation": 0.7, "gapWidth": 1,
                                      "borderWidth": 1}}],
        }],
    }


def _census_section(report: Report, census: CensusReport) -> None:
    c = census.census
    kpis = [
        (f"{census.released}", f"models released by {c.released_total.as_of}"),
        (f"{census.filed}", f"filed (备案) by {c.filed_total.as_of}"),
        (f"{census.filed_share_pct:.1f}%", "of released models filed"),
        (f"{census.universities}", "from universities and institutes"),
    ]
    kpi_html = '<div class="kpis">' + "".join(
        f'<div class="kpi"><b>{esc(v)}</b><span>{esc(t)}</span></div>' for v, t in kpis) + "</div>"
    regions = [*[(f"{r.region_zh} {r.region}", r.filed) for r in census.regions],
               ("其他地区 other", census.other_regions_filed)]
    bar = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 130, "right": 50, "top": 10, "bottom": 30},
        "xAxis": _axis(type="value", name="filed models", nameLocation="middle", nameGap=22),
        "yAxis": _axis(type="category", data=[r[0] for r in reversed(regions)]),
        "series": [{"type": "bar", "barWidth": 16, "data": [
            {"value": n, "itemStyle": {"color": ACCENT if i < len(regions) - 1 else "#b6bcc8",
                                       "borderRadius": [0, 4, 4, 0]}}
            for i, (_, n) in enumerate(regions)][::-1],
            "label": {"show": True, "position": "right", "color": INK}}],
    }
    report.section("百模大战 in numbers: the census", kpi_html + (
        f'<p class="note">Source: {esc(c.publisher)}, {esc(c.title)} ({esc(c.source)}). Shares '
        f"are computed here from the counts, not copied; regions are the filings the source "
        f"itemises.</p>"), charts=[(bar, 200)])


def landscape_report(catalog: Catalog | Sequence[CatalogRecord], *,
                     census: CensusReport | None = None,
                     measured: Mapping[str, Sequence[str]] | None = None,
                     tried: Mapping[str, Sequence[str]] | None = None,
                     title_suffix: str = "") -> Report:
    """The landscape map report: census, the 图谱 grid, composition and vendor charts."""
    records = list(catalog)
    report = Report("China LLM landscape 中国大模型图谱" + title_suffix,
                    f"{len(records)} catalog records by type and stage, after EO Intelligence's "
                    "2024 图谱 (seed 001); every record carries its source")
    if census is not None:
        _census_section(report, census)
    stages = Counter(r.stage for r in records)
    n_open = sum(1 for r in records if r.weights in ("open", "mixed"))
    n_filed = sum(1 for r in records if r.filing == "filed")
    kpis = (f'<div class="kpis"><div class="kpi"><b>{len(records)}</b><span>models mapped'
            f'</span></div><div class="kpi"><b>{stages.get("deployed", 0)}</b><span>业务落地 in '
            f'business use</span></div><div class="kpi"><b>{stages.get("pilot", 0)}</b><span>'
            f'业务试点 in pilots</span></div><div class="kpi"><b>{stages.get("research", 0)}</b>'
            f'<span>概念与研发 R&amp;D</span></div><div class="kpi"><b>{n_open}</b><span>open or '
            f'mixed weights</span></div><div class="kpi"><b>{n_filed}</b><span>with a known '
            f"filing</span></div></div>")
    report.section("大模型图谱: models by type and stage", kpis + landscape_grid_html(
        records, measured, tried) + '<p class="note">Laid out as EO Intelligence\'s two maps (seed '
        "001): general-purpose models in the stage sections 业务落地 / 业务试点 / 概念与研发, "
        "vertical models by industry with the stage as colour. A record whose stage or type "
        "the sources do not state is kept in its own band rather than guessed. Hover a chip "
        "for vendor, weights, filing and sources. The catalog holds the models the seed "
        "documents name, not all 305 of the census.</p>")
    report.section("Composition: type → stage → vendor kind",
                   '<p class="note">Inner ring: 通用 / 垂类 / type not stated; middle ring: '
                   "stage; outer ring: kind of vendor. Segment size = number of records.</p>",
                   charts=[(landscape_sunburst_option(records), 560)])
    report.section("Who builds them: vendor kind → vendor",
                   '<p class="note">Area = catalog records per vendor, grouped by the kinds EO '
                   "Intelligence distinguishes (互联网/云厂商, AI 创业公司, 技术类厂商, 研究机构/"
                   "高校, 推理服务平台 …).</p>",
                   charts=[(vendor_treemap_option(records), 520)])
    return report


def write_landscape_map(out: Path, catalog: Catalog | Sequence[CatalogRecord], *,
                        census: CensusReport | None = None,
                        measured: Mapping[str, Sequence[str]] | None = None,
                        tried: Mapping[str, Sequence[str]] | None = None) -> Path:
    """Write the landscape map report to ``out``."""
    write_user_file(out, landscape_report(catalog, census=census, measured=measured,
                                          tried=tried).render(), "report")
    return out


# ---------------------------------------------------------------------------------------------
# Advice report
# ---------------------------------------------------------------------------------------------


def _fmt_num(x: float | None, fmt: str = "{:.3g}") -> str:
    return "—" if x is None or (isinstance(x, float) and not math.isfinite(x)) else fmt.format(x)


def _pareto_inputs(advice: Advice, models: Sequence[ModelMeasurements], share: float
                   ) -> list[ParetoInput]:
    front = {p.name for p in advice.pareto}
    ranked = {r.name for r in advice.ranked}
    excluded = {e.name for e in advice.excluded}
    out = []
    for m in models:
        met = dict(m.metrics)
        if "blended_price_per_1m" not in met and {"price_in_per_1m", "price_out_per_1m"} <= set(
                met):
            met["blended_price_per_1m"] = (share * met["price_in_per_1m"]
                                           + (1 - share) * met["price_out_per_1m"])
        if not {"capability", "blended_price_per_1m", "ttft_p95_s"} <= set(met):
            continue
        if m.name in front:
            status = "frontier"
        elif m.name in ranked:
            status = "dominated"
        elif m.name in excluded:
            status = "excluded"
        else:
            continue
        out.append(ParetoInput(m.name, met["capability"], met["blended_price_per_1m"],
                               met["ttft_p95_s"], status))
    return out


def advice_report(advice: Advice, profile: Profile, models: Sequence[ModelMeasurements],
                  measurements: Mapping[str, Measurements] | None = None,
                  sensitivity: LinearSensitivity | None = None) -> Report:
    """The advisor's report: recommendation, Pareto chart, ranking, sensitivity, gaps, sources.

    Args:
        advice: What ``advise`` returned.
        profile: The scenario or profile it was asked for.
        models: The advisor's input (for the Pareto positions of every model).
        measurements: Where each number came from (``collect_measurements``), if known.
        sensitivity: How the ranking depends on the weights
            (``baimo.scores.sensitivity.linear_sensitivity`` of the advice); no section
            without it.
    """
    measurements = measurements or {}
    cur = advice.currency
    share = profile.blend_input_share
    report = Report(f"advice · {advice.scenario}",
                    f"scenario {profile.id}"
                    + (f" ({profile.name_en})" if profile.name_en else "")
                    + f" · priorities {profile.priority_text()} · {len(models)} measured models")

    # --- recommendation
    best = advice.best
    kpis = [(", ".join(b.name for b in best) if best else "none", "recommended"),
            (f"{best[0].score:.3f}" if best else "—", "score (of 1)"),
            (str(len(advice.ranked)), "ranked"),
            (str(len(advice.pareto)), "on the Pareto frontier"),
            (str(len(advice.excluded)), "excluded by constraints"),
            (str(len(advice.missing)), "missing a measurement")]
    kpi_html = '<div class="kpis">' + "".join(
        f'<div class="kpi"><b>{esc(v)}</b><span>{esc(t)}</span></div>' for v, t in kpis) + "</div>"
    weights = ", ".join(f"{CRITERION_ZH.get(k, k)} {v:.3f}" for k, v in advice.weights.items())
    quote = (f'<blockquote style="margin:10px 0;padding:8px 14px;border-left:3px solid {ACCENT};'
             f'background:#fff7f2;color:{INK}">{esc(profile.quote)}<br><span class="note">'
             f"— {esc(profile.source or 'QbitAI Think Tank (量子位智库), seed 004')}</span>"
             "</blockquote>") if profile.quote else ""
    report.section("Recommendation", kpi_html + f"<p>{esc(advice.recommendation)}</p>" + quote
                   + f'<p class="note">Weights: {esc(weights)}. {esc(advice.method)}</p>')

    # --- Pareto
    pts = _pareto_inputs(advice, models, share)
    if pts:
        blend = f"({share:.0%} input / {1 - share:.0%} output)"
        report.section(
            "Pareto frontier: quality vs cost vs latency",
            '<p class="note">Each bubble is a model: up is more capable, left is cheaper; '
            "bubble size and colour are TTFT p95 (small and green = fast). Models on the "
            "frontier (dark ring, labelled) are not beaten by any other candidate on "
            "capability, price and latency at once; choosing among them is a matter of "
            "priorities, choosing off it is paying for nothing. The frontier is computed over "
            "all three axes, so a frontier model can look beaten in this flat view: it is then "
            "faster.</p>",
            charts=[(pareto_option(pts, currency=cur, blend_note=blend), 460)])
    elif advice.pareto_skipped or advice.ranked:
        report.section("Pareto frontier: quality vs cost vs latency",
                       '<p class="note">No model has capability, a price and TTFT p95 all '
                       "measured, so no frontier can be drawn.</p>")

    # --- ranking
    if advice.ranked:
        crits = [c for c, w in advice.weights.items() if w > 0]
        rows: list[list[Any]] = []
        front = {p.name for p in advice.pareto}
        for r in advice.ranked:
            rows.append([r.rank, Raw(f"<b>{esc(r.name)}</b>" + (
                ' <span class="sig">◆ frontier</span>' if r.name in front else "")),
                f"{r.score:.3f}", *[f"{r.criterion_scores.get(c, 0.0):.2f}" for c in crits],
                Raw(f'<span class="note">{esc(format_measurements(r.measurements, cur, compact=True))}</span>')])
        report.section(
            "Ranking", table(["rank", "model", "score", *[CRITERION_ZH.get(c, c) for c in crits],
                              "deciding measurements"], rows, numeric_from=2)
            + '<p class="note">Criterion scores are min-max normalised across the ranked '
              "candidates (1 = best of them, 0 = worst), so they rank this set only.</p>",
            charts=[(contribution_option(advice), 100 + 46 * len(advice.ranked))])

        # capability vs latency quadrant
        qp = [QuadrantPoint(p.name, p.ttft_p95_s, 100 * p.capability, p.price)
              for p in pts if p.status != "excluded"]
        if len(qp) >= 2:
            report.section(
                "Capability vs responsiveness",
                '<p class="note">Right is faster (TTFT p95, axis reversed), up is more '
                "capable; bubble area = blended price. Dashed lines are the field's means, so "
                "the tinted quadrant holds models better than the field's average on both."
                "</p>",
                charts=[(quadrant_option(
                    qp, x_label="TTFT p95 (s)", y_label="capability (%)", x_inverse=True,
                    x_floor=0.0, y_floor=0.0, y_ceil=100.0, size_label="price/1M",
                    quadrant_labels=("强且快 capable and fast", "强但慢 capable, slower",
                                     "弱且慢 behind on both", "快但弱 fast, less capable")),
                    440)])
        if len(advice.ranked) >= 1:
            radar = radar_option({r.name: r.criterion_scores for r in advice.ranked}, crits,
                                 axis_labels=CRITERION_ZH)
            report.section("Criterion profile", '<p class="note">Normalised criterion scores '
                           "(0 = worst candidate, 1 = best).</p>", charts=[(radar, 400)])

        # sensitivity of the advice to its weights (computed by baimo.scores.sensitivity)
        if sensitivity is not None:
            names = sensitivity.entities
            acc = sensitivity.acceptability
            flow, h = rank_flow_option(sensitivity.oat, sensitivity.baseline, names,
                                       weight_labels=CRITERION_ZH)
            report.section(
                "How much the advice depends on the weights",
                '<p class="note">Rank flows: one weight at a time moved by ±10/20/50% (the '
                "others rescaled to keep the sum 1); a crossing is a rank reversal. Heatmap: "
                "the share "
                f"of {acc.draws} random weightings around the stated ones ({esc(acc.distribution)}"
                f", seed {acc.seed}) in which each model takes each rank.</p>",
                charts=[(flow, h), (rank_acceptability_option(acc, names),
                                    150 + 40 * len(names))])

    # --- excluded and missing
    if advice.excluded:
        rows = [[e.name, "; ".join(v.text() for v in e.violations)] for e in advice.excluded]
        report.section("Excluded by hard constraints", table(["model", "constraint broken"],
                                                             rows, numeric_from=9))
    if advice.missing:
        rows = []
        for mm in advice.missing:
            ms = measurements.get(mm.name)
            for metric in mm.missing:
                why = "not measured"
                if ms is not None:
                    from baimo.scores.measured import explain_missing

                    why = explain_missing(ms, metric)
                rows.append([mm.name, metric, ", ".join(mm.needed_by.get(metric, ())), why])
        report.section("Missing measurements (not ranked)", table(
            ["model", "missing", "needed by", "why, and how to measure it"], rows,
            numeric_from=9) + '<p class="note">A model without a measurement a criterion or '
            "constraint needs is never guessed or dropped: it is listed here.</p>")

    # --- sources
    if measurements:
        rows = []
        for name, ms in measurements.items():
            dims = ", ".join(f"{d} {100 * v:.0f}% (n={ms.dimension_n.get(d, 0)})"
                             for d, v in ms.dimensions.items()) or "—"
            perf = (f"{ms.perf.run_id} · {ms.perf.level} · n={ms.perf.requests_ok}"
                    if ms.perf else "—")
            gaps = " ".join(f'<span title="{esc(why)}" style="border-bottom:1px dotted '
                            f'{MUTED};cursor:help">{esc(k)}</span>'
                            for k, why in ms.missing.items()) or "—"
            rows.append([Raw(f"<b>{esc(name)}</b>"), dims, ", ".join(ms.eval_runs) or "—",
                         perf, ms.config_source, ms.deployment, ms.catalog_id or "—",
                         Raw(f'<span class="note">{gaps}</span>')])
        report.section("Where the numbers come from", table(
            ["model", "capability dimensions", "eval runs", "perf run · level · requests",
             "prices and attributes from", "deployment", "catalog record",
             "not measured (hover for why)"], rows, numeric_from=99)
            + '<p class="note">Capability = mean of the measured capability dimensions '
              "(safety excluded); speed = the perf run's lightest load level; blended price = "
              f"{share:.0%} input + {1 - share:.0%} output price per 1M tokens. Every value "
              "comes from a run stored by baimo or from the models file; nothing is typed "
              "in.</p>")
    return report


def write_advice_report(out: Path, advice: Advice, profile: Profile,
                        models: Sequence[ModelMeasurements],
                        measurements: Mapping[str, Measurements] | None = None,
                        sensitivity: LinearSensitivity | None = None) -> Path:
    """Write the advice report to ``out`` (arguments as for ``advice_report``)."""
    write_user_file(out, advice_report(advice, profile, models, measurements,
                                       sensitivity).render(), "report")
    return out


# ---------------------------------------------------------------------------------------------
# Score report
# ---------------------------------------------------------------------------------------------


def _score_quadrant(result: ScoreResult, m: Methodology, lo: float | None, hi: float | None
                    ) -> dict[str, Any] | None:
    dims = [d.id for d in m.dimensions]
    if len(dims) < 2 or len(result.scores) < 2:
        return None
    names = result.dimension_names
    if result.axes is not None:
        xd, yds = result.axes[0], [result.axes[1]]
    else:
        xd, yds = dims[0], dims[1:]
    dw = result.weights.get("dimensions") or {}
    wy = [float(dw.get(d, 1.0)) or 1.0 for d in yds]
    pts = []
    for s in result.scores:
        y = sum(w * s.dimensions[d] for w, d in zip(wy, yds, strict=True)) / sum(wy)
        pts.append(QuadrantPoint(s.entity, s.dimensions[xd], y, s.overall))
    x_label = names.get(xd, xd)
    y_label = " + ".join(names.get(d, d) for d in yds)
    return quadrant_option(
        pts, x_label=x_label, y_label=y_label, size_label="overall", x_floor=lo, x_ceil=hi,
        y_floor=lo, y_ceil=hi,
        quadrant_labels=("领先者 Leaders", f"{y_label} 见长", "追赶者 Followers",
                         f"{x_label} 见长"))


def score_report(result: ScoreResult, methodology: Methodology,
                 measurements: Mapping[str, Measurements] | None = None) -> Report:
    """A methodology result as an analyst would publish it: ranking, quadrant, radar,
    sensitivity, who was left out and why, and the weights and normalisations used."""
    m = methodology
    dims = [d.id for d in m.dimensions]
    names = result.dimension_names
    report = Report(f"score · {m.title}",
                    f"{m.id} v{m.version} · {result.method}"
                    + (f" · scenario {result.scenario}" if result.scenario else "")
                    + f" · {len(result.scores)} scored of {len(result.entities)}")
    scale = result.report_scale
    lo, hi = scale if scale is not None else (0.0, 1.0)

    if result.scores:
        head = ["rank", "entity", *[names[d] for d in dims]]
        if result.combine_mode == "weighted":
            head.append("overall")
        rows: list[list[Any]] = []
        for s in result.scores:
            row: list[Any] = [s.rank if s.rank is not None else "—",
                              s.entity + (" *" if s.scored_without else "")]
            row += [f"{s.dimensions[d]:.3f} (#{s.dimension_ranks[d]})" for d in dims]
            if result.combine_mode == "weighted":
                row.append(Raw(f"<b>{_fmt_num(s.overall, '{:.3f}')}</b>"))
            rows.append(row)
        dw = result.weights.get("dimensions") or {}
        wtxt = ", ".join(f"{names[k]} {v:.1%}" for k, v in dw.items())
        body = table(head, rows, numeric_from=2) + (
            f'<p class="note">Dimension weights: {esc(wtxt)}.</p>' if wtxt else "") + (
            '<p class="note">* scored without an optional indicator; see "Scored without '
            'optional indicators".</p>' if any(s.scored_without for s in result.scores) else "")
        if result.combine_mode == "weighted" and len(result.scores) >= 1:
            bars = {
                "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
                "legend": {"top": 0},
                "grid": {"left": 130, "right": 40, "top": 34, "bottom": 44},
                "xAxis": _axis(type="value", name="weight × dimension score (the bars sum to "
                               "the overall score)", nameLocation="middle", nameGap=28),
                "yAxis": _axis(type="category",
                               data=[s.entity for s in reversed(result.scores)]),
                "series": [{"name": names[d], "type": "bar", "stack": "o", "barWidth": 18,
                            "data": [_r(float(dw.get(d, 0.0)) * s.dimensions[d], 4)
                                     for s in reversed(result.scores)]} for d in dims],
            }
            report.section("Ranking", body, charts=[(bars, 100 + 44 * len(result.scores))])
        else:
            report.section("Scores", body)
        quad = _score_quadrant(result, m, lo, hi)
        if quad is not None:
            report.section("Quadrant", '<p class="note">Dimension scores on two axes, split at '
                           "the field's mean; bubble area = overall score. Where the "
                           "methodology names no axes, x is the first dimension and y the "
                           "weighted mean of the others (for Frost & Sullivan: 产品技术能力 vs "
                           "战略愿景 + 生态开放).</p>", charts=[(quad, 460)])
        values = [v for sc in result.scores for v in sc.dimensions.values()]
        r_lo, r_hi, _ = _nice_range(min(values), max(values), floor=lo, ceil=hi)
        r_hi = hi if hi - r_hi < 0.25 * (hi - lo) else r_hi
        radar = radar_option({s.entity: s.dimensions for s in result.scores}, dims,
                             min_value=r_lo, max_value=r_hi, axis_labels=names)
        cut = (f" The centre is {r_lo:g}, not {lo:g}, so that differences between entities "
               "are visible; read the shapes against each other, not against the centre."
               if r_lo > lo else "")
        report.section("Dimension radar", '<p class="note">One polygon per entity, every axis '
                       f"on the same {r_lo:g}–{r_hi:g} range (of the {lo:g}–{hi:g} scale)."
                       f"{cut}</p>", charts=[(radar, 420)])

    gates = {(o.entity, o.gate): o for o in result.gates}
    if m.gates and result.entities:
        rows = []
        for e in result.entities:
            cells: list[Any] = [e]
            for g in m.gates:
                o = gates[(e, g.id)]
                mark = {"pass": "<span class='sig'>pass</span>",
                        "fail": "<span class='bad'>FAIL</span>",
                        "missing": "<span class='note'>?</span>"}[o.status]
                cells.append(Raw(f'<span title="{esc(o.detail)}">{mark}</span>'))
            rows.append(cells)
        report.section("Entry gates", table(["entity", *[g.name for g in m.gates]], rows,
                                            numeric_from=99))
    without = [s for s in result.scores if s.scored_without]
    if without:
        rows = []
        for s in without:
            ms = (measurements or {}).get(s.entity)
            used = "; ".join(f"{g}: " + ", ".join(f"{k} {v:.1%}" for k, v in ws.items())
                             for g, ws in s.weights_used.items())
            for iid, why in s.scored_without.items():
                extra = ""
                if ms is not None and "no measured value '" in why:
                    from baimo.scores.measured import explain_missing

                    key = why.split("no measured value '", 1)[1].split("'", 1)[0]
                    extra = explain_missing(ms, key)
                rows.append([s.entity, f"{result.indicator_names.get(iid, iid)} ({iid})", why,
                             used, extra])
        report.section("Scored without optional indicators",
                       '<p class="note">These entities lack a value for an optional indicator. '
                       "Each was scored on the indicators it has, with their weights "
                       "renormalised to sum to 1 within the parent (the weights used are "
                       "shown), so its score rests on less evidence than the others'.</p>"
                       + table(["entity", "indicator", "why", "weights used", "how to fill "
                                "the gap"], rows, numeric_from=9))
    left = [(e, "excluded by a gate", r) for e, rs in result.excluded.items() for r in rs]
    left += [(e, "incomplete", r) for e, rs in result.incomplete.items() for r in rs]
    if left:
        rows = []
        measurements = measurements or {}
        for e, what, reason in left:
            extra = ""
            ms = measurements.get(e)
            if ms is not None and "no measured value '" in reason:
                key = reason.split("no measured value '", 1)[1].split("'", 1)[0]
                from baimo.scores.measured import explain_missing

                extra = explain_missing(ms, key)
            rows.append([e, what, reason, extra])
        report.section("Left out, and why", table(["entity", "status", "reason", "how to fill "
                                                   "the gap"], rows, numeric_from=9))

    sens = result.sensitivity
    if sens is not None and result.scores:
        base = {s.entity: int(s.rank or 0) for s in result.scores}
        order = [s.entity for s in result.scores]
        labels = dict(names) if sens.level == "dimensions" else dict(result.indicator_names)
        flow, h = rank_flow_option(sens.oat, base, order, weight_labels=labels,
                                   per_row=2 if len(sens.weight_names) <= 4 else 3)
        acc = sens.acceptability
        report.section(
            "Sensitivity: rank flows and rank acceptability",
            f'<p><b>Smallest weight change that flips first place:</b> {esc(sens.flip.note)}.</p>'
            f'<p class="note">Rank flows: one '
            f"{'dimension' if sens.level == 'dimensions' else 'indicator'} weight at a time "
            "moved by the stated percentages. Heatmap: share of "
            f"{acc.draws} random weightings ({esc(acc.distribution)}, seed {acc.seed}) in which "
            "each entity takes each rank.</p>",
            charts=[(flow, h), (rank_acceptability_option(acc, order), 150 + 40 * len(order))])

    p = m.provenance
    rows = [[k, result.indicator_names.get(k, k), f"{v:.2%}",
             result.normalisations.get(k, "")]
            for k, v in (result.weights.get("global") or {}).items()]
    body = (f"<p>{esc(p.publisher)}, <i>{esc(p.title)}</i>, {esc(p.date)}"
            + (f"; seed {esc(p.seed_file)}" if p.seed_file else "")
            + f'. Methodology sha256 <code>{esc(result.methodology_sha256[:12])}</code>.</p>')
    if rows:
        body += table(["indicator", "name", "global weight", "normalisation"], rows,
                      numeric_from=2)
    body += "".join(f'<p class="note">{esc(n)}</p>' for n in result.notes)
    report.section("Method and provenance", body)
    return report


def write_score_report(result: ScoreResult, methodology: Methodology, out: Path,
                       measurements: Mapping[str, Measurements] | None = None) -> Path:
    """Write the score report to ``out``."""
    write_user_file(out, score_report(result, methodology, measurements).render(), "report")
    return out


def measured_links(names: Iterable[str], catalog: Catalog) -> dict[str, list[str]]:
    """Catalog record id → the model names linking to it (for the map's rings: pass the
    measured names, or the tried ones, of ``baimo.store.runs.model_coverage``)."""
    from baimo.landscape import link_measured

    out: dict[str, list[str]] = defaultdict(list)
    for name, rid in link_measured(catalog, list(names)).items():
        if rid is not None:
            out[rid].append(name)
    return dict(out)
