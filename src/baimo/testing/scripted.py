"""A loopback OpenAI-compatible chat server whose every answer is decided by a test's function.

Why this exists: judges, arenas, answer readers, suites and monitors are tested against a real
HTTP endpoint, so that what is asserted (the temperature on the wire, which prompts were sent
at all, how a broken stream is handled) is what a real provider would see and send. The
policy of such an endpoint belongs next to the assertions that depend on it, so the test
passes a function; everything else (the thread and event loop, the OpenAI wire format in
both streaming and non-streaming form, recording the requests, HTTP errors, malformed bodies
and streams) lives here once. ``mockserver`` is the other test server: it answers by fixed
rules and is built for timing ground truth and random faults; this one is built for scripts.

A script is ``script(request) -> answer`` where ``request`` is a ``ChatRequest`` (the parsed
body: ``messages``, ``model``, ``params``, ``stream``, plus the headers and the arrival
number) and ``answer`` is a ``Reply``, a string (the reply text) or an int (an HTTP status to
fail with). The script may be a coroutine function; it then runs on the server's event loop,
so it can wait (a hung upstream, say) without blocking other requests::

    def judge(req: ChatRequest) -> Reply | str | int:
        if "server-error" in req.last_user:
            return 503
        return Reply("Rating: [[7]]", usage=usage(100, 10))

    with ScriptedServer(judge) as srv:
        client = SomeClient(base_url=srv.base_url)   # "http://127.0.0.1:PORT/v1"
        ...
    assert [b["temperature"] for b in srv.bodies] == [0.0]

A script that raises is answered with HTTP 500 and the exception is kept; leaving the
``with`` block then raises it (``check=False`` turns that off), so a bug or a failed
assertion inside a script fails the test instead of hiding behind a retried 500.

Streams are sent as real servers send them: headers at once, then ``reasoning_content``
deltas, content deltas (``Reply.chunks``, by default whitespace word pieces as in
``mockserver``), tool calls in pieces (id and name first, arguments in three parts), a chunk
with the ``finish_reason``, a usage chunk with empty ``choices``, and ``data: [DONE]``.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final

import orjson
from aiohttp import web

from baimo.perf.tokenizer import word_pieces
from baimo.testing.mockserver import ThreadedServer, _message_text, _stop

__all__ = [
    "Answer",
    "ChatRequest",
    "Reply",
    "Script",
    "ScriptedServer",
    "tool_call",
    "usage",
]

_DONE: Final = b"data: [DONE]\n\n"


@dataclass(frozen=True)
class ChatRequest:
    """One request as the server received it.

    Attributes:
        body: The JSON body, parsed.
        headers: The HTTP headers (a repeated header keeps its last value).
        index: Arrival number on this server, from 0.
    """

    body: dict[str, Any]
    headers: Mapping[str, str]
    index: int

    @property
    def model(self) -> str:
        """The requested model id (``""`` when the body has none)."""
        return str(self.body.get("model") or "")

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages that are JSON objects, in order."""
        raw = self.body.get("messages")
        return [m for m in raw if isinstance(m, dict)] if isinstance(raw, list) else []

    @property
    def stream(self) -> bool:
        """Whether the client asked for an SSE stream."""
        return self.body.get("stream") is True

    @property
    def params(self) -> dict[str, Any]:
        """Every sampling and request parameter: the body without model, messages, stream."""
        skip = ("model", "messages", "stream", "stream_options")
        return {k: v for k, v in self.body.items() if k not in skip}

    def texts(self, role: str = "user") -> list[str]:
        """The text of every message with ``role`` (typed content parts are joined)."""
        return [_message_text(m.get("content")) for m in self.messages if m.get("role") == role]

    @property
    def last_user(self) -> str:
        """The last user message's text (``""`` if there is none)."""
        users = self.texts("user")
        return users[-1] if users else ""

    @property
    def first_user(self) -> str:
        """The first user message's text (``""`` if there is none)."""
        users = self.texts("user")
        return users[0] if users else ""


