"""Reports of several runs: each sample counted once, and every run's status said."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from baimo.stats import wilson
from baimo.testing.mockserver import MockConfig, MockServer
from support import write_models, write_task


def _baimo(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", *args], cwd=tmp, capture_output=True,
                          text=True, timeout=120)


def test_two_runs_of_a_model_count_each_sample_once_and_say_which_run(tmp_path: Path) -> None:
    """A rerun answers the same samples from the cache: a report of both runs counted 8
    samples of 4 and narrowed the interval. Each sample is counted once, from the newest run
    that graded it, so a later partial run (--limit 2) does not drop the complete run's other
    samples; every format says which runs were counted and which set aside."""
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "m"}])
        spec = write_task(tmp_path, 4)
        runs = []
        for limit in ("4", "4", "2"):
            res = _baimo(tmp_path, "eval", "-t", str(spec), "-m", "m", "--json",
                         "--no-progress", "--limit", limit)
            assert res.returncode == 0, res.stderr
            runs.append(json.loads(res.stdout)["run"])
    first, second, partial = runs
    for fmt in ("md", "csv", "json", "html"):
        res = _baimo(tmp_path, "report", first, second, "-f", fmt, "-o", f"r.{fmt}")
        assert res.returncode == 0, res.stderr
    js = json.loads((tmp_path / "r.json").read_text())
    acc = js["models"]["m"]["tasks"]["synthetic"]
    assert (acc["n"], acc["scored"], acc["ci_low"]) == (4, 4, wilson(4, 4)[0])
    assert js["set_aside"] == [{"model": "m", "task": "synthetic", "counted": [second],
                                "set_aside": [first], "superseded_rows": 4}]
    assert [(r["id"], r["status"]) for r in js["runs"]] == [(first, "done"), (second, "done")]
    row = next(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert (row["n"], row["run"]) == ("4", second)
    md = (tmp_path / "r.md").read_text()
    assert f"m · synthetic: counted from run {second}, run {first} set aside" in md
    assert "| m | synthetic | 4 |" in md
    assert f"counted from run {second}, run {first} set aside" in (
        tmp_path / "r.html").read_text()
    # The newest run asked only two samples: the other two still come from the first run.
    assert _baimo(tmp_path, "report", first, partial, "-f", "json", "-o", "p.json"
                  ).returncode == 0
    js = json.loads((tmp_path / "p.json").read_text())
    assert js["models"]["m"]["tasks"]["synthetic"]["n"] == 4
    assert js["set_aside"][0]["counted"] == [partial, first]
    assert js["set_aside"][0]["superseded_rows"] == 2


def test_a_markdown_report_says_how_a_run_ended(tmp_path: Path) -> None:
    """An interrupted or failed run's figures are of the samples it reached; the Markdown
    and JSON reports say the run's status and each model's reason (only HTML did)."""
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [
            {"name": "up"}, {"name": "down", "base_url": "http://127.0.0.1:9/v1",
                             "limits": {"max_retries": 0}}])
        spec = write_task(tmp_path, 2)
        res = _baimo(tmp_path, "eval", "-t", str(spec), "-m", "up", "-m", "down", "--json",
                     "--no-progress")
    run_id = json.loads(res.stdout)["run"]
    assert _baimo(tmp_path, "report", run_id, "-f", "md", "-o", "r.md").returncode == 0
    md = (tmp_path / "r.md").read_text()
    assert f"| {run_id} | partial | down (failed: no sample got an answer" in md, md
    assert _baimo(tmp_path, "report", run_id, "-f", "json", "-o", "r.json").returncode == 0
    js = json.loads((tmp_path / "r.json").read_text())
    assert js["runs"][0]["models"]["down"]["status"] == "failed"
    csv_rows = list(csv.DictReader(io.StringIO(
        (_baimo(tmp_path, "report", run_id, "-f", "csv", "-o", "r.csv"), (tmp_path / "r.csv")
         .read_text())[1])))
    down = next(r for r in csv_rows if r["model"] == "down")
    assert (down["correct"], down["ci_low"]) == ("0.0", "")  # no graded sample: no interval
    up = next(r for r in csv_rows if r["model"] == "up")
    assert up["ci_high"] == "1.0"  # exactly, not 0.9999999999999999


def test_a_perf_run_in_a_text_report_is_refused_not_dropped(tmp_path: Path) -> None:
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "m"}])
        ev = _baimo(tmp_path, "eval", "-t", str(write_task(tmp_path, 2)), "-m", "m", "--json",
                    "--no-progress")
        pf = _baimo(tmp_path, "perf", "-m", "m", "--requests", "2", "--tokenizer", "words",
                    "--input-tokens", "8", "--output-tokens", "4", "--json", "-")
    assert ev.returncode == 0 and pf.returncode == 0, pf.stderr
    eval_id, perf_id = json.loads(ev.stdout)["run"], json.loads(pf.stdout)["run_id"]
    res = _baimo(tmp_path, "report", eval_id, perf_id, "-f", "csv", "-o", "r.csv")
    assert res.returncode == 2
    assert f"{perf_id}: perf runs have no csv report" in " ".join(res.stderr.split())
    assert not (tmp_path / "r.csv").exists()
