"""Year-end promotion (升级, T09) of the whole school and graduation (毕业/结业/肄业/修业, T35–T38) of a
graduating class. Each is one transaction: every class, student, event and history row, or nothing.

Which grade ends a stage comes from the profile's ``REG.SCHOOL_SYSTEM`` params; what is allowed, and the
articles cited, from resources/rules/graduation/<profile>.toml."""
from __future__ import annotations

import datetime as _dt
import sqlite3
from dataclasses import dataclass, field

from app.students import status as st
from app.school.classes import display_name
from app.core.errors import WARN, Finding, NotFound, Refused
from app.core.i18n import tr
from app.rules.engine import RuleContext, evaluate
from app.promotion import store as pq
from app.changes import deadlines_store as dq
from app.school import store as school_store
from app.students import store as q

PROMOTED_STATES = ("pending", "enrolled", "transferring")   # in the class at rollover: their grade moves with it
GRADUATING_STATES = ("pending", "enrolled")                 # graduate with their class
DEFAULT_STAGES = {"primary": [1, 6], "junior": [7, 9], "senior": [10, 12]}


@dataclass
class PromotionResult:
    classes: int = 0
    students: int = 0
    graduating_classes_skipped: list[dict] = field(default_factory=list)   # {id, name, grade}
    findings: list[Finding] = field(default_factory=list)                  # WARN/NOTE shown with the result
    held_back: int = 0
    batch: str = ""
    dry_run: bool = False


@dataclass
class GraduationResult:
    per_student: list[dict] = field(default_factory=list)  # {student_id, name, outcome, reasons}
    findings: list[Finding] = field(default_factory=list)
    class_id: int | None = None
    batch: str = ""
    dry_run: bool = False
    overridden: list[Finding] = field(default_factory=list)

    def counts(self) -> dict:
        out: dict[str, int] = {}
        for p in self.per_student:
            out[p["outcome"]] = out.get(p["outcome"], 0) + 1
        return out


class _DryRun(Exception):
    pass


def stage_ranges(profile) -> dict[str, list[int]]:
    r = profile.rule("REG.SCHOOL_SYSTEM")
    return {**DEFAULT_STAGES, **(dict(r.params) if r else {})}


def is_final_grade(profile, stage: str, grade: int) -> bool:
    return int(grade) == int(stage_ranges(profile)[stage][1])


def leaving_year(profile, klass: dict) -> int:
    """The calendar year a class's cohort leaves its stage (entry 2024, junior 7–9 → 2027)."""
    low, high = stage_ranges(profile)[klass["stage"]]
    return int(klass["entry_year"]) + (int(high) - int(low) + 1)


def _split(findings, overrides=None):
    from app.students.service import decide

    return decide(findings, overrides)


def _as_date(d) -> _dt.date:
    if d is None:
        return _dt.date.today()
    return d if isinstance(d, _dt.date) else _dt.date.fromisoformat(str(d))


