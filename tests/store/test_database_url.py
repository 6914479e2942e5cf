"""A ``BAIMO_DB`` (or ``BAIMO_HOME``) the store cannot use is one line naming the variable and
the forms it accepts, exit 2: never a traceback, never the password, and never a file that is
not a database touched. Each case runs ``baimo runs list`` as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ACCEPTED = "sqlite:///PATH"
PASSWORD = "pw-sentinel-7c1e"


def runs_list(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baimo", "runs", "list"], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def assert_one_line(proc: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and PASSWORD not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for text in expected:
        assert text in proc.stderr, proc.stderr


@pytest.mark.parametrize(("url", "expected"), [
    ("notaurl", ["BAIMO_DB is not a database URL ('notaurl')", ACCEPTED, "postgresql://"]),
    (f"postgres:/u:{PASSWORD}@h/db", ["BAIMO_DB is not a database URL", "u:***@h"]),
    (f"mysql://u:{PASSWORD}@h/db", ["BAIMO_DB names a mysql database (mysql://u:***@h/db)",
                                    ACCEPTED]),
    (f"postgresql+asyncpg://u:{PASSWORD}@h/db", ["BAIMO_DB asks for the PostgreSQL driver "
                                                 "'asyncpg'", "psycopg 3"]),
    (f"postgresql+psycopg2://u:{PASSWORD}@h/db", ["driver 'psycopg2'", "without a '+driver'"]),
    ("sqlite+aiosqlite:////tmp/x.db", ["BAIMO_DB asks for the SQLite driver 'aiosqlite'"]),
])
def test_a_url_the_store_cannot_use_is_named_with_the_forms_it_accepts(
        tmp_path: Path, url: str, expected: list[str]) -> None:
    assert_one_line(runs_list(tmp_path, BAIMO_DB=url), *expected)


def test_a_sqlite_path_that_is_not_a_database_file_is_refused_and_left_alone(
        tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert_one_line(runs_list(tmp_path, BAIMO_DB=f"sqlite:///{folder}"),
                    f"BAIMO_DB: {folder} is a directory", f"sqlite:///{folder}/baimo.db")
    # A text file (say /etc/passwd, mistyped): not chmod-ed, not written, no sidecars.
    text = tmp_path / "passwd"
    text.write_text("root:x:0:0:root:/root:/bin/sh\n")
    text.chmod(0o644)
    assert_one_line(runs_list(tmp_path, BAIMO_DB=f"sqlite:///{text}"),
                    f"BAIMO_DB: {text} is not a SQLite database (baimo left it untouched)")
    assert text.stat().st_mode & 0o777 == 0o644
    assert text.read_text() == "root:x:0:0:root:/root:/bin/sh\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder", "passwd"]
    # A file where a directory should be.
    assert_one_line(runs_list(tmp_path, BAIMO_DB=f"sqlite:///{text}/baimo.db"),
                    f"because {text} is a file, not a directory")
    assert_one_line(runs_list(tmp_path, BAIMO_HOME=str(text)),
                    f"BAIMO_HOME ({text}) cannot be created: a file is in the way")


def test_the_forms_it_accepts_still_work(tmp_path: Path) -> None:
    new = tmp_path / "deep" / "er" / "runs.db"
    ok = runs_list(tmp_path, BAIMO_DB=f"sqlite:///{new}")
    assert ok.returncode == 0, ok.stderr
    assert new.stat().st_mode & 0o777 == 0o600
    again = runs_list(tmp_path, BAIMO_DB=f"sqlite:///{new}")  # an existing baimo database
    assert again.returncode == 0, again.stderr
    memory = runs_list(tmp_path, BAIMO_DB="sqlite://")
    assert memory.returncode == 0, memory.stderr


def test_an_unreachable_server_is_named_without_its_password(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://u:{PASSWORD}@127.0.0.1:{port}/db?password={PASSWORD}&sslmode=disable"
    proc = runs_list(tmp_path, BAIMO_DB=url)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: cannot open the database postgresql+psycopg://u:***@"
                                  f"127.0.0.1:{port}/db?password=***&sslmode=disable")
    assert PASSWORD not in proc.stderr and "Check BAIMO_DB" in proc.stderr
