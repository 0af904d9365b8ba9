"""SQL for the deadlines register (deadlines, migration 0005) and the reads the deadlines view needs
(suspended students' end dates, students by status, classes). Writes assume the caller holds a transaction."""
from __future__ import annotations

import json

from db.rows import now, one

def open_deadlines(conn, student_id: int | None = None) -> list[dict]:
    sql = ("SELECT d.*, s.name AS student_name, s.class_id AS class_id FROM deadlines d "
           "LEFT JOIN students s ON s.id = d.student_id WHERE d.done_at IS NULL")
    args: tuple = ()
    if student_id is not None:
        sql += " AND d.student_id = ?"
        args = (student_id,)
    return [dict(r) for r in conn.execute(sql + " ORDER BY d.due_date, d.id", args)]


def deadline_keys(conn) -> set[tuple]:
    """Every deadline row, open or closed: (student_id, kind, due_date) for a student's, (None, kind, due_date,
    note) for a school-level or class-level one (the note names the class)."""
    out = set()
    for sid, kind, due, note in conn.execute("SELECT student_id, kind, due_date, note FROM deadlines"):
        out.add((sid, kind, due) if sid is not None else (None, kind, due, note))
    return out


def get_deadline(conn, deadline_id: int) -> dict | None:
    return one(conn.execute("SELECT * FROM deadlines WHERE id = ?", (deadline_id,)).fetchone())


def close_deadline(conn, deadline_id: int, user: str, note: str) -> None:
    conn.execute("UPDATE deadlines SET done_at = ?, done_by = ?, done_note = ? WHERE id = ? AND done_at IS NULL",
                 (now(), user, note, deadline_id))


def insert_closed_deadline(conn, values: dict, user: str, note: str) -> int:
    ts = now()
    cur = conn.execute(
        "INSERT INTO deadlines (student_id, event_id, kind, due_date, rule, article, note, created_at, done_at, "
        "done_by, done_note) VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (values.get("student_id"), values["kind"], values["due_date"], values.get("rule", ""),
         values.get("article", ""), values.get("note", ""), ts, ts, user, note))
    return cur.lastrowid


def suspended_until(conn) -> list[dict]:
    """Suspended students with the ``until`` of their latest suspend/extend event (details JSON)."""
    rows = conn.execute(
        "SELECT s.id AS student_id, s.name, s.class_id, e.id AS event_id, e.details FROM students s "
        "JOIN status_events e ON e.id = (SELECT MAX(id) FROM status_events WHERE student_id = s.id "
        "AND kind IN ('suspend', 'extend-suspension')) WHERE s.status = 'suspended'").fetchall()
    out = []
    for r in rows:
        try:
            until = json.loads(r["details"] or "{}").get("until")
        except ValueError:
            until = None
        out.append({**dict(r), "until": until})
    return out


def students_with_status(conn, statuses) -> list[dict]:
    st = list(statuses)
    return [dict(r) for r in conn.execute(
        f"SELECT id, name, status, class_id, entry_ym, created_at FROM students WHERE status IN "
        f"({','.join('?' * len(st))}) ORDER BY id", st)]


def classes_by_id(conn) -> dict[int, dict]:
    return {r["id"]: dict(r) for r in conn.execute("SELECT * FROM classes")}
