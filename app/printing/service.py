"""Printing as the registrar asks for it: which students, which certificate numbers, which calibration.

``print_document`` is what the CLI (``xueji print``) and the window call. For a certificate kind it
takes each student's current valid certificate number, issuing one (next serial, rules checked) where
none exists — in the SAME transaction as the print's register rows; the PDF is rendered to a temporary
file inside that transaction and moved into place only after the commit, so a refused, failed or
cancelled print leaves neither a certificate nor a file behind.

Calibrations (per printer, named): archive setting ``print.calibrations`` (JSON {name: {dx_mm, dy_mm,
scale, printer, saved_at, saved_by}}); dx/dy in mm, + = right/down, applied by the renderer as
``paper = d + scale * template``.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from app.audit import log as audit
from app.certificates import service as cs
from app.core.errors import Finding, NotFound, Refused
from app.core.fsutil import discard_on_error
from app.core.i18n import tr
from app.core.session import Session
from app.certificates import store as cq
from app.printing.documents import year_range
from app.printing.kinds import CERT_KINDS, CLASS_KINDS, KIND_TITLES, KINDS, STUDENT_KINDS, YEAR_KINDS
from app.school import store as school_store
from app.students import store as q
from db.rows import now

# The kind tables live in the leaf app/printing/kinds.py; named here for the window's menus.
__all__ = ["KINDS", "CERT_KINDS", "STUDENT_KINDS", "CLASS_KINDS", "YEAR_KINDS", "KIND_TITLES"]
CAL_KEY = "print.calibrations"
MAX_OFFSET_MM = 50.0         # a larger shift is a typing mistake, not a printer's registration
SCALE_RANGE = (0.8, 1.2)
SKIP_CODES = {"cert_final_state", "cert_not_graduated_here"}  # a class batch leaves these students out


def calibration_class():
    """The renderer's Calibration (dx/dy in mm, scale), loaded only when needed (it brings reportlab)."""
    from app.printing.engine import Calibration

    return Calibration


# ------------------------------------------------------------------ calibrations
def list_calibrations(session: Session) -> dict[str, dict]:
    raw = school_store.get_setting(session.conn, CAL_KEY)
    return json.loads(raw) if raw else {}


def get_calibration(session: Session, name: str):
    entry = list_calibrations(session).get(name)
    if entry is None:
        raise NotFound(tr("calibration.not_found", name=name,
                          names=tr("common.list_sep").join(list_calibrations(session)) or tr("calibration.none")))
    return calibration_class()(dx_mm=float(entry["dx_mm"]), dy_mm=float(entry["dy_mm"]),
                                scale=float(entry.get("scale", 1.0)))


def calibration_for_printer(session: Session, printer: str) -> tuple[str, dict] | None:
    """The calibration saved for this printer (the last saved one when there are several)."""
    found = [(n, e) for n, e in list_calibrations(session).items() if e.get("printer") == printer]
    return max(found, key=lambda ne: ne[1].get("saved_at", "")) if found else None


def save_calibration(session: Session, name: str, *, dx_mm: float, dy_mm: float, scale: float = 1.0,
                     printer: str = "") -> dict:
    name = (name or "").strip()
    if not name:
        raise Refused([Finding("calibration_name_required", tr("calibration.name_required"),
                               field=tr("calibration.field.name"))])
    bad = []
    for label, v in ((tr("calibration.field.dx"), dx_mm), (tr("calibration.field.dy"), dy_mm)):
        if not abs(float(v)) <= MAX_OFFSET_MM:
            bad.append(Finding("calibration_out_of_range", tr("calibration.offset_range", value=v, limit=MAX_OFFSET_MM),
                               field=label))
    if not SCALE_RANGE[0] <= float(scale) <= SCALE_RANGE[1]:
        bad.append(Finding("calibration_out_of_range", tr("calibration.scale_range", value=scale, low=SCALE_RANGE[0],
                                                          high=SCALE_RANGE[1]), field=tr("calibration.field.scale")))
    if bad:
        raise Refused(bad)
    entry = {"dx_mm": round(float(dx_mm), 3), "dy_mm": round(float(dy_mm), 3), "scale": round(float(scale), 5),
             "printer": printer, "saved_at": now(), "saved_by": session.user}
    with session.transaction() as conn:
        raw = school_store.get_setting(conn, CAL_KEY)
        cals = json.loads(raw) if raw else {}
        old = cals.get(name)
        cals[name] = entry
        school_store.set_setting(conn, CAL_KEY, json.dumps(cals, ensure_ascii=False))
        q.insert_history(conn, [{"entity": "school", "action": "edit", "field": f"{CAL_KEY}:{name}",
                                 "old_value": json.dumps(old, ensure_ascii=False) if old else "",
                                 "new_value": json.dumps(entry, ensure_ascii=False), "changed_by": session.user}])
    return dict(entry, name=name)


