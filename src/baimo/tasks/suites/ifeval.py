"""Instruction following, IFEval-style, in Chinese and English.

Every prompt carries one to three *verifiable* constraints ("no commas", "exactly 3 bullet
points", "answer in Chinese"). A constraint is checked by a small pure function, so the score
needs no judge model and is reproducible byte for byte. The functions live in one typed
registry: a name maps to exactly one function and its argument spec, and registering a name twice
raises, so a stored result's check names always mean one thing.

Two accuracies are reported, as in IFEval:

* **strict** -- every check passes on the response as it is;
* **loose** -- every check passes on at least one loosened variant of the response (first line
  removed, last line removed, both removed, and each of these with markdown ``*`` removed). This
  forgives a chatty "Sure, here you go:" line that a strict reader would count against the model.

The suite file is validated when loaded: an unknown check type or a bad argument raises a
``DatasetError`` that names the file and the line, because a silently ignored check would inflate
every score computed from it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from baimo.errors import DatasetError
from baimo.tasks.scorers import scorer
from baimo.tasks.types import ModelOutput, Sample, Score

__all__ = [
    "CHECKS",
    "IFEVAL_RESOURCE",
    "ArgSpec",
    "CheckFn",
    "CheckRegistry",
    "CheckResult",
    "CheckSpec",
    "evaluate_checks",
    "ifeval_scorer",
    "load_ifeval",
    "loose_variants",
    "parse_ifeval_jsonl",
    "validate_checks",
]

IFEVAL_RESOURCE: Final = "ifeval.jsonl"
"""File name of the built-in suite inside the ``baimo.tasks.suites`` package."""

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")

CheckFn = Callable[[str, Mapping[str, Any]], bool]
"""A check: ``(response, args) -> passed``. Must be pure and must not raise on any text."""

Relation = Literal["at_most", "at_least", "exactly"]
RELATIONS: Final[tuple[Relation, ...]] = ("at_most", "at_least", "exactly")


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArgSpec:
    """The contract of one check argument, enforced when a suite file is loaded.

    Attributes:
        kind: Python type the JSON value must have (``int`` rejects ``bool``).
        required: Whether the argument must be present.
        choices: Allowed values, if the argument is an enumeration.
        minimum: Smallest allowed value for ``int`` arguments.
        nonempty: For ``str`` and ``list`` arguments, reject empty values (an empty keyword
            would match every response and make the check meaningless).
    """

    kind: type
    required: bool = True
    choices: tuple[object, ...] | None = None
    minimum: int | None = None
    nonempty: bool = True

    def problem(self, name: str, value: object) -> str | None:
        """Return why ``value`` is not acceptable for argument ``name``, or None if it is."""
        if self.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            return f"argument '{name}' must be an integer, got {value!r}"
        if not isinstance(value, self.kind):
            return f"argument '{name}' must be of type {self.kind.__name__}, got {value!r}"
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(repr(c) for c in self.choices)
            return f"argument '{name}' must be one of {allowed}, got {value!r}"
        if self.minimum is not None and isinstance(value, int) and value < self.minimum:
            return f"argument '{name}' must be >= {self.minimum}, got {value!r}"
        if self.nonempty and isinstance(value, str | list | dict) and not value:
            return f"argument '{name}' must not be empty"
        if self.kind is list and isinstance(value, list):
            for item in value:
                if not isinstance(item, str) or not item.strip():
                    return f"argument '{name}' must be a list of non-empty strings"
        return None


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: its function and everything needed to validate a use of it.

    Attributes:
        name: The ``type`` used in suite files.
        fn: The pure check function.
        args: Argument contracts, by argument name. Unknown arguments are rejected.
        langs: Languages the check is meaningful for (English word counts on a Chinese answer
            would measure nothing, so using them there is a dataset error).
        description: One line for reports and error messages.
        validate: Optional extra validation over all arguments; returns a problem or None.
    """

    name: str
    fn: CheckFn
    args: Mapping[str, ArgSpec]
    langs: frozenset[str]
    description: str
    validate: Callable[[Mapping[str, Any]], str | None] | None = None

    def problem(self, args: object, lang: str | None) -> str | None:
        """Return why this use of the check is invalid, or None if it is valid."""
        if not isinstance(args, dict):
            return f"check '{self.name}': 'args' must be an object, got {args!r}"
        unknown = sorted(set(args) - set(self.args))
        if unknown:
            return f"check '{self.name}': unknown argument(s) {', '.join(unknown)}"
        for arg_name, spec in self.args.items():
            if arg_name not in args:
                if spec.required:
                    return f"check '{self.name}': missing argument '{arg_name}'"
                continue
            issue = spec.problem(arg_name, args[arg_name])
            if issue:
                return f"check '{self.name}': {issue}"
        if lang is not None and lang not in self.langs:
            return f"check '{self.name}' is not defined for language '{lang}'"
        if self.validate is not None:
            issue = self.validate(args)
            if issue:
                return f"check '{self.name}': {issue}"
        return None


