"""SQL over the archive: plain dicts in, plain dicts out. app/ services call these; nothing above
db/ writes SQL. Writes assume the caller holds a transaction (``archive.transaction()``)."""
from __future__ import annotations

import datetime as _dt
import sqlite3
from typing import Iterable


def now() -> str:
    return _dt.datetime.now().isoformat(timespec="seconds")


def _d(row: sqlite3.Row | None) -> dict | None:
    return dict(row) if row is not None else None


# ---------------------------------------------------------------- school
def get_school(conn) -> dict | None:
    return _d(conn.execute("SELECT * FROM school WHERE id = 1").fetchone())


def insert_school(conn, values: dict) -> None:
    ts = now()
    v = dict(values, id=1, created_at=ts, updated_at=ts)
    cols = ", ".join(v)
    conn.execute(f"INSERT INTO school ({cols}) VALUES ({', '.join('?' * len(v))})", list(v.values()))


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
    v = dict(values, created_at=ts, updated_at=ts)
    cur = conn.execute(f"INSERT INTO classes ({', '.join(v)}) VALUES ({', '.join('?' * len(v))})", list(v.values()))
    return cur.lastrowid


def update_class(conn, class_id: int, values: dict) -> None:
    v = dict(values, updated_at=now())
    conn.execute(f"UPDATE classes SET {', '.join(f'{k} = ?' for k in v)} WHERE id = ?", [*v.values(), class_id])


def get_class(conn, class_id: int) -> dict | None:
    return _d(conn.execute("SELECT * FROM classes WHERE id = ?", (class_id,)).fetchone())


def class_by_code(conn, code: str) -> dict | None:
    return _d(conn.execute("SELECT * FROM classes WHERE code = ? AND status = 'active'", (code,)).fetchone()
              or conn.execute("SELECT * FROM classes WHERE code = ?", (code,)).fetchone())


def class_by_slot(conn, entry_year: int, stage: str, grade: int, number: int) -> dict | None:
    return _d(conn.execute(
        "SELECT * FROM classes WHERE entry_year = ? AND stage = ? AND grade = ? AND number = ? AND status = 'active'",
        (entry_year, stage, grade, number)).fetchone())


def list_classes(conn, in_class_statuses: Iterable[str]) -> list[dict]:
    st = list(in_class_statuses)
    q = f"""SELECT c.*, (SELECT COUNT(*) FROM students s WHERE s.class_id = c.id
                       AND s.status IN ({', '.join('?' * len(st))})) AS headcount
            FROM classes c ORDER BY c.status, c.grade, c.number, c.entry_year"""
    return [dict(r) for r in conn.execute(q, st)]


def class_headcount(conn, class_id: int, statuses: Iterable[str], exclude_student: int | None = None) -> int:
    st = list(statuses)
    return conn.execute(
        f"SELECT COUNT(*) FROM students WHERE class_id = ? AND status IN ({', '.join('?' * len(st))}) AND id IS NOT ?",
        [class_id, *st, exclude_student]).fetchone()[0]


# ---------------------------------------------------------------- students
def insert_student(conn, values: dict) -> int:
    ts = now()
    v = dict(values, created_at=ts, updated_at=ts)
    cur = conn.execute(f"INSERT INTO students ({', '.join(v)}) VALUES ({', '.join('?' * len(v))})", list(v.values()))
    return cur.lastrowid


def insert_students(conn, rows: list[dict]) -> list[int]:
    """Bulk insert (import, demo): one prepared statement, ids returned in order."""
    if not rows:
        return []
    ts = now()
    cols = list(rows[0]) + ["created_at", "updated_at"]
    sql = f"INSERT INTO students ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM students").fetchone()[0] + 1
    conn.executemany(sql, ([*(r[c] for c in cols[:-2]), ts, ts] for r in rows))
    return list(range(first, first + len(rows)))


def update_student(conn, student_id: int, values: dict) -> None:
    v = dict(values, updated_at=now())
    conn.execute(f"UPDATE students SET {', '.join(f'{k} = ?' for k in v)} WHERE id = ?", [*v.values(), student_id])


