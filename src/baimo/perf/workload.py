"""What each request of a perf run asks: prompts, output lengths and generation parameters.

Prompt sources are small picklable objects with ``get(seq)``: a worker process rebuilds any
request from its sequence number without shipping every prompt across processes, and a
closed loop stopped by duration can ask for as many requests as the time allows.

* ``SyntheticPrompts``: exactly ``input_tokens`` tokens of the client tokenizer, unique per
  request (random words drawn from a per-request seed, after a shared prefix of
  ``shared_prefix`` tokens when asked). Unique prompts keep prefix caches cold: reused prompts
  would measure the cache, not the model (MEASURE.md §2, "Caching").
* ``ListPrompts``: prompts of an eval suite, task or dataset, cycled in order.
* ``TracePrompts``: a trace's own prompts, synthetic lengths and ``max_tokens``.

Output length: ``max_tokens`` always; ``ignore_eos`` and ``min_tokens`` only where the server
is known to accept them (an unknown parameter is a 400 on several vendor APIs). Achieved
lengths are always measured and reported, whether or not the server could be told.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from baimo.config import ModelConfig
from baimo.errors import ConfigError
from baimo.models.presets import PRESETS
from baimo.models.registry import provider_kind
from baimo.perf.tokenizer import Tokenizer, WordTokenizer
from baimo.tabular import read_jsonl

Messages = list[dict[str, str]]

# Which servers honour the output-length controls (by provider preset; the presets say).
IGNORE_EOS_PROVIDERS = frozenset(p.name for p in PRESETS.values() if p.ignore_eos)
MIN_TOKENS_PROVIDERS = frozenset(p.name for p in PRESETS.values() if p.min_tokens)


class PromptSource(Protocol):
    """Builds request ``seq``'s messages (and its own ``max_tokens``, if it has one)."""

    def get(self, seq: int) -> tuple[Messages, int | None]: ...

    def describe(self) -> dict[str, Any]: ...


@functools.lru_cache(maxsize=16)
def _prefix(words: tuple[str, ...], n: int, seed: int) -> str:
    """The shared prefix of ``n`` words (cached: every request of a run uses it)."""
    rng = random.Random(f"{seed}:prefix")
    return "".join(rng.choices(words, k=n)) if n > 0 else ""


@dataclass(frozen=True)
class SyntheticPrompts:
    """Prompts of exactly ``input_tokens`` tokens made of the tokenizer's additive words.

    Attributes:
        words: Additive words (``Tokenizer.words()``): each one token, and a text of ``n`` of
            them is ``n`` tokens.
        input_tokens: Length of every prompt in tokens.
        shared_prefix: Leading tokens identical in every prompt (0: fully unique prompts).
        seed: Seed of the word draws; the same seed gives the same prompts.
        tokenizer_name: For the record.
    """

    words: tuple[str, ...]
    input_tokens: int
    shared_prefix: int = 0
    seed: int = 0
    tokenizer_name: str = ""

    def __post_init__(self) -> None:
        if self.input_tokens < 1:
            raise ConfigError("--input-tokens must be at least 1")
        if not 0 <= self.shared_prefix <= self.input_tokens:
            raise ConfigError("--shared-prefix must be between 0 and --input-tokens")
        if len(self.words) < 2:
            raise ConfigError("the tokenizer gave too few words to build prompts")

    def _draw(self, rng: random.Random, n: int) -> str:
        return "".join(rng.choices(self.words, k=n)) if n > 0 else ""

    def text(self, seq: int) -> str:
        """The prompt text of request ``seq`` (a pure function of the fields and ``seq``)."""
        prefix = _prefix(self.words, self.shared_prefix, self.seed)
        unique = self.input_tokens - self.shared_prefix
        if unique <= 0:
            return prefix
        # The first unique words spell ``seq`` in base len(words): two requests never share
        # more than the asked-for prefix, even if their random draws happened to agree.
        base = len(self.words)
        digits: list[str] = []
        n = seq
        while len(digits) < unique:
            digits.append(self.words[n % base])
            n //= base
            if n == 0:
                break
        rest = self._draw(random.Random(f"{self.seed}:{seq}"), unique - len(digits))
        return prefix + "".join(digits) + rest

    def get(self, seq: int) -> tuple[Messages, int | None]:
        return [{"role": "user", "content": self.text(seq)}], None

    def describe(self) -> dict[str, Any]:
        return {"kind": "synthetic", "input_tokens": self.input_tokens,
                "shared_prefix_tokens": self.shared_prefix, "seed": self.seed,
                "tokenizer": self.tokenizer_name,
                "unique": "every prompt differs after the shared prefix"
                if self.shared_prefix else "every prompt differs from its first token"}


