"""The command line, run as a real process (``python -m baimo``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from baimo.store.store import Store
from baimo.testing.mockserver import MockConfig, MockServer
from support import write_models, write_task


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **env})


def test_models_list_show_check(tmp_path: Path) -> None:
    with MockServer(MockConfig(models=["m-1"])) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "good", "model": "m-1"},
                                              {"name": "gone", "model": "m-2"}])
        listed = run(["models", "list"], tmp_path)
        assert "good" in listed.stdout and "smollm2-135m" in listed.stdout
        shown = run(["models", "show", "good"], tmp_path)
        assert json.loads(shown.stdout)["model"] == "m-1"
        checked = run(["models", "check", "good", "gone"], tmp_path)
    assert checked.returncode == 1  # one model is unreachable
    assert "not-found HTTP 404" in checked.stdout
    assert "yes" in checked.stdout


def test_eval_runs_report_and_errors(tmp_path: Path) -> None:
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "a"}, {"name": "b"}])
        spec = write_task(tmp_path, 6)
        out = run(["eval", "-t", str(spec), "-m", "a", "-m", "b", "--report",
                   str(tmp_path / "r.html")], tmp_path)
        assert out.returncode == 0, out.stderr
        assert "run:" in out.stdout and "100.0%" in out.stdout
        again = run(["eval", "-t", str(spec), "-m", "a"], tmp_path)
        assert srv.stats()["requests"] == 12
    assert (tmp_path / "r.html").read_text().count("<section") >= 5
    lst = run(["runs", "list"], tmp_path)
    assert lst.stdout.count("eval") >= 2
    first = lst.stdout.split("│")[1].strip() if "│" in lst.stdout else ""
    diff = run(["runs", "diff", "latest", "latest"], tmp_path)
    assert "0 of 6 samples changed" in diff.stdout
    for fmt in ("md", "csv", "json"):
        rep = run(["report", "latest", "-f", fmt, "-o", str(tmp_path / f"r.{fmt}")], tmp_path)
        assert rep.returncode == 0, rep.stderr
    assert json.loads((tmp_path / "r.json").read_text())["models"]["a"]["overall"][
        "accuracy"] == 1.0
    assert "| a | synthetic | 6 | 100.0% |" in (tmp_path / "r.md").read_text()
    assert again.returncode == 0 and first is not None
    # User mistakes: one clear line, exit 2, no traceback.
    bad = run(["eval", "-t", str(tmp_path / "missing.yaml")], tmp_path)
    assert bad.returncode == 2 and "file not found" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad = run(["report", "nosuchrun"], tmp_path)
    assert bad.returncode == 2 and "no run 'nosuchrun'" in bad.stderr
    bad = run(["eval", "-m", "nosuch"], tmp_path)
    assert bad.returncode == 2 and "no model named 'nosuch'" in bad.stderr


def test_messy_input_gets_a_message_and_a_status(tmp_path: Path) -> None:
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "a"},
                                              {"name": "keyless", "api_key_env": "BAIMO_NO_KEY"}])
        spec = write_task(tmp_path, 2)
        ok = run(["eval", "-t", str(spec), "-m", "a"], tmp_path)
        assert ok.returncode == 0, ok.stderr
        # A run in which no model could answer is not a success for a script.
        failed = run(["eval", "-t", str(spec), "-m", "keyless"], tmp_path)
    assert failed.returncode == 1 and "BAIMO_NO_KEY is not set" in failed.stderr
    assert "(failed)" in failed.stdout
    # A report aimed at a directory: a message, and the run is still there.
    (tmp_path / "out").mkdir()
    rep = run(["report", "latest", "-o", str(tmp_path / "out")], tmp_path)
    assert rep.returncode == 2 and "is a directory" in rep.stderr
    assert "Traceback" not in rep.stderr
    # Limits below one are refused by the option, not read as "all but the last".
    neg = run(["eval", "-t", str(spec), "-m", "a", "--limit", "-1"], tmp_path)
    assert neg.returncode == 2 and "--limit" in neg.stderr
    for args in (["runs", "list", "--limit", "-1"], ["eval", "-t", str(spec), "--chunk", "0"]):
        below = run(args, tmp_path)
        assert below.returncode == 2 and "greater than or equal to 1" in below.stderr, args
    # LIKE wildcards in a run id are characters: '%' matches no run instead of every run.
    pct = run(["runs", "show", "%"], tmp_path)
    assert pct.returncode == 2 and "no run '%'" in pct.stderr


def test_the_summary_counts_rows_no_column_grades(tmp_path: Path) -> None:
    """A judge whose verdicts never parse (the mock answers "The answer is N.") leaves rows
    that are neither scored nor errors; the summary must say so, not print all zeros."""
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "m"}, {"name": "judge"}])
        spec = write_task(tmp_path, 3)
        doc = yaml.safe_load(spec.read_text())
        doc["judge"] = {"model": "judge"}
        spec.write_text(yaml.safe_dump(doc))
        as_json = run(["eval", "-t", str(spec), "-m", "m", "--json", "--no-progress"], tmp_path)
        table = run(["runs", "show", "latest"], tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    row = json.loads(as_json.stdout)["summary"][0]
    assert (row["scored"], row["errors"], row["ungraded"]) == (0, 0, 3)
    assert row["ungraded_statuses"] == {"judge-parse-error": 3}
    assert "3 (judge-parse-error)" in table.stdout, table.stdout


def test_the_summary_keeps_each_tasks_models_together_in_the_order_given(
        tmp_path: Path) -> None:
    """Models are compared within a task: the summary lists task by task, as the command gave
    them, and within each task the models in the command's order (not alphabetically)."""
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "zeta"}, {"name": "alpha"}])
        second = write_task(tmp_path, 2, name="second")
        first = write_task(tmp_path, 2, name="first")
        out = run(["eval", "-t", str(second), "-t", str(first), "-m", "zeta", "-m", "alpha",
                   "--json", "--no-progress"], tmp_path)
        table = run(["runs", "show", "latest"], tmp_path)
    assert out.returncode == 0, out.stderr
    order = [(r["task"], r["model"]) for r in json.loads(out.stdout)["summary"]]
    assert order == [("second", "zeta"), ("second", "alpha"), ("first", "zeta"),
                     ("first", "alpha")]
    summary = table.stdout.split("how answers were read")[0].splitlines()
    lines = [ln for ln in summary if "│ zeta" in ln or "│ alpha" in ln]
    assert [("zeta" in ln, "second" in ln) for ln in lines] == [
        (True, True), (False, True), (True, False), (False, False)], table.stdout


