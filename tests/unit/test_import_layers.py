"""Import contracts: the layers of docs/architecture.md, checked on the source.

Every module under ``src/poolgate`` is parsed with ``ast`` (nothing is imported), and its
imports of ``poolgate`` modules become edges of a graph. Two contracts:

1. **Layers**: a module imports only modules of its own layer or of a lower one, and the
   components of one layer that are listed apart (e.g. ``protocol``, the core and ``store.sql``)
   do not import each other. Every import counts, at module level or inside a function, except
   those under ``if TYPE_CHECKING:``: they are annotations only and never run (the operation
   registry names ``services.Services`` that way).
2. **No cycles between packages**, counting module-level imports (those that run at import
   time; imports inside functions and under ``if TYPE_CHECKING:`` are exempt). A "package" is
   the longest name of the layer table below that contains the module: ``poolgate.users`` for
   ``users/admin.py``, but ``poolgate.users.model`` for ``users/model.py``, so the models are
   nodes of their own below ``store.base``. ``KNOWN_CYCLE_EDGES`` lists, with its reason, each
   edge allowed to close a cycle; the test fails when one of them disappears, so the list
   shrinks as they are removed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import poolgate

SOURCE = Path(poolgate.__file__).parent

CORE = (
    "poolgate.auth",
    "poolgate.delivery",
    "poolgate.devices",
    "poolgate.mfa",
    "poolgate.passwords",
    "poolgate.pools",
    "poolgate.security",
    "poolgate.srp",
    "poolgate.tokens",
    "poolgate.triggers",
    "poolgate.users",
)
MODELS = (
    "poolgate.devices.model",
    "poolgate.mfa.model",
    "poolgate.pools.model",
    "poolgate.security.model",
    "poolgate.tokens.model",
    "poolgate.users.model",
)

# Top to bottom. Each layer maps its components to the packages or modules they hold; a layer
# of several components keeps them independent of each other.
LAYERS: Sequence[tuple[str, Mapping[str, tuple[str, ...]]]] = (
    ("entry points", {"cli": ("poolgate.__main__", "poolgate.cli"), "testing": ("poolgate.testing",)}),
    ("tools over the services", {"devx": ("poolgate.devx",)}),
    ("edge", {"web": ("poolgate.web",)}),
    ("composition root", {"services": ("poolgate.services",)}),
    ("operations", {"operations": ("poolgate.operations",)}),
    (
        "protocol, core and the SQL store",
        {"protocol": ("poolgate.protocol",), "core": CORE, "store.sql": ("poolgate.store.sql",)},
    ),
    ("store interfaces", {"store.base": ("poolgate.store", "poolgate.store.base")}),
    ("models", {"models": MODELS}),
    (
        "foundation",
        {
            "foundation": (
                "poolgate",
                "poolgate.errors",
                "poolgate.clock",
                "poolgate.config",
                "poolgate.metrics",
                "poolgate.private_files",
                "poolgate.security.crypto",
            )
        },
    ),
)

# (importing package, imported package) -> why the edge is allowed to close a cycle.
KNOWN_CYCLE_EDGES: Mapping[tuple[str, str], str] = {
    ("poolgate.users", "poolgate.security"): (
        "users.self_service counts ChangePassword failures with security.lockout, while "
        "security.service finds users with users.lookup"
    ),
}


@dataclass(frozen=True, slots=True)
class Import:
    importer: str
    imported: str
    line: int
    module_level: bool


def module_names() -> dict[str, Path]:
    names = {}
    for path in sorted(SOURCE.rglob("*.py")):
        parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(body: Sequence[ast.stmt], module_level: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """The import statements of ``body`` and whether each runs at import time, skipping
    ``if TYPE_CHECKING:`` blocks (their ``else`` runs)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, module_level
        elif isinstance(node, ast.If) and _is_type_checking(node):
            yield from _import_nodes(node.orelse, module_level)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _import_nodes(getattr(node, "body", []), False)
        elif isinstance(node, ast.ClassDef):
            yield from _import_nodes(node.body, module_level)
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for child in getattr(node, field, ()):
                    if isinstance(child, ast.stmt):
                        yield from _import_nodes([child], module_level)
                    elif hasattr(child, "body"):
                        yield from _import_nodes(child.body, module_level)