@dataclass(frozen=True)
class ListPrompts:
    """Fixed prompts (an eval suite, task or dataset), used in order and cycled."""

    prompts: tuple[tuple[tuple[tuple[str, str], ...], int | None], ...]
    source: str = ""

    @staticmethod
    def of(messages: list[Messages], source: str,
           max_tokens: list[int | None] | None = None) -> ListPrompts:
        """Freeze chat messages (and per-prompt ``max_tokens``) into a picklable source."""
        if not messages:
            raise ConfigError(f"{source}: no prompts")
        caps = max_tokens or [None] * len(messages)
        return ListPrompts(tuple((tuple((m["role"], m["content"]) for m in msgs), cap)
                                 for msgs, cap in zip(messages, caps, strict=True)), source)

    def get(self, seq: int) -> tuple[Messages, int | None]:
        msgs, cap = self.prompts[seq % len(self.prompts)]
        return [{"role": r, "content": c} for r, c in msgs], cap

    def own_max_tokens(self) -> int:
        """How many prompts carry their own ``max_tokens`` (which wins over the run's)."""
        return sum(1 for _, cap in self.prompts if cap is not None)

    def describe(self) -> dict[str, Any]:
        return {"kind": "prompts", "source": self.source, "distinct": len(self.prompts),
                "own_max_tokens": self.own_max_tokens(),
                "unique": "prompts repeat after " + str(len(self.prompts)) + " requests"
                if len(self.prompts) > 1 else "one prompt for every request"}


MAX_TRACE_SPAN_S = 86_400.0
"""The longest trace replayed: 24 hours from its first request to its last.

A trace is replayed in real time, so its span is how long the run takes. Published serving
traces cover minutes to hours (and a benchmark replays a slice of one); a span of more than
a day almost always means offsets in the wrong unit (milliseconds or epoch microseconds read
as seconds), and the run would sit silently waiting for a request due in weeks."""


@dataclass(frozen=True)
class TraceEntry:
    """One line of a trace: when, what, and how long an answer.

    ``line`` and ``key`` (the field the offset came from) are kept so that a check of the
    whole trace can still name the line and field at fault.
    """

    offset: float
    messages: tuple[tuple[str, str], ...] | None = None
    input_tokens: int | None = None
    max_tokens: int | None = None
    line: int = 0
    key: str = "offset"


@dataclass(frozen=True)
class TracePrompts:
    """A trace's requests, in offset order; synthetic text where it gives only a length."""

    entries: tuple[TraceEntry, ...]
    words: tuple[str, ...] = ()
    seed: int = 0
    source: str = ""

    def get(self, seq: int) -> tuple[Messages, int | None]:
        e = self.entries[seq % len(self.entries)]
        if e.messages is not None:
            return [{"role": r, "content": c} for r, c in e.messages], e.max_tokens
        n = e.input_tokens or 1
        if not self.words:
            raise ConfigError("a trace line gives input_tokens but no tokenizer is available "
                              "(choose one with --tokenizer)")
        text = SyntheticPrompts(self.words, n, 0, self.seed).text(seq)
        return [{"role": "user", "content": text}], e.max_tokens

    def offsets(self) -> list[float]:
        return [e.offset for e in self.entries]

    def own_max_tokens(self) -> int:
        """How many lines give their own ``max_tokens`` (which wins over the run's)."""
        return sum(1 for e in self.entries if e.max_tokens is not None)

    def describe(self) -> dict[str, Any]:
        return {"kind": "trace", "source": self.source, "entries": len(self.entries),
                "own_max_tokens": self.own_max_tokens()}


