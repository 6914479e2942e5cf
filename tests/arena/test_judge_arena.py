"""Judge battles against loopback servers, calibration on a labelled set, and the CLI.

The models and the judge are reached over HTTP (``arena_servers.ArenaServer``); nothing in
baimo is patched. The expected outcome of every battle is computed here from the server's rules, then
compared with what baimo stored and computed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from arena_servers import ArenaServer, correct, model_answer, models_yaml, truth
from typer.testing import CliRunner

from baimo.arena.battles import comparisons, follow_up, run_battle, vote
from baimo.arena.boards import build_boards
from baimo.arena.calibration import calibrate
from baimo.arena.judge import judge_battles
from baimo.cli.main import app
from baimo.config import load_config
from baimo.errors import BaimoError
from baimo.stats import cohen_kappa
from baimo.store.battles import AlreadyVoted
from baimo.store.store import Store
from baimo.tasks.judge import Judge
from baimo.tasks.task import load_task
from support import write_models, write_task

MODELS = ("good-1", "wordy-1", "bad-1")


def expected_winner(prompt: str, a: str, b: str) -> str | None:
    """What the judge's rules make of a battle: None for a parse failure."""
    x = truth(prompt)
    if x % 77 == 0:
        return None
    ca, cb = correct(model_answer(a, prompt), x), correct(model_answer(b, prompt), x)
    if ca and cb:
        return "tie"  # position bias: [[A]] in both orders → disagreement → tie
    return "model_a" if ca and not cb else "model_b" if cb and not ca else "tie"


def human_label(prompt: str, a: str, b: str) -> str:
    """The labelled set: people prefer correct answers, and among two correct ones the
    markdown one when the answer is even (a taste the judge does not share)."""
    x = truth(prompt)
    ca, cb = correct(model_answer(a, prompt), x), correct(model_answer(b, prompt), x)
    if ca != cb:
        return "model_a" if ca else "model_b"
    if not ca:
        return "tie (bothbad)"
    if x % 2 == 0 and "wordy-1" in (a, b):
        return "model_a" if a == "wordy-1" else "model_b"
    return "tie"


@pytest.fixture
def setup(tmp_path: Path, arena_server: ArenaServer) -> dict[str, Any]:
    models = write_models(tmp_path, arena_server.base_url, models_yaml(arena_server.base_url))
    task = write_task(tmp_path, 24, name="arith")
    return {"models": models, "task": task, "tmp": tmp_path}


def test_judge_battles_store_everything_and_rule_by_both_orders(
        setup: dict[str, Any], arena_server: ArenaServer) -> None:
    cfg = load_config(setup["models"])
    task = load_task(setup["task"], cfg)
    store = Store()

    async def go() -> Any:
        async with Judge(cfg.get("judge-1")) as j:
            return await judge_battles(store, [cfg.get(m) for m in MODELS], [task], j,
                                       seed=3)

    summary = asyncio.run(go())
    assert summary.planned == 24 * 3 and summary.battles == 72
    battles = store.battles.all()
    votes = store.battles.votes()
    assert len(battles) == 72 and len(votes) == 72
    by_id = {b.id: b for b in battles}
    parse_errors = 0
    for v in votes:
        b = by_id[v.battle_id]
        prompt = b.conversation_a[0]["content"]
        want = expected_winner(prompt, b.model_a, b.model_b)
        assert v.role == "judge" and v.voter == "judge:judge-1"
        if want is None:
            assert v.status == "judge-parse-error" and v.winner is None
            parse_errors += 1
        else:
            assert (v.status, v.winner) == ("ok", want), (b.model_a, b.model_b, prompt)
        # both answers, tokens, timings and cost are stored
        assert b.answers("a") == [model_answer(b.model_a, prompt)]
        assert b.answers("b") == [model_answer(b.model_b, prompt)]
        assert b.completion_tokens_a == len(model_answer(b.model_a, prompt).split(" "))
        assert b.latency_s_a is not None and b.latency_s_a > 0 and b.ttft_s_a is not None
        assert b.cost_a == pytest.approx((20 * 1.0 + b.completion_tokens_a * 2.0) / 1e6)
        assert b.origin == "judge" and b.prompt_source == "suite" and b.task == "arith"
    assert summary.verdicts == {"ok": 72 - parse_errors, "judge-parse-error": parse_errors}
    assert parse_errors == 3 * 3  # x = 0, 77, 154 (i = 0, 11, 22), three pairs each
    # the judge was asked in both orders at temperature 0
    judge_bodies = [b for b in arena_server.bodies if b["model"] == "judge-1"]
    assert len(judge_bodies) == 144 and all(b["temperature"] == 0 for b in judge_bodies)
    # sides are shuffled: every model appears as model_a somewhere
    assert {b.model_a for b in battles} == set(MODELS)

    # Parse failures are left out of the ratings; the judge board puts the correct models
    # above the wrong one.
    boards = build_boards(store, roles=("judge",), ci="sandwich", categories=False)
    rb = boards.roles["judge"]
    assert rb.votes == 72 - parse_errors and boards.excluded["judge-parse-error"] == 9
    assert rb.board is not None
    ranks = {r.model: r for r in rb.board.ratings}
    assert ranks["bad-1"].rating < ranks["good-1"].rating - 200
    assert ranks["bad-1"].rank > ranks["good-1"].rank

    # Running again continues: nothing is asked twice.
    n_requests = len(arena_server.bodies)
    again = asyncio.run(go())
    assert again.battles == 0 and again.skipped == 72 and len(arena_server.bodies) == n_requests


