"""``xueji`` verbs for deadlines, working-day calendar, promotion, graduation, HS graduation records (issue: status
changes): registered into app/cli/__init__.py's parser.

``promote``, ``graduate``, ``deadlines``, ``calendar list|set|import``, ``hs-record set|show|import``,
``graduation-check`` — exit codes and JSON as in docs/cli.md."""
from __future__ import annotations

import argparse
import datetime as _dt

from app.core.errors import Finding
from app.core.i18n import tr

NESTED: set[str] = {"calendar", "hs-record"}  # verbs that take an ACTION
COMMANDS: dict = {}  # "verb" or "verb_action" -> function(args, out) -> exit code


def _date(text: str) -> _dt.date:
    s = str(text).strip()
    try:
        return _dt.date.fromisoformat(s)
    except ValueError:
        try:
            return _dt.datetime.strptime(s, "%Y%m%d").date()
        except ValueError:
            raise argparse.ArgumentTypeError(tr("xcli.grad.bad_date", value=text)) from None


def _credit(text: str):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("xcli.grad.bad_number", value=text)) from None
    return int(v) if v.is_integer() else v


def register(sub, add, parser_class, groups) -> None:
    """Add this module's verbs to the top-level subparsers ``sub``."""
    sp = add(sub, "promote", tr("xcli.help.promote"))
    sp.add_argument("--school-year", type=int, required=True, metavar="YYYY", help=tr("xcli.help.promote_school_year"))
    sp.add_argument("--dry-run", action="store_true", help=tr("xcli.help.dry_run"))
    sp.add_argument("--date", type=_date, default=None, help=tr("xcli.help.effective_date"))
    sp.add_argument("--data-checked", action="store_true", help=tr("xcli.help.data_checked"))
    sp.add_argument("--hold-back", action="append", default=[], metavar="STUDENT[:CLASS_ID]",
                    help=tr("xcli.help.hold_back"))
    sp.add_argument("--reason", default="", help=tr("xcli.help.reason"))

    sp = add(sub, "graduate", tr("xcli.help.graduate"))
    sp.add_argument("--class-id", type=int, required=True)
    sp.add_argument("--date", type=_date, default=None, help=tr("xcli.help.effective_date"))
    sp.add_argument("--dry-run", action="store_true", help=tr("xcli.help.dry_run"))
    sp.add_argument("--failed-assessment", action="append", default=[], metavar="STUDENT",
                    help=tr("xcli.help.failed_assessment"))
    sp.add_argument("--reason", default="", help=tr("xcli.help.reason"))
    sp.add_argument("--evidence", action="append", default=[], help=tr("xcli.help.evidence"))
    sp.add_argument("--override-reason", default="", help=tr("xcli.help.override_reason"))
    sp.add_argument("--approved-by", default="", help=tr("xcli.help.approved_by"))

    sp = add(sub, "graduation-check", tr("xcli.help.graduation_check"))
    sp.add_argument("--class-id", type=int, required=True)

    sp = add(sub, "deadlines", tr("xcli.help.deadlines"))
    sp.add_argument("--as-of", type=_date, default=None, help=tr("xcli.help.as_of"))
    sp.add_argument("--student", default=None, metavar="STUDENT", help=tr("xcli.help.student_ref"))
    sp.add_argument("--close", type=int, default=None, metavar="ID", help=tr("xcli.help.deadline_close"))
    sp.add_argument("--note", default="", help=tr("xcli.help.deadline_note"))

    cal = add(sub, "calendar", tr("xcli.help.calendar")).add_subparsers(dest="action", metavar="ACTION",
                                                                        parser_class=parser_class)
    sp = add(cal, "list", tr("xcli.help.calendar_list"))
    sp.add_argument("--year", type=int, required=True)
    sp = add(cal, "set", tr("xcli.help.calendar_set"))
    sp.add_argument("date", type=_date, metavar="DATE")
    sp.add_argument("kind", choices=["holiday", "workday"], metavar="holiday|workday")
    sp.add_argument("--name", default="")
    sp = add(cal, "import", tr("xcli.help.calendar_import"))
    sp.add_argument("file", metavar="FILE")

    hs = add(sub, "hs-record", tr("xcli.help.hs_record")).add_subparsers(dest="action", metavar="ACTION",
                                                                          parser_class=parser_class)
    sp = add(hs, "set", tr("xcli.help.hs_record_set"))
    sp.add_argument("student", metavar="STUDENT", help=tr("xcli.help.student_ref"))
    for opt in ("--credits-total", "--credits-required", "--credits-elective", "--credits-school"):
        sp.add_argument(opt, type=_credit, default=None)
    sp.add_argument("--exam", action="append", default=[], metavar="SUBJECT:GRADE", help=tr("xcli.help.hs_exam"))
    for opt in ("--evaluation", "--pe-standard", "--assessment"):
        sp.add_argument(opt, choices=["pass", "fail"], default=None)
    sp.add_argument("--labour-practice", choices=["done", "not_done"], default=None)
    sp.add_argument("--period-complete", choices=["yes", "no"], default=None)
    sp.add_argument("--note", default=None)
    sp = add(hs, "show", tr("xcli.help.hs_record_show"))
    sp.add_argument("student", metavar="STUDENT", help=tr("xcli.help.student_ref"))
    sp = add(hs, "import", tr("xcli.help.hs_record_import"))
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--class-id", type=int, default=None)


