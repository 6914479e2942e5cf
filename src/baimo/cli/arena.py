"""``baimo arena``: ratings of blind battles, judge battles, and battles in and out.

Thin on purpose: fitting, calibration, sampling and interchange live in ``baimo.arena``; this
module parses options and prints. Heavy imports (numpy, the store, the judge) happen inside
the commands, so ``baimo --help`` does not pay for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from baimo.cli.console import Column, emit_json, emit_table, err, new_app, out, safe
from baimo.tabular import write_user_file

if TYPE_CHECKING:
    from baimo.arena.boards import ArenaBoards
    from baimo.arena.ratings import Leaderboard

__all__ = ["app"]

app = new_app("The arena: blind battles, human and judge votes, Bradley–Terry ratings.")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Models file "
                                                "(default: ./baimo.yaml if present).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
_ROLES = ("human", "judge", "both")


def _elo(x: float | None) -> str:
    return "—" if x is None else f"{x:.0f}"


def _print_board(board: Leaderboard, title: str) -> None:
    styled = board.method["style_control"]
    cols = [Column("rank", right=True), Column("model"),
            Column("rating" + (" (style-controlled)" if styled else ""), "rating", right=True),
            Column(f"{board.method['level']} interval", "interval", right=True)]
    if styled:
        cols += [Column("raw rating", right=True), Column("raw interval", right=True),
                 Column("raw rank", right=True)]
    cols += [Column("battles", right=True), Column("W/T/L", "wtl", right=True),
             Column("note")]
    rows = []
    for r in board.ratings:
        row: list[Any] = [r.rank, r.model, _elo(r.rating),
                          f"{_elo(r.lower)}–{_elo(r.upper)}"]
        if styled:
            row += [_elo(r.raw_rating), f"{_elo(r.raw_lower)}–{_elo(r.raw_upper)}",
                    r.raw_rank]
        row += [r.battles, f"{r.wins}/{r.ties}/{r.losses}", r.note]
        rows.append(row)
    emit_table(cols, rows, title=title)
    m = board.method
    out().print(safe(f"  {m['model']}; {m['scale']}; anchor {m['anchor']} = "
                     f"{m['anchor_rating']:g}; intervals: {m['ci_detail']}; pair weights: "
                     f"{m['reweight']}; rank = {m['rank']}"), highlight=False)
    if board.style:
        emit_table([Column("style feature"), Column("Elo per s.d.", right=True),
                    Column("interval", right=True), Column("log-odds per raw unit",
                                                           right=True)],
                   [[s.feature, f"{s.elo:+.1f}", f"{s.lower:+.1f}…{s.upper:+.1f}",
                     f"{s.logit_raw:+.3f}"] for s in board.style],
                   title="style coefficients (feature = (a − b)/(a + b + 1), ÷ s.d.)")
    for w in board.warnings:
        err().print(f"[yellow]warning:[/] {safe(w)}")


def _print_boards(boards: ArenaBoards) -> None:
    for role, rb in boards.roles.items():
        label = {"human": "human votes", "judge": "judge votes",
                 "both": "human and judge votes"}[role]
        if rb.board is None:
            out().print(safe(f"{label}: {rb.note}"), highlight=False)
            continue
        _print_board(rb.board, f"arena · {label} · {rb.votes} votes")
        if role == "judge":
            for cal in boards.calibration:
                agree = "—" if cal.agreement is None else (
                    f"{100 * cal.agreement:.1f}% ({100 * (cal.agreement_low or 0):.0f}–"
                    f"{100 * (cal.agreement_high or 0):.0f}%)")
                kappa = "—" if cal.kappa is None else f"{cal.kappa:.3f}"
                bias = "—" if cal.position_bias is None else \
                    f"{100 * cal.position_bias:.1f}% of {cal.position_bias_n}"
                out().print(safe(
                    f"  calibration of {cal.judge}: agreement with humans {agree} on "
                    f"{cal.pairs} doubly-voted battles · Cohen's κ {kappa} · position bias "
                    f"(verdict flips with order) {bias} · parse errors {cal.parse_errors} "
                    f"(excluded) · errors {cal.errors}"), highlight=False)
                if cal.pairs == 0:
                    err().print("[yellow]  unchecked judge: no battle has both a human vote "
                                "and this judge's verdict; do not trust its board yet[/]")
        for cat, board in rb.categories.items():
            _print_board(board, f"category {cat} · {label}")
    ex = boards.excluded
    if any(ex.values()):
        out().print(f"left out of every board: {ex['judge-parse-error']} judge parse "
                    f"error(s), {ex['error']} unheard judge verdict(s)", highlight=False)


@app.command("ratings")
def ratings_cmd(
    style_control: Annotated[bool, typer.Option(
        "--style-control/--no-style-control",
        help="Headline ratings controlled for length and markdown (raw shown beside).")] = True,
    ci: Annotated[str, typer.Option(help="Intervals: bootstrap (percentile, seeded) or "
                                    "sandwich (robust, CLT).")] = "bootstrap",
    rounds: Annotated[int, typer.Option(help="Bootstrap rounds (at least 100).")] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    role: Annotated[str, typer.Option(help="human, judge, both, or all (three boards).")
                    ] = "all",
    anchor: Annotated[str | None, typer.Option(help="Model held at --anchor-rating "
                                               "(default: the most-battled).")] = None,
    anchor_rating: Annotated[float, typer.Option(help="The anchor's rating.")] = 1000.0,
    reweight: Annotated[bool, typer.Option(
        "--reweight/--no-reweight", help="Inverse pair-frequency weights.")] = True,
    categories: Annotated[bool, typer.Option(
        "--categories/--no-categories", help="Also a board per prompt category.")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Bradley–Terry leaderboards of the stored votes, with intervals and ranks."""
    from baimo.arena.boards import build_boards
    from baimo.errors import BaimoError
    from baimo.store.store import Store

    if ci not in ("bootstrap", "sandwich"):
        raise BaimoError(f"--ci must be bootstrap or sandwich, not '{ci}'")
    if role not in (*_ROLES, "all"):
        raise BaimoError(f"--role must be human, judge, both or all, not '{role}'")
    roles: tuple[Any, ...] = _ROLES if role == "all" else (role,)
    boards = build_boards(Store(), roles=roles, style_control=style_control, ci=ci,  # type: ignore[arg-type]
                          rounds=rounds, seed=seed, anchor=anchor, anchor_rating=anchor_rating,
                          reweight=reweight, categories=categories)
    if as_json:
        emit_json(boards.as_dict())
        return
    _print_boards(boards)


