"""Tests of the scripted chat server, over real HTTP on loopback.

The raw wire is read with an aiohttp client (so the exact SSE events and JSON bodies are
checked), and baimo's own OpenAI client is pointed at it (so a script's reply reaches product
code the same way in streaming and non-streaming mode).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

import aiohttp
import orjson
import pytest

from baimo.config import ModelConfig
from baimo.models.base import Completion, ProviderError
from baimo.models.openai import OpenAIProvider
from baimo.testing.scripted import ChatRequest, Reply, ScriptedServer, tool_call, usage

MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "first question"},
    {"role": "assistant", "content": "an answer"},
    {
        "role": "user",
        "content": [{"type": "text", "text": "second"}, {"type": "text", "text": "question"}],
    },
]


async def _post(url: str, body: Any, **headers: str) -> tuple[int, dict[str, str], bytes]:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + "/chat/completions", data=data, headers=headers) as resp,
    ):
        return resp.status, dict(resp.headers), await resp.read()


def post(url: str, body: Any, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """POST a chat request and return (status, headers, raw body)."""
    return asyncio.run(_post(url, body, **headers))


def events(raw: bytes) -> list[bytes]:
    """The ``data:`` payloads of an SSE body, in order."""
    out = []
    for block in raw.split(b"\n\n"):
        if block:
            assert block.startswith(b"data: "), block
            out.append(block[len(b"data: ") :])
    return out


def ask(srv: ScriptedServer, stream: bool, **params: Any) -> Completion:
    """One completion through baimo's OpenAI client."""
    cfg = ModelConfig.model_validate(
        {
            "name": "m",
            "base_url": srv.base_url,
            "model": "m-1",
            "stream": stream,
            "limits": {"max_retries": 0},
        }
    )

    async def go() -> Completion:
        provider = OpenAIProvider(cfg)
        try:
            return await provider.complete([{"role": "user", "content": "hi"}], params)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def test_script_sees_the_parsed_request_and_every_request_is_recorded() -> None:
    seen: list[ChatRequest] = []

    def script(req: ChatRequest) -> str:
        seen.append(req)
        return f"{req.model} heard: {req.last_user}"

    with ScriptedServer(script) as srv:
        body = {"model": "m-1", "messages": MESSAGES, "temperature": 0.0, "max_tokens": 9}
        status, _, raw = post(srv.base_url, body, **{"X-Team": "eval"})
        status2, _, _ = post(srv.base_url, {**body, "model": "m-2"})
    assert (status, status2) == (200, 200)
    out = orjson.loads(raw)
    assert out["choices"][0]["message"] == {
        "role": "assistant",
        "content": "m-1 heard: second question",
    }
    assert out["choices"][0]["finish_reason"] == "stop" and out["model"] == "m-1"
    req = seen[0]
    assert req.params == {"temperature": 0.0, "max_tokens": 9}
    assert req.texts("user") == ["first question", "second question"]
    assert req.first_user == "first question" and not req.stream
    assert req.headers["X-Team"] == "eval"
    assert [r.index for r in srv.requests] == [0, 1]
    assert [b["model"] for b in srv.bodies] == ["m-1", "m-2"]
    # Word pieces of all four messages (2 + 2 + 2 + 2) and of "m-1 heard: second question".
    assert out["usage"] == {"prompt_tokens": 8, "completion_tokens": 4, "total_tokens": 12}


