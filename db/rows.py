"""Generic row helpers over the archive's configured connection (``db.archive.connect``): row dicts,
the one-row insert, the timestamp every store writes, and table introspection.

Stores (``app/<feature>/store.py``) use these; nothing here knows a table of ours. Reads and writes are
plain ``sqlite3`` on our connection (``sqlite3.Row`` rows, ``isolation_level=None``), so they join the
caller's ``archive.transaction()`` and never commit on their own. Introspection goes through sqlite-utils
(``Database(conn)``, imported when first needed: it costs ~0.1 s to import, which start-up and the CLI
verbs that never introspect should not pay). See docs/decisions.md, "Persistence".
"""
from __future__ import annotations

import datetime as _dt
import sqlite3


def now() -> str:
    """The local time as stored in every ``*_at`` column: ISO 8601 to the second."""
    return _dt.datetime.now().isoformat(timespec="seconds")


def one(row: sqlite3.Row | None) -> dict | None:
    """A fetched row as a dict (None stays None)."""
    return dict(row) if row is not None else None


def all_rows(conn: sqlite3.Connection, sql: str, args=()) -> list[dict]:
    """Every row of ``sql`` as dicts."""
    return [dict(r) for r in conn.execute(sql, args)]


def marks(n: int) -> str:
    """``?, ?, …`` for an ``IN (…)`` list or a VALUES clause of ``n`` parameters."""
    return ", ".join("?" * n)


def insert(conn: sqlite3.Connection, table: str, values: dict) -> int:
    """``INSERT INTO table (keys) VALUES (values)``; returns the new rowid. Raw SQL on purpose: it is one
    statement, about fifteen times faster than sqlite-utils' ``Table.insert`` and needs no import."""
    return conn.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({marks(len(values))})",
                        list(values.values())).lastrowid


def update(conn: sqlite3.Connection, table: str, row_id: int, values: dict) -> None:
    """``UPDATE table SET k = v, … WHERE id = row_id``."""
    conn.execute(f"UPDATE {table} SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                 [*values.values(), row_id])


class Savepoint:
    """``with Savepoint(conn, name) as sp:`` — ``SAVEPOINT name`` … ``RELEASE name``. On an exception the
    block's work is rolled back (``ROLLBACK TO``) and the exception re-raised; ``sp.rollback()`` undoes it
    on purpose (a dry run). Use inside ``archive.transaction()``: it never commits the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection, name: str):
        self.conn = conn
        self.name = name

    def __enter__(self) -> "Savepoint":
        self.conn.execute(f"SAVEPOINT {self.name}")
        return self

    def rollback(self) -> None:
        self.conn.execute(f"ROLLBACK TO {self.name}")

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.rollback()
        self.conn.execute(f"RELEASE {self.name}")
        return False


# ---------------------------------------------------------------- introspection (sqlite-utils)
def database(conn: sqlite3.Connection):
    """A ``sqlite_utils.Database`` over our connection, changing nothing about it: no
    ``PRAGMA recursive_triggers`` (the audit triggers must not recurse) and no plugins. Its writes
    (``insert``/``upsert``) use a SAVEPOINT inside an open transaction, so they never commit ours."""
    import sqlite_utils

    return sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)


def table_names(conn: sqlite3.Connection) -> list[str]:
    """The archive's tables (SQLite's own ``sqlite_*`` tables included, as ``sqlite_master`` lists them)."""
    return database(conn).table_names()


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """The column names of ``table``, in table order."""
    return [c.name for c in database(conn)[table].columns]
