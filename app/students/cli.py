"""``xueji student …`` (add, list, show, history, edit, import, export) and ``xueji check`` (the archive's
integrity and every record re-checked) — exit codes and JSON as in docs/cli.md."""
from __future__ import annotations

import sys

from app.cli.common import findings_json, open_session, override_opts, overrides_of, read_json
from app.core.errors import Finding, Refused, UsageError
from app.core.i18n import tr
from app.students import fields as F
from app.students import status as st
from app.students.record_io import CLASS_ID_KEY, CLASS_NAME_KEY, ID_KEY, STATUS_KEY


def register(reg) -> None:
    reg.verb("student")
    sp = reg.action("student", "add", tr("xcli.help.student_add"), cmd_student_add)
    sp.add_argument("--from-json", required=True, metavar="FILE", help=tr("xcli.help.from_json"))
    sp.add_argument("--class-id", type=int, default=None)
    override_opts(sp)
    sp = reg.action("student", "list", tr("xcli.help.student_list"), cmd_student_list)
    sp.add_argument("--class-id", type=int, default=None)
    sp.add_argument("--search", default=None)
    sp.add_argument("--status", default=None, help=tr("xcli.help.status"))
    for name, h, handler in (("show", tr("xcli.help.student_show"), cmd_student_show),
                             ("history", tr("xcli.help.student_history"), cmd_student_history)):
        sp = reg.action("student", name, h, handler)
        sp.add_argument("student", metavar="STUDENT", help=tr("xcli.help.student_ref"))
    sp = reg.action("student", "edit", tr("xcli.help.student_edit"), cmd_student_edit)
    sp.add_argument("student", metavar="STUDENT")
    sp.add_argument("--set", action="append", default=[], metavar=tr("xcli.help.set_metavar"), required=True)
    override_opts(sp)
    sp = reg.action("student", "import", tr("xcli.help.student_import"), cmd_student_import)
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--skip-invalid", action="store_true", help=tr("xcli.help.skip_invalid"))
    sp = reg.action("student", "export", tr("xcli.help.student_export"), cmd_student_export)
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--class-id", type=int, default=None)
    sp.add_argument("--purpose", default="national", choices=["national", "internal", "external"],
                    help=tr("xcli.help.export_purpose"))
    sp.add_argument("--approval", default=None, metavar="REF_OR_ID", help=tr("xcli.help.export_approval_ref"))

    reg.verb("check", cmd_check)


def _student_json(session, s: dict, members: list[dict], classes: dict) -> dict:
    from app.students.record_io import to_template

    k = classes.get(s["class_id"])
    d = to_template(s, members, k["code"] or "" if k else "", session.school["code"])
    d[ID_KEY] = s["id"]
    d[_header("xueji_no")] = s["xueji_no"]
    d[STATUS_KEY] = st.name(s["status"])
    d[CLASS_NAME_KEY] = k["display_name"] if k else ""
    d[CLASS_ID_KEY] = s["class_id"]
    return d


def _header(key: str) -> str:
    return F.by_key()[key].header


def _classes(session) -> dict:
    from app.school.classes import list_classes

    return {k["id"]: k for k in list_classes(session)}


def cmd_student_add(args, out):
    from app.students.record_io import from_template
    from app.students.service import create_student

    data = read_json(args.from_json)
    rec = from_template(data)
    with open_session(args) as session:
        bad = []
        if rec.school_code and rec.school_code != session.school["code"]:
            bad.append(Finding("school_code_mismatch",
                               tr("xcli.school_code_mismatch", code=rec.school_code, ours=session.school["code"]),
                               field=_header("school_code")))
        if rec.unknown:
            names = tr("common.list_sep").join(rec.unknown)
            bad.append(Finding("unknown_field", tr("xcli.unknown_columns", names=names), field=rec.unknown[0]))
        if bad:
            raise Refused(bad)
        r = create_student(session, rec.student, rec.members, class_id=args.class_id,
                           class_code=rec.class_code or None, reason=args.reason, evidence=args.evidence,
                           overrides=overrides_of(args))
        return out.ok({"id": r.id, "warnings": findings_json(r.warnings), "notes": findings_json(r.notes),
                       "overridden": findings_json(r.overridden)},
                      tr("xcli.student_added", id=r.id)
                      + "".join(tr("xcli.warning_line", text=w.text()) for w in r.warnings)
                      + "".join(tr("xcli.overridden_line", text=w.text()) for w in r.overridden))


