"""``baimo suites``: what can be run with ``--suite``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from baimo.config import load_config
from baimo.tasks.registry import SUITES, SuiteOptions, get_suite

app = typer.Typer(no_args_is_help=True, help="Built-in suites and presets.")
console = Console(width=None if Console().is_terminal else 200)


ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Models file (its "
                                                "plugins may register suites).")]


@app.command("list")
def list_suites(config: ConfigOpt = None) -> None:
    """Every suite and preset, with its capability dimension."""
    load_config(config)
    t = Table()
    for col in ("suite", "dimension", "description"):
        t.add_column(col)
    for s in SUITES.values():
        dim = s.dimension or ("preset: " + ", ".join(s.members) if s.members else "-")
        t.add_row(s.name, dim, s.description)
    console.print(t)


@app.command("show")
def show_suite(name: str, limit: int | None = None, config: ConfigOpt = None) -> None:
    """The tasks a suite builds: sizes, versions, generation parameters, an example prompt."""
    load_config(config)
    suite = get_suite(name)
    console.print(f"[bold]{suite.name}[/] — {suite.description}")
    for task in suite.build(SuiteOptions(limit=limit)):
        console.print(f"  task [bold]{task.name}[/] v{task.version}: {len(task.samples)} "
                      f"samples · dimension {task.dimension or '-'} · mode {task.mode} · "
                      f"params {task.params}")
        if task.samples:
            first = task.samples[0].messages[-1]["content"]
            console.print("    e.g. " + first[:200].replace("\n", " ⏎ "))
