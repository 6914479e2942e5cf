"""Load shapes: what is sent when, and which requests count.

Why absolute times: a sender that sleeps a relative interval after each send drifts, because
every sleep overshoots a little and the overshoots add up (vLLM #21104 saw 183.5 instead of
200 requests/s). Here every arrival has an absolute due time, computed up front from the
level's start, and the sender sleeps *until* it; a late wake-up delays one send, never the
ones after it.

Why count-conditioned arrivals: a Poisson process at 50 requests/s yields 3,000 ± 55
arrivals in a minute, so its realised rate is itself random by ±1.8%. The schedules here
draw exactly ``n`` arrivals whose gaps follow the chosen law and are scaled so that the
first-to-last span is ``(n - 1) / rate`` (for exponential gaps this *is* a Poisson process
conditioned on its count). The offered rate is then the target rate, and any deviation of
the achieved rate is the client's own error.

Windows: a level runs up to three stages in order: warm-up (excluded from metrics: cold
connections, cold caches), the measured stage, and cool-down (excluded: the tail where
load drains). Each stage ends after a number of requests or a number of seconds.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from baimo.errors import ConfigError

LoadKind = Literal["concurrency", "rate", "trace"]
ArrivalKind = Literal["poisson", "gamma", "constant"]
Phase = Literal["warmup", "measure", "cooldown"]
PHASES: tuple[Phase, ...] = ("warmup", "measure", "cooldown")

_perf = time.perf_counter


@dataclass(frozen=True)
class Level:
    """One point of a sweep.

    Attributes:
        kind: ``concurrency`` (closed loop: a new request starts when one finishes),
            ``rate`` (open loop: arrivals at a target rate, whatever the server does), or
            ``trace`` (open loop: arrivals at the offsets of a trace file).
        value: The concurrency, or the rate in requests per second (1.0 for a trace).
        max_concurrency: Open loop only: at most this many requests in flight; later
            arrivals wait, and that wait shows up as latency from the scheduled time.
    """

    kind: LoadKind
    value: float
    max_concurrency: int | None = None

    def __post_init__(self) -> None:
        """Refuse a level no run can use where it is made (the command line, a web job, a
        library caller): found later, it would fail a run that is already recorded."""
        if self.kind not in ("concurrency", "rate", "trace"):
            raise ConfigError(f"unknown load kind '{self.kind}'; use concurrency, rate or "
                              "trace")
        if not (math.isfinite(self.value) and self.value > 0):
            raise ConfigError(f"a {self.kind} level must be a number more than 0, not "
                              f"{self.value!r}")
        if self.kind == "concurrency" and self.value != int(self.value):
            raise ConfigError(f"--concurrency: {self.value:g} is not a whole number")
        if self.max_concurrency is not None:
            if self.kind == "concurrency":
                raise ConfigError("--max-concurrency caps open-loop levels (--rate, --trace); "
                                  "a --concurrency level is already its own cap: leave "
                                  "--max-concurrency out")
            if isinstance(self.max_concurrency, bool) or self.max_concurrency < 1:
                raise ConfigError(f"--max-concurrency must be at least 1 (got "
                                  f"{self.max_concurrency}); leave it out for no cap")

    @property
    def label(self) -> str:
        """The name stored in ``perf_requests.level`` and shown in reports."""
        if self.kind == "concurrency":
            return f"c={int(self.value)}"
        if self.kind == "rate":
            return f"rate={self.value:g}/s"
        return "trace" if self.value == 1.0 else f"trace x{self.value:g}"


def _floats(text: str, what: str) -> list[float]:
    out: list[float] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            raise ConfigError(f"{what}: '{part}' is not a number (use e.g. 1,4,16)") from None
        if value <= 0:
            raise ConfigError(f"{what}: values must be > 0, got {part}")
        out.append(value)
    if not out:
        raise ConfigError(f"{what}: give at least one value (e.g. 1,4,16), or leave the "
                          "option out")
    return out


def parse_levels(concurrency: str | None = None, rate: str | None = None,
                 trace: bool = False, max_concurrency: int | None = None) -> list[Level]:
    """Levels from the command-line lists (``--concurrency 1,4`` and/or ``--rate 5,10``).

    Concurrency levels must be whole numbers. With nothing given, a closed loop at
    concurrency 1 is run (the latency of a lone request). An option given with no value
    (``--concurrency ""``) is refused, not read as "not given": the user asked for levels
    and would otherwise measure a default they did not ask for. ``--max-concurrency``
    without an open-loop level is refused too, rather than dropped unused.
    """
    levels: list[Level] = []
    if concurrency is not None:
        for v in _floats(concurrency, "--concurrency"):
            if v != int(v):
                raise ConfigError(f"--concurrency: {v:g} is not a whole number")
            levels.append(Level("concurrency", float(int(v))))
    if rate is not None:
        levels.extend(Level("rate", v, max_concurrency) for v in _floats(rate, "--rate"))
    if trace:
        levels.append(Level("trace", 1.0, max_concurrency))
    if max_concurrency is not None and not any(lv.kind != "concurrency" for lv in levels):
        raise ConfigError("--max-concurrency caps open-loop levels: give it with --rate or "
                          "--trace (a --concurrency level is already its own cap)")
    return levels or [Level("concurrency", 1.0)]


@dataclass(frozen=True)
class Stage:
    """One window of a level: ends after ``count`` requests or ``seconds``, whichever comes
    first when both are set (as GuideLLM's ``--max-requests``/``--max-seconds``).

    A stage with neither is empty (skipped). The measured stage always has one of them.
    """

    phase: Phase
    count: int | None = None
    seconds: float | None = None

    @property
    def empty(self) -> bool:
        return not self.count and not self.seconds


_WINDOW_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|ms|m|req|requests)?\s*$")


def parse_window(text: str | float | int | None, what: str) -> tuple[int | None, float | None]:
    """``"10"`` → 10 requests, ``"5s"``/``"500ms"``/``"1m"`` → seconds; returns (count, s)."""
    if text is None or text == "" or text == 0:
        return None, None
    if isinstance(text, int | float):
        return (int(text), None) if float(text) == int(text) else (None, float(text))
    m = _WINDOW_RE.match(text)
    if not m:
        raise ConfigError(f"{what}: '{text}' is neither a request count (10) nor a duration "
                          "(5s, 500ms, 1m)")
    value = float(m.group(1))
    unit = m.group(2)
    if unit in (None, "req", "requests"):
        if value != int(value):
            raise ConfigError(f"{what}: a request count must be whole, got '{text}'")
        return int(value) or None, None
    seconds = value / 1000.0 if unit == "ms" else value * 60.0 if unit == "m" else value
    return None, seconds or None


def stages(requests: int | None, duration_s: float | None, warmup: str | float | None = None,
           cooldown: str | float | None = None) -> tuple[Stage, Stage, Stage]:
    """The three windows of a level from the stop condition and the warm-up/cool-down text.

    ``requests`` counts *measured* requests; warm-up and cool-down requests come on top.
    With both ``requests`` and ``duration_s`` the measured window ends at whichever comes
    first, for every load shape (``stop_rule`` says it in words). Without a stop condition
    a level measures 100 requests.
    """
    if requests is not None and requests < 1:
        raise ConfigError("--requests must be at least 1")
    if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
        raise ConfigError(f"--duration must be a number of seconds more than 0 (got "
                          f"{duration_s:g})")
    if requests is None and duration_s is None:
        requests = 100
    wc, ws = parse_window(warmup, "--warmup")
    cc, cs = parse_window(cooldown, "--cooldown")
    return (Stage("warmup", wc, ws), Stage("measure", requests, duration_s),
            Stage("cooldown", cc, cs))


def stop_rule(requests: int | None, duration_s: float | None) -> str:
    """When a level's measured window ends, in words (printed and stored with the run): a
    user who gives both ``--requests`` and ``--duration`` must not have to guess which wins."""
    if requests is not None and duration_s is not None:
        return (f"each level measures until {requests} requests or {duration_s:g} s, "
                "whichever comes first")
    if duration_s is not None:
        return f"each level measures for {duration_s:g} s"
    if requests is not None:
        return f"each level measures {requests} requests"
    return "each level measures 100 requests (a trace: all of its lines)"


def arrival_offsets(kind: ArrivalKind, rate: float, n: int, seed: int = 0,
                    gamma_shape: float = 0.5) -> np.ndarray:
    """``n`` arrival offsets (seconds from the first, which is 0) at ``rate`` per second.

    Gaps are exponential (``poisson``), gamma with shape ``gamma_shape`` (< 1 is burstier
    than Poisson, > 1 smoother; the coefficient of variation is 1/sqrt(shape)), or equal
    (``constant``). They are scaled so that the span is exactly ``(n - 1) / rate`` (see the
    module docstring), which keeps the law of the gaps and fixes the realised rate.
    """
    if rate <= 0:
        raise ConfigError("the rate must be > 0 requests/s")
    if n <= 0:
        return np.zeros(0)
    out = np.zeros(n)
    if n == 1:
        return out
    span = (n - 1) / rate
    if kind == "constant":
        out[1:] = np.arange(1, n) / rate
        return out
    rng = np.random.default_rng(seed)
    if kind == "poisson":
        gaps = rng.exponential(1.0, n - 1)
    elif kind == "gamma":
        if gamma_shape <= 0:
            raise ConfigError("--gamma-shape must be > 0")
        gaps = rng.gamma(gamma_shape, 1.0, n - 1)
    else:
        raise ConfigError(f"unknown arrival process '{kind}'; use poisson, gamma or constant")
    total = float(gaps.sum())
    if total <= 0:  # every gap drew 0 (only possible with absurd shapes): fall back to even
        out[1:] = np.arange(1, n) / rate
        return out
    out[1:] = np.cumsum(gaps) * (span / total)
    out[-1] = span  # exact despite rounding in the cumulative sum
    return out


@dataclass(frozen=True)
class Arrival:
    """One scheduled request of an open-loop level: offset from the level's start."""

    seq: int
    offset: float
    phase: Phase


def open_schedule(stage_list: tuple[Stage, Stage, Stage], rate: float, kind: ArrivalKind,
                  seed: int = 0, gamma_shape: float = 0.5) -> list[Arrival]:
    """The arrivals of an open-loop level at ``rate``, warm-up and cool-down included.

    A stage given in seconds gets ``round(rate * seconds)`` arrivals, so the whole level is
    one continuous arrival process and the stages are slices of it. A stage given both a
    count and seconds gets the smaller of the two (whichever comes first).
    """
    counts: list[tuple[Phase, int]] = []
    for st in stage_list:
        if st.empty:
            continue
        by_time = max(1, round(rate * st.seconds)) if st.seconds else None
        n = min(x for x in (st.count or None, by_time) if x is not None)
        counts.append((st.phase, n))
    total = sum(n for _, n in counts)
    offsets = arrival_offsets(kind, rate, total, seed, gamma_shape)
    out: list[Arrival] = []
    i = 0
    for phase, n in counts:
        for _ in range(n):
            out.append(Arrival(i, float(offsets[i]), phase))
            i += 1
    return out


def trace_schedule(offsets: list[float], stage_list: tuple[Stage, Stage, Stage],
                   speed: float = 1.0) -> list[Arrival]:
    """Arrivals at a trace's offsets (divided by ``speed``), cut into the stages.

    Stages in requests take that many trace entries in order; stages in seconds take the
    entries whose offset falls in their window; a stage with both takes the entries of its
    window up to its count (whichever comes first). Entries past the last stage are dropped.
    """
    rel = sorted(o / speed for o in offsets)
    if not rel:
        return []
    base = rel[0]
    rel = [o - base for o in rel]
    out: list[Arrival] = []
    i = 0
    start = 0.0  # where the current stage's time window begins
    for st in stage_list:
        if st.empty:
            continue
        if not st.seconds:
            take = rel[i:i + (st.count or 0)]
            i += len(take)
            start = rel[i] if i < len(rel) else start
        else:
            end = start + st.seconds
            j = i
            while j < len(rel) and rel[j] < end and not (st.count and j - i >= st.count):
                j += 1
            take = rel[i:j]
            counted_out = bool(st.count) and len(take) == st.count and j < len(rel) \
                and rel[j] < end
            i = j
            # Ended by its count: the next stage starts with the next entry, as above.
            start = rel[i] if counted_out else end
        first = len(out)
        out.extend([Arrival(first + k, off, st.phase) for k, off in enumerate(take)])
    return out


class ClosedLoopStages:
    """The dispatcher's stage machine for a closed loop in one process.

    ``next_phase(now)`` is called as each request is about to start and says which phase it
    belongs to, or None when the level is over. Counts are this process's share.
    """

    def __init__(self, stage_list: tuple[Stage, Stage, Stage], epoch: float) -> None:
        self._stages = [s for s in stage_list if not s.empty]
        self._i = 0
        self._n = 0
        self._start = epoch

    def next_phase(self, now: float) -> Phase | None:
        while self._i < len(self._stages):
            st = self._stages[self._i]
            over = (st.count is not None and st.count > 0 and self._n >= st.count) or \
                (st.seconds is not None and st.seconds > 0 and now - self._start >= st.seconds)
            if not over:
                self._n += 1
                return st.phase
            self._i += 1
            self._n = 0
            self._start = now
        return None

    def deadline(self) -> float | None:
        """When the current stage ends by time (None if it ends by count)."""
        if self._i >= len(self._stages):
            return None
        st = self._stages[self._i]
        return self._start + st.seconds if st.seconds else None


def split_count(total: int | None, parts: int, index: int) -> int | None:
    """Share ``index`` of ``total`` requests spread over ``parts`` processes."""
    if total is None:
        return None
    return total // parts + (1 if index < total % parts else 0)


def split_stages(stage_list: tuple[Stage, Stage, Stage], parts: int, index: int
                 ) -> tuple[Stage, Stage, Stage]:
    """The stages of one of ``parts`` closed-loop processes (counts split, times shared).

    A process whose share of a counted stage is 0 gets an empty stage, its seconds dropped
    too: with both a count and seconds, a 0 count read as "no count" and the process sent
    for the whole duration (``--requests 2 --duration 30`` over four processes measured far
    more than two requests)."""
    def share(s: Stage) -> Stage:
        n = split_count(s.count, parts, index)
        return Stage(s.phase, n, None if n == 0 else s.seconds)

    w, m, c = (share(s) for s in stage_list)
    return w, m, c


async def sleep_until(deadline: float, spin: float = 0.0) -> None:
    """Sleep until ``deadline`` (a ``time.perf_counter()`` value).

    The event loop's timers wake up to a millisecond late (epoll counts milliseconds), so
    with ``spin`` > 0 the timer is set ``spin`` seconds early and the rest is spent yielding
    to the loop (other requests keep being served) until the deadline.
    """
    delay = deadline - spin - _perf()
    if delay > 0:
        await asyncio.sleep(delay)
    if spin > 0:
        while _perf() < deadline:
            await asyncio.sleep(0)
