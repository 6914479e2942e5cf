"""Thresholds, incidents and notifications: one alert per incident, and its recovery.

After each cycle every threshold is judged on the metric's value (the cycle's own value, or
over a trailing ``window`` of stored probes). An endpoint that crosses a threshold for
``consecutive`` cycles opens an *incident* (unless one is already open for that metric), which
starts at the first of those cycles; the first cycle back inside the threshold resolves it.
Incidents live in the store, so a restarted monitor neither forgets an open incident nor
reports it again.

Notifications are sent after the store has the incident: each open incident not yet
notified, and each resolved one whose recovery was not, is sent to every alert target and
marked as sent. A target that fails leaves the mark unset (its error is stored) and the
notification is tried again after the next cycle: at least once, and once when delivery
works.

The event sent (JSON body of the webhook POST, or the command's standard input)::

    {"event": "incident" | "recovery", "incident": 3, "model": "ds-vendor-a",
     "metric": "ttft_s", "value": 4.2, "threshold": {"max": 2.0, ...},
     "started_at": "2026-12-02T06:00:00+00:00", "resolved_at": null, "detail": "..."}
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from baimo.config import secret_from_env
from baimo.monitor.settings import AlertTarget, MonitorSettings, Threshold
from baimo.monitor.stability import AVAILABILITY_KINDS, is_up
from baimo.store.monitor import CycleRecord, IncidentRecord, MonitorRepository, ProbeRecord

__all__ = ["Delivery", "cycle_values", "evaluate", "event_of", "notify_pending",
           "window_value"]


def _median(xs: Sequence[float]) -> float | None:
    return float(statistics.median(xs)) if xs else None


def cycle_values(probes: Sequence[ProbeRecord], checks: Mapping[str, float | None],
                 headline_size: int) -> dict[str, Any]:
    """A cycle's own value of every metric a threshold can name.

    ``ttft_s``/``tpot_s``/``e2e_s``/``output_tps``: the headline-size latency probe's;
    ``parallel_output_tps``: the median over the parallel probe's requests; ``uptime`` and
    ``error_rate``: shares of the availability probes (an ``empty`` answer is up); ``empty``:
    how many answered without content (shown by ``history``, so a model that stops at once
    is seen); ``canary_accuracy``: share of canaries
    right; ``check:NAME``: 1 pass / 0 fail of the checks run in this cycle (their ``value`` for
    ``usage`` and ``canary_drift`` is kept as ``usage_ratio`` and ``canary_agreement``).
    """
    out: dict[str, Any] = {}
    head = [p for p in probes if p.kind == "latency" and p.input_tokens == headline_size
            and p.status == "ok"]
    for m in ("ttft_s", "tpot_s", "e2e_s", "output_tps"):
        out[m] = _median([float(v) for p in head if (v := getattr(p, m)) is not None])
    par = [p.output_tps for p in probes if p.kind == "parallel" and p.status == "ok"
           and p.output_tps is not None]
    if par:
        out["parallel_output_tps"] = _median(par)
    avail = [p for p in probes if p.kind in AVAILABILITY_KINDS]
    if avail:
        up = sum(is_up(p) for p in avail)
        out["uptime"] = up / len(avail)
        out["error_rate"] = 1 - up / len(avail)
        out["empty"] = sum(p.status == "empty" for p in avail)
    can = [p for p in probes if p.kind == "canary" and p.status == "ok"]
    if can:
        out["canary_accuracy"] = sum(bool(p.correct) for p in can) / len(can)
    for name, v in checks.items():
        out[f"check:{name}"] = v
    return out


def window_value(metric: str, probes: Sequence[ProbeRecord], headline_size: int
                 ) -> float | None:
    """The metric over all ``probes`` of a trailing window (medians for timings, shares for
    uptime, error rate and canary accuracy)."""
    if metric in ("uptime", "error_rate"):
        avail = [p for p in probes if p.kind in AVAILABILITY_KINDS]
        if not avail:
            return None
        up = sum(is_up(p) for p in avail) / len(avail)
        return up if metric == "uptime" else 1 - up
    if metric == "canary_accuracy":
        can = [p for p in probes if p.kind == "canary" and p.status == "ok"]
        return sum(bool(p.correct) for p in can) / len(can) if can else None
    if metric in ("ttft_s", "tpot_s", "e2e_s", "output_tps"):
        return _median([float(v) for p in probes if p.kind == "latency" and p.status == "ok"
                        and p.input_tokens == headline_size
                        and (v := getattr(p, metric)) is not None])
    return None


def _describe(metric: str, value: float, th: Threshold) -> str:
    bound = (f"above the maximum {th.max:g}" if th.max is not None and value > th.max
             else f"below the minimum {th.min:g}")
    scope = f" over the last {th.window:g} s" if th.window else ""
    return f"{metric} = {value:.4g}{scope}, {bound}"


def evaluate(repo: MonitorRepository, settings: MonitorSettings, model_name: str,
             cycle: CycleRecord, values: Mapping[str, Any], now: float) -> list[str]:
    """Open and resolve incidents after ``cycle``; returns what changed, in words."""
    changes: list[str] = []
    metrics = set(values) | {m for m in settings.all_thresholds() if "*" not in m}
    for metric in sorted(metrics):
        th = settings.threshold_for(metric)
        if th is None:
            continue
        if th.window is not None:
            # The window ends now, after this cycle's probes (stamped from its start on).
            probes = repo.probes(model_name, since=now - th.window, until=now)
            value = window_value(metric, probes, settings.headline_size)
        else:
            value = values.get(metric)
        if value is None:
            continue
        crossed = th.crossed(float(value))
        open_ = repo.open_incident(model_name, metric)
        if crossed and open_ is None:
            start = cycle.started_at
            if th.consecutive > 1:
                history = [c for c in repo.cycles(model_name, status="done",
                                                  limit=th.consecutive)
                           if c.id != cycle.id]
                prev = history[-(th.consecutive - 1):]
                if len(prev) < th.consecutive - 1 or not all(
                        c.values.get(metric) is not None and th.crossed(
                            float(c.values[metric])) for c in prev):
                    continue
                start = prev[0].started_at
            repo.start_incident(model_name, metric, start, now, float(value),
                                th.model_dump(exclude_none=True),
                                _describe(metric, float(value), th))
            changes.append(f"incident: {model_name} {metric}")
        elif not crossed and open_ is not None:
            repo.resolve_incident(open_.id, cycle.started_at)
            changes.append(f"recovered: {model_name} {metric}")
    return changes


def _iso(t: float | None) -> str | None:
    return None if t is None else dt.datetime.fromtimestamp(t, dt.UTC).isoformat()


def event_of(inc: IncidentRecord, kind: str) -> dict[str, Any]:
    """The JSON event sent for an incident (see the module docstring)."""
    return {"event": kind, "incident": inc.id, "model": inc.model_name, "metric": inc.metric,
            "value": inc.value, "threshold": inc.threshold, "started_at": _iso(inc.started_at),
            "resolved_at": _iso(inc.resolved_at), "detail": inc.detail}


async def _send(target: AlertTarget, event: dict[str, Any], index: int) -> str | None:
    """Deliver one event; None on success, else why (never the webhook URL: it may carry a
    token)."""
    body = orjson.dumps(event)
    if target.command is not None:
        env = {**os.environ, "BAIMO_ALERT_EVENT": event["event"],
               "BAIMO_ALERT_MODEL": event["model"], "BAIMO_ALERT_METRIC": event["metric"]}
        try:
            # A session (and process group) of its own: a hung command is killed with all
            # it started (``sh -c "...; sleep 1000"`` leaves no sleep behind), and a Ctrl-C
            # at the terminal goes to the monitor, not to the alert command.
            proc = await asyncio.create_subprocess_exec(
                *target.command, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, env=env,
                start_new_session=True)
        except OSError as exc:
            return f"alert #{index + 1}: cannot run {target.command[0]!r}: {exc.strerror}"
        try:
            async with asyncio.timeout(target.timeout_s):
                await proc.communicate(body)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group: the command's children too
            await proc.wait()
            return f"alert #{index + 1}: command took longer than {target.timeout_s:g} s"
        except BaseException:
            # Cancelled (Ctrl-C stops the monitor): the terminal's signal does not reach the
            # command's own session, so nobody else would stop it and its children.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            raise
        return None if proc.returncode == 0 else \
            f"alert #{index + 1}: command exited with status {proc.returncode}"
    url = target.webhook or secret_from_env(str(target.webhook_env), "monitor alert",
                                            "webhook URL")
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(
                total=target.timeout_s)) as session, session.post(
                url, data=body, headers={"Content-Type": "application/json"}) as resp:
            if 200 <= resp.status < 300:
                return None
            return f"alert #{index + 1}: webhook answered HTTP {resp.status}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"alert #{index + 1}: webhook failed ({type(exc).__name__})"


@dataclass
class Delivery:
    """What ``notify_pending`` did: the events delivered, and each failed delivery as
    ``(model, message)``. The failures are returned, not only stored (``notify_error``),
    because a monitor run from cron is read by its output: an alert that cannot be
    delivered is the one thing its owner must hear about some other way."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


async def notify_pending(repo: MonitorRepository, settings: MonitorSettings, now: float
                         ) -> Delivery:
    """Send every notification not yet delivered."""
    out = Delivery()
    if not settings.alerts:
        return out
    for inc in repo.incidents():
        todo = []
        if inc.notified_at is None:
            todo.append(("incident", "notified_at"))
        if inc.status == "resolved" and inc.recovery_notified_at is None:
            todo.append(("recovery", "recovery_notified_at"))
        for kind, field_name in todo:
            event = event_of(inc, kind)
            errors = [e for i, t in enumerate(settings.alerts)
                      if (e := await _send(t, event, i)) is not None]
            repo.mark_notified(inc.id, field_name, now, "; ".join(errors) or None)
            if errors:
                out.errors += [(inc.model_name, f"{kind} alert of {inc.model_name} "
                                f"{inc.metric} not delivered (retried after the next cycle): "
                                f"{e}") for e in errors]
                break
            out.sent.append(event)
    return out
