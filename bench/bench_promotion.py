"""Year-end promotion of a 3,000-student school (and a 30,000 one), graduation of a class, the deadlines
list and working-day arithmetic: wall times on real archives in a temporary folder.

    .venv/bin/python bench/bench_promotion.py [--students 3000] [--runs 5]
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.changes import deadlines
from app.promotion import service as promotion
from app.core import workdays  # noqa: E402
from app.school.demo import build_demo  # noqa: E402
from app.core.session import Session  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    r = fn()
    return time.perf_counter() - t, r


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="xueji-bench-promo-"))
    try:
        base = root / "base"
        build_demo(base, students=a.students, profile="henan-zhoukou", seed=11)
        promo, dry, grad, dl = [], [], [], []
        for i in range(a.runs):
            folder = root / f"run{i}"
            shutil.copytree(base, folder)
            with Session.open(folder) as s:
                t, r = timed(lambda: promotion.promote(s, 2026, data_checked=True, dry_run=True))
                dry.append(t)
                t, r = timed(lambda: promotion.promote(s, 2026, data_checked=True))
                promo.append(t)
                students = r.students
                k = r.graduating_classes_skipped[0]["id"]
                t, g = timed(lambda: promotion.graduate(s, k))
                grad.append((t, len(g.per_student)))
                t, items = timed(lambda: deadlines.list_deadlines(s, dt.date(2027, 7, 1)))
                dl.append((t, len(items)))
            shutil.rmtree(folder)
        with Session.open(base) as s:
            t, _ = timed(lambda: [workdays.add_working_days(s.conn, dt.date(2026, 1, 1) + dt.timedelta(days=d), 10)
                                  for d in range(365)])
        print(f"students in the school: {a.students}; promoted per run: {students}")
        print(f"promote (one transaction): median {statistics.median(promo) * 1000:.0f} ms, "
              f"max {max(promo) * 1000:.0f} ms over {a.runs} runs")
        print(f"promote --dry-run: median {statistics.median(dry) * 1000:.0f} ms")
        print(f"graduate one class ({grad[0][1]} students): median {statistics.median(x for x, _ in grad) * 1000:.0f} ms")
        print(f"deadlines list ({dl[0][1]} items): median {statistics.median(x for x, _ in dl) * 1000:.0f} ms")
        print(f"add_working_days(+10) for each day of 2026: {t * 1000:.0f} ms total, {t / 365 * 1e6:.0f} µs each")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
