"""Where paper and electronic archive disagree (discrepancies, one view) and the semester review
(每学期复核, 国家 第二十四条).

    lines = discrepancies(session)                     # [Discrepancy], each with a target the GUI opens
    export_discrepancies(session, "差异.xlsx"); print_discrepancies(session, "差异.pdf")
    record_signature(session, student_id, "2026-09-10", "张父")   # the guardian signed the printed 学生基本信息表

    r = start_review(session, class_id=3)              # or the whole school: class_id=None
    mark(session, r["id"], student_id, "folder")       # or mark_scan(session, r["id"], scanned_text)
    fid = add_finding(session, r["id"], student_id, "户籍证明缺失"); fix_finding(session, fid, "已补交")
    review_status(session, r["id"]); finish_review(session, r["id"]); print_review_report(session, r["id"], "复核.pdf")

Everything is saved as it happens (one transaction per action), so a review survives closing the app.
Which rule and article each kind of discrepancy cites is data: resources/discrepancies.json.
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
STEPS = ("folder", "checklist", "key_data")
STEP_NAMES = Names({"folder": "review.step.folder", "checklist": "review.step.checklist",
                    "key_data": "review.step.key_data"})
HOW_NAMES = Names({"tick": "review.how.tick", "scan": "review.how.scan"})
SCAN_PREFIX = "XUEJI|"  # the folder label's QR payload: XUEJI|学校标识码|database id|学籍号 (decisions.md)


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
            r = session.conn.execute("SELECT name FROM event_evidence WHERE id = ?", (int(base[9:]),)).fetchone()
        except ValueError:
            r = None
        return r[0] if r else key
    name = _item_names(session.school["profile"]).get(base, base)
    if year.isdigit():  # worded as the checklist words it: 2023—2024学年
        return tr("paper.item_year", name=name, year=int(year), next=int(year) + 1)
    return name


# ---------------------------------------------------------------- discrepancies
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


class _Names:
    """Student and class names for the lines, read once."""

    def __init__(self, session: Session):
        from app.school.classes import display_name

        self.classes = {k["id"]: display_name(k) for k in q.list_classes(session.conn, ())}
        self.conn = session.conn
        self.cache: dict[int, dict] = {}

    def of(self, sid: int | None) -> tuple[str, str]:
        if sid is None:
            return "", ""
        s = self.cache.get(sid)
        if s is None:
            s = self.cache[sid] = rq.students_brief(self.conn, [sid]).get(sid) or {"name": "", "class_id": None}
        return s["name"], self.classes.get(s["class_id"], "")


def _has_paper_tables(conn) -> bool:
    return rq.table_exists(conn, "paper_folders")


def discrepancies(session: Session, as_of: _dt.date | None = None, kinds=None) -> list[Discrepancy]:
    """Every place where the paper and the electronic archive disagree or are incomplete, as of ``as_of``
    (default today). ``kinds`` limits the kinds (default: all of KINDS)."""
    as_of = as_of or _dt.date.today()
    wanted = set(kinds or KINDS)
    conn = session.conn
    names = _Names(session)
    out: list[Discrepancy] = []

    def add(kind, sid, what, since, target):
        rule, article = _cite(session, kind)
        n, c = names.of(sid)
        out.append(Discrepancy(kind, KIND_NAMES[kind], sid, n, c, what, since or "", target, rule, article))

    if "evidence_missing" in wanted:
        for r in rq.evidence_missing(conn, _has_paper_tables(conn)):
            add("evidence_missing", r["student_id"],
                tr("discrepancy.what.evidence_missing", document=r["name"], date=r["effective_date"]),
                r["effective_date"], {"view": "changes", "student_id": r["student_id"], "event_id": r["event_id"],
                                      "item_key": f"evidence:{r['evidence_id']}"})
    if "handover_late" in wanted:
        months = int(_config()["handover_late"].get("months", 1))
        for r in rq.transfers_out(conn):
            due = r["due_date"] or add_months(_dt.date.fromisoformat(r["effective_date"]), months).isoformat()
            h = rq.first_handover(conn, r["student_id"], r["event_id"]) if _has_paper_tables(conn) else None
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
    if _has_paper_tables(conn):
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
    marks = rq.basic_form_marks(conn, _config()["form_outdated"]["item_key"]) if _has_paper_tables(conn) else {}
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
                                         "recorded_at": q.now(), "recorded_by": session.user,
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
    from app.exchange import template_io as T
    from app.exchange.approvals import grant

    out = Path(out)
    if out.suffix.lower() not in (".xls", ".xlsx"):
        raise Refused([T.bad_format(out)])
    allowed = grant(session, "internal")
    lines = discrepancies(session, as_of)
    n = T.write_workbook(out, _disc_headers(), _disc_rows(lines), total=len(lines))
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


# ---------------------------------------------------------------- semester review
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
    if class_id is not None and q.get_class(session.conn, int(class_id)) is None:
        raise NotFound(tr("class.not_found", id=class_id))
    term = term or term_of(_dt.date.today())
    y, _, half = term.partition("-")
    if not (y.isdigit() and len(y) == 4 and half in ("1", "2")):
        raise Refused([Finding("REVIEW.TERM", tr("review.bad_term", value=term), field=tr("review.field.term"),
                               outcome=INVALID)])
    with session.transaction():
        rid = rq.insert_review(session.conn, {"class_id": int(class_id) if class_id is not None else None, "term": term,
                                              "started_at": q.now(), "started_by": session.user, "note": note or ""})
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
                                            "how": "scan" if how == "scan" else "tick", "marked_at": q.now(),
                                            "marked_by": session.user})
    return {"id": mid, "review_id": r["id"], "student_id": sid, "step": step, "how": how}


def resolve_label(session: Session, text: str) -> int | None:
    """The student a scanned folder label (or a typed 学籍号 / ID number / database id) names."""
    t = (text or "").strip()
    try:
        from app.paper import resolve_scan  # the folder engineer's resolver, when present
    except ImportError:
        resolve_scan = None
    if resolve_scan is not None:
        try:
            hit = resolve_scan(session, t)
        except Exception:
            hit = None
        if isinstance(hit, int):
            return hit
        if isinstance(hit, dict) and hit.get("student_id"):
            return int(hit["student_id"])
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
                                                "what": what, "recorded_at": q.now(), "recorded_by": session.user})


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
                                                "fixes": f["id"], "recorded_at": q.now(), "recorded_by": session.user})


def review_status(session: Session, review_id: int) -> dict:
    """The review with per-student progress (each step: when, how, by whom), findings with their fixes, counts."""
    r = _review(session, review_id)
    conn = session.conn
    ids = _scope(session, r)
    marks: dict[int, dict] = {}
    for m in rq.marks_of(conn, r["id"]):
        marks.setdefault(m["student_id"], {}).setdefault(m["step"], m)
    names = _Names(session)
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
    k = q.get_class(conn, r["class_id"]) if r["class_id"] else None
    return {"review": dict(r, term_name=term_name(r["term"]),
                           scope=names.classes.get(r["class_id"], "") if k else tr("review.whole_school")),
            "students": students, "findings": findings,
            "counts": {"students": len(ids), "done": sum(1 for s in students if s["done"]),
                       **{s: sum(1 for x in students if x[s]) for s in STEPS},
                       "findings": len(findings), "fixed": sum(1 for f in findings if f["fixed"])}}


def finish_review(session: Session, review_id: int, note: str = "") -> dict:
    r = _open_review(session, review_id)
    with session.transaction():
        rq.finish_review(session.conn, r["id"], q.now(), session.user, note or r["note"])
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


# ---------------------------------------------------------------- a plain table PDF (reportlab, bundled fonts)
def pdf_table(out, title: str, meta: list[str], headers: list[str], widths_mm, rows: list[list[str]],
              footer: str = "") -> int:
    """A4 landscape table with wrapped cells, repeated header, page numbers; written atomically. Returns pages.
    A character no bundled font draws refuses the print (never a box)."""
    import os
    import tempfile

    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from app.core.fsutil import discard_on_error
    from app.printing import fonts

    for text in [title, footer, *meta, *headers, *(c for r in rows for c in r)]:
        bad = fonts.missing("song", str(text))
        if bad:
            raise Refused([Finding("PRINT.GLYPH", tr("review.print.missing_glyph", char=bad[0], text=str(text)[:40]),
                                   field=tr("label.file"), outcome=INVALID)])
    out = Path(out)
    W, H = landscape(A4)
    margin = 12 * mm
    ws = [w * mm for w in widths_mm]
    scale = (W - 2 * margin) / sum(ws)
    ws = [w * scale for w in ws]
    size, lead = 9.0, 11.5

    def draw(c, x, y, text, sz, face="song"):
        for fname, part in fonts.runs(face, text):
            fonts.font(fname)
            c.setFont(fname, sz)
            c.drawString(x, y, part)
            x += fonts.font(fname).stringWidth(part, sz)

    def wrap(text: str, width: float) -> list[str]:
        lines = []
        for para in str(text).split("\n"):
            cur = ""
            for ch in para:
                if cur and fonts.width("song", cur + ch, size) > width - 4:
                    lines.append(cur)
                    cur = ch
                else:
                    cur += ch
            lines.append(cur)
        return lines or [""]

    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pdf", dir=out.parent if out.parent.exists() else None)
    os.close(fd)
    pages = 0
    with discard_on_error(tmp):
        c = canvas.Canvas(tmp, pagesize=(W, H))
        c.setTitle(title)

        def header_block() -> float:
            """Title, meta lines and the column heads; returns the top of the first row."""
            nonlocal pages
            pages += 1
            y = H - margin - 14
            draw(c, margin, y, title, 15)
            y -= 18
            for m in meta:
                draw(c, margin, y, m, 9.5)
                y -= 13
            top = y - 2
            c.setLineWidth(0.6)
            c.line(margin, top, W - margin, top)
            x = margin
            for h, w in zip(headers, ws):
                draw(c, x + 2, top - size - 2, h, size)
                x += w
            top -= lead + 4
            c.line(margin, top, W - margin, top)
            return top

        def footer_page() -> None:
            draw(c, W - margin - 40, margin - 2, tr("review.print.page", page=pages), 8)
            c.showPage()

        top = header_block()
        for row in rows:
            cells = [wrap(v, w) for v, w in zip(row, ws)]
            height = max(len(x) for x in cells) * lead + 4
            if top - height < margin + 20:
                footer_page()
                top = header_block()
            x = margin
            for lines, w in zip(cells, ws):
                yy = top - size - 2
                for ln in lines:
                    draw(c, x + 2, yy, ln, size)
                    yy -= lead
                x += w
            top -= height
            c.setLineWidth(0.2)
            c.line(margin, top, W - margin, top)
        if footer:
            if top < margin + 40:
                footer_page()
                top = header_block()
            draw(c, margin, top - 24, footer, 10)
        footer_page()
        c.save()
        os.replace(tmp, out)
    return pages