class CheckRegistry:
    """Name -> check. Registering a name twice is an error, never a silent overwrite."""

    def __init__(self) -> None:
        self._specs: dict[str, CheckSpec] = {}

    def register(
        self,
        name: str,
        *,
        description: str,
        args: Mapping[str, ArgSpec] | None = None,
        langs: Iterable[str] = LANGS,
        validate: Callable[[Mapping[str, Any]], str | None] | None = None,
    ) -> Callable[[CheckFn], CheckFn]:
        """Decorator that registers ``fn`` under ``name``.

        Raises:
            ValueError: If ``name`` is already registered.
        """

        def decorator(fn: CheckFn) -> CheckFn:
            if name in self._specs:
                raise ValueError(f"check type '{name}' is already registered")
            self._specs[name] = CheckSpec(
                name=name,
                fn=fn,
                args=dict(args or {}),
                langs=frozenset(langs),
                description=description,
                validate=validate,
            )
            return fn

        return decorator

    def get(self, name: str) -> CheckSpec:
        """Return the spec for ``name``.

        Raises:
            KeyError: If no check of that name exists.
        """
        return self._specs[name]

    def names(self) -> tuple[str, ...]:
        """All registered check names, sorted."""
        return tuple(sorted(self._specs))

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)

    def __iter__(self) -> Iterator[CheckSpec]:
        return iter(self._specs.values())


CHECKS: Final = CheckRegistry()
"""The built-in checks. Third parties may register more under new names."""


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_HAN_RE: Final = re.compile(f"[{_HAN_CLASS}]")
_KANA_HANGUL_RE: Final = re.compile("[\u3040-\u30ff\uac00-\ud7af]")
_EN_WORD_RE: Final = re.compile(r"[A-Za-z0-9]+(?:['’\-][A-Za-z0-9]+)*")
_LATIN_WORD_RE: Final = re.compile(r"[A-Za-z]+(?:['’\-][A-Za-z]+)*")
# A sentence ends at Chinese/English terminal punctuation; an ASCII period only when followed by
# whitespace, a closing quote/bracket or the end, so "3.14" and "example.com" do not split.
_SENTENCE_END_RE: Final = re.compile(r"[。！？!?…]+[”’\"')）]*|\.+(?=[\s\"'”’)）]|$)")
_BULLET_RE: Final = re.compile(r"^[ \t]*[*\-+•][ \t]+\S", re.MULTILINE)
_STAR_RULE_RE: Final = re.compile(r"^[ \t]*\*\*\*[ \t]*$", re.MULTILINE)
_BLANK_SPLIT_RE: Final = re.compile(r"\n[ \t]*\n")
_COMMAS: Final = frozenset(",，﹐､")
_PLACEHOLDER_RE: Final = re.compile(r"\[[^\[\]\n]*\S[^\[\]\n]*\](?!\()|［[^［］\n]*\S[^［］\n]*］")
_TITLE_RE: Final = re.compile(r"<<[^<>\n]*\S[^<>\n]*>>|＜＜[^＜＞\n]*\S[^＜＞\n]*＞＞")
_HIGHLIGHT_RE: Final = re.compile(r"\*\*([^\n*]+)\*\*|\*([^\n*]+)\*")
_BULLET_PREFIX_RE: Final = re.compile(r"^([ \t]*)\*[ \t]+", re.MULTILINE)
_FENCE_RE: Final = re.compile(r"^```[A-Za-z0-9_-]*[ \t]*\n?(.*?)\n?```$", re.DOTALL)


