"""Tests for the generated reasoning sets: determinism, independent answer checks, scoring."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter

import pytest

from baimo.errors import ConfigError
from baimo.tasks.suites.reasoning import KINDS, Kind, find_answer_line, generate, reasoning_scorer
from baimo.tasks.types import ModelOutput, Sample

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _date(text: str) -> dt.date:
    month, day, year = re.fullmatch(r"(\w+) (\d+), (\d+)", text).groups()  # type: ignore[union-attr]
    return dt.date(int(year), MONTHS.index(month) + 1, int(day))


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_samples_and_different_seed_differs(kind: Kind) -> None:
    a = generate(kind, 30, seed=11)
    assert a == generate(kind, 30, seed=11)
    b = generate(kind, 30, seed=12)
    assert [s.messages for s in a] != [s.messages for s in b]
    assert [s.id for s in a] == [f"reasoning-{kind}-11-{i}" for i in range(30)]
    assert len({s.messages[0]["content"] for s in a}) >= 25


@pytest.mark.parametrize("kind", KINDS)
def test_prefix_is_stable_and_languages_alternate(kind: Kind) -> None:
    long = generate(kind, 40, seed=3)
    assert generate(kind, 10, seed=3) == long[:10]
    langs = [s.metadata["lang"] for s in long]
    assert langs[:4] == ["zh", "en", "zh", "en"]
    for s in long:
        content = s.messages[0]["content"]
        assert s.category == kind
        if s.metadata["lang"] == "zh":
            assert "答案：" in content
        else:
            assert "Answer:" in content
    assert {s.metadata["lang"] for s in generate(kind, 6, seed=3, lang="en")} == {"en"}
    assert {s.metadata["lang"] for s in generate(kind, 6, seed=3, lang="zh")} == {"zh"}


def test_every_template_is_reachable() -> None:
    subtypes = {kind: Counter(s.metadata["subtype"] for s in generate(kind, 300, seed=1)) for kind in KINDS}
    assert len(subtypes["arithmetic"]) == 9
    assert len(subtypes["units"]) == 9
    assert set(subtypes["dates"]) == {"weekday-after", "days-between", "day-of-year"}
    assert set(subtypes["logic"]) == {"first", "last"}


def test_numeric_references_are_exact_numbers() -> None:
    for kind in ("arithmetic", "units"):
        for s in generate(kind, 300, seed=5):
            assert isinstance(s.reference, int | float) and s.reference >= 0
            assert s.metadata["answer_type"] == "number"
            if isinstance(s.reference, float):
                assert round(s.reference, 3) == s.reference


def test_date_answers_match_an_independent_computation() -> None:
    checked: Counter[str] = Counter()
    for s in generate("dates", 200, seed=9, lang="en"):
        q = s.messages[0]["content"]
        sub = s.metadata["subtype"]
        if sub == "weekday-after":
            m = re.match(r"(\w+ \d+, \d+) was a (\w+)\. What day of the week is it (\d+) days later", q)
            assert m
            start = _date(m.group(1))
            assert WEEKDAYS[start.weekday()] == m.group(2)
            assert s.reference == WEEKDAYS[(start + dt.timedelta(days=int(m.group(3)))).weekday()]
        elif sub == "days-between":
            m = re.search(r"from (\w+ \d+, \d+) to (\w+ \d+, \d+)\?", q)
            assert m
            assert s.reference == (_date(m.group(2)) - _date(m.group(1))).days
        else:
            m = re.search(r"what day of the year is (\w+ \d+, \d+)\?", q)
            assert m
            d = _date(m.group(1))
            assert s.reference == (d - dt.date(d.year, 1, 1)).days + 1
        checked[sub] += 1
    assert all(n > 20 for n in checked.values())


def test_zh_weekday_questions_name_the_day_in_chinese() -> None:
    """Every weekday, Tuesday and Thursday included, is written 星期X in a Chinese question and
    is the true weekday of the date it follows."""
    zh = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]
    seen: set[str] = set()
    for s in generate("dates", 300, seed=9, lang="zh"):
        if s.metadata["subtype"] != "weekday-after":
            continue
        q = s.messages[0]["content"]
        m = re.match(r"(\d+)年(\d+)月(\d+)日是(.+?)。(\d+)天之后是星期几？", q)
        assert m, q
        start = dt.date(int(m[1]), int(m[2]), int(m[3]))
        assert m[4] == zh[start.weekday()], q
        assert s.reference == WEEKDAYS[(start + dt.timedelta(days=int(m[5]))).weekday()]
        seen.add(m[4])
    assert seen == set(zh)


def _holds(line: str, order: tuple[str, ...]) -> bool:
    pos = {n: i for i, n in enumerate(order)}
    ords = ["first", "second", "third", "fourth"]
    if m := re.fullmatch(r"(\w+) finished immediately ahead of (\w+)\.", line):
        return pos[m[1]] + 1 == pos[m[2]]
    if m := re.fullmatch(r"(\w+) finished ahead of (\w+)\.", line):
        return pos[m[1]] < pos[m[2]]
    if m := re.fullmatch(r"(\w+) did not win\.", line):
        return pos[m[1]] != 0
    if m := re.fullmatch(r"(\w+) did not finish last\.", line):
        return pos[m[1]] != len(order) - 1
    if m := re.fullmatch(r"(\w+) did not finish (\w+)\.", line):
        return pos[m[1]] != ords.index(m[2])
    m = re.fullmatch(r"(\w+) finished somewhere between (\w+) and (\w+)\.", line)
    assert m, line
    lo, hi = sorted((pos[m[2]], pos[m[3]]))
    return lo < pos[m[1]] < hi


def test_logic_puzzles_have_exactly_one_solution() -> None:
    for s in generate("logic", 120, seed=21, lang="en"):
        q = s.messages[0]["content"]
        names = re.search(r"runners, (.+), ran a race", q).group(1).replace(" and ", ", ").split(", ")  # type: ignore[union-attr]
        clues = re.findall(r"^\d+\. (.+)$", q, re.MULTILINE)
        solutions = [p for p in itertools.permutations(names) if all(_holds(c, p) for c in clues)]
        assert len(solutions) == 1, q
        # Every clue is needed: the generator prunes redundant ones.
        for skip in range(len(clues)):
            rest = clues[:skip] + clues[skip + 1:]
            assert sum(all(_holds(c, p) for c in rest) for p in itertools.permutations(names)) > 1
        expected = solutions[0][0] if "finished first?" in q else solutions[0][-1]
        assert s.reference == expected
        assert s.metadata["candidates"] == [[n] for n in names]


def test_zh_logic_names_do_not_overlap() -> None:
    for s in generate("logic", 50, seed=2, lang="zh"):
        names = [c[0] for c in s.metadata["candidates"]]
        assert all(a == b or a not in b for a in names for b in names)


@pytest.mark.parametrize(
    ("kind", "n", "seed", "lang"),
    [("poetry", 1, 1, "en"), ("units", -1, 1, "en"), ("units", 1, "x", "en"), ("units", 1, 1, "fr")],
)
def test_bad_arguments(kind: str, n: int, seed: int, lang: str) -> None:
    with pytest.raises(ConfigError):
        generate(kind, n, seed, lang)  # type: ignore[arg-type]


def _numeric(reference: float) -> Sample:
    return Sample(id="n", messages=({"role": "user", "content": "q"},), reference=reference,
                  metadata={"kind": "units", "answer_type": "number"})


def test_numeric_scoring() -> None:
    s = _numeric(7500)
    assert reasoning_scorer(s, ModelOutput(text="5 km/h × 1.5 h = 7.5 km\nAnswer: 7500")).status == "ok"
    assert reasoning_scorer(s, ModelOutput(text="所以是7,500米。\n答案：7500")).value == 1.0
    wrong = reasoning_scorer(s, ModelOutput(text="Answer: 750"))
    assert (wrong.status, wrong.extracted) == ("wrong", "750")
    assert reasoning_scorer(_numeric(14.4), ModelOutput(text="答案：14.4")).status == "ok"
    assert reasoning_scorer(s, ModelOutput(text="I am not sure.")).status == "no-answer"
    cut = reasoning_scorer(s, ModelOutput(text="First, 5 km/h for", finish_reason="length"))
    assert cut.status == "truncated" and cut.details["truncated"] is True


def _named(reference: str, candidates: list[list[str]]) -> Sample:
    return Sample(id="x", messages=({"role": "user", "content": "q"},), reference=reference,
                  metadata={"kind": "logic", "answer_type": "name", "candidates": candidates})


def test_name_scoring() -> None:
    s = _named("Alice", [["Alice"], ["Bruno"], ["Chen"]])
    assert reasoning_scorer(s, ModelOutput(text="Bruno is behind Alice.\nAnswer: Alice")).status == "ok"
    assert reasoning_scorer(s, ModelOutput(text="**Answer:** $\\boxed{alice}$")).status == "ok"
    assert reasoning_scorer(s, ModelOutput(text="Final answer:\n\nAlice")).status == "ok"
    wrong = reasoning_scorer(s, ModelOutput(text="Answer: Alice?\nAnswer: Bruno"))
    assert (wrong.status, wrong.value, wrong.extracted) == ("wrong", 0.0, "Bruno")
    both = reasoning_scorer(s, ModelOutput(text="Answer: Alice or Bruno"))
    assert both.status == "no-answer" and "several" in (both.reason or "")
    assert reasoning_scorer(s, ModelOutput(text="Answer: nobody")).status == "no-answer"
    assert reasoning_scorer(s, ModelOutput(text="Alice won.")).status == "no-answer"
    assert reasoning_scorer(s, ModelOutput(text="Alice", finish_reason="length")).status == "truncated"
    # Names must match as whole words: "Chen" is not found in "Chenoweth".
    assert reasoning_scorer(s, ModelOutput(text="Answer: Alice (not Chenoweth)")).status == "ok"

    zh = _named("张伟", [["张伟"], ["李娜"], ["王芳"]])
    assert reasoning_scorer(zh, ModelOutput(text="推理……\n答案：张伟")).status == "ok"
    assert reasoning_scorer(zh, ModelOutput(text="最终答案是李娜。")).status == "wrong"


def test_weekday_aliases_in_both_languages() -> None:
    [s] = [x for x in generate("dates", 60, seed=4, lang="zh") if x.metadata["subtype"] == "weekday-after"][:1]
    group = next(g for g in s.metadata["candidates"] if g[0] == s.reference)
    for alias in (group[0], group[-1], group[2]):
        score = reasoning_scorer(s, ModelOutput(text=f"答案：{alias}"))
        assert score.status == "ok", alias
    other = next(g for g in s.metadata["candidates"] if g[0] != s.reference)
    assert reasoning_scorer(s, ModelOutput(text=f"答案：{other[3]}")).status == "wrong"


def test_find_answer_line() -> None:
    assert find_answer_line("x\nAnswer: A\nmore\nANSWER - B") == "- B"
    assert find_answer_line("答案：周三") == "周三"
    assert find_answer_line("no marker") is None
    assert find_answer_line("Answer:") is None


def test_generation_scales() -> None:
    samples = generate("logic", 500, seed=8)
    assert len(samples) == 500 and len({s.id for s in samples}) == 500
