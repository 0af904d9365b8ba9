"""SQL for reconciliation runs, school-archive snapshots, form signatures, discrepancies and semester
reviews (migration 0008). Plain dicts in and out; writes assume the caller holds a transaction."""
from __future__ import annotations

from db.rows import all_rows, insert, one


# ---------------------------------------------------------------- students as reconciliation sees them
def all_students(conn) -> list[dict]:
    return all_rows(conn, "SELECT s.id, s.name, s.id_number, s.birth_date, s.gender, s.xueji_no, s.status, s.class_id, "
                          "COALESCE(c.code, '') AS class_code FROM students s LEFT JOIN classes c ON c.id = s.class_id "
                          "ORDER BY s.id")


def history_mark(conn) -> int:
    return conn.execute("SELECT COALESCE(MAX(id), 0) FROM change_history").fetchone()[0]


def events_mark(conn) -> int:
    return conn.execute("SELECT COALESCE(MAX(id), 0) FROM status_events").fetchone()[0]


def students_changed_since(conn, history_id: int, event_id: int) -> list[int]:
    rows = conn.execute(
        "SELECT student_id FROM change_history WHERE id > ? AND student_id IS NOT NULL "
        "UNION SELECT student_id FROM status_events WHERE id > ? AND kind <> 'baseline' ORDER BY 1",
        (history_id, event_id)).fetchall()
    return [r[0] for r in rows]


# ---------------------------------------------------------------- reconciliation
def insert_run(conn, values: dict) -> int:
    return insert(conn, "reconcile_runs", values)


def insert_line(conn, values: dict) -> int:
    return insert(conn, "reconcile_lines", values)


def get_run(conn, run_id: int) -> dict | None:
    return one(conn.execute("SELECT * FROM reconcile_runs WHERE id = ?", (run_id,)).fetchone())


def last_run(conn) -> dict | None:
    return one(conn.execute("SELECT * FROM reconcile_runs ORDER BY id DESC LIMIT 1").fetchone())


def runs(conn) -> list[dict]:
    return all_rows(conn, "SELECT * FROM reconcile_runs ORDER BY id")


def lines_of(conn, run_id: int) -> list[dict]:
    """The run's lines with their latest resolution (``action``, ``note``, ``resolved_at``, ``resolved_by``)."""
    return all_rows(conn, """
        SELECT l.*, r.action, r.note, r.resolved_at, r.resolved_by FROM reconcile_lines l
        LEFT JOIN reconcile_resolutions r ON r.id = (SELECT MAX(id) FROM reconcile_resolutions WHERE line_id = l.id)
        WHERE l.run_id = ? ORDER BY l.id""", (run_id,))


def get_line(conn, line_id: int) -> dict | None:
    return one(conn.execute("SELECT * FROM reconcile_lines WHERE id = ?", (line_id,)).fetchone())


def insert_resolution(conn, values: dict) -> int:
    return insert(conn, "reconcile_resolutions", values)


def resolutions_of(conn, line_id: int) -> list[dict]:
    return all_rows(conn, "SELECT * FROM reconcile_resolutions WHERE line_id = ? ORDER BY id", (line_id,))


def insert_export(conn, values: dict) -> int:
    return insert(conn, "reconcile_exports", values)


# ---------------------------------------------------------------- school-archive snapshots
def next_snapshot_version(conn, kind: str, year: int) -> int:
    return conn.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM school_snapshots WHERE kind = ? AND school_year = ?",
                        (kind, year)).fetchone()[0]


def insert_snapshot(conn, values: dict) -> int:
    return insert(conn, "school_snapshots", values)


def snapshots(conn, year: int | None = None, kind: str | None = None) -> list[dict]:
    sql, args = "SELECT * FROM school_snapshots WHERE 1=1", []
    if year is not None:
        sql += " AND school_year = ?"
        args.append(year)
    if kind:
        sql += " AND kind = ?"
        args.append(kind)
    return all_rows(conn, sql + " ORDER BY school_year, kind, version", args)


def get_snapshot(conn, snap_id: int) -> dict | None:
    return one(conn.execute("SELECT * FROM school_snapshots WHERE id = ?", (snap_id,)).fetchone())


