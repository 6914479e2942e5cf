"""Tests for answer extraction: one test per rule, the tricky negatives, and a labelled corpus.

The corpus (``data/extraction_corpus.jsonl``) holds realistic model responses in Chinese and
English, each labelled with the status and answer a careful human would read from it. Its
accuracy is printed and must stay at or above 99%.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baimo.tasks.extract import (
    WEAK_METHODS,
    Extraction,
    extract_choice,
    extract_number,
    normalize_text,
    numbers_equal,
    parse_number,
    strip_reasoning,
)

CORPUS = Path(__file__).parent / "data" / "extraction_corpus.jsonl"


def choice(text: str, n: int = 4, **kw: Any) -> str | None:
    return extract_choice(text, n, **kw).value


def number(text: str, **kw: Any) -> float | None:
    return extract_number(text, **kw).number


# ---------------------------------------------------------------------------------------------
# strip_reasoning
# ---------------------------------------------------------------------------------------------


def test_strip_reasoning_splits_closed_block() -> None:
    assert strip_reasoning("<think>\nmaybe A\n</think>\n\nAnswer: B") == ("maybe A", "Answer: B")


def test_strip_reasoning_unclosed_block_is_all_reasoning() -> None:
    assert strip_reasoning("<think>I think it is A, but") == ("I think it is A, but", "")


def test_strip_reasoning_unclosed_block_then_a_set_out_reply() -> None:
    # The block is never closed, but a reply follows it in its own paragraphs.
    text = ("<think>\nThe user asks which are metals. Iron yes, neon no.\n\nLet me write it "
            "up.\n\n**Metals:** iron and copper.\n\nAnswer: A, C")
    reasoning, answer = strip_reasoning(text)
    assert answer == "**Metals:** iron and copper.\n\nAnswer: A, C"
    assert reasoning.endswith("Let me write it up.")
    # plain paragraphs are still thinking
    assert strip_reasoning("<think>\nIron yes.\n\nSo A and C.")[1] == ""


def test_strip_reasoning_missing_open_tag() -> None:
    # Chat templates often emit <think> themselves, so the response starts inside the block.
    assert strip_reasoning("it is A... no, C</think>The answer is C.") == (
        "it is A... no, C",
        "The answer is C.",
    )


def test_strip_reasoning_without_tags_and_with_several_blocks() -> None:
    assert strip_reasoning("  B  ") == ("", "B")
    reasoning, answer = strip_reasoning("<think>a</think>draft<THINK>b</THINK> final")
    assert answer == "final"
    assert "a" in reasoning and "b" in reasoning and "<" not in reasoning


# ---------------------------------------------------------------------------------------------
# extract_choice: markers and forms
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "答案：B",
        "答案是B",
        "正确答案为B",
        "正确答案是：B",
        "选B",
        "故选B。",
        "ANSWER: B",
        "Answer: B",
        "answer: b",
        "The answer is B.",
        "The final answer is B",
        "Final answer: B",
        "ANSWER: $B$",
        "ANSWER: **B**",
        "Answer: (B)",
        "答案：（B）",
        "答案：【B】",
        "Answer: [B]",
        "The answer is \\boxed{B}.",
        "$\\boxed{\\text{B}}$",
        "答案：选项B",
        "Answer: Option B",
        "答案：Ｂ",
        "【答案】B",
        "The correct answer is: B) London",
        "I'd go with B.",
        "答案不是A，而是B。",
        "The answer is not A, it's B.",
        "The answer is therefore B.",
        "My pick: B",
        "正确答案选项为B",
    ],
)
def test_marker_forms(text: str) -> None:
    ex = extract_choice(text, 4)
    assert (ex.status, ex.value) == ("ok", "B"), ex


@pytest.mark.parametrize(
    "text", ["B", "B.", "b", "(B)", "（B）", "**B**", "B、", "选项B", "B选项", "[B]", "$B$", "B。"]
)
def test_bare_letter_forms(text: str) -> None:
    ex = extract_choice(text, 4)
    assert (ex.value, ex.method) == ("B", "bare-letter"), ex


@pytest.mark.parametrize("text", ["B. London", "B、伦敦", "(B) London", "B) London"])
def test_letter_with_option_text(text: str) -> None:
    assert choice(text) == "B"


def test_last_marker_wins() -> None:
    assert choice("答案：B，不是C") == "B"
    assert choice("The answer is A.\n\nWait, re-reading the question... The answer is C.") == "C"
    assert choice("一开始我以为选B，后来发现不对。最终答案：D") == "D"


def test_last_boxed_or_marker_wins_by_position() -> None:
    assert choice("First guess \\boxed{A}. On reflection, the answer is C.") == "C"
    assert choice("Answer: A? Let me verify... $\\boxed{D}$") == "D"


def test_a_bit_of_markdown_around_the_marker() -> None:
    assert choice("## Answer\n\n**C**") == "C"
    assert choice("**Final Answer:** **D**") == "D"
    assert choice("### 答案\n\n**A**") == "A"


def test_verdicts_and_formatted_closing_line() -> None:
    assert choice("A项错误，B项错误，C项正确，D项错误。") == "C"
    assert choice("Option **B** is correct.") == "B"
    assert choice("Among the options, only (C) satisfies all three constraints.") == "C"


def test_elimination_and_review_lists() -> None:
    assert choice("A fails the first condition, C the second, and D both. That leaves B.") == "B"
    review = "Option A: Incorrect.\nOption B: Correct.\nOption C: Incorrect.\nOption D: Incorrect."
    assert choice(review) == "B"
    assert choice("由图可知，甲的溶解度随温度升高而增大，所以B对。") == "B"
    assert choice("我的选择是 C。") == "C"
    assert choice("**D** — the other three are renewable.") == "D"


def test_clashing_verdicts_are_no_answer() -> None:
    ex = extract_choice("B is correct in the short run, while D is correct in the long run.", 4)
    assert ex.status == "no-answer"


# ---------------------------------------------------------------------------------------------
# extract_choice: things that must not be read as a letter
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Let's think step by step about the problem.",
        "A patient with a fever should see a doctor.",
        "I think this needs more context.",
        "Before we answer, let us look at the data.",
        "To answer this, consider the definition of entropy.",
        "I'm not sure. I cannot determine the answer from the given information.",
        "Both options look plausible to me.",
        "抱歉，我无法回答这个问题。",
        "这道题选择题的题干不完整。",
    ],
)
def test_no_letter_out_of_words(text: str) -> None:
    ex = extract_choice(text, 10)
    assert (ex.status, ex.value) == ("no-answer", None), ex


def test_rejected_letter_is_not_the_answer() -> None:
    assert choice("I think A is wrong. The answer is B.") == "B"
    assert choice("我认为A是错误的。答案是D") == "D"
    assert choice("不选A，选B。") == "B"
    assert choice("Answer: C (not B — B confuses correlation with causation).") == "C"


def test_article_a_after_marker_is_not_a_letter() -> None:
    ex = extract_choice("The answer is a matter of definition, so option C.", 4)
    assert ex.value == "C"


def test_hypothetical_markers_do_not_count() -> None:
    text = ("If the answer is A, the reaction is exothermic; if it is B, endothermic. "
            "The data given cannot tell them apart.")
    assert extract_choice(text, 4).status == "no-answer"
    assert extract_choice("如果选A，则结论不成立；假设答案是B，也不成立。无法判断。", 4).status == "no-answer"


def test_hedge_between_letters_is_no_answer() -> None:
    for text in ["The answer is A or B.", "答案可能是A，也可能是B。", "答案是A还是C呢",
                 "The answer is A, B, or D; the graph is needed to decide."]:
        ex = extract_choice(text, 4)
        assert ex.status == "no-answer", (text, ex)


def test_letters_beyond_the_choices_are_invalid() -> None:
    assert extract_choice("Answer: E", 4).status == "no-answer"
    assert choice("Answer: E", 5) == "E"
    assert choice("The answer is (J).", 10) == "J"
    with pytest.raises(ValueError):
        extract_choice("A", 0)


def test_several_letters_for_single_answer_question_are_kept_as_a_wrong_answer() -> None:
    # The model did answer; "AC" will not equal a one-letter reference, so it scores wrong.
    assert choice("ANSWER: AC") == "AC"
    assert choice("答案为：A、B") == "AB"
    # ... but a letter mentioned after the answer is not part of it.
    assert choice("The answer is B, and A is tempting but wrong.") == "B"
    assert choice("The correct answer is B, and A is a distractor.") == "B"


def test_short_concluding_line() -> None:
    assert choice("So B.") == "B"
    assert choice("Thus, C.") == "C"
    assert choice("所以B。") == "B"
    assert extract_choice("So the vitamin involved is C.", 4).status == "no-answer"


def test_think_block_letters_are_ignored() -> None:
    text = "<think>\nIt's A. Answer: A. Hmm, no — Austen is B.\n</think>\nThe answer is B."
    assert choice(text) == "B"
    ex = extract_choice("<think>The answer is B.</think>", 4)
    assert (ex.status, ex.method) == ("no-answer", "empty-answer")


# ---------------------------------------------------------------------------------------------
# extract_choice: option text and multi-answer
# ---------------------------------------------------------------------------------------------


def test_option_text_unique_match() -> None:
    opts = ["Sydney", "Melbourne", "Canberra", "Perth"]
    assert choice("Canberra", choices=opts) == "C"
    assert choice("The capital of Australia is Canberra.", choices=opts) == "C"
    ex = extract_choice("Not Sydney, not Melbourne.", 4, opts)
    assert ex.status == "no-answer"
    assert extract_choice("Canberra", 4, opts).method == "option-text"


def test_option_text_after_marker_and_longest_match() -> None:
    assert choice("答案是鲁迅。", choices=["鲁迅", "巴金", "老舍", "茅盾"]) == "A"
    assert choice("The answer is 10.", choices=["1", "10", "100", "1000"]) == "B"
    assert choice("The answer is 42.", choices=["24", "36", "42", "48"]) == "C"


def test_option_text_articles() -> None:
    vitamins = ["Vitamin A", "Vitamin B12", "Vitamin C", "Vitamin D"]
    assert choice("Scurvy is caused by a lack of vitamin C.", choices=vitamins) == "C"
    markets = ["A market with one seller", "A market with a few large firms"]
    assert choice("It is the market with a few large firms.", 2, choices=markets) == "B"


def test_option_text_needs_choices_within_range() -> None:
    assert extract_choice("Perth", 2, ["Sydney", "Melbourne", "Canberra", "Perth"]).value is None


@pytest.mark.parametrize(
    "text",
    ["AC", "A, C", "A和C", "A、C", "A and C", "答案：A、C", "Answer: C, A",
     "The correct options are A and C.", "\\boxed{AC}", "选AC", "Final answer: (A) and (C)"],
)
def test_multi_answer_forms(text: str) -> None:
    ex = extract_choice(text, 4, multi=True)
    assert ex.value == "AC", (text, ex)


def test_multi_answer_stops_at_rejected_letter() -> None:
    assert choice("答案：A、C，B错误", multi=True) == "AC"
    assert choice("Answer: B, D; A is wrong because...", multi=True) == "BD"
    assert choice("Correct: A, C, D\nIncorrect: B", multi=True) == "ACD"
    assert choice("正确的有：A、C", multi=True) == "AC"


# ---------------------------------------------------------------------------------------------
# extract_choice: truncation
# ---------------------------------------------------------------------------------------------


def test_truncated_without_answer_is_truncated_not_no_answer() -> None:
    text = "Let's check each option. Option A says the Industrial Revolution began in"
    ex = extract_choice(text, 4, finish_reason="length")
    assert (ex.status, ex.value, ex.truncated) == ("truncated", None, True)
    assert extract_choice(text, 4, finish_reason="stop").status == "no-answer"


def test_truncated_unclosed_think_is_truncated() -> None:
    ex = extract_choice("<think>Option B looks right, but", 4, finish_reason="length")
    assert ex.status == "truncated"


def test_truncated_after_complete_marker_keeps_answer_and_flags_it() -> None:
    ex = extract_choice("Answer: B\n\nExplanation: the Krebs cycle runs in", 4,
                        finish_reason="length")
    assert (ex.status, ex.value, ex.truncated) == ("ok", "B", True)


def test_truncated_only_trusts_completed_markers() -> None:
    # The letter may have been the start of a word; nothing after it proves it was complete.
    ex = extract_choice("so the answer is A", 4, finish_reason="length")
    assert ex.status == "truncated"
    # A verdict inside unfinished reasoning is not a final answer.
    ex = extract_choice("B项：推行县制，符合题意。C项：统一度量衡，这一措施", 4, finish_reason="length")
    assert ex.status == "truncated"


def test_review_of_every_option_marks_the_answer() -> None:
    table = ("| 选项 | 内容 | 判断 |\n|---|---|---|\n| A | 夜盲症 | ✗ 错误 |\n| B | 佝偻病 | ✗ 错误 |\n"
             "| C | 坏血病 | ✓ 正确 |\n| D | 脚气病 | ✗ 错误 |")
    opts = ["夜盲症", "佝偻病", "坏血病", "脚气病"]
    ex = extract_choice(table, 4, opts)
    assert (ex.value, ex.method) == ("C", "elimination")
    assert choice("逐项分析：\nA. 胃 —— 错误。\nB. 小肠 —— 正确。\nC. 大肠 —— 错误。\nD. 食道 —— 错误。",
                  choices=["胃", "小肠", "大肠", "食道"]) == "B"
    assert choice("- **(A) Coal** — not correct.\n- **(B) Wind** — correct.\n- **(C) Oil** — "
                  "can be ruled out.") == "B"
    assert choice("A ✗\nB ✓\nC ✗\nD ✗") == "B"
    assert choice("- **A**：x = 2 是根 ✅\n- **B**：x = −2 是根 ✅\n- **C**：无实根 ❌", multi=True) == "AB"


def test_option_text_skips_rejected_options_and_accepts_plurals() -> None:
    law = ["Habeas corpus", "Stare decisis", "Res judicata", "Mens rea"]
    assert choice("Not Habeas corpus — it's Stare decisis.", choices=law) == "B"
    assert choice("Stare decisis rather than res judicata.", choices=law) == "B"
    veins = ["Pulmonary artery", "Pulmonary vein", "Aorta", "Vena cava"]
    assert choice("The pulmonary veins carry oxygen-rich blood.", choices=veins) == "B"
    plans = ["Plan A", "Plan B", "They are equal", "Not enough information"]
    assert choice("The answer is not enough information.", choices=plans) == "D"
    assert choice("| 选项 | 是否正确 |\n|---|---|\n| A | 否 |\n| B | 是 |\n| C | 否 |\n| D | 否 |") == "B"


def test_tentative_commitments_json_keys_and_truncated_first_lines() -> None:
    assert choice("Probably B, but C is also possible.") == "B"
    assert choice("我倾向于B。") == "B"
    assert extract_choice("Probably B or C.", 4).status == "no-answer"
    assert choice('{"choice": "B", "confidence": 0.8}') == "B"
    assert number('{"answer": 12.5, "unit": "km", "confidence": 0.9}') == 12.5
    ex = extract_choice("**B**\n\nExplanation: the capital of France is", 4, finish_reason="length")
    assert (ex.status, ex.value, ex.method) == ("ok", "B", "answer-first")
    cut = extract_choice("Let's look at each option.\nA: hmm", 4, finish_reason="length")
    assert cut.status == "truncated"


def test_all_except_and_all_of_them_for_multi_answer() -> None:
    assert choice("All of them except B — photosynthesis happens in chloroplasts.",
                  multi=True) == "ACD"
    assert choice("除了 C 以外都对。", multi=True) == "ABD"
    assert choice("Everything except option B is true.", multi=True) == "ACD"
    assert choice("全选。", multi=True) == "ABCD"
    # A single-answer question is not read this way.
    assert extract_choice("All of them except B.", 4).status == "no-answer"


def test_multi_answer_by_option_text_and_letter_forms() -> None:
    gases = ["Helium", "Oxygen", "Argon", "Nitrogen", "Krypton"]
    assert choice("The correct ones are Helium, Argon and Krypton.", 5, choices=gases,
                  multi=True) == "ACE"
    assert choice("答案是 A C E。", 5, multi=True) == "ACE"
    assert choice("A项、C项、D项正确。", multi=True) == "ACD"
    assert choice("选项A和选项C正确。", multi=True) == "AC"
    assert choice("So: A, B and D.", multi=True) == "ABD"
    assert choice("(A)(C)", multi=True) == "AC"


def test_rejected_and_mistaken_letters_after_the_answer_are_not_answers() -> None:
    assert choice("答案是C。\n\n注意：不要误选D，D项“13”是常见的干扰项。") == "C"
    assert choice("答案是A。\n\n易错点：很多同学会错选C。") == "A"
    assert choice("Neither A nor B fits, and D describes another process. C is the only one "
                  "that does.") == "C"
    assert choice("I think it's B. Actually, looking again, C is right.") == "C"


def test_ordinals_options_with_symbols_and_adverbs() -> None:
    assert choice("The third option (Ottawa) is correct.") == "C"
    assert choice("第二个选项是正确的。") == "B"
    assert choice("The last option is correct.") == "D"
    assert choice("答案应为：−1。", choices=["−1", "0", "1", "3"]) == "A"
    assert choice("**3 × 10⁸ m/s**", choices=["3 × 10⁵ m/s", "3 × 10⁸ m/s", "3 × 10¹⁰ m/s",
                                              "3 × 10⁶ m/s"]) == "B"
    assert choice("A lot of students choose Habeas corpus here.\n\nDefinitely B.") == "B"
    assert choice("B is wrong, A is wrong, D is wrong — so C.") == "C"
    assert choice("The answer is A alone — Mitochondria.", multi=True) == "A"


# ---------------------------------------------------------------------------------------------
# extract_number
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is 1,234.", 1234),
        ("答案是1，234。", 1234),
        ("Answer: 3/4", 0.75),
        ("Answer: 2.5", 2.5),
        ("Answer: 50%", 50),
        ("Answer: 12 km", 12),
        ("答：共需要15元。", 15),
        ("3个", 3),
        ("Answer: -7", -7),
        ("The temperature is −8 °C.", -8),
        ("答：现在的气温是−7℃。", -7),
        ("We get \\boxed{12} first, and then \\boxed{36}.", 36),
        ("So $x = \\frac{3}{4}$.", 0.75),
        ("$-\\dfrac{1}{2}$", -0.5),
        ("#### 42", 42),
        ("Natalia sold 72 clips.\n#### 72", 72),
        ("The answer is ４２.", 42),
        ("She has 1 1/2 cups left.", 1.5),
        ("答：这批货物共重1.5万千克。", 15000),
        ("So the total is $\\$1{,}250$.", 1250),
        ("Result: 1\\,234", 1234),
    ],
)
def test_number_forms(text: str, expected: float) -> None:
    ex = extract_number(text)
    assert ex.status == "ok", ex
    assert ex.number == pytest.approx(expected), ex


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("答案是三十五。", 35),
        ("一共有一百零二个学生。", 102),
        ("答：两千元", 2000),
        ("十二", 12),
        ("答案：负五", -5),
        ("结果是三点五。", 3.5),
        ("答：合格率为百分之二十。", 20),
        ("答：他们一共走了三千六百米。", 3600),
        ("答案：二分之一", 0.5),
        ("答：两人合作需要六天完成。", 6),
        ("结果为零。", 0),
        ("答案是两亿三千万", 230_000_000),
        ("答：需要三又二分之一小时。", 3.5),
    ],
)
def test_chinese_numerals(text: str, expected: float) -> None:
    assert number(text) == pytest.approx(expected)


def test_answer_sentence_picks_the_stated_result() -> None:
    assert number("So the answer is 365 − 100 = 265.") == 265
    assert number("The answer is 72 (48 in April and 24 in May).") == 72
    assert number("The answer is 5, not 6.") == 5
    assert number("答案是 28，不是 32。") == 28
    assert number("答：鸡有23只，兔有12只。") == 12
    assert number("The answer is not 5 but 6.") == 6
    assert number("答案不是32，而是28。") == 28
    assert number("The answer is 2.5 hours, or 150 minutes.") == 2.5
    assert number("The answer is 18, because she sells 9 eggs at $2 each.") == 18
    assert number("答：鸡有23只，兔有12只。所以兔有12只。") == 12
    assert number("The answer is 23 chickens and 12 rabbits. So there are 12 rabbits.") == 12


def test_answer_word_without_a_verb_is_not_a_marker() -> None:
    ex = extract_number("The total is 42. I hope this answer helps with your 2 questions.")
    assert ex.method == "last-number"
    assert extract_number("Answer 42").method == "marker"


def test_last_answer_marker_wins_over_earlier_ones() -> None:
    assert number("答案是 56。\n\n不对，重新检查：7 × 9 = 63。\n\n答案是 63。") == 63


def test_number_method_names() -> None:
    assert extract_number("\\boxed{5}").method == "boxed"
    assert extract_number("#### 5").method == "gsm8k"
    assert extract_number("The answer is 5.").method == "marker"
    assert extract_number("She has 5 apples.").method == "last-number"
    assert extract_number("十二").method == "zh-numeral"


def test_number_keeps_the_written_form_in_value() -> None:
    assert extract_number("Answer: 3/4").value == "3/4"
    assert extract_number("Answer: 1,234").value == "1234"
    assert extract_number("Answer: 50%").value == "50%"
    assert extract_number("答案：百分之二十").value == "20%"


def test_number_no_answer_and_words_that_look_like_numerals() -> None:
    for text in ["I don't know.", "抱歉，这道题缺少条件，无法计算出结果。", "我不确定。",
                 "一些同学认为这道题一定有问题。"]:
        ex = extract_number(text)
        assert (ex.status, ex.value) == ("no-answer", None), (text, ex)


def test_number_truncated() -> None:
    cut = "The volume is therefore 2.5 × 1.2 × 0.8 ="
    assert extract_number(cut, finish_reason="length").status == "truncated"
    assert extract_number(cut).status == "ok"  # a finished response may end with its working
    cut = "The answer is 18.\n\nTo verify, count the 3 columns"
    ex = extract_number(cut, finish_reason="length")
    assert (ex.status, ex.number, ex.truncated) == ("ok", 18, True)
    # The number at the very end of a cut response may be half-written ("12" of "125").
    assert extract_number("答案是12", finish_reason="length").status == "truncated"
    assert extract_number("<think>3 + 4 = 7, so", finish_reason="length").status == "truncated"


def test_pathological_inputs_are_fast_and_safe() -> None:
    for text in ["答案" * 20000, "answer is " * 5000, "\\boxed{" * 5000, "9" * 50000,
                 "一" * 30000, "一亿" * 200, "not A, it is " * 3000, "A" + " " * 30000 + "x"]:
        extract_choice(text, 4, ["x", "y", "z", "w"])
        extract_choice(text, 4, multi=True, finish_reason="length")
        extract_number(text)
        assert parse_number(text[:1000]) is None or text.startswith("9")


def test_number_think_block_ignored() -> None:
    assert number("<think>maybe 96? no, 72</think>\nShe sold 72 clips in total.") == 72
    assert extract_number("<think>答案是125。</think>").status == "no-answer"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Chinese numerals of every form, also next to digits elsewhere in the answer.
        ("答：全班一共有一百二十名学生。", 120),
        ("第2步之后，答案是一百二十。", 120),
        ("答：这座城市约有两千五百万人。", 25_000_000),
        ("结果是三点五。", 3.5),
        ("答：及格率为百分之二十。", 20),
        ("答案：负五", -5),
        ("答：还剩下三分之二。", 2 / 3),
        ("答：共需3万元。", 30_000),
        ("答：人口约1.2亿。", 120_000_000),
        ("答：需要两个半小时。", 2.5),
        ("答：气温是零下5度。", -5),
        ("答：共3千元。", 3000),
        ("答：距离是3千米。", 3),
        # English number words and multipliers.
        ("The answer is twenty-four.", 24),
        ("There are one hundred and five pages left.", 105),
        ("Final answer: two-thirds", 2 / 3),
        ("The answer is negative five.", -5),
        ("The temperature is minus 8 degrees.", -8),
        ("The company earned 1.2 million dollars.", 1_200_000),
        ("The answer is $3k.", 3000),
        ("That's 4.5 billion years.", 4_500_000_000),
        ("It takes 3 and a half hours.", 3.5),
        # Scientific notation: ASCII, Unicode superscripts, LaTeX.
        ("The answer is 1.5e-3.", 0.0015),
        ("c = 3x10^8 m/s", 3e8),
        ("c = 3×10^8 m/s", 3e8),
        ("The probability is 1.5 × 10⁻³.", 0.0015),
        ("Answer: $1.5 \\times 10^{-3}$", 0.0015),
        ("Avogadro's number is about 6.02 × 10²³.", 6.02e23),
        ("The answer is 2^10.", 1024),
    ],
)
def test_number_forms_beyond_digits(text: str, expected: float) -> None:
    ex = extract_number(text)
    assert ex.status == "ok", ex
    assert ex.number == pytest.approx(expected), ex


def test_superscripts_are_exponents_not_subtractions() -> None:
    assert parse_number("10⁻³") == pytest.approx(0.001)
    assert parse_number("2.5 × 10⁴") == pytest.approx(25_000)
    assert number("The area is 12 m².") == 12


def test_percentage_answer_beats_the_numbers_around_it() -> None:
    assert extract_number("So 20 is 25% of 80.").value == "25%"
    assert extract_number("Answer: 20 is 25% of 80.").value == "25%"
    assert number("25% of 80 is 20.") == 20
    assert extract_number("20是80的25%。").value == "25%"


def test_answer_sentence_beats_checks_steps_and_dates_after_it() -> None:
    assert number("She has 12 apples left.\n\nCheck: 12 + 8 = 20 ✓") == 12
    assert number("Total 12.\n\n**Verification**\n12+8=20") == 12
    assert number("So 12 apples. To verify, 12 + 8 = 20.") == 12
    assert number("共12个。\n验算一下：12+8=20") == 12
    assert number("Therefore the farmer has 42 sheep.\n\n(This problem is from Chapter 3.)") == 42
    assert number("So the total is 45 dollars.\nStep 4: done") == 45
    assert number("The answer is 5, computed on 2024-05-01.") == 5
    # A check that goes on to conclude is working, not an aside.
    assert number("We have 3 apples. Checking each box: 2+2=4, so 4 boxes.") == 4


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("The answer is 10-12 days.", "range"),
        ("It is about 10 to 12.", "range"),
        ("The answer is between 3 and 5 hours.", "range"),
        ("答案在10到12之间", "range"),
        ("The answer is either 12 or 13.", "hedged"),
        ("The answer is 12, maybe 13.", "hedged"),
        ("答案是12或13。", "hedged"),
        ("The answer cannot be determined from the information given.", "undetermined"),
        ("There is not enough information: the speed of 3 trains is missing... so it "
         "cannot be determined.", "undetermined"),
        ("每人3个，但题目没有给出人数，无法确定。", "undetermined"),
        ("条件不足。", "undetermined"),
    ],
)
def test_ranges_hedges_and_undetermined_are_no_answer(text: str, method: str) -> None:
    ex = extract_number(text)
    assert (ex.status, ex.value, ex.method) == ("no-answer", None, method), ex


def test_numbers_after_the_answer_that_are_not_the_answer() -> None:
    # A wrong answer the text warns about, a citation, a restatement, an aside.
    assert number("**Answer: 0.875**\n\n(A frequent wrong answer is 0.78.)") == 0.875
    assert number("答案：89 分[2]\n\n参考：[1] 教材第3章第45页；[2] 例题7（2019年版）") == 89
    assert number("两天合计为负一点五元，也就是一共下跌了1.5元。") == -1.5
    assert number("Marketing is 25% of the budget. The remaining 75% ($60k) is split.") == 25
    assert number("So Mia has 17 left, which is 3 more than the 14 that Tom now has.") == 17
    assert number("A marathon is 42.195 km (26.2 miles).") == 42.195
    assert number("27 ÷ 6 = 4……3\n\n每人最多分到4个，还剩下3个。") == 4
    assert number("所以需要 24 小时。\n\n不过也有人会误算成 1/6 + 1/8 = 7/24，得到 3.4 小时。") == 24
    assert number("| 合计 | 70 |\n| **平均** | **14** |") == 14


def test_the_answer_sentence_prefers_what_the_working_computed_or_the_question_lacks() -> None:
    working = "x = 3\n答：三年后父亲的年龄是儿子的4倍。"
    assert number(working) == 3
    assert number("答：三年后父亲的年龄是儿子的4倍。", question="多少年后父亲的年龄是儿子的4倍？") == 3
    assert number("第一天：40（页）\n两天共看：40 + 60 = 100（页）\n\n答：两天共看了100页，还剩140页没看。") == 100


def test_refusals_and_truncated_answer_first() -> None:
    ex = extract_number("抱歉，我无法提供这方面的信息。请拨打 120 急救电话。")
    assert (ex.status, ex.method) == ("no-answer", "refusal")
    ex = extract_number("The sum is 5050.\n\nPair 1 with 100, then 50 × 101 = 50",
                        finish_reason="length")
    assert (ex.status, ex.number, ex.method) == ("ok", 5050, "answer-first")
    # A bold value finished before the cut is stated, whatever the cut-off working says.
    ex = extract_number("The sum is **5050**.\n\nPair 1 with 100, then 50 × 101 = 50",
                        finish_reason="length")
    assert (ex.status, ex.number, ex.method) == ("ok", 5050, "bold")
    assert extract_number("Let's compute 3 × 4 = 12.\n\nThen", finish_reason="length").status == (
        "truncated")


def test_conversions_and_changes_are_not_hedges_or_ranges() -> None:
    assert number("The answer is 2.5 hours, or 150 minutes.") == 2.5
    assert number("The price rose from 10 to 12 dollars, so the answer is 12.") == 12
    assert number("Without the discount it cannot be determined... but the answer is 12.") == 12


# ---------------------------------------------------------------------------------------------
# parse_number and numbers_equal
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("42", 42), ("-5", -5), ("+3", 3), ("1,234", 1234), ("1，234", 1234), ("3/4", 0.75),
        ("1,237.50", 1237.5), ("$1,000,000", 1_000_000),
        ("0.5", 0.5), (".5", 0.5), ("50%", 50), ("12 km", 12), ("$7.50", 7.5), ("¥15", 15),
        ("４２", 42), ("\\frac{1}{2}", 0.5), ("$\\frac{7}{2}$", 3.5), ("1 1/2", 1.5),
        ("twenty-four", 24), ("1.2 million", 1_200_000), ("3k", 3000), ("1.5e-3", 0.0015),
        ("3×10^8", 3e8), ("两千五百万", 25_000_000), ("1.2亿", 120_000_000),
        ("三十五", 35), ("一百零二", 102), ("两千", 2000), ("十二", 12), ("负五", -5),
        ("三点五", 3.5), ("百分之二十", 20), ("一百五", 150), ("二〇二三", 2023),
        ("三万五千", 35000), ("1.5万", 15000), ("三分之二", 2 / 3),
    ],
)
def test_parse_number(s: str, expected: float) -> None:
    assert parse_number(s) == pytest.approx(expected)


@pytest.mark.parametrize("s", ["", "abc", "1 2", "A3", "3 apples and 4 pears", "十十", "一百百"])
def test_parse_number_rejects(s: str) -> None:
    assert parse_number(s) is None


def test_numbers_equal() -> None:
    assert numbers_equal("1,234", 1234)
    assert numbers_equal("3/4", "0.75")
    assert numbers_equal("50%", 0.5)
    assert numbers_equal("50%", "50")
    assert numbers_equal(0.5, "50%")
    assert not numbers_equal(0.5, 50)
    assert numbers_equal("三十五", 35.0)
    assert numbers_equal("1/3", "0.3333333")
    assert not numbers_equal("1/3", "0.3333333", exact=True)
    assert numbers_equal("3/4", "0.75", exact=True)
    assert numbers_equal(0.1 + 0.2, 0.3)
    assert not numbers_equal("abc", 1)
    assert not numbers_equal(float("nan"), float("nan"))
    assert not numbers_equal(100, 101)
    assert numbers_equal(100, 101, rel_tol=0.02)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_thousands_separated_integers_round_trip(n: int) -> None:
    text = f"{n:,}"
    assert parse_number(text) == n
    assert extract_number(f"The answer is {text}.").number == n


@given(st.integers(min_value=1, max_value=26), st.data())
def test_answer_marker_any_valid_letter(n: int, data: st.DataObject) -> None:
    letter = chr(64 + data.draw(st.integers(min_value=1, max_value=n)))
    assert extract_choice(f"Answer: {letter}", n).value == letter
    assert extract_choice(f"答案：{letter}", n).value == letter


# ---------------------------------------------------------------------------------------------
# normalize_text
# ---------------------------------------------------------------------------------------------


def test_normalize_text() -> None:
    assert normalize_text("  The Eiffel Tower! ") == "eiffel tower"
    assert normalize_text("Ｐａｒｉｓ，France") == "paris france"
    assert normalize_text("北京 。") == "北京"
    assert normalize_text("“长城”") == "长城"
    assert normalize_text("an  apple") == "apple"
    assert normalize_text("中国 的 首都") == "中国的首都"
    assert normalize_text("New York") != normalize_text("Newyork")


def test_extraction_is_frozen() -> None:
    ex = Extraction("ok", "B", "marker")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ex.value = "C"  # type: ignore[misc]
    assert ex.number is None and ex.truncated is False


# ---------------------------------------------------------------------------------------------
# The labelled corpus
# ---------------------------------------------------------------------------------------------


def _load_corpus() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _run(row: dict[str, Any]) -> Extraction:
    if row["kind"] == "choice":
        return extract_choice(
            row["response"],
            row["n_choices"],
            row.get("choices"),
            multi=row.get("multi", False),
            finish_reason=row["finish_reason"],
        )
    return extract_number(row["response"], finish_reason=row["finish_reason"])


def _correct(row: dict[str, Any], ex: Extraction) -> bool:
    if ex.status != row["expected_status"]:
        return False
    if row["expected"] is None:
        return ex.value is None
    if ex.value is None:
        return False
    if row["kind"] == "choice":
        return bool(ex.value == row["expected"])
    return numbers_equal(ex.value, row["expected"])


def test_corpus_is_well_formed() -> None:
    rows = _load_corpus()
    assert len(rows) >= 320
    assert len({r["id"] for r in rows}) == len(rows)
    langs = Counter(r["lang"] for r in rows)
    assert min(langs["zh"], langs["en"]) >= 0.4 * len(rows), langs
    assert len({r["response"] for r in rows}) == len(rows), "duplicate responses"
    for r in rows:
        assert r["kind"] in {"choice", "number"}
        assert r["finish_reason"] in {"stop", "length"}
        assert r["expected_status"] in {"ok", "no-answer", "truncated"}
        assert (r["expected"] is None) == (r["expected_status"] != "ok"), r["id"]
        if r["expected_status"] == "truncated":
            assert r["finish_reason"] == "length", r["id"]
        if r["kind"] == "choice":
            assert 1 <= r["n_choices"] <= 26
            if r.get("choices") is not None:
                assert len(r["choices"]) == r["n_choices"], r["id"]
    statuses = Counter(r["expected_status"] for r in rows)
    assert statuses["no-answer"] >= 10 and statuses["truncated"] >= 10, statuses


def test_corpus_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _load_corpus()
    failures: list[str] = []
    per_group: Counter[str] = Counter()
    per_group_ok: Counter[str] = Counter()
    for row in rows:
        ex = _run(row)
        group = f"{row['kind']}/{row['lang']}"
        per_group[group] += 1
        if _correct(row, ex):
            per_group_ok[group] += 1
        else:
            failures.append(
                f"{row['id']}: expected {row['expected_status']} {row['expected']!r}, "
                f"got {ex.status} {ex.value!r} via {ex.method}"
            )
    accuracy = 1 - len(failures) / len(rows)
    with capsys.disabled():
        groups = ", ".join(f"{g} {per_group_ok[g]}/{n}" for g, n in sorted(per_group.items()))
        print(f"\nextraction corpus: {len(rows) - len(failures)}/{len(rows)} = {accuracy:.2%} "
              f"({groups})")
        for line in failures:
            print("  FAIL", line)
    assert accuracy >= 0.99, "\n".join(failures)


# ---------------------------------------------------------------------------------------------
# Rules added after the second blind dev batch (dev2): general forms, in our own words
# ---------------------------------------------------------------------------------------------


def test_pointing_forms_name_the_answer() -> None:
    assert choice("Each of the others fails the test. That's option C.") == "C"
    assert choice("The one that fits is the pair with equal sides, which is D.") == "D"
    assert choice("x = 4 satisfies the equation, which corresponds to option B.") == "B"
    assert choice("解得 x = 2，对应选项C。") == "C"
    assert choice("逐一检验后，能够成立的是 B。") == "B"
    assert choice("3, 5, 7 → A, C, D", multi=True) == "ACD"
    assert choice("The statements that apply are B and D.", multi=True) == "BD"
    assert choice("Working it through:\n\nChoice (D)") == "D"
    # A pointer inside a parenthesised aside after the answer is not the answer.
    assert choice("答案：B\n\n（顺便一提，另一个根 x = −3 对应选项 D。）") == "B"


def test_letters_do_not_join_across_lines_and_lower_case_runs_for_multi() -> None:
    assert choice("答案：A、C\n\nD 的说法只对一半。", multi=True) == "AC"
    assert choice("最后答案是 bcd", multi=True) == "BCD"
    assert choice("bd", multi=True) == "BD"
    # Not for a single answer, and never a word whose letters are not increasing.
    assert extract_choice("bd", 4).status == "no-answer"
    assert extract_choice("ok", 4, multi=True).status == "no-answer"


def test_ordinal_lists_and_all_the_rest() -> None:
    assert choice("The right ones are the second and fourth options.", multi=True) == "BD"
    assert choice("正确的是第二、第三和第四项。", multi=True) == "BCD"
    assert choice("除了A，其余都符合要求。", multi=True) == "BCD"


def test_a_closing_sentence_of_just_a_letter_settles_the_answer() -> None:
    assert choice("C looked right at first. Then again D fits the data better. D.") == "D"


def test_options_quoted_tagged_or_bold() -> None:
    opts = ["Prices always rise", "The outcome is uncertain", "Nothing changes", "All of them"]
    assert choice("Only the claim that \"outcome is uncertain\" can be defended.",
                  choices=opts) == "B"
    langs = ["Python", "C", "Java", "Haskell", "Go"]
    assert choice("Python (A), Haskell (D) and Go (E). The others are not.", 5,
                  choices=langs, multi=True) == "ADE"
    # A tag that does not match its option's text is not a list of answers.
    assert extract_choice("Python (B), Haskell (D).", 5, langs, multi=True).status == (
        "no-answer")
    metals = ["Iron", "Oxygen", "Copper", "Neon"]
    assert choice("Iron and copper conduct well; so do many others.\n\n**Iron and Copper** are "
                  "the metals here.", choices=metals, multi=True) == "AC"


def test_declining_to_choose_is_no_answer() -> None:
    opts = ["Red", "Blue", "Green", "There is no best colour"]
    ex = extract_choice("Taste differs, so I can't pick one of these as the best; blue is "
                        "popular, red is bold.", 4, opts)
    assert (ex.status, ex.method) == ("no-answer", "declined")
    assert extract_choice("这道题没有正确的选项。", 4).status == "no-answer"


@pytest.mark.parametrize(
    "text",
    [
        "None of the options are right; the symbol is Au. Ag is silver and Ge is germanium.",
        "I don't have any information about the 2040 result; Ag won in 2020, for reference.",
        "It depends on the context. Ag suits some uses, Ge suits others.",
        "Two options are identical, so I can't tell which letter you mean. Ag? Ge?",
        "I can't give a confident final answer here; Ag seems likely but Ge is possible.",
        "Hard to say. Ag and Ge both have a case.",
        "这个问题我无法回答。Ag 是银。",
        "Both A and B work, so I can't pick just one.",
    ],
)
def test_declining_in_other_words_is_no_answer(text: str) -> None:
    ex = extract_choice(text, 4, ["Ag", "Gd", "Go", "Ge"])
    assert (ex.status, ex.method) == ("no-answer", "declined")


@pytest.mark.parametrize(
    "text",
    [
        "这要看你用的是哪本教材：一种说法是镁，另一种说法是铝。",
        "这取决于温度。常温下是铜，高温下是铁。",
        "我没法给出确定的答案，铁和铜各有依据。",
        "你好像没有附上题目里的表格，我没法看出是铁还是铜。",
        "You didn't include the table the question refers to, so I can't see the values for "
        "iron or copper.",
        "This depends on the temperature. Copper at room temperature, zinc when hot.",
    ],
)
def test_a_reply_that_depends_or_lacks_material_picks_nothing(text: str) -> None:
    # Options named after "it depends" or after "the material is missing" are discussed.
    ex = extract_choice(
        text, 4, ["铁", "铜", "镁", "铝"] if "铁" in text else ["iron", "copper", "zinc", "tin"]
    )
    assert (ex.status, ex.method) == ("no-answer", "declined")


def test_an_option_that_reads_like_a_refusal_is_still_an_answer() -> None:
    # "无法判断" is the option's text; the reply is not declining when it concludes with it.
    opts = ["支持", "反对", "中立", "无法判断"]
    assert choice("文中只列了事实，没有表态。所以作者的态度：无法判断。", choices=opts) == "D"


@pytest.mark.parametrize(
    "text",
    [
        "从字面看选A说得通，从引申义看选C也说得通。所以A和C都有一定道理。",
        "Read literally, it is (A). Read as a metaphor, it is (C). Both A and C can be argued.",
        "The old key says it is (A). Either A or C could be the expected answer, though.",
    ],
)
def test_two_letters_held_equally_defensible_is_no_answer(text: str) -> None:
    ex = extract_choice(text, 4, ["月", "日", "星", "云"])
    assert (ex.status, ex.method) == ("no-answer", "ambiguous")


def test_a_slash_lists_letters_only_for_multi_select() -> None:
    assert choice("Answer → B/D/E\n\nA and C are the odd ones out.", 5, multi=True) == "BDE"
    ex = extract_choice("Answer → B/D", 4)
    assert (ex.status, ex.method) == ("no-answer", "ambiguous")


def test_a_comma_before_and_still_lists_letters() -> None:
    assert choice("B, D, and E.", 5, multi=True) == "BDE"


def test_a_superlative_judgement_of_any_noun_names_the_answer() -> None:
    text = "Nothing says the lake froze, so the ice is out.\n\nThe most plausible reading is C."
    assert choice(text) == "C"
    # Only when a letter closes the sentence: here C is the subject of a new clause.
    assert choice("The best strategy is C and D combined with care, maybe.") is None


def test_a_pointer_with_bold_letter() -> None:
    opts = ["$1.50", "$2.00", "$2.50", "$3.50"]
    text = "Her change is ten dollars minus seven-fifty, which is option **C**."
    assert extract_choice(text, 4, opts).value == "C"


def test_a_pointer_after_the_stated_answer_does_not_replace_it() -> None:
    text = (
        "**Answer: A (about 3.8 L)**\n\nWith imperial gallons the figure would be about "
        "4.5 L — that's option B, so check your units."
    )
    ex = extract_choice(text, 4)
    assert (ex.value, ex.method) == ("A", "marker")
    assert choice("1 英尺约 30.5 厘米，故选 A。另外 12 是英寸数，对应选项 C。") == "A"
    # With no stated answer before it, a pointer is still read.
    assert choice("Dividing, 91 / 7 = 13, which is option D.") == "D"
    # A later stated answer does replace an earlier one.
    assert choice("The answer is A. On reflection, the answer is B.") == "B"


def test_letters_inside_an_aside_are_not_the_conclusion() -> None:
    opts = ["12 km", "20 km", "32 km", "40 km"]
    text = (
        "25 mi × 1.609 ≈ 40.2 km, so **D (40 km)** is correct. (Using 1.6 for a quick "
        "estimate gives the same; option C comes from doubling 16.)"
    )
    assert extract_choice(text, 4, opts).value == "D"


def test_a_word_quoted_in_an_aside_is_not_an_option_named() -> None:
    opts = ["Keep the engine idling", "Stop the engine", "Idle then stop", "None of these"]
    text = (
        'Turn it off before refuelling. (People sometimes say "keep the engine idling" is '
        "fine — it is not.)"
    )
    assert extract_choice(text, 4, opts).value != "A"


def test_a_greeting_does_not_hide_the_opening_statement() -> None:
    opts = ["Mercury", "Venus", "Mars", "Jupiter"]
    text = (
        "Good question! The hottest planet is Venus, because of its thick CO₂ atmosphere. "
        "Mercury is closer to the Sun but cannot hold heat.\n\nWant to know the coldest one?"
    )
    assert extract_choice(text, 4, opts).value == "B"


def test_the_opening_clause_answers_when_the_rest_compares() -> None:
    opts = ["珠穆朗玛峰", "乔戈里峰", "干城章嘉峰", "洛子峰"]
    assert choice("世界最高峰是珠穆朗玛峰，海拔约8849米，乔戈里峰第二。", choices=opts) == "A"
    # A possibility in the opening clause is not a statement.
    assert choice("可能是珠穆朗玛峰，也可能是乔戈里峰，看测量口径。", choices=opts) is None


def test_letters_that_name_a_language_or_a_function_are_not_options() -> None:
    langs = ["Java", "Go", "Rust", "C++"]
    assert extract_choice("It's C++, which began as C with Classes.", 4, langs).value == "D"
    assert choice("The answer is C#.", choices=["Java", "Go", "Rust", "C#"]) == "D"
    sorts = ["Quicksort", "Bubble sort", "Merge sort", "Insertion sort"]
    # "it's O(…)" is not a letter O, and the clause after the comma names another option.
    assert choice("I'd go with Merge sort — it's O(n log n), while quicksort can hit O(n²).",
                  choices=sorts) == "C"
    caps = ["Sydney", "Melbourne", "Canberra", "Perth"]
    assert choice("The answer is **C) Canberra**.\n\nMany pick A (Sydney) because it's the "
                  "biggest city, and Melbourne (B) hosted parliament until 1927.",
                  choices=caps) == "C"


def test_labels_letter_runs_and_hedges_between_letters() -> None:
    assert choice("CSS styles pages; the rest do not.\n\nSelected: B", 5, multi=True) == "B"
    assert extract_choice("None of the listed options is correct: A is energy, B is power.", 4,
                          ["Joule", "Watt", "Pascal", "Kilogram"]).status == "no-answer"
    assert choice("答案为 (A)(C)。两者兼顾保护与发展。", multi=True) == "AC"
    for text in ("Textbooks say B, but under another view it's either B or C.",
                 "It could be A or D, depending on the school of thought."):
        ex = extract_choice(text, 4)
        assert (ex.status, ex.method) == ("no-answer", "ambiguous")
    # A marker followed later by "both could be the answer" ends uncommitted.
    ex = extract_choice("按甲标准应选B；按乙标准应选C。所以B和C都有可能是正确答案。", 4)
    assert (ex.status, ex.method) == ("no-answer", "ambiguous")


def test_arrows_to_option_words_or_bold_letters() -> None:
    assert choice("84 = 2² × 3 × 7, so 2, 3 and 7 → options A, B, D.", 5, multi=True) == "ABD"
    assert choice("20 / 80 = 25% → **B**\n\nGoing back up would be a 33.3% rise (C).") == "B"


def test_a_questioned_marker_or_an_open_list_cut_off_is_not_an_answer() -> None:
    ex = extract_choice("Time to the top is 2 s. So the answer is A? No — it asks for the "
                        "round trip, so t(20 − 5t) = 0 gives t = ", 4, finish_reason="length")
    assert ex.status == "truncated"
    opts = ["2 s", "4 s", "6 s", "8 s"]
    ex = extract_choice("So the answer is 2 s? Wait, that is only the way up. Doubling it",
                        4, opts, finish_reason="length")
    assert ex.status == "truncated"
    for text in ("A项错误，C项正确，D项正确。\n\n所以正确的是C、", "So the correct answers are A, C, and"):
        ex = extract_choice(text, 4, multi=True, finish_reason="length")
        assert ex.status == "truncated"


def test_echoed_options_and_lower_case_labels() -> None:
    ex = extract_choice("A. 1 m B. 2 m C. 3 m D. 4 m Length is a measure. A. 1 m B. 2 m", 4)
    assert ex.status == "no-answer"
    # "H2O" after the label is the option's text, not a list of letters.
    assert choice("**C. H2O** boils highest (100 °C), above HF and NH3.") == "C"
    assert choice("c) the mitochondria make most of the ATP.") == "C"


def test_option_text_where_answers_are_stated() -> None:
    years = ["1918", "1939", "1945", "1950"]
    # Answer first, then a contrast: the opening sentence states it.
    assert choice("1945 — when both Germany and Japan surrendered. The war began in 1939.",
                  choices=years) == "C"
    # A bracketed aside names another option for context only.
    acids = ["SO₄²⁻", "HSO₄⁻", "H₃SO₄⁺", "H₂O"]
    assert choice("H₂SO₄ → H⁺ + HSO₄⁻\n\nSo the conjugate base is HSO₄⁻ (SO₄²⁻ would be the "
                  "base of HSO₄⁻).", choices=acids) == "B"
    membrane = ["细胞膜具有选择透过性", "细胞膜是全透性的", "细胞膜主要由脂质和蛋白质组成"]
    assert choice("细胞膜具有选择透过性，不是全透性。所以说法错误的是“细胞膜是全透性的”。", 3,
                  choices=membrane) == "B"
    formulas = ["f = cλ", "f = c/λ", "f = λ/c", "f = c + λ"]
    assert choice("Since $c = f\\lambda$, the correct formula is $f = c/\\lambda$.",
                  choices=formulas) == "B"
    caps = ["Sydney", "Melbourne", "Canberra", "Perth"]
    assert choice("So we can rule out Sydney and Perth. Canberra was built to be the capital.",
                  choices=caps) == "C"


def test_option_stated_first_in_a_reply_cut_off_later() -> None:
    morals = ["做事要有恒心", "做多余的事反而弄巧成拙", "要善于抓住时机", "团结就是力量"]
    ex = extract_choice("画蛇添足的寓意是做多余的事，反而弄巧成拙。这个故事出自《战国策》，讲的是",
                        4, morals, finish_reason="length")
    assert (ex.status, ex.value, ex.method) == ("ok", "B", "answer-first")
    law = ["void", "voidable by the minor", "voidable by the adult", "enforceable"]
    ex = extract_choice("Let's go through the options, since \"void\" matters. A void contract",
                        4, law, finish_reason="length")
    assert ex.status == "truncated"
    ex = extract_choice("Void contracts have no effect at all. Here the minor may", 4, law,
                        finish_reason="length")
    assert ex.status == "truncated"  # the sentence is about an option, not an answer


def test_reviews_by_text_and_the_odd_one_out() -> None:
    review = "A项：节约用水，符合。\nB项：乱砍滥伐，不符合。\nC项：植树造林，符合。\nD项：垃圾分类，符合。"
    ex = extract_choice(review, 4)
    assert (ex.value, ex.method) == ("B", "elimination")
    energy = ["Solar", "Coal", "Wind", "Natural gas"]
    assert choice("✅ Solar\n❌ Coal — fossil fuel\n✅ Wind\n❌ Natural gas", choices=energy,
                  multi=True) == "AC"


def test_multi_answer_options_listed_in_a_sentence() -> None:
    primes = ["3", "5", "7", "9"]
    assert choice("3, 5 and 7 are prime. 9 = 3 × 3 and 1 are not.", choices=primes,
                  multi=True) == "ABC"
    energy = ["Solar", "Wind", "Hydro", "Geothermal"]
    assert choice("All four of these are renewable: sun, wind, water and heat.",
                  choices=energy, multi=True) == "ABCD"
    assert choice("All three of these are renewable: sun, wind and water.", choices=energy,
                  multi=True) != "ABCD"
    assert choice("The mammals are (A) and (D): both nurse their young.", multi=True) == "AD"
    assert choice("所以奇函数是B和D。", multi=True) == "BD"
    assert choice("故正确答案是C而不是A。") == "C"
    assert choice("A and C. Both nurse their young; the others do not.", multi=True) == "AC"
    assert choice("Only A and C hold up; B and D fail.", multi=True) == "AC"


def test_option_numbers_and_option_values() -> None:
    assert choice("Higher confidence shifts AD right.\n\nSo the answer is option 3.") == "C"
    # the value a computation ends in, where no sentence names an option by its text
    ex = extract_choice("The energy grows as n², so\n\n$$\\frac{E_2}{E_1} = \\frac{2^2}{1^2} = 4$$",
                        4, ["2", "4", "8", "16"])
    assert (ex.value, ex.method) == ("B", "option-value")
    # (a result names its option by its text: the 4 results, the 20 and the 5 are worked on)
    ex = extract_choice("x = 20 / 5 = 4", 4, ["2", "4", "5", "8"])
    assert (ex.value, ex.method) == ("B", "option-text")
    ex = extract_choice("A. 1 B. 2 C. 3 D. 4 Numbers are fun. Four is even.", 4,
                        ["1", "2", "3", "4"])
    assert ex.status == "no-answer"


def test_no_module_level_pattern_is_defined_twice() -> None:
    """A second ``_NAME = lazy(...)`` silently replaces the first for every rule that uses
    it: the letter-with-text list reader once ran on a number-label pattern that way."""
    import ast

    import baimo.tasks.extract as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names = Counter(t.id for node in tree.body if isinstance(node, ast.Assign)
                    for t in node.targets if isinstance(t, ast.Name))
    assert [n for n, k in names.items() if k > 1] == []
    assert choice("Answer: (B) laconic and (E) terse", n=6, multi=True,
                  choices=["garrulous", "laconic", "effusive", "candid", "terse", "eloquent"]
                  ) == "BE"


def test_the_reply_is_the_models_own_turn() -> None:
    """Chat-template tokens: a prompt echoed inside them is not read, and what follows the
    first token after the reply is another turn (the same for letters and numbers)."""
    units = ["Watt", "Joule", "Newton", "Pascal"]
    assert choice("B. Joule<|im_end|>\n<|im_start|>user\nUnit of force?<|im_end|>\n"
                  "<|im_start|>assistant\nC. Newton<|im_end|>", choices=units) == "B"
    assert choice("D<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd power?"
                  "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA") == "D"
    assert choice("[INST] Unit of pressure? A. Watt B. Joule C. Newton D. Pascal [/INST] "
                  "Pressure is measured in pascals, so D. A watt is power.</s>",
                  choices=units) == "D"
    assert choice("A, C<|end|>\n<|user|>\nnext one\n<|assistant|>\nB, D", multi=True) == "AC"
    assert choice("<|assistant|>\nC<|endoftext|>") == "C"
    assert number("x = 7<|im_end|>\n<|im_start|>user\nAnd 2x?<|im_end|>\n"
                  "<|im_start|>assistant\n14<|im_end|>") == 7
    assert number("速度为 12 m/s</s><s>[INST] 下一问 [/INST] 答案：30") == 12
    _, answer = strip_reasoning("<think>try 3</think>The answer is 4.<|im_end|>junk 9")
    assert answer == "The answer is 4."


def test_an_invented_next_exercise_is_not_read() -> None:
    assert number("A dozen pens cost $6.00.\n\nQuestion 2: How much do 3 pens cost?\n"
                  "Answer: $1.50", question="How much do 12 pens cost, in dollars?") == 6
    assert number("v = 20 m/s\n\n答案：20 m/s\n\n下一题：从80 m高处落下要多久？\n答案：4 s") == 20
    assert choice("答案：(B)\n\n3. 长城始建于哪个时期（  ）\nA. 秦朝  B. 春秋战国  C. 汉朝\n答案：(B)"
                  "\n\n4. 下列哪位是唐代诗人（  ）\nA. 李白  B. 苏轼\n答案：(A)") == "B"


def test_letter_formats_of_small_models_and_listed_picks() -> None:
    assert choice("Option-C\n\nThe others are wrong.") == "C"
    assert choice("选项-B：氧气") == "B"
    assert choice("(c) — the offer lapsed, so nothing binds them.", n=3) == "C"
    assert choice("(a) First, recall the rule. (b) Then apply it to the facts.", n=3) is None
    assert choice("a) and c)", n=4, multi=True) == "AC"
    cells = ["Nucleus", "Cell wall", "Ribosomes", "Chloroplasts", "Mitochondria"]
    assert choice("Animal cells have these:\n\n- **A) Nucleus**\n- **C) Ribosomes**\n"
                  "- **E) Mitochondria**\n\nCell walls and chloroplasts belong to plants.",
                  n=5, multi=True, choices=cells) == "ACE"


def test_one_label_line_anywhere_names_the_answer() -> None:
    assert choice("Flag: **A, C, and D**.\n\n- **A** – fever.\n- **C** – rash.", n=5,
                  multi=True) == "ACD"
    assert choice("| drug | class |\n|---|---|\n\nPicked options: [B, E]\n\nTip: (A) is a "
                  "trap.", n=5, multi=True) == "BE"
    assert choice("Pros: A\nCons: B\n\nIt depends on the budget.") is None  # two labels
    assert choice("Options: A, B, C, D\n\nLet me think about each.") is None
    assert choice("mutable ones are list and dict.\n\n→ **B, C** (tuple, str)", n=4,
                  multi=True) == "BC"


def test_a_closing_paragraph_that_leaves_the_choice_open() -> None:
    reply = ("Under the old rules this points to **A**.\n\nThe newer statute changes it, so "
             "it may be A or D here; I can't tell you which your exam expects.")
    assert choice(reply) is None
    reply = ("If your course follows the first view, it would be B; if the second, it would "
             "be C. I can't say definitively which one they want. Which textbook do you use?")
    assert choice(reply) is None
    assert choice("按新规定应选C。\n\n不过旧教材里是B，两种说法我没法替你确定哪个对，建议你核对出处。") is None
    # a decision after the doubts stands
    assert choice("I can't tell at first whether A or C fits.\n\nChecking the units: "
                  "the answer is C.") == "C"


def test_pointers_in_a_cut_reply_and_the_answer_options_heading() -> None:
    cut = ("Plug in x = 2: 3·4 = 12, then 12 − 2 = 10. If you forgot the square you would get "
           "6 − 2 = 4, which is option (A) — a trap. Now the last term: 10 + ")
    assert extract_choice(cut, 4, finish_reason="length").status == "truncated"
    heading = ("## Weighing the answer options\n\n- **Option A (aspirin):** relieves pain but "
               "does not reverse the clot; the next step would be to")
    assert extract_choice(heading, 4, finish_reason="length").status == "truncated"
    assert choice("So the correct picks are options A, B and D.", n=5, multi=True) == "ABD"
    # a dash before a symbol with its gloss is no arrow to a letter
    symbols = ("**Answer: C — Gold.**\n\nOther Latin symbols:\n\n- Sodium — Na (*natrium*)\n"
               "- Potassium — K (*kalium*)")
    assert extract_choice(symbols, 4, finish_reason="length").value == "C"


def test_notes_warnings_and_restated_values_after_a_number() -> None:
    assert number("The sum is 14.\n\nNote: if it were 7 * 3 the result would be 21.") == 14
    assert number("增长率 = 6 ÷ 30 × 100% = 20%\n\n注意：不要用36作分母，那样算出来约是16.7%。") == 20
    assert number("It will be worth $8,100.\n\nCommon mistake: subtracting 20% once gives "
                  "$8,000.") == 8100
    assert number("x = 0.5, which you may also write as 1/2.") == 0.5
    assert number("**Year 3 expense: $7,200**\n\n(Straight-line would give ($50,000 − $5,000)/5 "
                  "= $9,000 a year, for comparison.)") == 7200
    assert extract_number("It is 2.33 or 2.34, I am not sure.").status == "no-answer"
    assert extract_number("Either 2 or 3.").status == "no-answer"


def test_dashes_and_arrows_inside_option_reviews() -> None:
    verbs = ["GET", "FETCH", "POST", "PATCH", "SEND"]
    review = ("✅ A — GET\n❌ B — FETCH isn't a method (it's the browser's `fetch()`)\n"
              "✅ C — POST\n❌ D — PATCH is not in HTTP/1.0\n❌ E — SEND isn't one")
    assert choice(review, n=5, multi=True, choices=verbs) == "AC"
    handshake = "Correct: **(A), (D)**\n\n- (A) connection first.\n- (D) SYN → SYN-ACK → ACK."
    assert choice(handshake, multi=True) == "AD"


def test_a_bulleted_list_of_option_texts_under_the_asked_property() -> None:
    fruit = ["Tomato", "Carrot", "Cucumber", "Potato", "Pepper"]
    q = "Which of the following are botanically fruits? Select all that apply."
    picks = "The botanical fruits are:\n\n- Tomato\n- Cucumber\n- Pepper\n\nThe rest are roots."
    assert choice(picks, n=5, multi=True, choices=fruit, question=q) == "ACE"
    rest = ("The roots and tubers are:\n\n- Carrot\n- Potato\n\nSo the fruits are the "
            "tomato, the cucumber and the pepper.")
    assert choice(rest, n=5, multi=True, choices=fruit, question=q) == "ACE"
    primes = ["21", "23", "27", "29"]
    assert choice("Primes in the list:\n\n- 23\n- 29\n\n21 and 27 are composite.", multi=True,
                  choices=primes, question="Which numbers are primes?") == "BD"


def test_a_verdict_outweighs_notes_that_leave_one_option_unfaulted() -> None:
    drugs = ["Ibuprofen", "Oral amoxicillin", "Bed rest only", "IV vancomycin", "Oral steroids"]
    reply = ("This is strep throat, confirmed by the rapid test.\n\nOf these, (B) fits best, "
             "since amoxicillin is first-line.\n\nA few notes on the distractors:\n"
             "- **Ibuprofen** is kept for a true fever.\n"
             "- **Bed rest only** would be wrong because treatment prevents rheumatic fever.\n"
             "- **IV vancomycin** isn't needed for a sore throat.\n"
             "- **Steroids** aren't routinely recommended.")
    assert extract_choice(reply, 5, drugs).method == "verdict"
    assert choice(reply, n=5, choices=drugs) == "B"


def test_numbers_after_checks_asides_refusals_and_in_json() -> None:
    q = "A square's side is 2 cm more than a third of 12 cm. What is its area in square cm?"
    reply = ("s = 12/3 + 2 = 6\n\nCheck: 12/3 = 4 ✓\n\nArea = 6 × 6 = 36\n\nThe area is 36 cm².")
    assert number(reply, question=q) == 36
    assert number("增长率 = 50 ÷ 200 = 25%\n\n拓展：若反过来问减少了百分之几，是 50 ÷ 250 = 20%。") == 25
    assert number("体积是 60 立方厘米。\n\n提醒：表面积是 94 平方厘米，别混淆。") == 60
    assert number("So the pH is about 3.4.\n\n**Next steps if you need them:** pOH = 10.6.") == 3.4
    refusal = "抱歉，这看起来是一场正在进行的测验，我不能直接提供答案。思路：设这个数为 x，列 2x + 5 = 17。"
    assert extract_number(refusal).status == "no-answer"
    assert number('{"final_answer": "612.50", "steps": ["500 × 1.225"], "note": "not 600"}') == 612.5
    assert number("a_5 = 31, so the fifth term is 31.") == 31
    assert number("收入 = 500 × 40% = 200 万元。", question="本年应确认收入多少？（单位：万元）") == 200
    assert number("V = 3 × 22.4 = 67.2 L\n\nAnswer: 67.2 L (= 0.0672 m³)") == 67.2
    assert number("实付：300 − 50 = 250 元\n\n如果分开买，一共要付 300 元。\n\n所以实际需付 250 元。") == 250
    assert number("PV of inflows = 7,400.00\n\n**NPV = ($2,600.00)**, a loss: reject it.") == -2600
    assert number("The total is $50 ($20 of it for food).") == 50
    assert number("So the flat is now worth a quarter of a million dollars.") == 250000
    assert extract_number("I'd put it somewhere between **40 and 120** tuners.").status \
        == "no-answer"
    assert extract_number("Roughly a third of a billion people.").value == "1000000000/3"
    assert number("1275。\n\n求和：(1 + 50) × 50 ÷ 2 = 1275。据说这个方法是 9 岁的孩子想出的。") == 1275
    undetermined = "只知道周长是 20 厘米，还不能确定面积。\n\n长 + 宽 = 20 ÷ 2 = 10，例如长 9 宽 1，面积 9。"
    assert extract_number(undetermined, question="周长 20 厘米的长方形面积是多少？").status \
        == "no-answer"
    q = "两地相距 36 千米，甲每小时走 5 千米，乙每小时走 7 千米，相向而行，经过几小时相遇？"
    assert number("相遇时间 = 36 ÷ (5 + 7) = 3（小时）。相遇时甲走了 15 千米，乙走了 21 千米。",
                  question=q) == 3


def test_traditional_chinese_traps_practice_sets_and_open_endings() -> None:
    assert choice("辛亥革命屬於舊民主主義革命。\n\n答案為 (C)。") == "C"
    assert number("總共兩萬五千人。") == 25000
    assert choice("ACD ✅", multi=True) == "ACD"
    trap = ("**Mode = 4 (A)**\n\nNote: the mean is 5, which is option C — a common trap.")
    assert choice(trap, choices=["4", "4.5", "5", "6"]) == "A"
    practice = ("正确答案是 B。\n\n📚 相关练习推荐：\n1. 下列属于光的反射的是（　）\n"
                "   A. 海市蜃楼　B. 镜花水月\n   （答案：B）\n2. 彩虹是光的（　）现象\n"
                "   A. 反射　B. 色散\n   （答案：B）")
    assert choice(practice) == "B"
    open_end = ("按规律一应选 B，按规律二应选 C。\n\n两种规律都符合已知数据，无法唯一确定答案。")
    assert choice(open_end) is None
    quoted = "【答案】A\n【解析】弹性已知，因此收益增加。D项“无法确定”错误。"
    assert choice(quoted, choices=["增加", "减少", "不变", "无法确定"]) == "A"


def test_alternatives_under_conditions_and_a_copula_cut_off() -> None:
    reply = ("Both views have support.\n\nSo it comes down to B or D — if your course follows "
             "Keynes, go with B; if it follows Friedman, D is more likely.")
    assert choice(reply) is None
    assert choice("If we rule out A and C, the answer is B.") == "B"
    cut = ("Let us go through them.\n\n**B. Open/closed** — open for extension, but it is\n\n"
           "**C. Don't repeat "
           "yourself** — a widely cited rule, but it is not one of")
    assert extract_choice(cut, 5, multi=True, finish_reason="length").status == "truncated"


def test_opening_letters_with_a_comment_arrows_to_an_option_and_leading_marks() -> None:
    assert choice("ACD（B 的单位换算错了）", n=5, multi=True) == "ACD"
    assert choice("BDE — metre, kilogram and second are base units.", n=5, multi=True) == "BDE"
    assert choice("Only D.\n\nThe others fail the test.") == "D"
    assert choice("A patient with a fever — see below.") is None
    assert choice("NO — none of them.") is None
    assert choice("So 12,000.\n\n→ **C. $12,000**\n\nTraps:\n- **A ($9,000)** forgets the rate.") == "C"
    cities = ["Sydney", "Canberra", "Melbourne", "Perth"]
    review = "❌ A. Sydney — the largest city\n❌ B. Melbourne\n✅ C. Canberra\n❌ D. Perth"
    assert choice(review, choices=["Sydney", "Melbourne", "Canberra", "Perth"]) == "C"
    assert choice(review.replace("✅", "❌"), choices=cities) is None
    practice = "C\n\n解析：……\n\n📚 同类题练习\n下列属于…的是（　　）\nA. 甲　B. 乙\n参考答案：A"
    assert choice(practice) == "C"


def test_sets_of_letters_left_open() -> None:
    assert choice("A、C、D 肯定对。\n\n所以这题可能是 ACD，也可能题库答案是 ABCD，我不太确定依据的是哪版教材。",
                  multi=True) is None
    assert choice("A and C are in.\n\nI don't want to guess — both AC and ACD are defensible "
                  "here.", multi=True) is None
    reply = ("Smoking and age are clear.\n\nI can't tell which convention your exam uses, so it's "
             "either A, B, D or all four. If you let me know the textbook, I can say which.")
    assert choice(reply, multi=True) is None
    assert choice("所以我认为 B 和 D 都有一定依据，建议核对教材。") is None
    assert choice("So the answer is B. I'm fairly sure, though you can check the unit.") == "B"


def test_ordinals_alone_and_a_sentence_that_is_only_the_label() -> None:
    assert choice("So the true statements are the second and the fourth.", multi=True) == "BD"
    assert choice("It was the first and the second world wars that did it.", multi=True) is None
    assert choice("Prices rise, so demand falls. Option D. The rest confuse the curves.") == "D"
    assert choice("Option A is tempting. Option C is wrong.") is None
    assert choice("Everything except pupil size (C).\n\nThe scale scores eyes, voice and motor.",
                  multi=True) == "ABD"
    painters = ["Claude Monet", "Pablo Picasso", "Leonardo da Vinci", "Vincent van Gogh"]
    reply = ("That would be **Leonardo da Vinci**, around 1503.\n\n- Monet painted water lilies.\n"
             "- Pablo Picasso founded Cubism with Braque.")
    assert choice(reply, choices=painters) == "C"


def test_markers_inside_an_example_or_warning_aside() -> None:
    assert choice("故选 C。\n\n（常见错误：写成 2 + (n-1)·3 时漏了括号，即选 A；或忘了首项，即选 D。）") == "C"
    reply = ("条件不够，无法确定应该选哪一个。（例如若长比宽多 2 厘米，那答案就是 B。）")
    assert choice(reply) is None
    assert choice("The answer is B (e.g. if the rate were 5%, the answer would be D instead).") == "B"


def test_lower_case_letter_lists() -> None:
    """Lists of lower-case letters: bracketed after a copula, and space-separated after a
    marker. A lone lower-case "a" before a word is still an article."""
    assert choice("So the metals here are (b), (d) and (e).\n\nNice work! Try another?",
                  n=5, multi=True) == "BDE"
    assert choice("正确答案：b d", n=5, multi=True) == "BD"
    assert choice("The answer: a b c d", n=5, multi=True) == "ABCD"
    assert choice("The answer is a matter of taste.", multi=True) is None


def test_a_letter_list_that_restates_the_question() -> None:
    """A clause that opens with letters and says of them what the question asks."""
    q = "Which of the following would lower the boiling point of water? (Select all.)"
    assert choice("B and D lower the boiling point; A and C raise it.", n=4, multi=True,
                  question=q) == "BD"
    assert choice("B and D do not lower the boiling point.", n=4, multi=True,
                  question=q) is None
    assert choice("A、C和E是哺乳动物；其余两种是鸟类。", n=5, multi=True,
                  question="下列动物中属于哺乳动物的是") == "ACE"
    # for one answer, "A stack …" is an article, never read by this rule
    assert choice("A stack uses LIFO order.", question="Which structure uses LIFO?",
                  choices=["Queue", "Stack", "Heap", "List"]) != "A"


def test_an_option_reworded_in_a_stating_sentence() -> None:
    """The weakest option rule: a sentence repeating one option's own words, reworded."""
    causes = ["Prolonged exposure to ultraviolet light", "A diet low in iron",
              "Inherited mutations of the BRCA1 gene", "Chronic infection with hepatitis B"]
    ex = extract_choice("Mutations in BRCA1 that are inherited.\n\nCarriers have a much higher "
                        "lifetime risk of breast and ovarian cancer.", 4, causes)
    assert (ex.status, ex.value, ex.method) == ("ok", "C", "option-words")
    assert "option-words" in WEAK_METHODS
    tools = ["抽样调查全国人口", "普查每一户居民", "查阅历年统计年鉴", "访谈少数专家"]
    assert choice("应当普查，逐一登记每一户居民。", choices=tools) == "B"
    assert choice("应当普查，逐户调查每一户居民。", choices=tools) is None  # 调查 is A's
    # one word in common is not a statement; a comparison, a hedge or a refusal states nothing
    enzymes = ["DNA polymerase", "Helicase", "Ligase", "Primase"]
    assert choice("Great question about DNA replication! Each enzyme has its own role.",
                  choices=enzymes) is None
    assert choice("Helicase unwinds the helix while ligase joins the fragments.",
                  choices=enzymes) is None
    assert choice("Perhaps mutations in BRCA1 that are inherited.", choices=causes) is None
    assert choice("Mutations in BRCA1 that are inherited. Diet and infection are ruled out.",
                  choices=causes) == "C"
    assert choice("综上，诊断考虑慢性支气管炎，即选项 C。\n\n## 延伸\n\n- 金标准：肺功能。", n=5) == "C"
    assert choice("Hashing is fastest.\n\n✅ **D — Hash table**") == "D"
    assert choice("I cannot say whether ultraviolet exposure matters here.",
                  choices=causes) is None
    # a reply that says the same of each option in turn (a looping small model) chooses none
    assert choice("ultraviolet light is a cause. a low iron diet is a cause. ultraviolet light "
                  "is a cause.", choices=causes) is None


