"""A fast, deterministic OpenAI-compatible server for tests, calibration and benchmarks.

Why this exists: every number baimo reports about an API is only as good as the client that
measured it, and every eval is only as robust as its handling of a misbehaving provider. A
real provider can show neither: its latency is unknown and its faults are not reproducible.
This server is the ground truth for both (see MEASURE.md §2):

* **Timing.** It waits ``ttft_s`` before the first chunk and ``itl_s`` between chunks, with
  ``tokens_per_chunk`` tokens in each, scheduled against absolute times from the request's
  arrival so that sleep overshoot does not accumulate. 200 ms TTFT, 20 ms ITL and 100 tokens
  give an end-to-end time of 0.2 + 99 × 0.02 = 2.18 s; whatever a client measures beyond that
  is the client's own error. The server measures its own lateness (``lag_*`` in the stats):
  about 0.8 ms mean on the default loop, ~10 µs with ``spin_s=0.002``. Response headers are
  sent on arrival, so time-to-first-byte and time-to-first-chunk differ by ``ttft_s``.
* **Answers.** The reply is a pure function of the prompt, so tests know the right answer:
  ``[[answer:XYZ]]`` in the last user message → ``"The answer is XYZ."``; ``[[echo]]`` → the
  message itself (without the marker); otherwise ``"OK."``. ``output_tokens`` pads (with
  ``" tok"``) or cuts that text to an exact length; ``max_tokens`` (or
  ``max_completion_tokens``) caps reasoning + content (``finish_reason="length"``);
  ``ignore_eos`` makes the output exactly ``max_tokens`` long (``"length"``, as vLLM reports);
  ``min_tokens`` pads it to at least that. ``[[finish:length]]`` forces ``"length"``. The
  sample id marker ``[[id:...]]`` stays in an echo; only ``[[echo]]`` is removed.
* **Faults.** 429, 500, stall, truncate and malformed responses are injected with probability
  ``fault_rate``, decided by a hash of (seed, request body, attempt number for that body), so a
  run is reproducible even when requests race, and a retried request always succeeds after
  ``max_faults_per_request`` faulted attempts. Only requests that pass the auth, model and
  rate-limit checks count as attempts, so rate limiting does not shift the fault sequence.
  ``POST /_reset`` forgets attempts too, so a replayed workload meets the same faults.
* **Accounting.** ``/_stats`` counts requests, statuses, faults, and completed responses per
  request-body hash and per sample id (``[[id:...]]`` in the prompt, which wins, or an
  ``X-Baimo-Sample`` header), which is what "every sample was answered exactly once" tests
  check.

Tokens are whitespace-preserving word pieces (``tokenize``, which is
``baimo.perf.tokenizer.word_pieces``: the perf layer's ``words`` tokenizer counts exactly what
this server sends): ``"The answer is 4."`` is the four
tokens ``"The" " answer" " is" " 4."``. ``usage.completion_tokens`` is exactly the number of
tokens the server sent (reasoning tokens included, as in OpenAI's API, and also reported in
``completion_tokens_details.reasoning_tokens``); ``usage.prompt_tokens`` is the number of
whitespace-separated words in all messages (or in the prompt for ``/v1/completions``).

It is built to never be the bottleneck: aiohttp with access logging off, orjson, byte chunks
assembled from pre-encoded pieces, no per-request logging. uvloop is opt-in (``uvloop=True``,
``--uvloop``), not automatic: its clock and timers have millisecond resolution (``loop.time()``
is ``uv_now()`` in ms), which measured 2-3 ms mean and up to 35 ms worst send lateness against
0.8 ms (11 µs with ``spin_s``) on the default loop. Timing truth matters more here than the
~25% more requests per CPU-second that uvloop gives.

Run it in-process (a background thread with its own event loop)::

    with MockServer(MockConfig(ttft_s=0.2, itl_s=0.02, output_tokens=100)) as srv:
        client = SomeClient(base_url=srv.base_url)   # "http://127.0.0.1:PORT/v1"
        ...
        assert srv.stats()["completed"] == 10

or as a separate process, which benchmarks need so the server does not share the client's GIL
(and kill tests need so the server outlives its client)::

    python -m baimo.testing.mockserver --port 0 --ttft 0.2 --itl 0.02 --output-tokens 100
    # prints "listening http://127.0.0.1:PORT/v1"

    with spawn_mockserver(MockConfig(itl_s=0.01)) as srv:
        ... srv.base_url ... srv.stats()
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import functools
import hashlib
import importlib
import itertools
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self, TypedDict, cast

import orjson
from aiohttp import web

from baimo.errors import MissingDependency
from baimo.perf.tokenizer import word_pieces as tokenize

__all__ = [
    "DEFAULT_MODEL",
    "FAULT_KINDS",
    "FILLER_TOKEN",
    "STATE_KEY",
    "MockConfig",
    "MockProcess",
    "MockServer",
    "MockStats",
    "arg_parser",
    "config_from_args",
    "config_to_argv",
    "create_app",
    "fault_for",
    "main",
    "request_hash",
    "spawn_mockserver",
    "tokenize",
]

FAULT_KINDS: Final[tuple[str, ...]] = ("429", "500", "stall", "truncate", "malformed")
"""Every fault the server can inject, in the order used when ``fault_kinds`` is not given."""

FILLER_TOKEN: Final = " tok"
"""The token used to pad an answer to ``output_tokens``, ``min_tokens`` or ``max_tokens``."""

DEFAULT_MODEL: Final = "mock"
"""The model id listed by ``/v1/models`` when the config accepts any model (``"*"``)."""

_ANSWER_RE: Final = re.compile(r"\[\[answer:(.+?)\]\]", re.DOTALL)
_ID_RE: Final = re.compile(r"\[\[id:([^\]]+)\]\]")
_ECHO_MARK: Final = "[[echo]]"
_FINISH_LENGTH_MARK: Final = "[[finish:length]]"
_SAMPLE_HEADER: Final = "X-Baimo-Sample"
_LISTEN_PREFIX: Final = "listening "
_WINDOW_S: Final = 60.0


# --------------------------------------------------------------------------- configuration


@dataclass
class MockConfig:
    """How the server behaves. Every field can be changed at run time with ``update``.

    Attributes:
        ttft_s: Delay from the request's arrival to the first chunk (reasoning or content).
        itl_s: Delay between consecutive chunks. 0 sends every chunk in one write, which is
            the fastest way to deliver them and so measures pure client overhead.
        tokens_per_chunk: Tokens per SSE chunk. Providers batch tokens, so clients must not
            assume one token per chunk; this lets tests check that.
        output_tokens: Exact length of the natural answer in tokens (padded with
            ``FILLER_TOKEN`` or cut); None keeps the answer's own length.
        reasoning: Stream ``reasoning_text`` as ``reasoning_content`` deltas before the
            content, like DeepSeek-R1/QwQ-style APIs, so reasoning handling can be tested.
        reasoning_text: The reasoning that is streamed when ``reasoning`` is true.
        models: Accepted model ids; ``"*"`` accepts any. Others get a 404
            ``model_not_found`` error, as OpenAI returns.
        api_key: If set, ``Authorization: Bearer <api_key>`` is required (else 401).
        rpm_limit: Requests accepted per rolling 60 s window; beyond it, 429 with a
            ``Retry-After`` header saying when the oldest request leaves the window.
        fault_rate: Probability that an attempt (below ``max_faults_per_request``) is faulted.
        fault_kinds: Faults to choose from, each equally likely (see ``FAULT_KINDS``).
        seed: Seed of the fault decisions; same seed and same requests → same faults.
        max_faults_per_request: Attempts of one request body that may be faulted; later
            attempts always succeed, so a client that retries enough always finishes.
        retry_after_s: ``Retry-After`` value (seconds, may be fractional) on injected 429s.
        stall_s: How long a "stall" fault waits before answering; longer than any sane
            client timeout so that the timeout is what ends the request.
        spin_s: Busy-wait (yielding to the loop) for the last ``spin_s`` seconds before each
            scheduled send. The event loop's timers wake up to ~1 ms late (epoll has
            millisecond resolution), which is the whole error budget of a calibration run;
            spinning makes sends sub-millisecond exact at the cost of CPU. Use ~0.002 for
            calibration at low concurrency, 0 for throughput benchmarks.
    """

    ttft_s: float = 0.0
    itl_s: float = 0.0
    tokens_per_chunk: int = 1
    output_tokens: int | None = None
    reasoning: bool = False
    reasoning_text: str = "Let me think."
    models: list[str] = field(default_factory=lambda: ["*"])
    api_key: str | None = None
    rpm_limit: int | None = None
    fault_rate: float = 0.0
    fault_kinds: list[str] = field(default_factory=lambda: list(FAULT_KINDS))
    seed: int = 0
    max_faults_per_request: int = 2
    retry_after_s: float = 0.05
    stall_s: float = 30.0
    spin_s: float = 0.0

    def __post_init__(self) -> None:
        """Reject impossible settings early, where the mistake is made, not mid-benchmark."""
        if min(self.ttft_s, self.itl_s, self.stall_s, self.retry_after_s, self.spin_s) < 0:
            raise ValueError("ttft_s, itl_s, stall_s, retry_after_s and spin_s must be >= 0")
        if self.tokens_per_chunk < 1:
            raise ValueError("tokens_per_chunk must be >= 1")
        if self.output_tokens is not None and self.output_tokens < 0:
            raise ValueError("output_tokens must be >= 0 or None")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        unknown = [k for k in self.fault_kinds if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; choose from {list(FAULT_KINDS)}")
        if self.rpm_limit is not None and self.rpm_limit < 1:
            raise ValueError("rpm_limit must be >= 1 or None")
        if self.max_faults_per_request < 0:
            raise ValueError("max_faults_per_request must be >= 0")
        self.models = list(self.models)
        self.fault_kinds = list(self.fault_kinds)


class MockStats(TypedDict):
    """A snapshot of the server's counters (the JSON of ``GET /_stats``).

    Only the completion endpoints (``/v1/chat/completions`` and ``/v1/completions``) are
    counted, so the numbers describe the traffic of the eval or benchmark under test.
    """

    requests: int
    """Requests received, whatever their outcome."""
    by_status: dict[str, int]
    """Responses by HTTP status code (as a string, because JSON keys are strings)."""
    faults: dict[str, int]
    """Injected faults by kind."""
    rate_limited: int
    """Requests refused by ``rpm_limit`` (these are also in ``by_status["429"]``)."""
    completed: int
    """Successful responses written to the end (``[DONE]`` sent, or the full JSON body)."""
    completed_by_hash: dict[str, int]
    """Completed responses per ``request_hash`` of the request body."""
    completed_by_sample: dict[str, int]
    """Completed responses per sample id (``[[id:...]]`` marker or ``X-Baimo-Sample``)."""
    requests_by_sample: dict[str, int]
    """Requests (attempts) per sample id that passed auth, model and rate-limit checks."""
    disconnected: int
    """Requests whose client went away before the response was complete."""
    in_flight: int
    """Requests being handled now."""
    max_in_flight: int
    """Highest number of requests handled at the same time since the last reset."""
    prompt_tokens: int
    """Sum of ``usage.prompt_tokens`` over completed responses."""
    completion_tokens: int
    """Sum of ``usage.completion_tokens`` over completed responses."""
    lag_writes: int
    """Scheduled writes (chunks, or whole non-stream responses) whose lateness was measured."""
    lag_mean_s: float
    """Mean lateness of scheduled writes versus their ideal time, measured by the server.

    This is the server's own share of any timing error; a client's measured TTFT/ITL minus
    the configured values minus this lag is the client's own error.
    """
    lag_max_s: float
    """Largest lateness of a scheduled write."""


# --------------------------------------------------------------------------- pure policy


def request_hash(payload: Mapping[str, Any]) -> str:
    """The key under which a request body is counted and fault-decided.

    The body is canonicalised (sorted keys, compact), so the hash depends on what was asked,
    not on how a client library happened to serialise it; a test can compute it from the
    payload it sends.
    """
    canonical = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(canonical, digest_size=8).hexdigest()


def fault_for(config: MockConfig, req_hash: str, attempt: int) -> str | None:
    """The fault (or None) for the ``attempt``-th arrival (0-based) of a request body.

    Why a hash and not a shared RNG: a shared RNG hands out faults in arrival order, which
    changes with concurrency and timing. Hashing (seed, body, attempt) gives each request the
    same fate in every run, and bounding ``attempt`` guarantees that retries succeed.
    """
    kinds = config.fault_kinds
    if attempt >= config.max_faults_per_request or config.fault_rate <= 0.0 or not kinds:
        return None
    digest = hashlib.blake2b(
        f"{config.seed}:{req_hash}:{attempt}".encode(), digest_size=16
    ).digest()
    if int.from_bytes(digest[:8], "big") / 2.0**64 >= config.fault_rate:
        return None
    return kinds[int.from_bytes(digest[8:], "big") % len(kinds)]


def _message_text(content: Any) -> str:
    """Text of an OpenAI message ``content``: a string, or a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p
        )
    return ""


