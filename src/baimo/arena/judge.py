"""Judge battles at scale: ``baimo arena judge``.

For each prompt of a suite or task, two models answer (a stored battle, exactly like a battle
in the browser) and a judge model rules with the project's pairwise judge
(``baimo.tasks.judge.judge_pair``): asked in both orders at temperature 0, the orders'
disagreement is a tie, a reply outside the strict ``[[A]]``/``[[B]]``/``[[C]]`` format is a
``judge-parse-error``, stored as such and never rated. The judge's vote is a vote like a
human's, with role ``judge`` and voter ``judge:<model>``, so the judge leaderboard, the human
leaderboard and the calibration between them all read the same table.

Re-running the same command continues: a (task, sample, model pair) the judge has already
ruled on is skipped; one whose judge could not be heard (``error``) is judged again without
asking the two models again.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from baimo.arena.battles import comparisons, run_battle
from baimo.arena.sampling import rank_pairs
from baimo.config import ModelConfig
from baimo.errors import BaimoError
from baimo.store.battles import BattleRecord, VoteRecord
from baimo.store.store import Store
from baimo.tasks.judge import Judge, PairVerdict, judge_pair, question_text
from baimo.tasks.task import Task

__all__ = ["JudgeRunSummary", "judge_battles", "judge_voter"]

Pairing = Literal["all", "active"]
_WINNER = {"A": "model_a", "B": "model_b", "tie": "tie"}


def judge_voter(judge: Judge) -> str:
    """The voter name of a judge's votes."""
    return f"judge:{judge.name}"


@dataclass
class JudgeRunSummary:
    """What ``judge_battles`` did."""

    judge: str
    planned: int = 0
    skipped: int = 0
    battles: int = 0
    failed_battles: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    orders_disagree: int = 0
    cost: float = 0.0
    judge_cost: float = 0.0
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class _Job:
    task: Task
    sample_index: int
    a: ModelConfig
    b: ModelConfig


