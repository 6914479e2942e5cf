"""The store: SQLite (WAL) by default, PostgreSQL when ``BAIMO_DB`` says so.

The store is the only door to the database: no SQL lives outside ``baimo.store``. ``Store``
opens (and migrates) the database and exposes small repositories, each for one kind of fact,
that take and return typed records (``baimo.store.records``)::

    store.runs         runs, their models, their result rows (RunRepository)
    store.responses    the answer cache (ResponseRepository)
    store.perf         perf requests and level summaries (PerfRepository)
    store.judgements   judge verdicts (JudgementRepository)
    store.scores       score results (ScoreRepository)
    store.battles      arena battles and their votes (BattleRepository)

Eval results and the responses they cite are written by ``Store.write``, the one write path
of an eval (see its docstring for why it cannot silently drop a batch).

Durability contract: a sample's result is committed as soon as it completes and the batch
before it is stored (the eval's writer, ``runs.runner._Writer``, commits what completed in one
event-loop turn, or while its previous batch was being written, in one transaction). SQLite runs in WAL mode with
``synchronous=NORMAL``, which survives a killed process (``kill -9``) without corruption or
loss of committed rows; only a power failure can drop the last transactions.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from baimo.errors import BaimoError, MissingDependency
from baimo.paths import baimo_home, private_sqlite
from baimo.store import schema
from baimo.store.battles import BattleRepository
from baimo.store.codec import dumps
from baimo.store.judgements import JudgementRepository
from baimo.store.migrations import migrate
from baimo.store.perf import PerfRepository
from baimo.store.records import LostRow, ResponseRecord, ResultRow, WriteReport
from baimo.store.responses import ResponseRepository, response_row
from baimo.store.runs import RunRepository
from baimo.store.scores import ScoreRepository
from baimo.store.sql import insert_ignore, sqlite_insert_plan
from baimo.store.validate import problems

__all__ = ["ResultRow", "Store", "WriteReport", "database_url"]

log = logging.getLogger(__name__)
_RESULT_KEY = ["run_id", "model_name", "task", "sample_id"]
# What a write can raise for a row the database (or its driver) refuses: the driver's errors,
# wrapped by SQLAlchemy or, from the SQLite batch path, as they are, and the few it raises
# unwrapped while binding a value.
_WRITE_ERRORS = (sa.exc.SQLAlchemyError, sqlite3.Error, ValueError, TypeError, OverflowError)


def database_url(url: str | None = None) -> str:
    """Resolve the database URL: argument, ``BAIMO_DB``, or SQLite in ``baimo_home()``."""
    url = url or os.environ.get("BAIMO_DB")
    if not url:
        return f"sqlite:///{baimo_home() / 'baimo.db'}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def shareable_url(url: str) -> str:
    """The database URL without its password, to hand to another process or machine.

    Why: a Ray shard's arguments are pickled into the cluster's object store and task table,
    where anyone with the dashboard can read them. The password stays where the operator put
    it, in each node's environment (``BAIMO_DB``, or libpq's ``PGPASSWORD`` / ``~/.pgpass``);
    ``with_local_password`` puts it back on the node.
    """
    u = sa.engine.make_url(database_url(url))
    # ``URL.set(password=None)`` would keep the password (None there means "unchanged"), and
    # libpq also takes one as ``?password=``.
    return sa.engine.URL.create(u.drivername, u.username, None, u.host, u.port, u.database,
                                {k: v for k, v in u.query.items() if k != "password"}
                                ).render_as_string(hide_password=False)


def with_local_password(url: str, env: Mapping[str, str] | None = None) -> str:
    """``url`` (from ``shareable_url``) with the password of this node's ``BAIMO_DB``, when that
    names the same database as the same user; otherwise ``url`` as it is, and the driver
    (libpq) looks for a password in ``PGPASSWORD`` or ``~/.pgpass`` itself."""
    local = (os.environ if env is None else env).get("BAIMO_DB")
    if not local:
        return url
    mine = sa.engine.make_url(database_url(local))
    if mine.password is not None and shareable_url(local) == shareable_url(url):
        return mine.render_as_string(hide_password=False)
    return url


_ACCEPTED_URLS = ("sqlite:///PATH (a SQLite file, created if missing) or "
                  "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
_SQLITE_HEADER = b"SQLite format 3\x00"


def _url_source(url: str | None) -> str:
    """What the user set to choose the database, to name it in a message."""
    if url:
        return "the database URL (BAIMO_DB)"
    return "BAIMO_DB" if os.environ.get("BAIMO_DB") else "BAIMO_HOME"


def _masked(url: sa.URL) -> str:
    """``url`` as text without its password (after ``user:`` or as ``?password=``)."""
    text = url.render_as_string(hide_password=True)
    return re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", text) if "password" in url.query \
        else text


def _masked_text(text: str) -> str:
    """A string that is not a URL, with anything that looks like a password hidden."""
    text = re.sub(r"(?<=:)[^:/@]*(?=@)", "***", text)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", text)


def _checked_url(url: str, where: str) -> sa.URL:
    """``url`` parsed, if it names a database baimo can store in; else a ``BaimoError`` that
    says what is wrong and the forms accepted (the password never shown).

    Why here: SQLAlchemy accepts any dialect it knows (MySQL, Oracle, ``postgresql+asyncpg``)
    and fails later, deep inside, with a driver's import error or a parse error's traceback;
    the store speaks SQLite and PostgreSQL through psycopg 3 only.
    """
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise BaimoError(f"{where} is not a database URL ('{_masked_text(url)}'). Use "
                         f"{_ACCEPTED_URLS}.") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend == "sqlite" and driver == "pysqlite":
        return parsed
    if backend == "postgresql" and driver == "psycopg":
        return parsed
    if backend == "postgresql":
        raise BaimoError(f"{where} asks for the PostgreSQL driver '{driver}' "
                         f"({_masked(parsed)}), but baimo talks to PostgreSQL through psycopg 3 "
                         "only. Write the URL as postgresql://USER[:PASSWORD]@HOST[:PORT]/"
                         "DATABASE, without a '+driver'.")
    if backend == "sqlite":
        raise BaimoError(f"{where} asks for the SQLite driver '{driver}' ({_masked(parsed)}), "
                         "but baimo uses Python's own sqlite3. Write the URL as "
                         "sqlite:///PATH, without a '+driver'.")
    raise BaimoError(f"{where} names a {backend} database ({_masked(parsed)}), which baimo "
                     f"cannot store in. Use {_ACCEPTED_URLS}.")


def _prepare_sqlite_file(db: str | None, where: str) -> None:
    """Create a SQLite file (``0600``) and its directory, or check that an existing file is a
    SQLite database, before SQLite opens it.

    Why before: ``private_sqlite`` tightens the file's mode and SQLite would write beside it
    (``-wal``, ``-shm``, a migration lock) — neither may happen to a file that is not a
    database, such as ``/etc/passwd`` given by mistake.
    """
    if not db or db == ":memory:" or db.startswith("file:"):
        return
    path = Path(db)
    fix = f"Point {where} at a new file or an existing baimo database (sqlite:///PATH)."
    try:
        if path.is_dir():
            raise BaimoError(f"{where}: {path} is a directory, not a SQLite file. Name a file "
                             f"inside it, e.g. sqlite:///{path / 'baimo.db'}.")
        if path.exists():
            if not path.is_file():
                raise BaimoError(f"{where}: {path} is not a regular file. {fix}")
            with path.open("rb") as fh:
                head = fh.read(len(_SQLITE_HEADER))
            if head and head != _SQLITE_HEADER:
                raise BaimoError(f"{where}: {path} is not a SQLite database (baimo left it "
                                 f"untouched). {fix}")
        for parent in path.parents:
            if parent.exists() and not parent.is_dir():
                raise BaimoError(f"{where}: {path} cannot be created, because {parent} is a "
                                 f"file, not a directory. {fix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        private_sqlite(path)  # 0600, and SQLite gives its -wal/-shm the same mode
    except OSError as exc:
        raise BaimoError(f"{where}: cannot create or open the SQLite database {path}: "
                         f"{exc.strerror or exc}. {fix}") from None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _db_error(exc: BaseException) -> str:
    """The database's own words, one line, without the SQL and its parameters (which could
    carry prompt text)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return (f"{type(orig).__name__}: {text[0]}" if text else type(orig).__name__)[:300]


