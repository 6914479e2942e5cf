"""``baimo models check`` against real servers: a llama-cpp-python server that cuts streams is
caught and the fix is named; one started with ``--interrupt_requests False`` and the embedded
engine pass."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: "
                    "pip install 'baimo[local]'")

from baimo.config import ModelConfig, default_embedded_model
from baimo.models.check import check_model

pytestmark = pytest.mark.llama

KEYS = {"model", "ok", "latency_s", "ttft_s", "streaming", "usage_returned", "reply",
        "server_model", "concurrent_streams", "warnings"}


def _llamacpp(url: str) -> ModelConfig:
    return ModelConfig(name="lcs", provider="llamacpp-server", base_url=url, model="smol")


def _check(cfg: ModelConfig) -> dict[str, Any]:
    return asyncio.run(check_model(cfg))


def test_a_server_that_cuts_streams_is_reported_with_the_fix(llama_server: str) -> None:
    result = _check(_llamacpp(llama_server))
    assert result["ok"] is True, result  # alone, each request looks fine
    assert set(result) >= KEYS
    assert result["streaming"] is True and result["server_model"] == "smol"
    assert result["usage_returned"] is False  # its stream sends no usage
    assert result["concurrent_streams"] == "cut", result
    assert len(result["warnings"]) == 1
    warning = result["warnings"][0]
    assert "without a finish_reason" in warning and "--interrupt_requests False" in warning


def test_the_same_server_without_interruptions_passes(llama_server_calm: str) -> None:
    result = _check(_llamacpp(llama_server_calm))
    assert result["ok"] is True, result
    assert result["concurrent_streams"] == "ok", result
    assert result["warnings"] == []


def test_the_embedded_engine_passes() -> None:
    result = _check(default_embedded_model())
    assert result["ok"] is True, result
    assert result["model"] == default_embedded_model().name
    assert result["streaming"] is True and result["usage_returned"] is True
    assert result["reply"] and result["latency_s"] >= result["ttft_s"] > 0
    # One generation at a time: the second request waits in the engine's queue, uncut.
    assert result["concurrent_streams"] == "ok", result
    assert result["warnings"] == []


def test_an_unreachable_server_is_a_result_not_an_exception() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = ModelConfig(name="gone", base_url=f"http://127.0.0.1:{port}/v1", model="x",
                      limits={"timeout_s": 5})
    result = _check(cfg)
    assert result["ok"] is False and result["model"] == "gone"
    assert result["error"].startswith("connection"), result
    assert result["warnings"] == []
