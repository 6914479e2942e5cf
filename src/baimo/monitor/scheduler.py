"""The monitor: cycles of probes per endpoint, on a schedule, with its state in the store.

Time is cut into *slots* of ``every`` seconds (``slot = floor(now / every) × every``). Each
tick (``Monitor.tick``) makes sure every endpoint has a finished cycle for the current slot:

1. A finished cycle for the slot: nothing to do (a second tick in the same slot, or a
   ``baimo monitor once`` from cron beside ``baimo monitor run``, does not run it again).
2. Otherwise take the endpoint's lease (``MonitorRepository.acquire``); if another monitor
   holds it, skip the endpoint this tick.
3. Open the slot's cycle, or find the one a killed monitor left ``running``: its plan (the
   probe names) was stored when it opened, and the probes already stored are not sent again.
   Older cycles left running are closed as ``interrupted``, keeping their probes.
4. Run the missing probes, committing each as it completes, while a heartbeat renews the
   lease; then the free checks, the cycle's values, the thresholds (``alerts.evaluate``), and
   the cycle is marked ``done``.

The clock is injectable (``Clock``): every stored time and every schedule decision reads it,
so a test advances a fake clock through days of slots in seconds. Only the probes' own
timings (TTFT, E2E...) use the real monotonic clock: they measure the wire.

``run_forever`` drives ``tick`` a few times per slot in the main thread, so a slow cycle never
overlaps the next tick and Ctrl-C cancels the tick cleanly (see its docstring).

Endpoints of one tick run concurrently, but only one *timed* request (or one parallel burst)
is on the wire at a time, and commits run off the event loop: the arrival stamps of a timed
probe must not wait behind another endpoint's work in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from baimo.config import ModelConfig
from baimo.errors import BaimoError
from baimo.models.client import ModelClient
from baimo.models.openai import OpenAIProvider
from baimo.monitor.alerts import cycle_values, evaluate, notify_pending
from baimo.monitor.fidelity import (
    REQUEST_CHECKS,
    canary_drift_check,
    run_check,
    usage_check,
)
from baimo.monitor.probes import CANARIES, Endpoint, canary_probe, probe_seed, timing_probe
from baimo.monitor.settings import MonitorSettings
from baimo.perf.tokenizer import Tokenizer
from baimo.store.leases import owner_id
from baimo.store.monitor import (
    CheckRecord,
    CycleRecord,
    MonitorRepository,
    ProbeRecord,
)
from baimo.store.store import Store

__all__ = ["Clock", "CycleOutcome", "Monitor", "SystemClock", "cycle_id_of", "plan_cycle"]

log = logging.getLogger(__name__)


class Clock(Protocol):
    """Where the monitor reads the time (epoch seconds)."""

    def now(self) -> float: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        return time.time()


@dataclass
class CycleOutcome:
    """What one tick did for one endpoint."""

    model: str
    slot: float
    status: str  # done | skipped | busy | interrupted | failed
    cycle_id: str | None = None
    probes_sent: int = 0
    probes_resumed: int = 0
    failed: int = 0
    empty: int = 0
    changes: list[str] = field(default_factory=list)
    detail: str = ""
    alert_errors: list[str] = field(default_factory=list)
    """Notifications that could not be delivered in this tick (printed to stderr)."""


def _count(out: CycleOutcome, probes: Sequence[ProbeRecord]) -> None:
    """Add stored probes to the outcome: an ``empty`` answer is its own count, not a
    failure (the server answered; see ``baimo.monitor.probes``)."""
    out.probes_sent += len(probes)
    out.failed += sum(p.status == "error" for p in probes)
    out.empty += sum(p.status == "empty" for p in probes)


def cycle_id_of(model_name: str, slot: float) -> str:
    """A cycle's id: the endpoint (hashed: names may be long) and the slot in milliseconds."""
    return f"{hashlib.sha256(model_name.encode()).hexdigest()[:16]}-{round(slot * 1000)}"


def _period_start(t: float, period: float) -> float:
    return math.floor(t / period) * period


def parallel_time(model_name: str, period_start: float, period: float, seed: int) -> float:
    """The random moment of a period at which the parallel probe is due (seeded)."""
    rng = random.Random(f"{seed}:{model_name}:{round(period_start)}")
    return period_start + rng.random() * period


