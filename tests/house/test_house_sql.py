"""One persistence story (docs/decisions.md, "Persistence: feature stores over db/"): SQL is executed only
by db/ and by the feature stores (app/<feature>/store.py, app/<feature>/*_store.py), and db/ stands on
its own, importing nothing from app/ or ui/."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXECUTE = {"execute", "executemany", "executescript"}


def _modules(*tops: str):
    for top in tops:
        for path in sorted((ROOT / top).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_store(path: Path) -> bool:
    rel = path.relative_to(ROOT)
    return rel.parts[0] == "db" or (rel.parts[0] == "app" and (rel.name == "store.py" or rel.name.endswith("_store.py")))


def test_sql_only_in_stores():
    found = []
    for path, tree in _modules("app", "ui", "db"):
        if _is_store(path):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in EXECUTE:
                found.append(f"{path.relative_to(ROOT)} line {node.lineno}: .{node.func.attr}(")
    assert found == [], "SQL belongs in the feature's store module:\n" + "\n".join(found)


def test_the_scan_sees_sql():
    """The rule above is not vacuous: the stores do execute SQL, and a call in a function body is seen."""
    tree = ast.parse("def f(conn):\n    return conn.execute('SELECT 1')\n")
    assert any(isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "execute" for n in ast.walk(tree))
    stores = [p for p, _ in _modules("app") if _is_store(p)]
    assert any(p.name == "store.py" and p.parent.name == "students" for p in stores)


def test_db_imports_nothing_from_app():
    found = []
    for path, tree in _modules("db"):
        for node in ast.walk(tree):  # imports inside functions count too
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [f"{path.relative_to(ROOT)} line {node.lineno}: {n}" for n in names
                      if n.split(".")[0] in ("app", "ui")]
    assert found == [], "db/ must not import app/ or ui/:\n" + "\n".join(found)
