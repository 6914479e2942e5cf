"""Loaders and scorers for the standard benchmarks: C-Eval, CMMLU, MMLU, GSM8K, MATH and GPQA.

MATH answers are LaTeX (``\\boxed{}``): compared by normalised expression, then by value and
symbolic equivalence with ``math-verify`` (``latex_equal``). GPQA's four options are shuffled
per question with a seed (``gpqa_permutation``); the seed and the permutation are stored in
each sample's metadata so the order can be rebuilt.

The loaders read the benchmarks in the layouts people actually have on disk or in a hub cache,
and turn them into ``Sample`` objects rendered by a versioned prompt template
(``baimo.tasks.templates``). Where the data comes from is decided in one place,
``resolve_source``:

* ``None`` or a hub id such as ``ceval/ceval-exam``: the Hugging Face Hub through
  ``datasets.load_dataset(id, subject, split=...)``. Without network this only works for
  datasets already in the local cache; the error says how to point at local data instead.
* ``"modelscope"`` or ``"modelscope:<namespace>/<name>"``: ModelScope's ``MsDataset``, when the
  ``modelscope`` package is installed.
* A directory written by ``datasets``' ``save_to_disk``: either one ``DatasetDict`` per subject
  (``<dir>/<subject>/``, the natural result of saving each hub config) or a single
  ``DatasetDict`` (GSM8K, or MMLU's ``all`` config with its ``subject`` column).
* A directory with the original release CSV files: C-Eval ``<dir>/val/<subject>_val.csv``,
  CMMLU ``<dir>/test/<subject>.csv``, MMLU ``<dir>/test/<subject>_test.csv`` (headerless),
  optionally under a ``data/`` folder as the archives unpack.
* For GSM8K, a ``.jsonl`` or ``.parquet`` file (the split it holds is read from its name), or a
  directory holding ``test.jsonl``/``train.jsonl`` or ``test-*.parquet`` shards.

The subject lists (names, Chinese names and category groups) are embedded below as data, so a
subject filter can be checked and reported before anything is read.

``limit`` draws a seeded sample stratified across subjects; see ``allocate_limit`` for the
scheme. Scorers for the three prompt kinds are at the end of the module; they use
``baimo.tasks.extract`` so that answer extraction has a single implementation.
"""

from __future__ import annotations

import csv
import difflib
import importlib
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from baimo.errors import ConfigError, DatasetError, MissingDependency, NotFound
from baimo.tabular import read_jsonl
from baimo.tasks.extract import Extraction, extract_choice, extract_number, numbers_equal
from baimo.tasks.outcome import decide
from baimo.tasks.scorers import scorer
from baimo.tasks.templates import (
    LETTERS,
    TEMPLATES,
    PromptItem,
    PromptTemplate,
    TemplateKind,
    get_template,
    render,
)
from baimo.tasks.types import ModelOutput, Sample, Score

Group = Literal["STEM", "Social Science", "Humanities", "Other"]
"""The four category groups used by C-Eval, CMMLU and MMLU reports."""

Row = dict[str, Any]


# ============================================================================================
# Subject lists (facts about the published benchmarks)
# ============================================================================================


@dataclass(frozen=True)
class SubjectInfo:
    """One subject (hub config) of a benchmark.

    Attributes:
        id: Config / file name, e.g. ``computer_network``.
        en: English display name.
        zh: Chinese display name, or None where the benchmark defines none (MMLU).
        group: Category group used for the STEM / Social Science / Humanities / Other breakdown.
        china_specific: CMMLU's extra "China specific" tag (reported as its own category there).
    """

    id: str
    en: str
    zh: str | None
    group: Group
    china_specific: bool = False

    def display(self, lang: str) -> str:
        """Subject name in the prompt's language; English when no Chinese name exists."""
        return self.zh if lang == "zh" and self.zh else self.en


# C-Eval: 52 subjects, Chinese names and groups as published with the benchmark.
_CEVAL: dict[str, tuple[str, Group]] = {
    "computer_network": ("计算机网络", "STEM"),
    "operating_system": ("操作系统", "STEM"),
    "computer_architecture": ("计算机组成", "STEM"),
    "college_programming": ("大学编程", "STEM"),
    "college_physics": ("大学物理", "STEM"),
    "college_chemistry": ("大学化学", "STEM"),
    "advanced_mathematics": ("高等数学", "STEM"),
    "probability_and_statistics": ("概率统计", "STEM"),
    "discrete_mathematics": ("离散数学", "STEM"),
    "electrical_engineer": ("注册电气工程师", "STEM"),
    "metrology_engineer": ("注册计量师", "STEM"),
    "high_school_mathematics": ("高中数学", "STEM"),
    "high_school_physics": ("高中物理", "STEM"),
    "high_school_chemistry": ("高中化学", "STEM"),
    "high_school_biology": ("高中生物", "STEM"),
    "middle_school_mathematics": ("初中数学", "STEM"),
    "middle_school_biology": ("初中生物", "STEM"),
    "middle_school_physics": ("初中物理", "STEM"),
    "middle_school_chemistry": ("初中化学", "STEM"),
    "veterinary_medicine": ("兽医学", "STEM"),
    "college_economics": ("大学经济学", "Social Science"),
    "business_administration": ("工商管理", "Social Science"),
    "marxism": ("马克思主义基本原理", "Social Science"),
    "mao_zedong_thought": ("毛泽东思想和中国特色社会主义理论体系概论", "Social Science"),
    "education_science": ("教育学", "Social Science"),
    "teacher_qualification": ("教师资格", "Social Science"),
    "high_school_politics": ("高中政治", "Social Science"),
    "high_school_geography": ("高中地理", "Social Science"),
    "middle_school_politics": ("初中政治", "Social Science"),
    "middle_school_geography": ("初中地理", "Social Science"),
    "modern_chinese_history": ("近代史纲要", "Humanities"),
    "ideological_and_moral_cultivation": ("思想道德修养与法律基础", "Humanities"),
    "logic": ("逻辑学", "Humanities"),
    "law": ("法学", "Humanities"),
    "chinese_language_and_literature": ("中国语言文学", "Humanities"),
    "art_studies": ("艺术学", "Humanities"),
    "professional_tour_guide": ("导游资格", "Humanities"),
    "legal_professional": ("法律职业资格", "Humanities"),
    "high_school_chinese": ("高中语文", "Humanities"),
    "high_school_history": ("高中历史", "Humanities"),
    "middle_school_history": ("初中历史", "Humanities"),
    "civil_servant": ("公务员", "Other"),
    "sports_science": ("体育学", "Other"),
    "plant_protection": ("植物保护", "Other"),
    "basic_medicine": ("基础医学", "Other"),
    "clinical_medicine": ("临床医学", "Other"),
    "urban_and_rural_planner": ("注册城乡规划师", "Other"),
    "accountant": ("注册会计师", "Other"),
    "fire_engineer": ("注册消防工程师", "Other"),
    "environmental_impact_assessment_engineer": ("环境影响评价工程师", "Other"),
    "tax_accountant": ("税务师", "Other"),
    "physician": ("医师资格", "Other"),
}

