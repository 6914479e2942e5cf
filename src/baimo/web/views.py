"""Page data: each function returns the JSON-ready dict a page renders and its API returns.

Chart options are plain ECharts JSON passed through ``baimo.reports.html.safe_option`` (no
functions, no unsafe links); the page's script draws them. Labels inside chart options are
names and numbers only, so charts need no translation; their titles are in the templates.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from baimo.reports.html import safe_option
from baimo.store.web import JobRecord, RunListItem, SampleRow
from baimo.tabular import csv_text
from baimo.tasks.types import STATUSES
from baimo.web.data import Workspace
from baimo.web.errors import unknown
from baimo.web.jobs import JobManager

TOP = 20  # models drawn in a leaderboard chart (the table shows all)
PALETTE = ["#4f46e5", "#0891b2", "#16a34a", "#ea580c", "#db2777", "#7c3aed", "#ca8a04",
           "#0f766e", "#64748b", "#dc2626"]


def _r(x: float | None, d: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), d)


def run_item(r: RunListItem) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind, "status": r.status, "created_at": r.created_at,
            "finished_at": r.finished_at, "command": r.command, "models": list(r.models),
            "rows": r.n_results}


def job_item(j: JobRecord) -> dict[str, Any]:
    return {"id": j.id, "kind": j.kind, "status": j.status, "spec": j.spec, "run_id": j.run_id,
            "user": j.user_name, "created_at": j.created_at, "started_at": j.started_at,
            "finished_at": j.finished_at, "exit_code": j.exit_code, "log_tail": j.log_tail}


def sample_item(s: SampleRow | None) -> dict[str, Any] | None:
    if s is None:
        return None
    messages = None
    if isinstance(s.request, dict):
        messages = s.request.get("messages") or s.request.get("prompt")
    return {"id": s.id, "model": s.model, "task": s.task, "sample_id": s.sample_id,
            "category": s.category, "status": s.status, "score": s.score,
            "extracted": s.extracted, "reason": s.reason, "details": s.details,
            "prompt_tokens": s.prompt_tokens, "completion_tokens": s.completion_tokens,
            "latency_s": s.latency_s, "ttft_s": s.ttft_s, "cost": s.cost,
            "currency": s.currency, "cached": s.cached, "answer": s.answer,
            "reasoning": s.reasoning, "request": messages,
            "extraction": (s.details or {}).get("extraction") or (s.details or {}).get("method")}


# -- charts ------------------------------------------------------------------------------------
def interval_chart(rows: Sequence[Mapping[str, Any]], key: str = "capability") -> dict[str, Any]:
    """Horizontal bars from the 95% interval's low to high end, a dot at the score."""
    rows = [r for r in rows if r[key]["score"] is not None][:TOP]
    names = [r["model"] for r in rows][::-1]
    lo = [_r(100 * r[key]["ci_low"], 2) for r in rows][::-1]
    span = [_r(100 * (r[key]["ci_high"] - r[key]["ci_low"]), 2) for r in rows][::-1]
    pts = [_r(100 * r[key]["score"], 2) for r in rows][::-1]
    lows = [v for v in lo if v is not None]
    highs = [a + b for a, b in zip(lo, span, strict=True) if a is not None and b is not None]
    x_min = max(0, math.floor((min(lows) - 3) / 10) * 10) if lows else 0
    x_max = min(100, math.ceil((max(highs) + 3) / 10) * 10) if highs else 100
    return safe_option({
        "grid": {"left": 150, "right": 30, "top": 10, "bottom": 30},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"},
                    "formatter": "<b>{b}</b><br>{c2}"},
        "xAxis": {"type": "value", "min": x_min, "max": x_max,
                  "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {"type": "category", "data": names, "axisLabel": {"width": 140,
                                                                   "overflow": "truncate"}},
        "series": [
            {"type": "bar", "stack": "ci", "data": lo, "itemStyle": {"color": "transparent"},
             "silent": True},
            {"type": "bar", "stack": "ci", "data": span, "barWidth": 10,
             "itemStyle": {"color": "#c7d2fe", "borderRadius": 5}},
            {"type": "scatter", "data": pts, "symbolSize": 9, "itemStyle": {"color": "#4f46e5"},
             "z": 5},
        ]})


