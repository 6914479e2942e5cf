"""Migrations: an existing user's database upgrades with every row intact, and its schema is
exactly a fresh database's and exactly ``schema.metadata``.

``fixtures/wave1.db`` is a SQLite store written by baimo at commit 33c0e00 (before the
migrations were frozen): an eval of two models on the mock server, a perf run, a pairwise
judgement and a score result, so every table has rows. ``fixtures/make_wave1.py`` says how it
was made (run against a ``git worktree`` of that commit) and can make it again.

Why three-way: a step that reads today's table definitions passes every fresh-database test
and breaks every upgrade. Comparing fresh with upgraded catches a step that differs from
history; comparing both with ``schema.metadata`` catches a column added to ``schema`` without
a step (``test_the_comparison_sees_a_forgotten_step`` shows the comparison would notice).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from baimo.store import schema
from baimo.store.migrations import MIGRATIONS, _apply, migrate
from baimo.store.store import Store

FIXTURE = Path(__file__).parent / "fixtures" / "wave1.db"
MONITOR_TABLES = ("monitor_cycles", "monitor_probes", "monitor_checks", "monitor_incidents",
                  "monitor_leases")  # 008_monitor
LATER_TABLES = (*MONITOR_TABLES, "run_leases")  # 008_monitor, 009_run_leases
TABLES = sorted(schema.metadata.tables)


def _family(t: Any) -> str:
    """A column type as both dialects reflect it (FLOAT comes back as DOUBLE PRECISION on
    PostgreSQL, SERIAL as INTEGER)."""
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.Integer):
        return "int"
    if isinstance(t, (sa.Float, sa.Numeric)):
        return "float"
    if isinstance(t, sa.String):
        return f"varchar({t.length})" if t.length else "text"
    raise AssertionError(f"unexpected column type {t!r}")


def describe_db(engine: sa.Engine) -> dict[str, Any]:
    """Tables, columns (name, type, nullable), primary keys, unique constraints, indexes and
    foreign keys, as the database reports them."""
    insp = sa.inspect(engine)
    out: dict[str, Any] = {}
    for name in sorted(set(insp.get_table_names()) - {"baimo_migrations", "sqlite_sequence"}):
        out[name] = {
            "columns": [(c["name"], _family(c["type"]), bool(c["nullable"]))
                        for c in insp.get_columns(name)],
            "pk": sorted(insp.get_pk_constraint(name)["constrained_columns"]),
            "unique": sorted((u["name"], tuple(u["column_names"]))
                             for u in insp.get_unique_constraints(name)),
            "indexes": sorted((i["name"], tuple(str(c) for c in i["column_names"]),
                               bool(i["unique"])) for i in insp.get_indexes(name)
                              if not i.get("duplicates_constraint")),
            "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"],
                           tuple(f["referred_columns"])) for f in insp.get_foreign_keys(name)),
        }
    return out


def describe_metadata(metadata: sa.MetaData) -> dict[str, Any]:
    """The same description from table definitions."""
    out: dict[str, Any] = {}
    for name in sorted(metadata.tables):
        t = metadata.tables[name]
        out[name] = {
            "columns": [(c.name, _family(c.type), bool(c.nullable) and not c.primary_key)
                        for c in t.columns],
            "pk": sorted(c.name for c in t.primary_key.columns),
            "unique": sorted((str(u.name), tuple(c.name for c in u.columns))
                             for u in t.constraints if isinstance(u, sa.UniqueConstraint)),
            "indexes": sorted((str(i.name), tuple(c.name for c in i.columns), bool(i.unique))
                              for i in t.indexes),
            "fks": sorted(((f.parent.name,), f.column.table.name, (f.column.name,))
                          for f in t.foreign_keys),
        }
    return out


def _counts_sqlite(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        return {n: con.execute(f'select count(*) from "{n}"').fetchone()[0] for n in names
                if n not in ("baimo_migrations", "sqlite_sequence")}
    finally:
        con.close()


@pytest.fixture
def upgraded(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A copy of the wave-1 database (and its row counts before the upgrade)."""
    copy = tmp_path / "wave1.db"
    shutil.copyfile(FIXTURE, copy)
    return copy, _counts_sqlite(copy)


