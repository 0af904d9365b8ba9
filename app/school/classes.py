"""Classes: stage, grade 1–12, class number, entry year, the national 班号, head teacher, capacity."""
from __future__ import annotations

import datetime as _dt
import re

from app.students import fields as F
from app.students import status
from app.core.errors import BLOCK, BLOCK_STAR, EVIDENCE, INVALID, WARN, Finding, NotFound, Refused
from app.core.i18n import Names, tr
from app.rules.engine import RuleContext, evaluate
from app.school.service import STAGE_NAMES
from app.core.session import Session
from app.school import store as school_store
from app.students import store as q

GRADE_NAMES = Names({1: "class.grade.1", 2: "class.grade.2", 3: "class.grade.3", 4: "class.grade.4",
                     5: "class.grade.5", 6: "class.grade.6", 7: "class.grade.7", 8: "class.grade.8",
                     9: "class.grade.9", 10: "class.grade.10", 11: "class.grade.11", 12: "class.grade.12"})


def grade_name(grade: int) -> str:
    g = int(grade)
    return GRADE_NAMES[g] if g in GRADE_NAMES else tr("class.grade_n", grade=grade)


def display_name(k: dict) -> str:
    if k.get("name"):
        return k["name"]
    return tr("class.display_name", grade=grade_name(k["grade"]), number=k["number"])


def _class_header() -> str:
    return F.by_key()["class_code"].header


def _int(v, label: str, findings: list[Finding], low: int, high: int) -> int | None:
    try:
        i = int(str(v).strip())
    except (TypeError, ValueError):
        findings.append(Finding("bad_number", tr("class.not_integer", label=label, value=v), field=label))
        return None
    if not low <= i <= high:
        findings.append(Finding("out_of_range", tr("class.out_of_range", label=label, low=low, high=high, value=i),
                                field=label))
        return None
    return i


def add_class(session: Session, *, stage: str, grade, number, entry_year, code: str | None = None,
              capacity=None, head_teacher: str = "", name: str = "", warnings: list | None = None) -> int:
    """Create a class; returns its id. WARN findings (e.g. a grade that does not fit the entry year)
    are appended to ``warnings`` when a list is given."""
    findings: list[Finding] = []
    school = session.school
    if school is None:
        raise Refused([Finding("no_school", tr("school.missing"))])
    stage = {v: k for k, v in STAGE_NAMES.items()}.get(stage, stage)
    if stage not in STAGE_NAMES:
        findings.append(Finding("bad_stage", tr("class.bad_stage", stage=stage), field=tr("label.stage")))
    elif stage not in school["stages"].split(","):
        offered = tr("common.list_sep").join(STAGE_NAMES[s] for s in school["stages"].split(","))
        findings.append(Finding("stage_not_offered", tr("class.stage_not_offered", stage=STAGE_NAMES[stage],
                                                        stages=offered), field=tr("label.stage")))
    g = _int(grade, tr("label.grade"), findings, 1, 12)
    n = _int(number, tr("label.class_number"), findings, 1, 99)
    y = _int(entry_year, tr("label.entry_year"), findings, 1990, _dt.date.today().year + 1)
    cap = _int(capacity, tr("label.capacity"), findings, 1, 200) if capacity not in (None, "") else None
    code = (code or "").strip()
    if code and not re.fullmatch(r"[0-9A-Za-z]{1,20}", code):
        findings.append(Finding("bad_class_code", tr("class.bad_code", code=code), field=_class_header()))
    if findings:
        raise Refused(findings)
    values = {"stage": stage, "grade": g, "number": n, "entry_year": y, "code": code or None,
              "capacity": cap, "head_teacher": head_teacher.strip(), "name": name.strip()}
    rule_findings = evaluate(session.profile, RuleContext("class.create", record={}, klass=values, school=school))
    refusing = [f for f in rule_findings if f.outcome in (BLOCK, BLOCK_STAR, EVIDENCE, INVALID)]
    if code and school_store.class_by_code(session.conn, code):
        refusing.append(Finding("duplicate_class_code", tr("class.duplicate_code", code=code), field=_class_header()))
    if school_store.class_by_slot(session.conn, y, stage, g, n):
        refusing.append(Finding("duplicate_class", tr("class.duplicate", year=y, stage=STAGE_NAMES[stage],
                                                      grade=grade_name(g), number=n), field=tr("label.class")))
    if refusing:
        raise Refused(refusing)
    if warnings is not None:
        warnings.extend(f for f in rule_findings if f.outcome == WARN)
    with session.transaction() as conn:
        cid = school_store.insert_class(conn, values)
        q.insert_history(conn, [{"entity": "class", "entity_id": cid, "action": "create", "field": tr("label.class"),
                                 "new_value": tr("class.history_created", name=display_name(values),
                                                 code=code or tr("label.none")),
                                 "changed_by": session.user}])
    return cid


def update_class(session: Session, class_id: int, values: dict) -> dict:
    k = get_class(session, class_id)
    allowed = {"head_teacher", "capacity", "code", "name", "status"}
    bad = [x for x in values if x not in allowed]
    if bad:
        raise Refused([Finding("not_editable", tr("class.not_editable", key=x), field=x) for x in bad])
    changed = {x: v for x, v in values.items() if str(k.get(x) or "") != str(v or "")}
    if "code" in changed and changed["code"] and school_store.class_by_code(session.conn, changed["code"]):
        raise Refused([Finding("duplicate_class_code", tr("class.duplicate_code", code=changed["code"]),
                               field=_class_header())])
    with session.transaction() as conn:
        school_store.update_class(conn, class_id, changed)
        q.insert_history(conn, [{"entity": "class", "entity_id": class_id, "action": "edit", "field": x,
                                 "old_value": str(k.get(x) or ""), "new_value": str(v or ""),
                                 "changed_by": session.user} for x, v in changed.items()])
    return get_class(session, class_id)


def get_class(session: Session, class_id: int) -> dict:
    k = school_store.get_class(session.conn, int(class_id))
    if k is None:
        raise NotFound(tr("class.not_found", id=class_id))
    k["display_name"] = display_name(k)
    k["stage_name"] = STAGE_NAMES[k["stage"]]
    return k


def class_by_code(session: Session, code: str) -> dict | None:
    k = school_store.class_by_code(session.conn, code)
    if k:
        k["display_name"] = display_name(k)
    return k


def list_classes(session: Session) -> list[dict]:
    """Every class (a head teacher's account: only their own)."""
    out = []
    scope = session.class_scope
    for k in school_store.list_classes(session.conn, status.in_class_codes()):
        if scope is not None and k["id"] not in scope:
            continue
        k["display_name"] = display_name(k)
        k["stage_name"] = STAGE_NAMES[k["stage"]]
        k["grade_name"] = grade_name(k["grade"])
        out.append(k)
    return out
