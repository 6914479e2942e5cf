"""Prompt templates: versioned, hashed, renderable in both languages, strict about mistakes."""

from __future__ import annotations

import dataclasses
import re

import pytest

from baimo.errors import ConfigError, NotFound
from baimo.tasks.templates import (
    LETTERS,
    TEMPLATES,
    PromptItem,
    PromptTemplate,
    format_options,
    get_template,
    register_template,
    render,
    render_loglik,
)
from baimo.tasks.types import Sample

# The built-in templates and the hash of each version. A failure here means a template's
# content changed: bump its version and record the new hash, so stored results made with the
# old wording are never mistaken for results made with the new one.
PINNED = {
    "mcq-gen-zh": 1,
    "mcq-gen-en": 1,
    "mcq-cot-zh": 1,
    "mcq-cot-en": 1,
    "mcq-loglik-zh": 1,
    "mcq-loglik-en": 1,
    "math-cot-en": 1,
    "math-cot-zh": 1,
    "math-hash-en": 1,
    "math-boxed-en": 1,
    "math-boxed-zh": 1,
}

MCQ = PromptItem("1 + 1 = {x}?", ("1", "2", "3", "4"))  # braces must survive rendering
MCQ_SHOTS = (
    PromptItem("2 + 2 = ?", ("3", "4", "5", "6"), "B", "2 加 2 等于 4。"),
    PromptItem("3 + 3 = ?", ("6", "7", "8", "9"), "A"),
)
MATH = PromptItem("Tom has 3 apples and buys 2. How many?")
MATH_SHOTS = (PromptItem("Ann has 1 pen and gets 1. How many?", (), "2", "1 + 1 = 2."),)


def _render(template: PromptTemplate, shots: bool) -> str:
    if template.is_mcq:
        messages = render(
            template,
            MCQ,
            subject="数学" if template.lang == "zh" else "math",
            shots=MCQ_SHOTS if shots else (),
        )
    else:
        messages = render(template, MATH, shots=MATH_SHOTS if shots else ())
    assert messages[-1]["role"] == "user"
    return messages[-1]["content"]


def _loglik_sample(template_id: str) -> Sample:
    template = get_template(template_id)
    return Sample(
        id="t/1",
        messages=render(template, MCQ, subject="math"),
        reference="B",
        choices=MCQ.choices,
        metadata={"template_id": template.id, "template_hash": template.hash},
    )


def test_builtin_templates_are_registered_with_pinned_versions() -> None:
    assert {tid: t.version for tid, t in TEMPLATES.items()} == PINNED


def test_hash_is_16_hex_digits_and_stable() -> None:
    for template in TEMPLATES.values():
        assert re.fullmatch(r"[0-9a-f]{16}", template.hash)
        assert template.hash == dataclasses.replace(template).hash  # same content, same hash


def test_hash_value_is_reproducible_across_runs() -> None:
    # The hash depends only on content: a template built from scratch with the same fields
    # hashes like the registered one (no id(), no dict order, no process salt).
    original = get_template("mcq-gen-zh")
    rebuilt = PromptTemplate(**dataclasses.asdict(original))
    assert rebuilt.hash == original.hash


def test_hashes_differ_across_templates() -> None:
    hashes = [t.hash for t in TEMPLATES.values()]
    assert len(set(hashes)) == len(hashes)


@pytest.mark.parametrize(
    "change",
    [
        {"version": 2},
        {"user": get_template("mcq-gen-en").user + " "},
        {"system": "You are a careful examiner."},
        {"few_shot_format": "{question}\n{options}\nAnswer: ({answer})"},
        {"cot": True},
        {"lang": "zh"},
    ],
)
def test_any_field_change_changes_the_hash(change: dict[str, object]) -> None:
    base = get_template("mcq-gen-en")
    assert dataclasses.replace(base, **change).hash != base.hash  # type: ignore[arg-type]


def test_registering_an_id_twice_raises() -> None:
    with pytest.raises(ConfigError, match="already registered"):
        register_template(dataclasses.replace(get_template("mcq-gen-zh"), version=2))
    assert get_template("mcq-gen-zh").version == 1


def test_unknown_template_lists_valid_ids() -> None:
    with pytest.raises(NotFound) as info:
        get_template("mcq-gen-fr")
    for template_id in TEMPLATES:
        assert template_id in str(info.value)


@pytest.mark.parametrize("template_id", sorted(PINNED))
@pytest.mark.parametrize("shots", [False, True])
def test_every_template_renders(template_id: str, shots: bool) -> None:
    template = get_template(template_id)
    text = _render(template, shots)
    assert "{x}" in text or not template.is_mcq  # question text is not treated as a format
    assert not re.search(r"\{(subject|shots|question|options|reasoning|answer)\}", text)
    if template.is_mcq:
        assert "A. 1\nB. 2\nC. 3\nD. 4" in text
        assert ("数学" if template.lang == "zh" else "math") in text
    else:
        assert MATH.question in text
    marker = (
        "答案：" if template.lang == "zh" else ("#### " if "####" in template.user else "Answer:")
    )
    if template.kind == "math-latex":
        marker = "\\boxed{}"
    assert marker in text
    if template.cot:
        assert ("请逐步思考" if template.lang == "zh" else "step by step") in text