# CMMLU: 67 subjects. The group is the category of the subject's primary sub-category; the flag
# marks the subjects CMMLU additionally reports under "China specific".
_CMMLU: dict[str, tuple[str, Group, bool]] = {
    "agronomy": ("农学", "Other", False),
    "anatomy": ("解剖学", "STEM", False),
    "ancient_chinese": ("古汉语", "Social Science", True),
    "arts": ("艺术学", "Humanities", False),
    "astronomy": ("天文学", "STEM", False),
    "business_ethics": ("商业伦理", "Social Science", False),
    "chinese_civil_service_exam": ("中国公务员考试", "Social Science", True),
    "chinese_driving_rule": ("中国驾驶规则", "Other", True),
    "chinese_food_culture": ("中国饮食文化", "Social Science", True),
    "chinese_foreign_policy": ("中国外交政策", "Social Science", True),
    "chinese_history": ("中国历史", "Humanities", True),
    "chinese_literature": ("中国文学", "Humanities", True),
    "chinese_teacher_qualification": ("中国教师资格", "Social Science", True),
    "clinical_knowledge": ("临床知识", "Other", False),
    "college_actuarial_science": ("大学精算学", "STEM", False),
    "college_education": ("大学教育学", "Social Science", False),
    "college_engineering_hydrology": ("大学工程水文学", "STEM", False),
    "college_law": ("大学法律", "Humanities", False),
    "college_mathematics": ("大学数学", "STEM", False),
    "college_medical_statistics": ("大学医学统计", "STEM", False),
    "college_medicine": ("大学医学", "Other", False),
    "computer_science": ("计算机科学", "STEM", False),
    "computer_security": ("计算机安全", "Other", False),
    "conceptual_physics": ("概念物理学", "STEM", False),
    "construction_project_management": ("建设工程管理", "Other", True),
    "economics": ("经济学", "Social Science", False),
    "education": ("教育学", "Social Science", False),
    "electrical_engineering": ("电气工程", "STEM", False),
    "elementary_chinese": ("小学语文", "Social Science", True),
    "elementary_commonsense": ("小学常识", "Other", True),
    "elementary_information_and_technology": ("小学信息技术", "Other", False),
    "elementary_mathematics": ("初等数学", "STEM", False),
    "ethnology": ("民族学", "Social Science", True),
    "food_science": ("食品科学", "Other", False),
    "genetics": ("遗传学", "STEM", False),
    "global_facts": ("全球事实", "Humanities", False),
    "high_school_biology": ("高中生物", "STEM", False),
    "high_school_chemistry": ("高中化学", "STEM", False),
    "high_school_geography": ("高中地理", "Social Science", False),
    "high_school_mathematics": ("高中数学", "STEM", False),
    "high_school_physics": ("高中物理学", "STEM", False),
    "high_school_politics": ("高中政治", "Social Science", True),
    "human_sexuality": ("人类性行为", "Other", False),
    "international_law": ("国际法学", "Humanities", False),
    "journalism": ("新闻学", "Social Science", False),
    "jurisprudence": ("法理学", "Humanities", False),
    "legal_and_moral_basis": ("法律与道德基础", "Other", False),
    "logical": ("逻辑学", "Humanities", False),
    "machine_learning": ("机器学习", "STEM", False),
    "management": ("管理学", "Social Science", False),
    "marketing": ("市场营销", "Social Science", False),
    "marxist_theory": ("马克思主义理论", "Humanities", False),
    "modern_chinese": ("现代汉语", "Social Science", True),
    "nutrition": ("营养学", "Other", False),
    "philosophy": ("哲学", "Humanities", False),
    "professional_accounting": ("专业会计", "Social Science", False),
    "professional_law": ("专业法学", "Humanities", False),
    "professional_medicine": ("专业医学", "Other", False),
    "professional_psychology": ("专业心理学", "Social Science", False),
    "public_relations": ("公共关系", "Social Science", False),
    "security_study": ("安全研究", "Social Science", False),
    "sociology": ("社会学", "Social Science", False),
    "sports_science": ("体育学", "Other", False),
    "traditional_chinese_medicine": ("中医中药", "Other", True),
    "virology": ("病毒学", "STEM", False),
    "world_history": ("世界历史", "Humanities", False),
    "world_religions": ("世界宗教", "Humanities", False),
}

# MMLU: 57 subjects in the four groups of the original paper.
_MMLU: dict[Group, tuple[str, ...]] = {
    "STEM": (
        "abstract_algebra",
        "astronomy",
        "college_biology",
        "college_chemistry",
        "college_computer_science",
        "college_mathematics",
        "college_physics",
        "computer_security",
        "conceptual_physics",
        "electrical_engineering",
        "elementary_mathematics",
        "high_school_biology",
        "high_school_chemistry",
        "high_school_computer_science",
        "high_school_mathematics",
        "high_school_physics",
        "high_school_statistics",
        "machine_learning",
    ),
    "Humanities": (
        "formal_logic",
        "high_school_european_history",
        "high_school_us_history",
        "high_school_world_history",
        "international_law",
        "jurisprudence",
        "logical_fallacies",
        "moral_disputes",
        "moral_scenarios",
        "philosophy",
        "prehistory",
        "professional_law",
        "world_religions",
    ),
    "Social Science": (
        "econometrics",
        "high_school_geography",
        "high_school_government_and_politics",
        "high_school_macroeconomics",
        "high_school_microeconomics",
        "high_school_psychology",
        "human_sexuality",
        "professional_psychology",
        "public_relations",
        "security_studies",
        "sociology",
        "us_foreign_policy",
    ),
    "Other": (
        "anatomy",
        "business_ethics",
        "clinical_knowledge",
        "college_medicine",
        "global_facts",
        "human_aging",
        "management",
        "marketing",
        "medical_genetics",
        "miscellaneous",
        "nutrition",
        "professional_accounting",
        "professional_medicine",
        "virology",
    ),
}


def _english(subject_id: str) -> str:
    """Readable English name from a config name (``high_school_us_history`` → ``high school us
    history``); the benchmarks' own English names are exactly their config names spelled out."""
    return subject_id.replace("_", " ")


CEVAL_SUBJECTS: dict[str, SubjectInfo] = {
    sid: SubjectInfo(sid, _english(sid), zh, group) for sid, (zh, group) in _CEVAL.items()
}
CMMLU_SUBJECTS: dict[str, SubjectInfo] = {
    sid: SubjectInfo(sid, _english(sid), zh, group, china)
    for sid, (zh, group, china) in _CMMLU.items()
}
MMLU_SUBJECTS: dict[str, SubjectInfo] = {
    sid: SubjectInfo(sid, _english(sid), None, group)
    for group, sids in _MMLU.items()
    for sid in sids
}
# MATH (Hendrycks et al.): its seven subjects, the configs of EleutherAI/hendrycks_math.
MATH_SUBJECTS: dict[str, SubjectInfo] = {
    sid: SubjectInfo(sid, en, zh, "STEM") for sid, en, zh in (
        ("algebra", "Algebra", "代数"),
        ("counting_and_probability", "Counting & Probability", "计数与概率"),
        ("geometry", "Geometry", "几何"),
        ("intermediate_algebra", "Intermediate Algebra", "中级代数"),
        ("number_theory", "Number Theory", "数论"),
        ("prealgebra", "Prealgebra", "初等代数"),
        ("precalculus", "Precalculus", "微积分预备"),
    )
}


# ============================================================================================
# Benchmark specifications
# ============================================================================================


