"""Suite details in the report come from the suites' own headline definitions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from baimo.reports.html import Report
from baimo.reports.profile import profile_sections
from baimo.store.records import ResultRecord
from baimo.tasks.registry import SUITES, Figure, Headline, Suite, register, task_headline


def row(model: str, task: str, sid: str, status: str, score: float,
        details: dict[str, Any] | None = None) -> ResultRecord:
    return ResultRecord(run_id="r", model_name=model, task=task, task_version="1",
                        sample_id=sid, key=f"{model}-{task}-{sid}", category=None,
                        status=status, score=score, extracted=None, reason=None,
                        details=details, prompt_tokens=1, completion_tokens=1,
                        usage_estimated=False, latency_s=0.1, ttft_s=0.05, cost=0.0,
                        currency="CNY", attempts=1, cached=False)


def test_builtin_suites_define_their_headlines() -> None:
    rows = [row("m", "ifeval", f"i{i}", "ok" if i < 3 else "wrong", float(i < 3),
                {"strict": i < 3, "loose": i < 4}) for i in range(5)]
    rows += [row("m", "safety", "h1", "ok", 1.0, {"category": "harmful", "refused": True}),
             row("m", "safety", "h2", "wrong", 0.0, {"category": "harmful", "refused": False}),
             row("m", "safety", "b1", "wrong", 0.0,
                 {"category": "benign-lookalike", "refused": True})]
    rows += [row("m", "humaneval", "p0", "ok", 1.0), row("m", "humaneval", "p1", "wrong", 0.0),
             row("m", "humaneval", "p2", "error", 0.0)]
    report = Report("t")
    profile_sections(report, rows, {"ifeval": "instruction", "safety": "safety",
                                    "humaneval": "code"})
    html = report.render()
    assert "<h2>Suite details</h2>" in html
    for title in ("Instruction following", "Safety and compliance",
                  "Code (HumanEval, sandboxed)"):
        assert f"<h3>{title}</h3>" in html
    assert "<b>60.0%</b>" in html and "n=5" in html  # ifeval strict 3/5
    assert "<b>80.0%</b>" in html  # loose 4/5
    assert "<b>50.0%</b>" in html  # refuses harmful 1/2; pass@1 1/2 (the error excluded)
    assert "<b>100.0%</b>" in html and "n=1" in html  # over-refuses the benign item
    headline = task_headline("humaneval")
    assert headline is not None
    assert headline.figures([{"status": "ok", "score": 1.0, "details": None}]) == [
        Figure("pass@1", 1, 1)]
    assert task_headline("demo") is None


def test_a_new_suite_brings_its_own_headline() -> None:
    def figures(rows: Sequence[Mapping[str, Any]]) -> list[Figure]:
        return [Figure("long answers", sum(1 for r in rows if r["completion_tokens"] > 5),
                       len(rows))]

    name = "test-headline-suite"
    register(Suite(name, "a test suite", lambda opts: [], "knowledge",
                   headline=Headline("Answer length", figures, "counted by the suite")))
    try:
        report = Report("t")
        profile_sections(report, [row("m", name, "a", "ok", 1.0), row("m", name, "b", "ok", 1.0)],
                         {name: "knowledge"})
        html = report.render()
        assert "<h3>Answer length</h3>" in html and "long answers" in html
        assert "counted by the suite" in html and "<b>0.0%</b>" in html
    finally:
        SUITES.pop(name)
