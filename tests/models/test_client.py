"""The one model client: shared limits, retries, Retry-After bounds, redaction."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from baimo.config import ModelConfig
from baimo.models.base import REDACTED, clean_reason, redact
from baimo.models.client import CallFailed, ModelClient, clients
from baimo.tasks.judge import Judge
from baimo.testing.hostile import HostileServer
from baimo.testing.mockserver import MockConfig, MockServer

MESSAGES = [{"role": "user", "content": "Question? [[answer:7]]"}]


def _cfg(url: str, **kw: Any) -> ModelConfig:
    return ModelConfig.model_validate({"name": "m", "base_url": url, "model": "m-1", **kw})


def test_a_judge_and_a_candidate_share_one_limiter() -> None:
    """One endpoint, one RPM: candidate and judge traffic together stay within it."""
    with MockServer(MockConfig()) as srv:
        cfg = _cfg(srv.base_url, limits={"rpm": 600, "concurrency": 8})

        async def go() -> float:
            client = clients().get(cfg)
            judge = Judge(cfg)
            assert judge.client() is client
            started = time.monotonic()
            await asyncio.gather(*(client.complete(MESSAGES, {"max_tokens": 8})
                                   for _ in range(12)),
                                 *(judge.ask(MESSAGES) for _ in range(12)))
            elapsed = time.monotonic() - started
            await clients().aclose()
            return elapsed

        elapsed = asyncio.run(go())
        assert srv.stats()["completed"] == 24
    # 24 requests at 10/s take at least 2.3 s; two limiters would have taken half.
    assert elapsed >= 2.0, elapsed


def test_retry_after_beyond_the_maximum_fails_at_once() -> None:
    with HostileServer() as srv:
        for case in ("retry-after-huge", "retry-after-inf", "retry-after-date",
                     "retry-after-ms"):
            cfg = _cfg(srv.base_url, model=case, limits={"max_retry_after_s": 30})

            async def go(c: ModelConfig = cfg) -> CallFailed:
                client = ModelClient(c)
                try:
                    await client.complete(MESSAGES, {})
                except CallFailed as failed:
                    return failed
                finally:
                    await client.aclose()
                raise AssertionError("no failure")

            started = time.monotonic()
            exc = asyncio.run(go())
            assert time.monotonic() - started < 5
            assert exc.attempts == 1 and not exc.fatal
            assert "max_retry_after_s = 30 s" in exc.reason, exc.reason


def test_unparseable_retry_after_counts_as_absent() -> None:
    with HostileServer() as srv:
        cfg = _cfg(srv.base_url, model="retry-after-soon", limits={"max_retries": 2})

        async def go() -> int:
            client = ModelClient(cfg)
            try:
                return (await client.complete(MESSAGES, {})).attempts
            finally:
                await client.aclose()

        assert asyncio.run(go()) == 2


def test_a_missing_key_is_fatal_and_names_the_variable(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_KEY", raising=False)
    cfg = _cfg("http://127.0.0.1:9/v1", api_key_env="NOPE_KEY")

    async def go() -> CallFailed:
        client = ModelClient(cfg)
        try:
            await client.complete(MESSAGES, {})
        except CallFailed as exc:
            return exc
        raise AssertionError("no failure")

    exc = asyncio.run(go())
    assert exc.fatal and "NOPE_KEY" in exc.reason


KEY = "sk-live-0123456789abcdefABCDEF"


@pytest.mark.parametrize("echo", [
    KEY, KEY[:12], KEY[-9:], f"Bearer {KEY[3:20]}", f"key={KEY}&x=1",
])
def test_redaction_leaves_no_fragment_of_eight(echo: str) -> None:
    out = redact(f"the server said: {echo} (sorry)", [KEY])
    for i in range(len(KEY) - 7):
        assert KEY[i:i + 8] not in out
    assert REDACTED in out


def test_redaction_happens_before_the_cut() -> None:
    text = "x" * 295 + KEY
    out = clean_reason(text, [KEY], limit=300)
    assert KEY[:5] not in out[295:] and len(out) <= 301


def test_credentials_in_urls_are_redacted() -> None:
    out = redact("cannot connect to https://bob:hunter2@api.example/v1?api_key=abc123&x=1",
                 [])
    assert "hunter2" not in out and "abc123" not in out and "x=1" in out


def test_control_characters_are_stripped_from_reasons() -> None:
    out = clean_reason("bad \x1b]0;pwned\x07 key \x1b[31mred\x1b[0m", [])
    assert "\x1b" not in out and "\x07" not in out
