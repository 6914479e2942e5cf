"""The eval runner: every model × task × sample, asked at most once, stored the moment it ends.

Flow for one run:

1. Each sample gets a *key*: a hash of the model's endpoint identity, the rendered messages,
   the generation parameters and the task version. Keys already in ``responses`` are never
   asked again: they are re-scored from the stored answer (``cached=True``).
2. The rest go to a pool of workers per model, asking through the shared ``ModelClient``
   (``baimo.models.client``), which admits, retries and prices every request to that endpoint
   for every caller in the run, judges included. A fatal failure (bad key, unknown model, a
   missing engine) stops that model: its remaining samples become error rows with the reason,
   and other models go on.
3. Results and responses go to the store's writer thread in the event-loop turn after they
   complete, one transaction per batch: a loop turn's answers, or all that completed while the
   previous batch was being written (``_Writer``).

Interrupting (Ctrl-C) cancels in-flight requests and keeps everything already stored; the run
is marked ``interrupted`` and ``baimo eval --resume RUN_ID`` continues it.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson

from baimo.config import ModelConfig
from baimo.models.client import Answer, CallFailed, ModelClient, clients
from baimo.models.limits import EndpointLimiter
from baimo.store.codec import dumps
from baimo.store.records import ResponseRecord, ResultRow, WriteReport
from baimo.store.store import Store
from baimo.tasks.task import Task
from baimo.tasks.types import ModelOutput, Sample, Score


def sample_key(identity: str, messages: Sequence[dict[str, str]], params: dict[str, Any],
               version: str) -> str:
    """The cache key of one question to one model (see module docstring)."""
    blob = orjson.dumps([identity, messages, params, version], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()


def _logprobs(raw: dict[str, Any]) -> dict[str, float] | None:
    """Per-letter log-likelihoods from a log-likelihood response (A, B, … in option order)."""
    values = raw.get("logprobs") if isinstance(raw, dict) else None
    if not isinstance(values, list):
        return None
    return {chr(ord("A") + i): float(v) for i, v in enumerate(values)}


def model_output(text: str, reasoning: str, finish_reason: str | None, raw: Any
                 ) -> ModelOutput:
    """What the scorer sees, from an answer fresh or stored: the same fields either way, so a
    resumed run scores tool calls and solver transcripts exactly as the first did."""
    calls: Any = ()
    transcript: Any = ()
    notes: Any = {}
    if isinstance(raw, dict):
        notes = raw.get("baimo_notes") or {}
        try:
            calls = raw["choices"][0]["message"].get("tool_calls") or ()
        except (KeyError, IndexError, TypeError, AttributeError):
            calls = ()
        transcript = raw.get("baimo_transcript") or ()
    return ModelOutput(text, reasoning, finish_reason, _logprobs(raw),
                       tuple(c for c in calls if isinstance(c, dict))
                       if isinstance(calls, list) else (),
                       tuple(m for m in transcript if isinstance(m, dict))
                       if isinstance(transcript, list) else (),
                       dict(notes) if isinstance(notes, dict) else {})


@dataclass
class WorkItem:
    task: Task
    sample: Sample
    params: dict[str, Any]
    key: str


@dataclass
class ModelProgress:
    """Live counters for one model (read by the progress display and the summary)."""

    name: str
    total: int = 0
    done: int = 0
    cached: int = 0
    errors: int = 0
    retries: int = 0
    correct: int = 0
    cost: float = 0.0
    started: float = field(default_factory=time.monotonic)
    failed_reason: str | None = None


class _Writer:
    """Group commit: everything completed in one loop turn goes in one transaction, written by
    a thread of its own while the loop goes on asking.

    Why a thread: committing is the largest cost of a sample after the request itself, and
    most of it is the database's own work (SQLite's, or a round trip to PostgreSQL), done
    without the GIL. On the loop's thread it stalled every request in flight for each commit;
    on its own thread it overlaps them (``benchmarks/overhead.py``). Batches are written one at
    a time and in order; answers that complete while one is being written form the next.

    Why not wait longer to batch more: a 50 ms window made ten times fewer commits and a
    cheaper loop (``benchmarks/overhead.py --mode library``), but an answer is paid for when it
    arrives, and the promise of ``kill -9`` is that only requests in flight are lost
    (``tests/runs/test_kill.py``). A window widens that to every answer of its last 50 ms, so
    durability wins over speed here. The thread keeps that promise: a batch goes to it in the
    loop turn after its answers arrived, as before, and waits only for the batch before it.

    The store never drops a batch for one bad row (it stores an ``error`` row instead, or
    writes row by row); the rows it turned into errors are moved from "correct" to "errors"
    in the counters here, and rows it could not store at all stay in ``store.lost``, which
    makes the run end ``failed``. ``flush`` is the barrier: when it returns, everything added
    before it is stored and counted.
    """

    def __init__(self, store: Store, progress: dict[str, ModelProgress]) -> None:
        self.store = store
        self.progress = progress
        self.results: list[ResultRow] = []
        self.responses: list[ResponseRecord] = []
        self._pending: asyncio.Handle | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._writing: _Batch | None = None  # the batch the thread is writing

    def add(self, result: ResultRow, response: ResponseRecord | None) -> None:
        self.results.append(result)
        if response is not None:
            self.responses.append(response)
        if self._pending is None:
            self._pending = asyncio.get_running_loop().call_soon(self._send)

    def _send(self) -> None:
        """Hand what has completed to the thread, unless it is still writing the batch
        before (its end sends the next)."""
        self._pending = None
        if self._writing is not None or not (self.results or self.responses):
            return
        batch = _Batch(self.results, self.responses)
        self.results, self.responses = [], []
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="baimo-writer")
        loop = asyncio.get_running_loop()
        self._writing = batch
        batch.future = self._pool.submit(self.store.write, batch.results, batch.responses)
        batch.future.add_done_callback(
            lambda _: loop.call_soon_threadsafe(self._written, batch))

    def _written(self, batch: _Batch) -> None:
        if batch.counted:
            return  # ``flush`` got there first
        if self._writing is batch:
            self._writing = None
        self._count(batch)
        if self.results or self.responses:
            self._send()

    def _count(self, batch: _Batch) -> None:
        batch.counted = True
        assert batch.future is not None
        # An exception the store let through is raised here, on the loop's thread.
        self._apply(batch.results, batch.future.result())

    def _apply(self, results: list[ResultRow], report: WriteReport) -> None:
        if report.errored:
            was_ok = {(r.model_name, r.task, r.sample_id) for r in results if r.status == "ok"}
            for ident in report.errored:
                prog = self.progress.get(ident[0])
                if prog is not None:
                    prog.errors += 1
                    prog.correct -= ident in was_ok

    def flush(self) -> None:
        """Store and count everything added so far before returning (blocks the loop)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        batch, self._writing = self._writing, None
        if batch is not None and not batch.counted:
            assert batch.future is not None
            batch.future.exception()  # waits for the thread
            self._count(batch)
        results, responses = self.results, self.responses
        self.results, self.responses = [], []
        if results or responses:
            self._apply(results, self.store.write(results, responses))

    def close(self) -> None:
        """Flush, and end the thread."""
        try:
            self.flush()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None


