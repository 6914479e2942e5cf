"""``baimo plan`` refuses simulation settings that cannot describe a cluster (real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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


def _quick_plan(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """``plan`` with a short timeout: a simulation past its bounds once ran for minutes and
    took gigabytes."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "baimo", "plan", "--suite", "demo", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=20,
                          env=dict(os.environ))
    return proc, time.monotonic() - start


@pytest.mark.parametrize("option", ["--simulate", "--workers"])
def test_a_simulation_past_its_bounds_is_refused_at_once(tmp_path: Path, option: str) -> None:
    proc, took = _quick_plan([option, "1000000000"], tmp_path)
    assert proc.returncode == 2, proc.stdout[-500:]
    assert f"Invalid value for '{option}'" in proc.stderr and "1000000" in proc.stderr
    assert took < 10 and proc.stdout == ""


def test_the_bounds_are_in_the_help(tmp_path: Path) -> None:
    proc, _ = _quick_plan(["--help"], tmp_path)
    text = " ".join(proc.stdout.split())
    assert "simulate this many models (0: off; at most 1,000,000" in text
    assert "simulated cluster (at most 1,000,000)" in text


def test_more_shards_than_a_simulation_schedules_are_refused_naming_the_options(
        tmp_path: Path) -> None:
    proc, took = _quick_plan(["--simulate", "1000000", "--chunk", "1"], tmp_path)
    assert proc.returncode == 2
    # (the line before it, if any, is llama.cpp's own, opening the GGUF's vocabulary)
    assert proc.stderr.splitlines()[-1].startswith(
        "error: simulating 1,000,000 models makes 32,000,000 shards, more than the 5,000,000")
    assert "--simulate" in proc.stderr and "--chunk" in proc.stderr and took < 10
