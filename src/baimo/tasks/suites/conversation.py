"""Helpers for suites whose samples are conversations rather than one request.

A solver (``baimo.tasks.task.Solver``) may ask the model several times for one sample: tool
results fed back, a second user turn. The runner stores one answer per sample, so the turns
are folded into one ``Answer`` here: the last completion, with tokens, cost and attempts summed
over every turn, the time from the first request sent to the last byte received, and the turns
themselves in ``raw["baimo_transcript"]`` (re-read from the store on resume, so a stored
conversation scores exactly as a fresh one).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from typing import Any

import orjson

from baimo.models.base import Completion, Timing, Usage
from baimo.models.client import Answer

__all__ = ["UNSUPPORTED", "combine", "fingerprint", "unsupported_answer"]

UNSUPPORTED = "baimo-unsupported"
"""The finish reason of an answer the endpoint could not give (see ``unsupported_answer``)."""


def fingerprint(*parts: Any) -> str:
    """A short hash of what a solver sends beyond the sample's own messages (tool schemas,
    second turns): it goes into the task's version, so the answer cache, keyed by the first
    messages, can never hand back a conversation held with other tools or other turns."""
    blob = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()[:12]


def combine(answers: Sequence[Answer], transcript: list[dict[str, Any]],
            notes: dict[str, Any] | None = None) -> Answer:
    """One ``Answer`` for a conversation of ``answers`` (at least one), in order; ``notes``
    reach the scorer as ``ModelOutput.notes``."""
    last = answers[-1].completion
    first = answers[0].completion
    usage = Usage(
        prompt_tokens=sum(a.completion.usage.prompt_tokens for a in answers),
        completion_tokens=sum(a.completion.usage.completion_tokens for a in answers),
        cached_tokens=sum(a.completion.usage.cached_tokens for a in answers),
        reasoning_tokens=sum(a.completion.usage.reasoning_tokens for a in answers),
        estimated=any(a.completion.usage.estimated for a in answers))
    timing = Timing(sent=first.timing.sent, first_byte=first.timing.first_byte,
                    first_token=first.timing.first_token,
                    first_answer=first.timing.first_answer,
                    last_token=last.timing.last_token, done=last.timing.done)
    raw = {**last.raw, "baimo_transcript": transcript, "baimo_turns": len(answers)}
    if notes:
        raw["baimo_notes"] = notes
    comp = dataclasses.replace(last, usage=usage, timing=timing, raw=raw)
    return Answer(comp, sum(a.attempts for a in answers), sum(a.cost for a in answers),
                  answers[-1].currency)


def unsupported_answer(reason: str, currency: str, cost: float = 0.0,
                       notes: dict[str, Any] | None = None) -> Answer:
    """The answer of an endpoint that cannot take this kind of request.

    Its text is the reason and its finish reason ``UNSUPPORTED``: the suite's scorer turns it
    into the ``unsupported`` status, which is left out of accuracy. It is stored like any
    answer, so a resumed run reports the same thing without asking again.
    """
    comp = Completion(text=reason, reasoning="", finish_reason=UNSUPPORTED,
                      usage=Usage(estimated=True), timing=Timing(),
                      raw={"baimo_unsupported": reason, "baimo_notes": notes or {}})
    return Answer(comp, 0, cost, currency)
