"""Does ``baimo perf`` agree with an established load tool on the same server?

Runs baimo and GuideLLM 0.8.1 against the same local OpenAI-compatible server (baimo's mock
server in its own process, with a known 200 ms to the first token and 20 ms between tokens,
MEASURE.md's calibration point and the order of a real server's latency) at the same
settings: ``/v1/completions``, prompts of 128 tokens of the same vocabulary,
64 output tokens, the same load levels and request counts. It prints, per level, both
tools' TTFT p50 and output throughput and their ratios (baimo / GuideLLM); the ratios must
fall within 0.95–1.05 where neither client is saturated (baimo says when it is; GuideLLM's
CPU is sampled from /proc while it runs). Each tool's TTFT minus the server's true TTFT is
printed too: where the two disagree, that says which one is off.

GuideLLM lives in its own virtual environment, never in baimo's dependencies::

    python3 -m venv build/venvs/guidellm
    build/venvs/guidellm/bin/pip install guidellm==0.8.1 gguf

(``--install`` does that.) Its tokenizer is the embedded model's, extracted from the GGUF
file with ``transformers`` into ``build/tokenizer/smollm2`` (done on first use).

Run: ``.venv/bin/python benchmarks/perf_agreement.py`` (about twelve minutes: each level
runs three times for each tool, interleaved, and the medians are compared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from baimo.config import ModelConfig  # noqa: E402
from baimo.perf.loads import Level  # noqa: E402
from baimo.perf.runner import PerfSpec, run_perf  # noqa: E402
from baimo.store.store import Store  # noqa: E402
from baimo.testing.mockserver import MockConfig, spawn_mockserver  # noqa: E402

GUIDELLM_VENV = ROOT / "build" / "venvs" / "guidellm"
TOKENIZER_DIR = ROOT / "build" / "tokenizer" / "smollm2"


# --------------------------------------------------------------------------- GuideLLM


def guidellm_bin() -> Path:
    return GUIDELLM_VENV / "bin" / "guidellm"


def install_guidellm() -> None:
    """Create GuideLLM's own venv (it pulls torch; never baimo's dependencies)."""
    if not (GUIDELLM_VENV / "bin" / "python").exists():
        subprocess.run(["python3", "-m", "venv", str(GUIDELLM_VENV)], check=True)
    subprocess.run([str(GUIDELLM_VENV / "bin" / "pip"), "install", "-q", "guidellm==0.8.1",
                    "gguf"], check=True)


def ensure_tokenizer() -> Path:
    """The embedded model's tokenizer as a Hugging Face folder GuideLLM can load offline."""
    if (TOKENIZER_DIR / "tokenizer.json").exists():
        return TOKENIZER_DIR
    from baimo.models.embedded import find_gguf

    gguf = find_gguf()
    code = ("import sys; from transformers import AutoTokenizer; "
            "t = AutoTokenizer.from_pretrained(sys.argv[1], gguf_file=sys.argv[2]); "
            "t.save_pretrained(sys.argv[3])")
    TOKENIZER_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(GUIDELLM_VENV / "bin" / "python"), "-c", code, str(gguf.parent),
                    gguf.name, str(TOKENIZER_DIR)], check=True,
                   env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return TOKENIZER_DIR


