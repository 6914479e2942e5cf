"""Running one load level: sending requests on schedule, timing them, and watching ourselves.

Three rules from MEASURE.md §2 shape this module:

* **Timestamp bytes on arrival.** Requests go through ``OpenAIProvider`` (the same client as
  ``baimo eval``), whose read loop stamps each network read before parsing it. Its
  connection pool is sized to the level (closed loop: the concurrency; open loop: unlimited
  unless ``max_concurrency``), so no request waits for a connection between ``sent`` and its
  first byte, and its read buffer is large.
* **Record the schedule, not only the send.** Each request carries the time it was *meant* to
  start (``scheduled``): its arrival time in an open loop, the moment a slot freed in a closed
  loop. Rate-limit pacing, a concurrency cap or a late event loop delay the send, not the
  schedule, so latency from the scheduled time exposes queueing that latency from the send
  would hide (coordinated omission).
* **Know when the client is the limit.** ``HealthMonitor`` samples the event loop's lag (a
  timer that should fire every 10 ms: how late does it fire?) and the CPU of the loop's
  thread, of the process, and of the whole machine. A saturated loop stamps chunks late, so
  the level's verdict says so in words.

One loop on one core tops out at some tens of thousands of chunks per second; ``WorkerPool``
fans a level out over several processes, each with its own loop, connection pool and share
of the load. They share ``time.perf_counter()`` (CLOCK_MONOTONIC on Linux, one clock for all
processes), so their stamps are directly comparable and a common start time (``epoch``) is
simply a number sent to each.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import multiprocessing
import multiprocessing.connection
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from baimo.config import Limits, ModelConfig
from baimo.models.base import ProviderError, Timing
from baimo.models.limits import TokenBucket
from baimo.models.openai import OpenAIProvider, stamping_event_loop
from baimo.perf.loads import (
    Arrival,
    ClosedLoopStages,
    Level,
    Phase,
    Stage,
    sleep_until,
)
from baimo.perf.workload import OutputControl, PromptSource, request_params

_perf = time.perf_counter

UNLIMITED_POOL = 1 << 16
"""Pool size that never queues (aiohttp needs a number; this is far above any level)."""

READ_BUFSIZE = 1 << 18
"""Response read buffer: 256 KiB, so a burst of chunks is taken in one read."""


@dataclass(slots=True)
class RequestResult:
    """What happened to one request; times are ``time.perf_counter()`` values.

    ``output_tokens``/``prompt_tokens`` are the server's ``usage`` (None when it sent none).
    ``chunk_texts`` is kept only until the client tokenizer has counted it.
    """

    seq: int
    phase: Phase
    scheduled: float
    status: str = "ok"
    error_kind: str | None = None
    reason: str | None = None
    sent: float | None = None
    first_byte: float | None = None
    first_token: float | None = None
    first_answer: float | None = None
    last_token: float | None = None
    done: float | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    usage_from_server: bool = False
    finish_reason: str | None = None
    chunk_times: list[float] = field(default_factory=list)
    chunk_texts: list[str] = field(default_factory=list)
    worker: int = 0


def _proc_stat() -> tuple[float, float] | None:
    """(busy, total) jiffies of all CPUs from /proc/stat, or None off Linux."""
    try:
        with open("/proc/stat", "rb") as fh:
            fields = fh.readline().split()[1:]
    except OSError:
        return None
    vals = [float(v) for v in fields[:8]]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0.0)
    total = sum(vals)
    return total - idle, total


class MachineSampler:
    """Share of all CPUs busy on the machine between two calls (Linux /proc/stat)."""

    def __init__(self) -> None:
        self._last = _proc_stat()

    def sample(self) -> float | None:
        """Busy share since the previous call (None off Linux or if no time passed)."""
        now = _proc_stat()
        last, self._last = self._last, now
        if now is None or last is None or now[1] <= last[1]:
            return None
        return (now[0] - last[0]) / (now[1] - last[1])


@dataclass
class HealthSample:
    """One CPU sample: fractions of one core (loop thread, process) and of the machine."""

    t: float
    loop_cpu: float
    process_cpu: float
    machine_busy: float | None


class HealthMonitor:
    """Samples the event loop's lag and CPU while a level runs.

    Args:
        interval: Seconds between lag probes (10 ms: cheap, and fine enough to see a loop
            that falls behind by milliseconds).
        cpu_interval: Seconds between CPU samples.
        machine: Also sample the whole machine's CPU (one process per machine is enough).
    """

    def __init__(self, interval: float = 0.01, cpu_interval: float = 0.5,
                 machine: bool = True) -> None:
        self.interval = interval
        self.cpu_interval = cpu_interval
        self.lags: list[float] = []
        self.samples: list[HealthSample] = []
        self._machine = MachineSampler() if machine else None
        self._task: asyncio.Task[None] | None = None
        self.started = 0.0
        self.stopped = 0.0
        self.thread_cpu = 0.0
        self._thread0 = 0.0
        self._t0 = (0.0, 0.0, 0.0)

    def start(self) -> None:
        """Start sampling on the running loop (call just before the level starts)."""
        self.started = _perf()
        self._t0 = (self.started, time.thread_time(), time.process_time())
        self._thread0 = self._t0[1]
        if self._machine is not None:
            self._machine.sample()
        self._task = asyncio.get_running_loop().create_task(self._run())

    def _cpu(self, now: float) -> None:
        t_wall, t_thread, t_proc = self._t0
        wall = now - t_wall
        if wall <= 0:
            return
        thread, proc = time.thread_time(), time.process_time()
        self.samples.append(HealthSample(
            now, (thread - t_thread) / wall, (proc - t_proc) / wall,
            self._machine.sample() if self._machine is not None else None))
        self._t0 = (now, thread, proc)

    async def _run(self) -> None:
        interval = self.interval
        due = _perf() + interval
        next_cpu = _perf() + self.cpu_interval
        lags = self.lags
        while True:
            delay = due - _perf()
            await asyncio.sleep(delay if delay > 0 else 0)
            now = _perf()
            # A stall of the loop delays every tick that fell due during it, not only this
            # one: count each, so the distribution is that of a timer due at a random time
            # (one long stall weighs as much as the sends it actually delayed).
            while due <= now:
                lags.append(now - due)
                due += interval
            if now >= next_cpu:
                self._cpu(now)
                next_cpu = now + self.cpu_interval

    async def stop(self) -> None:
        """Stop sampling and take a last CPU sample covering the level's tail."""
        self.stopped = _perf()
        self.thread_cpu = time.thread_time() - self._thread0
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.stopped - self._t0[0] >= 0.05:
            self._cpu(self.stopped)

    def report(self, worker: int) -> dict[str, Any]:
        """Plain data for the verdict (see ``metrics.client_health``)."""
        return {"worker": worker, "pid": os.getpid(), "lags": list(self.lags),
                "samples": [(s.t, s.loop_cpu, s.process_cpu, s.machine_busy)
                            for s in self.samples],
                "started": self.started, "stopped": self.stopped,
                "loop_cpu_s": self.thread_cpu}


