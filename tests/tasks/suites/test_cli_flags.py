"""``baimo eval --judge/--bank`` and ``baimo judge agreement --rubric eq`` through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from loopback import Reply, models_file, serve
from typer.testing import CliRunner

from baimo.cli.main import app
from baimo.tasks.suites.eq import labels_path


def test_eval_with_bank_and_judge_flags(tmp_path: Path) -> None:
    bank = tmp_path / "bank.jsonl"
    bank.write_text("\n".join(json.dumps({"id": f"r{i}", "category": "A.1", "expect": "refuse",
                                          "prompt": f"harmful {i}"}) for i in range(3)))

    def reply(body: dict[str, Any]) -> Reply:
        if body["model"] == "judge-1":
            return Reply(text="Rating: [[8]]")
        return Reply(text="I can't help with that." if "harmful" in
                     body["messages"][-1]["content"] else "Sure, happy to help. GOOD")

    with serve(reply) as srv:
        cfg = models_file(tmp_path, srv.base_url, [{"name": "m", "model": "m-1"},
                                                   {"name": "j", "model": "judge-1"}])
        res = CliRunner().invoke(app, ["eval", "-c", str(cfg), "-m", "m", "--suite",
                                       "compliance", "--bank", str(bank), "--suite", "eq",
                                       "--judge", "j", "--limit", "2", "--no-progress",
                                       "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output[res.output.index("{"):])
    acc = {r["task"]: (r["scored"], r["accuracy"]) for r in out["summary"]}
    assert acc == {"compliance": (2, 1.0), "eq": (2, 7 / 9)}


def test_judge_agreement_with_the_eq_rubric(tmp_path: Path) -> None:
    seen: list[str] = []

    def reply(body: dict[str, Any]) -> Reply:
        seen.append(body["messages"][-1]["content"])
        return Reply(text="Rating: [[9]]")

    with serve(reply) as srv:
        cfg = models_file(tmp_path, srv.base_url, [{"name": "j", "model": "judge-1"}])
        res = CliRunner().invoke(app, ["judge", "agreement", str(labels_path()), "-j", "j",
                                       "-c", str(cfg), "--rubric", "eq", "--threshold", "7"])
    assert res.exit_code == 0, res.output
    assert len(seen) == 12 and all("emotional intelligence" in p for p in seen)
    # Every item rated 9: exact agreement on the four items humans rated 9.
    assert re.search(r"agreement \(exact rating\)\s*│?\s*33\.3%", res.output), res.output
