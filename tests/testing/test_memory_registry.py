"""The in-memory provider is reached through the provider registry like any endpoint."""

from __future__ import annotations

from pathlib import Path

import yaml

from baimo.config import load_config
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.task import load_task
from baimo.testing.memory import MemoryProvider, serve_in_memory
from support import write_task


def test_an_eval_runs_on_the_memory_provider(tmp_path: Path) -> None:
    provider = serve_in_memory("adder", MemoryProvider(
        lambda messages, params: "The answer is "
        + messages[-1]["content"].split("[[answer:")[1].split("]]")[0]))
    (tmp_path / "baimo.yaml").write_text(yaml.safe_dump({"models": [
        {"name": "mem", "provider": "memory", "model": "adder"}]}))
    cfg = load_config(tmp_path / "baimo.yaml").get("mem")
    store = Store()
    out = run_eval(store, [cfg], [load_task(write_task(tmp_path, 4))])
    rows = store.runs.results([out.run_id])
    assert [r.status for r in rows] == ["ok"] * 4
    assert len(provider.calls) == 4
