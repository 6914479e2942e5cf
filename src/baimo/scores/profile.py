"""Capability profiles: each model's score per dimension, with intervals and significance.

A dimension's score is the macro-average of its tasks' accuracies (each task counts once,
whatever its size — as OpenCompass averages datasets). Its 95% interval comes from a
bootstrap that resamples samples within each task and recomputes the macro-average.

Two models differ *significantly* on a task when the paired bootstrap interval of their
accuracy difference over the samples both answered excludes zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from baimo.stats import is_binary, paired_bootstrap_diff, wilson
from baimo.store.records import GRADED_STATUSES, ResultRecord, RunRecord
from baimo.tasks.registry import DEFAULT_DIMENSIONS, PROFILES

ROUNDS = 1000


def task_dimensions(runs: Iterable[RunRecord], overrides: Mapping[str, str] | None = None
                    ) -> dict[str, str]:
    """Task → dimension: built-in mapping, then what each run recorded, then overrides."""
    out = dict(DEFAULT_DIMENSIONS)
    for run in runs:
        for t in run.spec.get("tasks", []):
            if t.get("dimension"):
                out[t["name"]] = t["dimension"]
    out.update(overrides or {})
    return out


def _scores_by_task(rows: Iterable[ResultRecord]) -> dict[str, dict[str, dict[str, float]]]:
    """model → task → sample_id → score (graded rows only)."""
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        if r.status in GRADED_STATUSES:
            out[r.model_name][r.task][r.sample_id] = r.score
    return out


def build_profile(rows: Iterable[ResultRecord], dims: Mapping[str, str], seed: int = 0
                  ) -> dict[str, Any]:
    """Per model: dimension → {score, ci_low, ci_high, tasks}; plus pairwise significance."""
    data = _scores_by_task(rows)
    rng = np.random.default_rng(seed)
    models: dict[str, Any] = {}
    for model, tasks in data.items():
        by_dim: dict[str, list[str]] = defaultdict(list)
        for task in tasks:
            by_dim[dims.get(task, "other")].append(task)
        prof: dict[str, Any] = {}
        for dim, task_names in by_dim.items():
            arrays = [np.fromiter(tasks[t].values(), dtype=np.float64) for t in task_names]
            arrays = [a for a in arrays if a.size]
            if not arrays:
                continue
            point = float(np.mean([a.mean() for a in arrays]))
            n_all = int(sum(a.size for a in arrays))
            if all(is_binary(a.tolist()) for a in arrays) and any(
                    a.min() == a.max() for a in arrays):
                # A task where every answer was right (or every one wrong) resamples to
                # itself: the bootstrap would claim certainty from a handful of samples.
                # Wilson's interval on the pooled count says what they can tell, and
                # agrees with the task table beside it.
                lo, hi = wilson(point * n_all, n_all)
            else:
                boots = np.zeros(ROUNDS)
                for a in arrays:
                    idx = rng.integers(0, a.size, size=(ROUNDS, a.size))
                    boots += a[idx].mean(axis=1)
                boots /= len(arrays)
                lo, hi = float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))
            prof[dim] = {"score": point, "ci_low": lo, "ci_high": hi,
                         "tasks": sorted(task_names),
                         "n": int(sum(a.size for a in arrays))}
        models[model] = prof
    return {"models": models, "dimensions": _ordered_dims(models),
            "significance": significance(data, seed)}


def _ordered_dims(models: Mapping[str, Mapping[str, Any]]) -> list[str]:
    present = {d for prof in models.values() for d in prof}
    known = [d for _, order, _ in PROFILES.values() for d in order]
    return [d for d in known if d in present] + sorted(present - set(known))


def profile_dimensions(name: str) -> dict[str, str]:
    """The task → dimension mapping of a named profile (``default``, ``xinhua``)."""
    if name not in PROFILES:
        from baimo.errors import NotFound

        raise NotFound(f"no dimension profile '{name}'. Available: {', '.join(PROFILES)}")
    return dict(PROFILES[name][0])


def significance(data: Mapping[str, Mapping[str, Mapping[str, float]]], seed: int = 0
                 ) -> list[dict[str, Any]]:
    """Paired comparisons per task for every pair of models on their shared samples."""
    out = []
    names = sorted(data)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            for task in sorted(set(data[a]) & set(data[b])):
                shared = sorted(set(data[a][task]) & set(data[b][task]))
                if len(shared) < 2:
                    continue
                diff, lo, hi = paired_bootstrap_diff(
                    [data[a][task][s] for s in shared], [data[b][task][s] for s in shared],
                    seed=seed)
                out.append({"a": a, "b": b, "task": task, "n": len(shared), "diff": diff,
                            "ci_low": lo, "ci_high": hi,
                            "significant": bool(lo > 0 or hi < 0)})
    return out
