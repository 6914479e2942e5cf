"""Splitting a run into shards: model × task × chunk of samples.

A shard is the unit Ray schedules and, after a worker's loss, retries. It names its samples
by position, so it is tiny to ship; the tasks themselves go to the cluster once. A shard
retried after its worker died asks only what is not stored yet (the runner skips completed
samples and reuses cached answers), and a row written twice is kept once (results are unique
per run, model, task and sample), so retrying is always safe.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from baimo.config import ModelConfig
from baimo.errors import BaimoError
from baimo.tasks.task import Task

__all__ = ["Shard", "make_shards", "select"]

DEFAULT_CHUNK = 64
"""Samples per shard: big enough that a shard's start-up (a store connection, a client) is
small against its work, small enough that a lost worker costs little and a sweep of a few
hundred samples still spreads over several workers."""


@dataclass(frozen=True)
class Shard:
    """One model's share of one task: samples ``indices`` of task ``task_index``."""

    index: int
    model: str
    task_index: int
    task: str
    indices: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"{self.model}/{self.task}[{self.indices[0]}…{self.indices[-1]}]"


def make_shards(models: Sequence[ModelConfig], tasks: Sequence[Task], chunk: int = DEFAULT_CHUNK,
                done: Collection[tuple[str, str, str]] = ()) -> list[Shard]:
    """The shards of a run, leaving out samples already stored (``done``: model, task,
    sample id), interleaved across models so that every endpoint gets work from the start.
    """
    if chunk < 1:
        raise BaimoError(f"--chunk must be at least 1 (got {chunk})")
    per_model: list[list[Shard]] = []
    n = 0
    for cfg in models:
        mine: list[Shard] = []
        for ti, task in enumerate(tasks):
            todo = [i for i, s in enumerate(task.samples)
                    if (cfg.name, task.name, s.id) not in done]
            for start in range(0, len(todo), chunk):
                mine.append(Shard(0, cfg.name, ti, task.name, tuple(todo[start:start + chunk])))
        per_model.append(mine)
    out: list[Shard] = []
    for row in range(max((len(m) for m in per_model), default=0)):
        for mine in per_model:
            if row < len(mine):
                out.append(dataclasses.replace(mine[row], index=n))
                n += 1
    return out


def select(tasks: Sequence[Task], shard: Shard) -> Task:
    """The shard's part of its task: the same task (name, version, scorer), fewer samples."""
    task = tasks[shard.task_index]
    if task.name != shard.task:
        raise BaimoError(f"shard {shard.label} names task {shard.task} but position "
                         f"{shard.task_index} holds {task.name}: the driver and the worker "
                         "disagree about the run's tasks")
    return dataclasses.replace(task, samples=[task.samples[i] for i in shard.indices])
