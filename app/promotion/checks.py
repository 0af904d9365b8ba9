"""Rule checks for promotion and graduation: general functions ``check(ctx, params) -> list[dict]`` whose
numbers and lists come from the rule's params (resources/rules/graduation/<profile>.toml).

What the services put in ``ctx.record`` (a plain dict):
- ``promotion.year``: ``held_back`` (list of {student_id, name, grade, class_name}), ``data_checked`` (bool).
- ``graduation.class``: ``open_business`` (list of {student_id, name, what}), ``problem`` (list of {student_id,
  name, what}), ``missing_records`` (list of {student_id, name}).
- ``graduation.<stage>`` (one student): the HS record (hs_records row, ``exams`` a dict) and ``name``.
- ``graduation.deadline`` / ``promotion.deadline``: ``as_of`` (date), and for a class ``ctx.klass`` with
  ``final_grade``/``years``; for a student ``ctx.record`` the student row with ``entry_date``.
Hits that decide a student's graduation outcome carry ``outcome`` (graduated/completed/left_incomplete/xiuye).
"""
from __future__ import annotations

import datetime as _dt

from app.core.i18n import Names, tr

FIELD_NAMES = Names({
    "credits_total": "grad.field.credits_total", "credits_required": "grad.field.credits_required",
    "credits_elective": "grad.field.credits_elective", "credits_school": "grad.field.credits_school",
    "exams": "grad.field.exams", "evaluation": "grad.field.evaluation", "pe_standard": "grad.field.pe_standard",
    "labour_practice": "grad.field.labour_practice", "period_complete": "grad.field.period_complete",
    "assessment": "grad.field.assessment", "note": "grad.field.note",
})
VALUE_NAMES = Names({"pass": "grad.value.pass", "fail": "grad.value.fail", "done": "grad.value.done",
                     "not_done": "grad.value.not_done", "yes": "grad.value.yes", "no": "grad.value.no"})
REASONS = {
    "period": lambda kw: tr("grad.reason.period"),
    "credits_total": lambda kw: tr("grad.reason.credits_total", have=kw["have"], need=kw["need"]),
    "credits_required": lambda kw: tr("grad.reason.credits_required", have=kw["have"], need=kw["need"]),
    "credits_elective": lambda kw: tr("grad.reason.credits_elective", have=kw["have"], need=kw["need"]),
    "credits_school": lambda kw: tr("grad.reason.credits_school", have=kw["have"], need=kw["need"]),
    "exams_none": lambda kw: tr("grad.reason.exams_none"),
    "exam_missing": lambda kw: tr("grad.reason.exam_missing", subject=kw["subject"]),
    "exams_failed": lambda kw: tr("grad.reason.exams_failed", subjects=kw["subjects"], allowed=kw["allowed"]),
    "evaluation": lambda kw: tr("grad.reason.evaluation", value=kw["value"]),
    "pe_standard": lambda kw: tr("grad.reason.pe_standard", value=kw["value"]),
    "labour_practice": lambda kw: tr("grad.reason.labour_practice", value=kw["value"]),
}


def _md(year: int, md: str) -> _dt.date:
    m, d = (int(x) for x in md.split("-"))
    return _dt.date(year, m, d)


# --- promotion ---------------------------------------------------------------------------------

def no_repeat(ctx, params):
    """A student kept in the same grade at rollover (留级), where the profile bans it."""
    return [{"name": h["name"], "grade": h["grade"], "class_name": h["class_name"], "student_id": h["student_id"],
             "_field": tr("grad.field.held_back"), "_code": "repeat_banned"}
            for h in ctx.record.get("held_back", [])]


def data_check_done(ctx, params):
    """The pre-promotion data check must be run and acknowledged first."""
    if ctx.record.get("data_checked"):
        return []
    return [{"_field": tr("grad.field.data_checked"), "_code": "data_check_missing"}]


def always_note(ctx, params):
    """A standing reminder shown with the action (e.g. the national system does the same rollover)."""
    return [{"_code": params.get("code", "note")}]


# --- graduation: the whole class -------------------------------------------------------------

