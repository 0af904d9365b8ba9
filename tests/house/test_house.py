"""The house (docs/architecture.md): feature packages over a small kernel, imports pointing one way.

The graph counts every import statement, those inside functions included, so a circle cannot hide in a
function body; ``python -m tests.import_graph --packages`` prints what these tests check.
"""
from __future__ import annotations

import ast
import textwrap

from tests.import_graph import ROOT, build

GRAPH = build()

# Which top-level pieces may import which: ui -> app -> db, never back.
FORBIDDEN = {"db": ("app", "ui"), "app": ("ui",)}


def test_no_import_cycles():
    assert GRAPH.cycles() == []


def test_no_module_imports_another_modules_underscore_names():
    assert [f"{a} line {line} takes {name} from {b}" for a, b, name, line in GRAPH.private] == []


def test_layers_point_downwards():
    wrong = [f"{a} imports {b}" for a, targets in GRAPH.edges.items() for b in targets
             if b.split(".")[0] in FORBIDDEN.get(a.split(".")[0], ())]
    assert wrong == []


# The session is where the kernel meets the archive's content: it reads the school row (its profile id) and loads
# that profile's rules. Those two edges are the kernel's only way up; anything else is a feature leaking down.
KERNEL_MAY_USE = {"app.core.session": {"app.school.store", "app.rules.engine"}}


def test_the_kernel_imports_no_feature():
    """app.core and db are what every feature stands on: they import no feature package."""
    kernel = ("app.core", "db")
    wrong = [f"{a} imports {b}" for a, targets in GRAPH.edges.items() if a.startswith(kernel)
             for b in targets if not b.startswith(kernel) and b not in KERNEL_MAY_USE.get(a, ())]
    assert wrong == []


def test_package_inits_import_nothing():
    """Importing a leaf (app.changes.kinds) must not drag a service in behind it: a package's __init__ holds its
    docstring only. app/cli/__init__.py is the entry point (``app.cli:main``) and is the exception."""
    heavy = [m for m, p in GRAPH.modules.items() if p.name == "__init__.py" and m != "app.cli" and GRAPH.edges[m]]
    assert heavy == []


def test_every_module_says_what_it_owns():
    missing = [m for m, p in GRAPH.modules.items()
               if p.name != "__main__.py" and not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert missing == []


def test_feature_packages_are_the_layout():
    """Every app/ and ui/ module sits in a package (the entry points and the main window excepted)."""
    loose = sorted(m for m in GRAPH.modules if m.count(".") == 1 and m.split(".")[0] in ("app", "ui")
                   and GRAPH.modules[m].name != "__init__.py" and m not in ("ui.main", "ui.main_window"))
    assert loose == []


def test_the_graph_sees_imports_inside_functions_and_relative_ones(tmp_path):
    """The checker itself: a circle closed only by a function-level or relative import is found."""
    for layer in ("app", "db", "ui"):
        (tmp_path / layer).mkdir()
        (tmp_path / layer / "__init__.py").write_text('"""x"""\n')
    (tmp_path / "app" / "a.py").write_text('"""a"""\nfrom app import b\n')
    (tmp_path / "app" / "b.py").write_text(textwrap.dedent('''\
        """b"""
        def f():
            from app.c import _hidden
            return _hidden
        '''))
    (tmp_path / "app" / "c.py").write_text('"""c"""\nfrom . import a\n_hidden = 1\n')
    g = build(tmp_path)
    assert g.cycles() == [["app.a", "app.b", "app.c"]]
    assert [(a, b, n) for a, b, n, _ in g.private] == [("app.b", "app.c", "_hidden")]


def test_the_numbers_are_plausible():
    """Guards against the scan silently finding nothing (a moved tree, a wrong root)."""
    assert len(GRAPH.modules) > 150 and GRAPH.edge_count > 500
    assert (ROOT / "app" / "cli" / "__init__.py").exists()
