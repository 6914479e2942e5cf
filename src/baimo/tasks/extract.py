"""Answer extraction: turn a free-form model response into a letter or a number.

Extraction is the main source of wrong scores in evaluation frameworks (MEASURE.md §1): a rule
that takes the first letter it sees reads "L" out of "Let's think", a strict ``ANSWER: X`` rule
misses ``ANSWER: $B$``, and a response cut off by ``max_tokens`` gets counted as wrong. This
module therefore works in ordered tiers, from the most explicit evidence to the least, and it
never reads a letter out of ordinary words:

1. explicit answer markers (``Answer:``, ``答案是``, ``选``, ``\\boxed{}`` ...), the *last* one wins;
2. a line that is nothing but a letter (``**B**``, ``(C)``, ``B. London``);
3. a formatted letter in the closing line (``... only (C) fits``);
4. verdicts on a letter (``B is correct``, ``C项正确``);
5. an option's text, when it is matched uniquely.

Three outcomes are kept apart, because they mean different things for a model: ``ok`` (an
answer was found), ``no-answer`` (the model finished but committed to nothing we can read) and
``truncated`` (the model was cut off by the token limit before it committed). A truncated
response whose answer marker was already complete still yields that answer, with
``Extraction.truncated`` set so the scorer can keep the flag in ``Score.details``.

All text goes through NFKC first, which folds full-width forms (``：``, ``（B）``, ``４２``,
``１，２３４``) into their ASCII equivalents, so one set of rules covers Chinese and English.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

__all__ = [
    "Extraction",
    "ExtractionStatus",
    "extract_choice",
    "extract_number",
    "normalize_text",
    "numbers_equal",
    "parse_number",
    "strip_reasoning",
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
    """

    status: ExtractionStatus
    value: str | None
    method: str
    number: float | None = None
    truncated: bool = False


# ---------------------------------------------------------------------------------------------
# Reasoning and text normalisation
# ---------------------------------------------------------------------------------------------

_THINK_OPEN = re.compile(r"<(think|thinking)\s*>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</(think|thinking)\s*>", re.IGNORECASE)


def strip_reasoning(text: str) -> tuple[str, str]:
    """Split a response into its reasoning and its final answer.

    Only the final answer may be scored: reasoning models try letters out loud ("is it A? no,
    C") and reading those would score the draft, not the answer. Everything before the last
    ``</think>`` is reasoning, even when the opening tag is missing, as it is when a chat
    template already emitted it. An unclosed ``<think>`` means the model never got to answer,
    so everything is reasoning and the answer is empty.

    Args:
        text: The raw response text.

    Returns:
        ``(reasoning, answer)``, both stripped of surrounding whitespace and of the tags.
    """
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
    reasoning = _THINK_CLOSE.sub("\n", _THINK_OPEN.sub("", reasoning))
    return reasoning.strip(), answer.strip()


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3040" <= ch <= "\u30ff"


_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_LEADING_ARTICLE = re.compile(r"^(?:a|an|the) ")
_CJK_CLASS = "[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]"
_SPACE_NEAR_CJK = re.compile(rf"(?<={_CJK_CLASS}) | (?={_CJK_CLASS})")


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


def _fold(s: str, *, articles: bool) -> str:
    s = unicodedata.normalize("NFKC", s).lower().translate(_punctuation_table())
    if articles:
        s = _ARTICLES.sub(" ", s)
    s = " ".join(s.split())
    return _SPACE_NEAR_CJK.sub("", s)


_BLANK_RUN = re.compile(r"[ \t\r\f\v]{2,}")
_NEWLINE_RUN = re.compile(r"\n(?:[ \t]*\n){2,}")
# How far after a marker an answer sentence, or inside \boxed{}, an answer may reach.
_MAX_SEGMENT = 400
# How many answer markers to look back through; a real response never needs more.
_MAX_MARKERS = 100


