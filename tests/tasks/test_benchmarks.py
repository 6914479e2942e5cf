"""Standard benchmark loaders, read from on-disk copies in the real formats, and their scorers.

Every loader test goes through ``load_benchmark(..., source=<dir or file>)``, the same call the
CLI makes; the fixtures in ``conftest.py`` write the published layouts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from baimo.errors import BaimoError, ConfigError, DatasetError, MissingDependency, NotFound
from baimo.tasks.benchmarks import (
    BENCHMARKS,
    CEVAL_SUBJECTS,
    CMMLU_SUBJECTS,
    MMLU_SUBJECTS,
    CsvSource,
    DiskSource,
    HubSource,
    MathFileSource,
    ModelScopeSource,
    allocate_limit,
    get_benchmark,
    gsm8k_scorer,
    load_benchmark,
    loglik_mcq_scorer,
    mcq_scorer,
    resolve_source,
    scorer_for,
)
from baimo.tasks.templates import get_template, render_loglik
from baimo.tasks.types import ModelOutput, Sample

# ------------------------------------------------------------------------- embedded subjects


def test_subject_tables_have_the_published_sizes() -> None:
    assert len(CEVAL_SUBJECTS) == 52
    assert len(CMMLU_SUBJECTS) == 67
    assert len(MMLU_SUBJECTS) == 57


def test_ceval_groups_and_chinese_names() -> None:
    groups = Counter(info.group for info in CEVAL_SUBJECTS.values())
    assert groups == {"STEM": 20, "Social Science": 10, "Humanities": 11, "Other": 11}
    assert CEVAL_SUBJECTS["computer_network"].zh == "计算机网络"
    assert CEVAL_SUBJECTS["clinical_medicine"].group == "Other"
    assert all(info.zh for info in CEVAL_SUBJECTS.values())


def test_mmlu_and_cmmlu_groups() -> None:
    mmlu = Counter(info.group for info in MMLU_SUBJECTS.values())
    assert mmlu == {"STEM": 18, "Humanities": 13, "Social Science": 12, "Other": 14}
    assert {info.group for info in CMMLU_SUBJECTS.values()} == {
        "STEM",
        "Social Science",
        "Humanities",
        "Other",
    }
    assert CMMLU_SUBJECTS["chinese_history"].china_specific
    assert not CMMLU_SUBJECTS["virology"].china_specific
    assert all(info.zh for info in CMMLU_SUBJECTS.values())


def test_unknown_benchmark_lists_known_ones() -> None:
    with pytest.raises(NotFound, match="ceval, cmmlu, mmlu, gsm8k"):
        get_benchmark("superglue")


# ------------------------------------------------------------------------- source resolution


def test_resolve_source_kinds(
    ceval_disk: Path, ceval_csv: Path, mmlu_all_disk: Path, gsm8k_jsonl: Path
) -> None:
    ceval, mmlu, gsm8k = BENCHMARKS["ceval"], BENCHMARKS["mmlu"], BENCHMARKS["gsm8k"]
    assert isinstance(resolve_source(ceval, None), HubSource)
    assert resolve_source(ceval, "hf:someone/ceval-copy").description == "hf:someone/ceval-copy"
    assert isinstance(resolve_source(ceval, "modelscope"), ModelScopeSource)
    assert isinstance(resolve_source(ceval, "modelscope:ns/ceval"), ModelScopeSource)
    disk = resolve_source(ceval, ceval_disk)
    assert isinstance(disk, DiskSource) and disk.per_subject
    whole = resolve_source(mmlu, str(mmlu_all_disk))
    assert isinstance(whole, DiskSource) and not whole.per_subject
    assert isinstance(resolve_source(ceval, ceval_csv), CsvSource)
    assert isinstance(resolve_source(gsm8k, gsm8k_jsonl / "test.jsonl"), MathFileSource)
    assert isinstance(resolve_source(gsm8k, gsm8k_jsonl), MathFileSource)


def test_unrecognised_directory_says_what_is_expected(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"save_to_disk.*computer_network_val\.csv"):
        load_benchmark("ceval", source=tmp_path)


def test_missing_local_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        load_benchmark("ceval", source=tmp_path / "nope")
    with pytest.raises(DatasetError, match="does not exist"):
        load_benchmark("ceval", source="./no/such/dir")


def test_single_file_only_for_gsm8k(gsm8k_jsonl: Path) -> None:
    with pytest.raises(DatasetError, match="single file"):
        load_benchmark("ceval", source=gsm8k_jsonl / "test.jsonl")


# ---------------------------------------------------------------------------------- C-Eval


def test_ceval_from_disk(ceval_disk: Path, sizes: dict[str, Any]) -> None:
    data = load_benchmark("ceval", source=ceval_disk)
    template = get_template("mcq-gen-zh")
    assert data.name == "ceval" and data.split == "val"
    assert data.subjects == ("computer_network", "law", "physician")  # C-Eval's own order
    assert len(data.samples) == sum(sizes["ceval"].values()) == data.available
    assert (data.template_id, data.template_version, data.template_hash) == (
        template.id,
        template.version,
        template.hash,
    )
    first = data.samples[0]
    assert first.id == "ceval/computer_network/val/0"
    assert first.reference == "A"
    assert first.choices == tuple(f"computer_network-val-0-{x}" for x in "ABCD")
    assert first.category == "computer_network"
    assert first.metadata["group"] == "STEM"
    assert first.metadata["subject_name"] == "计算机网络"
    assert first.metadata["template_hash"] == template.hash
    assert first.metadata["few_shot"] == 0
    content = first.messages[-1]["content"]
    assert "计算机网络" in content and "[computer_network/val/0]" in content
    assert "A. computer_network-val-0-A" in content
    references = [s.reference for s in data.samples if s.category == "law"]
    assert references == ["ABCD"[i % 4] for i in range(sizes["ceval"]["law"])]
    groups = {s.category: s.metadata["group"] for s in data.samples}
    assert groups == {"computer_network": "STEM", "law": "Humanities", "physician": "Other"}


def test_ceval_csv_and_disk_give_identical_samples(ceval_disk: Path, ceval_csv: Path) -> None:
    from_disk = load_benchmark("ceval", source=ceval_disk, few_shot=2, template="mcq-cot-zh")
    from_csv = load_benchmark("ceval", source=ceval_csv, few_shot=2, template="mcq-cot-zh")
    strip = [(s.id, s.messages, s.reference, s.choices, s.category) for s in from_disk.samples]
    assert strip == [
        (s.id, s.messages, s.reference, s.choices, s.category) for s in from_csv.samples
    ]


def test_ceval_test_split_has_no_answers(ceval_disk: Path) -> None:
    with pytest.raises(DatasetError, match=r"not published.*'val'"):
        load_benchmark("ceval", source=ceval_disk, split="test")


def test_unknown_split(ceval_disk: Path) -> None:
    with pytest.raises(NotFound, match="test, val, dev"):
        load_benchmark("ceval", source=ceval_disk, split="validation")


# -------------------------------------------------------------------------- few-shot (dev)


def test_few_shot_uses_first_dev_items_of_same_subject(ceval_disk: Path) -> None:
    data = load_benchmark("ceval", source=ceval_disk, subjects=["law"], few_shot=3)
    text = data.samples[0].messages[-1]["content"]
    positions = [text.index(f"[law/dev/{i}]") for i in range(3)]
    assert positions == sorted(positions)
    assert "[law/dev/3]" not in text
    assert "computer_network" not in text  # exemplars come from the same subject only
    assert positions[-1] < text.index("[law/val/0]")
    assert "答案：A" in text and "答案：C" in text
    assert "解析" not in text  # explanations only in the chain-of-thought variant
    assert len(data.samples[0].messages) == 1
    assert data.few_shot == 3 and data.samples[0].metadata["few_shot"] == 3


def test_ceval_cot_few_shot_includes_explanation(ceval_disk: Path) -> None:
    data = load_benchmark(
        "ceval", source=ceval_disk, subjects=["law"], few_shot=2, template="mcq-cot-zh"
    )
    text = data.samples[0].messages[-1]["content"]
    assert "解析：law 第0题的推理。\n答案：A" in text
    assert "请逐步思考" in text


def test_few_shot_more_than_dev_has(ceval_disk: Path, sizes: dict[str, Any]) -> None:
    with pytest.raises(DatasetError, match="only 5 item"):
        load_benchmark("ceval", source=ceval_disk, few_shot=sizes["dev"] + 1)


def test_few_shot_on_the_dev_split_would_leak(ceval_disk: Path) -> None:
    with pytest.raises(ConfigError, match="leak"):
        load_benchmark("ceval", source=ceval_disk, split="dev", few_shot=1)


# ----------------------------------------------------------------------------------- CMMLU


@pytest.mark.parametrize("fixture", ["cmmlu_csv", "cmmlu_disk"])
def test_cmmlu(fixture: str, request: pytest.FixtureRequest, sizes: dict[str, Any]) -> None:
    source = request.getfixturevalue(fixture)
    data = load_benchmark("cmmlu", source=source, few_shot=1)
    assert data.split == "test"
    assert data.subjects == ("agronomy", "chinese_history")
    assert len(data.samples) == sum(sizes["cmmlu"].values())
    sample = data.samples[-1]
    index = sizes["cmmlu"]["chinese_history"] - 1
    assert sample.id == f"cmmlu/chinese_history/test/{index}"
    assert sample.reference == "ABCD"[index % 4]
    assert sample.metadata["china_specific"] is True
    assert sample.metadata["group"] == "Humanities"
    assert "[chinese_history/dev/0]" in sample.messages[-1]["content"]


def test_cmmlu_csv_matches_disk(cmmlu_csv: Path, cmmlu_disk: Path) -> None:
    a = load_benchmark("cmmlu", source=cmmlu_csv, few_shot=2).samples
    b = load_benchmark("cmmlu", source=cmmlu_disk, few_shot=2).samples
    assert [(s.id, s.messages, s.reference) for s in a] == [
        (s.id, s.messages, s.reference) for s in b
    ]


# ------------------------------------------------------------------------------------ MMLU


@pytest.mark.parametrize("fixture", ["mmlu_disk", "mmlu_all_disk", "mmlu_csv"])
def test_mmlu_layouts(fixture: str, request: pytest.FixtureRequest, sizes: dict[str, Any]) -> None:
    data = load_benchmark("mmlu", source=request.getfixturevalue(fixture), few_shot=2)
    assert data.subjects == ("abstract_algebra", "world_religions")
    assert len(data.samples) == sum(sizes["mmlu"].values())
    first = data.samples[0]
    assert first.id == "mmlu/abstract_algebra/test/0"
    assert [s.reference for s in data.samples[:5]] == ["A", "B", "C", "D", "A"]  # index → letter
    assert first.metadata["group"] == "STEM"
    assert first.metadata["subject_name"] == "abstract algebra"
    text = first.messages[-1]["content"]
    assert "about abstract algebra" in text and "Answer: A\n" in text
    assert "[abstract_algebra/dev/1]" in text and "[abstract_algebra/dev/2]" not in text


def test_mmlu_validation_split_maps_to_release_val_folder(mmlu_csv: Path) -> None:
    data = load_benchmark("mmlu", source=mmlu_csv, split="validation")
    assert [s.id for s in data.samples][:2] == [
        "mmlu/abstract_algebra/validation/0",
        "mmlu/abstract_algebra/validation/1",
    ]


def test_mmlu_with_chinese_template_falls_back_to_english_subject_name(mmlu_disk: Path) -> None:
    data = load_benchmark(
        "mmlu", source=mmlu_disk, template="mcq-gen-zh", subjects=["abstract_algebra"]
    )
    assert "“abstract algebra”" in data.samples[0].messages[-1]["content"]


# ----------------------------------------------------------------------------------- GSM8K


@pytest.mark.parametrize(
    "where", ["jsonl_file", "jsonl_dir", "parquet_dir", "parquet_file", "disk"]
)
def test_gsm8k_sources(
    where: str, gsm8k_jsonl: Path, gsm8k_parquet: Path, gsm8k_disk: Path, sizes: dict[str, Any]
) -> None:
    source = {
        "jsonl_file": gsm8k_jsonl / "test.jsonl",
        "jsonl_dir": gsm8k_jsonl,
        "parquet_dir": gsm8k_parquet,
        "parquet_file": gsm8k_parquet / "main" / "test-00000-of-00001.parquet",
        "disk": gsm8k_disk,
    }[where]
    data = load_benchmark("gsm8k", source=source, few_shot=2)
    assert data.split == "test" and data.subjects == ()
    assert len(data.samples) == sizes["gsm8k_test"]
    last = data.samples[-1]
    assert last.id == f"gsm8k/test/{sizes['gsm8k_test'] - 1}"
    assert [s.reference for s in data.samples[:3]] == ["1000", "1250", "1500"]  # "1,000" → "1000"
    assert last.choices is None and last.category is None
    text = last.messages[-1]["content"]
    assert "[train/0]" in text and "[train/1]" in text and "[train/2]" not in text
    assert "<<" not in text  # calculator annotations are stripped from exemplars
    assert "Answer: 1000" in text and "Let's think step by step" in text
    assert data.template_id == "math-cot-en"


def test_gsm8k_hash_template_keeps_dataset_answer_style(gsm8k_jsonl: Path) -> None:
    data = load_benchmark("gsm8k", source=gsm8k_jsonl, few_shot=1, template="math-hash-en")
    assert "#### 1000" in data.samples[0].messages[-1]["content"]


def test_gsm8k_file_name_decides_split(gsm8k_jsonl: Path) -> None:
    data = load_benchmark("gsm8k", source=gsm8k_jsonl / "train.jsonl")
    assert data.split == "train" and data.samples[0].id == "gsm8k/train/0"


def test_gsm8k_few_shot_needs_train_split(tmp_path: Path, gsm8k_jsonl: Path) -> None:
    lonely = tmp_path / "test.jsonl"
    lonely.write_bytes((gsm8k_jsonl / "test.jsonl").read_bytes())
    assert len(load_benchmark("gsm8k", source=lonely).samples) > 0
    with pytest.raises(DatasetError, match="'train' split"):
        load_benchmark("gsm8k", source=lonely, few_shot=1)


def test_gsm8k_rejects_subjects_and_mcq_templates(gsm8k_jsonl: Path) -> None:
    with pytest.raises(ConfigError, match="no subjects"):
        load_benchmark("gsm8k", source=gsm8k_jsonl, subjects=["algebra"])
    with pytest.raises(ConfigError, match="math-cot-en"):
        load_benchmark("gsm8k", source=gsm8k_jsonl, template="mcq-gen-en")
    with pytest.raises(ConfigError, match="mcq-gen-zh"):
        load_benchmark("ceval", template="math-cot-en")


def test_malformed_rows_name_file_row_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "test.jsonl"
    bad.write_text(
        json.dumps({"question": "q", "answer": "no final line"}) + "\n", encoding="utf-8"
    )
    with pytest.raises(DatasetError, match=r"test\.jsonl.*row 0.*#### <number>"):
        load_benchmark("gsm8k", source=bad)
    bad.write_text(json.dumps({"question": "q"}) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="missing field 'answer'"):
        load_benchmark("gsm8k", source=bad)
    bad.write_text(
        json.dumps({"question": "q", "answer": "#### 1"}) + "\n{oops\n", encoding="utf-8"
    )
    with pytest.raises(DatasetError, match=r"test\.jsonl:2: invalid JSON"):
        load_benchmark("gsm8k", source=bad)


def test_bad_mcq_answer_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "val"
    folder.mkdir()
    (folder / "law_val.csv").write_text(
        "id,question,A,B,C,D,answer\n0,q,a,b,c,d,E\n", encoding="utf-8"
    )
    with pytest.raises(DatasetError, match=r"law_val\.csv row 0: field 'answer' is 'E'"):
        load_benchmark("ceval", source=tmp_path)


# --------------------------------------------------------------------------- subject filter


def test_subject_filter_and_group_shorthand(ceval_disk: Path, sizes: dict[str, Any]) -> None:
    data = load_benchmark("ceval", source=ceval_disk, subjects=["physician", "law"])
    assert data.subjects == ("law", "physician")  # benchmark order, not request order
    # A group means "the subjects of that group which the source has".
    data = load_benchmark("ceval", source=ceval_disk, subjects=["STEM"])
    assert data.subjects == ("computer_network",)
    assert len(data.samples) == sizes["ceval"]["computer_network"]


def test_unknown_subject_lists_valid_names_and_suggests(ceval_disk: Path) -> None:
    with pytest.raises(NotFound) as info:
        load_benchmark("ceval", source=ceval_disk, subjects=["computer_networks", "astrology"])
    message = str(info.value)
    assert "'computer_networks' (did you mean computer_network" in message
    assert "'astrology'" in message
    for subject in CEVAL_SUBJECTS:
        assert subject in message
    assert "STEM" in message


def test_known_subject_missing_from_local_copy(ceval_disk: Path) -> None:
    with pytest.raises(DatasetError, match=r"marxism not found.*computer_network, law, physician"):
        load_benchmark("ceval", source=ceval_disk, subjects=["marxism"])


def test_subject_errors_happen_before_any_reading() -> None:
    # No source given (the hub); the bad name must be reported without touching the network.
    with pytest.raises(NotFound):
        load_benchmark("cmmlu", subjects=["nonsense"])


# ------------------------------------------------------------------- limit and stratification


def test_allocation_gives_every_subject_one_then_proportional() -> None:
    counts = {"big": 100, "mid": 30, "small": 10, "tiny": 1}
    allocation = allocate_limit(counts, 20, seed=0)
    assert sum(allocation.values()) == 20
    assert all(allocation[s] >= 1 for s in counts)
    assert allocation["big"] > allocation["mid"] > allocation["small"] >= allocation["tiny"] == 1
    # 1 each, then 16 shared in proportion to (count - 1): exact shares 11.56, 3.39, 1.05, 0;
    # the floors (11, 3, 1, 0) leave one sample, which goes to the largest remainder (big).
    assert allocation == {"big": 13, "mid": 4, "small": 2, "tiny": 1}


def test_allocation_is_deterministic_and_capped() -> None:
    counts = {f"s{i}": 3 for i in range(10)}
    assert allocate_limit(counts, 15, seed=7) == allocate_limit(counts, 15, seed=7)
    for seed in range(20):
        allocation = allocate_limit(counts, 25, seed=seed)
        assert sum(allocation.values()) == 25
        assert all(1 <= n <= 3 for n in allocation.values())
    # Equal remainders: which subjects get the extra sample depends on the seed, not on names.
    winners = {
        tuple(s for s, n in allocate_limit(counts, 15, seed=seed).items() if n == 2)
        for seed in range(20)
    }
    assert len(winners) > 1


def test_allocation_below_subject_count_and_above_total() -> None:
    counts = {f"s{i}": 5 for i in range(8)}
    small = allocate_limit(counts, 3, seed=1)
    assert sum(small.values()) == 3 and set(small.values()) <= {0, 1}
    assert allocate_limit(counts, 1000, seed=1) == counts
    assert allocate_limit({"a": 0, "b": 4}, 2, seed=0) == {"a": 0, "b": 2}
    with pytest.raises(ValueError):
        allocate_limit(counts, 0, seed=0)


def test_limit_is_stratified_and_seeded(ceval_disk: Path, sizes: dict[str, Any]) -> None:
    data = load_benchmark("ceval", source=ceval_disk, limit=6, seed=3)
    per_subject = Counter(s.category for s in data.samples)
    expected = allocate_limit(sizes["ceval"], 6, seed=3)
    assert per_subject == expected
    assert set(per_subject) == set(sizes["ceval"])  # every subject represented
    assert data.available == sum(sizes["ceval"].values())
    again = load_benchmark("ceval", source=ceval_disk, limit=6, seed=3)
    assert [s.id for s in again.samples] == [s.id for s in data.samples]
    others = {
        tuple(s.id for s in load_benchmark("ceval", source=ceval_disk, limit=6, seed=k).samples)
        for k in range(5)
    }
    assert len(others) > 1  # the seed matters
    # Within a subject, picks keep dataset order.
    ids = [int(s.id.rsplit("/", 1)[1]) for s in data.samples if s.category == "computer_network"]
    assert ids == sorted(ids)


def test_limit_picks_of_a_subject_do_not_depend_on_other_subjects(
    ceval_disk: Path, sizes: dict[str, Any]
) -> None:
    together = load_benchmark("ceval", source=ceval_disk, limit=9, seed=5)
    law_quota = allocate_limit(sizes["ceval"], 9, seed=5)["law"]
    alone = load_benchmark("ceval", source=ceval_disk, subjects=["law"], limit=law_quota, seed=5)
    assert [s.id for s in alone.samples] == [s.id for s in together.samples if s.category == "law"]


def test_limit_below_subject_count(ceval_disk: Path) -> None:
    data = load_benchmark("ceval", source=ceval_disk, limit=2, seed=4)
    assert len(data.samples) == 2
    assert len(data.subjects) == 2  # two distinct subjects, one sample each
    assert {s.category for s in data.samples} == set(data.subjects)


def test_limit_without_subjects(gsm8k_jsonl: Path) -> None:
    data = load_benchmark("gsm8k", source=gsm8k_jsonl, limit=2, seed=0)
    assert len(data.samples) == 2 and data.available == 6


def test_bad_limit_and_few_shot(ceval_disk: Path) -> None:
    with pytest.raises(ConfigError):
        load_benchmark("ceval", source=ceval_disk, limit=0)
    with pytest.raises(ConfigError):
        load_benchmark("ceval", source=ceval_disk, few_shot=-1)


# -------------------------------------------------------------------------- hub and extras


def test_unreachable_hub_raises_actionable_error_quickly(hub_offline: dict[str, str]) -> None:
    # datasets reads the offline flags when it is imported, so the loads run in a fresh
    # process that inherits the environment set by the fixture, exactly as the CLI would.
    script = textwrap.dedent(
        """
        import json
        from baimo.tasks.benchmarks import load_benchmark
        for source in (None, "data/no-such-ceval"):
            try:
                load_benchmark("ceval", source=source, subjects=["law"])
            except Exception as exc:
                print(json.dumps({"type": type(exc).__name__, "message": str(exc)}))
        """
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    default, typo = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    assert default["type"] == typo["type"] == "DatasetError"
    message = default["message"]
    assert "ceval/ceval-exam" in message and "no network" in message
    assert "--source" in message and "save_to_disk" in message
    assert "computer_network_val.csv" in message
    # A relative path that does not exist looks like a hub id; the error says both.
    assert "no local path" in typo["message"] and "no-such-ceval" in typo["message"]
    assert elapsed < 60


def test_missing_datasets_package(monkeypatch: pytest.MonkeyPatch, ceval_disk: Path) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` fail
    with pytest.raises(MissingDependency, match=r"baimo\[hub\]"):
        load_benchmark("ceval", source=ceval_disk)


def test_modelscope_is_optional() -> None:
    try:
        import modelscope  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("modelscope is installed; the missing-package path cannot be observed")
    with pytest.raises(MissingDependency, match="modelscope"):
        load_benchmark("ceval", source="modelscope", subjects=["law"])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "nope"},
        {"name": "ceval", "subjects": ["x"]},
        {"name": "ceval", "template": "nope"},
    ],
)
def test_all_errors_are_user_facing(kwargs: dict[str, Any], ceval_disk: Path) -> None:
    with pytest.raises(BaimoError):
        load_benchmark(source=ceval_disk, **kwargs)


# --------------------------------------------------------------------------------- scorers


def _mcq_sample(reference: str = "B") -> Sample:
    return Sample(
        id="ceval/law/val/0",
        messages=({"role": "user", "content": "q"},),
        reference=reference,
        choices=("甲", "乙", "丙", "丁"),
        category="law",
    )


@pytest.mark.parametrize(
    ("text", "finish", "status", "extracted"),
    [
        ("分析如下……\n答案：B", "stop", "ok", "B"),
        ("Let's think step by step. The capital is ...\nAnswer: B", "stop", "ok", "B"),
        ("答案：C", "stop", "wrong", "C"),
        ("答案：B，不是C", "stop", "ok", "B"),
        ("我不确定这个问题。", "stop", "no-answer", None),
    ],
)
def test_mcq_scorer(text: str, finish: str, status: str, extracted: str | None) -> None:
    score = mcq_scorer(_mcq_sample(), ModelOutput(text=text, finish_reason=finish))
    assert score.status == status
    assert score.extracted == extracted
    assert score.value == (1.0 if status == "ok" else 0.0)
    assert "method" in score.details


def test_mcq_scorer_truncated_is_not_wrong() -> None:
    output = ModelOutput(text="首先，我们分析选项A的含义，然后", finish_reason="length")
    score = mcq_scorer(_mcq_sample(), output)
    assert score.status == "truncated" and score.value == 0.0


def test_mcq_scorer_without_choices_is_an_error() -> None:
    sample = Sample(id="x", messages=(), reference="A")
    assert mcq_scorer(sample, ModelOutput(text="Answer: A")).status == "error"


def test_loglik_scorer() -> None:
    sample = _mcq_sample("B")
    best = ModelOutput(text="", logprobs={"A": -2.0, "B": -0.1, "C": -3.0, "D": -4.0})
    assert loglik_mcq_scorer(sample, best).status == "ok"
    assert loglik_mcq_scorer(sample, best).extracted == "B"
    worse = ModelOutput(text="", logprobs={" A": -0.1, " B": -2.0, " C": -3.0, " D": -4.0})
    score = loglik_mcq_scorer(sample, worse)
    assert (score.status, score.extracted) == ("wrong", "A")
    tie = ModelOutput(text="", logprobs={"A": -1.0, "B": -1.0, "C": -3.0, "D": -4.0})
    score = loglik_mcq_scorer(sample, tie)
    assert score.status == "wrong" and score.details["tie"] == ["A", "B"]
    none = loglik_mcq_scorer(sample, ModelOutput(text="B"))
    assert none.status == "error" and "mcq-gen" in (none.reason or "")
    partial = loglik_mcq_scorer(sample, ModelOutput(text="", logprobs={"A": -1.0, "B": -0.5}))
    assert partial.status == "error" and "C, D" in (partial.reason or "")


def test_loglik_round_trip_from_loader(ceval_disk: Path) -> None:
    data = load_benchmark(
        "ceval", source=ceval_disk, subjects=["law"], template="mcq-loglik-zh", few_shot=1
    )
    sample = data.samples[1]  # reference "B"
    prompt, continuations = render_loglik(sample)
    assert prompt.endswith("答案：") and continuations == ["A", "B", "C", "D"]
    logprobs = {c.strip(): (-0.2 if c.strip() == "B" else -3.0) for c in continuations}
    assert data.scorer(sample, ModelOutput(text="", logprobs=logprobs)).status == "ok"


def _gsm_sample(reference: str = "1000") -> Sample:
    return Sample(
        id="gsm8k/test/0", messages=({"role": "user", "content": "q"},), reference=reference
    )


@pytest.mark.parametrize(
    ("text", "finish", "status"),
    [
        ("Tom has 996 + 4 = 1000 apples.\n#### 1000", "stop", "ok"),
        ("So he has 1,000 apples.\nAnswer: 1,000", "stop", "ok"),
        ("Answer: 999", "stop", "wrong"),
        ("I cannot solve this.", "stop", "no-answer"),
        ("Tom starts with 996 apples and then", "length", "truncated"),
    ],
)
def test_gsm8k_scorer(text: str, finish: str, status: str) -> None:
    score = gsm8k_scorer(_gsm_sample(), ModelOutput(text=text, finish_reason=finish))
    assert score.status == status
    assert score.value == (1.0 if status == "ok" else 0.0)


def test_scorer_matches_template_kind(gsm8k_jsonl: Path, ceval_disk: Path) -> None:
    assert load_benchmark("gsm8k", source=gsm8k_jsonl, limit=1).scorer is gsm8k_scorer
    assert load_benchmark("ceval", source=ceval_disk, limit=1).scorer is mcq_scorer
    assert scorer_for("mcq-loglik") is loglik_mcq_scorer


def test_end_to_end_scoring_of_loaded_samples(ceval_disk: Path) -> None:
    data = load_benchmark("ceval", source=ceval_disk, limit=4, seed=1)
    statuses = [
        data.scorer(
            s, ModelOutput(text=f"解析略。\n答案：{s.reference}", finish_reason="stop")
        ).status
        for s in data.samples
    ]
    assert statuses == ["ok"] * 4


def test_subject_filter_as_comma_list_and_empty(ceval_disk: Path) -> None:
    data = load_benchmark("ceval", source=ceval_disk, subjects="law, physician")
    assert data.subjects == ("law", "physician")
    with pytest.raises(ConfigError, match="empty"):
        load_benchmark("ceval", source=ceval_disk, subjects=[])
