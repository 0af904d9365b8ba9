"""Certificates: issue (with a serial number), reprint, void, verify (验印), list; the issuance register.

Every action is one transaction (``with session.transaction()``, BEGIN IMMEDIATE): the serial is taken from
its (kind, year) counter, the certificate and its register event are written and the student's
change_history row is added together, or nothing is. Certificates are never edited or deleted
(db/migrations/0003_certificates.sql): a spoiled form is voided with a reason and a new certificate issued;
a reprint keeps its number and records why. Rules (resources/rules/certificates/<profile>.toml, events
``cert.<kind>`` and ``cert.<kind>.reprint``) decide who may get which certificate.

Number pattern (archive setting ``cert.number_pattern``, default ``{year}{school_code}{kind_code}{seq:04d}``):
placeholders ``{year}`` (issue year, 4 digits), ``{yy}`` (2 digits), ``{school_code}`` (学校标识码),
``{kind_code}`` (setting ``cert.kind_codes``, JSON {kind: code}; default diploma 1, completion 2,
incomplete 3, study 4, education 5) and ``{seq}`` (required; format spec allowed, e.g. ``{seq:05d}``).
The serial counts per kind and issue year from 1.
"""
from __future__ import annotations

import datetime as _dt
import json
import string
from dataclasses import dataclass, field

from app.students import status as st
from app.school.classes import display_name
from app.core.errors import Finding, NotFound, Refused, triage
from app.core.i18n import Names, tr
from app.certificates.names import ACTION_NAMES, KIND_NAMES  # noqa: F401 (API)
from app.rules.engine import RuleContext, evaluate
from app.core.session import Session
from app.certificates import store as cq
from app.school import store as school_store
from app.students import store as q
from app.students.refs import resolve

CERT_KINDS = ("diploma", "completion-certificate", "incomplete-certificate", "study-certificate",
              "education-certificate")
DEFAULT_PATTERN = "{year}{school_code}{kind_code}{seq:04d}"
DEFAULT_KIND_CODES = {"diploma": "1", "completion-certificate": "2", "incomplete-certificate": "3",
                      "study-certificate": "4", "education-certificate": "5"}
EDUCATION_KIND = "education-certificate"
PATTERN_KEY = "cert.number_pattern"
KIND_CODES_KEY = "cert.kind_codes"
PATTERN_FIELDS = {"year", "yy", "school_code", "kind_code", "seq"}

STATE_VALID, STATE_AWAITING, STATE_VOID = "valid", "awaiting_stamp", "void"


@dataclass
class CertOverride:
    """What a BLOCK* certificate rule (e.g. a second 学历证明, 长治 第三十八条) needs: why, and who approved."""
    reason: str = ""
    approved_by: str = ""

    def missing(self) -> list[str]:
        out = []
        if not self.reason.strip():
            out.append(tr("student.override_reason"))
        if not self.approved_by.strip():
            out.append(tr("student.override_approver"))
        return out


@dataclass
class IssueResult:
    id: int | None
    number: str
    kind: str
    student_id: int
    state: str
    warnings: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    overridden: list[Finding] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"id": self.id, "number": self.number, "kind": self.kind, "student_id": self.student_id,
                "state": self.state, "warnings": [f.as_json() for f in self.warnings],
                "notes": [f.as_json() for f in self.notes], "overridden": [f.as_json() for f in self.overridden]}


class _Lookup:
    def __init__(self, conn):
        self.conn = conn

    def certificates(self, student_id: int, kind: str) -> list[dict]:
        return [c for c in cq.certificates(self.conn, student_id=student_id, kind=kind) if not c["voided_at"]]


# ------------------------------------------------------------------ numbers
def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind)


def _check_kind(kind: str) -> None:
    if kind not in CERT_KINDS:
        raise Refused([Finding("cert_unknown_kind", tr("cert.unknown_kind", kind=kind, choices=", ".join(CERT_KINDS)),
                               field=tr("cert.field.kind"))])