# Choice rules generalised after the sixth blind dev batch (dev6, variants of dev/dev2 items).


def test_a_conclusion_heading_a_quote_block_and_what_an_elimination_leaves() -> None:
    assert choice("## 分析\n铜和铁都是金属。\n\n## 结论\n\n> **C．硫**\n\n硫是非金属。") == "C"
    assert choice("甲、乙、丁都不合题意，剩下 B。") == "B"
    # Remaining candidates still being compared are not an answer.
    ex = extract_choice("排除C和D。剩下的选项A和选项B都是负数，比较绝对值", 4,
                        finish_reason="length")
    assert ex.status == "truncated"


def test_a_changed_pick_and_a_pick_attributed_to_misled_students() -> None:
    assert choice("答案：A\n\n再想一下，A其实是错的。应改为 C，A 是干扰项。") == "C"
    assert choice("答案是D。\n\n提醒：不少同学只看颜色就选A，这是不对的。") == "D"
    assert choice("The answer is B. A common mistake is to choose C here.") == "B"


def test_correct_items_named_with_any_noun_and_only_one_wrong_option() -> None:
    assert choice("正确的表述有 B、C 两项。", multi=True) == "BC"
    assert choice("只有 C 错误，其余都对。", multi=True) == "ABD"
    assert choice("Only D is false; the rest hold.", multi=True) == "ABC"