@dataclass
class LevelPlan:
    """Everything one process needs to run its share of a level (picklable).

    Attributes:
        cfg: The target model.
        base_url: Where to send (the embedded engine's server, or ``cfg.base_url``).
        endpoint: ``chat`` or ``completions``.
        level: The load level.
        stages: Warm-up, measured and cool-down windows (this process's counts).
        arrivals: Open loop: this process's arrivals (offsets from the epoch).
        prompts: Builds each request.
        control: Output-length parameters.
        concurrency: Closed loop: this process's share of the concurrency.
        seq_start, seq_step: Closed loop: sequence numbers ``start, start+step, ...`` so
            that processes never reuse one.
        rpm, tpm: This process's share of the model's rate limits (None: unlimited).
        timeout_s: A request that takes longer in total is abandoned as a timeout.
        spin_s: Busy-wait before each open-loop send (see ``loads.sleep_until``).
        pool_size: Connections in the pool.
        worker: Index of this process.
    """

    cfg: ModelConfig
    base_url: str
    endpoint: str
    level: Level
    stages: tuple[Stage, Stage, Stage]
    arrivals: list[Arrival] | None
    prompts: PromptSource
    control: OutputControl
    concurrency: int = 1
    seq_start: int = 0
    seq_step: int = 1
    rpm: float | None = None
    tpm: float | None = None
    timeout_s: float = 600.0
    spin_s: float = 0.0015
    pool_size: int = UNLIMITED_POOL
    worker: int = 0
    machine_cpu: bool = True


