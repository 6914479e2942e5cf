"""Shared helpers for the benchmarks (not part of the package)."""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Clock:
    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def measure() -> Iterator[Clock]:
    """Wall time and this process's CPU time (user + system) over the block."""
    c = Clock()
    w0 = time.perf_counter()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    try:
        yield c
    finally:
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        c.wall = time.perf_counter() - w0
        c.cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
