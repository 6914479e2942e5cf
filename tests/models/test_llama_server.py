"""The ``llamacpp-server`` preset against a real llama-cpp-python server: ``baimo perf`` fixes
output lengths with ``min_tokens`` (the server ignores ``ignore_eos``), and its note says so."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: "
                    "pip install 'baimo[local]'")

from baimo.config import ModelConfig
from baimo.perf.workload import output_control, request_params

pytestmark = pytest.mark.llama

# Questions the model answers in a few tokens: without a length control, answers end early.
PROMPTS = ["What is 2+2? Answer with the number only.",
           "Is the sky blue? Answer yes or no."]
LENGTH = 16


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(url + "/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=60) as resp:
        out: dict[str, Any] = json.loads(resp.read())
        return out


def test_the_preset_sends_min_tokens_and_says_what_each_server_honours() -> None:
    cfg = ModelConfig(name="lcs", provider="llamacpp-server")
    control = output_control(cfg, LENGTH)
    params = request_params(cfg, control)
    assert params["min_tokens"] == LENGTH and params["max_tokens"] == LENGTH
    assert "min_tokens fixes the length on llama-cpp-python's server" in control.note
    assert "ignores ignore_eos" in control.note


def test_the_server_ignores_ignore_eos_and_honours_min_tokens(llama_server_calm: str) -> None:
    """The facts the preset rests on, checked on the server itself."""
    base = {"model": "smol", "messages": [{"role": "user", "content": PROMPTS[0]}],
            "max_tokens": LENGTH, "temperature": 0}
    plain = _post(llama_server_calm, base)["usage"]["completion_tokens"]
    eos = _post(llama_server_calm, {**base, "ignore_eos": True})["usage"]["completion_tokens"]
    mins = _post(llama_server_calm, {**base, "min_tokens": LENGTH})["usage"]
    assert plain < LENGTH, "the prompt must end early on its own, or this test proves nothing"
    assert eos == plain
    assert mins["completion_tokens"] == LENGTH


def test_perf_gets_the_fixed_length_on_llama_cpp_server(llama_server_calm: str,
                                                        tmp_path: Path) -> None:
    data = tmp_path / "short.jsonl"
    data.write_text("".join(json.dumps({"id": f"q{i}", "prompt": p}) + "\n"
                            for i, p in enumerate(PROMPTS)))
    models = tmp_path / "baimo.yaml"
    models.write_text(yaml.safe_dump({"models": [{
        "name": "lcs", "provider": "llamacpp-server", "base_url": llama_server_calm,
        "model": "smol"}]}))
    from baimo.models.embedded import find_gguf

    proc = subprocess.run(
        [sys.executable, "-m", "baimo", "perf", "-c", str(models), "-m", "lcs",
         "--concurrency", "1", "--requests", str(len(PROMPTS)), "--warmup", "0",
         "--output-tokens", str(LENGTH), "--dataset", str(data),
         "--tokenizer", f"gguf:{find_gguf()}", "--json", "-"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    (model,) = out["models"]
    (level,) = model["levels"]
    assert level["requests"]["ok"] == len(PROMPTS) and level["requests"]["errors"] == 0
    lengths = level["metrics"]["output_tokens"]
    assert lengths["n"] == len(PROMPTS)
    assert lengths["min"] == lengths["max"] == LENGTH, lengths
    assert "min_tokens fixes the length" in level["output_control"]
