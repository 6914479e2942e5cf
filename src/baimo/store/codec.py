"""JSON encoding of the store's ``*_json`` columns (orjson: fast, strict, byte-exact)."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(obj: Any) -> str:
    """Encode for a JSON column. Raises ``TypeError`` (orjson's error) on what JSON cannot hold,
    e.g. an integer beyond 64 bits; ``validate`` turns that into a row error naming the field."""
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()


def loads(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)