def _safe_value(col: sa.Column[Any], value: Any) -> Any:
    """A storable stand-in for a value its column refused (the row becomes an error row)."""
    if col.nullable:
        return None
    t = col.type
    if isinstance(t, sa.Boolean):
        return False
    if isinstance(t, sa.Integer):
        return 0
    if isinstance(t, sa.Float):
        return 0.0
    text = _clean(value if isinstance(value, str) else ("" if value is None else repr(value)))
    length = getattr(t, "length", None)
    return text[:length] if length else text


def _clean(value: Any) -> str:
    """Any value as text every database stores (no NUL, no lone surrogate)."""
    return str(value).replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _sample(row: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(row["model_name"]), str(row["task"]), str(row["sample_id"]))


def _ident(row: Mapping[str, Any]) -> str:
    return "/".join(str(row.get(k)) for k in ("model_name", "task", "sample_id"))


class Store:
    """The database: migrated on open; reads and writes through the repositories."""

    def __init__(self, url: str | None = None) -> None:
        where = _url_source(url)
        self.url = database_url(url)
        parsed = _checked_url(self.url, where)
        if parsed.get_backend_name() == "sqlite":
            _prepare_sqlite_file(parsed.database, where)
        try:
            # A pooled connection to a database server can die with the server; one to an
            # SQLite file cannot, and a ping per checkout is a statement per written batch.
            self.engine = sa.create_engine(parsed, future=True,
                                           pool_pre_ping=parsed.get_backend_name() != "sqlite")
        except ModuleNotFoundError as exc:
            if exc.name == "psycopg":
                raise MissingDependency("psycopg", "postgres", "PostgreSQL") from None
            raise
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if self.is_sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            migrate(self.engine)
        except sa.exc.OperationalError as exc:
            self.engine.dispose()
            raise BaimoError(f"cannot open the database {_masked(parsed)}: {exc.orig}. Check "
                             f"{where} and that the server is running.") from None
        except sa.exc.DatabaseError as exc:
            if not self.is_sqlite:
                raise
            # A file that starts like SQLite but is damaged ("database disk image is
            # malformed"): the header check above lets it through.
            self.engine.dispose()
            raise BaimoError(f"{where}: {parsed.database} cannot be read as a SQLite database "
                             f"({exc.orig}). Point {where} at another file, or restore this "
                             "one from a backup.") from None
        self.runs = RunRepository(self.engine, self.safe_url)
        self.responses = ResponseRepository(self.engine)
        self.perf = PerfRepository(self.engine)
        self.judgements = JudgementRepository(self.engine)
        self.scores = ScoreRepository(self.engine)
        self.battles = BattleRepository(self.engine)
        # Every row ``write`` could not store at all since this store was opened.
        self.lost: list[LostRow] = []

    def close(self) -> None:
        self.engine.dispose()

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # -- the eval write path ------------------------------------------------------------
    def write(self, results: Sequence[ResultRow],
              responses: Sequence[ResponseRecord | Mapping[str, Any]]) -> WriteReport:
        """Commit a batch of results and the responses they cite; never lose a neighbour.

        Why this much care: one row the database refuses (a provider reporting 10**30 tokens
        overflows the integer column) used to fail the whole group-commit transaction, so the
        other samples of the batch vanished while the run said done. Now:

        1. Every row is checked against its columns first (``validate``). A response that
           cannot be stored is not cached, and the results citing it become ``error`` rows;
           a result that cannot be stored becomes an ``error`` row whose reason names the
           field (the refused values are replaced by storable ones). Error rows are asked
           again when the run is resumed.
        2. The batch is written in one transaction (responses first, then results; a sample
           or response already stored is kept, not duplicated).
        3. If that transaction still fails, each row is written in its own transaction; a
           result the database refuses is stored as an ``error`` row with the database's
           words as the reason. Only a row that cannot be written even so is lost.

        Returns:
            What happened; ``report.lost`` lists the rows not written at all (they are also
            appended to ``self.lost``). A caller must treat a non-empty ``lost`` as a failed
            run: the data is incomplete.
        """
        if not results and not responses:
            return WriteReport()
        now = time.time()
        dialect = self.engine.dialect.name
        resp_rows: list[dict[str, Any]] = []
        refused: dict[str, str] = {}  # response key -> why it was not cached
        for resp in responses:
            row = response_row(resp, now)
            why = problems(schema.responses, row, dialect)
            if why:
                refused[str(row.get("key"))] = "; ".join(why.values())
            else:
                resp_rows.append(row)
        rows: list[dict[str, Any]] = []
        errored: list[tuple[str, str, str]] = []
        for r in results:
            row, bad = self._result_row(r, now, refused, dialect)
            if bad:
                errored.append(_sample(row))
            rows.append(row)
        try:
            if not (self.is_sqlite and self._sqlite_batch(resp_rows, rows)):
                with self.engine.begin() as conn:
                    insert_ignore(conn, schema.responses, resp_rows, ["key"])
                    insert_ignore(conn, schema.results, rows, _RESULT_KEY)
            return WriteReport(results=len(rows), responses=len(resp_rows),
                               invalid=len(errored), errored=tuple(errored))
        except _WRITE_ERRORS as exc:
            log.warning("batch of %d results failed (%s); writing them one by one",
                        len(rows), _db_error(exc))
        return self._write_one_by_one(resp_rows, rows, errored)

    def _sqlite_batch(self, resp_rows: list[dict[str, Any]], rows: list[dict[str, Any]]
                      ) -> bool:
        """Write a batch in one SQLite transaction on the driver's own connection; False
        (nothing written) when a table's rows need SQLAlchemy to bind them.

        Why not ``engine.begin()``: a batch is written in every event-loop turn of a run,
        and SQLAlchemy's connection, transaction and execution-context bookkeeping cost as
        much as SQLite's own work on the rows (``benchmarks/overhead.py``). The statements
        and parameters are the ones SQLAlchemy would send (``sqlite_insert_plan``).
        """
        plans = [plan for table, part in ((schema.responses, resp_rows), (schema.results, rows))
                 if part and (plan := sqlite_insert_plan(self.engine.dialect, table, part))]
        if len(plans) < bool(resp_rows) + bool(rows):
            return False
        raw = self.engine.raw_connection()  # from the pool, with its PRAGMAs set
        try:
            cur = raw.cursor()
            try:
                for sql, params in plans:
                    cur.executemany(sql, params)
                raw.commit()
            except BaseException:
                raw.rollback()
                raise
            finally:
                cur.close()
        finally:
            raw.close()  # back to the pool
        return True

    def _result_row(self, r: ResultRow, now: float, refused: Mapping[str, str],
                    dialect: str) -> tuple[dict[str, Any], int]:
        """A result's column values, turned into an error row when they cannot be stored."""
        d = dict(vars(r))  # shallow: the row's values are written, never changed
        details = d.pop("details")
        why: dict[str, str] = {}
        try:
            d["details_json"] = dumps(details) if details is not None else None
        except TypeError as exc:  # orjson: e.g. an integer beyond 64 bits
            d["details_json"] = None
            why["details_json"] = f"details cannot be stored as JSON ({exc})"
        d["created_at"] = now
        why.update(problems(schema.results, d, dialect))
        if r.key in refused and r.status != "error":
            why["response"] = f"its response could not be cached: {refused[r.key]}"
        if not why:
            return d, 0
        return self._as_error(d, "; ".join(why.values()), set(why)), 1

    @staticmethod
    def _as_error(row: dict[str, Any], why: str, fields: set[str]) -> dict[str, Any]:
        t = schema.results
        out = {k: v for k, v in row.items() if k in t.columns}
        for name in fields & set(t.columns.keys()):
            out[name] = _safe_value(t.columns[name], out.get(name))
        before = f" (was {row.get('status')}: {_clean(row['reason'])})" \
            if row.get("reason") else ""
        out.update(status="error", score=0.0, reason=f"not stored as answered: {why}{before}")
        return out

    def _write_one_by_one(self, resp_rows: list[dict[str, Any]], rows: list[dict[str, Any]],
                          errored: list[tuple[str, str, str]]) -> WriteReport:
        n_resp = 0
        refused: dict[str, str] = {}
        for row in resp_rows:
            try:
                with self.engine.begin() as conn:
                    insert_ignore(conn, schema.responses, [row], ["key"])
                n_resp += 1
            except _WRITE_ERRORS as exc:
                refused[str(row["key"])] = _db_error(exc)
        lost: list[LostRow] = []
        n_res = 0
        for row in rows:
            if row["key"] in refused and row["status"] != "error":
                row = self._as_error(row, f"its response could not be cached: "
                                     f"{refused[row['key']]}", set())
                errored.append(_sample(row))
            try:
                with self.engine.begin() as conn:
                    insert_ignore(conn, schema.results, [row], _RESULT_KEY)
                n_res += 1
                continue
            except _WRITE_ERRORS as exc:
                why = _db_error(exc)
            # Refused alone: store the fact that the sample failed, with the database's
            # reason, in place of the row (every column that could be at fault made safe).
            fields = {c.name for c in schema.results.columns
                      if c.name not in ("id", *_RESULT_KEY, "key", "task_version", "currency",
                                        "created_at")}
            err = self._as_error(row, f"the database refused the row: {why}", fields)
            err["details_json"] = None
            try:
                with self.engine.begin() as conn:
                    insert_ignore(conn, schema.results, [err], _RESULT_KEY)
                n_res += 1
                errored.append(_sample(row))
            except _WRITE_ERRORS as exc2:
                lost.append(LostRow("results", _ident(row), _db_error(exc2)))
        self.lost += lost
        for item in lost:
            log.error("result %s could not be stored: %s", item.ident, item.reason)
        return WriteReport(results=n_res, responses=n_resp, invalid=len(errored),
                           errored=tuple(errored), lost=tuple(lost), row_by_row=True)