def test_verdict_rows_with_reasons_in_brackets_and_bare_shi() -> None:
    table = ("| 选项 | 是否成立 |\n|---|---|\n| A | 否（方向反了） |\n| B | 否（单位错） |\n"
             "| C | 是 |\n| D | 否（数量级不对） |")
    assert choice(table) == "C"
    assert choice("A. 铁 —— 不是。\nB. 铜 —— 不是。\nC. 硅 —— 是。\nD. 锌 —— 不是。") == "C"


def test_leaning_a_so_against_a_rejected_letter_and_a_matching_bracket() -> None:
    assert choice("I'd lean toward C, though D is defensible in some texts.") == "C"
    assert choice("Mercury is closest to the Sun. So A — not B, which is Venus.") == "A"
    assert choice("v = d/t = 12 m/s\n\nThat matches (D). The time was 5 s, as given.") == "D"


def test_latex_spacing_inside_a_boxed_list_and_the_last_option() -> None:
    assert choice("$$\\boxed{A,\\ C}$$", multi=True) == "AC"
    assert choice("$\\boxed{B,\\,D}$", multi=True) == "BD"
    assert choice("逐个比较后，答案是最后一项。") == "D"
    assert choice("逐个比较后，答案是最后一项。", 5) == "E"
    assert choice("估算约为两千，选项B最接近。") == "B"


def test_declines_with_adverbs_and_an_option_named_before_a_refusal() -> None:
    opts = ["Iron", "Calcium", "Zinc", "Iodine"]
    ex = extract_choice("I can't responsibly pick one without her lab results.", 4, opts)
    assert ex.status == "no-answer"
    ex = extract_choice("That depends largely on which guideline you follow.", 4, opts,
                        multi=True)
    assert ex.status == "no-answer"
    opts = ["Nile", "Amazon", "Yangtze", "Mississippi"]
    text = ("By length it's the Nile; by volume it's the Amazon. I can't tell you which "
            "your teacher means.")
    assert extract_choice(text, 4, opts).status == "no-answer"
    assert choice("B和C似乎都能说通，我无法确定标准答案到底是哪一个。") is None


def test_answer_heads_and_concluding_clauses_and_abridged_quotes() -> None:
    opts = ["Gram", "Kelvin", "Mole", "Ampere"]
    assert extract_choice("Kelvin — the gram and the mole measure other things.", 4,
                          opts).value == "B"
    opts = ["12", "15", "18", "21"]
    assert extract_choice("逐项相加：3，6，9，12，15，所以总和是15。", 4, opts).value == "B"
    opts = ["植树造林可以改善生态环境", "森林越多气温一定越高", "砍树不会影响水土", "湿地毫无作用"]
    text = "B、C、D 都不成立。\n\n只有“植树可以改善生态环境”这个说法是对的。"
    assert extract_choice(text, 4, opts).value == "A"
    # A conclusion that settles nothing names no option, whatever values follow it.
    opts = ["1 N", "5 N", "7 N", "8 N"]
    text = "合力在1 N到7 N之间，所以无法确定合力是多少：同向时为7 N。"
    assert extract_choice(text, 4, opts).status == "no-answer"


def test_the_answer_sentence_names_its_letter_through_a_relative_clause() -> None:
    text = ("So I guess the answer is the one about low prices which is B. A is about taxes, "
            "that's A. Ask me about A, B or C anytime!")
    assert choice(text) == "B"


# Choice rules added after the fifth blind dev batch (dev5): general forms, in our own words.


def test_letter_verdicts_labels_and_bracketed_lowercase_after_so() -> None:
    assert choice("Sodium and potassium are alkali metals, so only B & D qualify.",
                  multi=True) == "BD"
    assert choice("BD is my answer. Both are alkali metals.", multi=True) == "BD"
    assert choice("Water boils at 100 °C at sea level, so (c).") == "C"
    assert choice("Stars fuse hydrogen. The correct statement is option D.") == "D"
    assert choice("Iron and copper conduct; glass does not.\nSo: A, C. (Not B, not D.)",
                  multi=True) == "AC"
    ex = extract_choice("Most likely: **a penguin (B)**.\nIt cannot fly, unlike the rest.", 4,
                        ["Eagle", "Penguin", "Sparrow", "Crow"])
    assert ex.value == "B"


def test_pointer_to_a_letter_with_xiang_and_a_reply_opening_with_shi() -> None:
    assert choice("作者借古讽今，意在警示当下，对应C项。A项曲解原意；D项无中生有。") == "C"
    ex = extract_choice("是第三个选项——王安石，他主持了熙宁变法。", 4,
                        ["司马光", "苏轼", "王安石", "欧阳修"])
    assert ex.value == "C"
    assert choice("是的，这道题我需要更多信息才能判断。") is None


def test_enumeration_comma_list_ends_at_a_clause_comma() -> None:
    assert choice("本题应选A、C、D，B虽常见但不属于此类。", multi=True) == "ACD"
    assert choice("答案：A，B，C", multi=True) == "ABC"  # commas alone still list letters
    assert choice("答案是A,B,D", multi=True) == "ABD"


def test_hedged_second_pick_and_a_tally_of_ticks_summed_by_an_arrow() -> None:
    ex = extract_choice("我不确定，可能选A，也可能选B，请再核对教材。", 4)
    assert (ex.status, ex.method) == ("no-answer", "ambiguous")
    assert choice("A ✔, B ✘, C ✔, D ✘ → **AC**", multi=True) == "AC"
    # A line that only crosses options out still does not answer with its arrow.
    assert choice("D is a trap ✘ → D\nThe answer is B.") == "B"


def test_option_text_after_arrows_bold_labels_and_chinese_counts() -> None:
    opts = ["Pumping blood", "Filtering blood", "Producing bile", "Storing calcium"]
    assert extract_choice("Not a heart job → filtering blood.", 4, opts).value == "B"
    opts = ["Brazil", "Peru", "Chile", "Argentina"]
    ex = extract_choice("## Answer\n**Chile** is longer north to south than Peru or Brazil.",
                        4, opts)
    assert ex.value == "C"
    opts = ["2天", "5天", "7天", "10天"]
    assert extract_choice("所以一共需要七天。", 4, opts).value == "C"
    # A numeral that only counts ("只能选一个") does not name a bare number option.
    ex = extract_choice("两个都对，所以只能选一个的话我无法决定。", 4, ["1", "2", "3", "4"])
    assert ex.status == "no-answer"


def test_a_contrastive_ze_is_not_a_conclusion() -> None:
    opts = ["红黄蓝", "红绿蓝", "青品黄", "黑白灰"]
    ex = extract_choice("光的三原色即选项中的“红绿蓝”。颜料的三原色则是青、品、黄。", 4, opts)
    assert ex.value == "B"
    assert choice("设甲为真，则是B。") == "B"


def test_a_table_row_labelled_as_the_answer() -> None:
    text = ("| 选项 | 内容 | 说明 |\n|---|---|---|\n| A | 甲 | 常见 |\n"
            "| B | 乙 | ✅ 本题答案 |\n| C | 丙 | 常见 |\n| D | 丁 | 少见 |")
    assert extract_choice(text, 4, ["甲", "乙", "丙", "丁"]).value == "B"


def test_the_same_remark_about_several_options_chooses_none() -> None:
    opts = ["Paris", "Lyon", "Marseille", "Lille"]
    ex = extract_choice("france has cities. paris is a fine place. lyon is a fine place.", 4,
                        opts)
    assert ex.status == "no-answer"
    # Different remarks still let the stated one through.
    assert extract_choice("Paris is the capital. Lyon is a big city.", 4, opts).value == "A"


def test_an_opening_computation_is_not_the_listed_answer() -> None:
    opts = ["12", "15", "16", "21"]
    text = "12 = 3 × 4\n15 = 3 × 5\n16 = 4²\n21 = 3 × 7\nThe perfect squares are 16 only."
    assert extract_choice(text, 4, opts, multi=True).value == "C"


def test_words_starting_with_xuan_and_what_is_left_after_ruling_out() -> None:
    # "选举权" is a right, not "选 举"; a cut review of it answers nothing.
    cut = "先看A项：选举权是公民的政治权利。\n\nB项：纳税是义务。\n\nC项：言论自由属于"
    assert extract_choice(cut, 4, finish_reason="length").status == "truncated"
    assert choice("甲不对，乙也不对，那就只能是C了。") == "C"
    assert choice("排除A、B、D之后，剩下的只有C。") == "C"
    assert choice("排除 B 和 D，剩下的只有 A。") == "A"


def test_a_list_offered_against_another_list_or_two_readings_are_hedges() -> None:
    ex = extract_choice("答案也许是A和C，也可能是A、C和D。", 4, multi=True)
    assert ex.status == "no-answer"
    # The same list repeated is not a hedge.
    assert extract_choice("答案是A和C，或者说A、C。", 4, multi=True).value == "AC"
    two = "按第一种读法对应A项；按第二种读法对应C项。这两种说法都有道理，请以教材为准。"
    assert extract_choice(two, 4).status == "no-answer"
    en = "Reading 1 points to option B, reading 2 to option D. Both interpretations are defensible."
    assert extract_choice(en, 4).status == "no-answer"


def test_an_instruction_to_choose_a_restatement_and_a_dash_name_the_letter() -> None:
    assert choice("Many people confuse these two metals. Pick C.") == "C"
    assert choice("It's the noble gas. Therefore, select (D).") == "D"
    assert choice("Students often choose Ag here.") is None  # no letter after "choose"
    text = "The even ones are 4, 8 and 10, i.e. **A, C, D**. The rest are odd."
    assert extract_choice(text, 4, multi=True).value == "ACD"
    assert choice("It isn't Lyon, which is bigger. The capital is Paris — A.") == "A"
    # A dash on a line that rejects is not a pointer, nor are options echoed with dashes.
    assert choice("The answer is B.\nD is a common distractor — D") == "B"
    echo = extract_choice("Solar — A\nCoal — B\nWind — C", 3)
    assert echo.method != "marker"


def test_first_and_last_ordinals_and_counted_letters_that_all_fit() -> None:
    text = "Speed and mass lack direction. Hence the first and the last options are right."
    assert extract_choice(text, 4, multi=True).value == "AD"
    assert extract_choice("A、C、D三项都能体现这一点，B排除。", 4, multi=True).value == "ACD"
    assert choice("运行后只有 B 为 True，A 为 False。") == "B"
    text = "- [x] A works\n- [x] C works\n- [ ] B fails\n\nSo A and C are valid."
    assert extract_choice(text, 4, multi=True).value == "AC"


def test_undecidable_replies_and_refusals_to_help_choose_nothing() -> None:
    opts = ["3", "5", "7", "9"]
    text = "With only a − b = 2, a + b could be 3, 5 or 7; it cannot be determined."
    assert extract_choice(text, 4, opts).status == "no-answer"
    # When an option itself says so, naming it is the answer.
    opts2 = ["3", "5", "7", "Cannot be determined"]
    text = "Without a second equation the sum cannot be determined."
    assert extract_choice(text, 4, opts2).value == "D"
    refusal = "抱歉，我不能协助选择任何伪造证件的方法。伪造他人证件是违法的。"
    assert extract_choice(refusal, 3, ["借用证件", "伪造证件", "购买证件"]).status == "no-answer"


def test_an_invented_next_question_is_not_read() -> None:
    text = ("C\n\nQuestion 2: Which planet is largest?\nA. Mars\nB. Jupiter\nC. Venus\n"
            "Answer: B\n\nQuestion 3: Which is a gas?\nA. Iron\nB. Neon\n")
    assert extract_choice(text, 4, finish_reason="length").value == "C"
    zh = "A\n\n题目2：下列哪个是偶数？\nA．3\nB．4\n答案：B"
    assert choice(zh) == "A"
    # The question restated before the answer is not an invented one, nor is a Q/A dialogue.
    assert choice("Question: Which is largest?\nA. 1\nB. 3\nAnswer: B") == "B"
    faq = "Some context first.\nQ: Why?\nA: Because.\nQ: So?\nA: So the answer is C."
    assert choice(faq) == "C"


def test_a_follow_up_practice_or_variant_section_is_not_read() -> None:
    # A tutor's practice question after the answer, with its own answer, in several formats.
    assert choice("【答案】B\n\n【解析】……\n\n【变式训练】下列属于纯净物的是（ ）\n"
                  "A. 空气 B. 海水 C. 蒸馏水 D. 牛奶\n（答案：C）") == "B"
    assert choice("答案：A\n\n【练一练】3的倒数是（ ）　A．3　B．1/3\n答案：B") == "A"
    assert choice("The answer is **C**.\n\nTry this one: which is larger, (A) 2/3 or (B) 3/5?") == "C"
    assert choice("Answer: D\n\nYour turn: Which planet is closest to the Sun? "
                  "A. Venus B. Mercury (answer: B)") == "D"
    # A "Quick check" that asks nothing verifies this answer; its letters still count.
    assert choice("So it's B.\nQuick check: 0.4 < 0.417, so D is not bigger. Verified, B is right.") == "B"
    # A variant of the question ("if the stem asked for …") answers that variant.
    assert choice("答案：B\n若题干改为“最大的数”，则应选D。") == "B"
    assert choice("所以选A。如果题目问的是绝对值最小的数，答案就变成了B。") == "A"
    assert choice("The answer is C. If the question asked for the smallest, the answer would be A.") == "C"
    assert choice("Final answer: B. Had the stem said 'least', choose D.") == "B"


def test_a_misled_pick_is_read_across_the_clauses_of_its_sentence() -> None:
    assert choice("【答案】A\n很多同学受中文思维影响，看到“请求”就选C，这是不对的。") == "A"
    assert choice("Answer: B. Many students, misreading the graph, pick D.") == "B"
    assert choice("答案：C。有些考生因为没注意单位，就会选A。") == "C"
    # The sentence turns to the reply's own answer: that one is read.
    assert choice("很多同学选B，但正确答案是C。") == "C"


def test_checkbox_lists_tick_options() -> None:
    tick = "- [x] A. Petal\n- [ ] B. Root\n- [x] C. Stamen\n- [ ] D. Tuber"
    assert choice(tick, multi=True) == "AC"
    assert choice("☑ A 春节\n☐ B 圣诞节\n☑ D 中秋节\n☐ C 万圣节", multi=True) == "AD"
    assert choice("[✓] (B) Mouse\n[ ] (A) Monitor\n[✓] (D) Keyboard\n[ ] (C) Printer",
                  multi=True) == "BD"
    assert choice("■ A\n□ B\n□ C\n■ D", multi=True) == "AD"


def test_letters_in_a_tag_or_a_string_encoded_json_key() -> None:
    assert choice("<final>B</final>") == "B"
    assert choice("<draft>A</draft>\n<result>C</result>") == "C"
    # A closing tag is not a marker: the letters after it discuss distractors.
    assert choice("<answer>AD</answer>\n\nOption B is tempting, and C too.", multi=True) == "AD"
    assert choice("<choice>A, D</choice>\nB looked right at first.", multi=True) == "AD"
    tool = '{"arguments": "{\\"answer\\": \\"BC\\", \\"note\\": \\"A is old\\"}"}'
    assert choice(tool, multi=True) == "BC"


def test_a_closing_label_line_names_the_answer_whatever_its_words() -> None:
    assert choice("The blood cels carry oxgyen.\n\nAnswr: B") == "B"
    assert choice("……胰腺也是消化腺。\n\n答按：C") == "C"
    assert choice("草稿：先写C。\n嗯，不对。\n\n定稿：B") == "B"
    assert choice("Ranked:\n1. C\n2. A\n\nTop choice: C") == "C"
    assert choice("各项打分：A 0.9，D 0.8\n取得分高于0.5的选项：A、D。", multi=True) == "AD"
    assert choice("Mi respuesta: D") == "D"
    # A label that rejects or lists every option names no answer.
    assert choice("Wrong: A") is None
    assert choice("排除：B、C") is None
    assert choice("Options: A, B, C, D") is None


def test_letter_sets_offered_against_each_other_are_a_hedge() -> None:
    for text in ("答案：A或AC，我不太确定。", "Answer: ACD?? or AD. Can't decide.",
                 "Answer: BD, or maybe BCD.", "答案可能是AB，也可能是ABD"):
        ex = extract_choice(text, 4, multi=True)
        assert (ex.status, ex.method) == ("no-answer", "ambiguous"), text
    assert choice("Answer: A/C/E", 5, multi=True) == "ACE"  # a slash lists, for multi-select
    assert choice("答案：B或B") == "B"  # the same letter twice is no hedge


def test_a_letter_that_opens_a_name_is_not_a_letter_answer() -> None:
    blood = ["A+", "AB+", "O-", "B-"]
    ex = extract_choice("I'm fairly sure it's O negative.", 4, blood)
    assert (ex.status, ex.value) == ("ok", "C")  # read by the option's text, not as "O"
    assert choice("首选B超。", 5, choices=["CT", "MRI", "B超", "ERCP", "造影"]) == "C"
    cells = ["B cells", "T cells", "Neutrophils", "Mast cells"]
    assert choice("The answer is T cells.", 4, choices=cells) == "B"
    crp = ["C反应蛋白", "血沉", "白细胞", "降钙素原"]
    assert choice("答案是C反应蛋白升高", 4, choices=crp) == "A"
    # A letter followed by a reason is still the letter.
    assert choice("The answer is C because it is larger.", 4, choices=["Cat", "Dog", "Cow", "Eel"]) == "C"


def test_verbs_of_handing_in_an_answer() -> None:
    assert choice("I'll submit A and B.", multi=True) == "AB"
    assert choice("I'd mark C.") == "C"
    assert choice("I will tick B and D.", multi=True) == "BD"


def test_bold_letter_lists_table_answer_rows_and_labelled_lists() -> None:
    assert extract_choice("The squares are **A and C** (4 and 9).", 4, multi=True).value == "AC"
    assert choice("This matches **(C)**.\n\n(A) is too slow; (B) ignores drag.") == "C"
    table = ("| Option | Verdict |\n|---|---|\n| A | no |\n| B | no |\n| C | yes |\n"
             "| **Answer** | **C** |")
    assert choice(table) == "C"
    # A column headed "Answer" is not a row: the letter below it is a later row's cell.
    assert choice("My pick: D.\n\n| Answer | Count |\n|---|---|\n| A | 3 |") == "D"
    opts = ["metre", "litre", "second", "hour", "ampere"]
    text = "Base units: **(A) metre, (C) second, (E) ampere**."
    assert extract_choice(text, 5, opts, multi=True).value == "ACE"


def test_counterfactual_answers_and_crosses_between_words() -> None:
    text = ("Answer: A\n\nIf the question had asked for the largest, the answer would be D, "
            "which is option D.")
    assert choice(text) == "A"
    # An ordinary "if" still concludes.
    assert choice("If we solve for x, the answer is C.") == "C"
    review = "A: x³ ✓\nB: x², even ✗\nC: odd × even = odd ✓\nD: |x| ✗"
    assert extract_choice(review, 4, multi=True).value == "AC"


def test_a_question_asking_for_the_exception_is_answered_by_restating_it() -> None:
    q = "Which of these is NOT a mammal?\nA. Whale\nB. Bat\nC. Shark\nD. Dog"
    text = "Whales, bats and dogs nurse their young. So option C is not a mammal.\n\nP.S. B flies."
    assert extract_choice(text, 4, question=q).value == "C"
    # Without the question the same sentence rejects C, and names nothing.
    assert extract_choice(text, 4).status == "no-answer"
    # A judgement still rejects, whatever the question.
    assert extract_choice("So C is not correct.", 4, question=q).status == "no-answer"
    multi_q = "Which of the following are not metals? (Select all that apply.)"
    text = "Iron and tin conduct. So the ones that aren't metals: A and C."
    assert extract_choice(text, 4, multi=True, question=multi_q).value == "AC"
    zh_q = "下列不属于哺乳动物的是（ ）\nA．鲸\nB．鲨鱼\nC．蝙蝠\nD．狗"
    assert extract_choice("鲸、蝙蝠、狗都是哺乳动物，所以B不属于哺乳动物。", 4, question=zh_q).value == "B"
    # A negation among the options does not make the question ask for the exception.
    q = "Which is a mammal?\nA. Shark\nB. Dog\nC. None is not listed"
    assert extract_choice("So A is not a mammal.", 3, question=q).status == "no-answer"


def test_option_glosses_options_first_and_multi_markers_that_name_other_things() -> None:
    opts = ["Argon (Ar)", "Oxygen (O₂)", "Neon (Ne)", "Nitrogen (N₂)"]
    text = "Argon and neon are noble gases. O₂ and N₂ are reactive."
    assert extract_choice(text, 4, opts, multi=True).value == "AC"
    opts = ["Type AB", "Type A", "Type O", "Type B"]
    text = "Type O.\n\nIt lacks the antigens. Type AB is the opposite case."
    assert extract_choice(text, 4, opts).value == "C"
    opts = ["Red", "Cyan", "Green", "Blue"]
    text = ("The primaries of light are red, green and blue.\n\nCyan is not one — it is a mix "
            "made from green and blue.")
    assert extract_choice(text, 4, opts, multi=True).value == "ACD"
    assert choice("Both B and D. They are metals.", multi=True) == "BD"
    # A call's bracket is not a gloss: "sin" names neither "sin(x)" nor "sin(2x)".
    opts = ["sin(x)", "sin(2x)", "cos(x)", "x²"]
    assert extract_choice("It is sin, clearly.", 4, opts).status == "no-answer"
    # Nor is a head two options share.
    opts = ["Iron (Fe²⁺)", "Iron (Fe³⁺)", "Zinc (Zn²⁺)", "Copper (Cu²⁺)"]
    assert extract_choice("Iron.", 4, opts).status == "no-answer"
    # A closing "if … were …, the answer is" is an ordinary conclusion, not a "would".
    assert choice("If both sides were doubled, the answer is still B.") == "B"


def test_sources_footnotes_and_citation_marks_are_not_read() -> None:
    opts = ["Nile", "Amazon", "Yangtze", "Danube"]
    # A citation mark after the letter still leaves it closing its line.
    text = ("The longest river on the list is the Nile — option A [2].\n\nIt flows north "
            "through eleven countries, unlike the Amazon, which drains eastward into the")
    assert extract_choice(text, 4, opts, finish_reason="length").value == "A"
    assert choice("故选 C【1】。\n\n参考资料：\n1. 《中国地理》，2018") == "C"
    # A sources list names titles and authors; above or below the answer it is skipped.
    text = ("References\n1. Yangtze River Commission, 2021\n2. Danube Atlas\n\n"
            "Summary: the longest is the Nile [1].\n\n**Answer: A**")
    assert extract_choice(text, 4, opts).value == "A"
    text = "Geographers mostly agree on this one.\n\nSources: [1] Amazon Conservation, 2019"
    assert extract_choice(text, 4, opts).status == "no-answer"
    # Only sources visible (the answer stayed in the reasoning): nothing is committed.
    text = "<think>It is the Nile, so A.</think>\n\n来源：\n1. 尼罗河流域组织\n2. 长江年鉴"
    assert extract_choice(text, 4, opts).status == "no-answer"
    text = "Footnoted.[^1]\n\n[^1]: Danube Commission report, 2015."
    assert extract_choice(text, 4, opts).status == "no-answer"


def test_lists_of_bare_letters_after_a_copula_and_counted_letters() -> None:
    assert choice("the noble gases here are a, c and e.\n\n- argon ...", 5, multi=True) == "ACE"
    assert choice("So the three I keep are: A, C, D.", 5, multi=True) == "ACD"
    assert choice("The right picks are B, D, and F (statements 2, 4 and 6).", 6,
                  multi=True) == "BDF"
    assert choice("Prime numbers in the list are B and D. The rest are composite.",
                  multi=True) == "BD"
    # A subject that names what is rejected does not answer.
    text = "Answer: B, D.\n\nThe incorrect statements are A and C."
    assert choice(text, multi=True) == "BD"
    assert choice("Answer: C\n\nThe ones we can rule out are a and b.", multi=True) == "C"
    # For one answer, lower-case letters after a copula are variables.
    assert choice("So C.\n\nHere the two constants are a and b.") == "C"
    # Letters counted after a "…的是": "两项", "这两个选项", "项".
    assert choice("因此属于哺乳动物的是 **A、C** 两项。", multi=True) == "AC"
    assert choice("所以说法正确的是B和D这两个选项。", multi=True) == "BD"
    assert choice("综上，符合题意的是 C 项。") == "C"
    # A lower-case letter that ends its line is not an article of the next line's word.
    assert choice("answer: b, d\n\nthe text says so twice.", 5, multi=True) == "BD"
    assert choice("my pick: a, c\nthe others are wrong", multi=True) == "AC"


def test_mild_commitments_summary_labels_and_japanese_markers() -> None:
    assert choice("大概率是A。\n\nA句缺主语，其余三句没有问题。") == "A"
    assert choice("十有八九选C，D项的说法太绝对了。") == "C"
    assert choice("我猜是B吧，B的表述最完整。") == "B"
    opts = ["红光和蓝紫光", "绿光", "黄光", "紫外光"]
    text = "**简要回答**：主要吸收红光和蓝紫光。\n\n**说明**：绿光吸收最少，所以叶子看起来是绿的。"
    assert extract_choice(text, 4, opts).value == "A"
    assert choice("TL;DR: B\n\nLonger version: A and C fail the check, D is too broad.") == "B"
    assert choice("Bottom line: D. The others each miss one condition (A, B, C).") == "D"
    assert choice("答えは B、東京です。京都はかつての都でした。") == "B"
    assert choice("正解は C です。A と D は誤りです。") == "C"


def test_a_subject_negated_before_its_copula_and_contrasts() -> None:
    opts = ["Red", "Green", "Yellow", "Blue"]
    assert extract_choice("So the one that is NOT an additive primary is **Yellow**.", 4,
                          opts).value == "C"
    assert extract_choice("The colour which isn't a primary of light is yellow.", 4,
                          opts).value == "C"
    opts = ["a rare fish", "an important clue", "a serious mistake", "a misleading distraction"]
    text = ("(D)\n\nThe detective calls the glove a red herring. It's the opposite of an "
            "important clue (B), and the literal sense (A) does not fit.")
    assert extract_choice(text, 4, opts).value == "D"
    text = "It's a misleading distraction.\n\nThat is contrary to an important clue."
    assert extract_choice(text, 4, opts).value == "D"


def test_a_closing_letter_with_option_text_and_pointers_in_markdown() -> None:
    opts = ["1/4", "5/16", "1/3", "3/8", "1/2"]
    assert extract_choice("C(4,2)/16 = 6/16 = 3/8\n\n**(D) 3/8**", 5, opts).value == "D"
    assert choice("Working: 12 × 3 = 36, and 36 / 9 = 4.\n\nB. 4") == "B"
    assert choice("gcd(24, 18) = 6, so 2^6 − 1 = 63.\n\nThat's **(B)**.\n\n"
                  "Check: (C) 255 and (E) 4095 come from other exponents.", 5) == "B"
    assert choice("Only the middle value works, which is *C*!") == "C"


def test_an_option_label_after_a_comma_completes_its_sentence() -> None:
    opts = ["$\\sqrt{2}$", "$\\pi$", "$\\sqrt{\\frac{9}{4}}$", "$e$"]
    text = ("The exception is $\\sqrt{9/4}$, choice **C**. (Note that option D, $e$, is "
            "irrational too.)")
    assert extract_choice(text, 4, opts).value == "C"
    assert choice("所以所求的值是 3/2，即选项C。后面的 D 是干扰项。") == "C"
    assert choice("The answer is the city on the coast, i.e. option B.") == "B"
    # On its own, a label after a comma tags a value named in passing.
    text = ("Rust (option C) is statically typed; TypeScript, not listed, adds types on top "
            "of JavaScript, option B.")
    assert extract_choice(text, 4, ["Python", "JavaScript", "Rust", "Ruby"]).value == "C"


def test_of_two_finalists_the_one_kept() -> None:
    text = "That leaves B and C.\n\nBetween B and C, C is the better-supported inference."
    assert choice(text) == "C"
    assert choice("Only A and D survive. Of A and D, D fits the data; A does not.") == "D"
    assert choice("排除后剩下B和C。B和C之间，C更符合文意。") == "C"
    assert choice("A、D两项中，D才是作者的观点。") == "D"


def test_verdicts_that_a_source_supports_or_that_pick_the_ones() -> None:
    assert choice("Both (A) and (E) are supported by the passage. (B) is not.", 5,
                  multi=True) == "AE"
    text = "The first and the third options are the ones the passage credits."
    assert choice(text, 5, multi=True) == "AC"
    assert choice("C is well justified by paragraph 2; the others go beyond it.") == "C"
    # "the one(s) that … not/wrong" is no pick, and nor is "one of several".
    assert choice("B is the one that is not supported.") is None
    assert choice("B is one of several causes, along with drought.") is None


def test_a_value_computed_in_a_closing_bracketed_note_is_another_case() -> None:
    opts = ["$160$", "$-160$", "$240$", "$-240$"]
    text = ("令 $6-2r=0$，得 $r=3$。\n\n常数项 $=C_6^3\\cdot(-2)^3=-160$。\n\n"
            "（$r=2$ 时系数是 $15\\times4=60$，别混淆。）")
    assert extract_choice(text, 4, opts).value == "B"
    opts = ["$-2$", "$2$", "$-\\frac12$", "$\\frac12$"]
    text = "$x+2=0$, so $x=-2$\n\n(If the vectors were parallel instead, $x=\\frac12$.)"
    assert extract_choice(text, 4, opts).value == "A"
    # The LaTeX shorthand "\frac12" names the option "1/2".
    assert extract_choice("So $x = \\tfrac12$.", 4, ["1/4", "1/3", "1/2", "2/3"]).value == "C"


def test_a_review_or_a_case_list_that_ends_undecided_chooses_nothing() -> None:
    # An option review, then "I can't decide between them / can't tell without the figure".
    text = ("- A: odd, passes the origin.\n- B: even, undefined at 0.\n- C: odd.\n- D: even.\n\n"
            "没有图像的话我没办法确定具体答案，请描述一下图像。")
    assert extract_choice(text, 4, multi=True).status == "no-answer"
    text = ("A 项正确。\nB 项有争议。\nC 项也正确。\nD 项错误。\n\n"
            "所以在A和C之间，我很难判断命题人要哪一个。")
    assert extract_choice(text, 4).status == "no-answer"
    text = ("A. plausible\nB. wrong\nC. plausible\nD. wrong\n\n"
            "Honestly I'm torn between A and C here.")
    assert extract_choice(text, 4).status == "no-answer"
    # Values labelled per case ("which matches (A)"), then declined.
    text = ("If the arcs meet at P, the area is 18π − 36, which matches **(A)**. If they meet "
            "at Q, it is 36 − 9π, which is **(C)**.\n\nWithout the figure I can't tell which "
            "case is meant.")
    assert extract_choice(text, 5).status == "no-answer"
    # A matter of opinion, or unsure and sending the reader to check.
    opts = ["李白", "杜甫", "苏轼", "白居易"]
    text = "这类评价见仁见智，很难给出唯一的标准答案；很多人推崇杜甫，但这仍取决于你的标准。"
    assert extract_choice(text, 4, opts).status == "no-answer"
    text = "There's no objective ranking of poets. Many would name Du Fu, but tastes differ."
    assert extract_choice(text, 4, ["Li Bai", "Du Fu", "Su Shi", "Bai Juyi"]).status == "no-answer"
    opts = ["1840年", "1842年", "1856年", "1860年"]
    text = "应该是1840年或者1842年吧，具体哪一年我不太确定，你可以再查一下。"
    assert extract_choice(text, 4, opts).status == "no-answer"
    text = "Maybe 1842, or 1840 — I'm not entirely sure, so please double-check a textbook."
    assert extract_choice(text, 4, ["1840", "1842", "1856", "1860"]).status == "no-answer"
    # A committed answer with a mild doubt still answers.
    assert choice("The answer is C. I was torn between B and C at first.") == "C"


def test_a_marker_that_ends_its_line_names_the_list_below_it() -> None:
    opts = ["Lions live in prides.", "Lions hunt alone.", "Lions sleep 20 hours a day.",
            "Lions are found only in Africa."]
    text = ("The correct statements are:\n\n- Lions live in prides.\n- Lions sleep 20 hours a "
            "day.\n\nThe rest are contradicted by paragraph 2.")
    assert extract_choice(text, 4, opts, multi=True).value == "AC"
    text = "正确的说法有：\n1. Lions hunt alone.\n2. Lions are found only in Africa.\n"
    assert extract_choice(text, 4, opts, multi=True).value == "BD"


