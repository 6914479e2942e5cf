"""What a provider returns, and how it fails.

Every provider turns chat messages into a ``Completion`` or raises a ``ProviderError``. The
error's ``kind`` drives the runner: rate limits pause the endpoint, transient faults are
retried with jitter, and ``fatal`` kinds (bad key, unknown model) stop that model only.

    ProviderError(kind=...)
    ├── rate-limit   429; ``retry_after`` from the server when it gave one      (retry)
    ├── server       5xx                                                         (retry)
    ├── timeout      no progress within ``timeout_s``                           (retry)
    ├── stream       the stream broke off or carried malformed data             (retry)
    ├── connection   could not connect / connection reset                       (retry)
    ├── deadline     the whole request took longer than ``limits.deadline``      (no retry)
    ├── over-length  the answer ran far past ``max_tokens`` (server ignores it)  (no retry)
    ├── bad-request  4xx other than the above: this sample will never succeed   (no retry)
    ├── auth         401/403: fatal for the model                               (stop model)
    └── not-found    404 (unknown model or path): fatal for the model           (stop model)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ErrorKind = Literal[
    "rate-limit", "server", "timeout", "stream", "connection", "deadline", "over-length",
    "bad-request", "auth", "not-found",
]
RETRYABLE: frozenset[str] = frozenset({"rate-limit", "server", "timeout", "stream", "connection"})
FATAL_FOR_MODEL: frozenset[str] = frozenset({"auth", "not-found"})


class ProviderError(Exception):
    """A request failed. The message is already redacted of secrets."""

    def __init__(self, kind: ErrorKind, message: str, *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    @property
    def fatal_for_model(self) -> bool:
        return self.kind in FATAL_FOR_MODEL

    def reason(self) -> str:
        """Short text for a result row: kind, HTTP status and message."""
        status = f" HTTP {self.status}" if self.status else ""
        return f"{self.kind}{status}: {self}"


@dataclass
class Usage:
    """Token counts. ``estimated`` is True when the server sent none and baimo counted."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False
    note: str | None = None
    """Why the server's counts were not used (e.g. "usage sent as strings"), if they were not."""


@dataclass
class Timing:
    """``time.perf_counter()`` stamps for one request (the perf layer builds on these).

    Chunk stamps are taken when the bytes arrive, before any parsing, so a slow parser cannot
    inflate latencies. ``chunk_times``/``chunk_texts`` hold content-bearing chunks only
    (reasoning and answer), and ``chunk_is_answer`` says which were answer text.
    """

    sent: float = 0.0
    first_byte: float | None = None
    first_token: float | None = None
    first_answer: float | None = None
    last_token: float | None = None
    done: float | None = None
    chunk_times: list[float] = field(default_factory=list)
    chunk_texts: list[str] = field(default_factory=list)
    chunk_is_answer: list[bool] = field(default_factory=list)


@dataclass
class Completion:
    """A model's answer with everything needed to score, cost and time it."""

    text: str
    reasoning: str
    finish_reason: str | None
    usage: Usage
    timing: Timing
    raw: dict[str, Any]
    model: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """Tool calls the model made (OpenAI ``tools`` format), already validated and, for a
    stream, merged from their pieces: ``{"id", "type": "function", "function": {"name",
    "arguments"}}`` with ``arguments`` the JSON text as the model wrote it. Parsing the
    arguments is the scorer's job: invalid JSON there is the model's mistake, not the wire's."""


class Provider(Protocol):
    """Anything that can answer chat messages."""

    async def complete(self, messages: list[dict[str, Any]], params: dict[str, Any]
                       ) -> Completion: ...

    async def aclose(self) -> None: ...


REDACTED = "***"
FRAGMENT = 8
"""Secrets are redacted down to fragments of this many characters: a server that echoes a
key's prefix (``sk-abcd1234…``) must not leave the prefix in an error row either."""

_URL_CREDENTIALS = re.compile(r"(?i)(://)[^/@\s]+@|([?&](?:api[_-]?key|key|token|access_token|"
                              r"secret|password|sig|signature)=)[^&#\s\"']+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@functools.lru_cache(maxsize=64)
def _fragments(secret: str) -> re.Pattern[str] | None:
    if len(secret) < FRAGMENT:
        return re.compile(re.escape(secret)) if secret else None
    grams = {secret[i:i + FRAGMENT] for i in range(len(secret) - FRAGMENT + 1)}
    return re.compile("|".join(re.escape(g) for g in sorted(grams)))


def redact(text: str, secrets: list[str] | tuple[str, ...]) -> str:
    """Remove every secret, and every run of ``FRAGMENT`` or more of its characters.

    Credentials in URLs (``user:pass@``, ``?key=``) are removed too. Always redact *before*
    cutting text short: a cut made first can leave a key minus its last characters.
    """
    for secret in secrets:
        pattern = _fragments(secret) if secret else None
        if pattern is None:
            continue
        spans = [m.span() for m in pattern.finditer(text)]
        if not spans:
            continue
        merged: list[list[int]] = []
        for a, b in spans:  # overlapping 8-grams of one echoed key become one span
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        out, last = [], 0
        for a, b in merged:
            out.append(text[last:a])
            out.append(REDACTED)
            last = b
        out.append(text[last:])
        text = "".join(out)
    return _URL_CREDENTIALS.sub(lambda m: (m.group(1) or m.group(2)) + REDACTED, text)


def clean_reason(text: str, secrets: list[str] | tuple[str, ...], limit: int = 300) -> str:
    """Redact, strip control characters (ANSI/OSC sequences), then cut to ``limit``."""
    text = _CONTROL.sub(" ", redact(text, secrets))
    return text if len(text) <= limit else text[:limit] + "…"


def estimate_tokens(text: str) -> int:
    """Rough token count when a server reports none: ~1 per CJK character, ~4 bytes otherwise.

    It is only a fallback and every use of it is marked ``estimated``; the perf layer counts
    with a real tokenizer where exactness matters.
    """
    if not text:
        return 0
    if text.isascii():  # the common case, without a pass per character: same count
        return max(1, (len(text) + 3) // 4)
    cjk = sum(1 for ch in text if "\u3000" <= ch <= "\u9fff" or "\uf900" <= ch <= "\uffef")
    rest = len(text.encode("utf-8")) - cjk * 3
    return cjk + max(1, (rest + 3) // 4) if rest > 0 else cjk
