"""A Ray cluster whose head has no CPUs and no worker: the run is refused, not left waiting.

Ray queues a task that asks for more CPUs than the cluster has and waits for it without a
word, so a run on such a cluster would hang. The executor checks the cluster first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from baimo.config import load_config
from baimo.errors import BaimoError
from baimo.runs.eval import run_eval
from baimo.scale.executor import RayExecutor
from baimo.store.store import Store
from baimo.tasks.task import load_task
from baimo.testing.mockserver import MockConfig, MockServer
from support import write_models, write_task

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'baimo[ray]' "
                          "to run the scale-out tests")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cpuless_head() -> Iterator[Any]:
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0,
                                                            "include_dashboard": False})
    ray.init(address=cluster.address, namespace="baimo", logging_level="ERROR",
             log_to_driver=False)
    try:
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


def test_a_run_on_a_head_with_no_cpus_is_refused_with_what_to_do(
        cpuless_head: Any, tmp_path: Path) -> None:
    with MockServer(MockConfig(ttft_s=0.01, output_tokens=4)) as srv:
        spec = write_models(tmp_path, srv.base_url, [{"name": "m"}])
        model = load_config(spec).get("m")
        task = load_task(write_task(tmp_path, 4))
        store = Store(f"sqlite:///{tmp_path / 'runs.db'}")
        with pytest.raises(BaimoError, match=r"has 0 CPUs after 1 s and a shard needs 1, ") as exc:
            run_eval(store, [model], [task], executor=RayExecutor(cpu_wait_s=1.0))
        asked = srv.stats()["completed"]
    assert "ray start --head --num-cpus N" in str(exc.value) and "resume the run" in str(exc.value)
    assert asked == 0
    (run,) = store.runs.recent()
    assert run.status == "failed"  # stored, and resumable once the cluster has CPUs


def test_perf_clients_on_a_head_with_no_cpus_are_refused(cpuless_head: Any) -> None:
    from baimo.scale.perf import RayPerfPool

    with pytest.raises(BaimoError, match=r"has 0 CPUs after 1 s and --clients 2 \(a CPU each\) "
                       r"need 2, ") as exc:
        RayPerfPool(2, cpu_wait_s=1.0)
    assert "resume" not in str(exc.value)  # (no run is made before the pool)
