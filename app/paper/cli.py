"""``xueji`` verbs for the paper archive: folders, locations, checklists, scans, loans, file sweep.

``archive locate|move|checklist|check-item|attach|detach|lend|return|loans|handover|folders|verify-files`` —
exit codes and JSON as in docs/cli.md (section "Paper archive")."""
from __future__ import annotations

from app.cli.common import open_session
from app.core.errors import Finding, NotFound
from app.core.i18n import tr


def register(reg) -> None:
    """``xueji archive``: this module's actions; app/paper/cli_review.py adds the review's."""
    reg.verb("archive")
    sp = reg.action("archive", "locate", tr("xcli.paper.help.locate"), cmd_locate)
    sp.add_argument("student", metavar="STUDENT|CODE", help=tr("xcli.paper.help.student_or_code"))

    sp = reg.action("archive", "move", tr("xcli.paper.help.move"), cmd_move)
    sp.add_argument("student", metavar="STUDENT")
    sp.add_argument("location", nargs="+", metavar="PLACE", help=tr("xcli.paper.help.location"))
    sp.add_argument("--reason", default="", help=tr("xcli.help.reason"))

    sp = reg.action("archive", "checklist", tr("xcli.paper.help.checklist"), cmd_checklist)
    sp.add_argument("student", metavar="STUDENT")

    sp = reg.action("archive", "check-item", tr("xcli.paper.help.check_item"), cmd_check_item)
    sp.add_argument("student", metavar="STUDENT")
    sp.add_argument("item", metavar="ITEM")
    sp.add_argument("--paper", required=True, choices=["present", "missing", "handed_over", "unknown"])
    sp.add_argument("--note", default="")
    sp.add_argument("--by", default=None, help=tr("xcli.paper.help.by"))

    sp = reg.action("archive", "attach", tr("xcli.paper.help.attach"), cmd_attach)
    sp.add_argument("student", metavar="STUDENT")
    sp.add_argument("item", metavar="ITEM")
    sp.add_argument("file", metavar="FILE")

    sp = reg.action("archive", "detach", tr("xcli.paper.help.detach"), cmd_detach)
    sp.add_argument("scan", type=int, metavar="SCAN_ID")
    sp.add_argument("--reason", default="", help=tr("xcli.help.reason"))

    sp = reg.action("archive", "lend", tr("xcli.paper.help.lend"), cmd_lend)
    sp.add_argument("student", metavar="STUDENT")
    sp.add_argument("--item", default="", metavar="ITEM", help=tr("xcli.paper.help.item"))
    sp.add_argument("--borrower", required=True)
    sp.add_argument("--purpose", required=True)
    sp.add_argument("--approved-by", required=True)
    sp.add_argument("--due", required=True, metavar="YYYY-MM-DD")
    sp.add_argument("--date", default=None, metavar="YYYY-MM-DD")

    sp = reg.action("archive", "return", tr("xcli.paper.help.return"), cmd_return)
    sp.add_argument("loan", type=int, metavar="LOAN_ID")
    sp.add_argument("--date", default=None, metavar="YYYY-MM-DD")
    sp.add_argument("--note", default="")

    sp = reg.action("archive", "loans", tr("xcli.paper.help.loans"), cmd_loans)
    sp.add_argument("--all", action="store_true", help=tr("xcli.paper.help.loans_all"))
    sp.add_argument("--overdue", action="store_true", help=tr("xcli.paper.help.loans_overdue"))
    sp.add_argument("--as-of", default=None, metavar="YYYY-MM-DD")
    sp.add_argument("--student", default=None, metavar="STUDENT")

    sp = reg.action("archive", "handover", tr("xcli.paper.help.handover"), cmd_handover)
    sp.add_argument("student", metavar="STUDENT")
    sp.add_argument("--to", required=True, dest="handed_to")
    sp.add_argument("--date", default=None, metavar="YYYY-MM-DD")
    sp.add_argument("--carried-by", default="")
    sp.add_argument("--event", type=int, default=None, metavar="EVENT_ID", help=tr("xcli.paper.help.event"))
    sp.add_argument("--receipt", default=None, metavar="FILE", help=tr("xcli.paper.help.receipt"))
    sp.add_argument("--note", default="")

    reg.action("archive", "verify-files", tr("xcli.paper.help.verify_files"), cmd_verify_files)

    sp = reg.action("archive", "folders", tr("xcli.paper.help.folders"), cmd_folders)
    sp.add_argument("--class-id", type=int, default=None)
    sp.add_argument("--all", action="store_true", help=tr("xcli.paper.help.folders_all"))