def cmd_student_list(args, out):
    from app.students import service as ss

    with open_session(args) as session:
        statuses = None
        if args.status:
            c = st.code_for(args.status)
            if c is None:
                raise UsageError(tr("xcli.unknown_status", status=args.status))
            statuses = [c]
        ids = ss.search_ids(session, args.search or "", class_id=args.class_id, statuses=statuses)
        rows = ss.rows(session, ids)
        mem = ss.members_of_many(session, ids)
        from app.core.masking import mask_id

        if not session.can("view_full_id"):  # a head teacher: ID numbers masked in JSON too
            rows = {i: dict(r, id_number=mask_id(r.get("id_number") or ""), xueji_no=mask_id(r.get("xueji_no") or ""))
                    for i, r in rows.items()}
            mem = {i: [dict(m, id_number=mask_id(m.get("id_number") or "")) for m in ms] for i, ms in mem.items()}
        classes = _classes(session)
        students = [_student_json(session, rows[i], mem[i], classes) for i in ids]

        h = {k: _header(k) for k in ("name", "gender", "birth_date", "id_number")}
        lines = [tr("xcli.student_line", id=s[ID_KEY], class_name=s[CLASS_NAME_KEY], name=s[h["name"]],
                    gender=s[h["gender"]], birth_date=s[h["birth_date"]], id_number=mask_id(s[h["id_number"]]),
                    status=s[STATUS_KEY])
                 for s in students]
        return out.ok({"count": len(students), "students": students},
                      "\n".join(lines) + tr("xcli.student_total", count=len(students)) if lines
                      else tr("xcli.no_students"))


def cmd_student_show(args, out):
    from app.students import service as ss

    with open_session(args) as session:
        s = ss.view_student(session, args.student, where="cli")
        d = _student_json(session, s, s["members"], _classes(session))
        text = "\n".join(tr("xcli.show_line", key=k, value=v) for k, v in d.items() if v not in ("", None))
        return out.ok({"id": s["id"], "student": d}, text)


def cmd_student_history(args, out):
    from app.students import service as ss

    with open_session(args) as session:
        hs = ss.history(session, args.student)
        lines = [tr("xcli.history_line", changed_at=h["changed_at"], changed_by=h["changed_by"], action=h["action"],
                    field=h["field_name"], old=h["old_display"], new=h["new_display"])
                 + (tr("xcli.history_reason", reason=h["reason"]) if h["reason"] else "")
                 + (tr("xcli.history_approved", approver=h["approved_by"]) if h["approved_by"] else "")
                 + (tr("xcli.history_evidence", evidence=h["evidence_ref"]) if h["evidence_ref"] else "")
                 for h in hs]
        return out.ok({"id": ss.resolve(session, args.student), "history": hs}, "\n".join(lines))


def parse_sets(sets: list[str]) -> dict:
    """``字段=值`` pairs (template header names or field keys; 班号 moves the student) → service changes."""
    changes = {}
    for item in sets:
        if "=" not in item:
            raise UsageError(tr("xcli.set_needs_pair", item=item))
        name, value = item.split("=", 1)
        name = name.strip()
        if name in (CLASS_ID_KEY, "class_id"):
            if not value.strip().isdigit():
                raise UsageError(tr("xcli.bad_class_id", value=value))
            changes["class_id"] = value.strip()
            continue
        if name == "class_code" or F.resolve_header(name) == ("student", 0, "class_code"):
            changes["class_code"] = value.strip()
            continue
        hit = F.resolve_header(name)
        if hit:
            kind, n, key = hit
            if key == "school_code":
                raise UsageError(tr("xcli.school_code_not_editable"))
            changes[f"m{n}.{key}" if kind == "member" else key] = value
        elif name in F.stored_student_keys():
            changes[name] = value
        else:
            raise UsageError(tr("xcli.unknown_field", name=name))
    return changes


