"""Settings errors name the line; command alerts are retried until delivered, then sent once;
``baimo monitor run`` ticks in its main thread and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from vendor_server import Behaviour, VendorServer

from baimo.config import ModelConfig
from baimo.errors import ConfigError
from baimo.monitor.scheduler import Monitor
from baimo.monitor.settings import MonitorSettings, load_settings
from baimo.perf.tokenizer import WordTokenizer
from baimo.store.monitor import MonitorRepository
from baimo.store.store import Store


def test_a_bad_threshold_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "baimo.yaml"
    path.write_text("models: []\nmonitor:\n  every: 3h\n  thresholds:\n    ttft_s:\n"
                    "      maxx: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert f"{path}:6: monitor.thresholds.ttft_s.maxx: unknown field" in str(exc.value)


def test_a_bad_duration_names_its_line_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("every: 3 hours\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(None, path)
    assert f"{path}:1: every:" in str(exc.value) and "3h" in str(exc.value)


def test_the_models_file_accepts_family_and_monitor(tmp_path: Path) -> None:
    from baimo.config import load_config

    path = tmp_path / "baimo.yaml"
    path.write_text("models:\n  - {name: a, base_url: 'http://127.0.0.1:9/v1', family: x}\n"
                    "monitor: {every: 30s, parallel: 0}\n", encoding="utf-8")
    assert load_config(path).get("a").family == "x"
    s = load_settings(path)
    assert s.every == 30.0 and s.parallel == 0


def test_a_failed_alert_is_retried_then_sent_once(tmp_path: Path, baimo_home: Path) -> None:
    out = tmp_path / "events.jsonl"
    flag = tmp_path / "first-failed"
    script = ("import sys, pathlib\n"
              f"flag = pathlib.Path({str(flag)!r})\n"
              "if not flag.exists():\n    flag.write_text('x'); sys.exit(3)\n"
              f"open({str(out)!r}, 'a').write(sys.stdin.read() + '\\n')\n")
    t = [1_767_225_660.0]

    class Clock:
        def now(self) -> float:
            return t[0]

    server = VendorServer(lambda: t[0], Behaviour(change_at=t[0] + 3 * 3600)).start()
    try:
        settings = MonitorSettings.model_validate({
            "every": "3h", "parallel": 0, "tokenizer": "words", "output_tokens": 16,
            "sizes": [100, 1000], "headline_size": 1000,
            "alerts": [{"command": [sys.executable, "-c", script]}]})
        cfg = ModelConfig(name="vendor-a", base_url=server.url, model="swapped")
        store = Store()
        mon = Monitor(store, [cfg], settings, clock=Clock(), tokenizer=WordTokenizer())
        repo = MonitorRepository(store.engine)
        for k in range(4):
            t[0] = 1_767_225_660.0 + k * 3 * 3600
            mon.tick()
            incidents = repo.incidents("vendor-a")
            if k == 1:  # the change: incidents open, the command fails the first time
                assert {i.metric for i in incidents} == {"canary_accuracy",
                                                         "check:canary_drift"}
                assert any(i.notify_error and "exited with status 3" in i.notify_error
                           for i in incidents)
        lines = [orjson.loads(x) for x in out.read_text().splitlines() if x.strip()]
        assert sorted((e["event"], e["metric"]) for e in lines) == [
            ("incident", "canary_accuracy"), ("incident", "check:canary_drift")]
        assert all(i.notified_at is not None and i.notify_error is None
                   for i in repo.incidents("vendor-a"))
        mon.close()
        store.close()
    finally:
        server.stop()


def test_monitor_run_ticks_on_the_scheduler_and_stops_on_ctrl_c(tmp_path: Path,
                                                                 baimo_home: Path) -> None:
    server = VendorServer(time.time).start()
    try:
        (tmp_path / "baimo.yaml").write_text(f"""
models:
  - {{name: vendor-a, base_url: '{server.url}', model: healthy}}
