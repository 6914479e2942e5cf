"""Schema migrations: small, named, ordered, append-only steps tracked in a table.

Why not Alembic: baimo's schema is owned by one package and must migrate silently on first
use of a new version, on SQLite and PostgreSQL alike. An ordered list of functions recorded in
``baimo_migrations`` does that with no extra tooling. Never edit a shipped step; append one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa

from baimo.store import schema

Step = Callable[[sa.Connection], None]


def _m001_initial(conn: sa.Connection) -> None:
    # The first step creates the tables exactly as they were first shipped. Later changes to
    # ``schema`` must come with their own step below (tests compare the migrated database
    # with ``schema.metadata``).
    schema.metadata.create_all(
        conn, tables=[schema.runs, schema.run_models, schema.responses, schema.results])


def _m002_perf_requests(conn: sa.Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.perf_requests])


def _m003_perf_levels(conn: sa.Connection) -> None:
    # perf_requests gains two columns; on a database created after they were added to
    # ``schema`` (002 creates the table from the current definition) they already exist.
    have = {c["name"] for c in sa.inspect(conn).get_columns("perf_requests")}
    for col in (schema.perf_requests.c.finish_reason, schema.perf_requests.c.prompt_tokens_client):
        if col.name not in have:
            kind = col.type.compile(dialect=conn.dialect)
            conn.execute(sa.text(f"ALTER TABLE perf_requests ADD COLUMN {col.name} {kind}"))
    schema.metadata.create_all(conn, tables=[schema.perf_levels])


def _m004_judgements(conn: sa.Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.judgements])


MIGRATIONS: list[tuple[str, Step]] = [
    ("001_initial", _m001_initial),
    ("002_perf_requests", _m002_perf_requests),
    ("003_perf_levels", _m003_perf_levels),
    ("004_judgements", _m004_judgements),
]

_table = sa.Table(
    "baimo_migrations", sa.MetaData(),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("applied_at", sa.Float, nullable=False),
)


def migrate(engine: sa.Engine) -> list[str]:
    """Apply pending steps in order, each in its own transaction. Returns the names applied."""
    applied: list[str] = []
    with engine.begin() as conn:
        _table.metadata.create_all(conn)
    with engine.connect() as conn:
        done = {row[0] for row in conn.execute(sa.select(_table.c.name))}
    for name, step in MIGRATIONS:
        if name in done:
            continue
        with engine.begin() as conn:
            step(conn)
            conn.execute(_table.insert().values(name=name, applied_at=time.time()))
        applied.append(name)
    return applied
