"""Multi-turn conversations: two turns where the second depends on the first, judged.

The suite's solver asks the first question, keeps the model's answer in the conversation and
asks the follow-up (which refers to that answer: "now shorten *it*", "the second book you
named"). The existing judge grades each turn in single-answer mode, as MT-Bench does: the
first turn on its own, the second with the whole conversation shown, so a second answer that
ignores or contradicts the first is marked down. The sample's score is the mean of the two
normalised ratings; the report shows each turn's mean rating apart, because models that do
well on a first turn often lose the thread on the second.

Needs a judge model (``--judge NAME``); the judge runs at temperature 0 with the versioned
prompts of ``baimo.tasks.judge_prompts``.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from baimo.config import ModelConfig
from baimo.errors import ConfigError, DatasetError
from baimo.models.client import Answer, ModelClient
from baimo.tasks.judge import Judge, JudgeBacked, question_text, rate_answer
from baimo.tasks.registry import Figure
from baimo.tasks.scorers import scorer
from baimo.tasks.suites.conversation import combine
from baimo.tasks.types import ModelOutput, Sample, Score

__all__ = ["MultiTurnJudge", "headline_facts", "headline_figures", "judge_for",
           "load_multiturn", "multiturn_solver", "pending"]


def load_multiturn() -> list[Sample]:
    """The built-in conversations (``multiturn.jsonl``: id, category, lang, turns[2])."""
    res = importlib.resources.files("baimo.tasks.suites") / "multiturn.jsonl"
    out = []
    for i, line in enumerate(res.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = orjson.loads(line)
        turns = row.get("turns")
        if not (isinstance(turns, list) and len(turns) == 2
                and all(isinstance(t, str) and t for t in turns)):
            raise DatasetError(f"multiturn.jsonl:{i}: 'turns' must be two non-empty strings")
        out.append(Sample(row["id"], ({"role": "user", "content": turns[0]},), None,
                          category=row["category"],
                          metadata={"turns": turns, "language": row["lang"]}))
    return out


async def multiturn_solver(sample: Sample, messages: list[dict[str, Any]],
                           params: dict[str, Any], client: ModelClient) -> Answer:
    """First turn, then the follow-up with the model's own first answer in the history."""
    first = await client.complete(messages, params)
    a1: dict[str, Any] = {"role": "assistant", "content": first.completion.text}
    u2 = {"role": "user", "content": sample.metadata["turns"][1]}
    second = await client.complete([*messages, a1, u2], params)
    a2 = {"role": "assistant", "content": second.completion.text,
          "finish_reason": second.completion.finish_reason}
    a1["finish_reason"] = first.completion.finish_reason
    return combine([first, second], [a1, u2, a2])


@scorer("judged-pending")
def pending(sample: Sample, output: ModelOutput) -> Score:
    """Placeholder rule score: judged suites are decided by their judge (the async scorer)."""
    return Score("error", 0.0, None, "not judged yet")


def _usable(text: str, finish: Any) -> Score | None:
    if finish == "length":
        return Score("truncated", 0.0, None, "an answer was cut off by max_tokens; not judged")
    if not text.strip():
        return Score("no-answer", 0.0, None, "an empty answer; not judged")
    return None


class MultiTurnJudge(JudgeBacked):
    """Grades both turns of a conversation with a judge (an ``AsyncScorer``)."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge

    async def __call__(self, sample: Sample, output: ModelOutput) -> Score:
        turns = [m for m in output.transcript if m.get("role") == "assistant"]
        if len(turns) != 2:
            return Score("error", 0.0, None, "the conversation has no second turn")
        for t in turns:
            bad = _usable(str(t.get("content") or ""), t.get("finish_reason"))
            if bad is not None:
                return bad
        q1, q2 = sample.metadata["turns"]
        a1, a2 = (str(t["content"]) for t in turns)
        lang = sample.metadata.get("language", "auto")
        v1 = await rate_answer(self.judge, q1, a1, language=lang)
        convo = question_text([{"role": "user", "content": q1},
                               {"role": "assistant", "content": a1},
                               {"role": "user", "content": q2}])
        v2 = await rate_answer(self.judge, convo, a2, language=lang)
        details: dict[str, Any] = {"turn1": v1.rating, "turn2": v2.rating,
                                   "judge": [v1.details, v2.details],
                                   "category": sample.category}
        for v in (v1, v2):
            if v.error is not None:
                return Score("error", 0.0, None, v.error, details)
        if v1.rating is None or v2.rating is None:
            return Score("judge-parse-error", 0.0, None, "a judge verdict did not parse",
                         details)
        value = ((v1.rating - 1) / 9 + (v2.rating - 1) / 9) / 2
        return Score("ok", value, f"{v1.rating}/{v2.rating}", None, details)

    def spec(self) -> dict[str, Any]:
        return {"name": "multiturn-judge", "version": 1,
                "args": {"model": self.judge.name, "identity": self.judge.identity}}


def judge_for(opts_judge: ModelConfig | None, suite: str) -> Judge:
    """The judge of a judged suite, or a clear error when none was given."""
    if opts_judge is None:
        raise ConfigError(f"the {suite} suite is judged: give a judge model with --judge NAME "
                          "(a model from the models file; it grades at temperature 0)")
    return Judge(opts_judge)


def _ratings(rows: Sequence[Mapping[str, Any]], key: str) -> list[int]:
    return [int(r["details"][key]) for r in rows
            if r["status"] == "ok" and r["details"] and r["details"].get(key) is not None]


def headline_figures(rows: Sequence[Mapping[str, Any]]) -> list[Figure]:
    t1, t2 = _ratings(rows, "turn1"), _ratings(rows, "turn2")
    return [Figure("turn 1 rated ≥ 7", sum(r >= 7 for r in t1), len(t1)),
            Figure("turn 2 rated ≥ 7", sum(r >= 7 for r in t2), len(t2))]


def headline_facts(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for key, label in (("turn1", "turn 1 mean rating"), ("turn2", "turn 2 mean rating")):
        rs = _ratings(rows, key)
        out.append((label, f"{sum(rs) / len(rs):.2f} / 10 (n={len(rs)})" if rs else "—"))
    return out
