"""``baimo perf`` runs against the mock server: ground truth, faults, storage, outputs.

Tolerances are generous (tens of milliseconds) because these tests check that the right
thing is measured, not how precisely: precision is what ``benchmarks/`` measure.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from baimo.config import ModelConfig
from baimo.perf.loads import Level
from baimo.perf.runner import PerfSpec, level_summaries, run_perf, summary_csv
from baimo.store.migrations import migrate
from baimo.store.store import Store
from baimo.testing.mockserver import MockConfig, MockServer


def _model(url: str, **kw: Any) -> ModelConfig:
    return ModelConfig.model_validate({"name": "mock", "base_url": url, **kw})


def _spec(**kw: Any) -> PerfSpec:
    base: dict[str, Any] = {"input_tokens": 16, "output_tokens": 10, "ignore_eos": "on",
                            "tokenizer": "words", "requests": 6, "timeout_s": 5.0}
    base.update(kw)
    return PerfSpec(**base)


def test_metrics_match_the_servers_known_latency() -> None:
    cfg = MockConfig(ttft_s=0.1, itl_s=0.02, tokens_per_chunk=2)
    store = Store()
    with MockServer(cfg) as srv:
        out = run_perf(store, _spec(levels=[Level("concurrency", 2.0)], warmup="2",
                                    slo={"ttft": 1.0}), [_model(srv.base_url)])
        stats = srv.stats()
    s = out.summaries["mock"][0]
    m = s["metrics"]
    assert s["requests"]["ok"] == 6 and s["requests"]["warmup"] == 2
    assert stats["completed"] == 8
    # 10 tokens in chunks of 2: 5 chunks, 4 gaps of 20 ms; E2E = 100 + 4 × 20 ms.
    assert m["ttft_s"]["p50"] == pytest.approx(0.1, abs=0.05)
    assert m["itl_s"]["p50"] == pytest.approx(0.02, abs=0.01)
    assert m["itl_s"]["n"] == 6 * 4
    assert m["e2e_s"]["p50"] == pytest.approx(0.18, abs=0.08)
    assert m["tokens_per_chunk"]["mean"] == pytest.approx(2.0)
    assert m["tpot_s"]["p50"] == pytest.approx(0.08 / 9, abs=0.008)
    assert m["output_tokens"]["mean"] == 10
    assert s["tokens"]["source"] == "server usage" and s["tokens"]["mismatch_rate"] == 0.0
    assert s["metrics"]["chunk_tokens_client"]["mean"] == pytest.approx(2.0)
    assert s["finish_reasons"] == {"length": 6}
    assert s["goodput"]["fraction"] == 1.0
    assert s["throughput"]["window_s"] > 0.3 and s["throughput"]["output_tokens"] == 60
    assert "client" in s and isinstance(s["client"]["verdict"], str)

    rows = store.perf.requests([out.run_id])
    assert len(rows) == 8
    assert {r.phase for r in rows} == {"warmup", "measure"}
    r = next(r for r in rows if r.phase == "measure")
    assert r.scheduled <= r.sent <= r.first_byte <= r.first_token <= r.done
    assert r.output_tokens == 10 and r.output_tokens_client == 10
    assert r.prompt_tokens_client == 16 and r.finish_reason == "length"
    assert len(r.chunk_times) == 5
    assert r.chunk_tokens == [2, 2, 2, 2, 2]
    stored = level_summaries(store, [out.run_id])
    assert [x["level"] for x in stored] == ["c=2"]
    assert store.runs.get(out.run_id).status == "done"


def test_faults_are_counted_by_kind_and_the_run_never_hangs() -> None:
    cfg = MockConfig(output_tokens=5, fault_rate=0.6, stall_s=30.0, seed=3,
                     max_faults_per_request=5)
    store = Store()
    start = time.monotonic()
    with MockServer(cfg) as srv:
        out = run_perf(store, _spec(levels=[Level("concurrency", 8.0)], requests=40,
                                    timeout_s=0.5), [_model(srv.base_url)])
        faults = srv.stats()["faults"]
    assert time.monotonic() - start < 30  # stalls of 30 s were cut at 0.5 s
    s = out.summaries["mock"][0]
    kinds = s["errors"]["by_kind"]
    assert sum(kinds.values()) == s["requests"]["errors"] > 0
    assert s["requests"]["ok"] + s["requests"]["errors"] == 40
    expected = {"429": "rate-limit", "500": "server", "stall": "timeout",
                "truncate": "stream", "malformed": "stream"}
    assert set(kinds) == {expected[k] for k in faults}
    # No retries in perf: every injected fault is exactly one failed request.
    assert sum(kinds.values()) == sum(faults.values())
    rows = store.perf.requests([out.run_id])
    assert all(r.reason for r in rows if r.status == "error")


def test_open_loop_is_scheduled_against_absolute_times() -> None:
    store = Store()
    with MockServer(MockConfig(ttft_s=0.01, output_tokens=3)) as srv:
        out = run_perf(store, _spec(levels=[Level("rate", 20.0)], requests=20,
                                    arrivals="constant"), [_model(srv.base_url)])
    rows = sorted(store.perf.requests([out.run_id]), key=lambda r: r.seq)
    # Scheduled times are exactly seq / rate from the level's start, whatever happened to
    # earlier sends: nothing is computed relative to the previous send.
    assert [round(r.scheduled, 9) for r in rows] == [round(i / 20.0, 9) for i in range(20)]
    lags = [r.sent - r.scheduled for r in rows]
    assert min(lags) >= 0 and sorted(lags)[len(lags) // 2] < 0.05
    s = out.summaries["mock"][0]
    assert s["metrics"]["send_lag_s"]["n"] == 20


def test_a_late_send_does_not_delay_the_ones_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Block the client's loop for 150 ms during the run: later arrivals stay on schedule."""
    import baimo.perf.client as client

    real = client.execute
    blocked = {"done": False}

    async def slow_execute(provider: Any, plan: Any, seq: int, phase: Any, scheduled: float,
                           pacer: Any, bodies: Any = None) -> Any:
        if seq == 3 and not blocked["done"]:
            blocked["done"] = True
            time.sleep(0.15)  # the whole loop stalls, as a GC pause or a busy CPU would
        return await real(provider, plan, seq, phase, scheduled, pacer, bodies)

    monkeypatch.setattr(client, "execute", slow_execute)
    store = Store()
    with MockServer(MockConfig(output_tokens=2)) as srv:
        out = run_perf(store, _spec(levels=[Level("rate", 20.0)], requests=16,
                                    arrivals="constant"), [_model(srv.base_url)])
    rows = sorted(store.perf.requests([out.run_id]), key=lambda r: r.seq)
    lag = {r.seq: r.sent - r.scheduled for r in rows}
    assert lag[3] >= 0.14  # the blocked one is late …
    # … arrivals due during the stall go out late, but the schedule does not shift: once
    # the loop is free again, sends are back on their absolute times.
    assert all(lag[s] < 0.1 for s in range(8, 16)), lag
    assert out.summaries["mock"][0]["metrics"]["ttft_from_scheduled_s"]["max"] >= 0.14


