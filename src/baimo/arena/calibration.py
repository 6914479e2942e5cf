"""Is the judge worth trusting here? Its agreement with the humans on the same battles.

MEASURE.md §3: judges agree with humans about 80% of the time, about the human–human rate, but
only a judge checked on *this* team's prompts should be trusted. So beside every judge
leaderboard baimo shows, on the battles that have both a human vote and a judge verdict:

* the **agreement rate**: the judge's verdict equals the human's (A, B or tie; "both bad"
  counts as a tie, as in the ratings);
* **Cohen's κ** over the same pairs (agreement corrected for chance: a judge that always says
  "tie" can agree often and still be useless);
* the **position-bias rate**: among the judge's verdicts whose two orders both parsed, how
  often the verdict flipped with the order (those battles became ties). Computed on every judge
  verdict, not only the doubly-voted battles, because it needs no human.

Parse failures and unheard judges are counted and left out of every rate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from baimo.stats import cohen_kappa, wilson
from baimo.store.battles import VoteRecord

__all__ = ["Calibration", "calibrate"]

_LABEL = {"model_a": "A", "model_b": "B", "tie": "tie", "tie (bothbad)": "tie"}


@dataclass
class Calibration:
    """Judge–human agreement on doubly-voted battles, and the judge's position bias."""

    judge: str
    pairs: int = 0
    agreement: float | None = None
    agreement_low: float | None = None
    agreement_high: float | None = None
    kappa: float | None = None
    position_bias: float | None = None
    position_bias_n: int = 0
    parse_errors: int = 0
    errors: int = 0
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def calibrate(votes: Sequence[VoteRecord]) -> list[Calibration]:
    """One ``Calibration`` per judge (voter with role ``judge``), by voter name."""
    humans: dict[str, list[str]] = {}
    judges: dict[str, list[VoteRecord]] = {}
    for v in votes:
        if v.role == "human" and v.status == "ok" and v.winner in _LABEL:
            humans.setdefault(v.battle_id, []).append(_LABEL[v.winner])
        elif v.role == "judge":
            judges.setdefault(v.voter, []).append(v)
    out = []
    for judge, jv in sorted(judges.items()):
        cal = Calibration(judge)
        h_labels: list[str] = []
        j_labels: list[str] = []
        confusion: dict[str, Counter[str]] = {}
        flips = both = 0
        for v in jv:
            if v.status == "judge-parse-error":
                cal.parse_errors += 1
                continue
            if v.status != "ok" or v.winner not in _LABEL:
                cal.errors += 1
                continue
            orders = v.details.get("verdicts")
            if isinstance(orders, list) and len(orders) == 2 and None not in orders:
                both += 1
                flips += int(orders[0] != orders[1])
            for h in humans.get(v.battle_id, []):
                h_labels.append(h)
                j_labels.append(_LABEL[v.winner])
                confusion.setdefault(h, Counter())[_LABEL[v.winner]] += 1
        n = len(h_labels)
        cal.pairs = n
        cal.confusion = {h: dict(c) for h, c in sorted(confusion.items())}
        if n:
            agree = sum(1 for h, j in zip(h_labels, j_labels, strict=True) if h == j)
            cal.agreement = agree / n
            cal.agreement_low, cal.agreement_high = wilson(agree, n)
            cal.kappa = cohen_kappa(h_labels, j_labels, labels=["A", "B", "tie"])
        cal.position_bias_n = both
        cal.position_bias = flips / both if both else None
        out.append(cal)
    return out
