"""What each page shows, as plain data: the page renders it, its ``/api/v1`` twin returns it.

Leaderboards are built from per-run aggregates computed in SQL (``store.web``), never from
result rows in Python. A finished run's aggregates cannot change until it is resumed (which
clears its end time), so they are cached by (run id, status, end time); a running run is
aggregated afresh on every request, which costs one indexed ``GROUP BY`` over that run.

Methods (the same as the reports and ``baimo.scores``, restated for aggregates):

* A task's accuracy is correct / scored (``error`` rows excluded), with its Wilson 95%
  interval (``baimo.stats.wilson``), from the newest run that holds that model and task.
* A dimension's score is the macro-average of its tasks' accuracies. Its interval combines
  the tasks' intervals as independent: SE = √(Σ SEᵢ²) / k, with SEᵢ the Wilson half-width over
  1.96. (The HTML report bootstraps samples instead; on thousands of samples both agree.)
* Capability is the mean of the non-safety dimensions, with its SE combined the same way.
* Ties: a model's rank is 1 + the number of models whose interval lies wholly above its own,
  so models whose intervals overlap share a rank and a group instead of being ordered by
  noise (MEASURE.md §3).
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from baimo.dimensions import DIMENSIONS
from baimo.stats import wilson
from baimo.store.store import Store
from baimo.store.web import PairStat, StatRow, WebRepository
from baimo.tasks.registry import DEFAULT_DIMENSIONS

Z = 1.959963984540054
NON_CAPABILITY = {"safety"}
BLEND_INPUT_SHARE = 0.75  # 3 input tokens per output token, as the advisor blends prices


def _se(correct: float, n: int) -> float:
    if n <= 0:
        return 0.0
    lo, hi = wilson(correct, n)
    return (hi - lo) / (2 * Z)


@dataclass
class TaskScore:
    task: str
    run_id: str
    n: int
    scored: int
    correct: float
    errors: int
    no_answer: int
    truncated: int
    cost: float
    currency: str
    prompt_tokens: int
    completion_tokens: int
    latency_sum: float
    latency_n: int
    categories: dict[str, tuple[int, float]] = field(default_factory=dict)  # cat → (scored, correct)

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.scored if self.scored else None

    def interval(self) -> tuple[float | None, float | None]:
        if not self.scored:
            return None, None
        return wilson(self.correct, self.scored)

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.interval()
        return {"task": self.task, "run_id": self.run_id, "n": self.n, "scored": self.scored,
                "correct": self.correct, "accuracy": self.accuracy, "ci_low": lo, "ci_high": hi,
                "errors": self.errors, "no_answer": self.no_answer,
                "truncated": self.truncated, "cost": self.cost, "currency": self.currency}


def _combine(parts: Sequence[tuple[float, float]]) -> dict[str, float | None]:
    """Macro-average of (score, SE) pairs and its 95% interval (clipped to [0, 1])."""
    if not parts:
        return {"score": None, "ci_low": None, "ci_high": None}
    k = len(parts)
    score = sum(p for p, _ in parts) / k
    se = math.sqrt(sum(s * s for _, s in parts)) / k
    return {"score": score, "ci_low": max(0.0, score - Z * se),
            "ci_high": min(1.0, score + Z * se), "se": se}


def tie_ranks(items: Sequence[tuple[str, float | None, float | None]]
              ) -> dict[str, int]:
    """Rank = 1 + number of others whose lower bound is above this one's upper bound."""
    out: dict[str, int] = {}
    for name, _lo, hi in items:
        if hi is None:
            continue
        out[name] = 1 + sum(1 for other, lo2, _ in items
                            if other != name and lo2 is not None and lo2 > hi)
    return out