def _tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds so far of ``root`` and all its descendants (Linux /proc)."""
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            raw = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "
        pid = int(name)
        parent[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
    tree = {root}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parent.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                changed = True
    return {pid: cpu[pid] for pid in tree if pid in cpu}


class _CpuSampler(threading.Thread):
    """Samples a process tree's CPU every 0.25 s, so its load during a window is known."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.time(), _tree_cpu(self.pid)))
            self.stop.wait(0.25)

    def busiest(self, start: float, end: float) -> tuple[float, float]:
        """(busiest process's share of a core, whole tree in cores) within [start, end]."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return 0.0, 0.0
        (t0, a), (t1, b) = inside[0], inside[-1]
        dt = t1 - t0
        per = [(b[p] - a.get(p, 0.0)) / dt for p in b]
        return (max(per) if per else 0.0), sum(per)


def run_guidellm(root_url: str, profile: str, requests: int, prompt_tokens: int,
                 output_tokens: int, timeout: float = 900.0) -> dict[str, Any]:
    """One GuideLLM benchmark; returns its TTFT p50, throughput and timing window.

    ``profile`` is GuideLLM's profile spec, e.g. ``kind=concurrent,streams=4`` or
    ``kind=constant,rate=10``. Output throughput is computed from its per-request records
    exactly as baimo defines it (Σ output tokens / first request start → last request end),
    and its own reported mean rate is returned too.
    """
    tok = ensure_tokenizer()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        cmd = [str(guidellm_bin()), "run",
               "--backend", f"kind=openai_http,target={root_url},model=mock,"
               "validate_backend=false,request_format=/v1/completions",
               "--profile", profile,
               "--constraint", f"kind=max_requests,count={requests}",
               "--tokenizer", f"kind=hf_auto,model={tok}",
               "--data", f"kind=synthetic_text,prompt_tokens={prompt_tokens},"
               f"output_tokens={output_tokens}",
               "--output", f"kind=json,path={out}", "--disable-console-interactive"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        log = Path(tmp) / "log.txt"
        with log.open("w") as fh:
            proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=tmp,
                                    env={**os.environ, "HF_HUB_OFFLINE": "1",
                                         "TRANSFORMERS_OFFLINE": "1"})
            sampler = _CpuSampler(proc.pid)
            sampler.start()
            try:
                code = proc.wait(timeout)
            finally:
                sampler.stop.set()
                if proc.poll() is None:
                    proc.kill()
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if code != 0 or not out.exists():
            raise RuntimeError(f"guidellm failed ({code}): {log.read_text()[-1500:]}")
        doc = json.loads(out.read_text())
    b = doc["benchmarks"][0]
    reqs = b["requests"]["successful"]
    starts = [r["info"]["timings"]["request_start"] for r in reqs]
    ends = [r["info"]["timings"]["request_end"] for r in reqs]
    out_tokens = sum((r.get("output_metrics") or {}).get("text_tokens") or 0 for r in reqs)
    ttfts = sorted(r["info"]["timings"]["first_token_iteration"]
                   - r["info"]["timings"]["request_start"] for r in reqs)
    window = max(ends) - min(starts)
    busiest, cores = sampler.busiest(min(starts), max(ends))
    m = b["metrics"]
    return {
        "busiest_process_cpu": busiest, "tree_cpu_cores": cores,
        "saturated": busiest >= 0.9,
        "ok": len(reqs), "errors": len(b["requests"]["errored"]),
        "ttft_p50_s": m["time_to_first_token_ms"]["successful"]["percentiles"]["p50"] / 1e3,
        "ttft_p50_from_records_s": ttfts[len(ttfts) // 2] if ttfts else None,
        "output_tokens": out_tokens, "window_s": window,
        "output_tokens_per_s": out_tokens / window if window > 0 else 0.0,
        "output_tokens_per_s_reported_mean": m["output_tokens_per_second"]["successful"]["mean"],
        "itl_p50_s": m["inter_token_latency_ms"]["successful"]["percentiles"]["p50"] / 1e3,
        "wall_s": wall,
        "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    }


# --------------------------------------------------------------------------- baimo


def run_baimo(base_url: str, level: Level, requests: int, prompt_tokens: int,
              output_tokens: int, arrivals: str = "constant") -> dict[str, Any]:
    cfg = ModelConfig.model_validate({"name": "mock", "base_url": base_url,
                                      "limits": {"timeout_s": 60}})
    spec = PerfSpec(levels=[level], requests=requests, input_tokens=prompt_tokens,
                    output_tokens=output_tokens, ignore_eos="on", endpoint="completions",
                    arrivals=arrivals, tokenizer="gguf")  # type: ignore[arg-type]
    store = Store(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    s = run_perf(store, spec, [cfg]).summaries["mock"][0]
    return {"ok": s["requests"]["ok"], "errors": s["requests"]["errors"],
            "ttft_p50_s": s["metrics"]["ttft_s"]["p50"],
            "output_tokens": s["throughput"]["output_tokens"],
            "window_s": s["throughput"]["window_s"],
            "output_tokens_per_s": s["throughput"]["output_tokens_per_s"],
            "itl_p50_s": s["metrics"]["itl_s"]["p50"],
            "client_limited": s["client"]["limited"], "verdict": s["client"]["verdict"]}


# --------------------------------------------------------------------------- main


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The numbers of several runs: medians for measurements, any() for saturation flags."""
    out = dict(runs[len(runs) // 2])
    for key in ("ttft_p50_s", "output_tokens_per_s", "itl_p50_s", "window_s",
                "busiest_process_cpu", "tree_cpu_cores"):
        if all(r.get(key) is not None for r in runs):
            out[key] = statistics.median(r[key] for r in runs)
    for key in ("client_limited", "saturated"):
        if key in out:
            out[key] = sum(bool(r[key]) for r in runs) > len(runs) // 2
    out["runs"] = len(runs)
    out["ttft_p50_each_ms"] = [round(r["ttft_p50_s"] * 1e3, 2) for r in runs]
    out["tps_each"] = [round(r["output_tokens_per_s"], 1) for r in runs]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--install", action="store_true", help="create GuideLLM's venv first")
    ap.add_argument("--ttft", type=float, default=0.2)
    ap.add_argument("--itl", type=float, default=0.02)
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--output-tokens", type=int, default=64)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply request counts")
    ap.add_argument("--repeats", type=int, default=3, help="runs per level (medians)")
    args = ap.parse_args()
    if args.install:
        install_guidellm()
    if not guidellm_bin().exists():
        print(f"GuideLLM is not installed at {guidellm_bin()}; rerun with --install "
              "(it installs guidellm==0.8.1 into its own venv).")
        return 2
    # (label, baimo level, guidellm profile, requests)
    plan = [
        ("concurrency 1", Level("concurrency", 1.0), "kind=concurrent,streams=1", 12),
        ("concurrency 4", Level("concurrency", 4.0), "kind=concurrent,streams=4", 40),
        ("concurrency 16", Level("concurrency", 16.0), "kind=concurrent,streams=16", 240),
        ("constant 10 req/s", Level("rate", 10.0), "kind=constant,rate=10", 60),
    ]
    cfg = MockConfig(ttft_s=args.ttft, itl_s=args.itl, output_tokens=args.output_tokens,
                     spin_s=0.001)
    e2e = args.ttft + (args.output_tokens - 1) * args.itl
    print(f"server: baimo mock server (own process), TTFT {args.ttft * 1e3:g} ms, ITL "
          f"{args.itl * 1e3:g} ms, {args.output_tokens} tokens (true E2E {e2e * 1e3:.0f} ms); "
          f"prompts {args.prompt_tokens} tokens; endpoint /v1/completions")
    rows = []
    with spawn_mockserver(cfg) as srv:
        for label, level, profile, n in plan:
            n = max(4, int(n * args.scale))
            gs, bs = [], []
            for _ in range(args.repeats):  # interleaved, so drift in the machine hits both
                gs.append(run_guidellm(srv.root_url, profile, n, args.prompt_tokens,
                                       args.output_tokens))
                bs.append(run_baimo(srv.base_url, level, n, args.prompt_tokens,
                                    args.output_tokens))
            rows.append((label, n, _median_run(bs), _median_run(gs)))
            print(f"  {label}: done ({args.repeats} × {n} requests each)", flush=True)
    print()
    head = (f"{'level':<18}{'n':>5}  {'TTFT p50 baimo':>15}{'guidellm':>10}{'ratio':>8}  "
            f"{'out tok/s baimo':>16}{'guidellm':>10}{'ratio':>8}  within 0.95-1.05")
    print(head)
    print("-" * len(head))
    failures = 0
    for label, n, b, g in rows:
        rt = b["ttft_p50_s"] / g["ttft_p50_s"]
        rq = b["output_tokens_per_s"] / g["output_tokens_per_s"]
        ok = 0.95 <= rt <= 1.05 and 0.95 <= rq <= 1.05
        who = [n for n, sat in (("baimo", b["client_limited"]), ("GuideLLM", g["saturated"]))
               if sat]
        verdict = "yes" if ok else (f"no ({' and '.join(who)} saturated)" if who else "NO")
        if not ok and not who:
            failures += 1
        print(f"{label:<18}{n:>5}  {b['ttft_p50_s'] * 1e3:>13.2f}ms{g['ttft_p50_s'] * 1e3:>8.2f}ms"
              f"{rt:>8.3f}  {b['output_tokens_per_s']:>16.1f}{g['output_tokens_per_s']:>10.1f}"
              f"{rq:>8.3f}  {verdict}")
    print()
    for label, _, b, g in rows:
        print(f"{label}: baimo ok {b['ok']} err {b['errors']}, window {b['window_s']:.3f} s, "
              f"ITL p50 {b['itl_p50_s'] * 1e3:.2f} ms; guidellm ok {g['ok']} err {g['errors']}, "
              f"window {g['window_s']:.3f} s, ITL p50 {g['itl_p50_s'] * 1e3:.2f} ms, its own "
              f"mean rate {g['output_tokens_per_s_reported_mean']:.1f} tok/s, "
              f"{g['wall_s']:.0f} s wall / {g['cpu_s']:.0f} s CPU per run")
        print(f"  baimo client: {b['verdict']}")
        print(f"  GuideLLM client during its window: busiest process "
              f"{g['busiest_process_cpu']:.0%} of a core, all its processes "
              f"{g['tree_cpu_cores']:.2f} cores"
              + (" — saturated (≥ 90% of a core)" if g["saturated"] else ""))
        print(f"  TTFT p50 minus the configured {args.ttft * 1e3:g} ms: baimo "
              f"{(b['ttft_p50_s'] - args.ttft) * 1e3:+.2f} ms, GuideLLM "
              f"{(g['ttft_p50_s'] - args.ttft) * 1e3:+.2f} ms; each run's TTFT p50 (ms): "
              f"baimo {b['ttft_p50_each_ms']}, GuideLLM {g['ttft_p50_each_ms']}; output tok/s: "
              f"baimo {b['tps_each']}, GuideLLM {g['tps_each']}")
    print(f"\nTTFT truth: {args.ttft * 1e3:g} ms (+ loopback round trip and request handling, "
          "about 1 ms here).")
    print("RESULT:", "PASS" if failures == 0 else f"FAIL ({failures} level(s) outside "
          "0.95-1.05 without a saturated client)")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