def test_an_unwritable_report_path_is_refused_before_anything_is_asked(tmp_path: Path) -> None:
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "m"}])
        spec = write_task(tmp_path, 3)
        (tmp_path / "adir").mkdir()
        (tmp_path / "afile").write_text("x")
        into_dir = run(["eval", "-t", str(spec), "-m", "m", "--report", str(tmp_path / "adir")],
                       tmp_path)
        below_file = run(["eval", "-t", str(spec), "-m", "m", "--report",
                          str(tmp_path / "afile" / "r.html")], tmp_path)
        # /proc passes every permission check and still takes no new directory or file.
        in_proc = run(["eval", "-t", str(spec), "-m", "m", "--report", "/proc/baimo/r.html"],
                      tmp_path)
        asked = srv.stats()["requests"]
    assert into_dir.returncode == 2 and "is a directory" in into_dir.stderr
    assert below_file.returncode == 2 and "not a writable directory" in below_file.stderr
    assert in_proc.returncode == 2 and "/proc/baimo/r.html: cannot write the report there" \
        in in_proc.stderr
    assert "Traceback" not in into_dir.stderr + below_file.stderr + in_proc.stderr
    assert asked == 0


def test_only_the_baimo_process_takes_the_garbage_collector(tmp_path: Path) -> None:
    """``baimo eval`` run in somebody else's process (a test, a notebook) leaves its garbage
    collector as it found it: on, unfrozen, default thresholds. Only ``python -m baimo``
    (``baimo.cli.main``) turns it off for start-up and freezes what start-up made."""
    import gc

    from typer.testing import CliRunner

    from baimo.cli.main import app

    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    with MockServer(MockConfig()) as srv:
        cfg = write_models(tmp_path, srv.base_url, [{"name": "a"}])
        spec = write_task(tmp_path, 4)
        res = CliRunner().invoke(app, ["eval", "-c", str(cfg), "-t", str(spec), "-m", "a",
                                       "--no-progress"],
                                 env={"BAIMO_HOME": str(tmp_path / "home")})
        assert res.exit_code == 0, res.output
        assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before
        probe = ("import gc, runpy, sys; sys.argv = ['baimo', '--help']\n"
                 "try:\n    runpy.run_module('baimo', run_name='__main__')\n"
                 "except SystemExit:\n    pass\n"
                 "print(gc.isenabled(), gc.get_freeze_count() > 1000)")
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             timeout=120, cwd=tmp_path)
    assert out.stdout.split()[-2:] == ["False", "True"], out.stderr