def scatter_chart(points: Sequence[tuple[str, float | None, float | None]], x: str, y: str,
                  *, x_log: bool = False) -> dict[str, Any]:
    data = [{"name": n, "value": [_r(a, 4), _r(b, 4)]} for n, a, b in points
            if a is not None and b is not None]
    return safe_option({
        "grid": {"left": 60, "right": 30, "top": 20, "bottom": 50},
        "tooltip": {"trigger": "item", "formatter": "<b>{b}</b><br>{c}"},
        "xAxis": {"type": "log" if x_log else "value", "name": x, "nameLocation": "middle",
                  "nameGap": 30, "scale": True},
        "yAxis": {"type": "value", "name": y, "scale": True},
        "series": [{"type": "scatter", "data": data, "symbolSize": 12,
                    "itemStyle": {"color": "#4f46e5", "opacity": 0.8},
                    "label": {"show": len(data) <= 12, "formatter": "{b}", "position": "right",
                              "fontSize": 11}}]})


def bar_chart(items: Sequence[tuple[str, float | None]], unit: str = "") -> dict[str, Any]:
    items = [(n, v) for n, v in items if v is not None][:TOP]
    return safe_option({
        "grid": {"left": 150, "right": 40, "top": 10, "bottom": 30},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "xAxis": {"type": "value", "axisLabel": {"formatter": "{value}" + unit}},
        "yAxis": {"type": "category", "data": [n for n, _ in items][::-1],
                  "axisLabel": {"width": 140, "overflow": "truncate"}},
        "series": [{"type": "bar", "data": [_r(v, 4) for _, v in items][::-1], "barWidth": 12,
                    "itemStyle": {"color": "#0891b2", "borderRadius": [0, 6, 6, 0]}}]})


# -- pages -------------------------------------------------------------------------------------
def overview(ws: Workspace, manager: JobManager) -> dict[str, Any]:
    board = ws.leaderboards()
    counts = ws.web.counts()
    counts["results"] = ws.n_results()
    recent, _ = ws.web.list_runs(limit=8, count_results=False)
    jobs = ws.web.jobs(limit=5)
    leaders = [m for m in board["models"] if m["capability"]["score"] is not None]
    fastest = sorted((m for m in board["models"] if (m.get("speed") or {}).get("ttft_p50_s")),
                     key=lambda m: m["speed"]["ttft_p50_s"])[:5]
    return {"counts": counts, "leaders": leaders[:10], "tie_groups": board["tie_groups"][:5],
            "fastest": [{"model": m["model"], **m["speed"]} for m in fastest],
            "recent": [run_item(r) for r in recent], "jobs": [job_item(j) for j in jobs],
            "cap_chart": interval_chart(leaders[:15]), "n_models": len(board["models"])}


def leaderboards(ws: Workspace, dimension: str | None = None) -> dict[str, Any]:
    """The boards, ranked by ``dimension`` when one is given (404 when it is not measured:
    the overall board under a mistyped name would read as that dimension's)."""
    board = ws.leaderboards()
    models = board["models"]
    if dimension and dimension not in board["dimensions"]:
        raise unknown("dimension", dimension, board["dimensions"],
                      where=" among the measured dimensions")
    if dimension:
        ranked = sorted((m for m in models if m["dimensions"].get(dimension)),
                        key=lambda m: -(m["dimensions"][dimension]["score"] or 0))
        rows = [{"model": m["model"], "capability": m["dimensions"][dimension]} for m in ranked]
    else:
        rows = [m for m in models if m["capability"]["score"] is not None]
    speed = [m for m in models if m.get("speed")]
    speed.sort(key=lambda m: (m["speed"]["ttft_p50_s"] is None, m["speed"]["ttft_p50_s"] or 0))
    priced = [m for m in models if m["price"]["blended_per_1m"] is not None]
    priced.sort(key=lambda m: m["price"]["blended_per_1m"])
    value = [m for m in models if m.get("score_per_yuan") is not None]
    value.sort(key=lambda m: -m["score_per_yuan"])
    safety = [m for m in models if m.get("safety")]
    safety.sort(key=lambda m: -((m["safety"] or {}).get("score") or 0))
    charts = {
        "capability": interval_chart(rows),
        "speed": scatter_chart([(m["model"], (m["speed"]["ttft_p50_s"] or 0) * 1e3,
                                 m["speed"]["output_tps_p50"]) for m in speed],
                               "TTFT p50 (ms)", "tok/s"),
        "cost": bar_chart([(m["model"], m["price"]["blended_per_1m"]) for m in priced]),
        "value": scatter_chart([(m["model"], m["price"]["blended_per_1m"],
                                 100 * m["capability"]["score"]) for m in value],
                               "price / 1M", "capability %"),
        "safety": scatter_chart([(m["model"],
                                  100 * (((m["safety"] or {}).get("over_refusal") or {})
                                         .get("rate") or 0),
                                  100 * (((m["safety"] or {}).get("refusal") or {})
                                         .get("rate") or 0)) for m in safety],
                                "over-refusal %", "refusal %"),
    }
    return {"dimension": dimension, "dimensions": board["dimensions"], "tasks": board["tasks"],
            "capability": rows, "tie_groups": board["tie_groups"], "speed": speed,
            "cost": priced, "value": value, "safety": safety, "charts": charts,
            "method": board["method"], "runs": board["runs"]}


