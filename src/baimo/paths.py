"""Where baimo keeps its files, and who may read them. Dependency-free, so any layer can ask
without importing the database (the landscape catalog reads the user's records on every command).

The store holds every prompt and answer of every run (possibly private data) and the sandbox
runs untrusted code as other uids on the same machine, so baimo's files are for their owner
only: the data directory is created ``0700`` and the SQLite database with its ``-wal``/``-shm``
sidecars is ``0600``, whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import platformdirs

from baimo.errors import BaimoError

__all__ = ["baimo_home", "private_file", "private_sqlite"]

_SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def baimo_home() -> Path:
    """Per-user data directory: ``$BAIMO_HOME``, else the platform's user data directory.

    Created owner-only (``0700``) when missing. An existing directory keeps its mode: it may be
    one the user chose and shares on purpose; the database file inside is private either way.
    """
    env = os.environ.get("BAIMO_HOME")
    home = Path(env).expanduser() if env else Path(
        platformdirs.user_data_dir("baimo", appauthor=False))
    if not home.is_dir():
        what = "BAIMO_HOME" if env else "baimo's data directory"
        try:
            home.parent.mkdir(parents=True, exist_ok=True)
            try:
                home.mkdir(mode=0o700)
                home.chmod(0o700)  # mkdir's mode is filtered by the umask; chmod is not
            except FileExistsError:
                if not home.is_dir():  # a file in the way; a directory is a concurrent mkdir
                    raise
        except OSError as exc:
            why = "a file is in the way" if isinstance(exc, (FileExistsError, NotADirectoryError)) \
                else (exc.strerror or str(exc))
            raise BaimoError(f"{what} ({home}) cannot be created: {why}. Set BAIMO_HOME to a "
                             "directory you can write to.") from None
    return home


def private_file(path: str | os.PathLike[str]) -> Path:
    """Make ``path`` an owner-only (``0600``) file, creating it empty if it does not exist.

    Created with ``O_CREAT`` and mode ``0600`` in one call, so there is no moment in which the
    file exists with looser permissions.

    Returns:
        The path.
    """
    file = Path(path)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return file


def private_sqlite(path: str | os.PathLike[str]) -> None:
    """Make a SQLite database and its existing sidecar files owner-only (``0600``).

    Call it before SQLite first opens the file: SQLite creates the ``-wal``, ``-shm`` and
    ``-journal`` files with the database file's permissions, so a private database keeps its
    sidecars private too. Sidecars left by an older, looser version are tightened here.
    """
    private_file(path)
    for suffix in _SQLITE_SIDECARS:
        sidecar = Path(f"{os.fspath(path)}{suffix}")
        with contextlib.suppress(FileNotFoundError):
            if sidecar.stat().st_mode & 0o077:
                sidecar.chmod(0o600)
