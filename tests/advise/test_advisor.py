"""The scenario advisor: weights, constraints, gaps, ranking, Pareto frontier, paragraph.

Expected values are computed by hand in the comments (ROC weights for three criteria are
11/18, 5/18 and 2/18).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from baimo.advise import (
    Constraints,
    CriteriaSpec,
    ModelMeasurements,
    ParetoPoint,
    Profile,
    advise,
    builtin_scenarios,
    get_scenario,
    load_profile,
    pareto_frontier,
    roc_weights,
)
from baimo.errors import ConfigError, NotFound

SEED_004 = Path("/work/shared/seeds/004_4dd9658c1536f45b.txt")

W1, W2, W3 = 11 / 18, 5 / 18, 2 / 18


def mm(name: str, **metrics: float) -> ModelMeasurements:
    return ModelMeasurements(name=name, metrics=metrics)


def three() -> list[ModelMeasurements]:
    """A: strongest and priciest, B: fastest (blended price derived 3:1 from 1 and 5 → 2),
    C: cheapest and slowest."""
    return [
        mm("A", capability=0.9, ttft_p95_s=1.0, output_tps=50, blended_price_per_1m=10),
        mm("B", capability=0.7, ttft_p95_s=0.5, output_tps=100, price_in_per_1m=1,
           price_out_per_1m=5),
        mm("C", capability=0.5, ttft_p95_s=2.0, output_tps=20, blended_price_per_1m=1),
    ]


def profile(criteria: dict[str, object], **constraints: object) -> Profile:
    return Profile.model_validate({"id": "test", "criteria": criteria,
                                   "constraints": constraints})


# --- weights and scenarios ----------------------------------------------------------------------


def test_roc_weights() -> None:
    assert roc_weights(1) == [1.0]
    assert roc_weights(2) == pytest.approx([3 / 4, 1 / 4])
    assert roc_weights(3) == pytest.approx([W1, W2, W3])
    assert [round(w, 3) for w in roc_weights(3)] == [0.611, 0.278, 0.111]
    assert roc_weights(4) == pytest.approx([25 / 48, 13 / 48, 7 / 48, 3 / 48])
    for n in range(1, 8):
        w = roc_weights(n)
        assert sum(w) == pytest.approx(1.0) and w == sorted(w, reverse=True)
    with pytest.raises(ValueError):
        roc_weights(0)


def test_builtin_scenarios_follow_the_seed_priorities() -> None:
    sc = builtin_scenarios()
    assert {p.id: (p.name_zh, p.criteria.priority) for p in sc.values()} == {
        "reliable-complex": ("高可靠+高复杂", ("capability", "speed", "cost")),
        "reliable-simple": ("高可靠+低复杂", ("cost", "speed", "capability")),
        "tolerant-simple": ("低可靠+低复杂", ("capability", "cost", "speed")),
        "tolerant-complex": ("低可靠+高复杂", ("capability", "speed", "cost")),
    }
    w = sc["reliable-simple"].weights
    assert (w["cost"], w["speed"], w["capability"]) == pytest.approx((W1, W2, W3))
    assert get_scenario("高可靠+高复杂").id == "reliable-complex"
    with pytest.raises(NotFound, match="reliable-complex"):
        get_scenario("fast-and-cheap")


@pytest.mark.skipif(not SEED_004.exists(), reason="seed documents not available")
def test_scenario_quotes_are_verbatim_from_seed_004() -> None:
    text = SEED_004.read_text(encoding="utf-8")
    words = {"capability": "能力", "speed": "速度", "cost": "成本"}
    for p in builtin_scenarios().values():
        assert p.quote and p.quote in text, p.id
        # the quote's order (模型能力>生成速度>应用成本) is the profile's priority order
        order = p.quote.split("：", 1)[1].split("，", 1)[0].split(">")
        assert p.criteria.priority is not None
        assert [words[c] in part for c, part in zip(p.criteria.priority, order, strict=True)] \
            == [True, True, True]


# --- ranking with hand-computed expectations ----------------------------------------------------


def test_reliable_complex_ranking_by_hand() -> None:
    # normalised: capability A 1, B .5, C 0; TTFT (lower better, 0.5..2) A 2/3, B 1, C 0;
    # tokens/s (20..100) A 3/8, B 1, C 0; speed = mean: A 25/48, B 1, C 0;
    # blended price (1..10, lower better) A 0, B 8/9, C 1.
    advice = advise(three(), get_scenario("reliable-complex"))
    got = {r.name: (r.rank, r.score) for r in advice.ranked}
    assert got["A"] == (1, pytest.approx(W1 + W2 * 25 / 48))            # 0.75579
    assert got["B"] == (2, pytest.approx(W1 * 0.5 + W2 + W3 * 8 / 9))    # 0.68210
    assert got["C"] == (3, pytest.approx(W3))                            # 0.11111
    a = advice.ranked[0]
    assert a.criterion_scores == pytest.approx({"capability": 1, "speed": 25 / 48, "cost": 0})
    assert a.measurements == {"capability": 0.9, "ttft_p95_s": 1.0, "output_tps": 50,
                              "blended_price_per_1m": 10}
    b = advice.ranked[1]
    assert b.measurements["blended_price_per_1m"] == pytest.approx(2.0)
    assert b.derived == ("blended_price_per_1m",)
    assert "高可靠+高复杂" in advice.recommendation
    assert "A ranks first with a score of 0.756" in advice.recommendation
    assert "ahead of B (0.682)" in advice.recommendation


def test_reliable_simple_puts_cost_first() -> None:
    # cost 11/18, speed 5/18, capability 2/18:
    # A = 2/18 + 5/18*25/48 = 0.2558; B = 2/18*.5 + 5/18 + 11/18*8/9 = 0.8765; C = 11/18
    advice = advise(three(), get_scenario("reliable-simple"))
    assert [(r.name, r.rank) for r in advice.ranked] == [("B", 1), ("C", 2), ("A", 3)]
    assert advice.ranked[0].score == pytest.approx(W3 * 0.5 + W2 + W1 * 8 / 9)
    assert advice.ranked[1].score == pytest.approx(W1)
    assert advice.ranked[2].score == pytest.approx(W3 + W2 * 25 / 48)


def test_direct_weights_are_rescaled_and_zero_weight_needs_no_data() -> None:
    prof = profile({"weights": {"capability": 3, "cost": 1, "speed": 0}})
    assert prof.weights == {"capability": 0.75, "cost": 0.25, "speed": 0.0}
    models = [mm("A", capability=0.9, blended_price_per_1m=10),   # no speed data at all
              mm("C", capability=0.5, blended_price_per_1m=1)]
    advice = advise(models, prof)
    assert not advice.missing
    assert [(r.name, r.score) for r in advice.ranked] == [("A", 0.75), ("C", 0.25)]
    assert "speed" not in advice.ranked[0].criterion_scores


def test_ties_share_a_rank() -> None:
    models = [mm("X", capability=0.8, blended_price_per_1m=2),
              mm("W", capability=0.8, blended_price_per_1m=2),
              mm("Z", capability=0.2, blended_price_per_1m=4)]
    advice = advise(models, profile({"priority": ["capability", "cost"]}))
    assert [(r.name, r.rank, r.score) for r in advice.ranked] == [
        ("W", 1, 1.0), ("X", 1, 1.0), ("Z", 3, 0.0)]
    assert [b.name for b in advice.best] == ["W", "X"]
    assert "W and X tie for first place" in advice.recommendation


def test_single_candidate_and_equal_values_score_one() -> None:
    advice = advise([mm("solo", capability=0.3, blended_price_per_1m=9)],
                    profile({"priority": ["capability", "cost"]}))
    assert advice.ranked[0].score == 1.0
    assert advice.ranked[0].criterion_scores == {"capability": 1.0, "cost": 1.0}


def test_safety_as_fourth_criterion() -> None:
    prof = profile({"priority": ["safety", "capability", "speed", "cost"]})
    assert list(prof.weights.values()) == pytest.approx(roc_weights(4))
    models = [*three()[:2], mm("C", capability=0.5, ttft_p95_s=2.0, output_tps=20,
                                blended_price_per_1m=1, safety=0.9)]
    models = [models[0].model_copy(update={"metrics": {**models[0].metrics, "safety": 0.5}}),
              models[1], models[2]]
    advice = advise(models, prof)
    assert [m.name for m in advice.missing] == ["B"]
    assert advice.missing[0].needed_by == {"safety": ("criterion safety",)}
    # only A and C remain: A has safety 0, capability 1, speed 1 (faster TTFT and more
    # tokens/s than C), cost 0; C has safety 1, capability 0, speed 0, cost 1.
    # ROC(4) = 25/48, 13/48, 7/48, 3/48 → A = 20/48, C = 28/48.
    scores = {r.name: r.score for r in advice.ranked}
    assert scores == pytest.approx({"C": 28 / 48, "A": 20 / 48})


# --- constraints and gaps ------------------------------------------------------------------------


def test_all_excluded() -> None:
    prof = get_scenario("reliable-complex").model_copy(
        update={"constraints": Constraints(max_price_per_1m=0.5)})
    advice = advise(three(), prof)
    assert advice.ranked == () and advice.pareto == () and advice.best == ()
    assert {e.name: [v.text() for v in e.violations] for e in advice.excluded} == {
        "A": ["max_price_per_1m: 10 > 0.5"], "B": ["max_price_per_1m: 2 > 0.5"],
        "C": ["max_price_per_1m: 1 > 0.5"]}
    assert "no model can be recommended" in advice.recommendation
    assert "3 of 3 models were excluded" in advice.recommendation


def test_a_single_candidate_is_not_called_a_ranking() -> None:
    """One judged model scores 1 on every min-max criterion; the paragraph must say that the
    score compares it with nothing (and not speak of "these 1 candidate")."""
    advice = advise([three()[0]], get_scenario("reliable-complex"))
    assert [r.name for r in advice.ranked] == ["A"]
    assert "With a single candidate" in advice.recommendation
    assert "compares it with nothing" in advice.recommendation
    assert "these 1 candidate" not in advice.recommendation
    several = advise(three(), get_scenario("reliable-complex")).recommendation
    assert "across these 3 candidates, so they rank this set only" in several


def test_missing_measurements_are_listed_never_dropped() -> None:
    models = [*three(), mm("D", capability=0.95, output_tps=20, blended_price_per_1m=1),
              mm("E", capability=0.6)]
    advice = advise(models, get_scenario("reliable-complex"))
    assert {m.name: m.missing for m in advice.missing} == {
        "D": ("ttft_p95_s",),
        "E": ("ttft_p95_s", "output_tps", "blended_price_per_1m")}
    assert advice.missing[0].needed_by == {"ttft_p95_s": ("criterion speed",)}
    accounted = {r.name for r in advice.ranked} | {m.name for m in advice.missing} | {
        e.name for e in advice.excluded}
    assert accounted == {m.name for m in models}
    assert "D lacks ttft_p95_s" in advice.recommendation
    # the ranking among the judged models is unchanged by the unjudged ones
    assert [r.name for r in advice.ranked] == ["A", "B", "C"]


def test_unknown_is_not_a_pass_but_a_known_violation_excludes() -> None:
    prof = profile({"priority": ["capability"]}, min_context_window=32000, filed_only=True)
    models = [mm("ok", capability=0.5, context_window=128000, filed=1),
              mm("unknown-ctx", capability=0.9, filed=1),
              mm("short-and-unknown-filing", capability=0.9, context_window=8000),
              mm("unfiled", capability=0.9, context_window=64000, filed=0)]
    advice = advise(models, prof)
    assert [r.name for r in advice.ranked] == ["ok"]
    assert {m.name: m.missing for m in advice.missing} == {"unknown-ctx": ("context_window",)}
    assert {e.name: [v.constraint for v in e.violations] for e in advice.excluded} == {
        "short-and-unknown-filing": ["min_context_window"], "unfiled": ["filed_only"]}


def test_ttft_open_weights_and_deployment_constraints() -> None:
    prof = profile({"priority": ["capability"]}, max_ttft_p95_s=2, open_weights_only=True,
                   deployment="private")

    def dep(name: str, deployment: str, **metrics: float) -> ModelMeasurements:
        return ModelMeasurements(name=name, metrics=metrics,
                                 attributes={"deployment": deployment})

    models = [dep("both", "api, private", capability=0.6, ttft_p95_s=1, open_weights=1),
              dep("api-only", "api", capability=0.9, ttft_p95_s=1, open_weights=1),
              dep("slow-closed", "private", capability=0.9, ttft_p95_s=3, open_weights=0),
              mm("no-deployment", capability=0.9, ttft_p95_s=1, open_weights=1)]
    advice = advise(models, prof)
    assert [r.name for r in advice.ranked] == ["both"]
    assert advice.ranked[0].measurements["attribute:deployment"] == "api, private"
    assert {e.name: sorted(v.constraint for v in e.violations) for e in advice.excluded} == {
        "api-only": ["deployment"], "slow-closed": ["max_ttft_p95_s", "open_weights_only"]}
    assert {m.name: m.missing for m in advice.missing} == {
        "no-deployment": ("attribute:deployment",)}


def test_explicit_blended_price_wins_and_share_is_configurable() -> None:
    prof = profile({"priority": ["cost"]}).model_copy(update={"blend_input_share": 0.5})
    models = [mm("given", blended_price_per_1m=7, price_in_per_1m=1, price_out_per_1m=1),
              mm("derived", price_in_per_1m=2, price_out_per_1m=6)]
    advice = advise(models, prof)
    got = {r.name: (r.measurements["blended_price_per_1m"], r.derived) for r in advice.ranked}
    assert got == {"given": (7, ()), "derived": (4.0, ("blended_price_per_1m",))}


def test_input_errors() -> None:
    with pytest.raises(ValueError, match="unique"):
        advise([mm("A", capability=1), mm("A", capability=0)], profile({"priority": ["capability"]}))
    cny = ModelMeasurements(name="c", metrics={"blended_price_per_1m": 1},
                            attributes={"currency": "CNY"})
    usd = ModelMeasurements(name="u", metrics={"blended_price_per_1m": 1},
                            attributes={"currency": "USD"})
    with pytest.raises(ValueError, match="different currencies"):
        advise([cny, usd], profile({"priority": ["cost"]}))
    for bad in ({"capability": 1.5}, {"ttft_p95_s": -1}, {"filed": 0.5},
                {"capability": float("nan")}):
        with pytest.raises(ValidationError):
            ModelMeasurements(name="x", metrics=bad)


def test_no_models() -> None:
    advice = advise([], get_scenario("tolerant-simple"))
    assert advice.ranked == () and "no measured models" in advice.recommendation


# --- Pareto frontier ----------------------------------------------------------------------------


def brute_force_frontier(points: list[ParetoPoint]) -> set[str]:
    """p is dominated iff some q is >= on capability, <= on price and TTFT, and differs."""
    def key(p: ParetoPoint) -> tuple[float, float, float]:
        return (p.capability, p.blended_price_per_1m, p.ttft_p95_s)

    return {p.name for p in points if not any(
        q.capability >= p.capability and q.blended_price_per_1m <= p.blended_price_per_1m
        and q.ttft_p95_s <= p.ttft_p95_s and key(q) != key(p) for q in points)}


coords = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(coords, coords, coords), min_size=0, max_size=9))
def test_pareto_matches_brute_force(raw: list[tuple[float, float, float]]) -> None:
    pts = [ParetoPoint(f"m{i}", c, p, t) for i, (c, p, t) in enumerate(raw)]
    assert {p.name for p in pareto_frontier(pts)} == brute_force_frontier(pts)


def test_pareto_in_advice_random_sets_match_brute_force() -> None:
    rng = random.Random(7)
    for _ in range(50):
        models = [mm(f"m{i}", capability=round(rng.random(), 1), ttft_p95_s=rng.choice([0.5, 1, 2]),
                     output_tps=50, blended_price_per_1m=rng.choice([1, 2, 5]))
                  for i in range(rng.randint(1, 12))]
        advice = advise(models, get_scenario("reliable-complex"))
        pts = [ParetoPoint(m.name, m.metrics["capability"], m.metrics["blended_price_per_1m"],
                           m.metrics["ttft_p95_s"]) for m in models]
        assert {p.name for p in advice.pareto} == brute_force_frontier(pts)


def test_pareto_example_and_skipped() -> None:
    models = [*three(), mm("dominated", capability=0.6, ttft_p95_s=1.5, output_tps=10,
                           blended_price_per_1m=3)]
    advice = advise(models, get_scenario("reliable-complex"))
    assert [p.name for p in advice.pareto] == ["A", "B", "C"]   # B beats "dominated" everywhere
    prof = profile({"priority": ["capability"]})
    advice = advise([mm("no-latency", capability=0.5, blended_price_per_1m=1)], prof)
    assert advice.pareto == () and advice.pareto_skipped == ("no-latency",)


def test_recommendation_explains_a_winner_off_the_frontier() -> None:
    # weights favour speed; "fast" wins but "twin" matches it on TTFT and beats it on capability
    # and price, so the winner is not on the quality/cost/latency frontier.
    prof = profile({"weights": {"speed": 1}})
    models = [mm("fast", capability=0.5, ttft_p95_s=0.5, output_tps=200, blended_price_per_1m=5),
              mm("twin", capability=0.9, ttft_p95_s=0.5, output_tps=10, blended_price_per_1m=1)]
    advice = advise(models, prof)
    assert advice.ranked[0].name == "fast"
    assert [p.name for p in advice.pareto] == ["twin"]
    assert "fast is not on it because twin" in advice.recommendation


def test_to_dict_is_json_ready() -> None:
    models = [*three(), mm("E", capability=0.6)]
    prof = get_scenario("reliable-complex").model_copy(
        update={"constraints": Constraints(max_price_per_1m=5)})
    d = advise(models, prof).to_dict()
    again = json.loads(json.dumps(d, ensure_ascii=False))
    assert again["scenario"] == "高可靠+高复杂"
    assert [r["name"] for r in again["ranked"]] == ["B", "C"]
    assert again["excluded"][0]["violations"][0]["text"] == "max_price_per_1m: 10 > 5"
    assert again["missing"][0]["missing"] == ["ttft_p95_s", "output_tps", "blended_price_per_1m"]
    assert set(again) >= {"weights", "pareto", "recommendation", "method"}


# --- profile files -------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "profile.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_load_profile_with_priority_and_constraints(tmp_path: Path) -> None:
    p = write(tmp_path, "id: chatbot\nname_zh: 客服\ncriteria:\n  priority: [cost, capability]\n"
                        "constraints:\n  max_price_per_1m: 4\n  filed_only: true\n")
    prof = load_profile(p)
    assert prof.weights == pytest.approx({"cost": 0.75, "capability": 0.25})
    assert prof.constraints.filed_only and prof.constraints.max_price_per_1m == 4


@pytest.mark.parametrize(("text", "line", "expected"), [
    ("id: x\ncriteria:\n  priority: [capability]\n  weights: {capability: 1}\n", 2,
     "exactly one of"),
    ("id: x\ncriteria:\n  priority: [capability, smarts]\n", 3, "criteria.priority.1"),
    ("id: x\ncriteria:\n  priority: [cost, cost]\n", 2, "twice"),
    ("id: x\ncriteria:\n  weights: {capability: -1, cost: 2}\n", 2, ">= 0"),
    ("id: x\ncriteria:\n  weights: {capability: 0}\n", 2, "positive"),
    ("id: x\ncriteria: {priority: [cost]}\nconstraints:\n  max_ttft: 3\n", 4, "unknown field"),
    ("id: x\ncriteria: {priority: [cost]}\nconstraints:\n  deployment: cloud\n", 4,
     "constraints.deployment"),
])
def test_profile_errors_name_file_line_and_field(tmp_path: Path, text: str, line: int,
                                                 expected: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_profile(p)
    assert f"{p}:{line}" in str(exc.value)
    assert expected in str(exc.value)


def test_profile_file_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_profile(write(tmp_path, "- capability\n"))
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_profile(write(tmp_path, "id: [x\n"))


def test_criteria_spec_api() -> None:
    assert CriteriaSpec(priority=("speed", "cost")).resolved() == pytest.approx(
        {"speed": 0.75, "cost": 0.25})
    with pytest.raises(ValidationError):
        CriteriaSpec()
