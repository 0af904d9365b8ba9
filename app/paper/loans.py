"""The borrow register (查阅登记, 长治 第四十四条; 国家 第二十五条): who took a student's folder or one item of it,
why, approved by whom, due back when; its return; what is overdue. And the folder's hand-over (转出)."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from app.core.errors import Finding, NotFound, Refused
from app.core.i18n import tr
from app.paper.checklist import require_item
from app.paper.locations import ensure_folder
from app.core.session import Session
from app.paper import store as pq
from app.students import store as q



def _approval_cite(session: Session) -> dict:
    """The rule and article requiring written approval to consult a folder, from the profile's checklist data."""
    from app.paper.checklist import load_template

    tpl = load_template((session.school or {}).get("profile") or "national")
    return {"rule": tpl.get("loan_rule", ""), "article": tpl.get("loan_article", ""), "outcome": "BLOCK"}


@dataclass
class Loan:
    id: int
    student_id: int
    student_name: str
    item_key: str
    borrower: str
    purpose: str
    approved_by: str
    lent_on: str
    due_on: str
    returned_on: str | None
    returned_to: str
    overdue: bool
    days_overdue: int

    def as_json(self) -> dict:
        return dict(self.__dict__)


def _date(value, field: str) -> str:
    if value is None or value == "":
        return _dt.date.today().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    try:
        return _dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise Refused([Finding("paper_bad_date", tr("paper.err.bad_date", value=value), field=field)]) from None


def lend(session: Session, student_id: int, *, borrower: str, purpose: str, approved_by: str, due_on,
         item_key: str = "", lent_on=None) -> int:
    """Record that ``borrower`` took the folder (item_key '') or one item; returns the loan id."""
    sid = int(student_id)
    if q.get_student(session.conn, sid) is None:
        raise NotFound(tr("student.not_found_id", ref=sid))
    if item_key:
        require_item(session, sid, item_key)
    fs = []
    for value, code, label in ((borrower, "paper_loan_borrower", tr("paper.field.borrower")),
                               (purpose, "paper_loan_purpose", tr("paper.field.purpose")),
                               (approved_by, "paper_loan_approval", tr("paper.field.approved_by"))):
        if not str(value or "").strip():
            fs.append(Finding(code, tr("paper.err.loan_required", field=label), field=label,
                              **(_approval_cite(session) if code == "paper_loan_approval" else {})))
    if fs:
        raise Refused(fs)
    lent = _date(lent_on, tr("paper.field.lent_on"))
    due = _date(due_on, tr("paper.field.due_on"))
    if due < lent:
        raise Refused([Finding("paper_loan_due", tr("paper.err.due_before", due=due, lent=lent),
                               field=tr("paper.field.due_on"))])
    open_ = pq.open_loans_of(session.conn, sid)
    clash = [ln for ln in open_ if not ln["item_key"] or not item_key or ln["item_key"] == item_key]
    if clash:
        c = clash[0]
        raise Refused([Finding("paper_already_lent", tr("paper.err.already_lent", borrower=c["borrower"],
                                                         due=c["due_on"], id=c["id"]), field=tr("paper.field.item"))])
    if pq.handovers_of(session.conn, sid):
        raise Refused([Finding("paper_handed_over", tr("paper.err.handed_over"), field=tr("paper.field.item"))])
    with session.transaction() as conn:
        ensure_folder(session, conn, sid)
        lid = pq.insert_loan(conn, {"student_id": sid, "item_key": item_key, "borrower": borrower.strip(),
                                    "purpose": purpose.strip(), "approved_by": approved_by.strip(), "lent_on": lent,
                                    "due_on": due, "lent_by": session.user})
        q.insert_history(conn, [{"student_id": sid, "entity": "folder", "entity_id": lid, "action": "loan",
                                 "field": item_key or "folder", "new_value": f"{borrower.strip()} → {due}",
                                 "changed_by": session.user, "reason": purpose.strip(),
                                 "evidence_ref": approved_by.strip()}])
    return lid


