"""One CLI surface: safe terminal output, one error path, ``--json`` tables, a fast start.

Every test runs ``python -m baimo`` as a real process against real loopback servers: the mock
server, and a small aiohttp server whose errors carry hostile text.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import yaml
from aiohttp import web

from baimo.cli.console import plain, safe
from baimo.testing.mockserver import MockConfig, MockServer
from support import write_models

EVIL_NAME = "[bold]x[/]"
EVIL_SAMPLE = "[/]"
HOSTILE = "denied [/] \x1b]0;pwned\x07 [red]boom[/red] \x1b[2J\x9b31m\rover"


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **env})


def assert_clean(proc: subprocess.CompletedProcess[str]) -> None:
    """No escape sequence, no control character but newline/tab, no traceback."""
    for stream in (proc.stdout, proc.stderr):
        assert "\x1b" not in stream and "\x07" not in stream and "\x9b" not in stream
        assert "\r" not in stream
        assert "Traceback" not in stream, stream


def write_task(tmp: Path, name: str, answer: int) -> Path:
    """One sample with the id ``[/]`` and one ordinary sample."""
    data = tmp / f"{name}-{answer}.jsonl"
    rows = [{"id": EVIL_SAMPLE, "prompt": f"Q? [[answer:{answer}]]", "reference": "4"},
            {"id": "plain", "prompt": "Q2? [[answer:9]]", "reference": "9"}]
    data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    spec = tmp / f"{name}-{answer}.yaml"
    spec.write_text(yaml.safe_dump({"name": name, "version": 1, "dataset": data.name,
                                    "scorer": {"type": "numeric"},
                                    "params": {"max_tokens": 16}}))
    return spec


@pytest.fixture
def hostile_server() -> Iterator[str]:
    """An OpenAI-compatible endpoint that refuses every request with a hostile 401 body."""

    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": HOSTILE, "type": "auth"}}, status=401)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", refuse)
    app.router.add_get("/v1/models", refuse)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    ready = threading.Event()
    import asyncio

    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock).start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_safe_and_plain_strip_escapes_and_escape_markup() -> None:
    assert plain(HOSTILE) == "denied [/]  [red]boom[/red] over"
    assert plain("tab\tand\nnewline stay") == "tab\tand\nnewline stay"
    from rich.console import Console

    con = Console(width=200, record=True, color_system=None)
    con.print(safe(HOSTILE) + " " + safe(EVIL_NAME))
    text = con.export_text()
    assert text.strip() == "denied [/]  [red]boom[/red] over [bold]x[/]"


def test_hostile_names_ids_and_server_errors(tmp_path: Path, hostile_server: str) -> None:
    with MockServer(MockConfig()) as srv:
        write_models(tmp_path, srv.base_url, [
            {"name": EVIL_NAME, "model": "m-1"},
            {"name": "victim", "model": "m-2", "base_url": hostile_server,
             "api_key_env": "HOSTILE_KEY"}])
        good = run(["eval", "--task", str(write_task(tmp_path, "t", 4)), "-m", EVIL_NAME,
                    "--no-progress"], tmp_path)
        assert good.returncode == 0, good.stderr
        assert_clean(good)
        assert EVIL_NAME in good.stdout  # printed as written, not read as markup
        worse = run(["eval", "--task", str(write_task(tmp_path, "t", 5)), "-m", EVIL_NAME,
                     "--no-progress"], tmp_path)
        assert worse.returncode == 0, worse.stderr
        refused = run(["eval", "--task", str(write_task(tmp_path, "t", 4)), "-m", "victim",
                       "--no-progress"], tmp_path, HOSTILE_KEY="k")
        assert_clean(refused)
        assert "denied [/]" in refused.stdout + refused.stderr

        listed = run(["models", "list"], tmp_path)
        assert listed.returncode == 0 and EVIL_NAME in listed.stdout
        assert_clean(listed)
        as_json = json.loads(run(["models", "list", "--json"], tmp_path).stdout)
        assert EVIL_NAME in [m["name"] for m in as_json]
        checked = run(["models", "check", EVIL_NAME, "victim"], tmp_path, HOSTILE_KEY="k")
        assert checked.returncode == 1, checked.stderr  # one model refuses
        assert_clean(checked)
        assert EVIL_NAME in checked.stdout and "auth HTTP 401: denied [/]" in checked.stdout
        probes = json.loads(run(["models", "check", EVIL_NAME, "victim", "--json"], tmp_path,
                                HOSTILE_KEY="k").stdout)
        assert [p["ok"] for p in probes] == [True, False]

    runs = run(["runs", "list"], tmp_path)
    assert runs.returncode == 0 and EVIL_NAME in runs.stdout, runs.stderr
    assert_clean(runs)
    listed_runs = json.loads(run(["runs", "list", "--json"], tmp_path).stdout)
    assert len(listed_runs) == 3 and listed_runs[0]["models"] == ["victim"]
    first, second, third = (r["run"] for r in reversed(listed_runs))

    shown = run(["runs", "show", third], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert_clean(shown)
    assert "denied [/]" in shown.stdout and "[red]boom[/red]" in shown.stdout
    shown_raw = run(["runs", "show", third, "--json"], tmp_path)
    assert_clean(shown_raw)
    reason = json.loads(shown_raw.stdout)["models"][0]["reason"]
    assert "denied [/]" in reason  # JSON keeps the stored text, control characters escaped
    shown_good = run(["runs", "show", first], tmp_path)
    assert EVIL_NAME in shown_good.stdout and "overall" not in shown_good.stderr
    assert_clean(shown_good)

    diff = run(["runs", "diff", first, second], tmp_path)
    assert diff.returncode == 0, diff.stderr
    assert_clean(diff)
    assert "1 of 2 samples changed" in diff.stdout
    assert f"│ {EVIL_SAMPLE} " in diff.stdout and EVIL_NAME in diff.stdout
    diff_json = json.loads(run(["runs", "diff", first, second, "--json"], tmp_path).stdout)
    assert diff_json["changed"] == 1
    assert diff_json["rows"] == [{"model": EVIL_NAME, "task": "t", "sample": EVIL_SAMPLE,
                                  "a": "ok", "b": "wrong"}]


def test_landscape_list_with_markup_in_a_vendor(tmp_path: Path) -> None:
    add = run(["landscape", "add", "--vendor", "[red]Evil[/] \x1b]0;pwned\x07Co", "--model",
               "M [/]", "--id", "evil/m", "--source", "test", "--kind", "ai-startup"], tmp_path,
              BAIMO_HOME=str(tmp_path / "home"))
    assert add.returncode == 0, add.stderr
    assert_clean(add)
    listed = run(["landscape", "list", "--vendor", "Evil"], tmp_path,
                 BAIMO_HOME=str(tmp_path / "home"))
    assert listed.returncode == 0, listed.stderr
    assert_clean(listed)
    assert "[red]Evil[/]" in listed.stdout and "M [/]" in listed.stdout
    rows = json.loads(run(["landscape", "list", "--vendor", "Evil", "--json"], tmp_path,
                          BAIMO_HOME=str(tmp_path / "home")).stdout)
    assert [r["id"] for r in rows] == ["evil/m"]
    shown = run(["landscape", "show", "evil/m"], tmp_path, BAIMO_HOME=str(tmp_path / "home"))
    assert shown.returncode == 0 and "[red]Evil[/]" in shown.stdout, shown.stderr
    assert_clean(shown)


def test_one_error_path(tmp_path: Path) -> None:
    """A user mistake anywhere: one line on stderr, status 2, no traceback."""
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("models: [\n")
    for args in (["runs", "show", "no-such-run"],
                 ["report", "latest", "--format", "pdf"],
                 ["models", "list", "--config", str(bad_yaml)],
                 ["landscape", "show", "no/such-record"],
                 ["landscape", "map", "--market", "mars"],
                 ["score", "-m", "no-such-methodology"],
                 ["suites", "show", "no-such-suite"],
                 ["perf", "compare", "no-such-run"],
                 ["advise"],
                 ["judge", "prompts", "--show", "no-such-prompt [/]\x1b]0;x\x07"]):
        proc = run(args, tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert proc.stderr.startswith("error: "), (args, proc.stderr)
        assert_clean(proc)
        assert proc.stderr.count("error: ") == 1, (args, proc.stderr)


def test_tables_have_json(tmp_path: Path) -> None:
    shown = json.loads(run(["suites", "show", "demo", "--limit", "2", "--json"], tmp_path).stdout)
    assert [t["samples"] for t in shown["tasks"]] == [2]
    record = json.loads(run(["landscape", "show", "zhipu/chatglm", "--json"], tmp_path).stdout)
    assert record["id"] == "zhipu/chatglm" and record["provenance"]
    for args, key in ((["suites", "list", "--json"], "suite"),
                      (["judge", "prompts", "--json"], "sha256"),
                      (["score", "methodologies", "--json"], "id"),
                      (["advise", "scenarios", "--json"], "weights"),
                      (["landscape", "list", "--json"], "vendor"),
                      (["runs", "list", "--json"], None),
                      (["score", "history", "--json"], None)):
        proc = run(args, tmp_path)
        assert proc.returncode == 0, (args, proc.stderr)
        data = json.loads(proc.stdout)
        assert isinstance(data, list), args
        if key is not None:
            assert data and all(key in row for row in data), args


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    """``baimo --help`` lists every command without importing the commands' dependencies."""
    code = ("import sys\nsys.argv = ['baimo', '--help']\nfrom baimo.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = ['numpy', 'scipy', 'sqlalchemy', 'aiohttp', 'jinja2', 'pyarrow',"
            " 'pydantic', 'yaml', 'rich.progress', 'typer.rich_utils']\n"
            "print('LOADED', [m for m in heavy if m in sys.modules]"
            " + sorted(m for m in sys.modules if m.startswith('baimo.')"
            " and not m.startswith('baimo.cli') and m != 'baimo.errors'))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in ("eval", "runs", "score", "landscape", "perf", "advise", "judge", "suites"):
        assert f"  {name} " in proc.stdout
    assert "LOADED []" in proc.stdout, proc.stdout