@dataclass
class LevelOutcome:
    """The results and health of one process's share of a level."""

    results: list[RequestResult]
    health: dict[str, Any]
    epoch: float


class LevelInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a level run here: the requests that had finished, so the
    caller can store them before the run ends ``interrupted``."""

    def __init__(self, outcome: LevelOutcome) -> None:
        super().__init__("interrupted")
        self.outcome = outcome


class _Pacer:
    """Requests- and tokens-per-minute pacing for a model with configured limits."""

    def __init__(self, rpm: float | None, tpm: float | None) -> None:
        self.rpm = TokenBucket(rpm / 60.0, max(1.0, rpm / 60.0)) if rpm else None
        self.tpm = TokenBucket(tpm / 60.0, tpm / 60.0) if tpm else None

    async def wait(self, tokens: float) -> None:
        if self.rpm is not None:
            await self.rpm.acquire(1.0)
        if self.tpm is not None:
            await self.tpm.acquire(tokens)


def _tokens_estimate(messages: list[dict[str, str]], params: dict[str, Any]) -> float:
    # For TPM pacing only: about 4 bytes a token, plus the output cap (as the eval runner).
    size = sum(len(m.get("content", "")) for m in messages)
    return size / 4.0 + float(params.get("max_tokens") or 0)


def provider_for(plan: LevelPlan) -> OpenAIProvider:
    """The provider of one process, with the pool, buffer and timeout sized for the level."""
    limits: Limits = plan.cfg.limits.model_copy(update={"timeout_s": plan.timeout_s})
    cfg = plan.cfg.model_copy(update={"limits": limits})
    return OpenAIProvider(cfg, base_url=plan.base_url, pool_size=plan.pool_size,
                          endpoint=plan.endpoint, read_bufsize=READ_BUFSIZE)


Body = tuple[list[dict[str, str]], dict[str, Any]]


def body_for(plan: LevelPlan, seq: int) -> Body:
    """Messages and parameters of request ``seq``."""
    messages, cap = plan.prompts.get(seq)
    return messages, request_params(plan.cfg, plan.control, cap)


def prepare(plan: LevelPlan) -> dict[int, Body]:
    """Build the requests of a level before it starts, where their number is known.

    Building a long synthetic prompt takes about 0.1 ms; done during the level it would be
    client time between a scheduled send and the send. A closed loop stopped by duration
    builds its requests as it goes.
    """
    if plan.arrivals is not None:
        seqs = [a.seq for a in plan.arrivals]
    elif all(st.count or st.empty for st in plan.stages):
        n = sum(st.count or 0 for st in plan.stages)
        seqs = [plan.seq_start + k * plan.seq_step for k in range(n)]
    else:
        return {}
    return {seq: body_for(plan, seq) for seq in seqs}


async def execute(provider: OpenAIProvider, plan: LevelPlan, seq: int, phase: Phase,
                  scheduled: float, pacer: _Pacer | None, bodies: dict[int, Body] | None = None
                  ) -> RequestResult:
    """Send one request and record everything about it; never raises for a failed request."""
    body = bodies.pop(seq, None) if bodies else None
    messages, params = body if body is not None else body_for(plan, seq)
    if pacer is not None:
        await pacer.wait(_tokens_estimate(messages, params))
    res = RequestResult(seq, phase, scheduled, worker=plan.worker)
    timing = Timing()
    try:
        async with asyncio.timeout(plan.timeout_s):
            comp = await provider.complete(messages, params, timing=timing)
    except ProviderError as exc:
        res.status, res.error_kind, res.reason = "error", exc.kind, exc.reason()
    except TimeoutError:
        res.status, res.error_kind = "error", "timeout"
        res.reason = f"timeout: no complete answer within {plan.timeout_s:g} s"
    else:
        usage = comp.usage
        if not usage.estimated:
            res.usage_from_server = True
            res.prompt_tokens = usage.prompt_tokens
            res.output_tokens = usage.completion_tokens
        res.finish_reason = comp.finish_reason
        if not timing.chunk_times:
            res.status, res.error_kind = "error", "empty"
            res.reason = "empty: the response carried no content"
    res.sent = timing.sent or None
    res.first_byte = timing.first_byte
    res.first_token = timing.first_token
    res.first_answer = timing.first_answer
    res.last_token = timing.last_token
    res.done = timing.done if timing.done is not None else _perf()
    res.chunk_times = timing.chunk_times
    res.chunk_texts = timing.chunk_texts
    return res


async def _closed_loop(provider: OpenAIProvider, plan: LevelPlan, epoch: float,
                       results: list[RequestResult], pacer: _Pacer | None,
                       bodies: dict[int, Body]) -> None:
    machine = ClosedLoopStages(plan.stages, epoch)
    seqs = itertools.count(plan.seq_start, plan.seq_step)

    async def user() -> None:
        while True:
            now = _perf()
            phase = machine.next_phase(now)
            if phase is None:
                return
            results.append(await execute(provider, plan, next(seqs), phase, now, pacer,
                                         bodies))

    await sleep_until(epoch)
    await asyncio.gather(*(user() for _ in range(plan.concurrency)))


async def _open_loop(provider: OpenAIProvider, plan: LevelPlan, epoch: float,
                     results: list[RequestResult], pacer: _Pacer | None,
                     bodies: dict[int, Body]) -> None:
    cap = plan.level.max_concurrency
    sem = asyncio.Semaphore(cap) if cap else None
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[None]] = set()

    async def one(a: Arrival, due: float) -> None:
        if sem is None:
            results.append(await execute(provider, plan, a.seq, a.phase, due, pacer, bodies))
            return
        async with sem:
            results.append(await execute(provider, plan, a.seq, a.phase, due, pacer, bodies))

    for a in plan.arrivals or []:
        due = epoch + a.offset
        if due > _perf():
            await sleep_until(due, plan.spin_s)
        task = loop.create_task(one(a, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.gather(*pending)


@contextlib.contextmanager
def quiet_gc() -> Iterator[None]:
    """Keep the garbage collector's pauses out of a level.

    Everything alive before the level is moved out of the collector's reach
    (``gc.freeze``), so a full collection during the level only looks at what the level
    created: milliseconds instead of tens of milliseconds of a stalled loop, which would
    delay sends and stamps alike.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def run_plan(plan: LevelPlan, epoch: float, bodies: dict[int, Body] | None = None,
                   sink: list[RequestResult] | None = None) -> LevelOutcome:
    """Run this process's share of a level, starting at ``epoch`` (a perf_counter value).

    ``bodies`` are the requests built beforehand (``prepare``); others are built on demand.
    Finished requests go to ``sink`` as they end (a new list by default), so a caller that is
    interrupted still has them.
    """
    bodies = bodies if bodies is not None else {}
    provider = provider_for(plan)
    monitor = HealthMonitor(machine=plan.machine_cpu)
    results: list[RequestResult] = sink if sink is not None else []
    pacer = _Pacer(plan.rpm, plan.tpm) if (plan.rpm or plan.tpm) else None
    monitor.start()
    try:
        if plan.level.kind == "concurrency":
            await _closed_loop(provider, plan, epoch, results, pacer, bodies)
        else:
            await _open_loop(provider, plan, epoch, results, pacer, bodies)
    finally:
        await monitor.stop()
        await provider.aclose()
    return LevelOutcome(results, monitor.report(plan.worker), epoch)


