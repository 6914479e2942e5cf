"""``baimo perf`` against the hostile server: every bad reply is a classified error.

Perf bounds each request by its own total ``--timeout`` (a drip counts as a timeout there).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from baimo.config import ModelConfig
from baimo.perf.loads import Level
from baimo.perf.runner import PerfSpec, run_perf
from baimo.store.store import Store
from baimo.testing.hostile import CASES, HostileServer

EXPECTED_KIND = {
    "no-finish": "stream", "delta-list": "stream", "choices-str": "stream",
    "content-int": "stream", "malformed": "stream", "endless": "over-length",
    "huge": "over-length", "drip": "timeout", "auth-markup": "auth", "echo-key": "server",
    "retry-after-huge": "rate-limit", "retry-after-inf": "rate-limit",
    "retry-after-date": "rate-limit", "retry-after-ms": "rate-limit",
    "retry-after-soon": "rate-limit", "html-page": "bad-request", "plain-text": "stream",
}


@pytest.mark.slow
def test_perf_classifies_every_hostile_reply() -> None:
    store = Store()
    with HostileServer(heal_after=10**6) as srv:
        models = [ModelConfig.model_validate({
            "name": case, "base_url": srv.base_url, "model": case,
            "limits": {"timeout_s": 3, "deadline_s": 3}}) for case in CASES]
        spec = PerfSpec(levels=[Level("concurrency", 1.0)], requests=2, input_tokens=8,
                        output_tokens=8, tokenizer="words", timeout_s=3.0)
        started = time.monotonic()
        out = run_perf(store, spec, models)
        assert time.monotonic() - started < 90
    for case in CASES:
        summary: dict[str, Any] = out.summaries[case][0]
        errors = summary["errors"]["by_kind"]
        if case in EXPECTED_KIND:
            assert errors.get(EXPECTED_KIND[case]) == 2, (case, errors)
            assert summary["requests"]["ok"] == 0, (case, summary["requests"])
        else:
            assert summary["requests"]["ok"] == 2, (case, errors)
