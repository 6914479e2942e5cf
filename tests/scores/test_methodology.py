"""Methodology files: the built-ins against their seeds, validation messages, facts, scoring."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from baimo.errors import ConfigError, DatasetError, NotFound
from baimo.scores.fitweights import load_results_table
from baimo.scores.methodology import (
    FactsTable,
    ManualSource,
    MeasuredSource,
    Methodology,
    builtin_methodologies,
    list_methodologies,
    load_methodology,
    parse_methodology,
    score_methodology,
)

SEEDS = Path("/work/shared/seeds")
DATA = Path(__file__).resolve().parents[2] / "src" / "baimo" / "scores" / "data"
EXAMPLE_FACTS = DATA / "frost-sullivan-2023-facts-example.csv"

# The Frost & Sullivan table (seed 002, "评价模型及指标体系"), transcribed here independently of
# the YAML: (dimension, first-level indicator, weight in percent, number of second-level items).
FS_TABLE = [
    ("产品技术能力", "训练数据", 15, 4),
    ("产品技术能力", "算力支撑", 20, 4),
    ("产品技术能力", "模型开发", 20, 5),
    ("产品技术能力", "算法设计", 20, 4),
    ("产品技术能力", "应用实践", 10, 4),
    ("产品技术能力", "使用测评", 5, 3),
    ("产品技术能力", "专业服务", 10, 3),
    ("战略愿景能力", "风险和缓解措施", 25, 5),
    ("战略愿景能力", "市场认知与理解", 25, 3),
    ("战略愿景能力", "市场营销表现", 20, 4),
    ("战略愿景能力", "销售战略与执行", 10, 5),
    ("战略愿景能力", "创新积累与发展", 10, 3),
    ("战略愿景能力", "人才储备与发展", 10, 2),
    ("生态开放能力", "生态开放性", 50, 5),
    ("生态开放能力", "生态体系建设", 30, 3),
    ("生态开放能力", "联合创新", 20, 3),
]
FS_BASELINES = ["中国市场落地", "全栈能力", "商业基础", "产品市场", "沙利文研究视野"]


@pytest.fixture(scope="module")
def fs() -> Methodology:
    return load_methodology("frost-sullivan-2023")


def _fs_indicator(m: Methodology, dim_name: str, ind_name: str):  # type: ignore[no-untyped-def]
    dims = [d for d in m.dimensions if d.name == dim_name]
    assert len(dims) == 1, dim_name
    inds = [i for i in dims[0].indicators if i.name == ind_name]
    assert len(inds) == 1, ind_name
    return dims[0], inds[0]


# =========================================================================== built-ins


def test_builtins_all_load_and_record_provenance() -> None:
    ms = {m.id: m for m in list_methodologies()}
    assert set(ms) == {"frost-sullivan-2023", "eo-five-forces-2024", "model-selection"}
    expected = {
        "frost-sullivan-2023": ("002_42bbc7321cf57f04.txt", "Frost & Sullivan", "2023"),
        "eo-five-forces-2024": ("001_be8c0c45228710db.txt", "EO Intelligence", "2024-03"),
        "model-selection": ("004_4dd9658c1536f45b.txt", "QbitAI", "2024"),
    }
    for mid, (seed, publisher, date) in expected.items():
        p = ms[mid].provenance
        assert p.seed_file == seed
        assert publisher in p.publisher
        assert p.date == date
        assert ms[mid].origin == f"builtin:{mid}.yaml"
        assert len(ms[mid].sha256) == 64


@pytest.mark.parametrize("dim_name, ind_name, percent, n_criteria", FS_TABLE,
                         ids=[row[1] for row in FS_TABLE])
def test_fs_weight_matches_seed_table(fs: Methodology, dim_name: str, ind_name: str,
                                      percent: int, n_criteria: int) -> None:
    dim, ind = _fs_indicator(fs, dim_name, ind_name)
    assert ind.weight == f"{percent}%"  # written exactly as in the seed
    assert dim.indicator_weights()[ind.id] == pytest.approx(percent / 100, abs=1e-12)
    assert len(ind.criteria) == n_criteria


def test_fs_structure_follows_the_table(fs: Methodology) -> None:
    assert [d.name for d in fs.dimensions] == ["产品技术能力", "战略愿景能力", "生态开放能力"]
    assert [len(d.indicators) for d in fs.dimensions] == [7, 6, 3]
    assert len(fs.leaves()) == 16
    assert sum(len(i.criteria) for _, i in fs.leaves()) == 60
    assert [(d.name, i.name) for d in fs.dimensions for i in d.indicators] == [
        (d, i) for d, i, _, _ in FS_TABLE]
    assert "15 first-level and 56 second-level" in fs.description  # discrepancy is noted
    assert [g.name for g in fs.gates] == FS_BASELINES
    assert all(g.equals is True for g in fs.gates)
    for _, ind in fs.leaves():
        assert isinstance(ind.source, ManualSource)
        assert ind.effective_normalisation.kind == "scale"


def test_fs_matches_the_seed_file_itself(fs: Methodology) -> None:
    """Parse the seed's markdown tables and compare names, weights and second-level items."""
    seed = SEEDS / "002_42bbc7321cf57f04.txt"
    if not seed.is_file():
        pytest.skip("seed documents not available on this machine")
    rows = []
    dim = ""
    for line in seed.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and line.rstrip().endswith("% |"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            dim = cells[0] or dim
            rows.append((dim, cells[1], cells[2].split("；"), cells[3]))
    assert len(rows) == 16
    for dim_name, ind_name, criteria, weight in rows:
        _, ind = _fs_indicator(fs, dim_name, ind_name)
        assert ind.weight == weight
        assert ind.criteria == criteria
    text = seed.read_text(encoding="utf-8")
    for baseline in FS_BASELINES:
        assert baseline in text


def test_fs_dimension_weights_reproduce_published_composites(fs: Methodology) -> None:
    """The (recovered) dimension weights in the YAML give every published composite."""
    table = load_results_table()
    ids = [d.id for d in fs.dimensions]
    assert list(table.dimensions) == ids
    for scenario in (None, "fitted-least-squares"):
        w = fs.dimension_weights(scenario)
        fitted = table.scores @ np.array([w[d] for d in ids])
        assert np.all(np.abs(fitted - table.composites) < 0.005), scenario
    eq = fs.dimension_weights("equal")
    fitted_eq = table.scores @ np.array([eq[d] for d in ids])
    assert np.abs(fitted_eq - table.composites).max() > 0.01  # as its description says


def test_fs_scoring_end_to_end_reproduces_published_composites(fs: Methodology) -> None:
    """Every indicator set to its published dimension score: the engine must return the
    published dimension scores and, through the dimension weights, the composites."""
    table = load_results_table()
    rows = []
    for ent, scores in zip(table.entities, table.scores, strict=True):
        for gate in fs.gates:
            rows.append({"entity": ent, "indicator": str(gate.fact), "value": "true",
                         "source": "test", "as_of": "2023"})
        for dim, score in zip(table.dimensions, scores, strict=True):
            d = next(x for x in fs.dimensions if x.id == dim)
            for ind in d.indicators:
                rows.append({"entity": ent, "indicator": ind.id, "value": f"{score}",
                             "source": "test: published dimension score", "as_of": "2023"})
    result = score_methodology(fs, FactsTable.from_rows(rows, "test"))
    assert result.ranking() == ["SenseTime", "Baidu", "Alibaba", "Huawei", "Tencent"]
    for ent, scores, comp in zip(table.entities, table.scores, table.composites, strict=True):
        s = result.score_of(ent)
        assert [s.dimensions[d] for d in table.dimensions] == pytest.approx(scores.tolist())
        assert round(s.overall or 0, 2) == comp


def test_eo_five_forces(fs: Methodology) -> None:
    eo = load_methodology("eo-five-forces-2024")
    assert [d.name for d in eo.dimensions] == ["团队力", "产品力", "基建力", "生态力", "发展力"]
    assert eo.dimension_weights() == {d.id: pytest.approx(0.2) for d in eo.dimensions}
    team = eo.dimensions[0]
    assert [i.name for i in team.indicators] == ["人才结构", "人才质量", "人才培养"]
    assert [s.name for s in team.indicators[0].sub_indicators] == ["研发人员占比", "AI人才规模"]
    eco = next(d for d in eo.dimensions if d.name == "生态力")
    assert [i.name for i in eco.indicators] == ["合作伙伴组建", "开发者社区打造", "用户群体维护"]
    for d in eo.dimensions:
        assert all(w == pytest.approx(1 / len(d.indicators)) for w in d.indicator_weights().values())
    assert "NO weights" in eo.description


def test_model_selection_uses_measurements_and_seed_priorities() -> None:
    ms = load_methodology("model-selection")
    assert [d.id for d in ms.dimensions] == ["capability", "speed", "cost", "safety"]
    for _, ind in ms.leaves():
        assert isinstance(ind.source, MeasuredSource)
    kinds = {ind.source.kind for _, ind in ms.leaves() if isinstance(ind.source, MeasuredSource)}
    assert kinds == {"dimension", "suite", "perf", "price", "monitor"}
    # only the monitor's stability is optional: every other measurement is required
    required = {ind.source.kind for _, ind in ms.required_leaves()
                if isinstance(ind.source, MeasuredSource)}
    assert required == {"dimension", "suite", "perf", "price"}
    # seed 004: 高可靠+高复杂 capability > speed > cost; 高可靠+低复杂 cost > speed > capability;
    # 低可靠+低复杂 capability > cost > speed; 低可靠+高复杂 capability > speed > cost.
    orders = {
        "high-reliability-high-complexity": ["capability", "speed", "cost"],
        "high-reliability-low-complexity": ["cost", "speed", "capability"],
        "low-reliability-low-complexity": ["capability", "cost", "speed"],
        "low-reliability-high-complexity": ["capability", "speed", "cost"],
    }
    for name, order in orders.items():
        w = ms.dimension_weights(name)
        assert w[order[0]] > w[order[1]] > w[order[2]]
        assert sum(w.values()) == pytest.approx(1.0)
    latency = next(i for _, i in ms.leaves() if i.id == "ttft_p95")
    assert latency.direction == "cost"


# =========================================================================== validation

BASE = """\
id: test-m
title: Test methodology
provenance: {publisher: Test, title: Test doc, date: "2024"}
gates:
  - id: ok
    name: OK gate
    fact: ok_fact
    equals: true
dimensions:
  - id: alpha
    name: Alpha
    weight: 60%
    indicators:
      - id: a1
        name: A one
        weight: 0.5
        source: manual
      - id: a2
        name: A two
        weight: 0.5
        direction: cost
        source: {manual: a2}
  - id: beta
    name: Beta
    weight: 40%
    indicators:
      - id: b1
        name: B one
        normalisation: {kind: scale, min: 1, max: 5}
        source: {manual: b1}
"""


def _error(text: str, source: str = "m.yaml") -> str:
    with pytest.raises(ConfigError) as info:
        parse_methodology(text, source)
    return str(info.value)


def test_base_is_valid() -> None:
    m = parse_methodology(BASE, "m.yaml")
    assert m.dimension_weights() == {"alpha": 0.6, "beta": 0.4}
    assert m.dimensions[0].indicators[0].source == ManualSource(manual="a1")


def test_weights_not_summing_name_file_line_and_numbers() -> None:
    msg = _error(BASE.replace("weight: 0.5\n        direction", "weight: 0.4\n        direction"))
    assert "m.yaml:13: dimensions[0].indicators:" in msg
    assert "sum to 0.9" in msg and "a1 0.5 + a2 0.4" in msg
    assert "must sum to 1, or to 100" in msg


def test_percentages_must_sum_to_100() -> None:
    msg = _error(BASE.replace("weight: 40%", "weight: 45%"))
    assert "m.yaml:" in msg and "dimensions: weights sum to 105%" in msg


def test_plain_percent_numbers_and_fractions_are_accepted() -> None:
    m = parse_methodology(BASE.replace("weight: 60%", "weight: 60").replace("weight: 40%",
                                                                           "weight: 40"))
    assert m.dimension_weights() == {"alpha": 0.6, "beta": 0.4}
    m = parse_methodology(BASE.replace("weight: 60%", "weight: 3/5").replace("weight: 40%",
                                                                            "weight: 2/5"))
    assert m.dimension_weights() == pytest.approx({"alpha": 0.6, "beta": 0.4})


@pytest.mark.parametrize(("weight", "expected"), [
    ("1e309", "'1e309' is not a number"),  # a string to YAML; too large a float for Fraction
    (".inf", "inf is not a finite number"),
    ("nan%", "'nan%' is not a finite number"),
])
def test_a_weight_too_large_or_not_finite_is_named(weight: str, expected: str) -> None:
    msg = _error(BASE.replace("weight: 60%", f"weight: {weight}"))
    assert "m.yaml:" in msg and "weight of alpha: " + expected in msg


def test_mixed_percent_and_fraction_refused() -> None:
    assert "mixes percentages" in _error(BASE.replace("weight: 40%", "weight: 0.4"))


def test_missing_weight_is_named() -> None:
    msg = _error(BASE.replace("        weight: 0.5\n        source: manual\n",
                              "        source: manual\n"))
    assert "a1 has no weight" in msg and "weighting: equal" in msg


def test_unknown_field_points_at_its_line() -> None:
    msg = _error(BASE.replace("        direction: cost\n", "        direction: cost\n"
                                                             "        wieght: 3\n"))
    assert "m.yaml:22: dimensions[0].indicators[1].wieght: unknown field" in msg
    assert "spelling" in msg


def test_bad_literal_and_missing_field() -> None:
    msg = _error(BASE.replace("direction: cost", "direction: lower"))
    assert "m.yaml:21: dimensions[0].indicators[1].direction" in msg and "'benefit'" in msg
    msg = _error(BASE.replace("title: Test methodology\n", ""))
    assert "title: Field required" in msg and "Add the field `title`" in msg


def test_bad_source_and_measured_key() -> None:
    msg = _error(BASE.replace("source: {manual: b1}", "source: {measured: latency}"))
    assert "dimensions[1].indicators[0].source" in msg and "perf:NAME" in msg
    msg = _error(BASE.replace("source: {manual: b1}", "source: {fact: b1}"))
    assert "source must be `manual`" in msg


def test_leaf_without_source_and_scale_errors() -> None:
    msg = _error(BASE.replace("        source: {manual: b1}\n", ""))
    assert "indicator 'b1' has no source" in msg
    msg = _error(BASE.replace("{kind: scale, min: 1, max: 5}", "{kind: scale, min: 5, max: 1}"))
    assert "normalisation" in msg and "below max" in msg


def test_cost_with_none_normalisation_refused() -> None:
    msg = _error(BASE.replace("direction: cost\n", "direction: cost\n        normalisation: none\n"))
    assert "cannot invert a cost" in msg


def test_duplicate_ids_and_all_problems_reported_together() -> None:
    text = BASE.replace("id: b1", "id: a1").replace("weight: 40%", "weight: 45%")
    msg = _error(text)
    assert "2 problems" in msg
    assert "indicator id 'a1' is already used" in msg and "105%" in msg


def test_gate_rules() -> None:
    msg = _error(BASE.replace("    equals: true\n", ""))
    assert "has no condition" in msg
    msg = _error(BASE.replace("    fact: ok_fact\n", ""))
    assert "must read exactly one value" in msg
    msg = _error(BASE.replace("    equals: true\n", "    equals: true\n    min: 1\n"))
    assert "both `equals` and `min`/`max`" in msg


def test_yaml_syntax_error_has_line() -> None:
    msg = _error("id: x\ntitle: [unclosed\n")
    assert msg.startswith("m.yaml:") and "invalid YAML" in msg


def test_not_a_mapping() -> None:
    assert "must be a YAML mapping" in _error("- just\n- a list\n")


def test_ahp_weighting_in_yaml() -> None:
    text = BASE.replace("    weight: 60%\n", "").replace("    weight: 40%\n", "")
    text = text.replace("dimensions:\n", "combine:\n  weighting: {ahp: [[1, 3], [1/3, 1]]}\n"
                                        "dimensions:\n")
    m = parse_methodology(text)
    assert m.dimension_weights() == pytest.approx({"alpha": 0.75, "beta": 0.25})


def test_inconsistent_ahp_in_yaml_is_refused_with_location() -> None:
    text = BASE.replace("        weight: 0.5\n        source: manual\n",
                        "        source: manual\n")
    text = text.replace("        weight: 0.5\n        direction: cost\n",
                        "        direction: cost\n")
    text = text.replace(
        "      - id: a2\n",
        "      - id: a3\n        name: A three\n        source: {manual: a3}\n      - id: a2\n")
    text = text.replace("    weight: 60%\n    indicators:",
                        "    weight: 60%\n    weighting: {ahp: [[1, 9, 1/9], [1/9, 1, 9], "
                        "[9, 1/9, 1]]}\n    indicators:")
    msg = _error(text)
    assert "dimensions[0].indicators" in msg
    assert "AHP matrix 'indicators of dimension 'alpha'' is too inconsistent" in msg
    assert "CR =" in msg


def test_equal_weighting_refuses_stated_weights() -> None:
    text = BASE.replace("    weight: 60%\n    indicators:", "    weight: 60%\n    weighting: "
                                                           "equal\n    indicators:")
    assert "also carry a weight" in _error(text)


def test_separate_mode_rules() -> None:
    text = BASE.replace("dimensions:\n", "combine: {mode: separate, axes: [alpha, beta]}\n"
                                        "dimensions:\n")
    msg = _error(text)
    assert "have no effect" in msg
    text = text.replace("    weight: 60%\n", "").replace("    weight: 40%\n", "")
    m = parse_methodology(text)
    assert m.dimension_weights() == {}
    bad = text.replace("axes: [alpha, beta]", "axes: [alpha, gamma]")
    assert "axes must name two different dimensions" in _error(bad)


def test_scenarios_validated() -> None:
    text = BASE.replace("dimensions:\n", "combine:\n  scenarios:\n    s1: {weights: {alpha: 0.5,"
                                        " beta: 0.4}}\n    s2: {weights: {alpha: 1}}\n"
                                        "dimensions:\n")
    msg = _error(text)
    assert "scenario 's1'" in msg and "sum to 0.9" in msg
    assert "scenario 's2' must give a weight" in msg and "missing: beta" in msg


def test_load_methodology_path_and_not_found(tmp_path: Path) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text(BASE, encoding="utf-8")
    assert load_methodology(p).origin == str(p)
    assert load_methodology(str(p)).id == "test-m"
    with pytest.raises(NotFound, match="frost-sullivan-2023"):
        load_methodology("no-such-methodology")
    assert set(builtin_methodologies()) >= {"frost-sullivan-2023"}


# =========================================================================== facts


def _write(tmp_path: Path, text: str, name: str = "facts.csv") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_facts_loader_errors_name_file_line_column(tmp_path: Path) -> None:
    p = _write(tmp_path, "entity,indicator,value,source\nA,x,1,doc\n")
    with pytest.raises(DatasetError, match=r"facts.csv:1: missing column\(s\) as_of"):
        FactsTable.load(p)
    p = _write(tmp_path, "entity,indicator,value,source,as_of\nA,x,1,doc,2024\nA,y,2,,2024\n")
    with pytest.raises(DatasetError, match=r"facts.csv:3: column 'source' is empty"):
        FactsTable.load(p)
    p = _write(tmp_path, "entity,indicator,value,source,as_of\nA,x,1,doc,2024-13\n")
    with pytest.raises(DatasetError, match=r"facts.csv:2: column 'as_of' is '2024-13'"):
        FactsTable.load(p)
    p = _write(tmp_path, "entity,indicator,value,source,as_of\nA,x,1,doc,2024\nA,x,2,doc,2024\n")
    with pytest.raises(DatasetError, match=r"facts.csv:3: A / x already has a value at "
                                           r".*facts.csv:2"):
        FactsTable.load(p)
    with pytest.raises(NotFound):
        FactsTable.load(tmp_path / "absent.csv")


def test_fact_values() -> None:
    t = FactsTable.from_rows([
        {"entity": "A", "indicator": "x", "value": "是", "source": "s", "as_of": "2024-01-02"},
        {"entity": "A", "indicator": "y", "value": "4.5", "source": "s", "as_of": "2024"},
        {"entity": "B", "indicator": "y", "value": "high", "source": "s", "as_of": "2024"},
    ], "rows")
    x = t.get("A", "x")
    assert x is not None and x.as_bool() is True and x.as_number() == 1.0
    y = t.get("A", "y")
    assert y is not None and y.as_number() == 4.5
    with pytest.raises(DatasetError, match="rows:3: column 'value' of A / y"):
        y.as_bool()
    bad = t.get("B", "y")
    assert bad is not None
    with pytest.raises(DatasetError, match=r"rows:4: .*'high', not a number"):
        bad.as_number()
    assert t.entities() == ["A", "B"]


def test_example_facts_are_labelled_illustrative() -> None:
    t = FactsTable.load(EXAMPLE_FACTS)
    assert t.facts
    for fact in t.facts.values():
        assert fact.source.startswith("ILLUSTRATIVE")
        assert fact.entity.startswith("Example Vendor")


# =========================================================================== scoring


def _facts(rows: list[tuple[str, str, str]]) -> FactsTable:
    return FactsTable.from_rows(
        [{"entity": e, "indicator": i, "value": v, "source": "unit test", "as_of": "2024"}
         for e, i, v in rows], "unit.csv")


def _base_facts() -> list[tuple[str, str, str]]:
    return [
        ("P", "ok_fact", "true"), ("P", "a1", "10"), ("P", "a2", "100"), ("P", "b1", "5"),
        ("Q", "ok_fact", "yes"), ("Q", "a1", "20"), ("Q", "a2", "50"), ("Q", "b1", "3"),
        ("R", "ok_fact", "true"), ("R", "a1", "30"), ("R", "a2", "75"), ("R", "b1", "1"),
        ("S", "ok_fact", "false"), ("S", "a1", "99"),          # fails the gate
        ("T", "ok_fact", "true"), ("T", "a1", "15"),            # incomplete
        ("U", "a1", "15"),                                       # gate fact missing
    ]


def test_weighted_sum_scoring_by_hand() -> None:
    m = parse_methodology(BASE)
    r = score_methodology(m, _facts(_base_facts()))
    # a1 minmax over P,Q,R: 0, .5, 1; a2 cost minmax: 0, 1, .5; b1 scale 1-5: 1, .5, 0
    alpha = {"P": 0.0, "Q": 0.75, "R": 0.75}
    beta = {"P": 1.0, "Q": 0.5, "R": 0.0}
    for ent in "PQR":
        s = r.score_of(ent)
        assert s.dimensions["alpha"] == pytest.approx(alpha[ent])
        assert s.dimensions["beta"] == pytest.approx(beta[ent])
        assert s.overall == pytest.approx(0.6 * alpha[ent] + 0.4 * beta[ent])
    assert r.ranking() == ["Q", "R", "P"]  # 0.65, 0.45, 0.40
    assert [s.rank for s in r.scores] == [1, 2, 3]
    assert r.score_of("Q").indicators["a2"].normalised == 1.0
    assert r.score_of("Q").indicators["a2"].raw == 50.0
    assert "unit.csv:8" in r.score_of("Q").indicators["a2"].source
    assert list(r.excluded) == ["S"] and "ok_fact = false" in r.excluded["S"][0]
    assert set(r.incomplete) == {"T", "U"}
    assert any("a2 (A two)" in x for x in r.incomplete["T"])
    assert any("b1 (B one)" in x for x in r.incomplete["T"])
    assert "no fact 'ok_fact'" in r.incomplete["U"][0]
    statuses = {(g.entity, g.status) for g in r.gates}
    assert ("S", "fail") in statuses and ("U", "missing") in statuses
    assert r.normalisations["a2"].startswith("minmax: (max - x)")
    assert r.normalisations["b1"].startswith("scale 1-5")
    assert r.weights["global"] == pytest.approx({"a1": 0.3, "a2": 0.3, "b1": 0.4})
    with pytest.raises(NotFound):
        r.score_of("S")


def test_result_is_json_serialisable_and_self_contained() -> None:
    m = parse_methodology(BASE, "m.yaml")
    r = score_methodology(m, _facts(_base_facts()))
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False, ensure_ascii=False))
    assert d["schema"] == "baimo.score/1"
    assert d["methodology"]["id"] == "test-m" and len(d["methodology"]["sha256"]) == 64
    assert d["methodology"]["provenance"]["publisher"] == "Test"
    assert d["method"]["name"] == "weighted-sum"
    assert [x["entity"] for x in d["ranking"]] == ["Q", "R", "P"]
    assert d["excluded"]["S"] and d["incomplete"]["T"]
    assert d["normalisations"]["a1"].startswith("minmax")


