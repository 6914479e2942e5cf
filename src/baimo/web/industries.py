"""The vertical-industry potential chart of seed 001 (EO Intelligence, March 2024).

The data (``baimo/landscape/data/industries.yaml``) keeps what the source's text states, the
maturity horizon of each industry, and cites it. The bubble size is the number of vertical
models of that industry in baimo's catalog, counted now. The source's monetisation axis is
drawn only in its figure, so it is left unknown rather than guessed; the chart says so.
"""

from __future__ import annotations

import importlib.resources
from typing import Any

import yaml

from baimo.landscape.catalog import Catalog

HORIZONS = ("short", "mid", "long")


def load_industries(catalog: Catalog) -> dict[str, Any]:
    text = (importlib.resources.files("baimo.landscape") / "data" / "industries.yaml"
            ).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    counts: dict[str, int] = {}
    for r in catalog.records:
        if r.domain == "vertical" and r.industry:
            counts[r.industry.lower()] = counts.get(r.industry.lower(), 0) + 1
    items = []
    for ind in doc["industries"]:
        players = sum(counts.get(str(c).lower(), 0) for c in ind.get("catalog", []))
        items.append({**{k: ind[k] for k in ("id", "zh", "en", "horizon", "monetisation")},
                      "players": players})
    return {"source": doc["source"], "industries": items}


def industries_chart(data: dict[str, Any]) -> dict[str, Any]:
    """Industries along the maturity horizon; bubble area ∝ catalog players (min size 1)."""
    items = data["industries"]
    series: list[dict[str, Any]] = []
    for i, h in enumerate(HORIZONS):
        pts = [ind for ind in items if ind["horizon"] == h]
        series.append({
            "type": "scatter", "name": h,
            "data": [{"name": f"{p['zh']} {p['en']}", "value": [i, j, p["players"]]}
                     for j, p in enumerate(pts)],
            "symbolSize": 0, "label": {"show": True, "formatter": "{b}", "position": "right",
                                       "fontSize": 12}})
    for s in series:
        for d in s["data"]:
            d["symbolSize"] = 18 + 12 * d["value"][2]
    return {"grid": {"left": 40, "right": 120, "top": 20, "bottom": 40},
            "tooltip": {"trigger": "item", "formatter": "<b>{b}</b><br>{@[2]}"},
            "xAxis": {"type": "category", "data": ["短期 short", "中期 mid", "长期 long"],
                      "boundaryGap": True, "axisLine": {"onZero": False}},
            "yAxis": {"type": "value", "show": False, "min": -1, "max": 5},
            "series": series}
