"""SQL for backups, restores and integrity checks (migration 0006): the append-only ``backup_log``,
the counts a backup's manifest carries, the file-store keys the archive's tables refer to, and the
PRAGMAs and locks a backup copy and a restore need."""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager

from db.rows import columns, now, table_names

# What a manifest counts, read from the copy itself (so the counts are the backup's moment).
COUNT_TABLES = {"students": "students", "classes": "classes", "photos": "photos", "events": "status_events",
                "family_members": "family_members", "history": "change_history"}


def insert_log(conn, kind: str, *, ok: bool, path: str = "", by: str = "", trigger: str = "manual",
               detail: dict | None = None) -> int:
    cur = conn.execute(
        "INSERT INTO backup_log(kind, trigger, at, by, path, ok, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (kind, trigger, now(), by, path, 1 if ok else 0, json.dumps(detail or {}, ensure_ascii=False, default=str)))
    return cur.lastrowid


def last_log(conn, kind: str, *, ok: bool | None = None) -> dict | None:
    sql = "SELECT * FROM backup_log WHERE kind = ?" + ("" if ok is None else " AND ok = ?") + " ORDER BY id DESC LIMIT 1"
    r = conn.execute(sql, (kind,) if ok is None else (kind, 1 if ok else 0)).fetchone()
    if r is None:
        return None
    d = dict(r)
    d["detail"] = json.loads(d["detail"] or "{}")
    return d


def last_full_check_at(conn) -> str | None:
    r = conn.execute("SELECT at FROM backup_log WHERE kind = 'check' AND json_extract(detail, '$.full') = 1 "
                     "ORDER BY id DESC LIMIT 1").fetchone()
    return r[0] if r else None


def list_log(conn, limit: int = 50) -> list[dict]:
    out = []
    for r in conn.execute("SELECT * FROM backup_log ORDER BY id DESC LIMIT ?", (limit,)):
        d = dict(r)
        d["detail"] = json.loads(d["detail"] or "{}")
        out.append(d)
    return out


def manifest_counts(conn) -> dict:
    """Rows per kind of record; a table an older schema lacks counts 0."""
    have = set(table_names(conn))
    return {k: (conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] if t in have else 0)
            for k, t in COUNT_TABLES.items()}


def school_of(conn) -> dict:
    try:
        r = conn.execute("SELECT name, code, profile FROM school WHERE id = 1").fetchone()
    except sqlite3.Error:
        return {}
    return {"name": r[0], "code": r[1], "profile": r[2]} if r else {}


def referenced_files(conn) -> dict[str, str]:
    """{sha256: where} for every files/ store key a row refers to (any column named like ``*sha256``)."""
    found: dict[str, str] = {}
    for table in sorted(set(table_names(conn))):
        if table.startswith("sqlite_"):
            continue
        cols = [c for c in columns(conn, table) if c.endswith("sha256")]
        for col in cols:
            for (v,) in conn.execute(f"SELECT DISTINCT {col} FROM {table} WHERE {col} IS NOT NULL AND {col} <> ''"):
                found.setdefault(v, f"{table}.{col}")
    return found


def quick_check(conn) -> str:
    rows = [r[0] for r in conn.execute("PRAGMA quick_check")]
    return "ok" if rows == ["ok"] else "; ".join(rows[:20])


def integrity_check(conn) -> str:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    return "ok" if rows == ["ok"] else "; ".join(rows[:20])


def foreign_key_problems(conn) -> list[tuple]:
    return [tuple(r) for r in conn.execute("PRAGMA foreign_key_check")]


def schema_version(conn) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


# ------------------------------------------------------------------ copying and restoring a database
def use_rollback_journal(conn) -> None:
    """A backup copy is one self-contained file: no -wal beside it."""
    conn.execute("PRAGMA journal_mode = DELETE")


def checkpoint(conn) -> None:
    """Fold the WAL into the database file (best effort: a damaged archive must not stop its own repair)."""
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        pass


@contextmanager
def write_lock(conn):
    """Hold the database's write lock (``BEGIN IMMEDIATE``) while its files are copied; writes nothing."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")


@contextmanager
def page_cache(conn, kib: int):
    """A page cache of ``kib`` KiB on ``conn`` for the block (fewer, larger writes), then the old size."""
    before = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(before)}")