@dataclass(frozen=True)
class BenchmarkSpec:
    """Everything the loader needs to know about one benchmark's layout and schema.

    Attributes:
        name: Short name used on the command line and in sample ids.
        hub_id: Hugging Face dataset id.
        hub_config: Fixed config name (GSM8K's ``main``); None when each subject is a config.
        subjects: Subject table; empty for benchmarks without subjects.
        splits: Split names as the hub uses them.
        default_split: Split evaluated when none is given (the largest split with answers).
        few_shot_split: Where few-shot exemplars come from.
        default_template: Template id used when none is given.
        kind: ``mcq`` or ``math``; decides which templates fit.
        question_field, answer_field, id_field, explanation_field: Row field names.
        csv_path: Release CSV path relative to the data root, with ``{split}``/``{subject}``.
        csv_split_dirs: Release folder name for a split where it differs from the hub's.
        csv_columns: Column names for headerless CSVs (MMLU); None when the file has a header.
        unanswered_splits: Splits whose answers are not published (C-Eval ``test``).
    """

    name: str
    hub_id: str
    hub_config: str | None
    subjects: Mapping[str, SubjectInfo]
    splits: tuple[str, ...]
    default_split: str
    few_shot_split: str
    default_template: str
    kind: Literal["mcq", "math", "math-latex"]
    question_field: str = "question"
    answer_field: str = "answer"
    id_field: str | None = None
    explanation_field: str | None = None
    csv_path: str | None = None
    csv_split_dirs: Mapping[str, str] = field(default_factory=dict)
    csv_columns: tuple[str, ...] | None = None
    unanswered_splits: tuple[str, ...] = ()

    def template_fits(self, template: PromptTemplate) -> bool:
        """Whether a template's kind can ask this benchmark's questions."""
        if self.kind == "mcq":
            return template.is_mcq
        return template.kind == ("math-gen" if self.kind == "math" else "math-latex")


BENCHMARKS: dict[str, BenchmarkSpec] = {
    "ceval": BenchmarkSpec(
        name="ceval",
        hub_id="ceval/ceval-exam",
        hub_config=None,
        subjects=CEVAL_SUBJECTS,
        splits=("test", "val", "dev"),
        default_split="val",
        few_shot_split="dev",
        default_template="mcq-gen-zh",
        kind="mcq",
        id_field="id",
        explanation_field="explanation",
        csv_path="{split}/{subject}_{split}.csv",
        unanswered_splits=("test",),
    ),
    "cmmlu": BenchmarkSpec(
        name="cmmlu",
        hub_id="haonan-li/cmmlu",
        hub_config=None,
        subjects=CMMLU_SUBJECTS,
        splits=("test", "dev"),
        default_split="test",
        few_shot_split="dev",
        default_template="mcq-gen-zh",
        kind="mcq",
        question_field="Question",
        answer_field="Answer",
        csv_path="{split}/{subject}.csv",
    ),
    "mmlu": BenchmarkSpec(
        name="mmlu",
        hub_id="cais/mmlu",
        hub_config=None,
        subjects=MMLU_SUBJECTS,
        splits=("test", "validation", "dev", "auxiliary_train"),
        default_split="test",
        few_shot_split="dev",
        default_template="mcq-gen-en",
        kind="mcq",
        csv_path="{split}/{subject}_{split}.csv",
        csv_split_dirs={"validation": "val"},
        csv_columns=("question", "A", "B", "C", "D", "answer"),
    ),
    "gsm8k": BenchmarkSpec(
        name="gsm8k",
        hub_id="openai/gsm8k",
        hub_config="main",
        subjects={},
        splits=("train", "test"),
        default_split="test",
        few_shot_split="train",
        default_template="math-cot-en",
        kind="math",
    ),    "math": BenchmarkSpec(
        name="math",
        hub_id="EleutherAI/hendrycks_math",
        hub_config=None,
        subjects=MATH_SUBJECTS,
        splits=("train", "test"),
        default_split="test",
        few_shot_split="train",
        default_template="math-boxed-en",
        kind="math-latex",
        question_field="problem",
        answer_field="solution",
        id_field="unique_id",
    ),
    "gpqa": BenchmarkSpec(
        name="gpqa",
        hub_id="Idavidrein/gpqa",
        hub_config="gpqa_diamond",
        subjects={},
        splits=("train",),
        default_split="train",
        few_shot_split="train",
        default_template="mcq-cot-en",
        kind="mcq",
        question_field="Question",
        answer_field="Correct Answer",
        id_field="Record ID",
        explanation_field="Explanation",
    ),
}


def get_benchmark(name: str) -> BenchmarkSpec:
    """Look up a benchmark by its short name.

    Raises:
        NotFound: Unknown name; the message lists the known ones.
    """
    try:
        return BENCHMARKS[name.lower()]
    except KeyError:
        raise NotFound(
            f"Unknown benchmark {name!r}. Known benchmarks: {', '.join(BENCHMARKS)}."
        ) from None


# ============================================================================================
# Sources: where the rows come from (one resolution function, several readers)
# ============================================================================================

_META_FILES = ("dataset_dict.json", "state.json")
_MATH_FILE_PATTERNS = (
    "{split}.jsonl",
    "{split}.parquet",
    "{split}-*.parquet",
    "main/{split}.jsonl",
    "main/{split}-*.parquet",
    "data/{split}.jsonl",
)


class Source:
    """A place benchmark rows are read from. Subclasses implement ``rows``.

    Attributes:
        description: Human-readable origin, stored in sample metadata and shown in errors.
    """

    description: str

    def available_subjects(self, spec: BenchmarkSpec) -> list[str] | None:
        """Subjects present in this source, or None when every subject is assumed present.

        A local copy often holds only some subjects; reading the subject list from the source
        lets ``load_benchmark(..., subjects=None)`` mean "all that are here".
        """
        return None

    def default_split(self, spec: BenchmarkSpec) -> str:
        """Split to use when the caller gives none."""
        return spec.default_split

    def rows(self, spec: BenchmarkSpec, subject: str | None, split: str) -> list[Row]:
        """All rows of one subject (None for benchmarks without subjects) and split, in order."""
        raise NotImplementedError

    def where(self, spec: BenchmarkSpec, subject: str | None, split: str) -> str:
        """Where one subject's split lives, for error messages that must point at the data."""
        return f"{self.description} [{'/'.join(p for p in (subject, split) if p)}]"


def _import_datasets() -> Any:
    """Import ``datasets`` lazily: it is an optional, heavy dependency (the ``hub`` extra)."""
    try:
        return importlib.import_module("datasets")
    except ImportError:
        raise MissingDependency(
            "datasets", "hub", "loading standard benchmarks (C-Eval, CMMLU, MMLU, GSM8K)"
        ) from None


def _local_help(spec: BenchmarkSpec) -> str:
    """The local layouts this benchmark accepts, for error messages that must say what to do."""
    example = next(iter(spec.subjects), None)
    options = [
        "a directory written by datasets' save_to_disk "
        + (
            f"(one DatasetDict per subject, e.g. <dir>/{example}/)"
            if example
            else "(a DatasetDict)"
        )
    ]
    if spec.csv_path and example:
        split_dir = spec.csv_split_dirs.get(spec.default_split, spec.default_split)
        options.append(
            "the original release CSV files (e.g. <dir>/"
            + spec.csv_path.format(split=split_dir, subject=example)
            + ")"
        )
    if spec.kind == "math":
        options.append("a .jsonl or .parquet file (e.g. test.jsonl), or a directory holding them")
    return "; or ".join(options)


class HubSource(Source):
    """Rows from the Hugging Face Hub (or its local cache) via ``datasets.load_dataset``."""

    def __init__(self, hub_id: str, *, missing_path: Path | None = None) -> None:
        """Create a hub source.

        Args:
            hub_id: Dataset id on the Hugging Face Hub.
            missing_path: A local path spelled like ``hub_id`` that does not exist; the error
                mentions it, because a typo in a local path looks exactly like a hub id.
        """
        self.hub_id = hub_id
        self.missing_path = missing_path
        self.description = f"hf:{hub_id}"

    def rows(self, spec: BenchmarkSpec, subject: str | None, split: str) -> list[Row]:
        datasets = _import_datasets()
        config = subject if subject is not None else spec.hub_config
        try:
            dataset = datasets.load_dataset(self.hub_id, config, split=split)
        # Offline, not cached, no such config, scripts no longer supported: all of these are
        # fixed the same way, by pointing at local data, so they share one actionable error.
        except Exception as exc:
            local = (
                f" (and no local path {str(self.missing_path)!r} exists)"
                if self.missing_path is not None
                else ""
            )
            raise DatasetError(
                f"Could not load {self.hub_id!r} (config {config!r}, split {split!r}) from the "
                f"Hugging Face Hub{local}: {type(exc).__name__}: {exc}. "
                "This machine may have no network access; offline, the hub only serves datasets "
                "already in the local cache. Point the source (--source) at local data instead: "
                f"{_local_help(spec)}."
            ) from exc
        return [dict(row) for row in dataset.to_list()]


