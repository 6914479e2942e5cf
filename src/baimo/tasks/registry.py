"""Named suites: built-in task sets you can run with ``baimo eval --suite NAME``.

A suite is a name, a description and a function building its tasks. Registering a name twice is
an error (silently replacing a suite would change what a stored result means).
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from baimo.errors import NotFound
from baimo.tasks.task import Task, load_task


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    build: Callable[[], list[Task]]
    dimension: str | None = None


SUITES: dict[str, Suite] = {}


def register(suite: Suite) -> Suite:
    if suite.name in SUITES:
        raise ValueError(f"suite '{suite.name}' is already registered")
    SUITES[suite.name] = suite
    return suite


def builtin_task_file(name: str) -> Path:
    res = importlib.resources.files("baimo.tasks") / "builtin" / f"{name}.yaml"
    return Path(str(res))


def get_suite(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        raise NotFound(f"no suite '{name}'. Available: {', '.join(sorted(SUITES))} "
                       "(see: baimo suites list)") from None


register(Suite("demo", "Built-in bilingual smoke test (32 questions); runs in about a minute "
               "on the embedded model.", lambda: [load_task(builtin_task_file("demo"))],
               "knowledge"))
