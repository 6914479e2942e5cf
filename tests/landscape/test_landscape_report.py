"""``baimo landscape map``: the 图谱 as an offline HTML report (grid by type and stage, census,
composition and vendor charts), with the models baimo has measured ringed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from baimo.cli.landscape import app
from baimo.landscape import CatalogRecord, census_report, load_catalog, load_census
from baimo.reports.decision import (
    landscape_grid_html,
    landscape_report,
    landscape_sunburst_option,
    measured_links,
    vendor_treemap_option,
)
from baimo.store.store import Store
from support import render_in_chromium


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _domestic() -> list[CatalogRecord]:
    return [r for r in load_catalog(include_user=False) if r.market == "domestic"]


def test_grid_places_every_record_once_by_type_and_stage() -> None:
    records = _domestic()
    html = landscape_grid_html(records)
    ids = re.findall(r"· id ([\w.\-]+/[\w.\-]+)\"", html)
    assert sorted(ids) == sorted(r.id for r in records)
    for head in ("通用大模型图谱", "垂类大模型图谱", "类型未注明", "业务落地", "业务试点", "概念与研发",
                 "阶段未注明"):
        assert head in html
    general = [r for r in records if r.domain == "general"]
    deployed = [r for r in general if r.stage == "deployed"]
    band = html.split("业务落地", 1)[1].split('<div class="bm-band">', 1)[0]
    assert f"<b>{len(deployed)}</b>" in band
    assert "文心一言" in band and "MOSS" not in band  # MOSS is a pilot (业务试点)
    assert "教育" in html  # vertical industries in Chinese


def test_sunburst_and_treemap_count_every_record() -> None:
    records = _domestic()

    def total(nodes: list[dict[str, Any]]) -> int:
        return sum(n.get("value", 0) + total(n.get("children", [])) for n in nodes)

    assert total(landscape_sunburst_option(records)["series"][0]["data"]) == len(records)
    assert total(vendor_treemap_option(records)["series"][0]["data"]) == len(records)


def test_report_has_census_and_sources() -> None:
    report = landscape_report(_domestic(), census=census_report(load_census()))
    html = report.render()
    assert "<h2>百模大战 in numbers: the census</h2>" in html
    assert "305" in html and "140" in html and "45.9%" in html
    assert "003_73048b46281b17ca.txt" in html
    assert "sources: 001_be8c0c45228710db.txt" in html


def test_map_command_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    res = run("map", "--out", str(out))
    assert res.exit_code == 0, res.output
    n_dom = len(_domestic())
    assert f"({n_dom} records)" in res.output
    assert "大模型图谱" in out.read_text(encoding="utf-8")
    res = run("map", "--out", str(out), "--market", "all", "--no-measured")
    assert res.exit_code == 0
    assert f"({len(load_catalog(include_user=False))} records)" in res.output
    assert run("map", "--market", "mars").exit_code == 2


def test_measured_models_are_ringed_on_the_map(tmp_path: Path) -> None:
    store = Store()
    store.runs.create("eval", {"tasks": [], "models": ["deepseek-chat"]}, "test",
                      [("deepseek-chat", {"name": "deepseek-chat", "provider": "deepseek"})])
    store.close()
    cat = load_catalog(include_user=False)
    links = measured_links(["deepseek-chat", "smollm2-135m"], cat)
    assert links == {"deepseek/deepseek": ["deepseek-chat"]}
    out = tmp_path / "map.html"
    res = run("map", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "1 measured by baimo" in res.output
    html = out.read_text(encoding="utf-8")
    assert "bm-chip measured" in html and "measured by baimo as deepseek-chat" in html


@pytest.mark.browser
def test_map_renders_offline_in_chromium(tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    assert run("map", "--out", str(out)).exit_code == 0
    shown = render_in_chromium(out, tmp_path / "map.png", probes={
        "chips": lambda page: page.locator(".bm-chip").count(),
        "sunburst": lambda page: page.locator("#s3 .chart svg path").count()})
    assert not shown.errors, shown.errors
    assert shown.network == []
    assert shown.charts == 3  # census bars, sunburst, treemap
    assert shown.probes["chips"] == len(_domestic())
    assert shown.headings[1] == "大模型图谱: models by type and stage"
    assert shown.probes["sunburst"] > 10
