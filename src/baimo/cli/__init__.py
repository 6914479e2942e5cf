"""The ``baimo`` command line. Thin: parses options, calls the library, prints results.

One console set-up and one error path for every command (``baimo.cli.console``): data printed
to the terminal is cleaned of markup and escape sequences, tables can be printed as JSON, and
user mistakes (``BaimoError``) print one clear message and exit with status 2; they never
show a traceback. Command modules import their heavy dependencies inside the commands, so
``baimo --help`` starts in a fraction of a second.
"""

from __future__ import annotations

import gc
import sys

__all__ = ["main"]


def main() -> None:
    """The ``baimo`` command. It owns its process's garbage collector (``console.own_gc``):
    off while the command starts, frozen at exit, so that the interpreter's last collection
    does not walk everything start-up imported."""
    gc.disable()  # before the console's own imports
    from baimo.cli.console import own_gc

    own_gc()
    try:
        _main()
    finally:
        gc.freeze()


def _main() -> None:
    from baimo.cli.console import plain
    from baimo.cli.main import app
    from baimo.errors import BaimoError

    try:
        app(standalone_mode=True)
    except BaimoError as exc:  # raised outside a command (option parsing callbacks)
        sys.stderr.write(f"error: {plain(exc)}\n")
        sys.exit(2)