def test_topsis_scoring_states_normalisation() -> None:
    m = parse_methodology(BASE)
    r = score_methodology(m, _facts(_base_facts()), method="topsis",
                          topsis_normalisation="minmax")
    assert r.method == "topsis" and r.topsis_normalisation == "minmax"
    assert all(v.startswith("minmax") for v in r.normalisations.values())
    assert any("TOPSIS with minmax" in n for n in r.notes)
    overall = [s.overall for s in r.scores]
    assert all(o is not None and 0 <= o <= 1 for o in overall)


def test_unused_facts_are_noted() -> None:
    m = parse_methodology(BASE)
    r = score_methodology(m, _facts([*_base_facts(), ("P", "a_1", "3")]))
    assert any("a_1" in n for n in r.notes)


def test_value_outside_scale_is_a_dataset_error() -> None:
    m = parse_methodology(BASE)
    rows = [r if r[:2] != ("P", "b1") else ("P", "b1", "7") for r in _base_facts()]
    # The file and line lead; the fact's source (free text) follows in brackets.
    with pytest.raises(DatasetError, match=r"^unit\.csv:5: \(source: .*\) P / b1 \(B one\) = 7 "
                                           r"lies outside the scale 1-5"):
        score_methodology(m, _facts(rows))


def test_non_numeric_value_is_a_dataset_error() -> None:
    m = parse_methodology(BASE)
    rows = [r if r[:2] != ("Q", "a1") else ("Q", "a1", "n/a") for r in _base_facts()]
    with pytest.raises(DatasetError, match=r"unit.csv:7: column 'value' of Q / a1"):
        score_methodology(m, _facts(rows))


