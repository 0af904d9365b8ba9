"""Field-level validation of a student record (format, codes, ID number ↔ birth date and gender).

Regulations are not checked here (app/rules does that); this module says whether each value is
well-formed, normalises it, and fills the birth date and gender from the ID number.
"""
from __future__ import annotations

import datetime as _dt
import math
import re

from app.students import codes
from app.students import fields as F
from app.core.errors import INVALID, Finding
from app.core.i18n import tr
from app.students.idcard import IdError, normalize_id, parse_id
from app.students.names import name_problem, normalize_name, pinyin_of
from app.core.textnorm import clean, parse_date8, parse_ym6, to_date
from app.students.xjh import XjhError, parse_xjh

RESIDENT_ID_TYPES = {"1", "C"}          # 居民身份证, 港澳台居民居住证: GB 11643 numbers
FOREIGN_ID_TYPES = {"9"}                # 外国人永久居留身份证
STUDENT_ID_TYPES = set(codes.table("id_type").get("student_allowed", []))


def _bad(key: str, code: str, message: str, member: int = 0) -> Finding:
    if member:
        header = F.member_header(member, key)
    else:
        header = F.by_key()[key].header if key in F.by_key() else key
    return Finding(code=code, message=message, field=header, outcome=INVALID)


def _check_code(rec: dict, fd, findings: list[Finding], member: int = 0) -> None:
    v = clean(rec.get(fd.key, ""))
    if not v:
        rec[fd.key] = ""
        return
    c = codes.code_of(fd.table, v)
    if c is None:
        names = tr("common.list_sep").join(n for _, n in codes.choices(fd.table)[:12])
        findings.append(_bad(fd.key, "unknown_code", tr("val.unknown_code", value=v, title=codes.table(fd.table)["title"],
                                                        choices=names), member))
    else:
        rec[fd.key] = c


def _check_simple(rec: dict, fd, findings: list[Finding], member: int = 0) -> None:
    k = fd.key
    v = clean(rec.get(k, ""))
    if fd.kind in ("name", "name_opt"):
        v = normalize_name(v)
        if v:
            p = name_problem(v)
            if p:
                findings.append(_bad(k, "bad_name", p, member))
    elif fd.kind == "date8":
        d = parse_date8(v)
        if d is None:
            findings.append(_bad(k, "bad_date", tr("val.bad_date", value=v), member))
        else:
            v = d
            dd = to_date(d)
            if dd and (dd > _dt.date.today() or dd.year < 1900):
                findings.append(_bad(k, "bad_date", tr("val.date_out_of_range", date=d), member))
    elif fd.kind == "ym6":
        d = parse_ym6(v)
        if d is None:
            findings.append(_bad(k, "bad_month", tr("val.bad_month", value=v), member))
        else:
            v = d
    elif fd.kind == "division12":
        if v and not re.fullmatch(r"\d{6}(\d{6})?", v):
            findings.append(_bad(k, "bad_division", tr("val.bad_division", value=v), member))
        elif len(v) == 6:
            v = v + "000000"
    elif fd.kind == "phone":
        if v and not re.fullmatch(r"[0-9+\-() ]{5,20}", v):
            findings.append(_bad(k, "bad_phone", tr("val.bad_phone", value=v), member))
    elif fd.kind == "postcode":
        if v and not re.fullmatch(r"\d{6}", v):
            findings.append(_bad(k, "bad_postcode", tr("val.bad_postcode", value=v), member))
    elif fd.kind == "number":
        if v:
            try:
                if not math.isfinite(float(v)) or float(v) < 0:
                    raise ValueError
            except ValueError:
                findings.append(_bad(k, "bad_number", tr("val.bad_number", value=v), member))
    rec[k] = v


def _type_for(info) -> str:
    """The 身份证件类型 a number of this kind belongs to."""
    if info.kind.startswith("foreign"):
        return "9"
    return "C" if info.kind == "hkmotw_permit" else "1"


