"""``xueji override …``: a 校领导 countersigns BLOCK* overrides in their own account (app/changes/overrides.py).

    xueji override list [--state pending|approved|rejected] [--student STUDENT]
    xueji override approve ID [--note T]
    xueji override reject ID --note T
"""
from __future__ import annotations

from app.cli.common import open_session
from app.core.i18n import tr


def register(reg) -> None:
    reg.verb("override")
    sp = reg.action("override", "list", tr("xcli.help.override_list"), cmd_list)
    sp.add_argument("--state", choices=["pending", "approved", "rejected"], default=None)
    sp.add_argument("--student", metavar="STUDENT", default=None, help=tr("xcli.help.student_ref"))
    sp = reg.action("override", "approve", tr("xcli.help.override_approve"), _decide("approved"))
    sp.add_argument("finding", metavar="ID", type=int)
    sp.add_argument("--note", default="")
    sp = reg.action("override", "reject", tr("xcli.help.override_reject"), _decide("rejected"))
    sp.add_argument("finding", metavar="ID", type=int)
    sp.add_argument("--note", required=True)


def _line(o: dict) -> str:
    return tr("xcli.override.line", id=o["id"], state=o["state_name"], student=o["student_name"] or "-",
              rule=o["rule_id"], article=o["article"], by=o["decided_by"], approver=o["approved_by"] or "-",
              reason=o["override_reason"] or "-")


def cmd_list(args, out) -> int:
    from app.changes import overrides as O
    from app.students import service as ss

    with open_session(args) as session:
        sid = ss.resolve(session, args.student) if args.student else None
        items = O.list_overrides(session, state=args.state, student_id=sid)
    return out.ok({"count": len(items), "overrides": items}, "\n".join(map(_line, items)) or tr("xcli.override.none"))


def _decide(decision: str):
    def cmd(args, out) -> int:
        from app.changes import overrides as O

        with open_session(args) as session:
            o = O.decide(session, args.finding, decision, args.note)
        return out.ok({"override": o}, _line(o))
    return cmd