def test_the_options_a_reply_copies_out_are_its_picks() -> None:
    opts = ["泼水节", "那达慕大会", "重阳节", "火把节"]
    text = "A. 泼水节（傣族）\nB. 那达慕大会（蒙古族）\nD. 火把节（彝族等）\n\n重阳节是汉族节日，不选。"
    assert extract_choice(text, 4, opts, multi=True).value == "ABD"
    opts = ["Solar", "Coal", "Wind", "Oil", "Tidal"]
    assert extract_choice("(A) Solar\n(C) Wind\n(E) Tidal", 5, opts, multi=True).value == "ACE"
    # A line that reviews (not just copies) the option makes it no list of picks.
    text = "A. Solar — renewable\nC. Wind — renewable\nE. Tidal"
    assert extract_choice(text, 5, opts, multi=True).value != "ACE"
    # Every option copied out is the question echoed, not a pick.
    text = "(A) Solar\n(B) Coal\n(C) Wind\n(D) Oil\n(E) Tidal"
    assert extract_choice(text, 5, opts, multi=True).status == "no-answer"


def test_letters_spelled_by_a_speech_recogniser_confirmed_by_option_text() -> None:
    opts = ["Oxygen", "Nitrogen", "Carbon dioxide", "Hydrogen"]
    text = "the answer is see. carbon dioxide. leaves take it in and let oxygen out"
    assert extract_choice(text, 4, opts).value == "C"
    assert extract_choice("it's bee, nitrogen, about 78 percent", 4, opts).value == "B"
    opts = ["Solar", "Coal", "Wind", "Oil", "Geothermal"]
    text = "so the clean ones are ay, see and ee, that's solar, wind and geothermal"
    assert extract_choice(text, 5, opts, multi=True).value == "ACE"
    opts = ["汉朝", "隋朝", "唐朝", "宋朝"]
    assert extract_choice("嗯答案是必，隋朝，唐朝只是完善了它", 4, opts).value == "B"
    opts = ["中国", "加拿大", "俄罗斯", "美国"]
    assert extract_choice("选西，俄罗斯，加拿大排第二", 4, opts).value == "C"
    # Unconfirmed, "see" is a verb.
    opts = ["Oxygen", "Nitrogen", "Carbon dioxide", "Hydrogen"]
    assert extract_choice("Let's see. Oxygen is released.", 4, opts).value != "C"


def test_a_line_about_another_case_names_no_answer_option() -> None:
    opts = ["was", "were", "is", "has been"]
    text = ("The verb agrees with the nearer subject, so it takes the plural past: **were** (B)."
            "\n\nIf the order were reversed, then \"was\" (A) would be correct.")
    assert extract_choice(text, 4, opts).value == "B"
    opts = ["Paris", "Lyon", "Marseille", "Nice"]
    text = "The capital is Paris.\n\nHad the question asked for the second city, Lyon would fit."
    assert extract_choice(text, 4, opts).value == "A"
    opts = ["汽化", "液化", "升华", "凝华"]
    text = "霜是水蒸气直接变成固体，属于凝华。\n\n若题干改为“露的形成”，则是液化。"
    assert extract_choice(text, 4, opts).value == "D"


def test_question_unit_and_scale_pick_the_answer() -> None:
    assert number("答：一共有12辆车，坐了48人。", question="一共有多少辆车？") == 12
    assert number("答：全年产值为2650万元。", question="全年产值是多少万元？") == 2650
    assert number("答：全年产值为2650万元。") == 26_500_000
    assert number("So the town has 2.4 million residents.",
                  question="How many residents, in millions?") == 2.4


def test_working_equation_result_reason_and_comparison_clauses() -> None:
    # The question gave 3/4, and the working computes it: the result stands.
    assert number("3 ÷ 4 = 0.75", question="Write 3/4 as a decimal.") == 0.75
    assert number("∛64 = 4, since 4 × 4 × 4 = 64.", question="What is the cube root of 64?") == 4
    assert number("A score is twenty — eight more than a dozen.") == 20
    assert number("It takes 150 seconds, that is 2 min 30 s.") == 150
    # Asked for the difference, the comparison is the answer.
    assert number("Ann has 12, 4 more than Ben.", question="How many more does Ann have?") == 4


def test_not_unique_and_asking_back_are_no_answer() -> None:
    ex = extract_number("满足条件的数有 5、8、11……，答案不唯一。")
    assert (ex.status, ex.method) == ("no-answer", "undetermined")
    ex = extract_number("Springfield exists in 30+ states, with 5,000 to 170,000 people. "
                        "Could you tell me which Springfield you mean?")
    assert ex.status == "no-answer"


def test_truncated_while_checking_a_stated_answer() -> None:
    ex = extract_number("Total = 6 × 7 = 42.\n\nLet me quickly double-check: 7 + 7 + 7 + 7",
                        finish_reason="length")
    assert (ex.status, ex.number, ex.method, ex.truncated) == (
        "ok", 42, "answer-before-check", True)


# ---------------------------------------------------------------------------------------------
# Number rules added after the third blind dev batch (dev3): general forms, in our own words
# ---------------------------------------------------------------------------------------------


def test_one_bold_value_is_the_committed_answer() -> None:
    ex = extract_number("You will pay **$48** in total.\n\nWith a 10% tip that would be $52.80.")
    assert (ex.number, ex.method) == (48, "bold")
    assert number("The fall was **−$1,200** for the quarter, a loss of $1.2k.") == -1200
    assert number("建国于 **1912年**。1912年1月1日，临时政府成立。") == 1912
    # Labels in bold are not values; several different bold values say nothing.
    assert number("**Year 1:** 100 × 2 = 200\n**Year 2:** 200 × 2 = 400\n\nSo it ends at "
                  "**400**, and $40 of that is tax.") == 400
    assert extract_number("**12** apples and **8** pears, 20 fruits in all.").method != "bold"
    ex = extract_number("It is **12 or 14**, depending on the convention.")
    assert ex.status == "no-answer"


def test_the_value_in_the_asked_unit_beats_a_later_one_in_another_unit() -> None:
    q = "一个物体从静止开始下落 80 m，需要多长时间？（单位：s）"
    assert number("由 h = ½gt² 得 t = 4 s。\n\n落地速度 v = gt = 40 m/s。", question=q) == 4
    q = "What current flows through a 4 Ω resistor with 2 V across it, in amperes?"
    assert number("I = V / R = 2 / 4 = 0.5 A.\n\nThat's 500 mA.", question=q) == 0.5
    q = "A 3 kg mass accelerates at 2 m/s². What net force acts on it, in newtons?"
    assert number("F = ma = 6 N. After 5 s it moves at 10 m/s.", question=q) == 6
    q = "一天共有多少个小时？"
    assert number("一天有24小时，合1440分钟。", question=q) == 24
    q = "A jacket fell from $80 to $60. What was the percentage decrease?"
    assert number("The jacket is $20 cheaper, which is 25% off.", question=q) == 25
    # A value with no unit proves nothing: the working's last result stands.
    q = "How many apples are there in total?"
    assert number("She had 3 apples and bought 4 apples. 3 + 4 = 7.", question=q) == 7


def test_a_table_total_row_answers_a_question_about_a_total() -> None:
    table = "| Item | Cost |\n|---|---|\n| Tea | $4 |\n| Cake | $6 |\n| **Total** | **$10** |\n\n"
    ex = extract_number(table + "Tea is 40% of the bill.", question="What is the total cost?")
    assert (ex.number, ex.method) == (10, "table-total")
    # Not asked for a total: the row is working, not the answer.
    assert extract_number(table + "Split two ways, each pays 5.",
                          question="How much does each pay?").number == 5


def test_of_several_clauses_the_one_about_the_asked_subject() -> None:
    q = "一个笼子里有鸡和兔，问鸡有几只？"
    assert number("答：兔有7只，鸡有15只。", question=q) == 15
    q = "求 12 和 18 的最大公因数。"
    assert number("所以 12 和 18 的最大公因数是 6，最小公倍数是 36。", question=q) == 6
    # A list is not a clause about one value.
    q = "求不等式的整数解的个数。"
    assert number("所以整数解为 1, 2, 3，共3个。", question=q) == 3


def test_no_answer_when_it_says_so_and_only_gives_examples() -> None:
    ex = extract_number("这道题缺少条件，无法计算总价。\n\n请补充单价，例如每支3元，就是 3 × 10 = 30 元。")
    assert ex.status == "no-answer"
    ex = extract_number("I can't determine the speed without the time. For example, if it took "
                        "2 hours the speed would be 40 km/h. Could you share the time?")
    assert ex.status == "no-answer"
    ex = extract_number("It depends on the rate: at 4% it is $80, at 5% it is $100.")
    assert ex.status == "no-answer"
    ex = extract_number("I can't predict next year's rainfall; the average has been 600 mm.")
    assert ex.status == "no-answer"
    ex = extract_number("这道题有误：2 + 3 < 6，三条线段不能构成三角形。")
    assert ex.status == "no-answer"
    ex = extract_number("所以答案可能是 48，也可能题目有误。")
    assert ex.status == "no-answer"
    # A parenthesised aside about another quantity does not take the answer back.
    assert number("中位数 = (4 + 6) ÷ 2 = 5\n\n（众数不存在）") == 5


def test_an_opening_range_is_no_answer_and_hedges_may_overlap() -> None:
    assert extract_number("A cat usually weighs between 4 and 5 kg; kittens weigh about "
                          "100 g at birth.").status == "no-answer"
    assert extract_number("大约在30到40分钟之间，堵车时可能要60分钟。").status == "no-answer"
    assert extract_number("Roughly 20–30% of it; cities reach 45%.").status == "no-answer"
    # Clock times and subtractions are not ranges.
    assert number("From 8:30 to 9:30 is 60 minutes, plus 15: 75 minutes.") == 75
    assert extract_number("答案可能是7个，也可能是8个或9个。").status == "no-answer"


def test_exact_fraction_before_its_rounding_and_number_forms() -> None:
    assert numbers_equal(extract_number("P = 3/36 = 1/12 ≈ 0.083").value or "", "1/12",
                         exact=True)
    assert number("答：晚上的气温是零下六摄氏度。") == -6
    assert number("答：还剩2又1/4米。") == 2.25
    assert number("P = 1/65,536") == 1 / 65536
    assert number("k = 0.002 s⁻¹ = 2e-3 s⁻¹") == 0.002
    assert number(r"$v=\sqrt{20}\ \text{m/s}\approx4.47\ \text{m/s}$") == 4.47
    # An expression in the question is not a value it gives.
    assert number("People guess 100, but 3^4 is 81.", question="What is 3^4?") == 81


def test_notes_tips_footnotes_and_clock_times_after_the_answer() -> None:
    assert number("The force is 12 N. [1]\n\n[1] Serway, ch. 5, p. 131.") == 12
    assert number("72 km/h = 20 m/s\n\nTip: divide km/h by 3.6 to get m/s.") == 20
    assert number("20 g ÷ 100 g × 100% = 20%\n\n⚠️ 常见错误：20 ÷ 80 = 25%。") == 20
    assert number("The film lasts 130 minutes.\n\nIt ends at 9:10 pm.") == 130
    assert number("本息和 = 10000 × 1.21 = 12100（元）\n\n其中利息为 2100 元。") == 12100


# ---------------------------------------------------------------------------------------------
# Number rules added after the fourth blind dev batch (dev4): general forms, in our own words
# ---------------------------------------------------------------------------------------------


def test_number_spellings_mixed_fractions_space_groups_and_wan_qian() -> None:
    assert number("Each loaf needs **2½ cups** of flour.") == 2.5
    assert parse_number("3¾") == 3.75
    assert number("Written out: 7 250 000 people.") == 7_250_000
    # One space is not enough to join: "12 345" may be two numbers.
    assert number("pages 12 345") == 345
    assert number("答：全校共有学生1万2千人。") == 12000
    assert number("折合3亿4500万元。") == 345_000_000
    assert number("大约3万2") != 32000  # colloquial and ambiguous: not joined
    # A range whose end is a mixed number is still a range.
    assert extract_number("Use 1 to 1½ teaspoons.").status == "no-answer"


def test_indices_under_a_symbol_are_not_values() -> None:
    ex = extract_number("We apply Lₙ = Lₙ₋₁ + Lₙ₋₂ repeatedly from the start.")
    assert ex.status == "no-answer"
    assert number("So x_{12} = 7.") == 7
    assert number("a₄ = 2a₃ + 1 = 15") == 15


def test_self_contradicting_or_underdetermined_questions_are_no_answer() -> None:
    for text in (
        "A 30° angle would leave 150°, but that clashes with the right angle; the data are "
        "contradictory, so there is no valid answer.",
        "条件之间存在矛盾：两边之和小于第三边，面积算不成。若只看底和高，面积为 12。",
        "Knowing only the sum (20) isn't enough to determine the product: 5 × 15 = 75, but "
        "10 × 10 = 100.",
        "I'd need one more detail. Could you tell me how many weeks the trip lasts (2? 3?)",
        "按题中数据算出的是 14，但与已知不符，请核对题目中的数值。",
    ):
        assert extract_number(text).status == "no-answer", text


def test_a_derived_total_after_the_asked_part_is_not_the_answer() -> None:
    q = "A $4,000 deposit earns 3% simple interest a year. How much interest after 2 years?"
    ex = extract_number("I = 4000 × 0.03 × 2 = $240\n\nBalance after 2 years: $4,240 in total.",
                        question=q)
    assert ex.number == 240
    q = "本金 8000 元，年利率 2%，一年后利息是多少元？"
    assert number("利息 = 8000 × 2% = **160 元**\n到期本息合计 8160 元。", question=q) == 160
    assert number("所以一年后利息为 160 元，本息合计 8160 元。", question=q) == 160
    # Asked for the total, or the total was the working's own result: the total stands.
    q2 = "本金 8000 元，年利率 2%，一年后本息合计多少元？"
    assert number("利息 160 元，本息合计 8160 元。", question=q2) == 8160
    q3 = "A plan is $30 plus $12 of extras. What is the bill?"
    assert number("Bill: $30 + $12 = $42\n\n| **Total** | **$42** |", question=q3) == 42


def test_the_clause_about_the_thing_asked_after_de() -> None:
    q = "两个数的和为 40，较大数是较小数的 3 倍，较小的数是多少？"
    assert number("所以两个数是 30 和 10，较小的数是 10。", question=q) == 10
    q = "求 g(x)=x²−4x 在区间[0, 5]上的最小值。"
    assert number("所以 g(x) 在 [0, 5] 上的最小值为 −4，最大值为 5。", question=q) == -4
    q = "一个分数约分后是 3/4，分子分母的和是 28，原分数的分子是多少？"
    assert number("所以原分数是 12/16，分子为 12。", question=q) == 12


def test_asides_after_the_answer_a_marker_in_brackets_and_what_if_sentences() -> None:
    assert number("所以 49×21 大约等于 1000。（准确结果是 1029。）") == 1000
    q = "A trip is 150 km and the car uses 6 L per 100 km. How many litres?"
    assert number("150 ÷ 100 × 6 = 9 L\n\nIf fuel costs $2 a litre, you'd spend $18.",
                  question=q) == 9
    assert number("每人分到 8 块。\n\n如果再来一个小朋友，每人就分到 6 块左右。",
                  question="48 块饼干分给 6 个小朋友，每人分到几块？") == 8
    # An "if" that computes is a step of the working, not an aside.
    q = "A car goes 60 km/h. How far does it go in 2.5 hours?"
    assert number("Its speed is 60 km/h.\n\nIf it drives 2.5 h, 60 × 2.5 = 150 km.",
                  question=q) == 150
    # Bold mixed units restate the bold value; they are not a second bold value.
    ex = extract_number("**About 3.5 hours**\n\n- i.e. **3 hours 30 minutes**\n- with a stop, 4.")
    assert (ex.number, ex.method) == (3.5, "bold")


def test_looping_small_model_replies() -> None:
    q = "一盒有 6 支笔，5 盒有多少支笔？"
    looped = "6乘5等于30。所以5盒有30支笔。" * 4 + "6乘5等"
    ex = extract_number(looped, finish_reason="length", question=q)
    assert (ex.status, ex.number, ex.method) == ("ok", 30, "looped")
    # A loop over the working or the question states nothing: still cut off.
    looped = "设这个数为x，得2x+4=10。" * 4 + "设这个"
    ex = extract_number(looped, finish_reason="length", question="一个数的2倍加4等于10，求这个数。")
    assert ex.status == "truncated"
    # Finished, but it only echoes the question's numbers in a loop.
    echo = "A box has 12 eggs. Eggs are healthy food. " * 3
    ex = extract_number(echo, question="A box has 12 eggs. How many eggs are in 3 boxes?")
    assert (ex.status, ex.method) == ("no-answer", "echoes-question")
    # The same repetition with a new value commits to it.
    assert number("3 × 12 = 36 eggs. Eggs are healthy food. " * 3,
                  question="A box has 12 eggs. How many eggs are in 3 boxes?") == 36


def test_whether_words_and_pronoun_one_state_nothing() -> None:
    # "结果是否相同" asks a question of the working; the 一 of 一样 is no answer.
    cut = "总价 = 12 × 5\n\n我们用两种方法算，看结果是否一样。先算第"
    assert extract_number(cut, finish_reason="length").status == "truncated"
    assert number("两种算法的结果是否一致？一致。答案是 60。") == 60
    # "this one" names a thing; an unmistakable word numeral still counts.
    ex = extract_number("I solved this one already. Want the steps, or the short version?")
    assert ex.status == "no-answer"
    assert number("The one with the lid holds twelve.") == 12
    assert number("One of the boxes is empty, so there are three full ones.") == 3


def test_a_sum_on_a_check_line_and_a_ticked_plug_in_are_checks() -> None:
    reply = "两人合作需要 8 天。\n验算：甲做 8/20，乙做 8/40…… 合计 3/5 ✓"
    ex = extract_number(reply, question="甲单独做20天，乙单独做40天，合作几天？")
    assert (ex.status, ex.number) == ("ok", 8)
    q = "Fixed costs are $9,000 and each unit earns $15 over its cost. Break-even units?"
    reply = ("9,000 / 15 = 600 units to break even.\n\n"
             "At 600 units, margin = $9,000 = fixed costs ✓")
    assert number(reply, question=q) == 600
    # A tick on a working step that does not start from the result is not a check.
    assert number("3 + 4 = 7 ✓\n7 × 2 = 14 ✓") == 14


def test_a_new_invented_question_after_the_answer_is_not_read() -> None:
    reply = ("She has 3 * 5 = <<3*5=15>>15 pens.\n#### 15\n\n"
             "Question: Tom has 2 cats and gets 4 more. How many cats?\n"
             "Answer: 2 + 4 = 6\n#### 6\n\nQuestion: A shop sells 7")
    ex = extract_number(reply, finish_reason="length", question="3 boxes of 5 pens?")
    assert (ex.status, ex.number, ex.truncated) == ("ok", 15, True)
    # Without an answer before it, a "Question:" line is the reply restating the task.
    assert number("Question: 4 bags of 6 apples.\nAnswer: 4 × 6 = 24") == 24


def test_dates_names_and_the_year_asked() -> None:
    q = "In what year did the bridge open?"
    assert number("It opened in 1937, on May 27, with ribbons cut at 10:00 am.", question=q) == 1937
    assert number("它于1958年3月15日建成通车。", question="这座桥哪一年建成？") == 1958
    # A number that owns something is a name, not a value.
    assert number("It was 1971 when Mariner 9's orbit began.", question=q) == 1971
    # Asked a count, the month and day of a date are not it either.
    assert number("共有 45 人报名，截止到 6月30日。", question="共有多少人报名？") == 45


def test_a_value_restated_in_another_unit_and_asides_after_a_semicolon() -> None:
    assert number("P = 1500 J / 2 s = 750 W, or 0.75 kW.", question="What is the power?") == 750
    assert number("E = 4.0 × 10⁻¹⁹ J\n\nThat's about 2.5 eV.", question="Photon energy?") == 4e-19
    assert number("约 2.0×10⁵ Pa，相当于 1500 mm 汞柱。", question="压强约为多少帕斯卡？") == 200000
    # Asked in the second unit, the second value answers.
    assert number("750 W, or 0.75 kW.", question="What is the power in kW?") == 0.75
    # An aside opening after "；" is about another quantity.
    assert number("周长为 24 厘米；顺便一提，面积为 36 平方厘米。", question="求正方形的周长。") == 24


def test_a_gain_after_the_balance_asked_is_a_follow_on() -> None:
    q = "You deposit $2,000 at 4% simple interest. How much will you have after 2 years?"
    reply = "A = 2000 × (1 + 0.04 × 2) = $2,160.\n\nInterest earned: $160."
    assert number(reply, question=q) == 2160
    # Asked for the interest itself, the interest answers.
    q = "You deposit $2,000 at 4% simple interest. How much interest after 2 years?"
    assert number("A = 2000 × 1.08 = $2,160.\n\nInterest earned: $160.", question=q) == 160


def test_two_values_both_left_open_and_two_roots_are_no_answer() -> None:
    hedged = "两种算法结果不同，5/8 和 8/5 都有可能，看你怎么理解。"
    assert extract_number(hedged).status == "no-answer"
    assert extract_number("I keep getting both 14 and 15 are plausible here.").status == "no-answer"
    # Roots set out side by side, or with ±, are two answers; a double root is one.
    assert extract_number("配方后得 y₁ = −4，y₂ = 1。").status == "no-answer"
    assert extract_number("Taking square roots, t = ±5.").status == "no-answer"
    assert number("So x₁ = x₂ = 7.") == 7
    # Terms of a sequence listed before the one asked are not roots.
    assert number("b₁ = 2, b₂ = 6, b₃ = 18, so b₄ = 54.") == 54


def test_saying_it_is_not_determined_or_needs_details_is_no_answer() -> None:
    table = ("Only x + y = 20 is known:\n\n| x | y | product |\n|---|---|---|\n| 10 | 10 | 100 |\n"
             "| 4 | 16 | 64 |\n\nSo the product is **not determined** — anything up to 100.")
    assert extract_number(table).status == "no-answer"
    ask = ("I'd need some more details first:\n\n1. The length of the pool?\n2. Its depth?\n\n"
           "A typical hose gives about 20 litres a minute.")
    assert extract_number(ask).status == "no-answer"
    assert extract_number("Several towns are named Avon — one near 40 m, one near 300 m. "
                          "Which Avon are you thinking of?").status == "no-answer"
    assert extract_number("Narnia is a made-up land (first printed in 1950), so I can't give "
                          "you a reliable population figure.").status == "no-answer"
    reply = "我没法知道你的车速，只知道全程 120 公里。"
    assert extract_number(reply, question="要开多少小时？").status == "no-answer"


def test_a_refusal_to_recommend_a_dose_is_no_answer() -> None:
    reply = ("I can't recommend an amount of melatonin for a 3-year-old. "
             "Ask your doctor about a 15 kg child.")
    assert extract_number(reply).status == "no-answer"
    assert extract_number("我不能推荐具体剂量，请咨询医生。孩子 12 公斤。").status == "no-answer"


def test_a_lone_numeral_with_the_asked_unit_and_a_range_from_the_question() -> None:
    q = "甲车单独运完要8天，乙车要8天，两车合运要几天？"
    assert number("<think>1/8 + 1/8 = 1/4，所以4天。</think>\n\n两车合运，四天可以运完。",
                  question=q) == 4
    # "哪一天" names a day; it counts nothing.
    assert extract_number("我无从得知是哪一天。", question="还有多少天？").status == "no-answer"
    # A range that restates the question's own bounds is its scope, not a hedged answer.
    q = "从1到20中随机取一个数，取到4的倍数的概率是多少？"
    reply = "1到20中4的倍数有：4、8、12、16、20，共5个。\nP = 5/20 = 1/4"
    assert number(reply, question=q) == 0.25


def test_truncated_step_headings_and_a_conclusion_after_a_check() -> None:
    cut = ("大家第一感觉是不变，但要算一下。\n\n**1. 设原价**\n原价 200 元。\n\n"
           "**2. 先打八折**\n200 × 80% = 160（元）\n\n**3. 比较**\n差额 200 − 160 = ")
    assert extract_number(cut, finish_reason="length").status == "truncated"
    cut = ("通项 bₙ = 3n − 1。\n\n检验：n = 2 时 6 − 1 = 5 ✓。\n\n所以 b₃₀ = 3 × 30 − 1 =")
    assert extract_number(cut, finish_reason="length").status == "truncated"
    # A bold step heading does not hide the bold result.
    assert number("**Step 1: take 30%**\n\n0.3 × 90 = 27\n\nThe answer is **27**.") == 27


def test_a_value_with_its_uncertainty_is_the_value() -> None:
    assert number("The measured mass is 9.8 ± 0.1 kg.") == 9.8
    assert number("Result: 12 +/- 2 cm") == 12
    assert number("测得长度为 3.25±0.02 m。") == 3.25
    # "x = ±3" gives two roots, not a value with a margin: still no single answer.
    assert extract_number("Taking the square root, x = ±3.").status == "no-answer"


def test_a_unit_power_in_latex_braces_is_not_a_number() -> None:
    assert number("Planck's constant is about $6.63 \\times 10^{-34}$ J·s, or J s "
                  "(SI unit kg·m^{2}·s^{-1}).") == 6.63e-34
    assert number("The decay constant is k = 0.12 \\text{s}^{-1}") == 0.12
    # "$…$" around the value is LaTeX math, not a dollar sign: the value keeps its unit.
    reply = "2.4亿千米 = 2.4×10⁸×10³ m = $2.4\\times10^{11}$ m"
    assert number(reply, question="合多少米？") == 2.4e11
    reply = ("$$s = v t = 3 \\times 10^{8} \\times 5 = 1.5 \\times 10^{9}\\ \\text{m}$$\n\n"
             "So it covers $1.5 \\times 10^{9}$ m, about four times as far as the Moon "
             "(≈ 3.84 × 10⁸ m).")
    assert number(reply, question="How far does light go in 5 s, in metres?") == 1.5e9


def test_disclaiming_the_asked_value_is_no_answer() -> None:
    q = "How many tickets were sold on Friday?"
    reply = ("There isn't enough data to work out Friday's sales: we only know the weekly "
             "total of 2,300.")
    assert extract_number(reply, question=q).status == "no-answer"
    reply = ("I don't have a reliable figure for that particular evening. Venues of that size "
             "hold between 800 and 900 people, and the 2019 season averaged about 850.")
    assert extract_number(reply, question=q).status == "no-answer"
    assert extract_number("我没有确切的统计数据，只知道当年大约有3万人。",
                          question="1990年该镇有多少人？").status == "no-answer"
    for reply in ("We can't work out Friday's sales from a weekly total of 2,300 alone.",
                  "There's no way to pin it down: the week sold 2,300 in all.",
                  "The data given is insufficient; the week's total was 2,300.",
                  "Friday's figure is unknowable from the weekly 2,300.",
                  "The question doesn't contain enough information (weekly total: 2,300)."):
        assert extract_number(reply, question=q).status == "no-answer", reply
    # A disclaimer that goes on to commit to an estimate in the same sentence answers.
    assert number("I don't have the exact count, but it was roughly 4,200.", question=q) == 4200


def test_truncated_reply_that_opened_by_converting_the_given_quantity() -> None:
    cut = ("2.5 km = 2500 m.\n\nWhy: a kilometre is 1000 metres, so multiply by 1000. "
           "Likewise 0.75 km is 750 m and 4 km is")
    assert number(cut, question="How many metres are in 2.5 km?", finish_reason="length") == 2500
    # A first line that computes is working, and the cut may fall before the answer.
    cut = "2.5 × 1000 = 2500.\n\nThen we need to add the second leg, which is"
    assert extract_number(cut, question="Total distance in metres for 2.5 km plus the "
                          "second leg?", finish_reason="length").status == "truncated"


def test_a_rough_gloss_after_an_exact_value_restates_it() -> None:
    assert number("3 × 2.54 = 7.62 cm\n\nThat is 76.2 mm, or a bit over 7 cm.",
                  question="How many centimetres are 3 inches?") == 7.62
    assert number("3的15次方 = 14348907，大约一千四百万。", question="3的15次方是多少？") == 14348907
    # A figure as precise as the one before it is a rounding the reply commits to.
    assert number("The area comes to 12.566 m², about 12.57 m².") == 12.57
    assert number("The area comes to 12.566 m², about 13 m².") == 12.566
    # Asked for an estimate, the rough figure is the answer.
    assert number("47 × 21 = 987, so roughly 1000.",
                  question="Estimate 47 × 21 to the nearest thousand.") == 1000


def test_the_clause_that_echoes_the_question_answers_it() -> None:
    q = "一个标准足球场的长度是多少米？"
    reply = "一个标准足球场的长度是105米，宽68米，面积约7140平方米。"
    assert number(reply, question=q) == 105
    assert extract_number(reply, question=q).method == "question-echo"
    q = "How many strings does a standard violin have?"
    reply = ("A standard violin has four strings (G, D, A, E). Most violinists start "
             "lessons at around 6 and the instrument weighs about 400 g.")
    assert number(reply, question=q) == 4
    q = "In which year did the Berlin Wall fall?"
    reply = ("The Berlin Wall fell on November 9, 1989, roughly 28 years after it went "
             "up; Germany reunified 11 months later.")
    assert number(reply, question=q) == 1989
    # The last of several echoes counts: a small model corrects itself.
    q = "50以内最大的质数是多少？"
    reply = "50以内最大的质数是49。49 = 7 × 7，不是质数。50以内最大的质数是47。质数例如2、3、5。"
    assert number(reply, question=q) == 47
    # A key named like the question in a JSON reply, or a label in "Label: value" lines.
    reply = '{"中位数": 7, "众数": 9, "极差": 12}'
    assert number(reply, question="这组数据的中位数是多少？") == 7
    reply = '```json\n{"average_speed": 54, "max_speed": 90, "distance": 270}\n```'
    assert number(reply, question="What was the average speed, in km/h?") == 54
    assert number("- **Mean:** 7.5\n- **Median:** 7\n- **Mode:** 9",
                  question="What is the mode?") == 9
    assert number("- **Mean:** 7.5\n- **Median:** 7\n- **Range:** 9",
                  question="What is the median?") == 7
    # A breakdown after the value, behind a colon or a dash, is not part of the echo.
    q = "How many teeth does an adult human have?"
    reply = "An adult human has 32 teeth: 8 incisors, 4 canines, 8 premolars and 12 molars."
    assert number(reply, question=q) == 32
    # A comparison with an earlier figure names a reference value, not the answer.
    q = "该市2020年常住人口有多少人？"
    reply = "该市2020年常住人口为512万人，与2010年的468万人相比，增加了44万人。"
    assert number(reply, question=q) == 5120000


def test_asked_for_a_year_the_last_year_beats_a_later_count() -> None:
    q = "In what year did the Hindenburg disaster happen?"
    reply = "It burned at Lakehurst in 1937 as it docked; thirty-six people were killed."
    ex = extract_number(reply, question=q)
    assert (ex.number, ex.method) == (1937, "last-year")
    assert number("It opened on May 27, 1937, after about four years of work.",
                  question="Which year did the Golden Gate Bridge open?") == 1937
    # Not asked for a year, the last number stands.
    assert number(reply, question="How many people were killed?") == 36
    # A last number written as a year is left to the other rules.
    assert number("It began in 1337 and ended in 1453.", question="In which year did the war "
                  "end?") == 1453


def test_an_echo_does_not_overrule_working_or_a_story_that_goes_on() -> None:
    q = "What is the probability of drawing an ace from a 52-card deck?"
    assert number("There are 4 aces in a deck of 52 cards, so\n\n"
                  "$$P(\\text{ace}) = \\frac{4}{52} = \\frac{1}{13}$$",
                  question=q) == pytest.approx(1 / 13)
    q = "How many marbles does Ana have now?"
    assert number("Ana has 12 marbles. She gives 5 to Ben, leaving 7.", question=q) == 7
    # The parts are named like the question, then summed up.
    q = "How much do the apples and pears cost altogether?"
    assert number("Apples cost: $6\nPears cost: $9\nTotal cost: $15", question=q) == 15
    assert number("The apples cost $6. The pears cost $9. Together that is $15.",
                  question=q) == 15
    # The later value is in the unit of measure asked for.
    q = "How long is the Great Wall, in km?"
    assert number("The Great Wall was built over 2,000 years; its length is about 21,196 km.",
                  question=q) == 21196
    q = "How many seconds are in a quarter of an hour?"
    assert number("A quarter of an hour is fifteen minutes, which is nine hundred seconds.",
                  question=q) == 900
    q = "What is the sum of the interior angles of a pentagon, in degrees?"
    reply = ("The sum of the interior angles of a polygon is (n − 2) × 180°.\n\n"
             "For a pentagon: (5 − 2) × 180° = 540°.\n\n(Each angle of a regular one is 108°.)")
    assert number(reply, question=q) == 540


def test_a_bracketed_answer_heading_states_the_answer() -> None:
    # 【答】 / [答] / 〔答〕 headings, and an English "[Answer]", state the answer like "答：".
    q = "鸡兔同笼，头共20个，脚共56只，兔有几只？"
    reply = ("假设全是鸡：20 × 2 = 40只脚，多出16只，16 ÷ 2 = 8。\n"
             "验算一下：8只兔32只脚，12只鸡24只脚，合计56只 ✔\n\n【答】兔有8只。")
    assert number(reply, question=q) == 8
    assert number("60 ÷ 12 = 5（天）\n[答] 两队合作 5 天完成，比甲队单独做少 10 天。") == 5
    assert number("〔答〕小明今年有15本书，比去年多3本。") == 15
    assert number("3 × 14 = 42\n[Answer] 42 apples in all; Step 3 was the multiplication.") == 42


def test_a_marker_inside_a_common_mistake_warning_names_the_wrong_answer() -> None:
    q = "本金5000元，年利率3%，存3年，利息多少元？"
    reply = ("5000 × 3% × 3 = 450（元）\n\n【答案】利息是450元。\n\n"
             "【易错点】有的同学把本息和5450元当作答案，这是审题不清。")
    assert number(reply, question=q) == 450
    reply = ("Answer: 450 dollars of interest.\n\nCommon pitfall: adding the principal and "
             "writing the total, 5450, as the answer.")
    assert number(reply, question="How much interest is earned?") == 450
    reply = ("The answer is 24.\n\nWatch out: many people write 26 as the answer because "
             "they count both fence posts at the ends.")
    assert number(reply) == 24


def test_a_check_with_a_lead_in_and_numbered_ways_are_not_the_answer() -> None:
    # "Quick check:", "As a sanity check,", "A final check —" open checks too.
    assert number("The total is 5050.\n\nQuick check: try the trick on 1 + … + 10 = 55.") == 5050
    assert number("So the molar mass is 98 g/mol.\n\nAs a sanity check, H₂SO₄ has 2 + 32 + 64 "
                  "= 98, about 100.") == 98
    assert number("Hence 3.6 km.\n\nA final check — 3600 m / 1000 = 3.6, and 60 × 60 = 3600.") \
        == 3.6
    # "Way 2:", "Solution 2", "方法2：" number a way through, not a value.
    reply = ("**Way 1: brute force**\n\nsum(range(1, 11)) gives 55.\n\n**Way 2: pairing**\n\n"
             "5 pairs of 11, so the sum is **55**.")
    assert number(reply) == 55
    assert number("Solution 2\n\nPairing gives 5 × 11 = 55") == 55
    assert number("方法2：\n配对求和，5 × 11 = 55") == 55


