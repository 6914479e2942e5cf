"""Stability metrics of one endpoint, computed from its stored probes over a trailing window.

Definitions (every number can be recomputed by hand from ``monitor_probes``):

* **Distribution** of TTFT, TPOT, E2E and output tokens/s per prompt size, over the
  successful latency probes in the window: median and P5/P25/P75/P95 (``numpy.percentile``,
  linear interpolation, via ``baimo.stats.percentiles``).
* **CV** (coefficient of variation) = sample standard deviation (n − 1) / mean; None with
  fewer than two values.
* **Availability probes** are the latency and parallel probes: they go on the wire without
  retries, so every failure is seen. Canary and fidelity requests are retried by the model
  client and are not counted here.
* **Up** = an availability probe the server answered: ``ok`` (timed), or ``empty`` (finished
  without content: nothing to time, but the service worked). **Uptime** = up probes /
  availability probes. **Error rate by kind** = failed (``error``) probes of that kind /
  availability probes.
* **Outage**: a maximal run of consecutive failed availability probes (in time order). It
  starts at its first failure and ends at the next successful probe (ongoing: at the window's
  end). **Longest outage** is the longest such span.
* **Failures per day** = outages / observed days, where the observed span runs from the later
  of the window start and the first probe to the window end; None while the span is shorter
  than ``MIN_SPAN_S`` (one failure in a 3-minute first cycle is not "480 a day"). **MTBF** =
  (observed span − time in outage) / outages; None without an outage.
* **Canary accuracy** = correct canary answers / canaries answered in the window.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from baimo.stats import percentiles
from baimo.store.monitor import ProbeRecord

__all__ = ["AVAILABILITY_KINDS", "METRICS", "UP_STATUSES", "cv", "distribution", "is_up",
           "outages", "stability"]

METRICS: tuple[str, ...] = ("ttft_s", "tpot_s", "e2e_s", "output_tps")
MIN_SPAN_S = 6 * 3600.0
"""Observed span below which failures per day is not extrapolated."""
AVAILABILITY_KINDS = ("latency", "parallel")
UP_STATUSES = ("ok", "empty")
"""Probe statuses that mean the server answered: only ``error`` is a failure."""
_QS = (5, 25, 50, 75, 95)


def cv(values: Sequence[float]) -> float | None:
    """Sample standard deviation / mean (see the module docstring)."""
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    if mean == 0:
        return None
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return math.sqrt(var) / mean


def distribution(values: Sequence[float]) -> dict[str, Any]:
    """n, median, P5/P25/P75/P95, mean and CV of ``values``."""
    p = percentiles(list(values), _QS)
    return {"n": len(values), "median": p["p50"], "p5": p["p5"], "p25": p["p25"],
            "p75": p["p75"], "p95": p["p95"], "mean": p["mean"], "cv": cv(values)}


def is_up(p: ProbeRecord) -> bool:
    """Whether the server answered the probe (see ``UP_STATUSES``): the one rule every
    availability number (uptime, error rate, outages, alerts) uses."""
    return p.status in UP_STATUSES


def outages(probes: Sequence[ProbeRecord], end: float) -> list[dict[str, Any]]:
    """Runs of consecutive failed availability probes (see the module docstring)."""
    out: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for p in probes:
        if p.kind not in AVAILABILITY_KINDS:
            continue
        if not is_up(p):
            if current is None:
                current = {"start": p.at, "end": None, "failures": 0, "kinds": Counter()}
            current["failures"] += 1
            current["kinds"][p.error_kind or "unknown"] += 1
        elif current is not None:
            current["end"] = p.at
            out.append(current)
            current = None
    if current is not None:
        current["end"] = end
        current["ongoing"] = True
        out.append(current)
    for o in out:
        o["duration_s"] = o["end"] - o["start"]
        o["kinds"] = dict(o["kinds"])
        o.setdefault("ongoing", False)
    return out


def stability(probes: Sequence[ProbeRecord], *, end: float, window_s: float,
              sizes: Sequence[int] = ()) -> dict[str, Any]:
    """Every stability metric of one endpoint over ``[end − window_s, end]``.

    ``probes`` may hold more than the window; only probes inside it count.
    """
    start = end - window_s
    inside = sorted((p for p in probes if start <= p.at <= end), key=lambda p: p.at)
    avail = [p for p in inside if p.kind in AVAILABILITY_KINDS]
    ok = [p for p in avail if p.status == "ok"]
    up = [p for p in avail if is_up(p)]
    kinds = Counter(p.error_kind or "unknown" for p in avail if not is_up(p))
    by_size: dict[str, dict[str, Any]] = {}
    for size in sorted(set(sizes) | {p.input_tokens for p in inside
                                     if p.kind == "latency" and p.input_tokens}):
        rows = [p for p in inside if p.kind == "latency" and p.input_tokens == size
                and p.status == "ok"]
        by_size[str(size)] = {m: distribution([float(v) for p in rows
                                              if (v := getattr(p, m)) is not None])
                              for m in METRICS}
    first = avail[0].at if avail else None
    span = end - max(start, first) if first is not None else 0.0
    outs = outages(inside, end)
    down = sum(o["duration_s"] for o in outs)
    days = span / 86400.0
    canaries = [p for p in inside if p.kind == "canary" and p.status == "ok"]
    n = len(avail)
    return {
        "window": {"start": start, "end": end, "seconds": window_s, "observed_s": span},
        "by_size": by_size,
        "requests": n, "ok": len(ok), "empty": len(up) - len(ok), "up": len(up),
        "failed": n - len(up),
        "uptime": len(up) / n if n else None,
        "error_rate": (n - len(up)) / n if n else None,
        "errors_by_kind": dict(kinds),
        "error_rate_by_kind": {k: v / n for k, v in kinds.items()} if n else {},
        "outages": outs,
        "failures_per_day": len(outs) / days if span >= MIN_SPAN_S else None,
        "mtbf_s": (span - down) / len(outs) if outs else None,
        "longest_outage_s": max((o["duration_s"] for o in outs), default=0.0),
        "canary_accuracy": (sum(bool(p.correct) for p in canaries) / len(canaries)
                            if canaries else None),
        "canaries": len(canaries),
    }