def plan_cycle(settings: MonitorSettings, model_name: str, slot: float, *,
               last_parallel: float | None, last_fidelity: float | None) -> list[str]:
    """The probe names of the cycle of ``slot``, decided once when the cycle opens."""
    plan = [f"lat:{n}" for n in settings.sizes]
    if settings.canaries:
        plan += [f"canary:{c.id}" for c in CANARIES]
    end = slot + settings.every
    if settings.parallel > 0:
        p0 = _period_start(slot, settings.parallel_every)
        due = parallel_time(model_name, p0, settings.parallel_every, settings.seed)
        if due < end and (last_parallel is None or last_parallel < p0):
            plan += [f"par:{i}" for i in range(settings.parallel)]
    f0 = _period_start(slot, settings.fidelity_every)
    if last_fidelity is None or last_fidelity < f0:
        plan += [f"fid:{c}" for c in REQUEST_CHECKS]
    return plan


def probe_cost_tokens(settings: MonitorSettings) -> dict[str, Any]:
    """Tokens one endpoint spends per day on probes, by kind (for ``baimo monitor plan``)."""
    from baimo.models.base import estimate_tokens
    from baimo.monitor.fidelity import _PROMPTS, MAX_TOKENS_CAP
    from baimo.monitor.probes import CANARY_MAX_TOKENS

    cycles = 86400.0 / settings.every
    out_t = settings.output_tokens
    lat_in = sum(settings.sizes) * cycles
    lat_out = len(settings.sizes) * out_t * cycles
    can_in = (sum(estimate_tokens(c.prompt) + 8 for c in CANARIES) * cycles
              if settings.canaries else 0.0)
    can_out = (len(CANARIES) * CANARY_MAX_TOKENS * cycles if settings.canaries else 0.0)
    par_per_day = 86400.0 / max(settings.parallel_every, settings.every)
    par_in = settings.parallel * settings.parallel_input_tokens * par_per_day
    par_out = settings.parallel * out_t * par_per_day
    fid_per_day = 86400.0 / max(settings.fidelity_every, settings.every)
    caps = {"determinism": 2 * 64, "max_tokens": MAX_TOKENS_CAP, "stop": 32,
            "json_mode": 96, "tool_args": 128 + 120}
    fid_in = sum((2 if k == "determinism" else 1) * (estimate_tokens(_PROMPTS[k]) + 8)
                 + (120 if k == "tool_args" else 0) for k in REQUEST_CHECKS) * fid_per_day
    fid_out = sum(caps.values()) * fid_per_day
    rows = {"latency": (lat_in, lat_out), "canary": (can_in, can_out),
            "parallel": (par_in, par_out), "fidelity": (fid_in, fid_out)}
    return {"cycles_per_day": cycles,
            "by_kind": {k: {"input": round(i), "output": round(o)} for k, (i, o) in rows.items()},
            "input": round(sum(i for i, _ in rows.values())),
            "output": round(sum(o for _, o in rows.values())),
            "note": "output tokens are upper bounds (max_tokens); canary and fidelity prompt "
                    "lengths are estimates"}


