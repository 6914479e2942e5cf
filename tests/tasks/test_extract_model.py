"""The model fallback of answer extraction, against a real judge endpoint on loopback.

The judge is a small OpenAI-compatible server on 127.0.0.1 whose reply is a function of the
prompt it receives; the client is ``baimo.tasks.judge.Judge``, exactly as a task file's
``extract: {fallback: ...}`` builds it. Nothing inside baimo is patched, so what is asserted
(temperature 0 on the wire, which answers are sent at all, strict parsing of what comes back)
is what a real judge endpoint would see and send.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from baimo.config import Config, ModelConfig
from baimo.errors import ConfigError, NotFound
from baimo.tasks.extract import extract_number
from baimo.tasks.extract_model import (
    PROMPT_ID,
    ModelFallback,
    build_messages,
    parse_reading,
    read_with_model,
    with_model_fallback,
)
from baimo.tasks.judge import Judge
from baimo.tasks.scorers import ScorerSpec, build_scorer
from baimo.tasks.task import load_task
from baimo.tasks.types import ModelOutput, Sample
from baimo.testing.scripted import ChatRequest, Reply, ScriptedServer, usage

Policy = Callable[[str], "str | int"]
"""The judge prompt's <reply> section → the judge's reply text, or an HTTP status."""


class ReaderServer(ScriptedServer):
    """The scripted server playing the answer-reading judge (and the model being evaluated)."""

    def __init__(self, policy: Policy) -> None:
        def script(request: ChatRequest) -> Reply:
            prompt = request.messages[-1]["content"]
            m = re.search(r"<reply>\n(.*?)\n</reply>", prompt, re.DOTALL)
            # A prompt without a <reply> is a question to the model being evaluated.
            reply = policy(m.group(1)) if m else ANSWERS.get(prompt, "I do not know.")
            if isinstance(reply, int):
                return Reply.fail(reply, f"reader says {reply}")
            return Reply(reply, usage=usage(50, 5), chunks=[reply])

        super().__init__(script)


def reader_model(srv: ReaderServer, name: str = "reader", retries: int = 1) -> ModelConfig:
    return ModelConfig.model_validate({
        "name": name, "provider": "openai-compatible", "base_url": srv.base_url,
        "model": "reader-1", "limits": {"max_retries": retries}})


# A judge that reads like a careful person would, for the replies used below.
READINGS = {
    "Putting it all together, the count lands on twelve dozen minus a few: 140 in all.":
        "[[ANSWER: 140]]",
    "Honestly, I would lean toward the city on the Seine.": "[[ANSWER: B]]",
    "I went back and forth; nothing here settles it.": "[[NO ANSWER]]",
    "Working: 3 + 4 = 7 and then 7 × 2 = 14, which I double.": "The answer is 28.",
    "It works out to 6 and 8 eventually 8.": "[[ANSWER: 8]] [[ANSWER: 6]]",
    "Honestly the last option sounds right.": "[[ANSWER: E]]",
}


# What the evaluated model answers, per question (the same server plays it).
ANSWERS = {
    "How many cats?": "The answer is 140.",
    "How many dogs?": "Putting it all together, the count lands on twelve dozen minus a few: "
                      "140 in all.",
    "How many birds?": "I went back and forth; nothing here settles it.",
    "How many fish?": "It works out to 6 and 8 eventually 8.",
}


def reads(reply: str) -> str | int:
    return READINGS.get(reply, "[[NO ANSWER]]")


def mcq(reference: str = "B") -> Sample:
    return Sample("q1", ({"role": "user", "content": "Capital of France?\nA. Rome\nB. Paris\n"
                                                     "C. Oslo\nD. Bern"},),
                  reference, ("Rome", "Paris", "Oslo", "Bern"))


def numeric(reference: str) -> Sample:
    return Sample("n1", ({"role": "user", "content": "How many?"},), reference)


# ----------------------------------------------------------------------- strict parsing


@pytest.mark.parametrize(("reply", "kind", "n", "multi", "value"), [
    ("[[ANSWER: B]]", "choice", 4, False, "B"),
    ("[[ANSWER: (c)]]", "choice", 4, False, "C"),
    ("[[ANSWER: A, C]]", "choice", 4, True, "AC"),
    ("[[ANSWER: 42]]", "number", 0, False, "42"),
    ("[[ANSWER: -3.5]]", "number", 0, False, "-3.5"),
    ("[[ANSWER: 25%]]", "number", 0, False, "25%"),
    ("[[ANSWER: 3/4]]", "number", 0, False, "3/4"),
])
def test_parse_reading_accepts_the_strict_form(reply: str, kind: Any, n: int, multi: bool,
                                               value: str) -> None:
    ext = parse_reading(reply, kind=kind, n_choices=n, multi=multi)
    assert (ext.status, ext.value, ext.method) == ("ok", value, "model")


def test_parse_reading_no_answer_is_a_reading_not_an_error() -> None:
    ext = parse_reading("[[NO ANSWER]]", kind="number")
    assert (ext.status, ext.value, ext.method) == ("no-answer", None, "model")


@pytest.mark.parametrize(("reply", "kind", "multi", "why"), [
    ("The answer is B.", "choice", False, "no \\[\\[ANSWER"),
    ("[[ANSWER: B]] or maybe [[ANSWER: C]]", "choice", False, "2 verdicts"),
    ("[[ANSWER: F]]", "choice", False, "beyond D"),
    ("[[ANSWER: AC]]", "choice", False, "several options"),
    ("[[ANSWER: Paris]]", "choice", False, "not option letters"),
    ("[[ANSWER: about ten]]", "number", False, "not a number"),
    ("[[ANSWER: ]]", "number", False, "empty"),
])
def test_parse_reading_failures_are_recorded_with_the_reason(reply: str, kind: Any,
                                                             multi: bool, why: str) -> None:
    ext = parse_reading(reply, kind=kind, n_choices=4, multi=multi)
    assert (ext.status, ext.value, ext.method) == ("no-answer", None, "model-parse-error")
    assert ext.reason is not None and re.search(why, ext.reason), ext.reason


def test_prompt_shows_question_options_and_reply_and_asks_for_one_form() -> None:
    msgs = build_messages("Capital?", "It is Paris.", kind="choice",
                          choices=["Rome", "Paris"], multi=False)
    user = msgs[-1]["content"]
    assert "<question>\nCapital?\n</question>" in user
    assert "A. Rome\nB. Paris" in user and "<reply>\nIt is Paris.\n</reply>" in user
    assert "(A, B)" in user
    assert "[[ANSWER: X]]" in msgs[0]["content"] and "[[NO ANSWER]]" in msgs[0]["content"]
    long = build_messages("Q", "x" * 20_000 + " Final: 7", kind="number")[-1]["content"]
    assert "Final: 7" in long and len(long) < 13_000  # the end of a long reply is kept


# ----------------------------------------------------------------------- over HTTP


def test_read_with_model_over_http_at_temperature_zero() -> None:
    with ReaderServer(reads) as srv:
        async def go() -> list[Any]:
            async with Judge(reader_model(srv)) as judge:
                return [
                    await read_with_model(judge, "How many?", next(iter(READINGS)),
                                          kind="number"),
                    await read_with_model(judge, "Capital?", "Honestly, I would lean toward "
                                          "the city on the Seine.", kind="choice",
                                          choices=["Rome", "Paris", "Oslo", "Bern"]),
                    await read_with_model(judge, "How many?", "Working: 3 + 4 = 7 and then "
                                          "7 × 2 = 14, which I double.", kind="number"),
                ]

        number, letter, unparsed = asyncio.run(go())
    assert (number.status, number.number, number.method) == ("ok", 140.0, "model")
    assert (letter.status, letter.value, letter.method) == ("ok", "B", "model")
    assert (unparsed.status, unparsed.method) == ("no-answer", "model-parse-error")
    assert unparsed.reason is not None and "The answer is 28." in unparsed.reason
    assert [b["temperature"] for b in srv.bodies] == [0.0, 0.0, 0.0]
    assert "D. Bern" in srv.bodies[1]["messages"][-1]["content"]


def _score_all(srv: ReaderServer, scorer: Any, cases: list[tuple[Sample, ModelOutput]]
               ) -> list[Any]:
    async def go() -> list[Any]:
        try:
            return [await scorer(s, o) for s, o in cases]
        finally:
            await scorer.aclose()

    return asyncio.run(go())


def test_fallback_asks_only_where_the_rules_were_weak_or_found_nothing() -> None:
    rules = build_scorer(ScorerSpec.model_validate({"type": "numeric"}))
    weak = "Putting it all together, the count lands on twelve dozen minus a few: 140 in all."
    assert extract_number(weak).method == "last-number"
    cases = [
        (numeric("140"), ModelOutput("The answer is 140.")),                    # strong: kept
        (numeric("140"), ModelOutput(weak)),                                    # weak: asked
        (numeric("9"), ModelOutput("I went back and forth; nothing here settles it.")),
        (numeric("12"), ModelOutput("It is either 12 or 13.")),                 # hedge: kept
        (numeric("12"), ModelOutput("Let me count: 1, 2, 3", finish_reason="length")),
        (numeric("8"), ModelOutput("It works out to 6 and 8 eventually 8.")),  # weak, bad reply
    ]
    with ReaderServer(reads) as srv:
        scorer = with_model_fallback(rules, Judge(reader_model(srv)))
        got = _score_all(srv, scorer, cases)
    strong, asked, nothing, hedged, cut, bad = got
    assert (strong.status, strong.details["method"]) == ("ok", "marker")
    assert (asked.status, asked.extracted, asked.details["method"]) == ("ok", "140", "model")
    assert asked.details["rule_reading"] == {"method": "last-number", "status": "ok",
                                             "extracted": "140"}
    assert asked.details["model"]["prompt"] == PROMPT_ID
    assert (nothing.status, nothing.details["method"]) == ("no-answer", "model")
    assert (hedged.status, hedged.details["method"]) == ("no-answer", "hedged")
    assert cut.status == "truncated" and "model" not in cut.details
    assert (bad.status, bad.details["method"]) == ("no-answer", "model-parse-error")
    assert "2 verdicts" in (bad.reason or "")
    # Only the weak reading, the unread reply and the weak one with a bad reply were sent.
    assert len(srv.bodies) == 3


def test_fallback_on_choices_and_a_wrong_model_reading_is_wrong() -> None:
    rules = build_scorer(ScorerSpec.model_validate({"type": "choice"}))
    cases = [
        (mcq("B"), ModelOutput("Honestly, I would lean toward the city on the Seine.")),
        (mcq("A"), ModelOutput("Honestly, I would lean toward the city on the Seine.")),
        (mcq("D"), ModelOutput("Honestly the last option sounds right.")),
        (mcq("B"), ModelOutput("The answer is B.")),
    ]
    with ReaderServer(reads) as srv:
        got = _score_all(srv, with_model_fallback(rules, Judge(reader_model(srv))), cases)
    right, wrong, out_of_range, strong = got
    assert (right.status, right.extracted, right.details["method"]) == ("ok", "B", "model")
    assert (wrong.status, wrong.extracted) == ("wrong", "B")
    assert (out_of_range.status, out_of_range.details["method"]) == ("no-answer",
                                                                     "model-parse-error")
    assert "beyond D" in (out_of_range.reason or "")
    assert (strong.status, strong.details["method"]) == ("ok", "marker")
    assert len(srv.bodies) == 3


def test_threshold_missing_leaves_weak_readings_alone() -> None:
    rules = build_scorer(ScorerSpec.model_validate({"type": "numeric"}))
    weak = next(iter(READINGS))
    with ReaderServer(reads) as srv:
        scorer = with_model_fallback(rules, Judge(reader_model(srv)), threshold="missing")
        (score,) = _score_all(srv, scorer, [(numeric("140"), ModelOutput(weak))])
    assert score.details["method"] == "last-number" and srv.bodies == []


def test_unreachable_judge_keeps_the_rule_score_and_says_why() -> None:
    rules = build_scorer(ScorerSpec.model_validate({"type": "numeric"}))
    with ReaderServer(lambda reply: 503) as srv:
        scorer = with_model_fallback(rules, Judge(reader_model(srv, retries=0)))
        (score,) = _score_all(srv, scorer, [(numeric("140"), ModelOutput(next(iter(READINGS))))])
    assert (score.status, score.details["method"]) == ("ok", "last-number")
    assert "503" in score.details["model_error"]


# ----------------------------------------------------------------------- task files


def _task(tmp_path: Path, **extra: Any) -> Path:
    (tmp_path / "d.jsonl").write_text('{"id": "n1", "prompt": "How many?", "reference": "140"}\n',
                                      encoding="utf-8")
    doc = {"name": "counting", "dataset": "d.jsonl", "scorer": {"type": "numeric"}, **extra}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return tmp_path / "t.yaml"


def test_task_file_extract_block_is_wired_through_the_models_config(tmp_path: Path) -> None:
    path = _task(tmp_path, extract={"fallback": "reader"})
    with ReaderServer(reads) as srv:
        task = load_task(path, Config([reader_model(srv)]))
        assert isinstance(task.async_scorer, ModelFallback)
        assert task.spec["extract"] == {"fallback": "reader", "threshold": "weak"}
        (score,) = _score_all(srv, task.async_scorer,
                              [(task.samples[0], ModelOutput(next(iter(READINGS))))])
    assert (score.status, score.details["method"]) == ("ok", "model")
    assert score.details["model"]["judge"] == "reader"


def test_task_file_extract_block_errors_name_the_problem(tmp_path: Path) -> None:
    cfg = Config([ModelConfig.model_validate({"name": "reader",
                                              "base_url": "http://127.0.0.1:9/v1"})])
    with pytest.raises(NotFound, match="no model named 'nobody'"):
        load_task(_task(tmp_path, extract={"fallback": "nobody"}), cfg)
    with pytest.raises(ConfigError, match="extract"):
        load_task(_task(tmp_path, extract={"fallbak": "reader"}), cfg)
    path = _task(tmp_path, extract={"fallback": "reader"})
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["scorer"] = {"type": "contains"}
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ConfigError, match="choice or numeric"):
        load_task(path, cfg)


# ----------------------------------------------------------------------- end to end


def test_a_run_counts_how_answers_were_read_in_runs_show_and_reports(tmp_path: Path) -> None:
    """A real eval: model-read answers and weak rule readings reach `runs show` and reports."""
    from baimo.runs.eval import run_eval
    from baimo.store.store import Store

    rows = [{"id": "cats", "prompt": "How many cats?", "reference": "140"},
            {"id": "dogs", "prompt": "How many dogs?", "reference": "140"},
            {"id": "birds", "prompt": "How many birds?", "reference": "9"},
            {"id": "fish", "prompt": "How many fish?", "reference": "8"}]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows),
                                      encoding="utf-8")
    for name, extra in (("read-by-model", {"extract": {"fallback": "reader"}}),
                        ("rules-only", {})):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(
            {"name": name, "dataset": "d.jsonl", "scorer": {"type": "numeric"}, **extra}),
            encoding="utf-8")
    with ReaderServer(reads) as srv:
        cfg = Config([reader_model(srv, "subject"), reader_model(srv)])
        tasks = [load_task(tmp_path / f"{n}.yaml", cfg) for n in ("read-by-model", "rules-only")]
        outcome = run_eval(Store(), [cfg.get("subject")], tasks)
    assert outcome.status == "done"

    shown = subprocess.run([sys.executable, "-m", "baimo", "runs", "show", outcome.run_id,
                            "--json"], capture_output=True, text=True, timeout=300,
                           cwd=tmp_path, check=True)
    data = json.loads(shown.stdout)
    assert data["readings"] == {
        "read-by-model": {"subject": {"marker": 1, "model": 2, "model-parse-error": 1}},
        "rules-only": {"subject": {"last-number": 2, "marker": 1, "none": 1}},
    }
    assert [(w["task"], w["sample"], w["method"], w["extracted"])
            for w in data["weak_readings"]] == [("rules-only", "dogs", "last-number", "140"),
                                                ("rules-only", "fish", "last-number", "8")]
    text = subprocess.run([sys.executable, "-m", "baimo", "runs", "show", outcome.run_id],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          check=True, env={**os.environ, "COLUMNS": "200"}).stdout
    assert "how answers were read" in text and "model-parse-error" in text
    assert "weakest rules (2" in text

    md = tmp_path / "r.md"
    subprocess.run([sys.executable, "-m", "baimo", "report", outcome.run_id, "-f", "md",
                    "-o", str(md)], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                   check=True)
    report = md.read_text(encoding="utf-8")
    assert "| read-by-model | subject | model | 2 |" in report
    assert "| rules-only | subject | fish | last-number | ok | 8 |" in report
    html = tmp_path / "r.html"
    subprocess.run([sys.executable, "-m", "baimo", "report", outcome.run_id, "-o", str(html)],
                   capture_output=True, text=True, timeout=300, cwd=tmp_path, check=True)
    page = html.read_text(encoding="utf-8")
    assert "How answers were read" in page and "model-parse-error" in page
