"""The ``xueji`` verbs: each parses nothing itself (app/cli.py does) and calls one app/ service."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from app import fields as F
from app import status as st
from app.errors import Finding, Refused, UsageError


def dispatch(args, out) -> int:
    key = args.verb if args.verb in ("init", "demo", "check") else f"{args.verb}_{args.action}"
    return COMMANDS[key](args, out)


def _open(args):
    from app.cli import archive_dir
    from app.session import Session

    return Session.open(archive_dir(args))


def _overrides(args):
    from app.student_service import Override

    if args.override_reason or args.approved_by:
        return {"*": Override(args.override_reason, args.approved_by, list(args.evidence))}
    return None


def _student_json(session, s: dict, members: list[dict], classes: dict) -> dict:
    from app.record_io import to_template

    k = classes.get(s["class_id"])
    d = to_template(s, members, k["code"] or "" if k else "", session.school["code"])
    d["id"] = s["id"]
    d["学籍号"] = s["xueji_no"]
    d["状态"] = st.name(s["status"])
    d["班级名称"] = k["display_name"] if k else ""
    d["班级编号"] = s["class_id"]
    return d


def _classes(session) -> dict:
    from app.class_service import list_classes

    return {k["id"]: k for k in list_classes(session)}


# ------------------------------------------------------------------ verbs
def cmd_init(args, out):
    from app.cli import archive_dir
    from app.school_service import init_school

    session = init_school(archive_dir(args), name=args.school_name, code=args.school_code, stages=args.stages,
                          profile=args.profile, address=args.address, principal=args.principal,
                          registrar=args.registrar, phone=args.phone)
    with session:
        s = session.school
        notes = getattr(session, "notes", [])
        return out.ok({"id": s["id"], "archive": str(session.folder), "school": s, "notes": notes},
                      f"已建立档案库 {session.folder}\n学校：{s['name']}（{s['code']}），规则配置：{session.profile.name}"
                      + "".join(f"\n提示：{n}" for n in notes))


def cmd_class_add(args, out):
    from app.class_service import add_class, get_class

    with _open(args) as session:
        cid = add_class(session, stage=args.stage, grade=args.grade, number=args.number, entry_year=args.entry_year,
                        code=args.code, capacity=args.capacity, head_teacher=args.head_teacher)
        k = get_class(session, cid)
        return out.ok({"id": cid, "class": k}, f"已建立班级 {k['display_name']}（编号 {cid}，班号 {k['code'] or '无'}）")


def cmd_class_list(args, out):
    from app.class_service import list_classes

    with _open(args) as session:
        ks = list_classes(session)
        lines = [f"{k['id']:>4}  {k['entry_year']}级 {k['stage_name']} {k['display_name']:<10} 班号 {k['code'] or '-':<10} "
                 f"{k['headcount']} 人" + (f"/{k['capacity']}" if k["capacity"] else "") for k in ks]
        return out.ok({"classes": ks}, "\n".join(lines) or "（还没有班级）")


def _read_json(path: str) -> dict:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise Refused([Finding("bad_input", "JSON 必须是一个对象，键为国家模板的列名（如 \"姓名\"、\"身份证件号\"、\"班号\"）")])
    return data


def cmd_student_add(args, out):
    from app.record_io import from_template
    from app.student_service import create_student

    data = _read_json(args.from_json)
    rec = from_template(data)
    with _open(args) as session:
        bad = []
        if rec.school_code and rec.school_code != session.school["code"]:
            bad.append(Finding("school_code_mismatch",
                               f"学校标识码 {rec.school_code} 不是本校的 {session.school['code']}", field="学校标识码"))
        if rec.unknown:
            bad.append(Finding("unknown_field", f"不认识的列名：{'、'.join(rec.unknown)}", field=rec.unknown[0]))
        if bad:
            raise Refused(bad)
        r = create_student(session, rec.student, rec.members, class_id=args.class_id,
                           class_code=rec.class_code or None, reason=args.reason, evidence=args.evidence,
                           overrides=_overrides(args))
        from app.cli import _warn_json

        return out.ok({"id": r.id, "warnings": _warn_json(r.warnings), "notes": _warn_json(r.notes),
                       "overridden": _warn_json(r.overridden)},
                      f"已新增学生（编号 {r.id}）" + "".join(f"\n警告：{w.text()}" for w in r.warnings)
                      + "".join(f"\n已特批：{w.text()}" for w in r.overridden))


def cmd_student_list(args, out):
    from app import student_service as ss

    with _open(args) as session:
        statuses = None
        if args.status:
            c = st.code_for(args.status)
            if c is None:
                raise UsageError(f"未知学籍状态「{args.status}」")
            statuses = [c]
        ids = ss.search_ids(session, args.search or "", class_id=args.class_id, statuses=statuses)
        rows = ss.rows(session, ids)
        mem = ss.members_of_many(session, ids)
        classes = _classes(session)
        students = [_student_json(session, rows[i], mem[i], classes) for i in ids]
        from app.masking import mask_id

        lines = [f"{s['id']:>6}  {s['班级名称']:<10} {s['姓名']:<8} {s['性别']} {s['出生日期']} {mask_id(s['身份证件号'])} {s['状态']}"
                 for s in students]
        return out.ok({"count": len(students), "students": students},
                      "\n".join(lines) + f"\n共 {len(students)} 人" if lines else "（没有符合条件的学生）")


def cmd_student_show(args, out):
    from app import student_service as ss

    with _open(args) as session:
        s = ss.get_student(session, args.student)
        d = _student_json(session, s, s["members"], _classes(session))
        text = "\n".join(f"{k}：{v}" for k, v in d.items() if v not in ("", None))
        return out.ok({"id": s["id"], "student": d}, text)


def cmd_student_history(args, out):
    from app import student_service as ss

    with _open(args) as session:
        hs = ss.history(session, args.student)
        lines = [f"{h['changed_at']}  {h['changed_by']}  {h['action']}  {h['field_name']}：{h['old_value']} → {h['new_value']}"
                 + (f"  原因：{h['reason']}" if h["reason"] else "") + (f"  证明：{h['evidence_ref']}" if h["evidence_ref"] else "")
                 for h in hs]
        return out.ok({"id": ss.resolve(session, args.student), "history": hs}, "\n".join(lines))


def parse_sets(sets: list[str]) -> dict:
    """``字段=值`` pairs (template header names or field keys; 班号 moves the student) → service changes."""
    changes = {}
    for item in sets:
        if "=" not in item:
            raise UsageError(f"--set 需要 字段=值 的形式，收到「{item}」")
        name, value = item.split("=", 1)
        name = name.strip()
        if name in ("班级编号", "class_id"):
            changes["class_id"] = value.strip()
            continue
        if name in ("班号", "班级", "class_code"):
            changes["class_code"] = value.strip()
            continue
        hit = F.resolve_header(name)
        if hit:
            kind, n, key = hit
            if key == "school_code":
                raise UsageError("学校标识码不能在学生信息中修改")
            changes[f"m{n}.{key}" if kind == "member" else key] = value
        elif name in F.stored_student_keys():
            changes[name] = value
        else:
            raise UsageError(f"不认识的字段「{name}」（请用国家模板的列名，如 姓名、民族、联系电话、成员1姓名）")
    return changes


def cmd_student_edit(args, out):
    from app import student_service as ss
    from app.class_service import class_by_code

    changes = parse_sets(args.set)
    with _open(args) as session:
        if "class_code" in changes:
            k = class_by_code(session, changes.pop("class_code"))
            if k is None:
                raise Refused([Finding("unknown_class", "本校没有这个班号的班级", field="班号")])
            changes["class_id"] = k["id"]
        r = ss.edit_student(session, args.student, changes, reason=args.reason, evidence=args.evidence,
                            overrides=_overrides(args))
        from app.cli import _warn_json

        return out.ok({"id": r.id, "changed": r.changed, "warnings": _warn_json(r.warnings),
                       "notes": _warn_json(r.notes)},
                      (f"已修改：{'、'.join(r.changed)}" if r.changed else "没有变化")
                      + "".join(f"\n警告：{w.text()}" for w in r.warnings))


def cmd_student_import(args, out):
    from app.cli import _warn_json
    from app.exchange import import_students

    with _open(args) as session:
        r = import_students(session, args.file, skip_invalid=args.skip_invalid)
        payload = {"total_rows": r.total_rows, "imported": r.imported, "ids": r.ids,
                   "skipped_rows": r.skipped_rows, "warnings": _warn_json(r.warnings)}
        if r.errors and not args.skip_invalid:
            return out.fail(r.errors, extra={"total_rows": r.total_rows, "imported": 0})
        text = f"共 {r.total_rows} 行，导入 {r.imported} 名学生" + (f"，跳过 {len(r.skipped_rows)} 行" if r.skipped_rows else "")
        text += "".join(f"\n跳过：{e.text()}" for e in r.errors)
        return out.ok(dict(payload, rejected=_warn_json(r.errors)), text)


def cmd_student_export(args, out):
    from app.exchange import export_students

    with _open(args) as session:
        r = export_students(session, args.file, class_id=args.class_id)
        return out.ok({"count": r.count, "path": str(r.path)}, f"已导出 {r.count} 名学生到 {r.path}")


def cmd_demo(args, out):
    from app.cli import archive_dir
    from app.demo import build_demo

    if args.students < 1:
        raise UsageError("--students 至少为 1")
    counts = build_demo(archive_dir(args), students=args.students, profile=args.profile, seed=args.seed)
    return out.ok(dict(counts, archive=str(archive_dir(args))),
                  f"示例数据已生成：{archive_dir(args)}\n" + "，".join(f"{k} {v}" for k, v in counts.items()))


def cmd_check(args, out):
    from app.check_service import check_archive

    with _open(args) as session:
        rep = check_archive(session)
    if rep["problems"]:
        return out.fail(rep["problems"], extra={k: v for k, v in rep.items() if k != "problems"})
    return out.ok({k: v for k, v in rep.items() if k != "problems"},
                  f"档案库完整（{rep['integrity']}），数据结构版本 {rep['schema_version']}，"
                  f"学生 {rep['counts']['students']} 人，班级 {rep['counts']['classes']} 个，未发现问题")


COMMANDS = {
    "init": cmd_init, "class_add": cmd_class_add, "class_list": cmd_class_list,
    "student_add": cmd_student_add, "student_list": cmd_student_list, "student_show": cmd_student_show,
    "student_history": cmd_student_history, "student_edit": cmd_student_edit,
    "student_import": cmd_student_import, "student_export": cmd_student_export,
    "demo": cmd_demo, "check": cmd_check,
}