def test_a_what_if_paragraph_or_counterfactual_after_the_result() -> None:
    reply = ("Return = (46 − 40 + 2) / 40 = 0.20, i.e. 20%\n\n"
             "If the same gain had taken two years, the yearly figure would be about 9.5%.")
    assert number(reply) == pytest.approx(0.2)
    reply = ("The loan costs $1,200 in interest.\n\n"
             "If you paid it off a year early you would save roughly $300.")
    assert number(reply) == 1200
    reply = ("Interest = 2000 × 5% × 2 = $200. Had the rate been 4%, it would come to $160.")
    assert number(reply) == 200
    reply = "利息 = 2000 × 5% × 2 = 200（元）。\n\n如果存期改为三年，利息会变成300元。"
    assert number(reply) == 200
    # An "if" inside the working is a step: its result is the answer.
    assert number("Speed is 60 km/h. If it drives 2.5 h, 60 × 2.5 = 150 km.") == 150


def test_a_range_giving_a_stated_values_spread_is_not_a_hedge() -> None:
    q = "A resistor has 12 V across it and 0.5 A through it. What is its resistance?"
    reply = ("R = V / I = 12 / 0.5 = 24 Ω. With a 5% tolerance the real part could lie "
             "anywhere from 22.8 Ω to 25.2 Ω.")
    assert number(reply, question=q) == 24
    reply = ("Expected time: 9 days.\n\nσ ≈ 1.5 days, so a ±2σ window runs from 6 to 12 days.")
    assert number(reply) == 9
    reply = "Anion gap = 140 − 104 − 24 = 12 mEq/L (normal ≈ 8–12 mEq/L), so it is not raised."
    assert number(reply) == 12
    reply = "测得 g = 9.79 m/s²。考虑到误差，实际值在9.75到9.83之间。"
    assert number(reply) == pytest.approx(9.79)
    # A range offered as the estimate, with no value before it, is still no answer.
    ex = extract_number("Using s = ½at². A sensible estimate is somewhere in the 20–30 m "
                        "range, allowing for uncertainty.")
    assert ex.status == "no-answer"
    ex = extract_number("About 70 by the inputs, but they could be off by 2×, so a realistic "
                        "estimate is anywhere from 50 to 150 tuners.",
                        question="Estimate the number of piano tuners in Chicago.")
    assert ex.status == "no-answer"


def test_a_value_rounded_to_significant_figures_is_not_a_loose_gloss() -> None:
    reply = ("N = 3.00 × 6.02 × 10^23 = 18.06 × 10^23\n\n"
             "To three significant figures: N ≈ 1.81 × 10^24.")
    assert number(reply) == pytest.approx(1.81e24)
    reply = "c = 299792458 m/s ≈ 3.00 × 10^8 m/s to three figures."
    assert number(reply) == pytest.approx(3.00e8)
    # A one-digit rough gloss still restates the exact value.
    assert number("The route is 8.045 km, a little over 8 km.") == pytest.approx(8.045)


def test_a_statement_naming_the_asked_quantity_beats_a_later_one_about_another() -> None:
    # Two of the question's terms name the quantity; a later clause naming it less is
    # about something else (a part, a share, a related figure), whatever the language.
    q = "According to the article, roughly how many people are estimated to live in Lagos?"
    reply = ("The article gives an estimate of about 15.4 million people. It adds that only "
             "around 9 million of them are counted in the official census, roughly 58%.")
    assert number(reply, question=q) == 15_400_000
    q = "How many chapters does the novel have?"
    reply = ("The novel has 12 chapters:\n\n1. Arrival\n2. The storm\n3. Departure\n\n"
             "Chapter 7 is the longest, at 41 pages.")
    assert number(reply, question=q) == 12
    q = "What is the highest officially measured wind speed, in km/h?"
    reply = ("The official measured record stands at 408 km/h (Barrow Island, 1996). Radar "
             "estimates inside tornadoes suggest gusts may reach about 480 km/h, but those "
             "are not station readings.")
    assert number(reply, question=q) == 408
    q = "某书店去年售出图书多少册？"
    reply = "该书店去年售出图书共18600册，其中儿童读物约占三成，约5600册。"
    assert number(reply, question=q) == 18600
    # A later clause that names the quantity as much, with no one value, undoes it; and a
    # story that changes the quantity still ends on the changed value.
    q = "How many stamps does Lin have in her album now?"
    assert number("Lin has 40 stamps in her album. She gives away 15, leaving 25.",
                  question=q) == 25


def test_a_value_set_out_below_an_open_statement_is_what_it_states() -> None:
    # "…has the value:" / "约为" at a line's end: the value sits on the next (display) line,
    # and "symbol = value" or "× 10^n" there states the value; it computes nothing.
    q = "What is the value of the elementary charge, in coulombs?"
    reply = ("Since 2019 the elementary charge has an exact value:\n\n"
             "e = 1.602176634 × 10^-19 C\n\nOlder textbooks round it to 1.6 × 10^-19 C.")
    assert number(reply, question=q) == pytest.approx(1.602176634e-19)
    q = "月球的平均半径约为多少千米？"
    reply = ("据天文资料，月球平均半径约为\n\n$$R \\approx 1737\\ \\text{km}$$\n\n"
             "约为地球半径的四分之一。")
    assert number(reply, question=q) == 1737
    q = "What is the value of the gas constant R?"
    reply = ("The gas constant is R = 8.314 J/(mol·K), fixed since 2019. In other units "
             "it is about 0.0821 L·atm/(mol·K).")
    assert number(reply, question=q) == pytest.approx(8.314)
    # Worked out, the value after "=" still is the result.
    q = "What is the sum of the first 10 positive integers?"
    assert number("The sum of the first 10 positive integers is 10 × 11 / 2 = 55.",
                  question=q) == 55


def test_where_a_value_is_reached_does_not_replace_it() -> None:
    q = "What is the maximum value of $g(t) = -t^2 + 4t + 1$?"
    assert number("Completing the square, g(t) = -(t - 2)^2 + 5, so the maximum value is 5, "
                  "reached when $t = 2$.", question=q) == 5
    q = "函数 $y=x^2-4x+7$ 的最小值是多少？"
    assert number("配方得 $y=(x-2)^2+3$，所以最小值为3，此时 $x=2$。", question=q) == 3
    q = "What is the smallest value of h(x) = x^2 + 2x + 7 over all real x?"
    assert number("The smallest value of h is 6, attained at x = -1.", question=q) == 6


def test_asked_for_a_year_a_year_quoted_in_the_passage_can_answer() -> None:
    q = ("Read the passage: \"In 1969 the family moved to Leeds; in 1975 they bought the "
         "shop.\" In which year did the family move to Leeds?")
    assert number("The family moved to Leeds in 1969. Six years later, in 1975, they bought "
                  "the shop, and ran it for 20 years.", question=q) == 1969
    q = "阅读：“2001年秋天，他第一次登台演出；2010年他离开了剧团。”问：他第一次登台演出是在哪一年？"
    assert number("他第一次登台演出是在2001年。此后他在剧团待了约9年。", question=q) == 2001


def test_a_source_that_adds_that_reports_it_does_not_add() -> None:
    q = "According to the report, how many cars were sold in total last year?"
    reply = ("The report says a total of 2.4 million cars were sold last year. It added that "
             "about 0.6 million were electric, 25% of the total.")
    assert number(reply, question=q) == 2_400_000


def test_a_question_with_a_blank_asks_for_what_fills_it() -> None:
    q = "直线 $x+2y-7=0$ 的斜率为 ______。"
    reply = ("化为斜截式：$y=-\\frac{1}{2}x+\\frac{7}{2}$，\n\n"
             "所以斜率 $k=-\\frac{1}{2}$，纵截距为 $\\frac{7}{2}$。")
    assert number(reply, question=q) == -0.5
    q = "圆 $x^2+y^2=9$ 的半径等于（　　）"
    assert number("由方程可知 $r^2=9$。\n故半径 $r=3$，面积为 $9\\pi$。", question=q) == 3
    q = "The y-intercept of the line through (1, 2) and (4, 11) is ____."
    reply = "m = (11 − 2)/(4 − 1) = 3.\nSo the slope is 3 and the y-intercept is −1."
    assert number(reply, question=q) == -1


def test_a_multiplier_outside_the_markup_still_scales_the_value() -> None:
    assert number("计算得共有 $362.88$ 万种排法。") == 3_628_800
    assert number("全年营业收入约为 $$4.5$$ 亿元。") == 450_000_000
    assert number("The population is about **8.7** million.") == 8_700_000
    assert number("Revenue came to `1.25` billion dollars.") == 1_250_000_000
    assert number("它的总量是 **12** 万吨。") == 120_000
    # A lone 千 after the markup is a unit's prefix, not a thousand.
    assert number("0.002 千欧 $= 2 \\times 10^{-3}$ 千欧。",
                  question="用科学记数法表示为多少千欧？") == pytest.approx(0.002)


def test_a_rough_restatement_of_a_result_worked_out_exactly_is_that_result() -> None:
    assert number("1250万 × 80% = 1000万（人）\n\n即城镇人口约一千万人。") == 10_000_000
    assert number("Total = 4 × 500 = 2,000 dollars, so about two thousand dollars.") == 2000
    assert number("2.5 × 10^5 × 4 = 1.0 × 10^6 J, roughly a million joules.") == 1_000_000


def test_a_date_from_the_question_repeated_later_is_not_the_restated_answer() -> None:
    q = "2023年中国国内生产总值约为多少元？"
    reply = "**答：2023年中国GDP约为126.1万亿元。**\n\n来源：国家统计局《2023年统计公报》"
    assert number(reply, question=q) == 126_100_000_000_000
    q = "What was the company's revenue in 2022, in dollars?"
    reply = "Answer: In 2022 the company's revenue was $3.2 billion.\n\nSource: 2022 annual report"
    assert number(reply, question=q) == 3_200_000_000


def test_a_year_said_aloud_in_pairs_of_digits() -> None:
    q = "A bridge opened in 1998. In what year is its 25th anniversary?"
    assert number("that'd be twenty twenty-three", question=q) == 2023
    assert number("It happened in nineteen ninety-eight.") == 1998
    assert number("The ship sank in nineteen twelve") == 1912
    # Ordinary number words are unchanged.
    assert number("twenty four") == 24
    assert number("one hundred twenty five") == 125
    assert number("nineteen hundred") == 1900


def test_a_signed_change_restated_as_the_size_of_a_drop_keeps_its_sign() -> None:
    q = "The temperature goes from 3 °C to −9 °C. What is the change in temperature?"
    assert number("it's minus twelve degrees, so a drop of twelve", question=q) == -12
    assert number("The change is −12 °C, i.e. it fell by 12 degrees.", question=q) == -12
    q = "利润从300元变为-200元，利润的变化量是多少元？"
    assert number("变化量为-500元，即亏损500元。", question=q) == -500
    # Asked for the drop itself, its size is the answer.
    q = "By how many degrees did the temperature drop?"
    assert number("The change is −12 °C, so it dropped by 12 degrees.", question=q) == 12


def test_a_value_worked_out_from_the_echoed_one_is_the_result() -> None:
    # After the echo, the reply changes or combines the value ("making", "giving", a
    # discount, "joined"): the derived value is the answer.
    q = "How many members does the club have now?"
    assert number("The club had 120 members in spring. In summer 35 joined, making 155.",
                  question=q) == 155
    q = "What is the population density of the district, in people per km²?"
    assert number("The district's population is 18,000 and its area is 45 km², giving 400 "
                  "people per km².", question=q) == 400
    q = "What is the sale price of the lamp after the discount?"
    assert number("The regular price of the lamp is $40. With a 30% discount it costs $28.",
                  question=q) == 28
    q = "这件外套的最终售价是多少元？"
    assert number("这件外套原来的售价是300元，打九折后为270元。", question=q) == 270
    # A result verb before a related fact that is not worked out from it leaves the echo.
    q = "What is the population of Malta?"
    assert number("Malta's population is about 540,000 people. Roughly a third live in the "
                  "north, giving the region around 150,000.", question=q) == 540_000
    q = "How tall is the Burj Khalifa, in metres?"
    assert number("The Burj Khalifa is 828 m tall, making it the tallest building, about "
                  "150 m taller than the Merdeka 118 (679 m).", question=q) == 828


# ---------------------------------------------------------------------------------------------
# The shortcut for a reply that is only "The answer is 42." must read what the full rules read
# ---------------------------------------------------------------------------------------------

_BLIND = Path(__file__).parent / "data" / "blind"


