"""YAML loading that remembers where every value came from.

User-written YAML (models files, task files, profiles) is validated with pydantic, and a
validation error must point at the line the user has to fix. PyYAML throws the marks away once
it builds Python objects, so this module composes the node tree itself and keeps a map from the
path of each value (``("models", "gpt", "limits", "rpm")``) to its 1-based line number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from baimo.errors import ConfigError

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


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def parse_yaml(text: str, source: str = "<string>") -> LocatedYaml:
    """Parse YAML text. Syntax errors become ``ConfigError`` with the line."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}. Fix the syntax at that line.") from None
    return LocatedYaml(data=data, source=source, text=text)


def load_yaml(path: Path) -> LocatedYaml:
    """Read and parse a YAML file; a missing file is a ``ConfigError`` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found.") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason}). Save it as UTF-8.") from None
    return parse_yaml(text, str(path))


def format_validation_error(exc: ValidationError, doc: LocatedYaml, prefix: PathKey = ()) -> str:
    """Render a pydantic error as ``file:line: field: problem`` lines a user can act on."""
    out = []
    for err in exc.errors():
        loc = (*prefix, *err["loc"])
        line = doc.line_of(loc)
        where = f"{doc.source}:{line}" if line else doc.source
        dotted = ".".join(str(p) for p in loc) or "(top level)"
        msg = err["msg"]
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
