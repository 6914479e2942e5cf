"""A killed monitor resumes its cycle; two monitors never run one endpoint's cycle at once.

``baimo monitor once`` runs in a subprocess against a loopback deployment that hangs on its
5th request; the process is killed with SIGKILL while waiting for that answer, and started
again. The store must then hold every probe of the cycle exactly once, the cycle must be the
same one (not a second cycle for the slot), and the server must have been asked each probe
once, plus the one request that was in flight when the process died.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from vendor_server import Behaviour, VendorServer

from baimo.config import ModelConfig
from baimo.monitor.fidelity import REQUEST_CHECKS
from baimo.monitor.probes import CANARIES
from baimo.monitor.scheduler import Monitor
from baimo.monitor.settings import MonitorSettings
from baimo.perf.tokenizer import WordTokenizer
from baimo.store.monitor import MonitorRepository
from baimo.store.store import Store

SIZES = (100, 1000, 10000)
# determinism asks twice, every other check once.
PLAN_REQUESTS = len(SIZES) + len(CANARIES) + len(REQUEST_CHECKS) + 1
PLAN_PROBES = PLAN_REQUESTS


def _models_yaml(tmp: Path, url: str) -> Path:
    path = tmp / "baimo.yaml"
    path.write_text(f"""
models:
  - name: vendor-a
    base_url: {url}
    model: healthy
    family: demo
    pricing: {{input_per_1m: 2, output_per_1m: 8}}
  - name: vendor-b
    base_url: {url}
    model: healthy
    family: demo
    pricing: {{input_per_1m: 1, output_per_1m: 4}}
monitor:
  every: 1d
  parallel: 0
  tokenizer: words
  lease: 10m
  output_tokens: 32
  models: [vendor-a]
  references: {{demo: vendor-a}}
