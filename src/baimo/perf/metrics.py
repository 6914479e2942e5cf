"""Every perf number, each under the name of its variant (MEASURE.md §2).

Input rows are per-request dicts with times in seconds from the level's start (``scheduled``,
``sent``, ``first_byte``, ``first_token``, ``first_answer``, ``last_token``, ``done``), the
content chunks' arrival times (``chunk_times``), and token counts from the server's usage
(``output_tokens``, ``prompt_tokens``, ``usage_from_server``) and from the client tokenizer
(``output_tokens_client``, ``prompt_tokens_client``, ``chunk_tokens``). Only rows in the
measured window (``phase == "measure"``) count; warm-up and cool-down are reported as counts.

Definitions (the ``definition`` field of each metric repeats them in the output):

* TTFT: first content-bearing chunk − send. Also from the scheduled time (includes queueing
  in the client: pacing, a concurrency cap, a late loop), to the first byte (headers), and to
  the first *answer* chunk after any reasoning.
* ITL: gaps between consecutive content chunks, pooled over requests. Per chunk, not per
  token: servers put several tokens in a chunk.
* TPOT: (E2E − TTFT) / (output tokens − 1), over requests with more than one output token.
* E2E: send → last content chunk.
* Throughput: Σ tokens / window, the window being the first send to the last completion of a
  measured request (stated with every throughput).
* Goodput: measured requests per second that succeeded and met every SLO.

Token counts prefer the server's ``usage`` (it counts what the model generated, reasoning
included once); the client tokenizer fills in where the server sent none, and the share of
requests where the two disagree is reported as the mismatch rate.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from baimo.config import Pricing
from baimo.errors import ConfigError

LAG_P99_LIMIT_S = 0.005
"""Event-loop lag p99 above this means the client could not keep up (stamps are late)."""
CPU_LIMIT = 0.90
"""Loop-thread CPU above this share of a core means the client was saturated."""
MACHINE_BUSY_LIMIT = 0.95
"""Machine CPU above this share of all cores: client and a local server compete."""

QUANTILES = (50, 90, 95, 99)

SLO_KEYS = {"ttft": "TTFT (first content chunk − send)",
            "tpot": "TPOT ((E2E − TTFT) / (output tokens − 1))",
            "itl": "the request's mean chunk gap",
            "e2e": "E2E (send → last content chunk)"}

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|us|µs)?\s*$")


def parse_slo(text: str | None) -> dict[str, float]:
    """``"ttft=1s,tpot=50ms"`` → ``{"ttft": 1.0, "tpot": 0.05}`` (seconds).

    A key given twice is refused (which one was meant cannot be known, and silently keeping
    the later would report goodput against a target the user may not have meant), and so is
    a target of 0, which no request can meet: goodput would be 0 whatever the server did.
    """
    out: dict[str, float] = {}
    given: dict[str, str] = {}
    if not text:
        return out
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in SLO_KEYS:
            raise ConfigError(f"--slo: '{part.strip()}' should be KEY=DURATION with KEY one of "
                              f"{', '.join(SLO_KEYS)} (e.g. ttft=1s,tpot=50ms)")
        if key in given:
            raise ConfigError(f"--slo: '{key}' is given twice ({given[key]} and "
                              f"{part.strip()}); give each of {', '.join(SLO_KEYS)} once")
        m = _DURATION_RE.match(value)
        if not m:
            raise ConfigError(f"--slo: '{value.strip()}' is not a duration (e.g. 1s, 50ms)")
        unit = m.group(2) or "s"
        scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}[unit]
        seconds = float(m.group(1)) * scale
        if seconds <= 0:
            raise ConfigError(f"--slo: '{part.strip()}' is a target no request can meet; give "
                              f"a duration more than 0 (e.g. {key}=1s), or leave {key} out")
        given[key] = part.strip()
        out[key] = seconds
    return out


def dist(values: Sequence[float] | np.ndarray) -> dict[str, Any]:
    """Mean, median, p50/p90/p95/p99, min, max and count of ``values`` (None when empty)."""
    arr = np.asarray(values, dtype=np.float64)
    n = int(arr.size)
    if n == 0:
        return {"n": 0, "mean": None, "median": None, **{f"p{q}": None for q in QUANTILES},
                "min": None, "max": None}
    qs = np.percentile(arr, QUANTILES)
    med = float(np.median(arr))
    return {"n": n, "mean": float(arr.mean()), "median": med,
            **{f"p{q}": float(v) for q, v in zip(QUANTILES, qs, strict=True)},
            "min": float(arr.min()), "max": float(arr.max())}


def _metric(definition: str, values: Sequence[float] | np.ndarray, unit: str = "s"
            ) -> dict[str, Any]:
    return {"definition": definition, "unit": unit, **dist(values)}


def output_tokens(row: dict[str, Any]) -> tuple[int | None, str]:
    """The request's output tokens and where the number came from."""
    if row.get("usage_from_server") and row.get("output_tokens") is not None:
        return int(row["output_tokens"]), "server usage"
    if row.get("output_tokens_client") is not None:
        return int(row["output_tokens_client"]), "client tokenizer"
    return None, "none"