def leaderboards_csv(ws: Workspace) -> str:
    board = ws.leaderboards()
    head = ["rank", "model", "capability", "ci_low", "ci_high", *board["dimensions"],
            "ttft_p50_s", "output_tps_p50", "price_blended_per_1m", "currency",
            "cost_per_100_correct"]
    rows = []
    for m in board["models"]:
        cap = m["capability"]
        sp = m.get("speed") or {}
        rows.append([m["rank"], m["model"], cap["score"], cap["ci_low"], cap["ci_high"],
                     *[(m["dimensions"].get(d) or {}).get("score") for d in board["dimensions"]],
                     sp.get("ttft_p50_s"), sp.get("output_tps_p50"),
                     m["price"]["blended_per_1m"], m["currency"], m["cost_per_100_correct"]])
    return csv_text(head, rows)


def resolve_run(ws: Workspace, ref: str, kind: str | None = None) -> str:
    """The full id of the run ``ref`` names (an id, a unique prefix or ``latest``), of
    ``kind`` when given; else HTTP 404 naming it, with the closest run id of that kind."""
    from fastapi import HTTPException

    from baimo.errors import BaimoError, NotFound

    noun = f"{kind} run" if kind else "run"
    hint = f"List them with GET /api/v1/runs{'?kind=' + kind if kind else ''} or 'baimo runs " \
           "list'."
    try:
        rid = ws.store.runs.resolve(ref)
    except NotFound:
        ids = [v[0] for v in ws.web.run_versions() if kind is None or v[1] == kind]
        raise unknown(noun, ref, ids, hint=hint, listed=5) from None
    except BaimoError as exc:  # a prefix of several runs
        raise HTTPException(404, str(exc)) from None
    # Read after resolving (a run created meanwhile, by a job, is then known too).
    other = ws.store.runs.get(rid).kind
    if kind is not None and other != kind:
        article = "an" if other[:1] in ("a", "e", "i", "o", "u") else "a"
        raise HTTPException(404, f"run '{rid}' is {article} {other} run, not a {noun}. {hint}")
    return rid


