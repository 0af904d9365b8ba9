"""SQL for the paper archive (0007_paper_archive.sql): folders and their moves, checklist marks, scans, the
borrow register, hand-overs. Plain dicts in and out; writes assume the caller holds a transaction."""
from __future__ import annotations

import json

from db.rows import all_rows, columns, now, one, table_names


# ---------------------------------------------------------------- folders and locations
def get_folder(conn, student_id: int) -> dict | None:
    f = one(conn.execute("SELECT * FROM paper_folders WHERE student_id = ?", (student_id,)).fetchone())
    if f:
        f["location"] = json.loads(f["location"] or "[]")
    return f


def insert_folder(conn, student_id: int, location: list[str], user: str) -> None:
    ts = now()
    conn.execute("INSERT INTO paper_folders (student_id, location, created_at, created_by, updated_at) "
                 "VALUES (?, ?, ?, ?, ?)", (student_id, json.dumps(location, ensure_ascii=False), ts, user, ts))


def set_location(conn, student_id: int, old: list[str], new: list[str], user: str, reason: str) -> int:
    ts = now()
    conn.execute("UPDATE paper_folders SET location = ?, updated_at = ? WHERE student_id = ?",
                 (json.dumps(new, ensure_ascii=False), ts, student_id))
    cur = conn.execute("INSERT INTO folder_moves (student_id, from_location, to_location, moved_at, moved_by, reason) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (student_id, json.dumps(old, ensure_ascii=False),
                                                      json.dumps(new, ensure_ascii=False), ts, user, reason))
    return cur.lastrowid


def moves_of(conn, student_id: int) -> list[dict]:
    out = all_rows(conn, "SELECT * FROM folder_moves WHERE student_id = ? ORDER BY id", (student_id,))
    for m in out:
        m["from_location"] = json.loads(m["from_location"] or "[]")
        m["to_location"] = json.loads(m["to_location"] or "[]")
    return out


# ---------------------------------------------------------------- checklist marks
def marks_of(conn, student_id: int) -> dict[str, dict]:
    return {r["item_key"]: dict(r) for r in conn.execute(
        "SELECT * FROM checklist_marks WHERE student_id = ?", (student_id,))}