@dataclass(frozen=True)
class Reply:
    """What the server answers to one request.

    Attributes:
        text: The assistant's content.
        reasoning: Sent as ``reasoning_content`` (streamed before the content).
        tool_calls: OpenAI tool calls (see ``tool_call``); streamed in pieces.
        finish_reason: None means ``"tool_calls"`` when there are tool calls, else ``"stop"``.
        status: HTTP status; anything but 200 answers ``{"error": {"message": error}}``.
        error: The error message of a non-200 reply (default ``"HTTP <status>"``).
        headers: Extra response headers (``Retry-After``, say).
        usage: The ``usage`` object sent verbatim; None computes one from word pieces.
        send_usage: False leaves usage out entirely (the client must then estimate).
        model: The model id the response claims; None echoes the request's.
        chunks: How ``text`` is cut into stream deltas; None cuts it into word pieces.
        delay_s: Seconds before the answer. A stream sends its headers at once and waits
            before the first delta, as a real server's prefill does.
        chunk_delay_s: Seconds after each content delta of a stream.
        raw_body: Sent verbatim as the whole body (with ``status``), for malformed JSON.
        raw_events: SSE ``data:`` payloads sent verbatim instead of the generated stream,
            whatever the request asked, for malformed or exotic streams.
        done: Whether a stream ends with ``data: [DONE]``.
    """

    text: str = ""
    reasoning: str = ""
    tool_calls: Sequence[Mapping[str, Any]] = ()
    finish_reason: str | None = None
    status: int = 200
    error: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    usage: Mapping[str, Any] | None = None
    send_usage: bool = True
    model: str | None = None
    chunks: Sequence[str] | None = None
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    raw_body: bytes | None = None
    raw_events: Sequence[bytes] | None = None
    done: bool = True

    @classmethod
    def fail(cls, status: int, message: str = "", **headers: str) -> Reply:
        """An HTTP error reply, e.g. ``Reply.fail(429, "slow down", **{"Retry-After": "1"})``."""
        return cls(status=status, error=message, headers=headers)


Answer = Reply | str | int
"""What a script returns: a ``Reply``, the reply text, or an HTTP status to fail with."""

