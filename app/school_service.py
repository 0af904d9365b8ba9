"""The school: creating an archive for it (first run / ``xueji init``) and editing its details."""
from __future__ import annotations

import re
from pathlib import Path

from app.errors import INVALID, Finding, Refused
from app.rules.engine import ProfileError, available_profiles, load_profile
from app.session import Session
from db import queries as q

STAGES = ("primary", "junior", "senior")
STAGE_NAMES = {"primary": "小学", "junior": "初中", "senior": "高中"}
EDITABLE = ("name", "address", "principal", "registrar", "phone", "registrar_phone", "division_code", "profile")


def parse_stages(stages) -> list[str]:
    if isinstance(stages, str):
        stages = [s for s in re.split(r"[,，、\s]+", stages) if s]
    out = []
    for s in stages:
        key = {v: k for k, v in STAGE_NAMES.items()}.get(s, s)
        if key not in STAGES:
            raise Refused([Finding("bad_stage", f"未知学段「{s}」（可选：primary 小学、junior 初中、senior 高中）",
                                   field="学段")])
        if key not in out:
            out.append(key)
    if not out:
        raise Refused([Finding("required", "至少选择一个学段", field="学段")])
    return sorted(out, key=STAGES.index)


def _check(values: dict) -> list[Finding]:
    f = []
    if not (values.get("name") or "").strip():
        f.append(Finding("required", "学校名称不能为空", field="学校名称"))
    code = values.get("code", "")
    if not re.fullmatch(r"\d{10}", code or ""):
        f.append(Finding("bad_school_code", f"学校标识码应为 10 位数字，收到「{code}」", field="学校标识码"))
    if values.get("profile") and values["profile"] not in available_profiles():
        f.append(Finding("bad_profile", f"没有规则配置「{values['profile']}」（可选：{', '.join(available_profiles())}）",
                         field="规则配置"))
    return f


def init_school(folder: str | Path, *, name: str, code: str, stages, profile: str = "national",
                user: str | None = None, **extra) -> Session:
    """Create the archive in ``folder`` with its school. Refuses an archive that already has one."""
    values = {"name": (name or "").strip(), "code": (code or "").strip(), "profile": profile}
    findings = _check(values)
    try:
        st = parse_stages(stages)
    except Refused as e:
        findings += e.findings
        st = []
    if findings:
        raise Refused(findings)
    prof = load_profile(profile)
    notes = []
    if prof.stages and any(s not in prof.stages for s in st):
        notes.append(f"{prof.name}只覆盖{'、'.join(STAGE_NAMES[s] for s in prof.stages)}；其他学段按国家基线执行")
    session = Session.open(folder, create=True, user=user)
    try:
        if session.school is not None:
            raise Refused([Finding("already_initialised",
                                   f"{session.folder} 已经是「{session.school['name']}」的档案库，不能重复建立",
                                   field="档案库")])
        with session.transaction() as conn:
            q.insert_school(conn, dict(values, stages=",".join(st),
                                       **{k: str(v) for k, v in extra.items() if k in EDITABLE and v is not None}))
            q.insert_history(conn, [{"entity": "school", "entity_id": 1, "action": "create", "field": "学校",
                                     "new_value": f"{values['name']}（{values['code']}）", "changed_by": session.user}])
        session.reload()
        session.notes = notes
        return session
    except BaseException:
        session.close()
        raise


def update_school(session: Session, values: dict) -> dict:
    bad = [k for k in values if k not in EDITABLE]
    if bad:
        raise Refused([Finding("not_editable", f"学校信息没有可修改的字段「{k}」", field=k) for k in bad])
    old = session.school
    merged = dict(old, **values)
    findings = [f for f in _check(merged) if f.outcome == INVALID]
    if findings:
        raise Refused(findings)
    changed = {k: v for k, v in values.items() if str(old.get(k, "")) != str(v)}
    with session.transaction() as conn:
        if changed:
            q.update_school(conn, changed)
            q.insert_history(conn, [{"entity": "school", "entity_id": 1, "action": "edit", "field": k,
                                     "old_value": str(old.get(k, "")), "new_value": str(v),
                                     "changed_by": session.user} for k, v in changed.items()])
    session.reload()
    return session.school