def _prepare(text: str) -> str:
    """NFKC-fold and unify the minus signs, so every rule sees one spelling of each symbol."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2212", "-").replace("\ufe63", "-").replace("\u2044", "/")
    # Long runs of blanks carry no meaning and make regular expressions slow.
    return _BLANK_RUN.sub(" ", _NEWLINE_RUN.sub("\n\n", text))


_BRACE = re.compile(r"[{}]")


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

# Markers that announce the answer. English ones are case-insensitive; the optional adverbs let
# "the answer is therefore B" through without letting arbitrary words in.
_EN_MARKER = (
    r"(?<![A-Za-z])(?:"
    r"(?:(?:the|my|our)\s+)?(?:(?:final|correct|right|best|true|most\s+likely)\s+)?answers?"
    r"(?:\s+to\s+(?:this|the)\s+(?:question|problem)|\s+here)?"
    r"(?:\s*(?:is|are|was|would\s+be|should\s+be|must\s+be|will\s+be|=|:|-|—))?"
    r"|(?:correct|right|best|final|my)\s+(?:option|choice|response|selection|pick)s?"
    r"(?:\s+here)?(?:\s*(?:is|are|would\s+be|=|:))?"
    r"|(?:final|correct(?:\s+ones)?)\s*:"
    r"|I(?:\s+would|'d|\s+will|'ll)?\s+(?:choose|pick|select|go\s+with)"
    r"|(?:that|which|this)\s+leaves(?:\s+only)?|leaving(?:\s+only)?"
    r"|\bit(?:'s|’s|\s+is|\s+must\s+be|\s+should\s+be|\s+would\s+be)"
    r")"
    r"(?:\s*,?\s*(?:clearly|definitely|therefore|thus|then|actually|indeed|probably|likely"
    r"|most\s+likely|hence|so|still|simply|just|certainly|obviously)\b,?)*"
)
_ZH_MARKER = (
    r"(?:"
    r"(?:正确|最终|最后|标准|参考)?的?答案(?:应该|应当|应|可能|就|则|只能|当然|显然|即|还是)?"
    r"(?:是|为|选择|选(?!项))?"
    r"|答(?=\s*:)"
    r"|结论(?=\s*:)"
    r"|(?<!不)(?<!不应)(?<!不能)(?<!不应该)选择?(?:是|为)?(?!项|出|用|取|择)"
    r"|正确选项(?:是|为)?"
    r"|(?:正确|符合题意|最符合题意|最合适|最恰当|最佳|合适|恰当)的(?:选项|答案|一项|是)?(?:是|为|有)"
    r"|(?:觉得|认为)(?:应该)?(?:是|选)"
    r"|(?:所以|因此|故|则)(?:应该)?(?:是|为)"
    r"|(?<!不)(?:应该|应当)(?:是|为)"
    r")"
)
_MARKER = re.compile(rf"{_EN_MARKER}|{_ZH_MARKER}", re.IGNORECASE)

# What may stand between a marker and its letter: spaces, colons, markdown, brackets, LaTeX
# wrappers, and a word like "option"/"选项".
_LEAD = re.compile(
    r"(?:[\s:=\-—–*#$`'\"“‘「『【\[({】」』]"
    r"|\\(?:boxed|text|textbf|mathrm|mathbf|fbox)\s*\{|\\[(\[]"
    r"|(?:option|choice|letter)(?![A-Za-z])|选项(?:是|为)?|选)*",
    re.IGNORECASE,
)
# Closers after a letter, before a separator or a negation.
_TRAIL = re.compile(r"[)\]}】」』*$`'\"”’\\]*[ \t]*(?:选项|项)?")
_NEGATED = re.compile(
    r"[ \t]*(?:is\s+(?:not|wrong|incorrect|false|a\s+distractor)|isn't|are\s+(?:wrong|incorrect|not)"
    r"|was\s+wrong|wrong|incorrect|false"
    r"|(?:是|为)?(?:错|不(?:正确|对|符合|选|可能|合题意|恰当)|有误|排除|干扰))",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    r"[ \t]*[,;]?[ \t]*(?:or(?:\s+(?:maybe|possibly|perhaps))?|/|或者?|还是|也可能是?|,?\s*也有可能是?)"
    r"\s*(?:option\s*|选项)?[(\[*【]*([A-Za-z])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_NEGATION_LEAD = re.compile(r"\s*(?:not|isn't|is\s+not|不是|并非)\s*", re.IGNORECASE)
_CORRECTION = re.compile(
    r"\s*[,;.]?\s*(?:but(?:\s+rather)?|it'?s|it\s+is|rather|instead|而是|而应该是|应该是|是)\s*",
    re.IGNORECASE,
)
_GROUP_SEP = re.compile(
    r"\s*(?:,|、|;|&|\+|/|和|与|及|以及|\band\b)\s*(?:and\s+)?|\s+", re.IGNORECASE
)
# Words that may follow a letter answer; any other lower-case word after "A"/"I" or a
# lower-case letter means the letter was an article or a pronoun ("A patient with ...").
_CONTINUATION = frozenset({
    "because", "since", "as", "and", "or", "is", "was", "which", "for", "given", "here", "in",
    "with", "but", "not", "due", "per", "only", "then", "too", "now", "so", "from",
    "according", "being",
})
_WORD_AFTER = re.compile(r"\s+([a-z]+)")
# What may follow the last of several letters when they are all the answer ("A、B。",
# "A and C are correct"); anything else means only the first letter was the answer.
_CLAUSE_END = re.compile(
    r"\s*(?:$|[.。!?,;、\n]|(?:are|both)\b|都|均|两项|三项|项)", re.IGNORECASE
)
# Adjacent option letters for multi-answer questions ("ACD"); must be strictly increasing.
_RUN = re.compile(r"[A-Z]{2,}(?![A-Za-z0-9])")


@dataclass(frozen=True)
class _Read:
    """Letters read at a position; ``letters`` empty with ``reason`` set when not usable."""

    letters: tuple[str, ...]
    end: int
    reason: str = ""
    lowercase: bool = False


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
    if ch in "AI" or ch.islower():
        word = _WORD_AFTER.match(text, pos + 1)
        if word and word.group(1) not in _CONTINUATION:
            return None
    return ch.upper()


def _skip(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Position after what ``pattern`` matches at ``pos`` (``pos`` itself if nothing)."""
    m = pattern.match(text, pos)
    return m.end() if m else pos


