"""How the modules of ``papers`` depend on each other: no import cycle (function-level imports count: one
there only hides the cycle until the function runs), the models import nothing of the ingest pipeline, and
no module reaches into another's private names."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "papers"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for path in PACKAGE.rglob("*.py")
    if "migrations" not in path.relative_to(ROOT).parts
}


def imports(name: str) -> list[tuple[str, list[str]]]:
    """(module, names taken from it) for every import statement of module ``name``, at any depth."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            source = ".".join(part for part in (base, node.module) if part)
            for alias in node.names:  # ``from papers.search import cache`` imports a module
                submodule = f"{source}.{alias.name}"
                found.append((submodule, []) if submodule in MODULES else (source, [alias.name]))
    return found


def dependencies(name: str) -> set[str]:
    """The modules of ``papers`` that importing ``name`` runs: each it imports, and their packages, which
    run first (but not ``name``'s own packages, which ran before it, unless it takes names from them)."""
    own_packages = {name.rsplit(".", depth)[0] for depth in range(1, name.count(".") + 1)}
    modules = set()
    for imported, _names in imports(name):
        module = imported
        while module:
            if module in MODULES and module != name and (module == imported or module not in own_packages):
                modules.add(module)
            module = module.rpartition(".")[0]
    return modules


def cycle_through(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    path, seen = [start], set()

    def visit(module: str) -> list[str] | None:
        for following in sorted(graph[module]):
            if following == start:
                return [*path, start]
            if following not in seen:
                seen.add(following)
                path.append(following)
                if cycle := visit(following):
                    return cycle
                path.pop()
        return None

    return visit(start)


def test_the_module_walk_sees_nested_and_relative_imports():
    assert "papers.models" in dependencies("papers.apps")  # imported inside ready()
    assert "papers.ingest.parsed" in dependencies("papers.ingest.text")  # ``from .parsed import``


def test_no_module_of_papers_is_in_an_import_cycle():
    graph = {name: dependencies(name) for name in MODULES}
    cycles = [cycle for name in sorted(MODULES) if (cycle := cycle_through(name, graph))]
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


MODELS = sorted(name for name in MODULES if name == "papers.models" or name.startswith("papers.models."))


@pytest.mark.parametrize("name", [*MODELS, "papers.identifiers", "papers.summary_kinds"])
def test_the_models_and_the_rules_they_share_import_nothing_of_the_ingest_pipeline(name):
    assert not {module for module in dependencies(name) if module.startswith("papers.ingest")}


def test_no_module_takes_a_private_name_from_another():
    private = [
        f"{name} imports {taken} from {module}"
        for name in MODULES
        for module, names in imports(name)
        if module.startswith("papers") and module != name
        for taken in names
        if taken.startswith("_")
    ]
    assert not private
