"""Regular expressions compiled on first use.

Why: the extraction rules are some 160 patterns, a few of them thousands of characters long.
Compiling them all at import cost about 0.13 s of every ``baimo eval`` start, yet a numeric
task never runs the multiple-choice rules and a short reply stops at the first strong rule.
A lazy pattern compiles when one of its methods is first looked up, then binds the compiled
pattern's methods onto itself, so later calls go straight to the C methods with no Python
frame in between.
"""

from __future__ import annotations

import re
from typing import Any, cast

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")


class _LazyPattern:
    __slots__ = ("pattern", "flags", "_compiled", *_METHODS)

    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        # Only reached for a slot not yet set: the first use of a method (or an attribute
        # the pattern has and this proxy does not, such as ``groupindex``).
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.pattern, self.flags)
            for method in _METHODS:
                setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r})"


def lazy(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """A pattern that compiles the first time it is used; typed as the compiled pattern."""
    return cast("re.Pattern[str]", _LazyPattern(pattern, int(flags)))