def open_business(ctx, params):
    """Students of the graduating class with 学籍 business still open (changes in progress, open deadlines)."""
    return [{"name": o["name"], "what": o["what"], "student_id": o["student_id"],
             "_field": tr("grad.field.open_business"), "_code": "open_business"}
            for o in ctx.record.get("open_business", [])]


def problem_xueji(ctx, params):
    return [{"name": o["name"], "what": o["what"], "student_id": o["student_id"],
             "_field": tr("grad.field.problem"), "_code": "problem_xueji"}
            for o in ctx.record.get("problem", [])]


def grad_record_present(ctx, params):
    """Graduation needs each student's graduation record (credits, exams …) entered."""
    return [{"name": o["name"], "student_id": o["student_id"], "_field": tr("grad.field.record"),
             "_code": "record_missing"} for o in ctx.record.get("missing_records", [])]


# --- graduation: one student ------------------------------------------------------------------

def _num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _fmt(v) -> str:
    return str(int(v)) if v is not None and float(v).is_integer() else str(v)


def hs_conditions(ctx, params):
    """Every unmet high-school graduation condition of ``params`` (credits, exams, evaluation, PE, labour)."""
    rec = ctx.record
    fail_outcome = params.get("fail_outcome", "completed")
    incomplete_outcome = params.get("incomplete_outcome", "left_incomplete")
    outcome = incomplete_outcome if rec.get("period_complete") == "no" else fail_outcome
    hits = []

    def hit(code, field, **kw):
        hits.append({"outcome": outcome, "_code": code, "_field": field, "reason": REASONS[code](kw), **kw})

    if rec.get("period_complete") == "no":
        hit("period", FIELD_NAMES["period_complete"])
    for key, col in (("credits_total", "credits_total"), ("credits_required", "credits_required"),
                     ("credits_elective", "credits_elective"), ("credits_school", "credits_school")):
        need = params.get(key)
        if need is None:
            continue
        have = _num(rec.get(col))
        if have is None or have < float(need):
            hit(key, FIELD_NAMES[key], have=_fmt(have) if have is not None else tr("grad.unrecorded"),
                need=_fmt(need))
    passing = params.get("exam_pass")
    if passing is not None:
        exams = rec.get("exams") or {}
        subjects = params.get("exam_subjects") or []
        if not exams and not subjects:
            hit("exams_none", FIELD_NAMES["exams"])
        for subj in subjects:
            if subj not in exams:
                hit("exam_missing", FIELD_NAMES["exams"], subject=subj)
        failed = [tr("grad.exam_grade", subject=s, grade=g) for s, g in sorted(exams.items()) if str(g).strip().upper() not in
                  {str(p).upper() for p in passing}]
        if failed:
            hit("exams_failed", FIELD_NAMES["exams"], subjects=tr("common.list_sep").join(failed),
                allowed="/".join(passing))
    for key in params.get("require", []):
        val = rec.get(key) or ""
        if val not in ("pass", "done", "yes"):
            hit(key, FIELD_NAMES[key], value=tr("grad.unrecorded") if not val else VALUE_NAMES.get(val, val))
    return hits


def compulsory_assessment(ctx, params):
    """Liaoning: a compulsory student who failed the comprehensive assessment gets a 修业证明."""
    if ctx.record.get("assessment") != "fail":
        return []
    return [{"outcome": params.get("fail_outcome", "xiuye"), "_code": "assessment_failed",
             "_field": FIELD_NAMES["assessment"], "reason": tr("grad.reason.assessment_failed")}]


def assessment_unrecorded(ctx, params):
    if ctx.record.get("assessment") in ("pass", "fail"):
        return []
    return [{"name": ctx.record.get("name", ""), "_code": "assessment_unrecorded",
             "_field": FIELD_NAMES["assessment"]}]


# --- deadlines --------------------------------------------------------------------------------

def deadline_class_graduation(ctx, params):
    """A final-grade class of one of ``stages`` must graduate by ``due`` (MM-DD) of its leaving year."""
    k = ctx.klass or {}
    if k.get("stage") not in params.get("stages", []) or not k.get("is_final"):
        return []
    due = _md(int(k["leaving_year"]), params["due"])
    return [{"due": due.isoformat(), "class_name": k.get("display_name", ""), "_code": params.get("kind", "graduation")}]


