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
from rich.table import Table

from baimo.cli.console import emit_json, emit_table, err, new_app, out, safe
from baimo.config import load_config
from baimo.errors import BaimoError
from baimo.runs.judging import PairwiseOutcome, judge_run_pairwise
from baimo.stats import wilson
from baimo.store.records import JudgementRecord
from baimo.store.store import Store
from baimo.tabular import write_user_file
from baimo.tasks.judge import (
    AgreementReport,
    Judge,
    run_agreement,
)
from baimo.tasks.judge_prompts import list_prompts

__all__ = ["app"]

app = new_app("LLM-as-judge: pairwise comparisons and agreement with human labels.")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Models file "
                                                "(default: ./baimo.yaml if present).")]
JudgeOpt = Annotated[str, typer.Option("--judge", "-j", help="Judge model name from the "
                                       "models file.")]
LanguageOpt = Annotated[str, typer.Option("--language", help="Prompt language: auto (from "
                                          "each question), zh or en.")]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="Also write the full result as "
                                              "JSON to this file ('-': print only the JSON).")]


def _language(value: str) -> Literal["auto", "en", "zh"]:
    if value not in ("auto", "en", "zh"):
        raise BaimoError(f"--language must be auto, zh or en, not '{value}'")
    return cast(Literal["auto", "en", "zh"], value)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _stdout_json(path: Path | None) -> bool:
    return path is not None and str(path) == "-"


def _write_json(path: Path | None, data: dict[str, Any]) -> None:
    if _stdout_json(path):
        emit_json(data)
    elif path is not None:
        write_user_file(path, json.dumps(data, ensure_ascii=False, indent=2, default=str),
                        "JSON result")
        out().print(f"json: {safe(path.resolve())}", highlight=False)


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

    res = asyncio.run(go())
    s = res.summary()
    unjudged = _nothing_judged(store, res)
    if _stdout_json(json_out):
        _write_json(json_out, {**s, "rows": res.rows})
        _exit_if_unjudged(unjudged)
        return
    con = out()
    t = Table(title=safe(f"judge {res.judge} · run {res.run_id}" + (f" · task {task}" if task
                                                                     else "")))
    t.add_column("outcome")
    t.add_column("pairs", justify="right")
    t.add_row(f"{safe(model_a)} wins", str(res.wins))
    t.add_row("ties (incl. orders disagreeing)", str(res.ties))
    t.add_row(f"{safe(model_b)} wins", str(res.losses))
    t.add_row("judge parse errors (excluded)", str(res.parse_errors))
    t.add_row("judge errors (excluded)", str(res.errors))
    con.print(t)
    if res.judged:
        con.print(safe(f"win rate of {model_a} vs {model_b} (a tie counts half): "
                       f"{_pct(s['win_rate'])}, 95% CI {_pct(s['ci_low'])}–{_pct(s['ci_high'])}"
                       f" (Wilson) over {res.judged} judged of {res.shared} shared samples"),
                  highlight=False)
    else:
        con.print(f"no pair could be judged ({res.shared} shared samples)")
    prompts = ", ".join(f"{p['prompt_id']} v{p['prompt_version']} {h[:12]}"
                        for h, p in res.prompts.items())
    con.print(safe(f"prompts: {prompts or '—'} · reused stored verdicts: {res.reused} · "
                   f"judge cost: {res.cost:.4f} {res.currency}"), highlight=False)
    _write_json(json_out, {**s, "rows": res.rows})
    if res.errors:
        err().print(f"[yellow]{res.errors} pair(s) could not be judged; run the command again "
                    "to retry them[/]")
    _exit_if_unjudged(unjudged)


