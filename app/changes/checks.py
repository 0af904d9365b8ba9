"""Rule checks for status changes (学籍异动): general functions ``check(ctx, params) -> list[dict]`` whose
numbers and lists come from the rule's params (resources/rules/changes/<profile>.toml).

``ctx.change`` is an app.changes.model.ChangeFacts: the kind, the student's state, stage and grade on
the effective date, the semester, the suspension in progress, sanctions in force, the request's details.
Common params that narrow where a rule applies (see ``applies``): ``stages`` (compulsory, senior,
primary, junior), ``from_states``, ``to_states``, ``causes``, ``not_causes``, ``levels``, ``auto`` (automatic
withdrawal only), ``in_province_only``, ``when`` (details the request must carry, e.g. ``{ hukou_unchanged = true }``).
"""
from __future__ import annotations

import datetime as _dt

from app.students import status as st
from app.core.i18n import Names, tr
from app.core.workdays import add_months, add_working_days  # noqa: F401 (the checks' date arithmetic)

SEMESTERS = Names({1: "change.semester.first", 2: "change.semester.second"})


def _sep() -> str:
    return tr("common.item_sep")


def applies(c, params) -> bool:
    stages = params.get("stages")
    if stages and c.stage not in stages and c.stage_group not in stages:
        return False
    if params.get("from_states") and c.from_state not in params["from_states"]:
        return False
    if params.get("causes") and c.cause not in params["causes"]:
        return False
    if params.get("not_causes") and c.cause in params["not_causes"]:
        return False
    if params.get("to_states") and c.to_state not in params["to_states"]:
        return False
    if params.get("levels") and c.level not in params["levels"]:
        return False
    if "auto" in params and bool(params["auto"]) != c.auto:
        return False
    if params.get("in_province_only") and c.details.get("cross_province"):
        return False
    if "initiator" in params and c.initiator != params["initiator"]:
        return False
    for key, want in (params.get("when") or {}).items():  # facts of the request: details[key] == want
        if bool(c.details.get(key)) != bool(want) if isinstance(want, bool) else c.details.get(key) != want:
            return False
    return True


def _iso(d) -> str:
    return d.isoformat() if d else ""


def add_years(d: _dt.date, n: int) -> _dt.date:
    """Same day-of-month n years later, clamped to the month's end (rules-digest §0.4)."""
    return add_months(d, 12 * n)


# ------------------------------------------------------------------ states and availability
def kind_in_profile(ctx, params):
    c = ctx.change
    if c.available:
        return []
    return [{"kind_name": c.kind_name, "profile": c.profile_name, "_field": tr("change.field.kind"),
             "_code": "kind_not_in_profile"}]


def transition_allowed(ctx, params):
    c = ctx.change
    if c.from_state in c.allowed_from:
        return []
    allowed = _sep().join(st.name(s) if s else tr("change.state.new") for s in c.allowed_from)
    return [{"state": st.name(c.from_state) if c.from_state else tr("change.state.new"), "kind_name": c.kind_name,
             "allowed": allowed, "_field": tr("label.status"), "_code": "transition_not_allowed"}]


def state_forbidden(ctx, params):
    c = ctx.change
    if not applies(c, params) or c.from_state not in params.get("states", []):
        return []
    return [{"state": st.name(c.from_state), "kind_name": c.kind_name, "_field": tr("label.status"),
             "_code": "state_forbidden"}]


def sanction_in_force(ctx, params):
    c = ctx.change
    if not applies(c, params):
        return []
    return [{"level": s["level"], "decided_on": s["decided_on"], "_field": tr("change.field.discipline"),
             "_code": "under_sanction"} for s in c.sanctions]


# ------------------------------------------------------------------ grades, semesters, windows
def grade_semester(ctx, params):
    """The grade (on the effective date) is one of ``grades`` and the semester one of ``semesters``."""
    c = ctx.change
    if not applies(c, params) or c.grade is None:
        return []
    if c.grade not in params.get("grades", []) or c.semester["no"] not in params.get("semesters", [1, 2]):
        return []
    return [{"grade": c.grade, "semester": SEMESTERS.get(c.semester["no"], str(c.semester["no"])),
             "_field": tr("label.grade"), "_code": "grade_semester"}]


