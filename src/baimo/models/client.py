"""The one model client: every caller that asks a model goes through here.

Why one: before, the eval runner retried behind its own limiter and the judge kept a copy of
the retry loop behind a plain semaphore, so a judge ignored its endpoint's RPM/TPM and a model
that was both candidate and judge had two limiters on one endpoint. Now a ``ModelClient``
exists once per endpoint identity and event loop (``clients()`` hands out the shared one), and
it owns, for everybody who asks that endpoint:

* **admission** — the endpoint's ``EndpointLimiter`` (concurrency, RPM, TPM, 429 pauses);
* **retries** — transient kinds (429, 5xx, timeouts, broken streams, connection resets) are
  retried with full jitter; ``Retry-After`` is honoured up to ``limits.max_retry_after_s`` and a
  longer request fails the sample at once with the server's request in the reason;
* **cost** — every answer comes back priced from the model's configured prices;
* **lifecycle** — the provider (and the embedded engine behind it) opens on first use in the
  running loop and closes with the loop, or earlier through ``aclose()``.

``baimo perf`` keeps its own timing client, since it measures the wire rather than answers,
but shares presets, auth, the response validator and error classification through
``OpenAIProvider``.

Failure shape::

    CallFailed(reason, attempts, fatal)
    ├── fatal=True   401/403/404, a missing key or package: stop asking this model
    └── fatal=False  retries exhausted, a non-retryable answer (400, over-length), or a
                     Retry-After beyond the configured maximum: this sample is an error row
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from baimo.config import ModelConfig
from baimo.errors import BaimoError
from baimo.models.base import Completion, Provider, ProviderError, Timing, estimate_tokens
from baimo.models.limits import EndpointLimiter
from baimo.models.registry import open_provider

__all__ = ["Answer", "CallFailed", "ClientPool", "ModelClient", "clients"]

_perf = time.perf_counter


class CallFailed(Exception):
    """A model could not answer one request (see the module docstring for the shape).

    Attributes:
        reason: What happened, already redacted, for the error row.
        attempts: Requests made.
        fatal: True when asking this model again cannot help.
        error: The last provider error, when there was one.
    """

    def __init__(self, reason: str, attempts: int = 0, *, fatal: bool = False,
                 error: ProviderError | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.fatal = fatal
        self.error = error


@dataclass(frozen=True)
class Answer:
    """A completion with what it took: attempts, retries and price."""

    completion: Completion
    attempts: int
    cost: float
    currency: str

    @property
    def latency_s(self) -> float:
        t = self.completion.timing
        return (t.done or t.sent) - t.sent

    @property
    def ttft_s(self) -> float | None:
        t = self.completion.timing
        return None if t.first_token is None else t.first_token - t.sent


class ModelClient:
    """Asks one endpoint, on behalf of every caller in this event loop.

    Args:
        cfg: The model's config.
        concurrency: Requests in flight at most; defaults to ``cfg.limits.concurrency``.
        seed: Seed of the back-off jitter (tests and reproducible runs).
        retry_base_s: Base of the exponential back-off.
        provider: An already open provider to ask instead of opening one (its owner closes
            it); the limiter, retries and pricing still apply.
    """

    def __init__(self, cfg: ModelConfig, *, concurrency: int | None = None, seed: int = 0,
                 retry_base_s: float = 0.25, provider: Provider | None = None) -> None:
        self.cfg = cfg
        self.concurrency = concurrency or cfg.limits.concurrency
        self.limiter = EndpointLimiter(self.concurrency, cfg.limits.rpm, cfg.limits.tpm)
        self.retry_base_s = retry_base_s
        self.retries = 0
        self._rng = random.Random(seed)
        self._provider: Provider | None = provider
        self._ready: asyncio.Future[Provider] | None = None
        self._stop: asyncio.Event | None = None
        self._holder: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------
    async def _hold(self, ready: asyncio.Future[Provider], stop: asyncio.Event) -> None:
        # Why a task: a caller that awaits answers knows nothing about closing the client;
        # ``asyncio.run`` cancels and awaits pending tasks before closing its loop, which runs
        # the provider's cleanup (and stops an embedded engine) in the right loop and order
        # even when nobody calls ``aclose()``.
        try:
            async with open_provider(self.cfg, pool_size=self.concurrency) as provider:
                if not ready.done():
                    ready.set_result(provider)
                await stop.wait()
        except asyncio.CancelledError:
            if not ready.done():
                ready.cancel()
            raise
        except Exception as exc:
            if ready.done():
                raise
            ready.set_exception(exc)

    async def provider(self) -> Provider:
        """The open provider, opened on first use.

        Raises:
            CallFailed: fatal, when it cannot open (missing key, package or engine file).
        """
        if self._provider is not None:
            return self._provider
        if self._ready is None:
            loop = asyncio.get_running_loop()
            self._ready = loop.create_future()
            self._stop = asyncio.Event()
            self._holder = loop.create_task(self._hold(self._ready, self._stop),
                                            name=f"baimo-client-{self.cfg.name}")
        try:
            provider = await asyncio.shield(self._ready)
        except BaimoError as exc:
            # Most start-up errors already name the model ("model 'x': the environment
            # variable …"); say it once.
            who = "" if f"'{self.cfg.name}'" in str(exc) else f"model '{self.cfg.name}' "
            raise CallFailed(f"{who}cannot start: {exc}", fatal=True) from None
        self._provider = provider
        return provider

    async def aclose(self) -> None:
        """Close the provider (a no-op when it never opened)."""
        holder, stop = self._holder, self._stop
        if holder is None or stop is None:
            return  # never opened, or opened by somebody else
        self._holder = self._stop = self._ready = None
        self._provider = None
        stop.set()
        await asyncio.gather(holder, return_exceptions=True)

    # -- asking -------------------------------------------------------------------------
    def cost(self, completion: Completion) -> float:
        u = completion.usage
        return self.cfg.pricing.cost(u.prompt_tokens, u.completion_tokens, u.cached_tokens)

    def _budget(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> float:
        prompt = sum(estimate_tokens(m.get("content") or "") if isinstance(
            m.get("content"), str) else 0 for m in messages)
        max_tokens = params.get("max_tokens", self.cfg.max_tokens)
        return float(prompt + (max_tokens if isinstance(max_tokens, int) else 512))

    async def complete(self, messages: list[dict[str, Any]], params: dict[str, Any], *,
                       watch: Callable[[Timing], None] | None = None) -> Answer:
        """Ask for one chat completion, admitted, retried and priced.

        Args:
            watch: Called with each attempt's fresh ``Timing`` just before it is sent. A
                streaming HTTP provider appends the answer's chunks to
                ``timing.chunk_texts`` as they arrive, so a caller can relay them live (the
                arena's side-by-side streams); a new attempt gets a new ``Timing``.

        Raises:
            CallFailed: The request could not be answered (see the module docstring).
        """
        provider = await self.provider()
        if watch is None:
            return await self._call(lambda: provider.complete(messages, params),
                                    self._budget(messages, params))
        from baimo.models.openai import OpenAIProvider

        if not isinstance(provider, OpenAIProvider):
            return await self._call(lambda: provider.complete(messages, params),
                                    self._budget(messages, params))
        http = provider

        def send() -> Any:
            timing = Timing()
            watch(timing)
            return http.complete(messages, params, timing=timing)

        return await self._call(send, self._budget(messages, params))

    async def loglik(self, prompt: str, continuations: list[str]) -> Answer:
        """Log-likelihoods of ``continuations`` after ``prompt`` (engines that have them)."""
        provider = await self.provider()
        fn = getattr(provider, "loglik", None)
        if fn is None:
            raise CallFailed(f"model '{self.cfg.name}' has no log-likelihood API; use a "
                             "generative template such as mcq-gen-zh")
        return await self._call(lambda: fn(prompt, continuations),
                                float(estimate_tokens(prompt) + 1))

    async def _call(self, send: Any, budget: float) -> Answer:
        limits = self.cfg.limits
        limiter = self.limiter
        attempts = 0
        last: ProviderError | None = None
        while attempts <= limits.max_retries:
            attempts += 1
            await limiter.acquire(budget)
            try:
                comp: Completion = await send()
            except ProviderError as exc:
                limiter.release()
                last = exc
                if exc.fatal_for_model:
                    raise CallFailed(exc.reason(), attempts, fatal=True, error=exc) from None
                if not exc.retryable:
                    break
                wait = exc.retry_after
                if wait is not None and not (math.isfinite(wait)
                                             and wait <= limits.max_retry_after_s):
                    asked = "forever" if not math.isfinite(wait) else f"{wait:,.0f} s"
                    raise CallFailed(
                        f"{exc.reason()}; the server asked to wait {asked} (Retry-After), "
                        f"more than limits.max_retry_after_s = {limits.max_retry_after_s:g} s",
                        attempts, error=exc) from None
                if attempts > limits.max_retries:
                    break
                self.retries += 1
                if exc.kind == "rate-limit":
                    limiter.on_rate_limit(wait, attempts)
                else:
                    cap = min(30.0, self.retry_base_s * 2 ** attempts)
                    await asyncio.sleep(wait if wait is not None else self._rng.uniform(0, cap))
                continue
            except BaseException:
                limiter.release()
                raise
            limiter.release()
            usage = comp.usage
            limiter.on_success(0.0 if usage.estimated else
                               usage.prompt_tokens + usage.completion_tokens - budget)
            return Answer(comp, attempts, self.cost(comp), self.cfg.pricing.currency)
        reason = last.reason() if last is not None else "unknown error"
        more = f" (after {attempts} attempts)" if last is not None and last.retryable else ""
        raise CallFailed(reason + more, attempts, error=last)


class ClientPool:
    """The shared clients of one event loop, one per endpoint identity.

    A model used both as a candidate and as a judge in one run gets one client, so one
    limiter sees all the traffic its endpoint receives.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._clients: dict[str, ModelClient] = {}
        self.admission: Callable[[ModelConfig, int], EndpointLimiter] | None = None
        """Makes every client's limiter instead of its own in-process one: a shard of a
        cluster run sets it so that its candidates and its judges alike keep the cluster-wide
        limits of their endpoints (``baimo.scale``)."""

    def admit(self, client: ModelClient) -> ModelClient:
        """Give ``client`` this pool's admission, if the pool has one (also for a client the
        pool does not keep, such as a judge's own)."""
        if self.admission is not None:
            client.limiter = self.admission(client.cfg, client.concurrency)
        return client

    def get(self, cfg: ModelConfig, *, concurrency: int | None = None) -> ModelClient:
        # The endpoint identity plus everything else configured (key variable, limits,
        # prices): the same model named as candidate and as judge shares one client; two
        # accounts on one endpoint, with their own keys and limits, do not.
        key = cfg.identity() + ":" + orjson.dumps(
            cfg.public_dict(), option=orjson.OPT_SORT_KEYS).decode()
        client = self._clients.get(key)
        if client is None:
            client = self.admit(ModelClient(cfg, concurrency=concurrency))
            self._clients[key] = client
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)


_pools: dict[int, ClientPool] = {}


def clients() -> ClientPool:
    """The running event loop's client pool (created on first use)."""
    loop = asyncio.get_running_loop()
    pool = _pools.get(id(loop))
    if pool is None or pool.loop is not loop:
        for key in [k for k, p in _pools.items() if p.loop.is_closed()]:
            del _pools[key]
        pool = ClientPool(loop)
        _pools[id(loop)] = pool
    return pool
