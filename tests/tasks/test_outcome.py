"""One set of outcome rules: the same answer gets the same status from every scorer family."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from baimo.tasks.benchmarks import gsm8k_scorer, mcq_scorer
from baimo.tasks.outcome import decide
from baimo.tasks.scorers import ScorerSpec, build_scorer
from baimo.tasks.suites.reasoning import reasoning_scorer
from baimo.tasks.types import ModelOutput, Sample, Score

Family = Callable[[Sample, ModelOutput], Score]

NUMBER_FAMILIES: dict[str, tuple[Family, Sample]] = {
    "task-file numeric": (build_scorer(ScorerSpec(type="numeric")),
                          Sample("n", ({"role": "user", "content": "q"},), reference="18")),
    "gsm8k": (gsm8k_scorer, Sample("g", ({"role": "user", "content": "q"},), reference="18")),
    "reasoning": (reasoning_scorer, Sample("r", ({"role": "user", "content": "q"},),
                                           reference="18", metadata={"kind": "arithmetic"})),
}
CHOICES = ("red", "green", "blue", "grey")
CHOICE_FAMILIES: dict[str, tuple[Family, Sample]] = {
    "task-file choice": (build_scorer(ScorerSpec(type="choice")),
                         Sample("c", ({"role": "user", "content": "q"},), reference="C",
                                choices=CHOICES)),
    "benchmark mcq": (mcq_scorer, Sample("m", ({"role": "user", "content": "q"},),
                                         reference="C", choices=CHOICES)),
}

CASES = [
    # text, finish_reason, expected status
    ("The answer is 18.", "stop", "ok"),
    ("The answer is 18.", "length", "ok"),  # right before the cut still counts
    ("The answer is 17.", "stop", "wrong"),
    ("The answer is 17.", "length", "truncated"),  # the first wave's disagreement
    ("Let me think about this carefully and", "length", "truncated"),
    ("", "stop", "no-answer"),
    ("I cannot tell from what is given.", "stop", "no-answer"),
]
CHOICE_CASES = [
    ("The answer is C.", "stop", "ok"),
    ("The answer is C.", "length", "ok"),
    ("The answer is B.", "stop", "wrong"),
    ("The answer is B.", "length", "truncated"),
    ("Looking at each option in turn,", "length", "truncated"),
    ("", "stop", "no-answer"),
]


@pytest.mark.parametrize(("text", "finish", "expected"), CASES)
def test_number_families_agree(text: str, finish: str, expected: str) -> None:
    got = {name: fn(sample, ModelOutput(text, "", finish)).status
           for name, (fn, sample) in NUMBER_FAMILIES.items()}
    assert set(got.values()) == {expected}, got


@pytest.mark.parametrize(("text", "finish", "expected"), CHOICE_CASES)
def test_choice_families_agree(text: str, finish: str, expected: str) -> None:
    got = {name: fn(sample, ModelOutput(text, "", finish)).status
           for name, (fn, sample) in CHOICE_FAMILIES.items()}
    assert set(got.values()) == {expected}, got


def test_decide_keeps_the_truncation_flag_on_a_right_answer() -> None:
    score = decide(ModelOutput("42", "", "length"), True, "42", method="marker")
    assert score.status == "ok" and score.details["truncated"] is True
    assert score.details["method"] == "marker"


def test_every_registered_family_records_its_spec() -> None:
    for fn, _ in [*NUMBER_FAMILIES.values(), *CHOICE_FAMILIES.values()]:
        spec = getattr(fn, "spec", None)
        assert isinstance(spec, dict) and spec["name"] and "version" in spec
