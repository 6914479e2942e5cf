"""What a monitor must get right beyond the happy path: an empty answer is not an outage,
Ctrl-C keeps what was finished, an alert that hangs or fails is killed and reported, a lease
too short to work is refused, and a probe's reason tells the truth about retries.

Real loopback servers (``ScriptedServer``), the real store, and ``baimo`` in a subprocess
where a signal or the command's output is what is tested.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from baimo.config import ModelConfig
from baimo.errors import ConfigError
from baimo.monitor.scheduler import Monitor
from baimo.monitor.settings import MonitorSettings, load_settings
from baimo.monitor.stability import stability
from baimo.perf.tokenizer import WordTokenizer
from baimo.store.monitor import MonitorRepository
from baimo.store.store import Store
from baimo.testing.scripted import ChatRequest, Reply, ScriptedServer

SETTINGS = {"parallel": 0, "tokenizer": "words", "output_tokens": 8, "sizes": [100, 1000],
            "headline_size": 1000, "canaries": False, "fidelity_every": "1d"}


def _baimo(args: list[str], cwd: Path, home: Path, **kw: object
           ) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "baimo", *args], cwd=cwd,
                            env={**os.environ, "BAIMO_HOME": str(home)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_an_empty_answer_is_up_untimed_and_counted(baimo_home: Path) -> None:
    """A server that answers HTTP 200, finish_reason stop, no content, is up: no outage, no
    uptime incident, no TTFT sample, and the cycle says how many answers were empty. A
    server known to accept ``ignore_eos``/``min_tokens`` is sent them, as perf sends them."""
    with ScriptedServer(lambda req: Reply("")) as srv:
        settings = MonitorSettings.model_validate(SETTINGS)
        plain = ModelConfig(name="plain", base_url=srv.base_url, model="m")
        vllm = ModelConfig(name="vllm", provider="vllm", base_url=srv.base_url, model="m")
        store = Store()
        mon = Monitor(store, [plain, vllm], settings, tokenizer=WordTokenizer())
        outcomes = {o.model: o for o in mon.tick()}
        mon.close()
        repo = MonitorRepository(store.engine)
        for name in ("plain", "vllm"):
            lat = repo.probes(name, kinds=["latency"])
            assert [p.status for p in lat] == ["empty", "empty"], lat
            o = outcomes[name]
            assert o.status == "done" and o.empty == 2 and o.failed == 0, o
            assert all(p.ttft_s is None and p.finish_reason == "stop" for p in lat)
            st = stability(lat, end=time.time() + 1, window_s=3600)
            assert st["uptime"] == 1.0 and st["outages"] == [] and st["empty"] == 2
            assert st["by_size"]["1000"]["ttft_s"]["n"] == 0
            (cycle,) = repo.cycles(name)
            assert cycle.values["uptime"] == 1.0 and cycle.values["empty"] == 2
            assert not [i for i in repo.incidents(name) if i.metric == "uptime"]
        lat_bodies = [b for b in srv.bodies if b.get("max_tokens") == 8]
        by_model = {}
        for b in lat_bodies:  # both endpoints ask for model "m": tell them apart by params
            by_model.setdefault("ignore_eos" in b, []).append(b)
        assert len(by_model[True]) == 2 and len(by_model[False]) == 2
        assert all(b["min_tokens"] == 8 for b in by_model[True])
        store.close()


def test_a_cut_stream_reason_does_not_claim_a_retry(baimo_home: Path) -> None:
    """Timed probes are never retried, so their stored reason must not say they are."""
    cut = Reply(raw_events=[b'{"choices": [{"index": 0, "delta": {"content": "hi"}}]}'])
    with ScriptedServer(lambda req: cut) as srv:
        settings = MonitorSettings.model_validate({**SETTINGS, "sizes": [100],
                                                   "headline_size": 100})
        cfg = ModelConfig(name="cut", base_url=srv.base_url, model="m")
        store = Store()
        mon = Monitor(store, [cfg], settings, tokenizer=WordTokenizer())
        mon.tick()
        mon.close()
        (p,) = MonitorRepository(store.engine).probes("cut", kinds=["latency"])
        assert p.status == "error" and p.reason and "cut off" in p.reason
        assert "retried" not in p.reason  # the provider states the fact, not a policy
        store.close()


def test_a_lease_too_short_to_renew_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "baimo.yaml"
    path.write_text("models: []\nmonitor:\n  every: 3h\n  lease: 1ms\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert f"{path}:4: monitor.lease:" in str(exc.value) and "at least 10s" in str(exc.value)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_mid_probe_keeps_finished_probes_and_exits_130(
        tmp_path: Path, baimo_home: Path, sig: signal.Signals) -> None:
    """A slow server (every answer times out after 3 s); SIGINT (or SIGTERM, a service
    manager's stop, which killed the monitor outright) while the second probe is in flight:
    no traceback, exit 130, the first probe stored, the cycle left to resume and shown as
    interrupted by ``history``."""
    async def slow(req: ChatRequest) -> Reply:
        await asyncio.sleep(30)
        return Reply("late")

    with ScriptedServer(slow) as srv:
        (tmp_path / "baimo.yaml").write_text(f"""
models:
  - {{name: slow, base_url: '{srv.base_url}', model: m,
     limits: {{timeout_s: 3, max_retries: 0}}}}
monitor: {{parallel: 0, tokenizer: words, output_tokens: 8, sizes: [100, 1000, 10000],
          headline_size: 1000, canaries: false}}
""", encoding="utf-8")
        proc = _baimo(["monitor", "run", "--every", "1h"], tmp_path, baimo_home)
        repo = MonitorRepository(Store().engine)
        deadline = time.monotonic() + 60
        while not repo.probes("slow"):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        time.sleep(1.0)  # the second probe is on the wire
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr and "RuntimeError" not in stderr, stderr
        assert "interrupted; the probes already finished are stored" in stderr
        (cycle,) = repo.cycles("slow")
        assert cycle.status == "running"
        assert repo.probe_names(cycle.id) == {"lat:100"}
        hist = subprocess.run([sys.executable, "-m", "baimo", "monitor", "history", "slow",
                               "--json"], cwd=tmp_path, capture_output=True, text=True,
                              env={**os.environ, "BAIMO_HOME": str(baimo_home)}, timeout=60)
        assert '"interrupted (resumes on next start)"' in hist.stdout, hist.stderr


def _state(pid: int) -> str | None:
    """The process's state letter, None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def test_failed_alerts_are_printed_and_a_hung_command_is_killed_whole(
        tmp_path: Path, baimo_home: Path) -> None:
    """An incident with three broken targets: a command that hangs (its ``sleep`` child
    must die with it), one that exits 3, and a webhook nobody listens on. ``monitor once
    --json`` must still say on stderr that the alerts did not go out."""
    pidfile = tmp_path / "sleep.pid"
    hang = f"cat >/dev/null; sleep 1000 & echo $! > {pidfile}; wait"
    with ScriptedServer(lambda req: Reply("hello world")) as srv:
        (tmp_path / "baimo.yaml").write_text(f"""
models:
  - {{name: ep, base_url: '{srv.base_url}', model: m}}
monitor:
  parallel: 0
  tokenizer: words
  output_tokens: 8
  sizes: [100]
  headline_size: 100
  canaries: false
  thresholds: {{ttft_s: {{max: 0.000000001}}}}
  alerts:
    - {{command: [sh, -c, '{hang}'], timeout_s: 2}}
    - {{command: [sh, -c, 'cat >/dev/null; exit 3']}}
    - {{webhook: 'http://127.0.0.1:9/hook', timeout_s: 2}}
""", encoding="utf-8")
        proc = _baimo(["monitor", "once", "--json"], tmp_path, baimo_home)
        _, stderr = proc.communicate(timeout=120)
    pid = int(pidfile.read_text())
    for _ in range(50):
        if _state(pid) in (None, "Z"):
            break
        time.sleep(0.1)
    state = _state(pid)
    if state not in (None, "Z"):
        os.kill(pid, signal.SIGKILL)
    assert state in (None, "Z"), f"the alert command's child {pid} is still running"
    assert proc.returncode == 0, stderr
    assert "command took longer than 2 s" in stderr, stderr
    assert "command exited with status 3" in stderr, stderr
    assert "webhook failed" in stderr, stderr
