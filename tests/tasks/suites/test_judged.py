"""Multi-turn and EQ suites: a loopback model and a loopback judge over real HTTP.

The model server answers by the sample; the judge server rates what sits between the judge
prompt's ``<assistant_answer>`` tags: GOOD → 9, OK → 6, BAD → 2, and no verdict for GARBLE,
so every score below can be computed by hand.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from loopback import Reply, models_file, serve

from baimo.config import load_config
from baimo.errors import ConfigError
from baimo.reports.build import write_report
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.judge import Judge, load_labels, run_agreement
from baimo.tasks.registry import SuiteOptions, build_suite
from baimo.tasks.suites.eq import EQ_RUBRIC, labels_path, load_eq
from baimo.tasks.suites.multiturn import load_multiturn

RATING = {"GOOD": 9, "OK": 6, "BAD": 2}


def _judge(body: dict[str, Any]) -> Reply:
    prompt = body["messages"][-1]["content"]
    m = re.search(r"<assistant_answer>\n(.*?)\n</assistant_answer>", prompt, re.S)
    assert m, "not a single-answer judge prompt"
    word = re.findall(r"GOOD|OK|BAD|GARBLE", m.group(1))
    if not word or word[-1] == "GARBLE":
        return Reply(text="I cannot decide.")
    return Reply(text=f"Fine.\nRating: [[{RATING[word[-1]]}]]")


def _with_judge(model_reply: Any) -> Any:
    def reply(body: dict[str, Any]) -> Reply:
        if body["model"] == "judge-1":
            assert body["temperature"] == 0
            return _judge(body)
        return model_reply(body)
    return reply


def _run(tmp_path: Path, suite: str, model_reply: Any) -> tuple[list[Any], Store, str, Any]:
    with serve(_with_judge(model_reply)) as srv:
        path = models_file(tmp_path, srv.base_url, [{"name": "m", "model": "m-1"},
                                                    {"name": "j", "model": "judge-1"}])
        cfg = load_config(path)
        store = Store()
        out = run_eval(store, [cfg.get("m")],
                       build_suite(suite, SuiteOptions(judge=cfg.get("j"))))
        bodies = list(srv.bodies)
    return store.runs.results([out.run_id]), store, out.run_id, bodies


MT = {s.id: s for s in load_multiturn()}
# turn 1 / turn 2 words per conversation: hand-computed ratings below.
MT_PLAN = {sid: ("GOOD", "GOOD") for sid in MT}
MT_PLAN.update({"mt-en-1": ("GOOD", "BAD"), "mt-zh-1": ("OK", "OK"), "mt-en-2": ("BAD", "GOOD"),
                "mt-zh-2": ("GOOD", "GARBLE"), "mt-en-3": ("GOOD", "")})


def _mt_model(body: dict[str, Any]) -> Reply:
    first = body["messages"][0]["content"]
    sid = next(k for k, s in MT.items() if s.metadata["turns"][0] == first)
    turn = sum(1 for m in body["messages"] if m["role"] == "assistant")
    if turn == 1:
        # The follow-up really carries the model's first answer and the second question.
        assert body["messages"][1]["content"].startswith(f"[{sid} turn 1]")
        assert body["messages"][2]["content"] == MT[sid].metadata["turns"][1]
    word = MT_PLAN[sid][turn]
    return Reply(text=f"[{sid} turn {turn + 1}] {word}" if word else "")


def test_multiturn_scores_each_turn(tmp_path: Path) -> None:
    rows, store, run_id, bodies = _run(tmp_path, "multiturn", _mt_model)
    by = {r.sample_id: r for r in rows}
    assert len(rows) == 12
    assert by["mt-en-1"].status == "ok"
    assert by["mt-en-1"].details["turn1"] == 9 and by["mt-en-1"].details["turn2"] == 2
    assert by["mt-en-1"].score == pytest.approx(((9 - 1) / 9 + (2 - 1) / 9) / 2)
    assert by["mt-zh-1"].score == pytest.approx(5 / 9)
    assert by["mt-zh-2"].status == "judge-parse-error"
    assert by["mt-en-3"].status == "no-answer"  # empty second turn: not sent to the judge
    ok = [r for r in rows if r.status == "ok"]
    assert len(ok) == 10
    # The ok rows: seven all-GOOD conversations, then en-1 (9, 2), zh-1 (6, 6), en-2 (2, 9).
    t1 = [r.details["turn1"] for r in ok]
    t2 = [r.details["turn2"] for r in ok]
    assert sum(t1) == 7 * 9 + 9 + 6 + 2 and sum(t2) == 7 * 9 + 2 + 6 + 9
    # Judge saw turn 2 with the whole conversation.
    judged = [b for b in bodies if b["model"] == "judge-1"]
    assert any("[mt-en-1 turn 1]" in b["messages"][-1]["content"]
               and "[mt-en-1 turn 2]" in b["messages"][-1]["content"] for b in judged)
    html = tmp_path / "r.html"
    write_report(store, [run_id], html, "html", None)
    page = html.read_text()
    assert "turn 2 mean rating" in page and f"{sum(t2) / 10:.2f} / 10" in page


EQ = {s.id: s for s in load_eq()}


def _eq_model(body: dict[str, Any]) -> Reply:
    prompt = body["messages"][-1]["content"]
    sid = next(k for k, s in EQ.items() if s.messages[-1]["content"] == prompt)
    word = {"eq-en-1": "BAD", "eq-zh-1": "OK", "eq-en-2": "GARBLE"}.get(sid, "GOOD")
    if sid == "eq-zh-2":
        return Reply(text="我理解你的感受，" * 3, finish="length")
    return Reply(text=f"I hear you. {word}")


def test_eq_judged_with_rubric_and_reference(tmp_path: Path) -> None:
    rows, _, _, bodies = _run(tmp_path, "eq", _eq_model)
    by = {r.sample_id: r for r in rows}
    assert by["eq-en-1"].score == pytest.approx(1 / 9)
    assert by["eq-zh-1"].score == pytest.approx(5 / 9)
    assert by["eq-en-2"].status == "judge-parse-error"
    assert by["eq-zh-2"].status == "truncated"
    ok = [r for r in rows if r.status == "ok"]
    assert len(ok) == 14
    assert sum(r.score for r in ok) == pytest.approx(12 * 8 / 9 + 1 / 9 + 5 / 9)
    judged = [b["messages"][-1]["content"] for b in bodies if b["model"] == "judge-1"]
    assert all(EQ_RUBRIC[:60] in p for p in judged)
    assert any(EQ["eq-en-1"].reference in p for p in judged)  # the item's note as reference


def test_judged_suites_need_a_judge() -> None:
    with pytest.raises(ConfigError, match="--judge"):
        build_suite("eq", SuiteOptions())


def test_eq_calibration_agreement_hand_computed(tmp_path: Path) -> None:
    _, items = load_labels(labels_path(), "single")
    assert len(items) == 12 and all(it.reference for it in items)
    humans = {it.id: int(it.human) for it in items}

    def judge(body: dict[str, Any]) -> Reply:
        prompt = body["messages"][-1]["content"]
        answer = re.search(r"<assistant_answer>\n(.*?)\n</assistant_answer>", prompt, re.S)
        assert answer and EQ_RUBRIC[:60] in prompt
        it = next(i for i in items if i.answer == answer.group(1))
        # Agrees exactly on the English items, one point high on the Chinese ones.
        return Reply(text=f"Rating: [[{min(10, humans[it.id] + (it.language == 'zh'))}]]")

    with serve(judge) as srv:
        cfg = load_config(models_file(tmp_path, srv.base_url, [{"name": "j", "model": "j-1"}]))

        async def go() -> Any:
            async with Judge(cfg.get("j")) as j:
                return await run_agreement(labels_path(), j, rubric=EQ_RUBRIC, threshold=7)

        rep = asyncio.run(go())
    assert rep.compared == 12
    assert rep.agreement == pytest.approx(6 / 12)
    assert rep.within_one == 1.0
    assert rep.pass_agreement == 1.0  # no item crosses 7 by one point: 4 → 5, 8 → 9, 2 → 3
