"""Fixtures of the arena tests (the servers themselves are in ``arena_servers``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from arena_servers import ArenaServer


@pytest.fixture
def arena_server() -> Iterator[ArenaServer]:
    with ArenaServer() as srv:
        yield srv
