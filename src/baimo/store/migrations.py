"""Schema migrations: small, named, ordered, append-only steps tracked in a table.

Why not Alembic: baimo's schema is owned by one package and must migrate silently on first
use of a new version, on SQLite and PostgreSQL alike. An ordered list of functions recorded in
``baimo_migrations`` does that with no extra tooling.

Why literal DDL: each step writes the tables and columns *as they were when the step shipped*,
never today's definitions in ``schema``. A step that read ``schema`` would give a fresh
database a column that an existing user's database never receives (its step ran long ago), so
fresh-database tests would pass while every upgrade broke. With frozen steps, a column added to
``schema`` without a new step here leaves fresh and upgraded databases alike without it, and
``tests/store/test_migrations.py`` (fresh vs. upgraded-from-a-wave-1-file vs. ``schema``)
fails. Never edit a shipped step; append one.

The DDL is the text SQLAlchemy emitted for the tables at the time, written out; the only word
that differs between SQLite and PostgreSQL is the auto-numbered key (``{serial}``).
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator

import sqlalchemy as sa

Step = Callable[[sa.Connection], None]


def _ddl(conn: sa.Connection, *statements: str) -> None:
    serial = "SERIAL NOT NULL" if conn.dialect.name == "postgresql" else "INTEGER NOT NULL"
    for stmt in statements:
        conn.execute(sa.text(stmt.replace("{serial}", serial)))


def _m001_initial(conn: sa.Connection) -> None:
    _ddl(conn, """
CREATE TABLE runs (
    id VARCHAR(32) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    created_at FLOAT NOT NULL,
    finished_at FLOAT,
    command TEXT,
    spec_json TEXT NOT NULL,
    baimo_version VARCHAR(32) NOT NULL,
    PRIMARY KEY (id)
)""", """
CREATE TABLE responses (
    "key" VARCHAR(64) NOT NULL,
    model_identity VARCHAR(32) NOT NULL,
    request_json TEXT NOT NULL,
    response_json TEXT NOT NULL,
    text TEXT NOT NULL,
    reasoning TEXT NOT NULL,
    finish_reason VARCHAR(32),
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cached_tokens INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    usage_estimated BOOLEAN NOT NULL,
    latency_s FLOAT NOT NULL,
    ttft_s FLOAT,
    created_at FLOAT NOT NULL,
    PRIMARY KEY ("key")
)""", """
CREATE TABLE run_models (
    run_id VARCHAR(32) NOT NULL,
    model_name VARCHAR(200) NOT NULL,
    model_json TEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    reason TEXT,
    PRIMARY KEY (run_id, model_name),
    FOREIGN KEY(run_id) REFERENCES runs (id)
)""", """
CREATE TABLE results (
    id {serial},
    run_id VARCHAR(32) NOT NULL,
    model_name VARCHAR(200) NOT NULL,
    task VARCHAR(200) NOT NULL,
    task_version VARCHAR(64) NOT NULL,
    sample_id VARCHAR(300) NOT NULL,
    "key" VARCHAR(64) NOT NULL,
    category VARCHAR(200),
    status VARCHAR(24) NOT NULL,
    score FLOAT NOT NULL,
    extracted TEXT,
    reason TEXT,
    details_json TEXT,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    usage_estimated BOOLEAN NOT NULL,
    latency_s FLOAT,
    ttft_s FLOAT,
    cost FLOAT NOT NULL,
    currency VARCHAR(8) NOT NULL,
    attempts INTEGER NOT NULL,
    cached BOOLEAN NOT NULL,
    created_at FLOAT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_result_sample UNIQUE (run_id, model_name, task, sample_id),
    FOREIGN KEY(run_id) REFERENCES runs (id)
)""", "CREATE INDEX ix_results_run ON results (run_id, model_name)")


def _m002_perf_requests(conn: sa.Connection) -> None:
    _ddl(conn, """
