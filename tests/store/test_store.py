"""The store on SQLite and on a real PostgreSQL: migrations, runs, results, cache."""

from __future__ import annotations

import sqlalchemy as sa

from baimo.store import schema
from baimo.store.migrations import MIGRATIONS
from baimo.store.store import ResultRow, Store


def _row(run_id: str, sid: str, status: str = "ok") -> ResultRow:
    return ResultRow(run_id=run_id, model_name="m", task="t", task_version="1", sample_id=sid,
                     key=f"k{sid}", category=None, status=status, score=1.0, extracted="A",
                     reason=None, details={"x": 1}, prompt_tokens=3, completion_tokens=2,
                     usage_estimated=False, latency_s=0.1, ttft_s=0.05, cost=0.0,
                     currency="CNY", attempts=1, cached=False)


def test_migrations_create_every_table_and_column(db_url: str) -> None:
    store = Store(db_url)
    insp = sa.inspect(store.engine)
    for table in schema.metadata.tables.values():
        cols = {c["name"] for c in insp.get_columns(table.name)}
        assert cols == {c.name for c in table.columns}, table.name
    with store.engine.connect() as conn:
        names = [r[0] for r in conn.execute(sa.text("select name from baimo_migrations"))]
    assert sorted(names) == [n for n, _ in MIGRATIONS]
    # Opening again applies nothing new.
    Store(db_url)


def test_results_roundtrip_and_idempotent_writes(db_url: str) -> None:
    store = Store(db_url)
    run = store.create_run("eval", {"tasks": []}, "baimo eval", [("m", {"name": "m"})])
    store.write([_row(run, "1"), _row(run, "2", "error")],
                [{"key": "k1", "model_identity": "abc", "request_json": "{}",
                  "response_json": "{}", "text": "A", "reasoning": "", "finish_reason": "stop",
                  "prompt_tokens": 3, "completion_tokens": 2, "cached_tokens": 0,
                  "reasoning_tokens": 0, "usage_estimated": False, "latency_s": 0.1,
                  "ttft_s": 0.05}])
    # Writing the same sample again is ignored, not duplicated.
    store.write([_row(run, "1")], [])
    rows = store.results([run])
    assert [(r["sample_id"], r["status"]) for r in rows] == [("1", "ok"), ("2", "error")]
    assert rows[0]["details"] == {"x": 1}
    assert store.completed_samples(run) == {("m", "t", "1")}
    assert set(store.cached_responses(["k1", "nope"])) == {"k1"}
    assert store.clear_errors(run) == 1
    assert store.resolve_run(run[:12]) == run
    assert store.resolve_run("latest") == run
    store.finish_run(run, "done")
    assert store.get_run(run)["status"] == "done"


def test_concurrent_first_opens_do_not_race(db_url: str) -> None:
    import threading

    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Store(db_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
