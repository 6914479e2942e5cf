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
* ``report``: HTML sections for ``baimo.reports.html.Report`` (``perf_sections``).
"""

from __future__ import annotations

__all__ = [
    "PerfSpec",
    "calibrate",
    "compare_table",
    "perf_sections",
    "run_demo_sweep",
    "run_perf",
]

from typing import Any


def __getattr__(name: str) -> Any:
    # Lazy re-exports: ``import baimo.perf.loads`` in a worker process must not pull in the
    # store, the report builder and their dependencies.
    if name in ("PerfSpec", "run_perf", "run_demo_sweep", "calibrate"):
        from baimo.perf import runner

        return getattr(runner, name)
    if name in ("perf_sections", "compare_table"):
        from baimo.perf import report

        return getattr(report, name)
    raise AttributeError(name)
