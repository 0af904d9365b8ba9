"""``xueji`` verbs for status changes (学籍异动) and a student's state — exit codes and JSON as in docs/cli.md.

``xueji change KIND STUDENT …`` → app.changes.service.apply_change (warnings accepted and listed);
``xueji student state STUDENT [--on D]`` → app.changes.service.state_on and the student's events."""
from __future__ import annotations

import argparse
import datetime as _dt

from app.cli.common import findings_json, open_session, read_json
from app.core.errors import Finding, Refused, UsageError
from app.core.i18n import tr


def _date(text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text.strip())
    except ValueError:
        try:
            return _dt.datetime.strptime(text.strip(), "%Y%m%d").date()
        except ValueError:
            raise argparse.ArgumentTypeError(tr("xcli.change.bad_date", value=text)) from None


def _number(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("xcli.change.bad_number", value=text)) from None
    if v < 0:
        raise argparse.ArgumentTypeError(tr("xcli.change.bad_number", value=text))
    return int(v) if v.is_integer() else v


def register(reg) -> None:
    from app.changes.kinds import KINDS

    sp = reg.verb("change", cmd_change)
    sp.add_argument("kind", metavar="KIND", choices=list(KINDS),
                    help=tr("xcli.help.change_kind", kinds=", ".join(KINDS)))
    sp.add_argument("student", metavar="STUDENT", help=tr("xcli.help.change_student"))
    sp.add_argument("--date", type=_date, default=None, help=tr("xcli.help.change_date"))
    sp.add_argument("--reason", default="", help=tr("xcli.help.reason"))
    sp.add_argument("--evidence", action="append", default=[], help=tr("xcli.help.change_evidence"))
    sp.add_argument("--override-reason", default="", help=tr("xcli.help.override_reason"))
    sp.add_argument("--approved-by", default="", help=tr("xcli.help.approved_by"))
    sp.add_argument("--to-school", default="", help=tr("xcli.help.change_to_school"))
    sp.add_argument("--from-school", default="", help=tr("xcli.help.change_from_school"))
    sp.add_argument("--grade", type=int, default=None, help=tr("xcli.help.change_grade"))
    sp.add_argument("--class-id", type=int, default=None, help=tr("xcli.help.change_class"))
    sp.add_argument("--until", type=_date, default=None, help=tr("xcli.help.change_until"))
    sp.add_argument("--level", default="", help=tr("xcli.help.change_level"))
    sp.add_argument("--weeks-continuous", type=_number, default=None, help=tr("xcli.help.change_weeks_continuous"))
    sp.add_argument("--weeks-cumulative", type=_number, default=None, help=tr("xcli.help.change_weeks_cumulative"))
    sp.add_argument("--initiator", choices=["family", "school"], default=None, help=tr("xcli.help.change_initiator"))
    sp.add_argument("--cause", default="", help=tr("xcli.help.change_cause"))
    sp.add_argument("--learned-on", type=_date, default=None, help=tr("xcli.help.change_learned_on"))
    sp.add_argument("--in-progress", action="store_true", help=tr("xcli.help.change_in_progress"))
    sp.add_argument("--cross-province", action="store_true", help=tr("xcli.help.change_cross_province"))
    sp.add_argument("--from-vocational", action="store_true", help=tr("xcli.help.change_from_vocational"))
    sp.add_argument("--same-area", action="store_true", help=tr("xcli.help.change_same_area"))
    sp.add_argument("--detail", action="append", default=[], metavar="KEY=VALUE", help=tr("xcli.help.change_detail"))
    sp.add_argument("--approval", action="append", default=[], metavar="PARTY:DECISION:BY:DATE:DOCNO",
                    help=tr("xcli.help.change_approval"))
    sp.add_argument("--from-json", default=None, metavar="FILE", help=tr("xcli.help.change_from_json"))
    sp.add_argument("--dry-run", action="store_true", help=tr("xcli.help.change_dry_run"))
    sp = reg.verb("approval", cmd_approval)
    sp.add_argument("event", metavar="EVENT", type=int, help=tr("xcli.help.approval_event"))
    sp.add_argument("approval", metavar="PARTY:DECISION:BY:DATE:DOCNO", help=tr("xcli.help.change_approval"))
    sp = reg.action("student", "state", tr("xcli.help.student_state"), cmd_student_state)
    sp.add_argument("student", metavar="STUDENT", help=tr("xcli.help.student_ref"))
    sp.add_argument("--on", type=_date, default=None, help=tr("xcli.help.student_state_on"))


