"""Tables in and out: user CSV and text files read safely, CSV and Markdown written safely.

Reading. Users bring CSV files from Excel and WPS as often as from scripts, and in China those
are often GBK (GB18030) rather than UTF-8. ``decode_text`` accepts UTF-8 (with or without the
byte-order mark Excel adds) and GB18030, and otherwise names the byte that is wrong and the
encoding to convert from. ``read_csv`` adds what the ``csv`` module does silently or with a
traceback: a field over its 128 KiB limit, a quote that is never closed (the module swallows
the rest of the file into one field), a row with more cells than the header.

Writing. A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK(...)`` sends data away when clicked), and a model name, a task name or a catalog
entry is text someone else wrote. ``csv_cell`` prefixes such text with ``'`` (the spreadsheet
convention for "this is text") and leaves numbers alone; ``md_cell`` keeps a cell from
breaking a Markdown table or carrying HTML into a page that renders it. Every CSV and Markdown
writer in baimo goes through these two functions.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from baimo.errors import BaimoError, DatasetError

__all__ = ["MAX_CSV_FIELD", "check_regular_file", "csv_cell", "csv_text", "decode_text", "md_cell", "md_table",
           "read_csv", "read_jsonl", "read_user_bytes"]

MAX_CSV_FIELD = 16 * 1024 * 1024
"""Longest CSV field read, in characters. The ``csv`` module's default (128 KiB) is shorter
than a long document or a few-shot prompt; 16 MiB still stops a runaway field from taking
all memory."""

# ------------------------------------------------------------------------------ reading


def check_regular_file(path: Path, what: str = "file",
                       error: type[BaimoError] = DatasetError) -> None:
    """Refuse a missing path, a directory, or a device or pipe (which could be read forever)."""
    try:
        if path.is_dir():
            raise error(f"{path}: is a directory; a {what} must be a regular file. Give the "
                        "path of the file itself.")
        if not path.exists():
            raise error(f"{path}: file not found.")
        if not path.is_file():
            raise error(f"{path}: not a regular file (a device or a pipe); a {what} must be a "
                        "regular file.")
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc}).") from None


def read_user_bytes(path: Path, what: str = "file",
                    error: type[BaimoError] = DatasetError) -> bytes:
    """A user's file as bytes; a directory, a device or an unreadable file is an ``error``."""
    check_regular_file(path, what, error)
    try:
        return path.read_bytes()
    except PermissionError:
        raise error(f"{path}: permission denied; make the file readable.") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc}).") from None


def check_writable(path: Path, what: str = "file") -> None:
    """Refuse, before any work is paid for, an output path that cannot be written: a
    directory, or one below a file or a directory this process may not write to. The file's
    directory is created (the write would create it too)."""
    if path.is_dir():
        raise BaimoError(f"{path}: is a directory; give the {what}'s file name, e.g. "
                         f"{path / ('report.html' if what == 'report' else 'out.json')}.")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise BaimoError(f"{path}: cannot write the {what} there ({parent} is not a writable "
                         "directory). Give a file path in a writable directory.")
    # Permission bits do not tell everything (/proc, a read-only mount, root's access() that
    # always says yes): make the directory, as the write will, and create a file in it.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".baimo-write-check-", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BaimoError(f"{path}: cannot write the {what} there ({exc.strerror or exc}). "
                         "Give a file path in a writable directory.") from None


def write_user_file(path: Path, data: str | bytes, what: str = "file") -> None:
    """Write a file the user named (``-o``, ``--json FILE``, ``--report``, an export),
    creating its directory.

    A path that cannot be written (a directory, a file where a directory should be, no
    permission) is the user's to fix, so a ``BaimoError`` naming it, never a traceback; what
    the command stored before (a run, a score) stays stored.
    """
    check_writable(path, what)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as exc:
        raise BaimoError(f"{path}: cannot write the {what} ({exc.strerror or exc}). Give a "
                         "file path in a writable directory.") from None


_GBK_LIKE = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2FA1F),  # ideographs
             (0x3000, 0x303F), (0xFF00, 0xFFEF),  # CJK and full-width punctuation
             (0x2010, 0x206F), (0x2100, 0x22FF), (0x2460, 0x26FF),  # “” … № Ⅲ → × ① ─ ★
             (0x0391, 0x03C9), (0x0100, 0x01DC), (0x3040, 0x30FF), (0x3100, 0x312F))
"""Code points Chinese GBK text is made of: ideographs, punctuation, the symbols, Greek,
pinyin with tones, kana and bopomofo of GB2312's symbol rows. ``×÷±°·`` are added below."""