def deadline_registration(ctx, params):
    """A student whose 学籍 is still pending: the archive/registration deadline counted from entry."""
    rec = ctx.record
    k = ctx.klass or {}
    if rec.get("status") not in params.get("statuses", ["pending"]):
        return []
    stages = params.get("stages")
    if stages and k.get("stage") not in stages:
        return []
    entry = rec.get("entry_date")
    if entry is None:
        return []
    from app.core.workdays import add_months

    candidates = []
    if params.get("months"):
        candidates.append(add_months(entry, int(params["months"])))
    if params.get("days"):
        candidates.append(entry + _dt.timedelta(days=int(params["days"])))
    if params.get("month_day"):
        md = _md(entry.year, params["month_day"])
        candidates.append(md if md >= entry else _md(entry.year + 1, params["month_day"]))
    if not candidates:
        return []
    due = min(candidates)
    return [{"due": due.isoformat(), "entry": entry.isoformat(), "_code": params.get("kind", "registration")}]


def deadline_school_year(ctx, params):
    """A school-level item due ``months`` after the school year's start (``start`` MM-DD), or on ``due`` MM-DD."""
    if ctx.record.get("id") is not None or ctx.record.get("suspension_until"):
        return []  # a school-level item: not once per student
    as_of = ctx.record.get("as_of") or ctx.today
    start_md = params.get("start", "09-01")
    start = _md(as_of.year, start_md)
    if as_of < start and as_of.month < int(params.get("school_year_start_month", 8)):
        start = _md(as_of.year - 1, start_md)
    if params.get("months"):
        from app.core.workdays import add_months
        due = add_months(start, int(params["months"]))
    else:
        due = _md(start.year + (1 if params.get("next_calendar_year") else 0), params["due"])
    return [{"due": due.isoformat(), "school_year": start.year, "_code": params.get("kind", "report")}]


def _semester(as_of: _dt.date, semesters) -> tuple[_dt.date, _dt.date]:
    """The semester (start, end) that contains ``as_of``, or the next one to start; ``semesters`` lists
    [start MM-DD, end MM-DD] pairs (an end before its start falls in the next calendar year)."""
    spans = []
    for year in (as_of.year - 1, as_of.year, as_of.year + 1):
        for start_md, end_md in semesters:
            start = _md(year, start_md)
            end = _md(year, end_md)
            if end < start:
                end = _md(year + 1, end_md)
            spans.append((start, end))
    spans.sort()
    for start, end in spans:
        if start <= as_of <= end:
            return start, end
    return next((s, e) for s, e in spans if s > as_of)


def deadline_semester(ctx, params):
    """A school-level item each semester: due at the semester's end (``at = "end"``) or ``offset_days`` after
    its start (``at = "start"``); the semester dates are params."""
    if ctx.record.get("id") is not None or ctx.record.get("suspension_until"):
        return []
    as_of = ctx.record.get("as_of") or ctx.today
    start, end = _semester(as_of, params.get("semesters", [["09-01", "01-20"], ["02-20", "07-10"]]))
    due = end if params.get("at", "end") == "end" else start + _dt.timedelta(days=int(params.get("offset_days", 0)))
    return [{"due": due.isoformat(), "semester_start": start.isoformat(), "semester_end": end.isoformat(),
             "_code": params.get("kind", "semester_review")}]


def deadline_suspension_expiry(ctx, params):
    """A suspended student's suspension ends on the event's ``until``: resume, extend, or (HS, some profiles) withdraw."""
    until = ctx.record.get("suspension_until")
    if not until:
        return []
    return [{"due": until, "_code": params.get("kind", "suspension_expiry")}]


CHECKS = {f.__name__: f for f in (
    no_repeat, data_check_done, always_note, open_business, problem_xueji, grad_record_present, hs_conditions,
    compulsory_assessment, assessment_unrecorded, deadline_class_graduation, deadline_registration,
    deadline_school_year, deadline_semester, deadline_suspension_expiry,
)}