def _check_student_id(rec: dict, findings: list[Finding]) -> None:
    idn = clean(rec.get("id_number", ""))
    t = rec.get("id_type") or ""
    if t in RESIDENT_ID_TYPES | FOREIGN_ID_TYPES or not t:
        idn = normalize_id(idn)
    if not idn:
        rec["id_number"] = ""
        if t and t not in ("Z",) and t in RESIDENT_ID_TYPES | FOREIGN_ID_TYPES:
            pass  # empty with a document type: GEN.REQUIRED reports it
        return
    if t in RESIDENT_ID_TYPES | FOREIGN_ID_TYPES or (not t and len(idn) == 18):
        try:
            info = parse_id(idn)
        except IdError as e:
            findings.append(_bad("id_number", e.code, e.message))
            rec["id_number"] = idn.upper()
            return
        rec["id_number"] = info.number
        expected = _type_for(info)
        if not t:
            rec["id_type"] = expected
        elif t != expected and not (t == "1" and expected == "C"):
            findings.append(_bad("id_type", "id_type_mismatch",
                                 tr("val.id_type_mismatch", number=info.number,
                                    entered=codes.name_of("id_type", t), expected=codes.name_of("id_type", expected))))
        if info.birth_date:
            derived = info.birth_date.strftime("%Y%m%d")
            entered = rec.get("birth_date") or ""
            if not entered:
                rec["birth_date"] = derived
            elif entered != derived:
                findings.append(_bad("birth_date", "birth_date_mismatch",
                                     tr("val.birth_date_mismatch", entered=entered, number=info.number,
                                        derived=derived)))
        if info.gender and (rec.get("gender") or "") in ("", "1", "2"):
            entered = rec.get("gender") or ""
            if not entered:
                rec["gender"] = info.gender
            elif entered != info.gender:
                findings.append(_bad("gender", "gender_mismatch",
                                     tr("val.gender_mismatch", entered=codes.name_of("gender", entered),
                                        number=info.number, derived=codes.name_of("gender", info.gender))))
    else:
        rec["id_number"] = idn.upper()
        if len(idn) > 30:
            findings.append(_bad("id_number", "id_length", tr("val.id_too_long")))


def validate_student(rec: dict, members: list[dict] | None = None) -> tuple[dict, list[dict], list[Finding]]:
    """Normalise and check one student and their family members. Returns copies and the findings
    (all INVALID: a malformed value is always refused)."""
    rec = {k: v for k, v in rec.items()}
    findings: list[Finding] = []
    for fd in F.student_fields():
        if fd.key in ("school_code", "class_code"):
            continue
        if fd.kind == "code":
            _check_code(rec, fd, findings)
        elif fd.kind in ("idnumber", "xjh"):
            pass
        else:
            _check_simple(rec, fd, findings)
    if rec.get("id_type") and rec["id_type"] not in STUDENT_ID_TYPES:
        findings.append(_bad("id_type", "id_type_not_for_students",
                             tr("val.id_type_not_for_students", name=codes.name_of("id_type", rec["id_type"]))))
    _check_student_id(rec, findings)
    x = clean(rec.get("xueji_no", "")).upper()
    rec["xueji_no"] = x
    if x:
        try:
            parse_xjh(x, id_number=rec.get("id_number") or None, birth_date=to_date(rec.get("birth_date", "")))
        except XjhError as e:
            findings.append(_bad("xueji_no", e.code, e.message))
    if rec.get("name"):
        py, ini = pinyin_of(rec["name"])
        if not rec.get("name_pinyin"):
            rec["name_pinyin"] = py
        rec["_initials"] = ini
        rec["_pinyin_search"] = py
    out_members = []
    for i, m in enumerate(members or [], 1):
        m = dict(m)
        seq = int(m.get("seq") or i)
        m["seq"] = seq
        for fd in F.member_fields():
            if fd.kind == "code":
                _check_code(m, fd, findings, seq)
            elif fd.kind == "idnumber_member":
                t = m.get("id_type") or ""
                idn = clean(m.get("id_number", ""))
                idn = normalize_id(idn) if t in ("", *RESIDENT_ID_TYPES, *FOREIGN_ID_TYPES) else idn.upper()
                m["id_number"] = idn
                if idn and t in ("", *RESIDENT_ID_TYPES, *FOREIGN_ID_TYPES):
                    try:
                        info = parse_id(idn, allow_legacy15=True)
                        m["id_number"] = info.number
                        if not t:
                            m["id_type"] = _type_for(info)
                    except IdError as e:
                        if t or len(idn) in (15, 18):
                            findings.append(_bad("id_number", e.code, e.message, seq))
                        # no type and not shaped like an ID number: a passport or other document
            else:
                _check_simple(m, fd, findings, seq)
        if any(str(m.get(fd.key, "")).strip() for fd in F.member_fields()):
            out_members.append(m)
    return rec, out_members, findings
