"""A loopback OpenAI-compatible server playing three candidate models and a judge.

Every prompt carries its correct answer as ``[[answer:X]]`` (``support.write_task``). The
models answer by name:

* ``good-1``: "The answer is X." (correct, plain);
* ``wordy-1``: a markdown answer with a header, a list and bold, also correct, and longer;
* ``bad-1``: "The answer is X+1." (wrong).

A prompt containing ``[[echo]]`` is echoed back, to carry script
payloads into answers.

The judge (``judge-1``) reads the ``<answer_a>``/``<answer_b>`` sections of the pairwise prompt
and rules by correctness: ``[[A]]``/``[[B]]`` for the only correct answer, ``[[C]]`` when both
are wrong, and, when both are correct, always ``[[A]]``: a judge with a pure position bias, so
those battles flip with the order and must end as ties. For prompts whose answer is a
multiple of 11·7 it replies without any verdict (a parse failure). Everything is decided by the
request, so the tests can compute the expected outcome of each battle on their own.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from typing import Any

import orjson
from aiohttp import web


def truth(prompt: str) -> int:
    m = re.search(r"\[\[answer:(-?\d+)\]\]", prompt)
    assert m, prompt
    return int(m.group(1))


def model_answer(model: str, prompt: str) -> str:
    if "[[echo]]" in prompt:  # hostile output: the prompt's payload comes back verbatim
        return f"Echo: {prompt}"
    x = truth(prompt)
    if model == "good-1":
        return f"The answer is {x}."
    if model == "wordy-1":
        return (f"# Answer\n\nAfter careful thought:\n\n- the value is **{x}**\n"
                f"- checked twice\n\nSo the answer is {x}, as computed above.")
    if model == "bad-1":
        return f"The answer is {x + 1}."
    raise AssertionError(f"unknown model {model}")


def correct(answer: str, x: int) -> bool:
    return re.search(rf"(?<![\d-]){x}(?!\d)", answer) is not None


def section(prompt: str, tag: str) -> str:
    m = re.search(rf"<{tag}>\n(.*?)\n</{tag}>", prompt, re.DOTALL)
    assert m, tag
    return m.group(1)


def judge_reply(prompt: str) -> str:
    x = truth(section(prompt, "question"))
    if x % 77 == 0:
        return "Both answers have merit; I cannot choose."
    ca = correct(section(prompt, "answer_a"), x)
    cb = correct(section(prompt, "answer_b"), x)
    if ca and cb:
        return "Both are right; the first reads better. [[A]]"
    if ca:
        return "A is right. [[A]]"
    if cb:
        return "B is right. [[B]]"
    return "Both are wrong. [[C]]"


class ArenaServer:
    """The server in a background thread; ``bodies`` records every request."""

    def __init__(self, delay: float = 0.0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.delay = delay
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.bodies.append(body)
        users = [m["content"] for m in body["messages"] if m["role"] == "user"]
        model = body["model"]
        reply = judge_reply(users[-1]) if model == "judge-1" else model_answer(model,
                                                                               users[0])
        if len(users) > 1 and model != "judge-1":
            reply = f"Follow-up {len(users) - 1}: {reply}"
        words = reply.split(" ")
        usage = {"prompt_tokens": 20, "completion_tokens": len(words), "total_tokens":
                 20 + len(words)}
        if not body.get("stream"):
            return web.json_response({
                "id": "x1", "model": model, "object": "chat.completion",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply}}],
                "usage": usage})
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        base = {"id": "x1", "model": model, "object": "chat.completion.chunk"}
        for i, w in enumerate(words):
            piece = w if i == 0 else " " + w
            chunk = {**base, "choices": [{"index": 0, "delta": {"content": piece},
                                          "finish_reason": None}]}
            await resp.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
            if self.delay:
                await asyncio.sleep(self.delay)
        done = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        await resp.write(b"data: " + orjson.dumps(done) + b"\n\n")
        await resp.write(b"data: " + orjson.dumps({**base, "choices": [], "usage": usage})
                         + b"\n\n")
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    def __enter__(self) -> ArenaServer:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._handle)
            runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.SockSite(runner, sock).start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def models_yaml(base_url: str) -> list[dict[str, Any]]:
    """The three candidates and the judge, priced so that costs show."""
    price = {"input_per_1m": 1.0, "output_per_1m": 2.0}
    return [{"name": name, "model": name, "base_url": base_url, "pricing": price,
             "limits": {"max_retries": 1}}
            for name in ("good-1", "wordy-1", "bad-1", "judge-1")]
