"""Perf runs' measurements: one row per request (``perf_requests``) and per load level
(``perf_levels``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from baimo.store import schema
from baimo.store.codec import dumps, loads
from baimo.store.records import PerfLevelRecord, PerfRequestRecord
from baimo.store.sql import CHUNK, Row


def _request_row(r: PerfRequestRecord) -> dict[str, Any]:
    d = asdict(r)
    d.pop("id")
    d["chunk_times_json"] = dumps(d.pop("chunk_times"))
    tokens = d.pop("chunk_tokens")
    d["chunk_tokens_json"] = dumps(tokens) if tokens is not None else None
    return d


def _request(row: Row) -> PerfRequestRecord:
    d = dict(row)
    times = loads(d.pop("chunk_times_json")) or []
    tokens = d.pop("chunk_tokens_json")
    d["usage_from_server"] = None if d["usage_from_server"] is None else bool(
        d["usage_from_server"])
    return PerfRequestRecord(**d, chunk_times=[float(t) for t in times],
                             chunk_tokens=loads(tokens) if tokens else None)


def _level(row: Row) -> PerfLevelRecord:
    return PerfLevelRecord(
        id=int(row["id"]), run_id=row["run_id"], model_name=row["model_name"],
        level=row["level"], position=int(row["position"]), load_kind=row["load_kind"],
        load_value=float(row["load_value"]), started_at=float(row["started_at"]),
        client_limited=bool(row["client_limited"]), summary=loads(row["summary_json"]) or {})


class PerfRepository:
    """Writes and reads of perf requests and level summaries."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def write_requests(self, rows: Sequence[PerfRequestRecord]) -> None:
        """Append one level's request rows in one transaction."""
        if rows:
            with self.engine.begin() as conn:
                conn.execute(schema.perf_requests.insert(), [_request_row(r) for r in rows])

    def requests(self, run_ids: Sequence[str]) -> list[PerfRequestRecord]:
        """Every request row of the given runs, in write order."""
        t = schema.perf_requests
        out: list[PerfRequestRecord] = []
        with self.engine.connect() as conn:
            for i in range(0, len(run_ids), CHUNK):
                out += [_request(r) for r in conn.execute(sa.select(t).where(
                    t.c.run_id.in_(list(run_ids[i:i + CHUNK]))).order_by(t.c.id)).mappings()]
        out.sort(key=lambda r: r.id)
        return out

    def write_level(self, level: PerfLevelRecord) -> None:
        """Store a level's summary: the one record that keeps the client's health verdict."""
        d = asdict(level)
        d.pop("id")
        d["summary_json"] = dumps(d.pop("summary"))
        with self.engine.begin() as conn:
            conn.execute(schema.perf_levels.insert().values(**d))

    def levels(self, run_ids: Sequence[str]) -> list[PerfLevelRecord]:
        """Stored level summaries of the given runs, in the order of ``run_ids``, then model
        and sweep position."""
        t = schema.perf_levels
        with self.engine.connect() as conn:
            rows = [_level(r) for r in conn.execute(sa.select(t).where(
                t.c.run_id.in_(list(run_ids)))).mappings()]
        order = {rid: i for i, rid in enumerate(run_ids)}
        rows.sort(key=lambda r: (order.get(r.run_id, 0), r.model_name, r.position))
        return rows
