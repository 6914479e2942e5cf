"""Generation parameters (``params:`` of a model, a task or a judge), checked where they are read.

Parameters are merged into the request body as they are, so anything the server accepts can
be passed. The ones baimo itself reads are checked when the file is loaded, because a wrong
type there does not fail once: ``max_tokens: "lots"`` would make every sample of a run a 400
from the server (or, before the request, a crash in the token budget that compares it with a
number), and ``n: 3`` would pay for three answers and score one. Unknown keys pass untouched.
"""

from __future__ import annotations

from typing import Any


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v == v  # NaN is not


def _token_cap(v: Any) -> str | None:
    if not _is_int(v) or v < 1:
        return "must be a whole number of tokens, at least 1"
    return None


def _between(low: float, high: float, *, low_open: bool = False) -> Any:
    def check(v: Any) -> str | None:
        if not _is_number(v) or v > high or (v <= low if low_open else v < low):
            if low_open:
                return f"must be a number above {low:g} and at most {high:g}"
            return f"must be a number from {low:g} to {high:g}"
        return None
    return check


def _seed(v: Any) -> str | None:
    return None if _is_int(v) else "must be a whole number"


def _stop(v: Any) -> str | None:
    if isinstance(v, str) or (isinstance(v, list) and all(isinstance(s, str) for s in v)):
        return None
    return "must be a string or a list of strings"


def _one_answer(v: Any) -> str | None:
    if v == 1 and _is_int(v):
        return None
    return "must be 1: baimo asks for one answer per request and scores only that one"


def _not_here(v: Any) -> str | None:
    return "is set by the model's own 'stream:' field, not in params; move it there"


_CHECKS: dict[str, Any] = {
    "max_tokens": _token_cap,
    "max_completion_tokens": _token_cap,
    "temperature": _between(0, 2),
    "top_p": _between(0, 1, low_open=True),
    "presence_penalty": _between(-2, 2),
    "frequency_penalty": _between(-2, 2),
    "seed": _seed,
    "stop": _stop,
    "n": _one_answer,
    "stream": _not_here,
}


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """Return ``params`` unchanged, or raise ``ValueError`` naming every bad parameter.

    Raised as ``ValueError`` so that pydantic reports it at the file and line of ``params``.
    """
    problems = []
    for key, check in _CHECKS.items():
        if key in params:
            problem = check(params[key])
            if problem is not None:
                problems.append(f"{key} {problem} (got {params[key]!r:.40})")
    if problems:
        raise ValueError("; ".join(problems))
    return params
