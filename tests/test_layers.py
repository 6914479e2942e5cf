"""The import contract: baimo's layers, stated once and checked on every import.

A layer may import from its own layer and from any layer below it, never from above:

    cli
    reports, web
    runs, perf, scores, advise, landscape
    tasks
    models
    store
    core: errors, paths, yamlio, config, params, dimensions, signals, stats, tabular

so that a renderer cannot start doing analysis, a task cannot write to the database behind the
runner's back, and the bottom of the stack can be reused (and tested) without the top. Every
import statement counts, including imports inside functions and under ``TYPE_CHECKING``.

``baimo.testing`` (test doubles) stands outside the layers: it may import anything, and
nothing in ``src/baimo`` may import it; only tests do.

The imports are read by grimp (the engine of import-linter), which parses the source without
importing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grimp
import pytest

LAYERS: list[tuple[str, ...]] = [
    ("cli",),
    ("reports", "web"),
    ("runs", "perf", "scores", "advise", "landscape", "arena", "scale", "monitor"),
    ("tasks",),
    ("models",),
    ("store",),
    ("errors", "paths", "yamlio", "config", "params", "dimensions", "signals", "stats",
     "tabular"),
]
"""Top to bottom. Names are the subpackages or modules under ``baimo``."""

OUTSIDE = {"baimo", "baimo.__main__", "baimo.testing"}
"""The package root and ``python -m baimo`` (which start the CLI), and the test doubles."""

IGNORED: dict[tuple[str, str], str] = {
    # Known violations being removed; each names who removes it. Delete an entry with the
    # import it excuses: an entry that no longer matches an import fails the test below.
    ("baimo.config", "baimo.models.presets"):
        "the lead (owner of config.py and models/): the vendor presets table is data the "
        "config reads; it moves below config or config moves its lookup up",
}


@dataclass(frozen=True)
class Violation:
    importer: str
    imported: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported} ({self.text!r})"


def _layer_of(module: str) -> int | None:
    parts = module.split(".")
    if module in OUTSIDE or (len(parts) > 1 and f"baimo.{parts[1]}" in OUTSIDE):
        return None
    for i, names in enumerate(LAYERS):
        if len(parts) > 1 and parts[1] in names:
            return i
    raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("baimo", cache_dir=None)


def _imports(graph: grimp.ImportGraph) -> Iterator[tuple[str, str]]:
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            yield importer, imported


def _details(graph: grimp.ImportGraph, importer: str, imported: str) -> list[Violation]:
    found = graph.get_import_details(importer=importer, imported=imported)
    return [Violation(importer, imported, d["line_number"], d["line_contents"])
            for d in found] or [Violation(importer, imported, 0, "")]


def test_every_module_is_in_a_layer(graph: grimp.ImportGraph) -> None:
    for module in graph.modules:
        _layer_of(module)  # raises for a module in no layer


def test_no_layer_imports_a_layer_above_it(graph: grimp.ImportGraph) -> None:
    violations: list[Violation] = []
    for importer, imported in _imports(graph):
        low, high = _layer_of(importer), _layer_of(imported)
        if low is None or high is None or high >= low:
            continue
        if (importer, imported) in IGNORED:
            continue
        violations.extend(_details(graph, importer, imported))
    assert not violations, "upward imports (a lower layer importing a higher one):\n" + \
        "\n".join(map(str, violations))


def test_ignored_imports_still_exist(graph: grimp.ImportGraph) -> None:
    """An exception that no longer excuses anything must be deleted, so the list only
    shrinks and never hides a new violation of the same pair."""
    stale = [f"{a} -> {b} ({who})" for (a, b), who in IGNORED.items()
             if not graph.direct_import_exists(importer=a, imported=b)]
    assert not stale, "remove these entries from IGNORED:\n" + "\n".join(stale)


def test_product_code_never_imports_testing(graph: grimp.ImportGraph) -> None:
    bad = [v for importer, imported in _imports(graph)
           if imported.startswith("baimo.testing") and not importer.startswith("baimo.testing")
           for v in _details(graph, importer, imported)]
    assert not bad, "product code imports baimo.testing:\n" + "\n".join(map(str, bad))


def test_the_checker_sees_violations() -> None:
    """The rules above are not vacuous: an upward import and a testing import are caught."""
    g = grimp.ImportGraph()
    for m in ("baimo", "baimo.store", "baimo.store.store", "baimo.cli", "baimo.cli.main",
              "baimo.testing", "baimo.testing.memory"):
        g.add_module(m)
    g.add_import(importer="baimo.store.store", imported="baimo.cli.main", line_number=3,
                 line_contents="from baimo.cli.main import app")
    g.add_import(importer="baimo.cli.main", imported="baimo.store.store", line_number=4,
                 line_contents="from baimo.store.store import Store")
    g.add_import(importer="baimo.store.store", imported="baimo.testing.memory", line_number=5,
                 line_contents="from baimo.testing.memory import MemoryProvider")
    with pytest.raises(AssertionError, match=r"baimo.store.store:3 imports baimo.cli.main"):
        test_no_layer_imports_a_layer_above_it(g)
    with pytest.raises(AssertionError, match=r"baimo.store.store:5 imports baimo.testing"):
        test_product_code_never_imports_testing(g)