CREATE TABLE perf_requests (
    id {serial},
    run_id VARCHAR(32) NOT NULL,
    model_name VARCHAR(200) NOT NULL,
    level VARCHAR(64) NOT NULL,
    seq INTEGER NOT NULL,
    phase VARCHAR(16) NOT NULL,
    status VARCHAR(24) NOT NULL,
    error_kind VARCHAR(24),
    reason TEXT,
    scheduled FLOAT NOT NULL,
    sent FLOAT,
    first_byte FLOAT,
    first_token FLOAT,
    first_answer FLOAT,
    last_token FLOAT,
    done FLOAT,
    prompt_tokens INTEGER,
    output_tokens INTEGER,
    output_tokens_client INTEGER,
    usage_from_server BOOLEAN,
    chunk_times_json TEXT,
    chunk_tokens_json TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY(run_id) REFERENCES runs (id)
)""", "CREATE INDEX ix_perf_run ON perf_requests (run_id, model_name)")


def _m003_perf_levels(conn: sa.Connection) -> None:
    # Until this file was frozen, step 002 created perf_requests from the current definition,
    # so databases made in between already have these two columns.
    have = {c["name"] for c in sa.inspect(conn).get_columns("perf_requests")}
    for name, kind in (("finish_reason", "VARCHAR(32)"), ("prompt_tokens_client", "INTEGER")):
        if name not in have:
            _ddl(conn, f"ALTER TABLE perf_requests ADD COLUMN {name} {kind}")
    _ddl(conn, """
CREATE TABLE perf_levels (
    id {serial},
    run_id VARCHAR(32) NOT NULL,
    model_name VARCHAR(200) NOT NULL,
    level VARCHAR(64) NOT NULL,
    position INTEGER NOT NULL,
    load_kind VARCHAR(16) NOT NULL,
    load_value FLOAT NOT NULL,
    started_at FLOAT NOT NULL,
    client_limited BOOLEAN NOT NULL,
    summary_json TEXT NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(run_id) REFERENCES runs (id)
)""", "CREATE INDEX ix_perf_levels_run ON perf_levels (run_id, model_name)")


def _m004_judgements(conn: sa.Connection) -> None:
    _ddl(conn, """
CREATE TABLE judgements (
    id {serial},
    run_id VARCHAR(32) NOT NULL,
    task VARCHAR(200) NOT NULL,
    sample_id VARCHAR(300) NOT NULL,
    mode VARCHAR(16) NOT NULL,
    model_a VARCHAR(200) NOT NULL,
    model_b VARCHAR(200) NOT NULL,
    judge_model VARCHAR(200) NOT NULL,
    judge_identity VARCHAR(32) NOT NULL,
    prompt_id VARCHAR(64) NOT NULL,
    prompt_version VARCHAR(32) NOT NULL,
    prompt_hash VARCHAR(64) NOT NULL,
    status VARCHAR(24) NOT NULL,
    winner VARCHAR(8),
    verdict_1 VARCHAR(8),
    verdict_2 VARCHAR(8),
    cost FLOAT NOT NULL,
    currency VARCHAR(8) NOT NULL,
    details_json TEXT,
    created_at FLOAT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_judgement UNIQUE (run_id, task, sample_id, mode, model_a, model_b, \
judge_identity, prompt_hash),
    FOREIGN KEY(run_id) REFERENCES runs (id)
)""", "CREATE INDEX ix_judgements_run ON judgements (run_id, model_a, model_b)")


def _m005_score_results(conn: sa.Connection) -> None:
    _ddl(conn, """
CREATE TABLE score_results (
    id VARCHAR(40) NOT NULL,
    methodology VARCHAR(100) NOT NULL,
    methodology_sha256 VARCHAR(64) NOT NULL,
    method VARCHAR(32) NOT NULL,
    scenario VARCHAR(100),
    created_at FLOAT NOT NULL,
    command TEXT,
    inputs_json TEXT NOT NULL,
    result_json TEXT NOT NULL,
    baimo_version VARCHAR(32) NOT NULL,
    PRIMARY KEY (id)
)""", "CREATE INDEX ix_score_results_methodology ON score_results (methodology, created_at)")


def _m006_web(conn: sa.Connection) -> None:
    # ``baimo serve``: team-mode users and their API tokens (only SHA-256 hashes are kept),
    # the job queue of the browser's eval/perf runs, and an index the Compare page needs to
    # find one model's answers on one task without scanning every run.
    _ddl(conn, """