def run_detail(ws: Workspace, run_id: str, *, model: str | None, task: str | None,
               status: str | None, category: str | None, q: str | None, page: int,
               size: int) -> dict[str, Any]:
    """One run's summary and a page of its samples; a ``model`` or ``task`` filter the run
    did not measure is a 404 (an empty page would read as "no such samples")."""
    rid = resolve_run(ws, run_id)
    rec = ws.store.runs.get(rid)
    summary: list[dict[str, Any]] = []
    if rec.kind == "eval":
        stats = ws.run_stats(rid)
        where = f" in run '{rid}'"
        if model and model not in (names := sorted({st.model for st in stats})):
            raise unknown("model", model, names, where=where)
        if task and task not in (names := sorted({st.task for st in stats})):
            raise unknown("task", task, names, where=where)
        if status and status not in STATUSES:
            raise unknown("status", status, list(STATUSES), where=" for samples")
        if category and category not in (names := sorted({st.category for st in stats
                                                            if st.category})):
            raise unknown("category", category, names, where=where)
        for st in stats:
            summary.append({"model": st.model, "task": st.task, "category": st.category,
                            "n": st.n, "scored": st.scored, "correct": st.correct,
                            "errors": st.errors, "cost": st.cost, "currency": st.currency})
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for s in summary:
            k = (s["model"], s["task"])
            m = merged.setdefault(k, {"model": s["model"], "task": s["task"], "n": 0,
                                      "scored": 0, "correct": 0.0, "errors": 0, "cost": 0.0,
                                      "currency": s["currency"]})
            for f in ("n", "scored", "correct", "errors", "cost"):
                m[f] += s[f]
        from baimo.stats import wilson

        for m in merged.values():
            m["accuracy"] = m["correct"] / m["scored"] if m["scored"] else None
            lo, hi = wilson(m["correct"], m["scored"]) if m["scored"] else (None, None)
            m["ci_low"], m["ci_high"] = lo, hi
        summary = sorted(merged.values(), key=lambda m: (m["model"], m["task"]))
        known = None if q else ws.count(rid, model=model or None, task=task or None,
                                        category=category or None, status=status or None)
        samples, total = ws.web.samples(rid, model=model or None, task=task or None,
                                        status=status or None, category=category or None,
                                        q=q or None, offset=(page - 1) * size, limit=size,
                                        total=known)
        facets = {"model": sorted({st.model for st in stats}),
                  "task": sorted({st.task for st in stats}),
                  "category": sorted({st.category for st in stats if st.category})[:200],
                  "status": list(STATUSES)}
    else:
        samples, total, facets = [], 0, {}
    last = max(1, math.ceil(total / size))
    return {"run": {"id": rec.id, "kind": rec.kind, "status": rec.status,
                    "created_at": rec.created_at, "finished_at": rec.finished_at,
                    "command": rec.command, "models": [
                        {"name": m.model_name, "status": m.status, "reason": m.reason}
                        for m in rec.models]},
            "summary": summary, "samples": [sample_item(s) for s in samples],
            "facets": facets, "total": total, "page": min(page, last), "pages": last,
            "filters": {"model": model, "task": task, "status": status, "category": category,
                        "q": q}}


def run_csv(ws: Workspace, run_id: str) -> Iterator[str]:
    """A run's samples as CSV, streamed in batches; every cell through ``csv_cell``."""
    rid = ws.store.runs.resolve(run_id)
    head = ["model", "task", "sample_id", "category", "status", "score", "extracted",
            "reason", "answer", "prompt_tokens", "completion_tokens", "latency_s", "cost",
            "currency"]
    yield csv_text(head, [])
    for page in ws.web.iter_samples(rid):
        rows = [[s.model, s.task, s.sample_id, s.category, s.status, s.score, s.extracted,
                 s.reason, s.answer, s.prompt_tokens, s.completion_tokens, s.latency_s,
                 s.cost, s.currency] for s in page]
        yield csv_text(head, rows).split("\r\n", 1)[1]


