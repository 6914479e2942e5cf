"""Lazy patterns: compiled on first use, then plain C methods; none of extract's may be broken."""

from __future__ import annotations

import re

import pytest

import baimo.tasks.extract as extract
from baimo.tasks.lazyre import _LazyPattern, lazy


def test_compiles_on_first_use_and_binds_the_methods() -> None:
    pat = lazy(r"(?P<n>\d+) apples", re.IGNORECASE)
    assert isinstance(pat, _LazyPattern)
    assert pat._compiled is None
    assert pat.pattern == r"(?P<n>\d+) apples" and pat.flags == re.IGNORECASE
    m = pat.search("I have 12 APPLES")
    assert m is not None and m.group("n") == "12"
    assert pat._compiled is not None
    # Later calls are the compiled pattern's own bound methods: no Python frame in between.
    assert pat.search.__self__ is pat._compiled
    assert pat.sub("n", "3 apples, 4 apples") == "n, n"
    assert [m.group() for m in pat.finditer("1 apples 2 apples")] == ["1 apples", "2 apples"]
    assert pat.groupindex["n"] == 1  # anything else the compiled pattern has is there too


def test_a_broken_pattern_fails_when_used() -> None:
    pat = lazy(r"(unclosed")
    with pytest.raises(re.error):
        pat.search("x")


def test_every_extraction_pattern_compiles() -> None:
    """Lazy compiling must not hide a broken rule until some reply happens to reach it."""
    found = [v for v in vars(extract).values() if isinstance(v, _LazyPattern)]
    found += [p for rules in (extract._LATEX_RULES, extract._LATEX_AFTER) for p, _ in rules]
    assert len(found) > 100
    for pat in found:
        assert isinstance(pat, _LazyPattern)
        pat.search("")  # compiles, or raises re.error naming the pattern's fault