def prompt_tokens(row: dict[str, Any]) -> int | None:
    """The request's prompt tokens: the server's usage, else the client tokenizer's count."""
    if row.get("usage_from_server") and row.get("prompt_tokens") is not None:
        return int(row["prompt_tokens"])
    value = row.get("prompt_tokens_client")
    return int(value) if value is not None else None


def _tpot(row: dict[str, Any], n_out: int | None) -> float | None:
    if n_out is None or n_out <= 1 or row.get("last_token") is None:
        return None
    return float(row["last_token"] - row["first_token"]) / (n_out - 1)


def meets_slo(row: dict[str, Any], slo: dict[str, float]) -> bool:
    """Whether a request succeeded and met every SLO (a missing value fails the SLO)."""
    if row.get("status") != "ok":
        return False
    sent = row.get("sent")
    ft = row.get("first_token")
    if sent is None or ft is None:
        return False
    for key, limit in slo.items():
        if key == "ttft":
            value: float | None = ft - sent
        elif key == "e2e":
            value = row["last_token"] - sent if row.get("last_token") is not None else None
        elif key == "tpot":
            n_out, _ = output_tokens(row)
            value = _tpot(row, n_out)
            if value is None:  # one token: no decode phase to hold to a TPOT target
                continue
        else:  # itl
            ct = row.get("chunk_times") or []
            value = (ct[-1] - ct[0]) / (len(ct) - 1) if len(ct) > 1 else None
            if value is None:
                continue
        if value is None or value > limit:
            return False
    return True


