"""``baimo monitor``'s facts: cycles, probes, fidelity checks, incidents and leases.

Why a repository of its own (not ``store.perf``): a monitor runs for months, one process at a
time per endpoint, and is killed like any daemon. Its guarantees live in the database:

* **One cycle per endpoint and slot** (``uq_monitor_cycle``): a restarted monitor finds the
  cycle it was running and *resumes* it; it never opens a second one for the same slot.
* **One row per probe of a cycle** (``uq_monitor_probe``): a probe is committed the moment it
  completes, and a resumed cycle skips the probes already stored, so a kill loses at most the
  requests in flight and never stores one twice.
* **A lease per endpoint** (``monitor_leases``): taken and renewed in a transaction with an
  owner and an expiry, so two monitors (two hosts, a cron job beside ``monitor run``) never
  run one endpoint's cycle at once. A lease whose owner died is taken over once it expires,
  or at once when the owner was a process of this host that no longer exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from baimo.store import schema
from baimo.store.codec import dumps, loads
from baimo.store.leases import Leases, owner_dead
from baimo.store.sql import Row, insert_ignore

__all__ = [
    "CheckRecord",
    "CycleRecord",
    "IncidentRecord",
    "LeaseRecord",
    "MonitorRepository",
    "ProbeRecord",
]


@dataclass(frozen=True)
class ProbeRecord:
    """One probe request (``monitor_probes``); times are the monitor clock's epoch seconds.

    ``kind`` is ``latency`` (one prompt of ``input_tokens``), ``parallel`` (one of the daily
    parallel burst), ``canary`` (a question with a known answer; ``answer``/``correct``) or
    ``fidelity`` (a request of a fidelity check). Timings follow ``baimo.perf.metrics``.
    """

    cycle_id: str
    model_name: str
    identity: str
    family: str | None
    kind: str
    probe: str
    at: float
    status: str  # ok | error
    error_kind: str | None = None
    reason: str | None = None
    input_tokens: int | None = None
    ttft_s: float | None = None
    tpot_s: float | None = None
    e2e_s: float | None = None
    output_tps: float | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    prompt_tokens_client: int | None = None
    output_tokens_client: int | None = None
    usage_from_server: bool | None = None
    finish_reason: str | None = None
    cost: float = 0.0
    currency: str = "CNY"
    answer: str | None = None
    correct: bool | None = None
    details: dict[str, Any] | None = None
    id: int = 0


@dataclass(frozen=True)
class CycleRecord:
    """One scheduled cycle of one endpoint (``monitor_cycles``)."""

    id: str
    model_name: str
    slot: float
    status: str  # running | done
    owner: str
    started_at: float
    finished_at: float | None
    plan: list[str]
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckRecord:
    """One fidelity check with its evidence (``monitor_checks``)."""

    cycle_id: str
    model_name: str
    check_name: str
    at: float
    status: str  # pass | fail | error | skipped
    value: float | None
    evidence: dict[str, Any]
    id: int = 0


@dataclass(frozen=True)
class IncidentRecord:
    """One threshold crossing, from its start to its recovery (``monitor_incidents``)."""

    id: int
    model_name: str
    metric: str
    status: str  # open | resolved
    started_at: float
    detected_at: float
    resolved_at: float | None
    value: float | None
    threshold: dict[str, Any]
    detail: str | None
    notified_at: float | None
    recovery_notified_at: float | None
    notify_error: str | None


@dataclass(frozen=True)
class LeaseRecord:
    model_name: str
    owner: str
    expires_at: float
    cycle_id: str | None


def _probe(row: Row) -> ProbeRecord:
    d = dict(row)
    d["details"] = loads(d.pop("details_json"))
    for k in ("usage_from_server", "correct"):
        d[k] = None if d[k] is None else bool(d[k])
    return ProbeRecord(**d)


def _cycle(row: Row) -> CycleRecord:
    return CycleRecord(id=row["id"], model_name=row["model_name"], slot=float(row["slot"]),
                       status=row["status"], owner=row["owner"],
                       started_at=float(row["started_at"]), finished_at=row["finished_at"],
                       plan=list(loads(row["plan_json"]) or []),
                       values=dict(loads(row["values_json"]) or {}))


def _check(row: Row) -> CheckRecord:
    return CheckRecord(id=int(row["id"]), cycle_id=row["cycle_id"],
                       model_name=row["model_name"], check_name=row["check_name"],
                       at=float(row["at"]), status=row["status"], value=row["value"],
                       evidence=dict(loads(row["evidence_json"]) or {}))


def _incident(row: Row) -> IncidentRecord:
    d = dict(row)
    d["threshold"] = loads(d.pop("threshold_json")) or {}
    return IncidentRecord(**d)


class MonitorRepository:
    """Reads and writes of the monitor tables (see the module docstring for the rules)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._leases = Leases(engine, schema.monitor_leases, "model_name")

    # -- leases -------------------------------------------------------------------------
    def acquire(self, model_name: str, owner: str, now: float, ttl_s: float) -> bool:
        """Take (or renew) ``model_name``'s lease until ``now + ttl_s``; False if held."""
        return self._leases.acquire(model_name, owner, now, ttl_s)

    def renew(self, model_name: str, owner: str, now: float, ttl_s: float,
              cycle_id: str | None = None) -> bool:
        """Extend our lease; False when it is no longer ours (then stop the cycle)."""
        return self._leases.renew(model_name, owner, now, ttl_s, cycle_id=cycle_id)

    def release(self, model_name: str, owner: str) -> None:
        self._leases.release(model_name, owner)

    def lease_live(self, model_name: str, now: float) -> bool:
        """Whether a monitor holds ``model_name``'s lease now (unexpired, and its owner is not
        a dead process of this host): a ``running`` cycle without one was killed."""
        held = self._leases.holder(model_name)
        return held is not None and held[1] > now and not owner_dead(held[0])

    def leases(self) -> list[LeaseRecord]:
        t = schema.monitor_leases
        with self.engine.connect() as conn:
            return [LeaseRecord(r["model_name"], r["owner"], float(r["expires_at"]),
                                r["cycle_id"]) for r in conn.execute(sa.select(t)).mappings()]

    # -- cycles -------------------------------------------------------------------------
    def open_cycle(self, cycle: CycleRecord) -> CycleRecord:
        """The stored cycle of ``(model_name, slot)``, created from ``cycle`` if none."""
        t = schema.monitor_cycles
        row = {"id": cycle.id, "model_name": cycle.model_name, "slot": cycle.slot,
               "status": cycle.status, "owner": cycle.owner, "started_at": cycle.started_at,
               "finished_at": None, "plan_json": dumps(cycle.plan), "values_json": None}
        with self.engine.begin() as conn:
            insert_ignore(conn, t, [row], ["model_name", "slot"])
            found = conn.execute(sa.select(t).where(t.c.model_name == cycle.model_name,
                                                    t.c.slot == cycle.slot)).mappings().one()
        return _cycle(found)

    def set_plan(self, cycle_id: str, plan: Sequence[str], owner: str) -> None:
        t = schema.monitor_cycles
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == cycle_id).values(plan_json=dumps(list(plan)),
                                                                   owner=owner))

    def finish_cycle(self, cycle_id: str, now: float, values: dict[str, Any]) -> None:
        t = schema.monitor_cycles
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == cycle_id).values(
                status="done", finished_at=now, values_json=dumps(values)))

    def cycle(self, model_name: str, slot: float) -> CycleRecord | None:
        t = schema.monitor_cycles
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.model_name == model_name,
                                                  t.c.slot == slot)).mappings().first()
        return None if row is None else _cycle(row)

    def cycles(self, model_name: str | None = None, since: float | None = None,
               status: str | None = None, limit: int | None = None) -> list[CycleRecord]:
        """Cycles, oldest slot first (the newest ``limit`` when given)."""
        t = schema.monitor_cycles
        q = sa.select(t)
        if model_name is not None:
            q = q.where(t.c.model_name == model_name)
        if since is not None:
            q = q.where(t.c.slot >= since)
        if status is not None:
            q = q.where(t.c.status == status)
        q = q.order_by(t.c.slot.desc(), t.c.model_name)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = [_cycle(r) for r in conn.execute(q).mappings()]
        rows.reverse()
        return rows

    # -- probes and checks --------------------------------------------------------------
    def write_probes(self, probes: Sequence[ProbeRecord],
                     checks: Sequence[CheckRecord] = ()) -> None:
        """Commit probes (and checks) in one transaction; one already stored is kept."""
        rows = []
        for p in probes:
            d = asdict(p)
            d.pop("id")
            details = d.pop("details")
            d["details_json"] = None if details is None else dumps(details)
            rows.append(d)
        crow = []
        for c in checks:
            d = asdict(c)
            d.pop("id")
            d["evidence_json"] = dumps(d.pop("evidence"))
            crow.append(d)
        with self.engine.begin() as conn:
            insert_ignore(conn, schema.monitor_probes, rows, ["cycle_id", "probe"])
            insert_ignore(conn, schema.monitor_checks, crow, ["cycle_id", "check_name"])

    def probe_names(self, cycle_id: str) -> set[str]:
        t = schema.monitor_probes
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(sa.select(t.c.probe).where(
                t.c.cycle_id == cycle_id))}

    def check_names(self, cycle_id: str) -> set[str]:
        t = schema.monitor_checks
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(sa.select(t.c.check_name).where(
                t.c.cycle_id == cycle_id))}

    def probes(self, model_name: str | None = None, since: float | None = None,
               until: float | None = None, kinds: Sequence[str] | None = None,
               cycle_id: str | None = None) -> list[ProbeRecord]:
        """Probes in time order (then write order)."""
        t = schema.monitor_probes
        q = sa.select(t)
        if model_name is not None:
            q = q.where(t.c.model_name == model_name)
        if since is not None:
            q = q.where(t.c.at >= since)
        if until is not None:
            q = q.where(t.c.at <= until)
        if kinds is not None:
            q = q.where(t.c.kind.in_(list(kinds)))
        if cycle_id is not None:
            q = q.where(t.c.cycle_id == cycle_id)
        with self.engine.connect() as conn:
            return [_probe(r) for r in conn.execute(q.order_by(t.c.at, t.c.id)).mappings()]

    def checks(self, model_name: str | None = None, since: float | None = None,
               check_name: str | None = None) -> list[CheckRecord]:
        """Fidelity checks in time order."""
        t = schema.monitor_checks
        q = sa.select(t)
        if model_name is not None:
            q = q.where(t.c.model_name == model_name)
        if since is not None:
            q = q.where(t.c.at >= since)
        if check_name is not None:
            q = q.where(t.c.check_name == check_name)
        with self.engine.connect() as conn:
            return [_check(r) for r in conn.execute(q.order_by(t.c.at, t.c.id)).mappings()]

    def last_probe_at(self, model_name: str, kind: str) -> float | None:
        t = schema.monitor_probes
        with self.engine.connect() as conn:
            v = conn.execute(sa.select(sa.func.max(t.c.at)).where(
                t.c.model_name == model_name, t.c.kind == kind)).scalar()
        return None if v is None else float(v)

    def last_check_at(self, model_name: str) -> float | None:
        t = schema.monitor_checks
        with self.engine.connect() as conn:
            v = conn.execute(sa.select(sa.func.max(t.c.at)).where(
                t.c.model_name == model_name)).scalar()
        return None if v is None else float(v)

    def models(self) -> list[str]:
        """Every endpoint that has a stored cycle."""
        t = schema.monitor_cycles
        with self.engine.connect() as conn:
            return sorted({r[0] for r in conn.execute(sa.select(t.c.model_name).distinct())})

    # -- incidents ----------------------------------------------------------------------
    def open_incident(self, model_name: str, metric: str) -> IncidentRecord | None:
        t = schema.monitor_incidents
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(
                t.c.model_name == model_name, t.c.metric == metric,
                t.c.status == "open").order_by(t.c.id.desc())).mappings().first()
        return None if row is None else _incident(row)

    def start_incident(self, model_name: str, metric: str, started_at: float,
                       detected_at: float, value: float | None, threshold: dict[str, Any],
                       detail: str) -> int:
        t = schema.monitor_incidents
        with self.engine.begin() as conn:
            res = conn.execute(t.insert().values(
                model_name=model_name, metric=metric, status="open", started_at=started_at,
                detected_at=detected_at, value=value, threshold_json=dumps(threshold),
                detail=detail))
            return int(res.inserted_primary_key[0])  # type: ignore[index]

    def resolve_incident(self, incident_id: int, resolved_at: float) -> None:
        t = schema.monitor_incidents
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == incident_id).values(
                status="resolved", resolved_at=resolved_at))

    def mark_notified(self, incident_id: int, field_name: str, now: float,
                      error: str | None) -> None:
        """Record a sent notification (``notified_at`` or ``recovery_notified_at``), or why
        sending failed (the notification is then tried again on the next cycle)."""
        if field_name not in ("notified_at", "recovery_notified_at"):
            raise ValueError(field_name)
        t = schema.monitor_incidents
        values: dict[str, Any] = {"notify_error": error}
        if error is None:
            values[field_name] = now
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == incident_id).values(**values))

    def incidents(self, model_name: str | None = None, since: float | None = None
                  ) -> list[IncidentRecord]:
        """Incidents in start order (an open one has ``resolved_at`` None)."""
        t = schema.monitor_incidents
        q = sa.select(t)
        if model_name is not None:
            q = q.where(t.c.model_name == model_name)
        if since is not None:
            q = q.where(sa.or_(t.c.resolved_at.is_(None), t.c.resolved_at >= since))
        with self.engine.connect() as conn:
            return [_incident(r) for r in conn.execute(q.order_by(t.c.started_at, t.c.id)
                                                      ).mappings()]
