"""The general checks that rule profiles name in their ``check`` key.

Each check takes the RuleContext and the rule's ``params`` and returns a list of hits: dicts whose
keys fill the rule's message template (``_field`` names the field, ``_code`` a machine code).
A check never decides the outcome: the profile does.
"""
from __future__ import annotations

import datetime as _dt

from app.students import fields as F
from app.core.i18n import Names, tr

STAGE_NAMES = Names({"primary": "school.stage.primary", "junior": "school.stage.junior",
                     "senior": "school.stage.senior"})


def _header(key: str) -> str:
    f = F.by_key().get(key)
    return f.header if f else key


def _date(s: str) -> _dt.date | None:
    try:
        return _dt.datetime.strptime(s, "%Y%m%d").date()
    except (TypeError, ValueError):
        return None


def _others(rows):
    for o in rows:
        yield {"other_name": o["name"], "other_class": o["class_name"] or tr("rules.unplaced"),
               "other_status": o["status_name"], "other_id": o["id"]}


def required_fields(ctx, params):
    level = params.get("level", "block")
    rec = ctx.record
    no_id = rec.get("id_type") == "Z"
    hits = []
    for f in F.student_fields():
        if f.required != level or f.key in ("school_code", "class_code"):
            continue
        if f.key == "id_number" and (no_id or not rec.get("id_type")):
            continue  # type 其他: the NOID rules decide; no type at all: 身份证件类型 is reported instead
        if not str(rec.get(f.key, "") or "").strip():
            hits.append({"field": f.header, "_field": f.header, "_code": "required"})
    if level == "warn":
        named = [m for m in ctx.members if (m.get("name") or "").strip()]
        if len(named) < F.member_count():
            hits.append({"field": tr("rules.members_required", count=F.member_count()), "_field": F.MEMBERS_HEADING,
                         "_code": "required"})
        for i, m in enumerate(named, 1):
            for mf in F.member_fields():
                if mf.required == "warn" and not str(m.get(mf.key, "") or "").strip():
                    h = F.member_header(m.get("seq", i), mf.key)
                    hits.append({"field": h, "_field": h, "_code": "required"})
    return hits


def duplicate_id_number(ctx, params):
    idn = ctx.record.get("id_number")
    if not idn or ctx.lookup is None:
        return []
    if ctx.old is not None and ctx.old.get("id_number") == idn:
        return []  # unchanged: not a new duplicate
    return [dict(o, id_number=idn, _field=_header("id_number"), _code="duplicate_id_number")
            for o in _others(ctx.lookup.students_with("id_number", idn, ctx.student_id))]


def duplicate_xjh(ctx, params):
    x = ctx.record.get("xueji_no")
    if not x or ctx.lookup is None:
        return []
    if ctx.old is not None and ctx.old.get("xueji_no") == x:
        return []
    return [dict(o, xueji_no=x, _field=_header("xueji_no"), _code="duplicate_xjh")
            for o in _others(ctx.lookup.students_with("xueji_no", x, ctx.student_id))]


def duplicate_name_birth(ctx, params):
    r = ctx.record
    if not r.get("name") or not r.get("birth_date") or ctx.lookup is None:
        return []
    if ctx.old is not None and (ctx.old.get("name"), ctx.old.get("birth_date")) == (r["name"], r["birth_date"]):
        return []
    rows = [o for o in ctx.lookup.students_with_name_birth(r["name"], r["birth_date"], ctx.student_id)
            if not (r.get("id_number") and o.get("id_number") == r.get("id_number"))]
    return [dict(o, birth_date=r["birth_date"], _field=_header("name"), _code="duplicate_name_birth")
            for o in _others(rows)]


def xjh_matches_id(ctx, params):
    x, idn = ctx.record.get("xueji_no", ""), ctx.record.get("id_number", "")
    if x.startswith("G") and idn and x[1:] != idn:
        if ctx.old is not None and (ctx.old.get("xueji_no"), ctx.old.get("id_number")) == (x, idn):
            return []
        return [{"xueji_no": x, "id_number": idn, "_field": _header("xueji_no"), "_code": "xjh_id_mismatch"}]
    return []


def xjh_change(ctx, params):
    if ctx.old is None:
        return []
    old, new = ctx.old.get("xueji_no", ""), ctx.record.get("xueji_no", "")
    if not old or old == new:
        return []
    if old.startswith("L") and new[:1] in ("G", "J"):
        return []  # the national system replaced the temporary number: recorded in the history
    if ctx.reason.strip() and ctx.evidence:
        return []
    return [{"old": old, "new": new or tr("label.empty"), "_field": _header("xueji_no"), "_code": "xjh_change"}]


def no_id_needs_member_id(ctx, params):
    if ctx.record.get("id_number"):
        return []
    if any((m.get("id_number") or "").strip() for m in ctx.members):
        return []
    return [{"_field": F.member_header(1, "id_number"), "_code": "no_id_member_id"}]


def no_id_number(ctx, params):
    if ctx.record.get("id_number"):
        return []
    if ctx.old is not None and not ctx.old.get("id_number"):
        return []  # registered without a number already (with its override): editing other fields is fine
    ev = params.get("evidence", [])
    return [{"evidence": tr("common.item_sep").join(ev), "_field": _header("id_number"), "_code": "no_id_number",
             "required_evidence": ev}]