def _reference(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _key(task: str | None, sample: str | None, a: str, b: str) -> tuple[str, str, frozenset[str]]:
    return (task or "", sample or "", frozenset((a, b)))


async def judge_battles(store: Store, models: Sequence[ModelConfig], tasks: Sequence[Task],
                        judge: Judge, *, pairing: Pairing = "all", battles: int | None = None,
                        seed: int = 0, concurrency: int = 8, suite: str | None = None,
                        on_progress: Callable[[JudgeRunSummary], None] | None = None
                        ) -> JudgeRunSummary:
    """Run judge battles on every prompt of ``tasks`` and store battles and verdicts.

    Args:
        models: At least two models.
        tasks: Where the prompts come from (each sample is a prompt).
        judge: The judge (temperature 0 forced by ``Judge``).
        pairing: ``all`` pairs on every prompt, or ``active``: ``battles`` battles, each
            prompt given to the pair that most reduces the leaderboard's uncertainty.
        battles: At most this many battles (required for ``active``).
        seed: Order of sides and of prompts.
        concurrency: Battles in flight at once (each endpoint's own limits still apply).
    """
    names = [m.name for m in models]
    if len(set(names)) < 2:
        raise BaimoError("arena judge needs at least two different models (--models)")
    if pairing == "active" and not battles:
        raise BaimoError("--pairing active needs --battles N (how many battles to run)")
    rng = random.Random(seed)
    voter = judge_voter(judge)
    summary = JudgeRunSummary(judge.name)
    stored = [b for b in store.battles.recent(10**9, origin="judge")]
    votes = store.battles.votes(battle_ids=[b.id for b in stored])
    done_keys = set()
    retry: dict[tuple[str, str, frozenset[str]], BattleRecord] = {}
    by_id = {b.id: b for b in stored}
    for v in votes:
        if v.voter != voter or v.battle_id not in by_id:
            continue
        b = by_id[v.battle_id]
        key = _key(b.task, b.sample_id, b.model_a, b.model_b)
        if v.status == "error":
            retry[key] = b
        else:
            done_keys.add(key)
    samples = [(t, i) for t in tasks for i in range(len(t.samples))]
    rng.shuffle(samples)
    lock = asyncio.Semaphore(max(1, concurrency))

    async def one(job: _Job) -> None:
        async with lock:
            await _one(store, job, judge, voter, summary, retry, rng, suite)
        if on_progress is not None:
            on_progress(summary)

    if pairing == "all":
        jobs = []
        for (task, i), (x, y) in itertools.product(samples, itertools.combinations(models, 2)):
            s = task.samples[i]
            if _key(task.name, s.id, x.name, y.name) in done_keys:
                summary.skipped += 1
                continue
            jobs.append(_Job(task, i, *((x, y) if rng.random() < 0.5 else (y, x))))
        jobs = jobs[:battles] if battles else jobs
        summary.planned = len(jobs)
        await asyncio.gather(*(one(j) for j in jobs))
        return summary
    assert battles is not None
    by_name = {m.name: m for m in models}
    pool = iter(samples * max(1, -(-battles // max(1, len(samples)))))
    summary.planned = battles
    remaining = battles
    while remaining > 0:
        ours = [v for v in store.battles.votes(role="judge") if v.voter == voter]
        judged = store.battles.all({v.battle_id for v in ours})
        ranked = rank_pairs(comparisons(judged, ours, "judge"), names)
        batch = min(remaining, max(1, concurrency))
        jobs = []
        for pc in itertools.islice(itertools.cycle(ranked[:batch]), batch):
            task, i = next(pool)
            ca, cb = by_name[pc.model_a], by_name[pc.model_b]
            jobs.append(_Job(task, i, *((ca, cb) if rng.random() < 0.5 else (cb, ca))))
        await asyncio.gather(*(one(j) for j in jobs))
        remaining -= batch
    return summary


async def _one(store: Store, job: _Job, judge: Judge, voter: str, summary: JudgeRunSummary,
               retry: dict[tuple[str, str, frozenset[str]], BattleRecord], rng: random.Random,
               suite: str | None) -> None:
    sample = job.task.samples[job.sample_index]
    key = _key(job.task.name, sample.id, job.a.name, job.b.name)
    battle = retry.get(key)
    messages = [dict(m) for m in sample.messages]
    if battle is None:
        battle = await run_battle(
            store, job.a, job.b, messages, origin="judge", prompt_source="suite",
            params=job.task.params or None, suite=suite, task=job.task.name,
            sample_id=sample.id, category=sample.category,
            language=str(sample.metadata.get("language") or "") or None)
        summary.battles += 1
        summary.cost += battle.cost_a + battle.cost_b
    if battle.status != "answered":
        summary.failed_battles += 1
        summary.failures.append(f"{battle.id}: {battle.error}")
        return
    verdict = await judge_pair(judge, question_text(messages), battle.answers("a")[-1],
                               battle.answers("b")[-1], _reference(sample.reference))
    _record(store, battle, verdict, voter, summary)


def _record(store: Store, battle: BattleRecord, verdict: PairVerdict, voter: str,
            summary: JudgeRunSummary) -> None:
    details = {k: v for k, v in verdict.details.items() if k != "orders"}
    details["orders"] = verdict.details.get("orders", [])
    details["verdicts"] = list(verdict.verdicts)
    winner = _WINNER[verdict.winner] if verdict.winner is not None else None
    store.battles.vote(VoteRecord(battle.id, voter, "judge", verdict.status,
                                  winner if verdict.status == "ok" else None,
                                  details=details))
    summary.verdicts[verdict.status] = summary.verdicts.get(verdict.status, 0) + 1
    summary.orders_disagree += int(bool(verdict.details.get("orders_disagree")))
    summary.judge_cost += float(verdict.details.get("cost", 0.0) or 0.0)
    if verdict.status == "error":
        summary.failures.append(f"{battle.id}: judge: {verdict.error}")
        if verdict.fatal:
            raise BaimoError(f"the judge cannot be asked: {verdict.error}")
