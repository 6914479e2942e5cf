"""Harness overhead: samples/s and CPU ms per sample against a server that answers at once.

Three clients, same mock server (a separate process), same concurrency (32):

- baimo: a full eval — scoring, cost, durable SQLite rows for every sample;
- Inspect (``inspect-ai``) with its OpenAI-compatible provider (``pip install 'baimo[bench]'``);
- a bare asyncio/aiohttp streaming client that only sends, reads and parses: the ceiling.

Two modes:

``--mode library`` (issue 3) calls ``run_eval`` in this process; targets: baimo ≥ 10× Inspect,
≥ 25% of the ceiling, ≤ 2 ms CPU per sample.

``--mode process`` (issue 9, the default) measures what a user gets: every client is a whole
process started from scratch — ``baimo eval`` through its command line, Inspect's ``eval()``
in a fresh interpreter, the bare client in a fresh interpreter — so start-up, imports and
shutdown count. CPU is the child's user + system time (``RUSAGE_CHILDREN``), the server's
excluded. Bare and baimo run ``--rounds`` times (3), interleaved, and their medians are shown;
baimo's modules are compiled to bytecode first, as an installed copy would be. It also times
``baimo --help``. Targets: baimo/bare throughput ≥ 0.5, baimo's CPU at most 0.25 ms per
sample above the bare client's, ``baimo --help`` ≤ 0.3 s.

    python benchmarks/overhead.py [--mode process] [--samples 3000] [--rounds 3]
    python benchmarks/overhead.py --mode library [--samples 4000] [--inspect-samples 600]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from _common import measure

CONCURRENCY = 32


def prompts(n: int, salt: str) -> list[tuple[str, str]]:
    return [(f"{salt}-{i}", f"Question {salt}-{i}: what is {i}+{i}? [[answer:{2 * i}]]")
            for i in range(n)]


def bench_baimo(base_url: str, n: int) -> tuple[float, float]:
    from baimo.config import ModelConfig
    from baimo.runs.eval import run_eval
    from baimo.store.store import Store
    from baimo.tasks.scorers import ScorerSpec, build_scorer
    from baimo.tasks.task import Task
    from baimo.tasks.types import Sample

    samples = [Sample(sid, ({"role": "user", "content": p},), str(2 * i))
               for i, (sid, p) in enumerate(prompts(n, "baimo"))]
    task = Task("overhead", "1", samples, build_scorer(ScorerSpec(type="numeric")),
                {"max_tokens": 16})
    model = ModelConfig(name="mock", base_url=base_url, model="mock",
                        limits={"concurrency": CONCURRENCY, "max_retries": 0})
    with tempfile.TemporaryDirectory() as d:
        store = Store(f"sqlite:///{d}/bench.db")
        with measure() as c:
            out = run_eval(store, [model], [task])
        rows = store.runs.results([out.run_id])
        assert len(rows) == n and all(r.status == "ok" for r in rows), "baimo run failed"
        store.close()
    return n / c.wall, 1000 * c.cpu / n


def bench_bare(base_url: str, n: int) -> tuple[float, float]:
    url = base_url + "/chat/completions"
    items = prompts(n, "bare")

    async def go() -> None:
        conn = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=conn) as s:
            queue = list(items)

            async def worker() -> None:
                while queue:
                    _, p = queue.pop()
                    body = orjson.dumps({"model": "mock", "stream": True, "max_tokens": 16,
                                         "messages": [{"role": "user", "content": p}]})
                    async with s.post(url, data=body,
                                      headers={"Content-Type": "application/json"}) as r:
                        async for line in r.content:
                            if line.startswith(b"data: {"):
                                orjson.loads(line[6:])

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

    with measure() as c:
        asyncio.run(go())
    return n / c.wall, 1000 * c.cpu / n


def bench_inspect(base_url: str, n: int) -> tuple[float, float] | str:
    try:
        from inspect_ai import Task as ITask
        from inspect_ai import eval as ieval
        from inspect_ai.dataset import Sample as ISample
        from inspect_ai.scorer import includes
        from inspect_ai.solver import generate
    except ImportError:
        return "not installed (pip install 'baimo[bench]')"
    os.environ["LOCAL_API_KEY"] = "none"
    os.environ["LOCAL_BASE_URL"] = base_url
    os.environ.setdefault("INSPECT_LOG_DIR", tempfile.mkdtemp(prefix="inspect-logs-"))
    dataset = [ISample(input=p, target=str(2 * i)) for i, (_, p) in
               enumerate(prompts(n, "inspect"))]
    task = ITask(dataset=dataset, solver=generate(), scorer=includes())
    with measure() as c:
        logs = ieval(task, model="openai-api/local/mock", max_connections=CONCURRENCY,
                     display="none", max_tokens=16, log_level="error")
    if not logs or logs[0].status != "success":
        return f"failed: {logs[0].error if logs else 'no log'}"
    return n / c.wall, 1000 * c.cpu / n


# --------------------------------------------------------------------------- process mode


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_child(argv: list[str], env: dict[str, str] | None = None
              ) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run a whole process to its end; its wall time and CPU time (user + system)."""
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=1800)
    wall = time.perf_counter() - t0
    return wall, _children_cpu() - cpu0, proc