def validate_pattern(pattern: str) -> None:
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
        format_number(pattern, year=2026, school_code="0", kind_code="0", seq=1)
    except (ValueError, KeyError, IndexError):
        names = None
    if names is None or "seq" not in names or set(names) - PATTERN_FIELDS:
        raise Refused([Finding("cert_bad_pattern", tr("cert.bad_pattern", pattern=pattern,
                                                      fields=", ".join(sorted(PATTERN_FIELDS))),
                               field=tr("cert.field.pattern"))])


def format_number(pattern: str, *, year: int, school_code: str, kind_code: str, seq: int) -> str:
    return pattern.format(year=year, yy=f"{year % 100:02d}", school_code=school_code, kind_code=kind_code, seq=seq)


def number_pattern(session: Session) -> str:
    return school_store.get_setting(session.conn, PATTERN_KEY) or DEFAULT_PATTERN


def kind_codes(session: Session) -> dict:
    raw = school_store.get_setting(session.conn, KIND_CODES_KEY)
    return {**DEFAULT_KIND_CODES, **(json.loads(raw) if raw else {})}


def set_number_pattern(session: Session, pattern: str, codes: dict | None = None) -> dict:
    validate_pattern(pattern)
    unknown = set(codes or {}) - set(CERT_KINDS)
    if unknown:
        raise Refused([Finding("cert_unknown_kind", tr("cert.unknown_kind", kind=", ".join(sorted(unknown)),
                                                       choices=", ".join(CERT_KINDS)), field=tr("cert.field.kind"))])
    with session.transaction() as conn:
        old = school_store.get_setting(conn, PATTERN_KEY) or DEFAULT_PATTERN
        school_store.set_setting(conn, PATTERN_KEY, pattern)
        if codes:
            school_store.set_setting(conn, KIND_CODES_KEY,
                                     json.dumps({**kind_codes(session), **codes}, ensure_ascii=False))
        q.insert_history(conn, [{"entity": "school", "action": "edit", "field": PATTERN_KEY, "old_value": old,
                                 "new_value": pattern, "changed_by": session.user}])
    return {"pattern": pattern, "kind_codes": kind_codes(session)}


def _allocate(session: Session, conn, kind: str, year: int) -> tuple[str, int]:
    pattern = number_pattern(session)
    validate_pattern(pattern)
    code = kind_codes(session).get(kind, "")
    school_code = (session.school or {}).get("code", "")
    while True:  # a number taken under another pattern is skipped, never given twice
        seq = cq.take_serial(conn, kind, year)
        number = format_number(pattern, year=year, school_code=school_code, kind_code=code, seq=seq)
        if not cq.number_exists(conn, number):
            return number, seq


# ------------------------------------------------------------------ rules
def _student(conn, student_id: int) -> tuple[dict, dict | None]:
    s = q.get_student(conn, student_id)
    if s is None:
        raise NotFound(tr("student.not_found_id", ref=student_id))
    k = school_store.get_class(conn, s["class_id"]) if s.get("class_id") else None
    if k:
        k = dict(k, display_name=display_name(k))
    return s, k


def _evaluate(session: Session, conn, event: str, student: dict, klass, *, number: str = "", cert=None):
    record = dict(student, _cert_number=number, _cert=cert)
    ctx = RuleContext(event, record=record, klass=klass, school=session.school, lookup=_Lookup(conn),
                      student_id=student["id"])
    return evaluate(session.profile, ctx)


def _decide(findings: list[Finding], override: CertOverride | None):
    return triage(findings, lambda f: override.missing() if override is not None else None,
                  tr("cert.override_needed"))


def _snapshot(session: Session, s: dict, k) -> dict:
    return {"name": s["name"], "gender": s["gender"], "birth_date": s["birth_date"], "id_number": s["id_number"],
            "xueji_no": s["xueji_no"], "class": k["display_name"] if k else "",
            "school": (session.school or {}).get("name", "")}


