"""Status changes (学籍异动): plan (dry run: every finding, the evidence, approvals and deadlines) and apply
(one transaction: event + evidence + approvals + deadlines + the student's state/class + history + rule
decisions). The rules are the profile's ``change.<kind>`` rules, evaluated as of the effective date."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from app import status as st
from app.changes import kinds as K
from app.changes import store
from app.class_service import display_name
from app.errors import BLOCK, BLOCK_STAR, EVIDENCE, INVALID, NOTE_OUTCOME, WARN, Finding, NotFound, Refused
from app.i18n import tr
from app.rules.checks import STAGE_NAMES
from app.rules.checks_changes import add_years, evidence_given
from app.rules.engine import RuleContext, evaluate
from app.session import Session
from db import queries as q

DECISIONS = ("pending", "approved", "refused")


@dataclass
class ChangeRequest:
    kind: str
    student_id: int | None
    date: _dt.date | None = None
    reason: str = ""
    evidence: list[str] = field(default_factory=list)
    override: object | None = None            # app.student_service.Override
    approvals: list[dict] = field(default_factory=list)
    to_school: str = ""
    from_school: str = ""
    enrolled_since: _dt.date | None = None
    grade: int | None = None
    class_id: int | None = None
    details: dict = field(default_factory=dict)
    acknowledge_warnings: bool = False
    student: dict | None = None                # transfer-in: the incoming record (fields.json keys)
    members: list[dict] = field(default_factory=list)


@dataclass
class ChangePlan:
    kind: str
    student_id: int | None
    from_state: str
    to_state: str
    effective_date: _dt.date
    findings: list[Finding]
    required_evidence: list[dict]
    required_approvals: list[dict]
    deadlines: list[dict]
    form: str = ""
    refusing: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    overridden: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refusing


@dataclass
class ChangeResult:
    event_id: int
    student_id: int
    findings: list[Finding]
    deadlines: list[dict]
    from_state: str = ""
    to_state: str = ""
    effective_date: _dt.date | None = None
    warnings: list[Finding] = field(default_factory=list)
    overridden: list[Finding] = field(default_factory=list)


@dataclass
class ChangeFacts:
    """What the change checks look at (app/rules/checks_changes.py)."""
    kind: str
    kind_name: str
    available: bool
    allowed_from: list
    from_state: str
    to_state: str
    date: _dt.date
    semester: dict
    stage: str
    stage_group: str
    stage_name: str
    grade: int | None
    req_grade: int | None
    target_grade: int | None
    target_stage: str
    reason: str
    evidence: list[str]
    approvals: dict
    details: dict
    cause: str
    initiator: str
    auto: bool
    level: str
    weeks_continuous: float | None
    weeks_cumulative: float | None
    age: int | None
    sanctions: list[dict]
    until: _dt.date | None
    until_defaulted: bool
    current_until: _dt.date | None
    suspension_start: _dt.date | None
    suspension_events: int
    grade_at_suspension: int | None
    learned_on: _dt.date | None
    profile_name: str
    to_school: str = ""
    from_school: str = ""
    enrolled_since: _dt.date | None = None


class ChangeContext(RuleContext):
    pass


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
                                        "when": {k: v for k, v in r.params.items() if k in ("stages", "causes", "auto")}})
            elif r.check == "approvals_required":
                out["approvals"].append({"parties": list(r.params.get("parties", [])), "rule": r.id,
                                         "article": r.article})
    return out


# ------------------------------------------------------------------ reading
def state_on(session: Session, student_id: int, on: _dt.date) -> str | None:
    return store.state_on(session.conn, int(student_id), _d(on).isoformat())


def states_on(session: Session, on: _dt.date, student_ids=None) -> dict[int, str]:
    return store.states_on(session.conn, _d(on).isoformat(), student_ids)


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


def _d(v) -> _dt.date:
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
        return _d(v)
    except ValueError:
        bad.append(Finding("bad_date", tr("change.bad_date", value=v), field=fld))
        return None


# ------------------------------------------------------------------ planning
class _Plan:
    """Everything a plan needs, worked out inside a transaction (the apply path reuses it)."""

    def __init__(self, session: Session, conn, req: ChangeRequest):
        self.session, self.conn, self.req = session, conn, req
        self.profile = session.profile
        self.invalid: list[Finding] = []
        self.date = _d(req.date) if req.date else _dt.date.today()
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
        self.klass = q.get_class(conn, self.student["class_id"]) if self.student and self.student["class_id"] else None
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
        later = [e for e in self.events if e["effective_date"] > self.date.isoformat()
                 and e["kind"] not in ("enrol", "baseline")]
        if later:
            e = later[-1]
            self.invalid.append(Finding("later_event", tr("change.later_event", date=e["effective_date"],
                                                          kind=K.label(e["kind"])), field=tr("change.field.date")))

    def _target_class(self) -> dict | None:
        req = self.req
        cid = req.class_id
        if cid in (None, "") and self.new_student and req.student and req.student.get("class_code"):
            k = q.class_by_code(self.conn, str(req.student["class_code"]).strip())
            cid = k["id"] if k else None
        if cid not in (None, ""):
            k = q.get_class(self.conn, int(cid))
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
            until, defaulted = self._default_until(susp), True
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
            sanctions=store.sanctions_in_force(self.conn, self.student["id"], self.date.isoformat()) if self.student else [],
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
                since = _d(e["effective_date"])
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
            out["start"] = _d(chain[0]["effective_date"])
            u = chain[-1]["details"].get("until")
            out["until"] = _d(u) if u else None
            out["count"] = len(chain)
            out["grade"] = chain[0].get("from_grade")
            first = chain[0]
            out["cause"] = first["details"].get("cause") or K.cause_from_text(first.get("reason", ""))
        return out

    def _default_until(self, susp) -> _dt.date:
        years, school_years = 1, None
        for r in self.profile.rules_for(f"change.{self.req.kind}"):
            if r.check == "suspension_default":
                years = int(r.params.get("years", 1))
                school_years = r.params.get("school_years")
        base = self.date if self.req.kind == "suspend" else (susp["until"] or self.date)
        return add_years(base, int(school_years or years))

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
        from app.student_service import Lookup

        k = dict(t, display_name=display_name(t))
        ctx = RuleContext("student.place", record=dict(self.student), old=dict(self.student), klass=k,
                          school=self.session.school, lookup=Lookup(self.conn), student_id=self.student["id"],
                          today=self.date)
        return evaluate(self.profile, ctx)

    def _decide(self, found: list[Finding], facts: ChangeFacts) -> ChangePlan:
        req = self.req
        evidence, approvals, deadlines, findings = [], [], [], []
        refusing, warnings, notes, overridden = [], [], [], []
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
            if f.outcome == BLOCK_STAR:
                ov = req.override
                rule = self.profile.rule(f.rule)
                need = f.params.get("required_evidence") or (rule.params.get("override_evidence", ()) if rule else ())
                if ov is not None and ov.complete(need):
                    overridden.append(f)
                else:
                    lacking = ov.missing(need) if ov is not None else []
                    f.message += (tr("student.override_lacking", items=tr("common.list_sep").join(lacking))
                                  if lacking else tr("student.override_needed"))
                    refusing.append(f)
            elif f.outcome in (INVALID, BLOCK, EVIDENCE):
                refusing.append(f)
            elif f.outcome == WARN:
                warnings.append(f)
            elif f.outcome == NOTE_OUTCOME:
                notes.append(f)
        # the evidence list: every document the profile's evidence rules name, given or missing
        for r in self.profile.rules_for(f"change.{req.kind}"):
            if r.check != "evidence_required":
                continue
            from app.rules.checks_changes import _applies

            if not _applies(facts, r.params):
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


def plan_change(session: Session, req: ChangeRequest) -> ChangePlan:
    """Dry run: every finding, evidence, approval and deadline; writes nothing. A request that cannot be
    read at all (unknown kind or student) raises as apply_change would."""
    with session.transaction() as conn:
        p = _Plan(session, conn, req)
        if p.new_student:
            return _plan_transfer_in(session, conn, p, dry_run=True)
        plan = p.evaluate()
        conn.execute("SELECT 1")  # read-only: the transaction commits nothing
        return plan


class _Rollback(Exception):
    def __init__(self, value):
        self.value = value


def _plan_transfer_in(session, conn, p: _Plan, dry_run: bool):
    """A new student: the record is validated by the create path (in the same transaction, rolled back
    for a plan) so its findings join the change's."""
    from app.student_service import create_in_transaction

    req = p.req
    try:
        conn.execute("SAVEPOINT transfer_in")
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
            conn.execute("ROLLBACK TO transfer_in")
        conn.execute("RELEASE transfer_in")
        return plan
    except Exception:
        conn.execute("ROLLBACK TO transfer_in")
        conn.execute("RELEASE transfer_in")
        raise