monitor: {{parallel: 0, tokenizer: words, output_tokens: 8, sizes: [100], headline_size: 100,
          canaries: false, fidelity_every: 1d}}
""", encoding="utf-8")
        env = {**os.environ, "BAIMO_HOME": str(baimo_home)}
        proc = subprocess.Popen([sys.executable, "-m", "baimo", "monitor", "run", "--every",
                                 "2s"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        repo = MonitorRepository(Store().engine)
        deadline = time.monotonic() + 60
        while len(repo.cycles("vendor-a", status="done")) < 3:
            assert time.monotonic() < deadline, "fewer than 3 cycles in 60 s"
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stderr  # Ctrl-C exits 130, as every command does
        assert "interrupted" in stderr and "Traceback" not in stderr, stderr
        assert "probe cost: every 2 s" in stdout  # the plan is shown before it starts
        cycles = repo.cycles("vendor-a")
        slots = [c.slot for c in cycles]
        assert len(slots) == len(set(slots)) and all(s % 2 == 0 for s in slots)
        # Fidelity once per day: only the first cycle ran the request checks.
        assert sum(1 for c in repo.checks("vendor-a") if c.check_name == "determinism") == 1
    finally:
        server.stop()


def test_an_endpoint_that_cannot_start_fails_alone(baimo_home: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAIMO_TEST_MISSING_KEY", raising=False)
    server = VendorServer(time.time).start()
    try:
        settings = MonitorSettings(parallel=0, tokenizer="words", output_tokens=8,
                                   sizes=(100,), headline_size=100, canaries=False,
                                   fidelity_every=86400)
        good = ModelConfig(name="good", base_url=server.url, model="healthy")
        bad = ModelConfig(name="no-key", base_url=server.url, model="healthy",
                          api_key_env="BAIMO_TEST_MISSING_KEY")
        mon = Monitor(Store(), [bad, good], settings, tokenizer=WordTokenizer())
        out = {o.model: o for o in mon.tick()}
        assert out["good"].status == "done"
        assert out["no-key"].status == "failed"
        assert "BAIMO_TEST_MISSING_KEY is not set" in out["no-key"].detail
        mon.close()
    finally:
        server.stop()


def test_a_monitor_that_loses_its_lease_stops_its_cycle(baimo_home: Path) -> None:
    """Another owner takes the lease while a probe hangs; the heartbeat notices, and the
    first monitor stops at the next probe instead of running beside the new owner."""
    import threading

    server = VendorServer(time.time, Behaviour(hang_on=3, hang_seconds=5)).start()
    try:
        settings = MonitorSettings(parallel=0, tokenizer="words", output_tokens=8,
                                   sizes=(100, 1000), headline_size=1000, lease=10)
        cfg = ModelConfig(name="vendor-a", base_url=server.url, model="healthy")
        store = Store()
        repo = MonitorRepository(store.engine)
        mon = Monitor(store, [cfg], settings, tokenizer=WordTokenizer(), owner="first")

        def steal() -> None:
            server.hung.wait(30)
            repo.release("vendor-a", "first")
            assert repo.acquire("vendor-a", "thief", time.time(), 600)

        thief = threading.Thread(target=steal)
        thief.start()
        (out,) = mon.tick()
        thief.join(30)
        assert out.status == "interrupted"
        (cycle,) = repo.cycles("vendor-a")
        assert cycle.status == "running"  # left for the lease's new owner to resume
        assert len(repo.probe_names(cycle.id)) == 3  # two before the hang, the hung one
        (lease,) = repo.leases()
        assert lease.owner == "thief"
        mon.close()
    finally:
        server.stop()


def test_thresholds_alert_targets_and_references_that_cannot_work_are_refused(
        tmp_path: Path, baimo_home: Path) -> None:
    """The tester's file: each mistake is one located line, before any probe is sent."""
    mon = tmp_path / "monitor.yaml"
    mon.write_text("thresholds:\n"
                   "  ttft_s: {max: -1, consecutive: 1}\n"          # 2
                   "  uptime: {min: 2}\n"                           # 3
                   "  error_rate: {max: 0.1, consecutive: 0}\n"     # 4
                   "  ttft: {max: 1}\n"                             # 5
                   "  output_tps: {min: 20, max: 10}\n"             # 6
                   "  check:stop: {min: .nan}\n"                    # 7
                   "references: {fam: nosuchmodel}\n"               # 8
                   "alerts:\n"
                   "  - webhook_env: 'http://x'\n", encoding="utf-8")  # 10
    with pytest.raises(ConfigError) as exc:
        load_settings(None, mon)
    said = str(exc.value).splitlines()
    assert len(said) == 7, said
    assert said == [
        f"{mon}:2: thresholds.ttft_s.max: -1 is not a value ttft_s can take: it is a time in "
        "seconds, more than 0",
        f"{mon}:3: thresholds.uptime.min: 2 is not a value uptime can take: it is a share "
        "from 0 to 1 (0.99 = 99%)",
        f"{mon}:4: thresholds.error_rate.consecutive: Input should be greater than or equal "
        "to 1",
        f"{mon}:5: thresholds.ttft: no metric is named 'ttft'; thresholds can name "
        + said[3].split("thresholds can name ", 1)[1],
        f"{mon}:6: thresholds.output_tps: min 20 is above max 10: every value would cross "
        "one of them",
        f"{mon}:7: thresholds.check:stop.min: Input should be a finite number",
        f"{mon}:10: alerts.0.webhook_env: is the *name* of the environment variable that "
        "holds the webhook URL (letters, digits and _, not starting with a digit), not a URL: "
        "e.g. webhook_env: MONITOR_WEBHOOK_URL, then export MONITOR_WEBHOOK_URL=https://...",
    ]
    assert "ttft_s, tpot_s, e2e_s" in said[3] and "check:determinism" in said[3]
    # References are checked against the models file where both are loaded: the command.
    models = tmp_path / "baimo.yaml"
    models.write_text("models:\n"
                      "  - {name: a, base_url: 'http://127.0.0.1:9/v1', family: fam}\n"
                      "  - {name: b, base_url: 'http://127.0.0.1:9/v1', family: other}\n",
                      encoding="utf-8")
    mon.write_text("thresholds: {ttft_s: {max: 2}, uptime: {min: 0.99}}\n"
                   "references:\n  fam: nosuchmodel\n  other: a\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "baimo", "monitor", "plan", "-c", str(models),
                           "--monitor-file", str(mon)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120,
                          env={**os.environ, "BAIMO_HOME": str(baimo_home)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [
        f"error: {mon}:3: references.fam: no model named 'nosuchmodel' in the models file; "
        "the reference of a family is one of its configured endpoints (configured: "
        "smollm2-135m, a, b)",
        f"{mon}:4: references.other: 'a' cannot be the reference of family 'other': its "
        "family is 'fam'. Name an endpoint of that family, or set 'family: other' on 'a' in "
        "the models file"]
    mon.write_text("thresholds: {ttft_s: {max: 2}, uptime: {min: 0.99}, 'check:*': {min: 1}}\n"
                   "references: {fam: a, other: b}\n"
                   "alerts: [{webhook_env: MY_HOOK_URL}]\n", encoding="utf-8")
    s = load_settings(None, mon)
    assert s.threshold_for("ttft_s") is not None and s.alerts[0].webhook_env == "MY_HOOK_URL"
    ok = subprocess.run([sys.executable, "-m", "baimo", "monitor", "plan", "-c", str(models),
                         "--monitor-file", str(mon)], capture_output=True, text=True,
                        cwd=tmp_path, timeout=120,
                        env={**os.environ, "BAIMO_HOME": str(baimo_home)})
    assert ok.returncode == 0, ok.stderr
