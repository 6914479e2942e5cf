"""LLM-as-judge: single-answer ratings, pairwise comparisons in both orders, and checks of a
judge against human labels.

Why it is built this way (MEASURE.md §3): judges are only trustworthy when

* they run at **temperature 0** (forced here, whatever the model's configured params say);
* their verdict format is **strict** and parsed strictly: ``Rating: [[7]]`` for a rating,
  ``[[A]]``/``[[B]]``/``[[C]]`` (C = tie) for a comparison, the *last* occurrence winning.
  Anything else is a ``judge-parse-error`` with the raw verdict kept, **never a loss**: it is
  excluded from accuracy and win rates, like an error, and counted on its own;
* pairwise comparisons are asked **in both orders**, and an order-dependent verdict (position
  bias) is a tie;
* their prompts are **versioned** (``baimo.tasks.judge_prompts``): the prompt id, version and
  hash, and the judge model, are stored with every verdict;
* they are **validated against human labels** before being trusted (``run_agreement``,
  ``baimo judge agreement``): agreement and Cohen's kappa, parse errors excluded and counted.

Using a judge from a task file
------------------------------
A task's YAML may carry a ``judge:`` block; ``judge_from_spec`` turns it into the task's
``async_scorer`` (awaited by the runner after the rule scorer; its score replaces the rule
score)::

    judge:
      model: deepseek-chat        # a model name from the models file (required)
      mode: single                # single (rate 1-10, default) | pairwise (vs the reference)
      rubric: |                   # optional grading criteria (single); default: correctness,
        Is the answer polite and correct?   # helpfulness, clarity
      threshold: 6                # optional (single): pass/fail instead of a graded score
      reference_key: reference    # where the reference answer is: the sample's 'reference'
                                  # (default) or a key of the sample's metadata
      language: auto              # auto (from the sample) | zh | en: which prompt to use
      params: {max_tokens: 1024}  # optional generation params (temperature is always 0)
      max_retries: 3              # optional; default: the judge model's limits.max_retries

Scores produced by the scorer:

* ``single`` without a threshold: status ``ok``, value ``(rating − 1) / 9``.
* ``single`` with a threshold: ``ok`` (value 1.0) when rating ≥ threshold, else ``wrong``
  (0.0); the rating and its normalised value are kept in the details.
* ``pairwise``: the model's answer is compared in both orders with the reference answer as
  the baseline: status ``ok``, value 1.0 (better), 0.5 (tie) or 0.0 (worse).
* an unparseable verdict: ``judge-parse-error`` (value 0.0, never to be counted as a loss),
  with the raw verdict in the details;
* an empty answer: ``no-answer``, and an answer cut off by ``max_tokens``: ``truncated``,
  without asking the judge (neither is the model being wrong);
* a judge that cannot be reached: ``error`` with the reason (asked again on resume).

Every judged score has ``details["judge"]``: mode, judge model name, model id and identity,
prompt id/version/hash/language, rubric hash, the parsed rating or verdicts, the raw verdict
text(s), attempts, tokens, cost and currency of the judge's own requests.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, cast

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from baimo.config import Config, ModelConfig
from baimo.errors import ConfigError, DatasetError
from baimo.models.base import Provider
from baimo.models.client import CallFailed, ModelClient, clients
from baimo.params import check_params
from baimo.stats import cohen_kappa
from baimo.tabular import read_jsonl
from baimo.tasks.judge_prompts import (
    Language,
    detect_language,
    get_prompt,
)
from baimo.tasks.types import ModelOutput, Sample, Score

__all__ = [
    "AgreementReport",
    "Judge",
    "JudgeBacked",
    "JudgeFailed",
    "JudgeReply",
    "JudgeScorer",
    "JudgeSpec",
    "PairVerdict",
    "RatingVerdict",
    "cohen_kappa",
    "get_prompt",
    "judge_from_spec",
    "judge_pair",
    "load_labels",
    "make_judge_scorer",
    "parse_pair_verdict",
    "parse_rating",
    "pick_language",
    "question_text",
    "rate_answer",
    "reference_text",
    "run_agreement",
]

LanguageOpt = Literal["auto", "en", "zh"]
Winner = Literal["A", "B", "tie"]
JudgeStatus = Literal["ok", "judge-parse-error", "error"]

DEFAULT_JUDGE_PARAMS: dict[str, Any] = {"max_tokens": 1024}
"""Judges explain before they rule; a small ``max_tokens`` would cut the verdict off."""

MAX_VERDICT_CHARS = 20_000
"""Raw verdict text kept in the details (enough for any sane explanation)."""

# ----------------------------------------------------------------------------- verdicts

_RATING_RE = re.compile(r"\[\[(\d+(?:\.\d+)?)\]\]")
_PAIR_RE = re.compile(r"\[\[([ABC])\]\]")


def parse_rating(text: str) -> tuple[int | None, str | None]:
    """Read a strict ``[[N]]`` rating (1–10); the last ``[[number]]`` in the text counts.

    Why strict and last: the prompt asks for exactly this form on the last line, and a judge
    that first quotes the scale (``[[1]] … [[10]]``) and then rules must be read by its ruling.
    A last occurrence that is not a whole number from 1 to 10 is an error, never a fall-back
    to an earlier bracket.

    Args:
        text: The judge's reply (answer text, thinking already removed).

    Returns:
        ``(rating, None)``, or ``(None, why)`` when the verdict does not parse.
    """
    found = _RATING_RE.findall(text)
    if not found:
        return None, "no [[N]] rating in the judge's reply"
    last = found[-1]
    if "." in last or len(last) > 2 or not 1 <= int(last) <= 10:
        return None, f"rating [[{last}]] is not a whole number from 1 to 10"
    return int(last), None


def parse_pair_verdict(text: str) -> tuple[Literal["A", "B", "C"] | None, str | None]:
    """Read a strict ``[[A]]``/``[[B]]``/``[[C]]`` verdict; the last one counts.

    Returns:
        ``(letter, None)``, or ``(None, why)`` when there is no such verdict.
    """
    found = _PAIR_RE.findall(text)
    if not found:
        return None, "no [[A]], [[B]] or [[C]] verdict in the judge's reply"
    return cast(Literal["A", "B", "C"], found[-1]), None


# ----------------------------------------------------------------------------- the judge


@dataclass(frozen=True)
class JudgeReply:
    """One answer from the judge model, with what it cost."""

    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    usage_estimated: bool
    cost: float
    attempts: int
    latency_s: float
    model: str | None

    def record(self) -> dict[str, Any]:
        """The fields stored in a verdict's details."""
        return {"attempts": self.attempts, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "usage_estimated": self.usage_estimated, "cost": self.cost,
                "latency_s": round(self.latency_s, 6), "finish_reason": self.finish_reason,
                "served_by": self.model}


