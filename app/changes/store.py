"""SQL for status changes: events (append-only), their evidence and approvals, deadlines, sanctions.
Plain dicts in and out; writes assume the caller holds a transaction."""
from __future__ import annotations

import json

from db.rows import now

EVENT_COLS = ("student_id", "kind", "transition", "from_state", "to_state", "effective_date", "recorded_at",
              "recorded_by", "reason", "from_class_id", "to_class_id", "from_grade", "to_grade", "details", "batch",
              "cancels_event")


def insert_event(conn, values: dict) -> int:
    v = dict(values)
    v.setdefault("recorded_at", now())
    v["details"] = json.dumps(v.get("details") or {}, ensure_ascii=False, sort_keys=True, default=str)
    sql = f"INSERT INTO status_events ({', '.join(EVENT_COLS)}) VALUES ({', '.join('?' * len(EVENT_COLS))})"
    cur = conn.execute(sql,
                       [v.get(c, "" if c in ("transition", "recorded_by", "reason", "batch") else None)
                        for c in EVENT_COLS])
    return cur.lastrowid


def insert_events(conn, rows: list[dict]) -> None:
    """Many events at once (an import or a whole class): no ids returned."""
    ts = now()
    conn.executemany(
        f"INSERT INTO status_events ({', '.join(EVENT_COLS)}) VALUES ({', '.join('?' * len(EVENT_COLS))})",
        ([r.get("student_id"), r["kind"], r.get("transition", ""), r.get("from_state", ""), r["to_state"],
          r["effective_date"], r.get("recorded_at", ts), r.get("recorded_by", ""), r.get("reason", ""),
          r.get("from_class_id"), r.get("to_class_id"), r.get("from_grade"), r.get("to_grade"),
          json.dumps(r.get("details") or {}, ensure_ascii=False), r.get("batch", ""), None] for r in rows))


def _event(row) -> dict:
    d = dict(row)
    try:
        d["details"] = json.loads(d.get("details") or "{}")
    except ValueError:
        d["details"] = {}
    return d


def events_of(conn, student_id: int) -> list[dict]:
    """Oldest effective first (same day: in the order recorded)."""
    return [_event(r) for r in conn.execute(
        "SELECT * FROM status_events WHERE student_id = ? ORDER BY effective_date, id", (student_id,))]


def state_on(conn, student_id: int, on: str) -> str | None:
    r = conn.execute("SELECT to_state FROM status_events WHERE student_id = ? AND effective_date <= ? "
                     "ORDER BY effective_date DESC, id DESC LIMIT 1", (student_id, on)).fetchone()
    return r[0] if r else None


def states_on(conn, on: str, student_ids=None) -> dict[int, str]:
    """The state of every student (or of ``student_ids``) on a date: for the roster's state filter."""
    rows = conn.execute(
        "SELECT e.student_id, e.to_state FROM status_events e JOIN ("
        " SELECT student_id, MAX(effective_date) AS d FROM status_events WHERE effective_date <= ? GROUP BY student_id"
        ") m ON m.student_id = e.student_id AND e.effective_date = m.d ORDER BY e.student_id, e.id", (on,))
    out = {sid: state for sid, state in rows}
    if student_ids is not None:
        keep = set(student_ids)
        out = {k: v for k, v in out.items() if k in keep}
    return out


def event_row(conn, event_id: int) -> dict | None:
    """One event as stored (``details`` still JSON text), None when there is none."""
    r = conn.execute("SELECT * FROM status_events WHERE id = ?", (int(event_id),)).fetchone()
    return dict(r) if r is not None else None


def latest_event(conn, student_id: int) -> dict | None:
    r = conn.execute("SELECT * FROM status_events WHERE student_id = ? ORDER BY effective_date DESC, id DESC LIMIT 1",
                     (student_id,)).fetchone()
    return _event(r) if r else None


def insert_evidence(conn, event_id: int, rows: list[dict], by: str) -> None:
    ts = now()
    conn.executemany("INSERT INTO event_evidence (event_id, name, how, file_sha256, note, noted_at, noted_by) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)",
                     ([event_id, r["name"], r.get("how", "in_folder"), r.get("file_sha256"), r.get("note", ""), ts, by]
                      for r in rows))


def evidence_of(conn, event_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT * FROM event_evidence WHERE event_id = ? ORDER BY id", (event_id,))]


def insert_approvals(conn, event_id: int, rows: list[dict], by: str) -> None:
    ts = now()
    conn.executemany("INSERT INTO event_approvals (event_id, party, decision, decided_by, decided_on, doc_number, "
                     "recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     ([event_id, r["party"], r.get("decision", "pending"), r.get("decided_by", ""),
                       r.get("decided_on") or None, r.get("doc_number", ""), ts, by] for r in rows))


def approvals_of(conn, event_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT * FROM event_approvals WHERE event_id = ? ORDER BY id", (event_id,))]


def insert_deadlines(conn, rows: list[dict]) -> None:
    ts = now()
    conn.executemany("INSERT INTO deadlines (student_id, event_id, kind, due_date, rule, article, note, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     ([r.get("student_id"), r.get("event_id"), r["kind"], r["due_date"], r.get("rule", ""),
                       r.get("article", ""), r.get("note", ""), ts] for r in rows))


def open_deadlines_of(conn, student_id: int, kinds=None) -> list[dict]:
    sql = "SELECT * FROM deadlines WHERE student_id = ? AND done_at IS NULL"
    args: list = [student_id]
    if kinds:
        sql += f" AND kind IN ({', '.join('?' * len(kinds))})"
        args += list(kinds)
    return [dict(r) for r in conn.execute(sql + " ORDER BY due_date, id", args)]


def deadlines_of_event(conn, event_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT * FROM deadlines WHERE event_id = ? ORDER BY due_date, id",
                                          (event_id,))]


def close_deadlines(conn, ids, by: str, note: str) -> None:
    ts = now()
    conn.executemany("UPDATE deadlines SET done_at = ?, done_by = ?, done_note = ? WHERE id = ? AND done_at IS NULL",
                     ([ts, by, note, i] for i in ids))


def insert_sanction(conn, values: dict) -> int:
    cur = conn.execute("INSERT INTO sanctions (student_id, level, decided_on, reason, event_id) VALUES (?, ?, ?, ?, ?)",
                       (values["student_id"], values["level"], values["decided_on"], values.get("reason", ""),
                        values.get("event_id")))
    return cur.lastrowid


def sanctions_in_force(conn, student_id: int, on: str) -> list[dict]:
    """Sanctions decided on or before ``on`` and not revoked by then."""
    return [dict(r) for r in conn.execute(
        "SELECT * FROM sanctions WHERE student_id = ? AND decided_on <= ? AND (revoked_on IS NULL OR revoked_on > ?) "
        "ORDER BY decided_on, id", (student_id, on, on))]


def revoke_sanctions(conn, ids, on: str, event_id: int) -> None:
    conn.executemany("UPDATE sanctions SET revoked_on = ?, revoke_event = ? WHERE id = ? AND revoked_on IS NULL",
                     ([on, event_id, i] for i in ids))


def set_student_state(conn, student_id: int, status: str, class_id=None) -> None:
    if class_id is None:
        conn.execute("UPDATE students SET status = ?, updated_at = ? WHERE id = ?", (status, now(), student_id))
    else:
        conn.execute("UPDATE students SET status = ?, class_id = ?, updated_at = ? WHERE id = ?",
                     (status, class_id, now(), student_id))


def classes_of_grade(conn, stage: str, grade: int) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT * FROM classes WHERE stage = ? AND grade = ? AND status = 'active' ORDER BY number, id",
        (stage, grade))]
