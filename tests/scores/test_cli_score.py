"""``baimo score`` through Typer's CliRunner, on the score app itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from baimo.cli.score import app

EXAMPLE_FACTS = str(Path(__file__).resolve().parents[2] / "src" / "baimo" / "scores" / "data"
                    / "frost-sullivan-2023-facts-example.csv")


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def test_methodologies_lists_builtins(runner: CliRunner) -> None:
    res = runner.invoke(app, ["methodologies"])
    assert res.exit_code == 0, res.output
    for mid in ("frost-sullivan-2023", "eo-five-forces-2024", "model-selection"):
        assert mid in res.output


def test_show_prints_tree_with_weights(runner: CliRunner) -> None:
    res = runner.invoke(app, ["show", "frost-sullivan-2023"])
    assert res.exit_code == 0, res.output
    for text in ("训练数据", "(15%)", "生态开放性", "(50%)", "中国市场落地", "002_42bbc7321cf57f04",
                 "榜单评测成绩", "fitted-least-squares"):
        assert text in res.output


def test_default_command_scores_with_gates_and_ranks(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    res = runner.invoke(app, ["--methodology", "frost-sullivan-2023", "--inputs", EXAMPLE_FACTS,
                              "--json", str(out)])
    assert res.exit_code == 0, res.output
    for text in ("Entry gates", "FAIL", "Example Vendor D", "Incomplete", "usage_evaluation",
                 "产品技术能力", "overall", "Example Vendor A"):
        assert text in res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["methodology"]["id"] == "frost-sullivan-2023"
    assert data["ranking"][0]["rank"] == 1
    assert "Example Vendor D" in data["excluded"]


def test_json_to_a_directory_is_a_message_not_a_traceback(runner: CliRunner,
                                                          tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", "-m", "frost-sullivan-2023", "-i", EXAMPLE_FACTS,
                              "--json", str(tmp_path)])
    assert res.exit_code == 2, res.output  # an uncaught OSError would end with 1
    assert f"{tmp_path}: is a directory; give the JSON result" in res.output


def test_run_subcommand_topsis_json_stdout(runner: CliRunner) -> None:
    res = runner.invoke(app, ["run", "-m", "frost-sullivan-2023", "-i", EXAMPLE_FACTS,
                              "--method", "topsis", "--topsis-normalisation", "minmax",
                              "--json", "-"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["method"] == {"name": "topsis", "topsis_normalisation": "minmax",
                              "combine": "weighted", "scenario": None, "report_scale": None,
                              "axes": None}


def test_sensitivity_output(runner: CliRunner) -> None:
    res = runner.invoke(app, ["-m", "frost-sullivan-2023", "-i", EXAMPLE_FACTS, "--sensitivity",
                              "--draws", "100", "--uniform"])
    assert res.exit_code == 0, res.output
    for text in ("One at a time", "Rank acceptability", "uniform", "Smallest change",
                 "L1"):
        assert text in res.output


def test_scenario_option(runner: CliRunner) -> None:
    res = runner.invoke(app, ["-m", "frost-sullivan-2023", "-i", EXAMPLE_FACTS, "--scenario",
                              "equal", "--json", "-"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["weights"]["dimensions"]["strategic_vision"] == \
        pytest.approx(1 / 3)


def test_model_selection_with_measurements(runner: CliRunner, tmp_path: Path) -> None:
    keys = {"dimension:knowledge": 0.6, "dimension:reasoning": 0.5, "dimension:code": 0.4,
            "suite:ifeval": 0.7, "perf:ttft_p95": 0.8, "perf:output_tokens_per_s": 40.0,
            "price:input_per_1m": 2.0, "price:output_per_1m": 8.0, "suite:safety": 0.9}
    # model-b: 10% better on every capability measurement, identical speed, price and safety
    other = {k: v * 1.1 if k.startswith(("dimension:", "suite:ifeval")) else v
             for k, v in keys.items()}
    p = tmp_path / "measured.json"
    p.write_text(json.dumps({"model-a": keys, "model-b": other}), encoding="utf-8")
    res = runner.invoke(app, ["-m", "model-selection", "--measured", str(p), "--scenario",
                              "high-reliability-high-complexity", "--json", "-"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [r["entity"] for r in data["ranking"]] == ["model-b", "model-a"]
    b = data["ranking"][0]
    assert b["indicators"]["ttft_p95"]["normalised"] == 1.0  # equal values: min-max gives 1
    assert b["indicators"]["knowledge"]["normalised"] == pytest.approx(0.66)


def test_fit_weights_default_table(runner: CliRunner) -> None:
    res = runner.invoke(app, ["fit-weights"])
    assert res.exit_code == 0, res.output
    for text in ("0.3394", "0.3951", "0.2655", "SenseTime", "+0.0026", "-0.0033", "34/39/27"):
        assert text in res.output
    res = runner.invoke(app, ["fit-weights", "--json", "-"])
    data = json.loads(res.output)
    assert data["reproduces_rounding"] is True


def test_fit_weights_custom_table(runner: CliRunner, tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("entity,composite,x,y,source,as_of\nA,2.5,2,3,doc,2024\nB,3.5,4,3,doc,2024\n"
                 "C,3.0,3,3,doc,2024\n", encoding="utf-8")
    res = runner.invoke(app, ["fit-weights", "--table", str(p), "--json", "-"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["weights"] == pytest.approx({"x": 0.5, "y": 0.5}, abs=1e-6)


def test_errors_are_reported_without_traceback(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(app, ["-m", "no-such-thing"])
    assert res.exit_code == 2
    assert "no methodology 'no-such-thing'" in res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("entity,indicator,value,source,as_of\nA,x,1,,2024\n", encoding="utf-8")
    res = runner.invoke(app, ["-m", "frost-sullivan-2023", "-i", str(bad)])
    assert res.exit_code == 2
    assert "bad.csv:2: column 'source' is empty" in res.output
    res = runner.invoke(app, ["-m", "frost-sullivan-2023", "--method", "ahp"])
    assert res.exit_code != 0
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_no_arguments_prints_help(runner: CliRunner) -> None:
    res = runner.invoke(app, [])
    assert res.exit_code == 0
    assert "--methodology" in res.output and "fit-weights" in res.output


def test_nothing_to_score_is_refused_before_anything_is_stored(runner: CliRunner,
                                                               tmp_path: Path) -> None:
    """No facts, a facts file with only its header, or entities none of which can be
    scored: exit 2 saying which facts the methodology reads; no empty result is stored."""
    header = tmp_path / "header-only.csv"
    header.write_text("entity,indicator,value,source,as_of\n", encoding="utf-8")
    for args in ([], ["-i", str(header)]):
        res = runner.invoke(app, ["-m", "frost-sullivan-2023", *args])
        assert res.exit_code == 2, res.output
        assert "nothing to score with 'frost-sullivan-2023': no entity has a fact" in res.output
        assert "--inputs FILE" in res.output and "training_data" in res.output
        assert "baseline_china_market" in res.output  # the gates' facts too
    assert f"{header} has no rows" in res.output
    res = runner.invoke(app, ["-m", "model-selection"])
    assert res.exit_code == 2 and "--runs RUN, --latest or --measured FILE" in res.output
    assert "suite:ifeval" in res.output
    # An entity with one fact: the tables say what is missing, but nothing is stored.
    one = tmp_path / "one.csv"
    one.write_text("entity,indicator,value,source,as_of\nX,training_data,3,doc,2023\n",
                   encoding="utf-8")
    res = runner.invoke(app, ["-m", "frost-sullivan-2023", "-i", str(one), "--report",
                              str(tmp_path / "r.html")])
    assert res.exit_code == 2, res.output
    assert "no fact 'baseline_china_market'" in res.output
    assert "nothing was scored: of 1 entity" in res.output and "Stored as" not in res.output
    assert not (tmp_path / "r.html").exists()
    history = runner.invoke(app, ["history", "--json"])
    assert history.exit_code == 0 and json.loads(history.stdout) == []
    # And a real result is stored as before.
    res = runner.invoke(app, ["-m", "frost-sullivan-2023", "-i", EXAMPLE_FACTS])
    assert res.exit_code == 0 and "Stored as" in res.output
    assert len(json.loads(runner.invoke(app, ["history", "--json"]).stdout)) == 1


def test_measured_file_refuses_negative_non_finite_and_misspelt_keys(runner: CliRunner,
                                                                    tmp_path: Path) -> None:
    """Every problem of a --measured file is named with file, line, entity and key before
    anything is scored; a misspelt key gets the nearest key the methodology reads."""
    p = tmp_path / "measured.json"
    p.write_text('{\n'
                 '  "model-a": {\n'
                 '    "perf:ttft_p95": -0.4,\n'
                 '    "price:input_per_1m": -2,\n'
                 '    "perf:ttft_p59": 0.3,\n'
                 '    "suite:ifeval": "80%"\n'
                 '  },\n'
                 '  "model-b": {"perf:output_tokens_per_s": Infinity, "suite:safety": NaN}\n'
                 '}\n', encoding="utf-8")
    res = runner.invoke(app, ["-m", "model-selection", "--measured", str(p)])
    assert res.exit_code == 2, res.output
    out = res.output
    assert f"{p}: 6 problem(s) with the measurements; nothing was scored" in out
    assert f"{p}:3: model-a: 'perf:ttft_p95' is -0.4, below 0" in out
    assert f"{p}:4: model-a: 'price:input_per_1m' is -2, below 0" in out
    assert (f"{p}:5: model-a: key 'perf:ttft_p59' is not a measurement methodology "
            "'model-selection' reads. Did you mean 'perf:ttft_p95'?") in out
    assert f"{p}:6: model-a: 'suite:ifeval' is '80%', not a number" in out
    assert f"{p}:8: model-b: 'perf:output_tokens_per_s' is inf; measured values must be " \
           "finite numbers" in out
    assert f"{p}:8: model-b: 'suite:safety' is nan" in out
    assert "Traceback" not in out
    # nothing was stored
    history = runner.invoke(app, ["history", "--json"])
    assert json.loads(history.stdout) == []


def test_measured_file_with_a_bom_and_a_key_written_twice(runner: CliRunner,
                                                          tmp_path: Path) -> None:
    keys = {"dimension:knowledge": 0.6, "dimension:reasoning": 0.5, "dimension:code": 0.4,
            "suite:ifeval": 0.7, "perf:ttft_p95": 0.8, "perf:output_tokens_per_s": 40.0,
            "price:input_per_1m": 2.0, "price:output_per_1m": 8.0, "suite:safety": 0.9}
    bom = tmp_path / "bom.json"  # Windows editors write a UTF-8 byte-order mark
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps({"model-a": keys}).encode())
    res = runner.invoke(app, ["-m", "model-selection", "--measured", str(bom), "--json", "-"])
    assert res.exit_code == 0, res.output
    assert [r["entity"] for r in json.loads(res.output)["ranking"]] == ["model-a"]
    twice = tmp_path / "twice.json"
    twice.write_text('{"model-a": {"suite:ifeval": 0.7, "suite:ifeval": 0.2}}')
    res = runner.invoke(app, ["-m", "model-selection", "--measured", str(twice)])
    assert res.exit_code == 2
    assert "key 'suite:ifeval' appears twice in one object" in res.output


def test_fit_weights_reads_excel_csv_files(runner: CliRunner, tmp_path: Path) -> None:
    """The results table is read like every user CSV: GBK from Excel, real line numbers."""
    good = ("entity,label,composite,x,y,source,as_of\nA,商汤,2.5,2,3,文档,2024\n\n"
            "B,百度,3.5,4,3,文档,2024\nC,\"阿里\n巴巴\",3.0,3,3,文档,2024\n")
    p = tmp_path / "gbk.csv"
    p.write_bytes(good.encode("gb18030"))
    res = runner.invoke(app, ["fit-weights", "--table", str(p), "--json", "-"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["weights"] == pytest.approx({"x": 0.5, "y": 0.5}, abs=1e-6)
    p.write_bytes((good + "D,腾讯,3.0,x,3,文档,2024\n").encode("gb18030"))
    res = runner.invoke(app, ["fit-weights", "--table", str(p)])
    assert res.exit_code == 2, res.output
    assert f"{p}:7: column 'x' of 'D' is 'x', not a number." in res.output


def test_facts_errors_name_the_line_the_row_is_on(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "facts.csv"
    bad.write_text("entity,indicator,value,source,as_of\n\nA,x,1,\"two\nlines\",2024\n"
                   "B,x,1,,2024\n", encoding="utf-8")
    res = runner.invoke(app, ["-m", "frost-sullivan-2023", "-i", str(bad)])
    assert res.exit_code == 2
    assert f"{bad}:5: column 'source' is empty" in res.output
