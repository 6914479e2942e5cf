"""A hostile OpenAI-compatible server: every way a real or broken endpoint was seen to misbehave.

Independent testing of the first wave, against a real llama.cpp server and hostile loopback
servers, found replies that crashed, hung or poisoned a run. Each is a *case* here, chosen by
the model id of the request (``"model": "<case>"``), so one server plays all of them at once
and a test can point one model per case at it:

========================  ===============================================================
case                      what the server does
========================  ===============================================================
``ok``                    a well-formed stream (the control)
``no-finish``             content, then ``[DONE]`` with no ``finish_reason`` (llama.cpp's
                          ``interrupt_requests``); the first ``heal_after`` asks of each
                          prompt only, then answers properly
``retry-after-soon``      429 with ``Retry-After: soon`` once per prompt, then answers
``retry-after-huge``      429 with ``Retry-After: 999999``
``retry-after-inf``       429 with ``Retry-After: inf``
``retry-after-date``      429 with an HTTP date a year ahead
``retry-after-ms``        429 with ``retry-after-ms: 1e12``
``delta-list``            a chunk whose ``delta`` is a list
``choices-str``           a chunk whose ``choices`` is a string
``content-int``           a chunk whose ``content`` is a number
``usage-strings``         usage counts sent as strings
``usage-huge``            usage of 10**30 tokens
``auth-markup``           401 whose message holds Rich markup and terminal escapes
``echo-key``              500 whose message echoes the Authorization header, padded so the
                          key sits across the 300-character cut
``endless``               a stream that never ends, ignoring ``max_tokens``
``drip``                  one chunk a second, forever (each read is fast enough)
``huge``                  a 100 MB non-streamed answer to any ``max_tokens``
``malformed``             a line of invalid JSON in the stream
``html-page``             200 with an HTML login page, as a proxy or a web UI at the
                          wrong ``base_url`` sends
``json-to-stream``        the whole answer as one JSON body even when asked to stream
``plain-text``            200 with a short text/plain body and no events at all
========================  ===============================================================

Run it as ``python -m baimo.testing.hostile --port N`` or in-process with ``HostileServer``.
Never imported by product code.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import hashlib
import threading
import time
from collections import Counter
from typing import Any

import orjson
from aiohttp import web

CASES = (
    "ok", "no-finish", "retry-after-soon", "retry-after-huge", "retry-after-inf",
    "retry-after-date", "retry-after-ms", "delta-list", "choices-str", "content-int",
    "usage-strings", "usage-huge", "auth-markup", "echo-key", "endless", "drip", "huge",
    "malformed", "html-page", "json-to-stream", "plain-text",
)

ANSWER = "The answer is 42."


def _chunk(delta: Any, finish: str | None = None, **extra: Any) -> bytes:
    obj = {"id": "chatcmpl-hostile", "object": "chat.completion.chunk", "model": "hostile",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return b"data: " + orjson.dumps(obj) + b"\n\n"


def _raw(obj: Any) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


class Hostile:
    """The server's state: how often each (case, prompt) was asked."""

    def __init__(self, heal_after: int = 1) -> None:
        self.heal_after = heal_after
        self.asked: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()

    def count(self, case: str, body: dict[str, Any]) -> int:
        digest = hashlib.sha256(orjson.dumps(body.get("messages"))).hexdigest()[:16]
        with self.lock:
            self.asked[(case, digest)] += 1
            return self.asked[(case, digest)]

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1 << 24)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_get("/v1/models", self.models)
        return app

    async def models(self, _: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [
            {"id": c, "object": "model", "created": 0, "owned_by": "hostile"} for c in CASES]})

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        return resp

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        case = str(body.get("model"))
        n = self.count(case, body)
        auth = request.headers.get("Authorization", "")

        if case.startswith("retry-after"):
            if case == "retry-after-soon" and n > 1:
                return await self._ok(request)
            headers = {
                "retry-after-soon": {"Retry-After": "soon"},
                "retry-after-huge": {"Retry-After": "999999"},
                "retry-after-inf": {"Retry-After": "inf"},
                "retry-after-date": {"Retry-After": email.utils.formatdate(
                    time.time() + 365 * 86400, usegmt=True)},
                "retry-after-ms": {"retry-after-ms": "1e12"},
            }[case]
            return web.json_response({"error": {"message": "slow down"}}, status=429,
                                     headers=headers)
        if case == "auth-markup":
            return web.json_response({"error": {"message": (
                "bad key [/] [bold red]x[/bold red] \x1b]0;pwned\x07\x1b[31mred\x1b[0m "
                "[link=http://evil]click[/link]")}}, status=401)
        if case == "echo-key":
            pad = "x" * 280
            return web.json_response({"error": {"message": f"{pad} header was {auth}"}},
                                     status=500)
        if case == "huge":
            text = "4" * (100 * 1024 * 1024)
            return web.Response(body=orjson.dumps({
                "id": "x", "object": "chat.completion", "model": "hostile",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}]}),
                content_type="application/json")
        if case == "html-page":
            return web.Response(text="<!doctype html><html><head><title>Sign in</title></head>"
                                "<body><form>user <input name=u></form></body></html>",
                                content_type="text/html")
        if case == "plain-text":
            return web.Response(text="service ready\n", content_type="text/plain")
        if not body.get("stream") or case == "json-to-stream":
            return await self._ok(request, stream=False)

        resp = await self._stream(request)
        try:
            if case == "no-finish":
                await resp.write(_chunk({"content": "The answer"}))
                if n <= self.heal_after:
                    await resp.write(b"data: [DONE]\n\n")  # cut: no finish_reason at all
                    return resp
                await resp.write(_chunk({"content": " is 42."}, "stop"))
            elif case == "delta-list":
                await resp.write(_chunk(["not", "a", "dict"]))
            elif case == "choices-str":
                await resp.write(_raw({"id": "x", "choices": "nope"}))
            elif case == "content-int":
                await resp.write(_chunk({"content": 42}))
            elif case == "usage-strings":
                await resp.write(_chunk({"content": ANSWER}, "stop"))
                await resp.write(_raw({"id": "x", "choices": [], "usage": {
                    "prompt_tokens": "12", "completion_tokens": "5"}}))
            elif case == "usage-huge":
                await resp.write(_chunk({"content": ANSWER}, "stop"))
                await resp.write(b'data: {"id": "x", "choices": [], "usage": {"prompt_tokens": '
                                 + str(10 ** 30).encode() + b', "completion_tokens": '
                                 + str(10 ** 30).encode() + b'}}\n\n')
            elif case == "malformed":
                await resp.write(b"data: {not json\n\n")
            elif case == "endless":
                while True:
                    await resp.write(_chunk({"content": "4" * 64}))
                    await asyncio.sleep(0)
            elif case == "drip":
                while True:
                    await resp.write(_chunk({"content": "4"}))
                    await asyncio.sleep(1.0)
            else:
                await resp.write(_chunk({"content": ANSWER}, "stop"))
            await resp.write(b"data: [DONE]\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return resp

    async def _ok(self, request: web.Request, stream: bool = True) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        if not stream or not body.get("stream"):
            return web.json_response({
                "id": "x", "object": "chat.completion", "model": "hostile",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": ANSWER}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5}})
        resp = await self._stream(request)
        await resp.write(_chunk({"content": ANSWER}, "stop"))
        await resp.write(b"data: [DONE]\n\n")
        return resp


class HostileServer:
    """The hostile server in a background thread of this process, on a loopback port."""

    def __init__(self, heal_after: int = 1) -> None:
        self.state = Hostile(heal_after)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> HostileServer:
        ready = threading.Event()
        loop = asyncio.new_event_loop()
        self._loop = loop

        async def boot() -> None:
            self._runner = web.AppRunner(self.state.app(), access_log=None,
                                         shutdown_timeout=0.5)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

        def main() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(boot())
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=main, name="hostile-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        loop, runner = self._loop, self._runner
        if loop is None or runner is None:
            return
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        loop.close()
        self._loop = None

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:  # pragma: no cover - a command for manual trials
    parser = argparse.ArgumentParser(description="A hostile OpenAI-compatible server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    web.run_app(Hostile().app(), host=args.host, port=args.port, access_log=None)


if __name__ == "__main__":
    main()