def han_count(text: str) -> int:
    """Number of Chinese characters (CJK ideographs), as a Chinese reader counts 字数.

    Punctuation, digits and Latin letters are excluded on purpose: "不超过50字" is a limit on
    characters of Chinese text, not on bytes or code points.
    """
    return len(_HAN_RE.findall(text))


def en_word_count(text: str) -> int:
    """Number of English words: runs of letters/digits, keeping "don't" and "e-mail" whole."""
    return len(_EN_WORD_RE.findall(text))


def sentence_count(text: str) -> int:
    """Number of sentences, ending at ``。！？!?…`` or at a period followed by space or the end.

    A final fragment without a terminator still counts, because "two sentences" written without
    a final period are still two sentences to a reader.
    """
    pieces = _SENTENCE_END_RE.split(text)
    return sum(1 for p in pieces if re.search(rf"[A-Za-z0-9{_HAN_CLASS}]", p))


def _int(args: Mapping[str, Any], key: str) -> int:
    """Typed read of a validated integer argument."""
    return int(args[key])


def _str(args: Mapping[str, Any], key: str) -> str:
    """Typed read of a validated string argument."""
    return str(args[key])


def _compare(value: int, relation: str, n: int) -> bool:
    if relation == "at_most":
        return value <= n
    if relation == "at_least":
        return value >= n
    return value == n


def _keyword_re(keyword: str) -> re.Pattern[str]:
    """Case-insensitive pattern for a keyword, with word boundaries on ASCII-alphanumeric ends.

    Boundaries matter for English ("art" must not be found in "start"); Chinese has no spaces
    between words, so a Chinese keyword is matched as a plain substring.
    """
    body = re.escape(keyword)
    if keyword[:1].isascii() and keyword[:1].isalnum():
        body = r"(?<![A-Za-z0-9])" + body
    if keyword[-1:].isascii() and keyword[-1:].isalnum():
        body = body + r"(?![A-Za-z0-9])"
    return re.compile(body, re.IGNORECASE)


def _strip_code_fence(text: str) -> str:
    """Remove one surrounding markdown code fence: models often wrap JSON in ```json ... ```."""
    stripped = text.strip()
    match = _FENCE_RE.match(stripped)
    return match.group(1).strip() if match else stripped