_CONDITIONAL = re.compile(
    r"(?:\b(?:if|whether|suppose|supposing|assume|assuming)\s+(?:that\s+)?(?:the\s+)?"
    r"|如果|假如|假设|若)$",
    re.IGNORECASE,
)


def _conditional(text: str, pos: int) -> bool:
    """Whether the marker at ``pos`` is hypothetical ("if the answer is A, then ...")."""
    return _CONDITIONAL.search(text, max(0, pos - 20), pos) is not None


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
        return _Read(run_letters, run.end())
    first = _isolated_letter(text, start)
    if first is None:
        return None
    end = start + 1
    after = _skip(_TRAIL, text, end)
    if _NEGATED.match(text, after):
        return None  # "A is wrong": a rejected option, not an answer
    hedge = _HEDGE.match(text, after)
    if hedge and hedge.group(1).upper() != first:
        return _Read((), hedge.end(), "hedged between letters")
    letters: list[str] = [first]
    first_end = end
    while True:
        sep = _GROUP_SEP.match(text, after)
        if sep is None or sep.end() == after:
            break
        nxt_pos = _skip(_LEAD, text, sep.end())
        nxt = _isolated_letter(text, nxt_pos)
        if nxt is None:
            break
        nxt_after = _skip(_TRAIL, text, nxt_pos + 1)
        if _NEGATED.match(text, nxt_after):
            break
        hedge = _HEDGE.match(text, nxt_after)
        if hedge and hedge.group(1).upper() not in (*letters, nxt):
            return _Read((), hedge.end(), "hedged between letters")  # "A, B, or D"
        letters.append(nxt)
        end = nxt_pos + 1
        after = nxt_after
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


_SENTENCE_END = re.compile(r"[。!?;\n]|\.(?!\d)")


