"""Judging a stored run: one judge's pairwise verdicts on two models' answers.

This is run-level work (it reads a run's answers and stores verdicts), so it lives in
``runs/`` beside the eval runner; the judge itself, its prompts and its parsing live in
``tasks/judge.py``, which knows nothing about the store.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baimo.errors import BaimoError, NotFound
from baimo.stats import wilson
from baimo.store.records import JudgementRecord, ResultRecord
from baimo.store.store import Store
from baimo.tasks.judge import (
    Judge,
    LanguageOpt,
    PairVerdict,
    get_prompt,
    judge_pair,
    pick_language,
    question_text,
    reference_text,
)

__all__ = ["PairwiseOutcome", "judge_run_pairwise", "stored_judgements"]


@dataclass
class PairwiseOutcome:
    """Verdicts of one judge on two models' answers in one run.

    The win rate counts a tie as half a win (as Bradley–Terry ratings do, MEASURE.md §3) and
    is computed over judged pairs only: parse errors and judge errors are excluded and
    counted on their own.
    """

    run_id: str
    model_a: str
    model_b: str
    judge: str
    shared: int
    wins: int = 0
    ties: int = 0
    losses: int = 0
    parse_errors: int = 0
    errors: int = 0
    reused: int = 0
    cost: float = 0.0
    currency: str = "CNY"
    prompts: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def judged(self) -> int:
        return self.wins + self.ties + self.losses

    @property
    def win_rate(self) -> float | None:
        return (self.wins + 0.5 * self.ties) / self.judged if self.judged else None

    @property
    def ci(self) -> tuple[float, float] | None:
        """Wilson 95% interval of the win rate (None with nothing judged)."""
        return wilson(self.wins + 0.5 * self.ties, self.judged) if self.judged else None

    def summary(self) -> dict[str, Any]:
        ci = self.ci
        return {"run_id": self.run_id, "model_a": self.model_a, "model_b": self.model_b,
                "judge": self.judge, "shared": self.shared, "judged": self.judged,
                "wins": self.wins, "ties": self.ties, "losses": self.losses,
                "parse_errors": self.parse_errors, "errors": self.errors,
                "reused": self.reused, "win_rate": self.win_rate,
                "ci_low": ci[0] if ci else None, "ci_high": ci[1] if ci else None,
                "judge_cost": self.cost, "currency": self.currency, "prompts": self.prompts}


def _task_references(store: Store, run_id: str) -> dict[tuple[str, str], str]:
    """Reference answers of a run's file-based tasks, when the files still match the run.

    Best effort: a task whose file is gone, no longer loads, or changed version since the run
    gives no references (the judge then compares without one).
    """
    from baimo.tasks.task import load_task

    out: dict[tuple[str, str], str] = {}
    for t in store.runs.get(run_id).spec.get("tasks", []):
        path = (t.get("spec") or {}).get("file")
        if not path or not Path(path).exists():
            continue
        try:
            task = load_task(Path(path))
        except BaimoError:
            continue
        if task.name != t.get("name") or task.version != t.get("version"):
            continue
        for s in task.samples:
            ref = reference_text(s.reference)
            if ref is not None:
                out[(task.name, s.id)] = ref
    return out


async def judge_run_pairwise(store: Store, run: str, model_a: str, model_b: str,
                             judge: Judge, *, task: str | None = None,
                             language: LanguageOpt = "auto", use_reference: bool = True
                             ) -> PairwiseOutcome:
    """Judge every sample both models answered in a run, and store the verdicts.

    Verdicts already stored for the same run, pair, sample, judge and prompt are reused
    (the judge is asked each question once); stored ``error`` verdicts are asked again.

    Args:
        store: The store holding the run.
        run: Run id, unique prefix or ``latest``.
        model_a: The model whose win rate is reported.
        model_b: Its opponent.
        judge: The judge.
        task: Only this task of the run.
        language: Prompt language; ``auto`` picks it per question.
        use_reference: Show the judge the task's reference answers when the task file is
            still there and unchanged.

    Raises:
        NotFound: The run, a model or the task is not in the run.
        BaimoError: The two models are the same.
    """
    run_id = store.runs.resolve(run)
    if model_a == model_b:
        raise BaimoError("--model-a and --model-b must be two different models")
    rows = store.runs.results([run_id])
    present = sorted({r.model_name for r in rows})
    for m in (model_a, model_b):
        if m not in present:
            raise NotFound(f"run {run_id} has no results for model '{m}'. Models in the "
                           f"run: {', '.join(present) or '(none)'}")
    if task is not None:
        tasks = sorted({r.task for r in rows})
        if task not in tasks:
            raise NotFound(f"run {run_id} has no task '{task}'. Tasks in the run: "
                           f"{', '.join(tasks)}")
    answered: dict[str, dict[tuple[str, str], ResultRecord]] = {model_a: {}, model_b: {}}
    for r in rows:
        if r.model_name in answered and r.status != "error" and \
                (task is None or r.task == task):
            answered[r.model_name][(r.task, r.sample_id)] = r
    shared = sorted(set(answered[model_a]) & set(answered[model_b]))
    keys = [answered[m][s].key for s in shared for m in (model_a, model_b)]
    responses = store.responses.get_many(keys)
    references = _task_references(store, run_id) if use_reference else {}
    out = PairwiseOutcome(run_id, model_a, model_b, judge.name, len(shared),
                          currency=judge.currency)
    existing = store.judgements.for_pair(run_id, model_a, model_b, judge.identity)

    async def one(sample: tuple[str, str]) -> tuple[tuple[str, str], PairVerdict | None,
                                                     JudgementRecord | None, str]:
        ra = responses.get(answered[model_a][sample].key)
        rb = responses.get(answered[model_b][sample].key)
        if ra is None or rb is None:
            return sample, None, None, "stored response missing"
        request = ra.request or {}
        question = question_text(request.get("messages") or [])
        lang = pick_language(language, question)
        prompt = get_prompt("pairwise", lang)
        stored = existing.get((sample[0], sample[1], prompt.hash))
        if stored is not None and stored.status != "error":
            return sample, None, stored, ""
        verdict = await judge_pair(judge, question, ra.text, rb.text,
                                   references.get(sample), language=lang)
        return sample, verdict, None, ""

    results = await asyncio.gather(*(one(s) for s in shared))
    new_rows: list[JudgementRecord] = []
    now = time.time()
    for sample, verdict, stored, missing in results:
        if missing:
            out.errors += 1
            out.rows.append({"task": sample[0], "sample_id": sample[1], "status": "error",
                             "winner": None, "reason": missing})
            continue
        if stored is not None:
            out.reused += 1
            row = stored
        else:
            assert verdict is not None
            info = verdict.prompt_info
            row = JudgementRecord(
                run_id=run_id, task=sample[0], sample_id=sample[1], mode="pairwise",
                model_a=model_a, model_b=model_b, judge_model=judge.name,
                judge_identity=judge.identity, prompt_id=info["prompt_id"],
                prompt_version=info["prompt_version"], prompt_hash=info["prompt_hash"],
                status=verdict.status, winner=verdict.winner,
                verdict_1=verdict.verdicts[0], verdict_2=verdict.verdicts[1],
                cost=float(verdict.details.get("cost", 0.0)), currency=judge.currency,
                details=verdict.details, created_at=now)
            new_rows.append(row)
            out.cost += row.cost
        out.prompts[row.prompt_hash] = {"prompt_id": row.prompt_id,
                                        "prompt_version": row.prompt_version}
        status, winner = row.status, row.winner
        if status == "error":
            out.errors += 1
        elif status == "judge-parse-error":
            out.parse_errors += 1
        elif winner == "A":
            out.wins += 1
        elif winner == "B":
            out.losses += 1
        else:
            out.ties += 1
        out.rows.append({"task": sample[0], "sample_id": sample[1], "status": status,
                         "winner": winner, "verdicts": [row.verdict_1, row.verdict_2]})
    store.judgements.write(new_rows)
    return out


def stored_judgements(store: Store, run: str) -> list[JudgementRecord]:
    """Every stored verdict of a run, oldest first."""
    return store.judgements.for_run(store.runs.resolve(run))
