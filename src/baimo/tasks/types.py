"""The data that flows through a task: samples in, model outputs and scores out.

A *scorer* is any callable ``(Sample, ModelOutput) -> Score``. Scorers never raise for a bad
model answer: they return a ``Score`` whose status says what happened, so that "could not find
an answer", "cut off by max_tokens" and "wrong" stay three different outcomes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "wrong", "no-answer", "truncated", "error", "judge-parse-error",
                 "unsupported"]
"""Outcome of one sample. ``ok`` means correct (or, for graded tasks, scored).

``unsupported`` means the endpoint cannot be asked this kind of question at all (it rejects
``tools``, or ignores them when a call is forced; a haystack beyond its claimed context
window): a fact about the endpoint, reported as such and left out of accuracy, never a zero.
"""

STATUSES: tuple[Status, ...] = (
    "ok", "wrong", "no-answer", "truncated", "error", "judge-parse-error", "unsupported",
)

Message = dict[str, str]


@dataclass(frozen=True)
class Sample:
    """One question of a task.

    Attributes:
        id: Stable identifier within the dataset (used for resume and diffs).
        messages: Chat messages (``role``/``content``), already rendered from the prompt.
        reference: The expected answer; its type depends on the scorer.
        choices: Option texts for multiple-choice questions, in letter order (A, B, ...).
        category: Optional grouping (subject, constraint type, ...) used in reports.
        metadata: Free-form extra data a scorer may use (e.g. instruction-following checks).
    """

    id: str
    messages: tuple[Message, ...]
    reference: Any = None
    choices: tuple[str, ...] | None = None
    category: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelOutput:
    """What a model returned for a sample, with reasoning kept apart from the answer.

    Attributes:
        text: The answer text, with any ``<think>`` block or ``reasoning_content`` removed.
        reasoning: The reasoning text, if the model produced any.
        finish_reason: As reported by the server (``stop``, ``length``, ...), or None.
        logprobs: Optional per-choice log-likelihoods (log-likelihood MCQ mode).
    """

    text: str
    reasoning: str = ""
    finish_reason: str | None = None
    logprobs: dict[str, float] | None = None
    tool_calls: tuple[dict[str, Any], ...] = ()
    """The tool calls of the (last) answer, as ``Completion.tool_calls``."""
    transcript: tuple[dict[str, Any], ...] = ()
    """For tasks with a solver that held a conversation (tool results, second turns): every
    message after the sample's own, assistant turns included, in order."""
    notes: dict[str, Any] = field(default_factory=dict)
    """What a solver recorded about the exchange that the scorer needs and the messages do not
    say (e.g. the context window the model's config claims)."""


@dataclass(frozen=True)
class Score:
    """The verdict on one sample.

    Attributes:
        status: Outcome (see ``Status``).
        value: Score in [0, 1]; 1.0 for correct, 0.0 otherwise unless the scorer grades.
        extracted: The answer the scorer extracted, as text, if any.
        reason: Why the status is not ``ok``, in words a person can act on.
        details: Scorer-specific data kept in the result row (e.g. per-check results).
    """

    status: Status
    value: float = 0.0
    extracted: str | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


Scorer = Callable[[Sample, ModelOutput], Score]
"""Turns a model output into a ``Score``. Must not raise for a bad answer."""

AsyncScorer = Callable[[Sample, ModelOutput], Awaitable[Score]]
"""A scorer that needs I/O, such as an LLM judge; the runner awaits it.

Like ``Scorer``, it must not raise for a bad answer or an unparseable verdict: it returns a
``Score`` whose status says so (e.g. ``judge-parse-error``).
"""
