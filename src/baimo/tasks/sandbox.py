"""Run untrusted Python (model-written code) in a separate, limited and isolated process.

Why this exists: code-execution benchmarks such as HumanEval run whatever a model wrote. The
model's code must not be able to read API keys, reach the network, write outside a scratch
directory, exhaust the machine, hang the run, flood the harness with output, or kill the
harness. In-process guards (monkeypatching ``os.kill`` as the HumanEval reference does) stop
accidents, not hostile code, so every run here gets a fresh process with OS-level limits.

What one run gets, in the order the child sets it up (see ``_make_child_setup``):

* resource limits: CPU seconds, address space, file size, process count, no core dumps,
  a small number of open files, a small POSIX message-queue allowance;
* a memory cgroup of its own (v2 ``memory.max`` or v1 ``memory.limit_in_bytes``, swap
  included), made below the harness's own cgroup, joined before anything else: ``memory_mb``
  then bounds the whole run, every process and every kind of memory (memfds, shared memory,
  tmpfs pages), and the kernel kills the run when it is exceeded (status ``memory``). Where
  no cgroup can be made, memory is bounded per process (``RLIMIT_AS``) times the process
  count, and a seccomp filter refuses ``memfd_create``, whose pages ``RLIMIT_AS`` does not see.
  ``ExecResult.memory_bound`` says which;
* ``PR_SET_NO_NEW_PRIVS`` (set-uid binaries cannot raise privileges again) and a parent-death
  signal (a run never outlives the harness thread that started it);
* a new network namespace (only a loopback interface, and it is down), where the kernel
  allows it; otherwise a Python-level socket guard, which is weaker, and says so;
* a new mount namespace in which every existing mount is read-only and the working directory
  is a fresh, size-capped tmpfs, so nothing can be written outside it; ``/tmp``, ``/var/tmp``,
  ``/dev/shm`` and ``/run`` are empty read-only tmpfs mounts, so the host's unix sockets and
  scratch files there are out of reach (read-only alone would not do: connecting to a unix
  socket needs write permission on the socket file, not on its file system);
* a new IPC namespace: System V shared memory, semaphores and message queues, and POSIX
  message queues, are the run's own and vanish with it (without a memory cgroup, its shared
  memory is also capped at ``memory_mb``);
* a new pid namespace with its own ``/proc``: the program cannot see or signal any process
  outside its run (the harness, other runs, command lines that may hold keys), and when it
  exits the kernel kills everything it left behind;
* when the harness runs as root: a fresh, otherwise unused uid/gid per run. A per-run uid (not
  the shared ``nobody``) keeps ``RLIMIT_NPROC`` from counting unrelated processes, stops
  concurrent runs from signalling each other, and lets the harness kill every process the run
  created with one ``kill(-1)`` issued as that uid. If root cannot switch uid, nothing runs
  (status ``error``): untrusted code never runs as root;
* when not root: a user namespace (if allowed) to get the other namespaces;
* a new session (so the run's process group can be killed as a whole), an environment with
  nothing but ``PATH``, ``LANG``, ``HOME`` and ``TMPDIR`` (API keys never reach the program),
  and ``stdin`` from ``/dev/null`` or a pipe holding the caller's few bytes.

What works is probed once per process (``sandbox_info``), and every ``ExecResult`` records the
isolation that was in force for it, so a report can state how the code was contained.

Not covered: the file system stays *readable* where file permissions allow it (world-readable
files can be read, not changed; baimo's own store is owner-only, see ``baimo.paths``), and a
world-writable unix socket outside the hidden directories could still be connected to.
Without root and without user namespaces only the limits, the session, the clean environment
and the socket guard remain, and the program could signal the harness (same uid).
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import pwd
import random
import re
import resource
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Literal, NoReturn

__all__ = [
    "STDIN_MAX_BYTES",
    "ExecResult",
    "ExecStatus",
    "MemoryBound",
    "SandboxInfo",
    "SandboxLimits",
    "run_many",
    "run_python",
    "sandbox_info",
    "sweep_stale_dirs",
]

ExecStatus = Literal["passed", "failed", "timeout", "memory", "error", "output-limit"]
"""How a run ended. ``failed`` is any non-zero exit that is not one of the more specific causes."""

# Names recorded in ``ExecResult.isolation``.
ISO_RLIMITS = "rlimits"
ISO_SESSION = "new-session"
ISO_ENV = "clean-env"
ISO_TMPDIR = "tmp-cwd"
ISO_NO_NEW_PRIVS = "no-new-privs"
ISO_UID = "uid-drop"
ISO_USERNS = "userns"
ISO_NETNS = "netns"
ISO_SOCKET_GUARD = "socket-guard"
ISO_READONLY_FS = "readonly-fs"
ISO_PIDNS = "pidns"
ISO_KILL_BY_UID = "kill-by-uid"
ISO_IPCNS = "ipcns"
ISO_PRIVATE_TMP = "private-tmp"
ISO_MEMCG_V1 = "memcg-v1"
ISO_MEMCG_V2 = "memcg-v2"
ISO_MEMFD_GUARD = "memfd-guard"

MemoryBound = Literal["cgroup-v2", "cgroup-v1", "rlimit"]
"""What bounded a run's memory: a memory cgroup around the whole run (every process, memfds,
shared memory and tmpfs pages included), or only per-process limits (see the module docstring)."""

# Linux constants (not all exposed by the ``os`` module on Python 3.11).
_CLONE_NEWNS = 0x00020000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_NOATIME = 1024
_MS_NODIRATIME = 2048
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_MS_RELATIME = 1 << 21
_MS_STRICTATIME = 1 << 24
_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2

# Per-run uids come from a range that distributions leave unallocated (systemd's container range
# ends at 0x6FFFFFFF); a random pick makes a clash with a concurrent harness improbable.
_UID_BASE = 0x70000000
_UID_SPAN = 1 << 24

_SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
STDIN_MAX_BYTES = 4096
"""Largest ``stdin`` for a run: it must fit in a pipe's buffer (at least one page), since it is
written before the program starts."""
_READ_CHUNK = 65536
_DRAIN_GRACE_S = 1.0
_MEMORY_ERROR = re.compile(r"(MemoryError|Cannot allocate memory|out of memory)", re.IGNORECASE)

# The fallback when no network namespace can be made. It is a guard against accidents only:
# code that imports ``_socket`` before us or uses ctypes can get around it.
_SOCKET_GUARD = '''\
import _socket, errno, runpy, socket, sys
_BLOCKED = {socket.AF_INET, socket.AF_INET6} | ({socket.AF_PACKET} if hasattr(socket, "AF_PACKET") else set())
def _baimo_check(family):
    if family in _BLOCKED:
        raise PermissionError(errno.EACCES, "network access is disabled in the baimo sandbox")
class _GuardedSocket(socket.socket):
    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        if fileno is None:
            _baimo_check(socket.AF_INET if family == -1 else family)
        super().__init__(family, type, proto, fileno)
class _GuardedRawSocket(_socket.socket):
    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        if fileno is None:
            _baimo_check(_socket.AF_INET if family == -1 else family)
        super().__init__(family, type, proto, fileno)
socket.socket = _GuardedSocket
_socket.socket = _socket.SocketType = _GuardedRawSocket
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
'''


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one run.

    Attributes:
        cpu_seconds: CPU time per process (``RLIMIT_CPU``), rounded up to whole seconds because
            the kernel counts in seconds. Stops busy loops even when the wall clock is generous.
        wall_seconds: Wall-clock budget for the whole run; catches ``sleep``-based hangs and
            blocked I/O, which use no CPU.
        memory_mb: Memory for the whole run where a memory cgroup is available (see the module
            docstring), and the address-space limit of each process (``RLIMIT_AS``) always,
            so that one large allocation fails with ``MemoryError`` rather than a kill.
        file_size_mb: Largest file a process may write (``RLIMIT_FSIZE``). The writable working
            directory is a tmpfs of four times this size, where a mount namespace is available.
        max_processes: Processes and threads for the run's uid (``RLIMIT_NPROC``); stops fork
            bombs. Only enforced per run when the harness runs as root (per-run uid).
        output_bytes: Bytes kept per stream (stdout, stderr). Exceeding it kills the run, so a
            flood cannot exhaust the harness's memory.
    """

    cpu_seconds: float = 5.0
    wall_seconds: float = 10.0
    memory_mb: int = 512
    file_size_mb: int = 8
    max_processes: int = 32
    output_bytes: int = 65536

    def __post_init__(self) -> None:
        for name in ("cpu_seconds", "wall_seconds", "memory_mb", "file_size_mb",
                     "max_processes", "output_bytes"):
            if not getattr(self, name) > 0:
                raise ValueError(f"SandboxLimits.{name} must be positive, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class ExecResult:
    """The outcome of one sandboxed run.

    Attributes:
        status: ``passed`` (exit status 0), ``failed`` (any other exit), ``timeout`` (CPU or
            wall-clock limit), ``memory`` (died of ``MemoryError``/``ENOMEM``, or the kernel
            killed a process at the run's memory cgroup limit), ``error`` (the
            sandbox itself could not run the code; a harness problem, not the code's fault) or
            ``output-limit`` (stdout or stderr exceeded the byte cap and the run was killed).
        returncode: Exit status as ``subprocess`` reports it (negative for a signal), or None
            if the process never started.
        stdout: Captured standard output, at most ``output_bytes`` bytes, decoded leniently.
        stderr: Captured standard error, likewise, followed by a line ``[baimo sandbox: ...]``
            when the sandbox ended the run (which limit, how much time was used); for
            ``error`` it explains what failed.
        duration_s: Wall-clock time from launch to exit.
        isolation: The isolation mechanisms that were in force (see the module docstring).
        memory_bound: What bounded the run's memory: ``cgroup-v2``/``cgroup-v1`` (the whole
            run, every process and every kind of memory) or ``rlimit`` (per process only);
            None if nothing ran.
    """

    status: ExecStatus
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    isolation: tuple[str, ...]
    memory_bound: MemoryBound | None = None

    @property
    def passed(self) -> bool:
        """True if the program exited with status 0."""
        return self.status == "passed"


@dataclass(frozen=True)
class SandboxInfo:
    """What the sandbox can do on this machine, found by running probe programs.

    Attributes:
        isolation: Mechanisms every run gets (see the module docstring).
        interpreter: The Python executable used for sandboxed code. It may differ from the
            harness's own when that one is not reachable by the unprivileged uid (for example
            a pyenv Python under ``/root``).
        version: ``major.minor`` of that interpreter.
        notes: Why a mechanism is missing, for reports and debugging.
        memory_bound: What bounds a run's memory (see ``ExecResult.memory_bound``).
    """

    isolation: tuple[str, ...]
    interpreter: str
    version: str
    notes: tuple[str, ...] = ()
    memory_bound: MemoryBound | None = None


@dataclass(frozen=True)
class _Memcg:
    """A memory cgroup hierarchy in which this process may create one child group per run.

    ``parent`` is this process's own cgroup directory (runs nest below it, so the harness's own
    limits still apply to them); ``version`` picks the file names (v1 ``memory.limit_in_bytes``,
    v2 ``memory.max``).
    """

    version: Literal["v1", "v2"]
    parent: str


@dataclass(frozen=True)
class _Plan:
    """What to set up for a run (from the probe), plus the probe's findings about this machine.

    ``uid`` is filled in per run when ``drop_uid`` is set; ``version``, ``notes`` and
    ``refuse`` describe the probe's outcome for ``sandbox_info``.
    """

    drop_uid: bool = False
    uid: int | None = None
    userns: bool = False
    netns: bool = False
    mount: bool = False
    pidns: bool = False
    socket_guard: bool = False
    ipcns: bool = False
    private_tmp: bool = False
    memcg: _Memcg | None = None
    memfd_guard: bool = False
    interpreter: str = sys.executable
    version: str = ""
    notes: tuple[str, ...] = ()
    refuse: str = ""

    def isolation(self) -> tuple[str, ...]:
        names = [ISO_RLIMITS, ISO_SESSION, ISO_ENV, ISO_TMPDIR]
        if _LIBC is not None:
            names.append(ISO_NO_NEW_PRIVS)
        if self.drop_uid:
            names += [ISO_UID, ISO_KILL_BY_UID]
        if self.userns:
            names.append(ISO_USERNS)
        if self.netns:
            names.append(ISO_NETNS)
        if self.socket_guard:
            names.append(ISO_SOCKET_GUARD)
        if self.mount:
            names.append(ISO_READONLY_FS)
        if self.pidns:
            names.append(ISO_PIDNS)
        if self.ipcns:
            names.append(ISO_IPCNS)
        if self.private_tmp:
            names.append(ISO_PRIVATE_TMP)
        if self.memcg is not None:
            names.append(ISO_MEMCG_V1 if self.memcg.version == "v1" else ISO_MEMCG_V2)
        if self.memfd_guard:
            names.append(ISO_MEMFD_GUARD)
        return tuple(names)

    def memory_bound(self) -> MemoryBound:
        if self.memcg is None:
            return "rlimit"
        return "cgroup-v1" if self.memcg.version == "v1" else "cgroup-v2"


# --------------------------------------------------------------------------------------------
# libc access (Linux only; elsewhere the namespace features are simply unavailable)


def _load_libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.unshare.argtypes = [ctypes.c_int]
        libc.unshare.restype = ctypes.c_int
        libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                               ctypes.c_ulong, ctypes.c_char_p]
        libc.mount.restype = ctypes.c_int
        libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                               ctypes.c_ulong, ctypes.c_ulong]
        libc.prctl.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _load_libc()


