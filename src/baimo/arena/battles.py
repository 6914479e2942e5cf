"""Battles: two anonymous models answer the same prompt; a human or a judge votes.

This module is the arena's one way to run a battle, whoever starts it (the browser, ``baimo
arena judge``): both models are asked at once through the shared model client (so the battle
respects each endpoint's limits and is priced like any other request), each answer is kept
with its tokens, timings, cost and finish reason, and the battle is stored before anyone can
vote on it. A side that fails is recorded with its reason and the battle is ``failed``: it
can still be seen, never voted on, never rated.

It also turns stored votes into the ``Comparison``s the ratings are fitted on, with each side's
style counted from its answers (tokens as the server reported them).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

from baimo.arena.ratings import Comparison, StyleCounts, Winner
from baimo.config import ModelConfig
from baimo.errors import BaimoError
from baimo.models.base import Timing
from baimo.models.client import Answer, CallFailed, clients
from baimo.store.battles import BattleRecord, VoteRecord, new_battle_id
from baimo.store.store import Store

__all__ = ["Role", "Side", "add_turn", "answer_pending", "ask_side", "comparisons",
           "follow_up", "pending", "run_battle", "side_reply", "start_battle", "vote"]

Role = Literal["human", "judge", "both"]
ORIGINS = ("web", "judge", "import")


@dataclass(frozen=True)
class Side:
    """One side's reply in one turn: the message stored, or the reason it failed."""

    message: dict[str, Any] | None
    error: str | None = None


def side_reply(answer: Answer) -> dict[str, Any]:
    """The stored assistant message of an answer (text plus what it cost and took)."""
    comp = answer.completion
    return {"role": "assistant", "content": comp.text,
            "prompt_tokens": comp.usage.prompt_tokens,
            "completion_tokens": comp.usage.completion_tokens,
            "usage_estimated": comp.usage.estimated,
            "latency_s": round(answer.latency_s, 6),
            "ttft_s": None if answer.ttft_s is None else round(answer.ttft_s, 6),
            "cost": answer.cost, "finish_reason": comp.finish_reason,
            "served_by": comp.model}


async def ask_side(cfg: ModelConfig, messages: list[dict[str, Any]],
                   params: dict[str, Any] | None = None,
                   watch: Callable[[Timing], None] | None = None) -> Side:
    """Ask one model through the shared client; a failure is a result, not an exception.

    ``watch`` receives each attempt's ``Timing``, whose ``chunk_texts`` grow as the answer
    streams in (see ``ModelClient.complete``).
    """
    plain = [{"role": m["role"], "content": m["content"]} for m in messages]
    try:
        answer = await clients().get(cfg).complete(plain, {**cfg.params, **(params or {})},
                                                   watch=watch)
    except CallFailed as exc:
        return Side(None, f"{cfg.name}: {exc.reason}")
    return Side(side_reply(answer))


def pending(battle: BattleRecord) -> bool:
    """Whether the battle's last turn still waits for its answers."""
    conv = battle.conversation_a
    return battle.status == "open" and bool(conv) and conv[-1].get("role") == "user"


def start_battle(store: Store, cfg_a: ModelConfig, cfg_b: ModelConfig,
                 messages: list[dict[str, Any]], *, origin: str = "web",
                 prompt_source: str = "user", created_by: str | None = None,
                 suite: str | None = None, task: str | None = None,
                 sample_id: str | None = None, category: str | None = None,
                 language: str | None = None) -> BattleRecord:
    """Store a new battle whose first turn waits for its answers (``answer_pending``)."""
    if origin not in ORIGINS:
        raise ValueError(f"unknown battle origin {origin!r}")
    if cfg_a.name == cfg_b.name:
        raise BaimoError(f"a battle needs two different models, not '{cfg_a.name}' twice")
    if not messages or messages[-1].get("role") != "user":
        raise BaimoError("a battle's prompt must end with a user message")
    asked = [{"role": m["role"], "content": m["content"]} for m in messages]
    return store.battles.add(BattleRecord(
        id=new_battle_id(), created_at=time.time(), origin=origin, prompt_source=prompt_source,
        model_a=cfg_a.name, model_b=cfg_b.name, conversation_a=list(asked),
        conversation_b=list(asked), turns=0, status="open", suite=suite, task=task,
        sample_id=sample_id, category=category, language=language, created_by=created_by,
        currency=cfg_a.pricing.currency if cfg_a.pricing.currency == cfg_b.pricing.currency
        else "mixed"))


