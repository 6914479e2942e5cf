"""Messy dataset and trace files, as users really have them: each one is read correctly or
refused with a message naming the file (and the line or field), never a traceback."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from baimo.errors import ConfigError, DatasetError
from baimo.perf.workload import load_trace
from baimo.tabular import MAX_CSV_FIELD
from baimo.tasks.dataset import load_dataset


def _write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# ------------------------------------------------------------------------- encodings

ZH_CSV = ("id,prompt,reference,category\n1,中国的首都是哪里？,北京,地理\n2,“长江”有多长？,6300公里,地理\n"
          "3,计算 3×4＝？（α±β）① —— 答案：,12,数学\n")


def test_gbk_csv_from_excel_is_read(tmp_path: Path) -> None:
    f = _write(tmp_path / "gbk.csv", ZH_CSV.encode("gbk"))
    samples = load_dataset(f)
    assert [s.messages[-1]["content"] for s in samples] == [
        "中国的首都是哪里？", "“长江”有多长？", "计算 3×4＝？（α±β）① —— 答案："]
    assert samples[0].reference == "北京" and samples[1].category == "地理"


def test_gb18030_and_utf8_sig_csv_are_read(tmp_path: Path) -> None:
    text = ZH_CSV.replace("地理", "𠀀地理")  # U+20000 exists in GB18030, not in GBK
    f = _write(tmp_path / "gb18030.csv", text.encode("gb18030"))
    assert load_dataset(f)[0].category == "𠀀地理"
    f = _write(tmp_path / "bom.csv", ZH_CSV.encode("utf-8-sig"))
    assert [s.id for s in load_dataset(f)] == ["1", "2", "3"]  # the BOM is not part of 'id'


def test_gbk_jsonl_is_read(tmp_path: Path) -> None:
    f = _write(tmp_path / "gbk.jsonl", '{"id": 1, "prompt": "你好，世界"}\n'.encode("gbk"))
    assert load_dataset(f)[0].messages[0]["content"] == "你好，世界"


def test_other_encodings_name_the_line_and_what_to_do(tmp_path: Path) -> None:
    f = _write(tmp_path / "latin.csv", "id,prompt\n1,ok\n2,naïve café\n".encode("cp1252"))
    with pytest.raises(DatasetError) as exc:
        load_dataset(f)
    msg = str(exc.value)
    assert f"{f}:3: not UTF-8 text" in msg and "GB18030" in msg and "iconv" in msg
    f = _write(tmp_path / "u16.csv", "id,prompt\n1,hi\n".encode("utf-16"))
    with pytest.raises(DatasetError, match=r"u16\.csv: the file is UTF-16.*iconv -f UTF-16"):
        load_dataset(f)


# ------------------------------------------------------------------------- CSV structure


def test_long_csv_field_is_read_up_to_the_limit(tmp_path: Path) -> None:
    long = "字" * 200_000  # over the csv module's default 128 KiB
    f = tmp_path / "long.csv"
    with f.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "prompt"], ["1", long], ["2", "short"]])
    samples = load_dataset(f)
    assert samples[0].messages[0]["content"] == long and samples[1].id == "2"
    assert csv.field_size_limit() == 131072  # the process-wide limit is restored


def test_csv_field_over_the_limit_is_refused(tmp_path: Path) -> None:
    f = _write(tmp_path / "huge.csv", "id,prompt\n1,ok\n2," + "x" * (MAX_CSV_FIELD + 10) + "\n")
    with pytest.raises(DatasetError) as exc:
        load_dataset(f)
    assert f"{f}:3: a field is longer than 16,777,216 characters" in str(exc.value)
    assert "JSONL" in str(exc.value)


def test_unterminated_quote_is_refused_at_the_line_it_opens(tmp_path: Path) -> None:
    f = _write(tmp_path / "quote.csv",
               'id,prompt,reference\n1,"fine, with ""quotes""",a\n2,"oops,b\n3,three,c\n'
               '4,four,d\n')
    with pytest.raises(DatasetError) as exc:
        load_dataset(f)
    assert f"{f}:3: a quote opened on this line is never closed" in str(exc.value)
    # the same file with the quote closed loads every row
    f.write_text('id,prompt,reference\n1,"fine, with ""quotes""",a\n2,"oops",b\n3,three,c\n')
    assert [s.id for s in load_dataset(f)] == ["1", "2", "3"]


def test_unterminated_quote_in_a_huge_tail_is_still_a_quote_error(tmp_path: Path) -> None:
    f = _write(tmp_path / "tail.csv", 'id,prompt\n1,"never closed\n' + "2,x\n" * 5_000_000)
    with pytest.raises(DatasetError, match=r"tail\.csv:2: a quote opened on this line"):
        load_dataset(f)


def test_multiline_quoted_field_keeps_line_numbers(tmp_path: Path) -> None:
    f = _write(tmp_path / "ml.csv", 'id,prompt\n1,"line one\nline two"\n2,ok\n,missing id\n')
    with pytest.raises(DatasetError) as exc:
        load_dataset(f)
    assert f"{f}:5: field 'id'" in str(exc.value)  # the row after a two-line field


