"""Small SQL helpers shared by the repositories (dialect differences live here)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
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
    if conn.dialect.name == "sqlite":
        plan = sqlite_insert_plan(conn.dialect, table, rows)
        if plan is not None:
            conn.exec_driver_sql(*plan)
            return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).on_conflict_do_nothing(index_elements=list(index))
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).on_conflict_do_nothing()
    conn.execute(stmt, list(rows))


def sqlite_insert_plan(dialect: sa.Dialect, table: sa.Table, rows: Sequence[Mapping[str, Any]]
                       ) -> tuple[str, list[tuple[Any, ...]]] | None:
    """The SQL of ``insert_ignore`` on SQLite and its parameters for ``rows``, for a DBAPI
    cursor's ``executemany``; None when SQLAlchemy must bind them (rows with different keys,
    or a column default it computes)."""
    keys = rows[0].keys()
    if not all(r.keys() == keys for r in rows):
        return None
    fast = _sqlite_insert(dialect, table, tuple(keys))
    if fast is None:
        return None
    sql, values = fast
    return sql, [values(r) for r in rows]


@functools.lru_cache(maxsize=64)
def _sqlite_insert(dialect: sa.Dialect, table: sa.Table, keys: tuple[str, ...]
                   ) -> tuple[str, Callable[[Mapping[str, Any]], tuple[Any, ...]]] | None:
    """The SQL of ``insert_ignore`` on SQLite, and a row's parameters for it; None when the
    statement binds more than the rows' values (a column default SQLAlchemy computes).

    Why: the eval writes a small batch in every event-loop turn, and SQLAlchemy's per-row
    parameter processing of a compiled insert was most of the store's CPU per sample. The
    statement is the one SQLAlchemy compiles (same SQL); each row's values go through the
    same bind processors SQLAlchemy would apply (floats, booleans); only the per-call
    bookkeeping is skipped. Keys that are not columns are ignored, as SQLAlchemy does.
    """
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    compiled = sqlite_insert(table).on_conflict_do_nothing().compile(
        dialect=dialect, column_keys=list(keys))
    names = tuple(compiled.positiontup or ())
    if not names or not set(names) <= set(keys):
        return None
    one = len(names) == 1
    get = operator.itemgetter(*names)
    procs = [(i, f) for i, n in enumerate(names)
             if (f := table.c[n].type.dialect_impl(dialect).bind_processor(dialect)) is not None]

    def values(row: Mapping[str, Any]) -> tuple[Any, ...]:
        got = get(row)
        out: list[Any] = [got] if one else list(got)
        for i, f in procs:
            v = out[i]
            if v is not None:  # as in SQLAlchemy: a processor never sees NULL
                out[i] = f(v)
        return tuple(out)

    return str(compiled), values


Row = Mapping[Any, Any]
"""A fetched row (``sa.RowMapping``), as the record builders take it."""
