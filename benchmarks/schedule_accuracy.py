"""How exactly does ``baimo perf`` keep an open-loop schedule?

Open loop at 50 requests/s for 60 s (Poisson arrivals, the default) against the mock server
in its own process. Prints the achieved request rate against the target (must be within
1%) and the p99 send lag, i.e. how late each request left against its scheduled time (must
be at most 5 ms). ``--naive`` also runs a sender that sleeps the relative gap after each send,
the pattern that drifted to 183.5 instead of 200 requests/s in vLLM #21104, for contrast.

Run: ``.venv/bin/python benchmarks/schedule_accuracy.py`` (about a minute; two with --naive).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from baimo.config import ModelConfig  # noqa: E402
from baimo.perf.loads import Level, arrival_offsets  # noqa: E402
from baimo.perf.runner import PerfSpec, run_perf  # noqa: E402
from baimo.store.store import Store  # noqa: E402
from baimo.testing.mockserver import MockConfig, spawn_mockserver  # noqa: E402


async def naive(base_url: str, rate: float, n: int, seed: int) -> tuple[float, float]:
    """The drifting pattern: send, then sleep the next gap (relative to now)."""
    import aiohttp

    gaps = np.diff(arrival_offsets("poisson", rate, n, seed))
    sent: list[float] = []
    tasks = []
    async with aiohttp.ClientSession() as session:

        async def one() -> None:
            body = {"model": "m", "prompt": "hi", "max_tokens": 4, "stream": True}
            async with session.post(base_url + "/completions", json=body) as resp:
                await resp.read()

        start = time.perf_counter()
        for i in range(n):
            sent.append(time.perf_counter())
            tasks.append(asyncio.create_task(one()))
            if i < n - 1:
                await asyncio.sleep(float(gaps[i]))
        await asyncio.gather(*tasks)
    span = sent[-1] - sent[0]
    scheduled_span = float(np.sum(gaps))
    return (n - 1) / span, span - scheduled_span + (sent[0] - start)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--arrivals", default="poisson", choices=["poisson", "gamma", "constant"])
    ap.add_argument("--naive", action="store_true", help="also run the relative-sleep sender")
    args = ap.parse_args()
    cfg = MockConfig(ttft_s=0.02, itl_s=0.005, output_tokens=20)
    store = Store(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    with spawn_mockserver(cfg) as srv:
        model = ModelConfig.model_validate({"name": "mock", "base_url": srv.base_url,
                                            "limits": {"timeout_s": 30}})
        spec = PerfSpec(levels=[Level("rate", args.rate)], duration_s=args.duration,
                        arrivals=args.arrivals, input_tokens=32,
                        output_tokens=20, ignore_eos="on", tokenizer="words")
        out = run_perf(store, spec, [model])
        rows = store.perf.requests([out.run_id])
        naive_res = None
        if args.naive:
            n = round(args.rate * args.duration)
            naive_res = asyncio.run(naive(srv.base_url, args.rate, n, 0))
    s = out.summaries["mock"][0]
    sent = np.sort(np.asarray([r.sent for r in rows if r.sent is not None]))
    lags = np.asarray([r.sent - r.scheduled for r in rows if r.sent is not None])
    n = len(sent)
    achieved = (n - 1) / (sent[-1] - sent[0])
    sched = np.sort(np.asarray([r.scheduled for r in rows]))
    offered = (len(sched) - 1) / (sched[-1] - sched[0])
    err = achieved / args.rate - 1.0
    p99 = float(np.percentile(lags, 99))
    print(f"open loop, {args.arrivals} arrivals, target {args.rate:g} requests/s for "
          f"{args.duration:g} s: {n} requests sent, {s['requests']['ok']} ok, "
          f"{s['requests']['errors']} errors")
    print(f"  offered (scheduled) rate: {offered:.3f} requests/s")
    print(f"  achieved send rate:       {achieved:.3f} requests/s "
          f"({err * 100:+.3f}% of target; must be within ±1%)")
    print(f"  send lag (sent - scheduled): p50 {np.percentile(lags, 50) * 1e3:.3f} ms, "
          f"p99 {p99 * 1e3:.3f} ms, max {lags.max() * 1e3:.3f} ms (p99 must be ≤ 5 ms)")
    print(f"  client: {s['client']['verdict']}")
    if naive_res is not None:
        rate_naive, drift = naive_res
        print(f"  for contrast, relative sleeps: {rate_naive:.3f} requests/s "
              f"({(rate_naive / args.rate - 1) * 100:+.2f}%), {drift * 1e3:.0f} ms behind "
              "schedule at the end")
    ok = abs(err) <= 0.01 and p99 <= 0.005
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
