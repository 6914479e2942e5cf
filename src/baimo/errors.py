"""The error taxonomy.

``BaimoError`` is a mistake the user can fix (a bad config, a malformed dataset, a missing
dependency). The CLI prints its message without a traceback. Everything else is a bug or a
run failure and is recorded as data (a failed sample row), never raised past the runner.

    BaimoError
    ├── ConfigError        a config/methodology/profile file is wrong (names file, line, field)
    ├── DatasetError       a dataset row is wrong (names file, line, field)
    ├── MissingDependency  an optional package is absent (names the pip install to run)
    └── NotFound           a run, model, suite or record named by the user does not exist
"""

from __future__ import annotations


class BaimoError(Exception):
    """A user-facing error: the message says what is wrong, where, and what to do."""


class ConfigError(BaimoError):
    """A configuration file (models, task, methodology, profile) is invalid."""


class DatasetError(BaimoError):
    """A dataset row is invalid; nothing is written for a dataset that fails validation."""


class MissingDependency(BaimoError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str | None = None, purpose: str = "") -> None:
        self.package = package
        install = f"pip install 'baimo[{extra}]'" if extra else f"pip install {package}"
        what = f" for {purpose}" if purpose else ""
        super().__init__(f"The package '{package}' is needed{what}. Install it with: {install}")


class NotFound(BaimoError):
    """Something the user named does not exist."""
