"""A student reference as the registrar types it (database id, ID number or 学籍号) resolved to an id.
A leaf of app/students: the audit log resolves ``--student`` with it without reaching the student service."""
from __future__ import annotations

import re

from app.core.errors import NotFound
from app.core.i18n import tr
from app.students import store as q
from app.students.idcard import normalize_id


def resolve(session, ref) -> int:
    """A student by database id, ID number or 学籍号."""
    s = normalize_id(str(ref))
    if re.fullmatch(r"\d{1,9}", s):
        if q.get_student(session.conn, int(s)):
            return int(s)
        ids = q.student_ids_by(session.conn, "id_number", s)
        if len(ids) == 1:
            return ids[0]
        raise NotFound(tr("student.not_found_id", ref=s))
    col = "xueji_no" if re.fullmatch(r"[GJL][0-9]{17}[0-9X]", s) else "id_number"
    ids = q.student_ids_by(session.conn, col, s)
    if not ids and col == "xueji_no":
        ids = q.student_ids_by(session.conn, "id_number", s)
    if not ids:
        raise NotFound(tr("student.not_found_number", ref=s))
    if len(ids) > 1:
        raise NotFound(tr("student.ambiguous", count=len(ids), ref=s, ids=", ".join(map(str, ids))))
    return ids[0]
