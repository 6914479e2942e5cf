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
    """Parsed YAML data plus the line of every value, keyed by its path."""

    data: Any
    source: str
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of the deepest known ancestor of ``path`` (pydantic locs can go deeper)."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node)) if not isinstance(
                key_node, yaml.ScalarNode) else _scalar(key_node)
            out[key] = _walk(value_node, (*path, str(key)), lines)
            lines[(*path, str(key))] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    # Resolve the scalar exactly as safe_load would (ints, floats, bools, nulls, dates).
    constructor = yaml.SafeLoader(stream="")
    try:
        return constructor.construct_object(node, deep=True)
    finally:
        constructor.dispose()


def parse_yaml(text: str, source: str = "<string>") -> LocatedYaml:
    """Parse YAML text, keeping line numbers. Syntax errors become ``ConfigError``."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}. Fix the syntax at that line.") from None
    lines: dict[PathKey, int] = {}
    data = None if node is None else _walk(node, (), lines)
    return LocatedYaml(data=data, source=source, lines=lines)


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
