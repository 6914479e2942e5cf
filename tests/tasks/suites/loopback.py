"""A scripted OpenAI-compatible server on loopback for the suite tests.

Each test gives a ``reply(body) -> Reply`` function that decides, from the request body the
client really sent, what the server answers: text, tool calls (streamed in pieces or whole),
an HTTP error, or a malformed body. The server is ``baimo.testing.scripted.ScriptedServer``
(its own thread and event loop), so the code under test talks to it over a real TCP
connection; this module only keeps the suites' short vocabulary for replies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from baimo.testing import scripted


@dataclass
class Reply:
    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish: str | None = None
    status: int = 200
    error: str = ""
    raw_chunks: list[bytes] | None = None
    """Stream these SSE payloads verbatim instead (malformed-server tests)."""


def call(name: str, args: Any, cid: str | None = None) -> dict[str, Any]:
    """A tool call as the server sends it (``args`` a dict is dumped; a string is sent as is)."""
    return scripted.tool_call(name, args, cid)


_USAGE = scripted.usage(10, 5)


def _to_scripted(reply: Reply, request: scripted.ChatRequest) -> scripted.Reply:
    """A suite reply on the wire: text in 7-character deltas, usage only when not streamed."""
    if reply.status != 200:
        return scripted.Reply.fail(reply.status, reply.error)
    if reply.raw_chunks is not None and request.stream:
        return scripted.Reply(raw_events=reply.raw_chunks)
    text = reply.text
    return scripted.Reply(text, tool_calls=reply.tool_calls, finish_reason=reply.finish,
                          chunks=[text[i:i + 7] for i in range(0, len(text), 7)],
                          usage=_USAGE, send_usage=not request.stream)


class Server(scripted.ScriptedServer):
    """The scripted server answering with ``reply(body)``; ``bodies`` records every request."""

    def __init__(self, reply: Callable[[dict[str, Any]], Reply]) -> None:
        self.reply = reply
        super().__init__(lambda request: _to_scripted(reply(request.body), request))


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
