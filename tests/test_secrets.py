"""An API key never reaches the database, the logs, the reports or an error message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from baimo.store.store import Store
from baimo.testing.hostile import HostileServer
from baimo.testing.mockserver import MockConfig, MockServer
from support import SENTINEL_KEY, write_models, write_task


def _cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_sentinel_key_is_nowhere(tmp_path: Path, baimo_home: Path, db_url: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    env = {**os.environ, "SENTINEL_API_KEY": SENTINEL_KEY, "BAIMO_HOME": str(baimo_home),
           "BAIMO_DB": db_url, "WRONG_API_KEY": SENTINEL_KEY + "-wrong"}
    with MockServer(MockConfig(api_key=SENTINEL_KEY, fault_rate=0.3, seed=3)) as srv, \
            HostileServer() as hostile:
        write_models(tmp_path, srv.base_url, [
            {"name": "keyed", "api_key_env": "SENTINEL_API_KEY",
             "limits": {"timeout_s": 0.5}},
            {"name": "wrongkey", "api_key_env": "WRONG_API_KEY"},
            # A server that echoes the Authorization header into its error text, padded so
            # the key sits across the 300-character cut of error reasons.
            {"name": "echo", "base_url": hostile.base_url, "model": "echo-key",
             "api_key_env": "SENTINEL_API_KEY", "limits": {"max_retries": 1}},
        ])
        spec = write_task(tmp_path, 20)
        logs = []
        for args in (["eval", "--task", str(spec), "-m", "keyed", "-m", "wrongkey",
                      "-m", "echo", "--report", str(tmp_path / "r.html")],
                     ["models", "show", "keyed"], ["models", "list"],
                     ["models", "check", "keyed", "wrongkey"],
                     ["report", "latest", "-f", "json", "-o", str(tmp_path / "r.json")],
                     ["report", "latest", "-f", "md", "-o", str(tmp_path / "r.md")],
                     ["runs", "show", "latest"]):
            proc = _cli(args, tmp_path, env)
            logs.append(proc.stdout + proc.stderr)
        # A key variable that is not set names the variable, not a value.
        env_missing = {k: v for k, v in env.items() if k != "SENTINEL_API_KEY"}
        fresh = write_task(tmp_path, 3, name="fresh")  # not cached: a request is needed
        proc = _cli(["eval", "--task", str(fresh), "-m", "keyed"], tmp_path, env_missing)
        logs.append(proc.stdout + proc.stderr)
        assert "SENTINEL_API_KEY" in proc.stdout + proc.stderr
    text = "\n".join(logs)
    assert "keyed" in text and "run:" in text
    # No fragment of 8 or more characters of the key anywhere: output, reports, every table,
    # and the raw database file with its write-ahead log.
    fragments = [SENTINEL_KEY[i:i + 8] for i in range(len(SENTINEL_KEY) - 7)]
    # ("SENTINEL" is also part of the variable's name, which is printed by design.)
    fragments = [f for f in fragments if f not in "SENTINEL_API_KEY"]
    reports = "".join(f.read_text() for f in tmp_path.glob("r.*"))
    for frag in fragments:
        assert frag not in text, frag
        assert frag not in reports, frag
    store = Store(db_url)
    with store.engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            dump = repr(conn.execute(sa.text(f"select * from {table}")).fetchall())
            for frag in fragments:
                assert frag not in dump, (table, frag)
    if db_url.startswith("sqlite"):
        raw = Path(db_url.removeprefix("sqlite:///")).read_bytes()
        wal = Path(db_url.removeprefix("sqlite:///") + "-wal")
        raw += wal.read_bytes() if wal.exists() else b""
        for frag in fragments:
            assert frag.encode() not in raw, frag
