"""Working out a status change: the student's state, class, grade, semester, suspension and sanctions on the
effective date, the profile's ``change.<kind>`` rules evaluated on them, and the decision (refusing, warnings,
evidence, approvals, deadlines). Runs inside the caller's transaction; writes nothing (a transfer-in's new
record is created in a savepoint the plan rolls back)."""
from __future__ import annotations

import datetime as _dt

from app.changes import kinds as K
from app.changes import store
from app.changes.model import ChangeFacts, ChangePlan, ChangeRequest
from app.school.classes import display_name
from app.core.errors import WARN, Finding, NotFound, Refused, triage
from app.core.i18n import tr
from app.rules.checks import STAGE_NAMES
from app.changes.checks import add_years, applies, evidence_given
from app.rules.engine import RuleContext, evaluate
from app.core.session import Session
from app.school import store as school_store
from app.students import store as q
from app.students.service import Lookup, create_in_transaction
from db.rows import Savepoint


class ChangeContext(RuleContext):
    """The engine's context for a ``change.<kind>`` event; ``change`` (ChangeFacts) and ``lookup_conn``
    (for working-day arithmetic) are set by the planner."""


def as_date(v) -> _dt.date:
    """A date from a date, a datetime or an ISO text."""
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    return _dt.date.fromisoformat(str(v))


def _age(birth: str, on: _dt.date) -> int | None:
    try:
        b = _dt.datetime.strptime(birth or "", "%Y%m%d").date()
    except ValueError:
        return None
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def _num(v):
    if v in (None, ""):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return int(f) if f.is_integer() else f


def _date_or_none(v, fld: str, bad: list) -> _dt.date | None:
    if v in (None, ""):
        return None
    try:
        return as_date(v)
    except ValueError:
        bad.append(Finding("bad_date", tr("change.bad_date", value=v), field=fld))
        return None