def _history(conn, session: Session, cert: dict, action: str, *, old: str = "", new: str = "", reason: str = "",
             evidence: str = "") -> None:
    q.insert_history(conn, [{"student_id": cert["student_id"], "entity": "certificate", "entity_id": cert["id"],
                             "action": action, "field": kind_name(cert["kind"]), "old_value": old,
                             "new_value": new or cert["number"], "changed_by": session.user, "reason": reason,
                             "evidence_ref": evidence}])


def _finding_rows(session: Session, student_id: int, warnings, overridden, override) -> list[dict]:
    rows = [{"student_id": student_id, "rule_id": f.rule, "article": f.article, "outcome": f.outcome,
             "message": f.message, "decided_by": session.user} for f in warnings]
    rows += [{"student_id": student_id, "rule_id": f.rule, "article": f.article, "outcome": f.outcome,
              "message": f.message, "decided_by": session.user, "override_reason": override.reason,
              "approved_by": override.approved_by} for f in overridden]
    return rows


# ------------------------------------------------------------------ actions
def issue_in_transaction(session: Session, conn, kind: str, student_id: int, *, override: CertOverride | None = None,
                         number: str | None = None, issue_date: _dt.date | None = None, original_number: str = "",
                         replaces_id: int | None = None) -> IssueResult:
    """Issue one certificate inside the caller's transaction (the print path issues many in one)."""
    _check_kind(kind)
    student, klass = _student(conn, student_id)
    number = (number or "").strip()
    findings = _evaluate(session, conn, f"cert.{kind}", student, klass, number=number)
    refusing, warnings, notes, overridden = _decide(findings, override)
    if number and cq.number_exists(conn, number):
        refusing.append(Finding("cert_number_taken", tr("cert.number_taken", number=number),
                                field=tr("cert.field.number")))
    if refusing:
        raise Refused(refusing)
    issue_date = issue_date or _dt.date.today()
    year = issue_date.year
    if kind == EDUCATION_KIND and not original_number:  # 原毕业证书号码: the diploma this school registered
        diplomas = [c for c in cq.certificates(conn, student_id=student_id, kind="diploma") if not c["voided_at"]]
        original_number = diplomas[-1]["number"] if diplomas else ""
    if number:
        seq = None
    else:
        number, seq = _allocate(session, conn, kind, year)
    needs_stamp = any(f.code == "needs_stamp" for f in notes)
    cid = cq.insert_certificate(conn, {
        "number": number, "kind": kind, "student_id": student_id, "year": year, "seq": seq,
        "issue_date": issue_date.isoformat(), "issued_by": session.user, "replaces_id": replaces_id,
        "original_number": original_number, "snapshot": _snapshot(session, student, klass),
        "override_reason": override.reason if (override and overridden) else "",
        "approved_by": override.approved_by if (override and overridden) else ""})
    cq.insert_event(conn, cid, "issue", session.user,
                    reason=override.reason if (override and overridden) else "",
                    approved_by=override.approved_by if (override and overridden) else "",
                    details={"needs_stamp": needs_stamp, "rules": [f.rule for f in overridden + warnings]})
    cert = {"id": cid, "student_id": student_id, "kind": kind, "number": number}
    _history(conn, session, cert, "cert-issue", reason=override.reason if (override and overridden) else "")
    q.insert_findings(conn, _finding_rows(session, student_id, warnings, overridden, override))
    return IssueResult(cid, number, kind, student_id, STATE_AWAITING if needs_stamp else STATE_VALID,
                       warnings, notes, overridden)


def issue(session: Session, kind: str, student_ref, *, override: CertOverride | None = None, number: str | None = None,
          issue_date: _dt.date | None = None, original_number: str = "") -> IssueResult:
    """Issue a certificate of ``kind`` to a student (database id, ID number or 学籍号) with the next serial
    (or the authority's ``number``). Refused (nothing written) when a rule says no."""
    sid = resolve(session, student_ref)
    with session.transaction() as conn:
        replaces = _last_voided(conn, sid, kind)
        return issue_in_transaction(session, conn, kind, sid, override=override, number=number,
                                    issue_date=issue_date, original_number=original_number, replaces_id=replaces)


