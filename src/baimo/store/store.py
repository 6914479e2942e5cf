"""The store: SQLite (WAL) by default, PostgreSQL when ``BAIMO_DB`` says so.

Durability contract: a sample's result is committed as soon as it completes (all samples that
complete in the same event-loop turn share one transaction). SQLite runs in WAL mode with
``synchronous=NORMAL``, which survives a killed process (``kill -9``) without corruption or
loss of committed rows; only a power failure can drop the last transactions.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from baimo import __version__
from baimo.errors import BaimoError, MissingDependency, NotFound
from baimo.paths import baimo_home
from baimo.store import schema
from baimo.store.migrations import migrate


def database_url(url: str | None = None) -> str:
    """Resolve the database URL: argument, ``BAIMO_DB``, or SQLite in ``baimo_home()``."""
    url = url or os.environ.get("BAIMO_DB")
    if not url:
        return f"sqlite:///{baimo_home() / 'baimo.db'}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def dumps(obj: Any) -> str:
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()


def loads(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


@dataclass
class ResultRow:
    """One sample's verdict, as written to ``results``."""

    run_id: str
    model_name: str
    task: str
    task_version: str
    sample_id: str
    key: str
    category: str | None
    status: str
    score: float
    extracted: str | None
    reason: str | None
    details: dict[str, Any] | None
    prompt_tokens: int
    completion_tokens: int
    usage_estimated: bool
    latency_s: float | None
    ttft_s: float | None
    cost: float
    currency: str
    attempts: int
    cached: bool

    def as_row(self, now: float) -> dict[str, Any]:
        d = self.__dict__.copy()
        d["details_json"] = dumps(d.pop("details")) if self.details is not None else None
        d["created_at"] = now
        return d


