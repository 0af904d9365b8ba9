"""SQL for the school's own rows (migration 0001): the school, its settings and its classes (a class's
head-count reads students). Plain dicts in and out; writes assume the caller holds a transaction
(``archive.transaction()``)."""
from __future__ import annotations

from typing import Iterable

from db.rows import insert, marks, now, one, update


# ---------------------------------------------------------------- school
def get_school(conn) -> dict | None:
    return one(conn.execute("SELECT * FROM school WHERE id = 1").fetchone())


def insert_school(conn, values: dict) -> None:
    ts = now()
    insert(conn, "school", dict(values, id=1, created_at=ts, updated_at=ts))


def update_school(conn, values: dict) -> None:
    v = dict(values, updated_at=now())
    conn.execute(f"UPDATE school SET {', '.join(f'{k} = ?' for k in v)} WHERE id = 1", list(v.values()))


# ---------------------------------------------------------------- settings
def get_setting(conn, key: str, default: str | None = None) -> str | None:
    r = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return r[0] if r else default


def set_setting(conn, key: str, value: str) -> None:
    conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (key, value))


# ---------------------------------------------------------------- classes
def insert_class(conn, values: dict) -> int:
    ts = now()
    return insert(conn, "classes", dict(values, created_at=ts, updated_at=ts))


def update_class(conn, class_id: int, values: dict) -> None:
    update(conn, "classes", class_id, dict(values, updated_at=now()))


def get_class(conn, class_id: int) -> dict | None:
    return one(conn.execute("SELECT * FROM classes WHERE id = ?", (class_id,)).fetchone())


def class_by_code(conn, code: str) -> dict | None:
    return one(conn.execute("SELECT * FROM classes WHERE code = ? AND status = 'active'", (code,)).fetchone()
               or conn.execute("SELECT * FROM classes WHERE code = ?", (code,)).fetchone())


def class_by_slot(conn, entry_year: int, stage: str, grade: int, number: int) -> dict | None:
    return one(conn.execute(
        "SELECT * FROM classes WHERE entry_year = ? AND stage = ? AND grade = ? AND number = ? AND status = 'active'",
        (entry_year, stage, grade, number)).fetchone())


def all_classes(conn) -> list[dict]:
    """Every class, active first, by grade and number."""
    return [dict(r) for r in conn.execute("SELECT * FROM classes ORDER BY status, grade, number, entry_year")]


def list_classes(conn, in_class_statuses: Iterable[str]) -> list[dict]:
    st = list(in_class_statuses)
    q = f"""SELECT c.*, (SELECT COUNT(*) FROM students s WHERE s.class_id = c.id
                       AND s.status IN ({marks(len(st))})) AS headcount
            FROM classes c ORDER BY c.status, c.grade, c.number, c.entry_year"""
    return [dict(r) for r in conn.execute(q, st)]


def class_headcount(conn, class_id: int, statuses: Iterable[str], exclude_student: int | None = None) -> int:
    st = list(statuses)
    return conn.execute(
        f"SELECT COUNT(*) FROM students WHERE class_id = ? AND status IN ({marks(len(st))}) AND id IS NOT ?",
        [class_id, *st, exclude_student]).fetchone()[0]