""", encoding="utf-8")
    return path


def _baimo(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_a_killed_monitor_resumes_its_cycle_and_loses_nothing(tmp_path: Path,
                                                              baimo_home: Path) -> None:
    server = VendorServer(time.time, Behaviour(hang_on=5, hang_seconds=60)).start()
    try:
        models = _models_yaml(tmp_path, server.url)
        env = {**os.environ, "BAIMO_HOME": str(baimo_home)}
        proc = subprocess.Popen([sys.executable, "-m", "baimo", "monitor", "once", "-c",
                                 str(models)], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert server.hung.wait(60), "the monitor never reached the 5th request"
            repo = MonitorRepository(Store().engine)
            (cycle,) = repo.cycles("vendor-a")
            assert cycle.status == "running"
            stored_before = repo.probe_names(cycle.id)
            assert len(stored_before) == 4  # the three timed probes and the first canary
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(30)
        assert proc.returncode == -signal.SIGKILL
        # Its lease is still in the store, held by a process that no longer exists.
        (lease,) = repo.leases()
        assert lease.owner.endswith(f":{proc.pid}")

        again = _baimo(["monitor", "once", "-c", str(models), "--json"], env, tmp_path)
        assert again.returncode == 0, again.stderr
        (out,) = orjson.loads(again.stdout)
        assert out["status"] == "done" and out["cycle_id"] == cycle.id
        assert out["probes_resumed"] == 4
        (after,) = repo.cycles("vendor-a")
        assert after.id == cycle.id and after.status == "done"
        probes = repo.probes("vendor-a")
        assert len(probes) == PLAN_PROBES == len({p.probe for p in probes})
        assert stored_before <= {p.probe for p in probes}
        assert all(p.status == "ok" for p in probes)
        # Each request once, plus the one in flight at the kill (asked again on resume).
        assert server.requests["healthy"] == PLAN_REQUESTS + 1
        assert repo.leases() == []

        # A third run in the same slot runs nothing.
        third = _baimo(["monitor", "once", "-c", str(models), "--json"], env, tmp_path)
        assert orjson.loads(third.stdout)[0]["status"] == "skipped"
        assert server.requests["healthy"] == PLAN_REQUESTS + 1

        _check_cli_views(models, env, tmp_path, cycle.slot)
    finally:
        server.stop()


def _check_cli_views(models: Path, env: dict[str, str], cwd: Path, slot: float) -> None:
    """The CLI tables over the real store: status, history, vendors, plan."""
    status = orjson.loads(_baimo(["monitor", "status", "-c", str(models), "--json"], env,
                                 cwd).stdout)
    (row,) = status
    assert row["model"] == "vendor-a" and row["last_cycle"] == slot
    assert row["stability"]["uptime"] == 1.0 and row["stability"]["requests"] == 3
    assert row["checks_failed"] == [] and row["open_incidents"] == []
    hist = orjson.loads(_baimo(["monitor", "history", "vendor-a", "--json"], env, cwd).stdout)
    # an endpoint never probed (or a typo) is a clear error naming those that were
    unknown = _baimo(["monitor", "history", "vendor-z"], env, cwd)
    assert unknown.returncode == 2, unknown
    assert "no monitor history for 'vendor-z'" in unknown.stderr and "vendor-a" in unknown.stderr
    assert [c["status"] for c in hist["cycles"]] == ["done"]
    assert hist["cycles"][0]["values"]["canary_accuracy"] == 1.0
    vendors = orjson.loads(_baimo(["monitor", "vendors", "-c", str(models), "--json"], env,
                                  cwd).stdout)
    rows = {r["model"]: r for r in vendors["demo"]}
    assert rows["vendor-a"]["reference"] and rows["vendor-a"]["canary_agreement"] == 1.0
    assert rows["vendor-b"]["uptime"] is None  # never probed: unknown, not 100%
    table = _baimo(["monitor", "vendors", "-c", str(models)], env, cwd)
    assert "vendor-a (reference)" in table.stdout and "family demo" in table.stdout
    plan = orjson.loads(_baimo(["monitor", "plan", "-c", str(models), "--json"], env,
                               cwd).stdout)
    (p,) = plan["endpoints"]
    assert p["cycles_per_day"] == 1.0
    assert p["by_kind"]["latency"] == {"input": sum(SIZES), "output": 3 * 32}
    assert p["input_tokens_per_day"] >= sum(SIZES)


@pytest.mark.parametrize("n_monitors", [2])
def test_two_monitors_never_run_one_cycle_twice(db_url: str, n_monitors: int) -> None:
    """Monitors with different owners tick the same slot at the same moment (threads, one
    database): exactly one runs the cycle; the others find it busy or done."""
    clock_t = 1_767_225_660.0

    class Clock:
        def now(self) -> float:
            return clock_t

    server = VendorServer(lambda: clock_t).start()
    try:
        settings = MonitorSettings(every=3600, parallel=0, tokenizer="words", lease=600,
                                   output_tokens=16)
        cfg = ModelConfig(name="vendor-a", base_url=server.url, model="healthy")
        stores = [Store(db_url) for _ in range(n_monitors)]
        mons = [Monitor(s, [cfg], settings, clock=Clock(), tokenizer=WordTokenizer(),
                        owner=f"test-owner-{i}") for i, s in enumerate(stores)]
        results: list[Any] = [None] * n_monitors
        start = threading.Barrier(n_monitors)

        def go(i: int) -> None:
            start.wait()
            results[i] = mons[i].tick()

        threads = [threading.Thread(target=go, args=(i,)) for i in range(n_monitors)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        statuses = sorted(r[0].status for r in results)
        assert statuses.count("done") == 1, statuses
        assert set(statuses) <= {"done", "busy", "skipped"}
        assert server.requests["healthy"] == PLAN_REQUESTS
        repo = MonitorRepository(stores[0].engine)
        (cycle,) = repo.cycles("vendor-a")
        assert cycle.status == "done" and len(repo.probes("vendor-a")) == PLAN_PROBES
        for m in mons:
            m.close()
        for s in stores:
            s.close()
    finally:
        server.stop()