@dataclass
class _Batch:
    """One transaction's rows, handed to the writer thread."""

    results: list[ResultRow]
    responses: list[ResponseRecord]
    future: Future[WriteReport] | None = None
    counted: bool = False


class _ModelFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EvalRunner:
    """Runs tasks against models into one stored run."""

    def __init__(self, store: Store, run_id: str, models: Sequence[ModelConfig],
                 tasks: Sequence[Task], *, on_progress: Callable[[ModelProgress], None]
                 | None = None, concurrency: int | None = None, seed: int = 0,
                 part: bool = False,
                 limiter: Callable[[ModelConfig, int], EndpointLimiter] | None = None) -> None:
        """Args beyond the obvious:

        part: This runner runs one part (a shard) of a run that a driver owns
            (``baimo.scale``): the run-wide steps (clearing error rows, setting each model's
            status) are the driver's, done once, not by every shard while others still write.
        limiter: Makes the admission of each client, the models' and the judges' (given
            the model and its concurrency); the default is the client's own in-process
            ``EndpointLimiter``. Shards pass a cluster-wide one so that all of them together
            keep one limit per endpoint.
        """
        self.part = part
        self.limiter = limiter
        self.store = store
        self.run_id = run_id
        self.models = list(models)
        self.tasks = list(tasks)
        self.on_progress = on_progress
        self.concurrency_override = concurrency
        self.progress: dict[str, ModelProgress] = {m.name: ModelProgress(m.name)
                                                   for m in self.models}
        self._rng = random.Random(seed)
        self._writer = _Writer(store, self.progress)
        # Each model's endpoint identity (a hash), computed once, not once per answer.
        self._identity: dict[str, str] = {}

    # -- building work ------------------------------------------------------------------
    def _work_for(self, cfg: ModelConfig) -> list[WorkItem]:
        identity = self._identity[cfg.name] = cfg.identity()
        items = []
        for task in self.tasks:
            params = {**cfg.params, **task.params}
            for s in task.samples:
                items.append(WorkItem(task, s, params,
                                      sample_key(identity, s.messages, params, task.version)))
        return items

    async def run(self) -> dict[str, ModelProgress]:
        """Run every model concurrently; returns the per-model counters."""
        # Error rows are not answers: a resumed run asks those samples again.
        if not self.part:
            self.store.runs.clear_errors(self.run_id)
        # Before any client exists: every client of this loop, candidates' and judges', is
        # admitted by the given limiter (a shard's cluster-wide gates).
        clients().admission = self.limiter
        try:
            await asyncio.gather(*(self._run_model(cfg) for cfg in self.models))
        finally:
            self._writer.close()
            await clients().aclose()  # the models' and judges' connections and engines
        return self.progress

    async def _run_model(self, cfg: ModelConfig) -> None:
        prog = self.progress[cfg.name]
        items = self._work_for(cfg)
        done = self.store.runs.completed_samples(self.run_id)
        todo = [w for w in items if (cfg.name, w.task.name, w.sample.id) not in done]
        prog.total = len(items)
        prog.done = len(items) - len(todo)
        cached = self.store.responses.get_many([w.key for w in todo])
        fresh: list[WorkItem] = []
        for w in todo:
            row = cached.get(w.key)
            if row is None:
                fresh.append(w)
                continue
            output = model_output(row.text, row.reasoning, row.finish_reason,
                                  orjson.loads(row.response_json))
            self._record(cfg, w, await self._score(w, output), row.prompt_tokens,
                         row.completion_tokens, row.cached_tokens, row.usage_estimated,
                         row.latency_s, row.ttft_s, attempts=0, cached=True, response=None)
            prog.cached += 1
        self._writer.flush()
        self._notify(prog)
        if not fresh:
            if not self.part:
                self.store.runs.set_model_status(self.run_id, cfg.name, "ok")
            return
        conc = self.concurrency_override or cfg.limits.concurrency
        client = clients().get(cfg, concurrency=conc)
        try:
            await self._drain(cfg, client, fresh, conc)
        except _ModelFailed as exc:
            prog.failed_reason = exc.reason
        if prog.failed_reason:
            self._fail_remaining(cfg, fresh, prog.failed_reason)
        if not self.part:
            self.store.runs.set_model_status(self.run_id, cfg.name,
                                             "failed" if prog.failed_reason else "ok",
                                             prog.failed_reason)
        self._notify(prog)

    async def _drain(self, cfg: ModelConfig, client: ModelClient, items: list[WorkItem],
                     concurrency: int) -> None:
        queue: asyncio.Queue[WorkItem] = asyncio.Queue()
        for w in items:
            queue.put_nowait(w)
        failure: list[str] = []

        async def worker() -> None:
            while not failure:
                try:
                    w = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    await self._ask(cfg, client, w)
                except _ModelFailed as exc:
                    failure.append(exc.reason)
                    return

        workers = [asyncio.create_task(worker()) for _ in range(min(concurrency, len(items)))]
        try:
            await asyncio.gather(*workers)
        finally:
            for t in workers:
                t.cancel()
        if failure:
            raise _ModelFailed(failure[0])

    async def _ask(self, cfg: ModelConfig, client: ModelClient, w: WorkItem) -> None:
        prog = self.progress[cfg.name]
        messages = [dict(m) for m in w.sample.messages]
        before = client.retries
        try:
            if w.task.mode == "loglik":
                from baimo.tasks.templates import render_loglik

                prompt, continuations = render_loglik(w.sample)
                answer = await client.loglik(prompt, continuations)
            elif w.task.solver is not None:
                try:
                    answer = await w.task.solver(w.sample, messages, w.params, client)
                except (CallFailed, asyncio.CancelledError):
                    raise
                except Exception as exc:  # a broken solver is a sample's error, not the run's
                    self._error_row(cfg, w, f"solver failed: {type(exc).__name__}: {exc}", 1)
                    return
            else:
                answer = await client.complete(messages, w.params)
        except CallFailed as exc:
            prog.retries += client.retries - before
            if exc.fatal:
                raise _ModelFailed(exc.reason) from None
            self._error_row(cfg, w, exc.reason, exc.attempts)
            return
        prog.retries += max(0, answer.attempts - 1)
        await self._complete(cfg, w, answer, messages)

    async def _complete(self, cfg: ModelConfig, w: WorkItem, answer: Answer,
                        messages: list[dict[str, str]]) -> None:
        comp = answer.completion
        latency, ttft, attempts = answer.latency_s, answer.ttft_s, answer.attempts
        output = model_output(comp.text, comp.reasoning, comp.finish_reason, comp.raw)
        u = comp.usage
        try:
            raw = dumps(comp.raw)
        except TypeError:  # e.g. an integer beyond 64 bits: keep the answer, not the raw
            raw = dumps({"unstorable_raw_response": True})
        response = ResponseRecord(
            key=w.key, model_identity=self._identity.get(cfg.name) or cfg.identity(),
            request_json=dumps({"model": cfg.model_id, "messages": messages, **w.params}),
            response_json=raw, text=comp.text, reasoning=comp.reasoning,
            finish_reason=comp.finish_reason, prompt_tokens=u.prompt_tokens,
            completion_tokens=u.completion_tokens, cached_tokens=u.cached_tokens,
            reasoning_tokens=u.reasoning_tokens, usage_estimated=u.estimated,
            latency_s=latency, ttft_s=ttft)
        score = await self._score(w, output)
        self._record(cfg, w, score, comp.usage.prompt_tokens, comp.usage.completion_tokens,
                     comp.usage.cached_tokens, comp.usage.estimated, latency, ttft,
                     attempts=attempts, cached=False, response=response)

    async def _score(self, w: WorkItem, output: ModelOutput) -> Score:
        """Rule scorer first; an async scorer (judge), when the task has one, decides."""
        try:
            score = w.task.scorer(w.sample, output)
            if w.task.async_scorer is not None:
                score = await w.task.async_scorer(w.sample, output)
                assert isinstance(score, Score)
        except Exception as exc:
            score = Score("error", 0.0, None, f"scorer failed: {type(exc).__name__}: {exc}")
        return score

    def _record(self, cfg: ModelConfig, w: WorkItem, score: Score, prompt_tokens: int,
                completion_tokens: int, cached_tokens: int, estimated: bool,
                latency: float | None, ttft: float | None, *, attempts: int, cached: bool,
                response: ResponseRecord | None) -> None:
        prog = self.progress[cfg.name]
        cost = cfg.pricing.cost(prompt_tokens, completion_tokens, cached_tokens)
        row = ResultRow(
            run_id=self.run_id, model_name=cfg.name, task=w.task.name,
            task_version=w.task.result_version, sample_id=w.sample.id, key=w.key,
            category=w.sample.category, status=score.status, score=score.value,
            extracted=score.extracted, reason=score.reason, details=score.details or None,
            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
            usage_estimated=estimated, latency_s=latency, ttft_s=ttft, cost=cost,
            currency=cfg.pricing.currency, attempts=attempts, cached=cached)
        self._writer.add(row, response)
        prog.done += 1
        prog.cost += cost
        if score.status == "ok":
            prog.correct += 1
        elif score.status == "error":
            prog.errors += 1

    def _error_row(self, cfg: ModelConfig, w: WorkItem, reason: str, attempts: int) -> None:
        prog = self.progress[cfg.name]
        row = ResultRow(
            run_id=self.run_id, model_name=cfg.name, task=w.task.name,
            task_version=w.task.result_version, sample_id=w.sample.id, key=w.key,
            category=w.sample.category, status="error", score=0.0, extracted=None,
            reason=reason, details=None, prompt_tokens=0, completion_tokens=0,
            usage_estimated=True, latency_s=None, ttft_s=None, cost=0.0,
            currency=cfg.pricing.currency, attempts=attempts, cached=False)
        self._writer.add(row, None)
        prog.done += 1
        prog.errors += 1

    def _fail_remaining(self, cfg: ModelConfig, items: list[WorkItem], reason: str) -> None:
        self._writer.flush()  # answers still waiting for the group commit count as done
        done = self.store.runs.completed_samples(self.run_id)
        t_done = {(r[1], r[2]) for r in done if r[0] == cfg.name}
        for w in items:
            if (w.task.name, w.sample.id) not in t_done:
                self._error_row(cfg, w, f"model failed: {reason}", 0)
        self._writer.flush()

    def _notify(self, prog: ModelProgress) -> None:
        if self.on_progress is not None:
            self.on_progress(prog)
