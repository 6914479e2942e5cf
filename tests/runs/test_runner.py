"""The runner against the fault-injecting mock server over real loopback HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from baimo.config import load_config
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.task import load_task
from baimo.testing.mockserver import MockConfig, MockServer
from support import write_models, write_task


def test_faults_on_20_percent_of_requests_lose_nothing(tmp_path: Path, db_url: str) -> None:
    cfg = MockConfig(fault_rate=0.2, seed=7, retry_after_s=0.05, stall_s=30.0,
                     max_faults_per_request=2, itl_s=0.0)
    with MockServer(cfg) as srv:
        models = write_models(tmp_path, srv.base_url, [{
            "name": "mock", "model": "mock-1",
            "limits": {"concurrency": 16, "timeout_s": 0.5, "max_retries": 6}}])
        task = load_task(write_task(tmp_path, 200))
        store = Store(db_url)
        out = run_eval(store, [load_config(models).get("mock")], [task])
        stats = srv.stats()
    rows = store.runs.results([out.run_id])
    ids = [r.sample_id for r in rows]
    assert len(ids) == 200 and len(set(ids)) == 200, "a sample was lost or duplicated"
    for r in rows:
        assert r.status == "ok" or (r.status == "error" and r.reason)
    assert all(r.status == "ok" for r in rows), {r.reason for r in rows}
    # Every fault kind really happened, and was survived.
    assert set(stats["faults"]) == {"429", "500", "stall", "truncate", "malformed"}
    assert sum(stats["faults"].values()) >= 20
    # Each sample was answered to the end exactly once.
    assert len(stats["completed_by_sample"]) == 200
    assert set(stats["completed_by_sample"].values()) == {1}
    assert out.progress["mock"].retries >= sum(stats["faults"].values())
    retried = [r for r in rows if r.attempts > 1]
    assert retried and all(r.attempts <= 3 for r in retried)


def test_exhausted_retries_become_error_rows_with_reasons(tmp_path: Path) -> None:
    cfg = MockConfig(fault_rate=1.0, fault_kinds=["500"], max_faults_per_request=100)
    with MockServer(cfg) as srv:
        models = write_models(tmp_path, srv.base_url, [{
            "name": "flaky", "limits": {"concurrency": 4, "max_retries": 2, "timeout_s": 2}}])
        store = Store()
        out = run_eval(store, [load_config(models).get("flaky")],
                       [load_task(write_task(tmp_path, 5))])
    rows = store.runs.results([out.run_id])
    assert [r.status for r in rows] == ["error"] * 5
    assert all("server HTTP 500" in r.reason and "3 attempts" in r.reason for r in rows)
    # No error was fatal, but no sample got an answer: the model failed, and so did the run.
    assert out.status == "failed"
    reason = out.progress["flaky"].failed_reason or ""
    assert reason.startswith("no sample got an answer (5 errors); 5× server HTTP 500"), reason
    assert [(m.status, m.reason) for m in store.runs.get(out.run_id).models] == [
        ("failed", reason)]
    # A resumed run asks the failed samples again, and succeeds once the server recovers.
    with MockServer(MockConfig()) as srv2:
        models = write_models(tmp_path, srv2.base_url, [{"name": "flaky"}])
        again = run_eval(store, [load_config(models).get("flaky")],
                         [load_task(write_task(tmp_path, 5))], resume=out.run_id)
    assert [r.status for r in store.runs.results([out.run_id])] == ["ok"] * 5
    assert again.status == "done"
    assert [(m.status, m.reason) for m in store.runs.get(out.run_id).models] == [("ok", None)]


def test_an_endpoint_nobody_answers_at_is_a_failed_model_on_the_cli(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:  # a port that was free a moment ago: connections refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [
            {"name": "up"},
            {"name": "down", "base_url": f"http://127.0.0.1:{port}/v1",
             "limits": {"max_retries": 1}}])
        spec = write_task(tmp_path, 3)
        args = [sys.executable, "-m", "baimo", "eval", "-t", str(spec), "--no-progress"]
        both = subprocess.run([*args, "-m", "up", "-m", "down"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        alone = subprocess.run([*args, "-m", "down"], cwd=tmp_path, capture_output=True,
                               text=True, timeout=120)
    assert both.returncode == 0 and "(partial)" in both.stdout, both.stdout + both.stderr
    assert "model down failed: no sample got an answer (3 errors); 3× connection:" in \
        " ".join(both.stderr.split())
    assert alone.returncode == 1 and "(failed)" in alone.stdout
    # The reasons reach every view of the run, not only the database.
    shown = subprocess.run([sys.executable, "-m", "baimo", "runs", "show", "latest"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    flat = " ".join(shown.stdout.split())
    assert "errors: samples that got no answer, by reason" in flat, shown.stdout
    assert "connection: cannot connect to" in flat
    as_json = subprocess.run([sys.executable, "-m", "baimo", "runs", "show", "latest", "--json"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
    import json

    errors = json.loads(as_json.stdout)["errors"]["down"]
    assert errors[0]["samples"] == 3 and errors[0]["reason"].startswith("connection:")
    for fmt in ("md", "csv"):
        subprocess.run([sys.executable, "-m", "baimo", "report", "latest", "-o",
                        str(tmp_path / f"r.{fmt}")], cwd=tmp_path, check=True, timeout=120)
    md = (tmp_path / "r.md").read_text()
    assert "| down | synthetic | 0 | — | — | 3 |" in md, md
    assert "| down | error: connection | 3 |" in md, md
    assert (tmp_path / "r.csv").read_text().splitlines()[0].endswith(
        "errors,no_answer,truncated,run")


def test_auth_and_unknown_model_fail_fast_other_models_go_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOD_KEY", "right-key")
    monkeypatch.setenv("BAD_KEY", "wrong-key")
    with MockServer(MockConfig(api_key="right-key", models=["m-ok"])) as srv:
        models = write_models(tmp_path, srv.base_url, [
            {"name": "good", "model": "m-ok", "api_key_env": "GOOD_KEY"},
            {"name": "badkey", "model": "m-ok", "api_key_env": "BAD_KEY",
             "limits": {"concurrency": 2}},
            {"name": "nomodel", "model": "m-missing", "api_key_env": "GOOD_KEY",
             "limits": {"concurrency": 2}},
        ])
        cfg = load_config(models)
        store = Store()
        out = run_eval(store, [cfg.get("good"), cfg.get("badkey"), cfg.get("nomodel")],
                       [load_task(write_task(tmp_path, 40))])
        stats = srv.stats()
    assert out.status == "partial"
    rows = store.runs.results([out.run_id])
    by_model = {m: [r for r in rows if r.model_name == m] for m in
                ("good", "badkey", "nomodel")}
    assert all(r.status == "ok" for r in by_model["good"])
    assert len(by_model["badkey"]) == 40 and len(by_model["nomodel"]) == 40
    assert all("auth HTTP 401" in r.reason for r in by_model["badkey"])
    assert all("not-found HTTP 404" in r.reason for r in by_model["nomodel"])
    # Fail fast: at most one request per worker before the model stopped.
    assert stats["by_status"].get("401", 0) <= 2
    assert stats["by_status"].get("404", 0) <= 2
    run = store.runs.get(out.run_id)
    status = {m.model_name: (m.status, m.reason) for m in run.models}
    assert status["good"] == ("ok", None)
    assert status["badkey"][0] == "failed" and "BAD_KEY" in status["badkey"][1]


def test_rerun_and_resume_never_ask_again(tmp_path: Path, db_url: str) -> None:
    with MockServer(MockConfig()) as srv:
        models = write_models(tmp_path, srv.base_url, [{"name": "mock"}])
        model = load_config(models).get("mock")
        task = load_task(write_task(tmp_path, 30))
        store = Store(db_url)
        first = run_eval(store, [model], [task])
        asked = srv.stats()["requests"]
        assert asked == 30
        second = run_eval(store, [model], [task])  # same command again: a new run
        third = run_eval(store, [model], [task], resume=first.run_id)
        assert srv.stats()["requests"] == asked, "a stored answer was asked again"
    rows2 = store.runs.results([second.run_id])
    assert len(rows2) == 30 and all(r.cached for r in rows2)
    assert [r.status for r in rows2] == [r.status for r in store.runs.results([first.run_id])]
    assert third.run_id == first.run_id and len(store.runs.results([first.run_id])) == 30
    # A changed generation parameter is a different question.
    changed = load_task(write_task(tmp_path, 30))
    changed.params["max_tokens"] = 33
    with MockServer(MockConfig()) as srv:
        models = write_models(tmp_path, srv.base_url, [{"name": "mock"}])
        run_eval(store, [load_config(models).get("mock")], [changed])
        assert srv.stats()["requests"] == 30


def test_client_rpm_limit_paces_without_429(tmp_path: Path) -> None:
    with MockServer(MockConfig(rpm_limit=300)) as srv:
        models = write_models(tmp_path, srv.base_url, [{
            "name": "limited", "limits": {"concurrency": 16, "rpm": 300}}])
        store = Store()
        out = run_eval(store, [load_config(models).get("limited")],
                       [load_task(write_task(tmp_path, 12))])
        stats = srv.stats()
    assert stats["rate_limited"] == 0
    assert all(r.status == "ok" for r in store.runs.results([out.run_id]))


def test_server_rate_limit_is_honoured(tmp_path: Path) -> None:
    # The client does not know the limit: the server's 429 + Retry-After must slow it down.
    with MockServer(MockConfig(rpm_limit=8)) as srv:
        models = write_models(tmp_path, srv.base_url, [{
            "name": "unknown-limit", "limits": {"concurrency": 8, "max_retries": 20}}])
        store = Store()
        out = run_eval(store, [load_config(models).get("unknown-limit")],
                       [load_task(write_task(tmp_path, 10))])
        stats = srv.stats()
    assert stats["rate_limited"] >= 1
    assert stats["completed"] == 10
    assert all(r.status == "ok" for r in store.runs.results([out.run_id]))


def test_reasoning_is_kept_apart_and_truncation_is_its_own_status(tmp_path: Path) -> None:
    with MockServer(MockConfig(reasoning=True, reasoning_text="I think 999 is wrong.")) as srv:
        models = write_models(tmp_path, srv.base_url, [{"name": "r1"}])
        spec = write_task(tmp_path, 4)
        cut = write_task(tmp_path, 4, name="cut", extra=" [[finish:length]]")
        store = Store()
        out = run_eval(store, [load_config(models).get("r1")],
                       [load_task(spec), load_task(cut)])
    rows = store.runs.results([out.run_id])
    assert {r.status for r in rows if r.task == "synthetic"} == {"ok"}
    with store.engine.connect() as conn:
        reasoning = conn.execute(sa.text("select reasoning, text from responses")).all()
    assert all("999" in r[0] and "999" not in r[1] for r in reasoning)
    # The mock answers correctly but says it stopped at the length limit: still 'ok' (the
    # answer was complete); only unusable truncated answers are 'truncated'.
    assert {r.status for r in rows if r.task == "cut"} <= {"ok", "truncated"}


def test_resume_refuses_a_changed_task(tmp_path: Path) -> None:
    from baimo.errors import BaimoError

    with MockServer(MockConfig()) as srv:
        models = write_models(tmp_path, srv.base_url, [{"name": "mock"}])
        model = load_config(models).get("mock")
        store = Store()
        first = run_eval(store, [model], [load_task(write_task(tmp_path, 3))])
        changed = load_task(write_task(tmp_path, 3))
        changed = type(changed)(**{**changed.__dict__, "version": "2-other"})
        with pytest.raises(BaimoError, match="its tasks differ"):
            run_eval(store, [model], [changed], resume=first.run_id)
        # Fewer samples (another --limit) would end "done" with the rest never asked.
        with pytest.raises(BaimoError, match=r"synthetic: the run has 3 samples, this command "
                                             r"1 \(another --limit or dataset\?\)"):
            run_eval(store, [model], [load_task(write_task(tmp_path, 3)).limited(1)],
                     resume=first.run_id)
        # A task of the run left out of the command: the same.
        two = run_eval(store, [model], [load_task(write_task(tmp_path, 2)),
                                        load_task(write_task(tmp_path, 2, name="other"))])
        with pytest.raises(BaimoError, match="other: in the run but not in this command"):
            run_eval(store, [model], [load_task(write_task(tmp_path, 2))], resume=two.run_id)


def test_resume_refuses_a_corrected_reference(tmp_path: Path) -> None:
    """A corrected reference changes neither what is asked nor how it is judged, so only the
    answer key tells a resume that the scores already stored were given against the old one."""
    import orjson

    from baimo.errors import BaimoError

    with MockServer(MockConfig()) as srv:
        models = write_models(tmp_path, srv.base_url, [{"name": "mock"}])
        model = load_config(models).get("mock")
        store = Store()
        spec = write_task(tmp_path, 3)
        first = run_eval(store, [model], [load_task(spec)])
        assert [r.status for r in store.runs.results([first.run_id])] == ["ok"] * 3
        data = tmp_path / "synthetic.jsonl"
        rows = [orjson.loads(line) for line in data.read_bytes().splitlines()]
        rows[1]["reference"] = "8"  # the mock answers 7
        data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
        with pytest.raises(BaimoError, match=r"synthetic: the references changed since the "
                                             r"run began"):
            run_eval(store, [model], [load_task(spec)], resume=first.run_id)
        # A new run scores the stored answers against the corrected reference, asking nothing.
        asked = srv.stats()["requests"]
        second = run_eval(store, [model], [load_task(spec)])
        assert srv.stats()["requests"] == asked
    by_id = {r.sample_id: r for r in store.runs.results([second.run_id])}
    assert by_id["s1"].cached and by_id["s1"].score == 0.0
    assert by_id["s0"].score == 1.0


def test_a_run_still_going_cannot_be_resumed_a_second_time(tmp_path: Path) -> None:
    """Two processes on one run would each ask every sample not yet stored and pay twice;
    the store would keep one answer of each, so the cost would show nowhere."""
    import subprocess
    import sys
    import time

    with MockServer(MockConfig(itl_s=0.05, output_tokens=12)) as srv:  # ~0.6 s an answer
        write_models(tmp_path, srv.base_url, [{"name": "slow", "limits": {"concurrency": 1}}])
        spec = write_task(tmp_path, 6)
        args = [sys.executable, "-m", "baimo", "eval", "-t", str(spec), "-m", "slow",
                "--no-progress"]
        first = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        store = Store()
        run_id = None
        deadline = time.monotonic() + 60
        while run_id is None and time.monotonic() < deadline:
            recent = store.runs.recent(1)
            if recent and store.runs.results([recent[0].id]):
                run_id = recent[0].id
            time.sleep(0.05)
        assert run_id is not None
        second = subprocess.run([*args, "--resume", run_id], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        _, err = first.communicate(timeout=120)
        asked = srv.stats()["requests"]
        # Once the first has ended, the run is free: resuming it asks nothing more.
        third = subprocess.run([*args, "--resume", run_id], cwd=tmp_path,
                               capture_output=True, text=True, timeout=120)
        assert srv.stats()["requests"] == asked
    assert second.returncode == 2, second.stderr
    assert f"error: run {run_id} is running right now (process " in second.stderr
    assert first.returncode == 0, err
    assert asked == 6
    assert third.returncode == 0, third.stderr
    assert [r.status for r in store.runs.results([run_id])] == ["ok"] * 6


def _with_scorer(task_file: Path, scorer: dict[str, Any], judge: dict[str, Any] | None = None
                 ) -> Path:
    doc = yaml.safe_load(task_file.read_text())
    doc["scorer"] = scorer
    if judge is not None:
        doc["judge"] = judge
    task_file.write_text(yaml.safe_dump(doc))
    return task_file


def test_resume_refuses_a_changed_scorer_and_says_which(tmp_path: Path) -> None:
    from baimo.errors import BaimoError

    with MockServer(MockConfig()) as srv:
        models = write_models(tmp_path, srv.base_url, [{"name": "mock"}])
        model = load_config(models).get("mock")
        store = Store()
        spec = write_task(tmp_path, 3)
        first = run_eval(store, [model], [load_task(spec)])
        # Same prompts (the answers stay cached), another scorer: the results would mix.
        _with_scorer(spec, {"type": "numeric", "tolerance": 0.5, "relative": False})
        with pytest.raises(BaimoError, match=r"the scorer changed from numeric v1\(.*"
                                             r"tolerance=1e-06.*\) to numeric v1\(.*"
                                             r"tolerance=0.5"):
            run_eval(store, [model], [load_task(spec)], resume=first.run_id)
        # A new run re-scores the stored answers without asking the model again.
        second = run_eval(store, [model], [load_task(spec)])
        assert all(r.cached for r in store.runs.results([second.run_id]))


def test_resume_refuses_a_changed_judge_and_says_what_changed(tmp_path: Path) -> None:
    from baimo.errors import BaimoError

    with MockServer(MockConfig()) as srv:
        models = write_models(tmp_path, srv.base_url, [
            {"name": "mock"}, {"name": "judge", "limits": {"max_retries": 0}}])
        config = load_config(models)
        store = Store()
        spec = _with_scorer(write_task(tmp_path, 2), {"type": "numeric"},
                            {"model": "judge", "rubric": "Be strict."})
        first = run_eval(store, [config.get("mock")], [load_task(spec, config)])
        _with_scorer(spec, {"type": "numeric"}, {"model": "judge", "rubric": "Be lenient."})
        with pytest.raises(BaimoError, match=r"the judge changed .*rubric_hash differ"):
            run_eval(store, [config.get("mock")], [load_task(spec, config)],
                     resume=first.run_id)


def test_a_model_failing_midway_counts_each_sample_once(tmp_path: Path) -> None:
    """Answers still waiting for the group commit when the model fails are done, not errors:
    the rest become error rows and the counters add up to the task's size."""
    from baimo.runs.runner import ModelProgress
    from baimo.testing.scripted import ChatRequest, Reply, ScriptedServer

    def script(req: ChatRequest) -> Reply | str:
        return f"The answer is {req.index * 7}." if req.index < 3 else Reply.fail(401, "bad key")

    seen: list[ModelProgress] = []
    with ScriptedServer(script) as srv:
        models = write_models(tmp_path, srv.base_url, [{"name": "m", "limits": {"concurrency": 1}}])
        store = Store()
        out = run_eval(
            store,
            [load_config(models).get("m")],
            [load_task(write_task(tmp_path, 10))],
            on_progress=seen.append,
        )
    rows = store.runs.results([out.run_id])
    assert sorted(r.status for r in rows) == ["error"] * 7 + ["ok"] * 3
    last = seen[-1]
    assert (last.done, last.total, last.errors, last.correct) == (10, 10, 7, 3)
