"""The monitor in the workspace: endpoint stability, incidents and the vendor scorecard.

Mounted by ``baimo.web.app`` with ``app.include_router(monitor.router)``. The pages only show
what ``baimo monitor`` stored; every number is computed by ``baimo.monitor`` (the same
functions as ``baimo monitor status|history|vendors``), so the page, its JSON twin and the CLI
agree. Charts travel as escaped JSON (``safe_option``) drawn by ``static/app.js``.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from baimo.web.errors import unknown
from baimo.web.http import Viewer, lang_of, twin
from baimo.web.i18n import translations

__all__ = ["router"]

router = APIRouter()


def _context(request: Request) -> tuple[Any, Any, Any]:
    """The monitor repository, the monitor settings and the models file's config.

    The settings are loaded as ``baimo monitor`` loads them: ``load_settings`` given the
    loaded models file, which checks that each ``references`` entry names a configured model
    of its family. Loaded without it (as they were), a reference to a model that does not
    exist went unnoticed here while the CLI refused it. A file that does not check out is a
    503 whose detail is the CLI's message (``file:line: field: problem``), shown by the page.
    """
    from baimo.config import load_config
    from baimo.errors import BaimoError
    from baimo.monitor.settings import load_settings
    from baimo.store.monitor import MonitorRepository

    path = request.app.state.settings.config_path
    repo = MonitorRepository(request.app.state.ws.store.engine)
    try:
        cfg = load_config(path)
        settings = load_settings(path, config=cfg)
    except BaimoError as exc:
        raise HTTPException(503, "the monitor cannot be shown: the models file or its "
                                 f"monitor settings do not check out.\n{exc}") from None
    return repo, settings, cfg


@twin(router, "/monitor", "monitor/index.html",
      summary="Monitor: stability per endpoint, incidents, the vendor scorecard")
def monitor_home(request: Request, ident: Viewer,
                 until: Annotated[float | None, Query(ge=0)] = None) -> dict[str, Any]:
    """``until``: the end of the window (epoch seconds; default now), to look back."""
    from baimo.monitor.scorecard import endpoint_status, vendor_scorecard

    repo, settings, cfg = _context(request)
    now = time.time() if until is None else until
    names = repo.models()
    endpoints = []
    for n in names:
        family = cfg.models[n].family if n in cfg.models else None
        s = endpoint_status(repo, n, family, settings, now)
        st = s["stability"]
        endpoints.append({
            "model": n, "family": family, "last_cycle": s["last_cycle"],
            "ttft": s["ttft_s"] or {}, "output_tps": s["output_tps"] or {},
            "uptime": st["uptime"], "failures_per_day": st["failures_per_day"],
            "longest_outage_s": st["longest_outage_s"], "mtbf_s": st["mtbf_s"],
            "canary_accuracy": st["canary_accuracy"], "errors_by_kind": st["errors_by_kind"],
            "checks_failed": s["checks_failed"],
            "open_incidents": [i["metric"] for i in s["open_incidents"]]})
    incidents = [{"id": i.id, "model": i.model_name, "metric": i.metric, "status": i.status,
                  "started_at": i.started_at, "resolved_at": i.resolved_at,
                  "detail": i.detail, "notified": i.notified_at is not None}
                 for i in repo.incidents(since=now - 30 * 86400)]
    incidents.sort(key=lambda i: -i["started_at"])
    members = [m for m in cfg.models.values() if m.family and m.name in names]
    card = vendor_scorecard(repo, members, settings, now)
    return {"endpoints": endpoints, "incidents": incidents[:200], "scorecard": card,
            "window_h": settings.window / 3600, "headline_size": settings.headline_size}


@twin(router, "/monitor/endpoint/{model}", "monitor/endpoint.html",
      summary="One monitored endpoint: time series with bands, incidents, fidelity checks")
def monitor_endpoint(request: Request, ident: Viewer, model: str,
                     days: Annotated[int, Query(ge=1, le=90)] = 7,
                     until: Annotated[float | None, Query(ge=0)] = None) -> dict[str, Any]:
    from baimo.monitor.scorecard import latest_checks, time_series
    from baimo.reports.html import safe_option

    repo, settings, _ = _context(request)
    if model not in (names := repo.models()):
        raise unknown("monitored endpoint", model, names)
    now = time.time() if until is None else until
    series = time_series(repo, model, now - days * 86400, now, settings)
    tr = translations(lang_of(request))
    names = (tr.gettext("per cycle"), tr.gettext("P25–P75 (rolling)"),
             tr.gettext("P5–P95 (rolling)"))
    charts = [{"id": "ttft", "option": safe_option(_band_chart(series, "ttft_s", "s", names)),
               "height": 320},
              {"id": "tps", "option": safe_option(_band_chart(series, "output_tps", "tok/s",
                                                              names)),
               "height": 320}]
    checks = latest_checks(repo, model)
    incidents = [{"id": i.id, "metric": i.metric, "status": i.status,
                  "started_at": i.started_at, "resolved_at": i.resolved_at, "detail": i.detail}
                 for i in repo.incidents(model)]
    return {"model": model, "days": days, "charts": charts, "points": len(series),
            "checks": [{"check": k, **v} for k, v in sorted(checks.items())],
            "incidents": incidents[::-1], "window_h": settings.window / 3600,
            "headline_size": settings.headline_size}


def _band_chart(series: list[dict[str, Any]], metric: str, unit: str,
                names: tuple[str, str, str]) -> dict[str, Any]:
    """An ECharts option: the per-cycle value as a line over the rolling P5–P95 and P25–P75
    bands (each band a transparent base plus a stacked width)."""
    def pts(key: str | None = None, upper: str | None = None) -> list[list[Any]]:
        out = []
        for r in series:
            band = r[f"{metric}_band"]
            if key is None:
                v = r[metric]
            elif upper is None:
                v = band.get(key)
            else:
                lo, hi = band.get(key), band.get(upper)
                v = None if lo is None or hi is None else hi - lo
            out.append([round(r["t"] * 1000), v])
        return out

    value, inner, outer = names
    base = {"type": "line", "symbol": "none", "lineStyle": {"opacity": 0}}
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [value, inner, outer]},
        "xAxis": {"type": "time"}, "yAxis": {"type": "value", "name": unit},
        "series": [
            {**base, "name": "p5", "data": pts("p5"), "stack": "outer"},
            {**base, "name": outer, "data": pts("p5", "p95"), "stack": "outer",
             "areaStyle": {"opacity": 0.15}},
            {**base, "name": "p25", "data": pts("p25"), "stack": "inner"},
            {**base, "name": inner, "data": pts("p25", "p75"), "stack": "inner",
             "areaStyle": {"opacity": 0.3}},
            {"type": "line", "name": value, "data": pts(), "showSymbol": False},
        ],
    }
