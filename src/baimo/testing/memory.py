"""An in-memory provider: the ``Provider`` protocol answered by a function or a table.

Why this exists beside the mock HTTP server: most unit tests of the layers above ``models``
(runner, scorers, judge, reports) care about *what* a model answered, not about HTTP. A
provider that lives in the test's own process makes those tests fast and exact, and it is an
implementation of the same protocol the real clients implement (``baimo.models.base``), the
way httpx's ``MockTransport`` is just another transport. The wire format, timing and faults
of a real server are the mock HTTP server's job (``baimo.testing.mockserver``).

    provider = MemoryProvider({"2+2?": "4"}, default="I don't know")
    provider = MemoryProvider(lambda messages, params: messages[-1]["content"].upper())
    provider = MemoryProvider("OK", fail=ProviderError("rate-limit", "slow down"),
                              fail_times=2)  # the first two calls fail, then "OK"

Each call is recorded in ``calls`` (messages and params, copied) so a test can check what was
sent. Usage counts whitespace-separated words unless a reply gives its own ``Usage``.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from baimo.models.base import Completion, ErrorKind, ProviderError, Timing, Usage

__all__ = ["MemoryProvider", "Reply", "Responder"]

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class Reply:
    """A canned answer with everything a ``Completion`` can carry.

    Attributes:
        text: The answer.
        reasoning: Reasoning text (``reasoning_content``), if any.
        finish_reason: ``stop``, ``length``, ... or None (a stream that ended without one).
        usage: Token counts; None counts words.
        error: Raise this instead of answering.
    """

    text: str = ""
    reasoning: str = ""
    finish_reason: str | None = "stop"
    usage: Usage | None = None
    error: ProviderError | None = None


Answer = str | Reply | ProviderError
Responder = Callable[[Messages, dict[str, Any]], Answer | Awaitable[Answer]]
"""A function of (messages, params) returning the answer, or an awaitable of it."""


@dataclass
class Call:
    """One request the provider received."""

    messages: Messages
    params: dict[str, Any]


def _words(text: str) -> int:
    return len(text.split())


@dataclass
class MemoryProvider:
    """A ``Provider`` answering from a function, a dict keyed by the last user message, or
    one fixed string.

    Args:
        answers: A responder function, a mapping from the last user message's content to an
            answer, or one answer for every request. An answer is a string, a ``Reply`` or a
            ``ProviderError`` (raised).
        default: The answer for a message the mapping does not hold; None makes such a
            message a ``bad-request`` error that names it, so a test cannot silently get an
            empty answer.
        finish_reason: The finish reason of string answers.
        usage: Token counts of string answers (default: words of the prompt and answer).
        fail: Raise this error (or an error of this kind) instead of answering ...
        fail_times: ... for the first ``fail_times`` calls (None: on every call).
        delay_s: Seconds to wait before answering (to exercise concurrency and timeouts).
        model: The model id reported in each ``Completion``.
    """

    answers: Responder | Mapping[str, Answer] | Answer = "OK."
    default: Answer | None = None
    finish_reason: str | None = "stop"
    usage: Usage | None = None
    fail: ProviderError | ErrorKind | None = None
    fail_times: int | None = None
    delay_s: float = 0.0
    model: str = "memory"
    calls: list[Call] = field(default_factory=list, init=False)
    closed: bool = field(default=False, init=False)

    async def complete(self, messages: list[dict[str, str]], params: dict[str, Any]
                       ) -> Completion:
        """Answer ``messages`` as configured, or raise the configured ``ProviderError``."""
        if self.closed:
            raise ProviderError("connection", "the memory provider was closed")
        timing = Timing(sent=time.perf_counter())
        self.calls.append(Call(copy.deepcopy(messages), copy.deepcopy(params)))
        if self.delay_s > 0:
            await asyncio.sleep(self.delay_s)
        if self.fail is not None and (self.fail_times is None
                                      or len(self.calls) <= self.fail_times):
            raise (self.fail if isinstance(self.fail, ProviderError)
                   else ProviderError(self.fail, f"injected {self.fail} failure"))
        answer = await self._answer(messages, params)
        if isinstance(answer, ProviderError):
            raise answer
        reply = answer if isinstance(answer, Reply) else Reply(
            text=answer, finish_reason=self.finish_reason, usage=self.usage)
        if reply.error is not None:
            raise reply.error
        usage = reply.usage or Usage(
            prompt_tokens=sum(_words(m.get("content", "")) for m in messages),
            completion_tokens=_words(reply.reasoning) + _words(reply.text),
            reasoning_tokens=_words(reply.reasoning))
        now = time.perf_counter()
        timing.first_byte = timing.first_token = timing.last_token = timing.done = now
        timing.first_answer = now if reply.text else None
        pieces = [(t, a) for t, a in ((reply.reasoning, False), (reply.text, True)) if t]
        timing.chunk_times = [now] * len(pieces)
        timing.chunk_texts = [t for t, _ in pieces]
        timing.chunk_is_answer = [a for _, a in pieces]
        raw = {"model": self.model, "choices": [{"message": {"content": reply.text},
                                                 "finish_reason": reply.finish_reason}]}
        return Completion(text=reply.text, reasoning=reply.reasoning,
                          finish_reason=reply.finish_reason, usage=copy.copy(usage),
                          timing=timing, raw=raw, model=self.model)

    async def _answer(self, messages: Messages, params: dict[str, Any]) -> Answer:
        source = self.answers
        if callable(source):
            got = source(messages, params)
            return await got if isinstance(got, Awaitable) else got
        if isinstance(source, Mapping):
            last = next((m.get("content", "") for m in reversed(messages)
                         if m.get("role") == "user"), "")
            if last in source:
                return source[last]
            if self.default is not None:
                return self.default
            return ProviderError("bad-request", f"the memory provider has no answer for "
                                 f"{last[:80]!r}", status=400)
        return source

    async def aclose(self) -> None:
        """Refuse later calls, as a closed HTTP client would."""
        self.closed = True


# --------------------------------------------------------------------------- registration

MEMORY_PROVIDERS: dict[str, MemoryProvider] = {}
"""Providers that models with ``provider: memory`` reach, by their ``model`` id."""


def serve_in_memory(model_id: str, provider: MemoryProvider) -> MemoryProvider:
    """Make ``provider`` answer every configured model with ``provider: memory`` and
    ``model: <model_id>``: the runner, the judge and ``models check`` then reach it through
    the provider registry exactly as they reach a real endpoint."""
    MEMORY_PROVIDERS[model_id] = provider
    return provider


def _register() -> None:
    import contextlib
    from collections.abc import AsyncIterator, Iterator

    from baimo.config import ModelConfig
    from baimo.errors import ConfigError
    from baimo.models.base import Provider
    from baimo.models.registry import ProviderKind, provider_kind, register_provider

    @contextlib.asynccontextmanager
    async def open_memory(cfg: ModelConfig, _pool: int | None) -> AsyncIterator[Provider]:
        provider = MEMORY_PROVIDERS.get(cfg.model_id)
        if provider is None:
            raise ConfigError(f"model '{cfg.name}': no in-memory provider serves "
                              f"'{cfg.model_id}'; call serve_in_memory() first")
        yield provider

    @contextlib.contextmanager
    def no_url(cfg: ModelConfig) -> Iterator[str]:
        raise ConfigError(f"model '{cfg.name}' is in memory: it has no URL to measure")
        yield ""  # pragma: no cover

    try:
        provider_kind("memory")
    except ConfigError:
        register_provider(ProviderKind("memory", open_memory, no_url, local=True))


_register()
