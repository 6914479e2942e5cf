"""Jobs: eval and perf runs started from the browser, run by worker subprocesses.

A job is a row in ``jobs`` (queued → running → done / failed / interrupted / cancelled). The
manager's thread takes queued jobs in order and runs each as ``python -m baimo eval …`` or
``python -m baimo perf …``: the very code path of the CLI, in its own process, so a crash or
a memory-hungry run cannot take the web server down, and SIGTERM has the CLI's meaning (the
run is marked ``interrupted`` and keeps every sample it finished).

The run row is the source of truth: progress is the number of rows the run has stored, and a
job's final status is its run's. The job finds its run through a marker in the command line:
each job passes ``--config <jobs dir>/<job id>/baimo.yaml`` (a copy of the server's models
file), and the CLI records its command line in ``runs.command``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from baimo.errors import NotFound
from baimo.store.web import JobRecord, WebRepository
from baimo.web.errors import json_type, shown

log = logging.getLogger(__name__)

FINAL = ("done", "partial", "failed", "interrupted", "cancelled")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$"
_NAME_RULE = ("a letter or digit, then letters, digits and . _ : / @ + - (at most 200 "
              "characters)")

JOB_EXAMPLE = {"kind": "eval", "spec": {"models": ["my-model"], "suites": ["demo"],
                                        "limit": 20}}
"""A job request as ``POST /api/v1/jobs`` takes it (its documentation, and what an error
about the body's shape shows)."""


def _check_names(v: list[str]) -> list[str]:
    """Model and suite names: they become CLI arguments of the worker, so only the
    characters a name needs (the error quotes a bad one cut short: see ``shown``)."""
    import re

    for item in v:
        if not re.match(_NAME, item):
            raise ValueError(f"not a valid name: {shown(item)}; a name is {_NAME_RULE}")
    return v


class EvalJob(BaseModel):
    """What the job form may ask for an eval (each field becomes one CLI option)."""

    model_config = ConfigDict(extra="forbid")
    suites: list[str] = Field(default_factory=lambda: ["demo"], min_length=1, max_length=10)
    models: list[str] = Field(min_length=1, max_length=20)
    limit: int | None = Field(default=None, ge=1, le=100_000)
    concurrency: int | None = Field(default=None, ge=1, le=256)

    @field_validator("suites", "models")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        return _check_names(v)

    def argv(self) -> list[str]:
        out = ["eval", "--no-progress", "--json"]
        for s in self.suites:
            out += ["--suite", s]
        for m in self.models:
            out += ["--model", m]
        if self.limit is not None:
            out += ["--limit", str(self.limit)]
        if self.concurrency is not None:
            out += ["--concurrency", str(self.concurrency)]
        return out

    def planned(self) -> int | None:
        return None


class PerfJob(BaseModel):
    """What the job form may ask for a perf run."""

    model_config = ConfigDict(extra="forbid")
    models: list[str] = Field(min_length=1, max_length=20)
    concurrency: list[int] = Field(default_factory=lambda: [1], min_length=1, max_length=8)
    requests: int = Field(default=10, ge=1, le=10_000)
    input_tokens: int = Field(default=128, ge=1, le=200_000)
    output_tokens: int = Field(default=64, ge=1, le=32_000)

    @field_validator("models")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        return _check_names(v)

    @field_validator("concurrency")
    @classmethod
    def _levels(cls, v: list[int]) -> list[int]:
        if any(c < 1 or c > 1024 for c in v):
            raise ValueError("concurrency levels must be between 1 and 1024")
        return v

    def argv(self) -> list[str]:
        out = ["perf", "--concurrency", ",".join(str(c) for c in self.concurrency),
               "--requests", str(self.requests), "--input-tokens", str(self.input_tokens),
               "--output-tokens", str(self.output_tokens), "--tokenizer", "words"]
        for m in self.models:
            out += ["--model", m]
        return out


class UnknownNames(NotFound):
    """A job names models the server's models file does not define, or suites that neither
    baimo nor that file's plugins define.

    Refused when the job is submitted (its worker's ``baimo`` would only fail once started).
    The wording is the CLI's for every unknown name at once, without the server's file path;
    ``kind``, ``unknown`` and ``known`` let the page say it in the reader's language.
    """

    def __init__(self, kind: Literal["model", "suite"], unknown: list[str],
                 known: list[str]) -> None:
        self.kind = kind
        self.unknown = list(unknown)
        self.known = list(known)
        names = ", ".join(f"'{n}'" for n in self.unknown)
        noun = kind if len(self.unknown) == 1 else f"{kind}s"
        hint = " (see: baimo suites list)" if kind == "suite" else ""
        super().__init__(f"no {noun} named {names}. Known {kind}s: {', '.join(self.known)}"
                         + hint)


def parse_spec(kind: str, spec: Any) -> EvalJob | PerfJob:
    """The job ``spec`` of ``kind`` checked; a ``ValueError`` (pydantic's ``ValidationError``
    is one) says what is wrong. A spec that is not a JSON object is refused with the fields
    the kind takes: validated as it was (``[]`` became ``{}``), it reported a missing field.
    """
    model: type[EvalJob] | type[PerfJob]
    if kind == "eval":
        model = EvalJob
    elif kind == "perf":
        model = PerfJob
    else:
        raise ValueError(f"job kind must be eval or perf, got {shown(str(kind))}")
    if not isinstance(spec, Mapping):
        fields = ", ".join(f"{name}{' (required)' if f.is_required() else ''}"
                           for name, f in model.model_fields.items())
        raise ValueError(f"spec must be a JSON object of the {kind} job's options ({fields}), "
                         f"e.g. {{\"models\": [\"my-model\"]}}; got {json_type(spec)}")
    return model.model_validate(dict(spec))


class JobManager:
    """Runs queued jobs one at a time (``slots`` at a time) in worker subprocesses."""

    def __init__(self, web: WebRepository, db_url: str, jobs_dir: Path,
                 config_path: Path | None, *, slots: int = 1, poll_s: float = 0.25) -> None:
        self.web = web
        self.db_url = db_url
        self.jobs_dir = jobs_dir
        self.config_path = config_path
        if slots < 1:  # was raised to 1 silently: a server asked for 0 workers ran one
            raise ValueError(f"job slots must be at least 1, got {slots}")
        self.slots = slots
        self.poll_s = poll_s
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._recover()
        self._thread = threading.Thread(target=self._loop, name="baimo-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 20.0) -> None:
        """Stop taking jobs; interrupt running ones (they keep what they finished)."""
        self._stop.set()
        self._wake.set()
        for job_id in list(self._procs):
            self.cancel(job_id)
        if self._thread is not None:
            self._thread.join(timeout)

    def _recover(self) -> None:
        """Jobs left ``running`` by a server that stopped: their worker is gone."""
        for job in self.web.jobs(limit=1000, status=["running"]):
            alive = job.pid is not None and _alive(job.pid)
            if not alive:
                status = (self.web.run_status(job.run_id) if job.run_id else None) or "failed"
                if status == "running":
                    status = "interrupted"
                self.web.update_job(job.id, status=status, finished_at=time.time(),
                                    log_tail="the server stopped while this job ran")

    # -- API ------------------------------------------------------------------------------
    def known_models(self) -> list[str]:
        """The model names a job may ask for: those of the models file each worker is given
        (see ``_launch``), plus the built-in embedded model. A models file that does not load
        raises its ``ConfigError``."""
        from baimo.config import Config, load_config

        if self.config_path is not None and self.config_path.exists():
            return list(load_config(self.config_path).models)
        return list(Config([]).models)

    def known_suites(self) -> list[str]:
        """The suite names an eval job may ask for: baimo's own and those the models file's
        plugins register. The models file is loaded first (``known_models``) because loading
        it imports its plugins; a models file that does not load raises its ``ConfigError``."""
        from baimo.tasks.registry import SUITES

        self.known_models()
        return sorted(SUITES)

    def submit(self, kind: str, spec: Mapping[str, Any], user: str | None) -> JobRecord:
        """Queue a job; a spec naming a model that is not configured or a suite that does
        not exist (``UnknownNames``) is refused now, not left to fail in
        its worker."""
        parsed = parse_spec(kind, spec)
        known = self.known_models()
        unknown = [m for m in parsed.models if m not in known]
        if unknown:
            raise UnknownNames("model", unknown, known)
        if isinstance(parsed, EvalJob):
            suites = self.known_suites()
            missing = [s for s in parsed.suites if s not in suites]
            if missing:
                raise UnknownNames("suite", missing, suites)
        job = self.web.add_job(kind, parsed.model_dump(), user)
        self._wake.set()
        return job

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued job, or SIGTERM a running one (its run is marked interrupted)."""
        if self.web.update_job(job_id, only_if=["queued"], status="cancelled",
                               finished_at=time.time()):
            return True
        proc = self._procs.get(job_id)
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            self.web.update_job(job_id, only_if=["running"], status="cancelling")
            return True
        try:
            job = self.web.job(job_id)
        except KeyError:
            return False
        # Started by another server process on this machine (several serve processes may
        # share one store; the atomic claim lets only one of them run each job).
        if job.status == "running" and job.pid and _alive(job.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(job.pid, signal.SIGTERM)
            self.web.update_job(job_id, only_if=["running"], status="cancelling")
            return True
        return False

    def progress(self, job: JobRecord) -> dict[str, Any]:
        """Done / planned rows of the job's run (planned from the run's spec)."""
        done = self.web.progress(job.run_id, job.kind) if job.run_id else 0
        total: int | None = None
        if job.run_id:
            spec = self.web.run_specs([job.run_id]).get(job.run_id, {})
            if job.kind == "eval":
                n = sum(int(t.get("n") or 0) for t in spec.get("tasks", []) or [])
                total = n * max(1, len(spec.get("models", []) or []))
            else:
                lv = job.spec.get("concurrency") or [1]
                total = int(job.spec.get("requests", 0)) * len(lv) * len(job.spec.get("models",
                                                                                       []))
        return {"id": job.id, "kind": job.kind, "status": job.status, "run_id": job.run_id,
                "done": done, "total": total or None,
                "fraction": min(1.0, done / total) if total else None,
                "finished": job.status in FINAL}

    # -- worker loop ----------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception:  # a job's failure must not stop the queue
                log.exception("job loop")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _tick(self) -> None:
        for job_id, proc in list(self._procs.items()):
            job = self.web.job(job_id)
            if job.run_id is None:
                run_id = self.web.run_for_marker(self._marker(job_id))
                if run_id:
                    self.web.update_job(job_id, run_id=run_id)
            code = proc.poll()
            if code is None:
                continue
            self._finish(job_id, code)
        free = self.slots - len(self._procs)
        if free <= 0 or self._stop.is_set():
            return
        for job in self.web.jobs(limit=free, status=["queued"]):
            if self.web.update_job(job.id, only_if=["queued"], status="running",
                                   started_at=time.time()):
                self._launch(job)

    def _marker(self, job_id: str) -> str:
        return str(self.jobs_dir / job_id / "baimo.yaml")

    def _launch(self, job: JobRecord) -> None:
        spec = parse_spec(job.kind, job.spec)
        folder = self.jobs_dir / job.id
        folder.mkdir(parents=True, exist_ok=True)
        cfg = folder / "baimo.yaml"
        if self.config_path is not None and self.config_path.exists():
            shutil.copyfile(self.config_path, cfg)
        else:
            cfg.write_text("models: []\n", encoding="utf-8")
        argv = [sys.executable, "-m", "baimo", *spec.argv(), "--config", str(cfg)]
        env = {**os.environ, "BAIMO_DB": self.db_url}
        log_path = folder / "output.log"
        with log_path.open("wb") as fh:
            proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env, cwd=str(folder),
                                    start_new_session=True)
        self._procs[job.id] = proc
        self.web.update_job(job.id, pid=proc.pid)

    def _finish(self, job_id: str, code: int) -> None:
        self._procs.pop(job_id, None)
        job = self.web.job(job_id)
        run_id = job.run_id or self.web.run_for_marker(self._marker(job_id))
        run_status = self.web.run_status(run_id) if run_id else None
        if run_status in ("done", "partial", "failed", "interrupted"):
            status = run_status
        elif job.status == "cancelling":
            status = "interrupted" if run_id else "cancelled"
        else:
            status = "done" if code == 0 else "failed"
        tail = _tail(self.jobs_dir / job_id / "output.log")
        self.web.update_job(job_id, status=status, run_id=run_id, exit_code=code,
                            finished_at=time.time(), log_tail=tail)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        data = path.read_bytes()[-limit:]
    except OSError:
        return ""
    return data.decode("utf-8", "replace")
