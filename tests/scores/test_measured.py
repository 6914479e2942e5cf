"""Measurements from real stored runs: eval runs and perf runs against mock servers whose
latency and answers are known, read back by ``collect_measurements`` and used by
``baimo score --runs/--latest``.

The mock servers are the ground truth: server A waits 120 ms before its first chunk and answers
``[[answer:X]]`` prompts correctly; server B waits 30 ms and cuts every answer to two tokens, so
it gets the synthetic questions wrong. ``mock-c`` is evaluated but never perf-tested, so it must
be reported as missing its speed measurements, with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from baimo.cli.score import app as score_app
from baimo.config import load_config
from baimo.errors import BaimoError, NotFound
from baimo.perf.loads import Level
from baimo.perf.runner import PerfSpec, run_perf
from baimo.runs.eval import run_eval
from baimo.scores.measured import (
    BLEND_INPUT_SHARE,
    collect_measurements,
    explain_missing,
    get_score,
    list_scores,
    measured_keys,
    to_methodology_inputs,
    to_model_measurements,
)
from baimo.scores.methodology import load_methodology
from baimo.store.store import Store
from baimo.tasks.registry import SuiteOptions, build_suite
from baimo.tasks.task import load_task
from baimo.testing.mockserver import MockConfig, MockServer
from support import write_models, write_task

EXAMPLE_FACTS = str(Path(__file__).resolve().parents[2] / "src" / "baimo" / "scores" / "data"
                    / "frost-sullivan-2023-facts-example.csv")
TTFT_A, TTFT_B = 0.12, 0.03


@dataclass(frozen=True)
class Built:
    url: str
    config: Path
    eval_id: str
    perf_id: str


def _perf_spec() -> PerfSpec:
    return PerfSpec(levels=[Level("concurrency", 1.0)], requests=5, warmup="1",
                    input_tokens=16, output_tokens=8, ignore_eos="on", tokenizer="words",
                    timeout_s=10.0)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    tmp = tmp_path_factory.mktemp("measured")
    url = f"sqlite:///{tmp / 'store.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BAIMO_HOME", str(tmp / "home"))
        store = Store(url)
        with MockServer(MockConfig(ttft_s=TTFT_A, itl_s=0.01)) as a, \
                MockServer(MockConfig(ttft_s=TTFT_B, itl_s=0.002, output_tokens=2)) as b:
            path = write_models(tmp, a.base_url, [
                {"name": "mock-a", "context_window": 32000,
                 "pricing": {"input_per_1m": 4, "output_per_1m": 12}},
                {"name": "mock-b", "base_url": b.base_url, "context_window": 8000,
                 "pricing": {"input_per_1m": 1, "output_per_1m": 2}},
                {"name": "mock-c", "pricing": {"input_per_1m": 0.5, "output_per_1m": 1}}])
            data = yaml.safe_load(path.read_text())
            data["dimensions"] = {"synthetic": "reasoning"}
            path.write_text(yaml.safe_dump(data))
            cfg = load_config(path)
            opts = SuiteOptions(limit=2)
            tasks = [*build_suite("demo", SuiteOptions(limit=3)), load_task(write_task(tmp, 4)),
                     *build_suite("ifeval", opts), *build_suite("safety", opts),
                     *build_suite("humaneval", SuiteOptions(limit=1))]
            ev = run_eval(store, [cfg.get("mock-a"), cfg.get("mock-b"), cfg.get("mock-c")],
                          tasks)
            perf = run_perf(store, _perf_spec(), [cfg.get("mock-a"), cfg.get("mock-b")])
        store.close()
        yield Built(url, path, ev.run_id, perf.run_id)


@pytest.fixture()
def db(built: Built, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The module's store, also as the CLI's default store (``BAIMO_DB``)."""
    monkeypatch.setenv("BAIMO_DB", built.url)
    store = Store(built.url)
    yield store
    store.close()


