"""Status changes (学籍异动): plan (dry run: every finding, the evidence, approvals and deadlines) and apply
(one transaction: event + evidence + approvals + deadlines + the student's state/class + history + rule
decisions). The rules are the profile's ``change.<kind>`` rules, evaluated as of the effective date."""
from __future__ import annotations

import datetime as _dt
import json

from app.students import status as st
from app.changes import kinds as K
from app.changes import store
from app.changes.model import DECISIONS, ChangeFacts, ChangePlan, ChangeRequest, ChangeResult  # noqa: F401 (API)
from app.changes.planner import ChangeContext, Planner, as_date, plan_transfer_in  # noqa: F401 (API)
from app.school.classes import display_name
from app.core.errors import Finding, NotFound, Refused
from app.core.i18n import tr
from app.changes.checks import evidence_given
from app.core.session import Session
from app.school import store as school_store
from app.students import store as q

_REQUEST_FIELDS = ("student", "student_id", "date", "reason", "evidence", "approvals", "to_school", "from_school",
                   "grade", "class_id")


def kind_info(kind: str, session=None) -> dict:
    """The kind as a dialog shows it: label, transition, the request fields it uses (``fields``: each with
    ``in`` = "request" for a ChangeRequest attribute or "details" for a key of ``details``), its form and —
    with a session (or a Profile, or a profile id) — the evidence documents and approving parties the
    profile lists."""
    s = K.spec(kind)
    if s is None:
        raise KeyError(kind)
    out = {"kind": kind, "label": K.label(kind), "transition": s.get("transition", ""), "from": list(s["from"]),
           "to": s["to"], "needs": list(s.get("needs", [])), "optional": list(s.get("optional", [])),
           "evidence": [], "approvals": [], "form": "", "available": True,
           "fields": [{"name": n, "in": "request" if n in _REQUEST_FIELDS else "details",
                       "required": n in s.get("needs", [])}
                      for n in [*s.get("needs", []), *s.get("optional", [])]]}
    if session is not None:
        from app.rules.engine import Profile, load_profile

        prof = session if isinstance(session, Profile) else (
            load_profile(session) if isinstance(session, str) else session.profile)
        out["available"] = K.available_in(kind, prof.chain)
        out["form"] = K.form_for(kind, prof.chain)
        for r in prof.rules_for(f"change.{kind}"):
            if r.check == "evidence_required":
                out["evidence"].append({"documents": list(r.params.get("documents", [])),
                                        "any_of": bool(r.params.get("any_of")), "rule": r.id, "article": r.article,
                                        "when": {k: v for k, v in r.params.items()
                                                 if k in ("stages", "causes", "auto", "when")}})
            elif r.check == "approvals_required":
                out["approvals"].append({"parties": list(r.params.get("parties", [])), "rule": r.id,
                                         "article": r.article})
    return out


# ------------------------------------------------------------------ reading
def state_on(session: Session, student_id: int, on: _dt.date) -> str | None:
    return store.state_on(session.conn, int(student_id), as_date(on).isoformat())


def states_on(session: Session, on: _dt.date, student_ids=None) -> dict[int, str]:
    return store.states_on(session.conn, as_date(on).isoformat(), student_ids)


def events_for(session: Session, student_id: int) -> list[dict]:
    """Every event of a student, oldest effective first, with names, evidence, approvals and deadlines."""
    conn = session.conn
    out = []
    for e in store.events_of(conn, int(student_id)):
        e["kind_name"] = K.label(e["kind"])
        e["from_state_name"] = st.name(e["from_state"]) if e["from_state"] else ""
        e["to_state_name"] = st.name(e["to_state"])
        e["evidence"] = store.evidence_of(conn, e["id"])
        e["approvals"] = store.approvals_of(conn, e["id"])
        e["deadlines"] = store.deadlines_of_event(conn, e["id"])
        out.append(e)
    return out


def plan_change(session: Session, req: ChangeRequest) -> ChangePlan:
    """Dry run: every finding, evidence, approval and deadline; writes nothing. A request that cannot be
    read at all (unknown kind or student) raises as apply_change would."""
    with session.transaction() as conn:
        p = Planner(session, conn, req)
        if p.new_student:
            return plan_transfer_in(session, conn, p, dry_run=True)
        return p.evaluate()


