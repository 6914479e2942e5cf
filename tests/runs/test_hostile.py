"""A whole eval against the hostile server: every misbehaviour is a row with a reason.

One run points one model at each hostile case (``baimo.testing.hostile``). Nothing may crash,
hang past the deadlines, lose a sample, store a cut answer, or leak the key; the report is
still written and ``--resume`` still completes.
"""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
import yaml

from baimo.config import load_config
from baimo.reports.build import write_report
from baimo.runs.eval import run_eval
from baimo.store.records import ResultRecord
from baimo.store.store import Store
from baimo.tasks.task import load_task
from baimo.testing.hostile import CASES, HostileServer
from support import SENTINEL_KEY

N = 3

OK = {"ok", "no-finish", "retry-after-soon", "usage-strings", "usage-huge", "json-to-stream"}
RETRY_AFTER = {"retry-after-huge", "retry-after-inf", "retry-after-date", "retry-after-ms"}
MALFORMED = {"delta-list", "choices-str", "content-int", "malformed"}
OVER_LENGTH = {"endless", "huge"}


def _task(tmp: Path) -> Path:
    data = tmp / "answer.jsonl"
    data.write_bytes(b"".join(orjson.dumps({"id": f"q{i}", "prompt": f"Question {i}?",
                                            "reference": "42"}) + b"\n" for i in range(N)))
    spec = tmp / "answer.yaml"
    spec.write_text(yaml.safe_dump({"name": "answer", "version": 1, "dataset": data.name,
                                    "scorer": {"type": "numeric"},
                                    "params": {"max_tokens": 16}}))
    return spec


def _models(tmp: Path, base_url: str, cases: tuple[str, ...] = CASES) -> Path:
    path = tmp / "baimo.yaml"
    path.write_text(yaml.safe_dump({"models": [{
        "name": case, "provider": "openai-compatible", "base_url": base_url, "model": case,
        "api_key_env": "HOSTILE_KEY",
        "limits": {"concurrency": 2, "max_retries": 1, "timeout_s": 3, "deadline_s": 4},
    } for case in cases]}))
    return path


def _fragments(key: str, n: int = 8) -> list[str]:
    return [key[i:i + n] for i in range(len(key) - n + 1)]


@pytest.mark.slow
def test_every_hostile_case_is_a_row_with_a_reason(tmp_path: Path, db_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTILE_KEY", SENTINEL_KEY)
    store = Store(db_url)
    with HostileServer() as srv:
        config = load_config(_models(tmp_path, srv.base_url))
        models = [config.get(c) for c in CASES]
        task = load_task(_task(tmp_path))
        started = time.monotonic()
        out = run_eval(store, models, [task])
        elapsed = time.monotonic() - started
        # The deadline (4 s) bounds the slowest case; nothing waits for a Retry-After of days.
        assert elapsed < 60, elapsed
        rows = store.runs.results([out.run_id])
        by_model: dict[str, list[ResultRecord]] = {}
        for r in rows:
            by_model.setdefault(r.model_name, []).append(r)
        # Nothing lost, nothing doubled: every case has exactly one row per sample.
        assert sorted(by_model) == sorted(CASES)
        assert all(len(v) == N for v in by_model.values())

        def statuses(case: str) -> set[object]:
            return {r.status for r in by_model[case]}

        def reasons(case: str) -> str:
            return " | ".join(str(r.reason) for r in by_model[case])

        for case in OK:
            assert statuses(case) == {"ok"}, (case, reasons(case))
        # A cut stream is retried, never taken as an answer.
        assert {r.attempts for r in by_model["no-finish"]} == {2}
        for case in RETRY_AFTER:
            assert statuses(case) == {"error"}, case
            assert "max_retry_after_s" in reasons(case), reasons(case)
            assert {r.attempts for r in by_model[case]} == {1}
        for case in MALFORMED:
            assert statuses(case) == {"error"}, case
            assert "malformed" in reasons(case) or "unexpected" in reasons(case), reasons(case)
        for case in OVER_LENGTH:
            assert statuses(case) == {"error"}, case
            assert "over-length" in reasons(case), reasons(case)
        assert statuses("drip") == {"error"} and "deadline" in reasons("drip")
        # A web page where the API should be is said to be one, once per sample, not retried
        # as a broken stream.
        assert statuses("html-page") == {"error"}
        assert "the server sent a web page (text/html), not an API answer" in \
            reasons("html-page")
        assert {r.attempts for r in by_model["html-page"]} == {1}
        assert statuses("plain-text") == {"error"}
        assert "(14 bytes, Content-Type text/plain; charset=utf-8) held no event-stream data" \
            in reasons("plain-text")
        # Absurd usage counts are not believed (and cannot overflow the store).
        for r in by_model["usage-huge"] + by_model["usage-strings"]:
            assert 0 < r.prompt_tokens < 10**6
            assert r.usage_estimated
        # Auth failures stop that model only; the reason is clean of terminal escapes.
        assert statuses("auth-markup") == {"error"}
        assert "\x1b" not in reasons("auth-markup") and "\x07" not in reasons("auth-markup")
        assert out.status == "partial"
        # The key the server echoed is nowhere, not even a fragment of it.
        assert "Bearer" in reasons("echo-key")
        with store.engine.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                dump = repr(conn.execute(sa.text(f"select * from {table}")).fetchall())
                for frag in _fragments(SENTINEL_KEY):
                    assert frag not in dump, (table, frag)
        # The report is still written.
        html = write_report(store, [out.run_id], tmp_path / "r.html", "html").read_text()
        assert "echo-key" in html and SENTINEL_KEY[:8] not in html
        # Resume completes: error rows are asked again and end the same way, fast.
        started = time.monotonic()
        again = run_eval(store, models, [task], resume=out.run_id)
        assert time.monotonic() - started < 60
        assert again.status == "partial"
        assert len(store.runs.results([out.run_id])) == len(CASES) * N


def test_a_cut_answer_is_never_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first wave's poisoned cache: a server that always cuts streams, then is fixed."""
    monkeypatch.setenv("HOSTILE_KEY", SENTINEL_KEY)
    store = Store()
    with HostileServer(heal_after=10**6) as srv:
        cfg = load_config(_models(tmp_path, srv.base_url, ("no-finish",))).get("no-finish")
        task = load_task(_task(tmp_path))
        first = run_eval(store, [cfg], [task])
        rows = store.runs.results([first.run_id])
        assert {r.status for r in rows} == {"error"}
        assert all("without a finish_reason" in str(r.reason) for r in rows)
        srv.state.heal_after = 0  # the server is fixed
        second = run_eval(store, [cfg], [task])
    rows = store.runs.results([second.run_id])
    assert {r.status for r in rows} == {"ok"}
    assert not any(r.cached for r in rows), "a cut answer was served from the cache"
