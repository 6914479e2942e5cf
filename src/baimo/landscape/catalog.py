"""The landscape catalog: who makes which Chinese large model, how far along it is, and what the
published evaluations said about it.

The built-in catalog (``data/catalog.yaml``) is transcribed from the project's seed documents;
the census (``data/census.yaml``) holds the market-wide counts from the May 2024 NBD review.
Users keep their own additions and corrections in a YAML file in the baimo home directory,
merged over the built-in data, so that a fact they add never disappears when baimo is upgraded
and a built-in fact they correct keeps its original source next to theirs.

Why provenance is mandatory everywhere: the catalog mixes figures from four documents written
between 2023 and late 2024, plus a few widely reported facts the documents leave out. A number
is only useful for a decision if the reader can see where and when it was true, so every record,
every changed field and every evaluation value names its source and as-of date, and the loader
refuses data that does not.
"""

from __future__ import annotations

import codecs
import functools
import json
import os
import re
import stat
import tempfile
import unicodedata
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from baimo.errors import ConfigError, NotFound
from baimo.paths import baimo_home
from baimo.yamlio import (
    LocatedYaml,
    format_validation_error,
    load_data,
    parse_yaml,
    read_text,
)

# ---------------------------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------------------------

VendorKind = Literal[
    "internet-cloud", "ai-startup", "tech-vendor", "research", "inference-platform",
    "telecom", "industry", "unknown",
]
Stage = Literal["deployed", "pilot", "research"]
Weights = Literal["open", "closed", "mixed", "unknown"]
Filing = Literal["filed", "not-filed", "algorithm-filing"]
Domain = Literal["general", "vertical"]
Market = Literal["domestic", "overseas"]
Modality = Literal["text", "image", "video", "audio", "3d"]
FactField = Literal[
    "vendor", "vendor_kind", "model", "domain", "industry", "stage", "weights", "filing",
    "region", "released", "modalities", "platforms",
]

KIND_LABELS: dict[str, str] = {
    "internet-cloud": "互联网/云厂商 internet or cloud company",
    "ai-startup": "大模型创业公司 AI start-up",
    "tech-vendor": "技术类厂商 technology vendor",
    "research": "研究机构/高校 research institute or university",
    "inference-platform": "模型推理服务平台 inference platform",
    "telecom": "运营商 telecom operator",
    "industry": "行业企业 enterprise from another industry",
    "unknown": "未知 unknown",
}
STAGE_LABELS: dict[str, str] = {"deployed": "业务落地", "pilot": "业务试点", "research": "概念与研发"}
FILING_LABELS: dict[str, str] = {
    "filed": "已备案 filed",
    "not-filed": "未备案 not filed",
    "algorithm-filing": "算法备案 algorithm filing only",
}
WEIGHT_LABELS: dict[str, str] = {
    "open": "open weights",
    "closed": "closed (API or product only)",
    "mixed": "mixed (open and closed members)",
    "unknown": "unknown",
}

COMMON_KNOWLEDGE = "common-knowledge"
"""Source name for facts the seeds do not state but that are widely reported."""

FACT_FIELDS: tuple[str, ...] = get_args(FactField)
SETTABLE_FIELDS: frozenset[str] = frozenset({
    "vendor", "vendor_en", "vendor_kind", "model", "model_en", "family", "market", "domain",
    "industry", "stage", "weights", "filing", "region", "released",
})
"""Fields a user update may overwrite."""
APPENDABLE_FIELDS: frozenset[str] = frozenset({"aliases", "platforms", "modalities", "notes"})
"""List fields a user update extends (never shrinks: removing a built-in alias would silently
break links from measured models)."""

_AS_OF_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_ID_RE = re.compile(r"^[\w.\-]+/[\w.\-]+$")


def _as_of(value: Any) -> Any:
    """Accept YAML dates and bare years as well as ``YYYY[-MM[-DD]]`` strings.

    YAML turns ``2024-05-16`` into a ``date`` and ``2023`` into an ``int``; users should not
    have to quote dates to satisfy the loader.
    """
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and _AS_OF_RE.match(value.strip()):
        text = value.strip()
        # The pattern checks the shape; the calendar checks the month and the day
        # ("2030-02-31" and "2099-13-45" have the shape).
        parts = [int(p) for p in text.split("-")]
        try:
            date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        except ValueError as exc:
            raise ValueError(f"{text} is not a calendar date ({exc})") from None
        return text
    raise ValueError(f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")


AsOf = Annotated[str, BeforeValidator(_as_of)]


def slugify(text: str) -> str:
    """Lower-case ``text`` and join its words with ``-``; CJK characters are kept as they are.

    Raises:
        ConfigError: if nothing usable is left.
    """
    norm = unicodedata.normalize("NFKC", text).lower().replace("_", "-")
    slug = re.sub(r"[^\w.]+", "-", norm).strip("-.")
    slug = re.sub(r"-{2,}", "-", slug)
    if not slug:
        raise ConfigError(f"cannot make an id from {text!r}: it has no letters or digits.")
    return slug


def make_id(vendor: str, model: str) -> str:
    """The stable id of a record: ``slug(vendor)/slug(model)``."""
    return f"{slugify(vendor)}/{slugify(model)}"


# ---------------------------------------------------------------------------------------------
# Record models
# ---------------------------------------------------------------------------------------------


def _problems(exc: ValidationError, whole: str = "record") -> list[str]:
    """``field: problem`` per error of ``exc``, each problem once.

    pydantic reports a list whose item failed twice: the item's own error and, because the
    list is then shorter than its minimum, "should have at least 1 item"; only the first
    says what to fix, so a length error about a list with an error inside it is left out.
    The "Value error, " prefix is pydantic's, not the user's, and is dropped too.
    """
    errors = exc.errors()
    locs = [tuple(e["loc"]) for e in errors]
    out: list[str] = []
    for e, loc in zip(errors, locs, strict=True):
        if e["type"] == "too_short" and any(len(other) > len(loc) and other[:len(loc)] == loc
                                            for other in locs):
            continue
        msg = str(e["msg"]).removeprefix("Value error, ")
        line = f"{'.'.join(str(p) for p in loc) or whole}: {msg}"
        if line not in out:
            out.append(line)
    return out


_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s<>\"'`]+")


