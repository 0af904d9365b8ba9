"""The ``xueji`` verbs: each parses nothing itself (app/cli/__init__.py does) and calls one app/ service."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from app.students import fields as F
from app.students import status as st
from app.core.errors import Finding, Refused, UsageError
from app.core.i18n import tr
from app.students.record_io import CLASS_ID_KEY, CLASS_NAME_KEY, ID_KEY, STATUS_KEY


def dispatch(args, out) -> int:
    from app.cli import _extensions

    table = dict(COMMANDS)
    for mod in _extensions():
        table.update(mod.COMMANDS)
    action = getattr(args, "action", None)
    key = f"{args.verb}_{action}" if action else args.verb
    args._command_key = key
    return table[key](args, out)


def _open(args):
    """The archive's Session, signed in for this command when the archive has accounts (app/cli_accounts)."""
    from app.cli import archive_dir
    from app.accounts.cli import authenticate
    from app.core.session import Session

    session = Session.open(archive_dir(args))
    try:
        authenticate(session, args)
    except BaseException:
        session.close()
        raise
    return session


def _overrides(args):
    from app.students.service import Override

    if args.override_reason or args.approved_by:
        return {"*": Override(args.override_reason, args.approved_by, list(args.evidence))}
    return None


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


# ------------------------------------------------------------------ verbs
def cmd_init(args, out):
    from app.cli import archive_dir
    from app.school.service import init_school

    password = None
    if args.registrar_user:  # asked before anything is written
        from app.accounts import service as accounts
        from app.accounts.cli import _new_password

        password = _new_password()
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

    with _open(args) as session:
        warnings: list = []
        cid = add_class(session, stage=args.stage, grade=args.grade, number=args.number, entry_year=args.entry_year,
                        code=args.code, capacity=args.capacity, head_teacher=args.head_teacher, warnings=warnings)
        k = get_class(session, cid)
        from app.cli import _warn_json

        return out.ok({"id": cid, "class": k, "warnings": _warn_json(warnings)},
                      tr("xcli.class_added", name=k["display_name"], id=cid, code=k["code"] or tr("xcli.no_code"))
                      + "".join("\n" + tr("xcli.warning_line", text=w.text()) for w in warnings))


def cmd_class_list(args, out):
    from app.school.classes import list_classes

    with _open(args) as session:
        ks = list_classes(session)
        lines = [tr("xcli.class_line", id=k["id"], entry_year=k["entry_year"], stage=k["stage_name"],
                    name=k["display_name"], code=k["code"] or "-", headcount=k["headcount"])
                 + (f"/{k['capacity']}" if k["capacity"] else "") for k in ks]
        return out.ok({"classes": ks}, "\n".join(lines) or tr("xcli.no_classes"))


def _read_json(path: str) -> dict:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise Refused([Finding("bad_input", tr("xcli.json_not_object"))])
    return data


def cmd_student_add(args, out):
    from app.students.record_io import from_template
    from app.students.service import create_student

    data = _read_json(args.from_json)
    rec = from_template(data)
    with _open(args) as session:
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
                           overrides=_overrides(args))
        from app.cli import _warn_json

        return out.ok({"id": r.id, "warnings": _warn_json(r.warnings), "notes": _warn_json(r.notes),
                       "overridden": _warn_json(r.overridden)},
                      tr("xcli.student_added", id=r.id)
                      + "".join(tr("xcli.warning_line", text=w.text()) for w in r.warnings)
                      + "".join(tr("xcli.overridden_line", text=w.text()) for w in r.overridden))


def cmd_student_list(args, out):
    from app.students import service as ss

    with _open(args) as session:
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

    with _open(args) as session:
        s = ss.view_student(session, args.student, where="cli")
        d = _student_json(session, s, s["members"], _classes(session))
        text = "\n".join(tr("xcli.show_line", key=k, value=v) for k, v in d.items() if v not in ("", None))
        return out.ok({"id": s["id"], "student": d}, text)


