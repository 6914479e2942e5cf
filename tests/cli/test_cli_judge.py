"""``baimo judge`` as a real process: pairwise verdicts on a stored run, agreement with humans.

The run being judged is produced by ``run_eval`` against the mock model server (two models
that answer the same questions differently); the judge is a loopback server whose verdicts
are a function of the prompt (see ``tests/tasks/test_judge.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from baimo.config import load_config
from baimo.runs.eval import run_eval
from baimo.runs.judging import stored_judgements
from baimo.stats import wilson
from baimo.store.store import Store
from baimo.tasks.judge_prompts import get_prompt
from baimo.tasks.task import load_task
from baimo.testing.mockserver import MockConfig, MockServer

sys.path.insert(0, str(Path(__file__).parent.parent / "tasks"))
from test_judge import PAIR_LABELS, JudgeServer, prefer_marked, section


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=dict(os.environ))


def longer_wins(prompt: str, body: dict[str, Any]) -> str:
    """Prefers the longer answer (the complete one over the cut-off one); refuses on cue."""
    if "NOVERDICT" in (section(prompt, "question") or ""):
        return "I cannot tell."
    assert section(prompt, "reference_answer") is not None  # the task's references are shown
    a, b = section(prompt, "answer_a") or "", section(prompt, "answer_b") or ""
    return "[[C]]" if len(a) == len(b) else "[[A]]" if len(a) > len(b) else "[[B]]"


def write_setup(tmp: Path, model_url: str, judge_url: str) -> tuple[Path, Path]:
    rows = [{"id": f"s{i}", "prompt": f"Question {i}? [[answer:{i * 7}]]"
             + (" NOVERDICT" if i == 3 else ""), "reference": str(i * 7)} for i in range(6)]
    (tmp / "cmp.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    spec = tmp / "cmp.yaml"
    spec.write_text(yaml.safe_dump({"name": "cmp", "dataset": "cmp.jsonl",
                                    "scorer": {"type": "numeric"}}))
    models = tmp / "baimo.yaml"
    models.write_text(yaml.safe_dump({"models": [
        {"name": "full", "base_url": model_url},
        # Same endpoint, but cut off after two tokens: "The answer".
        {"name": "short", "base_url": model_url, "params": {"max_tokens": 2}},
        {"name": "judge", "base_url": judge_url, "model": "judge-1", "stream": False,
         "pricing": {"input_per_1m": 1.0, "output_per_1m": 2.0}},
    ]}))
    return spec, models


def test_pairwise_on_a_stored_run(tmp_path: Path) -> None:
    with MockServer(MockConfig()) as models_srv, JudgeServer(longer_wins) as judge_srv:
        spec, models = write_setup(tmp_path, models_srv.base_url, judge_srv.base_url)
        cfg = load_config(models)
        outcome = run_eval(Store(), [cfg.get("full"), cfg.get("short")], [load_task(spec)])
        args = ["judge", "pairwise", outcome.run_id, "--model-a", "full", "--model-b",
                "short", "--judge", "judge", "--config", str(models)]
        out = run([*args, "--json", str(tmp_path / "p.json")], tmp_path)
        assert out.returncode == 0, out.stderr
        asked = len(judge_srv.bodies)
        again = run([*args, "--task", "cmp", "--json", str(tmp_path / "again.json")],
                    tmp_path)
        assert again.returncode == 0, again.stderr
        assert len(judge_srv.bodies) == asked  # stored verdicts are reused, not re-asked
    assert asked == 12  # six shared samples, both orders
    assert all(b["temperature"] == 0.0 for b in judge_srv.bodies)
    data = json.loads((tmp_path / "p.json").read_text())
    assert (data["wins"], data["ties"], data["losses"]) == (5, 0, 0)
    assert (data["parse_errors"], data["errors"], data["judged"]) == (1, 0, 5)
    lo, hi = wilson(5, 5)
    assert data["win_rate"] == 1.0
    assert (data["ci_low"], data["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert data["judge_cost"] == pytest.approx(12 * 120 / 1e6)  # unparsed replies cost too
    assert json.loads((tmp_path / "again.json").read_text())["reused"] == 6
    assert "judge parse errors (excluded)" in out.stdout
    assert f"95% CI {100 * lo:.1f}%–100.0%" in out.stdout
    assert "over 5 judged of 6 shared samples" in out.stdout
    stored = stored_judgements(Store(), outcome.run_id)
    assert len(stored) == 6
    assert sorted(r.status for r in stored) == ["judge-parse-error"] + ["ok"] * 5
    prompt = get_prompt("pairwise", "en")
    assert {(r.prompt_id, r.prompt_version, r.prompt_hash) for r in stored} == {
        (prompt.id, prompt.version, prompt.hash)}
    ok = next(r for r in stored if r.status == "ok")
    assert (ok.winner, ok.verdict_1, ok.verdict_2) == ("A", "A", "A")
    assert ok.details["reference_used"] is True and ok.judge_model == "judge"
    bad = next(r for r in stored if r.status != "ok")
    assert bad.winner is None
    assert bad.details["orders"][0]["verdict"] == "I cannot tell."


def test_pairwise_user_mistakes_are_one_clear_line(tmp_path: Path) -> None:
    with MockServer(MockConfig()) as models_srv, JudgeServer(longer_wins) as judge_srv:
        spec, models = write_setup(tmp_path, models_srv.base_url, judge_srv.base_url)
        cfg = load_config(models)
        run_eval(Store(), [cfg.get("full"), cfg.get("short")], [load_task(spec)])
        base = ["judge", "pairwise", "latest", "--judge", "judge", "--config", str(models)]
        missing = run([*base, "--model-a", "full", "--model-b", "nosuch"], tmp_path)
        same = run([*base, "--model-a", "full", "--model-b", "full"], tmp_path)
        task = run([*base, "--model-a", "full", "--model-b", "short", "--task", "x"],
                   tmp_path)
        judge = run(["judge", "pairwise", "latest", "--model-a", "full", "--model-b",
                     "short", "--judge", "nojudge", "--config", str(models)], tmp_path)
    assert missing.returncode == 2 and "has no results for model 'nosuch'" in missing.stderr
    assert "Models in the run: full, short" in missing.stderr
    assert same.returncode == 2 and "two different models" in same.stderr
    assert task.returncode == 2 and "has no task 'x'" in task.stderr
    assert judge.returncode == 2 and "no model named 'nojudge'" in judge.stderr
    for p in (missing, same, task, judge):
        assert "Traceback" not in p.stderr
    assert judge_srv.bodies == []


def test_agreement_on_a_labelled_file(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in PAIR_LABELS))
    with JudgeServer(prefer_marked) as srv:
        models = tmp_path / "baimo.yaml"
        models.write_text(yaml.safe_dump({"models": [
            {"name": "judge", "base_url": srv.base_url}]}))
        out = run(["judge", "agreement", str(labels), "--judge", "judge", "--config",
                   str(models), "--json", str(tmp_path / "a.json")], tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads((tmp_path / "a.json").read_text())
    assert (data["total"], data["compared"], data["parse_errors"]) == (7, 6, 1)
    assert data["agreement"] == pytest.approx(4 / 6)
    assert data["kappa"] == pytest.approx(11 / 23)
    assert "66.7%" in out.stdout and "0.478" in out.stdout
    assert "judge parse errors (excluded)" in out.stdout
    assert all(b["temperature"] == 0.0 for b in srv.bodies)


def test_agreement_with_a_judge_nobody_answers_for_exits_1_with_the_reason(
        tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # free a moment ago: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    labels = tmp_path / "labels.jsonl"
    labels.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in PAIR_LABELS))
    models = tmp_path / "baimo.yaml"
    models.write_text(yaml.safe_dump({"models": [
        {"name": "judge", "base_url": f"http://127.0.0.1:{port}/v1",
         "limits": {"max_retries": 0}}]}))
    out = run(["judge", "agreement", str(labels), "--judge", "judge", "--config", str(models),
               "--json", str(tmp_path / "a.json")], tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    flat = " ".join(out.stderr.split())
    assert "nothing was compared: the judge could not be asked (7 errors; first: judge 'judge': " \
        in flat, flat
    items = json.loads((tmp_path / "a.json").read_text())["items"]
    assert all(i["status"] == "error" and "cannot connect" in i["error"] for i in items)


def test_agreement_single_mode_and_malformed_file(tmp_path: Path) -> None:
    single = tmp_path / "single.jsonl"
    single.write_text("\n".join(json.dumps(r) for r in [
        {"id": 1, "question": "q", "answer": "a", "human_rating": 7},
        {"id": 2, "question": "q", "answer": "b", "human_rating": 3},
    ]) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(PAIR_LABELS[0]) + "\n"
                   + json.dumps({**PAIR_LABELS[1], "human": "C"}) + "\n")
    with JudgeServer(lambda p, b: "Rating: [[7]]") as srv:
        models = tmp_path / "baimo.yaml"
        models.write_text(yaml.safe_dump({"models": [
            {"name": "judge", "base_url": srv.base_url}]}))
        ok = run(["judge", "agreement", str(single), "--judge", "judge", "--config",
                  str(models), "--threshold", "5"], tmp_path)
        malformed = run(["judge", "agreement", str(bad), "--judge", "judge", "--config",
                         str(models)], tmp_path)
        asked = len(srv.bodies)
    assert ok.returncode == 0, ok.stderr
    assert "(single)" in ok.stdout and "quadratic-weighted kappa" in ok.stdout
    assert "pass/fail agreement (≥ 5)" in ok.stdout
    assert malformed.returncode == 2
    assert f"{bad}:2: field 'human': must be A, B or tie" in malformed.stderr
    assert "Traceback" not in malformed.stderr
    assert asked == 2  # the malformed file was rejected before any judging


def test_prompts_command_lists_versions_and_hashes(tmp_path: Path) -> None:
    out = run(["judge", "prompts"], tmp_path)
    assert out.returncode == 0, out.stderr
    for mode in ("single", "pairwise"):
        for lang in ("en", "zh"):
            assert get_prompt(mode, lang).hash in out.stdout
    shown = run(["judge", "prompts", "--show", "pairwise-zh"], tmp_path)
    assert "[[C]]" in shown.stdout and get_prompt("pairwise", "zh").hash in shown.stdout


def test_pairwise_with_nothing_judged_exits_1_with_the_reason(tmp_path: Path) -> None:
    """A judge that refuses every request, and a run in which the two models share no
    answered sample: no win rate exists, so the command fails (1) and says why."""
    with MockServer(MockConfig()) as models_srv, \
            MockServer(MockConfig(api_key="judge-key-only")) as judge_srv:
        spec, models = write_setup(tmp_path, models_srv.base_url, judge_srv.base_url)
        doc = yaml.safe_load(models.read_text())
        doc["models"].append({"name": "keyless", "base_url": models_srv.base_url,
                              "api_key_env": "BAIMO_TEST_NO_SUCH_KEY"})
        models.write_text(yaml.safe_dump(doc))
        cfg = load_config(models)
        both = run_eval(Store(), [cfg.get("full"), cfg.get("short")], [load_task(spec)])
        refused = run(["judge", "pairwise", both.run_id, "--model-a", "full", "--model-b",
                       "short", "--judge", "judge", "--config", str(models), "--json",
                       str(tmp_path / "refused.json")], tmp_path)
        one = run_eval(Store(), [cfg.get("full"), cfg.get("keyless")], [load_task(spec)])
        unshared = run(["judge", "pairwise", one.run_id, "--model-a", "full", "--model-b",
                        "keyless", "--judge", "judge", "--config", str(models), "--json", "-"],
                       tmp_path)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "no pair could be judged" in refused.stderr
    assert "none of the 6 shared samples could be judged: 6 judge error(s)" in refused.stderr
    assert "401" in refused.stderr
    assert json.loads((tmp_path / "refused.json").read_text())["judged"] == 0
    assert unshared.returncode == 1, unshared.stdout + unshared.stderr
    assert json.loads(unshared.stdout)["shared"] == 0
    assert "has an answer from both full and keyless" in unshared.stderr
    for p in (refused, unshared):
        assert "Traceback" not in p.stderr


def test_agreement_says_how_many_items_it_rests_on(tmp_path: Path) -> None:
    """A percentage alone reads the same over one item as over three hundred: the output
    says how many were compared, with the interval, and warns below 30; no item compared
    (no verdict to set against a human label) is an error naming the counts."""
    one = tmp_path / "one.jsonl"
    one.write_bytes(orjson.dumps(PAIR_LABELS[0]) + b"\n")
    none = tmp_path / "none.jsonl"
    none.write_bytes(b"".join(orjson.dumps({**r, "question": f"q{i} NOVERDICT"}) + b"\n"
                              for i, r in enumerate(PAIR_LABELS[:3])))
    with JudgeServer(prefer_marked) as srv:
        models = tmp_path / "baimo.yaml"
        models.write_text(yaml.safe_dump({"models": [
            {"name": "judge", "base_url": srv.base_url}]}))
        few = run(["judge", "agreement", str(one), "--judge", "judge", "--config",
                   str(models)], tmp_path)
        few_json = run(["judge", "agreement", str(one), "--judge", "judge", "--config",
                        str(models), "--json", "-"], tmp_path)
        nothing = run(["judge", "agreement", str(none), "--judge", "judge", "--config",
                       str(models), "--json", "-"], tmp_path)
    assert few.returncode == 0, few.stderr
    flat = " ".join(few.stdout.split())
    assert "100.0% (95% CI 21–100%)" in flat
    assert "compared 1 of 1 labelled items" in flat
    assert "Cohen's kappa is undefined: the compared items use a single label" in flat
    for p in (few, few_json):
        assert "warning: only 1 item(s) were compared" in " ".join(p.stderr.split())
        assert "Label at least 30 items" in " ".join(p.stderr.split())
    assert json.loads(few_json.stdout)["compared"] == 1
    assert nothing.returncode == 1
    assert "nothing was compared: no verdict could be read (3 replies without a valid " \
           "verdict); 0 of 3 labelled items have both a human label and a judge verdict" \
           in " ".join(nothing.stderr.split())


def test_agreement_reads_a_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"  # Excel and Windows editors start UTF-8 with a BOM
    labels.write_bytes(b"\xef\xbb\xbf" + b"".join(orjson.dumps(r) + b"\r\n"
                                                  for r in PAIR_LABELS))
    with JudgeServer(prefer_marked) as srv:
        models = tmp_path / "baimo.yaml"
        models.write_text(yaml.safe_dump({"models": [
            {"name": "judge", "base_url": srv.base_url}]}))
        out = run(["judge", "agreement", str(labels), "--judge", "judge", "--config",
                   str(models), "--json", "-"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["total"] == 7
