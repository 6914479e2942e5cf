"""The one console set-up of the command line: where output goes, how data is made safe to
print, how tables become JSON, and how a user's mistake ends a command.

Why one module: every command prints text that came from somewhere else — model names and
vendors from a models file or a catalog, sample ids from a dataset, error bodies from a
server. Printed through Rich, ``[/]`` in such text is read as markup and crashes the command
(or, stored in the database, breaks ``runs list`` for good); printed raw, ``ESC ] 0 ; … BEL``
retitles the user's terminal and other escape sequences can rewrite what is on screen. So
every piece of data goes through ``safe`` (or ``plain`` where Rich is not involved) before it
reaches the terminal, and commands print data through ``emit_table``, which does that for
every cell and prints the same rows as JSON with ``--json``.

Errors: a ``BaimoError`` raised anywhere in a command is printed once, as ``error: MESSAGE``
on standard error, with the message cleaned by ``plain``, and the command exits with status 2
— never a traceback for a user mistake. Every Typer app of the CLI is made by ``new_app``,
whose command group does this, so the behaviour is the same whether a sub-app runs under
``baimo`` or on its own in a test.

Nothing here imports more than Rich, Typer and ``baimo.errors``: ``baimo --help`` must start
fast.
"""

from __future__ import annotations

import functools
import gc
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from typer._click import Context
from typer.core import TyperGroup

from baimo.errors import BaimoError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

__all__ = [
    "Column",
    "add_row",
    "build_table",
    "emit_json",
    "emit_table",
    "err",
    "error_exit",
    "new_app",
    "out",
    "plain",
    "safe",
]

# ESC-introduced sequences: CSI (ESC [ … final), OSC/DCS/SOS/PM/APC strings (ESC ] … BEL or
# ESC \), and two-byte escapes; the 8-bit C1 forms (0x9b CSI, 0x9d OSC, …) likewise.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: cursor moves, colours, erase
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC...
    r"|\x1b[ -/]*[0-~]"  # any other escape sequence
)
# C0 and C1 controls and DEL, except tab and newline.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: object) -> str:
    """``text`` as a string without terminal escape sequences or control characters.

    Tab and newline are kept; everything else in C0/C1 (including carriage return, which can
    overwrite a line) and every ESC/CSI/OSC sequence is removed. Use this for text printed
    without Rich (``typer.echo``, ``sys.stderr.write``).
    """
    s = str(text)
    return _CONTROLS.sub("", _ESCAPES.sub("", s))


def safe(text: object) -> str:
    """``plain(text)`` with Rich markup escaped: prints exactly as written through Rich."""
    from rich.markup import escape

    return escape(plain(text))


@functools.cache
def out() -> Console:
    """Standard output. Not a terminal (piped, captured): wide, so tables and file paths are
    not folded into 80 columns."""
    from rich.console import Console

    probe = Console()
    return probe if probe.is_terminal else Console(width=200)


@functools.cache
def err() -> Console:
    """Standard error: progress bars, warnings."""
    from rich.console import Console

    return Console(stderr=True)


def error_exit(exc: BaimoError | str) -> NoReturn:
    """Print ``error: MESSAGE`` on standard error and end the command with status 2.

    Plain text, not Rich: a ``file:line`` location must never be wrapped or re-coloured, and
    a message that quotes a server (``[/]``, escape sequences) must print as it was written.
    """
    sys.stderr.write(f"error: {plain(exc)}\n")
    sys.stderr.flush()
    raise typer.Exit(2)


# The garbage collector's policy of a ``baimo`` process (``baimo.cli.main``). Why: starting a
# command imports ~100k objects that live as long as the process. Collecting while they are
# made finds nothing to free, and at exit the interpreter's last collection walks them all
# again: together about a third of a second of every command. So collection is off while a
# command starts and is frozen at exit; ``BaimoGroup.invoke`` turns it on for the command.
# Only the process's owner decides this: a test or a program that calls the Typer app in its
# own process keeps its collector as it was.
_OWN_GC = False

# Collect young objects every 20,000 allocations, not every 700: a loop over thousands of
# samples keeps most of what it makes until the sample is stored, so frequent young
# collections only move it along (``baimo eval`` of 3,000 samples, whole process, 16
# interleaved runs: 2–6% less CPU). Only for commands bound by throughput: a rarer collection
# is a longer pause, and ``baimo perf`` and the monitor measure latencies (``perf`` also keeps
# its own ``perf.client.quiet_gc``).
THROUGHPUT_GC_THRESHOLDS = (20_000, 20, 20)


