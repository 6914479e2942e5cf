"""``Task.result_version`` is remembered, but never outlives the scorer it describes."""

from __future__ import annotations

import dataclasses

from baimo.tasks.scorers import ScorerSpec, build_scorer
from baimo.tasks.task import Task
from baimo.tasks.types import Sample


def _task() -> Task:
    return Task("t", "1-abc", [Sample("s1", ({"role": "user", "content": "2+2?"},), "4")],
                build_scorer(ScorerSpec(type="numeric")))


def test_result_version_follows_scorer_and_version() -> None:
    task = _task()
    first = task.result_version
    assert first == task.result_version == _task().result_version
    assert first.startswith("1-abc.")
    task.scorer = build_scorer(ScorerSpec(type="numeric", tolerance=0.5))
    changed = task.result_version
    assert changed != first and changed.startswith("1-abc.")
    task.version = "2-def"
    assert task.result_version == "2-def." + changed.split(".", 1)[1]
    copy = dataclasses.replace(task, version="3")
    assert copy.result_version == "3." + changed.split(".", 1)[1]
    assert task.result_version.startswith("2-def.")
