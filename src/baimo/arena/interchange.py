"""Battles in and out in the FastChat / LMArena battle format.

One JSON object per vote, as FastChat's ``clean_battle_data`` and LMArena's public
preference datasets write them::

    {"question_id": "…", "model_a": "…", "model_b": "…",
     "winner": "model_a" | "model_b" | "tie" | "tie (bothbad)",
     "judge": "<voter>", "conversation_a": [{"role": "user", "content": "…"}, …],
     "conversation_b": […], "turn": 1, "anony": true, "language": "English",
     "tstamp": 1700000000.0, "conv_metadata": {"sum_assistant_a_tokens": 123, …}}

Import also accepts LMArena's spellings (``id``, ``both_bad``, ``timestamp``, content given
as a list of parts, ``conv_metadata`` counts given as dictionaries per marker kind) and a JSON
list or JSON Lines. Rows sharing a ``question_id`` and a model pair are one battle with several
votes, within a file and across imports: a new voter's vote on a battle imported before joins
it; a row already imported is skipped and counted; the same voter with another outcome is
refused, as within one file.
baimo adds two keys on export, ignored by other tools: ``voter_role`` (human or judge) and
``category``; on import they are honoured when present.

Every row is validated before anything is stored; errors name the file, the row (line for
JSON Lines, index for a JSON list) and the field.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from baimo.arena.ratings import StyleCounts
from baimo.errors import DatasetError
from baimo.store.battles import BattleRecord, VoteRecord, new_battle_id
from baimo.store.store import Store
from baimo.tabular import decode_text, read_jsonl, read_user_bytes

__all__ = ["ImportReport", "export_battles", "import_battles", "read_rows"]

_WINNERS = {"model_a": "model_a", "model_b": "model_b", "tie": "tie",
            "tie (bothbad)": "tie (bothbad)", "both_bad": "tie (bothbad)",
            "tie(bothbad)": "tie (bothbad)"}
MAX_ERRORS = 20


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str = Field(min_length=1)
    content: Any = ""

    @field_validator("content", mode="before")
    @classmethod
    def _text(cls, v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, str):
            return v
        if isinstance(v, list):  # LMArena: a list of parts, text parts kept
            return "\n".join(str(p.get("text", "")) if isinstance(p, dict) else str(p)
                             for p in v if not isinstance(p, dict) or p.get("type", "text")
                             == "text")
        raise ValueError("content must be text or a list of parts")


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")

    model_a: str = Field(min_length=1, max_length=200)
    model_b: str = Field(min_length=1, max_length=200)
    winner: str
    question_id: str | None = None
    id: str | None = None
    judge: str | None = None
    conversation_a: list[_Message] = Field(default_factory=list)
    conversation_b: list[_Message] = Field(default_factory=list)
    language: str | None = None
    category: str | None = None
    voter_role: str = "human"
    tstamp: float | None = None
    timestamp: Any = None
    conv_metadata: dict[str, Any] | None = None

    @field_validator("winner")
    @classmethod
    def _winner(cls, v: str) -> str:
        if v not in _WINNERS:
            raise ValueError("must be model_a, model_b, tie, tie (bothbad) or both_bad")
        return _WINNERS[v]

    @field_validator("question_id", "id", "judge", mode="before")
    @classmethod
    def _str(cls, v: Any) -> Any:
        return None if v is None else str(v)

    @field_validator("voter_role")
    @classmethod
    def _role(cls, v: str) -> str:
        if v not in ("human", "judge"):
            raise ValueError("must be human or judge")
        return v

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, v: Any) -> Any:
        return v if v is None or isinstance(v, str) else None  # LMArena's tag dicts: skipped


@dataclass
class ImportReport:
    """What an import did."""

    rows: int = 0
    battles: int = 0
    votes: int = 0
    skipped_duplicates: int = 0
    skipped_same_model: int = 0


def read_rows(path: Path) -> list[tuple[str, Any]]:
    """(where, object) for each row of a JSON list or JSON Lines file."""
    # A directory or an unreadable file is a message; a BOM (Windows editors) and GBK text
    # are read as for datasets.
    data, _ = decode_text(read_user_bytes(path, "battles file"), str(path))
    stripped = data.lstrip()
    if stripped.startswith("["):
        try:
            items = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise DatasetError(f"{path}: invalid JSON ({exc}).") from None
        return [(f"{path}: row {i}", obj) for i, obj in enumerate(items)]
    return [(f"{path}:{lineno}", obj) for lineno, obj in read_jsonl(
        path, "battles file", hint="Each line must be one JSON object, or the file one JSON "
        "list.")]


def _count(meta: dict[str, Any], key: str) -> int | None:
    v = meta.get(key)
    if isinstance(v, dict):
        return int(sum(x for x in v.values() if isinstance(x, int | float)))
    return int(v) if isinstance(v, int | float) else None


def _conversation(msgs: list[_Message], tokens: int | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": m.role, "content": m.content} for m in msgs]
    replies = [m for m in out if m["role"] == "assistant"]
    if tokens is not None and replies:
        replies[-1]["completion_tokens"] = tokens  # the total, kept on the last reply
    return out


def _digest(obj: Any) -> str:
    return hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def _battle_key(row: _Row, obj: Any) -> str:
    """The battle a row votes on: its question id and model pair (as stored, ``external_id``)."""
    qid = row.question_id or row.id or _digest(obj)
    return f"{qid}|{row.model_a}|{row.model_b}"[:200]


def _conflicts(rows: Sequence[tuple[str, _Row, Any]]) -> list[str]:
    """Rows that give one battle two different outcomes from the same voter.

    Several voters may vote on one battle (FastChat writes one row per vote, the voter in
    ``judge``), and a row repeated word for word is a duplicate, skipped. But the same battle
    with another winner from the same voter, or from no named voter, contradicts the file:
    keeping the first or the last would silently decide which result the ratings count.
    """
    first: dict[tuple[str, str | None], tuple[str, str]] = {}
    out: list[str] = []
    for where, row, obj in rows:
        key = (_battle_key(row, obj), row.judge)
        seen = first.setdefault(key, (where, row.winner))
        if seen[1] != row.winner:
            qid = key[0].split("|", 1)[0]
            who = f"voter '{row.judge}'" if row.judge else "no named voter (field 'judge')"
            out.append(f"{where}: field 'winner': battle '{qid}' ({row.model_a} vs "
                       f"{row.model_b}) by {who} is '{row.winner}' here but '{seen[1]}' at "
                       f"{seen[0]}; keep one of the two rows (or name the voters in 'judge' "
                       "if different people voted)")
    return out


def _voter(row: _Row, obj: Any) -> str:
    """The voter a row's vote is stored under: its ``judge``, or for an unnamed vote a
    digest of the row (a row imported twice is then the same vote)."""
    return f"import:{row.judge}" if row.judge else f"import:{_digest(obj)}"


def _stored_votes(store: Store, known: dict[str, str], keys: set[str]
                  ) -> dict[str, dict[str, str | None]]:
    """External id → voter → winner of the votes already stored on the file's battles."""
    by_id = {known[k]: k for k in keys if k in known}
    out: dict[str, dict[str, str | None]] = {}
    for v in store.battles.votes(battle_ids=by_id):
        out.setdefault(by_id[v.battle_id], {})[v.voter] = v.winner
    return out