def compare(ws: Workspace, *, task: str | None, models: Sequence[str], status: str | None,
            category: str | None, diff: bool, page: int, size: int) -> dict[str, Any]:
    """Samples × models on one task. A task or model the store has not measured is a 404:
    dropping it silently showed an empty (or another) comparison under the name asked for."""
    tasks = ws.tasks()
    all_models = ws.web.model_names()
    if task and task not in tasks:
        raise unknown("task", task, tasks, where=" among the measured tasks")
    for m in models:
        if m not in all_models:
            raise unknown("model", m, all_models, where=" in this store")
    if status and status not in STATUSES:
        raise unknown("status", status, list(STATUSES), where=" for samples")
    if not task and tasks:
        task = tasks[0]
    chosen = list(dict.fromkeys(models))[:8]
    if not chosen and task:
        chosen = all_models[:2]
    pairs = ws.web.latest_runs_with_task(chosen, task) if task else {}
    rows, total = ws.web.compare(pairs, task or "", status=status or None,
                                 category=category or None, differences_only=diff,
                                 offset=(page - 1) * size, limit=size) if pairs else ([], 0)
    sig: list[dict[str, Any]] = []
    if task and len(pairs) > 1:
        # Paired differences depend only on the runs compared, which are immutable once
        # finished: compute them once per set of runs, whatever the page and filters.
        states = {v[0]: (v[2], v[4]) for v in ws.web.run_versions()
                  if v[0] in set(pairs.values())}
        key = ("significance", task, tuple(pairs.items()), tuple(sorted(states.items())))
        if key in ws.memo:
            sig = ws.memo[key]
        else:
            sig = ws.significance(pairs, task)
            if all(st[0] != "running" for st in states.values()):
                if len(ws.memo) > 64:
                    ws.memo.clear()
                ws.memo[key] = sig
    last = max(1, math.ceil(total / size))
    return {"task": task, "tasks": tasks, "models": list(pairs), "all_models": all_models,
            "runs": pairs, "missing": [m for m in chosen if m not in pairs],
            "categories": ws.web.categories(pairs, task or "") if pairs else [],
            "rows": [{"sample_id": sid, "category": cat,
                      "cells": [sample_item(c) for c in cells]} for sid, cat, cells in rows],
            "significance": sig, "total": total, "page": min(page, last), "pages": last,
            "filters": {"status": status, "category": category, "diff": diff}}


def perf(ws: Workspace, runs: Sequence[str]) -> dict[str, Any]:
    """The perf report's sections for the chosen runs (default: the newest perf run)."""
    from baimo.perf import level_summaries
    from baimo.reports.html import Report
    from baimo.reports.perf import perf_sections

    perf_runs, _ = ws.web.list_runs(kind="perf", limit=100)
    # Each run asked for must be a perf run (any id prefix, as on the command line): a
    # mistyped one was dropped, and the page showed the newest run under the name asked for.
    wanted = list(dict.fromkeys(resolve_run(ws, r, "perf") for r in runs)) or \
        ([perf_runs[0].id] if perf_runs else [])
    # A finished run's charts cannot change: build them once (the perf report recomputes
    # every distribution from the request rows, which is the slow part).
    versions = {v[0]: v for v in ws.web.run_versions()}
    state = tuple((rid, versions[rid][2], versions[rid][4]) for rid in wanted)
    key = ("perf", state)
    if key in ws.memo and all(st[1] != "running" for st in state):
        return dict(ws.memo[key])
    sections: list[dict[str, Any]] = []
    if wanted:
        recs = [ws.store.runs.get(r) for r in wanted]
        rows = ws.store.perf.requests(wanted)
        report = Report("perf")
        perf_sections(report, recs, rows, levels=level_summaries(ws.store, wanted) or None)
        for s in report.sections:
            sections.append({"title": s.title,
                             "charts": [{"id": cid, "option": safe_option(opt), "height": h}
                                        for cid, opt, h in s.charts]})
    levels = [{"run_id": rid, "model": model, "level": level,
               "ttft_p50_s": ((summ.get("metrics") or {}).get("ttft_s") or {}).get("p50"),
               "ttft_p99_s": ((summ.get("metrics") or {}).get("ttft_s") or {}).get("p99"),
               "itl_p50_s": ((summ.get("metrics") or {}).get("itl_s") or {}).get("p50"),
               "e2e_p50_s": ((summ.get("metrics") or {}).get("e2e_s") or {}).get("p50"),
               "output_tps": (summ.get("throughput") or {}).get("output_tokens_per_s"),
               "rpm": (summ.get("rate") or {}).get("rpm"),
               "errors": (summ.get("counts") or {}).get("errors"),
               "goodput": (summ.get("goodput") or {}).get("requests_per_s"),
               "client_limited": ((summ.get("client") or {}).get("limited"))}
              for rid, model, level, _p, _k, _v, summ in ws.web.perf_levels(wanted)]
    out = {"runs": [run_item(r) for r in perf_runs], "selected": wanted, "levels": levels,
           "sections": sections}
    if len(ws.memo) > 64:
        ws.memo.clear()
    ws.memo[key] = out
    return dict(out)