def test_concurrency_cap_shows_up_as_latency_from_the_schedule() -> None:
    store = Store()
    with MockServer(MockConfig(ttft_s=0.1, output_tokens=1)) as srv:
        out = run_perf(store, _spec(levels=[Level("rate", 40.0, max_concurrency=1)],
                                    requests=8, arrivals="constant"), [_model(srv.base_url)])
    m = out.summaries["mock"][0]["metrics"]
    assert m["ttft_s"]["p50"] < 0.2  # from the send: the server is as fast as ever
    assert m["ttft_from_scheduled_s"]["max"] > 0.4  # from the schedule: queueing shows


def test_rate_limits_of_the_model_are_respected() -> None:
    store = Store()
    with MockServer(MockConfig(output_tokens=1)) as srv:
        out = run_perf(store, _spec(levels=[Level("concurrency", 4.0)], requests=8),
                       [_model(srv.base_url, limits={"rpm": 600})])
    s = out.summaries["mock"][0]
    assert s["rate"]["rpm_limit"] == 600
    # 10 requests/s with no burst allowance: 8 requests span at least 0.6 s.
    assert s["throughput"]["window_s"] >= 0.6
    assert s["rate"]["rpm"] <= 600 * 1.2


def test_two_client_processes_split_the_load() -> None:
    store = Store()
    with MockServer(MockConfig(ttft_s=0.02, output_tokens=4)) as srv:
        out = run_perf(store, _spec(levels=[Level("concurrency", 4.0),
                                            Level("rate", 30.0)], requests=12, processes=2),
                       [_model(srv.base_url)])
        completed = srv.stats()["completed"]
    assert completed == 24
    for s in out.summaries["mock"]:
        assert s["requests"]["ok"] == 12
        assert s["client"]["processes"] == 2 and len(s["client"]["workers"]) == 2
    rows = store.perf.requests([out.run_id])
    for level in ("c=4", "rate=30/s"):
        seqs = [r.seq for r in rows if r.level == level]
        assert sorted(seqs) == list(range(12))


