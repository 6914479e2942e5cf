"""``kill -9`` at random moments loses at most in-flight requests and never corrupts the store.

The eval runs as a real ``baimo eval`` process against a mock server in another process (so
the server outlives its client and counts what it answered). It is killed five times at random
points, then resumed to the end. The final results must equal an uninterrupted run's.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from baimo.store.store import Store
from baimo.testing.mockserver import MockConfig, spawn_mockserver
from support import write_models, write_task

N = 120
CONCURRENCY = 4


def _baimo(args: list[str], home: Path, cwd: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BAIMO_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "baimo", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _final(home: Path) -> list[tuple[str, str, str | None, float]]:
    store = Store(f"sqlite:///{home / 'baimo.db'}")
    run = store.runs.resolve("latest")
    rows = store.runs.results([run])
    store.close()
    return sorted((r.sample_id, r.status, r.extracted, r.score) for r in rows)


@pytest.mark.slow
def test_kill_nine_five_times_then_resume_matches_uninterrupted(tmp_path: Path) -> None:
    rng = random.Random(1234)
    spec = write_task(tmp_path, N)
    cfg = MockConfig(itl_s=0.004, output_tokens=12, ttft_s=0.01)
    with spawn_mockserver(cfg) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "mock",
                                               "limits": {"concurrency": CONCURRENCY}}])
        args = ["eval", "--task", str(spec), "--model", "mock", "--no-progress"]
        home = tmp_path / "killed"
        db = f"sqlite:///{home / 'baimo.db'}"
        kills = 0
        run_id: str | None = None
        stored = 0
        while kills < 5:
            proc = _baimo(args if run_id is None else [*args, "--resume", run_id], home,
                          tmp_path)
            # Kill at a random moment after this process has stored new work.
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline:
                if (home / "baimo.db").exists():
                    store = Store(db)
                    runs = store.runs.recent(1)
                    now = len(store.runs.results([runs[0].id])) if runs else 0
                    store.close()
                    if now > stored:
                        break
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 0.4))
            if proc.poll() is not None:
                break  # finished before we could kill it
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            store = Store(db)
            run_id = store.runs.resolve("latest")
            stored = len(store.runs.results([run_id]))
            store.close()
            if stored == N:
                break  # it had stored every answer and was exiting when the kill landed
        assert kills >= 3, "the run finished too fast to be killed; raise N"
        proc = _baimo([*args, "--resume", str(run_id)], home, tmp_path)
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr.decode()
        stats = srv.stats()

    killed = _final(home)
    assert len(killed) == N and len({r[0] for r in killed}) == N
    answered = stats["completed_by_sample"]
    assert len(answered) == N, "some sample was never answered"
    # Only requests in flight at a kill can have been answered and then lost.
    repeats = sum(c - 1 for c in answered.values())
    assert repeats <= kills * CONCURRENCY, (repeats, kills)

    with spawn_mockserver(cfg) as srv2:
        write_models(tmp_path, srv2.base_url, [{"name": "mock",
                                                "limits": {"concurrency": CONCURRENCY}}])
        clean_home = tmp_path / "clean"
        proc = _baimo(args, clean_home, tmp_path)
        proc.communicate(timeout=300)
        assert proc.returncode == 0
        assert set(srv2.stats()["completed_by_sample"].values()) == {1}
    assert killed == _final(clean_home)