_CRITERIA = ("capability", "speed", "cost", "safety")


def decide(ws: Workspace, *, scenario: str | None, weights: Mapping[str, float | None],
           max_price: float | None, max_ttft: float | None, lang: str) -> dict[str, Any]:
    from baimo.advise import (
        CriteriaSpec,
        ModelMeasurements,
        Profile,
        advise,
        builtin_scenarios,
    )
    from baimo.reports.decision import (
        ParetoInput,
        pareto_option,
        rank_acceptability_option,
        rank_flow_option,
    )
    from baimo.scores.sensitivity import linear_sensitivity

    # The advice is a pure function of the measurements and the form: reuse it while no run
    # has changed (the sensitivity analysis draws random weightings, the costly part).
    board = ws.leaderboards()
    key = ("decide", id(board), scenario, tuple(sorted(weights.items())), max_price, max_ttft,
           lang)
    if key in ws.memo and ws.memo[key][0] is board:
        return {**ws.memo[key][1], "scores": _stored_scores(ws)}
    scenarios = builtin_scenarios()
    base = scenarios.get(scenario or "") or next(iter(scenarios.values()))
    custom = {k: v for k, v in weights.items() if v is not None}
    if custom and sum(custom.values()) > 0:
        crit = CriteriaSpec(weights={k: float(v) for k, v in custom.items()})
    else:
        crit = base.criteria
    cons = base.constraints.model_copy(update={
        **({"max_price_per_1m": max_price} if max_price is not None else {}),
        **({"max_ttft_p95_s": max_ttft} if max_ttft is not None else {})})
    profile = Profile(id=base.id, name_zh=base.name_zh, name_en=base.name_en,
                      description=base.description, quote=base.quote, source=base.source,
                      examples=base.examples, criteria=crit, constraints=cons,
                      blend_input_share=base.blend_input_share,
                      speed_ttft_share=base.speed_ttft_share)
    inputs: list[ModelMeasurements] = []
    for m in board["models"]:
        metrics: dict[str, float] = {}
        if m["capability"]["score"] is not None:
            metrics["capability"] = float(m["capability"]["score"])
        sp = m.get("speed") or {}
        if sp.get("ttft_p95_s") is not None:
            metrics["ttft_p95_s"] = float(sp["ttft_p95_s"])
        if sp.get("output_tps_p50") is not None:
            metrics["output_tps"] = float(sp["output_tps_p50"])
        pr = m["price"]
        if pr["input_per_1m"] is not None and pr["output_per_1m"] is not None:
            metrics["price_in_per_1m"] = float(pr["input_per_1m"])
            metrics["price_out_per_1m"] = float(pr["output_per_1m"])
        if m.get("context_window"):
            metrics["context_window"] = float(m["context_window"])
        saf = (m.get("safety") or {}).get("score")
        if saf is not None:
            metrics["safety"] = float(saf)
        attrs = {"currency": str(pr["currency"])} if pr.get("currency") else {}
        inputs.append(ModelMeasurements(name=m["model"], metrics=metrics, attributes=attrs))
    error = None
    result: dict[str, Any] = {}
    charts: dict[str, Any] = {}
    try:
        adv = advise(inputs, profile)
    except ValueError as exc:
        error = str(exc)
    else:
        result = adv.to_dict()
        front = {p.name for p in adv.pareto}
        excluded = {e.name for e in adv.excluded}
        pts = []
        for m in board["models"]:
            sp = m.get("speed") or {}
            if m["capability"]["score"] is None or m["price"]["blended_per_1m"] is None \
                    or sp.get("ttft_p95_s") is None:
                continue
            pts.append(ParetoInput(m["model"], float(m["capability"]["score"]),
                                   float(m["price"]["blended_per_1m"]), float(sp["ttft_p95_s"]),
                                   "frontier" if m["model"] in front else
                                   "excluded" if m["model"] in excluded else "dominated"))
        if pts:
            charts["pareto"] = {"option": safe_option(pareto_option(pts[:60],
                                                                   currency=adv.currency)),
                                "height": 460}
        top = adv.ranked[:12]
        sens = linear_sensitivity(adv.weights, {r.name: r.criterion_scores for r in top},
                                  draws=500)
        if sens is not None:
            opt, h = rank_flow_option(sens.oat, sens.baseline, [r.name for r in top])
            charts["rank_flow"] = {"option": safe_option(opt), "height": h}
            charts["acceptability"] = {
                "option": safe_option(rank_acceptability_option(sens.acceptability)),
                "height": 120 + 28 * len(top)}
    out = {"scenario": profile.id, "scenarios": [
        {"id": p.id, "name": (p.name_zh if lang == "zh-CN" else p.name_en) or p.id,
         "weights": p.weights} for p in scenarios.values()],
        "profile": {"weights": profile.weights, "max_price": cons.max_price_per_1m,
                    "max_ttft": cons.max_ttft_p95_s, "quote": base.quote,
                    "source": base.source},
        "advice": result, "error": error, "charts": charts,
        "methodologies": _methodologies(),
        "scored": _score_measured(board),
        "scores": _stored_scores(ws)}
    if len(ws.memo) > 64:
        ws.memo.clear()
    ws.memo[key] = (board, out)
    return dict(out)