CREATE TABLE users (
    id VARCHAR(32) NOT NULL,
    name VARCHAR(100) NOT NULL,
    role VARCHAR(16) NOT NULL,
    created_at FLOAT NOT NULL,
    disabled BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_users_name UNIQUE (name)
)""", """
CREATE TABLE tokens (
    token_hash VARCHAR(64) NOT NULL,
    user_id VARCHAR(32) NOT NULL,
    label VARCHAR(100),
    created_at FLOAT NOT NULL,
    last_used FLOAT,
    revoked BOOLEAN NOT NULL,
    PRIMARY KEY (token_hash),
    FOREIGN KEY(user_id) REFERENCES users (id)
)""", "CREATE INDEX ix_tokens_user ON tokens (user_id)", """
CREATE TABLE jobs (
    id VARCHAR(32) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    spec_json TEXT NOT NULL,
    run_id VARCHAR(32),
    user_name VARCHAR(100),
    created_at FLOAT NOT NULL,
    started_at FLOAT,
    finished_at FLOAT,
    pid INTEGER,
    exit_code INTEGER,
    log_tail TEXT,
    PRIMARY KEY (id)
)""", "CREATE INDEX ix_jobs_created ON jobs (created_at)",
         "CREATE INDEX ix_results_model_task ON results (model_name, task)",
         "CREATE INDEX ix_runs_created ON runs (created_at)")


def _m007_arena(conn: sa.Connection) -> None:
    # The arena (``baimo.arena``): one row per battle (both conversations, per-side tokens,
    # timings and cost, where the prompt came from) and one row per vote on it, human or
    # judge. ``uq_battle_vote`` is the rule "one vote per voter per battle".
    _ddl(conn, """
CREATE TABLE battles (
    id VARCHAR(40) NOT NULL,
    created_at FLOAT NOT NULL,
    origin VARCHAR(16) NOT NULL,
    prompt_source VARCHAR(16) NOT NULL,
    suite VARCHAR(200),
    task VARCHAR(200),
    sample_id VARCHAR(300),
    category VARCHAR(200),
    language VARCHAR(16),
    external_id VARCHAR(200),
    created_by VARCHAR(200),
    model_a VARCHAR(200) NOT NULL,
    model_b VARCHAR(200) NOT NULL,
    conversation_a_json TEXT NOT NULL,
    conversation_b_json TEXT NOT NULL,
    turns INTEGER NOT NULL,
    status VARCHAR(16) NOT NULL,
    error TEXT,
    prompt_tokens_a INTEGER NOT NULL,
    completion_tokens_a INTEGER NOT NULL,
    latency_s_a FLOAT,
    ttft_s_a FLOAT,
    cost_a FLOAT NOT NULL,
    prompt_tokens_b INTEGER NOT NULL,
    completion_tokens_b INTEGER NOT NULL,
    latency_s_b FLOAT,
    ttft_s_b FLOAT,
    cost_b FLOAT NOT NULL,
    currency VARCHAR(8) NOT NULL,
    PRIMARY KEY (id)
)""", "CREATE INDEX ix_battles_created ON battles (created_at)",
         "CREATE INDEX ix_battles_creator ON battles (created_by, created_at)",
         "CREATE INDEX ix_battles_external ON battles (origin, external_id)", """
CREATE TABLE battle_votes (
    id {serial},
    battle_id VARCHAR(40) NOT NULL,
    voter VARCHAR(200) NOT NULL,
    role VARCHAR(16) NOT NULL,
    status VARCHAR(24) NOT NULL,
    winner VARCHAR(16),
    created_at FLOAT NOT NULL,
    details_json TEXT,
    PRIMARY KEY (id),
    CONSTRAINT uq_battle_vote UNIQUE (battle_id, voter),
    FOREIGN KEY(battle_id) REFERENCES battles (id)
)""", "CREATE INDEX ix_battle_votes_role ON battle_votes (role, status)")


def _m008_monitor(conn: sa.Connection) -> None:
    # ``baimo monitor``: one row per probe request (``monitor_probes``), per scheduled cycle of
    # one endpoint (``monitor_cycles``: ``uq_monitor_cycle`` is the rule "one cycle per
    # endpoint and slot"), per fidelity check with its evidence (``monitor_checks``), per alert
    # incident (``monitor_incidents``), and the lease that keeps two monitors from running
    # one endpoint's cycle at once (``monitor_leases``).
    _ddl(conn, """
