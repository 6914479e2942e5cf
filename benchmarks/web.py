"""``baimo serve`` speed on a big store: p50/p95 of every page and API call.

Builds (once; reused while its stamp matches) a SQLite store of 100 models × 10,000 samples
(10 eval runs of 10 models; 7 tasks of ~1,430 samples, one per dimension, every result with
its cached answer) plus 20 perf runs (5 models × 3 load levels × 50 requests), written in bulk
through ``Store.write`` and ``store.perf``. Then starts ``baimo serve`` as a subprocess on
loopback, waits until it has aggregated the store, and requests every page and API twin
``--rounds`` times over HTTP, printing p50/p95 (target: every p95 ≤ 200 ms). The first
(cold) request of each URL is reported apart.

    python benchmarks/web.py [--models 100] [--samples 10000] [--rounds 20] [--dir build/bench-web]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

from baimo.perf.metrics import summarize_level
from baimo.store.records import PerfLevelRecord, PerfRequestRecord, ResponseRecord, ResultRow
from baimo.store.store import Store

TASKS = [("knowledge-zh", "knowledge"), ("arith", "math"), ("logic", "reasoning"),
         ("code-lite", "code"), ("ifeval", "instruction"), ("safety", "safety"),
         ("ceval-lite", "chinese")]
LEVELS = [1, 4, 16]


def build(path: Path, n_models: int, n_samples: int, seed: int = 0) -> None:
    """Write the synthetic store (models of graded skill, realistic outcome mix)."""
    rng = random.Random(seed)
    store = Store(f"sqlite:///{path}")
    sizes = [n_samples // len(TASKS) + (1 if i < n_samples % len(TASKS) else 0)
             for i in range(len(TASKS))]
    models_per_run = 10
    names = [f"model-{i:03d}" for i in range(n_models)]
    t0 = time.perf_counter()
    for start in range(0, n_models, models_per_run):
        group = names[start:start + models_per_run]
        spec = {"tasks": [{"name": t, "version": "v1", "n": n, "dimension": d}
                          for (t, d), n in zip(TASKS, sizes, strict=True)], "models": group}
        cfgs = [(m, {"name": m, "provider": "openai-compatible",
                     "pricing": {"input_per_1m": round(0.5 + 10 * rng.random(), 2),
                                 "output_per_1m": round(2 + 30 * rng.random(), 2),
                                 "currency": "CNY"},
                     "context_window": rng.choice([8192, 32768, 131072])}) for m in group]
        run_id = store.runs.create("eval", spec, "baimo eval --suite bench", cfgs)
        for m in group:
            skill = 0.3 + 0.6 * (names.index(m) / max(1, n_models - 1)) + rng.uniform(-.05, .05)
            results: list[ResultRow] = []
            responses: list[ResponseRecord] = []
            for (task, _dim), per_task in zip(TASKS, sizes, strict=True):
                for i in range(per_task):
                    key = f"{run_id}-{m}-{task}-{i}"[-64:]
                    u = rng.random()
                    cat = (("harmful" if i % 2 else "benign-lookalike") if task == "safety"
                           else f"subject-{i % 8}")
                    if u < 0.01:
                        status, score = "error", 0.0
                    elif u < 0.03:
                        status, score = "no-answer", 0.0
                    elif u < 0.04:
                        status, score = "truncated", 0.0
                    elif rng.random() < skill:
                        status, score = "ok", 1.0
                    else:
                        status, score = "wrong", 0.0
                    answer = f"答案是 {chr(65 + i % 4)}。The answer is {chr(65 + i % 4)}."
                    results.append(ResultRow(
                        run_id=run_id, model_name=m, task=task, task_version="v1",
                        sample_id=f"{task}-{i:05d}", key=key, category=cat, status=status,
                        score=score, extracted=chr(65 + i % 4) if status in ("ok", "wrong")
                        else None, reason=None if status != "error" else "HTTP 503",
                        details={"extraction": "answer-marker"}, prompt_tokens=80 + i % 50,
                        completion_tokens=12 + i % 30, usage_estimated=False,
                        latency_s=0.2 + rng.random(), ttft_s=0.05 + 0.2 * rng.random(),
                        cost=1e-5 * (1 + i % 7), currency="CNY", attempts=1, cached=False))
                    if status != "error":
                        responses.append(ResponseRecord(
                            key=key, model_identity=m[:32], request_json=(
                                '{"messages":[{"role":"user","content":"问题 '
                                f'{i}：下列哪项正确？"}}]}}'), response_json="{}", text=answer, reasoning="",
                            finish_reason="stop", prompt_tokens=80, completion_tokens=12,
                            cached_tokens=0, reasoning_tokens=0, usage_estimated=False,
                            latency_s=0.3, ttft_s=0.1))
            rep = store.write(results, responses)
            assert rep.ok, rep.lost[:3]
            store.runs.set_model_status(run_id, m, "ok")
        store.runs.finish(run_id, "done")
        print(f"  eval run {run_id}: {len(group)} models × {sum(sizes)} samples "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    for start in range(0, n_models, 5):
        group = names[start:start + 5]
        run_id = store.runs.create("perf", {"levels": [f"c={c}" for c in LEVELS]},
                                   "baimo perf --concurrency 1,4,16", [(m, {"name": m})
                                                                       for m in group])
        for m in group:
            for pos, c in enumerate(LEVELS):
                rows = []
                for seq in range(50):
                    sent = seq * 0.1
                    ttft = 0.1 + 0.02 * c + 0.05 * rng.random()
                    chunks = [sent + ttft + 0.02 * k for k in range(64)]
                    rows.append(PerfRequestRecord(
                        run_id=run_id, model_name=m, level=f"c={c}", seq=seq, phase="measure",
                        status="ok", error_kind=None, reason=None, scheduled=sent, sent=sent,
                        first_byte=sent + 0.01, first_token=sent + ttft, first_answer=sent + ttft,
                        last_token=chunks[-1], done=chunks[-1], prompt_tokens=512,
                        output_tokens=64, output_tokens_client=64, usage_from_server=True,
                        chunk_times=chunks, chunk_tokens=[1] * 64, finish_reason="length"))
                store.perf.write_requests(rows)
                summary = summarize_level([dataclasses.asdict(r) for r in rows])
                store.perf.write_level(PerfLevelRecord(
                    run_id=run_id, model_name=m, level=f"c={c}", position=pos,
                    load_kind="concurrency", load_value=float(c), started_at=time.time(),
                    client_limited=False, summary=summary))
        store.runs.finish(run_id, "done")
    store.close()
    print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--dir", type=Path, default=Path("build/bench-web"))
    ap.add_argument("--build-only", action="store_true", help="Only build the store.")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    db = args.dir / f"web-{args.models}x{args.samples}-v2.db"
    stamp = db.with_suffix(".ok")
    if not stamp.exists():
        for p in args.dir.glob(db.name + "*"):
            p.unlink()
        print(f"building {db} ({args.models} models × {args.samples} samples) …", flush=True)
        build(db, args.models, args.samples)
        stamp.write_text("ok")
    store = Store(f"sqlite:///{db}")
    evals = [r.id for r in store.runs.recent(100, "eval")]
    perfs = [r.id for r in store.runs.recent(100, "perf")]
    store.close()
    if args.build_only:
        return
    port = _port()
    env = {**os.environ, "BAIMO_DB": f"sqlite:///{db.resolve()}"}
    proc = subprocess.Popen([sys.executable, "-m", "baimo", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if client.get("/api/v1/openapi.json").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("baimo serve did not start")
                time.sleep(0.2)
            t = time.perf_counter()
            client.get("/api/v1/leaderboards")  # waits for the start-up aggregation
            print(f"start-up aggregation + first leaderboard: {time.perf_counter() - t:.2f} s")
            m = [f"model-{i:03d}" for i in (args.models - 1, args.models // 2, 0)]
            qs = "&".join(f"models={x}" for x in m)
            urls = [
                "/", "/leaderboards", "/leaderboards?dimension=math", "/runs",
                f"/runs?model={m[0]}", "/runs?kind=perf&page=1",
                f"/runs/{evals[0]}", f"/runs/{evals[0]}?status=wrong&page=40",
                f"/runs/{evals[-1]}?model={m[1]}&task=safety&category=harmful",
                f"/compare?task=arith&{qs}", f"/compare?task=arith&{qs}&diff=true&page=5",
                f"/compare?task=safety&{qs}&status=no-answer", "/perf", f"/perf?run={perfs[-1]}",
                "/decide", "/decide?w_capability=50&w_speed=10&w_cost=30&w_safety=10&max_price=8",
                "/landscape", "/landscape?q=qwen", "/jobs",
            ]
            apis = ["/api/v1" + (u if u != "/" else "/overview") for u in urls]
            apis += ["/api/v1/leaderboards.csv", "/api/v1/whoami"]
            print(f"{'URL':86} {'cold ms':>8} {'p50 ms':>8} {'p95 ms':>8}")
            worst = 0.0
            for url in urls + apis:
                times = []
                cold = None
                for i in range(args.rounds + 1):
                    t = time.perf_counter()
                    r = client.get(url)
                    dt = (time.perf_counter() - t) * 1e3
                    if r.status_code != 200:
                        raise SystemExit(f"{url}: HTTP {r.status_code}: {r.text[:300]}")
                    if i == 0:
                        cold = dt
                    else:
                        times.append(dt)
                p50, p95 = np.percentile(times, [50, 95])
                worst = max(worst, float(p95))
                flag = "" if p95 <= 200 else "  OVER"
                print(f"{url[:86]:86} {cold:8.1f} {p50:8.1f} {p95:8.1f}{flag}", flush=True)
            print(f"worst p95: {worst:.1f} ms ({'ok' if worst <= 200 else 'over'} the 200 ms "
                  "target)")
            t = time.perf_counter()
            r = client.get(f"/api/v1/runs/{evals[0]}/samples.csv")
            print(f"export of one run's {r.text.count(chr(10)) - 1} sample rows as CSV: "
                  f"{(time.perf_counter() - t) * 1e3:.0f} ms, {len(r.content) / 1e6:.1f} MB "
                  "(a download, not a page)")
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
