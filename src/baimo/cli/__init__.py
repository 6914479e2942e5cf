"""The ``baimo`` command line. Thin: parses options, calls the library, prints results.

User mistakes (``BaimoError``) print one clear message and exit with status 2; they never
show a traceback.
"""

from __future__ import annotations

import sys

from baimo.errors import BaimoError

__all__ = ["main"]


def main() -> None:
    from baimo.cli.main import app

    try:
        app(standalone_mode=True)
    except BaimoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