def _parse_json(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(_strip_code_fence(text))
    except ValueError:
        return False, None


def _collapse_ws(text: str) -> str:
    return " ".join(text.split()).casefold()


def language_units(text: str) -> tuple[int, int, int]:
    """Return (Chinese characters, Latin-script words, kana/hangul characters).

    Chinese characters are compared with Latin *words*, not letters: a Chinese answer that names
    "Kubernetes" has one foreign word, not ten foreign letters.
    """
    return han_count(text), len(_LATIN_WORD_RE.findall(text)), len(_KANA_HANGUL_RE.findall(text))


def detect_language(text: str) -> Lang | None:
    """Classify a response as ``zh``, ``en`` or neither (None) by script ratio.

    zh needs at least half the units to be Chinese characters; en needs at least 80% Latin words.
    The en threshold is higher because an English answer has little reason to contain Chinese
    beyond a quoted term, while Chinese answers routinely carry English names and code terms.
    Script cannot tell English from French; the suite only asks for zh or en.
    """
    han, latin, other = language_units(text)
    total = han + latin + other
    if total == 0:
        return None
    if han / total >= 0.5:
        return "zh"
    if latin / total >= 0.8:
        return "en"
    return None


# --------------------------------------------------------------------------------------------
# Argument specs shared by several checks
# --------------------------------------------------------------------------------------------

_N0: Final = ArgSpec(int, minimum=0)
_N1: Final = ArgSpec(int, minimum=1)
_REL: Final = ArgSpec(str, choices=RELATIONS)
_TEXT: Final = ArgSpec(str)
_KEYWORDS: Final = ArgSpec(list)


def _validate_schema(args: Mapping[str, Any]) -> str | None:
    try:
        Draft202012Validator.check_schema(args["schema"])
    except SchemaError as exc:
        return f"'schema' is not a valid JSON Schema: {exc.message}"
    return None


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


@CHECKS.register("max_chars", description="at most n characters", args={"n": _N1})
def _max_chars(response: str, args: Mapping[str, Any]) -> bool:
    """Every character counts (spaces and punctuation too): that is what a character limit on
    a UI field or an SMS means."""
    return len(response.strip()) <= _int(args, "n")


@CHECKS.register("min_chars", description="at least n characters", args={"n": _N1})
def _min_chars(response: str, args: Mapping[str, Any]) -> bool:
    return len(response.strip()) >= _int(args, "n")


@CHECKS.register("max_words", description="at most n English words", args={"n": _N1}, langs=("en",))
def _max_words(response: str, args: Mapping[str, Any]) -> bool:
    return en_word_count(response) <= _int(args, "n")


@CHECKS.register("min_words", description="at least n English words", args={"n": _N1}, langs=("en",))
def _min_words(response: str, args: Mapping[str, Any]) -> bool:
    return en_word_count(response) >= _int(args, "n")


@CHECKS.register(
    "max_han_chars", description="at most n Chinese characters (字数)", args={"n": _N1}, langs=("zh",)
)
def _max_han_chars(response: str, args: Mapping[str, Any]) -> bool:
    """An empty answer trivially satisfies an upper bound; require at least one character so
    that saying nothing is not rewarded."""
    count = han_count(response)
    return 0 < count <= _int(args, "n")


@CHECKS.register(
    "min_han_chars", description="at least n Chinese characters (字数)", args={"n": _N1}, langs=("zh",)
)
def _min_han_chars(response: str, args: Mapping[str, Any]) -> bool:
    return han_count(response) >= _int(args, "n")


@CHECKS.register(
    "sentence_count", description="number of sentences", args={"relation": _REL, "n": _N1}
)
def _sentence_count(response: str, args: Mapping[str, Any]) -> bool:
    return _compare(sentence_count(response), _str(args, "relation"), _int(args, "n"))


@CHECKS.register("include_keywords", description="contains every keyword", args={"keywords": _KEYWORDS})
def _include_keywords(response: str, args: Mapping[str, Any]) -> bool:
    return all(_keyword_re(k).search(response) for k in args["keywords"])


@CHECKS.register("forbidden_keywords", description="contains none of the keywords", args={"keywords": _KEYWORDS})
def _forbidden_keywords(response: str, args: Mapping[str, Any]) -> bool:
    return not any(_keyword_re(k).search(response) for k in args["keywords"])


@CHECKS.register(
    "keyword_frequency",
    description="a keyword occurs a number of times",
    args={"keyword": _TEXT, "relation": _REL, "n": _N0},
)
def _keyword_frequency(response: str, args: Mapping[str, Any]) -> bool:
    count = len(_keyword_re(_str(args, "keyword")).findall(response))
    return _compare(count, _str(args, "relation"), _int(args, "n"))


@CHECKS.register("json_format", description="the whole response is valid JSON")
def _json_format(response: str, args: Mapping[str, Any]) -> bool:
    """A surrounding markdown code fence is tolerated, as in IFEval: it is presentation, and a
    program consuming the answer strips it trivially."""
    ok, _ = _parse_json(response)
    return ok


@CHECKS.register(
    "json_schema",
    description="the response is JSON valid against a JSON Schema",
    args={"schema": ArgSpec(dict)},
    validate=_validate_schema,
)
def _json_schema(response: str, args: Mapping[str, Any]) -> bool:
    ok, value = _parse_json(response)
    return ok and Draft202012Validator(args["schema"]).is_valid(value)


@CHECKS.register("bullet_count", description="exactly n markdown bullet points", args={"n": _N1})
def _bullet_count(response: str, args: Mapping[str, Any]) -> bool:
    """Only unordered markers (``*``, ``-``, ``+``, ``•``) followed by a space count; a
    ``***`` rule or a ``**bold**`` line is not a bullet."""
    return len(_BULLET_RE.findall(response)) == _int(args, "n")


@CHECKS.register(
    "paragraph_count",
    description="exactly n paragraphs",
    args={"n": _N1, "separator": ArgSpec(str, choices=("***", "blank_line"))},
)
def _paragraph_count(response: str, args: Mapping[str, Any]) -> bool:
    """With ``***`` only a line holding ``***`` separates; with ``blank_line`` a blank line or
    a ``***`` line does. An empty paragraph between two separators fails, as in IFEval, because
    it means the separators were not used as asked."""
    text = response.strip()
    if _str(args, "separator") == "***":
        parts = _STAR_RULE_RE.split(text)
    else:
        parts = _BLANK_SPLIT_RE.split(_STAR_RULE_RE.sub("\n\n", text))
    cleaned = [p.strip() for p in parts]
    while cleaned and not cleaned[0]:
        cleaned.pop(0)
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    if _str(args, "separator") == "blank_line":
        # Several blank lines in a row are one separator, not an empty paragraph.
        cleaned = [p for p in cleaned if p]
    return all(cleaned) and len(cleaned) == _int(args, "n")


@CHECKS.register(
    "response_language",
    description="the response is written in the given language",
    args={"lang": ArgSpec(str, choices=LANGS)},
)
def _response_language(response: str, args: Mapping[str, Any]) -> bool:
    return detect_language(response) == _str(args, "lang")


@CHECKS.register("end_phrase", description="ends with an exact phrase", args={"phrase": _TEXT})
def _end_phrase(response: str, args: Mapping[str, Any]) -> bool:
    return response.rstrip().casefold().endswith(_str(args, "phrase").strip().casefold())


@CHECKS.register("start_phrase", description="starts with an exact phrase", args={"phrase": _TEXT})
def _start_phrase(response: str, args: Mapping[str, Any]) -> bool:
    return response.lstrip().casefold().startswith(_str(args, "phrase").strip().casefold())


@CHECKS.register("no_commas", description="no comma, ASCII or full-width")
def _no_commas(response: str, args: Mapping[str, Any]) -> bool:
    """The enumeration comma ``、`` is allowed: it is a different mark, and forbidding it would
    make listing items in Chinese without commas impossible."""
    return not any(ch in _COMMAS for ch in response)


@CHECKS.register("all_lowercase", description="no uppercase letter at all", langs=("en",))
def _all_lowercase(response: str, args: Mapping[str, Any]) -> bool:
    return response == response.lower() and any(ch.isalpha() for ch in response)


@CHECKS.register("all_uppercase", description="no lowercase letter at all", langs=("en",))
def _all_uppercase(response: str, args: Mapping[str, Any]) -> bool:
    return response == response.upper() and any(ch.isalpha() for ch in response)


@CHECKS.register("title_brackets", description="a title wrapped in <<double angular brackets>>")
def _title_brackets(response: str, args: Mapping[str, Any]) -> bool:
    return _TITLE_RE.search(response) is not None


@CHECKS.register("quoted", description="the whole response is wrapped in double quotes")
def _quoted(response: str, args: Mapping[str, Any]) -> bool:
    """Chinese curly quotes “…” are accepted as well as ASCII ones: both are double quotes to a
    Chinese reader and a Chinese input method produces the curly pair."""
    text = response.strip()
    if len(text) < 2:
        return False
    return (text[0] == '"' and text[-1] == '"') or (text[0] == "“" and text[-1] == "”")


@CHECKS.register("placeholders", description="at least n [placeholders]", args={"n": _N1})
def _placeholders(response: str, args: Mapping[str, Any]) -> bool:
    """Markdown links ``[text](url)`` are not placeholders and are not counted."""
    return len(_PLACEHOLDER_RE.findall(response)) >= _int(args, "n")


@CHECKS.register(
    "postscript",
    description="a postscript starting with a marker such as P.S.",
    args={"marker": _TEXT},
)
def _postscript(response: str, args: Mapping[str, Any]) -> bool:
    """The marker must start a line after some main text; ``P. S.`` spacing is tolerated."""
    marker = re.escape(_str(args, "marker").strip()).replace(r"\.", r"\.[ \t]?")
    match = re.search(rf"^[ \t*_]*{marker}", response, re.IGNORECASE | re.MULTILINE)
    return match is not None and bool(response[: match.start()].strip())


@CHECKS.register(
    "highlighted_sections", description="at least n *highlighted* sections", args={"n": _N1}
)
def _highlighted_sections(response: str, args: Mapping[str, Any]) -> bool:
    """``*x*`` and ``**x**`` both count. Bullet markers are removed first so that a ``* item``
    line is not read as the opening of a highlight."""
    text = _BULLET_PREFIX_RE.sub(r"\1", response)
    count = sum(1 for m in _HIGHLIGHT_RE.finditer(text) if (m.group(1) or m.group(2)).strip())
    return count >= _int(args, "n")


@CHECKS.register(
    "repeat_prompt",
    description="repeats the request word for word before answering",
    args={"prompt_to_repeat": _TEXT},
)
def _repeat_prompt(response: str, args: Mapping[str, Any]) -> bool:
    """Whitespace and case are normalised: a line break in the copy is not a failure to repeat."""
    return _collapse_ws(response).startswith(_collapse_ws(_str(args, "prompt_to_repeat")))


@CHECKS.register("two_responses", description="two different responses separated by ******")
def _two_responses(response: str, args: Mapping[str, Any]) -> bool:
    parts = [p.strip() for p in response.split("******")]
    return len(parts) == 2 and all(parts) and parts[0] != parts[1]


def _validate_marker(args: Mapping[str, Any]) -> str | None:
    if _str(args, "marker").count("{n}") != 1:
        return "'marker' must contain the number slot '{n}' exactly once, e.g. 'SECTION {n}'"
    return None


@CHECKS.register(
    "section_count",
    description="exactly n sections, each headed by a marker such as 'SECTION {n}' or '第{n}部分'",
    args={"marker": _TEXT, "n": _N1},
    validate=_validate_marker,
)
def _section_count(response: str, args: Mapping[str, Any]) -> bool:
    """A header is a line starting with the marker, its ``{n}`` slot filled by Arabic or Chinese
    numerals, optionally after markdown ``#``/``*``. The slot lets one check serve "SECTION 2"
    and "第二部分", whose numbers sit in different places."""
    before, after = (re.escape(part) for part in _str(args, "marker").strip().split("{n}"))
    pattern = rf"^[ \t#*]*{before}[ \t]*[0-9一二三四五六七八九十]+[ \t]*{after}"
    return len(re.findall(pattern, response, re.MULTILINE | re.IGNORECASE)) == _int(args, "n")


@CHECKS.register(
    "no_digits", description="no Arabic digit anywhere (numbers spelled out)"
)
def _no_digits(response: str, args: Mapping[str, Any]) -> bool:
    return not any(ch.isdigit() for ch in response) and bool(response.strip())


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check on one response."""

    type: str
    strict: bool
    loose: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form kept in ``Score.details``."""
        return {"type": self.type, "strict": self.strict, "loose": self.loose}


def loose_variants(response: str) -> list[str]:
    """The loosened readings of a response, original first, empty ones dropped.

    Removing the first or last line forgives a preamble ("Sure! Here is ...") or a sign-off;
    removing ``*`` forgives markdown emphasis around words a check looks for.
    """
    lines = response.split("\n")
    bases = [
        response,
        "\n".join(lines[1:]).strip(),
        "\n".join(lines[:-1]).strip(),
        "\n".join(lines[1:-1]).strip(),
    ]
    variants = [*bases, *(b.replace("*", "") for b in bases)]
    seen: set[str] = set()
    result: list[str] = []
    for v in variants:
        if v.strip() and v not in seen:
            seen.add(v)
            result.append(v)
    return result


def _safe_call(spec: CheckSpec, text: str, args: Mapping[str, Any]) -> bool:
    """A check must not raise; if one does it is a bug, and the check counts as failed rather
    than crashing a run (the sample row records which check failed)."""
    try:
        return bool(spec.fn(text, args))
    except Exception:
        return False


def evaluate_checks(response: str, checks: Sequence[Mapping[str, Any]]) -> list[CheckResult]:
    """Run validated checks on a response, strictly and loosely.

    Loose accuracy follows IFEval: a check passes loosely if it passes on *any* loosened variant,
    and the prompt passes loosely if every check does.
    """
    variants = loose_variants(response)
    results: list[CheckResult] = []
    for check in checks:
        spec = CHECKS.get(check["type"])
        args = check.get("args", {})
        strict = bool(response.strip()) and _safe_call(spec, response, args)
        loose = strict or any(_safe_call(spec, v, args) for v in variants[1:])
        results.append(CheckResult(type=spec.name, strict=strict, loose=loose))
    return results


def _answer_language(checks: list[Any], prompt_lang: str | None) -> str | None:
    """The language the answer is expected in: the prompt's, unless a ``response_language``
    check asks for another (a Chinese prompt may ask for an all-lowercase English answer)."""
    for check in checks:
        if isinstance(check, dict) and check.get("type") == "response_language":
            args = check.get("args")
            if isinstance(args, dict) and args.get("lang") in LANGS:
                return str(_str(args, "lang"))
    return prompt_lang


def validate_checks(checks: object, lang: str | None = None) -> list[dict[str, Any]]:
    """Validate a list of checks and return it in canonical form (``args`` always present).

    Args:
        checks: The ``checks`` value of a suite row.
        lang: The prompt's language; checks tied to one language (English word counts,
            Chinese character counts, letter case) are checked against the answer language.

    Raises:
        ValueError: With a message naming the bad check; callers add the file and line.
    """
    if not isinstance(checks, list) or not checks:
        raise ValueError("'checks' must be a non-empty list")
    lang = _answer_language(checks, lang)
    canonical: list[dict[str, Any]] = []
    for i, check in enumerate(checks):
        if not isinstance(check, dict):
            raise ValueError(f"checks[{i}] must be an object, got {check!r}")
        extra = sorted(set(check) - {"type", "args"})
        if extra:
            raise ValueError(f"checks[{i}] has unknown field(s) {', '.join(extra)}")
        ctype = check.get("type")
        if not isinstance(ctype, str) or ctype not in CHECKS:
            known = ", ".join(CHECKS.names())
            raise ValueError(f"checks[{i}]: unknown check type {ctype!r} (known: {known})")
        args = check.get("args", {})
        issue = CHECKS.get(ctype).problem(args, lang)
        if issue:
            raise ValueError(f"checks[{i}]: {issue}")
        canonical.append({"type": ctype, "args": args})
    return canonical


@dataclass
class _RowContext:
    source: str
    line: int
    seen_ids: dict[str, int] = field(default_factory=dict)

    def error(self, message: str) -> DatasetError:
        return DatasetError(f"{self.source}:{self.line}: {message}")


_ROW_FIELDS: Final = frozenset({"id", "lang", "prompt", "checks", "category"})


def _parse_row(raw: str, ctx: _RowContext) -> Sample:
    try:
        row = json.loads(raw)
    except ValueError as exc:
        raise ctx.error(f"not valid JSON ({exc})") from None
    if not isinstance(row, dict):
        raise ctx.error("each line must be a JSON object")
    missing = sorted(_ROW_FIELDS - set(row))
    if missing:
        raise ctx.error(f"missing field(s) {', '.join(missing)}")
    extra = sorted(set(row) - _ROW_FIELDS)
    if extra:
        raise ctx.error(f"unknown field(s) {', '.join(extra)}")
    sid, lang, prompt, category = row["id"], row["lang"], row["prompt"], row["category"]
    if not isinstance(sid, str) or not sid:
        raise ctx.error("field 'id' must be a non-empty string")
    if sid in ctx.seen_ids:
        raise ctx.error(f"duplicate id {sid!r} (first used on line {ctx.seen_ids[sid]})")
    ctx.seen_ids[sid] = ctx.line
    if lang not in LANGS:
        raise ctx.error(f"field 'lang' must be 'zh' or 'en', got {lang!r}")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ctx.error("field 'prompt' must be a non-empty string")
    try:
        checks = validate_checks(row["checks"], lang)
    except ValueError as exc:
        raise ctx.error(str(exc)) from None
    if len(checks) > 3:
        raise ctx.error("a prompt carries at most 3 checks")
    types = [c["type"] for c in checks]
    if len(set(types)) != len(types):
        raise ctx.error("the same check type is used twice in one prompt")
    if category not in types:
        raise ctx.error(f"field 'category' must be one of the prompt's check types, got {category!r}")
    return Sample(
        id=sid,
        messages=({"role": "user", "content": prompt},),
        category=category,
        metadata={"checks": checks, "lang": lang},
    )


def parse_ifeval_jsonl(text: str, source: str = IFEVAL_RESOURCE) -> list[Sample]:
    """Parse and validate an IFEval-style JSONL suite.

    Args:
        text: The file content, one JSON object per line; blank lines are skipped.
        source: File name used in error messages.

    Raises:
        DatasetError: Naming ``source:line`` and the problem, for the first invalid line.
    """
    ctx = _RowContext(source=source, line=0)
    samples: list[Sample] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        ctx.line = number
        samples.append(_parse_row(raw, ctx))
    if not samples:
        raise DatasetError(f"{source}: the suite is empty")
    return samples


def load_ifeval(path: str | Path | None = None) -> list[Sample]:
    """Load the built-in instruction-following suite, or a suite file of the same format.

    The built-in file is read through ``importlib.resources`` so that it works from a wheel or
    a zip as well as from a source checkout.
    """
    if path is None:
        text = resources.files("baimo.tasks.suites").joinpath(IFEVAL_RESOURCE).read_text("utf-8")
        return parse_ifeval_jsonl(text, IFEVAL_RESOURCE)
    file = Path(path)
    return parse_ifeval_jsonl(file.read_text("utf-8"), str(file))


@scorer("ifeval")
def ifeval_scorer(sample: Sample, output: ModelOutput) -> Score:
    """Score a response against the sample's checks.

    ``value`` is the strict result (1.0/0.0); the loose result and per-check results are in
    ``details``. An empty answer is ``no-answer`` and an answer cut off by the token limit that
    fails is ``truncated``, so that neither is mistaken for disobeying the instructions.
    """
    try:
        checks = validate_checks(sample.metadata.get("checks"), sample.metadata.get("lang"))
    except ValueError as exc:
        return Score(status="error", reason=f"sample {sample.id}: invalid checks: {exc}")
    results = evaluate_checks(output.text, checks)
    strict = all(r.strict for r in results)
    loose = all(r.loose for r in results)
    details: dict[str, Any] = {
        "strict": strict,
        "loose": loose,
        "checks": [r.as_dict() for r in results],
    }
    if strict:
        return Score(status="ok", value=1.0, details=details)
    failed = ", ".join(r.type for r in results if not r.strict)
    if not output.text.strip():
        return Score(status="no-answer", reason="empty response", details=details)
    if output.finish_reason == "length":
        return Score(
            status="truncated",
            reason=f"response hit the token limit; failed: {failed}",
            details=details,
        )
    return Score(status="wrong", reason=f"failed: {failed}", details=details)