def test_row_longer_than_header_and_duplicate_columns(tmp_path: Path) -> None:
    f = _write(tmp_path / "wide.csv", "id,prompt\n1,hello, world\n")
    with pytest.raises(DatasetError, match=r"wide\.csv:2: this row has 3 cells but the header "
                                           r"has 2 columns"):
        load_dataset(f)
    f = _write(tmp_path / "dup.csv", "id,prompt,prompt\n1,a,b\n")
    with pytest.raises(DatasetError, match=r"dup\.csv:1: column\(s\) prompt appear more"):
        load_dataset(f)


def test_excel_trailing_empty_rows_are_ignored(tmp_path: Path) -> None:
    f = _write(tmp_path / "excel.csv", "id,prompt,reference\r\n1,a,b\r\n,,\r\n,,\r\n")
    assert [s.id for s in load_dataset(f)] == ["1"]


# ------------------------------------------------------------------------- other files


def test_corrupt_and_truncated_parquet(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": str(i), "prompt": f"q{i}"}
                                         for i in range(50)]), good)
    assert len(load_dataset(good)) == 50
    for name, data in (("truncated.parquet", good.read_bytes()[:-40]),
                       ("garbage.parquet", b"PAR1" + os.urandom(300) + b"PAR1"),
                       ("text.parquet", b'{"id": 1, "prompt": "not parquet"}\n')):
        f = _write(tmp_path / name, data)
        with pytest.raises(DatasetError) as exc:
            load_dataset(f)
        assert str(exc.value).startswith(f"{f}: not a readable Parquet file"), exc.value


@pytest.mark.parametrize("name", ["data.jsonl", "data.csv", "data.parquet"])
def test_dataset_path_that_is_a_directory(tmp_path: Path, name: str) -> None:
    d = tmp_path / name
    d.mkdir()
    with pytest.raises(DatasetError, match=rf"{name}: is a directory; a dataset must be a "
                                           "regular file"):
        load_dataset(d)


def test_dataset_path_that_is_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(DatasetError, match=r"pipe\.jsonl: not a regular file"):
        load_dataset(fifo)


# ------------------------------------------------------------------------- perf traces


@pytest.mark.parametrize(("line", "expected"), [
    ({"offset": "soon", "prompt": "hi"}, "field 'offset' must be a number of seconds >= 0, "
                                         'not "soon"'),
    ({"offset": True, "prompt": "hi"}, "field 'offset' must be a number"),
    ({"timestamp": "12:00", "prompt": "hi"}, "field 'timestamp' must be a number of ms"),
    ({"offset": 0, "prompt": 42}, "field 'prompt' must be text, not 42"),
    ({"offset": 0, "messages": "hello"}, "field 'messages' must be a non-empty list"),
    ({"offset": 0, "messages": [{"role": "user", "content": 5}]}, "field 'messages[0]'"),
    ({"offset": 0, "messages": ["hi"]}, "field 'messages[0]'"),
    ({"offset": 0, "input_tokens": "100"}, "field 'input_tokens' must be a whole number"),
    ({"offset": 0, "input_length": 2.5}, "field 'input_length' must be a whole number"),
    ({"offset": 0, "prompt": "hi", "max_tokens": "64"}, "field 'max_tokens' must be a whole"),
    ({"offset": 0, "prompt": "hi", "output_length": -3}, "field 'output_length' must be a "
                                                          "whole number >= 1, not -3"),
    ([1, 2], "each line must be a JSON object"),
])
def test_trace_with_wrong_types(tmp_path: Path, line: object, expected: str) -> None:
    f = tmp_path / "trace.jsonl"
    f.write_bytes(orjson.dumps({"offset": 0, "prompt": "fine", "max_tokens": 8}) + b"\n\n"
                  + orjson.dumps(line) + b"\n")
    with pytest.raises(ConfigError) as exc:
        load_trace(f, None)
    msg = str(exc.value).replace("milliseconds", "ms")
    assert msg.startswith(f"{f}:3: ") and expected in msg, msg


def test_good_trace_and_trace_files_that_are_not_files(tmp_path: Path) -> None:
    f = tmp_path / "trace.jsonl"
    f.write_bytes(b'{"timestamp": 1500, "input_length": 12, "output_length": 4}\n'
                  b'{"offset": 0.5, "messages": [{"role": "user", "content": "\xe4\xbd\xa0"}]}\n')
    trace = load_trace(f, ["a ", "b "])
    assert trace.offsets() == [0.5, 1.5]
    assert trace.entries[1].input_tokens == 12 and trace.entries[1].max_tokens == 4
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(ConfigError, match=r"dir\.jsonl: is a directory"):
        load_trace(tmp_path / "dir.jsonl", None)
    with pytest.raises(ConfigError, match=r"nope\.jsonl: file not found"):
        load_trace(tmp_path / "nope.jsonl", None)


def test_gbk_facts_csv_for_scoring_is_read(tmp_path: Path) -> None:
    """``baimo score --facts`` reads analysts' spreadsheets the same way as datasets."""
    from baimo.scores.methodology import FactsTable

    f = _write(tmp_path / "facts.csv", "entity,indicator,value,source,as_of\n"
               "某厂商,training_data,4,年报,2023\n".encode("gbk"))
    fact = FactsTable.load(f).get("某厂商", "training_data")
    assert fact is not None and fact.source == "年报"
    _write(f, 'entity,indicator,value,source,as_of\n"open,training_data,4,x,2023\n')
    with pytest.raises(DatasetError, match=r"facts\.csv:2: a quote opened on this line"):
        FactsTable.load(f)