def resolve_calibration(session: Session, calibration):
    """A calibration by its saved name, or as given (a Calibration); None for none."""
    if calibration is None or calibration == "":
        return None
    if isinstance(calibration, str):
        return get_calibration(session, calibration)
    return calibration


# ------------------------------------------------------------------ selection
@dataclass
class PrintResult:
    path: str
    pages: int
    students: int
    kind: str
    warnings: list = field(default_factory=list)
    numbers: dict = field(default_factory=dict)          # student id -> certificate number
    issued: list = field(default_factory=list)           # IssueResult of certificates issued by this print
    skipped: list = field(default_factory=list)          # Finding per student left out of a class batch

    def as_json(self) -> dict:
        return {"path": self.path, "pages": self.pages, "students": self.students, "kind": self.kind,
                "numbers": {str(k): v for k, v in self.numbers.items()},
                "issued": [{"student_id": r.student_id, "number": r.number, "state": r.state} for r in self.issued],
                "skipped": [f.as_json() for f in self.skipped],
                "warnings": [w.as_json() if isinstance(w, Finding) else {"message": str(w)} for w in self.warnings]}


def register_rows(session: Session, *, school_year: int | None = None) -> list[dict]:
    """The issuance register as the printed table reads it (prints are left out: issues, reprints, voids, 验印)."""
    rows = []
    certs = {}
    for e in cs.register(session, school_year=school_year):
        if e["action"] == "print":
            continue
        c = certs.get(e["number"]) or certs.setdefault(e["number"], cs.describe(session, e["number"]))
        rows.append({"number": e["number"], "kind": e["kind"], "event": e["action"], "issued_at": e["at"],
                     "name": e["student_name"], "xueji_no": e["xueji_no"], "operator": e["by"],
                     "verified": bool(c["verified_at"]), "verified_at": (c["verified_at"] or "")[:10],
                     "reason": e["reason"], "note": e["reason"] + (f" ({e['approved_by']})" if e["approved_by"] else ""),
                     "original_number": c["original_number"]})
    return rows


def _select(session: Session, kind: str, student_ids, class_id, school_year):
    """(ids, skipped, refusals) of a certificate print: the students it covers, the Findings of those a class
    batch leaves out, and for a class batch the rules already found refusing per student (id -> Findings)."""
    if student_ids:
        return [int(s) for s in student_ids], [], {}
    if class_id is not None:
        if school_store.get_class(session.conn, int(class_id)) is None:
            raise Refused([Finding("unknown_class", tr("class.not_found", id=class_id), field=tr("label.class"))])
        ids, skipped, refusing = [], [], {}
        for sid in q.search_student_ids(session.conn, None, int(class_id)):
            if cs.current_certificate(session.conn, sid, kind) is not None:
                ids.append(sid)
                continue
            refusals = cs.eligible(session, kind, sid)
            if refusals and all(f.code in SKIP_CODES for f in refusals):
                skipped.extend(refusals)
            else:
                ids.append(sid)
                refusing[sid] = refusals
        return ids, skipped, refusing
    if school_year is not None:
        lo, hi = year_range(int(school_year))
        certs = cq.certificates(session.conn, kind=kind, issued_from=lo, issued_to=hi)
        ids = list(dict.fromkeys(c["student_id"] for c in certs if not c["voided_at"]))
        return ids, [], {}
    raise Refused([Finding("print_no_selection", tr("printjob.no_selection"), field=tr("print.field.selection"))])


# ------------------------------------------------------------------ the print plan
@dataclass
class PlanItem:
    """One document a print would make: a student's certificate or form, a list, a change form."""
    kind: str
    student_id: int | None = None
    name: str = ""
    number: str | None = None      # certificate kinds: the number the print keeps (None: it issues the next one)
    issue: bool = False            # certificate kinds: the print issues this student's certificate
    event_id: int | None = None    # change-form: the status change whose form prints
    students: int | None = None    # a list: how many students it carries
    label: str = ""                # a list: the class (class-roster) it is for

    def as_json(self) -> dict:
        return {"kind": self.kind, "student_id": self.student_id, "name": self.name, "number": self.number,
                "issue": self.issue, "event_id": self.event_id, "students": self.students, "label": self.label}


