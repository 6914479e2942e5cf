"""A real store for the web tests: evals and a perf run against the mock server, with model
outputs, sample ids and categories that carry script payloads.

Tests import helpers from ``webtools``, never from here (see that module for why)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from webtools import LiveServer, plain_task, write_hostile_task, write_models

from baimo.config import load_config
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.task import load_task
from baimo.testing.mockserver import MockConfig, MockServer


@pytest.fixture(scope="session")
def mock() -> Iterator[MockServer]:
    with MockServer(MockConfig()) as srv:
        yield srv


@pytest.fixture(scope="session")
def web_home(tmp_path_factory: pytest.TempPathFactory, mock: MockServer) -> dict[str, Any]:
    """A store with two evals (three models), a perf run, and the models file."""
    tmp = tmp_path_factory.mktemp("webstore")
    db = f"sqlite:///{tmp / 'baimo.db'}"
    cfg_path = write_models(tmp, mock.base_url, ["alpha", "beta", "gamma"])
    cfg = load_config(cfg_path)
    store = Store(db)
    task = load_task(write_hostile_task(tmp), cfg)
    plain = load_task(plain_task(tmp), cfg)
    run_eval(store, [cfg.get("alpha"), cfg.get("beta")], [task, plain], command="test eval 1")
    run_eval(store, [cfg.get("gamma")], [task, plain], command="test eval 2")
    from baimo.perf.loads import parse_levels
    from baimo.perf.runner import PerfSpec, run_perf

    spec = PerfSpec(levels=parse_levels("1,2", None, False, None), requests=4,
                    input_tokens=16, output_tokens=8, tokenizer="words")
    run_perf(store, spec, [cfg.get("alpha"), cfg.get("beta")], command="test perf")
    store.close()
    return {"db": db, "config": cfg_path, "tmp": tmp}


@pytest.fixture(scope="module")
def live(web_home: dict[str, Any]) -> Iterator[LiveServer]:
    srv = LiveServer(web_home["db"], web_home["config"])
    yield srv
    srv.close()
