"""SQL for the student records (migration 0001): students, their family members, their change history and
rule findings, the search list and the archive's counts. Plain dicts in and out; writes assume the caller holds
a transaction (``archive.transaction()``). The school and its classes are in app/school/store.py, photos in
app/photos/store.py."""
from __future__ import annotations

from typing import Iterable

from db.rows import insert, marks, now, one, update


# ---------------------------------------------------------------- students
def insert_student(conn, values: dict) -> int:
    ts = now()
    return insert(conn, "students", dict(values, created_at=ts, updated_at=ts))




def update_student(conn, student_id: int, values: dict) -> None:
    update(conn, "students", student_id, dict(values, updated_at=now()))


def get_student(conn, student_id: int) -> dict | None:
    return one(conn.execute("SELECT * FROM students WHERE id = ?", (student_id,)).fetchone())


def student_ids_by(conn, column: str, value: str) -> list[int]:
    assert column in ("id_number", "xueji_no")
    # "<> ''" lets SQLite use the partial index (students_id_number / students_xueji_no)
    return [r[0] for r in conn.execute(f"SELECT id FROM students WHERE {column} = ? AND {column} <> '' ORDER BY id",
                                       (value,))]


def students_with(conn, column: str, value: str, exclude_id: int | None) -> list[dict]:
    assert column in ("id_number", "xueji_no")
    return [dict(r) for r in conn.execute(
        f"""SELECT s.id, s.name, s.status, s.id_number, s.class_id FROM students s
            WHERE s.{column} = ? AND s.{column} <> '' AND s.id IS NOT ?""", (value, exclude_id))]


def students_with_name_birth(conn, name: str, birth_date: str, exclude_id: int | None) -> list[dict]:
    return [dict(r) for r in conn.execute(
        """SELECT s.id, s.name, s.status, s.id_number, s.class_id FROM students s
           WHERE s.name = ? AND s.birth_date = ? AND s.id IS NOT ?""", (name, birth_date, exclude_id))]


