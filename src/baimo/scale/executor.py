"""``baimo eval --executor ray``: the run's shards as Ray tasks, one store, one limit.

The driver (the ``baimo eval`` process) opens or resumes the run exactly as a local run does
(``runs.eval.run_eval``), then hands the work to ``RayExecutor.run``:

1. Error rows are cleared once (a resumed run asks those samples again), and the samples
   not stored yet are cut into shards (``shards.make_shards``).
2. One ``EndpointGate`` actor per endpoint holds that endpoint's limits for every shard.
3. Each shard is a Ray task running the same ``EvalRunner`` as a local run over its samples,
   writing every result straight to the shared store through ``Store.write``. The store
   must be one every node reaches: PostgreSQL (``BAIMO_DB``) on a cluster; SQLite only when
   every worker is on this machine.
4. Ray retries a shard whose worker or node died (``max_retries``); the retry skips what the
   lost attempt stored. Nothing is lost and no row is stored twice.
5. Progress is read from the store (what is committed is what counts), so the driver shows
   one view for all shards; the final counters are the stored rows themselves.

Ctrl-C or SIGTERM cancels the shards and leaves the run ``interrupted``; a killed driver takes
its shards with it (Ray ends a job's tasks with its driver) and ``--resume`` continues either.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from baimo.config import ModelConfig
from baimo.errors import BaimoError, MissingDependency
from baimo.models.limits import EndpointLimiter
from baimo.runs.runner import EvalRunner, ModelProgress
from baimo.scale.limiter import HOLDER_TIMEOUT_S, ClusterLimiter, endpoint_key, make_gate
from baimo.scale.shards import DEFAULT_CHUNK, Shard, make_shards, select
from baimo.signals import sigterm_as_interrupt
from baimo.store.records import LostRow
from baimo.store.store import Store, shareable_url, with_local_password
from baimo.tasks.task import Task

__all__ = ["RayExecutor", "ShardResult", "check_address", "connect", "run_shard"]

NAMESPACE = "baimo"
log = logging.getLogger(__name__)


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingDependency("ray", "ray", "the Ray executor") from None
    return ray


CONNECT_TIMEOUT_S = 3.0
"""How long ``check_address`` waits for a TCP connection to the cluster's port. Ray itself
retries an unreachable GCS for minutes, printing a line every five seconds."""
_START_HINT = ("Start one with `ray start --head` and pass --address auto on that machine, "
               "or --address ray://HEAD_HOST:10001 from another (pip install 'baimo[ray]' "
               "brings the Ray Client)")


_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
"""An HTTP/2 client's preface and an empty SETTINGS frame: a gRPC server (a Ray head's GCS,
the Ray Client server) answers with a SETTINGS frame of its own."""
_GCS_METHOD = "/ray.rpc.NodeInfoGcsService/GetClusterId"
"""The call a Ray driver makes first; any Ray head's GCS has it, the Ray Client server not."""


