"""The pieces a cycle is made of: exact unique prompts, the plan, canary scoring, durations."""

from __future__ import annotations

import pytest

from baimo.monitor.probes import CANARIES, canary_correct, probe_seed, synthetic_prompt
from baimo.monitor.scheduler import parallel_time, plan_cycle, probe_cost_tokens
from baimo.monitor.settings import MonitorSettings, parse_duration
from baimo.perf.tokenizer import WordTokenizer


def test_probe_prompts_have_exact_lengths_and_never_repeat() -> None:
    tok = WordTokenizer()
    seen = set()
    for cycle in ("c1", "c2"):
        for n in (100, 1000, 10000):
            text = synthetic_prompt(tok, n, probe_seed("m", cycle, f"lat:{n}"))
            assert tok.count(text) == n
            seen.add(text[:200])
    assert len(seen) == 6


def test_the_plan_runs_parallel_once_a_period_at_its_seeded_time() -> None:
    s = MonitorSettings(every=3600, parallel=10, parallel_every=86400, fidelity_every=86400)
    day = 1_767_225_600.0
    due = parallel_time("m", day, 86400, 0)
    assert day <= due < day + 86400
    plans = [plan_cycle(s, "m", day + h * 3600, last_parallel=None, last_fidelity=None)
             for h in range(24)]
    with_par = [h for h, p in enumerate(plans) if "par:0" in p]
    # Due from the slot holding the random time on (until one is stored that day).
    assert with_par[0] == int((due - day) // 3600)
    done = plan_cycle(s, "m", day + 23 * 3600, last_parallel=due, last_fidelity=day + 1)
    assert "par:0" not in done and "fid:determinism" not in done
    assert plans[0][:3] == ["lat:100", "lat:1000", "lat:10000"]
    assert sum(p.startswith("canary:") for p in plans[0]) == len(CANARIES)


def test_canaries_are_read_as_whole_tokens() -> None:
    mul = CANARIES[0]
    assert canary_correct(mul, "391") and canary_correct(mul, "The answer is **391**.")
    assert not canary_correct(mul, "3910") and not canary_correct(mul, "381")
    cn = next(c for c in CANARIES if c.id == "capital-cn")
    assert canary_correct(cn, "北京。") and canary_correct(cn, "Beijing")


def test_durations_and_the_cost_of_the_defaults() -> None:
    assert parse_duration("3h") == 10800 and parse_duration("90s") == 90
    assert parse_duration("1d") == 86400 and parse_duration(15) == 15
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")
    with pytest.raises(ValueError, match="positive"):
        parse_duration(0)
    cost = probe_cost_tokens(MonitorSettings())
    assert cost["cycles_per_day"] == 8
    assert cost["by_kind"]["latency"] == {"input": 8 * 11100, "output": 8 * 3 * 128}
    assert cost["by_kind"]["parallel"] == {"input": 10 * 1000, "output": 10 * 128}
