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
from typing import Any, Literal

import jsonschema
import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from baimo.tasks.extract import (
    extract_choice,
    extract_number,
    normalize_text,
    numbers_equal,
    parse_number,
)
from baimo.tasks.types import ModelOutput, Sample, Score, Scorer

ScorerType = Literal["exact", "normalized", "regex", "numeric", "contains", "json", "choice"]


class ScorerSpec(BaseModel):
    """The ``scorer:`` block of a task file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ScorerType
    pattern: str | None = None
    tolerance: float = Field(1e-6, ge=0)
    relative: bool = True
    case_sensitive: bool = False
    json_schema: dict[str, Any] | None = Field(None, alias="schema")
    multi: bool = False

    @model_validator(mode="after")
    def _check(self) -> ScorerSpec:
        if self.type == "regex":
            if not self.pattern:
                raise ValueError("the regex scorer needs 'pattern'")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"'pattern' is not a valid regular expression: {exc}"
                                 ) from None
        if self.json_schema is not None:
            try:
                jsonschema.Draft202012Validator.check_schema(self.json_schema)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"'schema' is not a valid JSON Schema: {exc.message}") from None
        return self


def _finish(sample: Sample, output: ModelOutput, correct: bool | None, extracted: str | None,
            method: str, **details: Any) -> Score:
    """Apply the shared outcome rules. ``correct=None`` means nothing could be extracted."""
    truncated = output.finish_reason == "length"
    if correct:
        return Score("ok", 1.0, extracted, None, {"method": method, **details})
    if truncated:
        return Score("truncated", 0.0, extracted,
                     "the answer hit max_tokens before it was complete",
                     {"method": method, **details})
    if correct is None:
        return Score("no-answer", 0.0, extracted, f"no answer found ({method})",
                     {"method": method, **details})
    return Score("wrong", 0.0, extracted, None, {"method": method, **details})


def _references(sample: Sample) -> list[str]:
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


def build_scorer(spec: ScorerSpec) -> Scorer:
    """Make the scorer a task file asks for."""

    def exact(sample: Sample, output: ModelOutput) -> Score:
        text = output.text.strip()
        if not text:
            return _finish(sample, output, None, None, "exact")
        refs = _references(sample)
        if spec.case_sensitive:
            ok = text in refs
        else:
            ok = text.casefold() in {r.strip().casefold() for r in refs}
        return _finish(sample, output, ok, text, "exact")

    def normalized(sample: Sample, output: ModelOutput) -> Score:
        text = normalize_text(output.text)
        if not text:
            return _finish(sample, output, None, None, "normalized")
        ok = text in {normalize_text(r) for r in _references(sample)}
        return _finish(sample, output, ok, text, "normalized")

    pattern = re.compile(spec.pattern or "", 0 if spec.case_sensitive else re.I)

    def regex(sample: Sample, output: ModelOutput) -> Score:
        matches = list(pattern.finditer(output.text))
        if not matches:
            refs = _references(sample)
            # With a reference, no match means nothing was found; without one, it is wrong.
            return _finish(sample, output, None if refs else False, None, "regex")
        last = matches[-1]
        got = last.group(1) if last.groups() else last.group(0)
        refs = _references(sample)
        if not refs:
            return _finish(sample, output, True, got, "regex")
        ok = normalize_text(got) in {normalize_text(r) for r in refs}
        return _finish(sample, output, ok, got, "regex")

    def numeric(sample: Sample, output: ModelOutput) -> Score:
        ext = extract_number(output.text, finish_reason=output.finish_reason)
        if ext.number is None:
            return _finish(sample, output, None, None, "numeric")
        refs = _references(sample)
        ok = False
        for r in refs:
            # Compare the written forms so that "50%" matches both 50 and 0.5.
            if spec.relative:
                ok = ok or numbers_equal(ext.value or "", r, rel_tol=spec.tolerance)
            else:
                target = parse_number(r)
                ok = ok or (target is not None and abs(ext.number - target) <= spec.tolerance)
        return _finish(sample, output, ok, ext.value, "numeric", rule=ext.method)

    def contains(sample: Sample, output: ModelOutput) -> Score:
        if not output.text.strip():
            return _finish(sample, output, None, None, "contains")
        hay = output.text if spec.case_sensitive else normalize_text(output.text)
        refs = _references(sample)
        hits = [r for r in refs
                if (r if spec.case_sensitive else normalize_text(r)) in hay]
        return _finish(sample, output, bool(hits), hits[0] if hits else None, "contains")

    def json_valid(sample: Sample, output: ModelOutput) -> Score:
        obj, ok = _json_from_text(output.text)
        if not ok:
            return _finish(sample, output, None, None, "json", error="not valid JSON")
        if spec.json_schema is not None:
            errors = sorted(jsonschema.Draft202012Validator(spec.json_schema).iter_errors(obj),
                            key=lambda e: list(e.path))
            if errors:
                first = errors[0]
                where = "/".join(str(p) for p in first.path) or "(root)"
                return _finish(sample, output, False, output.text.strip()[:200], "json",
                               error=f"{where}: {first.message}")
        return _finish(sample, output, True, output.text.strip()[:200], "json")

    def choice(sample: Sample, output: ModelOutput) -> Score:
        n = len(sample.choices or ()) or 4
        ext = extract_choice(output.text, n, sample.choices, multi=spec.multi,
                             finish_reason=output.finish_reason)
        if ext.value is None:
            return _finish(sample, output, None, None, "choice")
        refs = {"".join(sorted(r.strip().upper())) for r in _references(sample)}
        return _finish(sample, output, ext.value in refs, ext.value, "choice",
                       rule=ext.method)

    table: dict[str, Callable[[Sample, ModelOutput], Score]] = {
        "exact": exact, "normalized": normalized, "regex": regex, "numeric": numeric,
        "contains": contains, "json": json_valid, "choice": choice,
    }
    return table[spec.type]
