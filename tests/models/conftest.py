"""Real llama.cpp servers for the model tests: llama-cpp-python's own OpenAI server
(``python -m llama_cpp.server``) on the embedded GGUF, and ``baimo serve-model``.

Each runs in a child process on a free loopback port, is waited for until it answers, and is
stopped (terminate, then kill) when the session ends. They are session-wide because loading
takes a few seconds and several modules ask the same servers.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gguf_path() -> Path:
    """The embedded model's GGUF file (the package is found, never imported)."""
    from baimo.models.embedded import find_gguf

    return find_gguf()


@contextlib.contextmanager
def _process(cmd: list[str], probe: str, log: Path, what: str) -> Iterator[None]:
    # Its own BAIMO_HOME: a session-wide server outlives every test's isolated home.
    env = {**os.environ, "BAIMO_HOME": str(log.parent / "baimo-home")}
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, env=env)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode}: "
                                   f"{log.read_text(errors='replace')[-1500:]}")
            try:
                with opener.open(probe, timeout=2) as resp:
                    resp.read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{what} did not answer {probe} in 90 s") from None
                time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def llama_cpp_server(log: Path, *extra: str) -> Iterator[str]:
    """``python -m llama_cpp.server`` serving the GGUF as model ``smol``; yields its base URL."""
    for dep in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context",
                "pydantic_settings"):
        pytest.importorskip(dep, reason="llama-cpp-python's server needs "
                            "pip install 'llama-cpp-python[server]'")
    port = _free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path()),
           "--model_alias", "smol", "--host", "127.0.0.1", "--port", str(port),
           "--n_ctx", "1024", "--verbose", "False", *extra]
    base = f"http://127.0.0.1:{port}/v1"
    with _process(cmd, base + "/models", log, "llama_cpp.server"):
        yield base


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's server with its defaults (it cuts a stream when another waits)."""
    with llama_cpp_server(tmp_path_factory.mktemp("llama") / "server.log") as url:
        yield url


@pytest.fixture(scope="session")
def llama_server_calm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's server started with ``--interrupt_requests False``."""
    with llama_cpp_server(tmp_path_factory.mktemp("llama") / "server.log",
                          "--interrupt_requests", "False") as url:
        yield url


@pytest.fixture(scope="session")
def served_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``baimo serve-model`` in a child process; yields its base URL (model smollm2-135m)."""
    pytest.importorskip("llama_cpp", reason="pip install 'baimo[local]'")
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve-model.log"
    base = f"http://127.0.0.1:{port}"
    with _process([sys.executable, "-m", "baimo", "serve-model", "--port", str(port)],
                  base + "/health", log, "baimo serve-model"):
        yield base + "/v1"