CREATE TABLE monitor_cycles (
    id VARCHAR(64) NOT NULL,
    model_name VARCHAR(200) NOT NULL,
    slot FLOAT NOT NULL,
    status VARCHAR(16) NOT NULL,
    owner VARCHAR(200) NOT NULL,
    started_at FLOAT NOT NULL,
    finished_at FLOAT,
    plan_json TEXT NOT NULL,
    values_json TEXT,
    PRIMARY KEY (id),
    CONSTRAINT uq_monitor_cycle UNIQUE (model_name, slot)
)""", """
CREATE TABLE monitor_probes (
    id {serial},
    cycle_id VARCHAR(64) NOT NULL,
    model_name VARCHAR(200) NOT NULL,
    identity VARCHAR(32) NOT NULL,
    family VARCHAR(200),
    kind VARCHAR(16) NOT NULL,
    probe VARCHAR(100) NOT NULL,
    at FLOAT NOT NULL,
    status VARCHAR(16) NOT NULL,
    error_kind VARCHAR(24),
    reason TEXT,
    input_tokens INTEGER,
    ttft_s FLOAT,
    tpot_s FLOAT,
    e2e_s FLOAT,
    output_tps FLOAT,
    prompt_tokens INTEGER,
    output_tokens INTEGER,
    prompt_tokens_client INTEGER,
    output_tokens_client INTEGER,
    usage_from_server BOOLEAN,
    finish_reason VARCHAR(32),
    cost FLOAT NOT NULL,
    currency VARCHAR(8) NOT NULL,
    answer TEXT,
    correct BOOLEAN,
    details_json TEXT,
    PRIMARY KEY (id),
    CONSTRAINT uq_monitor_probe UNIQUE (cycle_id, probe),
    FOREIGN KEY(cycle_id) REFERENCES monitor_cycles (id)
)""", "CREATE INDEX ix_monitor_probes_model ON monitor_probes (model_name, at)", """
CREATE TABLE monitor_checks (
    id {serial},
    cycle_id VARCHAR(64) NOT NULL,
    model_name VARCHAR(200) NOT NULL,
    check_name VARCHAR(32) NOT NULL,
    at FLOAT NOT NULL,
    status VARCHAR(16) NOT NULL,
    value FLOAT,
    evidence_json TEXT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_monitor_check UNIQUE (cycle_id, check_name),
    FOREIGN KEY(cycle_id) REFERENCES monitor_cycles (id)
)""", "CREATE INDEX ix_monitor_checks_model ON monitor_checks (model_name, at)", """
CREATE TABLE monitor_incidents (
    id {serial},
    model_name VARCHAR(200) NOT NULL,
    metric VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    started_at FLOAT NOT NULL,
    detected_at FLOAT NOT NULL,
    resolved_at FLOAT,
    value FLOAT,
    threshold_json TEXT NOT NULL,
    detail TEXT,
    notified_at FLOAT,
    recovery_notified_at FLOAT,
    notify_error TEXT,
    PRIMARY KEY (id)
)""", "CREATE INDEX ix_monitor_incidents_model ON monitor_incidents (model_name, metric, "
         "status)", """
CREATE TABLE monitor_leases (
    model_name VARCHAR(200) NOT NULL,
    owner VARCHAR(200) NOT NULL,
    expires_at FLOAT NOT NULL,
    cycle_id VARCHAR(64),
    PRIMARY KEY (model_name)
)""")


def _m009_run_leases(conn: sa.Connection) -> None:
    # The lease of the process running an eval run (``baimo.store.leases``): a second
    # ``--resume`` of a run still going would ask, and pay for, every question again.
    _ddl(conn, """
CREATE TABLE run_leases (
    run_id VARCHAR(32) NOT NULL,
    owner VARCHAR(200) NOT NULL,
    expires_at FLOAT NOT NULL,
    PRIMARY KEY (run_id)
)""")


MIGRATIONS: list[tuple[str, Step]] = [
    ("001_initial", _m001_initial),
    ("002_perf_requests", _m002_perf_requests),
    ("003_perf_levels", _m003_perf_levels),
    ("004_judgements", _m004_judgements),
    ("005_score_results", _m005_score_results),
    ("006_web", _m006_web),
    ("007_arena", _m007_arena),
    ("008_monitor", _m008_monitor),
    ("009_run_leases", _m009_run_leases),
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
