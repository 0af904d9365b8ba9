"""app/ and db/ never import Qt: the CLI and the services must run without a display."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_app_and_db_source_never_import_qt():
    offenders = []
    for layer in ("app", "db"):
        for py in (ROOT / layer).rglob("*.py"):
            for mod in _imports(py):
                if mod.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "shiboken6", "ui"):
                    offenders.append(f"{py.relative_to(ROOT)} imports {mod}")
    assert offenders == []


def test_importing_every_app_module_loads_no_qt():
    mods = sorted({".".join(p.relative_to(ROOT).with_suffix("").parts) for layer in ("app", "db")
                   for p in (ROOT / layer).rglob("*.py") if p.name not in ("__init__.py", "__main__.py")})
    code = ("import importlib, sys\n"
            f"for m in {mods!r}: importlib.import_module(m)\n"
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
            "print(bad)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