def _last_voided(conn, student_id: int, kind: str) -> int | None:
    certs = cq.certificates(conn, student_id=student_id, kind=kind)
    if certs and certs[-1]["voided_at"]:
        return certs[-1]["id"]
    return None


def _get(conn, number: str) -> dict:
    c = cq.get_by_number(conn, str(number).strip())
    if c is None:
        raise NotFound(tr("cert.not_found", number=number))
    return c


def _require_reason(reason: str) -> None:
    if not (reason or "").strip():
        raise Refused([Finding("cert_reason_required", tr("cert.reason_required"), field=tr("cert.field.reason"))])


def _refuse_void(c: dict) -> None:
    if c["voided_at"]:
        raise Refused([Finding("cert_voided", tr("cert.already_void", number=c["number"], at=c["voided_at"],
                                                 reason=c["void_reason"]), field=tr("cert.field.number"))])


def void(session: Session, number: str, reason: str) -> dict:
    """Void a certificate (a spoiled pre-printed form, a mistake): it stays in the register with the reason;
    the student may then be issued a new certificate, which gets a new number."""
    _require_reason(reason)
    with session.transaction() as conn:
        c = _get(conn, number)
        _refuse_void(c)
        cq.insert_event(conn, c["id"], "void", session.user, reason=reason.strip())
        _history(conn, session, c, "cert-void", old=c["number"], new=tr("cert.state.void"), reason=reason.strip())
    return describe(session, number)


def reprint_in_transaction(session: Session, conn, number: str, reason: str, *, details: dict | None = None):
    """Check and record a reprint inside the caller's transaction; returns (certificate, warnings)."""
    _require_reason(reason)
    c = _get(conn, number)
    _refuse_void(c)
    student, klass = _student(conn, c["student_id"])
    refusing, warnings, _, _ = _decide(_evaluate(session, conn, f"cert.{c['kind']}.reprint", student, klass,
                                                 cert=c), None)
    if refusing:
        raise Refused(refusing)
    cq.insert_event(conn, c["id"], "reprint", session.user, reason=reason.strip(), details=details)
    _history(conn, session, c, "cert-reprint", reason=reason.strip())
    q.insert_findings(conn, _finding_rows(session, c["student_id"], warnings, [], None))
    return c, warnings


def reprint(session: Session, number: str, reason: str, *, details: dict | None = None) -> dict:
    """Record a reprint under the same number, with why (checked by the ``cert.<kind>.reprint`` rules)."""
    _require_reason(reason)
    with session.transaction() as conn:
        _, warnings = reprint_in_transaction(session, conn, number, reason, details=details)
    out = describe(session, number)
    out["warnings"] = [f.as_json() for f in warnings]
    return out


def verify(session: Session, number: str, *, stamped_on: _dt.date | None = None, note: str = "") -> dict:
    """Record the bureau's stamp (验印): an awaiting 学历证明 becomes valid."""
    with session.transaction() as conn:
        c = _get(conn, number)
        _refuse_void(c)
        if c["verified_at"]:
            raise Refused([Finding("cert_already_verified", tr("cert.already_verified", number=c["number"],
                                                              at=c["verified_at"]), field=tr("cert.field.state"))])
        day = (stamped_on or _dt.date.today()).isoformat()
        cq.insert_event(conn, c["id"], "verify", session.user, reason=note, details={"stamped_on": day})
        _history(conn, session, c, "cert-verify", old=tr("cert.state.awaiting_stamp") if c["needs_stamp"] else "",
                 new=tr("cert.state.verified", day=day), reason=note)
    return describe(session, number)


# ------------------------------------------------------------------ reading
def state_of(c: dict) -> str:
    if c.get("voided_at"):
        return STATE_VOID
    if c.get("needs_stamp") and not c.get("verified_at"):
        return STATE_AWAITING
    return STATE_VALID


STATE_NAMES = Names({STATE_VALID: "cert.state.valid", STATE_AWAITING: "cert.state.awaiting_stamp",
                     STATE_VOID: "cert.state.void"})


def state_name(state: str) -> str:
    return STATE_NAMES[state]