def get_student(conn, student_id: int) -> dict | None:
    return _d(conn.execute("SELECT * FROM students WHERE id = ?", (student_id,)).fetchone())


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
                f"SELECT * FROM family_members WHERE student_id IN ({', '.join('?' * len(ids))}) ORDER BY student_id, seq",
                ids):
            out[r["student_id"]].append(dict(r))
    return out


def upsert_member(conn, student_id: int, seq: int, values: dict) -> None:
    exists = conn.execute("SELECT id FROM family_members WHERE student_id = ? AND seq = ?", (student_id, seq)).fetchone()
    if exists:
        conn.execute(f"UPDATE family_members SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                     [*values.values(), exists[0]])
    else:
        v = dict(values, student_id=student_id, seq=seq)
        conn.execute(f"INSERT INTO family_members ({', '.join(v)}) VALUES ({', '.join('?' * len(v))})", list(v.values()))


def insert_members(conn, rows: list[dict]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    conn.executemany(f"INSERT INTO family_members ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                     ([r[c] for c in cols] for r in rows))


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
        where.append(f"status IN ({', '.join('?' * len(st))})")
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
        for r in conn.execute(f"SELECT * FROM students WHERE id IN ({', '.join('?' * len(part))})", part):
            out[r["id"]] = dict(r)
    return out


# ---------------------------------------------------------------- history and findings
HISTORY_COLS = ("student_id", "entity", "entity_id", "action", "field", "old_value", "new_value",
                "changed_at", "changed_by", "reason", "evidence_ref", "batch")


def insert_history(conn, rows: list[dict]) -> None:
    if not rows:
        return
    ts = now()
    conn.executemany(
        f"INSERT INTO change_history ({', '.join(HISTORY_COLS)}) VALUES ({', '.join('?' * len(HISTORY_COLS))})",
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
    conn.executemany(f"INSERT INTO rule_findings ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
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


# ---------------------------------------------------------------- photos (migration 0002)
PHOTO_META_COLS = ("id", "student_id", "original_sha256", "original_ext", "original_bytes", "width", "height",
                   "size", "preset", "crop", "rotate", "source", "created_at", "created_by", "current")


def current_photo(conn, student_id: int, with_jpeg: bool = False) -> dict | None:
    cols = ", ".join(PHOTO_META_COLS + (("spec_jpeg",) if with_jpeg else ()))
    return _d(conn.execute(f"SELECT {cols} FROM photos WHERE student_id = ? AND current = 1",
                           (student_id,)).fetchone())


def current_photo_jpeg(conn, student_id: int) -> bytes | None:
    r = conn.execute("SELECT spec_jpeg FROM photos WHERE student_id = ? AND current = 1", (student_id,)).fetchone()
    return bytes(r[0]) if r else None


def current_photo_jpegs(conn, student_ids: list[int]) -> dict[int, bytes]:
    out = {}
    for chunk in range(0, len(student_ids), 900):
        part = student_ids[chunk:chunk + 900]
        for r in conn.execute(f"SELECT student_id, spec_jpeg FROM photos WHERE current = 1 AND student_id IN "
                              f"({', '.join('?' * len(part))})", part):
            out[r[0]] = bytes(r[1])
    return out


def photo_student_ids(conn) -> set[int]:
    """Students with a current photo (served by the partial unique index photos_current)."""
    return {r[0] for r in conn.execute("SELECT student_id FROM photos WHERE current = 1")}


def insert_photo(conn, values: dict) -> tuple[int, dict | None]:
    """Make ``values`` the student's current photo; returns (new id, the previous current photo's metadata)."""
    sid = values["student_id"]
    old = current_photo(conn, sid)
    if old:
        conn.execute("UPDATE photos SET current = 0 WHERE id = ?", (old["id"],))
    v = dict(values, current=1)
    v.setdefault("created_at", now())
    cur = conn.execute(f"INSERT INTO photos ({', '.join(v)}) VALUES ({', '.join('?' * len(v))})", list(v.values()))
    return cur.lastrowid, old


def photos_of(conn, student_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(
        f"SELECT {', '.join(PHOTO_META_COLS)} FROM photos WHERE student_id = ? ORDER BY id", (student_id,))]