def test_calibration_on_a_labelled_set(setup: dict[str, Any]) -> None:
    cfg = load_config(setup["models"])
    task = load_task(setup["task"], cfg)
    store = Store()

    async def go() -> Any:
        async with Judge(cfg.get("judge-1")) as j:
            return await judge_battles(store, [cfg.get(m) for m in MODELS], [task], j)

    asyncio.run(go())
    # The labelled set: a human label for every battle (stored as a human vote).
    human: list[str] = []
    judged: list[str] = []
    flips = both_parsed = 0
    norm = {"model_a": "A", "model_b": "B", "tie": "tie", "tie (bothbad)": "tie"}
    for b in store.battles.all():
        prompt = b.conversation_a[0]["content"]
        label = human_label(prompt, b.model_a, b.model_b)
        vote(store, b.id, "alice", label)
        want = expected_winner(prompt, b.model_a, b.model_b)
        if want is None:
            continue
        both_parsed += 1
        x = truth(prompt)
        flips += int(correct(model_answer(b.model_a, prompt), x)
                     and correct(model_answer(b.model_b, prompt), x))
        human.append(norm[label])
        judged.append(norm[want])
    (cal,) = calibrate(store.battles.votes())
    agree = sum(h == j for h, j in zip(human, judged, strict=True))
    assert cal.judge == "judge:judge-1"
    assert cal.pairs == len(human) == 63
    assert cal.agreement == pytest.approx(agree / len(human))
    assert cal.kappa == pytest.approx(cohen_kappa(human, judged, labels=["A", "B", "tie"]))
    assert cal.position_bias == pytest.approx(flips / both_parsed)
    assert cal.parse_errors == 9
    assert 0.5 < cal.agreement < 1.0 and cal.kappa is not None and 0 < cal.kappa < 1
    print(f"labelled set: agreement {cal.agreement:.3f} ({agree}/{len(human)}), "
          f"kappa {cal.kappa:.3f}, position bias {cal.position_bias:.3f} "
          f"({flips}/{both_parsed}), parse errors {cal.parse_errors}")
    # Human, judge and both are separate boards; the human board sees the markdown taste.
    boards = build_boards(store, ci="sandwich", categories=False)
    assert boards.roles["human"].votes == 72 and boards.roles["both"].votes == 72 + 63


