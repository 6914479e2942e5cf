"""Long-context suite against a loopback server that retrieves only below a given length."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from loopback import Reply, models_file, serve

from baimo.config import load_config
from baimo.models.base import estimate_tokens
from baimo.reports.build import write_report
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.registry import SuiteOptions, build_suite
from baimo.tasks.suites.longctx import (
    build_longctx,
    effective_length,
    headline_facts,
    headline_grid,
    lengths_for,
)

WINDOW = 8192  # lengths 1024, 2048, 4096 and 7168
LIMIT_TOKENS = 3000  # the server finds needles only in prompts shorter than this


def _retriever(limit: int, *, garble: bool = False) -> Any:
    def reply(body: dict[str, Any]) -> Reply:
        text = body["messages"][-1]["content"]
        if garble:
            return Reply(text="")
        if estimate_tokens(text) >= limit:
            return Reply(text="I could not find it.")
        codes = dict(re.findall(r"The access code for the (\w+) locker is (\d+)", text))
        codes.update(re.findall(r"(.)色储物柜的密码是(\d+)", text))
        question = text.rsplit("\n\n", 1)[1]
        wanted = [c for c in codes if c in question]
        return Reply(text="\n".join(f"{c}: {codes[c]}" for c in wanted))
    return reply


def test_lengths_and_needles_are_where_they_say() -> None:
    assert lengths_for(8192) == [1024, 2048, 4096, 7168]
    assert lengths_for(None)[-1] == 32768 - 1024
    samples = build_longctx(8192, seed=3)
    assert len(samples) == 4 * (5 * 2 + 2)
    assert samples == build_longctx(8192, seed=3)  # seeded: the same prompts every time
    for s in samples:
        text = s.messages[0]["content"]
        assert abs(estimate_tokens(text) - s.metadata["length"]) < 0.05 * s.metadata["length"] + 120
        for code in s.reference:
            assert text.count(code) == 1
        if s.metadata["kind"] == "single":
            pos = text.index(s.reference[0]) / len(text.split("\n\n")[0])
            assert abs(pos - s.metadata["depth"]) < 0.05


def _run(tmp_path: Path, reply: Any, window: int | None) -> tuple[list[Any], Store, str]:
    with serve(reply) as srv:
        m: dict[str, Any] = {"name": "m", "model": "m-1"}
        if window:
            m["context_window"] = window
        path = models_file(tmp_path, srv.base_url, [m])
        store = Store()
        out = run_eval(store, [load_config(path).get("m")],
                       build_suite("longctx", SuiteOptions(context_window=WINDOW)))
    return store.runs.results([out.run_id]), store, out.run_id


def _dicts(rows: list[Any]) -> list[dict[str, Any]]:
    return [{"status": r.status, "score": r.score, "details": r.details} for r in rows]


def test_right_only_below_a_length_hand_computed(tmp_path: Path) -> None:
    rows, store, run_id = _run(tmp_path, _retriever(LIMIT_TOKENS), window=None)
    assert len(rows) == 48
    ok = {r.sample_id for r in rows if r.status == "ok"}
    # 1024 and 2048 tokens: 10 single + 2 multi each are right; 4096 and 7168 none.
    assert len(ok) == 24
    assert all(int(s.split("-")[2]) < LIMIT_TOKENS for s in ok)
    d = _dicts(rows)
    assert effective_length(d) == 2048
    facts = dict(headline_facts(d))
    assert facts["longest length ≥ 90%"] == "2,048 tokens"
    assert facts["claimed window"] == "not configured"
    grid = headline_grid(d)
    assert grid is not None and grid.rows == ["1,024", "2,048", "4,096", "7,168"]
    assert grid.cells[("1,024", "50%")] == (2, 2) and grid.cells[("4,096", "0%")] == (0, 2)
    # The heatmap reaches the HTML report.
    html = tmp_path / "r.html"
    write_report(store, [run_id], html, "html", None)
    page = html.read_text()
    assert "Long context (needle in a haystack)" in page and "class='heatmap'" in page
    assert "2,048 tokens" in page
    # The same run in the Xinhua index's terms: long context counts under 工具提效.
    assert "基础能力 / 智商 / 情商 / 工具提效" in page and "longctx" in page


def test_claimed_window_lengths_are_unsupported_not_zero(tmp_path: Path) -> None:
    rows, _, _ = _run(tmp_path, _retriever(10**9), window=4096)
    by_len: dict[int, set[str]] = {}
    for r in rows:
        by_len.setdefault(r.details["length"], set()).add(r.status)
    # 4096 + 64 answer tokens do not fit a 4,096 window; 7168 neither.
    assert by_len == {1024: {"ok"}, 2048: {"ok"}, 4096: {"unsupported"}, 7168: {"unsupported"}}
    d = _dicts(rows)
    assert effective_length(d) == 2048
    assert dict(headline_facts(d))["claimed window"] == "4,096 tokens"
    grid = headline_grid(d)
    assert grid is not None and "beyond the claimed window" in grid.notes["4,096"]


def test_empty_answers_are_no_answer(tmp_path: Path) -> None:
    rows, _, _ = _run(tmp_path, _retriever(0, garble=True), window=None)
    assert {r.status for r in rows} == {"no-answer"}
    assert effective_length(_dicts(rows)) is None


@pytest.mark.parametrize("answer,ok", [("Code: 123456.", True), ("1234567", False),
                                       ("123,456", True), ("12345", False)])
def test_digits_must_match_whole(answer: str, ok: bool) -> None:
    from baimo.tasks.suites.longctx import longctx_scorer
    from baimo.tasks.types import ModelOutput, Sample

    s = Sample("x", ({"role": "user", "content": "q"},), ["123456"],
               metadata={"length": 1024, "depth": 0.5, "kind": "single"})
    assert (longctx_scorer(s, ModelOutput(answer, finish_reason="stop")).status == "ok") is ok