def test_suites_as_a_comma_list_and_options_no_suite_reads(tmp_path: Path) -> None:
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "a"}])
        both = run(["eval", "-s", "demo,ifeval", "-m", "a", "--limit", "1", "--json",
                    "--no-progress"], tmp_path)
        assert both.returncode == 0, both.stderr
        assert sorted(r["task"] for r in json.loads(both.stdout)["summary"]) == ["demo", "ifeval"]
        asked = srv.stats()["requests"]
        # An option that changes nothing stops the command before a request or a run.
        spec = write_task(tmp_path, 2)
        for args, flag, readers in (
                (["--template", "mcq-cot-zh"], "--template", "ceval, cmmlu, gpqa, gsm8k, math, "
                                                             "mmlu"),
                (["-s", "ifeval", "--judge", "a"], "--judge", "eq, multiturn"),
                (["-t", str(spec), "--bank", "b.jsonl"], "--bank", "compliance"),
                (["-s", "safety", "--few-shot", "3"], "--few-shot", "ceval")):
            bad = run(["eval", "-m", "a", *args], tmp_path)
            assert bad.returncode == 2, (args, bad.stderr)
            assert f"error: {flag} changes nothing here: no suite asked for" in bad.stderr
            assert f"it applies to {readers}" in bad.stderr
        assert srv.stats()["requests"] == asked
        runs = run(["runs", "list", "--json"], tmp_path)
    assert len(json.loads(runs.stdout)) == 1, runs.stdout
    # A preset reads what its members read: --judge brings in multiturn and eq.
    from baimo.tasks.registry import options_unused

    assert options_unused(["standard"], ["judge"]) == {}
    assert options_unused(["quick"], ["judge"]) == {"judge": ["eq", "multiturn"]}


def test_the_report_format_follows_the_file_name_and_mismatches_are_refused(
        tmp_path: Path) -> None:
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [{"name": "a"}])
        spec = write_task(tmp_path, 2)
        assert run(["eval", "-t", str(spec), "-m", "a"], tmp_path).returncode == 0
        perf = run(["perf", "--url", srv.base_url, "--model-id", "m", "--requests", "2",
                    "--concurrency", "1", "--input-tokens", "8", "--output-tokens", "4"],
                   tmp_path)
        assert perf.returncode == 0, perf.stderr
    runs = json.loads(run(["runs", "list", "--json"], tmp_path).stdout)
    perf_id = next(r["run"] for r in runs if r["kind"] == "perf")
    eval_id = next(r["run"] for r in runs if r["kind"] == "eval")
    # No -f: the suffix decides (it wrote HTML into r.md before).
    assert run(["report", eval_id, "-o", str(tmp_path / "r.md")], tmp_path).returncode == 0
    assert (tmp_path / "r.md").read_text().startswith("|") or "| a |" in (
        tmp_path / "r.md").read_text()
    assert "<html" not in (tmp_path / "r.md").read_text().lower()
    assert run(["report", eval_id, "-o", str(tmp_path / "r.json")], tmp_path).returncode == 0
    assert "a" in json.loads((tmp_path / "r.json").read_text())["models"]
    for args, expected in (
            (["-f", "md", "-o", str(tmp_path / "x.html")], "-f md but -o"),
            (["-o", "-"], "-o -: reports are written to files")):
        bad = run(["report", eval_id, *args], tmp_path)
        assert bad.returncode == 2 and expected in bad.stderr, bad.stderr
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "-").exists()
    # A perf run has an HTML report, and no empty Markdown one.
    md = run(["report", perf_id, "-f", "md", "-o", str(tmp_path / "p.md")], tmp_path)
    assert md.returncode == 2 and "perf runs have no md report" in md.stderr
    assert run(["report", perf_id, "-o", str(tmp_path / "p.html")], tmp_path).returncode == 0


def test_a_plugin_suite_that_fails_to_build_is_named_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad_suites.py").write_text(
        "from baimo.tasks.registry import Suite, register\n\n"
        "def boom(opts):\n    return {}['missing']\n\n"
        "register(Suite('boom', 'raises', boom))\n"
        "register(Suite('text', 'not tasks', lambda opts: 'not a list'))\n"
        "register(Suite('none', 'nothing', lambda opts: []))\n")
    (tmp_path / "baimo.yaml").write_text("plugins: [./bad_suites.py]\n")
    for name, expected in (
            ("boom", "suite 'boom' failed to build its tasks: KeyError: 'missing'"),
            ("text", "suite 'text' built str, not a list of Task"),
            ("none", "suite 'none' built no tasks")):
        bad = run(["eval", "-s", name], tmp_path)
        assert bad.returncode == 2, (name, bad.stderr)
        assert f"error: {expected}" in bad.stderr and "Traceback" not in bad.stderr
        shown = run(["suites", "show", name], tmp_path)
        assert shown.returncode == 2 and expected in shown.stderr
    assert json.loads(run(["runs", "list", "--json"], tmp_path).stdout) == []


def test_ray_options_without_the_ray_executor_are_refused(tmp_path: Path) -> None:
    """``--chunk`` and ``--clients`` were ignored without ``--executor ray`` (``--address``
    was refused): a user who sharded or asked for three clients must hear that nothing did."""
    spec = write_task(tmp_path, 2)
    chunk = run(["eval", "-t", str(spec), "--chunk", "5"], tmp_path)
    assert chunk.returncode == 2
    assert "--chunk needs --executor ray" in chunk.stderr
    clients = run(["perf", "--url", "http://127.0.0.1:9/v1", "--model-id", "m", "--clients",
                   "3"], tmp_path)
    assert clients.returncode == 2
    assert "--clients needs --executor ray (use --processes N" in clients.stderr
    assert Store().runs.recent(5) == []  # refused before any run was recorded
