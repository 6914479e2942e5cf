"""Per-endpoint admission control: concurrency, requests/minute, tokens/minute, 429 pauses.

Pacing matters more than caps. A server that enforces R requests per rolling minute rejects a
client that bursts R requests at once and then idles; a client that spaces them 60/R seconds
apart is never rejected and finishes N requests in N/R minutes. So the buckets here hold at
most one second's worth of tokens (and at least one request's), and sends are paced against
the clock.

On a 429 the whole endpoint pauses for the server's ``Retry-After`` (or a growing default) and
the concurrency limit is halved; it then grows back by one per ``recover_after`` successes
(additive increase, multiplicative decrease).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

_now = time.monotonic


def rate_limit_pause(retry_after: float | None, attempt: int) -> float:
    """How long an endpoint pauses after a 429: the server's ``Retry-After``, or a default
    that doubles with each attempt up to a minute."""
    return retry_after if retry_after is not None else min(60.0, 1.0 * 2 ** attempt)


class TokenBucket:
    """A bucket refilled at ``rate`` per second, holding at most ``capacity``.

    ``acquire(n)`` waits until ``n`` tokens are available. A request larger than the capacity
    is admitted when the bucket is full and leaves it in debt, so big requests are slowed but
    never starved.
    """

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = max(capacity, 1.0)
        self.tokens = 1.0  # start nearly empty: no burst at start-up beyond one request
        self.stamp = _now()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = _now()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    async def acquire(self, n: float = 1.0) -> None:
        async with self._lock:
            need = min(n, self.capacity)
            while True:
                self._refill()
                if self.tokens >= need:
                    self.tokens -= n
                    return
                await asyncio.sleep((need - self.tokens) / self.rate)

    def adjust(self, delta: float) -> None:
        """Correct an estimate after the fact (positive delta = more tokens were used)."""
        self._refill()
        self.tokens -= delta


class EndpointLimiter:
    """Admission for one endpoint. Use ``async with limiter.slot(tokens):`` around a request."""

    def __init__(self, concurrency: int, rpm: float | None = None, tpm: float | None = None,
                 recover_after: int = 20) -> None:
        self.max_concurrency = concurrency
        self.limit = concurrency
        self.in_flight = 0
        self.rpm = TokenBucket(rpm / 60.0, max(1.0, rpm / 60.0)) if rpm else None
        self.tpm = TokenBucket(tpm / 60.0, tpm / 60.0) if tpm else None
        self.paused_until = 0.0
        self.recover_after = recover_after
        self._successes = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.rate_limited = 0
        self.min_limit_seen = concurrency

    async def acquire(self, tokens: float = 0.0) -> None:
        while self.in_flight >= self.limit:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                if fut in self._waiters:
                    self._waiters.remove(fut)
                raise
        self.in_flight += 1
        try:
            while (delay := self.paused_until - _now()) > 0:
                await asyncio.sleep(delay)
            if self.rpm is not None:
                await self.rpm.acquire(1.0)
            if self.tpm is not None and tokens:
                await self.tpm.acquire(tokens)
            # A pause may have started while we waited on the buckets.
            while (delay := self.paused_until - _now()) > 0:
                await asyncio.sleep(delay)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        self.in_flight -= 1
        while self._waiters and self.in_flight < self.limit:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                break

    def on_success(self, token_delta: float = 0.0) -> None:
        if self.tpm is not None and token_delta:
            self.tpm.adjust(token_delta)
        if self.limit < self.max_concurrency:
            self._successes += 1
            if self._successes >= self.recover_after:
                self._successes = 0
                self.limit += 1
                self.release_waiters()

    def release_waiters(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)

    def on_rate_limit(self, retry_after: float | None, attempt: int) -> float:
        """Pause the endpoint and shrink concurrency. Returns the pause in seconds."""
        self.rate_limited += 1
        pause = rate_limit_pause(retry_after, attempt)
        self.paused_until = max(self.paused_until, _now() + pause)
        self.limit = max(1, self.limit // 2)
        self.min_limit_seen = min(self.min_limit_seen, self.limit)
        self._successes = 0
        return pause