def _public(c: dict) -> dict:
    state = state_of(c)
    return {"id": c["id"], "number": c["number"], "kind": c["kind"], "kind_name": kind_name(c["kind"]),
            "student_id": c["student_id"], "student_name": c["student_name"], "xueji_no": c["student_xueji_no"],
            "issue_date": c["issue_date"], "issued_at": c["issued_at"], "issued_by": c["issued_by"],
            "state": state, "state_name": state_name(state), "voided_at": c["voided_at"] or None,
            "void_reason": c["void_reason"] or "", "verified_at": c["verified_at"] or None,
            "reprints": c["reprints"], "prints": c["prints"], "year": c["year"], "seq": c["seq"],
            "original_number": c["original_number"], "replaces_id": c["replaces_id"],
            "override_reason": c["override_reason"], "approved_by": c["approved_by"]}


def describe(session: Session, number: str) -> dict:
    return _public(_get(session.conn, number))


def list_certificates(session: Session, student_ref=None, *, kind: str | None = None) -> list[dict]:
    sid = None
    if student_ref not in (None, ""):
        sid = resolve(session, student_ref)
    return [_public(c) for c in cq.certificates(session.conn, student_id=sid, kind=kind)]


def current_certificate(conn, student_id: int, kind: str) -> dict | None:
    """The student's latest certificate of ``kind`` that is not voided."""
    valid = [c for c in cq.certificates(conn, student_id=student_id, kind=kind) if not c["voided_at"]]
    return valid[-1] if valid else None


def register(session: Session, *, school_year: int | None = None) -> list[dict]:
    """The issuance register: every issue, print, reprint, void and verification, oldest first
    (``school_year`` Y: from 1 August Y to 31 July Y+1)."""
    since = until = None
    if school_year:
        since, until = f"{school_year}-08-01", f"{school_year + 1}-08-01"
    out = []
    for e in cq.events(session.conn, since=since, until=until):
        out.append({"at": e["at"], "action": e["action"], "action_name": ACTION_NAMES[e["action"]],
                    "number": e["number"], "kind": e["kind"], "kind_name": kind_name(e["kind"]),
                    "student_id": e["student_id"], "student_name": e["student_name"],
                    "xueji_no": e["student_xueji_no"], "issue_date": e["issue_date"], "by": e["by"],
                    "reason": e["reason"], "approved_by": e["approved_by"], "details": e["details"]})
    return out


def numbers_for(session: Session, conn, kind: str, student_ids: list[int], *, issue_date: _dt.date | None = None,
                override: CertOverride | None = None, progress=None) -> tuple[dict[int, str], list[IssueResult]]:
    """Inside the caller's transaction: each student's current certificate number of ``kind``, issuing one
    (next serial) where none exists. All refusals of the batch are raised together, nothing written."""
    numbers, issued, refusals = {}, [], []
    for i, sid in enumerate(student_ids):
        cur = current_certificate(conn, sid, kind)
        if cur is not None:
            numbers[sid] = cur["number"]
        else:
            try:
                r = issue_in_transaction(session, conn, kind, sid, override=override, issue_date=issue_date)
            except Refused as e:
                refusals.extend(e.findings)
                continue
            numbers[sid] = r.number
            issued.append(r)
        if progress:
            progress(i + 1, len(student_ids))
    if refusals:
        raise Refused(refusals)
    return numbers, issued


def record_prints(session: Session, conn, kind: str, numbers: dict[int, str], details: dict | None = None) -> None:
    ids = cq.ids_by_numbers(conn, list(numbers.values()))
    cq.insert_events(conn, [(ids[n], "print", session.user, details or {}) for n in numbers.values()])


def eligible(session: Session, kind: str, student_id: int) -> list[Finding]:
    """The refusals an issue of ``kind`` to this student would meet (nothing written)."""
    conn = session.conn
    student, klass = _student(conn, student_id)
    refusing, _, _, _ = _decide(_evaluate(session, conn, f"cert.{kind}", student, klass), None)
    return refusing


def status_name(code: str) -> str:
    return st.name(code)