def upsert_mark(conn, student_id: int, item_key: str, paper: str, note: str, user: str) -> None:
    ts = now()
    conn.execute("INSERT INTO checklist_marks (student_id, item_key, paper, note, checked_at, checked_by) "
                 "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (student_id, item_key) DO UPDATE SET paper = excluded.paper, "
                 "note = excluded.note, checked_at = excluded.checked_at, checked_by = excluded.checked_by",
                 (student_id, item_key, paper, note, ts, user))
    conn.execute("INSERT INTO checklist_mark_log (student_id, item_key, paper, note, checked_at, checked_by) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (student_id, item_key, paper, note, ts, user))



# ---------------------------------------------------------------- status-change evidence (read only; 0004)
def evidence_of(conn, student_id: int) -> list[dict]:
    """Each status change's documents of the student: the latest row per (event, document name)."""
    return all_rows(
        conn, "SELECT ev.*, e.kind AS event_kind, e.effective_date, e.student_id FROM event_evidence ev "
        "JOIN status_events e ON e.id = ev.event_id WHERE e.student_id = ? "
        "AND ev.id = (SELECT MAX(x.id) FROM event_evidence x WHERE x.event_id = ev.event_id AND x.name = ev.name) "
        "ORDER BY e.effective_date, e.id, ev.id",
        (student_id,))


def status_events_of(conn, student_id: int) -> list[dict]:
    return all_rows(conn, "SELECT * FROM status_events WHERE student_id = ? ORDER BY effective_date, id",
                    (student_id,))


# ---------------------------------------------------------------- scans
def insert_scan(conn, row: dict) -> int:
    cols = ("student_id", "item_key", "sha256", "ext", "bytes", "pages", "mime", "original_name",
            "attached_at", "attached_by")
    row = dict(row, attached_at=row.get("attached_at") or now())
    cur = conn.execute(f"INSERT INTO scans ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                       [row.get(c, "") for c in cols])
    return cur.lastrowid


def find_scan(conn, student_id: int, item_key: str, sha: str) -> dict | None:
    return one(conn.execute("SELECT * FROM scans WHERE student_id = ? AND item_key = ? AND sha256 = ? "
                            "AND withdrawn_at IS NULL", (student_id, item_key, sha)).fetchone())


def get_scan(conn, scan_id: int) -> dict | None:
    return one(conn.execute("SELECT * FROM scans WHERE id = ?", (scan_id,)).fetchone())


def withdraw_scan(conn, scan_id: int, user: str) -> None:
    conn.execute("UPDATE scans SET withdrawn_at = ?, withdrawn_by = ? WHERE id = ?", (now(), user, scan_id))


def scans_of(conn, student_id: int) -> list[dict]:
    return all_rows(conn, "SELECT * FROM scans WHERE student_id = ? AND withdrawn_at IS NULL ORDER BY id",
                    (student_id,))



# ---------------------------------------------------------------- files referenced by the archive (for the sweep)
def referenced_files(conn) -> list[dict]:
    """Every files/ reference: {sha256, ext, bytes (or None), what, student_id, ref} — photos' originals, scans,
    status-change evidence, hand-over receipts, and any other table that names a sha256 column."""
    out = []
    for r in conn.execute("SELECT id, student_id, original_sha256, original_ext, original_bytes FROM photos"):
        out.append({"sha256": r["original_sha256"], "ext": r["original_ext"], "bytes": r["original_bytes"] or None,
                    "what": "photo", "student_id": r["student_id"], "ref": r["id"]})
    for r in conn.execute("SELECT id, student_id, sha256, ext, bytes FROM scans"):
        out.append({"sha256": r["sha256"], "ext": r["ext"], "bytes": r["bytes"], "what": "scan",
                    "student_id": r["student_id"], "ref": r["id"]})
    for r in conn.execute("SELECT ev.id, e.student_id, ev.file_sha256 FROM event_evidence ev "
                          "JOIN status_events e ON e.id = ev.event_id WHERE ev.file_sha256 IS NOT NULL "
                          "AND ev.file_sha256 <> ''"):
        out.append({"sha256": r["file_sha256"], "ext": None, "bytes": None, "what": "evidence",
                    "student_id": r["student_id"], "ref": r["id"]})
    for r in conn.execute("SELECT id, student_id, receipt_sha256 FROM folder_handovers "
                          "WHERE receipt_sha256 IS NOT NULL AND receipt_sha256 <> ''"):
        out.append({"sha256": r["receipt_sha256"], "ext": None, "bytes": None, "what": "handover",
                    "student_id": r["student_id"], "ref": r["id"]})
    known = {"photos", "scans", "event_evidence", "folder_handovers"}
    for table in table_names(conn):
        if table in known or table.startswith("sqlite_"):
            continue
        cols = columns(conn, table)
        for col in cols:
            if col == "sha256" or col.endswith("_sha256"):
                sid = "student_id" if "student_id" in cols else "NULL"
                for r in conn.execute(f'SELECT rowid AS ref, {sid} AS student_id, "{col}" AS sha FROM "{table}" '
                                      f'WHERE "{col}" IS NOT NULL AND "{col}" <> \'\''):
                    out.append({"sha256": r["sha"], "ext": None, "bytes": None, "what": table,
                                "student_id": r["student_id"], "ref": r["ref"]})
    return out


# ---------------------------------------------------------------- borrow register
def insert_loan(conn, row: dict) -> int:
    cols = ("student_id", "item_key", "borrower", "purpose", "approved_by", "lent_on", "due_on", "lent_by",
            "recorded_at")
    row = dict(row, recorded_at=now())
    cur = conn.execute(f"INSERT INTO folder_loans ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                       [row.get(c, "") for c in cols])
    return cur.lastrowid


def get_loan(conn, loan_id: int) -> dict | None:
    return one(conn.execute("SELECT * FROM folder_loans WHERE id = ?", (loan_id,)).fetchone())


def close_loan(conn, loan_id: int, returned_on: str, returned_to: str, note: str) -> None:
    conn.execute("UPDATE folder_loans SET returned_on = ?, returned_to = ?, return_note = ? WHERE id = ?",
                 (returned_on, returned_to, note, loan_id))


def open_loans_of(conn, student_id: int) -> list[dict]:
    return all_rows(conn, "SELECT * FROM folder_loans WHERE student_id = ? AND returned_on IS NULL ORDER BY id",
                    (student_id,))


def list_loans(conn, open_only: bool = True, student_id: int | None = None) -> list[dict]:
    sql = ("SELECT l.*, s.name AS student_name, s.xueji_no, s.class_id FROM folder_loans l "
           "JOIN students s ON s.id = l.student_id WHERE 1 = 1")
    args: list = []
    if open_only:
        sql += " AND l.returned_on IS NULL"
    if student_id is not None:
        sql += " AND l.student_id = ?"
        args.append(student_id)
    return all_rows(conn, sql + " ORDER BY l.due_on, l.id", args)


# ---------------------------------------------------------------- hand-overs
def insert_handover(conn, row: dict) -> int:
    cols = ("student_id", "event_id", "handed_on", "handed_to", "carried_by", "receipt_sha256", "note",
            "recorded_at", "recorded_by")
    row = dict(row, recorded_at=now())
    cur = conn.execute(f"INSERT INTO folder_handovers ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                       [row.get(c) if c in ("event_id", "receipt_sha256") else row.get(c, "") for c in cols])
    return cur.lastrowid


def handovers_of(conn, student_id: int) -> list[dict]:
    return all_rows(conn, "SELECT * FROM folder_handovers WHERE student_id = ? ORDER BY id", (student_id,))


# ---------------------------------------------------------------- scan resolution
def student_by_id(conn, student_id: int) -> dict | None:
    return one(conn.execute("SELECT id, xueji_no, id_number FROM students WHERE id = ?", (student_id,)).fetchone())


def student_ids_where(conn, col: str, value: str) -> list[int]:
    assert col in ("xueji_no", "id_number", "aux_xjh")
    return [r[0] for r in conn.execute(f"SELECT id FROM students WHERE upper({col}) = upper(?)", (value,))]


# ---------------------------------------------------------------- overview (one query for a class or the school)
def folder_overview(conn, class_id: int | None = None, statuses: tuple[str, ...] = ()) -> list[dict]:
    sql = ("SELECT s.id AS student_id, s.name, s.class_id, s.status, s.xueji_no, f.location, f.updated_at, "
           "(SELECT COUNT(*) FROM folder_loans l WHERE l.student_id = s.id AND l.returned_on IS NULL) AS open_loans, "
           "(SELECT MIN(l.due_on) FROM folder_loans l WHERE l.student_id = s.id AND l.returned_on IS NULL) AS due_on, "
           "(SELECT MAX(h.handed_on) FROM folder_handovers h WHERE h.student_id = s.id) AS handed_on, "
           "(SELECT COUNT(*) FROM scans x WHERE x.student_id = s.id AND x.withdrawn_at IS NULL) AS scans, "
           "(SELECT COUNT(*) FROM checklist_marks m WHERE m.student_id = s.id) AS checked "
           "FROM students s LEFT JOIN paper_folders f ON f.student_id = s.id WHERE 1 = 1")
    args: list = []
    if class_id is not None:
        sql += " AND s.class_id = ?"
        args.append(class_id)
    if statuses:
        sql += f" AND s.status IN ({', '.join('?' * len(statuses))})"
        args += list(statuses)
    out = all_rows(conn, sql + " ORDER BY s.class_id, s.id", args)
    for r in out:
        r["has_folder"] = r["location"] is not None
        r["location"] = json.loads(r["location"] or "[]")
    return out
