"""Runs and their per-sample results: ``runs``, ``run_models`` and ``results``.

Writing results goes through ``Store.write`` (with the responses they cite, in one
transaction); this repository reads them and keeps run bookkeeping.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from baimo import __version__
from baimo.errors import BaimoError, NotFound
from baimo.store import schema
from baimo.store.codec import dumps, loads
from baimo.store.leases import Leases
from baimo.store.records import (
    GRADED_STATUSES,
    ModelCoverage,
    ResultRecord,
    ResultTally,
    RunModelRecord,
    RunRecord,
)
from baimo.store.sql import CHUNK, Row


def model_coverage(engine: sa.Engine, run_ids: Sequence[str] | None = None
                   ) -> ModelCoverage:
    """The one rule for "measured": every model named in an eval or perf run, split into
    those with at least one scored result and those only tried (every row failed, or none).

    A scored result is an eval row with a graded status (``error`` and
    ``judge-parse-error`` rows say nothing about the model) or a perf request that succeeded
    in the measured window (warm-up and cool-down requests are not measurements). With
    ``run_ids``, only those runs count: a ranking built from chosen runs must not call a model
    measured because another run measured it.
    """
    runs, models, res, perf = (schema.runs, schema.run_models, schema.results,
                               schema.perf_requests)
    named = (sa.select(models.c.model_name).distinct()
             .join(runs, runs.c.id == models.c.run_id)
             .where(runs.c.kind.in_(("eval", "perf"))))
    graded = (sa.select(res.c.model_name).distinct()
              .join(runs, runs.c.id == res.c.run_id)
              .where((runs.c.kind == "eval") & res.c.status.in_(sorted(GRADED_STATUSES))))
    answered = (sa.select(perf.c.model_name).distinct()
                .join(runs, runs.c.id == perf.c.run_id)
                .where((runs.c.kind == "perf") & (perf.c.status == "ok")
                       & (perf.c.phase == "measure")))
    names: set[str] = set()
    scored: set[str] = set()
    parts = ([None] if run_ids is None else
             [list(run_ids[i:i + CHUNK]) for i in range(0, len(run_ids), CHUNK)])
    with engine.connect() as conn:
        for part in parts:
            where = sa.true() if part is None else runs.c.id.in_(part)
            names |= {str(r[0]) for r in conn.execute(named.where(where))}
            scored |= {str(r[0]) for r in conn.execute(graded.where(where))}
            scored |= {str(r[0]) for r in conn.execute(answered.where(where))}
    measured = names & scored
    return ModelCoverage(measured=tuple(sorted(measured)),
                         tried=tuple(sorted(names - measured)))


def _run(row: Row, models: Sequence[RunModelRecord], n_results: int) -> RunRecord:
    return RunRecord(id=row["id"], kind=row["kind"], status=row["status"],
                     created_at=float(row["created_at"]),
                     finished_at=None if row["finished_at"] is None else float(
                         row["finished_at"]),
                     command=row["command"], spec=loads(row["spec_json"]) or {},
                     baimo_version=row["baimo_version"], models=tuple(models),
                     n_results=n_results)


def _model(row: Row) -> RunModelRecord:
    return RunModelRecord(run_id=row["run_id"], model_name=row["model_name"],
                          model=loads(row["model_json"]) or {}, status=row["status"],
                          reason=row["reason"])


def result_record(row: Row) -> ResultRecord:
    """A ``results`` row as a record (JSON decoded, booleans as bool)."""
    return ResultRecord(
        id=int(row["id"]), run_id=row["run_id"], model_name=row["model_name"], task=row["task"],
        task_version=row["task_version"], sample_id=row["sample_id"], key=row["key"],
        category=row["category"], status=row["status"], score=float(row["score"]),
        extracted=row["extracted"], reason=row["reason"], details=loads(row["details_json"]),
        prompt_tokens=int(row["prompt_tokens"]), completion_tokens=int(row["completion_tokens"]),
        usage_estimated=bool(row["usage_estimated"]), latency_s=row["latency_s"],
        ttft_s=row["ttft_s"], cost=float(row["cost"]), currency=row["currency"],
        attempts=int(row["attempts"]), cached=bool(row["cached"]),
        created_at=float(row["created_at"]))


class RunRepository:
    """Runs, the models in them, and the result rows they produced."""

    def __init__(self, engine: sa.Engine, safe_url: str) -> None:
        self.engine = engine
        self._where = safe_url
        self.leases = Leases(engine, schema.run_leases, "run_id")
        """Which process runs each eval run now (``baimo.runs.eval``)."""

    # -- runs ---------------------------------------------------------------------------
    def create(self, kind: str, spec: Mapping[str, Any], command: str,
               models: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
        """Record a new run (status ``running``) and its models (``pending``); returns its id."""
        run_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        with self.engine.begin() as conn:
            conn.execute(schema.runs.insert().values(
                id=run_id, kind=kind, status="running", created_at=time.time(),
                command=command, spec_json=dumps(dict(spec)), baimo_version=__version__))
            for name, public in models:
                conn.execute(schema.run_models.insert().values(
                    run_id=run_id, model_name=name, model_json=dumps(dict(public)),
                    status="pending", reason=None))
        return run_id

    def get(self, run_id: str) -> RunRecord:
        """One run by its full id.

        Raises:
            NotFound: No such run.
        """
        found = self._load([run_id])
        if not found:
            raise NotFound(f"no run '{run_id}' in {self._where}. List runs with: baimo runs list")
        return found[0]

    def recent(self, limit: int = 50, kind: str | None = None) -> list[RunRecord]:
        """The newest runs first (of one ``kind`` when given)."""
        t = schema.runs
        q = sa.select(t.c.id).order_by(t.c.created_at.desc()).limit(limit)
        if kind:
            q = q.where(t.c.kind == kind)
        with self.engine.connect() as conn:
            ids = [str(r[0]) for r in conn.execute(q)]
        return self._load(ids)

    def _load(self, ids: Sequence[str]) -> list[RunRecord]:
        runs, models, counts = schema.runs, schema.run_models, schema.results
        rows: dict[str, Row] = {}
        by_run: dict[str, list[RunModelRecord]] = {}
        n: dict[str, int] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), CHUNK):
                part = list(ids[i:i + CHUNK])
                for r in conn.execute(sa.select(runs).where(runs.c.id.in_(part))).mappings():
                    rows[r["id"]] = r
                for m in conn.execute(sa.select(models).where(models.c.run_id.in_(part))
                                      .order_by(models.c.model_name)).mappings():
                    by_run.setdefault(m["run_id"], []).append(_model(m))
                n.update({str(k): int(v) for k, v in conn.execute(
                    sa.select(counts.c.run_id, sa.func.count()).where(
                        counts.c.run_id.in_(part)).group_by(counts.c.run_id)).all()})
        return [_run(rows[i], by_run.get(i, []), n.get(i, 0)) for i in ids if i in rows]

    def resolve(self, ref: str) -> str:
        """A full run id from a full id, a unique prefix, or ``latest``.

        Raises:
            NotFound: Nothing matches.
            BaimoError: The prefix matches several runs.
        """
        t = schema.runs
        with self.engine.connect() as conn:
            if ref == "latest":
                row = conn.execute(sa.select(t.c.id).order_by(t.c.created_at.desc()).limit(1)
                                   ).first()
                if row is None:
                    raise NotFound("there are no runs yet. Start one with: baimo eval")
                return str(row[0])
            if not ref.strip():
                raise BaimoError("give a run id (or a prefix of one, or 'latest'); list runs "
                                 "with: baimo runs list")
            # autoescape: '%' and '_' in what the user typed are characters, not wildcards.
            rows = conn.execute(sa.select(t.c.id).where(t.c.id.startswith(ref, autoescape=True))
                                ).all()
        if len(rows) == 1:
            return str(rows[0][0])
        if not rows:
            raise NotFound(f"no run '{ref}'. List runs with: baimo runs list")
        raise BaimoError(f"'{ref}' matches {len(rows)} runs; give more of the id.")

    def finish(self, run_id: str, status: str) -> None:
        """Mark a run ended (``done``, ``failed``, ``interrupted`` ...) now."""
        with self.engine.begin() as conn:
            conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(
                status=status, finished_at=time.time()))

    def set_status(self, run_id: str, status: str) -> None:
        """Set a run's status and clear its end time (a resumed run is running again)."""
        with self.engine.begin() as conn:
            conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(
                status=status, finished_at=None))

    def set_model_status(self, run_id: str, model: str, status: str,
                         reason: str | None = None) -> None:
        t = schema.run_models
        with self.engine.begin() as conn:
            conn.execute(t.update().where((t.c.run_id == run_id) & (t.c.model_name == model))
                         .values(status=status, reason=reason))

    def coverage(self, run_ids: Sequence[str] | None = None) -> ModelCoverage:
        """The models the stored runs (or ``run_ids``) measured, and those only tried
        (``model_coverage``)."""
        return model_coverage(self.engine, run_ids)

    # -- results ------------------------------------------------------------------------
    def results(self, run_ids: Sequence[str]) -> list[ResultRecord]:
        """Every result row of the given runs, oldest first."""
        t = schema.results
        out: list[ResultRecord] = []
        with self.engine.connect() as conn:
            for i in range(0, len(run_ids), CHUNK):
                part = list(run_ids[i:i + CHUNK])
                out += [result_record(r) for r in conn.execute(
                    sa.select(t).where(t.c.run_id.in_(part)).order_by(t.c.id)).mappings()]
        out.sort(key=lambda r: r.id)
        return out

    def tally(self, run_id: str) -> list[ResultTally]:
        """The run's results counted per model, task and status, with their summed scores
        and costs: a run's summary from one grouped query instead of every row (reading
        3,000 rows cost as much as storing a tenth of them; ``benchmarks/overhead.py``)."""
        t = schema.results
        q = (sa.select(t.c.model_name, t.c.task, t.c.status, sa.func.count(),
                       sa.func.sum(t.c.score), sa.func.sum(t.c.cost), sa.func.min(t.c.currency))
             .where(t.c.run_id == run_id)
             .group_by(t.c.model_name, t.c.task, t.c.status)
             .order_by(t.c.model_name, t.c.task, t.c.status))
        with self.engine.connect() as conn:
            return [ResultTally(str(r[0]), str(r[1]), str(r[2]), int(r[3]), float(r[4] or 0.0),
                                float(r[5] or 0.0), str(r[6])) for r in conn.execute(q)]

    def error_reasons(self, run_id: str, model: str) -> list[tuple[str, int]]:
        """The reasons of a model's ``error`` rows in a run, most frequent first."""
        t = schema.results
        n = sa.func.count()
        q = (sa.select(t.c.reason, n)
             .where((t.c.run_id == run_id) & (t.c.model_name == model) & (t.c.status == "error"))
             .group_by(t.c.reason).order_by(n.desc(), t.c.reason))
        with self.engine.connect() as conn:
            return [(str(r[0] or "no reason recorded"), int(r[1])) for r in conn.execute(q)]

    def completed_samples(self, run_id: str) -> set[tuple[str, str, str]]:
        """(model, task, sample_id) of this run's rows that need no new request."""
        t = schema.results
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.model_name, t.c.task, t.c.sample_id).where(
                (t.c.run_id == run_id) & (t.c.status != "error"))).all()
        return {(r[0], r[1], r[2]) for r in rows}

    def clear_errors(self, run_id: str) -> int:
        """Delete a run's error rows so that resuming asks those samples again."""
        t = schema.results
        with self.engine.begin() as conn:
            res = conn.execute(t.delete().where((t.c.run_id == run_id) & (t.c.status == "error")))
        return int(res.rowcount or 0)