def credential_problem(text: str) -> str | None:
    """Why ``text`` (a source, a URL) must not be stored, or None.

    A URL carrying a user name or password (``https://user:pass@host/``) or a query
    parameter named like a credential (``?token=``, ``?sig=``; the rule of
    ``baimo.config``'s base URLs) is a secret, and the catalog is printed by ``show``,
    exported and copied into reports. The message names the kind of secret and shows the URL
    without it, never the secret itself.
    """
    from baimo.config import SECRET_PARAM

    for m in _URL_RE.finditer(text):
        url = m.group()
        scheme, rest = url.split("://", 1)
        netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
        path = rest[len(netloc):]
        query = path.split("#", 1)[0].split("?", 1)[1] if "?" in path.split("#", 1)[0] else ""
        clean = f"{scheme}://{netloc.rsplit('@', 1)[-1]}{re.split(r'[?#]', path)[0]}"
        if "@" in netloc:
            return ("a URL in it carries a user name or password (user:pass@host), which would "
                    "be stored in the catalog and printed by every show, export and report. "
                    f"Cite the URL without it: {clean}")
        names = [k for k, _ in urllib.parse.parse_qsl(query, keep_blank_values=True)]
        secret = [k for k in names if SECRET_PARAM.search(k)]
        if secret:
            return (f"a URL in it carries a credential in its query ({secret[0]}=...), which "
                    "would be stored in the catalog and printed by every show, export and "
                    f"report. Cite the URL without it: {clean}")
    return None


def _no_credential(value: str | None) -> str | None:
    if value is not None:
        problem = credential_problem(value)
        if problem is not None:
            raise ValueError(problem)
    return value


Source = Annotated[str, Field(min_length=1), AfterValidator(_no_credential)]
"""A citation: not empty, and no credential in a URL of it."""


