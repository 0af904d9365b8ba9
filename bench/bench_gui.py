"""GUI timings on a large demo archive (not a test): cold start to the painted roster, and
search-as-you-type latency from keystroke to updated roster model.

    .venv/bin/python bench/bench_gui.py [--archive DIR] [--students 30000] [--starts 5] [--drop-caches]

* start-up: ``xueji-gui --report-startup`` is started ``--starts`` times as a fresh process; the time
  is measured here from spawning the process to the line it prints once the roster has been painted
  (``--drop-caches`` empties the OS page cache first, as root on Linux, for a truly cold start).
* search: in one process, about 200 keystrokes typed into the search box — names (one hanzi per
  input-method commit), pinyin initials, full pinyin, ID-number fragments — each timed from the
  key event to the end of the model reset, and again including the repaint of the visible rows.
Runs offscreen unless DISPLAY is set.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# The window opens only for someone signed in: the bench signs in from the environment, as scripts do.
BENCH_USER, BENCH_PASSWORD = "bench", "Bench-Registrar-2026"


def ensure_archive(folder: Path, students: int) -> None:
    """A demo archive of ``students`` with the registrar account the start-ups sign in with (made if missing)."""
    from app.accounts.service import has_accounts, setup_first_registrar
    from app.core.session import Session

    if not (folder / "archive.sqlite").exists():
        from app.school.demo import build_demo

        t = time.perf_counter()
        print(f"building a demo archive of {students} students in {folder} …", flush=True)
        build_demo(folder, students=students)
        print(f"  built in {time.perf_counter() - t:.1f} s", flush=True)
    with Session.open(folder) as s:
        if not has_accounts(s):
            setup_first_registrar(s, BENCH_USER, BENCH_PASSWORD, "Bench")


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def bench_startup(folder: Path, runs: int, drop_caches: bool) -> list[float]:
    env = dict(os.environ)
    env.setdefault("XUEJI_USER", BENCH_USER)
    env.setdefault("XUEJI_PASSWORD", BENCH_PASSWORD)
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    out = []
    for _ in range(runs):
        if drop_caches:
            subprocess.run(["sync"], check=False)
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
        t = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-m", "ui.main", "--archive", str(folder), "--report-startup",
                              "--quit-after-ms", "3000"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        for line in p.stdout:
            if line.startswith("startup_ms="):
                out.append((time.perf_counter() - t) * 1000)
                print(f"  start-up {out[-1]:.0f} ms  (app's own count: {line.strip()})", flush=True)
                break
        p.kill()
        p.wait()
    return out


def queries(session, n_each: int, rng: random.Random) -> list[tuple[str, list[str]]]:
    """(kind, [keystroke texts]) — each keystroke is the text one key event / IME commit adds."""
    from app.students import service as ss

    ids = ss.search_ids(session, "")
    rows = ss.rows(session, rng.sample(ids, n_each * 4))
    picks = list(rows.values())
    out = []
    for r in picks[:n_each]:
        out.append(("name", list(r["name"])))
    for r in picks[n_each:2 * n_each]:
        out.append(("initials", list(r["name_initials"])))
    for r in picks[2 * n_each:3 * n_each]:
        out.append(("pinyin", list(r["name_pinyin"][:5])))
    for r in picks[3 * n_each:4 * n_each]:
        start = rng.randrange(0, 10)
        out.append(("id", list(r["id_number"][start:start + 7])))
    return out


def bench_search(folder: Path, n_each: int, use_index: bool) -> dict:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.core.session import Session
    from ui.common.fonts import setup_fonts
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    setup_fonts(app)
    session = Session.open(folder)
    win = MainWindow(session)
    win._index_timer.timeout.disconnect()  # the bench decides when the index is built
    win.show()
    app.processEvents()
    index_ms = None
    if use_index:
        t = time.perf_counter()
        win.model.enable_index()
        while not win.model.search_index.ready:
            app.processEvents()
        index_ms = (time.perf_counter() - t) * 1000
    box, view = win.search_box, win.table
    model_ms, paint_ms, by_kind, clear_ms = [], [], {}, []

    def keystroke(text: str) -> None:
        if text.isascii():
            QTest.keyClick(box, text)
        else:  # Chinese arrives as an input-method commit
            ev = QInputMethodEvent("", [])
            ev.setCommitString(text)
            QApplication.sendEvent(box, ev)

    rng = random.Random(7)
    for kind, keys in queries(session, n_each, rng):
        box.setFocus()
        for k in keys:
            t = time.perf_counter()
            keystroke(k)            # textChanged -> search_ids -> beginResetModel/endResetModel
            t1 = time.perf_counter()
            view.viewport().repaint()  # paint the visible rows (fetches them lazily)
            t2 = time.perf_counter()
            model_ms.append((t1 - t) * 1000)
            paint_ms.append((t2 - t) * 1000)
            by_kind.setdefault(kind, []).append((t1 - t) * 1000)
        t = time.perf_counter()
        QTest.keyClick(box, Qt.Key.Key_Escape)
        clear_ms.append((time.perf_counter() - t) * 1000)
    win.close()
    session.close()
    return {"model": model_ms, "paint": paint_ms, "by_kind": by_kind, "clear": clear_ms, "index_ms": index_ms}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", default="/tmp/xueji-bench-30k")
    ap.add_argument("--students", type=int, default=30000)
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--queries-per-kind", type=int, default=12)
    ap.add_argument("--drop-caches", action="store_true")
    args = ap.parse_args()
    folder = Path(args.archive)
    ensure_archive(folder, args.students)

    print("cold start to painted roster:")
    starts = bench_startup(folder, args.starts, args.drop_caches)
    results = {}
    for use_index in (False, True):
        print(f"search-as-you-type ({'in-memory index' if use_index else 'search_ids per keystroke'}):", flush=True)
        results[use_index] = bench_search(folder, args.queries_per_kind, use_index)
    print()
    print(f"start-up (process spawn -> roster painted), {len(starts)} runs: "
          f"median {statistics.median(starts):.0f} ms, max {max(starts):.0f} ms")
    for use_index, r in results.items():
        m, p = r["model"], r["paint"]
        label = "in-memory index" if use_index else "search_ids (SQL) per keystroke"
        print(f"search, {label}" + (f" (index filled in {r['index_ms']:.0f} ms after the window opened)"
                                     if use_index else "") + ":")
        print(f"  keystroke -> model updated, {len(m)} keystrokes: p50 {pct(m, 50):.1f} ms, p95 {pct(m, 95):.1f} ms, "
              f"max {max(m):.1f} ms")
        print(f"  keystroke -> visible rows repainted:    p50 {pct(p, 50):.1f} ms, p95 {pct(p, 95):.1f} ms, "
              f"max {max(p):.1f} ms")
        for kind, v in r["by_kind"].items():
            print(f"    {kind:9s} {len(v):4d} keystrokes: p50 {pct(v, 50):.1f} ms, p95 {pct(v, 95):.1f} ms")
        print(f"    Esc (clear) {len(r['clear'])}x: p50 {pct(r['clear'], 50):.1f} ms, p95 {pct(r['clear'], 95):.1f} ms")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown of Qt objects (PySide finalisation noise)
    return 0


if __name__ == "__main__":
    sys.exit(main())
