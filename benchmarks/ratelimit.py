"""Rate-limit pacing: N samples against a server enforcing R requests/minute.

The issue's target: N samples take at most 1.1 × N/R minutes. Two cases:

- *known limit*: the models file states ``rpm: R`` and baimo paces its sends;
- *unknown limit*: only the server knows; baimo must learn from 429 + ``Retry-After``.

    python benchmarks/ratelimit.py [--rpm 300] [--samples 450]

With N > R the unknown-limit case must really hit the limit (a rolling window admits R at
once), so the defaults ask for 1.5 minutes of work at the limit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from baimo.config import ModelConfig
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.scorers import ScorerSpec, build_scorer
from baimo.tasks.task import Task
from baimo.tasks.types import Sample
from baimo.testing.mockserver import MockConfig, spawn_mockserver


def one(rpm: int, n: int, tell_client: bool) -> tuple[float, int, int]:
    samples = [Sample(f"s{i}", ({"role": "user", "content": f"q{i} [[answer:{i}]]"},), str(i))
               for i in range(n)]
    task = Task("rl", "1", samples, build_scorer(ScorerSpec(type="numeric")),
                {"max_tokens": 8})
    limits: dict[str, object] = {"concurrency": 16, "max_retries": 50}
    if tell_client:
        limits["rpm"] = rpm
    with spawn_mockserver(MockConfig(rpm_limit=rpm)) as srv:
        model = ModelConfig.model_validate({"name": "limited", "base_url": srv.base_url,
                                            "limits": limits})
        with tempfile.TemporaryDirectory() as d:
            store = Store(f"sqlite:///{d}/rl.db")
            t0 = time.perf_counter()
            out = run_eval(store, [model], [task])
            elapsed = time.perf_counter() - t0
            ok = sum(r.status == "ok" for r in store.runs.results([out.run_id]))
        stats = srv.stats()
    return elapsed, ok, stats["rate_limited"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rpm", type=int, default=300)
    ap.add_argument("--samples", type=int, default=450)
    args = ap.parse_args()
    ideal = args.samples / args.rpm * 60
    print(f"server limit {args.rpm} RPM, {args.samples} samples, ideal N/R = {ideal:.1f} s")
    for label, tell in (("known limit (rpm in config)", True),
                        ("unknown limit (429 + Retry-After)", False)):
        elapsed, ok, limited = one(args.rpm, args.samples, tell)
        print(f"{label:<36} {elapsed:7.1f} s  ratio {elapsed / ideal:.3f} (target <= 1.1)  "
              f"ok {ok}/{args.samples}  429s {limited}")


if __name__ == "__main__":
    main()