async def answer_pending(store: Store, battle: BattleRecord, cfg_a: ModelConfig,
                         cfg_b: ModelConfig, params: dict[str, Any] | None = None, *,
                         watch_a: Callable[[Timing], None] | None = None,
                         watch_b: Callable[[Timing], None] | None = None) -> BattleRecord:
    """Ask both models the battle's waiting turn at once and store their answers."""
    if (cfg_a.name, cfg_b.name) != (battle.model_a, battle.model_b):
        raise BaimoError("the models given do not match the battle's")
    if not pending(battle):
        raise BaimoError(f"battle {battle.id} has no turn waiting for answers")
    a, b = await asyncio.gather(ask_side(cfg_a, battle.conversation_a, params, watch_a),
                                ask_side(cfg_b, battle.conversation_b, params, watch_b))
    errors = [s.error for s in (a, b) if s.error]
    conv_a = [*battle.conversation_a, *([a.message] if a.message else [])]
    conv_b = [*battle.conversation_b, *([b.message] if b.message else [])]
    return store.battles.update(replace(
        battle, conversation_a=conv_a, conversation_b=conv_b,
        status="failed" if errors else "answered",
        error="; ".join(errors) if errors else None))


async def run_battle(store: Store, cfg_a: ModelConfig, cfg_b: ModelConfig,
                     messages: list[dict[str, Any]], *, origin: str = "web",
                     prompt_source: str = "user", params: dict[str, Any] | None = None,
                     created_by: str | None = None, suite: str | None = None,
                     task: str | None = None, sample_id: str | None = None,
                     category: str | None = None, language: str | None = None
                     ) -> BattleRecord:
    """Store a new battle, ask both models at once, and store their answers.

    Args:
        messages: The prompt (chat messages; a system message is shown to both models).
        origin: ``web`` or ``judge`` (``import`` is for ``interchange``).
        prompt_source: ``user`` (typed in) or ``suite`` (a sample of a task).
    """
    battle = start_battle(store, cfg_a, cfg_b, messages, origin=origin,
                          prompt_source=prompt_source, created_by=created_by, suite=suite,
                          task=task, sample_id=sample_id, category=category,
                          language=language)
    return await answer_pending(store, battle, cfg_a, cfg_b, params)


def add_turn(store: Store, battle_id: str, text: str) -> BattleRecord:
    """Append a follow-up question to an answered, unvoted battle (answers then pending).

    Raises:
        BaimoError: The battle failed, waits for answers, or was voted on; empty text.
    """
    if not text.strip():
        raise BaimoError("a follow-up needs some text")
    battle = store.battles.get(battle_id)
    if battle.status != "answered":
        raise BaimoError(f"battle {battle_id} is {battle.status}; only an answered battle "
                         "takes a follow-up")
    if store.battles.votes(battle_ids=[battle_id]):
        raise BaimoError(f"battle {battle_id} has been voted on; start a new battle")
    user = {"role": "user", "content": text}
    return store.battles.update(replace(
        battle, conversation_a=[*battle.conversation_a, user],
        conversation_b=[*battle.conversation_b, user], status="open"))


async def follow_up(store: Store, battle_id: str, cfg_a: ModelConfig, cfg_b: ModelConfig,
                    text: str, params: dict[str, Any] | None = None) -> BattleRecord:
    """Ask both models a follow-up turn within the same battle (before any vote)."""
    battle = store.battles.get(battle_id)
    if (cfg_a.name, cfg_b.name) != (battle.model_a, battle.model_b):
        raise BaimoError("the models given do not match the battle's")
    return await answer_pending(store, add_turn(store, battle_id, text), cfg_a, cfg_b, params)


def vote(store: Store, battle_id: str, voter: str, winner: str, *, role: str = "human",
         details: dict[str, Any] | None = None) -> VoteRecord:
    """Record one voter's verdict on an answered battle.

    Raises:
        BaimoError: An unknown verdict, an empty voter name, or a battle that is not
            answered.
        AlreadyVoted: The voter has voted on this battle already.
    """
    if winner not in ("model_a", "model_b", "tie", "tie (bothbad)"):
        raise BaimoError(f"a vote is model_a, model_b, tie or tie (bothbad), not '{winner}'")
    if not voter.strip():
        raise BaimoError("a vote needs the voter's name: each voter's vote counts once")
    battle = store.battles.get(battle_id)
    if battle.status != "answered":
        raise BaimoError(f"battle {battle_id} is {battle.status}; only an answered battle "
                         "can be voted on")
    return store.battles.vote(VoteRecord(battle_id, voter, role, "ok", winner,
                                         details=details or {}))


def comparisons(battles: Iterable[BattleRecord], votes: Sequence[VoteRecord],
                role: Role = "both", categories: bool = True) -> list[Comparison]:
    """One ``Comparison`` per counted vote: status ``ok`` and of the wanted role.

    Parse failures and unreachable judges (other statuses) are never counted, neither as a
    loss nor as a tie. Each human's vote counts once; so does each judge's.
    """
    by_id = {b.id: b for b in battles}
    out: list[Comparison] = []
    for v in votes:
        if v.status != "ok" or v.winner is None or (role != "both" and v.role != role):
            continue
        b = by_id.get(v.battle_id)
        if b is None:
            continue
        out.append(Comparison(
            b.model_a, b.model_b, cast(Winner, v.winner),
            StyleCounts.of(b.answers("a"), b.completion_tokens_a or None),
            StyleCounts.of(b.answers("b"), b.completion_tokens_b or None),
            b.category if categories else None, v.role))
    return out
