"""Classes: stage, grade 1–12, class number, entry year, the national 班号, head teacher, capacity."""
from __future__ import annotations

import datetime as _dt
import re

from app import status
from app.errors import BLOCK, BLOCK_STAR, EVIDENCE, INVALID, Finding, NotFound, Refused
from app.rules.engine import RuleContext, evaluate
from app.school_service import STAGE_NAMES
from app.session import Session
from db import queries as q

GRADE_NAMES = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级",
               7: "七年级", 8: "八年级", 9: "九年级", 10: "高一", 11: "高二", 12: "高三"}


def grade_name(grade: int) -> str:
    return GRADE_NAMES.get(int(grade), f"{grade}年级")


def display_name(k: dict) -> str:
    if k.get("name"):
        return k["name"]
    return f"{grade_name(k['grade'])}（{k['number']}）班"


def _int(v, label: str, findings: list[Finding], low: int, high: int) -> int | None:
    try:
        i = int(str(v).strip())
    except (TypeError, ValueError):
        findings.append(Finding("bad_number", f"{label}应为整数，收到「{v}」", field=label))
        return None
    if not low <= i <= high:
        findings.append(Finding("out_of_range", f"{label}应在 {low}–{high} 之间，收到 {i}", field=label))
        return None
    return i


def add_class(session: Session, *, stage: str, grade, number, entry_year, code: str | None = None,
              capacity=None, head_teacher: str = "", name: str = "") -> int:
    findings: list[Finding] = []
    school = session.school
    if school is None:
        raise Refused([Finding("no_school", "档案库还没有学校信息：请先建立学校（xueji init）")])
    stage = {v: k for k, v in STAGE_NAMES.items()}.get(stage, stage)
    if stage not in STAGE_NAMES:
        findings.append(Finding("bad_stage", f"未知学段「{stage}」（primary/junior/senior）", field="学段"))
    elif stage not in school["stages"].split(","):
        findings.append(Finding("stage_not_offered",
                                f"本校没有{STAGE_NAMES[stage]}学段（本校学段：{'、'.join(STAGE_NAMES[s] for s in school['stages'].split(','))}）",
                                field="学段"))
    g = _int(grade, "年级", findings, 1, 12)
    n = _int(number, "班级序号", findings, 1, 99)
    y = _int(entry_year, "入学年份", findings, 1990, _dt.date.today().year + 1)
    cap = _int(capacity, "班级容量", findings, 1, 200) if capacity not in (None, "") else None
    code = (code or "").strip()
    if code and not re.fullmatch(r"[0-9A-Za-z]{1,20}", code):
        findings.append(Finding("bad_class_code", f"班号只能由数字和字母组成，收到「{code}」", field="班号"))
    if findings:
        raise Refused(findings)
    values = {"stage": stage, "grade": g, "number": n, "entry_year": y, "code": code or None,
              "capacity": cap, "head_teacher": head_teacher.strip(), "name": name.strip()}
    rule_findings = evaluate(session.profile, RuleContext("class.create", record={}, klass=values, school=school))
    refusing = [f for f in rule_findings if f.outcome in (BLOCK, BLOCK_STAR, EVIDENCE, INVALID)]
    if code and q.class_by_code(session.conn, code):
        refusing.append(Finding("duplicate_class_code", f"班号 {code} 已被另一个班使用", field="班号"))
    if q.class_by_slot(session.conn, y, stage, g, n):
        refusing.append(Finding("duplicate_class", f"{y} 级{STAGE_NAMES[stage]}{grade_name(g)}（{n}）班已存在", field="班级"))
    if refusing:
        raise Refused(refusing)
    with session.transaction() as conn:
        cid = q.insert_class(conn, values)
        q.insert_history(conn, [{"entity": "class", "entity_id": cid, "action": "create", "field": "班级",
                                 "new_value": f"{display_name(values)} 班号 {code or '（无）'}",
                                 "changed_by": session.user}])
    return cid


def update_class(session: Session, class_id: int, values: dict) -> dict:
    k = get_class(session, class_id)
    allowed = {"head_teacher", "capacity", "code", "name", "status"}
    bad = [x for x in values if x not in allowed]
    if bad:
        raise Refused([Finding("not_editable", f"班级没有可修改的字段「{x}」", field=x) for x in bad])
    changed = {x: v for x, v in values.items() if str(k.get(x) or "") != str(v or "")}
    if "code" in changed and changed["code"] and q.class_by_code(session.conn, changed["code"]):
        raise Refused([Finding("duplicate_class_code", f"班号 {changed['code']} 已被另一个班使用", field="班号")])
    with session.transaction() as conn:
        q.update_class(conn, class_id, changed)
        q.insert_history(conn, [{"entity": "class", "entity_id": class_id, "action": "edit", "field": x,
                                 "old_value": str(k.get(x) or ""), "new_value": str(v or ""),
                                 "changed_by": session.user} for x, v in changed.items()])
    return get_class(session, class_id)


def get_class(session: Session, class_id: int) -> dict:
    k = q.get_class(session.conn, int(class_id))
    if k is None:
        raise NotFound(f"没有编号为 {class_id} 的班级")
    k["display_name"] = display_name(k)
    k["stage_name"] = STAGE_NAMES[k["stage"]]
    return k


def class_by_code(session: Session, code: str) -> dict | None:
    k = q.class_by_code(session.conn, code)
    if k:
        k["display_name"] = display_name(k)
    return k


def list_classes(session: Session) -> list[dict]:
    out = []
    for k in q.list_classes(session.conn, status.in_class_codes()):
        k["display_name"] = display_name(k)
        k["stage_name"] = STAGE_NAMES[k["stage"]]
        k["grade_name"] = grade_name(k["grade"])
        out.append(k)
    return out