def _first(obj: dict[str, Any], *keys: str) -> tuple[str, Any]:
    for k in keys:
        if obj.get(k) is not None:
            return k, obj[k]
    return keys[0], None


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _trace_entry(obj: Any, where: str, line: int = 0) -> TraceEntry:
    """One validated trace line; every wrong type is a ``ConfigError`` naming the field."""
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: each line must be a JSON object")
    off_key = "offset"
    if obj.get("offset") is not None:
        off = obj["offset"]
        if not _is_number(off) or off < 0:
            raise ConfigError(f"{where}: field 'offset' must be a number of seconds >= 0, not "
                              f"{_shown(off)}")
    elif obj.get("timestamp") is not None:
        off = obj["timestamp"]
        off_key = "timestamp"
        if not _is_number(off) or off < 0:
            raise ConfigError(f"{where}: field 'timestamp' must be a number of milliseconds "
                              f">= 0, not {_shown(off)}")
        off = off / 1000.0
    else:
        raise ConfigError(f"{where}: 'offset' (seconds >= 0) or 'timestamp' (ms) is required")
    msgs: tuple[tuple[str, str], ...] | None = None
    if obj.get("messages") is not None:
        raw = obj["messages"]
        if not isinstance(raw, list) or not raw:
            raise ConfigError(f"{where}: field 'messages' must be a non-empty list of "
                              "{role, content} objects")
        out = []
        for i, m in enumerate(raw):
            if not isinstance(m, dict) or not isinstance(m.get("content"), str) \
                    or m.get("role", "user") not in ("system", "user", "assistant"):
                raise ConfigError(f"{where}: field 'messages[{i}]' must be an object with "
                                  "'role' (system/user/assistant) and text 'content'")
            out.append((str(m.get("role", "user")), str(m["content"])))
        msgs = tuple(out)
    elif obj.get("prompt") is not None:
        if not isinstance(obj["prompt"], str):
            raise ConfigError(f"{where}: field 'prompt' must be text, not {_shown(obj['prompt'])}")
        msgs = (("user", obj["prompt"]),)
    key, n_in = _first(obj, "input_tokens", "input_length")
    if n_in is not None and (not isinstance(n_in, int) or isinstance(n_in, bool) or n_in < 1):
        raise ConfigError(f"{where}: field '{key}' must be a whole number >= 1, not "
                          f"{_shown(n_in)}")
    if msgs is None and n_in is None:
        raise ConfigError(f"{where}: give 'prompt', 'messages' or 'input_tokens'")
    key, cap = _first(obj, "max_tokens", "output_tokens", "output_length")
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 1):
        raise ConfigError(f"{where}: field '{key}' must be a whole number >= 1, not "
                          f"{_shown(cap)}")
    return TraceEntry(float(off), msgs, n_in if msgs is None else None, cap, line, off_key)


def _shown(v: Any) -> str:
    """A wrong value, short, for an error message (traces hold no secrets, but may be long)."""
    text = orjson.dumps(v).decode() if not isinstance(v, float) else repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def load_trace(path: Path, words: list[str] | None, seed: int = 0) -> TracePrompts:
    """Read a JSONL trace: one request per line.

    Each line has ``offset`` (seconds from the start; or ``timestamp`` in milliseconds, as
    published traces use), the prompt as ``prompt`` (text) or ``messages`` (chat) or only its
    length ``input_tokens``/``input_length``, and ``max_tokens`` (or ``output_tokens``/
    ``output_length``; a line's own value wins over the run's ``--output-tokens``). Lines
    are sorted by offset. Traces come from other tools and logs, so every field's type is
    checked here (and the span of the part a run replays, ``check_replayed_span``): a wrong
    one is a ``ConfigError`` naming the line and field, never a traceback or a silent wait
    halfway through a run.
    """
    entries = [_trace_entry(obj, f"{path}:{lineno}", lineno)
               for lineno, obj in read_jsonl(path, "trace", ConfigError,
                                             "Each line must be one JSON object (a request).")]
    if not entries:
        raise ConfigError(f"{path}: the trace is empty")
    entries.sort(key=lambda e: e.offset)
    return TracePrompts(tuple(entries), tuple(words or ()), seed, str(path))