def cmd_student_edit(args, out):
    from app.students import service as ss
    from app.school.classes import class_by_code

    changes = parse_sets(args.set)
    with open_session(args) as session:
        if "class_code" in changes:
            k = class_by_code(session, changes.pop("class_code"))
            if k is None:
                raise Refused([Finding("unknown_class", tr("xcli.unknown_class_code"), field=_header("class_code"))])
            changes["class_id"] = k["id"]
        r = ss.edit_student(session, args.student, changes, reason=args.reason, evidence=args.evidence,
                            overrides=overrides_of(args))
        return out.ok({"id": r.id, "changed": r.changed, "warnings": findings_json(r.warnings),
                       "notes": findings_json(r.notes)},
                      (tr("xcli.edited", fields=tr("common.list_sep").join(r.changed)) if r.changed
                       else tr("xcli.unchanged"))
                      + "".join(tr("xcli.warning_line", text=w.text()) for w in r.warnings))


def cmd_student_import(args, out):
    from app.exchange.import_service import import_students

    with open_session(args) as session:
        r = import_students(session, args.file, skip_invalid=args.skip_invalid)
        payload = {"total_rows": r.total_rows, "imported": r.imported, "ids": r.ids,
                   "skipped_rows": r.skipped_rows, "warnings": findings_json(r.warnings)}
        if r.errors and not args.skip_invalid:
            if not out.as_json:
                print(tr("xcli.import_refused", total=r.total_rows, bad=len(r.bad_rows)), file=sys.stderr)
            return out.fail(r.errors, extra={"total_rows": r.total_rows, "imported": 0})
        text = tr("xcli.imported", total=r.total_rows, imported=r.imported) + (
            tr("xcli.imported_skipped", count=len(r.skipped_rows)) if r.skipped_rows else "")
        text += "".join(tr("xcli.skipped_line", text=e.text()) for e in r.errors)
        return out.ok(dict(payload, rejected=findings_json(r.errors)), text)


def cmd_student_export(args, out):
    from app.exchange.export_service import export_students

    with open_session(args) as session:
        r = export_students(session, args.file, class_id=args.class_id,
                            purpose=getattr(args, "purpose", None) or "national", approval=getattr(args, "approval", None))
        from app.exchange.approvals import PURPOSE_NAMES

        a = r.approval
        text = tr("xcli.exported", count=r.count, path=r.path) + tr(
            "xcli.exported_purpose", purpose=PURPOSE_NAMES[r.purpose],
            ids=tr("xcli.exported_masked") if r.masked else tr("xcli.exported_full_id"))
        if a:
            text += tr("xcli.exported_approval", reference=a["reference"], recipient=a["recipient"])
        return out.ok({"count": r.count, "path": str(r.path), "warnings": findings_json(r.warnings),
                       "purpose": r.purpose, "masked": r.masked,
                       "approval": {"id": a["id"], "reference": a["reference"]} if a else None},
                      text + "".join("\n" + tr("xcli.warning_line", text=w.text()) for w in r.warnings))


def cmd_check(args, out):
    from app.students.check import check_archive

    with open_session(args) as session:
        rep = check_archive(session)
    if rep["problems"]:
        return out.fail(rep["problems"], extra={k: v for k, v in rep.items() if k != "problems"})
    return out.ok({k: v for k, v in rep.items() if k != "problems"},
                  tr("xcli.check_ok", integrity=rep["integrity"], version=rep["schema_version"],
                     students=rep["counts"]["students"], classes=rep["counts"]["classes"]))