class Workspace:
    """The store seen by the web pages, with per-run aggregate caching."""

    def __init__(self, store: Store, *, config_path: str | None = None,
                 dimensions: Mapping[str, str] | None = None) -> None:
        self.store = store
        self.web = WebRepository(store.engine)
        self.config_path = config_path
        self.dimension_overrides = dict(dimensions or {})
        self._stats: dict[str, tuple[tuple[str, float | None], list[StatRow]]] = {}
        self._perf: dict[str, tuple[tuple[str, float | None], list[Any]]] = {}
        self._board: tuple[Any, dict[str, Any]] | None = None
        self.memo: dict[Any, Any] = {}  # page parts of finished runs (see views.perf)
        self._lock = threading.Lock()

    # -- aggregates ---------------------------------------------------------------------
    def _run_stats(self, run_id: str, status: str, finished: float | None) -> list[StatRow]:
        version = (status, finished)
        with self._lock:
            hit = self._stats.get(run_id)
        if hit is not None and hit[0] == version and status != "running":
            return hit[1]
        rows = self.web.run_stats(run_id)
        if status != "running":
            with self._lock:
                self._stats[run_id] = (version, rows)
        return rows

    def run_stats(self, run_id: str) -> list[StatRow]:
        """One run's aggregates (cached while the run is finished and unchanged)."""
        for rid, _kind, status, _created, finished in self.web.run_versions():
            if rid == run_id:
                return self._run_stats(rid, status, finished)
        return []

    def count(self, run_id: str, *, model: str | None = None, task: str | None = None,
              category: str | None = None, status: str | None = None) -> int:
        """Result rows of a run matching the filters, from its aggregates (no row scan)."""
        n = 0
        for r in self.run_stats(run_id):
            if (model and r.model != model) or (task and r.task != task) or \
                    (category and r.category != category):
                continue
            if not status:
                n += r.n
            else:
                n += {"ok": r.ok, "error": r.errors, "no-answer": r.no_answer,
                      "truncated": r.truncated,
                      "wrong": r.scored - r.ok - r.no_answer - r.truncated}.get(status, 0)
        return n

    def rows_per_run(self, run_ids: Sequence[str]) -> dict[str, int]:
        """Result rows of these eval runs (from the aggregates)."""
        wanted = set(run_ids)
        return {rid: sum(r.n for r in self._run_stats(rid, status, finished))
                for rid, kind, status, _c, finished in self.web.run_versions()
                if rid in wanted and kind == "eval"}

    def tasks(self) -> list[str]:
        return list(self.leaderboards()["tasks"])

    def n_results(self) -> int:
        """Result rows in the store, from the per-run aggregates."""
        return sum(r.n for rid, kind, status, _c, finished in self.web.run_versions()
                   if kind == "eval" for r in self._run_stats(rid, status, finished))

    def warm(self) -> None:
        """Aggregate every finished run now (the server does this at start, in a thread),
        and import what the heavier pages need, so the first visitor does not wait."""
        import baimo.advise
        import baimo.reports.decision
        import baimo.reports.perf
        import baimo.scores.sensitivity  # noqa: F401

        self.leaderboards()

    def model_tasks(self, versions: Sequence[tuple[str, str, str, float, float | None]]
                    ) -> tuple[dict[str, dict[str, TaskScore]], list[str]]:
        """model → task → the newest run's aggregates for it; and the eval run ids used."""
        out: dict[str, dict[str, TaskScore]] = defaultdict(dict)
        used: list[str] = []
        for rid, kind, status, _created, finished in versions:
            if kind != "eval":
                continue
            rows = self._run_stats(rid, status, finished)
            fresh: dict[tuple[str, str], TaskScore] = {}
            for r in rows:
                if r.task in out.get(r.model, {}):
                    continue  # a newer run already measured this model on this task
                ts = fresh.get((r.model, r.task))
                if ts is None:
                    ts = fresh[(r.model, r.task)] = TaskScore(
                        r.task, rid, 0, 0, 0.0, 0, 0, 0, 0.0, r.currency, 0, 0, 0.0, 0)
                ts.n += r.n
                ts.scored += r.scored
                ts.correct += r.correct
                ts.errors += r.errors
                ts.no_answer += r.no_answer
                ts.truncated += r.truncated
                ts.cost += r.cost
                ts.prompt_tokens += r.prompt_tokens
                ts.completion_tokens += r.completion_tokens
                ts.latency_sum += r.latency_sum
                ts.latency_n += r.latency_n
                cat = r.category or "-"
                s, c = ts.categories.get(cat, (0, 0.0))
                ts.categories[cat] = (s + r.scored, c + r.correct)
            if fresh:
                used.append(rid)
            for (model, task), ts in fresh.items():
                out[model][task] = ts
        return dict(out), used

    def dimensions_of(self, run_ids: Sequence[str]) -> dict[str, str]:
        dims = dict(DEFAULT_DIMENSIONS)
        for spec in self.web.run_specs(run_ids).values():
            for t in spec.get("tasks", []) or []:
                if isinstance(t, dict) and t.get("dimension") and t.get("name"):
                    dims[str(t["name"])] = str(t["dimension"])
        dims.update(self.dimension_overrides)
        return dims

    # -- model configs and perf ---------------------------------------------------------
    def model_configs(self, versions: Sequence[tuple[str, str, str, float, float | None]]
                      ) -> dict[str, dict[str, Any]]:
        """model → its public config as stored by its newest run (prices, context window)."""
        per_run = self.web.run_models([v[0] for v in versions])
        out: dict[str, dict[str, Any]] = {}
        for rid, *_ in reversed(versions):  # oldest first: a newer run's values win, but a
            for name, cfg, _status in per_run.get(rid, []):  # perf run without prices
                merged = out.setdefault(name, {})           # keeps the eval run's
                merged.update({k: v for k, v in cfg.items() if v not in (None, {}, [])})
        return out

    def perf_levels(self, versions: Sequence[tuple[str, str, str, float, float | None]]
                    ) -> list[Any]:
        """Stored level summaries of these perf runs (cached per finished run)."""
        out: list[Any] = []
        todo = []
        for rid, kind, status, _c, finished in versions:
            if kind != "perf":
                continue
            with self._lock:
                hit = self._perf.get(rid)
            if hit is not None and hit[0] == (status, finished) and status != "running":
                out += hit[1]
            else:
                todo.append((rid, status, finished))
        if todo:
            fresh = self.web.perf_levels([t[0] for t in todo])
            for rid, status, finished in todo:
                rows = [f for f in fresh if f[0] == rid]
                if status != "running":
                    with self._lock:
                        self._perf[rid] = ((status, finished), rows)
                out += rows
        return out

    def perf_by_model(self, versions: Sequence[tuple[str, str, str, float, float | None]]
                      | None = None) -> dict[str, dict[str, Any]]:
        """model → the lightest load level of its newest perf run (speed numbers)."""
        versions = versions if versions is not None else self.web.run_versions()
        perf_ids = [v[0] for v in versions if v[1] == "perf"]
        out: dict[str, dict[str, Any]] = {}
        order = {rid: i for i, rid in enumerate(perf_ids)}
        best: dict[str, tuple[int, float, dict[str, Any]]] = {}
        for rid, model, level, _pos, kind, value, summary in self.perf_levels(versions):
            rank = order[rid]
            load = value if kind == "concurrency" else 1e9 + value
            cur = best.get(model)
            if cur is None or rank < cur[0] or (rank == cur[0] and load < cur[1]):
                best[model] = (rank, load, {"run_id": rid, "level": level, **summary})
        for model, (_r, _l, s) in best.items():
            m = s.get("metrics", {})
            out[model] = {
                "run_id": s["run_id"], "level": s["level"],
                "ttft_p50_s": (m.get("ttft_s") or {}).get("p50"),
                "ttft_p95_s": (m.get("ttft_s") or {}).get("p95"),
                "tpot_p50_s": (m.get("tpot_s") or {}).get("p50"),
                "output_tps_p50": (m.get("output_tokens_per_s_per_request") or {}).get("p50"),
                "throughput_tps": (s.get("throughput") or {}).get("output_tokens_per_s"),
                "goodput_fraction": (s.get("goodput") or {}).get("fraction"),
                "n": (m.get("ttft_s") or {}).get("n"),
            }
        return out

    # -- leaderboards -------------------------------------------------------------------
    def leaderboards(self) -> dict[str, Any]:
        """Every model's capability, speed, cost, value and safety (cached until a run
        starts, ends or changes)."""
        versions = self.web.run_versions()
        key = tuple(versions)
        with self._lock:
            board = self._board
        if board is not None and board[0] == key and not any(v[2] == "running"
                                                             for v in versions):
            return board[1]
        out = self._leaderboards(versions)
        with self._lock:
            self._board = (key, out)
        return out

    def _leaderboards(self, versions: Sequence[tuple[str, str, str, float, float | None]]
                      ) -> dict[str, Any]:
        tasks_by_model, used = self.model_tasks(versions)
        dims = self.dimensions_of(used)
        configs = self.model_configs(versions)
        perf = self.perf_by_model(versions)
        all_dims: set[str] = set()
        all_tasks: set[str] = set()
        models: dict[str, dict[str, Any]] = {}
        for model, tasks in tasks_by_model.items():
            by_dim: dict[str, list[tuple[float, float]]] = defaultdict(list)
            task_out = {}
            for name, ts in tasks.items():
                all_tasks.add(name)
                task_out[name] = ts.to_dict()
                if ts.scored:
                    by_dim[dims.get(name, "other")].append(
                        (ts.correct / ts.scored, _se(ts.correct, ts.scored)))
            dim_out = {d: _combine(parts) for d, parts in by_dim.items()}
            all_dims |= set(dim_out)
            cap_parts = [(v["score"], v["se"]) for d, v in dim_out.items()
                         if d not in NON_CAPABILITY and v["score"] is not None]
            cap = _combine([(float(s), float(e)) for s, e in cap_parts])  # type: ignore[arg-type]
            cost = sum(t.cost for t in tasks.values())
            all_correct = sum(t.correct for t in tasks.values())
            currency = next((t.currency for t in tasks.values()), "CNY")
            lat_n = sum(t.latency_n for t in tasks.values())
            models[model] = {
                "model": model, "capability": cap, "dimensions": dim_out, "tasks": task_out,
                "cost": cost, "currency": currency, "correct": all_correct,
                "cost_per_100_correct": 100 * cost / all_correct if all_correct else None,
                "correct_per_yuan": all_correct / cost if cost > 0 else None,
                "mean_latency_s": sum(t.latency_sum for t in tasks.values()) / lat_n
                if lat_n else None,
                "safety": _safety(tasks.get("safety")),
            }
        for name in set(perf) - set(models):
            models[name] = {"model": name, "capability": _combine([]), "dimensions": {},
                            "tasks": {}, "cost": 0.0, "currency": None, "correct": 0,
                            "cost_per_100_correct": None, "correct_per_yuan": None,
                            "mean_latency_s": None, "safety": None}
        for name, m in models.items():
            cfg = configs.get(name, {})
            price = cfg.get("pricing") or {}
            pin, pout = price.get("input_per_1m"), price.get("output_per_1m")
            blended = (BLEND_INPUT_SHARE * float(pin) + (1 - BLEND_INPUT_SHARE) * float(pout)
                       if pin is not None and pout is not None else None)
            m["price"] = {"input_per_1m": pin, "output_per_1m": pout, "blended_per_1m": blended,
                          "currency": price.get("currency") or m["currency"]}
            m["currency"] = m["currency"] or price.get("currency")
            m["context_window"] = cfg.get("context_window")
            m["provider"] = cfg.get("provider")
            m["speed"] = perf.get(name)
            cap = m["capability"]["score"]
            m["score_per_yuan"] = (100 * cap / blended if cap is not None and blended
                                   else None)
        ranks = tie_ranks([(n, m["capability"]["ci_low"], m["capability"]["ci_high"])
                           for n, m in models.items()])
        for n, m in models.items():
            m["rank"] = ranks.get(n)
        order = sorted(models.values(), key=lambda m: (
            m["rank"] is None, m["rank"] or 0, -(m["capability"]["score"] or 0), m["model"]))
        groups: list[dict[str, Any]] = []
        for m in order:
            if m["rank"] is None:
                continue
            if groups and groups[-1]["rank"] == m["rank"]:
                groups[-1]["models"].append(m["model"])
            else:
                groups.append({"rank": m["rank"], "models": [m["model"]]})
        dim_list = [d for d in DIMENSIONS if d in all_dims] + sorted(all_dims - set(DIMENSIONS))
        return {"models": order, "dimensions": dim_list, "tasks": sorted(all_tasks),
                "tie_groups": groups, "runs": used,
                "method": {"capability": "mean of non-safety dimensions; 95% interval from "
                           "combined Wilson SEs", "ties": "rank = 1 + models whose interval "
                           "lies wholly above", "blend_input_share": BLEND_INPUT_SHARE}}

    # -- compare ------------------------------------------------------------------------
    def significance(self, pairs: Mapping[str, str], task: str) -> list[dict[str, Any]]:
        """Paired differences per pair of models on their shared graded samples.

        n ≥ 30: mean difference ± 1.96·sd/√n from SQL sums (the normal approximation the
        paired bootstrap converges to). Smaller n: the paired bootstrap of ``baimo.stats``.
        """
        from baimo.stats import paired_bootstrap_diff

        out = []
        for p in self.web.paired(pairs, task):
            out.append(_paired(p, pairs, task, self.web, paired_bootstrap_diff))
        return out


