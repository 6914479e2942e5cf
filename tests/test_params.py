"""Generation parameters are checked where they are written: in a models file, a task file
and a judge block, each error naming the file, the line of ``params`` and every bad key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from baimo.config import load_config
from baimo.errors import ConfigError
from baimo.tasks.task import load_task


def _models(tmp: Path, params: object) -> Path:
    path = tmp / "baimo.yaml"
    path.write_text(yaml.safe_dump({"models": [
        {"name": "judge", "provider": "openai-compatible", "base_url": "http://127.0.0.1:9/v1",
         "params": params}]}, sort_keys=False))
    return path


@pytest.mark.parametrize(("params", "expected"), [
    ({"max_tokens": "lots"}, "max_tokens must be a whole number of tokens, at least 1 "
                             "(got 'lots')"),
    ({"max_tokens": 0}, "max_tokens must be a whole number of tokens, at least 1 (got 0)"),
    ({"max_completion_tokens": 12.5}, "max_completion_tokens must be a whole number"),
    ({"max_tokens": True}, "max_tokens must be a whole number"),
    ({"temperature": -0.1}, "temperature must be a number from 0 to 2 (got -0.1)"),
    ({"temperature": "0"}, "temperature must be a number from 0 to 2 (got '0')"),
    ({"top_p": 0}, "top_p must be a number above 0 and at most 1 (got 0)"),
    ({"stop": ["\n", 3]}, "stop must be a string or a list of strings"),
    ({"seed": 1.5}, "seed must be a whole number"),
    ({"n": 4}, "n must be 1: baimo asks for one answer per request"),
    ({"stream": False}, "stream is set by the model's own 'stream:' field"),
])
def test_a_bad_parameter_in_a_models_file_names_file_line_and_key(
        tmp_path: Path, params: dict[str, object], expected: str) -> None:
    path = _models(tmp_path, params)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value).startswith(f"{path}:5: models.0.params: {expected}"), str(exc.value)


def test_every_bad_parameter_is_named_at_once_and_unknown_ones_pass(tmp_path: Path) -> None:
    path = _models(tmp_path, {"max_tokens": -5, "temperature": 9, "logit_bias": {"50256": -100},
                              "repetition_penalty": 1.1})
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    msg = str(exc.value)
    assert "max_tokens must be" in msg and "temperature must be" in msg
    assert "logit_bias" not in msg and "repetition_penalty" not in msg
    good = _models(tmp_path, {"max_tokens": 64, "temperature": 0.0, "top_p": 1, "seed": 7,
                              "stop": "###", "n": 1, "logit_bias": {"50256": -100}})
    cfg = load_config(good).get("judge")
    assert cfg.params["logit_bias"] == {"50256": -100} and cfg.max_tokens == 64


def test_a_task_file_and_its_judge_block_are_checked_the_same_way(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text('{"id": 1, "prompt": "2+2?", "reference": "4"}\n')
    task = tmp_path / "t.yaml"
    task.write_text("name: t\ndataset: d.jsonl\nscorer: {type: numeric}\n"
                    "params: {max_tokens: '64'}\n")
    with pytest.raises(ConfigError, match=rf"^{task}:4: params: max_tokens must be a whole "
                                          r"number of tokens, at least 1 \(got '64'\)"):
        load_task(task)
    config = load_config(_models(tmp_path, {}))
    task.write_text("name: t\ndataset: d.jsonl\nscorer: {type: exact}\n"
                    "judge:\n  model: judge\n  params: {temperature: 5}\n")
    with pytest.raises(ConfigError, match=rf"^{task}:6: judge\.params: temperature must be a "
                                          r"number from 0 to 2 \(got 5\)"):
        load_task(task, config)


def test_the_cli_refuses_a_bad_parameter_before_asking_anything(tmp_path: Path) -> None:
    _models(tmp_path, {"max_tokens": "lots"})
    out = subprocess.run([sys.executable, "-m", "baimo", "eval", "-m", "judge", "--limit", "1"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "baimo.yaml:5: models.0.params: max_tokens must be" in out.stderr
    assert "Traceback" not in out.stderr
