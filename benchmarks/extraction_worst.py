"""Worst-case time of answer extraction on pathological text: does any rule blow up?

Extraction runs once per sample in every eval, on text a model wrote, and a small model can
loop for thousands of tokens ("A and B and A and B …", "** ** **", "(A)(A)(A)…"). A regular
expression that backtracks exponentially on such a run hangs a whole eval; one that is
quadratic makes a long answer cost seconds. This benchmark repeats each of ~60 short units to
1,000 and 4,000 characters, reads the result with both extractors, and prints the units whose
time grows faster than linearly (a ratio well above 4 for 4x the text) or that take long. It
also cuts each run to every length from 40 to 80 characters: a rule that backtracks
exponentially may only show on a short sentence ("A (B) A (B) A " took 2.3 s at 56 characters
and 4x more with each 4 more, while 1,000 characters were split into short pieces in time).

    python benchmarks/extraction_worst.py            # 1,000 and 4,000 characters
    python benchmarks/extraction_worst.py --big 16000

A unit that takes longer than ``--limit`` seconds is reported as a hang (the alarm stops it).
"""

from __future__ import annotations

import argparse
import signal
import time
from types import FrameType

from baimo.tasks.extract import extract_choice, extract_number

UNITS = [
    "**", "A ", "A、", "1,", "1 ", "1.", "= ", "答案", "the answer is 5 ", "(A)", "[", "$", "\\(",
    "x=1 ", "A and ", "(A) and ", "**A** and ", "选A", "√", "✅ A ", "-", "1/", "10^", "×10", "一",
    "万", "> ", "| ", "\n", "\n\n", "Answer: ", "<think>", "</think>", "#### ", "\\boxed{", "so ",
    "所以", "; ", "A)", "a) ", "option ", "is correct ", "not ", "因为", "Wait, ", "%", "...",
    "1e", "½", "₁", "_", "B. ", "**B**", "or ", "or 5 ", "to 5 ", "between ", "约", "≈", "'",
    '"', "“", "——", "A项、", "A , and ", "A (B) ", "Oxygen (A) — ", "A. a\n", "is ±3, ",
    "dollar cent one ",
]
QUESTION = "How many apples? 3 and 4"
CHOICES = ["3", "Plan B", "C++", "none of the above"]


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Hang


def _time(text: str, limit: float) -> tuple[float, float]:
    """Seconds for extract_number and for extract_choice on ``text`` (inf: hung)."""
    out = []
    for read in (lambda: extract_number(text, question=QUESTION, finish_reason="stop"),
                 lambda: extract_choice(text, 4, CHOICES, multi=True)):
        signal.setitimer(signal.ITIMER_REAL, limit)
        t = time.perf_counter()
        try:
            read()
            out.append(time.perf_counter() - t)
        except _Hang:
            out.append(float("inf"))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return out[0], out[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=int, default=1000, help="characters (default 1000)")
    ap.add_argument("--big", type=int, default=4000, help="characters (default 4000)")
    ap.add_argument("--limit", type=float, default=20.0, help="seconds before a hang")
    args = ap.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    growth = args.big / args.small
    worst: list[tuple[float, str, str]] = []
    flagged = 0
    for unit in UNITS:
        small = _time(unit * (args.small // len(unit) + 1), args.limit)
        big = _time(unit * (args.big // len(unit) + 1), args.limit)
        for k, which in enumerate(("number", "choice")):
            ratio = big[k] / max(small[k], 1e-3)
            worst.append((big[k], which, unit))
            if big[k] == float("inf") or ratio > 2.5 * growth or big[k] > 1.0:
                flagged += 1
                print(f"SLOW  {which:<6} {unit!r:<22} {small[k]:.3f} s -> {big[k]:.3f} s "
                      f"(x{ratio:.1f} for x{growth:g} the text)")
    for unit in UNITS:
        for n in range(40, 81, 2):
            short = _time((unit * (n // len(unit) + 1))[:n], args.limit)
            for k, which in enumerate(("number", "choice")):
                if short[k] > 0.5:
                    flagged += 1
                    print(f"SLOW  {which:<6} {unit!r:<22} cut to {n} characters: "
                          f"{short[k]:.3f} s")
    worst.sort(reverse=True)
    print(f"{len(UNITS)} units x 2 extractors at {args.small:,} and {args.big:,} characters, and "
          f"cut to 40-80; {flagged} flagged (hang, growth above {2.5 * growth:g}x, over 1 s, "
          "or over 0.5 s when short)")
    print("slowest at the big size: " + ", ".join(
        f"{w} {u!r} {t:.3f} s" for t, w, u in worst[:5]))


if __name__ == "__main__":
    main()
