"""ui/ calls app/ only: no db/ or sqlite3 imports and no SQL in ui/*.py (architecture: ui -> app -> db)."""
from __future__ import annotations

import re
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "ui"


def test_ui_calls_app_only():
    for path in sorted(UI.rglob("*.py")):
        src = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(db|sqlite3)\b", src, re.M), path.name
        assert not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\s+\w", src), path.name