def _contradicts_store(path: Path, rows: Sequence[tuple[str, _Row, Any]],
                       stored: dict[str, dict[str, str | None]]) -> list[str]:
    """Rows whose battle was imported before with another outcome from the same voter (or,
    for a row naming no voter, with no vote of this outcome at all from an unnamed voter).

    Skipped as duplicates, as they were, they would leave the ratings counting the old
    outcome while the user believes the file's was imported; ``_conflicts`` applies the same
    rule within one file.
    """
    out: list[str] = []
    for where, row, obj in rows:
        votes = stored.get(_battle_key(row, obj))
        if not votes or row.model_a == row.model_b:
            continue
        battle = f"'{_battle_key(row, obj).split('|')[0]}' ({row.model_a} vs {row.model_b})"
        if row.judge:
            before = votes.get(_voter(row, obj), row.winner)
            if before != row.winner:
                out.append(f"{where}: field 'winner': battle {battle} by voter '{row.judge}' "
                           f"is '{row.winner}' here but '{before}' in an earlier import; fix "
                           "the row, or name another voter")
        elif row.winner not in votes.values() and _voter(row, obj) not in votes:
            out.append(f"{where}: field 'winner': battle {battle} by no named voter (field "
                       f"'judge') is '{row.winner}' here, but an earlier import has only "
                       f"{', '.join(sorted(repr(str(w)) for w in votes.values()))}; name the "
                       "voter if another person voted")
    return out