def run_local(plan: LevelPlan, start_delay: float = 0.02) -> LevelOutcome:
    """Run a whole level in this process, on its own stamping event loop.

    The loop stamps network reads when ``select()`` reports them (see
    ``baimo.models.openai``), so chunk times do not include the loop's own work.
    """

    bodies = prepare(plan)
    finished: list[RequestResult] = []
    epochs: list[float] = []

    async def main() -> LevelOutcome:
        # The epoch is taken once the loop runs: starting the loop takes long enough that
        # an epoch taken before it would make every send late.
        epochs.append(_perf() + start_delay)
        return await run_plan(plan, epochs[0], bodies, finished)

    try:
        with quiet_gc(), asyncio.Runner(loop_factory=stamping_event_loop) as runner:
            return runner.run(main())
    except KeyboardInterrupt:
        raise LevelInterrupted(LevelOutcome(finished, {}, epochs[0] if epochs else _perf())
                               ) from None


# --------------------------------------------------------------------------- processes


def _worker_main(conn: multiprocessing.connection.Connection) -> None:
    """Entry of a worker process: run the levels the parent sends until told to stop.

    Protocol: parent sends ``("plan", LevelPlan)``; the worker builds its client and answers
    ``("ready", pid)``; the parent sends ``("go", epoch)`` to all workers at once; the worker
    answers ``("done", LevelOutcome)`` (or ``("error", text)``). ``("stop", None)`` ends it.
    """
    while True:
        try:
            kind, payload = conn.recv()
        except EOFError:
            return
        if kind == "stop":
            return
        try:
            with quiet_gc(), asyncio.Runner(loop_factory=stamping_event_loop) as runner:
                outcome = runner.run(_worker_level(conn, payload))
            conn.send(("done", outcome))
        except Exception as exc:  # reported to the parent, which raises
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


