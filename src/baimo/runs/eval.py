"""``baimo eval`` as a function: resolve models and tasks, create or resume a run, run it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from baimo.config import Config, ModelConfig
from baimo.errors import BaimoError
from baimo.runs.runner import EvalRunner, ModelProgress
from baimo.store.store import Store
from baimo.tasks.task import Task


@dataclass
class EvalOutcome:
    run_id: str
    status: str
    progress: dict[str, ModelProgress]


def task_spec(tasks: Sequence[Task]) -> list[dict[str, Any]]:
    return [{"name": t.name, "version": t.version, "n": len(t.samples), "spec": t.spec,
             "dimension": t.dimension, "mode": t.mode} for t in tasks]


def run_eval(store: Store, models: Sequence[ModelConfig], tasks: Sequence[Task], *,
             command: str = "", resume: str | None = None, concurrency: int | None = None,
             on_progress: Callable[[ModelProgress], None] | None = None) -> EvalOutcome:
    """Run (or resume) an eval and return its run id. Ctrl-C marks the run interrupted."""
    if resume:
        run_id = store.resolve_run(resume)
        run = store.get_run(run_id)
        stored = {m["model_name"] for m in run["models"]}
        missing = [m.name for m in models if m.name not in stored]
        if missing:
            raise BaimoError(f"run {run_id} has no model(s) {', '.join(missing)}; resume with "
                             f"the run's models: {', '.join(sorted(stored))}")
        stored_versions = {t["name"]: t["version"] for t in run["spec"].get("tasks", [])}
        changed = [f"{t.name} (run has {stored_versions.get(t.name, 'no such task')}, now "
                   f"{t.version})" for t in tasks if stored_versions.get(t.name) != t.version]
        if changed:
            raise BaimoError(f"cannot resume run {run_id}: its tasks differ from this "
                             f"command's: {'; '.join(changed)}. Resume with the same task "
                             "options, or start a new run (stored answers are still reused).")
        store.set_run_status(run_id, "running")
    else:
        run_id = store.create_run(
            "eval", {"tasks": task_spec(tasks), "models": [m.name for m in models]},
            command, [(m.name, m.public_dict()) for m in models])
    runner = EvalRunner(store, run_id, models, tasks, on_progress=on_progress,
                        concurrency=concurrency)
    status = "done"
    try:
        progress = asyncio.run(_run_interruptible(runner))
    except KeyboardInterrupt:
        store.finish_run(run_id, "interrupted")
        raise
    if any(p.failed_reason for p in progress.values()):
        status = "partial" if any(not p.failed_reason for p in progress.values()) else "failed"
    store.finish_run(run_id, status)
    return EvalOutcome(run_id, status, progress)


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
