"""``baimo eval --executor ray`` refuses what cannot work before a run is stored.

Real processes: the CLI in a subprocess, a loopback port nothing listens on, servers on
loopback that are not Ray (a web server, a silent one, a gRPC server without Ray's
services), and a Python path on which ``import ray`` fails as it does where Ray is not
installed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from baimo.errors import BaimoError
from baimo.scale.executor import check_address


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


def _refused(tmp_path: Path, address: str) -> str:
    """Run an eval on the Ray executor at ``address``; check it is refused at once, in one
    line (no Ray retry chatter), before a run is stored; return that line."""
    env = _env(tmp_path)
    start = time.monotonic()
    proc = _baimo(tmp_path, env, "eval", "--suite", "demo", "--limit", "2", "-m", "api",
                  "--executor", "ray", "--address", address, "--no-progress")
    took = time.monotonic() - start
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "ray start --head" in line
    assert took < 15
    assert _runs(tmp_path, env) == []
    return line


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_an_unreachable_address_fails_in_seconds_naming_it_and_stores_no_run(
        tmp_path: Path, scheme: str) -> None:
    address = f"{scheme}127.0.0.1:{_closed_port()}"
    line = _refused(tmp_path, address)
    assert line.startswith("error: cannot connect to the Ray cluster at " + address)
    assert "--address" in line


@pytest.fixture
def web_port() -> Iterator[int]:
    """A loopback web server: open, but HTTP/1 (as Ray's dashboard on 8265 is). To the
    HTTP/2 preface it answers a bare error page."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<!DOCTYPE html><title>not ray</title>")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_an_open_port_that_is_not_ray_fails_in_seconds_and_stores_no_run(
        tmp_path: Path, web_port: int, scheme: str) -> None:
    """Before, Ray retried the GCS form for minutes (printing a line every five seconds)
    and timed the Ray Client out after 30 s, each after the run was stored as failed."""
    address = f"{scheme}127.0.0.1:{web_port}"
    line = _refused(tmp_path, address)
    assert line.startswith(f"error: cannot connect to the Ray cluster at {address} "
                           f"(--address): 127.0.0.1:{web_port} accepts connections but is "
                           "not Ray: it does not speak gRPC (it answered '<!DOCTYPE")
    assert "8265 is the dashboard" in line


def test_a_silent_port_is_refused_after_the_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(BaimoError, match=r"does not speak gRPC \(it answered nothing "
                           r"in 0\.5 s\)"):
            check_address(f"127.0.0.1:{port}", timeout=0.5)


@pytest.fixture
def grpc_port() -> Iterator[int]:
    """A real gRPC server on loopback with none of Ray's services (every call:
    UNIMPLEMENTED), as the Ray Client's port looks to a GCS call."""
    grpc = pytest.importorskip("grpc")
    server = grpc.server(__import__("concurrent.futures").futures.ThreadPoolExecutor(1))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield int(port)
    finally:
        server.stop(None)


def test_a_grpc_port_without_the_gcs_is_refused_as_a_head_and_passed_as_a_client(
        grpc_port: int) -> None:
    with pytest.raises(BaimoError) as err:
        check_address(f"127.0.0.1:{grpc_port}")
    assert str(err.value).endswith(f"127.0.0.1:{grpc_port} speaks gRPC but is not a Ray "
                                   "head's port. If it is the Ray Client's, give "
                                   f"ray://127.0.0.1:{grpc_port}.")
    check_address(f"ray://127.0.0.1:{grpc_port}")  # what a Ray Client server looks like


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