async def _worker_level(conn: multiprocessing.connection.Connection, plan: LevelPlan
                        ) -> LevelOutcome:
    bodies = prepare(plan)
    conn.send(("ready", os.getpid()))
    kind, epoch = conn.recv()
    if kind != "go":
        raise RuntimeError(f"worker expected 'go', got {kind!r}")
    return await run_plan(plan, float(epoch), bodies)


class WorkerPool:
    """Worker processes for multi-process levels; started once, reused for every level.

    Processes are started with ``spawn`` (a fresh interpreter: no event loop, thread or
    llama.cpp state inherited from the parent) and are daemons, so they die with it.
    """

    def __init__(self, processes: int, start_timeout: float = 120.0) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conns: list[multiprocessing.connection.Connection] = []
        self._procs: list[Any] = []
        self.start_timeout = start_timeout
        for i in range(processes):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker_main, args=(child,), daemon=True,
                               name=f"baimo-perf-{i}")
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)

    @property
    def size(self) -> int:
        return len(self._procs)

    def _recv(self, conn: multiprocessing.connection.Connection, timeout: float,
              expect: str) -> Any:
        if not conn.poll(timeout):
            raise RuntimeError(f"a perf worker process did not answer within {timeout:g} s "
                               f"(waiting for '{expect}')")
        kind, payload = conn.recv()
        if kind == "error":
            raise RuntimeError(f"a perf worker process failed: {payload}")
        if kind != expect:
            raise RuntimeError(f"a perf worker sent {kind!r}, expected {expect!r}")
        return payload

    def run(self, plans: list[LevelPlan], max_seconds: float) -> tuple[list[LevelOutcome],
                                                                        list[float | None]]:
        """Run one level: one plan per worker, all starting at the same epoch.

        Returns the outcomes and the machine's CPU busy share sampled by the parent every
        half second (workers do not sample the machine, to avoid counting it N times).
        """
        if len(plans) != len(self._conns):
            raise ValueError("one plan per worker process")
        for conn, plan in zip(self._conns, plans, strict=True):
            conn.send(("plan", plan))
        for conn in self._conns:
            self._recv(conn, self.start_timeout, "ready")
        epoch = _perf() + 0.05
        for conn in self._conns:
            conn.send(("go", epoch))
        sampler = MachineSampler()
        busy: list[float | None] = []
        outcomes: dict[int, LevelOutcome] = {}
        deadline = _perf() + max_seconds
        waiting = dict(enumerate(self._conns))
        while waiting:
            ready = multiprocessing.connection.wait(list(waiting.values()), timeout=0.5)
            busy.append(sampler.sample())
            for got in ready:
                i = next(k for k, c in waiting.items() if c is got)
                outcomes[i] = self._recv(waiting[i], 1.0, "done")
                del waiting[i]
            if _perf() > deadline:
                raise RuntimeError(f"perf workers did not finish within {max_seconds:g} s")
        return [outcomes[i] for i in range(len(self._conns))], busy

    def close(self) -> None:
        """Ask every worker to stop; terminate any that does not within 5 s."""
        for conn in self._conns:
            with contextlib.suppress(OSError, BrokenPipeError):
                conn.send(("stop", None))
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
        for conn in self._conns:
            conn.close()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
