"""1,000 diplomas with photos into one PDF, against the floor (≤ 3 s on the project's 2-core machine).

    .venv/bin/python bench/bench_print.py [--students 1000] [--repeat 3] [--keep DIR]

Builds a demo archive in a temporary folder (demo school, its classes and students), gives every
student a distinct photo through the real photo pipeline (synthetic noise-textured 358×441 JPEGs),
then times ``app.printing.render(session, "diploma", …)`` for all of them — full mode (art + fields)
and overlay (套打, fields only) — and reports pages/s, peak memory and file size. Exits 1 when the
floor is missed.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.photos import service as photo_service  # noqa: E402
from app.school.demo import build_demo  # noqa: E402
from app.printing.renderer import Calibration, render  # noqa: E402
from app.core.session import Session  # noqa: E402

FLOOR_S = 3.0


def photo(rng: random.Random) -> bytes:
    from PIL import Image, ImageDraw, ImageFilter

    im = Image.effect_noise((358, 441), 40).convert("RGB")
    bg = Image.new("RGB", im.size, (rng.randint(60, 140), rng.randint(120, 180), rng.randint(180, 240)))
    im = Image.blend(bg, im, 0.25).filter(ImageFilter.GaussianBlur(1))
    d = ImageDraw.Draw(im)
    d.ellipse((90, 70, 268, 290), fill=(rng.randint(200, 240), rng.randint(160, 200), rng.randint(130, 170)))
    d.rectangle((60, 300, 298, 441), fill=(rng.randint(0, 80),) * 3)
    b = io.BytesIO()
    im.save(b, "JPEG", quality=90)
    return b.getvalue()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", help="write the PDFs here instead of a temporary folder")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-print-"))
    try:
        t = time.perf_counter()
        build_demo(tmp / "archive", students=a.students, profile="henan-zhoukou", seed=7)
        s = Session.open(tmp / "archive")
        ids = [r[0] for r in s.conn.execute("SELECT id FROM students ORDER BY id")][:a.students]
        rng = random.Random(7)
        for sid in ids:
            photo_service.set_photo(s, sid, photo(rng))
        n_photos = s.conn.execute("SELECT COUNT(DISTINCT spec_jpeg) FROM photos WHERE current = 1").fetchone()[0]
        avg_kb = s.conn.execute("SELECT AVG(size) FROM photos WHERE current = 1").fetchone()[0] / 1024
        print(f"set-up: {len(ids)} students, {n_photos} distinct photos (mean {avg_kb:.1f} KB) "
              f"in {time.perf_counter() - t:.1f} s")
        outdir = Path(a.keep) if a.keep else tmp
        outdir.mkdir(parents=True, exist_ok=True)
        results = {}
        base_rss = rss_mb()
        for mode, overlay in (("full", False), ("overlay", True)):
            times = []
            for _ in range(a.repeat):
                out = outdir / f"diplomas-{mode}.pdf"
                t = time.perf_counter()
                res = render(s, "diploma", out, student_ids=ids, overlay=overlay,
                             calibration=Calibration(1.0, -0.5, 1.0), numbers={i: f"4116{i:08d}" for i in ids},
                             issue_date="2026-07-01")
                times.append(time.perf_counter() - t)
            med = statistics.median(times)
            results[mode] = (med, min(times), max(times), res.pages, os.path.getsize(out))
        peak = rss_mb()
        s.close()
        print(f"\n| mode | pages | median s | min–max s | pages/s | PDF size |\n|---|---|---|---|---|---|")
        for mode, (med, lo, hi, pages, size) in results.items():
            print(f"| {mode} | {pages} | {med:.2f} | {lo:.2f}–{hi:.2f} | {pages / med:.0f} | {size / 1e6:.1f} MB |")
        print(f"\npeak RSS of the process: {peak:.0f} MB (after set-up {base_rss:.0f} MB)")
        ok = all(v[0] <= FLOOR_S for v in results.values())
        print(f"floor {FLOOR_S} s: {'ok' if ok else 'MISSED'}")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