def test_the_fixture_has_rows_in_every_table(upgraded: tuple[Path, dict[str, int]]) -> None:
    _, before = upgraded
    # Tables added by later steps (006_web: users, tokens, jobs; 007_arena: battles,
    # battle_votes) did not exist in wave 1.
    assert sorted(before) == sorted(set(TABLES) - {"users", "tokens", "jobs", "battles",
                                                   "battle_votes", *LATER_TABLES})
    assert all(n > 0 for n in before.values()), before
    assert FIXTURE.stat().st_size < 1_000_000


def test_upgrading_the_wave1_database_keeps_every_row(
        upgraded: tuple[Path, dict[str, int]]) -> None:
    path, before = upgraded
    store = Store(f"sqlite:///{path}")
    store.close()
    after = _counts_sqlite(path)
    assert {k: after[k] for k in before} == before
    con = sqlite3.connect(path)
    applied = [r[0] for r in con.execute("select name from baimo_migrations order by name")]
    con.close()
    assert applied == [n for n, _ in MIGRATIONS]
    _spot_check(Store(f"sqlite:///{path}"))


def _spot_check(store: Store) -> None:
    """Values written by wave 1, read back through today's typed repositories."""
    runs = store.runs.recent(10)
    assert sorted(r.kind for r in runs) == ["eval", "perf"]
    ev = next(r for r in runs if r.kind == "eval")
    assert ev.status == "done" and ev.command == "baimo eval --task mul.yaml"
    assert ev.model_names == ["full", "short"] and ev.n_results == 10
    assert [t["name"] for t in ev.spec["tasks"]] == ["mul"]
    assert {m.model_name: m.status for m in ev.models} == {"full": "ok", "short": "ok"}
    results = store.runs.results([ev.id])
    full = {r.sample_id: r for r in results if r.model_name == "full"}
    assert sorted(full) == ["s0", "s1", "s2", "s3", "s4"]
    assert full["s3"].status == "ok" and full["s3"].score == 1.0 and full["s3"].extracted == "21"
    assert full["s3"].category == "odd" and full["s3"].currency == "CNY"
    assert full["s3"].cost > 0 and full["s3"].prompt_tokens > 0
    assert full["s4"].status == "no-answer" and full["s4"].details is not None
    short = {r.sample_id: r for r in results if r.model_name == "short"}
    assert short["s3"].completion_tokens == 2 and short["s3"].status == "truncated"
    answers = store.responses.get_many(r.key for r in results)
    assert len(answers) == 10
    assert answers[full["s3"].key].text == "The answer is 21."
    assert answers[short["s3"].key].finish_reason == "length"
    assert answers[full["s3"].key].request["messages"][-1]["content"].startswith(
        "What is 3 times 7?")
    pf = next(r for r in runs if r.kind == "perf")
    reqs = store.perf.requests([pf.id])
    assert len(reqs) == 4 and all(r.phase == "measure" and r.status == "ok" for r in reqs)
    assert all(r.chunk_times and r.output_tokens == 1 and r.finish_reason == "stop"
               and r.prompt_tokens_client == 16 for r in reqs)
    (level,) = store.perf.levels([pf.id])
    assert (level.level, level.load_kind, level.load_value) == ("c=2", "concurrency", 2.0)
    assert level.summary["requests"]["ok"] == 4
    verdicts = store.judgements.for_run(ev.id)
    assert sorted((v.sample_id, v.status, v.winner) for v in verdicts) == [
        ("s0", "judge-parse-error", None), ("s1", "judge-parse-error", None),
        ("s2", "judge-parse-error", None), ("s3", "judge-parse-error", None),
        ("s4", "ok", "tie")]
    assert {(v.model_a, v.model_b, v.mode) for v in verdicts} == {("full", "short", "pairwise")}
    assert all(v.details is not None for v in verdicts)
    (score,) = store.scores.recent()
    assert score.methodology == "frost-sullivan-2023" and len(score.methodology_sha256) == 64
    assert score.result["methodology"]["id"] == "frost-sullivan-2023"
    assert store.scores.get(score.id[:12]).id == score.id


