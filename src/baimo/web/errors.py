"""How the workspace says what is wrong with a request, in one place.

Three rules, each for a reason:

* **Never echo large input.** An error body that repeats what was sent can be as large as the
  request (a 20,000-character prompt comes back whole) and can carry a secret typed into the
  wrong field (a sign-in token). Errors name the field, the limit and the size instead, and
  quote a user-given name only through ``shown``, which cuts it short.
* **Unknown names are 404, not an empty answer.** A mistyped run id, task or dimension that
  returned 200 with nothing in it looks like "nothing measured", not like a typo. ``unknown``
  says what is not known, the closest known name, and the names that are.
* **Validation errors read as sentences.** ``problems`` turns pydantic's errors (of a request,
  or of a job spec) into ``field: what is wrong`` lines with the limit and the size, and no
  input and no documentation URLs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence, Sized
from typing import Any

from fastapi import HTTPException

SHOWN = 60
"""Characters of a user-given name quoted in an error; longer ones are cut with their size."""

LISTED = 20
"""Known names listed in an ``unknown`` error; more are counted, not listed."""

_SIZED = {"string_too_long": "characters", "string_too_short": "characters",
          "too_long": "items", "too_short": "items", "bytes_too_long": "bytes",
          "bytes_too_short": "bytes"}
_LIMITS = ("max_length", "min_length", "ge", "gt", "le", "lt", "multiple_of")


def shown(name: str, limit: int = SHOWN) -> str:
    """``name`` quoted for an error message, cut to ``limit`` characters with its length when
    longer (the message stays short whatever was sent)."""
    if len(name) <= limit:
        return f"'{name}'"
    return f"'{name[:limit]}…' ({len(name):,} characters)"


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name a mistyped ``name`` most likely meant, if one is close enough."""
    if len(name) > 200:  # not a typo; and difflib is quadratic in the length
        return None
    near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return near[0] if near else None


def unknown(kind: str, name: str, known: Sequence[str], *, where: str = "",
            hint: str = "", listed: int = LISTED) -> HTTPException:
    """HTTP 404 for a ``kind`` (run, task, model, dimension …) named ``name`` that does not
    exist ``where`` (e.g. " in this store"): the closest known name, and the first
    ``listed`` known ones (in the order given)."""
    msg = f"no {kind} {shown(name)}{where}."
    near = closest(name, known)
    if near is not None:
        msg += f" Did you mean '{near}'?"
    if known:
        names = ", ".join(known[:listed])
        more = f" and {len(known) - listed} more" if len(known) > listed else ""
        msg += f" Known {kind}s: {names}{more}."
    else:
        msg += f" There are no {kind}s here yet."
    if hint:
        msg += f" {hint}"
    return HTTPException(404, msg)


def json_type(value: Any) -> str:
    """What JSON value ``value`` is, in words ("an array"), for "expected X, got Y"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def problem(error: Mapping[str, Any], prefix: Sequence[str] = ()) -> dict[str, Any]:
    """One pydantic error as ``{"field", "problem", "limit"?, "size"?}``, without its input.

    ``field`` is the dotted location under ``prefix`` (a request's ``body`` is dropped: a
    form or JSON field is named by itself; ``query``/``path``/… are kept, they say where)."""
    loc = [str(p) for p in error.get("loc", ())]
    ctx = error.get("ctx") or {}
    if error.get("type") == "json_invalid":  # its location is a character position
        return {"field": ".".join([*prefix, "body"]),
                "problem": f"not valid JSON ({ctx.get('error', 'decode error')})"}
    if loc and loc[0] == "body":
        loc = loc[1:] or ["body"]
    field = ".".join([*prefix, *loc]) or "request"
    out: dict[str, Any] = {"field": field, "problem": str(error.get("msg", "invalid"))}
    for key in _LIMITS:
        if isinstance(ctx.get(key), int | float):
            out["limit"] = ctx[key]
            break
    unit = _SIZED.get(str(error.get("type", "")))
    value = error.get("input")
    if unit is not None and isinstance(value, Sized):
        out["size"] = len(value)
        out["problem"] += f" (got {len(value):,} {unit})"
    return out


def problems(errors: Iterable[Mapping[str, Any]], prefix: Sequence[str] = ()
             ) -> tuple[str, list[dict[str, Any]]]:
    """Every error as one ``field: problem`` sentence (``; ``-joined), and as a list."""
    items = [problem(e, prefix) for e in errors]
    return "; ".join(f"{p['field']}: {p['problem']}" for p in items), items
