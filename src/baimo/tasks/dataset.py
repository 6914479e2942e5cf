"""Your own data: JSONL, CSV or Parquet rows validated into ``Sample`` objects.

Validation is all-or-nothing: every row is checked before anything runs, and the error names
the file, the line (JSONL/CSV; the row number for Parquet) and the field, with what to fix.
Nothing is written for a dataset that fails. Files come from spreadsheets as often as from
scripts, so text files may be UTF-8 or GB18030 (Excel's GBK export), and a CSV is read by
``baimo.tabular.read_csv``, which refuses an unclosed quote instead of swallowing the rest of
the file; a damaged Parquet file or a directory is an error naming the path, not a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from baimo.errors import DatasetError, MissingDependency
from baimo.tabular import check_regular_file, read_csv, read_jsonl
from baimo.tasks.types import Sample

MAX_ERRORS = 20


class Row(BaseModel):
    """The schema of one dataset row."""

    model_config = ConfigDict(extra="forbid")

    id: str | int
    prompt: str | None = None
    messages: list[dict[str, str]] | None = None
    reference: Any = None
    choices: list[str] | None = None
    category: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _prompt_or_messages(self) -> Row:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("give exactly one of 'prompt' (text) or 'messages' (chat list)")
        if self.prompt is not None and not self.prompt.strip():
            raise ValueError("'prompt' is empty; the model would be asked nothing")
        if self.messages is not None:
            if not self.messages:
                raise ValueError("'messages' is empty")
            for i, m in enumerate(self.messages):
                if m.get("role") not in {"system", "user", "assistant"} or "content" not in m:
                    raise ValueError(f"messages[{i}] needs 'role' (system/user/assistant) "
                                     "and 'content'")
            if self.messages[-1].get("role") != "user":
                raise ValueError("the last message must be the user's (the question the "
                                 f"model answers), not '{self.messages[-1].get('role')}'")
        if self.choices is not None and not 2 <= len(self.choices) <= 26:
            raise ValueError("'choices' needs between 2 and 26 options")
        return self


def _json_fields(path: Path, line: int, rec: dict[str, Any]) -> dict[str, Any]:
    """CSV cells holding JSON (``choices``, ``metadata``, ``messages``, ``reference``)."""
    for key in ("choices", "metadata", "messages", "reference"):
        val = rec.get(key)
        if isinstance(val, str) and val[:1] in "[{":
            try:
                rec[key] = orjson.loads(val)
            except orjson.JSONDecodeError:
                raise DatasetError(
                    f"{path}:{line}: field '{key}' looks like JSON but does not parse; "
                    "quote it as valid JSON.") from None
    return rec


def _read_parquet(path: Path) -> list[tuple[int, Any]]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependency("pyarrow", None, "Parquet datasets") from None
    check_regular_file(path, "dataset")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DatasetError(f"{path}: not a readable Parquet file ({detail}). Check that the "
                           "file is complete (not truncated by a copy) and was written as "
                           "Parquet; or export the data as JSONL or CSV.") from None
    try:
        return [(i + 1, r) for i, r in enumerate(table.to_pylist())]
    except (pa.ArrowException, ValueError, OverflowError) as exc:
        raise DatasetError(f"{path}: a column cannot be read as Python values ({exc}). "
                           "Store ids and texts as strings.") from None


def _read_rows(path: Path) -> list[tuple[int, Any]]:
    """(line number, raw row) pairs; the line is what a user sees in an editor."""
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return read_jsonl(path, "dataset")
    if suffix == ".csv":
        _, csv_rows = read_csv(path, "dataset")
        return [(line, _json_fields(path, line, {k: v for k, v in row.items() if v != ""}))
                for line, row in csv_rows]
    if suffix == ".parquet":
        return _read_parquet(path)
    if not path.exists():
        raise DatasetError(f"{path}: file not found.")
    check_regular_file(path, "dataset")
    raise DatasetError(f"{path}: unsupported dataset format '{suffix}'. Use .jsonl, .csv or "
                       ".parquet.")


def load_dataset(path: Path) -> list[Sample]:
    """Load and validate a dataset file. Raises ``DatasetError`` listing the first problems."""
    unit = "row" if path.suffix.lower() == ".parquet" else "line"
    errors: list[str] = []
    samples: list[Sample] = []
    seen: dict[str, int] = {}
    bad_rows = 0
    for lineno, raw in _read_rows(path):
        where = f"{path}:{lineno}" if unit == "line" else f"{path} row {lineno}"
        if not isinstance(raw, dict):
            bad_rows += 1
            errors.append(f"{where}: expected an object with 'id' and 'prompt' or 'messages'")
            continue
        try:
            row = Row.model_validate(raw)
        except ValidationError as exc:
            bad_rows += 1
            for err in exc.errors():
                if err["loc"][:1] == ("id",) and err["type"] != "missing":
                    # One message, not one per member of ``str | int``.
                    line = (f"{where}: field 'id': must be a string or a whole number, not "
                            f"{type(raw['id']).__name__} {str(raw['id'])[:40]!r}")
                    if line not in errors:
                        errors.append(line)
                    continue
                field = ".".join(str(p) for p in err["loc"]) or "(row)"
                msg = str(err["msg"]).removeprefix("Value error, ")  # pydantic's wording
                if err["type"] == "extra_forbidden":
                    msg = ("unknown field; allowed: id, prompt, messages, reference, choices, "
                           "category, metadata")
                errors.append(f"{where}: field '{field}': {msg}")
            if len(errors) >= MAX_ERRORS:
                break
            continue
        sid = str(row.id)
        if "\x00" in sid:
            # Caught here, not after the model was paid to answer: PostgreSQL text cannot
            # hold a NUL, so such a row could never be stored as answered.
            bad_rows += 1
            errors.append(f"{where}: field 'id': contains a NUL character (often a sign of a "
                          "UTF-16 or binary file); give the row a plain text id")
            continue
        if not sid.strip():
            # An empty id cannot be told apart in results, resumes or ``runs diff``.
            bad_rows += 1
            errors.append(f"{where}: field 'id': is empty; give every row a unique id")
            continue
        if sid in seen:
            bad_rows += 1
            errors.append(f"{where}: field 'id': '{sid}' already used at {unit} {seen[sid]}; "
                          "ids must be unique")
            continue
        seen[sid] = lineno
        messages = tuple(row.messages) if row.messages is not None else (
            {"role": "user", "content": row.prompt or ""},)
        samples.append(Sample(id=sid, messages=messages, reference=row.reference,
                              choices=tuple(row.choices) if row.choices else None,
                              category=row.category, metadata=row.metadata))
    if errors:
        more = " (showing the first ones)" if len(errors) >= MAX_ERRORS else ""
        rows_word = "row" if bad_rows == 1 else "rows"
        raise DatasetError(f"{path}: {bad_rows} invalid {rows_word}{more}; nothing was run:\n"
                           + "\n".join(errors))
    if not samples:
        raise DatasetError(f"{path}: the dataset has no rows.")
    return samples