def _nothing_judged(store: Store, res: PairwiseOutcome) -> str | None:
    """Why no pair could be judged, in words; None when at least one was."""
    if res.judged:
        return None
    if not res.shared:
        return (f"no sample of run {res.run_id} has an answer from both {res.model_a} and "
                f"{res.model_b} (samples on which either model failed are left out)")
    first = next((str(r["reason"]) for r in res.rows if r.get("reason")), None)
    if first is None:  # the judge's own words, from the verdicts just stored
        first = next((_why_unjudged(j) for j in reversed(store.judgements.for_run(res.run_id))
                      if (j.model_a, j.model_b, j.judge_model) == (res.model_a, res.model_b,
                                                                    res.judge)
                      and j.status != "ok"), None)
    return (f"none of the {res.shared} shared samples could be judged: {res.errors} judge "
            f"error(s), {res.parse_errors} verdict(s) that could not be read"
            + (f"; the latest: {first}" if first else ""))


def _why_unjudged(j: JudgementRecord) -> str:
    """A stored verdict's error or, for one that could not be read, why."""
    details = j.details or {}
    if j.status == "error":
        return str(details.get("error") or "the judge was not heard")
    whys = [str(o["parse_error"]) for o in details.get("orders") or []
            if isinstance(o, dict) and o.get("parse_error")]
    return "; ".join(whys) or "the verdict could not be read"


def _exit_if_unjudged(reason: str | None) -> None:
    """Exit 1 when no pair was judged: there is no win rate, and a script must not read
    success (as ``baimo eval`` exits 1 when no model answered)."""
    if reason is not None:
        err().print(f"[red]no pair could be judged:[/] {safe(reason)}", highlight=False,
                    soft_wrap=True)
        raise typer.Exit(1)


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
    rubric: Annotated[str | None, typer.Option(help="Single mode: grading criteria; 'eq' "
                                               "for the EQ suite's rubric.")] = None,
    json_out: JsonOpt = None,
) -> None:
    """Run the judge on human-labelled items; report agreement and Cohen's kappa."""
    if rubric == "eq":
        from baimo.tasks.suites.eq import EQ_RUBRIC

        rubric = EQ_RUBRIC
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
                                       threshold=threshold, rubric=rubric)

    rep = asyncio.run(go())
    if _stdout_json(json_out):
        _write_json(json_out, rep.as_dict())
        _exit_if_nothing_compared(rep)
        _warn_if_few(rep)
        return
    con = out()
    t = Table(title=safe(f"judge {judge} vs human labels · {file.name} ({rep.mode})"))
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("labelled items", str(rep.total))
    t.add_row("compared", str(rep.compared))
    t.add_row("judge parse errors (excluded)", str(rep.parse_errors))
    t.add_row("judge errors (excluded)", str(rep.errors))
    t.add_row("agreement" + (" (exact rating)" if rep.mode == "single" else ""),
              _pct(rep.agreement) + _interval(rep))
    t.add_row("Cohen's kappa", _num(rep.kappa))
    if rep.mode == "single":
        t.add_row("within one point", _pct(rep.within_one))
        t.add_row("quadratic-weighted kappa", _num(rep.weighted_kappa))
        t.add_row("mean |judge − human|", _num(rep.mean_abs_diff))
        if rep.threshold is not None:
            t.add_row(f"pass/fail agreement (≥ {rep.threshold})", _pct(rep.pass_agreement))
            t.add_row("pass/fail kappa", _num(rep.pass_kappa))
    con.print(t)
    cols = sorted({j for row in rep.confusion.values() for j in row},
                  key=lambda x: (len(x), x))
    if rep.confusion:
        emit_table(["human", *cols], [[h, *(row.get(c, 0) for c in cols)]
                                      for h, row in rep.confusion.items()],
                   title="confusion (rows: human, columns: judge)")
    prompts = ", ".join(f"{p['prompt_id']} v{p['prompt_version']} {h[:12]}"
                        for h, p in rep.prompts.items())
    con.print(safe(f"prompts: {prompts or '—'} · judge cost: {rep.cost:.4f} "
                   f"{rep.judge.get('currency', '')}"), highlight=False)
    _write_json(json_out, rep.as_dict())
    if rep.compared:
        con.print(safe(_compared_line(rep)), highlight=False)
    _exit_if_nothing_compared(rep)
    _warn_if_few(rep)


