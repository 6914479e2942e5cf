"""``baimo perf``: API and engine performance under load, measured without client-side error.

The layers, bottom up:

* ``loads``: load shapes (closed loop, open loop with Poisson/gamma/constant arrivals against
  absolute times, trace replay), sweeps, stop conditions and warm-up/cool-down windows.
* ``tokenizer`` and ``workload``: prompts of exact token lengths (unique per request unless a
  shared prefix is asked for), suite/dataset prompts, traces, and output-length control.
* ``client``: executes one load level, in this process or fanned out over several, with a
  health monitor that measures the client's own event-loop lag and CPU.
* ``metrics``: every number of MEASURE.md §2, each under the name of its variant.
* ``runner``: sweeps, targets (including the embedded engine as a separate process), storage,
  JSON/CSV output, calibration and the demo sweep.

The HTML pages are rendered by ``baimo.reports.perf`` from what this package exports: the
perf layer measures, the reports layer renders (``tests/test_layers.py``).
"""

from __future__ import annotations

__all__ = [
    "PerfSpec",
    "calibrate",
    "knee",
    "level_summaries",
    "rows_from_store",
    "run_demo_sweep",
    "run_perf",
    "summarize_level",
]

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from baimo.perf.metrics import knee, summarize_level
    from baimo.perf.runner import (
        PerfSpec,
        calibrate,
        level_summaries,
        rows_from_store,
        run_demo_sweep,
        run_perf,
    )

_RUNNER = ("PerfSpec", "run_perf", "run_demo_sweep", "calibrate", "level_summaries",
           "rows_from_store")


def __getattr__(name: str) -> Any:
    # Lazy re-exports: ``import baimo.perf.loads`` in a worker process must not pull in the
    # store and its dependencies.
    if name in _RUNNER:
        from baimo.perf import runner

        return getattr(runner, name)
    if name in ("knee", "summarize_level"):
        from baimo.perf import metrics

        return getattr(metrics, name)
    raise AttributeError(name)