def test_trace_replay_and_suite_prompts(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    trace.write_text("\n".join(orjson.dumps({"offset": i * 0.05, "prompt": f"hello {i}",
                                             "max_tokens": 2 + i}).decode()
                               for i in range(5)))
    store = Store()
    with MockServer(MockConfig()) as srv:
        out = run_perf(store, _spec(levels=[Level("trace", 1.0)], trace=trace, requests=None,
                                    ignore_eos="on"), [_model(srv.base_url)])
        out2 = run_perf(store, _spec(levels=[Level("concurrency", 2.0)], suite="demo",
                                     requests=4), [_model(srv.base_url)])
    rows = sorted(store.perf.requests([out.run_id]), key=lambda r: r.seq)
    assert [round(r.scheduled, 6) for r in rows] == [0.0, 0.05, 0.1, 0.15, 0.2]
    assert [r.output_tokens for r in rows] == [2, 3, 4, 5, 6]
    assert out2.summaries["mock"][0]["requests"]["ok"] == 4
    assert out2.summaries["mock"][0]["workload"]["kind"] == "prompts"


def test_sweep_stops_when_the_server_is_unreachable() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = Store()
    out = run_perf(store, _spec(levels=[Level("concurrency", 1.0), Level("concurrency", 2.0)],
                                requests=2), [_model(f"http://127.0.0.1:{port}/v1")])
    assert len(out.summaries["mock"]) == 1
    assert out.summaries["mock"][0]["errors"]["by_kind"] == {"connection": 2}
    assert any("sweep stopped" in n for n in out.notes["mock"])


def test_json_and_csv_outputs() -> None:
    store = Store()
    with MockServer(MockConfig(output_tokens=3)) as srv:
        out = run_perf(store, _spec(levels=[Level("concurrency", 1.0), Level("concurrency", 2.0),
                                            Level("concurrency", 4.0)], requests=4),
                       [_model(srv.base_url, pricing={"input_per_1m": 2, "output_per_1m": 8})])
    doc = out.as_json()
    orjson.dumps(doc)  # serialisable
    assert doc["run_id"] == out.run_id and doc["models"][0]["model"] == "mock"
    assert [lv["level"] for lv in doc["models"][0]["levels"]] == ["c=1", "c=2", "c=4"]
    lv = doc["models"][0]["levels"][0]
    for key in ("ttft_s", "ttft_from_scheduled_s", "time_to_first_byte_s",
                "time_to_first_answer_s", "itl_s", "tpot_s", "e2e_s",
                "output_tokens_per_s_per_request", "tokens_per_chunk", "send_lag_s"):
        assert {"definition", "mean", "median", "p50", "p90", "p95", "p99"} <= set(
            lv["metrics"][key])
    assert lv["cost"]["currency"] == "CNY" and lv["cost"]["per_1m_output_tokens"] > 8
    assert lv["throughput"]["window"].startswith("first send")
    text = summary_csv(doc["models"][0]["levels"])
    lines = text.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith("model,level,load_kind")


def test_migration_adds_the_perf_columns_to_an_old_database(tmp_path: Path) -> None:
    from baimo.store.migrations import MIGRATIONS

    # A database as the first two shipped steps left it (their DDL is frozen in the steps):
    # perf_requests without the two columns step 003 adds.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("create table baimo_migrations (name varchar(100) primary key, "
                             "applied_at float not null)"))
        for name, step in MIGRATIONS[:2]:
            step(conn)
            conn.execute(sa.text("insert into baimo_migrations values (:n, 0)"), {"n": name})
    names = {c["name"] for c in sa.inspect(engine).get_columns("perf_requests")}
    assert not {"finish_reason", "prompt_tokens_client"} & names
    assert "003_perf_levels" in migrate(engine)
    names = {c["name"] for c in sa.inspect(engine).get_columns("perf_requests")}
    assert {"finish_reason", "prompt_tokens_client"} <= names
    assert "perf_levels" in sa.inspect(engine).get_table_names()


def test_closed_loop_stopped_by_duration_with_time_windows() -> None:
    store = Store()
    with MockServer(MockConfig(ttft_s=0.02, output_tokens=2)) as srv:
        out = run_perf(store, _spec(levels=[Level("concurrency", 2.0)], requests=None,
                                    duration_s=0.6, warmup="0.2s", cooldown="0.2s"),
                       [_model(srv.base_url)])
    rows = store.perf.requests([out.run_id])
    phases = {r.phase for r in rows}
    assert phases == {"warmup", "measure", "cooldown"}
    meas = [r for r in rows if r.phase == "measure"]
    # Each request takes ~20 ms: about 2 × 0.6 / 0.02 = 60 measured requests; be generous.
    assert 5 <= len(meas) <= 80
    assert max(r.scheduled for r in rows) < 0.2 + 0.6 + 0.2 + 0.1
    assert min(r.scheduled for r in meas) >= 0.19
