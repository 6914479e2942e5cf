"""The ``xinhua`` dimension profile and the presets' membership."""

from __future__ import annotations

import pytest

from baimo.errors import NotFound
from baimo.scores.profile import profile_dimensions
from baimo.tasks.registry import (
    DEFAULT_DIMENSIONS,
    PROFILES,
    SuiteOptions,
    build_suite,
    get_suite,
)


def test_every_built_in_task_has_a_xinhua_dimension() -> None:
    xinhua = profile_dimensions("xinhua")
    assert set(DEFAULT_DIMENSIONS) <= set(xinhua)
    assert set(xinhua.values()) == set(PROFILES["xinhua"][1])
    assert xinhua["eq"] == "情商" and xinhua["tools"] == "工具提效" and xinhua["math"] == "智商"
    with pytest.raises(NotFound, match="xinhua"):
        profile_dimensions("nope")


def test_presets_take_the_new_suites() -> None:
    for preset in ("standard", "full"):
        members = set(get_suite(preset).members)
        assert {"tools", "longctx", "compliance", "multiturn", "eq"} <= members
    quick = {t.name: t for t in build_suite("quick")}
    assert len(quick["tools-prompt"].samples) == 4
    assert quick["tools-prompt"].solver is not None
    # Judged suites join a preset only with a judge; the others always.
    names = {t.name for t in build_suite("standard", SuiteOptions(limit=2))}
    assert {"tools", "longctx", "compliance"} <= names and not names & {"multiturn", "eq"}
