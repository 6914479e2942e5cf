"""Tasks: a dataset, how to prompt it, how to score it, and which generation settings to use.

A task file is small YAML next to its data::

    name: capitals
    version: 1
    dataset: capitals.jsonl        # .jsonl, .csv or .parquet, relative to this file
    system: Answer briefly.        # optional system prompt
    template: "{prompt}"           # optional; fields: {prompt}, {choices}
    scorer: {type: normalized}     # exact | normalized | regex | numeric | contains | json | choice
    params: {max_tokens: 64}       # generation parameters, over the model's defaults
    dimension: knowledge           # optional: capability dimension for the profile

The task's ``version`` string stored with every result combines the declared version with a
hash of everything that changes what is asked (system prompt, template, params), so a prompt
edit can never be mistaken for the same experiment.
"""

from __future__ import annotations

import dataclasses
import hashlib
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from baimo.config import Config, ModelConfig
    from baimo.models.client import Answer, ModelClient

from baimo.dimensions import misspelt_dimension
from baimo.errors import ConfigError, DatasetError
from baimo.params import check_params
from baimo.tasks.dataset import load_dataset
from baimo.tasks.extract import parse_number
from baimo.tasks.extract_model import ExtractSpec, with_model_fallback
from baimo.tasks.scorers import ScorerSpec, build_scorer, references, scorer_spec
from baimo.tasks.types import AsyncScorer, Message, Sample, Scorer
from baimo.yamlio import load_yaml, validate

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class TaskSpec(BaseModel):
    """The schema of a task file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:/-]+$")
    version: str | int = "1"
    description: str = ""
    dataset: str
    system: str | None = None
    template: str | None = None
    scorer: ScorerSpec
    params: dict[str, Any] = Field(default_factory=dict)
    dimension: str | None = None
    limit: int | None = Field(None, gt=0)
    judge: dict[str, Any] | None = None
    """LLM-as-judge block (see ``baimo.tasks.judge``); needs the models config."""
    extract: ExtractSpec | None = None
    """``{fallback: MODEL}``: a judge model reads answers the rules read weakly or not at all
    (``choice``/``numeric`` scorers; see ``baimo.tasks.extract_model``)."""

    @field_validator("params")
    @classmethod
    def _checked_params(cls, v: dict[str, Any]) -> dict[str, Any]:
        return check_params(v)


@dataclass
class Task:
    """A ready-to-run task."""

    name: str
    version: str
    samples: list[Sample]
    scorer: Scorer
    params: dict[str, Any] = field(default_factory=dict)
    dimension: str | None = None
    spec: dict[str, Any] = field(default_factory=dict)
    async_scorer: AsyncScorer | None = None
    """Awaited after ``scorer`` when set (LLM judges); its score replaces the rule score."""
    mode: str = "chat"
    """``chat`` asks for a completion; ``loglik`` asks the engine for per-option
    log-likelihoods (MCQ log-likelihood templates; only engines with logprobs)."""
    solver: Solver | None = None
    """Asks instead of the runner's single request when a sample needs a conversation (tool
    results fed back, a second turn): see ``Solver``."""
    _version_memo: tuple[Any, Any, str, str] | None = field(default=None, init=False,
                                                            repr=False, compare=False)
    """``(scorer, async_scorer, version, result_version)`` of the last ``result_version``."""

    @property
    def scoring(self) -> dict[str, Any]:
        """How answers are judged: the scorer's spec, and the judge's when there is one."""
        out: dict[str, Any] = {"scorer": scorer_spec(self.scorer)}
        if self.async_scorer is not None:
            out["judge"] = scorer_spec(self.async_scorer)
        return out

    @property
    def scoring_models(self) -> list[ModelConfig]:
        """The models the scoring asks (a judge, a fallback reader): a cluster run gives their
        endpoints the same cluster-wide limits as the candidates'."""
        models = getattr(self.async_scorer, "models", None)
        return list(models()) if callable(models) else []

    @property
    def result_version(self) -> str:
        """What is stored with each result: ``version`` (what was asked; it keys the answer
        cache, so a new scorer re-scores stored answers instead of asking again) plus a hash
        of ``scoring`` (how they were judged).

        Remembered for the scorer and judge objects it was computed from: the runner reads it
        for every result row, and hashing the scoring spec each time was a visible share of
        the per-sample cost. Assigning another scorer, judge or version computes it anew.
        """
        memo = self._version_memo
        if (memo is not None and memo[0] is self.scorer and memo[1] is self.async_scorer
                and memo[2] == self.version):
            return memo[3]
        digest = hashlib.sha256(orjson.dumps(self.scoring, option=orjson.OPT_SORT_KEYS,
                                             default=str)).hexdigest()[:8]
        value = f"{self.version}.{digest}"
        self._version_memo = (self.scorer, self.async_scorer, self.version, value)
        return value

    @property
    def answer_key(self) -> str:
        """A hash of what the answers are scored against: each sample's reference and the
        metadata scorers read (constraints, expected verdicts).

        ``version`` covers what is asked and ``result_version`` how answers are judged, but
        neither covers the references; a run resumed after a reference was corrected would
        keep the scores given against the old one beside new ones scored against the new.
        Stored in the run's spec so ``--resume`` can refuse that mix.
        """
        key = [(s.id, s.reference, s.metadata) for s in self.samples]
        return hashlib.sha256(orjson.dumps(key, option=orjson.OPT_SORT_KEYS |
                                           orjson.OPT_NON_STR_KEYS,
                                           default=_stable)).hexdigest()[:12]

    def limited(self, limit: int | None) -> Task:
        if limit is None or limit >= len(self.samples):
            return self
        return dataclasses.replace(self, samples=self.samples[:limit],
                                   spec={**self.spec, "limit": limit})


