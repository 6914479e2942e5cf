"""FastChat/LMArena battle JSON in and out, and the battles repository on both databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from baimo.arena.battles import comparisons
from baimo.arena.interchange import export_battles, import_battles
from baimo.arena.ratings import leaderboard
from baimo.arena.synthetic import simulate
from baimo.errors import DatasetError
from baimo.store.battles import AlreadyVoted, BattleRecord, VoteRecord, new_battle_id
from baimo.store.store import Store

FASTCHAT_ROWS = [
    {"question_id": "q1", "model_a": "alpha", "model_b": "beta", "winner": "model_a",
     "judge": "arena_user_1", "turn": 1, "anony": True, "language": "English",
     "tstamp": 1700000000.5,
     "conversation_a": [{"role": "user", "content": "Hi"},
                        {"role": "assistant", "content": "# Hello\n\n- **there**"}],
     "conversation_b": [{"role": "user", "content": "Hi"},
                        {"role": "assistant", "content": "hello"}]},
    # the same battle voted by a second user
    {"question_id": "q1", "model_a": "alpha", "model_b": "beta", "winner": "tie",
     "judge": "arena_user_2", "conversation_a": [], "conversation_b": []},
    # LMArena spellings: id, both_bad, content as parts, conv_metadata as dicts
    {"id": 77, "model_a": "beta", "model_b": "gamma", "winner": "both_bad",
     "conversation_a": [{"role": "user", "content": [{"type": "text", "text": "Q"}]},
                        {"role": "assistant", "content": [{"type": "text", "text": "A1"}]}],
     "conversation_b": [{"role": "user", "content": [{"type": "text", "text": "Q"}]},
                        {"role": "assistant", "content": [{"type": "text", "text": "A2"}]}],
     "conv_metadata": {"sum_assistant_a_tokens": 120, "sum_assistant_b_tokens": 30,
                       "header_count_a": {"h1": 1, "h2": 2}, "bold_count_a": {"**": 3}}},
    {"question_id": "q3", "model_a": "gamma", "model_b": "alpha", "winner": "tie (bothbad)"},
]


def test_import_fastchat_and_lmarena_rows(tmp_path: Path) -> None:
    src = tmp_path / "battles.json"
    src.write_text(json.dumps(FASTCHAT_ROWS))
    store = Store()
    rep = import_battles(store, src)
    assert (rep.rows, rep.battles, rep.votes) == (4, 3, 4)
    battles = {b.external_id.split("|")[0]: b for b in store.battles.all() if b.external_id}
    assert set(battles) == {"q1", "77", "q3"}
    assert battles["q1"].answers("a") == ["# Hello\n\n- **there**"]
    assert battles["q1"].created_at == 1700000000.5
    assert battles["77"].answers("b") == ["A2"] and battles["77"].completion_tokens_a == 120
    votes = store.battles.votes()
    assert [v.winner for v in votes] == ["model_a", "tie", "tie (bothbad)", "tie (bothbad)"]
    assert {v.voter for v in votes if v.battle_id == battles["q1"].id} == {
        "import:arena_user_1", "import:arena_user_2"}
    comps = comparisons(store.battles.all(), votes, "human")
    q1 = next(c for c in comps if c.model_a == "alpha" and c.model_b == "beta")
    assert q1.style_a is not None and (q1.style_a.headers, q1.style_a.lists,
                                       q1.style_a.bold) == (1, 1, 1)
    # importing again stores nothing twice
    again = import_battles(store, src)
    assert (again.battles, again.votes, again.skipped_duplicates) == (0, 0, 4)


def test_import_jsonl_and_errors_name_row_and_field(tmp_path: Path) -> None:
    good = tmp_path / "ok.jsonl"
    good.write_bytes(b"\n".join(orjson.dumps(r) for r in FASTCHAT_ROWS[:2]) + b"\n")
    assert import_battles(Store(), good).votes == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"model_a": "x", "model_b": "y", "winner": "A"}\n'
                   '{"model_a": "x", "winner": "tie"}\n[1]\n')
    with pytest.raises(DatasetError) as exc:
        import_battles(Store(), bad)
    msg = str(exc.value)
    assert f"{bad}:1: field 'winner': " in msg and "both_bad" in msg
    assert f"{bad}:2: field 'model_b'" in msg
    assert f"{bad}:3: expected a JSON object" in msg
    assert "nothing was imported" in msg
    broken = tmp_path / "broken.json"
    broken.write_text("[{]")
    with pytest.raises(DatasetError, match="invalid JSON"):
        import_battles(Store(), broken)


def test_a_bom_file_loads_and_a_directory_is_a_message(tmp_path: Path) -> None:
    # Windows editors save JSON with a UTF-8 BOM; a directory must not end in a traceback.
    src = tmp_path / "bom.json"
    src.write_bytes(b"\xef\xbb\xbf" + json.dumps(FASTCHAT_ROWS[:1]).encode())
    assert import_battles(Store(), src).votes == 1
    jsonl = tmp_path / "bom.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + orjson.dumps(FASTCHAT_ROWS[3]) + b"\r\n")
    assert import_battles(Store(), jsonl).votes == 1
    with pytest.raises(DatasetError, match="is a directory"):
        import_battles(Store(), tmp_path)


def test_export_import_round_trip_gives_the_same_ratings(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    true = {"m1": 900.0, "m2": 1000.0, "m3": 1100.0, "m4": 1050.0}
    comps = simulate(true, 600, seed=4, categories=("code", "chat"))
    rows = [{"question_id": f"s{i}", "model_a": c.model_a, "model_b": c.model_b,
             "winner": c.winner, "judge": f"u{i}", "category": c.category,
             "conversation_a": [{"role": "user", "content": "q"},
                                {"role": "assistant", "content": "a " * (c.style_a.length
                                                                          if c.style_a else 1)}],
             "conversation_b": [{"role": "user", "content": "q"},
                                {"role": "assistant", "content": "b " * (c.style_b.length
                                                                          if c.style_b else 1)}]}
            for i, c in enumerate(comps)]
    src = tmp_path / "in.json"
    src.write_text(json.dumps(rows))
    first = Store(f"sqlite:///{tmp_path / 'one.db'}")
    import_battles(first, src)
    exported = export_battles(first)
    assert len(exported) == 600
    assert {r["winner"] for r in exported} == {c.winner for c in comps}
    out = tmp_path / "out.json"
    out.write_text(json.dumps(exported))
    second = Store(f"sqlite:///{tmp_path / 'two.db'}")
    import_battles(second, out)

    def board(store: Store) -> dict[str, float]:
        votes = store.battles.votes()
        cs = comparisons(store.battles.all(), votes)
        lb = leaderboard(cs, anchor="m2", ci="sandwich")
        return {r.model: round(r.rating, 6) for r in lb.ratings}

    direct = leaderboard(comps, anchor="m2", ci="sandwich")
    assert board(first) == board(second)
    assert board(first) == pytest.approx({r.model: r.rating for r in direct.ratings},
                                         abs=1e-6)


def _battle(**kw: object) -> BattleRecord:
    fields: dict[str, object] = {
        "id": new_battle_id(), "created_at": time.time(), "origin": "web",
        "prompt_source": "user", "model_a": "x", "model_b": "y",
        "conversation_a": [{"role": "user", "content": "q"},
                           {"role": "assistant", "content": "a", "completion_tokens": 3,
                            "prompt_tokens": 5, "latency_s": 0.5, "ttft_s": 0.1,
                            "cost": 0.002}],
        "conversation_b": [{"role": "user", "content": "q"},
                           {"role": "assistant", "content": "b", "completion_tokens": 4,
                            "prompt_tokens": 5, "latency_s": 0.7, "ttft_s": 0.2,
                            "cost": 0.003}],
        "turns": 0, "status": "answered", "created_by": "alice", **kw}
    return BattleRecord(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_battle_repository(backend: str, request: pytest.FixtureRequest) -> None:
    if backend == "postgres":
        url = request.getfixturevalue("pg_url")
        import sqlalchemy as sa

        name = f"arena_{int(time.time() * 1e6)}"
        admin = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        admin.dispose()
        store = Store(url.rsplit("/", 1)[0] + f"/{name}")
    else:
        store = Store()
    b = store.battles.add(_battle())
    assert (b.turns, b.completion_tokens_a, b.cost_b, b.ttft_s_a) == (1, 3, 0.003, 0.1)
    got = store.battles.get(b.id)
    assert got == b
    v = store.battles.vote(VoteRecord(b.id, "alice", "human", "ok", "model_b"))
    assert v.id is not None
    with pytest.raises(AlreadyVoted):
        store.battles.vote(VoteRecord(b.id, "alice", "human", "ok", "tie"))
    # a failed judge vote is replaced by the next one
    store.battles.vote(VoteRecord(b.id, "judge:j", "judge", "error", None,
                                  details={"error": "timeout"}))
    store.battles.vote(VoteRecord(b.id, "judge:j", "judge", "ok", "tie",
                                  details={"verdicts": ["A", "B"]}))
    votes = store.battles.votes(battle_ids=[b.id])
    assert [(x.voter, x.status, x.winner) for x in votes] == [
        ("alice", "ok", "model_b"), ("judge:j", "ok", "tie")]
    assert votes[1].details == {"verdicts": ["A", "B"]}
    with pytest.raises(ValueError, match="winner must be one of"):
        store.battles.vote(VoteRecord(b.id, "bob", "human", "ok", "A"))
    assert store.battles.created_since("alice", time.time() - 60) == 1
    assert store.battles.created_since("alice", time.time() + 60) == 0
    assert store.battles.voted(b.id, "alice") is not None
    assert store.battles.voted(b.id, "nobody") is None
    store.close()


def _baimo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", *args], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ))


def test_import_refuses_conflicting_outcomes_naming_both_lines(tmp_path: Path) -> None:
    """One battle, one voter, two winners: the file contradicts itself and nothing is stored.
    Several voters on one battle, and a row repeated word for word, are not conflicts."""
    rows = [
        {"question_id": "q1", "model_a": "m1", "model_b": "m2", "winner": "model_a",
         "judge": "alice"},
        {"question_id": "q1", "model_a": "m1", "model_b": "m2", "winner": "model_b",
         "judge": "bob"},  # another voter: fine
        {"question_id": "q2", "model_a": "m1", "model_b": "m2", "winner": "tie"},
        {"question_id": "q2", "model_a": "m1", "model_b": "m2", "winner": "tie"},  # repeat
        {"question_id": "q1", "model_a": "m1", "model_b": "m2", "winner": "model_b",
         "judge": "alice"},  # alice again, other winner: conflict with line 1
        {"question_id": "q3", "model_a": "m1", "model_b": "m2", "winner": "model_a"},
        {"question_id": "q3", "model_a": "m1", "model_b": "m2", "winner": "model_b",
         "tstamp": 1.0},  # no voter named, other winner: conflict with line 6
    ]
    src = tmp_path / "battles.jsonl"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    res = _baimo("arena", "import", str(src))
    assert res.returncode == 2, res.stdout + res.stderr
    assert f"{src}:5: field 'winner': battle 'q1' (m1 vs m2) by voter 'alice' is 'model_b' " \
           f"here but 'model_a' at {src}:1" in res.stderr
    assert f"{src}:7: field 'winner': battle 'q3' (m1 vs m2) by no named voter" in res.stderr
    assert f"at {src}:6" in res.stderr and "nothing was imported" in res.stderr
    assert "Traceback" not in res.stderr
    assert Store().battles.all() == []
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows[:4]))
    res = _baimo("arena", "import", str(src), "--json")
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    assert (rep["battles"], rep["votes"], rep["skipped_duplicates"]) == (2, 3, 1)


def test_import_of_an_empty_file_is_an_error(tmp_path: Path) -> None:
    for name, body in (("empty.jsonl", b""), ("blank.jsonl", b"\n\n"), ("list.json", b"[]")):
        src = tmp_path / name
        src.write_bytes(body)
        res = _baimo("arena", "import", str(src))
        assert res.returncode == 2, (name, res.stdout, res.stderr)
        assert f"error: {src}: no battles in the file" in res.stderr


def test_a_second_import_adds_new_voters_and_refuses_changed_outcomes(tmp_path: Path) -> None:
    """Two dumps overlap: a new voter's vote on a battle imported before joins it (it was
    dropped as a "duplicate"), and the same voter's other outcome is refused, not skipped
    while the ratings go on counting the old one."""
    def write(name: str, rows: list[dict[str, object]]) -> Path:
        path = tmp_path / name
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
        return path

    alice = {"question_id": "q1", "model_a": "m1", "model_b": "m2", "winner": "model_a",
             "judge": "alice"}
    first = _baimo("arena", "import", str(write("one.jsonl", [alice])), "--json")
    assert first.returncode == 0, first.stderr
    bob = {**alice, "winner": "model_b", "judge": "bob"}
    second = _baimo("arena", "import", str(write("two.jsonl", [alice, bob])), "--json")
    assert second.returncode == 0, second.stderr
    rep = json.loads(second.stdout)
    assert (rep["battles"], rep["votes"], rep["skipped_duplicates"]) == (0, 1, 1)
    (battle,) = Store().battles.all()
    assert sorted((v.voter, v.winner) for v in Store().battles.votes()) == [
        ("import:alice", "model_a"), ("import:bob", "model_b")]
    assert {v.battle_id for v in Store().battles.votes()} == {battle.id}
    changed = write("three.jsonl", [{**bob, "judge": "carol"}, {**alice, "winner": "tie"}])
    third = _baimo("arena", "import", str(changed))
    assert third.returncode == 2, third.stdout + third.stderr
    assert (f"{changed}:2: field 'winner': battle 'q1' (m1 vs m2) by voter 'alice' is 'tie' "
            "here but 'model_a' in an earlier import") in " ".join(third.stderr.split())
    assert len(Store().battles.votes()) == 2  # carol's vote was not stored either
