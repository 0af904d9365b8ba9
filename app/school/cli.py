"""``xueji`` verbs for the school and its classes: ``init`` (a new archive, optionally with its first registrar
account), ``class add|list``, ``demo`` (a demo school) — exit codes and JSON as in docs/cli.md."""
from __future__ import annotations

from app.cli.common import archive_dir, findings_json, open_session
from app.core.errors import Refused, UsageError
from app.core.i18n import tr


def register(reg) -> None:
    sp = reg.verb("init", cmd_init)
    sp.add_argument("--school-name", required=True)
    sp.add_argument("--school-code", required=True, help=tr("xcli.help.school_code"))
    sp.add_argument("--stages", required=True, help=tr("xcli.help.stages"))
    sp.add_argument("--profile", default="national", help=tr("xcli.help.profile"))
    for opt in ("address", "principal", "registrar", "phone"):
        sp.add_argument(f"--{opt}", default=None)
    sp.add_argument("--registrar-user", metavar="USER", default=None, help=tr("xcli.help.registrar_user"))

    reg.verb("class")
    sp = reg.action("class", "add", tr("xcli.help.class_add"), cmd_class_add)
    sp.add_argument("--stage", required=True, choices=["primary", "junior", "senior"])
    sp.add_argument("--grade", required=True, type=int)
    sp.add_argument("--number", required=True, type=int)
    sp.add_argument("--entry-year", required=True, type=int)
    sp.add_argument("--code", default=None, help=tr("xcli.help.class_code"))
    sp.add_argument("--capacity", default=None, type=int)
    sp.add_argument("--head-teacher", default="")
    reg.action("class", "list", tr("xcli.help.class_list"), cmd_class_list)

    sp = reg.verb("demo", cmd_demo)
    sp.add_argument("--students", type=int, default=300)
    sp.add_argument("--profile", default="henan-zhoukou")
    sp.add_argument("--seed", type=int, default=2026)


def cmd_init(args, out):
    from app.school.service import init_school

    password = None
    if args.registrar_user:  # asked before anything is written
        from app.accounts import service as accounts
        from app.accounts.cli_signin import new_password

        password = new_password()
        weak = accounts.password_findings(None, password, args.registrar_user)
        if weak:  # refused before the school is created, so nothing is left half set up
            raise Refused(weak)
    session = init_school(archive_dir(args), name=args.school_name, code=args.school_code, stages=args.stages,
                          profile=args.profile, address=args.address, principal=args.principal,
                          registrar=args.registrar, phone=args.phone)
    with session:
        s = session.school
        notes = getattr(session, "notes", [])
        extra, text = {}, ""
        if args.registrar_user:  # the first registrar account, in the same step (its recovery code shown once)
            from app.accounts import service as accounts

            acc, code = accounts.setup_first_registrar(session, args.registrar_user, password)
            extra = {"account": acc, "recovery_code": code}
            text = tr("xcli.account.setup_done", user=acc["username"], code=code)
        return out.ok({"id": s["id"], "archive": str(session.folder), "school": s, "notes": notes, **extra},
                      tr("xcli.init_done", folder=session.folder, name=s["name"], code=s["code"],
                         profile=session.profile.name)
                      + "".join(tr("xcli.note_line", note=n) for n in notes) + text)


def cmd_class_add(args, out):
    from app.school.classes import add_class, get_class

    with open_session(args) as session:
        warnings: list = []
        cid = add_class(session, stage=args.stage, grade=args.grade, number=args.number, entry_year=args.entry_year,
                        code=args.code, capacity=args.capacity, head_teacher=args.head_teacher, warnings=warnings)
        k = get_class(session, cid)
        return out.ok({"id": cid, "class": k, "warnings": findings_json(warnings)},
                      tr("xcli.class_added", name=k["display_name"], id=cid, code=k["code"] or tr("xcli.no_code"))
                      + "".join("\n" + tr("xcli.warning_line", text=w.text()) for w in warnings))


def cmd_class_list(args, out):
    from app.school.classes import list_classes

    with open_session(args) as session:
        ks = list_classes(session)
        lines = [tr("xcli.class_line", id=k["id"], entry_year=k["entry_year"], stage=k["stage_name"],
                    name=k["display_name"], code=k["code"] or "-", headcount=k["headcount"])
                 + (f"/{k['capacity']}" if k["capacity"] else "") for k in ks]
        return out.ok({"classes": ks}, "\n".join(lines) or tr("xcli.no_classes"))


def cmd_demo(args, out):
    from app.school.demo import build_demo

    if args.students < 1:
        raise UsageError(tr("xcli.demo_min_students"))
    counts = build_demo(archive_dir(args), students=args.students, profile=args.profile, seed=args.seed)
    return out.ok(dict(counts, archive=str(archive_dir(args))),
                  tr("xcli.demo_done", folder=archive_dir(args))
                  + tr("xcli.count_sep").join(f"{k} {v}" for k, v in counts.items()))