def test_collects_every_measurement_from_real_runs(built: Built, db: Store) -> None:
    ms = collect_measurements(db, None, load_config(built.config))
    assert sorted(ms) == ["mock-a", "mock-b", "mock-c"]
    a, b, c = ms["mock-a"], ms["mock-b"], ms["mock-c"]

    # capability: the mock answers [[answer:X]] correctly and everything else with "OK."
    assert a.suites["synthetic"] == 1.0 and b.suites["synthetic"] == 0.0
    assert a.dimensions["reasoning"] == 1.0  # via the models file's dimensions: override
    assert a.suites["demo"] == 0.0 and a.suite_n["demo"] == 3
    assert {"knowledge", "reasoning", "code", "instruction", "safety"} <= set(a.dimensions)
    caps = [v for d, v in a.dimensions.items() if d != "safety"]
    assert a.capability == pytest.approx(sum(caps) / len(caps))
    assert a.safety == a.suites["safety"] and a.suite_n["safety"] == 2
    assert a.eval_runs == (built.eval_id,) and a.task_runs["ifeval"] == built.eval_id

    # speed: the servers' known first-chunk delays
    assert a.perf is not None and b.perf is not None
    assert a.perf.run_id == built.perf_id and a.perf.level == "c=1"
    assert a.perf.requests_ok == 5
    assert a.ttft_p95_s == pytest.approx(TTFT_A, abs=0.05)
    assert b.ttft_p95_s == pytest.approx(TTFT_B, abs=0.04)
    assert b.output_tps is not None and a.output_tps is not None
    assert b.output_tps > a.output_tps > 0

    # prices, attributes
    assert (a.price_input_per_1m, a.price_output_per_1m, a.currency) == (4.0, 12.0, "CNY")
    assert a.blended_price_per_1m == pytest.approx(
        BLEND_INPUT_SHARE * 4 + (1 - BLEND_INPUT_SHARE) * 12)
    assert a.context_window == 32000 and a.deployment == "api"
    assert a.config_source.startswith("models file")

    # gaps are listed with the reason and the command that fills them
    assert "perf" not in a.missing
    assert "no perf run of mock-c" in c.missing["perf"] and "baimo perf -m mock-c" in \
        c.missing["perf"]
    assert c.perf is None and c.ttft_p95_s is None
    assert "context_window" in c.missing
    assert "no landscape catalog record matches 'mock-c'" in c.missing["filed"]


def test_methodology_inputs_cover_every_key_model_selection_reads(built: Built,
                                                                   db: Store) -> None:
    ms = collect_measurements(db, [built.eval_id, built.perf_id], load_config(built.config))
    inputs = to_methodology_inputs(ms)
    keys = measured_keys(load_methodology("model-selection"), required_only=True)
    for model in ("mock-a", "mock-b"):
        assert set(keys) <= set(inputs[model]), set(keys) - set(inputs[model])
    # stability is optional: never monitored here, and no key the required ones lack
    optional = set(measured_keys(load_methodology("model-selection"))) - set(keys)
    assert optional == {"monitor:uptime", "monitor:ttft_cv"}
    assert not optional & set(inputs["mock-a"])
    # the methodology's "coding" is the suites' "code"
    assert "dimension:code" in inputs["mock-a"]
    assert inputs["mock-a"]["perf:ttft_p95"] == ms["mock-a"].ttft_p95_s
    assert inputs["mock-a"]["price:blended_per_1m"] == pytest.approx(6.0)
    assert "perf:ttft_p95" not in inputs["mock-c"]
    why = explain_missing(ms["mock-c"], "perf:ttft_p95")
    assert "no perf run of mock-c" in why


def test_model_measurements_for_the_advisor(built: Built, db: Store) -> None:
    ms = collect_measurements(db, None, load_config(built.config))
    by = {m.name: m for m in to_model_measurements(ms)}
    a = by["mock-a"]
    assert a.metrics["capability"] == ms["mock-a"].capability
    assert a.metrics["ttft_p95_s"] == ms["mock-a"].ttft_p95_s
    assert a.metrics["price_in_per_1m"] == 4.0 and a.metrics["price_out_per_1m"] == 12.0
    assert "blended_price_per_1m" not in a.metrics  # each profile blends with its own share
    assert a.attributes == {"deployment": "api", "currency": "CNY"}
    assert "ttft_p95_s" not in by["mock-c"].metrics
    assert "output_tps" not in by["mock-c"].metrics


def test_explicit_runs_restrict_what_is_read(built: Built, db: Store) -> None:
    only_perf = collect_measurements(db, [built.perf_id], load_config(built.config))
    assert sorted(only_perf) == ["mock-a", "mock-b"]
    assert only_perf["mock-a"].capability is None
    assert "no eval run of mock-a" in only_perf["mock-a"].missing["capability"]
    only_eval = collect_measurements(db, [built.eval_id[:-2]], None)
    assert only_eval["mock-a"].perf is None
    # without a models file the stored public config supplies prices
    assert only_eval["mock-a"].config_source == f"run {built.eval_id}"
    assert only_eval["mock-a"].price_input_per_1m == 4.0
    hint = explain_missing(only_eval["mock-a"], "dimension:math")
    assert "no graded results for dimension 'math'" in hint
    assert "baimo eval -m mock-a --suite" in hint


def test_latest_measurement_per_model_and_task(tmp_path: Path) -> None:
    store = Store()
    with MockServer(MockConfig()) as srv:
        cfg = load_config(write_models(tmp_path, srv.base_url, [
            {"name": "x", "pricing": {"input_per_1m": 1, "output_per_1m": 1}}]))
        first = run_eval(store, [cfg.get("x")], [load_task(write_task(tmp_path, 3, "t1")),
                                                 load_task(write_task(tmp_path, 2, "t2"))])
        second = run_eval(store, [cfg.get("x")], [load_task(write_task(tmp_path, 5, "t1"))])
    ms = collect_measurements(store, None, cfg)["x"]
    assert ms.task_runs == {"t1": second.run_id, "t2": first.run_id}
    assert ms.suite_n == {"t1": 5, "t2": 2}
    assert ms.eval_runs == (first.run_id, second.run_id)
    pinned = collect_measurements(store, [first.run_id], cfg)["x"]
    assert pinned.suite_n == {"t1": 3, "t2": 2}


