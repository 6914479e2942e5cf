"""Scale-out: one latency-bound sweep on 1, 2 and 4 Ray workers.

The model is the mock server in its own process with a fixed 200 ms latency, so a shard's
throughput is bound by its concurrency over that latency (4 / 0.2 s = 20 samples/s), not by
CPU: adding workers should add throughput. The issue's target is a scaling efficiency
(throughput on k workers ÷ (k × throughput on one)) of at least 0.8 at 4 workers.

Every configuration asks fresh questions (no answer is cached) of the same size, writes to
the store named by ``BAIMO_DB`` (PostgreSQL on a real cluster) or to a temporary SQLite
file, and runs on a local Ray with 4 CPUs, one worker process per CPU; workers are started
before timing, since a cluster keeps them.

    python benchmarks/scale.py [--samples 960] [--concurrency 4] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import ray

from baimo.config import ModelConfig
from baimo.runs.eval import run_eval
from baimo.scale.executor import RayExecutor
from baimo.store.store import Store
from baimo.tasks.scorers import ScorerSpec, build_scorer
from baimo.tasks.task import Task
from baimo.tasks.types import Sample
from baimo.testing.mockserver import MockConfig, spawn_mockserver


def _task(name: str, n: int) -> Task:
    samples = [Sample(f"s{i}", ({"role": "user", "content":
                                 f"{name} q{i} [[answer:{i}]]"},), str(i)) for i in range(n)]
    return Task(name, "1", samples, build_scorer(ScorerSpec(type="numeric")),
                {"max_tokens": 16})


@ray.remote(num_cpus=1)
def _warm() -> int:
    import baimo.scale.executor  # noqa: F401  (the import a shard pays once per worker)

    time.sleep(0.5)
    return os.getpid()


def one(url: str, store: Store, workers: int, n: int, conc: int, tag: str) -> float:
    # The endpoint admits 64 at once (for all shards, through its gate); each shard keeps
    # ``conc`` in flight, which is what makes a worker latency-bound.
    model = ModelConfig.model_validate({"name": "m", "base_url": url,
                                        "limits": {"concurrency": 64}})
    ex = RayExecutor(chunk=max(1, n // 8), max_shards=workers, shard_concurrency=conc)
    t0 = time.perf_counter()
    out = run_eval(store, [model], [_task(f"scale-{tag}-{workers}", n)], executor=ex)
    elapsed = time.perf_counter() - t0
    ok = sum(r.status == "ok" for r in store.runs.results([out.run_id]))
    if ok != n:
        raise SystemExit(f"{workers} workers: only {ok}/{n} samples ok")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=960)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--latency", type=float, default=0.2)
    args = ap.parse_args()
    ray.init(num_cpus=4, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    pids = set(ray.get([_warm.remote() for _ in range(8)]))
    tag = str(int(time.time()))
    with tempfile.TemporaryDirectory() as d, \
            spawn_mockserver(MockConfig(ttft_s=args.latency)) as srv:
        store = Store(os.environ.get("BAIMO_DB") or f"sqlite:///{d}/scale.db")
        print(f"{args.samples} samples, {args.latency * 1e3:.0f} ms latency, concurrency "
              f"{args.concurrency} per shard, store {store.safe_url}, "
              f"{len(pids)} warm Ray workers")
        print("workers  seconds  samples/s  ideal/s  efficiency")
        base = 0.0
        for k in (1, 2, 4):
            secs = one(srv.base_url, store, k, args.samples, args.concurrency, tag)
            rate = args.samples / secs
            base = base or rate
            ideal = k * args.concurrency / args.latency
            print(f"{k:>7}  {secs:7.2f}  {rate:9.1f}  {ideal:7.1f}  {rate / (k * base):10.2f}")
    ray.shutdown()


if __name__ == "__main__":
    main()