def _check(proc: subprocess.CompletedProcess[str], what: str) -> None:
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n"
                         f"{proc.stderr[-2000:]}")


def process_baimo(base_url: str, n: int, work: Path) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    data = work / "overhead.jsonl"
    with data.open("wb") as fh:
        for sid, p in prompts(n, "baimo"):
            fh.write(orjson.dumps({"id": sid, "prompt": p,
                                   "reference": p.rsplit("[[answer:", 1)[1][:-2]}) + b"\n")
    task = work / "overhead.yaml"
    task.write_text(yaml.safe_dump({"name": "overhead", "version": 1, "dataset": data.name,
                                    "scorer": {"type": "numeric"},
                                    "params": {"max_tokens": 16}}))
    models = work / "baimo.yaml"
    models.write_text(yaml.safe_dump({"models": [{
        "name": "mock", "provider": "openai-compatible", "base_url": base_url, "model": "mock",
        "limits": {"concurrency": CONCURRENCY, "max_retries": 0}}]}))
    argv = [sys.executable, "-m", "baimo", "eval", "--task", str(task), "--config", str(models),
            "--model", "mock", "--concurrency", str(CONCURRENCY), "--no-progress", "--json"]
    wall, cpu, proc = run_child(argv, {"BAIMO_HOME": str(work / "home")})
    _check(proc, "baimo eval")
    out = json.loads(proc.stdout)
    scored = sum(r["scored"] for r in out["summary"])
    errors = sum(r["errors"] for r in out["summary"])
    if scored != n or errors or out["status"] != "done":
        raise SystemExit(f"baimo eval scored {scored} of {n} samples with {errors} errors "
                         f"({out['status']})")
    return {"wall": wall, "cpu": cpu, "n": n, "note": "scored, stored in SQLite"}


def process_bare(base_url: str, n: int) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", "bare", "--url", base_url, "--samples", str(n)]
    wall, cpu, proc = run_child(argv)
    _check(proc, "bare client")
    return {"wall": wall, "cpu": cpu, "n": n, "note": "sends, reads, parses"}


def process_inspect(base_url: str, n: int, work: Path) -> dict[str, Any] | str:
    argv = [sys.executable, __file__, "--child", "inspect", "--url", base_url, "--samples",
            str(n)]
    wall, cpu, proc = run_child(argv, {"INSPECT_LOG_DIR": str(work / "inspect-logs"),
                                       "LOCAL_API_KEY": "none", "LOCAL_BASE_URL": base_url})
    if proc.returncode == 3:
        return proc.stdout.strip()
    _check(proc, "inspect")
    return {"wall": wall, "cpu": cpu, "n": n, "note": "inspect_ai eval(), log on disk"}


def help_time(runs: int = 7) -> float:
    """Median wall time of ``baimo --help`` (a fresh interpreter each time)."""
    times = []
    for _ in range(runs):
        wall, _, proc = run_child([sys.executable, "-m", "baimo", "--help"])
        _check(proc, "baimo --help")
        times.append(wall)
    return statistics.median(times)


