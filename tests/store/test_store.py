"""The store on SQLite and on a real PostgreSQL: migrations, runs, results, cache."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from baimo.errors import NotFound
from baimo.store import schema
from baimo.store.migrations import MIGRATIONS
from baimo.store.records import JudgementRecord, PerfLevelRecord, PerfRequestRecord
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
    """Write, rewrite, resume bookkeeping and run references, through the repositories."""
    store = Store(db_url)
    run = store.runs.create("eval", {"tasks": []}, "baimo eval", [("m", {"name": "m"})])
    store.write([_row(run, "1"), _row(run, "2", "error")],
                [{"key": "k1", "model_identity": "abc", "request_json": "{}",
                  "response_json": "{}", "text": "A", "reasoning": "", "finish_reason": "stop",
                  "prompt_tokens": 3, "completion_tokens": 2, "cached_tokens": 0,
                  "reasoning_tokens": 0, "usage_estimated": False, "latency_s": 0.1,
                  "ttft_s": 0.05}])
    # Writing the same sample again is ignored, not duplicated.
    store.write([_row(run, "1")], [])
    rows = store.runs.results([run])
    assert [(r.sample_id, r.status) for r in rows] == [("1", "ok"), ("2", "error")]
    assert rows[0].details == {"x": 1}
    assert store.runs.completed_samples(run) == {("m", "t", "1")}
    assert set(store.responses.get_many(["k1", "nope"])) == {"k1"}
    assert store.runs.clear_errors(run) == 1
    assert store.runs.resolve(run[:12]) == run
    assert store.runs.resolve("latest") == run
    store.runs.finish(run, "done")
    assert store.runs.get(run).status == "done"


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


def test_typed_runs_and_results(db_url: str) -> None:
    store = Store(db_url)
    run = store.runs.create("eval", {"tasks": [{"name": "t", "version": "1"}]}, "baimo eval",
                            [("m", {"name": "m", "provider": "vllm"}), ("n", {"name": "n"})])
    store.write([_row(run, "1"), _row(run, "2", "wrong")], [])
    rec = store.runs.get(run)
    assert (rec.kind, rec.status, rec.finished_at, rec.n_results) == ("eval", "running", None, 2)
    assert rec.spec["tasks"][0]["name"] == "t" and rec.model_names == ["m", "n"]
    assert rec.models[0].model == {"name": "m", "provider": "vllm"}
    assert rec.models[0].status == "pending"
    store.runs.set_model_status(run, "n", "failed", "no key")
    store.runs.finish(run, "done")
    rec = store.runs.get(run)
    assert rec.status == "done" and rec.finished_at is not None
    assert [(m.model_name, m.status, m.reason) for m in rec.models] == [
        ("m", "pending", None), ("n", "failed", "no key")]
    rows = store.runs.results([run])
    assert [(r.sample_id, r.status, r.details) for r in rows] == [
        ("1", "ok", {"x": 1}), ("2", "wrong", {"x": 1})]
    assert rows[0].id < rows[1].id and rows[0].created_at > 0
    assert isinstance(rows[0].usage_estimated, bool) and isinstance(rows[0].cached, bool)
    assert [r.id for r in store.runs.recent(kind="eval")] == [run]
    assert store.runs.recent(kind="perf") == []
    with pytest.raises(NotFound, match="baimo runs list"):
        store.runs.get("nope")


def test_judgements_repository(db_url: str) -> None:
    store = Store(db_url)
    run = store.runs.create("eval", {}, "", [("a", {}), ("b", {})])

    def verdict(sid: str, status: str, winner: str | None) -> JudgementRecord:
        return JudgementRecord(
            run_id=run, task="t", sample_id=sid, mode="pairwise", model_a="a", model_b="b",
            judge_model="j", judge_identity="jid", prompt_id="pairwise-en", prompt_version="1",
            prompt_hash="h" * 64, status=status, winner=winner, verdict_1=winner,
            verdict_2=winner, cost=0.5, currency="CNY", details={"orders": []},
            created_at=1.0)

    store.judgements.write([verdict("1", "ok", "A"), verdict("2", "error", None)])
    # An error verdict is replaced by the next one for the same key; an ok one stays.
    store.judgements.write([verdict("2", "ok", "B")])
    got = store.judgements.for_pair(run, "a", "b", "jid")
    assert {k[1]: (v.status, v.winner) for k, v in got.items()} == {
        "1": ("ok", "A"), "2": ("ok", "B")}
    assert store.judgements.for_pair(run, "b", "a", "jid") == {}
    rows = store.judgements.for_run(run)
    assert [r.sample_id for r in rows] == ["1", "2"] and rows[0].details == {"orders": []}
    with pytest.raises(sa.exc.IntegrityError):
        store.judgements.write([verdict("1", "ok", "B")])


def test_scores_and_perf_repositories(db_url: str) -> None:
    store = Store(db_url)
    sid = store.scores.add(methodology="m1", methodology_sha256="0" * 64, method="topsis",
                           scenario=None, inputs={"runs": ["r"]}, result={"ranks": [1]},
                           command="baimo score")
    (rec,) = store.scores.recent("m1")
    assert (rec.id, rec.inputs, rec.result, rec.command) == (
        sid, {"runs": ["r"]}, {"ranks": [1]}, "baimo score")
    assert store.scores.get(sid[:14]).id == sid and store.scores.recent("other") == []
    with pytest.raises(NotFound):
        store.scores.get("nope")
    run = store.runs.create("perf", {}, "", [("m", {})])
    req = PerfRequestRecord(
        run_id=run, model_name="m", level="c=1", seq=0, phase="measure", status="ok",
        error_kind=None, reason=None, scheduled=0.0, sent=0.001, first_byte=0.01,
        first_token=0.02, first_answer=0.02, last_token=0.1, done=0.11, prompt_tokens=5,
        output_tokens=3, output_tokens_client=3, usage_from_server=True,
        chunk_times=[0.02, 0.06, 0.1], chunk_tokens=[1, 1, 1], finish_reason="stop",
        prompt_tokens_client=5)
    store.perf.write_requests([req, replace(req, seq=1, chunk_tokens=None)])
    got = store.perf.requests([run])
    assert [replace(g, id=0) for g in got] == [req, replace(req, seq=1, chunk_tokens=None)]
    store.perf.write_level(PerfLevelRecord(
        run_id=run, model_name="m", level="c=1", position=0, load_kind="concurrency",
        load_value=1.0, started_at=5.0, client_limited=False, summary={"requests": {"ok": 2}}))
    (level,) = store.perf.levels([run])
    assert level.summary == {"requests": {"ok": 2}} and level.client_limited is False
