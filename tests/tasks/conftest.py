"""Fixtures that build small benchmark copies on disk in the formats the real loaders read.

Each fixture writes the same field names, split names and folder layout as the published
datasets (hub ``save_to_disk`` output, the original release CSVs, GSM8K jsonl/parquet), so the
tests exercise the exact code path the CLI uses with a real local copy. Questions are
synthetic; their text encodes subject, split and row so assertions can tell rows apart.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

LETTERS = "ABCD"

# Subjects of different sizes and groups, so stratified sampling has something to stratify.
CEVAL_SIZES = {"computer_network": 10, "law": 6, "physician": 4}  # STEM, Humanities, Other
CMMLU_SIZES = {"agronomy": 5, "chinese_history": 7}
MMLU_SIZES = {"abstract_algebra": 6, "world_religions": 3}
GSM8K_TEST = 6
GSM8K_TRAIN = 4
DEV_SIZE = 5


def answer_for(index: int) -> str:
    """The synthetic answer of row ``index``: cycles through the letters."""
    return LETTERS[index % 4]


def mcq_row(subject: str, split: str, index: int) -> dict[str, str]:
    """Question and options of one synthetic multiple-choice row."""
    return {
        "question": f"[{subject}/{split}/{index}] 下列哪一项是正确的？",
        **{letter: f"{subject}-{split}-{index}-{letter}" for letter in LETTERS},
    }


# ----------------------------------------------------------------------------------- C-Eval


def _ceval_rows(subject: str, split: str, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        row: dict[str, Any] = {"id": i, **mcq_row(subject, split, i)}
        row["answer"] = "" if split == "test" else answer_for(i)  # test answers are unpublished
        row["explanation"] = f"解析：{subject} 第{i}题的推理。" if split == "dev" else ""
        rows.append(row)
    return rows


def _ceval_splits(subject: str, n: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "test": _ceval_rows(subject, "test", 3),
        "val": _ceval_rows(subject, "val", n),
        "dev": _ceval_rows(subject, "dev", DEV_SIZE),
    }


@pytest.fixture(scope="session")
def ceval_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """C-Eval as ``DatasetDict.save_to_disk`` output, one directory per subject (hub schema)."""
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    features = datasets.Features(
        {
            "id": datasets.Value("int32"),
            "question": datasets.Value("string"),
            **{letter: datasets.Value("string") for letter in LETTERS},
            "answer": datasets.Value("string"),
            "explanation": datasets.Value("string"),
        }
    )
    root = tmp_path_factory.mktemp("ceval_disk")
    for subject, n in CEVAL_SIZES.items():
        splits = {
            split: datasets.Dataset.from_list(rows, features=features)
            for split, rows in _ceval_splits(subject, n).items()
        }
        datasets.DatasetDict(splits).save_to_disk(str(root / subject))
    return root


@pytest.fixture(scope="session")
def ceval_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """C-Eval in the release CSV layout: ``<root>/<split>/<subject>_<split>.csv``.

    As released, ``dev`` files carry an ``explanation`` column, ``val`` files an ``answer``
    column and ``test`` files neither.
    """
    root = tmp_path_factory.mktemp("ceval_csv")
    columns = {
        "dev": ["id", "question", *LETTERS, "answer", "explanation"],
        "val": ["id", "question", *LETTERS, "answer"],
        "test": ["id", "question", *LETTERS],
    }
    for subject, n in CEVAL_SIZES.items():
        for split, rows in _ceval_splits(subject, n).items():
            folder = root / split
            folder.mkdir(exist_ok=True)
            with (folder / f"{subject}_{split}.csv").open("w", encoding="utf-8", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=columns[split], extrasaction="ignore")
                writer.writeheader()
                writer.writerows(rows)
    return root


# ------------------------------------------------------------------------------------ CMMLU


def _cmmlu_rows(subject: str, split: str, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        base = mcq_row(subject, split, i)
        rows.append({"Question": base.pop("question"), **base, "Answer": answer_for(i)})
    return rows


@pytest.fixture(scope="session")
def cmmlu_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CMMLU release layout under ``data/``: ``data/<split>/<subject>.csv``.

    The released files start with an unnamed index column (``,Question,A,B,C,D,Answer``).
    """
    root = tmp_path_factory.mktemp("cmmlu_csv")
    for subject, n in CMMLU_SIZES.items():
        for split, size in (("test", n), ("dev", DEV_SIZE)):
            folder = root / "data" / split
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / f"{subject}.csv").open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["", "Question", *LETTERS, "Answer"])
                for i, row in enumerate(_cmmlu_rows(subject, split, size)):
                    writer.writerow([i, row["Question"], *(row[k] for k in LETTERS), row["Answer"]])
    return root


