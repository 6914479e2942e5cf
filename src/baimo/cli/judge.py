"""``baimo judge``: compare two models of a run with a judge, and check a judge against humans.

Thin on purpose: the work (both-order judging, strict verdicts, storage, agreement and
kappa) is done by ``baimo.tasks.judge``; this module parses options and prints the results.
Parse errors and judge errors are always shown on their own lines, apart from wins and
losses, because counting them as either is how judges lose trust.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer
from rich.console import Console
from rich.table import Table

from baimo.config import load_config
from baimo.errors import BaimoError
from baimo.store.store import Store
from baimo.tasks.judge import (
    AgreementReport,
    Judge,
    PairwiseOutcome,
    judge_run_pairwise,
    run_agreement,
)
from baimo.tasks.judge_prompts import list_prompts

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="LLM-as-judge: pairwise comparisons and agreement with human labels.")

console = Console()
if not console.is_terminal:
    console = Console(width=200)
err = Console(stderr=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Models file "
                                                "(default: ./baimo.yaml if present).")]
JudgeOpt = Annotated[str, typer.Option("--judge", "-j", help="Judge model name from the "
                                       "models file.")]
LanguageOpt = Annotated[str, typer.Option("--language", help="Prompt language: auto (from "
                                          "each question), zh or en.")]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="Also write the full result as "
                                              "JSON to this file.")]


def _language(value: str) -> Literal["auto", "en", "zh"]:
    if value not in ("auto", "en", "zh"):
        raise BaimoError(f"--language must be auto, zh or en, not '{value}'")
    return cast(Literal["auto", "en", "zh"], value)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _write_json(path: Path | None, data: dict[str, Any]) -> None:
    if path is not None:
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str),
                        encoding="utf-8")
        console.print(f"json: {path.resolve()}")


@app.command("pairwise")
def pairwise_cmd(
    run: Annotated[str, typer.Argument(help="Run id, unique prefix or 'latest'.")],
    model_a: Annotated[str, typer.Option("--model-a", help="The model whose win rate is "
                                         "reported.")],
    model_b: Annotated[str, typer.Option("--model-b", help="Its opponent.")],
    judge: JudgeOpt,
    config: ConfigOpt = None,
    task: Annotated[str | None, typer.Option("--task", "-t", help="Only this task of the "
                                             "run.")] = None,
    language: LanguageOpt = "auto",
    reference: Annotated[bool, typer.Option(help="Show the judge the task's reference "
                                            "answers when the task file is unchanged.")
                         ] = True,
    json_out: JsonOpt = None,
) -> None:
    """Judge every sample both models answered in RUN, in both orders; store the verdicts."""
    cfg = load_config(config)
    judge_cfg = cfg.get(judge)
    lang = _language(language)
    store = Store()

    async def go() -> PairwiseOutcome:
        async with Judge(judge_cfg) as j:
            return await judge_run_pairwise(store, run, model_a, model_b, j, task=task,
                                            language=lang, use_reference=reference)

    out = asyncio.run(go())
    s = out.summary()
    t = Table(title=f"judge {out.judge} · run {out.run_id}"
              + (f" · task {task}" if task else ""))
    t.add_column("outcome")
    t.add_column("pairs", justify="right")
    t.add_row(f"{model_a} wins", str(out.wins))
    t.add_row("ties (incl. orders disagreeing)", str(out.ties))
    t.add_row(f"{model_b} wins", str(out.losses))
    t.add_row("judge parse errors (excluded)", str(out.parse_errors))
    t.add_row("judge errors (excluded)", str(out.errors))
    console.print(t)
    if out.judged:
        console.print(f"win rate of {model_a} vs {model_b} (a tie counts half): "
                      f"{_pct(s['win_rate'])}, 95% CI {_pct(s['ci_low'])}–{_pct(s['ci_high'])}"
                      f" (Wilson) over {out.judged} judged of {out.shared} shared samples")
    else:
        console.print(f"no pair could be judged ({out.shared} shared samples)")
    prompts = ", ".join(f"{p['prompt_id']} v{p['prompt_version']} {h[:12]}"
                        for h, p in out.prompts.items())
    console.print(f"prompts: {prompts or '—'} · reused stored verdicts: {out.reused} · "
                  f"judge cost: {out.cost:.4f} {out.currency}")
    _write_json(json_out, {**s, "rows": out.rows})
    if out.errors:
        err.print(f"[yellow]{out.errors} pair(s) could not be judged; run the command again "
                  "to retry them[/]")


@app.command("agreement")
def agreement_cmd(
    file: Annotated[Path, typer.Argument(help="Labelled JSONL: id, question, answer_a, "
                                         "answer_b, human (A/B/tie); or id, question, "
                                         "answer, human_rating (1-10).")],
    judge: JudgeOpt,
    config: ConfigOpt = None,
    mode: Annotated[str, typer.Option(help="auto (from the file), pairwise or single.")
                    ] = "auto",
    language: LanguageOpt = "auto",
    threshold: Annotated[int | None, typer.Option(help="Single mode: also compare "
                                                  "pass/fail at this rating.")] = None,
    json_out: JsonOpt = None,
) -> None:
    """Run the judge on human-labelled items; report agreement and Cohen's kappa."""
    if mode not in ("auto", "pairwise", "single"):
        raise BaimoError(f"--mode must be auto, pairwise or single, not '{mode}'")
    if threshold is not None and not 1 <= threshold <= 10:
        raise BaimoError(f"--threshold must be a rating from 1 to 10, not {threshold}")
    cfg = load_config(config)
    judge_cfg = cfg.get(judge)
    lang = _language(language)

    async def go() -> AgreementReport:
        async with Judge(judge_cfg) as j:
            return await run_agreement(file, j, mode=cast(Any, mode), language=lang,
                                       threshold=threshold)

    rep = asyncio.run(go())
    t = Table(title=f"judge {judge} vs human labels · {file.name} ({rep.mode})")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("labelled items", str(rep.total))
    t.add_row("compared", str(rep.compared))
    t.add_row("judge parse errors (excluded)", str(rep.parse_errors))
    t.add_row("judge errors (excluded)", str(rep.errors))
    t.add_row("agreement" + (" (exact rating)" if rep.mode == "single" else ""),
              _pct(rep.agreement))
    t.add_row("Cohen's kappa", _num(rep.kappa))
    if rep.mode == "single":
        t.add_row("within one point", _pct(rep.within_one))
        t.add_row("quadratic-weighted kappa", _num(rep.weighted_kappa))
        t.add_row("mean |judge − human|", _num(rep.mean_abs_diff))
        if rep.threshold is not None:
            t.add_row(f"pass/fail agreement (≥ {rep.threshold})", _pct(rep.pass_agreement))
            t.add_row("pass/fail kappa", _num(rep.pass_kappa))
    console.print(t)
    conf = Table(title="confusion (rows: human, columns: judge)")
    cols = sorted({j for row in rep.confusion.values() for j in row},
                  key=lambda x: (len(x), x))
    conf.add_column("human")
    for c in cols:
        conf.add_column(c, justify="right")
    for h, row in rep.confusion.items():
        conf.add_row(h, *(str(row.get(c, 0)) for c in cols))
    if rep.confusion:
        console.print(conf)
    prompts = ", ".join(f"{p['prompt_id']} v{p['prompt_version']} {h[:12]}"
                        for h, p in rep.prompts.items())
    console.print(f"prompts: {prompts or '—'} · judge cost: {rep.cost:.4f} "
                  f"{rep.judge.get('currency', '')}")
    _write_json(json_out, rep.as_dict())


@app.command("prompts")
def prompts_cmd(
    show: Annotated[str | None, typer.Option(help="Print the full text of this prompt id.")
                    ] = None,
) -> None:
    """The versioned judge prompts and their hashes."""
    prompts = list_prompts()
    if show is not None:
        for p in prompts:
            if p.id == show:
                console.print(f"[bold]{p.id}[/] v{p.version} sha256 {p.hash}")
                console.print("[bold]system[/]\n" + p.system, markup=False, highlight=False)
                console.print("user template\n" + p.template, markup=False, highlight=False)
                return
        raise BaimoError(f"no judge prompt '{show}'. Known: "
                         + ", ".join(p.id for p in prompts))
    t = Table()
    for col in ("id", "version", "mode", "language", "sha256"):
        t.add_column(col)
    for p in prompts:
        t.add_row(p.id, p.version, p.mode, p.language, p.hash)
    console.print(t)
