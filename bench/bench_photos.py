"""Timing of the photo pipeline against the issue's floor: 1,000 camera-size JPEGs (4000×3000) → spec
photos in ≤ 40 s on the 2-core machine (platform-notes §5(b)).

    .venv/bin/python bench/bench_photos.py [--n 200] [--workers 2] [--distinct 16]

Generates ``--distinct`` noise-textured 4000×3000 q92 JPEGs (every 4th with EXIF Orientation=6, as in
platform-notes §5(b)) in a temporary folder and cycles through them for ``--n`` images; each worker of a
ProcessPoolExecutor reads a file and calls app.photos.pipeline.process (a top-level function of bytes).
Prints images/s, the projection for 1,000 images and peak RSS; exits 1 when the floor is missed.
"""
from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw  # noqa: E402

from app.photos.pipeline import process  # noqa: E402
from app.photos.presets import get_preset  # noqa: E402

FLOOR_S_PER_1000 = 40.0


def make_photo(i: int) -> bytes:
    w, h = 4000, 3000
    noise = Image.effect_noise((w, h), 40 + i % 7)
    im = Image.merge("RGB", [noise, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise])
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, w, h // 3), fill=(67 + i % 20, 142, 219))
    d.ellipse((1500, 600, 2500, 2000), fill=(226, 190, 160))
    exif = Image.Exif()
    if i % 4 == 0:
        exif[0x0112] = 6
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=92, exif=exif.tobytes())
    return buf.getvalue()


def work(path: str) -> tuple[int, int]:
    spec = process(Path(path).read_bytes(), get_preset())
    return spec.size, spec.quality


def rss_mb(who) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--distinct", type=int, default=16)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paths = []
        for i in range(a.distinct):
            p = Path(tmp) / f"cam{i:03d}.jpg"
            p.write_bytes(make_photo(i))
            paths.append(str(p))
        mean_mb = sum(Path(p).stat().st_size for p in paths) / len(paths) / 1e6
        print(f"generated {a.distinct} distinct 4000x3000 JPEGs, mean {mean_mb:.1f} MB, "
              f"in {time.perf_counter() - t:.1f} s")
        jobs = [paths[i % len(paths)] for i in range(a.n)]
        t = time.perf_counter()
        if a.workers > 1:
            with ProcessPoolExecutor(a.workers) as ex:
                results = list(ex.map(work, jobs, chunksize=4))
        else:
            results = [work(p) for p in jobs]
        dt = time.perf_counter() - t
    sizes = [r[0] for r in results]
    per_1000 = dt / a.n * 1000
    print(f"{a.n} images, {a.workers} worker(s): {dt:.2f} s, {a.n / dt:.1f} images/s, "
          f"{dt / a.n * 1000:.0f} ms/image wall; projected 1,000 images: {per_1000:.1f} s (floor {FLOOR_S_PER_1000:.0f} s)")
    print(f"outputs: mean {sum(sizes) / len(sizes) / 1024:.1f} KB, max {max(sizes) / 1024:.1f} KB, "
          f"qualities {sorted(set(r[1] for r in results))}")
    print(f"peak RSS: parent {rss_mb(resource.RUSAGE_SELF):.0f} MB, largest worker {rss_mb(resource.RUSAGE_CHILDREN):.0f} MB")
    ok = per_1000 <= FLOOR_S_PER_1000
    print("ok" if ok else "FLOOR MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
