"""What one monitor cycle asks an endpoint, and how each answer becomes a stored probe.

Three kinds of request, following Artificial Analysis' published method (MEASURE.md §6):

* **Latency probes**: one unique prompt of exactly 100, 1k and 10k tokens of the client
  tokenizer (``baimo.perf.workload.SyntheticPrompts``, seeded by endpoint, cycle and size, so
  no prompt is ever sent twice and prefix caches stay cold), ``max_tokens`` =
  ``output_tokens``. They are sent on the wire by ``OpenAIProvider.complete(timing=...)`` as
  ``baimo perf`` does, *without* the model client's retries: a monitor must see each failure,
  not hide it behind a successful retry. Their timings are ``baimo.perf.metrics``'
  definitions, computed by ``summarize_level`` on a one-request level.
* **The parallel probe**: ``parallel`` such prompts at once, once per ``parallel_every`` at a
  random (seeded) time of the period: the speed an endpoint keeps under a little load.
* **Canaries**: a small fixed set of questions with known short answers, at temperature 0,
  through the shared model client (``ModelClient``). Their accuracy is a stability metric
  of its own, and their exact answers are compared with the reference deployment's (a
  quantised or swapped model answers differently).

The fidelity checks (``baimo.monitor.fidelity``) add their own requests once a day.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from baimo.config import ModelConfig
from baimo.models.base import ProviderError, Timing, Usage
from baimo.models.client import CallFailed, ModelClient
from baimo.models.openai import OpenAIProvider
from baimo.perf.metrics import summarize_level
from baimo.perf.tokenizer import Tokenizer
from baimo.perf.workload import (
    SyntheticPrompts,
    default_words,
    output_control,
    request_params,
)
from baimo.store.monitor import ProbeRecord

__all__ = ["CANARIES", "Canary", "Endpoint", "canary_probe", "normalize_answer",
           "probe_seed", "synthetic_prompt", "timing_probe"]


@dataclass(frozen=True)
class Canary:
    """A question whose right answer is one short string (any of ``answers`` counts)."""

    id: str
    prompt: str
    answers: tuple[str, ...]


CANARIES: tuple[Canary, ...] = (
    Canary("mul-17-23", "What is 17 multiplied by 23? Reply with the number only.", ("391",)),
    Canary("capital-fr", "What is the capital of France? Reply with one word.", ("paris",)),
    Canary("capital-cn", "中国的首都是哪座城市？只回答城市名。", ("北京", "beijing")),
    Canary("reverse", "Write the word 'stressed' backwards. Reply with the word only.",
           ("desserts",)),
    Canary("prime", "What is the smallest prime number greater than 13? Reply with the number "
           "only.", ("17",)),
    Canary("months", "一年有几个月？只回答数字。", ("12", "十二")),
    Canary("gold", "What is the chemical symbol of gold? Reply with the symbol only.", ("au",)),
    Canary("spider", "How many legs does a spider have? Reply with the number only.",
           ("8", "eight")),
)
"""Chosen so that any competent chat model answers all of them the same way every time: a
drop in canary accuracy is the endpoint changing, not the questions being hard."""

CANARY_MAX_TOKENS = 32


def normalize_answer(text: str) -> str:
    """NFKC, lower case, whitespace collapsed, surrounding punctuation dropped: the form two
    deployments' answers are compared in."""
    t = unicodedata.normalize("NFKC", text).strip().lower()
    t = re.sub(r"\s+", " ", t)
    return t.strip(" .。!！'\"`*")


def canary_correct(canary: Canary, text: str) -> bool:
    """Whether the answer contains an accepted answer as a whole token (``17`` in ``17.``
    but not in ``171``)."""
    t = normalize_answer(text)
    for a in canary.answers:
        if re.search(r"(?<![0-9a-z])" + re.escape(a) + r"(?![0-9a-z])", t):
            return True
    return False


def probe_seed(model_name: str, cycle_id: str, probe: str) -> int:
    """A seed unique to one probe of one cycle of one endpoint."""
    h = hashlib.sha256(f"{model_name}\0{cycle_id}\0{probe}".encode()).digest()
    return int.from_bytes(h[:6], "big")


def synthetic_prompt(tok: Tokenizer | None, input_tokens: int, seed: int) -> str:
    """A unique prompt of exactly ``input_tokens`` tokens of ``tok`` (perf's builder)."""
    words = tuple(tok.words() if tok is not None else default_words())
    return SyntheticPrompts(words, input_tokens, 0, seed, tok.name if tok else "").text(0)


@dataclass
class Endpoint:
    """One monitored model: its config, its wire provider and its model client."""

    cfg: ModelConfig
    provider: OpenAIProvider
    client: ModelClient

    @property
    def name(self) -> str:
        return self.cfg.name