SCORED_TOP = 12
"""Models put through the ``model-selection`` methodology on the Decide page: the best by
capability (a methodology normalises over the models compared, and its charts must stay
readable)."""


def _score_measured(board: Mapping[str, Any]) -> dict[str, Any]:
    """``baimo score model-selection`` on the measured models, with its sensitivity charts.

    Inputs are the leaderboard's numbers under the keys ``scores.measured`` defines
    (``dimension:*``, ``suite:*``, ``perf:*``, ``price:*``). Computed once per state of
    the store (the Monte Carlo sensitivity is the costly part).
    """
    hit = _SCORED.get(id(board))
    if hit is not None and hit[0] is board:
        return hit[1]
    out = _score_measured_uncached(board)
    _SCORED.clear()
    _SCORED[id(board)] = (board, out)
    return out


_SCORED: dict[int, tuple[Mapping[str, Any], dict[str, Any]]] = {}


def _score_measured_uncached(board: Mapping[str, Any]) -> dict[str, Any]:
    from baimo.errors import BaimoError
    from baimo.reports.decision import score_report
    from baimo.scores.methodology import SensitivityOptions, load_methodology, score_methodology

    ranked = [m for m in board["models"] if m["capability"]["score"] is not None]
    ranked.sort(key=lambda m: -m["capability"]["score"])
    measured: dict[str, dict[str, float]] = {}
    for m in ranked[:SCORED_TOP]:
        vals: dict[str, float] = {"dimension:capability": float(m["capability"]["score"])}
        for d, v in m["dimensions"].items():
            if v.get("score") is not None:
                vals[f"dimension:{d}"] = float(v["score"])
        for t, v in m["tasks"].items():
            if v.get("accuracy") is not None:
                vals[f"suite:{t}"] = float(v["accuracy"])
        if (m.get("safety") or {}).get("score") is not None:
            vals["suite:safety"] = float(m["safety"]["score"])
        sp = m.get("speed") or {}
        for key, field in (("perf:ttft_p95", "ttft_p95_s"), ("perf:ttft_p50", "ttft_p50_s"),
                           ("perf:output_tokens_per_s", "output_tps_p50")):
            if sp.get(field) is not None and math.isfinite(sp[field]):
                vals[key] = float(sp[field])
        pr = m["price"]
        if pr["input_per_1m"] is not None and pr["output_per_1m"] is not None:
            vals["price:input_per_1m"] = float(pr["input_per_1m"])
            vals["price:output_per_1m"] = float(pr["output_per_1m"])
            vals["price:blended_per_1m"] = float(pr["blended_per_1m"])
        if m.get("context_window"):
            vals["price:context_window"] = float(m["context_window"])
        measured[m["model"]] = vals
    if len(measured) < 2:
        return {"charts": [], "ranking": [], "incomplete": {}, "error": None}
    try:
        meth = load_methodology("model-selection")
        result = score_methodology(meth, None, measured,
                                   sensitivity=SensitivityOptions(draws=500))
    except (BaimoError, ValueError) as exc:
        return {"charts": [], "ranking": [], "incomplete": {}, "error": str(exc)}
    report = score_report(result, meth)
    charts = [{"id": f"ms-{cid}", "option": safe_option(opt), "height": h}
              for sec in report.sections for cid, opt, h in sec.charts]
    return {"methodology": meth.id, "title": meth.title, "charts": charts,
            "ranking": [{"name": sc.entity, "rank": sc.rank, "overall": sc.overall}
                        for sc in result.scores],
            "incomplete": {k: list(v) for k, v in result.incomplete.items()},
            "error": None}