@pytest.fixture(scope="session")
def cmmlu_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CMMLU as per-subject ``save_to_disk`` output with the hub field names."""
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    root = tmp_path_factory.mktemp("cmmlu_disk")
    for subject, n in CMMLU_SIZES.items():
        datasets.DatasetDict(
            {
                "test": datasets.Dataset.from_list(_cmmlu_rows(subject, "test", n)),
                "dev": datasets.Dataset.from_list(_cmmlu_rows(subject, "dev", DEV_SIZE)),
            }
        ).save_to_disk(str(root / subject))
    return root


# ------------------------------------------------------------------------------------- MMLU

MMLU_SPLITS = {"test": None, "validation": 2, "dev": DEV_SIZE}


def _mmlu_rows(subject: str, split: str, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        base = mcq_row(subject, split, i)
        rows.append(
            {
                "question": base["question"],
                "subject": subject,
                "choices": [base[letter] for letter in LETTERS],
                "answer": i % 4,  # the hub stores an index into choices
            }
        )
    return rows


def _mmlu_dataset(datasets: Any, rows: list[dict[str, Any]]) -> Any:
    features = datasets.Features(
        {
            "question": datasets.Value("string"),
            "subject": datasets.Value("string"),
            "choices": datasets.Sequence(datasets.Value("string")),
            "answer": datasets.ClassLabel(names=list(LETTERS)),
        }
    )
    return datasets.Dataset.from_list(rows, features=features)


@pytest.fixture(scope="session")
def mmlu_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MMLU (``cais/mmlu`` schema, ClassLabel answers) saved one subject per directory."""
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    root = tmp_path_factory.mktemp("mmlu_disk")
    for subject, n in MMLU_SIZES.items():
        datasets.DatasetDict(
            {
                split: _mmlu_dataset(datasets, _mmlu_rows(subject, split, size or n))
                for split, size in MMLU_SPLITS.items()
            }
        ).save_to_disk(str(root / subject))
    return root


@pytest.fixture(scope="session")
def mmlu_all_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MMLU's ``all`` config saved as one DatasetDict; rows carry their ``subject``."""
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    root = tmp_path_factory.mktemp("mmlu_all")
    splits = {}
    for split, size in MMLU_SPLITS.items():
        rows = [
            row
            for subject, n in MMLU_SIZES.items()
            for row in _mmlu_rows(subject, split, size or n)
        ]
        splits[split] = _mmlu_dataset(datasets, rows)
    datasets.DatasetDict(splits).save_to_disk(str(root))
    return root


@pytest.fixture(scope="session")
def mmlu_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MMLU release layout (``data/test/<subject>_test.csv``, ``data/val/...``), no header."""
    root = tmp_path_factory.mktemp("mmlu_csv")
    for subject, n in MMLU_SIZES.items():
        for split, size in MMLU_SPLITS.items():
            folder_name = "val" if split == "validation" else split
            folder = root / "data" / folder_name
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{subject}_{folder_name}.csv"
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                for row in _mmlu_rows(subject, split, size or n):
                    writer.writerow([row["question"], *row["choices"], LETTERS[row["answer"]]])
    return root


# ------------------------------------------------------------------------------------ GSM8K


def gsm8k_row(split: str, index: int) -> dict[str, str]:
    """A GSM8K-style row: worked solution with calculator annotations, ending in ``#### N``."""
    value = 1000 + index * 250
    return {
        "question": f"[{split}/{index}] Tom has {value - 4} apples and buys 4 more. How many?",
        "answer": f"Tom has {value - 4} + 4 = <<{value - 4}+4={value}>>{value} apples.\n"
        f"#### {value:,}",
    }


@pytest.fixture(scope="session")
def gsm8k_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GSM8K as released on GitHub: ``test.jsonl`` and ``train.jsonl`` side by side."""
    root = tmp_path_factory.mktemp("gsm8k_jsonl")
    for split, n in (("test", GSM8K_TEST), ("train", GSM8K_TRAIN)):
        with (root / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(json.dumps(gsm8k_row(split, i)) + "\n")
    return root


@pytest.fixture(scope="session")
def gsm8k_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GSM8K as on the hub: ``main/<split>-00000-of-00001.parquet``."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    root = tmp_path_factory.mktemp("gsm8k_parquet")
    (root / "main").mkdir()
    for split, n in (("test", GSM8K_TEST), ("train", GSM8K_TRAIN)):
        table = pa.Table.from_pylist([gsm8k_row(split, i) for i in range(n)])
        pq.write_table(table, str(root / "main" / f"{split}-00000-of-00001.parquet"))
    return root


@pytest.fixture(scope="session")
def gsm8k_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GSM8K ``main`` config saved with ``DatasetDict.save_to_disk``."""
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    root = tmp_path_factory.mktemp("gsm8k_disk")
    datasets.DatasetDict(
        {
            split: datasets.Dataset.from_list([gsm8k_row(split, i) for i in range(n)])
            for split, n in (("test", GSM8K_TEST), ("train", GSM8K_TRAIN))
        }
    ).save_to_disk(str(root))
    return root


@pytest.fixture
def hub_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for a process that must not reach any hub: offline flags and an empty cache."""
    env = {
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_DATASETS_CACHE": str(tmp_path / "hf-datasets"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env


@pytest.fixture(scope="session")
def sizes() -> dict[str, Any]:
    """The sizes the fixtures were built with, so tests need not import this module."""
    return {
        "ceval": dict(CEVAL_SIZES),
        "cmmlu": dict(CMMLU_SIZES),
        "mmlu": dict(MMLU_SIZES),
        "gsm8k_test": GSM8K_TEST,
        "gsm8k_train": GSM8K_TRAIN,
        "dev": DEV_SIZE,
    }
