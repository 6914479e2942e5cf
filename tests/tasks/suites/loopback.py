"""A scripted OpenAI-compatible server on loopback for the suite tests.

Each test gives a ``reply(body) -> Reply`` function that decides, from the request body the
client really sent, what the server answers: text, tool calls (streamed in pieces or whole),
an HTTP error, or a malformed body. The server runs in its own thread with its own event loop,
so the code under test talks to it over a real TCP connection.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml
from aiohttp import web


@dataclass
class Reply:
    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish: str | None = None
    status: int = 200
    error: str = ""
    raw_chunks: list[bytes] | None = None
    """Stream these SSE payloads verbatim instead (malformed-server tests)."""


def _pieces(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool calls as a stream sends them: id and name first, arguments in three pieces."""
    out: list[dict[str, Any]] = []
    for i, c in enumerate(calls):
        args = c["function"]["arguments"]
        out.append({"index": i, "id": c.get("id", f"call_{i}"), "type": "function",
                    "function": {"name": c["function"]["name"], "arguments": ""}})
        third = max(1, len(args) // 3)
        for part in (args[:third], args[third:2 * third], args[2 * third:]):
            if part:
                out.append({"index": i, "function": {"arguments": part}})
    return out


def call(name: str, args: Any, cid: str | None = None) -> dict[str, Any]:
    """A tool call as the server sends it (``args`` a dict is dumped; a string is sent as is)."""
    text = args if isinstance(args, str) else orjson.dumps(args).decode()
    return {"id": cid or f"call_{name}", "type": "function",
            "function": {"name": name, "arguments": text}}


class Server:
    def __init__(self, reply: Callable[[dict[str, Any]], Reply]) -> None:
        self.reply = reply
        self.bodies: list[dict[str, Any]] = []
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._runner: web.AppRunner | None = None

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.bodies.append(body)
        r = self.reply(body)
        if r.status != 200:
            return web.json_response({"error": {"message": r.error}}, status=r.status)
        finish = r.finish or ("tool_calls" if r.tool_calls else "stop")
        if not body.get("stream"):
            msg: dict[str, Any] = {"role": "assistant", "content": r.text or None}
            if r.tool_calls:
                msg["tool_calls"] = r.tool_calls
            return web.json_response({"id": "x", "model": body["model"], "choices": [
                {"index": 0, "message": msg, "finish_reason": finish}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        if r.raw_chunks is not None:
            for chunk in r.raw_chunks:
                await resp.write(b"data: " + chunk + b"\n\n")
            await resp.write(b"data: [DONE]\n\n")
            return resp
        deltas: list[dict[str, Any]] = [{"role": "assistant"}]
        if r.text:
            deltas += [{"content": r.text[i:i + 7]} for i in range(0, len(r.text), 7)]
        deltas += [{"tool_calls": [p]} for p in _pieces(r.tool_calls)]
        for i, d in enumerate(deltas):
            last = i == len(deltas) - 1
            chunk = {"id": "x", "model": body["model"], "choices": [
                {"index": 0, "delta": d, "finish_reason": finish if last else None}]}
            await resp.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
        await resp.write(b"data: [DONE]\n\n")
        return resp

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(client_max_size=64 << 20)
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        self._loop.run_until_complete(site.start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def __enter__(self) -> Server:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@contextmanager
def serve(reply: Callable[[dict[str, Any]], Reply]) -> Iterator[Server]:
    with Server(reply) as srv:
        yield srv


def models_file(tmp: Path, base_url: str, models: list[dict[str, Any]]) -> Path:
    out = [{"provider": "openai-compatible", "base_url": base_url,
            "limits": {"concurrency": 4, "max_retries": 1, "timeout_s": 5}, **m}
           for m in models]
    path = tmp / "baimo.yaml"
    path.write_text(yaml.safe_dump({"models": out}))
    return path


def last_user(body: dict[str, Any]) -> str:
    users = [m for m in body["messages"] if m.get("role") == "user"]
    return str(users[-1]["content"]) if users else ""


def first_user(body: dict[str, Any]) -> str:
    users = [m for m in body["messages"] if m.get("role") == "user"]
    return str(users[0]["content"]) if users else ""