def apply_change(session: Session, req: ChangeRequest) -> ChangeResult:
    """Record the change in one transaction, or raise Refused with every blocking finding (warnings
    refuse too unless ``req.acknowledge_warnings``) and write nothing."""
    with session.transaction() as conn:
        p = _Plan(session, conn, req)
        plan = _plan_transfer_in(session, conn, p, dry_run=False) if p.new_student else p.evaluate()
        refusing = list(plan.refusing)
        if plan.warnings and not req.acknowledge_warnings:
            refusing += [Finding(f.code, f.message + tr("change.ack_needed"), field=f.field, rule=f.rule,
                                 article=f.article, outcome=f.outcome) for f in plan.warnings]
        if refusing:
            raise Refused(refusing)
        return _write(session, conn, p, plan)


def _write(session: Session, conn, p: _Plan, plan: ChangePlan) -> ChangeResult:
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
    closes = _CLOSES.get(req.kind, ())
    if req.kind == "transfer-out" and plan.to_state == "transferred":
        closes = ("party_response",)
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
                     "message": f.message, "decided_by": user, "evidence_ref": tr("common.item_sep").join(facts.evidence)})
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


# which open deadlines a kind fulfils
_CLOSES = {
    "resume": ("suspension_expiry", "extension_window"),
    "extend-suspension": ("suspension_expiry", "extension_window"),
    "withdraw": ("suspension_expiry", "extension_window"),
    "death": ("suspension_expiry", "extension_window", "party_response"),
    "transfer-cancel": ("party_response",),
    "return": ("dropout_report",),
}


