"""``xueji`` verbs for the audit log (docs/security.md, "Audit log").

    xueji audit verify                                   walk the hash chain; exit 1 naming each break
    xueji audit list [--student S] [--kind K] [--since D] [--until D] [--limit N]
    xueji audit access-register -o FILE.pdf [--since D] [--until D]
"""
from __future__ import annotations

from app.cli.common import open_session
from app.core.i18n import tr


def register(reg) -> None:
    reg.verb("audit")
    reg.action("audit", "verify", tr("xcli.help.audit_verify"), cmd_audit_verify)
    sp = reg.action("audit", "list", tr("xcli.help.audit_list"), cmd_audit_list)
    sp.add_argument("--student", metavar="STUDENT", default=None, help=tr("xcli.help.audit_student"))
    sp.add_argument("--kind", metavar="KIND", default=None, help=tr("xcli.help.audit_kind"))
    sp.add_argument("--since", metavar="DATE", default=None, help=tr("xcli.help.audit_since"))
    sp.add_argument("--until", metavar="DATE", default=None, help=tr("xcli.help.audit_until"))
    sp.add_argument("--limit", metavar="N", type=int, default=None)
    from app.audit.log import CATEGORIES

    sp.add_argument("--actor", metavar="USER", default=None, help=tr("xcli.help.audit_actor"))
    sp.add_argument("--category", choices=list(CATEGORIES), default=None, help=tr("xcli.help.audit_category"))
    sp.add_argument("--text", metavar="TEXT", default=None, help=tr("xcli.help.audit_text"))
    sp = reg.action("audit", "access-register", tr("xcli.help.audit_access_register"), cmd_audit_access_register)
    sp.add_argument("-o", "--output", metavar="FILE.pdf", required=True)
    sp.add_argument("--since", metavar="DATE", default=None, help=tr("xcli.help.audit_since"))
    sp.add_argument("--until", metavar="DATE", default=None, help=tr("xcli.help.audit_until"))


def cmd_audit_verify(args, out) -> int:
    from app.audit import log as audit

    with open_session(args) as session:
        rep = audit.verify(session)
    if not rep.ok:
        return out.fail(rep.breaks, extra=rep.as_json())
    return out.ok(rep.as_json(), tr("xcli.audit_verified", count=rep.count, head=rep.head,
                                    seconds=f"{rep.seconds:.2f}"))


def cmd_audit_list(args, out) -> int:
    from app.audit import log as audit
    from app.audit.text import action_name

    with open_session(args) as session:
        if args.actor or args.category or args.text:  # the window's filters (keyset pages, newest first)
            if args.kind:
                from app.core.errors import UsageError

                raise UsageError(tr("xcli.audit_kind_or_category"))
            sids = None
            if args.student:
                from app.students.refs import resolve

                sids = [resolve(session, args.student)]
            entries, before = [], None
            while args.limit is None or len(entries) < args.limit:
                page, before = audit.page_entries(session, before=before, since=args.since, until=args.until,
                                                  actor=args.actor, category=args.category, student_ids=sids,
                                                  text=args.text)
                entries += page
                if before is None:
                    break
            entries = entries[:args.limit] if args.limit else entries
        else:
            entries = audit.list_entries(session, student=args.student, kind=args.kind, since=args.since,
                                         until=args.until, limit=args.limit)
    lines = [tr("xcli.audit_line", id=e["id"], at=e["at"].replace("T", " "), actor=e["actor"],
                action=action_name(e["action"]),
                student=e["student_id"] if e["student_id"] is not None else "—")
             for e in entries]
    lines.append(tr("xcli.audit_total", count=len(entries)))
    return out.ok({"count": len(entries), "entries": entries}, "\n".join(lines))


def cmd_audit_access_register(args, out) -> int:
    from app.audit.register import write_access_register

    with open_session(args) as session:
        res = write_access_register(session, args.output, since=args.since, until=args.until,
                                     record=True)  # the register's own print is an access-register line
    return out.ok(res, tr("xcli.audit_register_written", file=res["file"], count=res["entries"],
                          pages=res["pages"]))

