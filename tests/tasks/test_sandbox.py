"""The sandbox against hostile programs: each is contained and the harness is unharmed.

Every hostile program prints its uid first, so the final test can check, by scanning /proc,
that no process of any run survived. Files the programs try to create are checked directly.
"""

from __future__ import annotations

import os
import resource
import socket
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from baimo.tasks.sandbox import (
    ExecResult,
    SandboxLimits,
    run_many,
    run_python,
    sandbox_info,
)

FAST = SandboxLimits(cpu_seconds=2, wall_seconds=5, memory_mb=256, max_processes=16)

# Paths hostile programs try to write; unique per test session so leftovers are attributable.
_TAG = uuid.uuid4().hex[:8]
OUTSIDE_PATHS = [
    f"/tmp/baimo_pwned_{_TAG}",
    f"/root/baimo_pwned_{_TAG}",
    f"/var/tmp/baimo_pwned_{_TAG}",
    f"/dev/shm/baimo_pwned_{_TAG}",
    str(Path.cwd() / f"baimo_pwned_{_TAG}"),
]
# Uids that sandboxed programs reported; checked for survivors at the end.
SEEN_UIDS: set[int] = set()

UID_PREAMBLE = "import os, sys\nprint('uid', os.getuid(), flush=True)\n"


def run_hostile(body: str, limits: SandboxLimits = FAST) -> ExecResult:
    """Run a program that first reports its uid (for the survivor check), then ``body``."""
    result = run_python(UID_PREAMBLE + textwrap.dedent(body), limits)
    for line in result.stdout.splitlines():
        if line.startswith("uid "):
            SEEN_UIDS.add(int(line.split()[1]))
    return result


def uid_of(result: ExecResult) -> int:
    """The uid a hostile program reported on its first line."""
    first = result.stdout.splitlines()[0]
    assert first.startswith("uid "), result.stdout[:200] + result.stderr[-500:]
    return int(first.split()[1])


