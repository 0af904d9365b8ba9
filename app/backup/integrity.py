"""Integrity of the archive itself (not of a backup): quick_check of the database file, and the full
check — integrity_check or quick_check, foreign keys, and a sweep of the files/ store. Reports; deletes
nothing."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from app.backup import store as bl
from app.backup.journal import record
from app.backup.layout import STORE, Cancelled, ro_uri, sha256_file, store_files
from app.core.errors import Finding
from app.core.i18n import tr


def quick_check_file(db_path) -> str:
    """PRAGMA quick_check on a read-only connection of its own ("ok" or the problems)."""
    c = sqlite3.connect(ro_uri(Path(db_path)), uri=True)
    try:
        return bl.quick_check(c)
    finally:
        c.close()


def check_integrity(session, *, full: bool = True, progress=None, cancel=None, trigger: str = "manual") -> dict:
    """integrity_check (or quick_check), foreign keys, and a sweep of the files/ store: every stored
    file's content against its name, every referenced file present. Reports; deletes nothing."""
    t0 = time.perf_counter()
    conn = session.conn
    problems: list[Finding] = []
    arch = tr("label.archive")
    result = bl.integrity_check(conn) if full else bl.quick_check(conn)
    if result != "ok":
        problems.append(Finding("integrity", tr("check.integrity", result=result), field=arch))
    for r in bl.foreign_key_problems(conn):
        problems.append(Finding("foreign_key", tr("check.foreign_key", table=r[0], rowid=r[1], parent=r[2]),
                                field=arch))
    files = store_files(session.folder)
    have = set()
    for i, (rel, p) in enumerate(files, 1):
        if cancel and cancel():
            raise Cancelled()
        sha = p.name.split(".")[0]
        have.add(sha)
        if full and sha256_file(p) != sha:
            problems.append(Finding("file_damaged", tr("backup.store_damaged", file=p), field=arch))
        if progress and i % 50 == 0:
            progress(i, len(files))
    for sha, where in sorted(bl.referenced_files(conn).items()):
        if sha not in have:
            problems.append(Finding("file_missing", tr("backup.store_missing", sha=sha, where=where), field=arch))
    stray = [str(t) for t in (session.folder / STORE).glob("*/.tmp-*")] if (session.folder / STORE).is_dir() else []
    rep = {"integrity": result, "full": full, "files": len(files), "stray_temporary_files": stray,
           "seconds": round(time.perf_counter() - t0, 3), "problems": problems}
    record(session, "check", ok=not problems, path=session.folder, trigger=trigger,
           detail={"integrity": result, "full": full, "files": len(files),
                   "problems": [p.message for p in problems[:20]]})
    return rep