def _evidence_row(name: str, given: str) -> dict:
    how, sha = "in_folder", None
    if "@" in given:
        tail = given.split("@", 1)[1]
        if tail.startswith("attached"):
            how = "attached"
            sha = tail.split(":", 1)[1] if ":" in tail else None
    return {"name": name, "how": how, "file_sha256": sha, "note": given if given != name else ""}


def record_enrolment(conn, student_id: int, status: str, klass: dict | None, entry_ym: str = "",
                     user: str = "", batch: str = "") -> None:
    """The starting event of a new record (called by the create path in its own transaction): effective
    on the entry month's first day, else the class's entry year's first term start, never later than today."""
    store.insert_events(conn, [enrolment_event(student_id, status, klass, entry_ym, user, batch)])


def enrolment_event(student_id, status, klass, entry_ym="", user="", batch="") -> dict:
    today = _dt.date.today()
    eff = None
    if entry_ym and len(entry_ym) >= 6 and entry_ym[:6].isdigit():
        try:
            eff = _dt.date(int(entry_ym[:4]), int(entry_ym[4:6]), 1)
        except ValueError:
            eff = None
    if eff is None and klass and klass.get("entry_year"):
        eff = K.semester_of(_dt.date(int(klass["entry_year"]), 10, 1))["start"]
    if eff is None or eff > today:
        eff = today
    return {"student_id": student_id, "kind": "enrol", "transition": "T01", "from_state": "", "to_state": status,
            "effective_date": eff.isoformat(), "recorded_by": user, "from_class_id": None,
            "to_class_id": (klass or {}).get("id"), "to_grade": (klass or {}).get("grade"), "batch": batch}


def form_data(session: Session, event_id: int) -> dict:
    """What the change's form (转学联系表, 休学复学申请表, 退学申请表, 借读申请表, 出国（出境）申请表 …) shows:
    school, student, class, the event with its evidence and approvals; the printing templates fill it."""
    conn = session.conn
    r = conn.execute("SELECT * FROM status_events WHERE id = ?", (int(event_id),)).fetchone()
    if r is None:
        raise NotFound(tr("change.event_not_found", id=event_id))
    e = dict(r)
    import json

    e["details"] = json.loads(e["details"] or "{}")
    stu = q.get_student(conn, e["student_id"])
    k = q.get_class(conn, e["from_class_id"] or stu["class_id"]) if (e["from_class_id"] or stu["class_id"]) else None
    return {"form": e["details"].get("form", ""), "school": session.school, "student": stu,
            "class_name": display_name(k) if k else "", "kind": e["kind"], "kind_name": K.label(e["kind"]),
            "from_state_name": st.name(e["from_state"]) if e["from_state"] else "",
            "to_state_name": st.name(e["to_state"]), "event": e,
            "evidence": store.evidence_of(conn, e["id"]), "approvals": store.approvals_of(conn, e["id"]),
            "deadlines": store.deadlines_of_event(conn, e["id"])}
