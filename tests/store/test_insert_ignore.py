"""``insert_ignore`` stores the same values whichever way it executes.

On SQLite it sends the SQL SQLAlchemy compiles with the rows' values put through the same bind
processors (``baimo.store.sql._sqlite_insert``); a batch that does not fit that shape (rows
with different keys, a column default SQLAlchemy computes) takes SQLAlchemy's own path. Both
must store exactly what SQLAlchemy's compiled insert stores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from baimo.store.sql import insert_ignore


def _table() -> tuple[sa.MetaData, sa.Table]:
    meta = sa.MetaData()
    t = sa.Table("t", meta,
                 sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                 sa.Column("k", sa.String(10), nullable=False, unique=True),
                 sa.Column("x", sa.Float), sa.Column("flag", sa.Boolean, nullable=False),
                 sa.Column("note", sa.Text, default="dflt"))
    return meta, t


def _stored(engine: sa.Engine, table: sa.Table) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT k, x, typeof(x), flag, typeof(flag), note FROM t ORDER BY k"))]


def test_sqlite_rows_match_sqlalchemys_insert(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [
        {"k": "a", "x": 2, "flag": True, "note": "n", "not_a_column": 1},
        {"k": "b", "x": None, "flag": False, "note": None, "not_a_column": 2},
        {"k": "c", "x": 1.5, "flag": True, "note": "é\u4e2d", "not_a_column": 3},
    ]
    stored = []
    for fast in (True, False):
        meta, t = _table()
        engine = sa.create_engine(f"sqlite:///{tmp_path / f'{fast}.db'}")
        meta.create_all(engine)
        with engine.begin() as conn:
            if fast:
                insert_ignore(conn, t, rows, ["k"])
                # A key already stored is skipped, not an error and not an update.
                insert_ignore(conn, t, [{**rows[0], "x": 99.0}], ["k"])
            else:
                conn.execute(sa.insert(t), [{k: v for k, v in r.items() if k in t.c}
                                            for r in rows])
        stored.append(_stored(engine, t))
        engine.dispose()
    assert stored[0] == stored[1]
    assert stored[0][0] == ("a", 2.0, "real", 1, "integer", "n")


def test_sqlite_defaults_and_key_order(tmp_path: Path) -> None:
    meta, t = _table()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    meta.create_all(engine)
    with engine.begin() as conn:
        # No "note": SQLAlchemy fills the column default, which plain SQL would not.
        insert_ignore(conn, t, [{"k": "a", "x": 1.0, "flag": True}], ["k"])
        # The same keys in another order: the values still go to their columns.
        insert_ignore(conn, t, [{"k": "b", "x": 1.0, "flag": False, "note": "z"},
                                {"k": "c", "flag": True, "note": "y", "x": 3.0}], ["k"])
    assert _stored(engine, t) == [("a", 1.0, "real", 1, "integer", "dflt"),
                                  ("b", 1.0, "real", 0, "integer", "z"),
                                  ("c", 3.0, "real", 1, "integer", "y")]
    engine.dispose()
