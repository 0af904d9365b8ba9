"""The semester review (每学期复核, 国家 第二十四条): a class (or the whole school) is gone through student by
student — folder seen (ticked or its label scanned), checklist confirmed, key data confirmed — findings are
recorded and their fixes, and the report is printed.

    r = start_review(session, class_id=3)              # or the whole school: class_id=None
    mark(session, r["id"], student_id, "folder")       # or mark_scan(session, r["id"], scanned_text)
    fid = add_finding(session, r["id"], student_id, "户籍证明缺失"); fix_finding(session, fid, "已补交")
    review_status(session, r["id"]); finish_review(session, r["id"]); print_review_report(session, r["id"], "复核.pdf")

Everything is saved as it happens (one transaction per action), so a review survives closing the app.
Discrepancies between paper and electronic archive are app/paper/discrepancies.py.
"""
from __future__ import annotations

import datetime as _dt

from app.students import status as st
from app.core.errors import INVALID, Finding, NotFound, Refused
from app.core.i18n import Names, tr
from app.core.session import Session
from app.school import store as school_store
from app.students import store as q
from app.paper import review_store as rq
from app.paper.locations import resolve_scan
from app.paper.pdf_table import pdf_table
from app.paper.student_names import StudentNames
from db.rows import now

STEPS = ("folder", "checklist", "key_data")
STEP_NAMES = Names({"folder": "review.step.folder", "checklist": "review.step.checklist",
                    "key_data": "review.step.key_data"})
HOW_NAMES = Names({"tick": "review.how.tick", "scan": "review.how.scan"})
SCAN_PREFIX = "XUEJI|"  # the folder label's QR payload: XUEJI|学校标识码|database id|学籍号 (decisions.md)


def term_of(day: _dt.date) -> str:
    """``YYYY-1`` (上学期, Aug–Jan) or ``YYYY-2`` (下学期, Feb–Jul) of the school year starting in YYYY."""
    if day.month >= 8:
        return f"{day.year}-1"
    if day.month == 1:
        return f"{day.year - 1}-1"
    return f"{day.year - 1}-2"


def term_name(term: str) -> str:
    y, _, half = term.partition("-")
    return tr("review.term_first", year=y, next=int(y) + 1) if half == "1" else tr("review.term_second", year=y,
                                                                                    next=int(y) + 1)


def _review(session: Session, review_id: int) -> dict:
    r = rq.get_review(session.conn, int(review_id))
    if r is None:
        raise NotFound(tr("review.not_found", id=review_id))
    return r


def _open_review(session: Session, review_id: int) -> dict:
    r = _review(session, review_id)
    if r["finished_at"]:
        raise Refused([Finding("REVIEW.FINISHED", tr("review.finished_already", id=review_id, at=r["finished_at"]),
                               field=tr("review.field.review"), outcome=INVALID)])
    return r


def _scope(session: Session, r: dict) -> list[int]:
    return rq.student_ids_in_scope(session.conn, r["class_id"], st.active_codes())


def start_review(session: Session, class_id: int | None = None, term: str | None = None, note: str = "") -> dict:
    """Begin a review of a class (or the whole school with ``class_id=None``) for ``term`` (default: now)."""
    if class_id is not None and school_store.get_class(session.conn, int(class_id)) is None:
        raise NotFound(tr("class.not_found", id=class_id))
    term = term or term_of(_dt.date.today())
    y, _, half = term.partition("-")
    if not (y.isdigit() and len(y) == 4 and half in ("1", "2")):
        raise Refused([Finding("REVIEW.TERM", tr("review.bad_term", value=term), field=tr("review.field.term"),
                               outcome=INVALID)])
    with session.transaction():
        rid = rq.insert_review(session.conn, {"class_id": int(class_id) if class_id is not None else None, "term": term,
                                              "started_at": now(), "started_by": session.user, "note": note or ""})
    return _review(session, rid)


def reviews(session: Session) -> list[dict]:
    return rq.reviews(session.conn)


