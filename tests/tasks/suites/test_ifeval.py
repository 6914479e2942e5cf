"""Tests for the instruction-following suite: every check on crafted zh/en responses."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from baimo.errors import DatasetError
from baimo.tasks.suites.ifeval import (
    CHECKS,
    CheckRegistry,
    detect_language,
    evaluate_checks,
    han_count,
    ifeval_scorer,
    load_ifeval,
    loose_variants,
    parse_ifeval_jsonl,
    sentence_count,
    validate_checks,
)
from baimo.tasks.types import ModelOutput, Sample

SCHEMA_BOOK: dict[str, Any] = {
    "type": "object",
    "required": ["title", "year"],
    "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
}

# (check type, args, response, expected)
CASES: list[tuple[str, dict[str, Any], str, bool]] = [
    ("max_chars", {"n": 10}, "Short one.", True),
    ("max_chars", {"n": 10}, "This is far too long.", False),
    ("max_chars", {"n": 5}, "你好世界！", True),
    ("max_chars", {"n": 5}, "你好，美丽的世界！", False),
    ("min_chars", {"n": 8}, "  long enough  ", True),
    ("min_chars", {"n": 8}, "short", False),
    ("min_chars", {"n": 6}, "这是六个字符", True),
    ("min_chars", {"n": 6}, "太短", False),
    ("max_words", {"n": 5}, "Don't count e-mail as two words.", False),
    ("max_words", {"n": 6}, "Don't count e-mail as two words.", True),
    ("min_words", {"n": 3}, "one two three", True),
    ("min_words", {"n": 3}, "one two", False),
    ("max_han_chars", {"n": 4}, "你好，世界！Hello", True),
    ("max_han_chars", {"n": 3}, "你好，世界！", False),
    ("max_han_chars", {"n": 3}, "no chinese at all", False),
    ("min_han_chars", {"n": 4}, "春眠不觉晓", True),
    ("min_han_chars", {"n": 4}, "春眠 abc，。！", False),
    ("sentence_count", {"relation": "exactly", "n": 2}, "Pi is 3.14. It is irrational!", True),
    ("sentence_count", {"relation": "exactly", "n": 2}, "One. Two. Three.", False),
    ("sentence_count", {"relation": "exactly", "n": 3}, "今天下雨了。我没带伞！怎么办？", True),
    ("sentence_count", {"relation": "at_most", "n": 2}, "第一句。第二句。第三句。", False),
    ("sentence_count", {"relation": "at_least", "n": 2}, "Visit example.com today. Now", True),
    ("include_keywords", {"keywords": ["maple", "silence"]}, "Maple leaves fall in silence.", True),
    ("include_keywords", {"keywords": ["maple", "silence"]}, "Maple leaves fall.", False),
    ("include_keywords", {"keywords": ["落叶", "炊烟"]}, "落叶纷飞，炊烟袅袅。", True),
    ("include_keywords", {"keywords": ["落叶", "炊烟"]}, "落叶纷飞。", False),
    ("forbidden_keywords", {"keywords": ["art"]}, "Let us start the day.", True),
    ("forbidden_keywords", {"keywords": ["art"]}, "Art is long, ART is short.", False),
    ("forbidden_keywords", {"keywords": ["白"]}, "雪花纷纷扬扬。", True),
    ("forbidden_keywords", {"keywords": ["白"]}, "大地一片雪白。", False),
    ("keyword_frequency", {"keyword": "wave", "relation": "at_least", "n": 2}, "Wave after wave.", True),
    ("keyword_frequency", {"keyword": "wave", "relation": "at_least", "n": 2}, "One wave, many waves.", False),
    ("keyword_frequency", {"keyword": "茶", "relation": "exactly", "n": 2}, "喝茶，品茶。", True),
    ("keyword_frequency", {"keyword": "茶", "relation": "exactly", "n": 2}, "茶茶茶", False),
    ("json_format", {}, '```json\n{"a": [1, 2]}\n```', True),
    ("json_format", {}, '{"名字": "小明"}', True),
    ("json_format", {}, 'Here you go: {"a": 1}', False),
    ("json_schema", {"schema": SCHEMA_BOOK}, '{"title": "活着", "year": 1993}', True),
    ("json_schema", {"schema": SCHEMA_BOOK}, '{"title": "Dune", "year": "1965"}', False),
    ("json_schema", {"schema": SCHEMA_BOOK}, "not json", False),
    ("bullet_count", {"n": 2}, "Intro\n* one\n- two\n***\n**bold line**", True),
    ("bullet_count", {"n": 2}, "* one\n* two\n* three", False),
    ("bullet_count", {"n": 3}, "- 早睡\n- 早起\n- 运动", True),
    ("bullet_count", {"n": 3}, "1. 早睡\n2. 早起\n3. 运动", False),
    ("paragraph_count", {"n": 2, "separator": "***"}, "First.\n***\nSecond.", True),
    ("paragraph_count", {"n": 2, "separator": "***"}, "First.\n\nSecond.", False),
    ("paragraph_count", {"n": 3, "separator": "***"}, "一\n***\n\n***\n三", False),
    ("paragraph_count", {"n": 2, "separator": "blank_line"}, "第一段。\n\n\n第二段。\n", True),
    ("paragraph_count", {"n": 2, "separator": "blank_line"}, "第一段。\n第二段。", False),
    ("response_language", {"lang": "zh"}, "我用Docker和Kubernetes部署了服务。", True),
    ("response_language", {"lang": "zh"}, "I deployed it with Docker.", False),
    ("response_language", {"lang": "en"}, "Nihao is written 你好 in Chinese, and it means hello.", True),
    ("response_language", {"lang": "en"}, "这是中文回答。", False),
    ("end_phrase", {"phrase": "Hope that helps."}, "Climate is long-term. hope that helps.  \n", True),
    ("end_phrase", {"phrase": "Hope that helps."}, "Hope that helps. Bye!", False),
    ("end_phrase", {"phrase": "生日快乐！"}, "祝你天天开心，生日快乐！", True),
    ("end_phrase", {"phrase": "生日快乐！"}, "生日快乐！😊", False),
    ("start_phrase", {"phrase": "Here is how it works:"}, "\nHere is how it works: X", True),
    ("start_phrase", {"phrase": "Here is how it works:"}, "Sure! Here is how it works:", False),
    ("start_phrase", {"phrase": "简单来说，"}, "简单来说，区块链是账本。", True),
    ("start_phrase", {"phrase": "简单来说，"}, "好的。简单来说，区块链是账本。", False),
    ("no_commas", {}, "No commas here; none at all.", True),
    ("no_commas", {}, "Well, there is one.", False),
    ("no_commas", {}, "苹果、香蕉和橙子。", True),
    ("no_commas", {}, "苹果，香蕉。", False),
    ("all_lowercase", {}, "all lower case 123.", True),
    ("all_lowercase", {}, "Not all lower.", False),
    ("all_lowercase", {}, "123 456", False),
    ("all_uppercase", {}, "RECYCLE TODAY!", True),
    ("all_uppercase", {}, "RECYCLE Today!", False),
    ("title_brackets", {}, "<<Ode to Joy>>\nLine one.", True),
    ("title_brackets", {}, "<<>>\nLine one.", False),
    ("title_brackets", {}, "<<友谊之歌>>\n朋友。", True),
    ("title_brackets", {}, "《友谊之歌》\n朋友。", False),
    ("quoted", {}, '  "Meow, feed me."  ', True),
    ("quoted", {}, 'The cat says "meow".', False),
    ("quoted", {}, "“主人，陪我玩吧。”", True),
    ("quoted", {}, "主人，陪我玩吧。", False),
    ("placeholders", {"n": 2}, "Dear [name], see you at [address].", True),
    ("placeholders", {"n": 2}, "Dear [name], see [the docs](https://x.y).", False),
    ("placeholders", {"n": 2}, "尊敬的[姓名]：请于[日期]报到。", True),
    ("placeholders", {"n": 2}, "尊敬的[姓名]：请准时报到。", False),
    ("postscript", {"marker": "P.S."}, "Lunch on Friday.\n\nP.S. Bring snacks.", True),
    ("postscript", {"marker": "P.S."}, "Lunch on Friday. PS bring snacks.", False),
    ("postscript", {"marker": "P.P.S"}, "Water the plants.\nP. P. S. Thanks!", True),
    ("postscript", {"marker": "P.S."}, "周五聚餐。\nP.S. 记得带伞。", True),
    ("postscript", {"marker": "P.S."}, "P.S. 只有附言。", False),
    ("highlighted_sections", {"n": 2}, "*Solid* and **liquid** states.", True),
    ("highlighted_sections", {"n": 2}, "* solid item\n* liquid item", False),
    ("highlighted_sections", {"n": 2}, "* *固体*有形状\n* *液体*会流动", True),
    ("highlighted_sections", {"n": 2}, "只有 *一处* 重点。", False),
    ("repeat_prompt", {"prompt_to_repeat": "Why is the sky blue?"}, "why is the  sky\nblue? Because...", True),
    ("repeat_prompt", {"prompt_to_repeat": "Why is the sky blue?"}, "Sure. Why is the sky blue?", False),
    ("repeat_prompt", {"prompt_to_repeat": "为什么天空是蓝色的？"}, "为什么天空是蓝色的？因为瑞利散射。", True),
    ("repeat_prompt", {"prompt_to_repeat": "为什么天空是蓝色的？"}, "因为瑞利散射。", False),
    ("two_responses", {}, "Bean There\n******\nDaily Grind", True),
    ("two_responses", {}, "Bean There\n******\nBean There", False),
    ("two_responses", {}, "书香阁\n******\n", False),
    ("two_responses", {}, "书香阁\n******\n墨韵书店", True),
    ("section_count", {"marker": "SECTION {n}", "n": 2}, "SECTION 1\nA\n## Section 2\nB", True),
    ("section_count", {"marker": "SECTION {n}", "n": 2}, "SECTION 1\nA", False),
    ("section_count", {"marker": "第{n}部分", "n": 2}, "第一部分\n准备\n第2部分\n堆放", True),
    ("section_count", {"marker": "第{n}部分", "n": 2}, "第一步\n准备\n第二步\n堆放", False),
    ("no_digits", {}, "Eight legs and six legs.", True),
    ("no_digits", {}, "8 legs.", False),
    ("no_digits", {}, "蜘蛛有八条腿。", True),
    ("no_digits", {}, "蜘蛛有8条腿。", False),
]


@pytest.mark.parametrize(("ctype", "args", "response", "expected"), CASES)
def test_check(ctype: str, args: dict[str, Any], response: str, expected: bool) -> None:
    assert CHECKS.get(ctype).fn(response, args) is expected


def test_every_check_has_a_passing_and_failing_case() -> None:
    passing = {c[0] for c in CASES if c[3]}
    failing = {c[0] for c in CASES if not c[3]}
    assert passing == failing == set(CHECKS.names())


def test_helpers() -> None:
    assert han_count("中文abc，汉字") == 4
    assert sentence_count("Who? Yes. The value is 2.5 today") == 3
    assert detect_language("") is None
    assert detect_language("こんにちは、世界") is None


def test_registry_rejects_duplicate_names() -> None:
    registry = CheckRegistry()

    @registry.register("x", description="x")
    def first(response: str, args: Any) -> bool:
        return True

    with pytest.raises(ValueError, match="already registered"):

        @registry.register("x", description="x again")
        def second(response: str, args: Any) -> bool:
            return False

    assert registry.get("x").fn is first
    with pytest.raises(ValueError, match="already registered"):
        CHECKS.register("no_commas", description="shadow")(first)


@pytest.mark.parametrize(
    ("checks", "lang", "message"),
    [
        ([], "en", "non-empty list"),
        ([{"type": "nope"}], "en", "unknown check type 'nope'"),
        ([{"type": "max_words"}], "en", "missing argument 'n'"),
        ([{"type": "max_words", "args": {"n": "5"}}], "en", "must be an integer"),
        ([{"type": "max_words", "args": {"n": True}}], "en", "must be an integer"),
        ([{"type": "max_words", "args": {"n": 0}}], "en", ">= 1"),
        ([{"type": "max_words", "args": {"n": 5, "m": 1}}], "en", "unknown argument"),
        ([{"type": "max_words", "args": {"n": 5}}], "zh", "not defined for language 'zh'"),
        ([{"type": "sentence_count", "args": {"relation": "about", "n": 2}}], "en", "one of"),
        ([{"type": "include_keywords", "args": {"keywords": ["a", ""]}}], "en", "non-empty strings"),
        ([{"type": "json_schema", "args": {"schema": {"type": 5}}}], "en", "not a valid JSON Schema"),
        ([{"type": "section_count", "args": {"marker": "SECTION", "n": 2}}], "en", "{n}"),
        ([{"type": "no_commas", "extra": 1}], "en", "unknown field"),
    ],
)
def test_validate_checks_rejects(checks: Any, lang: str, message: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        validate_checks(checks, lang)
    assert message in str(info.value)


def test_language_specific_checks_follow_the_requested_answer_language() -> None:
    checks = [
        {"type": "response_language", "args": {"lang": "en"}},
        {"type": "all_lowercase"},
    ]
    assert validate_checks(checks, "zh")[1] == {"type": "all_lowercase", "args": {}}


def _row(**over: Any) -> str:
    row: dict[str, Any] = {
        "id": "x-1",
        "lang": "en",
        "prompt": "Say hi without commas.",
        "checks": [{"type": "no_commas"}],
        "category": "no_commas",
    }
    row.update(over)
    return json.dumps(row, ensure_ascii=False)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        (_row(checks=[{"type": "bogus"}]), "unknown check type 'bogus'"),
        (_row(checks=[{"type": "max_chars", "args": {"n": -1}}], category="max_chars"), ">= 1"),
        (_row(category="max_chars"), "'category'"),
        (_row(lang="fr"), "'lang'"),
        (_row(checks=[{"type": "no_commas"}] * 2), "twice"),
    ],
)
def test_parse_errors_name_file_and_line(line: str, message: str) -> None:
    text = _row(id="ok-1") + "\n\n" + line + "\n"
    with pytest.raises(DatasetError) as info:
        parse_ifeval_jsonl(text, "custom.jsonl")
    assert str(info.value).startswith("custom.jsonl:3: ")
    assert message in str(info.value)


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(DatasetError, match=r"custom.jsonl:2: duplicate id 'x-1' \(first used on line 1\)"):
        parse_ifeval_jsonl(_row() + "\n" + _row(), "custom.jsonl")


def test_load_from_path(tmp_path: Path) -> None:
    path = tmp_path / "suite.jsonl"
    path.write_text(_row() + "\n", encoding="utf-8")
    [sample] = load_ifeval(path)
    assert sample.messages == ({"role": "user", "content": "Say hi without commas."},)
    assert sample.metadata == {"checks": [{"type": "no_commas", "args": {}}], "lang": "en"}


def test_builtin_suite_validates_and_is_large_enough() -> None:
    samples = load_ifeval()
    assert len(samples) >= 160
    langs = Counter(s.metadata["lang"] for s in samples)
    assert langs["zh"] >= 70 and langs["en"] >= 70
    types = {c["type"] for s in samples for c in s.metadata["checks"]}
    assert len(types) >= 22
    assert types == set(CHECKS.names())
    for s in samples:
        assert 1 <= len(s.metadata["checks"]) <= 3
        assert s.category == s.metadata["checks"][0]["type"]
    assert len({s.id for s in samples}) == len(samples)


def _sample(checks: list[dict[str, Any]], lang: str = "en") -> Sample:
    return Sample(
        id="t", messages=({"role": "user", "content": "q"},), metadata={"checks": checks, "lang": lang}
    )


def test_scorer_strict_and_loose() -> None:
    sample = _sample(
        [{"type": "start_phrase", "args": {"phrase": "Dear"}}, {"type": "no_commas", "args": {}}]
    )
    good = ifeval_scorer(sample, ModelOutput(text="Dear team see you Friday."))
    assert (good.status, good.value, good.details["strict"], good.details["loose"]) == (
        "ok", 1.0, True, True,
    )
    chatty = ifeval_scorer(sample, ModelOutput(text="Sure here it is:\nDear team see you Friday."))
    assert chatty.status == "wrong" and chatty.value == 0.0
    assert chatty.details["loose"] is True and chatty.details["strict"] is False
    assert chatty.details["checks"] == [
        {"type": "start_phrase", "strict": False, "loose": True},
        {"type": "no_commas", "strict": True, "loose": True},
    ]
    bad = ifeval_scorer(sample, ModelOutput(text="Hello, team."))
    assert bad.details["loose"] is False
    assert bad.reason is not None and "start_phrase" in bad.reason


def test_scorer_loose_removes_markdown_stars() -> None:
    sample = _sample([{"type": "end_phrase", "args": {"phrase": "生日快乐！"}}], "zh")
    score = ifeval_scorer(sample, ModelOutput(text="祝你**生日快乐！**"))
    assert score.details["strict"] is False and score.details["loose"] is True


def test_scorer_empty_truncated_and_broken_samples() -> None:
    sample = _sample([{"type": "max_chars", "args": {"n": 100}}])
    assert ifeval_scorer(sample, ModelOutput(text="  ")).status == "no-answer"
    long = _sample([{"type": "min_words", "args": {"n": 50}}])
    cut = ifeval_scorer(long, ModelOutput(text="Once upon a time", finish_reason="length"))
    assert cut.status == "truncated" and cut.value == 0.0
    broken = _sample([{"type": "nope"}])
    err = ifeval_scorer(broken, ModelOutput(text="x"))
    assert err.status == "error" and err.reason is not None and "nope" in err.reason


def test_loose_variants() -> None:
    variants = loose_variants("Sure!\n*Body*\nBye")
    assert variants[0] == "Sure!\n*Body*\nBye"
    assert "*Body*" in variants and "Body" in variants and "Sure!\nBody\nBye" in variants
    assert all(v.strip() for v in variants)


def test_evaluate_checks_never_raises_for_odd_text() -> None:
    checks = validate_checks([{"type": name} for name in ("json_format", "quoted", "no_digits")])
    for text in ["", "\x00", "```", "*" * 50, "🙂" * 3]:
        assert len(evaluate_checks(text, checks)) == 3
