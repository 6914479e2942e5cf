"""Reading the monitor: per-endpoint status and the vendor scorecard of a model family.

The scorecard puts side by side the deployments of one underlying model (``family:`` in the
models file; e.g. DeepSeek-V3 at the maker, at SiliconFlow and at Volcano Ark) on what a
buyer compares, all measured by the monitor over the same window:

* speed: median TTFT and output tokens/s of the headline-size probe, and its stability (CV
  of TTFT);
* uptime over the window, failures per day and the longest outage;
* price: the configured input/output prices and the 3:1 blended price per 1M tokens;
* fidelity: the latest verdict of every check, and how many pass;
* canary agreement with the family's reference deployment (``references`` in the monitor
  settings), over the latest cycle of each.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from baimo.config import ModelConfig
from baimo.monitor.fidelity import canary_agreement
from baimo.monitor.settings import MonitorSettings
from baimo.monitor.stability import stability
from baimo.store.monitor import CycleRecord, MonitorRepository

__all__ = ["BLEND_INPUT_SHARE", "StabilityMeasurement", "cycle_state", "endpoint_status",
           "latest_checks", "stability_measurement", "vendor_scorecard", "vendor_stability"]

BLEND_INPUT_SHARE = 0.75
"""3 input tokens per output token, as ``baimo.scores.measured`` blends prices."""


def latest_checks(repo: MonitorRepository, model_name: str) -> dict[str, dict[str, Any]]:
    """The latest row of each fidelity check of an endpoint."""
    out: dict[str, dict[str, Any]] = {}
    for c in repo.checks(model_name):
        out[c.check_name] = {"status": c.status, "value": c.value, "at": c.at,
                             "evidence": c.evidence}
    return out


def cycle_state(repo: MonitorRepository, cycle: CycleRecord, now: float, *,
                latest: bool = True) -> str:
    """A cycle's status as a reader should see it.

    Why not the stored status alone: a monitor killed mid-cycle (Ctrl-C, SIGKILL, a reboot)
    leaves its cycle ``running`` until a later tick resumes or closes it, which may be hours
    away. ``running`` is only true while a live lease holds the endpoint; otherwise the cycle
    was interrupted, and, being the endpoint's latest, resumes on the next start (an older
    one is closed then, keeping its probes). A cycle so closed says so too.
    """
    if cycle.status == "running":
        if repo.lease_live(cycle.model_name, now):
            return "running"
        return "interrupted (resumes on next start)" if latest else "interrupted"
    if cycle.status == "done" and cycle.values.get("interrupted"):
        return "interrupted"
    return cycle.status


def endpoint_status(repo: MonitorRepository, name: str, family: str | None,
                    settings: MonitorSettings, now: float) -> dict[str, Any]:
    """One endpoint's stability over the window, its latest checks and open incidents."""
    since = now - settings.window
    probes = repo.probes(name, since=since, until=now)
    st = stability(probes, end=now, window_s=settings.window, sizes=settings.sizes)
    head = st["by_size"].get(str(settings.headline_size), {})
    last = repo.cycles(name, limit=1)
    checks = latest_checks(repo, name)
    open_ = [i for i in repo.incidents(name) if i.status == "open"]
    return {
        "model": name, "family": family,
        "last_cycle": last[-1].slot if last else None,
        "last_status": cycle_state(repo, last[-1], now) if last else None,
        "stability": st, "headline_size": settings.headline_size,
        "ttft_s": head.get("ttft_s"), "output_tps": head.get("output_tps"),
        "checks": {k: v["status"] for k, v in checks.items()},
        "checks_failed": sorted(k for k, v in checks.items() if v["status"] == "fail"),
        "open_incidents": [{"id": i.id, "metric": i.metric, "started_at": i.started_at,
                            "detail": i.detail} for i in open_],
    }


def vendor_scorecard(repo: MonitorRepository, models: Sequence[ModelConfig],
                     settings: MonitorSettings, now: float) -> dict[str, list[dict[str, Any]]]:
    """Family → one row per endpoint (see the module docstring); models without a family are
    left out."""
    families: dict[str, list[ModelConfig]] = {}
    for m in models:
        if m.family:
            families.setdefault(m.family, []).append(m)
    out: dict[str, list[dict[str, Any]]] = {}
    for family, members in sorted(families.items()):
        ref = settings.references.get(family)
        ref_canaries = []
        if ref is not None:
            done = repo.cycles(ref, status="done", limit=1)
            if done:
                ref_canaries = repo.probes(ref, kinds=["canary"], cycle_id=done[-1].id)
        rows = []
        for cfg in sorted(members, key=lambda c: c.name):
            s = endpoint_status(repo, cfg.name, cfg.family, settings, now)
            st = s["stability"]
            checks = s["checks"]
            judged = [v for v in checks.values() if v in ("pass", "fail")]
            agreement = None
            if ref is not None and ref_canaries:
                done = repo.cycles(cfg.name, status="done", limit=1)
                if done:
                    mine = repo.probes(cfg.name, kinds=["canary"], cycle_id=done[-1].id)
                    agreement, _ = canary_agreement(mine, ref_canaries)
            p = cfg.pricing
            priced = p.input_per_1m > 0 or p.output_per_1m > 0
            rows.append({
                "family": family, "model": cfg.name, "reference": cfg.name == ref,
                "ttft_median_s": (s["ttft_s"] or {}).get("median"),
                "ttft_cv": (s["ttft_s"] or {}).get("cv"),
                "output_tps_median": (s["output_tps"] or {}).get("median"),
                "uptime": st["uptime"], "failures_per_day": st["failures_per_day"],
                "longest_outage_s": st["longest_outage_s"],
                "price_input_per_1m": p.input_per_1m if priced else None,
                "price_output_per_1m": p.output_per_1m if priced else None,
                "blended_price_per_1m": (BLEND_INPUT_SHARE * p.input_per_1m
                                         + (1 - BLEND_INPUT_SHARE) * p.output_per_1m)
                if priced else None,
                "currency": p.currency,
                "checks_passed": sum(v == "pass" for v in judged), "checks_judged": len(judged),
                "checks_failed": s["checks_failed"],
                "canary_agreement": 1.0 if cfg.name == ref and ref_canaries else agreement,
                "canary_accuracy": st["canary_accuracy"],
            })
        out[family] = rows
    return out


