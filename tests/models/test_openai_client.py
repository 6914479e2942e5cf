"""The OpenAI-compatible client against real local servers: streams, errors, timing."""

from __future__ import annotations

import asyncio

import pytest

from baimo.config import ModelConfig
from baimo.models.base import ProviderError
from baimo.models.openai import OpenAIProvider, parse_retry_after
from baimo.testing.mockserver import MockConfig, MockServer
from baimo.testing.scripted import Reply, ScriptedServer


def _cfg(url: str, **kw: object) -> ModelConfig:
    return ModelConfig.model_validate({"name": "m", "base_url": url, **kw})


def _ask(cfg: ModelConfig, text: str = "hi [[answer:42]]") -> object:
    async def go() -> object:
        p = OpenAIProvider(cfg)
        try:
            return await p.complete([{"role": "user", "content": text}], {"max_tokens": 16})
        finally:
            await p.aclose()
    return asyncio.run(go())


def test_stream_usage_reasoning_and_chunks() -> None:
    with MockServer(MockConfig(reasoning=True, tokens_per_chunk=2)) as srv:
        c = _ask(_cfg(srv.base_url))
    assert c.text.strip() == "The answer is 42."  # type: ignore[attr-defined]
    assert c.reasoning == "Let me think."  # type: ignore[attr-defined]
    assert not c.usage.estimated and c.usage.completion_tokens > 0  # type: ignore[attr-defined]
    t = c.timing  # type: ignore[attr-defined]
    assert t.sent <= t.first_byte <= t.first_token <= t.first_answer <= t.last_token <= t.done
    assert not t.chunk_is_answer[0] and t.chunk_is_answer[-1]


def test_non_streaming() -> None:
    with MockServer(MockConfig()) as srv:
        c = _ask(_cfg(srv.base_url, stream=False))
    assert "42" in c.text and c.finish_reason == "stop"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("kind", "expected"), [
    ("500", "server"), ("truncate", "stream"), ("malformed", "stream"), ("429", "rate-limit"),
    ("stall", "timeout")])
def test_faults_are_classified(kind: str, expected: str) -> None:
    with (MockServer(MockConfig(fault_rate=1.0, fault_kinds=[kind], stall_s=5)) as srv,
          pytest.raises(ProviderError) as exc):
        _ask(_cfg(srv.base_url, limits={"timeout_s": 0.3}))
    assert exc.value.kind == expected
    if kind == "429":
        assert exc.value.retry_after == pytest.approx(0.05, abs=0.01)


def test_inline_think_block_is_reasoning() -> None:
    events = [b'{"choices":[{"delta":{"content":"' + piece.encode() + b'"}}]}'
              for piece in ["<think>", "maybe C", "</think>", "Answer: B"]]
    events.append(b'{"choices":[{"delta":{},"finish_reason":"stop"}]}')

    async def go(url: str) -> object:
        p = OpenAIProvider(_cfg(url))
        try:
            return await p.complete([{"role": "user", "content": "q"}], {})
        finally:
            await p.aclose()

    with ScriptedServer(lambda request: Reply(raw_events=events)) as srv:
        c = asyncio.run(go(srv.base_url))
    assert c.text == "Answer: B" and c.reasoning == "maybe C"  # type: ignore[attr-defined]
    assert c.usage.estimated  # type: ignore[attr-defined]
    t = c.timing  # type: ignore[attr-defined]
    assert t.first_answer == t.chunk_times[3] and t.first_token == t.chunk_times[0]


def test_retry_after_forms() -> None:
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({}) is None
