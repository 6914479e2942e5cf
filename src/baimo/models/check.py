"""``baimo models check``: is a model reachable, and will it answer correctly under load?

One tiny request shows reachability, streaming, ``usage`` support and latency. That is not
enough: llama-cpp-python's server, in its default setting (``interrupt_requests``), cuts a
running stream as soon as another request waits, and ends it with ``[DONE]`` but no
``finish_reason``. Alone, each request looks fine; at concurrency 2 every answer but the last
is cut short. So the check also sends two overlapping streamed requests, the second sent
while the first is being answered, and warns, with the fix, if either was cut. (Which one is
cut depends on which the server took first; either way, it cuts.)

Everything goes through the shared ``ModelClient`` with retries off, so the check sees exactly
what the server did (the client's response validator is what recognises a cut stream) and opens
the embedded engine the same way a run does.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from baimo.config import ModelConfig
from baimo.models.client import Answer, CallFailed, ModelClient

__all__ = ["check_model"]

PING = [{"role": "user", "content": "Reply with the word: pong"}]
LONG = [{"role": "user", "content": "Count from 1 to 100, separated by spaces."}]
PING_TOKENS = 8
LONG_TOKENS = 32
"""Long enough that the second request arrives while the first is still being answered;
short enough to cost next to nothing."""

CUT_FIX = (
    "the server cut a streamed answer when a second request arrived: the stream ended "
    "without a finish_reason. baimo retries such answers, but whenever requests overlap "
    "(eval at concurrency > 1, perf) they are cut again. Fix: for llama-cpp-python's server, "
    "restart it with --interrupt_requests False; otherwise set limits.concurrency: 1 for "
    "this model")


def _params(cfg: ModelConfig, max_tokens: int) -> dict[str, Any]:
    """The model's own params (vendors may need some), with a small cap and temperature 0.

    A model configured with ``max_completion_tokens`` (newer OpenAI models refuse
    ``max_tokens``) keeps that name.
    """
    key = "max_completion_tokens" if "max_completion_tokens" in cfg.params else "max_tokens"
    params = {k: v for k, v in cfg.params.items()
              if k not in ("max_tokens", "max_completion_tokens", "stream", "stream_options",
                           "n")}
    params[key] = max_tokens
    params["temperature"] = 0
    return params


def _is_cut(exc: BaseException) -> bool:
    """True when a request failed because its stream ended without a finish reason."""
    if not isinstance(exc, CallFailed) or exc.error is None:
        return False
    return exc.error.kind == "stream" and "without a finish_reason" in str(exc.error)


async def _overlap(client: ModelClient, cfg: ModelConfig, lag_s: float
                   ) -> tuple[str, list[str]]:
    """Send two streamed requests, the second ``lag_s`` after the first; say what happened.

    Returns:
        The outcome (``ok``, ``cut``, ``failed`` or ``not checked: …``) and warnings.
    """
    params = _params(cfg, LONG_TOKENS)
    first = asyncio.create_task(client.complete(LONG, params))
    await asyncio.sleep(lag_s)
    sent_second = time.perf_counter()
    second = asyncio.create_task(client.complete(LONG, params))
    results = await asyncio.gather(first, second, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, Exception):
            raise r  # cancellation and the like are not results
    if any(_is_cut(r) for r in results if isinstance(r, BaseException)):
        return "cut", [CUT_FIX]
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        exc = failed[0]
        reason = exc.reason if isinstance(exc, CallFailed) else type(exc).__name__
        return "failed", [f"with two requests in flight, one failed: {reason}"]
    a = results[0]
    assert isinstance(a, Answer)
    done = a.completion.timing.done
    if done is not None and done <= sent_second:
        return "not checked: the first answer ended before the second request was sent", []
    return "ok", []


async def check_model(cfg: ModelConfig) -> dict[str, Any]:
    """Check one model with real requests; failures are results, never exceptions.

    Returns:
        ``model``, ``ok`` (the model answered), ``latency_s``, ``ttft_s``, ``streaming``,
        ``usage_returned``, ``reply`` (its first 40 characters), ``server_model`` (the id the
        server reported), ``concurrent_streams`` (``ok``, ``cut``, ``failed`` or why it was
        not checked), ``warnings`` (problems with what to do about them) and, when it did
        not answer, ``error``.
    """
    out: dict[str, Any] = {"model": cfg.name, "ok": False, "warnings": []}
    once = cfg.model_copy(update={"limits": cfg.limits.model_copy(update={"max_retries": 0})})
    client = ModelClient(once, concurrency=2)
    try:
        try:
            answer = await client.complete(PING, _params(cfg, PING_TOKENS))
        except CallFailed as exc:
            out["error"] = exc.reason
            if _is_cut(exc):
                out["warnings"].append(CUT_FIX)
            return out
        comp = answer.completion
        ttft = answer.ttft_s
        out.update(ok=True, latency_s=round(answer.latency_s, 3),
                   ttft_s=None if ttft is None else round(ttft, 3),
                   streaming=cfg.stream and len(comp.timing.chunk_times) > 0,
                   usage_returned=not comp.usage.estimated, reply=comp.text[:40],
                   server_model=comp.model)
        if not cfg.stream:
            out["concurrent_streams"] = "not checked: streaming is off for this model"
            return out
        # The second request goes out while the first is surely in flight: half the time to
        # first token just measured, and at most a quarter second, which the first answer's
        # LONG_TOKENS outlast even at 128 tokens/s. (A timing-based lag such as "after the
        # first token" would misfire when the first answer warmed up a cold engine.)
        lag = min(0.25, 0.5 * (ttft if ttft is not None else answer.latency_s))
        outcome, warnings = await _overlap(client, cfg, lag)
        out["concurrent_streams"] = outcome
        out["warnings"].extend(warnings)
        return out
    finally:
        await client.aclose()