def _sid(session, ref) -> int:
    from app.paper.locations import resolve_scan
    from app.students.service import resolve

    try:
        return resolve(session, ref)
    except NotFound:
        sid = resolve_scan(session, ref)
        if sid is None:
            raise
        return sid


def cmd_locate(args, out):
    from app.paper.locations import label_key, locate, resolve_scan
    from app.students import store as q

    with open_session(args) as session:
        sid = resolve_scan(session, args.student)
        if sid is None:
            sid = _sid(session, args.student)
        s = q.get_student(session.conn, sid)
        f = locate(session, sid)
        loc = f.location if f else []
        payload = {"student_id": sid, "name": s["name"], "label_key": label_key(session, sid),
                   "has_folder": f is not None, "location": loc, "location_text": " / ".join(loc),
                   "moves": f.moves if f else []}
        text = tr("xcli.paper.located", name=s["name"], id=sid,
                  location=" / ".join(loc) if loc else tr("xcli.paper.no_location"))
        return out.ok(payload, text)


def cmd_move(args, out):
    from app.paper.locations import move

    loc = args.location[0] if len(args.location) == 1 else args.location
    with open_session(args) as session:
        sid = _sid(session, args.student)
        f = move(session, sid, loc, reason=args.reason)
        return out.ok({"student_id": sid, "location": f.location, "location_text": f.path_text,
                       "moves": len(f.moves)},
                      tr("xcli.paper.moved", id=sid, location=f.path_text))


def _item_line(i) -> str:
    return tr("xcli.paper.item_line", key=i.key, name=i.name, paper=_state(i.paper),
              scan=tr("xcli.paper.scan_yes") if i.has_scan else tr("xcli.paper.scan_no"))


def _state(paper: str) -> str:
    return {"present": tr("paper.state.present"), "missing": tr("paper.state.missing"), "lent": tr("paper.state.lent"),
            "handed_over": tr("paper.state.handed_over")}.get(paper, tr("paper.state.unknown"))


def cmd_checklist(args, out):
    from app.paper.checklist import checklist, load_template

    with open_session(args) as session:
        sid = _sid(session, args.student)
        items = checklist(session, sid)
        tpl = load_template(session.school["profile"])
        summary = {"items": len(items), "present": sum(i.paper == "present" for i in items),
                   "missing": sum(i.paper == "missing" for i in items), "lent": sum(i.paper == "lent" for i in items),
                   "unchecked": sum(i.paper == "unknown" for i in items), "scanned": sum(i.has_scan for i in items)}
        payload = {"student_id": sid, "profile": tpl["profile"], "article": tpl.get("article", ""),
                   "sections": tpl["sections"], "items": [i.as_json() for i in items], "summary": summary}
        return out.ok(payload, "\n".join(_item_line(i) for i in items))


def cmd_check_item(args, out):
    from app.paper.checklist import mark_item

    with open_session(args) as session:
        sid = _sid(session, args.student)
        it = mark_item(session, sid, args.item, paper=args.paper, note=args.note, checked_by=args.by)
        return out.ok({"student_id": sid, "item": it.as_json()}, _item_line(it))


def cmd_attach(args, out):
    from app.paper.scans import attach_scan

    with open_session(args) as session:
        sid = _sid(session, args.student)
        r = attach_scan(session, sid, args.item, args.file)
        return out.ok({"student_id": sid, "scan": {"id": r.scan_id, "item": r.item_key, "sha256": r.sha256,
                                                   "ext": r.ext, "bytes": r.bytes, "pages": r.pages,
                                                   "already_stored": r.already_stored,
                                                   "already_linked": r.already_linked}},
                      tr("xcli.paper.attached", item=r.item_key, pages=r.pages, kb=f"{r.bytes / 1024:.1f}",
                         sha=r.sha256[:12]))


