"""LLM-as-judge against real loopback servers: a tiny judge server whose verdicts are a
function of the prompt it receives, and the mock model server for the models being judged.

Nothing inside baimo is patched: the judge is reached over HTTP exactly as in production, so
what is asserted (temperature 0 in the request body, both orders asked, retries) is what a
real judge endpoint would see.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from baimo.config import Config, ModelConfig
from baimo.errors import ConfigError, DatasetError, NotFound
from baimo.runs.eval import run_eval
from baimo.scores.summary import summarize
from baimo.store.store import Store
from baimo.tasks.judge import (
    Judge,
    JudgeScorer,
    cohen_kappa,
    judge_from_spec,
    judge_pair,
    load_labels,
    make_judge_scorer,
    parse_pair_verdict,
    parse_rating,
    rate_answer,
    run_agreement,
)
from baimo.tasks.judge_prompts import detect_language, get_prompt, list_prompts
from baimo.tasks.task import load_task
from baimo.tasks.types import ModelOutput, Sample
from baimo.testing.mockserver import MockConfig, MockServer
from baimo.testing.scripted import ChatRequest, Reply, ScriptedServer, usage

# ----------------------------------------------------------------------- the judge server

Policy = Callable[[str, dict[str, Any]], "str | int"]
"""(last user message, request body) → reply text, or an HTTP status to fail with."""


def section(prompt: str, tag: str) -> str | None:
    """The text between ``<tag>`` and ``</tag>`` in a judge prompt, if present."""
    m = re.search(rf"<{tag}>\n(.*?)\n</{tag}>", prompt, re.DOTALL)
    return m.group(1) if m else None


class JudgeServer(ScriptedServer):
    """The scripted server playing a judge that answers with ``policy``.

    It records every request body (so tests can check the temperature and the order of the
    answers), streams SSE when asked to, and holds each request for ``delay`` seconds so that
    the client's concurrency shows in ``max_in_flight``.
    """

    def __init__(self, policy: Policy, delay: float = 0.0) -> None:
        def script(request: ChatRequest) -> Reply:
            reply = policy(request.last_user, request.body)
            if isinstance(reply, int):
                return Reply(status=reply, error=f"judge says {reply}", delay_s=delay)
            return Reply(reply, usage=usage(100, 10), delay_s=delay)

        super().__init__(script)


def judge_model(srv: JudgeServer, **kw: Any) -> ModelConfig:
    """A judge model config pointing at ``srv`` (priced, so cost accounting shows)."""
    fields: dict[str, Any] = {
        "name": "judge", "provider": "openai-compatible", "base_url": srv.base_url,
        "model": "judge-1", "pricing": {"input_per_1m": 1.0, "output_per_1m": 2.0},
        "limits": {"max_retries": 2}, **kw}
    return ModelConfig.model_validate(fields)


@pytest.fixture
def run_async() -> Iterator[Callable[[Any], Any]]:
    yield asyncio.run


def sample(prompt: str, reference: Any = None, **meta: Any) -> Sample:
    return Sample("s1", ({"role": "user", "content": prompt},), reference, metadata=meta)


# ----------------------------------------------------------------------- strict verdicts


@pytest.mark.parametrize(("text", "rating"), [
    ("Fine answer.\nRating: [[7]]", 7),
    ("Scale is [[1]] to [[10]]. Rating: [[3]]", 3),          # the last one wins
    ("Rating: [[10]]", 10),
    ("Rating: [[1]]", 1),
    ("Rating: [[8]] ... on reflection Rating: [[6]]", 6),
])
def test_rating_parses_strict_form_and_last_wins(text: str, rating: int) -> None:
    assert parse_rating(text) == (rating, None)


@pytest.mark.parametrize("text", [
    "Rating: 7", "Rating: [7]", "I would give it 7/10", "Rating: [[seven]]",
    "Rating: [[7.5]]", "Rating: [[0]]", "Rating: [[11]]", "Rating: [[7]] then [[12]]", "",
    "Rating: [[ 7 ]]", "Rating: 【【7】】", "Rating: [[" + "9" * 5000 + "]]",
])
def test_rating_malformed_does_not_parse(text: str) -> None:
    rating, why = parse_rating(text)
    assert rating is None and why


def test_pair_verdict_parses_strict_form_and_last_wins() -> None:
    assert parse_pair_verdict("A is better. [[A]]") == ("A", None)
    assert parse_pair_verdict("Not [[A]]; final: [[B]]") == ("B", None)
    assert parse_pair_verdict("[[C]]") == ("C", None)
    for bad in ("A is better", "[[a]]", "[A]", "[[tie]]", "[[D]]", "[[A>B]]"):
        assert parse_pair_verdict(bad)[0] is None


# ----------------------------------------------------------------------- prompts


def test_prompts_are_versioned_hashed_and_bilingual() -> None:
    prompts = list_prompts()
    assert {(p.mode, p.language) for p in prompts} == {
        ("single", "en"), ("single", "zh"), ("pairwise", "en"), ("pairwise", "zh")}
    for p in prompts:
        canonical = orjson.dumps({
            "id": p.id, "version": p.version, "mode": p.mode, "language": p.language,
            "system": p.system, "template": p.template, "reference_block": p.reference_block,
            "default_rubric": p.default_rubric}, option=orjson.OPT_SORT_KEYS)
        assert p.hash == hashlib.sha256(canonical).hexdigest()
    assert len({p.hash for p in prompts}) == 4
    edited = replace(get_prompt("single", "en"), template="changed {question}")
    assert edited.hash != get_prompt("single", "en").hash  # same version, new words: new hash
    zh = get_prompt("single", "zh").render(question="1+1等于几？", answer="2", reference="2")
    assert "参考答案" in zh[1]["content"] and "Rating: [[N]]" in zh[1]["content"]
    en = get_prompt("pairwise", "en").render(question="q {x}", answer_a="{a}", answer_b="b")
    assert "<answer_a>\n{a}\n</answer_a>" in en[1]["content"]  # user braces stay literal
    assert "reference_answer" not in en[1]["content"]
    with pytest.raises(NotFound):
        get_prompt("single", "fr")  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "lang"), [
    ("What is the capital of France?", "en"),
    ("法国的首都是哪里？", "zh"),
    ("请把 hello world 翻译成中文", "zh"),
    ("Translate 你好 into English, please", "en"),
    ("", "en"),
])
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


# ----------------------------------------------------------------------- single grading


def rating_by_reference(prompt: str, body: dict[str, Any]) -> str:
    """Rates 9 when the answer contains the reference, 2 when not, garbage on request."""
    answer = section(prompt, "assistant_answer") or ""
    if "NOVERDICT" in answer:
        return "This answer is fine, I would give it 8 out of 10."
    ref = section(prompt, "reference_answer")
    ok = ref is not None and ref in answer
    return f"Checked against the reference.\nRating: [[{9 if ok else 2}]]"


@pytest.mark.parametrize("stream", [True, False])
def test_single_grading_forces_temperature_zero_and_records_everything(stream: bool) -> None:
    with JudgeServer(rating_by_reference) as srv:
        cfg = judge_model(srv, stream=stream, params={"temperature": 0.9, "top_p": 0.5})
        scorer = make_judge_scorer(cfg)

        async def go() -> list[Any]:
            try:
                return [await scorer(sample("2+2? [[answer:4]]", "4"),
                                     ModelOutput("The answer is 4.")),
                        await scorer(sample("2+2?", "4"), ModelOutput("The answer is 5."))]
            finally:
                await scorer.aclose()

        good, bad = asyncio.run(go())
    assert [b["temperature"] for b in srv.bodies] == [0.0, 0.0]  # forced, despite params
    assert all(b["top_p"] == 0.5 and b["max_tokens"] == 1024 for b in srv.bodies)
    assert good.status == "ok" and good.value == pytest.approx(8 / 9)
    assert good.extracted == "9"
    assert bad.status == "ok" and bad.value == pytest.approx(1 / 9)
    d = good.details["judge"]
    prompt = get_prompt("single", "en")
    assert (d["prompt_id"], d["prompt_version"], d["prompt_hash"]) == (
        prompt.id, prompt.version, prompt.hash)
    assert d["model"] == "judge" and d["model_id"] == "judge-1" and d["temperature"] == 0.0
    assert d["rating"] == 9 and d["reference_used"] is True and d["attempts"] == 1
    assert (d["prompt_tokens"], d["completion_tokens"]) == (100, 10)
    assert d["cost"] == pytest.approx((100 * 1.0 + 10 * 2.0) / 1e6)
    assert d["rubric_hash"] == hashlib.sha256(prompt.default_rubric.encode()).hexdigest()
    assert "Rating: [[9]]" in d["verdict"]


def test_parse_error_is_recorded_with_the_raw_verdict_not_as_a_loss() -> None:
    with JudgeServer(rating_by_reference) as srv:
        scorer = make_judge_scorer(judge_model(srv))
        score = asyncio.run(scorer(sample("q", "4"), ModelOutput("4 NOVERDICT")))
    assert score.status == "judge-parse-error"
    assert score.details["judge"]["verdict"].startswith("This answer is fine")
    assert score.details["judge"]["rating"] is None
    assert "no [[N]] rating" in (score.reason or "")


def test_threshold_turns_ratings_into_pass_fail_and_custom_rubric_is_sent() -> None:
    with JudgeServer(rating_by_reference) as srv:
        scorer = make_judge_scorer(judge_model(srv), threshold=6, rubric="Be strict.")

        async def go() -> list[Any]:
            return [await scorer(sample("q", "4"), ModelOutput("it is 4")),
                    await scorer(sample("q", "4"), ModelOutput("it is 5"))]

        passed, failed = asyncio.run(go())
    assert (passed.status, passed.value, passed.extracted) == ("ok", 1.0, "9")
    assert passed.details["judge"]["normalized"] == pytest.approx(8 / 9)
    assert (failed.status, failed.value) == ("wrong", 0.0)
    assert "below the threshold 6" in (failed.reason or "")
    assert "Be strict." in srv.bodies[0]["messages"][1]["content"]
    assert passed.details["judge"]["rubric_custom"] is True


def test_reference_from_metadata_key_and_language_choice() -> None:
    with JudgeServer(rating_by_reference) as srv:
        scorer = make_judge_scorer(judge_model(srv), reference_key="gold")
        zh = make_judge_scorer(judge_model(srv), language="zh")

        async def go() -> list[Any]:
            return [await scorer(sample("q", "wrong", gold="42"), ModelOutput("42")),
                    await scorer(sample("法国的首都是哪里？"), ModelOutput("巴黎")),
                    await scorer(sample("capital?", language="zh"), ModelOutput("Paris")),
                    await zh(sample("capital of France?"), ModelOutput("Paris"))]

        by_meta, auto_zh, declared_zh, forced_zh = asyncio.run(go())
    assert by_meta.extracted == "9"
    assert auto_zh.details["judge"]["prompt_id"] == "single-zh"
    assert declared_zh.details["judge"]["prompt_id"] == "single-zh"
    assert forced_zh.details["judge"]["prompt_id"] == "single-zh"
    assert auto_zh.details["judge"]["reference_used"] is False


def test_truncated_and_empty_answers_are_not_sent_to_the_judge() -> None:
    with JudgeServer(rating_by_reference) as srv:
        scorer = make_judge_scorer(judge_model(srv))

        async def go() -> list[Any]:
            return [await scorer(sample("q"), ModelOutput("The answer", finish_reason="length")),
                    await scorer(sample("q"), ModelOutput("  "))]

        cut, empty = asyncio.run(go())
    assert (cut.status, empty.status) == ("truncated", "no-answer")
    assert srv.bodies == []


def test_retries_transient_failures_and_reports_hard_ones() -> None:
    calls: list[int] = []

    def flaky(prompt: str, body: dict[str, Any]) -> str | int:
        calls.append(1)
        if "server-error-once" in prompt and len(calls) == 1:
            return 503
        if "bad-request" in prompt:
            return 400
        return "Rating: [[5]]"

    with JudgeServer(flaky) as srv:
        scorer = make_judge_scorer(judge_model(srv), max_retries=3)
        scorer.judge.retry_base_s = 0.01

        async def go() -> list[Any]:
            return [await scorer(sample("server-error-once"), ModelOutput("x")),
                    await scorer(sample("bad-request"), ModelOutput("x"))]

        retried, failed = asyncio.run(go())
    assert retried.status == "ok" and retried.details["judge"]["attempts"] == 2
    assert failed.status == "error" and "bad-request HTTP 400" in (failed.reason or "")
    assert failed.details["judge"]["attempts"] == 1  # a 400 is never retried


def test_fatal_judge_failure_stops_asking_and_provider_opens_lazily(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAIMO_TEST_JUDGE_KEY", raising=False)
    with JudgeServer(lambda p, b: 401) as srv:
        # Building the scorer needs neither the key nor the server: the provider opens on use.
        keyless = make_judge_scorer(judge_model(srv, api_key_env="BAIMO_TEST_JUDGE_KEY"))
        denied = make_judge_scorer(judge_model(srv))

        async def go() -> list[Any]:
            out = [await keyless(sample("q"), ModelOutput("x"))]
            out += [await denied(sample("q"), ModelOutput("x")) for _ in range(3)]
            await denied.aclose()
            await denied.aclose()  # idempotent
            return out

        no_key, *refused = asyncio.run(go())
    assert no_key.status == "error" and "BAIMO_TEST_JUDGE_KEY" in (no_key.reason or "")
    assert all(s.status == "error" and "auth HTTP 401" in (s.reason or "") for s in refused)
    assert len(srv.bodies) == 1  # after a fatal failure the judge is not asked again


def test_judge_has_its_own_concurrency_limit() -> None:
    with JudgeServer(lambda p, b: "Rating: [[6]]", delay=0.05) as srv:
        scorer = make_judge_scorer(judge_model(srv, limits={"concurrency": 2}))

        async def go() -> list[Any]:
            try:
                return list(await asyncio.gather(*(
                    scorer(sample(f"q{i}"), ModelOutput("x")) for i in range(8))))
            finally:
                await scorer.aclose()

        scores = asyncio.run(go())
    assert [s.status for s in scores] == ["ok"] * 8
    assert srv.max_in_flight == 2


# ----------------------------------------------------------------------- pairwise


def prefer_marked(prompt: str, body: dict[str, Any]) -> str:
    """A consistent judge: the answer containing GOOD wins; both or neither is a tie."""
    if "NOVERDICT" in (section(prompt, "question") or ""):
        return "Both have merits."
    a, b = section(prompt, "answer_a") or "", section(prompt, "answer_b") or ""
    if ("GOOD" in a) == ("GOOD" in b):
        return "Equivalent. [[C]]"
    return "[[A]]" if "GOOD" in a else "Answer B is better. [[B]]"


def test_pairwise_asks_both_orders_and_position_bias_becomes_a_tie() -> None:
    with JudgeServer(lambda p, b: "The first one is better. [[A]]") as srv:
        verdict = asyncio.run(judge_pair(Judge(judge_model(srv)), "q?", "ans one", "ans two"))
    assert verdict.verdicts == ("A", "B")  # the same letter means opposite models
    assert verdict.winner == "tie" and not verdict.parse_error
    assert verdict.details["orders_disagree"] is True
    shown = [(section(b["messages"][1]["content"], "answer_a"),
              section(b["messages"][1]["content"], "answer_b")) for b in srv.bodies]
    assert sorted(shown) == [("ans one", "ans two"), ("ans two", "ans one")]
    assert all(b["temperature"] == 0.0 for b in srv.bodies)
    assert verdict.details["cost"] == pytest.approx(2 * 120 / 1e6)


def test_pairwise_consistent_judge_picks_the_same_model_in_both_orders() -> None:
    with JudgeServer(prefer_marked) as srv:
        judge = Judge(judge_model(srv))

        async def go() -> list[Any]:
            try:
                return [await judge_pair(judge, "q", "GOOD", "meh"),
                        await judge_pair(judge, "q", "meh", "GOOD", reference="GOOD"),
                        await judge_pair(judge, "q", "meh", "meh too")]
            finally:
                await judge.aclose()

        a_wins, b_wins, tie = asyncio.run(go())
    assert (a_wins.winner, a_wins.verdicts) == ("A", ("A", "A"))
    assert (b_wins.winner, b_wins.verdicts) == ("B", ("B", "B"))
    assert (tie.winner, tie.verdicts) == ("tie", ("tie", "tie"))
    assert b_wins.details["reference_used"] is True
    assert a_wins.details["prompt_id"] == "pairwise-en"


def test_pairwise_parse_error_in_either_order_is_a_parse_error_not_a_loss() -> None:
    def one_order_fails(prompt: str, body: dict[str, Any]) -> str:
        return "[[A]]" if "GOOD" in (section(prompt, "answer_a") or "") else "B is better"

    with JudgeServer(one_order_fails) as srv:
        verdict = asyncio.run(judge_pair(Judge(judge_model(srv)), "q", "GOOD", "meh"))
    assert verdict.parse_error and verdict.winner is None
    assert verdict.status == "judge-parse-error"
    assert verdict.verdicts == ("A", None)
    assert verdict.details["orders"][1]["verdict"] == "B is better"


def test_pairwise_accepts_an_open_provider() -> None:
    from baimo.models.registry import open_provider

    with JudgeServer(prefer_marked) as srv:
        async def go() -> Any:
            async with open_provider(judge_model(srv)) as provider:
                return await judge_pair(provider, "问题？", "GOOD", "meh")

        verdict = asyncio.run(go())
    assert verdict.winner == "A" and verdict.details["prompt_id"] == "pairwise-zh"
    assert all(b["temperature"] == 0.0 for b in srv.bodies)


def test_pairwise_scorer_against_the_reference_baseline() -> None:
    with JudgeServer(prefer_marked) as srv:
        scorer = make_judge_scorer(judge_model(srv), mode="pairwise")

        async def go() -> list[Any]:
            return [await scorer(sample("q", "meh"), ModelOutput("GOOD")),
                    await scorer(sample("q", "GOOD"), ModelOutput("meh")),
                    await scorer(sample("q", "meh"), ModelOutput("meh")),
                    await scorer(sample("q"), ModelOutput("meh"))]

        better, worse, tie, no_baseline = asyncio.run(go())
    assert (better.status, better.value) == ("ok", 1.0)
    assert (worse.status, worse.value) == ("ok", 0.0)
    assert (tie.status, tie.value) == ("ok", 0.5)
    assert no_baseline.status == "error" and "baseline" in (no_baseline.reason or "")


# ----------------------------------------------------------------------- task files


def test_judge_from_spec_validates_the_block() -> None:
    cfg = Config([ModelConfig.model_validate({"name": "j",
                                              "base_url": "http://127.0.0.1:9/v1"})])
    scorer = judge_from_spec({"model": "j", "mode": "single", "rubric": "r", "threshold": 6},
                             cfg)
    assert isinstance(scorer, JudgeScorer)
    assert (scorer.threshold, scorer.rubric, scorer.judge.name) == (6, "r", "j")
    with pytest.raises(ConfigError, match=r"judge\.threshhold: unknown field"):
        judge_from_spec({"model": "j", "threshhold": 6}, cfg)
    with pytest.raises(ConfigError, match=r"judge\.threshold"):
        judge_from_spec({"model": "j", "threshold": 11}, cfg)
    with pytest.raises(ConfigError, match="mode single only"):
        judge_from_spec({"model": "j", "mode": "pairwise", "threshold": 5}, cfg)
    with pytest.raises(ConfigError, match=r"judge\.model"):
        judge_from_spec({"mode": "single"}, cfg)
    with pytest.raises(NotFound, match="no model named 'nope'"):
        judge_from_spec({"model": "nope"}, cfg)


def test_async_scorer_end_to_end_through_run_eval(tmp_path: Path) -> None:
    rows = [
        {"id": "right", "prompt": "7*2? [[answer:14]]", "reference": "14"},
        {"id": "wrong", "prompt": "7*3? [[answer:20]]", "reference": "21"},
        {"id": "unparsed", "prompt": "7*4? [[answer:28 NOVERDICT]]", "reference": "28"},
    ]
    (tmp_path / "d.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    (tmp_path / "t.yaml").write_text(yaml.safe_dump({
        "name": "judged", "dataset": "d.jsonl", "scorer": {"type": "numeric"}}))
    with MockServer(MockConfig()) as models, JudgeServer(rating_by_reference) as judge_srv:
        cfg = Config([ModelConfig.model_validate({"name": "m", "base_url": models.base_url}),
                      judge_model(judge_srv)])
        task = load_task(tmp_path / "t.yaml")
        scorer = judge_from_spec({"model": "judge"}, cfg)
        task.async_scorer = scorer
        store = Store()
        outcome = run_eval(store, [cfg.get("m")], [task])
        asyncio.run(scorer.aclose())  # the run's loop is gone; closing again is harmless
    assert outcome.status == "done"
    got = {r.sample_id: r for r in store.runs.results([outcome.run_id])}
    assert (got["right"].status, got["right"].score) == ("ok", pytest.approx(8 / 9))
    assert (got["wrong"].status, got["wrong"].score) == ("ok", pytest.approx(1 / 9))
    assert got["unparsed"].status == "judge-parse-error"
    assert "8 out of 10" in got["unparsed"].details["judge"]["verdict"]  # type: ignore[index]
    assert got["right"].details["judge"]["prompt_hash"] == get_prompt("single", "en").hash  # type: ignore[index]
    assert len(judge_srv.bodies) == 3
    assert all(b["temperature"] == 0.0 for b in judge_srv.bodies)
    assert all(b["model"] == "judge-1" for b in judge_srv.bodies)


def test_summary_excludes_judge_parse_errors_from_accuracy() -> None:
    from baimo.store.records import ResultRecord

    base = ResultRecord(run_id="r", model_name="m", task="t", task_version="1", sample_id="s1",
                        key="k", category=None, status="ok", score=1.0, extracted=None,
                        reason=None, details=None, prompt_tokens=0, completion_tokens=0,
                        usage_estimated=False, latency_s=None, ttft_s=None, cost=0.0,
                        currency="CNY", attempts=1, cached=False)
    rows = [base, replace(base, sample_id="s2", status="judge-parse-error", score=0.0)]
    assert summarize(rows)["models"]["m"]["overall"]["accuracy"] == 1.0


# ----------------------------------------------------------------------- agreement


def test_cohen_kappa_hand_computed() -> None:
    # 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 → p_o 0.7, p_e 0.5, κ 0.4.
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    # Three labels: p_o = 4/6, p_e = 13/36 → κ = 11/23.
    human = ["A", "A", "B", "B", "tie", "A"]
    judge = ["A", "A", "B", "A", "tie", "tie"]
    assert cohen_kappa(human, judge) == pytest.approx(11 / 23)
    # Linear weights on a 3-point scale: Σw·O = 1/6, Σw·E = 1/2 → κ = 2/3.
    assert cohen_kappa([1, 2, 3], [1, 3, 3], labels=[1, 2, 3], weights="linear") == \
        pytest.approx(2 / 3)
    # Quadratic weights on 1..10: Σw·O = 10/324, Σw·E = 200/1296 → κ = 0.8.
    assert cohen_kappa([7, 3, 9, 5], [7, 4, 9, 2], labels=range(1, 11),
                       weights="quadratic") == pytest.approx(0.8)
    assert cohen_kappa(["A", "B"], ["A", "B"]) == pytest.approx(1.0)
    assert cohen_kappa(["A", "A"], ["A", "A"]) is None  # chance agreement is total
    assert cohen_kappa([], []) is None
    with pytest.raises(ValueError, match="differ in length"):
        cohen_kappa(["A"], [])
    with pytest.raises(ValueError, match="not in the label list"):
        cohen_kappa(["A"], ["Z"], labels=["A", "B"])


def test_cohen_kappa_matches_sklearn() -> None:
    from sklearn import metrics  # a dev dependency: a reference nobody here wrote
    a = [1, 2, 3, 3, 2, 1, 4, 4, 2, 3]
    b = [1, 3, 3, 2, 2, 1, 4, 3, 2, 4]
    for w in (None, "linear", "quadratic"):
        assert cohen_kappa(a, b, weights=w) == pytest.approx(
            metrics.cohen_kappa_score(a, b, weights=w))


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


PAIR_LABELS = [
    # (answer_a, answer_b, human): the judge prefers GOOD, so its labels are A A B A tie tie.
    {"id": 1, "question": "q1", "answer_a": "GOOD", "answer_b": "x", "human": "A"},
    {"id": 2, "question": "q2", "answer_a": "GOOD", "answer_b": "x", "human": "a"},
    {"id": 3, "question": "q3", "answer_a": "x", "answer_b": "GOOD", "human": "B"},
    {"id": 4, "question": "q4", "answer_a": "GOOD", "answer_b": "x", "human": "B"},
    {"id": 5, "question": "q5", "answer_a": "x", "answer_b": "y", "human": "tie"},
    {"id": 6, "question": "q6", "answer_a": "x", "answer_b": "y", "human": "A"},
    {"id": 7, "question": "q7 NOVERDICT", "answer_a": "GOOD", "answer_b": "x",
     "human": "A"},
]


def test_agreement_pairwise_numbers(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "pairs.jsonl", PAIR_LABELS)
    with JudgeServer(prefer_marked) as srv:
        async def go() -> Any:
            async with Judge(judge_model(srv)) as judge:
                return await run_agreement(path, judge)

        rep = asyncio.run(go())
    assert rep.mode == "pairwise"
    assert (rep.total, rep.compared, rep.parse_errors, rep.errors) == (7, 6, 1, 0)
    assert rep.agreement == pytest.approx(4 / 6)
    assert rep.kappa == pytest.approx(11 / 23)
    assert rep.confusion == {"A": {"A": 2, "tie": 1}, "B": {"B": 1, "A": 1},
                             "tie": {"tie": 1}}
    assert len(srv.bodies) == 14  # both orders for every item


def test_agreement_single_numbers(tmp_path: Path) -> None:
    def rate_from_answer(prompt: str, body: dict[str, Any]) -> str:
        m = re.search(r"quality (\d+)", section(prompt, "assistant_answer") or "")
        return f"Rating: [[{m.group(1)}]]" if m else "no idea"

    rows = [{"id": i, "question": f"q{i}", "answer": f"quality {j}", "human_rating": h}
            for i, (h, j) in enumerate([(7, 7), (3, 4), (9, 9), (5, 2)])]
    rows.append({"id": "x", "question": "q", "answer": "unrated", "human_rating": 5})
    path = write_jsonl(tmp_path / "single.jsonl", rows)
    with JudgeServer(rate_from_answer) as srv:
        async def go() -> Any:
            async with Judge(judge_model(srv)) as judge:
                return await run_agreement(path, judge, threshold=6)

        rep = asyncio.run(go())
    assert rep.mode == "single"
    assert (rep.compared, rep.parse_errors) == (4, 1)
    assert rep.agreement == pytest.approx(0.5)
    assert rep.within_one == pytest.approx(0.75)
    assert rep.mean_abs_diff == pytest.approx(1.0)
    assert rep.kappa == pytest.approx(3 / 7)          # p_o 1/2, p_e 1/8
    assert rep.weighted_kappa == pytest.approx(0.8)   # hand-computed above
    assert rep.pass_agreement == pytest.approx(1.0)   # ≥6: (T,T) (F,F) (T,T) (F,F)
    assert rep.pass_kappa == pytest.approx(1.0)


def test_labels_file_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        orjson.dumps(PAIR_LABELS[0]).decode() + "\n"
        + orjson.dumps({**PAIR_LABELS[1], "human": "maybe"}).decode() + "\n"
        + "\n"
        + orjson.dumps({**PAIR_LABELS[2], "id": 1}).decode() + "\n"
        + orjson.dumps({"id": 9, "question": "q", "answer_a": "a", "answer_b": "b",
                        "human": "A", "humna": "B"}).decode() + "\n"
        + orjson.dumps({"id": 10, "question": "q", "answer_a": "a", "human": "A"}).decode()
        + "\n" + "[1, 2]\n")
    with pytest.raises(DatasetError) as info:
        load_labels(path)
    msg = str(info.value)
    assert f"{path}:2: field 'human': must be A, B or tie" in msg
    assert f"{path}:4: field 'id': '1' already used at line 1" in msg
    assert f"{path}:5: field 'humna': unknown field for pairwise labels" in msg
    assert f"{path}:6: field 'answer_b': Field required" in msg
    assert f"{path}:7: expected a JSON object" in msg
    (tmp_path / "broken.jsonl").write_text('{"id": 1,\n')
    with pytest.raises(DatasetError, match=r"broken\.jsonl:1: invalid JSON"):
        load_labels(tmp_path / "broken.jsonl")
    single = write_jsonl(tmp_path / "s.jsonl", [
        {"id": 1, "question": "q", "answer": "a", "human_rating": 11}])
    with pytest.raises(DatasetError, match=r"s\.jsonl:1: field 'human_rating'"):
        load_labels(single)
    with pytest.raises(DatasetError, match="file not found"):
        load_labels(tmp_path / "missing.jsonl")


def test_rate_answer_with_a_bare_provider_is_still_temperature_zero() -> None:
    from baimo.models.openai import OpenAIProvider

    with JudgeServer(lambda p, b: "Rating: [[4]]") as srv:
        async def go() -> Any:
            provider = OpenAIProvider(judge_model(srv, params={"temperature": 1.0}))
            try:
                return await rate_answer(provider, "q", "a")
            finally:
                await provider.aclose()

        verdict = asyncio.run(go())
    assert verdict.rating == 4 and verdict.status == "ok"
    assert srv.bodies[0]["temperature"] == 0.0


def test_task_file_judge_block_is_wired(tmp_path: Path) -> None:
    from baimo.config import load_config
    from baimo.tasks.task import load_task

    (tmp_path / "d.jsonl").write_text('{"id": 1, "prompt": "Explain tides.", "reference": "x"}\n')
    (tmp_path / "baimo.yaml").write_text(
        "models:\n  - name: judge-m\n    base_url: http://127.0.0.1:9/v1\n")
    (tmp_path / "t.yaml").write_text(
        "name: essay\ndataset: d.jsonl\nscorer: {type: contains}\n"
        "judge: {model: judge-m, mode: single, threshold: 6}\n")
    task = load_task(tmp_path / "t.yaml", load_config(tmp_path / "baimo.yaml"))
    assert task.async_scorer is not None
    assert task.spec["judge"]["model"] == "judge-m"
