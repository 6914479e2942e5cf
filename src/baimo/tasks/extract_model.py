"""A judge model as a second reader of answers the rules could not read, or read weakly.

The rules in ``baimo.tasks.extract`` are fast, free and reproducible, and on text written
blind they read about 99% of answers right. The rest are responses where the answer is stated
in a way no rule foresaw, or where the only thing a rule could find was the last number or an
option merely mentioned (``WEAK_METHODS``). For those, and only those, a task may ask a judge
model to read the final answer (the xFinder approach): it is shown the question, the options
and the reply, and must answer in one strict form, ``[[ANSWER: X]]`` or ``[[NO ANSWER]]``.

Why it is kept apart and strict:

* the judge only *reads*; it never grades. The comparison with the reference stays the same
  code as for rule-read answers, so a model-read answer can only be right or wrong the way a
  rule-read one can;
* every answer it reads carries ``method: "model"`` (and the rule reading it replaced), so
  reports count them on their own and never mix them silently with rule-read answers;
* its reply is parsed strictly: anything but exactly one well-formed verdict, a letter out of
  range, or a number that does not parse is ``method: "model-parse-error"``, a ``no-answer``
  with the reason and the raw reply kept, never a guess;
* it runs at temperature 0 (``baimo.tasks.judge.Judge`` forces it), with a versioned prompt
  whose hash is stored with every reading;
* no-answers the rules decided on purpose (a hedge, a range, "cannot be determined", an empty
  reply; ``DECIDED_NO_ANSWER``) and truncated replies are not sent: a second reader must not
  turn a model that did not commit into one that did.

Enable it per task with ``extract: {fallback: MODEL_NAME}`` in the task file; the model is
looked up in the models file like a ``judge:`` block's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from baimo.config import ModelConfig
from baimo.tasks.extract import (
    DECIDED_NO_ANSWER,
    WEAK_METHODS,
    Extraction,
    numbers_equal,
    parse_number,
)
from baimo.tasks.outcome import decide
from baimo.tasks.scorers import references
from baimo.tasks.types import AsyncScorer, ModelOutput, Sample, Score, Scorer

__all__ = [
    "PROMPT_HASH",
    "PROMPT_ID",
    "AnswerReader",
    "ExtractSpec",
    "ModelFallback",
    "build_messages",
    "parse_reading",
    "read_with_model",
    "with_model_fallback",
]

Kind = Literal["choice", "number"]
Threshold = Literal["weak", "missing"]

PROMPT_ID = "extract-final-answer/1"

_SYSTEM = (
    "You read answers; you do not solve questions. You are given a question and a reply "
    "written by someone else. Find the FINAL answer the reply commits to, exactly as the reply "
    "states it, even if you think it is wrong. Ignore reasoning, drafts, checks and answers the "
    "reply rejected; if the reply changes its mind, the last answer it commits to counts.\n"
    "If the reply gives no final answer, gives several without choosing, gives a range, or says "
    "the question cannot be answered, there is no answer.\n"
    "Reply with exactly one line and nothing else:\n"
    "[[ANSWER: X]]\n"
    "or\n"
    "[[NO ANSWER]]"
)
_CHOICE_RULE = (
    "X is the letter of the chosen option ({letters}), never the option's text.{multi}"
)
_MULTI_RULE = " Several options may be chosen: write all chosen letters, e.g. [[ANSWER: AC]]."
_NUMBER_RULE = (
    "X is the final number alone, in digits (for example 42, -3.5, 3/4, 25%, 0.0015): no "
    "units, no words, no thousands separators, multipliers written out (1.2 million -> "
    "1200000)."
)
_MAX_REPLY_CHARS = 12_000
_MAX_VERDICT_KEEP = 500


def _prompt_hash() -> str:
    parts = (_SYSTEM, _CHOICE_RULE, _MULTI_RULE, _NUMBER_RULE)
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:16]


PROMPT_HASH = _prompt_hash()
"""Hash of every text the prompt is built from; stored with each reading."""


class _Reply(Protocol):
    @property
    def text(self) -> str: ...


class AnswerReader(Protocol):
    """Anything that can ask a judge model one question (``baimo.tasks.judge.Judge`` is one).

    ``ask`` must send the messages at temperature 0 and return the reply; it may raise when
    the judge cannot be reached (the scorer wrapper records that as an error of the reading).
    """

    async def ask(self, messages: list[dict[str, str]]) -> _Reply: ...


def build_messages(
    question: str,
    response: str,
    *,
    kind: Kind,
    choices: Sequence[str] | None = None,
    n_choices: int | None = None,
    multi: bool = False,
) -> list[dict[str, str]]:
    """The chat messages that ask a judge to read the final answer of ``response``.

    Args:
        question: The question as the model saw it.
        response: The model's reply (answer text only; reasoning is not shown).
        kind: ``choice`` for a letter, ``number`` for a number.
        choices: Option texts in letter order, shown to the judge when given.
        n_choices: Number of options (defaults to ``len(choices)``).
        multi: Whether several options may be chosen.
    """
    n = _n_choices(kind, choices, n_choices)
    if kind == "choice":
        letters = ", ".join(chr(65 + i) for i in range(n))
        rule = _CHOICE_RULE.format(letters=letters, multi=_MULTI_RULE if multi else "")
    else:
        rule = _NUMBER_RULE
    parts = [f"<question>\n{question.strip()}\n</question>"]
    if kind == "choice" and choices:
        listed = "\n".join(f"{chr(65 + i)}. {c}" for i, c in enumerate(choices))
        parts.append(f"<options>\n{listed}\n</options>")
    clipped = response if len(response) <= _MAX_REPLY_CHARS else (
        "[…] " + response[-_MAX_REPLY_CHARS:])  # the final answer is at the end
    parts.append(f"<reply>\n{clipped.strip()}\n</reply>")
    parts.append(rule)
    return [{"role": "system", "content": _SYSTEM},
            {"role": "user", "content": "\n\n".join(parts)}]


def _n_choices(kind: Kind, choices: Sequence[str] | None, n_choices: int | None) -> int:
    if kind != "choice":
        return 0
    n = n_choices if n_choices is not None else len(choices or ())
    if not 1 <= n <= 26:
        raise ValueError(f"n_choices must be between 1 and 26, got {n}")
    return n


_VERDICT = re.compile(r"\[\[\s*(?:ANSWER\s*:\s*(?P<x>[^\[\]\n]*?)\s*|(?P<none>NO\s+ANSWER)\s*)\]\]")


def parse_reading(
    reply: str, *, kind: Kind, n_choices: int = 0, multi: bool = False
) -> Extraction:
    """Parse the judge's reply strictly into an extraction.

    Exactly one verdict must be present, and it must be well formed for the kind: option
    letters within range (one, unless ``multi``), or one number. Anything else is a
    ``model-parse-error`` whose ``reason`` says what was wrong.
    """
    verdicts = list(_VERDICT.finditer(reply))

    def failed(reason: str) -> Extraction:
        return Extraction("no-answer", None, "model-parse-error", reason=reason)

    if not verdicts:
        return failed("no [[ANSWER: X]] or [[NO ANSWER]] in the judge's reply")
    if len(verdicts) > 1:
        return failed(f"{len(verdicts)} verdicts in the judge's reply; exactly one is allowed")
    m = verdicts[0]
    if m.group("none"):
        return Extraction("no-answer", None, "model", reason="the judge read no final answer")
    raw = (m.group("x") or "").strip()
    if not raw:
        return failed("empty [[ANSWER: ]] in the judge's reply")
    if kind == "choice":
        tokens = [t for t in re.split(r"[\s,、;&]+|\band\b", raw.strip("()*$`'\".")) if t]
        if not tokens or not all(re.fullmatch(r"[A-Za-z]|[A-Z]+", t) for t in tokens):
            return failed(f"'{raw}' is not option letters")
        letters = "".join(tokens).upper()
        if any(ord(c) - 65 >= n_choices for c in letters):
            return failed(f"'{raw}' names an option beyond {chr(64 + n_choices)}")
        chosen = "".join(sorted(set(letters)))
        if len(chosen) != len(letters):
            return failed(f"'{raw}' repeats a letter")
        if len(chosen) > 1 and not multi:
            return failed(f"'{raw}' names several options for a single-answer question")
        return Extraction("ok", chosen, "model")
    number = parse_number(raw)
    if number is None:
        return failed(f"'{raw}' is not a number")
    return Extraction("ok", raw.strip("$ "), "model", number=number)


async def read_with_model(
    judge: AnswerReader,
    question: str,
    response: str,
    *,
    kind: Kind,
    choices: Sequence[str] | None = None,
    n_choices: int | None = None,
    multi: bool = False,
) -> Extraction:
    """Ask a judge model to read the final answer of ``response``.

    Returns an extraction with method ``model`` (an answer, or ``no-answer`` when the judge
    read none), or ``model-parse-error`` (``no-answer``, with the reason) when its reply did
    not parse. Exceptions of ``judge.ask`` (the judge could not be reached) propagate.
    """
    n = _n_choices(kind, choices, n_choices)
    messages = build_messages(question, response, kind=kind, choices=choices, n_choices=n,
                              multi=multi)
    reply = await judge.ask(messages)
    return _with_reply(parse_reading(reply.text, kind=kind, n_choices=n, multi=multi),
                       reply.text)


def _with_reply(ext: Extraction, reply: str) -> Extraction:
    if ext.method != "model-parse-error":
        return ext
    kept = reply if len(reply) <= _MAX_VERDICT_KEEP else reply[:_MAX_VERDICT_KEEP] + " […]"
    return Extraction(ext.status, None, ext.method, reason=f"{ext.reason}: {kept!r}")


def _question(sample: Sample) -> str:
    """The conversation the model answered, as the judge is shown it."""
    if len(sample.messages) == 1:
        return sample.messages[0].get("content", "")
    return "\n\n".join(f"{m.get('role', 'user').capitalize()}: {m.get('content', '')}"
                       for m in sample.messages)


def _default_compare(kind: Kind, rel_tol: float, abs_tol: float
                     ) -> Callable[[Sample, Extraction], bool]:
    def compare(sample: Sample, ext: Extraction) -> bool:
        refs = references(sample)
        if kind == "choice":
            return ext.value in {"".join(sorted(r.strip().upper())) for r in refs}
        return any(numbers_equal(ext.value or "", r, rel_tol=rel_tol, abs_tol=abs_tol)
                   for r in refs)

    return compare


class ModelFallback:
    """An async scorer: the rule scorer first, the judge model only where the rules were weak.

    Build it with ``with_model_fallback``. The rule score is kept when it was read by a rule
    stronger than ``WEAK_METHODS`` (or, with ``threshold="missing"``, whenever anything was
    read), when the reply was truncated, and when the rules decided on a no-answer on purpose.
    Otherwise the judge reads the answer and its reading decides, with the rule reading kept in
    ``details["rule_reading"]`` so the two can be compared.
    """

    def __init__(self, scorer: Scorer, judge: AnswerReader, *, threshold: Threshold = "weak",
                 kind: Kind | None = None, multi: bool = False, rel_tol: float = 1e-6,
                 abs_tol: float = 1e-9,
                 compare: Callable[[Sample, Extraction], bool] | None = None,
                 judge_name: str | None = None) -> None:
        if threshold not in ("weak", "missing"):
            raise ValueError(f"threshold must be 'weak' or 'missing', got {threshold!r}")
        self.scorer = scorer
        self.judge = judge
        self.threshold = threshold
        self.kind = kind
        self.multi = multi
        self.rel_tol = rel_tol
        self.abs_tol = abs_tol
        self.compare = compare
        self.judge_name = judge_name or str(getattr(judge, "name", type(judge).__name__))

    def models(self) -> list[ModelConfig]:
        """The models this scorer asks: the reader, when it is a configured model."""
        cfg = getattr(self.judge, "cfg", None)
        return [cfg] if isinstance(cfg, ModelConfig) else []

    def needs_model(self, rule: Score, output: ModelOutput) -> bool:
        """Whether the rule score is too weak to stand on its own."""
        method = str(rule.details.get("method", ""))
        if output.finish_reason == "length" or rule.status in ("truncated", "error"):
            return False
        if rule.status == "no-answer":
            return method not in DECIDED_NO_ANSWER and bool(output.text.strip())
        return self.threshold == "weak" and method in WEAK_METHODS

    async def __call__(self, sample: Sample, output: ModelOutput) -> Score:
        """Score one answer; never raises for a bad answer or an unreachable judge."""
        rule = self.scorer(sample, output)
        if not self.needs_model(rule, output):
            return rule
        kind: Kind = self.kind or ("choice" if sample.choices else "number")
        rule_reading = {"method": rule.details.get("method"), "status": rule.status,
                        "extracted": rule.extracted}
        info: dict[str, Any] = {"judge": self.judge_name, "prompt": PROMPT_ID,
                                "prompt_hash": PROMPT_HASH}
        try:
            ext = await read_with_model(self.judge, _question(sample), output.text, kind=kind,
                                        choices=sample.choices, multi=self.multi)
        except Exception as exc:  # the judge could not be heard: keep the rule score
            reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
            return Score(rule.status, rule.value, rule.extracted, rule.reason,
                         {**rule.details, "model_error": str(reason), "model": info})
        details = {**rule.details, "method": ext.method, "rule_reading": rule_reading,
                   "model": info}
        if ext.status != "ok" or ext.value is None:
            why = ext.reason or "no answer"
            return decide(output, None, None, reason=f"no answer found ({ext.method}: {why})",
                          **details)
        compare = self.compare or _default_compare(kind, self.rel_tol, self.abs_tol)
        return decide(output, compare(sample, ext), ext.value, **details)

    async def aclose(self) -> None:
        """Close the judge, if it holds a connection (the runner calls this at the end)."""
        close: Callable[[], Awaitable[None]] | None = getattr(self.judge, "aclose", None)
        if close is not None:
            await close()


def with_model_fallback(scorer: Scorer, judge: AnswerReader, threshold: Threshold = "weak",
                        **options: Any) -> AsyncScorer:
    """Wrap a rule scorer so a judge model reads the answers the rules found weakly or not.

    Args:
        scorer: The rule scorer (``choice``/``numeric`` of a task file, or a suite's scorer);
            its score's ``details["method"]`` must name the extraction rule.
        judge: The judge (``baimo.tasks.judge.Judge`` or anything with the same ``ask``).
        threshold: ``weak`` asks the judge when nothing was read or only by a weak rule;
            ``missing`` only when nothing was read.
        **options: ``kind`` (default: ``choice`` when the sample has options), ``multi``,
            ``rel_tol``/``abs_tol`` for numbers, ``compare`` to replace the reference comparison,
            ``judge_name`` for the details.

    Returns:
        A ``ModelFallback``, an async scorer ``(Sample, ModelOutput) -> Score``.
    """
    return ModelFallback(scorer, judge, threshold=threshold, **options)


class ExtractSpec(BaseModel):
    """The ``extract:`` block of a task file: ``extract: {fallback: MODEL_NAME}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fallback: str = Field(min_length=1)
    """The judge model (a name in the models file) that reads what the rules read weakly."""
    threshold: Threshold = "weak"
    """``weak``: ask when nothing was read or only by a weak rule; ``missing``: only when
    nothing was read."""
