"""``xueji check``: is the archive whole, and does every stored record still pass validation and
the school's hard rules? Reports; never changes anything."""
from __future__ import annotations

from app.students import fields as F
from app.students import status as st
from app.core.errors import BLOCK, INVALID, Finding
from app.core.i18n import tr
from app.rules.engine import RuleContext, evaluate
from app.students.validation import validate_student
from app.school import store as school_store
from app.students import store as q
from db.archive import schema_version


def check_archive(session) -> dict:
    conn = session.conn
    problems: list[Finding] = []
    integrity = q.integrity_check(conn)
    if integrity != "ok":
        problems.append(Finding("integrity", tr("check.integrity", result=integrity), field=tr("label.archive")))
    for r in q.foreign_key_violations(conn):
        problems.append(Finding("foreign_key", tr("check.foreign_key", table=r[0], rowid=r[1], parent=r[2]),
                                field=tr("label.archive")))
    if session.school is None:
        problems.append(Finding("no_school", tr("check.no_school"), field=tr("label.school")))
    for idn, n in q.duplicate_id_numbers(conn):
        problems.append(Finding("duplicate_id_number", tr("check.duplicate_id_number", id_number=idn, count=n),
                                field=F.by_key()["id_number"].header, rule="DUP.ONE_PERSON_ONE_XJ",
                                article=(session.profile.rule("DUP.ONE_PERSON_ONE_XJ") or _none()).article))
    ids = q.all_student_ids(conn)
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        rows = q.students_by_ids(conn, chunk)
        mem = q.members_of_many(conn, chunk)
        for sid in chunk:
            s = rows[sid]
            rec = {k: s[k] for k in F.stored_student_keys()}
            _, _, found = validate_student(rec, mem[sid])
            for f in found:
                if f.outcome == INVALID:
                    f.message = tr("check.student_problem", name=s["name"], id=sid, message=f.message)
                    problems.append(f)
    classes = {k["id"]: k for k in school_store.list_classes(conn, st.in_class_codes())}
    for k in classes.values():
        ctx = RuleContext("student.place", record={}, klass=k, school=session.school, lookup=_Count(k["headcount"] - 1))
        for f in evaluate(session.profile, ctx):
            if f.outcome == BLOCK and f.code == "class_size":
                problems.append(f)
    return {"integrity": integrity, "schema_version": schema_version(conn), "profile": session.profile.id,
            "counts": q.counts(conn), "problems": problems}


class _Count:
    """A lookup that reports a class's current headcount, so class-size rules can be re-checked."""

    def __init__(self, n):
        self.n = n

    def class_headcount(self, class_id, exclude):
        return self.n


def _none():
    class _R:
        article = ""
    return _R()