@app.command("next")
def next_cmd(
    models: Annotated[list[str] | None, typer.Option("--models", "-m", help="Candidate "
                                                     "models (default: all battled).")] = None,
    role: Annotated[str, typer.Option(help="Whose votes define the uncertainty.")] = "both",
    battles: Annotated[int, typer.Option(min=1, help="Expected shrinkage after this many "
                                         "more battles of a pair.")] = 1,
    top: Annotated[int, typer.Option(min=1, help="Pairs to show.")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Which pair to battle next: the largest expected shrinkage of the intervals."""
    from baimo.arena.battles import comparisons
    from baimo.arena.sampling import rank_pairs
    from baimo.errors import BaimoError
    from baimo.store.store import Store

    if role not in _ROLES:
        raise BaimoError(f"--role must be human, judge or both, not '{role}'")
    store = Store()
    votes = store.battles.votes()
    comps = comparisons(store.battles.all({v.battle_id for v in votes}), votes,
                        role)  # type: ignore[arg-type]
    names = models or sorted({c.model_a for c in comps} | {c.model_b for c in comps})
    ranked = rank_pairs(comps, names, battles=battles)[:top]
    cols = [Column("model a"), Column("model b"), Column("p(a wins)", right=True),
            Column("mean interval now", "width_now", right=True),
            Column(f"after {battles} battle(s)", "width_after", right=True),
            Column("shrinkage (Elo)", "shrinkage", right=True)]
    rows = [[p.model_a, p.model_b, round(p.p_a, 3), round(p.width_now, 2),
             round(p.width_after, 2), round(p.shrinkage, 3)] for p in ranked]
    emit_table(cols, rows, as_json=as_json,
               title="next battles (mean 95% interval width of all rating differences)")


@app.command("export")
def export_cmd(
    file: Annotated[Path, typer.Argument(help="Output JSON file ('-': standard output).")],
    role: Annotated[str, typer.Option(help="human, judge or both.")] = "both",
) -> None:
    """Write the counted votes as FastChat/LMArena battle JSON (one object per vote)."""
    import json

    from baimo.arena.interchange import export_battles
    from baimo.errors import BaimoError
    from baimo.store.store import Store

    if role not in _ROLES:
        raise BaimoError(f"--role must be human, judge or both, not '{role}'")
    rows = export_battles(Store(), role)
    if str(file) == "-":
        emit_json(rows)
        return
    write_user_file(file, json.dumps(rows, ensure_ascii=False, indent=1), "battles file")
    out().print(safe(f"{len(rows)} battle vote(s) written to {file.resolve()}"),
                highlight=False)


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="FastChat/LMArena battles: a JSON list or "
                                         "JSON Lines.")],
    as_json: JsonFlag = False,
) -> None:
    """Store battles collected elsewhere (validated first; re-importing skips duplicates)."""
    from baimo.arena.interchange import import_battles
    from baimo.store.store import Store

    rep = import_battles(Store(), file)
    if as_json:
        emit_json(rep.__dict__)
        return
    out().print(safe(f"{rep.rows} row(s): {rep.battles} new battle(s), {rep.votes} vote(s); "
                     f"skipped {rep.skipped_duplicates} duplicate(s) and "
                     f"{rep.skipped_same_model} self-battle(s)"), highlight=False)


@app.command("judge")
def judge_cmd(
    models: Annotated[list[str], typer.Option("--models", "-m", help="Models to battle "
                                              "(at least two; repeat or comma-separate).")],
    judge: Annotated[str, typer.Option("--judge", "-j", help="Judge model name.")],
    suite: Annotated[list[str] | None, typer.Option("--suite", "-s", help="Built-in "
                                                    "suite(s) for prompts.")] = None,
    task: Annotated[list[Path] | None, typer.Option("--task", "-t", help="Task file(s) for "
                                                    "prompts.")] = None,
    config: ConfigOpt = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most N prompts per task.")
                     ] = None,
    pairing: Annotated[str, typer.Option(help="all (every pair on every prompt) or active "
                                         "(most informative pair; needs --battles).")
                       ] = "all",
    battles: Annotated[int | None, typer.Option(min=1, help="At most N battles.")] = None,
    seed: Annotated[int, typer.Option(help="Order of prompts and sides.")] = 0,
    concurrency: Annotated[int, typer.Option(min=1, help="Battles in flight.")] = 8,
    as_json: JsonFlag = False,
) -> None:
    """Battle models on suite/task prompts; a judge rules in both orders (disagreement = tie)."""
    import asyncio

    from baimo.arena.judge import JudgeRunSummary, judge_battles
    from baimo.config import load_config
    from baimo.errors import BaimoError
    from baimo.store.store import Store
    from baimo.tasks.judge import Judge
    from baimo.tasks.registry import SuiteOptions, build_suite
    from baimo.tasks.task import load_task

    if pairing not in ("all", "active"):
        raise BaimoError(f"--pairing must be all or active, not '{pairing}'")
    cfg = load_config(config)
    cfgs = [cfg.get(n.strip()) for m in models for n in m.split(",") if n.strip()]
    judge_cfg = cfg.get(judge)
    tasks = [load_task(p, cfg).limited(limit) for p in task or []]
    for name in suite or []:
        tasks.extend(build_suite(name, SuiteOptions(limit=limit, seed=seed)))
    if not tasks:
        raise BaimoError("give the prompts with --suite NAME or --task FILE")
    store = Store()

    async def go() -> JudgeRunSummary:
        async with Judge(judge_cfg) as j:
            return await judge_battles(store, cfgs, tasks, j, pairing=pairing,  # type: ignore[arg-type]
                                       battles=battles, seed=seed, concurrency=concurrency,
                                       suite=",".join(suite) if suite else None)

    summary = asyncio.run(go())
    # Nothing new to judge (all skipped) is fine; battles planned and none judged is not.
    nothing = summary.planned > 0 and not summary.verdicts.get("ok", 0)
    if as_json:
        emit_json(summary.as_dict())
        if nothing:
            raise typer.Exit(1)
        return
    v = summary.verdicts
    out().print(safe(
        f"judge {summary.judge}: {summary.battles} new battle(s) of {summary.planned} planned, "
        f"{summary.skipped} already judged (skipped), {summary.failed_battles} failed · "
        f"verdicts ok {v.get('ok', 0)}, parse errors {v.get('judge-parse-error', 0)} "
        f"(recorded, left out of ratings), errors {v.get('error', 0)} · orders disagreed "
        f"(→ tie) {summary.orders_disagree} · model cost {summary.cost:.4f} · judge cost "
        f"{summary.judge_cost:.4f}"), highlight=False)
    for f in summary.failures[:20]:
        err().print(safe(f"  {f}"))
    if nothing:
        err().print("[red]no verdict was obtained[/] (the reasons are above); the ratings are "
                    "unchanged", highlight=False)
        raise typer.Exit(1)
    out().print("ratings: baimo arena ratings --role judge", highlight=False)


@app.command("vote")
def vote_cmd(
    battle: Annotated[str, typer.Argument(help="Battle id (see: baimo arena battles).")],
    winner: Annotated[str, typer.Argument(help="model_a, model_b, tie or bothbad.")],
    voter: Annotated[str | None, typer.Option(help="Who votes (default: $USER).")] = None,
) -> None:
    """Record a human vote on a stored battle, such as a labelled set to calibrate a judge."""
    import getpass

    from baimo.arena.battles import vote
    from baimo.errors import BaimoError
    from baimo.store.store import Store

    if voter is not None and not voter.strip():
        # Each voter's vote counts once: an empty name must not become someone else's.
        raise BaimoError("--voter is empty: give the name of the person voting, or leave "
                         "--voter out to vote as the logged-in user")
    who = voter.strip() if voter is not None else getpass.getuser()
    v = vote(Store(), battle, who, "tie (bothbad)" if winner == "bothbad" else winner)
    out().print(safe(f"vote by {v.voter} on {v.battle_id}: {v.winner}"), highlight=False)


@app.command("battles")
def battles_cmd(
    limit: Annotated[int, typer.Option(min=1, help="Most recent N.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Recent battles: models, origin, status, votes."""
    from baimo.store.store import Store

    store = Store()
    recent = store.battles.recent(limit)
    votes = store.battles.votes(battle_ids=[b.id for b in recent])
    per: dict[str, list[str]] = {}
    for v in votes:
        per.setdefault(v.battle_id, []).append(f"{v.role}:{v.winner or v.status}")
    cols = [Column("battle"), Column("origin"), Column("model a"), Column("model b"),
            Column("turns", right=True), Column("status"), Column("votes"),
            Column("category")]
    emit_table(cols, [[b.id, b.origin, b.model_a, b.model_b, b.turns, b.status,
                       ", ".join(per.get(b.id, [])) or None, b.category] for b in recent],
               as_json=as_json, title="battles")