Script = Callable[[ChatRequest], Answer | Awaitable[Answer]]
"""Decides the answer to each request; may be a coroutine function."""


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """An OpenAI ``usage`` object with a consistent total."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def tool_call(name: str, arguments: Any, call_id: str | None = None) -> dict[str, Any]:
    """A tool call as a server sends it; ``arguments`` that are not a string are JSON-dumped."""
    args = arguments if isinstance(arguments, str) else orjson.dumps(arguments).decode()
    return {
        "id": call_id or f"call_{name}",
        "type": "function",
        "function": {"name": name, "arguments": args},
    }


def _as_reply(answer: object) -> Reply:
    if isinstance(answer, Reply):
        return answer
    if isinstance(answer, bool):  # a bool is an int; neither a status nor a text
        raise TypeError(f"a script must return Reply, str or int, not {answer!r}")
    if isinstance(answer, int):
        return Reply.fail(answer)
    if isinstance(answer, str):
        return Reply(answer)
    raise TypeError(f"a script must return Reply, str or int, not {type(answer).__name__}")


def _tool_pieces(calls: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Tool calls as a stream sends them: id and name first, then the arguments in 3 parts."""
    out: list[dict[str, Any]] = []
    for i, c in enumerate(calls):
        fn = c.get("function") or {}
        args = str(fn.get("arguments") or "")
        out.append(
            {
                "index": i,
                "id": c.get("id", f"call_{i}"),
                "type": c.get("type", "function"),
                "function": {"name": fn.get("name"), "arguments": ""},
            }
        )
        third = max(1, len(args) // 3)
        for part in (args[:third], args[third : 2 * third], args[2 * third :]):
            if part:
                out.append({"index": i, "function": {"arguments": part}})
    return out


def _event(payload: Mapping[str, Any] | bytes) -> bytes:
    data = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    return b"data: " + data + b"\n\n"


class ScriptedServer(ThreadedServer):
    """The scripted server in a background thread of this process, with its own event loop.

    Why a thread and not the test's loop: the code under test often runs ``asyncio.run``
    itself (an eval, a monitor tick), so the server must live on a loop of its own.

    Attributes:
        requests: Every well-formed request, in arrival order.
        script_errors: Exceptions raised by the script (each answered with HTTP 500).
        in_flight: Requests being handled now; ``max_in_flight`` is the highest seen.
    """

    _kind = "scripted server"

    def __init__(
        self, script: Script, *, host: str = "127.0.0.1", port: int = 0, check: bool = True
    ) -> None:
        """Prepare the server (``start`` or ``with`` runs it).

        Args:
            script: Decides each answer (see the module docstring).
            host: Interface to listen on.
            port: Port; 0 binds a free one.
            check: Raise the script's first exception when the ``with`` block ends.
        """
        super().__init__(host=host, port=port)
        self.script = script
        self.check = check
        self.requests: list[ChatRequest] = []
        self.script_errors: list[BaseException] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The JSON body of every recorded request, in arrival order."""
        return [r.body for r in self.requests]

    # ------------------------------------------------------------------------ lifecycle

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)
        if exc is None and self.check and self.script_errors:
            first = self.script_errors[0]
            raise AssertionError(
                f"the server script failed {len(self.script_errors)} time(s); first: "
                f"{type(first).__name__}: {first}"
            ) from first

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._handle)
        return app

    async def _shutdown(self, runner: web.AppRunner) -> None:
        """Stop listening and cancel our handlers (a hung script must not hold shutdown)."""
        await _stop(runner, self._tasks)

    # ------------------------------------------------------------------------ handling

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            try:
                body = orjson.loads(await request.read())
            except orjson.JSONDecodeError as exc:
                return _error(400, f"the request body is not JSON: {exc}")
            if not isinstance(body, dict):
                return _error(400, "the request body is not a JSON object")
            req = ChatRequest(body, dict(request.headers), len(self.requests))
            self.requests.append(req)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                return await self._answer(request, req)
            finally:
                self.in_flight -= 1
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _answer(self, request: web.Request, req: ChatRequest) -> web.StreamResponse:
        try:
            answer = self.script(req)
            if inspect.isawaitable(answer):
                answer = await answer
            reply = _as_reply(answer)
        except Exception as exc:  # kept; __exit__ raises it
            self.script_errors.append(exc)
            return _error(500, f"script failed: {type(exc).__name__}: {exc}")
        if reply.raw_events is not None or (
            req.stream and reply.status == 200 and reply.raw_body is None
        ):
            return await _stream(request, req, reply)
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.raw_body is not None:
            return web.Response(
                body=reply.raw_body,
                status=reply.status,
                headers=reply.headers,
                content_type="application/json",
            )
        if reply.status != 200:
            return _error(reply.status, reply.error or f"HTTP {reply.status}", reply.headers)
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if reply.reasoning:
            message["reasoning_content"] = reply.reasoning
        if reply.tool_calls:
            message["tool_calls"] = [dict(c) for c in reply.tool_calls]
        out: dict[str, Any] = {
            "id": f"chatcmpl-{req.index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": reply.model or req.model,
            "choices": [{"index": 0, "message": message, "finish_reason": _finish(reply)}],
        }
        if reply.send_usage:
            out["usage"] = dict(reply.usage) if reply.usage is not None else _usage(req, reply)
        return web.Response(
            body=orjson.dumps(out), headers=reply.headers, content_type="application/json"
        )


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps({"error": {"message": message, "code": status}}),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def _finish(reply: Reply) -> str:
    if reply.finish_reason is not None:
        return reply.finish_reason
    return "tool_calls" if reply.tool_calls else "stop"


def _usage(req: ChatRequest, reply: Reply) -> dict[str, int]:
    """Word-piece counts: of every message's text, and of what the reply says."""
    prompt = sum(len(word_pieces(_message_text(m.get("content")))) for m in req.messages)
    return usage(prompt, len(word_pieces(reply.reasoning)) + len(word_pieces(reply.text)))


async def _stream(request: web.Request, req: ChatRequest, reply: Reply) -> web.StreamResponse:
    """Send ``reply`` as an SSE stream; a client that hangs up just ends it."""
    resp = web.StreamResponse(
        status=reply.status,
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **reply.headers},
    )
    try:
        await resp.prepare(request)
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.raw_events is not None:
            for raw in reply.raw_events:
                await resp.write(_event(raw))
        else:
            await _write_deltas(resp, req, reply)
        if reply.done:
            await resp.write(_DONE)
        await resp.write_eof()
    except ConnectionError:
        pass
    return resp


async def _write_deltas(resp: web.StreamResponse, req: ChatRequest, reply: Reply) -> None:
    base = {
        "id": f"chatcmpl-{req.index}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": reply.model or req.model,
    }

    def chunk(delta: Mapping[str, Any], finish: str | None = None) -> bytes:
        return _event({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    deltas: list[tuple[dict[str, Any], bool]] = []  # (delta, is content)
    deltas += [({"reasoning_content": p}, False) for p in word_pieces(reply.reasoning)]
    pieces = word_pieces(reply.text) if reply.chunks is None else list(reply.chunks)
    deltas += [({"content": p}, True) for p in pieces]
    deltas += [({"tool_calls": [p]}, False) for p in _tool_pieces(reply.tool_calls)]
    role: dict[str, Any] = {"role": "assistant"}
    if not deltas:
        await resp.write(chunk(role))
    for i, (delta, content) in enumerate(deltas):
        await resp.write(chunk({**role, **delta} if i == 0 else delta))
        if content and reply.chunk_delay_s:
            await asyncio.sleep(reply.chunk_delay_s)
    await resp.write(chunk({}, _finish(reply)))
    if reply.send_usage:
        use = dict(reply.usage) if reply.usage is not None else _usage(req, reply)
        await resp.write(_event({**base, "choices": [], "usage": use}))
