"""The SQL the documents need beyond app/students/store.py and app/school/store.py (read-only; printing
writes nothing). status_events (migration 0004) is filled by the status-change work; every query here
tolerates it being empty."""
from __future__ import annotations

from collections.abc import Iterable

from db.rows import marks


def class_student_ids(conn, class_id: int, statuses: Iterable[str]) -> list[int]:
    st = list(statuses)
    return [r[0] for r in conn.execute(
        f"SELECT id FROM students WHERE class_id = ? AND status IN ({marks(len(st))}) "
        "ORDER BY CAST(seat_no AS INTEGER), id", [class_id, *st])]


def student_ids_with_status(conn, statuses: Iterable[str]) -> list[int]:
    st = list(statuses)
    return [r[0] for r in conn.execute(
        f"SELECT s.id FROM students s LEFT JOIN classes c ON c.id = s.class_id WHERE s.status IN ({marks(len(st))}) "
        "ORDER BY c.grade, c.number, CAST(s.seat_no AS INTEGER), s.id", st)]


def sort_ids(conn, ids: list[int]) -> list[int]:
    """Class (grade, number), then seat number, then id — the order rosters and batches print in."""
    if not ids:
        return []
    order = {}
    for chunk in range(0, len(ids), 900):
        part = ids[chunk:chunk + 900]
        for r in conn.execute(
                f"SELECT s.id, COALESCE(c.grade, 99), COALESCE(c.number, 0), CAST(s.seat_no AS INTEGER) FROM students s "
                f"LEFT JOIN classes c ON c.id = s.class_id WHERE s.id IN ({marks(len(part))})", part):
            order[r[0]] = (r[1], r[2], r[3] or 0, r[0])
    return sorted((i for i in ids if i in order), key=order.__getitem__)


def classes_by_id(conn) -> dict[int, dict]:
    return {r["id"]: dict(r) for r in conn.execute("SELECT * FROM classes")}


def events_between(conn, start: str, end: str) -> list[dict]:
    """Status events effective in [start, end] (ISO dates), oldest first, without the baselines."""
    return [dict(r) for r in conn.execute(
        "SELECT * FROM status_events WHERE effective_date BETWEEN ? AND ? AND kind <> 'baseline' "
        "ORDER BY effective_date, id", (start, end))]


def last_event_to(conn, student_ids: list[int], states: Iterable[str]) -> dict[int, dict]:
    """The latest event that brought each student into one of ``states``."""
    if not student_ids:
        return {}
    st = list(states)
    out: dict[int, dict] = {}
    for chunk in range(0, len(student_ids), 900):
        part = student_ids[chunk:chunk + 900]
        for r in conn.execute(
                f"SELECT * FROM status_events WHERE student_id IN ({marks(len(part))}) AND to_state IN ({marks(len(st))}) "
                "AND kind <> 'baseline' ORDER BY effective_date, id", [*part, *st]):
            out[r["student_id"]] = dict(r)
    return out


def events_of(conn, student_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT * FROM status_events WHERE student_id = ? AND kind <> 'baseline' ORDER BY effective_date, id",
        (student_id,))]


def history_summary(conn, student_id: int) -> tuple[int, str, str]:
    """(rows, first changed_at, last changed_at) of the student's change history."""
    r = conn.execute("SELECT COUNT(*), MIN(changed_at), MAX(changed_at) FROM change_history WHERE student_id = ?",
                     (student_id,)).fetchone()
    return r[0], r[1] or "", r[2] or ""


def photo_dates(conn, student_id: int) -> list[str]:
    return [r[0] for r in conn.execute("SELECT created_at FROM photos WHERE student_id = ? ORDER BY id", (student_id,))]


def evidence_of(conn, student_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT v.*, e.effective_date FROM event_evidence v JOIN status_events e ON e.id = v.event_id "
        "WHERE e.student_id = ? AND v.how <> 'missing' ORDER BY v.id", (student_id,))]
