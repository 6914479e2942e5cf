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
from baimo.store.records import ModelCoverage
from baimo.store.store import Store
from support import render_in_chromium, write_models, write_task


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


def _measure(tmp: Path, served: list[str], asked: list[str], perf: list[str]) -> None:
    """Real runs into the default store against a mock endpoint that knows only ``served``
    (every other model gets a 404, so each of its samples and requests fails)."""
    from baimo.config import load_config
    from baimo.perf.loads import parse_levels
    from baimo.perf.runner import PerfSpec, run_perf
    from baimo.runs.eval import run_eval
    from baimo.tasks.task import load_task
    from baimo.testing.mockserver import MockConfig, MockServer

    with MockServer(MockConfig(models=served)) as srv:
        cfg = load_config(write_models(tmp, srv.base_url, [{"name": n, "model": n}
                                                           for n in dict.fromkeys([*asked, *perf])]))
        store = Store()
        try:
            task = load_task(write_task(tmp, 4), cfg)
            if asked:
                run_eval(store, [cfg.get(n) for n in asked], [task], command="test eval")
            if perf:
                spec = PerfSpec(levels=parse_levels("1", None, False, None), requests=2,
                                input_tokens=8, output_tokens=4, tokenizer="words")
                run_perf(store, spec, [cfg.get(n) for n in perf], command="test perf")
        finally:
            store.close()


def test_measured_models_are_ringed_on_the_map(tmp_path: Path) -> None:
    _measure(tmp_path, ["deepseek-chat"], ["deepseek-chat"], [])
    cat = load_catalog(include_user=False)
    links = measured_links(["deepseek-chat", "smollm2-135m"], cat)
    assert links == {"deepseek/deepseek": ["deepseek-chat"]}
    out = tmp_path / "map.html"
    res = run("map", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "1 measured by baimo" in res.output and "tried" not in res.output
    html = out.read_text(encoding="utf-8")
    assert "bm-chip measured" in html and "measured by baimo as deepseek-chat" in html


def test_models_whose_every_run_failed_are_tried_not_measured(tmp_path: Path) -> None:
    # qwen-plus: an eval whose every sample failed; glm-4: a perf run whose every request
    # failed; moonshot-v1-8k: a run that stored no row at all for it.
    _measure(tmp_path, ["deepseek-chat"], ["deepseek-chat", "qwen-plus"], ["glm-4"])
    store = Store()
    try:
        store.runs.create("eval", {"tasks": [], "models": ["moonshot-v1-8k"]}, "test",
                          [("moonshot-v1-8k", {"name": "moonshot-v1-8k"})])
        rows = store.runs.results([r.id for r in store.runs.recent(10, kind="eval")])
        assert {r.status for r in rows if r.model_name == "qwen-plus"} == {"error"}
        assert store.runs.coverage() == ModelCoverage(
            measured=("deepseek-chat",), tried=("glm-4", "moonshot-v1-8k", "qwen-plus"))
    finally:
        store.close()
    out = tmp_path / "map.html"
    res = run("map", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "1 measured by baimo, 3 tried by baimo with no scored results" in res.output
    html = out.read_text(encoding="utf-8")
    chips = {rid: cls for cls, rid in re.findall(
        r'<span class="(bm-chip[^"]*)"[^>]*· id ([\w.\-]+/[\w.\-]+)[ "]', html)}
    assert chips["deepseek/deepseek"] == "bm-chip measured"
    for rid in ("alibaba/qwen", "zhipu/chatglm", "moonshot/kimi"):
        assert chips[rid] == "bm-chip tried", rid
    assert "tried by baimo as qwen-plus, no scored results" in html
    assert "measured by baimo as qwen-plus" not in html
    assert "tried by baimo, no scored results</span>" in html  # the legend says what it means


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
