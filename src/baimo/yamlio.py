"""YAML loading that remembers where every value came from.

User-written YAML (models files, task files, profiles) is validated with pydantic, and a
validation error must point at the line the user has to fix. PyYAML throws the marks away once
it builds Python objects, so this module composes the node tree itself and keeps a map from the
path of each value (``("models", "gpt", "limits", "rpm")``) to its 1-based line number.

Every user YAML file passes through ``load_data`` before it is built into Python objects, and
that pass bounds two things PyYAML does not:

* alias expansion. Aliases are shared in the loaded objects, but everything downstream
  (pydantic validation, ``model_dump``, the line map) copies them, so a nine-line "billion
  laughs" file becomes gigabytes. The values that aliases add are counted from the event
  stream and a file that adds more than ``MAX_ALIAS_NODES`` is refused at the alias's line;
  an alias inside the collection it names (a cycle) is refused too.
* nesting depth. libyaml's composer recurses in C, and a few hundred thousand ``[`` crash the
  interpreter with a segmentation fault; the event stream is flat, so the depth is checked
  there first (``MAX_DEPTH``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from baimo.errors import ConfigError
from baimo.tabular import read_user_bytes

PathKey = tuple[str | int, ...]
T = TypeVar("T", bound=BaseModel)


@dataclass
class LocatedYaml:
    """Parsed YAML data; the line of every value is worked out only when an error needs it.

    Parsing with line tracking is several times slower than PyYAML's C loader, and large data
    files (the landscape catalog) are loaded on every command, so the fast parse comes first.
    """

    data: Any
    source: str
    text: str = ""
    _lines: dict[PathKey, int] | None = field(default=None, repr=False)

    @property
    def lines(self) -> dict[PathKey, int]:
        if self._lines is None:
            self._lines = {}
            node = yaml.compose(self.text, Loader=_Loader)
            if node is not None:
                _walk(node, (), self._lines)
        return self._lines

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of the deepest known ancestor of ``path`` (pydantic locs can go deeper)."""
        key = tuple(path)
        lines = self.lines
        while key:
            if key in lines:
                return lines[key]
            key = key[:-1]
        return lines.get((), None)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (libyaml's when present), with dates that fail by line."""


def _timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    """A date or time, or an error at its line: an unquoted ``2024-13-01`` matches YAML's
    date pattern, and PyYAML's ``datetime.date(2024, 13, 1)`` raised a bare ``ValueError``
    that reached the user as a traceback."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"'{node.value}' is not a calendar date ({exc}); correct it, or quote "
            "it to keep it as text", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            _walk(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines)


MAX_ALIAS_NODES = 100_000
"""Values that aliases may add to a document. Real files reuse a block a few dozen times
(hundreds of values); an alias bomb adds billions."""

MAX_DEPTH = 100
"""Nesting depth of collections. Config files nest a handful of levels; the line map and
pydantic both recurse, and libyaml's composer crashes at a few hundred thousand."""


def _yaml_error(exc: yaml.YAMLError, source: str) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    where = f"{source}:{mark.line + 1}" if mark is not None else source
    problem = getattr(exc, "problem", None) or str(exc)
    return ConfigError(f"{where}: invalid YAML: {problem}. Fix the syntax at that line.")


def check_structure(text: str, source: str = "<string>") -> None:
    """Refuse alias bombs, recursive aliases and absurd nesting before anything is built.

    Works on the parser's event stream, which is flat (no recursion) and holds no values, so
    a hostile file costs one linear pass. Each collection counts the values it expands to;
    an alias adds the count of the collection or scalar it names.

    Raises:
        ConfigError: Naming ``source:line`` of the offending alias or collection.
        yaml.YAMLError: For syntax errors (the caller words them).
    """
    sizes: dict[str, int] = {}
    open_anchors: set[str] = set()
    # [anchor, expanded size, keys seen (mappings only: key -> line), children so far]
    stack: list[list[Any]] = []
    added = 0
    for event in yaml.parse(text, Loader=_Loader):
        mark = event.start_mark
        line = mark.line + 1 if mark is not None else 0
        if stack and isinstance(event, yaml.NodeEvent):
            _note_key(stack[-1], event, line, source)
        if isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                sizes[event.anchor] = 1
            if stack:
                stack[-1][1] += 1
        elif isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise ConfigError(
                    f"{source}:{line}: collections nested more than "
                    f"{MAX_DEPTH} levels deep. Flatten the structure.")
            if event.anchor is not None:
                open_anchors.add(event.anchor)
            keys: dict[tuple[str, bool], int] | None = (
                {} if isinstance(event, yaml.MappingStartEvent) else None)
            stack.append([event.anchor, 1, keys, 0])
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()[:2]
            if anchor is not None:
                open_anchors.discard(anchor)
                sizes[anchor] = size
            if stack:
                stack[-1][1] += size
        elif isinstance(event, yaml.AliasEvent):
            anchor = event.anchor
            if anchor in open_anchors:
                raise ConfigError(
                    f"{source}:{line}: alias *{anchor} is used inside the collection &{anchor} "
                    "it names (a recursive structure). Write the values out instead.")
            size = sizes.get(anchor) if anchor is not None else None
            if size is None:
                continue  # an undefined alias: the loader reports it with its line
            added += size
            if added > MAX_ALIAS_NODES:
                raise ConfigError(
                    f"{source}:{line}: aliases (*{anchor}) expand this file by more than "
                    f"{MAX_ALIAS_NODES:,} values, which looks like an alias bomb. Use fewer "
                    "aliases or write the values out.")
            if stack:
                stack[-1][1] += size


def _note_key(parent: list[Any], event: yaml.NodeEvent, line: int, source: str) -> None:
    """Refuse a key written twice in one mapping.

    PyYAML keeps the last value without a word, so a second ``limits:`` under a model
    silently replaces the first and the user's settings vanish. Only plain scalar keys are
    compared (the ``<<`` merge key may repeat); complex and alias keys are left to the loader.
    """
    keys = parent[2]
    index = parent[3]
    parent[3] = index + 1
    if keys is None or index % 2 or not isinstance(event, yaml.ScalarEvent):
        return
    if event.value == "<<":
        return
    key = (event.value, event.implicit[0])  # '1' quoted and 1 plain are different keys
    first = keys.get(key)
    if first is not None:
        raise ConfigError(
            f"{source}:{line}: key '{event.value}' appears twice in the same mapping (first at "
            f"line {first}); YAML would silently keep only the last one. Remove or merge one "
            "of them.")
    keys[key] = line


def load_data(text: str, source: str = "<string>") -> Any:
    """Parse YAML text into Python data, with the bounds of ``check_structure``.

    The single entry point for user YAML: everything that reads a models, task,
    methodology, profile or catalog file goes through here (or ``parse_yaml``).

    Raises:
        ConfigError: ``source:line`` of a syntax error, an alias bomb or too deep nesting.
    """
    try:
        check_structure(text, source)
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None


def parse_yaml(text: str, source: str = "<string>") -> LocatedYaml:
    """Parse YAML text. Syntax errors and alias bombs become ``ConfigError`` with the line."""
    return LocatedYaml(data=load_data(text, source), source=source, text=text)


def read_text(path: Path, what: str = "file") -> str:
    """A user's UTF-8 text file, with every way of failing turned into a ``ConfigError``
    (missing, a directory, a pipe that would block forever, unreadable, not UTF-8)."""
    data = read_user_bytes(path, what, ConfigError)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start})."
                          " Save the file as UTF-8.") from None


def load_yaml(path: Path) -> LocatedYaml:
    """Read and parse a YAML file; a missing or unreadable file is a ``ConfigError``."""
    return parse_yaml(read_text(path, "YAML file"), str(path))


def format_validation_error(exc: ValidationError, doc: LocatedYaml, prefix: PathKey = ()) -> str:
    """Render a pydantic error as ``file:line: field: problem`` lines a user can act on."""
    out = []
    for err in exc.errors():
        loc = (*prefix, *err["loc"])
        line = doc.line_of(loc)
        where = f"{doc.source}:{line}" if line else doc.source
        dotted = ".".join(str(p) for p in loc) or "(top level)"
        msg = str(err["msg"]).removeprefix("Value error, ")  # pydantic's, not the user's
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see the README for the allowed fields)"
        out.append(f"{where}: {dotted}: {msg}")
    return "\n".join(out)


def validate(model: type[T], doc: LocatedYaml, data: Any = None,
                           prefix: PathKey = ()) -> T:
    """Validate ``data`` (default: the whole document) against ``model`` with located errors."""
    try:
        return model.model_validate(doc.data if data is None else data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, doc, prefix)) from None
