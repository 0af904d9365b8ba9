"""``xueji export-approval …``: written approvals for exports outside the school (国家 第二十五条).

    xueji export-approval add --reference R --recipient X --purpose P [--full-id] [--approved-by NAME]
                              [--approved-on DATE] [--valid-until DATE]
    xueji export-approval list [--all]
    xueji export-approval revoke ID --reason T

An approval is then named by ``xueji student export FILE --purpose external --approval REF_OR_ID``.
"""
from __future__ import annotations

from app.cli.common import open_session
from app.core.i18n import tr


def register(reg) -> None:
    reg.verb("export-approval")
    sp = reg.action("export-approval", "add", tr("xcli.help.export_approval_add"), cmd_add)
    sp.add_argument("--reference", required=True, help=tr("xcli.help.export_approval_reference"))
    sp.add_argument("--recipient", required=True, help=tr("xcli.help.export_approval_recipient"))
    sp.add_argument("--purpose", required=True, help=tr("xcli.help.export_approval_purpose"))
    sp.add_argument("--full-id", action="store_true", help=tr("xcli.help.export_approval_full_id"))
    sp.add_argument("--approved-by", default=None, metavar="NAME", help=tr("xcli.help.export_approval_approved_by"))
    sp.add_argument("--approved-on", default=None, metavar="DATE", help=tr("xcli.help.export_approval_approved_on"))
    sp.add_argument("--valid-until", default=None, metavar="DATE", help=tr("xcli.help.export_approval_valid_until"))
    sp = reg.action("export-approval", "list", tr("xcli.help.export_approval_list"), cmd_list)
    sp.add_argument("--all", action="store_true", help=tr("xcli.help.export_approval_all"))
    sp = reg.action("export-approval", "revoke", tr("xcli.help.export_approval_revoke"), cmd_revoke)
    sp.add_argument("id", type=int, metavar="ID")
    sp.add_argument("--reason", required=True, help=tr("xcli.help.export_approval_reason"))


def line(a: dict) -> str:
    """One approval as a line of text."""
    text = tr("xcli.export_approval.line", id=a["id"], reference=a["reference"], recipient=a["recipient"],
              purpose=a["purpose"], approved_by=a["approved_by"], approved_on=a["approved_on"],
              valid_until=a["valid_until"], state=a["state_name"],
              full_id=tr("xcli.export_approval.full_id") if a["allow_full_id"] else tr("xcli.export_approval.masked"))
    if a.get("revoked_at"):
        text += tr("xcli.export_approval.revoked_line", at=a["revoked_at"].replace("T", " "), reason=a["revoke_reason"])
    return text


def cmd_add(args, out) -> int:
    from app.exchange import approvals as E

    with open_session(args) as session:
        a = E.add(session, reference=args.reference, recipient=args.recipient, purpose=args.purpose,
                  allow_full_id=args.full_id, approved_by=args.approved_by, approved_on=args.approved_on,
                  valid_until=args.valid_until)
    return out.ok({"approval": a}, tr("xcli.export_approval.added", line=line(a)))


def cmd_list(args, out) -> int:
    from app.exchange import approvals as E

    with open_session(args) as session:
        rows = E.list_approvals(session, include_all=args.all)
    return out.ok({"count": len(rows), "approvals": rows},
                  "\n".join(line(a) for a in rows) or tr("xcli.export_approval.none"))


def cmd_revoke(args, out) -> int:
    from app.exchange import approvals as E

    with open_session(args) as session:
        a = E.revoke(session, args.id, args.reason)
    return out.ok({"approval": a}, tr("xcli.export_approval.revoked", line=line(a)))