def transfer_window(ctx, params):
    """Within the first ``after_start`` (months or working days) of a term, or the last ``before_end_months``
    before its end (``"term"``: any day before the end, the literal reading); vacations are open unless
    ``vacation_ok`` is false."""
    c = ctx.change
    if not applies(c, params):
        return []
    sem, d = c.semester, c.date
    if not sem["in_term"]:
        if params.get("vacation_ok", True):
            return []
    else:
        after = params.get("after_start", {})
        if "working_days" in after:
            open_until = add_working_days(ctx.lookup_conn, sem["start"], int(after["working_days"]))
        else:
            open_until = add_months(sem["start"], int(after.get("months", 0)))
        if d <= open_until:
            return []
        months = params.get("before_end_months")
        if months == "term":  # "学期结束前" read literally: any day of the term (rules-digest §5 item 10)
            return []
        if months is not None and d >= add_months(sem["end"], -int(months)):
            return []
    return [{"date": _iso(d), "start": _iso(sem["start"]), "end": _iso(sem["end"]),
             "_field": tr("change.field.date"), "_code": "outside_window"}]


def grade_unchanged(ctx, params):
    """The grade the student had (transfer-in: at the other school; 借读: the host school's grade in
    ``req.grade``) equals the grade here."""
    c = ctx.change
    if not applies(c, params) or c.req_grade is None or c.grade is None:
        return []
    if int(c.req_grade) == int(c.grade):
        return []
    return [{"from_grade": c.req_grade, "to_grade": c.grade, "_field": tr("label.grade"), "_code": "grade_changed"}]


def skip_grade(ctx, params):
    c = ctx.change
    if not applies(c, params):
        return []
    step = int(params["step"])
    target, target_stage = c.target_grade, c.target_stage
    if target is not None and target == (c.grade or 0) + step and target_stage == c.stage:
        return []
    return [{"grade": c.grade, "target": target if target is not None else "?", "step": step - 1,
             "_field": tr("label.grade"), "_code": "skip_not_allowed"}]


def stage_only(ctx, params):
    """The kind exists only for ``allowed`` stages (e.g. 普通高中 → 中职 only from senior)."""
    c = ctx.change
    allowed = params.get("allowed", [])
    if not applies(c, params) or not allowed or c.stage in allowed or c.stage_group in allowed:
        return []
    return [{"kind_name": c.kind_name, "stage_name": c.stage_name, "_field": tr("label.grade"),
             "_code": "stage_not_allowed"}]


# ------------------------------------------------------------------ suspension
def suspension_max(ctx, params):
    """A continuous suspension may not end later than ``max_years`` after it began (the day itself allowed)."""
    c = ctx.change
    if not applies(c, params) or not c.until:
        return []
    start = c.suspension_start or c.date
    limit = add_years(start, int(params["max_years"]))
    if c.until <= limit:
        return []
    return [{"start": _iso(start), "until": _iso(c.until), "limit": _iso(limit),
             "max_years": params["max_years"],
             "_field": tr("change.field.until"), "_code": "suspension_too_long"}]


def suspension_count(ctx, params):
    """Count the suspension events of the current chain (the first suspension and each extension)."""
    c = ctx.change
    if not applies(c, params):
        return []
    n = c.suspension_events + 1
    if "max_extensions" in params and n - 1 > int(params["max_extensions"]):
        return [{"count": n - 1, "max": params["max_extensions"], "_field": tr("change.field.until"),
                 "_code": "too_many_extensions"}]
    if "max_suspensions" in params and n > int(params["max_suspensions"]):
        return [{"count": n, "max": params["max_suspensions"], "_field": tr("change.field.until"),
                 "_code": "too_many_suspensions"}]
    return []


def suspension_default(ctx, params):
    """Shows the default end the service gave a suspension without ``until`` (``years`` or ``school_years``)."""
    c = ctx.change
    if not c.until_defaulted:
        return []
    return [{"until": _iso(c.until), "_field": tr("change.field.until"), "_code": "suspension_default"}]


