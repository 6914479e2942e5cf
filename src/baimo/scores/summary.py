"""From result rows to the numbers a report shows.

Accuracy is correct / scored, where *scored* excludes ``error`` rows (the model was never
heard) but includes ``no-answer`` and ``truncated`` (the model answered, just not usably).
Both counts are reported, so nobody has to guess which denominator a number used.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from baimo.stats import percentiles, wilson
from baimo.store.records import GRADED_STATUSES, ResultRecord, RunRecord


def newest_rows(runs: Sequence[RunRecord], rows: Sequence[ResultRecord]
                ) -> tuple[list[ResultRecord], dict[tuple[str, str], list[str]]]:
    """One row per (model, task, sample): the newest graded one (the newest, when none is
    graded: its error says why), and for each (model, task) the runs the kept rows come
    from, newest first.

    Two runs of one model on one task ask the same samples (a rerun answers from the cache),
    so counting both would count each sample twice and narrow every interval; keeping only
    the newest whole run would drop a complete run's samples for a later partial one. One
    rule for every place that reads several runs at once: the scores, the advisor, reports.
    """
    created = {r.id: r.created_at for r in runs}

    def rank(r: ResultRecord) -> tuple[bool, float, int]:
        return (r.status in GRADED_STATUSES, created.get(r.run_id, 0.0), r.id or 0)

    best: dict[tuple[str, str, str], ResultRecord] = {}
    for row in rows:
        key = (row.model_name, row.task, row.sample_id)
        kept = best.get(key)
        if kept is None or rank(row) > rank(kept):
            best[key] = row
    out = sorted(best.values(), key=lambda r: r.id or 0)
    used: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in out:
        used[(r.model_name, r.task)].add(r.run_id)
    return out, {k: sorted(ids, key=lambda i: (created.get(i, 0.0), i), reverse=True)
                 for k, ids in used.items()}


def _acc(rows: Sequence[ResultRecord]) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    scores: dict[str, float] = defaultdict(float)
    for r in rows:
        statuses[r.status] += 1
        scores[r.status] += r.score
    return accuracy(statuses, scores)


def accuracy(statuses: Mapping[str, int], scores: Mapping[str, float]) -> dict[str, Any]:
    """Accuracy and its Wilson interval from rows counted by status (``statuses``) and their
    scores summed by status (``scores``): the one rule, for rows in hand and for a run's
    tally from the store alike."""
    n = sum(k for s, k in statuses.items() if s in GRADED_STATUSES)
    total = float(sum(v for s, v in scores.items() if s in GRADED_STATUSES))
    lo, hi = wilson(total, n)
    return {"n": sum(statuses.values()), "scored": n, "correct": total,
            "statuses": {s: k for s, k in statuses.items() if k},
            "accuracy": (total / n) if n else None, "ci_low": lo if n else None,
            "ci_high": hi if n else None}


def summarize(rows: Iterable[ResultRecord]) -> dict[str, Any]:
    """Per model: overall, per task, per category, failures, tokens, latency and cost."""
    by_model: dict[str, list[ResultRecord]] = defaultdict(list)
    for r in rows:
        by_model[r.model_name].append(r)
    models: dict[str, Any] = {}
    for model, mrows in by_model.items():
        by_task: dict[str, list[ResultRecord]] = defaultdict(list)
        by_cat: dict[tuple[str, str], list[ResultRecord]] = defaultdict(list)
        for r in mrows:
            by_task[r.task].append(r)
            by_cat[(r.task, r.category or "-")].append(r)
        statuses = Counter(r.status for r in mrows)
        reasons = Counter(_reason_class(r) for r in mrows if r.status != "ok")
        answered = [r for r in mrows if r.status != "error"]
        cost = sum(r.cost for r in mrows)
        overall = _acc(mrows)
        correct = overall["correct"]
        models[model] = {
            "overall": overall,
            "tasks": {t: _acc(v) for t, v in sorted(by_task.items())},
            "categories": {f"{t}/{c}": _acc(v) for (t, c), v in sorted(by_cat.items())},
            "statuses": dict(statuses),
            "failure_reasons": dict(reasons.most_common()),
            "tokens": {
                "prompt": sum(r.prompt_tokens for r in mrows),
                "completion": sum(r.completion_tokens for r in mrows),
                "estimated": any(r.usage_estimated for r in answered),
            },
            "latency_s": percentiles([r.latency_s for r in answered
                                      if r.latency_s is not None and not r.cached]),
            "ttft_s": percentiles([r.ttft_s for r in answered
                                   if r.ttft_s is not None and not r.cached]),
            "cost": cost,
            "currency": mrows[0].currency if mrows else "CNY",
            "cost_per_100_correct": (100 * cost / correct) if correct else None,
            "cached": sum(1 for r in mrows if r.cached),
        }
    return {"models": models}


def _reason_class(row: ResultRecord) -> str:
    if row.status != "error":
        return row.status
    reason = str(row.reason or "error")
    head = reason.split(":", 1)[0]
    return f"error: {head}"