# ------------------------------------------------------------------ planning
class Planner:
    """Everything a plan needs, worked out inside a transaction (the apply path reuses it)."""

    def __init__(self, session: Session, conn, req: ChangeRequest):
        self.session, self.conn, self.req = session, conn, req
        self.profile = session.profile
        self.invalid: list[Finding] = []
        self.date = as_date(req.date) if req.date else _dt.date.today()
        spec = K.spec(req.kind)
        if spec is None:
            raise Refused([Finding("unknown_kind", tr("change.unknown_kind", kind=req.kind,
                                                        kinds=tr("common.list_sep").join(K.KINDS)),
                                   field=tr("change.field.kind"))])
        self.spec = spec
        self.student = None
        self.new_student = False
        if req.student_id is not None:
            self.student = q.get_student(conn, int(req.student_id))
            if self.student is None:
                raise NotFound(tr("student.not_found_id", ref=req.student_id))
        elif req.kind == "transfer-in":
            self.new_student = True
        else:
            raise Refused([Finding("required", tr("change.student_required"), field=tr("label.record"))])
        self.klass = (school_store.get_class(conn, self.student["class_id"])
                      if self.student and self.student["class_id"] else None)
        self.events = store.events_of(conn, self.student["id"]) if self.student else []
        self.from_state = self._state_on_date()
        self._check_order()
        self.target = self._target_class()

    def _state_on_date(self) -> str:
        if self.student is None:
            return ""
        s = store.state_on(self.conn, self.student["id"], self.date.isoformat())
        if s is None:
            # before the first event: a record whose starting event (enrol/baseline) is dated later than
            # the change (an entry date guessed late) is in that starting state
            first = self.events[0] if self.events else None
            s = first["to_state"] if first and first["kind"] in ("enrol", "baseline") else self.student["status"]
        return s

    def _check_order(self) -> None:
        """A change may not be dated before the student's latest event, nor before the record's starting
        event (enrolment, transfer-in): the state on every date, and students.status, must add up."""
        later = [e for e in self.events if e["effective_date"] > self.date.isoformat()]
        if not later:
            return
        e = later[-1]
        if e["kind"] in ("enrol", "baseline") and len(later) == len(self.events):
            msg = tr("change.before_start", date=e["effective_date"], kind=K.label(e["kind"]))
            self.invalid.append(Finding("before_start", msg, field=tr("change.field.date")))
        else:
            self.invalid.append(Finding("later_event", tr("change.later_event", date=e["effective_date"],
                                                          kind=K.label(e["kind"])), field=tr("change.field.date")))

    def _target_class(self) -> dict | None:
        req = self.req
        cid = req.class_id
        if cid in (None, "") and self.new_student and req.student and req.student.get("class_code"):
            k = school_store.class_by_code(self.conn, str(req.student["class_code"]).strip())
            cid = k["id"] if k else None
        if cid not in (None, ""):
            k = school_store.get_class(self.conn, int(cid))
            if k is None:
                self.invalid.append(Finding("unknown_class", tr("class.not_found", id=cid), field=tr("label.class")))
            return k
        if req.kind == "skip-grade" and req.grade is not None and self.klass:
            ks = store.classes_of_grade(self.conn, self.klass["stage"], int(req.grade))
            if not ks and _stage_of_grade(int(req.grade)) == self.klass["stage"]:
                self.invalid.append(Finding("no_class", tr("change.no_class_of_grade", grade=req.grade),
                                            field=tr("label.class")))
            if not ks:
                # the target grade may be in the next stage: the skip rule says why that is refused
                return {"id": None, "grade": int(req.grade), "stage": _stage_of_grade(int(req.grade)),
                        "number": 0, "entry_year": 0}
            return ks[0]
        if req.kind == "transfer-in" and self.new_student:
            self.invalid.append(Finding("required", tr("student.class_required"), field=tr("label.class")))
        return None

    # the facts the checks read
    def facts(self) -> ChangeFacts:
        req, det = self.req, dict(self.req.details or {})
        k = self.klass
        moving_in = self.req.kind in ("transfer-in",) or self.new_student
        place = self.target if (moving_in and self.target) else k
        stage = (place or {}).get("stage", "")
        grade = (place or {}).get("grade")
        target = self.target or k
        level = str(det.get("level", "") or "")
        auto = self._auto(det)
        susp = self._suspension()
        until = _date_or_none(det.get("until"), tr("change.field.until"), self.invalid)
        defaulted = False
        if until is None and req.kind in ("suspend", "extend-suspension"):
            until = self._default_until(susp)
            defaulted = until is not None
        self.until = until
        from_state = self.from_state
        to = K.to_state(req.kind, from_state, self.profile.chain, level=level, auto=auto,
                        in_progress=bool(det.get("in_progress")))
        self.to_state = to
        approvals = {}
        for a in req.approvals or []:
            approvals[a.get("party", "")] = a.get("decision", "pending")
        rec = self.student or (req.student or {})
        return ChangeFacts(
            kind=req.kind, kind_name=K.label(req.kind), available=K.available_in(req.kind, self.profile.chain),
            allowed_from=list(self.spec["from"]), from_state=from_state, to_state=to, date=self.date,
            semester=K.semester_of(self.date), stage=stage, stage_group=K.stage_group(stage),
            stage_name=STAGE_NAMES.get(stage, ""), grade=grade,
            req_grade=_num(req.grade) if req.kind in ("transfer-in", "jiedu-out") else None,
            target_grade=(target or {}).get("grade") if req.kind != "skip-grade" else (
                _num(req.grade) if req.grade is not None else (self.target or {}).get("grade")),
            target_stage=(self.target or {}).get("stage", ""),
            reason=req.reason or "", evidence=[e for e in (req.evidence or []) if e and str(e).strip()],
            approvals=approvals, details=det, cause=self._cause(det, susp),
            initiator=str(det.get("initiator", "") or "family"), auto=auto, level=level,
            weeks_continuous=_num(det.get("weeks_continuous")), weeks_cumulative=_num(det.get("weeks_cumulative")),
            age=_age(rec.get("birth_date", ""), self.date),
            sanctions=(store.sanctions_in_force(self.conn, self.student["id"], self.date.isoformat())
                       if self.student else []),
            until=until, until_defaulted=defaulted, current_until=susp["until"], suspension_start=susp["start"],
            suspension_events=susp["count"] if req.kind == "extend-suspension" else 0,
            grade_at_suspension=susp["grade"] if req.kind == "resume" and self.from_state == "suspended" else None,
            learned_on=_date_or_none(det.get("learned_on"), tr("change.field.date"), self.invalid),
            profile_name=self.profile.name, to_school=req.to_school or "", from_school=req.from_school or "",
            enrolled_since=self._enrolled_since())

    def _enrolled_since(self) -> _dt.date | None:
        """When the student came to this school: the last enrol / transfer-in / baseline event."""
        since = None
        for e in self.events:
            if e["kind"] in ("enrol", "transfer-in", "baseline") and e["effective_date"] <= self.date.isoformat():
                since = as_date(e["effective_date"])
        return since

    def _cause(self, det, susp) -> str:
        if det.get("cause"):
            return str(det["cause"])
        c = K.cause_from_text(self.req.reason or "")
        if not c and self.req.kind in ("resume", "extend-suspension"):
            c = susp.get("cause", "")  # the suspension's own cause (e.g. illness → recovery certificate)
        return c

    def _auto(self, det) -> bool:
        if self.req.kind != "withdraw":
            return False
        return bool(det.get("auto")) or det.get("weeks_continuous") not in (None, "") or \
            det.get("weeks_cumulative") not in (None, "")

    def _suspension(self) -> dict:
        """The suspension in progress on the effective date: when it began, its current end, how many
        suspension events (first + extensions) it has, and the grade at its start."""
        out = {"start": None, "until": None, "count": 0, "grade": None, "cause": ""}
        chain = []
        for e in self.events:
            if e["effective_date"] > self.date.isoformat():
                break
            if e["to_state"] == "suspended" and e["kind"] in ("suspend", "extend-suspension"):
                if e["kind"] == "suspend":
                    chain = []
                chain.append(e)
            elif e["to_state"] != "suspended":
                chain = []
        if chain:
            out["start"] = as_date(chain[0]["effective_date"])
            u = chain[-1]["details"].get("until")
            out["until"] = as_date(u) if u else None
            out["count"] = len(chain)
            out["grade"] = chain[0].get("from_grade")
            first = chain[0]
            out["cause"] = first["details"].get("cause") or K.cause_from_text(first.get("reason", ""))
        return out

    def _default_until(self, susp) -> _dt.date | None:
        """The end of a suspension given without one: the profile's ``suspension_default`` length (``years``
        or ``school_years``) from its start (an extension: from the current end); None without such a rule."""
        rule = next((r for r in self.profile.rules_for(f"change.{self.req.kind}") if r.check == "suspension_default"),
                    None)
        if rule is None:
            return None
        base = self.date if self.req.kind == "suspend" else (susp["until"] or self.date)
        return add_years(base, int(rule.params.get("school_years") or rule.params["years"]))

    def evaluate(self) -> ChangePlan:
        facts = self.facts()
        ctx = ChangeContext(f"change.{self.req.kind}", record=self.student or dict(self.req.student or {}),
                            klass=self.target or self.klass, school=self.session.school, reason=self.req.reason,
                            evidence=facts.evidence, today=_dt.date.today(),
                            student_id=self.student["id"] if self.student else None)
        ctx.change = facts
        ctx.lookup_conn = self.conn
        self.facts_ = facts
        found = list(self.invalid) + evaluate(self.profile, ctx) + self._placement_findings()
        return self._decide(found, facts)

    def _placement_findings(self) -> list[Finding]:
        """A student put into another class (resume, return, skip-grade …) meets the class rules of the
        profile (``student.place``: capacity, class size), as an edit moving the student would."""
        t = self.target
        if self.new_student or not t or not t.get("id") or (self.klass or {}).get("id") == t["id"]:
            return []
        k = dict(t, display_name=display_name(t))
        ctx = RuleContext("student.place", record=dict(self.student), old=dict(self.student), klass=k,
                          school=self.session.school, lookup=Lookup(self.conn), student_id=self.student["id"],
                          today=self.date)
        return evaluate(self.profile, ctx)

    def _decide(self, found: list[Finding], facts: ChangeFacts) -> ChangePlan:
        req = self.req
        evidence, approvals, deadlines, findings = [], [], [], []
        seen_docs = set()
        for f in found:
            code = f.code
            if code == "approval":
                approvals.append({"party": f.params["party"], "decision": f.params.get("decision") or "",
                                  "rule": f.rule, "article": f.article})
                continue
            if code == "deadline":
                deadlines.append({"kind": f.params["deadline_kind"], "due": f.params["due"], "rule": f.rule,
                                  "article": f.article, "per_party": f.params.get("per_party", False),
                                  "message": f.message})
                continue
            findings.append(f)

        def gap(f):
            if req.override is None:
                return None
            rule = self.profile.rule(f.rule)
            need = f.params.get("required_evidence") or (rule.params.get("override_evidence", ()) if rule else ())
            return req.override.missing(need)

        refusing, warnings, notes, overridden = triage(findings, gap)
        # the evidence list: every document the profile's evidence rules name, given or missing
        for r in self.profile.rules_for(f"change.{req.kind}"):
            if r.check != "evidence_required":
                continue
            if not applies(facts, r.params):
                continue
            for doc in r.params.get("documents", []):
                if doc in seen_docs:
                    continue
                seen_docs.add(doc)
                g = evidence_given(facts.evidence, doc)
                evidence.append({"name": doc, "given": g is not None,
                                 "how": ("attached" if g and "@attached" in g else "in_folder") if g else "missing",
                                 "rule": r.id, "article": r.article, "any_of": bool(r.params.get("any_of"))})
        # one party_response per party whose decision is not yet "approved"
        out_deadlines = []
        for d in deadlines:
            if d["per_party"]:
                for a in approvals:
                    if a["decision"] != "approved":
                        out_deadlines.append({"kind": d["kind"], "due": d["due"], "rule": d["rule"],
                                              "article": d["article"], "party": a["party"]})
            else:
                out_deadlines.append({"kind": d["kind"], "due": d["due"], "rule": d["rule"], "article": d["article"],
                                      "party": ""})
        if warnings and not req.acknowledge_warnings:
            pass  # a plan shows them; apply refuses unless acknowledged
        return ChangePlan(kind=req.kind, student_id=self.student["id"] if self.student else None,
                          from_state=self.from_state, to_state=self.to_state, effective_date=self.date,
                          findings=findings, required_evidence=evidence, required_approvals=approvals,
                          deadlines=out_deadlines, form=K.form_for(req.kind, self.profile.chain),
                          refusing=refusing, warnings=warnings, notes=notes, overridden=overridden)


