"""``baimo landscape`` commands, run through typer's CliRunner with BAIMO_HOME in a tmp dir."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from baimo.cli.landscape import app
from baimo.landscape import load_catalog


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("BAIMO_HOME", str(h))
    monkeypatch.setenv("COLUMNS", "250")
    return h


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_list_and_filters(home: Path) -> None:
    res = run("list")
    assert res.exit_code == 0, res.output
    assert "zhipu/chatglm" in res.output and "catalog records" in res.output
    res = run("list", "--kind", "research", "--stage", "pilot")
    assert res.exit_code == 0
    assert "4 of" in res.output and "fudan/moss" in res.output and "zhipu/chatglm" not in res.output
    res = run("list", "--vertical", "--industry", "education")
    assert "tal/mathgpt" in res.output and "baidu/ernie-bot" not in res.output
    res = run("list", "--filed", "--open", "--region", "Beijing")
    assert "zhipu/chatglm" in res.output and "baidu/ernie-bot" not in res.output
    res = run("list", "--vendor", "腾讯", "--closed")
    assert "tencent/hunyuan" in res.output and "tencent/videocrafter2" not in res.output


def test_list_rejects_unknown_kind(home: Path) -> None:
    res = run("list", "--kind", "bigtech")
    assert res.exit_code == 2
    assert "unknown kind 'bigtech'" in res.output and "Traceback" not in res.output


def test_show_prints_evaluations_and_provenance(home: Path) -> None:
    res = run("show", "zhipu/chatglm")
    assert res.exit_code == 0, res.output
    for text in ("智谱清言", "GLM4", "58.9", "1729", "001_be8c0c45228710db.txt",
                 "common-knowledge", "provenance"):
        assert text in res.output, text
    res = run("show", "moonshot/kimmi")
    assert res.exit_code == 2 and "no catalog record" in res.output


def test_stats_labels_census_and_catalog_counts(home: Path) -> None:
    res = run("stats")
    assert res.exit_code == 0, res.output
    out = res.output
    n = len(load_catalog())
    assert "census (003_73048b46281b17ca.txt" in out
    assert f"catalog records ({n})" in out
    assert "140/305 = 45.9%" in out
    assert "305 - 140 = 165" in out
    assert "Beijing (北京) 70 = 50.0%" in out and "Guangdong (广东) 19 = 13.6%" in out
    assert "60/305 = 19.7%" in out and "7B (70亿)" in out
    assert "DISAGREES" not in out and "agrees" in out
    assert "deployed (业务落地) 36" in out


def test_stats_json(home: Path) -> None:
    res = run("stats", "--json")
    assert res.exit_code == 0
    data = json.loads(res.output)
    assert data["census"]["filed_share_pct"] == 45.9
    assert data["catalog_records"]["total"] == len(load_catalog())


@pytest.mark.parametrize("fmt", ["csv", "json", "md"])
def test_export_formats(home: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"landscape.{fmt}"
    res = run("export", "--format", fmt, "--out", str(out), "--market", "domestic")
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    domestic = [r for r in load_catalog() if r.market == "domestic"]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == len(domestic)
        glm = next(r for r in rows if r["id"] == "zhipu/chatglm")
        assert "opencompass-2023-annual:GLM4=58.9#2" in glm["evaluations"]
        assert "001_be8c0c45228710db.txt" in glm["sources"]
    elif fmt == "json":
        data = json.loads(text)
        assert len(data["records"]) == len(domestic)
        assert "opencompass-2023-annual" in data["evaluation_systems"]
    else:
        lines = text.strip().splitlines()
        assert len(lines) == len(domestic) + 2 and lines[0].startswith("| id |")


def test_export_to_stdout_and_bad_format(home: Path) -> None:
    res = run("export", "--format", "csv", "--kind", "telecom")
    assert res.exit_code == 0
    assert len(res.output.strip().splitlines()) == 1 + 3
    res = run("export", "--format", "xlsx")
    assert res.exit_code == 2 and "unknown export format" in res.output


def test_add_then_update_with_sources(home: Path) -> None:
    res = run("add", "--vendor", "Acme", "--model", "Foo-1", "--source", "press release",
              "--as-of", "2025-03-01", "--stage", "业务试点", "--domain", "vertical",
              "--industry", "legal", "--alias", "foo")
    assert res.exit_code == 0, res.output
    assert "acme/foo-1" in res.output
    user_file = home / "landscape" / "catalog.yaml"
    assert user_file.exists()
    res = run("update", "acme/foo-1", "--weights", "open", "--source", "model card")
    assert res.exit_code == 0, res.output
    res = run("update", "baidu/ernie-bot", "--stage", "pilot", "--source", "my survey",
              "--as-of", "2025-04")
    assert res.exit_code == 0, res.output
    res = run("show", "baidu/ernie-bot")
    assert "pilot (业务试点)" in res.output and "my survey" in res.output
    res = run("list", "--vendor", "acme", "--open")
    assert "acme/foo-1" in res.output
    raw = yaml.safe_load(user_file.read_text(encoding="utf-8"))
    assert [u["source"] for u in raw["updates"]] == ["model card", "my survey"]


def test_update_without_source_is_refused(home: Path) -> None:
    res = run("update", "moonshot/kimi", "--stage", "pilot")
    assert res.exit_code == 2
    assert "refusing to update 'moonshot/kimi' without a source" in res.output
    res = run("add", "--vendor", "Acme", "--model", "Foo")
    assert res.exit_code == 2 and "without a source" in res.output
    assert not (home / "landscape" / "catalog.yaml").exists()


def test_update_and_add_errors(home: Path) -> None:
    res = run("update", "nobody/nothing", "--stage", "pilot", "--source", "x")
    assert res.exit_code == 2 and "no catalog record" in res.output
    res = run("update", "moonshot/kimi", "--source", "x")
    assert res.exit_code == 2 and "nothing to update" in res.output
    res = run("add", "--vendor", "Moonshot", "--model", "Kimi", "--id", "moonshot/kimi",
              "--source", "x")
    assert res.exit_code == 2 and "already exists" in res.output
    res = run("add", "--vendor", "A", "--model", "B", "--kind", "bigtech", "--source", "x")
    assert res.exit_code == 2 and "vendor_kind" in res.output


USER_FILE = """\
# Our team's additions. Reviewed by Alice every quarter; keep the comments.
schema_version: 1

