"""Optional indicators: an entity without one is scored on the rest, renormalised, and says so.

Every expected number below is recomputed here from the raw values with the formulas written
out (min-max over the entities that have the value, weights renormalised within the parent),
not read back from the code under test.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from baimo.errors import ConfigError
from baimo.scores.methodology import (
    FactsTable,
    SensitivityOptions,
    _renormalising_score,
    builtin_methodologies,
    load_methodology,
    parse_methodology,
    score_methodology,
)

DEMO = """\
id: optional-demo
title: Optional indicators demo
version: 1
provenance: {publisher: baimo tests, title: optional indicators, date: "2026"}
combine: {mode: weighted}
dimensions:
  - id: alpha
    name: Alpha
    weight: 60%
    indicators:
      - id: a1
        name: A1
        weight: 50%
        source: {measured: "suite:a1"}
      - id: a2
        name: A2
        weight: 30%
        direction: cost
        source: {measured: "perf:a2"}
      - id: a3
        name: A3
        weight: 20%
        optional: true
        sub_indicators:
          - id: a3x
            name: A3x
            weight: 50%
            source: {measured: "monitor:uptime"}
          - id: a3y
            name: A3y
            weight: 50%
            direction: cost
            source: {measured: "monitor:ttft_cv"}
  - id: beta
    name: Beta
    weight: 40%
    indicators:
      - id: b1
        name: B1
        normalisation: {kind: scale, min: 0, max: 1}
        source: {measured: "suite:b1"}
