"""SQL for the students' photos (migration 0002): one current photo per student, older ones kept. Plain dicts
in and out; writes assume the caller holds a transaction (``archive.transaction()``)."""
from __future__ import annotations

from db.rows import insert, marks, now, one

PHOTO_META_COLS = ("id", "student_id", "original_sha256", "original_ext", "original_bytes", "width", "height",
                   "size", "preset", "crop", "rotate", "source", "created_at", "created_by", "current")


def current_photo(conn, student_id: int, with_jpeg: bool = False) -> dict | None:
    cols = ", ".join(PHOTO_META_COLS + (("spec_jpeg",) if with_jpeg else ()))
    return one(conn.execute(f"SELECT {cols} FROM photos WHERE student_id = ? AND current = 1",
                            (student_id,)).fetchone())


def current_photo_jpeg(conn, student_id: int) -> bytes | None:
    r = conn.execute("SELECT spec_jpeg FROM photos WHERE student_id = ? AND current = 1", (student_id,)).fetchone()
    return bytes(r[0]) if r else None


def current_photo_jpegs(conn, student_ids: list[int]) -> dict[int, bytes]:
    out = {}
    for chunk in range(0, len(student_ids), 900):
        part = student_ids[chunk:chunk + 900]
        for r in conn.execute(f"SELECT student_id, spec_jpeg FROM photos WHERE current = 1 AND student_id IN "
                              f"({marks(len(part))})", part):
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
    return insert(conn, "photos", v), old
