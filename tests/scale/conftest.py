"""A real local Ray cluster for the scale tests: a head and two worker nodes on loopback.

The head has no CPUs, so every shard runs on a worker node, in a worker process of its own;
each worker node has one CPU. The cluster is started once for the module that asks for it
and stopped after; the test that kills a worker node runs last.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'baimo[ray]' "
                          "to run the scale-out tests")


class LocalCluster:
    """``ray.cluster_utils.Cluster`` with the handles the tests need."""

    def __init__(self) -> None:
        from ray.cluster_utils import Cluster

        self.cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 0, "include_dashboard": False})
        self.workers: list[Any] = [self.cluster.add_node(num_cpus=1) for _ in range(2)]
        ray.init(address=self.cluster.address, namespace="baimo", logging_level="ERROR",
                 log_to_driver=False)
        self.cluster.wait_for_nodes()

    def kill_worker(self, index: int = 0) -> None:
        """Kill a worker node's processes at once (its raylet and its workers)."""
        node = self.workers.pop(index)
        self.cluster.remove_node(node, allow_graceful=False)

    def shutdown(self) -> None:
        ray.shutdown()
        self.cluster.shutdown()


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[LocalCluster]:
    c = LocalCluster()
    try:
        yield c
    finally:
        c.shutdown()