def _libc_call(result: int, what: str) -> None:
    """Turn a failed libc call (-1 and errno) into an OSError naming the call."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags: int) -> None:
    # Python 3.12+ has os.unshare; 3.11 needs libc.
    native: Callable[[int], None] | None = getattr(os, "unshare", None)
    if native is not None:
        native(flags)
        return
    if _LIBC is None:
        raise OSError("unshare is not available on this platform")
    _libc_call(_LIBC.unshare(flags), "unshare")


# --------------------------------------------------------------------------------------------
# Mounts


def _mount_flags(options: str) -> int:
    """Per-mount flags to keep when remounting read-only.

    In a user namespace the kernel refuses to clear flags such as ``nosuid`` or the atime mode
    of mounts inherited from the parent, so they must be passed back unchanged.
    """
    opts = set(options.split(","))
    flags = _MS_NOSUID  # always added: set-uid binaries cannot gain privileges
    if "nodev" in opts:  # not added: /dev/null and friends must stay usable
        flags |= _MS_NODEV
    if "noexec" in opts:
        flags |= _MS_NOEXEC
    if "noatime" in opts:
        flags |= _MS_NOATIME
    elif "relatime" in opts:
        flags |= _MS_RELATIME
    else:
        flags |= _MS_STRICTATIME
    if "nodiratime" in opts:
        flags |= _MS_NODIRATIME
    return flags


def _unescape_mount_path(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _writable_mounts() -> list[tuple[bytes, int]]:
    """Mount points that are writable now, topmost entry per path, with their flags."""
    mounts: dict[str, str] = {}
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as fh:
            for line in fh:
                fields = line.split()
                if len(fields) >= 6:
                    mounts[_unescape_mount_path(fields[4])] = fields[5]
    except OSError:
        return []
    result: list[tuple[bytes, int]] = []
    for path, options in mounts.items():
        if "ro" in options.split(","):
            continue
        result.append((os.fsencode(path), _mount_flags(options)))
    # Parents before children: remounting a parent never affects the child's flags.
    result.sort(key=lambda item: item[0].count(b"/"))
    return result


# --------------------------------------------------------------------------------------------
# Private temporary directories

# Directories where programs leave unix sockets and shared files (X11, D-Bus, databases, other
# users' scratch files). Read-only is not enough: connecting to a unix socket needs write
# permission on the socket file, which a read-only mount does not remove. Each becomes an empty
# read-only tmpfs inside the run's mount namespace.
_HIDDEN_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run")


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _hidden_dirs(interpreter: str) -> list[str]:
    """The ``_HIDDEN_DIRS`` that exist here, except any that holds the interpreter."""
    python = os.path.realpath(interpreter)
    found = []
    for directory in _HIDDEN_DIRS:
        if os.path.islink(directory) or not os.path.isdir(directory):
            continue  # /var/run -> /run and the like: covered through their target
        if _under(python, os.path.realpath(directory)):
            continue
        found.append(directory)
    return found


# --------------------------------------------------------------------------------------------
# Memory cgroups


def _proc_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().splitlines()
    except OSError:
        return []


def _cgroup_mounts() -> list[tuple[str, str, str, set[str]]]:
    """(fstype, root, mount point, super options) of every cgroup mount, from mountinfo."""
    mounts = []
    for line in _proc_lines("/proc/self/mountinfo"):
        head, sep, tail = line.partition(" - ")
        fields, rest = head.split(), tail.split()
        if not sep or len(fields) < 5 or len(rest) < 3 or rest[0] not in ("cgroup", "cgroup2"):
            continue
        mounts.append((rest[0], _unescape_mount_path(fields[3]),
                       _unescape_mount_path(fields[4]), set(rest[2].split(","))))
    return mounts


def _cgroup_dir(mount_root: str, mount_point: str, path: str) -> str | None:
    """Where cgroup ``path`` appears under a mount whose root is ``mount_root``."""
    if not _under(path, mount_root):
        return None
    return os.path.join(mount_point, os.path.relpath(path, mount_root).lstrip("."))


def _find_memcg() -> tuple[_Memcg | None, str]:
    """This process's memory cgroup, if it can host per-run groups; else why not.

    cgroup v1 has a ``memory`` hierarchy of its own; in v2 the controller must be enabled for
    the children of this process's group (it is tried once; a group that has member processes
    cannot enable it, the "no internal processes" rule).
    """
    mounts = _cgroup_mounts()
    for line in _proc_lines("/proc/self/cgroup"):
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy != "0" and "memory" in controllers.split(","):
            for fstype, root, point, options in mounts:
                found = _cgroup_dir(root, point, path) if (
                    fstype == "cgroup" and "memory" in options) else None
                if found and os.path.isfile(os.path.join(found, "memory.limit_in_bytes")):
                    return _Memcg("v1", found), ""
            return None, "memory cgroup v1: hierarchy not mounted"
    for line in _proc_lines("/proc/self/cgroup"):
        if not line.startswith("0::"):
            continue
        for fstype, root, point, _ in mounts:
            found = _cgroup_dir(root, point, line[3:]) if fstype == "cgroup2" else None
            if not found:
                continue
            try:
                with open(os.path.join(found, "cgroup.controllers"), encoding="utf-8") as fh:
                    if "memory" not in fh.read().split():
                        return None, "memory cgroup v2: the memory controller is not delegated"
                with open(os.path.join(found, "cgroup.subtree_control"), "r+",
                          encoding="utf-8") as fh:
                    if "memory" not in fh.read().split():
                        fh.write("+memory")
            except OSError as exc:
                return None, f"memory cgroup v2: cannot enable for child groups ({exc})"
            return _Memcg("v2", found), ""
    return None, "no memory cgroup controller"


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as fh:
        fh.write(text)


def _create_run_cgroup(memcg: _Memcg, limits: SandboxLimits) -> str:
    """Make the run's group with its memory limit; swap is not a way around it."""
    path = os.path.join(memcg.parent, f"baimo-run-{os.getpid()}-{random.getrandbits(48):012x}")
    os.mkdir(path, 0o755)
    limit = str(limits.memory_mb * 1024 * 1024)
    try:
        if memcg.version == "v1":
            _write_text(os.path.join(path, "memory.limit_in_bytes"), limit)
            if os.path.exists(os.path.join(path, "memory.memsw.limit_in_bytes")):
                _write_text(os.path.join(path, "memory.memsw.limit_in_bytes"), limit)
        else:
            _write_text(os.path.join(path, "memory.max"), limit)
            if os.path.exists(os.path.join(path, "memory.swap.max")):
                _write_text(os.path.join(path, "memory.swap.max"), "0")
    except OSError:
        _remove_cgroup(path)
        raise
    return path


