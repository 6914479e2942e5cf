"""One admission limit per endpoint for the whole cluster.

Why an actor: every shard has its own ``ModelClient`` with its own ``EndpointLimiter``, so
eight shards each pacing to an endpoint's 60 RPM send 480 RPM together and the provider
answers with 429s (or bills a burst). The limit must live in one place. ``EndpointGate`` is
a Ray actor holding the very ``EndpointLimiter`` a local run uses (concurrency, RPM and TPM
buckets, 429 pauses with the concurrency halved and grown back), and ``ClusterLimiter`` is
the shard-side stand-in with the same four calls (``acquire``, ``release``, ``on_success``,
``on_rate_limit``), each forwarded to the gate. A shard's client uses it unchanged.

Leases keep a lost worker from starving the endpoint: each admission is a lease held by a
named holder (one per worker process), and a thread in that process renews the holder every
``RENEW_S`` seconds, whatever its event loop is doing. A worker that dies stops renewing, and
the gate frees its leases ``holder_timeout_s`` later; without this, a killed worker's slots
would stay taken until the end of the sweep. A caller that gives up waiting (its request was
cancelled) cancels its lease by name, whether or not it was granted yet.

``ray`` is imported inside functions only: ``baimo`` must import without it.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import threading
import time
import weakref
from collections import deque
from typing import Any

import orjson

from baimo.config import ModelConfig
from baimo.models.limits import EndpointLimiter, rate_limit_pause

__all__ = ["ClusterLimiter", "EndpointGate", "endpoint_key", "make_gate"]

RENEW_S = 1.0
"""How often a worker process tells the gate it is alive."""
HOLDER_TIMEOUT_S = 10.0
"""Silence after which a holder is presumed dead and its leases are freed."""


def endpoint_key(cfg: ModelConfig) -> str:
    """Who shares a limit: the same key as the in-process client pool (identity plus the
    configured limits and key variable), hashed so that it can name an actor."""
    blob = cfg.identity() + ":" + orjson.dumps(cfg.public_dict(),
                                               option=orjson.OPT_SORT_KEYS).decode()
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class EndpointGate:
    """The state of one endpoint's admission (runs as a Ray actor; plain class for tests).

    Args:
        concurrency: Requests in flight at most, across the cluster.
        rpm, tpm: The endpoint's limits (None: unlimited).
        holder_timeout_s: A holder silent this long is presumed dead; its leases are freed.
    """

    def __init__(self, concurrency: int, rpm: float | None, tpm: float | None,
                 holder_timeout_s: float = HOLDER_TIMEOUT_S) -> None:
        self.limiter = EndpointLimiter(concurrency, rpm, tpm)
        self.holder_timeout_s = holder_timeout_s
        self.leases: dict[str, str] = {}  # lease -> holder
        self.seen: dict[str, float] = {}  # holder -> last sign of life
        self.cancelled: set[str] = set()
        self.granted = 0
        self.expired = 0
        self.max_in_flight = 0
        self._reaper: asyncio.Task[None] | None = None

    async def acquire(self, holder: str, lease: str, tokens: float) -> bool:
        """Admit one request under ``lease``; False when the lease was cancelled meanwhile."""
        self.seen[holder] = time.monotonic()
        if self._reaper is None:
            self._reaper = asyncio.get_running_loop().create_task(self._reap())
        if lease in self.cancelled:
            self.cancelled.discard(lease)
            return False
        await self.limiter.acquire(tokens)
        if lease in self.cancelled:
            self.cancelled.discard(lease)
            self.limiter.release()
            return False
        self.leases[lease] = holder
        self.seen[holder] = time.monotonic()
        self.granted += 1
        self.max_in_flight = max(self.max_in_flight, self.limiter.in_flight)
        return True

    def release(self, lease: str) -> None:
        if self.leases.pop(lease, None) is not None:
            self.limiter.release()

    def cancel(self, lease: str) -> None:
        """The caller stopped waiting: free the lease if granted, refuse it if not yet."""
        if lease in self.leases:
            self.release(lease)
        else:
            self.cancelled.add(lease)

    def renew(self, holder: str) -> None:
        self.seen[holder] = time.monotonic()

    def on_success(self, token_delta: float) -> None:
        self.limiter.on_success(token_delta)

    def on_rate_limit(self, retry_after: float | None, attempt: int) -> float:
        return self.limiter.on_rate_limit(retry_after, attempt)

    def stats(self) -> dict[str, Any]:
        lim = self.limiter
        return {"granted": self.granted, "in_flight": lim.in_flight, "limit": lim.limit,
                "max_in_flight": self.max_in_flight, "rate_limited": lim.rate_limited,
                "expired_leases": self.expired}

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            gone = time.monotonic() - self.holder_timeout_s
            for lease in [k for k, h in self.leases.items() if self.seen.get(h, 0.0) < gone]:
                self.expired += 1
                self.release(lease)


def make_gate(cfg: ModelConfig, concurrency: int,
              holder_timeout_s: float = HOLDER_TIMEOUT_S) -> Any:
    """Start the gate actor of ``cfg``'s endpoint (needs a connected Ray).

    It is placed near the driver when it can be (the driver's node survives a worker's
    loss) and restarts if its node dies anyway: a restarted gate starts with free buckets,
    which at worst admits one extra second's worth of requests.
    """
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = ray.get_runtime_context().get_node_id()
    actor = ray.remote(EndpointGate).options(
        num_cpus=0, max_concurrency=100_000, max_restarts=-1, max_task_retries=-1,
        scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=True))
    return actor.remote(concurrency, cfg.limits.rpm, cfg.limits.tpm, holder_timeout_s)


_lease_ids = itertools.count()


class ClusterLimiter(EndpointLimiter):
    """An ``EndpointLimiter`` whose state is the endpoint's gate actor (see module docstring).

    It keeps the local class's interface so that ``ModelClient`` uses it as it is; the local
    buckets of the parent class stay unused.
    """

    def __init__(self, gate: Any, concurrency: int) -> None:
        super().__init__(concurrency)
        self.gate = gate
        self._held: deque[str] = deque()
        self.holder = f"{os.getpid()}-{id(self):x}"
        self.closed = threading.Event()
        threading.Thread(target=_renew, args=(weakref.ref(self), gate, self.holder,
                                              self.closed),
                         name="baimo-gate-renew", daemon=True).start()

    def close(self) -> None:
        """Stop renewing (the shard is over; anything still held is the gate's to free)."""
        self.closed.set()

    async def acquire(self, tokens: float = 0.0) -> None:
        lease = f"{self.holder}-{next(_lease_ids)}"
        try:
            granted = await self.gate.acquire.remote(self.holder, lease, tokens)
        except BaseException:
            self.gate.cancel.remote(lease)
            raise
        if not granted:  # cannot happen unless cancelled; ask again rather than overrun
            await self.acquire(tokens)
            return
        self._held.append(lease)
        self.in_flight += 1

    def release(self) -> None:
        if self._held:
            self.in_flight -= 1
            self.gate.release.remote(self._held.popleft())

    def on_success(self, token_delta: float = 0.0) -> None:
        self.gate.on_success.remote(token_delta)

    def on_rate_limit(self, retry_after: float | None, attempt: int) -> float:
        # The gate pauses every shard; this caller's own retry then waits in ``acquire``.
        self.rate_limited += 1
        self.gate.on_rate_limit.remote(retry_after, attempt)
        return rate_limit_pause(retry_after, attempt)


def _renew(limiter: weakref.ref[ClusterLimiter], gate: Any, holder: str,
           closed: threading.Event) -> None:
    """Tell the gate this process is alive while its limiter is in use (a thread, so that a
    busy event loop, e.g. scoring in a sandbox, does not look like a dead worker)."""
    while limiter() is not None and not closed.is_set():
        try:
            gate.renew.remote(holder)
        except Exception:  # the gate is gone (the sweep ended): nothing left to renew
            return
        closed.wait(RENEW_S)
