"""Everything due or overdue, sorted by urgency: the open rows of the ``deadlines`` table (written by the
services that create an obligation: transfers, death, archive hand-over …) plus items computed from the
profile's rules (events ``graduation.deadline`` and ``promotion.deadline`` in resources/rules/graduation/):
compulsory graduation by 30 July, HS diploma stamping, registration deadlines of students still pending,
suspension expiry, rosters due. Every number comes from the rule's params.

A computed item is closed by recording a done row for it (same student, kind and due date)."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from app.school.classes import display_name
from app.core.errors import Finding, NotFound, Refused
from app.core.i18n import Names, tr
from app.rules.engine import RuleContext, evaluate
from app.core.workdays import calendar_known
from app.changes import deadlines_store as dq

# kinds of table rows counted in working days: their due date depends on the holiday calendar
WORKING_DAY_KINDS = ("party_response", "death_cancel", "change_processing", "processing", "noshow")
KIND_NAMES = Names({
    "party_response": "deadline.kind.party_response", "archive_handover": "deadline.kind.archive_handover",
    "death_cancel": "deadline.kind.death_cancel", "suspension_expiry": "deadline.kind.suspension_expiry",
    "extension_window": "deadline.kind.extension_window", "dropout_report": "deadline.kind.dropout_report",
    "change_processing": "deadline.kind.change_processing", "registration": "deadline.kind.registration",
    "registration_hs": "deadline.kind.registration_hs", "compulsory_graduation": "deadline.kind.compulsory_graduation",
    "diploma_stamp": "deadline.kind.diploma_stamp", "rosters": "deadline.kind.rosters",
    "semester_review": "deadline.kind.semester_review", "semester_report": "deadline.kind.semester_report",
    "semester_review_start": "deadline.kind.semester_review_start",
    "semester_review_end": "deadline.kind.semester_review_end", "probation_review": "deadline.kind.probation_review",
})


def kind_label(kind: str) -> str:
    """The registrar's name for a deadline kind (the code itself when unknown)."""
    return KIND_NAMES[kind] if kind in KIND_NAMES else kind


@dataclass
class DeadlineItem:
    student_id: int | None
    student_name: str
    class_name: str
    kind: str
    title: str
    due: _dt.date
    days_left: int
    overdue: bool
    rule: str
    article: str
    deadline_id: int | None
    note: str = ""            # e.g. the year's holiday calendar is not known: working days counted as Mon–Fri
    computed: bool = False    # True: from the rules, not a stored row (close it with close_deadline(item=…))
    class_id: int | None = None

    def as_json(self) -> dict:
        return {"student_id": self.student_id, "student": self.student_name, "class": self.class_name,
                "kind": self.kind, "title": self.title, "due": self.due.isoformat(), "days_left": self.days_left,
                "overdue": self.overdue, "rule": self.rule or None, "article": self.article or None,
                "deadline_id": self.deadline_id, "note": self.note or None, "class_id": self.class_id}


def _entry_date(s: dict) -> _dt.date | None:
    ym = (s.get("entry_ym") or "").strip()
    if len(ym) >= 6 and ym[:6].isdigit():
        try:
            return _dt.date(int(ym[:4]), int(ym[4:6]), 1)
        except ValueError:
            pass
    try:
        return _dt.date.fromisoformat((s.get("created_at") or "")[:10])
    except ValueError:
        return None


def _item(as_of, *, student_id, student_name, class_name, kind, title, due, rule, article, deadline_id,
          note="", computed=False, class_id=None) -> DeadlineItem:
    return DeadlineItem(student_id, student_name, class_name, kind, title, due, (due - as_of).days, due < as_of,
                        rule, article, deadline_id, note, computed, class_id)


def list_deadlines(session, as_of=None, *, student_id=None, include_computed: bool = True) -> list[DeadlineItem]:
    conn = session.conn
    as_of = as_of or _dt.date.today()
    if not isinstance(as_of, _dt.date):
        as_of = _dt.date.fromisoformat(str(as_of))
    classes = dq.classes_by_id(conn)

    def cname(cid):
        k = classes.get(cid)
        return display_name(k) if k else ""

    known: dict[int, bool] = {}

    def unknown_year_note(due: _dt.date) -> str:
        if due.year not in known:
            known[due.year] = calendar_known(conn, due.year)
        return "" if known[due.year] else tr("deadline.calendar_unknown", year=due.year)

    items: list[DeadlineItem] = []
    for d in dq.open_deadlines(conn, student_id):
        due = _dt.date.fromisoformat(d["due_date"])
        note = unknown_year_note(due) if d["kind"] in WORKING_DAY_KINDS else ""
        items.append(_item(as_of, student_id=d["student_id"], student_name=d.get("student_name") or "",
                           class_name=cname(d.get("class_id")), kind=d["kind"],
                           title=d["note"] or kind_label(d["kind"]), due=due, rule=d["rule"], article=d["article"],
                           deadline_id=d["id"], note=note, class_id=d.get("class_id")))
    if include_computed:
        items += _computed(session, as_of, student_id, classes, cname)
    items.sort(key=lambda i: (not i.overdue, i.due, i.class_name, i.student_name, i.kind))
    return items