@dataclass
class PrintPlan:
    """What a print would make and what it would refuse, nothing written (``plan_print``)."""
    kind: str
    would_print: list = field(default_factory=list)   # PlanItem
    refused: list = field(default_factory=list)       # Finding (rule + article) per refused student or selection
    skipped: list = field(default_factory=list)       # Finding per student a class batch leaves out

    @property
    def student_ids(self) -> list[int]:
        return [i.student_id for i in self.would_print if i.student_id is not None]

    @property
    def numbers(self) -> dict[int, str | None]:
        """Certificate kinds: student id -> the number kept, None where the print issues one."""
        return {i.student_id: i.number for i in self.would_print if i.student_id is not None}

    @property
    def to_issue(self) -> int:
        return sum(1 for i in self.would_print if i.issue)


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise Refused([Finding("print_unknown_kind", tr("print.unknown_kind", kind=kind, choices=", ".join(KINDS)),
                               field=tr("cert.field.kind"))])


def plan_print(session: Session, kind: str, *, student_ids=None, class_id=None, school_year=None, event_ids=None,
               mask_ids: bool = False, check: bool = True) -> PrintPlan:
    """What ``print_document`` would print with these arguments, nothing written: per certificate the
    student and the number kept or to be issued; per other document the student, list or change form.
    ``check``: also evaluate the certificate rules for each student the print would issue to; those refused
    go to ``refused`` (their Findings name the rule and article). A certificate print with anything in
    ``refused`` is refused as a whole; a class batch leaves out (``skipped``) the students whose state does
    not fit the certificate. Unknown students or classes raise NotFound / Refused as the print does."""
    check_kind(kind)
    if kind not in CERT_KINDS:
        return _plan_documents(session, kind, student_ids=student_ids, class_id=class_id, school_year=school_year,
                               event_ids=event_ids)
    if mask_ids:  # a certificate carries the number it certifies
        raise Refused([Finding("mask_not_for_certificates", tr("printjob.mask_not_for_certificates"),
                               field=tr("cert.field.kind"))])
    plan = PrintPlan(kind)
    ids, skipped, refusing = _select(session, kind, student_ids, class_id, school_year)
    if not ids:
        plan.refused = skipped or [Finding("print_nobody", tr("printjob.nobody"), field=tr("print.field.selection"))]
        return plan
    plan.skipped = skipped
    students = q.students_by_ids(session.conn, ids)
    for sid in ids:
        c = cs.current_certificate(session.conn, sid, kind)
        name = (students.get(sid) or {}).get("name", "")
        if c is None and check:
            refusals = refusing[sid] if sid in refusing else cs.eligible(session, kind, sid)
            if refusals:
                plan.refused.extend(refusals)
                continue
        plan.would_print.append(PlanItem(kind, sid, name, c["number"] if c else None, c is None))
    return plan


def _plan_documents(session: Session, kind: str, **selection) -> PrintPlan:
    from app.printing import renderer

    plan = PrintPlan(kind)
    if kind == "issuance-register":
        selection["register_rows"] = register_rows(session, school_year=int(selection["school_year"])
                                                   if selection.get("school_year") else None)
    for k in ("student_ids", "event_ids"):
        selection[k] = list(selection[k]) if selection.get(k) else None
    try:
        docs = renderer.documents_for(session, kind, **selection)
    except Refused as e:
        plan.refused = list(e.findings)
        return plan
    for d in docs:
        if d.student_id is not None:
            event = d.record.get("event_no") if kind == "change-form" else None
            plan.would_print.append(PlanItem(kind, d.student_id, d.label, event_id=int(event) if event else None))
        else:
            count = d.record.get("count")
            plan.would_print.append(PlanItem(kind, students=int(count) if count not in (None, "") else None,
                                             label=d.record.get("class_name", "") if kind == "class-roster" else ""))
    return plan


# ------------------------------------------------------------------ printing
def print_document(session: Session, kind: str, out, *, student_ids=None, class_id=None, school_year=None,
                   overlay: bool = False, calibration=None, issue_date: _dt.date | None = None,
                   override: cs.CertOverride | None = None, template=None, progress=None, cancel=None,
                   event_ids=None, mask_ids: bool = False) -> PrintResult:
    """``event_ids``: for ``change-form``, the status-change events whose forms print (or ``student_ids``:
    each student's latest change event that has a form in the school's profile)."""
    from app.printing import renderer as printing

    session.require("print")  # before anything is rendered (roles: resources/security/roles.toml)
    check_kind(kind)
    cal = resolve_calibration(session, calibration)
    out, tmp = _target(out)
    if kind in CERT_KINDS:
        return _print_certificates(session, kind, out, tmp, student_ids=student_ids, class_id=class_id,
                                   school_year=school_year, overlay=overlay, cal=cal, issue_date=issue_date,
                                   override=override, template=template, progress=progress, cancel=cancel,
                                   mask_ids=mask_ids)
    kw = {}
    if kind == "issuance-register":
        kw["register_rows"] = register_rows(session, school_year=int(school_year) if school_year else None)
    with discard_on_error(tmp):
        res = printing.render(session, kind, tmp, student_ids=list(student_ids) if student_ids else None,
                              class_id=class_id, school_year=school_year, overlay=overlay, calibration=cal,
                              issue_date=issue_date, template=template, progress=progress, cancel=cancel,
                              event_ids=list(event_ids) if event_ids else None, mask_ids=mask_ids, **kw)
        with session.transaction("print") as conn:  # the print is noted in the audit log, or no PDF appears
            audit.record_print(session, kind, out, student_ids=student_ids, class_id=class_id, count=res.students,
                               pages=res.pages, conn=conn, masked=mask_ids)
            os.replace(tmp, out)
    return PrintResult(str(out), res.pages, res.students, kind, list(res.warnings))