def check_replayed_span(trace: TracePrompts, replayed: int) -> None:
    """Refuse a trace whose first ``replayed`` requests (in offset order: what the run's
    stages will send) reach more than ``MAX_TRACE_SPAN_S`` past the first. Only those: a
    published trace months long is fine to replay for ``--duration 600``."""
    if replayed > 0:
        _check_span(Path(trace.source), list(trace.entries[:replayed]))


def _span_words(seconds: float) -> str:
    if seconds >= 2 * 86_400:
        return f"{seconds / 86_400:,.1f} days"
    return f"{seconds / 3_600:,.1f} hours"


def _check_span(path: Path, entries: list[TraceEntry]) -> None:
    """Refuse a trace (sorted by offset) whose last request is due more than
    ``MAX_TRACE_SPAN_S`` after its first: the replay would wait silently for it.

    Offsets are taken relative to the first request (as the replay does), so absolute
    clock times in the right unit are fine; the message names the first line past the
    bound in the file, its field and unit, and what to do.
    """
    first = entries[0]
    late = [e for e in entries if e.offset - first.offset > MAX_TRACE_SPAN_S]
    if not late:
        return
    bad = min(late, key=lambda e: e.line)
    span = bad.offset - first.offset
    raw = bad.offset * 1000.0 if bad.key == "timestamp" else bad.offset
    shown = f"{raw:,.0f}" if raw.is_integer() and raw < 1e15 else f"{raw:g}"
    unit = "milliseconds" if bad.key == "timestamp" else "seconds"
    if bad.key == "timestamp":
        fix = ("if the timestamps are microseconds or nanoseconds, divide them by 1,000 or "
               "1,000,000")
    else:
        fix = ("if the numbers are milliseconds, rename the field to 'timestamp' (read as "
               "milliseconds) or divide them by 1,000")
    raise ConfigError(
        f"{path}:{bad.line}: field '{bad.key}' is {shown} {unit}, {_span_words(span)} after "
        f"the trace's first request (line {first.line}). A trace is replayed in real time, "
        f"and one longer than {MAX_TRACE_SPAN_S / 3_600:g} hours is most likely in the wrong "
        f"unit ('offset' is seconds from the start, 'timestamp' milliseconds): {fix}; if the "
        "trace really is that long, cut it to the part you want to replay")


def suite_prompts(suite: str | None = None, task: Path | None = None,
                  dataset: Path | None = None) -> ListPrompts:
    """Prompts of a built-in suite, a task file or a dataset file (chat messages as rendered
    for the eval, so perf measures what the eval asks)."""
    messages: list[Messages] = []
    caps: list[int | None] = []
    if suite:
        from baimo.tasks.registry import build_suite

        tasks = build_suite(suite)
        for t in tasks:
            cap = t.params.get("max_tokens")
            for s in t.samples:
                messages.append([dict(m) for m in s.messages])
                caps.append(int(cap) if isinstance(cap, int) else None)
        source = f"suite {suite}"
    elif task is not None:
        from baimo.tasks.task import load_task

        t = load_task(task)
        cap = t.params.get("max_tokens")
        for s in t.samples:
            messages.append([dict(m) for m in s.messages])
            caps.append(int(cap) if isinstance(cap, int) else None)
        source = f"task {task}"
    elif dataset is not None:
        from baimo.tasks.dataset import load_dataset

        for s in load_dataset(dataset):
            messages.append([dict(m) for m in s.messages])
            caps.append(None)
        source = f"dataset {dataset}"
    else:
        raise ConfigError("give a suite, a task file or a dataset file")
    return ListPrompts.of(messages, source, caps)