def _row(timing: Timing, status: str, usage: Usage, n_client: int | None,
         prompt_client: int | None, finish: str | None) -> dict[str, Any]:
    """A perf request row (times relative to the send) for ``summarize_level``."""
    sent = timing.sent

    def rel(t: float | None) -> float | None:
        return None if t is None else t - sent

    from_server = not usage.estimated
    return {"seq": 0, "phase": "measure", "status": status, "scheduled": 0.0, "sent": 0.0,
            "first_byte": rel(timing.first_byte), "first_token": rel(timing.first_token),
            "first_answer": rel(timing.first_answer), "last_token": rel(timing.last_token),
            "done": rel(timing.done),
            "prompt_tokens": usage.prompt_tokens if from_server else None,
            "output_tokens": usage.completion_tokens if from_server else None,
            "output_tokens_client": n_client, "prompt_tokens_client": prompt_client,
            "usage_from_server": from_server, "finish_reason": finish,
            "chunk_times": [t - sent for t in timing.chunk_times], "chunk_tokens": None}


async def timing_probe(ep: Endpoint, tok: Tokenizer | None, *, cycle_id: str, probe: str,
                       kind: str, at: float, input_tokens: int, output_tokens: int,
                       seed: int) -> ProbeRecord:
    """One timed request on the wire; a failure is a probe row with its error kind."""
    cfg = ep.cfg
    text = synthetic_prompt(tok, input_tokens, seed)
    messages = [{"role": "user", "content": text}]
    params = request_params(cfg, output_control(cfg, output_tokens))
    timing = Timing()
    base: dict[str, Any] = {"cycle_id": cycle_id, "model_name": cfg.name,
                            "identity": cfg.identity(), "family": cfg.family, "kind": kind,
                            "probe": probe, "at": at, "input_tokens": input_tokens,
                            "currency": cfg.pricing.currency}
    prompt_client = input_tokens if tok is not None else None
    try:
        async with asyncio.timeout(cfg.limits.deadline):
            comp = await ep.provider.complete(messages, params, timing=timing)
    except ProviderError as exc:
        return ProbeRecord(**base, status="error", error_kind=exc.kind, reason=exc.reason())
    except TimeoutError:
        return ProbeRecord(**base, status="error", error_kind="deadline",
                           reason=f"deadline: no complete answer within "
                                  f"{cfg.limits.deadline:g} s")
    answer = comp.text
    n_client = tok.count(comp.reasoning + answer) if tok is not None else None
    usage = comp.usage
    cost = cfg.pricing.cost(usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens)
    if not timing.chunk_times:
        # Answered and finished, but nothing to time: up, without a timing sample.
        done = None if timing.done is None else timing.done - timing.sent
        return ProbeRecord(
            **base, status="empty",
            reason=f"empty: the server finished (finish_reason {comp.finish_reason}) without "
                   "writing any content; counted as up, not timed",
            e2e_s=done, prompt_tokens=None if usage.estimated else usage.prompt_tokens,
            output_tokens=None if usage.estimated else usage.completion_tokens,
            prompt_tokens_client=prompt_client, output_tokens_client=n_client,
            usage_from_server=not usage.estimated, finish_reason=comp.finish_reason,
            cost=cost, details={"model_reported": comp.model, "chunks": 0})
    row = _row(timing, "ok", comp.usage, n_client, prompt_client, comp.finish_reason)
    m = summarize_level([row])["metrics"]
    return ProbeRecord(
        **base, status="ok", ttft_s=m["ttft_s"]["median"], tpot_s=m["tpot_s"]["median"],
        e2e_s=m["e2e_s"]["median"],
        output_tps=m["output_tokens_per_s_per_request"]["median"],
        prompt_tokens=row["prompt_tokens"], output_tokens=row["output_tokens"],
        prompt_tokens_client=prompt_client, output_tokens_client=n_client,
        usage_from_server=row["usage_from_server"], finish_reason=comp.finish_reason,
        cost=cost, details={"model_reported": comp.model,
                            "time_to_first_answer_s": m["time_to_first_answer_s"]["median"],
                            "reasoning_tokens": None if usage.estimated
                            else usage.reasoning_tokens,
                            "chunks": len(timing.chunk_times)})


async def canary_probe(ep: Endpoint, canary: Canary, *, cycle_id: str, at: float
                       ) -> ProbeRecord:
    """Ask one canary through the model client (retried, priced) at temperature 0."""
    cfg = ep.cfg
    base: dict[str, Any] = {"cycle_id": cycle_id, "model_name": cfg.name,
                            "identity": cfg.identity(), "family": cfg.family, "kind": "canary",
                            "probe": f"canary:{canary.id}", "at": at,
                            "currency": cfg.pricing.currency}
    params = {"temperature": 0, "max_tokens": CANARY_MAX_TOKENS}
    try:
        ans = await ep.client.complete([{"role": "user", "content": canary.prompt}], params)
    except CallFailed as exc:
        return ProbeRecord(**base, status="error",
                           error_kind=exc.error.kind if exc.error else "failed",
                           reason=exc.reason)
    comp = ans.completion
    u = comp.usage
    return ProbeRecord(**base, status="ok", e2e_s=ans.latency_s, ttft_s=ans.ttft_s,
                       prompt_tokens=None if u.estimated else u.prompt_tokens,
                       output_tokens=None if u.estimated else u.completion_tokens,
                       usage_from_server=not u.estimated, finish_reason=comp.finish_reason,
                       cost=ans.cost, answer=comp.text[:2000],
                       correct=canary_correct(canary, comp.text),
                       details={"attempts": ans.attempts, "model_reported": comp.model})
