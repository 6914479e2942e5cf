"""Harness overhead: samples/s and CPU ms per sample against a server that answers at once.

Three clients, same mock server (a separate process), same concurrency (32):

- baimo: a full ``run_eval`` — scoring, cost, durable SQLite rows for every sample;
- Inspect (``inspect-ai``) with its OpenAI-compatible provider (``pip install 'baimo[bench]'``);
- a bare asyncio/aiohttp streaming client that only sends, reads and parses: the ceiling.

Targets (issue 3): baimo ≥ 10× Inspect, ≥ 25% of the ceiling, ≤ 2 ms CPU per sample.

    python benchmarks/overhead.py [--samples 4000] [--inspect-samples 600]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).parent))
from _common import measure

from baimo.config import ModelConfig
from baimo.models.mockserver import MockConfig, spawn_mockserver
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.scorers import ScorerSpec, build_scorer
from baimo.tasks.task import Task
from baimo.tasks.types import Sample

CONCURRENCY = 32


def prompts(n: int, salt: str) -> list[tuple[str, str]]:
    return [(f"{salt}-{i}", f"Question {salt}-{i}: what is {i}+{i}? [[answer:{2 * i}]]")
            for i in range(n)]


def bench_baimo(base_url: str, n: int) -> tuple[float, float]:
    samples = [Sample(sid, ({"role": "user", "content": p},), str(2 * i))
               for i, (sid, p) in enumerate(prompts(n, "baimo"))]
    task = Task("overhead", "1", samples, build_scorer(ScorerSpec(type="numeric")),
                {"max_tokens": 16})
    model = ModelConfig(name="mock", base_url=base_url, model="mock",
                        limits={"concurrency": CONCURRENCY, "max_retries": 0})  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as d:
        store = Store(f"sqlite:///{d}/bench.db")
        with measure() as c:
            out = run_eval(store, [model], [task])
        rows = store.results([out.run_id])
        assert len(rows) == n and all(r["status"] == "ok" for r in rows), "baimo run failed"
        store.close()
    return n / c.wall, 1000 * c.cpu / n


def bench_bare(base_url: str, n: int) -> tuple[float, float]:
    url = base_url + "/chat/completions"
    items = prompts(n, "bare")

    async def go() -> None:
        conn = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=conn) as s:
            queue = list(items)

            async def worker() -> None:
                while queue:
                    _, p = queue.pop()
                    body = orjson.dumps({"model": "mock", "stream": True, "max_tokens": 16,
                                         "messages": [{"role": "user", "content": p}]})
                    async with s.post(url, data=body,
                                      headers={"Content-Type": "application/json"}) as r:
                        async for line in r.content:
                            if line.startswith(b"data: {"):
                                orjson.loads(line[6:])

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

    with measure() as c:
        asyncio.run(go())
    return n / c.wall, 1000 * c.cpu / n


def bench_inspect(base_url: str, n: int) -> tuple[float, float] | str:
    try:
        from inspect_ai import Task as ITask
        from inspect_ai import eval as ieval
        from inspect_ai.dataset import Sample as ISample
        from inspect_ai.scorer import includes
        from inspect_ai.solver import generate
    except ImportError:
        return "not installed (pip install 'baimo[bench]')"
    os.environ["LOCAL_API_KEY"] = "none"
    os.environ["LOCAL_BASE_URL"] = base_url
    os.environ.setdefault("INSPECT_LOG_DIR", tempfile.mkdtemp(prefix="inspect-logs-"))
    dataset = [ISample(input=p, target=str(2 * i)) for i, (_, p) in
               enumerate(prompts(n, "inspect"))]
    task = ITask(dataset=dataset, solver=generate(), scorer=includes())
    with measure() as c:
        logs = ieval(task, model="openai-api/local/mock", max_connections=CONCURRENCY,
                     display="none", max_tokens=16, log_level="error")
    if not logs or logs[0].status != "success":
        return f"failed: {logs[0].error if logs else 'no log'}"
    return n / c.wall, 1000 * c.cpu / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=4000)
    ap.add_argument("--inspect-samples", type=int, default=600)
    args = ap.parse_args()
    with spawn_mockserver(MockConfig()) as srv:
        bare = bench_bare(srv.base_url, args.samples)
        ours = bench_baimo(srv.base_url, args.samples)
        insp = bench_inspect(srv.base_url, args.inspect_samples)
    print(f"concurrency {CONCURRENCY}, mock server in a separate process, answers at once")
    print(f"{'client':<28}{'samples/s':>12}{'CPU ms/sample':>16}")
    print(f"{'bare aiohttp (ceiling)':<28}{bare[0]:>12.0f}{bare[1]:>16.2f}")
    print(f"{'baimo (scored + stored)':<28}{ours[0]:>12.0f}{ours[1]:>16.2f}")
    if isinstance(insp, tuple):
        print(f"{'inspect-ai':<28}{insp[0]:>12.0f}{insp[1]:>16.2f}")
        print(f"baimo / inspect throughput: {ours[0] / insp[0]:.1f}x (target >= 10x)")
    else:
        print(f"inspect-ai: {insp}")
    print(f"baimo / ceiling throughput: {ours[0] / bare[0]:.2f} (target >= 0.25)")
    print(f"baimo CPU per sample: {ours[1]:.2f} ms (target <= 2 ms)")


if __name__ == "__main__":
    main()
