"""The sandbox against hostile programs: each is contained and the harness is unharmed.

Every hostile program prints its uid first, so the final test can check, by scanning /proc,
that no process of any run survived. Files the programs try to create are checked directly.
"""

from __future__ import annotations

import ast
import contextlib
import ctypes
import os
import re
import resource
import shutil
import socket
import stat
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from baimo.tasks import sandbox
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
    info = sandbox_info()
    assert info.memory_bound in ("cgroup-v2", "cgroup-v1", "rlimit")
    assert run_python("pass").memory_bound == info.memory_bound


# ------------------------------------------------------------------------------------------
# Escapes found by independent testing (issue 10): SysV IPC, memory, unix sockets, the store


def _shm_ids() -> set[int]:
    """Shared memory segments of the host's IPC namespace, from /proc/sysvipc/shm."""
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {int(line.split()[1]) for line in lines if line.strip()}


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    return libc


def test_sysv_ipc_is_private_to_the_run(isolation: tuple[str, ...]) -> None:
    libc = _libc()
    # A host segment, world-writable: the kind a run must not be able to attach.
    host_id = libc.shmget(0, 4096, 0o1000 | 0o666)  # IPC_PRIVATE, IPC_CREAT | 0666
    assert host_id >= 0, os.strerror(ctypes.get_errno())
    try:
        before = _shm_ids()
        assert host_id in before
        result = run_hostile(f"""
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.shmat.restype = ctypes.c_void_p
            print("visible", open("/proc/sysvipc/shm").read().count("\\n") - 1)
            addr = libc.shmat({host_id}, None, 0)
            print("host attach", "FAILED" if addr in (None, ctypes.c_void_p(-1).value) else "ATTACHED")
            # Leave a 0666 segment behind, attached and detached, as the escape did.
            mine = libc.shmget(0x6261696d, 1 << 20, 0o1000 | 0o666)
            print("created", mine)
            addr = libc.shmat(mine, None, 0)
            ctypes.memset(addr, 1, 1 << 20)
            libc.shmdt(ctypes.c_void_p(addr))
        """)
        assert result.status == "passed", result.stderr
        assert "visible 0" in result.stdout  # the host's segments are not even listed
        assert "host attach FAILED" in result.stdout
        created = int(result.stdout.split("created ")[1].split()[0])
        assert created >= 0  # the program could use SysV IPC inside its own namespace ...
        assert _shm_ids() == before  # ... and nothing of it outlived the run on the host
        assert "ipcns" in isolation
    finally:
        libc.shmctl(host_id, 0, None)  # IPC_RMID


MEMFD_BOMB = """
    import mmap
    fds = []
    for i in range(200):  # 200 memfds of 4 MiB each: every one under RLIMIT_FSIZE and RLIMIT_AS
        fd = os.memfd_create("bomb")
        os.ftruncate(fd, 4 << 20)
        with mmap.mmap(fd, 4 << 20) as m:
            m[:] = b"x" * (4 << 20)
        fds.append(fd)  # unmapped but alive: the pages stay allocated
    print("HELD", len(fds) * 4, "MiB", flush=True)
"""

MULTI_CHILD_BOMB = """
    import time
    kids = []
    for i in range(8):  # 8 x 200 MiB, each child below the 256 MiB per-process limit
        pid = os.fork()
        if pid == 0:
            block = bytearray(200 << 20)
            block[::4096] = b"\\1" * ((200 << 20) // 4096)  # touch every page
            time.sleep(1)
            os._exit(0)
        kids.append(pid)
    ok = sum(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 for pid in kids)
    print("children ok", ok, flush=True)
    sys.exit(0 if ok == len(kids) else 1)
"""


def _mem_available_mib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no MemAvailable")


def _leftover_run_cgroups() -> list[str]:
    pattern = re.compile(rf"baimo-run-{os.getpid()}-[0-9a-f]+")
    found = []
    for root, dirs, _ in os.walk("/sys/fs/cgroup"):
        found += [os.path.join(root, d) for d in dirs if pattern.fullmatch(d)]
        dirs[:] = [d for d in dirs if not d.startswith("baimo-run-")]
    return found


def test_memory_is_bounded_for_the_whole_run() -> None:
    info = sandbox_info()
    if getattr(info, "memory_bound", "cgroup") not in ("cgroup", "cgroup-v1", "cgroup-v2"):
        pytest.skip(f"no memory cgroup here ({info.notes}); the fallback is tested below")
    available = _mem_available_mib()
    started = time.monotonic()
    memfd = run_hostile(MEMFD_BOMB)
    multi = run_hostile(MULTI_CHILD_BOMB, replace(FAST, wall_seconds=15))
    for result in (memfd, multi):
        assert result.status == "memory", (result.status, result.stdout[-300:], result.stderr[-500:])
        assert result.memory_bound == info.memory_bound
        assert "memory limit of 256 MB for the whole run" in result.stderr
        assert_no_survivors(uid_of(result))
    assert "HELD" not in memfd.stdout  # 800 MiB of memfds never existed at once
    assert "children ok 8" not in multi.stdout
    # The host is fine: the harness runs, memory came back, no run's cgroup is left.
    os.kill(os.getpid(), 0)
    assert time.monotonic() - started < 30
    # Other processes share the machine, so only a drop the size of a bomb (800 MiB) counts.
    assert _mem_available_mib() > available - 700
    assert _leftover_run_cgroups() == []


