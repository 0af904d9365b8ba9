"""``xueji`` verbs for discrepancies, semester review, school-archive snapshots and reconciliation with the
national system.

``reconcile FILE | show [RUN] | resolve RUN LINE ACTION [--note T] | export OUT``;
``archive discrepancies``, ``archive review start|list|show|mark|scan|finding|fix|finish|report``,
``archive snapshot KIND --school-year Y``, ``archive snapshots [--verify]``, ``archive snapshot-export ID OUT``,
``archive sign STUDENT`` — exit codes and JSON as in docs/cli.md."""
from __future__ import annotations

import argparse
import datetime as _dt
from pathlib import Path

from app.cli.common import open_session
from app.core.errors import INVALID, Finding, UsageError
from app.core.i18n import tr

RECONCILE_ACTIONS = ("show", "resolve", "export")


def _date(text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(tr("xcli.grad.bad_date", value=text)) from None


def register(reg) -> None:
    sp = reg.verb("reconcile", cmd_reconcile)
    sp.add_argument("target", nargs="+", metavar="FILE", help=tr("xcli.help.reconcile_target"))
    sp.add_argument("--note", default="", help=tr("xcli.help.reconcile_note"))

    sp = reg.action("archive", "discrepancies", tr("xcli.help.discrepancies"), cmd_discrepancies)
    sp.add_argument("--as-of", type=_date, default=None)
    sp.add_argument("--kind", action="append", default=[], help=tr("xcli.help.discrepancy_kind"))
    sp.add_argument("--export", default=None, metavar="FILE.xlsx")
    sp.add_argument("--print", dest="print_to", default=None, metavar="FILE.pdf")

    rv = reg.action("archive", "review", tr("xcli.help.review"), cmd_review).add_subparsers(
        dest="review_action", metavar="STEP", parser_class=reg.Parser)
    p = reg.add(rv, "start", tr("xcli.help.review_start"))
    p.add_argument("--class-id", type=int, default=None)
    p.add_argument("--term", default=None, metavar="YYYY-1|YYYY-2")
    p.add_argument("--note", default="")
    reg.add(rv, "list", tr("xcli.help.review_list"))
    p = reg.add(rv, "show", tr("xcli.help.review_show"))
    p.add_argument("review", type=int, metavar="REVIEW")
    p = reg.add(rv, "finish", tr("xcli.help.review_finish"))
    p.add_argument("review", type=int, metavar="REVIEW")
    p.add_argument("--note", default="")
    p = reg.add(rv, "mark", tr("xcli.help.review_mark"))
    p.add_argument("review", type=int, metavar="REVIEW")
    p.add_argument("student", metavar="STUDENT")
    p.add_argument("--step", action="append", default=[], choices=["folder", "checklist", "key_data"])
    p = reg.add(rv, "scan", tr("xcli.help.review_scan"))
    p.add_argument("review", type=int, metavar="REVIEW")
    p.add_argument("text", metavar="LABEL")
    p = reg.add(rv, "finding", tr("xcli.help.review_finding"))
    p.add_argument("review", type=int, metavar="REVIEW")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--student", default=None)
    p = reg.add(rv, "fix", tr("xcli.help.review_fix"))
    p.add_argument("finding", type=int, metavar="FINDING")
    p.add_argument("text", metavar="TEXT")
    p = reg.add(rv, "report", tr("xcli.help.review_report"))
    p.add_argument("review", type=int, metavar="REVIEW")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf")

    p = reg.action("archive", "snapshot", tr("xcli.help.snapshot"), cmd_snapshot)
    p.add_argument("kind", metavar="KIND")
    p.add_argument("--school-year", type=int, required=True, metavar="YYYY")
    p.add_argument("--note", default="")
    p = reg.action("archive", "snapshots", tr("xcli.help.snapshots"), cmd_snapshots)
    p.add_argument("--school-year", type=int, default=None, metavar="YYYY")
    p.add_argument("--verify", action="store_true")
    p = reg.action("archive", "snapshot-export", tr("xcli.help.snapshot_export"), cmd_snapshot_export)
    p.add_argument("snapshot", type=int, metavar="ID")
    p.add_argument("output", metavar="FILE.pdf")
    p = reg.action("archive", "sign", tr("xcli.help.sign"), cmd_sign)
    p.add_argument("student", metavar="STUDENT")
    p.add_argument("--date", type=_date, default=None)
    p.add_argument("--guardian", default="")


# ---------------------------------------------------------------- reconcile
def _report_text(rep) -> str:
    lines = [tr("xcli.reconcile.summary", run=rep.run_id, file=rep.file_name, rows=rep.national_rows,
                matched=rep.matched, only_xueji=rep.counts["only_xueji"], only_national=rep.counts["only_national"],
                fields=rep.counts["field"])]
    for ln in rep.lines:
        lines.append(tr("xcli.reconcile.line", id=ln.id, kind=ln.kind_name, name=ln.name, field=ln.field_name or "-",
                        xueji=ln.xueji_value or "-", national=ln.national_value or "-", suggestion=ln.suggestion_text,
                        action=ln.action_name or "-"))
    return "\n".join(lines)


def cmd_reconcile(args, out):
    from app.paper import reconcile as R

    t = list(args.target)
    action = t[0] if t[0] in RECONCILE_ACTIONS and not Path(t[0]).exists() else None
    with open_session(args) as session:
        if action is None:
            if len(t) != 1:
                raise UsageError(tr("xcli.reconcile.usage"))
            rep = R.reconcile(session, t[0])
            return out.ok(rep.as_json(), _report_text(rep))
        if action == "show":
            if len(t) > 2 or (len(t) == 2 and not t[1].isdigit()):
                raise UsageError(tr("xcli.reconcile.usage"))
            rep = R.report(session, int(t[1]) if len(t) == 2 else None)
            return out.ok(rep.as_json(), _report_text(rep))
        if action == "resolve":
            if len(t) != 4 or not (t[1].isdigit() and t[2].isdigit()):
                raise UsageError(tr("xcli.reconcile.usage"))
            ln = R.resolve_line(session, int(t[1]), int(t[2]), t[3], args.note)
            return out.ok({"run_id": int(t[1]), "line": ln.as_json()},
                          tr("xcli.reconcile.resolved", id=ln.id, action=ln.action_name))
        if len(t) != 2:
            raise UsageError(tr("xcli.reconcile.usage"))
        ex = R.export_changes_since_last(session, t[1])
        return out.ok(ex.as_json(), tr("xcli.reconcile.exported", count=ex.count, path=ex.path, run=ex.since_run_id))


# ---------------------------------------------------------------- discrepancies, signature
def cmd_discrepancies(args, out):
    from app.paper import discrepancies as P

    bad = [k for k in args.kind if k not in P.KINDS]
    if bad:
        raise UsageError(tr("xcli.discrepancy.bad_kind", kinds=", ".join(bad), choices=", ".join(P.KINDS)))
    as_of = args.as_of or _dt.date.today()
    with open_session(args) as session:
        lines = P.discrepancies(session, as_of, args.kind or None)
        payload = {"as_of": as_of.isoformat(), "count": len(lines), "discrepancies": [d.as_json() for d in lines]}
        if args.export:
            payload["export"] = P.export_discrepancies(session, args.export, as_of)["path"]
        if args.print_to:
            payload["print"] = P.print_discrepancies(session, args.print_to, as_of)
        text = "\n".join(tr("xcli.discrepancy.line", kind=d.kind_name, student=d.student or "-", what=d.what,
                            since=d.since or "-") for d in lines) or tr("discrepancy.none")
        return out.ok(payload, text)


def cmd_sign(args, out):
    from app.paper import discrepancies as P
    from app.students import service as ss

    with open_session(args) as session:
        r = P.record_signature(session, ss.resolve(session, args.student), args.date, args.guardian)
        return out.ok({"signature": r}, tr("xcli.sign.done", date=r["signed_on"]))


# ---------------------------------------------------------------- semester review
def _status_text(s: dict) -> str:
    r, c = s["review"], s["counts"]
    return tr("xcli.review.status", id=r["id"], scope=r["scope"], term=r["term_name"], done=c["done"],
              students=c["students"], findings=c["findings"], fixed=c["fixed"])


def cmd_review(args, out):
    from app.paper import review as P
    from app.students import service as ss

    a = args.review_action
    if not a:
        raise UsageError(tr("xcli.missing_command"))
    with open_session(args) as session:
        if a == "start":
            r = P.start_review(session, args.class_id, args.term, args.note)
            return out.ok({"id": r["id"], "review": r}, tr("xcli.review.started", id=r["id"]))
        if a == "list":
            rs = P.reviews(session)
            return out.ok({"count": len(rs), "reviews": rs},
                          "\n".join(f"{r['id']}\t{r['term']}\t{r['started_at']}\t{r['finished_at'] or '-'}" for r in rs))
        if a == "show":
            s = P.review_status(session, args.review)
            return out.ok(s, _status_text(s))
        if a == "mark":
            sid = ss.resolve(session, args.student)
            marks = [P.mark(session, args.review, sid, step) for step in (args.step or ["folder"])]
            s = P.review_status(session, args.review)
            return out.ok({"marks": marks, "counts": s["counts"]}, _status_text(s))
        if a == "scan":
            m = P.mark_scan(session, args.review, args.text)
            s = P.review_status(session, args.review)
            return out.ok({"marks": [m], "student_id": m["student_id"], "counts": s["counts"]}, _status_text(s))
        if a == "finding":
            sid = ss.resolve(session, args.student) if args.student else None
            fid = P.add_finding(session, args.review, sid, args.text)
            return out.ok({"id": fid}, tr("xcli.review.finding", id=fid))
        if a == "fix":
            fid = P.fix_finding(session, args.finding, args.text)
            return out.ok({"id": fid, "finding": args.finding}, tr("xcli.review.finding", id=fid))
        if a == "finish":
            r = P.finish_review(session, args.review, args.note)
            return out.ok({"id": r["id"], "review": r}, tr("xcli.review.finished", id=r["id"]))
        res = P.print_review_report(session, args.review, args.output)
        return out.ok(res, res["path"])


# ---------------------------------------------------------------- school-archive snapshots
def cmd_snapshot(args, out):
    from app.paper import school_archive as S

    with open_session(args) as session:
        snap = S.file_snapshot(session, args.kind, args.school_year, args.note)
        return out.ok({"id": snap["id"], "snapshot": snap},
                      tr("xcli.snapshot.filed", kind=snap["kind_name"], year=snap["school_year"],
                         version=snap["version"], sha=snap["file_sha256"]))


def cmd_snapshots(args, out):
    from app.paper import school_archive as S

    with open_session(args) as session:
        if args.verify:
            rows = S.verify_snapshots(session)
            if args.school_year is not None:
                rows = [r for r in rows if r["school_year"] == args.school_year]
            bad = [Finding("SNAPSHOT.TAMPERED", tr("school_archive.tampered", kind=r["kind_name"], year=r["school_year"],
                                                   version=r["version"], state=r["state_name"]),
                           field=tr("school_archive.field.file"), outcome=INVALID) for r in rows if r["state"] != "ok"]
            if bad:
                return out.fail(bad, extra={"snapshots": rows})
        else:
            rows = S.list_snapshots(session, args.school_year)
        payload = {"count": len(rows), "snapshots": rows}
        if args.school_year is not None:
            payload["year"] = S.year_overview(session, args.school_year)
        text = "\n".join(f"{r['id']}\t{r['school_year']}\t{r['kind_name']}\tv{r['version']}\t{r['file_sha256'][:16]}"
                         f"\t{r.get('state_name', '')}" for r in rows)
        return out.ok(payload, text)


def cmd_snapshot_export(args, out):
    from app.paper import school_archive as S

    with open_session(args) as session:
        d = S.export_snapshot(session, args.snapshot, args.output)
        return out.ok({"snapshot": d, "path": d["path"]}, d["path"])