@dataclass(slots=True)
class _Plan:
    """What one response will contain; computed before anything is sent."""

    reasoning: list[str]
    content: list[str]
    finish_reason: str
    prompt_tokens: int

    @property
    def completion_tokens(self) -> int:
        return len(self.reasoning) + len(self.content)


def _fit(tokens: list[str], n: int) -> list[str]:
    """Cut or pad (with ``FILLER_TOKEN``) a token list to exactly ``n`` tokens."""
    if len(tokens) >= n:
        return tokens[:n]
    return tokens + [FILLER_TOKEN] * (n - len(tokens))


def _opt_int(body: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return max(0, value)
    return None


def _plan(
    config: MockConfig, body: Mapping[str, Any], user_text: str, prompt_tokens: int, chat: bool
) -> _Plan:
    """Apply the answer policy (see the module docstring) to one request."""
    match = _ANSWER_RE.search(user_text)
    if match:
        content = tokenize(f"The answer is {match.group(1).strip()}.")
    elif _ECHO_MARK in user_text:
        content = tokenize(user_text.replace(_ECHO_MARK, "").strip())
    else:
        content = ["OK."]
    if config.output_tokens is not None:
        content = _fit(content, config.output_tokens)
    reasoning = tokenize(config.reasoning_text) if config.reasoning and chat else []

    finish = "stop"
    min_tokens = _opt_int(body, "min_tokens")
    if min_tokens is not None and len(reasoning) + len(content) < min_tokens:
        content = _fit(content, min_tokens - len(reasoning))
    max_tokens = _opt_int(body, "max_completion_tokens", "max_tokens")
    if max_tokens is not None:
        if body.get("ignore_eos") is True:
            # With the end-of-sequence ignored only the cap ends generation, so vLLM reports
            # "length" even when the natural answer would have fit.
            content = _fit(content, max(0, max_tokens - len(reasoning)))
            finish = "length"
        if len(reasoning) + len(content) > max_tokens:
            finish = "length"
            reasoning = reasoning[:max_tokens]
            content = content[: max_tokens - len(reasoning)]
    if _FINISH_LENGTH_MARK in user_text:
        finish = "length"
    return _Plan(reasoning, content, finish, prompt_tokens)


# --------------------------------------------------------------------------- server state


class _State:
    """Config, counters and fault bookkeeping; touched only from the server's event loop."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.ids = itertools.count(1)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.reset()

    def reset(self) -> None:
        """Forget counters, attempt history and the rate-limit window.

        The attempt history is reset too, so that replaying the same workload after a reset
        meets exactly the same faults.
        """
        self.requests = 0
        self.by_status: collections.Counter[str] = collections.Counter()
        self.faults: collections.Counter[str] = collections.Counter()
        self.rate_limited = 0
        self.completed = 0
        self.completed_by_hash: collections.Counter[str] = collections.Counter()
        self.completed_by_sample: collections.Counter[str] = collections.Counter()
        self.requests_by_sample: collections.Counter[str] = collections.Counter()
        self.attempts: collections.Counter[str] = collections.Counter()
        self.disconnected = 0
        # in_flight is a gauge, not a counter: requests running across a reset still finish.
        self.in_flight: int = getattr(self, "in_flight", 0)
        self.max_in_flight = self.in_flight
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.lag_writes = 0
        self.lag_sum = 0.0
        self.lag_max = 0.0
        self.window: collections.deque[float] = collections.deque()

    def lag(self, late: float) -> None:
        """Record how late a scheduled write is leaving (``late`` < 0 counts as on time)."""
        late = max(0.0, late)
        self.lag_writes += 1
        self.lag_sum += late
        if late > self.lag_max:
            self.lag_max = late

    def snapshot(self) -> MockStats:
        return MockStats(
            requests=self.requests,
            by_status=dict(self.by_status),
            faults=dict(self.faults),
            rate_limited=self.rate_limited,
            completed=self.completed,
            completed_by_hash=dict(self.completed_by_hash),
            completed_by_sample=dict(self.completed_by_sample),
            requests_by_sample=dict(self.requests_by_sample),
            disconnected=self.disconnected,
            in_flight=self.in_flight,
            max_in_flight=self.max_in_flight,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            lag_writes=self.lag_writes,
            lag_mean_s=self.lag_sum / self.lag_writes if self.lag_writes else 0.0,
            lag_max_s=self.lag_max,
        )

    def rate_limit_wait(self, now: float) -> float | None:
        """Admit a request into the rolling window, or say how long until one would fit."""
        limit = self.config.rpm_limit
        if limit is None:
            return None
        window = self.window
        while window and window[0] <= now - _WINDOW_S:
            window.popleft()
        if len(window) >= limit:
            return max(0.001, window[0] + _WINDOW_S - now)
        window.append(now)
        return None


STATE_KEY: Final = web.AppKey("baimo_mock_state", _State)


# --------------------------------------------------------------------------- wire helpers


def _error(
    status: int, message: str, err_type: str, code: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    body = orjson.dumps(
        {"error": {"message": message, "type": err_type, "param": None, "code": code}}
    )
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


def _retry_headers(seconds: float) -> dict[str, str]:
    """``Retry-After`` in (possibly fractional) seconds, plus OpenAI's ``retry-after-ms``."""
    return {
        "Retry-After": f"{seconds:.3f}".rstrip("0").rstrip("."),
        "retry-after-ms": str(max(1, round(seconds * 1000))),
    }


@functools.lru_cache(maxsize=4096)
def _js(text: str) -> bytes:
    """JSON-encode a chunk text; cached because filler chunks repeat endlessly."""
    return orjson.dumps(text)


def _set_result(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


async def _sleep_until(loop: asyncio.AbstractEventLoop, when: float, spin: float = 0.0) -> None:
    """Sleep until an absolute ``loop.time()``; absolute deadlines keep the schedule exact.

    With ``spin`` > 0 the timer fires ``spin`` seconds early and the rest is spent yielding
    to the loop until the deadline (see ``MockConfig.spin_s``).
    """
    if spin > 0.0:
        await _sleep_until(loop, when - spin)
        while loop.time() < when:
            await asyncio.sleep(0)
        return
    if when <= loop.time():
        return
    fut: asyncio.Future[None] = loop.create_future()
    handle = loop.call_at(when, _set_result, fut)
    try:
        await fut
    finally:
        if not fut.done() or fut.cancelled():  # cancelled while waiting: drop the timer
            handle.cancel()


def _usage(plan: _Plan) -> dict[str, Any]:
    return {
        "prompt_tokens": plan.prompt_tokens,
        "completion_tokens": plan.completion_tokens,
        "total_tokens": plan.prompt_tokens + plan.completion_tokens,
        "completion_tokens_details": {"reasoning_tokens": len(plan.reasoning)},
    }


def _groups(tokens: list[str], size: int) -> list[str]:
    return ["".join(tokens[i : i + size]) for i in range(0, len(tokens), size)]


class _Wire:
    """Pre-encoded SSE pieces of one response; each chunk is a few byte concatenations."""

    def __init__(self, chat: bool, rid: str, created: int, model: str) -> None:
        obj = b"chat.completion.chunk" if chat else b"text_completion"
        self.chat = chat
        self.common = (
            b'{"id":"'
            + rid.encode()
            + b'","object":"'
            + obj
            + b'","created":'
            + str(created).encode()
            + b',"model":'
            + orjson.dumps(model)
            + b","
        )
        self.head = (
            b"data: "
            + self.common
            + (b'"choices":[{"index":0,"delta":{' if chat else b'"choices":[{"index":0,"text":')
        )

    def chunk(self, text: str, reasoning: bool, first: bool) -> bytes:
        if self.chat:
            role = b'"role":"assistant",' if first else b""
            key = b'"reasoning_content":' if reasoning else b'"content":'
            return (
                self.head
                + role
                + key
                + _js(text)
                + b'},"logprobs":null,"finish_reason":null}]}\n\n'
            )
        return self.head + _js(text) + b',"logprobs":null,"finish_reason":null}]}\n\n'

    def finish(self, reason: str, first: bool) -> bytes:
        if self.chat:
            role = b'"role":"assistant","content":""' if first else b""
            return (
                self.head
                + role
                + b'},"logprobs":null,"finish_reason":"'
                + reason.encode()
                + b'"}]}\n\n'
            )
        return self.head + b'"","logprobs":null,"finish_reason":"' + reason.encode() + b'"}]}\n\n'

    def usage(self, plan: _Plan) -> bytes:
        return (
            b"data: "
            + self.common
            + b'"choices":[],"usage":'
            + orjson.dumps(_usage(plan))
            + b"}\n\n"
        )


_DONE: Final = b"data: [DONE]\n\n"
_MALFORMED: Final = b'data: {"choices": [\n\n'


# --------------------------------------------------------------------------- handlers


class _Request:
    """The parsed, validated essentials of one completion request."""

    __slots__ = ("body", "chat", "include_usage", "model", "plan", "sample", "stream")

    def __init__(self, body: dict[str, Any], chat: bool, plan: _Plan, sample: str | None) -> None:
        self.body = body
        self.chat = chat
        self.model = str(body.get("model", DEFAULT_MODEL))
        self.plan = plan
        self.sample = sample
        self.stream = body.get("stream") is True
        opts = body.get("stream_options")
        self.include_usage = isinstance(opts, dict) and opts.get("include_usage") is True


def _parse(
    config: MockConfig, body: dict[str, Any], chat: bool, header_sample: str | None
) -> _Request | str:
    """Extract the prompt and plan the answer, or return an error message for a 400."""
    if chat:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "'messages' must be a non-empty list"
        texts = [_message_text(m.get("content")) if isinstance(m, dict) else "" for m in messages]
        user_idx = [
            i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "user"
        ]
        user_text = texts[user_idx[-1]] if user_idx else texts[-1]
        all_texts = texts
    else:
        prompt = body.get("prompt")
        if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt) and prompt:
            prompt = "\n".join(prompt)
        if not isinstance(prompt, str):
            return "'prompt' must be a string"
        user_text = prompt
        all_texts = [prompt]
    prompt_tokens = sum(len(t.split()) for t in all_texts)
    sample = header_sample
    match = _ID_RE.search(user_text) or _ID_RE.search("\n".join(all_texts))
    if match:
        sample = match.group(1)
    return _Request(body, chat, _plan(config, body, user_text, prompt_tokens, chat), sample)


async def _handle_completion(request: web.Request, chat: bool) -> web.StreamResponse:
    """Shared entry of both completion endpoints: checks, fault decision, then serving."""
    state = request.app[STATE_KEY]
    loop = asyncio.get_running_loop()
    start = loop.time()
    state.requests += 1
    state.in_flight += 1
    state.max_in_flight = max(state.max_in_flight, state.in_flight)
    task = asyncio.current_task()
    if task is not None:
        state.tasks.add(task)
    try:
        resp = await _serve(request, state, state.config, chat, loop, start)
    except asyncio.CancelledError:
        # The client disconnected (aiohttp cancels the handler), typically a timeout.
        state.disconnected += 1
        raise
    finally:
        state.in_flight -= 1
        state.tasks.discard(task)
    return resp


async def _serve(
    request: web.Request,
    state: _State,
    cfg: MockConfig,
    chat: bool,
    loop: asyncio.AbstractEventLoop,
    start: float,
) -> web.StreamResponse:
    if cfg.api_key is not None and request.headers.get("Authorization") != f"Bearer {cfg.api_key}":
        state.by_status["401"] += 1
        return _error(
            401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
        )
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        state.by_status["400"] += 1
        return _error(
            400, "The body must be a JSON object.", "invalid_request_error", "invalid_json"
        )
    model = body.get("model")
    if "*" not in cfg.models and model not in cfg.models:
        state.by_status["404"] += 1
        return _error(
            404,
            f"The model '{model}' does not exist or you do not have access to it.",
            "invalid_request_error",
            "model_not_found",
        )
    parsed = _parse(cfg, body, chat, request.headers.get(_SAMPLE_HEADER))
    if isinstance(parsed, str):
        state.by_status["400"] += 1
        return _error(400, parsed, "invalid_request_error", "invalid_request")
    wait = state.rate_limit_wait(start)
    if wait is not None:
        state.rate_limited += 1
        state.by_status["429"] += 1
        return _error(
            429,
            f"Rate limit reached: {cfg.rpm_limit} requests per minute. "
            f"Please try again in {wait:.3f}s.",
            "requests",
            "rate_limit_exceeded",
            _retry_headers(wait),
        )

    req_hash = request_hash(body)
    attempt = state.attempts[req_hash]
    state.attempts[req_hash] = attempt + 1
    if parsed.sample is not None:
        state.requests_by_sample[parsed.sample] += 1
    fault = fault_for(cfg, req_hash, attempt)
    if fault is not None:
        state.faults[fault] += 1
        if fault == "429":
            state.by_status["429"] += 1
            return _error(
                429,
                "Rate limit reached (injected fault). Please try again later.",
                "requests",
                "rate_limit_exceeded",
                _retry_headers(cfg.retry_after_s),
            )
        if fault == "500":
            state.by_status["500"] += 1
            return _error(
                500, "The server had an error (injected fault).", "server_error", "internal_error"
            )
        if fault == "stall":
            await _sleep_until(loop, start + cfg.stall_s)
            start = loop.time()
            fault = None  # a stall that nobody gave up on is then answered normally

    rid = f"{'chatcmpl' if chat else 'cmpl'}-mock{next(state.ids)}"
    if parsed.stream:
        wire = _Wire(chat, rid, int(time.time()), parsed.model)
        done = await _stream(request, state, cfg, parsed, wire, fault, loop, start)
    else:
        done = await _respond(request, state, cfg, parsed, rid, fault, loop, start)
    if done[1]:
        state.completed += 1
        state.completed_by_hash[req_hash] += 1
        if parsed.sample is not None:
            state.completed_by_sample[parsed.sample] += 1
        state.prompt_tokens += parsed.plan.prompt_tokens
        state.completion_tokens += parsed.plan.completion_tokens
    return done[0]


def _abort(request: web.Request) -> None:
    """Close the connection without finishing the response, as a crashing server would."""
    transport = request.transport
    if transport is not None:
        transport.close()


async def _stream(
    request: web.Request,
    state: _State,
    cfg: MockConfig,
    req: _Request,
    wire: _Wire,
    fault: str | None,
    loop: asyncio.AbstractEventLoop,
    start: float,
) -> tuple[web.StreamResponse, bool]:
    """Send an SSE response on schedule; returns (response, completed)."""
    resp = web.StreamResponse(
        status=200, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    plan = req.plan
    state.by_status["200"] += 1
    try:
        # Headers go out at once, as real servers do, so time-to-first-byte and
        # time-to-first-chunk are distinguishable.
        await resp.prepare(request)
        first_at = start + cfg.ttft_s
        spin = cfg.spin_s
        if fault == "malformed":
            await _sleep_until(loop, first_at, spin)
            await resp.write(_MALFORMED)
            _abort(request)
            return resp, False

        size = cfg.tokens_per_chunk
        chunks: list[bytes] = []
        for text in _groups(plan.reasoning, size):
            chunks.append(wire.chunk(text, True, not chunks))
        for text in _groups(plan.content, size):
            chunks.append(wire.chunk(text, False, not chunks))
        if fault == "truncate":
            chunks = chunks[: max(1, len(chunks) // 2)]
            tail = b""
        else:
            tail = wire.finish(plan.finish_reason, not chunks)
            if req.include_usage:
                tail += wire.usage(plan)
            tail += _DONE

        itl = cfg.itl_s
        n = len(chunks)
        if itl <= 0.0 or n <= 1:
            await _sleep_until(loop, first_at, spin)
            state.lag(loop.time() - first_at)
            await resp.write(b"".join(chunks) + tail)
        else:
            i = 0
            while i < n:
                when = first_at + i * itl
                if when > loop.time():
                    await _sleep_until(loop, when, spin)
                # Chunks already overdue (server behind schedule) leave in the same write.
                now = loop.time()
                state.lag(now - when)
                j = i + 1
                while j < n and first_at + j * itl <= now:
                    j += 1
                data = b"".join(chunks[i:j]) if j - i > 1 else chunks[i]
                if j == n:
                    data += tail
                await resp.write(data)
                i = j
        if fault == "truncate":
            _abort(request)
            return resp, False
        await resp.write_eof()
    except ConnectionError:
        state.disconnected += 1
        return resp, False
    return resp, True


async def _respond(
    request: web.Request,
    state: _State,
    cfg: MockConfig,
    req: _Request,
    rid: str,
    fault: str | None,
    loop: asyncio.AbstractEventLoop,
    start: float,
) -> tuple[web.StreamResponse, bool]:
    """Send a whole JSON response when the stream would have ended; (response, completed)."""
    plan = req.plan
    size = cfg.tokens_per_chunk
    n_chunks = math.ceil(len(plan.reasoning) / size) + math.ceil(len(plan.content) / size)
    due = start + cfg.ttft_s + max(0, n_chunks - 1) * cfg.itl_s
    await _sleep_until(loop, due, cfg.spin_s)
    state.lag(loop.time() - due)
    text = "".join(plan.content)
    if req.chat:
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if plan.reasoning:
            message["reasoning_content"] = "".join(plan.reasoning)
        choice: dict[str, Any] = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": plan.finish_reason,
        }
        obj = "chat.completion"
    else:
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": plan.finish_reason}
        obj = "text_completion"
    body = orjson.dumps(
        {
            "id": rid,
            "object": obj,
            "created": int(time.time()),
            "model": req.model,
            "choices": [choice],
            "usage": _usage(plan),
        }
    )
    state.by_status["200"] += 1
    if fault == "malformed":
        return web.Response(body=b'{"choices": [', content_type="application/json"), False
    if fault == "truncate":
        resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        resp.content_length = len(body)
        try:
            await resp.prepare(request)
            await resp.write(body[: len(body) // 2])
        except ConnectionError:
            state.disconnected += 1
        _abort(request)
        return resp, False
    resp = web.Response(body=body, content_type="application/json")
    try:
        # Written here rather than by aiohttp after return, so "completed" means delivered.
        await resp.prepare(request)
        await resp.write_eof()
    except ConnectionError:
        state.disconnected += 1
        return resp, False
    return resp, True


async def _chat(request: web.Request) -> web.StreamResponse:
    return await _handle_completion(request, chat=True)


async def _completions(request: web.Request) -> web.StreamResponse:
    return await _handle_completion(request, chat=False)


async def _models(request: web.Request) -> web.Response:
    cfg = request.app[STATE_KEY].config
    if cfg.api_key is not None and request.headers.get("Authorization") != f"Bearer {cfg.api_key}":
        return _error(
            401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
        )
    ids = [m for m in cfg.models if m != "*"] or [DEFAULT_MODEL]
    data = [{"id": m, "object": "model", "created": 0, "owned_by": "baimo"} for m in ids]
    return web.Response(
        body=orjson.dumps({"object": "list", "data": data}), content_type="application/json"
    )


async def _health(request: web.Request) -> web.Response:
    return web.Response(body=b'{"status":"ok"}', content_type="application/json")


async def _stats(request: web.Request) -> web.Response:
    snap = request.app[STATE_KEY].snapshot()
    return web.Response(body=orjson.dumps(snap), content_type="application/json")


async def _reset(request: web.Request) -> web.Response:
    request.app[STATE_KEY].reset()
    return web.Response(body=b'{"status":"ok"}', content_type="application/json")


async def _config(request: web.Request) -> web.Response:
    """``POST /_config``: change settings of a running (e.g. subprocess) server."""
    state = request.app[STATE_KEY]
    try:
        changes = orjson.loads(await request.read())
        if not isinstance(changes, dict):
            raise TypeError("the body must be a JSON object")
        state.config = dataclasses.replace(state.config, **changes)
    except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
        return _error(400, str(exc), "invalid_request_error", "invalid_config")
    return web.Response(
        body=orjson.dumps(dataclasses.asdict(state.config)), content_type="application/json"
    )


def create_app(config: MockConfig | None = None) -> web.Application:
    """The aiohttp application, for embedding in another aiohttp server or test harness.

    The state lives at ``app[STATE_KEY]``; change ``.config`` there to reconfigure.
    """
    return _make_app(_State(config or MockConfig()))


def _make_app(state: _State) -> web.Application:
    app = web.Application(client_max_size=256 * 1024 * 1024)
    app[STATE_KEY] = state
    app.router.add_post("/v1/chat/completions", _chat)
    app.router.add_post("/v1/completions", _completions)
    app.router.add_get("/v1/models", _models)
    app.router.add_get("/health", _health)
    app.router.add_get("/_stats", _stats)
    app.router.add_post("/_reset", _reset)
    app.router.add_post("/_config", _config)
    return app


# --------------------------------------------------------------------------- running it


def _new_loop(use_uvloop: bool = False) -> asyncio.AbstractEventLoop:
    """The default asyncio loop, or uvloop on request (see the module docstring for why)."""
    if not use_uvloop:
        return asyncio.new_event_loop()
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        raise MissingDependency("uvloop", purpose="the mock server's --uvloop mode") from None
    return cast(asyncio.AbstractEventLoop, uvloop.new_event_loop())


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves so that port 0 yields the real port at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


async def _start(app: web.Application, sock: socket.socket) -> web.AppRunner:
    # handler_cancellation: a client that gives up (timeout on a stall) frees the handler.
    runner = web.AppRunner(
        app,
        access_log=None,
        handle_signals=False,
        handler_cancellation=True,
        shutdown_timeout=0.5,
    )
    await runner.setup()
    site = web.SockSite(runner, sock, backlog=4096)
    await site.start()
    return runner


async def _stop(runner: web.AppRunner, handlers: set[asyncio.Task[Any]]) -> None:
    """Stop listening, cut off in-flight requests, then let aiohttp clean up.

    Cancelling our handlers first keeps shutdown fast (a stall would otherwise hold it for
    aiohttp's timeout) and avoids an aiohttp race that logs ``InvalidStateError`` when many
    handlers are still running at shutdown.
    """
    for site in list(runner.sites):
        await site.stop()
    tasks = list(handlers)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await runner.cleanup()


def _root_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ThreadedServer:
    """An aiohttp app served on loopback from a background thread with its own event loop.

    The lifecycle every in-process test server shares (bind first so port 0 yields the real
    port at once, start the loop thread, wait until connections are accepted, stop and join).
    Subclasses give the app (``_make_app``, built afresh per start: an aiohttp app is bound to
    one loop for life) and how to stop it (``_shutdown``).
    """

    _kind = "server"  # for messages and the thread's name

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, uvloop: bool = False) -> None:
        self._uvloop = uvloop
        self._host = host
        self._req_port = port
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"the {self._kind} is not running; use it as a context manager")
        return self._port

    @property
    def root_url(self) -> str:
        """``http://host:port``."""
        return _root_url(self._host, self.port)

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://host:port/v1``."""
        return self.root_url + "/v1"

    def _make_app(self) -> web.Application:
        raise NotImplementedError

    async def _shutdown(self, runner: web.AppRunner) -> None:
        await runner.cleanup()

    def start(self) -> Self:
        """Bind, start the loop thread, and return once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError(f"the {self._kind} is already running")
        sock = _bind(self._host, self._req_port)
        self._port = sock.getsockname()[1]
        try:
            loop = _new_loop(self._uvloop)
        except BaseException:
            sock.close()
            self._port = None
            raise
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                runner = loop.run_until_complete(_start(self._make_app(), sock))
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._shutdown(runner))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._loop = loop
        name = "baimo-" + self._kind.replace(" ", "-")
        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            self._port = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop the server and join its thread; in-flight requests are cut off."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        self._thread = None
        self._loop = None
        self._port = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class MockServer(ThreadedServer):
    """The mock server in a background thread of this process, with its own event loop.

    Convenient for tests: no process to manage, and counters readable directly. For timing
    benchmarks prefer ``spawn_mockserver``; here the server shares the GIL with the client.
    ``root_url`` serves ``/health``, ``/_stats`` and ``/_reset`` too.

    Args:
        config: Behaviour; defaults to an instant, fault-free server accepting any model.
        host: Interface to listen on.
        port: Port; 0 (the default) binds a free one, readable as ``port`` once started.
        uvloop: Run on uvloop (must be installed). Faster, but its clock is only
            millisecond-accurate, so not for timing ground truth.
    """

    _kind = "mock server"

    def __init__(
        self,
        config: MockConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        uvloop: bool = False,
    ) -> None:
        super().__init__(host=host, port=port, uvloop=uvloop)
        self._state = _State(config or MockConfig())

    @property
    def config(self) -> MockConfig:
        return self._state.config

    def _make_app(self) -> web.Application:
        return _make_app(self._state)

    async def _shutdown(self, runner: web.AppRunner) -> None:
        await _stop(runner, self._state.tasks)

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the server loop: the counters are only ever touched from there."""
        loop = self._loop
        if loop is None:
            return fn()

        async def call() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=30)

    def stats(self) -> MockStats:
        """A snapshot of the counters (see ``MockStats``)."""
        return cast(MockStats, self._call(self._state.snapshot))

    def reset(self) -> None:
        """Zero the counters, the fault attempt history and the rate-limit window."""
        self._call(self._state.reset)

    def update(self, **changes: Any) -> MockConfig:
        """Change config fields (e.g. ``update(fault_rate=0)``); returns the new config."""
        new = dataclasses.replace(self._state.config, **changes)

        def assign() -> None:
            self._state.config = new

        self._call(assign)
        return new


def _http(url: str, data: bytes | None = None, timeout: float = 30.0) -> Any:
    """Tiny JSON-over-HTTP helper that ignores proxy settings (the server is local)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with opener.open(req, timeout=timeout) as resp:
        return orjson.loads(resp.read())


def config_to_argv(config: MockConfig) -> list[str]:
    """Command-line arguments that make ``python -m baimo.testing.mockserver`` use ``config``.

    Every value is attached with ``=`` so that values starting with ``-`` (an API key, say)
    are not mistaken for options.
    """
    argv = [
        f"--ttft={config.ttft_s!r}",
        f"--itl={config.itl_s!r}",
        f"--tokens-per-chunk={config.tokens_per_chunk}",
        f"--reasoning-text={config.reasoning_text}",
        f"--models={','.join(config.models)}",
        f"--fault-rate={config.fault_rate!r}",
        f"--fault-kinds={','.join(config.fault_kinds)}",
        f"--seed={config.seed}",
        f"--max-faults-per-request={config.max_faults_per_request}",
        f"--retry-after={config.retry_after_s!r}",
        f"--stall={config.stall_s!r}",
        f"--spin={config.spin_s!r}",
    ]
    if config.output_tokens is not None:
        argv.append(f"--output-tokens={config.output_tokens}")
    if config.reasoning:
        argv.append("--reasoning")
    if config.api_key is not None:
        argv.append(f"--api-key={config.api_key}")
    if config.rpm_limit is not None:
        argv.append(f"--rpm={config.rpm_limit}")
    return argv


class MockProcess:
    """Handle on a mock server running in a child process (see ``spawn_mockserver``).

    Mirrors ``MockServer``'s ``base_url``/``stats``/``reset``/``update`` so that tests and
    benchmarks can use either.
    """

    def __init__(self, process: subprocess.Popen[str], root_url: str) -> None:
        self.process = process
        self.root_url = root_url
        self.base_url = root_url + "/v1"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stats(self) -> MockStats:
        """The child's counters, via ``GET /_stats``."""
        return cast(MockStats, _http(self.root_url + "/_stats"))

    def reset(self) -> None:
        _http(self.root_url + "/_reset", b"{}")

    def update(self, **changes: Any) -> MockConfig:
        """Change config fields in the child, via ``POST /_config``."""
        return MockConfig(**_http(self.root_url + "/_config", orjson.dumps(changes)))

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the child (SIGTERM, then SIGKILL if it lingers)."""
        proc = self.process
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@contextlib.contextmanager
def spawn_mockserver(
    config: MockConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    uvloop: bool = False,
    startup_timeout: float = 30.0,
) -> Iterator[MockProcess]:
    """Run the mock server in a child process for the duration of a ``with`` block.

    Why a process: a benchmark client must not share its GIL and event loop with the server
    it measures, and a crash/kill test needs a server that outlives its client.

    Args:
        config: Behaviour, passed on the child's command line (``config_to_argv``).
        host: Interface to listen on.
        port: Port; 0 lets the child bind a free one and report it.
        uvloop: Run the child on uvloop (see ``MockServer``).
        startup_timeout: Seconds to wait for the child's ``listening`` line.

    Yields:
        A ``MockProcess`` with ``base_url`` and ``stats()``.

    Raises:
        RuntimeError: The child exited or did not report its address in time.
    """
    cfg = config or MockConfig()
    src = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    argv = [sys.executable, "-m", "baimo.testing.mockserver", "--host", host, "--port", str(port)]
    if uvloop:
        argv.append("--uvloop")
    proc = subprocess.Popen(
        argv + config_to_argv(cfg),
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    handle = MockProcess(proc, "")
    try:
        line = _read_line(proc, startup_timeout)
        if not line.startswith(_LISTEN_PREFIX):
            raise RuntimeError(f"mock server did not start (exit code {proc.poll()}): {line!r}")
        url = line[len(_LISTEN_PREFIX) :].strip()
        handle = MockProcess(proc, url.removesuffix("/v1"))
        yield handle
    finally:
        handle.stop()


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """Read the child's first stdout line, giving up after ``timeout`` seconds."""
    stdout = proc.stdout
    if stdout is None:
        raise RuntimeError("the mock server's stdout is not a pipe")
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not out:
        raise RuntimeError(f"mock server did not report its address within {timeout} s")
    return out[0]


# --------------------------------------------------------------------------- command line


def arg_parser() -> argparse.ArgumentParser:
    d = MockConfig()
    p = argparse.ArgumentParser(
        prog="python -m baimo.testing.mockserver",
        description="OpenAI-compatible mock server with known latency and injectable faults.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    p.add_argument("--ttft", type=float, default=d.ttft_s, help="seconds to the first chunk")
    p.add_argument("--itl", type=float, default=d.itl_s, help="seconds between chunks")
    p.add_argument("--tokens-per-chunk", type=int, default=d.tokens_per_chunk)
    p.add_argument("--output-tokens", type=int, default=None)
    p.add_argument("--reasoning", action="store_true")
    p.add_argument("--reasoning-text", default=d.reasoning_text)
    p.add_argument("--models", default="*", help="comma-separated model ids; * accepts any")
    p.add_argument("--api-key", default=None)
    p.add_argument("--rpm", type=int, default=None, help="requests per rolling minute")
    p.add_argument("--fault-rate", type=float, default=d.fault_rate)
    p.add_argument("--fault-kinds", default=",".join(FAULT_KINDS))
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--max-faults-per-request", type=int, default=d.max_faults_per_request)
    p.add_argument("--retry-after", type=float, default=d.retry_after_s)
    p.add_argument("--stall", type=float, default=d.stall_s)
    p.add_argument("--spin", type=float, default=d.spin_s, help="busy-wait before sends (s)")
    p.add_argument("--uvloop", action="store_true", help="faster, but ms-coarse timing")
    return p


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


async def _serve_forever(config: MockConfig, host: str, port: int) -> None:
    sock = _bind(host, port)
    app = create_app(config)
    runner = await _start(app, sock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print(f"{_LISTEN_PREFIX}{_root_url(host, sock.getsockname()[1])}/v1", flush=True)
    try:
        await stop.wait()
    finally:
        await _stop(runner, app[STATE_KEY].tasks)


def config_from_args(args: argparse.Namespace) -> MockConfig:
    """The ``MockConfig`` that parsed command-line arguments describe; undoes ``config_to_argv``.

    Raises:
        ValueError: A setting is out of range.
    """
    return MockConfig(
        ttft_s=args.ttft,
        itl_s=args.itl,
        tokens_per_chunk=args.tokens_per_chunk,
        output_tokens=args.output_tokens,
        reasoning=args.reasoning,
        reasoning_text=args.reasoning_text,
        models=_split(args.models),
        api_key=args.api_key,
        rpm_limit=args.rpm,
        fault_rate=args.fault_rate,
        fault_kinds=_split(args.fault_kinds),
        seed=args.seed,
        max_faults_per_request=args.max_faults_per_request,
        retry_after_s=args.retry_after,
        stall_s=args.stall,
        spin_s=args.spin,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m baimo.testing.mockserver``."""
    parser = arg_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        loop = _new_loop(args.uvloop)
    except MissingDependency as exc:
        parser.error(str(exc))
    try:
        loop.run_until_complete(_serve_forever(config, args.host, args.port))
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