def child(kind: str, url: str, n: int) -> None:
    """The body of a child process (``--child``)."""
    if kind == "bare":
        bench_bare(url, n)
        return
    try:
        from inspect_ai import Task as ITask
        from inspect_ai import eval as ieval
        from inspect_ai.dataset import Sample as ISample
        from inspect_ai.scorer import includes
        from inspect_ai.solver import generate
    except ImportError as exc:
        print(f"not installed ({exc.name}; pip install 'baimo[bench]')")
        sys.exit(3)
    dataset = [ISample(input=p, target=str(2 * i)) for i, (_, p) in
               enumerate(prompts(n, "inspect"))]
    logs = ieval(ITask(dataset=dataset, solver=generate(), scorer=includes()),
                 model="openai-api/local/mock", max_connections=CONCURRENCY, display="none",
                 max_tokens=16, log_level="error")
    if not logs or logs[0].status != "success":
        print(f"failed: {logs[0].error if logs else 'no log'}")
        sys.exit(1)


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median wall time and the median CPU time of repeated runs of one client."""
    return {**runs[0], "wall": statistics.median(r["wall"] for r in runs),
            "cpu": statistics.median(r["cpu"] for r in runs), "rounds": len(runs)}


def compile_baimo() -> None:
    """Compile baimo's modules to bytecode, as ``pip install`` does for a package.

    Why: an editable install under ``PYTHONDONTWRITEBYTECODE=1`` (set on some machines) never
    writes bytecode, so every start would recompile ``tasks/extract.py`` (250 KB) and friends:
    a cost no installed copy of baimo pays.
    """
    import compileall

    import baimo

    compileall.compile_dir(str(Path(baimo.__file__).parent), quiet=1)


def main_process(n: int, inspect_n: int, rounds: int) -> None:
    from baimo.testing.mockserver import MockConfig, spawn_mockserver

    compile_baimo()
    bares: list[dict[str, Any]] = []
    ours_runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="baimo-overhead-") as d, \
            spawn_mockserver(MockConfig()) as srv:
        work = Path(d)
        # Interleaved rounds, medians reported: this machine's speed drifts by a quarter
        # within minutes, and one run of each would measure the drift as often as baimo.
        for i in range(rounds):
            bares.append(process_bare(srv.base_url, n))
            ours_runs.append(process_baimo(srv.base_url, n, work / f"round{i}"))
        insp = process_inspect(srv.base_url, inspect_n, work)
    bare, ours = _median_run(bares), _median_run(ours_runs)
    helps = help_time()
    print(f"whole processes, {n} samples (Inspect {inspect_n}), concurrency {CONCURRENCY}, "
          "mock server in its own process answering at once; bare and baimo: median of "
          f"{rounds} interleaved rounds, Inspect: one run")
    print(f"{'client':<30}{'wall s':>9}{'samples/s':>11}{'CPU ms/sample':>15}")
    rows: list[tuple[str, dict[str, Any] | str]] = [
        ("bare aiohttp (ceiling)", bare), ("baimo eval (CLI)", ours), ("inspect-ai", insp)]
    for name, r in rows:
        if isinstance(r, str):
            print(f"{name:<30}{r}")
            continue
        print(f"{name:<30}{r['wall']:>9.2f}{r['n'] / r['wall']:>11.0f}"
              f"{1000 * r['cpu'] / r['n']:>15.3f}  {r['note']}")
    ratio = (ours["n"] / ours["wall"]) / (bare["n"] / bare["wall"])
    above = 1000 * (ours["cpu"] / ours["n"] - bare["cpu"] / bare["n"])
    print(f"baimo / bare throughput: {ratio:.2f} (target >= 0.5)")
    print(f"baimo CPU above the bare client: {above:.3f} ms/sample (target <= 0.25)")
    if isinstance(insp, dict):
        print(f"baimo / inspect throughput: "
              f"{(ours['n'] / ours['wall']) / (insp['n'] / insp['wall']):.1f}x")
    print(f"baimo --help: {helps:.3f} s median of 7 (target <= 0.3 s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("process", "library"), default="process")
    ap.add_argument("--samples", type=int, default=None,
                    help="samples per client (process: 3000, library: 4000)")
    ap.add_argument("--inspect-samples", type=int, default=None,
                    help="samples for Inspect (process: same as --samples, library: 600)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="process mode: interleaved runs of bare and baimo (medians shown)")
    ap.add_argument("--child", choices=("bare", "inspect"), help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.url, args.samples)
        return
    if args.mode == "process":
        n = args.samples or 3000
        main_process(n, args.inspect_samples or n, max(1, args.rounds))
        return
    main_library(args.samples or 4000, args.inspect_samples or 600)


def main_library(samples: int, inspect_samples: int) -> None:
    from baimo.testing.mockserver import MockConfig, spawn_mockserver

    with spawn_mockserver(MockConfig()) as srv:
        bare = bench_bare(srv.base_url, samples)
        ours = bench_baimo(srv.base_url, samples)
        insp = bench_inspect(srv.base_url, inspect_samples)
    print(f"concurrency {CONCURRENCY}, mock server in a separate process, answers at once")
    print(f"{'client':<28}{'samples/s':>12}{'CPU ms/sample':>16}")
    print(f"{'bare aiohttp (ceiling)':<28}{bare[0]:>12.0f}{bare[1]:>16.2f}")
    print(f"{'baimo (scored + stored)':<28}{ours[0]:>12.0f}{ours[1]:>16.2f}")
    if isinstance(insp, tuple):
        print(f"{'inspect-ai':<28}{insp[0]:>12.0f}{insp[1]:>16.2f}")
        print(f"baimo / inspect throughput: {ours[0] / insp[0]:.1f}x (target >= 10x)")
    else:
        print(f"inspect-ai: {insp}")
    print(f"baimo / ceiling throughput: {ours[0] / bare[0]:.2f} (target >= 0.25)")
    print(f"baimo CPU per sample: {ours[1]:.2f} ms (target <= 2 ms)")


if __name__ == "__main__":
    main()