def mark(session: Session, review_id: int, student_id: int, step: str = "folder", how: str = "tick") -> dict:
    """Record one step for one student: ``folder`` seen, ``checklist`` confirmed, ``key_data`` confirmed."""
    r = _open_review(session, review_id)
    if step not in STEPS:
        raise Refused([Finding("REVIEW.STEP", tr("review.bad_step", step=step, choices=", ".join(STEPS)),
                               field=tr("review.field.step"), outcome=INVALID)])
    sid = int(student_id)
    if sid not in _scope(session, r):
        raise Refused([Finding("REVIEW.OUT_OF_SCOPE", tr("review.out_of_scope", student=sid, id=review_id),
                               field=tr("review.field.student"), outcome=INVALID)])
    with session.transaction():
        mid = rq.insert_mark(session.conn, {"review_id": r["id"], "student_id": sid, "step": step,
                                            "how": "scan" if how == "scan" else "tick", "marked_at": now(),
                                            "marked_by": session.user})
    return {"id": mid, "review_id": r["id"], "student_id": sid, "step": step, "how": how}


def resolve_label(session: Session, text: str) -> int | None:
    """The student a scanned folder label (or a typed 学籍号 / ID number / database id) names."""
    t = (text or "").strip()
    try:
        hit = resolve_scan(session, t)
    except Exception:  # a scanner's garbage must not stop the review; the label is then read below
        hit = None
    if hit is not None:
        return hit
    parts = t.split("|")
    if t.startswith(SCAN_PREFIX) and len(parts) >= 3 and parts[2].isdigit():
        if parts[1] == str(session.school["code"]) and q.get_student(session.conn, int(parts[2])):
            return int(parts[2])
        return None
    for col in ("xueji_no", "id_number"):
        ids = q.student_ids_by(session.conn, col, t.upper())
        if len(ids) == 1:
            return ids[0]
    return None


def mark_scan(session: Session, review_id: int, text: str) -> dict:
    """A scanned folder label marks that student's folder as seen in the review."""
    _open_review(session, review_id)
    sid = resolve_label(session, text)
    if sid is None:
        raise Refused([Finding("REVIEW.UNKNOWN_LABEL", tr("review.unknown_label", text=text),
                               field=tr("review.field.label"), outcome=INVALID)])
    return mark(session, review_id, sid, "folder", "scan")


def add_finding(session: Session, review_id: int, student_id: int | None, what: str) -> int:
    r = _open_review(session, review_id)
    what = (what or "").strip()
    if not what:
        raise Refused([Finding("REVIEW.FINDING_EMPTY", tr("review.finding_empty"), field=tr("review.field.what"),
                               outcome=INVALID)])
    with session.transaction():
        return rq.insert_finding(session.conn, {"review_id": r["id"],
                                                "student_id": int(student_id) if student_id is not None else None,
                                                "what": what, "recorded_at": now(), "recorded_by": session.user})


def fix_finding(session: Session, finding_id: int, note: str) -> int:
    """Record how a finding was fixed (a row of its own pointing at the finding)."""
    f = rq.get_finding(session.conn, int(finding_id))
    if f is None or f["fixes"] is not None:
        raise NotFound(tr("review.finding_not_found", id=finding_id))
    r = _open_review(session, f["review_id"])
    note = (note or "").strip()
    if not note:
        raise Refused([Finding("REVIEW.FIX_EMPTY", tr("review.fix_empty"), field=tr("review.field.what"),
                               outcome=INVALID)])
    with session.transaction():
        return rq.insert_finding(session.conn, {"review_id": r["id"], "student_id": f["student_id"], "what": note,
                                                "fixes": f["id"], "recorded_at": now(), "recorded_by": session.user})