def _approval(text: str) -> dict:
    from app.changes.model import DECISIONS

    parts = (text.split(":") + ["", "", "", "", ""])[:5]
    party, decision, by, on, doc = (p.strip() for p in parts)
    decision = decision or "approved"
    if not party or decision not in DECISIONS:
        raise UsageError(tr("xcli.change.bad_approval", value=text, decisions="|".join(DECISIONS)))
    if on:
        on = _date(on).isoformat() if on else ""
    return {"party": party, "decision": decision, "decided_by": by, "decided_on": on or None, "doc_number": doc}


def _details(args) -> dict:
    d: dict = {}
    for item in args.detail:
        if "=" not in item:
            raise UsageError(tr("xcli.set_needs_pair", item=item))
        k, v = item.split("=", 1)
        v = v.strip()
        low = v.lower()
        if low in ("true", "yes", "false", "no"):
            d[k.strip()] = low in ("true", "yes")
        else:
            try:
                num = float(v)
                d[k.strip()] = int(num) if num.is_integer() else num
            except ValueError:
                d[k.strip()] = v
    for key in ("until", "level", "weeks_continuous", "weeks_cumulative", "initiator", "cause", "learned_on"):
        v = getattr(args, key)
        if v not in (None, ""):
            d[key] = v.isoformat() if isinstance(v, _dt.date) else v
    for key in ("in_progress", "cross_province", "from_vocational", "same_area"):
        if getattr(args, key):
            d[key] = True
    return d


def _request(args, session):
    from app.students import service as ss
    from app.changes.service import ChangeRequest
    from app.core.errors import NotFound

    student_id, record, members = None, None, []
    try:
        student_id = ss.resolve(session, args.student)
    except NotFound:
        if args.kind != "transfer-in" or not args.from_json:
            raise
    if args.from_json and student_id is None:
        from app.students.record_io import from_template

        rec = from_template(read_json(args.from_json))
        if rec.unknown:
            names = tr("common.list_sep").join(rec.unknown)
            raise Refused([Finding("unknown_field", tr("xcli.unknown_columns", names=names), field=rec.unknown[0])])
        record = dict(rec.student)
        if rec.class_code:
            record["class_code"] = rec.class_code
        members = rec.members
    override = None
    if args.override_reason or args.approved_by:
        override = ss.Override(args.override_reason, args.approved_by, list(args.evidence))
    return ChangeRequest(kind=args.kind, student_id=student_id, date=args.date, reason=args.reason,
                         evidence=list(args.evidence), override=override,
                         approvals=[_approval(a) for a in args.approval], to_school=args.to_school,
                         from_school=args.from_school, grade=args.grade, class_id=args.class_id,
                         details=_details(args), acknowledge_warnings=True, student=record, members=members)