# ---------------------------------------------------------------- form signatures
def insert_signature(conn, values: dict) -> int:
    return insert(conn, "form_signatures", values)


def student_history_mark(conn, student_id: int) -> int:
    return conn.execute("SELECT COALESCE(MAX(id), 0) FROM change_history WHERE student_id = ?",
                        (student_id,)).fetchone()[0]



# ---------------------------------------------------------------- discrepancies from status changes
def evidence_missing(conn) -> list[dict]:
    """Evidence of status changes (not undone) whose latest note for (event, document) is 'missing', or noted as
    in the folder while its checklist item (``evidence:<id>``) is marked missing."""
    return all_rows(conn, """
        SELECT ev.id AS evidence_id, ev.event_id, ev.name, ev.how, ev.noted_at, e.student_id, e.kind, e.effective_date
        FROM event_evidence ev JOIN status_events e ON e.id = ev.event_id
        WHERE (ev.how = 'missing' OR (ev.how = 'in_folder' AND EXISTS (SELECT 1 FROM checklist_marks m
               WHERE m.student_id = e.student_id AND m.item_key = 'evidence:' || ev.id AND m.paper = 'missing')))
          AND ev.id = (SELECT MAX(id) FROM event_evidence x WHERE x.event_id = ev.event_id AND x.name = ev.name)
          AND NOT EXISTS (SELECT 1 FROM status_events c WHERE c.cancels_event = e.id)
        ORDER BY e.effective_date, ev.event_id, ev.id""")




def evidence_name(conn, evidence_id: int) -> str | None:
    r = conn.execute("SELECT name FROM event_evidence WHERE id = ?", (evidence_id,)).fetchone()
    return r[0] if r else None


# ---------------------------------------------------------------- reviews
def insert_review(conn, values: dict) -> int:
    return insert(conn, "review_sessions", values)


def get_review(conn, review_id: int) -> dict | None:
    return one(conn.execute("SELECT * FROM review_sessions WHERE id = ?", (review_id,)).fetchone())


def reviews(conn) -> list[dict]:
    return all_rows(conn, "SELECT * FROM review_sessions ORDER BY id")


def finish_review(conn, review_id: int, at: str, by: str, note: str) -> None:
    conn.execute("UPDATE review_sessions SET finished_at = ?, finished_by = ?, note = ? WHERE id = ?",
                 (at, by, note, review_id))


def insert_mark(conn, values: dict) -> int:
    return insert(conn, "review_marks", values)


def marks_of(conn, review_id: int) -> list[dict]:
    return all_rows(conn, "SELECT * FROM review_marks WHERE review_id = ? ORDER BY id", (review_id,))


def insert_finding(conn, values: dict) -> int:
    return insert(conn, "review_findings", values)


def findings_of(conn, review_id: int) -> list[dict]:
    return all_rows(conn, "SELECT * FROM review_findings WHERE review_id = ? ORDER BY id", (review_id,))


def get_finding(conn, finding_id: int) -> dict | None:
    return one(conn.execute("SELECT * FROM review_findings WHERE id = ?", (finding_id,)).fetchone())


def student_ids_in_scope(conn, class_id: int | None, statuses) -> list[int]:
    marks = ",".join("?" for _ in statuses)
    sql = f"SELECT id FROM students WHERE status IN ({marks})"
    args: list = list(statuses)
    if class_id is not None:
        sql += " AND class_id = ?"
        args.append(class_id)
    return [r[0] for r in conn.execute(sql + " ORDER BY class_id, id", args).fetchall()]


def students_brief(conn, ids) -> dict[int, dict]:
    ids = list(ids)
    out: dict[int, dict] = {}
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        marks = ",".join("?" for _ in part)
        for r in conn.execute(f"SELECT s.id, s.name, s.xueji_no, s.id_number, s.status, s.class_id FROM students s "
                              f"WHERE s.id IN ({marks})", part).fetchall():
            out[r["id"]] = dict(r)
    return out