def _in_future(as_of: str, today: date) -> bool:
    """Is ``YYYY[-MM[-DD]]`` after ``today`` (compared at its own precision)?

    A day of slack: ``today`` is this machine's date, and a user east of it (UTC+8 against a
    UTC server) may rightly give tomorrow's."""
    slack = today + timedelta(days=1)
    parts = tuple(int(p) for p in as_of.split("-"))
    return parts > (slack.year, slack.month, slack.day)[:len(parts)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provenance(_Strict):
    """Where a record (or some of its fields) comes from.

    Attributes:
        source: A seed file name, ``common-knowledge``, or (in user files) any citation.
        as_of: When the fact was true or published (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``).
        locator: Section or table inside the source.
        fields: The fields this entry vouches for; ``None`` vouches for the whole record.
        note: Free text, e.g. why a common-knowledge fact was added.
    """

    source: Source
    as_of: AsOf
    locator: str | None = None
    fields: tuple[FactField, ...] | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _knowledge_needs_fields(self) -> Provenance:
        if self.source == COMMON_KNOWLEDGE and self.fields is None:
            raise ValueError(
                "a common-knowledge entry must list the `fields` it vouches for, so that added "
                "facts stay distinguishable from transcribed ones")
        return self


class Evaluation(_Strict):
    """One published evaluation value, with its own source and date.

    ``subject`` is the name under which the evaluation lists the model or vendor (for example
    OpenCompass lists 智谱清言 as ``GLM4``); ``scope`` says whether a vendor or a model was
    scored (Frost & Sullivan scores vendors).
    """

    system: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    scope: Literal["model", "vendor"] = "model"
    dimension: str | None = None
    score: float | None = None
    rank: int | None = Field(default=None, ge=1)
    result: str | None = None
    source: Source
    as_of: AsOf
    locator: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _has_value(self) -> Evaluation:
        if self.score is None and self.rank is None and self.result is None:
            raise ValueError("an evaluation needs at least one of score, rank or result")
        return self


class Price(_Strict):
    """A published price, kept in the unit the source used."""

    item: str = Field(min_length=1)
    amount: float = Field(ge=0)
    currency: Literal["CNY", "USD"]
    unit: Literal["per-1m-tokens", "per-10k-tokens", "per-month"]
    direction: Literal["input", "output", "flat"] = "flat"
    source: Source
    as_of: AsOf
    note: str | None = None

    @property
    def per_1m_tokens(self) -> float | None:
        """The price per million tokens, or None for subscriptions."""
        if self.unit == "per-1m-tokens":
            return self.amount
        if self.unit == "per-10k-tokens":
            return self.amount * 100
        return None


class CatalogRecord(_Strict):
    """One model (or model family, or platform) of the landscape.

    Unknown stays unknown: a field is left empty (or ``unknown``) unless a source vouches for
    it, and the validator checks that every set fact field is covered by a provenance entry.
    """

    id: str
    vendor: str | None = None
    vendor_en: str | None = None
    vendor_kind: VendorKind = "unknown"
    model: str | None = None
    model_en: str | None = None
    family: str | None = None
    aliases: tuple[str, ...] = ()
    market: Market = "domestic"
    domain: Domain | None = None
    industry: str | None = None
    stage: Stage | None = None
    weights: Weights = "unknown"
    filing: Filing | None = None
    region: str | None = None
    released: AsOf | None = None
    modalities: tuple[Modality, ...] = ()
    platforms: tuple[str, ...] = ()
    prices: tuple[Price, ...] = ()
    evaluations: tuple[Evaluation, ...] = ()
    notes: tuple[str, ...] = ()
    provenance: tuple[Provenance, ...]

    @field_validator("provenance")
    @classmethod
    def _sourced(cls, v: tuple[Provenance, ...]) -> tuple[Provenance, ...]:
        # Here and not as ``min_length``: pydantic checks a length after dropping the items
        # that failed, so one bad entry was reported twice (as itself, and as "at least 1
        # item"); a validator runs only when every entry is valid.
        if not v:
            raise ValueError("a record needs at least one provenance entry: where its facts "
                             "come from (source) and when (as_of)")
        return v

    @field_validator("id")
    @classmethod
    def _valid_id(cls, v: str) -> str:
        if not _ID_RE.match(v) or v != v.lower():
            raise ValueError(
                f"id {v!r} must look like 'vendor/model' in lower case, without spaces")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> CatalogRecord:
        if self.domain == "vertical" and not self.industry:
            raise ValueError("a vertical (垂类) record must name its industry")
        if self.industry and self.domain != "vertical":
            raise ValueError("industry is only meaningful for domain: vertical")
        if self.vendor is None and self.model is None:
            raise ValueError("a record needs a vendor, a model, or both")
        for name in FACT_FIELDS:
            value = getattr(self, name)
            if value is None or value == () or (name in ("vendor_kind", "weights")
                                                and value == "unknown"):
                continue
            if not any(p.fields is None or name in p.fields for p in self.provenance):
                raise ValueError(
                    f"field '{name}' is set but no provenance entry vouches for it; add it to "
                    "the `fields` of a provenance entry (or omit `fields` to vouch for the "
                    "whole record)")
        return self

    @property
    def label(self) -> str:
        """Vendor and model for display."""
        return " · ".join(x for x in (self.vendor, self.model) if x)

    @property
    def sources(self) -> tuple[str, ...]:
        """Every source this record cites, in first-cited order."""
        seen: dict[str, None] = {}
        for p in self.provenance:
            seen.setdefault(p.source, None)
        for e in self.evaluations:
            seen.setdefault(e.source, None)
        for pr in self.prices:
            seen.setdefault(pr.source, None)
        return tuple(seen)

    def sources_for(self, field_name: str) -> list[Provenance]:
        """The provenance entries that vouch for ``field_name``, oldest first."""
        return [p for p in self.provenance if p.fields is None or field_name in p.fields]


class SourceInfo(_Strict):
    """A document the built-in catalog cites."""

    publisher: str
    title: str
    as_of: AsOf
    url: Annotated[str | None, AfterValidator(_no_credential)] = None
    note: str | None = None


class EvaluationSystem(_Strict):
    """An evaluation whose results the catalog quotes."""

    name: str
    publisher: str
    scale: str
    participants: int | None = None
    source: Source
    locator: str | None = None
    note: str | None = None


class RecordUpdate(_Strict):
    """A user's change to an existing record; ``source`` is required so no fact is anonymous."""

    id: str
    set: dict[str, Any] = Field(default_factory=dict)
    add: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    source: Source
    as_of: AsOf
    note: str | None = None

    @field_validator("source")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("an update needs a non-empty source")
        return v.strip()

    @model_validator(mode="after")
    def _known_fields(self) -> RecordUpdate:
        bad = sorted(set(self.set) - SETTABLE_FIELDS)
        if bad:
            raise ValueError(f"cannot set {', '.join(bad)}; settable fields: "
                             f"{', '.join(sorted(SETTABLE_FIELDS))}")
        bad = sorted(set(self.add) - APPENDABLE_FIELDS)
        if bad:
            raise ValueError(f"cannot add to {', '.join(bad)}; list fields: "
                             f"{', '.join(sorted(APPENDABLE_FIELDS))}")
        if not self.set and not self.add:
            raise ValueError("an update must change something (set or add)")
        return self

    def apply(self, record: CatalogRecord) -> CatalogRecord:
        """Return ``record`` with this update applied and its source appended to provenance.

        Raises:
            ValidationError: if the result is not a valid record.
        """
        data = record.model_dump()
        data.update(self.set)
        for key, values in self.add.items():
            existing = list(data.get(key) or ())
            data[key] = existing + [v for v in values if v not in existing]
        touched = [f for f in FACT_FIELDS if f in self.set or f in self.add]
        data["provenance"] = [*data["provenance"], {
            "source": self.source, "as_of": self.as_of, "fields": touched, "note": self.note}]
        return CatalogRecord.model_validate(data)


class _CatalogFile(_Strict):
    schema_version: Literal[1] = 1
    sources: dict[str, SourceInfo] = Field(default_factory=dict)
    evaluation_systems: dict[str, EvaluationSystem] = Field(default_factory=dict)
    records: list[Any] = Field(default_factory=list)
    updates: list[Any] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The catalog
# ---------------------------------------------------------------------------------------------


class Catalog:
    """The merged catalog: built-in records with the user's additions and updates applied.

    Attributes:
        records: All records, built-in first, in file order.
        systems: Evaluation systems by id.
        sources: Documents the built-in data cites, by file name.
        files: The files that were merged, in order.
    """

    def __init__(self, records: Iterable[CatalogRecord],
                 systems: Mapping[str, EvaluationSystem] | None = None,
                 sources: Mapping[str, SourceInfo] | None = None,
                 files: Sequence[str] = ()) -> None:
        self.records: tuple[CatalogRecord, ...] = tuple(records)
        self.systems: dict[str, EvaluationSystem] = dict(systems or {})
        self.sources: dict[str, SourceInfo] = dict(sources or {})
        self.files: tuple[str, ...] = tuple(files)
        self._by_id = {r.id: r for r in self.records}
        if len(self._by_id) != len(self.records):
            dupes = [i for i, n in Counter(r.id for r in self.records).items() if n > 1]
            raise ConfigError(f"duplicate record ids: {', '.join(dupes)}")

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[CatalogRecord]:
        return iter(self.records)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._by_id

    def get(self, record_id: str) -> CatalogRecord:
        """The record with this id.

        Raises:
            NotFound: with the closest ids, so a typo is easy to fix.
        """
        try:
            return self._by_id[record_id]
        except KeyError:
            pass
        needle = record_id.lower()
        close = [i for i in self._by_id if needle in i or i.split("/")[-1] in needle][:5]
        hint = f" Did you mean: {', '.join(close)}?" if close else \
            " Run 'baimo landscape list' to see the ids."
        raise NotFound(f"no catalog record with id '{record_id}'.{hint}") from None

    def filter(self, *, kind: str | None = None, stage: str | None = None,
               open_weights: bool | None = None, vertical: bool | None = None,
               industry: str | None = None, region: str | None = None,
               filed: bool | None = None, vendor: str | None = None,
               market: str | None = None) -> list[CatalogRecord]:
        """Records matching every given filter (None means "any").

        ``open_weights=True`` keeps open and mixed families, ``False`` keeps closed and mixed
        ones: a mixed family has members of both kinds, so it answers both questions.
        ``filed=False`` keeps records known *not* to hold a generative-AI service filing;
        records whose filing status is unknown match neither.

        Raises:
            ConfigError: for a kind, stage or market that does not exist.
        """
        out = list(self.records)
        if kind is not None:
            _check_choice("kind", kind, get_args(VendorKind))
            out = [r for r in out if r.vendor_kind == kind]
        if stage is not None:
            st = _stage_key(stage)
            out = [r for r in out if r.stage == st]
        if open_weights is not None:
            wanted = {"open", "mixed"} if open_weights else {"closed", "mixed"}
            out = [r for r in out if r.weights in wanted]
        if vertical is not None:
            out = [r for r in out if r.domain == ("vertical" if vertical else "general")]
        if industry is not None:
            needle = industry.lower()
            out = [r for r in out if r.industry and needle in r.industry.lower()]
        if region is not None:
            out = [r for r in out if r.region and r.region.lower() == region.lower()]
        if filed is not None:
            out = [r for r in out if r.filing is not None and (r.filing == "filed") == filed]
        if vendor is not None:
            needle = vendor.lower()
            out = [r for r in out if any(needle in (v or "").lower()
                                         for v in (r.vendor, r.vendor_en))]
        if market is not None:
            _check_choice("market", market, get_args(Market))
            out = [r for r in out if r.market == market]
        return out


def _check_choice(what: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ConfigError(f"unknown {what} '{value}'; use one of: {', '.join(allowed)}")


def _stage_key(stage: str) -> str:
    """Accept ``deployed`` as well as its Chinese label ``业务落地``."""
    for key, label in STAGE_LABELS.items():
        if stage in (key, label):
            return key
    allowed = ", ".join(f"{k} ({v})" for k, v in STAGE_LABELS.items())
    raise ConfigError(f"unknown stage '{stage}'; use one of: {allowed}")


# ---------------------------------------------------------------------------------------------
# Loading and merging
# ---------------------------------------------------------------------------------------------

_MAX_ERRORS = 20


def user_catalog_path() -> Path:
    """Where ``baimo landscape add/update`` keep the user's records."""
    return baimo_home() / "landscape" / "catalog.yaml"


@dataclass(frozen=True)
class _Text:
    """A catalog file's text, parsed fast; line numbers are only computed for error messages.

    Composing the YAML node tree in Python (which is what keeps line numbers) takes seconds
    for the built-in file, so loading uses the C parser and, only when validation fails,
    re-parses with line tracking so that the error can still name the line.
    """

    text: str
    source: str

    def doc(self, located: bool) -> LocatedYaml:
        if located:
            return parse_yaml(self.text, self.source)
        return LocatedYaml(data=load_data(self.text, self.source), source=self.source)


def _builtin_text(name: str) -> _Text:
    text = resources.files("baimo.landscape").joinpath("data", name).read_text(encoding="utf-8")
    return _Text(text, f"baimo/landscape/data/{name} (built-in)")


def _file_text(path: Path) -> _Text:
    return _Text(read_text(path, "catalog file"), str(path))


def _record_label(raw: Any, index: int) -> str:
    rid = raw.get("id") if isinstance(raw, dict) else None
    return f"records[{index}]" + (f" (id={rid})" if rid else "")


def _parse_file(doc: LocatedYaml, *, builtin: bool) -> tuple[_CatalogFile, list[CatalogRecord],
                                                              list[tuple[int, RecordUpdate]]]:
    """Validate one catalog file, collecting every error before raising."""
    if doc.data is None:
        return _CatalogFile(), [], []
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{doc.source}:1: a catalog file must be a mapping with a "
                          "'records:' list (and optionally 'updates:').")
    try:
        top = _CatalogFile.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, doc)) from None
    if builtin and top.updates:
        raise ConfigError(f"{doc.source}: the built-in catalog cannot contain updates.")
    errors: list[str] = []
    records: list[CatalogRecord] = []
    for i, raw in enumerate(top.records):
        try:
            records.append(CatalogRecord.model_validate(raw))
        except ValidationError as exc:
            text = format_validation_error(exc, doc, prefix=("records", i))
            errors.append(f"{_record_label(raw, i)}:\n  " + text.replace("\n", "\n  "))
    updates: list[tuple[int, RecordUpdate]] = []
    for i, raw in enumerate(top.updates):
        try:
            updates.append((i, RecordUpdate.model_validate(raw)))
        except ValidationError as exc:
            text = format_validation_error(exc, doc, prefix=("updates", i))
            errors.append(f"updates[{i}]:\n  " + text.replace("\n", "\n  "))
    if errors:
        more = f"\n... and {len(errors) - _MAX_ERRORS} more" if len(errors) > _MAX_ERRORS else ""
        raise ConfigError(f"{doc.source}: invalid catalog data:\n"
                          + "\n".join(errors[:_MAX_ERRORS]) + more)
    return top, records, updates


