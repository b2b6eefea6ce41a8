"""The layout is part of the design: no import cycles, packages import only those below them,
and the repository never points outside itself."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lowest first: a package may import only packages earlier in this list (and itself).
LAYERS = ["errors", "store", "load", "sync", "reconcile", "webhooks", "flows", "cli"]


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    files = sorted((ROOT / "pipelines").rglob("*.py")) + sorted((ROOT / "connectors").rglob("*.py"))
    modules = {_module(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                base = node.module
                deps.update(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                            for a in node.names)  # fmt: skip
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles():
    graph = _graph()
    assert len(graph) > 50, "the walk found too few modules to mean anything"
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"


def test_the_cycle_check_finds_a_planted_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_packages_import_only_lower_layers():
    wrong = []
    for module, deps in _graph().items():
        if not module.startswith("pipelines."):
            continue
        mine = _layer(module)
        for dep in deps:
            if dep.startswith("connectors.") and dep.split(".")[1] in ("smarterpay", "smart2pay"):
                if mine != LAYERS.index("cli"):
                    wrong.append(f"{module} -> {dep} (only the CLI may name a provider)")
            theirs = _layer(dep)
            if mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{module} -> {dep}")
    assert not wrong, "imports against the layering:\n" + "\n".join(sorted(wrong))


def test_connectors_never_import_pipelines():
    offenders = [m for m, deps in _graph().items() if m.startswith("connectors")
                 and any(d.startswith("pipelines") for d in deps)]  # fmt: skip
    assert not offenders


# Spelt in pieces, so this file does not contain what it looks for.
NEEDLES = ["/".join(["..", "shared"]), *(f"/{d}/" for d in ("work", "root", "home"))]


@pytest.mark.parametrize("needle", NEEDLES)
def test_repository_points_nowhere_outside_itself(needle):
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()  # fmt: skip
    hits = []
    for name in files:
        path = ROOT / name
        if not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        hits += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert not hits, f"{needle!r} found in: {hits[:10]}"
