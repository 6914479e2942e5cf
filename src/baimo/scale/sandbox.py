"""Sandboxed code checks on the cluster's workers, every sandbox limit still applying.

Code benchmarks spend their time running model-written programs (HumanEval with many samples
per problem for pass@k). In a sharded eval the checks already run on the workers: the scorer
runs where its shard runs, and ``tasks.sandbox`` sets up each run's limits and isolation in
that worker's process, as it does locally. ``run_on_cluster`` is for checks without an eval
around them (re-checking stored completions, pass@k sweeps): batches of programs as Ray
tasks, each batch through ``sandbox.run_many`` on its worker, so at most one run per worker
CPU executes at a time there and none is timed out while waiting for a core.

Every worker must be able to sandbox (``baimo.tasks.sandbox.sandbox_info``); the isolation
each batch got is returned with its results, so a caller can refuse a weaker worker.
"""

from __future__ import annotations

from collections.abc import Sequence

from baimo.scale.executor import connect
from baimo.tasks.sandbox import ExecResult, SandboxLimits, run_many, sandbox_info

__all__ = ["run_on_cluster"]


def _batch(codes: Sequence[str], limits: SandboxLimits) -> tuple[list[ExecResult], str]:
    import socket

    info = sandbox_info()
    return run_many(codes, limits), f"{socket.gethostname()}: {', '.join(info.isolation)}"


def run_on_cluster(codes: Sequence[str], limits: SandboxLimits | None = None, *,
                   address: str | None = None, batch: int = 8, cpus: float = 1.0,
                   max_retries: int = 3) -> tuple[list[ExecResult], list[str]]:
    """Run ``codes`` in sandboxes on the cluster; results in order, and per batch where it
    ran and with which isolation. A batch whose worker died is run again elsewhere (a
    sandboxed run has no effect outside itself, so running it twice is harmless)."""
    limits = limits or SandboxLimits()
    ray = connect(address)
    remote = ray.remote(_batch).options(num_cpus=cpus, max_retries=max_retries)
    refs = [remote.remote(list(codes[i:i + batch]), limits)
            for i in range(0, len(codes), max(1, batch))]
    results: list[ExecResult] = []
    where: list[str] = []
    for got, info in ray.get(refs):
        results.extend(got)
        where.append(info)
    return results, where
