"""Every leaderboard of the arena from the stored battles: one place for CLI and web.

Human votes, judge votes and both together are separate leaderboards (a judge's taste is not
a team's until calibration says so), each with its win-rate matrix and per-category boards,
and the judge calibration goes beside the judge board.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from baimo.arena.battles import Role, comparisons
from baimo.arena.calibration import Calibration, calibrate
from baimo.arena.ratings import CIMethod, Leaderboard, leaderboard, win_rates
from baimo.errors import BaimoError
from baimo.store.store import Store

__all__ = ["ArenaBoards", "RoleBoard", "build_boards"]

MIN_CATEGORY_BATTLES = 20
"""A category gets its own board from this many counted votes (fewer: intervals are noise)."""


@dataclass
class RoleBoard:
    """One voter role's leaderboard, win rates and per-category boards."""

    role: str
    votes: int
    board: Leaderboard | None
    win_rates: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    categories: dict[str, Leaderboard] = field(default_factory=dict)
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "votes": self.votes,
                "board": None if self.board is None else self.board.as_dict(),
                "win_rates": self.win_rates,
                "categories": {k: v.as_dict() for k, v in self.categories.items()},
                "note": self.note}


@dataclass
class ArenaBoards:
    """Everything the ratings page and ``baimo arena ratings`` show."""

    roles: dict[str, RoleBoard]
    calibration: list[Calibration]
    excluded: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"roles": {k: v.as_dict() for k, v in self.roles.items()},
                "calibration": [c.as_dict() for c in self.calibration],
                "excluded": self.excluded}


def build_boards(store: Store, *, roles: tuple[Role, ...] = ("human", "judge", "both"),
                 style_control: bool = True, ci: CIMethod = "bootstrap", rounds: int = 1000,
                 seed: int = 0, anchor: str | None = None, anchor_rating: float = 1000.0,
                 reweight: bool = True, categories: bool = True) -> ArenaBoards:
    """Fit every requested board from the store (votes with status ok only)."""
    votes = store.battles.votes()
    battles = store.battles.all({v.battle_id for v in votes})
    excluded = {"judge-parse-error": 0, "error": 0}
    for v in votes:
        if v.status in excluded:
            excluded[v.status] += 1
    out: dict[str, RoleBoard] = {}
    for role in roles:
        comps = comparisons(battles, votes, role)
        rb = RoleBoard(role, len(comps), None)
        out[role] = rb
        if len({c.model_a for c in comps} | {c.model_b for c in comps}) < 2:
            rb.note = "no votes yet" if not comps else "votes on fewer than two models"
            continue
        opts: dict[str, Any] = {"style_control": style_control, "ci": ci, "rounds": rounds,
                                "seed": seed, "anchor_rating": anchor_rating,
                                "reweight": reweight}
        try:
            rb.board = leaderboard(comps, anchor=anchor, **opts)
        except BaimoError as exc:
            rb.note = str(exc)
            continue
        rb.win_rates = win_rates(comps)
        if not categories:
            continue
        by_cat: dict[str, list[Any]] = {}
        for c in comps:
            if c.category:
                by_cat.setdefault(c.category, []).append(c)
        for cat, group in sorted(by_cat.items()):
            names = {c.model_a for c in group} | {c.model_b for c in group}
            if len(group) < MIN_CATEGORY_BATTLES or len(names) < 2:
                continue
            cat_anchor = anchor if anchor in names else None
            try:
                rb.categories[cat] = leaderboard(group, anchor=cat_anchor, **opts)
            except BaimoError:
                continue
    return ArenaBoards(out, calibrate(votes), excluded)