def import_battles(store: Store, path: Path) -> ImportReport:
    """Validate every row, then store new battles and votes in one transaction.

    Raises:
        DatasetError: Naming the row and field of each problem (the first ``MAX_ERRORS``),
            rows giving one battle two outcomes (``_conflicts``), or a file without rows;
            nothing is stored for a file with errors.
    """
    raw = read_rows(path)
    if not raw:
        raise DatasetError(f"{path}: no battles in the file (it is empty, or an empty JSON "
                           "list). Give a JSON list or JSON Lines of battles with model_a, "
                           "model_b and winner.")
    errors: list[str] = []
    rows: list[tuple[str, _Row, Any]] = []
    for where, obj in raw:
        if not isinstance(obj, dict):
            errors.append(f"{where}: expected a JSON object with model_a, model_b, winner")
            continue
        try:
            rows.append((where, _Row.model_validate(obj), obj))
        except ValidationError as exc:
            for err in exc.errors():
                fld = ".".join(str(p) for p in err["loc"]) or "(row)"
                errors.append(f"{where}: field '{fld}': {err['msg']}")
        if len(errors) >= MAX_ERRORS:
            break
    errors += _conflicts(rows)[:max(0, MAX_ERRORS - len(errors))]
    if errors:
        raise DatasetError(f"{path}: {len(errors)} invalid rows; nothing was imported:\n"
                           + "\n".join(errors))
    report = ImportReport(rows=len(rows))
    known = store.battles.external_ids("import")
    stored = _stored_votes(store, known, {_battle_key(r, o) for _, r, o in rows})
    errors = _contradicts_store(path, rows, stored)
    if errors:
        raise DatasetError(f"{path}: {len(errors)} rows contradict votes already imported; "
                           "nothing was imported:\n" + "\n".join(errors[:MAX_ERRORS]))
    battles: dict[str, BattleRecord] = {}
    voters: set[tuple[str, str]] = set()
    votes: list[VoteRecord] = []
    now = time.time()
    for _where, row, obj in rows:
        if row.model_a == row.model_b:
            report.skipped_same_model += 1
            continue
        ext = _battle_key(row, obj)
        voter = _voter(row, obj)
        # One rule within a file and across imports: a vote is its voter's, and an unnamed
        # vote is identified by its row (the same row again is a duplicate).
        if voter in stored.get(ext, {}) or (ext, voter) in voters:
            report.skipped_duplicates += 1
            continue
        voters.add((ext, voter))
        if ext in known:  # a new voter on a battle imported before: the vote joins it
            votes.append(VoteRecord(known[ext], voter, row.voter_role, "ok", row.winner,
                                    created_at=row.tstamp or now,
                                    details={"source": str(path.name)}))
            continue
        meta = row.conv_metadata or {}
        battle = battles.get(ext)
        if battle is None:
            when = row.tstamp if row.tstamp is not None else now
            battle = BattleRecord(
                id=new_battle_id(), created_at=when, origin="import", prompt_source="import",
                model_a=row.model_a, model_b=row.model_b,
                conversation_a=_conversation(row.conversation_a,
                                             _count(meta, "sum_assistant_a_tokens")),
                conversation_b=_conversation(row.conversation_b,
                                             _count(meta, "sum_assistant_b_tokens")),
                turns=0, status="answered", category=row.category, language=row.language,
                external_id=ext, currency="USD")
            battles[ext] = battle
        votes.append(VoteRecord(battle.id, voter, row.voter_role, "ok", row.winner,
                                created_at=row.tstamp or now,
                                details={"source": str(path.name)}))
    store.battles.add_many(list(battles.values()), votes)
    report.battles = len(battles)
    report.votes = len(votes)
    return report


def export_battles(store: Store, role: str = "both") -> list[dict[str, Any]]:
    """Every counted vote (status ok) as one FastChat/LMArena battle object."""
    votes = [v for v in store.battles.votes() if v.status == "ok" and v.winner is not None
             and (role == "both" or v.role == role)]
    battles = {b.id: b for b in store.battles.all({v.battle_id for v in votes})}
    out: list[dict[str, Any]] = []
    for v in votes:
        b = battles[v.battle_id]
        meta: dict[str, Any] = {}
        for side in ("a", "b"):
            tokens = getattr(b, f"completion_tokens_{side}") or None
            s = StyleCounts.of(b.answers(side), tokens)
            meta.update({f"sum_assistant_{side}_tokens": s.length,
                         f"header_count_{side}": {"total": s.headers},
                         f"list_count_{side}": {"total": s.lists},
                         f"bold_count_{side}": {"total": s.bold}})
        out.append({
            "question_id": b.external_id.split("|")[0] if b.external_id else b.id,
            "model_a": b.model_a, "model_b": b.model_b, "winner": v.winner,
            "judge": v.voter.removeprefix("import:"),
            "conversation_a": _plain(b.conversation_a),
            "conversation_b": _plain(b.conversation_b),
            "turn": b.turns, "anony": True, "language": b.language, "tstamp": v.created_at,
            "conv_metadata": meta, "voter_role": v.role, "category": b.category})
    return out


def _plain(conv: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"role": str(m.get("role")), "content": str(m.get("content") or "")} for m in conv]