def _cgroup_oom_kills(memcg: _Memcg, path: str) -> int:
    """How many processes of the run the kernel killed for exceeding the group's limit."""
    name = "memory.oom_control" if memcg.version == "v1" else "memory.events"
    for line in _proc_lines(os.path.join(path, name)):
        key, _, value = line.partition(" ")
        if key == "oom_kill" and value.strip().isdigit():
            return int(value)
    return 0


def _remove_cgroup(path: str, wait_s: float = 2.0) -> bool:
    """Remove a run's group once its processes are gone (they leave it as the kernel reaps)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            os.rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)


def _remove_stale_cgroups(memcg: _Memcg) -> None:
    """Groups left by harness processes that died mid-run (their pid is in the name)."""
    try:
        names = os.listdir(memcg.parent)
    except OSError:
        return
    for name in names:
        found = re.fullmatch(r"baimo-run-(\d+)-[0-9a-f]+", name)
        if found and not os.path.exists(f"/proc/{found.group(1)}"):
            _remove_cgroup(os.path.join(memcg.parent, name), wait_s=0)


# --------------------------------------------------------------------------------------------
# The memfd guard (only without a memory cgroup)

# memfd pages are shared memory: RLIMIT_AS does not count them until they are mapped, and a file
# descriptor keeps them alive after munmap, so without a cgroup memfd_create is refused with a
# seccomp filter (EPERM, which Python reports as PermissionError). Syscall numbers per
# architecture, with the audit architecture that the filter checks first: a process could
# otherwise switch to another ABI (32-bit calls on x86-64) with other numbers.
_SECCOMP_ARCH = {
    "x86_64": (0xC000003E, (319, 447)),  # memfd_create, memfd_secret
    "aarch64": (0xC00000B7, (279, 447)),
}
_X32_SYSCALL_BIT = 0x40000000


def _memfd_filter() -> bytes | None:
    """A classic-BPF seccomp program denying memfd_create/memfd_secret; None if unsupported."""
    import platform
    import struct

    machine = platform.machine()
    if machine not in _SECCOMP_ARCH:
        return None
    arch, numbers = _SECCOMP_ARCH[machine]
    ld_w_abs, jeq_k, jge_k, ret_k = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    # Instructions: (code, jump-if-true, jump-if-false, k); jumps are relative to the next one.
    prog: list[tuple[int, int, int, int]] = [
        (ld_w_abs, 0, 0, 4),                  # A = seccomp_data.arch
        (jeq_k, 1, 0, arch),                  # native ABI: go on
        (ret_k, 0, 0, deny),                  # any other ABI: refused
        (ld_w_abs, 0, 0, 0),                  # A = seccomp_data.nr
    ]
    if machine == "x86_64":
        prog.append((jge_k, len(numbers) + 1, 0, _X32_SYSCALL_BIT))  # x32 calls: refused
    for index, number in enumerate(numbers):
        prog.append((jeq_k, len(numbers) - index, 0, number))
    prog += [(ret_k, 0, 0, allow), (ret_k, 0, 0, deny)]
    return b"".join(struct.pack("=HBBI", *insn) for insn in prog)


# --------------------------------------------------------------------------------------------
# Processes of a uid


def _live_pids_of_uid(uid: int) -> list[int]:
    """Pids whose real uid is ``uid`` and that are not zombies, by scanning ``/proc``."""
    pids: list[int] = []
    wanted = str(uid)
    try:
        entries = os.listdir("/proc")
    except OSError:
        return pids
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        at = text.find("\nUid:")
        if at < 0 or text[at + 5:].split(None, 1)[0] != wanted:
            continue
        state = text.find("\nState:")
        if state >= 0 and text[state + 7:].lstrip()[:1] in ("Z", "X"):
            continue  # dead, waiting to be reaped
        pids.append(int(entry))
    return pids


def _kill_uid(uid: int, interpreter: str) -> bool:
    """Kill every process of ``uid``; True when none is left.

    ``kill(-1, SIGKILL)`` issued *as that uid* reaches exactly that uid's processes (and never
    the issuer), so no pid is ever looked up and then reused by an unrelated process before the
    signal lands, and processes that called ``setsid`` are caught too. It is repeated because a
    fork bomb may fork while the first sweep is under way.
    """
    # Python rather than kill(1): the procps and util-linux kill parse "-1" differently.
    cmd = [interpreter, "-I", "-S", "-c", "import os; os.kill(-1, 9)"]
    for attempt in range(60):
        if not _live_pids_of_uid(uid):
            return True
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(cmd, user=uid, group=uid, extra_groups=[], env={"PATH": _SAFE_PATH},
                           cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=5, check=False)
        time.sleep(min(0.002 * attempt, 0.05))
    return not _live_pids_of_uid(uid)


_uid_lock = threading.Lock()
_uids_in_use: set[int] = set()


def _allocate_uid() -> int:
    with _uid_lock:
        while True:
            uid = _UID_BASE + random.randrange(_UID_SPAN)
            if uid in _uids_in_use:
                continue
            try:
                pwd.getpwuid(uid)
            except KeyError:
                _uids_in_use.add(uid)
                return uid


def _release_uid(uid: int) -> None:
    with _uid_lock:
        _uids_in_use.discard(uid)


# --------------------------------------------------------------------------------------------
# The child side


def _rlimits(limits: SandboxLimits, nproc_base: int,
             pid_one: bool) -> list[tuple[int, tuple[int, int]]]:
    mib = 1024 * 1024
    cpu = max(1, math.ceil(limits.cpu_seconds))
    wanted = [
        # SIGXCPU at the soft limit, SIGKILL a second later if the program handles SIGXCPU.
        # As pid 1 of its namespace the program ignores SIGXCPU (init ignores signals it has no
        # handler for), so there the hard limit is the soft one and the kernel sends SIGKILL.
        (resource.RLIMIT_CPU, (cpu, cpu if pid_one else cpu + 1)),
        (resource.RLIMIT_AS, (limits.memory_mb * mib, limits.memory_mb * mib)),
        (resource.RLIMIT_FSIZE, (limits.file_size_mb * mib, limits.file_size_mb * mib)),
        (resource.RLIMIT_NPROC, (nproc_base + limits.max_processes,
                                 nproc_base + limits.max_processes)),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_NOFILE, (256, 256)),
        # POSIX message queues are kernel memory outside any address space.
        (resource.RLIMIT_MSGQUEUE, (mib, mib)),
    ]
    result: list[tuple[int, tuple[int, int]]] = []
    for res, (soft, hard) in wanted:
        # A non-root harness cannot raise a hard limit; never ask for more than it has.
        _, cur_hard = resource.getrlimit(res)
        if cur_hard != resource.RLIM_INFINITY:
            hard = min(hard, cur_hard)
            soft = min(soft, hard)
        result.append((res, (soft, hard)))
    return result


def _ipc_sysctls(limits: SandboxLimits) -> list[tuple[str, bytes]]:
    """Limits for the run's own IPC namespace (it starts with the kernel's large defaults).

    Without a memory cgroup, System V shared memory would be a way around ``RLIMIT_AS`` (attach,
    touch, detach, repeat: the segment stays), so its total is capped at ``memory_mb``;
    ``shm_rmid_forced`` removes a segment once no process has it attached.
    """
    pages = limits.memory_mb * 1024 * 1024 // resource.getpagesize()
    return [
        ("/proc/sys/kernel/shm_rmid_forced", b"1"),
        ("/proc/sys/kernel/shmall", str(pages).encode()),
        ("/proc/sys/kernel/shmmax", str(limits.memory_mb * 1024 * 1024).encode()),
        ("/proc/sys/kernel/msgmni", b"16"),
    ]


def _make_child_setup(plan: _Plan, limits: SandboxLimits, base: str, workdir: str,
                      report_fd: int, cgroup: str | None) -> Callable[[], None]:
    """Build the ``preexec_fn``: runs in the forked child, before ``exec``.

    Everything is computed here, in the parent, so the child only makes system calls (the fork
    happened in a possibly multi-threaded process, where taking Python-level locks is unsafe).
    Any failure is written to ``report_fd`` and re-raised, which makes ``Popen`` fail: a run
    never starts with less isolation than its plan says.
    """
    real_uid, real_gid = os.getuid(), os.getgid()
    nproc_base = 0 if plan.uid is not None else _task_count_of_uid(real_uid)
    rlimits = _rlimits(limits, nproc_base, plan.pidns)
    mounts = _writable_mounts() if plan.mount else []
    workdir_b = os.fsencode(workdir)
    owner = plan.uid if plan.uid is not None else real_uid
    tmpfs_opts = (f"size={4 * limits.file_size_mb}m,nr_inodes=4096,mode=0700,"
                  f"uid={owner},gid={owner}").encode()
    ns_flags = ((_CLONE_NEWNET if plan.netns else 0) | (_CLONE_NEWNS if plan.mount else 0)
                | (_CLONE_NEWPID if plan.pidns else 0) | (_CLONE_NEWIPC if plan.ipcns else 0))
    ipc_sysctls = _ipc_sysctls(limits) if plan.ipcns and plan.memcg is None else []
    procs_file = os.path.join(cgroup, "cgroup.procs") if cgroup else None
    # Each hidden directory, and the directories to recreate in it when the run's own files
    # (main.py, the working directory) live below it.
    base_real = os.path.realpath(base)
    hidden: list[tuple[bytes, list[bytes]]] = []
    for directory in _hidden_dirs(plan.interpreter) if plan.private_tmp else []:
        inside: list[bytes] = []
        if _under(base_real, os.path.realpath(directory)):
            rel = os.path.relpath(base_real, os.path.realpath(directory))
            parts = rel.split(os.sep)
            inside = [os.fsencode(os.path.join(directory, *parts[:i + 1]))
                      for i in range(len(parts))]
        hidden.append((os.fsencode(directory), inside))
    base_b = os.fsencode(base_real)
    empty_opts = b"size=64k,nr_inodes=64,mode=0755"
    seccomp_prog = None
    if plan.memfd_guard:
        code = _memfd_filter()
        if code is None:
            raise OSError("no seccomp filter for this architecture")
        buffer = ctypes.create_string_buffer(code, len(code))

        class _SockFprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        fprog = _SockFprog(len(code) // 8, ctypes.addressof(buffer))
        # Kept alive by the closure; the child passes the address to prctl.
        seccomp_prog = (ctypes.addressof(fprog), fprog, buffer)
    parent_pid = os.getpid()
    uid_map = f"{real_uid} {real_uid} 1".encode()
    gid_map = f"{real_gid} {real_gid} 1".encode()

    def write_file(path: str, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def mount(source: bytes | None, target: bytes, fstype: bytes | None, flags: int,
              data: bytes | None) -> None:
        assert _LIBC is not None
        _libc_call(_LIBC.mount(source, target, fstype, flags, data), "mount")

    def hide(directory: bytes, inside: list[bytes]) -> None:
        """Cover ``directory`` with an empty read-only tmpfs, keeping the run's own files."""
        keep = os.open(base_b, os.O_PATH | os.O_DIRECTORY) if inside else -1
        try:
            mount(b"tmpfs", directory, b"tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                  empty_opts)
            for path in inside:
                os.mkdir(path, 0o711)
            if inside:
                # The run's directory (code read-only, the tmpfs working directory below it)
                # is bound back in at its old path, through the descriptor opened before.
                mount(f"/proc/self/fd/{keep}".encode(), base_b, None, _MS_BIND | _MS_REC, None)
            mount(None, directory, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID
                  | _MS_NODEV | _MS_NOEXEC, None)
        finally:
            if keep >= 0:
                os.close(keep)

    def setup() -> None:
        step = "start"
        try:
            step = "rlimits"
            for res, lim in rlimits:
                resource.setrlimit(res, lim)
            if procs_file is not None:
                # First, so that everything the run allocates, in any process, is charged to
                # its group.
                step = "memory cgroup"
                write_file(procs_file, b"0")
            if _LIBC is not None:
                step = "no-new-privs"
                _libc_call(_LIBC.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl")
                # If the harness thread dies, this process dies (and with it the pid
                # namespace's relay and everything below it), so no run outlives the harness.
                _libc_call(_LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
            if plan.userns:
                step = "user namespace"
                _unshare(_CLONE_NEWUSER | ns_flags)
                write_file("/proc/self/setgroups", b"deny")
                write_file("/proc/self/uid_map", uid_map)
                write_file("/proc/self/gid_map", gid_map)
            elif ns_flags:
                step = "namespaces"
                _unshare(ns_flags)
            for sysctl, value in ipc_sysctls:
                step = f"ipc namespace: {sysctl}"
                write_file(sysctl, value)
            if plan.pidns:
                # unshare(CLONE_NEWPID) applies to children only: fork, and let this process
                # relay the exit status while the child becomes pid 1 of the new namespace.
                step = "pid namespace"
                # Listed before the fork: the child soon mounts its own /proc, where this
                # process has no /proc/self.
                fds = [int(fd) for fd in os.listdir("/proc/self/fd")]
                child = os.fork()
                if child != 0:
                    _relay_exit(child, fds)
            if plan.mount:
                step = "mount: make private"
                # Private propagation first, so nothing below leaks into the host's mounts.
                mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None)
                if plan.pidns:
                    step = "mount: /proc"
                    # A /proc of the new pid namespace: the host's processes (their command
                    # lines, the harness) become invisible.
                    mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)
                for path, flags in mounts:
                    step = f"mount: read-only {os.fsdecode(path)}"
                    # MS_BIND with MS_REMOUNT changes only this namespace's mount entry, never
                    # the file system (a plain MS_REMOUNT would make the host's disk read-only).
                    mount(None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | flags, None)
                step = "mount: tmpfs working directory"
                mount(b"tmpfs", workdir_b, b"tmpfs", _MS_NOSUID | _MS_NODEV, tmpfs_opts)
                for directory, inside in hidden:
                    step = f"mount: private {os.fsdecode(directory)}"
                    hide(directory, inside)
                step = "mount: working directory"
                os.chdir(workdir_b)  # the cwd set by Popen is now under the tmpfs
            if plan.uid is not None:
                step = "drop privileges"
                os.setgroups([])
                os.setresgid(plan.uid, plan.uid, plan.uid)
                os.setresuid(plan.uid, plan.uid, plan.uid)
                if os.getuid() != plan.uid or os.geteuid() != plan.uid:
                    raise OSError("uid did not change")
            if _LIBC is not None:
                step = "parent-death signal"
                # Set after the uid change, which clears it; if the parent dies, so does the run.
                _libc_call(_LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
                # In a new pid namespace the parent is outside it and getppid() is 0.
                if os.getppid() not in ((0,) if plan.pidns else (parent_pid,)):
                    os._exit(125)
            if seccomp_prog is not None and _LIBC is not None:
                step = "memfd guard"
                _libc_call(_LIBC.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER,
                                       seccomp_prog[0], 0, 0), "prctl")
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.write(report_fd, f"sandbox setup failed at {step}: {exc}".encode())
            raise

    return setup


def _relay_exit(child: int, fds: list[int]) -> NoReturn:
    """In the intermediate process of a pid-namespace run: wait for the child, exit like it.

    This process never execs, so it closes every descriptor first: the pipes (so the harness
    sees end-of-file when the program's side closes) and subprocess's error pipe (so ``Popen``
    returns once the child has exec'd). A death by signal is re-raised on itself, so the
    harness sees the same ``-signal`` return code as without the extra process.
    """
    code = 255
    try:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        _, status = os.waitpid(child, 0)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            code = 128 + sig
            with contextlib.suppress(OSError, ValueError, RuntimeError):
                signal.signal(sig, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
            os.kill(os.getpid(), sig)
        else:
            code = os.waitstatus_to_exitcode(status)
    finally:
        os._exit(code & 0xFF)


def _task_count_of_uid(uid: int) -> int:
    """Threads of all processes of ``uid``: what ``RLIMIT_NPROC`` counts for a shared uid."""
    total = 0
    for pid in _live_pids_of_uid(uid):
        try:
            with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
                found = re.search(r"^Threads:\s+(\d+)", fh.read(), re.MULTILINE)
        except OSError:
            continue
        total += int(found.group(1)) if found else 1
    return total


# --------------------------------------------------------------------------------------------
# Running


def _clean_env(home: str) -> dict[str, str]:
    # Nothing from the harness's environment: API keys must never reach the program.
    return {"PATH": _SAFE_PATH, "LANG": "C.UTF-8", "HOME": home, "TMPDIR": home}


def _rmtree(path: str) -> None:
    """Remove a run's directory even if the program removed its own permissions."""

    def fix(func: Callable[..., object], target: str, _exc: object) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(target), stat.S_IRWXU)
            os.chmod(target, stat.S_IRWXU)
            func(target)

    shutil.rmtree(path, onerror=fix)
    if os.path.exists(path):
        shutil.rmtree(path, ignore_errors=True)


def _error(message: str, plan: _Plan, start: float) -> ExecResult:
    return ExecResult("error", None, "", message, time.monotonic() - start, plan.isolation(),
                      plan.memory_bound())


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _classify(returncode: int, stderr: str, cpu_used: float, limits: SandboxLimits) -> ExecStatus:
    if returncode == 0:
        return "passed"
    # The kernel enforces RLIMIT_CPU on precise run time while rusage is tick-sampled, and a
    # loaded machine was seen to report noticeably less; a SIGKILL after at least half the
    # budget is taken as the CPU limit (our own kills are known and never reach here).
    if returncode == -signal.SIGXCPU or (returncode == -signal.SIGKILL
                                         and cpu_used >= 0.5 * math.ceil(limits.cpu_seconds)):
        return "timeout"
    tail = [line for line in stderr.strip().splitlines() if line.strip()]
    if tail and _MEMORY_ERROR.search(tail[-1]):
        return "memory"
    return "failed"


SANDBOX_PREFIX = "baimo-sandbox-"
"""Run directories are ``<tmp>/baimo-sandbox-<owner pid>-<random>``: the owner's pid lets a
later process tell a directory left by a killed harness from a live run's."""
STALE_AFTER_S = 15 * 60.0
"""A dead owner's directory is removed only once it is this old: a safety margin for an owner
whose pid this process cannot see (another pid namespace sharing the temporary directory)."""
LEGACY_STALE_AFTER_S = 24 * 3600.0
"""Directories named without a pid (by earlier versions) are removed after a day."""
_swept = False
_sweep_lock = threading.Lock()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def sweep_stale_dirs(tmp: str | None = None, now: float | None = None) -> list[str]:
    """Remove run directories a killed harness left behind (they hold model-written code).

    ``kill -9`` of an eval skips every ``finally``, so its runs' directories stay in the
    temporary directory. A directory is removed only when its owner pid no longer exists and
    it is older than ``STALE_AFTER_S`` (without a pid in its name: ``LEGACY_STALE_AFTER_S``),
    and only if this user owns it: a live run's directory is never touched. Returns the
    removed paths.
    """
    tmp = tmp or tempfile.gettempdir()
    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        entries = list(os.scandir(tmp))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(SANDBOX_PREFIX):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            continue
        owner, named, _ = entry.name[len(SANDBOX_PREFIX):].partition("-")
        if named and owner.isdigit():
            if _pid_alive(int(owner)) or now - st.st_mtime < STALE_AFTER_S:
                continue
        elif now - st.st_mtime < LEGACY_STALE_AFTER_S:
            continue
        _rmtree(entry.path)
        removed.append(entry.path)
    return removed


def _sweep_once() -> None:
    """``sweep_stale_dirs`` on this process's first run (start-up, not every run)."""
    global _swept
    with _sweep_lock:
        if _swept:
            return
        _swept = True
    with contextlib.suppress(OSError):
        sweep_stale_dirs()


def _execute(code: str, limits: SandboxLimits, plan: _Plan, stdin: bytes = b"") -> ExecResult:
    """One run under ``plan``; never raises for anything the program does."""
    start = time.monotonic()
    _sweep_once()
    try:
        base = tempfile.mkdtemp(prefix=f"{SANDBOX_PREFIX}{os.getpid()}-")
    except OSError as exc:
        return _error(f"cannot create a temporary directory: {exc}", plan, start)
    try:
        return _execute_in(base, code, limits, plan, start, stdin)
    finally:
        _rmtree(base)


def _execute_in(base: str, code: str, limits: SandboxLimits, plan: _Plan,
                start: float, stdin: bytes) -> ExecResult:
    # base (root-owned, 0711) holds code/ (read-only to the program) and work/ (its cwd, the only
    # place it can write).
    codedir, workdir = os.path.join(base, "code"), os.path.join(base, "work")
    try:
        os.chmod(base, 0o711)
        os.mkdir(codedir, 0o755)
        os.mkdir(workdir, 0o700)
        main = os.path.join(codedir, "main.py")
        with open(main, "w", encoding="utf-8") as fh:
            fh.write(code)
        os.chmod(main, 0o644)
        argv = [plan.interpreter, "-I", "-B", main]
        if plan.socket_guard:
            guard = os.path.join(codedir, "_baimo_guard.py")
            with open(guard, "w", encoding="utf-8") as fh:
                fh.write(_SOCKET_GUARD)
            os.chmod(guard, 0o644)
            argv = [plan.interpreter, "-I", "-B", guard, main]
        if plan.uid is not None:
            os.chown(workdir, plan.uid, plan.uid)
    except (OSError, UnicodeError) as exc:
        return _error(f"cannot prepare the sandbox directory: {exc}", plan, start)

    cgroup: str | None = None
    if plan.memcg is not None:
        try:
            cgroup = _create_run_cgroup(plan.memcg, limits)
        except OSError as exc:
            return _error(f"cannot create the run's memory cgroup: {exc}", plan, start)
    try:
        return _launch(argv, base, workdir, limits, plan, start, cgroup, stdin)
    finally:
        if cgroup is not None:
            _remove_cgroup(cgroup)


def _launch(argv: list[str], base: str, workdir: str, limits: SandboxLimits, plan: _Plan,
            start: float, cgroup: str | None, stdin: bytes) -> ExecResult:
    stdin_fd: int = subprocess.DEVNULL
    if stdin:
        # Fits in the pipe's buffer (checked by run_python), so it is written before the start.
        stdin_fd, stdin_w = os.pipe()
        try:
            os.write(stdin_w, stdin)
        finally:
            os.close(stdin_w)
    try:
        return _launch_with(argv, base, workdir, limits, plan, start, cgroup, stdin_fd)
    finally:
        if stdin:
            os.close(stdin_fd)


def _launch_with(argv: list[str], base: str, workdir: str, limits: SandboxLimits, plan: _Plan,
                 start: float, cgroup: str | None, stdin_fd: int) -> ExecResult:
    report_r, report_w = os.pipe()
    try:
        try:
            setup = _make_child_setup(plan, limits, base, workdir, report_w, cgroup)
        except OSError as exc:
            return _error(f"cannot prepare the sandbox: {exc}", plan, start)
        try:
            proc = subprocess.Popen(
                argv, stdin=stdin_fd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=workdir, env=_clean_env(workdir), start_new_session=True,
                preexec_fn=setup, close_fds=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            os.set_blocking(report_r, False)
            try:
                detail = _decode(os.read(report_r, 4096))
            except BlockingIOError:
                detail = ""
            return _error(detail or f"cannot start the sandboxed process: {exc}", plan, start)
    finally:
        os.close(report_w)
        os.close(report_r)

    def oom_kills() -> int:
        return 0 if cgroup is None or plan.memcg is None else _cgroup_oom_kills(plan.memcg, cgroup)

    try:
        return _supervise(proc, limits, plan, start, oom_kills)
    finally:
        if proc.returncode is None:  # only on a harness bug: never leave a child behind
            _kill_run(proc, plan)
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _kill_run(proc: subprocess.Popen[bytes], plan: _Plan) -> None:
    """Kill the program and everything it started.

    Called while the main process is still unreaped (alive or a zombie), so its pid, which is
    also its process-group id, cannot have been reused by an unrelated process group.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    # In a pid namespace the kernel kills every process in it when its pid 1 dies, so the
    # sweep by uid (a /proc scan) is left to the final check in ``_supervise``.
    if plan.uid is not None and not plan.pidns:
        _kill_uid(plan.uid, plan.interpreter)


def _exited(pid: int) -> bool:
    """Has the child exited? Checked without reaping it (see ``_kill_run``)."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _supervise(proc: subprocess.Popen[bytes], limits: SandboxLimits, plan: _Plan,
               start: float, oom_kills: Callable[[], int]) -> ExecResult:
    """Read output with a byte cap, enforce the wall clock, then clean up every process.

    ``oom_kills`` counts the run's processes the kernel killed at the memory cgroup's limit:
    such a run failed for lack of memory, whatever signal or exit status it shows.
    """
    assert proc.stdout is not None and proc.stderr is not None
    deadline = start + limits.wall_seconds
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    buffers = {out_fd: bytearray(), err_fd: bytearray()}
    killed_for: ExecStatus | None = None
    exited_at: float | None = None
    pidfd = _pidfd(proc.pid)
    try:
        with selectors.DefaultSelector() as sel:
            for fd in buffers:
                os.set_blocking(fd, False)
                sel.register(fd, selectors.EVENT_READ)
            if pidfd is not None:
                sel.register(pidfd, selectors.EVENT_READ)  # readable once the child exits
            while True:
                now = time.monotonic()
                if exited_at is None and _exited(proc.pid):
                    exited_at = now
                    # Background processes may still hold the pipes open; the run is over.
                    _kill_run(proc, plan)
                    if pidfd is not None:
                        sel.unregister(pidfd)
                open_pipes = [fd for fd in buffers if fd in sel.get_map()]
                if exited_at is not None and (not open_pipes or now - exited_at > _DRAIN_GRACE_S):
                    break
                if exited_at is None and killed_for is None and now >= deadline:
                    killed_for = "timeout"
                    _kill_run(proc, plan)
                if exited_at is None:
                    wait = 0.005 if killed_for else max(0.0, min(0.25, deadline - now))
                    if pidfd is None:
                        wait = min(wait, 0.01)
                else:
                    wait = 0.05
                for key, _ in sel.select(timeout=wait):
                    if key.fd not in buffers:
                        continue  # the pidfd: handled at the top of the loop
                    try:
                        chunk = os.read(key.fd, _READ_CHUNK)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        sel.unregister(key.fd)
                        continue
                    buf = buffers[key.fd]
                    room = limits.output_bytes - len(buf)
                    if len(chunk) > room:
                        # Keep what fits, discard the rest (bounded memory), and end the run.
                        buf += chunk[:max(room, 0)]
                        if killed_for is None:
                            killed_for = "output-limit"
                            _kill_run(proc, plan)
                    else:
                        buf += chunk
    finally:
        if pidfd is not None:
            os.close(pidfd)
    # Kill leftovers once more while the child is an unreaped zombie, then reap it with rusage:
    # its CPU time tells a CPU-limit SIGKILL from other deaths.
    _kill_run(proc, plan)
    _, wait_status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(wait_status)
    end = time.monotonic()
    stdout, stderr = _decode(bytes(buffers[out_fd])), _decode(bytes(buffers[err_fd]))
    if plan.uid is not None and not _kill_uid(plan.uid, plan.interpreter):
        killed_for = "error"
        stderr += "\n[baimo sandbox: processes of the run could not all be killed]"
    cpu_used = usage.ru_utime + usage.ru_stime
    killed_oom = oom_kills()
    status = killed_for or ("memory" if killed_oom and proc.returncode != 0 else
                            _classify(proc.returncode, stderr, cpu_used, limits))
    note = {
        "timeout": f"time limit reached ({cpu_used:.2f} s CPU, {end - start:.2f} s wall; limits "
                   f"{limits.cpu_seconds:g} s CPU, {limits.wall_seconds:g} s wall)",
        "output-limit": f"output limit of {limits.output_bytes} bytes per stream reached",
    }.get(status)
    if killed_oom:
        note = (f"memory limit of {limits.memory_mb} MB for the whole run reached; the kernel "
                f"killed {killed_oom} process(es)")
    if note:
        stderr += f"\n[baimo sandbox: {note}]\n"
    return ExecResult(status, proc.returncode, stdout, stderr, end - start, plan.isolation(),
                      plan.memory_bound())


def _pidfd(pid: int) -> int | None:
    """A pidfd for the child (Linux 5.3+), so the supervisor wakes the moment it exits."""
    opener: Callable[[int], int] | None = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return opener(pid)
    except OSError:
        return None


# --------------------------------------------------------------------------------------------
# Probing what works here


def _reachable_by_others(path: str) -> bool:
    """Can a uid that is neither owner nor group member execute ``path``?"""
    path = os.path.realpath(path)
    try:
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(path)
        while True:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
            if parent == os.path.dirname(parent):
                return True
            parent = os.path.dirname(parent)
    except OSError:
        return False


def _interpreter_candidates() -> list[str]:
    """Pythons to try, the harness's own first, then the system's of the same version."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    names: list[str | None] = [
        os.path.realpath(sys.executable),
        getattr(sys, "_base_executable", None),
        shutil.which(version, path=_SAFE_PATH),
        shutil.which("python3", path=_SAFE_PATH),
    ]
    seen: list[str] = []
    for name in names:
        if name and os.path.realpath(name) not in seen:
            seen.append(os.path.realpath(name))
    return seen


_PROBE_CODE = "import sys; print('%d.%d' % sys.version_info[:2])"


def _cpu_slots() -> int:
    affinity: Callable[[int], set[int]] | None = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        with contextlib.suppress(OSError):
            return max(1, len(affinity(0)))
    return max(1, os.cpu_count() or 1)


# At most one run per CPU at a time, whoever calls: the wall-clock limit assumes a program has a
# core to itself, and oversubscribed cores would turn slow-but-correct code into timeouts. The
# wall clock starts only once a slot is taken.
_run_slots = threading.BoundedSemaphore(_cpu_slots())


def _run_plan(code: str, limits: SandboxLimits, plan: _Plan, stdin: bytes = b"") -> ExecResult:
    """Run under ``plan``, with a fresh uid for this run if the plan drops privileges."""
    if plan.refuse:
        return ExecResult("error", None, "", f"refusing to run code: {plan.refuse}", 0.0, ())
    with _run_slots:
        if not plan.drop_uid:
            return _execute(code, limits, plan, stdin)
        uid = _allocate_uid()
        try:
            return _execute(code, limits, replace(plan, uid=uid), stdin)
        finally:
            _release_uid(uid)


def _probe_plan(plan: _Plan) -> tuple[bool, str]:
    limits = SandboxLimits(cpu_seconds=5, wall_seconds=20, max_processes=8)
    result = _run_plan(_PROBE_CODE, limits, plan)
    if result.status == "passed":
        return True, result.stdout.strip()
    return False, (result.stderr.strip().splitlines() or [result.status])[-1]


def _probe() -> _Plan:
    notes: list[str] = []
    candidates = _interpreter_candidates()
    is_root = os.geteuid() == 0
    plan = _Plan(interpreter=candidates[0])
    if is_root:
        # A fresh uid must be able to reach the interpreter (not, e.g., a pyenv under /root).
        usable = [c for c in candidates if _reachable_by_others(c)] or candidates
        for interpreter in usable:
            trial = _Plan(drop_uid=True, interpreter=interpreter)
            ok, detail = _probe_plan(trial)
            if ok:
                plan = trial
                break
            notes.append(f"uid-drop with {interpreter}: {detail}")
        else:
            # Fail closed: untrusted code never runs as root.
            return replace(plan, refuse="the harness runs as root and cannot switch to an "
                                        "unprivileged uid: " + "; ".join(notes))
    elif _LIBC is not None:
        ok, detail = _probe_plan(replace(plan, userns=True))
        if ok:
            plan = replace(plan, userns=True)
        else:
            notes.append(f"userns: {detail}")
    if _LIBC is not None and (is_root or plan.userns):
        trials: list[tuple[str, Callable[[_Plan], _Plan]]] = [
            ("netns", lambda p: replace(p, netns=True)),
            ("mount", lambda p: replace(p, mount=True)),
            ("pidns", lambda p: replace(p, pidns=True)),
            ("private-tmp", lambda p: replace(p, private_tmp=p.mount)),
        ]
        for feature, enable in trials:
            trial = enable(plan)
            if trial == plan:
                continue
            ok, detail = _probe_plan(trial)
            if ok:
                plan = trial
            else:
                notes.append(f"{feature}: {detail}")
    plan = _probe_memory(plan, notes)
    if _LIBC is not None and (is_root or plan.userns):
        # After the memory probe: without a cgroup, the namespace's shared-memory caps must be
        # settable too (see ``_ipc_sysctls``).
        trial = replace(plan, ipcns=True)
        ok, detail = _probe_plan(trial)
        if ok:
            plan = trial
        else:
            notes.append(f"ipcns: {detail}")
    if not plan.netns:
        plan = replace(plan, socket_guard=True)
    ok, detail = _probe_plan(plan)
    if not ok:
        notes.append(f"the sandbox does not run code on this machine: {detail}")
    return replace(plan, notes=tuple(notes), version=detail if ok else "")


def _probe_memory(plan: _Plan, notes: list[str]) -> _Plan:
    """A memory cgroup per run if this process can make one, else the memfd guard."""
    memcg, why = _find_memcg()
    if memcg is not None:
        _remove_stale_cgroups(memcg)
        trial = replace(plan, memcg=memcg)
        ok, detail = _probe_plan(trial)
        if ok:
            return trial
        why = f"memory cgroup {memcg.version}: {detail}"
    notes.append(why + "; memory is limited per process only (RLIMIT_AS x RLIMIT_NPROC)")
    if _LIBC is not None and _memfd_filter() is not None:
        trial = replace(plan, memfd_guard=True)
        ok, detail = _probe_plan(trial)
        if ok:
            return trial
        notes.append(f"memfd guard: {detail}")
    else:
        notes.append("memfd guard: no seccomp filter for this platform")
    return plan


_probe_lock = threading.Lock()
_plan_cache: list[_Plan] = []


def _base_plan() -> _Plan:
    with _probe_lock:
        if not _plan_cache:
            _plan_cache.append(_probe())
        return _plan_cache[0]


def sandbox_info() -> SandboxInfo:
    """What isolation this machine gives sandboxed code; probed once per process.

    Returns:
        The mechanisms in force for every run, the interpreter used and notes on anything that
        could not be set up (for reports, and to decide whether to trust code runs at all).
    """
    plan = _base_plan()
    notes = (*plan.notes, plan.refuse) if plan.refuse else plan.notes
    return SandboxInfo(() if plan.refuse else plan.isolation(), plan.interpreter, plan.version,
                       notes, None if plan.refuse else plan.memory_bound())


# --------------------------------------------------------------------------------------------
# Public API


def run_python(code: str, limits: SandboxLimits = SandboxLimits(), *,
               stdin: bytes = b"") -> ExecResult:
    """Run ``code`` as a Python program in the sandbox and report how it ended.

    The program runs as ``python -I -B main.py`` in a fresh working directory, with the limits
    and isolation described in the module docstring. Everything it started is killed when it
    exits or when a limit is hit, so nothing outlives the call. Blocks while every CPU already
    has a run (see ``run_many``); the wall clock starts when this run does.

    Args:
        code: Python source to run as ``__main__``.
        limits: Resource limits for this run.
        stdin: What the program reads on standard input (at most ``STDIN_MAX_BYTES``); empty
            means ``/dev/null``. The data is in the pipe before the program starts, and the
            harness keeps no end of it open, so nothing else reaches the program that way.

    Returns:
        The outcome; never raises because of what the program does. Harness-side problems (no
        temporary directory, isolation setup failure) give status ``error``.

    Raises:
        ValueError: ``stdin`` is longer than ``STDIN_MAX_BYTES``.
    """
    if len(stdin) > STDIN_MAX_BYTES:
        raise ValueError(f"stdin for a sandboxed run is limited to {STDIN_MAX_BYTES} bytes, "
                         f"got {len(stdin)}")
    return _run_plan(code, limits, _base_plan(), stdin)


def run_many(codes: Sequence[str], limits: SandboxLimits = SandboxLimits(),
             max_workers: int | None = None, *,
             stdins: Sequence[bytes] | None = None) -> list[ExecResult]:
    """Run several programs in parallel, each in its own sandbox.

    Threads only wait on child processes. However many workers there are, at most one run per
    CPU executes at a time (across all callers in this process), so code that is merely
    waiting for a core is not timed out by the wall clock.

    Args:
        codes: Programs to run.
        limits: Limits applied to each run.
        max_workers: Threads; defaults to the number of CPUs.
        stdins: Standard input per program (see ``run_python``); default none.

    Returns:
        One result per program, in the order given.

    Raises:
        ValueError: ``stdins`` does not match ``codes`` in length, or one is too long.
    """
    if not codes:
        return []
    inputs = list(stdins) if stdins is not None else [b""] * len(codes)
    if len(inputs) != len(codes):
        raise ValueError(f"run_many got {len(codes)} programs but {len(inputs)} stdins")
    for data in inputs:
        if len(data) > STDIN_MAX_BYTES:
            raise ValueError(f"stdin for a sandboxed run is limited to {STDIN_MAX_BYTES} bytes")
    sandbox_info()  # probe once, before the threads race for it
    workers = max(1, min(max_workers or os.cpu_count() or 1, len(codes)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="baimo-sandbox") as pool:
        return list(pool.map(lambda pair: run_python(pair[0], limits, stdin=pair[1]),
                             zip(codes, inputs, strict=True)))
