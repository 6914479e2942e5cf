"""Scale-out on a real local Ray cluster (see conftest): equal results, worker loss, one limit.

Shards write to a real PostgreSQL; the model is the mock server over loopback HTTP, which
counts what it answered.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from baimo.config import load_config
from baimo.errors import BaimoError
from baimo.runs.eval import EvalOutcome, run_eval
from baimo.scale.executor import RayExecutor, check_address
from baimo.store.store import Store
from baimo.tasks.task import load_task
from baimo.testing.mockserver import MockConfig, MockServer
from support import write_models, write_task

pytestmark = pytest.mark.slow


def _rows(store: Store, run_id: str) -> list[tuple[Any, ...]]:
    return sorted((r.model_name, r.task, r.sample_id, r.status, r.extracted, r.score,
                   r.prompt_tokens, r.completion_tokens, round(r.cost, 12))
                  for r in store.runs.results([run_id]))


def test_sweep_on_the_cluster_equals_the_same_sweep_run_locally(
        ray_cluster: Any, tmp_path: Path, pg_db: str) -> None:
    with MockServer(MockConfig(ttft_s=0.01, output_tokens=6)) as srv:
        spec = write_models(tmp_path, srv.base_url, [
            {"name": "a", "model": "m-a", "limits": {"concurrency": 4},
             "pricing": {"input_per_1m": 2.0, "output_per_1m": 8.0}},
            {"name": "b", "model": "m-b", "limits": {"concurrency": 4},
             "pricing": {"input_per_1m": 1.0, "output_per_1m": 3.0}}])
        cfg = load_config(spec)
        models = [cfg.get("a"), cfg.get("b")]
        tasks = [load_task(write_task(tmp_path, 30, "alpha")),
                 load_task(write_task(tmp_path, 17, "beta"))]
        local = Store()
        here = run_eval(local, models, tasks)
        asked_locally = srv.stats()["completed"]
        cluster = Store(pg_db)
        ex = RayExecutor(chunk=8)
        there = run_eval(cluster, models, tasks, executor=ex)
        stats = srv.stats()
    assert here.status == there.status == "done"
    assert asked_locally == 94 and stats["completed"] == 2 * 94  # asked once by each
    assert _rows(cluster, there.run_id) == _rows(local, here.run_id)
    assert len(ex.results) == 2 * (4 + 3)  # shards: 30 → 4 chunks, 17 → 3, per model
    assert len({r.node for r in ex.results}) == 2, "shards did not spread over both nodes"
    assert {m.status for m in cluster.runs.get(there.run_id).models} == {"ok"}
    assert there.progress["a"].done == 47 and there.progress["a"].cost > 0


def test_resume_on_the_cluster_asks_only_what_failed(
        ray_cluster: Any, tmp_path: Path, pg_db: str) -> None:
    n = 20
    with MockServer(MockConfig(fault_rate=1.0, fault_kinds=["500"],
                               max_faults_per_request=100)) as srv:
        spec = write_models(tmp_path, srv.base_url, [
            {"name": "m", "limits": {"concurrency": 2, "max_retries": 0}}])
        model = load_config(spec).get("m")
        task = load_task(write_task(tmp_path, n))
        store = Store(pg_db)
        first = run_eval(store, [model], [task], executor=RayExecutor(chunk=6))
        assert {r.status for r in store.runs.results([first.run_id])} == {"error"}
        srv.update(fault_rate=0.0)
        before = srv.stats()["completed"]
        again = run_eval(store, [model], [task], resume=first.run_id,
                         executor=RayExecutor(chunk=6))
        asked = srv.stats()["completed"] - before
    rows = store.runs.results([again.run_id])
    assert again.run_id == first.run_id and again.status == "done"
    assert len(rows) == n and {r.status for r in rows} == {"ok"} and asked == n


def test_eight_shards_together_stay_under_the_endpoints_rpm(
        ray_cluster: Any, tmp_path: Path, pg_db: str) -> None:
    """The server counts arrivals while eight shards run: at every moment the count stays
    within one endpoint's pace (R per minute, a bucket of R/60), where eight shards each
    pacing on their own would send eight times as many."""
    r = 240
    n = 48
    seen: list[tuple[float, int]] = []
    with MockServer(MockConfig(rpm_limit=r)) as srv:
        spec = write_models(tmp_path, srv.base_url, [{
            "name": "limited", "limits": {"concurrency": 8, "rpm": r, "max_retries": 0}}])
        model = load_config(spec).get("limited")
        store = Store(pg_db)
        ex = RayExecutor(chunk=n // 8, cpus_per_shard=0.25)
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                seen.append((time.monotonic(), srv.stats()["requests"]))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            out = run_eval(store, [model], [load_task(write_task(tmp_path, n))], executor=ex)
        finally:
            stop.set()
            watcher.join()
        stats = srv.stats()
    assert len(ex.results) == 8 and len({(x.node, x.shard) for x in ex.results}) == 8
    assert stats["rate_limited"] == 0, stats["by_status"]
    assert stats["requests"] == n and stats["completed"] == n
    assert all(x.status == "ok" for x in store.runs.results([out.run_id]))
    first = next(t for t, k in seen if k > 0)
    over = [(round(t - first, 2), k) for t, k in seen
            if t >= first and k > 1 + r / 60 * (t - first + 0.05) + r / 60]
    assert not over, f"the server saw more than {r} RPM's pace: {over[:5]}"
    assert seen[-1][0] - first >= (n - 1 - r / 60) * 60 / r - 0.5
    gate = next(iter(ex.gate_stats.values()))
    assert gate["granted"] == n and gate["max_in_flight"] <= 8


def test_a_judge_asked_by_eight_shards_keeps_one_endpoint_limit(
        ray_cluster: Any, tmp_path: Path, pg_db: str) -> None:
    """Every answer goes to an LLM judge whose endpoint allows R requests per minute. The
    judge is asked from eight shards at once; the judge's server must see one endpoint's
    pace and no 429, as it does for the candidates (before, each shard limited its judge on
    its own: eight buckets, eight times the pace)."""
    r = 240
    n = 48
    with MockServer(MockConfig()) as cand, MockServer(MockConfig(rpm_limit=r)) as judge_srv:
        spec = write_models(tmp_path, cand.base_url, [
            {"name": "m", "limits": {"concurrency": 8}},
            {"name": "judge", "base_url": judge_srv.base_url,
             "limits": {"concurrency": 8, "rpm": r, "max_retries": 0}}])
        cfg = load_config(spec)
        task_file = write_task(tmp_path, n)
        doc = yaml.safe_load(task_file.read_text())
        doc["judge"] = {"model": "judge"}
        task_file.write_text(yaml.safe_dump(doc))
        task = load_task(task_file, cfg)
        store = Store(pg_db)
        ex = RayExecutor(chunk=n // 8, cpus_per_shard=0.25)
        started = time.monotonic()
        out = run_eval(store, [cfg.get("m")], [task], executor=ex)
        took = time.monotonic() - started
        judged = judge_srv.stats()
    assert len(ex.results) == 8
    assert judged["rate_limited"] == 0, judged["by_status"]
    assert judged["requests"] == n
    # n requests at R per minute, after a first bucket of R/60, take this long at least.
    assert took >= (n - 1 - r / 60) * 60 / r - 0.5
    rows = store.runs.results([out.run_id])
    assert len(rows) == n and all("judge" in (x.details or {}) for x in rows)
    gates = list(ex.gate_stats.values())
    assert len(gates) == 2 and gates[1]["granted"] == n and gates[1]["max_in_flight"] <= 8


def test_perf_load_from_two_actors_is_merged_from_raw_rows(
        ray_cluster: Any, tmp_path: Path) -> None:
    from baimo.config import ModelConfig
    from baimo.perf import metrics
    from baimo.perf.loads import parse_levels
    from baimo.perf.runner import PerfSpec, rows_from_store, run_perf
    from baimo.scale.perf import RayPerfPool

    with MockServer(MockConfig(ttft_s=0.05, itl_s=0.005, output_tokens=8)) as srv:
        model = ModelConfig.model_validate({"name": "m", "base_url": srv.base_url})
        spec = PerfSpec(levels=parse_levels("4"), requests=40, warmup="0", cooldown="0",
                        output_tokens=8, tokenizer="words", processes=2)
        pool = RayPerfPool(2)
        try:
            store = Store()
            out = run_perf(store, spec, [model], pool=pool)
        finally:
            pool.close()
        stats = srv.stats()
    (level,) = out.summaries["m"]
    assert stats["completed"] == 40 and level["requests"]["ok"] == 40
    client = level["client"]
    assert len(client["workers"]) == 2
    assert len({w["pid"] for w in client["workers"]}) == 2
    for w in client["workers"]:
        # One machine, one CLOCK_MONOTONIC: the measured offset is ~0, within its ping.
        assert abs(w["clock_offset_ms"]) <= w["clock_uncertainty_ms"] + 1.0, w
        assert w["host"] and w["verdict"].startswith("The client")
    # The level's numbers are those of the merged raw rows, not an average of two summaries.
    rows = rows_from_store(store.perf.requests([out.run_id]))
    again = metrics.summarize_level(rows)
    for name in ("ttft_s", "e2e_s", "itl_s"):
        # (stored stamps are rounded to 0.1 µs)
        assert level["metrics"][name]["p99"] == pytest.approx(again["metrics"][name]["p99"],
                                                              abs=1e-6)
    assert 0.05 <= level["metrics"]["ttft_s"]["p50"] < 0.08
    starts = sorted(r["sent"] for r in rows)
    assert starts[0] >= -0.01 and starts[-1] < 10  # one shared clock: all from the epoch


def test_sandboxed_checks_run_on_workers_with_every_limit(ray_cluster: Any) -> None:
    from baimo.scale.sandbox import run_on_cluster
    from baimo.tasks.sandbox import SandboxLimits, sandbox_info

    codes = [
        "print(sum(range(10)))",
        "while True:\n    pass",  # CPU limit
        "x = bytearray(400 * 1024 * 1024)\nprint(len(x))",  # memory limit (128 MB)
        "import time\ntime.sleep(30)",  # wall clock
        "import socket\ns = socket.create_connection(('127.0.0.1', 22), timeout=2)",
        "open('/etc/baimo-pwned', 'w').write('x')",
    ]
    limits = SandboxLimits(cpu_seconds=1, wall_seconds=3, memory_mb=128)
    results, where = run_on_cluster(codes, limits, batch=3)
    statuses = [r.status for r in results]
    assert statuses[0] == "passed" and results[0].stdout.strip() == "45"
    assert statuses[1] == "timeout" and statuses[3] == "timeout"
    assert statuses[2] == "memory"
    assert statuses[4] == "failed" and statuses[5] == "failed"
    # The workers isolate exactly as this machine does.
    local = ", ".join(sandbox_info().isolation)
    assert len(where) == 2 and all(w.endswith(local) for w in where), (where, local)


def test_the_database_password_never_travels_to_the_shards(
        ray_cluster: Any, tmp_path: Path, pg_password_db: str) -> None:
    """The driver logs in with the password in its URL; the worker nodes were started without
    one in their environment. Had the password travelled with the shard, the shard would log
    in; it must instead be refused, saying where the password belongs, without showing it."""
    password = pg_password_db.split(":", 2)[2].split("@", 1)[0]
    with MockServer(MockConfig()) as srv:
        spec = write_models(tmp_path, srv.base_url, [{"name": "m"}])
        model = load_config(spec).get("m")
        task = load_task(write_task(tmp_path, 4))
        store = Store(pg_password_db)
        with pytest.raises(BaimoError) as err:
            run_eval(store, [model], [task], executor=RayExecutor(chunk=4, max_retries=0))
    message = str(err.value)
    assert "no password supplied" in message and "BAIMO_DB" in message, message
    assert password not in message
    assert srv.stats()["completed"] == 0
    run = store.runs.recent(1)[0]
    assert run.status == "failed" and store.runs.results([run.id]) == []


def test_the_head_address_passes_the_check_and_is_refused_as_a_ray_client(
        ray_cluster: Any) -> None:
    """The real GCS answers the probe ``check_address`` sends (no false refusal); given to
    the Ray Client (``ray://``) it is named for what it is. Before, Ray timed the Ray Client
    out after 30 s, after the run was stored."""
    address = ray_cluster.cluster.address  # the node's address, not always loopback
    check_address(address)
    host = address.rpartition(":")[0]
    with pytest.raises(BaimoError) as err:
        check_address(f"ray://{address}")
    assert f"{address} is a Ray head's own port, not the Ray Client's: give ray://{host}:10001" \
        in str(err.value)


def test_a_worker_killed_mid_run_loses_nothing_and_stores_nothing_twice(
        ray_cluster: Any, tmp_path: Path, pg_db: str) -> None:
    n = 96
    with MockServer(MockConfig(ttft_s=0.15, output_tokens=4)) as srv:
        spec = write_models(tmp_path, srv.base_url, [
            {"name": "m", "limits": {"concurrency": 3, "max_retries": 2}}])
        model = load_config(spec).get("m")
        task = load_task(write_task(tmp_path, n))
        store = Store(pg_db)
        box: dict[str, EvalOutcome | BaseException] = {}

        def drive() -> None:
            try:
                box["out"] = run_eval(store, [model], [task],
                                      executor=RayExecutor(chunk=24, holder_timeout_s=3))
            except BaseException as exc:
                box["out"] = exc

        t = threading.Thread(target=drive)
        t.start()
        deadline = time.monotonic() + 60
        while srv.stats()["completed"] < 12:  # both workers are mid-shard
            assert time.monotonic() < deadline and t.is_alive(), box
            time.sleep(0.05)
        ray_cluster.kill_worker(0)
        t.join(timeout=90)
        stats = srv.stats()
    # Last in the module: the cluster goes on with one worker node.
    assert not t.is_alive(), "the run did not finish after the worker's loss"
    out = box["out"]
    assert isinstance(out, EvalOutcome), out
    rows = store.runs.results([out.run_id])
    ids = [r.sample_id for r in rows]
    assert len(ids) == n and len(set(ids)) == n, "a sample was lost or stored twice"
    assert all(r.status == "ok" for r in rows), {r.reason for r in rows}
    assert out.status == "done"
    # Every sample was answered; only those in flight on the dead worker were asked twice.
    assert len(stats["completed_by_sample"]) == n
    assert stats["completed"] - n <= 2 * 3
