"""Scorers for your own data, chosen per task in its YAML file.

Every scorer follows the same outcome rules so numbers mean the same across tasks:

- an empty answer is ``no-answer``;
- an answer that could not be parsed (no number, no JSON, no letter) is ``no-answer``, never
  ``wrong``;
- when the server stopped at ``max_tokens`` (``finish_reason == "length"``) and the answer is
  not correct, the sample is ``truncated``: raise ``max_tokens`` rather than blame the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal, get_args

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from baimo.errors import ConfigError
from baimo.tasks.extract import (
    extract_choice,
    extract_number,
    normalize_text,
    numbers_equal,
    parse_number,
)
from baimo.tasks.outcome import decide
from baimo.tasks.types import ModelOutput, Sample, Score, Scorer

ScorerType = Literal["exact", "normalized", "regex", "numeric", "contains", "json", "choice"]
RULE_TYPES: tuple[str, ...] = get_args(ScorerType)


# ------------------------------------------------------------------------------ registry


class SpecScorer:
    """A scorer that knows what it is: its registered name, version and arguments.

    The spec goes into the task's scoring version, stored with every result, so a result can
    say exactly which scorer produced it and ``--resume`` can refuse to mix two.
    """

    def __init__(self, fn: Callable[[Sample, ModelOutput], Score], spec: dict[str, Any]
                 ) -> None:
        self.fn = fn
        self.spec = spec
        self.__doc__ = fn.__doc__
        self.__name__ = spec["name"]

    def __call__(self, sample: Sample, output: ModelOutput) -> Score:
        return self.fn(sample, output)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.spec["args"].items())
        return f"{self.spec['name']}({args})"


ScorerFactory = Callable[..., Callable[[Sample, ModelOutput], Score]]
SCORERS: dict[str, tuple[ScorerFactory, int]] = {}


def register_scorer(name: str, factory: ScorerFactory, *, version: int = 1) -> None:
    """Register a scorer family: ``factory(**args)`` builds a scorer.

    Bump ``version`` when the family's logic changes what it decides: the version is part of
    every result's provenance. Registering a name twice is an error, as for suites.
    """
    if name in SCORERS:
        raise ValueError(f"scorer '{name}' is already registered")
    SCORERS[name] = (factory, version)


def scorer(name: str, *, version: int = 1
           ) -> Callable[[Callable[[Sample, ModelOutput], Score]], SpecScorer]:
    """Decorator: register a scorer that takes no arguments, and make it carry its spec."""

    def wrap(fn: Callable[[Sample, ModelOutput], Score]) -> SpecScorer:
        register_scorer(name, lambda: fn, version=version)
        return SpecScorer(fn, {"name": name, "version": version, "args": {}})

    return wrap


def make_scorer(name: str, **args: Any) -> SpecScorer:
    """Build a registered scorer with ``args``; its spec records both."""
    try:
        factory, version = SCORERS[name]
    except KeyError:
        raise ConfigError(f"no scorer '{name}'. Available: {', '.join(sorted(SCORERS))}"
                          ) from None
    return SpecScorer(factory(**args), {"name": name, "version": version,
                                        "args": dict(sorted(args.items()))})


def scorer_spec(fn: object) -> dict[str, Any]:
    """The spec of any scorer: registered ones carry it; others are named by their code."""
    spec = getattr(fn, "spec", None)
    if callable(spec):
        spec = spec()
    if isinstance(spec, dict):
        return spec
    return {"name": f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}",
            "version": 0, "args": {}}


# ------------------------------------------------------------------------- task files


_OPTION_USERS: dict[str, frozenset[str]] = {
    "pattern": frozenset({"regex"}),
    "tolerance": frozenset({"numeric"}),
    "relative": frozenset({"numeric"}),
    "case_sensitive": frozenset({"exact", "regex", "contains"}),
    "json_schema": frozenset({"json"}),
    "multi": frozenset({"choice"}),
    "args": frozenset(),  # plugin scorers only
}
"""Which rule scorers read each option of ``ScorerSpec``."""


class ScorerSpec(BaseModel):
    """The ``scorer:`` block of a task file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    args: dict[str, Any] = Field(default_factory=dict)
    """Arguments of a plugin scorer (registered with ``register_scorer``)."""
    pattern: str | None = None
    tolerance: float = Field(1e-6, ge=0)
    relative: bool = True
    case_sensitive: bool = False
    json_schema: dict[str, Any] | None = Field(None, alias="schema")
    multi: bool = False

    @model_validator(mode="after")
    def _check(self) -> ScorerSpec:
        if self.type not in RULE_TYPES and self.type not in SCORERS:
            raise ValueError(f"unknown scorer type '{self.type}'; use one of: "
                             f"{', '.join([*RULE_TYPES, *sorted(set(SCORERS) - set(RULE_TYPES))])}")
        # An option of another type would be ignored without a word ("contains" with a
        # "pattern" still checks containment): the user meant something else.
        for name, users in _OPTION_USERS.items():
            field = type(self).model_fields[name]
            if getattr(self, name) == field.get_default(call_default_factory=True):
                continue  # left as it is (specs are rebuilt from full dumps, too)
            if self.type in users if name != "args" else self.type not in RULE_TYPES:
                continue
            shown = "schema" if name == "json_schema" else name
            where = (f"scorer type {' and '.join(sorted(users))}" if name != "args"
                     else "plugin scorers (registered with register_scorer)")
            raise ValueError(f"'{shown}' applies to {where}, not '{self.type}'; remove it "
                             "or change the type")
        if self.type == "regex":
            if not self.pattern:
                raise ValueError("the regex scorer needs 'pattern'")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"'pattern' is not a valid regular expression: {exc}"
                                 ) from None
        if self.json_schema is not None:
            import jsonschema  # only tasks with a schema pay for it (~0.1 s to import)

            try:
                jsonschema.Draft202012Validator.check_schema(self.json_schema)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"'schema' is not a valid JSON Schema: {exc.message}") from None
        return self