class JudgeFailed(Exception):
    """The judge could not be heard (after retries, or a non-retryable failure).

    Attributes:
        reason: What happened, for the ``error`` row.
        attempts: Requests made.
        fatal: True when asking again cannot help (bad key, unknown model, missing config).
    """

    def __init__(self, reason: str, attempts: int = 0, *, fatal: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.fatal = fatal


class Judge:
    """A judge model: always at temperature 0, asked through the shared model client.

    A judge is just another model call (as in Inspect): it goes through the run's
    ``ModelClient`` for its endpoint, so its requests count against the same concurrency,
    RPM and TPM as everything else sent there, and a model that is both candidate and judge
    has one limiter. The client opens lazily on first use, in the running event loop: a task
    file with a ``judge:`` block is loaded long before (and sometimes without) any answer
    needing a judge, and an embedded judge would otherwise start a llama.cpp server for
    nothing.

    Args:
        cfg: The judge model's config; None only when ``provider`` is given.
        provider: An already open provider to use instead of opening one (not closed here).
        params: Generation params over ``DEFAULT_JUDGE_PARAMS`` and the model's own params.
            ``temperature`` is forced to 0 regardless.
        max_retries: Retries of retryable failures; defaults to the model's
            ``limits.max_retries``. Given, the judge gets a client of its own.
        concurrency: Judge requests in flight at most; given, the judge gets a client of its
            own (otherwise it shares the endpoint's).
        retry_base_s: Base of the exponential back-off (full jitter).
        seed: Seed of the back-off jitter.
    """

    def __init__(self, cfg: ModelConfig | None = None, *, provider: Provider | None = None,
                 params: dict[str, Any] | None = None, max_retries: int | None = None,
                 concurrency: int | None = None, retry_base_s: float = 0.5,
                 seed: int = 0) -> None:
        if cfg is None:
            found = getattr(provider, "cfg", None)
            cfg = found if isinstance(found, ModelConfig) else None
        if cfg is None:
            raise ValueError("a Judge needs a model config or an open provider with one")
        if max_retries is not None:
            cfg = cfg.model_copy(update={"limits": cfg.limits.model_copy(
                update={"max_retries": max_retries})})
        self.cfg = cfg
        self._given = provider
        self._own = provider is not None or max_retries is not None or concurrency is not None
        self._concurrency = concurrency
        self._seed = seed
        self.params: dict[str, Any] = {**DEFAULT_JUDGE_PARAMS, **cfg.params, **(params or {}),
                                       "temperature": 0.0}
        self.retry_base_s = retry_base_s
        self._client: ModelClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- identity -----------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The judge's model name in the models file."""
        return self.cfg.name

    @property
    def identity(self) -> str:
        """Endpoint + model hash: what makes two judges' verdicts interchangeable."""
        return self.cfg.identity()

    @property
    def currency(self) -> str:
        return self.cfg.pricing.currency

    def info(self) -> dict[str, Any]:
        """The judge's identity as stored with each verdict."""
        return {"model": self.name, "model_id": self.cfg.model_id,
                "identity": self.identity, "temperature": self.params["temperature"],
                "currency": self.currency}

    # -- lifecycle ----------------------------------------------------------------------
    def client(self) -> ModelClient:
        """This loop's client for the judge (a new loop, e.g. a resumed run, gets a new one)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            if self._own:
                self._client = clients().admit(ModelClient(
                    self.cfg, concurrency=self._concurrency, seed=self._seed,
                    provider=self._given))
            else:
                self._client = clients().get(self.cfg)
            self._loop = loop
        self._client.retry_base_s = self.retry_base_s
        return self._client

    async def aclose(self) -> None:
        """Close a client this judge owns (a shared one closes with its loop's pool)."""
        client, self._client = self._client, None
        if client is not None and self._own:
            await client.aclose()

    async def __aenter__(self) -> Judge:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    # -- asking -------------------------------------------------------------------------
    async def ask(self, messages: list[dict[str, str]]) -> JudgeReply:
        """Send one judgement request (admitted, retried and priced by the client).

        Raises:
            JudgeFailed: Retries were exhausted, or the failure cannot be retried.
        """
        started = time.perf_counter()
        try:
            answer = await self.client().complete(messages, dict(self.params))
        except CallFailed as exc:
            raise JudgeFailed(f"judge '{self.name}': {exc.reason}", exc.attempts,
                              fatal=exc.fatal) from None
        comp = answer.completion
        u = comp.usage
        return JudgeReply(comp.text, comp.finish_reason, u.prompt_tokens, u.completion_tokens,
                          u.estimated, answer.cost, answer.attempts,
                          time.perf_counter() - started, comp.model)


def _as_judge(judge: Judge | Provider) -> Judge:
    return judge if isinstance(judge, Judge) else Judge(provider=judge)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_VERDICT_CHARS else text[:MAX_VERDICT_CHARS] + " […]"


def pick_language(language: LanguageOpt, *texts: str) -> Language:
    return detect_language("\n".join(texts)) if language == "auto" else language


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- single


@dataclass(frozen=True)
class RatingVerdict:
    """The judge's rating of one answer.

    Attributes:
        rating: 1–10, or None on a parse error or a judge failure.
        verdict: The judge's raw reply (None when the judge was not heard).
        parse_error: The reply did not contain a valid ``[[N]]``.
        error: Why the judge was not heard, if it was not.
        details: Judge, prompt, raw reply, tokens and cost (see the module docstring).
    """

    rating: int | None
    verdict: str | None
    parse_error: bool
    error: str | None
    details: dict[str, Any]
    fatal: bool = False

    @property
    def status(self) -> JudgeStatus:
        if self.error is not None:
            return "error"
        return "judge-parse-error" if self.parse_error else "ok"


async def rate_answer(judge: Judge | Provider, question: str, answer: str,
                      reference: str | None = None, *, rubric: str | None = None,
                      language: LanguageOpt = "auto") -> RatingVerdict:
    """Ask the judge to rate one answer from 1 to 10.

    Args:
        judge: A ``Judge`` (or an open provider, wrapped at temperature 0).
        question: What the model was asked.
        answer: The model's answer.
        reference: A reference answer, or None.
        rubric: Criteria replacing the prompt's default rubric.
        language: Prompt language; ``auto`` picks it from the question.
    """
    j = _as_judge(judge)
    prompt = get_prompt("single", pick_language(language, question))
    details: dict[str, Any] = {
        "mode": "single", **j.info(), **prompt.info(),
        "rubric_hash": _sha(rubric if rubric is not None else prompt.default_rubric),
        "rubric_custom": rubric is not None, "reference_used": reference is not None,
    }
    messages = prompt.render(question=question, answer=answer, reference=reference,
                             rubric=rubric)
    try:
        reply = await j.ask(messages)
    except JudgeFailed as exc:
        details.update(attempts=exc.attempts, cost=0.0, error=exc.reason)
        return RatingVerdict(None, None, False, exc.reason, details, fatal=exc.fatal)
    rating, why = parse_rating(reply.text)
    if why is not None and reply.finish_reason == "length":
        why += " (the judge's reply was cut off by max_tokens)"
    details.update(reply.record(), rating=rating, verdict=_clip(reply.text))
    if why is not None:
        details["parse_error"] = why
    return RatingVerdict(rating, reply.text, rating is None, None, details)


# ----------------------------------------------------------------------------- pairwise


@dataclass(frozen=True)
class PairVerdict:
    """The outcome of comparing two answers in both orders.

    Attributes:
        winner: ``A``, ``B`` or ``tie`` (the orders disagreed, or both said tie); None when a
            verdict did not parse or the judge was not heard.
        verdicts: What each order said, in the caller's labels: first with A shown first,
            then with B shown first (``A``/``B``/``tie``, None when that order failed).
        parse_error: At least one order's reply had no valid verdict. Never a loss.
        details: Judge, prompt, each order's raw reply, tokens and cost.
        error: Why the judge was not heard, if it was not.
    """

    winner: Winner | None
    verdicts: tuple[Winner | None, Winner | None]
    parse_error: bool
    details: dict[str, Any]
    error: str | None = None
    fatal: bool = False

    @property
    def status(self) -> JudgeStatus:
        if self.error is not None:
            return "error"
        return "judge-parse-error" if self.parse_error else "ok"

    @property
    def prompt_info(self) -> dict[str, str]:
        return {k: str(self.details[k]) for k in ("prompt_id", "prompt_version", "prompt_hash")}


_FIRST: dict[str, Winner] = {"A": "A", "B": "B", "C": "tie"}
_SWAPPED: dict[str, Winner] = {"A": "B", "B": "A", "C": "tie"}


async def judge_pair(judge_provider: Judge | Provider, question: str, answer_a: str,
                     answer_b: str, reference: str | None = None, *,
                     language: LanguageOpt = "auto") -> PairVerdict:
    """Compare two answers in both orders; disagreement between the orders is a tie.

    Why both orders: judges favour a position (often the first answer). Asking with A first
    and again with B first, and keeping only a verdict both orders agree on, turns position
    bias into ties instead of into wins for whoever was listed first.

    Args:
        judge_provider: A ``Judge``, or an open provider (wrapped at temperature 0).
        question: What both models were asked.
        answer_a: The first model's answer.
        answer_b: The second model's answer.
        reference: A reference answer, or None.
        language: Prompt language; ``auto`` picks it from the question.

    Returns:
        A ``PairVerdict``; a parse failure in either order makes the pair a
        ``judge-parse-error`` (``winner`` None), never a loss.
    """
    j = _as_judge(judge_provider)
    prompt = get_prompt("pairwise", pick_language(language, question))
    first = prompt.render(question=question, answer_a=answer_a, answer_b=answer_b,
                          reference=reference)
    second = prompt.render(question=question, answer_a=answer_b, answer_b=answer_a,
                           reference=reference)
    replies = await asyncio.gather(j.ask(first), j.ask(second), return_exceptions=True)
    details: dict[str, Any] = {"mode": "pairwise", **j.info(), **prompt.info(),
                               "reference_used": reference is not None}
    orders: list[dict[str, Any]] = []
    mapped: list[Winner | None] = []
    errors: list[JudgeFailed] = []
    parse_failed = False
    cost = 0.0
    for shown_first, reply, table in (("A", replies[0], _FIRST), ("B", replies[1], _SWAPPED)):
        order: dict[str, Any] = {"shown_first": shown_first}
        if isinstance(reply, JudgeFailed):
            errors.append(reply)
            order.update(error=reply.reason, attempts=reply.attempts)
            mapped.append(None)
        elif isinstance(reply, BaseException):
            raise reply
        else:
            letter, why = parse_pair_verdict(reply.text)
            if why is not None and reply.finish_reason == "length":
                why += " (the judge's reply was cut off by max_tokens)"
            order.update(reply.record(), letter=letter, verdict=_clip(reply.text))
            cost += reply.cost
            if letter is None:
                parse_failed = True
                order["parse_error"] = why
                mapped.append(None)
            else:
                mapped.append(table[letter])
                order["means"] = table[letter]
        orders.append(order)
    details.update(orders=orders, cost=cost,
                   prompt_tokens=sum(int(o.get("prompt_tokens", 0)) for o in orders),
                   completion_tokens=sum(int(o.get("completion_tokens", 0)) for o in orders))
    verdicts = (mapped[0], mapped[1])
    if errors:
        reason = "; ".join(e.reason for e in errors)
        details["error"] = reason
        return PairVerdict(None, verdicts, parse_failed, details, reason,
                           fatal=any(e.fatal for e in errors))
    if parse_failed:
        return PairVerdict(None, verdicts, True, details)
    first_says, second_says = verdicts
    assert first_says is not None and second_says is not None
    winner: Winner = first_says if first_says == second_says else "tie"
    details["orders_disagree"] = first_says != second_says
    return PairVerdict(winner, verdicts, False, details)


# ----------------------------------------------------------------------------- scorer


def question_text(messages: Sequence[dict[str, str]]) -> str:
    """The conversation a model answered, as the judge is shown it.

    A lone user message is shown as is; anything richer (a system prompt, earlier turns) is
    shown turn by turn, because constraints in a system prompt are part of what is graded.
    """
    if len(messages) == 1:
        return messages[0].get("content", "")
    return "\n\n".join(f"{m.get('role', 'user').capitalize()}: {m.get('content', '')}"
                       for m in messages)


def reference_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | bool):
        return str(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


class JudgeBacked:
    """An async scorer that asks ``self.judge``: says which model that is, so a cluster run
    gives the judge's endpoint the same cluster-wide limits as the candidates'
    (``Task.scoring_models``)."""

    judge: Judge

    def models(self) -> list[ModelConfig]:
        return [self.judge.cfg]


class JudgeScorer(JudgeBacked):
    """An ``AsyncScorer`` that grades a model's answer with a judge model.

    Build it with ``make_judge_scorer`` or ``judge_from_spec``; see the module docstring for
    the scores it produces. Call ``aclose()`` when done (the runner's loop also closes it at
    shutdown).
    """

    def __init__(self, judge: Judge, *, mode: Literal["single", "pairwise"] = "single",
                 rubric: str | None = None, reference_key: str = "reference",
                 threshold: int | None = None, language: LanguageOpt = "auto") -> None:
        self.judge = judge
        self.mode = mode
        self.rubric = rubric
        self.reference_key = reference_key
        self.threshold = threshold
        self.language = language
        self._fatal: str | None = None

    def _reference(self, sample: Sample) -> str | None:
        if self.reference_key == "reference":
            return reference_text(sample.reference)
        return reference_text(sample.metadata.get(self.reference_key))

    def _language(self, sample: Sample, question: str) -> LanguageOpt:
        if self.language != "auto":
            return self.language
        declared = sample.metadata.get("language") or sample.metadata.get("lang")
        if declared in ("zh", "en"):
            return cast(Language, declared)
        return detect_language(question)

    async def __call__(self, sample: Sample, output: ModelOutput) -> Score:
        """Grade one answer; never raises for a bad answer or an unparseable verdict."""
        if output.finish_reason == "length":
            return Score("truncated", 0.0, None, "the answer was cut off by max_tokens; "
                         "not sent to the judge")
        if not output.text.strip():
            return Score("no-answer", 0.0, None, "empty answer; not sent to the judge")
        if self._fatal is not None:
            return Score("error", 0.0, None, self._fatal)
        question = question_text(sample.messages)
        reference = self._reference(sample)
        language = self._language(sample, question)
        if self.mode == "pairwise":
            return await self._pairwise(question, output.text, reference, language)
        verdict = await rate_answer(self.judge, question, output.text, reference,
                                    rubric=self.rubric, language=language)
        details = {**verdict.details, "threshold": self.threshold}
        if verdict.error is not None:
            if verdict.fatal:
                self._fatal = verdict.error
            return Score("error", 0.0, None, verdict.error, {"judge": details})
        if verdict.rating is None:
            return Score("judge-parse-error", 0.0, None,
                         f"judge verdict did not parse: {details.get('parse_error')}",
                         {"judge": details})
        normalized = (verdict.rating - 1) / 9
        details["normalized"] = normalized
        extracted = str(verdict.rating)
        if self.threshold is None:
            return Score("ok", normalized, extracted, None, {"judge": details})
        if verdict.rating >= self.threshold:
            return Score("ok", 1.0, extracted, None, {"judge": details})
        return Score("wrong", 0.0, extracted,
                     f"judge rating {verdict.rating} is below the threshold {self.threshold}",
                     {"judge": details})

    async def _pairwise(self, question: str, answer: str, baseline: str | None,
                        language: LanguageOpt) -> Score:
        if baseline is None:
            return Score("error", 0.0, None, f"pairwise judging needs a baseline answer in "
                         f"the sample's '{self.reference_key}'")
        verdict = await judge_pair(self.judge, question, answer, baseline, language=language)
        details = {**verdict.details, "baseline_key": self.reference_key,
                   "verdicts": list(verdict.verdicts), "winner": verdict.winner}
        if verdict.error is not None:
            if verdict.fatal:
                self._fatal = verdict.error
            return Score("error", 0.0, None, verdict.error, {"judge": details})
        if verdict.winner is None:
            return Score("judge-parse-error", 0.0, None,
                         "judge verdict did not parse in at least one order",
                         {"judge": details})
        value = {"A": 1.0, "tie": 0.5, "B": 0.0}[verdict.winner]
        label = {"A": "better", "tie": "tie", "B": "worse"}[verdict.winner]
        return Score("ok", value, label, None, {"judge": details})

    def spec(self) -> dict[str, Any]:
        """What this judge is, for the task's scoring version: the judge model's endpoint
        identity, the prompts it would use (id, version and hash, both languages) and the
        rubric. Any change means verdicts are not comparable, and ``--resume`` says so."""
        prompts = [get_prompt(self.mode, lang).info() for lang in ("en", "zh")]
        return {"name": "judge", "version": 1, "args": {
            "mode": self.mode, "model": self.judge.name, "identity": self.judge.identity,
            "prompts": [{k: p[k] for k in ("prompt_id", "prompt_version", "prompt_hash")}
                        for p in prompts],
            "rubric_hash": _sha(self.rubric) if self.rubric is not None else None,
            "threshold": self.threshold, "reference_key": self.reference_key,
            "language": self.language, "params": self.judge.params}}

    async def aclose(self) -> None:
        """Close the judge's provider."""
        await self.judge.aclose()


def make_judge_scorer(judge: ModelConfig, *, mode: str = "single", rubric: str | None = None,
                      reference_key: str = "reference", threshold: int | None = None,
                      language: LanguageOpt = "auto", params: dict[str, Any] | None = None,
                      max_retries: int | None = None) -> JudgeScorer:
    """An async scorer that asks ``judge`` to grade each answer.

    Args:
        judge: The judge model's config.
        mode: ``single`` (a 1–10 rating) or ``pairwise`` (against the reference answer as a
            baseline, in both orders).
        rubric: Grading criteria for ``single`` (default: the prompt's own).
        reference_key: ``reference`` for ``Sample.reference``, or a key of the metadata.
        threshold: For ``single``: pass (≥) / fail instead of a graded value.
        language: ``auto`` (sample metadata ``language``, else detected), ``zh`` or ``en``.
        params: Generation params for the judge (temperature is forced to 0).
        max_retries: Retries of transient failures (default: the judge's limits).

    Raises:
        ConfigError: An invalid combination of options.
    """
    if mode not in ("single", "pairwise"):
        raise ConfigError(f"judge mode '{mode}' is unknown; use single or pairwise")
    if threshold is not None and not 1 <= threshold <= 10:
        raise ConfigError(f"judge threshold {threshold} must be a rating from 1 to 10")
    if mode == "pairwise" and (threshold is not None or rubric is not None):
        raise ConfigError("judge 'threshold' and 'rubric' apply to mode single only")
    return JudgeScorer(Judge(judge, params=params, max_retries=max_retries),
                       mode=cast(Literal["single", "pairwise"], mode), rubric=rubric,
                       reference_key=reference_key, threshold=threshold, language=language)


class JudgeSpec(BaseModel):
    """The ``judge:`` block of a task file (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1)
    mode: Literal["single", "pairwise"] = "single"
    rubric: str | None = None
    threshold: int | None = Field(None, ge=1, le=10)
    reference_key: str = Field("reference", min_length=1)
    language: LanguageOpt = "auto"
    params: dict[str, Any] = Field(default_factory=dict)
    max_retries: int | None = Field(None, ge=0, le=20)

    @field_validator("params")
    @classmethod
    def _checked_params(cls, v: dict[str, Any]) -> dict[str, Any]:
        return check_params(v)


def judge_from_spec(spec: dict[str, Any], config: Config) -> JudgeScorer:
    """Build the async scorer of a task file's ``judge:`` block.

    Args:
        spec: The block as parsed from YAML.
        config: The models file, where ``spec['model']`` is looked up.

    Raises:
        ConfigError: The block is invalid (each problem named by field).
        NotFound: The judge model is not in the models file.
    """
    try:
        parsed = JudgeSpec.model_validate(spec)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(block)"
            msg = str(err["msg"]).removeprefix("Value error, ")  # pydantic's, not the user's
            if err["type"] == "extra_forbidden":
                msg = ("unknown field; allowed: " + ", ".join(JudgeSpec.model_fields))
            problems.append(f"judge.{where}: {msg}")
        raise ConfigError("invalid judge block: " + "; ".join(problems)) from None
    return make_judge_scorer(config.get(parsed.model), mode=parsed.mode, rubric=parsed.rubric,
                             reference_key=parsed.reference_key, threshold=parsed.threshold,
                             language=parsed.language, params=parsed.params,
                             max_retries=parsed.max_retries)


# ----------------------------------------------------------------------------- agreement


class _PairLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | int
    question: str = Field(min_length=1)
    answer_a: str
    answer_b: str
    human: Winner
    reference: str | None = None
    language: Language | None = None

    @field_validator("human", mode="before")
    @classmethod
    def _norm_human(cls, v: Any) -> Any:
        if isinstance(v, str):
            s = v.strip()
            return "tie" if s.lower() == "tie" else s.upper() if s in ("a", "b") else s
        return v


class _SingleLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | int
    question: str = Field(min_length=1)
    answer: str
    human_rating: int = Field(ge=1, le=10)
    reference: str | None = None
    language: Language | None = None


@dataclass(frozen=True)
class Labelled:
    """One human-labelled item: ``human`` is ``A``/``B``/``tie`` or a rating 1–10."""

    id: str
    line: int
    question: str
    human: str | int
    answer: str = ""
    answer_a: str = ""
    answer_b: str = ""
    reference: str | None = None
    language: Language | None = None


MAX_ERRORS = 20


def load_labels(path: Path, mode: Literal["auto", "pairwise", "single"] = "auto"
                ) -> tuple[Literal["pairwise", "single"], list[Labelled]]:
    """Read and validate a labelled JSONL file, all rows before any judging.

    Pairwise rows: ``id``, ``question``, ``answer_a``, ``answer_b``, ``human`` (A, B or tie);
    single rows: ``id``, ``question``, ``answer``, ``human_rating`` (1–10). Both may carry
    ``reference`` and ``language`` (zh/en). ``auto`` takes the mode from the first row.

    Raises:
        DatasetError: Naming ``file:line`` and the field of each problem (the first
            ``MAX_ERRORS``); nothing is judged for a file with errors.
    """
    raw = read_jsonl(path, "labelled file")
    if not raw:
        raise DatasetError(f"{path}: the file has no rows.")
    if mode == "auto":
        first = raw[0][1]
        mode = "pairwise" if isinstance(first, dict) and ("answer_a" in first
                                                          or "human" in first) else "single"
    model: type[BaseModel] = _PairLabel if mode == "pairwise" else _SingleLabel
    allowed = ", ".join(model.model_fields)
    errors: list[str] = []
    items: list[Labelled] = []
    seen: dict[str, int] = {}
    for lineno, obj in raw:
        where = f"{path}:{lineno}"
        if not isinstance(obj, dict):
            errors.append(f"{where}: expected a JSON object with the fields {allowed}")
        else:
            try:
                row = model.model_validate(obj)
            except ValidationError as exc:
                for err in exc.errors():
                    fld = ".".join(str(p) for p in err["loc"]) or "(row)"
                    msg = err["msg"]
                    if err["type"] == "extra_forbidden":
                        msg = f"unknown field for {mode} labels; allowed: {allowed}"
                    elif fld == "human":
                        msg = "must be A, B or tie"
                    errors.append(f"{where}: field '{fld}': {msg}")
            else:
                sid = str(getattr(row, "id"))  # noqa: B009 - both label models have it
                if sid in seen:
                    errors.append(f"{where}: field 'id': '{sid}' already used at line "
                                  f"{seen[sid]}; ids must be unique")
                else:
                    seen[sid] = lineno
                    items.append(_labelled(row, sid, lineno))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        more = " (showing the first ones)" if len(errors) >= MAX_ERRORS else ""
        raise DatasetError(f"{path}: {len(errors)} invalid rows{more}; nothing was judged:\n"
                           + "\n".join(errors))
    return mode, items


def _labelled(row: BaseModel, sid: str, line: int) -> Labelled:
    if isinstance(row, _PairLabel):
        return Labelled(sid, line, row.question, row.human, answer_a=row.answer_a,
                        answer_b=row.answer_b, reference=row.reference, language=row.language)
    assert isinstance(row, _SingleLabel)
    return Labelled(sid, line, row.question, row.human_rating, answer=row.answer,
                    reference=row.reference, language=row.language)


@dataclass
class AgreementReport:
    """How well a judge agrees with human labels.

    Attributes:
        mode: ``pairwise`` or ``single``.
        total: Labelled items.
        compared: Items with a parsed judge verdict (the denominator of every metric).
        parse_errors: Items whose verdict did not parse: excluded, counted here.
        errors: Items the judge could not be asked about: excluded, counted here.
        agreement: Share of compared items where the judge gave the human's label (exact
            rating, for ``single``).
        kappa: Cohen's kappa (unweighted) over the compared items.
        within_one: ``single``: share of ratings within one point of the human's.
        weighted_kappa: ``single``: quadratic-weighted kappa on the 1–10 scale (the usual
            measure for ordinal ratings: a 7 against an 8 is a small disagreement).
        mean_abs_diff: ``single``: mean |judge − human| rating.
        threshold: ``single``: the pass mark used for ``pass_agreement``/``pass_kappa``.
        confusion: ``confusion[human][judge]`` counts.
        items: Per item: id, line, human, judge, status.
        judge: The judge's identity; ``prompts``: prompt hash → id and version used.
    """

    mode: str
    total: int
    compared: int
    parse_errors: int
    errors: int
    agreement: float | None
    kappa: float | None
    within_one: float | None = None
    weighted_kappa: float | None = None
    mean_abs_diff: float | None = None
    threshold: int | None = None
    pass_agreement: float | None = None
    pass_kappa: float | None = None
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    judge: dict[str, Any] = field(default_factory=dict)
    prompts: dict[str, dict[str, str]] = field(default_factory=dict)
    cost: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


async def run_agreement(path: Path, judge: Judge, *,
                        mode: Literal["auto", "pairwise", "single"] = "auto",
                        language: LanguageOpt = "auto", threshold: int | None = None,
                        rubric: str | None = None) -> AgreementReport:
    """Judge every item of a labelled file and compare with the human labels.

    Args:
        path: The JSONL file (see ``load_labels``).
        judge: The judge under test.
        mode: ``auto`` (from the file), ``pairwise`` or ``single``.
        language: Prompt language; ``auto``: the row's ``language``, else detected.
        threshold: ``single``: also compare pass/fail at this rating.
        rubric: ``single``: criteria replacing the default rubric.
    """
    found_mode, items = load_labels(path, mode)

    def lang(item: Labelled) -> LanguageOpt:
        return item.language if language == "auto" and item.language else language

    if found_mode == "pairwise":
        verdicts: list[PairVerdict | RatingVerdict] = list(await asyncio.gather(*(
            judge_pair(judge, it.question, it.answer_a, it.answer_b, it.reference,
                       language=lang(it)) for it in items)))
    else:
        verdicts = list(await asyncio.gather(*(
            rate_answer(judge, it.question, it.answer, it.reference, rubric=rubric,
                        language=lang(it)) for it in items)))
    report = AgreementReport(found_mode, len(items), 0, 0, 0, None, None, threshold=threshold,
                             judge=judge.info())
    human: list[Hashable] = []
    judged: list[Hashable] = []
    confusion: dict[str, Counter[str]] = {}
    for it, v in zip(items, verdicts, strict=True):
        label: str | int | None = v.winner if isinstance(v, PairVerdict) else v.rating
        report.items.append({"id": it.id, "line": it.line, "human": it.human,
                             "judge": label, "status": v.status, "error": v.error})
        report.cost += float(v.details.get("cost", 0.0) or 0.0)
        if "prompt_hash" in v.details:
            report.prompts[str(v.details["prompt_hash"])] = {
                "prompt_id": str(v.details["prompt_id"]),
                "prompt_version": str(v.details["prompt_version"])}
        if v.status == "error":
            report.errors += 1
            continue
        if v.status == "judge-parse-error" or label is None:
            report.parse_errors += 1
            continue
        human.append(it.human)
        judged.append(label)
        confusion.setdefault(str(it.human), Counter())[str(label)] += 1
    n = len(human)
    report.compared = n
    report.confusion = {h: dict(c) for h, c in sorted(confusion.items())}
    if n == 0:
        return report
    report.agreement = sum(1 for h, j in zip(human, judged, strict=True) if h == j) / n
    if found_mode == "pairwise":
        report.kappa = cohen_kappa(human, judged, labels=["A", "B", "tie"])
        return report
    hs = [int(cast(int, h)) for h in human]
    js = [int(cast(int, j)) for j in judged]
    scale = list(range(1, 11))
    report.kappa = cohen_kappa(hs, js, labels=scale)
    report.weighted_kappa = cohen_kappa(hs, js, labels=scale, weights="quadratic")
    report.within_one = sum(1 for h, j in zip(hs, js, strict=True) if abs(h - j) <= 1) / n
    report.mean_abs_diff = sum(abs(h - j) for h, j in zip(hs, js, strict=True)) / n
    if threshold is not None:
        hp = [h >= threshold for h in hs]
        jp = [j >= threshold for j in js]
        report.pass_agreement = sum(1 for h, j in zip(hp, jp, strict=True) if h == j) / n
        report.pass_kappa = cohen_kappa(hp, jp, labels=[False, True])
    return report
