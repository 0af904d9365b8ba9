"""Golden-output regression test of the ``xueji`` command line (see tests/cli_golden.py for the session
and for what is masked).

    python -m pytest -q tests/house/test_cli_golden.py                          # compare
    XUEJI_GOLDEN_UPDATE=1 python -m pytest -q tests/house/test_cli_golden.py    # rewrite the golden file

Rewrite the golden file only on the code the comparison starts from (e.g. before a restructure), then run
the comparison on the changed code.
"""
from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.cli_golden import REPO, run_session

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "cli_golden.txt"


def test_cli_runs_this_checkout():
    """The session's processes load ``app`` from this checkout (cwd and PYTHONPATH), not from wherever an
    editable install points."""
    p = subprocess.run([sys.executable, "-c", "import app, os; print(os.path.dirname(os.path.abspath(app.__file__)))"],
                       cwd=REPO, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(REPO)},
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert Path(p.stdout.strip()).resolve() == (REPO / "app").resolve()


def test_cli_golden(tmp_path):
    actual = run_session(tmp_path)
    if os.environ.get("XUEJI_GOLDEN_UPDATE") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(actual, encoding="utf-8")
        return
    assert GOLDEN.exists(), f"{GOLDEN} is missing: run with XUEJI_GOLDEN_UPDATE=1 on the reference code first"
    expected = GOLDEN.read_text(encoding="utf-8")
    if actual != expected:
        raise AssertionError(f"xueji CLI output differs from the golden file:\n{golden_diff(expected, actual)}")


def golden_diff(expected: str, actual: str) -> str:
    """A unified diff; each hunk header names the command it is in (the golden file's ``=====`` line)."""
    old = expected.splitlines(keepends=True)
    out = []
    for line in difflib.unified_diff(old, actual.splitlines(keepends=True), fromfile=str(GOLDEN),
                                     tofile="this run", n=3):
        m = re.match(r"@@ -(\d+)", line)
        if m:
            start = int(m.group(1))
            header = next((old[i].strip() for i in range(min(start + 2, len(old) - 1), -1, -1)
                           if old[i].startswith("=====")), "")
            line = line.rstrip("\n") + (f"  {header}" if header else "") + "\n"
        out.append(line)
    return "".join(out)
