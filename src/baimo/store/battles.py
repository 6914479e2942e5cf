"""Arena battles and their votes (``battles``, ``battle_votes``).

A battle is written when it starts (``status`` ``open``), updated as its answers and any
follow-up turns arrive (``answered``; ``failed`` with the reason when a side could not answer),
and never deleted. Votes are appended; the unique key (battle, voter) is the rule "one vote
per voter per battle", enforced by the database so two tabs voting at once cannot both count.
A judge vote that failed (``error``: the judge was not heard) is the only vote ever replaced.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from baimo.errors import BaimoError, NotFound
from baimo.store import schema
from baimo.store.codec import dumps, loads
from baimo.store.sql import CHUNK, Row

__all__ = ["AlreadyVoted", "BattleRecord", "BattleRepository", "VoteRecord", "new_battle_id"]

VOTE_WINNERS = ("model_a", "model_b", "tie", "tie (bothbad)")


class AlreadyVoted(BaimoError):
    """The voter has already voted on this battle (one vote per voter per battle)."""


def new_battle_id() -> str:
    """``battle-<time>-<random>``: sortable by creation and unguessable."""
    return "battle-" + time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(6)


@dataclass(frozen=True)
class BattleRecord:
    """One battle. ``conversation_a``/``_b`` are chat messages; assistant messages carry their
    own ``prompt_tokens``, ``completion_tokens``, ``latency_s``, ``ttft_s``, ``cost`` and
    ``finish_reason``; the ``*_a``/``*_b`` columns are the totals over turns (TTFT: the first
    turn's)."""

    id: str
    created_at: float
    origin: str  # web | judge | import
    prompt_source: str  # user | suite | import
    model_a: str
    model_b: str
    conversation_a: list[dict[str, Any]]
    conversation_b: list[dict[str, Any]]
    turns: int
    status: str  # open | answered | failed
    suite: str | None = None
    task: str | None = None
    sample_id: str | None = None
    category: str | None = None
    language: str | None = None
    external_id: str | None = None
    created_by: str | None = None
    error: str | None = None
    prompt_tokens_a: int = 0
    completion_tokens_a: int = 0
    latency_s_a: float | None = None
    ttft_s_a: float | None = None
    cost_a: float = 0.0
    prompt_tokens_b: int = 0
    completion_tokens_b: int = 0
    latency_s_b: float | None = None
    ttft_s_b: float | None = None
    cost_b: float = 0.0
    currency: str = "USD"

    def answers(self, side: str) -> list[str]:
        """The assistant texts of one side (``a`` or ``b``), turn by turn."""
        conv = self.conversation_a if side == "a" else self.conversation_b
        return [str(m.get("content") or "") for m in conv if m.get("role") == "assistant"]

    def with_totals(self) -> BattleRecord:
        """The per-side totals recomputed from the conversations' assistant messages."""
        out: dict[str, Any] = {}
        for side, conv in (("a", self.conversation_a), ("b", self.conversation_b)):
            replies = [m for m in conv if m.get("role") == "assistant"]
            out[f"prompt_tokens_{side}"] = sum(int(m.get("prompt_tokens") or 0) for m in replies)
            out[f"completion_tokens_{side}"] = sum(int(m.get("completion_tokens") or 0)
                                                   for m in replies)
            lat = [float(m["latency_s"]) for m in replies if m.get("latency_s") is not None]
            out[f"latency_s_{side}"] = sum(lat) if lat else None
            first = replies[0].get("ttft_s") if replies else None
            out[f"ttft_s_{side}"] = None if first is None else float(first)
            out[f"cost_{side}"] = sum(float(m.get("cost") or 0.0) for m in replies)
        out["turns"] = sum(1 for m in self.conversation_a if m.get("role") == "user")
        return replace(self, **out)


@dataclass(frozen=True)
class VoteRecord:
    """One voter's verdict on a battle (``winner`` None unless ``status`` is ``ok``)."""

    battle_id: str
    voter: str
    role: str  # human | judge
    status: str  # ok | judge-parse-error | error
    winner: str | None
    created_at: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


def _battle(row: Row) -> BattleRecord:
    d = dict(row)
    d["conversation_a"] = loads(d.pop("conversation_a_json")) or []
    d["conversation_b"] = loads(d.pop("conversation_b_json")) or []
    for k in ("created_at", "cost_a", "cost_b"):
        d[k] = float(d[k])
    return BattleRecord(**d)


def _battle_row(b: BattleRecord) -> dict[str, Any]:
    d = asdict(b)
    d["conversation_a_json"] = dumps(d.pop("conversation_a"))
    d["conversation_b_json"] = dumps(d.pop("conversation_b"))
    return d


def _vote(row: Row) -> VoteRecord:
    d = dict(row)
    d["details"] = loads(d.pop("details_json")) or {}
    d["created_at"] = float(d["created_at"])
    return VoteRecord(**d)


def _vote_row(v: VoteRecord) -> dict[str, Any]:
    if v.status == "ok" and v.winner not in VOTE_WINNERS:
        raise ValueError(f"a vote's winner must be one of {', '.join(VOTE_WINNERS)}, "
                         f"not {v.winner!r}")
    if v.status != "ok" and v.winner is not None:
        raise ValueError(f"a vote with status {v.status} has no winner")
    d = asdict(v)
    d.pop("id")
    details = d.pop("details")
    d["details_json"] = dumps(details) if details else None
    d["created_at"] = v.created_at or time.time()
    return d


class BattleRepository:
    """Writes and reads of battles and votes."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- battles --------------------------------------------------------------------------
    def add(self, battle: BattleRecord) -> BattleRecord:
        """Insert a new battle (totals recomputed from its conversations)."""
        battle = battle.with_totals()
        with self.engine.begin() as conn:
            conn.execute(schema.battles.insert().values(**_battle_row(battle)))
        return battle

    def update(self, battle: BattleRecord) -> BattleRecord:
        """Store a battle's new answers, turns, status and totals (its identity, models and
        origin never change)."""
        battle = battle.with_totals()
        row = _battle_row(battle)
        for k in ("id", "created_at", "origin", "prompt_source", "model_a", "model_b",
                  "created_by"):
            row.pop(k)
        t = schema.battles
        with self.engine.begin() as conn:
            done = conn.execute(t.update().where(t.c.id == battle.id).values(**row)).rowcount
        if not done:
            raise NotFound(f"no battle '{battle.id}'")
        return battle

    def get(self, battle_id: str) -> BattleRecord:
        """One battle by id.

        Raises:
            NotFound: No such battle.
        """
        t = schema.battles
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.id == battle_id)).mappings().first()
        if row is None:
            raise NotFound(f"no battle '{battle_id}'. List them with: baimo arena battles")
        return _battle(row)

    def recent(self, limit: int = 50, origin: str | None = None) -> list[BattleRecord]:
        """Battles, newest first."""
        t = schema.battles
        q = sa.select(t).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        if origin is not None:
            q = q.where(t.c.origin == origin)
        with self.engine.connect() as conn:
            return [_battle(r) for r in conn.execute(q).mappings()]

    def all(self, ids: Iterable[str] | None = None) -> list[BattleRecord]:
        """Every battle (or those of ``ids``), oldest first."""
        t = schema.battles
        with self.engine.connect() as conn:
            if ids is None:
                return [_battle(r) for r in conn.execute(
                    sa.select(t).order_by(t.c.created_at, t.c.id)).mappings()]
            wanted = list(dict.fromkeys(ids))
            out: list[BattleRecord] = []
            for i in range(0, len(wanted), CHUNK):
                out += [_battle(r) for r in conn.execute(
                    sa.select(t).where(t.c.id.in_(wanted[i:i + CHUNK]))).mappings()]
        return sorted(out, key=lambda b: (b.created_at, b.id))

    def created_since(self, user: str, since: float) -> int:
        """Battles a user started since a time (for per-user rate limits)."""
        t = schema.battles
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t).where(
                (t.c.created_by == user) & (t.c.created_at >= since))).scalar_one())

    def external_ids(self, origin: str) -> dict[str, str]:
        """External id → battle id of the battles already stored for an origin (so an import
        stores a battle once, and adds new voters' votes to the battle already there)."""
        t = schema.battles
        with self.engine.connect() as conn:
            return {str(r[0]): str(r[1]) for r in conn.execute(
                sa.select(t.c.external_id, t.c.id).where(
                    (t.c.origin == origin) & t.c.external_id.is_not(None)))}

    def add_many(self, battles: Sequence[BattleRecord], votes: Sequence[VoteRecord]) -> None:
        """Insert battles and their votes in one transaction (imports)."""
        if not battles and not votes:
            return
        with self.engine.begin() as conn:
            if battles:
                conn.execute(schema.battles.insert(),
                             [_battle_row(b.with_totals()) for b in battles])
            if votes:
                conn.execute(schema.battle_votes.insert(), [_vote_row(v) for v in votes])

    # -- votes ----------------------------------------------------------------------------
    def vote(self, vote: VoteRecord) -> VoteRecord:
        """Record a vote.

        Raises:
            AlreadyVoted: This voter has a vote on this battle (a failed judge vote,
                status ``error``, is replaced instead).
            NotFound: No such battle.
        """
        row = _vote_row(vote)
        t = schema.battle_votes
        try:
            with self.engine.begin() as conn:
                conn.execute(t.delete().where((t.c.battle_id == vote.battle_id)
                                              & (t.c.voter == vote.voter)
                                              & (t.c.status == "error")))
                new_id = conn.execute(t.insert().values(**row)).inserted_primary_key
        except sa.exc.IntegrityError:
            self.get(vote.battle_id)  # NotFound when the battle does not exist
            raise AlreadyVoted(f"'{vote.voter}' has already voted on battle {vote.battle_id}; "
                               "one vote per voter per battle") from None
        return replace(vote, id=int(new_id[0]) if new_id else None,
                       created_at=row["created_at"])

    def votes(self, *, role: str | None = None, battle_ids: Iterable[str] | None = None
              ) -> list[VoteRecord]:
        """Votes, oldest first (of one role, or on some battles)."""
        t = schema.battle_votes
        q = sa.select(t).order_by(t.c.id)
        if role is not None:
            q = q.where(t.c.role == role)
        with self.engine.connect() as conn:
            if battle_ids is None:
                return [_vote(r) for r in conn.execute(q).mappings()]
            wanted = list(dict.fromkeys(battle_ids))
            out: list[VoteRecord] = []
            for i in range(0, len(wanted), CHUNK):
                out += [_vote(r) for r in conn.execute(
                    q.where(t.c.battle_id.in_(wanted[i:i + CHUNK]))).mappings()]
        return sorted(out, key=lambda v: v.id or 0)

    def voted(self, battle_id: str, voter: str) -> VoteRecord | None:
        """This voter's vote on this battle, if any."""
        t = schema.battle_votes
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where((t.c.battle_id == battle_id)
                                                  & (t.c.voter == voter))).mappings().first()
        return None if row is None else _vote(row)
