"""``baimo serve-model`` refuses what it cannot serve in one ``error:`` line, warns before it
serves beyond loopback, and prints its banner only once it answers (real processes and
loopback sockets)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: "
                    "pip install 'baimo[local]'")

pytestmark = pytest.mark.llama


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BAIMO_HOME": str(tmp_path / "home")}
    return subprocess.run([sys.executable, "-m", "baimo", "serve-model", *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=20)


def _one_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stdout == ""  # no banner for a server that never served
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error: ")
    return line


def test_a_port_in_use_is_one_error_line_and_no_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_error(_serve(tmp_path, "--port", str(port)))
    assert line == (f"error: port {port} on 127.0.0.1 is already in use: stop what listens "
                    "there, or give another --port")


def test_a_file_that_is_not_a_gguf_model_is_one_error_line(tmp_path: Path) -> None:
    text = tmp_path / "passwd"
    text.write_text("root:x:0:0:root:/root:/bin/bash\n")
    line = _one_error(_serve(tmp_path, "--gguf", str(text), "--port", str(_free_port())))
    assert line.endswith(f"{text} is not a GGUF model file (it does not start with 'GGUF'); "
                         "give the path of a .gguf file")


def test_a_damaged_gguf_is_one_error_line(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.gguf"
    damaged.write_bytes(b"GGUF" + b"\x00" * 64)
    line = _one_error(_serve(tmp_path, "--gguf", str(damaged), "--port", str(_free_port())))
    assert f"llama.cpp could not load {damaged}" in line


def test_an_empty_model_name_is_refused(tmp_path: Path) -> None:
    line = _one_error(_serve(tmp_path, "--name", "", "--port", str(_free_port())))
    assert line.startswith("error: --name is empty")


def test_serving_beyond_loopback_warns_and_the_banner_means_it_answers(
        tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "BAIMO_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "baimo", "serve-model", "--host", "0.0.0.0",
                             "--port", str(port)], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        banner = proc.stdout.readline()  # blocks until printed (or the process ends)
        assert banner.startswith("baimo serve-model: ") and f":{port}/v1" in banner
        # Printed once the server listens: the very next request is answered.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{port}/health", timeout=5) as resp:
            assert resp.status == 200
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert "warning: serving on 0.0.0.0" in err and "without authentication" in err
