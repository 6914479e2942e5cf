"""Answer extraction: turn a free-form model response into a letter or a number.

Extraction is the main source of wrong scores in evaluation frameworks (MEASURE.md §1): a rule
that takes the first letter it sees reads "L" out of "Let's think", a strict ``ANSWER: X`` rule
misses ``ANSWER: $B$``, and a response cut off by ``max_tokens`` gets counted as wrong. This
module therefore works in ordered tiers, from the most explicit evidence to the least, and it
never reads a letter out of ordinary words:

1. explicit answer markers (``Answer:``, ``答案是``, ``选``, ``\\boxed{}`` ...), the *last* one wins;
2. a line, or an opening or closing sentence, that is nothing but letters (``**B**``, ``(C)``,
   ``B. London``, "A and C. Dolphins and bats …");
3. a review that marks every option, by letter or by text (``B. 小肠 —— 正确`` among ``错误``
   lines, ``✅ Solar`` among ``❌`` lines; for one answer, the only option marked differently from
   all the others), and for multi-answer questions "all except B" / "除了C以外都对";
4. a formatted letter in the closing line (``... only (C) fits``);
5. verdicts on a letter (``B is correct``, ``C项正确``);
6. an option's text where answers are stated (a concluding sentence, the closing line, the
   opening sentence of a reply that answers first; bracketed asides are not read), quoted from
   one option, listed as ``text (X)``, or (for several answers) set in bold or listed in such a
   sentence; for options that are values, the value the reply's last computation gives; and
   last, an opening or closing sentence that repeats one option's own words reworded.

A reply that declines to choose ("there isn't a correct option", "none of the options is
correct", "it depends on the context") is ``no-answer`` before the weak rules 4–6 get to read an
option out of its discussion, and so is one that ends saying two letters could both be right.
A marker that the model asks about ("So the answer is A? Wait …") is not a commitment. A
question the model invents after its answer (continuing a few-shot prompt) is not read. When the
question is known and asks for the exception ("Which is NOT …"), a concluding sentence that
restates its negated predicate ("So D is not a function of the liver") answers it.

Numbers go the same way: ``\\boxed{}``, ``#### 42`` and answer sentences first; then a
concluding sentence; then the last number, with checks, notes, asides, labels and dates after
the conclusion skipped. Ranges, hedges, refusals, "cannot be determined", "the answer is not
unique" and a question back to the user are ``no-answer``. When the question is known, the unit
it asks in ("多少名同学", "how many bones", "多少亿元") picks among the numbers of an answer and
sets the scale the answer is read in.

The rules were measured on a corpus written blind (``benchmarks/extraction.py``): a rule set
tuned only on its own examples overstates its accuracy. ``WEAK_METHODS`` names the weakest
rules, whose readings reports list for audit and a task may hand to a judge model
(``baimo.tasks.extract_model``).

Three outcomes are kept apart, because they mean different things for a model: ``ok`` (an
answer was found), ``no-answer`` (the model finished but committed to nothing we can read) and
``truncated`` (the model was cut off by the token limit before it committed). A truncated
response whose answer marker was already complete still yields that answer, with
``Extraction.truncated`` set so the scorer can keep the flag in ``Score.details``.

All text goes through NFKC first, which folds full-width forms (``：``, ``（B）``, ``４２``,
``１，２３４``) into their ASCII equivalents, so one set of rules covers Chinese and English.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal, Protocol

from baimo.tasks.lazyre import lazy

__all__ = [
    "DECIDED_NO_ANSWER",
    "WEAK_METHODS",
    "Extraction",
    "ExtractionStatus",
    "StoredResult",
    "extract_choice",
    "extract_number",
    "normalize_text",
    "numbers_equal",
    "parse_number",
    "reading_counts",
    "reading_method",
    "strip_reasoning",
    "weak_readings",
]

ExtractionStatus = Literal["ok", "no-answer", "truncated"]


@dataclass(frozen=True)
class Extraction:
    """The answer read out of one response, and how it was found.

    Attributes:
        status: ``ok`` when an answer was found; ``no-answer`` when the model finished without
            one we can read; ``truncated`` when it hit the token limit before answering. The
            last two are kept apart from a wrong answer on purpose.
        value: The answer as text: sorted letters (``"B"``, ``"AC"``) for choices, the number
            as written but cleaned (``"1234"``, ``"3/4"``, ``"50%"``) for numbers.
        method: Which rule produced the value (``marker``, ``boxed``, ``option-text``,
            ``bare-letter`` ...), so that a surprising score can be traced to its rule.
        number: The numeric value for number extraction (percentages keep their face value:
            ``"50%"`` gives 50.0; use ``numbers_equal`` to compare against 0.5).
        truncated: True when the response was cut off by the token limit, even if an answer
            was found before the cut. Scorers should copy it into ``Score.details``.
        reason: Why nothing was read, when that needs more than the method's name (a
            judge model's reply that did not parse, for instance).
    """

    status: ExtractionStatus
    value: str | None
    method: str
    number: float | None = None
    truncated: bool = False
    reason: str | None = None


WEAK_METHODS: frozenset[str] = frozenset(
    {"last-number", "zh-numeral", "number-words", "verdict", "option-text", "option-value",
     "answer-before-check", "looped", "question-echo", "last-year", "option-words",
     "labelled-result"}
)
"""The weakest rules: a number merely because it came last (or was the last year, asked for
one) or sat in a clause that restated the question or closed a working labelled with what
the question asks, a letter merely called correct
somewhere, an option's text merely mentioned, an option merely equal to the reply's final
number, the value a looping reply repeated before it was cut off. Answers read this way deserve an audit (reports
list them) or a second reader (``baimo.tasks.extract_model``)."""

DECIDED_NO_ANSWER: frozenset[str] = frozenset(
    {"empty-answer", "ambiguous", "invalid-letter", "hedged", "range", "undetermined",
     "declined"}
)
"""Methods of a ``no-answer`` that the rules decided on purpose (the model hedged, gave a
range, said the question cannot be answered, or wrote nothing): a second reader must not
overrule them."""


# ---------------------------------------------------------------------------------------------
# Reasoning and text normalisation
# ---------------------------------------------------------------------------------------------

_THINK_OPEN = lazy(r"<(think|thinking)\s*>", re.IGNORECASE)
_THINK_CLOSE = lazy(r"</(think|thinking)\s*>", re.IGNORECASE)
# (Not a bold option label that reviews the options: "**Option A: …** —", "**A：y=x²** 是…")
_REPLY_PARAGRAPH = lazy(r"(?<=\n\n)(?:\*\*(?!(?:option\s+|选项)?[A-Z]\s*[:：.)）])|#{1,4}\s|\|"
                        r"|(?:final\s+)?answer\s*[:：]|答案\s*[:：])", re.IGNORECASE)
# Chat-template tokens that end a turn or open one: ChatML, Llama 3, Gemma, Phi/ChatGLM,
# Mistral's [INST] and the </s> and <|endoftext|> of many others. A model run with a wrong
# or missing template writes them, and often goes on to play the next turns itself.
_TURN_TOKEN = lazy(
    r"<\|(?:im_start|im_end|eot_id|end_of_text|endoftext|end|user|assistant|system|observation"
    r"|start_header_id|end_header_id)\|>|<(?:start_of_turn|end_of_turn)>|</s>|\[/?INST\]",
    re.IGNORECASE,
)


# A turn of the user's (or the system's) at the start is the prompt echoed back; the reply
# starts where the assistant's turn does.
_USER_TURN = lazy(
    r"\[INST\]|<\|im_start\|>[ \t]*(?:user|system)|<\|(?:user|system)\|>"
    r"|<start_of_turn>[ \t]*user|<\|start_header_id\|>[ \t]*(?:user|system)[ \t]*<\|end_header_id\|>",
    re.IGNORECASE,
)
_ASSISTANT_TURN = lazy(
    r"\[/INST\]|<\|im_start\|>[ \t]*assistant|<\|assistant\|>|<start_of_turn>[ \t]*model"
    r"|<\|start_header_id\|>[ \t]*assistant[ \t]*<\|end_header_id\|>",
    re.IGNORECASE,
)


def _own_turn(text: str) -> str:
    """The model's own turn: after a prompt it echoed in template tokens ("[INST] What is …
    [/INST] The capital is Canberra"), and up to the first chat-template token that follows
    its text ("C. Coulomb<|im_end|>\n<|im_start|>user\nWhat is…" answers with C; what
    follows is a conversation the model went on to invent)."""
    if "<" not in text and "[" not in text:
        return text  # (the common case: no token can be there)
    while True:
        lead = text.lstrip()
        if (user := _USER_TURN.match(lead)) is not None:
            reply = _ASSISTANT_TURN.search(lead, user.end())
            text = lead[reply.end() :] if reply else lead[user.end() :]
        elif (assistant := _ASSISTANT_TURN.match(lead)) is not None:
            text = lead[assistant.end() :]
        elif (token := _TURN_TOKEN.match(lead)) is not None:
            text = lead[token.end() :]
        else:
            break
    end = _TURN_TOKEN.search(text)
    return text[: end.start()] if end else text


def strip_reasoning(text: str) -> tuple[str, str]:
    """Split a response into its reasoning and its final answer.

    Only the final answer may be scored: reasoning models try letters out loud ("is it A? no,
    C") and reading those would score the draft, not the answer. Everything before the last
    ``</think>`` is reasoning, even when the opening tag is missing, as it is when a chat
    template already emitted it. An unclosed ``<think>`` means the model never got to answer,
    so everything is reasoning and the answer is empty, unless a paragraph after it opens as a
    set-out reply does (bold, a heading, a table, an answer label). The reply ends at the first
    chat-template token after its text (``<|im_end|>``, ``</s>``, ``<|user|>``): what a
    model writes after that is another turn.

    Args:
        text: The raw response text.

    Returns:
        ``(reasoning, answer)``, both stripped of surrounding whitespace and of the tags.
    """
    text = _own_turn(text)
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        last = closes[-1]
        reasoning = text[: last.start()]
        answer = text[last.end() :]
    else:
        opened = _THINK_OPEN.search(text)
        if opened is None:
            return "", text.strip()
        reasoning = text
        answer = ""
        # A model that never closes its block but goes on to set out a reply ("Let me format
        # a clean answer.\n\n**Answer: A, C, E**", "…\n\n答案：ACD\n\n- 李白…"): the first
        # paragraph that opens as a reply does (bold, a heading, a table, an answer label)
        # starts the answer. Plain paragraphs are still thinking.
        reply = _REPLY_PARAGRAPH.search(text, opened.end())
        if reply is not None:
            reasoning, answer = text[: reply.start()], text[reply.start() :]
    reasoning = _THINK_CLOSE.sub("\n", _THINK_OPEN.sub("", reasoning))
    return reasoning.strip(), answer.strip()


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3040" <= ch <= "\u30ff"


_ARTICLES = lazy(r"\b(?:a|an|the)\b")
_LEADING_ARTICLE = lazy(r"^(?:a|an|the) ")
_CJK_CLASS = "[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]"
_SPACE_NEAR_CJK = lazy(rf"(?<={_CJK_CLASS}) | (?={_CJK_CLASS})")


def normalize_text(s: str) -> str:
    """Normalise text for normalised-exact comparison in Chinese and English.

    Models differ from references in width (``Ａ`` vs ``A``), case, punctuation, articles and
    spacing, none of which change the answer. Chinese has no spaces between words, so spaces
    next to CJK characters are dropped; English words keep one space between them so that
    "new york" does not equal "newyork".

    Args:
        s: Any text.

    Returns:
        The NFKC-folded, lower-cased text without punctuation, English articles, or redundant
        whitespace.
    """
    return _fold(s, articles=True)


@functools.cache
def _punctuation_table() -> dict[int, str]:
    """Map every punctuation code point of the BMP to a space (built once, on first use)."""
    return {
        cp: " " for cp in range(0x10000) if unicodedata.category(chr(cp)).startswith("P")
    }


_ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                  "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
                  "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
                  "twentieth")
_ORDINAL_WORD = lazy(rf"\b(?:{'|'.join(_ORDINAL_WORDS)})\b")


def _ordinal(m: re.Match[str]) -> str:
    n = _ORDINAL_WORDS.index(m.group()) + 1
    return f"{n}{'th' if 4 <= n <= 20 else ('st', 'nd', 'rd')[n - 1]}"


_DASHES = lazy("[\u2010-\u2015]")
# A minus sign before a number, not a hyphen or a subtraction: "= -2", "(-3)", "-0.5".
# (Writers type it as a hyphen, U+2212, or a dash: "x = –2", "—2", "‑2".)
_SIGN_MINUS = lazy(r"(?<![0-9a-z.)\]])[-\u2010-\u2015](?=\d)")


def _fold(s: str, *, articles: bool) -> str:
    """``s`` as the option matchers compare it: NFKC, lower case, punctuation as spaces,
    ordinals in digits ("the Thirteenth Amendment" names "13th Amendment")."""
    # ("water & electrolytes" names "water and electrolytes")
    s = unicodedata.normalize("NFKC", s).lower().replace(" & ", " and ")
    if "-" in s or "\u2212" in s or _DASHES.search(s):
        # A sign stays, as "−": "−2.5" must not name the option "2.5". A hyphen or a binary
        # minus ("18π − 36", "COVID-19") is punctuation, a space on either side alike.
        s = _SIGN_MINUS.sub("\u2212", s.replace("\u2212", "-"))
    s = s.translate(_punctuation_table())
    if "th" in s or "st" in s or "nd" in s or "rd" in s:
        s = _ORDINAL_WORD.sub(_ordinal, s)
    if articles:
        s = _ARTICLES.sub(" ", s)
    s = " ".join(s.split())
    return _SPACE_NEAR_CJK.sub("", s)


_BLANK_RUN = lazy(r"[ \t\r\f\v]{2,}")
_NEWLINE_RUN = lazy(r"\n(?:[ \t]*\n){2,}")
# How far after a marker an answer sentence, or inside \boxed{}, an answer may reach.
_MAX_SEGMENT = 400
# How many answer markers to look back through; a real response never needs more.
_MAX_MARKERS = 100


_SUPERSCRIPT_RUN = lazy("[\u2070\u00b9\u00b2\u00b3\u2074-\u2079\u207a\u207b]+")
_SUPERSCRIPTS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207a\u207b",
                              "0123456789+-")


_RESULT_COMMA = lazy(r"([=＝][ \t]*[0-9０-９]{1,3})，(?=[0-9０-９])")
_VULGAR_AFTER_DIGIT = lazy("(?<=[0-9])(?=[\u00bc-\u00be\u2150-\u215e])")


# Traditional characters that the rules' words and numerals use, to their simplified forms: a
# reply in traditional Chinese ("答案為 (B)", "選項", "兩萬五千") is read by the same rules.
_TRADITIONAL = str.maketrans(
    "為選項應確對錯誤說這個沒無與數計結論總於綜會將種兩萬億門題問實際發現點體"
    "據們麼還裡後開進過擇屬雖當從則須並僅盡嗎誰幾約條關級價單雙舊歲時間讀寫",
    "为选项应确对错误说这个没无与数计结论总于综会将种两万亿门题问实际发现点体"
    "据们么还里后开进过择属虽当从则须并仅尽吗谁几约条关级价单双旧岁时间读写",
)


def _prepare(text: str) -> str:
    """NFKC-fold and unify the minus signs, so every rule sees one spelling of each symbol.

    Superscripts become ``^`` powers first: NFKC would fold ``10⁻³`` into ``10-3``, a
    subtraction, while ``10^-3`` keeps the exponent readable. A vulgar fraction after a digit
    gets a space first, for the same reason: ``4½`` folds to ``41/2``, but is ``4 1/2``.
    """
    text = _SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPTS), text)
    text = _VULGAR_AFTER_DIGIT.sub(" ", text)
    if "，" in text:
        # "=140，140周年", "=220，220×0.9=198": after a result, a Chinese comma ends the
        # clause; NFKC would make it a thousands separator ("140,140"). (Elsewhere it may be
        # one: "答案是1，234".)
        text = _RESULT_COMMA.sub(r"\1, ", text)
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2212", "-").replace("\ufe63", "-").replace("\u2044", "/")
    text = text.replace("\u22c5", "·").replace("\u2217", "*")
    text = text.replace("\u2019", "'").replace("\u2018", "'")  # "It’s C", "can’t be determined"
    if not text.isascii():
        text = text.translate(_TRADITIONAL)  # "答案為 (B)", "兩萬": the rules' characters
    # Long runs of blanks carry no meaning and make regular expressions slow.
    return _BLANK_RUN.sub(" ", _NEWLINE_RUN.sub("\n\n", text))


_BRACE = lazy(r"[{}]")


def _boxed_contents(text: str) -> list[tuple[int, str]]:
    """Return ``(position, content)`` of every ``\\boxed{}``/``\\fbox{}``, braces balanced."""
    found: list[tuple[int, str]] = []
    for m in re.finditer(r"\\(?:boxed|fbox)\s*\{", text):
        depth = 1
        for brace in _BRACE.finditer(text, m.end(), m.end() + _MAX_SEGMENT):
            depth += 1 if brace.group() == "{" else -1
            if depth == 0:
                found.append((m.start(), text[m.end() : brace.start()]))
                break
    return found


# ---------------------------------------------------------------------------------------------
# Multiple choice
# ---------------------------------------------------------------------------------------------

# Upper-case letters, perhaps bracketed or bold, that close an English sentence ("**A, C, D**.").
_LETTERS_END_EN = (
    r"\s*[(\[*]*(?-i:[A-Z])[)\]*]*(?:\s*(?:,|and|&)\s*(?:and\s+)?[(\[*]*(?-i:[A-Z])[)\]*]*)*"
    r"\s*(?:[.!]|\n|$)"
)
# Markers that announce the answer. English ones are case-insensitive; the optional adverbs let
# "the answer is therefore B" through without letting arbitrary words in.
_EN_MARKER = (
    r"(?<![A-Za-z])(?<!</)(?:"  # not a closing tag: "</answer>" is followed by other text
    r"(?:(?:the|my|our)\s+)?(?:(?:final|correct|right|best|true|most\s+likely)\s+)?"
    r"(?:answers?|ans\b\.?(?=\s*:))"  # ("ans: c")
    r"(?:\s+to\s+(?:this|the)\s+(?:question|problem)|\s+here)?"
    r"(?:\s*(?:is|are|was|would\s+be|should\s+be|must\s+be|will\s+be|=|:|-|—)|'s(?=\s))?"
    # ("The others are all recognized exceptions:", "(A) automobile exception\n- (C) …" name
    # other options, not the answer: the exception must be said to be one)
    r"|(?:the\s+)?exception(?:\s+here)?\s*(?:\bis\b|\bwould\s+be\b|:)"
    r"|(?:the\s+)?odd\s+one\s+out(?:\s+(?:here\s+)?(?:is|would\s+be|:))?"
    # A summary label that heads the answer: "TL;DR: B", "Bottom line: the Nile", "In short:".
    r"|\b(?:tl;?\s?dr|bottom\s+line|in\s+short|in\s+a\s+nutshell|in\s+brief)\s*:"
    r"|(?:correct|right|best|final|my|true)\s+(?:option|choice|response|selection|pick|one|statement)s?"
    r"(?:\s+here)?(?:\s*(?:is|are|would\s+be|=|:))?"
    # "The best inference is D.", "the most plausible reading would be B.": a superlative
    # judgement of any noun, when only letters close the sentence.
    r"|(?:correct|right|best|most\s+(?:likely|plausible|reasonable|accurate|appropriate|suitable))"
    r"\s+[a-z]+(?:\s+here)?\s+(?:is|would\s+be)"
    r"(?=\s*(?:(?:option|choice)\s+)?[(\[*]*(?-i:[A-Z])[)\]*]*\s*(?:[。.!]|\n|$))"
    # The option the question asks for, named by its property: "So the lowest-risk option is
    # C — T-bills are …" (not "the wrong option is B", "the tempting choice is A")
    r"|\bthe\s+(?!(?:worst|latest|earliest|interest)\b)(?:[a-z]+est|(?:most|least)\s+[a-z]+)"
    r"(?:-[a-z]+)*\s+(?:option|choice)\s+(?:here\s+)?"
    r"(?:is|would\s+be)(?=\s*[(\[*]*(?-i:[A-Z])[)\]*]*\s*(?:[。.!—–]|\s-\s|\n|$))"
    # A label ("Correct: B", "Selected: B"), not a predicate ("none of them is correct: ...").
    r"|(?<!is\s)(?<!are\s)(?:final|correct(?:\s+ones)?|selected|selection|most\s+likely)\s*:"
    # a key of structured output: "selected_options:", "chosen-answers:", "correct_choices:"
    r"|(?:selected|chosen|correct|final)[_ -](?:options?|choices?|answers?|letters?)\s*:"
    # "I'll submit A and B", "I'd mark C", "I will tick B and D": any verb of handing it in.
    r"|I(?:\s+would|'d|\s+will|'ll)?\s+(?:choose|pick|select|go\s+with|say|answer|submit|mark"
    r"|tick|circle|check|put\s+down|enter)"
    r"|I(?:'d|\s+would|'m|\s+am)?\s+(?:lean|leaning)\s+(?:toward|towards)"
    r"|I(?:'m|\s+am)\s+(?:going\s+with|choosing|picking|selecting)"
    # An instruction to the reader that opens a sentence: "So choose B.", "Pick (C)."
    # ("For acetaminophen, pick C.": after a clause that says when, too.)
    r"|(?:\A|(?<=\n)|(?<=[.!?:,] )|\b(?:so|thus|therefore|hence)\s*,?\s+)"
    r"(?:choose|pick|select|go\s+with)\s+(?=(?:option\s+)?[(\[*]*(?-i:[A-Z])\b)"
    # "Going with (c) here — …": the choice made, a bracketed small letter too, when the letter
    # ends its clause (not "Going with B would be a mistake")
    r"|(?:\A|(?<=\n)|(?<=[.!?:] ))going\s+with\s+(?=(?:option\s+)?(?:[(\[*]*(?-i:[A-Z])[)\]*]*"
    r"|\((?-i:[a-z])\))\s*(?:here\s*)?(?:[.!;:,—–]|\s-\s|\n|$))"
    r"|(?:\bprobably|\bmost\s+likely|\blikely|\bmy\s+(?:best\s+)?guess\s+(?:is|would\s+be)"
    r"|\bI\s+(?:think|believe|guess|suspect)(?:\s+it's|\s+it\s+is)?|\bgo\s+with|\bmust\s+be)"
    r"\s*,?\s*(?=\(?[A-Z]\b(?![''-]))"
    # A JSON key, also inside a string-encoded JSON ("{\"answer\": \"BC\"}" in tool arguments).
    r"|\\?[\"'](?:final_?answer|answer|choice|option|selected|selection|答案)s?\\?[\"']\s*:"
    # Letters that fill a tag of their own: "<final>B</final>", "<choice>A, D</choice>".
    r"|<[A-Za-z_]{2,20}>(?=[ \t]*[(*]*(?-i:[A-Z])[)*]*(?:[ \t]*(?:,|、|and|&)?[ \t]*[(*]*"
    r"(?-i:[A-Z])[)*]*)*[ \t]*</)"
    # A table row headed "Answer" whose filled cell holds only letters: "| **Answer** | | **B** |",
    # or one letter and its option's text: "| **Most likely** | **B – Carcinoma of …** |".
    r"|\|[ \t*]*(?:(?:(?:final|correct|best)\s+)?(?:answers?|choice)|most\s+likely|答案|结论)"
    r"[ \t*]*\|[ \t|]*"
    r"(?=[*(]*(?-i:[A-Z])[*)]*(?:[ \t]*(?:,|、|and|&)[ \t]*[*(]*(?-i:[A-Z])[*)]*)*[ \t]*\|"
    r"|[*(]*(?-i:[A-Z])\)?[ \t]*[—–.:-][ \t]+[^|\n]{1,100}\|)"
    r"|\b(?:actually|on\s+second\s+thought|looking\s+again|correction)\b[^.\n。]{0,30}?"
    r"(?=\b[A-Z]\b\s+(?:is|are)\s+(?:right|correct|the\s+answer))"
    r"|(?:that|which)(?:\s+is|'s|’s|\s+would\s+be)\s+(?=(?:option|choice)\s+[(*]*[A-Z]\b)"
    # "Those are options A and C." closing a worked answer (the letters end the reply)
    r"|\b(?:those|these)\s+are\s+(?=(?:options|choices)\s+[(*]*(?-i:[A-Z])[)*]*"
    r"(?:\s*(?:,|and|&)\s*(?:and\s+)?[(*]*(?-i:[A-Z])[)*]*)*\s*[.!]?\s*\Z)"
    # "That's **(B)**.", "which is *C*!", "that is (D)": markdown around the letter is no word.
    r"|(?:that|which)(?:\s+is|'s|’s|\s+would\s+be)\s+"
    r"(?=[*_]*\(?(?-i:[A-Z])\)?[*_]*\s*(?:[.!]|$))"
    # "which corresponds to option B", "That matches (B)": a computed value's option.
    r"|(?:which|that|this)\s+(?:corresponds|matches|agrees)(?:\s+(?:to|with))?\s+"
    r"(?=(?:option|choice)\s+[(*]*[A-Z]\b|[*_]*\((?-i:[A-Z])\)"
    # ("That matches B.", not "That matches B. Hmm, wait —")
    r"|[*_]*(?-i:[A-Z])[*_]*\s*(?:[.!。]|$)(?!\s*(?:hmm|wait|actually|no\b)))"
    # "So the odd functions are A, C, E.": a concluding sentence whose complement is only a
    # list of letters, unless its subject names what is rejected ("so the wrong ones are A
    # and C"). One letter is left out: in "So the vitamin involved is C" it is a name.
    r"|\b(?:so|thus|therefore|hence)\s*,?\s+(?:(?!\b(?:not|wrong|incorrect|false|invalid|bad"
    r"|reject\w*|rul\w+|eliminat\w*|exclud\w*|distractors?|traps?|mistakes?|errors?)\b|n't)"
    rf"[^.:;\n]){{1,50}}?\sare\s+(?=[(\[*]*(?-i:[A-Z])[)\]*]*\s*(?:,|and|&){_LETTERS_END_EN})"
    # "So the plaintiff must prove **A, C, and D**.": a concluding sentence, any verb, whose
    # complement is only letters set in bold.
    r"|\b(?:so|thus|therefore|hence)\s*,?\s+(?:(?!\b(?:not|wrong|incorrect|false|invalid|bad"
    r"|reject\w*|rul\w+|eliminat\w*|exclud\w*|distractors?|traps?|mistakes?|errors?)\b|n't)"
    r"[^.:;*\n]){1,60}?\s(?=\*\*\(?(?-i:[A-Z])\)?(?:\s*(?:,|and|&)\s*(?:and\s+)?\(?(?-i:[A-Z])\)?)*"
    r"\*\*\s*(?:[.!]|\n|$)"
    # or one bracketed letter with its option's text: "So the planet … is **(C) Jupiter**, not …"
    r"|\*\*\((?-i:[A-Z])\)[ \t][^*\n]{1,60}\*\*\s*(?:[.!,;]|\n|$))"
    # "i.e. **A, C, D**", "namely B": a restatement whose letters close the sentence; so is
    # "…is Canberra, i.e. option B.".
    rf"|(?:\bi\.e\.|\bnamely|\bthat\s+is(?=\s*,))\s*,?\s*(?:(?:option|choice)s?\s+)?"
    rf"(?={_LETTERS_END_EN})"
    # Of two finalists, the one kept: "Between B and C, C is the better-supported inference."
    r"|\b(?:between|of)\s+(?:options?\s+)?(?-i:[A-Z])\s+and\s+(?-i:[A-Z])\s*,\s*"
    r"(?=\(?(?-i:[A-Z])\)?\s+(?:is|seems|looks|fits|reads)\b)"
    # "So all four options are correct: **A, B, C, D**."
    r"|\ball\s+(?:(?:two|three|four|five|six)\s+)?(?:options|choices|statements)\s+are\s+"
    r"(?:correct|right|true)\s*:"
    r"|(?:the\s+)?(?:ones?|options?|choices?|statements?)\s+(?:that|which)\s+"
    r"(?:qualify|qualifies|apply|applies|fit|fits|are\s+correct|is\s+correct|are\s+true"
    r"|is\s+true)\s+(?:are|is)"
    # "So B.", "So B — not C", "So ABD.": concluding letters, alone or set against a
    # rejected one.
    r"|\b(?:so|thus|therefore|hence)\s*,?\s*"
    r"(?=\(?(?:[A-Z]|(?-i:[A-Z]{2,6}))\)?(?:\s*[.。!]|\s*$|\s*[—–]|\s*[,;]\s*not\b"
    r"|\s+it\s+is\s*[.!]))"  # ("So B it is.")
    r"|(?:that|which|this)\s+leaves(?:\s+only)?|leaving(?:\s+only)?"
    r"|\bit(?:'s|’s|\s+is|\s+must\s+be|\s+should\s+be|\s+would\s+be|\s+could\s+be"
    r"|\s+might\s+be)"
    # "The mammals are (A) and (D):", "…are (a), (c) and (e).": a copula whose complement is
    # only bracketed letters; "The primes are **B and D** (23 and 29).": or letters set in
    # bold together.
    r"|\b(?:is|are)\s+(?=(?:[(*]+(?-i:[A-Z])[)*]+|\((?-i:[a-z])\))"
    r"(?:\s*(?:,|and|&)\s*(?:and\s+)?(?:[(*]+(?-i:[A-Z])[)*]+|\((?-i:[a-z])\)))*"
    r"\s*(?:[.:;!]|\n|$))"
    r"|\b(?:is|are)\s+(?=\*\*\(?(?-i:[A-Z])\)?(?:\s*(?:,|and|&)\s*(?:and\s+)?\(?(?-i:[A-Z])\)?)*"
    r"\*\*(?:\s*\([^()\n]{1,40}\))?\s*(?:[.:;!]|\n|$))"
    # "…the greatest fraction is **5/12 (D)**.": a bold complement that ends in its label.
    r"|\b(?:is|are)\s+\*\*(?:(?!\((?-i:[A-Z])\))[^*\n]){1,60}?"
    r"(?=[ \t]*\((?-i:[A-Z])\)[ \t]*\*\*[ \t]*(?:[.:;!]|\n|$))"
    # "…the mammals here are a, c and e.", "the three choices are: A, C, D.", "…are B, D, and
    # F (choices 2, 4, and 6).": a copula whose complement is a bare list of two or more
    # letters, in either case, perhaps glossed in brackets, that closes the sentence.
    r"|\b(?:is|are)\s*:?\s+(?=[A-Za-z](?:\s*(?:,|and|&)\s*(?:and\s+)?[A-Za-z])+"
    r"(?![A-Za-z0-9])\s*(?:\([^()\n]{1,40}\))?\s*(?:[.;!]|\n|$))"
    r")"
    r"(?:\s*,?\s*(?:clearly|definitely|therefore|thus|then|actually|indeed|probably|likely"
    r"|most\s+likely|hence|so|still|simply|just|certainly|obviously)\b,?)*"
)
# One or several letters that close the sentence ("B。", "B和D。", "(A)、(C)").
_LETTERS_END = (
    # (or a run of them: "…，即 ABC。")
    r"\s*[(\[*]*(?:(?-i:[A-Z]{2,6})[)\]*]*"
    r"|(?-i:[A-Z])[)\]*]*(?:\s*(?:[、,和与及]|and)\s*[(\[*]*(?-i:[A-Z])[)\]*]*)*)"
    # Counted after the letters: "A、C 两项。", "B和D这两个选项。", "C项。".
    r"(?:\s*这?(?:[两二三四五六]个?)?(?:选项|项|个))?"
    r"\s*(?:[。.!]|\n|$)"
)
_ZH_MARKER = (
    r"(?:"
    r"(?:正确|最终|最后|标准|参考)?的?答案(?:应该|应当|应|可能|就|则|只能|当然|显然|即|还是)?"
    r"(?:是|为|选择|选(?!项))?"
    r"|答(?=\s*:)"
    # A labelled short answer: "简要回答：…", "一句话回答：…", "答えは B" / "正解：C" (Japanese).
    r"|(?:简要|简短|简单|直接|一句话|快速)(?:回答|作答)(?=[\s*]*:)|答えは|答え(?=\s*:)|正解(?:は)?"
    # "结论：B", or a heading "## 结论" whose next line holds the answer.
    r"|结论(?=\s*:|[ \t*]*\n)"
    # "排除 A、B、D 之后，剩下 C": what an elimination leaves is the answer.
    # Only a letter that closes the clause: "剩下的选项A和B都是负数" still compares candidates.
    r"|(?:只|就)?剩(?:下|余)?(?:的)?(?:就)?(?:只有|只)?(?:是|了)?"
    r"(?=\s*(?:选项)?\s*[A-Z][\s*]*(?:项|选项)?了?(?:[。.!！，,；;\n]|$))"
    # "因此应改为 D": a self-correction names the new answer.
    r"|(?:应该?|应当)?改(?:为|成|选)(?:选项)?"
    r"|(?<!不)(?<!不应)(?<!不能)(?<!不应该)(?<!误)(?<!错)(?<!别)(?<!勿)(?<!不要)(?<!不该)(?<!人会)(?<!学会)(?<!人)"
    # "可能选C，也可能选D": the second half of a hedge; the first half reads it as one.
    # Not a word that starts with 选: "选举权" (election), "选手", "选民", "选修".
    r"(?<!也可能)(?<!或者)选择?(?:是|为)?(?!项|出|用|取|择|举|手|民|修|拔|购|票|派)"
    r"|正确选项(?:是|为)?"
    # "正确的是", "正确的选项为", "正确的说法有": any short noun between "的" and the copula.
    r"|(?:正确|符合题意|最符合题意|最合适|最恰当|最佳|合适|恰当)的(?:[\u4e00-\u9fff]{1,3}?)?"
    r"(?:是|为|有)"
    # A mild hedge that still commits: "大概率是A", "十有八九选C", "我猜是B", "最有可能是D".
    r"|(?:觉得|认为)(?:应该)?(?:是|选)|倾向于(?:选择?)?"
    # "我比较确定是B" (not "不确定是B还是C", "无法确定是哪个")
    r"|(?<![不法是敢有])(?:比较|很|挺|基本|非常)确定(?:是|选)(?!哪)"
    r"|(?:大概率?|估计|多半|八成|十有八九|我猜|很可能|极可能|最有?可能)(?:是|选)"
    # "那就只能是B了": what is left after the others are ruled out.
    r"|只(?:能|可能|好)(?:是|选)"
    # "则" concludes after a clause ("，则是B"), not after a topic ("五味则是…": "whereas").
    r"|(?:所以|因此|故|(?<![\u4e00-\u9fff])则)(?:应该)?(?:是|为)"
    # "现以C为准": the letter a reply settles on after mentioning an older one
    r"|(?<!倾向)(?<!若)(?<!如果)(?<!假如)以(?=\s*(?:选项)?\s*[A-Z]\s*(?:项|选项)?\s*为准"
    r"(?![^。\n]{0,12}(?:也说得通|也可以|也对|也行)))"
    r"|(?<!不)(?:应该|应当)(?:是|为)"
    # A reply that opens with "是…" completes the question's "…的是（ ）", like "It's …".
    r"|\A\s*(?:应该|应当|就)?是(?!否|非|不|的)"
    # "对应选项B", "对应B项", "对应选项 **C**"
    r"|对应(?:的是|的)?(?=\s*(?:选项[\s*]*[A-Z]|[A-Z][\s*]*(?:选项|项)))"
    # The option's label set after a comma: "…是3/2，即选项C。", "…，也就是 B。".
    rf"|,\s*(?:即|也就是|亦即)(?:选项)?(?={_LETTERS_END})"
    # Of two finalists, the one kept: "B和C之间，C更符合文意", "在A、D两项中，D更合适".
    r"|[A-Z]\s*(?:和|与|、)\s*[A-Z]\s*(?:两项|两个选项|两者)?\s*(?:之间|中|里|相比)\s*,\s*"
    r"(?=[A-Z]\s*(?:项|选项)?\s*(?:更|最|才))"
    # "所以没有错别字的是 C。", "所以奇函数是B和D。": "…的是" or a concluding "所以…是" + letters
    # that end the sentence name the answer.
    rf"|的(?:一项|一组|一句|一个|选项|项)?是(?={_LETTERS_END})"
    # ("能与酸和碱都反应的有 A、B、C、E。": a multi-answer question's "…的有（ ）" restated)
    rf"|的有(?={_LETTERS_END})"
    rf"|(?:所以|因此|故|综上),?[^。\n,，;；:：A-Za-z]{{1,20}}?(?<![不非])(?:是|为|有)(?={_LETTERS_END})"
    r")"
)
# An arrow to letters that end the line: "2, 11, 17 → A, C, E", "= 25% → **B**",
# "→ options A, B, D".
# A dash after words works the same way: "The capital is Canberra — C."
_DASHED_LETTER_LINE = lazy(
    r"\S[ \t][—–][ \t]*[*(\[]*[A-Z][*)\]]*[ \t]*[.。]?[ \t]*$", re.MULTILINE
)
_ARROW_LETTERS = (
    r"[ \t]*(?:(?:options?|choices?|选项)[ \t]*)?[*(\[]*(?-i:[A-Z]{1,6})[*)\]]*"
    r"(?:[ \t]*(?:,|、|and|&)[ \t]*[*(\[]*(?-i:[A-Z])[*)\]]*)*"
)
_ARROW_MARKER = (
    # an arrow's letters may carry a gloss ("→ **B, C, E** (tuple, str, frozenset)"); a dash's
    # may not ("Potassium — K (*kalium*)" gives a symbol)
    rf"(?:→|⇒|=>)(?={_ARROW_LETTERS}(?:[ \t]*\([^()\n]{{1,60}}\))?[ \t]*[.。]?[ \t]*(?:\n|$)"
    # or one letter with its option's text: "→ **A. $9,000**"
    r"|[ \t]*[*(\[]*(?-i:[A-Z])[)\].][ \t]+[^\n]{1,80}(?:\n|$))"
    rf"|(?<=\S)[ \t][—–](?={_ARROW_LETTERS}[ \t]*[.。]?[ \t]*(?:\n|$))"
)
# The reply's closing line is a label and letters, whatever the label's words: a typo
# ("Answr: B", "答按：C"), a harness's own ("定稿：B", "Top choice: C", "Submit: AD"), or a
# sentence ending in a colon ("取得分高于0.5的选项：A、D。"). A label that rejects ("Wrong: A",
# "排除：B、C") or drafts ("草稿：C") names no answer; "Options: A, B, C, D" lists them all.
_LABEL_HEAD = (
    r"(?:(?<=\n)|\A)[ \t>*#-]*"
    r"(?![^\n:：]*(?:\b(?:not|wrong|incorrect|false|eliminat\w*|exclud\w*|reject\w*|ruled?"
    r"|distractors?|traps?|draft|initial|first)\b|错|误|排除|不|干扰|否|草稿|初|原))"
    # "Options: A, B, C, D" lists them all ("Selected options: A, D" picks)
    r"(?![ \t*]*(?:(?:the|all|answer|available|given|possible)\s+)?(?:options|choices)[ \t*]*[:：])"
    r"(?=[^\n:：]*(?:[A-Za-z]{2}|[\u4e00-\u9fff]))[^\n:：]{2,24}?[ \t*]*[:：]"
    # the letters, perhaps "[A, D, E]", "**B, C, and E**", "B, C, E (tuple, str, frozenset)"
    r"(?=[ \t*]*[(\[]?(?-i:[A-Z])[)\]*]*"
    r"(?:[ \t]*(?:,[ \t]*and|,|、|and|&|和)?[ \t]*[(\[*]*(?-i:[A-Z])[)\]*]*)*"
    r"(?:[ \t]*\([^()\n]{1,60}\))?[ \t*.。!]*"
)
_CLOSING_LABEL = _LABEL_HEAD + r"\s*\Z)"
# A bold line that ends in its letter: "**Median = 8 (B)**", "**最可能的诊断：慢阻肺（B）**".
# (Only one letter: "**Answer: (A), (C), (E)**" is read from its own marker.)
_BOLD_TAG_MARKER = (
    r"(?m:^[ \t>#-]*\*\*(?:(?![(（](?-i:[A-Z])[)）])[^*\n]){1,80}?"
    r"(?=[ \t]*[(（](?-i:[A-Z])[)）][ \t]*\*\*[ \t.。]*$))"
)
# A sentence that is only the option's label: "…, i.e., a shortage. Choice B. Surpluses …".
_OPTION_SENTENCE = (
    r"(?:(?<=[.!?。！？]\s)|(?<=\n)|\A)[ \t*]*(?:option|choice)(?=\s+[(*]*(?-i:[A-Z])[)*]*[.!。](?:\s|$))"
)
# An option's label set after a comma: "The exception is √(9/4), choice **C**.", "I'm fairly
# sure it's O negative, option C." (Apart from ``_EN_MARKER``, whose markers may not follow a
# letter: the comma does.)
_COMMA_OPTION = rf",[ \t]*(?:option|choice)s?\s+(?={_LETTERS_END_EN})"
# "So the protective measures are RCDs, earthing and double insulation: **A, B, D**.": a colon
# before bold letters that close the reply.
_COLON_BOLD = (r"(?<=\S):[ \t]+(?=\*\*(?-i:[A-Z])(?:[ \t]*(?:,|and|&)[ \t]*(?:and[ \t]+)?(?-i:[A-Z]))*"
               r"\*\*[ \t]*[.!]?\s*\Z)")
_MARKER = lazy(rf"{_EN_MARKER}|{_ZH_MARKER}|{_ARROW_MARKER}|{_BOLD_TAG_MARKER}|{_OPTION_SENTENCE}"
               rf"|{_COLON_BOLD}"
               rf"|{_COMMA_OPTION}", re.IGNORECASE)
# Tried on the last line only (see ``_markers``), which keeps the scan of every position cheap.
_CLOSING_MARKER = lazy(_CLOSING_LABEL, re.IGNORECASE)
# The same label line anywhere ("Report: **B, C, and E**." opening a reply, "Selected
# options: [A, D, E]" between its table and a closing tip); tried on short lines only.
_LABEL_LINE_MARKER = lazy(_LABEL_HEAD + r"(?:\n|\Z))", re.IGNORECASE)


def _markers(text: str) -> list[re.Match[str]]:
    """The answer markers of ``text`` in order, with a closing label line's label last."""
    found = list(_MARKER.finditer(text))
    body = text.rstrip()
    line_start = body.rfind("\n") + 1
    # A closing label line is short ("Answr: B", "定稿：A、C"); on a long line the pattern's
    # leading run and its look-aheads would backtrack quadratically (extraction_worst.py).
    closing = _CLOSING_MARKER.match(text, line_start) if len(body) - line_start <= 120 \
        else None
    if closing is not None and not (found and found[-1].start() >= line_start):
        found.append(closing)
    elif closing is None and (":" in text or "：" in text):
        # One label line elsewhere counts as well; two ("Pros: A\nCons: B") are a review.
        labels: list[re.Match[str]] = []
        start = 0
        for line in text.split("\n"):
            if len(line) <= 120 and (":" in line or "：" in line):
                label = _LABEL_LINE_MARKER.match(text, start)
                if label is not None:
                    labels.append(label)
            start += len(line) + 1
        if len(labels) == 1 and not any(f.start() >= labels[0].start() for f in found):
            found.append(labels[0])
    return found

# What may stand between a marker and its letter: spaces, colons, markdown, brackets, LaTeX
# wrappers, a word like "option"/"选项", and "either" (so that "either B or C" reads as a hedge).
_LEAD = lazy(
    r"(?:[\s:=*#>$`'\"“‘「『【\[({】」』→⇒]|[-—–](?!\d)"  # (not the sign of "答案：-1", "is –3")
    r"|\\(?:boxed|text|textbf|mathrm|mathbf|fbox)\s*\{|\\[(\[]|\\(?=[\"'])"
    r"|(?:option|choice|letter)s?(?![A-Za-z])|either(?=\s)|选项(?:是|为)?|选)*",
    re.IGNORECASE,
)
# Closers after a letter, before a separator or a negation.
_TRAIL = lazy(r"[)\]}】」』*$`'\"”’\\]*[ \t]*(?:选项|项)?")
_NEGATED = lazy(
    r"[ \t]*(?:is\s+(?:not|wrong|incorrect|false|a\s+distractor)|isn't|are\s+(?:wrong|incorrect|not)"
    r"|was\s+wrong|wrong|incorrect|false"
    # "which is option D — a common trap", "(A) — a trap answer"
    r"|[—–-]+[ \t]*(?:a|the)\s+(?:(?:common|classic|typical|tempting)\s+)?"
    r"(?:trap|distractor|decoy|mistake)"
    r"|(?:是|为)?(?:错|不(?:正确|对|符合|选|可能|合题意|恰当)|有误|排除|干扰))",
    re.IGNORECASE,
)
_HEDGE = lazy(
    r"[ \t]*[,;]?[ \t]*(?:or(?:\s+(?:maybe|possibly|perhaps))?|/|或者?|还是|也可能(?:是|选)?|,?\s*也有可能(?:是|选)?)"
    r"\s*(?:option\s*|选项)?[(\[*【]*([A-Za-z])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_NEGATION_LEAD = lazy(r"\s*(?:not|isn't|is\s+not|不是|并非)\s*", re.IGNORECASE)
# The reply takes back what it just wrote: "C) 3 — hmm, no.", "I'd go with C.\n\nWait,",
# "答案：B\n\n等等，…".
_WITHDRAWN = lazy(r"\bhm+,?\s+no\b|\bno,?\s+wait\b|\bwait\s*[,.!—–…]|\bscratch\s+that\b"
                  r"|\bactually,?\s+no\b|(?:不对|等等|等一下)[，,。.！!…—]", re.IGNORECASE)
_SPACE_LEAD = lazy(r"[\s*_>\-—–,，]+")
_CORRECTION = lazy(
    r"\s*[,;.]?\s*(?:but(?:\s+rather)?|it'?s|it\s+is|rather|instead|而是|而应该是|应该是|是)\s*",
    re.IGNORECASE,
)
_GROUP_SEP = lazy(
    r"[ \t]*(?:,|、|;|&|\+|/|和|与|及|以及|\band\b)[ \t]*(?:and[ \t]+)?|[ \t]+", re.IGNORECASE
)
# Words that may follow a letter answer; any other lower-case word after "A"/"I" or a
# lower-case letter means the letter was an article or a pronoun ("A patient with ...").
_CONTINUATION = frozenset({
    "because", "since", "as", "and", "or", "is", "was", "which", "for", "given", "here", "in",
    "with", "but", "not", "due", "per", "only", "then", "too", "now", "so", "from",
    "according", "being", "alone",
})
# On the same line only: a letter that ends its line ("answer: b, d\n\nthe passage says …",
# typed all in lower case) is not an article of the next line's first word.
_WORD_AFTER = lazy(r"[ \t]+([a-z]+)")
# What may follow the last of several letters when they are all the answer ("A、B。",
# "A and C are correct"); anything else means only the first letter was the answer.
_CLAUSE_END = lazy(
    r"\s*(?:$|[.。!?,;、\n]|(?:are|both)\b|都|均|两项|三项|项)", re.IGNORECASE
)
# Adjacent option letters for multi-answer questions ("ACD"); must be strictly increasing.
_RUN = lazy(r"[A-Z]{2,}(?![A-Za-z0-9])")
_OPENERS = ("(", "[", "【")
_LOWER_RUN = lazy(r"[a-z]{2,6}(?![A-Za-z0-9])")


@dataclass(frozen=True)
class _Read:
    """Letters read at a position; ``letters`` empty with ``reason`` set when not usable."""

    letters: tuple[str, ...]
    end: int
    reason: str = ""
    lowercase: bool = False


# After a letter, what makes it a name or a function rather than an option: "C++", "C#",
# "O(n log n)", "f(x)", "P(A)". A bracket that holds words ("C(not B)", "B(正确)") is an aside.
_NAME_OR_CALL = lazy(r"\+\+|#|\([a-z0-9^+\-*/., ]{1,15}\)")


def _isolated_letter(text: str, pos: int) -> str | None:
    """Return the letter at ``pos`` if it stands alone, not as part of a word or an article."""
    if pos >= len(text):
        return None
    ch = text[pos]
    if not ("A" <= ch <= "Z" or "a" <= ch <= "z"):
        return None
    if pos > 0 and text[pos - 1].isascii() and text[pos - 1].isalnum():
        return None
    nxt = text[pos + 1 : pos + 2]
    if nxt and nxt.isascii() and nxt.isalnum():
        return None
    if re.match(r"\.[A-Za-z]", text[pos + 1 : pos + 3]):  # "e.g.", "i.e."
        return None
    if _NAME_OR_CALL.match(text, pos + 1):  # "C++", "C#", "O(n log n)", "f(x)": not options
        return None
    if ch in "AI" or ch.islower():
        word = _WORD_AFTER.match(text, pos + 1)
        # ("答案：a c": a letter after it makes a list of letters, not an article)
        if word and word.group(1) not in _CONTINUATION and len(word.group(1)) > 1:
            return None
    return ch.upper()


def _hedge(text: str, pos: int, multi: bool) -> re.Match[str] | None:
    """A hedge to another letter at ``pos`` ("A or B", "A/B"). For a multi-answer question a
    slash lists letters ("A/C/E") rather than offering alternatives."""
    m = _HEDGE.match(text, pos)
    if m is not None and multi and m.group().lstrip(" \t,;").startswith("/"):
        return None
    return m


def _skip(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Position after what ``pattern`` matches at ``pos`` (``pos`` itself if nothing)."""
    m = pattern.match(text, pos)
    return m.end() if m else pos


_CONDITIONAL = lazy(
    r"(?:\b(?:if|whether|suppose|supposing|assume|assuming)\s+(?:that\s+)?(?:the\s+)?"
    r"|如果|假如|假设|若)$",
    re.IGNORECASE,
)


# A condition contrary to fact opens the marker's sentence: "If the question had asked for the
# recipient, the answer would be D", "Had it been 5 kg, …". An ordinary "if" ("If we solve for
# x, the answer is B") still concludes.
_COUNTERFACTUAL = lazy(
    r"\bif\b[^.!?\n]*\b(?:had|were)\b|\bhad\s+(?:the|it|we|you|they|this)\b", re.IGNORECASE
)


def _conditional(text: str, pos: int, marker: str = "") -> bool:
    """Whether the marker at ``pos`` is hypothetical ("if the answer is A, then ..."), or a
    "would" answer under a condition contrary to fact, or a pointer or an arrow in a sentence
    that opens with the reader's case ("Note: if you divide by the new value, you get 20%,
    which is option A", "- If you want to build websites → **JavaScript** (B)")."""
    if _CONDITIONAL.search(text, max(0, pos - 20), pos) is not None:
        return True
    if _POINTER.match(marker) or marker.lstrip().startswith(("→", "⇒", "=>")):
        floor = max(0, pos - 200)
        start = max(text.rfind(c, floor, pos) for c in ".!?\n") + 1
        if _CASE_OPENING.match(text, max(start, floor)) is not None:
            return True
    if not re.search(r"\bwould\b", marker, re.IGNORECASE):
        return False
    floor = max(0, pos - 200)  # a sentence's opening clause, not the whole reply
    start = max(text.rfind(c, floor, pos) for c in ".!?\n")
    if _COUNTERFACTUAL.search(text, max(start + 1, floor), pos) is not None:
        return True
    # or one contrary to fact right after its letter: "It would be A (elastic) only if the
    # absolute value exceeded 1, and C if it were exactly 1." (not a reason: "I would choose
    # B, because even if the sample were doubled, …")
    after = _COUNTERFACTUAL_AFTER.match(text, pos + len(marker))
    if after is None:
        return False
    end = _FULL_STOP.search(text, after.end())
    return _AFFIRMED.search(text, after.end(), end.start() if end else len(text)) is None


_COUNTERFACTUAL_AFTER = lazy(
    r"\s*(?:(?:option|choice)\s+)?[(\[*]*(?-i:[A-Z])[)\]*]*[ \t]*(?:\([^()\n]{1,40}\)[ \t]*)?"
    # (not the speaker's own case, which commits: "I would go with C if I had to pick one")
    r"(?:only\s+(?:if|when)\b|if\b(?!\s+(?:I|we)\s+(?:had\s+to|were\s+(?:forced|asked|made)|must))"
    r"[^.!?\n,;:]*?\b(?:were|had)\b)",
    re.IGNORECASE,
)
# A condition the sentence goes on to affirm: "… if the measurements were taken on the same
# subjects — and they were", "… only if both premises were true, and the question tells us …"
_AFFIRMED = lazy(
    r"\band\s+(?:they|it|both|this|that|we|he|she)\s+(?:were|was|is|are|do|does|did|had|have)\b"
    r"|\bwhich\s+(?:the\s+)?(?:problem|question)\b|\b(?:the\s+)?(?:problem|question)\s+"
    r"(?:says|states|tells|gives|assumes|specifies)\b",
    re.IGNORECASE,
)


# A sentence that opens with the reader's other choice, perhaps after a note's head or a bullet: a
# preference ("If you want to build websites →") or a misstep ("if you divide by the new value
# instead"). Not a tutor's "If you look closely, …, which is option D": that commits.
_CASE_OPENING = lazy(
    r"[\s>*_-]*(?:(?:note|tip|注意|注|提示)\s*[:：]\s*)?(?:if\s+(?:you|you're|your)\b"
    r"(?=[^.!?\n]*\b(?:want|wanted|prefer|plan|need|care|instead|mistakenly|wrongly|forget"
    r"|forgot|accidentally)\b)"
    r"|(?:如果|假如|若|要是)(?:你|您)(?=[^。！？\n]*(?:想|需要|打算|更看重|偏好|改用|误|错|忘|当成|当作)))",
    re.IGNORECASE,
)
_QUERY_MARKS = lazy(r"[ \t]*[?？]+")
# The words of a hedge without the letter that follows (``_HEDGE`` reads one letter only).
_LETTER_HEDGE_LEAD = lazy(
    r"[ \t]*[,;]?[ \t]*(?:or(?:\s+(?:maybe|possibly|perhaps))?|/|或者?|还是|也可能(?:是|选)?"
    r"|,?\s*也有可能(?:是|选)?)\s*(?:option\s*|选项)?(?=[(\[*【]*[A-Za-z])",
    re.IGNORECASE,
)


def _offered_against(text: str, pos: int, letters: Sequence[str], multi: bool) -> bool:
    """Whether the letters read up to ``pos`` are offered against another set: "A或AC",
    "ACD?? or AD", "B and C, or maybe B, C and D". Alternatives that share a first letter are
    still a hedge; the same set said twice ("B or b") is not."""
    hedge = _LETTER_HEDGE_LEAD.match(text, _skip(_QUERY_MARKS, text, _skip(_TRAIL, text, pos)))
    if hedge is None or (multi and hedge.group().lstrip(" \t,;").startswith("/")):
        return False  # for a multi-answer question "A/C/E" lists letters
    other = _read_letters(text, hedge.end(), multi)
    return other is not None and bool(other.letters) and set(other.letters) != set(letters)


def _read_letters(text: str, pos: int, multi: bool) -> _Read | None:
    """Read the answer letter(s) that start at ``pos`` (after a marker).

    Returns None when nothing letter-like is there, or when the letter is rejected ("A is
    wrong"). Returns a ``_Read`` with no letters and a reason for a hedge ("A or B"): the model
    did not commit. Several letters are read as one answer ("AC", "A、C", "A and C") even for a
    single-answer question, where they make a wrong answer rather than no answer; for those
    they must close the clause, so that "B, and A is tempting" reads as B.
    """
    start = _skip(_LEAD, text, pos)
    for _ in range(3):
        neg = _NEGATION_LEAD.match(text, start)
        if neg is None:
            break
        # "the answer is not A, it's C" / "答案不是B，而是D": skip the rejected letter.
        rejected_at = _skip(_LEAD, text, neg.end())
        if _isolated_letter(text, rejected_at) is None:
            return None
        corr = _CORRECTION.match(text, _skip(_TRAIL, text, rejected_at + 1))
        if corr is None:
            return None
        start = _skip(_LEAD, text, corr.end())
    else:
        return None
    run = _RUN.match(text, start)
    if run and (start == 0 or not (text[start - 1].isascii() and text[start - 1].isalnum())):
        run_letters = tuple(run.group())
        if not all(a < b for a, b in itertools.pairwise(run_letters)):
            return None  # an upper-case word ("NO", "BAD"), not option letters
        if _offered_against(text, run.end(), run_letters, multi):
            return _Read((), run.end(), "hedged between letters")  # "ACD?? or AD"
        return _Read(run_letters, run.end())
    low = _LOWER_RUN.match(text, start) if multi else None
    if low and (start == 0 or not (text[start - 1].isascii() and text[start - 1].isalnum())):
        # "答案是 abd": several options typed in lower case; strictly increasing, or a word.
        low_letters = tuple(low.group().upper())
        if all(a < b for a, b in itertools.pairwise(low_letters)):
            return _Read(low_letters, low.end(), lowercase=True)
    first = _isolated_letter(text, start)
    if first is None:
        return None
    end = start + 1
    after = _skip(_TRAIL, text, end)
    if _NEGATED.match(text, after):
        return None  # "A is wrong": a rejected option, not an answer
    hedge = _hedge(text, after, multi)
    if hedge and hedge.group(1).upper() != first:
        return _Read((), hedge.end(), "hedged between letters")
    letters: list[str] = [first]
    first_end = end
    enumerated = False  # the list so far uses "、", the Chinese enumeration comma
    while True:
        sep = _GROUP_SEP.match(text, after)
        if sep is not None and sep.end() > after:
            if enumerated and "," in sep.group():
                break  # "选A、B、D，C多汗不是…": after a "、" list, a comma starts a new clause
            enumerated = enumerated or "、" in sep.group()
            sep_end = sep.end()
        elif after > end and text[after - 1] in " \t":
            sep_end = after  # "A C E": the closers already took the space between letters
        elif after > end and text[after - 1] in ")]】" and text[after : after + 1] in _OPENERS:
            sep_end = after  # "(A)(C)": one bracketed letter after another
        else:
            break
        nxt_pos = _skip(_LEAD, text, sep_end)
        if "—" in text[after:nxt_pos] or "–" in text[after:nxt_pos]:
            break  # "**A, C, D** — B and E are nephritic": a dash starts a comment
        nxt = _isolated_letter(text, nxt_pos)
        if nxt is None:
            break
        nxt_after = _skip(_TRAIL, text, nxt_pos + 1)
        if _NEGATED.match(text, nxt_after):
            break
        hedge = _hedge(text, nxt_after, multi)
        if hedge and hedge.group(1).upper() not in (*letters, nxt):
            return _Read((), hedge.end(), "hedged between letters")  # "A, B, or D"
        letters.append(nxt)
        end = nxt_pos + 1
        after = nxt_after
    if _offered_against(text, after, letters, multi):
        # "可能是B和C，也可能是B、C和D", "A或AC": a list offered against another list.
        return _Read((), after, "hedged between letters")
    if len(letters) > 1 and not multi and not _CLAUSE_END.match(text, after):
        # "The answer is B, and A is tempting": only B is the answer.
        letters, end = [first], first_end
    return _Read(tuple(sorted(set(letters))), end, lowercase=text[start].islower())


@dataclass(frozen=True)
class _Candidate:
    pos: int
    letters: tuple[str, ...]
    method: str
    reason: str = ""
    complete: bool = True


def _valid(letters: Sequence[str], n_choices: int) -> bool:
    return all(0 <= ord(c) - ord("A") < n_choices for c in letters)


_SENTENCE_END = lazy(r"[。!?;\n]|\.(?!\d)")
# A letter the model asks itself about ("answer is A? Wait"), and a letter list that a cut
# left open ("C、", "A, C, and").
_ASKED_BACK = lazy(r"[)\]}】」』*$`'\"”’\\]*[ \t]*[?？]")
_OPEN_LIST = lazy(
    r"^[)\]}】」』*$`'\"”’\s]*(?:(?:,|、|;|&|\+|和|与|及|以及|\band\b)\s*)+$", re.IGNORECASE
)
# Where a clause ends inside a sentence; a comma before a digit belongs to "July 4, 1776".
_CLAUSE_BREAK = lazy(r"[,，;；]\s*(?!\d)")


# "Not Habeas corpus — it's Stare decisis", "是郡县制而非分封制": a rejected option's text.
_NOT_THIS = lazy(
    r"(?:\b(?:not|rather\s+than|instead\s+of|unlike|isn't|is\s+not|(?:the\s+)?opposite\s+of"
    r"|contrary\s+to|different\s+from)\s+|不是|而非|并非|而不是)"
    # An arrow leads to what is meant: "NOT X → Y". A copula ends a negated subject: in "the
    # one that is NOT a primary is Yellow", "不是质数的是9", what follows it is the answer.
    r"(?:(?!\s(?:is|are|was|were)\s|的是)[^,.;:!?，。；：！？—→⇒\n])*",
    re.IGNORECASE,
)


def _option_in(segment: str, choices: Sequence[str]) -> int | None:
    """Index of the one option whose text the segment names, or None if none or several.

    Longer option texts are matched first and their spans masked, so that "10" is not also
    counted as a mention of the option "1". Only an option's leading article is dropped ("A
    market with ..." is named by "the market with ..."); others are kept, since "Vitamin A"
    must not shrink to "vitamin" and match every vitamin.
    """
    negative_option = any(_NOT_THIS.search(c) for c in choices)  # "Not enough information"
    norm = _fold(segment if negative_option else _NOT_THIS.sub(" ", segment), articles=False)
    if not norm:
        return None
    opts = _option_forms(choices)
    for i, o in opts:
        if o and norm == o:
            return i
    hits = _options_named(norm, opts)
    if not hits and _ZH_NUMERAL_RUN.search(norm) and any(_ZH_COUNT.search(o) for _, o in opts):
        # "最长是六个月" names the option "6个月": the same count in Chinese numerals. Only a
        # count with its unit: "只选一个" must not name the option "1".
        hits = _options_named(_ZH_NUMERAL_RUN.sub(_zh_digits, norm), opts)
    return hits[0] if len(hits) == 1 else None


# (千 before 米, 克, 瓦… is "kilo": "三十五千米" is 35 千米)
_KILO_UNITS = "米克瓦焦帕卡"  # 千米, 千克, 千瓦, 千焦, 千帕, 千卡
_ZH_NUMERAL_RUN = lazy(f"(?:[零〇一二两三四五六七八九十百万亿]|千(?![{_KILO_UNITS}]))+")
_ZH_COUNT = lazy(rf"\d{_CJK_CLASS}")  # an option such as "6个月", "3天"


def _zh_digits(m: re.Match[str]) -> str:
    """A Chinese numeral written in digits ("十二" → "12"); unchanged if it is not a number."""
    value = _zh_integer(m.group())
    return m.group() if value is None else str(value)


def _options_named(norm: str, opts: list[tuple[int, str]]) -> list[int]:
    """Indexes of the folded options found in the folded ``norm``, longest first and masked."""
    hits: list[int] = []
    for i, o in sorted(opts, key=lambda io: -len(io[1])):
        if not o or i in hits:  # an option's full text found, its short form is not sought
            continue
        pat = re.escape(o)
        if o[0].isascii() and o[0].isalnum():
            pat = r"(?<![a-z0-9])" + pat
        if o[-1].isascii() and o[-1].isalpha():
            pat = pat + r"(?:e?s)?(?![a-z0-9])"  # "pulmonary veins" names "Pulmonary vein"
        elif o[-1].isascii() and o[-1].isalnum():
            pat = pat + r"(?![a-z0-9])"
        if re.search(pat, norm):
            hits.append(i)
            norm = re.sub(pat, " ", norm)
    return hits


def _all_options_in(segment: str, choices: Sequence[str]) -> list[int]:
    """Every option the segment names by its text ("Helium, Argon and Krypton")."""
    norm = _fold(segment, articles=False)
    return sorted(_options_named(norm, _option_forms(choices))) if norm else []


_LIST_OPENER = lazy(r"^(?:(?:both|all|only|just|namely|the|options?|choices?|都|有|是|包括)\s*)*",
                    re.IGNORECASE)


def _leads_with_option(segment: str, choices: Sequence[str]) -> bool:
    """Whether the segment starts with an option's text (after "both", "only", "the" …)."""
    norm = _LIST_OPENER.sub("", _fold(segment, articles=False))
    return any(o and norm.startswith(o) for _, o in _option_forms(choices))


# A gloss opens with a space or after Chinese ("Methane (CH₄)", "甲烷(CH₄)"), not "sin(x)".
_OPTION_GLOSS = lazy(r"(?:\s+\(|(?<=[\u4e00-\u9fff])\(|\s*（)[^()（）]{1,30}[)）]\s*$")


# A closing gloss that abbreviates the option: "(aPTT)", "(PT)", "(BMI)" (capitals, 2–6 letters).
_ABBREVIATION_GLOSS = lazy(r"(?:\s|(?<=[\u4e00-\u9fff]))[(（]([a-z]?[A-Z]{2,5}[a-z]?)[)）]\s*$")
# Abbreviations that fold to everyday words ("Ankylosing spondylitis (AS)", "Operating room
# (OR)"): read as words, they would name their options everywhere.
_COMMON_SHORT_WORDS = frozenset({
    "as", "or", "it", "us", "no", "am", "pm", "is", "in", "on", "at", "to", "an", "be", "do",
    "go", "he", "me", "my", "of", "so", "up", "we", "ok", "who", "was", "are", "can", "not",
    "and", "but", "for", "all", "any", "one", "two", "new", "now", "may", "has", "had", "his",
    "her", "its", "our", "out", "see", "use", "via",
})


def _option_forms(choices: Sequence[str]) -> list[tuple[int, str]]:
    """Each option folded for matching, and also without a closing gloss in brackets:
    "Methane (CH₄)" is named by "methane", "氮气（N₂）" by "氮气". Writers name the thing and
    drop the gloss. A head too short to be a name ("1 (one)") is not used. A gloss that is an
    abbreviation ("Activated partial thromboplastin time (aPTT)") names the option too: "The
    aPTT." answers it."""
    forms = [(i, _LEADING_ARTICLE.sub("", _fold(c, articles=False))) for i, c in enumerate(choices)]
    heads: list[tuple[int, str]] = []
    for i, c in enumerate(choices):
        head = _OPTION_GLOSS.sub("", c)
        if head != c:
            folded = _LEADING_ARTICLE.sub("", _fold(head, articles=False))
            cjk = any(_is_cjk(ch) for ch in folded)
            if len(folded) >= (2 if cjk else 3) and re.search(r"[^\W\d_]", folded):
                heads.append((i, folded))
            if ((short := _ABBREVIATION_GLOSS.search(c)) is not None
                    and short.group(1).lower() not in _COMMON_SHORT_WORDS):
                heads.append((i, _fold(short.group(1), articles=False)))
    # A head two options share ("Iron (Fe²⁺)", "Iron (Fe³⁺)") names neither.
    taken = Counter(o for _, o in forms + heads)
    return forms + [(i, o) for i, o in heads if taken[o] == 1]


# A letter with its option's text after it: "(A) kelvin", "C. mole", "E) candela".
_LETTER_WITH_TEXT = lazy(r"(?<![A-Za-z0-9])[(\[]?([A-Z])[)\].:][ \t]*([^,;，；、()\[\]\n*]+)")


def _labelled_list(text: str, pos: int, choices: Sequence[str]) -> tuple[str, ...] | None:
    """The letters of a list after a marker that gives each letter with its option's text
    ("Correct: (A) kelvin, (C) mole, (E) candela"), when every text is its letter's option."""
    line = text[pos : text.find("\n", pos) if "\n" in text[pos:] else len(text)]
    pairs = _LETTER_WITH_TEXT.findall(line)
    if len(pairs) < 2 or any(
        _option_in(name, choices) != ord(letter) - 65 for letter, name in pairs
    ):
        return None
    return tuple(sorted({letter for letter, _ in pairs}))


# A line that opens with a letter and its option's text, or the text and its letter, and then
# comments after a dash or a colon: "**B. Nitrogen** — it makes up 78% …", "Congress [B] —
# Article I …".
_PAIRED_LINE = lazy(
    r"^[ \t>*#_]*+(?:[(\[]?(?P<l>[A-Z])[)\]]?[.:、)]?[ \t]+(?P<t>[^\n—–:：*\[(]{1,80}?)"
    r"|(?P<t2>[^\n—–:：*\[(]{1,80}?)[ \t]*[(\[](?P<l2>[A-Z])[)\]])[*_ \t]*(?:[—–:：]|\s-\s|$)",
    re.MULTILINE,
)


_GUESSED = lazy(r"\b(?:guess|trap|tempting|distractor|mistake|myth|misconception)\w*|误选|陷阱|易错",
                re.IGNORECASE)


def _paired_opening(text: str, n_choices: int, choices: Sequence[str]) -> str | None:
    """The letter of the one line that opens with a letter and its own option's text (or the
    text and its letter) before a comment: the answer given first, with later letters in
    brackets ("Many students guess oxygen (A)") glossing the options it sets aside. Two such
    lines are a review of the options, not an answer."""
    found: list[str] = []
    for m in _PAIRED_LINE.finditer(text):
        letter, name = (m.group("l"), m.group("t")) if m.group("l") else (m.group("l2"),
                                                                          m.group("t2"))
        name = name.strip(" \t.*_")
        index = ord(letter) - 65
        # (the text is the option's own, not a clause that mentions it: "the egg came first (B)")
        rest = m.string[m.end() :].partition("\n")[0]
        if (index < min(n_choices, len(choices)) and len(name) <= len(choices[index].strip()) + 6
                and _option_in(name, choices) == index
                # ("Oxygen (A) — the usual guess, …": an option named to set it aside)
                and not _REJECTS.search(rest) and not _MAYBE.search(rest)
                and not _GUESSED.search(rest)):
            found.append(letter)
    return found[0] if len(found) == 1 else None


def _own_text(name: str, index: int, choices: Sequence[str]) -> bool:
    """Whether ``name`` is option ``index``'s whole text ("造纸术"), not a clause that holds
    it ("Mercury and")."""
    return 0 <= index < len(choices) and (
        _fold(name.strip(" \t.。*"), articles=True) == _fold(choices[index], articles=True))


def _opening_list(text: str, n_choices: int, choices: Sequence[str]) -> tuple[str, ...] | None:
    """The letters of a first line that is only a list of letters, each with its own option's
    text ("A. 造纸术；C. 印刷术", "(B) Python, (D) JavaScript"): the answer, given first."""
    line = text.strip().split("\n", 1)[0]
    pairs = list(_LETTER_WITH_TEXT.finditer(line))
    if len(pairs) < 2 or _LETTER_WITH_TEXT.sub("", line).strip(" \t,;，；、和及与and.。*") \
            or any(not _own_text(m.group(2), ord(m.group(1)) - 65, choices) for m in pairs):
        return None
    letters = tuple(sorted({m.group(1) for m in pairs}))
    return letters if _valid(letters, n_choices) else None


# A lower-case word right after an upper-case letter: the letter names something ("O negative",
# "T cells", "X chromosome"), unless the word continues an answer ("C because …").
_LETTER_NAMES = lazy(rf"[ \t-]+(?!(?:{'|'.join(sorted(_CONTINUATION))})\b)[a-z]{{2,}}")


def _option_opening_at(text: str, pos: int, choices: Sequence[str]) -> int | None:
    """The option whose text starts at ``pos`` with its own letter ("B超", "T cells",
    "C-reactive protein") and runs to a word's end, when that text is longer than the letter."""
    for i, option in enumerate(choices):
        option = option.strip()
        end = pos + len(option)
        if (len(option) > 1 and option[0] == text[pos : pos + 1] and option[1] not in ".)、:"
                and text.startswith(option, pos)
                and not (text[end : end + 1].isascii() and text[end : end + 1].isalnum())):
            return i
    return None


# Consecutive list items: "- …", "* …", "• …", "1. …", "2) …".
_LIST_BLOCK = lazy(r"(?:[ \t]*(?:[-*+•]|\d{1,2}[.)、])[ \t]+[^\n]*(?:\n|$))+")
_LIST_ITEM = lazy(r"^[ \t]*(?:[-*+•]|\d{1,2}[.)、])[ \t]+", re.MULTILINE)


# A list line that opens with an option's letter: "- **A) Heat intolerance**", "C. Mitochondria".
# ("  - A" alone, as YAML lists it, too)
_LETTER_LINE = lazy(r"[ \t]*(?:[-*+•][ \t]+)?[*_]*[(\[]?([A-Z])(?:[)\].:、．][^\n]*|[ \t*_]*)(?:\n|$)")


def _list_letters(text: str, pos: int, n_choices: int) -> tuple[str, ...] | None:
    """The letters opening the consecutive lines from ``pos`` (two or more, all distinct)."""
    letters: list[str] = []
    while (line := _LETTER_LINE.match(text, pos)) is not None and line.end() > pos:
        letters.append(line.group(1))
        pos = line.end()
    if len(letters) < 2 or len(set(letters)) < len(letters) or not _valid(letters, n_choices):
        return None
    return tuple(sorted(letters))


_BOTH_LEAD = lazy(r"[ \t:：*]*both[ \t]+(?=(?:options?[ \t]+)?[(\[*]*[A-Z](?![A-Za-z]))", re.IGNORECASE)


def _marker_candidate(
    text: str, m: re.Match[str], n_choices: int, choices: Sequence[str] | None, multi: bool
) -> _Candidate | None:
    """What the answer marker ``m`` points at: letters, an option's text, or nothing."""
    # ("Answer: both A and C": of a multi-answer question, the two letters)
    both = _BOTH_LEAD.match(text, m.end()) if multi else None
    read = _read_letters(text, both.end() if both else m.end(), multi)
    if read is not None and len(read.letters) == 1 and choices:
        # "首选B超", "the answer is T cells", "it's X-linked": the letter opens an option's
        # own name, so the marker names that option by its text.
        opening = _option_opening_at(text, read.end - 1, choices[:n_choices])
        if opening is not None:
            read = _Read((chr(65 + opening),), read.end)
    if (read is not None and read.letters and not _valid(read.letters, n_choices) and choices
            and (symbol := _option_in("".join(read.letters), choices[:n_choices])) is not None
            and _own_text("".join(read.letters), symbol, choices)):
        # "所以金属性最强的是 K。" with an option "K": a symbol beyond the letters is that
        # option's own text
        return _Candidate(m.start(), (chr(65 + symbol),), "marker-text")
    if read is not None and (read.letters or read.reason):
        if read.letters and not _valid(read.letters, n_choices):
            # An upper-case letter beyond the options is the model's (invalid) final word; a
            # lower-case one is more likely a variable name, so it is not a candidate; nor is
            # one that a word follows ("it's O negative, option C": a blood group's name).
            if (read.lowercase or _LETTER_NAMES.match(text, read.end)
                    or _RUN.fullmatch(text, read.end - len(read.letters), read.end)):
                # ("SYN → SYN-ACK → ACK": a run of capitals beyond the options is a word)
                return None
            return _Candidate(m.start(), (), "marker", "letter out of range")
        rest = text[read.end : read.end + 1 + _MAX_SEGMENT]
        if read.letters and _ASKED_BACK.match(rest):
            return None  # "So the answer is A? Wait ...": a question to itself, not a commitment
        # "所以正确的是C、" / "A, C, and" cut by the token limit: the list was still going.
        complete = bool(_OPEN_LIST.sub("", rest, count=1).strip())
        letters = read.letters
        if multi and choices and len(letters) == 1:
            listed = _labelled_list(text, m.end(), choices)
            letters = listed if listed and letters[0] == listed[0] else letters
        if multi and len(letters) == 1 and "\n" in text[m.end() : read.end]:
            # "The correct options are:\n- **A) Heat intolerance**\n- **C) Tachycardia**": the
            # marker ends its line, and each line of the list below it opens with a letter.
            listed = _list_letters(text, text.rfind("\n", 0, read.end) + 1, n_choices)
            letters = listed if listed and letters[0] == listed[0] else letters
        return _Candidate(m.start(), letters, "marker", read.reason, complete)
    if not choices or _NEGATED_COPULA.match(text, m.end()):
        return None  # ("but it isn't tonal the way Mandarin … are": no option named)
    start = _skip(_LEAD, text, m.end())
    stop = _SENTENCE_END.search(text, start, start + _MAX_SEGMENT)
    segment = text[start : stop.start() if stop else start + _MAX_SEGMENT]
    bold = _BOLD.match(text, start - 2) if text.endswith("**", m.end(), start) else None
    if bold is not None and _all_options_in(bold.group(1), choices):
        # "## Answer\n**India** overtook China …": the bold words are what the marker names;
        # the sentence they open goes on to compare the others.
        segment = bold.group(1)
    if multi:
        if "\n" in text[m.end() : start]:
            # "the true statements are:\n\n- …\n- …": the marker ends its line and the list
            # below it, one option a line, is what it names.
            block = _LIST_BLOCK.match(text, text.rfind("\n", 0, start) + 1)
            if block:
                segment = _LIST_ITEM.sub("", _ASIDE.sub(" ", block.group()))
        named = [i for i in _all_options_in(segment, choices) if i < n_choices]
        if not named or not _leads_with_option(segment, choices):
            # "it is a secondary colour, made by combining red and green light": the options
            # come later in the clause and are not what the marker names.
            return None
        complete = stop is not None or start + _MAX_SEGMENT < len(text)
        return _Candidate(m.start(), tuple(chr(65 + i) for i in named), "marker-text",
                          complete=complete)
    # One answer is named in the marker's own clause: in "it's O(n log n) in the worst case,
    # while quicksort degrades" or "it's the largest city, and Melbourne (B) …" the option
    # after the comma is not what "it's" points at.
    clause = _CLAUSE_BREAK.split(segment, maxsplit=1)[0]
    if (group := _GROUPED.match(text, m.end())) is not None:
        # "leaving only `{1, 2, 3}`": a set, a list or a code span is one piece, whatever
        # commas it holds
        clause = group.group()
    if (cond := _IF.search(clause)) is not None:
        clause = clause[: cond.start()]  # "It would be correct if the subject were …": a case
    if (than := _COMPARED.search(clause)) is not None and not any(
            _COMPARED.search(c) for c in choices):
        # "it's more than twice the size of Texas", "it's bigger than Mars": the option after
        # a comparison is what the answer is measured against.
        clause = clause[: than.start()]
    if _OR_BETWEEN.search(_NOT_THIS.sub(" ", clause)) and not any(_OR_BETWEEN.search(c)
                                                                   for c in choices):
        # "in the UK it's usually 20 or 30 mph": two values, neither chosen (not "1945 — not
        # 1944 or 1946", nor an option that is itself "3 or 4 times a week")
        return None
    idx = _option_in(clause, choices)
    if idx is None or idx >= n_choices or (stop is not None and stop.group() == "?"):
        return None
    complete = stop is not None or start + _MAX_SEGMENT < len(text)
    return _Candidate(m.start(), (chr(65 + idx),), "marker-text", complete=complete)


# Two values offered in one clause: "20 or 30 mph", "25或30".
_OR_BETWEEN = lazy(r"\d\s*(?:or|或者?)\s*\d", re.IGNORECASE)
# A set, a list or a code span at the start of a marker's segment: "`{1, 2, 3}`", "[2, 4]".
_GROUPED = lazy(r"\s*(?:`[^`\n]+`|\{[^{}\n]*\}|\[[^\[\]\n]*\])")


# Markers that only point ("对应选项A", "that's option B"): inside a parenthesised aside
# ("（顺便一提，极小值…对应选项 A。）") they describe another value, not the answer.
_WEAK_MARKERS = ("对应", "that", "which", "That", "Which", "THAT", "WHICH", "的是", "的有", ",")
# Of those, the ones that point at a value's option without stating a conclusion ("that leaves
# C" concludes an elimination).
_POINTER = lazy(r"对应|,|(?:that|which|this)(?!\s+leaves)", re.IGNORECASE)


# A list's subject that is not what the question asks: "错误的有", "与题干无关的有", "提到的有".
_OTHER_LIST = lazy(r"错|误|不|无|非|没|干扰|易|其余|其他|另外|提到|出现|注意|同样|偷换")
# "最容易误选的是 D。": the subject of "…的是 X" names a trap, not the answer.
_WRONG_PICK = lazy(r"误选|错选|易错|易混|干扰|排除|不选|误认为|误以为|错误地")


def _rejecting_line(text: str, pos: int) -> bool:
    """Whether the line up to ``pos`` rejects something ("D is a distractor → D"). A line that
    ticks options as well as crossing them ("A ✔, B ✔, C ✘, D ✔ → ABD") is a tally whose arrow
    sums it up."""
    line = text[text.rfind("\n", 0, pos) + 1 : pos]
    crossed = _MARK_BAD.search(line) and not re.search("[✓✔☑√✅]", line)
    return bool(crossed or _WRONG_PICK.search(line)
                or re.search(r"distractor|trap", line, re.IGNORECASE))


# Someone else's pick: "有的同学…就选B", "a common mistake is to choose C". A marker in such a
# clause reports a trap, not the reply's answer.
_MISLED = lazy(
    r"误选|错选|易错|易混|误认为|误以为|错误地|(?:有的|很多|不少|部分|一些|有些)(?:同学|人|学生|考生|初学者)"
    r"|有人|\b(?:many|some|most)\s+(?:students|people|test-takers)\b"
    # "which is why people sometimes think it's in Kenya"
    r"|\bpeople\s+(?:often\s+|sometimes\s+|usually\s+|commonly\s+)?(?:think|assume|guess|confuse)\b"
    r"|\bcommon\s+(?:mistake|error|trap|pitfall|slip)\b",
    re.IGNORECASE,
)
# A clause starts after a stop, a comma, or a full stop before a space ("… metals. Pick C.").
_CLAUSE_START = lazy(r"(?:[，,；;。！？!?\n]|\.(?=\s))(?:(?!\.\s)[^，,；;。！？!?\n])*$")


_NEGATED_COPULA = lazy(r"(?:n't|n’t|\s+not)\b|\s*(?:不是|并非)")
_LETTER_TAKEN_BACK = lazy(r"[ \t:：*]*[(\[*]*[A-Z][)\]*]*[ \t]*(?:\.{2,}|…|[—–]|,)?[ \t]*"
                          r"(?:no(?=\s*[,.!…—–]|\s+(?:wait|that'?s|it'?s|scratch))|wait\b"
                          r"|hmm,?\s+(?:no|wait)\b|actually,?\s+no\b|不对|等等)", re.IGNORECASE)
_MATCHES = lazy(r"(?:which|that|this)\s+(?:corresponds|matches|agrees)", re.IGNORECASE)
_OTHER_CASE_WORDS = lazy(r"\b(?:would|instead|if|slip|mistake|forgot|wrongly)\b", re.IGNORECASE)
_YOUR_PICK = lazy(r"\byour\s+(?:answer|choice|pick)|(?:你|您)的(?:答案|选择)", re.IGNORECASE)
_ANSWER_KEY = lazy(r"\b(?:correct|right)\s+answer\b|正确答案|参考答案|标准答案", re.IGNORECASE)


def _users_pick(text: str, m: re.Match[str]) -> bool:
    """Whether the marker ``m`` heads a quiz app's record of the user's pick ("❌ Your answer:
    A", "你的答案：D") in a reply that states the key elsewhere ("✅ Correct answer: C")."""
    head = next((y for y in _YOUR_PICK.finditer(text, max(0, m.start() - 8), m.end())
                 if y.end() >= m.start() and y.start() >= m.start() - 6), None)
    if head is None:
        return False
    return any(not head.start() <= k.start() < head.end() for k in _ANSWER_KEY.finditer(text))


# What turns a sentence from the misled pick to the reply's own ("很多同学选B，但正确答案是C").
_TURN = lazy(r"但|其实|实际|而是|正确|应该|所以|因此|故|\b(?:but|however|actually|instead"
             r"|correct|right|so|therefore|whereas|yet)\b", re.IGNORECASE)


def _misled_clause(text: str, pos: int, marker: str = "") -> bool:
    """Whether the clause that ends at ``pos`` attributes the pick to someone misled. The
    misled subject may open the sentence a few clauses earlier ("很多同学受中文思维影响，看到
    ‘请求’就选C", "Many students, seeing 'request', pick C") unless the sentence turns to the
    reply's own answer in between, or the marker itself does ("…; it is not, so B")."""
    if _MISLED.search(text, max(0, pos - 120), pos) is None or _TURN.match(marker.strip()):
        return False  # the common case: no one misled anywhere near
    window = text[max(0, pos - 60) : pos]
    start = _CLAUSE_START.search(window)
    if _MISLED.search(window, start.start() if start else 0) is not None:
        return True
    sentence = text[max(0, pos - 120) : pos]
    cut = max(max(sentence.rfind(c) for c in "。！？!?\n"), sentence.rfind(". "))
    sentence = sentence[cut + 1 :]
    ends = [m.end() for m in _MISLED.finditer(sentence)]
    return bool(ends) and _TURN.search(sentence, ends[-1]) is None


# A condition that changes the question: "若题干改为…，则应选C", "如果题目问的是…，答案就变成B",
# "If the question asked for the smallest, pick A", "Were the stem reversed, the answer is D".
_VARIANT = lazy(
    r"(?:如果|假如|假设|若|要是|倘若|换成)[^。！？\n]{0,6}(?:题目|题干|本题|问题|这道题|原题|句子|问的是|问)"
    # (not "If the question means the formal end, it's 1912, so I'll go with C": a reading the
    # reply adopts)
    r"|\b(?:if|suppose|had|were)\s+(?:the\s+|this\s+)?(?:question|stem|problem|prompt|item)\b"
    r"(?!\s+(?:means|meant|intends|is\s+asking))",
    re.IGNORECASE,
)


def _clause_start(text: str, pos: int, window: int, stops: str) -> int:
    """Where the sentence (or clause, by ``stops``) running up to ``pos`` starts, looking at
    most ``window`` characters back."""
    floor = max(0, pos - window)
    return max(floor, max(text.rfind(c, floor, pos) for c in stops) + 1)


def _variant_question(text: str, pos: int) -> bool:
    """Whether the sentence that ends at ``pos`` answers a changed version of the question."""
    return _VARIANT.search(text, _clause_start(text, pos, 120, "。！？!?\n"), pos) is not None


_COPULA = lazy(r"(?:is|are)\b", re.IGNORECASE)
# A subject that names what is rejected: "The incorrect options are A and C", "the ones the
# passage does not support are (B) and (D)", "Those ruled out are b, d".
_REJECTED_SUBJECT = lazy(
    r"\b(?:not|wrong|incorrect|false|invalid|untrue|unsupported|reject\w*|ruled?|eliminat\w*"
    r"|exclud\w*|distractors?|traps?|mistakes?|errors?)\b|n't\b",
    re.IGNORECASE,
)


def _rejected_subject(text: str, pos: int) -> bool:
    """Whether the subject of the copula at ``pos`` (its sentence so far) rejects options."""
    return _REJECTED_SUBJECT.search(text, _clause_start(text, pos, 80, ".!?\n:;"),
                                    pos) is not None


def _in_aside(text: str, pos: int) -> bool:
    """Whether ``pos`` lies inside parentheses opened earlier on its line and not yet closed."""
    line = text[text.rfind("\n", 0, pos) + 1 : pos]
    return line.count("(") + line.count("（") > line.count(")") + line.count("）")


# An aside that gives an example or warns of a mistake: "(例如…，那答案就是 24)", "（常见错误：…
# 即选 D；…即选 A。）", "(e.g. if it were …, the answer would be C)".
_EXAMPLE_ASIDE = lazy(
    r"[(（]\s*(?:例如|比如|譬如|假如|如果|若|常见的?错误|易错|误区|注意|顺便(?:说一下|一提|说一句)?"
    r"|e\.g\.|for\s+example|say|if|by\s+the\s+way|btw|incidentally"
    r"|a\s+common\s+(?:mistake|error|trap))",
    re.IGNORECASE,
)


def _in_example_aside(text: str, pos: int) -> bool:
    """Whether ``pos`` lies inside an unclosed bracketed aside of its line that opens with an
    example or a warning: its letters and values are not the reply's answer."""
    if not _in_aside(text, pos):
        return False
    line_start = text.rfind("\n", 0, pos) + 1
    opened: list[int] = []  # the brackets still open at ``pos``, outermost first
    for i in range(line_start, pos):
        if text[i] in "(（":
            opened.append(i)
        elif text[i] in ")）" and opened:
            opened.pop()
    return bool(opened) and _EXAMPLE_ASIDE.match(text, opened[0]) is not None


_LABEL_ONLY = lazy(r"[^\w\n]*(?:option\s+)?[(\[]?[A-Z][)\]]?[^\w\n]*", re.IGNORECASE)
_IT_COPULA = lazy(r"\s*it\b", re.IGNORECASE)
_OPTIONS_NOUN = lazy(r"[ \t]*(?:options|choices)\b(?![ \t:]*[(\[*]*(?-i:[A-Z])(?![A-Za-z]))",
                     re.IGNORECASE)  # ("…are options A, B and D" names them)


# A paragraph that opens as a note: "补充两点：", "注意：", "Note:", "Tip:", "易错提醒".
_NOTE_HEAD = lazy(r"[ \t>*#_【\[]*(?:补充|注意|提醒|拓展|延伸|易错|温馨提示|小贴士|备注|注|note|tip|p\.?s)"
                  r"[^\n:：]{0,6}[:：]", re.IGNORECASE)


def _in_note_after_answer(text: str, pos: int) -> bool:
    """Whether ``pos`` lies in a note paragraph that follows an earlier answer marker."""
    paragraph = text.rfind("\n\n", 0, pos) + 2
    return (paragraph > 1 and _NOTE_HEAD.match(text, paragraph) is not None
            and _MARKER.search(text, 0, paragraph) is not None
            # ("Note: actually, the answer is C." takes the answer back)
            and not _TAKEN_BACK.search(text, paragraph, pos))


def _last_marker_candidate(
    text: str, n_choices: int, choices: Sequence[str] | None, multi: bool, truncated: bool
) -> _Candidate | None:
    """The last answer marker or ``\\boxed{}`` that points at an answer.

    Scans markers from the end and stops at the first that yields something, so a long
    response costs one pass, not one pass per marker. In a truncated response a marker whose
    letter or sentence runs into the cut is skipped: it may not be finished.
    """
    boxed: list[_Candidate] = []
    for pos, content in _boxed_contents(text)[-_MAX_MARKERS:]:
        read = _read_letters(content, 0, multi)
        if read is not None and read.letters and _valid(read.letters, n_choices):
            boxed.append(_Candidate(pos, read.letters, "boxed"))
        elif read is not None and read.reason:
            boxed.append(_Candidate(pos, (), "boxed", read.reason))
        elif choices and not multi:
            idx = _option_in(content, choices)
            if idx is not None and idx < n_choices:
                boxed.append(_Candidate(pos, (chr(65 + idx),), "boxed"))
    last_boxed = boxed[-1] if boxed else None
    markers = [
        m for m in _markers(text)
        if m.group().strip() and not _conditional(text, m.start(), m.group())
        and not (m.group().startswith(_WEAK_MARKERS) and _in_aside(text, m.start()))
        # "## Consider the answer options\n- **Option A (LAD):** …": a list, not an answer
        and not _OPTIONS_NOUN.match(text, m.end())
        and not _in_example_aside(text, m.start())
        # "…, but it is\n\n**D. Liskov …**": a copula cut off mid-sentence points at no
        # letter of the next paragraph
        and not (_IT_COPULA.match(m.group()) and "\n" in text[m.end() : _skip(_LEAD, text,
                                                                              m.end())])
        # "✅ C — POST": the dash parts an option's label from its text
        and not (m.group().lstrip().startswith(("—", "–"))
                 and _LABEL_ONLY.fullmatch(text, text.rfind("\n", 0, m.start()) + 1, m.start()))
        and not (m.group().startswith(("的是", "的有")) and _WRONG_PICK.search(
            text, max(0, m.start() - 15), m.start()))
        # "…的有 A、C" opens the reply, or concludes ("所以…的有"), and says nothing against
        # them ("错误的有 B、D", "题干中提到的有 A、B" after the answer are other lists)
        and not (m.group().startswith("的有") and (
            text.find("的有") < m.start()  # ("属于单质的有 A、C，属于化合物的有 B、D": the first)
            or ((opened := _sentence_start(text, m.start())) > 0
                and not _CONCLUDING.match(text, opened))
            or _OTHER_LIST.search(text, opened, m.start())))
        and not (m.group().lstrip().startswith(("→", "⇒", "=>", "—", "–"))
                 and _rejecting_line(text, m.start()))
        # "Solar — A\nCoal — B\nWind — C": several lines ending in a dashed letter echo the
        # options with their letters; only a single such line points at the answer.
        and not (m.group().lstrip().startswith(("—", "–"))
                 and len(_DASHED_LETTER_LINE.findall(text)) > 1)
        and not _misled_clause(text, m.start(), m.group())
        # "so D... no, that's compounding forward", "The answer is B — wait, no.": taken back
        and not _LETTER_TAKEN_BACK.match(text, m.end())
        # "Wrong ones: **C**.", "The options that do not protect people are: **C**."
        and not (m.group().startswith(":") and _rejected_subject(text, m.start()))
        # a quiz app's record of the user's pick: "✅ Correct answer: C\n❌ Your answer: A"
        and not _users_pick(text, m)
        # "Vitamin C deficiency would give scurvy instead, and that matches C": another case's
        and not (_MATCHES.match(m.group()) and _OTHER_CASE_WORDS.search(
            text, _sentence_start(text, m.start()), m.start()))
        and not _variant_question(text, m.start())
        # "答案：B\n\n补充两点：…选 A 说明项数数错了": a note after the answer explains picks
        and not _in_note_after_answer(text, m.start())
        # "The incorrect ones are A and C"; and, for one answer, "the constants are a and b":
        # lower-case letters after a copula are variables.
        and not (m.group()[:1] in "iaIA" and _COPULA.match(m.group())
                 and (_rejected_subject(text, m.start())
                      or (not multi and text[m.end() : m.end() + 1].islower())))
    ]
    # A pointer ("that's option C", "对应选项 D") after a stated answer ("Final answer: B")
    # labels a value in a note or a check; it does not take the answer back.
    pointer: _Candidate | None = None
    following: _Candidate | None = None  # the nearest pointer after the marker being read
    for m in reversed(markers[-_MAX_MARKERS:]):
        if last_boxed is not None and last_boxed.pos > m.start():
            break
        cand = _marker_candidate(text, m, n_choices, choices, multi)
        if cand is not None and (cand.complete or not truncated):
            if not _POINTER.match(m.group()):
                if (pointer is not None and pointer.letters != cand.letters
                        and _slip_before(text, m.end(), pointer.pos)):
                    # "The answer is C.\n\nSorry, that was a slip on my part — …206 bones,
                    # which is option B.": an admitted error takes the stated answer back
                    return dataclasses.replace(pointer, reason="pointer")
                if (cand.method == "marker-text" and following is not None and choices
                        and _SENTENCE_END.search(text, _skip(_SPACE_LEAD, text, m.end()),
                                                 following.pos) is None
                        and _pointer_names_its_own(text[m.end() : following.pos], choices,
                                                   cand.letters, following.letters)):
                    # "## 结论\n极大值为 2，对应选项 **C**。（注意 −2 是极小值…）": the
                    # sentence's own letter outweighs the option texts read around it
                    return dataclasses.replace(following, reason="pointer")
                return cand
            if (not m.group().startswith(",") or "选项" in m.group()
                    or ("即" in m.group() and not _other_option_after(text, m.end(), choices,
                                                                       cand.letters))):
                # A label after a comma ("…, option B.") only completes its own sentence's
                # marker: on its own it as often tags a distractor named in passing. "…，即选项
                # B" names the option in full, as a conclusion does, and so does "…是123和471，
                # 即A和C" ("that is"), which restates, unless a later sentence goes on to
                # another option ("…240 元，即 C。打八折后，实付 **192 元**。").
                pointer = pointer or cand
            following = cand
        elif (cand is None and following is not None and not _POINTER.match(m.group())
              and _SENTENCE_END.search(text, m.end(), following.pos) is None):
            # "the answer is the one about many sellers, which is C": the answer's own
            # sentence names its letter through a pointer; later pointers label asides.
            return dataclasses.replace(following, reason="pointer")
    if last_boxed is None and pointer is not None:
        # Only a pointer labels an option ("…= 18π − 36, which matches (A)"): a value's option,
        # which a later refusal may still leave unchosen (see ``extract_choice``).
        return dataclasses.replace(pointer, reason="pointer")
    return last_boxed or pointer


# An admission that what was just said was wrong, opening a sentence: "Sorry, that was a slip",
# "Oops — I mistyped", "My mistake:", "Correction:", "抱歉，写错了", "更正：" (not "Sorry for the
# wall of text", "Sorry, I can't see the figure", "Correction of sodium …").
_SLIP = lazy(
    r"[\s*>_]*(?:(?:sorry|oops|apologies|my\s+apologies)\b[^.!?\n]{0,30}?"
    r"(?:\b(?:that|it|this)\s+was\s+(?:a\s+)?(?:slip|typo|mistake|wrong)\b|\bI\s+(?:misspoke"
    r"|mistyped|was\s+wrong|meant(?!\s+to\b)))"
    r"|my\s+(?:mistake|bad)\s*[:,—–-]|correction\s*[:：—–-]"
    r"|I\s+(?:misspoke|mistyped|was\s+wrong)\b"
    r"|(?:that|this)\s+was\s+(?:a\s+)?(?:slip|typo|mistake|wrong)\b"
    r"|(?:抱歉|不好意思|对不起|刚才|上面)[^。！？\n]{0,12}?(?:写错|说错|笔误|口误|打错)"
    r"|更正[:：])",
    re.IGNORECASE,
)
# A pointer that labels another case or part: "with v = 2 m/s instead you'd get 10 J, which is
# option A", "若忽略摩擦则得 8 m/s，对应选项C", "part (b) works out to 22.4 L, which is option C".
_POINTER_CASE = lazy(
    r"\b(?:if|instead|would|you'd|part\s*\(?[b-h]\)?)(?![A-Za-z])|若|如果|假如|第[二三四五]问",
    re.IGNORECASE,
)


def _slip_before(text: str, stated: int, pointer: int) -> bool:
    """Whether the sentence after the one stated at ``stated`` opens by admitting a slip, and the
    pointer at ``pointer`` stands in that sentence or the next: "The answer is C.\n\nSorry, that
    was a slip on my part — …206 bones, which is option B." """
    stop = _FULL_STOP.search(text, stated)
    if stop is None or stop.start() >= pointer:
        return False
    start = _skip(_SPACE_LEAD, text, stop.end())
    if (start >= pointer or _SLIP.match(text, start) is None
            or _POINTER_CASE.search(text, _sentence_start(text, pointer), pointer)):
        return False
    return len(_sentences(text[start:pointer])) <= 2


def _other_option_after(text: str, pos: int, choices: Sequence[str] | None,
                        letters: Sequence[str]) -> bool:
    """Whether a sentence after the one at ``pos`` names an option other than ``letters`` by
    its text."""
    stop = _FULL_STOP.search(text, pos)
    if not choices or stop is None:
        return False
    return any((i := _option_in(x, choices)) is not None and chr(65 + i) not in letters
               for x in _sentences(text[stop.end() :]))


def _pointer_names_its_own(between: str, choices: Sequence[str], read: Sequence[str],
                           pointed: Sequence[str]) -> bool:
    """Whether the words between a marker and the pointer after it state the pointer's option
    and not the one read from the option texts ("极大值为 2，对应选项 C": "2" is C's; not "Paris,
    not Lyon, which is option B", where the pointer labels a rejected option)."""
    def states(letters: Sequence[str]) -> bool:
        # (as written: a sign or a decimal point is part of a number option's text)
        return all(ord(x) - 65 < len(choices) and (option := choices[ord(x) - 65].strip().lower())
                   and re.search(rf"(?<![A-Za-z0-9.-]){re.escape(option)}(?![A-Za-z0-9.])",
                                 lowered) is not None
                   for x in letters)

    lowered = between.lower()
    return states(pointed) and not states(read)


_LONE_LINE = lazy(
    r"[\s*#>$`'\"“(\[{【「〔→➜✅✔☑👉➡=:：-]*(?:(?:[Ss]o|[Tt]herefore|[Tt]hus|[Hh]ence|所以|因此|故"
    r"|(?i:definitely|clearly|certainly|surely|obviously|probably|most\s+likely|likely))"
    r"\s*[,:]?\s*)?"
    r"(?:[Bb]oth\s+(?=\S+\s*(?:and|&)\s))?"  # "Both A and C."
    # ("So (B) and (D).": after a conclusion's word, the first bracket too)
    r"(?:(?:[Oo]ption|[Cc]hoice)\s*[(\[]?|选项|选|(?<=[,:\s])[(\[](?=[A-Za-z][)\]]))?\s*"
    # (bracketed one by one: "(A)(C)", "[A] [C] [D]")
    r"(?P<l>[A-Za-z](?:(?:[)\]]?\s*(?:,|、|和|与|and|&)\s*(?:and\s+)?[(\[]?|\s+|[)\]]\s*[(\[])"
    r"[A-Za-z])*|[A-Z]{2,}"
    r"|[a-z]{2,6})"
    r"\s*(?:选项|项)?[\s*$`'\"”)\]}】」〕.。、:;,!✅✔☑]*"
    r"(?:[(（](?:(?i:not)|不是|非)\s[^()（）\n]{0,20}[)）][\s.。]*)?"  # "C (not B)", "(Not A.)"
)
_LETTER_TEXT_LINE = lazy(
    r"[\s*#>✅✔☑👉➡]*(?:(?:[Oo]ption|[Cc]hoice)\s+|选项)?"
    r"(?:\((?P<a>[A-Z])\)|\[(?P<b>[A-Z])\]|【(?P<c>[A-Z])】|(?P<d>[A-Z])\**(?:[.)、:]|\s[-—–]\s)"
    r"|(?P<e>[a-z])\)(?=\s))"  # "b) returns come from new investors": a lower-case label
    r"\s*(?P<rest>.*)"
)
# Option labels inside one line ("A. 0 °C. B. 50 °C. C. 100 °C"): the options echoed, not chosen.
_LABEL_IN_LINE = lazy(r"(?:^|(?<=\s))\(?([A-Z])[.)、]\s")


def _line_letter(m: re.Match[str]) -> str:
    """The letter of a ``_LETTER_TEXT_LINE`` match, upper-cased."""
    return (m.group("a") or m.group("b") or m.group("c") or m.group("d") or m.group("e")).upper()


def _lone_letter_lines(text: str, n_choices: int, multi: bool) -> tuple[str, ...] | None:
    """Letters from lines that hold nothing but an answer letter (``**B**``, ``(C)``, ``A和C``).

    A line like ``B. London`` also counts, but only when it is the only line shaped like an
    option; otherwise it is more likely the model restating or reviewing the options.
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    found: tuple[str, ...] | None = None
    for ln in lines:
        m = _LONE_LINE.fullmatch(ln)
        if not m:
            continue
        raw = m.group("l")
        if re.fullmatch(r"[A-Z]{2,}", raw) and list(raw) != sorted(set(raw)):
            continue  # an upper-case word such as "NO", not a run of option letters
        if re.fullmatch(r"[a-z]{2,6}", raw):
            # "ac": letters typed in lower case, only for a multi-answer question and only
            # strictly increasing, so that a word ("no", "ok") is never read as letters.
            if not multi or list(raw) != sorted(set(raw)):
                continue
            raw = raw.upper()
        single = re.findall(r"(?<![A-Za-z])[A-Za-z](?![A-Za-z])", raw)
        letters = tuple(sorted({c.upper() for c in (single or raw)}))
        if not _valid(letters, n_choices):
            continue
        found = letters
    if found is not None:
        return found
    option_lines = [m for ln in lines if (m := _LETTER_TEXT_LINE.fullmatch(ln))]
    # The one such line opens the reply, or closes it as a short summing-up after the working
    # ("…= 6/16 = 3/8\n\n**(D) 3/8**").
    if len(option_lines) == 1 and (_LETTER_TEXT_LINE.fullmatch(lines[0]) or (
            len(lines[-1]) <= 60 and _LETTER_TEXT_LINE.fullmatch(lines[-1]))):
        m = option_lines[0]
        letter = _line_letter(m)
        rest = m.group("rest")
        # "A、B、D都错误", "(A) and (C). Dolphins …" list letters; "H2O" does not
        listed = re.match(r"(?:(?:,|、|and|&|和|与)\s*)?[(\[]?[A-Z](?![A-Za-z0-9])", rest)
        echoed = {x for x in _LABEL_IN_LINE.findall(rest) if x != letter}
        if not (_NEGATED.match(rest) or listed or len(echoed) >= 2
                or _WITHDRAWN.search(rest, 0, 40)):
            return (letter,) if _valid((letter,), n_choices) else None
    return None


_UPPER_LETTER = lazy(r"(?<![A-Za-z])[A-Z](?![A-Za-z])")


def _last_sentence_letters(text: str, n_choices: int, multi: bool) -> tuple[str, ...] | None:
    """Letters of a closing sentence that is nothing but the answer ("… No: 0.333 < 0.35. B.").

    A model that deliberates and then settles writes the settled letter last, on its own.
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return None
    last = lines[-1]
    # ("前221年，第一个。" → "…, A。": a terse reply's closing clause; "… and less stormwater
    # runoff — so **B** and **E**.": a concluding clause after a dash)
    pieces = re.split(r"(?<=[.。!?！？])\s+|(?<=[。！？])|(?<=[\u4e00-\u9fff\d]),"
                      r"|\s*[—–]\s*(?=(?i:so)\b)", last)
    pieces = [p for p in pieces if p.strip()]
    if len(pieces) < 2:
        return None
    if re.search(r"[—–]\s*$", last[: len(last) - len(pieces[-1])]) and not _UPPER_LETTER.search(
            pieces[-1]):
        return None  # "… a = 2b — so a and b.": variables, not options
    return _lone_letter_lines(pieces[-1].replace("**", ""), n_choices, multi)


# What a head before a colon says against the letters after it, or between them: "Eliminated:",
# "Incorrect:", "Distractors:", "Common wrong picks:", "Narrowed to two:", "Compare:".
_COLON_HEAD_AGAINST = lazy(
    r"\b(?:not|no|wrong\w*|incorrect|false|invalid|distractors?|traps?|tempting|mistak\w*|errors?"
    r"|misconcep\w*|mislead\w*|confus\w*|decoys?|herrings?|instead|left\s+out|beside|also|except"
    r"|eliminat\w*|rul\w+\s+out|exclud\w*|reject\w*|discard\w*|between|two|compar\w*|mention\w*"
    r"|others?|why|earlier|consider\w*|candidates?|maybe|perhaps|possibly|might|could|unsure"
    r"|options|choices|draft|initial|first)\b|n't|^\W*(?:if|when|unless)\b"
    r"|错|误|不|排除|否|或|可能|比较|其余|其他|干扰|草稿|初|原|若|如果",
    re.IGNORECASE,
)


def _closing_colon_letters(text: str, n_choices: int, multi: bool,
                           choices: Sequence[str] | None,
                           question: str | None) -> tuple[str, ...] | None:
    """The letters after a colon that closes a reply ("… Going by the strict definition of a
    desert: C.", "The founding members among these: A, C, E"), when the head before the colon
    concludes or restates the question's words ("desert", "founding members"), says nothing
    against them or between them, is no ratio ("1:2 for A:B"), and nothing before names another
    option, by its text or by a value the reply worked out ("KE = … = 40.\n\nWhat a careless
    reader who forgets to square the speed gets: A")."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return None
    pieces = _line_sentences(lines[-1])
    head, colon, tail = pieces[-1].replace("**", "").rpartition(":")
    if (not colon or not head.strip() or _COLON_HEAD_AGAINST.search(head)
            or (head[-1:].isascii() and head[-1:].isalnum() and tail[:1].isalnum())
            or not (_COLON_HEAD_CONCLUDES.search(head) or _restates_question(head, question))):
        return None
    letters = _lone_letter_lines(tail, n_choices, multi)
    before = text[: text.rfind(pieces[-1])]
    if letters and choices and (
            any((i := _option_in(x, choices)) is not None and chr(65 + i) not in letters
                for x in _sentences(before))
            or any(i is not None and chr(65 + i) not in letters
                   for i in (_option_value(before, choices[:n_choices]),
                             _option_number(before, choices[:n_choices], question)))):
        return None
    return letters


_COLON_HEAD_CONCLUDES = lazy(
    r"\b(?:answers?|correct|right|best|final|so|then|therefore|thus|hence|overall)\b"
    r"|答案|正确|所以|因此|综上|故|总之",
    re.IGNORECASE,
)


def _restates_question(head: str, question: str | None) -> bool:
    """Whether ``head`` repeats a word of the question that names its subject: "Going by the
    strict definition of a desert" for "What is the largest desert …?"."""
    if not question:
        return False
    asked = _subject_terms(_fold(_prepare(question), articles=True))
    return bool(asked & _subject_terms(_fold(head, articles=True)))


_LINE_SENTENCE_END = lazy(r"(?<=[.。!?！？])\s+|(?<=[。！？])")


def _line_sentences(line: str) -> list[str]:
    """The sentences of one line, asides kept: "B. Paris." → ["B.", "Paris."]."""
    return [p for p in _LINE_SENTENCE_END.split(line) if p.strip()]


def _first_sentence_letters(text: str, n_choices: int, multi: bool) -> tuple[str, ...] | None:
    """Letters of an opening sentence that is nothing but the answer ("A and C. Dolphins and
    bats are mammals; …"). A line that echoes the options ("A. 0 °C. B. 50 °C. …") is not one."""
    line = text.strip().split("\n", 1)[0]
    if len(_LABEL_IN_LINE.findall(line)) >= 2:
        return None
    pieces = _line_sentences(line)
    if len(pieces) < 2 or re.fullmatch(r"\s*(?:[-*+•]\s+[*_]*)?[A-Za-z][.)]\s*", pieces[0]):
        # "A. is wrong because …", "- **A. 应付账款** —— 流动负债 ✓": an option's label, not a
        # sentence
        return None
    return _lone_letter_lines(pieces[0], n_choices, multi)


# A reply that opens with its letters and then comments: "ABCD（1 t = 1000 kg，E 错）", "ACEF —
# newton and joule are derived units.", "Only C.\n\nBecause …".
_OPENING_LETTERS = lazy(
    r"\A[\s*#>]*+(?:(?P<only>only|just)\s+|both\s+(?=\S+\s+and\s))?(?:(?P<noun>options?|choices?|选项)\s*)?"
    r"[(\[*]*+"
    # (letters in brackets may stand side by side: "[A][B][D] — …")
    r"(?P<l>(?-i:[A-Z])(?:[)\]*]*\s*(?:,\s*and|,|、|and|&|和|(?<=[)\]])(?=[(\[]))\s*[(\[*]*(?-i:[A-Z]))*"
    r"|(?-i:[A-Z]{2,6}))"
    r"[)\]*]*(?![A-Za-z0-9])[ \t]*(?:[(（][^()（）\n]{0,80}[)）])?[ \t]*"
    # (or a comma, in a terse reply: "B，每100克2.4元", folded to "B,")
    r"(?:[.。!]?[ \t]*(?:\n|\Z)|[—–][ \t]|-[ \t]"
    # ("A——因为…", not a verdict on A: "A——错误，B——错误，C——正确")
    r"|(?:——|[—–](?=[\u4e00-\u9fff]))(?![ \t]*(?:错|不正确|不对|不符|排除|正确|对|符合))"
    r"|,(?![ \t]*(?:and[ \t]+)?(?:(?:option|choice)\s+)?[(\[*]*(?-i:[A-Z])\b)"
    # (or the sentence's end, after a gloss in brackets: "B ($3,518). A is what …")
    r"|(?<=[)）])(?:[.!][ \t]+|。)"
    # (or the sentence's end, after "Just"/"Only": "Just A. Java checks types at compile time",
    # or after the options' noun: "options A, C and D. The CMB, …")
    r"|(?(only)(?:[.!][ \t]+|。)|(?!))"
    r"|(?(noun)(?:[.!][ \t]+(?!(?:wait|actually|hmm|no\b|but|however|hold\s+on|let\s+me|correction"
    r"|only)\b)|。)|(?!)))",
    re.IGNORECASE,
)


_BOTH_TURNS = lazy(r"[^.;\n]*?\b(?:no|not|only|rather|wait|actually|plus|also)\b", re.IGNORECASE)
_REVIEW_LINE = lazy(r"^[ \t*>-]*(?:选项)?[(\[*]*[A-Z][)\]*]*[ \t]*(?:[—–-][ \t]|——|[—–](?=[\u4e00-\u9fff]))",
                   re.MULTILINE)


def _opening_letters(text: str, n_choices: int, multi: bool) -> tuple[str, ...] | None:
    """The letters a reply opens with, before an aside or a dash that comments on them."""
    m = _OPENING_LETTERS.match(text)
    if m is None or len(_REVIEW_LINE.findall(text)) >= 2:
        return None  # ("A – false; …\nB – false, …": a review of the options, one a line)
    if m.group().lstrip(" \t\n*#>").lower().startswith("both") and _BOTH_TURNS.match(
            text, m.end()):
        return None  # "Both B and C — no, only B …", "Both A and C, plus D"
    raw = m.group("l")
    letters = tuple(re.findall(r"[A-Z]", raw))
    if len(raw) > 1 and raw.isalpha() and list(raw) != sorted(set(raw)):
        return None  # an upper-case word ("NO"), not a run of option letters
    letters = tuple(sorted(set(letters)))
    if not _valid(letters, n_choices) or (len(letters) > 1 and not multi):
        return None
    return letters


_GLOSSED_LETTER = lazy(r"[\s*#>]*\(?([A-Z])\)?[ \t]*[(（][^()（）\n]{1,40}[)）][\s*.。]*")
_GLOSS_WAVERS = lazy(r"\b(?:or|and)\b|或|和|待|初步|验证", re.IGNORECASE)


def _first_line_letters(text: str, n_choices: int, multi: bool) -> tuple[str, ...] | None:
    """Letters of a complete first line that is only an answer ("**B**", "B. Paris")."""
    line, newline, rest = text.strip().partition("\n")
    if not newline or not rest.strip():
        return None
    letters = _lone_letter_lines(line, n_choices, multi)
    if letters:
        return letters
    if (not multi and (glossed := _GLOSSED_LETTER.fullmatch(line)) is not None
            and _valid((glossed.group(1),), n_choices) and not _MAYBE.search(line)
            and not _GLOSS_WAVERS.search(line)
            and not any(_GLOSSED_LETTER.fullmatch(x) for x in rest.splitlines())):
        # "**B (−0.82)**": the letter and its option in brackets (not "C (or possibly D)", nor
        # a heading per option: "**A (Mitochondria)**\n…\n**B (Ribosome)**")
        return (glossed.group(1),)
    m = _LETTER_TEXT_LINE.fullmatch(line.strip())
    if m:
        letter = _line_letter(m)
        if not _NEGATED.match(m.group("rest")) and _valid((letter,), n_choices):
            return (letter,)
    return None


_FORMATTED = lazy(
    r"\*\*\(?([A-Z])\)?\*\*|(?<![A-Za-z0-9])\(([A-Z])\)|\[([A-Z])\](?!\()|【([A-Z])】|\$([A-Z])\$"
    r"|(?<![A-Za-z])(?:option|choice)\s+([A-Z])(?![A-Za-z0-9])|选项\s*([A-Z])(?![A-Za-z0-9])"
    r"|(?<![A-Za-z0-9])([A-Z])\s*(?:选项|项)",
    re.IGNORECASE,
)


_CONCLUSION = lazy(
    r"\b(?:so|therefore|thus|hence|only|overall|finally|in\s+conclusion|in\s+summary"
    r"|(?:that|which|this)\s+makes\s+it(?=\s+[(\[*]*(?-i:[A-Z])\b)"
    r"|I\s+(?:pick|choose|select|say))\b|所以|因此|故|综上|只有|总之|可见",
    re.IGNORECASE,
)


def _formatted_in_last_line(text: str, n_choices: int) -> str | None:
    """The one formatted letter (``(C)``, ``**B**``, ``option D``) in a concluding last line.

    The line must read as a conclusion ("so", "only", "因此"...): a closing line such as
    "Option A says the revolution began in" only describes an option.
    """
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or not _CONCLUSION.search(lines[-1]):
        return None
    last = lines[-1]
    letters: set[str] = set()
    for m in _FORMATTED.finditer(last):
        letter = next(g for g in m.groups() if g)
        if letter.islower() and "option" not in m.group().lower():
            continue
        if _NEGATED.match(last, m.end()) or _in_aside(last, m.start()):
            # "(Doubling 68 gives 136, option B, …)": a letter inside an aside is discussed.
            continue
        letters.add(letter.upper())
    if len(letters) == 1:
        (letter,) = letters
        return letter if _valid((letter,), n_choices) else None
    return None


_VERDICT = lazy(
    r"(?<![A-Za-z0-9])(?:(?:option|choice|statement)s?\s+)?[(\[*【]{0,6}"
    # Each stretch of spaces has one place to go: ambiguous splits ("\s*(?:项)?\s*") made a
    # run of "A and A and …" backtrack exponentially.
    r"(?P<l>[A-Z](?:[)\]*】]{0,6}(?:\s*(?:项|选项))?\s*(?:[、,](?:\s*and\b)?|和|与|及|and|&)\s*"
    r"(?:(?:option|choice)\s+|选项\s*)?"
    r"[(\[*【]{0,6}[A-Z](?![A-Za-z0-9])){0,11}|[A-Z]{2,5}(?=\s*(?:[两三四五六]项|均|都|are\b|is\s+my\b)))"
    r"[)\]*】]{0,6}(?:\s*[(（][^()（）\n]{1,40}[)）][)\]*】]{0,6})?"  # "**C (150 lb)** is correct"
    r"(?:"
    r",?\s+(?:(?:are\s+)?both\s+|(?:is|are|seems|seem|appears|appear)\s+(?:both\s+|all\s+)?)"
    r"(?:to\s+be\s+)?(?:the\s+)?"
    r"(?:(?:most\s+|only\s+)?(?:correct|right|best|true|accurate|closest|valid)\b|answer\b"
    r"|only\s+(?:one|option|choice|answer)\b"
    # What the source backs: "Both (A) and (E) are supported", "B is well justified"; and
    # what is picked out: "options A and C are the ones the passage credits", "C is the one".
    r"|(?:well\s+|clearly\s+|directly\s+)?(?:supported|justified|confirmed)\b"
    # ("B is one of several causes" picks nothing: "the" must come first.)
    r"|(?<=the\s)ones?\b(?!\s+(?:that\s+|which\s+|who\s+)?(?:is|are|was|were|does|do)(?:n't|\s+not)\b"
    r"|\s+(?:that|which|who)\s+(?:\w+\s+)?(?:wrong|incorrect|false|fails?|contradicts?)\b))"
    r"|\s*(?:[:.\-—–]|为|是)\s*(?i:correct|true|right)\b"  # "C: True", "所以 C 为 True"
    # "A、B、C三项都能说明…": counted letters that all do what the question asks.
    r"|\s*[两三四五六]项(?:都|均)(?:能够?|可以)(?!不)"
    r"|\s+(?:fits|fit|works|matches|remains|is\s+left|applies|apply|holds?\s+(?:up|true)"
    r"|qualify|qualifies)\b"
    r"|\s*[,:]?\s*(?:is\s+)?(?:my\s+(?:final\s+)?|final\s+)answer\b"
    r"|\s*(?:项|选项)?\s*(?:说法|表述)?\s*(?:没错|无误|没有错误)"
    r"|\s*(?:项|选项)?\s*(?:[两三四五六]项|均|都|皆)?\s*(?:是|为|说法|表述)?\s*"
    # "选项C最接近": for an estimate the closest option is the one chosen.
    r"(?:正确|对(?!于|应|比|照|待)|符合题意|符合|最佳|最合适|最恰当|最接近|正确答案|入选|当选"
    # "C项最能削弱": the question's own superlative ("最能削弱上述论证的是") said of a letter.
    r"|最能(?:削弱|加强|支持|说明|体现|解释|反驳|质疑|证明|概括|反映|表达))"
    r")"
)


_NEGATED_BEFORE = lazy(r"\b(?:nor|not|neither|no)\s*$|(?:不是|并非|非)\s*$", re.IGNORECASE)


def _verdicts(text: str, n_choices: int, multi: bool) -> tuple[str, ...] | None:
    """Letters the text calls correct ("B is correct", "C项正确"); None if none or they clash."""
    letters = {c for m in _VERDICT.finditer(text)
               if not _NEGATED_BEFORE.search(text, max(0, m.start() - 12), m.start())
               # ("If you want it sweet, the banana (B) is best": right in that case only)
               and not _READERS_CASE.search(text, _sentence_start(text, m.start()), m.start())
               for c in re.findall(r"[A-Z]", m.group("l"))}
    if not letters or not _valid(tuple(letters), n_choices):
        return None
    if len(letters) > 1 and not multi:
        return None
    return tuple(sorted(letters))


# A line about one option: "B. 小肠 —— 正确", "| C | 坏血病 | ✓ 正确 |", "(A) wrong".
_OPTION_LINE = lazy(
    r"[ \t>*#|-]*(?:\d{1,2}[.)、]\s*)?(?:\*\*)?[(（\[【]?(?:选项\s*|option\s+)?(?P<l>[A-Z])(?:\*\*)?"
    r"(?:[).、:：】\]）]|\s*\||\s*项|\s+[-—–]|\s+(?=[✓✔✗✘×❌✅☑√])"
    # "B 长江 ✓", "A 黄河 ✗（第二长）": the option's text, then its mark
    r"|\s+(?=[^\n]{1,160}?[✓✔✗✘×❌✅☑√]\s*(?:[(（][^()（）\n]{0,20}[)）])?[\s|]*$))(?P<rest>.*)",
    re.IGNORECASE,
)
_MARK_SIGN = lazy("[✓✔✗✘❌✅☑√]")
# A review line's comment that opens with its verdict: "B – yes, Cusco was …", "A – no, …".
_LEAD_VERDICT = lazy(r"[\s*:：,，—–-]*(yes|no|是的?|否|不是)(?=[\s,，.。;；:：!！—–-])"
                     r"(?![\s,，—–-]*(?:wait|doubt|question|等等|等一下))", re.IGNORECASE)
_LEADING_MARK = lazy(r"[ \t>*-]*(?P<m>[✓✔✗✘❌✅☑❎✖])\ufe0f?[ \t]*(?=[(（\[【]?[A-Z][.)、:：】\]）])")
_MARK_GOOD = lazy(
    r"✓|✔|☑|√|✅|正确|(?<!不)对(?!于|应|比|照|待)|(?<!不)符合|(?<!不)恰当|当选"
    r"|\b(?:correct|true|right)\b",
    re.IGNORECASE,
)
_MARK_BAD = lazy(
    # "×" between numbers is a multiplication ("2² × 3 × 7"), not a cross; so is "×" between
    # lower-case words ("odd × even = odd").
    r"✗|✘|(?<![\d)])(?<![\d)] )(?<!(?-i:[a-z]) )×(?!\s*[\d(])"
    r"|(?<![\d)])(?<![\d)] )×(?!\s*[\d(])(?!\s?(?-i:[a-z]))"
    r"|❌|❎|✖|🚫|错误|不正确|不对|错|不符合|不恰当|排除"
    r"|\b(?:incorrect|wrong|false|not\s+correct)\b",
    re.IGNORECASE,
)


# Table cells and line endings that judge an option on their own: "| C | … | 是 |", "— yes."
_GOOD_CELLS = frozenset({"是", "对", "√", "yes", "y", "true", "t", "正确", "correct", "符合"})
_BAD_CELLS = frozenset({"否", "错", "x", "no", "n", "false", "f", "错误", "incorrect", "不符合"})
_SAYS_YES = lazy(r"(?:[—:：-]\s*|\s)(?:yes\b|是的?)[.。!]?\s*$", re.IGNORECASE)
_ANSWER_LABEL = lazy(
    r"(?:本题|正确)答案|(?:←|<-)\s*(?:the\s+)?answer\b|\((?:the\s+)?answer\)", re.IGNORECASE
)
_SAYS_NO = lazy(r"(?:[—:：-]\s*|\s)(?:no|不是)\b[.。!]?\s*$", re.IGNORECASE)


# A task-list checkbox opening a line: "- [x]", "* [X]", "[✓]", "☑", "☒", "■" ticked;
# "- [ ]", "☐", "□" empty.
_CHECKBOX = lazy(r"[ \t]*(?:[-*+][ \t]+)?(?:\[[xX✓✔]\]|[☑☒■]|(?P<empty>\[[ \t]\]|[☐□]))[ \t]*")
_BOXED_LETTER = lazy(r"[(\[（]?(?P<l>[A-Z])[)\]）.、:：]?[ \t](?P<rest>.*)")


def _marked_option_lines(text: str, n_choices: int, multi: bool,
                         choices: Sequence[str] | None, *, ticks: bool = True,
                         ) -> tuple[str, ...] | None:
    """Letters marked correct in a review of the options, one line each (a list or a table):
    ``B. 小肠 —— 正确`` among lines marked ``错误``, ``| C | 坏血病 | ✓ 正确 |`` among ✗ rows. An
    exam key's run of "A项……，错误；B项……，使用恰当；…" is such a review too, a clause an option."""
    # (``ticks``: whether one ticked line among unmarked ones may answer; not when the question
    # asks for the exception, where a tick marks an option that has the property)
    text = _LABELLED_CLAUSE.sub("\n", text)
    good: set[str] = set()
    bad: set[str] = set()
    labelled: set[str] = set()  # rows that call themselves the answer ("✅ 本题答案")
    ticked: set[str] = set()  # rows with a tick of their own ("B — Type II error. ✓")
    seen: set[str] = set()
    others: list[str] = []  # lines that are no option's row
    after_review = False  # a line of prose after the last labelled line
    for line in text.splitlines():
        box = _CHECKBOX.match(line)
        if box is not None:
            # "- [x] A. Petal" / "☐ C. Root": a ticked or empty box before the option is its
            # verdict, written after it so the option line below reads as usual.
            line = line[box.end() :] + (" ✗" if box.group("empty") else " ✓")
        mark = _LEADING_MARK.match(line)
        if mark is not None:
            # "✅ B. Canberra" / "❌ A. Sydney — largest city": the mark before the label is
            # the line's verdict, read after it as usual
            line = line[mark.end() :] + " " + mark.group("m")
        if (run := _LABEL_RUN_LINE.fullmatch(line.strip())) is not None:
            # "A项、B项、D项正确。": one verdict on several labels, and nothing else on the line
            (bad if run.group("no") else good).update(re.findall(r"[A-Z]", run.group("l")))
            continue
        m = _OPTION_LINE.fullmatch(line.strip())
        if m is None and box is not None:
            m = _BOXED_LETTER.match(line)  # "☑ A 春节": after a box a bare letter labels
        if m is not None and not m.group("l").islower():
            letter, rest = m.group("l"), m.group("rest")
        elif m is None and choices and (named := _leading_option(line, choices)) is not None:
            letter, rest = chr(65 + named), line  # "✅ Solar", "- Nitrogen ✗ (diatomic)"
            others.append(line)  # (unlabelled: a closing "Nitrogen is the odd one out." too)
        else:
            others.append(line)
            after_review = after_review or (bool(seen) and bool(line.strip()))
            continue
        index = ord(letter) - 65
        if choices and index < len(choices) and choices[index].strip():
            rest = rest.replace(choices[index].strip(), " ")
        if "|" in rest and len(_MARK_SIGN.findall(rest)) > 1:
            # a row marked in several columns ("| A 铜 | 金属 ✓ | 导电 ✓ |") judges properties
            continue
        if m is not None:
            seen.add(letter)
            after_review = False
            if _TICK_CLOSES.search(rest):
                ticked.add(letter)
        # A cell's verdict may carry a reason in brackets: "否（缺铁）" says "否".
        cells = ({_ASIDE.sub("", c).strip(" *`").lower() for c in rest.split("|")}
                 if "|" in rest else set())
        if _MARK_BAD.search(rest) or cells & _BAD_CELLS or _SAYS_NO.search(rest):
            bad.add(letter)
        elif _ANSWER_LABEL.search(rest):
            good.add(letter)
            labelled.add(letter)
        elif _MARK_GOOD.search(rest) or cells & _GOOD_CELLS or _SAYS_YES.search(rest):
            good.add(letter)
        elif (lead := _LEAD_VERDICT.match(rest)) is not None and not (
                choices and index < len(choices) and _LEAD_VERDICT.match(choices[index])):
            # "B – yes, Cusco was the Inca capital.", "A – no, …": the comment opens with the
            # verdict (not an option that itself opens "No, because …")
            (bad if lead.group(1).lower() in ("no", "否", "不是") else good).add(letter)
    if good & bad:
        return None
    if not multi and labelled == good and len(good) == 1 and _valid(tuple(good), n_choices):
        # One row marked as the answer itself needs no other row judged to stand out.
        return tuple(good)
    if not multi and len(bad) == 1 and len(good) == n_choices - 1 >= 2:
        # Every option judged and all fit but one: the question asks for the exception
        # ("不符合…的是", "all of the following EXCEPT"), and the odd one out is the answer.
        return tuple(bad) if _valid(tuple(bad), n_choices) else None
    if (good and len(good) + len(bad) >= 2 and (len(good) == 1 or multi)
            and _valid(tuple(good), n_choices)):
        return tuple(sorted(good))
    if (ticks and not multi and not after_review and len(ticked) == 1 and not ticked & bad
            and len(seen - ticked) >= 2 and _valid(tuple(ticked), n_choices)
            and not any((i := _option_in(x, choices)) is not None and chr(65 + i) not in ticked
                        for x in others if choices)):
        # A tick that closes its line is a verdict the words around it are not: "B — Type II
        # error. ✓" among "C — correct decision" and "D — correct decision" (words about the
        # options' content), "| D | 2 mol CH₄ | 32 g ✓ |" among unmarked rows, in a review that
        # closes the reply. (Not for several answers, where an unticked "C. Neon — also a noble
        # gas" may be one; nor after the review, "The ramp is 3.2 m high, though — … so v = 8",
        # nor when an unlabelled line names another option: "Nitrogen is the odd one out.")
        return tuple(ticked)
    return None


# A tick that closes a line or a table cell: "… Type II error. ✓", "| 32 g ✓ |" (not "inert ✓,
# but under 1% of the air": a tick on a property the line goes on to weigh).
_TICK_CLOSES = lazy(r"[✅✔✓]\ufe0f?[ \t*]*(?:\|[ \t|]*)?$")


# A review line that judges several options at once: "A项、B项、D项正确。", "B、C 错误".
_LABEL_RUN_LINE = lazy(r"[*>-]*[ \t]*(?P<l>(?:(?:选项)?[A-Z]项?[ \t]*[、,，和与及][ \t]*)+(?:选项)?[A-Z]项?)"
                       r"[ \t]*(?:项|选项)?[ \t]*(?:均|都)?(?:(?P<no>错误|不正确|错|不符合题意|are\s+wrong"
                       r"|are\s+incorrect|are\s+false)|正确|对|符合题意|are\s+correct|are\s+true)[ \t]*[。.!]?\**")
# Where a sentence or a clause after a semicolon opens with an option's label ("；B项", "。选项C"):
# in an exam key each is a line of the review.
# (Not a run of labels, "A项、B项、D项正确": one verdict on several, ``_LABEL_RUN_LINE``.)
_LABELLED_CLAUSE = lazy(
    r"(?<=[。；;])[ \t]*(?=(?:选项\s*)?[A-Z]\s*项(?!\s*[、,，和及与]\s*(?:选项\s*)?[A-Z](?![A-Za-z]))"
    r"|选项\s*[A-Z](?!\s*[、,，和及与]\s*(?:选项\s*)?[A-Z](?![A-Za-z])))"
)
_LINE_BULLET = lazy(r"^[\s>*#|•·\-–—✓✔✗✘×❌✅☑√❎✖]+")


def _leading_option(line: str, choices: Sequence[str]) -> int | None:
    """The option a short review line starts with ("✅ Solar", "- Indonesia: ~277 million ✓")."""
    body = _LINE_BULLET.sub("", _ASIDE.sub(" ", line.strip()))
    if not body or len(body) > 120:
        return None
    norm = _fold(body, articles=False)
    norm = _LEADING_ARTICLE.sub("", norm)
    starts = []
    for i, c in enumerate(choices):
        option = _LEADING_ARTICLE.sub("", _fold(c, articles=False))
        if option and re.match(re.escape(option) + r"(?![a-z0-9])", norm):
            starts.append(i)
    return starts[0] if len(starts) == 1 else None


# "都对", "均正确", and "都可以。", "都是。" ending the clause: the rest all hold (not "都是错的",
# "都是干扰项", "都可以排除", "都能与盐酸反应" of a question that asks which cannot).
_ALL_HOLD = (r"(?:都|均|全)(?:(?:是)?(?:对|正确)"
             r"|(?:是|可以|能|符合|属于|满足|成立)(?=\s*(?:[,.;!。，；！]|$)))")
_ALL_EXCEPT = lazy(
    r"(?:\beverything|\ball)\s+(?:of\s+them|of\s+the\s+(?:options|statements|above)|(?:the\s+)?options"
    r"|(?:the\s+)?statements|the\s+others|others)?\s*(?:are\s+(?:correct|true)\s+"
    r"|(?:do|does|apply|fit|qualify|work)\s+)?"  # ("They all do except option B")
    r"(?:except|but|other\s+than)\s+(?:for\s+)?(?:options?\s+|statements?\s+)?"
    # (the excluded option may be named by its text with its letter: "Everything except
    # pupillary reaction (D).")
    r"(?:[^()\n.;:]{1,40}?\(\s*)?(?P<x>[A-Z](?:\s*(?:,|and|&)\s*[A-Z])*)(?![A-Za-z])"
    # ("除了E（铁）以外都可以": the excluded letter may carry its option's text)
    r"|除了?\s*(?:选项)?\s*(?P<y>[A-Z](?:\s*[、,和与及]\s*[A-Z])*)\s*(?:项|选项)?"
    r"(?:\s*\([^()\n]{1,20}\))?\s*(?:以外|之外|外)?"
    rf"\s*[,]?\s*(?:(?:其余|其他|其它)?(?:的)?(?:选项|各项|几项|[两三四五]项)?\s*{_ALL_HOLD}"
    r"|(?:其余|其他|其它|剩下)的?(?:选项|各项|几项|几个|[两三四五]项)?\s*(?:都|均|全)(?!不))"
    # "只有 A 不对", "only B is wrong": the one wrong option singled out, the rest chosen.
    r"|只有\s*(?:选项)?\s*(?P<z>[A-Z](?:\s*[、,和与及]\s*[A-Z])*)\s*(?:项|选项)?\s*(?:是|说法)?"
    r"(?:不对|错误?|不正确|有误|不是|不符合|不属于)"
    r"|\bonly\s+(?:options?\s+|statements?\s+)?(?P<w>[A-Z](?:\s*(?:,|and|&)\s*[A-Z])*)\s+"
    r"(?:is|are)\s+(?:wrong|incorrect|false)\b"
    # "只有C不放假，其余几个都是法定节假日": the one that lacks it, then the rest that have it
    r"|只有\s*(?:选项)?\s*(?P<v>[A-Z](?:\s*[、,和与及]\s*[A-Z])*)\s*(?:项|选项)?\s*不[^,.;。；\n]{0,10}"
    r"[,]\s*(?:其余|其他|其它|剩下)的?(?:选项|各项|几项|几个)?\s*(?:都|均|全)(?!不)",
    re.IGNORECASE,
)


_ALL_CORRECT = lazy(
    r"^\W*(?:全选|都选|全部(?:正确|都对|选)|都(?:正确|对)|四项都对"
    r"|all\s+(?:of\s+the\s+above|of\s+them|options|statements|the\s+options|four|five|six)"
    r"(?:\s+(?:are\s+)?(?:correct|true|apply))?)\W*$",
    re.IGNORECASE | re.MULTILINE,
)


# The excluded option named by its text: "除天然气外都是", "All of them except `git upload`".
_ALL_EXCEPT_TEXT = lazy(
    rf"除了?\s*(?P<zh>[^\s,.;:!?。；：、()]{{1,15}}?)\s*(?:以外|之外|外)\s*,?\s*"
    rf"(?:(?:其余|其他|其它|剩下)的?(?:选项|各项)?\s*)?{_ALL_HOLD}"
    # ("Everything except ls -z is valid", "All of them work except ls -z.": the option's text
    # opens what follows)
    r"|\b(?:all|everything)(?:\s+(?:of|them|these|the|options|others|statements|are|is|valid|correct"
    r"|true|work|apply)){0,4}\s+(?:except|but|other\s+than)\s+(?:for\s+)?(?P<en>[^\n]{1,60})",
    re.IGNORECASE,
)


# A sentence that opens with letters that all hold: "A项、B项、C项均为法定证据种类", "A、C、D都正确"
# (not "A、B均为干扰项", "A、B都不对").
_ALL_HOLD_LETTERS = lazy(
    r"(?:\A|(?<=[。；;！!\n]))[ \t*]*(?P<l>[A-Z]项?(?:[ \t]*[、,和与及][ \t]*[A-Z]项?)+)[ \t]*"
    r"(?:项|选项)?[ \t]*(?:均|都|皆)(?:(?P<ok>正确|符合题意|对(?!应))|为|是|属于)"
    r"(?P<what>[^,。；;\n]{0,30})")


def _letters_all_hold(text: str, n_choices: int, question: str | None) -> tuple[str, ...] | None:
    """The letters of the last sentence that opens by saying they all hold, for a multi-answer
    question: "A、C、D都正确", or the question's own predicate ("A项、B项、C项均为《民事诉讼法》
    规定的证据种类" for "下列属于法定证据种类的有"). Not "A、B均为物理变化" asked for chemical
    changes, nor "均为陷阱选项": what they are said to be must be what the question asks."""
    found = None
    asked = _subject_terms(question) if question else frozenset()
    for m in _ALL_HOLD_LETTERS.finditer(text):
        letters = tuple(sorted(set(re.findall(r"[A-Z]", m.group("l")))))
        if not _valid(letters, n_choices):
            continue
        if m.group("ok") or len(_subject_terms(m.group("what")) & asked) >= 3:
            found = letters
    return found


def _all_except(text: str, n_choices: int,
                choices: Sequence[str] | None = None) -> tuple[str, ...] | None:
    """For a multi-answer question, "all of them except B" / "除了C以外都对": the others; "全选"
    / "All of the above": every option. With the options' texts, the excluded one may be
    named by its text alone ("除天然气外都是")."""
    hits = list(_ALL_EXCEPT.finditer(text))
    if not hits and choices:
        for m in reversed(list(_ALL_EXCEPT_TEXT.finditer(text))):
            if m.group("zh"):
                named = _fold(m.group("zh").strip(" `'\"*“”"), articles=True)
                same = [i for i, c in enumerate(choices[:n_choices])
                        if _fold(c, articles=True) == named]
            else:  # the longest option whose text opens the rest, a whole word
                after = _fold(m.group("en").lstrip(" `'\"*“"), articles=True)
                opens = [(len(f), i) for i, c in enumerate(choices[:n_choices])
                         if (f := _fold(c, articles=True)) and after.startswith(f)
                         and not after[len(f) : len(f) + 1].isalnum()]
                same = [max(opens)[1]] if opens else []
            if len(same) == 1:
                return tuple(chr(65 + i) for i in range(n_choices) if i != same[0])
    if not hits:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if lines and _ALL_CORRECT.match(lines[-1].strip()):
            return tuple(chr(65 + i) for i in range(n_choices))
        return None
    m = hits[-1]
    named = m.group("x") or m.group("y") or m.group("z") or m.group("w") or m.group("v") or ""
    # (the letters alone: "B and E" is not B, A, N, D, E)
    excluded = {x.upper() for x in re.findall(r"(?<![A-Za-z])[A-Za-z](?![A-Za-z])", named)}
    if not excluded or not _valid(tuple(excluded), n_choices):
        return None
    rest = tuple(chr(65 + i) for i in range(n_choices) if chr(65 + i) not in excluded)
    return rest or None


# Declining to pick: "I don't think I can pick one", "there isn't a correct option", "无法选择".
# Below the explicit rules only: mentions of options after such a sentence are discussion.
# "I don't see the energy diagram", "the image didn't come through", "我这边看不到你提到的电路
# 图": the figure the question reads from never arrived, so neither a letter nor a number is
# read from what the reply goes on to say (``_DECLINES``, ``_UNDETERMINED``).
_MISSING_FIGURE = (
    # ("the statements I, II, and III weren't included in your message")
    r"\b(?:statements?|diagram|figure|image|graph|chart|picture|passage|table|attachment)s?\b"
    r"[^.\n]{0,30}?(?:weren't|were\s+not|wasn't|was\s+not|aren't|are\s+not|isn't|is\s+not)\s+"
    r"included\s+in\s+(?:your|the)\s+(?:message|question|prompt)|"
    r"\b(?:don't|do\s+not|can't|cannot|can\s+not)\s+see\s+(?:the|your|any)\s+(?:[\w-]+\s+)?"
    r"(?:diagram|figure|image|graph|chart|picture|passage|circuit)"
    # ("I don't see a scatterplot attached", "I can't view the photo you sent")
    r"|\b(?:don't|do\s+not|can't|cannot|can\s+not)\s+(?:see|view|open)\s+(?:the|your|any|an?)\s+"
    r"(?:[\w-]+\s+)?(?:scatter\s?plot|plot|map|photo|image|chart|graph|figure|diagram|picture)s?\b"
    r"[^.\n]{0,20}?\b(?:attached|included|uploaded|you\s+(?:mentioned|sent|shared|uploaded"
    r"|referred\s+to|are\s+referring\s+to|'re\s+referring\s+to))"
    r"|\b(?:image|figure|diagram|picture|graph|attachment)\s+(?:didn't|did\s+not)\s+come\s+through"
    r"|看不到(?:你|您)?(?:提到|说|给|上传)?的?[^。，,\n]{0,4}?(?:图|图片|照片|表格|材料)"
)
_FIGURE_MISSING = lazy(_MISSING_FIGURE, re.IGNORECASE)
# Softer refusals, read only as a single-answer reply's last sentence, with nothing after them:
# "…, so I'd rather not pick just one.", "I don't want to give you a confident answer I can't
# back up." (Not "…, but B is the most defensible", nor "since both qualify" of several.)
_DECLINES_TO_CLOSE = lazy(
    r"\b(?:'d|would)\s+rather\s+not\s+(?:pick|choose|commit\s+to)\s+(?:just\s+|only\s+)?(?:one"
    r"|a\s+single|an?\s+(?:option|answer))\b"
    r"|\b(?:don't|do\s+not)\s+want\s+to\s+give\s+(?:you\s+)?an?\s+(?:confident|definitive"
    r"|definite|firm)\s+answer\b"
    r"(?![^.!?\n]*\b(?:but|so|though|however|if\s+forced|still)\b)",
    re.IGNORECASE,
)
_DECLINES = lazy(
    r"\b(?:can't|cannot|can\s+not|won't|couldn't|don't\s+think\s+I\s+can|(?:am|'m)\s+unable\s+to"
    r"|(?:am|'m)\s+not\s+able\s+to)\s+(?:really\s+|safely\s+|confidently\s+|responsibly\s+)?"
    r"(?:pick|choose|select|single\s+out)"
    r"\s+(?:just\s+|only\s+)?(?:one|any|a\s+single|an?\s+(?:option|answer)|between"
    r"|from\s+(?:these|the))\b"
    r"|\bthere\s+(?:isn't|is\s+no|'s\s+no|is\s+not)\s+(?:a\s+|one\s+|any\s+|single\s+)*"
    r"(?:objectively\s+)?(?:correct|right|true)\s+(?:option|answer|choice)"
    # ("none of the listed options is the author": all of them rejected)
    r"|\bnone\s+of\s+the\s+(?:listed|given|provided)\s+(?:options|choices|answers)\s+(?:is|are)\s+"
    r"(?:the\s+\S+|correct|right)(?![^.\n]*\b(?:except|but|other\s+than|though)\b)"
    # ("none of A–D is correct as written")
    r"|\bnone\s+of\s+(?:options?\s+)?(?-i:[A-Z])\s*(?:[–—-]|to|through)\s*(?-i:[A-Z])\s+(?:is|are)\s+"
    r"(?:correct|right)"
    r"|\bnone\s+of\s+(?:the\s+|these\s+|them\s+)?(?:(?:listed|given|provided)\s+)?"
    r"(?:options?|choices?|answers?|statements?)?\s*(?:is|are)\s+(?:correct|right|true)"
    # "None of the listed options matches that", "so check which definition your course uses"
    # (not "…, so check which terminology your course uses — but B is the standard answer"),
    # "I can't say one is more appropriate than the other", "我这里就不替你确定答案了"
    # ("None of the given options (10, 15, 8, 20) matches that": the options echoed between)
    r"|\bnone\s+of\s+the\s+(?:(?:listed|given|provided)\s+)?(?:options|choices|answers)\s+"
    r"(?:\([^()\n]{1,60}\)\s+)?match(?:es)?(?:\s+(?:that|this|it|either))?(?=\s*(?:[.!;—–]|$))"
    r"|\bso\s+check\s+which\s+[^.\n]{0,30}?\byour\s+(?:course|class|textbook|teacher|instructor"
    r"|exam)(?![^.\n]*\b(?:but|however)\b)"
    # "I can't commit to either", "so three of these could be the intended answer", "I'd
    # suggest choosing based on your preferences"
    r"|\b(?:can't|cannot|can\s+not)\s+commit\s+to\s+(?:either|one|any)\b"
    # "I don't want to commit to one of them without knowing that", "I can't point to one of
    # these as 'the' answer"
    r"|\b(?:don't|do\s+not)\s+want\s+to\s+commit\s+to\s+(?:either|one|any)\b"
    r"|\b(?:can't|cannot|can\s+not)\s+point\s+to\s+(?:one|any|a\s+single)\s+(?:of\s+(?:these|them)"
    r"|option|answer|choice)\b"
    r"|\b(?:two|three|four|several)\s+of\s+(?:these|them|the\s+options)\s+could\s+(?:each\s+)?be\s+"
    r"(?:the\s+(?:intended|correct|right)\s+answer|(?:correct|right)\b(?![^.\n]*\bbut\b))"
    r"|\b(?:I'd|I\s+would)\s+suggest\s+choosing\s+based\s+on\b(?![^.\n]*\bif\b)"
    r"|\b(?:can't|cannot|can\s+not)\s+say\s+(?:that\s+)?one\s+is\s+(?:\w+\s+)?(?:more|better)"
    r"\s+[^.\n]{0,20}?than\s+the\s+other\b"
    r"|我(?:这里|这边)?就?(?:不|没法|无法)替(?:你|您)(?:确定|选择|做出?选择|判断|选)"
    r"|\b(?:can't|cannot|can\s+not)\s+(?:really\s+)?(?:give|make|provide|offer)\s+(?:a|an|any|one)\s+"
    r"(?:[a-z]+\s+){0,2}(?:answer|selection|choice|pick|set|list|combination)"
    r"|\b(?:can't|cannot|can\s+not)\s+pin\s+(?:down\s+(?:a|any|one)\s+(?:single\s+|definitive\s+)?"
    r"(?:answer|option|choice)|(?:this|it|that)\s+down)"
    # "I'd check the lecture notes rather than take my word for it": the pick is left to the
    # reader's course (the Chinese "建议你对照教材…的答案" below).
    r"|\b(?:I'd|I\s+would|you\s+should|best\s+to)\s+(?:check|consult|confirm)\s+(?:(?:your|the)\s+"
    r"(?:lecture\s+notes|course\s+(?:notes|materials?)|textbook|answer\s+key|syllabus|instructor)"
    r"[^.\n]{0,20}?\b(?:rather\s+than|instead\s+of|before\s+trusting)"
    # ("I'd check which guideline your course follows")
    r"|(?:which|what)\s+[^.\n]{0,30}?\byour\s+(?:course|class|exam|instructor|teacher|textbook)"
    # ("I'd check how your course defines 'high' before choosing")
    r"|how\s+your\s+(?:course|class|textbook|teacher|instructor)\s+(?:defines|counts|classifies)\b"
    r"[^.\n]{0,40}?\bbefore\s+(?:choosing|picking|answering|deciding))"
    r"|\b(?:can't|cannot|can\s+not)\s+(?:really\s+)?(?:tell|say|determine|know)\s+"
    r"(?:(?:you|for\s+you|definitively|definitely|with\s+certainty)\s+)?"
    r"(?:which|for\s+(?:sure|certain))"
    r"|\b(?:nobody|no\s+one)\s+can\s+(?:know|predict|say)|\b(?:don't|do\s+not)\s+have\s+(?:any\s+)?"
    r"(?:information|data|knowledge)\s+(?:about|on)\b"
    # "It really depends on …", "This depends a lot on …": adverbs on either side.
    r"|(?:^|(?<=[.!?]\s))(?:(?:so|but|and)\s+)?(?:it|this|that)\s+(?:really\s+|all\s+|largely\s+|entirely\s+"
    r"|heavily\s+|mostly\s+)?depends\s+(?:(?:quite\s+)?a\s+lot\s+|largely\s+|entirely\s+"
    r"|heavily\s+|mostly\s+)?on\b(?![^.\n]*\bbut\b[^.\n]*\b(?:most|usual|usually|generally"
    r"|typically|recommend\w*|the\s+answer|I'd\s+go|best)\b)"
    r"|\b(?:can't|cannot|can\s+not|am\s+unable\s+to|'m\s+unable\s+to)\s+answer\b"
    r"|\b(?:it's|it\s+is)?\s*(?:hard|difficult|impossible)\s+to\s+say\b|很难说|不好说"
    r"|(?:无法|不能)(?:回答|作答)"
    r"|(?:无法|不能|没办法|没法)(?:替你|帮你|为你)?(?:只)?(?:选择|选出|选一|做出选择|预测|得知"
    # "无法确定选哪个", "我无法确定标准答案到底是哪一个", "没办法确定具体答案".
    r"|确定[^。，,；;\n]{0,8}?(?:哪|选|答案))"
    # "我无法给出确定的组合", "我无法替代医生做出用药判断", "很难给出唯一的标准答案": no
    # verdict is given.
    r"|(?:无法|不能|没法|没办法|很难|难以)[^。，,；;\n]{0,6}?(?:给出|做出|作出)[^。，,；;\n]{0,6}?"
    r"(?:答案|组合|选择|结论|判断)"
    # "没有标准答案", "这题没有唯一的答案", "见仁见智": a matter of opinion.
    r"|没有(?:唯一|统一|标准|固定)的?(?:标准)?答案|没有(?:客观|明确|确定)的标准答案|见仁见智"
    # A tutor who leaves the last step to the reader: "具体计算留给你自己完成", "I'll leave the
    # final step to you".
    # (not "至于其余选项…，留给你自己思考", "I'll leave it to you to look up the rest")
    r"|(?<!其余)(?<!类似)(?<!其他)(?:具体|最后)?(?:计算|一步|结果)?留给(?:你|您)(?:自己)?(?:来)?(?:完成|计算|算|求)"
    r"|\b(?:I'll|I\s+will|let\s+me)\s+leave\s+the\s+(?:rest|last\s+step|final\s+step|calculation"
    r"|arithmetic)\s+(?:to|for)\s+you\b(?!\s+to\s+(?:check|look|decide))"
    # "很难判断哪个是唯一的标准答案"; "建议你对照一下你们教材或题库的标准答案": the reply leaves
    # the pick to the reader's answer key.
    r"|(?:很难|难以)(?:判断|确定|断定)[^。，,；;\n]{0,8}?(?:哪|选|答案)"
    r"|建议(?:你|您)?(?:对照|参考|查看|核对|以)[^。！!\n]{0,24}?(?:教材|题库|教辅|老师)"
    r"[^。！!\n]{0,12}?(?:标准答案|答案|为准)"
    r"|\b(?:there\s+is|there's)\s+no\s+(?:single\s+|one\s+)?(?:objective|definitive|universal)"
    r"\s+(?:answer|ranking|winner)"
    # "这取决于采用哪个标准", "，但这仍取决于你的标准": the Chinese "it depends on", opening
    # a sentence or a clause.
    r"|(?:^|(?<=[。！？!?\n,]))\s*(?:但|不过)?(?:这|那)?(?:仍然?|还|也|主要)?"
    r"(?:取决于|要看|得看|视情况而定)"
    # The question's material is missing: "您似乎没有提供阅读材料", "you didn't include the
    # passage". Whatever options are named after it, none is chosen.
    r"|(?:您|你)(?:似乎|好像|可能)?(?:没有|没|未|忘了|忘记)(?:提供|给出|附上|发送?|贴出?)"
    r"|\byou\s+(?:didn't|did\s+not|haven't|have\s+not|forgot\s+to)\s+"
    r"(?:provide|include|share|give|attach|paste)"
    r"|没有(?:一个)?(?:正确|对)的?(?:选项|答案)"
    r"|(?:选项|答案)(?:都|均)(?:不正确|不对|错误)"
    # "这道题四个选项都有问题", "可能题目本身有误", "选项可能印错了": no option fits, and the
    # fault is laid on the question (not "A选项有误", "其余三个选项都有语病": a review)
    r"|(?<!其余)(?<!其他)(?<!其它)(?<!剩下)(?<![A-Z、,])(?:四个|所有|全部)选项(?:都|均)"
    r"有(?:问题|错误|语病|毛病)"
    r"|(?:选项|题目|原题)(?:本身)?(?:可能|似乎|或许|应该是)(?:印错|有误|出错|错印)"
    r"|\b(?:can't|cannot|can\s+not)\s+single\s+(?:one|any|it)\s+out\b"
    # A refusal to help at all: "抱歉，我不能帮助选择…", "Sorry, I can't help with that".
    r"|(?:抱歉|对不起|很遗憾)[^。!?\n]{0,6}?(?:不能|无法|不会)(?:帮助?|协助|参与|提供)"
    r"|\b(?:sorry|I\s+apologi[sz]e)\b[^.!?\n]{0,30}?\b(?:can't|cannot|can\s+not|won't|will\s+not)"
    r"\s+(?:help|assist)\b",
    re.IGNORECASE,
)
# The reply says the question cannot be settled: "the value of x + y cannot be determined from
# the given information". Only where no option says so itself ("Cannot be determined" is often
# an option, and then naming it is the answer), and only before the weakest rules: an option's
# text that such a reply mentions is an example, not a pick.
_UNDECIDABLE = lazy(
    r"\b(?:cannot|can't|can\s+not)\s+be\s+(?:determined|decided|confirmed|known|found)\b"
    r"|\b(?:not\s+enough|insufficient)\s+information\b"
    r"|\bnone\s+of\s+(?:the|these)\s+(?:options|choices|answers)\s+(?:can|could)\s+be\s+"
    r"(?:confirmed|chosen|determined|justified|verified)"
    r"|(?:无法|不能|没法)(?:唯一)?确定|条件不足|信息不足"
    # ("…so I wouldn't commit to B or C on this information alone", said in closing)
    r"|\b(?:wouldn't|won't|can't)\s+commit\s+to\s+(?:options?\s+)?(?-i:[A-Z])\s+or\s+(?-i:[A-Z])\b"
    r"(?![^.\n]*\b(?:until|yet)\b)"
    # Unsure and sending the reader to check: "具体哪一年我不太确定，你可以再查一下",
    # "I'm not certain which — please double-check", "I'm not sure; verify it in the text".
    r"|不(?:太|是很|敢)?确定[^。\n]{0,20}?(?:查|核对|核实|确认)"
    r"|\bnot\s+(?:entirely\s+|completely\s+|100%\s+)?(?:sure|certain)\b[^.\n]{0,40}?"
    r"\b(?:double-check|check|verify|look\s+(?:it\s+)?up|confirm)\b",
    re.IGNORECASE,
)


# The question lacks what the answer needs: "这道题缺少折扣信息", "题目中没有给出…", "The question
# doesn't say how many …" (the question's own lack: "缺乏维生素D会导致…" is the topic).
_LACKS = lazy(
    r"(?:题目|题干|这道题|本题|这题|题中|题里)[^。!！?？\n]{0,12}?(?:缺少|缺乏|没有给出|没给出|未给出|没有告诉"
    r"|没说|没有说|没有提到|未提及|不全|不完整)"
    r"|\b(?:the|this)\s+(?:question|problem)\s+(?:is\s+)?(?:missing|lacks?|doesn't\s+(?:give|say"
    r"|specify|tell|mention)|does\s+not\s+(?:give|say|specify|tell|mention)|didn't\s+(?:give|say"
    r"|mention)|incomplete)\b",
    re.IGNORECASE,
)
# A value the reply assumes, so it answers after all: "按常见的八折计算", "assuming the usual 20%",
# "so we neglect it", "按光滑平面处理".
_ASSUMES = lazy(r"默认|按常见|按一般|按通常|通常按|一般按|姑且|忽略|不计|按[^。，,\n]{1,8}处理|\bassum\w*"
                r"|\blet's\s+(?:say|use)\b|\bwe'll\s+use\b|\bthe\s+usual\b|\bneglect|\bignor\w*"
                r"|\btreat(?:ing)?\s+(?:it|this|the)\b", re.IGNORECASE)
# A conclusion stated all the same: "所以答案是250万元", "so the answer is 22.4 L".
_CONCLUDES_ANYWAY = lazy(r"答案(?:是|为)|\bthe\s+answer\s+is\b|\bwhich\s+is\s+option\b",
                         re.IGNORECASE)
# "That depends entirely on the jurisdiction.": each value the reply then gives is a case's.
_DEPENDS = lazy(r"\bdepends\s+(?:\w+\s+)?on\b|取决于|要看|因[^。，,\n]{1,6}而异", re.IGNORECASE)
# A case the reply works through: "若…则", "如果…", "if …", "it would be …".
_CASE_WORD = lazy(r"若|如果|假如|\bif\b|\bwould\b", re.IGNORECASE)
# A close that asks for what is missing: "请补充折扣是多少", "请把完整题目发给我", "Could you share
# the full question?".
_ASKS_FOR_MORE = lazy(
    r"请(?:你|您)?(?:补充|提供|把|告诉我|给出|发)|(?:补充|提供)(?:一下)?[^。!！\n]{0,12}(?:我|再)"
    r"|(?:你|您)能(?:告诉|补充|提供)|麻烦(?:你|您)?(?:补充|提供|告诉)"
    r"|\b(?:please|could\s+you|can\s+you|if\s+you\s+(?:can\s+)?)\s*(?:provide|share|give|tell"
    r"|send|post|paste|clarify|add)\b|\blet\s+me\s+know\b"
    # "Which state (or country) is this question about?"
    r"|\b(?:which|what)\s+(?:state|country|jurisdiction|version|edition|course|textbook|definition"
    r"|region|province)\b[^?\n]{0,60}[?？]"
    # "Could you check whether part of the question is missing?"
    r"|\bcould\s+you\s+check\s+(?:whether|if)\b[^.?\n]{0,40}\b(?:missing|left\s+out|incomplete)",
    re.IGNORECASE,
)


def _lacks_and_asks(text: str, *, cases: bool = False) -> bool:
    """Whether a reply opens saying the question lacks what it needs and closes asking for it
    ("这道题缺少折扣信息。…请补充折扣是多少"), without assuming a value on the way ("按常见的八折
    计算", "so we neglect it") or concluding anyway ("所以答案是…"). With ``cases``, an opening
    that says only that it cannot be settled counts too ("题目条件不足，无法直接计算", "We can't
    pin this down from what's given"), when the reply works through two cases or more ("若…则为
    250万元；若…则为150万元"): the values it gives are each a case's."""
    sentences = _sentences(text)
    if not sentences or _ASSUMES.search(text) or _CONCLUDES_ANYWAY.search(text):
        return False
    opening = _LACKS.search(sentences[0]) is not None or (cases and (
        _UNDECIDABLE.search(sentences[0]) is not None or _DECLINES.search(sentences[0]) is not None)
        and (len(_CASE_WORD.findall(text)) >= 2 or _DEPENDS.search(sentences[0]) is not None))
    return opening and _ASKS_FOR_MORE.search(sentences[-1]) is not None


def _undecidable(text: str, choices: Sequence[str] | None) -> bool:
    """Whether the reply ends saying the answer cannot be settled and no option says that
    itself. Only its closing sentences count: "仅凭甲的话无法确定，但结合乙的证词…" settles it.
    So does a reply that opens saying what the question lacks and closes asking for it: the
    cases it works through between ("如果打八折，原价 = 150元（A）…") answer nothing."""
    closing = " ".join(_sentences(text)[-2:])
    return (_lacks_and_asks(text) or _UNDECIDABLE.search(closing) is not None) and not any(
        _UNDECIDABLE.search(c) or re.search(r"无法|不能|cannot|can't|not\s+enough", c, re.I)
        for c in choices or ()
    )


# Saying that two letters could each be the answer: the reply hedges, whatever came before.
_LETTERS_HEDGED = lazy(
    r"(?<![A-Za-z0-9])[A-Z]\s*(?:和|与|或者?|还是|、)\s*[A-Z]\s*(?:似乎|好像|看起来)?"
    r"(?:都|均|两个都|两项都)"
    r"(?:(?:有)?可能(?:是|为)?(?:正确|对的|对|答案|正确答案)|有(?:一定的?)?(?:道理|依据|根据)"
    r"|(?:能|可以)?说得?通)"
    # Stuck between two: "在A和C之间，我很难判断", "B、D之间拿不准", "torn between B and C",
    # "I can't decide between A and D".
    # "B和C我有点拿不准": unsure which of the two
    r"|(?<![A-Za-z0-9])[A-Z]\s*(?:和|与|、|还是)\s*[A-Z]\s*(?:我|我们)?(?:有点|有些|还是|实在)?"
    r"(?:拿不准|吃不准|不确定|说不准|定不下来)"
    r"|(?<![A-Za-z0-9])[A-Z]\s*(?:和|与|、|还是)\s*[A-Z]\s*(?:两项|两个)?之间[^。\n]{0,8}?"
    r"(?:很难|难以|无法|不好|没法|拿不准|犹豫|纠结)"
    # ("I'd say it's somewhere between A and B")
    r"|(?i:\b(?:it's|it\s+is|I'd\s+say|I'd\s+put\s+it|answer\s+is)\s+somewhere\s+between"
    r"|\bI(?:'m|\s+am)\s+(?:still\s+|really\s+)?(?:torn|undecided|stuck)\s+between"
    r"|\b(?:can't|cannot|can\s+not"
    r"|couldn't)\s+(?:really\s+)?(?:decide|choose)\s+between)\s+(?:options?\s+)?[A-Z]\b"
    # "So A, B or D could each be correct", "Any of A, C or D can be a good first language":
    # several letters left open together (not "A or D can be correct for …, but here C").
    r"|(?<![A-Za-z0-9])[A-Z](?:\s*,\s*[A-Z])*,?\s+or\s+[A-Z]\s+(?:could|can|might|may)\s+each\s+"
    r"be\s+(?:correct|right|valid|defensible|justified|argued|the\s+answer)\b"
    r"|(?i:\bany\s+of\s+)[A-Z](?:\s*,\s*[A-Z])*,?\s+or\s+[A-Z]\s+(?:could|can|might|may)\s+be\b"
    # "both A and B can be defended": each is defensible, neither is chosen.
    r"|(?<![A-Za-z0-9])(?:[Ee]ither|[Bb]oth)\s+(?:option\s+)?[A-Z]\s+(?:or|and)\s+(?:option\s+)?[A-Z]"
    r"\s+(?:(?:could|might|may|can)\s+be\s+(?:correct|right|the\s+(?:[a-z]+\s+)?answer|defended"
    r"|argued|justified)|are\s+(?:equally\s+)?(?:defensible|arguable|justifiable))"
    # ("Nucleus or mitochondria — either could be argued here.")
    r"|(?i:\beither\s+(?:one\s+)?(?:could|can|might|may)\s+be\s+(?:argued|defended|justified))"
    # The same said of two readings rather than two letters: "这两种理解都有一定道理",
    # "both interpretations are defensible".
    r"|两(?:种|个|项)(?:理解|说法|解释|观点|答案|选项|看法)?(?:似乎|好像)?(?:都|均)"
    r"(?:有(?:一定的?)?道理|说得通|(?:有)?可能(?:正确|对))"
    r"|(?i:\bboth\s+(?:readings|interpretations|answers|options|choices|views)\s+(?:are|seem)"
    r"\s+(?:equally\s+)?(?:defensible|reasonable|plausible|valid|justifiable))",
)


# A single-answer reply that ends with two letters both possible: "所以答案取决于是否计入南明，B和C
# 都有可能。" (Of a multi-answer question "A和C都有可能" names the answer.)
_BOTH_POSSIBLE_END = lazy(r"(?<![A-Za-z0-9])[A-Z]\s*(?:和|与|或|、)\s*[A-Z]\s*(?:都|均)有?可能"
                          r"[\s。.!！吧]*\Z")
# Two letters both called right: "本题 A、B 两项均可视为正确", "both A and B are correct". Of a
# single-answer question that chooses neither.
_BOTH_RIGHT = lazy(
    r"(?<![A-Za-z0-9])[A-Z]\s*(?:和|与|、)\s*[A-Z]\s*(?:两项|两个选项|两者)?"
    r"(?:的(?:表述|说法|描述|观点|内容))?\s*(?:都|均)\s*"
    r"(?:可以?(?:视为|算作?|看作|认为是?)?)?\s*(?:是)?(?:正确|对)"
    r"|\b[Bb]oth\s+(?:options?\s+)?[A-Z]\s+and\s+(?:option\s+)?[A-Z]\s+(?:are|could\s+be"
    r"|can\s+be)\s+(?:considered\s+)?(?:correct|right)\b"
)


# A parenthesised aside: "(1914)", "（约166万平方千米）", "(The best case is O(1) …)". A bracket
# right after a letter or digit is part of the text ("O(log n)", "f(x)"), not an aside.
_ASIDE = lazy(r"(?<![A-Za-z0-9])[(（](?:[^()（）\n]|[(（][^()（）\n]*[)）])*[)）]")
# Sentence ends: Chinese stops, "!", "?", ";", and a full stop before a space or the end ("6.02"
# and "e.g." stay whole).
# (Not after a title's abbreviation: "St. John's wort", "Dr. Snow", "Mt. Everest".)
_SENTENCE_SPLIT = lazy(r"(?<=[。！？!?；;])|(?<=\.)(?<!\bSt\.)(?<!\bDr\.)(?<!\bMt\.)(?<!\bMr\.)"
                       r"(?<!\bMs\.)(?<!\bMrs\.)(?<!\bvs\.)(?:\s+|$)|\n+")
_CONCLUDING = lazy(
    r"^[\W_]*(?:so|therefore|thus|hence|in\s+conclusion|overall|所以|因此|故|综上|总之|可见)"
    r"(?![A-Za-z])",
    re.IGNORECASE,
)


def _sentences(text: str) -> list[str]:
    """The sentences of ``text`` without its parenthesised asides."""
    return [s.strip() for s in _SENTENCE_SPLIT.split(_ASIDE.sub(" ", text)) if s and s.strip()]


def _answer_lines(text: str) -> list[str]:
    """The non-empty lines, without closing lines that are a parenthesised aside
    ("（选项D是表面积，注意区分。）")."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    while len(lines) > 1 and lines[-1].lstrip(" *>").startswith(("(", "（")):
        lines.pop()
    return lines


# A sentence that removes options ("So we can rule out Sydney", "排除A和C") names what is not
# the answer.
_REJECTS = lazy(
    r"\b(?:eliminat\w*|rul(?:e|ed|ing)\s+out|cross(?:ed)?\s+out|exclud\w*|discard\w*)\b"
    r"|排除|不选|淘汰|去掉",
    re.IGNORECASE,
)


# A short exclamation that opens a reply: "Great question!", "Sure!", "您好！".
_PLEASANTRY = lazy(r"[^.。!?！？\n]{1,25}[!！]")
# A possibility rather than a statement: "It may be the Nile, or the Amazon".
_MAYBE = lazy(
    r"\b(?:may|might|could|maybe|perhaps|possibly|either)\b|可能|也许|或许|或者|还是", re.IGNORECASE
)


def _stated_option(sentence: str, choices: Sequence[str]) -> int | None:
    """The one option a sentence names, unless the sentence is ruling options out."""
    return None if _REJECTS.search(sentence) else _option_in(sentence, choices)


_HEAD_BREAK = lazy(r"\s*[—–]+\s*|\s+-{1,2}\s+")
# A conclusion that settles nothing: "所以无法确定合力究竟是多少：同向时为7 N…".
_UNSETTLED = lazy(r"无法|不能|没法|不确定|\b(?:cannot|can't|unclear|undetermined)\b",
                        re.IGNORECASE)


_WOULD = lazy(r"\b(?:would|would've)\b|则|就会|就变成", re.IGNORECASE)
# A case of the reader's: "If you want it sweet, …", "If you're 62, …", "如果你更看重…". (Not a
# step of the working: "If we apply the rule, B is correct" states the answer.)
_READERS_CASE = lazy(r"\bif\s+(?:you|you're|your|they|one)\b|(?:如果|假如|若|要是)(?:你|您)",
                     re.IGNORECASE)
_IF = lazy(r"\b(?:if|unless|when)\b|如果|假如|假设|若|要是", re.IGNORECASE)


def _other_case(line: str) -> bool:
    """Whether a line answers a case other than the question's: a condition contrary to fact
    with a "would", or a changed question ("If the question asked…", "若题干改为…")."""
    return (_COUNTERFACTUAL.search(line) is not None or _VARIANT.search(line) is not None) and (
        _WOULD.search(line) is not None
    )


def _option_text_answer(text: str, choices: Sequence[str],
                        question: str | None = None) -> int | None:
    """The one option a reply names by its text where answers are stated.

    In order: a concluding sentence ("So the conjugate base is HSO₄⁻", "所以说法错误的是
    “…”"); the closing line; the opening sentence, since a reply that leads with an option's
    text ("1898年（光绪二十四年）。1894年是甲午战争…") answers first and contrasts the others
    after; the closing sentence; anywhere in a short answer. Asides in brackets are not read:
    "(1914)" after the answer is a date for context, not a second answer. A sentence that
    rules options out names none.
    """
    if all(_PLAIN_VALUE.fullmatch(c) for c in choices):
        # Options that are plain values: a number worked on is not named ("Total = 5 × 12 =
        # 60, and 60 / 4 = 15" names neither 12 nor 4 of the options), only what is stated or
        # results. (Not when an option is itself worked: "1.5×10⁻⁶", "1/8", "2^10".)
        text = _mask_operands(text)
    # A line about another case names that case's option: "If the order were reversed, 'was'
    # (A) would be correct", "Had the rate been 4%, 160 would be right", "若题干改为…则选A".
    lines = [ln for ln in _answer_lines(text) if not _other_case(ln)] or _answer_lines(text)
    if not lines:
        return None
    sentences = _sentences("\n".join(lines))
    if _parallel_mentions(sentences, choices):
        return None
    concluding = [s for s in sentences if _CONCLUDING.match(s)]
    if not concluding:
        # "依次写出：1，1，2，…，34，55，所以第10项是55": the conclusion closes a sentence;
        # "1,024 > 1,000, so **Quantity A is greater.**" before a closing tip, one earlier.
        concluding = [c for c in _CLAUSE_BREAK.split(sentences[-1])
                      if _CONCLUDING.match(c) and not _UNSETTLED.search(c)]
        if not concluding:
            # (Not in a sentence about a case: "If you're 62, …, so bonds (B) play a bigger
            # role" answers for that case.)
            # (Nor when the options are values: "…, so **x = 12**, and then y = 8" is a step.)
            concluding = [c for s in sentences[:-1] if not _READERS_CASE.search(s)
                          for c in _CLAUSE_BREAK.split(s)[1:]
                          if _CONCLUDING.match(c) and not _UNSETTLED.search(c)
                          and (i := _option_in(c, choices)) is not None
                          and not _VALUE_OPTION.fullmatch(choices[i])]
    idx = _stated_option(concluding[-1], choices) if concluding else None
    if idx is None:
        # "Type O negative.\n\nO-negative cells carry …": an opening sentence that is nothing
        # but one option's text answers first; options named later are the explanation's.
        first = _LEADING_ARTICLE.sub("", _fold(sentences[0], articles=False))
        exact = [i for i, c in enumerate(choices)
                 if first and first == _LEADING_ARTICLE.sub("", _fold(c, articles=False))]
        idx = exact[0] if len(exact) == 1 else None
    if idx is None:
        # "That would be **Neil Armstrong**, on July 20, 1969 …" then notes on the others: the
        # one option set in bold on the first line is the answer the reply leads with.
        bolded = {i for span in _BOLD.findall(lines[0])
                  if (i := _option_in(span, choices)) is not None}
        if len(bolded) == 1 and not _REJECTS.search(lines[0]) and not _MAYBE.search(lines[0]):
            idx = bolded.pop()
    if idx is None:
        idx = _picked_in_bold(text, choices)
    if idx is None and ("✅" in text or "✔" in text or "✓" in text):
        # "…属于演绎推理 ✅": the one option a line ticks, when no line crosses one out
        # (a tick on a line of working checks a step: "3x = 18 ✅")
        ticked = {i for ln in lines if _TICK_MARK.search(ln) and not _CROSS_MARK.search(ln)
                  and "=" not in ln and (i := _option_in(ln, choices)) is not None}
        if len(ticked) == 1 and not any(_CROSS_MARK.search(ln) for ln in lines):
            idx = ticked.pop()
    if idx is None:
        idx = _bare_statement(sentences, choices)
    if idx is None:
        idx = _stated_option(_ASIDE.sub(" ", lines[-1]), choices)
    if idx is None:
        idx = _quoted_option(lines[-1], choices)
    # The opening sentence, after a greeting ("Great question!", "您好！") that names nothing.
    greeting = _PLEASANTRY.fullmatch
    named = (s for s in sentences if not greeting(s) or _option_in(s, choices) is not None)
    opening = next(named, None)
    if idx is None and opening and not _DELIBERATES.search(opening):
        idx = _stated_option(opening, choices)
        if idx is None and not _REJECTS.search(opening) and not _MAYBE.search(opening):
            # "我国最长的河流是长江，全长约6300千米，黄河次之": the answer leads the sentence
            # and the clauses after it compare the others.
            idx = _option_in(_CLAUSE_BREAK.split(opening, maxsplit=1)[0], choices)
        if idx is None and (head := _HEAD_BREAK.split(opening, maxsplit=1))[1:]:
            # "Watt — one joule per second": the head before a dash is the answer, what
            # follows explains it (and may name other options' units).
            idx = _option_in(head[0], choices)
    elif (idx is None and opening and not _DELIBERATES.search(_MISLED.sub(" ", opening))
          and (head := _HEAD_BREAK.split(opening, maxsplit=1))[1:] and not _TURN.search(head[1])):
        # The same when the only word of deliberation is what others think: "Tanzania — it's
        # near the Kenyan border, which is why people sometimes think it's in Kenya" (not
        # "Kenya — that's what people think, but …").
        idx = _option_in(head[0], choices)
    if idx is None and len(sentences) > 1:
        idx = _stated_option(sentences[-1], choices)
    if idx is None and len(text) <= 300:
        idx = _option_in(_ASIDE.sub(" ", text), choices)
        own = {g for c in choices for g in _BRACKET_GROUP.findall(c)}
        if idx is None and own:
            # (options with brackets of their own: "白细胞正常值为(4~10)×10⁹/L" names
            # "(4~10)×10⁹/L"; taking its brackets for an aside left every option's "×10⁹/L".
            # Other brackets are still asides: "（有的教材写(4~10)×10⁹/L，…）". The clause
            # that names it must be about the question's subject: "腋温一般为(36.0~37.0)℃，口腔
            # 温度…" gives the range of another reading than the one asked.)
            kept = _BRACKET_GROUP.sub(lambda g: g.group() if g.group() in own else " ", text)
            idx = _option_in(kept, choices)
            if idx is not None and question and not any(
                    _option_in(c, choices) == idx and _restates_question(c, question)
                    for c in _clauses_outside_brackets(kept)):
                idx = None
    return idx


def _clauses_outside_brackets(text: str) -> list[str]:
    """The clauses of ``text`` (``_CLAUSE_BREAK``), a comma inside brackets no break: "所以函数
    的定义域为 (1，+∞)" is one clause."""
    groups = [g.span() for g in _BRACKET_GROUP.finditer(text)]
    clauses, start = [], 0
    for m in _CLAUSE_BREAK.finditer(text):
        if not any(a <= m.start() < b for a, b in groups):
            clauses.append(text[start : m.start()])
            start = m.end()
    return [*clauses, text[start:]]


# A group in brackets, one more group inside it at most: "(4~10)", "（有的写(4~10)×10⁹/L）".
_BRACKET_GROUP = lazy(r"[(（](?:[^()（）\n]|[(（][^()（）\n]*[)）])*[)）]")


# An option that is one plain value: "12", "−2.5", "$40", "25%", "273.15 K", "6个月".
_PLAIN_VALUE = lazy(r"[$¥€£]?\s*-?\d[\d,]*(?:\.\d+)?\s*(?:%|[A-Za-z°]{1,4}|[\u4e00-\u9fff]{1,3})?")
_NUMBER_TOKEN = lazy(r"(?<![\w.,])-?\d(?:[\d,]*\d)?(?:\.\d+)?(?![\d.,]*\d)")
# A term's end: "5", "5 boxes", "(a + b)", "x"; not "over" in "over +25%".
_TERM_END = r"(?:\d%?(?:\s*[A-Za-z]+)?|\)|(?<![A-Za-z])[A-Za-z])"
# An arithmetic operator between terms, before or after a number (a minus only with spaces
# round it: "x - 1", not the sign of "= -2" or the hyphen of "COVID-19"; a plus after a term,
# not the sign of "+25%").
_WORKED_AFTER_TERM = lazy(rf"{_TERM_END}(?:\s*[×÷/+^]|\s-)\s*[$¥€£]?$")
_WORKED_WITH_TERM = lazy(r"%?\s*(?:[A-Za-z]+\s*)?(?:[×÷/+^]|-\s)\s*(?:[$¥€£]?\d|\(|[A-Za-z](?![A-Za-z]))")
_RESULT_BEFORE = lazy(r"[=≈]\s*$")
_CLAUSE_STOPS = "\n;。；,，"


def _mask_operands(text: str) -> str:
    """``text`` with each number that a computation works on as ``#``, as against what a
    step results in or a sentence states: in "Total = 5 × 12 = 60, and 60 / 4 = 15" only 15
    is left. An operand is a number an operator joins to another term in a clause that
    computes (with "=" or "≈"; not "scored 18/20", "$40 + a commission"); a result ("= 60")
    that a later step works on again is an operand too, though "so the remainder is 1" after
    "10 = 3 × 3 + 1" is stated. An exponent states nothing ("grows as n²"), and is not
    counted as worked on again: "2³ = 8" leaves a stated 3 alone."""
    tokens = list(_NUMBER_TOKEN.finditer(text))
    worked: set[str] = set()
    spans: set[tuple[int, int]] = set()
    for m in tokens:
        before = text[max(0, m.start() - 12) : m.start()]
        if before.endswith("^"):
            spans.add(m.span())  # an exponent states nothing: "grows as n^2"
            continue
        joined = _WORKED_AFTER_TERM.search(before) or _WORKED_WITH_TERM.match(text, m.end())
        if not joined:
            continue
        clause_start = max(text.rfind(c, 0, m.start()) for c in _CLAUSE_STOPS)
        ends = [e for c in _CLAUSE_STOPS if (e := text.find(c, m.end())) >= 0]
        clause = text[clause_start + 1 : min(ends) if ends else None]
        if "=" not in clause and "≈" not in clause:
            continue
        spans.add(m.span())
        worked.add(m.group().replace(",", ""))
    out, last = [], 0
    for m in tokens:
        if m.span() in spans or (m.group().replace(",", "") in worked
                                 and _RESULT_BEFORE.search(text, max(0, m.start() - 3), m.start())):
            out += [text[last : m.start()], "#"]
            last = m.end()
    return "".join(out) + text[last:]


_TICK_MARK = lazy("[✅✔✓]")
# An option that is only a value: "12", "$3,518", "6.02 × 10^23", "25%".
_VALUE_OPTION = lazy(r"[\s$¥€£+−-]*\d[\d,.\s×x^*/+−-]*%?\s*[a-zA-Z°%/²³]{0,6}\s*")
_CROSS_MARK = lazy("[❌✗✘×]")
# A value with a Chinese unit: "40元", "1918年", "6个月".
_ZH_VALUE_OPTION = lazy(r"\s*[+−-]?\d[\d,.]*%?\s*[\u4e00-\u9fff]{1,3}\s*")
# A verb of choosing, then the choice in bold: "Go with **the refrigerator** option.",
# "I'd pick **Bonds**", "选**演绎推理**".
_PICK_BOLD = lazy(r"\b(?:go\s+with|pick|choose|select|opt\s+for)\s+\*\*([^*\n]{1,80})\*\*"
                  r"|选择?\s*\*\*([^*\n]{1,80})\*\*", re.IGNORECASE)


def _picked_in_bold(text: str, choices: Sequence[str]) -> int | None:
    """The option a verb of choosing names in bold, by its text or by words only it has
    ("**the refrigerator**" for "In the refrigerator"); None unless every such pick agrees."""
    picks = [m.group(1) or m.group(2) for m in _PICK_BOLD.finditer(text)
             if not _NEGATED_BEFORE.search(text, max(0, m.start() - 12), m.start())
             and not text[: m.start()].rstrip().endswith(("n't", "never", "不要", "别", "不"))]
    if not picks:
        return None
    own = _own_units(choices)
    found: set[int] = set()
    for span in picks:
        idx = _option_in(span, choices)
        if idx is None:
            said = _content_units(span)
            hits = [i for i, o in enumerate(own) if o & said]
            idx = hits[0] if len(hits) == 1 else None
        if idx is None:
            return None
        found.add(idx)
    return found.pop() if len(found) == 1 else None


_NEGATION_WORD = lazy(r"\b(?:not|no|never|isn't|aren't|wasn't)\b|不|非|没|无|别|勿", re.IGNORECASE)


def _bare_statement(sentences: Sequence[str], choices: Sequence[str]) -> int | None:
    """The option a sentence states with next to nothing else ("方用麻黄汤。", "Answer —
    rifampin."), when all such sentences state the same one; the sentences around it name the
    others to tell them apart."""
    forms = [_LEADING_ARTICLE.sub("", _fold(c, articles=False)) for c in choices]
    found: set[int] = set()
    for sentence in sentences:
        idx = _option_in(sentence, choices)
        if idx is None or _NEGATION_WORD.search(sentence) or _MAYBE.search(sentence):
            continue
        head, _, tail = _fold(sentence, articles=True).partition(forms[idx])
        # (the option closes it, after a verb or a label: "方用", "answer")
        if (not tail.strip() and len(head.split()) <= 2 and len(head.replace(" ", "")) <= 6
                and not re.search(r"\d", head)):
            found.add(idx)
    return found.pop() if len(found) == 1 else None


def _parallel_mentions(sentences: Sequence[str], choices: Sequence[str]) -> bool:
    """Whether two options are named in the same sentence frame ("sydney is a big city. …
    melbourne is a big city."): the reply says the same of both, so naming one by its text
    chooses neither; a rambling reply that walks through the options does this."""
    frames: dict[str, int] = {}
    for sentence in sentences[:60]:
        idx = _option_in(sentence, choices)
        if idx is None:
            continue
        option = _LEADING_ARTICLE.sub("", _fold(choices[idx], articles=False))
        frame = _fold(sentence, articles=True).replace(option, "_", 1)
        if frames.setdefault(frame, idx) != idx:
            return True
    return False


_QUOTED = lazy(r"[“\"「『]([^”\"」』\n]{2,80})[”\"」』]")


def _quoted_option(line: str, choices: Sequence[str]) -> int | None:
    """The one option a quotation in the closing line is taken from: 只有"发展前景存在不确定性"
    这个说法是稳妥的 quotes most of option C. Quoting is how people point at an option's words."""
    hits: set[int] = set()
    if _MARK_BAD.search(line):
        return None  # "“…”的说法是错误的" quotes an option to reject it
    # An aside ('(we never "accept" H₀ …)') quotes a wording to comment on it.
    for m in _QUOTED.finditer(_NOT_THIS.sub(" ", _ASIDE.sub(" ", line))):
        quote = _fold(m.group(1), articles=False)
        for i, c in enumerate(choices):
            option = _fold(c, articles=False)
            if quote and option and _abridged(quote, option) and 2 * len(quote) >= len(option):
                hits.add(i)
    return hits.pop() if len(hits) == 1 else None


def _abridged(quote: str, option: str) -> bool:
    """Whether ``quote`` is the option's wording with parts left out, in order: "推广有利于减少
    对石油的依赖" abridges "推广新能源汽车有利于减少对石油的依赖". Chinese is compared by
    character, other text by word."""
    if quote in option:
        return True
    cjk = any(_is_cjk(ch) for ch in quote)
    units = list(quote) if cjk else quote.split()
    rest = iter(list(option) if cjk else option.split())
    return len(units) >= 4 and all(u in rest for u in units)  # each found after the last


# Options listed by their text with the letter in brackets: "MongoDB (A), Cassandra (C) and
# Redis (D)." Each letter is backed by its option's text, so the list names the answer.
# (each item atomic: its text ends at its own tag, so a run of "A (B) A (B) …" cannot be
# split every way there is, which took seconds at 56 characters and doubled with each few more)
_TAGGED_LIST = lazy(
    r"[\s*>-]*+(?>[^(),.;:!?\n]{1,60}?\s*[(（](?-i:[A-Z])[)）]\s*(?:,|、|;|\band\b|和|与|及|&)?\s*)+"
    r"[.。!]?\s*"
)
_TAG = lazy(r"([^(),.;:!?\n]{1,60}?)\s*[(（]([A-Z])[)）]")


def _tagged_options(text: str, n_choices: int, choices: Sequence[str]) -> tuple[str, ...] | None:
    """Letters of an opening or closing sentence that only lists options as "text (X)"."""
    sentences = [x.strip() for x in re.split(r"(?<=[.。!?！？])\s+|\n+", text) if x.strip()]
    for sentence in (sentences[:1] + sentences[-1:]) if sentences else []:
        if not _TAGGED_LIST.fullmatch(sentence):
            continue
        letters: set[str] = set()
        for m in _TAG.finditer(sentence):
            name = re.sub(r"^\s*(?:and|和|与|及|&)\s+", "", m.group(1).strip(" ,、;&*"))
            index = ord(m.group(2)) - 65
            if index >= min(n_choices, len(choices)) or _option_in(name, choices) != index:
                return None
            letters.add(m.group(2))
        if letters:
            return tuple(sorted(letters))
    return None


_BOLD = lazy(r"\*\*([^*\n]+)\*\*")


# A letter set off by a dash or a colon where a sentence or a lead-in ends: "**C — Nitrogen**",
# "B: carrying oxygen", "As for the question: **C — Nitrogen**".
_DASHED_LETTER = lazy(r"(?:^|(?<=[:：]))[\s*#>]*\(?([A-Z])\)?\**[ \t]*(?:[—–:：]|-[ \t])")


def _sentence_letters(sentence: str) -> list[tuple[int, int, str]]:
    """The letters a sentence writes as option labels (``(B)``, ``**C**``, "option C", "选项C",
    an opening "C —"), with their spans."""
    found = [(m.start(), m.end(), next(g for g in m.groups() if g).upper())
             for m in _FORMATTED.finditer(sentence)
             # (a lower-case letter only with its noun: "option c", not "(a)" in a list)
             if next(g for g in m.groups() if g).isupper() or "option" in m.group().lower()]
    if not found and (dashed := _DASHED_LETTER.search(sentence)) is not None:
        found.append((dashed.start(1), dashed.end(), dashed.group(1)))
    return found


# What a declining paragraph says: "I can't check live scores", "我无法查询实时比分".
_WONT = lazy(r"\b(?:can't|cannot|can\s+not|won't|unable|don't\s+have\s+access)\b|无法|不能|没法|没办法",
             re.IGNORECASE)
# Sentence ends for ``_first_paired``; a name's initials ("T. S. Eliot (B).") end nothing.
_PAIRED_SPLIT = lazy(r"(?<=[.。!?！？])(?<!\b[A-Z]\.(?=\s[A-Z]\.\s))(?<![A-Z]\.\s[A-Z]\.)\s+"
                     r"|(?<=[。！？])|\n+")
_BRACKET_LABEL = lazy(r"[(（]\s*(?:(?:option|choice)\s+|选项\s*)?[A-Z]\s*[)）]", re.IGNORECASE)
# A sentence that says what is right: "Correct configuration: [Ar] 3d⁵ 4s¹."
_ANSWER_TERM = lazy(r"\b(?:correct|right|answer|true)\b|正确|答案|应选|应该选", re.IGNORECASE)


def _paired_statement(sentence: str, choices: Sequence[str]) -> str | None:
    """The one letter a plain statement gives beside its own option's text ("Vitamin C —
    option C.", "The area is πr², option B."), or None: for no letter, several, a letter whose
    option the words do not name, or a sentence that negates, rules out, wavers or sets a case."""
    letters = _sentence_letters(sentence)
    if len({x for _, _, x in letters}) != 1:
        return None
    letter = letters[0][2]
    # What the sentence says up to the end of the letter's clause: in "That's the cerebellum —
    # option B on your list, the 'little brain' under the cerebrum" the later clause compares.
    stop = _CLAUSE_BREAK.search(sentence, letters[-1][1])
    said = sentence[: stop.start() if stop else len(sentence)]
    rest = said
    for start, end, _ in reversed(letters):
        rest = rest[:start] + " " + rest[end:]
    if (_NEGATIVE.search(said) or _REJECTS.search(said) or _MAYBE.search(said)
            or _IF.search(said) or _GUESSED.search(said) or _MISLED.search(said)
            or "?" in sentence or "？" in sentence):
        return None
    return letter if _option_in(rest, choices) == ord(letter) - 65 else None


def _first_paired(text: str, n_choices: int, choices: Sequence[str]) -> str | None:
    """The letter of the first sentence that labels anything with a letter, when it gives one
    letter beside its own option's text: the answer stated first, with the later sentences
    explaining it or glossing the other options ("Vitamin C — option C. Vitamin D deficiency
    causes rickets …"). A later sentence that pairs another letter with its text in the same
    plain way makes the reply a review of the options, and a later conclusion ("so …") that
    names another option takes the answer over, as does an ending that leaves it open: then
    it is not read here. Nor is it where the options are all values, unless the value is in
    bold: a value labelled with its letter is as often a step of the working."""
    # (asides are notes on other options, "(Ligase, option C, joins …)"; a bracketed label,
    # "oxygen (B)", stays)
    text = _ASIDE.sub(lambda m: m.group() if _BRACKET_LABEL.fullmatch(m.group()) else " ", text)
    # Each sentence with its place in its paragraph.
    placed = [(n, x.strip()) for paragraph in re.split(r"\n[ \t]*\n", text)
              for n, x in enumerate(y for y in _PAIRED_SPLIT.split(paragraph) if y.strip())]
    sentences = [x for _, x in placed]
    if _OPEN_ENDING.search(text) or _UNSETTLED.search(sentences[-1] if sentences else ""):
        return None  # "…这道题的标准答案取决于出题人的口径，我没法给你一个确定的选项"
    # A value labelled with its letter is as often a step ("4 × 15 = $60, option D. After the
    # discount: …"), unless it is set in bold ("= 0.25 = **25%** (B)").
    values = all(_VALUE_OPTION.fullmatch(c) or _ZH_VALUE_OPTION.fullmatch(c) for c in choices)
    first: str | None = None
    stated: set[int] = set()  # options named, without a letter, before the first label
    for k, (n, sentence) in enumerate(placed):
        if first is None:
            if n > 1:
                return None  # not given first: the opening sentences of a paragraph label nothing
            if not _sentence_letters(sentence):
                if (named := _option_in(sentence, choices)) is not None:
                    stated.add(named)
                continue
            first = _paired_statement(sentence, choices)
            if first is None or ord(first) - 65 >= n_choices or stated - {ord(first) - 65}:
                # ("夏至。顺便一提，冬至（D）是…": the answer came first, unlabelled)
                return None
            bold = any(_option_in(b, choices) == ord(first) - 65 for b in _BOLD.findall(sentence))
            # Past the reply's two opening sentences, a later paragraph's opening answers
            # only after one that declines a side request ("I can't check live scores …\n\n
            # The 2018 World Cup was won by France (C)") or in bold: after "Good question! Let
            # me walk you through it." a paragraph glossing a distractor ("Oxygen (B) is what
            # we breathe in, but …") is no answer given first.
            if ((values or (k > 1 and not any(_WONT.search(x) for _, x in placed[:k])))
                    and not bold):
                return None
        elif _paired_statement(sentence, choices) not in (None, first) or (
                # ("… = **60** (B). Adding tax gives 64.8.": the working goes on to another;
                # "Note: if you divide by the new value, you get 20%" is another case)
                values and not _IF.search(sentence)
                and _option_in(sentence, choices) not in (None, ord(first) - 65)) or any(
                (_CONCLUDING.match(clause) or _ANSWER_TERM.search(clause))
                and _option_in(clause, choices) not in (None, ord(first) - 65)
                # ("Chromium is an exception, so the configuration is 3d⁵ 4s¹.")
                for clause in _CLAUSE_BREAK.split(sentence)):
            return None
    return first


def _bold_options(text: str, n_choices: int, choices: Sequence[str]) -> tuple[str, ...] | None:
    """For a multi-answer question, the options named in bold in the last line with bold:
    "From the list, **Helium, Neon and Argon** are noble gases." Bold marks the committed
    answer; the plain mentions around it are discussion."""
    for line in reversed(text.splitlines()):
        spans = _BOLD.findall(line)
        if not spans:
            continue
        named = {i for span in spans for i in _all_options_in(span, choices) if i < n_choices}
        if named and not _NOT_THIS.search(line):
            return tuple(chr(65 + i) for i in sorted(named))
        return None
    return None


# "All four of these are renewable", "All of them apply", "四个选项都正确": every option.
_ALL_LEAD = lazy(
    r"^[\W_]*(?:all\s+(?:(?P<en>three|four|five|six)(?:\s+of\s+(?:these|them|the\s+options))?"
    r"|of\s+(?:these|them|the\s+(?:options|above)))(?:\s+options)?\s+(?:are|apply)\b"
    # "All of the above — regular exercise helps with every one of these."
    r"|all\s+of\s+(?:the\s+above|them)(?=\s*(?:[—–.!]|\s-\s|$))"
    r"(?![^\n]*?\b(?:except|but|not|no|wait|almost|apart\s+from|actually|hmm|rather|only"
    r"|reflection)\b|[^\n]*?(?:除了|不过|但))"
    r"|(?:这)?(?P<zh>[三四五六])(?:个|项)(?:选项)?(?:都|均|全)(?:是|对|正确|符合))",
    re.IGNORECASE,
)
_COUNTS = {"three": 3, "four": 4, "five": 5, "six": 6, "三": 3, "四": 4, "五": 5, "六": 6}


# An opening that announces working rather than an answer: "let's go through the options".
_DELIBERATES = lazy(
    r"\b(?:let's|let\s+us|let\s+me|we\s+need|options?|choices?|consider|think|step)\b"
    r"|选项|分析|我们来|先来|首先|思考|考虑",
    re.IGNORECASE,
)


def _opening_statement(text: str, choices: Sequence[str]) -> int | None:
    """The option a complete opening sentence states as its predicate, for a cut reply:
    "画蛇添足的寓意是做多余的事，反而弄巧成拙。…" answered before the cut. A sentence that
    starts with an option ("Quicksort is a divide-and-conquer …") discusses it instead."""
    sentences = _sentences(text)
    if len(sentences) < 2 or not re.search(r"[.。!！]$", sentences[0]):
        return None
    if _DELIBERATES.search(sentences[0]):
        return None
    idx = _option_in(sentences[0], choices)
    if idx is None:
        return None
    option = _LEADING_ARTICLE.sub("", _fold(choices[idx], articles=False))
    subject = _LEADING_ARTICLE.sub("", _fold(sentences[0], articles=False))
    return None if subject.startswith(option) else idx


def _copied_option_lines(text: str, n_choices: int,
                         choices: Sequence[str]) -> tuple[str, ...] | None:
    """For a multi-answer question, the options a reply copies out, one labelled line each and
    nothing else on the line but a gloss ("A. 泼水节（傣族）\\nB. 那达慕大会\\nD. 火把节", "(b)
    Wind\\n(e) Geothermal"), when it leaves some options out: the copied ones are the picks."""
    forms = set(_option_forms(choices[:n_choices]))
    letters: list[str] = []
    for line in text.splitlines():
        # ("- **A) Nucleus**": a bullet and bold around the copied line)
        m = _LETTER_TEXT_LINE.fullmatch(_LIST_ITEM.sub("", line.strip()).replace("**", ""))
        if m is None:
            continue
        letter = _line_letter(m)
        rest = _LEADING_ARTICLE.sub("", _fold(_ASIDE.sub(" ", m.group("rest")), articles=False))
        if (ord(letter) - 65, rest) not in forms or letter in letters:
            return None  # a line that reviews or rejects: the lines are no copied list
        letters.append(letter)
    if len(letters) < 2 or len(letters) >= n_choices:
        return None
    return tuple(sorted(letters))


_BULLET_ITEM = lazy(r"^[ \t]*(?:[-*+•]|\d{1,2}[.)])[ \t]+(.+?)[ \t]*$", re.MULTILINE)


_ANSWER_WORDS = (
    "correct", "right", "true", "answer", "answers", "option", "options", "choice", "choices",
    "ones", "pick", "picks", "selected", "following", "these", "list", "正确", "答案", "选项")


def _bulleted_options(text: str, n_choices: int, choices: Sequence[str],
                      question: str | None) -> tuple[str, ...] | None:
    """For a multi-answer question, a bulleted list whose every item is one option's text and
    nothing else, leaving some options out, under a line that says only what the question asks
    ("Which are input devices?" → "The input devices are:\n\n* Keyboard\n* Microphone\n*
    Mouse"): the listed ones are the picks. Under "The output devices are:" they are not, and
    two such lists choose nothing."""
    if not question:
        return None
    forms = _option_forms(choices[:n_choices])
    lists: list[set[int]] = []
    intros: list[str] = []
    end = -2
    for m in _BULLET_ITEM.finditer(text):
        item = _LEADING_ARTICLE.sub("", _fold(m.group(1).replace("**", ""), articles=False))
        idx = next((i for i, o in forms if o == item), None)
        if idx is None:
            end = -2  # an item that is no option's text ends the run (and spoils it)
            if lists and lists[-1]:
                lists[-1] = set()
            continue
        if m.start() != end + 1 or not lists:
            lists.append(set())
            before = text[: m.start()].rstrip().rsplit("\n", 1)[-1]
            intros.append(before)
        lists[-1].add(idx)
        end = m.end()
    picked = [(x, intro) for x, intro in zip(lists, intros, strict=True) if len(x) >= 2]
    if len(picked) != 1 or len(picked[0][0]) >= n_choices:
        return None
    said = frozenset(map(_stem, _subject_terms(picked[0][1])))
    asked = frozenset(map(_stem, _subject_terms(_prepare(question))))
    if not said or not said <= asked | frozenset(map(_stem, _ANSWER_WORDS)):
        return None
    return tuple(chr(65 + i) for i in sorted(picked[0][0]))


_LABELLED_TEXTS = lazy(r"[ \t*#>-]*(?P<label>[^:：\n]{1,24}?)[ \t*]*[:：][ \t*]*(?P<items>[^\n]+?)[\s。.]*")
_ITEM_SEPARATOR = lazy(r"\s*(?:[、,，;；/]|\band\b|和|及|与)\s*", re.IGNORECASE)


def _labelled_texts(text: str, n_choices: int, choices: Sequence[str],
                    question: str | None) -> tuple[str, ...] | None:
    """For a multi-answer question, a closing line that is a label saying what the question
    asks and then only options' texts ("混合物：空气、生理盐水、石灰石。" for "下列物质属于混合物的
    有"): those options."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    m = _LABELLED_TEXTS.fullmatch(lines[-1]) if lines and question else None
    if m is None or question is None:
        return None
    forms = _option_forms(choices[:n_choices])
    picked: set[int] = set()
    for item in _ITEM_SEPARATOR.split(m.group("items").replace("**", "")):
        folded = _LEADING_ARTICLE.sub("", _fold(item, articles=False))
        index = next((i for i, o in forms if o == folded), None)
        if index is None:
            return None  # an item that is no option's text: a sentence, not a list
        picked.add(index)
    said = frozenset(map(_stem, _subject_terms(m.group("label"))))
    asked = frozenset(map(_stem, _subject_terms(_prepare(question))))
    if not picked or len(picked) >= n_choices or not said or not said <= asked | frozenset(
            map(_stem, _ANSWER_WORDS)):
        return None
    if _asks_for_exception(question) != bool(_NEGATIVE.search(m.group("label"))):
        return None  # "混合物：…" answers "属于混合物的有", not "不属于混合物的是"
    return tuple(chr(65 + i) for i in sorted(picked))


def _options_listed(text: str, n_choices: int, choices: Sequence[str]) -> tuple[str, ...] | None:
    """For a multi-answer question, the options a sentence lists by their text: a concluding
    sentence, else the opening one ("2, 11, and 17 are prime. 9 = 3 × 3 and 15 …"), else the
    closing one. Sentences that reject ("not B") are discussion, not the list. Where an
    option's own text holds a comma, a semicolon parts the listed options, not sentences
    ("包括：改革政府机构，裁撤冗员；废除八股，改试策论；开办京师大学堂等")."""
    joined = "\n".join(_answer_lines(text))
    if any(c in o for o in choices for c in ",，"):
        joined = re.sub(r"[;；](?=[^\n])", "、", joined)
    sentences = _sentences(joined)
    if not sentences:
        return None
    every = _ALL_LEAD.match(sentences[0])
    if every:
        count = every.group("en") or every.group("zh")
        if count is None or _COUNTS[count.lower()] == n_choices:
            return tuple(chr(65 + i) for i in range(n_choices))
    concluding = [s for s in sentences if _CONCLUDING.match(s)]
    for t in _TAG.finditer(text):
        named_by_text = _option_in(t.group(1), choices)
        if named_by_text is not None and named_by_text != ord(t.group(2)) - 65:
            return None  # "Python (B), Haskell (D)": the letters contradict the texts
    # An opening computation ("91 = 7 × 13") is working on one option, not the list. An
    # opening list before a dash is the answer; the comment after it may name the others
    # ("ATP, NADPH and O₂ — glucose is made later in the Calvin cycle").
    opening = sentences[:1] if "=" not in sentences[0] else []
    if (opening and (head := _HEAD_BREAK.split(opening[0], maxsplit=1))[1:]
            and len(_all_options_in(head[0], choices)) >= 2 and _leads_with_option(head[0], choices)
            # (not when the comment adds to the list, "— and whales too", or turns on it:
            # "——这两种不是温室气体", "— tempting, but …", or "— neither traps heat" when it
            # names no other option it could be turning down instead)
            and not _LIST_GOES_ON.search(head[1])
            and not (_LIST_TURNS.search(head[1]) and set(_all_options_in(head[1], choices))
                     <= set(_all_options_in(head[0], choices)))):
        opening = head[:1]
    for sentence in concluding[-1:] + opening + sentences[-1:]:
        if _NOT_THIS.search(sentence) or _REJECTS.search(sentence):
            continue
        named = [i for i in _all_options_in(sentence, choices) if i < n_choices]
        if named:
            return tuple(chr(65 + i) for i in named)
    return None


# A comment after a listed head that adds to it or turns it down.
_LIST_GOES_ON = lazy(
    r"\b(?:too|plus|as\s+well|also|tempting)\b|还有|以及|另外|也是|(?:这|那)(?:两|几|些)(?:种|个|项)?(?:都)?不",
    re.IGNORECASE,
)
_LIST_TURNS = lazy(r"\b(?:neither|nor|not|but|however)\b|不是|都不|均不", re.IGNORECASE)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
             **{str(i): i for i in range(1, 10)}}
_ORDINAL_OPTION = lazy(
    # counted from the end: "倒数第二个选项", "the second-to-last option", "the penultimate one"
    r"倒数第(?P<zh_end>[一二三四五六])个?(?:选项|项)"
    r"|\b(?:the\s+)?(?:(?P<en_end>second|third|fourth)[\s-]+(?:to|from)[\s-]+(?:the[\s-]+)?last"
    r"|(?P<penult>penultimate))\s+(?:option|choice|one|statement)\b"
    r"|\b(?:the\s+)?(?P<en>first|second|third|fourth|fifth|sixth|last)\s+(?:option|choice|one"
    r"|statement)\b"
    # "option 3", "Option three: 2000."
    r"|\b(?:option|choice)\s+(?:no\.\s*|number\s+|#)?(?P<en_digit>[1-9](?![\d%]|[.,]\d)"
    r"|(?:one|two|three|four|five|six)\b(?!\s+(?:of|more|times|or)\b))"
    r"|第(?P<zh>[一二三四五六])个?(?:选项|项)|(?P<zh_last>最后)一?个?(?:选项|项)"
    # "选项三", and a terse "第一个。" / "第二种，每100克2.4元" that ends its clause
    r"|选项(?P<zh2>[一二三四五六])(?![\u4e00-\u9fff])"
    # (also after a verb of choosing: "所以应该选第三个。", "答案是第二种。")
    r"|(?:(?<![\u4e00-\u9fff])|(?<=选|择|是))第(?P<zh3>[一二三四五六])(?:个|种)"
    r"(?=\s*(?:[,，。.!！;；]|$))",
    re.IGNORECASE,
)
# Several ordinals sharing one noun: "the first, second and fourth options", "第一、三和第五项".
_EN_ORDINAL = r"(?:first|second|third|fourth|fifth|sixth|last)"
_ORDINAL_LIST = lazy(
    # "the first and the last options": each ordinal may keep its own article.
    rf"\b(?:the\s+)?(?P<en>{_EN_ORDINAL}(?:\s*,\s*(?:and\s+)?(?:the\s+)?{_EN_ORDINAL})*,?\s+and\s+"
    rf"(?:the\s+)?{_EN_ORDINAL})(?:\s+(?:options|choices|ones|statements)\b"
    # or alone at the end of the sentence: "So the correct statements are the first and the
    # third."
    # ("The first, third and fourth — France, …", not "— no, only the first")
    r"|(?=\s*[.!;。](?:\s|$)|\s*$|\s+[—–]\s(?![^.;\n]*\b(?:no|not|neither|wrong|tempting|only"
    r"|wait|rather)\b)))"
    r"|(?P<zh>第[一二三四五六](?:\s*[、,和与及]\s*第?[一二三四五六])+)个?(?:选项|项)"
    # "选项1、3、5", "Option 2, Option 3 and Option 5": numbered options, several
    r"|选项\s*(?P<zhd>[1-6](?:\s*[、,和与及]\s*[1-6])+)(?!\d|\.\d)"
    r"|\b(?P<end>(?:option|choice)\s+[1-6](?:\s*,\s*(?:and\s+)?(?:option|choice)\s+[1-6])*,?"
    r"\s+and\s+(?:option|choice)\s+[1-6])(?!\d|\.\d)",
    re.IGNORECASE,
)


_LATEX_WRAP = lazy(r"\\(?:text|textbf|mathrm|mathbf|emph|underline)\s*\{([^{}]*)\}")
# LaTeX commands written as the symbols option texts use: "$f = c/\lambda$" names "f = c/λ",
# "$6.02\times10^{23}$" names "6.02×10^23".
_TEX_NAMES = (
    "times cdot div pm le leq ge geq neq ne approx infty to rightarrow circ degree sqrt"
    " alpha beta gamma delta epsilon theta lambda mu nu pi rho sigma tau phi omega Delta Omega Sigma"
)
_TEX_SYMBOLS = {
    **dict(zip(_TEX_NAMES.split(), "×·÷±≤≤≥≥≠≠≈∞→→°°√αβγδεθλμνπρστφωΔΩΣ", strict=True)),
    "left": "",
    "right": "",
    "quad": " ",
    "qquad": " ",
}
# LaTeX spacing between letters ("\boxed{B,\ D}", "A,\,C"): a space, so letter lists stay whole.
_TEX_SPACE = lazy(r"(?<!\\)\\[ ,;:!]")
_TEX_COMMAND = lazy(r"\\([A-Za-z]+)(?![A-Za-z])\s?")
# "\frac{1}{2}", and the shorthand with single digits: "\frac12", "\tfrac{3}4", "\dfrac1{x}".
_TEX_FRAC = lazy(r"\\[dt]?frac\s*(?:\{([^{}]*)\}|(\d))\s*(?:\{([^{}]*)\}|([0-9A-Za-z]))")
_TEX_GROUP = lazy(r"([\^_])\{([^{}]*)\}")


def _tex_fraction(m: re.Match[str]) -> str:
    """A ``_TEX_FRAC`` match as "numerator/denominator"."""
    top = m.group(1) if m.group(1) is not None else m.group(2)
    bottom = m.group(3) if m.group(3) is not None else m.group(4)
    return f"{top}/{bottom}"


def _plain_math(text: str) -> str:
    """Rewrite the LaTeX around an option's text (fractions, powers, symbols) as plain text.

    ``\\boxed`` and unknown commands stay, so the letter rules still see them."""
    if "\\" not in text and "^{" not in text and "_{" not in text:
        return text
    text = _TEX_SPACE.sub(" ", _TEX_FRAC.sub(_tex_fraction, text))
    text = _TEX_GROUP.sub(lambda m: ("^" if m.group(1) == "^" else "") + m.group(2), text)
    return _TEX_COMMAND.sub(lambda m: _TEX_SYMBOLS.get(m.group(1), m.group()), text)


def _ordinals_as_letters(text: str, n_choices: int) -> str:
    """Write "the third option" / "第三个选项" as "option C" / "选项C", so the letter rules
    (markers, negations, verdicts) read them like any other letter."""

    def letter(m: re.Match[str]) -> str:
        from_end = m.group("zh_end") or m.group("en_end") or ("second" if m.group("penult")
                                                               else None)
        zh = (m.group("zh") or m.group("zh2") or m.group("zh3") or m.group("zh_last")
              or m.group("zh_end"))
        word = (m.group("en") or m.group("en_digit") or zh or "last").lower()
        if from_end:
            index = n_choices + 1 - _ORDINALS[from_end.lower()]
        else:
            index = n_choices if word in ("last", "最后") else _ORDINALS[word]
        if not 1 <= index <= n_choices:
            return m.group()
        if m.group("zh3"):
            return chr(64 + index)  # "第一个。" stands where a letter would: "A。"
        return f"选项{chr(64 + index)}" if zh else f"option {chr(64 + index)}"

    def letters(m: re.Match[str]) -> str:
        words = re.findall(rf"{_EN_ORDINAL}|[一二三四五六1-6]",
                           m.group("en") or m.group("zh") or m.group("zhd") or m.group("end"),
                           re.IGNORECASE)
        indexes = [n_choices if w.lower() == "last" else _ORDINALS[w.lower()] for w in words]
        if not all(1 <= i <= n_choices for i in indexes):
            return m.group()
        named = [chr(64 + i) for i in indexes]
        if m.group("en") or m.group("end"):
            return "options " + ", ".join(named[:-1]) + " and " + named[-1]
        return "选项" + "、".join(named)

    return _ORDINAL_OPTION.sub(letter, _ORDINAL_LIST.sub(letters, text))


# Letters as a speech recogniser writes them ("the answer is see", "ay, see and ee", "答案是西",
# "选必"): names and homophones of A–F.
_SPOKEN_NAMES = {
    "ay": "A", "eh": "A", "bee": "B", "be": "B", "see": "C", "sea": "C", "cee": "C",
    "dee": "D", "ee": "E", "ef": "F", "eff": "F",
    "诶": "A", "欸": "A", "必": "B", "比": "B", "逼": "B", "币": "B", "西": "C", "希": "C",
    "滴": "D", "迪": "D", "衣": "E", "伊": "E",
}
_SPOKEN_NAME = "(?:" + "|".join(sorted(_SPOKEN_NAMES, key=len, reverse=True)) + ")"
_SPOKEN_RUN = lazy(
    rf"(?<![A-Za-z])(?P<names>{_SPOKEN_NAME}(?:[ \t]*(?:,|、|和|&|\band\b)[ \t]*(?:and[ \t]+)?"
    rf"{_SPOKEN_NAME})*)(?![A-Za-z])[ \t]*[,.，。:：、;-][ \t]*"
    r"(?:(?:that's|that\s+is|i\.e\.|namely|即|也就是|就是)[ \t,:：]*)?",
    re.IGNORECASE,
)
_SPOKEN_SPLIT = lazy(rf"(?<![A-Za-z]){_SPOKEN_NAME}(?![A-Za-z])", re.IGNORECASE)
_SHORT_REPLY = 600  # a spoken reply is short; longer text is not searched for spelled letters


def _spoken_letters(text: str, n_choices: int, choices: Sequence[str]) -> str:
    """Write letters spelled as a speech recogniser does as letters, where the reply confirms
    them at once with their options' texts in the same order ("the answer is see. carbon
    dioxide" → "… C. carbon dioxide", "答案是西，俄罗斯" → "答案是C，俄罗斯"). Without that
    confirmation a "see" or a "西" is an ordinary word."""
    if len(text) > _SHORT_REPLY:
        return text
    for m in _SPOKEN_RUN.finditer(text):
        letters = [_SPOKEN_NAMES[w.lower()] for w in _SPOKEN_SPLIT.findall(m.group("names"))]
        indexes = [ord(x) - 65 for x in letters]
        if max(indexes) >= n_choices:
            continue
        stop = _SENTENCE_END.search(text, m.end())
        following = text[m.end() : stop.start() if stop else len(text)]
        if len(letters) == 1:  # "西，俄罗斯，…，加拿大第二": one letter, one clause
            following = _CLAUSE_BREAK.split(following, maxsplit=1)[0]
        if (_leads_with_option(following, choices)
                and _all_options_in(following, choices) == sorted(indexes)):
            return text[: m.start()] + ", ".join(letters) + text[m.end("names") :]
    return text


# A new question the model goes on to invent, as in a few-shot prompt: a heading ("Question 2:",
# "题目2：", "Q:") on its own line with option lines ("A. …", "B) …") below it.
_QUESTION_HEADING = lazy(
    r"^[ \t>*#]*(?:question|problem|q|问题|题目)[ \t]*\d*[ \t*]*[:：]", re.IGNORECASE | re.MULTILINE
)
# A numbered question of an exam sheet: "2. 中国共产党第一次全国代表大会召开的时间是（  ）",
# "3) Which gas …?".
_NUMBERED_QUESTION = lazy(
    r"^[ \t>*#]*\d{1,3}[.)、．][ \t]*[^\n]*(?:[?？]|[(（][ \t\u3000]*[)）])[ \t*]*$", re.MULTILINE
)
_OPTION_LABEL_LINE = lazy(r"^[ \t*]*[(\[]?([A-Z])[.)\]、:][ \t]*\S", re.MULTILINE)
# Options set out on one line: "A. 1919年  B. 1921年  C. 1927年".
_OPTION_LABEL_INLINE = lazy(
    r"(?:^[ \t\u3000]*|[ \t]{2,}|\t|\u3000)[(\[]?([A-Z])[.)\]、．][ \t]*\S", re.MULTILINE
)
# The answer line of an invented exercise: "Answer: $5.00", "答案：3 s".
_ANSWER_LINE = lazy(r"^[ \t>*#]*(?:answer|ans|答案|答)[ \t*]*[:：]", re.IGNORECASE | re.MULTILINE)


# A follow-up section after the answer: a practice question ("【举一反三】", "【变式训练】",
# "Try this one:", "Your turn:") or a variant of this one ("【拓展】若题干改为…则应选C",
# "Extension: if the stem asked for …"). Its letters answer another question. A tutor's
# "Quick check:" may also verify this answer, so an English heading counts only when the
# section asks something ("?").
_FOLLOW_UP = lazy(
    r"(?:^|(?<=[.!?。！？]))[ \t>*#\u2600-\u27bf\ufe0f\U0001f300-\U0001faff]*(?:"
    r"【(?:举一反三|拓展|延伸|变式|练一练|试一试|巩固|跟踪|即时|课后|同类|类题|对比|迁移|随堂)"
    r"[^】\n]{0,6}】"
    r"|(?P<en>(?:quick\s+check|check\s+yourself|try\s+(?:this|it|one)(?:\s+one)?|your\s+turn"
    r"|practice(?:\s+(?:question|problem))?|follow[- ]up(?:\s+questions?)?|bonus(?:\s+question)?"
    r"|(?:related|similar)\s+questions?(?:\s+you\s+(?:might|may)\s+(?:also\s+)?see)?"
    # a small model going on with its few-shot prompt: "## Instruction 2 (more difficult):"
    r"|instruction(?=\s+\d)"
    r"|challenge|extension|now\s+try|next\s+question)(?:\s+\d{1,2})?(?:\s*\([^()\n]{1,30}\))?"
    r"[ \t*]*[:：!])"
    r"|(?:下一题|下一道题|再来一题|再来一道|(?:相关|巩固|课后|同类|类似|拓展|延伸)?(?:练习|习题)(?:题|推荐)?"
    r"|同类题|类似题|变式题|相似题|(?:你可以)?再?练习一下)"
    r"[ \t*]*[:：]"
    # a heading alone on its line: "📚 同类题练习", "## 举一反三"
    r"|(?:同类题|类似题|举一反三|变式训练|巩固练习|课后练习)(?:练习|训练)?[ \t*]*$)",
    re.IGNORECASE | re.MULTILINE,
)


def _invented_question(text: str) -> int | None:
    """Where a question the model invented after its answer starts, if it does.

    A model continuing a few-shot pattern answers, then writes the next question with options
    and answers that one too; only what comes before the invented question answers this one.
    A tutor's follow-up section (a practice question, a variant of the question) is one too.
    """
    for f in _FOLLOW_UP.finditer(text):
        if not text[: f.start()].strip():
            continue
        if f.group("en") and not re.search(r"[?？]", text[f.end() : f.end() + 300]):
            continue  # "Quick check: 0.417 > 0.4" verifies this answer
        return f.start()
    headings = sorted([*_QUESTION_HEADING.finditer(text), *_NUMBERED_QUESTION.finditer(text)],
                      key=lambda h: h.start())
    for m in headings:
        if not _FENCE_OPENING.sub("", text[: m.start()]).strip():
            continue  # the question restated before the answer (perhaps in a "```yaml" block)
        following = "\n".join(text[m.end() :].split("\n", 9)[:9])
        # Options A and B both (a Q/A dialogue, "Q: …\nA: …", has no B), or the exercise's
        # own answer line ("Question 2: If 8 apples cost $2.00, …\nAnswer: $5.00").
        labels = {*_OPTION_LABEL_LINE.findall(following),
                  *_OPTION_LABEL_INLINE.findall(following)}
        if {"A", "B"} <= labels or _ANSWER_LINE.search(following):
            return m.start()
    return None


_FENCE_OPENING = lazy(r"```[A-Za-z]*")
# A search assistant's apparatus: a section that lists its sources ("Sources:", "References",
# "**参考资料**", "资料来源：", "### Further reading") with the lines of its list, wherever it
# stands (some put it first, above the summary); the footnote lines that define citations
# ("[1] Britannica, 2020", "[^2]: Khan Academy", "【3】百度百科"); and the citation marks in the
# text ("… option B [1].", "…苏轼【2】"). They name titles, authors and years that are no
# answer, and a mark after a letter hides that the letter ends its sentence.
_SOURCES_SECTION = lazy(
    r"^[ \t>#*_-]*(?:sources?|references?|citations?|further\s+reading|works\s+cited"
    r"|参考资料|参考文献|参考来源|资料来源|信息来源|来源|引用|出处)[ \t*_]*"
    # A label alone, or one that a list of sources follows: "Sources: [1] NOAA", "来源：1. …".
    r"(?:[:：][ \t]*(?:[\[【(\d*-]|https?:)[^\n]*|[:：])?[ \t]*$"
    r"(?:\n[ \t]*$)*(?:\n[ \t]*\S[^\n]*)*",  # its list: the lines up to the next blank line
    re.IGNORECASE | re.MULTILINE,
)
# A note's mark: "[1]", "[^2]", "[注1]", "【3】" (the number rules read the same marks).
_NOTE_MARK = r"\[(?:\^|注|note\s?)?\d{1,3}\]|【注?\d{1,3}】"
_FOOTNOTE_LINE = lazy(rf"^[ \t]*(?:{_NOTE_MARK}):?[ \t]+.*$\n?", re.MULTILINE | re.IGNORECASE)
_CITATION_MARKS = lazy(r"[ \t]*(?:\[(?:\^|注|note\s?)?\d{1,3}(?:\s*[,，–-]\s*\d{1,3})*\]|【注?\d{1,3}】)+",
                       re.IGNORECASE)


def _without_sources(text: str) -> str:
    """The reply without its sources section, footnote lines and citation marks. A reply that
    is only sources (the answer stayed in a think block) is left empty: it answers nothing."""
    text = _SOURCES_SECTION.sub("", text)
    if "[" not in text and "【" not in text:
        return text  # the common case: nothing cited
    return _CITATION_MARKS.sub("", _FOOTNOTE_LINE.sub("", text))


# A question that asks for the exception: "Which is NOT …", "all of the following EXCEPT",
# "不属于…的是", "说法错误的是". Upper-case NOT/EXCEPT is the exam convention; lower-case
# negations count in the question's own stem only (options are cut off first).
_EXCEPTION_ASKED = lazy(
    r"\b(?:NOT|EXCEPT|LEAST)\b"
    r"|(?i:\b(?:is|are|does|do|would|could|can|was|were)\s+not\b|\b(?:isn't|aren't|doesn't"
    r"|don't|cannot|can't|wasn't)\b|\bexcept\b|\bincorrect\b|\bfalse\b)"
    r"|不正确|错误|不属于|不是|不符合|不能|不包括|不可能|不对|不恰当|不合理|有误|无关"
)
_FIRST_OPTION = lazy(r"\n[ \t]*[(\[（]?A[.)\]、:：．）]")
# A concluding sentence that says the letters are not what the question's stem names: "So
# Option D is NOT a function of the liver", "So the ones that are NOT fruits: B and D",
# "所以D项不属于…". A judgement ("is not correct", "不正确") still rejects.
_EXCEPTION_RESTATED = lazy(
    r"(?:\b(?:so|thus|therefore|hence)\s*,?\s+|所以|因此|故|综上)"
    r"(?:(?:option|choice)s?\s+|选项\s*)?[(\[*]*(?P<l>(?-i:[A-Z])(?:\s*(?:,|、|and|和|与)\s*(?-i:[A-Z]))*)"
    r"[)\]*]*\s*(?:项)?\s*(?:(?:is|are)\s+not\b|isn't\b|aren't\b|不是|不属于|并非|不能|不符合)"
    r"(?!\s*(?:the\s+)?(?:correct|right|true|valid|answer|best|an?\s+(?:correct|right|valid))\b"
    r"|(?:正确|对|答案))"
    r"|(?:\b(?:so|thus|therefore|hence)\s*,?\s+|所以|因此|故|综上)[^.:;。；\n]{0,40}?"
    r"(?:\bnot\b|n't\b|不是|不属于|并非|不能|不符合)[^.:;。；\n]{0,40}?"
    r"(?:\s(?:is|are)\s+|:\s*|的是|有)"
    r"(?=[(\[*]*(?-i:[A-Z])[)\]*]*(?:\s*(?:,|、|and|和|与)\s*(?:and\s+)?[(\[*]*(?-i:[A-Z])[)\]*]*)*"
    r"\s*(?:[.。!]|\n|$))"
    # the one that does not fit, named so: "so C is the odd one out", "the odd one out is C"
    r"|(?<![A-Za-z])(?:(?:option|choice)\s+)?[(\[*]*(?P<odd>(?-i:[A-Z]))[)\]*]*\s+(?:is|would\s+be)"
    r"\s+the\s+odd\s+one\s+out\b|\bthe\s+odd\s+one\s+out\s+(?:is|would\s+be)\s+"
    r"(?=(?:(?:option|choice)\s+)?[(\[*]*(?-i:[A-Z])[)\]*]*\s*(?:[.。!,]|\n|$))",
    re.IGNORECASE,
)


def _asks_for_exception(question: str | None) -> bool:
    """Whether the question's stem (before its options) asks which option does not fit."""
    if not question:
        return False
    first = _FIRST_OPTION.search(question)
    return _EXCEPTION_ASKED.search(question[: first.start()] if first else question) is not None


def _exception_restated(text: str, n_choices: int, multi: bool) -> tuple[str, ...] | None:
    """The letters of the last concluding sentence that restates the negated question."""
    found: tuple[str, ...] | None = None
    for m in _EXCEPTION_RESTATED.finditer(text):
        if m.group("l") or m.group("odd"):
            letters = tuple(sorted(set(re.findall(r"[A-Z]", m.group("l") or m.group("odd")))))
        else:
            read = _read_letters(text, m.end(), multi)
            letters = read.letters if read is not None else ()
        if letters and _valid(letters, n_choices) and (multi or len(letters) == 1):
            found = letters
    return found


# A clause that opens with a letter list and says something of it: "A and C increase
# duration; B, D and E decrease it", "A、C和D是节气；端午是传统节日".
_LETTERS_LEAD = lazy(
    r"(?:^|(?<=[.。!?！？;；\n]))[ \t*>#-]*"
    r"(?:(?:so|thus|hence|therefore|所以|因此|综上)\s*[,，]?\s*)?"
    r"(?:(?:only|both|options?|choices?|选项)\s*)?"
    r"[(\[*]*(?P<l>(?-i:[A-Z])(?:[)\]*]*\s*(?:,\s*and|,|、|/|&|and|和|与|及|以及)\s*[(\[*]*"
    r"(?-i:[A-Z]))*|(?-i:[A-Z]{2,6}))(?![A-Za-z0-9])[)\]*]*(?:\s*(?:选项|项|两项|三项|四项))?"
    r"(?P<rest>[^.。!?！？;；,，\n]{1,80})"
)
_ZH_COPULA_LEAD = lazy(r"^\s*(?:都|均|全|皆)?(?:是|为)")  # "是节气": the copula is no term
_NEGATIVE = lazy(r"\b(?:not|no|never|neither|nor)\b|n't\b|不|没|非|无", re.IGNORECASE)


def _predicate_restated(text: str, question: str | None, n_choices: int,
                        multi: bool) -> tuple[str, ...] | None:
    """The letters of a clause that opens with them and says of them what the question asks.

    "Which of these would increase the duration?" → "A and C increase duration; B, D and E
    decrease it." A clause whose words (besides the letters) are the question's own words,
    at least two of them or all of them ("A、C和D是节气" for "下列属于节气的是"), restates
    the asked property of those letters; a negated one, or two such clauses naming different
    letters, does not answer."""
    if not question:
        return None
    asked = frozenset(map(_stem, _subject_terms(_prepare(question))))
    found: set[tuple[str, ...]] = set()
    for m in _LETTERS_LEAD.finditer(text):
        letters = tuple(sorted(set(re.findall(r"[A-Z]", m.group("l")))))
        rest = m.group("rest")
        if (len(letters) < 2 or not multi or not _valid(letters, n_choices)
                or _NEGATIVE.search(rest) or _NEGATED.match(rest) or _MAYBE.search(rest)):
            continue
        said = frozenset(map(_stem, _subject_terms(_ZH_COPULA_LEAD.sub("", rest))))
        said -= frozenset(map(_stem, _DEGREE))
        common = said & asked
        if common and (len(common) >= 2 or common == said):
            found.add(letters)
    return found.pop() if len(found) == 1 else None


# Words of degree that say nothing of the property: "A, B and D are always true".
_DEGREE = frozenset({"always", "all", "both", "definitely", "certainly", "indeed", "actually",
                     "also", "一定"})
_OPTION_HYPHEN = lazy(r"(?<=option)[-_](?=[A-Za-z](?![A-Za-z0-9]))|(?<=选项)[-_]", re.IGNORECASE)
# A reply that opens with a lower-case label and a dash or colon: "(b) — under the mirror
# image rule …". (Not "(a) First, …": an enumeration of the reply's own points.)
_LOWER_LABEL_FIRST = lazy(r"\A\s*[(\[]?[a-z][)\]](?=[ \t]*(?:[—–:：]|-[ \t]))"
                          # or a list of them: "a, c and d — the bell one is classical"
                          r"|\A\s*[a-f](?:\s*(?:,\s*and|,|and|&)\s*[a-f])+(?=[ \t]*(?:[—–:：]|-[ \t]))")


# Endings that leave the answer open without declining in so many words: "无法唯一确定答案",
# "两个选项…都可能被判为正确", "So I'd narrow it down to A or C".
_OPEN_ENDING = lazy(
    r"(?:无法|不能|没法|没办法|难以)(?:唯一|准确|具体|完全)?确定"
    r"|(?:都|均)(?:有)?可能(?:被判为|被认为)?(?:是)?(?:正确|对)"
    r"|\bnarrow(?:ed)?\s+it\s+down\s+to\s+(?:options?\s+)?[A-Z]\s+(?:or|and)\s+[A-Z]\b"
    # "我不太确定出题人依据的是哪部法律", "I don't want to guess — both ABD and ABDE are defensible"
    r"|(?<!能)(?<!可以)不(?:太|是很|敢)?确定|\b(?:don't|do\s+not)\s+want\s+to\s+guess\b"
    r"|\bboth\s+[A-Z]{1,6}\s+and\s+[A-Z]{1,6}\s+(?:are|seem)\s+(?:\w+\s+)?"
    r"(?:defensible|possible|plausible|reasonable|valid)",
    re.IGNORECASE,
)
_FULL_STOP = lazy(r"[。!?！？\n]|\.(?!\d)")  # (a ";" parts the alternatives, it ends nothing)
_IF_CLAUSE = lazy(r"\bif\b|如果|假如|若是", re.IGNORECASE)
_IF_LINE = lazy(r"[\s*>-]*(?:if\b|如果|假如|若是)", re.IGNORECASE)
# A close that says the answer itself cannot be settled (not a sign-off: "如果不确定，欢迎…").
_CLOSE_UNDECIDED = lazy(r"无法确定(?:答案|选哪|哪个)|\b(?:cannot|can't|can\s+not)\s+(?:determine|tell)"
                        r"\s+(?:the\s+answer|which\s+(?:option|one|is))", re.IGNORECASE)
_ASKS_USER = lazy(
    r"[?？]\s*$|建议(?:你|您)?(?:核对|对照|确认|查阅|参考)|(?:请|你可以|您可以)(?:你|您)?(?:核对|确认|对一下)"
    r"|\b(?:if\s+you\s+(?:let\s+me\s+know|tell\s+me)|could\s+you\s+(?:check|tell|confirm))\b",
    re.IGNORECASE,
)


def _undecided_close(answer: str, marker: int, chosen: Sequence[str], n_choices: int) -> bool:
    """Whether the last paragraph leaves the choice open between letters after all: with the
    marker's it names two or more, and declines to pick, after the marker ("两种口径下答案不一样
    （A 或 B），我没法替你确定…"), or around conditional ones and asking the user back
    ("I can't say definitively which … If it follows X, it would be B; if Y, it would be C.
    Could you tell me which textbook you use?")."""
    body = answer.rstrip()
    start = body.rfind("\n\n") + 1
    tail = body[start:]
    if start > marker and _WARNING.match(tail.lstrip("\n")):
        return False  # "【易错点】C项…（…无法确定乘积）": a note on a trap, after the answer
    # (an option's own words quoted, 'D项“无法确定”错误', leave nothing open)
    decline = _DECLINES.search(tail) or _OPEN_ENDING.search(_QUOTED.sub(" ", tail))
    # "…if your course emphasizes monetarism, go with A; if it follows Mankiw, C is more
    # likely": the marker's own sentence offers letters under alternative conditions.
    end = _FULL_STOP.search(body, marker)
    sentence = body[max(body.rfind(c, 0, marker) for c in ".。!?！？\n") + 1 :
                    end.start() if end else len(body)]
    alternatives = marker >= start and len(_IF_CLAUSE.findall(sentence)) >= 2
    if decline is None and not alternatives:
        return False
    opened = max(body.rfind(c, 0, marker) for c in "\n。.;；!?！？") + 1
    if (start > marker and _IF_LINE.match(body, opened) is not None
            and _CLOSE_UNDECIDED.search(tail) is not None):
        # "如果按 a ⊕ b = 2a − b，则 …，选 A；\n如果是 …\n\n…缺少运算规则，无法确定答案。": a
        # letter offered in a supposition, then the close says the answer cannot be settled
        return True
    # the letters left open: in the last paragraph, or the one before it ("如果…则选D；…A、B、
    # C只能有一个成立。\n\n由于题干信息不完整，我无法确定出题人的意图")
    before = body[body.rfind("\n\n", 0, max(start - 1, 0)) + 1 : start]
    letters = {x for x in _ISOLATED_CAPITAL.findall(tail) if ord(x) - 65 < n_choices}
    if len(letters | set(chosen)) < 2:
        letters |= {x for x in _ISOLATED_CAPITAL.findall(before) if ord(x) - 65 < n_choices}
    if len(letters | set(chosen)) < 2:
        return False
    return alternatives or (decline is not None and (
        start + decline.start() > marker
        or (marker >= start and _ASKS_USER.search(tail) is not None)))


_ISOLATED_CAPITAL = lazy(r"(?<![A-Za-z0-9])([A-Z])(?![A-Za-z0-9])")


def extract_choice(
    text: str,
    n_choices: int,
    choices: Sequence[str] | None = None,
    *,
    multi: bool = False,
    finish_reason: str | None = None,
    question: str | None = None,
) -> Extraction:
    """Read the chosen option letter(s) from a multiple-choice response.

    The rules go from the most explicit evidence to the least (see the module docstring), and
    a letter is only ever read where it stands alone: in "Let's think" there is no "L", and
    in "A patient with ..." there is no "A". Among answer markers the last one wins, because
    models correct themselves ("答案：B，不是C", "The answer is A. Wait ... the answer is C").

    Args:
        text: The response. A ``<think>`` block is removed first; only the answer is read.
        n_choices: Number of options; letters beyond it are not valid answers.
        choices: Option texts in letter order, used when the model answers with the text.
        multi: True for questions with several correct options; the value is then the sorted
            letters ("AC").
        finish_reason: The server's finish reason; ``"length"`` means the response was cut
            off, and then only a completed answer marker counts.
        question: The question (or the whole prompt), when known. A question that asks for
            the exception ("Which is NOT …", "不属于…的是") lets "So D is not a function of
            the liver" answer it: the reply restates the question's negated predicate.

    Returns:
        The extraction. Its ``value`` is the sorted letters, or None when no answer was found.
    """
    if not 1 <= n_choices <= 26:
        raise ValueError(f"n_choices must be between 1 and 26, got {n_choices}")
    truncated = finish_reason == "length"
    _, answer = strip_reasoning(_prepare(text))
    answer = _without_sources(answer)
    # "Option-B" is "Option B", "选项-B" is "选项B"
    answer = _OPTION_HYPHEN.sub(lambda m: "" if m.string[m.start() - 1] == "项" else " ", answer)
    answer = _LOWER_LABEL_FIRST.sub(
        lambda m: re.sub(r"(?<![a-z])[a-f](?![a-z])", lambda x: x.group().upper(), m.group()),
        answer, count=1)
    if "option" in answer or "选项" in answer or "choice" in answer:
        answer = _LETTER_RANGE.sub(_letters_in_range, answer)
    if choices:
        choices = [_plain_math(_prepare(c)) for c in choices]  # the answer's spelling ("x²")
    answer = _ordinals_as_letters(_plain_math(_LATEX_WRAP.sub(r"\1", answer)), n_choices)
    if choices:
        answer = _spoken_letters(answer, n_choices, choices)
    cut_off = truncated  # the reply's own answer part was still going at the token limit
    invented = _invented_question(answer)
    if invented is not None:
        # A limit reached inside the invented question did not cut this question's answer.
        answer, cut_off = answer[:invented], False

    def found(letters: Sequence[str], method: str) -> Extraction:
        return Extraction("ok", "".join(sorted(letters)), method, truncated=truncated)

    def nothing(method: str = "none") -> Extraction:
        if truncated:
            return Extraction("truncated", None, method, truncated=True)
        return Extraction("no-answer", None, method)

    if not answer:
        return nothing("empty-answer")

    last = _last_marker_candidate(answer, n_choices, choices, multi, cut_off)
    if last is not None and cut_off and last.reason == "pointer":
        # "…= 3, which is option (A) — a trap", "That is option C." in a reply cut off while
        # still working: a pointer labels a value on the way, not the answer.
        last = None
    if last is not None:
        if not last.letters:
            return nothing("ambiguous" if "hedged" in last.reason else "invalid-letter")
        if _LETTERS_HEDGED.search(answer, last.pos):
            # "应选B；…应选C。所以B和C都可能是答案": the reply ends between letters.
            return nothing("ambiguous")
        if _undecided_close(answer, last.pos, last.letters, n_choices):
            return nothing("declined")
        if cut_off and (stop := _FULL_STOP.search(answer, last.pos)) is not None and (
                _WITHDRAWN.match(answer, _skip(_SPACE_LEAD, answer, stop.end()))):
            # "I'd go with C.\n\nHmm, no — Pluto was reclassified …" cut off: the reply took
            # its letter back and was cut before it gave another.
            return nothing("withdrawn")
        # The refusal may also open the marker's own sentence: "抱歉，我不能协助选择…".
        opened = max(answer.rfind(c, 0, last.pos) for c in "。.!?！？\n") + 1
        if ((last.method == "marker-text" or last.reason == "pointer")
                and (_DECLINES.search(answer, opened) or _lacks_and_asks(answer, cases=True))):
            # "…, it's the Sahara. Without knowing your definition I can't tell you which":
            # an option named in passing, then declined; the last word is the refusal. So is
            # a case's value labelled "which is (C)" before "I can't say which is intended".
            return nothing("declined")
        return found(last.letters, last.method)
    if cut_off:
        # Anything below markers is too weak to trust in a response that was still going,
        # except an answer given on its own first line before the explanation was cut off.
        # (or its own first sentence: "C。红绿色盲是伴X染色体隐性遗传病，…" cut off later)
        first = _first_line_letters(answer, n_choices, multi)
        if not first and not _first_taken_back(answer):
            first = _first_sentence_letters(answer, n_choices, multi)
        if first:
            return found(first, "answer-first")
        stated = _opening_statement(answer, choices) if choices and not multi else None
        if stated is not None and stated < n_choices and not _first_taken_back(answer):
            # (not one taken back: "A router operates at Layer 2, … — hmm, no, that
            # describes a switch. A router makes its decisions based on" cut off)
            return found((chr(65 + stated),), "answer-first")
        return nothing()

    if _asks_for_exception(question):
        restated = _exception_restated(answer, n_choices, multi)
        if restated:
            return found(restated, "exception-restated")
    listed = _opening_list(answer, n_choices, choices) if multi and choices else None
    if listed:
        return found(listed, "bare-letter")
    lone = _lone_letter_lines(answer, n_choices, multi)
    if lone:
        return found(lone, "bare-letter")
    restated = _predicate_restated(answer, question, n_choices, multi)
    if restated:
        return found(restated, "restated")
    closing = (_last_sentence_letters(answer, n_choices, multi)
               or _closing_colon_letters(answer, n_choices, multi, choices, question))
    if closing:
        return found(closing, "bare-letter")
    opening = (_first_sentence_letters(answer, n_choices, multi)
               or _opening_letters(answer, n_choices, multi))
    if opening:
        return found(opening, "bare-letter")
    marked = _marked_option_lines(answer, n_choices, multi, choices,
                                  ticks=not _asks_for_exception(question))
    if marked:
        ending = " ".join(_sentences(answer)[-2:])
        if _DECLINES.search(ending) or _LETTERS_HEDGED.search(ending):
            # A review that ends undecided ("A、C 是奇函数…没有图像的话我没办法确定具体答案",
            # "so between A and C I can't tell which the setter wants") chose nothing.
            return nothing("declined")
        verdict = None if multi else _verdicts(answer, n_choices, multi)
        if verdict and verdict != marked:
            # "(B) fits best, since …\n\nNotes on the distractors:\n- **Azithromycin** is
            # reserved for …": a letter the reply calls right outweighs the one option its
            # notes happen to leave unfaulted.
            return found(verdict, "verdict")
        return found(marked, "elimination")
    if multi and (held := _letters_all_hold(answer, n_choices, question)):
        return found(held, "bare-letter")
    if multi and not _asks_for_exception(question):
        rest = _all_except(answer, n_choices, choices)
        if rest:
            return found(rest, "all-except")
    if (_DECLINES.search(answer) or _FIGURE_MISSING.search(answer)
            or (not multi and (last_sentence := _sentences(answer)[-1:])
                and _DECLINES_TO_CLOSE.search(last_sentence[0]))):
        # (a figure that never arrived is checked here, below the markers: "Since I can't
        # see the chart, I'll go by the text: … which is (B)" still answers)
        return nothing("declined")
    if _LETTERS_HEDGED.search(answer) or (not multi and (
            _BOTH_RIGHT.search(answer) or _BOTH_POSSIBLE_END.search(answer))):
        # "A和B都有一定道理": options named after it are not chosen; nor, when one answer
        # is asked, after two letters are both called right.
        return nothing("ambiguous")
    if not multi and choices:
        paired = _paired_opening(answer, n_choices, choices)
        if paired is not None:
            return found((paired,), "answer-first")
    if not multi:
        letter = _formatted_in_last_line(answer, n_choices)
        if letter:
            return found((letter,), "formatted")
    verdict = _verdicts(answer, n_choices, multi)
    if verdict:
        return found(verdict, "verdict")
    if choices and not multi and (paired := _first_paired(answer, n_choices, choices)):
        return found((paired,), "answer-first")
    if choices:
        tagged = _tagged_options(answer, n_choices, choices)
        if tagged and (multi or len(tagged) == 1):
            return found(tagged, "option-text")
    if choices and multi:
        copied = (_copied_option_lines(answer, n_choices, choices)
                  or _bulleted_options(answer, n_choices, choices, question)
                  or _labelled_texts(answer, n_choices, choices, question))
        if copied:
            return found(copied, "option-text")
        bold = _bold_options(answer, n_choices, choices)
        if bold:
            return found(bold, "option-text")
        listed = _options_listed(answer, n_choices, choices)
        if listed:
            return found(listed, "option-text")
    if choices and not multi:
        if _undecidable(answer, choices):
            return nothing("undetermined")
        idx = _asked_value(answer, choices[:n_choices], question)
        if idx is not None:
            return found((chr(65 + idx),), "option-value")
        idx = _option_text_answer(answer, choices, question)
        if idx is not None and idx < n_choices:
            return found((chr(65 + idx),), "option-text")
        idx = _option_value(answer, choices[:n_choices])
        if idx is not None:
            return found((chr(65 + idx),), "option-value")
        idx = _option_words(answer, choices[:n_choices])
        if idx is not None:
            return found((chr(65 + idx),), "option-words")
        idx = _option_number(answer, choices[:n_choices], question)
        if idx is not None:
            return found((chr(65 + idx),), "option-value")
        idx = _option_name(answer, choices[:n_choices], question)
        if idx is not None:
            return found((chr(65 + idx),), "option-words")
    return nothing()


def _unaccented(text: str) -> str:
    """``text`` without its accents: "Eugène Delacroix" as "Eugene Delacroix"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_NAME_WORD = lazy(r"[^\W\d_]{3,}")


def _name_words(option: str) -> frozenset[str] | None:
    """The words of an option that is a proper name of two to four capitalised words ("John
    Maynard Keynes", "Jean-Jacques Rousseau"), folded; None for any other option."""
    words = option.split()
    if not 2 <= len(words) <= 4 or not all(w[:1].isupper() and not any(c.isdigit() for c in w)
                                           for w in words):
        return None
    return _folded_words(option)


def _folded_words(text: str) -> frozenset[str]:
    """The words of three letters or more in ``text``, lower case and without accents."""
    return frozenset(_NAME_WORD.findall(_unaccented(text).lower()))


# A reply that opens with a name as its answer: "That's Keynes — …", "delacroix, 1830 — …",
# "It was **Marie Curie**.", "是 Keynes，…": an opener, up to four words, then a stop.
_NAME_OPENING = lazy(
    r"[\s*>#_]*(?:(?:that|it|this)(?:'s|\s+is|\s+was|\s+would\s+be)\s+|(?:the\s+)?answer"
    r"(?:\s+is|\s*:)\s*|是\s*)?[*_]*(?P<name>[^\W\d_][\w'.-]*(?:[ \t]+[^\W\d_][\w'.-]*){0,3}?)"
    r"[*_]*(?=\s*(?:[—–,.;:!(，。；：（]|-\s|$))",
    re.IGNORECASE,
)
_NAME_DOUBT = lazy(r"\b(?:not\s+sure|don't\s+know|unsure|myth|misattribut\w*|confused\s+with)\b",
                   re.IGNORECASE)
# The opening name's sentence turning against it: "Newton — no, that's the unit of force",
# "Smith — that's the usual first guess, but it's wrong."
_NAME_TURNED = lazy(r"\b(?:no|not|wrong|guess\w*|but|however|never)\b|n't", re.IGNORECASE)


def _name_forms(text: str) -> set[str]:
    """The folded words of ``text``, each also without a plural's or a possessive's "s"
    ("watts" names Watt, "Tycho's" names Tycho)."""
    words = set(_folded_words(text.lower().replace("'s", " ")))
    return words | {w[:-1] for w in words if w.endswith("s")}


def _option_name(answer: str, choices: Sequence[str], question: str | None) -> int | None:
    """For options that are proper names, the one a reply opens with as its answer: "That's
    Keynes — published in 1936, …" answers "John Maynard Keynes", "delacroix, 1830 — it
    commemorates the July Revolution" answers "Eugène Delacroix". Each word of the opening name
    must be that option's, one of them its own and not the question's; no word of another
    option may appear anywhere; and the reply must not wonder, doubt or decline ("Was it
    Keynes? I'm not sure."), nor its first sentence turn against the name ("Newton — no, …")."""
    names = [_name_words(c) for c in choices]
    if (len(names) < 2 or _MAYBE.search(answer) or _UNSETTLED.search(answer)
            or _NAME_DOUBT.search(answer)):
        return None
    own: list[frozenset[str]] = []
    for i, name in enumerate(names):
        if name is None:
            return None
        own.append(name - frozenset().union(*(n for j, n in enumerate(names) if j != i and n)))
    opening = _NAME_OPENING.match(answer)
    if opening is None:
        return None
    first = answer[opening.end() : _skip(_NOT_FULL_STOP, answer, opening.end()) + 1]
    if "?" in first or _NAME_TURNED.search(first):
        return None
    said = _folded_words(opening.group("name"))
    asked = _name_forms(question or "")
    hits = [i for i, o in enumerate(own) if o & said - asked]
    words = _name_forms(answer)
    if (len(hits) != 1 or not said <= (names[hits[0]] or frozenset())
            or any(o & words for i, o in enumerate(own) if i != hits[0])):
        return None
    return hits[0]


_NOT_FULL_STOP = lazy(r"[^.!?。！？\n]*")


# Doubt that opens the sentence after a first answer: "A。等等，我再想想", "B. Let me double-check."
_DOUBT = lazy(r"[\s*]*(?:再想想|让我再|我再|嗯|这个选项|该选项|this\s+option|let\s+me\s+(?:re|double|think)"
              r"|hmm|wait)", re.IGNORECASE)


def _first_taken_back(answer: str) -> bool:
    """Whether a reply's first sentence takes itself back ("… Layer 2 — hmm, no, that
    describes a switch"), or the next one opens with doubt ("A。等等，我再想想")."""
    stop = _FULL_STOP.search(answer)
    end = stop.end() if stop else len(answer)
    if _WITHDRAWN.search(answer, 0, end):
        return True
    start = _skip(_SPACE_LEAD, answer, end)
    return (_WITHDRAWN.match(answer, start) is not None
            or _DOUBT.match(answer, start) is not None)


# A span of option letters: "(options A–C) are all valid", "选项A至C".
_LETTER_RANGE = lazy(r"(?<![A-Za-z])(?P<w>options|choices|选项)\s*(?P<a>[A-Z])\s*(?:–|—|-|到|至)\s*"
                     r"(?P<b>[A-Z])(?![A-Za-z])")


def _letters_in_range(m: re.Match[str]) -> str:
    a, b = ord(m.group("a")), ord(m.group("b"))
    if not 0 < b - a < 8:
        return m.group()
    return m.group("w") + " " + ", ".join(chr(c) for c in range(a, b + 1))


_MIXED_WORD = lazy(r"[a-z]+[0-9][a-z0-9]*|[0-9]+[a-z][a-z0-9]*")


def _content_units(text: str) -> frozenset[str]:
    """What a text says, as units that survive rewording: the stemmed terms that name things
    (``_subject_terms``: English words, Chinese character pairs) and words of letters and
    digits ("b1", "h2o"). "Prescribe the contraception and maintain her confidentiality" and
    the option "Prescribe contraception and maintain her confidentiality" share every unit.
    Numbers are left out: values are compared as values (``_option_value``), and "43.33"
    must not share the unit "33" with "$40.33"."""
    folded = _fold(text, articles=True)
    return frozenset(map(_stem, _subject_terms(folded))) | frozenset(_MIXED_WORD.findall(folded))


def _own_units(choices: Sequence[str]) -> list[frozenset[str]]:
    """Each option's content units that no other option has (see ``_content_units``)."""
    units = [_content_units(c) for c in choices]
    return [u - frozenset().union(*(units[:i] + units[i + 1 :])) for i, u in enumerate(units)]


def _option_words(answer: str, choices: Sequence[str]) -> int | None:
    """The one option whose own words a stating sentence repeats, when no rule above read one.

    Replies often answer with the option reworded or cut short: "Thiamine (B1)." for "Vitamin
    B1 (thiamine)", "Prescribe the contraception and maintain her confidentiality." for
    "Prescribe contraception and …", "The large intestine mainly absorbs water and
    electrolytes" for "Absorbing water and electrolytes". Each option is reduced to the units
    no other option has (``_content_units``). The opening and the closing sentence are read;
    one that repeats none of any other option's own units, and two or more of one option's
    (or all of them), states that option. One word in common is not enough: "Great question
    about DNA replication!" does not choose "DNA polymerase".

    A sentence that rules options out ("…, which rules out the other statements") states
    nothing itself. A reply that hedges in either sentence, says it cannot answer, or says the
    same of several options in turn ("sydney is a big city. melbourne is a big city.") states
    nothing, and two sentences stating different options answer nothing. This is the weakest
    option rule (``WEAK_METHODS``): reports list what it read for audit."""
    own = _own_units(choices)
    sentences = _sentences(answer)
    if (sum(1 for o in own if o) < 2 or not sentences or _UNSETTLED.search(answer)
            or _parallel_mentions(sentences, choices)):
        return None
    frames: dict[frozenset[str], int] = {}
    for sentence in sentences[:60]:  # the same said of two options: a walk through them
        said = _content_units(sentence)
        hits = [i for i, o in enumerate(own) if o & said]
        if len(hits) == 1 and frames.setdefault(said - own[hits[0]], hits[0]) != hits[0]:
            return None
    greeting = _PLEASANTRY.fullmatch
    # The opening keeps its gloss in brackets ("Thiamine (B1)."): there it names the option.
    raw = [x.strip() for x in _SENTENCE_SPLIT.split(answer) if x and x.strip()]
    opening = next((x for x in raw if not greeting(x)), raw[0])
    if _CONCLUDING.match(sentences[-1]) and not _MAYBE.search(sentences[-1]):
        # "So: dispatch, not receipt.": a concluding sentence outweighs an opening that
        # named two options while explaining; what it sets against the answer is not said.
        said = _content_units(_NOT_THIS_CLAUSE.sub(" ", sentences[-1]))
        hits = [i for i, o in enumerate(own) if o & said]
        if len(hits) == 1 and not _REJECTS.search(sentences[-1]):
            return hits[0]
    stated: set[int] = set()
    for n, sentence in enumerate(dict.fromkeys((opening, sentences[-1]))):
        if _MAYBE.search(sentence):
            return None
        if (_REJECTS.search(sentence) or _NOT_THIS.search(sentence)
                or (n == 0 and _DELIBERATES.search(sentence))):
            continue  # ("…, which rules out the other statements." states nothing itself)
        said = _content_units(sentence)
        common = [len(o & said) for o in own]
        hits = [i for i, k in enumerate(common) if k]
        if len(hits) > 1:
            if n == 0:
                return None  # an opening that names several options compares them
            continue  # a closing contrast ("By contrast, niacin (B3) …") explains
        if hits and (common[hits[0]] >= 2 or common[hits[0]] == len(own[hits[0]])):
            stated.add(hits[0])
    return stated.pop() if len(stated) == 1 else None


# The clause a conclusion sets against its answer: ", not receipt", "，而不是B".
_NOT_THIS_CLAUSE = lazy(r"[,，;；—–]\s*(?:(?:and|but)\s+)?(?:not\b|rather\s+than\b|而?不是|而非)[^,，;；.。]*",
                        re.IGNORECASE)


# The result of a computation: "= 9", "≈ 0.25", "= $4$".
_COMPUTED = lazy(r"[=≈][\s$*]*(-?\d[\d,]*(?:\.\d+)?%?)")


def _option_values(choices: Sequence[str]) -> list[str] | None:
    """Each option's value, when every option is one value ("3", "9 J", "25%"); else None."""
    values: list[str] = []
    for c in choices:
        option = extract_number(c)
        if option.status != "ok" or option.value is None or len(_numbers_in(c)) != 1:
            return None
        values.append(option.value)
    return values


def _option_value(answer: str, choices: Sequence[str]) -> int | None:
    """For options that are all values ("3", "9 J", "25%"), the one the reply's last
    computation ends in: "$$E_3/E_1 = 3^2/1^2 = 9$$" answers "9" without naming it as text.
    A value merely mentioned (options echoed back, a figure for context) is not an answer, nor
    one computed in a closing note in brackets ("（若条件是平行，则 x=1/2。）", "(The x² term
    would be 60.)"): it answers another case."""
    results = _COMPUTED.findall("\n".join(_answer_lines(answer)))
    if not results:
        return None
    values = _option_values(choices)
    if values is None:
        return None
    hits = [i for i, v in enumerate(values) if numbers_equal(results[-1], v)]
    return hits[0] if len(hits) == 1 else None


_SHORT_STATEMENT = 160  # a reply that only states its value; longer ones work or discuss
_SETS_AGAINST = lazy(r"\b(?:not|no|or|if|but|unless|except)\b|不是|或|如果|若|而|但", re.IGNORECASE)


# What a question asks for, in the exam's form "…，则 xy =（  ）", "then a5 = ( )": the
# expression before its blank.
_BLANK_ASKED = lazy(r"([A-Za-z0-9+\-*/^()|. ]{1,24}?)\s*=\s*\(\s*\)\s*[.?]?\s*$")
_BLANK_STEM = lazy(r"([\u4e00-\u9fff]{3,6})\s*\(\s*\)\s*[.?]?\s*$")
# The rest of a statement's clause: up to a sentence's end or an aside in brackets (a decimal
# point and a thousands comma stay inside: "= 1,000.5").
_CLAUSE_REST = lazy(r"(?:[^\n,;:。!?！？(（.]|\.(?=\d)|,(?=\d{3}(?!\d)))*")
_LEADING_WORDS = lazy(r"^(?:[A-Za-z]{2,}\s+)+")
_TURNED = lazy(r"\b(?:but|however|wait|first|initially|or)\b|但|不过|等等|一开始|起初|或", re.IGNORECASE)
_DENIED_BEFORE = lazy(r"(?:不是|并非|不等于|而非|并不|not)\s*$", re.IGNORECASE)


def _line_at(text: str, pos: int) -> str:
    """The whole line of ``text`` that ``pos`` falls in."""
    end = text.find("\n", pos)
    return text[text.rfind("\n", 0, pos) + 1 : end if end >= 0 else None]


def _asked_value(answer: str, choices: Sequence[str], question: str | None) -> int | None:
    """For options that are all values, the one the reply gives for what the question asks:
    asked "则 xy =（  ）", "xy = … = −2" answers "−2", though "x = 1, y = −2" name other
    options on the way; asked "…相当于降价（  ）", "相当于降价百分之二十" answers "20%".
    Every such statement must give the same option: a check, another root, a first attempt
    or another case ("若公比为 3，则 a5 = 81") that gives another leaves it to other rules."""
    if not question or (values := _option_values(choices)) is None:
        return None
    question = _prepare(question)
    if (blank := _BLANK_ASKED.search(question)) is not None and re.search(r"[A-Za-z]",
                                                                         blank.group(1)):
        # ("then a5 = ( )": the words before the expression are not part of it)
        asked = _LEADING_WORDS.sub("", blank.group(1).strip(" .")) or blank.group(1)
        spaced = r"\s*".join(re.escape(ch) for ch in asked.replace(" ", ""))
        said = rf"(?<![\w√^/*·.]){spaced}\s*=(?!=)"  # (not "√x = 3" for x, nor "2x = 14")
    elif (stem := _BLANK_STEM.search(question)) is not None:
        # "打八折出售，相当于降价（  ）" → "…相当于降价百分之二十": the words before the blank
        said = re.escape(stem.group(1)) + r"(?:了|为|是|约)?\s*(?=[\d零〇一二两三四五六七八九十百千万亿-])"
    else:
        return None
    named: set[int] = set()
    for m in re.finditer(said, answer):
        line = _line_at(answer, m.start())
        if (_MISLED.search(line) or _other_case(line)
                or _DENIED_BEFORE.search(answer, max(0, m.start() - 4), m.start())):
            continue  # ("若误写成 a₄ = a₁q⁴ = 162，就会错选 C", "不是相当于降价80%": not its value)
        chain = _CLAUSE_REST.match(answer, m.end())
        if chain is None or _TURNED.search(
                answer, _sentence_start(answer, m.start()), chain.end()):
            return None  # ("x = 2 or x = −3", "I first got xy = 5, but rechecking: …")
        result = extract_number(chain.group().rsplit("=", 1)[-1])
        if result is None or result.status != "ok" or result.value is None:
            return None
        named.update(i for i, v in enumerate(values) if numbers_equal(result.value, v))
        if len(named) != 1:
            return None
    return named.pop() if named else None


# A head that is only a number: digits, or number words ("Fifteen", "Twenty-four", "十五"),
# perhaps with a short unit.
_NUMBER_HEAD = lazy(
    r"[\s*]*(?:[-+]?\d[\d,]*(?:\.\d+)?|(?:(?:one|two|three|four|five|six|seven|eight|nine|ten"
    r"|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty"
    r"|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|and|a)[\s-]*)+"
    r"|[零〇一二两三四五六七八九十百千万亿点]+)[\s*]*(?:%|[a-z]{1,3}|[\u4e00-\u9fff]{1,2})?[\s*]*",
    re.IGNORECASE,
)
# What must not start what follows the head: a hedge, a correction or a condition.
_HEAD_TURN = lazy(
    r"\b(?:no|not|wait|actually|but|or|maybe|about|roughly|around|if|scratch|sorry|mean|oops|per"
    r"|each|probably|perhaps)\b|不|或|约|大约|抱歉|算错|如果|每", re.IGNORECASE)


def _value_led(answer: str, choices: Sequence[str], question: str | None) -> int | None:
    """For options that are all values, the value a reply opens with before a dash, in words
    or digits: "Fifteen — eight forwards and seven backs." answers "15" though the reasons
    after the dash name other options' values."""
    parts = _HEAD_BREAK.split(answer.strip(), maxsplit=1)
    if (len(parts) < 2 or len(parts[0]) > 40 or not _NUMBER_HEAD.fullmatch(parts[0])
            or _HEAD_TURN.search(parts[0]) or _HEAD_TURN.search(parts[1][:40])
            or (values := _option_values(choices)) is None):
        return None
    stated = extract_number(parts[0], question=question)
    if stated.status != "ok" or stated.value is None:
        return None
    hits = [i for i, v in enumerate(values) if numbers_equal(stated.value, v)]
    return hits[0] if len(hits) == 1 else None


def _option_number(answer: str, choices: Sequence[str], question: str | None) -> int | None:
    """For options that are all values, the one equal to the number the reply states, read as
    the number rules read a number answer: "Two hundred and six." answers "206", "约为十四点一
    亿人" answers "14.1亿". Weakest of the value rules, so only for a short reply that does not
    echo the options' labels ("A. 0 °C. B. 50 °C. …") or waver, and nothing if two options
    share the value; or a longer one that opens with only its value before a dash."""
    if (led := _value_led(answer, choices, question)) is not None:
        return led
    if (len(answer) > _SHORT_STATEMENT or len(_LABEL_IN_LINE.findall(answer)) >= 2
            or _BRACKET_LABEL.search(answer) or _UNSETTLED.search(answer) or _MAYBE.search(answer)
            or _SETS_AGAINST.search(answer)):
        # (nor one that wavers, "有的编译器输出12，有的输出11，可能不同", or sets a value against
        # another: "Seven, not eight.", "Four, or five if you count the bonus round.")
        return None
    values = _option_values(choices)
    if values is None:
        return None
    stated = extract_number(answer, question=question)
    if stated.status != "ok" or stated.value is None:
        return None
    hits = [i for i, v in enumerate(values) if numbers_equal(stated.value, v)]
    # ("三乘四是十二，再加五得十七" with both 12 and 17 among the options names two)
    named = {i for n in _numbers_in(answer, lenient=True) for i, v in enumerate(values)
             if numbers_equal(_format(n.value), v)}
    return hits[0] if len(hits) == 1 and named <= set(hits) else None


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------

_ZH_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_ZH_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_CHARS = "".join(_ZH_DIGITS) + "十百千万亿"
_MAX_DIGITS = 40
_TOO_LARGE = 10**60  # beyond any quantity a task asks for, and still inside float range
# A numeral's character; 千 before a unit, after a numeral that is complete without it, is
# "kilo": "一百二十千米" is 120 km, not 120,000 米 ("三千米" stays 3000 米).
_ZH_CHAR = rf"(?:(?<![十百零万亿千])千|千(?![{_KILO_UNITS}])|[{_ZH_CHARS.replace('千', '')}])"
_ZH_NUMBER = lazy(
    rf"(?P<neg>负|零下)?(?:(?P<whole>{_ZH_CHAR}+)又)?"
    rf"(?:(?P<pct>百分之)|(?P<den>{_ZH_CHAR}+)分之)?"
    rf"(?P<int>{_ZH_CHAR}+)(?:点(?P<dec>[{''.join(_ZH_DIGITS)}]+)(?P<scale>万亿|亿|万)?)?(?P<half>个半)?"
)


def _zh_section(s: str) -> int | None:
    """Value of a numeral below 10,000 (``三千六百``, ``一百零二``, ``十二``, ``二〇二三``)."""
    if not s:
        return 0
    if all(ch in _ZH_DIGITS for ch in s):
        return int("".join(str(_ZH_DIGITS[ch]) for ch in s))
    total = 0
    digit: int | None = None
    last_unit = 0
    after_zero = False
    for ch in s:
        if ch in _ZH_DIGITS:
            if digit is not None and _ZH_DIGITS[ch] != 0 and not after_zero:
                return None
            after_zero = _ZH_DIGITS[ch] == 0 or after_zero
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_SMALL_UNITS:
            unit = _ZH_SMALL_UNITS[ch]
            if last_unit and unit >= last_unit:
                return None
            total += (digit if digit is not None else (1 if unit == 10 else 0)) * unit
            if digit is None and unit != 10:
                return None
            digit = None
            last_unit = unit
            after_zero = False
        else:
            return None
    if digit is not None:
        # Colloquial "一百五" = 150: a trailing digit right after a unit is one unit lower.
        if last_unit >= 100 and not after_zero:
            total += digit * last_unit // 10
        else:
            total += digit
    return total


def _zh_integer(s: str) -> int | None:
    for unit_char, unit in (("亿", 10**8), ("万", 10**4)):
        if unit_char in s:
            head, _, tail = s.rpartition(unit_char)
            high = _zh_integer(head) if head else 1
            low = _zh_integer(tail) if tail else 0
            if high is None or low is None:
                return None
            return high * unit + low
    return _zh_section(s)


@dataclass(frozen=True)
class _Number:
    """A number read from text: exact value, whether written as a percentage, cleaned text.

    ``kind`` says how it was written: ``ar`` (digits, possibly with a multiplier or an
    exponent), ``zh`` (a Chinese numeral) or ``en`` (English number words); ``start`` and
    ``end`` locate ``raw`` in the text it was read from.
    """

    value: Fraction
    percent: bool
    text: str
    raw: str
    after: str
    kind: Literal["ar", "zh", "en"]
    start: int = 0
    end: int = 0

    @property
    def arabic(self) -> bool:
        return self.kind == "ar"


def _zh_number(m: re.Match[str]) -> _Number | None:
    if len(m.group()) > _MAX_DIGITS:
        return None
    integer = _zh_integer(m.group("int"))
    if integer is None:
        return None
    value = Fraction(integer)
    if m.group("dec"):
        decimals = "".join(str(_ZH_DIGITS[c]) for c in m.group("dec"))
        value += Fraction(int(decimals), 10 ** len(decimals))
        if m.group("scale"):
            value *= _MULTIPLIERS[m.group("scale")]  # 十三点八万 = 138000
    if m.group("den"):
        den = _zh_integer(m.group("den"))
        if not den:
            return None
        value = value / den
        if m.group("whole"):
            whole = _zh_integer(m.group("whole"))
            if whole is None:
                return None
            value += whole  # 三又二分之一 = 3 1/2
    elif m.group("whole"):
        return None
    if m.group("half"):
        value += Fraction(1, 2)  # 两个半小时 = 2.5 hours
    if m.group("neg"):
        value = -value
    if abs(value) >= _TOO_LARGE:
        return None
    percent = m.group("pct") is not None
    text = _format(value) + ("%" if percent else "")
    return _Number(value, percent, text, m.group(), m.string[m.end() : m.end() + 1], "zh",
                   m.start(), m.end())


# Words and suffixes that scale the number before them ("1.2 million", "3万", "$4.5B", "3k").
# Single letters only count when attached and upper-case (except k): "5 m" is five metres.
_MULTIPLIERS = {
    "万亿": 10**12, "亿": 10**8, "万": 10**4, "百万": 10**6, "千万": 10**7, "千": 10**3,
    "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12,
    "k": 10**3, "K": 10**3, "M": 10**6, "B": 10**9, "bn": 10**9, "mn": 10**6,
}
_AR_NUMBER = lazy(
    r"(?P<sign>(?<![0-9A-Za-z)\]}^])[-+]|(?<![A-Za-z])negative\s+|负\s*|零下\s*"
    r"|(?<![0-9)]\s)(?<![0-9)])(?<![A-Za-z])minus\s+)?"
    r"(?:(?<=[-+])[$¥€£]\s?)?"
    # Not a unit's power ("s^-1", LaTeX "mol^{-1}", "m^{2}") nor under a root ("√10 ≈ 3.16").
    r"(?<![0-9.A-Za-z_^√])(?<![A-Za-z]\^-)(?<![A-Za-z]\^\{)(?<![A-Za-z]\^\{-)"
    # Thousands grouped by commas, or by spaces when there are two groups or more ("1 411 780
    # 000", the SI style; one space between "12 345" is as often two numbers).
    r"(?P<body>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![0-9])|\d{1,3}(?: \d{3}){2,}(?![0-9]|[.,]\d)"
    r"|\d+(?:\.\d+)?|\.\d+)"
    # Scientific notation: 1.5e-3, 3x10^8, 3 × 10^{8}, 3\times 10^8, and powers (10^-3, 2^10).
    r"(?:(?P<exp>(?-i:[eE])(?=[-+]?\d)|\s*(?:[x×*·]|\\times|\\cdot)\s*10\s*(?:\^|\*\*)|\^|\*\*)"
    r"\s*\{?\s*(?P<pow>[-+]?\d{1,3})\s*\}?(?![0-9]|\.\d))?"
    r"(?:\s*/\s*(?P<den>\d{1,3}(?:,\d{3})+(?![0-9])|\d+(?:\.\d+)?)(?![0-9/]))?"
    r"(?P<half>\s+and\s+(?:a|one)\s+half(?![A-Za-z])|\s*个半)?"
    # A multiplier word may follow the markup the digits sit in ("$362.88$ 万", "**8.7**
    # million"): the closing "$", "**" or "`" does not end the number ("$10^{-3}$ 千欧" is a
    # unit's prefix, so a lone 千 must touch the digits).
    r"(?P<mult>(?:\s*(?:\$\$?|\*\*|`))?\s*(?:万亿|百万|千万|亿|万)(?!分之)"
    r"|\s*千(?![米克瓦卡焦帕赫伏字兆欧])(?!分之)"
    r"|(?:\s*(?:\$\$?|\*\*|`))?\s*(?:thousand|million|billion|trillion)(?![A-Za-z])"
    r"|(?-i:[kKMB]|bn|mn)(?![A-Za-z0-9]))?"
    r"(?P<pct>\s*%|\s*per\s?cent(?![A-Za-z]))?",
    re.IGNORECASE,
)


def _format(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    as_float = float(value)
    if Fraction(repr(as_float)) == value:
        return repr(as_float)
    return f"{value.numerator}/{value.denominator}"


def _ar_number(m: re.Match[str]) -> _Number | None:
    body = m.group("body").replace(",", "").replace(" ", "")
    if len(body) > _MAX_DIGITS or len(m.group("den") or "") > _MAX_DIGITS:
        return None  # a digit string, not a quantity (and beyond float range)
    # Integers are most answers; Fraction(int) skips Fraction's string parser (same value).
    value = Fraction(int(body)) if body.isdigit() else Fraction(body)
    text = body
    if m.group("pow") is not None:
        power = int(m.group("pow"))
        if abs(power) > 60 or (m.group("exp") in ("^", "**") and abs(value) > 10**6):
            return None
        power_of_body = m.group("exp") in ("^", "**")
        value = value**power if power_of_body else value * Fraction(10) ** power
        if value == 0 or abs(value) >= _TOO_LARGE:
            return None
        text = _format(value)
    if m.group("den"):
        den_text = m.group("den").replace(",", "")  # "1/1,048,576"
        den = Fraction(den_text)
        if den == 0:
            return None
        value /= den
        text = f"{text}/{den_text}"
    if m.group("half"):
        value += Fraction(1, 2)
        text = _format(value)
    if m.group("mult"):
        key = m.group("mult").strip(" \t\n$*`")
        value *= _MULTIPLIERS.get(key) or _MULTIPLIERS[key.lower()]
        text = _format(value)
    if m.group("sign") and m.group("sign").strip() != "+":
        value = -value
        text = "-" + text
    percent = m.group("pct") is not None
    text += "%" if percent else ""
    return _Number(value, percent, text, m.group(), m.string[m.end() : m.end() + 1], "ar",
                   m.start(), m.end())


_EN_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_EN_SCALES = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9,
              "trillion": 10**12, "dozen": 12}
_EN_DENOMINATORS = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
    "fourth": 4, "fourths": 4, "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6,
    "seventh": 7, "sevenths": 7, "eighth": 8, "eighths": 8, "ninth": 9, "ninths": 9,
    "tenth": 10, "tenths": 10,
}
_EN_WORD = "|".join(sorted([*_EN_SMALL, *_EN_TENS, *_EN_SCALES], key=len, reverse=True))
_EN_DEN_WORD = "|".join(sorted(_EN_DENOMINATORS, key=len, reverse=True))
_EN_NUMBER = lazy(
    rf"(?<![A-Za-z-])(?P<neg>(?:negative|minus)\s+)?"
    # "half a dozen", "a quarter of a million", "a third of a billion"
    rf"(?P<words>(?:(?P<halfof>half\s+|(?:a|one)\s+(?:quarter|third)\s+of\s+)?"
    rf"a\s+(?=(?:hundred|thousand|million|billion|dozen)\b))?"
    rf"(?:{_EN_WORD}|a(?=[\s-]+(?:half|third|quarter|fourth|fifth|tenth)\b))"
    rf"(?:(?:\s+and\s+|\s*-\s*|\s+)(?:{_EN_WORD})(?![A-Za-z]))*)"
    # ("twenty-five point eight billion": a scale after the decimals)
    rf"(?P<point>\s+point(?:\s+(?:{'|'.join(list(_EN_SMALL)[:10])}))+"
    rf"(?P<pscale>\s+(?:thousand|million|billion|trillion)\b)?)?"
    # ("one and a quarter gallons", "two and a half million")
    rf"(?:(?P<half>\s+and\s+a\s+(?:half|quarter))(?P<hscale>\s+(?:thousand|million|billion)\b)?"
    rf"|[\s-]+(?P<den>{_EN_DEN_WORD}))?"
    rf"(?P<pct>\s*(?:%|percent|per\s+cent))?"
    rf"(?![A-Za-z]|-[A-Za-z])",
    re.IGNORECASE,
)


# Two digits said as one word or two: "nineteen", "ninety-eight" (10–99, "ten" only second).
_EN_PAIR = (r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
            r"|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
            r"(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine))?")
_SPOKEN_YEAR = lazy(rf"({_EN_PAIR})\s+(ten|{_EN_PAIR})", re.IGNORECASE)


def _en_integer(words: str) -> int | None:
    """Value of English number words ("one hundred and five", "twenty-four"), or None."""
    if words.strip().lower() == "a":
        return 1  # "a third"
    year = _SPOKEN_YEAR.fullmatch(words.strip())
    if year is not None:
        # "twenty twenty-four", "nineteen ninety-eight", "nineteen twelve": a year said aloud
        # in two pairs of digits, as people say them (and as a transcript writes them).
        high, low = _en_integer(year.group(1)), _en_integer(year.group(2))
        return None if high is None or low is None else 100 * high + low
    total = current = 0
    last = ""  # kind of the previous word: small, tens, hundred, scale
    for w in re.findall(r"[a-z]+", words.lower()):
        if w in ("and", "a", "half"):
            continue
        if w in _EN_SMALL or w in _EN_TENS:
            v = _EN_SMALL.get(w, _EN_TENS.get(w, 0))
            if last == "small" or (last == "tens" and not (w in _EN_SMALL and v < 10)):
                return None  # "one two", "twenty thirty": a list, not one number
            current += v
            last = "tens" if w in _EN_TENS else "small"
        elif w == "hundred":
            if last == "hundred" or current >= 100:
                return None
            current = (current or 1) * 100
            last = "hundred"
        else:
            total += (current or 1) * _EN_SCALES[w]
            current = 0
            last = "scale"
    return total + current


def _en_number(m: re.Match[str]) -> _Number | None:
    if len(m.group()) > 200:
        return None
    # (the part of "a quarter of a million" is taken below; the words after it count)
    integer = _en_integer(m.group("words")[len(m.group("halfof") or "") :])
    if integer is None:
        return None
    value = Fraction(integer)
    if m.group("den"):
        if integer == 0:
            return None
        value = value / _EN_DENOMINATORS[m.group("den").lower()]
    if m.group("half"):
        value += Fraction(1, 4) if m.group("half").lower().endswith("quarter") else Fraction(1, 2)
        if m.group("hscale"):
            value *= _MULTIPLIERS[m.group("hscale").strip().lower()]
    if m.group("halfof"):
        part = m.group("halfof").lower()  # half a dozen, a quarter of a million
        value /= 4 if "quarter" in part else 3 if "third" in part else 2
    if m.group("point"):
        digits = "".join(str(_EN_SMALL[w]) for w in re.findall(r"[a-z]+", m.group("point").lower())
                         if w in _EN_SMALL)
        value += Fraction(int(digits), 10 ** len(digits))
        if m.group("pscale"):
            value *= _MULTIPLIERS[m.group("pscale").strip().lower()]
    if m.group("neg"):
        value = -value
    percent = m.group("pct") is not None
    text = _format(value) + ("%" if percent else "")
    return _Number(value, percent, text, m.group(), m.string[m.end() : m.end() + 1], "en",
                   m.start(), m.end())


_LATEX_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (lazy(pattern), repl) for pattern, repl in (
        (r"(\d)\s*(\\[dt]?frac)", r"\1 \2"),  # 2\frac{1}{2} is 2 1/2
        (r"\\[dt]?frac\s*\{\s*([^{}]*?)\s*\}\s*\{\s*([^{}]*?)\s*\}", r"\1/\2"),
        (r"\\[dt]?frac\s*(\d)\s*(\d)", r"\1/\2"),
        (r"\\(?:text|mathrm|mathbf|textbf|operatorname)\s*\{([^{}]*)\}", r"\1"),
        (r"\\sqrt\s*\{([^{}]*)\}", r"√(\1)"),  # \sqrt{10} is √10, not 10
    ))
_LATEX_AFTER: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (lazy(pattern), repl) for pattern, repl in (
        (r"\\[,!;: ]|\\(?:left|right)\b", ""),
        (r"\\times(?![A-Za-z])", "×"),
        (r"\\approx(?![A-Za-z])", "≈"),
        (r"\\c?dot(?![A-Za-z])", "·"),
    ))


@functools.lru_cache(maxsize=4096)
def _clean_latex(text: str) -> str:
    """Rewrite the LaTeX that wraps numbers (``\\frac``, ``\\,``, ``\\%``) as plain text."""
    if "\\" not in text and "{,}" not in text:
        return text  # nothing to rewrite: every rule starts at a backslash (or is "{,}")
    for pattern, repl in _LATEX_RULES:
        text = pattern.sub(repl, text)
    text = text.replace("{,}", ",").replace("\\%", "%").replace("\\$", "$")
    for pattern, repl in _LATEX_AFTER:
        text = pattern.sub(repl, text)
    return text


_ANY_DIGIT = lazy(rf"[0-9{_ZH_CHARS}]")
_ANY_ZH_NUMERAL = lazy(rf"[{_ZH_CHARS}]")
_ANY_EN_WORD_LIST = [*_EN_SMALL, *_EN_TENS, *_EN_SCALES, "half", "third", "quarter", "fourth",
                     "fifth", "tenth"]
# The first-letter lookahead lets the scan skip most positions without trying every word.
_ANY_EN_WORD = lazy(
    rf"(?<![A-Za-z])(?=[{''.join(sorted({w[0] for w in _ANY_EN_WORD_LIST}))}])"
    rf"(?:{_EN_WORD}|half|third|quarter|fourth|fifth|tenth)",
    re.IGNORECASE,
)


def _lower_order(m: re.Match[str], m2: re.Match[str], n2: _Number) -> bool:
    """Whether ``m2`` goes on the number ``m`` wrote with 万/亿: "10万5千", "2万5000", "1亿2000万".

    The second part must follow at once, be a whole number below the first part's unit, and
    carry a unit of its own or have two digits at least ("3万2" is colloquial and ambiguous).
    """
    unit = (m.group("mult") or "").strip()
    if unit not in ("万", "亿", "万亿") or m.group("pct") or m2.start() != m.end():
        return False
    if m2.group("sign") or m2.group("den") or m2.group("pow") or "." in m2.group("body"):
        return False
    return (0 < n2.value < _MULTIPLIERS[unit]
            and (m2.group("mult") is not None or len(m2.group("body")) >= 2))


def _arabic_numbers(text: str) -> list[_Number]:
    """Arabic numbers in order, with mixed numbers ("1 1/2") joined into one."""
    matches = [(m, n) for m in _AR_NUMBER.finditer(text) if (n := _ar_number(m))]
    out: list[_Number] = []
    i = 0
    while i < len(matches):
        m, n = matches[i]
        if i + 1 < len(matches):
            m2, n2 = matches[i + 1]
            whole = re.fullmatch(r"-?\d+", n.text)
            proper = m2.group("den") and not m2.group("sign") and 0 < n2.value < 1
            if whole and proper and text[m.end() : m2.start()] in (" ", "又"):  # "1又3/4"
                sign = -1 if n.value < 0 else 1
                value = n.value + sign * n2.value
                raw = text[m.start() : m2.end()]
                out.append(_Number(value, n2.percent, _format(value), raw, n2.after, "ar",
                                   m.start(), m2.end()))
                i += 2
                continue
            if _lower_order(m, m2, n2):  # "10万5千" is 105000, "1亿2000万" 120000000
                value = n.value + (n2.value if n.value >= 0 else -n2.value)
                out.append(_Number(value, n2.percent, _format(value), text[m.start() : m2.end()],
                                   n2.after, "ar", m.start(), m2.end()))
                i += 2
                continue
        out.append(n)
        i += 1
    return out


# Chinese words spelled with numeral characters that are not numbers: 万一 (in case), 千万
# (by all means), 一一 (one by one), 三三两两 (in twos and threes).
_ZH_NOT_NUMBERS = frozenset({"万一", "千万", "一一", "三三两两", "一五一十", "十万八千"})


def _word_numbers(text: str) -> list[_Number]:
    """Chinese numerals and English number words in ``text``, in order."""
    found: list[_Number] = []
    if _ANY_ZH_NUMERAL.search(text):  # a Chinese numeral needs one of these characters
        found += [n for m in _ZH_NUMBER.finditer(text)
                  if m.group() not in _ZH_NOT_NUMBERS and (n := _zh_number(_kilo_dropped(m)))]
    if _ANY_EN_WORD.search(text):
        found += [n for m in _EN_NUMBER.finditer(text)
                  if (n := _en_number(m)) and not _pronoun_one(text, m)]
    return sorted(found, key=lambda n: n.start)


# "this one", "the one with…", "one of them", "one can see": "one" standing for a thing or a
# person, not counting anything.
_ONE_PRONOUN_BEFORE = lazy(
    r"\b(?:this|that|which|each|every|any|another|the|no|a|some|last|next|other|right"
    r"|wrong|first|only)\s+$", re.IGNORECASE)
_ONE_PRONOUN_AFTER = lazy(
    r"'s\b|\s+(?:of|another|can|could|must|should|would|may|might)\b", re.IGNORECASE)


def _pronoun_one(text: str, m: re.Match[str]) -> bool:
    """Whether the number word ``m`` is the pronoun "one" ("for this one"), not a count."""
    if m.group().lower() != "one":
        return False
    return bool(_ONE_PRONOUN_BEFORE.search(text, max(0, m.start() - 12), m.start())
                or _ONE_PRONOUN_AFTER.match(text, m.end()))


def _kilo_dropped(m: re.Match[str]) -> re.Match[str]:
    """A numeral that reads only without its last 千, which is then "kilo" before its unit:
    "五千四百六十四千米" is 5464 千米 (while "四千米" is 4000 米, a numeral whole with it)."""
    raw, unit = m.group(), m.string[m.end() : m.end() + 1]
    if (len(raw) > 1 and raw.endswith("千") and unit and unit in _KILO_UNITS
            and _zh_number(m) is None
            and (shorter := _ZH_NUMBER.match(m.string, m.start(), m.end() - 1)) is not None
            and shorter.end() == m.end() - 1):
        return shorter
    return m



def _is_strong_zh(n: _Number) -> bool:
    """A Chinese numeral that is clearly a number, not part of a word like 一共 or 一些."""
    if n.raw in _ZH_NOT_NUMBERS:
        return False
    return ((len(n.raw) > 1 and any(ch in n.raw for ch in "十百千万亿点负")) or "分之" in n.raw
            or n.raw.endswith("个半"))


def _is_strong_word(n: _Number) -> bool:
    """A numeral in words that reads as a quantity even next to digits (三十五, twenty-four).

    Single words (三, "three") are too often ordinary prose ("the three boxes", 三个人) to
    compete with digits; a compound numeral or a spelled-out percentage rarely is.
    """
    if n.kind == "zh":
        return _is_strong_zh(n)
    return n.percent or len(re.findall(r"[A-Za-z]+", n.raw)) > 1


def _merge(arabic: list[_Number], words: list[_Number]) -> list[_Number]:
    """Digits and word numerals in text order, dropping words inside a digit number (3万)."""
    spans = [(a.start, a.end) for a in arabic]
    kept = [w for w in words if not any(w.start < e and w.end > s for s, e in spans)]
    return sorted(arabic + kept, key=lambda n: n.start)


def _numbers_in(text: str, *, lenient: bool = False) -> list[_Number]:
    """Every number in ``text`` in order (a fresh list; the reading is cached).

    Reading one answer asks for the numbers of overlapping segments many times over, and the
    reading is pure, so it is cached.
    """
    return list(_numbers_cached(text, lenient))


@functools.lru_cache(maxsize=4096)
def _numbers_cached(text: str, lenient: bool) -> tuple[_Number, ...]:
    return tuple(_read_numbers(text, lenient=lenient))


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> tuple[tuple[_Number, ...], tuple[_Number, ...]]:
    """Digits and word numerals of ``text``, parsed once for both readings (strict and
    lenient), which differ only in which words they keep."""
    if not (_ANY_DIGIT.search(text) or _ANY_EN_WORD.search(text)):
        return (), ()
    return tuple(_arabic_numbers(text)), tuple(_word_numbers(text))


def _read_numbers(text: str, *, lenient: bool = False) -> list[_Number]:
    """Every number in ``text`` in order.

    Digits always count; numerals in words count next to digits only when they are
    unmistakably numbers (三十五, twenty-four), and all of them count where there are no digits.
    ``lenient`` (for an answer sentence) also lets a one-character Chinese numeral with a
    measure word (三年, 两个) stand next to digits.
    """
    nums, words = _parsed(text)
    if not nums:
        return list(words)
    return _merge(list(nums), [w for w in words if _is_strong_word(w)
                         or (lenient and w.kind == "zh" and _plausible_zh(w, text))
                         or _stands_alone(w, text)])


# Before and after a numeral that is a text's whole first sentence: "Thirty. Article I …".
_ALONE_BEFORE = lazy(r"[\s*_>#]*")
_ALONE_AFTER = lazy(r"[*_]*\s*(?:[.!。！]|\n|$)")


def _stands_alone(n: _Number, text: str) -> bool:
    """Whether the word numeral ``n`` is the text's whole first sentence ("Thirty. Article
    I, Section 3 requires …"): said alone, a single word is the answer, not prose."""
    return (n.kind == "en" and _ALONE_BEFORE.fullmatch(text, 0, n.start) is not None
            and _ALONE_AFTER.match(text, n.end) is not None)


def _plausible_zh(n: _Number, segment: str) -> bool:
    """Whether a Chinese numeral after an answer marker is the answer, not a word (一定, 一些).

    Multi-character numerals (三十五) always are; a single character is accepted when it is
    the whole answer or is followed by a measure word or unit (六天, 三个).
    """
    if _is_strong_zh(n) or segment.strip(" 。.!") == n.raw:
        return True
    return bool(n.after) and _is_cjk(n.after) and n.after not in "共些样定下直般切半"


_NOT_A_COUNT = lazy(r"\s+(?:of|with|that|who|which|where|whose|in|on|from|by|at)\b",
                          re.IGNORECASE)


def _plausible(n: _Number, segment: str) -> bool:
    """Whether a number after an answer marker is the answer rather than a word in prose.

    Digits always are. A single English word is, unless it is a pronoun-like "one" ("the one
    with ...", "one of them"); Chinese numerals follow ``_plausible_zh``.
    """
    if n.kind == "ar":
        return True
    if n.kind == "zh":
        return _plausible_zh(n, segment)
    if n.raw.lower() in ("one", "a hundred") or " " not in n.raw.strip():
        rest = segment[segment.find(n.raw) + len(n.raw):]
        return not _NOT_A_COUNT.match(rest) or n.raw.lower() != "one"
    return True


def parse_number(s: str) -> float | None:
    """Parse a string that holds one number, in any of the forms models write.

    References and answers come as ``1,234``, ``3/4``, ``50%``, ``\\frac{1}{2}``, ``-5``,
    ``12 km``, ``$7.50``, ``４２``, ``三十五``, ``百分之二十``, ``1.5万``, ``1.2 million``,
    ``3×10^8``, ``1.5e-3`` or ``twenty-four``; all should compare equal to what they mean.
    Percentages keep their face value (``"50%"`` → 50.0); use ``numbers_equal`` to also match
    0.5.

    Args:
        s: The text of one number, optionally with a currency sign or a unit.

    Returns:
        The value, or None when the string does not hold exactly one number.
    """
    plain = _plain_value(s)
    if plain is not None:
        return float(plain)
    parsed = _parse_one(s)
    return float(parsed.value) if parsed else None


# A number as most references and answers write it: "42", "-3.5" (no sign, spaces or leading
# zeros to interpret, and short enough to be exact).
_PLAIN_NUMBER_RE = r"-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,10})?"
_PLAIN_NUMBER = lazy(_PLAIN_NUMBER_RE)


def _plain_value(s: str) -> Fraction | None:
    """The value of "42" or "-3.5" (the form of most references and answers), read at once;
    None for any other form, which ``_parse_one`` reads to the same value at ten times the
    cost (``tests/tasks/test_extract.py`` holds the two together)."""
    if len(s) > 26 or _PLAIN_NUMBER.fullmatch(s) is None:
        return None
    return Fraction(int(s)) if s.isdigit() else Fraction(s)


def _parse_one(s: str) -> _Number | None:
    text = _clean_latex(_prepare(s)).strip().strip("$").strip()
    if not text:
        return None
    arabic = _arabic_numbers(text)
    if len(arabic) > 1:
        return None
    if arabic:
        (n,) = arabic
        before, _, after = text.partition(n.raw)
        if before.strip(" $¥€£") or re.search(r"[0-9]", after):
            return None
        return n
    z = _ZH_NUMBER.search(text)
    if z and z.start() == 0 and not _ZH_NUMBER.search(text, z.end()):
        return _zh_number(z)
    e = _EN_NUMBER.search(text)
    if e and e.start() == 0 and not _EN_NUMBER.search(text, e.end()):
        return _en_number(e)
    return None


def _interpretations(x: float | str) -> list[Fraction] | None:
    if isinstance(x, str):
        plain = _plain_value(x)
        if plain is not None:
            return [plain]
        parsed = _parse_one(x)
        if parsed is None:
            return None
        if parsed.percent:
            return [parsed.value, parsed.value / 100]
        return [parsed.value]
    if isinstance(x, int):
        return [Fraction(x)]
    if math.isnan(x) or math.isinf(x):
        return None
    return [Fraction(repr(float(x)))]


def numbers_equal(
    a: float | str,
    b: float | str,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
    *,
    exact: bool = False,
) -> bool:
    """Compare two numbers the way a grader should: by value, not by spelling.

    Strings are parsed with ``parse_number``, so ``"1,234"`` equals ``1234`` and ``"3/4"``
    equals ``"0.75"``. A percentage matches both its face value and its fraction (``"50%"``
    equals ``50`` and ``0.5``), because references and models disagree on which they mean.

    Args:
        a: A number or a number string.
        b: A number or a number string.
        rel_tol: Relative tolerance, as in ``math.isclose``.
        abs_tol: Absolute tolerance, as in ``math.isclose``.
        exact: Compare as exact fractions instead (``"1/3"`` is then not ``"0.333333"``);
            floats are taken by their shortest decimal repr.

    Returns:
        True when the values are equal; False when they differ or one is not a number.
    """
    xs = _interpretations(a)
    if a == b and a.__class__ is str:  # the usual right answer: one parse, not two
        return xs is not None
    ys = _interpretations(b)
    if xs is None or ys is None:
        return False
    for x in xs:
        for y in ys:
            if exact:
                if x == y:
                    return True
            elif math.isclose(float(x), float(y), rel_tol=rel_tol, abs_tol=abs_tol):
                return True
    return False


# A bare "answer" or "result" must be followed by a verb, a colon, or the number itself:
# "I hope this answer helps" and "as a result, 5 people" are not answer sentences.
_NUM_EN_MARKER = (
    r"(?<![A-Za-z])(?:(?:final\s+)?answers?(?:\s+to\s+(?:this|the)\s+(?:question|problem))?"
    r"|result)"
    r"(?:\s*(?:is|are|was|would\s+be|should\s+be|will\s+be|comes\s+to|=|:)"
    r"|(?=[\]】)]?\s*(?:\*\*)?\s*[-$\d]))"
    r"|[\"'](?:final_?answer|answer|result|value|答案)[\"']\s*:"
    # "Wait, I misread — it's 15": a correction states the new value.
    r"|\b(?:wait|actually|correction|oops|sorry)\b[^.\n。]{0,40}?"
    r"\b(?:it's|it\s+is|it\s+should\s+be|should\s+be|is\s+actually)"
)
_NUM_ZH_MARKER = (
    # ("结果是否一致", "答案是否正确" ask whether; they state nothing)
    r"(?:最终|正确|最后)?答案(?!是否)(?:应该|应)?(?:是|为)?|答(?=\s*[:】\]〕])|结果(?:是|为)(?!否)"
    # ("这题我算出了两个结果：", "所有可能结果：" list candidates; they state none)
    r"|(?<!两个)(?<!两种)(?<!几个)(?<!多个)(?<!可能)(?:结果|结论)(?=\s*:)"
    # a correction's label: "更正：还剩15千克。"
    r"|(?:更正|纠正|修正|订正)(?:后|为)?(?=\s*:)"
    r"|(?P<sum>一共|总共|共计|合计)"
)
_NUM_MARKER = lazy(rf"{_NUM_EN_MARKER}|{_NUM_ZH_MARKER}", re.IGNORECASE)
_ACCOUNTING_NEGATIVE = lazy(r"(?<=[=:|])\s*\(\s*\$\s*(\d[\d,]*(?:\.\d+)?)\s*\)")
_ZH_SUPPOSE = lazy(r"\s*(?:如果|假如|假设|要是|若是|倘若)")
# Saying the question as given cannot be worked out (not "无解" or "无意义" of a step's case).
_CANNOT_SOLVE = lazy(r"(?:无法|不能|没法|没办法)(?:求出|求得|算出|确定|计算|得出)|条件不足|缺少条件"
                     r"|(?:没有|未)给出")
_JSON_VALUE_END = lazy(r"[\"',}\n]")
# "A frequent wrong answer is 350", "不要误选", "常见的错误答案是": an answer the text rejects.
_WRONG_BEFORE = lazy(
    r"(?:wrong|incorrect|mistaken|erroneous|tempting|common\s+mistake|distractor|trap)"
    r"[\s\w-]{0,12}$|错误的?$|误$|错$|干扰$",
    re.IGNORECASE,
)
_REJECTED = lazy(r"\b(?:not|rather\s+than|instead\s+of)\b|不是|而非|并非", re.IGNORECASE)
_BECAUSE = lazy(r"\b(?:because|since|as|given\s+that)\b|因为|由于", re.IGNORECASE)
# A quantity in mixed units ("8 分 20 秒", "2 h 30 min", "5 ft 4 in"): not one plain number;
# after a value it restates that value.
_COMPOUND = lazy(
    r"(?<![\d.])\d{1,9}(?:\.\d+)?\s*(?:"
    r"(?:小时|时|分钟|分|度|天)\s*\d{1,9}(?:\.\d+)?\s*(?:分钟|分|秒|小时)"
    r"|(?:h|hrs?|hours?|days?|d)\s*(?:and\s+)?\d{1,9}\s*(?:min|mins|minutes?|h|hours?)\b"
    r"|(?:min|mins|minutes?|m)\s*(?:and\s+)?\d{1,9}(?:\.\d+)?\s*(?:s|secs?|seconds?)\b"
    r"|(?:ft|feet|foot|')\s*(?:and\s+)?\d{1,9}(?:\.\d+)?\s*(?:in|inches?|\")(?![A-Za-z])"
    r"|(?:lbs?|pounds?)\s*(?:and\s+)?\d{1,9}(?:\.\d+)?\s*(?:oz|ounces?)\b)",
    re.IGNORECASE,
)
# A comparison clause after a stated value: "— one more than a regular dozen", ", 3 less than".
_COMPARISON = lazy(
    r"(?:[,，;；]|\s[—–-]{1,2}\s?|——|\b(?:is|was|are|were)\b|^|(?<=[.!?]\s))\s*"
    r"(?:which\s+is\s+|that'?s\s+|that\s+is\s+|this\s+is\s+|i\.e\.\s+)?"
    r"(?:[\w.$]+\s+){0,2}(?:more|less|fewer|greater|smaller|larger|higher|lower|bigger)\s+than\b"
    r"|(?:[,，;；]|——)\s*(?:比|较)",
    re.IGNORECASE,
)
_REASON_CLAUSE = lazy(r"[,，;；]\s*(?:because|since|given\s+that|因为|由于)(?![A-Za-z])",
                            re.IGNORECASE)
# "负一点五元，也就是下跌了1.5元", "0.25, i.e. 25%": the rest restates the value another way.
_RESTATED = lazy(
    r"[,，;；]\s*(?:也就是|也即|即|换句话说|that\s+is|i\.e\.|which\s+(?:is|means)|比|较)"
    r"|\s[—–-]\s*that'?s\b"
    # "$0.6 million — that is, $600k", "3 × 10⁸ meters — 300,000 km"
    r"|\s[—–]{1,2}\s*(?:that\s+is|i\.e\.|or|which\s+is)?[,\s]*(?=[-$¥€£]?\d)",
    re.IGNORECASE,
)
# "360 的 25%", "25% of 360": an expression, not yet a value; what follows "即" is the value.
# So is an operation left undone: "each pays 13.50 ÷ 3, which is four dollars and fifty cents"
# (not a fraction: "2/3, which is about 0.67").
_EXPRESSION_END = lazy(r"的\s*[\d.]+\s*(?:%|倍)\s*$|%\s*of\s+\$?[\d.,]+\s*$"
                       r"|\d\s*[-+×÷*]\s*[$¥€£]?[\d.,]+\s*$", re.IGNORECASE)
_SENTENCE_STOP = lazy(r"[。!?！？;；\n]|(?<![A-Za-z]\.[A-Za-z])\.(?=\s)")


def _sentence_start(text: str, pos: int) -> int:
    """Where the sentence holding ``pos`` starts (a decimal point or "i.e." does not end one).

    Only the last ``2 * _MAX_SEGMENT`` characters are searched: a rule that asks for many
    positions of one long text would otherwise read it again from the start each time."""
    start = max(0, pos - 2 * _MAX_SEGMENT)
    for m in _SENTENCE_STOP.finditer(text, start, pos):
        start = m.end()
    return start
# A question about what is left, or about what there is after something is taken away.
_LEFT_ASKED = lazy(r"剩|余|去掉|拿走|取走|用[掉去]|花[掉去]|吃[掉了]|卖[掉出]|减少"
                   r"|\b(?:left|remain\w*|rest|after|removing|without)\b", re.IGNORECASE)
# A clause about what is left over, after the result: "…4个，还剩下3个", "…, with 3 left over".
_LEFTOVER = lazy(
    r"\s*(?:还|并且|而且|同时)?(?:剩下?|剩余|余下?|多出|另外|其余)"
    r"|\s*(?:with|and)\s+\$?\d[\d,.]*\s*\w*\s+(?:left|remaining|left\s+over)\b"
    r"|\s*(?:the\s+rest|the\s+remaining|remaining|leaving)\b",
    re.IGNORECASE,
)
_SO = lazy(r"[,，;；]\s*(?:so|thus|therefore|hence|所以|因此|故)(?![A-Za-z])", re.IGNORECASE)
# ('"final_answer": "950.15"', and "所以输出结果是：\n\n```\n18\n```")
_NUM_LEAD = lazy(r"(?:[\s:*#$\"']|```[A-Za-z]*)*")
_GSM8K = lazy(r"^\s*####\s*(.+)$", re.MULTILINE)
# A line that opens a new exercise ("Question: …", "Q2:", "问题：").
# (and a superscript mark after a sentence, "12 edges.¹", which ``_prepare`` wrote "^1")
_CITATION = lazy(rf"{_NOTE_MARK}|(?<=[.。,;；!?！？])\^\d{{1,2}}(?![\d.^])", re.IGNORECASE)
# A value's uncertainty ("9.8 ± 0.1 kg", "12 +/- 2"): the value is the answer, not its margin.
_UNCERTAINTY = lazy(r"(?<=\d)\s*(?:±|\+/-)\s*\d[\d,]*(?:\.\d+)?")
# A footnote's text ("[1] See Halliday …, p. 152"): a note, read like "Note: …".
_FOOTNOTE = lazy(rf"^[ \t]*(?:{_NOTE_MARK}|\^\d{{1,2}}(?=[ \t]))[:：]?[ \t]*", re.MULTILINE | re.IGNORECASE)
_TABLE_LINE = lazy(r"^[ \t]*\|", re.MULTILINE)

# A number as it appears in a range or a hedge (digits only: words are too rare there).
_NUM_TOKEN = (r"[-+]?\$?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?| \d+/\d+)?"
              r"(?:\s*(?:万亿|百万|千万|亿|万|千|thousand|million|billion|[kKMB](?![A-Za-z])))?"
              r"\s*%?")
_UNIT = r"(?:\s*[A-Za-z$%°℃/²³^Ωμµ]+\.?|\s*[\u4e00-\u9fff]{1,3})?"
# "10 to 12", "10-12 days", "10~12", "10到12", "between 10 and 12": the model gave a range,
# not a value. "from 10 to 12" describes a change, so it is not a range.
_RANGE = lazy(
    rf"(?<![\d.,/-])(?<!from\s)(?<!from\s\$)(?P<a>{_NUM_TOKEN})\s*"
    rf"(?:to|–|—|~|〜|到|至)\s*(?P<b>{_NUM_TOKEN})"
    rf"|\b(?:rang(?:e|es|ing)|anywhere|somewhere)\s+from\s+(?P<k>{_NUM_TOKEN}){_UNIT}\s+to\s+"
    rf"(?P<l>{_NUM_TOKEN})"
    rf"|(?<![\d.,/-])(?P<i>{_NUM_TOKEN})\s*(?P<u>[A-Za-z]+)\s+to\s+(?P<j>{_NUM_TOKEN})\s*(?P=u)"
    rf"|(?<![\d.,/-])(?P<c>\d[\d,]*(?:\.\d+)?)-(?P<d>\d[\d,]*(?:\.\d+)?)(?![\d.]|\s*[-=+×*/])"
    # ("**30 and 150**", "between roughly 17 and 100 million")
    rf"|\bbetween\s+(?:(?:roughly|about|around|approximately|some)\s+)?(?:\*\*)?"
    rf"(?P<e>{_NUM_TOKEN}){_UNIT}\s+and\s+(?P<f>{_NUM_TOKEN})"
    rf"|(?:介于|在)\s*(?P<g>{_NUM_TOKEN}){_UNIT}\s*(?:和|与|到|至)\s*(?P<h>{_NUM_TOKEN}){_UNIT}\s*之间",
    re.IGNORECASE,
)
# "12 or 13", "either 12 or 13", "12或13", "108分或86.4分", "x = 2 或 x = 3": the model did not
# commit. A unit between is allowed only when the same unit follows the second number, so
# that a conversion ("2.5 hours, or 150 minutes") is not a hedge.
_HEDGE_WORD = (r"(?:or(?:\s+(?:maybe|possibly|perhaps))?|maybe|possibly|perhaps|或者?|还是"
               r"|也可能是?|,?\s*(?:and|或)\s*(?=[A-Za-z]\s*=))")
_HEDGED = lazy(
    rf"(?<![\d.,/])(?P<a>{_NUM_TOKEN})\s*[,(（]?\s*{_HEDGE_WORD}\s*(?:[A-Za-z]\s*=\s*)?"
    rf"(?P<b>{_NUM_TOKEN})"
    rf"|(?<![\d.,/])(?P<c>{_NUM_TOKEN})\s*(?P<u>[A-Za-z/°]+|[\u4e00-\u9fff]{{1,3}})\s*,?\s*"
    rf"{_HEDGE_WORD}\s*(?P<d>{_NUM_TOKEN})\s*(?P=u)"
    # "could be 5, 6 or 7": a list whose last two are set as alternatives
    # (the list atomic: "1,1,1,1,…" splits into tokens and commas every way there is, which
    # took 2 s at 44 characters and doubled with every two more)
    rf"|(?<![\d.,/])(?>(?P<e>{_NUM_TOKEN})(?:\s*,\s*{_NUM_TOKEN})+)(?:,?\s+|(?<=\s))(?:or|或者?)\s+"
    rf"(?P<f>{_NUM_TOKEN})",
    re.IGNORECASE,
)
# Two values both left standing: "3/4 和 4/3 都有可能", "both 12 and 13 are plausible". Kept
# apart from ``_HEDGED`` and only run when "都"/"both" occurs: few replies say it.
_BOTH_OPEN = lazy(
    rf"(?<![\d./])(?<!\d,)(?P<e>{_NUM_TOKEN})\s*(?:和|与|跟|and)\s*(?P<f>{_NUM_TOKEN})"
    r"\s*(?:都|are\s+both|both|could\s+both\s+be)\s*(?:有)?\s*"
    r"(?:可能|可以|对|成立|possible|plausible|valid|correct|right|defensible)"
    rf"|\bboth\s+(?P<g>{_NUM_TOKEN})\s*and\s*(?P<h>{_NUM_TOKEN})\s*(?:are|seem|could\s+be)\s+"
    r"(?:possible|plausible|valid|correct|right|defensible)",
    re.IGNORECASE,
)
# Saying outright that it cannot choose between values.
# "24或25都有可能": two values, each possible; "not sure which", "can't decide": no pick.
_EITHER_VALUE = r"[或和]\s*[-+]?\d[\d.,]*\s*[\u4e00-\u9fff]{0,3}都有?可能"
_NOT_SURE_WHICH = (r"\bnot\s+sure\s+which|\bone\s+of\s+(?:those|these|the)\s+two\b"
                   r"|\bcan(?:no|')t\s+decide")
_UNSURE = lazy(
    rf"{_NOT_SURE_WHICH}"
    r"|\bboth\s+(?:answers|values|interpretations|readings|figures)\s+(?:are|seem)\b"
    # "Without knowing that, either could be right."
    r"|\beither\s+(?:one\s+|value\s+|answer\s+|figure\s+)?(?:could|might|may|can)\s+be\s+"
    r"(?:right|correct|the\s+answer)\b"
    r"|不(?:太)?确定.{0,12}(?:哪一个|哪个)|结果不一致|两个都有可能|拿不准"
    rf"|{_EITHER_VALUE}"
    # "It depends on how you read it", "这要看两端是否种树", "有两种说法": no one value.
    r"|\b(?:it|that|this)\s+depends\s+on\b|\bdepends\s+on\s+(?:how|which|whether|what|your)\b"
    r"|(?:这|那|就)要看|取决于|有(?:不同|两种|两个|多种|几种)(?:的)?(?:说法|观点|理解|口径)"
    r"|\bdepending\s+on\s+(?:whether|which|how)\b"
    # two values both solving it: "the solution set is {−2, 8}", "解集为{−2, 8}"
    r"|\bsolution\s+set\s+is\s*\{[^}\n]*[,;]|解集(?:为|是)\s*\{[^}\n]*[,，;]"
    r"|两种(?:说法|观点|情况|理解)都|\bI'?m\s+not\s+(?:certain|sure)\s+(?:about|of)\b",
    re.IGNORECASE,
)
# The answer is that there is no answer: the question lacks what it needs, or has none.
_UNDETERMINED = lazy(
    rf"{_MISSING_FIGURE}|"
    r"\b(?:can\s*not|can't|cannot|could\s*not|couldn't|impossible\s+to|unable\s+to|not\s+possible\s+to"
    r"|no\s+way\s+to)"
    r"\s+(?:be\s+)?(?:uniquely\s+|definitively\s+|exactly\s+)?"
    r"(?:determined?|calculated?|computed?|answered|solved?|found|known|say|tell|deduced?"
    r"|derived?|work(?:ed)?\s+(?:\w+\s+)?out|figured?\s+(?:\w+\s+)?out|pin(?:ned)?\s+(?:\w+\s+)?down"
    # ("x can't be pinned to one value")
    r"|pin(?:ned)?\s+to\s+(?:one|a\s+single|a\s+unique|any\s+one)\s+(?:value|number|answer))\b"
    # "The information provided is insufficient", "Tuesday's number is unknowable"
    r"|\b(?:information|data|details|facts)\s+(?:\w+\s+)?(?:is|are)\s+(?:insufficient|incomplete"
    r"|not\s+(?:enough|sufficient))\b|\b(?:unknowable|not\s+knowable)\b"
    r"|\b(?:not\s+enough|insufficient|missing|incomplete)\s+(?:information|data|info)\b"
    r"|\b(?:lacks?|lacking|missing|omits?|doesn't\s+(?:give|provide|say|specify|state)"
    r"|does\s+not\s+(?:give|provide|say|specify|state))\s+(?:the\s+|any\s+|enough\s+)?"
    r"(?:information|data|details?|values?)\b"
    r"|\b(?:don't|do\s+not|doesn't|does\s+not)\s+have\s+enough\b"
    r"|\bno\s+(?:unique|definite|single|determinate|valid|possible|consistent)\s+"
    r"(?:answer|solution|value|number|figure|time|date|amount|result)\b"
    # The question contradicts itself: "the given conditions are inconsistent", "数据存在矛盾".
    r"|\b(?:conditions|data|information|premises?|givens?|numbers|values|question|problem)"
    r"\s+(?:(?:is|are)\s+)?(?:(?:mutually|self-?)\s*)?(?:inconsistent|contradictory|contradict)"
    r"|\b(?:inconsistent|contradictory)\s+(?:conditions|data|information|premises?|givens?)\b"
    r"|(?:数据|条件|题目|题干|已知)(?:之间|本身)?(?:存在|有|相互|互相)?矛盾|自相矛盾"
    r"|(?:\b(?:isn't|aren't|not)\s+(?:enough|sufficient)|\binsufficient)\s+to\s+"
    r"(?:determine|find|calculate|compute|pin\s+down|know)\b"
    r"|\b(?:undetermin(?:ed|able)|indeterminate|underdetermined|undefined)\b"
    r"|\b(?:not|isn't|aren't)\s+(?:\*\*)?(?:uniquely\s+|fully\s+)?determin(?:ed|able)\b"
    r"|\bno\s+(?:numerical|numeric|real|finite)\s+(?:value|answer|solution)\b"
    r"|\b(?:does\s+not|doesn't)\s+exist\b"
    r"|(?:无法|没法|没办法)(?:确定|判断|计算|求出|求得|得出|算出|回答|解答|给出|得知|知道)"
    r"|不能(?:唯一)?(?:确定|判断|求出|算出|得出)|无法唯一确定|条件不足|缺少(?:条件|信息|数据)|信息不足|数据不足"
    r"|\b(?:can't|cannot|can\s+not|impossible\s+to|no\s+way\s+to)\s+(?:know|tell|be\s+sure)\b"
    r"|\b(?:(?:is|are)\s+not|isn't|aren't)\s+(?:given|provided|specified|stated)\b"
    # "isn't enough information", "doesn't contain enough data", "has no sufficient detail"
    r"|(?:\bnot|n't|\bno)\s+(?:[a-z]+\s+){0,2}?(?:enough|sufficient)\s+"
    r"(?:information|data|info|details|context)\b"
    r"|缺乏(?:条件|信息|数据)|没有足够的(?:信息|条件|数据)|求不出|算不出"
    r"|(?:条件|信息|数据)(?:不够|不全|不完整|不充分)|(?:没有|未)(?:给出|提供|说明|告诉)"
    # Asking for what is missing: "I'd need a few details first", "need more information".
    r"|\b(?:need|needs|would\s+need|require|requires)\s+(?:more|additional|further|a\s+few"
    r"|a\s+couple\s+(?:of\s+)?|some)\s+(?:more\s+)?(?:information|info|data|details|context)\b"
    r"|\bno\s+way\s+to\s+(?:know|tell|determine)\b"
    r"|需要(?:更多|补充|额外)的?(?:信息|条件|数据)|无意义|没有意义|不存在|无解"
    # Opening the reply: "这要分情况：平年…闰年…" (with no conclusion after), "这个问题很难给出准确
    # 数字"; "The perimeter alone doesn't determine it"
    r"|^\W*(?:这|那)(?:要|得)分情况(?![\s\S]*?(?:所以|因此|综上|故))"
    r"|^\W*(?:这个问题|这个)?很难给出(?:准确|确切|具体)的?(?:数字|数值|答案)"
    r"|\balone\s+(?:doesn't|does\s+not|don't|do\s+not)\s+determine\b"
    r"|\b(?:doesn't|does\s+not)\s+determine\s+(?:it|the\s+(?:answer|value|result))\b"
    # "I'd need to know which definition your course uses", "我还需要知道以下信息"
    r"|\bI(?:'d|\s+would)\s+need\s+to\s+know\s+(?:which|what|whether|how)\b"
    r"|还?需要(?:知道|了解)(?:以下|下面|这些|几个|一些)?(?:信息|条件|数据)"
    r"|(?:答案|解|结果)(?:并)?不唯一|有无(?:数|穷)(?:多)?(?:个|种)(?:解|答案|可能|结果)"
    r"|\b(?:answer|solution|result)\s+is\s+not\s+unique\b"
    r"|\binfinitely\s+many\s+(?:answers|solutions|values|possibilities)\b"
    # "the exact number is unknown", "could be any value up to 25"
    # (unless an estimate follows: "…is unknown, but most estimates put it at 1.2 million")
    r"|\b(?:exact|precise|true|actual)\s+(?:number|figure|value|count|amount)\s+(?:is|remains)\s+"
    r"(?:unknown|not\s+known|uncertain)\b(?![^.\n]*\b(?:but|however|though)\b)"
    r"|\bcould\s+be\s+any\s+(?:value|number|amount)\b"
    # "I'd be overstating the evidence if I gave you one number", "There isn't a reliable
    # single figure"
    r"|\bif\s+I\s+gave\s+(?:you\s+)?(?:one|a\s+single)\s+(?:number|figure|value)\b"
    r"|\b(?:isn't|is\s+no|no)\s+(?:a\s+)?(?:reliable\s+|precise\s+|exact\s+)?single\s+"
    r"(?:figure|number|value)\b"
    # It cannot know: a prediction, data it has no access to, a question that is wrong.
    r"|\b(?:can\s*not|can't|cannot|unable\s+to|no\s+one\s+can|nobody\s+can)\s+"
    r"(?:(?:reliably|accurately)\s+)?(?:predict|forecast|be\s+pinned\s+down|pin\s+(?:it\s+)?down)\b"
    r"|\bcan(?:no|')t\s+(?:give|provide)\s+(?:you\s+)?(?:a|one)\s+(?:single|definitive|exact|precise)\b"
    # "I can't give you a population number", "cannot provide any figure": none to give.
    r"|\bcan(?:no|')t\s+(?:give|provide|offer|quote)\s+(?:you\s+)?(?:a|an|one|any)\s+"
    r"(?:[a-z-]+\s+){0,2}?(?:number|figure|value|answer|estimate|amount|dose)\b"
    r"|\b(?:don't|do\s+not)\s+have\s+access\s+to\b|\bnobody\s+knows\b"
    # "I don't have an exact head count for …", "我没有确切的统计数据": it disclaims the value
    # asked (unless it goes on "but it's about …" in the same sentence: an estimate it commits to).
    r"|\bI\s+(?:don't|do\s+not)\s+(?:have|know)\s+(?:an?\s+|the\s+|any\s+)?"
    r"(?:exact|precise|reliable|accurate|verified|official|definitive)\b(?![^.\n]*\bbut\b)"
    r"|我(?:并)?(?:没有|不掌握|无从得知)(?:确切|准确|精确|可靠|具体)的?(?:数据|数字|信息|统计|记录)"
    r"|无法(?:预测|预知|提前|获得|获取|求|构成)|不能预测|(?:题目|这道题|题干)(?:本身)?(?:有误|有错)",
    re.IGNORECASE,
)
# Asking the user to clarify instead of answering: "Could you tell me which Millbrook you mean?"
_ASKS_BACK = lazy(
    r"\b(?:could|can|would)\s+you\s+(?:please\s+)?(?:tell\s+me|clarify|specify|confirm)"
    r"\s+(?:which|what|whether|how\s+(?:long|many|much|old|far|often|big))\b[^?\n]{0,200}\?"
    r"|\bwhich\s+(?:one|\w+)\s+(?:do|did|are|were)\s+you\s+(?:mean|have\s+in\s+mind|want"
    r"|(?:thinking|asking)\s+(?:of|about)|referring\s+to|interested\s+in|looking\s+for)\b"
    r"[^?\n]{0,200}\?"
    r"|(?:请问|能否|可以)?(?:您|你)(?:指的|说的|问的)是哪[^?？\n]{0,200}[?？]"
    # Asking for the data it lacks: "Could you share the original price?", "请补充折扣信息",
    # "If you tell me your rate …, I can give you an exact figure", "Let me know which one".
    r"|\b(?:could|can|would)\s+you\s+(?:please\s+)?(?:share|provide|send|give)\b"
    r"[^?\n]{0,200}\?|\blet\s+me\s+know\s+which\b"
    r"|\bif\s+you\s+(?:tell|give|send|share\s+with)\s+me\b[^.\n]{0,150}\bI\s*(?:can|'ll|will)\b"
    r"|请(?:补充|提供|告诉我|给出|说明|确认|核对|核实)"
    # "你说下具体折扣我再帮你算": tell me, and I will work it out
    r"|(?:你|您)(?:说|告诉我|提供|补充|发)(?:一?下)?[^。！？\n]{0,20}?我(?:再|就|可以|来)"
    r"|(?:你|您)把[^。！？\n]{1,30}?(?:告诉|发给|给)我",
    re.IGNORECASE,
)
# A refusal at the start: numbers that follow (a help line, a phone number) are not answers.
_REFUSAL = lazy(
    r"^\W*(?:(?:sorry|I'm\s+sorry|I\s+am\s+sorry|unfortunately)[,.!]?\s*(?:but\s+)?)?"
    r"(?:I(?:\s+(?:can't|cannot|can\s+not|won't|will\s+not|am\s+not\s+able\s+to|am\s+unable\s+to)"
    r"|'m\s+(?:not\s+able|unable)\s+to)"
    # (any verb of handing over an answer: "I can't recommend a dose", "I won't advise on …")
    r"\s+(?:help|assist|provide|answer|give|share|do\s+that|support|recommend|suggest"
    r"|advise|prescribe|offer))"
    # "抱歉，看起来这是一场正在进行中的考试，我不能直接提供答案": an apology may give its reason
    r"|^\W*(?:(?:抱歉|对不起|很抱歉)[，,]?\s*[^\n。!?]{0,30}?|[^\n。!?]{0,24}?)(?:我)?"
    r"(?:无法|不能|不便)(?:直接|为你|帮你|替你|给你)?"
    r"(?:提供|回答|协助|帮助|推荐|建议|给出|告诉)"
    r"|^\W*(?:(?:抱歉|对不起|很抱歉)[，,]?\s*)?(?:这个|这件事|这)?我(?:不能|无法|没法)帮(?:你|您|忙)"
    # "这个问题我没法帮你计算。" as a sentence of its own (not "…帮你查实时数据，不过…")
    r"|^\W*这个问题我(?:不能|无法|没法)帮(?:你|您)[^，,。.\n]{0,6}[。.!！]",
    re.IGNORECASE,
)
# A line or sentence that opens a warning about a common mistake (a warning sign, an emoji or
# a 【】 heading may lead it: "⚠️ 常见错误：…", "【易错点】", "Common pitfall:").
_WARNING_LEAD = (
    r"(?:^|(?<=[.。!?！？;；\n]))[ \t>*#_(（【\[\u2600-\u27bf\ufe0f\U0001f300-\U0001faff]*"
    r"(?:(?:不过|但是?|however|but)[,，:：]?\s*)?"
    r"(?:也?有(?:些)?人(?:会|可能)?|很多(?:同学|人)|常见的?(?:错误|误区)|易错|易混|误算|误以为"
    r"|(?:若|如果|要是)(?:误用|错用|误把|误将|用错)"
    r"|a\s+(?:common|frequent|typical)\s+(?:mistake|error|wrong\s+answer|pitfall|trap)"
    r"|(?:common\s+)?(?:pitfalls?|traps?)\s*:|common\s+(?:mistakes?|errors?)\s*:"
    r"|watch\s+out|(?:don't|do\s+not)\s+confuse"
    r"|(?:some|many)\s+(?:people|students)|people\s+often|students\s+often)"
)
# Verification after the answer ("Check: 12 + 8 = 20 ✓", "验算：…") restates working, not
# the answer; the last number before it is what the model concluded.
_CHECK = lazy(
    r"(?:^|(?<=[.。!?！？:：\n]))[ \t>*#_(（\[【-]*"
    r"(?:(?:let'?s|let\s+me)\s+(?:[a-z]+\s+){0,4}?(?:to\s+)?|to\s+)?"
    # "Quick check:", "As a sanity check, …", "A final cross-check —": the same check
    r"(?:(?:as\s+)?an?\s+(?:(?:quick|final|brief|rough|last)\s+)?"
    r"|(?:quick|final|brief|rough|last|one\s+more)\s+)?"
    r"(?:check(?:ing)?|verify(?:ing)?|verification"
    r"|double[- ]check(?:ing)?|sanity[- ]check(?:ing)?|proof|cross[- ]check|note\s*:|p\.\s?s\.?"
    r"|references?\s*:|sources?\s*:|参考|验证|验算|检验|检查|核对|代入检验|注\s*:"
    r"|(?:需要)?注意(?:的是)?|备注"
    # an aside section after the answer: "拓展：如果反过来问…", "提醒：它的体积是…", "**Next
    # steps if you need them:** pOH = …"
    r"|(?:拓展|延伸)(?:练习|思考|训练)?|再?补充(?:一下|说明|一点)?|提醒|温馨提示|小贴士"
    r"|next\s+steps?(?:\s+if\s+you\s+need\s+(?:them|it))?)"
    r"(?![A-Za-z])"
    r"(?:(?<=:)|(?<=\.)|(?<=参考)|\s*(?:一下)?\s*\**\s*[:,—-]|\**\s*$)"
    # "Note that satellite data has suggested …": a caveat in a paragraph of its own, with no
    # working after it ("Note that the rate is annual, so interest = …" goes on working)
    r"|(?<=\n\n)[ \t>*#_]*note\s+that\b(?![^=]*=)"
    r"|" + _WARNING_LEAD,
    re.IGNORECASE | re.MULTILINE,
)
# A warning about the mistakes others make ("【易错点】…把20900元当作答案", "Common pitfall: …"):
# the answers it names are the wrong ones.
_WARNING = lazy(_WARNING_LEAD, re.IGNORECASE | re.MULTILINE)
_ANSWER_WORD = lazy(r"答案|\banswers?\s+(?:is|are)\b", re.IGNORECASE)
# A check that goes on to conclude is part of the working, not an aside after the answer.
# (and a note that says what was asked goes on to answer it: "题目问的是利息…：利息 = …")
_CONCLUDES = lazy(r"\b(?:answer|therefore|thus|hence)\b|答案|所以|因此|综上|题目问的是"
                  r"|\bthe\s+question\s+asks\b", re.IGNORECASE)
# A sentence that states the conclusion ("So she has 17 left", "所以最大的内角是八十度").
_CONCLUSION_START = lazy(
    r"(?:^|(?<=[.。!?！？;；\n]))[ \t>*#_]*"
    r"(?:so|therefore|thus|hence|in\s+total|altogether|overall|finally|in\s+all"
    r"|所以|因此|故|综上|总之|最终|最后|即(?=[^将使便]))(?![A-Za-z])",
    re.IGNORECASE | re.MULTILINE,
)
# Numbers that label, not count: step and list numbers, clock times, dates.
_MONTH = (r"(?-i:(?:January|February|March|April|May|June|July|August|September|October"
          r"|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)")
_LABEL_PARTS = (
    r"\b(?:step|part|case|method|approach|question|problem|q|chapter|section|page|figure"
    r"|fig|table|exercise|example|lesson|unit|grade|round|version|v"
    # the number of one of several ways through ("Way 2:", "Solution 1", "Attempt 3")
    r"|way|solution|attempt)\.?\s*#?\d+(?:\.\d+)*\b(?!\s*[×*/÷+=-]\s*\d)"
    r"|^[ \t>*#]*\(?\d{1,2}[.)、](?=\s|[A-Za-z\u4e00-\u9fff*])"
    r"|第\s*\d+\s*(?:步|题|问|部分|种|章|页|节)|\bpp?\.\s*\d+(?:\s*[-–]\s*\d+)?"
    r"|(?:方法|解法|思路)\s*\d+(?=\s*[:：)）】]|\s*$)"
    # a clock time: "10:20 pm", "at 7:45"
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\b\.?)|(?<=\bat\s)\d{1,2}:\d{2}\b"
    # the day of a date: "July 20", "21st of July", "10月1日"
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?![.:]\d)"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?![A-Za-z])"
    r"|(?<![\d.])\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
    # a number that owns something is part of a name: "Apollo 11's lunar module"
    r"|(?<![\d.,])\d+(?=['’]s\b)"
)
# A whole English date, its year too: "21 July 1983", "November 9, 1989" (first: the parts
# above mask only the day and month).
_FULL_DATE = (rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}\b"
              rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b")
_LABELS = lazy(
    _FULL_DATE + "|" + _LABEL_PARTS
    + r"|\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?",
    re.IGNORECASE | re.MULTILINE,
)
# The same, where the question asks for a year: a date's year is then the answer, and only
# its month and day are labels ("成立于1949年10月1日" asked 哪一年).
_LABELS_BUT_YEARS = lazy(
    _LABEL_PARTS + r"|(?<=\b\d{4})[-/.]\d{1,2}[-/.]\d{1,2}\b|(?<=年)\s*\d{1,2}\s*月",
    re.IGNORECASE | re.MULTILINE,
)
_YEAR_ASKED = lazy(
    r"哪一?年|(?:什么|哪个)年份|\b(?:what|which)\s+year\b|\byear\s+(?:did|was|were|is)\b"
    # "When did WWII end? Give the year.", "（写出年份）": the year is asked outright
    r"|\b(?:give|state|name|write)\s+(?:the|its)\s+year\b|\b(?:answer\s+)?with\s+the\s+year\b"
    r"|(?:写出|给出|回答|只写|填)(?:具体)?年份",
    re.IGNORECASE,
)
_ARITHMETIC = lazy(r"\d\s*[×*/÷+]\s*\d|\d\s+[-x]\s+\d")
# (one level of nesting: "(Under straight-line it would be ($50,000 − $5,000)/5 = $9,000.)")
_PARENS = lazy(r"\((?:[^()\n]|\([^()\n]*\))*\)|（(?:[^（）\n]|（[^（）\n]*）)*）")
# After a computed result, an operator or a variable means the number was only a factor.
_OPERATOR_AFTER = lazy(r"\s*(?:[(（](?=\s*[-\d.a-z])|[+\-×/÷^=]|\*(?!\*)|[a-z](?![a-z]))")
# "The remaining 75% ($60k) is split ...", "另外两个角分别是…": an aside about other quantities.
_ASIDE_START = lazy(
    r"(?:^|(?<=[.。!?！？;；\n]))[ \t>*#_(（•-]*(?:the\s+(?:remaining|rest|other)|another|其余|另外|其他"
    r"|此外|顺便(?:一提|说一下|说一句)?|相比之下|对比一下|供参考|附[:：]|by\s+the\s+way|also,"
    r"|in\s+addition|for\s+comparison|for\s+reference|fun\s+fact|incidentally|side\s+note"
    # a further fact about the subject: "It also has 8 vertices and 6 faces", "它还有…"
    r"|(?P<also>(?:it|they|this|that|he|she)\s+also\s+(?:has|have|had|is|are|was|were|contains?))"
    # the change the result makes: "That's an increase of 120,000 residents."
    r"|(?P<change>(?:that'?s|that\s+is|this\s+is)\s+an?\s+(?:increase|decrease|rise|drop|gain"
    r"|loss|change|difference|raise|cut)\s+of)"
    # what is left over, in a sentence of its own: "剩下的60%（即7200元）用于日常开销"
    r"|(?P<left>剩下的?|剩余的?)"
    r"|as\s+an\s+aside|let\s+me\s+know|hope\s+(?:this|that)\s+helps|feel\s+free"
    r"|if\s+you\s+(?:have|need|want|'d\s+like)|希望(?:这|对你|以上)|如有疑问|如果还有|如需"
    # a tip or a memory aid, a breakdown of the total just stated (其中利息为…), a footnote
    # ("其中：" opening a list of a formula's terms is no breakdown: "其中：\n- 本金 P = …")
    r"|(?:memory\s+)?tips?\s*:|(?:记忆|解题|小)?(?:技巧|小贴士|窍门)|提示\s*:|其中(?!\s*[:：])"
    r"|补充(?:一下|说明|一点)?\s*[:：]"
    # another scenario: "If you'd rather round up, …", "如果油价按 8 元/升计算，…" (guarded
    # in ``_other_scenario``: only after a result, and never when it computes); a counterfactual
    # ("If instead it had taken two years, …", "Had the rate been 5%, …") likewise
    r"|(?P<hypo>if(?:\s+(?:you|instead))?|had(?=\s+(?:the|it|she|he|they|we|you|this)\b)"
    r"|(?:如果|假如|要是|若)(?:你|您)?))"
    r"(?![A-Za-z])",
    re.IGNORECASE | re.MULTILINE,
)
_RESULT = lazy(r"(?:=|≈|得)\s*")
_DIGIT_RUN = lazy(r"\d+")
_EQUATION_RESULT = lazy(r"[=≈][\s$*]*$")


def _blank(m: re.Match[str]) -> str:
    """Replacement keeping positions: the match turned into spaces."""
    return " " * len(m.group())


def _settle(n: _Number, text: str) -> _Number | str:
    """Check the number read from ``text`` against the company it keeps.

    Returns a reason string when the number is one end of a range or a hedge (the model did
    not commit to one value), the percentage when the sentence says "20 is 25% of 80", and
    the number itself otherwise.
    """
    if n.kind == "zh" and any(m.start() <= n.start < m.end()
                              for m in _ZH_RANGE.finditer(text, max(0, n.start - 40),
                                                          n.end + 40)):
        return "range"  # "一万五千到两万七千个", "六百到八百人之间"
    if len(_DIGIT_RUN.findall(text)) < 2:
        return n  # a range or a hedge needs two numbers, each with a digit: skip the scans
    scans = [(_RANGE, "range"), (_HEDGED, "hedged")]
    if "都" in text or "both" in text.lower():
        scans.append((_BOTH_OPEN, "hedged"))
    for pattern, reason in scans:
        # Matches may overlap: in "21棵，也可能是20棵或19棵" the 20 belongs to two hedges.
        pos = max(0, n.start - _MAX_SEGMENT)
        while (m := pattern.search(text, pos, n.end + _MAX_SEGMENT)) is not None:
            pos = m.start() + 1
            if not (m.start() <= n.start < m.end() or m.start() < n.end <= m.end()):
                continue
            ends = [x for x in _arabic_numbers(m.group())]
            if _one_value(ends) or len({x.percent for x in ends}) > 1:
                # "0.5 (or 1/2)", "enter either 7/3 or 2.333" restate one value; "by 15% to
                # 1.15 million" is a change
                continue
            return reason
    return n


_ZH_RANGE = lazy(rf"{_ZH_CHAR}+[^\d\n，。,;；]{{0,3}}?(?:到|至|～|~|—|-){_ZH_CHAR}+")


def _one_value(nums: Sequence[_Number]) -> bool:
    """Whether the numbers all state one value, some rounded: 7/3, 2.333 and 2.33 do."""
    def places(x: _Number) -> int | None:
        digits = re.search(r"\.(\d+)", x.text)
        return len(digits.group(1)) if digits else None

    if not nums:
        return True
    first = nums[0]
    for x in nums[1:]:
        if x.value == first.value:
            continue
        rounded = [(a, b) for a, b in ((x, first), (first, x)) if places(a) is not None]
        if not any(round(b.value, places(a) or 0) == a.value for a, b in rounded):
            return False
    return True


def _results_before(text: str, end: int) -> set[Fraction]:
    """Values the working computed before ``end``: the first number after each ``=``."""
    found: set[Fraction] = set()
    for m in _RESULT.finditer(text, 0, end):
        rhs = re.split(r"[\n。;；,，]", text[m.end() : m.end() + 60], maxsplit=1)[0]
        nums = _numbers_in(rhs)
        lead = len(rhs) - len(rhs.lstrip(" *$\\{"))
        if nums and nums[0].start <= lead and not _OPERATOR_AFTER.match(rhs, nums[0].end):
            found.add(nums[0].value)
    return found


# Units of measure, each spelled the ways replies write it, longest spellings first. A value
# "carries" a unit when the unit follows it; one letter is a unit only when nothing
# alphabetic or a "/" or power follows ("5 m" is metres, "5 m/s" is a speed, "5 mol" moles).
_MEASURES: tuple[tuple[str, str], ...] = (
    ("m/s2", r"m/s\^?2|m\s*·\s*s\^-2|米/秒\^?2|米每二次方秒|met(?:er|re)s?\s+per\s+second\s+squared"),
    ("m/s", r"m/s|m\s*·\s*s\^-1|米/秒|米每秒|met(?:er|re)s?\s+per\s+second"),
    ("km/h", r"km/h|kph|(?:千米|公里)/(?:小)?时|(?:千米|公里)每小?时"
             r"|kilomet(?:er|re)s?\s+(?:per|an)\s+hour"),
    ("mph", r"mph|miles?\s+(?:per|an)\s+hour"),
    ("mpg", r"mpg|miles?\s+per\s+gallon"),
    ("km2", r"km\^?2|square\s+kilomet(?:er|re)s?|平方千米|平方公里"),
    ("m2", r"m\^?2|square\s+met(?:er|re)s?|平方米"),
    ("ha", r"ha|hectares?|公顷"),
    ("mu", r"亩"),
    ("cm2", r"cm\^?2|square\s+centimet(?:er|re)s?|平方厘米"),
    ("ft2", r"ft\^?2|square\s+(?:feet|foot)|平方英尺"),
    ("km", r"km|kilomet(?:er|re)s?|千米|公里"),
    ("cm", r"cm|centimet(?:er|re)s?|厘米"),
    ("mm", r"mm|millimet(?:er|re)s?|毫米"),
    ("nm", r"nm|nanomet(?:er|re)s?|纳米"),
    ("m", r"m|met(?:er|re)s?|米"),
    ("mL", r"mL|ml|millilit(?:er|re)s?|毫升"),
    ("L", r"L|lit(?:er|re)s?|升"),
    ("oz", r"(?:US\s+)?(?:fluid\s+)?ounces?|fl\.?\s*oz|oz"),
    ("kg", r"kg|kilograms?|千克|公斤"),
    ("g", r"g|grams?|克"),
    ("mol", r"mol|moles?|摩尔"),
    ("kJ", r"kJ|kilojoules?|千焦"),
    ("J", r"J|joules?|焦耳|焦"),
    ("eV", r"eV|electron[\s-]?volts?"),
    ("N", r"N|newtons?|牛顿|牛"),
    ("mA", r"mA|milliamps?|milliamperes?|毫安"),
    ("A", r"A|amps?|amperes?|安培|安"),
    ("V", r"V|volts?|伏特|伏"),
    ("kW", r"kW|kilowatts?|千瓦"),
    ("W", r"W|watts?|瓦特|瓦"),
    ("kPa", r"kPa|kilopascals?|千帕"),
    ("Pa", r"Pa|pascals?|帕斯卡|帕"),
    ("ohm", r"Ω|ohms?|欧姆|欧"),
    ("min", r"min|mins|minutes?|分钟"),
    ("h", r"h|hrs?|hours?|个?小时"),
    ("s", r"s|secs?|seconds?|秒"),
    ("day", r"days?|天"),
    ("degC", r"°\s*C|℃|degrees?\s+Celsius|摄氏度"),
    ("degF", r"°\s*F|degrees?\s+Fahrenheit|华氏度"),
    ("deg", r"°|degrees?|度"),
    ("cent", r"cents?|¢|美分"),
    ("money", r"dollars?|USD|yuan|RMB|euros?|元|块钱"),
    # a count of things (6.02×10²³个分子): never a measured quantity asked in a unit
    ("count", r"个|只|本|棵|张|条|名|位|件|辆|人"),
)
_MEASURE_AFTER = lazy(
    r"[ \t*$}]*[(（]?\s*(?:"
    + "|".join(rf"(?P<u{i}>{pattern})" for i, (_, pattern) in enumerate(_MEASURES))
    + r")(?![A-Za-z0-9/^·])"
)
_MONEY_BEFORE = lazy(r"[$¥€£]\s*(?:\*\*)?\s*-?$")
# The unit a question asks in: "in joules", "how many minutes", "多少米", "（单位：s）".
_MEASURE_ASKED = lazy(
    r"(?:单位|unit)\s*(?:[:：为是]|\s)\s*(?P<a>\S)"
    r"|\b(?:in|into|to)\s+(?:units\s+of\s+)?(?P<b>[A-Za-z°Ω])"
    r"|\bhow\s+many\s+(?P<c>[A-Za-z])"
    r"|(?:多少|几)\s*个?\s*(?P<d>\S)"
    # "…的大小（m/s）。", "（单位：s）"
    r"|[(（]\s*(?:(?:单位|units?)\s*[:：]?\s*)?(?P<e>[^\s)）][^()（）]{0,11}?)\s*[)）]\s*[?？。.]?\s*$",
    re.IGNORECASE,
)
_PERCENT_ASKED = lazy(
    r"\b(?:what|which|as\s+a|in)\s+(?:percentage|percent)\b|\bby\s+how\s+many\s+percent\b"
    r"|\b(?:percentage|percent)\s+(?:increase|decrease|change|gain|loss|growth|drop|discount"
    r"|return|markup|error)\b|\b(?:discount|increase|decrease|change)\s+percentage\b"
    r"|百分之几|(?:百分比|百分数|百分率|质量分数|(?<!概|频|效|功)率)\s*(?:是|为|约为|等于)?\s*(?:多少|几)",
    re.IGNORECASE,
)


def _measure(text: str, n: _Number) -> str:
    """The unit ``n`` is written with in ``text`` ("" when none the table knows)."""
    if n.percent:
        return "%"
    # "$1.5×10^{11}$ m": a "$" that closes again right after the value delimits LaTeX math.
    if (_MONEY_BEFORE.search(text, max(0, n.start - 4), n.start)
            and not text[n.end : n.end + 4].lstrip(" }").startswith("$")):
        return "money"
    m = _MEASURE_AFTER.match(text, n.end)
    if m is None:
        return ""
    return next(_MEASURES[int(k[1:])][0] for k, v in m.groupdict().items() if v is not None)


def _asked_measure(question: str) -> str:
    """The unit of measure the question asks its answer in, or "" when it names none."""
    question = _clean_latex(_prepare(question))
    if _PERCENT_ASKED.search(question):
        return "%"
    found = ""
    for m in _MEASURE_ASKED.finditer(question):
        unit = _MEASURE_AFTER.match(question, m.start(m.lastgroup or 0))
        if unit is not None and m.lastgroup == "e" and unit.end() != m.end("e"):
            continue  # "（g取10 m/s²）" is a given, not the unit asked in
        if unit is not None and m.lastgroup is not None:
            found = next(_MEASURES[int(k[1:])][0] for k, v in unit.groupdict().items()
                         if v is not None)
    return found


class _Asked:
    """What the question asks for: the unit after "多少"/"how many", and its scale.

    "这个班有多少名同学" asks in 名, so of "9名同学，共有树苗59棵" the 9 answers it; "今年GDP为多少
    亿元" asks in 亿元, so "3710亿元" answers 3710, not 371000000000. ``measure`` is the unit
    of measure it asks in ("in joules" → ``J``, "多少米/秒" → ``m/s``, a percentage → ``%``).

    Each part is read from the question on first use, not up front: most answers are settled
    by a rule that never asks (one number after "The answer is"), and reading the question
    cost more than reading the answer (``benchmarks/overhead.py``).
    """

    def __init__(self, question: str | None = None) -> None:
        self.question = question or ""

    @functools.cached_property
    def _unit_scale(self) -> tuple[str, str]:
        hits = list(_ZH_ASKED.finditer(self.question)) + list(_EN_ASKED.finditer(self.question))
        if not hits:
            return "", ""
        m = max(hits, key=lambda h: h.start())
        groups = m.groupdict()
        unit = (groups.get("unit") or groups.get("unit2") or "").lower()
        if unit.isascii() and len(unit) > 3 and unit.endswith("s"):
            unit = unit[:-1]  # "how many bones": "206 bones" and "1 bone" both carry it
        scale = (groups.get("scale") or groups.get("scale2") or "").lower()
        return ("" if unit in _NOT_UNITS else unit), scale

    @property
    def unit(self) -> str:
        return self._unit_scale[0]

    @property
    def scale(self) -> str:
        return self._unit_scale[1]

    @functools.cached_property
    def comparative(self) -> bool:
        """"how many more …", "多多少": a comparison is the answer."""
        return bool(self.question) and _COMPARATIVE_QUESTION.search(self.question) is not None

    @functools.cached_property
    def year(self) -> bool:
        """"哪一年", "in what year": a date's year is the answer, not a label."""
        return bool(self.question) and _YEAR_ASKED.search(self.question) is not None

    @functools.cached_property
    def measure(self) -> str:
        return _asked_measure(self.question) if self.question else ""

    @functools.cached_property
    def _subject_head(self) -> tuple[frozenset[str], frozenset[str]]:
        return _asked_subject(self.question) if self.question else (frozenset(), frozenset())

    @property
    def subject(self) -> frozenset[str]:
        """The asking clause's words (Chinese: character pairs)."""
        return self._subject_head[0]

    @property
    def head(self) -> frozenset[str]:
        """The terms of the thing asked after its last 的 ("原分数的分母是多少" → 分母): the
        owner before 的 is context, so a clause naming only the owner is about another value."""
        return self._subject_head[1]

    def clause_about(self, segment: str, given: AbstractSet[Fraction] = frozenset()) -> str | None:
        """Of an answer sentence that states several values in clauses ("兔有12只，鸡有23只",
        "最小公倍数是72，最大公因数是6"), the one clause about what the question asks, when
        exactly one matches it best; None when the sentence has one value or no clause wins.
        """
        clauses = [c for c in _CLAUSE_SPLIT.split(segment) if _numbers_in(c, lenient=True)]
        if len(clauses) < 2 or not self.subject:
            return None
        scores = sorted((((len((terms := _subject_terms(c)) & self.head),
                           len(terms & self.subject)), c) for c in clauses),
                        key=lambda t: t[0], reverse=True)
        best = scores[0][1]
        if (scores[0][0][1] == 0 or scores[0][0] == scores[1][0]
                or len({n.value for n in _numbers_in(best) if n.value not in given}) > 1):
            return None  # no clause wins, or the winner is a list or working ("3, 4, 5")
        return best

    def in_measure(self, text: str, n: _Number, nums: Sequence[_Number]) -> _Number:
        """``n``, or the last of ``nums`` in the asked unit when ``n`` is in another unit.

        "t = 3 s … 落地速度 v = 30 m/s" asked in seconds: the value in the asked unit is the
        answer, and one written in another unit after it is a related quantity or the same
        value restated ("1.5e-3 A. That's 1.5 mA"). A value without a unit proves nothing.
        """
        if not self.measure:
            return n
        unit = _measure(text, n)
        if not unit or unit == self.measure:
            return n
        carriers = [x for x in nums if _measure(text, x) == self.measure] or [
            # ("$2.40 ÷ 8 = $0.30, so one pencil costs thirty cents." asked in cents: the
            # value in the asked unit may be said in words, which prose beside digits is not)
            x for x in _word_numbers(text) if _measure(text, x) == self.measure]
        return carriers[-1] if carriers else n

    def carries(self, text: str, n: _Number) -> bool:
        """Whether ``n`` in ``text`` is written with the unit the question asks for."""
        if not self.unit:
            return False
        after = text[n.end : n.end + 40]
        if _is_cjk(self.unit[0]):
            return after.lstrip(" \t*").startswith(self.unit)
        return re.match(rf"\s*(?:[a-z-]+\s+)?{re.escape(self.unit)}(?:e?s)?\b", after,
                        re.IGNORECASE) is not None

    def rescale(self, n: _Number) -> _Number:
        """``n`` in the question's scale, when written with it ("3710亿" asked in 亿 → 3710)."""
        if not self.scale or n.percent or not n.raw.rstrip().lower().endswith(self.scale):
            return n
        value = n.value / _MULTIPLIERS[self.scale]
        return dataclasses.replace(n, value=value, text=("-" if value < 0 else "")
                                   + _format(abs(value)))


_ZH_ASKED = lazy(
    r"(?:多少|几)\s*(?P<scale>万亿|亿|万)?\s*(?P<unit>[\u4e00-\u9fff])?"
    # "…收入多少？（单位：万元）": the unit given apart
    r"|单位\s*(?:[:：]|为|是)\s*(?P<scale2>万亿|亿|万)(?P<unit2>[\u4e00-\u9fff])?")
_EN_ASKED = lazy(
    r"\bhow\s+many\s+(?:(?P<scale>thousand|million|billion)s?\s+(?:of\s+)?)?(?P<unit>[a-z]+)?"
    r"|\bin\s+(?P<scale2>thousand|million|billion)s\b",
    re.IGNORECASE,
)
_COMPARATIVE_QUESTION = lazy(
    r"\bhow\s+(?:many|much)\s+(?:[a-z]+\s+)?(?:more|fewer|less|greater|larger|smaller|taller"
    r"|shorter|older|younger|longer|heavier|lighter|higher|lower|further|farther)\b"
    r"|\bdifference\b|(?:多|少|大|小|高|低|长|短|重|轻)(?:了)?(?:多少|几)|相差|差(?:多少|几)",
    re.IGNORECASE,
)
_NOT_UNITS = frozenset({"of", "more", "times", "are", "is", "do", "does", "were", "will", "can",
                        "的", "个", "人", "次", "是", "少"})


# A question nobody gave: every part empty (the default where a caller has no question).
_NOT_ASKED = _Asked()


# Clause breaks, but not inside "4,096" or a list of numbers ("3, 4, 5").
_CLAUSE_SPLIT = lazy(r"[,，;；、](?!\s*[-+$¥]?\d)|\s(?:and|but)\s|而|并且")
_ASKING = lazy(r"多少|几|求|是什么|哪|何时|什么时候"
               r"|\b(?:what|how|which|when|find|calculate|compute|convert|determine|estimate)\b"
               # A fill-in blank asks too: "斜率为 ______", "the slope is ___", "等于（　　）".
               r"|_{2,}|\(\s+\)", re.IGNORECASE)
# Words that name nothing, hedges included: "roughly how many", "about how far" ask the
# same thing without them, and replies seldom repeat them.
_STOP_WORDS = frozenset({"what", "how", "which", "the", "and", "for", "are", "was", "were", "did",
                         "does", "many", "much", "its", "this", "that", "with", "from", "find",
                         "calculate", "your", "you", "into", "after", "will", "have", "has",
                         "roughly", "approximately", "about", "around", "nearly", "exactly"})


def _subject_terms(text: str) -> frozenset[str]:
    """The words of ``text`` that name things: English words, and Chinese character pairs."""
    words = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)} - _STOP_WORDS
    han = re.sub(r"[^\u4e00-\u9fff]+", " ", text)
    pairs = {run[i : i + 2] for run in han.split() for i in range(len(run) - 1)}
    return frozenset(words | pairs)


def _asked_subject(question: str) -> tuple[frozenset[str], frozenset[str]]:
    """The terms of the clause that asks ("问兔有几只" → 兔有; "五年级分得多少本" → 五年级分得),
    and of its head, the part after its last 的 ("区间上的最大值" → 最大值; empty without 的).

    A comma before a number ("在区间[-2, 2]上", "$2,500") does not end the clause."""
    question = _prepare(question)
    clauses = [c for c in _QUESTION_CLAUSE.split(question) if c.strip()]
    asking = [c for c in clauses if _ASKING.search(c)]
    if not asking:
        return frozenset(), frozenset()
    clause = _ASKING.sub(" ", asking[-1])  # "五年级分得多少本" → 五年级分得
    subject = frozenset(t for t in _subject_terms(clause) if t not in ("问题", "请问"))
    head = _subject_terms(clause.rpartition("的")[2]) & subject if "的" in clause else frozenset()
    return subject, head


# (A quoted passage's last sentence ends at its closing quote: '…bought the shop." In which…'.)
_QUESTION_CLAUSE = lazy(r"[,，](?!\s*[-+$¥]?\d)|[。;；?？!！\n]|(?<![A-Z])\.[\"'”’」]?(?=\s)")


def _marker_number(
    segment: str, text: str, later_start: int, *, chinese: bool, computed: set[Fraction],
    given: AbstractSet[Fraction] = frozenset(), asked: _Asked = _NOT_ASKED,
) -> tuple[_Number, str] | None:
    """The number an answer sentence states, and the part of the sentence it was read from.

    Answer sentences carry other numbers too: rejected values ("5, not 6", "不是32，而是28"), the
    reason ("18, because 9 × 2 = 18"), the working ("365 − 100 = 265"), asides in parentheses,
    restatements ("也就是下跌了1.5元") and conversions ("2.5 hours, or 150 minutes"). So the
    rejected part, the reason and the restatement are dropped, the result after the last "="
    is taken, and parentheses only count when nothing else does. Of what is left, a number the
    working computed, or the text after the sentence restates, wins; otherwise English answers
    state the value first ("The answer is 2.5 hours, or 150 minutes") while Chinese ones put
    it last ("答：两人合作需要六天完成", "答：鸡有23只，兔有12只").
    """
    original, offset = segment, 0
    about = asked.clause_about(segment, given)
    if about is not None:  # "答：兔有12只，鸡有23只" asked 兔有几只
        offset = segment.index(about)
        segment = about
    rejected = _REJECTED.search(segment)
    if rejected and _numbers_in(segment[: rejected.start()]):
        segment = segment[: rejected.start()]  # "5, not 6"
    elif rejected:
        dropped = _AR_NUMBER.search(segment, rejected.end()) or _ZH_NUMBER.search(
            segment, rejected.end()
        )
        if dropped and _numbers_in(segment[dropped.end() :]):
            offset += dropped.end()
            segment = segment[dropped.end() :]  # "not 5 but 6"
    because = _BECAUSE.search(segment)
    if because and _numbers_in(segment[: because.start()]):
        segment = segment[: because.start()]
    so = _SO.search(segment)
    if so and _numbers_in(segment[so.end() :]):
        offset += so.end()
        segment = segment[so.end() :]  # "12 apples and 8 oranges, so 20 fruits in total"
    restated = _RESTATED.search(segment)
    if (restated and _numbers_in(segment[: restated.start()])
            and not _EXPRESSION_END.search(segment, 0, restated.start())):
        segment = segment[: restated.start()]
    change = _CHANGE_CLAUSE.search(segment)
    if (change and _numbers_in(segment[: change.start()]) and not asked.comparative
            and not _CHANGE_ASKED.search(" ".join(sorted(asked.subject)))
            and not _CHANGE_QUESTION.search(asked.question)):
        # "即约3533.3亿元，两年间增加了约176.7亿元" asked the value: the change it made is another
        # quantity, told after the answer
        segment = segment[: change.start()]
    if "=" in segment and _numbers_in(segment[segment.rindex("=") + 1 :]):
        offset += segment.rindex("=") + 1
        segment = segment[segment.rindex("=") + 1 :]

    def at(n: _Number) -> tuple[_Number, str]:
        return dataclasses.replace(n, start=n.start + offset, end=n.end + offset), original

    share = _share_of(segment)
    if share is not None:
        return at(share)
    outside = _PARENS.sub(_blank, segment)
    source = outside if _numbers_in(outside, lenient=True) else segment
    # One-character Chinese numerals (三年, 两人) only count as evidence the working or the
    # question backs; by default the unmistakable numbers decide.
    nums = _numbers_in(source, lenient=True)
    if not nums:
        return None
    plain = _numbers_in(source) or nums
    if len({n.value for n in nums}) > 1:
        later = _numbers_in(text[later_start:])
        if later:
            for n in plain:
                # A value the question gave ("2023年…约为多少元" → "答：2023年GDP约为126.1万亿
                # 元" then a source dated 2023) is a qualifier the later text repeats, not the
                # result it restates.
                if n.value == later[-1].value and n.value not in given:
                    return at(n)
        carrying = [n for n in nums if asked.carries(source, n)]
        if carrying and len({n.value for n in carrying}) == 1 and len(carrying) < len(nums):
            return at(carrying[-1])  # "答：这个班有9名同学，共有树苗59棵" asked 多少名同学
        worked = [n for n in nums if n.value in computed]
        if worked and len({n.value for n in worked}) < len({n.value for n in nums}):
            return at(worked[-1] if chinese else worked[0])
        new = [n for n in nums if n.value not in given]
        if new and len(new) < len(nums):
            return at(new[-1] if chinese else new[0])  # "答：三年后…是儿子的4倍" restates the 4
    return at(plain[-1] if chinese else plain[0])


_SHARE_OF = lazy(
    r"(?:\bis|\bare|\bwas|\bwere|represents?|makes?\s+up|equals?|=)\s+"
    r"(?:about\s+|approximately\s+|roughly\s+|exactly\s+)?(?P<p>[^\s=]\S*(?:\s+\S+)?)\s+of\b",
    re.IGNORECASE,
)


def _share_of(text: str) -> _Number | None:
    """The share stated by "20 is 25% of 80" or "45 minutes is three quarters of an hour":
    a percentage or a fraction that the sentence says one quantity is of another."""
    for m in _SHARE_OF.finditer(text):
        part = m.group("p")
        nums = _numbers_in(part)
        if len(nums) == 1 and (nums[0].percent or 0 < nums[0].value < 1):
            n = nums[0]
            return dataclasses.replace(n, start=n.start + m.start("p"), end=n.end + m.start("p"))
    return None


def _last_marker_number(
    answer: str, truncated: bool, given: AbstractSet[Fraction] = frozenset(),
    asked: _Asked = _NOT_ASKED,
) -> tuple[int, _Number | str, str] | None:
    """The number stated by the last answer sentence that states one, scanning from the end.

    An answer sentence that states a range, a hedge, or that the answer cannot be determined
    yields its reason instead of a number. Markers of a rejected answer ("a frequent wrong
    answer is 350") are skipped, and so are sum words (合计) inside a table, which label a row,
    and on a check line, which add up the check's parts. When one sentence holds several markers, the first speaks for it. In a truncated response
    a sentence that runs into the cut is skipped: its number may be half-written.
    """
    markers: list[re.Match[str]] = []
    asides: list[re.Match[str]] | None = None
    for m in _NUM_MARKER.finditer(answer):
        # ("Note: if it were 7 / 2 * 3 + 1, the result would be 11.5": a case contrary to fact)
        if _conditional(answer, m.start(), m.group()):
            continue
        opened = max(answer.rfind(c, 0, m.start()) for c in "。!?！？\n") + 1
        if (_ZH_SUPPOSE.match(answer, opened)
                and (markers or _CONCLUSION_START.search(answer, m.end()) is not None
                     # ("…所以无法求出小明有多少张。\n\n如果补充条件，…那么小明有31张")
                     or _CANNOT_SOLVE.search(answer, 0, opened) is not None)):
            # "如果分开买，…一共要付 263 元。…所以实际需付 213 元": a case supposed; so is one
            # after the answer ("答案：36平方米\n\n如果每平方米收菜15千克，一共可收540千克")
            continue
        if asides is None:
            asides = list(_PARENS.finditer(answer))
        # "…大约等于20000。（精确计算结果为20696。）": a marker in a bracketed aside, after a
        # value was stated, speaks of another quantity.
        if any(p.start() < m.start() < p.end() and _numbers_in(answer[: p.start()])
               for p in asides):
            continue
        if _WRONG_BEFORE.search(answer, max(0, m.start() - 30), m.start()):
            continue
        line_start = answer.rfind("\n", 0, m.start()) + 1
        # "验证：甲6天完成6/10，乙…，合计10/10=1 ✓": a sum in a check adds up the check's parts.
        if m.group("sum") and (_TABLE_LINE.match(answer, line_start)
                               or _CHECK.search(answer, line_start, m.start())):
            continue
        # "【答案】900元 … 【易错点】…把20900元当作答案": once an answer was stated, a marker in a
        # paragraph that warns of a common mistake names the wrong answer.
        # (within the marker's paragraph, and near it: a scan of each marker's whole paragraph
        # grows with the square of the text)
        if markers and _WARNING.search(
                answer, max(answer.rfind("\n\n", 0, m.start()) + 1, m.start() - 300), m.start()):
            continue
        markers.append(m)
    used: set[int] = set()
    for m in reversed(markers[-_MAX_MARKERS:]):
        sentence = max(answer.rfind(c, 0, m.start()) for c in "。!?;\n.") + 1
        first = next(x for x in markers if x.start() >= sentence)
        if first.start() in used:
            continue
        used.add(first.start())
        m = first
        start = _skip(_NUM_LEAD, answer, m.end())
        stop = _SENTENCE_END.search(answer, start, start + _MAX_SEGMENT)
        if truncated and stop is None and start + _MAX_SEGMENT >= len(answer):
            continue
        segment = answer[start : stop.start() if stop else start + _MAX_SEGMENT]
        if m.group()[:1] in "\"'":
            # a JSON key's value ends at its quote or comma: '"final_answer": "950.15", …'
            segment = _JSON_VALUE_END.split(segment, maxsplit=1)[0]
        if "(" in segment or "（" in segment:
            # "Answer: 44.8 L (= 0.0448 m³)": the value stated, not its aside's conversion
            bare = _PARENS.sub(_blank, segment)
            if _numbers_in(bare):
                segment = bare
        if m.group("sum") and (segment.count("=") >= 2 or (
                "=" in segment and _CONCLUSION_START.search(answer, stop.end() if stop else m.end()))):
            # "一共 2 + 3 + 4 = 9 份，每份 180° ÷ 9 = 20°": a sum inside the working; so is one
            # worked out before a conclusion ("一共5人，…5 × 4 = 20。…所以共有10种")
            continue
        chinese = any(_is_cjk(c) for c in m.group())
        read = _marker_number(segment, answer, stop.end() if stop else len(answer),
                              chinese=chinese, computed=_results_before(answer, m.start()),
                              given=given, asked=asked)
        # "答案可能是34999，也可能题目有误": the answer sentence itself takes its value back.
        doubted = (_UNDETERMINED.search(segment) or _UNSURE.search(segment)
                   # "…there are many valid answers: s could be 30 (p = 0), 28 …"
                   or _MANY_ANSWERS.search(answer, max(sentence, m.start() - 60), m.end()))
        two = _two_values_or(segment)
        if (read is not None and m.group("sum")
                and _derived_total(answer, m.start(), read[0].value, given, asked) is not None):
            continue  # "利息 350 元，本息合计 20350 元" asked the interest
        if read is not None and _plausible(read[0], segment) and not doubted and not two:
            return m.start(), _settle(*read), "marker"
        if doubted:
            return m.start(), "undetermined", "marker"
        if two:
            return m.start(), "hedged", "marker"
    return None


# After an answer, words that leave it open between candidate values ("24或25都有可能", "I'm
# not sure which of the two"); a caveat ("实际取决于路况", "it depends on rounding") does not.
# Two values joined by "or" that open a marker's sentence: "the answer is 52 or 53".
_VALUE_UNIT = r"(?:[A-Za-z°µμΩ/\u4e00-\u9fff]{1,6}(?:\^\d)?)?"
_VALUE_OR_VALUE = lazy(rf"\s*[-+$¥]?\d[\d.,]*%?\s*(?P<u>{_VALUE_UNIT})\s*(?:or|或者?|还是)\s*"
                       rf"[-+$¥]?\d[\d.,]*%?\s*(?P<v>{_VALUE_UNIT})", re.IGNORECASE)


def _two_values_or(segment: str) -> bool:
    """Whether a marker's sentence opens with two different values offered as alternatives
    ("Depending on how the problem is read, the answer is 314 cm² or 78.5 cm²"); not one value
    restated ("0.5 or 50%", "1.5 hours or 90 minutes": another unit)."""
    m = _VALUE_OR_VALUE.match(segment)
    if m is None or m.group("u").lower() != m.group("v").lower():
        return False
    nums = _numbers_in(segment[: m.end() + 24])
    if len(nums) < 2:
        return False
    a, b = nums[0], nums[1]
    scaled = {a.value, a.value * 100, a.value / 100}
    return a.value != b.value and not (a.percent != b.percent and b.value in scaled)


_VALUES_OPEN = lazy(
    # ("我不能确定哪种理解是对的，两个结果都列在这里"; not a tip, "如果你无法确定哪一步算错了")
    rf"{_EITHER_VALUE}|两个(?:结果|答案|数)?都有可能|两个(?:结果|答案)都列"
    rf"|(?:不(?:太)?|我(?:不能|无法|没法))确定.{{0,12}}哪|可能是[^。\n]{{1,20}}?也可能是"
    rf"|{_NOT_SURE_WHICH}|\bboth\s+(?:answers|values)\s+(?:are|seem)\b",
    re.IGNORECASE,
)
_MANY_ANSWERS = lazy(r"\b(?:many|several|multiple)\s+(?:valid|possible|different|correct)\s+"
                     r"(?:answers|solutions|values)\b|(?:多个|多种|无数)(?:解|答案|可能)",
                     re.IGNORECASE)
_TOTAL_WORD = lazy(
    r"本息|连本带利|合计|总计|一共|共计|总共|总额|总价|总金额"
    r"|\b(?:total|altogether|in\s+all|including|combined|grand\s+total)\b",
    re.IGNORECASE,
)


def _derived_total(text: str, pos: int, value: Fraction, given: AbstractSet[Fraction],
                   asked: _Asked) -> _Number | None:
    """The result a total at ``pos`` was built from, when the total is not what was asked.

    Asked for the interest (the tip, the tax), replies go on to add it to the principal ("利息
    350 元，本息合计 20350 元", "Total amount after 3 years: $2,800"). A total that only states
    (does no arithmetic of its own) an earlier result plus a value the question gave is that
    follow-on; the earlier result answers. A question that asks for a total keeps its total.
    The mirror case: asked for the balance, replies go on to take the principal back off
    ("… = $1,157.63. Interest earned: $157.63"); a gain the asking clause does not name,
    stated as an earlier result minus a given value, is that follow-on too.
    """
    if not asked.question:
        return None
    clause = max(text.rfind(c, 0, pos) for c in ",，;；。\n") + 1
    stop = _SENTENCE_END.search(text, pos)
    end = stop.start() if stop else len(text)
    if "=" in text[clause:end] or _ARITHMETIC.search(text[clause:end]):
        return None
    if _TOTAL_WORD.search(text, clause, end) and not _TOTAL_ASKED.search(asked.question):
        sign = 1  # total = result + given
    elif ((gain := _GAIN_WORD.search(text, clause, end))
          and not _subject_terms(gain.group()) & asked.subject):
        sign = -1  # gain = result − given
    else:
        return None
    if value in _results_before(text, clause):
        return None  # "Bill: $35 + $24 = $59 … | Total | $59 |": the working's own result
    for x in _numbers_in(text[:clause])[-6:][::-1]:
        if (x.value and not x.percent and x.value not in given
                and sign * (value - x.value) in given):
            return x
    return None


# A quantity gained over a start value: interest on a principal, a profit over a cost.
_GAIN_WORD = lazy(
    r"\b(?:interest|profit|gain|earnings|earned|increase|growth|savings|saved)\b"
    r"|利息|利润|收益|盈利|增加|增长|节省",
    re.IGNORECASE,
)


def _conclusion(body: str, given: AbstractSet[Fraction], asked: _Asked = _NOT_ASKED,
                ) -> tuple[_Number | str, str] | None:
    """The number of the last concluding sentence ("So she has 17 left"), if nothing computed
    after it: what follows is then an aside ("which is 3 more than Tom's 14")."""
    starts = list(_CONCLUSION_START.finditer(body))
    for m in reversed(starts):
        stop = _SENTENCE_END.search(body, m.end(), m.end() + _MAX_SEGMENT)
        end = stop.start() if stop else min(len(body), m.end() + _MAX_SEGMENT)
        if "=" in body[end:] or _ARITHMETIC.search(body, end):
            return None
        segment = body[m.end() : end]
        chinese = any(_is_cjk(c) for c in m.group())
        read = _marker_number(segment, body, end, chinese=chinese,
                              computed=_results_before(body, m.start()), given=given,
                              asked=asked)
        if read is not None and _plausible(read[0], segment) and read[0].kind != "en":
            settled = _settle(*read)
            if isinstance(settled, _Number):  # placed in ``body``, for the unit check
                settled = dataclasses.replace(settled, start=settled.start + m.end(),
                                              end=settled.end + m.end())
            return settled, "conclusion"
    return None


_APPROX_BETWEEN = lazy(r"\s*(?:≈|≒|~|\\approx)\s*")
# A word that makes the value after it a rough figure: "a little over 8 km", "约为一百万".
_ROUGH_BEFORE = lazy(
    r"(?:\b(?:a\s+(?:little|bit)|just|slightly)\s+(?:over|under|above|below|more\s+than"
    r"|less\s+than)|\b(?:roughly|about|around|approximately|nearly|almost|some|over|under)"
    r"|约|大约|大概|将近|接近|差不多|不到|超过|略(?:多于|少于|大于|小于|超过)|≈|~)"
    r"\s*(?:是|为|等于)?\s*[$¥€£]?\s*$",
    re.IGNORECASE,
)
# A question that asks for an estimate: its rough figure is the answer.
# A question that asks for the value rounded: "√2 rounded to one decimal place", "保留两位小数".
_ROUNDING_WORDS = (
    r"\bto\s+(?:the\s+nearest|(?:\d+|one|two|three|four|five)\s+(?:decimal|significant|d\.p\."
    r"|s\.f\.))|\bround(?:ed|ing)?\s+(?:it\s+|off\s+|(?:the|your)\s+(?:answer|result)\s+)?to\b"
    r"|保留(?:[一二三四五两\d]+位|整数)|精确到|四舍五入|取整")
_ROUNDING_ASKED = lazy(_ROUNDING_WORDS, re.IGNORECASE)
# (or asks for it rounded)
_ESTIMATE_ASKED = lazy(
    rf"\b(?:estimate|roughly|approximately|about|around)\b|估|大约|大概|约|{_ROUNDING_WORDS}",
    re.IGNORECASE)


_MANTISSA = lazy(r"\d[\d,]*(?:\.\d+)?")


def _significant(n: _Number) -> int:
    """How many significant digits ``n`` is written with (8 → 1, 8.045 → 4, 一百万 → 1)."""
    digits = n.text.lstrip("-").rstrip("%")
    if "/" in digits:
        return 99  # a fraction is exact
    mantissa = _MANTISSA.search(n.raw)
    if mantissa is not None and "." in mantissa.group():
        # "1.20 × 10^24", "2.50e3": a decimal's written trailing zeros are significant (the
        # reply rounded to them on purpose), though the cleaned value lost them.
        return len(mantissa.group().replace(".", "").replace(",", "").lstrip("0"))
    whole, _, frac = digits.partition(".")
    return len((whole + frac).lstrip("0")) if frac else len(whole.strip("0"))


def _rough_gloss(text: str, n: _Number, before: Sequence[_Number]) -> _Number | None:
    """The exact value a rough figure glosses: "8.045 km … or a little over 8 km", "1048576，
    约为一百万": a figure of one or two digits, hedged as rough, that an exact value stated
    just before rounds to, restates that value loosely; the exact value is the answer."""
    if not _ROUGH_BEFORE.search(text, max(0, n.start - 24), n.start):
        return None
    sig = _significant(n)
    if sig > 2 or abs(n.value) < 1:
        return None  # ("about 0.2": too rare to settle how it was rounded)
    unit = Fraction(10) ** (len(str(int(abs(n.value)))) - sig)  # its last digit's place
    for x in reversed(before[-4:]):
        if x.value == n.value and x.percent == n.percent:
            return None  # "= 1000万…即约一千万人": it restates a result worked out exactly
        if (x.percent == n.percent and _significant(x) >= sig + 2
                and abs(x.value - n.value) <= unit and n.start - x.end < 200):
            return x
    return None


# A fall, a loss or a decrease: the size after it is a negative change told without its sign.
_DROP_WORD = lazy(
    r"\b(?:drop(?:s|ped)?|f[ae]ll(?:s|en)?|declin(?:e|es|ed)?|decreas(?:e|es|ed)?|loss|lost"
    r"|lower(?:ed)?|down|cool(?:s|ed)?)\b|下降|降低|减少|降了|少了|亏",
    re.IGNORECASE,
)
_DROP_BEFORE = lazy(
    r"(?:\b(?:drop(?:s|ped)?|f[ae]ll(?:s|en)?|declin(?:e|es|ed)|decreas(?:e|es|ed)|loss|lost"
    r"|lower(?:ed)?|down|cool(?:s|ed)?)(?:\s+(?:of|by))?(?:\s+(?:about|around|roughly))?"
    r"|下降了?|降低了?|减少了?|降了|少了|亏损?了?)\s*[$¥€£]?\s*$",
    re.IGNORECASE,
)


def _final_value(text: str, n: _Number, nums: Sequence[_Number], asked: _Asked,
                 units: str | None = None) -> _Number:
    """The value a weak rule settled on, checked against its neighbours and the question.

    "P = 6/36 = 1/6 ≈ 0.167": a rounding after an exact fraction restates it, so the exact
    value is the answer; so does a rough gloss after an exact value ("8.045 km, a little over
    8 km"), unless the question asks for an estimate. Then ``_Asked.in_measure``: a value in
    another unit than the one asked gives way to the last value in the asked unit, read in
    ``units`` when given (the text with its brackets kept: "= 2（小时）" carries its unit there).
    """
    before = [x for x in nums if x.end <= n.start]
    if (before and n.value > 0 and _DROP_BEFORE.search(text, max(0, n.start - 30), n.start)
            and not _DROP_WORD.search(" ".join(sorted(asked.subject)))):
        # "it's minus thirteen degrees, so a drop of thirteen", "变化量为-13℃，即下降了13℃": the
        # signed value, restated as the size of a fall; asked for the fall itself ("降低了多少
        # 度", "how far did it drop"), the size is the answer and is left alone.
        n = next((x for x in reversed(before)
                  if x.value == -n.value and x.percent == n.percent), n)
    if (before and _significant(n) <= 2
            and (exact := _rough_gloss(text, n, before)) is not None
            and not _ESTIMATE_ASKED.search(asked.question)):
        n = exact
    before = [x for x in nums if x.end <= n.start]
    if (before and _APPROX_BETWEEN.fullmatch(text, before[-1].end, n.start)
            and not _ROUNDING_ASKED.search(asked.question)):  # ("2/3 ≈ 0.67" asked rounded)
        exact = before[-1]
        decimals = len(n.text.rstrip("%").partition(".")[2])
        if ("/" in exact.text and not exact.percent and not n.percent
                and abs(exact.value - n.value) <= Fraction(1, 2 * 10**decimals)):
            n = exact
    elif before and (unit := _measure(text, n)) not in _NOT_MEASURES and unit != asked.measure:
        # "980 W, or 0.98 kW", "E ≈ 3.98×10⁻¹⁹ J. That's about 2.48 eV", "1.013×10⁵ Pa，相当于
        # 760 mm 汞柱": a value in one unit of measure, then the same quantity in another; the
        # value worked out first is the answer.
        prior = before[-1]
        prior_unit = _MEASURE_AFTER.match(text, prior.end)
        if (prior_unit is not None and _measure(text, prior) not in (*_NOT_MEASURES, unit)
                and _CONVERTED.fullmatch(text, prior_unit.end(), n.start)):
            n = prior
    return asked.in_measure(units or text, n, nums)


# Units that are not a measure another unit converts ("3 个", "$5", "20%").
_NOT_MEASURES = ("", "count", "money", "%")
# Between a value with its unit and the same value in another unit: "or", "that's about", "即".
_CONVERTED = lazy(
    r"[\s,，;；.。:：(（—–-]*(?:or|that'?s|that\s+is|this\s+is|i\.e\.|which\s+is|equivalent\s+to"
    r"|即|也就是|相当于|约合|折合|合)\s*(?:about|approximately|roughly|around|nearly|almost"
    r"|约|大约|近)?[\s:：]*[$¥€£]?",
    re.IGNORECASE,
)


# A clause after the value that tells the change it made: "，两年间增加了约176.7亿元", ", an
# increase of 120,000".
_CHANGE_CLAUSE = lazy(r"[,;，；]\s*[^,;，；。]{0,10}?(?:增加|减少|增长|下降|上涨|下跌|提高|降低)了"
                      r"|[,;]\s*(?:an?\s+)?(?:increase|decrease|rise|drop|gain|loss)\s+of\b",
                      re.IGNORECASE)
# A question about the change itself: "How much did the price go up?", "价格上调了多少元？"
_CHANGE_QUESTION = lazy(
    r"\bhow\s+(?:much|many)\b[^?\n]{0,40}?\b(?:go|went|gone|goes)\s+(?:up|down)\b"
    r"|\b(?:rise|rose|risen|increase[sd]?|decrease[sd]?|drop(?:ped)?|fall|fell|grow|grew)\s+by\b"
    r"|(?:上调|下调|上涨|下跌|涨|跌|增加|减少|增长|下降|提高|降低)了?(?:多少|几)",
    re.IGNORECASE)
_CHANGE_ASKED = lazy(r"\b(?:increase|decrease|rise|drop|gain|loss|change|grow|grew|fall|fell)"
                     r"|增加|减少|增长|下降|变化|涨|跌", re.IGNORECASE)


def _names_asked(body: str, pos: int, asked: _Asked) -> bool:
    """Whether the sentence from ``pos`` names a term of the question's asking clause."""
    stop = _SENTENCE_END.search(body, pos)
    said = frozenset(map(_stem, _subject_terms(body[pos : stop.start() if stop else None])))
    return bool(said & frozenset(map(_stem, asked.subject)))


def _other_scenario(body: str, aside: re.Match[str], given: AbstractSet[Fraction]) -> bool:
    """Whether a sentence opening with "if" (如果) after the result is a what-if aside.

    It is when a result was stated before it (a value the question did not give), it computes
    nothing itself, and it either speaks to the reader ("If you'd rather…", "如果你还想…") or
    opens a new paragraph; an "if" inside the working ("If it drives 2.5 h, 60 × 2.5 = 150")
    is a step.
    """
    hypo = aside.group("hypo")
    stop = _SENTENCE_END.search(body, aside.end())
    sentence = body[aside.start() : stop.start() if stop else len(body)]
    if "=" in sentence or _ARITHMETIC.search(sentence):
        return False
    before = body[: aside.start()]
    if not any(n.value not in given for n in _numbers_in(before)):
        return False
    # (a bare "If …" / "如果…" counts only when it opens its own paragraph)
    addressed = (hypo.lower().startswith(("if you", "if instead", "had"))
                 or hypo.endswith(("你", "您")))
    return addressed or before.rstrip(" \t>*#_(（•-").endswith("\n\n")


_TICKED_LINE = lazy(r"^[^\n]*[✓✔][^\w\n]*$", re.MULTILINE)
# Words that present a range as a value's spread, not as the answer: its tolerance, error,
# confidence interval, normal or reference range, or where the true value "could lie".
_SPREAD = lazy(
    r"\b(?:tolerance|uncertainty|margin\s+of\s+error|error\s+bars?|confidence\s+interval"
    r"|CI|standard\s+deviations?|normal(?:\s+(?:range|values?))?|reference\s+range"
    r"|could\s+(?:lie|range|fall|vary)|anywhere\s+(?:from|between))\b|±|\d\s*σ"
    r"|误差|置信区间|标准差|公差|正常(?:范围|值)?|参考范围|上下浮动",
    re.IGNORECASE,
)
_OFFERED_RANGE = lazy(r"\b(?:estimates?|answers?|guess)\b|估计|估算|答案|大概在", re.IGNORECASE)
# "runs from 6 to 12 days": in a spread sentence, "from … to …" bounds a range too.
_FROM_TO = lazy(rf"\bfrom\s+(?:about\s+|roughly\s+)?{_NUM_TOKEN}{_UNIT}\s+to\s+{_NUM_TOKEN}",
                re.IGNORECASE)


def _spread_start(body: str, given: AbstractSet[Fraction], asked: _Asked) -> int | None:
    """Where a range that gives a stated value's spread begins, if one follows a value.

    "Expected duration: 7 days. … a ±2σ range runs from about 3.7 to 10.3 days", "R = 47 Ω;
    with 5% tolerance it could lie anywhere from 44.65 to 49.35 Ω", "AG = 28 (normal ≈ 8–12)":
    a range that gives the value's tolerance, error or normal range is neither a hedge nor
    the answer; the value stated before it is. Not when the question asks about the spread,
    nor when the range is offered as the estimate ("a realistic estimate is 50 to 150").
    """
    if not _SPREAD.search(body) or _SPREAD.search(asked.question):
        return None
    # Where the first value of the reply's own ends: a spread follows a value when it starts
    # after that (read once; reading each spread's prefix again grew with the square of a
    # text of spreads, "is ±3, is ±3, …").
    stated = min((n.end for n in _numbers_in(body) if n.value not in given), default=None)
    if stated is None:
        return None
    for spread in _SPREAD.finditer(body):
        start = _sentence_start(body, spread.start())
        reach = spread.end() + _MAX_SEGMENT  # (a sentence's reach, as a marker's)
        stop = _SENTENCE_END.search(body, spread.end(), reach)
        end = stop.end() if stop else min(len(body), reach)
        if stated > start:
            # "AG = … = 12 mEq/L (normal ≈ 8–12)": the spread is a clause of the answer's own
            # sentence, set off by a bracket, a comma or a dash.
            start = max(body.rfind(c, start, spread.start()) for c in "(（,，;；—")
            if start < 0:
                continue
        if (stated <= start
                and (_RANGE.search(body, start, end) or _FROM_TO.search(body, start, end))
                and not _OFFERED_RANGE.search(body, start, end)):
            return start
    return None


def _resumes_after(answer: str, pos: int) -> bool:
    """Whether the working goes on in a paragraph after the check at ``pos``: "Check: 2(19 +
    8) = 54 ✓\n\nArea = 19 × 8 = 152\n\nThe area is 152 cm²." checked a step, not the answer."""
    paragraph = answer.find("\n\n", pos)
    if paragraph < 0:
        return False
    return any(_RESULT.search(line) and not _TICK.search(line)
               for line in answer[paragraph:].splitlines())


_TICK = lazy("[✓✔√]")
# What may follow a refusal's verb when it refuses outright: "help with that", "这个问题".
_BARE_REFUSAL = lazy(r"\s*(?:(?:with|on)\s+)?(?:that|this|it)?(?:\s+(?:request|question|one))?\s*"
                     r"|(?:你|您)?(?:这个|这类|此类)?(?:问题|请求)?", re.IGNORECASE)
_NO_SINGLE_OPENING = lazy(
    r"\W*(?:there(?:'s|\s+is)\s+(?:no|not\s+a|not\s+one)|there\s+isn't\s+(?:a|one))\s+"
    r"(?:single\s+|one\s+)?(?:right\s+|correct\s+|definitive\s+|universal\s+)?"
    r"(?:number|answer|figure|amount)\b(?![^.\n]*\b(?:but|however|though)\b)"
    r"|\W*(?:这个问题)?没有(?:唯一|统一|标准|固定)的?(?:标准)?(?:答案|数字|数值)",
    re.IGNORECASE)
# A heading or a line of its own that opens a check of the answer above it.
_CHECK_HEADING = lazy(r"^[ \t#*>]*(?:验算|检验|检查|核对|check(?:ing)?|verification|verify|sanity\s+check"
                      r"|double-check)[ \t*]*[:：]?[ \t*]*$", re.IGNORECASE | re.MULTILINE)


def _restated_below(answer: str, pos: int, asked: _Asked) -> bool:
    """Whether a paragraph after the check at ``pos`` states a value of the thing asked:
    "Double-check: 14 quarters = $3.50, …\n\nThere are 14 quarters in the jar (and 16
    dimes)." closes on the answer again, so the check does not end the reply."""
    paragraph = answer.find("\n\n", pos)
    if paragraph < 0 or not asked.subject:
        return False
    closing = answer[paragraph:].strip()
    return (bool(_numbers_in(closing)) and "\n" not in closing
            and _names_asked(closing, 0, asked) and not _COMPUTES.search(closing))


def _fallback(answer: str, given: AbstractSet[Fraction], asked: _Asked = _NOT_ASKED,
              ) -> tuple[_Number | str, str] | None:
    """The weak rules: a concluding sentence, else the last number, read with care.

    A verification or a note after the conclusion is cut off; step and list numbers, dates
    and parenthesised asides are skipped; a numeral in words counts where it is unmistakably
    one (or where there are no digits at all). A ticked line that opens with the value just
    stated ("At 600 units, revenue = $30,000 … ✓") plugs the result back in: a check too.
    """
    body = answer
    for tick in _TICKED_LINE.finditer(answer) if "✓" in answer or "✔" in answer else ():
        stated = _numbers_in(answer[: tick.start()])
        opens = _numbers_in(tick.group())
        # (the value as a premise, "At 600 units, …"; not an operand, "7 × 2 = 14 ✓")
        if (stated and opens and opens[0].value == stated[-1].value
                and not _OPERATOR_AFTER.match(tick.group(), opens[0].end)):
            answer = answer[: tick.start()]
            break
    body = answer
    for check in _CHECK.finditer(answer):
        if (_numbers_in(answer[: check.start()]) and not _CONCLUDES.search(answer, check.end())
                and not _resumes_after(answer, check.end())
                and not _restated_below(answer, check.end(), asked)):
            body = answer[: check.start()]
            break
    for aside in _ASIDE_START.finditer(body):
        if (_numbers_in(body[: aside.start()]) and not _CONCLUDES.search(body, aside.end())
                and (not aside.group("hypo") or _other_scenario(body, aside, given))
                # ("A cube has 12 edges. It also has 6 faces" asked the faces: no aside)
                and (not aside.group("also") or not _names_asked(body, aside.end(), asked))
                # ("剩下三位从剩余3个数字中全排列，有 3! = 6 种": what is left, worked on, is a step)
                and (not aside.group("left") or not (
                    _LEFT_ASKED.search(asked.question) or "=" in body[aside.end() :]
                    or _WORKS_ON.search(body, aside.end())))
                # ("…, an increase of 120,000" asked the increase: no aside)
                and (not aside.group("change") or not (
                    asked.comparative or _CHANGE_ASKED.search(" ".join(sorted(asked.subject)))))):
            body = body[: aside.start()]
            break
    for warning in _WARNING.finditer(body) if "\n\n" in body else ():
        # "|2A| = 2³ · |A| = 16\n\n常见错误：直接算成 2 × 2 = 4。": a closing paragraph that warns
        # of a common mistake, after the stated value, names the wrong one. (Not a warning
        # inside the working, "很多同学会忘记加运费，…所以一共 41 元", nor one that goes on to
        # the answer, "…所以答案是 16".)
        paragraph = body.rfind("\n\n", 0, warning.start()) + 2
        if (paragraph > 1 and not body[paragraph : warning.start()].strip(" \t>*#_(（【[")
                and "\n\n" not in body[warning.end() :].rstrip()
                and _numbers_in(body[:paragraph])
                and not _ANSWER_WORD.search(body, warning.end())):
            body = body[: warning.start()]
            break
    spread = _spread_start(body, given, asked)
    if spread is not None:
        body = body[:spread]
    masked = (_LABELS_BUT_YEARS if asked.year else _LABELS).sub(_blank, body)
    compound = _COMPOUND.sub(_blank, masked)
    if _numbers_in(compound):
        masked = compound  # "500 秒，约 8 分 20 秒": the compound restates the value
    concluded = _conclusion(masked, given, asked)
    if concluded is not None:
        if isinstance(concluded[0], _Number):
            return _final_value(masked, concluded[0], _numbers_in(masked), asked), concluded[1]
        return concluded
    outside = _PARENS.sub(_blank, masked)
    nums = _numbers_in(outside) or _numbers_in(masked)
    source = outside if _numbers_in(outside) else masked
    if not nums and masked != body:
        nums, source = _numbers_in(body), body
    if not nums:
        return None
    n = nums[-1]
    sentence = _sentence_start(source, n.start)
    restated = _RESTATED.search(source, sentence, n.start)
    if restated and not _EXPRESSION_END.search(source, sentence, restated.start()):
        # "利润为 -300 元，即亏损 300 元": the value before the restatement
        before = [x for x in nums if sentence <= x.start < restated.start()]
        if before and len(before) < 3:  # "2, 3, 5, … 29 — that's 10 primes" counts a list
            n = before[-1]
    compared = _COMPARISON.search(source, sentence, min(len(source), n.end + 40))
    if (compared and not asked.comparative and compared.start() <= n.start
            and not re.search(r"[,，;；=]|\bso\b|所以", source[compared.end() : n.start])
            and (before := [x for x in nums if x.end <= compared.start() and (
                sentence <= x.start or not source[sentence : compared.start()].strip())])):
        # "A baker's dozen is thirteen — one more than a regular dozen": the comparison after
        # the value is about another quantity.
        n = before[-1]
    method = {"ar": "last-number", "zh": "zh-numeral", "en": "number-words"}[n.kind]
    if n.kind == "en" and not any(x.kind == "ar" for x in nums):
        worded = _settle(n, source)  # "six hours, which is three hundred sixty minutes"
        return (_final_value(source, worded, nums, asked, masked)
                if isinstance(worded, _Number) else worded), method
    if n.kind != "ar" and not _is_strong_word(n) and not any(x.kind == "ar" for x in nums):
        # Only words, and not unmistakable ones: "十二" alone is an answer, "三个人" in prose
        # is not, unless the whole answer is that one numeral.
        whole = _parse_one(answer.rstrip("。.!！ "))
        if whole is not None:
            return whole, method
        # A lone numeral written with the unit the question asks in ("两小时" asked 多少小时)
        # counts as much as a compound one: the unit says it is the quantity asked.
        strong = ([x for x in nums if _is_strong_word(x)]
                  or [x for x in nums if asked.carries(source, x)
                      and source[x.start - 1 : x.start] not in ("哪", "第")])  # 哪一天: no count
        if not strong:
            return None
        n = strong[-1]
    sentence = _sentence_start(source, n.start)
    share = _share_of(source[sentence : n.end + 20])
    if (share is not None and share.start <= n.start - sentence <= share.end + 12
            and "=" not in source[sentence + share.end : n.start]):
        return dataclasses.replace(share, start=share.start + sentence,
                                   end=share.end + sentence), method
    reason = _REASON_CLAUSE.search(source, sentence, n.start)
    if reason and re.search(r"\b(?:so|thus|therefore|hence|giving|gives)\b|所以|因此|得",
                            source[reason.end() : n.start], re.IGNORECASE):
        reason = None  # "…, since …, so 6": the reason led on to a new result
    before_reason = [x for x in nums if sentence <= x.start and reason and x.end <= reason.start()]
    if before_reason:
        # "√196 = 14, since 14 × 14 = 196": the clause after "since" justifies the value
        # stated before it.
        n = before_reason[-1]
        return _settle(n, source), method
    # "每人最多分到4个，还剩下3个": of the final sentence's numbers, the one the working computed.
    computed = _results_before(source, len(source))
    same = [x for x in nums if x.start >= sentence]
    worked = [x for x in same if x.value in computed]
    clause = max(source.rfind(c, sentence, n.start) for c in ",，;；") + 1
    leftover = clause > sentence and _LEFTOVER.match(source, clause) is not None
    if worked and n.value not in computed and len({x.value for x in same}) > 1 and leftover:
        n = worked[-1]
    elif (leftover and not computed and (stated := [x for x in same if x.end <= clause])
          and not _LEFT_ASKED.search(asked.question)
          and not _CHANGED.search(source, sentence, clause)):
        # "房租2550元，剩5950元。": no working at all, and the value stated before what is
        # left answers, unless what is left was asked, or the value before it was a change
        # ("She gives 5 to Ben, leaving 7": the story's result is what is left).
        n = stated[-1]
    elif (n.value in given and not _EQUATION_RESULT.search(source, sentence, n.start)
          and not (asked.measure and _measure(source, n) == asked.measure)
          and (new := [x for x in same if x.value not in given])):
        # "…分到4个，还剩2个" when the question gave the 2; but "5 ÷ 8 = 0.625" computed its
        # result, even when it equals a value the question gave (5/8).
        n = new[-1]
    n = _derived_total(source, n.start, n.value, given, asked) or n
    settled = _settle(n, source)
    if (isinstance(settled, str) and not asked.carries(source, n)
            and "=" not in source[sentence:] and not _CONCLUDES.search(source, sentence)
            and (carried := [x for x in nums if x.end <= sentence and asked.carries(source, x)])
            and isinstance(_settle(carried[-1], source), _Number)):
        # "… has 206 bones (…). Infants are born with around 270–300, …": asked "how many
        # bones", the value stated with that unit answers it; a range in a later sentence,
        # without the unit, is about something else.
        return carried[-1], method
    if isinstance(settled, _Number):
        settled = _final_value(source, settled, nums, asked, masked)
    return settled, method


_DASHED_STEP = lazy(r"^[ \t*#>]*(?:step\s+)?\d{1,2}[ \t*]*[—–.:)]", re.MULTILINE | re.IGNORECASE)
# A reply that opens with one value, then a dash: "Thirteen — …", "**42** — …", "12 – …".
_DASHED_OPENING = lazy(r"\A[\s*#>]*(?P<v>[-+$¥€£]?\d[\d,]*(?:\.\d+)?%?|[A-Za-z]+(?:[- ][a-z]+)?)"
                       r"[*]*[ \t]+[—–][ \t]")
# A first line that is a finished statement, or nothing but the number ("**5050**", "42 km").
_ANSWER_FIRST = lazy(
    r"\A(?:[^\n]{1,120}?[.。!！]|[*#>\s]*[-+$¥]?\d[\d,.]*(?:\s*[%\w²³/]{0,6})?[*\s]*)[ \t]*\n")
# A reply's first sentence that is one value alone, with more on its line: "Thirty. Article
# I …", "**42.** That's …", "30 years. …".
_LONE_VALUE_SENTENCE = lazy(
    r"[*_\s]*(?:[-+$¥]?\d[\d,]*(?:\.\d+)?(?:\s*[%\w]{0,8})?|[A-Z][a-z]+(?:[- ][a-z]+){0,3})"
    r"[*_]*[.!。！][*_]*(?=[ \t]+\S)")
_WORKING_WORDS = lazy(
    r"\b(?:let|let's|first|step|we|suppose|assume|consider|cases?|need|approach|look|think"
    r"|question|problem|given)\b|首先|设|我们|第一步|情况|分析|考虑|题目|问题|已知|=|:|："
    # ("首先需要…" works; "第三次需要考91分。", "需要八小时。" state the value needed)
    r"|需要(?!\s*[考花用走]?\s*[\d一二三四五六七八九十两半]++(?!\s*个?步))",
    re.IGNORECASE)


_CLAUSE_DASH = lazy(r"\s[—–]\s|——")
_VARIABLE_LINE = lazy(r"[\s*>#$]*[A-Za-z](?:_\{?\w+\}?)?\s*=\s*[-+$]?\d[\d,]*(?:\.\d+)?"
                      r"\s*[A-Za-z%°²³/]{0,8}[\s.。$*]*$")
# The reply's closing line, a program's output under its label: "输出：55", "输出结果为 55。".
_OUTPUT_LINE = lazy(r"(?:\A|\n)[ \t*#]*输出(?:结果)?[ \t*]*(?:[:：]|为|是)[ \t*`]*"
                    r"([-+]?\d[\d,]*(?:\.\d+)?)[ \t*`。.]*\Z")
# A question about what a program prints, and a reply that opens by saying it: "输出 `9`。",
# "It prints `4` — …", "Output: 3".
_OUTPUT_ASKED = lazy(r"\bprint|\bprintf|console\.log|System\.out|\bcout\b|\becho\b|输出|打印"
                     r"|\boutputs?\b", re.IGNORECASE)
_OUTPUT_VERB = (r"(?:(?:程序|代码|这段代码|运行结果)?(?:的)?输出(?:结果)?|(?:it|this|the\s+(?:code|program"
                r"|snippet|script))\s+(?:prints|outputs|will\s+print|displays)|(?:the\s+)?output(?:\s+is)?)")
_OUTPUT_FIRST = lazy(rf"[ \t*#>]*{_OUTPUT_VERB}[ \t]*(?:为|是|:|：)?[ \t*`]*([-+]?\d[\d,]*(?:\.\d+)?)"
                     r"[ \t*`]*(?=[。.!！,，;；]|\s[—–-]|\n|$)", re.IGNORECASE)
_OUTPUT_STATED = lazy(rf"(?:^|(?<=[。.!！\n]))[ \t*#>-]*(?:所以|因此|so,?\s+)?{_OUTPUT_VERB}[ \t]*"
                      r"(?:为|是|:|：)?[ \t*`]*([-+]?\d[\d,]*(?:\.\d+)?)", re.IGNORECASE | re.MULTILINE)
# A fenced block of one value under an "Output:" label.
_OUTPUT_BLOCK = lazy(r"^[ \t*#]*(?:(?:the\s+)?output|it\s+prints|prints|输出(?:结果)?)[ \t*]*[:：][ \t*]*\n+"
                     r"```[A-Za-z]*\n\s*([-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?)\s*\n```",
                     re.IGNORECASE | re.MULTILINE)
# (a REPL may echo the line it ran first: "```\n>>> print(1/80000)\n1.25e-05\n```")
_FENCED_VALUE = lazy(r"\A```[A-Za-z]*\n(?:>>>[^\n]*\n)?\s*([-+$]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?%?)"
                     r"\s*\n```[ \t]*\n")
# A refinement of the value stated first: "More precisely, 47.3", "更准确地说".
_REFINED = lazy(r"\bmore\s+(?:precisely|accurately|exactly)\b|\bto\s+be\s+(?:precise|exact)\b"
                r"|更(?:准确|精确)|精确(?:地|来)?说|准确(?:地|来)?说", re.IGNORECASE)


# A question that gives values to work with: a digit that is no year, or a count in words.
# ("第七次全国人口普查" and "in 1912" give none.)
_GIVES_VALUES = lazy(r"(?<![\d第])(?!(?:1\d|20)\d\d(?!\d))\d"
                     r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty"
                     r"|thirty|forty|fifty|hundred|thousand|million|half|dozen)\b", re.IGNORECASE)


# Code quoted in a question ("What does `print(3 / 200000)` print?") gives no values to work
# with: its output is looked up, not worked out in words.
_CODE_SPAN = lazy(r"`[^`\n]+`")


def _context_only(answer: str, n: _Number) -> bool:
    """Whether what follows the first paragraph only adds context: no working (``=``), no
    answer marker, no conclusion, no correction or refinement of the value."""
    fenced = answer.startswith("```")  # (the value set out in a fenced block)
    paragraph = answer.find("```" if fenced else "\n\n", n.end)
    if paragraph < 0:
        return False
    rest = answer[paragraph + (3 if fenced else 0) :]
    # (after a fenced output, words that explain the count are no working of the reply's own:
    # "```\n11\n```\nThe string has 10 letters plus 1 space.")
    return not ("=" in rest or _NUM_MARKER.search(rest) or _CONCLUSION_START.search(rest)
                or _TAKEN_BACK.search(rest) or _REFINED.search(rest)
                or (not fenced and _WORKS_ON.search(rest)))


# Working in words: "86400 乘以 7 得出 604800", "giving 527,040 minutes in total", "Multiply by".
_WORKS_ON = lazy(r"\b(?:multipl\w*|divid\w*|giving|gives|times|plus|minus|in\s+total|altogether"
                 r"|add(?:ed|ing)?\s+up|counting|sum)\b|乘|除以|加上|减去|得出|得到|一共|总共|合计|共计"
                 r"|[×÷]", re.IGNORECASE)


def _restated_later(answer: str, n: _Number) -> bool:
    """Whether working after the first paragraph ends a computation in ``n``'s value."""
    paragraph = answer.find("\n\n", n.end)
    if paragraph < 0:
        return False
    rest = answer[paragraph:]
    nums = _numbers_in(rest)
    if any(x.value == n.value and _EQUATION_RESULT.search(rest, max(0, x.start - 4), x.start)
           for x in nums):
        return True
    # (or the explanation's closing count, after a dash: "…are 0, 3, 6, 9, 12, 15, 18 — seven
    # numbers.")
    closing = max([*nums, *_word_numbers(rest)], key=lambda x: x.start, default=None)
    return bool(closing is not None and closing.value == n.value
                and _SUMMED_AFTER_DASH.search(rest, max(0, closing.start - 8), closing.start))


_SUMMED_AFTER_DASH = lazy(r"(?:\s[—–-]|—|——)\s*(?:that's\s+|so\s+|共)?$", re.IGNORECASE)



def _answer_first(answer: str, given: AbstractSet[Fraction], *,
                  leading_clause: bool = False, year: bool = False) -> _Number | None:
    """In a truncated reply, a one-sentence first paragraph that states one number
    ("The sum is **5050**.", "经过三小时两车相遇。") before the working was cut off. With
    ``leading_clause``, a line that restates its value after a dash is read by its first clause
    ("A marathon is 42.195 km — that's 26.2 miles"). With ``year``, a year is a value, not a
    date's label ("1898 年，创办于戊戌变法期间")."""
    if leading_clause and (fenced := _FENCED_VALUE.match(answer)) is not None:
        # "```\n11\n```\nThe string has 10 letters plus 1 space.": the output set out first
        value = _parse_one(fenced.group(1))
        if value is None:
            return None  # (a program's output may equal a value in its code: print(1/800))
        return dataclasses.replace(value, start=fenced.start(1), end=fenced.end(1))
    m = _ANSWER_FIRST.match(answer)
    if not m:
        return None
    if leading_clause and (dash := _CLAUSE_DASH.search(m.group())) is not None:
        head = m.group()[: dash.start()]
        if _numbers_in(head):
            m = _ANSWER_FIRST.match(head.rstrip() + ".\n") or m
    working = _WORKING_WORDS.search(m.group())
    if working and working.group() == "=" and m.group().count("=") == 1:
        # "3.6千克 = 3600克。": the question's own quantity set equal to one value states the
        # result (a conversion), it computes nothing; "3 × 4 = 12." is a step of working.
        left = _numbers_in(m.group()[: working.start()])
        right = _numbers_in(m.group()[working.end() :])
        if (_VARIABLE_LINE.match(m.group()) and len(right) == 1
                and not _ARITHMETIC.search(m.group())):
            # "x = 9.": the unknown set equal to one value states the solution
            return dataclasses.replace(right[0], start=right[0].start + working.end(),
                                       end=right[0].end + working.end())
        if (len(left) == 1 and left[0].value in given and len(right) == 1
                and right[0].value not in given and not _ARITHMETIC.search(m.group())
                and not _WORKING_WORDS.search(m.group(), working.end())):
            return dataclasses.replace(right[0], start=right[0].start + working.end(),
                                       end=right[0].end + working.end())
        return None
    if working:
        return None
    nums = [n for n in _numbers_in((_LABELS_BUT_YEARS if year else _LABELS).sub(_blank, m.group()),
                                   lenient=True)
            if m.group()[n.start - 1 : n.start] not in ("第", "每")  # "第一反应", "每一步"
            and not (n.raw == "一" and m.group()[n.end : n.end + 1] in "步下些样起")]
    if len(nums) > 1:
        nums = [n for n in nums if n.value not in given]
    if len(nums) != 1 or (nums[0].kind != "ar" and not _is_strong_word(nums[0])
                          and not _plausible_zh(nums[0], m.group())
                          and not _stands_alone(nums[0], m.group())):
        return None
    return nums[0]


# A value set in bold ("**30 mpg**", "**$14,450**", "__25%__"): the reply's own emphasis.
_NUM_BOLD = lazy(r"\*\*([^*\n]{1,80})\*\*|(?<![A-Za-z0-9_])__([^_\n]{1,80})__(?![A-Za-z0-9_])")
# What may sit in a bold value besides the number: a short unit or a few words ("30 miles per
# gallon", "50400 元"), not a sentence.
_BOLD_EXTRA = lazy(r"[A-Za-z]+|[\u4e00-\u9fff]")
_BOLD_YEAR = lazy(r"\s*(?:公元(?:前)?)?\d{3,4}\s*年?\s*")
# A multiplier word just after a closing "**" ("**8.7** million", "**1.2**亿").
_SCALE_AFTER = lazy(r"[ \t]*(?:万亿|百万|千万|亿|万|(?:thousand|million|billion|trillion)(?![A-Za-z]))",
                    re.IGNORECASE)
# A bold line that opens with a step's number or name ("**2. 降价10%**", "**第三步：再降价20%**",
# "**Step 2 – apply the 15% discount**") heads a step of the working.
_STEP_HEADING = lazy(
    r"\s*(?:\d{1,2}[.)、](?!\d)|第\s*[\d一二三四五六七八九十]+\s*[步题问部节]"
    r"|(?:step|part|stage)\s*\d+\b)",
    re.IGNORECASE,
)


# A table's total row ("| **合计** | **1064.5** |", "| Total | $1,245 |") and a question that
# asks for a total.
_TOTAL_ROW = lazy(
    r"^[ \t]*\|[ \t*_]*(?:合计|总计|总和|共计|总共|一共|总额|总数|(?:grand\s+)?total|sum|overall)"
    r"[ \t*_:：]*\|(?P<cells>[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
_TOTAL_ASKED = lazy(
    r"一共|总共|共计|合计|总[分计额数和价量重产销收支人]|共(?:有|捐|需|花|用|要|付|计|收|卖|摘|植)"
    r"|\b(?:total|sum|altogether|in\s+all|combined|overall)\b",
    re.IGNORECASE,
)


# A blank the question leaves for its answer: "2.25小时＝（　　）分钟", "x = (   )".
_QUESTION_BLANK = lazy(r"\(\s*\)|_{3,}")


def _filled_blank(answer: str, question: str) -> _Number | None:
    """The value a reply writes into the question's blank, restating the question around it:
    "2.25小时＝（　　）分钟" answered "2.25×60＝135\n\n2.25小时＝（135）分钟"."""
    q = _prepare(question)
    for blank in _QUESTION_BLANK.finditer(q):
        before = q[max(0, blank.start() - 6) : blank.start()].strip()
        if len(before) < 2:
            continue
        found = list(re.finditer(re.escape(before) + r"\s*\(\s*([-+]?\d[\d,]*(?:\.\d+)?%?)\s*\)",
                                 answer))
        if found:
            m = found[-1]
            value = _parse_one(m.group(1))
            if value is not None:
                return dataclasses.replace(value, start=m.start(1), end=m.end(1))
    return None


# A table row whose label and one value are both in bold: "| **Average** | **6.0** |".
_BOLD_ROW = lazy(r"^[ \t]*\|[ \t]*\*\*(?P<label>[^*|\n]{1,40})\*\*[ \t]*\|(?P<cells>[^\n]*)$",
                 re.MULTILINE)


def _bold_row(answer: str) -> _Number | None:
    """The value of the one table row that sets both its label and one value in bold: the
    row a reply singles out as its result. None when several rows do, or the row has several
    values. A total row is left to ``_table_total``: it answers only a question about a total
    ("| **Total** | **$10** |" then "each pays 5")."""
    found: list[_Number] = []
    for row in _BOLD_ROW.finditer(answer):
        if _TOTAL_WORD.search(row.group("label")) or _TOTAL_ROW.match(row.group()):
            continue
        cells = [c.strip() for c in row.group("cells").split("|") if c.strip()]
        valued = [c for c in cells if _numbers_in(c)]
        if len(valued) != 1 or not _BOLD_CELL.fullmatch(valued[0]):
            continue
        nums = _numbers_in(valued[0])
        if len(nums) != 1:
            continue
        at = answer.index(valued[0], row.start("cells"))
        found.append(dataclasses.replace(nums[0], start=at + nums[0].start, end=at + nums[0].end))
    return found[0] if len(found) == 1 else None


_BOLD_CELL = lazy(r"\*\*[^*]+\*\*")


def _table_total(answer: str, question: str | None) -> tuple[int, _Number] | None:
    """The value in the last total row of a table, when the question asks for a total.

    A table that lists the parts and ends with a 合计/Total row states its answer there; the
    lines after it (an average, a share of the total) describe it. Other questions may use a
    total row as working ("Total cost | 500" before "each pays 500 ÷ 5"), so it is read
    only when a total is what was asked.
    """
    if not question or not _TOTAL_ASKED.search(question):
        return None
    rows = list(_TOTAL_ROW.finditer(answer))
    if not rows:
        return None
    row = rows[-1]
    nums = _numbers_in(row.group("cells"))
    if not nums:
        return None
    n = nums[-1]
    if len(nums) > 1:
        # "| **合计** | **48** | **100%** |" asked how many: a share column's total (always
        # 100%) is not the count; a question asking a percentage wants that column.
        fitting = [x for x in nums if x.percent == (_asked_measure(question) == "%")]
        n = fitting[-1] if fitting else n
    offset = row.start("cells")
    return row.start(), dataclasses.replace(n, start=n.start + offset, end=n.end + offset)


def _emphasised(answer: str, asked: _Asked = _NOT_ASKED) -> tuple[int, _Number | str] | None:
    """The value the reply sets in bold, when it bolds one value only.

    Writers bold the result they commit to ("The car gets **30 mpg**", "| **合计** |", "=
    **−$250,000**"), and what follows it (a follow-up offer, a conversion, a related quantity)
    is not bolded. Bold labels ("**Year 1:**", "**Step 2**"), table cells and bold phrases
    that hold several numbers are not values. When the bold values disagree, bold is only
    formatting and says nothing about which one is the answer.
    """
    found: list[tuple[int, _Number | str]] = []
    for m in _NUM_BOLD.finditer(answer):
        content = m.group(1) or m.group(2) or ""
        if _EMPHASIS_WORD.fullmatch(content) and _WORD_AFTER.match(answer, m.end()):
            continue  # "discounted for **two** periods", "the speed of **one** train": stress
        line_start = answer.rfind("\n", 0, m.start()) + 1
        if content.rstrip().endswith((":", "：")) or _TABLE_LINE.match(answer, line_start):
            continue
        line_end = answer.find("\n", m.end())
        if _STEP_HEADING.fullmatch(content.rstrip(" :：")):
            continue  # "**第一步**：先算", "**Step 2:**": a step's name is all the bold holds
        if (_STEP_HEADING.match(content)
                and not answer[line_start : m.start()].strip(" \t#>")
                and not answer[m.end() : line_end if line_end >= 0 else len(answer)].strip()):
            continue  # "**2. 降价10%**" alone on its line: a step's heading, not its result
        # A bold year alone ("**1949年**") is the value set out, not a date in passing.
        part = content if _BOLD_YEAR.fullmatch(content) else _LABELS.sub(_blank, content)
        # "**5 hours 14 minutes**" restates a value in mixed units; it is not another value.
        part = _COMPOUND.sub(_blank, part)
        if "=" in part or "≈" in part:
            # "**PPV = TP / (TP + FP) = 90 / 270 ≈ 33.3%**": the chain's result
            part = part[max(part.rfind("="), part.rfind("≈")) + 1 :]
        elif ((colon := max(part.rfind(":"), part.rfind("："))) > 0
              and not _numbers_in(part[:colon])
              and frozenset(map(_stem, _subject_terms(part[:colon])))
              & frozenset(map(_stem, asked.subject))):
            # "**Expected net gain: −$0.33 per play**": a label naming what was asked, then its
            # value ("**总路程：270千米**" asked the average speed is a step's result)
            part = part[colon + 1 :]
        nums = _numbers_in(part, lenient=True)
        if not nums:
            continue
        scale = _SCALE_AFTER.match(answer, m.end())
        if scale and len(nums) == 1 and not part[nums[0].end :].strip():
            # "**8.7** million", "**362.88** 万种": the multiplier sits just outside the bold.
            nums = [_parse_one(nums[0].raw + scale.group()) or nums[0]]
        settled = _settle(nums[-1], part) if len(nums) > 1 else nums[0]
        if isinstance(settled, _Number) and len(nums) > 1:
            return None  # several numbers in one bold phrase: a sentence, not a value
        rest = part.replace(nums[-1].raw, " ", 1)
        if isinstance(settled, _Number) and len(_BOLD_EXTRA.findall(rest)) > 4:
            continue
        found.append((m.start(), settled))
    values = {(x.value, x.percent) if isinstance(x, _Number) else x for _, x in found}
    if len(values) != 1:
        return None
    return found[-1]


# A lower-case number word set in bold inside a sentence: emphasis, not a value set out.
_EMPHASIS_WORD = lazy(r"\s*(?:one|two|three|four|five|six|seven|eight|nine|ten|once|twice)\s*")
_SUBSCRIPT_RUN = lazy("[\u2080-\u208e\u2090-\u209c]+")
# An index written under a symbol ("a_5", "F_{n-2}", "x_{10}"): it names a term, not a value.
# (Not a word joined by "_": "final_answer", "total_cost" are names.)
_INDEX = lazy(r"(?<=[A-Za-z)\]}])_(?:\{[^{}\n]{0,20}\}|[0-9]+|[A-Za-z][0-9]*)(?![A-Za-z])")


def _subscripts_marked(text: str) -> str:
    """Unicode subscripts as ``_{…}`` indices, before NFKC folds ``Fₙ₋₂`` into ``Fn-2``."""
    if not _SUBSCRIPT_RUN.search(text):
        return text
    return _SUBSCRIPT_RUN.sub(lambda m: "_{" + unicodedata.normalize("NFKC", m.group()) + "}",
                              text)


def _indices_blanked(text: str) -> str:
    """``text`` with its indices blanked (positions kept): "a₅ = 31" states 31, not 5."""
    return _INDEX.sub(_blank, text) if "_" in text else text


def _given_values(question: str | None) -> frozenset[Fraction]:
    """The values the question itself states: restated in an answer, they are not its result."""
    if not question:
        return frozenset()
    text = _indices_blanked(_clean_latex(_prepare(_subscripts_marked(question))))
    # "What is 2^10?" gives an expression to evaluate, not the value 1024.
    return frozenset(n.value for n in _numbers_in(text, lenient=True)
                     if not _POWER_EXPRESSION.match(n.raw))


class _Given(AbstractSet[Fraction]):
    """``_given_values(question)``, computed on first use (see ``_Asked`` for why)."""

    __slots__ = ("_question", "_values")

    def __init__(self, question: str | None) -> None:
        self._question = question
        self._values: frozenset[Fraction] | None = None

    def _get(self) -> frozenset[Fraction]:
        if self._values is None:
            self._values = _given_values(self._question)
        return self._values

    def __contains__(self, x: object) -> bool:
        return x in self._get()

    def __iter__(self) -> Iterator[Fraction]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


_POWER_EXPRESSION = lazy(r"\s*[-+]?(?!10\s*(?:\^|\*\*))\d+(?:\.\d+)?\s*(?:\^|\*\*)")
# Two roots set out side by side ("x₁ = −3，x₂ = 3", "x_1 = 2 and x_2 = 5") or at once ("x =
# ±3"): the equation has two answers and the reply gives both, so no one value is its answer.
_ROOT_PAIR = lazy(
    r"(?<![A-Za-z])(?P<v>[A-Za-z])_\{1\}\s*=\s*[^=\n]{1,30}?(?:[,;]|\band\b|或|和|及)\s*"
    r"(?:and\s+)?(?P=v)_\{2\}\s*=\s*[-+]?\s*\d[\d.,/]*"
    # ("x = ±3", "the square roots of 49 are ±7", "平方根是±7"; not a tolerance, "the margin
    # of error is ±3.1%")
    r"|(?:=|(?i:\broots?\b[^=.\n]{0,20}?\b(?:are|is|be))|平方根[^。\n=]{0,6}?(?:是|为))"
    r"\s*±\s*\d[\d.,/]*"
)


def _root_pairs(answer: str) -> list[tuple[int, int]]:
    """The spans of ``_ROOT_PAIR`` in ``answer`` (indices still marked), whose values differ."""
    if "_{2}" not in answer and "±" not in answer:
        return []
    spans = []
    for m in _ROOT_PAIR.finditer(answer):
        values = {n.value for n in _numbers_in(_indices_blanked(m.group()))}
        if len(values) > 1 or "±" in m.group():
            spans.append(m.span())
    return spans


# The form most answers take when a template asks for it: one sentence, "The answer is 42."
# and nothing else. Every rule below reads it the same way (a marker, one plain number, no
# question needed), so it is read here at once; the full reading of such a reply cost more
# than everything else baimo does with a sample (``benchmarks/overhead.py``).
# ``tests/tasks/test_extract.py`` checks this shortcut against the full rules.
_PLAIN_ANSWER = lazy(
    r"(?:(?:The |the )?(?:final )?answer is|(?:Final )?[Aa]nswer:|答案[是为]|答案：|答：) ?"
    rf"(?P<n>{_PLAIN_NUMBER_RE})(?:\.|。)?"
)


def extract_number(text: str, *, finish_reason: str | None = None,
                   question: str | None = None) -> Extraction:
    """Read the final numeric answer from a response.

    The rules, from strongest to weakest: the last of ``\\boxed{}``, a GSM8K ``#### 42`` line,
    the one value set in bold, a table's total row (when a total is asked) and an answer
    sentence ("The answer is 42", "答：共15元"), whichever comes last; then a
    concluding sentence ("So she has 17 left", "所以…是八十度") with nothing computed after it;
    then the last number (skipping checks after the conclusion, step numbers, dates and
    asides in parentheses), in digits or in words (三十五, twenty-four). Of these weak
    readings, a value in another unit than the question asks in gives way to the last value
    in the asked unit. A response cut off by
    the token limit only counts when one of the strong rules completed before the cut, or
    when its one-sentence first paragraph stated the answer: its last number may be a
    half-written intermediate result.

    A range ("10-12"), a hedge ("12 or 13"), a refusal, or a statement that the answer cannot
    be determined is ``no-answer``: the model committed to no value.

    A reply that is only "The answer is 42." (``_PLAIN_ANSWER``) is read without the full
    rules, with the same result.

    Args:
        text: The response. A ``<think>`` block is removed first; only the answer is read.
        finish_reason: The server's finish reason; ``"length"`` means the response was cut off.
        question: The question, when the caller has it. Only breaks ties: of several numbers
            in the answer sentence, one the question already gave ("答：三年后父亲的年龄是儿子的
            4倍") is less likely the result.

    Returns:
        The extraction, with ``value`` as the cleaned number text and ``number`` its value.
    """
    if finish_reason != "length" and len(text) < 64:
        plain = _PLAIN_ANSWER.fullmatch(text.strip())
        if plain is not None:
            value = plain.group("n")
            return Extraction("ok", value, "marker", float(value))
    return _extract_number(text, finish_reason=finish_reason, question=question)


def _extract_number(text: str, *, finish_reason: str | None = None,
                    question: str | None = None) -> Extraction:
    """``extract_number`` by the full rules (the shortcut aside)."""
    truncated = finish_reason == "length"
    _, answer = strip_reasoning(_prepare(_subscripts_marked(text)))
    answer = _CITATION.sub(_blank, _FOOTNOTE.sub("Note: ", _clean_latex(answer)))
    if "ource" in answer or "eference" in answer or "来源" in answer or "参考" in answer:
        # ("Sources\n1. NIST CODATA, 2018\n2. BIPM SI Brochure, 9th ed."): a list of where the
        # facts came from, as the letters' reader drops it (``_without_sources``); only after
        # the reply has stated something ("Source: 2020 Census\nTexas had 29,145,505" opens
        # with its source)
        answer = _SOURCES_SECTION.sub(
            lambda m: "" if _numbers_in(m.string[: m.start()]) else m.group(), answer).rstrip()
    if "cent" in answer and ("dollar" in answer or "$" in answer):
        # "one dollar and seventy-five cents": one amount, $1.75
        answer = _DOLLARS_AND_CENTS.sub(_dollars_and_cents, answer)
    if "and a half" in answer:
        # "an hour and a half", "two miles and a half": the number and its half, one value
        answer = _UNIT_AND_A_HALF.sub(_unit_and_a_half, answer)
    if "($" in answer or "( $" in answer:
        # "NPV = ($1,555.22)": an amount in brackets is negative in accounts
        answer = _ACCOUNTING_NEGATIVE.sub(r" -$\1 ", answer)
    if "±" in answer or "+/-" in answer:
        answer = _UNCERTAINTY.sub(_blank, answer)
    roots = _root_pairs(answer)
    answer = _indices_blanked(answer)
    invented = _invented_question(answer)
    if invented is None and (heading := _QUESTION_HEADING.search(answer)) is not None and (
            _GSM8K.search(answer, 0, heading.start())
            or _NUM_MARKER.search(answer, 0, heading.start())):
        invented = heading.start()
    if invented is not None:
        # "#### 84\n\nQuestion: John has 5 apples…": having answered, a small model goes on
        # to invent the next exercise of its few-shot prompt ("下一题：…", a tutor's practice
        # question). That text (and a cut inside it) is about another question; the reply to
        # this one ended before it.
        answer = answer[:invented]
        truncated = False

    def found(n: _Number | str, method: str) -> Extraction:
        if isinstance(n, str):
            return nothing(n)
        n = asked.rescale(n)
        return Extraction("ok", n.text, method, float(n.value),
                          truncated=finish_reason == "length")

    def nothing(method: str = "none") -> Extraction:
        if truncated:
            return Extraction("truncated", None, method, truncated=True)
        return Extraction("no-answer", None, method)

    if not answer:
        return nothing("empty-answer")

    end = len(answer.rstrip())
    strong: list[tuple[int, _Number | str, str]] = []
    for pos, content in _boxed_contents(answer)[-_MAX_MARKERS:]:
        nums = _numbers_in(content)
        if nums:
            strong.append((pos, _settle(nums[-1], content), "boxed"))
    for m in _GSM8K.finditer(answer):
        line = m.group(1)[:_MAX_SEGMENT]
        nums = _numbers_in(line)
        if nums and (m.end() < end or not truncated):
            strong.append((m.start(), _settle(nums[0], line), "gsm8k"))
    given = _Given(question)
    asked = _Asked(question)
    bold = _emphasised(answer, asked)
    if bold is not None and (not truncated or bold[0] < end):
        strong.append((bold[0], bold[1], "bold"))
    total = _table_total(answer, question and _prepare(question))
    if total is not None and (not truncated or answer.find("\n", total[0]) > 0):
        strong.append((total[0], total[1], "table-total"))
    elif "|**" in answer.replace(" ", "") and (row := _bold_row(answer)) is not None:
        strong.append((row.start, row, "table-row"))
    # "…求和为 55。\n\n输出：55": the program's output on the reply's closing line
    if ("输出" in answer and (line := _OUTPUT_LINE.search(answer)) is not None
            and (value := _parse_one(line.group(1))) is not None):
        strong.append((line.start(), dataclasses.replace(
            value, start=line.start(1), end=line.end(1)), "marker"))
    if (question and _OUTPUT_ASKED.search(question)
            and (output := _OUTPUT_FIRST.match(answer)) is not None
            and (value := _parse_one(output.group(1))) is not None
            and not _first_taken_back(answer)
            and all(_parse_one(o.group(1)) is not None
                    and numbers_equal(o.group(1), output.group(1))
                    for o in _OUTPUT_STATED.finditer(answer, output.end()))):
        # "输出 `9`。\n\n- `10 % 3` 是取余，结果为 `1`\n- `2 ** 3` 结果为 `8`": asked what a
        # program prints, a reply that opens by saying it answers first; the values after it
        # are the steps (or another case: "如果写成 `2 ^ 10`，结果是 8"), unless it states
        # another output later.
        return found(dataclasses.replace(value, start=output.start(1), end=output.end(1)),
                     "marker")
    if "```" in answer:
        for m in _OUTPUT_BLOCK.finditer(answer):
            # "Output:\n```\n51\n```": the program's output, labelled as such
            if (value := _parse_one(m.group(1))) is not None:
                strong.append((m.start(), dataclasses.replace(
                    value, start=m.start(1), end=m.start(1) + len(m.group(1))), "marker"))
    filled = _filled_blank(answer, question) if question and "(" in answer else None
    if filled is not None:
        strong.append((filled.start, filled, "filled-blank"))
    strong.sort(key=lambda t: t[0])
    marked = _last_marker_number(answer, truncated, given, asked)
    if marked is not None and (not strong or (
            marked[0] > strong[-1][0]
            # ("**−15万元** …\n\n### 验算\n- 亏损合计 … = 15": a marker in the check below the
            # answer checks it)
            and not ((check := _CHECK_HEADING.search(answer, strong[-1][0], marked[0]))
                     and "\n\n" not in answer[check.end() : marked[0]]))):
        strong.append(marked)
    if strong and _NO_SINGLE_OPENING.match(answer):
        # "There's no single right number — it depends on your income … about **3× your
        # salary**": a reply that opens by denying one answer gives rules of thumb after
        return nothing("undetermined")
    if strong and (refused := _REFUSAL.match(answer)) is not None and (
            (stop := _SENTENCE_END.search(answer, refused.end())) is not None
            # (a bare refusal only: "I can't give an exact number. Roughly, **300**" answers)
            and _BARE_REFUSAL.fullmatch(answer, refused.end(), stop.start())):
        # "I'm not able to help with that. … call or text **988** …": a reply that opens by
        # refusing outright; the numbers it gives after (a hotline, a resource) answer nothing.
        return nothing("refusal")
    if strong:
        pos, n, method = strong[-1]
        if method == "marker" and isinstance(n, _Number):
            # "…那答案就是25。题目表述可能有歧义，24或25都有可能": the reply goes on to leave
            # the value open between its candidates.
            stop = _SENTENCE_END.search(answer, n.end)
            if stop is not None and _VALUES_OPEN.search(answer, stop.end()):
                return nothing("hedged")
        return found(n, method)
    if _REFUSAL.search(answer):
        return nothing("refusal")
    if not truncated and (opening := _DASHED_OPENING.match(answer)) is not None:
        # "Thirteen — one more than a regular dozen (12).", "**42** — the product of…": a
        # reply that opens with a value alone and comments on it after a dash answers first.
        value = _parse_one(opening.group("v"))
        if (value is not None and value.value not in given
                and not _TAKEN_BACK.search(answer, opening.end())
                # ("1 — Set up the equation …\n2 — Solve …": numbered steps; "60 — the minutes
                # in an hour. Multiply by 24 …": a premise the working goes on from)
                and not _DASHED_STEP.search(answer, opening.end())
                # (a reason for the value may work: "Seven — since 7 × 7 × 7 = 343.")
                and (_BECAUSE.match(answer, opening.end())
                     or not (_WORKS_ON.search(answer, opening.end())
                             or "=" in answer[opening.end() :]))):
            return found(value, "answer-first")
    if not truncated:
        opened = answer
        if ((alone := _LONE_VALUE_SENTENCE.match(answer)) is not None
                and _parse_one(alone.group().strip(" \t\n*_.!。！")) is not None):
            # "Thirty. Article I, Section 3 requires …": a value said alone opens the line,
            # as it would open a paragraph of its own
            opened = answer[: alone.end()] + "\n\n" + answer[alone.end() :].lstrip()
        first = _answer_first(opened, given, leading_clause=True, year=asked.year)
        if (first is not None and (first.value not in given or answer.startswith("```"))
                and not _UNDETERMINED.search(answer)
                and (_restated_later(opened, first)
                     # (only for a question that gives no values: one that does asks for
                     # working, and a later paragraph may go on with it in words; a program's
                     # output set out first is no working, whatever numbers the code holds)
                     or ((answer.startswith("```")
                          or not _GIVES_VALUES.search(_CODE_SPAN.sub(" ", asked.question)))
                         and _context_only(opened, first)))):
            # "5050。\n\n高斯求和：(1 + 100) × 100 ÷ 2 = 5050。相传高斯 10 岁时…": the value the
            # reply opens with, worked out again below, answers; an anecdote's numbers do not.
            # Nor do the facts of a reply that only adds context ("约 1.26 亿人。\n\n排名第二的
            # 是山东省，约 1.02 亿人…", "100 次/分。\n\n正常范围是 60~100 次/分…").
            return found(first, "answer-first")
    if truncated:
        first = _answer_first(answer, given)
        # (not a value of the question's inside the sentence: "Antiderivative of 3x² is
        # x³.\nEvaluate … =" and "绕一圈的长度就是…" cut off mid-working; "5 minutes.\nEach
        # machine …" states it)
        if first is not None and (first.value not in given
                                  or _ALONE_BEFORE.fullmatch(answer, 0, first.start)):
            return found(first, "answer-first")
        # Cut off while checking an answer it had already stated ("… = 24.\n\nLet me list
        # a few to sanity-check: 1, 2, 3, …"): the working before the check is complete.
        for check in _CHECK.finditer(answer):
            if _CONCLUDES.search(answer, check.end()):
                break  # the check led on to a conclusion, and the cut fell inside that
            before = answer[: check.start()].rstrip()
            if before.endswith((".", "。", "!", "！")) and _numbers_in(before):
                settled = _fallback(before, given, asked)
                if settled is not None and not isinstance(settled[0], str):
                    return found(settled[0], "answer-before-check")
            break
        looped = _looped_result(answer, given, asked)
        if looped is not None:
            return found(looped, "looped")
        return nothing()
    last = _fallback(answer, given, asked)
    if (last is not None and last[1] in ("last-number", "zh-numeral", "number-words")
            and _loops(answer) and all(n.value in given for n in _numbers_in(answer))):
        return nothing("echoes-question")  # a loop that only repeats the question's numbers
    if (last is not None and last[1] in ("last-number", "zh-numeral", "number-words")
            and isinstance(last[0], _Number) and _method_only(answer, last[0], given)):
        return nothing("method-only")
    if (last is not None and isinstance(last[0], _Number)
            and any(s <= last[0].start < e for s, e in roots)):
        return nothing("hedged")  # the value read is one of two roots set out together
    masked = _LABELS.sub(_blank, answer)
    final_paragraph = masked.rstrip().rfind("\n\n")
    asides = list(_PARENS.finditer(answer))
    for pattern, reason in ((_UNDETERMINED, "undetermined"), (_UNSURE, "hedged"),
                            (_ASKS_BACK, "undetermined")):
        # "（平均数≈7.33，众数不存在）": a parenthesised aside speaks of another quantity.
        hits = [h for h in pattern.finditer(answer)
                if not any(p.start() < h.start() < p.end() for p in asides)]
        if hits and (last is None or isinstance(last[0], str)
                     or hits[-1].start() > _last_number_start(masked)
                     or hits[-1].start() > final_paragraph
                     # Said it cannot be answered, and nothing states an answer: the numbers
                     # it goes on to mention are examples ("例如女生有20人") or working.
                     or last[1] in ("last-number", "zh-numeral", "number-words")):
            return nothing(reason)
    if (last is not None and last[1] in ("last-number", "zh-numeral", "number-words")
            # ("…somewhere in the 500–600 cm³ region.\n\nV = 551.368 cm³": a bound, then the
            # value worked out)
            and not (isinstance(last[0], _Number)
                     and _EQUATION_RESULT.search(masked, max(0, last[0].start - 4),
                                                 last[0].start))
            and _spans_range(masked[: _spread_start(masked, given, asked)], given)):
        # "一个大约在50到60克之间，土鸡蛋大约40克": the reply answered with a range, and no
        # statement commits to one value; its last number describes something else.
        return nothing("range")
    if (last is not None and last[1] in ("last-number", "zh-numeral", "number-words")
            and isinstance(last[0], _Number)
            and (echo := _question_echo(answer, last[0], given, asked)) is not None):
        return found(echo, "question-echo")
    if (last is not None and last[1] in ("last-number", "zh-numeral", "number-words")
            and isinstance(last[0], _Number) and asked.year
            and (year := _last_year(answer, last[0])) is not None):
        return found(year, "last-year")
    if (last is not None and last[1] in ("last-number", "zh-numeral")
            and isinstance(last[0], _Number) and ("=" in answer or "≈" in answer)
            and (labelled := _labelled_result(answer, last[0], asked)) is not None):
        return found(labelled, "labelled-result")
    if (last is not None and last[1] in ("last-number", "zh-numeral", "number-words")
            and isinstance(last[0], _Number)
            and (chained := _chain_first(answer, last[0], given, asked)) is not None):
        return found(chained, "answer-first")
    if (last is not None and isinstance(last[0], _Number) and not last[0].percent
            and asked.measure == "%"):
        # "The percent change is −16% …: (42 − 50)/50 = −0.16" asked a percentage: the same
        # value, stated as the percentage asked for, before it or after ("45/180 = 0.25,
        # which is twenty-five percent.").
        stated = [x for x in _numbers_in(answer)
                  if x.percent and x.value == last[0].value * 100]
        if stated:
            return found(stated[-1], last[1])
    if last is not None:
        return found(*last)
    return nothing()


_DOLLARS_AND_CENTS = lazy(
    rf"(?:(?<![A-Za-z0-9$-])(?P<d>\d{{1,9}}|a|(?:{_EN_WORD})(?:(?:\s+|\s*-\s*)(?:{_EN_WORD})){{0,3}})"
    rf"\s+dollars?|\$(?P<dd>\d{{1,9}}))\s+and\s+"
    rf"(?P<c>\d{{1,2}}|(?:{_EN_WORD})(?:\s*-\s*(?:{_EN_WORD}))?)\s+cents?\b",
    re.IGNORECASE,
)


def _dollars_and_cents(m: re.Match[str]) -> str:
    """"four dollars and fifty cents", "4 dollars and 50 cents", "$4 and 50 cents", "a dollar
    and five cents" as one amount ("$4.50")."""
    def value(words: str) -> int | None:
        return int(words) if words.isdigit() else 1 if words.lower() == "a" else _en_integer(words)

    dollars, cents = value(m.group("d") or m.group("dd")), value(m.group("c"))
    if dollars is None or cents is None or not 0 < cents < 100:
        return m.group()
    return f"${dollars}.{cents:02d}"


_UNIT_AND_A_HALF = lazy(
    rf"(?<![A-Za-z0-9-])(?P<n>\d{{1,6}}|an?|{'|'.join(list(_EN_SMALL)[1:20])})\s+"
    r"(?!(?:dozen|hundred|thousand|million|billion)\b)(?P<u>[A-Za-z]{2,12})\s+and\s+a\s+half\b"
    r"(?!\s+[A-Za-z])", re.IGNORECASE)  # (not "2 sisters and a half brother")


def _unit_and_a_half(m: re.Match[str]) -> str:
    whole = m.group("n").lower()
    n = int(whole) if whole.isdigit() else 1 if whole in ("a", "an") else _EN_SMALL[whole]
    unit = m.group("u")
    return f"{n}.5 {unit if unit.endswith('s') else unit + 's'}"


def _restates(a: Fraction, b: Fraction) -> bool:
    """Whether ``b`` may be ``a`` written again: rounded (within 5%), or in another unit or
    scale by a power of ten (a percentage, 万, thousands, cm for m)."""
    if a == 0 or b == 0:
        return a == b
    ratio = abs(a / b)
    while ratio >= 10:
        ratio /= 10
    while ratio < 1:
        ratio *= 10
    return min(ratio, 10 / ratio) <= Fraction(21, 20)


# How to solve it, told instead of solving it: "To solve this, let the integers be n − 1, n
# and n + 1 … Then solve for n", "用等比数列求和公式…代进去算一下就行", "See the reasoning above".
_METHOD_ONLY = lazy(
    r"\b(?:we\s+(?:can\s+)?use|use\s+the\s+formula|using\s+the\s+formula|plug\w*\s+(?:\w+\s+)?in"
    r"|substitut\w+|then\s+solve\s+for|see\s+the\s+reasoning\s+above"
    r"|to\s+(?:find|get|work\s+out|calculate|compute|determine)\b[^.\n]{0,60}?,\s*(?:just\s+)?"
    r"(?:subtract|divide|multiply|add|take|convert|count)"
    # "…are independent, so multiply the probability of …": an instruction, not a result
    r"|,\s*so\s+(?:just\s+)?(?:multiply|divide|add|subtract)\s+the\b"
    r"|as\s+(?:shown|derived|worked\s+out)\s+above|worked\s+(?:through\s+it|it\s+out)\s+above)\b"
    r"|求和公式|代入|代进去|逐项计算|可以(?:直接)?用"
    r"|按这个思路|自己算一下|(?:相除|相乘|相加|相减)即可"
    # "…列出等量关系，然后解方程就行。你可以自己先试着算一算": a tutor's method, result withheld
    r"|(?:解|列)(?:出)?方程就(?:行|可以)|(?:自己|你)(?:先)?(?:试着|尝试)?算一算",
    re.IGNORECASE,
)
_OPERAND_NEXT = lazy(r"[-+×÷*/^(−]\s*$")
_OPERAND_AFTER = lazy(r"\s*[-+×÷*/^)−]")
# A value stated as a result: after "is", "=", "是", "为" …
_STATED_AS_RESULT = lazy(r"(?:\b(?:is|are|was|equals?|gives?|makes?|get)\b|[=≈:]|是|为|得|等于|共)"
                         r"\s*[$¥]?\s*$", re.IGNORECASE)


def _method_only(answer: str, n: _Number, given: AbstractSet[Fraction]) -> bool:
    """Whether the reply only says how to solve the question: a method, no value of its own
    stated as a result, and the number it ends on (``n``) the question's, a formula's operand
    or a small count in words ("the two functions"). Its result stayed in the reasoning it did
    not show. ("legs of 3 and 4 give a hypotenuse of 5" states its result.)"""
    if not _METHOD_ONLY.search(answer) or not (
            n.value in given or _OPERAND_NEXT.search(answer, max(0, n.start - 3), n.start)
            or _OPERAND_AFTER.match(answer, n.end) or (n.kind != "ar" and abs(n.value) <= 3)):
        return False
    return not any(n.value not in given
                   and _STATED_AS_RESULT.search(answer, max(0, n.start - 12), n.start)
                   for n in _numbers_in(answer))


def _chain_first(answer: str, last: _Number, given: AbstractSet[Fraction],
                 asked: _Asked = _NOT_ASKED) -> _Number | None:
    """The result of a reply's opening equation, when only comment follows it.

    "W = mg = 70 kg × 1.62 m/s² = 113.4 N\n\nThat's about one-sixth of the ~686 N the same
    astronaut weighs on Earth.": the first paragraph works the answer out in one line, and the
    paragraphs after it compute nothing and conclude nothing; their numbers compare it with
    other quantities. (A later paragraph that computes, or concludes, goes on with the work.)
    """
    head, sep, rest = answer.strip().partition("\n\n")
    if not sep or "\n" in head or last.start < len(answer) - len(answer.lstrip()) + len(head):
        return None
    cut = max(head.rfind("="), head.rfind("≈"))
    if (cut < 0 or "=" in rest or "≈" in rest or _COMPUTES.search(rest) or _CONCLUDES.search(rest)
            or _TAKEN_BACK.search(rest)
            # ("He gives away 10, which leaves him with 26": the story goes on from the value)
            or _CHANGED.search(rest) or _WORKS_ON.search(rest)):
        return None
    subject = frozenset(map(_stem, asked.subject))
    if (len(frozenset(map(_stem, _subject_terms(rest))) & subject)
            > len(frozenset(map(_stem, _subject_terms(head))) & subject)):
        return None  # ("A = … = $2,160.\n\nInterest earned: $160." asked the interest)
    result = _numbers_in(head[cut + 1 :])
    if (len(result) != 1 or result[0].value in given
            or _restates(result[0].value, last.value)):
        return None  # ("≈ 1.414", "= 40%", "3.2 × 10⁶ m": the value again, rounded or rescaled)
    offset = len(answer) - len(answer.lstrip()) + cut + 1
    return dataclasses.replace(result[0], start=result[0].start + offset,
                               end=result[0].end + offset)


# A piece of a reply that may hold one working: a line, or a sentence of one.
_WORKING_SPLIT = lazy(r"\n|(?<=[。！？；;])|(?<=\.)\s+(?=[A-Z\u4e00-\u9fff])")
# Where a working's label ends: the clause before its first "=" or "≈" ("平均数 10，方差 s² =").
_LABEL_CLAUSE = lazy(r"[,，;；:：、]")


_FENCED = lazy(r"```[^`]*(?:```|\Z)|`[^`\n]*`")
_MISTAKE = lazy(r"错误|错的|误|\b(?:wrong|mistake|incorrect|error)\b", re.IGNORECASE)
_ABBREVIATION = lazy(r"\b[A-Z]{2,5}\b")
_NOT_EQUALS = lazy(r"[=!<>]=|=[=>]")


@dataclasses.dataclass(frozen=True)
class _Working:
    """An equation chain: its label's terms and the value it ends in."""

    terms: frozenset[str]
    result: _Number
    concluded: bool = False  # "…，所以 2.25小时＝135分钟": a conclusion, no side quantity
    rejected: bool = False  # on a line that calls it a mistake
    abbreviations: frozenset[str] = frozenset()  # its label's capitalised ones ("APY")


def _workings(answer: str) -> list[_Working]:
    """The labelled equation chains of a reply, in order.

    "应纳税所得额 = 12000 − 2000 − 5000 = 5000元", "发行价格 = 80 × 3.7908 + …\n= 303.26 +
    620.90\n= 924.16（元）" (the lines that open with "=" carry it on), "标准差为 √2 ≈ 1.41":
    the label is the clause before the first "=" or "≈", without its numbers; the result is
    the value after the last one.
    """
    found: list[_Working] = []
    pieces: list[tuple[int, str]] = []
    # Code states no working: "n % 3 == 0", "x <= 5" and fenced blocks are blanked (same length).
    answer = _NOT_EQUALS.sub(_blank, _FENCED.sub(_blank, answer))
    start = 0
    for brk in [*_WORKING_SPLIT.finditer(answer), None]:
        end = brk.start() if brk else len(answer)
        piece = answer[start:end]
        if piece.lstrip(" \t*>-").startswith(("=", "≈")) and pieces:
            pieces[-1] = (pieces[-1][0], answer[pieces[-1][0] : end])
        elif "=" in piece or "≈" in piece:
            pieces.append((start, piece))
        start = brk.end() if brk else end
    for offset, piece in pieces:
        first = min(i for i in (piece.find("="), piece.find("≈")) if i >= 0)
        last = max(piece.rfind("="), piece.rfind("≈"))
        nums = _numbers_in(piece[last + 1 :])
        if not nums:
            continue
        # (the clause with a name in it: "对应的个税：3000×3% + …" is labelled before its colon)
        clauses = [re.sub(r"[-+]?\d[\d,.]*%?", " ", c)
                   for c in _LABEL_CLAUSE.split(piece[:first])]
        terms = next((t for c in reversed(clauses)
                      if (t := frozenset(map(_stem, _subject_terms(c))))), frozenset())
        n = nums[0]
        line_end = answer.find("\n", offset + len(piece))
        line = answer[answer.rfind("\n", 0, offset) + 1 : line_end if line_end >= 0 else None]
        found.append(_Working(
            terms, dataclasses.replace(n, start=n.start + offset + last + 1,
                                       end=n.end + offset + last + 1),
            concluded=_CONCLUDES.search(piece) is not None,
            rejected=_MISTAKE.search(line) is not None,
            abbreviations=frozenset(a.lower() for a in _ABBREVIATION.findall(piece[:first]))))
    return found


def _labelled_result(answer: str, n: _Number, asked: _Asked) -> _Number | None:
    """When the last number closes a working labelled with another quantity than the one
    asked, the result of the last working labelled with the asked one.

    "应纳税所得额 = … = 5000元。\n\n对应的个税：… = 290元。" asked the 应纳税所得额, "发行价格 = …
    = 924.16（元）。…折价金额为 1000 − 924.16 = 75.84 元。" asked the 发行价格, "方差 s² = … = 2。
    标准差为 √2 ≈ 1.41。" asked the 方差: a reply works out what was asked, then goes on to a
    related quantity it names. The asked quantity is the head of the asking clause (its part
    after 的), or the whole clause without one. A working whose label names nothing of the
    question says nothing of which value answers it.
    """
    target = frozenset(map(_stem, asked.head or asked.subject))
    if not target:
        return None
    workings = _workings(answer)
    if len(workings) < 2 or workings[-1].result.value != n.value or not workings[-1].terms:
        return None
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", asked.question)).lower()
    if (workings[-1].terms & target or workings[-1].concluded
            or any(a in initials for a in workings[-1].abbreviations)):
        return None  # (a concluded result, or one labelled with the asked thing's initials: APY)
    # (A result may equal a value the question gave: the variance of 1…5 is 2.) The earlier
    # working must name the asked thing well: half its terms, or two of them; and not be one
    # the reply calls a mistake ("速度的算术平均 = 4.5（这是常见的错误做法）").
    scored = [(len(w.terms & target), i) for i, w in enumerate(workings[:-1])
              if w.result.value != n.value and not w.rejected]
    if not scored:
        return None
    best, i = max(scored)
    return workings[i].result if best >= min(2, (len(target) + 1) // 2) else None


# A year as replies write one: "1912", "公元618年", "618 AD", "44 BC".
_YEAR_FORM = lazy(
    r"(?<![\d,.])(?P<y>\d{1,4})\s*(?:年|(?:AD|BC|BCE|CE)\b)"
    r"|(?<![\d,.$¥€£])(?P<z>1\d{3}|20\d{2})(?![\d%]|[.,]\d)",
)


def _last_year(answer: str, n: _Number) -> _Number | None:
    """Asked for a year, the last year written before a last number that is not one.

    "The Titanic sank in 1912 on its maiden voyage; more than 1,500 people died", "landed on
    July 20, 1969, … six and a half hours later": a count, an amount or a duration in words
    after the year describes something else; the year answers what was asked. A last number
    that could itself be a year ("1500", "289年") is left to the other rules.
    """
    if n.kind == "ar" and _YEAR_FORM.match(answer, n.start):
        return None
    years = list(_YEAR_FORM.finditer(answer, 0, n.start))
    if not years:
        return None
    return _parse_one(years[-1].group("y") or years[-1].group("z"))


def _loops(text: str) -> list[str]:
    """The sentences ``text`` repeats three times or more, as small models do when they fall
    into a loop (real replies restate a result, but not word for word thrice)."""
    seen: dict[str, int] = {}
    for s in _SENTENCE_SPLIT.split(text):
        s = s.strip()
        if len(s) >= 6:
            seen[s] = seen.get(s, 0) + 1
    return [s for s, count in seen.items() if count >= 3]


def _looped_result(answer: str, given: AbstractSet[Fraction], asked: _Asked) -> _Number | None:
    """In a looping reply cut by the limit, the result one of its repeated sentences states.

    The cut only interrupted one more copy of what was said in full, so the value read from
    the complete sentences counts, but only when a repeated sentence states it as its one new
    value ("所以每个小朋友分得9颗糖。"): a loop over the working or the question states none.
    """
    repeated = _loops(answer)
    stated = set()
    for s in repeated:
        new = {n.value for n in _numbers_in(s) if n.value not in given}
        if len(new) == 1:
            stated |= new
    done = max(answer.rfind(c) for c in "。.!！?？\n")
    if not stated or done <= 0:
        return None
    settled = _fallback(answer[: done + 1], given, asked)
    if settled is None or isinstance(settled[0], str) or settled[0].value not in stated:
        return None
    return settled[0]


_VARIES = lazy(r"\b(?:var(?:y|ies|ied)|depends?|differs?|ranges?)\b|因人而异|不等|不同|取决于|视情况",
               re.IGNORECASE)


def _spans_range(text: str, given: AbstractSet[Fraction] = frozenset()) -> bool:
    """Whether the first sentence of ``text`` states a range of two different values ("50–60%",
    "between 7 and 8", "在50到60克之间"): the reply opened with a range for its answer.

    Only the opening sentence counts, and a hyphen never does: "1000-1" and "4300-4000" in
    working are subtractions. Nor does a range whose ends both come from the question ("1到10
    中的质数有…" asked about 1到10): it restates the question's scope, not an answer.
    """
    start, padded = len(text) - len(text.lstrip()), text + "\n"
    while True:
        stop = _SENTENCE_STOP.search(padded, start + 1)
        end = min(stop.end(), len(text)) if stop else len(text)
        if (end >= len(text) or _ANY_DIGIT.search(text, start, end)
                or not _VARIES.search(text, start, end)):
            break
        # (a sentence before it that says the value varies holds none: "Estimates vary a lot
        # by source. Most surveys put it between $110,000 and $140,000 …")
        start = end
    for m in _RANGE.finditer(text, start, end):
        if re.search(r"\d-\d", m.group()) or text[max(0, m.start() - 1) : m.start()] == ":":
            continue  # a subtraction, or a clock time ("from 9:45 to 10:45")
        ends = _arabic_numbers(m.group())
        if ends and all(x.value in given for x in ends):
            continue
        if re.fullmatch(r"[\d.,]+\s*[–~〜到至]\s*[\d.,]+\s*%\s*", m.group()):
            return True  # "50–60%": both ends are percentages
        if len({x.value for x in ends}) == 2 and len({x.percent for x in ends}) == 1:
            return True
    return False


def _last_number_start(text: str) -> int:
    nums = _numbers_in(text)
    return nums[-1].start if nums else -1


def _stem(term: str) -> str:
    """An English word without its inflection ("landed" → land, "sides" → side), so that a
    reply's verb matches the question's; Chinese character pairs are kept as they are. A final
    "e" goes too, and "ly": "estimated" and "an estimate", "officially" and "the official
    record" name the same thing."""
    if term.isascii():
        for suffix in ("ing", "ed", "ly", "s"):
            if term.endswith(suffix) and len(term) - len(suffix) >= 3:
                term = term[: -len(suffix)]
                break
        if term.endswith("e") and len(term) >= 4:
            term = term[:-1]
    return term


@functools.lru_cache(maxsize=256)
def _echo_terms(question: str) -> tuple[frozenset[str], frozenset[str]]:
    """The stemmed terms of the question's asking clause and of its head (see
    ``_asked_subject``), leaving out parenthesised qualifiers ("（不含港澳台）"), which
    replies seldom repeat."""
    subject, head = _asked_subject(_PARENS.sub(" ", _prepare(question)))
    return frozenset(map(_stem, subject)), frozenset(map(_stem, head))


# Clause breaks for the echo (commas inside "4,096" or a list "3, 4, 5" do not break).
_ECHO_CLAUSE = lazy(
    r"[。！？!?；;\n]|\.(?=\s|$)|[,，、](?!\s*[-+$¥]?\d)|\s(?:and|but)\s|而|并且"
    # "27 bones: 8 carpals, …", "88 keys — 52 white …": a breakdown after the value
    # (a hyphen between numbers is a minus sign: "180° - 35° - 65° = 80°")
    r"|[:：](?!\d)|\s(?:[—–]{1,2}|--)\s|\s-\s(?![-+$¥]?\d)|——")
# After the echo, the reply takes a value back: a correction, not an aside.
_TAKEN_BACK = lazy(
    r"\b(?:wait|actually|correction|oops|sorry|mistake|recalculat\w*|re-?check\w*)\b"
    r"|不对|更正|纠正|应为|应该是|重新|错了|算错",
    re.IGNORECASE,
)


def _question_echo(answer: str, n: _Number, given: AbstractSet[Fraction], asked: _Asked,
                   ) -> _Number | None:
    """The value of the clause that restates the question, when the last number came after it.

    Replies without an answer marker often answer by echoing the question ("唐朝建立于公元哪一
    年" → "唐朝建立于公元618年，…；907年…灭亡，共历时289年", "How many sides does a dodecagon
    have?" → "A dodecagon has twelve sides … its interior angles sum to 1800°") and then go on
    to related facts. The clause that repeats most of the asking clause's terms (at least two,
    and half of them, or half of its head's), states one value the question did not give and
    computes nothing, answers; numbers after it, in clauses that echo the question less, are
    about other things. The last such clause counts (a small model restating a corrected
    value), and nothing happens when the reply takes a value back after it.
    """
    if not asked.question or not (_ANY_DIGIT.search(answer, 0, n.start)
                                  or _ANY_EN_WORD.search(answer, 0, n.start)):
        return None  # (the common case: nothing that could be a number before the last one)
    if "(" in asked.question or "（" in asked.question:
        subject, head = _echo_terms(asked.question)
    else:  # (the common case: the terms ``asked`` read already, stemmed)
        subject = frozenset(map(_stem, asked.subject))
        head = frozenset(map(_stem, asked.head))
    if ":" in answer or "：" in answer:
        labelled = _labelled_value(answer, n, subject)
        if labelled is not None:
            return labelled
    if len(subject) < 2:
        return None
    before = answer[: n.start].lower()
    if sum(term in before for term in subject) < 2:
        return None  # (cheap: no clause before the number can echo the question)
    stop = _ECHO_CLAUSE.search(answer, n.end)
    masked = (_LABELS_BUT_YEARS if asked.year else _LABELS).sub(_blank, answer[: stop.start()
                                                                             if stop else None])
    masked = _PARENS.sub(_blank, masked)
    # A clause echoes the question when it repeats half its terms; one that repeats two only
    # names the asked quantity ("the minimum value is -4" asked "the minimum value of f over
    # all real x"), and counts only when the last number's clause names it less.
    best: tuple[int, int] | None = None
    weak: tuple[int, int] | None = None
    echo: _Number | None = None
    named: tuple[_Number, int, int] | None = None
    echo_start = echo_end = 0
    start = 0
    score = (0, 0)
    for brk in [*_ECHO_CLAUSE.finditer(masked), None]:
        if brk and brk.group() in ":：" and not _ANY_DIGIT.search(masked, start, brk.start()):
            continue  # a label's colon ('"平均分": 88'), not a breakdown after a value
        if brk and brk.group() == "\n" and _OPEN_END.search(masked, start, brk.start()):
            continue  # "地球质量约为\n\n$$M ≈ 5.97×10^24 kg$$": the value set out below
        end = brk.start() if brk else len(masked)
        clause = masked[start:end]
        terms = frozenset(map(_stem, _subject_terms(clause)))
        score = (len(terms & head), len(terms & subject))
        echoes = score[1] >= 2 and (2 * score[1] >= len(subject)
                                    or (score[0] >= 2 and 2 * score[0] >= len(head)))
        tier = best if echoes else weak
        if (score[1] >= 2 and (tier is None or score >= tier)
                and not _COMPARED.search(clause)):
            value = _echo_value(clause, given, asked)
            if value is not None and not _COMPUTES.search(answer, start, end):
                value = dataclasses.replace(value, start=value.start + start,
                                            end=value.end + start)
                if echoes:
                    best, echo, echo_start, echo_end = score, value, start, end
                elif echo is None:
                    weak, named = score, (value, start, end)
            elif echoes and best is not None:
                return None  # a later clause echoes as much, and states no one value
            elif weak is not None:
                named = None  # a later clause names it as much, and states no one value
        start = brk.end() if brk else end
    if echo is None and named is not None and weak is not None and score[1] < weak[1]:
        echo, echo_start, echo_end = named
    if (echo is None or echo.start >= n.start or echo.value == n.value
            or _TAKEN_BACK.search(answer, echo_end, n.start)
            # "Tom has 10 apples. He eats 3, leaving 7": the story goes on to change the
            # quantity it echoed, and ends on the value after the change; or it adds the
            # parts up ("Cost of pears: 9 … Total: 15"). (A year is no quantity a story
            # changes: "moved there in 1969, then bought the shop in 1975" tells events.)
            # (A share asked, stated as one, outlasts what is left after it: "Legal fees
            # took 16% of the raise. That leaves 84% for …")
            or (not asked.year and _CHANGED.search(answer, echo_end, n.end)
                and not (asked.measure == "%" and echo.percent and not _LEFT_ASKED.search(
                    " ".join(sorted(asked.subject)))))
            or _TOTAL_WORD.search(answer, echo_end, n.end)
            or _SUMMED_UP.search(answer, echo_end, n.start)
            or (_RESULT_VERB.search(answer, echo_end, n.start)
                and _derives(echo, n, _numbers_in(answer[echo_end : n.start])))):
        return None
    if ((asked.carries(answer, n) and not asked.carries(answer, echo))
            or (asked.measure and _measure(answer, n) == asked.measure
                and _measure(answer, echo) != asked.measure)):
        return None  # "six hours, which is three hundred sixty minutes" asked in minutes
    if (((_EQUATION_RESULT.search(answer, max(0, n.start - 12), n.start)
          # "…is -4, attained at x = 3", "最小值为-4，此时x=3": where the value is reached
          and not _CONDITION_AT.search(answer, max(0, n.start - 24), n.start))
         or _CONCLUSION_START.search(answer, echo_end, n.start))
            and not _CONCLUSION_START.match(answer, _sentence_start(answer, echo_start))):
        # The last number is worked out ("= 1/4") or concluded ("So …") after a premise that
        # echoed the question; after an echo that concluded, it is an aside.
        return None
    return echo


# A value under a label, in JSON or "Label: value" lines: '"mean": 88', "中位数：7".
_LABELLED = lazy(
    r"(?:^|(?<=[{,\n]))[ \t>*\-•]*\"?(?P<key>[^\"\s:：{},*\d][^\":：{},*\n]{0,30}?)\"?\**\s*[:：]"
    r"\s*\**\s*(?P<value>[-+]?\$?\d[\d,]*(?:\.\d+)?%?)\**(?=\s*(?:[,}\n]|$))",
    re.MULTILINE,
)


_QUOTED_AROUND = lazy(r"[:：]\s*\"[^\"\n]*$")


def _labelled_value(answer: str, n: _Number, subject: AbstractSet[str]) -> _Number | None:
    """In a reply that lists labelled values ('{"mean": 88, "max": 95, "total": 440}',
    "Mean: 7.5\\nMedian: 7"), ending on one of them, the value whose label names what the
    question asks; None unless exactly one label shares the most terms with the question."""
    pairs = list(_LABELLED.finditer(answer))
    last = [m for m in pairs if m.start("value") <= n.start < m.end("value")]
    if not last and pairs and n.start > pairs[-1].end() and _QUOTED_AROUND.search(
            answer, pairs[-1].end(), n.start):
        # '{"fahrenheit": 100, "celsius": 37.78, "formula": "(F - 32) * 5 / 9"}': the last
        # number is inside a quoted string after the labelled values, not one of them
        last = [pairs[-1]]
    if len(pairs) < 2 or not last or _TOTAL_WORD.search(last[0].group("key")):
        return None  # (a "Total: 15" row after its parts is the sum the working led to)
    scored = sorted(((len(frozenset(map(_stem, _subject_terms(m.group("key")))) & subject), i)
                     for i, m in enumerate(pairs)), reverse=True)
    if scored[0][0] == 0 or scored[0][0] == scored[1][0]:
        return None
    best = pairs[scored[0][1]]
    value = _parse_one(best.group("value"))
    if value is None or value.value == n.value:
        return None
    return dataclasses.replace(value, start=best.start("value"),
                               end=best.start("value") + len(best.group("value")))


# A clause that works something out: an equation or an operator between numbers. A symbol
# given its value ("h = 6.626 × 10^-34 J·s", "N_A = 6.022e23") states it, and "× 10^n" is
# how the value is written, not a product.
_COMPUTES = lazy(r"(?<![A-Za-z_}\]])(?<![A-Za-z_}\]]\s)(?<![A-Za-z_}\]]\s\s)"
                 # (a fraction written tight, "3/8", is a value)
                 r"(?<![A-Za-z_}\]]\s\s\s)=|÷|×(?!\s*10\s*\^)|\d\s*[*+]\s*\d|\d\s+/\s*\d|\d/\s+\d"
                 r"|\d\s+-\s+\d|\d\s+x\s+(?!10\s*\^)\d|\)\s*[*/+]")
# A clause left open at a line's end ("…has the value:", "地球质量约为"): its value follows.
_OPEN_END = lazy(r"(?:[:：=≈]|\b(?:is|are|was|were|equals?)|为|是|等于)[\s*]*$", re.IGNORECASE)
# Where a value is reached ("attained at x = 3", "when t = 2", "此时x=3"): a condition.
_CONDITION_AT = lazy(r"(?:\b(?:at|when|where|for|if|with)|当|在|此时|时)\s*\$?\s*[A-Za-z]\w?\s*=\s*"
                     r"\$?\s*$", re.IGNORECASE)


def _echo_value(clause: str, given: AbstractSet[Fraction], asked: _Asked) -> _Number | None:
    """The one value a clause states that the question did not give, if it states one.

    An ordinal ("第七次", "the 7th census") names which one and counts nothing. Asked for a
    year, a year the question quoted ("阅读…1998年夏天…问：第一次见到外婆是在哪一年") may be
    the answer: reading questions give every candidate. Not asked for one, a year after
    "since", "in", "截至" ("Since 2019 the elementary charge has the exact value …") dates the
    statement and is no value of it.
    """
    found = [x for x in _numbers_in(clause, lenient=True)
             if (x.value not in given or (asked.year and _YEAR_FORM.match(clause, x.start)))
             and clause[x.start - 1 : x.start] != "第" and not _ORDINAL_END.match(clause, x.end)
             and (asked.year or not _YEAR_FORM.match(clause, x.start)
                  or not _DATED.search(clause, max(0, x.start - 12), x.start))]
    if asked.year:
        # Asked for a year, a clause that echoes it with a span ("The wall stood for 28
        # years") states no year.
        found = [x for x in found if _YEAR_FORM.match(clause, x.start)]
    return found[-1] if len({x.value for x in found}) == 1 else None


# A preposition that makes the year after it a date ("since 2019", "as of 2023", "截至2020年").
_DATED = lazy(r"(?:\b(?:since|in|by|until|till|before|after|from|as\s+of|during)\s+"
              r"|截至|截止|自|从|于)$", re.IGNORECASE)


# A clause that compares with a reference value ("与2010年的133972万人相比", "compared with
# 1.2 million in 2010"): the value it names is the reference, not the answer.
_COMPARED = lazy(r"相比|相较|\bcompared\s+(?:with|to)\b|\b(?:than|versus|vs)\b", re.IGNORECASE)
_ORDINAL_END = lazy(r"(?:st|nd|rd|th)\b", re.IGNORECASE)
# A conclusion or a summing-up ("…, so $15", "Together that is $15", "所以", "加起来"): what
# follows was derived from what came before, the echoed value among it.
_SUMMED_UP = lazy(
    r"\b(?:so|thus|therefore|hence|together|altogether|combined|overall|in\s+all)\b"
    r"|所以|因此|故|总共|一共|合起来|加起来|总和|综上",
    re.IGNORECASE,
)
# A result verb ("…and 60 joined, making 510", "…60 km², giving 400 per km²", "得到"): what
# follows may be worked out from the echoed value, or only a related fact ("giving Reykjavík
# about 240,000"); ``_derives`` tells which. ("making it the tallest" computes nothing.)
_RESULT_VERB = lazy(
    r"\b(?:giving|making|yielding|covering)\b(?!\s+(?:it|them|this|these|him|her|us)\b)"
    r"|\b(?:comes?\s+to|came\s+to|results?\s+in|resulting\s+in)\b|得到|合计|共计|变为|变成",
    re.IGNORECASE,
)


def _derives(echo: _Number, n: _Number, between: Sequence[_Number]) -> bool:
    """Whether ``n`` is ``echo`` combined with one value stated between them (added, taken
    off, multiplied, divided, or a percentage off or on), or ``echo`` plus all of them."""
    e, v = echo.value, n.value

    def near(r: Fraction) -> bool:  # (the result may be rounded: "≈ 78.5")
        return abs(v - r) <= max(abs(r) / 200, Fraction(1, 200))

    if between and near(e + sum(x.value for x in between if not x.percent)):
        return True
    for x in between:
        y = x.value / 100 if x.percent else x.value
        if any(near(r) for r in (e + y, e - y, e * y, e * (1 - y), e * (1 + y))) or (
                y and near(e / y)):
            return True
    return False
# A change to a quantity: what is left, eaten, given, spent, sold, bought or added afterwards.
_CHANGED = lazy(
    r"\b(?:left|leaving|leaves|remain\w*|rest|then|afterwards?|now|ate|eats?|eaten|gave|gives?"
    # ("It adds that…", "she added that…" report what a source says; they add nothing.)
    r"|given\s+away|spent|spends?|lost|loses?|sold|sells?|bought|buys?"
    r"|(?:adds?|added)(?!\s+that\b)|takes?\s+away"
    # (and a price marked down: "after a 25% discount", "打八折后")
    r"|took|uses?|used|joined|joins?|discount\w*)\b"
    r"|剩|吃了|吃掉|用了|用掉|花了|花掉|卖了|卖掉|送给|给了|买了|又|然后|之后|后来|现在|还有"
    r"|打[^,.。]{0,3}折|折后",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------------
# Auditing how stored answers were read
# ---------------------------------------------------------------------------------------------

_NOT_READ_BY_RULES = "unrecorded"


class StoredResult(Protocol):
    """The fields of a stored result that say how its answer was read.

    ``baimo.store.records.ResultRecord`` has them; this module cannot import the store (it
    sits below it), so it names what it reads.
    """

    @property
    def task(self) -> str: ...
    @property
    def model_name(self) -> str: ...
    @property
    def sample_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def extracted(self) -> str | None: ...
    @property
    def details(self) -> dict[str, Any] | None: ...


def reading_method(details: Mapping[str, Any] | None) -> str:
    """How one stored answer was read: its extraction method, ``judge`` for an LLM-graded
    answer, or ``unrecorded`` for results stored without one."""
    if not details:
        return _NOT_READ_BY_RULES
    method = details.get("method")
    if isinstance(method, str) and method:
        return method
    return "judge" if "judge" in details else _NOT_READ_BY_RULES


def reading_counts(rows: Iterable[StoredResult]) -> dict[str, dict[str, dict[str, int]]]:
    """Per task and model, how many answers each method read (``{task: {model: {method: n}}}``).

    Reports show this so a score can be traced to how its answers were read: answers read by
    a judge model (``model``) or only by the weakest rules are counted apart, never mixed in
    silently with answers found by an explicit answer marker.
    """
    out: dict[str, dict[str, dict[str, int]]] = {}
    for r in rows:
        per_model = out.setdefault(r.task, {}).setdefault(r.model_name, {})
        method = reading_method(r.details)
        per_model[method] = per_model.get(method, 0) + 1
    return {t: {m: dict(sorted(c.items())) for m, c in sorted(ms.items())}
            for t, ms in sorted(out.items())}


def weak_readings(rows: Iterable[StoredResult]) -> list[dict[str, Any]]:
    """The answers read only by the weakest rules (``WEAK_METHODS``), for a person to audit."""
    found = [
        {"task": r.task, "model": r.model_name, "sample": r.sample_id,
         "method": reading_method(r.details), "status": r.status, "extracted": r.extracted}
        for r in rows if reading_method(r.details) in WEAK_METHODS
    ]
    return sorted(found, key=lambda d: (d["task"], d["model"], str(d["sample"])))