def _computed(session, as_of, student_id, classes, cname) -> list[DeadlineItem]:
    from app.promotion.service import is_final_grade, leaving_year

    conn = session.conn
    profile = session.profile
    done = dq.deadline_keys(conn)
    out: list[DeadlineItem] = []

    def add(findings, *, sid=None, sname="", cid=None):
        for f in findings:
            due = _dt.date.fromisoformat(f.params["due"])
            kind = f.code
            key = (sid, kind, due.isoformat()) if sid is not None else (None, kind, due.isoformat(), f.message)
            if key in done:
                continue
            out.append(_item(as_of, student_id=sid, student_name=sname, class_name=cname(cid), kind=kind,
                             title=f.message, due=due, rule=f.rule, article=f.article, deadline_id=None,
                             computed=True, class_id=cid))

    if student_id is None:
        # classes: graduation due dates (final grades, active)
        for k in classes.values():
            if k["status"] != "active" or not is_final_grade(profile, k["stage"], k["grade"]):
                continue
            kk = dict(k, display_name=display_name(k), is_final=True, leaving_year=leaving_year(profile, k))
            add(evaluate(profile, RuleContext("graduation.deadline", record={"as_of": as_of}, klass=kk,
                                              school=session.school, today=as_of)), cid=k["id"])
        # school-level items (rosters …)
        add(evaluate(profile, RuleContext("promotion.deadline", record={"as_of": as_of, "status": None},
                                          school=session.school, today=as_of)))
    # students still pending: registration deadlines
    pending = dq.students_with_status(conn, ["pending"])
    for s in pending:
        if student_id is not None and s["id"] != student_id:
            continue
        rec = dict(s, entry_date=_entry_date(s), as_of=as_of)
        k = classes.get(s["class_id"]) or {}
        add(evaluate(profile, RuleContext("promotion.deadline", record=rec, klass=k, school=session.school,
                                          today=as_of)), sid=s["id"], sname=s["name"], cid=s["class_id"])
    # suspended students: the end of the suspension (unless the changes service wrote a row for it)
    for s in dq.suspended_until(conn):
        if student_id is not None and s["student_id"] != student_id:
            continue
        if not s["until"]:
            continue
        rec = {"suspension_until": s["until"], "status": "suspended", "as_of": as_of}
        found = evaluate(profile, RuleContext("promotion.deadline", record=rec, school=session.school, today=as_of))
        found = [f for f in found if f.params.get("due") and f.code == "suspension_expiry"]
        add(found, sid=s["student_id"], sname=s["name"], cid=s["class_id"])
    return out


def close_deadline(session, deadline_id: int | None = None, note: str = "", *, item: DeadlineItem | None = None) -> None:
    """Mark a deadline done: a stored row by id, or a computed item (a done row is recorded for it)."""
    conn = session.conn
    if deadline_id is not None:
        d = dq.get_deadline(conn, int(deadline_id))
        if d is None:
            raise NotFound(tr("deadline.not_found", id=deadline_id))
        if d["done_at"]:
            raise Refused([Finding("deadline.already_done", tr("deadline.already_done", id=deadline_id,
                                                                 at=d["done_at"]), field=tr("deadline.label"))])
        with session.transaction():
            dq.close_deadline(conn, int(deadline_id), session.user, note)
        return
    if item is None:
        raise Refused([Finding("deadline.nothing", tr("deadline.nothing"), field=tr("deadline.label"))])
    with session.transaction():
        dq.insert_closed_deadline(conn, {"student_id": item.student_id, "kind": item.kind,
                                         "due_date": item.due.isoformat(), "rule": item.rule,
                                         "article": item.article, "note": item.title}, session.user, note)


def summary(items: list[DeadlineItem]) -> dict:
    """Counts for the start-up notice: overdue, due within 7 days, total."""
    return {"overdue": sum(i.overdue for i in items),
            "within_week": sum(0 <= i.days_left <= 7 for i in items), "total": len(items)}

