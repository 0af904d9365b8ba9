"""The import graph of app/, db/ and ui/: every ``import`` statement, those inside functions included.

Used by tests/house/test_house.py (no cycles, no underscore names across modules, layers point downwards) and handy by
hand: ``python -m tests.import_graph`` prints the numbers, any cycle and the edges between packages.
"""
from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("app", "db", "ui")


@dataclass
class Graph:
    modules: dict[str, Path]
    edges: dict[str, set[str]]
    # (importing module, imported module, name, line) for ``from m import _name`` across modules
    private: list[tuple[str, str, str, int]] = field(default_factory=list)

    @property
    def edge_count(self) -> int:
        return sum(len(v) for v in self.edges.values())

    def cycles(self) -> list[list[str]]:
        """Strongly connected components with more than one module (Tarjan, iterative)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        on_stack: set[str] = set()
        stack: list[str] = []
        out: list[list[str]] = []
        counter = 0
        for root in sorted(self.edges):
            if root in index:
                continue
            work = [(root, iter(sorted(self.edges[root])))]
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on_stack.add(root)
            while work:
                v, it = work[-1]
                w = next(it, None)
                if w is not None:
                    if w not in index:
                        index[w] = low[w] = counter
                        counter += 1
                        stack.append(w)
                        on_stack.add(w)
                        work.append((w, iter(sorted(self.edges.get(w, ())))))
                    elif w in on_stack:
                        low[v] = min(low[v], index[w])
                    continue
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        x = stack.pop()
                        on_stack.discard(x)
                        comp.append(x)
                        if x == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
        return out


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def build(root: Path = ROOT) -> Graph:
    modules = {module_name(p, root): p for layer in LAYERS for p in sorted((root / layer).rglob("*.py"))}

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {}
    private: list[tuple[str, str, str, int]] = []
    for mod, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        out: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = owner(alias.name)
                    if target:
                        out.add(target)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    if full in modules:
                        out.add(full)
                        continue
                    target = owner(source)
                    if not target:
                        continue
                    out.add(target)
                    if alias.name.startswith("_") and target != mod:
                        private.append((mod, target, alias.name, node.lineno))
        out.discard(mod)
        edges[mod] = out
    return Graph(modules, edges, private)


def package_of(mod: str) -> str:
    """app.students.service -> app.students; ui.main -> ui; app.cli -> app.cli."""
    parts = mod.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def main() -> int:
    g = build()
    cycles = g.cycles()
    print(f"modules {len(g.modules)}, edges {g.edge_count}, cycles {len(cycles)}, underscore imports {len(g.private)}")
    for c in cycles:
        print("cycle:", " ".join(c))
    for p in g.private:
        print("underscore import:", *p)
    if "--packages" in sys.argv:
        pk: dict[str, set[str]] = {}
        for a, bs in g.edges.items():
            for b in bs:
                if package_of(a) != package_of(b):
                    pk.setdefault(package_of(a), set()).add(package_of(b))
        for a in sorted(pk):
            print(f"{a} -> {', '.join(sorted(pk[a]))}")
    return 1 if cycles or g.private else 0


if __name__ == "__main__":
    sys.exit(main())