def key_data_change(ctx, params):
    if ctx.old is None:
        return []
    changed = [k for k in params.get("fields", []) if (ctx.old.get(k) or "") != (ctx.record.get(k) or "")]
    if not changed or (ctx.reason.strip() and ctx.evidence):
        return []
    missing = [w for w, ok in ((tr("rules.reason"), ctx.reason.strip()), (tr("rules.evidence"), ctx.evidence)) if not ok]
    sep = tr("common.list_sep")
    return [{"fields": sep.join(_header(k) for k in changed),
             "evidence": tr("common.item_sep").join(params.get("evidence", [])),
             "missing": sep.join(missing), "_field": _header(changed[0]), "_code": "key_data_change"}]


def grade_in_stage(ctx, params):
    k = ctx.klass or {}
    rng = params.get(k.get("stage"))
    if not rng:
        return []
    low, high = rng
    g = int(k.get("grade") or 0)
    if low <= g <= high:
        return []
    return [{"stage_name": STAGE_NAMES.get(k["stage"], k["stage"]), "low": low, "high": high, "grade": g,
             "_field": tr("label.grade"), "_code": "grade_out_of_stage"}]


def grade_matches_entry_year(ctx, params):
    """A class entering in ``entry_year`` is in grade first_grade + years since, this school year."""
    k = ctx.klass or {}
    first = params.get("first_grade", {}).get(k.get("stage"))
    if first is None or not k.get("entry_year") or not k.get("grade"):
        return []
    start_month = int(params.get("school_year_start_month", 8))
    school_year = ctx.today.year if ctx.today.month >= start_month else ctx.today.year - 1
    expected = int(first) + school_year - int(k["entry_year"])
    if expected == int(k["grade"]):
        return []
    return [{"entry_year": k["entry_year"], "grade": k["grade"], "expected": expected, "school_year": school_year,
             "_field": tr("label.entry_year"), "_code": "grade_entry_year"}]


def _class_name(k):
    return (k.get("display_name") or k.get("name")
            or tr("rules.class_fallback", grade=k.get("grade"), number=k.get("number")))


def class_capacity(ctx, params):
    k = ctx.klass
    if not k or not k.get("capacity") or ctx.lookup is None:
        return []
    current = ctx.lookup.class_headcount(k["id"], ctx.student_id)
    if current + 1 <= int(k["capacity"]):
        return []
    return [{"class_name": _class_name(k), "count": current, "capacity": k["capacity"],
             "_field": _header("class_code"), "_code": "class_capacity"}]


def class_size(ctx, params):
    k = ctx.klass
    if not k or ctx.lookup is None:
        return []
    limit = params.get("grade_limits", {}).get(str(k.get("grade")))
    if limit is None:
        limit = params.get("limits", {}).get(k.get("stage"))
    if limit is None:
        return []
    current = ctx.lookup.class_headcount(k["id"], ctx.student_id)
    if current + 1 <= int(limit):
        return []
    return [{"class_name": _class_name(k), "current": current, "count": current + 1, "limit": limit,
             "stage_name": STAGE_NAMES.get(k.get("stage"), ""), "_field": _header("class_code"), "_code": "class_size"}]


def min_enrol_age(ctx, params):
    k = ctx.klass
    if not k or int(k.get("grade") or 0) not in params.get("grades", [1]):
        return []
    if ctx.event == "student.edit" and ctx.old is not None and ctx.old.get("birth_date") == ctx.record.get("birth_date"):
        return []
    dob = _date(ctx.record.get("birth_date", ""))
    if dob is None:
        return []
    year = int(k.get("entry_year") or 0) or ctx.today.year
    month, day = (int(x) for x in params.get("cutoff", "08-31").split("-"))
    min_age = int(params.get("min_age", 6))
    cutoff = _dt.date(year, month, day)
    try:
        birthday = dob.replace(year=dob.year + min_age)
    except ValueError:  # 29 February: the birthday falls on 1 March in a common year
        birthday = _dt.date(dob.year + min_age, 3, 1)
    ok = birthday <= cutoff if params.get("inclusive", True) else birthday < cutoff
    if ok:
        return []
    return [{"birth_date": ctx.record["birth_date"],
             "cutoff_date": tr("rules.cutoff_date", year=cutoff.year, month=cutoff.month, day=cutoff.day),
             "min_age": min_age, "_field": _header("birth_date"), "_code": "under_age"}]


CHECKS = {f.__name__: f for f in (
    required_fields, duplicate_id_number, duplicate_xjh, duplicate_name_birth, xjh_matches_id, xjh_change,
    no_id_needs_member_id, no_id_number, key_data_change, grade_in_stage, class_capacity, class_size,
    min_enrol_age, grade_matches_entry_year,
)}


# Checks of later topics live in their feature's package (app/<feature>/checks.py); each defines
# CHECKS = {name: function} and is merged here.
def _topic_checks() -> None:
    import importlib

    for module in TOPICS.values():
        mod = importlib.import_module(module)
        clash = set(mod.CHECKS) & set(CHECKS)
        if clash:
            raise RuntimeError(f"check names defined twice: {sorted(clash)}")
        CHECKS.update(mod.CHECKS)


TOPICS = {"changes": "app.changes.checks", "certificates": "app.certificates.checks",
          "graduation": "app.promotion.checks"}
_topic_checks()
