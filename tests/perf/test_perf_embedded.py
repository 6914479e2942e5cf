"""A short perf sweep on the embedded llama.cpp engine (the ``make demo`` sweep)."""

from __future__ import annotations

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: "
                    "pip install 'baimo[local]'")

import itertools

from baimo.perf.runner import level_summaries, run_demo_sweep
from baimo.store.store import Store

pytestmark = pytest.mark.llama


def test_demo_sweep_on_the_embedded_engine() -> None:
    store = Store()
    # Smaller than ``make demo``'s sweep: each unique prompt pays its full prompt processing,
    # which is slow on a busy two-core machine.
    run_id = run_demo_sweep(store, requests=2, input_tokens=16, output_tokens=8)
    run = store.runs.get(run_id)
    assert run.kind == "perf" and run.status == "done"
    rows = store.perf.requests([run_id])
    assert len(rows) == 2 * (2 + 1)  # two levels of two measured requests after one warm-up
    ok = [r for r in rows if r.status == "ok"]
    assert len(ok) == len(rows), [r.reason for r in rows if r.status != "ok"]
    # The engine counts its own tokens; the client tokenizer is the same vocabulary.
    assert all(r.usage_from_server and 0 < r.output_tokens <= 8 for r in ok)
    assert all(r.prompt_tokens_client == 16 for r in ok)
    assert all(r.output_tokens_client is not None for r in ok)
    levels = level_summaries(store, [run_id])
    assert [s["level"] for s in levels] == ["c=1", "c=2"]
    for s in levels:
        assert s["metrics"]["ttft_s"]["p50"] > 0
        assert s["throughput"]["output_tokens_per_s"] > 0
        assert "not known" not in s["output_control"]  # the engine is named for what it is
    # One generation at a time: at concurrency 2 the requests overlap in flight but their
    # streams do not, because the second waits in the engine's queue (seen as its TTFT).
    spans = sorted((r.first_token, r.last_token) for r in rows if r.level == "c=2")
    assert all(b[0] >= a[1] - 0.005 for a, b in itertools.pairwise(spans))