class ModelScopeSource(Source):
    """Rows from ModelScope via ``modelscope.MsDataset``; used only when that package exists."""

    def __init__(self, dataset_id: str) -> None:
        """Create a ModelScope source.

        Args:
            dataset_id: ModelScope dataset id (``namespace/name``).
        """
        self.dataset_id = dataset_id
        self.description = f"modelscope:{dataset_id}"

    def rows(self, spec: BenchmarkSpec, subject: str | None, split: str) -> list[Row]:
        try:
            msdatasets = importlib.import_module("modelscope.msdatasets")
        except ImportError:
            raise MissingDependency(
                "modelscope", None, "loading benchmarks from ModelScope"
            ) from None
        config = subject if subject is not None else spec.hub_config
        try:
            dataset = msdatasets.MsDataset.load(self.dataset_id, subset_name=config, split=split)
            if hasattr(dataset, "to_hf_dataset"):
                dataset = dataset.to_hf_dataset()
            return [dict(row) for row in dataset]
        except Exception as exc:  # network and naming failures alike need a local fallback
            raise DatasetError(
                f"Could not load {self.dataset_id!r} (subset {config!r}, split {split!r}) from "
                f"ModelScope: {type(exc).__name__}: {exc}. Without network access, point the "
                f"source at local data instead: {_local_help(spec)}."
            ) from exc


class DiskSource(Source):
    """Rows from ``save_to_disk`` output: one DatasetDict per subject, or a single one."""

    def __init__(self, root: Path, *, per_subject: bool) -> None:
        """Create a source over ``save_to_disk`` output.

        Args:
            root: The directory.
            per_subject: Whether it holds one DatasetDict per subject (``<root>/<subject>/``)
                rather than being a single DatasetDict.
        """
        self.root = root
        self.per_subject = per_subject
        self.description = str(root)
        self._cache: dict[Path, Any] = {}
        self._rows: dict[tuple[Path, str], list[Row]] = {}

    def _load(self, path: Path) -> Any:
        if path not in self._cache:
            datasets = _import_datasets()
            try:
                loaded = datasets.load_from_disk(str(path))
            except Exception as exc:  # a corrupt or foreign directory: say which one
                raise DatasetError(f"Could not read the saved dataset at {path}: {exc}") from exc
            if not isinstance(loaded, datasets.DatasetDict):
                raise DatasetError(
                    f"{path} holds a single Dataset without split names; save a DatasetDict "
                    "(e.g. DatasetDict({'test': ds}).save_to_disk(...)) so the split is known."
                )
            self._cache[path] = loaded
        return self._cache[path]

    def available_subjects(self, spec: BenchmarkSpec) -> list[str] | None:
        if not spec.subjects:
            return None
        if self.per_subject:
            return [s for s in spec.subjects if _is_saved_dataset(self.root / s)]
        present: set[str] = set()
        for split_data in self._load(self.root).values():
            if "subject" not in split_data.column_names:
                raise DatasetError(
                    f"{self.root} is one DatasetDict without a 'subject' column, so its rows "
                    "cannot be assigned to subjects; save one DatasetDict per subject under "
                    f"{self.root}/<subject>/ instead."
                )
            present.update(str(s) for s in split_data.unique("subject"))
        return [s for s in spec.subjects if s in present]

    def rows(self, spec: BenchmarkSpec, subject: str | None, split: str) -> list[Row]:
        path = self.root / subject if self.per_subject and subject is not None else self.root
        if self.per_subject and not _is_saved_dataset(path):
            raise DatasetError(f"Subject {subject!r} is not in {self.root}: {path} does not exist.")
        data = self._load(path)
        if split not in data:
            raise DatasetError(f"{path} has no split {split!r}; it has: {', '.join(sorted(data))}.")
        if (path, split) not in self._rows:
            # Converted once per split: a single DatasetDict (MMLU "all") is read for every
            # subject, and converting 14k rows 57 times would dominate the load time.
            self._rows[path, split] = [dict(row) for row in data[split].to_list()]
        rows = self._rows[path, split]
        if not self.per_subject and subject is not None:
            return [row for row in rows if row.get("subject") == subject]
        return list(rows)


class CsvSource(Source):
    """Rows from the benchmark's original release CSV files."""

    def __init__(self, root: Path) -> None:
        """Create a source over release CSV files.

        Args:
            root: The folder holding the split folders (``dev/``, ``val/``, ``test/``).
        """
        self.root = root
        self.description = str(root)

    def path(self, spec: BenchmarkSpec, subject: str, split: str) -> Path:
        """The release file of one subject and split."""
        assert spec.csv_path is not None
        split_dir = spec.csv_split_dirs.get(split, split)
        return self.root / spec.csv_path.format(split=split_dir, subject=subject)

    def available_subjects(self, spec: BenchmarkSpec) -> list[str] | None:
        return [
            s for s in spec.subjects if any(self.path(spec, s, sp).is_file() for sp in spec.splits)
        ]

    def where(self, spec: BenchmarkSpec, subject: str | None, split: str) -> str:
        return (
            str(self.path(spec, subject, split)) if subject else super().where(spec, subject, split)
        )

    def rows(self, spec: BenchmarkSpec, subject: str | None, split: str) -> list[Row]:
        if subject is None:
            raise DatasetError(f"{spec.name} has no subjects, so it has no CSV release layout.")
        path = self.path(spec, subject, split)
        if not path.is_file():
            raise DatasetError(f"Missing file {path} (subject {subject!r}, split {split!r}).")
        try:
            # utf-8-sig: some released CSVs start with a byte-order mark that would otherwise
            # end up inside the first column name.
            with path.open(encoding="utf-8-sig", newline="") as fh:
                if spec.csv_columns is None:
                    return [dict(row) for row in csv.DictReader(fh)]
                rows: list[Row] = []
                for n, values in enumerate(csv.reader(fh)):
                    if len(values) != len(spec.csv_columns):
                        raise DatasetError(
                            f"{path} row {n}: expected {len(spec.csv_columns)} columns "
                            f"({', '.join(spec.csv_columns)}), found {len(values)}."
                        )
                    rows.append(dict(zip(spec.csv_columns, values, strict=True)))
                return rows
        except (UnicodeDecodeError, csv.Error) as exc:
            raise DatasetError(f"{path} is not a readable UTF-8 CSV file: {exc}") from exc