def apply_change(session: Session, req: ChangeRequest) -> ChangeResult:
    """Record the change in one transaction, or raise Refused with every blocking finding (warnings
    refuse too unless ``req.acknowledge_warnings``) and write nothing."""
    with session.transaction() as conn:
        p = Planner(session, conn, req)
        plan = plan_transfer_in(session, conn, p, dry_run=False) if p.new_student else p.evaluate()
        refusing = list(plan.refusing)
        if plan.warnings and not req.acknowledge_warnings:
            refusing += [Finding(f.code, f.message + tr("change.ack_needed"), field=f.field, rule=f.rule,
                                 article=f.article, outcome=f.outcome) for f in plan.warnings]
        if refusing:
            raise Refused(refusing)
        return _write(session, conn, p, plan)


def _write(session: Session, conn, p: Planner, plan: ChangePlan) -> ChangeResult:
    req, facts = p.req, p.facts_
    sid = p.student["id"]
    user = session.user
    old_class = p.klass if not p.new_student else None
    new_class = p.target if (p.target and p.target.get("id")) else None
    details = {k: v for k, v in (req.details or {}).items() if v not in (None, "")}
    for k, v in (("to_school", req.to_school), ("from_school", req.from_school)):
        if v:
            details[k] = v
    if p.until:
        details["until"] = p.until.isoformat()
    if req.grade is not None:
        details["grade"] = req.grade
    if facts.auto:
        details["auto"] = True
    form = plan.form
    if form:
        details["form"] = form
    from_grade = (old_class or {}).get("grade")
    to_class_id = (new_class or {}).get("id") or (old_class or {}).get("id")
    to_grade = (new_class or old_class or {}).get("grade")
    eid = store.insert_event(conn, {
        "student_id": sid, "kind": req.kind, "transition": p.spec.get("transition", ""),
        "from_state": plan.from_state, "to_state": plan.to_state, "effective_date": p.date.isoformat(),
        "recorded_by": user, "reason": req.reason or "", "from_class_id": (old_class or {}).get("id"),
        "to_class_id": to_class_id, "from_grade": from_grade, "to_grade": to_grade, "details": details})
    # evidence: every listed document given or missing, plus anything else the registrar named
    ev_rows, named = [], set()
    for e in plan.required_evidence:
        g = evidence_given(facts.evidence, e["name"])
        if g is None:
            if e.get("any_of"):
                continue
            ev_rows.append({"name": e["name"], "how": "missing"})
        else:
            named.add(g)
            ev_rows.append(_evidence_row(e["name"], g))
    for g in facts.evidence:
        if g not in named:
            ev_rows.append(_evidence_row(g.split("@")[0], g))
    store.insert_evidence(conn, eid, ev_rows, user)
    store.insert_approvals(conn, eid, [a for a in req.approvals or [] if a.get("party")], user)
    # deadlines this change creates; close those it fulfils
    dl = [dict(d, student_id=sid, event_id=eid, due_date=d["due"], note=d.get("party", "")) for d in plan.deadlines]
    store.insert_deadlines(conn, dl)
    closes = list(p.spec.get("closes", []))
    if plan.to_state == p.spec.get("to"):
        closes += p.spec.get("closes_when_done", [])
    if closes:
        opened = [d for d in store.open_deadlines_of(conn, sid, closes) if d.get("event_id") != eid]
        store.close_deadlines(conn, [d["id"] for d in opened], user, tr("change.closed_by", kind=K.label(req.kind)))
    # sanctions
    if req.kind == "discipline":
        store.insert_sanction(conn, {"student_id": sid, "level": facts.level, "decided_on": p.date.isoformat(),
                                     "reason": req.reason or "", "event_id": eid})
    elif req.kind == "revoke-discipline":
        store.revoke_sanctions(conn, [s["id"] for s in facts.sanctions], p.date.isoformat(), eid)
    # the student's current state follows the latest event
    latest = store.latest_event(conn, sid)
    if latest and latest["id"] == eid:
        store.set_student_state(conn, sid, plan.to_state, new_class["id"] if new_class else None)
    hist = [{"student_id": sid, "entity": "student", "entity_id": sid, "action": "status", "field": "status",
             "old_value": plan.from_state, "new_value": plan.to_state, "changed_by": user,
             "reason": tr("change.history_reason", kind=K.label(req.kind), date=p.date.isoformat(),
                          reason=req.reason or "-"),
             "evidence_ref": tr("common.item_sep").join(facts.evidence), "batch": f"event-{eid}"}]
    if new_class and (old_class or {}).get("id") != new_class["id"] and not p.new_student:
        hist.append(dict(hist[0], field="class_id", old_value=str((old_class or {}).get("id") or ""),
                         new_value=str(new_class["id"])))
    q.insert_history(conn, hist)
    rows = []
    for f in plan.warnings:
        rows.append({"student_id": sid, "rule_id": f.rule, "article": f.article, "outcome": f.outcome,
                     "message": f.message, "decided_by": user,
                     "evidence_ref": tr("common.item_sep").join(facts.evidence)})
    for f in plan.overridden:
        ov = req.override
        rows.append({"student_id": sid, "rule_id": f.rule, "article": f.article, "outcome": f.outcome,
                     "message": f.message, "decided_by": user, "override_reason": ov.reason,
                     "approved_by": ov.approved_by, "evidence_ref": tr("common.item_sep").join(ov.evidence)})
    q.insert_findings(conn, rows)
    return ChangeResult(event_id=eid, student_id=sid, findings=plan.findings,
                        deadlines=[{"kind": d["kind"], "due": d["due"], "rule": d["rule"], "article": d["article"],
                                    "party": d.get("party", "")} for d in plan.deadlines],
                        from_state=plan.from_state, to_state=plan.to_state, effective_date=p.date,
                        warnings=plan.warnings, overridden=plan.overridden)