def test_fresh_upgraded_and_metadata_schemas_are_identical(
        upgraded: tuple[Path, dict[str, int]], db_url: str) -> None:
    path, _ = upgraded
    old = Store(f"sqlite:///{path}")
    fresh = Store(db_url)
    want = describe_metadata(schema.metadata)
    assert describe_db(fresh.engine) == want
    assert describe_db(old.engine) == want


def test_the_comparison_sees_a_forgotten_step(db_url: str) -> None:
    """A column added to the tables without a migration step must fail the comparison."""
    fresh = Store(db_url)
    changed = sa.MetaData()
    for t in schema.metadata.tables.values():
        t.to_metadata(changed)
    changed.tables["results"].append_column(sa.Column("judge_score", sa.Float))
    assert describe_db(fresh.engine) != describe_metadata(changed)


def test_a_first_release_database_takes_every_later_step(db_url: str) -> None:
    """A database that stopped after step 002 (perf_requests without its two later columns)
    gains them in 003, keeps its rows, and ends equal to a fresh one."""
    engine = sa.create_engine(Store(db_url).url)  # a URL in the dialect's driver form
    Store(db_url).close()
    # Start over on an empty database of the same kind: drop what the open just made.
    with engine.begin() as conn:
        for t in reversed(schema.metadata.sorted_tables):
            conn.execute(sa.text(f"DROP TABLE {t.name}"))
        conn.execute(sa.text("DROP TABLE baimo_migrations"))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE baimo_migrations (name VARCHAR(100) NOT NULL "
                             "PRIMARY KEY, applied_at FLOAT NOT NULL)"))
        for name, step in MIGRATIONS[:2]:
            step(conn)
            conn.execute(sa.text("INSERT INTO baimo_migrations VALUES (:n, 0)"), {"n": name})
        conn.execute(sa.text(
            "INSERT INTO runs (id, kind, status, created_at, spec_json, baimo_version) "
            "VALUES ('r1', 'perf', 'done', 1.0, '{}', '0.1')"))
        conn.execute(sa.text(
            "INSERT INTO perf_requests (run_id, model_name, level, seq, phase, status, "
            "scheduled, output_tokens) VALUES ('r1', 'm', 'c=1', 0, 'measured', 'ok', 0.5, 7)"))
    cols = {c["name"] for c in sa.inspect(engine).get_columns("perf_requests")}
    assert "finish_reason" not in cols
    assert migrate(engine) == [n for n, _ in MIGRATIONS[2:]]
    store = Store(db_url)
    (req,) = store.perf.requests(["r1"])
    assert (req.output_tokens, req.finish_reason, req.prompt_tokens_client) == (7, None, None)
    assert describe_db(store.engine) == describe_metadata(schema.metadata)
    with engine.begin() as conn:
        assert _apply(conn) == []


def test_fresh_sqlite_ddl_is_the_text_wave1_wrote(
        upgraded: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    """Stronger than reflection on SQLite: the stored CREATE statements are the same text
    (up to whitespace) as those wave 1's ``create_all`` wrote."""
    path, _ = upgraded
    Store(f"sqlite:///{tmp_path / 'fresh.db'}").close()

    def ddl(db: Path) -> list[str]:
        con = sqlite3.connect(db)
        try:
            rows = con.execute("select sql from sqlite_master where sql is not null and "
                               "name != 'baimo_migrations' order by name").fetchall()
        finally:
            con.close()
        return [" ".join(r[0].replace("(", " ( ").replace(")", " ) ").split()) for r in rows]

    # Wave 1's statements, unchanged; what later steps add (006_web) is checked by the
    # reflection tests against ``schema``.
    old = ddl(path)
    assert [d for d in ddl(tmp_path / "fresh.db") if d in old or not _later(d)] == old


def _later(statement: str) -> bool:
    """A CREATE statement of a step after wave 1 (006_web)."""
    return any(f" {name} " in statement for name in (
        "users", "tokens", "jobs", "ix_results_model_task", "ix_runs_created",
        "battles", "battle_votes", "ix_battles_created", "ix_battles_creator",
        "ix_battles_external", "ix_battle_votes_role", *LATER_TABLES,
        "ix_monitor_probes_model", "ix_monitor_checks_model", "ix_monitor_incidents_model"))
