"""Schema migrations: small, named, ordered, append-only steps tracked in a table.

Why not Alembic: baimo's schema is owned by one package and must migrate silently on first
use of a new version, on SQLite and PostgreSQL alike. An ordered list of functions recorded in
``baimo_migrations`` does that with no extra tooling. Never edit a shipped step; append one.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator

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


def _m005_score_results(conn: sa.Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.score_results])


MIGRATIONS: list[tuple[str, Step]] = [
    ("001_initial", _m001_initial),
    ("002_perf_requests", _m002_perf_requests),
    ("003_perf_levels", _m003_perf_levels),
    ("004_judgements", _m004_judgements),
    ("005_score_results", _m005_score_results),
]

_table = sa.Table(
    "baimo_migrations", sa.MetaData(),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("applied_at", sa.Float, nullable=False),
)


def migrate(engine: sa.Engine) -> list[str]:
    """Apply pending steps in order. Returns the names applied.

    Several processes may open a new database at once (two ``baimo`` commands, a test and
    the command it watches), so migrating is serialised: an advisory transaction lock on
    PostgreSQL (where DDL is transactional, so everything runs in one transaction), a lock
    file beside the database on SQLite.
    """
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            return _apply(conn)
    with _file_lock(engine), engine.begin() as conn:
        return _apply(conn)


_LOCK_KEY = 0x6261_696D_6F  # "baimo"


def _apply(conn: sa.Connection) -> list[str]:
    _table.metadata.create_all(conn)
    done = {row[0] for row in conn.execute(sa.select(_table.c.name))}
    applied: list[str] = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        step(conn)
        conn.execute(_table.insert().values(name=name, applied_at=time.time()))
        applied.append(name)
    return applied


@contextlib.contextmanager
def _file_lock(engine: sa.Engine) -> Iterator[None]:
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:":
        yield
        return
    with open(f"{db}.migrate.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
