"""The command line, run as a real process (``python -m baimo``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from baimo.testing.mockserver import MockConfig, MockServer
from support import write_models, write_task


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **env})


def test_models_list_show_check(tmp_path: Path) -> None:
    with MockServer(MockConfig(models=["m-1"])) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "good", "model": "m-1"},
                                              {"name": "gone", "model": "m-2"}])
        listed = run(["models", "list"], tmp_path)
        assert "good" in listed.stdout and "smollm2-135m" in listed.stdout
        shown = run(["models", "show", "good"], tmp_path)
        assert json.loads(shown.stdout)["model"] == "m-1"
        checked = run(["models", "check", "good", "gone"], tmp_path)
    assert checked.returncode == 1  # one model is unreachable
    assert "not-found HTTP 404" in checked.stdout
    assert "yes" in checked.stdout


def test_eval_runs_report_and_errors(tmp_path: Path) -> None:
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "a"}, {"name": "b"}])
        spec = write_task(tmp_path, 6)
        out = run(["eval", "-t", str(spec), "-m", "a", "-m", "b", "--report",
                   str(tmp_path / "r.html")], tmp_path)
        assert out.returncode == 0, out.stderr
        assert "run:" in out.stdout and "100.0%" in out.stdout
        again = run(["eval", "-t", str(spec), "-m", "a"], tmp_path)
        assert srv.stats()["requests"] == 12
    assert (tmp_path / "r.html").read_text().count("<section") >= 5
    lst = run(["runs", "list"], tmp_path)
    assert lst.stdout.count("eval") >= 2
    first = lst.stdout.split("│")[1].strip() if "│" in lst.stdout else ""
    diff = run(["runs", "diff", "latest", "latest"], tmp_path)
    assert "0 of 6 samples changed" in diff.stdout
    for fmt in ("md", "csv", "json"):
        rep = run(["report", "latest", "-f", fmt, "-o", str(tmp_path / f"r.{fmt}")], tmp_path)
        assert rep.returncode == 0, rep.stderr
    assert json.loads((tmp_path / "r.json").read_text())["models"]["a"]["overall"][
        "accuracy"] == 1.0
    assert "| a | synthetic | 6 | 100.0% |" in (tmp_path / "r.md").read_text()
    assert again.returncode == 0 and first is not None
    # User mistakes: one clear line, exit 2, no traceback.
    bad = run(["eval", "-t", str(tmp_path / "missing.yaml")], tmp_path)
    assert bad.returncode == 2 and "file not found" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad = run(["report", "nosuchrun"], tmp_path)
    assert bad.returncode == 2 and "no run 'nosuchrun'" in bad.stderr
    bad = run(["eval", "-m", "nosuch"], tmp_path)
    assert bad.returncode == 2 and "no model named 'nosuch'" in bad.stderr