@dataclass(frozen=True)
class StabilityMeasurement:
    """What the decision layer reads from the monitor (the advisor's ``stability`` criterion
    and the ``monitor:*`` methodology keys).

    Attributes:
        uptime: Successful timed probes / timed probes over the window.
        ttft_cv: Coefficient of variation of TTFT at ``size`` (None under two values).
        size: Prompt tokens of the probes the CV comes from.
        requests: Timed probes behind the uptime.
        window_s: The trailing window, seconds.
        until: The window's end (epoch seconds).
    """

    uptime: float
    ttft_cv: float | None
    size: int | None
    requests: int
    window_s: float
    until: float
    endpoints: tuple[str, ...] = ()
    """The endpoints pooled (``vendor_stability``); empty for one endpoint."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _endpoint_stability(repo: MonitorRepository, model_name: str, end: float, window_s: float,
                        headline_size: int) -> tuple[int, int, float | None, int | None]:
    """(availability probes, successful ones, TTFT CV, the size it is at) of one endpoint.

    The CV is at ``headline_size`` when probed at that size, else at the size with the most
    successful TTFTs."""
    probes = repo.probes(model_name, since=end - window_s, until=end)
    st = stability(probes, end=end, window_s=window_s)
    sizes = st["by_size"]
    size = headline_size if str(headline_size) in sizes else (
        max(sizes, key=lambda k: sizes[k]["ttft_s"]["n"], default=None))
    cv = sizes[str(size)]["ttft_s"]["cv"] if size is not None else None
    return (int(st["requests"]), int(st["up"]), cv,
            int(size) if size is not None else None)


def stability_measurement(engine: sa.Engine, model_name: str, *, now: float | None = None,
                          window_s: float = 72 * 3600.0, headline_size: int = 1000
                          ) -> StabilityMeasurement | None:
    """The endpoint's uptime and TTFT CV over the trailing window; None without probes."""
    end = time.time() if now is None else now
    n, ok, cv, size = _endpoint_stability(MonitorRepository(engine), model_name, end, window_s,
                                          headline_size)
    if not n:
        return None
    return StabilityMeasurement(uptime=ok / n, ttft_cv=cv, size=size, requests=n,
                                window_s=window_s, until=end)


def vendor_stability(engine: sa.Engine, endpoints: Sequence[str], *, now: float | None = None,
                     window_s: float = 72 * 3600.0, headline_size: int = 1000
                     ) -> StabilityMeasurement | None:
    """One vendor's stability from all its monitored endpoints; None when none was probed.

    Uptime is pooled (successful availability probes of all the endpoints / all their
    availability probes): the share of the vendor's requests that succeeded, so an endpoint
    probed more often counts for more. TTFT CV is the mean of the endpoints' own CVs: a CV is
    free of the endpoint's latency level, so averaging compares how much each vendor's service
    fluctuates, whereas a CV of the pooled TTFTs would mostly measure how different the models'
    speeds are. ``size`` is set when every endpoint's CV is at the same prompt size.
    """
    end = time.time() if now is None else now
    repo = MonitorRepository(engine)
    total = ok_total = 0
    cvs: list[float] = []
    sizes: set[int | None] = set()
    probed: list[str] = []
    for name in endpoints:
        n, ok, cv, size = _endpoint_stability(repo, name, end, window_s, headline_size)
        if not n:
            continue
        probed.append(name)
        total += n
        ok_total += ok
        if cv is not None:
            cvs.append(cv)
            sizes.add(size)
    if not total:
        return None
    return StabilityMeasurement(uptime=ok_total / total,
                                ttft_cv=sum(cvs) / len(cvs) if cvs else None,
                                size=next(iter(sizes)) if len(sizes) == 1 else None,
                                requests=total, window_s=window_s, until=end,
                                endpoints=tuple(probed))


def time_series(repo: MonitorRepository, name: str, start: float, end: float,
                settings: MonitorSettings) -> list[dict[str, Any]]:
    """Per cycle from ``start`` to ``end``: the cycle's headline TTFT and output tok/s, and the
    rolling-window P5/P25/P50/P75/P95 of each as of that cycle (the bands of the charts), with
    the rolling uptime."""
    probes = repo.probes(name, since=start - settings.window, until=end)
    out: list[dict[str, Any]] = []
    size = settings.headline_size
    for c in repo.cycles(name, since=start):
        if c.slot > end:
            break
        t = c.started_at
        st = stability(probes, end=t + 1e-6, window_s=settings.window, sizes=[size])
        head = st["by_size"].get(str(size), {})
        row: dict[str, Any] = {"t": t, "status": c.status, "uptime": st["uptime"]}
        for m in ("ttft_s", "output_tps"):
            d = head.get(m) or {}
            row[m] = c.values.get(m)
            row[f"{m}_band"] = {k: d.get(k) for k in ("p5", "p25", "median", "p75", "p95")}
        out.append(row)
    return out
