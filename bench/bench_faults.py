"""Kill trials for a 5,000-row import and a whole-school promotion (fault figures in docs/reliability.md).

Runs ``--trials`` (default 200) SIGKILL trials per fault with the same code as
tests/exchange/test_faults_import_promotion.py: a real ``xueji student import`` of 5,000 rows / ``xueji promote`` on
a 3,000-student demo school, killed at a uniformly random moment between the CLI's start-up and the end
of a whole run; after each the archive must open, pass integrity_check and be wholly before or wholly
after. Prints a table and writes it into docs/reliability.md between the bench_faults markers
(``--no-write`` to only print). Exits 1 when any trial found a mix or a damaged archive."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.exchange.test_faults_import_promotion import (build_import_case, build_promote_case, import_cmd,  # noqa: E402
                                                promote_cmd, promote_year, run_kill_trials)

DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- bench_faults:begin -->", "<!-- bench_faults:end -->"


def summarize(name: str, out: list[dict], failures: int, secs: float) -> str:
    killed = [o for o in out if o["killed"]]
    before = sum(o["state"] == "before" for o in killed)
    after = sum(o["state"] == "after" for o in killed)
    lost = f"; {failures} chunk(s) of 25 FAILED (see stderr)" if failures else ""
    return (f"| {name} | {len(out)} | {len(killed)} killed mid-way ({before} left the state before, "
            f"{after} the state after), {len(out) - len(killed)} finished first{lost} | {len(out)} | {secs:.0f} s |")


def trials(pristine: Path, work: Path, cmd, n: int, seed: int) -> tuple[list[dict], int]:
    """``n`` trials in chunks (each chunk re-times the window); an AssertionError counts as a failure."""
    out, failures = [], 0
    chunk = 25
    for i in range(0, n, chunk):
        try:
            out += run_kill_trials(pristine, work / f"c{i}", cmd, min(chunk, n - i), seed + i)
        except AssertionError as e:
            failures += 1
            print("FAILED:", e, file=sys.stderr)
    return out, failures


def write_doc(lines: list[str]) -> None:
    text = DOC.read_text(encoding="utf-8")  # re-read right before editing: others edit this file too
    if BEGIN not in text or END not in text:
        print(f"markers not found in {DOC}; not written", file=sys.stderr)
        return
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(head + BEGIN + "\n" + "\n".join(lines) + "\n" + END + tail, encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--only", choices=["import", "promote"], default=None)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    rows, bad = [], 0
    with tempfile.TemporaryDirectory(prefix="xueji-bench-faults-") as tmp:
        tmp = Path(tmp)
        if args.only in (None, "import"):
            target, sheet = build_import_case(tmp / "imp")
            t0 = time.perf_counter()
            out, f = trials(target, tmp / "imp-trials", lambda d: import_cmd(d, sheet), args.trials, 1000)
            rows.append(summarize("SIGKILL during `xueji student import` (5,000 rows, .xlsx)", out, f,
                                  time.perf_counter() - t0))
            bad += f
        if args.only in (None, "promote"):
            folder = build_promote_case(tmp / "pro")
            year = promote_year()
            t0 = time.perf_counter()
            out, f = trials(folder, tmp / "pro-trials", lambda d: promote_cmd(d, year), args.trials, 2000)
            rows.append(summarize("SIGKILL during `xueji promote` (3,000 students)", out, f,
                                  time.perf_counter() - t0))
            bad += f
    load = os.getloadavg()[0]
    lines = [f"Run {dt.date.today():%Y-%m-%d} (load average {load:.1f} on 2 cores):", "",
             "| fault | trials | what happened | survived (archive ok, all-or-nothing) | wall time |",
             "|---|---|---|---|---|", *rows]
    print("\n".join(lines))
    if not args.no_write:
        write_doc(lines)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
