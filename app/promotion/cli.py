"""``xueji`` verbs for the end of a school year: ``promote`` (the whole school up one grade), ``graduate`` (a
graduating class), ``graduation-check`` and ``hs-record set|show|import`` (high-school graduation records) —
exit codes and JSON as in docs/cli.md."""
from __future__ import annotations

import argparse

from app.cli.common import findings_json, open_session, override_opts, overrides_of, parse_date
from app.core.errors import Finding
from app.core.i18n import tr


def _credit(text: str):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("xcli.grad.bad_number", value=text)) from None
    return int(v) if v.is_integer() else v


def register(reg) -> None:
    sp = reg.verb("promote", cmd_promote)
    sp.add_argument("--school-year", type=int, required=True, metavar="YYYY", help=tr("xcli.help.promote_school_year"))
    sp.add_argument("--dry-run", action="store_true", help=tr("xcli.help.dry_run"))
    sp.add_argument("--date", type=parse_date, default=None, help=tr("xcli.help.effective_date"))
    sp.add_argument("--data-checked", action="store_true", help=tr("xcli.help.data_checked"))
    sp.add_argument("--hold-back", action="append", default=[], metavar="STUDENT[:CLASS_ID]",
                    help=tr("xcli.help.hold_back"))
    sp.add_argument("--reason", default="", help=tr("xcli.help.reason"))

    sp = reg.verb("graduate", cmd_graduate)
    sp.add_argument("--class-id", type=int, required=True)
    sp.add_argument("--date", type=parse_date, default=None, help=tr("xcli.help.effective_date"))
    sp.add_argument("--dry-run", action="store_true", help=tr("xcli.help.dry_run"))
    sp.add_argument("--failed-assessment", action="append", default=[], metavar="STUDENT",
                    help=tr("xcli.help.failed_assessment"))
    override_opts(sp)

    sp = reg.verb("graduation-check", cmd_graduation_check)
    sp.add_argument("--class-id", type=int, required=True)

    reg.verb("hs-record")
    sp = reg.action("hs-record", "set", tr("xcli.help.hs_record_set"), cmd_hs_set)
    sp.add_argument("student", metavar="STUDENT", help=tr("xcli.help.student_ref"))
    for opt in ("--credits-total", "--credits-required", "--credits-elective", "--credits-school"):
        sp.add_argument(opt, type=_credit, default=None)
    sp.add_argument("--exam", action="append", default=[], metavar="SUBJECT:GRADE", help=tr("xcli.help.hs_exam"))
    for opt in ("--evaluation", "--pe-standard", "--assessment"):
        sp.add_argument(opt, choices=["pass", "fail"], default=None)
    sp.add_argument("--labour-practice", choices=["done", "not_done"], default=None)
    sp.add_argument("--period-complete", choices=["yes", "no"], default=None)
    sp.add_argument("--note", default=None)
    sp = reg.action("hs-record", "show", tr("xcli.help.hs_record_show"), cmd_hs_show)
    sp.add_argument("student", metavar="STUDENT", help=tr("xcli.help.student_ref"))
    sp = reg.action("hs-record", "import", tr("xcli.help.hs_record_import"), cmd_hs_import)
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--class-id", type=int, default=None)


def _lines(fs: list[Finding]) -> str:
    return "".join(tr("xcli.warning_line", text=f.text()) for f in fs)


def _split(fs):
    return [f for f in fs if f.outcome != "NOTE"], [f for f in fs if f.outcome == "NOTE"]


def cmd_promote(args, out):
    from app.promotion.service import promote
    from app.students.service import resolve

    with open_session(args) as session:
        hold = {}
        for h in args.hold_back:
            ref, _, cid = str(h).partition(":")
            hold[resolve(session, ref)] = int(cid) if cid.strip().isdigit() else None
        r = promote(session, args.school_year, dry_run=args.dry_run, date=args.date, hold_back=hold,
                    data_checked=args.data_checked, reason=args.reason)
        warnings, notes = _split(r.findings)
        payload = {"school_year": args.school_year, "dry_run": r.dry_run, "classes": r.classes,
                   "students": r.students, "held_back": r.held_back,
                   "graduating_classes_skipped": r.graduating_classes_skipped,
                   "warnings": findings_json(warnings), "notes": findings_json(notes)}
        kw = {"year": args.school_year, "classes": r.classes, "students": r.students,
              "skipped": len(r.graduating_classes_skipped)}
        text = (tr("xcli.grad.promoted_dry", **kw) if r.dry_run else tr("xcli.grad.promoted", **kw))
        return out.ok(payload, text + _lines(r.findings))


