"""Small SQL helpers shared by the repositories (dialect differences live here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

# Rows per ``IN (...)`` list: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


def insert_ignore(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]],
                  index: Sequence[str]) -> None:
    """Insert rows, skipping any whose unique key ``index`` is already stored.

    Why ignore rather than fail: the same sample written
    twice (a resumed run, a cached answer) is the same fact; the first write stands.
    """
    if not rows:
        return
    stmt: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).on_conflict_do_nothing(index_elements=list(index))
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).on_conflict_do_nothing()
    conn.execute(stmt, list(rows))


Row = Mapping[Any, Any]
"""A fetched row (``sa.RowMapping``), as the record builders take it."""