def cmd_change(args, out):
    from app.students import status as st
    from app.changes.service import apply_change
    from app.changes.kinds import label

    with open_session(args) as session:
        req = _request(args, session)
        if args.dry_run:
            return _dry_run(session, req, out)
        r = apply_change(session, req)
        notes = [f for f in r.findings if f.outcome == "NOTE"]
        payload = {"event_id": r.event_id, "student_id": r.student_id, "kind": args.kind,
                   "from_state": r.from_state, "to_state": r.to_state,
                   "from_state_name": st.name(r.from_state) if r.from_state else "",
                   "to_state_name": st.name(r.to_state), "effective_date": r.effective_date.isoformat(),
                   "warnings": findings_json(r.warnings), "overridden": findings_json(r.overridden),
                   "notes": findings_json(notes),
                   "deadlines": [{"kind": d["kind"], "due": d["due"], "rule": d["rule"], "article": d["article"],
                                  "party": d.get("party", "")} for d in r.deadlines]}
        text = tr("xcli.change.done", kind=label(args.kind), id=r.student_id, event=r.event_id,
                  date=r.effective_date.isoformat(),
                  old=st.name(r.from_state) if r.from_state else tr("change.state.new"), new=st.name(r.to_state))
        text += "".join(tr("xcli.warning_line", text=w.text()) for w in r.warnings)
        text += "".join(tr("xcli.overridden_line", text=w.text()) for w in r.overridden)
        text += "".join(tr("xcli.change.deadline_line", due=d["due"], kind=d["kind"], party=d.get("party", ""),
                           rule=d["rule"], article=d["article"]) for d in r.deadlines)
        return out.ok(payload, text)


def _dry_run(session, req, out):
    """What a save would do, writing nothing: the plan; refused like a save (exit 1) when it would be."""
    from app.students import status as st
    from app.changes.service import plan_change

    plan = plan_change(session, req)
    if not plan.ok:
        return out.fail(plan.refusing)
    payload = {"dry_run": True, "student_id": plan.student_id, "kind": plan.kind, "from_state": plan.from_state,
               "to_state": plan.to_state, "to_state_name": st.name(plan.to_state),
               "effective_date": plan.effective_date.isoformat(), "form": plan.form,
               "warnings": findings_json(plan.warnings), "overridden": findings_json(plan.overridden),
               "notes": findings_json(plan.notes), "evidence": plan.required_evidence,
               "approvals": plan.required_approvals,
               "deadlines": [{k: d[k] for k in ("kind", "due", "rule", "article", "party")} for d in plan.deadlines]}
    text = tr("xcli.change.dry_run", new=st.name(plan.to_state), date=plan.effective_date.isoformat())
    text += "".join(tr("xcli.warning_line", text=w.text()) for w in plan.warnings)
    text += "".join(tr("xcli.change.deadline_line", due=d["due"], kind=d["kind"], party=d.get("party", ""),
                       rule=d["rule"], article=d["article"]) for d in plan.deadlines)
    return out.ok(payload, text)


def cmd_approval(args, out):
    from app.changes.service import record_approval

    with open_session(args) as session:
        r = record_approval(session, args.event, _approval(args.approval))
        return out.ok(r, tr("xcli.change.approval_done", event=r["event_id"], party=r["party"],
                            decision=r["decision"], closed=len(r["closed_deadlines"])))


def cmd_student_state(args, out):
    from app.students import status as st
    from app.students import service as ss
    from app.changes.service import events_for, state_on

    with open_session(args) as session:
        sid = ss.resolve(session, args.student)
        on = args.on or _dt.date.today()
        state = state_on(session, sid, on)
        events = [{"event_id": e["id"], "kind": e["kind"], "kind_name": e["kind_name"],
                   "effective_date": e["effective_date"], "from_state": e["from_state"], "to_state": e["to_state"],
                   "reason": e["reason"], "details": e["details"]} for e in events_for(session, sid)]
        payload = {"id": sid, "student_id": sid, "on": on.isoformat(), "state": state,
                   "state_name": st.name(state) if state else "", "events": events}
        text = tr("xcli.change.state", id=sid, on=on.isoformat(),
                  state=st.name(state) if state else tr("xcli.change.no_state"))
        text += "".join(tr("xcli.change.event_line", date=e["effective_date"], kind=e["kind_name"],
                           old=st.name(e["from_state"]) if e["from_state"] else "-", new=st.name(e["to_state"]))
                        for e in events)
        return out.ok(payload, text)

