"""``baimo perf --executor ray --clients N``: load from N actors, spread over the cluster.

Each actor runs its share of a level with the same code as a local client process
(``perf.client.run_plan`` on a stamping event loop) and returns its raw per-request rows;
the driver merges the rows and computes every metric from them, exactly as for one process
(``perf.runner``). Nothing is averaged across actors: a p99 of merged rows is the p99 of the
level, an average of per-actor p99s would not be.

Clocks. ``perf_counter`` is per host, so a common start and comparable stamps need each
actor's offset from the driver. Before every level the driver pings each actor a few times
(driver stamp, actor stamp, driver stamp) and keeps the ping with the shortest round trip:
offset = actor − midpoint, uncertain by half that round trip (Cristian's method). The
actor starts at the driver's epoch plus its offset, and its stamps are shifted back by the
offset, so all rows share the driver's clock. On one host the offset is ~0 (one
CLOCK_MONOTONIC) and the uncertainty is the ping's; across hosts it is what it is, and the
report says so, per host, with that host's own client-health verdict.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import time
from typing import Any

from baimo.perf import metrics
from baimo.perf.client import LevelOutcome, LevelPlan, RequestResult, prepare, quiet_gc, run_plan
from baimo.scale.executor import connect, wait_for_cpus

__all__ = ["PerfClient", "RayPerfPool", "shift"]

_perf = time.perf_counter
PINGS = 7


class PerfClient:
    """One load-generating client (a Ray actor): a plan at a time, on its own event loop."""

    def __init__(self, index: int) -> None:
        self.index = index
        self._plan: LevelPlan | None = None
        self._bodies: dict[int, Any] = {}

    def where(self) -> dict[str, Any]:
        return {"host": socket.gethostname(), "pid": os.getpid()}

    def clock(self) -> float:
        return _perf()

    def prepare(self, plan: LevelPlan) -> int:
        """Build the level's requests before the start (as ``WorkerPool`` workers do)."""
        self._plan = plan
        self._bodies = prepare(plan)
        return len(self._bodies)

    def run(self, epoch: float) -> LevelOutcome:
        """Run the prepared plan from ``epoch`` (this host's clock)."""
        from baimo.models.openai import stamping_event_loop

        plan, bodies = self._plan, self._bodies
        if plan is None:
            raise RuntimeError("run before prepare")
        self._plan, self._bodies = None, {}
        with quiet_gc(), asyncio.Runner(loop_factory=stamping_event_loop) as runner:
            return runner.run(run_plan(plan, epoch, bodies))


def shift(outcome: LevelOutcome, offset: float) -> LevelOutcome:
    """The outcome with every stamp moved from the actor's clock to the driver's."""
    def mv(t: float | None) -> float | None:
        return None if t is None else t - offset

    results: list[RequestResult] = []
    for r in outcome.results:
        results.append(dataclasses.replace(
            r, scheduled=r.scheduled - offset, sent=mv(r.sent), first_byte=mv(r.first_byte),
            first_token=mv(r.first_token), first_answer=mv(r.first_answer),
            last_token=mv(r.last_token), done=mv(r.done),
            chunk_times=[t - offset for t in r.chunk_times]))
    health = dict(outcome.health)
    for k in ("started", "stopped"):
        if isinstance(health.get(k), float):
            health[k] = health[k] - offset
    return LevelOutcome(results, health, outcome.epoch - offset)


class RayPerfPool:
    """N ``PerfClient`` actors, spread over the cluster's nodes; a ``perf.runner.LevelPool``.

    Args:
        clients: Actors to start.
        address: The Ray cluster (see ``executor.connect``).
        start_delay_s: Between the go and the level's start, so that every actor has its
            epoch before it arrives.
        cpu_wait_s: How long to wait for the cluster to offer a CPU per actor before
            refusing (an actor that cannot be placed is waited for silently).
    """

    def __init__(self, clients: int, address: str | None = None,
                 start_delay_s: float = 0.5, cpu_wait_s: float = 30.0) -> None:
        ray = connect(address)
        wait_for_cpus(ray, clients, cpu_wait_s, needs=f"--clients {clients} (a CPU each) need")
        self._ray = ray
        self.start_delay_s = start_delay_s
        actor = ray.remote(PerfClient).options(num_cpus=1, scheduling_strategy="SPREAD")
        self.actors = [actor.remote(i) for i in range(clients)]
        self.hosts: list[dict[str, Any]] = ray.get([a.where.remote() for a in self.actors])
        self.clocks: list[tuple[float, float]] = []

    @property
    def size(self) -> int:
        return len(self.actors)

    def _offset(self, actor: Any) -> tuple[float, float]:
        best: tuple[float, float] | None = None
        for _ in range(PINGS):
            t0 = _perf()
            theirs = float(self._ray.get(actor.clock.remote()))
            t1 = _perf()
            sample = (theirs - (t0 + t1) / 2, (t1 - t0) / 2)
            if best is None or sample[1] < best[1]:
                best = sample
        assert best is not None
        return best

    def run(self, plans: list[LevelPlan], max_seconds: float
            ) -> tuple[list[LevelOutcome], list[float | None]]:
        ray = self._ray
        if len(plans) != len(self.actors):
            raise ValueError("one plan per client actor")
        # Each host samples its own machine: the driver's CPU says nothing about theirs.
        ray.get([a.prepare.remote(dataclasses.replace(p, machine_cpu=True))
                 for a, p in zip(self.actors, plans, strict=True)])
        self.clocks = [self._offset(a) for a in self.actors]
        epoch = _perf() + self.start_delay_s
        refs = [a.run.remote(epoch + off) for a, (off, _u) in
                zip(self.actors, self.clocks, strict=True)]
        raw: list[LevelOutcome] = ray.get(refs, timeout=max_seconds)
        outcomes = []
        for i, (o, (off, unc)) in enumerate(zip(raw, self.clocks, strict=True)):
            moved = shift(o, off)
            health = moved.health
            health.update(host=self.hosts[i]["host"], clock_offset_ms=off * 1e3,
                          clock_uncertainty_ms=unc * 1e3,
                          verdict=metrics.client_health([health])["verdict"])
            outcomes.append(moved)
        return outcomes, []

    def close(self) -> None:
        for a in self.actors:
            self._ray.kill(a)
        self.actors = []