def test_measured_sources_gates_and_scenario() -> None:
    text = """\
    id: measured
    title: Measured
    provenance: {publisher: baimo, title: t, date: "2024"}
    gates:
      - {id: stable, name: Stable, measured: "perf:error_rate", max: 0.05}
    combine:
      scenarios:
        accurate: {weights: {quality: 90%, speed: 10%}}
    dimensions:
      - id: quality
        name: Quality
        weight: 50%
        indicators:
          - {id: acc, name: Accuracy, normalisation: {kind: scale, min: 0, max: 1},
             source: {measured: "suite:ifeval"}}
      - id: speed
        name: Speed
        weight: 50%
        indicators:
          - {id: ttft, name: TTFT, direction: cost, source: {measured: "perf:ttft_p95"}}
    """
    m = parse_methodology(textwrap.dedent(text))
    measured = {
        "m1": {"suite:ifeval": 0.9, "perf:ttft_p95": 2.0, "perf:error_rate": 0.01},
        "m2": {"suite:ifeval": 0.6, "perf:ttft_p95": 0.5, "perf:error_rate": 0.0},
        "m3": {"suite:ifeval": 0.99, "perf:ttft_p95": 0.1, "perf:error_rate": 0.2},
        "m4": {"suite:ifeval": 0.8, "perf:error_rate": 0.0},
    }
    r = score_methodology(m, None, measured)
    assert "m3" in r.excluded and "perf:error_rate = 0.2 (required <= 0.05)" in r.excluded["m3"][0]
    assert r.incomplete["m4"] == ["indicator ttft (TTFT): no measured value 'perf:ttft_p95'"]
    # ttft min-max over m1, m2 (cost): m1 0, m2 1
    assert r.score_of("m1").overall == pytest.approx(0.5 * 0.9 + 0.5 * 0.0)
    assert r.score_of("m2").overall == pytest.approx(0.5 * 0.6 + 0.5 * 1.0)
    assert r.ranking() == ["m2", "m1"]
    accurate = score_methodology(m, None, measured, scenario="accurate")
    assert accurate.score_of("m1").overall == pytest.approx(0.9 * 0.9)
    assert accurate.ranking() == ["m1", "m2"] and accurate.scenario == "accurate"
    with pytest.raises(NotFound, match="no scenario 'slow'"):
        score_methodology(m, None, measured, scenario="slow")
    with pytest.raises(DatasetError, match="finite numbers"):
        score_methodology(m, None, {"m1": {"suite:ifeval": float("nan")}})


