"""radnb's own import graph has no cycle, counting imports inside functions too.

Every module under radnb/ is parsed with :mod:`ast`; each ``import radnb.x`` and
``from radnb.x import y`` at any depth (module level, inside functions, inside
``if TYPE_CHECKING:``) is an edge, except inside ``if TYPE_CHECKING:`` (never executed). ``from
radnb.pkg import name`` where ``name`` is a submodule of ``radnb.pkg`` is an edge
to that submodule. Edges to a module's own parent packages are dropped: a
parent is always initialised before its children. A cycle means a lower layer
(statistics) reaches up into a higher one (plots, study, widgets).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "radnb"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(node: ast.ImportFrom, here: str, is_pkg: bool) -> str | None:
    if node.level == 0:
        return node.module
    base = here.split(".") if is_pkg else here.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _exported(tree: ast.Module) -> set[str]:
    """Names a module lists in ``__all__`` or defines at its top level."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    names.add(t.id)
                    if t.id == "__all__" and isinstance(node.value, (ast.List, ast.Tuple)):
                        names |= {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _walk_runtime(tree: ast.AST):
    """Like ``ast.walk`` but skipping the body of ``if TYPE_CHECKING:``."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if _is_type_checking(node):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    """Module -> the radnb modules it imports (anywhere in its body).

    ``from radnb.pkg import name``, where ``name`` is neither a submodule nor
    defined in ``radnb/pkg/__init__.py``, is served lazily by the package's
    ``__getattr__`` from the submodule that exports it: the edge goes there.
    """
    mods = _modules()
    trees = {m: ast.parse(p.read_text(encoding="utf-8"), filename=str(p)) for m, p in mods.items()}
    exported = {m: _exported(t) for m, t in trees.items()}

    def provider(pkg: str, attr: str) -> str | None:
        if f"{pkg}.{attr}" in mods:
            return f"{pkg}.{attr}"
        if attr in exported.get(pkg, ()):
            return None  # defined (or imported) by the package itself
        subs = [m for m in mods if m.rsplit(".", 1)[0] == pkg and attr in exported[m]]
        return subs[0] if len(subs) == 1 else None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        tree = trees[name]
        is_pkg = path.name == "__init__.py"
        for node in _walk_runtime(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node, name, is_pkg)
                if base is None:
                    continue
                targets = [base]
                if mods.get(base, Path()).name == "__init__.py":
                    targets += [p for a in node.names if (p := provider(base, a.name))]
            for t in targets:
                if not (t == "radnb" or t.startswith("radnb.")):
                    continue
                # an import of radnb.a.b names the module, or the nearest package above it
                while t not in mods and "." in t:
                    t = t.rsplit(".", 1)[0]
                # importing a module runs its package __init__ first, but those are
                # lazy (__getattr__) here, so only the named module is an edge
                if t in mods and t != name and not name.startswith(t + "."):
                    graph[name].add(t)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Collapse modules to their subpackage (radnb.evaluate, radnb.plots, ...)."""

    def pkg(m: str) -> str:
        return ".".join(m.split(".")[:2])

    out: dict[str, set[str]] = {}
    for m, deps in graph.items():
        out.setdefault(pkg(m), set())
        out[pkg(m)] |= {pkg(d) for d in deps if pkg(d) != pkg(m) and pkg(d) != "radnb"}
    return out


def test_graph_finds_real_edges():
    g = import_graph()
    # a module-level and a function-level import that exist today
    assert "radnb.evaluate._common" in g["radnb.evaluate.classification"]
    assert "radnb.evaluate.classification" in g["radnb.plots.classification"]


def test_find_cycles_detects_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


# Cycles outside radnb.evaluate, owned by other modules' maintainers: tolerated
# here until fixed (delete the entry then). Any other cycle fails the test.
KNOWN_CYCLES: list[list[str]] = []


def test_no_import_cycle_between_modules():
    cycles = [c for c in find_cycles(import_graph()) if c not in KNOWN_CYCLES]
    assert not cycles, f"import cycles among radnb modules: {cycles}"


def test_no_cycle_touches_evaluate():
    cycles = [c for c in find_cycles(import_graph()) if any("evaluate" in m for m in c)]
    assert not cycles, f"import cycles through radnb.evaluate: {cycles}"


def test_evaluate_never_imports_plots_or_higher_layers():
    g = import_graph()
    bad = {
        (m, d)
        for m, deps in g.items()
        if m.startswith("radnb.evaluate")
        for d in deps
        if d.split(".")[1:2] and d.split(".")[1] in ("plots", "study", "widgets", "pipeline")
    }
    assert not bad, f"radnb.evaluate imports a higher layer: {sorted(bad)}"


@pytest.mark.parametrize("pkg", ["radnb.evaluate"])
def test_no_cycle_through_statistics_packages(pkg):
    cycles = [c for c in find_cycles(_package_graph(import_graph())) if pkg in c]
    assert not cycles, f"subpackage import cycle through {pkg}: {cycles}"
