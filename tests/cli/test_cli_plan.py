"""``baimo plan`` refuses simulation settings that cannot describe a cluster (real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def plan(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", "plan", "--suite", "demo", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))


@pytest.mark.parametrize(("args", "said"), [
    (["--chunk", "0"], "Invalid value for '--chunk'"),
    (["--chunk", "-3"], "Invalid value for '--chunk'"),
    (["--workers", "0"], "Invalid value for '--workers'"),
    (["--workers", "-1"], "Invalid value for '--workers'"),
    (["--latency", "-2"], "'--latency': -2 is not a time a request can take"),
    (["--latency", "0"], "'--latency': 0 is not a time a request can take"),
    (["--latency", "inf"], "'--latency': inf is not a time a request can take"),
    (["--simulate", "-1"], "Invalid value for '--simulate'"),
])
def test_simulation_settings_that_mean_nothing_are_refused(tmp_path: Path, args: list[str],
                                                           said: str) -> None:
    proc = plan(args, tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert said in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_the_smallest_sensible_settings_still_plan(tmp_path: Path) -> None:
    proc = plan(["--chunk", "1", "--workers", "1", "--latency", "0.5", "--simulate", "3",
                 "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    sim = json.loads(proc.stdout)["simulation"]
    assert sim["workers"] == 1 and sim["shards"] == 3 * 32  # one sample per shard
