"""The README's promises: its suite example runs as written, and it opens with the set-up."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from baimo.testing.mockserver import MockConfig, MockServer
from support import write_models

README = Path(__file__).parent.parent / "README.md"


def test_readme_opens_with_the_two_commands() -> None:
    head = README.read_text().split("\n")[:6]
    text = "\n".join(head)
    assert "make demo" in text and "make test" in text


def test_add_your_own_suite_example_runs(tmp_path: Path) -> None:
    text = README.read_text()
    section = text[text.index("### Adding your own suite"):]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    (tmp_path / "my_suites.py").write_text(code.group(1))
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "mock"}])
        models = (tmp_path / "baimo.yaml").read_text()
        (tmp_path / "baimo.yaml").write_text(models + "plugins: [./my_suites.py]\n")
        env = {**os.environ}
        listed = subprocess.run([sys.executable, "-m", "baimo", "suites", "list"],
                                cwd=tmp_path, capture_output=True, text=True, env=env)
        assert "capitals" in listed.stdout, listed.stderr
        out = subprocess.run([sys.executable, "-m", "baimo", "eval", "--suite", "capitals",
                              "-m", "mock"], cwd=tmp_path, capture_output=True, text=True,
                             env=env, timeout=120)
        assert out.returncode == 0, out.stderr
        assert srv.stats()["completed"] == 3
    assert "capitals" in out.stdout
