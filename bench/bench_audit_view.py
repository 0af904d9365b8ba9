"""The 审计日志 window on a big log (docs/benchmarks.md "Audit log window"): a real archive with 40 students
and N generated entries (default 1,000,000; mixed actions and actors, rare sign-in failures, precomputed
hash chain), then in the window (offscreen Qt):

- open → first page shown (200 entries) and the 操作人 list filled;
- each filter → its first page shown: category (common, rare), actor (rare), student, text (rare, none),
  a date range far back in the log, and the worst case (a filter nothing matches: the whole log examined);
- scrolling: the next page after reaching the bottom;
- the event loop's longest stall while pages load and while 校验 walks the chain (a 10 ms timer's lateness).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_audit_view.py [--entries 1000000] [--folder DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.audit import log as audit  # noqa: E402
from app.school.service import init_school  # noqa: E402
from app.audit import store as aq  # noqa: E402

ACTIONS = ("view", "change.edit", "view", "print", "change.edit", "status.promote", "export", "signin", "signout",
           "view")


def build(session, n: int, student_ids: list[int], chunk: int = 50000) -> float:
    conn = session.conn
    last = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    next_id, prev = last[0] + 1, last[1]
    t0 = time.perf_counter()
    end = next_id + n
    start_day = 0
    while next_id < end:
        rows = []
        for i in range(next_id, min(end, next_id + chunk)):
            day = start_day + (i * 700) // max(n, 1)  # about two school years, oldest first
            at = f"{2025 + day // 365:04d}-{1 + (day % 365) // 31:02d}-{1 + day % 28:02d}T{8 + i % 9:02d}:{i % 60:02d}:00"
            if i % 10007 == 0:
                action, actor, detail = "signin.failed", "guest", '{"reason":"password","via":"gui"}'
            else:
                action = ACTIONS[i % len(ACTIONS)]
                actor = "zhang" if i % 97 == 0 else "registrar"
                detail = ('{"table":"change_history","row":%d,"field":"phone","reason":"","evidence":"","batch":""}' % i
                          if action == "change.edit" else '{"where":"gui"}' if action == "view" else '{}')
            sid = student_ids[i % len(student_ids)] if action in ("view", "change.edit", "status.promote") else None
            h = aq.entry_hash(prev, i, at, actor, action, "student", sid, sid, detail)
            rows.append((i, at, actor, action, "student", sid, sid, detail, prev, h))
            prev = h
        with session.archive.transaction() as c:
            c.executemany("INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail,"
                          " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        next_id += len(rows)
    return time.perf_counter() - t0


class Stall:
    """The longest lateness of a 10 ms timer: how long the GUI thread was blocked."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.worst = 0.0
        self.last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def _tick(self):
        now = time.perf_counter()
        self.worst = max(self.worst, now - self.last - 0.010)
        self.last = now

    def start(self):
        self.worst, self.last = 0.0, time.perf_counter()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.worst


def wait_for(app, cond, timeout=120.0):
    t0 = time.perf_counter()
    while not cond():
        app.processEvents()
        time.sleep(0.001)
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--folder", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    from PySide6.QtWidgets import QApplication, QWidget

    from tests.helpers import fill_class, new_class

    app = QApplication.instance() or QApplication([])
    folder = Path(a.folder or tempfile.mkdtemp(prefix="xueji-bench-auditview-")) / "archive"
    s = init_school(folder, name="基准测试学校", code="4116020001", stages="primary", profile="national",
                    user="registrar")
    cid = new_class(s, 3)
    sids = [r.id for r in fill_class(s, cid, 40, 3)]
    t_build = build(s, a.entries, sids)
    total = audit.total(s)
    size = (folder / "archive.sqlite").stat().st_size
    print(f"entries: {total:,}; archive {size / 2**20:.0f} MiB; built in {t_build:.1f} s")
    from app.students import service as ss
    from ui.audit import audit_view as av

    student_name = ss.get_student(s, sids[7])["name"]

    class Win(QWidget):
        def __init__(self):
            super().__init__()
            self.session = s

    win = Win()
    results: dict[str, list[float]] = {}
    stall = Stall()

    def note(name, secs):
        results.setdefault(name, []).append(secs)

    for _ in range(a.repeat):
        stall.start()
        t0 = time.perf_counter()
        view = av.open_audit_view(win)
        wait_for(app, lambda: view.model.rowCount() > 0 and not view.model.loading)
        note("open → first page", time.perf_counter() - t0)
        wait_for(app, lambda: view.actor_combo.count() > 2)
        note("open → 操作人 list filled (one GROUP BY over the log)", time.perf_counter() - t0)
        cases = [("category 查阅 (common)", dict(category="view")),
                 ("category 登录失败 (1 in 10,007)", dict(category="sign", text="登录失败")),
                 ("actor zhang (1 in 97)", dict(category=None, text="", actor="zhang")),
                 ("student by name", dict(actor=None, student=student_name)),
                 ("text, rare (guest)", dict(student="", text="guest")),
                 ("date range at the log's start", dict(text="", since="2025-01-01", until="2025-01-31")),
                 ("worst case: nothing matches (whole log examined)", dict(since="", until="", text="no such text")),
                 ]
        for name, f in cases:
            f = {k: (None if v == "" and k in ("since", "until") else v) for k, v in f.items()}
            if f.get("since") is None and "since" in f:
                f.pop("since")
                f.pop("until", None)
                view.since_edit.setDate(av.NO_DATE)
                view.until_edit.setDate(av.NO_DATE)
            t0 = time.perf_counter()
            view.set_filters(**f)
            wait_for(app, lambda: not view.model.loading and view.generation and view.status.text() != "正在读取…")
            note(name, time.perf_counter() - t0)
        view.clear_filters()
        wait_for(app, lambda: not view.model.loading and view.model.rowCount() > 0)
        for _p in range(5):
            n = view.model.rowCount()
            t0 = time.perf_counter()
            view.load_more()
            wait_for(app, lambda: view.model.rowCount() > n and not view.model.loading)
            note("next page on scroll", time.perf_counter() - t0)
        note("GUI stall while loading (max)", stall.stop())
        view.close()
        app.processEvents()
    # 校验 in the background: how long, and the GUI thread's longest stall meanwhile
    import ui.common.messages as messages

    messages.info = lambda *a_, **k: None
    messages.error = lambda *a_, **k: None
    view = av.open_audit_view(win)
    wait_for(app, lambda: view.model.rowCount() > 0 and not view.model.loading)
    stall.start()
    t0 = time.perf_counter()
    job = view.verify()
    wait_for(app, lambda: job.delivered, timeout=600)
    t_verify = time.perf_counter() - t0
    worst_verify = stall.stop()
    assert view.last_report is not None and view.last_report.ok
    view.close()
    s.close()
    out = {}
    print(f"{'what':58s} median    max")
    for name, xs in results.items():
        out[name] = (statistics.median(xs), max(xs))
        print(f"{name:58s} {statistics.median(xs) * 1e3:7.0f} ms {max(xs) * 1e3:6.0f} ms")
    print(f"{'校验 (background), 1 run':58s} {t_verify:7.2f} s; GUI stall meanwhile max {worst_verify * 1e3:.0f} ms")
    print(json.dumps({k: [round(v[0] * 1e3, 1), round(v[1] * 1e3, 1)] for k, v in out.items()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
