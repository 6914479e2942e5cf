"""Reads and writes for ``baimo serve``: aggregates in SQL, pages of rows, users and jobs.

Why a repository of its own: the workspace shows 100 models × 10,000 samples on one page in
well under 200 ms, which the typed per-row reads of ``store.runs`` cannot do (they build a
record per row). Here every leaderboard number is a ``GROUP BY`` in the database and every
list is a page (``LIMIT``/``OFFSET`` with a count), so the web layer never loops over rows
in Python. The users, tokens and jobs tables (migration ``006_web``) belong to the web
app alone, so their writes live here too.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from baimo.store import schema
from baimo.store.codec import dumps, loads
from baimo.store.records import GRADED_STATUSES
from baimo.store.runs import model_coverage
from baimo.store.sql import CHUNK

ROLES = ("viewer", "voter", "runner", "admin")


@dataclass(frozen=True)
class StatRow:
    """Aggregates of one (run, model, task, category) group of ``results``."""

    run_id: str
    model: str
    task: str
    category: str | None
    n: int
    scored: int
    correct: float
    sum_sq: float  # Σ score² over graded rows: the variance of non-binary scores
    errors: int
    no_answer: int
    truncated: int
    cost: float
    currency: str
    prompt_tokens: int
    completion_tokens: int
    latency_sum: float
    latency_n: int
    ok: int = 0  # rows with status "ok" (so every status count is known per group)


@dataclass(frozen=True)
class RunListItem:
    """A run as the runs list shows it."""

    id: str
    kind: str
    status: str
    created_at: float
    finished_at: float | None
    command: str | None
    models: tuple[str, ...]
    n_results: int


@dataclass(frozen=True)
class SampleRow:
    """One result with the answer it scored (``results`` joined with ``responses``)."""

    id: int
    model: str
    task: str
    sample_id: str
    category: str | None
    status: str
    score: float
    extracted: str | None
    reason: str | None
    details: dict[str, Any] | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float | None
    ttft_s: float | None
    cost: float
    currency: str
    cached: bool
    answer: str | None
    reasoning: str | None
    request: Any


@dataclass(frozen=True)
class PairStat:
    """Paired score differences of two models on the samples both answered (graded)."""

    a: str
    b: str
    n: int
    sum_diff: float
    sum_sq_diff: float


@dataclass(frozen=True)
class UserRecord:
    id: str
    name: str
    role: str
    created_at: float
    disabled: bool


@dataclass(frozen=True)
class JobRecord:
    id: str
    kind: str
    status: str
    spec: dict[str, Any]
    run_id: str | None
    user_name: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    pid: int | None
    exit_code: int | None
    log_tail: str | None


def _graded(col: Any) -> Any:
    return col.in_(sorted(GRADED_STATUSES))


class WebRepository:
    """What the web pages read, aggregated and paged in the database."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- runs ---------------------------------------------------------------------------
    def run_versions(self) -> list[tuple[str, str, str, float, float | None]]:
        """(id, kind, status, created_at, finished_at) of every run, newest first: cheap, and
        enough to tell whether cached aggregates of a run are still current."""
        t = schema.runs
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.id, t.c.kind, t.c.status, t.c.created_at,
                                          t.c.finished_at).order_by(t.c.created_at.desc()))
            return [(r[0], r[1], r[2], float(r[3]),
                     None if r[4] is None else float(r[4])) for r in rows]

    def run_stats(self, run_id: str) -> list[StatRow]:
        """Per (model, task, category) of one run: counts, correct, Σscore², outcomes, cost,
        tokens and latency sums, in one ``GROUP BY`` over the run's index."""
        t = schema.results
        graded = _graded(t.c.status)
        zero = sa.literal(0.0)
        q = sa.select(
            t.c.model_name, t.c.task, t.c.category, sa.func.count(),
            sa.func.sum(sa.case((graded, 1), else_=0)),
            sa.func.sum(sa.case((graded, t.c.score), else_=zero)),
            sa.func.sum(sa.case((graded, t.c.score * t.c.score), else_=zero)),
            sa.func.sum(sa.case((t.c.status == "error", 1), else_=0)),
            sa.func.sum(sa.case((t.c.status == "no-answer", 1), else_=0)),
            sa.func.sum(sa.case((t.c.status == "truncated", 1), else_=0)),
            sa.func.sum(t.c.cost), sa.func.max(t.c.currency),
            sa.func.sum(t.c.prompt_tokens), sa.func.sum(t.c.completion_tokens),
            sa.func.sum(sa.case(((t.c.cached == sa.false()) & (t.c.status != "error"),
                                 t.c.latency_s), else_=zero)),
            sa.func.sum(sa.case(((t.c.cached == sa.false()) & (t.c.status != "error")
                                 & t.c.latency_s.isnot(None), 1), else_=0)),
            sa.func.sum(sa.case((t.c.status == "ok", 1), else_=0)),
        ).where(t.c.run_id == run_id).group_by(t.c.model_name, t.c.task, t.c.category)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [StatRow(run_id, r[0], r[1], r[2], int(r[3]), int(r[4] or 0), float(r[5] or 0),
                        float(r[6] or 0), int(r[7] or 0), int(r[8] or 0), int(r[9] or 0),
                        float(r[10] or 0), str(r[11] or "CNY"), int(r[12] or 0),
                        int(r[13] or 0), float(r[14] or 0), int(r[15] or 0), int(r[16] or 0))
                for r in rows]

    def run_models(self, run_ids: Sequence[str]) -> dict[str, list[tuple[str, dict[str, Any],
                                                                          str]]]:
        """run id → [(model, public config, status)]."""
        t = schema.run_models
        out: dict[str, list[tuple[str, dict[str, Any], str]]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(run_ids), CHUNK):
                part = list(run_ids[i:i + CHUNK])
                for r in conn.execute(sa.select(t.c.run_id, t.c.model_name, t.c.model_json,
                                                t.c.status).where(t.c.run_id.in_(part))
                                      .order_by(t.c.model_name)):
                    out.setdefault(r[0], []).append((r[1], loads(r[2]) or {}, r[3]))
        return out

    def run_specs(self, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        t = schema.runs
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(run_ids), CHUNK):
                part = list(run_ids[i:i + CHUNK])
                for r in conn.execute(sa.select(t.c.id, t.c.spec_json).where(t.c.id.in_(part))):
                    out[r[0]] = loads(r[1]) or {}
        return out

    def list_runs(self, *, kind: str | None = None, status: str | None = None,
                  model: str | None = None, q: str | None = None, offset: int = 0,
                  limit: int = 50, count_results: bool = True
                  ) -> tuple[list[RunListItem], int]:
        """A page of runs, newest first, and how many match the filters.

        ``count_results=False`` leaves eval runs' row counts at 0 for a caller that knows
        them from cached aggregates (counting 100,000 rows per run is the slow part)."""
        t, m = schema.runs, schema.run_models
        cond: list[Any] = []
        if kind:
            cond.append(t.c.kind == kind)
        if status:
            cond.append(t.c.status == status)
        if model:
            cond.append(sa.exists().where((m.c.run_id == t.c.id) & (m.c.model_name == model)))
        if q:
            like = f"%{_like(q)}%"
            cond.append(t.c.id.like(like, escape="\\") | t.c.command.like(like, escape="\\"))
        where = sa.and_(sa.true(), *cond)
        with self.engine.connect() as conn:
            total = int(conn.execute(sa.select(sa.func.count()).select_from(t).where(where))
                        .scalar() or 0)
            rows = conn.execute(sa.select(t.c.id, t.c.kind, t.c.status, t.c.created_at,
                                          t.c.finished_at, t.c.command).where(where)
                                .order_by(t.c.created_at.desc(), t.c.id.desc())
                                .offset(offset).limit(limit)).all()
            ids = [r[0] for r in rows]
            models: dict[str, list[str]] = {}
            counts: dict[str, int] = {}
            if ids:
                for r in conn.execute(sa.select(m.c.run_id, m.c.model_name)
                                      .where(m.c.run_id.in_(ids)).order_by(m.c.model_name)):
                    models.setdefault(r[0], []).append(r[1])
                res = schema.results
                if count_results:
                    counts = {str(k): int(v) for k, v in conn.execute(
                        sa.select(res.c.run_id, sa.func.count()).where(res.c.run_id.in_(ids))
                        .group_by(res.c.run_id)).all()}
                perf = schema.perf_requests
                counts.update({str(k): int(v) for k, v in conn.execute(
                    sa.select(perf.c.run_id, sa.func.count()).where(perf.c.run_id.in_(ids))
                    .group_by(perf.c.run_id)).all()})
        items = [RunListItem(r[0], r[1], r[2], float(r[3]),
                             None if r[4] is None else float(r[4]), r[5],
                             tuple(models.get(r[0], ())), counts.get(r[0], 0)) for r in rows]
        return items, total

    def model_names(self) -> list[str]:
        t = schema.run_models
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(sa.select(t.c.model_name).distinct()
                                               .order_by(t.c.model_name))]

    def counts(self) -> dict[str, int]:
        """How much the store holds: runs by kind, models measured (and models only tried:
        see ``baimo.store.runs.model_coverage``), perf requests (result rows are summed from
        the per-run aggregates the caller already has)."""
        coverage = model_coverage(self.engine)
        with self.engine.connect() as conn:
            out = {f"runs_{k}": int(v) for k, v in conn.execute(
                sa.select(schema.runs.c.kind, sa.func.count()).group_by(schema.runs.c.kind))}
            out["models"] = len(coverage.measured)
            out["models_tried"] = len(coverage.tried)
            out["perf_requests"] = int(conn.execute(sa.select(sa.func.count()).select_from(
                schema.perf_requests)).scalar() or 0)
        return out

    # -- samples ------------------------------------------------------------------------
    def samples(self, run_id: str, *, model: str | None = None, task: str | None = None,
                status: str | None = None, category: str | None = None,
                q: str | None = None, offset: int = 0, limit: int = 50,
                total: int | None = None) -> tuple[list[SampleRow], int]:
        """A page of one run's results with their answers, and how many match.

        Rows come in the order of the ``uq_result_sample`` index (model, task, sample id), so
        a page is read straight off the index instead of sorting the run. ``total``, when the
        caller knows it (from cached aggregates), saves the count."""
        t, r = schema.results, schema.responses
        cond: list[Any] = [t.c.run_id == run_id]
        if model:
            cond.append(t.c.model_name == model)
        if task:
            cond.append(t.c.task == task)
        if status:
            cond.append(t.c.status == status)
        if category:
            cond.append(t.c.category == category)
        if q:
            cond.append(t.c.sample_id.like(f"%{_like(q)}%", escape="\\"))
        where = sa.and_(*cond)
        with self.engine.connect() as conn:
            if total is None:
                total = int(conn.execute(sa.select(sa.func.count()).select_from(t)
                                         .where(where)).scalar() or 0)
            rows = conn.execute(
                sa.select(t, r.c.text, r.c.reasoning, r.c.request_json)
                .select_from(t.outerjoin(r, r.c.key == t.c.key)).where(where)
                .order_by(t.c.run_id, t.c.model_name, t.c.task, t.c.sample_id)
                .offset(offset).limit(limit)).mappings().all()
        return [_sample(row) for row in rows], total

    def iter_samples(self, run_id: str, batch: int = 2000) -> Iterator[list[SampleRow]]:
        """Every result of a run with its answer, in batches, from one query (for exports:
        no OFFSET, so the last batch costs what the first does)."""
        t, r = schema.results, schema.responses
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(
                sa.select(t, r.c.text, r.c.reasoning, r.c.request_json)
                .select_from(t.outerjoin(r, r.c.key == t.c.key)).where(t.c.run_id == run_id)
                .order_by(t.c.run_id, t.c.model_name, t.c.task, t.c.sample_id)).mappings()
            while True:
                rows = result.fetchmany(batch)
                if not rows:
                    return
                yield [_sample(row) for row in rows]

    # -- compare ------------------------------------------------------------------------
    def latest_runs_with_task(self, models: Sequence[str], task: str) -> dict[str, str]:
        """model → the newest run holding that model's results on ``task``."""
        t, runs = schema.results, schema.runs
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            for model in models:
                row = conn.execute(
                    sa.select(runs.c.id).where(sa.exists().where(
                        (t.c.run_id == runs.c.id) & (t.c.model_name == model)
                        & (t.c.task == task)))
                    .order_by(runs.c.created_at.desc()).limit(1)).first()
                if row is not None:
                    out[model] = str(row[0])
        return out

    def categories(self, pairs: Mapping[str, str], task: str) -> list[str]:
        t = schema.results
        if not pairs:
            return []
        model, run_id = next(iter(pairs.items()))
        with self.engine.connect() as conn:
            return [str(r[0]) for r in conn.execute(
                sa.select(t.c.category).where((t.c.run_id == run_id)
                                              & (t.c.model_name == model) & (t.c.task == task))
                .distinct().order_by(t.c.category).limit(200)) if r[0] is not None]

    def _aliases(self, pairs: Mapping[str, str], task: str) -> tuple[list[Any], Any, Any]:
        t = schema.results
        names = list(pairs)
        als = [t.alias(f"m{i}") for i in range(len(names))]
        base = als[0]
        frm: Any = base
        for i, a in enumerate(als[1:], start=1):
            frm = frm.outerjoin(a, (a.c.run_id == pairs[names[i]]) & (a.c.model_name == names[i])
                                & (a.c.task == task) & (a.c.sample_id == base.c.sample_id))
        cond = (base.c.run_id == pairs[names[0]]) & (base.c.model_name == names[0]) \
            & (base.c.task == task)
        return als, frm, cond

    def compare(self, pairs: Mapping[str, str], task: str, *, status: str | None = None,
                category: str | None = None, differences_only: bool = False,
                offset: int = 0, limit: int = 50
                ) -> tuple[list[tuple[str, str | None, list[SampleRow | None]]], int]:
        """Samples × models on one task: a page of (sample_id, category, [row per model]).

        ``pairs`` maps each model to the run its answers come from; the first model's samples
        are the rows. ``differences_only`` keeps samples where the models' scores or statuses
        are not all equal; ``status`` keeps samples where any model has that status.
        """
        if not pairs:
            return [], 0
        names = list(pairs)
        als, frm, cond = self._aliases(pairs, task)
        base = als[0]
        conds: list[Any] = [cond]
        if category:
            conds.append(base.c.category == category)
        if status:
            conds.append(sa.or_(*[a.c.status == status for a in als]))
        if differences_only and len(als) > 1:
            conds.append(sa.or_(*[sa.or_(a.c.score.is_(None), a.c.score != base.c.score,
                                         a.c.status != base.c.status) for a in als[1:]]))
        where = sa.and_(*conds)
        with self.engine.connect() as conn:
            # One pass over the join gives the page and (as a window count) the total.
            page = conn.execute(sa.select(base.c.sample_id, base.c.category,
                                          sa.func.count().over().label("total"))
                                .select_from(frm).where(where)
                                .order_by(base.c.run_id, base.c.model_name, base.c.task,
                                          base.c.sample_id)
                                .offset(offset).limit(limit)).all()
            if page:
                total = int(page[0][2])
            else:
                total = int(conn.execute(sa.select(sa.func.count()).select_from(frm)
                                         .where(where)).scalar() or 0)
            sids = [str(r[0]) for r in page]
            t, r = schema.results, schema.responses
            found: dict[tuple[str, str], SampleRow] = {}
            if sids:
                for model in names:
                    rows = conn.execute(
                        sa.select(t, r.c.text, r.c.reasoning, r.c.request_json)
                        .select_from(t.outerjoin(r, r.c.key == t.c.key))
                        .where((t.c.run_id == pairs[model]) & (t.c.model_name == model)
                               & (t.c.task == task) & t.c.sample_id.in_(sids))).mappings()
                    for row in rows:
                        found[(model, row["sample_id"])] = _sample(row)
        return [(sid, cat, [found.get((m, sid)) for m in names])
                for sid, cat in ((str(p[0]), p[1]) for p in page)], total

    def paired(self, pairs: Mapping[str, str], task: str) -> list[PairStat]:
        """For every pair of models: n, Σ(a−b) and Σ(a−b)² over samples both had graded."""
        t = schema.results
        names = list(pairs)
        out: list[PairStat] = []
        with self.engine.connect() as conn:
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    x, y = t.alias("x"), t.alias("y")
                    d = x.c.score - y.c.score
                    row = conn.execute(
                        sa.select(sa.func.count(), sa.func.sum(d), sa.func.sum(d * d))
                        .select_from(x.join(y, (y.c.run_id == pairs[b]) & (y.c.model_name == b)
                                            & (y.c.task == task)
                                            & (y.c.sample_id == x.c.sample_id)))
                        .where((x.c.run_id == pairs[a]) & (x.c.model_name == a)
                               & (x.c.task == task) & _graded(x.c.status)
                               & _graded(y.c.status))).one()
                    out.append(PairStat(a, b, int(row[0] or 0), float(row[1] or 0),
                                        float(row[2] or 0)))
        return out

    def paired_scores(self, a: tuple[str, str], b: tuple[str, str], task: str
                      ) -> tuple[list[float], list[float]]:
        """Both models' scores on their shared graded samples (for small-n bootstraps)."""
        t = schema.results
        x, y = t.alias("x"), t.alias("y")
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(x.c.score, y.c.score)
                .select_from(x.join(y, (y.c.run_id == b[1]) & (y.c.model_name == b[0])
                                    & (y.c.task == task) & (y.c.sample_id == x.c.sample_id)))
                .where((x.c.run_id == a[1]) & (x.c.model_name == a[0]) & (x.c.task == task)
                       & _graded(x.c.status) & _graded(y.c.status))
                .order_by(x.c.sample_id).limit(5000)).all()
        return [float(r[0]) for r in rows], [float(r[1]) for r in rows]

    # -- perf ---------------------------------------------------------------------------
    def perf_levels(self, run_ids: Sequence[str]) -> list[tuple[str, str, str, int, str,
                                                                 float, dict[str, Any]]]:
        """(run, model, level, position, load kind, load value, summary) of perf runs."""
        t = schema.perf_levels
        out: list[tuple[str, str, str, int, str, float, dict[str, Any]]] = []
        with self.engine.connect() as conn:
            for i in range(0, len(run_ids), CHUNK):
                part = list(run_ids[i:i + CHUNK])
                for r in conn.execute(sa.select(t.c.run_id, t.c.model_name, t.c.level,
                                                t.c.position, t.c.load_kind, t.c.load_value,
                                                t.c.summary_json)
                                      .where(t.c.run_id.in_(part)).order_by(t.c.id)):
                    out.append((r[0], r[1], r[2], int(r[3]), r[4], float(r[5]),
                                loads(r[6]) or {}))
        return out

    # -- users and tokens ---------------------------------------------------------------
    def add_user(self, name: str, role: str) -> UserRecord:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        rec = UserRecord(secrets.token_hex(8), name, role, time.time(), False)
        with self.engine.begin() as conn:
            conn.execute(schema.users.insert().values(id=rec.id, name=name, role=role,
                                                      created_at=rec.created_at,
                                                      disabled=False))
        return rec

    def user_by_name(self, name: str) -> UserRecord | None:
        u = schema.users
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(u).where(u.c.name == name)).mappings().first()
        return None if row is None else _user(row)

    def users(self) -> list[UserRecord]:
        u = schema.users
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(sa.select(u).order_by(u.c.name)).mappings()]

    def n_active_admins(self) -> int:
        u = schema.users
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(u).where(
                (u.c.role == "admin") & (u.c.disabled == sa.false()))).scalar() or 0)

    def add_token(self, user_id: str, token_hash: str, label: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(schema.tokens.insert().values(
                token_hash=token_hash, user_id=user_id, label=label, created_at=time.time(),
                last_used=None, revoked=False))

    def user_for_token(self, token_hash: str) -> UserRecord | None:
        """The enabled user holding this (unrevoked) token hash."""
        u, t = schema.users, schema.tokens
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(u).select_from(u.join(t, t.c.user_id == u.c.id))
                               .where((t.c.token_hash == token_hash)
                                      & (t.c.revoked == sa.false())
                                      & (u.c.disabled == sa.false()))).mappings().first()
        return None if row is None else _user(row)

    def revoke_tokens(self, user_id: str) -> int:
        t = schema.tokens
        with self.engine.begin() as conn:
            res = conn.execute(t.update().where(t.c.user_id == user_id).values(revoked=True))
        return int(res.rowcount or 0)

    # -- jobs ---------------------------------------------------------------------------
    def add_job(self, kind: str, spec: Mapping[str, Any], user_name: str | None) -> JobRecord:
        job_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(schema.jobs.insert().values(
                id=job_id, kind=kind, status="queued", spec_json=dumps(dict(spec)),
                run_id=None, user_name=user_name, created_at=now))
        return self.job(job_id)

    def job(self, job_id: str) -> JobRecord:
        j = schema.jobs
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(j).where(j.c.id == job_id)).mappings().first()
        if row is None:
            raise KeyError(job_id)
        return _job(row)

    def jobs(self, limit: int = 50, status: Sequence[str] | None = None) -> list[JobRecord]:
        j = schema.jobs
        q = sa.select(j)
        if status:
            q = q.where(j.c.status.in_(list(status)))
            q = q.order_by(j.c.created_at)
        else:
            q = q.order_by(j.c.created_at.desc())
        with self.engine.connect() as conn:
            return [_job(r) for r in conn.execute(q.limit(limit)).mappings()]

    def update_job(self, job_id: str, *, only_if: Sequence[str] | None = None,
                   **values: Any) -> bool:
        """Set job fields; with ``only_if``, only while its status is one of those.

        Returns whether a row changed (the conditional form is how a cancel and a worker
        starting the same job cannot both win)."""
        j = schema.jobs
        q = j.update().where(j.c.id == job_id)
        if only_if:
            q = q.where(j.c.status.in_(list(only_if)))
        with self.engine.begin() as conn:
            res = conn.execute(q.values(**values))
        return bool(res.rowcount)

    def run_for_marker(self, marker: str) -> str | None:
        """The run whose command line contains ``marker`` (a job's private path)."""
        t = schema.runs
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.c.id).where(
                t.c.command.like(f"%{_like(marker)}%", escape="\\"))
                .order_by(t.c.created_at.desc()).limit(1)).first()
        return None if row is None else str(row[0])

    def progress(self, run_id: str, kind: str) -> int:
        """Rows a run has stored so far (results, or measured perf requests)."""
        t = schema.results if kind == "eval" else schema.perf_requests
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t)
                                    .where(t.c.run_id == run_id)).scalar() or 0)

    def run_status(self, run_id: str) -> str | None:
        t = schema.runs
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.c.status).where(t.c.id == run_id)).first()
        return None if row is None else str(row[0])


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sample(row: Mapping[Any, Any]) -> SampleRow:
    request = loads(row["request_json"]) if row.get("request_json") else None
    return SampleRow(
        id=int(row["id"]), model=row["model_name"], task=row["task"],
        sample_id=row["sample_id"], category=row["category"], status=row["status"],
        score=float(row["score"]), extracted=row["extracted"], reason=row["reason"],
        details=loads(row["details_json"]) if row["details_json"] else None,
        prompt_tokens=int(row["prompt_tokens"]), completion_tokens=int(row["completion_tokens"]),
        latency_s=row["latency_s"], ttft_s=row["ttft_s"], cost=float(row["cost"]),
        currency=row["currency"], cached=bool(row["cached"]), answer=row.get("text"),
        reasoning=row.get("reasoning"), request=request)


def _user(row: Mapping[Any, Any]) -> UserRecord:
    return UserRecord(row["id"], row["name"], row["role"], float(row["created_at"]),
                      bool(row["disabled"]))


def _job(row: Mapping[Any, Any]) -> JobRecord:
    return JobRecord(
        id=row["id"], kind=row["kind"], status=row["status"], spec=loads(row["spec_json"]) or {},
        run_id=row["run_id"], user_name=row["user_name"], created_at=float(row["created_at"]),
        started_at=None if row["started_at"] is None else float(row["started_at"]),
        finished_at=None if row["finished_at"] is None else float(row["finished_at"]),
        pid=row["pid"], exit_code=row["exit_code"], log_tail=row["log_tail"])