def test_both_languages_exist_for_every_kind() -> None:
    for kind in ("mcq-gen", "mcq-loglik", "math-gen"):
        assert {t.lang for t in TEMPLATES.values() if t.kind == kind} == {"zh", "en"}
    assert {t.lang for t in TEMPLATES.values() if t.kind == "mcq-gen" and t.cot} == {"zh", "en"}


def test_few_shot_is_a_single_user_message_in_order() -> None:
    messages = render(get_template("mcq-gen-en"), MCQ, subject="math", shots=MCQ_SHOTS)
    assert [m["role"] for m in messages] == ["user"]
    text = messages[0]["content"]
    assert text.index("2 + 2 = ?") < text.index("3 + 3 = ?") < text.index("1 + 1 = {x}?")
    assert "Answer: B" in text and "Answer: A" in text


def test_zero_shot_has_no_exemplars() -> None:
    text = _render(get_template("mcq-gen-zh"), shots=False)
    assert "2 + 2" not in text
    assert text.startswith("以下是关于“数学”的单项选择题")


def test_cot_exemplars_show_reasoning_plain_ones_do_not() -> None:
    assert "2 加 2 等于 4。\n答案：B" in _render(get_template("mcq-cot-zh"), shots=True)
    assert "2 加 2 等于 4" not in _render(get_template("mcq-gen-zh"), shots=True)
    # An exemplar without reasoning (CMMLU/MMLU dev) still shows its answer line.
    assert "9\n答案：A" in _render(get_template("mcq-cot-zh"), shots=True)


def test_gsm8k_exemplar_formats() -> None:
    assert "Solution: 1 + 1 = 2.\nAnswer: 2" in _render(get_template("math-cot-en"), shots=True)
    assert "Answer: 1 + 1 = 2.\n#### 2" in _render(get_template("math-hash-en"), shots=True)
    assert "解答：1 + 1 = 2.\n答案：2" in _render(get_template("math-cot-zh"), shots=True)


def test_system_message_comes_first_when_set() -> None:
    template = dataclasses.replace(get_template("mcq-gen-en"), system="Be brief.")
    messages = render(template, MCQ, subject="math")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == "Be brief."


def test_answer_of_the_question_never_reaches_the_prompt() -> None:
    solved = PromptItem("Which is right?", ("x", "y", "z", "w"), "C", "SECRET REASONING")
    text = render(get_template("mcq-cot-en"), solved, subject="s")[0]["content"]
    assert "SECRET REASONING" not in text and "Answer: C" not in text


def test_render_errors_for_loader_bugs() -> None:
    with pytest.raises(ValueError, match="needs options"):
        render(get_template("mcq-gen-en"), PromptItem("no options"), subject="s")
    with pytest.raises(ValueError, match="no answer"):
        render(get_template("mcq-gen-en"), MCQ, subject="s", shots=[PromptItem("q", ("a", "b"))])


@pytest.mark.parametrize(
    ("template_id", "ending", "continuations"),
    [
        ("mcq-loglik-en", "Answer:", [" A", " B", " C", " D"]),
        ("mcq-loglik-zh", "答案：", ["A", "B", "C", "D"]),
    ],
)
def test_render_loglik(template_id: str, ending: str, continuations: list[str]) -> None:
    prompt, conts = render_loglik(_loglik_sample(template_id))
    assert prompt.endswith(ending)
    assert conts == continuations


def test_render_loglik_includes_system_message() -> None:
    sample = _loglik_sample("mcq-loglik-en")
    with_system = dataclasses.replace(
        sample, messages=({"role": "system", "content": "SYS"}, *sample.messages)
    )
    prompt, _ = render_loglik(with_system)
    assert prompt.startswith("SYS\n\n") and prompt.endswith("Answer:")


def test_render_loglik_rejects_generative_samples() -> None:
    template = get_template("mcq-gen-en")
    sample = Sample(
        id="t/1",
        messages=render(template, MCQ, subject="math"),
        choices=MCQ.choices,
        metadata={"template_id": template.id},
    )
    with pytest.raises(ConfigError, match="mcq-loglik-en"):
        render_loglik(sample)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"user": "{question}\n{options}"}, r"lacks placeholder\(s\) \{shots\}"),
        ({"user": "{shots}{question}{options}{answer}"}, r"\{answer\}"),
        ({"few_shot_format": "{question}\n{options}"}, r"lacks placeholder\(s\) \{answer\}"),
        ({"user": "{shots}{question!r}{options}"}, "placeholder"),
        ({"user": "{shots}{question}{options} {"}, "not a valid format"),
        ({"version": 0}, "version"),
        ({"id": "has space"}, "without spaces"),
        ({"kind": "mcq-loglik"}, "must end with 'Answer:'"),
        ({"lang": "fr"}, "lang"),
    ],
)
def test_malformed_templates_are_rejected(change: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        dataclasses.replace(get_template("mcq-gen-en"), **change)  # type: ignore[arg-type]


def test_format_options() -> None:
    assert format_options(["x", "y"]) == "A. x\nB. y"
    with pytest.raises(ValueError):
        format_options(["o"] * (len(LETTERS) + 1))
