"""``baimo eval`` as a function: resolve models and tasks, create or resume a run, run it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from baimo.config import Config, ModelConfig
from baimo.errors import BaimoError
from baimo.runs.runner import EvalRunner, ModelProgress
from baimo.store.leases import owner_id
from baimo.store.store import Store
from baimo.tasks.task import Task


@dataclass
class EvalOutcome:
    run_id: str
    status: str
    progress: dict[str, ModelProgress]
    lost: list[str] = field(default_factory=list)
    """Rows that could not be stored at all (the run is then ``failed``)."""


def task_spec(tasks: Sequence[Task]) -> list[dict[str, Any]]:
    return [{"name": t.name, "version": t.version, "n": len(t.samples), "spec": t.spec,
             "dimension": t.dimension, "mode": t.mode, "scoring": t.scoring,
             "result_version": t.result_version, "answer_key": t.answer_key} for t in tasks]


def _describe(spec: dict[str, Any] | None) -> str:
    if not spec:
        return "none"
    args = ", ".join(f"{k}={v}" for k, v in (spec.get("args") or {}).items()
                     if k not in ("prompts", "identity", "params"))
    return f"{spec.get('name')} v{spec.get('version')}({args})"


def resume_conflicts(stored: list[dict[str, Any]], tasks: Sequence[Task]) -> list[str]:
    """Why a stored run cannot be resumed with these tasks (empty when it can).

    A resumed run must not mix two experiments: not two prompts (``version``), and not two
    ways of judging the answers (the scorer's or the judge's spec), which would silently
    average two different measurements into one number.
    """
    by_name = {t["name"]: t for t in stored}
    out: list[str] = []
    for t in tasks:
        old = by_name.get(t.name)
        if old is None:
            out.append(f"{t.name}: not in the run")
            continue
        if old.get("version") != t.version:
            out.append(f"{t.name}: the prompt or parameters changed (run has "
                       f"{old.get('version')}, now {t.version})")
        if old.get("n") is not None and old["n"] != len(t.samples):
            # A run resumed on fewer samples would end "done" with the rest never asked, and
            # its models compared on unequal sets.
            out.append(f"{t.name}: the run has {old['n']} samples, this command "
                       f"{len(t.samples)} (another --limit or dataset?)")
        elif old.get("answer_key") not in (None, t.answer_key):
            # Runs stored before answer keys were recorded have none, and are not judged.
            out.append(f"{t.name}: the references changed since the run began (answers "
                       "already scored were scored against the old ones)")
        old_scoring = old.get("scoring")
        if old_scoring is None:  # runs stored before scorers had specs
            continue
        for part in ("scorer", "judge"):
            a, b = old_scoring.get(part), t.scoring.get(part)
            if a != b:
                what = "the judge" if part == "judge" else "the scorer"
                detail = ""
                if a and b and a.get("name") == b.get("name") and part == "judge":
                    changed = sorted(k for k in {*(a.get("args") or {}), *(b.get("args") or {})}
                                     if (a.get("args") or {}).get(k) != (b.get("args") or {}).get(k))
                    detail = f" ({', '.join(changed)} differ)"
                out.append(f"{t.name}: {what} changed from {_describe(a)} to {_describe(b)}"
                           f"{detail}")
    asked = {t.name for t in tasks}
    out.extend(f"{name}: in the run but not in this command" for name in by_name
               if name not in asked)
    return out


class Executor(Protocol):
    """Runs the work of an opened run somewhere else than in this process (``baimo.scale``).

    ``run_eval`` keeps what is the same wherever the work runs (creating or resuming the run,
    the status it ends with, rows that could not be stored); an executor only does the work,
    with the runner's code, and returns the per-model counters. It raises
    ``KeyboardInterrupt`` when interrupted, after stopping its work.
    """

    def run(self, store: Store, run_id: str, models: Sequence[ModelConfig],
            tasks: Sequence[Task], *, concurrency: int | None,
            on_progress: Callable[[ModelProgress], None] | None
            ) -> dict[str, ModelProgress]: ...


def _fail_unanswered(store: Store, run_id: str, progress: dict[str, ModelProgress]) -> None:
    """A model none of whose samples got an answer failed, whatever the errors' kind.

    Only a fatal error (a bad key, an unknown model) stops a model at once; an endpoint that
    cannot be reached or answers 5xx to everything leaves one error row per sample. Judged
    from the stored rows, so a resumed run and a run in shards on Ray are judged alike.
    """
    totals: dict[str, list[int]] = {}
    for t in store.runs.tally(run_id):
        counts = totals.setdefault(t.model_name, [0, 0])
        counts[0] += t.n
        counts[1] += t.n if t.status == "error" else 0
    for name, prog in progress.items():
        n, errors = totals.get(name, (0, 0))
        if prog.failed_reason or n == 0 or errors < n:
            continue
        reasons = store.runs.error_reasons(run_id, name)
        top, k = reasons[0]
        more = f" (and {len(reasons) - 1} other reasons)" if len(reasons) > 1 else ""
        prog.failed_reason = f"no sample got an answer ({n} errors); {k}× {top}{more}"
        store.runs.set_model_status(run_id, name, "failed", prog.failed_reason)


def run_eval(store: Store, models: Sequence[ModelConfig], tasks: Sequence[Task], *,
             command: str = "", resume: str | None = None, concurrency: int | None = None,
             on_progress: Callable[[ModelProgress], None] | None = None,
             executor: Executor | None = None) -> EvalOutcome:
    """Run (or resume) an eval and return its run id. Ctrl-C marks the run interrupted.

    ``executor`` runs the work elsewhere (e.g. on a Ray cluster); by default it runs here.
    """
    if resume:
        run_id = store.runs.resolve(resume)
        run = store.runs.get(run_id)
        stored = set(run.model_names)
        missing = [m.name for m in models if m.name not in stored]
        if missing:
            raise BaimoError(f"run {run_id} has no model(s) {', '.join(missing)}; resume with "
                             f"the run's models: {', '.join(sorted(stored))}")
        changed = resume_conflicts(run.spec.get("tasks", []), tasks)
        if changed:
            raise BaimoError(f"cannot resume run {run_id}: its tasks differ from this "
                             f"command's: {'; '.join(changed)}. Resume with the same task "
                             "options, or start a new run (stored answers are still reused).")
    else:
        run_id = store.runs.create(
            "eval", {"tasks": task_spec(tasks), "models": [m.name for m in models]},
            command, [(m.name, m.public_dict()) for m in models])
    with _run_lease(store, run_id):
        if resume:
            store.runs.set_status(run_id, "running")
        return _run(store, run_id, models, tasks, concurrency, on_progress, executor)


def _run(store: Store, run_id: str, models: Sequence[ModelConfig], tasks: Sequence[Task],
         concurrency: int | None, on_progress: Callable[[ModelProgress], None] | None,
         executor: Executor | None) -> EvalOutcome:
    runner = EvalRunner(store, run_id, models, tasks, on_progress=on_progress,
                        concurrency=concurrency)
    status = "done"
    try:
        if executor is None:
            progress = asyncio.run(_run_interruptible(runner))
        else:
            progress = executor.run(store, run_id, models, tasks, concurrency=concurrency,
                                    on_progress=on_progress)
    except KeyboardInterrupt:
        store.runs.finish(run_id, "interrupted")
        raise
    except BaseException:
        # A bug must not leave the run "running" forever: what is stored stays stored, and
        # ``--resume`` continues it once the cause is fixed.
        store.runs.finish(run_id, "failed")
        raise
    _fail_unanswered(store, run_id, progress)
    if any(p.failed_reason for p in progress.values()):
        status = "partial" if any(not p.failed_reason for p in progress.values()) else "failed"
    lost = [row for row in store.lost if row.table == "results" or row.table == "responses"]
    if lost:
        # Rows the database refused even one by one: the run is incomplete and says so.
        status = "failed"
    store.runs.finish(run_id, status)
    return EvalOutcome(run_id, status, progress, lost=[f"{r.ident}: {r.reason}" for r in lost])


RUN_LEASE_TTL_S = 60.0
"""How long a run's lease outlives its last renewal (renewed every quarter of it): how long
a resume on another host waits for a run whose process died without a trace. On the same
host, a dead owner is seen at once."""


@contextlib.contextmanager
def _run_lease(store: Store, run_id: str) -> Iterator[None]:
    """Hold ``run_id``'s lease while it runs (``baimo.store.leases``), renewed by a thread.

    Two processes working on one run would each ask every sample not yet stored, paying for
    the same answers twice; the store would keep one of each, so the cost would show nowhere.
    """
    leases = store.runs.leases
    owner = owner_id()
    if not leases.acquire(run_id, owner, time.time(), RUN_LEASE_TTL_S):
        held = leases.holder(run_id)
        who = held[0] if held else "another process"
        raise BaimoError(f"run {run_id} is running right now (process {who}); resuming it here "
                         "as well would ask and pay for every question twice. Wait for it to "
                         "end, or stop it (its finished samples are kept) and resume then.")
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(RUN_LEASE_TTL_S / 4):
            with contextlib.suppress(Exception):  # a database hiccup: the next one retries
                leases.renew(run_id, owner, time.time(), RUN_LEASE_TTL_S)

    thread = threading.Thread(target=renew, name="baimo-run-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        with contextlib.suppress(Exception):
            leases.release(run_id, owner)


async def _run_interruptible(runner: EvalRunner) -> dict[str, ModelProgress]:
    # SIGTERM behaves like Ctrl-C: cancel in-flight requests, keep what is stored.
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    if task is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await runner.run()
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


def resolve_models(config: Config, names: Sequence[str]) -> list[ModelConfig]:
    return [config.get(n) for n in names] if names else [config.get(config.default_model)]
