"""Pure parts of ``baimo perf``: schedules, windows, metrics, verdicts, prompts, tokenizers.

No network and no clock: every expected value here is exact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from baimo.config import ModelConfig, Pricing
from baimo.errors import ConfigError
from baimo.perf import metrics
from baimo.perf.loads import (
    ClosedLoopStages,
    Level,
    Stage,
    arrival_offsets,
    open_schedule,
    parse_levels,
    parse_window,
    split_count,
    stages,
    trace_schedule,
)
from baimo.perf.tokenizer import WordTokenizer, align_chunks
from baimo.perf.workload import (
    SyntheticPrompts,
    load_trace,
    output_control,
    request_params,
)

# --------------------------------------------------------------------------- loads


def test_levels_and_labels() -> None:
    levels = parse_levels("1,4", "5,2.5", trace=True, max_concurrency=8)
    assert [lv.label for lv in levels] == ["c=1", "c=4", "rate=5/s", "rate=2.5/s", "trace"]
    assert levels[2].max_concurrency == 8 and levels[0].max_concurrency is None
    assert parse_levels() == [Level("concurrency", 1.0)]
    with pytest.raises(ConfigError):
        parse_levels("1.5")
    with pytest.raises(ConfigError):
        parse_levels(rate="0")


def test_windows_parse_counts_and_durations() -> None:
    assert parse_window("10", "w") == (10, None)
    assert parse_window("5s", "w") == (None, 5.0)
    assert parse_window("500ms", "w") == (None, 0.5)
    assert parse_window("1m", "w") == (None, 60.0)
    assert parse_window(None, "w") == (None, None)
    with pytest.raises(ConfigError):
        parse_window("soon", "w")
    w, m, c = stages(None, None, "3", "2s")
    assert (w.count, m.count, c.seconds) == (3, 100, 2.0)


@pytest.mark.parametrize("kind", ["poisson", "gamma", "constant"])
def test_arrivals_have_exact_span_and_count(kind: str) -> None:
    off = arrival_offsets(kind, rate=50.0, n=3000, seed=7)  # type: ignore[arg-type]
    assert len(off) == 3000 and off[0] == 0.0
    assert np.all(np.diff(off) >= 0)
    # The realised rate is the target: (n - 1) / span == rate exactly.
    assert (len(off) - 1) / off[-1] == pytest.approx(50.0, rel=1e-12)


def test_arrival_laws_differ_as_they_should() -> None:
    gaps = {k: np.diff(arrival_offsets(k, 10.0, 20000, seed=1))
            for k in ("poisson", "gamma", "constant")}
    cv = {k: float(g.std() / g.mean()) for k, g in gaps.items()}
    assert cv["constant"] < 1e-9
    assert cv["poisson"] == pytest.approx(1.0, abs=0.05)
    assert cv["gamma"] == pytest.approx(1 / np.sqrt(0.5), abs=0.1)  # shape 0.5: burstier
    same = arrival_offsets("poisson", 10.0, 100, seed=3)
    assert np.array_equal(same, arrival_offsets("poisson", 10.0, 100, seed=3))


def test_open_schedule_stages_are_slices_of_one_process() -> None:
    st = (Stage("warmup", seconds=1.0), Stage("measure", count=20), Stage("cooldown", count=5))
    arr = open_schedule(st, rate=10.0, kind="constant")
    assert [a.phase for a in arr].count("warmup") == 10
    assert [a.phase for a in arr].count("measure") == 20
    assert [a.phase for a in arr].count("cooldown") == 5
    assert [a.seq for a in arr] == list(range(35))
    assert arr[-1].offset == pytest.approx(3.4)


def test_trace_schedule_keeps_offsets_and_cuts_stages() -> None:
    offs = [0.5, 0.0, 0.25, 1.0, 2.0]
    arr = trace_schedule(offs, (Stage("warmup", count=1), Stage("measure", seconds=1.0),
                                Stage("cooldown")))
    assert [(a.seq, a.offset, a.phase) for a in arr] == [
        (0, 0.0, "warmup"), (1, 0.25, "measure"), (2, 0.5, "measure"), (3, 1.0, "measure")]
    fast = trace_schedule(offs, (Stage("warmup"), Stage("measure", count=5), Stage("cooldown")),
                          speed=2.0)
    assert [a.offset for a in fast] == [0.0, 0.125, 0.25, 0.5, 1.0]


def test_closed_loop_stage_machine() -> None:
    m = ClosedLoopStages((Stage("warmup", count=2), Stage("measure", seconds=1.0),
                          Stage("cooldown", count=1)), epoch=100.0)
    assert [m.next_phase(100.0), m.next_phase(100.0)] == ["warmup", "warmup"]
    assert m.next_phase(100.1) == "measure"      # measure window starts at 100.1
    assert m.next_phase(101.0) == "measure"
    assert m.next_phase(101.2) == "cooldown"     # 1.1 s later: window over
    assert m.next_phase(101.3) is None
    assert sum(split_count(10, 3, i) or 0 for i in range(3)) == 10


# --------------------------------------------------------------------------- metrics


def _row(seq: int, sent: float, ttft: float, gaps: list[float], out: int | None,
         client: int | None = None, **kw: object) -> dict[str, object]:
    first = sent + ttft
    chunks = [first]
    for g in gaps:
        chunks.append(chunks[-1] + g)
    row: dict[str, object] = {
        "seq": seq, "phase": "measure", "status": "ok", "error_kind": None,
        "scheduled": sent - 0.01, "sent": sent, "first_byte": sent + ttft / 2,
        "first_token": first, "first_answer": first, "last_token": chunks[-1],
        "done": chunks[-1] + 0.001, "prompt_tokens": 10, "output_tokens": out,
        "output_tokens_client": client, "prompt_tokens_client": 10,
        "usage_from_server": out is not None, "finish_reason": "length",
        "chunk_times": chunks, "chunk_tokens": None}
    row.update(kw)
    return row


def test_summary_matches_hand_computed_values() -> None:
    rows = [
        _row(0, 0.0, 0.1, [0.02, 0.02, 0.02], 4, client=4),
        _row(1, 1.0, 0.3, [0.04], 2, client=3),
        _row(2, 2.0, 0.2, [], 1),                      # one token: no TPOT
        {**_row(3, 3.0, 0.2, [], 1), "phase": "warmup"},
        {**_row(4, 4.0, 0.2, [], None), "status": "error", "error_kind": "server",
         "first_token": None, "last_token": None, "chunk_times": []},
        {**_row(5, 5.0, 0.2, [], None), "status": "error", "error_kind": "timeout",
         "first_token": None, "last_token": None, "chunk_times": []},
    ]
    s = metrics.summarize_level(rows, slo={"ttft": 0.25},
                                pricing=Pricing(input_per_1m=1.0, output_per_1m=10.0))
    m = s["metrics"]
    assert s["requests"] == {"total": 6, "measured": 5, "ok": 3, "errors": 2, "warmup": 1,
                             "cooldown": 0}
    assert s["errors"]["by_kind"] == {"server": 1, "timeout": 1}
    assert s["errors"]["rate"] == pytest.approx(0.4)
    assert m["ttft_s"]["n"] == 3 and m["ttft_s"]["p50"] == pytest.approx(0.2)
    assert m["ttft_s"]["mean"] == pytest.approx(0.2)
    assert m["ttft_from_scheduled_s"]["p50"] == pytest.approx(0.21)
    assert m["time_to_first_byte_s"]["p50"] == pytest.approx(0.1)
    assert m["itl_s"]["n"] == 4  # 3 + 1 gaps, pooled over requests
    assert m["itl_s"]["max"] == pytest.approx(0.04)
    # TPOT: (0.06 / 3) and (0.04 / 1); the one-token request is excluded.
    assert m["tpot_s"]["n"] == 2
    assert sorted([m["tpot_s"]["min"], m["tpot_s"]["max"]]) == pytest.approx([0.02, 0.04])
    assert m["e2e_s"]["max"] == pytest.approx(0.34)
    assert m["tokens_per_chunk"]["mean"] == pytest.approx(1.0)
    assert m["send_lag_s"]["p50"] == pytest.approx(0.01)
    t = s["throughput"]
    assert t["output_tokens"] == 7
    assert t["window_s"] == pytest.approx(5.201)  # first send 0.0 → last done 5.201
    assert t["output_tokens_per_s"] == pytest.approx(7 / 5.201)
    assert s["goodput"]["fraction"] == pytest.approx(2 / 5)  # ttft 0.1 and 0.2 ≤ 0.25
    assert s["tokens"]["mismatch_rate"] == pytest.approx(0.5)  # 4 vs 4, 2 vs 3
    assert s["tokens"]["source"] == "server usage"
    assert s["cost"]["total"] == pytest.approx((30 * 1.0 + 7 * 10.0) / 1e6)
    assert s["cost"]["per_1m_output_tokens"] == pytest.approx(s["cost"]["total"] / 7 * 1e6)
    assert s["timeseries"][0]["sent"] == 1 and sum(p["errors"] for p in s["timeseries"]) == 2


def test_client_tokenizer_fills_in_missing_usage() -> None:
    rows = [_row(0, 0.0, 0.1, [0.01, 0.01], None, client=3)]
    s = metrics.summarize_level(rows)
    assert s["tokens"]["source"] == "client tokenizer"
    assert s["metrics"]["tpot_s"]["p50"] == pytest.approx(0.01)


def test_slo_parsing() -> None:
    assert metrics.parse_slo("ttft=1s,tpot=50ms") == {"ttft": 1.0, "tpot": 0.05}
    assert metrics.parse_slo("e2e=2.5") == {"e2e": 2.5}
    with pytest.raises(ConfigError):
        metrics.parse_slo("latency=1s")
    with pytest.raises(ConfigError):
        metrics.parse_slo("ttft=fast")


def test_knee_of_a_saturating_curve() -> None:
    xs = [1, 2, 4, 8, 16, 32, 64]
    ys = [10, 20, 40, 75, 90, 95, 97]
    k = metrics.knee(xs, ys)
    assert k is not None and xs[k] in (8, 16)
    assert metrics.knee([1, 2, 3], [1, 2, 3], log_x=False) is None  # straight line
    assert metrics.knee([1, 2], [1, 2]) is None


def _report(lags: list[float], loop_cpu: float, machine: float = 0.5) -> dict[str, object]:
    return {"worker": 0, "pid": 1, "lags": lags, "started": 0.0, "stopped": 1.0,
            "samples": [(0.5, loop_cpu, loop_cpu, machine), (1.0, loop_cpu, loop_cpu, machine)]}


def test_verdict_says_in_words_when_the_client_was_the_limit() -> None:
    ok = metrics.client_health([_report([0.0005] * 100, 0.3)])
    assert not ok["limited"] and ok["verdict"].startswith("The client was not the limit")
    busy = metrics.client_health([_report([0.0005] * 90 + [0.02] * 10, 0.97)])
    assert busy["limited"]
    assert "The client, not the server, was the limit" in busy["verdict"]
    assert "97% of a core" in busy["verdict"] and "--processes" in busy["verdict"]
    starved = metrics.client_health([_report([0.0005] * 90 + [0.02] * 10, 0.05, 0.99)])
    assert starved["limited"] and "starved" in starved["verdict"]
    assert "99% busy" in starved["verdict"]
    held = metrics.client_health([_report([0.0005] * 90 + [0.02] * 10, 0.05, 0.1)])
    assert held["limited"] and "held the loop up" in held["verdict"]


# --------------------------------------------------------------------------- workload


def test_synthetic_prompts_exact_unique_and_shared_prefix() -> None:
    tok = WordTokenizer()
    src = SyntheticPrompts(tuple(tok.words()), 50, shared_prefix=0, seed=1)
    texts = [src.text(i) for i in range(200)]
    assert all(tok.count(t) == 50 for t in texts)
    assert len({t.split()[0] for t in texts}) == 200  # unique from the first token
    shared = SyntheticPrompts(tuple(tok.words()), 50, shared_prefix=20, seed=1)
    a, b = shared.text(0).split(), shared.text(1).split()
    assert a[:20] == b[:20] and a[20] != b[20]
    assert src.text(5) == SyntheticPrompts(tuple(tok.words()), 50, 0, 1).text(5)
    with pytest.raises(ConfigError):
        SyntheticPrompts(tuple(tok.words()), 10, shared_prefix=11)


def test_trace_file(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"offset": 1.5, "prompt": "b", "max_tokens": 8}\n\n'
                    '{"timestamp": 500, "input_tokens": 12, "output_length": 4}\n'
                    '{"offset": 0, "messages": [{"role": "user", "content": "a"}]}\n')
    tr = load_trace(path, WordTokenizer().words())
    assert tr.offsets() == [0.0, 0.5, 1.5]
    assert tr.get(0) == ([{"role": "user", "content": "a"}], None)
    msgs, cap = tr.get(1)
    assert cap == 4 and WordTokenizer().count(msgs[0]["content"]) == 12
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x"}\n')
    with pytest.raises(ConfigError, match="offset"):
        load_trace(bad, None)


def test_output_control_by_provider() -> None:
    vllm = ModelConfig.model_validate({"name": "v", "provider": "vllm"})
    remote = ModelConfig.model_validate({"name": "d", "provider": "deepseek"})
    c = output_control(vllm, 64)
    assert c.ignore_eos and c.min_tokens
    assert request_params(vllm, c) == {"max_tokens": 64, "ignore_eos": True, "min_tokens": 64}
    r = output_control(remote, 64)
    assert not r.ignore_eos and "not known to accept" in r.note
    assert request_params(remote, r, cap=8) == {"max_tokens": 8}
    forced = output_control(remote, 64, "on")
    assert request_params(remote, forced)["ignore_eos"] is True


def test_chunk_alignment() -> None:
    assert align_chunks(["ab", "c", "de"], [1, 2, 2], len) == [1, 1, 1]
    assert align_chunks(["ab", "c"], [1, 1], len) is None  # pieces do not add up
    assert WordTokenizer().chunk_counts(["OK.", " tok tok", " tok"]) == [1, 2, 1]


@pytest.mark.llama
def test_gguf_words_build_exact_prompts() -> None:
    pytest.importorskip("llama_cpp")
    from baimo.perf.tokenizer import load_tokenizer

    tok = load_tokenizer("gguf")
    assert tok is not None
    src = SyntheticPrompts(tuple(tok.words()), 123, shared_prefix=17, seed=4)
    assert [tok.count(src.text(i)) for i in range(5)] == [123] * 5
    counts = tok.chunk_counts(["Hello", " wor", "ld!"])
    assert counts is not None and sum(counts) == tok.count("Hello world!")


def test_a_process_whose_share_of_the_count_is_zero_sends_nothing() -> None:
    """``--requests 2 --duration 30`` over four processes: two send one request each, and
    the other two none (a 0 share read as "no count" and they sent for 30 s)."""
    from baimo.perf.loads import split_stages

    stage_list = (Stage("warmup", None, None), Stage("measure", 2, 30.0),
                  Stage("cooldown", None, None))
    sent = []
    for index in range(4):
        stages_of = ClosedLoopStages(split_stages(stage_list, 4, index), epoch=0.0)
        n = 0
        while stages_of.next_phase(now=1.0) is not None and n < 100:
            n += 1
        sent.append(n)
    assert sent == [1, 1, 0, 0]