def test_battle_follow_up_vote_rules(setup: dict[str, Any]) -> None:
    cfg = load_config(setup["models"])
    store = Store()
    prompt = [{"role": "user", "content": "What is 6 times 7? [[answer:42]]"}]

    async def go() -> Any:
        b = await run_battle(store, cfg.get("good-1"), cfg.get("bad-1"), prompt,
                             created_by="alice")
        return await follow_up(store, b.id, cfg.get("good-1"), cfg.get("bad-1"),
                               "Are you sure?")

    b = asyncio.run(go())
    assert b.turns == 2 and b.status == "answered"
    assert b.answers("a") == ["The answer is 42.", "Follow-up 1: The answer is 42."]
    assert b.answers("b")[1] == "Follow-up 1: The answer is 43."
    assert b.completion_tokens_a == 4 + 6
    assert store.battles.created_since("alice", 0) == 1
    vote(store, b.id, "alice", "model_a")
    with pytest.raises(AlreadyVoted, match="one vote per voter"):
        vote(store, b.id, "alice", "model_b")
    vote(store, b.id, "bob", "tie (bothbad)")
    with pytest.raises(BaimoError, match="not 'A'"):
        vote(store, b.id, "carol", "A")
    with pytest.raises(BaimoError, match="has been voted on"):
        asyncio.run(follow_up(store, b.id, cfg.get("good-1"), cfg.get("bad-1"), "more?"))
    comps = comparisons(store.battles.all(), store.battles.votes(), "human")
    assert [c.winner for c in comps] == ["model_a", "tie (bothbad)"]
    assert comps[0].style_a is not None and comps[0].style_a.length == 10


def test_a_failed_side_is_stored_and_cannot_be_voted(tmp_path: Path,
                                                     arena_server: ArenaServer) -> None:
    models = [*models_yaml(arena_server.base_url), {
        "name": "down", "model": "down", "base_url": "http://127.0.0.1:9/v1",
        "limits": {"max_retries": 0, "timeout_s": 2}}]
    cfg = load_config(write_models(tmp_path, arena_server.base_url, models))
    store = Store()
    b = asyncio.run(run_battle(store, cfg.get("good-1"), cfg.get("down"),
                               [{"role": "user", "content": "1+1? [[answer:2]]"}]))
    assert b.status == "failed" and b.error and "down" in b.error
    assert b.answers("a") == ["The answer is 2."] and b.answers("b") == []
    with pytest.raises(BaimoError, match="only an answered battle"):
        vote(store, b.id, "alice", "model_a")


