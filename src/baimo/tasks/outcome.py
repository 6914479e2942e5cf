"""The outcome rules: one function decides ok / wrong / no-answer / truncated.

Why one place: before, four scorer families decided on their own and disagreed. "The answer is
17." with reference 18 and ``finish_reason=length`` was ``truncated`` through the task-file
``numeric`` scorer but ``wrong`` through the GSM8K and reasoning scorers, so the same answer
counted differently depending on which suite asked. Every scorer now reads its answer its own
way (a letter, a number, a name, code that runs) and hands the result here.

The rules, in order:

1. **correct → ok.** A right answer counts even if the model was cut off afterwards (the flag
   ``truncated`` stays in the details, so a run full of them shows it needs more tokens).
2. **cut off → truncated.** The server stopped at ``max_tokens`` (``finish_reason=length``)
   and the answer is not correct, whether or not something was read: a model that was still
   writing may have been about to correct itself. Raise ``max_tokens`` rather than blame it.
3. **nothing read → no-answer.** The model finished but committed to nothing readable.
4. **otherwise → wrong.**

``error`` (no answer was received, or the scorer could not run) and ``judge-parse-error`` are
not decided here: they say nothing about the model's answer.
"""

from __future__ import annotations

from typing import Any

from baimo.tasks.types import ModelOutput, Score

__all__ = ["cut_off", "decide"]


def cut_off(output: ModelOutput) -> bool:
    """True when the server stopped the answer at the token limit."""
    return output.finish_reason == "length"


def decide(output: ModelOutput, correct: bool | None, extracted: str | None = None, *,
           method: str, value: float | None = None, reason: str | None = None,
           **details: Any) -> Score:
    """The score for an answer that was read (``correct`` set) or not (``correct=None``).

    Args:
        output: The model's output (its finish reason decides truncation).
        correct: True/False when an answer was read and compared; None when nothing could be
            read out of the response.
        extracted: The answer as read, for the result row.
        method: How the answer was read (``marker``, ``boxed``, ``regex`` …), kept in the
            details so a surprising score can be traced to its rule.
        value: The score of a correct answer (1.0 unless graded).
        reason: Why the answer is not ok, in words (a default is used when None).
        **details: Scorer-specific data kept in the row.
    """
    info: dict[str, Any] = {"method": method, **details}
    if cut_off(output):
        info["truncated"] = True
    if correct:
        return Score("ok", 1.0 if value is None else value, extracted, None, info)
    if cut_off(output):
        return Score("truncated", 0.0, extracted,
                     reason if correct is None and reason else
                     "the answer hit max_tokens before it was complete", info)
    if correct is None:
        return Score("no-answer", 0.0, extracted, reason or f"no answer found ({method})", info)
    return Score("wrong", 0.0, extracted, reason, info)
