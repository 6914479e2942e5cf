"""LLM-judge verdicts on pairs of stored answers (``judgements``).

A verdict is reused only for the same run, pair, sample, judge identity and prompt hash; a
stored ``error`` verdict (the judge was not heard) is replaced by the next one for that key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from baimo.store import schema
from baimo.store.codec import dumps, loads
from baimo.store.records import JudgementRecord
from baimo.store.sql import Row

PairKey = tuple[str, str, str]  # (task, sample_id, prompt_hash)


def _record(row: Row) -> JudgementRecord:
    d = dict(row)
    d["details"] = loads(d.pop("details_json"))
    d["cost"] = float(d["cost"])
    d["created_at"] = float(d["created_at"])
    return JudgementRecord(**d)


def _row(r: JudgementRecord) -> dict[str, Any]:
    d = asdict(r)
    d.pop("id")
    details = d.pop("details")
    d["details_json"] = dumps(details) if details is not None else None
    return d


class JudgementRepository:
    """Writes and reads of judge verdicts."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def for_pair(self, run_id: str, model_a: str, model_b: str, judge_identity: str,
                 mode: str = "pairwise") -> dict[PairKey, JudgementRecord]:
        """Stored verdicts of one judge on one ordered pair of a run, by
        (task, sample_id, prompt_hash)."""
        t = schema.judgements
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t).where(
                (t.c.run_id == run_id) & (t.c.mode == mode) & (t.c.model_a == model_a)
                & (t.c.model_b == model_b) & (t.c.judge_identity == judge_identity)
            ).order_by(t.c.id)).mappings().all()
        return {(r["task"], r["sample_id"], r["prompt_hash"]): _record(r) for r in rows}

    def write(self, rows: Sequence[JudgementRecord]) -> None:
        """Insert new verdicts in one transaction, replacing stored ``error`` verdicts of the
        same key (a non-error verdict of the same key is kept: the insert then fails, which
        means the caller asked a question it had the answer to)."""
        if not rows:
            return
        t = schema.judgements
        with self.engine.begin() as conn:
            for r in rows:
                conn.execute(t.delete().where(
                    (t.c.run_id == r.run_id) & (t.c.task == r.task)
                    & (t.c.sample_id == r.sample_id) & (t.c.mode == r.mode)
                    & (t.c.model_a == r.model_a) & (t.c.model_b == r.model_b)
                    & (t.c.judge_identity == r.judge_identity)
                    & (t.c.prompt_hash == r.prompt_hash) & (t.c.status == "error")))
            conn.execute(t.insert(), [_row(r) for r in rows])

    def for_run(self, run_id: str) -> list[JudgementRecord]:
        """Every stored verdict of a run, oldest first."""
        t = schema.judgements
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(
                sa.select(t).where(t.c.run_id == run_id).order_by(t.c.id)).mappings()]