def _cjk_like(ch: str) -> bool:
    o = ord(ch)
    return ch in "×÷±°·§¨¤" or any(lo <= o <= hi for lo, hi in _GBK_LIKE)


def _plausible_chinese(text: str) -> bool:
    """Does GB18030-decoded text read as Chinese, not as another 8-bit encoding misread?

    Latin-1 or Windows-1252 bytes often decode as GB18030 too (into rare ideographs and
    private-use code points), so decoding alone proves nothing: most non-ASCII characters must
    be common ideographs or CJK/full-width punctuation, and none may be private-use.
    """
    non_ascii = [c for c in text if ord(c) > 0x7F]
    if not non_ascii:
        return True
    if any(0xE000 <= ord(c) <= 0xF8FF for c in non_ascii):
        return False
    return sum(map(_cjk_like, non_ascii)) >= 0.8 * len(non_ascii)


def decode_text(data: bytes, source: str, error: type[BaimoError] = DatasetError
                ) -> tuple[str, str]:
    """Decode a user's text file: UTF-8, UTF-8 with BOM, or GB18030 (GBK is a subset).

    Returns:
        The text and the encoding it was read as (``utf-8``, ``utf-8-sig`` or ``gb18030``).

    Raises:
        ``error``: Naming ``source:line``, the offending byte, and what to convert from.
    """
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        raise error(f"{source}: the file is UTF-16 (Excel's 'Unicode Text'). Save it as "
                    "'CSV UTF-8', or convert it: iconv -f UTF-16 -t UTF-8 IN > OUT.")
    encoding = "utf-8"
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8):], "utf-8-sig"
    try:
        return data.decode("utf-8"), encoding
    except UnicodeDecodeError as exc:
        first = exc
    if encoding == "utf-8":
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            pass
        else:
            if _plausible_chinese(text):
                return text, "gb18030"
    line = data[:first.start].count(b"\n") + 1
    bad = data[first.start:first.start + 4].hex(" ")
    raise error(f"{source}:{line}: not UTF-8 text (bytes {bad} at offset {first.start}), and "
                "not GB18030/GBK Chinese text either. Convert the file to UTF-8 from the "
                "encoding it was saved in, e.g. iconv -f WINDOWS-1252 -t UTF-8 IN > OUT "
                "(in Excel: Save As 'CSV UTF-8').")


