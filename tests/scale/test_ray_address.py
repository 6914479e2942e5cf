"""``baimo eval --executor ray`` refuses what cannot work before a run is stored.

Real processes: the CLI in a subprocess, a loopback port nothing listens on, and a Python
path on which ``import ray`` fails as it does where Ray is not installed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _closed_port() -> int:
    """A loopback port that was just free: nothing accepts connections on it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    (tmp_path / "baimo.yaml").write_text(
        "models:\n  - {name: api, provider: openai-compatible, base_url: "
        "'http://127.0.0.1:9/v1', model: x}\n")
    return {**os.environ, "BAIMO_HOME": str(tmp_path / "home"),
            "BAIMO_DB": f"sqlite:///{tmp_path / 'x.db'}", **extra}


def _baimo(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=20)


def _runs(tmp_path: Path, env: dict[str, str]) -> list[object]:
    proc = _baimo(tmp_path, env, "runs", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    runs: list[object] = json.loads(proc.stdout)
    return runs


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_an_unreachable_address_fails_in_seconds_naming_it_and_stores_no_run(
        tmp_path: Path, scheme: str) -> None:
    env = _env(tmp_path)
    address = f"{scheme}127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    proc = _baimo(tmp_path, env, "eval", "--suite", "demo", "--limit", "2", "-m", "api",
                  "--executor", "ray", "--address", address, "--no-progress")
    took = time.monotonic() - start
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()  # one line, no Ray retry chatter
    assert line.startswith("error: cannot connect to the Ray cluster at " + address)
    assert "--address" in line and "ray start --head" in line
    assert took < 15
    assert _runs(tmp_path, env) == []


def test_a_malformed_address_is_refused_with_the_forms_that_work(tmp_path: Path) -> None:
    env = _env(tmp_path)
    proc = _baimo(tmp_path, env, "eval", "--suite", "demo", "--limit", "2", "-m", "api",
                  "--executor", "ray", "--address", "ray://head-node", "--no-progress")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --address 'ray://head-node' is not a Ray cluster "
                                  "address: give auto, ray://HOST:PORT")
    assert _runs(tmp_path, env) == []


def test_without_the_ray_package_nothing_is_stored(tmp_path: Path) -> None:
    """Where Ray is not installed the eval is refused before its run exists (it used to
    leave a ``failed`` run with no results)."""
    hidden = tmp_path / "no-ray"
    (hidden / "ray").mkdir(parents=True)
    (hidden / "ray" / "__init__.py").write_text("raise ImportError('Ray is not installed')\n")
    path = os.pathsep.join(p for p in (str(hidden), os.environ.get("PYTHONPATH")) if p)
    env = _env(tmp_path, PYTHONPATH=path)
    proc = _baimo(tmp_path, env, "eval", "--suite", "demo", "--limit", "2", "-m", "api",
                  "--executor", "ray", "--no-progress")
    assert proc.returncode == 2
    assert "The package 'ray' is needed" in proc.stderr and "baimo[ray]" in proc.stderr
    assert _runs(tmp_path, env) == []


def test_the_ray_extra_brings_the_ray_client() -> None:
    """``ray://HOST:10001`` (the Ray Client), which the help and the connection errors
    recommend from outside a cluster, needs ``ray[client]`` (grpcio); without it Ray refuses
    the address with "Ray Client requires pip package 'ray[client]'"."""
    import importlib

    pytest.importorskip("ray")
    assert importlib.import_module("grpc").__version__
    importlib.import_module("ray.util.client.worker")  # imports grpc itself