def print_change_form(session: Session, event_id: int, out, **kw) -> PrintResult:
    """The form of one status change (转学联系表, 休学复学申请表 …, the one the profile names for its kind)."""
    return print_document(session, "change-form", out, event_ids=[int(event_id)], **kw)


def latest_change_event(session: Session, student_id: int) -> int | None:
    """The student's latest change event whose kind has a form in the school's profile (None: none)."""
    from app.printing.change_forms import latest_form_event

    return latest_form_event(session, int(student_id))


def reprint_document(session: Session, number: str, reason: str, out, *, overlay: bool = False, calibration=None,
                     template=None) -> PrintResult:
    """Reprint one certificate under its own number (a jammed or smudged sheet), recorded with the reason,
    in one transaction with the PDF (moved into place after the commit)."""
    from app.printing import renderer as printing

    cal = resolve_calibration(session, calibration)
    out, tmp = _target(out)
    with discard_on_error(tmp):
        with session.transaction() as conn:
            c, warnings = cs.reprint_in_transaction(session, conn, number, reason,
                                                    details={"file": str(out), "overlay": overlay,
                                                             **_cal_details(cal)})
            res = printing.render(session, c["kind"], tmp, student_ids=[c["student_id"]], overlay=overlay,
                                  calibration=cal, numbers={c["student_id"]: c["number"]},
                                  issue_date=_dt.date.fromisoformat(c["issue_date"]), template=template)
            audit.record_print(session, c["kind"], out, student_ids=[c["student_id"]], count=res.students,
                               pages=res.pages, conn=conn)
        os.replace(tmp, out)
    return PrintResult(str(out), res.pages, res.students, c["kind"], list(warnings) + list(res.warnings),
                       {c["student_id"]: c["number"]})


def _cert_values(conn, numbers: dict[int, str]) -> dict[int, dict]:
    """What each certificate printed carries from its register row: the issue date it was issued with
    (a later print shows the same date) and a 学历证明's original diploma number."""
    out = {}
    for sid, number in numbers.items():
        c = cq.get_by_number(conn, number)
        out[sid] = {"issue_date": c["issue_date"], "original_number": c["original_number"]}
    return out


def _cal_details(cal) -> dict:
    return {"calibration": {"dx_mm": cal.dx_mm, "dy_mm": cal.dy_mm, "scale": cal.scale}} if cal is not None else {}


def _target(out) -> tuple[Path, Path]:
    out = Path(out)
    if out.suffix.lower() != ".pdf":
        out = out.with_name(out.name + ".pdf")
    out.parent.mkdir(parents=True, exist_ok=True)
    return out, out.with_name(f".{out.name}.{os.getpid()}.part")


def _print_certificates(session, kind, out, tmp, *, student_ids, class_id, school_year, overlay, cal, issue_date,
                        override, template, progress, cancel, mask_ids) -> PrintResult:
    from app.printing import renderer as printing

    # the plan chooses the students; the rules are checked when each certificate is issued, in the transaction
    plan = plan_print(session, kind, student_ids=student_ids, class_id=class_id, school_year=school_year,
                      mask_ids=mask_ids, check=False)
    if plan.refused:
        raise Refused(plan.refused)
    ids, skipped = plan.student_ids, plan.skipped
    with discard_on_error(tmp):
        with session.transaction() as conn:
            numbers, issued = cs.numbers_for(session, conn, kind, ids, issue_date=issue_date, override=override)
            res = printing.render(session, kind, tmp, student_ids=ids, overlay=overlay, calibration=cal,
                                  numbers=numbers, issue_date=issue_date, template=template, progress=progress,
                                  cancel=cancel, values=_cert_values(conn, numbers))
            details = {"file": str(out), "overlay": overlay, **_cal_details(cal)}
            cs.record_prints(session, conn, kind, numbers, details)
            audit.record_print(session, kind, out, student_ids=ids, class_id=class_id, count=res.students,
                               pages=res.pages, conn=conn)
        os.replace(tmp, out)
    warnings = [w for r in issued for w in r.warnings] + list(res.warnings)
    return PrintResult(str(out), res.pages, res.students, kind, warnings, numbers, issued, skipped)
