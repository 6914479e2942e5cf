"""MATH and GPQA: loaders over ``save_to_disk`` copies in the hub schema, answer checking
against math-verify, GPQA's seeded shuffle, and both against a loopback server."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from loopback import Reply, models_file, serve

from baimo.config import load_config
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.benchmarks import (
    boxed_answer,
    gpqa_permutation,
    latex_equal,
    load_benchmark,
    math_latex_scorer,
)
from baimo.tasks.registry import SuiteOptions, build_suite
from baimo.tasks.types import ModelOutput, Sample

datasets = pytest.importorskip("datasets")
math_verify = pytest.importorskip("math_verify")

# (answer, reference, equivalent?)
PAIRS = [
    ("\\frac{1}{2}", "0.5", True),
    ("\\dfrac{1}{2}", "\\frac12", True),
    ("\\sqrt{8}", "2\\sqrt{2}", True),
    ("\\left(3, 4\\right)", "(3,4)", True),
    ("x^2+2x+1", "(x+1)^2", True),
    ("\\frac{\\pi}{3}", "60^\\circ", False),  # units differ: math-verify does not equate them
    ("12", "12.0", True),
    ("\\{1,2\\}", "\\{2,1\\}", True),
    ("10\\%", "10", True),
    ("\\frac{1}{3}", "0.33", False),
    ("\\sqrt{3}", "3^{1/3}", False),
    ("(3, 4)", "(4, 3)", False),
    ("x^2-1", "(x-1)^2", False),
    ("2\\pi", "6.28", False),
    ("-5", "5", False),
]


@pytest.mark.parametrize(("answer", "reference", "same"), PAIRS)
def test_latex_equal_agrees_with_math_verify(answer: str, reference: str, same: bool) -> None:
    library = bool(math_verify.verify(math_verify.parse(f"${reference}$"),
                                      math_verify.parse(f"${answer}$")))
    assert latex_equal(answer, reference) is same
    assert library is same  # the cases are chosen where the library's verdict is the truth


def test_boxed_answer_balances_braces() -> None:
    assert boxed_answer("so \\boxed{\\frac{1}{2}} and then \\boxed{\\dfrac{3}{4}}.") == \
        "\\dfrac{3}{4}"
    assert boxed_answer("no box here") is None
    assert boxed_answer("\\boxed{unclosed") is None


def _out(text: str, finish: str = "stop") -> ModelOutput:
    return ModelOutput(text, finish_reason=finish)


def test_math_scorer_outcomes() -> None:
    s = Sample("m", ({"role": "user", "content": "q"},), "\\frac{1}{2}")
    assert math_latex_scorer(s, _out("... so \\boxed{0.5}")).status == "ok"
    assert math_latex_scorer(s, _out("Final answer: $\\frac{2}{4}$")).status == "ok"
    assert math_latex_scorer(s, _out("\\boxed{1/3}")).status == "wrong"
    assert math_latex_scorer(s, _out("I am not sure.")).status == "no-answer"
    assert math_latex_scorer(s, _out("Let me compute step", "length")).status == "truncated"


# ------------------------------------------------------------------------------ on disk

MATH_ROWS = {
    "algebra": [("Solve 2x = 1.", "Divide: $x = \\boxed{\\frac{1}{2}}$."),
                ("Expand (x+1)^2.", "It is $\\boxed{x^2+2x+1}$."),
                ("What is 3+4?", "$\\boxed{7}$")],
    "geometry": [("Area of a unit square?", "$\\boxed{1}$"),
                 ("Diagonal of a unit square?", "$\\boxed{\\sqrt{2}}$")],
}


@pytest.fixture(scope="module")
def math_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("math")
    for subject, rows in MATH_ROWS.items():
        def split(rs: list[tuple[str, str]], tag: str, kind: str = subject) -> Any:
            return datasets.Dataset.from_list([
                {"problem": f"[{tag}] {q}", "level": "Level 1", "type": kind, "solution": s}
                for q, s in rs])
        datasets.DatasetDict({"test": split(rows, "test"), "train": split(rows[:1], "train")}
                             ).save_to_disk(str(root / subject))
    return root


GPQA_ROWS = [{"Record ID": f"rec{i}", "Question": f"Question {i}?",
              "Correct Answer": f"right {i}", "Incorrect Answer 1": f"wrong {i}a",
              "Incorrect Answer 2": f"wrong {i}b", "Incorrect Answer 3": f"wrong {i}c",
              "Explanation": "because", "Subdomain": "Physics"} for i in range(8)]


@pytest.fixture(scope="module")
def gpqa_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gpqa")
    datasets.DatasetDict({"train": datasets.Dataset.from_list(GPQA_ROWS)}).save_to_disk(str(root))
    return root


def test_math_loader_reads_subjects_and_boxed_answers(math_disk: Path) -> None:
    data = load_benchmark("math", source=str(math_disk))
    assert [s.metadata["subject"] for s in data.samples] == ["algebra"] * 3 + ["geometry"] * 2
    assert [s.reference for s in data.samples][:2] == ["\\frac{1}{2}", "x^2+2x+1"]
    assert "\\boxed{}" in data.samples[0].messages[-1]["content"]
    shots = load_benchmark("math", source=str(math_disk), few_shot=1, subjects=["geometry"])
    assert "Final answer: \\boxed{1}" in shots.samples[0].messages[-1]["content"]


def test_gpqa_shuffle_is_seeded_stored_and_reproducible(gpqa_disk: Path) -> None:
    a = load_benchmark("gpqa", source=str(gpqa_disk), seed=1)
    b = load_benchmark("gpqa", source=str(gpqa_disk), seed=1)
    c = load_benchmark("gpqa", source=str(gpqa_disk), seed=2)
    assert [s.choices for s in a.samples] == [s.choices for s in b.samples]
    assert [s.choices for s in a.samples] != [s.choices for s in c.samples]
    for s in a.samples:
        key = s.id.rsplit("/", 1)[1]
        # Rebuilt from the stored seed alone: the permutation, and where the right answer is.
        perm = gpqa_permutation(key, s.metadata["shuffle_seed"])
        assert perm == s.metadata["permutation"]
        assert s.choices is not None and s.choices[perm.index(0)].startswith("right")
        assert s.choices["ABCD".index(s.reference)].startswith("right")
    assert len({s.reference for s in a.samples}) > 1  # the right answer is not always A


def _solver(body: dict[str, Any]) -> Reply:
    prompt = body["messages"][-1]["content"]
    if "Question" in prompt:  # GPQA: pick the option that says "right" for even questions
        i = int(re.findall(r"Question (\d+)\?", prompt)[-1])
        options = dict(re.findall(r"^([A-D])\. (.*)$", prompt, re.M))
        want = "right" if i % 2 == 0 else "wrong"
        letter = next(k for k, v in options.items() if v.startswith(want))
        return Reply(text=f"Thinking...\nAnswer: {letter}")
    q = re.findall(r"Problem: \[test\] (.*)", prompt)[-1]
    answers = {"Solve 2x = 1.": "\\boxed{0.5}", "Expand (x+1)^2.": "\\boxed{(x+1)^2}",
               "What is 3+4?": "\\boxed{8}", "Area of a unit square?": "",
               "Diagonal of a unit square?": "\\boxed{\\frac{2}{\\sqrt{2}}}"}
    return Reply(text=f"Work.\n{answers[q]}" if answers[q] else "I give up.")


@pytest.mark.parametrize(("suite", "ok", "statuses"), [
    ("math", 3, {"ok": 3, "wrong": 1, "no-answer": 1}),
    ("gpqa", 4, {"ok": 4, "wrong": 4}),
])
def test_against_loopback_server(tmp_path: Path, math_disk: Path, gpqa_disk: Path, suite: str,
                                 ok: int, statuses: dict[str, int]) -> None:
    source = math_disk if suite == "math" else gpqa_disk
    with serve(_solver) as srv:
        path = models_file(tmp_path, srv.base_url, [{"name": "m", "model": "m-1"}])
        store = Store()
        out = run_eval(store, [load_config(path).get("m")],
                       build_suite(suite, SuiteOptions(source=str(source), seed=3)))
    rows = store.runs.results([out.run_id])
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    assert counts == statuses
    assert sum(r.score for r in rows) == ok