# ------------------------------------------------------------------ promotion
def promote(session, school_year: int, *, dry_run: bool = False, date=None, hold_back=None,
            data_checked: bool = False, reason: str = "") -> PromotionResult:
    """Promote every active class one grade for ``school_year`` (the school year being entered, e.g. 2026 =
    2026–2027): final-grade classes are left for :func:`graduate`. ``hold_back`` = {student_id: target class id
    or None}: students kept in their grade (留级), refused where the profile bans it. ``data_checked``: the
    registrar confirms the pre-promotion data check (周口 第十八条). All or nothing."""
    conn = session.conn
    profile = session.profile
    eff = _as_date(date)
    year = int(school_year)
    batch = f"promote-{year}"
    hold_back = {int(k): v for k, v in (hold_back or {}).items()}
    if pq.batch_exists(conn, batch):
        raise Refused([Finding("promotion.already_done", tr("grad.promotion_done", year=year),
                               field=tr("grad.field.school_year"))])
    classes = pq.active_classes(conn)
    by_id = {k["id"]: k for k in classes}
    movers = [k for k in classes if not is_final_grade(profile, k["stage"], k["grade"])]
    finals = [k for k in classes if is_final_grade(profile, k["stage"], k["grade"])]
    students = pq.students_in_classes(conn, [k["id"] for k in movers], PROMOTED_STATES)
    by_student = {s["id"]: s for s in students}

    bad: list[Finding] = []
    held = []
    for sid, target in hold_back.items():
        s = by_student.get(sid)
        if s is None:
            bad.append(Finding("promotion.not_promoted", tr("grad.hold_back_unknown", id=sid),
                               field=tr("grad.field.held_back")))
            continue
        k = by_id[s["class_id"]]
        held.append({"student_id": sid, "name": s["name"], "grade": k["grade"], "class_name": display_name(k),
                     "target": target})
    ctx = RuleContext("promotion.year", record={"held_back": held, "data_checked": bool(data_checked)},
                      school=session.school, today=eff)
    refusing, warnings, notes, _ov = _split(evaluate(profile, ctx))
    # where repeating is allowed, the student needs a class that will be in their grade after the rollover
    targets: dict[int, int] = {}
    for h in held:
        k = by_id[by_student[h["student_id"]]["class_id"]]
        t = h["target"]
        if t is None:
            cands = [c for c in movers if c["stage"] == k["stage"] and c["grade"] + 1 == k["grade"]]
            cands.sort(key=lambda c: (c["number"] != k["number"], c["number"]))
            t = cands[0]["id"] if cands else None
        tk = by_id.get(int(t)) if t is not None else None
        if tk is None or tk not in movers or tk["grade"] + 1 != k["grade"]:
            bad.append(Finding("promotion.no_target_class", tr("grad.no_target_class", name=h["name"],
                                                              grade=k["grade"]), field=tr("grad.field.held_back")))
            continue
        targets[h["student_id"]] = tk["id"]
    refusing += bad + _order(conn, students, eff)
    if refusing:
        raise Refused(refusing)

    warnings += _cohort_warnings(profile, session.school, movers, year)
    result = PromotionResult(batch=batch, dry_run=dry_run, findings=warnings + notes, held_back=len(targets))
    result.graduating_classes_skipped = [{"id": k["id"], "name": display_name(k), "grade": k["grade"],
                                          "stage": k["stage"]} for k in finals]
    try:
        with session.transaction():
            new_grades = {k["id"]: k["grade"] + 1 for k in movers}
            # highest grades first keeps the (entry_year, stage, grade, number) slots free at every step
            pq.set_class_grades(conn, dict(sorted(new_grades.items(), key=lambda kv: -kv[1])))
            events, history, moves = [], [], []
            for s in students:
                k = by_id[s["class_id"]]
                if s["id"] in targets:
                    tk = by_id[targets[s["id"]]]
                    events.append({"student_id": s["id"], "kind": "repeat", "transition": "", "from_state": s["status"],
                                   "to_state": s["status"], "effective_date": eff.isoformat(),
                                   "recorded_by": session.user, "reason": reason, "from_class_id": k["id"],
                                   "to_class_id": tk["id"], "from_grade": k["grade"], "to_grade": k["grade"],
                                   "details": {"school_year": year}, "batch": batch})
                    moves.append((s["id"], s["status"], tk["id"]))
                    history.append({"student_id": s["id"], "entity": "student", "entity_id": s["id"],
                                    "action": "status", "field": "class_id", "old_value": str(k["id"]),
                                    "new_value": str(tk["id"]), "changed_by": session.user, "reason": reason,
                                    "batch": batch})
                    continue
                events.append({"student_id": s["id"], "kind": "promote", "transition": "T09",
                               "from_state": s["status"], "to_state": s["status"], "effective_date": eff.isoformat(),
                               "recorded_by": session.user, "reason": reason, "from_class_id": k["id"],
                               "to_class_id": k["id"], "from_grade": k["grade"], "to_grade": k["grade"] + 1,
                               "details": {"school_year": year}, "batch": batch})
                history.append({"student_id": s["id"], "entity": "student", "entity_id": s["id"], "action": "status",
                                "field": "grade", "old_value": str(k["grade"]), "new_value": str(k["grade"] + 1),
                                "changed_by": session.user, "reason": reason, "batch": batch})
            history += [{"entity": "class", "entity_id": k["id"], "action": "edit", "field": "grade",
                         "old_value": str(k["grade"]), "new_value": str(k["grade"] + 1),
                         "changed_by": session.user, "reason": reason or tr("grad.history_promotion", year=year),
                         "batch": batch} for k in movers]
            pq.insert_events(conn, events)
            pq.set_students(conn, moves)
            q.insert_history(conn, history)
            result.classes = len(movers)
            result.students = len(students) - len(targets)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except sqlite3.OperationalError as e:
        from app.exchange.import_service import disk_full

        refused = disk_full(e, conn)
        if refused is None:
            raise
        raise refused from None
    return result