def test_runs_of_other_kinds_and_unknown_ids_are_refused() -> None:
    store = Store()
    rid = store.runs.create("judge", {}, "test", [])
    with pytest.raises(BaimoError, match="'judge' run"):
        collect_measurements(store, [rid], None)
    with pytest.raises(NotFound):
        collect_measurements(store, ["nope"], None)
    assert collect_measurements(store, None, None) == {}


# --------------------------------------------------------------------------- baimo score


def test_score_model_selection_from_stored_runs(built: Built, db: Store, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "220")
    report = tmp_path / "score.html"
    res = CliRunner().invoke(score_app, [
        "--methodology", "model-selection", "--runs", built.eval_id, "--runs",
        built.perf_id[:-1], "--config", str(built.config), "--report", str(report),
        "--sensitivity", "--draws", "200"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert f"Measurements of 3 model(s) from runs {built.eval_id}" in out
    assert "Scores" in out and "mock-a" in out and "mock-b" in out
    assert "Incomplete (not scored)" in out
    assert "mock-c: indicator ttft_p95" in out
    assert "Why measurements are missing:" in out
    assert "mock-c: perf:ttft_p95: no perf run of mock-c" in out
    assert "Rank acceptability" in out
    assert "Stored as score-" in out
    html = report.read_text(encoding="utf-8")
    for heading in ("Ranking", "Quadrant", "Dimension radar", "Left out, and why",
                    "Sensitivity: rank flows and rank acceptability"):
        assert f"<h2>{heading}</h2>" in html

    stored = list_scores(db, "model-selection")
    assert len(stored) >= 1
    s = stored[0]
    assert s.inputs["runs"] == sorted([built.eval_id, built.perf_id])
    assert s.result["methodology"]["id"] == "model-selection"
    ranked = [r["entity"] for r in s.result["ranking"]]
    assert sorted(ranked) == ["mock-a", "mock-b"]
    assert "mock-c" in s.result["incomplete"]
    assert get_score(db, s.id[:20]).id == s.id
    res = CliRunner().invoke(score_app, ["history", "-m", "model-selection"])
    assert res.exit_code == 0, res.output
    assert s.id in res.output and "model-selection" in res.output
    res = CliRunner().invoke(score_app, ["history", s.id])
    assert res.exit_code == 0 and json.loads(res.output)["result"]["methodology"]["id"] == \
        "model-selection"
    res = CliRunner().invoke(score_app, ["history", "score-nope"])
    assert res.exit_code == 2 and "no stored score result" in res.output


def test_score_latest_and_json(built: Built, db: Store) -> None:
    res = CliRunner().invoke(score_app, ["run", "-m", "model-selection", "--latest",
                                         "--config", str(built.config), "--json", "-",
                                         "--scenario", "high-reliability-high-complexity"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["method"]["scenario"] == "high-reliability-high-complexity"
    ranking = {r["entity"]: r for r in data["ranking"]}
    assert set(ranking) == {"mock-a", "mock-b"}
    # mock-b is faster and cheaper; mock-a answers the synthetic questions: both measured
    a, b = ranking["mock-a"], ranking["mock-b"]
    assert a["dimensions"]["capability"] > b["dimensions"]["capability"]
    assert b["dimensions"]["speed"] > a["dimensions"]["speed"]
    assert b["dimensions"]["cost"] > a["dimensions"]["cost"]
    res = CliRunner().invoke(score_app, ["-m", "model-selection", "--latest", "--runs", "x"])
    assert res.exit_code == 2 and "not both" in res.output


def test_frost_sullivan_with_facts_still_works_and_is_stored(db: Store, tmp_path: Path) -> None:
    before = len(list_scores(db, "frost-sullivan-2023"))
    report = tmp_path / "fs.html"
    res = CliRunner().invoke(score_app, ["--methodology", "frost-sullivan-2023", "--inputs",
                                         EXAMPLE_FACTS, "--report", str(report)])
    assert res.exit_code == 0, res.output
    assert "Example Vendor A" in res.output and "Stored as score-" in res.output
    stored = list_scores(db, "frost-sullivan-2023")
    assert len(stored) == before + 1
    assert stored[0].inputs["facts"] == EXAMPLE_FACTS and stored[0].inputs["runs"] == []
    assert "产品技术能力" in report.read_text(encoding="utf-8")
    res = CliRunner().invoke(score_app, ["--methodology", "frost-sullivan-2023", "--inputs",
                                         EXAMPLE_FACTS, "--no-store"])
    assert res.exit_code == 0 and "Stored as" not in res.output
    assert len(list_scores(db, "frost-sullivan-2023")) == before + 1


def test_score_from_an_empty_store_says_what_to_do() -> None:
    res = CliRunner().invoke(score_app, ["-m", "model-selection", "--latest"])
    assert res.exit_code == 2
    assert "measured no model" in res.output
