"""Audit-log figure for docs/reliability.md: ``xueji audit verify`` over a chain of 1 million entries.

Builds a real archive (migrations, triggers), appends N entries with precomputed hashes through
executemany (the same hash function the triggers use), then times ``app.audit.log.verify`` and the CLI verb
(``xueji audit verify``, a fresh process: opening the archive included). Also times appending entries
through the triggers (change_history rows) to show the per-write cost.

    .venv/bin/python bench/bench_audit.py [--entries 1000000] [--folder DIR]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.audit import log as audit  # noqa: E402
from app.school.service import init_school  # noqa: E402
from app.audit import store as aq  # noqa: E402

DETAIL = json.dumps({"table": "change_history", "row": 0, "field": "phone", "reason": "", "evidence": "",
                     "batch": ""}, separators=(",", ":"))


def build(session, n: int, chunk: int = 50000) -> float:
    conn = session.conn
    last = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    next_id, prev = last[0] + 1, last[1]
    t0 = time.perf_counter()
    end = next_id + n
    while next_id < end:
        rows = []
        for i in range(next_id, min(end, next_id + chunk)):
            at = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T08:{i % 60:02d}:00"
            action = ("change.edit", "view", "status.promote", "print")[i % 4]
            sid = 1 + i % 3000
            h = aq.entry_hash(prev, i, at, "registrar", action, "student", sid, sid, DETAIL)
            rows.append((i, at, "registrar", action, "student", sid, sid, DETAIL, prev, h))
            prev = h
        with session.transaction() as c:
            c.executemany("INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail,"
                          " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        next_id += len(rows)
    return time.perf_counter() - t0


def trigger_writes(session, n: int = 2000) -> float:
    """n history rows, each its own transaction (as a registrar's edits are): the trigger's share."""
    conn = session.conn
    t0 = time.perf_counter()
    for i in range(n):
        with session.transaction():
            conn.execute("INSERT INTO change_history(student_id, entity, action, field, changed_at, changed_by)"
                         " VALUES (NULL, 'school', 'edit', 'phone', '2026-12-03T08:00:00', 'bench')")
    return (time.perf_counter() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--folder", default=None)
    a = ap.parse_args()
    folder = Path(a.folder or tempfile.mkdtemp(prefix="xueji-bench-audit-")) / "archive"
    s = init_school(folder, name="基准测试学校", code="4116020001", stages="primary", profile="national",
                    user="bench")
    per_write = trigger_writes(s)
    t_build = build(s, a.entries)
    total = aq.count(s.conn)
    rep = audit.verify(s)
    assert rep.ok, [f.message for f in rep.breaks[:3]]
    s.close()
    size = (folder / "archive.sqlite").stat().st_size
    xueji = ROOT / ".venv" / "bin" / "xueji"
    t0 = time.perf_counter()
    p = subprocess.run([str(xueji), "--archive", str(folder), "--json", "audit", "verify"], capture_output=True,
                       text=True)
    t_cli = time.perf_counter() - t0
    out = json.loads(p.stdout)
    assert p.returncode == 0 and out["ok"] and out["entries"] == total, p.stdout + p.stderr
    print(f"entries: {total:,}; archive {size / 2**20:.0f} MiB")
    print(f"build (executemany, precomputed hashes): {t_build:.1f} s")
    print(f"audit.verify in process: {rep.seconds:.2f} s ({rep.seconds / total * 1e6:.2f} µs/entry)")
    print(f"xueji audit verify (new process, open + verify): {t_cli:.2f} s")
    print(f"one history write through the trigger, own transaction: {per_write * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