def _stage_of_grade(g: int) -> str:
    return "primary" if g <= 6 else "junior" if g <= 9 else "senior"


def plan_transfer_in(session, conn, p: Planner, dry_run: bool):
    """A new student: the record is validated by the create path (in the same transaction, rolled back
    for a plan) so its findings join the change's."""
    req = p.req
    with Savepoint(conn, "transfer_in") as sp:
        extra: list[Finding] = []
        sid = None
        try:
            data = {k: v for k, v in (req.student or {}).items() if k != "class_code"}
            res = create_in_transaction(session, conn, data, list(req.members or []),
                                        class_id=p.target["id"] if p.target else None,
                                        reason=req.reason, evidence=req.evidence,
                                        overrides={"*": req.override} if req.override else None,
                                        status="enrolled", action="create", enrol_event=False)
            sid = res.id
            extra = list(res.warnings)
        except Refused as e:
            extra = list(e.findings)
        p.student = q.get_student(conn, sid) if sid else None
        p.klass = p.target
        plan = p.evaluate()
        for f in extra:
            plan.findings.insert(0, f)
            if f.refuses:
                plan.refusing.insert(0, f)
            elif f.outcome == WARN:
                plan.warnings.insert(0, f)
        plan.from_state = ""
        if dry_run:
            plan.student_id = None
            sp.rollback()
        return plan
