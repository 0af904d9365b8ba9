"""The one place that notes "backup made", "restore done", "check run", … in the archive's append-only
``backup_log`` table (app/backup/store.py); the backup window and ``xueji backup`` read it back here."""
from __future__ import annotations

import sqlite3

from app.backup import store as bl


def record(session, kind: str, *, ok: bool, path="", trigger: str = "manual", detail: dict | None = None) -> int | None:
    """Note one backup / verify / restore / check / thin in the archive's append-only ``backup_log``.

    Never raises: a backup's result must not be lost because the note could not be written (e.g. the
    archive's own disk is full); returns the row id or None."""
    try:
        with session.archive.transaction():  # the automatic backup on close runs whoever is signed in
            return bl.insert_log(session.conn, kind, ok=ok, path=str(path), by=session.user, trigger=trigger,
                                 detail=detail)
    except sqlite3.Error:
        return None


def history(session, limit: int = 50) -> list[dict]:
    """The newest ``limit`` notes, newest first."""
    return bl.list_log(session.conn, limit)