def test_rlimit_fallback_refuses_memfds() -> None:
    """Without a memory cgroup the run gets a seccomp filter against memfd_create instead.

    Forced here by running with the probed plan minus the cgroup, since this machine has one.
    """
    plan = sandbox._base_plan()
    fallback = replace(plan, memcg=None, memfd_guard=True)
    result = sandbox._run_plan(UID_PREAMBLE + textwrap.dedent(MEMFD_BOMB), FAST, fallback)
    assert result.memory_bound == "rlimit"
    assert "memfd-guard" in result.isolation
    assert result.status == "failed", result.stderr
    assert "PermissionError: [Errno 1] Operation not permitted" in result.stderr
    assert "HELD" not in result.stdout
    # Per-process limits bound the run at max_processes x memory_mb: with 4 processes, at most
    # 3 of the 8 children start, so at most 3 x 200 MiB is ever held.
    small = replace(FAST, max_processes=4, wall_seconds=15)
    multi = sandbox._run_plan(UID_PREAMBLE + textwrap.dedent(MULTI_CHILD_BOMB.replace(
        "pid = os.fork()", "try:\n            pid = os.fork()\n        except OSError:\n"
        "            continue")), small, fallback)
    assert multi.memory_bound == "rlimit"
    ok = int(multi.stdout.split("children ok ")[1].split()[0])
    assert ok <= 3, multi.stdout


@pytest.fixture()
def host_unix_sockets() -> Iterator[tuple[str, str]]:
    """A world-writable unix socket under /tmp and an abstract one, both listening."""
    path = f"/tmp/baimo-host-{_TAG}.sock"
    abstract = f"\0baimo-host-{_TAG}"
    servers = []
    for address in (path, abstract):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(address)
        server.listen(4)
        server.settimeout(0.3)
        servers.append(server)
    os.chmod(path, 0o777)
    # The host itself can connect (as any uid could, before the fix): the sockets are live.
    for address in (path, abstract):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.connect(address)
        for server in servers:
            with contextlib.suppress(socket.timeout):
                server.accept()[0].close()
    yield path, abstract
    for server in servers:
        server.close()
    os.unlink(path)


def test_host_unix_sockets_are_unreachable(host_unix_sockets: tuple[str, str],
                                           isolation: tuple[str, ...]) -> None:
    path, abstract = host_unix_sockets
    result = run_hostile(f"""
        import socket
        print("tmp", sorted(os.listdir("/tmp")))
        for address in ({path!r}, {abstract!r}):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(address)
                s.sendall(b"exfiltrated")
                print("CONNECTED", repr(address))
            except OSError as exc:
                print("blocked", repr(address), type(exc).__name__)
        try:
            open("/tmp/x", "w")
            print("WROTE /tmp")
        except OSError as exc:
            print("tmp read-only", type(exc).__name__)
    """)
    assert result.status == "passed", result.stderr
    assert "CONNECTED" not in result.stdout
    assert result.stdout.count("blocked") == 2
    assert "WROTE" not in result.stdout
    # /tmp is a fresh tmpfs: only the run's own directory is in it, nothing of the host's.
    tmp_line = next(line for line in result.stdout.splitlines() if line.startswith("tmp "))
    assert os.path.basename(path) not in tmp_line
    assert len(ast.literal_eval(tmp_line[4:])) == 1
    assert "private-tmp" in isolation and "netns" in isolation


def test_store_files_are_private_to_their_owner(monkeypatch: pytest.MonkeyPatch) -> None:
    """The data directory is 0700 and the database 0600 whatever the umask, so a sandboxed
    program (another uid) cannot read stored prompts and answers."""
    if os.geteuid() != 0:
        pytest.skip("needs the per-run uid (root harness) to test file permissions")
    from baimo.paths import baimo_home
    from baimo.store.store import Store

    # Outside /tmp, /var/tmp, /dev/shm and /run (which runs no longer see) and under
    # world-traversable parents (/, /var, /var/lib are 0755 on Debian; the checkout may live
    # under /tmp or a 0700 home), so that only the permissions under test stand between the
    # program and the files.
    parent = Path(tempfile.mkdtemp(prefix=".baimo-perm-test-", dir="/var/lib"))
    try:
        parent.chmod(0o755)
        (parent / "db").mkdir(mode=0o755)
        (parent / "db").chmod(0o755)
        control = parent / "db" / "control.txt"
        control.write_text("readable")
        control.chmod(0o644)
        old_umask = os.umask(0)  # the loosest umask: the modes must not depend on it
        try:
            monkeypatch.setenv("BAIMO_HOME", str(parent / "home"))
            home = baimo_home()
            store = Store(f"sqlite:///{parent / 'db' / 'baimo.db'}")
            home_store = Store(f"sqlite:///{home / 'baimo.db'}")
        finally:
            os.umask(old_umask)
        try:
            db = parent / "db" / "baimo.db"
            sidecars = [Path(f"{db}{suffix}") for suffix in ("-wal", "-shm")]
            assert stat.S_IMODE(home.stat().st_mode) == 0o700
            assert stat.S_IMODE(db.stat().st_mode) == 0o600
            assert stat.S_IMODE((home / "baimo.db").stat().st_mode) == 0o600
            for sidecar in sidecars:
                if sidecar.exists():
                    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600, sidecar
            targets = [control, db, *sidecars, home / "baimo.db"]
            result = run_hostile(f"""
                for path in {[str(t) for t in targets]!r}:
                    try:
                        data = open(path, "rb").read()
                        print("READ", path, len(data))
                    except OSError as exc:
                        print("denied", path, type(exc).__name__)
            """)
        finally:
            store.close()
            home_store.close()
        assert result.status == "passed", result.stderr
        assert f"READ {control}" in result.stdout  # the control: the directory is reachable
        for target in targets[1:]:
            assert f"READ {target}" not in result.stdout, result.stdout
    finally:
        shutil.rmtree(parent)


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