def _where(doc: LocatedYaml, path: tuple[str | int, ...]) -> str:
    line = doc.line_of(path)
    return f"{doc.source}:{line}" if line else doc.source


def _check_references(doc: LocatedYaml, records: Sequence[CatalogRecord],
                      sources: Mapping[str, SourceInfo],
                      systems: Mapping[str, EvaluationSystem], *, builtin: bool) -> None:
    """Cross-record checks pydantic cannot do: known systems, known sources (built-in only)."""
    errors: list[str] = []
    for i, rec in enumerate(records):
        for j, ev in enumerate(rec.evaluations):
            if ev.system not in systems:
                errors.append(f"{_where(doc, ('records', i, 'evaluations', j, 'system'))}: "
                              f"records[{i}] (id={rec.id}): unknown evaluation system "
                              f"'{ev.system}'; known: {', '.join(sorted(systems))}")
        if not builtin:
            continue
        cited = [("provenance", k, p.source) for k, p in enumerate(rec.provenance)]
        cited += [("evaluations", k, e.source) for k, e in enumerate(rec.evaluations)]
        cited += [("prices", k, p.source) for k, p in enumerate(rec.prices)]
        for section, k, src in cited:
            if src != COMMON_KNOWLEDGE and src not in sources:
                errors.append(f"{_where(doc, ('records', i, section, k, 'source'))}: "
                              f"records[{i}] (id={rec.id}): source '{src}' is not listed "
                              "under `sources:`")
    if errors:
        raise ConfigError("\n".join(errors[:_MAX_ERRORS]))


def _check_not_future(doc: LocatedYaml, records: Sequence[CatalogRecord],
                      updates: Sequence[tuple[int, RecordUpdate]]) -> None:
    """Refuse an ``as_of`` after today in a user's file, as ``--as-of`` is refused.

    Only user files: the built-in data is checked by its tests, and a machine whose clock is
    wrong must still be able to read it.
    """
    today = date.today()
    dated: list[tuple[tuple[str | int, ...], str, str]] = []
    for i, rec in enumerate(records):
        sections: tuple[tuple[str, Sequence[Provenance | Evaluation | Price]], ...] = (
            ("provenance", rec.provenance), ("evaluations", rec.evaluations),
            ("prices", rec.prices))
        for section, items in sections:
            dated += [(("records", i, section, k, "as_of"), f"records[{i}] (id={rec.id})",
                       item.as_of) for k, item in enumerate(items)]
    dated += [(("updates", i, "as_of"), f"updates[{i}] (id={upd.id})", upd.as_of)
              for i, upd in updates]
    errors = [f"{_where(doc, path)}: {label}: as_of {when} is in the future (today is "
              f"{today.isoformat()}); give the date the source is true as of."
              for path, label, when in dated if _in_future(when, today)]
    if errors:
        raise ConfigError("\n".join(errors[:_MAX_ERRORS]))


