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
    """The ``baimo`` command.

    Why it touches the garbage collector: starting a command imports ~100k objects that live
    as long as the process (modules, classes, compiled patterns). Collecting while they are
    made finds nothing to free, and at exit the interpreter's last collection walks them all
    again: together about a third of a second of every command, as much as ``baimo eval``
    spends on a thousand samples (``benchmarks/overhead.py``). So collection is off until the
    command starts (``BaimoGroup.invoke`` turns it on), and the heap is frozen at exit.
    Commands that loop for long freeze it once more after their set-up (``console.settled``).
    """
    gc.disable()
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
