"""Where paper and electronic archive disagree or are incomplete (discrepancies, one view), the list's
spreadsheet export and printed PDF, and the guardian's signature on the printed 学生基本信息表 (edits after it
make the form out of date).

    lines = discrepancies(session)                     # [Discrepancy], each with a target the GUI opens
    export_discrepancies(session, "差异.xlsx"); print_discrepancies(session, "差异.pdf")
    record_signature(session, student_id, "2026-09-10", "张父")   # the guardian signed the printed 学生基本信息表

Which rule and article each kind of discrepancy cites is data: resources/discrepancies.json.
The semester review is app/paper/review.py.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from app.students import status as st
from app.core.errors import INVALID, Finding, NotFound, Refused
from app.core.i18n import Names, tr
from app.core.paths import resource
from app.core.session import Session
from app.core.workdays import add_months
from app.students import store as q
from app.paper import review_store as rq
from app.paper.pdf_table import pdf_table
from app.paper.student_names import StudentNames
from db.rows import now

KIND_NAMES = Names({
    "evidence_missing": "discrepancy.kind.evidence_missing",
    "paper_without_scan": "discrepancy.kind.paper_without_scan",
    "scan_without_paper": "discrepancy.kind.scan_without_paper",
    "no_folder": "discrepancy.kind.no_folder",
    "no_location": "discrepancy.kind.no_location",
    "loan_overdue": "discrepancy.kind.loan_overdue",
    "handover_late": "discrepancy.kind.handover_late",
    "form_outdated": "discrepancy.kind.form_outdated",
})
KINDS = tuple(KIND_NAMES)


@lru_cache(maxsize=1)
def _config() -> dict:
    return json.loads(resource("discrepancies.json").read_text(encoding="utf-8"))["kinds"]


def _cite(session: Session, kind: str) -> tuple[str, str]:
    c = _config().get(kind) or {}
    art = c.get("article", {})
    a = art.get(session.school["profile"]) or art.get("*") or ""
    return (c.get("rule", "") if a else ""), a


@lru_cache(maxsize=8)
def _item_names(profile: str) -> dict[str, str]:
    """Checklist item key -> name, from the same template the checklist uses (with its ``extends``)."""
    from app.paper.checklist import load_template

    return {i["key"]: i["name"] for i in load_template(profile)["items"]}


def _item_name(session: Session, key: str) -> str:
    base, _, year = key.partition("@")
    if base.startswith("evidence:"):
        try:
            name = rq.evidence_name(session.conn, int(base[9:]))
        except ValueError:
            name = None
        return key if name is None else name
    name = _item_names(session.school["profile"]).get(base, base)
    if year.isdigit():  # worded as the checklist words it: 2023—2024学年
        return tr("paper.item_year", name=name, year=int(year), next=int(year) + 1)
    return name


@dataclass
class Discrepancy:
    kind: str
    kind_name: str
    student_id: int | None
    student: str
    class_name: str
    what: str
    since: str
    target: dict = field(default_factory=dict)   # {"view": "changes"|"checklist"|"folder"|"loans"|"handover"|"student", ids…}
    rule: str = ""
    article: str = ""

    def as_json(self) -> dict:
        return asdict(self)


def discrepancies(session: Session, as_of: _dt.date | None = None, kinds=None) -> list[Discrepancy]:
    """Every place where the paper and the electronic archive disagree or are incomplete, as of ``as_of``
    (default today). ``kinds`` limits the kinds (default: all of KINDS)."""
    as_of = as_of or _dt.date.today()
    wanted = set(kinds or KINDS)
    conn = session.conn
    names = StudentNames(session)
    out: list[Discrepancy] = []

    def add(kind, sid, what, since, target):
        rule, article = _cite(session, kind)
        n, c = names.of(sid)
        out.append(Discrepancy(kind, KIND_NAMES[kind], sid, n, c, what, since or "", target, rule, article))

    if "evidence_missing" in wanted:
        for r in rq.evidence_missing(conn):
            add("evidence_missing", r["student_id"],
                tr("discrepancy.what.evidence_missing", document=r["name"], date=r["effective_date"]),
                r["effective_date"], {"view": "changes", "student_id": r["student_id"], "event_id": r["event_id"],
                                      "item_key": f"evidence:{r['evidence_id']}"})
    if "handover_late" in wanted:
        months = int(_config()["handover_late"].get("months", 1))
        for r in rq.transfers_out(conn):
            due = r["due_date"] or add_months(_dt.date.fromisoformat(r["effective_date"]), months).isoformat()
            h = rq.first_handover(conn, r["student_id"], r["event_id"])
            target = {"view": "handover", "student_id": r["student_id"], "event_id": r["event_id"]}
            if h is None:
                if due < as_of.isoformat():
                    add("handover_late", r["student_id"],
                        tr("discrepancy.what.handover_missing", date=r["effective_date"], due=due), due, target)
            elif h["handed_on"] > due:
                receipt = (tr("discrepancy.receipt_yes", sha=h["receipt_sha256"][:12]) if h["receipt_sha256"]
                           else tr("discrepancy.receipt_no"))
                add("handover_late", r["student_id"],
                    tr("discrepancy.what.handover_late", date=r["effective_date"], due=due, handed=h["handed_on"],
                       to=h["handed_to"], receipt=receipt), due, dict(target, handover_id=h["id"]))
    if "form_outdated" in wanted:
        for d in _outdated_forms(session):
            add("form_outdated", d["student_id"],
                tr("discrepancy.what.form_outdated", signed=d["signed"], edits=d["edits"]), d["since"],
                {"view": "student", "student_id": d["student_id"], "print": "basic-info-form"})
    active = st.active_codes()
    if "no_folder" in wanted:
        for r in rq.students_without_folder(conn, active):
            add("no_folder", r["student_id"], tr("discrepancy.what.no_folder"), r["created_at"][:10],
                {"view": "folder", "student_id": r["student_id"]})
    if "no_location" in wanted:
        for r in rq.folders_without_location(conn, active):
            add("no_location", r["student_id"], tr("discrepancy.what.no_location"), r["created_at"][:10],
                {"view": "folder", "student_id": r["student_id"]})
    if "loan_overdue" in wanted:
        for r in rq.loans_overdue(conn, as_of.isoformat()):
            item = _item_name(session, r["item_key"]) if r["item_key"] else tr("discrepancy.whole_folder")
            add("loan_overdue", r["student_id"],
                tr("discrepancy.what.loan_overdue", item=item, borrower=r["borrower"], due=r["due_on"]),
                r["due_on"], {"view": "loans", "student_id": r["student_id"], "loan_id": r["id"]})
    if "paper_without_scan" in wanted:
        for r in rq.paper_without_scan(conn):
            add("paper_without_scan", r["student_id"],
                tr("discrepancy.what.paper_without_scan", item=_item_name(session, r["item_key"])),
                r["checked_at"][:10], {"view": "checklist", "student_id": r["student_id"], "item_key": r["item_key"]})
    if "scan_without_paper" in wanted:
        for r in rq.scans_without_paper(conn):
            add("scan_without_paper", r["student_id"],
                tr("discrepancy.what.scan_without_paper", item=_item_name(session, r["item_key"])),
                r["attached_at"][:10], {"view": "checklist", "student_id": r["student_id"], "item_key": r["item_key"]})
    order = {k: i for i, k in enumerate(KINDS)}
    out.sort(key=lambda d: (order[d.kind], d.since, d.student_id or 0))
    return out


def _outdated_forms(session: Session) -> list[dict]:
    """Students whose record was edited after the guardian last signed the printed 学生基本信息表: the
    latest of a recorded signature (record_signature) and the checklist item marked present."""
    conn = session.conn
    sigs = rq.last_signatures(conn)
    marks = rq.basic_form_marks(conn, _config()["form_outdated"]["item_key"])
    out = []
    for sid in sorted(set(sigs) | set(marks)):
        s, m = sigs.get(sid), marks.get(sid)
        if s is not None and (m is None or s["recorded_at"] >= m):
            e = rq.edits_after(conn, sid, s["history_mark"], "")
            signed = s["signed_on"]
        else:
            e = rq.edits_after(conn, sid, 0, m)
            signed = m[:10]
        if e["edits"]:
            out.append({"student_id": sid, "signed": signed, "edits": e["edits"], "since": (e["since"] or "")[:10]})
    return out


def record_signature(session: Session, student_id: int, signed_on: _dt.date | str | None = None,
                     guardian: str = "") -> dict:
    """Record that the guardian signed the printed 学生基本信息表 (edits after this make it out of date)."""
    sid = int(student_id)
    if q.get_student(session.conn, sid) is None:
        raise NotFound(tr("student.not_found_id", ref=student_id))
    day = signed_on or _dt.date.today()
    if isinstance(day, str):
        try:
            day = _dt.date.fromisoformat(day)
        except ValueError:
            raise Refused([Finding("SIGNATURE.DATE", tr("review.bad_date", value=signed_on),
                                   field=tr("review.field.signed_on"), outcome=INVALID)]) from None
    if day > _dt.date.today():
        raise Refused([Finding("SIGNATURE.FUTURE", tr("review.future_date", value=day.isoformat()),
                               field=tr("review.field.signed_on"), outcome=INVALID)])
    with session.transaction():
        conn = session.conn
        rid = rq.insert_signature(conn, {"student_id": sid, "signed_on": day.isoformat(), "signed_by": guardian or "",
                                         "recorded_at": now(), "recorded_by": session.user,
                                         "history_mark": rq.student_history_mark(conn, sid)})
        q.insert_history(conn, [{"student_id": sid, "entity": "folder", "entity_id": rid, "action": "signature",
                                 "field": _config()["form_outdated"]["item_key"], "new_value": day.isoformat(),
                                 "changed_by": session.user, "reason": guardian or ""}])
    return {"id": rid, "student_id": sid, "signed_on": day.isoformat(), "signed_by": guardian or ""}


def _disc_headers() -> list[str]:
    return [tr("discrepancy.col.kind"), tr("discrepancy.col.student"), tr("discrepancy.col.class"),
            tr("discrepancy.col.what"), tr("discrepancy.col.since"), tr("discrepancy.col.article")]


def _disc_rows(lines: list[Discrepancy]) -> list[list[str]]:
    return [[d.kind_name, d.student, d.class_name, d.what, d.since,
             d.article] for d in lines]


def export_discrepancies(session: Session, out, as_of: _dt.date | None = None) -> dict:
    """Write the list as a spreadsheet (.xlsx or .xls by suffix). An internal export (校内使用, needs
    ``export``): its lines carry names, classes and paper items, no ID numbers (nothing to mask)."""
    from app.audit import log as audit
    from app.exchange import sheet_writer as W
    from app.exchange.approvals import grant

    out = Path(out)
    if out.suffix.lower() not in (".xls", ".xlsx"):
        raise Refused([W.bad_format(out)])
    allowed = grant(session, "internal")
    lines = discrepancies(session, as_of)
    n = W.write_workbook(out, _disc_headers(), _disc_rows(lines), total=len(lines))
    audit.record_export(session, out, count=n, kind="discrepancies", **allowed.audit())
    return {"path": str(out), "count": n}


def print_discrepancies(session: Session, out, as_of: _dt.date | None = None) -> dict:
    as_of = as_of or _dt.date.today()
    lines = discrepancies(session, as_of)
    meta = [tr("discrepancy.print.meta", school=session.school["name"], date=as_of.isoformat(), count=len(lines),
               user=session.user)]
    pages = pdf_table(out, tr("discrepancy.print.title"), meta, _disc_headers(), (28, 18, 24, 126, 22, 30),
                      _disc_rows(lines) or [["", "", "", tr("discrepancy.none"), "", ""]])
    return {"path": str(out), "pages": pages, "count": len(lines)}