def _open(args):
    from app.cli.commands import _open as open_

    return open_(args)


def _json(fs: list[Finding]) -> list[dict]:
    from app.cli import _warn_json

    return _warn_json(fs)


def _lines(fs: list[Finding]) -> str:
    return "".join(tr("xcli.warning_line", text=f.text()) for f in fs)


def _split(fs):
    return [f for f in fs if f.outcome != "NOTE"], [f for f in fs if f.outcome == "NOTE"]


def cmd_promote(args, out):
    from app.promotion.service import promote
    from app.students.service import resolve

    with _open(args) as session:
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
                   "warnings": _json(warnings), "notes": _json(notes)}
        kw = {"year": args.school_year, "classes": r.classes, "students": r.students,
              "skipped": len(r.graduating_classes_skipped)}
        text = (tr("xcli.grad.promoted_dry", **kw) if r.dry_run else tr("xcli.grad.promoted", **kw))
        return out.ok(payload, text + _lines(r.findings))


COMMANDS["promote"] = cmd_promote


def _overrides(args):
    from app.students.service import Override

    if args.override_reason or args.approved_by:
        return {"*": Override(args.override_reason, args.approved_by, list(args.evidence))}
    return None


def _outcome_name(code: str) -> str:
    from app.students import status

    return status.name(code)


def cmd_graduate(args, out):
    from app.promotion.service import graduate
    from app.students.service import resolve

    with _open(args) as session:
        failed = [resolve(session, s) for s in args.failed_assessment]
        r = graduate(session, args.class_id, date=args.date, dry_run=args.dry_run, overrides=_overrides(args),
                     failed_assessment=failed, reason=args.reason)
        warnings, notes = _split(r.findings)
        students = [{**p, "outcome_name": _outcome_name(p["outcome"])} for p in r.per_student]
        payload = {"class_id": args.class_id, "dry_run": r.dry_run, "counts": r.counts(), "students": students,
                   "warnings": _json(warnings), "notes": _json(notes), "overridden": _json(r.overridden)}
        lines = [tr("xcli.grad.student_line", name=p["name"], outcome=p["outcome_name"],
                    reasons=tr("common.item_sep").join(p["reasons"])) for p in students]
        counts = tr("common.list_sep").join(f"{_outcome_name(k)} {v}" for k, v in r.counts().items())
        head = (tr("xcli.grad.graduated_dry", count=len(students), counts=counts) if r.dry_run
                else tr("xcli.grad.graduated", count=len(students), counts=counts))
        return out.ok(payload, "\n".join([head, *lines]) + _lines(r.findings))