def check_address(address: str | None, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Fail at once, naming the address, unless it looks like the Ray service its form asks.

    ``address`` (or ``RAY_ADDRESS`` when it is None) is ``ray://HOST:PORT`` (the Ray Client
    server) or ``HOST:PORT`` (the head's GCS): checked here because ``ray.init`` retries an
    unreachable one for many minutes, and a port that is open but serves something else for
    tens of seconds, after the run exists. So ``HOST:PORT`` must accept a TCP connection and
    answer an HTTP/2 preface (both Ray services speak gRPC), and, where ``grpc`` is
    installed (the ``ray`` extra), a GCS address must answer the GCS's first call and a
    ``ray://`` one must not (that is the GCS port given to the Ray Client). With
    ``RAY_USE_TLS`` only the connection is checked. ``auto``, ``local`` and no address at all
    are left to ``ray.init``, which answers those quickly.
    """
    source = "--address"
    if address is None:
        address, source = os.environ.get("RAY_ADDRESS") or None, "RAY_ADDRESS"
    if address is None or address in ("auto", "local"):
        return
    client = address.startswith("ray://")
    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    host = host.strip("[]")  # an IPv6 literal: [::1]:6379
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BaimoError(f"{source} {address!r} is not a Ray cluster address: give auto, "
                         "ray://HOST:PORT (the Ray Client, port 10001 by default) or "
                         "HOST:PORT (the head node's port, 6379 by default)")
    where = f"cannot connect to the Ray cluster at {address} ({source}): {host}:{port}"
    tls = _tls()
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            answer = b"" if tls else _h2_answer(sock, timeout)
    except OSError as exc:
        why = exc.strerror or str(exc) or type(exc).__name__
        raise BaimoError(f"{where} accepts no connection ({why}). {_START_HINT}.") from None
    if not tls and answer[3:4] != b"\x04":
        said = (f"it answered {answer[:40].decode('latin-1')!r}" if answer
                else f"it answered nothing in {timeout:g} s")
        raise BaimoError(f"{where} accepts connections but is not Ray: it does not speak "
                         f"gRPC ({said}). The Ray Client listens on 10001 and the head on "
                         f"6379 unless `ray start --head` was told otherwise; 8265 is the "
                         f"dashboard. {_START_HINT}.")
    gcs = None if tls else _answers_as_gcs(host, int(port), timeout)
    if client and gcs:
        raise BaimoError(f"{where} is a Ray head's own port, not the Ray Client's: give "
                         f"ray://{host}:10001 (or the head's --ray-client-server-port), or "
                         f"{target} without ray:// from a machine inside the cluster.")
    if not client and gcs is False:
        raise BaimoError(f"{where} speaks gRPC but is not a Ray head's port. If it is the "
                         f"Ray Client's, give ray://{target}.")


def _tls() -> bool:
    """Ray's own switch for TLS between its processes (then no plain preface is answered)."""
    return os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true")


def _h2_answer(sock: socket.socket, timeout: float) -> bytes:
    """The first bytes the server sends after an HTTP/2 preface (empty: none in time)."""
    sock.settimeout(timeout)
    sock.sendall(_H2_PREFACE)
    got = b""
    with contextlib.suppress(OSError):  # a timeout, or a server that hangs up at once
        while len(got) < 9:
            chunk = sock.recv(64)
            if not chunk:
                break
            got += chunk
    return got


def _answers_as_gcs(host: str, port: int, timeout: float) -> bool | None:
    """Whether the gRPC server implements the GCS's first call (None: grpc is not installed
    or gave no verdict). Any status but UNIMPLEMENTED, even UNAUTHENTICATED, means it does."""
    try:
        grpc: Any = importlib.import_module("grpc")
    except ImportError:
        return None
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    with grpc.insecure_channel(target) as channel:
        try:
            channel.unary_unary(_GCS_METHOD)(b"", timeout=timeout)
        except grpc.RpcError as exc:
            code = exc.code()
            if code == grpc.StatusCode.UNIMPLEMENTED:
                return False
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                return None
    return True


def connect(address: str | None) -> Any:
    """Connect to a Ray cluster (``auto``, ``ray://host:port``, ``host:port``) or, with no
    address, to the one ``RAY_ADDRESS`` names or a new one on this machine. Returns ``ray``.
    """
    ray = _ray()
    if not ray.is_initialized():
        check_address(address)
        try:
            ray.init(address=address, namespace=NAMESPACE, logging_level="WARNING",
                     log_to_driver=False, configure_logging=True)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = address or "a new local instance"
            raise BaimoError(f"cannot connect to the Ray cluster at {where}: {exc}. "
                             f"{_START_HINT}.") from None
    return ray


@dataclass
class ShardResult:
    """What a shard did (counts only; the rows are in the store)."""

    shard: int
    model: str
    retries: int
    failed_reason: str | None
    lost: list[LostRow] = field(default_factory=list)
    node: str = ""


def run_shard(db_url: str, run_id: str, cfg: ModelConfig, tasks: Sequence[Task], shard: Shard,
              concurrency: int | None, gates: dict[str, Any] | None) -> ShardResult:
    """Run one shard with the eval runner, writing to the store at ``db_url``.

    This is the body of the Ray task; it is a plain function so that it runs the same in a
    worker and in a test. ``gates`` maps endpoint keys to gate actors (None: local limits).
    ``db_url`` comes without its password (``shareable_url``); the node's own ``BAIMO_DB``
    (or ``PGPASSWORD``) supplies it, as each node's environment supplies the API keys.
    """
    try:
        store = Store(with_local_password(db_url))
    except BaimoError as exc:
        raise BaimoError(f"on a Ray node: {exc} A shard gets BAIMO_DB without its password: set "
                         "BAIMO_DB, PGPASSWORD or ~/.pgpass on every node before 'ray start'."
                         ) from None
    made: list[ClusterLimiter] = []

    def limiter(c: ModelConfig, conc: int) -> EndpointLimiter:
        assert gates is not None
        gate = gates.get(endpoint_key(c))
        if gate is None:  # a model the driver did not know this run would ask
            log.warning("no cluster-wide gate for %s: this shard limits it on its own",
                        c.name)
            return EndpointLimiter(conc, c.limits.rpm, c.limits.tpm)
        made.append(ClusterLimiter(gate, conc))
        return made[-1]

    try:
        runner = EvalRunner(store, run_id, [cfg], [select(tasks, shard)],
                            concurrency=concurrency, part=True,
                            limiter=limiter if gates else None)
        prog = asyncio.run(runner.run())[cfg.name]
        node = ""
        with contextlib.suppress(ImportError):
            import ray

            if ray.is_initialized():  # in a Ray worker (asking would start a Ray here)
                node = str(ray.get_runtime_context().get_node_id())
        return ShardResult(shard.index, cfg.name, prog.retries, prog.failed_reason,
                           list(store.lost), node)
    finally:
        for lim in made:
            lim.close()
        store.close()


@dataclass
class RayExecutor:
    """Runs an opened run's work as Ray tasks (see the module docstring).

    Attributes:
        address: The cluster (``auto``, ``ray://…``); None starts or finds one as ``ray.init``.
        chunk: Samples per shard.
        max_retries: Times Ray reruns a shard whose worker or node died.
        cpus_per_shard: Ray CPUs a shard reserves (a shard mostly waits on the network; 1
            keeps one shard per worker CPU, which is what spreads the load over nodes).
        max_shards: Shards running at once (None: as many as the cluster's CPUs admit).
        shard_concurrency: Requests one shard keeps in flight (None: the model's
            concurrency). The endpoint's own limit (``--concurrency`` or
            ``limits.concurrency``) holds for all shards together, in the gate.
        poll_s: How often the driver reads progress from the store.
        holder_timeout_s: A worker silent this long is presumed dead and its admissions
            to an endpoint are freed (see ``limiter``).
        cpu_wait_s: How long a run waits for the cluster to offer one shard's CPUs (nodes
            may still be joining) before it refuses: on a head started with no CPUs and no
            worker, every shard would wait for ever and the run with it.
    """

    address: str | None = None
    chunk: int = DEFAULT_CHUNK
    max_retries: int = 3
    cpus_per_shard: float = 1.0
    max_shards: int | None = None
    shard_concurrency: int | None = None
    poll_s: float = 0.5
    holder_timeout_s: float = HOLDER_TIMEOUT_S
    cpu_wait_s: float = 30.0
    results: list[ShardResult] = field(default_factory=list)
    gate_stats: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse a missing Ray package or an unreachable address when the executor is made,
        i.e. before ``run_eval`` creates the run: a run that cannot start is not stored as a
        failed run with no results. (Connecting waits for ``run``: without an address it may
        start a local Ray.)"""
        if not _ray().is_initialized():
            check_address(self.address)

    def run(self, store: Store, run_id: str, models: Sequence[ModelConfig],
            tasks: Sequence[Task], *, concurrency: int | None,
            on_progress: Callable[[ModelProgress], None] | None
            ) -> dict[str, ModelProgress]:
        ray = connect(self.address)
        self._check_store(ray, store)
        wait_for_cpus(ray, self.cpus_per_shard, self.cpu_wait_s,
                      then=" What is stored stays stored: resume the run then.")
        store.runs.clear_errors(run_id)
        done = store.runs.completed_samples(run_id)
        shards = make_shards(models, tasks, self.chunk, done)
        progress = {m.name: ModelProgress(m.name, total=sum(len(t.samples) for t in tasks))
                    for m in models}
        gates: dict[str, Any] = {}
        # The candidates, then the models the scoring asks (judges, fallback readers): one
        # gate per endpoint for every shard. A judge configured exactly as a candidate shares
        # its gate (the key is the client pool's: identity plus limits and key variable).
        asked = [(cfg, concurrency or cfg.limits.concurrency) for cfg in models]
        asked += [(cfg, cfg.limits.concurrency) for t in tasks for cfg in t.scoring_models]
        for cfg, conc in asked:
            key = endpoint_key(cfg)
            if key not in gates:
                gates[key] = make_gate(cfg, conc, self.holder_timeout_s)
        by_name = {m.name: m for m in models}
        remote = ray.remote(run_shard).options(
            num_cpus=self.cpus_per_shard, max_retries=self.max_retries,
            retry_exceptions=False, name="baimo-shard")
        tasks_ref = ray.put(list(tasks))
        url = shareable_url(store.url)  # never the password: shard arguments are readable
        queue = list(shards)
        running: dict[Any, Shard] = {}
        limit = self.max_shards or len(queue) or 1
        self.results = []
        try:
            with sigterm_as_interrupt():
                while queue or running:
                    while queue and len(running) < limit:
                        sh = queue.pop(0)
                        ref = remote.remote(url, run_id, by_name[sh.model], tasks_ref,
                                            sh, self.shard_concurrency or concurrency, gates)
                        running[ref] = sh
                    ready, _ = ray.wait(list(running), num_returns=1, timeout=self.poll_s)
                    for ref in ready:
                        running.pop(ref)
                        self.results.append(self._result(ray, ref))
                    self._progress(store, run_id, progress, on_progress)
        except BaseException:
            for ref in running:
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
            raise
        finally:
            for key, gate in gates.items():
                with contextlib.suppress(Exception):
                    self.gate_stats[key] = ray.get(gate.stats.remote(), timeout=10)
                with contextlib.suppress(Exception):
                    ray.kill(gate)
        return self._finish(store, run_id, progress, on_progress)

    def _result(self, ray: Any, ref: Any) -> ShardResult:
        try:
            res: ShardResult = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            # A bug in the shard's code, not a lost worker (those are retried by Ray).
            raise BaimoError(f"a shard failed: {exc.cause if exc.cause else exc}") from None
        except ray.exceptions.RayError as exc:
            raise BaimoError(f"a shard could not finish after {self.max_retries} retries "
                             f"(workers or nodes kept dying): {type(exc).__name__}. What is "
                             "stored stays stored; resume the run.") from None
        return res

    def _check_store(self, ray: Any, store: Store) -> None:
        if not store.is_sqlite:
            return
        hosts = {n["NodeManagerAddress"] for n in ray.nodes() if n.get("Alive")}
        if len(hosts) > 1:
            raise BaimoError(f"the store is SQLite ({store.safe_url}), a file on this machine, "
                             f"but the Ray cluster spans {len(hosts)} hosts. Point BAIMO_DB at "
                             "a PostgreSQL server every node reaches (postgresql://…).")

    def _progress(self, store: Store, run_id: str, progress: dict[str, ModelProgress],
                  on_progress: Callable[[ModelProgress], None] | None) -> None:
        if on_progress is None:
            return
        counts: dict[str, int] = {}
        for model, _task, _sid in store.runs.completed_samples(run_id):
            counts[model] = counts.get(model, 0) + 1
        for name, prog in progress.items():
            prog.done = counts.get(name, 0)
            on_progress(prog)

    def _finish(self, store: Store, run_id: str, progress: dict[str, ModelProgress],
                on_progress: Callable[[ModelProgress], None] | None
                ) -> dict[str, ModelProgress]:
        # The stored rows are the truth: a shard lost with its worker wrote rows nobody
        # counted, and its retry counts only what it added.
        for prog in progress.values():
            prog.done = prog.cached = prog.errors = prog.correct = 0
            prog.cost = 0.0
        for r in store.runs.results([run_id]):
            counted = progress.get(r.model_name)
            if counted is None:
                continue
            counted.done += 1
            counted.cached += r.cached
            counted.errors += r.status == "error"
            counted.correct += r.status == "ok"
            counted.cost += r.cost
        for res in self.results:
            prog = progress[res.model]
            prog.retries += res.retries
            if res.failed_reason and not prog.failed_reason:
                prog.failed_reason = res.failed_reason
            store.lost.extend(res.lost)
        for name, prog in progress.items():
            store.runs.set_model_status(run_id, name, "failed" if prog.failed_reason else "ok",
                                        prog.failed_reason)
            if on_progress is not None:
                on_progress(prog)
        return progress


def wait_for_cpus(ray: Any, cpus: float, timeout: float = 60.0,
                  needs: str = "a shard needs", then: str = "") -> None:
    """Wait until the cluster has ``cpus`` CPUs (nodes still joining); refuse after
    ``timeout`` seconds, since a task or actor that asks for more CPUs than the cluster has
    is never scheduled and Ray waits for it silently. ``needs`` says who asks, ``then`` what
    becomes of the work."""
    deadline = time.monotonic() + timeout
    while (have := ray.cluster_resources().get("CPU", 0.0)) < cpus:
        if time.monotonic() > deadline:
            raise BaimoError(
                f"the Ray cluster has {have:g} CPUs after {timeout:g} s and {needs} "
                f"{cpus:g}, so the work could not start. Add a worker node (`ray start "
                "--address HEAD:6379` on another machine) or give the head CPUs (`ray start "
                f"--head --num-cpus N`).{then}")
        time.sleep(0.2)