"""

# The same methodology without a3, its siblings' weights renormalised (50:30 -> 62.5:37.5).
WITHOUT_A3 = (
    re.sub(r"      - id: a3\n.*?(?=  - id: beta)", "", DEMO, flags=re.S)
    .replace(
        'weight: 50%\n        source: {measured: "suite:a1"}',
        'weight: 62.5%\n        source: {measured: "suite:a1"}',
    )
    .replace("weight: 30%\n        direction: cost", "weight: 37.5%\n        direction: cost")
)

# P, Q, T are monitored; R never was; S has an uptime but no TTFT CV, so its a3 is missing as a
# whole (a3y is required inside a3), and its uptime must not move the others' min-max.
MEASURED = {
    "P": {
        "suite:a1": 10,
        "perf:a2": 1,
        "monitor:uptime": 0.9,
        "monitor:ttft_cv": 0.2,
        "suite:b1": 0.5,
    },
    "Q": {
        "suite:a1": 20,
        "perf:a2": 3,
        "monitor:uptime": 1.0,
        "monitor:ttft_cv": 0.4,
        "suite:b1": 0.7,
    },
    "R": {"suite:a1": 30, "perf:a2": 2, "suite:b1": 0.2},
    "S": {"suite:a1": 15, "perf:a2": 4, "monitor:uptime": 0.5, "suite:b1": 0.9},
    "T": {
        "suite:a1": 25,
        "perf:a2": 2.5,
        "monitor:uptime": 0.96,
        "monitor:ttft_cv": 0.3,
        "suite:b1": 0.4,
    },
}


def _mm(values: dict[str, float], name: str, cost: bool = False) -> float:
    lo, hi = min(values.values()), max(values.values())
    x = (values[name] - lo) / (hi - lo)
    return 1 - x if cost else x


def _hand() -> dict[str, dict[str, float]]:
    """Alpha, a3 and overall of every entity, from MEASURED and the formulas."""
    a1 = {e: float(v["suite:a1"]) for e, v in MEASURED.items()}
    a2 = {e: float(v["perf:a2"]) for e, v in MEASURED.items()}
    monitored = ["P", "Q", "T"]
    up = {e: MEASURED[e]["monitor:uptime"] for e in monitored}
    cv = {e: MEASURED[e]["monitor:ttft_cv"] for e in monitored}
    out: dict[str, dict[str, float]] = {}
    for e in MEASURED:
        n1, n2 = _mm(a1, e), _mm(a2, e, cost=True)
        if e in monitored:
            a3 = 0.5 * _mm(up, e) + 0.5 * _mm(cv, e, cost=True)
            alpha = 0.5 * n1 + 0.3 * n2 + 0.2 * a3
        else:
            a3 = float("nan")
            alpha = (0.5 / 0.8) * n1 + (0.3 / 0.8) * n2
        out[e] = {"a3": a3, "alpha": alpha, "overall": 0.6 * alpha + 0.4 * MEASURED[e]["suite:b1"]}
    return out


def test_missing_optional_indicator_renormalises_within_its_parent() -> None:
    r = score_methodology(parse_methodology(DEMO), None, MEASURED)
    assert sorted(r.ranking()) == sorted(MEASURED) and r.incomplete == {}
    hand = _hand()
    for e in MEASURED:
        s = r.score_of(e)
        assert s.dimensions["alpha"] == pytest.approx(hand[e]["alpha"], abs=1e-12)
        assert s.overall == pytest.approx(hand[e]["overall"], abs=1e-12)
        if e in ("P", "Q", "T"):
            assert s.indicators["a3"].normalised == pytest.approx(hand[e]["a3"], abs=1e-12)
            assert s.scored_without == {} and s.weights_used == {}
    # min-max of a3x is over P, Q, T only: S's 0.5 would otherwise make P's 0.9 worth 0.8
    assert r.score_of("P").indicators["a3x"].normalised == pytest.approx(0.0)
    rr, ss = r.score_of("R"), r.score_of("S")
    assert rr.scored_without == {
        "a3": "indicator a3x (A3x): no measured value "
        "'monitor:uptime'; indicator a3y (A3y): no measured "
        "value 'monitor:ttft_cv'"
    }
    assert ss.scored_without == {"a3": "indicator a3y (A3y): no measured value 'monitor:ttft_cv'"}
    for s in (rr, ss):
        assert s.weights_used == {"dimension:alpha": pytest.approx({"a1": 0.625, "a2": 0.375})}
        assert not {"a3", "a3x", "a3y"} & set(s.indicators)
    # the stated weights are reported for the run (nobody's optional indicator is dropped)
    assert r.weights["indicators"]["a3"] == pytest.approx(0.2)
    note = next(n for n in r.notes if n.startswith("scored without optional"))
    assert "R without a3" in note and "S without a3" in note
    data = json.loads(json.dumps(r.to_dict()))
    by = {row["entity"]: row for row in data["ranking"]}
    assert by["R"]["scored_without"] == rr.scored_without
    assert by["R"]["weights_used"]["dimension:alpha"]["a1"] == pytest.approx(0.625)
    assert by["P"]["scored_without"] == {}


def test_an_optional_indicator_nobody_has_changes_nothing() -> None:
    """Scored without any monitor data, the methodology gives the scores of the same file
    without the indicator; EO's 基建力 (equal weights) gives them bit for bit."""
    only = {
        e: {k: v for k, v in vals.items() if not k.startswith("monitor:")}
        for e, vals in MEASURED.items()
    }
    with_opt = score_methodology(parse_methodology(DEMO), None, only)
    without = score_methodology(parse_methodology(WITHOUT_A3), None, only)
    assert with_opt.ranking() == without.ranking()
    for a, b in zip(with_opt.scores, without.scores, strict=True):
        assert a.overall == pytest.approx(b.overall, abs=1e-15)
        assert a.dimensions == pytest.approx(b.dimensions, abs=1e-15)
        assert set(a.scored_without) == {"a3"}
        assert a.weights_used == {}  # renormalised for the whole run, not per entity
    assert with_opt.weights["global"] == pytest.approx(without.weights["global"], abs=1e-15)
    assert any(
        "a3 (A3) left out for every entity (no entity scored has a value" in n
        for n in with_opt.notes
    )

    eo = load_methodology("eo-five-forces-2024")
    src = builtin_methodologies()["eo-five-forces-2024"]
    stripped = re.sub(
        r"      - id: service_stability\n.*?(?=\n  - id: ecosystem)", "", src, flags=re.S
    )
    assert "- id: service_stability" in src and "- id: service_stability" not in stripped
    bare = parse_methodology(stripped, "eo-without-stability")
    rows = []
    for k, ent in enumerate(["V1", "V2", "V3", "V4"]):
        rows += [
            {"entity": ent, "indicator": "released_general_model", "value": "true"},
            {"entity": ent, "indicator": "filed_beian", "value": "true"},
        ]
        for j, (_, leaf) in enumerate(eo.required_leaves()):
            value = {"caict_trusted_ai": 1 + k, "miit_conformance": k % 2}.get(
                leaf.id, (k * 7 + j * 3) % 10 + 1
            )
            rows.append({"entity": ent, "indicator": leaf.id, "value": str(value)})
    facts = FactsTable.from_rows([{**r, "source": "test", "as_of": "2024"} for r in rows])
    for method in ("weighted-sum", "topsis"):
        got = score_methodology(eo, facts, method=method)  # type: ignore[arg-type]
        want = score_methodology(bare, facts, method=method)  # type: ignore[arg-type]
        assert [s.entity for s in got.scores] == [s.entity for s in want.scores]
        for a, b in zip(got.scores, want.scores, strict=True):
            assert (a.overall, a.dimensions, a.rank) == (b.overall, b.dimensions, b.rank)
            assert {k: v.normalised for k, v in a.indicators.items()} == {
                k: v.normalised for k, v in b.indicators.items()
            }
        assert got.weights == want.weights