records:
  # Acme: confirmed at their launch event
  - id: acme/foo
    vendor: Acme
    model: Foo        # the flagship
    provenance:
      - source: launch event notes
        as_of: 2024-05-01
  # (records below this line are drafts)

updates: []   # none yet
"""


def test_add_and_update_keep_the_users_comments_and_layout(home: Path) -> None:
    user_file = home / "landscape" / "catalog.yaml"
    user_file.parent.mkdir(parents=True)
    user_file.write_text(USER_FILE, encoding="utf-8")
    res = run("add", "--vendor", "Beta", "--model", "Bar", "--source", "press release",
              "--as-of", "2025-03-01", "--note", "first seen at WAIC")
    assert res.exit_code == 0, res.output
    res = run("update", "acme/foo", "--stage", "pilot", "--source", "memo", "--as-of",
              "2025-04")
    assert res.exit_code == 0, res.output
    text = user_file.read_text(encoding="utf-8")
    lines = text.splitlines()
    # Every line of the user's file is still there, in the same order (one changed only
    # where `updates: []` became the start of a list).
    original = USER_FILE.replace("updates: []   # none yet", "updates:    # none yet")
    it = iter(lines)
    assert all(any(line == mine for mine in it) for line in original.splitlines()), text
    # The new record sits inside `records:` with the same indentation, before the drafts
    # comment, which stays where it was.
    assert text.index("  - id: beta/bar") < text.index("  # (records below this line")
    assert text.index("- id: acme/foo\n  set:") > text.index("updates:")
    cat = load_catalog()
    assert cat.get("beta/bar").notes == ("first seen at WAIC",)
    assert cat.get("acme/foo").stage == "pilot"
    assert cat.get("acme/foo").provenance[-1].as_of == "2025-04"


def test_future_dates_credentials_and_provenance_errors_are_refused_once(home: Path) -> None:
    user_file = home / "landscape" / "catalog.yaml"
    res = run("add", "--vendor", "A", "--model", "B", "--source", "x", "--as-of", "2999-01-01")
    assert res.exit_code == 2
    assert "--as-of 2999-01-01 is in the future" in res.output
    res = run("update", "moonshot/kimi", "--stage", "pilot", "--source", "x", "--as-of", "2999")
    assert res.exit_code == 2 and "--as-of 2999 is in the future" in res.output
    secret = "https://alice:hunter2@wiki.example.com/llm/a?page=1"
    res = run("add", "--vendor", "A", "--model", "B", "--source", f"see {secret}")
    assert res.exit_code == 2
    assert "--source: a URL in it carries a user name or password" in res.output
    assert "https://wiki.example.com/llm/a" in res.output
    assert "hunter2" not in res.output and "alice" not in res.output
    res = run("update", "moonshot/kimi", "--stage", "pilot", "--source",
              "https://docs.example.com/r.pdf?access_token=tok-42")
    assert res.exit_code == 2 and "(access_token=...)" in res.output
    assert "tok-42" not in res.output
    assert not user_file.exists()  # nothing was written
    res = run("add", "--vendor", "A", "--model", "B", "--source", "x", "--as-of", "2024-13")
    assert res.exit_code == 2 and "--as-of: 2024-13 is not a calendar date" in res.output
    # One problem, one message (pydantic also said "at least 1 item" about the same entry).
    res = run("add", "--vendor", "A", "--model", "B", "--source", "common-knowledge")
    assert res.exit_code == 2
    assert res.output.count("must list the `fields`") == 1
    assert "at least 1 item" not in res.output and "Value error" not in res.output


def test_hand_written_future_dates_and_credentials_are_located(home: Path) -> None:
    user_file = home / "landscape" / "catalog.yaml"
    user_file.parent.mkdir(parents=True)
    user_file.write_text("records:\n  - id: a/b\n    vendor: A\n    model: B\n    provenance:\n"
                         "      - source: doc\n        as_of: 2999-01-01\n", encoding="utf-8")
    res = run("list")
    assert res.exit_code == 2
    assert f"{user_file}:7: records[0] (id=a/b): as_of 2999-01-01 is in the future" \
        in res.output
    user_file.write_text("records:\n  - id: a/b\n    vendor: A\n    model: B\n    provenance:\n"
                         "      - source: https://u:hunter2@h.example/x\n        as_of: 2024\n",
                         encoding="utf-8")
    res = run("list")
    assert res.exit_code == 2
    assert f"{user_file}:6: records.0.provenance.0.source: a URL in it carries a user name" \
        in res.output
    assert "hunter2" not in res.output and "at least 1 item" not in res.output
