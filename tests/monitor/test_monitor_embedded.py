"""The built-in embedded model under ``baimo monitor``: probed only when named, and once it
has been, ``monitor status`` lists it beside the configured endpoints.

Real processes over the real store: ``baimo monitor once -m smollm2-135m`` starts the
embedded llama.cpp engine and probes it; ``baimo monitor status`` then reads the store.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: "
                    "pip install 'baimo[local]'")

from baimo.config import DEFAULT_MODEL_NAME

pytestmark = pytest.mark.llama

# One small timed probe per cycle, no canaries or bursts: the embedded engine is slow.
MONITOR = ("monitor: {parallel: 0, tokenizer: words, output_tokens: 8, sizes: [100], "
           "headline_size: 100, canaries: false, fidelity_every: 1d}\n")


def _baimo(args: list[str], home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", *args], cwd=cwd,
                          env={**os.environ, "BAIMO_HOME": str(home)},
                          capture_output=True, text=True, timeout=300)


def _status(models: Path, home: Path, cwd: Path) -> list[dict[str, object]]:
    res = _baimo(["monitor", "status", "-c", str(models), "--json"], home, cwd)
    assert res.returncode == 0, res.stderr
    rows: list[dict[str, object]] = orjson.loads(res.stdout)
    return rows


def test_status_shows_the_embedded_model_once_it_has_been_probed(tmp_path: Path,
                                                                  baimo_home: Path) -> None:
    alone = tmp_path / "alone.yaml"  # nothing configured: the embedded model is the model
    alone.write_text("models: []\n" + MONITOR, encoding="utf-8")
    beside = tmp_path / "beside.yaml"  # an endpoint of its own, never probed here
    beside.write_text("models:\n  - {name: vendor-a, base_url: 'http://127.0.0.1:9/v1', "
                      "model: m}\n" + MONITOR, encoding="utf-8")

    # Not probed yet: it is not an endpoint by default, so status leaves it out.
    assert [r["model"] for r in _status(beside, baimo_home, tmp_path)] == ["vendor-a"]

    once = _baimo(["monitor", "once", "-c", str(alone), "-m", DEFAULT_MODEL_NAME, "--json"],
                  baimo_home, tmp_path)
    assert once.returncode == 0, once.stderr
    (probed,) = orjson.loads(once.stdout)
    assert probed["model"] == DEFAULT_MODEL_NAME and probed["status"] == "done", probed

    for models, expected in ((alone, [DEFAULT_MODEL_NAME]),
                             (beside, ["vendor-a", DEFAULT_MODEL_NAME])):
        rows = {r["model"]: r for r in _status(models, baimo_home, tmp_path)}
        assert list(rows) == expected, models.name
        mine = rows[DEFAULT_MODEL_NAME]
        assert mine["last_cycle"] == probed["slot"]
        stability = mine["stability"]
        assert isinstance(stability, dict) and stability["requests"] == 1
    table = _baimo(["monitor", "status", "-c", str(beside)], baimo_home, tmp_path)
    assert table.returncode == 0 and DEFAULT_MODEL_NAME in table.stdout, table.stderr
