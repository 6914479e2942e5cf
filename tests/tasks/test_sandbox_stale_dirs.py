"""Run directories a killed harness left behind are removed by the next one, and no live
run's directory is ever touched (real processes, ``kill -9``, a private temporary dir)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

RUN = ("import sys; from baimo.tasks.sandbox import SandboxLimits, run_python; "
       "r = run_python(sys.argv[1], SandboxLimits(cpu_seconds=30, wall_seconds=30)); "
       "print(r.status, flush=True)")


def _harness(tmp: Path, code: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", RUN, code], env={**os.environ,
                            "TMPDIR": str(tmp)}, stdout=subprocess.PIPE, text=True)


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture()
def tmp() -> Iterator[Path]:
    """A temporary directory of the test's own, traversable as ``/tmp`` is: as root, a run's
    unprivileged uid must reach its code in it (pytest's ``tmp_path`` is owner-only)."""
    path = Path(tempfile.mkdtemp(prefix="baimo-test-stale-"))
    path.chmod(0o711)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_the_next_harness_removes_a_killed_ones_directories_but_never_a_live_ones(
        tmp: Path) -> None:
    killed = _harness(tmp, "import time; time.sleep(25)")
    deadline = time.monotonic() + 15
    while not list(tmp.glob("baimo-sandbox-*")):
        assert time.monotonic() < deadline and killed.poll() is None, "no run started"
        time.sleep(0.05)
    time.sleep(0.3)  # the program is written and started
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    (left,) = tmp.glob("baimo-sandbox-*")
    assert (left / "code" / "main.py").read_text() == "import time; time.sleep(25)"
    _age(left, 20 * 60)  # the owner died 20 minutes ago
    # A live harness's directory (this test process), however old, and a dead owner's
    # directory younger than the safety margin, must both stay.
    live = tmp / f"baimo-sandbox-{os.getpid()}-live"
    (live / "code").mkdir(parents=True)
    _age(live, 3600)
    fresh = tmp / f"baimo-sandbox-{killed.pid}-fresh"
    fresh.mkdir()
    unrelated = tmp / "baimo-sandboxed-notes"
    unrelated.mkdir()
    _age(unrelated, 48 * 3600)

    nxt = _harness(tmp, "print('hi')")
    out, _ = nxt.communicate(timeout=20)
    assert nxt.returncode == 0 and out.strip() == "passed"
    assert not left.exists()
    assert live.exists() and fresh.exists() and unrelated.exists()
    # The new run cleaned up after itself; nothing else of it is left.
    assert sorted(p.name for p in tmp.iterdir()) == sorted(
        [live.name, fresh.name, unrelated.name])
