"""``baimo perf`` as a new user meets it: inputs refused before a run is recorded, runs that
end cleanly whatever stops them, and rules that are said rather than guessed.

Every test drives the real command (in this process through the Typer app, or as
``python -m baimo`` where the old behaviour was to wait for ever) against the loopback mock
server and the real SQLite store of the test's own ``BAIMO_HOME``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from baimo.cli.main import app
from baimo.store.store import Store
from baimo.testing.mockserver import MockConfig, MockServer

runner = CliRunner()

# What every run here has in common: small, fast, and counted by the words tokenizer.
BASE = ["--model-id", "m", "--tokenizer", "words", "--input-tokens", "8",
        "--output-tokens", "4", "--timeout", "10"]


def _perf(url: str, *args: str) -> list[str]:
    return ["perf", "--url", url, *BASE, *args]


def _flat(text: str) -> str:
    """Output with Rich's line wrapping undone, for matching whole sentences."""
    return " ".join(text.split())


def _lines(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(orjson.dumps(r).decode() for r in rows) + "\n")
    return path


def _assert_refused(res: Result, srv: MockServer, *needles: str) -> None:
    """Exit 2 (a user error), the message says what, nothing was sent and no run exists."""
    assert res.exit_code == 2, res.output
    text = _flat(res.output)
    for needle in needles:
        assert needle in text, (needle, text)
    assert "Traceback" not in text
    assert srv.stats()["requests"] == 0
    assert Store().runs.recent(5) == [], "refused input must not leave a run behind"


# --------------------------------------------------------------------------- item 1


@pytest.mark.parametrize(("args", "needle"), [
    (["--input-tokens", "0"], "--input-tokens must be at least 1"),
    (["--ignore-eos", "maybe"], "--ignore-eos must be auto, on or off"),
    (["--suite", "no-such-suite"], "no suite 'no-such-suite'"),
    (["--tokenizer", "gguf:/nonexistent/x.gguf"], "GGUF file not found"),
    (["--requests", "0"], "--requests must be at least 1"),
    (["--warmup", "3x"], "--warmup: '3x' is neither"),
    (["--output-tokens", "0"], "--output-tokens must be at least 1"),
    (["--duration", "nan"], "--duration must be a number of seconds more than 0"),
    (["--rate", "3", "--arrivals", "gamma", "--gamma-shape", "0"],
     "--gamma-shape must be a number more than 0"),
], ids=["input-tokens", "ignore-eos", "suite", "tokenizer", "requests", "warmup",
        "output-tokens", "duration", "gamma-shape"])
def test_bad_input_is_refused_before_the_run_is_recorded(args: list[str], needle: str) -> None:
    """These used to be found by the sweep itself, after the run row was written: the run
    said failed and its model row still said running."""
    with MockServer(MockConfig()) as srv:
        res = runner.invoke(app, _perf(srv.base_url, "--requests", "1", *args))
        _assert_refused(res, srv, needle)


def test_a_bad_trace_line_is_refused_before_the_run_is_recorded(tmp_path: Path) -> None:
    trace = _lines(tmp_path / "bad.jsonl", [{"offset": 0, "prompt": "a"},
                                            {"offset": "soon", "prompt": "b"}])
    with MockServer(MockConfig()) as srv:
        res = runner.invoke(app, _perf(srv.base_url, "--trace", str(trace)))
        _assert_refused(res, srv, "bad.jsonl:2: field 'offset' must be a number of seconds")


def test_a_model_that_cannot_be_served_ends_failed_and_the_next_one_is_measured(
        tmp_path: Path) -> None:
    """A failure only the run can meet (a local engine whose weights do not load) ends that
    model's row with the reason, and the run goes on with the next model, as an eval does;
    no row is left 'running' or 'pending'."""
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF" + b"\x00" * 64)  # the magic, then nothing llama.cpp can load
    with MockServer(MockConfig(output_tokens=4)) as srv:
        models = tmp_path / "models.yaml"
        models.write_text(
            "models:\n"
            f"- {{name: broken, provider: embedded, gguf_path: '{junk}'}}\n"
            f"- {{name: good, provider: openai-compatible, base_url: '{srv.base_url}', "
            "model: m}\n")
        res = runner.invoke(app, ["perf", "-c", str(models), "-m", "broken", "-m", "good",
                                  "--tokenizer", "words", "--requests", "2",
                                  "--input-tokens", "8", "--output-tokens", "4"])
    assert res.exit_code == 0, res.output  # partial: one model measured
    run = Store().runs.recent(1)[0]
    assert run.status == "partial"
    rows = {m.model_name: m for m in run.models}
    assert rows["good"].status == "done"
    assert rows["broken"].status == "failed"
    assert "the embedded engine did not start" in (rows["broken"].reason or "")
    assert "model broken failed" in _flat(res.output)
    levels = Store().perf.levels([run.id])
    assert [(lv.model_name, lv.level) for lv in levels] == [("good", "c=1")]