def timeseries(rows: Sequence[dict[str, Any]], bucket: float = 1.0) -> list[dict[str, Any]]:
    """Per-second buckets from the level's start: sends, completions, errors, tokens, TTFT.

    Output tokens are spread over the chunks that carried them (client per-chunk counts when
    known, else evenly), so the series shows the token rate as it streamed.
    """
    ends = [r["done"] for r in rows if r.get("done") is not None]
    if not ends:
        return []
    n_buckets = max(1, math.ceil(max(ends) / bucket))
    sent = np.zeros(n_buckets)
    completed = np.zeros(n_buckets)
    errors = np.zeros(n_buckets)
    tokens = np.zeros(n_buckets)
    ttft: list[list[float]] = [[] for _ in range(n_buckets)]

    def idx(t: float) -> int:
        return int(min(n_buckets - 1, max(0, int(t // bucket))))

    for r in rows:
        if r.get("sent") is not None:
            sent[idx(r["sent"])] += 1
        if r.get("done") is not None:
            if r.get("status") == "ok":
                completed[idx(r["done"])] += 1
            else:
                errors[idx(r["done"])] += 1
        if r.get("status") != "ok":
            continue
        if r.get("first_token") is not None and r.get("sent") is not None:
            ttft[idx(r["first_token"])].append(r["first_token"] - r["sent"])
        times = r.get("chunk_times") or []
        n_out, _ = output_tokens(r)
        if not times or not n_out:
            continue
        per = r.get("chunk_tokens")
        if not per or len(per) != len(times):
            per = [n_out / len(times)] * len(times)
        for t, k in zip(times, per, strict=True):
            tokens[idx(t)] += k
    return [{"t": round(i * bucket, 3), "sent": int(sent[i]), "completed": int(completed[i]),
             "errors": int(errors[i]), "output_tokens_per_s": float(tokens[i] / bucket),
             "ttft_p50_s": float(np.median(ttft[i])) if ttft[i] else None}
            for i in range(n_buckets)]


def summarize_level(rows: Sequence[dict[str, Any]], *, slo: dict[str, float] | None = None,
                    rpm_limit: float | None = None, tpm_limit: float | None = None,
                    pricing: Pricing | None = None, health: dict[str, Any] | None = None,
                    ) -> dict[str, Any]:
    """All metrics of one level from its request rows (see the module docstring)."""
    slo = slo or {}
    phases = Counter(r.get("phase") for r in rows)
    meas = [r for r in rows if r.get("phase") == "measure"]
    ok = [r for r in meas if r.get("status") == "ok"]
    errors = Counter(str(r.get("error_kind") or "unknown") for r in meas
                     if r.get("status") != "ok")

    ttft, ttft_sched, ttfb, ttfa, e2e, e2e_sched = [], [], [], [], [], []
    itl: list[float] = []
    tpot, decode, per_req_tps, tpc, lags = [], [], [], [], []
    out_counts: list[int] = []
    chunk_tok: list[float] = []
    sources: Counter[str] = Counter()
    both = mismatched = 0
    abs_diff: list[float] = []
    finish = Counter(str(r.get("finish_reason")) for r in ok)
    n_prompt_total = 0
    n_out_total = 0
    cost_total = 0.0
    good = 0
    for r in meas:
        if r.get("sent") is not None:
            lags.append(r["sent"] - r["scheduled"])
    for r in ok:
        sent, ft = r["sent"], r["first_token"]
        ttft.append(ft - sent)
        ttft_sched.append(ft - r["scheduled"])
        if r.get("first_byte") is not None:
            ttfb.append(r["first_byte"] - sent)
        if r.get("first_answer") is not None:
            ttfa.append(r["first_answer"] - sent)
        e = r["last_token"] - sent
        e2e.append(e)
        e2e_sched.append(r["last_token"] - r["scheduled"])
        times = r.get("chunk_times") or []
        itl.extend(np.diff(times).tolist() if len(times) > 1 else [])
        n_out, source = output_tokens(r)
        sources[source] += 1
        if n_out is not None:
            out_counts.append(n_out)
            n_out_total += n_out
            if e > 0:
                per_req_tps.append(n_out / e)
            if times:
                tpc.append(n_out / len(times))
            t = _tpot(r, n_out)
            if t is not None:
                tpot.append(t)
                if t > 0:
                    decode.append(1.0 / t)
        if r.get("chunk_tokens"):
            chunk_tok.extend(float(k) for k in r["chunk_tokens"])
        if r.get("usage_from_server") and r.get("output_tokens") is not None and \
                r.get("output_tokens_client") is not None:
            both += 1
            d = abs(int(r["output_tokens"]) - int(r["output_tokens_client"]))
            abs_diff.append(d)
            mismatched += d > 0
        n_prompt = prompt_tokens(r) or 0
        n_prompt_total += n_prompt
        if pricing is not None and n_out is not None:
            cost_total += pricing.cost(n_prompt, n_out)
        if meets_slo(r, slo):
            good += 1

    starts = [r["sent"] for r in meas if r.get("sent") is not None]
    ends = [r["done"] for r in meas if r.get("done") is not None]
    window = (max(ends) - min(starts)) if starts and ends else 0.0
    per_s = (lambda x: x / window) if window > 0 else (lambda x: 0.0)
    n_meas = len(meas)
    src = "none" if not sources else (next(iter(sources)) if len(sources) == 1 else "mixed")

    summary: dict[str, Any] = {
        "requests": {"total": len(rows), "measured": n_meas, "ok": len(ok),
                     "errors": n_meas - len(ok), "warmup": phases.get("warmup", 0),
                     "cooldown": phases.get("cooldown", 0)},
        "errors": {"rate": (n_meas - len(ok)) / n_meas if n_meas else 0.0,
                   "by_kind": dict(errors),
                   "rate_by_kind": {k: v / n_meas for k, v in errors.items()}},
        "metrics": {
            "ttft_s": _metric("first content chunk − send", ttft),
            "ttft_from_scheduled_s": _metric(
                "first content chunk − scheduled time (includes client-side queueing)",
                ttft_sched),
            "time_to_first_byte_s": _metric("response headers − send", ttfb),
            "time_to_first_answer_s": _metric(
                "first answer chunk after any reasoning − send", ttfa),
            "itl_s": _metric("gaps between consecutive content chunks, pooled (per chunk, "
                             "not per token)", itl),
            "tpot_s": _metric("(E2E − TTFT) / (output tokens − 1); requests with ≤ 1 output "
                              "token excluded", tpot),
            "e2e_s": _metric("send → last content chunk", e2e),
            "e2e_from_scheduled_s": _metric("scheduled time → last content chunk", e2e_sched),
            "output_tokens_per_s_per_request": _metric("output tokens / E2E, per request",
                                                       per_req_tps, "tokens/s"),
            "decode_tokens_per_s": _metric("1 / TPOT, per request", decode, "tokens/s"),
            "tokens_per_chunk": _metric("output tokens / content chunks, per request", tpc,
                                        "tokens"),
            "chunk_tokens_client": _metric("tokens in each chunk by the client tokenizer, "
                                           "pooled", chunk_tok, "tokens"),
            "send_lag_s": _metric("send − scheduled time (client-side delay before sending)",
                                  lags),
            "output_tokens": _metric("achieved output tokens per request", out_counts,
                                     "tokens"),
        },
        "throughput": {
            "window_s": window,
            "window": "first send → last completion of a measured request",
            "output_tokens_per_s": per_s(n_out_total),
            "total_tokens_per_s": per_s(n_out_total + n_prompt_total),
            "requests_per_s": per_s(len(ok)),
            "output_tokens": n_out_total, "prompt_tokens": n_prompt_total,
        },
        "rate": {
            "rpm": 60.0 * per_s(n_meas), "rpm_limit": rpm_limit,
            "tpm": 60.0 * per_s(n_out_total + n_prompt_total), "tpm_limit": tpm_limit,
            "definition": "measured requests sent (any outcome) and their prompt + output "
                          "tokens per minute of the window",
        },
        "goodput": {"slo_s": dict(slo), "requests_per_s": per_s(good),
                    "fraction": good / n_meas if n_meas else 0.0,
                    "definition": "measured requests per second that succeeded and met every "
                                  "SLO" if slo else "no SLO given: every successful request "
                                  "counts"},
        "tokens": {
            "source": src, "by_source": dict(sources),
            "usage_and_client": both, "mismatch_rate": mismatched / both if both else None,
            "mean_abs_difference": float(np.mean(abs_diff)) if abs_diff else None,
            "definition": "mismatch = requests whose server usage and client tokenizer "
                          "counts of output tokens differ",
        },
        "finish_reasons": dict(finish),
    }
    if pricing is not None:
        summary["cost"] = {
            "currency": pricing.currency, "total": cost_total,
            "per_request": cost_total / len(ok) if ok else None,
            "per_1m_output_tokens": cost_total / n_out_total * 1e6 if n_out_total else None,
            "definition": "prompt and output tokens at the configured prices; per 1M output "
                          "tokens = total cost / output tokens × 10⁶",
        }
    if health is not None:
        summary["client"] = health
    summary["timeseries"] = timeseries(rows)
    return summary


def client_health(reports: Sequence[dict[str, Any]], machine_busy: Sequence[float | None] = (),
                  cores: int | None = None) -> dict[str, Any]:
    """Summarise the workers' health samples and say, in words, whether the client was the
    limit.

    Args:
        reports: ``HealthMonitor.report()`` of every worker process.
        machine_busy: Machine CPU busy fractions sampled by the parent (multi-process runs);
            single-process runs carry them in their own report.
        cores: CPUs of the machine, for the wording.
    """
    lags = np.asarray([x for rep in reports for x in rep["lags"]], dtype=np.float64)
    lags = np.maximum(lags, 0.0)
    per_worker: list[dict[str, Any]] = []
    busy = [b for b in machine_busy if b is not None]
    for rep in reports:
        samples = rep["samples"]
        loop_cpu = [s[1] for s in samples]
        proc_cpu = [s[2] for s in samples]
        busy.extend(s[3] for s in samples if s[3] is not None)
        w_lags = np.maximum(np.asarray(rep["lags"], dtype=np.float64), 0.0)
        per_worker.append({
            "worker": rep["worker"], "pid": rep["pid"],
            "loop_lag_p50_ms": float(np.percentile(w_lags, 50)) * 1e3 if w_lags.size else None,
            "loop_lag_p99_ms": float(np.percentile(w_lags, 99)) * 1e3 if w_lags.size else None,
            "loop_cpu_mean": float(np.mean(loop_cpu)) if loop_cpu else None,
            "loop_cpu_max": float(np.max(loop_cpu)) if loop_cpu else None,
            "process_cpu_mean": float(np.mean(proc_cpu)) if proc_cpu else None,
            "loop_cpu_s": rep.get("loop_cpu_s"),
            # A cluster's clients say where they ran and how their clock was aligned.
            **{str(k): rep[k] for k in ("host", "clock_offset_ms", "clock_uncertainty_ms",
                                        "verdict") if k in rep},
        })
    lag50 = float(np.percentile(lags, 50)) if lags.size else 0.0
    lag99 = float(np.percentile(lags, 99)) if lags.size else 0.0
    lagmax = float(lags.max()) if lags.size else 0.0
    cpus = [w["loop_cpu_mean"] for w in per_worker if w["loop_cpu_mean"] is not None]
    cpu = max(cpus) if cpus else 0.0
    machine = float(np.mean(busy)) if busy else None
    reasons = []
    starved = False
    if lag99 > LAG_P99_LIMIT_S:
        reasons.append(f"event-loop lag p99 was {lag99 * 1e3:.1f} ms "
                       f"(> {LAG_P99_LIMIT_S * 1e3:g} ms)")
    if cpu > CPU_LIMIT:
        reasons.append(f"the client's event loop used {cpu:.0%} of a core "
                       f"(> {CPU_LIMIT:.0%})")
    elif reasons and (machine is None or machine > 0.8):
        # Late but not busy: the process waited for a CPU that other work held.
        starved = True
        reasons.append(f"its loop used only {cpu:.0%} of a core, so the process was starved "
                       "of CPU by other work on the machine"
                       + (f" ({machine:.0%} busy)" if machine is not None else ""))
    elif reasons:
        # Late, not busy, machine not busy either: something held the loop up.
        starved = True
        reasons.append(f"its loop used only {cpu:.0%} of a core and the machine was "
                       f"{machine:.0%} busy, so something held the loop up (a blocking call, a "
                       "garbage-collection pause, the operating system)")
    limited = bool(reasons)
    n = len(reports)
    where = "its event loop" if n == 1 else f"the busiest of its {n} processes"
    if limited:
        advice = ("rerun on a quieter machine" if starved else
                  "rerun with more --processes or less load")
        verdict = ("The client, not the server, was the limit: " + " and ".join(reasons)
                   + f". Chunks were stamped late and latencies include client-side delay; "
                   f"{advice}.")
    else:
        verdict = (f"The client was not the limit: event-loop lag p99 {lag99 * 1e3:.1f} ms "
                   f"(≤ {LAG_P99_LIMIT_S * 1e3:g} ms) and {where} used {cpu:.0%} of a core "
                   f"(≤ {CPU_LIMIT:.0%}); timestamps are good to about "
                   f"{max(lag50, 0.0) * 1e3:.1f} ms.")
    if machine is not None and machine > MACHINE_BUSY_LIMIT:
        ncores = f" of {cores} cores" if cores else ""
        verdict += (f" The machine's CPUs were {machine:.0%} busy{ncores}: a server on this "
                    "machine competes with the client for them, so both may be slowed.")
    return {"limited": limited, "verdict": verdict, "loop_lag_p50_ms": lag50 * 1e3,
            "loop_lag_p99_ms": lag99 * 1e3, "loop_lag_max_ms": lagmax * 1e3,
            "loop_cpu_max_mean": cpu, "machine_busy_mean": machine, "processes": n,
            "workers": per_worker,
            "thresholds": {"loop_lag_p99_ms": LAG_P99_LIMIT_S * 1e3, "loop_cpu": CPU_LIMIT}}


def knee(xs: Sequence[float], ys: Sequence[float], log_x: bool = True) -> int | None:
    """Index of the knee of a rising, flattening curve (throughput against load).

    The Kneedle idea: scale both axes to [0, 1] (load on a log scale, as sweeps double it)
    and take the point farthest above the chord from the first to the last point. Beyond
    the knee, more load buys little throughput and mostly adds latency. None with fewer
    than three points or a flat curve.
    """
    if len(xs) < 3 or len(xs) != len(ys):
        return None
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    x = np.asarray([math.log2(xs[i]) if log_x and xs[i] > 0 else xs[i] for i in order])
    y = np.asarray([ys[i] for i in order], dtype=np.float64)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    xn = (x - x.min()) / np.ptp(x)
    yn = (y - y.min()) / np.ptp(y)
    chord = yn[0] + (yn[-1] - yn[0]) * (xn - xn[0]) / (xn[-1] - xn[0])
    gap = yn - chord
    best = int(np.argmax(gap))
    if gap[best] <= 0.05:  # no clear bend: a straight or convex curve has no knee
        return None
    return order[best]