def extension_window(ctx, params):
    """An extension is applied for within ``months_before`` months before the suspension ends."""
    c = ctx.change
    if not applies(c, params) or not c.current_until:
        return []
    opens = add_months(c.current_until, -int(params["months_before"]))
    if opens <= c.date <= c.current_until:
        return []
    return [{"date": _iso(c.date), "opens": _iso(opens), "until": _iso(c.current_until),
             "_field": tr("change.field.date"), "_code": "extension_outside_window"}]


def suspension_not_expired(ctx, params):
    """The suspension in progress has not ended by the effective date (e.g. an automatic withdrawal for not
    returning needs the end to have passed)."""
    c = ctx.change
    if not applies(c, params) or c.from_state != "suspended":
        return []
    if c.current_until and c.date > c.current_until:
        return []
    return [{"date": _iso(c.date), "until": _iso(c.current_until) if c.current_until else "-",
             "_field": tr("change.field.date"), "_code": "suspension_not_expired"}]


def early_resume(ctx, params):
    c = ctx.change
    if not applies(c, params) or c.from_state != "suspended" or not c.current_until or c.date >= c.current_until:
        return []
    return [{"date": _iso(c.date), "until": _iso(c.current_until), "_field": tr("change.field.date"),
             "_code": "early_resume"}]


def resume_grade(ctx, params):
    """The grade on return minus the grade at suspension is one of ``offsets``."""
    c = ctx.change
    if not applies(c, params) or c.grade_at_suspension is None or c.target_grade is None:
        return []
    if c.target_grade - c.grade_at_suspension in params.get("offsets", [0]):
        return []
    docs = params.get("unless_evidence", [])
    if docs and any(evidence_given(c.evidence, d) for d in docs):
        return []
    return [{"grade": c.grade_at_suspension, "target": c.target_grade, "_field": tr("label.grade"),
             "_code": "resume_grade"}]


# ------------------------------------------------------------------ withdrawal, dropout, discipline
def initiator_is(ctx, params):
    c = ctx.change
    if not applies(c, params) or c.initiator != params.get("who", "school"):
        return []
    return [{"kind_name": c.kind_name, "_field": tr("change.field.initiator"), "_code": "initiator"}]


def cause_allowed(ctx, params):
    """The cause (``details.cause``, or found in the reason by ``keywords``) is one of ``allowed``."""
    c = ctx.change
    if not applies(c, params):
        return []
    from app.changes.kinds import cause_name

    if c.cause in params.get("allowed", []):
        return []
    return [{"allowed": _sep().join(cause_name(a) for a in params.get("allowed", [])),
             "cause": cause_name(c.cause) if c.cause else (c.reason or tr("label.empty")),
             "_field": tr("change.field.reason"), "_code": "cause_not_allowed"}]


def always(ctx, params):
    """Hits whenever the rule applies (its filters hold): e.g. a kind that needs an override in principle."""
    c = ctx.change
    if not applies(c, params):
        return []
    return [{"kind_name": c.kind_name, "_field": tr("change.field.kind"), "_code": "needs_override"}]


def weeks_threshold(ctx, params):
    """Absence thresholds: met if ``continuous_gt``/``continuous_gte`` or ``cumulative_gt``/``cumulative_gte``
    holds (each given bound counts; the rule is met when any holds)."""
    c = ctx.change
    if not applies(c, params):
        return []
    cont, cum = c.weeks_continuous, c.weeks_cumulative
    tests = []
    if "continuous_gt" in params:
        tests.append(cont is not None and cont > params["continuous_gt"])
    if "continuous_gte" in params:
        tests.append(cont is not None and cont >= params["continuous_gte"])
    if "cumulative_gt" in params:
        tests.append(cum is not None and cum > params["cumulative_gt"])
    if "cumulative_gte" in params:
        tests.append(cum is not None and cum >= params["cumulative_gte"])
    if any(tests):
        return []
    return [{"continuous": cont if cont is not None else "-", "cumulative": cum if cum is not None else "-",
             "_field": tr("change.field.weeks"), "_code": "weeks_not_met"}]


