"""Timing of the exchange paths and the demo generator against their floors.

    .venv/bin/python bench/bench_exchange.py [--students 5000] [--demo 30000] [--repeat 1]

Builds a demo archive (in a temporary folder), exports it as .xls and .xlsx, imports each file into a
fresh archive of the same school with the same classes (validation and rules included), and times
build_demo for a large school. Prints a table; exits 1 when a floor is missed.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.school import classes as cs  # noqa: E402
from app.school.demo import build_demo  # noqa: E402
from app.exchange.export_service import export_students  # noqa: E402
from app.exchange.import_service import import_students  # noqa: E402
from app.school.service import init_school  # noqa: E402
from app.core.session import Session  # noqa: E402

FLOORS = {"import": 5.0, "export": 3.0, "demo": 30.0}  # seconds, for 5,000 / 5,000 / 30,000 students


def clone(src: Session, folder: Path) -> Session:
    s = src.school
    dst = init_school(folder, name=s["name"], code=s["code"], stages=s["stages"], profile=s["profile"])
    for k in cs.list_classes(src):
        cs.add_class(dst, stage=k["stage"], grade=k["grade"], number=k["number"], entry_year=k["entry_year"],
                     code=k["code"], capacity=k["capacity"], head_teacher=k["head_teacher"])
    return dst


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=5000)
    ap.add_argument("--demo", type=int, default=30000)
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement (the median is reported)")
    args = ap.parse_args(argv)
    rows: list[tuple[str, int, float, float | None]] = []
    with tempfile.TemporaryDirectory(prefix="xueji-bench-") as tmp:
        tmp = Path(tmp)
        secs, _ = timed(lambda: build_demo(tmp / "src", students=args.students))
        rows.append((f"build_demo({args.students})", args.students, secs, None))
        src = Session.open(tmp / "src")
        try:
            for suffix in (".xls", ".xlsx"):
                path = tmp / f"students{suffix}"
                runs = []
                for _ in range(args.repeat):
                    secs, rep = timed(lambda: export_students(src, path))
                    assert rep.count == args.students, rep
                    runs.append(secs)
                rows.append((f"export {suffix}", rep.count, statistics.median(runs), FLOORS["export"]))
            for suffix in (".xls", ".xlsx"):
                runs = []
                for i in range(args.repeat):
                    folder = tmp / f"dst{suffix}{i}"
                    dst = clone(src, folder)
                    try:
                        secs, rep = timed(lambda: import_students(dst, tmp / f"students{suffix}"))
                    finally:
                        dst.close()
                        shutil.rmtree(folder, ignore_errors=True)
                    assert rep.imported == args.students and not rep.errors, (rep.imported, rep.errors[:3])
                    runs.append(secs)
                rows.append((f"import {suffix} (validated)", rep.imported, statistics.median(runs), FLOORS["import"]))
        finally:
            src.close()
        runs = []
        for i in range(args.repeat):
            folder = tmp / f"demo{i}"
            secs, counts = timed(lambda: build_demo(folder, students=args.demo))
            assert counts["students"] == args.demo, counts
            runs.append(secs)
            shutil.rmtree(folder, ignore_errors=True)
        rows.append((f"build_demo({args.demo})", args.demo, statistics.median(runs), FLOORS["demo"]))

    print(f"{'step':<28}{'rows':>8}{'seconds':>10}{'floor':>8}  result")
    failed = False
    for name, n, secs, floor in rows:
        ok = floor is None or secs <= floor
        failed |= not ok
        print(f"{name:<28}{n:>8}{secs:>10.2f}{(f'{floor:.0f}' if floor else '-'):>8}  {'ok' if ok else 'TOO SLOW'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