def own_gc() -> None:
    """Take the collector over for this process (``baimo.cli.main`` only): off until the
    command starts."""
    global _OWN_GC
    _OWN_GC = True
    gc.disable()


def _start_gc() -> None:
    if _OWN_GC and not gc.isenabled():
        # Everything made so far lives until exit; frozen, the first collection after
        # ``enable`` does not walk it all (~30 ms).
        gc.freeze()
        gc.enable()


def setting_up() -> None:
    """A throughput-bound command (``baimo eval``) starts its imports and loads its data: no
    collection until ``settled``."""
    if _OWN_GC:
        gc.disable()


def settled() -> None:
    """The end of a throughput-bound command's set-up: what exists now (imports, config,
    datasets) lives until exit, so later collections skip it (``gc.freeze``), and young
    objects are collected less often (``THROUGHPUT_GC_THRESHOLDS``)."""
    if _OWN_GC:
        gc.freeze()
        gc.set_threshold(*THROUGHPUT_GC_THRESHOLDS)
        gc.enable()


class BaimoGroup(TyperGroup):
    """A command group whose commands end with ``error_exit`` on a ``BaimoError``."""

    def invoke(self, ctx: Context) -> Any:
        _start_gc()
        try:
            return super().invoke(ctx)
        except BaimoError as exc:
            error_exit(exc)


def new_app(help: str, *, no_args_is_help: bool = True, cls: type[BaimoGroup] = BaimoGroup,
            **kw: Any) -> typer.Typer:
    """A Typer app with baimo's defaults: the error path above, no shell-completion options,
    no pretty tracebacks (a bug should show a plain traceback; a user mistake shows none),
    and click's plain help text: Typer's Rich help costs ~0.1 s of imports on every
    ``--help``, a third of the start-up budget."""
    return typer.Typer(help=help, no_args_is_help=no_args_is_help, add_completion=False,
                       pretty_exceptions_enable=False, rich_markup_mode=None, cls=cls, **kw)


class Column:
    """A table column: its header, JSON key and alignment."""

    __slots__ = ("header", "justify", "key")

    def __init__(self, header: str, key: str | None = None, *, right: bool = False) -> None:
        self.header = header
        self.key = key or re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")
        self.justify: Any = "right" if right else "left"


Cell = Any  # str, number, None, or rich.text.Text (already styled; its plain text is data)


def _cell_text(value: Cell) -> Text | str:
    from rich.text import Text

    if isinstance(value, Text):
        return Text(plain(value.plain), style=value.style)
    if value is None:
        return "—"
    return safe(value)


def _cell_json(value: Cell) -> Any:
    from rich.text import Text

    if isinstance(value, Text):
        return value.plain
    return value


def build_table(columns: Sequence[Column | str], rows: Iterable[Sequence[Cell]], *,
                title: str | None = None) -> Table:
    """A Rich table whose every cell is made safe (see ``safe``)."""
    from rich.table import Table

    cols = [c if isinstance(c, Column) else Column(c) for c in columns]
    t = Table(title=safe(title) if title else None)
    for c in cols:
        t.add_column(safe(c.header), justify=c.justify)
    for row in rows:
        t.add_row(*(_cell_text(v) for v in row))
    return t


_JSON_C1 = re.compile(r"[\x7f-\x9f]")


def emit_json(data: Any) -> None:
    """Print ``data`` as JSON on standard output (not through Rich: exact bytes, no wrap).

    Data keeps every character (JSON is for programs), but none reaches the terminal raw:
    ``json`` escapes C0 controls itself, and DEL and the C1 controls (U+0080-U+009F, among
    them the one-character CSI and OSC) are escaped here as ``\\u00XX``.
    """
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(_JSON_C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
    sys.stdout.flush()


def emit_table(columns: Sequence[Column | str], rows: Iterable[Sequence[Cell]], *,
               title: str | None = None, as_json: bool = False,
               extra: Mapping[str, Any] | None = None) -> None:
    """Print rows as a safe Rich table, or with ``as_json`` as a JSON list of objects keyed by
    the columns' keys (``extra`` adds top-level fields: then the output is an object with the
    list under ``rows``)."""
    cols = [c if isinstance(c, Column) else Column(c) for c in columns]
    if as_json:
        items = [{c.key: _cell_json(v) for c, v in zip(cols, row, strict=True)} for row in rows]
        emit_json({**extra, "rows": items} if extra else items)
        return
    out().print(build_table(cols, rows, title=title))


def add_row(table: Table, *cells: Cell) -> None:
    """``table.add_row`` with every cell made safe (strings escaped, ``Text`` kept styled)."""
    table.add_row(*(_cell_text(v) for v in cells))
