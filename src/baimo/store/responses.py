"""The response cache (``responses``): a key here is a question the model already answered.

Responses are written by ``Store.write`` together with the results that cite them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from baimo.store import schema
from baimo.store.records import ResponseRecord
from baimo.store.sql import CHUNK, Row


def response_record(row: Row) -> ResponseRecord:
    return ResponseRecord(
        key=row["key"], model_identity=row["model_identity"], request_json=row["request_json"],
        response_json=row["response_json"], text=row["text"], reasoning=row["reasoning"],
        finish_reason=row["finish_reason"], prompt_tokens=int(row["prompt_tokens"]),
        completion_tokens=int(row["completion_tokens"]),
        cached_tokens=int(row["cached_tokens"]), reasoning_tokens=int(row["reasoning_tokens"]),
        usage_estimated=bool(row["usage_estimated"]), latency_s=float(row["latency_s"]),
        ttft_s=row["ttft_s"], created_at=row["created_at"])


def response_row(resp: ResponseRecord | Mapping[str, Any], now: float) -> dict[str, Any]:
    """The column values of a response to write (``created_at`` defaults to ``now``)."""
    d = dict(vars(resp)) if isinstance(resp, ResponseRecord) else dict(resp)
    if d.get("created_at") is None:
        d["created_at"] = now
    return d


class ResponseRepository:
    """Reads of cached answers."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def get_many(self, keys: Iterable[str]) -> dict[str, ResponseRecord]:
        """Stored answers for the given keys; keys never answered are absent."""
        keys = list(dict.fromkeys(keys))
        t = schema.responses
        out: dict[str, ResponseRecord] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(keys), CHUNK):
                for row in conn.execute(sa.select(t).where(t.c.key.in_(keys[i:i + CHUNK]))
                                        ).mappings():
                    out[row["key"]] = response_record(row)
        return out

    def get(self, key: str) -> ResponseRecord | None:
        return self.get_many([key]).get(key)