class Monitor:
    """Probes ``models`` every ``settings.every`` seconds (see the module docstring).

    Args:
        store: Where cycles, probes, checks, incidents and leases live.
        models: The endpoints to monitor.
        settings: Schedule, sizes, thresholds and alert targets.
        clock: Time source for every stored time and schedule decision.
        tokenizer: The client tokenizer (exact prompt lengths and usage checks); None sends
            word prompts of approximate length and skips the usage check.
        owner: This monitor's lease owner id (default ``host:pid``).
    """

    def __init__(self, store: Store, models: Sequence[ModelConfig], settings: MonitorSettings,
                 *, clock: Clock | None = None, tokenizer: Tokenizer | None = None,
                 owner: str | None = None) -> None:
        self.store = store
        self.repo = MonitorRepository(store.engine)
        self.models = list(models)
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.tokenizer = tokenizer
        self.owner = owner or owner_id()
        self._serve: contextlib.ExitStack | None = None
        # One timed request on the wire at a time, across endpoints: concurrent probes of
        # other endpoints would delay this one's arrival stamps (the client's own load).
        self._wire: asyncio.Lock | None = None
        self._urls: dict[str, str] = {}
        self.interrupted_mid_cycle = False
        """Set when ``run_forever`` was interrupted while a tick was running."""

    # -- endpoints ----------------------------------------------------------------------
    def _base_url(self, cfg: ModelConfig) -> str:
        """The endpoint's base URL (a local engine is started once and kept running)."""
        if cfg.name not in self._urls:
            from baimo.models.registry import provider_kind

            if self._serve is None:
                self._serve = contextlib.ExitStack()
            self._urls[cfg.name] = self._serve.enter_context(provider_kind(cfg).serve(cfg))
        return self._urls[cfg.name]

    def close(self) -> None:
        if self._serve is not None:
            self._serve.close()
            self._serve = None
            self._urls.clear()

    def slot_of(self, t: float) -> float:
        return _period_start(t, self.settings.every)

    # -- ticks --------------------------------------------------------------------------
    def tick(self) -> list[CycleOutcome]:
        """One tick for every endpoint (synchronous; what the scheduler and ``once`` call)."""
        return asyncio.run(self.atick())

    async def atick(self) -> list[CycleOutcome]:
        now = self.clock.now()
        slot = self.slot_of(now)
        self._wire = asyncio.Lock()
        outcomes = list(await asyncio.gather(*(self._endpoint_tick(cfg, slot)
                                               for cfg in self.models)))
        try:
            errors = (await notify_pending(self.repo, self.settings, self.clock.now())).errors
        except Exception as exc:  # a broken alert target must not stop the monitor
            errors = [("", f"alert notification failed: {type(exc).__name__}: {exc}")]
        for model, message in errors:
            # On the endpoint's own line when it was in this tick, else on the first.
            mine = [o for o in outcomes if o.model == model] or outcomes[:1]
            for o in mine:
                o.alert_errors.append(message)
        return outcomes

    async def _endpoint_tick(self, cfg: ModelConfig, slot: float) -> CycleOutcome:
        repo, s = self.repo, self.settings
        found = repo.cycle(cfg.name, slot)
        if found is not None and found.status == "done":
            return CycleOutcome(cfg.name, slot, "skipped", found.id, detail="already done")
        now = self.clock.now()
        if not repo.acquire(cfg.name, self.owner, now, s.lease):
            holder = next((lease.owner for lease in repo.leases()
                           if lease.model_name == cfg.name), "?")
            return CycleOutcome(cfg.name, slot, "busy", detail=f"lease held by {holder}")
        try:
            return await self._run_cycle(cfg, slot)
        except BaimoError as exc:  # a missing key, an engine that cannot start: say so
            return CycleOutcome(cfg.name, slot, "failed", detail=str(exc))
        except Exception as exc:  # one endpoint's bug must not stop the others' cycles
            log.exception("monitor cycle of %s failed", cfg.name)
            return CycleOutcome(cfg.name, slot, "failed",
                                detail=f"{type(exc).__name__}: {exc}")
        finally:
            repo.release(cfg.name, self.owner)

    async def _run_cycle(self, cfg: ModelConfig, slot: float) -> CycleOutcome:
        repo, s = self.repo, self.settings
        cid = cycle_id_of(cfg.name, slot)
        now = self.clock.now()
        for old in repo.cycles(cfg.name, status="running"):
            if old.slot < slot:  # a killed monitor's cycle of an earlier slot: close it
                repo.finish_cycle(old.id, now, {**old.values, "interrupted": True})
        plan = plan_cycle(s, cfg.name, slot,
                          last_parallel=repo.last_probe_at(cfg.name, "parallel"),
                          last_fidelity=repo.last_check_at(cfg.name))
        cycle = repo.open_cycle(CycleRecord(id=cid, model_name=cfg.name, slot=slot,
                                            status="running", owner=self.owner,
                                            started_at=now, finished_at=None, plan=plan))
        if cycle.status == "done":
            return CycleOutcome(cfg.name, slot, "skipped", cid, detail="already done")
        stored = repo.probe_names(cid)
        checked = repo.check_names(cid)
        out = CycleOutcome(cfg.name, slot, "done", cid, probes_resumed=len(stored))
        held = asyncio.Event()
        held.set()

        async def heartbeat() -> None:
            # Renewed on a timer, not per probe: one probe may take longer than the lease
            # (a slow 10k prompt), and a lease that lapsed mid-probe would let another
            # monitor start the same endpoint. A renewal that fails means it is no longer
            # ours: the cycle stops at the next probe boundary.
            while held.is_set():
                await asyncio.sleep(min(30.0, s.lease / 3))
                ok = await asyncio.to_thread(repo.renew, cfg.name, self.owner,
                                             self.clock.now(), s.lease, cid)
                if not ok:
                    held.clear()

        url = self._base_url(cfg)
        provider = OpenAIProvider(cfg, base_url=url, pool_size=max(1, s.parallel))
        ep = Endpoint(cfg, provider, ModelClient(cfg, provider=provider))
        beat = asyncio.create_task(heartbeat())
        try:
            lost = await self._probes(ep, cycle, stored, checked, out, held.is_set)
        finally:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)
            await provider.aclose()
        lost = lost or not held.is_set()
        if lost:
            out.status = "interrupted"
            out.detail = "the lease was lost to another monitor; the cycle was left to it"
            return out
        self._finish(cfg, cycle, out)
        return out

    async def _probes(self, ep: Endpoint, cycle: CycleRecord, stored: set[str],
                      checked: set[str], out: CycleOutcome, renew: Callable[[], bool]
                      ) -> bool:
        """Run the plan's missing probes; True when the lease was lost midway."""
        s, tok, cid = self.settings, self.tokenizer, cycle.id
        canaries = {f"canary:{c.id}": c for c in CANARIES}
        par = [p for p in cycle.plan if p.startswith("par:") and p not in stored]
        for name in cycle.plan:
            if name in stored or name.startswith("par:"):
                continue
            if name.startswith("fid:"):
                check = name[4:]
                if check in checked:
                    continue
                row, probes = await run_check(ep, check, cycle_id=cid, at=self.clock.now(),
                                              tok=tok, usage_tolerance=s.usage_tolerance)
                await asyncio.to_thread(self.repo.write_probes, probes, [row])
                _count(out, probes)
            elif name.startswith("lat:"):
                n = int(name[4:])
                async with self._timing_lock():
                    p = await timing_probe(
                        ep, tok, cycle_id=cid, probe=name, kind="latency",
                        at=self.clock.now(), input_tokens=n, output_tokens=s.output_tokens,
                        seed=probe_seed(ep.name, cid, name))
                await self._keep(p, out)
            elif name in canaries:
                await self._keep(await canary_probe(ep, canaries[name], cycle_id=cid,
                                                    at=self.clock.now()), out)
            if not renew():
                return True
        if par:
            at = self.clock.now()
            async with self._timing_lock():
                rows = await asyncio.gather(*(timing_probe(
                    ep, tok, cycle_id=cid, probe=name, kind="parallel", at=at,
                    input_tokens=s.parallel_input_tokens, output_tokens=s.output_tokens,
                    seed=probe_seed(ep.name, cid, name)) for name in par))
            await asyncio.to_thread(self.repo.write_probes, rows)
            _count(out, rows)
            if not renew():
                return True
        return False

    def _timing_lock(self) -> asyncio.Lock:
        if self._wire is None:
            self._wire = asyncio.Lock()
        return self._wire

    async def _keep(self, p: ProbeRecord, out: CycleOutcome) -> None:
        # Committed off the event loop: a blocking commit would delay the arrival stamps of
        # another endpoint's timed request in flight.
        await asyncio.to_thread(self.repo.write_probes, [p])
        _count(out, [p])

    def _finish(self, cfg: ModelConfig, cycle: CycleRecord, out: CycleOutcome) -> None:
        """The free checks, the cycle's values, thresholds; then the cycle is done."""
        repo, s = self.repo, self.settings
        probes = repo.probes(cfg.name, cycle_id=cycle.id)
        at = cycle.started_at
        free: list[CheckRecord] = []
        if self.tokenizer is not None:
            u = usage_check(cfg.name, cycle.id, at, probes, s.usage_tolerance)
            if u is not None:
                free.append(u)
        mine = [p for p in probes if p.kind == "canary"]
        if mine:
            ref_name, theirs = self._reference_canaries(cfg, cycle)
            if theirs:
                d = canary_drift_check(cfg.name, cycle.id, at, mine, theirs, ref_name,
                                       s.agreement_min)
                if d is not None:
                    free.append(d)
        if free:
            repo.write_probes([], free)
        judged = [c for c in repo.checks(cfg.name, since=at)
                  if c.cycle_id == cycle.id and c.status in ("pass", "fail")]
        values = cycle_values(probes, {c.check_name: 1.0 if c.status == "pass" else 0.0
                                       for c in judged}, s.headline_size)
        for c in judged:
            if c.check_name == "usage":
                values["usage_ratio"] = c.value
            elif c.check_name == "canary_drift":
                values["canary_agreement"] = c.value
        values["probes"] = len(probes)
        now = self.clock.now()
        out.changes = evaluate(repo, s, cfg.name, cycle, values, now)
        repo.finish_cycle(cycle.id, now, values)

    def _reference_canaries(self, cfg: ModelConfig, cycle: CycleRecord
                            ) -> tuple[str, list[ProbeRecord]]:
        """The reference deployment's latest canary answers (another endpoint of the
        family), else this endpoint's own first answers (its baseline)."""
        ref = self.settings.references.get(cfg.family or "") if cfg.family else None
        if ref and ref != cfg.name:
            done = self.repo.cycles(ref, status="done", limit=1)
            if done:
                return ref, self.repo.probes(ref, kinds=["canary"], cycle_id=done[-1].id)
            return ref, []
        first = self.repo.cycles(cfg.name, status="done")
        first = [c for c in first if c.id != cycle.id][:1]
        if not first:
            return f"{cfg.name} (own baseline)", []
        return (f"{cfg.name} (own baseline of slot {first[0].slot:.0f})",
                self.repo.probes(cfg.name, kinds=["canary"], cycle_id=first[0].id))

    # -- the long-running loop ------------------------------------------------------------
    def run_forever(self, *, tick_s: float | None = None,
                    on_tick: Callable[[list[CycleOutcome]], None] | None = None) -> None:
        """Tick every ``tick_s`` (default: a quarter of a slot, 0.5–60 s) until interrupted.

        A plain loop in this (the main) thread, no scheduler thread. Why: Ctrl-C is delivered
        to the main thread. With the tick in APScheduler's worker thread, the main thread
        returned while the tick went on into interpreter shutdown (``cannot schedule new
        futures after shutdown``), losing the probe it had just finished and marking the
        cycle failed; and every tick that fell inside a slow cycle was logged as "skipped:
        maximum number of running instances reached". Here ``asyncio.run`` turns Ctrl-C
        into a cancellation: the probe in flight is abandoned, every finished probe is
        committed, the lease is released, and the cycle stays ``running`` for the next start
        to resume. A tick that overruns the interval is followed at once by one tick (the
        missed ones coalesce); the slot is read from the clock, so ticks need no alignment.

        Raises:
            KeyboardInterrupt: On Ctrl-C, after the monitor is closed;
                ``interrupted_mid_cycle`` says whether a tick was running.
        """
        interval = tick_s or max(0.5, min(60.0, self.settings.every / 4))
        in_tick = False
        try:
            while True:
                started = time.monotonic()
                in_tick = True
                try:
                    outcomes: list[CycleOutcome] | None = self.tick()
                except Exception:  # a failed tick (a database hiccup) must not end the monitor
                    log.exception("monitor tick failed; trying again at the next tick")
                    outcomes = None
                in_tick = False
                if outcomes is not None and on_tick is not None:
                    on_tick(outcomes)
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
        except KeyboardInterrupt:
            self.interrupted_mid_cycle = in_tick
            raise
        finally:
            self.close()


def describe_plan(settings: MonitorSettings, models: Sequence[ModelConfig]
                  ) -> list[dict[str, Any]]:
    """Per endpoint: tokens and cost per day of the probes (printed before ``run``)."""
    tokens = probe_cost_tokens(settings)
    rows = []
    for cfg in models:
        p = cfg.pricing
        cost = p.cost(tokens["input"], tokens["output"])
        rows.append({"model": cfg.name, "family": cfg.family,
                     "cycles_per_day": tokens["cycles_per_day"],
                     "input_tokens_per_day": tokens["input"],
                     "output_tokens_per_day": tokens["output"],
                     "cost_per_day": cost, "currency": p.currency,
                     "by_kind": tokens["by_kind"]})
    return rows
