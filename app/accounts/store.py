"""Queries on the accounts tables (migration 0010). Callers hold the transaction."""
from __future__ import annotations

import sqlite3

_COLS = ("id, username, display_name, role, password_hash, recovery_hash, must_change, failed_count, "
         "locked_until, active, created_at, created_by, password_changed_at, last_signin_at")


def _row(conn, sql: str, args=()) -> dict | None:
    cur = conn.execute(sql, args)
    r = cur.fetchone()
    if r is None:
        return None
    return dict(zip([d[0] for d in cur.description], r))


def count_active(conn: sqlite3.Connection, role: str | None = None) -> int:
    if role:
        return conn.execute("SELECT count(*) FROM accounts WHERE active = 1 AND role = ?", (role,)).fetchone()[0]
    return conn.execute("SELECT count(*) FROM accounts WHERE active = 1").fetchone()[0]


def count_all(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM accounts").fetchone()[0]


def by_username(conn, username: str) -> dict | None:
    return _row(conn, f"SELECT {_COLS} FROM accounts WHERE username = ?", (username,))


def by_id(conn, account_id: int) -> dict | None:
    return _row(conn, f"SELECT {_COLS} FROM accounts WHERE id = ?", (account_id,))


def all_accounts(conn) -> list[dict]:
    cur = conn.execute(f"SELECT {_COLS} FROM accounts ORDER BY id")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def insert(conn, values: dict) -> int:
    cols = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    return conn.execute(f"INSERT INTO accounts({cols}) VALUES ({marks})", tuple(values.values())).lastrowid


def update(conn, account_id: int, values: dict) -> None:
    sets = ", ".join(f"{k} = ?" for k in values)
    conn.execute(f"UPDATE accounts SET {sets} WHERE id = ?", (*values.values(), account_id))


def class_ids(conn, account_id: int) -> list[int]:
    return [r[0] for r in conn.execute("SELECT class_id FROM account_classes WHERE account_id = ? ORDER BY class_id",
                                       (account_id,))]


def set_class_ids(conn, account_id: int, ids) -> None:
    conn.execute("DELETE FROM account_classes WHERE account_id = ?", (account_id,))
    conn.executemany("INSERT INTO account_classes(account_id, class_id) VALUES (?, ?)",
                     [(account_id, int(i)) for i in sorted(set(ids))])
