"""``baimo suites``: what can be run with ``--suite``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from baimo.cli.console import emit_json, emit_table, new_app, out, safe

app = new_app("Built-in suites and presets.")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Models file (its "
                                                "plugins may register suites).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.command("list")
def list_suites(config: ConfigOpt = None, as_json: JsonFlag = False) -> None:
    """Every suite and preset, with its capability dimension."""
    from baimo.config import load_config
    from baimo.tasks.registry import SUITES

    load_config(config)
    if as_json:
        emit_json([{"suite": s.name, "dimension": s.dimension, "members": list(s.members),
                    "description": s.description} for s in SUITES.values()])
        return
    emit_table(["suite", "dimension", "description"],
               [[s.name, s.dimension or ("preset: " + ", ".join(s.members) if s.members
                                         else "-"), s.description] for s in SUITES.values()])


@app.command("show")
def show_suite(name: str, limit: int | None = None, config: ConfigOpt = None,
               as_json: JsonFlag = False) -> None:
    """The tasks a suite builds: sizes, versions, generation parameters, an example prompt."""
    from baimo.config import load_config
    from baimo.tasks.registry import SuiteOptions, build_suite, get_suite

    load_config(config)
    suite = get_suite(name)
    if as_json:
        emit_json({"suite": suite.name, "description": suite.description, "tasks": [
            {"task": t.name, "version": t.version, "samples": len(t.samples),
             "dimension": t.dimension, "mode": t.mode, "params": t.params,
             "example": t.samples[0].messages[-1]["content"] if t.samples else None}
            for t in build_suite(name, SuiteOptions(limit=limit))]})
        return
    con = out()
    con.print(f"[bold]{safe(suite.name)}[/] — {safe(suite.description)}", highlight=False)
    for task in build_suite(name, SuiteOptions(limit=limit)):
        con.print(f"  task [bold]{safe(task.name)}[/] v{safe(task.version)}: "
                  f"{len(task.samples)} samples · dimension {safe(task.dimension or '-')} · "
                  f"mode {safe(task.mode)} · params {safe(task.params)}", highlight=False)
        if task.samples:
            first = task.samples[0].messages[-1]["content"]
            con.print("    e.g. " + safe(first[:200].replace("\n", " ⏎ ")), highlight=False)