def _cohort_warnings(profile, school, movers, year) -> list[Finding]:
    """Classes whose grade after this promotion would not fit their entry year in ``year`` (the class check
    GEN.GRADE_ENTRY_YEAR as of the new school year): usually the wrong school year was chosen."""
    rule = profile.rule("GEN.GRADE_ENTRY_YEAR")
    if rule is None:
        return []
    start = _dt.date(year, int(rule.params.get("school_year_start_month", 8)), 1) + _dt.timedelta(days=31)
    out = []
    for k in movers:
        nk = dict(k, grade=k["grade"] + 1)
        ctx = RuleContext("class.create", record={}, klass=nk, school=school, today=start)
        out += [f for f in evaluate(profile, ctx) if f.rule == rule.id]
    return out


# ------------------------------------------------------------------ graduation
def graduate(session, class_id, *, date=None, dry_run: bool = False, overrides=None,
             failed_assessment=None, reason: str = "") -> GraduationResult:
    """Graduate a final-grade class: every student in it gets 毕业, or 结业/肄业 (HS conditions unmet) or
    修业 (Liaoning, assessment failed: from the HS record's ``assessment`` or ``failed_assessment`` ids),
    a 'graduate' event with the outcome, history; the class is closed. One transaction."""
    from app.promotion import hs_records as hs_graduation

    conn = session.conn
    profile = session.profile
    eff = _as_date(date)
    k = school_store.get_class(conn, int(class_id))
    if k is None:
        raise NotFound(tr("class.not_found", id=class_id))
    if k["status"] != "active":
        raise Refused([Finding("graduation.class_closed", tr("grad.class_closed", name=display_name(k)),
                               field=tr("label.class"))])
    if not is_final_grade(profile, k["stage"], k["grade"]):
        high = stage_ranges(profile)[k["stage"]][1]
        raise Refused([Finding("graduation.not_final_grade", tr("grad.not_final_grade", name=display_name(k),
                                                                grade=k["grade"], final=high),
                               field=tr("label.class"))])
    failed_assessment = {int(x) for x in (failed_assessment or ())}
    in_class = pq.students_in_classes(conn, [k["id"]], st.in_class_codes())
    graduating = [s for s in in_class if s["status"] in GRADUATING_STATES]
    records = pq.hs_records_of(conn, [s["id"] for s in graduating])
    event = f"graduation.{k['stage']}"
    gated = any(r.check == "hs_conditions" for r in profile.rules_for(event))
    open_deadlines = {}
    for d in dq.open_deadlines(conn):
        if d["student_id"] is not None:
            open_deadlines.setdefault(d["student_id"], []).append(d)
    open_business = []
    for s in in_class:
        if s["status"] not in GRADUATING_STATES:
            open_business.append({"student_id": s["id"], "name": s["name"], "what": st.name(s["status"])})
        elif s["id"] in open_deadlines:
            kinds = tr("common.list_sep").join(sorted({d["kind"] for d in open_deadlines[s["id"]]}))
            open_business.append({"student_id": s["id"], "name": s["name"], "what": tr("grad.open_deadlines",
                                                                                     kinds=kinds)})
    problem = []
    for s in graduating:
        if s["status"] == "pending":
            problem.append({"student_id": s["id"], "name": s["name"], "what": st.name("pending")})
        elif not (s.get("xueji_no") or "").strip():
            problem.append({"student_id": s["id"], "name": s["name"], "what": tr("grad.no_xjh")})
    order = _order(conn, graduating, eff)
    if order:
        raise Refused(order)
    missing = [{"student_id": s["id"], "name": s["name"]} for s in graduating if gated and s["id"] not in records]
    ctx = RuleContext("graduation.class", record={"open_business": open_business, "problem": problem,
                                                   "missing_records": missing},
                      klass=k, school=session.school, today=eff)
    refusing, warnings, notes, overridden = _split(evaluate(profile, ctx), overrides)
    if refusing:
        raise Refused(refusing)
    warnings += _late(profile, session.school, k, eff)
    result = GraduationResult(class_id=k["id"], batch=f"graduate-{k['id']}-{eff.isoformat()}", dry_run=dry_run,
                              findings=warnings + notes, overridden=overridden)
    seen_notes = set()
    for s in graduating:
        rec = dict(records.get(s["id"]) or {})
        if s["id"] in failed_assessment:
            rec["assessment"] = "fail"
        check = hs_graduation.evaluate_record(session, rec, k, name=s["name"], today=eff)
        result.per_student.append({"student_id": s["id"], "name": s["name"], "outcome": check.outcome,
                                   "reasons": [f.message for f in check.findings if f.params.get("outcome")],
                                   "rules": sorted({f.rule for f in check.findings if f.params.get("outcome")})})
        for f in check.findings:
            if f.params.get("outcome"):
                continue
            key = (f.rule, f.message)
            if key not in seen_notes:
                seen_notes.add(key)
                result.findings.append(f)
    # students in another state (transfer in progress, suspended …) are not in ``graduating``: they keep their
    # state and the closed class; an override of GRAD.PENDING_CLEARED.ZK lets the others graduate.
    try:
        with session.transaction():
            events, history, updates = [], [], []
            for p in result.per_student:
                s = next(x for x in graduating if x["id"] == p["student_id"])
                events.append({"student_id": s["id"], "kind": "graduate", "transition": _transition(k, p["outcome"]),
                               "from_state": s["status"], "to_state": p["outcome"], "effective_date": eff.isoformat(),
                               "recorded_by": session.user, "reason": reason, "from_class_id": k["id"],
                               "to_class_id": k["id"], "from_grade": k["grade"], "to_grade": k["grade"],
                               "details": {"reasons": p["reasons"], "rules": p["rules"]}, "batch": result.batch})
                updates.append((s["id"], p["outcome"], k["id"]))
                history.append({"student_id": s["id"], "entity": "student", "entity_id": s["id"], "action": "status",
                                "field": "status", "old_value": s["status"], "new_value": p["outcome"],
                                "changed_by": session.user, "reason": reason or tr("common.item_sep").join(p["reasons"]),
                                "batch": result.batch})
            pq.insert_events(conn, events)
            pq.set_students(conn, updates)
            pq.close_class(conn, k["id"])
            history.append({"entity": "class", "entity_id": k["id"], "action": "edit", "field": "status",
                            "old_value": "active", "new_value": "closed", "changed_by": session.user,
                            "reason": tr("grad.history_graduation"), "batch": result.batch})
            q.insert_history(conn, history)
            logged = overridden + [f for f in result.findings if f.outcome == WARN and f.params.get("student_id")]
            if logged:  # BLOCK* overridden and WARN acknowledged, per student, as the student service logs them
                q.insert_findings(conn, [{"student_id": f.params.get("student_id"), "rule_id": f.rule,
                                          "article": f.article, "outcome": f.outcome, "message": f.message,
                                          "decided_by": session.user, **_ov_cols(overrides, f)} for f in logged])
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


