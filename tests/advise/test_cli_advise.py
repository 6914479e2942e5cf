"""``baimo advise`` end to end, on runs baimo itself stored: the embedded SmolLM2 model and two
mock-server models (different prices and known latencies) were evaluated and perf-tested; a
third mock model was evaluated only and must be listed as missing its speed measurements.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from baimo.cli.advise import app
from baimo.config import default_embedded_model, load_config
from baimo.perf.loads import Level
from baimo.perf.runner import PerfSpec, run_perf
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.registry import SuiteOptions, build_suite
from baimo.tasks.task import load_task
from baimo.testing.mockserver import MockConfig, MockServer
from support import render_in_chromium, write_models, write_task

EMBEDDED = default_embedded_model().name


@dataclass(frozen=True)
class Built:
    url: str
    config: Path
    eval_id: str
    perf_ids: tuple[str, ...]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """Real eval and perf runs, including the embedded model (about 15 s)."""
    tmp = tmp_path_factory.mktemp("advise")
    url = f"sqlite:///{tmp / 'store.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BAIMO_HOME", str(tmp / "home"))
        store = Store(url)
        with MockServer(MockConfig(ttft_s=0.15, itl_s=0.01)) as a, \
                MockServer(MockConfig(ttft_s=0.03, itl_s=0.002, output_tokens=2)) as b:
            path = write_models(tmp, a.base_url, [
                {"name": "mock-premium", "context_window": 128000,
                 "pricing": {"input_per_1m": 4, "output_per_1m": 12}},
                {"name": "mock-budget", "base_url": b.base_url, "context_window": 8000,
                 "pricing": {"input_per_1m": 0.8, "output_per_1m": 2}},
                {"name": "mock-unbenched", "context_window": 32000,
                 "pricing": {"input_per_1m": 1, "output_per_1m": 3}}])
            data = yaml.safe_load(path.read_text())
            data["dimensions"] = {"synthetic": "reasoning"}
            path.write_text(yaml.safe_dump(data))
            cfg = load_config(path)
            models = [cfg.get("mock-premium"), cfg.get("mock-budget"),
                      cfg.get("mock-unbenched"), cfg.get(EMBEDDED)]
            tasks = [*build_suite("demo", SuiteOptions(limit=3)),
                     load_task(write_task(tmp, 3))]
            ev = run_eval(store, models, tasks)
            spec = PerfSpec(levels=[Level("concurrency", 1.0)], requests=4, input_tokens=16,
                            output_tokens=8, ignore_eos="on", tokenizer="words",
                            timeout_s=10.0)
            p1 = run_perf(store, spec, models[:2])
        spec_e = PerfSpec(levels=[Level("concurrency", 1.0)], requests=3, input_tokens=16,
                          output_tokens=8, tokenizer="gguf", timeout_s=120.0)
        p2 = run_perf(store, spec_e, [models[3]])
        store.close()
        yield Built(url, path, ev.run_id, (p1.run_id, p2.run_id))


@pytest.fixture()
def db(built: Built, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BAIMO_DB", built.url)
    monkeypatch.setenv("COLUMNS", "220")
    return built.url


@pytest.mark.llama
def test_advise_ranks_real_runs_including_the_embedded_model(built: Built, db: str,
                                                            tmp_path: Path) -> None:
    report = tmp_path / "advice.html"
    res = invoke("--scenario", "reliable-complex", "--config", str(built.config),
                 "--report", str(report))
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Scenario 高可靠+高复杂 (high reliability, high complexity)" in out
    assert "capability 0.611, speed 0.278, cost 0.111" in out
    assert "Measured models: 4" in out
    ranking = out[out.index("Ranking"):out.index("Missing a required measurement")]
    for name in ("mock-premium", "mock-budget", EMBEDDED):
        assert name in ranking
    assert "mock-unbenched" not in ranking
    assert "TTFT p95" in ranking and "per 1M (blended)" in ranking
    assert "mock-unbenched: ttft_p95_s (needed by criterion speed) — no perf run of " \
           "mock-unbenched" in out
    assert "mock-unbenched: output_tps" in out
    assert "Pareto frontier" in out and "Recommendation: For the 高可靠+高复杂 scenario" in out
    assert f"Report: {report.resolve()}" in out
    html = report.read_text(encoding="utf-8")
    for heading in ("Recommendation", "Pareto frontier: quality vs cost vs latency", "Ranking",
                    "Missing measurements (not ranked)", "Where the numbers come from"):
        assert f"<h2>{heading}</h2>" in html
    assert "mock-unbenched" in html and EMBEDDED in html


@pytest.mark.llama
def test_advise_json_carries_measurements_and_gaps(built: Built, db: str) -> None:
    res = invoke("--scenario", "高可靠+低复杂", "--config", str(built.config), "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    advice, ms = data["advice"], data["measurements"]
    assert advice["profile_id"] == "reliable-simple"
    ranked = [r["name"] for r in advice["ranked"]]
    assert sorted(ranked) == sorted(["mock-premium", "mock-budget", EMBEDDED])
    # cost first: the embedded model runs locally at no per-token price, the cheapest
    by = {r["name"]: r for r in advice["ranked"]}
    assert by[EMBEDDED]["criterion_scores"]["cost"] == 1.0
    assert by["mock-premium"]["criterion_scores"]["cost"] == 0.0
    assert advice["weights"] == pytest.approx({"cost": 11 / 18, "speed": 5 / 18,
                                               "capability": 2 / 18})
    missing = {m["name"]: m["missing"] for m in advice["missing"]}
    assert missing == {"mock-unbenched": ["ttft_p95_s", "output_tps"]}
    emb = ms[EMBEDDED]
    assert emb["deployment"] == "private" and emb["price_input_per_1m"] == 0.0
    assert emb["perf"]["run_id"] == built.perf_ids[1]
    assert emb["ttft_p95_s"] > 0 and emb["capability"] is not None
    assert ms["mock-premium"]["ttft_p95_s"] == pytest.approx(0.15, abs=0.06)
    assert ms["mock-budget"]["ttft_p95_s"] == pytest.approx(0.03, abs=0.04)
    assert {p["name"] for p in advice["pareto"]} <= set(ranked)


@pytest.mark.llama
def test_profile_constraints_exclude_with_the_constraint_named(built: Built, db: str,
                                                              tmp_path: Path) -> None:
    prof = tmp_path / "private.yaml"
    prof.write_text(yaml.safe_dump({
        "id": "on-prem", "criteria": {"priority": ["capability", "cost"]},
        "constraints": {"deployment": "private", "min_context_window": 4096}}))
    res = invoke("--profile", str(prof), "--config", str(built.config), "--runs",
                 f"{built.eval_id},{built.perf_ids[1]}")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Excluded by hard constraints:" in out
    assert "mock-premium: deployment: api (needs private)" in out
    ranking = out[out.index("Ranking"):out.index("Excluded")]
    assert EMBEDDED in ranking and "mock-premium" not in ranking


@pytest.mark.llama
@pytest.mark.browser
def test_advise_report_renders_in_chromium(built: Built, db: str, tmp_path: Path) -> None:
    report = tmp_path / "advice.html"
    res = invoke("--scenario", "reliable-complex", "--config", str(built.config),
                 "--report", str(report))
    assert res.exit_code == 0, res.output
    shown = render_in_chromium(report, tmp_path / "advice.png", probes={
        "pareto": lambda page: page.locator("#s2 .chart svg").first.inner_html()})
    assert not shown.errors, shown.errors
    assert shown.network == []
    assert shown.headings[1] == "Pareto frontier: quality vs cost vs latency"
    assert shown.charts >= 6
    for name in ("mock-premium", "mock-budget", EMBEDDED):
        assert name in shown.probes["pareto"]
    assert (tmp_path / "advice.png").stat().st_size > 10_000


# --------------------------------------------------------------------------- no model needed


def test_scenarios_lists_the_four_with_weights_and_derivation() -> None:
    res = invoke("scenarios")
    assert res.exit_code == 0, res.output
    for sid in ("reliable-complex", "reliable-simple", "tolerant-simple", "tolerant-complex"):
        assert sid in res.output
    assert "0.611" in res.output and "0.278" in res.output and "0.111" in res.output
    assert "rank-order centroid" in res.output and "11/18, 5/18, 2/18" in res.output
    assert "高可靠+高复杂：模型能力>生成速度>应用成本" in res.output


def test_scenario_or_profile_is_required_and_errors_are_plain(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    res = invoke()
    assert res.exit_code == 2 and "exactly one of --scenario" in res.output
    res = invoke("--scenario", "reliable-complex", "--profile", str(tmp_path / "p.yaml"))
    assert res.exit_code == 2
    res = invoke("--scenario", "nope")
    assert res.exit_code == 2 and "no scenario named 'nope'" in res.output
    res = invoke("--scenario", "reliable-complex")
    assert res.exit_code == 2 and "no measured models" in res.output


def test_mock_only_advice_with_model_filter(tmp_path: Path) -> None:
    store = Store()
    with MockServer(MockConfig(ttft_s=0.02)) as srv:
        cfg_path = write_models(tmp_path, srv.base_url, [
            {"name": "p", "pricing": {"input_per_1m": 2, "output_per_1m": 2}},
            {"name": "q", "pricing": {"input_per_1m": 1, "output_per_1m": 1}}])
        cfg = load_config(cfg_path)
        run_eval(store, [cfg.get("p"), cfg.get("q")], [load_task(write_task(tmp_path, 2))])
        run_perf(store, PerfSpec(levels=[Level("concurrency", 1.0)], requests=2,
                                 input_tokens=8, output_tokens=4, ignore_eos="on",
                                 tokenizer="words", timeout_s=5.0), [cfg.get("p")])
    store.close()
    res = invoke("--scenario", "tolerant-simple", "--config", str(cfg_path), "--model", "p,q")
    assert res.exit_code == 0, res.output
    assert "q: ttft_p95_s" in res.output
    res = invoke("--scenario", "tolerant-simple", "--config", str(cfg_path), "--model", "zz")
    assert res.exit_code == 2 and "no measurements of zz" in res.output


def test_measured_means_what_the_store_says(tmp_path: Path) -> None:
    """A model whose every sample failed is "tried", not "measured", by the store's one rule
    (store.runs.coverage(): the landscape map and the web count by it); advise and score
    agree with it, list the model apart with the run to look at, and never rank it."""
    from baimo.cli.score import app as score_app

    store = Store()
    with MockServer(MockConfig(ttft_s=0.01)) as srv:
        cfg_path = write_models(tmp_path, srv.base_url, [
            {"name": "alive", "pricing": {"input_per_1m": 2, "output_per_1m": 2}},
            {"name": "dead", "base_url": "http://127.0.0.1:9/v1",
             "limits": {"max_retries": 0}}])
        cfg = load_config(cfg_path)
        run = run_eval(store, [cfg.get("alive"), cfg.get("dead")],
                       [load_task(write_task(tmp_path, 2))])
    coverage = store.runs.coverage()
    store.close()
    assert (coverage.measured, coverage.tried) == (("alive",), ("dead",))
    res = invoke("--scenario", "tolerant-simple", "--config", str(cfg_path))
    assert res.exit_code == 0, res.output
    assert "Measured models: 1 (alive)" in res.output
    assert (f"dead: tried in run(s) {run.run_id}, but no sample was graded and no request "
            f"succeeded (see why with: baimo runs show {run.run_id})") in res.output
    assert "dead: capability" not in res.output  # not listed as a measured model's gap
    data = json.loads(invoke("--scenario", "tolerant-simple", "--config", str(cfg_path),
                             "--json").output)
    assert list(data["measurements"]) == list(coverage.measured)
    assert list(data["tried"]) == list(coverage.tried)
    res = invoke("--scenario", "tolerant-simple", "--config", str(cfg_path), "--model", "dead")
    assert res.exit_code == 2
    assert f"no measured models; dead was tried in run(s) {run.run_id}" in res.output
    res = CliRunner().invoke(score_app, ["-m", "model-selection", "--latest", "--config",
                                         str(cfg_path)])
    assert "Measurements of 1 model(s)" in res.output
    assert "Tried, nothing measured (not scored):" in res.output
    assert "dead: indicator" not in res.output


def test_measured_is_judged_in_the_runs_chosen(tmp_path: Path) -> None:
    """With --runs, a model measured in another run but whose every sample failed in the
    chosen one is tried there, not measured: the numbers come from the chosen runs only."""
    store = Store()
    task = load_task(write_task(tmp_path, 2))
    with MockServer(MockConfig(ttft_s=0.01)) as srv:
        good = write_models(tmp_path, srv.base_url, [{"name": "flaky"}])
        measured = run_eval(store, [load_config(good).get("flaky")], [task])
    bad = tmp_path / "down.yaml"
    bad.write_text(yaml.safe_dump({"models": [{
        "name": "flaky", "provider": "openai-compatible", "base_url": "http://127.0.0.1:9/v1",
        "limits": {"max_retries": 0}}]}))
    failed = run_eval(store, [load_config(bad).get("flaky")], [task])
    assert store.runs.coverage().measured == ("flaky",)
    assert store.runs.coverage([failed.run_id]).tried == ("flaky",)
    assert store.runs.coverage([measured.run_id]).measured == ("flaky",)
    store.close()
    res = invoke("--scenario", "tolerant-simple", "--config", str(bad), "--runs",
                 failed.run_id)
    assert res.exit_code == 2, res.output
    assert f"no measured models; flaky was tried in run(s) {failed.run_id}" in res.output