class MathFileSource(Source):
    """GSM8K rows from ``.jsonl`` / ``.parquet`` files (a single file or a directory of them)."""

    def __init__(self, files: Mapping[str, Sequence[Path]], *, origin: Path) -> None:
        """Create a source over GSM8K data files.

        Args:
            files: Split → files; several files of one split are shards, read in order.
            origin: The file or directory the user named (used in messages).
        """
        self.files = {split: list(paths) for split, paths in files.items()}
        self.origin = origin
        self.description = str(origin)

    def default_split(self, spec: BenchmarkSpec) -> str:
        # A single file given on its own is the split to evaluate, whatever it is called.
        if self.origin.is_file():
            for split, paths in self.files.items():
                if self.origin in paths:
                    return split
        return spec.default_split

    def rows(self, spec: BenchmarkSpec, subject: str | None, split: str) -> list[Row]:
        paths = self.files.get(split)
        if not paths:
            raise DatasetError(
                f"No {split!r} split found at {self.origin}; found: "
                f"{', '.join(sorted(self.files)) or 'none'}. Expected files named like "
                f"{split}.jsonl or {split}-00000-of-00001.parquet"
                + (" next to the given file." if self.origin.is_file() else ".")
            )
        rows: list[Row] = []
        for path in paths:
            rows.extend(_read_jsonl(path) if path.suffix == ".jsonl" else _read_parquet(path))
        return rows

    def where(self, spec: BenchmarkSpec, subject: str | None, split: str) -> str:
        paths = self.files.get(split, [])
        return str(paths[0]) if len(paths) == 1 else super().where(spec, subject, split)


def _is_saved_dataset(path: Path) -> bool:
    """Whether ``path`` looks like ``save_to_disk`` output."""
    return path.is_dir() and any((path / meta).is_file() for meta in _META_FILES)


def _read_jsonl(path: Path) -> list[Row]:
    rows: list[Row] = []
    for lineno, value in read_jsonl(path, "dataset file"):
        if not isinstance(value, dict):
            raise DatasetError(f"{path}:{lineno}: expected a JSON object per line.")
        rows.append(value)
    return rows


def _read_parquet(path: Path) -> list[Row]:
    parquet = importlib.import_module("pyarrow.parquet")
    try:
        table = parquet.read_table(str(path))
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise DatasetError(f"{path} is not a readable parquet file: {exc}") from exc
    return [dict(row) for row in table.to_pylist()]


def _split_in_name(path: Path, splits: Sequence[str]) -> str | None:
    """The split a file's name names (``test-00000-of-00001.parquet`` → ``test``), if exactly one."""
    found = [s for s in splits if re.search(rf"(^|[^a-z]){re.escape(s)}([^a-z]|$)", path.stem)]
    return found[0] if len(found) == 1 else None


def _math_files(directory: Path, spec: BenchmarkSpec) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    for split in spec.splits:
        for pattern in _MATH_FILE_PATTERNS:
            matched = sorted(directory.glob(pattern.format(split=split)))
            if matched:
                files[split] = matched
                break
    return files


def resolve_source(spec: BenchmarkSpec, source: str | Path | None) -> Source:
    """Decide where a benchmark's rows come from. This is the only place that decides it.

    Args:
        spec: The benchmark.
        source: None for the default hub id; a hub id (optionally ``hf:<id>``); ``modelscope`` or
            ``modelscope:<id>``; or a local directory or (GSM8K) file.

    Returns:
        A ``Source`` to read rows from.

    Raises:
        DatasetError: A local path exists but its layout is not one this benchmark understands.
    """
    if source is None:
        return HubSource(spec.hub_id)
    text = str(source)
    if isinstance(source, str):
        if text == "modelscope":
            return ModelScopeSource(spec.hub_id)
        if text.startswith("modelscope:"):
            return ModelScopeSource(text.removeprefix("modelscope:"))
        if text.startswith("hf:"):
            return HubSource(text.removeprefix("hf:"))
    path = Path(text).expanduser()
    if not path.exists():
        looks_like_id = isinstance(source, str) and re.fullmatch(r"[\w.-]+(/[\w.-]+)?", text)
        if looks_like_id and not text.startswith("."):
            return HubSource(text, missing_path=path.resolve())
        raise DatasetError(f"The source {text!r} does not exist. Expected {_local_help(spec)}.")
    path = path.resolve()
    if path.is_file():
        if spec.kind != "math" or path.suffix not in (".jsonl", ".parquet"):
            raise DatasetError(
                f"{path} is a single file; {spec.name} is read from a directory: {_local_help(spec)}."
            )
        files = _math_files(path.parent, spec)
        own = _split_in_name(path, spec.splits) or spec.default_split
        files[own] = [path]
        return MathFileSource(files, origin=path)
    if _is_saved_dataset(path):
        return DiskSource(path, per_subject=False)
    if spec.kind == "math" and _is_saved_dataset(path / "main"):
        return DiskSource(path / "main", per_subject=False)
    if any(_is_saved_dataset(path / s) for s in spec.subjects):
        return DiskSource(path, per_subject=True)
    if spec.csv_path is not None:
        for base in (path, path / "data"):
            csv_source = CsvSource(base)
            if csv_source.available_subjects(spec):
                return csv_source
    if spec.kind == "math":
        files = _math_files(path, spec)
        if files:
            return MathFileSource(files, origin=path)
    raise DatasetError(
        f"Could not recognise the layout of {path} as {spec.name} data. Expected {_local_help(spec)}."
    )


# ============================================================================================
# Rows → prompt items
# ============================================================================================

_GSM8K_FINAL = re.compile(r"####\s*(.+?)\s*$", re.DOTALL)
_CALCULATOR = re.compile(r"<<[^<>]*>>")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class _Record:
    """One parsed row: a key for the sample id and the question with its answer."""

    key: str
    item: PromptItem


def _field(row: Row, name: str, where: str) -> Any:
    if name not in row or row[name] is None:
        raise DatasetError(f"{where}: missing field {name!r} (fields: {', '.join(sorted(row))}).")
    return row[name]


def _mcq_record(spec: BenchmarkSpec, row: Row, index: int, where: str) -> _Record:
    """Parse an MMLU/C-Eval/CMMLU row; the three differ only in field names and answer type."""
    question = str(_field(row, spec.question_field, where))
    if "choices" in row and row["choices"] is not None:
        choices = tuple(str(c) for c in row["choices"])
    else:
        choices = tuple(str(_field(row, letter, where)) for letter in LETTERS[:4])
    if not 2 <= len(choices) <= len(LETTERS):
        raise DatasetError(f"{where}: expected 2 to {len(LETTERS)} options, found {len(choices)}.")
    raw = _field(row, spec.answer_field, where)
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < len(choices):
        answer = LETTERS[raw]  # MMLU on the hub stores the answer as an index
    elif isinstance(raw, str) and raw.strip().upper() in LETTERS[: len(choices)]:
        answer = raw.strip().upper()
    else:
        raise DatasetError(
            f"{where}: field {spec.answer_field!r} is {raw!r}, expected one of "
            f"{', '.join(LETTERS[: len(choices)])} or an index 0-{len(choices) - 1}."
        )
    explanation: str | None = None
    if spec.explanation_field is not None and row.get(spec.explanation_field) is not None:
        explanation = str(row[spec.explanation_field]).strip() or None
    key = str(index)
    if spec.id_field is not None and row.get(spec.id_field) is not None:
        key = str(row[spec.id_field])
    return _Record(key, PromptItem(question, choices, answer, explanation))


def _math_record(spec: BenchmarkSpec, row: Row, index: int, where: str) -> _Record:
    """Parse a GSM8K row: the final answer is the number after ``####`` in the solution."""
    question = str(_field(row, spec.question_field, where))
    solution = str(_field(row, spec.answer_field, where))
    head, sep, tail = solution.rpartition("####")
    number = tail.strip().replace(",", "").replace("$", "")
    if not sep or not _NUMBER.fullmatch(number):
        raise DatasetError(
            f"{where}: the answer must end with '#### <number>', got {solution[-60:]!r}."
        )
    # The <<48/2=24>> spans are calculator annotations for tool use, not prose; exemplars
    # without them read like the worked solutions we ask the model to write.
    reasoning = _CALCULATOR.sub("", head).strip() or None
    return _Record(str(index), PromptItem(question, (), number, reasoning))