COMMANDS["graduate"] = cmd_graduate


def cmd_graduation_check(args, out):
    from app.promotion import hs_records as hs
    from app.school.classes import get_class
    from app.promotion.service import GRADUATING_STATES
    from app.core import calendar_store as cq

    with _open(args) as session:
        k = get_class(session, args.class_id)
        rows = cq.students_in_classes(session.conn, [k["id"]], GRADUATING_STATES)
        recs = cq.hs_records_of(session.conn, [s["id"] for s in rows])
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


COMMANDS["graduation-check"] = cmd_graduation_check


def cmd_deadlines(args, out):
    from app.changes.deadlines import close_deadline, list_deadlines
    from app.students.service import resolve

    with _open(args) as session:
        if args.close is not None:
            close_deadline(session, args.close, note=args.note)
        sid = resolve(session, args.student) if args.student else None
        as_of = args.as_of or _dt.date.today()
        items = list_deadlines(session, as_of, student_id=sid)
        lines = [tr("xcli.grad.deadline_line", due=i.due.isoformat(), flag=tr("xcli.grad.overdue") if i.overdue
                    else tr("xcli.grad.days_left", days=i.days_left), who=i.student_name or i.class_name or "-",
                    title=i.title) for i in items]
        payload = {"as_of": as_of.isoformat(), "deadlines": [i.as_json() for i in items]}
        if args.close is not None:
            payload["closed"] = args.close
        return out.ok(payload, "\n".join(lines) or tr("xcli.grad.no_deadlines"))


COMMANDS["deadlines"] = cmd_deadlines


def cmd_calendar_list(args, out):
    from app.core import workdays as W

    with _open(args) as session:
        days = W.calendar_days(session, args.year)
        src = W.calendar_source(session.conn, args.year)
        payload = {"year": args.year, "known": W.calendar_known(session.conn, args.year), "source": src,
                   "days": days}
        lines = [tr("xcli.grad.calendar_line", date=d["date"], kind=W.kind_name(d["kind"]), name=d["name"])
                 for d in days]
        head = tr("xcli.grad.calendar_unknown", year=args.year) if src == "weekdays" else tr(
            "xcli.grad.calendar_head", year=args.year, count=len(days))
        return out.ok(payload, "\n".join([head, *lines]))


def cmd_calendar_set(args, out):
    from app.core import workdays as W

    with _open(args) as session:
        d = W.set_calendar_day(session, args.date, args.kind, args.name)
        return out.ok(d, tr("xcli.grad.calendar_set", date=d["date"], kind=W.kind_name(d["kind"])))


def cmd_calendar_import(args, out):
    from app.core import workdays as W

    with _open(args) as session:
        r = W.import_calendar(session, args.file)
        return out.ok(r, tr("xcli.grad.calendar_imported", rows=r["rows"]))


COMMANDS.update({"calendar_list": cmd_calendar_list, "calendar_set": cmd_calendar_set,
                 "calendar_import": cmd_calendar_import})


def cmd_hs_set(args, out):
    from app.promotion import hs_records as hs
    from app.students.service import resolve

    with _open(args) as session:
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

    with _open(args) as session:
        sid = resolve(session, args.student)
        rec = hs.get_hs_record(session, sid)
        check = hs.evaluate(session, sid)
        return out.ok({"id": sid, "record": rec, "outcome": check.outcome, "reasons": check.reasons},
                      tr("xcli.grad.hs_show", id=sid, outcome=check.outcome,
                         reasons=tr("common.item_sep").join(check.reasons)))


def cmd_hs_import(args, out):
    from app.promotion import hs_records as hs

    with _open(args) as session:
        r = hs.import_hs_records(session, args.file, class_id=args.class_id)
        return out.ok(r, tr("xcli.grad.hs_imported", rows=r["rows"]))


COMMANDS.update({"hs-record_set": cmd_hs_set, "hs-record_show": cmd_hs_show, "hs-record_import": cmd_hs_import})
