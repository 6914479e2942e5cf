"""Check a row against its table's column types before it reaches the database.

Why: one value the database refuses (a provider reporting 10**30 tokens overflows a 64-bit
integer) makes the whole group-commit transaction fail, and with it every neighbouring sample
of the batch. Checking first lets the store turn just that row into an ``error`` row whose
reason names the field, and keep the rest. The limits are the strictest of what the dialect
stores: SQLite integers are signed 64-bit; PostgreSQL ``INTEGER`` is 32-bit and ``BIGINT``
64-bit; ``VARCHAR(n)`` holds n characters on PostgreSQL (SQLite would store more, but a
database must be movable to PostgreSQL, so the bound is checked on both); a float must be
finite (SQLite stores NaN as NULL, which a NOT NULL column then rejects).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

_INT64 = 2**63
_INT32 = 2**31
_INT16 = 2**15


def int_bound(col: sa.Column[Any], dialect: str) -> int:
    """Exclusive magnitude bound of an integer column: values lie in ``[-b, b)``."""
    if dialect == "postgresql":
        if isinstance(col.type, sa.SmallInteger):
            return _INT16
        if isinstance(col.type, sa.BigInteger):
            return _INT64
        return _INT32
    return _INT64


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_value(col: sa.Column[Any], value: Any, dialect: str) -> str | None:
    """Why ``value`` cannot be stored in ``col`` on ``dialect``, or None when it can."""
    name = col.name
    if value is None:
        return None if col.nullable or (col.primary_key and col.autoincrement is True) \
            else f"{name} is missing (the column is NOT NULL)"
    t = col.type
    if isinstance(t, sa.Boolean):
        if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
            return None
        return f"{name}={_short(value)} is not a boolean"
    if isinstance(t, sa.Integer):
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{name}={_short(value)} is not an integer"
        bound = int_bound(col, dialect)
        if not -bound <= value < bound:
            bits = bound.bit_length()
            return (f"{name}={_short(value)} is out of range for a signed {bits}-bit integer "
                    f"column ({dialect})")
        return None
    if isinstance(t, sa.Float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{name}={_short(value)} is not a number"
        try:
            as_float = float(value)
        except OverflowError:
            return f"{name}={_short(value)} is too large for a float column"
        if not math.isfinite(as_float):
            return f"{name}={_short(value)} is not a finite number"
        return None
    if isinstance(t, sa.String):  # Text is a String without a length
        if not isinstance(value, str):
            return f"{name}={_short(value)} is not text"
        if t.length is not None and len(value) > t.length:
            return f"{name} is {len(value)} characters long; the column holds {t.length}"
        if "\x00" in value:
            return f"{name} contains a NUL character, which PostgreSQL text cannot hold"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{name} contains a lone surrogate, which is not text (invalid UTF-16 " \
                "escape in the response?)"
        return None
    return None


def _fast_test(col: sa.Column[Any], dialect: str) -> str:
    """A Python test of ``v`` that says yes quickly to the usual value of ``col``.

    It is stricter than ``check_value`` (non-ASCII text, say, goes to the full check), never
    looser: a yes means ``check_value`` would find nothing.
    """
    nullable = col.nullable or (col.primary_key and col.autoincrement is True)
    none = " or v is None" if nullable else ""
    t = col.type
    if isinstance(t, sa.Boolean):
        return f"v.__class__ is bool{none}"
    if isinstance(t, sa.Integer):
        b = int_bound(col, dialect)
        return f"(v.__class__ is int and {-b} <= v < {b}){none}"
    if isinstance(t, sa.Float):
        return (f"(v.__class__ is float and isfinite(v)) or (v.__class__ is int and "
                f"{-_INT64} <= v < {_INT64}){none}")
    if isinstance(t, sa.String):
        length = f" and len(v) <= {int(t.length)}" if t.length is not None else ""
        return f"(v.__class__ is str{length} and v.isascii() and '\\x00' not in v){none}"
    return "False"


@functools.lru_cache(maxsize=64)
def _all_storable(table: sa.Table, dialect: str) -> Callable[[Mapping[str, Any]], bool]:
    """One function that tests every column of ``table`` for a row at once.

    Why generated: every result and response of a run is checked, so the usual row (small
    ints, finite floats, short ASCII text) must pass in a few operations per column. A loop
    calling one test per column cost a tenth of baimo's CPU per sample
    (``benchmarks/overhead.py``); the same tests written out as one function cost a quarter
    of that. Only the schema's own column names and bounds go into the source.
    """
    names = frozenset(table.columns.keys())
    lines = ["def storable(row):",
             "    if len(row) > n_names or not names.issuperset(row):",
             "        return False",
             "    get = row.get"]
    for col in table.columns:
        lines += [f"    v = get({col.name!r})",
                  f"    if not ({_fast_test(col, dialect)}):",
                  "        return False"]
    lines.append("    return True")
    namespace: dict[str, Any] = {"isfinite": math.isfinite, "names": names,
                                 "n_names": len(names)}
    exec("\n".join(lines), namespace)  # the source is built above from the schema alone
    fn: Callable[[Mapping[str, Any]], bool] = namespace["storable"]
    return fn


@functools.lru_cache(maxsize=64)
def _plan(table: sa.Table, dialect: str) -> tuple[frozenset[str], tuple[tuple[
        str, sa.Column[Any], bool], ...]]:
    cols = tuple((c.name, c, bool(c.primary_key and c.autoincrement is True))
                 for c in table.columns)
    return frozenset(table.columns.keys()), cols


def problems(table: sa.Table, row: Mapping[str, Any], dialect: str) -> dict[str, str]:
    """Every column of ``table`` whose value in ``row`` cannot be stored: name → why.

    Columns absent from ``row`` are checked as None (so a missing NOT NULL value is caught),
    except an autoincrement primary key, which the database fills in.
    """
    if _all_storable(table, dialect)(row):
        return {}
    names, cols = _plan(table, dialect)
    out: dict[str, str] = {}
    get = row.get
    for name, col, auto_pk in cols:
        if auto_pk and name not in row:
            continue
        why = check_value(col, get(name), dialect)
        if why is not None:
            out[name] = why
    if len(row) > len(names) or not names.issuperset(row):
        for name in sorted(set(row) - names):
            out[name] = f"{name} is not a column of {table.name}"
    return out