def boxed_answer(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox{...}``) in ``text``, braces
    balanced; None when there is none. MATH solutions mark their final answer this way."""
    for marker in ("\\boxed", "\\fbox"):
        start = text.rfind(marker + "{")
        if start < 0:
            continue
        i = start + len(marker) + 1
        depth = 1
        for j in range(i, len(text)):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    return text[i:j].strip()
        return None
    return None


def _latex_record(spec: BenchmarkSpec, row: Row, index: int, where: str) -> _Record:
    """Parse a MATH row: the final answer is the last ``\\boxed{}`` of the solution (or the
    row's ``answer`` field, as MATH-500 has it)."""
    question = str(_field(row, spec.question_field, where))
    solution = str(_field(row, spec.answer_field, where))
    answer = row.get("answer")
    final = str(answer).strip() if isinstance(answer, str) and answer.strip() else \
        boxed_answer(solution)
    if not final:
        raise DatasetError(f"{where}: the solution has no \\boxed{{...}} final answer "
                           f"(ends {solution[-60:]!r}).")
    key = str(row[spec.id_field]) if spec.id_field and row.get(spec.id_field) else str(index)
    reasoning = solution[:solution.rfind("\\boxed")].strip() or None
    return _Record(key, PromptItem(question, (), final, reasoning))


def gpqa_permutation(key: str, seed: int) -> list[int]:
    """The option order of one GPQA question: index 0 is the correct answer before the
    shuffle. Seeded by the run's seed and the question's id, so it is reproducible from the
    seed stored in the sample's metadata and independent of which questions are drawn."""
    order = [0, 1, 2, 3]
    random.Random(f"gpqa/{seed}/{key}").shuffle(order)
    return order


def _gpqa_record(spec: BenchmarkSpec, row: Row, index: int, where: str, seed: int) -> _Record:
    """Parse a GPQA row: the correct answer and three incorrect ones, shuffled (seeded)."""
    question = str(_field(row, spec.question_field, where)).strip()
    options = [str(_field(row, spec.answer_field, where)).strip()] + [
        str(_field(row, f"Incorrect Answer {i}", where)).strip() for i in (1, 2, 3)]
    key = str(row[spec.id_field]) if spec.id_field and row.get(spec.id_field) else str(index)
    order = gpqa_permutation(key, seed)
    choices = tuple(options[i] for i in order)
    answer = LETTERS[order.index(0)]
    explanation = row.get(spec.explanation_field or "")
    return _Record(key, PromptItem(question, choices, answer,
                                   str(explanation).strip() or None if explanation else None))


def _records(spec: BenchmarkSpec, source: Source, subject: str | None, split: str,
             seed: int = 0) -> list[_Record]:
    rows = source.rows(spec, subject, split)
    where = source.where(spec, subject, split)
    if spec.name == "gpqa":
        records = [_gpqa_record(spec, row, n, f"{where} row {n}", seed)
                   for n, row in enumerate(rows)]
    else:
        parse = {"mcq": _mcq_record, "math": _math_record,
                 "math-latex": _latex_record}[spec.kind]
        records = [parse(spec, row, n, f"{where} row {n}") for n, row in enumerate(rows)]
    seen: set[str] = set()
    for rec in records:
        if rec.key in seen:
            raise DatasetError(f"{where}: duplicate id {rec.key!r}; sample ids must be unique.")
        seen.add(rec.key)
    return records


# ============================================================================================
# Stratified limit
# ============================================================================================


def allocate_limit(counts: Mapping[str, int], limit: int, *, seed: int) -> dict[str, int]:
    """How many samples each subject contributes when only ``limit`` are wanted.

    The scheme, chosen so that a quick run is representative and reproducible:

    * ``limit`` ≥ total: every sample.
    * ``limit`` ≥ number of (non-empty) subjects: every subject gets one sample, and the rest
      (``limit`` − subjects) is shared in proportion to each subject's remaining size
      (count − 1) by the largest-remainder method. Shares can never exceed a subject's size,
      and the total is exactly ``limit``. Ties in the remainders are broken by a seeded random
      order, so no subject is favoured by its position in the alphabet.
    * ``limit`` < number of subjects: ``limit`` subjects are drawn uniformly with the seed, one
      sample each.

    Args:
        counts: Samples available per subject (a benchmark without subjects uses one key).
        limit: Number of samples wanted (≥ 1).
        seed: Random seed; the same seed and counts always give the same allocation.

    Returns:
        Samples per subject, for every key of ``counts`` (zero where none are taken).
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}.")
    total = sum(counts.values())
    if limit >= total:
        return dict(counts)
    rng = random.Random(f"{seed}:allocation")
    nonempty = [s for s in counts if counts[s] > 0]
    allocation = dict.fromkeys(counts, 0)
    if limit < len(nonempty):
        for subject in rng.sample(nonempty, limit):
            allocation[subject] = 1
        return allocation
    rest = limit - len(nonempty)
    capacity = total - len(nonempty)
    tie_break = {s: rng.random() for s in nonempty}
    remainders: dict[str, float] = {}
    for subject in nonempty:
        exact = rest * (counts[subject] - 1) / capacity if capacity else 0.0
        allocation[subject] = 1 + int(exact)
        remainders[subject] = exact - int(exact)
    leftover = limit - sum(allocation.values())
    for subject in sorted(nonempty, key=lambda s: (-remainders[s], tie_break[s]))[:leftover]:
        allocation[subject] += 1
    return allocation


def _pick(n: int, k: int, *, seed: int, stratum: str) -> list[int]:
    """``k`` of ``n`` row indices, seeded per stratum, in dataset order.

    Seeding each subject separately keeps a subject's picks unchanged when other subjects are
    added to or removed from the run (as long as its own quota is the same).
    """
    if k >= n:
        return list(range(n))
    return sorted(random.Random(f"{seed}:{stratum}").sample(range(n), k))


# ============================================================================================
# Loading
# ============================================================================================


@dataclass(frozen=True)
class BenchmarkData:
    """A loaded benchmark, ready to run.

    Attributes:
        name: Benchmark short name.
        samples: Rendered samples, grouped by subject in subject-list order.
        template_id, template_version, template_hash: The prompt used; the hash must be stored
            with every result so scores made with different prompts are never mixed.
        subjects: Subjects with at least one sample (empty for GSM8K).
        split: Split evaluated.
        few_shot: Number of exemplars per prompt.
        source: Where the rows came from.
        available: Number of samples before ``limit`` was applied.
        template_kind: The template's kind, which decides the scorer.
    """

    name: str
    samples: list[Sample]
    template_id: str
    template_version: int
    template_hash: str
    subjects: tuple[str, ...]
    split: str = ""
    few_shot: int = 0
    source: str = ""
    available: int = 0
    template_kind: TemplateKind = "mcq-gen"

    @property
    def scorer(self) -> Callable[[Sample, ModelOutput], Score]:
        """The scorer matching this benchmark's template kind."""
        return scorer_for(self.template_kind)


def _split_names(text: str) -> list[str]:
    """``"law, physician"`` → ``["law", "physician"]``: a comma list as typed on a command line."""
    return [part.strip() for part in text.split(",") if part.strip()]


def select_subjects(spec: BenchmarkSpec, subjects: Sequence[str] | None) -> list[str]:
    """Validate a subject filter against the embedded subject list.

    Args:
        spec: The benchmark.
        subjects: Requested subjects, or None for all. Category groups (``STEM``,
            ``Social Science``, ``Humanities``, ``Other``) are accepted as shorthands.

    Returns:
        Subject ids in the benchmark's own order, without duplicates.

    Raises:
        NotFound: A name is neither a subject nor a group; the message lists the valid names.
        ConfigError: Subjects were given for a benchmark that has none.
    """
    if subjects is None:
        return list(spec.subjects)
    if not spec.subjects:
        raise ConfigError(f"{spec.name} has no subjects; remove the subject filter.")
    if isinstance(subjects, str):
        subjects = _split_names(subjects)
    if not subjects:
        raise ConfigError(f"The {spec.name} subject filter is empty; omit it to use every subject.")
    groups = {info.group for info in spec.subjects.values()}
    wanted: set[str] = set()
    unknown: list[str] = []
    for name in subjects:
        key = name.strip()
        if key in spec.subjects:
            wanted.add(key)
        elif key in groups:
            wanted.update(s for s, info in spec.subjects.items() if info.group == key)
        else:
            unknown.append(key)
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, list(spec.subjects), n=3)
            hints.append(f"{name!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
        raise NotFound(
            f"Unknown {spec.name} subject(s): {'; '.join(hints)}. Valid subjects: "
            f"{', '.join(spec.subjects)}. Groups: {', '.join(sorted(groups))}."
        )
    return [s for s in spec.subjects if s in wanted]


def load_benchmark(
    name: str,
    *,
    source: str | Path | None = None,
    subjects: Sequence[str] | None = None,
    split: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    few_shot: int = 0,
    template: str | None = None,
) -> BenchmarkData:
    """Load a standard benchmark and render its questions with a versioned template.

    Args:
        name: ``ceval``, ``cmmlu``, ``mmlu`` or ``gsm8k``.
        source: Where to read from (see ``resolve_source``); None means the Hugging Face Hub.
        subjects: Subjects (or category groups) to include; None for all that the source has.
        split: Split to evaluate; defaults to the benchmark's largest answered split (C-Eval
            ``val``, the others ``test``).
        limit: Keep at most this many samples, drawn with ``allocate_limit`` (stratified by
            subject, seeded).
        seed: Seed for the limit draw.
        few_shot: Number of solved exemplars per prompt: the first k items of the same
            subject's dev split (GSM8K: of the train split).
        template: Template id; defaults to the benchmark's own (Chinese prompts for C-Eval and
            CMMLU, English for MMLU and GSM8K).

    Returns:
        The rendered samples with the template's id, version and hash.

    Raises:
        NotFound: Unknown benchmark, subject, split or template.
        ConfigError: Bad ``limit``/``few_shot``, or a template of the wrong kind.
        DatasetError: The data could not be read, is malformed, or lacks answers.
        MissingDependency: ``datasets`` (or ``modelscope``) is needed but not installed.
    """
    spec = get_benchmark(name)
    if isinstance(subjects, str):
        subjects = _split_names(subjects)
    tmpl = get_template(template or spec.default_template)
    if not spec.template_fits(tmpl):
        fitting = sorted(t.id for t in TEMPLATES.values() if spec.template_fits(t))
        raise ConfigError(
            f"Template {tmpl.id!r} ({tmpl.kind}) cannot ask {spec.name} questions; "
            f"use one of: {', '.join(fitting)}."
        )
    if limit is not None and limit < 1:
        raise ConfigError(f"limit must be at least 1, got {limit}.")
    if few_shot < 0:
        raise ConfigError(f"few_shot must be 0 or more, got {few_shot}.")
    chosen = select_subjects(spec, subjects)

    src = resolve_source(spec, source)
    split = split or src.default_split(spec)
    if split not in spec.splits:
        raise NotFound(f"{spec.name} has no split {split!r}; splits: {', '.join(spec.splits)}.")
    if split in spec.unanswered_splits:
        raise DatasetError(
            f"The answers of the {spec.name} {split!r} split are not published, so it cannot be "
            f"scored locally; use split {spec.default_split!r}."
        )
    if few_shot and split == spec.few_shot_split:
        raise ConfigError(
            f"Few-shot exemplars come from the {split!r} split, which is also the split being "
            "evaluated; the answers would leak into the prompts. Evaluate another split or use "
            "few_shot=0."
        )

    strata: list[str | None] = list(chosen) if spec.subjects else [None]
    if spec.subjects:
        present = src.available_subjects(spec)
        if present is not None:
            # Named subjects must be there; "all" and group shorthands mean "those present".
            named = set() if subjects is None else {s.strip() for s in subjects}
            absent = [s for s in chosen if s in named and s not in present]
            strata = [s for s in chosen if s in present]
            if absent:
                raise DatasetError(
                    f"Subject(s) {', '.join(absent)} not found in {src.description}; it has: "
                    f"{', '.join(present) or 'none'}."
                )
            if not strata:
                raise DatasetError(
                    f"None of the requested {spec.name} subjects are in {src.description}; it "
                    f"has: {', '.join(present) or 'none'}."
                )

    records = {s: _records(spec, src, s, split, seed) for s in strata}
    counts = {s or "": len(records[s]) for s in strata}
    quotas = allocate_limit(counts, limit, seed=seed) if limit is not None else counts

    samples: list[Sample] = []
    for subject in strata:
        quota = quotas[subject or ""]
        if quota == 0:
            continue
        shots = _few_shot(spec, src, subject, few_shot)
        info = spec.subjects[subject] if subject is not None else None
        for index in _pick(len(records[subject]), quota, seed=seed, stratum=subject or spec.name):
            sample = _sample(spec, tmpl, records[subject][index], info, split, shots, src)
            if spec.name == "gpqa":
                key = records[subject][index].key
                sample.metadata.update(shuffle_seed=seed,
                                       permutation=gpqa_permutation(key, seed))
            samples.append(sample)
    return BenchmarkData(
        name=spec.name,
        samples=samples,
        template_id=tmpl.id,
        template_version=tmpl.version,
        template_hash=tmpl.hash,
        subjects=tuple(s for s in strata if s is not None and quotas[s] > 0),
        split=split,
        few_shot=few_shot,
        source=src.description,
        available=sum(counts.values()),
        template_kind=tmpl.kind,
    )


def _few_shot(spec: BenchmarkSpec, src: Source, subject: str | None, k: int) -> list[PromptItem]:
    """The first ``k`` solved items of the subject's few-shot split.

    The *first* k, not a random k, because that is how these benchmarks' few-shot numbers are
    conventionally reported, and it keeps the prompt of a question independent of the seed.
    """
    if k == 0:
        return []
    records = _records(spec, src, subject, spec.few_shot_split)
    if len(records) < k:
        where = f"subject {subject!r}" if subject else spec.name
        raise DatasetError(
            f"few_shot={k} but the {spec.few_shot_split!r} split of {where} has only "
            f"{len(records)} item(s)."
        )
    return [rec.item for rec in records[:k]]


def _sample(
    spec: BenchmarkSpec,
    tmpl: PromptTemplate,
    record: _Record,
    info: SubjectInfo | None,
    split: str,
    shots: Sequence[PromptItem],
    src: Source,
) -> Sample:
    item = record.item
    question = PromptItem(item.question, item.choices)  # never hand the answer to the renderer
    subject_name = info.display(tmpl.lang) if info else ""
    messages = render(tmpl, question, subject=subject_name, shots=shots)
    metadata: dict[str, Any] = {
        "benchmark": spec.name,
        "split": split,
        "source": src.description,
        "template_id": tmpl.id,
        "template_version": tmpl.version,
        "template_hash": tmpl.hash,
        "few_shot": len(shots),
    }
    if info is not None:
        metadata.update(subject=info.id, subject_name=subject_name, group=info.group)
        if spec.name == "cmmlu":
            metadata["china_specific"] = info.china_specific
        sample_id = f"{spec.name}/{info.id}/{split}/{record.key}"
    else:
        sample_id = f"{spec.name}/{split}/{record.key}"
    return Sample(
        id=sample_id,
        messages=messages,
        reference=item.answer,
        choices=item.choices or None,
        category=info.id if info else None,
        metadata=metadata,
    )


# ============================================================================================
# Scorers
# ============================================================================================


def _extraction_details(extraction: Extraction, output: ModelOutput) -> dict[str, Any]:
    """What a result row keeps about how the answer was read.

    ``truncated`` is kept even for a scored answer: a response cut off after its answer marker
    still counts, but a run with many of them needs a larger token budget.
    """
    details: dict[str, Any] = {"method": extraction.method, "finish_reason": output.finish_reason}
    if extraction.truncated:
        details["truncated"] = True
    return details


@scorer("mcq-gen")
def mcq_scorer(sample: Sample, output: ModelOutput) -> Score:
    """Score a generative multiple-choice answer (the letter written by the model).

    Extraction is delegated to ``extract_choice``, which takes the *last* answer marker and
    knows the Chinese forms; "no answer found" and "cut off by max_tokens" stay separate from
    "wrong" because they call for different fixes (prompt vs token budget vs the model).
    """
    if not sample.choices:
        return Score(status="error", reason=f"Sample {sample.id} has no options to choose from.")
    question = sample.messages[-1].get("content") if sample.messages else None
    extraction = extract_choice(
        output.text, len(sample.choices), sample.choices, finish_reason=output.finish_reason,
        question=question,
    )
    details = _extraction_details(extraction, output)
    if extraction.status != "ok" or extraction.value is None:
        return decide(output, None, method=details.pop("method"),
                      reason="The answer was cut off by the token limit before a final "
                      "choice was given." if extraction.status == "truncated" else
                      "No option letter could be found in the answer.", **details)
    return decide(output, extraction.value == sample.reference, extraction.value,
                  method=details.pop("method"), **details)


@scorer("mcq-loglik")
def loglik_mcq_scorer(sample: Sample, output: ModelOutput) -> Score:
    """Score a log-likelihood answer: the option letter with the highest log-probability.

    ``output.logprobs`` maps each letter (as given by ``render_loglik``'s order) to the
    log-probability of that continuation. Missing logprobs mean the engine could not provide
    them, which is an error of the run, not a wrong answer.
    """
    if not sample.choices:
        return Score(status="error", reason=f"Sample {sample.id} has no options to choose from.")
    letters = LETTERS[: len(sample.choices)]
    if not output.logprobs:
        return Score(
            status="error",
            reason="The engine returned no log-probabilities; use a generative template "
            "(mcq-gen-*) for engines or APIs without logprobs.",
        )
    logprobs = {key.strip().upper(): value for key, value in output.logprobs.items()}
    missing = [letter for letter in letters if letter not in logprobs]
    if missing:
        return Score(
            status="error",
            reason=f"Log-probabilities are missing for option(s) {', '.join(missing)}.",
            details={"logprobs": logprobs},
        )
    best = max(letters, key=lambda letter: logprobs[letter])
    ties = [letter for letter in letters if logprobs[letter] == logprobs[best]]
    correct = best == sample.reference and len(ties) == 1
    details: dict[str, Any] = {
        "method": "loglik-argmax",
        "logprobs": {k: logprobs[k] for k in letters},
    }
    if len(ties) > 1:
        # A tie means the model did not prefer any option; crediting the first letter would
        # reward position bias, so ties count as wrong and are flagged.
        details["tie"] = ties
    return Score(
        status="ok" if correct else "wrong",
        value=1.0 if correct else 0.0,
        extracted=best,
        details=details,
    )


@scorer("math-gen")
def gsm8k_scorer(sample: Sample, output: ModelOutput) -> Score:
    """Score a GSM8K answer: the final number of the answer against the reference number.

    ``extract_number`` reads the final-answer line (``#### N``, ``Answer: N``, ``答案：N``) or
    the last number; comparison is numeric (``numbers_equal``), so ``18``, ``18.0`` and ``$18``
    all match ``18``.
    """
    extraction = extract_number(output.text, finish_reason=output.finish_reason)
    details = _extraction_details(extraction, output)
    if extraction.status != "ok" or extraction.value is None:
        return decide(output, None, method=details.pop("method"),
                      reason="The solution was cut off by the token limit before the final "
                      "answer." if extraction.status == "truncated" else
                      "No final number found in the answer.", **details)
    return decide(output, numbers_equal(extraction.value, str(sample.reference)),
                  extraction.value, method=details.pop("method"), **details)


_LATEX_NOISE = re.compile(r"\\(?:left|right|!|,|;|:|displaystyle)|\\[dt](?=frac)|\$|\s+")


def normalize_latex(text: str) -> str:
    """A LaTeX answer with presentation-only differences removed (spacing, ``\\left``,
    ``\\dfrac``/``\\tfrac``, ``$``, a trailing period, ``\\text{}`` around units)."""
    text = re.sub(r"\\text\{\s*([^{}]*)\}", r"\1", text.strip().rstrip("."))
    return _LATEX_NOISE.sub("", text)


def latex_equal(answer: str, reference: str) -> bool:
    """Whether two LaTeX answers are the same: by normalised expression first, then by value
    and symbolic equivalence with ``math-verify`` (which parses LaTeX into SymPy), so
    ``\\frac{1}{2}``, ``0.5`` and ``\\dfrac12`` agree and ``\\sqrt{8}`` equals ``2\\sqrt{2}``.

    Raises:
        MissingDependency: ``math-verify`` is not installed.
    """
    if normalize_latex(answer) == normalize_latex(reference):
        return True
    try:
        mv = importlib.import_module("math_verify")
    except ImportError:
        raise MissingDependency("MATH answers are compared with math-verify: pip install "
                                "'baimo[math]' (or: pip install math-verify)") from None
    # Signal-based timeouts only work on the main thread; inputs are short answers instead.
    gold = mv.parse(f"${reference[:400]}$", parsing_timeout=None)
    pred = mv.parse(f"${answer[:400]}$", parsing_timeout=None)
    if not gold or not pred:
        return False
    return bool(mv.verify(gold, pred, timeout_seconds=None))


_FINAL_LINE = re.compile(r"(?:final answer|answer|答案|最终答案)\s*[:：是为]?\s*(.+?)\s*$",
                         re.IGNORECASE)


@scorer("math-latex")
def math_latex_scorer(sample: Sample, output: ModelOutput) -> Score:
    """Score a MATH answer: the last ``\\boxed{}`` of the answer (else a final "Answer:"
    line) compared with the reference by ``latex_equal``."""
    found = boxed_answer(output.text)
    method = "boxed"
    if found is None:
        lines = [ln for ln in output.text.strip().splitlines() if ln.strip()]
        m = _FINAL_LINE.search(lines[-1]) if lines else None
        found, method = (m.group(1).strip().strip("$"), "answer-line") if m else (None, "none")
    if not found:
        return decide(output, None, method=method,
                      reason="No \\boxed{} or final answer line found.")
    return decide(output, latex_equal(found, str(sample.reference)), found[:200],
                  method=method)


_SCORERS: dict[str, Callable[[Sample, ModelOutput], Score]] = {
    "mcq-gen": mcq_scorer,
    "mcq-loglik": loglik_mcq_scorer,
    "math-gen": gsm8k_scorer,
    "math-latex": math_latex_scorer,
}


def scorer_for(kind: TemplateKind) -> Callable[[Sample, ModelOutput], Score]:
    """The scorer for a template kind (a template's kind fixes how its answers are read)."""
    return _SCORERS[kind]