def test_a_stream_has_reasoning_chunks_tool_pieces_finish_usage_and_done() -> None:
    call = tool_call("get_weather", {"city": "Paris", "unit": "celsius"}, "call_7")
    reply = Reply(
        "It is sunny.",
        reasoning="Look it up.",
        tool_calls=[call],
        chunks=["It is", " sunny."],
        usage=usage(3, 4),
        model="served-1",
    )
    with ScriptedServer(lambda req: reply) as srv:
        status, headers, raw = post(
            srv.base_url, {"model": "m-1", "messages": MESSAGES, "stream": True}
        )
    assert status == 200 and headers["Content-Type"].startswith("text/event-stream")
    payloads = events(raw)
    assert payloads[-1] == b"[DONE]"
    chunks = [orjson.loads(p) for p in payloads[:-1]]
    assert all(c["model"] == "served-1" for c in chunks)
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[0] == {"role": "assistant", "reasoning_content": "Look"}
    assert "".join(d.get("reasoning_content", "") for d in deltas) == "Look it up."
    assert [d["content"] for d in deltas if "content" in d] == ["It is", " sunny."]
    first_content = next(i for i, d in enumerate(deltas) if "content" in d)
    assert all("content" not in d for d in deltas[:first_content])  # reasoning comes first
    pieces = [p for d in deltas for p in d.get("tool_calls", [])]
    assert pieces[0] == {
        "index": 0,
        "id": "call_7",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    assert len(pieces) == 4  # id and name, then the arguments in three parts
    args = "".join(p["function"]["arguments"] for p in pieces)
    assert orjson.loads(args) == {"city": "Paris", "unit": "celsius"}
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[:-1] == [None] * (len(finishes) - 1) and finishes[-1] == "tool_calls"
    assert chunks[-1] == {**chunks[-1], "choices": [], "usage": usage(3, 4)}


@pytest.mark.parametrize("stream", [True, False])
def test_baimo_client_gets_the_same_reply_streamed_or_not(stream: bool) -> None:
    def script(req: ChatRequest) -> Reply:
        assert req.stream is stream and req.params["max_tokens"] == 16
        return Reply(
            "The answer is 42.", reasoning="Think.", finish_reason="length", usage=usage(7, 5)
        )

    with ScriptedServer(script) as srv:
        c = ask(srv, stream, max_tokens=16)
    assert (c.text, c.reasoning, c.finish_reason) == ("The answer is 42.", "Think.", "length")
    assert (c.usage.prompt_tokens, c.usage.completion_tokens) == (7, 5)
    assert not c.usage.estimated


@pytest.mark.parametrize("stream", [True, False])
def test_tool_calls_reach_the_client_whole(stream: bool) -> None:
    call = tool_call("lookup", {"q": "tides"})
    with ScriptedServer(lambda req: Reply(tool_calls=[call])) as srv:
        c = ask(srv, stream)
    assert c.finish_reason == "tool_calls"
    assert [
        (t["id"], t["function"]["name"], orjson.loads(t["function"]["arguments"]))
        for t in c.tool_calls
    ] == [("call_lookup", "lookup", {"q": "tides"})]


def test_without_usage_the_client_has_to_estimate() -> None:
    with ScriptedServer(lambda req: Reply("four words right here", send_usage=False)) as srv:
        c = ask(srv, True)
        status, _, raw = post(srv.base_url, {"model": "m", "messages": MESSAGES})
    assert c.text == "four words right here" and c.usage.estimated
    assert status == 200 and "usage" not in orjson.loads(raw)


def test_http_errors_carry_status_message_and_headers() -> None:
    def script(req: ChatRequest) -> Reply | int:
        if "plain" in req.last_user:
            return 503
        return Reply.fail(429, "slow down", **{"Retry-After": "7"})

    with ScriptedServer(script) as srv:
        status, headers, raw = post(
            srv.base_url,
            {"model": "m", "messages": [{"role": "user", "content": "limit me"}], "stream": True},
        )
        status2, _, raw2 = post(
            srv.base_url, {"model": "m", "messages": [{"role": "user", "content": "plain"}]}
        )
        with pytest.raises(ProviderError) as info:
            ask(srv, True)
    assert (status, headers["Retry-After"]) == (429, "7")
    assert orjson.loads(raw) == {"error": {"message": "slow down", "code": 429}}
    assert (status2, orjson.loads(raw2)["error"]["message"]) == (503, "HTTP 503")
    assert info.value.status == 429 and info.value.retry_after == pytest.approx(7.0)


def test_malformed_bodies_and_streams_are_sent_verbatim() -> None:
    def script(req: ChatRequest) -> Reply:
        if req.last_user == "body":
            return Reply(raw_body=b'{"choices": [')
        if req.last_user == "cut":
            return Reply(raw_events=[b'{"choices": [{"delta": {"content": "Hal"}}]}'], done=False)
        return Reply(raw_events=[b"{not json", b'{"choices": "a string"}'])

    def msg(text: str) -> list[dict[str, str]]:
        return [{"role": "user", "content": text}]

    with ScriptedServer(script) as srv:
        _, _, body = post(srv.base_url, {"model": "m", "messages": msg("body")})
        _, _, bad = post(srv.base_url, {"model": "m", "messages": msg("bad"), "stream": True})
        _, _, cut = post(srv.base_url, {"model": "m", "messages": msg("cut"), "stream": True})
        _, headers, unasked = post(srv.base_url, {"model": "m", "messages": msg("bad")})
        with pytest.raises(ProviderError) as info:
            ask(srv, True)
    assert body == b'{"choices": ['
    assert events(bad) == [b"{not json", b'{"choices": "a string"}', b"[DONE]"]
    assert events(cut) == [b'{"choices": [{"delta": {"content": "Hal"}}]}']  # no [DONE]
    assert headers["Content-Type"].startswith("text/event-stream")  # streamed unasked
    assert events(unasked)[0] == b"{not json"
    assert info.value.kind == "stream"


def test_delays_hold_the_first_chunk_not_the_headers() -> None:
    reply = Reply("a b c", chunks=["a", " b", " c"], delay_s=1.0, chunk_delay_s=0.5)

    async def timed(url: str) -> tuple[float, list[float]]:
        body = orjson.dumps({"model": "m", "messages": MESSAGES, "stream": True})
        async with aiohttp.ClientSession() as session:
            t0 = time.perf_counter()
            async with session.post(url + "/chat/completions", data=body) as resp:
                headers_at = time.perf_counter() - t0
                arrivals = []
                async for line in resp.content:
                    if b'"content"' in line:
                        arrivals.append(time.perf_counter() - t0)
        return headers_at, arrivals

    with ScriptedServer(lambda req: reply) as srv:
        headers_at, arrivals = asyncio.run(timed(srv.base_url))
    # Wide margins (1 s, 0.5 s): the test machine may be loaded; the order is what counts.
    assert headers_at < 0.8
    assert len(arrivals) == 3 and arrivals[0] >= 1.0
    assert arrivals[2] - arrivals[0] >= 0.99  # two chunk delays between the first and last


def test_async_scripts_run_concurrently_and_in_flight_is_counted() -> None:
    async def slow(req: ChatRequest) -> str:
        await asyncio.sleep(1.0)
        return "done"

    async def burst(url: str) -> list[int]:
        body = {"model": "m", "messages": MESSAGES}
        return [s for s, _, _ in await asyncio.gather(*(_post(url, body) for _ in range(4)))]

    with ScriptedServer(slow) as srv:
        t0 = time.perf_counter()
        statuses = asyncio.run(burst(srv.base_url))
        took = time.perf_counter() - t0
    assert statuses == [200] * 4
    assert srv.max_in_flight == 4 and srv.in_flight == 0
    assert took < 3.0  # four 1 s scripts overlapped (one after another: 4 s)


def test_a_failing_script_is_a_500_and_fails_the_with_block() -> None:
    def script(req: ChatRequest) -> str:
        raise ValueError("policy bug")

    srv = ScriptedServer(script)
    with pytest.raises(AssertionError, match="failed 1 time") as info, srv:
        status, _, raw = post(srv.base_url, {"model": "m", "messages": MESSAGES})
    assert status == 500 and b"ValueError: policy bug" in raw
    assert isinstance(info.value.__cause__, ValueError)
    with ScriptedServer(script, check=False) as quiet:
        assert post(quiet.base_url, {"model": "m", "messages": MESSAGES})[0] == 500
    assert len(quiet.script_errors) == 1


def test_wrong_answer_types_and_bad_requests_are_refused() -> None:
    with ScriptedServer(lambda req: True, check=False) as srv:  # type: ignore[arg-type, return-value]
        status, _, _ = post(srv.base_url, {"model": "m", "messages": MESSAGES})
        not_json, _, raw = post(srv.base_url, b"{oops")
        not_object, _, _ = post(srv.base_url, [1, 2])
    assert status == 500 and isinstance(srv.script_errors[0], TypeError)
    assert (not_json, not_object) == (400, 400) and b"not JSON" in raw
    assert len(srv.requests) == 1  # the malformed requests never reach the script


def test_stop_cuts_off_a_hung_script_and_the_server_can_restart() -> None:
    async def hang(req: ChatRequest) -> str:
        await asyncio.sleep(60)
        return "never"

    srv = ScriptedServer(hang)
    with pytest.raises(RuntimeError, match="not running"):
        _ = srv.base_url
    srv.start()

    async def client() -> None:
        with contextlib.suppress(aiohttp.ClientError):
            await _post(srv.base_url, {"model": "m", "messages": MESSAGES})

    t = threading.Thread(target=lambda: asyncio.run(client()))
    t.start()
    deadline = time.monotonic() + 10
    while not srv.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.perf_counter()
    srv.stop()
    assert time.perf_counter() - t0 < 5
    t.join(10)
    assert not t.is_alive() and len(srv.requests) == 1
    srv.script = lambda req: "back"
    with srv:
        assert (
            orjson.loads(post(srv.base_url, {"model": "m", "messages": MESSAGES})[2])["choices"][0][
                "message"
            ]["content"]
            == "back"
        )
