"""The school: creating an archive for it (first run / ``xueji init``) and editing its details."""
from __future__ import annotations

import re
from pathlib import Path

from app.students import fields as F
from app.core.errors import INVALID, Finding, Refused
from app.core.i18n import Names, tr
from app.core.textnorm import clean
from app.rules.engine import available_profiles, load_profile
from app.core.session import Session
from app.school import store as school_store
from app.students import store as q

STAGES = ("primary", "junior", "senior")
STAGE_NAMES = Names({"primary": "school.stage.primary", "junior": "school.stage.junior",
                     "senior": "school.stage.senior"})
# Separators accepted between stages ("primary,junior", "小学、初中"): input grammar, not UI text.
_STAGE_SPLIT = re.compile(r"[,，、\s]+")
EDITABLE = ("name", "address", "principal", "registrar", "phone", "registrar_phone", "division_code", "profile")


def parse_stages(stages) -> list[str]:
    if isinstance(stages, str):
        stages = [s for s in _STAGE_SPLIT.split(stages) if s]
    out = []
    for s in stages:
        key = {v: k for k, v in STAGE_NAMES.items()}.get(s, s)
        if key not in STAGES:
            raise Refused([Finding("bad_stage", tr("school.bad_stage", stage=s), field=tr("label.stage"))])
        if key not in out:
            out.append(key)
    if not out:
        raise Refused([Finding("required", tr("school.no_stage"), field=tr("label.stage"))])
    return sorted(out, key=STAGES.index)


def check_values(values: dict) -> list[Finding]:
    """The school's own fields checked: a name, a 10-digit school code, a known rules profile."""
    f = []
    if not (values.get("name") or "").strip():
        f.append(Finding("required", tr("school.name_required"), field=tr("label.school_name")))
    code = values.get("code", "")
    if not re.fullmatch(r"[0-9]{10}", code or ""):
        f.append(Finding("bad_school_code", tr("school.bad_code", code=code), field=F.by_key()["school_code"].header))
    if values.get("profile") and values["profile"] not in available_profiles():
        f.append(Finding("bad_profile", tr("school.bad_profile", profile=values["profile"],
                                           choices=", ".join(available_profiles())), field=tr("label.profile")))
    return f


def init_school(folder: str | Path, *, name: str, code: str, stages, profile: str = "national",
                user: str | None = None, **extra) -> Session:
    """Create the archive in ``folder`` with its school. Refuses an archive that already has one."""
    values = {"name": (name or "").strip(), "code": clean(code or ""), "profile": profile}
    findings = check_values(values)
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
        notes.append(tr("school.profile_partial", profile=prof.name,
                        stages=tr("common.list_sep").join(STAGE_NAMES[s] for s in prof.stages)))
    session = Session.open(folder, create=True, user=user)
    try:
        if session.school is not None:
            raise Refused([Finding("already_initialised",
                                   tr("school.already_initialised", folder=session.folder,
                                      school=session.school["name"]),
                                   field=tr("label.archive"))])
        with session.transaction() as conn:
            school_store.insert_school(conn, dict(values, stages=",".join(st),
                                       **{k: str(v) for k, v in extra.items() if k in EDITABLE and v is not None}))
            q.insert_history(conn, [{"entity": "school", "entity_id": 1, "action": "create", "field": tr("label.school"),
                                     "new_value": tr("school.history_created", name=values["name"], code=values["code"]),
                                     "changed_by": session.user}])
        session.reload()
        session.notes = notes
        return session
    except BaseException:
        session.close()
        raise


def update_school(session: Session, values: dict) -> dict:
    bad = [k for k in values if k not in EDITABLE]
    if bad:
        raise Refused([Finding("not_editable", tr("school.not_editable", key=k), field=k) for k in bad])
    old = session.school
    merged = dict(old, **values)
    findings = [f for f in check_values(merged) if f.outcome == INVALID]
    if findings:
        raise Refused(findings)
    changed = {k: v for k, v in values.items() if str(old.get(k, "")) != str(v)}
    with session.transaction() as conn:
        if changed:
            school_store.update_school(conn, changed)
            q.insert_history(conn, [{"entity": "school", "entity_id": 1, "action": "edit", "field": k,
                                     "old_value": str(old.get(k, "")), "new_value": str(v),
                                     "changed_by": session.user} for k, v in changed.items()])
    session.reload()
    return session.school
