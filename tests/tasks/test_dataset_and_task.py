"""Your own data: formats, located validation errors, task files and the scorers."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from baimo.errors import ConfigError, DatasetError
from baimo.tasks.dataset import load_dataset
from baimo.tasks.scorers import ScorerSpec, build_scorer
from baimo.tasks.task import load_task
from baimo.tasks.types import ModelOutput, Sample

ROWS = [{"id": 1, "prompt": "2+2?", "reference": "4", "category": "math"},
        {"id": "b", "messages": [{"role": "system", "content": "Be brief."},
                                 {"role": "user", "content": "Capital of France?"}],
         "reference": ["Paris"]},
        {"id": "c", "prompt": "Pick", "choices": ["red", "blue", "green"], "reference": "B"}]


def test_jsonl_csv_parquet_load_the_same(tmp_path: Path) -> None:
    import orjson

    j = tmp_path / "d.jsonl"
    j.write_bytes(b"\n".join(orjson.dumps(r) for r in ROWS) + b"\n\n")
    c = tmp_path / "d.csv"
    c.write_text('id,prompt,reference,choices,category\n1,2+2?,4,,math\n'
                 'c,Pick,B,"[""red"",""blue"",""green""]",\n')
    p = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": "1", "prompt": "2+2?", "reference": "4"}]), p)
    js = load_dataset(j)
    assert [s.id for s in js] == ["1", "b", "c"]
    assert js[1].messages[0]["role"] == "system"
    assert js[2].choices == ("red", "blue", "green")
    cs = load_dataset(c)
    assert cs[0].category == "math" and cs[1].choices == ("red", "blue", "green")
    assert load_dataset(p)[0].reference == "4"


@pytest.mark.parametrize(("content", "expected"), [
    ('{"id": 1, "prompt": "a"}\n{"id": 2}\n', ":2: field '(row)'"),
    ('{"id": 1, "prompt": "a"}\n{"id": 1, "prompt": "b"}\n', ":2: field 'id': '1' already"),
    ('{"id": 1, "prompt": "a", "colour": 1}\n', ":1: field 'colour': unknown field"),
    ('{"id": 1, "prompt": "a"}\nnot json\n', ":2: invalid JSON"),
    ('{"id": 1, "prompt": "a", "choices": ["x"]}\n', "between 2 and 26"),
    ('{"id": 1, "messages": [{"content": "x"}]}\n', "messages[0] needs 'role'"),
])
def test_errors_name_file_line_field(tmp_path: Path, content: str, expected: str) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text(content)
    with pytest.raises(DatasetError) as exc:
        load_dataset(f)
    assert str(f) in str(exc.value) and expected in str(exc.value)


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"unsupported dataset format '\.txt'"):
        (tmp_path / "x.txt").write_text("hi")
        load_dataset(tmp_path / "x.txt")
    with pytest.raises(DatasetError, match="file not found"):
        load_dataset(tmp_path / "none.jsonl")


def _score(spec: dict[str, object], ref: object, text: str, finish: str = "stop",
           choices: tuple[str, ...] | None = None) -> str:
    scorer = build_scorer(ScorerSpec.model_validate(spec))
    s = Sample("x", ({"role": "user", "content": "q"},), ref, choices)
    return scorer(s, ModelOutput(text, "", finish)).status


def test_scorers() -> None:
    assert _score({"type": "exact"}, "Paris", " paris ") == "ok"
    assert _score({"type": "exact", "case_sensitive": True}, "Paris", "paris") == "wrong"
    assert _score({"type": "normalized"}, "The Paris", "paris.") == "ok"
    assert _score({"type": "contains"}, ["北京", "Beijing"], "首都是北京。") == "ok"
    assert _score({"type": "numeric"}, "1234", "The total is 1,234 yuan.") == "ok"
    assert _score({"type": "numeric", "tolerance": 0.01}, "3.14", "about 3.1416") == "ok"
    assert _score({"type": "numeric"}, "0.5", "The rate is 50%.") == "ok"
    assert _score({"type": "numeric", "relative": False, "tolerance": 0.5}, "10", "9.6") == "ok"
    assert _score({"type": "numeric"}, "42", "I am not sure.") == "no-answer"
    assert _score({"type": "numeric"}, "42", "Let me compute 6 times", "length") == "truncated"
    assert _score({"type": "regex", "pattern": r"ID-(\d+)"}, "77", "ref ID-12 then ID-77") == "ok"
    assert _score({"type": "json"}, None, '```json\n{"a": 1}\n```') == "ok"
    assert _score({"type": "json"}, None, "{a: 1}") == "no-answer"
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}
    assert _score({"type": "json", "schema": schema}, None, '{"a": "x"}') == "wrong"
    assert _score({"type": "choice"}, "B", "答案：B", choices=("x", "y", "z")) == "ok"
    assert _score({"type": "exact"}, "a", "   ") == "no-answer"


def test_bad_scorer_spec_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text('{"id": 1, "prompt": "a"}\n')
    t = tmp_path / "t.yaml"
    t.write_text("name: t\ndataset: d.jsonl\nscorer:\n  type: regex\n  pattern: '('\n")
    with pytest.raises(ConfigError, match=r"t.yaml:3: scorer: .*not a valid regular"):
        load_task(t)


@pytest.mark.parametrize(("scorer", "expected"), [
    ("{type: contains, pattern: 'x'}", "'pattern' applies to scorer type regex, not 'contains'"),
    ("{type: exact, multi: true}", "'multi' applies to scorer type choice, not 'exact'"),
    ("{type: choice, tolerance: 0.5}", "'tolerance' applies to scorer type numeric, not "
                                       "'choice'"),
    ("{type: numeric, schema: {type: object}}", "'schema' applies to scorer type json"),
    ("{type: json, case_sensitive: true}", "'case_sensitive' applies to scorer type contains "
                                           "and exact and regex, not 'json'"),
    ("{type: exact, args: {k: 1}}", "'args' applies to plugin scorers"),
])
def test_an_option_of_another_scorer_type_is_refused(tmp_path: Path, scorer: str,
                                                     expected: str) -> None:
    # It would be ignored: "contains" with a "pattern" still checks containment.
    (tmp_path / "d.jsonl").write_text('{"id": 1, "prompt": "a", "reference": "1"}\n')
    t = tmp_path / "t.yaml"
    t.write_text(f"name: t\ndataset: d.jsonl\nscorer: {scorer}\n")
    with pytest.raises(ConfigError, match=rf"t\.yaml:3: scorer: {re.escape(expected)}"):
        load_task(t)
    # The options a type reads still load, set or left alone.
    t.write_text("name: t\ndataset: d.jsonl\nscorer: {type: numeric, tolerance: 0.5, "
                 "relative: false, case_sensitive: false}\n")
    assert load_task(t).spec["scorer"]["tolerance"] == 0.5


def test_task_renders_system_template_and_choices(tmp_path: Path) -> None:
    import orjson

    (tmp_path / "d.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in ROWS))
    t = tmp_path / "t.yaml"
    t.write_text("name: mine\nversion: 3\ndataset: d.jsonl\nsystem: S\n"
                 'template: "Q: {prompt}\\n{choices}"\nscorer: {type: exact}\n')
    task = load_task(t)
    assert task.version.startswith("3-")
    first = task.samples[0].messages
    assert first[0] == {"role": "system", "content": "S"} and first[1]["content"] == "Q: 2+2?\n"
    assert task.samples[2].messages[-1]["content"] == "Q: Pick\nA. red\nB. blue\nC. green"
    # The existing system message wins over the task's.
    assert task.samples[1].messages[0]["content"] == "Be brief."
    t.write_text("name: mine\nversion: 3\ndataset: d.jsonl\nsystem: other\n"
                 "scorer: {type: exact}\n")
    assert load_task(t).version != task.version


def test_a_row_error_counts_rows_and_says_what_an_id_may_be(tmp_path: Path) -> None:
    f = tmp_path / "ids.jsonl"
    f.write_text('{"id": 2.5, "prompt": "a"}\n{"id": {"k": 1}, "prompt": "b"}\n')
    with pytest.raises(DatasetError) as exc:
        load_dataset(f)
    text = str(exc.value)
    # Two rows, one line each, not one per member of ``str | int`` (``id.str``, ``id.int``).
    assert "2 invalid rows" in text and "id.str" not in text and "id.int" not in text
    assert f"{f}:1: field 'id': must be a string or a whole number, not float '2.5'" in text
    assert f"{f}:2: field 'id': must be a string or a whole number, not dict" in text


def test_a_nul_in_an_id_is_refused_before_anything_is_asked(tmp_path: Path) -> None:
    f = tmp_path / "nul.csv"
    f.write_bytes(b"id,prompt,reference\n1,hi,x\n\x00\x00,yo,y\n")
    with pytest.raises(DatasetError, match=r"nul.csv:3: field 'id': contains a NUL"):
        load_dataset(f)


def test_rows_that_would_ask_nothing_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "asks.jsonl"
    f.write_text('{"id": "a", "prompt": "  "}\n'
                 '{"id": "b", "messages": [{"role": "user", "content": "2+2?"}, '
                 '{"role": "assistant", "content": "4"}]}\n'
                 '{"id": "c", "messages": [{"role": "system", "content": "Be brief."}, '
                 '{"role": "user", "content": "2+2?"}]}\n')
    with pytest.raises(DatasetError) as exc:
        load_dataset(f)
    msg = str(exc.value)
    assert "2 invalid rows" in msg and "Value error" not in msg
    assert f"{f}:1: field '(row)': 'prompt' is empty; the model would be asked nothing" in msg
    assert f"{f}:2: field '(row)': the last message must be the user's" in msg


def test_an_empty_id_is_refused_with_its_line(tmp_path: Path) -> None:
    # Results, resumes and ``runs diff`` key on the id; a blank one cannot be told apart.
    f = tmp_path / "blank.jsonl"
    f.write_text('{"id": 1, "prompt": "hi"}\n{"id": "", "prompt": "yo"}\n'
                 '{"id": "  ", "prompt": "so"}\n')
    with pytest.raises(DatasetError) as exc:
        load_dataset(f)
    assert "2 invalid rows" in str(exc.value)
    assert f"{f}:2: field 'id': is empty; give every row a unique id" in str(exc.value)
    assert f"{f}:3: field 'id': is empty" in str(exc.value)


def _refusal(tmp_path: Path, rows: list[str], scorer: str) -> str:
    """The message of loading a task of ``rows`` (JSONL lines) with ``scorer``, which must
    refuse it."""
    (tmp_path / "d.jsonl").write_text("\n".join(rows) + "\n")
    (tmp_path / "t.yaml").write_text(f"name: t\ndataset: d.jsonl\nscorer: {scorer}\n")
    with pytest.raises(DatasetError) as exc:
        load_task(tmp_path / "t.yaml")
    return str(exc.value)


def test_choice_references_the_scorer_could_never_match_are_named(tmp_path: Path) -> None:
    rows = [
        '{"id": "past", "prompt": "q", "choices": ["x", "y", "z"], "reference": "D"}',
        '{"id": "text", "prompt": "q", "choices": ["Paris", "Rome"], "reference": "Paris"}',
        '{"id": "comma", "prompt": "q", "reference": "A, C"}',
        '{"id": "two", "prompt": "q", "reference": "AC"}',
        '{"id": "ok", "prompt": "q", "choices": ["x", "y", "z"], "reference": "c"}',
        '{"id": "list", "prompt": "q", "reference": ["B", "d"]}',
    ]
    msg = _refusal(tmp_path, rows, "{type: choice}")
    t = tmp_path / "t.yaml"
    assert msg.startswith(f"{tmp_path / 'd.jsonl'}: 4 of 6 rows have a reference that scorer "
                          f"'choice' of {t} can never match; nothing was run")
    assert "id past: reference 'D' is past the last option (A–C)" in msg
    assert "id text: reference 'Paris' is not option letters (A–B)" in msg
    assert "id comma: reference 'A, C' is not option letters (A–D)" in msg
    assert "id two: reference 'AC' has several letters, but the scorer is single-answer" in msg
    assert "id ok" not in msg and "id list" not in msg
    # A multi-answer scorer takes 'AC'; letters outside the options still stop it.
    t.write_text("name: t\ndataset: d.jsonl\nscorer: {type: choice, multi: true}\n")
    with pytest.raises(DatasetError) as exc:
        load_task(t)
    assert "3 of 6 rows" in str(exc.value) and "id two" not in str(exc.value)
    (tmp_path / "d.jsonl").write_text("\n".join(rows[3:]) + "\n")
    assert [s.id for s in load_task(t).samples] == ["two", "ok", "list"]


def test_numeric_references_that_hold_no_number_are_named(tmp_path: Path) -> None:
    rows = ['{"id": "word", "prompt": "q", "reference": "abc"}',
            '{"id": "obj", "prompt": "q", "reference": {"v": 4}}',
            '{"id": "bool", "prompt": "q", "reference": true}',
            '{"id": "two", "prompt": "q", "reference": "7 or 8"}',
            '{"id": "nan", "prompt": "q", "reference": "NaN"}',
            '{"id": "unit", "prompt": "q", "reference": "12 km"}',
            '{"id": "list", "prompt": "q", "reference": ["7", "8"]}',
            '{"id": "zh", "prompt": "q", "reference": "一百二十"}',
            '{"id": "float", "prompt": "q", "reference": 2.5}']
    msg = _refusal(tmp_path, rows, "{type: numeric}")
    assert "5 of 9 rows have a reference that scorer 'numeric'" in msg
    for sid, shown in (("word", "'abc'"), ("obj", "'{'v': 4}'"), ("bool", "'True'"),
                       ("two", "'7 or 8'"), ("nan", "'NaN'")):
        assert f"id {sid}: reference {shown} is not one number" in msg
    assert not any(f"id {sid}:" in msg for sid in ("unit", "list", "zh", "float"))


def test_a_directory_without_a_suffix_is_named_as_a_directory(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with pytest.raises(DatasetError, match="is a directory"):
        load_dataset(tmp_path / "data")


@pytest.mark.parametrize("scorer", ["exact", "normalized", "numeric", "contains", "choice"])
def test_rows_without_a_reference_stop_a_comparing_scorer(tmp_path: Path, scorer: str) -> None:
    # Without a reference every answer would be scored wrong, silently.
    (tmp_path / "d.csv").write_text("id,prompt,reference\n1,a,x\n2,b,\n")
    t = tmp_path / "t.yaml"
    t.write_text(f"name: t\ndataset: d.csv\nscorer: {{type: {scorer}}}\n")
    with pytest.raises(DatasetError) as exc:
        load_task(t)
    assert str(tmp_path / "d.csv") in str(exc.value)
    assert "1 of 2 rows have no 'reference' (ids: 2)" in str(exc.value)
    # Scorers that need no reference still load.
    t.write_text("name: t\ndataset: d.csv\nscorer: {type: regex, pattern: 'x'}\n")
    assert len(load_task(t).samples) == 2


@pytest.mark.parametrize(("template", "expected"), [
    ("Answer briefly.", "has no {prompt}"),
    ("Q: {prompt} {question}", "unknown field(s) {question}"),
    ("Q: {prompt", "expected '}'"),
])
def test_a_template_that_loses_the_question_is_refused(tmp_path: Path, template: str,
                                                       expected: str) -> None:
    (tmp_path / "d.jsonl").write_text('{"id": 1, "prompt": "a", "reference": "x"}\n')
    t = tmp_path / "t.yaml"
    t.write_text(f"name: t\ndataset: d.jsonl\nscorer: {{type: exact}}\ntemplate: '{template}'\n")
    with pytest.raises(ConfigError) as exc:
        load_task(t)
    assert f"{t}:4: template: " in str(exc.value) and expected in str(exc.value)


@pytest.mark.parametrize(("dimension", "expected"), [
    ("knowlege", "'knowlege' is close to the built-in 'knowledge'"),
    ("Math", "'Math' is close to the built-in 'math'"),
    ("long context", "'long context' is close to the built-in 'long-context'"),
])
def test_a_dimension_a_letter_away_from_a_built_in_one_is_refused(
        tmp_path: Path, dimension: str, expected: str) -> None:
    (tmp_path / "d.jsonl").write_text('{"id": 1, "prompt": "a", "reference": "1"}\n')
    t = tmp_path / "t.yaml"
    t.write_text(f"name: t\ndataset: d.jsonl\nscorer: {{type: exact}}\ndimension: {dimension}\n")
    with pytest.raises(ConfigError, match=rf"t\.yaml:4: dimension {re.escape(expected)}"):
        load_task(t)
    # A name of one's own, or a built-in one, loads.
    for own in ("legal", "knowledge"):
        t.write_text(f"name: t\ndataset: d.jsonl\nscorer: {{type: exact}}\ndimension: {own}\n")
        assert load_task(t).dimension == own