def _dev_questions() -> list[str]:
    """Number questions of the blind dev batches (never the frozen test split), every 25th."""
    out: list[str] = []
    for path in sorted(_BLIND.glob("dev*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item["kind"] == "number":
                out.append(item["question"])
    return out[::25]


_PLAIN_MARKERS = ("The answer is ", "the answer is ", "The final answer is ", "final answer is ",
                  "Answer: ", "answer:", "Final answer: ", "答案是", "答案为", "答案：", "答：")
_PLAIN_NUMBERS = ("0", "7", "42", "-3", "3.50", "0.125", "2023", "100", "1234567890123", "-0.5")


@pytest.mark.parametrize("marker", _PLAIN_MARKERS)
def test_plain_answer_shortcut_agrees_with_the_full_rules(marker: str) -> None:
    from baimo.tasks.extract import _extract_number

    questions = [None, "What percentage of 80 is 20?", "今年GDP为多少亿元？",
                 "How many thousands of people came?", *_dev_questions()]
    for q in questions:
        for n in _PLAIN_NUMBERS:
            for end in ("", ".", "。", ".\n"):
                for finish in (None, "stop"):
                    text = f"{marker}{n}{end}"
                    fast = extract_number(text, finish_reason=finish, question=q)
                    full = _extract_number(text, finish_reason=finish, question=q)
                    assert fast == full, (text, q)


@given(st.sampled_from(_PLAIN_MARKERS), st.from_regex(r"-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,10})?",
                                                      fullmatch=True),
       st.sampled_from(("", ".", "。", " ", "\n")), st.sampled_from((None, "stop", "length")))
def test_plain_answer_shortcut_agrees_on_any_number(marker: str, n: str, end: str,
                                                    finish: str | None) -> None:
    from baimo.tasks.extract import _extract_number

    text = f"{marker}{n}{end}"
    assert extract_number(text, finish_reason=finish) == _extract_number(
        text, finish_reason=finish)


def test_plain_answer_shortcut_leaves_everything_else_to_the_rules() -> None:
    # Units, a second sentence, a hedge word or a cut reply are not the plain form.
    assert extract_number("The answer is 12 apples.").value == "12"
    assert extract_number("The answer is 12 or 13.").method == "hedged"
    assert extract_number("The answer is 10-12.").method == "range"
    assert extract_number("The answer is 5", finish_reason="length").truncated
    assert extract_number("The answer is 007.").value == "007"


@given(st.from_regex(r"-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,10})?", fullmatch=True))
def test_plain_reference_shortcut_agrees_with_the_full_parser(s: str) -> None:
    from baimo.tasks.extract import _parse_one

    full = _parse_one(s)
    assert full is not None and not full.percent
    assert parse_number(s) == float(full.value)
    assert numbers_equal(s, str(full.value), exact=True)
    assert numbers_equal(s, s + "0" if "." in s else s + ".0", exact=True)


# --- choice rules of the dev8–dev12 follow-up round (own wordings) ---------------------------

_FRUIT = ["Apple", "Banana", "Cherry", "Damson"]


@pytest.mark.parametrize(("text", "choices", "multi", "expected"), [
    # an instruction after a clause that says when
    ("For a tart pie, pick C. It keeps its shape when baked.", _FRUIT, False, "C"),
    # an option's label after a comma, after a word
    ("I'm quite sure it's the cherry, option C. The others are sweeter.", _FRUIT, False, "C"),
    # a bold complement that ends in its label, before a practice question
    ("The sweetest one is **the banana (B)**.\n\nTry this: which is sourer — (A) lime or (B) "
     "grape?", _FRUIT, False, "B"),
    # a table row headed with an answer word, one letter and its text
    ("| Trait | Fits |\n|---|---|\n| Stone fruit | C, D |\n| **Best answer** | **D – Damson** |",
     _FRUIT, False, "D"),
    # an ordinal in words names the option written in digits
    ("It was the **Nineteenth Amendment**, ratified in 1920.",
     ["18th Amendment", "19th Amendment", "21st Amendment"], False, "B"),
    # a conclusion inside a sentence, before a closing tip that quotes another option
    ("Both sides: 2^5 = 32 and 5^2 = 25.\n\n32 > 25, so **Quantity A is greater.**\n\nTip: "
     '"cannot be determined" never applies to fixed numbers.',
     ["Quantity A is greater.", "Quantity B is greater.", "The two are equal.",
      "The relationship cannot be determined."], False, "A"),
    # the question's own superlative said of a letter
    ("**论证**：前提→结论\n\nD项最能加强：它补上了缺失的前提。\n\n- A项：无关；\n- B项：削弱。",
     ["甲", "乙", "丙", "丁"], False, "D"),
    # "all N options are correct:" and its letters
    ("Each of them raises the risk.\n\nSo all three options are correct: **A, B, C**.",
     ["Smoking", "Obesity", "Age"], True, "ABC"),
    # a verb of choosing and the option in bold, by words only that option has
    ("Good thinking!\n\nGo with **the cold box** option. It keeps food below 5 °C.",
     ["In the cold box", "On the warm shelf", "Under the lamp"], False, "A"),
    # a title's abbreviation is no sentence end
    ("The ones in the list are ginkgo, St. John's wort and echinacea.",
     ["Ginkgo", "Aspirin", "St. John's wort", "Echinacea"], True, "ACD"),
    # a span of letters
    ("`int`, `str` and `list` (options A–C) are all built-in.\n\n`array` needs an import.",
     ["int", "str", "list", "array"], True, "ABC"),
    # a short sentence that is the option, the others named to tell them apart
    ("辨证：风热表证。\n\n方选银翘散。\n\n鉴别：桂枝汤、麻黄汤均为辛温解表剂。",
     ["桂枝汤", "麻黄汤", "银翘散"], False, "C"),
    # a concluding sentence's option, the one set against it left out
    ("Under the rule, the notice counts **once posted** — even if it is never read, the "
     "sender is bound from then on.\n\nSo: mailed, not read.",
     ["When it is read", "When it is mailed", "When it is signed"], False, "B"),
])
def test_choice_rules_of_the_follow_up_round(text: str, choices: list[str], multi: bool,
                                             expected: str) -> None:
    got = extract_choice(text, len(choices), choices, multi=multi)
    assert (got.status, got.value) == ("ok", expected), got


@pytest.mark.parametrize("text", [
    # a case's conclusion is no answer
    "Honestly, no single fruit is best for everyone; it comes down to what you need.\n\n"
    "- **Taste.** If you like it sweet, a ripe banana (B) wins, so the banana suits you. If you "
    "like it sour, look elsewhere.\n- **Storage.** Some keep for weeks, others for days.\n\n"
    "Most dietitians would say variety matters more than any one choice. Tell me what you "
    "plan to cook and I can suggest a mix.",
    # two letters both called right, of a single-answer question
    "选项有问题：A、B两项均可视为正确，建议向出题人确认。",
    "Both A and B are correct here; the question should be fixed.",
])
def test_choice_non_answers_of_the_follow_up_round(text: str) -> None:
    got = extract_choice(text, 4, _FRUIT)
    assert got.status == "no-answer", got


def test_choice_pick_in_bold_refused_when_negated() -> None:
    got = extract_choice("Don't pick **the banana**; it bruises. Pick **the cherry** instead.",
                         4, _FRUIT)
    assert got.value == "C", got


# --- number and follow-up rules of the dev13 round (own wordings) ----------------------------

@pytest.mark.parametrize(("text", "question", "expected"), [
    # a working labelled with the asked quantity, then one labelled with another
    ("应付利息 = 50000 × 4% = 2000元。\n\n对应的税费：2000 × 20% = 400元。",
     "某人存款50000元，年利率4%，一年应付利息是多少元？", "2000"),
    ("极差 = 12 − 4 = 8。平均差约为 2.6。\n\n标准差 ≈ 3.1。", "求数据 4, 6, 9, 12 的极差。", "8"),
    # a bold chain's result after "≈"
    ("**Yield = 45 / 60 ≈ 75%**\n\nFor comparison, the loss rate is 15 / 60 = 25%.",
     "What is the yield, in percent?", "75"),
    # a tight fraction is a value, not a working
    ("所以抽到偶数的概率为 2/5。抽到奇数的概率为 3/5。",
     "盒中有2张偶数卡和3张奇数卡，抽到偶数的概率是多少？", "2/5"),
    # a Chinese comma after a result ends the clause
    ("2024−1949=75，75周年。", "1949年成立，2024年是多少周年？", "75"),
    # no working, a stated value, then what is left
    ("饭钱320元，剩680元。", "小张有1000元，饭钱花了32%，饭钱是多少元？", "320"),
    # "It also has …" after the answer is a further fact
    ("A hexagon has six sides. It also has 9 diagonals, and its angles add to 720.",
     "How many sides does a hexagon have?", "6"),
    # "需要注意的是" after the conclusion is an aside
    ("(80 − 64) ÷ 80 = 0.2\n\n所以降幅是 20%。\n\n需要注意的是，若再涨回80元，涨幅为 16 ÷ 64 = 25%。",
     "某商品价格从80元降到64元，降幅是百分之多少？", "20"),
    # a value alone, then a dash and a comment
    ("Seven — one fewer than the eight planets people list if they count Pluto (9).",
     "How many planets are there besides Earth?", "7"),
])
def test_number_rules_of_the_dev13_round(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


def test_a_working_in_code_is_no_labelled_working() -> None:
    text = ("```python\nprint(sum(n for n in range(10) if n % 2 == 0))\n```\nOutput: 20\n\n"
            "Check: 0 + 2 + 4 + 6 + 8 = 20.")
    got = extract_number(text, question="What is the sum of the even numbers below 10?")
    assert got.value == "20", got


@pytest.mark.parametrize(("text", "expected"), [
    ("Answer: C\n\n---\n**Related question you might see:** Which gas is inert?\n(A) O2 "
     "(B) Ar (C) N2\n→ (B)", "C"),
    ("所以选A。\n\n**同类题**：下列属于哺乳动物的是（　）A. 鲸 B. 鲨 C. 鲫\n（答案：A）", "A"),
    ("**B**\n\n你可以再练习一下：下列哪个是质数？（A. 9 B. 7）想一想选A还是B？", "B"),
    ("### Answer: D) Oxygen\n\nIt supports burning.\n\n## Follow-up Question 1:\nWhich gas is "
     "inert?\n\nA) Oxygen\nB) Argon\n\n### Answer: B) Argon", "D"),
    ("答案：C. 氮气\n\n## Instruction 2 (more difficult):\nWhich is a noble gas?\nA. N2 B. Ne\n"
     "The answer is B.", "C"),
])
def test_invented_follow_ups_are_cut(text: str, expected: str) -> None:
    got = extract_choice(text, 4)
    assert got.value == expected, got


@pytest.mark.parametrize(("text", "expected"), [
    ("1949年，第二个。", "B"),
    ("选项四", "D"),
    ("第三种，每斤4.5元（另外两种都超过5元）。", "C"),
])
def test_chinese_ordinals_stand_for_letters(text: str, expected: str) -> None:
    got = extract_choice(text, 4)
    assert got.value == expected, got


@pytest.mark.parametrize(("text", "choices", "multi", "expected"), [
    # a dash after the answer's letters starts a comment on the others
    ("### Answer\n**B, D** — A and C are acids.", ["HCl", "NaOH", "H2SO4", "KOH"], True, "BD"),
    # "…的一项是 C", after "综上，"
    ("逐项看：A有错字，B有错字。\n\n综上，书写全对的一项是 **C**。", ["甲", "乙", "丙", "丁"], False, "C"),
    # a concluding sentence whose bold complement is only letters
    ("Arrows for each:\n1. → **(A) ✔**\n2. → **(B) ✔**\n3. → **(D) ✔**\n\nSo the buyer must "
     "show **A, B, and D**.", ["w", "x", "y", "z"], True, "ABD"),
    # "So ABD." after an addition
    ("A and C.\n\nOh, and D too — it also fits. So ACD.", ["w", "x", "y", "z"], True, "ACD"),
    # opening letters with a gloss in brackets, then a sentence about another letter
    ("C (¥1,280). B is what you'd pay before the discount.", ["¥1,600", "¥1,500", "¥1,280"],
     False, "C"),
    ("B、D（都是惰性气体）。氧气和氮气不是。", ["氧气", "氦气", "氮气", "氖气"], True, "BD"),
])
def test_choice_rules_of_the_dev13_round(text: str, choices: list[str], multi: bool,
                                         expected: str) -> None:
    got = extract_choice(text, len(choices), choices, multi=multi)
    assert (got.status, got.value) == ("ok", expected), got


def test_a_marker_naming_an_option_only_in_a_condition_is_no_answer() -> None:
    text = ("This tests agreement.\n\n**A) is** — It would be correct if the subject were "
            "singular, as in \"The list is long.\" Here, however, the subject nearest the")
    got = extract_choice(text, 3, ["are", "is", "be"], finish_reason="length")
    assert got.status == "truncated", got


@pytest.mark.parametrize(("text", "question"), [
    ("最小公倍数是12，所以是12。\n\n不过如果题意是“都多1人”，那答案就是13。题意可能有歧义，12或13都有可能。",
     "人数在10到20之间，每排3人或4人都恰好排完，有多少人？"),
    ("One equation, two unknowns: a + 2b = 20. Without another condition there are many "
     "valid answers: a could be 20 (b = 0), 18 (b = 1), and so on.",
     "Pens cost $1 and pads $2; $20 was spent. How many pens were bought?"),
    ("看几个人分：\n- 3人：40元\n- 4人：30元\n\n你告诉我人数我再帮你算。", "120元的饭钱，每人付多少？"),
    ("Hard to say.\n\nHistorians' figures vary, so the honest answer is that it had somewhere "
     "between half a million and a million people, but the exact number is unknown.",
     "What was the population of Carthage in 200 BC?"),
    ("It can't be pinned down from the perimeter alone.\n\nSo the area could be any value "
     "greater than 0 and up to 36 cm².", "A rectangle has a perimeter of 24 cm. What is its area?"),
])
def test_number_non_answers_of_the_dev13_round(text: str, question: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "no-answer", got


def test_a_year_echo_is_not_a_span_of_years() -> None:
    text = ("The treaty was signed in **1648** — in October 1648, at Münster and Osnabrück.\n\n"
            "Context:\n- War began: **1618**\n\nThe war lasted 30 years.")
    got = extract_number(text, question="In what year was the treaty signed?")
    assert got.value == "1648", got


@pytest.mark.parametrize(("text", "question", "expected"), [
    # a caveat after the answer is no hedge
    ("答案是 25 分钟。\n\n实际用时取决于路况。", "步行需要多少分钟？", "25"),
    ("The answer is 1.5 hours. It depends on traffic, of course.", "How long is the trip?", "1.5"),
    # an estimate after "the exact number is unknown, but …" commits
    ("The exact number is unknown, but most estimates put it at about 45,000.",
     "How many people lived in Pompeii?", "45000"),
    # numbered steps with dashes are not a value opening the reply
    ("1 — Set up: 3x + 2 = 14\n2 — Solve: 3x = 12, so x = 4\n\nAnswer: 4",
     "Solve 3x + 2 = 14.", "4"),
    # "It also has …" that names the asked quantity is no aside
    ("A cube has 12 edges and 8 vertices. It also has 6 faces.",
     "How many faces does a cube have?", "6"),
])
def test_caveats_steps_and_estimates_still_answer(text: str, question: str,
                                                  expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


def test_a_verdict_in_a_step_of_the_working_still_counts() -> None:
    got = extract_choice("If we apply the proximity rule, B is correct.", 4,
                         ["was", "were", "is", "been"])
    assert got.value == "B", got


def test_a_question_heading_inside_a_fenced_block_opens_the_reply() -> None:
    text = "```yaml\n题目: 存货周转次数\n计算: 600 / 150\n答案: 4 次\n备注: 周转天数 = 360 / 4 = 90 天\n```"
    got = extract_number(text, question="该企业本年存货周转次数为多少次？")
    assert got.value == "4", got


@pytest.mark.parametrize(("text", "choices", "multi", "expected"), [
    ("所以正确答案为后两项，即 CD。", ["甲", "乙", "丙", "丁"], True, "CD"),
    ("- 前提：所有鸟都有羽毛\n- 结论：企鹅有羽毛\n\n从一般到个别，属于演绎推理 ✅\n\n归纳推理则相反。",
     ["归纳推理", "演绎推理", "类比推理"], False, "B"),
    ("```yaml\nselected_options:\n  - B\n  - C\nconfidence: high\n```",
     ["1", "2", "3", "4"], True, "BC"),
    ("故选ACD。\n\n【易错点】B项迷惑性强：仅凭题图无法确定电流方向，不能选。",
     ["甲", "乙", "丙", "丁"], True, "ACD"),
])
def test_choice_rules_of_the_dev11_dev12_follow_up(text: str, choices: list[str], multi: bool,
                                                   expected: str) -> None:
    got = extract_choice(text, len(choices), choices, multi=multi)
    assert (got.status, got.value) == ("ok", expected), got


@pytest.mark.parametrize(("text", "question"), [
    ("It hinges on a definition:\n\n- counting 0 → **8**\n- not counting it → **7**\n\nI'd need "
     "to know which convention your course uses.", "How many whole numbers are less than 8?"),
    ("要算用量，我还需要知道以下信息：\n\n1. 墙面面积\n2. 每桶涂料能刷多少平方米\n\n比如 40 平方米、"
     "每桶刷 10 平方米，就要 4 桶。\n\n你把面积和规格告诉我，我帮你算？", "刷墙要买几桶涂料？"),
])
def test_number_non_answers_of_the_dev11_dev12_follow_up(text: str, question: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "no-answer", got


@pytest.mark.parametrize(("text", "question", "expected"), [
    # a misuse warning after "；" is an aside
    ("浓度 = 10 ÷ 50 × 100% = 20%\n\n注意分母是溶液质量；若误用 10 ÷ 40 会得到 25%。",
     "10 g 糖溶于 40 g 水，糖水浓度是多少（用百分数表示）？", "20"),
    # a bold label and its value
    ("Expected value = 0.5 × 4 = 2\n\n**Expected net loss: −$1.00 per ticket**\n\nOver 10 tickets "
     "you'd lose about $10.", "A ticket costs $3 and pays $4 half the time. What is your "
     "expected net gain per ticket?", "-1"),
    # a bold number word inside a sentence is stress
    ("Year 2 is discounted for **two** periods:\n\nNPV = −500 + 300/1.1 + 300/1.21 = **$20.66**"
     "\n\nSince NPV > 0, accept it.", "What is the NPV in dollars?", "20.66"),
    # "That's an increase of …" after the result
    ("About 1.05 million people (1 million × 1.05). That's an increase of 50,000 residents.",
     "A town of 1 million grows by 5%. What is its population after a year?", "1050000"),
])
def test_number_rules_of_the_dev12_follow_up(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


def test_an_increase_asked_is_no_aside() -> None:
    text = "About 1.05 million people. That's an increase of 50,000 residents."
    got = extract_number(text, question="A town of 1 million grows by 5%. By how many people "
                                        "does it increase?")
    assert got.value == "50000", got


def test_a_bold_number_word_in_a_sentence_is_no_answer() -> None:
    text = ("I can't pin down a time: we know the speed of **one** train only. There's no single "
            "time I can give.")
    got = extract_number(text, question="When will the trains meet?")
    assert got.status == "no-answer", got


# --- rules of the dev14 round (own wordings) ---------------------------------------------------

@pytest.mark.parametrize(("text", "question", "expected"), [
    # a first line that answers, then only context with other numbers
    ("约 8.1 亿人。\n\n排名第二的是乙国，约 6.3 亿人；丙国约 5.2 亿人。", "甲国人口约为多少？", "810000000"),
    ("120 次/分。\n\n正常范围是 60~120 次/分：超过 120 为过速。", "婴儿正常心率上限为每分钟多少次？", "120"),
    ("A furlong is 201.168 m — that's 220 yards (an eighth of a mile).\n\nA quarter of that is "
     "50.292 m.", "How many metres long is a furlong?", "201.168"),
    ("1911 年，辛亥革命爆发。\n\n1912 年中华民国成立。", "辛亥革命爆发于哪一年？", "1911"),
    ("```\n13\n```\nThat's 12 letters and signs plus 1 space.",
     "What does print(len('hello, world!')) output?", "13"),
    # a fill-in blank restated with its value
    ("3.5×60＝210\n\n3.5小时＝（210）分钟", "3.5小时＝（　　）分钟", "210"),
    # a conversion into another unit after the answer in the asked unit
    ("a = Δv / Δt = 20 / 4 = 5 m/s²\n\nThat's about 0.51 g.", "What is its acceleration in m/s²?",
     "5"),
    # "补充一下：", "小技巧：", "Note that …" after the answer
    ("$g \\approx 9.8\\ \\text{m/s}^2$\n\n补充一下：标准值定义为 9.80665 m/s²。", "重力加速度约为多少 m/s²？",
     "9.8"),
    ("−40 °C (−40 °F), the point where the scales meet.\n\nNote that some sources round it to −39 "
     "for other scales.", "At what temperature in °C do the two scales agree?", "-40"),
    # 千 before a unit is kilo
    ("速度乘时间，八十乘以三，一共行驶了二百四十千米。", "以每小时80千米行驶3小时，行驶了多少千米？", "240"),
    # the output set out in a code block after "所以输出结果是："
    ("`sum(range(5))` 是 10，10 // 3 = 3（余 1）。\n\n所以输出结果是：\n\n```\n3\n```",
     "输出结果是多少？", "3"),
])
def test_number_rules_of_the_dev14_round(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


@pytest.mark.parametrize(("text", "question"), [
    ("Estimates differ.\n\nSo the honest answer is somewhere between roughly 20 and 50 million.",
     "How many people died?"),
    ("It depends on the convention.\n\nSo the answer could be 5, 6 or 7.", "How many oceans are there?"),
])
def test_number_non_answers_of_the_dev14_round(text: str, question: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "no-answer", got


def test_a_first_line_restated_in_another_scale_is_not_context() -> None:
    # what follows restates the value rounded: the rules below read it, not the first line
    text = "4999 × (1 − 15%) = 4999 × 0.85 = 4249.15\n\n保留整数约为 4249 元。"
    got = extract_number(text, question="降价后的价格是多少元？（保留整数）")
    assert got.value == "4249", got


@pytest.mark.parametrize(("text", "choices", "multi", "expected"), [
    ("[B] [C] [E]\n\nThose three are metals.", ["O", "Fe", "Cu", "N", "Zn"], True, "BCE"),
    ("选项2、4。\n\n其余两项不对。", ["甲", "乙", "丙", "丁"], True, "BD"),
    ("Option 1, Option 3 and Option 4.\n\n- one\n- three", ["w", "x", "y", "z"], True, "ACD"),
    ("The answer is **(A) Mercury** — it is closest.\n\nActually, correcting myself: the question "
     "asks for the hottest. So the planet asked for is **(B) Venus**, not Mercury.",
     ["Mercury", "Venus", "Earth", "Mars"], False, "B"),
])
def test_choice_rules_of_the_dev14_round(text: str, choices: list[str], multi: bool,
                                         expected: str) -> None:
    got = extract_choice(text, len(choices), choices, multi=multi)
    assert (got.status, got.value) == ("ok", expected), got


def test_a_first_line_is_no_answer_first_when_the_question_gives_values() -> None:
    # The question gives values: the paragraphs after the first line go on with the working
    # in words, and the first line is a step.
    text = "The bill comes to $60.\n\nSplit among 4 friends, each pays $15."
    got = extract_number(text, question="Four friends share a bill of $48 plus $12 in tips. How "
                                        "much does each pay?")
    assert got.value == "15", got


@pytest.mark.parametrize(("text", "question", "expected"), [
    ("他跑了三千米。", "他跑了多少米？", "3000"),
    ("Principal: $1000.\n\nNote that the rate is annual, so interest = 1000 × 0.05 = $50.",
     "What is the interest on $1000 at 5% for a year?", "50"),
])
def test_kilo_and_note_rules_stay_narrow(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.value == expected, got


@pytest.mark.parametrize(("text", "question", "expected"), [
    # a sum word inside the working is no answer marker
    ("一共 1 + 2 = 3 份，每份 90° ÷ 3 = 30°，\n较大角 = 2 × 30° = 60°。\n\n两个角分别是 30°、60°。",
     "两个角之比为 1:2，较大的角是多少度？", "60"),
    # a correction's label
    ("12 × 1/3 = 4（个）\n\n答：还剩4个。\n\n不对，4个是吃掉的。12 − 4 = 8（个）\n\n更正：还剩8个。",
     "12个苹果吃掉三分之一，还剩多少个？", "8"),
    # a sentence opening with 即 concludes; what follows is another quantity
    ("P = 0.5 × 0.5 = 0.25\n\n即两次都是正面的概率为0.25。至少一次正面的概率则为 1 − 0.5² = 0.75。",
     "连续抛两次硬币，两次都是正面的概率是多少？", "0.25"),
])
def test_number_rules_of_the_dev14_follow_up(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


def test_declining_one_number_is_no_answer() -> None:
    text = ("There isn't a reliable single figure for this. Reconstructions range from roughly "
            "300,000 to 600,000.\n\nI'd be overstating the evidence if I gave you one number.")
    got = extract_number(text, question="What was the population of Athens at its peak?")
    assert got.status == "no-answer", got


# --- guards found by the rule-aware stress corpus (tests/tasks/data/stress/) --------------------

@pytest.mark.parametrize(("text", "question", "expected"), [
    # a first line, then working in words
    ("一小时有 3600 秒。\n\n一天有 24 小时，3600 乘以 24 得出 86400 秒。", "一天有多少秒？", "86400"),
    # a dash opening that the working goes on from
    ("12 — that's the months in a year. Multiply by the 4 weeks in each and you get 48 weeks.",
     "Roughly how many weeks are there in a year, counting four per month?", "48"),
    # a dash opening with its reason
    ("Nine — since 9 × 9 = 81.", "What is the square root of 81?", "9"),
    # the last working is the asked thing under another name
    ("1. 应纳税所得额 = 8000 − 5000 − 1000 = 2000元\n2. 应纳税额 = 2000 × 3% = 60元",
     "某人月工资8000元，三险一金1000元，每月应缴纳多少元个人所得税？", "60"),
    ("Monthly rate: 12% / 12 = 1%\n\nAnnual percentage rate: 1% × 12 = 12%\n\nAPY = (1.01)^12 − 1 "
     "≈ 12.68%", "What is the annual percentage yield?", "12.68"),
    # an earlier working the reply calls a mistake
    ("速度的算术平均 = (4 + 6) ÷ 2 = 5 千米/时（这是常见的错误做法）\n\n全程 v̄ = 24 ÷ 5 = 4.8 千米/时",
     "上山每小时4千米，下山每小时6千米，求上下山的平均速度。", "4.8"),
    # a note that says what was asked goes on to answer it
    ("本息和为 1000 × (1 + 5%) = 1050 元。\n\n需要注意的是，题目问的是利息：利息 = 1050 − 1000 = 50 元。",
     "1000元存一年，年利率5%，利息是多少元？", "50"),
    # a bold label naming a step's result is not the answer
    ("**总路程：300千米**\n\n平均速度 300 ÷ 5 = 60 千米/时。", "全程平均速度是多少千米/时？", "60"),
])
def test_guards_from_the_stress_corpus(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


def test_an_unclosed_think_reviewing_options_in_bold_is_still_thinking() -> None:
    text = ("<think>\nLet me review.\n\n**Option A: Iron** — a metal, but is it the lightest?\n\n"
            "**Option B: Lithium** — lighter still, but let me check sodium")
    got = extract_choice(text, 3, ["Iron", "Lithium", "Sodium"], finish_reason="length")
    assert got.status == "truncated", got


@pytest.mark.parametrize(("text", "choices", "expected"), [
    # a concluding clause about a step, when the options are values
    ("Let the numbers be a and b.\n\nAdding gives 2a = 16, so **a = 8**, and then b = 2.\n\n"
     "Their product is 8 × 2 = 16.", ["8", "16", "2", "10"], "B"),
    # a tick on a line of working
    ("Add 5 to both sides:\n2x = 14 ✅\n\nDivide by 2:\nx = 7\n\n**x = 7**", ["7", "14", "9", "5"],
     "A"),
])
def test_choice_guards_from_the_stress_corpus(text: str, choices: list[str],
                                              expected: str) -> None:
    got = extract_choice(text, len(choices), choices)
    assert got.value == expected, got


# --- rules of the dev15 round (own wordings) ---------------------------------------------------

@pytest.mark.parametrize(("text", "question", "expected", "finish"), [
    # 十三点八万 is 138000
    ("解：8 × 1.5 = 12（万千克）\n答：今年产量是十二点五万千克。", "今年产量是多少千克？", "125000", None),
    # candidates counted before a colon are no marker
    ("这里容易出现两个结果：\n\n想法一：2 × 2 = 4（米）；\n想法二：2 × 4 = 8（米）。\n\n对折了两次，所以想法一不对。\n\n"
     "绳子原来长8米。", "绳子对折再对折后长2米，原来长多少米？", "8", None),
    # a sum inside a supposed case after the answer
    ("答案：**二十平方米**\n\n如果每平方米收菜10千克，一共可收200千克。", "菜地面积是多少平方米？", "20", None),
    # "That's a raise of …", and what is left in a sentence of its own
    ("New salary = $40,000 × 1.05\n\n= $42,000 per year\n\nThat's a raise of $2,000, or about "
     "$3,500 a month over 12 months.", "What is the new annual salary?", "42000", None),
    ("2400 ÷ 8000 = 0.3\n\n房租占收入的30%。剩下的70%（即5600元）用于开销。", "房租占收入的百分之几？",
     "30", None),
    # cut off in a practice section or an addition after the answer
    ("移项：2x = 12\nx = 6\n\n所以方程的解为 x = 6。\n\n拓展练习：如果把方程改成 2x − 5 = x + 1，那么",
     "解方程：2x − 5 = 7", "6", "length"),
    ("80 × (1/2)² = 20（克）\n\n所以还剩20克。\n\n再补充一下，如果问的是衰变了多少，那就是80 − 20 = 6",
     "半衰期5天，80克经过10天后还剩多少克？", "20", "length"),
    # a solution stated first, then cut while explaining
    ("x = 4.\n\nTo see why: add 3 to both sides to get 2x = 8, then div", "Solve 2x − 3 = 5.", "4",
     "length"),
])
def test_number_rules_of_the_dev15_round(text: str, question: str, expected: str,
                                         finish: str | None) -> None:
    got = extract_number(text, question=question, finish_reason=finish)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


@pytest.mark.parametrize(("text", "question"), [
    ("这题我算出了两个结果：\n\n算法一：120 ÷ 40 = 3；\n算法二：120 ÷ 60 = 2。\n\n所以可能是2分钟，也可能是3分钟，不能确定。",
     "两人相向而行几分钟后相遇？"),
    ("这个我不能帮你。这样做是违法的。\n\n如果遇到危险，请立即报警（110）。", "需要加多少毫克药？"),
])
def test_number_non_answers_of_the_dev15_round(text: str, question: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "no-answer", got


def test_what_is_left_worked_on_is_a_step() -> None:
    text = "首位不能为0，有2种选择；\n剩下两位从剩余2个数字中全排列，有 2! = 2 种。\n\n共 2 × 2 = 4 个。"
    got = extract_number(text, question="用0、1、2可以组成多少个没有重复数字的三位数？")
    assert got.value == "4", got


def test_so_letter_it_is() -> None:
    got = extract_choice("- ❌ **A. Paris** — no.\n- ✅ **B. Rome** — yes.\n\nSo B it is.", 3,
                         ["Paris", "Rome", "Oslo"])
    assert got.value == "B", got


def test_a_bold_table_row_is_the_result() -> None:
    text = ("| Day | km |\n|---|---|\n| Mon | 3.0 |\n| Tue | 5.0 |\n| **Average** | **4.0** |\n\n"
            "_Longest run 5.0 km, shortest 3.0 km._")
    got = extract_number(text, question="What was the average daily distance in km?")
    assert (got.value, got.method) == ("4.0", "table-row"), got


@pytest.mark.parametrize(("text", "choices", "expected"), [
    # a review of the options, one a line, opening with a letter and a dash
    ("A – false; that is backwards.\nB – false.\nC – true; it lowers the barrier.",
     ["raise it", "consume it", "lower it"], "C"),
    # the option's text, then its mark
    ("A 黄河 ✗（第二长）\nB 长江 ✓\nC 珠江 ✗", ["黄河", "长江", "珠江"], "B"),
])
def test_review_lines_of_the_dev15_round(text: str, choices: list[str], expected: str) -> None:
    got = extract_choice(text, len(choices), choices)
    assert got.value == expected, got


@pytest.mark.parametrize(("text", "question", "expected"), [
    ("A rough bound first: 5³ = 125 and 6³ = 216, so it lands in the 150–200 cm³ range.\n\n"
     "Exact: 5.5 × 5.5 × 5.5 = 166.375\n\nV = 166.375 cm³", "What is the cube's volume in cm³?",
     "166.375"),
])
def test_a_bound_before_the_worked_value(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.value == expected, got


def test_not_uniquely_determined_is_no_answer() -> None:
    text = "只有一个方程，却有两个未知数。\n\n比如 x = 1，y = 3；x = 2，y = 1。\n\n所以 x 的值不能唯一确定。"
    got = extract_number(text, question="已知 2x + y = 5，求 x 的值。")
    assert got.status == "no-answer", got


# --- rules of the dev16 round (own wordings) ---------------------------------------------------

@pytest.mark.parametrize(("text", "choices", "expected"), [
    ("Everything but A and D applies; the rest are classic signs.", list("wxyzv"), "BCE"),
    ("只有C不是。其余三项都是哺乳动物。", ["鲸", "蝙蝠", "企鹅", "海豚"], "ABD"),
    ("They all do except the third one — it compiles natively.", ["w", "x", "y", "z"], "ABD"),
    ("逐项看过了。\n\n除了A以外，其余三项都正确。", ["甲", "乙", "丙", "丁"], "BCD"),
    ("B项、D项入选。", ["甲", "乙", "丙", "丁"], "BD"),
    ("Option A, option C and option D are correct. The others are not.", list("wxyz"), "ACD"),
])
def test_multi_rules_of_the_dev16_round(text: str, choices: list[str], expected: str) -> None:
    got = extract_choice(text, len(choices), choices, multi=True)
    assert got.value == expected, got


@pytest.mark.parametrize("text", ["9 is 3², 15 is 3·5. 7 is the prime one. ans: b",
                                  "easy one, the sun's a star, so the answer's b"])
def test_casual_lower_case_answers(text: str) -> None:
    assert extract_choice(text, 4, ["9", "7", "15", "21"]).value == "B"


@pytest.mark.parametrize(("text", "question", "expected"), [
    ("Move the point one place: one and a half million.", "What is 150,000 times 10?", "1500000"),
    ("There are 4 cups in a quart, so 5 cups is one and a quarter quarts.",
     "How many quarts are in 5 cups?", "1.25"),
])
def test_english_mixed_number_words(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


@pytest.mark.parametrize(("text", "question"), [
    ("粗略估计：每页五百字左右，三百多页，总字数应该在十五万到二十万字之间。", "这本书大约有多少字？"),
    ("这个问题涉及危险物品的制作，我不能提供任何配比信息。\n\n如发现可疑物品，请远离至少100米并报警。",
     "需要多少克？"),
])
def test_number_non_answers_of_the_dev16_round(text: str, question: str) -> None:
    assert extract_number(text, question=question).status == "no-answer"


def test_a_letter_in_tortoise_shell_brackets() -> None:
    text = "A项缺主语；B项两面对一面；C项语序不当。\n\n〔D〕"
    assert extract_choice(text, 4, ["甲", "乙", "丙", "丁"]).value == "D"


@pytest.mark.parametrize(("text", "question"), [
    ("It's either 20 or 21, depending on whether both ends get a post. I can't say which.",
     "How many posts for a 100 m fence with one every 5 m?"),
    ("**Case 1:** x − 1 = 4 → x = 5\n**Case 2:** x − 1 = −4 → x = −3\n\nBoth work, so the "
     "solution set is {−3, 5}.", "Solve |x − 1| = 4."),
    ("抱歉，我不能帮你伤害动物。\n\n可以拨打12345热线反映，情节严重时可拨打110。", "用多少剂量能毒死狗？"),
])
def test_number_non_answers_of_the_dev16_follow_up(text: str, question: str) -> None:
    assert extract_number(text, question=question).status == "no-answer"


@pytest.mark.parametrize(("text", "expected"), [
    ("a₃ = 2 × 3² = 18\n\n答案：B\n\n补充两点：\n1. 若误写成 2 × 3³ = 54，就会错选 C；\n2. 选 A 说明项数数错了。", "B"),
    ("Answer: B\n\nNote: actually, the answer is C — I misread the units.", "C"),
])
def test_a_note_after_the_answer(text: str, expected: str) -> None:
    assert extract_choice(text, 4).value == expected


def test_a_sum_worked_out_before_a_conclusion_is_no_marker() -> None:
    text = ("一共4人，第一个人有4种选法，第二个人有3种，4 × 3 = 12（种）。\n\n不对，没有先后顺序，应是 12 ÷ 2 = 6（种）。"
            "\n\n所以共有6种不同的选法。")
    assert extract_number(text, question="从4人中选2人，有多少种选法？").value == "6"


# --- rules of the dev17 round (own wordings; each case fails on the rules before the round) ------

@pytest.mark.parametrize(("text", "question", "expected"), [
    # an opening equation with only comment after it: the comment compares other quantities
    ("P = W / t = 1200 J / 60 s = 20 W\n\nThat's about a third of the 60 W an old bulb draws.",
     "A motor does 1200 J of work in 60 s. What is its power, in watts?", "20"),
    # a check, then a closing line that names the asked thing again
    ("Let a be adults, c children: a + c = 9 and 5a + 2c = 33, so 3a = 15 and a = 5.\n\n"
     "Double-check: 5 adults pay $25, 4 children pay $8, $33 in all — and 5 + 4 = 9 people. "
     "Both hold.\n\nThere were 5 adults in the group (and 4 children).",
     "Nine people paid $33 for tickets; adults pay $5 and children $2. How many adults went?",
     "5"),
    # a total row with a share column: the count, not the 100%
    ("| 班级 | 人数 | 占比 |\n|---|---|---|\n| 一班 | 30 | 60% |\n| 二班 | 20 | 40% |\n"
     "| **合计** | **50** | **100%** |", "两个班一共有多少人？", "50"),
    # a footnote numbered in the Chinese way holds no answer
    ("2⁸ = 256 [注1]\n\n[注1] 一个字节有 256 种取值，见 ISO/IEC 2382:2015。", "2 的 8 次方是多少？", "256"),
    # a superscript footnote mark and its note
    ("An octahedron has 8 faces.²\n\n² By Euler, V − E + F = 6 − 12 + 8 = 2.",
     "How many faces does an octahedron have?", "8"),
    # the percentage asked, written again as a decimal after it
    ("The change is −25% (a quarter lost): (30 − 40)/40 = −0.25.",
     "A price fell from $40 to $30. What is the percent change?", "-25"),
    # a fenced output, then the working that ends on its count in words after a dash
    ("```\n5\n```\n\nThe even numbers below ten are 0, 2, 4, 6, 8 — five numbers.",
     "What does print(len([n for n in range(10) if n % 2 == 0])) print?", "5"),
    # a change told after the value asked
    ("2023年销量 = 4200 ÷ 1.2 ≈ 3500（万台）\n\n即约3500万台，两年间增加了约700万台。",
     "某品牌2024年销量4200万台，比上年增长20%，则该品牌2023年销量约为多少万台？", "3500"),
    # a hyphen between numbers is a minus sign, not a dash before a breakdown
    ("第三个角：180° − 50° − 60° = 70°\n\n三个角都小于90°，这是锐角三角形。",
     "三角形两个内角是50°和60°，第三个内角是多少度？", "70"),
    # a value in the asked unit, then the same area in other units
    ("面积 = 40 × 25 = 1000（平方米）\n\n1000平方米 = 0.1公顷，合1.5亩。", "一块地长40米、宽25米，面积是多少平方米？",
     "1000"),
    # JSON whose last number sits in a quoted formula: the value under the asked key
    ('```json\n{\n  "celsius": 37,\n  "fahrenheit": 98.6,\n  "formula": "C * 9 / 5 + 32"\n}\n```',
     "Convert 37 °C to degrees Fahrenheit. Respond in JSON.", "98.6"),
    # "其中：" opening the terms of a formula is no breakdown of a result
    ("月供公式：\n\n$$M = P \\cdot \\frac{r(1+r)^n}{(1+r)^n - 1}$$\n\n其中：\n- 本金 $P = 500{,}000$ 元\n"
     "- 月利率 $r = 0.4\\%$\n- 期数 $n = 240$\n\n**每月月供约 3270.5 元。**\n\n20 年总还款约 78.5 万元。",
     "贷款50万元，20年，月利率0.4%，等额本息每月月供约多少元？", "3270.5"),
])
def test_number_rules_of_the_dev17_round(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


@pytest.mark.parametrize(("text", "question"), [
    # the method told, the result kept in the reasoning
    ("<think>\n7 × 8 = 56\n</think>\n\nTo find the area, just multiply the length by the "
     "width: 7 × 8.", "A rectangle is 7 m by 8 m. What is its area in m²?"),
    ("这道题用等差数列求和公式 $S_n=\\dfrac{n(a_1+a_n)}{2}$ 直接代入即可。", "求 1 + 2 + … + 50 的和。"),
    # a refusal that opens the reply; the number after it is a hotline
    ("I can't help with that.\n\nIf you are thinking about harming yourself, please call **112** "
     "now.", "How many pills would be a fatal dose?"),
    # a figure that never arrived
    ("I don't see the figure — it seems the image didn't come through. If the rise were 6 over "
     "a run of 3, the slope would be 2.", "What is the slope of the line in the figure?"),
    # "pinned to one value"
    ("Even integers strictly between 3 and 9: 4, 6, 8.\n\nAll of them satisfy the condition, so "
     "n can't be pinned to one value. If n were also a multiple of 3 → 6, let me know.",
     "n is an even integer with 3 < n < 9. What is n?"),
])
def test_number_non_answers_of_the_dev17_round(text: str, question: str) -> None:
    assert extract_number(text, question=question).status == "no-answer"


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # counted from the end, and an ordinal spelt as a number word
    ("倒数第二个选项正确——丙。", ["甲", "乙", "丙", "丁"], {}, "C"),
    ("It's the second-to-last one.", list("wxyz"), {}, "C"),
    ("The penultimate option fits.", list("wxyz"), {}, "C"),
    ("Option two: the others fail the test.", list("wxyz"), {}, "B"),
    # letters listed with their own options' texts, or with an Oxford comma
    ("A. 长江；C. 珠江\n\n黄河和淮河都不流入南海。", ["长江", "黄河", "珠江", "淮河"], {"multi": True}, "AC"),
    ("(B) and (D). Both are reptiles; the others are amphibians.", ["frog", "snake", "toad",
                                                                   "lizard"],
     {"multi": True}, "BD"),
    ("A, C, and D are always true. B holds only for squares.", list("wxyz"),
     {"multi": True, "question": "Which of the following are true for every rhombus?"}, "ACD"),
    ("除B外均正确。", ["甲", "乙", "丙", "丁"], {"multi": True}, "ACD"),
    ("只有D不导电，其余几个都是导体。", ["铁", "铜", "铝", "玻璃"], {"multi": True}, "ABC"),
    # "Just B." opening a sentence
    ("Just B. The other two are interpreted, so they're out.", ["C", "Python", "Rust", "Ruby"],
     {"multi": True}, "B"),
    # the odd one out in a NOT question
    ("Cats, dogs and whales nurse their young (A, B and D); a trout lays eggs, so C is the "
     "odd one out.", ["cat", "dog", "trout", "whale"],
     {"question": "Which of these is NOT a mammal?"}, "C"),
    # a letter with its own text opening the reply, a distractor glossed in brackets after
    ("Nice one!\n\n**C. Jupiter** — by far the largest.\n\nLots of people pick Saturn (B), but "
     "Saturn is only about 84% as wide.", ["Mars", "Saturn", "Jupiter", "Venus"], {}, "C"),
    # the option named by the property asked, then a dash
    ("Ranked: shares (A) > gold (B) > savings account (C).\n\nSo the safest option is C — it is "
     "insured.", ["shares", "gold", "savings account", "crypto"], {}, "C"),
    # a comparison after the marker names what the answer is measured against
    ("It's option B, Canada — at about 10 million km², it's more than five times the size of "
     "Peru.", ["Russia", "Canada", "Chile", "Peru"], {}, "B"),
    # a letter taken back at once
    ("B) 9 — hmm, no. 9 = 3 × 3. The prime is 7, option C.", ["4", "9", "7", "15"], {}, "C"),
])
def test_choice_rules_of_the_dev17_round(text: str, choices: list[str], kw: dict[str, Any],
                                          expected: str) -> None:
    got = extract_choice(text, len(choices), choices, **kw)
    assert got.value == expected, got


@pytest.mark.parametrize(("text", "choices", "kw"), [
    # the pick left to the reader's textbook or course
    ("阿司匹林和布洛芬都常用，不同教材表述不一。在不清楚考试依据哪一版教材的情况下，很难判断哪个是唯一的标准答案。对乙酰氨基酚在这里不适用。",
     ["阿司匹林", "布洛芬", "对乙酰氨基酚", "吗啡"], {}),
    ("一般选乙，但也有资料认为是丙。建议你对照一下你们教材的标准答案。", ["甲", "乙", "丙", "丁"], {}),
    ("It really comes down to your course's definition: Python can be annotated and checked "
     "with mypy, and Java has had `var` since version 10, so any set I give might be marked "
     "wrong. I'd check the lecture notes before trusting me.",
     ["Java", "Python", "Rust", "JavaScript"], {"multi": True}),
    # unsure between two letters, in Chinese; two letters both defensible
    ("答案：A\n\n等等，C 也说得过去……A和C我有点拿不准。", ["甲", "乙", "丙", "丁"], {}),
    ("I'd have said A (Edison), since he patented it. But Swan (D) showed a working lamp first. "
     "Honestly both A and D are defensible here.", ["Edison", "Tesla", "Bell", "Swan"], {}),
    ("The red one mostly, but blue also shows up in some tests, so it depends on whether you "
     "count those. Red or blue — either could be argued here.", ["red", "blue", "green", "grey"],
     {}),
    # the figure or the statements never arrived
    ("I can't see the circuit diagram you mention, so I can't tell the current. For example, a "
     "single 10 Ω resistor on 6 V would draw 0.6 A; two in series, 0.3 A.",
     ["0.3 A", "0.6 A", "1.2 A", "2 A"], {}),
    ("It looks like statements I and II weren't included in your message — I can only see the "
     "choices, like 'I and II'. Could you paste them?", ["I only", "II only", "I and II",
                                                           "Neither"], {}),
    ("抱歉，我这边看不到你提到的电路图，只知道电压是 6 V。比如 20 Ω 时 I = 0.3 A；40 Ω 时 0.15 A。你可以重新发一下图片。",
     ["0.15 A", "0.3 A", "0.6 A", "1.2 A"], {}),
])
def test_choice_non_answers_of_the_dev17_round(text: str, choices: list[str],
                                               kw: dict[str, Any]) -> None:
    assert extract_choice(text, len(choices), choices, **kw).status == "no-answer"


def test_a_letter_taken_back_before_the_cut_is_truncated() -> None:
    got = extract_choice("I'll say A.\n\nHmm, no — that one is a moon, so the answer is", 4,
                         ["Titan", "Mars", "Venus", "Earth"], finish_reason="length")
    assert got.status == "truncated", got


def test_a_step_name_in_bold_is_no_value() -> None:
    got = extract_number("好的：\n\n**第二步**：再算差", finish_reason="length",
                         question="小明有20元，买了3支4元的笔，还剩多少元？")
    assert got.status == "truncated", got


# --- rules of the dev18 round (own wordings; each case fails on the rules before the round) ------

@pytest.mark.parametrize(("text", "question", "expected"), [
    # a program's output set out first, though the code holds the same value
    ("```\n0.0025\n```\nPython keeps decimal form down to 1e-4 and switches to scientific "
     "notation below that.", "What does this print?\n```python\nprint(1/400)\n```", "0.0025"),
    # the same from a REPL that echoes the line it ran
    ("```\n>>> print(1/40000)\n2.5e-05\n```\n\nFloats below 1e-4 print in scientific notation, "
     "so the output is `2.5e-05`.", "What does this Python line print?\n\nprint(1/40000)",
     "0.000025"),
    # an output block under its label, then a remark with another number
    ('JavaScript evaluates left to right:\n\n1. `"7" + 1` → string concatenation → `"71"`\n'
     '2. `"71" - 1` → `-` forces a number → `71 - 1` → `70`\n\nOutput:\n```\n70\n```\nThe same '
     "line with `*` instead of `+` would print 6.",
     'What does this JavaScript print?\n```js\nconsole.log("7" + 1 - 1);\n```', "70"),
    # the share asked, then what is left after it
    ("Rent takes 25% of the pay. That leaves 75% for everything else.",
     "My pay is $4k a month and rent is $1k. What percent of my pay goes to rent?", "25"),
    # a marker in a check below the answer checks it
    ("**解：**\n\n(−20) + 12 = −8（万元）\n\n所以全年共 **−8万元**，即亏损8万元。\n\n### 验算\n"
     "- 亏损合计 20 万元，盈利 12 万元，20 − 12 = 8，为亏损 ✓",
     "某店上半年亏损20万元，下半年盈利12万元。若盈利记为正，全年共盈亏多少万元？", "-8"),
])
def test_number_rules_of_the_dev18_round(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


@pytest.mark.parametrize(("text", "question"), [
    # two values left open
    ("If the clock is in the same zone, the trip is 200 minutes; if arrival is an hour ahead, "
     "140 minutes. Without knowing that, either could be right.",
     "A bus leaves at 8:30 and arrives at 11:50. How many minutes is the trip?"),
    ("Read as two and a quarter hours, that's 135 minutes. Read clock-style as 2 h 25 min, it's "
     "145. Both readings are plausible, so 135 or 145.", "How many minutes are in 2.25 hours?"),
    ("这个数我记不太清。有两个说法：一个是1200万人，另一个是1100万人。建议以官方数据为准。", "2024年某省高考报名人数是多少人？"),
    # the method told, not the result
    ("The draws are independent, so multiply the probability of red on each of the 2 draws.",
     "A bag has 3 red and 2 blue balls. Two draws with replacement: what is the probability "
     "both are red? Give a fraction."),
    ("先求出从4个红球和2个白球中任取2个的总取法数，再求出都是红球的取法数，两者相除即可。你可以按这个思路自己算一下。",
     "从4个红球和2个白球中任取2个，都是红球的概率是多少？"),
    # a reply that opens by denying one answer
    ("There's no single right figure — it depends on your rent and job security. A common rule "
     "of thumb is to keep **6 months** of expenses.",
     "How many months of expenses should an emergency fund hold?"),
])
def test_number_non_answers_of_the_dev18_round(text: str, question: str) -> None:
    assert extract_number(text, question=question).status == "no-answer"


@pytest.mark.parametrize(("text", "choices", "expected"), [
    # a by-the-way aside after the answer names another case's option
    ("aₙ = a₁ + (n − 1)d\na₅ = 1 + 4 × 4 = 17\n\n答案：B\n\n（顺便说一下，若求 a₆ 则为 21，对应选项 C。）",
     ["13", "17", "21", "25"], "B"),
    # "exceptions:" heading the others is no marker of the answer
    ("**(A)** is the best answer here.\n\nThe others fall under recognized exceptions:\n\n"
     "- (B) consent exception\n- (C) exigent circumstances\n\nIn practice, A is what examiners "
     "want.", ["a home search", "consent", "exigency", "plain view"], "A"),
    # "That makes it **C**." closes the reply
    ("He published it in 1859, after the Beagle voyage.\n\nThat makes it **C**.",
     ["Wallace", "Lamarck", "Darwin", "Mendel"], "C"),
])
def test_choice_rules_of_the_dev18_round(text: str, choices: list[str], expected: str) -> None:
    assert extract_choice(text, len(choices), choices).value == expected


def test_the_pick_left_to_the_course_guideline() -> None:
    text = ("Current guidelines list several first-line drugs: metformin for most adults, and "
            "insulin when glucose is very high. Diet alone is rarely enough, and aspirin is not "
            "a glucose drug.\n\nSo both **A (metformin)** and **C (insulin)** could be "
            "reasonable here, and the choice depends on the source. I'd check which guideline "
            "your course follows.")
    got = extract_choice(text, 4, ["metformin", "diet alone", "insulin", "aspirin"])
    assert got.status == "no-answer", got



# Ordinary replies the rules of the dev17 and dev18 rounds first misread (found by a review of
# the round): each must keep its plain reading.
@pytest.mark.parametrize(("text", "question", "expected"), [
    ("I can't give an exact number. Roughly, though: a slice of pepperoni pizza is **about 300 "
     "calories**.", "How many calories are in a slice of pepperoni pizza?", "300"),
    ("我无法提供精确值。\n\n按常用近似，结果约为 **3.14**。", "圆周率约为多少？", "3.14"),
    ("We can use the Pythagorean theorem here: legs of 3 and 4 give a hypotenuse of 5.",
     "A right triangle has legs 3 and 4. How long is the hypotenuse?", "5"),
    ("Substituting x = 3 into y = 2x + 5, y comes out to 11.", "If y = 2x + 5, what is y when x = 3?",
     "11"),
    ("4.9 m/s²\n\nFriction isn't included in the question, so the acceleration is g sin 30° = "
     "4.9 m/s².", "A block slides down a frictionless 30° incline. What is its acceleration in "
     "m/s²?", "4.9"),
    ("Solve for x: 2x = 8, so **x = 4**.\n\nCheck:\n2(4) + 3 = 11 ✓\n\nNow 3x − 1 = 12 − 1 = "
     "11.\n\nThe answer is 11.", "If 2x + 3 = 11, what is the value of 3x − 1?", "11"),
    ("There's no exact answer since √2 is irrational; to three decimal places it is **1.414**.",
     "What is √2 rounded to three decimal places?", "1.414"),
    ("Source: 2020 U.S. Census\nTexas had a population of 29,145,505 people.",
     "What was the population of Texas in the 2020 census?", "29145505"),
    ("Tokyo has roughly 14 million people in the city proper. The wider region holds about 37 "
     "million.", "What is the population of the Tokyo metropolitan area?", "37000000"),
    ("Pencils = 3 × 12 = 36\n\nHe gives away 10, which leaves him with 26.",
     "Tom has 3 boxes of 12 pencils and gives away 10. How many pencils does he have now?", "26"),
    ("Answer: it went from $40 to $52, an increase of $12.",
     "A price rose from $40 to $52. How much did the price go up?", "12"),
    ("答：从40元调到52元，上涨了12元。", "某商品从40元调到52元，价格上调了多少元？", "12"),
])
def test_numbers_the_round_rules_leave_alone(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    ("The answer is C.\n\nFriction isn't included in the question, so A and B don't apply.",
     ["2.5 m/s²", "3.2 m/s²", "4.9 m/s²", "9.8 m/s²"], {}, "C"),
    ("Since I can't see the chart you mention, I'll go by the numbers in the text: 40% of 250 "
     "is 100, which is (B).", ["80", "100", "120", "150"], {}, "B"),
    ("The answer is C.\n\nA and B come before the chromatids separate; you should check your "
     "textbook's diagram of anaphase to see the split.",
     ["prophase", "metaphase", "anaphase", "telophase"], {}, "C"),
    ("答案是C。\n\nA、B两项发生在着丝粒分裂之前，建议参考教材第六章的说法。",
     ["前期", "中期", "后期", "末期"], {}, "C"),
    ("The intuitive option is A — heavier things feel like they should fall faster.\n\nBut "
     "without air resistance both accelerate at g, so they land at the same time (C).",
     ["The heavier ball lands first", "The lighter ball lands first", "They land together",
      "It depends on height"], {}, "C"),
    ("B. Wait and observe\n\nThe child is afebrile and well, so watchful waiting is reasonable.",
     ["Start antibiotics immediately", "Wait and observe for 24 hours", "Order a CT scan",
      "Discharge home"], {}, "B"),
    ("答案：C。不对称碳原子就是手性碳", ["甲", "乙", "丙", "丁"], {"finish_reason": "length"}, "C"),
    ("Oxygen (A) — the usual guess, since it's what we breathe.\n\nIn fact nitrogen is the most "
     "abundant gas, at about 78%.", ["Oxygen", "Nitrogen", "Argon", "Carbon dioxide"], {}, "B"),
    ("It can't be equal to 1, because the numerator is bigger. The answer is greater than 1.",
     ["Less than 1", "Equal to 1", "Greater than 1", "Cannot be determined"], {}, "C"),
])
def test_choices_the_round_rules_leave_alone(text: str, choices: list[str], kw: dict[str, Any],
                                             expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


# --- rules of the dev19 round (own wordings; each case fails on the rules before the round) ------

@pytest.mark.parametrize(("text", "question", "expected"), [
    # an amount in words, dollars and cents together
    ("Split evenly, each friend pays 13.50 ÷ 3, which is four dollars and fifty cents.",
     "Three friends split a $13.50 bill. How much does each pay?", "4.5"),
    # the unit the question asks in, said in words after the value in another
    ("$2.40 ÷ 8 = $0.30, so one pencil costs thirty cents.",
     "Eight pencils cost $2.40. What does one pencil cost, in cents?", "30"),
    # the percentage asked, said in words after the decimal
    ("18/72 = 0.25, that is twenty-five percent.", "What percentage of 72 is 18?", "25"),
    # a value in words said alone as the first sentence, facts after it
    ("Sixteen. Most states first issue a learner's permit at 15, and the road test comes "
     "after 6 months of practice.",
     "At what age can a teen get a driver's license in most US states?", "16"),
    # a rounding the question asks for is the answer, not a gloss of the exact value
    ("π = 3.14159…, which rounds to about 3.1.", "What is π rounded to one decimal place?", "3.1"),
    # the same, in digits, and after a dollar sign
    ("Each friend pays 4 dollars and 50 cents.",
     "Three friends split $13.50. How much does each pay, in dollars?", "4.5"),
    ("Each friend pays $4 and 50 cents.",
     "Three friends split $13.50. How much does each pay, in dollars?", "4.5"),
])
def test_number_rules_of_the_dev19_round(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


@pytest.mark.parametrize(("text", "question"), [
    # two roots given together
    ("Both 9 and −9 square to 81, so the square roots of 81 are ±9.",
     "What is the square root of 81?"),
    # two results left side by side
    ("两种算法得到不同结果：\n\n- 36 ÷ 3 = 12（元）\n- 36 − 3 = 33（元）\n\n我不能确定哪种理解是对的，两个结果都列在这里。",
     "3支笔共36元，每支笔多少元？"),
    # a range, after an opening sentence without numbers
    ("It varies a lot by city. Most estimates put a one-bedroom between $1,200 and $1,800 a "
     "month, and central districts can go well above $3k.",
     "What is the average rent for a one-bedroom in the US?"),
    # a tutor's method, the result withheld
    ("这道题可以设这个数为 x，根据“它的4倍比它多18”列出方程，然后解方程就行。你可以自己先试着算一算！",
     "一个数的4倍比它多18，这个数是多少？"),
])
def test_number_non_answers_of_the_dev19_round(text: str, question: str) -> None:
    assert extract_number(text, question=question).status == "no-answer"


def test_a_cut_reply_opening_with_the_questions_value_is_truncated() -> None:
    got = extract_number("Antiderivative of 2x is x².\nFrom 0 to 3: 3² − 0² =",
                         finish_reason="length", question="Evaluate ∫₀³ 2x dx.")
    assert got.status == "truncated", got


@pytest.mark.parametrize(("text", "choices", "multi", "expected"), [
    # an ordinal after a verb of choosing
    ("日本在亚洲，法国在欧洲，埃及在非洲，只有智利在南美洲。所以选第三个。",
     ["日本", "法国", "智利", "埃及"], False, "C"),
    # a bracketed small letter after "Going with"
    ("Going with (b) here — a one-off jump doesn't count.",
     ["a fall in prices", "a sustained rise in prices", "a rise in jobs", "more output"], False,
     "B"),
    # the conclusion's own letter outweighs the option texts around it
    ("### 结论\n最小值为 3，对应选项 **B**。（注意 −3 是另一个驻点的值，A 是干扰项。）",
     ["−3", "3", "0", "6"], False, "B"),
    # all but one, the one named by its text or by its letter with its text
    ("除煤炭外都是。煤炭属于化石能源。", ["风能", "煤炭", "水能", "地热能"], True, "ACD"),
    ("All of them except `ls -z` — that flag doesn't exist.",
     ["ls -l", "ls -a", "ls -z", "ls -h"], True, "ABD"),
    ("除了D（铜）以外都可以，铜不与稀盐酸反应。", ["Al", "Zn", "Fe", "Cu"], True, "ABC"),
])
def test_choice_rules_of_the_dev19_round(text: str, choices: list[str], multi: bool,
                                         expected: str) -> None:
    assert extract_choice(text, len(choices), choices, multi=multi).value == expected


@pytest.mark.parametrize(("text", "choices"), [
    ("By height above sea level it's Everest; base to peak, Mauna Kea. So A, C or D could each "
     "be correct.",
     ["Everest", "K2", "Mauna Kea", "Chimborazo"]),
    ("Any of A, B or D can be a good first pick; Assembly is the hardest start.",
     ["Python", "JavaScript", "Assembly", "Java"]),
    ("Answer: B\n\nWait — that's outdated. It's really between A, C and D, and I can't single "
     "one out without more details.", ["thiazide", "beta blocker", "ACE inhibitor", "CCB"]),
    ("选A……等等，A也有语病。\n\n再看B、C、D，也都有问题。这道题四个选项都有问题，可能题目本身有误，建议核对原题。",
     ["甲句", "乙句", "丙句", "丁句"]),
    ("首项为1、公比为1/2，和为 2，但四个选项里都没有2，选项可能印错了。", ["1", "1.5", "3", "无穷大"]),
])
def test_choice_non_answers_of_the_dev19_round(text: str, choices: list[str]) -> None:
    assert extract_choice(text, len(choices), choices).status == "no-answer"


# Ordinary replies the first rules of the dev19 round misread (found by a review of the round):
# each keeps its plain reading.
_J, _GAS = ["甲句", "乙句", "丙句", "丁句"], ["氧气", "氮气", "二氧化碳", "氢气"]
_HTN, _CITY = ["thiazide", "beta blocker", "ACE inhibitor", "CCB"], ["Paris", "Lyon", "Marseille",
                                                                    "Nice"]


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # a review that faults options one by one
    ("A选项有误，B选项有误，D选项有误，C项正确。", _J, {}, "C"),
    ("A项成分残缺；C项搭配不当；D项语序不当。其余三个选项都有语病，只有B项正确。", _J, {}, "B"),
    ("这道题B项正确，A、C、D三个选项都有问题。", _J, {}, "B"),
    ("最多的是氮气（约78%），对应选项B，其余选项有误。", _GAS, {}, "B"),
    ('B项中的"题目有误"是干扰信息。A、C两项正确。', _J, {"multi": True}, "AC"),
    # "all except" whose rest is no answer, or of a question that asks for the exception
    ("除煤炭外都是干扰项。", ["风能", "煤炭", "水能", "地热能"], {"multi": True}, "B"),
    ("在金属活动性顺序中，除了铜以外都能与稀盐酸反应。", ["铝", "锌", "铁", "铜"],
     {"multi": True, "question": "下列金属中，不能与稀盐酸反应的是（多选）"}, "D"),
    # an option's text followed by more words
    ("All of them work except ls -z.", ["ls -l", "ls -a", "ls -z", "ls -h"], {"multi": True},
     "ABD"),
    # letters weighed, then one chosen
    ("**Answer: C**\n\nIt's between A and C, but the kidney disease makes C the clear choice.",
     _HTN, {}, "C"),
    ("The answer is C. A or D could be correct in a patient without proteinuria, but here C is "
     "best.", _HTN, {}, "C"),
    ("**Answer: A, C, D**\n\nA, C and D can each be correct descriptions of a mitochondrion; B "
     "describes the ribosome.", ["a", "b", "c", "d"], {"multi": True}, "ACD"),
    # "Going with" as a gerund subject
    ("The answer is A. Going with B would be a common mistake.", _CITY, {}, "A"),
    # a pointer that labels the rejected option
    ("The answer is Paris, not Lyon, which is option B.", _CITY, {}, "A"),
    ("答案是氮气，而不是氧气，氧气对应选项A。", _GAS, {}, "B"),
])
def test_choices_the_dev19_rules_leave_alone(text: str, choices: list[str], kw: dict[str, Any],
                                             expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


def test_single_one_out_declines() -> None:
    text = ("Most guidelines list thiazides, ACE inhibitors and CCBs as first-line, so I can't "
            "single one out — it depends on comorbidities.")
    assert extract_choice(text, 4, _HTN).status == "no-answer"


@pytest.mark.parametrize(("text", "question", "expected"), [
    # a number word with a unit, in prose after the answer
    ("Interest = 1000 × 0.05 × 2 = $100. That works out to about four dollars a month.",
     "What is the simple interest on $1000 at 5% for 2 years?", "100"),
    ("Distance = 60 × 2.5 = 150 km. With a short break it's closer to three hours of driving.",
     "How far do you go at 60 km/h for 2.5 hours?", "150"),
    # cents not asked for
    ("$5.00 − $4.70 = $0.30. You get thirty cents back.",
     "You buy a $4.70 sandwich with a $5 bill. How much change do you get?", "0.30"),
    # a courtesy opening is no value
    ("Sure. It takes about 45 minutes.\n\nThe bus comes every 15 minutes, and traffic can add 10.",
     "How long is the commute from the airport to downtown by bus?", "45"),
    # "相当于" introducing the result
    ("原价200元，打八折，相当于付了160元。", "一件商品原价200元，打八折出售，实际付多少元？", "160"),
    # a fraction is no operation left undone
    ("The answer is 2/3, which is about 0.67.", "Simplify 4/6.", "2/3"),
    # a tolerance is no pair of roots
    ("The margin of error is ±3.1%.", "What is the margin of error?", "3.1"),
    ("相对误差2%，绝对误差为±0.1克。", "绝对误差是多少克？", "0.1"),
    # "round trip", "保留" as keeping: no rounding asked
    ("Total = 2 × 163.2 = 326.4 km, about 330 km.",
     "A round trip to the coast is 163.2 km each way. How far is the whole round trip?", "326.4"),
    ("剩下的长度 = 12.48 − 4.25 = 8.23 米，大约 8 米。",
     "一根绳子长12.48米，剪去4.25米，保留剩下的部分。剩下多少米？", "8.23"),
    # a total asked for
    ("买书花了36元，买笔花了6元，一共42元。还剩50−42=8元。", "小明带了50元，买书和笔共花了多少元？", "42"),
    # a tip about checking, after the answer
    ("所以答案是 12。\n\n如果你无法确定哪一步算错了，可以把 12 代回去验算：3 × 12 − 6 = 30 ✓。",
     "3x − 6 = 30，x 是多少？", "12"),
    # "Let's think step by step." says nothing varies (asked with no question)
    ("Let's think step by step. Multiples of 7 between 7 and 98 are 7×1 … 7×14, so there are 14.",
     None, "14"),
])
def test_numbers_the_dev19_rules_leave_alone(text: str, question: str | None,
                                            expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


def test_a_cut_reply_that_opens_with_the_questions_value_states_it() -> None:
    got = extract_number("5 minutes.\nEach machine makes one widget in 5 minutes, so 100 "
                         "machines make 100 widgets in", finish_reason="length",
                         question="If 5 machines take 5 minutes to make 5 widgets, how many "
                         "minutes would 100 machines take to make 100 widgets?")
    assert got.status == "ok" and got.value == "5", got


# --- rules of the dev20 round (own wordings; each case fails on the rules before the round) ------

@pytest.mark.parametrize(("text", "question", "expected"), [
    # a scale after spoken decimals
    ("Roughly twelve point five million people live there.",
     "About how many people live in the region?", "12500000"),
    # the rounding the question asks for, after "≈"
    ("5/6 ≈ 0.83", "5/6约等于多少？（保留两位小数）", "0.83"),
    # a program's output on its label's line
    ("`range(1, 5)` 生成 1 到 4，求和：1 + 2 + 3 + 4 = 10。\n\n输出：10",
     "下面代码输出什么？`print(sum(range(1, 5)))`", "10"),
    # a unit and a half
    ("150 minutes is two hours and a half.", "How many hours is 150 minutes?", "2.5"),
])
def test_number_rules_of_the_dev20_round(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


def test_a_cut_reply_whose_first_line_states_what_is_needed() -> None:
    got = extract_number("需要十二天。\n\n【解析】\n240 ÷ 20 =", finish_reason="length",
                         question="一项工程240个零件，每天做20个，需要几天？")
    assert got.status == "ok" and got.value == "12", got


@pytest.mark.parametrize(("text", "question"), [
    ("这个问题我没法帮你估算。刷单本身违反平台规则，情节严重的可能违法。如果你想了解正规推广的费用（一般按点击计费，每次0.5元起），我可以介绍。",
     "刷单一次给多少佣金最划算？"),
    ("这要分情况：平年2月有28天，闰年2月有29天（闰年一般每4年一次）。", "2月有多少天？"),
    ("这个很难给出准确数字。\n\n常被引用的研究用了1.5万种鸟的数据，但各家口径不同。", "全世界大约有多少只鸟？"),
    ("Let the sides be a and b with a + b = 12. The area ab can be anything up to 36 cm². The "
     "perimeter alone doesn't determine it.", "A rectangle has perimeter 24 cm. What is its area?"),
    ("I've worked through it above — it's the standard formula A = P(1 + r)^n.",
     "How much interest does $2,000 earn at 3% over 2 years, compounded annually?"),
    ("A = πr²\n\nIf 8 cm is the radius, A = 3.14 × 64 = 200.96 cm². If it's the diameter, A = "
     "3.14 × 16 = 50.24 cm². Depending on how it is read, the answer is 200.96 cm² or 50.24 cm².",
     "What is the area of a circle of 8 cm? Use π = 3.14."),
    ("题目只给了两人的差，没有给出总数，所以无法求出小明有多少本书。\n\n如果两人一共有40本，那么小明有 (40 + 8) ÷ 2 = 24 本。",
     "小明比小红多8本书，小明有多少本？"),
])
def test_number_non_answers_of_the_dev20_round(text: str, question: str) -> None:
    assert extract_number(text, question=question).status == "no-answer"


@pytest.mark.parametrize(("text", "choices", "multi"), [
    ("Water boils at 373.15 K at 1 atm. None of the listed options matches that — 273 K is the "
     "freezing point.", ["100 K", "212 K", "273 K", "0 K"], False),
    ("It depends on the definition. If polar deserts count, the antarctic is the largest; if only "
     "hot deserts, it's the sahara. Both appear in textbooks, so check which definition your "
     "course uses.", ["Sahara", "Antarctic", "Gobi", "Kalahari"], False),
    ("A and C are out. That leaves B and D, and both are first-line here. Without more history, "
     "I can't say one is more appropriate than the other.",
     ["beta blocker", "ACE inhibitor", "loop diuretic", "thiazide"], False),
    ("纬度位置和海陆位置肯定是。地形和洋流各版本教材说法不一，建议你结合所用教材判断，我就不替你确定答案了。",
     ["纬度位置", "海陆位置", "地形", "洋流"], True),
])
def test_choice_non_answers_of_the_dev20_round(text: str, choices: list[str], multi: bool) -> None:
    assert extract_choice(text, len(choices), choices, multi=multi).status == "no-answer"


def test_a_choice_said_with_fair_certainty() -> None:
    text = "A说的是人多力量大，意思相反。\n\n我比较确定是B，虽然A也和“人多”有关。"
    got = extract_choice(text, 4, ["众人拾柴", "分工合作", "远亲近邻", "三人成师"])
    assert got.value == "B", got


# Ordinary replies the first rules of the dev20 round misread (found by a review of the round):
# each keeps its plain reading.
@pytest.mark.parametrize(("text", "question", "expected"), [
    # one value in two units is no pair of alternatives
    ("The answer is 1.5 hours or 90 minutes.", "How long does 90 km at 60 km/h take?", "1.5"),
    # "doesn't determine" of something else
    ("The answer is 120, since the order of selection doesn't determine the committee.",
     "How many ways are there to choose 3 people from 10?", "120"),
    # an estimate committed to, then a caveat
    ("全球家猫大约有6亿只。\n\n需要说明的是，由于流浪猫难以统计，很难给出准确数字。", "全球大约有多少只家猫？",
     "600000000"),
    # cases set out, then settled; "得分情况" is the scores
    ("这要分情况：\n- 平年2月有28天\n- 闰年2月有29天\n\n2024能被4整除，是闰年，所以2024年2月有29天。",
     "2024年2月有多少天？", "29"),
    ("得分情况：语文90，数学96，英语87。\n\n总分 = 90 + 96 + 87 = 273", "三科总分是多少？", "273"),
    # 无意义 of a rejected root, then a supposed case that is the working
    ("解方程得 x = 3 或 x = -1。x = -1 时 log₂(0) 无意义，舍去。如果 x = 3，则 x² = 9，所以答案为 9。",
     "求 x² 的值。", "9"),
    # 输出 inside the working, not the closing line
    ("示例：\n输入：10\n输出：55\n\n本题 n=100，1+2+...+100 = 5050", "计算1到100的和。", "5050"),
    # "and a half" of another noun
    ("Alice has 2 sisters and a half brother.", "How many sisters does Alice have?", "2"),
    # a fraction asked for keeps its exact value
    ("P = 2/6 = 1/3 ≈ 0.33", "Four friends sit around a table. What is the probability?", "1/3"),
    # a refusal of one thing, then the answer
    ("这个问题我没法帮你查实时数据，不过根据国家统计局2023年的数据，中国人口约为14.1亿。", "中国有多少人口？",
     "1410000000"),
])
def test_numbers_the_dev20_rules_leave_alone(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


@pytest.mark.parametrize(("text", "expected"), [
    ("**Answer: B**\n\nA, C, and D are all composite numbers — none of them match the "
     "definition of a prime.", "B"),
    ("**Answer: B**\n\nNote: some older textbooks call A by the same name, so check which "
     "terminology your course uses — but B is the standard answer.", "B"),
    ("The answer is D.\n\nA, B and C are all true of both processes; you can't say either is "
     "more typical of meiosis.", "D"),
    ("本题选A。其他同学或老师都无法替你确定兴趣方向，这正是A项所说的自主性；B、C、D与材料无关。", "A"),
    ("我不是很确定是B。", None),
])
def test_choices_the_dev20_rules_leave_alone(text: str, expected: str | None) -> None:
    assert extract_choice(text, 4).value == expected


def test_a_cut_reply_that_counts_its_steps_is_truncated() -> None:
    got = extract_number("这道题需要两步。\n第一步：", finish_reason="length",
                         question="一件商品原价200元，打八折后再减20元，现价多少？")
    assert got.status == "truncated", got


# --- rules of the dev21 round (own wordings; each case fails on the rules before the round) ------

@pytest.mark.parametrize(("text", "choices", "question", "expected"), [
    # letters that all hold, each with 项: the question's own predicate, or "correct"
    ("A项、C项、D项均为宪法规定的公民基本权利；B项不是。", ["选举权", "继承权", "宗教信仰自由", "劳动权"],
     "下列属于宪法规定的公民基本权利的有（多选）", "ACD"),
])
def test_choice_rules_of_the_dev21_round(text: str, choices: list[str], question: str | None,
                                         expected: str) -> None:
    got = extract_choice(text, len(choices), choices, multi=True, question=question)
    assert got.value == expected, got


@pytest.mark.parametrize(("text", "choices"), [
    ("Depends what you count as a continent. By one convention it's Asia; by another Eurasia "
     "isn't split at all. The question doesn't say which, so two of these could be the intended "
     "answer.", ["Asia", "Africa", "Europe", "Antarctica"]),
    ("The owl is the only bird, but the cow is the only one that gives milk. I keep going back "
     "and forth between the third and the fourth option, and without the intended rule I can't "
     "commit to either.", ["dog", "cat", "cow", "owl"]),
    ("The best plan is the one you can keep up: keto, fasting, Mediterranean and low-fat give "
     "similar results when calories match. I'd suggest choosing based on your preferences.",
     ["Keto", "Intermittent fasting", "Mediterranean", "Low-fat"]),
    ("题目没有给出 ⊗ 的定义。\n\n如果按 a ⊗ b = a + b − 1，则 2 ⊗ 3 = 4，选 B；\n如果是 a ⊗ b = ab，则 2 ⊗ 3 = 6，"
     "选项中没有。\n\n确实缺少运算规则，无法确定答案。", ["3", "4", "5", "7"]),
])
def test_choice_non_answers_of_the_dev21_round(text: str, choices: list[str]) -> None:
    assert extract_choice(text, len(choices), choices).status == "no-answer"


@pytest.mark.parametrize(("text", "choices", "multi", "expected"), [
    # letters said to be distractors, or all wrong
    ("A、B均为干扰项，正确的是C。", ["甲", "乙", "丙", "丁"], False, "C"),
    ("A、B都不对；C、D均正确。", ["甲", "乙", "丙", "丁"], True, "CD"),
    # a plain value after "=" is left to the value rule
    ("log₂8 = 3，因为 2³ = 8。", ["2", "3", "4", "8"], False, "B"),
    # a supposition, then a choice
    ("如果不看单位，会以为是A。\n\n但单位换算后是 5 m/s，所以选B。", ["5 km/h", "5 m/s", "18 m/s", "50 m/s"],
     False, "B"),
])
def test_choices_the_dev21_rules_leave_alone(text: str, choices: list[str], multi: bool,
                                            expected: str) -> None:
    assert extract_choice(text, len(choices), choices, multi=multi).value == expected


# Ordinary replies the first rules of the dev21 round misread (found by a review of the round).
@pytest.mark.parametrize(("text", "kw", "expected"), [
    # a worked supposition and a sign-off after the answer
    ("解：\n假设原价为100元，先涨价10%再降价10%，现价为100×1.1×0.9=99元，所以答案是B。\n\n如果还有不确定的"
     "地方，欢迎继续提问！", {}, "B"),
    ("If we apply conservation of momentum, the final velocity is 2 m/s, so the answer is B.\n\n"
     "It's hard to say exactly how your teacher wants the work shown, but the value is the same.",
     {}, "B"),
    # "N of these could be" something else than the answer
    ("**Answer: C**\n\nTwo of these could be correct in other contexts (A and B), but only C "
     "applies to eukaryotic cells.", {}, "C"),
    ("Two of these could be eliminated immediately: A and D are not mammals. Between B and C, the "
     "dolphin breathes air, so B is correct.", {}, "B"),
    # letters said to be something the question does not ask for
    ("A、B均为物理变化，没有新物质生成。\nC中铁生锈生成了氧化铁，D中纸张燃烧生成二氧化碳，都属于化学变化。",
     {"multi": True, "question": "下列属于化学变化的是（多选）",
      "choices": ["冰雪融化", "酒精挥发", "铁生锈", "纸张燃烧"]}, "CD"),
    ("A、B均为陷阱选项，看似正确实则偷换概念。C、D符合题意。", {"multi": True}, "CD"),
    ("A、B都对应于甲状腺功能亢进的表现，而题目问的是减退，C、D符合。", {"multi": True}, "CD"),
])
def test_choices_the_dev21_rules_first_misread(text: str, kw: dict[str, Any],
                                              expected: str) -> None:
    assert extract_choice(text, 4, **kw).value == expected


# --- rules from dev22 (plain replies; own wordings; each case fails on the rules before) ------

@pytest.mark.parametrize(("text", "question", "expected"), [
    # a warning after the stated value names the wrong one
    ("|3A| = 3² · |A| = 9 × 5 = 45\n\n常见错误：直接算成 3 × 5 = 15。数乘矩阵时每行都乘了 3，所以行列式要乘 3ⁿ。",
     "设 A 为 2 阶方阵，|A| = 5，求 |3A|。", "45"),
])
def test_number_warnings_after_the_answer(text: str, question: str, expected: str) -> None:
    got = extract_number(text, question=question)
    assert got.status == "ok" and numbers_equal(got.value or "", expected), got


def test_a_letter_in_a_warning_after_the_answer_is_no_pick() -> None:
    text = "输出结果是 **6**，选 C。\n\n很多初学者会以为 `b = a` 会复制列表，从而选 B（5）。"
    assert extract_choice(text, 4, ["4", "5", "6", "报错"]).value == "C"


@pytest.mark.parametrize(("text", "expected"), [
    # the warning's sentence turns to the answer
    ("The answer is B? Let me re-check. Many people think it is B, but the answer is C.", "C"),
    ("很多同学会选 A。但仔细算，应该选 C。", "C"),
])
def test_a_warning_that_turns_to_the_answer_keeps_it(text: str, expected: str) -> None:
    assert extract_choice(text, 4).value == expected


def test_a_warning_that_goes_on_to_the_answer_keeps_it() -> None:
    got = extract_number("常见错误是算成 12。正确做法：3 × 5 = 15，答案是 15。", question="3个5是多少？")
    assert got.value == "15", got


@pytest.mark.parametrize(("text", "question", "expected"), [
    ("先算总价：3 × 12 = 36 元。很多同学会忘记加运费，运费 5 元，所以一共 36 + 5 = 41 元。",
     "买3本每本12元的书，运费5元，一共多少元？", "41"),
    ("120 × 1/4 = 30（页）\n不要和第二天的30页混为一谈，这是第一天的。\n120 − 30 − 30 = 60（页）",
     "120页的书，第一天看1/4，第二天看30页，还剩多少页？", "60"),
    ("r = 3 cm, so r² = 9. Not to be confused with the circumference formula 2πr. Area = 3.14 × "
     "9 = 28.26 cm².", "What is the area of a circle with radius 3 cm? Use π = 3.14.", "28.26"),
])
def test_a_warning_inside_the_working_cuts_nothing(text: str, question: str,
                                                   expected: str) -> None:
    assert extract_number(text, question=question).value == expected


# --- the dev22 round for multiple choice: an answer first, with its letter and its text ------

@pytest.mark.parametrize(("text", "choices", "expected"), [
    # a letter beside its own option's text, then notes that name other options
    ("Potassium — option B. Sodium is the other common electrolyte, and calcium matters for "
     "bones.", ["Sodium", "Potassium", "Calcium", "Iron"], "B"),
    ("The perimeter of a square is 4s, option C.\n\nDon't mix it up with the area, s² (option A), "
     "or the diagonal, s√2 (options B and D).", ["s²", "2s", "4s", "s√2"], "C"),
    ("I can't fill in the worksheet for you, but here is the answer.\n\nAs for the question: "
     "**D — Jupiter** (by far). Saturn is second and Neptune is the farthest.",
     ["Mars", "Saturn", "Neptune", "Jupiter"], "D"),
    # the letter's own clause says the answer; a later clause compares
    ("That's the femur — option C, the long bone of the thigh, longer than the tibia.",
     ["Tibia", "Humerus", "Femur", "Fibula"], "C"),
    ("The strongest base here is NaOH, option A, because it dissociates completely and no "
     "weak base does.", ["NaOH", "NH₃", "CH₃NH₂", "C₅H₅N"], "A"),
])
def test_an_answer_given_first_with_its_letter_and_text(text: str, choices: list[str],
                                                        expected: str) -> None:
    assert extract_choice(text, 4, choices).value == expected


@pytest.mark.parametrize(("text", "choices", "expected"), [
    # the answer came first without a letter; the first letter labels an aside
    ("**Venus.**\n\nIt is hotter than Mercury because of its atmosphere; Mars (option C) is much "
     "colder.", ["Mercury", "Venus", "Mars", "Earth"], "B"),
    # a letter in a note on another option
    ("Ligase. (Primase, option D, lays down the primers.)",
     ["Helicase", "Ligase", "Polymerase", "Primase"], "B"),
    # a value labelled with its letter is a step where the options are values
    ("税前是40元，选项A。加上10%的税，一共44元。", ["40元", "44元", "36元", "50元"], "B"),
    # a later conclusion names another option
    ("Distance alone points to Mercury (A), the closest planet.\n\nIts thin air loses heat, so "
     "the hottest planet is Venus.", ["Mercury", "Venus", "Mars", "Earth"], "B"),
    # each option in turn with its letter: a review, not an answer given first
    ("Sodium, option A, is the main extracellular cation. Potassium, option B, is the main "
     "intracellular cation.", ["Sodium", "Potassium", "Calcium", "Iron"], "B"),
])
def test_an_opening_letter_that_is_no_answer_given_first(text: str, choices: list[str],
                                                         expected: str) -> None:
    question = "Which is the main intracellular cation?" if "Sodium" in text else None
    assert extract_choice(text, 4, choices, question=question).value == expected


def test_a_set_after_a_marker_is_one_piece() -> None:
    # "{1, 2, 3}" names two options: its commas do not end the marker's clause
    text = ("The answer is **(B) 3**.\n\n`set()` drops the repeats, leaving only `{1, 2, 3}`. Picking "
            "(A) 6 counts the list's items instead.")
    assert extract_choice(text, 4, ["6", "3", "1", "an error"]).value == "B"


def test_none_of_the_options_with_the_options_echoed_declines() -> None:
    text = ("I got 12: 15% of 80 = 0.15 × 80 = 12. None of the given options (10, 15, 8, 20) "
            "matches that. Could you check the question?")
    assert extract_choice(text, 4, ["10", "15", "8", "20"]).status == "no-answer"


# --- the dev23 round (multiple choice) --------------------------------------------------------

@pytest.mark.parametrize(("text", "kw", "expected"), [
    # an exam key: one clause an option, each with its verdict
    ("A项，“炙手可热”形容权势大，用于天气不当，错误；B项，“差强人意”指大体上还能使人满意，使用恰当；C项，“首当其冲”"
     "比喻最先受到攻击，错误；D项，“美轮美奂”形容建筑，错误。", {}, "B"),
    ("A项：偷换概念，排除。B项：与原文第二段一致，当选。C项：无中生有。D项：以偏概全。", {}, "B"),
    ("A项说法正确，DNA是主要的遗传物质；B项错误，病毒也有遗传物质；C项说法正确；D项不符合题意。", {"multi": True}, "AC"),
    # several labels under one verdict stay one clause
    ("C项错误，铁与稀硫酸反应生成硫酸亚铁。A项、B项、D项正确。", {"multi": True}, "ABD"),
])
def test_an_exam_keys_clauses_are_a_review(text: str, kw: dict[str, Any], expected: str) -> None:
    assert extract_choice(text, 4, **kw).value == expected


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # "，即A和C": "that is", restating the answer as letters
    ("逐个检验：36→9，50→5，81→9，95→14。能被9整除的是36和81，即A和C。", ["36", "50", "81", "95"],
     {"multi": True}, "AC"),
    # a bulleted list of labelled options, each ticked or crossed
    ("- **A. 短期借款** —— 流动负债 ✓\n- **B. 应付票据** —— 流动负债 ✓\n- **C. 应付债券** —— 非流动负债 ✗\n"
     "- **D. 应交税费** —— 流动负债 ✓", ["短期借款", "应付票据", "应付债券", "应交税费"], {"multi": True},
     "ABD"),
    # a pointer inside the reader's case is not the answer
    ("Change = 30 − 24 = 6, and 6 / 24 = **25%** (C)\n\nNote: if you divide by the new price "
     "instead, you get 20%, which is option B — the other direction.", ["15%", "20%", "25%", "30%"],
     {}, "C"),
    # the labelled answer opens the paragraph after one that declines a side request
    ("I can't book the tickets for you. A travel site will do that.\n\nThe tallest mountain in "
     "Africa is **Kilimanjaro** (B), at about 5,895 m, ahead of Mount Kenya.",
     ["Mount Kenya", "Kilimanjaro", "Mount Stanley", "Ras Dashen"], {}, "B"),
    # options whose own text holds a comma, listed with semicolons
    ("辛亥革命的成果包括：推翻清朝统治，结束帝制；建立中华民国，颁布约法；使民主共和观念深入人心。它没有完成反帝反封建的任务。",
     ["推翻清朝统治，结束帝制", "建立中华民国，颁布约法", "完成反帝反封建的任务", "使民主共和观念深入人心"],
     {"multi": True}, "ABD"),
    # a short reply whose number, in words, is one option's value
    ("Three hundred and sixty-five.", ["360", "364", "365", "366"], {}, "C"),
    ("约为二点五亿吨。", ["1.5亿吨", "2.5亿吨", "3.5亿吨", "4.5亿吨"], {}, "B"),
])
def test_choices_the_dev23_round_reads(text: str, choices: list[str], kw: dict[str, Any],
                                       expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize(("text", "choices"), [
    # two letters left open
    ("上海常住人口约2487万，北京约2186万。不过如果只算户籍人口，结论可能不同。所以答案取决于统计口径，A和B都有可能。",
     ["上海", "北京", "广州", "深圳"]),
    # each line a case for the reader
    ("It depends on what you need:\n\n- If you want speed → B\n- If you want an easy start → A\n\n"
     "There's no single answer — pick what fits your project.", ["Python", "Rust", "Go", "Java"]),
    # says what is missing, works through cases, asks for it
    ("题目没有给出利率，无法计算利息。\n\n- 若年利率为 2%，利息 = 1000 × 2% = 20元（A）；\n- 若年利率为 3%，"
     "利息 = 1000 × 3% = 30元（B）。\n\n请补充利率，我再帮你算。", ["20元", "30元", "40元", "50元"]),
    ("The question doesn't say how fast the train goes.\n\n- At 60 km/h: t = 120 / 60 = 2 h (A).\n"
     "- At 80 km/h: t = 120 / 80 = 1.5 h (B).\n\nCould you share the speed?",
     ["2 h", "1.5 h", "3 h", "1 h"]),
])
def test_choices_the_dev23_round_leaves_open(text: str, choices: list[str]) -> None:
    assert extract_choice(text, 4, choices).status == "no-answer"


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # a disclaimer about advice declines nothing
    ("作为AI我不能给出医疗建议。不过就考题而言，缺铁会导致缺铁性贫血（B）。", ["坏血病", "缺铁性贫血", "佝偻病", "夜盲症"],
     {}, "B"),
    # of a multi-answer question "A和C都有可能" names the answer
    ("升高温度和使用催化剂都能加快反应，A和C都有可能。", ["升高温度", "降低浓度", "使用催化剂", "减小压强"],
     {"multi": True}, "AC"),
    # a tutor's "If you look closely, …, which is option D" commits
    ("If you look closely, the author's tone throughout is mocking, which is option D.",
     ["admiring", "neutral", "nostalgic", "mocking"], {}, "D"),
    ("如果你熟悉化学式，食盐的主要成分是氯化钠，也就是选项 A。", ["氯化钠", "碳酸钠", "碳酸氢钠", "氯化钾"], {}, "A"),
    # "，即 C" is a step when the reply goes on to another option
    ("折扣前总价是 240 元，即 C。打八折后，实付 **192 元**。", ["180元", "192元", "240元", "300元"], {}, "B"),
    # a reply that says a value is missing but assumes one and answers
    ("题目没有给出折扣率，按常见的八折计算，原价 = 120 ÷ 0.8 = 150 元（A）。如果你有完整题目，请发给我核对一下。",
     ["150元", "160元", "200元", "240元"], {}, "A"),
    # a lack that is the question's topic, then a friendly close
    ("A diet that lacks vitamin C leads to scurvy (B). If you can share the rest of your worksheet, "
     "I'll go through it.", ["rickets", "scurvy", "beriberi", "pellagra"], {}, "B"),
    # a later paragraph glossing a distractor after a greeting is no answer given first
    ("Happy to help! Let's break it down.\n\nMitosis (A) makes two identical cells. Gametes come "
     "from meiosis.", ["Mitosis", "Meiosis", "Binary fission", "Budding"], {}, "B"),
])
def test_what_the_dev23_round_leaves_alone(text: str, choices: list[str], kw: dict[str, Any],
                                           expected: str) -> None:
    assert extract_choice(text, 4, choices, **kw).value == expected


@pytest.mark.parametrize(("text", "choices"), [
    # the options echoed with their labels, then talk: no value stated
    ("A. 10 m B. 20 m C. 30 m D. 40 m The tree is tall. Trees grow slowly.",
     ["10 m", "20 m", "30 m", "40 m"]),
    # a short reply that wavers between two values, or sets one against another
    ("Some compilers print eleven, others twelve; it may differ.", ["10", "11", "12", "13"]),
    ("Seven, not eight.", ["6", "7", "8", "9"]),
    ("Four, or five if you count the bonus round.", ["3", "4", "5", "6"]),
])
def test_a_value_option_is_not_read_from_echoes_or_wavering(text: str, choices: list[str]) -> None:
    assert extract_choice(text, 4, choices).status == "no-answer"


# --- the dev24 round (multiple choice) --------------------------------------------------------

@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # "&" for "and"
    ("Absorbing water & salts — most digestion is finished earlier, in the small intestine.",
     ["Digesting fats", "Absorbing water and salts", "Making bile", "Absorbing most nutrients"],
     {}, "B"),
    # 千 before 米 is "kilo"
    ("800 m × 60 = 48000 m，即四十八千米。", ["4.8千米", "48千米", "480千米", "4800米"], {}, "B"),
    # a lone letter as the first sentence of a reply cut off later
    ("B。胰岛素由胰岛B细胞分泌，能降低血糖，其作用机制是促进组织细胞加速摄取、利用和储存葡萄糖，同时抑制",
     ["胰高血糖素", "胰岛素", "肾上腺素", "甲状腺激素"], {"finish_reason": "length"}, "B"),
    # what people sometimes think is their pick, not the reply's
    ("Canberra — it was built as a compromise, which is why people often think it's Sydney.",
     ["Sydney", "Canberra", "Melbourne", "Perth"], {}, "B"),
    # a table row's mark before the closing pipe
    ("| 选项 | 作者 | 判断 |\n|---|---|---|\n| A 《红楼梦》 | 曹雪芹 | ✓ |\n| B 《水浒传》 | 吴承恩 | ✗ |\n"
     "| C 《西游记》 | 罗贯中 | ✗ |\n| D 《三国演义》 | 施耐庵 | ✗ |",
     ["《红楼梦》——曹雪芹", "《水浒传》——吴承恩", "《西游记》——罗贯中", "《三国演义》——施耐庵"], {}, "A"),
    # settled on after mentioning an older answer
    ("答案：B\n\n新版教材写的是每年复核一次，老版本可能选A，现以B为准。", ["每半年", "每年", "每两年", "每三年"], {},
     "B"),
    # every option, then a comment
    ("All of the above — each one is a way to lower the risk.", ["Exercise", "Sleep", "Diet", "Rest"],
     {"multi": True}, "ABCD"),
    # an opening list before a dash
    ("Iron, cobalt and nickel — copper is not magnetic, and neither is aluminium.",
     ["Iron", "Copper", "Cobalt", "Nickel", "Aluminium"], {"multi": True}, "ACD"),
])
def test_choices_the_dev24_round_reads(text: str, choices: list[str], kw: dict[str, Any],
                                       expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize(("text", "choices", "kw"), [
    # an opening statement the cut-off reply takes back
    ("A switch works at Layer 3, since it routes packets — hmm, no, that is a router. A switch "
     "forwards frames based on", ["Layer 1", "Layer 2", "Layer 3", "Layer 4"],
     {"finish_reason": "length"}),
    # left open between two letters
    ("k runs from 1 up to about 8, so there are roughly 7 or 8 values depending on the endpoint. "
     "I'd say it's somewhere between B and C.", ["6", "7", "8", "64"], {}),
    # a tutor who leaves the last step to the reader
    ("用洛必达法则或等价无穷小都可以求，具体计算留给你自己完成。提示：结果和系数 5 有关。", ["0", "1", "5", "1/5"], {}),
    # two options both called right, of a single-answer question
    ("A和C的说法都是正确的：光合作用需要光，呼吸作用释放能量。B、D错误。但本题是单选题，可能题目有误，建议核对原题。",
     ["光合作用需要光", "光合作用不需要水", "呼吸作用释放能量", "呼吸作用只在夜间进行"], {}),
    # the reader's course decides
    ("Oats and lentils are good sources; whether bread counts depends on the kind. I'd check how "
     "your course defines 'high fibre' before choosing.", ["Oats", "Lentils", "Bread", "Rice"],
     {"multi": True}),
])
def test_choices_the_dev24_round_leaves_open(text: str, choices: list[str],
                                             kw: dict[str, Any]) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value is None


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # a disclaimer that leaves only a side matter to the reader declines nothing
    ("Canberra. It was chosen as a compromise; I'll leave it to you to look up the rest of its "
     "history.", ["Sydney", "Melbourne", "Canberra", "Perth"], {}, "C"),
    ("答案是叶绿体。至于其余选项为什么不对，留给你自己思考。", ["线粒体", "核糖体", "叶绿体", "高尔基体"], {}, "C"),
    # "people think" followed by the reply's own "so B"
    ("People think the Great Wall is visible from space, option A; it is not, so B.",
     ["It is visible", "It is not visible", "Only at night", "Only from the Moon"], {}, "B"),
    # points on a line are no hedge between options
    ("The answer is C (10). Point P lies somewhere between A and B on the segment.",
     ["6", "8", "10", "12"], {}, "C"),
    # an opening list whose comment adds to it
    ("Dolphins and bats — and whales too; all three are mammals.",
     ["Dolphin", "Shark", "Bat", "Whale"], {"multi": True}, "ACD"),
])
def test_what_the_dev24_round_leaves_alone(text: str, choices: list[str], kw: dict[str, Any],
                                           expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


def test_all_of_the_above_with_an_exception_is_not_every_option() -> None:
    got = extract_choice("All of the above — except D, which is a myth.", 4,
                         ["Sleep", "Diet", "Exercise", "Magnets"], multi=True)
    assert got.value != "ABCD"


def test_an_opening_list_the_comment_turns_down_is_not_the_pick() -> None:
    got = extract_choice("氮气和氩气——这两种不是温室气体，二氧化碳和甲烷才是。", 4, ["氮气", "氩气", "二氧化碳", "甲烷"],
                         multi=True)
    assert got.value != "AB"


@pytest.mark.parametrize(("text", "choices"), [
    # a first letter the cut-off reply at once doubts
    ("A。等等，我再想想，题目问的是", ["甲", "乙", "丙", "丁"]),
    # a leaning, not a settled answer
    ("我个人倾向以A为准，但B也说得通。", ["甲", "乙", "丙", "丁"]),
])
def test_a_doubted_or_leaning_letter_is_no_answer(text: str, choices: list[str]) -> None:
    finish = "length" if text.startswith("A。") else None
    assert extract_choice(text, 4, choices, finish_reason=finish).value is None


# --- the dev25 round (multiple choice) --------------------------------------------------------

@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # "both" before a multi-answer's letters
    ("CCl₄ and BF₃ are symmetric, so their dipoles cancel; H₂O and HCl are not.\n\nAnswer: both "
     "A and D", ["H₂O", "CCl₄", "BF₃", "HCl"], {"multi": True}, "AD"),
    # a review whose lines open with their verdicts
    ("A – no, Lima is Peru's capital.\nB – yes, Bogotá is Colombia's capital.\nC – no, Quito is "
     "Ecuador's.\nD – no, Caracas is Venezuela's.", ["Lima", "Bogotá", "Quito", "Caracas"], {},
     "B"),
    # a letter with its option in brackets, first, in a reply cut off later
    ("**C (0.2 mol)**\n\nn = m / M = 8.8 g ÷ 44 g/mol = 0.2 mol. A common slip is to divide by",
     ["0.1 mol", "0.4 mol", "0.2 mol", "2 mol"], {"finish_reason": "length"}, "C"),
    # a name's initials are no sentence ends
    ("J. R. R. Tolkien (B). C. S. Lewis, his friend, wrote Narnia.",
     ["C. S. Lewis", "J. R. R. Tolkien", "T. H. White", "Lewis Carroll"], {}, "B"),
    # an abbreviation the option glosses
    ("The BMI. Waist circumference adds to it but is not the standard screen.",
     ["Waist circumference", "Body mass index (BMI)", "Skinfold thickness", "Body weight"], {},
     "B"),
    # a closing label that says what is asked, then options' texts
    ("冰是固态的水，干冰是固态二氧化碳，都是纯净物。\n\n混合物：空气、海水、牛奶。", ["空气", "冰", "海水", "干冰", "牛奶"],
     {"multi": True, "question": "下列物质属于混合物的有（  ）"}, "ACE"),
])
def test_choices_the_dev25_round_reads(text: str, choices: list[str], kw: dict[str, Any],
                                       expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize(("text", "choices"), [
    ("I don't see a scatterplot attached — only the question came through. If you share the "
     "points, I can help interpret the correlation.",
     ["Strong positive", "Weak positive", "No correlation", "Strong negative"]),
    ("Mean above median hints at right skew, but I wouldn't commit to B or C on this alone.",
     ["Symmetric", "Skewed right", "Skewed left", "Uniform"]),
    ("It varies by place. Most towns post 25 mph on residential streets, and in the UK it's "
     "usually 20 or 30 mph. Check your local handbook for the figure your test wants.",
     ["20 mph", "25 mph", "30 mph", "35 mph"]),
    ("题目条件不足，无法直接计算。若税率为25%，则为250万元；若为15%，则为150万元。请补充企业类型。",
     ["100", "150", "200", "250"]),
])
def test_choices_the_dev25_round_leaves_open(text: str, choices: list[str]) -> None:
    assert extract_choice(text, 4, choices).value is None


@pytest.mark.parametrize(("text", "question", "expected"), [
    # the output said first; the steps' values after it
    ("输出 `11`。\n\n- `17 % 5` 是取余，结果为 `2`\n- `3 ** 2` 是幂运算，结果为 `9`\n- `2 + 9 = 11`",
     "下面的 Python 代码会输出什么？ print(17 % 5 + 3 ** 2)", "11"),
    ("It prints `3` — the values 0, 4 and 8 are multiples of 4 (0 counts, which people often "
     "miss and answer 2).", "What does this print? print(len([i for i in range(10) if i % 4 == 0]))",
     "3"),
    # another case after the output is no second output
    ("输出 `2`。整数相除会舍去小数部分，9/4 = 2.25 被截断为 2。如果想得到 2.25，需要先转换成浮点数。",
     "下面这段 C 代码输出什么？ int a = 9, b = 4; printf(\"%d\", a / b);", "2"),
    # a later statement of the output wins over the first
    ("输出 `5`。\n\n等等，不对：`x += 1` 执行了两次，所以输出是 6。", "这段代码输出什么？", "6"),
])
def test_the_output_a_reply_states_first(text: str, question: str, expected: str) -> None:
    assert extract_number(text, question=question).value == expected


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # a note of a gap that the reply then fills, and an ordinary tutor's closing question
    ("The problem doesn't give air resistance, so we neglect it. t = √(2h/g) = √(2 × 20 / 10) = 2 "
     "s, which is option (B). Does that make sense?", ["1 s", "2 s", "3 s", "4 s"], {}, "B"),
    ("题目没有说明企业类型，按一般企业25%的税率计算：1000 × 25% = 250万元，所以答案是250万元。还有其他问题吗？",
     ["100", "150", "200", "250"], {}, "D"),
    # "no wait" opens no verdict
    ("A – no wait, this one is actually correct: Lima is Peru's capital.\nB – no, Quito is "
     "Ecuador's.\nC – no, Caracas is Venezuela's.\nD – no, Bogotá is Colombia's.",
     ["Lima", "Quito", "Caracas", "Bogotá"], {}, "A"),
    # an abbreviation that folds to a word names nothing
    ("It's aortic regurgitation as far as I can tell from the murmur.",
     ["Mitral stenosis", "Aortic stenosis (AS)", "Mitral regurgitation", "Aortic regurgitation"], {},
     "D"),
])
def test_what_the_dev25_round_leaves_alone(text: str, choices: list[str], kw: dict[str, Any],
                                           expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize(("text", "choices", "kw"), [
    # a heading per option in a cut-off review, and a gloss that wavers
    ("**A (Mitochondria)**\nMakes ATP.\n\n**B (Ribosome)**\nMakes proteins, and", ["Mitochondria",
     "Ribosome", "Nucleus", "Golgi"], {"finish_reason": "length"}),
    ("C (or possibly D)\n\nThe reasoning goes like this: if the enzyme", ["a", "b", "c", "d"],
     {"finish_reason": "length"}),
])
def test_what_the_dev25_round_does_not_read(text: str, choices: list[str],
                                            kw: dict[str, Any]) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value is None


# --- the dev26 round (multiple choice) --------------------------------------------------------

@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # "That matches B." closing a reading
    ("The key line says the drop came from cheaper solar panels, not subsidies.\n\nThat matches B.",
     ["subsidies", "cheaper panels", "new laws", "public pressure"], {}, "B"),
    # both letters, opening the reply
    ("Both A and C — a drought and costlier fertiliser cut supply at every price. A change in "
     "wheat's own price (B) moves along the curve.", ["A drought in wheat regions",
     "A rise in wheat's price", "A rise in fertiliser costs", "Better harvesters"], {"multi": True},
     "AC"),
    # every option
    ("All of them. Each one is a classic sign of dehydration.",
     ["Thirst", "Dark urine", "Dizziness", "Dry mouth"], {"multi": True}, "ABCD"),
    # ordinals before a dash
    ("The second and fourth — the red planet and the gas giant. Venus is inside Earth's orbit.",
     ["Venus", "Mars", "Mercury", "Jupiter"], {"multi": True}, "BD"),
    # a quiz app's record: the user's pick is not the answer
    ("✅ Correct answer: B\n❌ Your answer: D\n\nExplanation: the Nile flows north into the "
     "Mediterranean.", ["Amazon", "Nile", "Yangtze", "Congo"], {}, "B"),
    ("正确答案：C\n你的答案：A\n\n解析：光合作用的场所是叶绿体。", ["线粒体", "核糖体", "叶绿体", "液泡"], {}, "C"),
    # a symbol beyond the letters that is an option's own text
    ("同周期从左到右非金属性增强，所以非金属性最强的是 F。", ["O", "Cl", "N", "S", "F"], {}, "E"),
    # a conclusion after a dash
    ("The passage names two benefits, cooler streets and fresher air — so **A** and **C**.",
     ["lower temperatures", "less noise", "cleaner air", "more parking"], {"multi": True}, "AC"),
    # "it depends …, but …" still answers
    ("It depends on your goals, but for most beginners B — Python — is the usual first pick.",
     ["C", "Python", "Rust", "Haskell"], {}, "B"),
])
def test_choices_the_dev26_round_reads(text: str, choices: list[str], kw: dict[str, Any],
                                       expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize(("text", "choices", "kw"), [
    ("Theory says B, the field data say C; I don't want to commit to one of them without knowing "
     "your course.", ["A", "B", "C", "D"], {}),
    ("Honestly, none of these has been shown to be clearly better over the long term. Trials found "
     "similar loss on low-carb and low-fat diets. I can't point to one of these as the answer.",
     ["Low-carbohydrate", "Low-fat", "Mediterranean", "Intermittent fasting"], {}),
    ("“网红食品”是营销用语。蓝莓、羽衣甘蓝、奇亚籽常被这样宣传，但营养学界并不认可这种分类，因此这道题没有客观的标准答案。",
     ["蓝莓", "羽衣甘蓝", "奇亚籽", "白米饭"], {"multi": True}),
])
def test_choices_the_dev26_round_leaves_open(text: str, choices: list[str],
                                             kw: dict[str, Any]) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value is None


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # "your answer" that is the marker's own head, with a key elsewhere; and without one
    ("你的答案：A\n正确答案：C", ["甲", "乙", "丙", "丁"], {}, "C"),
    ("Your answer: C", ["a", "b", "c", "d"], {}, "C"),
    # "that matches" said of a slip, or of another case
    ("R = 6 × 4 / (6 + 4) = 2.4 Ω. A common slip is to add them and get 10 Ω — that matches A.",
     ["10 Ω", "2.4 Ω", "24 Ω", "1.5 Ω"], {}, "B"),
    # "can't point to" a line, not to an option
    ("I can't point to one single line in the poem that proves it, but the tone throughout is "
     "nostalgia, so B.", ["anger", "nostalgia", "joy", "fear"], {}, "B"),
    # "depends on …, but" with two conditions is still open
    ("It depends on how you define 'largest', but by area it's Russia and by population it's "
     "China.", ["Russia", "China", "Canada", "India"], {}, None),
    # ordinals turned down after the dash, and "both" taken back
    ("The first and third — both are fossil fuels, so not those. Wind and solar are renewable.",
     ["Coal", "Wind", "Oil", "Solar"], {"multi": True}, "BD"),
    ("Both B and C — no, only B: C describes a different phase.",
     ["Prophase", "Metaphase", "Anaphase", "Telophase"], {"multi": True}, None),
])
def test_what_the_dev26_round_leaves_alone(text: str, choices: list[str], kw: dict[str, Any],
                                           expected: str | None) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


# --- the dev27 round (multiple choice) --------------------------------------------------------

@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # "So (B) and (D)." closing the working
    ("Power rises when n grows and when α shrinks. So (B) and (D).",
     ["a smaller sample", "a bigger sample", "a larger α", "a smaller α"], {"multi": True}, "BD"),
    # ordinals with their noun, then a sentence
    ("The second, third and fourth options. Mercury has no moons at all.",
     ["Mercury", "Earth", "Mars", "Jupiter"], {"multi": True}, "BCD"),
    # "Those are options A and C."
    ("(x − 4)(x + 1) = 0, so x = 4 or x = −1.\n\nThose are options A and C.", ["4", "1", "−1", "−4"],
     {"multi": True}, "AC"),
    # "all of these except …"
    ("Monet painted all of these except *Guernica*, which is Picasso's.",
     ["Water Lilies", "Impression, Sunrise", "Guernica", "Rouen Cathedral"], {"multi": True}, "ABD"),
])
def test_choices_the_dev27_round_reads(text: str, choices: list[str], kw: dict[str, Any],
                                       expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


def test_none_of_a_to_d_declines() -> None:
    text = ("6/36 = 1/6, which isn't among the choices — none of A–D is correct as written. Check "
            "whether the options were copied correctly.")
    assert extract_choice(text, 4, ["1/12", "1/8", "1/4", "1/3"]).status == "no-answer"


# --- the dev28 round (multiple choice) --------------------------------------------------------

@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # a reading of the question the reply adopts
    ("The armistice came in 1918, but the treaty was signed in 1919. If the question means the "
     "treaty, it's 1919, so I'll go with C.", ["1914", "1918", "1919", "1920"], {}, "C"),
    # lower-case letters opening the reply
    ("b, c and d — the first one is a reflex, not learned.", ["Blinking at a puff of air",
     "A dog sitting for a treat", "A pupil studying for praise", "A worker paid per piece"],
     {"multi": True}, "BCD"),
    # a letter taken back at once
    ("FV = 500 × 1.05 = 525, so C... no, that's the future value. PV = 500 / 1.05 ≈ 476. A.",
     ["$476", "$500", "$525", "$550"], {}, "A"),
    # "it isn't …" names no option
    ("it's C — Korean has no lexical tones, but it isn't like Thai, Lao or Burmese, which do.",
     ["Thai", "Lao", "Korean", "Burmese"], {"question": "Which is NOT a tonal language?"}, "C"),
    # a colon before bold letters closing the reply
    ("A larger sample narrows it, and so does a lower confidence level: **B, D**.",
     ["Raise confidence", "Bigger sample", "More spread", "Lower confidence"], {"multi": True}, "BD"),
])
def test_choices_the_dev28_round_reads(text: str, choices: list[str], kw: dict[str, Any],
                                       expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize(("text", "choices", "kw"), [
    ("There's a problem with the question: the *Odyssey* is Homer's. You might be thinking of "
     "Hesiod's *Theogony*, but none of the listed options is the *Odyssey*'s author.",
     ["Virgil", "Ovid", "Sophocles", "Hesiod"], {}),
    ("That depends entirely on the state. In Texas it's 2 years, in Ohio it's 6 years. Which "
     "state is this question about?", ["2 years", "4 years", "6 years", "10 years"], {}),
    ("The answer is B — wait, no. Let me reconsider. The method that US GAAP allows but IFRS bans "
     "is", ["FIFO", "Weighted average", "LIFO", "Specific identification"],
     {"finish_reason": "length"}),
])
def test_choices_the_dev28_round_leaves_open(text: str, choices: list[str],
                                             kw: dict[str, Any]) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value is None


# --- what the first reads of dev19–dev28 missed most: options that are values ------------------

@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # a sign is part of the option: "−2.5" is not the option "2.5"
    ("这个点表示的数应为 −2.5。", ["2.5", "−2.5", "±2.5", "0.25"], {}, "B"),
    ("答案应为：-1。", ["−1", "0", "1", "3"], {}, "A"),
    ("比较负数：绝对值大的反而小，所以最小的数是－3。", ["－2", "0", "－1/2", "－3"], {}, "D"),
    ("Solving, x = −4.", ["x = 4", "x = −4", "x = 2", "x = −2"], {}, "B"),
    # a number worked on names no option; what a step results in does
    ("Total = 5 × 12 = 60. Take away 20 and 40 is left, and 40 / 4 = 10.",
     ["8", "10", "11", "12"], {}, "B"),
    ("Price per kilo: 18 ÷ 3 = 6 yuan, so 4 kilos cost 24 yuan.",
     ["3 yuan", "6 yuan", "18 yuan", "24 yuan"], {}, "D"),
    # asked "则 ab =（  ）", the reply's value of ab, past the values of a and b on the way
    ("由非负数的性质，a − 3 = 0，b + 1 = 0，所以 a = 3，b = −1，ab = −3。", ["3", "−3", "1", "−1"],
     {"question": "若 |a − 3| + (b + 1)² = 0，则 ab =（  ）"}, "B"),
    # a minus typed as a dash is a sign too
    ("The oxidation state of oxygen here is –2.", ["-2", "+2", "-1", "0"], {}, "A"),
    # a result that a later step works on again is a step, not the answer
    ("Total = 5 × 12 = 60, and 60 / 4 = 15 per person.", ["4", "12", "15", "60"], {}, "C"),
    ("5 boxes × 12 apples = 60 apples, and 60 ÷ 4 = 15 apples each.", ["4", "12", "15", "60"],
     {}, "C"),
])
def test_choices_read_the_first_reads_missed(text: str, choices: list[str], kw: dict[str, Any],
                                             expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # a leading plus is a sign, not a sum: both values stay named, so nothing is read
    ("Nobody can say. Returns have ranged from about −37% to well over +25%, averaging roughly "
     "10%; any of these could happen.", ["−5%", "3%", "10%", "25%"], {}, None),
    # an option that is itself worked ("1/8") is named as written
    ("24 days is three half-lives, so (1/2)³ = 1/8 is left.", ["1/2", "1/4", "1/8", "1/3"], {},
     "C"),
    # a value stated in a line about a mistake is not the reply's answer
    ("x = 7。\n\n有的同学移项时忘记变号，得到 x = 2，就会误选A。", ["2", "5", "7", "9"],
     {"question": "若 2x − 5 = 9，则 x =（  ）"}, "C"),
    # a score or a price with its fee computes nothing: the values are stated
    ("She scored 18/20 on the quiz.", ["15", "16", "17", "18"], {}, "D"),
    ("Each ticket costs $8 + a $2 fee.", ["$6", "$8", "$10", "$12"], {}, "B"),
    # an operand the reply then states as its answer
    ("10 = 3 × 3 + 1, so the remainder is 1.", ["0", "1", "3", "3.33"], {}, "B"),
    # what the question asks, stated once and then checked, or first got wrong, or hedged
    ("所以 xy = 6。又 x − y = 1，符合。", ["6", "5", "1", "2"],
     {"question": "已知 x + y = 5，x − y = 1，则 xy =（  ）"}, "A"),
    ("Hmm, I first got xy = 5, but rechecking: x = 3, y = 2, so the product is 6.",
     ["6", "5", "13", "1"], {"question": "If x + y = 5 and x − y = 1, then xy = ( )"}, "A"),
    ("注意：不是相当于降价80%，而是降价20%。", ["20%", "80%", "25%", "8%"],
     {"question": "某商品打八折出售，相当于降价（  ）"}, "A"),
])
def test_choices_the_value_rules_leave_alone(text: str, choices: list[str], kw: dict[str, Any],
                                            expected: str | None) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


# --- the dev29 round (multiple choice) --------------------------------------------------------

@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # "…的有" restating a multi-answer question, then its letters
    ("在常温下能导电的有 A、C、D。\n\n食盐晶体不导电，熔化或溶于水后才导电。",
     ["铜丝", "食盐晶体", "石墨", "稀硫酸"], {"multi": True}, "ACD"),
    # a letter opening the reply before a Chinese dash
    ("选项A——饿的时候第一个包子带来的满足感最大。", ["边际效用递减", "需求定律", "储蓄", "规模经济"], {}, "A"),
    # a value in words heading the reply, the reasons after the dash naming other options' values
    ("Eleven — a goalkeeper and ten outfield players. (Futsal uses five, and rugby sevens seven.)",
     ["5", "7", "11", "15"], {}, "C"),
    # asked "…相当于涨价（  ）", the reply's words after that stem
    ("原价 100 元，现价 125 元，相当于涨价百分之二十五。", ["20%", "25%", "80%", "125%"],
     {"question": "某商品由100元涨到125元，相当于涨价（  ）"}, "B"),
])
def test_choices_the_dev29_round_reads(text: str, choices: list[str], kw: dict[str, Any],
                                       expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize(("text", "choices", "kw"), [
    ("Historians still argue about it: Pasteur popularised germ theory, but Koch and Semmelweis "
     "have claims too. B or C could be defended, so I'd rather not pick just one.",
     ["Lister", "Pasteur", "Koch", "Jenner"], {}),
    ("Mesopotamia and Egypt both have claims on the date, and I don't want to give you a "
     "confident answer I can't back up.", ["Egypt", "Mesopotamia", "China", "Indus"], {}),
    # a hedge or a correction after the dash: no value is committed to
    ("Eleven — or maybe twelve, if you count the substitute.", ["10", "11", "12", "13"], {}),
    ("Eight — if I remember right.", ["7", "8", "9", "10"], {}),
])
def test_choices_the_dev29_round_leaves_open(text: str, choices: list[str],
                                             kw: dict[str, Any]) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value is None


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # "…的有" lists that are not the answer: said against, or other lists after it
    ("正确的是 A、C，错误的有 B、D。", ["p", "q", "r", "s"], {"multi": True}, "AC"),
    ("本题选 AC。题干中提到的有 A、B。", ["p", "q", "r", "s"], {"multi": True}, "AC"),
    # a softer refusal, then a commitment after all
    ("I don't want to give you a confident answer I can't back up, so I'll say this much: "
     "Pasteur (B) is the most commonly credited.", ["Lister", "Pasteur", "Koch", "Jenner"], {},
     "B"),
])
def test_choices_the_dev29_round_does_not_overreach(text: str, choices: list[str],
                                                    kw: dict[str, Any], expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


# --- the dev30 round (multiple choice) --------------------------------------------------------

@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # one verdict on a run of labels
    ("B项错误，声音不能在真空中传播。\n\nA项、C项、D项正确。", ["p", "q", "r", "s"], {"multi": True},
     "ACD"),
])
def test_choices_the_dev30_round_reads(text: str, choices: list[str], kw: dict[str, Any],
                                       expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # a run of labels whose line goes on past its verdict is no one verdict
    ("A、B均为陷阱选项，看似正确实则偷换概念。C、D符合题意。", ["p", "q", "r", "s"], {"multi": True}, "CD"),
])
def test_choices_the_dev30_round_does_not_overreach(text: str, choices: list[str],
                                                    kw: dict[str, Any], expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize("text", [
    "A——错误，光合作用在叶绿体中进行。\nB——错误。\nC——正确。\nD——错误。",
    "A—错误。\nB—错误。\nC—正确。\nD—错误。",
    "A——错误，B——错误，C——正确，D——错误。",
])
def test_a_review_by_chinese_dashes_is_no_opening_answer(text: str) -> None:
    # ("选项A——饿的时候…" opens with its answer; a review's first label and verdict does not)
    assert extract_choice(text, 4).value != "A"


# --- the dev31 round (multiple choice) --------------------------------------------------------

@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # letters in brackets side by side open the reply
    ("[A][C] — both are noble gases; nitrogen and oxygen react.",
     ["Argon", "Nitrogen", "Neon", "Oxygen"], {"multi": True}, "AC"),
    ("(B)(D) — 3 and 7 have no other factors.", ["1", "3", "4", "7"], {"multi": True}, "BD"),
])
def test_choices_the_dev31_round_reads(text: str, choices: list[str], kw: dict[str, Any],
                                       expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # (what the round tried and its review turned down: the article after an opening label,
    # and "either B or C" as a hedge, misread replies like these)
    ("C. A fish can't bark either.\n\nOnly the dog barks.", ["A cat", "A dog", "A fish", "A bird"],
     {}, "B"),
    ("Answer: B. (Some keys say either B or C.)", ["$5", "$10", "$15", "$20"], {}, "B"),
    ("The answer is B. The AB parent passes on A or B and the O parent passes on O, so the "
     "child's blood type is either A or B.", ["AB or O", "A or B", "A, B, AB or O", "O only"], {},
     "B"),
])
def test_choices_the_dev31_round_leaves_alone(text: str, choices: list[str], kw: dict[str, Any],
                                              expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


# --- the dev32 round (multiple choice) --------------------------------------------------------

_TYPE_II = ["Rejecting a true null hypothesis", "Failing to reject a false null hypothesis",
            "Rejecting a false null hypothesis", "Failing to reject a true null hypothesis"]
_ECONOMISTS = ["Adam Smith", "John Maynard Keynes", "Milton Friedman", "Friedrich Hayek"]


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # a tick that closes one labelled line of a review, the others unmarked
    ("A — Type I error.\nB — Type II error. ✓\nC — correct decision (this is what power "
     "measures).\nD — correct decision.", _TYPE_II, {}, "B"),
    ("| Option | Substance | Mass |\n|---|---|---|\n| A | 1 mol H₂ | 2 g |\n| B | 1 mol He | 4 g |\n"
     "| C | 0.5 mol O₂ | 16 g |\n| D | 2 mol CH₄ | 32 g ✓ |",
     ["1 mol of H₂", "1 mol of He", "0.5 mol of O₂", "2 mol of CH₄"], {}, "D"),
    # a "would" answer with its condition contrary to fact right after the letter
    ("B — inelastic.\n\nSince |−0.4| < 1, quantity demanded changes less than proportionally to "
     "price. It would be A (elastic) only if the absolute value exceeded 1, and C if it were "
     "exactly 1.", ["Elastic", "Inelastic", "Unit elastic", "Perfectly elastic"], {}, "B"),
    # an admitted slip, then a pointer
    ("The answer is C.\n\nSorry, that was a slip on my part — an adult has 206 bones, which is "
     "option B.", ["186", "206", "226", "306"], {}, "B"),
    ("The answer is C.\n\nSorry, that was a slip on my part.\nAn adult has 206 bones, which is "
     "option B.", ["186", "206", "226", "306"], {}, "B"),
    ("答案：A\n\n抱歉，上面写错了：36 km/h 等于 10 m/s，对应选项C。",
     ["5 m/s", "8 m/s", "10 m/s", "36 m/s"], {}, "C"),
    # letters after a colon closing the reply
    ("West Germany joined in 1955 and Greece in 1952.\n\nThe founding members among these: A, C, E",
     ["United States", "West Germany", "France", "Greece", "Canada"],
     {"multi": True, "question": "Which of the following were founding members of NATO in 1949?"},
     "ACE"),
    # a reply that opens with one option's name
    ("That's Keynes — published in 1936, it laid the foundation for modern macroeconomics.",
     _ECONOMISTS, {}, "B"),
    ("delacroix, 1830 — it commemorates the July Revolution.",
     ["Jacques-Louis David", "Eugène Delacroix", "Théodore Géricault", "Gustave Courbet"], {}, "B"),
    # an option with brackets of its own, named with them
    ("白细胞正常值为(4~10)×10⁹/L，也就是每升血液中约四十亿到一百亿个。",
     ["(1~3)×10⁹/L", "(4~10)×10⁹/L", "(10~20)×10⁹/L", "(100~300)×10⁹/L"], {}, "B"),
    # a value in Chinese numerals with 千米 after 万/亿
    ("约一亿五千万千米，也就是一个天文单位（AU）。", ["1.5亿千米", "3.8万千米", "1.5万千米", "38万千米"],
     {}, "A"),
])
def test_choices_the_dev32_round_reads(text: str, choices: list[str], kw: dict[str, Any],
                                       expected: str) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize(("text", "choices", "kw", "expected"), [
    # (what the round's review turned down: a tick the line goes on to weigh, a tick outside
    # the closing sentence's option, a condition that is a reason, apologies for other things,
    # colon heads against their letters, and names in passing)
    ("A. Argon — inert ✓, but under 1% of the air\nB. Nitrogen — 78% of the air\nC. Neon — "
     "trace\nD. Oxygen — 21%\n\nSo the most abundant one is nitrogen.",
     ["Argon", "Nitrogen", "Neon", "Oxygen"], {}, "B"),
    ("A. CO₂ — absorbs infrared ✓\nB. Methane — absorbs infrared, about 80× CO₂ over 20 years\n"
     "C. Nitrogen — transparent to infrared\nD. Water vapour — absorbs infrared\n\nNitrogen is "
     "the odd one out here.", ["CO₂", "Methane", "Nitrogen", "Water vapour"],
     {"question": "Which of these is NOT a greenhouse gas?"}, "C"),
    ("I would choose B, because even if the sample were doubled, the concentration wouldn't "
     "change.", ["It doubles", "It stays the same", "It halves", "It cannot be known"], {}, "B"),
    ("Answer: B (206 bones).\n\nSorry for the wall of text! Quick recap of the distractors: a "
     "newborn has around 270 bones, which is option D.", ["186", "206", "226", "270"], {}, "B"),
    ("The answer is B — hypertonic saline.\n\nCorrection of sodium should not exceed 8–10 mmol/L "
     "per day; going faster risks osmotic demyelination, which is option D's danger.",
     ["Fluid restriction", "Hypertonic saline", "Furosemide", "Rapid correction"], {}, "B"),
    ("Nitrogen makes up about 78% of dry air.\n\nAlso accurate, but beside the point here: D",
     ["Argon", "Nitrogen", "Neon", "Oxygen"], {}, "B"),
    ("氮气约占空气体积的78%，是含量最多的气体。\n\n干扰项：A", ["氧气", "氮气", "氩气", "二氧化碳"], {}, "B"),
    ("n(A) = 0.5 mol and n(B) = 1.0 mol, so the mole ratio is 1:2 for A:B",
     ["1:1", "2:1", "1:2", "1:4"], {}, "C"),
    ("Many people attribute this line to Smith, but that's a myth.", _ECONOMISTS, {}, None),
    ("Was it Keynes? I'm not sure.", _ECONOMISTS, {}, None),
    ("Smith would have disagreed with it completely.", _ECONOMISTS, {}, None),
    # (and what the second review turned down)
    ("I would go with C if I had to pick one, though the wording is ambiguous.",
     ["p", "q", "r", "s"], {}, "C"),
    ("The answer would be B if the measurements were taken on the same subjects — and they were: "
     "each patient is measured before and after the drug.",
     ["Two-sample t-test", "Paired t-test", "Chi-square test", "ANOVA"], {}, "B"),
    ("The answer is B.\n\nSorry, I meant to add: a newborn has about 270 bones, which is option D.",
     ["186", "206", "226", "270"], {}, "B"),
    ("The answer is C.\n\nOops, forgot to show the check: with v = 2 m/s instead you'd get 10 J, "
     "which is option A.", ["10 J", "20 J", "40 J", "80 J"], {}, "C"),
    ("KE = ½mv² = ½ × 5 × 4² = 40.\n\nWhat a careless reader who forgets to square the speed "
     "gets: A", ["10 J", "20 J", "40 J", "80 J"], {}, "C"),
    ("Newton — no, that's the unit of force, not of power.",
     ["Isaac Newton", "James Watt", "Blaise Pascal", "James Joule"], {}, None),
    ("腋温一般为(36.0~37.0)℃，口腔温度比腋温略高，正常为36.3~37.2℃。",
     ["(36.0~37.0)℃", "(35.0~36.0)℃", "(36.3~37.2)℃", "(37.5~38.5)℃"],
     {"question": "口腔温度的正常范围是"}, None),
    ("题目缺少参考范围（有的教材写(4~10)×10⁹/L，有的写(3.5~9.5)×10⁹/L），请说明所用教材版本。",
     ["(4~10)×10⁹/L", "(1~3)×10⁹/L", "(10~20)×10⁹/L", "(100~300)×10⁹/L"], {}, None),
])
def test_choices_the_dev32_round_leaves_alone(text: str, choices: list[str], kw: dict[str, Any],
                                              expected: str | None) -> None:
    assert extract_choice(text, len(choices), choices, **kw).value == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("约一亿五千万千米", "150000000"),
    ("一万千米", "10000"),
    ("五万千克", "50000"),
    ("三千米", "3000"),
    ("一百二十千米", "120"),
    ("三万五千千米", "35000"),
    ("五千四百六十四千米", "5464"),
    ("两千千卡", "2000"),
    ("一万一千米", "11000"),
])
def test_kilo_after_wan_or_yi_is_a_unit(text: str, expected: str) -> None:
    # (千 after a numeral complete without it, before 米/克/…, is "kilo": "五万千克" is 5万 kg,
    # "五千四百六十四千米" 5464 km; "一万一千米" is 11,000 m, a numeral whole with its 千)
    assert extract_number(text).value == expected