def _finish(sample: Sample, output: ModelOutput, correct: bool | None, extracted: str | None,
            method: str, **details: Any) -> Score:
    """Apply the shared outcome rules (``baimo.tasks.outcome``)."""
    return decide(output, correct, extracted, method=method, **details)


def references(sample: Sample) -> list[str]:
    """The reference answers of a sample, as text (a list reference gives several)."""
    ref = sample.reference
    if ref is None:
        return []
    if isinstance(ref, list | tuple):
        return [str(r) for r in ref]
    return [str(ref)]


def _json_from_text(text: str) -> tuple[Any, bool]:
    """Parse JSON from a response, accepting a fenced code block around it."""
    candidates = [text.strip()]
    fence = re.findall(r"```(?:json)?\s*\n?(.*?)```", text, flags=re.S)
    candidates = [c.strip() for c in fence][::-1] + candidates
    for cand in candidates:
        try:
            return orjson.loads(cand), True
        except orjson.JSONDecodeError:
            continue
    return None, False


def build_scorer(spec: ScorerSpec) -> SpecScorer:
    """Make the scorer a task file asks for (its arguments are recorded in its spec)."""
    if spec.type not in RULE_TYPES:
        return make_scorer(spec.type, **spec.args)
    args = spec.model_dump(mode="json", by_alias=True, exclude={"type", "args"})
    return make_scorer(spec.type, **args)


