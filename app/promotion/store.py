"""SQL for promotion and graduation: high-school graduation records (hs_records and their versions, migration
0005) and the year-end moves' reads and writes of classes, students and status_events (migration 0004).
Writes assume the caller holds a transaction (``archive.transaction()``)."""
from __future__ import annotations

import json

from db.rows import now

# --- hs_records ------------------------------------------------------------------------------

HS_COLUMNS = ("credits_total", "credits_required", "credits_elective", "credits_school", "exams",
              "evaluation", "pe_standard", "labour_practice", "period_complete", "assessment", "note")


def get_hs_record(conn, student_id: int) -> dict | None:
    r = conn.execute("SELECT * FROM hs_records WHERE student_id = ?", (student_id,)).fetchone()
    return _hs(r)


def hs_records_of(conn, student_ids: list[int]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for i in range(0, len(student_ids), 500):
        chunk = student_ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(f"SELECT * FROM hs_records WHERE student_id IN ({marks})", chunk):
            out[r["student_id"]] = _hs(r)
    return out


def _hs(r) -> dict | None:
    if r is None:
        return None
    d = dict(r)
    d["exams"] = json.loads(d.get("exams") or "{}")
    for k in ("credits_total", "credits_required", "credits_elective", "credits_school"):
        if isinstance(d.get(k), float) and d[k].is_integer():
            d[k] = int(d[k])  # 144, not 144.0
    return d


def save_hs_record(conn, student_id: int, values: dict, source: str, user: str) -> None:
    row = {k: values.get(k) for k in HS_COLUMNS}
    row["exams"] = json.dumps(values.get("exams") or {}, ensure_ascii=False, sort_keys=True)
    for k in ("evaluation", "pe_standard", "labour_practice", "period_complete", "assessment", "note"):
        row[k] = row[k] or ""
    ts = now()
    cols = ", ".join(HS_COLUMNS)
    marks = ", ".join("?" * len(HS_COLUMNS))
    sets = ", ".join(f"{c} = excluded.{c}" for c in HS_COLUMNS)
    conn.execute(f"INSERT INTO hs_records (student_id, {cols}, updated_at, updated_by) VALUES (?, {marks}, ?, ?) "
                 f"ON CONFLICT(student_id) DO UPDATE SET {sets}, updated_at = excluded.updated_at, "
                 f"updated_by = excluded.updated_by",
                 (student_id, *[row[c] for c in HS_COLUMNS], ts, user))
    conn.execute("INSERT INTO hs_record_versions (student_id, data, source, recorded_at, recorded_by) "
                 "VALUES (?, ?, ?, ?, ?)",
                 (student_id, json.dumps({c: row[c] for c in HS_COLUMNS}, ensure_ascii=False), source, ts, user))



# --- promotion and graduation (status_events of migration 0004) ------------------------------

EVENT_COLS = ("student_id", "kind", "transition", "from_state", "to_state", "effective_date", "recorded_at",
              "recorded_by", "reason", "from_class_id", "to_class_id", "from_grade", "to_grade", "details", "batch")


def active_classes(conn) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT * FROM classes WHERE status = 'active' ORDER BY stage, grade, number, id")]


def students_in_classes(conn, class_ids: list[int], statuses) -> list[dict]:
    """id, name, status, class_id, xueji_no of students in those classes and states."""
    out = []
    st = list(statuses)
    for i in range(0, len(class_ids), 400):
        chunk = class_ids[i:i + 400]
        out += [dict(r) for r in conn.execute(
            f"SELECT id, name, status, class_id, xueji_no, id_number, entry_ym, created_at FROM students "
            f"WHERE class_id IN ({','.join('?' * len(chunk))}) AND status IN ({','.join('?' * len(st))}) "
            f"ORDER BY class_id, CAST(seat_no AS INTEGER), id", (*chunk, *st))]
    return out


def batch_exists(conn, batch: str) -> bool:
    return conn.execute("SELECT 1 FROM status_events WHERE batch = ? LIMIT 1", (batch,)).fetchone() is not None


def set_class_grades(conn, grades: dict[int, int]) -> None:
    ts = now()
    conn.executemany("UPDATE classes SET grade = ?, updated_at = ? WHERE id = ?",
                     [(g, ts, cid) for cid, g in grades.items()])


def close_class(conn, class_id: int) -> None:
    conn.execute("UPDATE classes SET status = 'closed', updated_at = ? WHERE id = ?", (now(), class_id))


def insert_events(conn, rows: list[dict]) -> None:
    ts = now()
    conn.executemany(
        f"INSERT INTO status_events ({', '.join(EVENT_COLS)}) VALUES ({', '.join('?' * len(EVENT_COLS))})",
        ([r["student_id"], r["kind"], r.get("transition", ""), r["from_state"], r["to_state"], r["effective_date"],
          r.get("recorded_at", ts), r.get("recorded_by", ""), r.get("reason", ""), r.get("from_class_id"),
          r.get("to_class_id"), r.get("from_grade"), r.get("to_grade"), json.dumps(r.get("details") or {},
                                                                                  ensure_ascii=False),
          r.get("batch", "")] for r in rows))


def set_students(conn, updates: list[tuple[int, str, int | None]]) -> None:
    """(student_id, status, class_id) each."""
    ts = now()
    conn.executemany("UPDATE students SET status = ?, class_id = ?, updated_at = ? WHERE id = ?",
                     [(s, c, ts, sid) for sid, s, c in updates])


def events_after(conn, date: str) -> dict[int, dict]:
    """Per student, the latest status event effective after ``date`` (enrolment/baseline records left out)."""
    out: dict[int, dict] = {}
    for r in conn.execute("SELECT student_id, kind, effective_date FROM status_events WHERE effective_date > ? "
                          "AND kind NOT IN ('enrol', 'baseline') ORDER BY effective_date, id", (date,)):
        out[r["student_id"]] = dict(r)
    return out