def read_jsonl(path: Path, what: str = "file", error: type[BaimoError] = DatasetError,
               hint: str = "Each line must be one JSON object.") -> list[tuple[int, Any]]:
    """(line number, decoded value) for each non-blank line of a user's JSON Lines file.

    The one reader of user JSONL (datasets, judge labels, arena battles, perf traces, hub
    exports): each used to open the file itself, and some refused the byte-order mark a
    Windows editor writes, or GBK text, that ``decode_text`` accepts. Lines are counted as an
    editor shows them; an invalid line is an ``error`` naming ``path:line``, followed by
    ``hint``.
    """
    text, _ = decode_text(read_user_bytes(path, what, error), str(path), error)
    rows: list[tuple[int, Any]] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            rows.append((lineno, orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            raise error(f"{path}:{lineno}: invalid JSON ({exc}). {hint}") from None
    return rows


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    """``csv.field_size_limit`` is process-wide: raise it for one read, then restore it."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, limit))
    try:
        yield
    finally:
        csv.field_size_limit(old)


_NEWLINE = re.compile(r"\r\n|\r|\n")


def _offset_of_line(text: str, line: int) -> int:
    """Character offset where 1-based ``line`` starts, counting newlines as ``csv`` does."""
    if line <= 1:
        return 0
    m = re.match(rf"(?:[^\r\n]*(?:\r\n|\r|\n)){{{line - 1}}}", text)
    return m.end() if m else len(text)


def _unclosed_quote(text: str, start: int, delimiter: str = ",") -> int | None:
    """Offset of a quote opened at or after ``start`` and never closed, or None.

    Follows the ``csv`` module's (non-strict) rules: a quote opens a quoted field only at the
    start of a field; inside, ``""`` is a literal quote and a lone ``"`` closes the field;
    anywhere else a quote is an ordinary character. Jumps with ``find``/``search``, so a
    runaway field of megabytes costs milliseconds.
    """
    field_end = re.compile(f"[{re.escape(delimiter)}\r\n]")
    i, n = start, len(text)
    at_field_start = True
    while i < n:
        if at_field_start and text[i] == '"':
            opened, j = i, i + 1
            while True:
                k = text.find('"', j)
                if k == -1:
                    return opened
                if k + 1 < n and text[k + 1] == '"':
                    j = k + 2
                    continue
                i = k + 1
                break
        m = field_end.search(text, i)
        if m is None:
            return None
        i, at_field_start = m.end(), True
    return None


def read_csv(path: Path, what: str = "CSV file", error: type[BaimoError] = DatasetError,
             max_field: int = MAX_CSV_FIELD
             ) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Read a CSV file with a header row, refusing what ``csv`` would misread.

    Returns:
        The header, and ``(line, row)`` per data row, ``line`` being where the row starts (a
        quoted field may span lines). Empty cells are kept as ``""``; blank lines are skipped.

    Raises:
        ``error``: Naming ``path:line`` for an encoding problem, a field longer than
        ``max_field``, an unclosed quote, a duplicated column or a row longer than the header.
    """
    text, _ = decode_text(read_user_bytes(path, what, error), str(path), error)

    def quote_problem(row_start: int) -> BaimoError | None:
        opened = _unclosed_quote(text, _offset_of_line(text, row_start))
        if opened is None:
            return None
        line = len(_NEWLINE.findall(text, 0, opened)) + 1
        return error(f"{path}:{line}: a quote opened on this line is never closed, so the rest "
                     "of the file would be read as one field. Close the quote, or double a "
                     'quote that is part of the text ("").')

    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    last = 0  # the line the previous row ended on
    with _field_limit(max_field):
        try:
            for values in reader:
                start, last = last + 1, reader.line_num
                if not "".join(values).strip():
                    continue  # blank lines, and the rows of empty cells spreadsheets leave
                if header is None:
                    header = [h.strip() for h in values]
                    dup = sorted({h for h in header if h and header.count(h) > 1})
                    if dup:
                        raise error(f"{path}:{start}: column(s) {', '.join(dup)} appear more "
                                    "than once in the header; give every column its own name.")
                    continue
                if len(values) > len(header) and any(values[len(header):]):
                    raise error(f"{path}:{start}: this row has {len(values)} cells but the "
                                f"header has {len(header)} columns. Quote cells that contain "
                                "commas, or add the missing column names.")
                row = dict(zip(header, values, strict=False))
                row.pop("", None)
                rows.append((start, row))
        except csv.Error as exc:
            start = last + 1
            problem = quote_problem(start)
            if problem is not None:
                raise problem from None
            if "field larger than field limit" in str(exc):
                raise error(f"{path}:{start}: a field is longer than {max_field:,} characters, "
                            "the most baimo reads from a CSV cell. Shorten it, or use JSONL for "
                            "very long texts.") from None
            raise error(f"{path}:{start}: not valid CSV ({exc}).") from None
    # The csv module closes a quote left open at the end of the file without a word.
    if rows:
        problem = quote_problem(rows[-1][0])
        if problem is not None:
            raise problem
    return header or [], rows


# ------------------------------------------------------------------------------ writing

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value: Any) -> Any:
    """One CSV cell, safe to open in a spreadsheet.

    Text that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a
    leading ``'``, so it shows as text and never runs. Numbers are untouched, and so is text
    that is just a number (``"-3.5"``): a spreadsheet reads it as that number, nothing more.
    ``None`` is an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START) \
            and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any] | Mapping[str, Any]],
             lineterminator: str = "\r\n") -> str:
    """A CSV document (header first) with every cell passed through ``csv_cell``.

    Rows are sequences in header order, or mappings keyed by the header (missing keys are
    empty cells).
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=lineterminator)
    w.writerow([csv_cell(h) for h in header])
    for row in rows:
        values = [row.get(h) for h in header] if isinstance(row, Mapping) else list(row)
        w.writerow([csv_cell(v) for v in values])
    return buf.getvalue()


_MD_ESCAPES = str.maketrans({"\\": "\\\\", "|": "\\|", "[": "\\[", "]": "\\]",
                             "`": "\\`", "\r": " ", "\n": " "})


def md_cell(value: Any) -> str:
    """One Markdown table cell: ``|`` cannot end the cell, HTML is shown as text, and brackets
    cannot make a link (``[x](javascript:...)``)."""
    text = "" if value is None else str(value)
    return html.escape(text, quote=False).translate(_MD_ESCAPES)


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]],
             align: Sequence[str] | None = None) -> list[str]:
    """Lines of a Markdown table; ``align`` holds ``l`` or ``r`` per column."""
    marks = {"l": "---", "r": "---:"}
    sep = [marks[a] for a in align] if align else ["---"] * len(header)
    lines = ["| " + " | ".join(md_cell(h) for h in header) + " |", "|" + "|".join(sep) + "|"]
    lines += ["| " + " | ".join(md_cell(v) for v in row) + " |" for row in rows]
    return lines
