"""Where baimo keeps its files. Dependency-free, so any layer can ask without importing
the database (the landscape catalog reads the user's records on every command)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def baimo_home() -> Path:
    """Per-user data directory: ``$BAIMO_HOME``, else the platform's user data directory."""
    env = os.environ.get("BAIMO_HOME")
    home = Path(env).expanduser() if env else Path(
        platformdirs.user_data_dir("baimo", appauthor=False))
    home.mkdir(parents=True, exist_ok=True)
    return home
