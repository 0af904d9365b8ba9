"""Static scan of the source for the translation-catalog tests (tests/house/test_i18n_catalog.py and
tests/house/test_ui_i18n.py): which catalog keys the code names, with which placeholders, and which string
literals contain Chinese. Import explicitly: ``from tests.i18n_scan import ...`` (this is not a conftest)."""
from __future__ import annotations

import ast
import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG_MODULE = "app/core/i18n.py"  # tr() itself: its calls pass keys through, they do not name them

# Chinese as written in source: CJK radicals, symbols and punctuation (「」、。), kana/bopomofo blocks,
# ideographs (incl. Ext A–G and compatibility), CJK compatibility forms and full-width forms (，：（）).
CJK = re.compile("[\u2e80-\u2fdf\u3000-\u303f\u3040-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
                 "\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]")


@dataclass(frozen=True)
class TrCall:
    path: str                     # relative to the repository, e.g. "app/cli/__init__.py"
    line: int
    key: str | None               # the literal key; None when the key is built (f-string, variable)
    prefix: str                   # a built key's leading literal part ("roster.col.")
    kwargs: frozenset[str] | None  # the placeholder names passed; None when unknowable (``**kw``)


def sources(*layers: str) -> dict[str, str]:
    """``{"app/cli/__init__.py": source, …}`` for every .py file under the given top-level folders."""
    return {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
            for layer in layers for p in sorted((ROOT / layer).rglob("*.py"))}


@lru_cache(maxsize=None)
def _tree(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=path)


# db/ names its keys without importing app/: ``words(key, **params)`` and the archive errors' ``(key, **params)``
# are turned into text by the catalog that app.core.session hands to db.archive.
TR_LIKE = {"tr", "words", "ArchiveError", "ArchiveLocked", "ArchiveTooNew", "ArchiveMissing", "ArchiveDamaged"}


def _is_tr(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id in TR_LIKE) or (isinstance(func, ast.Attribute) and func.attr == "tr")


def tr_calls(*layers: str) -> list[TrCall]:
    out = []
    for path in sources(*layers):
        if path == CATALOG_MODULE:
            continue
        for node in ast.walk(_tree(path)):
            if not (isinstance(node, ast.Call) and _is_tr(node.func) and node.args):
                continue
            arg = node.args[0]
            if path == "db/archive.py" and isinstance(arg, ast.Name) and arg.id == "key":
                continue  # ArchiveError passing its caller's key on, like tr() itself
            kwargs = None if any(k.arg is None for k in node.keywords) else frozenset(k.arg for k in node.keywords)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.append(TrCall(path, node.lineno, arg.value, "", kwargs))
            else:
                first = arg.values[0] if isinstance(arg, ast.JoinedStr) and arg.values else None
                prefix = first.value if isinstance(first, ast.Constant) else ""
                out.append(TrCall(path, node.lineno, None, prefix, kwargs))
    return out


def names_keys(*layers: str) -> list[tuple[str, int, str]]:
    """(path, line, key) for every key in a ``Names({…: "key"})`` table (app.core.i18n.Names: values are keys)."""
    out = []
    for path in sources(*layers):
        for node in ast.walk(_tree(path)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Names"
                    and node.args and isinstance(node.args[0], ast.Dict)):
                for v in node.args[0].values:
                    out.append((path, node.lineno, v.value if isinstance(v, ast.Constant) else None))
    return out


def keys_named_in(*layers: str) -> set[str]:
    """Every catalog key named literally in the given folders (``tr("…")`` and ``Names`` tables)."""
    return ({c.key for c in tr_calls(*layers) if c.key} | {k for _, _, k in names_keys(*layers) if k})


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` in a catalog text ("{count:>4}" → "count")."""
    names = set()
    for _, field, _, _ in string.Formatter().parse(text):
        if field is not None:
            m = re.match(r"\w*", field)
            names.add(m.group(0))
    return names


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                ids.add(id(first.value))
    return ids


def chinese_literals(path: str, allowed_names: set[str] = frozenset()) -> list[tuple[int, str]]:
    """(line, source text) of each string literal (plain or f-string) in ``path`` whose source spelling
    contains Chinese, leaving out docstrings and the module-level assignments to ``allowed_names``.
    Literals spelled with escapes ("\\uff01") are code points, not text, and are not reported."""
    src = (ROOT / path).read_text(encoding="utf-8")
    tree = _tree(path)
    skip = _docstrings(tree)
    allowed_nodes: list[ast.AST] = []
    for stmt in tree.body:
        targets = (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign)
                   else [])
        if targets and all(isinstance(t, ast.Name) and t.id in allowed_names for t in targets):
            allowed_nodes.append(stmt)
    skip |= {id(n) for stmt in allowed_nodes for n in ast.walk(stmt)}
    found = []

    def visit(node: ast.AST) -> None:
        if id(node) in skip:
            return
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            seg = ast.get_source_segment(src, node) or ""
            if CJK.search(seg):
                found.append((node.lineno, seg))
            return  # an f-string's parts are inside its own source text
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def module_level_names(path: str) -> set[str]:
    names = set()
    for stmt in _tree(path).body:
        targets = (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign)
                   else [])
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names