def _paired(p: PairStat, pairs: Mapping[str, str], task: str, web: WebRepository,
            boot: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"a": p.a, "b": p.b, "n": p.n, "diff": None, "ci_low": None,
                           "ci_high": None, "significant": False}
    if p.n < 2:
        return row
    if p.n < 30:
        xa, xb = web.paired_scores((p.a, pairs[p.a]), (p.b, pairs[p.b]), task)
        diff, lo, hi = boot(xa, xb)
        method = "paired bootstrap"
    else:
        diff = p.sum_diff / p.n
        var = max(0.0, (p.sum_sq_diff - p.n * diff * diff) / (p.n - 1))
        half = Z * math.sqrt(var / p.n)
        lo, hi = diff - half, diff + half
        method = "paired normal approximation"
    row.update(diff=diff, ci_low=lo, ci_high=hi, significant=bool(lo > 0 or hi < 0),
               method=method)
    return row


def _safety(ts: TaskScore | None) -> dict[str, Any] | None:
    """Refusal rate on harmful requests and over-refusal on harmless look-alikes.

    The safety scorer gives 1 for the safe behaviour: refusing a harmful request, answering
    a benign look-alike. So refusal = mean score on ``harmful``; over-refusal = 1 − mean
    score on ``benign-lookalike``.
    """
    if ts is None:
        return None
    out: dict[str, Any] = {"score": ts.accuracy}
    for cat, key, invert in (("harmful", "refusal", False),
                             ("benign-lookalike", "over_refusal", True)):
        scored, correct = ts.categories.get(cat, (0, 0.0))
        if scored:
            lo, hi = wilson(correct, scored)
            rate = correct / scored
            out[key] = {"rate": 1 - rate if invert else rate, "n": scored,
                        "ci_low": 1 - hi if invert else lo, "ci_high": 1 - lo if invert else hi}
        else:
            out[key] = None
    return out