def members_of(conn, student_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT * FROM family_members WHERE student_id = ? ORDER BY seq", (student_id,))]


def members_of_many(conn, student_ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {i: [] for i in student_ids}
    for chunk in range(0, len(student_ids), 900):
        ids = student_ids[chunk:chunk + 900]
        for r in conn.execute(
                f"SELECT * FROM family_members WHERE student_id IN ({marks(len(ids))}) ORDER BY student_id, seq",
                ids):
            out[r["student_id"]].append(dict(r))
    return out


def upsert_member(conn, student_id: int, seq: int, values: dict) -> None:
    exists = conn.execute("SELECT id FROM family_members WHERE student_id = ? AND seq = ?", (student_id, seq)).fetchone()
    if exists:
        update(conn, "family_members", exists[0], values)
    else:
        insert(conn, "family_members", dict(values, student_id=student_id, seq=seq))




def search_student_ids(conn, pattern: str | None, class_id: int | None = None,
                       statuses: Iterable[str] | None = None, limit: int | None = None) -> list[int]:
    """Ids in roster order. ``pattern`` is matched as a substring of the lower-case search text
    (name, pinyin, initials, ID number, 学籍号): plain LIKE, since trigram FTS finds nothing for the
    1–2 character queries most Chinese names need (platform-notes §5c)."""
    where, args = [], []
    if pattern:
        esc = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("search_text LIKE ? ESCAPE '\\'")
        args.append(f"%{esc}%")
    if class_id is not None:
        where.append("class_id = ?")
        args.append(class_id)
    if statuses:
        st = list(statuses)
        where.append(f"status IN ({marks(len(st))})")
        args.extend(st)
    sql = "SELECT id FROM students"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY class_id, CAST(seat_no AS INTEGER), id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [r[0] for r in conn.execute(sql, args)]


def search_entries(conn) -> list[tuple]:
    return [tuple(r) for r in conn.execute(
        "SELECT id, search_text, class_id, status FROM students ORDER BY class_id, CAST(seat_no AS INTEGER), id")]


def students_by_ids(conn, ids: list[int]) -> dict[int, dict]:
    out = {}
    for chunk in range(0, len(ids), 900):
        part = ids[chunk:chunk + 900]
        for r in conn.execute(f"SELECT * FROM students WHERE id IN ({marks(len(part))})", part):
            out[r["id"]] = dict(r)
    return out


def student_ids_named(conn, class_id: int, name: str) -> list[int]:
    """Students of the class with exactly this name (a photo file named 学校代码_班级_姓名)."""
    return [r[0] for r in conn.execute("SELECT id FROM students WHERE class_id = ? AND name = ? ORDER BY id",
                                       (class_id, name))]


def class_roll(conn, class_id: int, statuses: Iterable[str]) -> list[dict]:
    """id, name, id_number of the class's students in ``statuses``, in seat order."""
    st = list(statuses)
    return [dict(r) for r in conn.execute(
        f"SELECT id, name, id_number FROM students WHERE class_id = ? AND status IN ({marks(len(st))})"
        " ORDER BY CAST(seat_no AS INTEGER), id", [class_id, *st])]


# ---------------------------------------------------------------- history and findings
HISTORY_COLS = ("student_id", "entity", "entity_id", "action", "field", "old_value", "new_value",
                "changed_at", "changed_by", "reason", "evidence_ref", "batch")


def insert_history(conn, rows: list[dict]) -> None:
    if not rows:
        return
    ts = now()
    conn.executemany(
        f"INSERT INTO change_history ({', '.join(HISTORY_COLS)}) VALUES ({marks(len(HISTORY_COLS))})",
        ([r.get("student_id"), r.get("entity", "student"), r.get("entity_id"), r.get("action", "edit"),
          r.get("field", ""), r.get("old_value", ""), r.get("new_value", ""), r.get("changed_at", ts),
          r.get("changed_by", ""), r.get("reason", ""), r.get("evidence_ref", ""), r.get("batch", "")] for r in rows))


def history_of(conn, student_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT * FROM change_history WHERE student_id = ? ORDER BY id", (student_id,))]


def insert_findings(conn, rows: list[dict]) -> None:
    if not rows:
        return
    cols = ("student_id", "rule_id", "article", "outcome", "message", "decided_at", "decided_by",
            "override_reason", "approved_by", "evidence_ref")
    ts = now()
    conn.executemany(f"INSERT INTO rule_findings ({', '.join(cols)}) VALUES ({marks(len(cols))})",
                     ([r.get("student_id"), r["rule_id"], r["article"], r["outcome"], r["message"],
                       r.get("decided_at", ts), r.get("decided_by", ""), r.get("override_reason", ""),
                       r.get("approved_by", ""), r.get("evidence_ref", "")] for r in rows))


def findings_of(conn, student_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT * FROM rule_findings WHERE student_id = ? ORDER BY id", (student_id,))]


def counts(conn) -> dict:
    return {
        "students": conn.execute("SELECT COUNT(*) FROM students").fetchone()[0],
        "classes": conn.execute("SELECT COUNT(*) FROM classes").fetchone()[0],
        "family_members": conn.execute("SELECT COUNT(*) FROM family_members").fetchone()[0],
        "history": conn.execute("SELECT COUNT(*) FROM change_history").fetchone()[0],
    }


# ---------------------------------------------------------------- the archive check (xueji check)
def integrity_check(conn) -> str:
    """The first line of ``PRAGMA integrity_check`` ("ok" when the file is whole)."""
    return conn.execute("PRAGMA integrity_check").fetchone()[0]


def foreign_key_violations(conn) -> list[tuple]:
    """``PRAGMA foreign_key_check``: (table, rowid, parent table, fk index) each."""
    return [tuple(r) for r in conn.execute("PRAGMA foreign_key_check")]


def duplicate_id_numbers(conn) -> list[tuple[str, int]]:
    """(ID number, how many students carry it) for every ID number on more than one student."""
    return [tuple(r) for r in conn.execute("SELECT id_number, COUNT(*) FROM students WHERE id_number <> '' "
                                           "GROUP BY id_number HAVING COUNT(*) > 1")]


def all_student_ids(conn) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM students ORDER BY id")]