def cmd_student_history(args, out):
    from app.students import service as ss

    with _open(args) as session:
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
    with _open(args) as session:
        if "class_code" in changes:
            k = class_by_code(session, changes.pop("class_code"))
            if k is None:
                raise Refused([Finding("unknown_class", tr("xcli.unknown_class_code"), field=_header("class_code"))])
            changes["class_id"] = k["id"]
        r = ss.edit_student(session, args.student, changes, reason=args.reason, evidence=args.evidence,
                            overrides=_overrides(args))
        from app.cli import _warn_json

        return out.ok({"id": r.id, "changed": r.changed, "warnings": _warn_json(r.warnings),
                       "notes": _warn_json(r.notes)},
                      (tr("xcli.edited", fields=tr("common.list_sep").join(r.changed)) if r.changed
                       else tr("xcli.unchanged"))
                      + "".join(tr("xcli.warning_line", text=w.text()) for w in r.warnings))


def cmd_student_import(args, out):
    from app.cli import _warn_json
    from app.exchange import import_students

    with _open(args) as session:
        r = import_students(session, args.file, skip_invalid=args.skip_invalid)
        payload = {"total_rows": r.total_rows, "imported": r.imported, "ids": r.ids,
                   "skipped_rows": r.skipped_rows, "warnings": _warn_json(r.warnings)}
        if r.errors and not args.skip_invalid:
            if not out.as_json:
                print(tr("xcli.import_refused", total=r.total_rows, bad=len(r.bad_rows)), file=sys.stderr)
            return out.fail(r.errors, extra={"total_rows": r.total_rows, "imported": 0})
        text = tr("xcli.imported", total=r.total_rows, imported=r.imported) + (
            tr("xcli.imported_skipped", count=len(r.skipped_rows)) if r.skipped_rows else "")
        text += "".join(tr("xcli.skipped_line", text=e.text()) for e in r.errors)
        return out.ok(dict(payload, rejected=_warn_json(r.errors)), text)


def cmd_student_export(args, out):
    from app.exchange import export_students

    with _open(args) as session:
        r = export_students(session, args.file, class_id=args.class_id,
                            purpose=getattr(args, "purpose", None) or "national", approval=getattr(args, "approval", None))
        from app.cli import _warn_json
        from app.exchange.approvals import PURPOSE_NAMES

        a = r.approval
        text = tr("xcli.exported", count=r.count, path=r.path) + tr(
            "xcli.exported_purpose", purpose=PURPOSE_NAMES[r.purpose],
            ids=tr("xcli.exported_masked") if r.masked else tr("xcli.exported_full_id"))
        if a:
            text += tr("xcli.exported_approval", reference=a["reference"], recipient=a["recipient"])
        return out.ok({"count": r.count, "path": str(r.path), "warnings": _warn_json(r.warnings),
                       "purpose": r.purpose, "masked": r.masked,
                       "approval": {"id": a["id"], "reference": a["reference"]} if a else None},
                      text + "".join("\n" + tr("xcli.warning_line", text=w.text()) for w in r.warnings))


def cmd_demo(args, out):
    from app.cli import archive_dir
    from app.school.demo import build_demo

    if args.students < 1:
        raise UsageError(tr("xcli.demo_min_students"))
    counts = build_demo(archive_dir(args), students=args.students, profile=args.profile, seed=args.seed)
    return out.ok(dict(counts, archive=str(archive_dir(args))),
                  tr("xcli.demo_done", folder=archive_dir(args))
                  + tr("xcli.count_sep").join(f"{k} {v}" for k, v in counts.items()))


def cmd_check(args, out):
    from app.students.check import check_archive

    with _open(args) as session:
        rep = check_archive(session)
    if rep["problems"]:
        return out.fail(rep["problems"], extra={k: v for k, v in rep.items() if k != "problems"})
    return out.ok({k: v for k, v in rep.items() if k != "problems"},
                  tr("xcli.check_ok", integrity=rep["integrity"], version=rep["schema_version"],
                     students=rep["counts"]["students"], classes=rep["counts"]["classes"]))