def _stable(value: Any) -> Any:
    """A value JSON cannot hold, in a form that is the same in every process: a set sorted
    (its order follows string hashing, which differs per process), anything else by its
    type's name (a ``repr`` may hold a memory address), so ``answer_key`` never changes
    between a run and its resume without a reason."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


Solver = Callable[[Sample, list[dict[str, Any]], dict[str, Any], "ModelClient"],
                  Awaitable["Answer"]]
"""``solver(sample, messages, params, client) -> Answer``: holds a conversation with the model
under test through its shared client (admission, retries and pricing as for any request).

Why a seam in the runner rather than an async scorer: a scorer is not told which model it is
scoring, and the answers of later turns belong to the model's result row (tokens, cost,
latency), not to a judge's. The returned ``Answer`` is the last completion with usage and
cost summed over the turns; its ``raw["baimo_transcript"]`` holds the turns after the
sample's messages, which the runner hands the scorer as ``ModelOutput.transcript`` (and
re-reads from the stored response on resume). A ``CallFailed`` raised by the solver is an
error row like any other."""


def task_version(declared: str | int, *parts: Any) -> str:
    digest = hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()[:10]
    return f"{declared}-{digest}"


def render_choices(choices: tuple[str, ...]) -> str:
    return "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(choices))


def _render(sample: Sample, system: str | None, template: str | None) -> Sample:
    msgs: list[Message] = [dict(m) for m in sample.messages]
    if template is not None or sample.choices:
        last = msgs[-1]
        prompt = last["content"]
        choices = render_choices(sample.choices) if sample.choices else ""
        if template is not None:
            try:
                content = template.format(prompt=prompt, choices=choices)
            except (KeyError, IndexError, ValueError) as exc:
                raise ConfigError(f"task template cannot be rendered: {exc}. Use only "
                                  "{prompt} and {choices}; double other braces ({{ }}).") from None
        else:
            content = f"{prompt}\n{choices}\nAnswer with the letter of the correct option."
        msgs[-1] = {**last, "content": content}
    if system and msgs[0].get("role") != "system":
        msgs.insert(0, {"role": "system", "content": system})
    return Sample(sample.id, tuple(msgs), sample.reference, sample.choices, sample.category,
                  sample.metadata)


NEEDS_REFERENCE = frozenset({"exact", "normalized", "numeric", "contains", "choice"})
"""Rule scorers that compare the answer with the row's reference: without one every answer
would be scored wrong, silently (``regex`` and ``json`` work without one)."""


def _check_dimension(path: Path, line: int | None, dimension: str | None) -> None:
    problem = misspelt_dimension(dimension) if dimension is not None else None
    if problem:
        raise ConfigError(f"{f'{path}:{line}' if line else path}: {problem}")


def _check_template(path: Path, line: int | None, template: str | None) -> None:
    """A template must place the question: one without ``{prompt}`` would send every sample
    the same text, and one with other fields would fail on the first sample."""
    if template is None:
        return
    where = f"{path}:{line}" if line else str(path)
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise ConfigError(f"{where}: template: {exc}. Use {{prompt}} and {{choices}}; double "
                          "other braces ({{ }}).") from None
    unknown = sorted(fields - {"prompt", "choices"})
    if unknown:
        raise ConfigError(f"{where}: template: unknown field(s) "
                          f"{', '.join('{' + f + '}' for f in unknown)}; use only "
                          "{prompt} and {choices}, and double other braces ({{ }}).")
    if "prompt" not in fields:
        raise ConfigError(f"{where}: template: has no {{prompt}}, so every sample would be "
                          "sent the same text; put {prompt} where the question goes.")


def _check_references(path: Path, data_path: Path, scorer: str,
                      samples: list[Sample]) -> None:
    """Rows the scorer cannot score: named before anything runs (nothing is written)."""
    missing = [s.id for s in samples if s.reference is None or s.reference in ([], "")]
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise DatasetError(f"{data_path}: {len(missing)} of {len(samples)} rows have no "
                           f"'reference' (ids: {shown}), which scorer '{scorer}' of {path} "
                           "compares the answer with; nothing was run. Add the reference "
                           "to each row, or use scorer regex or json, or a judge: block.")


def _choice_reference_problem(sample: Sample, multi: bool) -> str | None:
    """Why the ``choice`` scorer could never match this sample's reference, or ``None``.

    The scorer compares the letters it reads with the reference letters, so a reference
    that names an option by its text, has separators ("A, C") or a letter past the last
    option would mark every answer wrong without a word.
    """
    letters = LETTERS[:len(sample.choices or ()) or 4]
    for ref in references(sample):
        text = ref.strip().upper()
        if len(text) == 1 and text.isalpha() and text not in letters:
            return f"'{ref.strip()}' is past the last option ({letters[0]}–{letters[-1]})"
        if not text or set(text) - set(letters):
            return (f"'{ref[:40]}' is not option letters ({letters[0]}–{letters[-1]}); write "
                    "the letter(s) of the right option(s), e.g. 'B'"
                    + (" or 'AC'" if multi else ""))
        if len(text) > 1 and not multi:
            return (f"'{ref}' has several letters, but the scorer is single-answer; set "
                    "'multi: true' on the scorer or give one letter")
        if len(set(text)) != len(text):
            return f"'{ref}' repeats a letter"
    return None


def _numeric_reference_problem(sample: Sample, multi: bool) -> str | None:
    """Why the ``numeric`` scorer could never match this reference, or ``None``: it compares
    numbers, and a reference that holds none ("abc", "7 or 8", ``true``, an object) would
    mark every answer wrong."""
    for ref in references(sample):
        if parse_number(ref) is None:
            return f"'{ref[:40]}' is not one number; give one, or a JSON list of numbers"
    return None


_REFERENCE_PROBLEMS: dict[str, Callable[[Sample, bool], str | None]] = {
    "choice": _choice_reference_problem,
    "numeric": _numeric_reference_problem,
}
"""Scorers that read their references in a form of their own, and how to find the ones they
could never match."""


def _check_reference_forms(path: Path, data_path: Path, spec: ScorerSpec,
                           samples: list[Sample]) -> None:
    """References the scorer cannot match: named by row id before anything runs."""
    problem_of = _REFERENCE_PROBLEMS.get(spec.type)
    if problem_of is None:
        return
    bad = [(s.id, problem) for s in samples
           if (problem := problem_of(s, spec.multi)) is not None]
    if bad:
        shown = "\n".join(f"  id {sid}: reference {problem}" for sid, problem in bad[:10])
        more = f"\n  … and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise DatasetError(f"{data_path}: {len(bad)} of {len(samples)} rows have a reference "
                           f"that scorer '{spec.type}' of {path} can never match; nothing was "
                           f"run:\n{shown}{more}")


def load_task(path: Path, config: Config | None = None) -> Task:
    """Load a task file and its dataset, validating both before anything runs.

    ``config`` resolves the judge model of a ``judge:`` block.
    """
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{path}:1: a task file must be a mapping (name, dataset, scorer…).")
    spec = validate(TaskSpec, doc)
    _check_template(path, doc.line_of(["template"]), spec.template)
    _check_dimension(path, doc.line_of(["dimension"]), spec.dimension)
    data_path = (path.parent / spec.dataset).resolve()
    loaded = load_dataset(data_path)
    if spec.judge is None and spec.scorer.type in NEEDS_REFERENCE:
        _check_references(path, data_path, spec.scorer.type, loaded[:spec.limit])
        _check_reference_forms(path, data_path, spec.scorer, loaded[:spec.limit])
    samples = [_render(s, spec.system, spec.template) for s in loaded]
    if spec.limit:
        samples = samples[:spec.limit]
    version = task_version(spec.version, spec.system, spec.template, spec.params)
    async_scorer: AsyncScorer | None = None
    if spec.judge is not None:
        from baimo.config import load_config
        from baimo.tasks.judge import JudgeSpec, judge_from_spec

        validate(JudgeSpec, doc, spec.judge, prefix=("judge",))  # errors at their lines
        async_scorer = judge_from_spec(spec.judge, config or load_config())
    if spec.extract is not None:
        async_scorer = _extract_fallback(path, spec, config)
    return Task(name=spec.name, version=version, samples=samples,
                scorer=build_scorer(spec.scorer), params=dict(spec.params),
                dimension=spec.dimension,
                spec={"file": str(path), **spec.model_dump(mode="json", by_alias=True)},
                async_scorer=async_scorer)


def _extract_fallback(path: Path, spec: TaskSpec, config: Config | None) -> AsyncScorer:
    """The rule scorer wrapped so the ``extract.fallback`` model reads weak answers."""
    assert spec.extract is not None
    if spec.scorer.type not in ("choice", "numeric"):
        raise ConfigError(f"{path}: 'extract.fallback' reads letters and numbers; it needs "
                          f"scorer type choice or numeric, not {spec.scorer.type}.")
    if spec.judge is not None:
        raise ConfigError(f"{path}: a task has either a 'judge:' block (the judge grades) or "
                          "'extract.fallback' (a model reads the answer), not both.")
    from baimo.config import load_config
    from baimo.tasks.judge import Judge

    judge = Judge((config or load_config()).get(spec.extract.fallback))
    tol = spec.scorer.tolerance
    rel_tol, abs_tol = (tol, 1e-9) if spec.scorer.relative else (0.0, tol)
    return with_model_fallback(
        build_scorer(spec.scorer), judge, spec.extract.threshold,
        kind="choice" if spec.scorer.type == "choice" else "number",
        multi=spec.scorer.multi, rel_tol=rel_tol, abs_tol=abs_tol, judge_name=judge.name)