def review_status(session: Session, review_id: int) -> dict:
    """The review with per-student progress (each step: when, how, by whom), findings with their fixes, counts."""
    r = _review(session, review_id)
    conn = session.conn
    ids = _scope(session, r)
    marks: dict[int, dict] = {}
    for m in rq.marks_of(conn, r["id"]):
        marks.setdefault(m["student_id"], {}).setdefault(m["step"], m)
    names = StudentNames(session)
    students = []
    for sid in ids:
        n, c = names.of(sid)
        ms = marks.get(sid, {})
        students.append({"student_id": sid, "name": n, "class": c,
                         **{s: ({"at": ms[s]["marked_at"], "how": ms[s]["how"], "by": ms[s]["marked_by"]}
                                if s in ms else None) for s in STEPS},
                         "done": all(s in ms for s in STEPS)})
    findings, fixes = [], {}
    rows = rq.findings_of(conn, r["id"])
    for f in rows:
        if f["fixes"] is not None:
            fixes[f["fixes"]] = f
    for f in rows:
        if f["fixes"] is None:
            fx = fixes.get(f["id"])
            n, c = names.of(f["student_id"])
            findings.append({"id": f["id"], "student_id": f["student_id"], "name": n, "what": f["what"],
                             "recorded_at": f["recorded_at"], "recorded_by": f["recorded_by"],
                             "fixed": fx is not None, "fix": fx["what"] if fx else "",
                             "fixed_at": fx["recorded_at"] if fx else None, "fixed_by": fx["recorded_by"] if fx else ""})
    k = school_store.get_class(conn, r["class_id"]) if r["class_id"] else None
    return {"review": dict(r, term_name=term_name(r["term"]),
                           scope=names.classes.get(r["class_id"], "") if k else tr("review.whole_school")),
            "students": students, "findings": findings,
            "counts": {"students": len(ids), "done": sum(1 for s in students if s["done"]),
                       **{s: sum(1 for x in students if x[s]) for s in STEPS},
                       "findings": len(findings), "fixed": sum(1 for f in findings if f["fixed"])}}


def finish_review(session: Session, review_id: int, note: str = "") -> dict:
    r = _open_review(session, review_id)
    with session.transaction():
        rq.finish_review(session.conn, r["id"], now(), session.user, note or r["note"])
    return _review(session, r["id"])


def print_review_report(session: Session, review_id: int, out) -> dict:
    """The review report (who, when, what was found and fixed, per student progress) as a PDF."""
    s = review_status(session, review_id)
    r, c = s["review"], s["counts"]
    meta = [tr("review.print.meta", school=session.school["name"], scope=r["scope"], term=r["term_name"]),
            tr("review.print.who", started=r["started_at"].replace("T", " "), by=r["started_by"],
               finished=(r["finished_at"] or "").replace("T", " ") or tr("review.print.unfinished"), finished_by=r["finished_by"] or "-"),
            tr("review.print.counts", students=c["students"], done=c["done"], findings=c["findings"], fixed=c["fixed"])]
    if r["note"]:
        meta.append(r["note"])
    tick = tr("review.print.tick")
    rows = []
    for x in s["students"]:
        rows.append([x["name"], x["class"]] + [(tick + (HOW_NAMES[x[st_]["how"]] if x[st_]["how"] == "scan" else ""))
                                               if x[st_] else "" for st_ in STEPS]
                    + ["; ".join(f["what"] + (" → " + f["fix"] if f["fixed"] else "") for f in s["findings"]
                                 if f["student_id"] == x["student_id"])])
    general = [f for f in s["findings"] if f["student_id"] is None]
    for f in general:
        rows.append([tr("review.whole_school"), "", "", "", "", f["what"] + (" → " + f["fix"] if f["fixed"] else "")])
    headers = [tr("discrepancy.col.student"), tr("discrepancy.col.class")] + [STEP_NAMES[x] for x in STEPS] + \
        [tr("review.print.col_findings")]
    pages = pdf_table(out, tr("review.print.title"), meta, headers, (28, 30, 20, 20, 20, 126),
                      rows or [["", "", "", "", "", tr("review.print.nobody")]],
                      footer=tr("review.print.sign"))
    return {"path": str(out), "pages": pages}
