"""Builders shared by tests (plain functions, importable as ``support``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import yaml

SENTINEL_KEY = "sk-baimo-SENTINEL-9f3a1c7e5d"
"""A fake API key that tests grep for in every output: it must never appear."""


def write_task(tmp: Path, n: int, name: str = "synthetic", extra: str = "") -> Path:
    """A task whose prompts carry the mock server's answer and id markers."""
    data = tmp / f"{name}.jsonl"
    with data.open("wb") as fh:
        for i in range(n):
            fh.write(orjson.dumps({
                "id": f"s{i}", "prompt": f"Question {i}? [[id:{name}-s{i}]] "
                f"[[answer:{i * 7}]]{extra}", "reference": f"{i * 7}",
                "category": "even" if i % 2 == 0 else "odd"}) + b"\n")
    spec = tmp / f"{name}.yaml"
    spec.write_text(yaml.safe_dump({"name": name, "version": 1, "dataset": data.name,
                                    "scorer": {"type": "numeric"},
                                    "params": {"max_tokens": 32}}))
    return spec


def write_models(tmp: Path, base_url: str, models: list[dict[str, Any]]) -> Path:
    """A models file pointing every model at ``base_url`` unless it says otherwise."""
    out = []
    for m in models:
        out.append({"provider": "openai-compatible", "base_url": base_url, **m})
    path = tmp / "baimo.yaml"
    path.write_text(yaml.safe_dump({"models": out}))
    return path
