"""Structure of the package: no import cycles (module-level or lazy), and no module imports a layer above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "planner"

# Layers from the bottom; a module may import its own layer and the ones below, never one above.
LAYERS: list[tuple[str, ...]] = [
    ("planner", "planner.errors", "planner.vocab", "planner.yesno", "planner.geo", "planner.schema", "planner.files"),
    ("planner.labels", "planner.messages", "planner.dataset", "planner.scenario", "planner.kpis"),
    ("planner.norms", "planner.derived", "planner.norms_used", "planner.validate", "planner.readback", "planner.docs", "planner.template",
     "planner.sample", "planner.edits", "planner.roster"),
    ("planner.solver", "planner.solve", "planner.stage", "planner.plan"),
    ("planner.models",),
    ("planner.pipeline", "planner.compare", "planner.explain", "planner.payload", "planner.register"),
    ("planner.report",),
    ("planner.nation",),
    ("planner.ui", "planner.cli"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """planner.* modules imported anywhere in the file (also inside functions: a lazy import is still a dependency;
    imports under `if TYPE_CHECKING:` are for annotations only and do not count)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                   for n in ast.walk(block)}  # imports for annotations only never run
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("planner")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("planner"):
                continue
            for alias in node.names:  # `from . import vocab` imports the module planner.vocab
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _exists(candidate) else target)
    return found


def _exists(module: str) -> bool:
    rel = Path(*module.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").exists() or (PACKAGE.parent / rel / "__init__.py").exists()


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) - {module_name(p)} for p in PACKAGE.rglob("*.py")}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer_of(module: str) -> int:
    best, rank = -1, None
    for k, layer in enumerate(LAYERS):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), k
    if rank is None:
        raise AssertionError(f"{module} is in no layer of tests/test_structure.py: place it")
    return rank


def test_no_import_cycle_inside_planner():
    assert find_cycle(graph()) is None, f"import cycle: {' -> '.join(find_cycle(graph()))}"


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_a_layer_above_it():
    upward = [f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
              for module, targets in graph().items() for target in targets
              if module != "planner" and layer_of(target) > layer_of(module)]
    assert upward == []


@pytest.mark.parametrize("module", ["planner.models.staffing", "planner.models.buildings", "planner.models.equipment",
                                    "planner.models.headquarters"])
def test_models_do_not_reach_into_the_pipeline_report_or_ui(module):
    edges = graph()[module]
    assert not {e for e in edges if e.split(".")[1] in ("pipeline", "report", "ui", "cli")}


def test_every_exception_class_lives_in_planner_errors():
    stray = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    getattr(b, "id", getattr(b, "attr", "")).endswith(("Error", "Exception", "Infeasible", "Inconsistent"))
                    for b in node.bases) and path.name != "errors.py":
                stray.append(f"{module_name(path)}.{node.name}")
    assert stray == []


def test_stage_registry_matches_the_stage_list_and_runs_requirements_first():
    from planner import vocab
    from planner.pipeline import REGISTRY, STAGES

    assert STAGES == vocab.codes("stages")
    for k, stage in enumerate(REGISTRY):
        assert set(stage.requires) <= set(STAGES[:k]), stage.name


def test_run_plan_refuses_an_unknown_stage(tiny_ds):
    from planner.pipeline import run_plan
    from planner.scenario import Scenario

    with pytest.raises(ValueError, match="assets"):
        run_plan(tiny_ds, Scenario(), stages=("assets",))