@dataclass(frozen=True)
class OutputControl:
    """How the output length is asked for; recorded with the run.

    Attributes:
        max_tokens: The cap sent as ``max_tokens`` (None: the model's default params).
        ignore_eos: Send ``ignore_eos: true`` (the answer runs to ``max_tokens``).
        min_tokens: Send ``min_tokens`` equal to ``max_tokens``.
        note: Why, in words (which server accepts what).
    """

    max_tokens: int | None
    ignore_eos: bool = False
    min_tokens: bool = False
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def output_control(cfg: ModelConfig, max_tokens: int | None, ignore_eos: str = "auto"
                   ) -> OutputControl:
    """Decide the output-length parameters for ``cfg``'s server.

    Args:
        cfg: The target model.
        max_tokens: ``--output-tokens``.
        ignore_eos: ``auto`` (only where the provider is known to accept it), ``on`` (send
            ``ignore_eos`` and ``min_tokens``; for servers you know accept them, such as the
            mock server) or ``off``.
    """
    if ignore_eos not in ("auto", "on", "off"):
        raise ConfigError("--ignore-eos must be auto, on or off")
    if max_tokens is None:
        return OutputControl(None, note="output length: the model's own default max_tokens; "
                             "achieved lengths are reported")
    if ignore_eos == "on":
        return OutputControl(max_tokens, True, True, "ignore_eos and min_tokens sent (--ignore-"
                             "eos on); achieved lengths are reported")
    if ignore_eos == "off":
        return OutputControl(max_tokens, note="max_tokens only (--ignore-eos off); answers may "
                             "end early: achieved lengths are reported")
    eos = cfg.provider in IGNORE_EOS_PROVIDERS
    mins = cfg.provider in MIN_TOKENS_PROVIDERS
    kind = provider_kind(cfg)
    if kind.output_control is not None:
        why = kind.output_control
    elif cfg.provider in PRESETS and PRESETS[cfg.provider].length_note:
        why = f"{cfg.provider}: {PRESETS[cfg.provider].length_note}"
    elif eos or mins:
        why = f"{cfg.provider} accepts " + " and ".join(
            n for n, ok in (("ignore_eos", eos), ("min_tokens", mins)) if ok)
    else:
        why = (f"provider '{cfg.provider}' is not known to accept ignore_eos/min_tokens "
               "(use --ignore-eos on if it does)")
    return OutputControl(max_tokens, eos, mins, f"max_tokens={max_tokens}; {why}; achieved "
                         "lengths are reported")


def request_params(cfg: ModelConfig, control: OutputControl, cap: int | None = None
                   ) -> dict[str, Any]:
    """The body parameters of one request: the model's params, then the length controls.

    ``cap`` is a per-request ``max_tokens`` (from a trace or a task) that wins over the run's.
    """
    params = {k: v for k, v in cfg.params.items()
              if k not in ("max_tokens", "max_completion_tokens", "stream", "stream_options")}
    n = cap if cap is not None else control.max_tokens
    if n is not None:
        params["max_tokens"] = n
        if control.ignore_eos:
            params["ignore_eos"] = True
        if control.min_tokens:
            params["min_tokens"] = n
    params.update(control.extra)
    return params


def default_words() -> list[str]:
    """Words for prompts when no tokenizer is available (lengths are then approximate)."""
    return WordTokenizer().words()


def verify_lengths(source: SyntheticPrompts, tokenizer: Tokenizer | None, sample: int = 8
                   ) -> list[int]:
    """Token counts of the first ``sample`` prompts (each should be ``input_tokens``)."""
    if tokenizer is None:
        return []
    return [tokenizer.count(source.text(i)) for i in range(sample)]