def _evidence_row(name: str, given: str) -> dict:
    how, sha = "in_folder", None
    if "@" in given:
        tail = given.split("@", 1)[1]
        if tail.startswith("attached"):
            how = "attached"
            sha = tail.split(":", 1)[1] if ":" in tail else None
    return {"name": name, "how": how, "file_sha256": sha, "note": given if given != name else ""}


def form_data(session: Session, event_id: int) -> dict:
    """What the change's form (转学联系表, 休学复学申请表, 退学申请表, 借读申请表, 出国（出境）申请表 …) shows:
    school, student, class, the event with its evidence and approvals; the printing templates fill it."""
    conn = session.conn
    e = store.event_row(conn, event_id)
    if e is None:
        raise NotFound(tr("change.event_not_found", id=event_id))
    e["details"] = json.loads(e["details"] or "{}")
    stu = q.get_student(conn, e["student_id"])
    k = (school_store.get_class(conn, e["from_class_id"] or stu["class_id"])
         if (e["from_class_id"] or stu["class_id"]) else None)
    return {"form": e["details"].get("form", ""), "school": session.school, "student": stu,
            "class_name": display_name(k) if k else "", "kind": e["kind"], "kind_name": K.label(e["kind"]),
            "from_state_name": st.name(e["from_state"]) if e["from_state"] else "",
            "to_state_name": st.name(e["to_state"]), "event": e,
            "evidence": store.evidence_of(conn, e["id"]), "approvals": store.approvals_of(conn, e["id"]),
            "deadlines": store.deadlines_of_event(conn, e["id"])}


def record_approval(session: Session, event_id: int, approval: dict) -> dict:
    """A party's decision that arrives after the change was recorded (the app tracks approvals, never grants
    them): one approval row; an ``approved`` decision closes that party's open ``party_response`` deadline."""
    party = (approval.get("party") or "").strip()
    decision = approval.get("decision") or "approved"
    if not party or decision not in DECISIONS:
        raise Refused([Finding("bad_approval", tr("change.bad_approval", decisions="|".join(DECISIONS)),
                               field=tr("change.field.approval"))])
    with session.transaction("approve") as conn:  # a 校领导 account records its own decision
        if store.event_row(conn, event_id) is None:
            raise NotFound(tr("change.event_not_found", id=event_id))
        row = dict(approval, party=party, decision=decision)
        store.insert_approvals(conn, int(event_id), [row], session.user)
        closed = []
        if decision == "approved":
            closed = [d["id"] for d in store.deadlines_of_event(conn, int(event_id))
                      if d["kind"] == "party_response" and d["note"] == party and not d["done_at"]]
            store.close_deadlines(conn, closed, session.user, tr("change.approved_by_party", party=party))
        return {"event_id": int(event_id), "party": party, "decision": decision, "closed_deadlines": closed}
