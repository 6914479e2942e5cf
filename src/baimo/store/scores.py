"""Stored ``baimo score`` results (``score_results``): appended, never updated."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from baimo import __version__
from baimo.errors import NotFound
from baimo.store import schema
from baimo.store.codec import dumps, loads
from baimo.store.records import ScoreRecord
from baimo.store.sql import Row


def _score(row: Row) -> ScoreRecord:
    return ScoreRecord(
        id=row["id"], methodology=row["methodology"],
        methodology_sha256=row["methodology_sha256"], method=row["method"],
        scenario=row["scenario"], created_at=float(row["created_at"]), command=row["command"],
        inputs=loads(row["inputs_json"]) or {}, result=loads(row["result_json"]) or {},
        baimo_version=row["baimo_version"])


class ScoreRepository:
    """Appends and reads of score results."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def add(self, *, methodology: str, methodology_sha256: str, method: str,
            scenario: str | None, inputs: Mapping[str, Any], result: Mapping[str, Any],
            command: str = "") -> str:
        """Append a result; returns its new id (``score-<time>-<random>``)."""
        score_id = "score-" + time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        with self.engine.begin() as conn:
            conn.execute(schema.score_results.insert().values(
                id=score_id, methodology=methodology, methodology_sha256=methodology_sha256,
                method=method, scenario=scenario, created_at=time.time(), command=command,
                inputs_json=dumps(dict(inputs)), result_json=dumps(dict(result)),
                baimo_version=__version__))
        return score_id

    def recent(self, methodology: str | None = None, limit: int = 50) -> list[ScoreRecord]:
        """Stored results, newest first (of one methodology when given)."""
        t = schema.score_results
        q = sa.select(t).order_by(t.c.created_at.desc()).limit(limit)
        if methodology is not None:
            q = q.where(t.c.methodology == methodology)
        with self.engine.connect() as conn:
            return [_score(r) for r in conn.execute(q).mappings()]

    def get(self, ref: str) -> ScoreRecord:
        """One result by id or unique prefix.

        Raises:
            NotFound: No (or more than one) result matches.
        """
        t = schema.score_results
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t).where(t.c.id.startswith(ref, autoescape=True))
                                ).mappings().all()
        if len(rows) != 1:
            raise NotFound(f"{'no' if not rows else len(rows)} stored score result(s) match "
                           f"'{ref}'. List them with: baimo score history")
        return _score(rows[0])
