"""``Store.write``, the eval's one write path, on SQLite and a real PostgreSQL.

The failure this guards against (issue 10): one answer whose usage said 10**30 tokens made the
group-commit transaction overflow, so of 20 samples only the first few were stored while the
run said done. Every test here writes a batch with one bad row among good ones and checks that
all the good ones are stored, the bad one is an ``error`` row naming its field, and anything
not stored at all is reported.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from baimo.store import schema
from baimo.store.records import ResponseRecord, ResultRow
from baimo.store.store import Store


def _row(run_id: str, i: int, **kw: Any) -> ResultRow:
    base = ResultRow(run_id=run_id, model_name="m", task="t", task_version="1",
                     sample_id=f"s{i:02d}", key=f"k{i:02d}", category=None, status="ok",
                     score=1.0, extracted="A", reason=None, details={"i": i}, prompt_tokens=3,
                     completion_tokens=2, usage_estimated=False, latency_s=0.1, ttft_s=0.05,
                     cost=0.001, currency="CNY", attempts=1, cached=False)
    return replace(base, **kw)


def _resp(i: int, **kw: Any) -> ResponseRecord:
    base = ResponseRecord(key=f"k{i:02d}", model_identity="abc", request_json='{"messages":[]}',
                          response_json="{}", text=f"answer {i}", reasoning="",
                          finish_reason="stop", prompt_tokens=3, completion_tokens=2,
                          cached_tokens=0, reasoning_tokens=0, usage_estimated=False,
                          latency_s=0.1, ttft_s=0.05)
    return replace(base, **kw)


def _new_run(store: Store) -> str:
    return store.runs.create("eval", {"tasks": []}, "baimo eval", [("m", {"name": "m"})])


def test_an_overflowing_token_count_costs_only_its_own_row(db_url: str) -> None:
    store = Store(db_url)
    run = _new_run(store)
    results = [_row(run, i) for i in range(20)]
    results[7] = _row(run, 7, prompt_tokens=10**30, completion_tokens=10**30)
    responses = [_resp(i) for i in range(20)]
    responses[7] = _resp(7, prompt_tokens=10**30)
    report = store.write(results, responses)
    assert report.ok and not report.row_by_row
    assert (report.results, report.invalid, report.errored) == (20, 1, (("m", "t", "s07"),))
    stored = {r.sample_id: r for r in store.runs.results([run])}
    assert len(stored) == 20
    bad = stored["s07"]
    assert bad.status == "error" and bad.score == 0.0
    assert bad.reason is not None and "prompt_tokens" in bad.reason \
        and "completion_tokens" in bad.reason and "out of range" in bad.reason
    assert bad.prompt_tokens == 0
    assert all(r.status == "ok" for sid, r in stored.items() if sid != "s07")
    # The refused answer is not cached (so a resume asks again); the others are.
    cached = store.responses.get_many(f"k{i:02d}" for i in range(20))
    assert set(cached) == {f"k{i:02d}" for i in range(20)} - {"k07"}
    assert cached["k03"].text == "answer 3" and cached["k03"].request == {"messages": []}
    assert ("m", "t", "s07") not in store.runs.completed_samples(run)


def test_limits_follow_the_column_type_of_the_dialect(db_url: str) -> None:
    store = Store(db_url)
    run = _new_run(store)
    big = 2**40  # fits SQLite's 64-bit integers, not PostgreSQL's 32-bit INTEGER
    report = store.write([_row(run, 1, prompt_tokens=big), _row(run, 2)], [])
    row = {r.sample_id: r for r in store.runs.results([run])}["s01"]
    if store.is_sqlite:
        assert report.invalid == 0 and row.status == "ok" and row.prompt_tokens == big
    else:
        assert report.invalid == 1 and row.status == "error"
        assert row.reason is not None and "32-bit" in row.reason


def test_a_response_refused_makes_its_result_an_error(db_url: str) -> None:
    """A cached answer with an impossible count must not be cached nor scored as answered."""
    store = Store(db_url)
    run = _new_run(store)
    report = store.write([_row(run, 1), _row(run, 2)],
                         [_resp(1, reasoning_tokens=-(10**20)), _resp(2)])
    assert (report.results, report.responses, report.invalid) == (2, 1, 1)
    rows = {r.sample_id: r for r in store.runs.results([run])}
    assert rows["s01"].status == "error" and rows["s02"].status == "ok"
    assert rows["s01"].reason is not None and "reasoning_tokens" in rows["s01"].reason
    assert rows["s01"].prompt_tokens == 3  # its own fields were fine and are kept


def test_non_finite_numbers_long_text_and_unencodable_details(db_url: str) -> None:
    store = Store(db_url)
    run = _new_run(store)
    report = store.write([
        _row(run, 1, latency_s=math.nan),
        _row(run, 2, cost=math.inf),
        _row(run, 3, category="x" * 201),
        _row(run, 4, details={"n": 10**30}),
        _row(run, 5, extracted="a\x00b"),
        _row(run, 6),
        _row(run, 7, reason="bad \ud800 escape"),  # a lone surrogate: not encodable text
    ], [])
    assert report.invalid == 6 and report.results == 7
    rows = {r.sample_id: r for r in store.runs.results([run])}
    expect = {"s01": "latency_s", "s02": "cost", "s03": "category", "s04": "details",
              "s05": "extracted", "s07": "reason"}
    for sid, field in expect.items():
        reason = rows[sid].reason
        assert rows[sid].status == "error" and reason is not None and field in reason, \
            (sid, reason)
    assert rows["s01"].latency_s is None and rows["s03"].category is None
    assert rows["s04"].details is None
    assert rows["s06"].status == "ok" and rows["s06"].details == {"i": 6}


def test_a_batch_the_database_refuses_is_written_row_by_row(db_url: str) -> None:
    """A row that passes the checks but breaks a constraint (here: its run does not exist)
    fails the batch transaction; every other row is still written, and the one that cannot
    be written even alone or as an error row is reported lost, not silently dropped."""
    store = Store(db_url)
    run = _new_run(store)
    results = [_row(run, i) for i in range(20)]
    results[4] = _row("no-such-run", 4)
    report = store.write(results, [_resp(i) for i in range(20)])
    assert report.row_by_row and not report.ok
    assert report.results == 19 and report.responses == 20
    assert [(lost.table, lost.ident) for lost in report.lost] == [("results", "m/t/s04")]
    assert "foreign key" in report.lost[0].reason.lower()  # the database's own words
    assert store.lost == list(report.lost)
    stored = store.runs.results([run])
    assert len(stored) == 19 and all(r.status == "ok" for r in stored)
    assert "s04" not in {r.sample_id for r in stored}


def test_writing_the_same_sample_twice_keeps_the_first(db_url: str) -> None:
    store = Store(db_url)
    run = _new_run(store)
    store.write([_row(run, 1)], [_resp(1)])
    report = store.write([_row(run, 1, status="wrong", score=0.0)], [_resp(1, text="other")])
    assert report.ok
    (row,) = store.runs.results([run])
    assert row.status == "ok" and store.responses.get("k01") is not None
    found = store.responses.get("k01")
    assert found is not None and found.text == "answer 1"
    # Legacy dict responses (what runs/runner.py still passes) are accepted too.
    legacy = {c.name: v for c, v in zip(schema.responses.columns, (
        "k09", "abc", "{}", "{}", "t", "", None, 1, 1, 0, 0, True, 0.2, None, None),
        strict=True)}
    assert store.write([_row(run, 9)], [legacy]).responses == 1
    with store.engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(schema.responses)).scalar()
    assert n == 2


_ODD_VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 2**31 - 1, 2**31, -(2**31), 2**63 - 1, 2**63, -(2**63), 10**30,
    0.5, -0.0, math.inf, -math.inf, math.nan, "", "x", "a" * 8, "a" * 9, "a" * 33, "ü", "a\x00b",
    "\ud800", b"bytes", [1], {"a": 1}, 3 + 0j,
]


def test_the_generated_row_test_never_passes_what_the_full_check_refuses() -> None:
    """``_all_storable`` (one generated function per table) may send a storable row to the
    full check, but must never let through a value ``check_value`` would refuse."""
    from baimo.store.validate import _all_storable, check_value

    for dialect in ("sqlite", "postgresql"):
        for table in (schema.results, schema.responses):
            storable = _all_storable(table, dialect)
            good = {c.name: _GOOD.get(c.name, 1) for c in table.columns if c.name != "id"}
            assert storable(good), table.name
            assert storable({**good, "extra": 1}) is False
            assert storable({**good, "prompt_tokens": 10**30}) is False
            assert storable({**good, "text": "a\x00b"}) is False
            for col in table.columns:
                for value in _ODD_VALUES:
                    row = {**good, col.name: value}
                    if storable(row):
                        assert check_value(col, value, dialect) is None, (col.name, value)


_GOOD: dict[str, Any] = {
    "run_id": "r", "model_name": "m", "task": "t", "task_version": "v", "sample_id": "s",
    "key": "k", "category": None, "status": "ok", "score": 1.0, "extracted": "2",
    "reason": None, "details_json": None, "prompt_tokens": 1, "completion_tokens": 1,
    "usage_estimated": False, "latency_s": 0.1, "ttft_s": None, "cost": 0.0,
    "currency": "CNY", "attempts": 1, "cached": False, "created_at": 1.0,
    "model_identity": "i", "request_json": "{}", "response_json": "{}", "text": "t",
    "reasoning": "", "finish_reason": "stop", "cached_tokens": 0, "reasoning_tokens": 0,
}
