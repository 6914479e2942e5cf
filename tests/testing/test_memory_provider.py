"""``MemoryProvider``: the ``Provider`` protocol answered in-process."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from baimo.models.base import Completion, Provider, ProviderError, Usage
from baimo.testing.memory import MemoryProvider, Reply


def ask(p: MemoryProvider, text: str, **params: Any) -> Completion:
    return asyncio.run(p.complete([{"role": "user", "content": text}], params))


def test_is_a_provider_and_answers_from_a_function() -> None:
    p = MemoryProvider(lambda messages, params: messages[-1]["content"].upper()
                       + str(params.get("max_tokens")))
    provider: Provider = p  # the protocol, checked by mypy
    c = asyncio.run(provider.complete([{"role": "system", "content": "be brief"},
                                       {"role": "user", "content": "hello there"}],
                                      {"max_tokens": 7}))
    assert c.text == "HELLO THERE7"
    assert c.finish_reason == "stop"
    assert c.usage == Usage(prompt_tokens=4, completion_tokens=2)
    assert c.model == "memory"
    assert c.timing.sent <= c.timing.first_token <= c.timing.done  # type: ignore[operator]
    assert c.timing.chunk_texts == ["HELLO THERE7"] and c.timing.chunk_is_answer == [True]
    assert [call.messages[-1]["content"] for call in p.calls] == ["hello there"]
    assert p.calls[0].params == {"max_tokens": 7}


def test_async_responder() -> None:
    async def slow(messages: list[dict[str, str]], params: dict[str, Any]) -> str:
        await asyncio.sleep(0)
        return "later"

    assert ask(MemoryProvider(slow), "x").text == "later"


def test_dict_of_canned_replies_and_default() -> None:
    p = MemoryProvider({"2+2?": "4", "cut": Reply("The ans", finish_reason="length",
                                                   usage=Usage(3, 9)),
                        "think": Reply("B", reasoning="hmm, B", finish_reason="stop")})
    assert ask(p, "2+2?").text == "4"
    cut = ask(p, "cut")
    assert (cut.finish_reason, cut.usage.prompt_tokens, cut.usage.completion_tokens) == (
        "length", 3, 9)
    think = ask(p, "think")
    assert (think.text, think.reasoning, think.usage.reasoning_tokens) == ("B", "hmm, B", 2)
    assert think.timing.chunk_is_answer == [False, True]
    with pytest.raises(ProviderError) as info:
        ask(p, "unknown question")
    assert info.value.kind == "bad-request" and "unknown question" in str(info.value)
    assert ask(MemoryProvider({"a": "b"}, default="?"), "zzz").text == "?"


def test_string_answers_take_the_configured_finish_reason_and_usage() -> None:
    p = MemoryProvider("same", finish_reason=None, usage=Usage(1, 2, estimated=True))
    c = ask(p, "anything")
    assert c.finish_reason is None
    assert c.usage == Usage(1, 2, estimated=True)
    c.usage.completion_tokens = 99  # a caller mutating its copy changes nothing here
    assert ask(p, "again").usage.completion_tokens == 2


def test_failures_of_a_kind_then_recovery() -> None:
    p = MemoryProvider("fine", fail="rate-limit", fail_times=2)
    for _ in range(2):
        with pytest.raises(ProviderError) as info:
            ask(p, "q")
        assert info.value.kind == "rate-limit" and info.value.retryable
    assert ask(p, "q").text == "fine"
    assert len(p.calls) == 3

    always = MemoryProvider("never", fail=ProviderError("auth", "bad key", status=401))
    for _ in range(3):
        with pytest.raises(ProviderError) as info:
            ask(always, "q")
        assert info.value.fatal_for_model and info.value.status == 401


def test_per_message_errors() -> None:
    p = MemoryProvider({"boom": ProviderError("server", "500 from upstream", status=500),
                        "late": Reply(error=ProviderError("timeout", "no progress"))})
    with pytest.raises(ProviderError, match="500 from upstream"):
        ask(p, "boom")
    with pytest.raises(ProviderError) as info:
        ask(p, "late")
    assert info.value.kind == "timeout"


def test_concurrent_calls_with_delay_and_close() -> None:
    p = MemoryProvider(lambda m, _: m[-1]["content"], delay_s=0.05)

    async def go() -> list[str]:
        got = await asyncio.gather(*(p.complete([{"role": "user", "content": str(i)}], {})
                                     for i in range(20)))
        await p.aclose()
        return [c.text for c in got]

    started = time.perf_counter()
    assert asyncio.run(go()) == [str(i) for i in range(20)]
    assert time.perf_counter() - started < 0.5  # concurrent, not 20 x 50 ms in a row
    with pytest.raises(ProviderError) as info:
        ask(p, "after close")
    assert info.value.kind == "connection"
