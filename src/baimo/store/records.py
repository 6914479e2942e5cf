"""Typed records: what the store hands out on read, and takes on write.

Why frozen dataclasses rather than row mappings: a consumer that misspells ``row["lantency_s"]``
fails at run time on the one report that reads it; ``row.lantency_s`` fails ``mypy --strict``
before anything runs. JSON columns (``*_json``) are decoded on read, so no consumer parses
stored text; the write side encodes them (``store.codec``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunModelRecord:
    """One model of a run and how it ended (``run_models``)."""

    run_id: str
    model_name: str
    model: dict[str, Any]  # the model's public config (never a key)
    status: str
    reason: str | None


RUN_STATUSES = ("running", "done", "partial", "failed", "interrupted")
"""How a run stands (``runs.status``): running until it ends done, partial (some samples or
models failed), failed or interrupted."""

GRADED_STATUSES = frozenset({"ok", "wrong", "no-answer", "truncated"})
"""Statuses that count in accuracy. ``error`` (no answer received) and ``judge-parse-error``
(the judge's verdict was unreadable) say nothing about the model, so they are excluded.
Defined here, the lowest layer that counts by it (``RunRepository.coverage``'s SQL), and
used by ``baimo.scores``."""


@dataclass(frozen=True)
class ModelCoverage:
    """Which models the stored eval and perf runs measured (``RunRepository.coverage``).

    ``measured``: at least one scored result (a graded eval row, or a successful request in
    a perf run's measured window). ``tried``: named in a run, but every row it has failed (or
    it has none), so nothing about it was measured. Both in name order; disjoint.
    """

    measured: tuple[str, ...] = ()
    tried: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunRecord:
    """A stored run (``runs``) with its models and its number of result rows."""

    id: str
    kind: str  # "eval" or "perf"
    status: str
    created_at: float
    finished_at: float | None
    command: str | None
    spec: dict[str, Any]
    baimo_version: str
    models: tuple[RunModelRecord, ...] = ()
    n_results: int = 0

    @property
    def model_names(self) -> list[str]:
        return [m.model_name for m in self.models]


@dataclass(frozen=True)
class ResultRow:
    """One sample's verdict, as written to ``results`` (the write side of ``ResultRecord``)."""

    run_id: str
    model_name: str
    task: str
    task_version: str
    sample_id: str
    key: str
    category: str | None
    status: str
    score: float
    extracted: str | None
    reason: str | None
    details: dict[str, Any] | None
    prompt_tokens: int
    completion_tokens: int
    usage_estimated: bool
    latency_s: float | None
    ttft_s: float | None
    cost: float
    currency: str
    attempts: int
    cached: bool


@dataclass(frozen=True)
class ResultRecord(ResultRow):
    """A stored ``results`` row: the written fields plus the row id and the write time."""

    id: int = 0
    created_at: float = 0.0


@dataclass(frozen=True)
class ResultTally:
    """The result rows of one model, task and status of a run, counted and summed
    (``RunRepository.tally``): what a summary needs, without reading every row."""

    model_name: str
    task: str
    status: str
    n: int
    score: float
    cost: float
    currency: str


@dataclass(frozen=True)
class ResponseRecord:
    """A cached model answer (``responses``), keyed by everything that determines it.

    ``request_json``/``response_json`` stay text: they are the exact request sent and raw
    response received, kept for audit; ``request`` decodes the former when needed.
    """

    key: str
    model_identity: str
    request_json: str
    response_json: str
    text: str
    reasoning: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    usage_estimated: bool
    latency_s: float
    ttft_s: float | None
    created_at: float | None = None  # set by the store when written

    @property
    def request(self) -> dict[str, Any]:
        from baimo.store.codec import loads

        value = loads(self.request_json)
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class PerfRequestRecord:
    """One request of a perf run (``perf_requests``); times are seconds from the level start."""

    run_id: str
    model_name: str
    level: str
    seq: int
    phase: str
    status: str
    error_kind: str | None
    reason: str | None
    scheduled: float
    sent: float | None
    first_byte: float | None
    first_token: float | None
    first_answer: float | None
    last_token: float | None
    done: float | None
    prompt_tokens: int | None
    output_tokens: int | None
    output_tokens_client: int | None
    usage_from_server: bool | None
    chunk_times: list[float] = field(default_factory=list)
    chunk_tokens: list[int] | None = None
    finish_reason: str | None = None
    prompt_tokens_client: int | None = None
    id: int = 0  # 0 until stored


@dataclass(frozen=True)
class PerfLevelRecord:
    """The stored summary of one load level of a perf run (``perf_levels``)."""

    run_id: str
    model_name: str
    level: str
    position: int
    load_kind: str
    load_value: float
    started_at: float
    client_limited: bool
    summary: dict[str, Any]
    id: int = 0  # 0 until stored


@dataclass(frozen=True)
class JudgementRecord:
    """One LLM-judge verdict on a pair of stored answers (``judgements``)."""

    run_id: str
    task: str
    sample_id: str
    mode: str
    model_a: str
    model_b: str
    judge_model: str
    judge_identity: str
    prompt_id: str
    prompt_version: str
    prompt_hash: str
    status: str  # "ok", "judge-parse-error" or "error"
    winner: str | None
    verdict_1: str | None
    verdict_2: str | None
    cost: float
    currency: str
    details: dict[str, Any] | None
    created_at: float
    id: int = 0  # 0 until stored


@dataclass(frozen=True)
class ScoreRecord:
    """One stored ``baimo score`` result (``score_results``), appended and never updated."""

    id: str
    methodology: str
    methodology_sha256: str
    method: str
    scenario: str | None
    created_at: float
    command: str | None
    inputs: dict[str, Any]
    result: dict[str, Any]
    baimo_version: str


@dataclass(frozen=True)
class LostRow:
    """A row the store could not write at all, even alone and even as an error row."""

    table: str
    ident: str  # e.g. "model/task/sample_id" or the response key
    reason: str


@dataclass(frozen=True)
class WriteReport:
    """What ``Store.write`` did with a batch.

    Attributes:
        results: Result rows written (including those turned into error rows).
        responses: Responses cached.
        invalid: Result rows stored as ``error`` rows because a field could not be stored
            (the reason names the field), or because their response could not be cached.
        errored: (model, task, sample_id) of those rows, so a caller that counted them as
            answered can count them as errors instead.
        lost: Rows not written at all; non-empty means the run is incomplete and must say so.
        row_by_row: True when the batch transaction failed and rows were written one by one.
    """

    results: int = 0
    responses: int = 0
    invalid: int = 0
    errored: tuple[tuple[str, str, str], ...] = ()
    lost: tuple[LostRow, ...] = ()
    row_by_row: bool = False

    @property
    def ok(self) -> bool:
        return not self.lost
