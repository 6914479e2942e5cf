"""The ``baimo perf`` command line (run, compare, calibrate) and the HTML perf pages."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from baimo.cli.main import app
from baimo.config import ModelConfig
from baimo.perf.loads import Level
from baimo.perf.runner import PerfSpec, run_perf
from baimo.reports.html import Report
from baimo.reports.perf import perf_report_sections, perf_sections, write_perf_report
from baimo.store.store import Store
from baimo.testing.mockserver import MockConfig, MockServer

runner = CliRunner()


def test_cli_run_writes_json_csv_report_and_compares(tmp_path: Path) -> None:
    with MockServer(MockConfig(ttft_s=0.01, itl_s=0.002, output_tokens=8)) as srv:
        args = ["perf", "--url", srv.base_url, "--model-id", "mock", "--concurrency", "1,2",
                "--rate", "20", "--requests", "5", "--warmup", "1", "--input-tokens", "12",
                "--output-tokens", "8", "--ignore-eos", "on", "--tokenizer", "words",
                "--slo", "ttft=1s,tpot=50ms", "--timeout", "5",
                "--json", str(tmp_path / "o.json"), "--csv", str(tmp_path / "o.csv"),
                "--report", str(tmp_path / "o.html")]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        res2 = runner.invoke(app, [*args[:5], "--concurrency", "1", "--requests", "3", "--tokenizer", "words", "--ignore-eos", "on"])
        assert res2.exit_code == 0, res2.output
    assert "c=1" in res.output and "rate=20/s" in res.output and "run:" in res.output
    doc = orjson.loads((tmp_path / "o.json").read_bytes())
    levels = doc["models"][0]["levels"]
    assert [lv["level"] for lv in levels] == ["c=1", "c=2", "rate=20/s"]
    assert all(lv["requests"]["ok"] == 5 for lv in levels)
    assert doc["settings"]["slo_s"] == {"ttft": 1.0, "tpot": 0.05}
    with (tmp_path / "o.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["level"] for r in rows] == ["c=1", "c=2", "rate=20/s"]
    assert float(rows[0]["ttft_p50_s"]) > 0.005
    html = (tmp_path / "o.html").read_text()
    assert "Performance overview" in html and "TTFT and ITL distributions" in html

    run_a = doc["run_id"]
    res3 = runner.invoke(app, ["perf", "compare", run_a, "latest", "--report",
                               str(tmp_path / "cmp.html"), "--json", str(tmp_path / "c.json")])
    assert res3.exit_code == 0, res3.output
    assert "perf compare" in res3.output
    assert len(orjson.loads((tmp_path / "c.json").read_bytes())) == 4
    assert "Model against model" in (tmp_path / "cmp.html").read_text()


def test_cli_rejects_bad_options() -> None:
    res = runner.invoke(app, ["perf", "--url", "http://127.0.0.1:9/v1", "--slo", "x=1"])
    assert res.exit_code != 0
    res = runner.invoke(app, ["perf", "--url", "http://127.0.0.1:9/v1", "--arrivals", "x"])
    assert res.exit_code != 0


def test_cli_calibrate_prints_overhead_and_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["perf", "calibrate", "--requests", "20", "--ttft", "0.05",
                              "--itl", "0.005", "--tokens", "10", "--json",
                              str(tmp_path / "cal.json")])
    assert res.exit_code == 0, res.output
    assert "per request" in res.output and "per chunk" in res.output
    assert "TTFT" in res.output and "E2E" in res.output
    cal = orjson.loads((tmp_path / "cal.json").read_bytes())
    k = cal["known_latency"]["metrics"]
    assert k["ttft_s"]["true"] == 0.05
    assert k["e2e_s"]["true"] == pytest.approx(0.05 + 9 * 0.005)
    # Generous: this checks that the truth is compared, not the machine's precision.
    assert abs(k["ttft_s"]["error_p50_ms"]) < 60 and abs(k["e2e_s"]["error_p50_ms"]) < 100
    # never a false zero: with 20 requests the difference of two runs may drown in noise, and
    # then the mean of the longer run stands in and says so
    assert cal["overhead"]["client_cpu_per_request_ms"] > 0
    assert cal["overhead"]["client_cpu_per_request_method"] in (
        "difference of two run lengths",
        "mean of the longer run (the difference was within noise)")


def test_report_sections_from_rows_alone_and_with_levels() -> None:
    store = Store()
    with MockServer(MockConfig(output_tokens=4)) as srv:
        runs = []
        for name in ("fast", "slow"):
            cfg = ModelConfig.model_validate({"name": name, "base_url": srv.base_url})
            spec = PerfSpec(levels=[Level("concurrency", c) for c in (1.0, 2.0, 4.0)],
                            requests=4, input_tokens=8, output_tokens=4, ignore_eos="on",
                            tokenizer="words")
            runs.append(run_perf(store, spec, [cfg]).run_id)
    # What the main report does: runs and rows only (metrics recomputed, no health).
    report = Report("t")
    got = perf_sections(report, [store.runs.get(r) for r in runs], store.perf.requests(runs))
    assert len(got) == 6 and all("client" not in s for s in got)
    titles = [s.title for s in report.sections]
    assert titles[:3] == ["Performance overview", "TTFT and ITL distributions",
                          "Latency against load"]
    assert "Model against model" in titles and "Stability over time" in titles
    html = report.render()
    assert "fast" in html and "slow" in html
    # From the store: stored summaries add the client's health.
    report2 = Report("t")
    got2 = perf_report_sections(report2, store, runs)
    assert all("client" in s for s in got2)
    assert "Client health" in [s.title for s in report2.sections]
    assert perf_report_sections(Report("t"), store, []) == []


def test_report_for_a_run_with_only_errors(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = Store()
    cfg = ModelConfig.model_validate({"name": "down", "base_url": f"http://127.0.0.1:{port}/v1"})
    out = run_perf(store, PerfSpec(requests=2, tokenizer="words", input_tokens=4), [cfg])
    path = write_perf_report(store, [out.run_id], tmp_path / "r.html")
    assert "connection 2" in path.read_text()


def test_a_sweep_in_which_every_request_failed_exits_1_with_the_reason(tmp_path: Path) -> None:
    """A server that wants a key we do not send: nothing was measured, so the command fails
    like an eval in which no model answered (1), names the cause, and the run says failed."""
    with MockServer(MockConfig(api_key="only-with-this-key")) as srv:
        args = ["perf", "--url", srv.base_url, "--requests", "2", "--concurrency", "1",
                "--tokenizer", "words", "--input-tokens", "8", "--output-tokens", "4"]
        res = runner.invoke(app, args)
        doc_res = runner.invoke(app, [*args, "--json", "-"])
    assert res.exit_code == 1, res.output
    assert "model target failed: every request at c=1 failed (auth)" in res.output
    assert "HTTP 401" in res.output and "(failed)" in res.output
    assert "Traceback" not in res.output
    assert doc_res.exit_code == 1
    doc = orjson.loads(doc_res.stdout)
    assert doc["status"] == "failed" and "every request at c=1" in doc["failed_models"]["target"]
    store = Store()
    assert store.runs.get(doc["run_id"]).status == "failed"


def test_a_timeout_that_is_not_a_positive_number_is_refused(tmp_path: Path) -> None:
    with MockServer(MockConfig()) as srv:
        for bad in ("-1", "0", "nan"):
            res = runner.invoke(app, ["perf", "--url", srv.base_url, "--requests", "1",
                                      "--tokenizer", "words", "--timeout", bad])
            assert res.exit_code == 2, (bad, res.output)
            assert "--timeout must be a number of seconds more than 0" in res.output
        assert srv.stats()["requests"] == 0
    assert Store().runs.recent(5) == []  # refused before a run was opened


def test_sigterm_keeps_the_finished_requests_and_marks_the_run_interrupted(
        tmp_path: Path) -> None:
    """A web job's cancel and a service manager send SIGTERM: the requests that finished
    were measured (and paid for), so they stay, and the run does not stay 'running'."""
    import signal
    import subprocess
    import sys
    import time

    with MockServer(MockConfig(itl_s=0.01, output_tokens=8)) as srv:
        proc = subprocess.Popen(
            [sys.executable, "-m", "baimo", "perf", "--url", srv.base_url, "--model-id", "m",
             "--tokenizer", "words", "--concurrency", "1", "--duration", "60",
             "--input-tokens", "8", "--output-tokens", "8"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while srv.stats()["completed"] < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        completed = srv.stats()["completed"]
    assert proc.returncode == 130, err
    store = Store()
    run = store.runs.recent(1)[0]
    kept = store.perf.requests([run.id])
    assert run.status == "interrupted"
    assert [(m.status, (m.reason or "").split(";")[0]) for m in run.models] == [
        ("interrupted", "stopped during c=1")]
    # Every finished request is kept but the one in flight when the signal came.
    assert completed - 1 <= len(kept) <= completed and len(kept) >= 5
    assert f"interrupted: run {run.id} keeps the {len(kept)} requests" in " ".join(err.split())