def imports(names: Mapping[str, Path]) -> list[Import]:
    found = []
    for module, path in names.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node, module_level in _import_nodes(ast.parse(path.read_text(), str(path)).body, True):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                assert isinstance(node, ast.ImportFrom)
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            for target in targets:
                if target in names and target != module:
                    found.append(Import(module, target, node.lineno, module_level))
    return found


def _within(module: str, name: str) -> bool:
    return module == name or module.startswith(name + ".")


def place(module: str) -> tuple[int, str, str]:
    """(layer index, component, unit): the layer table's longest name containing ``module``.
    The root ``poolgate`` matches only itself."""
    best: tuple[int, int, str, str] | None = None
    for index, (_, components) in enumerate(LAYERS):
        for component, units in components.items():
            for unit in units:
                matches = module == unit if unit == "poolgate" else _within(module, unit)
                if matches and (best is None or len(unit) > best[0]):
                    best = (len(unit), index, component, unit)
    assert best is not None, f"{module} is in no layer of LAYERS: place it there and in docs/architecture.md"
    return best[1], best[2], best[3]


def test_every_module_has_a_layer_and_every_model_is_in_the_models_layer() -> None:
    for module in module_names():
        place(module)
        parts = module.split(".")
        if len(parts) == 3 and parts[2] == "model" and parts[1] != "protocol":
            assert module in MODELS, f"{module} is a domain model: list it in MODELS"


def test_imports_point_only_to_the_same_layer_or_lower() -> None:
    names = module_names()
    violations = []
    for edge in imports(names):
        (above, component, _), (below, other, _) = place(edge.importer), place(edge.imported)
        if below < above:
            violations.append(
                f"{edge.importer}:{edge.line} imports {edge.imported}, a higher layer "
                f"({LAYERS[below][0]} above {LAYERS[above][0]})"
            )
        elif below == above and component != other:
            violations.append(
                f"{edge.importer}:{edge.line} imports {edge.imported}: {component} and {other} are "
                f"independent in the layer {LAYERS[above][0]}"
            )
    assert not violations, "\n".join(violations)


def _package_graph(names: Mapping[str, Path]) -> dict[str, dict[str, list[str]]]:
    """Unit -> imported unit -> the module-level imports behind the edge."""
    graph: dict[str, dict[str, list[str]]] = {}
    for edge in imports(names):
        if not edge.module_level:
            continue
        source, target = place(edge.importer)[2], place(edge.imported)[2]
        if source != target:
            graph.setdefault(source, {}).setdefault(target, []).append(
                f"{edge.importer}:{edge.line} -> {edge.imported}"
            )
    return graph


def _cycles(graph: Mapping[str, Mapping[str, object]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, {}):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_packages_but_the_listed_ones() -> None:
    graph = _package_graph(module_names())
    for (source, target), reason in KNOWN_CYCLE_EDGES.items():
        assert target in graph.get(source, {}), (
            f"{source} -> {target} is gone: drop it from KNOWN_CYCLE_EDGES"
        )
        assert reason
    pruned = {
        source: {t: why for t, why in targets.items() if (source, t) not in KNOWN_CYCLE_EDGES}
        for source, targets in graph.items()
    }
    cycles = _cycles(pruned)
    detail = [
        f"{' <-> '.join(cycle)}: "
        + "; ".join(f"{s} -> {t} ({pruned[s][t][0]})" for s in cycle for t in pruned.get(s, {}) if t in cycle)
        for cycle in cycles
    ]
    assert not cycles, "\n".join(detail)


def test_the_known_cycle_edges_are_what_closes_the_cycles() -> None:
    """Each listed edge closes a cycle today (else it is not an exception, just an import)."""
    graph = _package_graph(module_names())
    cycles = _cycles(graph)
    for source, target in KNOWN_CYCLE_EDGES:
        assert any(source in cycle and target in cycle for cycle in cycles), (source, target)