def test_topsis_needs_one_set_of_criteria_so_it_drops_partly_missing_ones() -> None:
    r = score_methodology(parse_methodology(DEMO), None, MEASURED, method="topsis")
    bare = score_methodology(parse_methodology(WITHOUT_A3), None, MEASURED, method="topsis")
    assert r.ranking() == bare.ranking()
    for a, b in zip(r.scores, bare.scores, strict=True):
        assert a.overall == pytest.approx(b.overall, abs=1e-12)
    p = r.score_of("P")
    assert "a3" not in p.indicators
    assert p.scored_without == {
        "a3": "left out for every entity: TOPSIS compares all on one "
        "set of criteria, and R, S lack it"
    }
    assert "no measured value 'monitor:uptime'" in r.score_of("R").scored_without["a3"]
    assert any("TOPSIS compares every entity on one set of criteria" in n for n in r.notes)


def test_sensitivity_with_partly_missing_values() -> None:
    m = parse_methodology(DEMO)
    r = score_methodology(
        m, None, MEASURED, sensitivity=SensitivityOptions(level="indicators", draws=200)
    )
    assert r.sensitivity is not None and r.sensitivity.flip.method == "search"
    assert set(r.sensitivity.weight_names) == {"a1", "a2", "a3x", "a3y", "b1"}
    # The renormalising score function reproduces the scores at the stated weights ...
    hand = _hand()
    ents = list(MEASURED)
    raw = np.array(
        [
            [
                MEASURED[e].get(k, np.nan)
                if e in ("P", "Q", "T") or not k.startswith("monitor:")
                else np.nan
                for k in ("suite:a1", "perf:a2", "monitor:uptime", "monitor:ttft_cv", "suite:b1")
            ]
            for e in ents
        ]
    )
    norm = np.column_stack(
        [
            (raw[:, 0] - 10) / 20,
            (4 - raw[:, 1]) / 3,
            (raw[:, 2] - 0.9) / 0.1,
            (0.4 - raw[:, 3]) / 0.2,
            raw[:, 4],
        ]
    )
    fn = _renormalising_score(
        m,
        ["a1", "a2", "a3x", "a3y", "b1"],
        norm,
        {"alpha", "beta", "a1", "a2", "a3", "a3x", "a3y", "b1"},
    )
    g = np.array([0.6 * 0.5, 0.6 * 0.3, 0.6 * 0.1, 0.6 * 0.1, 0.4])
    assert fn(g) == pytest.approx([hand[e]["overall"] for e in ents], abs=1e-12)
    # ... and is the plain weighted sum when nothing is missing.
    full = np.nan_to_num(norm[[0, 1, 4]])
    fn_full = _renormalising_score(
        m,
        ["a1", "a2", "a3x", "a3y", "b1"],
        full,
        {"alpha", "beta", "a1", "a2", "a3", "a3x", "a3y", "b1"},
    )
    assert fn_full(g) == pytest.approx(full @ g, abs=1e-12)
    dims = score_methodology(m, None, MEASURED, sensitivity=SensitivityOptions(draws=200))
    assert dims.sensitivity is not None and dims.sensitivity.flip.method == "linear-program"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace(
                '        source: {measured: "suite:b1"}',
                '        optional: true\n        source: {measured: "suite:b1"}',
            ),
            r"<string>:\d+: dimensions\[1\]\.indicators: every indicator of dimension 'beta' is "
            r"optional",
        ),
        (
            lambda t: t.replace(
                "            weight: 50%\n            direction: cost",
                "            weight: 50%\n            optional: true\n            direction: cost",
            ).replace(
                '            weight: 50%\n            source: {measured: "monitor:uptime"}',
                "            weight: 50%\n            optional: true\n"
                '            source: {measured: "monitor:uptime"}',
            ),
            r"<string>:\d+: dimensions\[0\]\.indicators\[2\]\.sub_indicators: every sub-indicator "
            r"of 'a3' is optional",
        ),
    ],
)
def test_optional_everywhere_is_refused_with_its_line(edit, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=message):
        parse_methodology(edit(DEMO))
