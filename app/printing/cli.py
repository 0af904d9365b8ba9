"""``xueji`` verbs for printing and certificates (registered through app/cli/registry.py).

    xueji print KIND (--student S | --class-id ID | --school-year YYYY) -o FILE.pdf [--overlay] [--calibration NAME]
               [--dry-run]
    xueji print change-form (--event ID | --student S) -o FILE.pdf
    xueji cert issue KIND STUDENT [--override-reason T --approved-by T] [--number N] [--issue-date D]
    xueji cert void NUMBER --reason T
    xueji cert reprint NUMBER --reason T [-o FILE.pdf [--overlay] [--calibration NAME]]
    xueji cert verify NUMBER [--date D]
    xueji cert list [--student S] [--kind KIND]
    xueji cert register [--school-year YYYY]
    xueji cert pattern [--set PATTERN] [--kind-code KIND=CODE …]
    xueji calibration set NAME --dx MM --dy MM [--scale S] [--printer NAME]
    xueji calibration list
"""
from __future__ import annotations

import datetime as _dt

from app.cli.common import findings_json, open_session
from app.core.errors import UsageError
from app.core.i18n import tr
from app.printing.kinds import CERT_KINDS, KINDS  # a leaf: building the parser does not load the renderer


def _date(text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(tr("xcli.print.bad_date", value=text)) from None


def register(reg) -> None:
    sp = reg.verb("print", cmd_print)
    sp.add_argument("kind", metavar="KIND", choices=KINDS, help=tr("xcli.help.print_kind", kinds=", ".join(KINDS)))
    sel = sp.add_mutually_exclusive_group()
    sel.add_argument("--student", action="append", default=[], metavar="S", help=tr("xcli.help.student_ref"))
    sel.add_argument("--class-id", type=int, default=None, metavar="ID")
    sel.add_argument("--school-year", type=int, default=None, metavar="YYYY", help=tr("xcli.help.school_year"))
    sel.add_argument("--event", type=int, action="append", default=[], metavar="ID", help=tr("xcli.help.print_event"))
    sp.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    _print_opts(sp)
    sp.add_argument("--issue-date", type=_date, default=None, metavar="YYYY-MM-DD", help=tr("xcli.help.issue_date"))
    sp.add_argument("--mask-ids", action="store_true", help=tr("xcli.help.print_mask_ids"))
    sp.add_argument("--dry-run", action="store_true", help=tr("xcli.help.print_dry_run"))

    reg.verb("cert")
    sp = reg.action("cert", "issue", tr("xcli.help.cert_issue"), cmd_cert_issue)
    sp.add_argument("kind", metavar="KIND", choices=CERT_KINDS)
    sp.add_argument("student", metavar="STUDENT", help=tr("xcli.help.student_ref"))
    sp.add_argument("--override-reason", default="", help=tr("xcli.help.override_reason"))
    sp.add_argument("--approved-by", default="", help=tr("xcli.help.approved_by"))
    sp.add_argument("--number", default=None, help=tr("xcli.help.cert_number"))
    sp.add_argument("--issue-date", type=_date, default=None, metavar="YYYY-MM-DD", help=tr("xcli.help.issue_date"))
    sp.add_argument("--original-number", default="", help=tr("xcli.help.original_number"))
    sp = reg.action("cert", "void", tr("xcli.help.cert_void"), cmd_cert_void)
    sp.add_argument("number", metavar="NUMBER")
    sp.add_argument("--reason", required=True)
    sp = reg.action("cert", "reprint", tr("xcli.help.cert_reprint"), cmd_cert_reprint)
    sp.add_argument("number", metavar="NUMBER")
    sp.add_argument("--reason", required=True)
    sp.add_argument("-o", "--output", default=None, metavar="FILE.pdf")
    _print_opts(sp)
    sp = reg.action("cert", "verify", tr("xcli.help.cert_verify"), cmd_cert_verify)
    sp.add_argument("number", metavar="NUMBER")
    sp.add_argument("--date", type=_date, default=None, metavar="YYYY-MM-DD")
    sp = reg.action("cert", "list", tr("xcli.help.cert_list"), cmd_cert_list)
    sp.add_argument("--student", default=None, metavar="S", help=tr("xcli.help.student_ref"))
    sp.add_argument("--kind", default=None, choices=CERT_KINDS)
    sp = reg.action("cert", "register", tr("xcli.help.cert_register"), cmd_cert_register)
    sp.add_argument("--school-year", type=int, default=None, metavar="YYYY", help=tr("xcli.help.school_year"))
    sp = reg.action("cert", "pattern", tr("xcli.help.cert_pattern"), cmd_cert_pattern)
    sp.add_argument("--set", default=None, metavar="PATTERN")
    sp.add_argument("--kind-code", action="append", default=[], metavar="KIND=CODE")

    reg.verb("calibration")
    sp = reg.action("calibration", "set", tr("xcli.help.calibration_set"), cmd_calibration_set)
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("--dx", type=float, required=True, metavar="MM")
    sp.add_argument("--dy", type=float, required=True, metavar="MM")
    sp.add_argument("--scale", type=float, default=1.0)
    sp.add_argument("--printer", default="")
    reg.action("calibration", "list", tr("xcli.help.calibration_list"), cmd_calibration_list)


def _print_opts(sp) -> None:
    sp.add_argument("--overlay", action="store_true", help=tr("xcli.help.overlay"))
    sp.add_argument("--calibration", default=None, metavar="NAME", help=tr("xcli.help.calibration_name"))


def cmd_print(args, out):
    from app.printing import service as ps
    from app.students.service import resolve

    if args.event and args.kind != "change-form":
        raise UsageError(tr("xcli.print.event_only_change_form", kind=args.kind))
    if args.kind == "change-form" and (args.class_id is not None or args.school_year is not None):
        raise UsageError(tr("xcli.print.change_form_selection"))
    with open_session(args) as session:
        ids = [resolve(session, s) for s in args.student] or None
        if args.dry_run:
            session.require("print")
            plan = ps.plan_print(session, args.kind, student_ids=ids, class_id=args.class_id,
                                 school_year=args.school_year, event_ids=args.event or None, mask_ids=args.mask_ids)
            return _dry_run(out, plan)
        r = ps.print_document(session, args.kind, args.output, student_ids=ids, class_id=args.class_id,
                              school_year=args.school_year, overlay=args.overlay, calibration=args.calibration,
                              issue_date=args.issue_date, event_ids=args.event or None, mask_ids=args.mask_ids)
        payload = r.as_json()
        payload["warnings"] = [_warning(w) for w in r.warnings]
        text = tr("xcli.print.done", path=r.path, pages=r.pages, students=r.students)
        if r.issued:
            text += "\n" + tr("xcli.print.issued", count=len(r.issued),
                              numbers=tr("common.list_sep").join(i.number for i in r.issued))
        for f in r.skipped:
            text += "\n" + tr("xcli.print.skipped", text=f.text())
        return out.ok(payload, text)


def _dry_run(out, plan) -> int:
    """``print … --dry-run``: what would print and what is refused. The exit code is the one the print itself
    would give: 1 as soon as anything is refused (a certificate print is refused as a whole), else 0."""
    payload = {"dry_run": True, "kind": plan.kind, "would_print": [i.as_json() for i in plan.would_print],
               "refused": findings_json(plan.refused), "skipped": findings_json(plan.skipped)}
    lines = [tr("xcli.print.dry_run", count=len(plan.would_print))]
    for i in plan.would_print:
        what = i.name or i.label or tr("xcli.print.dry_run_list", count=i.students or 0)
        if i.number:
            what = tr("xcli.print.dry_run_number", what=what, number=i.number)
        elif i.issue:
            what = tr("xcli.print.dry_run_issue", what=what)
        lines.append(tr("xcli.print.dry_run_line", what=what))
    lines += [tr("xcli.print.skipped", text=f.text()) for f in plan.skipped]
    if plan.refused:
        if not out.as_json:
            print("\n".join(lines))
        return out.fail(plan.refused, extra=payload)
    return out.ok(payload, "\n".join(lines))


def _warning(w) -> dict:
    from app.core.errors import Finding

    if isinstance(w, Finding):
        return findings_json([w])[0]
    return {"code": "print_warning", "field": None, "row": None, "message": str(w), "rule": None, "article": None,
            "outcome": "WARN"}


def cmd_cert_issue(args, out):
    from app.certificates import service as cs

    override = cs.CertOverride(args.override_reason, args.approved_by) \
        if (args.override_reason or args.approved_by) else None
    with open_session(args) as session:
        r = cs.issue(session, args.kind, args.student, override=override, number=args.number,
                     issue_date=args.issue_date, original_number=args.original_number)
        payload = r.as_json()
        payload.update(warnings=findings_json(r.warnings), notes=findings_json(r.notes),
                       overridden=findings_json(r.overridden))
        text = tr("xcli.cert.issued", kind=cs.kind_name(r.kind), number=r.number, state=cs.state_name(r.state))
        text += "".join("\n" + tr("xcli.note_line", note=f.text()) for f in r.warnings + r.notes)
        return out.ok(payload, text)


def _one(out, c: dict, text, **extra) -> int:
    """``text(**fields)`` words the result: a lambda around one literal catalog key."""
    payload = {"number": c["number"], "certificate": c, **extra}
    return out.ok(payload, text(number=c["number"], kind=c["kind_name"], name=c["student_name"],
                                state=c["state_name"]))


def _voided(**kw):
    return tr("xcli.cert.voided", number=kw["number"], kind=kw["kind"], name=kw["name"])


def _reprinted(**kw):
    return tr("xcli.cert.reprinted", number=kw["number"], kind=kw["kind"], name=kw["name"])


def _verified(**kw):
    return tr("xcli.cert.verified", number=kw["number"], kind=kw["kind"], name=kw["name"], state=kw["state"])


def cmd_cert_void(args, out):
    from app.certificates import service as cs

    with open_session(args) as session:
        return _one(out, cs.void(session, args.number, args.reason), _voided)


def cmd_cert_reprint(args, out):
    from app.certificates import service as cs
    from app.printing import service as ps

    with open_session(args) as session:
        if args.output:
            r = ps.reprint_document(session, args.number, args.reason, args.output, overlay=args.overlay,
                                    calibration=args.calibration)
            c = cs.describe(session, args.number)
            return _one(out, c, _reprinted, path=r.path, pages=r.pages,
                        warnings=[_warning(w) for w in r.warnings])
        c = cs.reprint(session, args.number, args.reason)
        warnings = c.pop("warnings", [])
        return _one(out, c, _reprinted, warnings=warnings)


def cmd_cert_verify(args, out):
    from app.certificates import service as cs

    with open_session(args) as session:
        return _one(out, cs.verify(session, args.number, stamped_on=args.date), _verified)


def cmd_cert_list(args, out):
    from app.certificates import service as cs

    with open_session(args) as session:
        rows = cs.list_certificates(session, args.student, kind=args.kind)
        text = "\n".join(tr("xcli.cert.line", number=c["number"], kind=c["kind_name"], name=c["student_name"],
                            date=c["issue_date"], state=c["state_name"]) for c in rows)
        return out.ok({"count": len(rows), "certificates": rows}, text or tr("xcli.cert.none"))


def cmd_cert_register(args, out):
    from app.certificates import service as cs

    with open_session(args) as session:
        rows = cs.register(session, school_year=args.school_year)
        text = "\n".join(tr("xcli.cert.register_line", at=e["at"], action=e["action_name"], number=e["number"],
                            kind=e["kind_name"], name=e["student_name"], by=e["by"], reason=e["reason"])
                         for e in rows)
        return out.ok({"count": len(rows), "register": rows}, text or tr("xcli.cert.none"))


def cmd_cert_pattern(args, out):
    from app.certificates import service as cs

    codes = {}
    for item in args.kind_code:
        if "=" not in item:
            raise UsageError(tr("xcli.set_needs_pair", item=item))
        k, v = item.split("=", 1)
        codes[k.strip()] = v.strip()
    with open_session(args) as session:
        if args.set or codes:
            res = cs.set_number_pattern(session, args.set or cs.number_pattern(session), codes or None)
        else:
            res = {"pattern": cs.number_pattern(session), "kind_codes": cs.kind_codes(session)}
        return out.ok(res, tr("xcli.cert.pattern", pattern=res["pattern"],
                              codes=tr("common.list_sep").join(f"{k}={v}" for k, v in res["kind_codes"].items())))


def cmd_calibration_set(args, out):
    from app.printing import service as ps

    with open_session(args) as session:
        c = ps.save_calibration(session, args.name, dx_mm=args.dx, dy_mm=args.dy, scale=args.scale,
                                printer=args.printer)
        return out.ok({"name": c["name"], "calibration": c},
                      tr("xcli.calibration.saved", name=c["name"], dx=c["dx_mm"], dy=c["dy_mm"], scale=c["scale"]))


def cmd_calibration_list(args, out):
    from app.printing import service as ps

    with open_session(args) as session:
        cals = ps.list_calibrations(session)
        text = "\n".join(tr("xcli.calibration.line", name=n, dx=c["dx_mm"], dy=c["dy_mm"], scale=c["scale"],
                            printer=c.get("printer", "")) for n, c in cals.items())
        return out.ok({"count": len(cals), "calibrations": cals}, text or tr("calibration.none"))

