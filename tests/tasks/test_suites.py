"""Suites through the real CLI: C-Eval from a Hugging Face on-disk dataset, suite listing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from baimo.store.store import Store
from baimo.tasks.registry import SUITES, SuiteOptions, build_suite
from baimo.testing.mockserver import MockConfig, MockServer
from support import write_models


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=600, env={**os.environ})


@pytest.fixture(scope="module")
def ceval_80(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """C-Eval as the hub's ``save_to_disk`` output: 4 subjects × 20 val rows (+ dev, test)."""
    datasets = pytest.importorskip("datasets")
    root = tmp_path_factory.mktemp("ceval80")
    for subject in ("computer_network", "law", "physician", "high_school_physics"):
        splits = {}
        for split, n in (("val", 20), ("dev", 5), ("test", 2)):
            splits[split] = datasets.Dataset.from_list([{
                "id": i, "question": f"{subject} 第{i}题：哪一项正确？",
                "A": "甲", "B": "乙", "C": "丙", "D": "丁",
                "answer": "" if split == "test" else "ABCD"[i % 4],
                "explanation": "解析" if split == "dev" else ""} for i in range(n)])
        datasets.DatasetDict(splits).save_to_disk(str(root / subject))
    return root


def test_ceval_limit_50_from_disk_through_the_cli(tmp_path: Path, ceval_80: Path,
                                                  baimo_home: Path) -> None:
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "mock"}])
        out = _cli(["eval", "--suite", "ceval", "--limit", "50", "--source", str(ceval_80),
                    "-m", "mock", "--no-progress"], tmp_path)
        assert out.returncode == 0, out.stderr
        assert srv.stats()["completed"] == 50
    store = Store()
    run_id = store.runs.resolve("latest")
    rows = store.runs.results([run_id])
    assert len(rows) == 50 and len({r.sample_id for r in rows}) == 50
    assert {r.status for r in rows} <= {"no-answer", "wrong", "ok"}
    assert all(r.sample_id.startswith("ceval/") and r.category for r in rows)
    spec = store.runs.get(run_id).spec["tasks"][0]
    assert spec["spec"]["template_hash"] and spec["dimension"] == "chinese"
    # Stratified: every subject is represented, in proportion.
    per_subject = {c: sum(r.category == c for r in rows) for c in {r.category for r in rows}}
    assert len(per_subject) == 4 and set(per_subject.values()) <= {12, 13}


def test_every_suite_builds_and_lists(tmp_path: Path) -> None:
    for name in ("demo", "ifeval", "safety", "reasoning", "humaneval", "quick"):
        tasks = build_suite(name, SuiteOptions(limit=3))
        assert tasks and all(t.samples for t in tasks), name
        assert all(len(t.samples) <= 3 for t in tasks if name != "quick" or t.name != "demo")
    quick = {t.name for t in build_suite("quick")}
    assert {"demo", "ifeval", "safety", "humaneval", "reasoning-logic"} <= quick
    listed = _cli(["suites", "list"], tmp_path)
    for name in SUITES:
        assert name in listed.stdout
    shown = _cli(["suites", "show", "reasoning", "--limit", "2"], tmp_path)
    assert "reasoning-dates" in shown.stdout and "2 samples" in shown.stdout


def test_quick_spreads_small_samples_over_types_and_languages() -> None:
    """ifeval and safety list en items before zh: a small sample takes one constraint type
    (or safety category) at a time with the languages by turns, not the first N lines."""
    quick = {t.name: t for t in build_suite("quick")}
    ifeval = quick["ifeval"].samples
    assert len({s.category for s in ifeval}) == len(ifeval) == 12
    assert {s.metadata["lang"] for s in ifeval} == {"en", "zh"}
    safety = quick["safety"].samples
    assert Counter(s.category for s in safety) == {
        "harmful": 4, "benign-lookalike": 4, "injection": 4, "privacy": 4}
    assert Counter(s.metadata["lang"] for s in safety) == {"en": 8, "zh": 8}
    assert sum(len(t.samples) for n, t in quick.items() if n.startswith("reasoning")) == 12
    assert len(quick["tools-prompt"].samples) == 4  # the tool-use sample the issue asks for


def test_generated_suites_are_seeded() -> None:
    a = build_suite("reasoning", SuiteOptions(limit=4, seed=1))
    b = build_suite("reasoning", SuiteOptions(limit=4, seed=1))
    c = build_suite("reasoning", SuiteOptions(limit=4, seed=2))
    assert [s.messages for t in a for s in t.samples] == [s.messages for t in b for s in t.samples]
    assert [s.messages for t in a for s in t.samples] != [s.messages for t in c for s in t.samples]
    assert a[0].version == b[0].version != c[0].version


@pytest.mark.llama
def test_loglik_mode_on_the_embedded_engine(ceval_disk: Path, baimo_home: Path) -> None:
    pytest.importorskip("llama_cpp")
    from baimo.config import default_embedded_model
    from baimo.runs.eval import run_eval

    tasks = build_suite("ceval", SuiteOptions(limit=4, source=str(ceval_disk),
                                              template="mcq-loglik-zh"))
    assert tasks[0].mode == "loglik"
    store = Store()
    out = run_eval(store, [default_embedded_model()], tasks)
    rows = store.runs.results([out.run_id])
    assert len(rows) == 4 and {r.status for r in rows} <= {"ok", "wrong"}
    assert all(r.extracted in {"A", "B", "C", "D"} for r in rows)
    raw = json.loads(store.responses.get(rows[0].key).response_json)  # type: ignore[union-attr]
    assert len(raw["logprobs"]) == 4