@dataclass(frozen=True)
class _Base:
    records: tuple[CatalogRecord, ...]
    sources: dict[str, SourceInfo]
    systems: dict[str, EvaluationSystem]
    source: str


@functools.lru_cache(maxsize=1)
def _builtin_base() -> _Base:
    """The validated built-in catalog, parsed once per process (records are immutable)."""
    text = _builtin_text("catalog.yaml")
    try:
        return _validate_base(text.doc(located=False))
    except ConfigError:
        return _validate_base(text.doc(located=True))


def _validate_base(doc: LocatedYaml) -> _Base:
    top, records, _ = _parse_file(doc, builtin=True)
    _check_references(doc, records, top.sources, top.evaluation_systems, builtin=True)
    seen: set[str] = set()
    for i, rec in enumerate(records):
        if rec.id in seen:
            raise ConfigError(f"{_where(doc, ('records', i, 'id'))}: duplicate id '{rec.id}'")
        seen.add(rec.id)
    return _Base(tuple(records), dict(top.sources), dict(top.evaluation_systems), doc.source)


def _merge(user_texts: Sequence[_Text]) -> Catalog:
    """Merge user files over the built-in catalog; errors are re-derived with line numbers."""
    try:
        return _merge_docs([t.doc(located=False) for t in user_texts])
    except ConfigError:
        return _merge_docs([t.doc(located=True) for t in user_texts])


def _merge_docs(user_docs: Sequence[LocatedYaml]) -> Catalog:
    base = _builtin_base()
    sources = dict(base.sources)
    systems = dict(base.systems)
    merged: dict[str, CatalogRecord] = {r.id: r for r in base.records}
    files = [base.source]
    for doc in user_docs:
        utop, urecords, uupdates = _parse_file(doc, builtin=False)
        systems.update(utop.evaluation_systems)
        sources.update(utop.sources)
        _check_references(doc, urecords, sources, systems, builtin=False)
        _check_not_future(doc, urecords, uupdates)
        for i, rec in enumerate(urecords):
            if rec.id in merged:
                raise ConfigError(
                    f"{_where(doc, ('records', i, 'id'))}: records[{i}]: id '{rec.id}' already "
                    "exists; change an existing record with an entry under `updates:` "
                    "(baimo landscape update) instead of redefining it")
            merged[rec.id] = rec
        for i, upd in uupdates:
            where = _where(doc, ("updates", i))
            if upd.id not in merged:
                raise ConfigError(f"{where}: updates[{i}]: no record with id '{upd.id}'")
            try:
                merged[upd.id] = upd.apply(merged[upd.id])
            except ValidationError as exc:
                problems = "; ".join(_problems(exc, upd.id))
                raise ConfigError(f"{where}: updates[{i}] (id={upd.id}) would make the record "
                                  f"invalid: {problems}") from None
        files.append(doc.source)
    return Catalog(merged.values(), systems=systems, sources=sources, files=files)


def load_catalog(extra: Path | None = None, *, include_user: bool = True) -> Catalog:
    """Load the built-in catalog, the user's catalog file, and optionally one more file.

    Args:
        extra: Another user-format catalog file merged last (e.g. a team's shared file).
        include_user: Merge ``user_catalog_path()`` if it exists. Tests and reproducible
            reports turn this off to see the built-in data only.

    Raises:
        ConfigError: naming the file, line, record and field of the first problems found.
    """
    texts: list[_Text] = []
    user = user_catalog_path()
    if include_user and user.exists():
        texts.append(_file_text(user))
    if extra is not None:
        texts.append(_file_text(extra))
    return _merge(texts)


# ---------------------------------------------------------------------------------------------
# Writing the user file
# ---------------------------------------------------------------------------------------------


_HEADER = ("# baimo landscape: your additions and corrections, merged over the built-in "
           "catalog.\n# Every record and update names its source. Edit by hand or with "
           "'baimo landscape add/update'.\n")


def _entry_yaml(entry: Mapping[str, Any], indent: int, newline: str) -> str:
    """One list item (``- key: value`` lines) indented by ``indent`` columns."""
    text = yaml.safe_dump([dict(entry)], allow_unicode=True, sort_keys=False, width=4096,
                          default_flow_style=False)
    return "".join((" " * indent + line if line.strip() else "") + newline
                   for line in text.splitlines())


def _leaf_end(node: yaml.Node) -> int:
    """Where the last value written inside ``node`` ends.

    A block collection's own end mark lies past the comments and blank lines that follow it
    (the parser only ends it at the next token), so text inserted there would slip below
    the user's trailing comments or even into the next section; the end of the last
    scalar or flow collection is exact. The maximum over the subtree, because an alias
    points at a node (and its marks) written earlier.
    """
    stack = [node]
    seen: set[int] = set()
    best = -1
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.ScalarNode) or (isinstance(n, yaml.CollectionNode)
                                              and n.flow_style):
            best = max(best, n.end_mark.index)
        elif isinstance(n, yaml.MappingNode):
            stack.extend(x for pair in n.value for x in pair)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return best if best >= 0 else node.end_mark.index


def _line_end(text: str, index: int) -> int:
    """The start of the line after the one holding ``index`` (``index`` itself when it
    already starts a line)."""
    if index == 0 or text[index - 1] == "\n":
        return index
    nl = text.find("\n", index)
    return len(text) if nl == -1 else nl + 1


def _item_end(text: str, leaf_end: int, dash_column: int) -> int:
    """Where the last item of a block list ends: after its last line of content.

    From the line of ``leaf_end``, the item goes on over the lines indented deeper than its
    ``-`` (an alias such as ``- *source`` is such a line: its node's marks are where the
    anchor was written); it ends at the first line of content indented no deeper. Comment
    and blank lines at its end are left where they are, after the new item.
    """
    at = end = _line_end(text, leaf_end)
    while at < len(text):
        nl = text.find("\n", at)
        nxt = len(text) if nl == -1 else nl + 1
        line = text[at:nxt].rstrip("\r\n")
        body = line.lstrip(" ")
        if body and not body.startswith("#"):
            if len(line) - len(body) <= dash_column:
                break
            end = nxt
        at = nxt
    return end