# ---------------------------------------------------------------- discrepancies from the paper archive (migration 0007)
def students_without_folder(conn, statuses) -> list[dict]:
    marks = ",".join("?" for _ in statuses)
    return all_rows(conn, f"""
        SELECT s.id AS student_id, s.created_at FROM students s
        WHERE s.status IN ({marks}) AND NOT EXISTS (SELECT 1 FROM paper_folders f WHERE f.student_id = s.id)
        ORDER BY s.class_id, s.id""", list(statuses))


def folders_without_location(conn, statuses) -> list[dict]:
    marks = ",".join("?" for _ in statuses)
    return all_rows(conn, f"""
        SELECT f.student_id, f.created_at FROM paper_folders f JOIN students s ON s.id = f.student_id
        WHERE s.status IN ({marks}) AND TRIM(REPLACE(REPLACE(f.location, '[', ''), ']', '')) = ''
        ORDER BY s.class_id, s.id""", list(statuses))


def loans_overdue(conn, as_of: str) -> list[dict]:
    return all_rows(conn, "SELECT * FROM folder_loans WHERE returned_on IS NULL AND due_on < ? ORDER BY due_on, id",
                    (as_of,))


def paper_without_scan(conn) -> list[dict]:
    return all_rows(conn, """
        SELECT m.student_id, m.item_key, m.checked_at FROM checklist_marks m
        WHERE m.paper = 'present'
          AND NOT EXISTS (SELECT 1 FROM scans x WHERE x.student_id = m.student_id AND x.item_key = m.item_key
                          AND x.withdrawn_at IS NULL)
        ORDER BY m.student_id, m.item_key""")


def scans_without_paper(conn) -> list[dict]:
    return all_rows(conn, """
        SELECT x.student_id, x.item_key, MIN(x.attached_at) AS attached_at, m.paper FROM scans x
        LEFT JOIN checklist_marks m ON m.student_id = x.student_id AND m.item_key = x.item_key
        WHERE x.withdrawn_at IS NULL AND (m.paper IS NULL OR m.paper IN ('missing', 'unknown'))
        GROUP BY x.student_id, x.item_key ORDER BY x.student_id, x.item_key""")


def transfers_out(conn) -> list[dict]:
    """Transfer-out events not undone, with the hand-over deadline written for them (if any)."""
    return all_rows(conn, """
        SELECT e.id AS event_id, e.student_id, e.effective_date, e.to_state,
               d.due_date, d.rule, d.article, d.done_at
        FROM status_events e
        LEFT JOIN deadlines d ON d.event_id = e.id AND d.kind = 'archive_handover'
        WHERE e.kind = 'transfer-out' AND e.to_state = 'transferred'
          AND NOT EXISTS (SELECT 1 FROM status_events c WHERE c.cancels_event = e.id)
        ORDER BY e.effective_date, e.id""")


def first_handover(conn, student_id: int, event_id: int | None) -> dict | None:
    return one(conn.execute(
        "SELECT * FROM folder_handovers WHERE student_id = ? AND (event_id = ? OR event_id IS NULL) "
        "ORDER BY handed_on, id LIMIT 1", (student_id, event_id)).fetchone())


def basic_form_marks(conn, item_key: str) -> dict[int, str]:
    """student id -> the latest time the item was marked present (the guardian's signed form in the folder)."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT student_id, MAX(checked_at) FROM checklist_mark_log WHERE item_key = ? AND paper = 'present' "
        "GROUP BY student_id", (item_key,)).fetchall()}


def last_signatures(conn) -> dict[int, dict]:
    return {r["student_id"]: dict(r) for r in conn.execute(
        "SELECT * FROM form_signatures f WHERE id = (SELECT MAX(id) FROM form_signatures WHERE student_id = f.student_id)"
    ).fetchall()}


def edits_after(conn, student_id: int, history_id: int, at: str) -> dict:
    """Count and first time of the edits of the student's record (the student's fields and family members, not
    folder or status rows) after change_history id ``history_id`` and (when given) after time ``at``."""
    r = conn.execute("SELECT COUNT(*), MIN(changed_at) FROM change_history WHERE student_id = ? AND id > ? "
                     "AND changed_at > ? AND action IN ('edit', 'import') "
                     "AND (entity = 'student' OR entity LIKE 'member%')",
                     (student_id, history_id, at or "")).fetchone()
    return {"edits": r[0], "since": r[1]}


