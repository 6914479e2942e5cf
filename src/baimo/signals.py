"""SIGTERM means what Ctrl-C means, for every long-running command.

A web job's cancel, a service manager and ``kill`` send SIGTERM; Python's default for it is to
die at once, skipping every ``finally``: a perf level unsaved, a monitor cycle left without
its message, a Ray sweep's shards left running. Raised as ``KeyboardInterrupt`` instead, it
takes the path Ctrl-C takes, which every command already handles (keep what finished, mark
the run interrupted, exit 130). One context manager for the commands that need it; the eval
runner cancels its event loop's task instead (``baimo.runs.eval``), which is the asyncio form
of the same rule.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from typing import Any

__all__ = ["sigterm_as_interrupt"]


def _raise(_sig: int, _frame: Any) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises ``KeyboardInterrupt`` (main thread only; elsewhere
    signal handlers cannot be set, and the block runs unchanged)."""
    try:
        old = signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