def _stored_scores(ws: Workspace) -> list[dict[str, Any]]:
    """The newest ``baimo score`` results (stored apart from runs, so read every time)."""
    return [{"id": s.id, "methodology": s.methodology, "method": s.method,
             "scenario": s.scenario, "created_at": s.created_at,
             "ranking": _ranking(s.result)} for s in ws.store.scores.recent(None, 10)]


def _ranking(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for row in (result.get("ranking") or result.get("ranked") or [])[:10]:
        if isinstance(row, dict):
            out.append({"name": row.get("entity") or row.get("name"),
                        "score": row.get("overall", row.get("score")), "rank": row.get("rank")})
    return out


def _methodologies() -> list[dict[str, Any]]:
    from baimo.scores.methodology import list_methodologies

    out = []
    for m in list_methodologies():
        out.append({"id": m.id, "title": m.title, "description": m.description,
                    "mode": m.combine.mode, "gates": len(m.gates),
                    "dimensions": [{"name": d.name, "name_en": d.name_en,
                                    "weight": d.weight if isinstance(d.weight, int | float)
                                    else None, "indicators": len(d.indicators)}
                                   for d in m.dimensions],
                    "source": f"{m.provenance.publisher}, {m.provenance.title} "
                              f"({m.provenance.date})"})
    return out


def landscape(*, q: str | None, page: int, size: int) -> dict[str, Any]:
    from baimo.landscape import load_catalog
    from baimo.landscape.catalog import census_report, load_census
    from baimo.reports.decision import landscape_sunburst_option, vendor_treemap_option
    from baimo.web.industries import industries_chart, load_industries

    cat = load_catalog()
    records = list(cat.records)
    if q:
        needle = q.lower()
        records = [r for r in records if needle in " ".join(
            str(x) for x in (r.id, r.vendor, r.vendor_en, r.model, r.model_en, r.family,
                             r.industry, r.region, *r.aliases) if x).lower()]
    total = len(records)
    last = max(1, math.ceil(total / size))
    page = min(page, last)
    shown = records[(page - 1) * size: page * size]
    census = census_report(load_census()).to_dict()
    ind = load_industries(cat)
    return {"q": q, "total": total, "page": page, "pages": last,
            "records": [{"id": r.id, "vendor": r.vendor, "vendor_en": r.vendor_en,
                         "model": r.model, "model_en": r.model_en, "domain": r.domain,
                         "industry": r.industry, "stage": r.stage, "weights": r.weights,
                         "filing": r.filing, "region": r.region} for r in shown],
            "census": census, "industries": ind,
            "charts": {"map": safe_option(landscape_sunburst_option(cat.records)),
                       "vendors": safe_option(vendor_treemap_option(cat.records)),
                       "industries": safe_option(industries_chart(ind))}}


def jobs(ws: Workspace, manager: JobManager, settings: Any) -> dict[str, Any]:
    items = ws.web.jobs(limit=50)
    return {"jobs": [{**job_item(j), "progress": manager.progress(j)} for j in items],
            "models": _configured_models(manager), "suites": _suites(manager),
            "form_error": None}


def _suites(manager: JobManager) -> list[str]:
    """The suites a job may name, plugins' included: the list ``JobManager.submit`` checks
    against; with a broken models file, baimo's own."""
    try:
        return manager.known_suites()
    except Exception:  # the models file's error shows where it is used, not here
        from baimo.tasks.registry import SUITES

        return sorted(SUITES)


def _configured_models(manager: JobManager) -> list[str]:
    """The models a job may name: the very list ``JobManager.submit`` checks against."""
    try:
        return manager.known_models()
    except Exception:  # a broken models file shows as an empty choice, not a broken page
        return []
