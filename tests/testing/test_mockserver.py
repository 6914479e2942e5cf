"""Tests of the mock OpenAI server, over real HTTP on loopback with an aiohttp client.

The server is the ground truth for baimo's timing and fault handling, so these tests pin down
exactly what it sends: wire format, answers, errors, faults, timing and its counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from baimo.testing.mockserver import (
    FAULT_KINDS,
    FILLER_TOKEN,
    MockConfig,
    MockProcess,
    MockServer,
    arg_parser,
    config_from_args,
    config_to_argv,
    fault_for,
    request_hash,
    spawn_mockserver,
    tokenize,
)

T = TypeVar("T")


@dataclass
class Reply:
    """One HTTP exchange as the client saw it."""

    status: int
    headers: dict[str, str]
    body: bytes = b""  # the whole body; for a stream, every line received
    error: str | None = None  # the client-side exception, for broken responses
    events: list[tuple[float, bytes]] = field(default_factory=list)  # (arrival, data payload)
    sent: float = 0.0

    def json(self) -> Any:
        return orjson.loads(self.body)

    def chunks(self) -> list[dict[str, Any]]:
        return [orjson.loads(d) for _, d in self.events if d != b"[DONE]"]


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


def chat(content: str, **extra: Any) -> dict[str, Any]:
    return {"model": "mock", "messages": [{"role": "user", "content": content}], **extra}


async def call(
    session: aiohttp.ClientSession,
    url: str,
    payload: dict[str, Any],
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Reply:
    """POST and read everything, timestamping each SSE line on arrival."""
    sent = time.perf_counter()
    async with session.post(
        url, json=payload, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as resp:
        reply = Reply(resp.status, dict(resp.headers), sent=sent)
        try:
            if resp.headers.get("Content-Type", "").startswith("text/event-stream"):
                async for line in resp.content:
                    now = time.perf_counter()
                    reply.body += line
                    if line.startswith(b"data: "):
                        reply.events.append((now, line[6:].rstrip(b"\r\n")))
            else:
                reply.body = await resp.read()
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
            reply.error = type(exc).__name__
        return reply


def exchange(
    url: str, payload: dict[str, Any], headers: dict[str, str] | None = None, timeout: float = 10.0
) -> Reply:
    async def go() -> Reply:
        async with aiohttp.ClientSession() as session:
            return await call(session, url, payload, headers, timeout)

    return run(go())


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async def go() -> tuple[int, Any]:
        async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as r:
            return r.status, orjson.loads(await r.read())

    return run(go())


def assert_stream_well_formed(reply: Reply, usage: bool) -> list[dict[str, Any]]:
    """Every ``data:`` line is JSON, ``[DONE]`` is last, usage comes just before it if asked."""
    assert reply.status == 200 and reply.error is None
    assert reply.body.endswith(b"\n\ndata: [DONE]\n\n")
    assert all(event.startswith(b"data: ") for event in reply.body.split(b"\n\n")[:-1])
    assert reply.events[-1][1] == b"[DONE]"
    assert [d for _, d in reply.events].count(b"[DONE]") == 1
    chunks = reply.chunks()
    if usage:
        assert chunks[-1]["choices"] == [] and "usage" in chunks[-1]
        assert all("usage" not in c for c in chunks[:-1])
        assert chunks[-2]["choices"][0]["finish_reason"] in {"stop", "length"}
    else:
        assert all("usage" not in c for c in chunks)
        assert chunks[-1]["choices"][0]["finish_reason"] in {"stop", "length"}
    finishes = [ch["finish_reason"] for c in chunks for ch in c["choices"]]
    assert finishes[-1] is not None and not any(finishes[:-1])  # only the last one finishes
    for c in chunks:
        assert c["id"] == chunks[0]["id"]
        assert c["model"] == "mock"
    return chunks


def content_of(chunks: list[dict[str, Any]], key: str = "content") -> list[str]:
    """Non-empty deltas (chat) or texts (completions), one per chunk."""
    out = []
    for c in chunks:
        for ch in c["choices"]:
            piece = ch["delta"].get(key) if "delta" in ch else ch.get("text")
            if piece:
                out.append(piece)
    return out


# --------------------------------------------------------------------------- pure helpers


@given(st.text())
def test_tokenize_round_trips(text: str) -> None:
    assert "".join(tokenize(text)) == text


def test_tokenize_examples() -> None:
    assert tokenize("The answer is 4.") == ["The", " answer", " is", " 4."]
    assert tokenize("  a b ") == ["  a", " b "]
    assert tokenize("") == []


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        MockConfig(fault_kinds=["explode"])
    with pytest.raises(ValueError):
        MockConfig(fault_rate=1.5)
    with pytest.raises(ValueError):
        MockConfig(tokens_per_chunk=0)


# --------------------------------------------------------------------------- endpoints


def test_health_models_stats_reset() -> None:
    with MockServer(MockConfig(models=["a", "b"])) as srv:
        assert srv.base_url == f"http://127.0.0.1:{srv.port}/v1"
        assert get(srv.root_url + "/health") == (200, {"status": "ok"})
        status, models = get(srv.base_url + "/models")
        assert status == 200 and [m["id"] for m in models["data"]] == ["a", "b"]
        exchange(srv.base_url + "/chat/completions", {**chat("hi"), "model": "a"})
        status, stats = get(srv.root_url + "/_stats")
        assert status == 200 and stats == srv.stats()
        assert stats["requests"] == 1 and stats["completed"] == 1
        assert stats["by_status"] == {"200": 1}

        async def reset() -> int:
            async with aiohttp.ClientSession() as s, s.post(srv.root_url + "/_reset") as r:
                return r.status

        assert run(reset()) == 200
        assert srv.stats()["requests"] == 0 and srv.stats()["completed_by_hash"] == {}


def test_wildcard_model_listing() -> None:
    with MockServer() as srv:
        assert [m["id"] for m in get(srv.base_url + "/models")[1]["data"]] == ["mock"]


def test_chat_non_stream_answer() -> None:
    with MockServer() as srv:
        r = exchange(srv.base_url + "/chat/completions", chat("What is 6*7? [[answer:42]]"))
        assert r.status == 200
        body = r.json()
        assert body["object"] == "chat.completion"
        choice = body["choices"][0]
        assert choice["message"] == {"role": "assistant", "content": "The answer is 42."}
        assert choice["finish_reason"] == "stop"
        assert body["usage"]["completion_tokens"] == 4
        assert body["usage"]["prompt_tokens"] == 4  # "What is 6*7? [[answer:42]]"
        assert body["usage"]["total_tokens"] == 8


@pytest.mark.parametrize(
    ("content", "extra", "expected", "finish"),
    [
        ("hello", {}, "OK.", "stop"),
        ("say [[echo]] back", {}, "say  back", "stop"),
        ("[[answer:B]]", {"max_tokens": 2}, "The answer", "length"),
        ("[[answer:B]]", {"max_completion_tokens": 3}, "The answer is", "length"),
        (
            "[[answer:B]]",
            {"max_tokens": 6, "ignore_eos": True},
            "The answer is B." + " tok" * 2,
            "length",
        ),
        ("[[answer:B]]", {"max_tokens": 3, "ignore_eos": True}, "The answer is", "length"),
        ("[[answer:B]]", {"min_tokens": 5}, "The answer is B. tok", "stop"),
        ("[[answer:B]] [[finish:length]]", {}, "The answer is B.", "length"),
        ("x", {"max_tokens": 10}, "OK.", "stop"),
    ],
)
def test_answer_policy(content: str, extra: dict[str, Any], expected: str, finish: str) -> None:
    with MockServer() as srv:
        r = exchange(srv.base_url + "/chat/completions", chat(content, **extra))
        choice = r.json()["choices"][0]
        assert choice["message"]["content"] == expected
        assert choice["finish_reason"] == finish
        assert r.json()["usage"]["completion_tokens"] == len(tokenize(expected))


def test_answer_uses_last_user_message_and_counts_all_words() -> None:
    payload = {
        "model": "mock",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "[[answer:A]]"},
            {"role": "assistant", "content": "The answer is A."},
            {"role": "user", "content": [{"type": "text", "text": "again [[answer:C]]"}]},
        ],
    }
    with MockServer() as srv:
        body = exchange(srv.base_url + "/chat/completions", payload).json()
        assert body["choices"][0]["message"]["content"] == "The answer is C."
        assert body["usage"]["prompt_tokens"] == 2 + 1 + 4 + 2


def test_output_tokens_pads_and_cuts() -> None:
    with MockServer(MockConfig(output_tokens=7)) as srv:
        body = exchange(srv.base_url + "/chat/completions", chat("[[answer:Z]]")).json()
        assert body["choices"][0]["message"]["content"] == "The answer is Z." + FILLER_TOKEN * 3
        srv.update(output_tokens=2)
        body = exchange(srv.base_url + "/chat/completions", chat("[[answer:Z]]")).json()
        assert body["choices"][0]["message"]["content"] == "The answer"
        assert body["choices"][0]["finish_reason"] == "stop"  # the configured natural length


@pytest.mark.parametrize("usage", [True, False])
@pytest.mark.parametrize("per_chunk", [1, 3])
def test_chat_stream_format(usage: bool, per_chunk: int) -> None:
    cfg = MockConfig(output_tokens=10, tokens_per_chunk=per_chunk, itl_s=0.001)
    payload = chat("[[answer:7]]", stream=True, stream_options={"include_usage": usage})
    with MockServer(cfg) as srv:
        r = exchange(srv.base_url + "/chat/completions", payload)
        assert r.headers["Content-Type"].startswith("text/event-stream")
        chunks = assert_stream_well_formed(r, usage)
        assert chunks[0]["object"] == "chat.completion.chunk"
        assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
        pieces = content_of(chunks)
        assert "".join(pieces) == "The answer is 7." + FILLER_TOKEN * 6
        assert len(pieces) == -(-10 // per_chunk)
        if usage:
            assert chunks[-1]["usage"]["completion_tokens"] == 10
        assert srv.stats()["completion_tokens"] == 10


def test_stream_with_no_tokens_still_finishes() -> None:
    with MockServer() as srv:
        payload = chat("[[echo]]", stream=True, stream_options={"include_usage": True})
        chunks = assert_stream_well_formed(
            exchange(srv.base_url + "/chat/completions", payload), usage=True
        )
        assert content_of(chunks) == []
        assert chunks[-1]["usage"]["completion_tokens"] == 0


def test_reasoning_stream_comes_first_and_is_counted() -> None:
    with MockServer(MockConfig(reasoning=True)) as srv:
        payload = chat("[[answer:B]]", stream=True, stream_options={"include_usage": True})
        chunks = assert_stream_well_formed(
            exchange(srv.base_url + "/chat/completions", payload), usage=True
        )
        kinds = [
            next(iter(k for k in c["choices"][0]["delta"] if k != "role"), None)
            for c in chunks[:-2]
        ]
        assert kinds == ["reasoning_content"] * 3 + ["content"] * 4
        assert "".join(content_of(chunks, "reasoning_content")) == "Let me think."
        assert "".join(content_of(chunks)) == "The answer is B."
        usage = chunks[-1]["usage"]
        assert usage["completion_tokens"] == 7
        assert usage["completion_tokens_details"]["reasoning_tokens"] == 3

        body = exchange(srv.base_url + "/chat/completions", chat("[[answer:B]]", max_tokens=2))
        msg = body.json()["choices"][0]
        assert msg["message"]["content"] == "" and msg["finish_reason"] == "length"
        assert msg["message"]["reasoning_content"] == "Let me"


def test_completions_endpoint() -> None:
    with MockServer(MockConfig(tokens_per_chunk=2)) as srv:
        body = exchange(srv.base_url + "/completions", {"model": "mock", "prompt": "[[answer:9]]"})
        assert body.status == 200
        assert body.json()["object"] == "text_completion"
        assert body.json()["choices"][0]["text"] == "The answer is 9."
        payload = {
            "model": "mock",
            "prompt": "go",
            "stream": True,
            "max_tokens": 5,
            "ignore_eos": True,
            "stream_options": {"include_usage": True},
        }
        chunks = assert_stream_well_formed(
            exchange(srv.base_url + "/completions", payload), usage=True
        )
        assert chunks[0]["object"] == "text_completion"
        assert "".join(content_of(chunks)) == "OK." + FILLER_TOKEN * 4
        assert chunks[-1]["usage"]["completion_tokens"] == 5
        assert chunks[-2]["choices"][0]["finish_reason"] == "length"


def test_bad_requests_are_400() -> None:
    with MockServer() as srv:
        assert exchange(srv.base_url + "/chat/completions", {"model": "mock"}).status == 400
        assert exchange(srv.base_url + "/completions", {"model": "mock"}).status == 400
        assert srv.stats()["by_status"] == {"400": 2}


def test_openai_sdk_reads_everything_and_honours_retry_after() -> None:
    """The official SDK (which Inspect uses) parses our answers, usage and 429s."""
    openai = pytest.importorskip("openai")
    cfg = MockConfig(reasoning=True, fault_rate=1.0, fault_kinds=["429"], max_faults_per_request=1)
    with MockServer(cfg) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="x", max_retries=2)
        msg = [{"role": "user", "content": "[[answer:7]]"}]
        reply = client.chat.completions.create(model="mock", messages=msg)
        assert reply.choices[0].message.content == "The answer is 7."
        assert reply.usage.completion_tokens == 7
        stream = client.chat.completions.create(
            model="mock", messages=msg, stream=True, stream_options={"include_usage": True}
        )
        parts, usage = [], None
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
            usage = chunk.usage or usage
        assert "".join(parts) == "The answer is 7."
        assert usage is not None and usage.completion_tokens == 7
        text = client.completions.create(model="mock", prompt="[[answer:9]]")
        assert text.choices[0].text == "The answer is 9."
        assert srv.stats()["faults"] == {"429": 3}  # one per distinct body, each retried


# --------------------------------------------------------------------------- refusals


def test_api_key_required() -> None:
    with MockServer(MockConfig(api_key="sk-test")) as srv:
        r = exchange(srv.base_url + "/chat/completions", chat("hi"))
        assert r.status == 401 and r.json()["error"]["code"] == "invalid_api_key"
        assert get(srv.base_url + "/models")[0] == 401
        ok = exchange(
            srv.base_url + "/chat/completions",
            chat("hi"),
            headers={"Authorization": "Bearer sk-test"},
        )
        assert ok.status == 200
        assert get(srv.root_url + "/health")[0] == 200  # health needs no key


def test_unknown_model_is_404() -> None:
    with MockServer(MockConfig(models=["good"])) as srv:
        r = exchange(srv.base_url + "/chat/completions", {**chat("hi"), "model": "bad"})
        assert r.status == 404
        error = r.json()["error"]
        assert error["code"] == "model_not_found"
        assert set(error) >= {"message", "type", "code"}
        assert (
            exchange(srv.base_url + "/chat/completions", {**chat("hi"), "model": "good"}).status
            == 200
        )


def test_rpm_limit() -> None:
    with MockServer(MockConfig(rpm_limit=3)) as srv:
        statuses = [exchange(srv.base_url + "/chat/completions", chat(f"q{i}")) for i in range(5)]
        assert [r.status for r in statuses] == [200, 200, 200, 429, 429]
        limited = statuses[3]
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
        wait = float(limited.headers["Retry-After"])
        assert 55.0 < wait <= 60.0
        assert abs(int(limited.headers["retry-after-ms"]) - wait * 1000) <= 1
        stats = srv.stats()
        assert stats["rate_limited"] == 2 and stats["by_status"] == {"200": 3, "429": 2}
        assert stats["faults"] == {}


# --------------------------------------------------------------------------- faults


def faulty(kind: str, **extra: Any) -> MockConfig:
    return MockConfig(fault_rate=1.0, fault_kinds=[kind], max_faults_per_request=1, **extra)


def test_fault_429_then_retry_succeeds() -> None:
    with MockServer(faulty("429", retry_after_s=0.25)) as srv:
        first = exchange(srv.base_url + "/chat/completions", chat("q"))
        assert first.status == 429
        assert first.headers["Retry-After"] == "0.25"
        assert first.headers["retry-after-ms"] == "250"
        assert first.json()["error"]["code"] == "rate_limit_exceeded"
        second = exchange(srv.base_url + "/chat/completions", chat("q"))
        assert second.status == 200
        stats = srv.stats()
        assert stats["faults"] == {"429": 1} and stats["rate_limited"] == 0
        assert stats["completed_by_hash"] == {request_hash(chat("q")): 1}


def test_fault_500() -> None:
    with MockServer(faulty("500")) as srv:
        r = exchange(srv.base_url + "/chat/completions", chat("q"))
        assert r.status == 500 and r.json()["error"]["type"] == "server_error"
        assert exchange(srv.base_url + "/chat/completions", chat("q")).status == 200


def test_fault_stall_makes_the_client_time_out() -> None:
    with MockServer(faulty("stall", stall_s=30.0)) as srv:
        t0 = time.perf_counter()
        with pytest.raises(asyncio.TimeoutError):
            exchange(srv.base_url + "/chat/completions", chat("q", stream=True), timeout=0.3)
        assert time.perf_counter() - t0 < 2.0
        deadline = time.monotonic() + 2.0
        while srv.stats()["in_flight"] and time.monotonic() < deadline:
            time.sleep(0.01)
        stats = srv.stats()
        assert stats["in_flight"] == 0 and stats["disconnected"] == 1
        assert stats["completed"] == 0 and stats["faults"] == {"stall": 1}
        retry = exchange(srv.base_url + "/chat/completions", chat("q", stream=True))
        assert retry.error is None and retry.events[-1][1] == b"[DONE]"


def test_stop_does_not_wait_for_a_stalled_request() -> None:
    srv = MockServer(faulty("stall", stall_s=30.0)).start()

    async def hang() -> None:
        async with aiohttp.ClientSession() as s:
            await call(s, srv.base_url + "/chat/completions", chat("q"), timeout=60.0)

    def client() -> None:
        with contextlib.suppress(Exception):
            run(hang())

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5.0
    while srv.stats()["in_flight"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.perf_counter()
    srv.stop()
    assert time.perf_counter() - t0 < 3.0
    thread.join(5.0)


def test_client_disconnect_mid_stream_is_counted() -> None:
    async def go(url: str) -> None:
        async with aiohttp.ClientSession() as s:
            resp = await s.post(url, json=chat("q", stream=True))
            await resp.content.readline()
            resp.close()  # drop the connection after the first chunk

    with MockServer(MockConfig(itl_s=0.01, output_tokens=100)) as srv:
        run(go(srv.base_url + "/chat/completions"))
        deadline = time.monotonic() + 3.0
        while srv.stats()["in_flight"] and time.monotonic() < deadline:
            time.sleep(0.01)
        stats = srv.stats()
        assert stats["disconnected"] == 1 and stats["completed"] == 0
        assert stats["in_flight"] == 0


def test_reset_keeps_the_in_flight_gauge() -> None:
    async def go(srv: MockServer) -> None:
        async with aiohttp.ClientSession() as s:
            task = asyncio.ensure_future(
                call(s, srv.base_url + "/chat/completions", chat("q", stream=True))
            )
            await asyncio.sleep(0.1)
            await asyncio.to_thread(srv.reset)
            await task

    with MockServer(MockConfig(ttft_s=0.3)) as srv:
        run(go(srv))
        stats = srv.stats()
        assert stats["in_flight"] == 0 and stats["requests"] == 0 and stats["completed"] == 1


def test_stall_that_is_waited_out_is_answered() -> None:
    with MockServer(faulty("stall", stall_s=0.2)) as srv:
        r = exchange(srv.base_url + "/chat/completions", chat("[[answer:1]]"))
        assert r.json()["choices"][0]["message"]["content"] == "The answer is 1."


def test_fault_truncate_stream() -> None:
    with MockServer(faulty("truncate", output_tokens=10)) as srv:
        r = exchange(srv.base_url + "/chat/completions", chat("q", stream=True))
        assert r.status == 200 and r.error is not None
        datas = [d for _, d in r.events]
        assert b"[DONE]" not in datas and 1 <= len(datas) < 10
        assert all(c["choices"][0]["finish_reason"] is None for c in r.chunks())
        assert srv.stats()["completed"] == 0


def test_fault_truncate_paced_stream() -> None:
    with MockServer(faulty("truncate", output_tokens=20, itl_s=0.002)) as srv:
        r = exchange(srv.base_url + "/chat/completions", chat("q", stream=True))
        assert r.error is not None
        assert len(r.events) == 10 and b"[DONE]" not in [d for _, d in r.events]
        assert len(r.chunks()) == 10  # what did arrive is intact


def test_fault_truncate_non_stream() -> None:
    with MockServer(faulty("truncate")) as srv:
        r = exchange(srv.base_url + "/chat/completions", chat("[[answer:1]]"))
        assert r.status == 200 and r.error == "ClientPayloadError"
        ok = exchange(srv.base_url + "/chat/completions", chat("[[answer:1]]"))
        assert ok.json()["choices"][0]["message"]["content"] == "The answer is 1."


def test_fault_malformed() -> None:
    with MockServer(faulty("malformed")) as srv:
        r = exchange(srv.base_url + "/chat/completions", chat("q", stream=True))
        assert r.status == 200
        assert [d for _, d in r.events] == [b'{"choices": [']
        with pytest.raises(orjson.JSONDecodeError):
            r.chunks()
        # non-stream: a complete HTTP response whose body is not JSON
        other = exchange(srv.base_url + "/chat/completions", chat("other"))
        assert other.status == 200 and other.error is None
        with pytest.raises(orjson.JSONDecodeError):
            other.json()
        assert srv.stats()["faults"] == {"malformed": 2}


def outcomes(cfg: MockConfig, n: int, concurrency: int) -> dict[str, list[int]]:
    """Send each of n prompts until it succeeds; the status sequence per prompt."""

    async def one(
        session: aiohttp.ClientSession,
        url: str,
        i: int,
        sem: asyncio.Semaphore,
        seen: dict[str, list[int]],
    ) -> None:
        history = seen.setdefault(f"p{i}", [])
        while True:
            async with sem:
                r = await call(session, url, chat(f"prompt {i}"), timeout=1.0)
            history.append(r.status)
            if r.status == 200:
                return

    async def go(url: str) -> dict[str, list[int]]:
        seen: dict[str, list[int]] = {}
        sem = asyncio.Semaphore(concurrency)
        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(one(session, url, i, sem, seen) for i in range(n)))
        return seen

    with MockServer(cfg) as srv:
        result = run(go(srv.base_url + "/chat/completions"))
        stats = srv.stats()
        assert stats["completed"] == n
        assert set(stats["completed_by_hash"].values()) == {1}
    return result


def test_fault_decisions_are_deterministic_and_bounded() -> None:
    cfg = MockConfig(fault_rate=0.5, fault_kinds=["429", "500"], seed=7, retry_after_s=0.0)
    a = outcomes(cfg, 40, concurrency=1)
    b = outcomes(cfg, 40, concurrency=16)
    assert a == b
    assert all(len(h) <= cfg.max_faults_per_request + 1 for h in a.values())
    expected: dict[str, list[int]] = {}
    for i in range(40):
        h = request_hash(chat(f"prompt {i}"))
        statuses: list[int] = []
        while (kind := fault_for(cfg, h, len(statuses))) is not None:
            statuses.append(int(kind))
        expected[f"p{i}"] = [*statuses, 200]
    assert a == expected
    assert sum(len(h) - 1 for h in a.values()) > 5  # faults really happened
    other = outcomes(
        MockConfig(fault_rate=0.5, fault_kinds=["429", "500"], seed=8, retry_after_s=0.0),
        40,
        concurrency=1,
    )
    assert other != a


def test_fault_kinds_are_all_reachable() -> None:
    cfg = MockConfig(fault_rate=1.0, seed=1)
    kinds = {fault_for(cfg, request_hash(chat(f"x{i}")), 0) for i in range(200)}
    assert kinds == set(FAULT_KINDS)
    assert fault_for(cfg, "anything", cfg.max_faults_per_request) is None


# --------------------------------------------------------------------------- accounting


def test_sample_ids_and_concurrency_counters() -> None:
    async def go(url: str) -> None:
        async with aiohttp.ClientSession() as s:
            await asyncio.gather(
                *(call(s, url, chat(f"[[id:s{i}]] q", stream=True)) for i in range(8)),
                call(s, url, chat("plain"), headers={"X-Baimo-Sample": "h1"}),
            )

    with MockServer(MockConfig(ttft_s=0.3)) as srv:
        run(go(srv.base_url + "/chat/completions"))
        stats = srv.stats()
        assert stats["completed_by_sample"] == {**{f"s{i}": 1 for i in range(8)}, "h1": 1}
        assert stats["requests_by_sample"] == stats["completed_by_sample"]
        assert stats["max_in_flight"] == 9 and stats["in_flight"] == 0


def test_server_can_restart_and_keeps_its_counters() -> None:
    srv = MockServer()
    with srv:
        assert exchange(srv.base_url + "/chat/completions", chat("q")).status == 200
    with pytest.raises(RuntimeError):
        _ = srv.base_url  # not running
    with srv:
        assert exchange(srv.base_url + "/chat/completions", chat("q")).status == 200
    assert srv.stats()["completed"] == 2


def test_config_endpoint_rejects_bad_changes() -> None:
    async def post(url: str, body: bytes) -> int:
        async with aiohttp.ClientSession() as s, s.post(url, data=body) as r:
            return r.status

    with MockServer() as srv:
        url = srv.root_url + "/_config"
        assert run(post(url, b'{"no_such_field": 1}')) == 400
        assert run(post(url, b'{"fault_rate": 2}')) == 400
        assert run(post(url, b'{"ttft_s": 0.01}')) == 200
        assert srv.config.ttft_s == 0.01


def test_update_changes_behaviour_live() -> None:
    with MockServer() as srv:
        assert exchange(srv.base_url + "/chat/completions", chat("q")).status == 200
        new = srv.update(api_key="k")
        assert new.api_key == "k" and srv.config.api_key == "k"
        assert exchange(srv.base_url + "/chat/completions", chat("q")).status == 401


# --------------------------------------------------------------------------- timing


def timings(r: Reply) -> tuple[float, float, list[float]]:
    """(TTFT, E2E, gaps) of one stream, from send to content-chunk arrival."""
    times = [
        t
        for (t, d), c in zip(r.events, [*r.chunks(), None], strict=True)
        if c is not None and content_of([c])
    ]
    return times[0] - r.sent, times[-1] - r.sent, [b - a for a, b in itertools.pairwise(times)]


def measure(url: str, payload: dict[str, Any]) -> tuple[float, float, list[float]]:
    return timings(exchange(url, payload))


@pytest.mark.slow
@pytest.mark.parametrize("spin", [0.0, 0.002])
def test_timing_matches_ground_truth(spin: float) -> None:
    """200 ms TTFT + 99 × 20 ms ITL = 2.18 s, seen from a client on a warm connection."""
    cfg = MockConfig(ttft_s=0.2, itl_s=0.02, tokens_per_chunk=1, output_tokens=100, spin_s=spin)
    url_of = "{}/chat/completions".format

    async def go(srv: MockProcess) -> tuple[list[float], float, list[float]]:
        async with aiohttp.ClientSession() as s:
            await call(s, url_of(srv.base_url), chat("warm-up"))  # opens the connection
            srv.reset()
            ttft, e2e, gaps = timings(await call(s, url_of(srv.base_url), chat("q", stream=True)))
            ttfts = [ttft]
            srv.update(output_tokens=1)
            for i in range(4):  # more TTFT samples, cheaply: the median resists a busy machine
                reply = await call(s, url_of(srv.base_url), chat(f"t{i}", stream=True))
                ttfts.append(timings(reply)[0])
            return ttfts, e2e, gaps

    with spawn_mockserver(cfg) as srv:
        ttfts, e2e, gaps = run(go(srv))
        stats = srv.stats()
    assert abs(statistics.median(ttfts) - 0.2) <= 0.015, ttfts
    assert abs(e2e - 2.18) <= 0.05 * 2.18, e2e
    assert len(gaps) == 99
    assert abs(statistics.mean(gaps) - 0.02) <= 0.002
    # The server reports its own lateness, so a client can tell its error from the server's.
    assert 0 < stats["lag_writes"] <= 100 + 4  # fewer if a late server merged chunks
    assert 0.0 <= stats["lag_mean_s"] <= 0.005
    assert stats["lag_max_s"] >= stats["lag_mean_s"]


def test_zero_itl_sends_everything_at_once() -> None:
    cfg = MockConfig(ttft_s=0.05, output_tokens=2000)
    with MockServer(cfg) as srv:
        r = exchange(srv.base_url + "/chat/completions", chat("q", stream=True))
        stats = srv.stats()
    assert len(content_of(r.chunks())) == 2000
    assert stats["lag_writes"] == 1  # one scheduled write carried the whole stream
    assert timings(r)[0] >= 0.045


def test_non_stream_waits_for_the_whole_generation() -> None:
    cfg = MockConfig(ttft_s=0.05, itl_s=0.01, output_tokens=11)
    with MockServer(cfg) as srv:
        t0 = time.perf_counter()
        exchange(srv.base_url + "/chat/completions", chat("q"))
        elapsed = time.perf_counter() - t0
    assert 0.15 - 0.005 <= elapsed <= 0.15 + 0.15  # generous above: a busy CI machine


# --------------------------------------------------------------------------- subprocess


def test_subprocess_mode_serves_and_reports_stats() -> None:
    cfg = MockConfig(fault_rate=1.0, fault_kinds=["500"], max_faults_per_request=1, rpm_limit=100)
    with spawn_mockserver(cfg) as srv:
        assert srv.base_url.startswith("http://127.0.0.1:") and srv.base_url.endswith("/v1")
        assert srv.process.poll() is None
        assert exchange(srv.base_url + "/chat/completions", chat("[[id:a]]")).status == 500
        assert exchange(srv.base_url + "/chat/completions", chat("[[id:a]]")).status == 200
        stats = srv.stats()
        assert stats["faults"] == {"500": 1} and stats["completed_by_sample"] == {"a": 1}
        srv.update(fault_rate=0.0)
        assert exchange(srv.base_url + "/chat/completions", chat("z")).status == 200
        srv.reset()
        assert srv.stats()["requests"] == 0
        proc = srv.process
    assert proc.poll() is not None


def test_module_cli_prints_listening_line() -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "baimo.testing.mockserver",
            "--port",
            "0",
            "--ttft",
            "0.01",
            "--itl",
            "0.001",
            "--output-tokens",
            "5",
            "--models",
            "mock,other",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(src), "PATH": ""},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening http://127.0.0.1:")
        url = line.split()[1]
        r = exchange(url + "/chat/completions", chat("q"))
        assert r.json()["usage"]["completion_tokens"] == 5
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
        if proc.stdout is not None:
            proc.stdout.close()


def test_config_survives_the_command_line() -> None:
    cfg = MockConfig(
        ttft_s=0.2, itl_s=0.02, tokens_per_chunk=3, output_tokens=100, reasoning=True,
        reasoning_text="-hmm, fine", models=["a", "b"], api_key="-key", rpm_limit=5,
        fault_rate=0.3, fault_kinds=["stall", "429"], seed=3, max_faults_per_request=1,
        retry_after_s=0.1, stall_s=2.0, spin_s=0.002,
    )  # fmt: skip
    assert config_from_args(arg_parser().parse_args(config_to_argv(cfg))) == cfg
    assert config_from_args(arg_parser().parse_args(config_to_argv(MockConfig()))) == MockConfig()


def test_bad_cli_arguments_fail_fast() -> None:
    bad = MockConfig()
    bad.fault_kinds = ["explode"]  # bypass validation to reach the CLI check
    with pytest.raises(RuntimeError, match="did not start"), spawn_mockserver(bad):
        pass