def return_loan(session: Session, loan_id: int, *, returned_on=None, note: str = "") -> Loan:
    ln = pq.get_loan(session.conn, int(loan_id))
    if ln is None:
        raise Refused([Finding("paper_no_loan", tr("paper.err.no_loan", id=loan_id), field=tr("paper.field.loan"))])
    if ln["returned_on"]:
        raise Refused([Finding("paper_loan_closed", tr("paper.err.loan_closed", id=loan_id, on=ln["returned_on"]),
                               field=tr("paper.field.loan"))])
    on = _date(returned_on, tr("paper.field.returned_on"))
    if on < ln["lent_on"]:
        raise Refused([Finding("paper_loan_return_date", tr("paper.err.return_before", on=on, lent=ln["lent_on"]),
                               field=tr("paper.field.returned_on"))])
    with session.transaction() as conn:
        pq.close_loan(conn, ln["id"], on, session.user, note)
        q.insert_history(conn, [{"student_id": ln["student_id"], "entity": "folder", "entity_id": ln["id"],
                                 "action": "loan", "field": ln["item_key"] or "folder",
                                 "old_value": ln["borrower"], "new_value": f"returned {on}",
                                 "changed_by": session.user, "reason": note}])
    return next(x for x in loans(session, open_only=False) if x.id == ln["id"])


def loans(session: Session, open_only: bool = True, as_of=None, *, student_id: int | None = None,
          overdue_only: bool = False) -> list[Loan]:
    """The register, due date first; ``overdue`` = still out after ``due_on`` as of ``as_of`` (today)."""
    day = _date(as_of, tr("paper.field.as_of"))
    out = []
    for r in pq.list_loans(session.conn, open_only, student_id):
        late = r["returned_on"] is None and r["due_on"] < day
        days = (_dt.date.fromisoformat(day) - _dt.date.fromisoformat(r["due_on"])).days if late else 0
        ln = Loan(r["id"], r["student_id"], r["student_name"], r["item_key"], r["borrower"], r["purpose"],
                  r["approved_by"], r["lent_on"], r["due_on"], r["returned_on"], r["returned_to"], late, days)
        if not overdue_only or late:
            out.append(ln)
    return out


def overdue(session: Session, as_of=None) -> list[Loan]:
    return loans(session, True, as_of, overdue_only=True)


def hand_over(session: Session, student_id: int, *, handed_to: str, handed_on=None, carried_by: str = "",
              event_id: int | None = None, receipt_sha256: str | None = None, note: str = "") -> int:
    """Record that the folder left the school (转出: to the receiving school; 辽宁 第十六条: sealed, carried by the
    guardian). Items still present become 'handed over'; the school keeps its copies and scans."""
    sid = int(student_id)
    if q.get_student(session.conn, sid) is None:
        raise NotFound(tr("student.not_found_id", ref=sid))
    if not str(handed_to or "").strip():
        raise Refused([Finding("paper_handover_to", tr("paper.err.loan_required", field=tr("paper.field.handed_to")),
                               field=tr("paper.field.handed_to"))])
    if pq.open_loans_of(session.conn, sid):
        raise Refused([Finding("paper_handover_lent", tr("paper.err.handover_lent"), field=tr("paper.field.item"))])
    on = _date(handed_on, tr("paper.field.handed_on"))
    if event_id is None:  # the transfer-out / graduation this hand-over belongs to: the latest one
        from app.paper.checklist import load_template

        kinds = load_template((session.school or {}).get("profile") or "national").get("handover_kinds", [])
        leaving = [e for e in pq.status_events_of(session.conn, sid) if e["kind"] in kinds]
        event_id = leaving[-1]["id"] if leaving else None
    with session.transaction() as conn:
        ensure_folder(session, conn, sid)
        hid = pq.insert_handover(conn, {"student_id": sid, "event_id": event_id, "handed_on": on,
                                        "handed_to": handed_to.strip(), "carried_by": carried_by.strip(),
                                        "receipt_sha256": receipt_sha256, "note": note, "recorded_by": session.user})
        q.insert_history(conn, [{"student_id": sid, "entity": "folder", "entity_id": hid, "action": "handover",
                                 "field": "folder", "new_value": handed_to.strip(), "changed_by": session.user,
                                 "reason": note, "evidence_ref": f"sha256:{receipt_sha256}" if receipt_sha256 else ""}])
    return hid