def test_an_interrupted_run_ends_every_model_row(tmp_path: Path) -> None:
    """SIGTERM during the first model: it keeps what finished and says interrupted, and the
    model the run never reached says so too, instead of 'pending' under an ended run."""
    import signal
    import time

    with MockServer(MockConfig(itl_s=0.01, output_tokens=8)) as srv:
        models = tmp_path / "models.yaml"
        models.write_text("models:\n" + "".join(
            f"- {{name: {n}, provider: openai-compatible, base_url: '{srv.base_url}', "
            "model: m}\n" for n in ("first", "second")))
        proc = subprocess.Popen(
            [sys.executable, "-m", "baimo", "perf", "-c", str(models), "-m", "first", "-m",
             "second", "--tokenizer", "words", "--duration", "60", "--input-tokens", "8",
             "--output-tokens", "8"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while srv.stats()["completed"] < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    run = Store().runs.recent(1)[0]
    assert run.status == "interrupted"
    rows = {m.model_name: m for m in run.models}
    assert rows["first"].status == "interrupted"
    assert (rows["first"].reason or "").startswith("stopped during c=1")
    assert rows["second"].status == "interrupted"
    assert rows["second"].reason == ("not measured: the run was interrupted at model first")


# --------------------------------------------------------------------------- item 2


@pytest.mark.parametrize(("row", "needles"), [
    ({"offset": 100_000_000}, ["far.jsonl:3: field 'offset' is 100,000,000 seconds",
                               "1,157.4 days after the trace's first request (line 1)",
                               "rename the field to 'timestamp'"]),
    ({"offset": 90_000}, ["far.jsonl:3: field 'offset' is 90,000 seconds",
                          "25.0 hours after", "longer than 24 hours"]),
    ({"timestamp": 200_000_000}, ["far.jsonl:3: field 'timestamp' is 200,000,000 "
                                  "milliseconds", "2.3 days after",
                                  "divide them by 1,000"]),
], ids=["years", "a-day-and-an-hour", "timestamp-ms"])
def test_a_trace_reaching_past_a_day_is_refused(tmp_path: Path, row: dict[str, object],
                                               needles: list[str]) -> None:
    """A replay runs in real time: an offset in the wrong unit used to make the run sleep
    silently (here: the old code would still be asleep when the time limit ends it)."""
    first = {"timestamp": 0} if "timestamp" in row else {"offset": 0}
    trace = _lines(tmp_path / "far.jsonl", [{**first, "prompt": "a"},
                                            {**first, "prompt": "b"},
                                            {**row, "prompt": "c"}])
    with MockServer(MockConfig()) as srv:
        proc = subprocess.run([sys.executable, "-m", "baimo", *_perf(srv.base_url, "--trace",
                                                                     trace.name)],
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        text = _flat(proc.stderr)
        for needle in needles:
            assert needle in text, (needle, text)
        assert srv.stats()["requests"] == 0
    assert Store().runs.recent(5) == []
    # The bound is on the span, not on the numbers: clock times in seconds replay from the
    # first line.
    clock = _lines(tmp_path / "clock.jsonl", [{"offset": 1_700_000_000 + i * 0.02,
                                               "prompt": "x"} for i in range(3)])
    with MockServer(MockConfig(output_tokens=2)) as srv:
        res = runner.invoke(app, _perf(srv.base_url, "--trace", str(clock)))
    assert res.exit_code == 0, res.output
    assert "3/3" in res.output
    # Only the part the run replays counts: the first two lines of the far trace are fine.
    with MockServer(MockConfig(output_tokens=2)) as srv:
        res = runner.invoke(app, _perf(srv.base_url, "--trace", str(trace), "--requests", "2"))
    assert res.exit_code == 0, res.output
    assert "2/2" in res.output


# --------------------------------------------------------------------------- item 3


def _unmeasured_run(tmp_path: Path) -> str:
    """A perf run that ended without a single level: its only model's engine never
    started."""
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF" + b"\x00" * 64)  # the magic, then nothing llama.cpp can load
    models = tmp_path / "broken.yaml"
    models.write_text(f"models:\n- {{name: broken, provider: embedded, gguf_path: '{junk}'}}\n")
    runner.invoke(app, ["perf", "-c", str(models), "-m", "broken", "--tokenizer", "words",
                        "--requests", "1"])
    run = Store().runs.recent(1)[0]
    assert run.kind == "perf" and run.status == "failed"
    assert Store().perf.levels([run.id]) == []
    return run.id


def test_compare_names_a_run_without_levels_and_exits_1(tmp_path: Path) -> None:
    empty = _unmeasured_run(tmp_path)
    res = runner.invoke(app, ["perf", "compare", empty])
    assert res.exit_code == 1, res.output
    text = _flat(res.output)
    assert f"run {empty} (failed) has no measured levels to compare" in text
    assert "the embedded engine did not start" in text
    assert "perf compare" not in text  # no empty table that looks like a result
    as_json = runner.invoke(app, ["perf", "compare", empty, "--json", "-"])
    assert as_json.exit_code == 1


def test_compare_shows_the_measured_run_and_still_names_the_empty_one(tmp_path: Path) -> None:
    empty = _unmeasured_run(tmp_path)
    with MockServer(MockConfig(output_tokens=2)) as srv:
        ok = runner.invoke(app, _perf(srv.base_url, "--requests", "2", "--json", "-"))
    good = orjson.loads(ok.stdout)["run_id"]
    res = runner.invoke(app, ["perf", "compare", good, empty])
    assert res.exit_code == 1, res.output
    text = _flat(res.output)
    assert good in text and "c=1" in text
    assert f"run {empty} (failed) has no measured levels" in text
    assert runner.invoke(app, ["perf", "compare", good]).exit_code == 0


# --------------------------------------------------------------------------- items 4, 5


@pytest.mark.parametrize(("args", "needles"), [
    (["--slo", "ttft=1s,ttft=2s"], ["--slo: 'ttft' is given twice (ttft=1s and ttft=2s)"]),
    (["--slo", "tpot=50ms,TTFT=1s,ttft=500ms"], ["'ttft' is given twice"]),
    (["--slo", "ttft=0"], ["--slo: 'ttft=0' is a target no request can meet"]),
    (["--slo", "e2e=0ms"], ["'e2e=0ms' is a target no request can meet"]),
    (["--concurrency", ""], ["--concurrency: give at least one value"]),
    (["--rate", ""], ["--rate: give at least one value"]),
    (["--rate", "5", "--max-concurrency", "0"], ["--max-concurrency must be at least 1"]),
    (["--rate", "5", "--max-concurrency", "-3"], ["--max-concurrency must be at least 1"]),
    (["--concurrency", "2", "--max-concurrency", "4"],
     ["--max-concurrency caps open-loop levels"]),
], ids=["slo-dup", "slo-dup-case", "slo-zero", "slo-zero-ms", "concurrency-empty",
        "rate-empty", "max-concurrency-0", "max-concurrency-neg", "max-concurrency-closed"])
def test_option_values_that_mean_nothing_are_refused(args: list[str],
                                                     needles: list[str]) -> None:
    with MockServer(MockConfig()) as srv:
        res = runner.invoke(app, _perf(srv.base_url, "--requests", "1", *args))
        _assert_refused(res, srv, *needles)


# --------------------------------------------------------------------------- item 6


def test_requests_and_duration_stop_at_whichever_comes_first(tmp_path: Path) -> None:
    """As GuideLLM's --max-requests with --max-seconds: both apply, for every load shape.
    The open loop and the trace used to ignore --duration when --requests was given."""
    trace = _lines(tmp_path / "t.jsonl", [{"offset": i * 0.05, "prompt": f"p{i}"}
                                          for i in range(40)])
    with MockServer(MockConfig(output_tokens=2)) as srv:
        by_time = runner.invoke(app, _perf(srv.base_url, "--rate", "20", "--arrivals",
                                           "constant", "--requests", "40", "--duration",
                                           "0.5", "--json", str(tmp_path / "a.json")))
        trace_time = runner.invoke(app, _perf(srv.base_url, "--trace", str(trace),
                                              "--requests", "40", "--duration", "0.5",
                                              "--json", "-"))
        by_count = runner.invoke(app, _perf(srv.base_url, "--rate", "20", "--requests", "3",
                                            "--duration", "30", "--json", "-"))
    assert by_time.exit_code == 0, by_time.output
    assert ("each level measures until 40 requests or 0.5 s, whichever comes first"
            in _flat(by_time.output))
    doc = orjson.loads((tmp_path / "a.json").read_bytes())
    assert doc["settings"]["stop"] == ("each level measures until 40 requests or 0.5 s, "
                                       "whichever comes first")
    assert doc["models"][0]["levels"][0]["requests"]["measured"] == 10  # 0.5 s at 20/s
    assert orjson.loads(trace_time.stdout)["models"][0]["levels"][0]["requests"][
        "measured"] == 10  # the trace's lines due in the first 0.5 s
    assert orjson.loads(by_count.stdout)["models"][0]["levels"][0]["requests"][
        "measured"] == 3
    help_text = _flat(runner.invoke(app, ["perf", "--help"]).output)
    assert "With --duration: whichever comes first" in help_text


# --------------------------------------------------------------------------- item 7


@pytest.mark.parametrize("extra", [["--concurrency", "2"], ["--rate", "5"]],
                         ids=["concurrency", "rate"])
def test_a_trace_is_replayed_as_given_not_mixed_with_other_levels(tmp_path: Path,
                                                                  extra: list[str]) -> None:
    trace = _lines(tmp_path / "t.jsonl", [{"offset": 0.0, "prompt": "a"},
                                          {"offset": 0.05, "prompt": "b"}])
    with MockServer(MockConfig()) as srv:
        res = runner.invoke(app, _perf(srv.base_url, "--trace", str(trace), *extra))
        _assert_refused(res, srv, f"--trace cannot be combined with {extra[0]}",
                        "use --max-concurrency N")
    # What the message offers works: the trace alone, capped, is one level.
    with MockServer(MockConfig(ttft_s=0.05, output_tokens=2)) as srv:
        res = runner.invoke(app, _perf(srv.base_url, "--trace", str(trace),
                                       "--max-concurrency", "1", "--json", "-"))
        assert srv.stats()["max_in_flight"] == 1
    assert res.exit_code == 0, res.output
    levels = orjson.loads(res.stdout)["models"][0]["levels"]
    assert [lv["level"] for lv in levels] == ["trace"]


# --------------------------------------------------------------------------- item 8


def test_a_trace_lines_own_max_tokens_wins_and_the_output_says_so(tmp_path: Path) -> None:
    trace = _lines(tmp_path / "t.jsonl", [
        {"offset": 0.0, "prompt": "a", "max_tokens": 2},
        {"offset": 0.02, "prompt": "b", "output_tokens": 3},
        {"offset": 0.04, "prompt": "c"}])
    with MockServer(MockConfig()) as srv:
        res = runner.invoke(app, ["perf", "--url", srv.base_url, "--tokenizer", "words",
                                  "--output-tokens", "7", "--ignore-eos", "on",
                                  "--trace", str(trace), "--json", str(tmp_path / "o.json")])
    assert res.exit_code == 0, res.output
    note = ("max_tokens: 2 of 3 trace lines give their own, sent as given; the other 1 use "
            "--output-tokens 7")
    assert note in _flat(res.output)
    doc = orjson.loads((tmp_path / "o.json").read_bytes())
    assert note in doc["models"][0]["notes"]
    assert doc["models"][0]["levels"][0]["workload"]["own_max_tokens"] == 2
    rows = sorted(Store().perf.requests([doc["run_id"]]), key=lambda r: r.seq)
    assert [r.output_tokens for r in rows] == [2, 3, 7]
    help_text = _flat(runner.invoke(app, ["perf", "--help"]).output)
    assert "a trace line's or a task's max_tokens wins" in help_text