def _option_in(segment: str, choices: Sequence[str]) -> int | None:
    """Index of the one option whose text the segment names, or None if none or several.

    Longer option texts are matched first and their spans masked, so that "10" is not also
    counted as a mention of the option "1". Only an option's leading article is dropped ("A
    market with ..." is named by "the market with ..."); others are kept, since "Vitamin A"
    must not shrink to "vitamin" and match every vitamin.
    """
    norm = _fold(segment, articles=False)
    if not norm:
        return None
    opts = [
        (i, _LEADING_ARTICLE.sub("", _fold(c, articles=False))) for i, c in enumerate(choices)
    ]
    for i, o in opts:
        if o and norm == o:
            return i
    hits: list[int] = []
    for i, o in sorted(opts, key=lambda io: -len(io[1])):
        if not o:
            continue
        pat = re.escape(o)
        if o[0].isascii() and o[0].isalnum():
            pat = r"(?<![a-z0-9])" + pat
        if o[-1].isascii() and o[-1].isalnum():
            pat = pat + r"(?![a-z0-9])"
        if re.search(pat, norm):
            hits.append(i)
            norm = re.sub(pat, " ", norm)
    return hits[0] if len(hits) == 1 else None


def _marker_candidate(
    text: str, m: re.Match[str], n_choices: int, choices: Sequence[str] | None, multi: bool
) -> _Candidate | None:
    """What the answer marker ``m`` points at: letters, an option's text, or nothing."""
    read = _read_letters(text, m.end(), multi)
    if read is not None and (read.letters or read.reason):
        if read.letters and not _valid(read.letters, n_choices):
            # An upper-case letter beyond the options is the model's (invalid) final word; a
            # lower-case one is more likely a variable name, so it is not a candidate.
            if read.lowercase:
                return None
            return _Candidate(m.start(), (), "marker", "letter out of range")
        complete = bool(text[read.end : read.end + 1 + _MAX_SEGMENT].strip())
        return _Candidate(m.start(), read.letters, "marker", read.reason, complete)
    if not choices or multi:
        return None
    start = _skip(_LEAD, text, m.end())
    stop = _SENTENCE_END.search(text, start, start + _MAX_SEGMENT)
    segment = text[start : stop.start() if stop else start + _MAX_SEGMENT]
    idx = _option_in(segment, choices)
    if idx is None or idx >= n_choices:
        return None
    complete = stop is not None or start + _MAX_SEGMENT < len(text)
    return _Candidate(m.start(), (chr(65 + idx),), "option-text", complete=complete)


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
        m for m in _MARKER.finditer(text) if m.group().strip() and not _conditional(text, m.start())
    ]
    for m in reversed(markers[-_MAX_MARKERS:]):
        if last_boxed is not None and last_boxed.pos > m.start():
            break
        cand = _marker_candidate(text, m, n_choices, choices, multi)
        if cand is not None and (cand.complete or not truncated):
            return cand
    return last_boxed


_LONE_LINE = re.compile(
    r"[\s*#>$`'\"“(\[{【「]*(?:(?:[Ss]o|[Tt]herefore|[Tt]hus|[Hh]ence|所以|因此|故)\s*,?\s*)?"
    r"(?:(?:[Oo]ption|[Cc]hoice)\s*|选项|选)?\s*"
    r"(?P<l>[A-Za-z](?:(?:\s*(?:,|、|和|与|and|&)\s*|\s+)[A-Z])*|[A-Z]{2,})"
    r"\s*(?:选项|项)?[\s*$`'\"”)\]}】」.。、:;,!]*"
)
_LETTER_TEXT_LINE = re.compile(
    r"[\s*#>]*(?:(?:[Oo]ption|[Cc]hoice)\s+|选项)?"
    r"(?:\((?P<a>[A-Z])\)|\[(?P<b>[A-Z])\]|【(?P<c>[A-Z])】|(?P<d>[A-Z])\**(?:[.)、:]|\s[-—–]\s))"
    r"\s*(?P<rest>.*)"
)


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
        single = re.findall(r"(?<![A-Za-z])[A-Za-z](?![A-Za-z])", raw)
        letters = tuple(sorted({c.upper() for c in (single or raw)}))
        if not _valid(letters, n_choices):
            continue
        found = letters
    if found is not None:
        return found
    option_lines = [m for ln in lines if (m := _LETTER_TEXT_LINE.fullmatch(ln))]
    if len(option_lines) == 1 and _LETTER_TEXT_LINE.fullmatch(lines[0]):
        m = option_lines[0]
        letter = m.group("a") or m.group("b") or m.group("c") or m.group("d")
        rest = m.group("rest")
        listed = re.match(r"[A-Z](?![A-Za-z])", rest)  # "A、B、D都错误" lists letters
        if not _NEGATED.match(rest) and not listed and _valid((letter,), n_choices):
            return (letter,)
    return None