def test_cli_judge_ratings_export_import_next(setup: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["arena", "judge", "--models", "good-1", "--models", "wordy-1",
                              "--models", "bad-1", "--judge", "judge-1", "--task",
                              str(setup["task"]), "--config", str(setup["models"]),
                              "--limit", "12"])
    assert res.exit_code == 0, res.output
    assert "parse errors 6" in res.output and "36 new battle(s)" in res.output
    res = runner.invoke(app, ["arena", "ratings", "--ci", "sandwich", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    judge_board = data["roles"]["judge"]["board"]
    assert judge_board["method"]["ci"] == "sandwich"
    # Each model here writes the same length and markdown on every prompt: style is the
    # model's identity, so style control cannot apply and says so (raw ratings only).
    assert judge_board["method"]["style_requested"] is True
    assert judge_board["method"]["style_control"] is False
    assert any("style control is off" in w for w in judge_board["warnings"])
    assert data["roles"]["human"]["note"] == "no votes yet"
    assert {r["model"] for r in judge_board["ratings"]} == set(MODELS)
    res = runner.invoke(app, ["arena", "ratings", "--no-style-control", "--rounds", "200",
                              "--role", "judge"])
    assert res.exit_code == 0, res.output
    assert "percentile bootstrap over battles, 200 rounds" in res.output.replace("\n  ", " ")
    assert "unchecked judge" in res.output
    res = runner.invoke(app, ["arena", "ratings", "--ci", "jackknife"])
    assert res.exit_code == 2 and "--ci must be bootstrap or sandwich" in res.output

    out = tmp_path / "battles.json"
    res = runner.invoke(app, ["arena", "export", str(out)])
    assert res.exit_code == 0, res.output
    rows = json.loads(out.read_text())
    assert len(rows) == 36 - 6
    assert {r["winner"] for r in rows} <= {"model_a", "model_b", "tie", "tie (bothbad)"}
    assert all(r["conversation_a"][0]["role"] == "user" for r in rows)

    res = runner.invoke(app, ["arena", "next", "--json", "--battles", "10"])
    assert res.exit_code == 0, res.output
    nxt = json.loads(res.stdout)
    assert len(nxt) == 3 and nxt[0]["shrinkage"] >= nxt[-1]["shrinkage"] > 0
    assert all(p["width_after"] < p["width_now"] for p in nxt)

    res = runner.invoke(app, ["arena", "battles", "--json", "--limit", "5"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)) == 5
    first = json.loads(res.stdout)[0]["battle"]
    res = runner.invoke(app, ["arena", "vote", first, "bothbad", "--voter", "ann"])
    assert res.exit_code == 0 and "tie (bothbad)" in res.output
    res = runner.invoke(app, ["arena", "vote", first, "model_a", "--voter", "ann"])
    assert res.exit_code == 2 and "one vote per voter per battle" in res.output


def test_cli_judge_needs_prompts_and_models(setup: dict[str, Any]) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["arena", "judge", "--models", "good-1", "--models", "bad-1",
                              "--judge", "judge-1", "--config", str(setup["models"])])
    assert res.exit_code == 2 and "--suite NAME or --task FILE" in res.output
    res = runner.invoke(app, ["arena", "judge", "--models", "good-1", "--models", "nope",
                              "--judge", "judge-1", "--config", str(setup["models"]),
                              "--task", str(setup["task"])])
    assert res.exit_code == 2 and "no model named 'nope'" in res.output


def test_cli_judge_with_no_verdict_obtained_exits_1(setup: dict[str, Any]) -> None:
    import socket

    with socket.socket() as sock:  # free a moment ago: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    doc = yaml.safe_load(setup["models"].read_text())
    doc["models"].append({"name": "deaf", "provider": "openai-compatible",
                          "base_url": f"http://127.0.0.1:{port}/v1",
                          "limits": {"max_retries": 0}})
    setup["models"].write_text(yaml.safe_dump(doc))
    res = CliRunner().invoke(app, ["arena", "judge", "--models", "good-1", "--models", "bad-1",
                                   "--judge", "deaf", "--config", str(setup["models"]),
                                   "--task", str(setup["task"]), "--battles", "2"])
    assert res.exit_code == 1, res.output
    flat = " ".join(res.output.split())
    assert "no verdict was obtained" in flat and "cannot connect" in flat, flat


def test_active_pairing_runs_the_budget(setup: dict[str, Any]) -> None:
    cfg = load_config(setup["models"])
    task = load_task(setup["task"], cfg)
    store = Store()

    async def go() -> Any:
        async with Judge(cfg.get("judge-1")) as j:
            return await judge_battles(store, [cfg.get(m) for m in MODELS], [task], j,
                                       pairing="active", battles=12, concurrency=4)

    s = asyncio.run(go())
    assert s.battles == 12
    pairs = {frozenset((b.model_a, b.model_b)) for b in store.battles.all()}
    assert pairs == {frozenset(p) for p in itertools.combinations(MODELS, 2)}


def test_cli_next_and_vote_refuse_nonsense(setup: dict[str, Any]) -> None:
    """``next --battles`` below 1 and an empty ``--voter`` are refused (2); nothing is
    voted in anyone's name."""
    runner = CliRunner()
    res = runner.invoke(app, ["arena", "judge", "--models", "good-1,bad-1,wordy-1", "--judge",
                              "judge-1", "--task", str(setup["task"]), "--config",
                              str(setup["models"]), "--limit", "2"])
    assert res.exit_code == 0, res.output
    for n in ("0", "-5"):
        res = runner.invoke(app, ["arena", "next", "--battles", n])
        assert res.exit_code == 2 and "Invalid value for '--battles'" in res.output, res.output
        assert "battle(s)" not in res.output
    res = runner.invoke(app, ["arena", "next", "--top", "0"])
    assert res.exit_code == 2 and "Invalid value for '--top'" in res.output
    assert runner.invoke(app, ["arena", "next", "--battles", "1"]).exit_code == 0
    battle = json.loads(runner.invoke(app, ["arena", "battles", "--json"]).stdout)[0]
    for empty in ("", "   "):
        res = runner.invoke(app, ["arena", "vote", battle["battle"], "model_a", "--voter",
                                  empty])
        assert res.exit_code == 2, res.output
        assert "--voter is empty: give the name of the person voting" in res.output
    assert {v.role for v in Store().battles.votes(battle_ids=[battle["battle"]])} == {"judge"}
    with pytest.raises(BaimoError, match="a vote needs the voter's name"):
        vote(Store(), battle["battle"], " ", "model_a")
    res = runner.invoke(app, ["arena", "vote", battle["battle"], "model_a", "--voter", " ann "])
    assert res.exit_code == 0 and "vote by ann on" in res.output