def test_separate_mode_has_no_overall_but_dimension_ranks() -> None:
    text = BASE.replace("    weight: 60%\n", "").replace("    weight: 40%\n", "").replace(
        "dimensions:\n", "combine: {mode: separate, axes: [alpha, beta]}\ndimensions:\n")
    m = parse_methodology(text)
    r = score_methodology(m, _facts(_base_facts()))
    assert r.axes == ("alpha", "beta")
    assert all(s.overall is None and s.rank is None for s in r.scores)
    assert r.score_of("P").dimension_ranks == {"alpha": 3, "beta": 1}


def test_sub_indicators_aggregate_their_children() -> None:
    eo = load_methodology("eo-five-forces-2024")
    rows = []
    for k, ent in enumerate(["V1", "V2", "V3"]):
        rows += [(ent, "released_general_model", "true"), (ent, "filed_beian", "true")]
        for _, leaf in eo.required_leaves():  # the optional measured stability is left out
            assert isinstance(leaf.source, ManualSource)
            value = {"caict_trusted_ai": 3 + k, "miit_conformance": k % 2}.get(leaf.id, 10 * k)
            rows.append((ent, leaf.source.manual, str(value)))
    r = score_methodology(eo, _facts(rows))
    s = r.score_of("V2")
    ts = s.indicators["talent_structure"]
    assert ts.raw is None
    assert ts.normalised == pytest.approx(
        0.5 * s.indicators["rd_staff_share"].normalised
        + 0.5 * s.indicators["ai_talent_scale"].normalised)
    assert r.ranking() == ["V3", "V2", "V1"]


def test_nothing_to_score_is_a_note_not_an_error() -> None:
    r = score_methodology(parse_methodology(BASE), FactsTable.empty())
    assert r.scores == () and any("nothing was scored" in n for n in r.notes)


def test_fs_example_facts() -> None:
    fs = load_methodology("frost-sullivan-2023")
    r = score_methodology(fs, FactsTable.load(EXAMPLE_FACTS))
    assert list(r.excluded) == ["Example Vendor D"]
    assert "中国市场落地" in r.excluded["Example Vendor D"][0]
    assert list(r.incomplete) == ["Example Vendor E"]
    assert re.search(r"usage_evaluation \(使用测评\)", r.incomplete["Example Vendor E"][0])
    assert r.report_scale == (1.0, 5.0)
    for s in r.scores:
        assert s.overall is not None and 1 <= s.overall <= 5
        assert all(1 <= v <= 5 for v in s.dimensions.values())
