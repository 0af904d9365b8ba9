"""``xueji deadlines`` (what is due and overdue, most urgent first; ``--close`` one) and ``xueji calendar
list|set|import`` (the working-day calendar: public holidays and swapped working days) — exit codes and JSON
as in docs/cli.md."""
from __future__ import annotations

import datetime as _dt

from app.cli.common import open_session, parse_date
from app.core.i18n import tr


def register(reg) -> None:
    sp = reg.verb("deadlines", cmd_deadlines)
    sp.add_argument("--as-of", type=parse_date, default=None, help=tr("xcli.help.as_of"))
    sp.add_argument("--student", default=None, metavar="STUDENT", help=tr("xcli.help.student_ref"))
    sp.add_argument("--close", type=int, default=None, metavar="ID", help=tr("xcli.help.deadline_close"))
    sp.add_argument("--note", default="", help=tr("xcli.help.deadline_note"))

    reg.verb("calendar")
    sp = reg.action("calendar", "list", tr("xcli.help.calendar_list"), cmd_calendar_list)
    sp.add_argument("--year", type=int, required=True)
    sp = reg.action("calendar", "set", tr("xcli.help.calendar_set"), cmd_calendar_set)
    sp.add_argument("date", type=parse_date, metavar="DATE")
    sp.add_argument("kind", choices=["holiday", "workday"], metavar="holiday|workday")
    sp.add_argument("--name", default="")
    sp = reg.action("calendar", "import", tr("xcli.help.calendar_import"), cmd_calendar_import)
    sp.add_argument("file", metavar="FILE")


def cmd_deadlines(args, out):
    from app.changes.deadlines import close_deadline, list_deadlines
    from app.students.service import resolve

    with open_session(args) as session:
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


def cmd_calendar_list(args, out):
    from app.core import workdays as W

    with open_session(args) as session:
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

    with open_session(args) as session:
        d = W.set_calendar_day(session, args.date, args.kind, args.name)
        return out.ok(d, tr("xcli.grad.calendar_set", date=d["date"], kind=W.kind_name(d["kind"])))


def cmd_calendar_import(args, out):
    from app.core import workdays as W

    with open_session(args) as session:
        r = W.import_calendar(session, args.file)
        return out.ok(r, tr("xcli.grad.calendar_imported", rows=r["rows"]))