_FORMATTED = re.compile(
    r"\*\*\(?([A-Z])\)?\*\*|(?<![A-Za-z0-9])\(([A-Z])\)|\[([A-Z])\](?!\()|【([A-Z])】|\$([A-Z])\$"
    r"|(?<![A-Za-z])(?:option|choice)\s+([A-Z])(?![A-Za-z0-9])|选项\s*([A-Z])(?![A-Za-z0-9])"
    r"|(?<![A-Za-z0-9])([A-Z])\s*(?:选项|项)",
    re.IGNORECASE,
)


_CONCLUSION = re.compile(
    r"\b(?:so|therefore|thus|hence|only|overall|finally|in\s+conclusion|in\s+summary"
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
        if _NEGATED.match(last, m.end()):
            continue
        letters.add(letter.upper())
    if len(letters) == 1:
        (letter,) = letters
        return letter if _valid((letter,), n_choices) else None
    return None


_VERDICT = re.compile(
    r"(?<![A-Za-z0-9])(?:(?:option|choice|statement)\s+)?[(\[*【]*(?P<l>[A-Z])[)\]*】]*"
    r"(?:"
    r",?\s+(?:is|seems|appears)\s+(?:to\s+be\s+)?(?:the\s+)?"
    r"(?:(?:most\s+|only\s+)?(?:correct|right|best|true|accurate)\b|answer\b"
    r"|only\s+(?:one|option|choice|answer)\b)"
    r"|\s*[:.]\s*(?i:correct|true)\b"
    r"|\s*(?:项|选项)?\s*(?:是|为|说法|表述)?\s*"
    r"(?:正确|对(?!于|应|比|照|待)|符合题意|符合|最佳|最合适|正确答案)"
    r")"
)


def _verdicts(text: str, n_choices: int, multi: bool) -> tuple[str, ...] | None:
    """Letters the text calls correct ("B is correct", "C项正确"); None if none or they clash."""
    letters = {m.group("l") for m in _VERDICT.finditer(text)}
    if not letters or not _valid(tuple(letters), n_choices):
        return None
    if len(letters) > 1 and not multi:
        return None
    return tuple(sorted(letters))


def _option_text_answer(text: str, choices: Sequence[str]) -> int | None:
    """An option named by its text in the closing line, or anywhere in a short answer."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return None
    idx = _option_in(lines[-1], choices)
    if idx is None and len(text) <= 300:
        idx = _option_in(text, choices)
    return idx


def extract_choice(
    text: str,
    n_choices: int,
    choices: Sequence[str] | None = None,
    *,
    multi: bool = False,
    finish_reason: str | None = None,
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

    Returns:
        The extraction. Its ``value`` is the sorted letters, or None when no answer was found.
    """
    if not 1 <= n_choices <= 26:
        raise ValueError(f"n_choices must be between 1 and 26, got {n_choices}")
    truncated = finish_reason == "length"
    _, answer = strip_reasoning(_prepare(text))

    def found(letters: Sequence[str], method: str) -> Extraction:
        return Extraction("ok", "".join(sorted(letters)), method, truncated=truncated)

    def nothing(method: str = "none") -> Extraction:
        if truncated:
            return Extraction("truncated", None, method, truncated=True)
        return Extraction("no-answer", None, method)

    if not answer:
        return nothing("empty-answer")

    last = _last_marker_candidate(answer, n_choices, choices, multi, truncated)
    if last is not None:
        if not last.letters:
            return nothing("ambiguous" if "hedged" in last.reason else "invalid-letter")
        return found(last.letters, last.method)
    if truncated:
        # Anything below markers is too weak to trust in a response that was still going.
        return nothing()

    lone = _lone_letter_lines(answer, n_choices, multi)
    if lone:
        return found(lone, "bare-letter")
    if not multi:
        letter = _formatted_in_last_line(answer, n_choices)
        if letter:
            return found((letter,), "formatted")
    verdict = _verdicts(answer, n_choices, multi)
    if verdict:
        return found(verdict, "verdict")
    if choices and not multi:
        idx = _option_text_answer(answer, choices)
        if idx is not None and idx < n_choices:
            return found((chr(65 + idx),), "option-text")
    return nothing()


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
_ZH_NUMBER = re.compile(
    rf"(?P<neg>负)?(?:(?P<whole>[{_ZH_CHARS}]+)又)?"
    rf"(?:(?P<pct>百分之)|(?P<den>[{_ZH_CHARS}]+)分之)?"
    rf"(?P<int>[{_ZH_CHARS}]+)(?:点(?P<dec>[{''.join(_ZH_DIGITS)}]+))?"
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
    """A number read from text: exact value, whether written as a percentage, cleaned text."""

    value: Fraction
    percent: bool
    text: str
    raw: str
    after: str
    arabic: bool


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
    if m.group("neg"):
        value = -value
    if abs(value) >= _TOO_LARGE:
        return None
    percent = m.group("pct") is not None
    text = _format(value) + ("%" if percent else "")
    return _Number(value, percent, text, m.group(), m.string[m.end() : m.end() + 1], False)


_AR_NUMBER = re.compile(
    r"(?P<sign>(?<![0-9A-Za-z)\]}])[-+])?"
    r"(?<![0-9.A-Za-z_])(?P<body>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![0-9])|\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s*/\s*(?P<den>\d+(?:\.\d+)?)(?![0-9/]))?"
    r"(?P<mult>\s*[万亿](?!分之))?"
    r"(?P<pct>\s*%|\s*percent\b)?",
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
    body = m.group("body").replace(",", "")
    if len(body) > _MAX_DIGITS or len(m.group("den") or "") > _MAX_DIGITS:
        return None  # a digit string, not a quantity (and beyond float range)
    value = Fraction(body)
    text = body
    if m.group("den"):
        den = Fraction(m.group("den"))
        if den == 0:
            return None
        value /= den
        text = f"{body}/{m.group('den')}"
    if m.group("mult"):
        value *= 10**4 if m.group("mult").strip() == "万" else 10**8
        text = _format(value)
    if m.group("sign") == "-":
        value = -value
        text = "-" + text
    percent = m.group("pct") is not None
    text += "%" if percent else ""
    return _Number(value, percent, text, m.group(), m.string[m.end() : m.end() + 1], True)


def _clean_latex(text: str) -> str:
    """Rewrite the LaTeX that wraps numbers (``\\frac``, ``\\,``, ``\\%``) as plain text."""
    text = re.sub(r"\\[dt]?frac\s*\{\s*([^{}]*?)\s*\}\s*\{\s*([^{}]*?)\s*\}", r"\1/\2", text)
    text = re.sub(r"\\[dt]?frac\s*(\d)\s*(\d)", r"\1/\2", text)
    text = re.sub(r"\\(?:text|mathrm|mathbf|textbf|operatorname)\s*\{([^{}]*)\}", r"\1", text)
    text = text.replace("{,}", ",").replace("\\%", "%").replace("\\$", "$")
    text = re.sub(r"\\[,!;: ]|\\(?:left|right)\b", "", text)
    return text


_ANY_DIGIT = re.compile(rf"[0-9{_ZH_CHARS}]")


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
            if whole and proper and text[m.end() : m2.start()] == " ":
                sign = -1 if n.value < 0 else 1
                value = n.value + sign * n2.value
                raw = text[m.start() : m2.end()]
                out.append(_Number(value, n2.percent, _format(value), raw, n2.after, True))
                i += 2
                continue
        out.append(n)
        i += 1
    return out


def _numbers_in(text: str) -> list[_Number]:
    """Every number in ``text`` in order; Chinese numerals only where Arabic ones are absent."""
    if not _ANY_DIGIT.search(text):
        return []
    nums = _arabic_numbers(text)
    if nums:
        return nums
    return [n for m in _ZH_NUMBER.finditer(text) if (n := _zh_number(m))]


def _is_strong_zh(n: _Number) -> bool:
    """A Chinese numeral that is clearly a number, not part of a word like 一共 or 一些."""
    return (len(n.raw) > 1 and any(ch in n.raw for ch in "十百千万亿点负")) or "分之" in n.raw


def _plausible_zh(n: _Number, segment: str) -> bool:
    """Whether a Chinese numeral after an answer marker is the answer, not a word (一定, 一些).

    Multi-character numerals (三十五) always are; a single character is accepted when it is
    the whole answer or is followed by a measure word or unit (六天, 三个).
    """
    if _is_strong_zh(n) or segment.strip(" 。.!") == n.raw:
        return True
    return bool(n.after) and _is_cjk(n.after) and n.after not in "共些样定下直般切半"


def parse_number(s: str) -> float | None:
    """Parse a string that holds one number, in any of the forms models write.

    References and answers come as ``1,234``, ``3/4``, ``50%``, ``\\frac{1}{2}``, ``-5``,
    ``12 km``, ``$7.50``, ``４２``, ``三十五``, ``百分之二十`` or ``1.5万``; all should compare
    equal to what they mean. Percentages keep their face value (``"50%"`` → 50.0); use
    ``numbers_equal`` to also match 0.5.

    Args:
        s: The text of one number, optionally with a currency sign or a unit.

    Returns:
        The value, or None when the string does not hold exactly one number.
    """
    parsed = _parse_one(s)
    return float(parsed.value) if parsed else None


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
    return None


def _interpretations(x: float | str) -> list[Fraction] | None:
    if isinstance(x, str):
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
    r"(?<![A-Za-z])(?:(?:final\s+)?answers?|result)"
    r"(?:\s*(?:is|are|was|would\s+be|should\s+be|will\s+be|comes\s+to|=|:)"
    r"|(?=\s*(?:\*\*)?\s*[-$\d]))"
)
_NUM_ZH_MARKER = (
    r"(?:最终|正确|最后)?答案(?:应该|应)?(?:是|为)?|答(?=\s*:)|结果(?:是|为)"
    r"|一共|总共|共计|合计"
)
_NUM_MARKER = re.compile(rf"{_NUM_EN_MARKER}|{_NUM_ZH_MARKER}", re.IGNORECASE)
_REJECTED = re.compile(r"\b(?:not|rather\s+than|instead\s+of)\b|不是|而非|并非", re.IGNORECASE)
_BECAUSE = re.compile(r"\b(?:because|since|as|given\s+that)\b|因为|由于", re.IGNORECASE)
_NUM_LEAD = re.compile(r"[\s:*#$]*")
_GSM8K = re.compile(r"^\s*####\s*(.+)$", re.MULTILINE)


def _marker_number(segment: str, text: str, later_start: int, *, chinese: bool) -> _Number | None:
    """The number an answer sentence states.

    Answer sentences carry other numbers too: rejected values ("5, not 6", "不是32，而是28"), the
    reason ("18, because 9 × 2 = 18"), the working ("365 − 100 = 265"), asides in parentheses,
    and conversions ("2.5 hours, or 150 minutes"). So the rejected part and the reason are
    dropped, the result after the last "=" is taken, and parentheses only count when nothing
    else does. Of what is left, a number the text after the sentence restates wins; otherwise
    English answers state the value first ("The answer is 2.5 hours, or 150 minutes") while
    Chinese ones put it last ("答：两人合作需要六天完成", "答：鸡有23只，兔有12只").
    """
    rejected = _REJECTED.search(segment)
    if rejected and _numbers_in(segment[: rejected.start()]):
        segment = segment[: rejected.start()]  # "5, not 6"
    elif rejected:
        dropped = _AR_NUMBER.search(segment, rejected.end()) or _ZH_NUMBER.search(
            segment, rejected.end()
        )
        if dropped and _numbers_in(segment[dropped.end() :]):
            segment = segment[dropped.end() :]  # "not 5 but 6"
    because = _BECAUSE.search(segment)
    if because and _numbers_in(segment[: because.start()]):
        segment = segment[: because.start()]
    if "=" in segment and _numbers_in(segment[segment.rindex("=") + 1 :]):
        segment = segment[segment.rindex("=") + 1 :]
    outside = re.sub(r"\([^()]*\)", " ", segment)
    nums = _numbers_in(outside) or _numbers_in(segment)
    if not nums:
        return None
    if len({n.value for n in nums}) > 1:
        restated = _numbers_in(text[later_start:])
        if restated:
            for n in nums:
                if n.value == restated[-1].value:
                    return n
    return nums[-1] if chinese else nums[0]


def _last_marker_number(answer: str, truncated: bool) -> tuple[int, _Number, str] | None:
    """The number stated by the last answer sentence that states one, scanning from the end.

    In a truncated response a sentence that runs into the cut is skipped: its number may be
    half-written.
    """
    markers = [m for m in _NUM_MARKER.finditer(answer) if not _conditional(answer, m.start())]
    for m in reversed(markers[-_MAX_MARKERS:]):
        start = _skip(_NUM_LEAD, answer, m.end())
        stop = _SENTENCE_END.search(answer, start, start + _MAX_SEGMENT)
        if truncated and stop is None and start + _MAX_SEGMENT >= len(answer):
            continue
        segment = answer[start : stop.start() if stop else start + _MAX_SEGMENT]
        chinese = any(_is_cjk(c) for c in m.group())
        n = _marker_number(segment, answer, stop.end() if stop else len(answer), chinese=chinese)
        if n is not None and (n.arabic or _plausible_zh(n, segment)):
            return m.start(), n, "marker"
    return None


def extract_number(text: str, *, finish_reason: str | None = None) -> Extraction:
    """Read the final numeric answer from a response.

    The rules, from strongest to weakest: the last of ``\\boxed{}``, a GSM8K ``#### 42`` line
    and an answer sentence ("The answer is 42", "答：共15元"), whichever comes last; then the
    last number anywhere; then a Chinese numeral such as 三十五. A response cut off by the
    token limit only counts when one of the strong rules completed before the cut: its last
    number may be a half-written intermediate result.

    Args:
        text: The response. A ``<think>`` block is removed first; only the answer is read.
        finish_reason: The server's finish reason; ``"length"`` means the response was cut off.

    Returns:
        The extraction, with ``value`` as the cleaned number text and ``number`` its value.
    """
    truncated = finish_reason == "length"
    _, answer = strip_reasoning(_prepare(text))
    answer = _clean_latex(answer)

    def found(n: _Number, method: str) -> Extraction:
        return Extraction("ok", n.text, method, float(n.value), truncated=truncated)

    def nothing(method: str = "none") -> Extraction:
        if truncated:
            return Extraction("truncated", None, method, truncated=True)
        return Extraction("no-answer", None, method)

    if not answer:
        return nothing("empty-answer")

    end = len(answer.rstrip())
    strong: list[tuple[int, _Number, str]] = []
    for pos, content in _boxed_contents(answer)[-_MAX_MARKERS:]:
        nums = _numbers_in(content)
        if nums:
            strong.append((pos, nums[-1], "boxed"))
    for m in _GSM8K.finditer(answer):
        nums = _numbers_in(m.group(1)[:_MAX_SEGMENT])
        if nums and (m.end() < end or not truncated):
            strong.append((m.start(), nums[0], "gsm8k"))
    strong.sort(key=lambda t: t[0])
    marked = _last_marker_number(answer, truncated)
    if marked is not None and (not strong or marked[0] > strong[-1][0]):
        strong.append(marked)
    if strong:
        _, n, method = strong[-1]
        return found(n, method)
    if truncated:
        return nothing()

    arabic = _arabic_numbers(answer)
    if arabic:
        return found(arabic[-1], "last-number")
    whole = _parse_one(answer.rstrip("。.!！ "))
    if whole is not None:
        return found(whole, "zh-numeral")
    zh = [z for m in _ZH_NUMBER.finditer(answer) if (z := _zh_number(m))]
    strong_zh = [z for z in zh if _is_strong_zh(z)]
    if strong_zh:
        return found(strong_zh[-1], "zh-numeral")
    return nothing()
