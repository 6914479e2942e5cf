"""The arena in the browser: blind battles, votes, the reveal, and the arena leaderboard.

Mounted by ``baimo.web.app`` with ``app.include_router(arena.router)``. The rules a battle page
keeps, and why:

* **Blind until the vote.** Neither the page, nor its JSON twin, nor the answer stream names a
  model (not even the ``served_by`` a provider reports) until *this* user has voted on *this*
  battle; then both names are shown. Sides are assigned at random by ``next_pair``.
* **Pairs by active sampling** (``baimo.arena.sampling``): the next battle is the pair whose
  result most narrows the human leaderboard's intervals; the page shows the expected shrinkage.
* **Streams are real.** Both answers stream side by side over Server-Sent Events while the
  models write them, relayed from the shared model client's chunk stamps
  (``ModelClient.complete(watch=…)``); the stored answer is sent last and replaces the relayed
  text, so what the voter judges is exactly what is stored.
* **One vote per user per battle** (a database constraint), a CSRF token on every form, the
  workspace's per-user write limiter on every POST, and at most ``BATTLES_PER_HOUR`` new battles
  per user (``app.state.arena_battles_per_hour`` overrides it).
* **Model output is inert**: autoescaped templates, JSON read with ``JSON.parse`` and shown with
  ``textContent`` by ``static/arena.js`` (no inline script: the CSP forbids it).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, StreamingResponse

from baimo.errors import BaimoError
from baimo.models.base import Timing
from baimo.store.battles import AlreadyVoted, BattleRecord
from baimo.web.errors import shown
from baimo.web.http import FormToken, Viewer, check_write, role, twin
from baimo.web.security import Identity

__all__ = ["BATTLES_PER_HOUR", "router"]

router = APIRouter()
BATTLES_PER_HOUR = 60
WINNERS = ("model_a", "model_b", "tie", "tie (bothbad)")
MAX_PROMPT = 20_000
_ROLE_VOTER = role("voter")


def _store(request: Request) -> Any:
    return request.app.state.ws.store


def _config(request: Request) -> Any:
    from baimo.config import load_config

    path = request.app.state.settings.config_path
    return load_config(path)


def _candidates(cfg: Any) -> list[str]:
    """The models that battle: those of the models file. The built-in embedded model (always
    configured) joins only when the file names fewer than two, so a team's arena is not
    flooded with a 135M-parameter test model it never chose."""
    from baimo.config import default_embedded_model

    builtin = default_embedded_model()
    named = sorted(n for n, m in cfg.models.items() if not (n == builtin.name and m == builtin))
    return named if len(named) >= 2 else sorted(cfg.models)


def _voter(request: Request) -> Identity:
    return _ROLE_VOTER(request)


@dataclass
class _Live:
    """A battle turn being answered: the task and each side's current attempt's stamps."""

    task: asyncio.Task[BattleRecord] | None = None
    timings: dict[str, Timing | None] = field(default_factory=lambda: {"a": None, "b": None})


def _live(request: Request) -> dict[str, _Live]:
    state = request.app.state
    if not hasattr(state, "arena_live"):
        state.arena_live = {}
    live: dict[str, _Live] = state.arena_live
    return live


# -- data of the pages ---------------------------------------------------------------------
def _side(battle: BattleRecord, side: str, reveal: bool) -> dict[str, Any]:
    conv = battle.conversation_a if side == "a" else battle.conversation_b
    turns = [{"role": m.get("role"), "content": m.get("content") or ""} for m in conv]
    out: dict[str, Any] = {"turns": turns}
    if reveal:
        out.update(model=getattr(battle, f"model_{side}"),
                   completion_tokens=getattr(battle, f"completion_tokens_{side}"),
                   latency_s=getattr(battle, f"latency_s_{side}"),
                   ttft_s=getattr(battle, f"ttft_s_{side}"), cost=getattr(battle, f"cost_{side}"))
    return out


def battle_view(battle: BattleRecord, ident: Identity, store: Any) -> dict[str, Any]:
    """A battle as its page shows it to ``ident``: blind until they have voted."""
    from baimo.arena.battles import pending

    mine = store.battles.voted(battle.id, ident.name)
    reveal = mine is not None
    prompts = [m.get("content") or "" for m in battle.conversation_a if m.get("role") == "user"]
    return {"id": battle.id, "status": battle.status, "pending": pending(battle),
            "turns": battle.turns, "prompts": prompts, "category": battle.category,
            "a": _side(battle, "a", reveal), "b": _side(battle, "b", reveal),
            "revealed": reveal, "my_vote": mine.winner if mine else None,
            "error": (battle.error if reveal else "one side could not answer")
            if battle.status == "failed" else None,
            "can_vote": battle.status == "answered" and not reveal,
            "can_follow_up": battle.status == "answered" and not reveal,
            "currency": battle.currency if reveal else None}


OFFLINE_SUITES = ("demo", "ifeval", "reasoning", "safety")
"""Suites whose prompts ship with baimo (the others need a download or a data directory)."""


def _suites() -> list[str]:
    from baimo.tasks.registry import SUITES

    return [name for name in OFFLINE_SUITES if name in SUITES]


@twin(router, "/arena", "arena/home.html", summary="Arena: start a blind battle")
def arena_home(request: Request, ident: Viewer) -> dict[str, Any]:
    store = _store(request)
    cfg = _config(request)
    names = _candidates(cfg)
    mine = [b for b in store.battles.recent(200, origin="web")
            if b.created_by == ident.name][:20]
    voted = {v.battle_id: v.winner for v in store.battles.votes(
        battle_ids=[b.id for b in mine]) if v.voter == ident.name}
    suggestion = None
    if len(names) >= 2:
        from baimo.arena.battles import comparisons
        from baimo.arena.sampling import rank_pairs

        votes = store.battles.votes(role="human")
        comps = comparisons(store.battles.all({v.battle_id for v in votes}), votes, "human")
        best = rank_pairs(comps, names)[0]
        suggestion = {"width_now": best.width_now, "width_after": best.width_after,
                      "shrinkage": best.shrinkage}
    return {"models": len(names), "suites": _suites(), "suggestion": suggestion,
            "battles": [{"id": b.id, "status": b.status, "turns": b.turns,
                         "created_at": b.created_at, "voted": voted.get(b.id),
                         "prompt": next((m.get("content") or "" for m in b.conversation_a
                                         if m.get("role") == "user"), "")[:120]}
                        for b in mine],
            "limit_per_hour": _limit(request)}


def _battle(store: Any, battle_id: str) -> Any:
    """The stored battle, or HTTP 404: every route that takes a battle id in its path."""
    try:
        return store.battles.get(battle_id)
    except BaimoError:
        # (quoted and cut short: the id is whatever the path held, and is not echoed whole)
        raise HTTPException(404, f"no battle {shown(battle_id)}") from None


def _limit(request: Request) -> int:
    return int(getattr(request.app.state, "arena_battles_per_hour", BATTLES_PER_HOUR))


@twin(router, "/arena/battle/{battle_id}", "arena/battle.html",
      summary="One battle: anonymous answers until you vote")
def arena_battle(request: Request, ident: Viewer, battle_id: str) -> dict[str, Any]:
    store = _store(request)
    return {"battle": battle_view(_battle(store, battle_id), ident, store)}


@twin(router, "/arena/leaderboard", "arena/leaderboard.html",
      summary="Arena leaderboards: human, judge and both, with intervals and calibration")
def arena_leaderboard(request: Request, ident: Viewer,
                      ci: Annotated[str, Query(pattern="^(bootstrap|sandwich)$")] = "sandwich",
                      style: Annotated[bool, Query()] = True) -> dict[str, Any]:
    from baimo.arena.boards import build_boards

    boards = build_boards(_store(request), style_control=style, ci=ci,  # type: ignore[arg-type]
                          rounds=200, categories=True)
    data = boards.as_dict()
    data.update(ci=ci, style=style)
    return data


# -- actions ---------------------------------------------------------------------------------
@router.post("/arena/battles", include_in_schema=False)
async def arena_start(request: Request, prompt: Annotated[str, Form(max_length=MAX_PROMPT)] = "",
                      suite: Annotated[str, Form(max_length=100)] = "",
                      csrf_token: FormToken = None) -> RedirectResponse:
    ident = _voter(request)
    await check_write(request, ident, csrf_token)
    store = _store(request)
    limit = _limit(request)
    if store.battles.created_since(ident.name, time.time() - 3600) >= limit:
        raise HTTPException(429, f"at most {limit} battles per hour per user; try later",
                            headers={"Retry-After": "600"})
    cfg = _config(request)
    names = _candidates(cfg)
    if len(names) < 2:
        raise HTTPException(400, "the arena needs at least two models in the models file")
    messages, source, task, sample_id, category = _prompt(prompt, suite)
    from baimo.arena.battles import comparisons, start_battle
    from baimo.arena.sampling import next_pair

    votes = store.battles.votes(role="human")
    comps = comparisons(store.battles.all({v.battle_id for v in votes}), votes, "human")
    pick = next_pair(comps, names, rng=random.Random())
    battle = start_battle(store, cfg.get(pick.model_a), cfg.get(pick.model_b), messages,
                          origin="web", prompt_source=source, created_by=ident.name,
                          suite=suite or None, task=task, sample_id=sample_id,
                          category=category)
    return RedirectResponse(f"/arena/battle/{battle.id}", status_code=303)


def _prompt(prompt: str, suite: str) -> tuple[list[dict[str, Any]], str, str | None,
                                              str | None, str | None]:
    if prompt.strip():
        return [{"role": "user", "content": prompt}], "user", None, None, None
    if not suite:
        raise HTTPException(400, "type a prompt or choose a suite")
    if suite not in _suites():
        raise HTTPException(400, f"choose one of the suites {', '.join(_suites())}")
    from baimo.tasks.registry import SuiteOptions, build_suite

    try:
        tasks = build_suite(suite, SuiteOptions(limit=50))
    except BaimoError as exc:
        raise HTTPException(400, str(exc)) from None
    pool = [(t, s) for t in tasks for s in t.samples if t.mode == "chat"]
    if not pool:
        raise HTTPException(400, f"suite '{suite}' has no chat prompts")
    t, s = random.choice(pool)
    return ([{"role": m["role"], "content": m["content"]} for m in s.messages], "suite",
            t.name, s.id, s.category)


@router.post("/arena/battle/{battle_id}/vote", include_in_schema=False)
async def arena_vote(request: Request, battle_id: str,
                     winner: Annotated[str, Form(max_length=20)],
                     csrf_token: FormToken = None) -> RedirectResponse:
    ident = _voter(request)
    await check_write(request, ident, csrf_token)
    if winner not in WINNERS:
        raise HTTPException(400, "a vote is model_a, model_b, tie or tie (bothbad)")
    from baimo.arena.battles import vote

    store = _store(request)
    _battle(store, battle_id)
    try:
        vote(store, battle_id, ident.name, winner, role="human")
    except AlreadyVoted as exc:
        raise HTTPException(409, str(exc)) from None
    except BaimoError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/arena/battle/{battle_id}", status_code=303)


@router.post("/arena/battle/{battle_id}/follow-up", include_in_schema=False)
async def arena_follow_up(request: Request, battle_id: str,
                          text: Annotated[str, Form(max_length=MAX_PROMPT)],
                          csrf_token: FormToken = None) -> RedirectResponse:
    ident = _voter(request)
    await check_write(request, ident, csrf_token)
    from baimo.arena.battles import add_turn

    store = _store(request)
    battle = _battle(store, battle_id)
    if battle.created_by != ident.name:
        raise HTTPException(403, "only who started a battle can ask a follow-up")
    try:
        add_turn(store, battle_id, text)
    except BaimoError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/arena/battle/{battle_id}", status_code=303)


def _sse(obj: Any) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


def _answer_chunks(t: Timing | None) -> list[str]:
    if t is None:
        return []
    n = min(len(t.chunk_texts), len(t.chunk_is_answer))
    return [t.chunk_texts[i] for i in range(n) if t.chunk_is_answer[i]]


@router.get("/arena/battle/{battle_id}/stream", include_in_schema=False)
async def arena_stream(request: Request, battle_id: str, ident: Viewer) -> StreamingResponse:
    """Both answers of the battle's latest turn as SSE: ``{"side", "delta"}`` while they
    stream, ``{"side", "final"}`` with the stored text, then ``{"done", "status"}``."""
    from baimo.arena.battles import answer_pending, pending

    store = _store(request)
    battle = _battle(store, battle_id)
    live = _live(request)
    if pending(battle) and battle_id not in live:
        if battle.created_by != ident.name:
            raise HTTPException(403, "only who started a battle can start its answers")
        cfg = _config(request)
        entry = _Live()

        def watcher(side: str) -> Any:
            def watch(t: Timing) -> None:
                entry.timings[side] = t
            return watch

        entry.task = asyncio.create_task(answer_pending(
            store, battle, cfg.get(battle.model_a), cfg.get(battle.model_b),
            watch_a=watcher("a"), watch_b=watcher("b")))
        entry.task.add_done_callback(lambda _t: live.pop(battle_id, None))
        live[battle_id] = entry

    async def stream() -> Any:
        entry = live.get(battle_id)
        sent = {"a": 0, "b": 0}
        seen: dict[str, Timing | None] = {"a": None, "b": None}
        while entry is not None and entry.task is not None and not entry.task.done():
            for side in ("a", "b"):
                t = entry.timings[side]
                if t is not seen[side]:  # a retry: start this side again
                    seen[side] = t
                    sent[side] = 0
                    yield _sse({"side": side, "reset": True})
                chunks = _answer_chunks(t)
                if len(chunks) > sent[side]:
                    yield _sse({"side": side, "delta": "".join(chunks[sent[side]:])})
                    sent[side] = len(chunks)
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.03)
        if entry is not None and entry.task is not None:
            await asyncio.gather(entry.task, return_exceptions=True)
        final = store.battles.get(battle_id)
        view = battle_view(final, ident, store)
        for side in ("a", "b"):
            replies = [m["content"] for m in view[side]["turns"] if m["role"] == "assistant"]
            yield _sse({"side": side, "final": replies[-1] if replies else ""})
        yield _sse({"done": True, "status": final.status, "error": view["error"]})

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
