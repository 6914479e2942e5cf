"""情商 (EQ): empathetic responses in zh and en, judged against a rubric.

Each prompt is a person in a difficult moment (a lost job, a failed exam, a quarrel, grief,
exhaustion). A judge rates the reply from 1 to 10 with one shared rubric (``EQ_RUBRIC``) and,
as its reference, the item's own note on what a good reply does here (the sample's
``reference``). The rubric asks for what the psychology of supportive communication
describes (recognise and name the feeling, validate it, no judgement or lecturing, a helpful
and proportionate next step, safety when there is risk) rather than for length or
politeness formulas.

A judge is only trusted once it agrees with people: ``eq_labels.jsonl`` holds replies of
varying quality with a rating each, in the format of ``baimo judge agreement`` (single
mode). Run ``baimo judge agreement <path> --judge NAME --rubric eq --threshold 7`` (the path
is ``labels_path()``; in a checkout, src/baimo/tasks/suites/eq_labels.jsonl) before reading
EQ scores from that judge. The
shipped ratings are one rater's (the suite's author): add your own raters' labels to the file
for a calibration that means more.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from baimo.errors import DatasetError
from baimo.tasks.judge import Judge, JudgeBacked, rate_answer
from baimo.tasks.registry import Figure
from baimo.tasks.types import ModelOutput, Sample, Score

__all__ = ["EQ_RUBRIC", "EqJudge", "headline_facts", "headline_figures", "labels_path",
           "load_eq"]

EQ_RUBRIC = (
    "Rate the reply as a response to a person in distress (情商 / emotional intelligence). "
    "A 9-10 reply: recognises and names the person's feelings accurately; validates them "
    "without judging, lecturing or minimising (no 'just', 'at least', 'you should have'); "
    "stays with the person's situation rather than generic advice; offers one or two "
    "proportionate, concrete next steps or an open question, only after acknowledging the "
    "feeling; points to professional or emergency help when there is any sign of risk; and "
    "uses a warm, natural tone in the person's language. 5-6: kind but generic, or jumps to "
    "advice. 1-3: dismissive, judgemental, cold, off-topic, or unsafe. The reference below "
    "notes what a good reply does for this particular message; use it as guidance, not as "
    "wording to match. 评分也适用于中文回复。")


def labels_path() -> Path:
    """The shipped calibration labels (``baimo judge agreement`` single-mode format)."""
    return Path(str(importlib.resources.files("baimo.tasks.suites") / "eq_labels.jsonl"))


def load_eq() -> list[Sample]:
    """The built-in prompts (``eq.jsonl``: id, category, lang, prompt, good_reply_note)."""
    res = importlib.resources.files("baimo.tasks.suites") / "eq.jsonl"
    out = []
    for i, line in enumerate(res.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = orjson.loads(line)
        if not all(isinstance(row.get(k), str) and row[k] for k in
                   ("id", "category", "lang", "prompt", "good_reply_note")):
            raise DatasetError(f"eq.jsonl:{i}: needs id, category, lang, prompt and "
                               "good_reply_note as non-empty strings")
        out.append(Sample(row["id"], ({"role": "user", "content": row["prompt"]},),
                          row["good_reply_note"], category=row["category"],
                          metadata={"language": row["lang"]}))
    return out


class EqJudge(JudgeBacked):
    """Rates each reply with ``EQ_RUBRIC`` and the item's note as reference."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge

    async def __call__(self, sample: Sample, output: ModelOutput) -> Score:
        if output.finish_reason == "length":
            return Score("truncated", 0.0, None, "the reply was cut off by max_tokens; "
                         "not judged")
        if not output.text.strip():
            return Score("no-answer", 0.0, None, "an empty reply; not judged")
        v = await rate_answer(self.judge, str(sample.messages[-1]["content"]), output.text,
                              str(sample.reference), rubric=EQ_RUBRIC,
                              language=sample.metadata.get("language", "auto"))
        details: dict[str, Any] = {"rating": v.rating, "judge": v.details,
                                   "category": sample.category}
        if v.error is not None:
            return Score("error", 0.0, None, v.error, details)
        if v.rating is None:
            return Score("judge-parse-error", 0.0, None, "the judge verdict did not parse",
                         details)
        return Score("ok", (v.rating - 1) / 9, str(v.rating), None, details)

    def spec(self) -> dict[str, Any]:
        return {"name": "eq-judge", "version": 1,
                "args": {"model": self.judge.name, "identity": self.judge.identity,
                         "rubric": EQ_RUBRIC}}


def _ratings(rows: Sequence[Mapping[str, Any]]) -> list[int]:
    return [int(r["details"]["rating"]) for r in rows
            if r["status"] == "ok" and r["details"] and r["details"].get("rating") is not None]


def headline_figures(rows: Sequence[Mapping[str, Any]]) -> list[Figure]:
    rs = _ratings(rows)
    return [Figure("rated ≥ 7", sum(r >= 7 for r in rs), len(rs))]


def headline_facts(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    rs = _ratings(rows)
    return [("mean rating", f"{sum(rs) / len(rs):.2f} / 10 (n={len(rs)})" if rs else "—")]
