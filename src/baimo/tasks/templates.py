"""Versioned prompt templates for the standard benchmarks (C-Eval, CMMLU, MMLU, GSM8K).

Why templates are data with a hash: a change of wording moves a benchmark score by several
points (OpenCompass #1434 saw MMLU go from 41.9 to 61.8 on a prompt change alone). A score is
therefore only comparable with another score made with the *same* prompt, so every template
carries an ``id``, a ``version`` and a content ``hash`` (sha256 of all its fields), and the loaders
store the hash in every sample. Editing a template's text without bumping its version still
changes the hash, so silently drifting prompts show up in the results.

How a template becomes chat messages:

* ``user`` is the frame of the whole user turn. It holds the placeholders ``{subject}``,
  ``{shots}``, ``{question}`` and, for multiple choice, ``{options}``.
* ``few_shot_format`` renders one solved exemplar (``{question}``, ``{options}``,
  ``{reasoning}``, ``{answer}``); the exemplars are joined and put into ``{shots}``.
* ``system`` is an optional system message.

Few-shot exemplars go into the *single* user message rather than into alternating
user/assistant turns. Chat APIs disagree on multi-turn handling (some merge, drop or reject
consecutive turns, some require the conversation to start with a user turn, and some apply
hidden system prompts between turns); a single user message is rendered the same way by every
API and every local engine, so a k-shot score means the same thing everywhere. It also keeps the
prompt identical between the chat path and the raw-text path of the log-likelihood mode.

Every template works for any number of shots, including zero: with ``few_shot=0`` the
``{shots}`` placeholder is empty. The number of shots is recorded next to the template hash in
each sample's metadata because it, too, changes the score.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal, get_args

from baimo.errors import ConfigError, NotFound
from baimo.tasks.types import Message, Sample

TemplateKind = Literal["mcq-gen", "mcq-loglik", "math-gen", "math-latex"]
"""``mcq-gen``: the model writes its answer letter; ``mcq-loglik``: the engine scores each letter
as a continuation; ``math-gen``: the model writes a worked solution ending in a number;
``math-latex``: a worked solution ending in a ``\\boxed{}`` LaTeX answer (MATH)."""

TemplateLang = Literal["zh", "en"]

LETTERS = "ABCDEFGHIJ"
"""Option letters, in order. Ten is more than any benchmark here uses (they all have four)."""

_KINDS: tuple[str, ...] = get_args(TemplateKind)
_LANGS: tuple[str, ...] = get_args(TemplateLang)

_USER_FIELDS = frozenset({"subject", "shots", "question", "options"})
_SHOT_FIELDS = frozenset({"subject", "question", "options", "reasoning", "answer"})

LOGLIK_ANSWER_PROMPTS: dict[str, str] = {"zh": "答案：", "en": "Answer:"}
"""What a log-likelihood prompt must end with, per language, so the next token is the letter."""


@dataclass(frozen=True)
class PromptTemplate:
    """One versioned way of asking a benchmark question.

    Attributes:
        id: Registry key, stable across versions (e.g. ``mcq-gen-zh``).
        version: Bumped whenever the wording changes, so results say which wording they used.
        kind: ``mcq-gen``, ``mcq-loglik`` or ``math-gen`` (decides the matching scorer).
        lang: ``zh`` or ``en``; also picks the subject name language and the letter spacing of
            log-likelihood continuations.
        system: Optional system message. None keeps the API's own default.
        user: Frame of the user message (see the module docstring for placeholders).
        few_shot_format: How one solved exemplar is written.
        cot: Whether the template asks for reasoning before the answer.
    """

    id: str
    version: int
    kind: TemplateKind
    lang: TemplateLang
    system: str | None
    user: str
    few_shot_format: str
    cot: bool

    def __post_init__(self) -> None:
        """Reject malformed templates at definition time, not at the first rendered sample."""
        if not self.id or any(ch.isspace() for ch in self.id):
            raise ConfigError(f"Template id {self.id!r} must be non-empty without spaces.")
        if self.version < 1:
            raise ConfigError(f"Template {self.id!r}: version must be >= 1, got {self.version}.")
        if self.kind not in _KINDS:
            raise ConfigError(f"Template {self.id!r}: kind {self.kind!r} is not one of {_KINDS}.")
        if self.lang not in _LANGS:
            raise ConfigError(f"Template {self.id!r}: lang {self.lang!r} is not one of {_LANGS}.")
        user_fields = _placeholders(self.id, "user", self.user, _USER_FIELDS)
        shot_fields = _placeholders(self.id, "few_shot_format", self.few_shot_format, _SHOT_FIELDS)
        needed_user = {"shots", "question"} | ({"options"} if self.is_mcq else set())
        needed_shot = {"question", "answer"} | ({"options"} if self.is_mcq else set())
        for where, needed, present in (
            ("user", needed_user, user_fields),
            ("few_shot_format", needed_shot, shot_fields),
        ):
            missing = needed - present
            if missing:
                raise ConfigError(
                    f"Template {self.id!r}: {where} lacks placeholder(s) "
                    f"{', '.join('{' + m + '}' for m in sorted(missing))}."
                )
        if self.kind == "mcq-loglik" and not self.user.endswith(LOGLIK_ANSWER_PROMPTS[self.lang]):
            raise ConfigError(
                f"Template {self.id!r}: a log-likelihood prompt must end with "
                f"{LOGLIK_ANSWER_PROMPTS[self.lang]!r} so the next token is the answer letter."
            )

    @property
    def is_mcq(self) -> bool:
        """True for multiple-choice templates (generative or log-likelihood)."""
        return self.kind in ("mcq-gen", "mcq-loglik")

    @property
    def hash(self) -> str:
        """First 16 hex digits of the sha256 of the canonical JSON of every field.

        Canonical means sorted keys, no insignificant whitespace and UTF-8 text, so the hash
        depends only on the template's content and is the same on every machine and Python.
        """
        canonical = json.dumps(
            asdict(self), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class PromptItem:
    """The template-facing view of one question, independent of the dataset's field names.

    Attributes:
        question: Question text.
        choices: Option texts in letter order; empty for open-ended (math) questions.
        answer: Correct letter (MCQ) or final number (math); required for exemplars only.
        reasoning: Worked explanation shown in chain-of-thought exemplars (C-Eval dev
            ``explanation``, GSM8K train solution), or None.
    """

    question: str
    choices: tuple[str, ...] = ()
    answer: str | None = None
    reasoning: str | None = None


TEMPLATES: dict[str, PromptTemplate] = {}
"""Every known template by id. Add to it only through ``register_template``."""


def register_template(template: PromptTemplate) -> PromptTemplate:
    """Add a template to ``TEMPLATES``.

    Registering an id twice raises, because two different prompts answering to one id would
    make the id in stored results ambiguous; a new wording needs a new version or a new id.

    Args:
        template: The template to add.

    Returns:
        The same template, so definitions can be written as ``X = register_template(...)``.

    Raises:
        ConfigError: The id is already registered.
    """
    if template.id in TEMPLATES:
        raise ConfigError(
            f"Prompt template {template.id!r} is already registered "
            f"(version {TEMPLATES[template.id].version}); give the new one another id."
        )
    TEMPLATES[template.id] = template
    return template


def get_template(template_id: str) -> PromptTemplate:
    """Look up a template by id.

    Raises:
        NotFound: No such id; the message lists the valid ids so a typo is easy to fix.
    """
    try:
        return TEMPLATES[template_id]
    except KeyError:
        raise NotFound(
            f"Unknown prompt template {template_id!r}. Valid ids: {', '.join(sorted(TEMPLATES))}."
        ) from None


def format_options(choices: Sequence[str]) -> str:
    """Write options one per line as ``A. text``, the layout all four benchmarks were built for."""
    if len(choices) > len(LETTERS):
        raise ValueError(f"At most {len(LETTERS)} options are supported, got {len(choices)}.")
    return "\n".join(f"{LETTERS[i]}. {text}" for i, text in enumerate(choices))


def render(
    template: PromptTemplate,
    item: PromptItem,
    *,
    subject: str = "",
    shots: Sequence[PromptItem] = (),
) -> tuple[Message, ...]:
    """Render one question, with optional solved exemplars, into chat messages.

    Args:
        template: The template to use.
        item: The question to ask (its ``answer`` is ignored, so it never leaks into the prompt).
        subject: Subject name in the template's language (empty for GSM8K).
        shots: Solved exemplars, each with ``answer`` set; put before the question, in order.

    Returns:
        An optional system message followed by one user message.

    Raises:
        ValueError: An MCQ template got a question without options, or an exemplar lacks its
            answer. These are loader bugs, not user mistakes.
    """
    rendered_shots: list[str] = []
    for n, shot in enumerate(shots):
        if shot.answer is None:
            raise ValueError(f"Few-shot exemplar {n} has no answer.")
        rendered_shots.append(
            template.few_shot_format.format(
                subject=subject,
                question=shot.question,
                options=_options_for(template, shot),
                reasoning=_reasoning_block(shot.reasoning) if template.cot else "",
                answer=shot.answer,
            )
        )
    shots_text = "".join(block + "\n\n" for block in rendered_shots)
    user = template.user.format(
        subject=subject,
        shots=shots_text,
        question=item.question,
        options=_options_for(template, item),
    )
    messages: list[Message] = []
    if template.system is not None:
        messages.append({"role": "system", "content": template.system})
    messages.append({"role": "user", "content": user})
    return tuple(messages)


def render_loglik(sample: Sample) -> tuple[str, list[str]]:
    """Give a log-likelihood engine the raw prompt and one continuation per option.

    The engine should score ``prompt_text + continuations[i]`` and report the log-probability of
    the continuation under the key ``LETTERS[i]`` in ``ModelOutput.logprobs``;
    ``loglik_mcq_scorer`` then takes the argmax. English continuations carry a leading space
    (``" A"``) because after ``Answer:`` a tokenizer emits the letter with its space as one
    token; Chinese ones do not, because ``答案：`` is followed directly by the letter.

    Args:
        sample: A multiple-choice sample rendered with an ``mcq-loglik`` template.

    Returns:
        ``(prompt_text, continuations)``; the prompt is the system message (if any) and the user
        message joined by a blank line, ending in the template's answer prompt.

    Raises:
        ConfigError: The sample was not rendered with a log-likelihood template, or has no
            options.
    """
    template_id = sample.metadata.get("template_id")
    template = get_template(str(template_id)) if template_id is not None else None
    if template is None or template.kind != "mcq-loglik":
        raise ConfigError(
            f"Sample {sample.id!r} was rendered with template {template_id!r}, which is not a "
            "log-likelihood (mcq-loglik) template; choose one of "
            f"{', '.join(t.id for t in TEMPLATES.values() if t.kind == 'mcq-loglik')}."
        )
    if not sample.choices:
        raise ConfigError(f"Sample {sample.id!r} has no options to score by log-likelihood.")
    prompt = "\n\n".join(m["content"] for m in sample.messages)
    prefix = " " if template.lang == "en" else ""
    return prompt, [prefix + LETTERS[i] for i in range(len(sample.choices))]


def _options_for(template: PromptTemplate, item: PromptItem) -> str:
    """Options text for MCQ templates; math templates have none."""
    if not template.is_mcq:
        return ""
    if not item.choices:
        raise ValueError(f"Template {template.id!r} needs options but the question has none.")
    return format_options(item.choices)


def _reasoning_block(reasoning: str | None) -> str:
    """An exemplar's worked reasoning on its own line(s), or nothing when the dataset has none.

    CMMLU and MMLU dev items have no explanation, so their chain-of-thought exemplars show the
    answer line alone; inventing reasoning for them would be worse than showing none.
    """
    text = (reasoning or "").strip()
    return f"{text}\n" if text else ""


def _placeholders(template_id: str, where: str, text: str, allowed: frozenset[str]) -> set[str]:
    """Names of the ``{placeholders}`` in ``text``, rejecting unknown names and format specs."""
    found: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ConfigError(
            f"Template {template_id!r}: {where} is not a valid format: {exc}"
        ) from exc
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            raise ConfigError(
                f"Template {template_id!r}: {where} has placeholder {{{name}}}; "
                f"allowed: {', '.join('{' + a + '}' for a in sorted(allowed))}."
            )
        found.add(name)
    return found


# --------------------------------------------------------------------------------------------
# The built-in templates. Change the wording only together with the version number.
# --------------------------------------------------------------------------------------------

_ZH_INTRO = "以下是关于“{subject}”的单项选择题，每题只有一个正确选项。\n\n"
_EN_INTRO = "Multiple-choice questions about {subject}; each has exactly one correct option.\n\n"

MCQ_GEN_ZH = register_template(
    PromptTemplate(
        id="mcq-gen-zh",
        version=1,
        kind="mcq-gen",
        lang="zh",
        system=None,
        user=_ZH_INTRO
        + "{shots}{question}\n{options}\n\n"
        + "请直接作答，并在最后一行按“答案：X”的格式写出所选选项的字母。",
        few_shot_format="{question}\n{options}\n答案：{answer}",
        cot=False,
    )
)

MCQ_GEN_EN = register_template(
    PromptTemplate(
        id="mcq-gen-en",
        version=1,
        kind="mcq-gen",
        lang="en",
        system=None,
        user=_EN_INTRO
        + "{shots}{question}\n{options}\n\n"
        + 'Reply with the letter of the correct option on the last line, written as "Answer: X".',
        few_shot_format="{question}\n{options}\nAnswer: {answer}",
        cot=False,
    )
)

MCQ_COT_ZH = register_template(
    PromptTemplate(
        id="mcq-cot-zh",
        version=1,
        kind="mcq-gen",
        lang="zh",
        system=None,
        user=_ZH_INTRO
        + "{shots}{question}\n{options}\n\n"
        + "请逐步思考，先写出推理过程，再在最后一行按“答案：X”的格式写出所选选项的字母。",
        few_shot_format="{question}\n{options}\n{reasoning}答案：{answer}",
        cot=True,
    )
)

MCQ_COT_EN = register_template(
    PromptTemplate(
        id="mcq-cot-en",
        version=1,
        kind="mcq-gen",
        lang="en",
        system=None,
        user=_EN_INTRO
        + "{shots}{question}\n{options}\n\n"
        + "Let's think step by step. Write out your reasoning first, then give the letter of "
        + 'the correct option on the last line as "Answer: X".',
        few_shot_format="{question}\n{options}\n{reasoning}Answer: {answer}",
        cot=True,
    )
)

MCQ_LOGLIK_ZH = register_template(
    PromptTemplate(
        id="mcq-loglik-zh",
        version=1,
        kind="mcq-loglik",
        lang="zh",
        system=None,
        user="以下是关于“{subject}”的单项选择题及其答案。\n\n{shots}{question}\n{options}\n答案：",
        few_shot_format="{question}\n{options}\n答案：{answer}",
        cot=False,
    )
)

MCQ_LOGLIK_EN = register_template(
    PromptTemplate(
        id="mcq-loglik-en",
        version=1,
        kind="mcq-loglik",
        lang="en",
        system=None,
        user="Multiple-choice questions about {subject}, each followed by its answer.\n\n"
        + "{shots}{question}\n{options}\nAnswer:",
        few_shot_format="{question}\n{options}\nAnswer: {answer}",
        cot=False,
    )
)

MATH_COT_EN = register_template(
    PromptTemplate(
        id="math-cot-en",
        version=1,
        kind="math-gen",
        lang="en",
        system=None,
        user="Solve the following math word problem. Let's think step by step, then write the "
        + 'final numeric answer on the last line as "Answer: N".\n\n'
        + "{shots}Problem: {question}",
        few_shot_format="Problem: {question}\nSolution: {reasoning}Answer: {answer}",
        cot=True,
    )
)

MATH_COT_ZH = register_template(
    PromptTemplate(
        id="math-cot-zh",
        version=1,
        kind="math-gen",
        lang="zh",
        system=None,
        user="请解答下面的数学应用题。请逐步思考，并在最后一行按“答案：N”的格式写出最终的数值答案。\n\n"
        + "{shots}题目：{question}",
        few_shot_format="题目：{question}\n解答：{reasoning}答案：{answer}",
        cot=True,
    )
)

MATH_BOXED_EN = register_template(
    PromptTemplate(
        id="math-boxed-en",
        version=1,
        kind="math-latex",
        lang="en",
        system=None,
        user="Solve the following problem. Reason step by step, then give the final answer in "
        + "LaTeX inside \\boxed{{}} on the last line.\n\n{shots}Problem: {question}",
        few_shot_format="Problem: {question}\nSolution: {reasoning}Final answer: "
        + "\\boxed{{{answer}}}",
        cot=True,
    )
)

MATH_BOXED_ZH = register_template(
    PromptTemplate(
        id="math-boxed-zh",
        version=1,
        kind="math-latex",
        lang="zh",
        system=None,
        user="请解答下面的数学题。请逐步思考，并在最后一行把最终答案用 LaTeX 写在 \\boxed{{}} 中。\n\n"
        + "{shots}题目：{question}",
        few_shot_format="题目：{question}\n解答：{reasoning}最终答案：\\boxed{{{answer}}}",
        cot=True,
    )
)

MATH_HASH_EN = register_template(
    PromptTemplate(
        id="math-hash-en",
        version=1,
        kind="math-gen",
        lang="en",
        system=None,
        user="Solve the math word problem. Reason step by step and put the final numeric answer "
        + 'on the last line after "#### ".\n\n{shots}Question: {question}\nAnswer:',
        few_shot_format="Question: {question}\nAnswer: {reasoning}#### {answer}",
        cot=True,
    )
)
"""GSM8K's own solution format (``#### N``); suits base models continuing few-shot text."""