MIN_AGREEMENT_ITEMS = 30
"""Compared items below which the agreement is flagged as too uncertain to act on: with 30
items, an observed 80% has a 95% Wilson interval of about 63–91%, already as wide as the gap
between a judge worth trusting and one that is not; with 10 it is 49–94%."""


def _interval(rep: AgreementReport) -> str:
    """`` (95% CI lo–hi%)`` of the agreement, Wilson, or nothing when there is none."""
    if rep.agreement is None or not rep.compared:
        return ""
    lo, hi = wilson(rep.agreement * rep.compared, rep.compared)
    return f" (95% CI {100 * lo:.0f}–{100 * hi:.0f}%)"


def _compared_line(rep: AgreementReport) -> str:
    """How many items the figures rest on, and what was left out: said in words, because a
    percentage alone reads the same over 3 items as over 300."""
    left = rep.total - rep.compared
    out = (f"compared {rep.compared} of {rep.total} labelled items (the judge's verdict "
           f"against the human label)")
    if left:
        out += (f"; {left} left out: {rep.parse_errors} verdict(s) that could not be read, "
                f"{rep.errors} the judge was not heard on")
    if rep.kappa is None:
        out += ("; Cohen's kappa is undefined: the compared items use a single label, so "
                "chance agreement is total")
    return out


def _exit_if_nothing_compared(rep: AgreementReport) -> None:
    """No item compared is no measurement: exit 1 with the judge's first error, so a script
    does not read a table of dashes as success."""
    if rep.compared:
        return
    first = next((it["error"] for it in rep.items if it.get("error")), None)
    why = (f"the judge could not be asked ({rep.errors} errors; first: {first})" if first
           else f"no verdict could be read ({rep.parse_errors} replies without a valid verdict)")
    err().print(f"[red]nothing was compared:[/] {safe(why)}; 0 of {rep.total} labelled items "
                "have both a human label and a judge verdict", highlight=False)
    raise typer.Exit(1)


def _warn_if_few(rep: AgreementReport) -> None:
    """Warn (standard error, so also beside ``--json -``) when the agreement rests on fewer
    than ``MIN_AGREEMENT_ITEMS`` items: the number is shown, but must not be trusted."""
    if 0 < rep.compared < MIN_AGREEMENT_ITEMS:
        err().print(safe(
            f"warning: only {rep.compared} item(s) were compared; an agreement of "
            f"{_pct(rep.agreement)}{_interval(rep)} over so few says little about the judge. "
            f"Label at least {MIN_AGREEMENT_ITEMS} items."), highlight=False, soft_wrap=True)


@app.command("prompts")
def prompts_cmd(
    show: Annotated[str | None, typer.Option(help="Print the full text of this prompt id.")
                    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")
                       ] = False,
) -> None:
    """The versioned judge prompts and their hashes."""
    prompts = list_prompts()
    if show is not None:
        for p in prompts:
            if p.id == show:
                if as_json:
                    emit_json({"id": p.id, "version": p.version, "mode": p.mode,
                               "language": p.language, "sha256": p.hash, "system": p.system,
                               "template": p.template})
                    return
                con = out()
                con.print(f"[bold]{safe(p.id)}[/] v{safe(p.version)} sha256 {p.hash}",
                          highlight=False)
                con.print("[bold]system[/]\n" + safe(p.system), highlight=False)
                con.print("user template\n" + safe(p.template), highlight=False)
                return
        raise BaimoError(f"no judge prompt '{show}'. Known: "
                         + ", ".join(p.id for p in prompts))
    emit_table(["id", "version", "mode", "language", "sha256"],
               [[p.id, p.version, p.mode, p.language, p.hash] for p in prompts],
               as_json=as_json)