def level_allowed(ctx, params):
    """The discipline level is in the list for the student's stage (``compulsory``/``senior`` keys)."""
    c = ctx.change
    if not applies(c, params):
        return []
    allowed = params.get(c.stage_group) or params.get(c.stage)
    if allowed is None or c.level in allowed:
        return []
    return [{"level": c.level or tr("label.empty"), "stage_name": c.stage_name, "allowed": _sep().join(allowed),
             "_field": tr("change.field.level"), "_code": "level_not_allowed"}]


def level_forbidden(ctx, params):
    c = ctx.change
    if not applies(c, params) or c.level not in params.get("levels", []):
        return []
    return [{"level": c.level, "stage_name": c.stage_name, "_field": tr("change.field.level"),
             "_code": "level_forbidden"}]


def keep_xj_away(ctx, params):
    """A student away from school (missing, detained) keeps the 学籍: ``minors_only``/``adults_only``
    narrow it by age on the effective date (``adult_age``)."""
    c = ctx.change
    if not applies(c, params) or c.from_state not in params.get("states", ["away_kept"]):
        return []
    if params.get("minors_only") and (c.age is None or c.age >= int(params["adult_age"])):
        return []
    if params.get("adults_only") and (c.age is None or c.age < int(params["adult_age"])):
        return []
    return [{"kind_name": c.kind_name, "age": c.age if c.age is not None else "-", "_field": tr("label.status"),
             "_code": "keep_xj"}]


def flag_set(ctx, params):
    """A yes/no fact of the request (``flag`` in details, e.g. same_county, from_vocational), or — with
    ``field`` and ``keywords`` — a request text containing one of the words."""
    c = ctx.change
    if not applies(c, params):
        return []
    hit = bool(c.details.get(params.get("flag", ""), False))
    text = str(getattr(c, params["field"], "") or "") if params.get("field") else ""
    if not hit and text and any(w in text for w in params.get("keywords", [])):
        hit = True
    if not hit:
        return []
    return [{"text": text, "_field": tr("change.field.kind"), "_code": "flag"}]


def number_threshold(ctx, params):
    """A number of the request (``key`` in details, e.g. sick_days) passes ``gt``/``gte``; ``missing`` says
    whether an absent number hits ("hit") or not ("skip", the default)."""
    c = ctx.change
    if not applies(c, params):
        return []
    v = c.details.get(params.get("key", ""))
    try:
        v = float(v) if v not in (None, "") else None
    except (TypeError, ValueError):
        v = None
    if v is None:
        if params.get("missing", "skip") != "hit":
            return []
    elif ("gt" not in params or v > params["gt"]) and ("gte" not in params or v >= params["gte"]):
        return []
    shown = "-" if v is None else (int(v) if v.is_integer() else v)
    return [{"value": shown, "_field": tr("change.field.kind"), "_code": "threshold_not_met"}]


def enrolled_a_semester(ctx, params):
    """The student came to this school before the current semester began (has completed one)."""
    c = ctx.change
    if not applies(c, params) or c.enrolled_since is None or c.enrolled_since < c.semester["start"]:
        return []
    return [{"since": _iso(c.enrolled_since), "_field": tr("change.field.date"), "_code": "enrolled_too_short"}]


def retroactive(ctx, params):
    """The change takes effect in an earlier semester than the one it is applied for in (``details.applied_on``;
    without it the rule does not apply: a registrar catching up records past changes)."""
    c = ctx.change
    applied = c.details.get("applied_on")
    if not applies(c, params) or not applied:
        return []
    from app.changes.kinds import semester_of

    try:
        applied_d = _dt.date.fromisoformat(str(applied))
    except ValueError:
        return []
    if c.semester["start"] >= semester_of(applied_d)["start"]:
        return []
    return [{"date": _iso(c.date), "applied_on": _iso(applied_d), "_field": tr("change.field.date"),
             "_code": "retroactive"}]


def party_refused(ctx, params):
    """One of ``parties`` (any, when not given) recorded a refusal on the request."""
    c = ctx.change
    if not applies(c, params):
        return []
    parties = params.get("parties")
    return [{"party": p, "_field": tr("change.field.approval"), "_code": "party_refused"}
            for p, decision in c.approvals.items() if decision == "refused" and (not parties or p in parties)]