# ------------------------------------------------------------------ photos
def _photo_refused(e) -> Refused:
    return Refused([Finding(e.code, e.message, field=tr("photo.field"))])


def _parse_crop(text):
    if text is None:
        return None
    parts = text.replace("\uff0c", ",").split(",")
    try:
        crop = tuple(float(p) for p in parts)
    except ValueError:
        crop = ()
    if len(crop) != 4:
        raise UsageError(tr("xcli.photo_bad_crop", crop=text))
    return crop


def cmd_photo_set(args, out):
    from app.photos import service as ps
    from app.photos.pipeline import PhotoError

    crop = _parse_crop(args.crop)
    data = Path(args.file).read_bytes()
    with _open(args) as session:
        try:
            r = ps.set_photo(session, args.student, data, source="file", crop=crop, rotate=args.rotate,
                             preset=args.preset)
        except PhotoError as e:
            raise _photo_refused(e) from None
        warnings = [{"code": "PHOTO.BACKGROUND", "field": tr("photo.field"), "row": None, "message": w,
                     "rule": None, "article": None, "outcome": "WARN"} for w in r.warnings]
        return out.ok({"id": r.student_id, "photo_id": r.photo_id, "width": r.width, "height": r.height,
                       "size": r.size, "quality": r.quality, "original_sha256": r.original_sha256,
                       "warnings": warnings},
                      tr("xcli.photo_set", id=r.student_id, w=r.width, h=r.height, kb=f"{r.size / 1024:.1f}")
                      + "".join("\n" + tr("xcli.warning_line", text=w) for w in r.warnings))


def cmd_photo_import(args, out):
    from app.photos import service as ps
    from app.photos.pipeline import PhotoError

    with _open(args) as session:
        try:
            r = ps.import_photos(session, args.source, preset=args.preset)
        except PhotoError as e:
            raise _photo_refused(e) from None
        payload = {"total": r.total, "stored": r.stored,
                   "matched": [{"file": f, "id": sid} for f, sid in r.matched],
                   "unmatched": list(r.unmatched),
                   "ambiguous": [{"file": f, "ids": ids} for f, ids in r.ambiguous],
                   "rejected": [{"file": f, "reason": why} for f, why in r.rejected],
                   "warnings": [{"file": f, "message": w} for f, w in r.warnings]}
        text = tr("xcli.photo_imported", total=r.total, stored=r.stored, unmatched=len(r.unmatched),
                  ambiguous=len(r.ambiguous), rejected=len(r.rejected))
        text += "".join("\n" + tr("xcli.photo_rejected_line", file=f, reason=why) for f, why in r.rejected)
        text += "".join("\n" + tr("xcli.photo_unmatched_line", file=f) for f in r.unmatched)
        text += "".join("\n" + tr("xcli.photo_ambiguous_line", file=f, ids=", ".join(map(str, ids)))
                        for f, ids in r.ambiguous)
        return out.ok(payload, text)


def cmd_photo_export(args, out):
    from app.photos import service as ps

    with _open(args) as session:
        r = ps.export_photos(session, args.outdir, class_id=args.class_id)
        payload = {"count": r.count, "zips": r.zips,
                   "missing": [{"id": sid, "name": name, "class": k} for sid, name, k in r.missing]}
        text = tr("xcli.photo_exported", count=r.count, zips=len(r.zips), outdir=args.outdir, missing=len(r.missing))
        text += "".join("\n" + tr("xcli.photo_missing_line", id=sid, name=name, klass=k) for sid, name, k in r.missing)
        return out.ok(payload, text)


COMMANDS = {
    "init": cmd_init, "class_add": cmd_class_add, "class_list": cmd_class_list,
    "student_add": cmd_student_add, "student_list": cmd_student_list, "student_show": cmd_student_show,
    "student_history": cmd_student_history, "student_edit": cmd_student_edit,
    "student_import": cmd_student_import, "student_export": cmd_student_export,
    "demo": cmd_demo, "check": cmd_check,
    "photo_set": cmd_photo_set, "photo_import": cmd_photo_import, "photo_export": cmd_photo_export,
}