def live_processes_of(uid: int) -> list[int]:
    """Non-zombie pids whose real uid is ``uid``, from /proc (no psutil)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields["Uid"].split()[0]) == uid and fields["State"].split()[0] not in ("Z", "X"):
            found.append(int(entry))
    return found


def assert_no_survivors(uid: int) -> None:
    if uid == os.getuid():
        return  # not dropped (non-root harness): covered by the process-group kill instead
    assert live_processes_of(uid) == [], f"processes of sandbox uid {uid} survived"


@pytest.fixture(scope="module")
def isolation() -> tuple[str, ...]:
    info = sandbox_info()
    assert info.isolation, f"sandbox unavailable: {info.notes}"
    return info.isolation


# ------------------------------------------------------------------------------------------
# Normal programs


def test_passing_program_output_and_status(isolation: tuple[str, ...]) -> None:
    result = run_python("print('hello'); import sys; print('err', file=sys.stderr)")
    assert result.status == "passed"
    assert result.returncode == 0
    assert result.stdout == "hello\n"
    assert result.stderr == "err\n"
    assert result.isolation == isolation
    assert result.duration_s < 5


def test_failing_programs() -> None:
    failed = run_python("assert 1 + 1 == 3, 'arithmetic'")
    assert failed.status == "failed"
    assert failed.returncode == 1
    assert "AssertionError: arithmetic" in failed.stderr

    exit_code = run_python("import sys; sys.exit(7)")
    assert (exit_code.status, exit_code.returncode) == ("failed", 7)

    syntax = run_python("def broken(:\n    pass")
    assert syntax.status == "failed"
    assert "SyntaxError" in syntax.stderr


def test_environment_is_scrubbed_of_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-sentinel-" + uuid.uuid4().hex
    monkeypatch.setenv("BAIMO_SENTINEL_KEY", secret)
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    result = run_hostile(f"""
        print(sorted(os.environ))
        print(dict(os.environ))
        for path in ("/proc/self/environ", "/proc/1/environ", "/proc/{os.getpid()}/environ",
                     "/proc/{os.getpid()}/cmdline"):
            try:
                print(path, open(path, "rb").read())
            except OSError as exc:
                print(path, "denied", exc)
    """)
    assert result.status == "passed", result.stderr
    assert secret not in result.stdout + result.stderr
    assert "['HOME', 'LANG', 'PATH', 'TMPDIR']" in result.stdout
    assert_no_survivors(uid_of(result))


def test_cwd_is_a_fresh_writable_temp_dir() -> None:
    code = """
        import os, tempfile
        cwd = os.getcwd()
        print(cwd, sorted(os.listdir(".")))
        with open("scratch.txt", "w") as fh:
            fh.write("ok")
        print(open("scratch.txt").read(), tempfile.gettempdir() == cwd)
    """
    first = run_python(textwrap.dedent(code))
    second = run_python(textwrap.dedent(code))
    assert first.status == second.status == "passed", first.stderr
    cwd1, cwd2 = first.stdout.split()[0], second.stdout.split()[0]
    assert cwd1 != cwd2
    assert "[]" in first.stdout and "ok True" in first.stdout
    assert not os.path.exists(cwd1) and not os.path.exists(cwd2)  # removed afterwards


# ------------------------------------------------------------------------------------------
# Hostile programs


def test_fork_bomb_is_contained() -> None:
    started = time.monotonic()
    result = run_hostile("""
        import time
        while True:
            try:
                os.fork()
            except OSError:
                time.sleep(0.001)
    """, SandboxLimits(cpu_seconds=2, wall_seconds=3, memory_mb=256, max_processes=16))
    assert result.status in ("timeout", "failed")
    assert time.monotonic() - started < 15
    assert_no_survivors(uid_of(result))


def test_escaped_background_processes_are_killed() -> None:
    result = run_hostile("""
        import subprocess, time
        # A daemon: double fork, new session, closed output, so neither the process group
        # nor the pipes lead to it.
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.close(1); os.close(2)
                time.sleep(300)
            os._exit(0)
        subprocess.Popen(["sleep", "300"], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print("spawned", flush=True)
    """)
    assert result.status == "passed", result.stderr
    assert "spawned" in result.stdout
    assert result.duration_s < 4  # did not wait for the sleepers
    assert_no_survivors(uid_of(result))


def test_memory_bomb() -> None:
    one_shot = run_hostile("x = bytearray(4 * 1024 ** 3)")
    assert one_shot.status == "memory", one_shot.stderr
    gradual = run_hostile("""
        chunks = []
        while True:
            chunks.append(bytearray(16 * 1024 ** 2))
    """)
    assert gradual.status == "memory", gradual.stderr


def test_cpu_infinite_loop_hits_cpu_limit() -> None:
    result = run_hostile("while True:\n    pass\n",
                         SandboxLimits(cpu_seconds=1, wall_seconds=20))
    assert result.status == "timeout", (result.returncode, result.duration_s, result.stderr)
    assert result.duration_s < 10  # the CPU limit, not the 20 s wall clock, ended it


def test_sleeping_program_hits_wall_clock() -> None:
    result = run_hostile("import time\nprint('sleeping', flush=True)\ntime.sleep(600)\n",
                         SandboxLimits(cpu_seconds=5, wall_seconds=1.5))
    assert result.status == "timeout"
    assert 1.5 <= result.duration_s < 5
    assert "sleeping" in result.stdout  # output before the kill is kept


def test_writes_outside_the_temp_dir_fail(isolation: tuple[str, ...]) -> None:
    result = run_hostile(f"""
        for path in {OUTSIDE_PATHS!r} + [os.path.join(os.path.dirname(__file__), "x.py")]:
            try:
                with open(path, "w") as fh:
                    fh.write("pwned")
                print("WROTE", path)
            except OSError as exc:
                print("blocked", path, type(exc).__name__)
    """)
    assert result.status == "passed", result.stderr
    assert "WROTE" not in result.stdout
    for path in OUTSIDE_PATHS:
        assert not os.path.exists(path), path


def test_file_size_limit() -> None:
    result = run_hostile("""
        with open("big.bin", "wb") as fh:
            fh.write(b"x" * (3 * 1024 * 1024))
    """, SandboxLimits(file_size_mb=1))
    assert result.status == "failed"
    assert "File too large" in result.stderr


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server
    server.close()


def test_no_network_to_a_local_listener(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    result = run_hostile(f"""
        import socket
        try:
            s = socket.create_connection(("127.0.0.1", {port}), timeout=3)
            s.sendall(b"exfiltrated")
            print("CONNECTED")
        except OSError as exc:
            print("blocked", type(exc).__name__, exc)
    """)
    assert result.status == "passed", result.stderr
    assert "CONNECTED" not in result.stdout
    listener.settimeout(0.5)
    with pytest.raises(socket.timeout):
        conn, _ = listener.accept()
        conn.close()


def test_no_network_to_an_external_address() -> None:
    # 192.0.2.1 is TEST-NET-1: never routed; "fail fast" means no 5 s connect timeout.
    result = run_hostile("""
        import socket, time
        t = time.monotonic()
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=5).sendall(b"x")
            print("CONNECTED")
        except OSError as exc:
            print("blocked after", round(time.monotonic() - t, 3), type(exc).__name__)
        try:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.sendto(b"x", ("192.0.2.1", 53))
            print("SENT UDP")
        except OSError as exc:
            print("udp blocked", type(exc).__name__)
    """, SandboxLimits(wall_seconds=8))
    assert result.status == "passed", result.stderr
    assert "CONNECTED" not in result.stdout and "SENT UDP" not in result.stdout
    assert result.duration_s < 3


def test_cannot_kill_the_harness(isolation: tuple[str, ...]) -> None:
    me, my_group = os.getpid(), os.getpgid(0)
    result = run_hostile(f"""
        import signal
        attempts = [
            ("kill ppid", lambda: os.kill(os.getppid(), signal.SIGKILL)),
            ("killpg ppid", lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)),
            ("kill harness", lambda: os.kill({me}, signal.SIGKILL)),
            ("killpg harness", lambda: os.killpg({my_group}, signal.SIGKILL)),
            ("kill everything", lambda: os.kill(-1, signal.SIGKILL)),
        ]
        for name, attempt in attempts:
            try:
                attempt()
                print(name, "returned")
            except OSError as exc:
                print(name, type(exc).__name__)
    """)
    os.kill(me, 0)  # still here
    assert result.status != "error", result.stderr
    assert "kill harness returned" not in result.stdout
    assert "killpg harness returned" not in result.stdout


def test_stdout_flood_is_capped_and_harness_memory_bounded() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    result = run_hostile("""
        chunk = b"x" * (1024 * 1024)
        for _ in range(100):
            sys.stdout.buffer.write(chunk)
        print("finished", file=sys.stderr)
    """, SandboxLimits(output_bytes=65536, wall_seconds=20))
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert result.status == "output-limit"
    assert len(result.stdout.encode()) <= 65536
    assert "finished" not in result.stderr  # killed long before writing 100 MB
    assert elapsed < 10
    assert after - before < 20 * 1024  # ru_maxrss is in KiB: under 20 MiB of growth


def test_stderr_flood_is_capped() -> None:
    result = run_hostile("""
        while True:
            sys.stderr.write("y" * 100000)
    """, SandboxLimits(output_bytes=4096))
    assert result.status == "output-limit"
    captured, _, note = result.stderr.partition("\n[baimo sandbox: ")
    assert 0 < len(captured.encode()) <= 4096
    assert "output limit" in note


def test_run_many_keeps_order_and_runs_one_per_cpu() -> None:
    cpus = len(os.sched_getaffinity(0))
    codes = [f"import time; print(time.time()); time.sleep(0.4); print(time.time()); print({i})"
             for i in range(6)]
    codes.append("raise ValueError('seven')")
    results = run_many(codes, SandboxLimits(wall_seconds=10), max_workers=6)
    assert [r.stdout.split()[2] for r in results[:6]] == ["0", "1", "2", "3", "4", "5"]
    assert results[6].status == "failed" and "ValueError: seven" in results[6].stderr
    spans = [(float(r.stdout.split()[0]), float(r.stdout.split()[1])) for r in results[:6]]
    # Never more runs at once than CPUs (so waiting for a core is never timed as running) ...
    most = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert most <= cpus
    # ... and with two or more CPUs, runs do overlap.
    if cpus >= 2:
        assert most >= 2
    assert run_many([]) == []


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="wall_seconds"):
        SandboxLimits(wall_seconds=0)


def test_isolation_recorded(isolation: tuple[str, ...]) -> None:
    assert {"rlimits", "new-session", "clean-env", "tmp-cwd"} <= set(isolation)
    assert "netns" in isolation or "socket-guard" in isolation
    if os.geteuid() == 0:
        assert "uid-drop" in isolation  # never run untrusted code as root


# ------------------------------------------------------------------------------------------
# After all of the above (pytest runs a module's tests in file order)


def test_zz_harness_unharmed_after_hostile_programs() -> None:
    os.kill(os.getpid(), 0)
    assert len(SEEN_UIDS) >= 5, "the hostile tests above did not run"
    deadline = time.monotonic() + 3
    survivors = {uid: live_processes_of(uid) for uid in SEEN_UIDS if uid != os.getuid()}
    while any(survivors.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
        survivors = {uid: live_processes_of(uid) for uid in SEEN_UIDS if uid != os.getuid()}
    assert not any(survivors.values()), survivors
    for path in OUTSIDE_PATHS:
        assert not os.path.exists(path), path
