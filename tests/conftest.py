"""Shared fixtures: an isolated baimo home per test, and a real PostgreSQL when available.

The PostgreSQL server is a throwaway cluster made with ``initdb`` in a temporary directory and
started with ``pg_ctl`` on a free loopback port; as root it runs as the unprivileged
``postgres`` user (PostgreSQL refuses to run as root). Without the binaries, PostgreSQL tests
are skipped with a message that says what to install.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def baimo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "baimo-home"
    monkeypatch.setenv("BAIMO_HOME", str(home))
    monkeypatch.delenv("BAIMO_DB", raising=False)
    return home


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A running PostgreSQL server's URL (session-wide; each test gets its own database)."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found: install Debian's "
                    "'postgresql' package to run the PostgreSQL tests")
    root = Path(tempfile.mkdtemp(prefix="baimo-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "baimo",
                    "--auth=trust", "-E", "UTF8", "--no-sync"], check=True,
                   capture_output=True)
    # One role must give its password (scram), so that tests can prove a password arrives
    # where it is needed and nowhere else; every other connection is trusted.
    hba = data / "pg_hba.conf"
    hba.write_text(f"host all {PG_PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
                   + hba.read_text())
    log = root / "pg.log"
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                    "-o", f"-c listen_addresses=127.0.0.1 -c port={port} "
                    f"-c unix_socket_directories={root} -c fsync=off", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql://baimo@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


PG_PASSWORD_ROLE = "baimo_pw"


@pytest.fixture
def pg_password_db(pg_url: str) -> str:
    """A fresh database owned by a role that must log in with its password; its URL carries
    the password (a sentinel that tests look for where it must not be)."""
    import psycopg

    name = f"p{int(time.time() * 1e6)}"
    password = f"pw-sentinel-{name}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        # Made by an earlier test of this session, perhaps: its password changes below.
        with contextlib.suppress(psycopg.errors.DuplicateObject):
            conn.execute(f"CREATE ROLE {PG_PASSWORD_ROLE} LOGIN")
        conn.execute(f"ALTER ROLE {PG_PASSWORD_ROLE} PASSWORD '{password}'")
        conn.execute(f"CREATE DATABASE {name} OWNER {PG_PASSWORD_ROLE}")
    host = pg_url.split("@", 1)[1].rsplit("/", 1)[0]
    return f"postgresql://{PG_PASSWORD_ROLE}:{password}@{host}/{name}"


@pytest.fixture
def pg_db(pg_url: str) -> str:
    """A fresh database on the session's PostgreSQL server."""
    import psycopg

    name = f"t{int(time.time() * 1e6)}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, baimo_home: Path) -> str:
    """Run the test against SQLite and against a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{baimo_home / 'test.db'}"
    return str(request.getfixturevalue("pg_db"))