def _insert(text: str, at: int, piece: str, newline: str) -> str:
    head = text[:at]
    if head and not head.endswith("\n"):
        head += newline
    return head + piece + text[at:]


def _with_entry(text: str, section: str, entry: Mapping[str, Any], source: str) -> str:
    """``text`` with ``entry`` appended to its ``section`` list, every other character kept.

    Why text and not a rewrite: the user's file is theirs to annotate, and a YAML dump drops
    every comment, reorders nothing but reflows everything; so the entry is written as text
    at the end of the list (block style after the last item's last line, with the items'
    own indentation; flow style before the closing bracket), or as a new ``section:`` at
    the end of the file when there is none.

    Raises:
        ConfigError: The file is not a mapping, or ``section`` is not a list.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:  # empty, or only comments
        return _insert(text, len(text), f"{section}:{newline}"
                       + _entry_yaml(entry, 0, newline), newline)
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{source}:{root.start_mark.line + 1}: a catalog file must be a "
                          "mapping with a 'records:' list (and optionally 'updates:').")
    for key, value in root.value:
        if not (isinstance(key, yaml.ScalarNode) and key.value == section):
            continue
        line = value.start_mark.line + 1
        if isinstance(value, yaml.SequenceNode) and (value.value or root.flow_style):
            if value.flow_style:  # [a, b]: the entry goes before the bracket, as JSON (YAML)
                close = value.end_mark.index - 1
                item = json.dumps(dict(entry), ensure_ascii=False)
                return text[:close] + (", " if value.value else "") + item + text[close:]
            at = _item_end(text, _leaf_end(value.value[-1]), value.start_mark.column)
            return _insert(text, at, _entry_yaml(entry, value.start_mark.column, newline),
                           newline)
        if (isinstance(value, yaml.SequenceNode)
                or (isinstance(value, yaml.ScalarNode)
                    and value.tag == "tag:yaml.org,2002:null")):
            # `records: []`, or `records:` with nothing (or ~, null) after it: the list is
            # written in block style from the next line, a comment after it staying put.
            start, end = value.start_mark.index, value.end_mark.index
            head = text[:start]
            if text[end:end + 1] in ("", "\n", "\r"):
                head = head.rstrip(" ")  # no trailing blank after `records:`
            cut = head + text[end:]
            at = _line_end(cut, len(head))
            return _insert(cut, at, _entry_yaml(entry, key.start_mark.column, newline),
                           newline)
        raise ConfigError(f"{source}:{line}: '{section}' must be a list of entries "
                          f"(lines starting with '- ').")
    if root.flow_style:  # {...}
        close = root.end_mark.index - 1
        item = f"{section}: [{json.dumps(dict(entry), ensure_ascii=False)}]"
        return text[:close] + (", " if root.value else "") + item + text[close:]
    col = root.start_mark.column
    return _insert(text, len(text), " " * col + f"{section}:{newline}"
                   + _entry_yaml(entry, col, newline), newline)


def _append_entry(path: Path, section: Literal["records", "updates"],
                  entry: Mapping[str, Any]) -> Catalog:
    """Append one record or update to the user's catalog file; returns the merged catalog.

    The user's text (comments, order, layout, line endings, a BOM, the file's mode) is kept
    and the entry added as text (``_with_entry``). The would-be file is validated by merging
    it, and re-read to prove it holds exactly what it held plus the entry, before it
    replaces the old one atomically: a bad ``add``/``update``, or a layout the text edit
    cannot follow, leaves the user's file untouched.

    Raises:
        ConfigError: The new entry is invalid against the catalog, or the file cannot be
            extended without being rewritten (the message gives the entry to paste).
    """
    target = path.resolve() if path.is_symlink() else path
    old = _file_text(target).text if target.exists() else ""
    bom = target.exists() and target.read_bytes().startswith(codecs.BOM_UTF8)
    if old.strip():
        text = _with_entry(old, section, entry, str(path))
        before = load_data(old, str(path)) or {}
        expected = {**before, section: [*(before.get(section) or []), dict(entry)]}
        try:
            after = load_data(text, str(path))
        except ConfigError:
            after = None
        if after != expected:
            raise ConfigError(
                f"{path}: cannot add the {section[:-1]} to this file without rewriting its "
                f"layout; nothing was changed. Add it under '{section}:' by hand:\n"
                + _entry_yaml(entry, 0, "\n"))
    else:
        text = _HEADER + yaml.safe_dump({"schema_version": 1, section: [dict(entry)]},
                                        allow_unicode=True, sort_keys=False, width=4096)
    catalog = _merge([_Text(text, str(path))])
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".catalog-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
            fh.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return catalog


def _source_and_date(source: str | None, as_of: str | None, action: str) -> tuple[str, str]:
    """``--source`` and ``--as-of`` of ``add``/``update``, checked before anything else so
    that each problem is reported once, against the option the user typed.

    Refused: no source; a source whose URL carries a credential (the message does not
    repeat it); a date that is not a calendar date; a date in the future (a fact cannot be
    true as of a day that has not come; usually a typo of the year). ``as_of`` defaults
    to today.
    """
    if source is None or not source.strip():
        raise ConfigError(
            f"refusing to {action} without a source: say where the information comes from "
            "with --source (a document, a URL, or e.g. 'measured by me on 2025-01-10').")
    problem = credential_problem(source)
    if problem is not None:
        raise ConfigError(f"refusing to {action}: --source: {problem}")
    today = date.today()
    if as_of is None:
        return source.strip(), today.isoformat()
    try:
        when = str(_as_of(as_of))
    except ValueError as exc:
        raise ConfigError(f"--as-of: {exc}. Give the date the source is true as of.") from None
    if _in_future(when, today):
        raise ConfigError(f"--as-of {when} is in the future (today is {today.isoformat()}): "
                          "a source can only be true as of a date that has come. Give the "
                          "source's own date, or leave --as-of out for today.")
    return source.strip(), when


def add_record(fields: Mapping[str, Any], *, source: str | None, as_of: str | None = None,
               path: Path | None = None) -> CatalogRecord:
    """Add a new record to the user's catalog file.

    Args:
        fields: Record fields; ``vendor`` and ``model`` are required, ``id`` defaults to
            ``make_id(vendor, model)``.
        source: Where the facts come from (required; the whole record is vouched for by it).
        as_of: Date of the facts; defaults to today.
        path: The user file; defaults to ``user_catalog_path()``.

    Raises:
        ConfigError: missing source, invalid field, or an id that already exists.
    """
    src, when = _source_and_date(source, as_of, "add a record")
    vendor, model = fields.get("vendor"), fields.get("model")
    if not vendor or not model:
        raise ConfigError("a new record needs both --vendor and --model.")
    path = path or user_catalog_path()
    data = {k: v for k, v in fields.items() if v is not None and v != () and v != []}
    data["id"] = data.get("id") or make_id(str(vendor), str(model))
    data["provenance"] = [{"source": src, "as_of": when}]
    try:
        record = CatalogRecord.model_validate(data)
    except ValidationError as exc:
        problems = "\n".join(f"  {p}" for p in _problems(exc, "(record)"))
        raise ConfigError(f"the new record is invalid:\n{problems}") from None
    existing = _merge([_file_text(path)] if path.exists() else [])
    if record.id in existing:
        raise ConfigError(f"a record with id '{record.id}' already exists; use "
                          f"'baimo landscape update {record.id} ...' to change it, or pass "
                          "--id to choose another id.")
    entry = record.model_dump(mode="json", exclude_defaults=True)
    return _append_entry(path, "records", entry).get(record.id)


def update_record(record_id: str, changes: Mapping[str, Any], *, source: str | None,
                  as_of: str | None = None, note: str | None = None,
                  path: Path | None = None) -> CatalogRecord:
    """Record a change to an existing record (built-in or user) in the user's file.

    List fields (``aliases``, ``platforms``, ``modalities``, ``notes``) are extended, other
    fields are overwritten. The change is stored as an update entry rather than by editing the
    record, so the original source stays visible next to the new one.

    Raises:
        ConfigError: no source, nothing to change, or a change that makes the record invalid.
        NotFound: no record has this id.
    """
    src, when = _source_and_date(source, as_of, f"update '{record_id}'")
    path = path or user_catalog_path()
    current = _merge([_file_text(path)] if path.exists() else [])
    current.get(record_id)
    set_: dict[str, Any] = {}
    add: dict[str, list[str]] = {}
    for key, value in changes.items():
        if key not in APPENDABLE_FIELDS and key not in SETTABLE_FIELDS:
            raise ConfigError(f"cannot change '{key}'; settable: "
                              f"{', '.join(sorted(SETTABLE_FIELDS))}; appendable: "
                              f"{', '.join(sorted(APPENDABLE_FIELDS))}")
        if value is None or value == () or value == []:
            continue
        if key in APPENDABLE_FIELDS:
            add[key] = [value] if isinstance(value, str) else list(value)
        else:
            set_[key] = value
    if not set_ and not add:
        raise ConfigError(f"nothing to update for '{record_id}': pass at least one field "
                          "option (for example --stage pilot).")
    entry: dict[str, Any] = {"id": record_id}
    if set_:
        entry["set"] = set_
    if add:
        entry["add"] = add
    entry["source"] = src
    entry["as_of"] = when
    if note:
        entry["note"] = note
    try:  # check against the current record first, so the message names the command's fields
        RecordUpdate.model_validate(entry).apply(current.get(record_id))
    except ValidationError as exc:
        problems = "; ".join(_problems(exc))
        raise ConfigError(f"cannot update '{record_id}': {problems}") from None
    return _append_entry(path, "updates", entry).get(record_id)


# ---------------------------------------------------------------------------------------------
# Linking measured models to catalog records
# ---------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[a-z]+|[0-9]+|[^\W\da-z_]+")


def _tokens(name: str) -> tuple[str, ...]:
    """Split at every separator and at letter/digit boundaries: 'qwen2.5-72b' → qwen 2 5 72 b.

    Splitting at letter/digit boundaries is what lets the alias ``qwen`` cover ``qwen2.5`` and
    ``glm-4`` cover ``glm4``, without letting ``yi`` match ``yiyan``.
    """
    return tuple(_TOKEN_RE.findall(unicodedata.normalize("NFKC", name).lower()))


def link_measured(catalog: Catalog, model_names: Iterable[str]) -> dict[str, str | None]:
    """Map each measured model name (e.g. ``deepseek-chat``) to a catalog record id.

    A record's keys are its aliases, model name and English model name. A key matches when its
    tokens are a prefix of the measured name's tokens; the longest matching key wins, so
    ``gpt-4o-mini`` goes to the GPT-4o record rather than GPT-4. If the name has a provider
    prefix (``openai/gpt-4o``) and nothing matches, the part after the last ``/`` is tried.

    Returns:
        Name → record id, or None when nothing matches or when two different records match
        equally well (a wrong link is worse than no link: it would attach one vendor's filing
        and licence facts to another vendor's model).
    """
    keys: list[tuple[tuple[str, ...], str]] = []
    for rec in catalog:
        for key in (*rec.aliases, rec.model, rec.model_en):
            if key:
                toks = _tokens(key)
                if toks:
                    keys.append((toks, rec.id))

    def best(name: str) -> tuple[int, str | None]:
        toks = _tokens(name)
        top, ids = 0, set()
        for ktoks, rid in keys:
            n = len(ktoks)
            if n <= len(toks) and toks[:n] == ktoks:
                if n > top:
                    top, ids = n, {rid}
                elif n == top:
                    ids.add(rid)
        if top == 0:
            return 0, None
        return top, (next(iter(ids)) if len(ids) == 1 else None)

    out: dict[str, str | None] = {}
    for name in model_names:
        score, rid = best(name)
        if score == 0 and "/" in name:
            score, rid = best(name.rsplit("/", 1)[-1])
        out[name] = rid
    return out


# ---------------------------------------------------------------------------------------------
# Census
# ---------------------------------------------------------------------------------------------


class CensusFigure(_Strict):
    """A count from the census with the sentence it was transcribed from."""

    value: int = Field(ge=0)
    approx: bool = False
    as_of: AsOf
    quote: str


class ReportedShare(_Strict):
    """A percentage as the source printed it (kept only to check the computed one)."""

    value: float
    approx: bool = False
    as_of: AsOf
    quote: str


class ReportedFigures(_Strict):
    filed_share_pct: ReportedShare
    not_filed: CensusFigure


class RegionCount(_Strict):
    region: str
    region_zh: str
    value: int = Field(ge=0)


class RegionFigures(_Strict):
    as_of: AsOf
    quote: str
    note: str | None = None
    regions: tuple[RegionCount, ...]


class SizeInfo(_Strict):
    label: str
    params_billion: float = Field(gt=0)
    quote_zh: str
    note: str | None = None


class PopularSizes(_Strict):
    as_of: AsOf
    quote: str
    note: str | None = None
    sizes: tuple[SizeInfo, ...]


class EarlierCount(_Strict):
    value: int = Field(ge=0)
    qualifier: str
    as_of: AsOf
    source: str
    quote: str


class Census(_Strict):
    """The market-wide census (seed 003) with earlier counts (seed 001)."""

    schema_version: Literal[1] = 1
    source: str
    publisher: str
    title: str
    url: str | None = None
    released_total: CensusFigure
    filed_total: CensusFigure
    reported: ReportedFigures
    filed_by_region: RegionFigures
    from_universities_institutes: CensusFigure
    popular_sizes: PopularSizes
    earlier_counts: tuple[EarlierCount, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Census:
        if self.filed_total.value > self.released_total.value:
            raise ValueError("filed_total cannot exceed released_total")
        if sum(r.value for r in self.filed_by_region.regions) > self.filed_total.value:
            raise ValueError("the regional filing counts add up to more than filed_total")
        return self


def load_census() -> Census:
    """Load the built-in census.

    Raises:
        ConfigError: if the data file is malformed (a packaging bug).
    """
    doc = _builtin_text("census.yaml").doc(located=True)
    try:
        return Census.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, doc)) from None


@dataclass(frozen=True)
class RegionShare:
    """One region's filings and its share of all filings (computed)."""

    region: str
    region_zh: str
    filed: int
    share_of_filed_pct: float


@dataclass(frozen=True)
class Check:
    """A computed figure next to the figure the source printed."""

    name: str
    computed: float
    reported: float
    agrees: bool


@dataclass(frozen=True)
class CensusReport:
    """Figures computed from the census counts; nothing here is copied from the source."""

    census: Census
    released: int
    filed: int
    filed_share_pct: float
    not_filed: int
    regions: tuple[RegionShare, ...]
    other_regions_filed: int
    universities: int
    universities_share_pct: float
    checks: tuple[Check, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the source named."""
        return {
            "source": self.census.source,
            "publisher": self.census.publisher,
            "released": {"value": self.released, "as_of": self.census.released_total.as_of},
            "filed": {"value": self.filed, "as_of": self.census.filed_total.as_of},
            "filed_share_pct": round(self.filed_share_pct, 1),
            "not_filed": self.not_filed,
            "filed_by_region": [
                {"region": r.region, "region_zh": r.region_zh, "filed": r.filed,
                 "share_of_filed_pct": round(r.share_of_filed_pct, 1)} for r in self.regions],
            "other_regions_filed": self.other_regions_filed,
            "universities_institutes": self.universities,
            "universities_share_pct": round(self.universities_share_pct, 1),
            "popular_sizes": [s.label for s in self.census.popular_sizes.sizes],
            "checks": [{"name": c.name, "computed": round(c.computed, 1),
                        "reported": c.reported, "agrees": c.agrees} for c in self.checks],
            "earlier_counts": [{"value": e.value, "qualifier": e.qualifier, "as_of": e.as_of,
                                "source": e.source} for e in self.census.earlier_counts],
        }


def census_report(census: Census) -> CensusReport:
    """Compute the census ratios and remainders and check them against the printed ones.

    A check agrees when the computed value rounds to the printed precision (one decimal for
    percentages, whole models for counts).
    """
    released = census.released_total.value
    filed = census.filed_total.value
    share = 100.0 * filed / released if released else 0.0
    not_filed = released - filed
    regions = tuple(RegionShare(r.region, r.region_zh, r.value,
                                100.0 * r.value / filed if filed else 0.0)
                    for r in census.filed_by_region.regions)
    other = filed - sum(r.filed for r in regions)
    uni = census.from_universities_institutes.value
    checks = (
        Check("filed share (%)", share, census.reported.filed_share_pct.value,
              round(share, 1) == round(census.reported.filed_share_pct.value, 1)),
        Check("not yet filed", float(not_filed), float(census.reported.not_filed.value),
              not_filed == census.reported.not_filed.value),
    )
    return CensusReport(census=census, released=released, filed=filed, filed_share_pct=share,
                        not_filed=not_filed, regions=regions, other_regions_filed=other,
                        universities=uni,
                        universities_share_pct=100.0 * uni / released if released else 0.0,
                        checks=checks)


# ---------------------------------------------------------------------------------------------
# Catalog statistics
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogStats:
    """Counts over catalog records. These describe the catalog, not the market: the seeds
    name about a hundred models out of the 305 the census counts."""

    total: int
    by_kind: dict[str, int]
    by_stage: dict[str, int]
    by_weights: dict[str, int]
    by_domain: dict[str, int]
    by_industry: dict[str, int]
    by_filing: dict[str, int]
    by_market: dict[str, int]
    by_region: dict[str, int]
    evaluations: int
    by_system: dict[str, int]
    with_common_knowledge: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(Counter(values).most_common())


def catalog_stats(records: Sequence[CatalogRecord]) -> CatalogStats:
    """Count records by kind, stage, weights, domain, filing, market and region.

    Empty fields are counted as ``unknown`` rather than dropped, so every breakdown adds up to
    the number of records and the share of unknowns stays visible.
    """
    return CatalogStats(
        total=len(records),
        by_kind=_count(r.vendor_kind for r in records),
        by_stage=_count(r.stage or "unknown" for r in records),
        by_weights=_count(r.weights for r in records),
        by_domain=_count(r.domain or "unknown" for r in records),
        by_industry=_count(r.industry for r in records if r.industry),
        by_filing=_count(r.filing or "unknown" for r in records),
        by_market=_count(r.market for r in records),
        by_region=_count(r.region or "unknown" for r in records),
        evaluations=sum(len(r.evaluations) for r in records),
        by_system=_count(e.system for r in records for e in r.evaluations),
        with_common_knowledge=sum(
            1 for r in records if any(p.source == COMMON_KNOWLEDGE for p in r.provenance)),
    )