def _rule_scorer(spec: ScorerSpec) -> Scorer:
    """The built-in rule scorers of task files."""

    def exact(sample: Sample, output: ModelOutput) -> Score:
        text = output.text.strip()
        if not text:
            return _finish(sample, output, None, None, "exact")
        refs = references(sample)
        if spec.case_sensitive:
            ok = text in refs
        else:
            ok = text.casefold() in {r.strip().casefold() for r in refs}
        return _finish(sample, output, ok, text, "exact")

    def normalized(sample: Sample, output: ModelOutput) -> Score:
        text = normalize_text(output.text)
        if not text:
            return _finish(sample, output, None, None, "normalized")
        ok = text in {normalize_text(r) for r in references(sample)}
        return _finish(sample, output, ok, text, "normalized")

    pattern = re.compile(spec.pattern or "", 0 if spec.case_sensitive else re.I)

    def regex(sample: Sample, output: ModelOutput) -> Score:
        matches = list(pattern.finditer(output.text))
        if not matches:
            refs = references(sample)
            # With a reference, no match means nothing was found; without one, it is wrong.
            return _finish(sample, output, None if refs else False, None, "regex")
        last = matches[-1]
        got = last.group(1) if last.groups() else last.group(0)
        refs = references(sample)
        if not refs:
            return _finish(sample, output, True, got, "regex")
        ok = normalize_text(got) in {normalize_text(r) for r in refs}
        return _finish(sample, output, ok, got, "regex")

    def numeric(sample: Sample, output: ModelOutput) -> Score:
        question = sample.messages[-1].get("content") if sample.messages else None
        ext = extract_number(output.text, finish_reason=output.finish_reason, question=question)
        if ext.number is None:
            return _finish(sample, output, None, None, ext.method, scorer="numeric")
        refs = references(sample)
        ok = False
        for r in refs:
            # Compare the written forms so that "50%" matches both 50 and 0.5.
            if spec.relative:
                ok = ok or numbers_equal(ext.value or "", r, rel_tol=spec.tolerance)
            else:
                target = parse_number(r)
                ok = ok or (target is not None and abs(ext.number - target) <= spec.tolerance)
        return _finish(sample, output, ok, ext.value, ext.method, scorer="numeric")

    def contains(sample: Sample, output: ModelOutput) -> Score:
        if not output.text.strip():
            return _finish(sample, output, None, None, "contains")
        hay = output.text if spec.case_sensitive else normalize_text(output.text)
        refs = references(sample)
        hits = [r for r in refs
                if (r if spec.case_sensitive else normalize_text(r)) in hay]
        return _finish(sample, output, bool(hits), hits[0] if hits else None, "contains")

    schema_validator: Any = None  # built on first use: one per scorer, not per sample

    def json_valid(sample: Sample, output: ModelOutput) -> Score:
        nonlocal schema_validator
        obj, ok = _json_from_text(output.text)
        if not ok:
            return _finish(sample, output, None, None, "json", error="not valid JSON")
        if spec.json_schema is not None:
            if schema_validator is None:
                import jsonschema

                schema_validator = jsonschema.Draft202012Validator(spec.json_schema)
            errors = sorted(schema_validator.iter_errors(obj), key=lambda e: list(e.path))
            if errors:
                first = errors[0]
                where = "/".join(str(p) for p in first.path) or "(root)"
                return _finish(sample, output, False, output.text.strip()[:200], "json",
                               error=f"{where}: {first.message}")
        return _finish(sample, output, True, output.text.strip()[:200], "json")

    def choice(sample: Sample, output: ModelOutput) -> Score:
        n = len(sample.choices or ()) or 4
        # The prompt tells whether the question asks for the exception ("Which is NOT …").
        question = sample.messages[-1].get("content") if sample.messages else None
        ext = extract_choice(output.text, n, sample.choices, multi=spec.multi,
                             finish_reason=output.finish_reason, question=question)
        if ext.value is None:
            return _finish(sample, output, None, None, ext.method, scorer="choice")
        refs = {"".join(sorted(r.strip().upper())) for r in references(sample)}
        return _finish(sample, output, ext.value in refs, ext.value, ext.method,
                       scorer="choice")

    table: dict[str, Callable[[Sample, ModelOutput], Score]] = {
        "exact": exact, "normalized": normalized, "regex": regex, "numeric": numeric,
        "contains": contains, "json": json_valid, "choice": choice,
    }
    return table[spec.type]


def _register_rules() -> None:
    for name in RULE_TYPES:
        def factory(_name: str = name, **args: Any) -> Scorer:
            return _rule_scorer(ScorerSpec.model_validate({"type": _name, **args}))

        register_scorer(name, factory)


_register_rules()