class Store:
    """All reads and writes of runs, cached responses and results."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        try:
            self.engine = sa.create_engine(self.url, future=True, pool_pre_ping=True)
        except ModuleNotFoundError as exc:
            if "psycopg" in str(exc):
                raise MissingDependency("psycopg", "postgres", "PostgreSQL") from None
            raise
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if self.is_sqlite:
            db = self.engine.url.database
            if db and db != ":memory:":
                Path(db).parent.mkdir(parents=True, exist_ok=True)
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            migrate(self.engine)
        except sa.exc.OperationalError as exc:
            safe = self.engine.url.render_as_string(hide_password=True)
            raise BaimoError(f"cannot open the database {safe}: {exc.orig}. Check BAIMO_DB (or "
                             "BAIMO_HOME) and that the server is running.") from None

    def close(self) -> None:
        self.engine.dispose()

    # -- runs ---------------------------------------------------------------------------
    def create_run(self, kind: str, spec: dict[str, Any], command: str,
                   models: Sequence[tuple[str, dict[str, Any]]]) -> str:
        run_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        with self.engine.begin() as conn:
            conn.execute(schema.runs.insert().values(
                id=run_id, kind=kind, status="running", created_at=time.time(),
                command=command, spec_json=dumps(spec), baimo_version=__version__))
            for name, public in models:
                conn.execute(schema.run_models.insert().values(
                    run_id=run_id, model_name=name, model_json=dumps(public),
                    status="pending", reason=None))
        return run_id

    def get_run(self, run_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(schema.runs).where(
                schema.runs.c.id == run_id)).mappings().first()
            if row is None:
                raise NotFound(f"no run '{run_id}' in {self.safe_url}. "
                               "List runs with: baimo runs list")
            models = conn.execute(sa.select(schema.run_models).where(
                schema.run_models.c.run_id == run_id)).mappings().all()
        run = dict(row)
        run["spec"] = loads(run.pop("spec_json"))
        run["models"] = [{**dict(m), "model": loads(m["model_json"])} for m in models]
        for m in run["models"]:
            m.pop("model_json")
        return run

    def resolve_run(self, ref: str) -> str:
        """Accept a full run id, a unique prefix, or ``latest``."""
        with self.engine.connect() as conn:
            if ref == "latest":
                row = conn.execute(sa.select(schema.runs.c.id).order_by(
                    schema.runs.c.created_at.desc()).limit(1)).first()
                if row is None:
                    raise NotFound("there are no runs yet. Start one with: baimo eval")
                return str(row[0])
            rows = conn.execute(sa.select(schema.runs.c.id).where(
                schema.runs.c.id.startswith(ref))).all()
        if len(rows) == 1:
            return str(rows[0][0])
        if not rows:
            raise NotFound(f"no run '{ref}'. List runs with: baimo runs list")
        raise BaimoError(f"'{ref}' matches {len(rows)} runs; give more of the id.")

    def list_runs(self, limit: int = 50, kind: str | None = None) -> list[dict[str, Any]]:
        q = sa.select(schema.runs).order_by(schema.runs.c.created_at.desc()).limit(limit)
        if kind:
            q = q.where(schema.runs.c.kind == kind)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(q).mappings()]
            counts: dict[str, int] = dict(conn.execute(
                sa.select(schema.results.c.run_id, sa.func.count()).group_by(
                    schema.results.c.run_id)).all())
        for r in rows:
            r["spec"] = loads(r.pop("spec_json"))
            r["n_results"] = int(counts.get(r["id"], 0))
        return rows

    def finish_run(self, run_id: str, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(
                status=status, finished_at=time.time()))

    def set_run_status(self, run_id: str, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(
                status=status, finished_at=None))

    def set_model_status(self, run_id: str, model: str, status: str,
                         reason: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(schema.run_models.update().where(
                (schema.run_models.c.run_id == run_id)
                & (schema.run_models.c.model_name == model)).values(
                status=status, reason=reason))

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # -- responses and results ----------------------------------------------------------
    def cached_responses(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Stored answers for the given keys (chunked to stay under parameter limits)."""
        keys = list(keys)
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                for row in conn.execute(sa.select(schema.responses).where(
                        schema.responses.c.key.in_(part))).mappings():
                    out[row["key"]] = dict(row)
        return out

    def completed_samples(self, run_id: str) -> set[tuple[str, str, str]]:
        """(model, task, sample_id) of this run's rows that need no new request."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(
                schema.results.c.model_name, schema.results.c.task,
                schema.results.c.sample_id).where(
                (schema.results.c.run_id == run_id)
                & (schema.results.c.status != "error"))).all()
        return {(r[0], r[1], r[2]) for r in rows}

    def write(self, results: Sequence[ResultRow], responses: Sequence[dict[str, Any]]) -> None:
        """Commit a batch in one transaction: new responses first, then results."""
        if not results and not responses:
            return
        now = time.time()
        with self.engine.begin() as conn:
            if responses:
                for resp in responses:
                    resp.setdefault("created_at", now)
                self._insert_ignore(conn, schema.responses, list(responses), ["key"])
            if results:
                rows = [r.as_row(now) for r in results]
                self._insert_ignore(conn, schema.results, rows,
                                    ["run_id", "model_name", "task", "sample_id"])

    def clear_errors(self, run_id: str) -> int:
        """Delete a run's error rows so that resuming asks those samples again."""
        t = schema.results
        with self.engine.begin() as conn:
            res = conn.execute(t.delete().where((t.c.run_id == run_id) & (t.c.status == "error")))
        return int(res.rowcount or 0)

    def _insert_ignore(self, conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]],
                       index: list[str]) -> None:
        if self.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert
            conn.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)
        else:
            from sqlalchemy.dialects.postgresql import insert as pg_insert
            conn.execute(pg_insert(table).on_conflict_do_nothing(index_elements=index), rows)

    def results(self, run_ids: Sequence[str]) -> list[dict[str, Any]]:
        """All result rows of the given runs, oldest first."""
        t = schema.results
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t).where(t.c.run_id.in_(list(run_ids))).order_by(
                t.c.id)).mappings().all()
        out = []
        for r in rows:
            d = dict(r)
            d["details"] = loads(d.pop("details_json"))
            out.append(d)
        return out

    def response(self, key: str) -> dict[str, Any] | None:
        return self.cached_responses([key]).get(key)

    # -- perf ---------------------------------------------------------------------------
    def write_perf(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            with self.engine.begin() as conn:
                conn.execute(schema.perf_requests.insert(), list(rows))

    def perf_rows(self, run_ids: Sequence[str]) -> list[dict[str, Any]]:
        t = schema.perf_requests
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(t).where(
                t.c.run_id.in_(list(run_ids))).order_by(t.c.id)).mappings()]
