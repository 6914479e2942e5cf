"""``baimo plan`` against real runs: the embedded model's own usage counts are the truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from baimo.config import Limits, Pricing, default_embedded_model
from baimo.models.embedded import find_gguf
from baimo.runs.eval import run_eval
from baimo.scale.plan import GGUFChatPrompt, estimate, simulate
from baimo.store.store import Store
from baimo.tasks.registry import SuiteOptions, build_suite


def _close(estimated: float, actual: float) -> bool:
    return abs(estimated - actual) <= 0.10 * actual


@pytest.mark.llama
@pytest.mark.slow
def test_plan_of_the_demo_suite_agrees_with_a_real_run_within_ten_percent() -> None:
    model = default_embedded_model().model_copy(update={
        "name": "priced", "pricing": Pricing(input_per_1m=2.0, output_per_1m=8.0),
        "limits": Limits(concurrency=1, rpm=120, tpm=20_000, max_retries=2)})
    tasks = build_suite("demo", SuiteOptions(limit=10))
    tok = GGUFChatPrompt(str(find_gguf()))
    store = Store()
    before = estimate([model], tasks, counters={"priced": tok}, store=store)
    out = run_eval(store, [model], tasks)
    rows = store.runs.results([out.run_id])
    prompt = sum(r.prompt_tokens for r in rows)
    output = sum(r.completion_tokens for r in rows)
    cost = sum(r.cost for r in rows)
    assert not any(r.usage_estimated for r in rows)  # the engine's own counts
    (b,) = before.rows
    assert b.requests == len(rows) == 10
    assert _close(b.prompt_tokens, prompt), (b.prompt_tokens, prompt)
    # No history yet: the plan says the ceiling, which the run cannot exceed.
    assert "ceiling" in b.output_basis and b.output_ceiling == 10 * 48 >= output
    assert b.cost_ceiling >= cost
    # Once this model has answered the task, the plan expects answers that long.
    (a,) = estimate([model], tasks, counters={"priced": tok}, store=store).rows
    assert "stored answers" in a.output_basis
    assert _close(a.output_tokens, output), (a.output_tokens, output)
    assert _close(a.cost, cost), (a.cost, cost)
    (ep,) = before.endpoints
    assert ep.rpm_s == pytest.approx(10 / 120 * 60)
    assert ep.tpm_s == pytest.approx((b.prompt_tokens + 480) / 20_000 * 60)
    assert ep.wall_s == ep.rpm_s and ep.binding == "RPM"


def test_simulating_ten_thousand_models_schedules_and_prices_without_sending() -> None:
    model = default_embedded_model().model_copy(update={
        "name": "api", "provider": "openai-compatible", "base_url": "http://127.0.0.1:9/v1",
        "pricing": Pricing(input_per_1m=1.0, output_per_1m=2.0, currency="USD"),
        "limits": Limits(concurrency=4, rpm=60)})
    tasks = build_suite("demo", SuiteOptions())
    plan = estimate([model], tasks)
    (row,) = plan.rows
    sim = simulate(plan, [model], n_models=10_000, workers=100, latency_s=2.0, chunk=16)
    assert sim.shards == 10_000 * 2 and sim.requests == 10_000 * 32
    assert sim.cost["USD"] == pytest.approx(10_000 * row.cost)
    # One model: 32 requests at 60 RPM = 32 s, split in two shards of 16 s (the RPM binds:
    # latency alone would take 16/4 × 2 s = 8 s). 20,000 shards of 16 s on 100 workers.
    assert sim.slowest_model_s == pytest.approx(32.0)
    assert sim.makespan_s == pytest.approx(20_000 * 16.0 / 100)
    assert sim.busy_share == pytest.approx(1.0)


def test_plan_command_prints_requests_tokens_cost_and_wall_time(tmp_path: Path) -> None:
    """The command end to end on a priced API model; the endpoint does not exist, which is
    fine: a plan sends nothing."""
    (tmp_path / "baimo.yaml").write_text(
        "models:\n  - {name: api, provider: openai-compatible, base_url: "
        "'http://127.0.0.1:9/v1', model: x, limits: {rpm: 16, tpm: 100000},\n"
        "     pricing: {input_per_1m: 1.0, output_per_1m: 4.0, currency: USD}}\n")
    env = {**os.environ, "BAIMO_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-m", "baimo", "plan", "--suite", "demo", "-m",
                           "api", "--simulate", "10000", "--workers", "50", "--json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    (task,) = data["tasks"]
    assert task["requests"] == 32 and task["output_ceiling"] == 32 * 48
    assert task["cost_ceiling"] == pytest.approx(
        (task["prompt_tokens"] * 1.0 + 32 * 48 * 4.0) / 1e6)
    (ep,) = data["endpoints"]
    assert ep["wall_s"] == pytest.approx(120.0) and ep["binding"] == "RPM"  # 32 at 16 RPM
    sim = data["simulation"]
    assert sim["models"] == 10_000 and sim["requests"] == 320_000
    assert sim["cost_ceiling"]["USD"] == pytest.approx(10_000 * task["cost_ceiling"])
    table = subprocess.run([sys.executable, "-m", "baimo", "plan", "--suite", "demo", "-m",
                            "api"], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)
    assert table.returncode == 0 and "simulated 10,000 models" in table.stdout