def reason_required(ctx, params):
    c = ctx.change
    if not applies(c, params) or c.reason.strip():
        return []
    return [{"kind_name": c.kind_name, "_field": tr("change.field.reason"), "_code": "reason_required"}]


# ------------------------------------------------------------------ evidence, approvals, deadlines
def _norm(s: str) -> str:
    return "".join(ch for ch in s.split("@")[0] if ch.isalnum())


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def evidence_given(given: list[str], name: str) -> str | None:
    """The entry of ``given`` that stands for the document ``name``, ignoring brackets and punctuation: the
    same name, an entry containing it ("护照复印件" for "护照"), a part of it of 4 characters or more
    ("退学申请表"), or the shorter's characters in order in the longer when it has at least 3 characters and
    half the longer's length ("死亡证明" for "死亡相关证明"); else None."""
    want = _norm(name)
    for g in given:
        n = _norm(g)
        if not n:
            continue
        if n == want or want in n:  # the entry names the document (more precisely)
            return g
        if len(n) >= 4 and n in want:  # a shorter name of it ("退学申请表")
            return g
        short, long = sorted((n, want), key=len)
        if len(short) >= 3 and 2 * len(short) >= len(long) and _subsequence(short, long):
            return g
    return None


def evidence_required(ctx, params):
    """Each of ``documents`` is given (``any_of``: at least one of them)."""
    c = ctx.change
    if not applies(c, params):
        return []
    docs = list(params.get("documents", []))
    missing = [d for d in docs if evidence_given(c.evidence, d) is None]
    if params.get("any_of"):
        if len(missing) < len(docs):
            return []
        return [{"document": tr("change.any_of", items=_sep().join(docs)), "documents": docs, "any_of": True,
                 "_field": tr("rules.evidence"), "_code": "evidence_missing"}]
    return [{"document": d, "documents": [d], "_field": tr("rules.evidence"), "_code": "evidence_missing"}
            for d in missing]


def approvals_required(ctx, params):
    """The parties whose decision the change needs (recorded, never granted by the app)."""
    c = ctx.change
    if not applies(c, params):
        return []
    out = []
    for p in params.get("parties", []):
        got = c.approvals.get(p)
        out.append({"party": p, "decision": got or "", "_field": tr("change.field.approval"), "_code": "approval"})
    return out


def deadline(ctx, params):
    """A due date: ``working_days`` or ``months`` after ``from`` (date, learned_on, until); ``months`` may be
    negative (before). ``per_party``: one per party without an approved decision (the service expands it)."""
    c = ctx.change
    if not applies(c, params):
        return []
    base = {"date": c.date, "learned_on": c.learned_on or c.date, "until": c.until or c.current_until}.get(
        params.get("from", "date"))
    if base is None:
        return []
    if "working_days" in params:
        due = add_working_days(ctx.lookup_conn, base, int(params["working_days"]))
    else:
        due = add_months(base, int(params.get("months", 0)))
    return [{"deadline_kind": params["kind"], "due": _iso(due), "per_party": bool(params.get("per_party")),
             "_field": tr("change.field.deadline"), "_code": "deadline"}]


def late_report(ctx, params):
    """The change is recorded after its due date (``working_days`` after ``from``)."""
    c = ctx.change
    if not applies(c, params):
        return []
    base = c.learned_on or c.date
    due = add_working_days(ctx.lookup_conn, base, int(params["working_days"]))
    if ctx.today <= due:
        return []
    return [{"due": _iso(due), "learned_on": _iso(base), "_field": tr("change.field.date"), "_code": "late"}]


CHECKS = {f.__name__: f for f in (
    kind_in_profile, transition_allowed, state_forbidden, sanction_in_force, grade_semester, transfer_window,
    grade_unchanged, skip_grade, stage_only, suspension_max, suspension_count, suspension_default,
    extension_window, early_resume, resume_grade, initiator_is, cause_allowed, weeks_threshold, level_allowed,
    level_forbidden, keep_xj_away, flag_set, reason_required, evidence_required, approvals_required, deadline,
    late_report, always, number_threshold, enrolled_a_semester, retroactive,
    suspension_not_expired, party_refused,
)}