def cmd_detach(args, out):
    from app.paper.scans import withdraw_scan

    with open_session(args) as session:
        withdraw_scan(session, args.scan, reason=args.reason)
        return out.ok({"scan_id": args.scan}, tr("xcli.paper.detached", id=args.scan))


def cmd_lend(args, out):
    from app.paper.loans import lend, loans

    with open_session(args) as session:
        sid = _sid(session, args.student)
        lid = lend(session, sid, borrower=args.borrower, purpose=args.purpose, approved_by=args.approved_by,
                   due_on=args.due, item_key=args.item, lent_on=args.date)
        ln = next(x for x in loans(session, open_only=False, student_id=sid) if x.id == lid)
        return out.ok({"loan": ln.as_json()}, tr("xcli.paper.lent", id=lid, borrower=ln.borrower, due=ln.due_on))


def cmd_return(args, out):
    from app.paper.loans import return_loan

    with open_session(args) as session:
        ln = return_loan(session, args.loan, returned_on=args.date, note=args.note)
        return out.ok({"loan": ln.as_json()}, tr("xcli.paper.returned", id=ln.id, on=ln.returned_on))


def cmd_loans(args, out):
    from app.paper.loans import loans

    with open_session(args) as session:
        sid = _sid(session, args.student) if args.student else None
        rows = loans(session, open_only=not args.all, as_of=args.as_of, student_id=sid,
                     overdue_only=args.overdue)
        text = "\n".join(tr("xcli.paper.loan_line", id=x.id, name=x.student_name, borrower=x.borrower,
                            due=x.due_on, late=tr("xcli.paper.late", days=x.days_overdue) if x.overdue else "")
                         for x in rows) or tr("xcli.paper.no_loans")
        return out.ok({"loans": [x.as_json() for x in rows], "count": len(rows),
                       "overdue": sum(x.overdue for x in rows)}, text)


def cmd_handover(args, out):
    from app.paper.loans import hand_over
    from app.paper.scans import inspect
    from app.core import filestore as store

    with open_session(args) as session:
        sid = _sid(session, args.student)
        receipt = None
        if args.receipt:
            from pathlib import Path

            data = Path(args.receipt).read_bytes()
            ext, _pages = inspect(data, Path(args.receipt).name)
            receipt = store.put(session.folder, data, ext)
        hid = hand_over(session, sid, handed_to=args.handed_to, handed_on=args.date, carried_by=args.carried_by,
                        receipt_sha256=receipt, note=args.note, event_id=args.event)
        return out.ok({"student_id": sid, "handover_id": hid, "receipt_sha256": receipt},
                      tr("xcli.paper.handed_over", id=sid, to=args.handed_to))


def cmd_verify_files(args, out):
    from app.paper.sweep import verify_files

    with open_session(args) as session:
        rep = verify_files(session)
    if rep.clean:
        return out.ok({"report": rep.as_json()}, tr("xcli.paper.files_ok", n=rep.checked, mb=f"{rep.bytes / 1e6:.1f}"))
    fs = [Finding("file_missing", tr("xcli.paper.file_missing", path=m["path"] or m["sha256"],
                                     refs=_refs(m["refs"])), field=m["path"]) for m in rep.missing]
    fs += [Finding("file_changed", tr("xcli.paper.file_changed", path=c["path"], refs=_refs(c["refs"])),
                   field=c["path"]) for c in rep.changed]
    return out.fail(fs, extra={"report": rep.as_json()})


def cmd_folders(args, out):
    from app.paper.locations import overview

    with open_session(args) as session:
        rows = overview(session, args.class_id, all_statuses=args.all)
    text = "\n".join(tr("xcli.paper.folder_line", id=r["student_id"], name=r["name"],
                         location=" / ".join(r["location"]) or tr("xcli.paper.no_location")) for r in rows)
    return out.ok({"folders": rows, "count": len(rows), "without_folder": sum(not r["has_folder"] for r in rows),
                   "without_location": sum(not r["location"] for r in rows)}, text or tr("xcli.paper.no_folders"))


def _refs(refs: list[dict]) -> str:
    return ", ".join(f"{r['what']}#{r['ref']}" + (f"/{r['student_id']}" if r["student_id"] else "") for r in refs[:5])