def _outcome_name(code: str) -> str:
    from app.students import status

    return status.name(code)


def cmd_graduate(args, out):
    from app.promotion.service import graduate
    from app.students.service import resolve

    with open_session(args) as session:
        failed = [resolve(session, s) for s in args.failed_assessment]
        r = graduate(session, args.class_id, date=args.date, dry_run=args.dry_run, overrides=overrides_of(args),
                     failed_assessment=failed, reason=args.reason)
        warnings, notes = _split(r.findings)
        students = [{**p, "outcome_name": _outcome_name(p["outcome"])} for p in r.per_student]
        payload = {"class_id": args.class_id, "dry_run": r.dry_run, "counts": r.counts(), "students": students,
                   "warnings": findings_json(warnings), "notes": findings_json(notes),
                   "overridden": findings_json(r.overridden)}
        lines = [tr("xcli.grad.student_line", name=p["name"], outcome=p["outcome_name"],
                    reasons=tr("common.item_sep").join(p["reasons"])) for p in students]
        counts = tr("common.list_sep").join(f"{_outcome_name(k)} {v}" for k, v in r.counts().items())
        head = (tr("xcli.grad.graduated_dry", count=len(students), counts=counts) if r.dry_run
                else tr("xcli.grad.graduated", count=len(students), counts=counts))
        return out.ok(payload, "\n".join([head, *lines]) + _lines(r.findings))


def cmd_graduation_check(args, out):
    from app.promotion import hs_records as hs
    from app.school.classes import get_class
    from app.promotion.service import GRADUATING_STATES
    from app.promotion import store as pq

    with open_session(args) as session:
        k = get_class(session, args.class_id)
        rows = pq.students_in_classes(session.conn, [k["id"]], GRADUATING_STATES)
        recs = pq.hs_records_of(session.conn, [s["id"] for s in rows])
        students = []
        for s in rows:
            c = hs.evaluate_record(session, recs.get(s["id"]) or {}, k, name=s["name"])
            students.append({"student_id": s["id"], "name": s["name"], "outcome": c.outcome,
                             "outcome_name": _outcome_name(c.outcome) if c.outcome != "undetermined"
                             else tr("xcli.grad.undetermined"),
                             "reasons": [f.message for f in c.findings if f.params.get("outcome")
                                         or f.code == "record_missing"],
                             "record": recs.get(s["id"])})
        counts: dict[str, int] = {}
        for s in students:
            counts[s["outcome"]] = counts.get(s["outcome"], 0) + 1
        lines = [tr("xcli.grad.student_line", name=s["name"], outcome=s["outcome_name"],
                    reasons=tr("common.item_sep").join(s["reasons"])) for s in students]
        return out.ok({"class_id": k["id"], "class": k["display_name"], "counts": counts, "students": students},
                      "\n".join([k["display_name"], *lines]))


def cmd_hs_set(args, out):
    from app.promotion import hs_records as hs
    from app.students.service import resolve

    with open_session(args) as session:
        sid = resolve(session, args.student)
        fields = {k: getattr(args, k) for k in ("credits_total", "credits_required", "credits_elective",
                                                "credits_school", "evaluation", "pe_standard", "assessment",
                                                "labour_practice", "period_complete", "note")
                  if getattr(args, k) is not None}
        if args.exam:
            old = (hs.get_hs_record(session, sid) or {}).get("exams") or {}
            fields["exams"] = {**old, **hs.parse_exams(",".join(args.exam))}
        rec = hs.set_hs_record(session, sid, **fields)
        check = hs.evaluate(session, sid)
        return out.ok({"id": sid, "record": rec, "outcome": check.outcome, "reasons": check.reasons},
                      tr("xcli.grad.hs_saved", id=sid, outcome=_outcome_name(check.outcome)
                         if check.outcome != "undetermined" else tr("xcli.grad.undetermined")))


def cmd_hs_show(args, out):
    from app.promotion import hs_records as hs
    from app.students.service import resolve

    with open_session(args) as session:
        sid = resolve(session, args.student)
        rec = hs.get_hs_record(session, sid)
        check = hs.evaluate(session, sid)
        return out.ok({"id": sid, "record": rec, "outcome": check.outcome, "reasons": check.reasons},
                      tr("xcli.grad.hs_show", id=sid, outcome=check.outcome,
                         reasons=tr("common.item_sep").join(check.reasons)))


def cmd_hs_import(args, out):
    from app.promotion import hs_records as hs

    with open_session(args) as session:
        r = hs.import_hs_records(session, args.file, class_id=args.class_id)
        return out.ok(r, tr("xcli.grad.hs_imported", rows=r["rows"]))
