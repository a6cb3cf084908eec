"""The dependency direction between the project's apps, read from the source.

Every module under apps/ is parsed (never imported), every import statement in
it is collected, at the top of the module or inside a function, and resolved to
the app it names. That gives a graph between apps, on which the house rules
are checked: no cycle, a ground floor (apps/core) that imports no other app,
and apps/experiments, which owns runs, knowing nothing of the apps that
register executors with it.
"""

from __future__ import annotations

import ast
import dataclasses
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

APPS_DIR = Path(__file__).resolve().parent.parent / "apps"


@dataclasses.dataclass(frozen=True, order=True)
class Edge:
    """One import statement in `source` app that names a module of `target` app."""

    source: str
    target: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def _module_name(path: Path, package_dir: Path) -> tuple[str, str]:
    """(dotted module name, dotted package that relative imports start from) of a file under package_dir."""
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def _imported_modules(tree: ast.AST, package: str) -> Iterator[tuple[str, int]]:
    """Every module an import statement anywhere in the tree names, with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module, node.lineno
            # `from apps import core` names the app in the imported name, not the module.
            for alias in node.names:
                yield f"{module}.{alias.name}", node.lineno


def import_edges(package_dir: Path) -> list[Edge]:
    """Every import from one app of the package into another, e.g. apps/core -> apps/forum."""
    root = package_dir.name
    edges: set[Edge] = set()
    for path in sorted(package_dir.rglob("*.py")):
        module, package = _module_name(path, package_dir)
        parts = module.split(".")
        if len(parts) < 2:
            continue  # the package's own __init__ belongs to no app
        source = parts[1]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        shown = str(path.relative_to(package_dir.parent))
        for imported, line in _imported_modules(tree, package):
            names = imported.split(".")
            if len(names) >= 2 and names[0] == root and names[1] != source and (package_dir / names[1]).is_dir():
                edges.add(Edge(source, names[1], shown, line))
    return sorted(edges)


def app_cycles(edges: list[Edge]) -> list[list[str]]:
    """Every elementary cycle of the app graph, each once, starting from its smallest app name."""
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        graph[edge.source].add(edge.target)
    cycles: list[list[str]] = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == start:
                cycles.append([*path, start])
            elif nxt > start and nxt not in path:
                walk(start, nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return cycles


def describe_cycle(cycle: list[str], edges: list[Edge]) -> str:
    """One line per edge of the cycle, with every import statement that makes it."""
    lines = [" -> ".join(cycle)]
    for source, target in zip(cycle, cycle[1:], strict=False):
        where = ", ".join(str(e) for e in edges if (e.source, e.target) == (source, target))
        lines.append(f"  {source} -> {target}: {where}")
    return "\n".join(lines)


# --- The graph functions find what they should -------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_a_cycle_made_by_a_relative_import_inside_a_function_is_found(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/one/__init__.py": "",
            "pkg/one/models.py": "from pkg.two.models import Thing\n",
            "pkg/two/__init__.py": "",
            "pkg/two/models.py": "Thing = 1\n",
            "pkg/two/views.py": "def view():\n    from ..one import models\n    return models\n",
        },
    )
    edges = import_edges(package)
    assert edges == [Edge("one", "two", "pkg/one/models.py", 1), Edge("two", "one", "pkg/two/views.py", 2)]
    cycles = app_cycles(edges)
    assert cycles == [["one", "two", "one"]]
    assert describe_cycle(cycles[0], edges).splitlines() == [
        "one -> two -> one",
        "  one -> two: pkg/one/models.py:1",
        "  two -> one: pkg/two/views.py:2",
    ]


def test_imports_in_one_direction_make_no_cycle(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/base/__init__.py": "from . import helpers\n",
            "pkg/base/helpers.py": "import os\n",
            "pkg/top/__init__.py": "",
            "pkg/top/views.py": "from pkg import base\nimport pkg.base.helpers\n",
        },
    )
    edges = import_edges(package)
    assert [(e.source, e.target, e.line) for e in edges] == [("top", "base", 1), ("top", "base", 2)]
    assert app_cycles(edges) == []


def test_a_cycle_through_three_apps_is_reported_once(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a/__init__.py": "import pkg.b\n",
            "pkg/b/__init__.py": "import pkg.c\n",
            "pkg/c/__init__.py": "import pkg.a\n",
        },
    )
    assert app_cycles(import_edges(package)) == [["a", "b", "c", "a"]]


# --- The rules of the house ---------------------------------------------------------------------


def test_no_two_apps_import_each_other_directly_or_through_others() -> None:
    edges = import_edges(APPS_DIR)
    cycles = app_cycles(edges)
    assert not cycles, "cycles between apps:\n" + "\n".join(describe_cycle(c, edges) for c in cycles)


def test_core_imports_no_other_app_of_the_project() -> None:
    found = [e for e in import_edges(APPS_DIR) if e.source == "core"]
    assert not found, "apps/core imports " + ", ".join(f"apps.{e.target} at {e}" for e in found)


def test_experiments_imports_nothing_from_submissions() -> None:
    found = [e for e in import_edges(APPS_DIR) if (e.source, e.target) == ("experiments", "submissions")]
    assert not found, "apps/experiments imports apps.submissions at " + ", ".join(map(str, found))
