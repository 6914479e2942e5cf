"""The runner's group-commit writer (``runs.runner._Writer``), on a real store.

It writes on a thread of its own, so what must hold is: a batch goes out once its loop turn
ends, on the writer's thread, without anybody calling ``flush``; answers that complete while a
batch is being written are not lost and form the next batch; a row the store turns into an error moves the counters;
and ``flush`` is a barrier after which everything added is stored and counted.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

from baimo.runs.runner import ModelProgress, _Writer
from baimo.store.records import ResponseRecord, ResultRow
from baimo.store.store import Store


def _row(run_id: str, i: int, **kw: object) -> ResultRow:
    base = ResultRow(run_id=run_id, model_name="m", task="t", task_version="1",
                     sample_id=f"s{i:03d}", key=f"k{i:03d}", category=None, status="ok",
                     score=1.0, extracted="A", reason=None, details=None, prompt_tokens=3,
                     completion_tokens=2, usage_estimated=False, latency_s=0.1, ttft_s=0.05,
                     cost=0.0, currency="CNY", attempts=1, cached=False)
    return replace(base, **kw)  # type: ignore[arg-type]


def _resp(i: int) -> ResponseRecord:
    return ResponseRecord(key=f"k{i:03d}", model_identity="abc", request_json="{}",
                          response_json="{}", text=f"answer {i}", reasoning="",
                          finish_reason="stop", prompt_tokens=3, completion_tokens=2,
                          cached_tokens=0, reasoning_tokens=0, usage_estimated=False,
                          latency_s=0.1, ttft_s=0.05)


def _stored(store: Store, run_id: str) -> int:
    return len(store.runs.results([run_id]))


def test_batches_are_written_by_the_thread_and_counted_on_the_loop(db_url: str) -> None:
    store = Store(db_url)
    run_id = store.runs.create("eval", {}, "baimo eval", [("m", {"name": "m"})])
    prog = ModelProgress("m", total=201, done=201, correct=201)
    writer = _Writer(store, {"m": prog})
    threads: set[str] = set()

    async def go() -> None:
        for i in range(200):
            writer.add(_row(run_id, i), _resp(i))
            if i % 10 == 9:
                await asyncio.sleep(0)  # a loop turn ends: the batch goes to the thread
                threads.update(t.name for t in threading.enumerate())
        # A row the database cannot hold: stored as an error row, and counted as one.
        writer.add(_row(run_id, 200, prompt_tokens=10**30, key="k200"), _resp(200))
        for _ in range(200):  # no flush: the writer empties itself
            await asyncio.sleep(0.01)
            if writer._writing is None and not writer.results:
                break
        assert _stored(store, run_id) == 201
        assert (prog.correct, prog.errors) == (200, 1)

    asyncio.run(go())
    writer.close()
    assert any(name.startswith("baimo-writer") for name in threads)
    assert not any(t.name.startswith("baimo-writer") for t in threading.enumerate())
    assert writer._pool is None
    rows = store.runs.results([run_id])
    assert sorted(r.sample_id for r in rows) == [f"s{i:03d}" for i in range(201)]
    assert [r.status for r in rows].count("error") == 1
    store.close()


def test_flush_is_a_barrier(db_url: str) -> None:
    store = Store(db_url)
    run_id = store.runs.create("eval", {}, "baimo eval", [("m", {"name": "m"})])
    writer = _Writer(store, {"m": ModelProgress("m")})

    async def go() -> None:
        for i in range(50):
            writer.add(_row(run_id, i), _resp(i))
        await asyncio.sleep(0)  # the first batch is on the thread now
        for i in range(50, 80):
            writer.add(_row(run_id, i), _resp(i))
        writer.flush()  # waits for the thread's batch, then writes the rest itself
        assert _stored(store, run_id) == 80
        assert store.responses.get("k079") is not None

    asyncio.run(go())
    writer.close()
    store.close()