def _order(conn, students, eff) -> list[Finding]:
    """A student whose record already has a change effective after ``eff``: the batch would rewrite the past."""
    from app.changes.kinds import label

    after = pq.events_after(conn, eff.isoformat())
    return [Finding("graduation.later_event", tr("grad.later_event", name=s["name"], date=after[s["id"]]["effective_date"],
                                                 kind=label(after[s["id"]]["kind"]), effective=eff.isoformat()),
                    field=tr("grad.field.effective_date")) for s in students if s["id"] in after]


def _late(profile, school, k, eff) -> list[Finding]:
    """A graduation recorded after the class's due date (e.g. 30 July, 周口/辽宁) is saved with a WARN."""
    kk = dict(k, display_name=display_name(k), is_final=True, leaving_year=leaving_year(profile, k))
    out = []
    for f in evaluate(profile, RuleContext("graduation.deadline", record={"as_of": eff}, klass=kk, school=school,
                                           today=eff)):
        due = _dt.date.fromisoformat(f.params["due"])
        if f.code == "compulsory_graduation" and eff > due:
            out.append(Finding("graduation.late", tr("grad.late", date=eff.isoformat(), due=due.isoformat()),
                               field=tr("label.class"), rule=f.rule, article=f.article, outcome=WARN))
    return out


def _ov_cols(overrides, f) -> dict:
    ov = (overrides or {}).get(f.rule) or (overrides or {}).get("*")
    if ov is None:
        return {}
    return {"override_reason": ov.reason, "approved_by": ov.approved_by,
            "evidence_ref": tr("common.item_sep").join(ov.evidence)}


def _transition(k, outcome) -> str:
    if outcome == "xiuye":
        return "T36"
    if k["stage"] == "senior":
        return "T37" if outcome == "graduated" else "T38"
    return "T35"
